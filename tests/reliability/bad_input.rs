//! Bad input: every class of bad request goes to the real server over a real TLS
//! connection (127.0.0.1, port 0, certificates made here), and after each one the server
//! still answers a good review on the same connection (where the protocol allows it) and on
//! a new one.

use std::time::Duration;

use crate::common::*;
use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

/// What a bad body must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A 4xx with a one-line reason containing this text.
    Refused(u16, &'static str),
    /// A 200 AdmissionReview echoing the uid.
    Answered,
}

const PLAIN_UID: &str = "0b4a5f1c-1f6e-4d8a-9c11-6f1e2a3b4c01";

fn good() -> Value {
    review_json("namespace-create-plain")
}

fn with(mut v: Value, pointer: &str, value: Value) -> Vec<u8> {
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} not in the fixture")) = value;
    serde_json::to_vec(&v).unwrap()
}

fn without(mut v: Value, key: &str) -> Vec<u8> {
    v.as_object_mut().unwrap().remove(key);
    serde_json::to_vec(&v).unwrap()
}

/// `depth` nested arrays.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// The bad bodies of the issue that fit in one well-framed HTTP request.
fn bad_bodies() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let plain = serde_json::to_vec(&good()).unwrap();
    let service = review_json("service-create-denied")["request"]["object"].clone();
    let mut cases = vec![
        (
            "malformed JSON",
            b"{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": AdmissionReview}".to_vec(),
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "empty body",
            Vec::new(),
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "truncated body",
            plain[..plain.len() / 2].to_vec(),
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "truncated by one byte",
            plain[..plain.len() - 1].to_vec(),
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "trailing garbage",
            [plain.as_slice(), b"}{"].concat(),
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "wrong apiVersion",
            with(good(), "/apiVersion", json!("admission.k8s.io/v1beta1")),
            Expect::Refused(400, "apiVersion is \"admission.k8s.io/v1beta1\""),
        ),
        (
            "apiVersion not a string",
            with(good(), "/apiVersion", json!(1)),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "wrong kind",
            with(good(), "/kind", json!("Namespace")),
            Expect::Refused(400, "kind is \"Namespace\""),
        ),
        (
            "no apiVersion",
            without(good(), "apiVersion"),
            Expect::Refused(400, "no apiVersion"),
        ),
        (
            "request missing",
            without(good(), "request"),
            Expect::Refused(400, "no request"),
        ),
        (
            "request null",
            with(good(), "/request", Value::Null),
            Expect::Refused(400, "no request"),
        ),
        (
            "request not an object",
            with(good(), "/request", json!("hello")),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "uid missing",
            {
                let mut v = good();
                v["request"].as_object_mut().unwrap().remove("uid");
                serde_json::to_vec(&v).unwrap()
            },
            Expect::Refused(400, "missing field `uid`"),
        ),
        (
            "unknown operation",
            with(good(), "/request/operation", json!("PATCH")),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "object of another kind (a Service in a Namespace review)",
            with(good(), "/request/object", service),
            Expect::Answered,
        ),
        (
            "object a string",
            with(good(), "/request/object", json!("a Namespace")),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "object a list",
            with(good(), "/request/object", json!([1, 2, 3])),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "metadata a string",
            with(good(), "/request/object/metadata", json!("payments")),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "metadata a list",
            with(good(), "/request/object/metadata", json!([])),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "metadata a number",
            with(good(), "/request/object/metadata", json!(7)),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "annotations a list",
            with(
                good(),
                "/request/object/metadata/annotations",
                json!(["traffic.tetrate.io/global"]),
            ),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "annotation value a number",
            with(
                good(),
                "/request/object/metadata/annotations",
                json!({"traffic.tetrate.io/global": true}),
            ),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            "1 MiB annotation value (unrelated key)",
            with(
                good(),
                "/request/object/metadata/annotations",
                json!({"example.com/blob": "a".repeat(1 << 20)}),
            ),
            Expect::Answered,
        ),
        (
            "1 MiB workload selector",
            with(
                good(),
                "/request/object/metadata/annotations",
                json!({
                    "traffic.tetrate.io/global": "true",
                    "traffic.tetrate.io/eastwest-gateway-workload-selector":
                        format!("app={}", "a".repeat(1 << 20)),
                }),
            ),
            Expect::Answered,
        ),
        (
            "1 MiB cloud annotations that are not YAML",
            with(
                good(),
                "/request/object/metadata/annotations",
                json!({
                    "traffic.tetrate.io/global": "true",
                    "traffic.tetrate.io/eastwest-gateway-cloud-annotations":
                        format!(
                            "{}x: [unclosed\n",
                            (0..30_000)
                                .map(|i| format!("service.beta.kubernetes.io/k{i}: v\n"))
                                .collect::<String>()
                        ),
                }),
            ),
            Expect::Answered,
        ),
        (
            "1 MiB Namespace name",
            with(
                good(),
                "/request/object/metadata/name",
                json!("n".repeat(1 << 20)),
            ),
            Expect::Refused(400, "longer than Kubernetes allows"),
        ),
        (
            "10,000 annotations",
            with(
                good(),
                "/request/object/metadata/annotations",
                Value::Object(
                    (0..10_000)
                        .map(|i| (format!("example.com/key-{i}"), json!(format!("v{i}"))))
                        .collect(),
                ),
            ),
            Expect::Answered,
        ),
        (
            "10,000 labels",
            with(
                good(),
                "/request/object/metadata/labels",
                Value::Object(
                    (0..10_000)
                        .map(|i| (format!("example.com/l{i}"), json!("x")))
                        .collect(),
                ),
            ),
            Expect::Answered,
        ),
        (
            "deep nesting at the top (100,000 levels)",
            nested(100_000).into_bytes(),
            Expect::Refused(400, "not an AdmissionReview"),
        ),
        (
            // Skipped without recursion (serde_json ignores a value with a loop, not a call
            // per level): no stack to overflow, so it is answered.
            "deep nesting in a field the server skips (100,000 levels)",
            {
                let text = String::from_utf8(plain.clone()).unwrap();
                text.replacen(
                    "\"spec\":",
                    &format!("\"extra\":{},\"spec\":", nested(100_000)),
                    1,
                )
                .into_bytes()
            },
            Expect::Answered,
        ),
        (
            "nesting within the limit in a skipped field (100 levels)",
            {
                let text = String::from_utf8(plain.clone()).unwrap();
                text.replacen(
                    "\"spec\":",
                    &format!("\"extra\":{},\"spec\":", nested(100)),
                    1,
                )
                .into_bytes()
            },
            Expect::Answered,
        ),
        (
            "invalid UTF-8 in a string",
            {
                let text = String::from_utf8(plain.clone()).unwrap();
                let at = text.find("team-a").expect("fixture names team-a");
                let mut bytes = plain.clone();
                bytes[at] = 0xff;
                bytes[at + 1] = 0xfe;
                bytes
            },
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "invalid UTF-8 alone",
            vec![0xc3, 0x28, 0xff, 0xfe, 0x80],
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "a lone surrogate escape in an annotation",
            String::from_utf8(with(
                good(),
                "/request/object/metadata/annotations",
                json!({"traffic.tetrate.io/global": "SURROGATE"}),
            ))
            .unwrap()
            .replace("SURROGATE", "\\ud800")
            .into_bytes(),
            Expect::Refused(400, "malformed JSON"),
        ),
        (
            "NUL and control characters in values",
            with(
                good(),
                "/request/object/metadata/annotations",
                json!({"traffic.tetrate.io/global": "tr\u{0}ue\n\t", "traffic.tetrate.io/eastwest-gateway-name": "\u{7}"}),
            ),
            Expect::Answered,
        ),
    ];
    // Deep managedFields, which the object reader skips: built as text (serde_json cannot
    // build a Value that deep).
    let deep_managed = String::from_utf8(with(
        good(),
        "/request/object/metadata",
        json!({"name": "payments", "managedFields": "DEEP"}),
    ))
    .unwrap()
    .replace("\"DEEP\"", &nested(100_000));
    cases.push((
        "deep nesting in managedFields (100,000 levels)",
        deep_managed.into_bytes(),
        Expect::Answered,
    ));
    cases
}

