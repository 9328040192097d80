//! Every request byte the server buffers counts toward a budget, on either protocol: HTTP/2
//! streams holding bodies under 64 KiB that never finish are bounded like large bodies are
//! (per connection, a share of 64 KiB; past it, the shared body budget, and past that a 503
//! at once), and an HTTP/2 connection gets few concurrent streams.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::h2;
use crate::common::*;
use http_body_util::StreamBody;
use hyper::body::{Bytes, Frame};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncWriteExt as _;

/// The streams a server lets one HTTP/2 connection open at once, from its SETTINGS.
async fn advertised_streams(server: &TestServer) -> Option<u32> {
    let tls = tls_connect(server.webhook, server.client_config(&[b"h2"]))
        .await
        .unwrap();
    let (mut rd, mut wr) = tokio::io::split(tls);
    wr.write_all(h2::PREFACE).await.unwrap();
    wr.write_all(&h2::settings()).await.unwrap();
    wr.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let frame = h2::read_frame(&mut rd, deadline).await.unwrap();
        if frame.kind == h2::SETTINGS && frame.flags & h2::ACK == 0 {
            return h2::settings_values(&frame.payload)
                .into_iter()
                .find(|(id, _)| *id == h2::SETTINGS_MAX_CONCURRENT_STREAMS)
                .map(|(_, v)| v);
        }
    }
}

static SPACES: [u8; 60_000] = [b' '; 60_000];

/// A body of one chunk that never ends.
type Chunks =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>;

fn never_ending() -> Chunks {
    use futures_util::StreamExt as _;
    Box::pin(
        futures_util::stream::once(async { Ok(Frame::data(Bytes::from_static(&SPACES))) })
            .chain(futures_util::stream::pending()),
    )
}

/// 10 connections x as many streams as each may open x 60,000-byte bodies that never end,
/// with a body budget of 512 KiB (`--max-body-bytes 262144`): the server holds at most a
/// connection's share (64 KiB) per connection plus the budget, and answers every stream past
/// them with 503 at once. Once the request deadline passes, the held ones get 408.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_holding_small_unfinished_bodies_count_toward_the_budget() {
    const CONNECTIONS: usize = 10;
    const BODY: usize = SPACES.len();
    let mut server = TestServer::start(&[
        "--max-body-bytes",
        "262144",
        "--request-timeout",
        "4s",
        "--idle-timeout",
        "60s",
    ])
    .await;
    let advertised = advertised_streams(&server).await;
    eprintln!("SETTINGS_MAX_CONCURRENT_STREAMS: {advertised:?}");
    let streams = advertised.unwrap_or(256).min(256) as usize;

    let answered = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let timed_out = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    let started = Instant::now();
    for _ in 0..CONNECTIONS {
        let tls = tls_connect(server.webhook, server.client_config(&[b"h2"]))
            .await
            .unwrap();
        let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .handshake::<_, StreamBody<Chunks>>(TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(conn);
        for _ in 0..streams {
            let request = hyper::Request::post("https://localhost/validate?timeout=30s")
                .header("content-type", "application/json")
                .body(StreamBody::new(never_ending()))
                .unwrap();
            let mut sender = sender.clone();
            let (answered, refused, timed_out) =
                (answered.clone(), refused.clone(), timed_out.clone());
            senders.push(tokio::spawn(async move {
                let Ok(response) = sender.send_request(request).await else {
                    return;
                };
                answered.fetch_add(1, Ordering::Relaxed);
                match response.status().as_u16() {
                    503 if started.elapsed() < Duration::from_secs(3) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    408 => {
                        timed_out.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }));
        }
    }
    // Well before the 4 s deadline: what is held now is what the budget let in.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let held = CONNECTIONS * streams - answered.load(Ordering::Relaxed);
    eprintln!(
        "{} streams of {BODY} bytes: {} answered 503 at once, {held} held ({} bytes) at 2.5 s",
        CONNECTIONS * streams,
        refused.load(Ordering::Relaxed),
        held * BODY
    );
    let bound = CONNECTIONS * 64 * 1024 + 2 * 262_144;
    assert!(
        held * BODY <= bound,
        "{held} streams hold {} bytes, over {bound}",
        held * BODY
    );
    assert!(
        advertised.is_some_and(|n| n <= 16),
        "HTTP/2 streams per connection: {advertised:?}"
    );
    // A review of real size is answered meanwhile, on a new connection of either protocol.
    for protocol in Protocol::BOTH {
        assert_new_connection_serves(&server, protocol, "while streams hold bodies").await;
    }
    // At the deadline, every held stream gets its 408.
    let all = eventually(Duration::from_secs(15), || async {
        answered.load(Ordering::Relaxed) == CONNECTIONS * streams
    })
    .await;
    assert!(
        all,
        "{} of {} answered",
        answered.load(Ordering::Relaxed),
        CONNECTIONS * streams
    );
    assert_eq!(timed_out.load(Ordering::Relaxed), held);
    for s in senders {
        let _ = s.await;
    }
    server.stop().await;
}
