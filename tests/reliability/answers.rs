//! Answers do not grow with what a client sends, and an answer the client does not take is not
//! kept. A pod that reaches the webhook can send names, namespaces and keys of any length, and
//! can stop reading: names and namespaces past Kubernetes' own limits are refused (400) before
//! the rules run; every quoted name or key in an answer is at most 253 characters, each warning
//! at most 256, `status.message` at most 8 KiB; an answer not written by the request deadline
//! closes its connection (an HTTP/1.1 client that never reads; an HTTP/2 stream with a window
//! of zero) instead of waiting for `--idle-timeout`.

use std::time::{Duration, Instant};

use crate::common::h2;
use crate::common::*;
use hyper::StatusCode;
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt as _;

/// Annotations with many findings: denials (EW001, and EW011 for typos of eastwest-* keys,
/// ten shown and the rest counted) and warnings (EW011 for other unknown keys).
fn many_findings() -> Value {
    let mut a = Map::new();
    a.insert("traffic.tetrate.io/global".into(), json!("True"));
    for i in 0..40 {
        a.insert(
            format!("traffic.tetrate.io/eastwest-gateway-nam{i}"),
            json!("x"),
        );
        a.insert(format!("traffic.tetrate.io/unknown-{i}"), json!("x"));
    }
    Value::Object(a)
}

/// The plain Namespace fixture named `name`, with `annotations`.
fn namespace_named(name: &str, annotations: Value) -> Value {
    let mut v = review_json("namespace-create-plain");
    v["request"]["name"] = json!(name);
    v["request"]["namespace"] = json!(name);
    v["request"]["object"]["metadata"]["name"] = json!(name);
    v["request"]["object"]["metadata"]["annotations"] = annotations;
    v
}

/// The denied Service fixture in namespace `namespace`, named `name`.
fn service_named(namespace: &str, name: &str) -> Value {
    let mut v = review_json("service-create-denied");
    v["request"]["name"] = json!(name);
    v["request"]["namespace"] = json!(namespace);
    v["request"]["object"]["metadata"]["name"] = json!(name);
    v["request"]["object"]["metadata"]["namespace"] = json!(namespace);
    v
}

/// Every `"..."` in `text` (a backslash escapes the next character).
fn quoted(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut inside = String::new();
        let mut escaped = false;
        for c in chars.by_ref() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => break,
                c => {
                    escaped = false;
                    inside.push(c);
                }
            }
        }
        out.push(inside);
    }
    out
}