fn check_reply(name: &str, reply: &Reply, expect: Expect, sent: &[u8]) {
    match expect {
        Expect::Refused(status, reason) => {
            assert_eq!(reply.status.as_u16(), status, "{name}: {}", reply.text());
            let text = reply.text();
            assert!(text.contains(reason), "{name}: {text:?} lacks {reason:?}");
            assert_eq!(text.trim_end().lines().count(), 1, "{name}: {text:?}");
        }
        Expect::Answered => {
            assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.text());
            let v = reply.json();
            assert_eq!(v["kind"], "AdmissionReview", "{name}");
            // Every body here keeps the plain fixture's uid (some are too deep to read back).
            let _ = sent;
            assert_eq!(v["response"]["uid"], PLAIN_UID, "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_body_is_refused_and_the_connection_still_serves() {
    let mut server = TestServer::start(&[]).await;
    let cases = bad_bodies();
    for protocol in Protocol::BOTH {
        let mut client = server.client(protocol).await;
        for (name, body, expect) in &cases {
            for path in ["/validate?timeout=10s", "/mutate?timeout=10s"] {
                let started = std::time::Instant::now();
                let reply = client
                    .post(path, body.clone())
                    .await
                    .unwrap_or_else(|e| panic!("{name} {path} over {protocol:?}: {e}"));
                eprintln!(
                    "{name} {path} {protocol:?}: {} in {:?}",
                    reply.status,
                    started.elapsed()
                );
                check_reply(
                    &format!("{name} {path} {protocol:?}"),
                    &reply,
                    *expect,
                    body,
                );
                if let Expect::Answered = expect
                    && path.starts_with("/mutate")
                {
                    assert_eq!(
                        reply.json()["response"]["allowed"],
                        true,
                        "{name}: /mutate denied"
                    );
                }
                assert_serves(
                    &mut client,
                    &format!("after {name} {path} over {protocol:?}"),
                )
                .await;
            }
        }
        assert_new_connection_serves(&server, protocol, "after every bad body").await;
    }
    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, "eastwest_guard_handler_panics_total"),
        Some(0.0),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413_and_the_server_carries_on() {
    let mut server = TestServer::start(&["--max-body-bytes", "1048576"]).await;
    let big = with(
        good(),
        "/request/object/metadata/annotations",
        json!({"example.com/blob": "a".repeat(1 << 20)}),
    );
    // HTTP/2 refuses the stream only: the connection carries on.
    let mut client = server.client(Protocol::Http2).await;
    let reply = client.post("/validate", big.clone()).await.unwrap();
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("--max-body-bytes"));
    assert_serves(&mut client, "h2 after 413").await;
    assert_new_connection_serves(&server, Protocol::Http2, "after 413").await;

    // HTTP/1.1: the 413 is sent as soon as the Content-Length is read, and the connection is
    // closed (the rest of the body is not read), by design; so the client may see its write
    // fail. Written raw, the 413 is still there to read.
    let mut tls = raw_http1(&server).await;
    let head = http1_head("/validate", &format!("content-length: {}\r\n", big.len()));
    let _ = tls.write_all(head.as_bytes()).await;
    let _ = tls.write_all(&big).await;
    let _ = tls.flush().await;
    let (status, _, body) = read_http1_response(&mut tls, Duration::from_secs(10))
        .await
        .expect("no 413 for a declared length over the limit");
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    assert_new_connection_serves(&server, Protocol::Http1, "after 413").await;

    // Over the limit without Content-Length (chunked): 413 too, and the limit holds without
    // the server buffering the whole body. 8 MiB in 64 KiB chunks.
    let mut tls = raw_http1(&server).await;
    tls.write_all(http1_head("/validate", "transfer-encoding: chunked\r\n").as_bytes())
        .await
        .unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    for _ in 0..128 {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if tls.write_all(&framed).await.is_err() {
            break; // the server answered and closed: fine
        }
        sent += chunk.len();
    }
    let _ = tls.write_all(b"0\r\n\r\n").await;
    let _ = tls.flush().await;
    let (status, _, body) = read_http1_response(&mut tls, Duration::from_secs(10))
        .await
        .expect("no answer to a chunked body over the limit");
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    assert!(sent > 1 << 20, "sent only {sent}");
    assert_new_connection_serves(&server, Protocol::Http1, "after a chunked 413").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_bodies_are_read_and_bad_chunking_is_refused() {
    let mut server = TestServer::start(&[]).await;
    let body = review_with_uid("namespace-create-denied", "chunked-1");

    // A good review in small chunks (with a chunk extension and a trailer), then a second one
    // on the same connection: both answered.
    let mut tls = raw_http1(&server).await;
    for (i, chunk_size) in [7usize, 1, 500].into_iter().enumerate() {
        let uid = format!("chunked-{i}");
        let body = review_with_uid("namespace-create-denied", &uid);
        let mut raw =
            http1_head("/validate?timeout=10s", "transfer-encoding: chunked\r\n").into_bytes();
        for (n, chunk) in body.chunks(chunk_size).enumerate() {
            let ext = if n % 5 == 0 { ";name=value" } else { "" };
            raw.extend_from_slice(format!("{:x}{ext}\r\n", chunk.len()).as_bytes());
            raw.extend_from_slice(chunk);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\nx-trailer: yes\r\n\r\n");
        tls.write_all(&raw).await.unwrap();
        let (status, _, reply) = read_http1_response(&mut tls, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no answer to chunks of {chunk_size}"));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
        let v: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(v["response"]["uid"], uid.as_str());
        assert_eq!(v["response"]["allowed"], false);
    }
    drop(body);

    // Broken chunking: a size that is not hex, a chunk longer than its size, a size past
    // u64. Each is refused (400, or the connection closed), and the server serves others.
    let breakers: [(&str, &[u8]); 4] = [
        ("size not hex", b"zz\r\n{}\r\n0\r\n\r\n"),
        ("chunk longer than its size", b"2\r\n{}}}}}}\r\n0\r\n\r\n"),
        ("size overflows", b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"),
        ("no CRLF after the chunk", b"2\r\n{}XX0\r\n\r\n"),
    ];
    for (name, chunks) in breakers {
        let mut tls = raw_http1(&server).await;
        let mut raw =
            http1_head("/validate?timeout=2s", "transfer-encoding: chunked\r\n").into_bytes();
        raw.extend_from_slice(chunks);
        tls.write_all(&raw).await.unwrap();
        let answer = read_to_close(&mut tls, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{name}: the connection was kept open"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{name}: {answer}"
        );
        assert_new_connection_serves(&server, Protocol::Http1, name).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_content_length_is_bounded() {
    let mut server = TestServer::start(&[]).await;
    let body = review_with_uid("namespace-create-plain", "second");

    // Shorter than the body: the server reads what was declared (a truncated document: 400),
    // then the rest as the next request on the same connection. Here the rest is a whole good
    // request, so the same connection answers it.
    let mut tls = raw_http1(&server).await;
    let cut = 40;
    let mut raw = http1_head("/validate", &format!("content-length: {cut}\r\n")).into_bytes();
    raw.extend_from_slice(&body[..cut]);
    raw.extend_from_slice(
        http1_head("/validate", &format!("content-length: {}\r\n", body.len())).as_bytes(),
    );
    raw.extend_from_slice(&body);
    tls.write_all(&raw).await.unwrap();
    let mut pending = Vec::new();
    let (status, _, reply) =
        read_http1_response_buffered(&mut tls, &mut pending, Duration::from_secs(10))
            .await
            .unwrap();
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&reply));
    let (status, _, reply) =
        read_http1_response_buffered(&mut tls, &mut pending, Duration::from_secs(10))
            .await
            .expect("the request after a short Content-Length was not answered");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    assert!(String::from_utf8_lossy(&reply).contains("\"uid\":\"second\""));

    // Shorter than the body, and the rest is not a request: 400 for the first, then the
    // garbage gets a 400 from hyper and the connection closes.
    let mut tls = raw_http1(&server).await;
    let mut raw = http1_head("/validate", &format!("content-length: {cut}\r\n")).into_bytes();
    raw.extend_from_slice(&body);
    tls.write_all(&raw).await.unwrap();
    let all = read_to_close(&mut tls, Duration::from_secs(10))
        .await
        .expect("a connection with garbage after a request was kept open");
    let all = String::from_utf8_lossy(&all);
    assert!(all.starts_with("HTTP/1.1 400"), "{all}");
    assert!(!all.contains("HTTP/1.1 200"), "{all}");
    assert_new_connection_serves(&server, Protocol::Http1, "after a short Content-Length").await;

    // Longer than the body, and the client then waits: the body deadline (?timeout=, here 1s)
    // answers 408 and the connection is closed.
    let mut tls = raw_http1(&server).await;
    let mut raw = http1_head(
        "/validate?timeout=1s",
        &format!("content-length: {}\r\n", body.len() + 1000),
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    tls.write_all(&raw).await.unwrap();
    let (status, _, reply) = read_http1_response(&mut tls, Duration::from_secs(10))
        .await
        .expect("no answer to a body that never completes");
    assert_eq!(status, 408, "{}", String::from_utf8_lossy(&reply));
    assert!(
        read_to_close(&mut tls, Duration::from_secs(10))
            .await
            .is_some()
    );
    assert_new_connection_serves(&server, Protocol::Http1, "after a long Content-Length").await;

    // Malformed, conflicting and combined framing headers: refused (400 or closed), never
    // answered as a review, and the server serves others.
    let framings = [
        ("not a number", "content-length: abc\r\n".to_owned()),
        ("negative", "content-length: -1\r\n".to_owned()),
        (
            "two different",
            format!("content-length: {}\r\ncontent-length: 5\r\n", body.len()),
        ),
        (
            "past u64",
            "content-length: 99999999999999999999999\r\n".to_owned(),
        ),
        (
            "with transfer-encoding",
            "content-length: 5\r\ntransfer-encoding: chunked\r\n".to_owned(),
        ),
    ];
    for (name, headers) in framings {
        let mut tls = raw_http1(&server).await;
        let mut raw = http1_head("/validate?timeout=2s", &headers).into_bytes();
        if name == "with transfer-encoding" {
            // Chunked wins over Content-Length (RFC 9112 6.3); a good chunked body is read.
            raw.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            raw.extend_from_slice(&body);
            raw.extend_from_slice(b"\r\n0\r\n\r\n");
        } else {
            raw.extend_from_slice(&body);
        }
        tls.write_all(&raw).await.unwrap();
        let all = read_to_close(&mut tls, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{name}: connection kept open"));
        let all = String::from_utf8_lossy(&all);
        if name == "with transfer-encoding" {
            assert!(
                all.starts_with("HTTP/1.1 400") || all.starts_with("HTTP/1.1 200"),
                "{name}: {all}"
            );
        } else {
            assert!(
                all.is_empty() || all.starts_with("HTTP/1.1 4"),
                "{name}: {all}"
            );
            assert!(
                !all.contains("\"uid\""),
                "{name}: answered as a review: {all}"
            );
        }
        assert_new_connection_serves(&server, Protocol::Http1, name).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_http_to_the_tls_port_gets_no_answer() {
    let mut server = TestServer::start(&[]).await;
    let body = review("namespace-create-plain");
    let mut http1 =
        http1_head("/validate", &format!("content-length: {}\r\n", body.len())).into_bytes();
    http1.extend_from_slice(&body);
    let attempts: [(&str, Vec<u8>); 3] = [
        ("HTTP/1.1", http1),
        (
            "HTTP/2 prior knowledge",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0".to_vec(),
        ),
        ("GET", b"GET /validate HTTP/1.0\r\n\r\n".to_vec()),
    ];
    for (name, bytes) in attempts {
        let mut tcp = tokio::net::TcpStream::connect(server.webhook)
            .await
            .unwrap();
        tcp.write_all(&bytes).await.unwrap();
        let answer = read_to_close(&mut tcp, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{name}: plaintext connection kept open"));
        // At most a TLS alert record (content type 21), never HTTP.
        assert!(
            answer.is_empty() || answer[0] == 0x15,
            "{name}: {:?}",
            String::from_utf8_lossy(&answer)
        );
        assert!(
            !String::from_utf8_lossy(&answer).contains("HTTP/"),
            "{name}"
        );
        for protocol in Protocol::BOTH {
            assert_new_connection_serves(&server, protocol, name).await;
        }
    }
    let metrics = server.metrics().await;
    assert!(metric(&metrics, "eastwest_guard_tls_handshake_failures_total").unwrap() >= 3.0);
    server.stop().await;
}

// ---------------------------------------------------------------- TLS 1.0 and 1.1

/// A TLS ClientHello record offering only `version` (0x0301 TLS 1.0, 0x0302 TLS 1.1), with
/// the cipher suites and extensions such clients sent; rustls cannot send one, so it is
/// written here byte by byte.
fn legacy_client_hello(version: u16) -> Vec<u8> {
    let mut ext = Vec::new();
    let mut push_ext = |kind: u16, data: &[u8]| {
        ext.extend_from_slice(&kind.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    };
    // server_name: localhost
    let host = b"localhost";
    let mut sni = Vec::new();
    sni.extend_from_slice(&((host.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(host.len() as u16).to_be_bytes());
    sni.extend_from_slice(host);
    push_ext(0x0000, &sni);
    // supported_groups: x25519, secp256r1, secp384r1
    push_ext(0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
    // ec_point_formats: uncompressed
    push_ext(0x000b, &[1, 0]);
    // renegotiation_info (empty)
    push_ext(0xff01, &[0]);

    // signature_algorithms (ignored before TLS 1.2, needed by the TLS 1.2 control below):
    // ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256
    push_ext(0x000d, &[0, 6, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]);

    // CBC suites of the time, and the AEAD ones rustls has (so only the version differs
    // from a hello the server accepts).
    let suites: [u16; 10] = [
        0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035,
    ];
    let mut hello = Vec::new();
    hello.extend_from_slice(&version.to_be_bytes());
    hello.extend_from_slice(&[0x42; 32]); // random
    hello.push(0); // no session id
    hello.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        hello.extend_from_slice(&s.to_be_bytes());
    }
    hello.extend_from_slice(&[1, 0]); // compression: null
    hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    hello.extend_from_slice(&ext);

    let mut handshake = vec![1]; // ClientHello
    handshake.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&hello);
    let mut record = vec![0x16]; // handshake
    record.extend_from_slice(&0x0301u16.to_be_bytes());
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_1_0_and_1_1_handshakes_are_refused() {
    let mut server = TestServer::start(&[]).await;
    for (name, version) in [("TLS 1.0", 0x0301u16), ("TLS 1.1", 0x0302)] {
        let mut tcp = tokio::net::TcpStream::connect(server.webhook)
            .await
            .unwrap();
        tcp.write_all(&legacy_client_hello(version)).await.unwrap();
        let answer = read_to_close(&mut tcp, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{name}: the server kept the connection open"));
        // An alert record (21), fatal (2): handshake_failure (40, what rustls sends when no
        // version it supports is offered) or protocol_version (70); never a ServerHello.
        assert!(answer.len() >= 7, "{name}: {answer:?}");
        assert_eq!(answer[0], 0x15, "{name}: not an alert: {answer:?}");
        assert!(
            matches!(answer[5..7], [2, 40] | [2, 70]),
            "{name}: {answer:?}"
        );
        assert!(
            !answer.windows(2).any(|w| w == [0x16, 0x03]),
            "{name}: a handshake was answered"
        );
        for protocol in Protocol::BOTH {
            assert_new_connection_serves(&server, protocol, name).await;
        }
    }
    // The same ClientHello offering TLS 1.2 is not refused for its framing: the server answers
    // with a handshake record (its ServerHello), which shows the refusals above are about the
    // version.
    let mut tcp = tokio::net::TcpStream::connect(server.webhook)
        .await
        .unwrap();
    tcp.write_all(&legacy_client_hello(0x0303)).await.unwrap();
    let mut first = [0u8; 1];
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut first),
    )
    .await
    .expect("no answer to a TLS 1.2 ClientHello")
    .unwrap();
    assert_eq!(
        first[0], 0x16,
        "TLS 1.2 hello not answered with a handshake record"
    );
    drop(tcp);

    // And with openssl, where it is installed and still able to offer TLS 1.0/1.1.
    match openssl_s_client(server.webhook, "-tls1_2") {
        None => {
            eprintln!("SKIPPED: openssl s_client not usable here; the hand-made hellos above stand")
        }
        Some((ok, out)) => {
            assert!(ok, "openssl could not do TLS 1.2: {out}");
            for flag in ["-tls1", "-tls1_1"] {
                let (ok, out) = openssl_s_client(server.webhook, flag).unwrap();
                assert!(!ok, "openssl {flag} connected: {out}");
                assert!(
                    out.contains("alert protocol version")
                        || out.contains("alert handshake failure")
                        || out.contains("no protocols available"),
                    "openssl {flag}: {out}"
                );
            }
        }
    }
    server.stop().await;
}

/// Runs `openssl s_client` with `flag` against `addr` (security level 0, so it offers TLS
/// 1.0/1.1 at all); (whether the handshake completed, output). None without openssl.
fn openssl_s_client(addr: std::net::SocketAddr, flag: &str) -> Option<(bool, String)> {
    let out = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-servername",
            "localhost",
            flag,
        ])
        .args(["-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((
        out.status.success() && text.contains("Cipher is") && !text.contains("Cipher is (NONE)"),
        text,
    ))
}

// ---------------------------------------------------------------- mTLS

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mtls_untrusted_client_certificates_are_refused_and_trusted_ones_served() {
    let client_ca = Ca::new("kube-apiserver client CA");
    let dir = tempfile::tempdir().unwrap();
    let client_ca_file = dir.path().join("client-ca.crt");
    std::fs::write(&client_ca_file, &client_ca.pem).unwrap();
    let mut server = TestServer::start(&["--client-ca", client_ca_file.to_str().unwrap()]).await;
    let roots = [server.ca.der()];
    let trusted = client_ca.client_cert("kube-apiserver");

    // A trusted client keeps one connection open through all the refusals.
    let mut kept = Client::connect(
        server.webhook,
        client_config(&roots, Protocol::Http2.alpn(), Some(&trusted)),
        Protocol::Http2,
    )
    .await
    .unwrap();

    let wrong_ca = Ca::new("another CA").client_cert("kube-apiserver");
    // The serving CA signs this one: trusted for servers, not as a client CA.
    let server_ca_client = server.ca.client_cert("kube-apiserver");
    let intermediate_of_other = Ca::new("other root")
        .intermediate("other intermediate")
        .client_cert("x");
    for (name, cert) in [
        ("a client certificate from the wrong CA", Some(&wrong_ca)),
        (
            "a client certificate from the serving CA",
            Some(&server_ca_client),
        ),
        ("a chain to another root", Some(&intermediate_of_other)),
        ("no client certificate", None),
    ] {
        for protocol in Protocol::BOTH {
            let config = client_config(&roots, protocol.alpn(), cert);
            let refused = match Client::connect(server.webhook, config, protocol).await {
                Err(_) => true,
                // TLS 1.3: the client learns of the refusal on its first read.
                Ok(mut client) => client
                    .post("/validate", review("namespace-create-plain"))
                    .await
                    .is_err(),
            };
            assert!(refused, "{name} over {protocol:?} was served");
            assert_serves(&mut kept, &format!("kept connection after {name}")).await;
            let mut fresh = Client::connect(
                server.webhook,
                client_config(&roots, protocol.alpn(), Some(&trusted)),
                protocol,
            )
            .await
            .unwrap();
            assert_serves(&mut fresh, &format!("new trusted connection after {name}")).await;
        }
    }
    server.stop().await;
}

// ---------------------------------------------------------------- bounds of the rules engine

/// The rules engine reports at most ten findings per rule and level, with values clipped:
/// otherwise one annotation value well within Kubernetes' 256 KiB limit for all annotations
/// makes it report one problem per item, each quoting the whole value, so the answer and the
/// memory grow with the square of the value's length. Without those bounds, on the release
/// binary, a workload selector of 8 KiB of commas peaks at 89 MB resident (the Deployment's
/// limit is 64Mi: the pod is OOM-killed), 32 KiB at 1.1 GB, 256 KiB aborts past 4 GB; 30,000
/// duplicate cloud-annotation keys (1.3 MB, /validate, or any in-cluster client without mTLS)
/// take the process to 22 GB.
#[test]
fn answers_stay_small_for_annotation_values_within_kubernetes_limits() {
    use eastwest_guard::rules::{Config, NoCluster};
    use eastwest_guard::server::admission::{Endpoint, answer};
    let cases = [
        (
            "8 KiB workload selector of commas",
            json!({
                "traffic.tetrate.io/global": "true",
                "traffic.tetrate.io/eastwest-gateway-workload-selector": ",".repeat(8 * 1024),
            }),
        ),
        (
            "16 KiB workload selector of 'a,b=c ' pairs",
            json!({
                "traffic.tetrate.io/global": "true",
                "traffic.tetrate.io/eastwest-gateway-workload-selector":
                    format!("app={}", "a,b=c ".repeat(16 * 1024 / 6)),
            }),
        ),
        (
            "1,000 duplicate cloud-annotation keys",
            json!({
                "traffic.tetrate.io/global": "true",
                "traffic.tetrate.io/eastwest-gateway-cloud-annotations":
                    (0..1000).map(|i| format!("service.beta.kubernetes.io/k: \"v{i}\"\n")).collect::<String>(),
            }),
        ),
    ];
    for (name, annotations) in cases {
        let body = with(good(), "/request/object/metadata/annotations", annotations);
        let a = answer(Endpoint::Validate, &body, &Config::default(), &NoCluster);
        assert_eq!(a.http_status, 200, "{name}");
        assert!(
            a.body.len() <= 64 * 1024,
            "{name}: a {} byte body got a {} byte answer",
            body.len(),
            a.body.len()
        );
    }
}
