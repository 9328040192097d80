//! HTTP/2 frames written and read by hand, for the attacks no client library will make:
//! HEADERS then RST_STREAM at once (rapid reset), a stream window of zero, bodies that never
//! end. HPACK without Huffman or the dynamic table.

use std::time::Duration;

use tokio::io::AsyncReadExt as _;

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;

pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
pub const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;

pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub fn settings() -> Vec<u8> {
    frame(SETTINGS, 0, 0, &[])
}

/// A SETTINGS frame with these (identifier, value) pairs.
pub fn settings_with(values: &[(u16, u32)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (id, value) in values {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&value.to_be_bytes());
    }
    frame(SETTINGS, 0, 0, &payload)
}

pub fn settings_ack() -> Vec<u8> {
    frame(SETTINGS, ACK, 0, &[])
}

/// `:method: POST`, `:scheme: https`, `:path`, `:authority: localhost`,
/// `content-type: application/json`.
pub fn request_headers(path: &str) -> Vec<u8> {
    let mut block = vec![0x83, 0x87]; // indexed :method POST, :scheme https
    let literal = |block: &mut Vec<u8>, index: u8, value: &str| {
        block.push(index); // literal without indexing, indexed name (4-bit prefix)
        assert!(value.len() < 127);
        block.push(value.len() as u8);
        block.extend_from_slice(value.as_bytes());
    };
    literal(&mut block, 0x04, path); // :path
    literal(&mut block, 0x01, "localhost"); // :authority
    block.push(0x0f); // content-type: static index 31 = 15 + 16
    block.push(0x10);
    block.push("application/json".len() as u8);
    block.extend_from_slice(b"application/json");
    block
}

/// One frame as read: type, flags, stream, payload.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// Reads the next frame, or why there is none (closed, timed out).
pub async fn read_frame<S: tokio::io::AsyncRead + Unpin>(
    io: &mut S,
    deadline: tokio::time::Instant,
) -> Result<Frame, String> {
    let mut head = [0u8; 9];
    tokio::time::timeout_at(deadline, io.read_exact(&mut head))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| format!("connection ended: {e}"))?;
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0u8; len];
    tokio::time::timeout_at(deadline, io.read_exact(&mut payload))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| format!("connection ended: {e}"))?;
    Ok(Frame {
        kind: head[3],
        flags: head[4],
        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
        payload,
    })
}

/// The (identifier, value) pairs of a SETTINGS frame's payload.
pub fn settings_values(payload: &[u8]) -> Vec<(u16, u32)> {
    payload
        .chunks_exact(6)
        .map(|c| {
            (
                u16::from_be_bytes([c[0], c[1]]),
                u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            )
        })
        .collect()
}

/// Reads frames until one on `stream` ends it; returns the DATA of that stream, or why it
/// never came (a GOAWAY that excludes it, a reset, the connection closed).
pub async fn read_stream_data<S: tokio::io::AsyncRead + Unpin>(
    io: &mut S,
    stream: u32,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut data = Vec::new();
    loop {
        let frame = read_frame(io, deadline).await?;
        if frame.kind == GOAWAY {
            let p = &frame.payload;
            let last = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff;
            let code = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
            if last < stream {
                return Err(format!("GOAWAY (last stream {last}, code {code})"));
            }
        }
        if frame.stream == stream {
            if frame.kind == DATA {
                data.extend_from_slice(&frame.payload);
            }
            if frame.kind == RST_STREAM {
                return Err("stream reset".to_owned());
            }
            if frame.flags & END_STREAM != 0 && (frame.kind == DATA || frame.kind == HEADERS) {
                return Ok(data);
            }
        }
    }
}