/// Characters no answer may carry raw: C0 and C1 controls, DEL, the line and paragraph
/// separators, bidi controls. `newline_ok`: `status.message` lists its problems one a line.
fn raw_controls(text: &str, newline_ok: bool) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            !(newline_ok && c == '\n')
                && (c.is_control()
                    || matches!(
                        c,
                        '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}'
                    )
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_past_kubernetes_limits_are_refused_before_the_rules() {
    let mut server = TestServer::start(&[]).await;
    let mut client = server.client(Protocol::Http1).await;
    let megabyte = "a".repeat(1_000_000);
    let label64 = "b".repeat(64);
    let mut generated = namespace_named("", many_findings());
    generated["request"]["object"]["metadata"]["generateName"] = json!(label64.clone());
    let cases = [
        (
            "a Namespace named with 1,000,000 characters",
            namespace_named(&megabyte, many_findings()),
        ),
        (
            "a Namespace named with 64 characters",
            namespace_named(&label64, many_findings()),
        ),
        ("a generateName of 64 characters", generated),
        (
            "a Service named with 64 characters",
            service_named("payments", &label64),
        ),
        (
            "a Service in a namespace of 1,000,000 characters",
            service_named(&megabyte, "ledger"),
        ),
    ];
    for (what, review) in cases {
        let body = serde_json::to_vec(&review).unwrap();
        for path in ["/validate", "/mutate"] {
            let started = Instant::now();
            let reply = client.post(path, body.clone()).await.unwrap();
            eprintln!(
                "{what} on {path}: {} byte review, {} {} byte answer in {:?}",
                body.len(),
                reply.status,
                reply.body.len(),
                started.elapsed()
            );
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what} on {path}");
            let text = reply.text();
            assert!(text.len() <= 512, "{what}: {} byte answer", text.len());
            assert!(
                text.contains("longer than Kubernetes allows"),
                "{what}: {text}"
            );
            assert_eq!(text.lines().count(), 1, "{what}: {text}");
        }
    }
    // At the limits, the rules run.
    let at_limit = namespace_named(&"c".repeat(63), many_findings());
    let reply = client
        .post("/validate", serde_json::to_vec(&at_limit).unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["response"]["allowed"], false);
    let reply = client
        .post(
            "/validate",
            serde_json::to_vec(&service_named(&"d".repeat(63), &"e".repeat(63))).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_bounded_whatever_the_keys_and_values() {
    let mut server = TestServer::start(&[]).await;
    let mut client = server.client(Protocol::Http2).await;
    // At Kubernetes' limits (a 63-character name, keys of 253 + 1 + 63 characters) and past
    // them where only a direct client can go (keys of 100,000 characters), with control and
    // bidi characters in names, keys and values.
    let name = format!("{}\u{1b}[31m\r\0\u{202e}", "n".repeat(50));
    let mut a = Map::new();
    a.insert("traffic.tetrate.io/global".into(), json!("True"));
    for i in 0..12 {
        a.insert(format!("traffic.tetrate.io/unknown-{i}"), json!("x"));
    }
    for i in 0..5 {
        a.insert(
            format!("{}{i}.example.com/{}", "p".repeat(240), "k".repeat(63)),
            json!("v\u{1b}\u{9b}\u{2028}"),
        );
        a.insert(
            format!("traffic.tetrate.io/{}\u{202e}{i}", "x".repeat(100_000)),
            json!("v"),
        );
        a.insert(
            format!("traffic.tetrate.io/eastwest-{}\u{7f}{i}", "y".repeat(300)),
            json!("\u{0}\u{85}"),
        );
        // Under the engine's own cut (320): echoed whole by it.
        a.insert(
            format!("traffic.tetrate.io/eastwest-{}{i}", "z".repeat(280)),
            json!("v"),
        );
    }
    let review = namespace_named(&name, Value::Object(a));
    let body = serde_json::to_vec(&review).unwrap();
    let reply = client.post("/validate", body.clone()).await.unwrap();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let v = reply.json();
    let r = &v["response"];
    let message = r["status"]["message"].as_str().unwrap_or("");
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    eprintln!(
        "a {} byte review: a {} byte answer, status.message {} bytes, {} warnings of at most {} \
         characters, longest quoted string {} characters, longest word {} characters",
        body.len(),
        reply.body.len(),
        message.len(),
        warnings.len(),
        warnings
            .iter()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0),
        quoted(message)
            .iter()
            .chain(
                warnings
                    .iter()
                    .flat_map(|w| quoted(w))
                    .collect::<Vec<_>>()
                    .iter()
            )
            .map(|q| q.chars().count())
            .max()
            .unwrap_or(0),
        std::iter::once(message)
            .chain(warnings.iter().copied())
            .flat_map(str::split_whitespace)
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0)
    );
    assert_eq!(r["allowed"], false);
    assert!(
        reply.body.len() <= 40 * 1024,
        "{} byte answer",
        reply.body.len()
    );
    assert!(message.len() <= 8 * 1024, "{} byte message", message.len());
    assert!(!warnings.is_empty());
    assert!(warnings.len() <= 16, "{} warnings", warnings.len());
    for text in std::iter::once(message).chain(warnings.iter().copied()) {
        for q in quoted(text) {
            assert!(
                q.chars().count() <= 253,
                "a quoted string of {} characters",
                q.chars().count()
            );
        }
        // Keys are not quoted: no word is longer than a name may be either.
        for word in text.split_whitespace() {
            assert!(
                word.chars().count() <= 253,
                "a word of {} characters",
                word.chars().count()
            );
        }
    }
    assert_eq!(
        raw_controls(message, true),
        Vec::<char>::new(),
        "{message:?}"
    );
    assert!(message.contains("\\u{1b}"), "{message}");
    for w in &warnings {
        assert!(w.chars().count() <= 256, "{w}");
        assert_eq!(raw_controls(w, false), Vec::<char>::new(), "{w:?}");
    }
    for (key, value) in r["auditAnnotations"].as_object().unwrap() {
        let value = value.as_str().unwrap();
        assert!(value.len() <= 1024, "{key}: {} bytes", value.len());
    }
    server.stop().await;
}

