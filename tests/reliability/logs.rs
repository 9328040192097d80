//! Log lines and answers carry no raw control characters and no line is longer than 16 KiB,
//! whatever a client sends: the real binary, in JSON and in text, gets uids, user names,
//! kinds and names of a megabyte with C0 and C1 controls, DEL, line separators and bidi
//! controls in them, refused requests (404, 405, a flood of them), and its stdout is read back.
//! Container runtimes split lines over 16 KiB, which breaks JSON log pipelines; raw controls
//! rewrite a terminal or hide text from the reader.

use std::time::{Duration, Instant};

use crate::common::*;
use hyper::StatusCode;
use serde_json::{Value, json};

/// What a client puts in every string it controls.
const NASTY: &str =
    "\u{1b}[2J\r\0\u{7f}\u{85}\u{9b}\u{2028}\u{2029}\u{61c}\u{200e}\u{202e}\u{2066}";

fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Every string in a JSON value, keys included.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

async fn send_hostile_requests(webhook: std::net::SocketAddr, ca: &Ca) -> usize {
    let config = client_config(&[ca.der()], &[b"http/1.1"], None);
    let mut client = Client::connect(webhook, config.clone(), Protocol::Http1)
        .await
        .unwrap();
    let megabyte = format!("{}{NASTY}", "x".repeat(1_000_000));
    let mut reviews = Vec::new();
    let mut v = review_json("namespace-create-plain");
    v["request"]["uid"] = json!(megabyte);
    reviews.push(v);
    let mut v = review_json("namespace-create-plain");
    v["request"]["userInfo"]["username"] = json!(megabyte);
    reviews.push(v);
    let mut v = review_json("namespace-create-plain");
    v["request"]["kind"]["kind"] = json!(megabyte);
    reviews.push(v);
    let mut v = review_json("namespace-create-plain");
    v["request"]["name"] = json!(megabyte);
    v["request"]["object"]["metadata"]["name"] = json!(megabyte);
    reviews.push(v);
    let mut v = review_json("namespace-create-plain");
    v["request"]["subResource"] = json!(megabyte);
    reviews.push(v);
    let mut v = review_json("namespace-create-plain");
    v["request"]["uid"] = json!(format!("uid{NASTY}"));
    v["request"]["userInfo"]["username"] = json!(format!("user{NASTY}"));
    v["request"]["name"] = json!(format!("ns{NASTY}"));
    v["request"]["object"]["metadata"]["name"] = json!(format!("ns{NASTY}"));
    v["request"]["object"]["metadata"]["annotations"] = json!({
        "traffic.tetrate.io/global": format!("True{NASTY}"),
        format!("traffic.tetrate.io/unknown{NASTY}"): "x",
    });
    reviews.push(v);
    for v in &reviews {
        for path in ["/validate", "/mutate"] {
            let reply = client
                .post(path, serde_json::to_vec(v).unwrap())
                .await
                .unwrap();
            assert!(
                reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST,
                "{}",
                reply.status
            );
            if reply.status == StatusCode::OK {
                let mut all = Vec::new();
                strings(&reply.json(), &mut all);
                for s in all {
                    // The uid is echoed as sent (kube-apiserver matches it byte for byte).
                    if s.contains("xxxxxxxxxx") || s.starts_with("uid") {
                        continue;
                    }
                    let raw: Vec<char> = s.chars().filter(|&c| forbidden(c) && c != '\n').collect();
                    assert!(raw.is_empty(), "raw {raw:?} in the answer: {s:?}");
                }
            }
        }
    }
    // Refused requests: 404 (a long path), 405, then a flood of 404s.
    for _ in 0..3 {
        let path = format!("/{}%1b%0d", "p".repeat(4000));
        let reply = client.send("POST", &path, vec![]).await.unwrap();
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let reply = client.send("GET", "/validate", vec![]).await.unwrap();
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    }
    let flood = 1000;
    for i in 0..flood {
        let reply = client
            .send("GET", &format!("/admin/{i}"), vec![])
            .await
            .unwrap();
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    flood
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_escaped_and_at_most_16_kib() {
    for format in ["json", "text"] {
        let ca = Ca::new("log CA");
        let leaf = ca.server_cert("webhook");
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, &leaf.cert_pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
        let server = Binary::spawn(
            [
                "--log-format".as_ref(),
                format.as_ref(),
                "--tls-cert".as_ref(),
                cert.as_os_str(),
                "--tls-key".as_ref(),
                key.as_os_str(),
            ],
            &[],
        );
        let started = Instant::now();
        let flood = send_hostile_requests(server.webhook, &ca).await;
        let seconds = started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, lines) = server.stop();
        assert!(status.success(), "{status}");
        let longest = lines.iter().map(String::len).max().unwrap_or(0);
        let refused_lines = lines
            .iter()
            .filter(|l| l.contains("request refused"))
            .count();
        let raw_lines = lines.iter().filter(|l| l.chars().any(forbidden)).count();
        eprintln!(
            "{format}: {} lines, longest {longest} bytes, {raw_lines} with raw controls, \
             {refused_lines} lines for {} refused requests in {seconds:.1} s",
            lines.len(),
            flood + 6
        );
        assert!(longest <= 16 * 1024, "{format}: a line of {longest} bytes");
        assert_eq!(raw_lines, 0, "{format}: raw control characters in the log");
        assert!(
            lines.iter().any(|l| l.contains("admission review")),
            "{format}: no request line"
        );
        // Each refused request is logged, at most 10 lines a second with a count of the rest.
        assert!(
            refused_lines >= 6,
            "{format}: {refused_lines} lines for refused requests"
        );
        let allowed = 10.0 * (seconds + 1.0) + 6.0;
        assert!(
            (refused_lines as f64) <= allowed,
            "{format}: {refused_lines} lines for a flood of {flood}"
        );
        assert!(
            lines.iter().any(|l| l.contains("others_since_last_line")),
            "{format}: the flood's count is not said"
        );
        if format == "json" {
            for line in &lines {
                let v: Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                let mut all = Vec::new();
                strings(&v, &mut all);
                for s in all {
                    assert!(!s.chars().any(forbidden), "{s:?} in {line}");
                }
            }
        }
    }
}
