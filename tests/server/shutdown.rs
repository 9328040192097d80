//! SIGTERM against the real binary under load: `/readyz` turns 503, the listener closes,
//! every request the server took in is answered, and the process exits 0.
//!
//! "In flight" is judged from both ends: every request gets a unique uid, the server logs the
//! uid of every request it handled, and a request that failed on the client is acceptable
//! only if it came after SIGTERM and the server never saw it (a keep-alive connection closed
//! under it before it was read). Requests deliberately left half-sent across the signal must
//! complete.

use std::collections::HashSet;
use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use hyper::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const FIXTURE_UID: &str = "0b4a5f1c-1f6e-4d8a-9c11-6f1e2a3b4c03";

/// The warned fixture with its uid replaced.
fn review_with_uid(uid: &str) -> Vec<u8> {
    let text = String::from_utf8(review("namespace-create-warned")).unwrap();
    assert!(text.contains(FIXTURE_UID));
    text.replacen(FIXTURE_UID, uid, 1).into_bytes()
}

/// The child process, killed if the test fails before it exits.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[derive(Default)]
struct LoadResult {
    ok: u64,
    /// Answered, but wrong: always a failure.
    bad_replies: Vec<String>,
    /// No answer: (uid, after SIGTERM, error).
    errors: Vec<(String, bool, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_load_answers_every_request_taken_in_and_exits_0() {
    let ca = Ca::new("shutdown test CA");
    let leaf = ca.server_cert("webhook");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, &leaf.cert_pem).unwrap();
    std::fs::write(&key, &leaf.key_pem).unwrap();

    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--probe-listen",
                "127.0.0.1:0",
            ])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .args(["--log-format", "json", "--drain-timeout", "20s"])
            .env("EASTWEST_GUARD_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id();

    // Drain stdout continuously (a full pipe would block the server), keeping every line.
    let lines = Arc::new(Mutex::new(Vec::<Value>::new()));
    let (serving_tx, serving_rx) = std::sync::mpsc::channel::<Value>();
    let stdout = child.0.stdout.take().unwrap();
    let reader = {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    panic!("not a JSON log line: {line}");
                };
                if v["message"] == "serving" {
                    let _ = serving_tx.send(v.clone());
                }
                lines.lock().unwrap().push(v);
            }
        })
    };
    let serving = serving_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server never logged that it was serving");
    let webhook: std::net::SocketAddr = serving["webhook"].as_str().unwrap().parse().unwrap();
    let probes: std::net::SocketAddr = serving["probes"].as_str().unwrap().parse().unwrap();
    let roots = [ca.der()];

    // Requests that will be in flight at SIGTERM: headers and half the body sent.
    let mut slow = Vec::new();
    for i in 0..3 {
        let uid = format!("slow-{i}");
        let body = review_with_uid(&uid);
        let mut tls = tls_connect(webhook, client_config(&roots, &[b"http/1.1"], None))
            .await
            .unwrap();
        let head = format!(
            "POST /validate?timeout=30s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&body[..body.len() / 2]).await.unwrap();
        tls.flush().await.unwrap();
        slow.push((uid, tls, body[body.len() / 2..].to_vec()));
    }

    // Load: keep-alive HTTP/1.1 connections and HTTP/2 connections, each sending back to back.
    let sigterm_sent = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for (n, protocol) in [
        Protocol::Http1,
        Protocol::Http1,
        Protocol::Http1,
        Protocol::Http1,
        Protocol::Http2,
        Protocol::Http2,
    ]
    .into_iter()
    .enumerate()
    {
        let config = client_config(&roots, protocol.alpn(), None);
        let (sigterm_sent, stop, answered) = (sigterm_sent.clone(), stop.clone(), answered.clone());
        load.push(tokio::spawn(async move {
            let mut result = LoadResult::default();
            let mut client = Client::connect(webhook, config, protocol).await.unwrap();
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let uid = format!("load-{n}-{i}");
                let after_sigterm = sigterm_sent.load(Ordering::SeqCst);
                match client
                    .post("/validate?timeout=10s", review_with_uid(&uid))
                    .await
                {
                    Ok(reply) => {
                        let good = reply.status == StatusCode::OK
                            && serde_json::from_slice::<Value>(&reply.body)
                                .is_ok_and(|v| v["response"]["uid"] == uid.as_str());
                        if good {
                            result.ok += 1;
                            answered.fetch_add(1, Ordering::Relaxed);
                        } else {
                            result.bad_replies.push(format!(
                                "{uid}: {} {}",
                                reply.status,
                                reply.text()
                            ));
                        }
                    }
                    Err(e) => {
                        let after = after_sigterm || sigterm_sent.load(Ordering::SeqCst);
                        result.errors.push((uid, after, e.to_string()));
                        // The connection is gone; after SIGTERM there is no new one to make.
                        break;
                    }
                }
            }
            result
        }));
    }
    let warmed_up = eventually(Duration::from_secs(30), || {
        let answered = answered.clone();
        async move { answered.load(Ordering::Relaxed) >= 300 }
    })
    .await;
    assert!(warmed_up, "the load never got going");

    // SIGTERM.
    sigterm_sent.store(true, Ordering::SeqCst);
    // Through sh's builtin kill: a bare machine may have no kill binary.
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", pid)])
        .status()
        .unwrap();
    assert!(killed.success());

    // Readiness goes first; the probe port stays up while the drain waits for the slow
    // requests.
    let unready = eventually(Duration::from_secs(10), || async {
        matches!(
            try_probe(probes, "/readyz").await,
            Ok((StatusCode::SERVICE_UNAVAILABLE, _))
        )
    })
    .await;
    assert!(unready, "/readyz never turned 503");
    // New connections are refused once the listener closes.
    let refused = eventually(Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(webhook).await.is_err()
    })
    .await;
    assert!(
        refused,
        "the webhook kept accepting connections after SIGTERM"
    );

    // The load connections end (Connection: close / GOAWAY); stop any that has not.
    let mut results = Vec::new();
    for task in load {
        match tokio::time::timeout(Duration::from_secs(15), task).await {
            Ok(result) => results.push(result.unwrap()),
            Err(_) => panic!("a load connection was still served 15s after SIGTERM"),
        }
    }
    stop.store(true, Ordering::Relaxed);

    // The half-sent requests complete, each answered and told the connection closes.
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the process exited with requests in flight"
    );
    for (uid, mut tls, rest) in slow {
        tls.write_all(&rest).await.unwrap();
        tls.flush().await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw))
            .await
            .expect("no answer to an in-flight request")
            .ok();
        let raw = String::from_utf8_lossy(&raw);
        assert!(raw.starts_with("HTTP/1.1 200 OK"), "{uid}: {raw}");
        assert!(
            raw.to_ascii_lowercase().contains("connection: close"),
            "{uid}: {raw}"
        );
        assert!(raw.contains(&format!("\"uid\":\"{uid}\"")), "{uid}: {raw}");
    }

    // Exit 0, in bounded time.
    let mut status = None;
    for _ in 0..300 {
        if let Some(s) = child.0.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("the process did not exit within 15s of its last request");
    assert!(status.success(), "exit status {status}");
    reader.join().unwrap();

    // Judge every request against what the server logged.
    let lines = lines.lock().unwrap();
    let handled: HashSet<&str> = lines
        .iter()
        .filter(|l| l["message"] == "admission review")
        .filter_map(|l| l["uid"].as_str())
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "shut down cleanly"),
        "no clean shutdown in the log"
    );
    let mut total_ok = 0;
    for result in &results {
        total_ok += result.ok;
        assert!(result.bad_replies.is_empty(), "{:?}", result.bad_replies);
        for (uid, after_sigterm, error) in &result.errors {
            assert!(after_sigterm, "{uid} failed before SIGTERM: {error}");
            assert!(
                !handled.contains(uid.as_str()),
                "{uid} was taken in by the server but never answered: {error}"
            );
        }
    }
    let refused_after: usize = results.iter().map(|r| r.errors.len()).sum();
    eprintln!(
        "{total_ok} requests answered, {refused_after} not taken in after SIGTERM, {} handled in all",
        handled.len()
    );
    assert!(total_ok >= 300);
    for i in 0..3 {
        assert!(handled.contains(format!("slow-{i}").as_str()));
    }
}