/// Reviews that are denied with many findings, pipelined on one HTTP/1.1 connection whose
/// client never reads: the answers fill the socket, and the connection is closed once one
/// has waited the request deadline to be written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_client_that_never_reads_is_closed_at_the_deadline() {
    let mut server = TestServer::start(&["--request-timeout", "2s", "--idle-timeout", "60s"]).await;
    let review = serde_json::to_vec(&namespace_named("team-a", many_findings())).unwrap();
    // A small receive buffer, so the answers fill it soon (a client that stopped reading
    // with a larger one holds more of them in its own kernel, then the same).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(server.webhook).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(server.client_config(&[b"http/1.1"]))
        .connect(name, tcp)
        .await
        .unwrap();
    let (mut rd, mut wr) = tokio::io::split(tls);
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        let head = http1_head(
            "/validate?timeout=10s",
            &format!("content-length: {}\r\n", review.len()),
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(&review);
        // 2,000 requests: far more answers than the socket buffers hold.
        for _ in 0..2000 {
            if wr.write_all(&request).await.is_err() {
                break;
            }
        }
        wr
    });
    let closed = eventually(Duration::from_secs(20), || async {
        let m = server.metrics().await;
        metric(&m, "eastwest_guard_connections_open") == Some(0.0)
    })
    .await;
    let waited = started.elapsed();
    let metrics = server.metrics().await;
    eprintln!(
        "HTTP/1.1 client that never reads: {} after {waited:?}",
        if closed { "closed" } else { "still open" }
    );
    assert!(closed, "the connection was kept: {metrics}");
    assert!(
        metric(
            &metrics,
            "eastwest_guard_connections_closed_by_server_total{reason=\"write_timeout\"}"
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{metrics}"
    );
    // The client sees the close once it reads.
    assert!(
        read_to_close(&mut rd, Duration::from_secs(10))
            .await
            .is_some()
    );
    writer.abort();
    for protocol in Protocol::BOTH {
        assert_new_connection_serves(&server, protocol, "after the non-reader").await;
    }
    server.stop().await;
}

/// An HTTP/2 client that sets its stream window to zero and never opens it: the answer's
/// DATA can never be sent. The connection is closed once the answer has waited the request
/// deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_stream_with_a_zero_window_is_cut_at_the_deadline() {
    let mut server = TestServer::start(&["--request-timeout", "2s", "--idle-timeout", "60s"]).await;
    let review = serde_json::to_vec(&namespace_named("team-a", many_findings())).unwrap();
    let tls = tls_connect(server.webhook, server.client_config(&[b"h2"]))
        .await
        .unwrap();
    let (mut rd, mut wr) = tokio::io::split(tls);
    let mut out = Vec::new();
    out.extend_from_slice(h2::PREFACE);
    out.extend_from_slice(&h2::settings_with(&[(h2::SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    out.extend_from_slice(&h2::settings_ack());
    let headers = h2::request_headers("/validate?timeout=10s");
    out.extend_from_slice(&h2::frame(h2::HEADERS, h2::END_HEADERS, 1, &headers));
    for (i, chunk) in review.chunks(16 * 1024).enumerate() {
        let last = (i + 1) * 16 * 1024 >= review.len();
        let flags = if last { h2::END_STREAM } else { 0 };
        out.extend_from_slice(&h2::frame(h2::DATA, flags, 1, chunk));
    }
    wr.write_all(&out).await.unwrap();
    wr.flush().await.unwrap();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut ended = None;
    while ended.is_none() {
        match h2::read_frame(&mut rd, deadline).await {
            Ok(f) if f.kind == h2::RST_STREAM && f.stream == 1 => ended = Some("stream reset"),
            Ok(f) if f.kind == h2::GOAWAY => ended = Some("GOAWAY"),
            Ok(f) if f.kind == h2::DATA && f.stream == 1 => {
                panic!("DATA sent past a window of zero")
            }
            Ok(_) => {}
            Err(why) if why == "timed out" => break,
            Err(_) => ended = Some("connection closed"),
        }
    }
    eprintln!(
        "HTTP/2 stream with a zero window: {} after {:?}",
        ended.unwrap_or("still open"),
        started.elapsed()
    );
    assert!(ended.is_some(), "the stream's answer was kept 20 s");
    for protocol in Protocol::BOTH {
        assert_new_connection_serves(&server, protocol, "after the zero window").await;
    }
    server.stop().await;
}
