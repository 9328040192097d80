//! Faults under load: the serving certificate is rotated several times through the
//! Kubernetes `..data` symlink swap (and once to a broken pair) while clients send reviews
//! over kept HTTP/1.1 and HTTP/2 connections and over connections made anew all the time;
//! no request fails.
//!
//! CI runs it with 4,000 requests. The bounded load of 200,000 is the same test:
//!
//!     ROTATION_REQUESTS=200000 cargo test --release --test reliability faults:: -- --nocapture
//!
//! (SIGTERM under load against the real binary is tests/server/shutdown.rs.)

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use hyper::StatusCode;
use serde_json::Value;

#[derive(Clone, Copy, Debug)]
enum Mode {
    KeepHttp1,
    KeepHttp2,
    /// A new connection (and TLS handshake) every few requests, alternating protocols.
    Reconnect,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotations_under_load_fail_no_request() {
    let total: usize = std::env::var("ROTATION_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000);
    let rotations = 5usize;
    let ca = Ca::new("rotation under load CA");
    let leaves: Vec<Leaf> = (0..=rotations)
        .map(|i| ca.server_cert(&format!("generation-{i}")))
        .collect();
    let stray = Ca::new("stray").server_cert("stray");
    let dir = tempfile::tempdir().unwrap();
    let mut secret = SecretDir::new(dir.path(), &leaves[0].cert_pem, &leaves[0].key_pem);
    let (cert, key) = (secret.cert(), secret.key());
    let mut server = TestServer::start_with(
        ca,
        tempfile::tempdir().unwrap(),
        &cert,
        &key,
        &["--cert-reload-interval", "50ms"],
    )
    .await;
    let roots = [server.ca.der()];

    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::new(Mutex::new(BTreeSet::<Vec<u8>>::new()));
    let started = Instant::now();
    let mut workers = Vec::new();
    let modes = [
        Mode::KeepHttp1,
        Mode::KeepHttp1,
        Mode::KeepHttp1,
        Mode::KeepHttp2,
        Mode::KeepHttp2,
        Mode::Reconnect,
        Mode::Reconnect,
        Mode::Reconnect,
    ];
    for (w, mode) in modes.into_iter().enumerate() {
        let (next, done, failures, seen) =
            (next.clone(), done.clone(), failures.clone(), seen.clone());
        let addr = server.webhook;
        let roots = roots.clone();
        workers.push(tokio::spawn(async move {
            let mut client: Option<Client> = None;
            let mut on_this_connection = 0;
            let mut reconnects = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                if client.is_none() || matches!(mode, Mode::Reconnect) && on_this_connection >= 20 {
                    let protocol = match mode {
                        Mode::KeepHttp1 => Protocol::Http1,
                        Mode::KeepHttp2 => Protocol::Http2,
                        Mode::Reconnect => Protocol::BOTH[reconnects % 2],
                    };
                    reconnects += 1;
                    let config = client_config(&roots, protocol.alpn(), None);
                    match tls_connect(addr, config).await {
                        Ok(tls) => {
                            let served = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
                            seen.lock().unwrap().insert(served);
                            client = Some(Client::over(tls, protocol).await.unwrap());
                            on_this_connection = 0;
                        }
                        Err(e) => {
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("worker {w}: connect: {e}"));
                            continue;
                        }
                    }
                }
                let uid = format!("rot-{n}");
                let fixture = if n % 3 == 0 {
                    "namespace-create-denied"
                } else {
                    "namespace-create-warned"
                };
                let path = if n % 2 == 0 {
                    "/validate?timeout=10s"
                } else {
                    "/mutate?timeout=10s"
                };
                let reply = client
                    .as_mut()
                    .unwrap()
                    .post(path, review_with_uid(fixture, &uid))
                    .await;
                on_this_connection += 1;
                match reply {
                    Ok(reply)
                        if reply.status == StatusCode::OK
                            && serde_json::from_slice::<Value>(&reply.body)
                                .is_ok_and(|v| v["response"]["uid"] == uid.as_str()) =>
                    {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(reply) => failures.lock().unwrap().push(format!(
                        "{uid} ({mode:?}): {} {}",
                        reply.status,
                        reply.text()
                    )),
                    Err(e) => {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{uid} ({mode:?}): {e}"));
                        client = None;
                    }
                }
            }
        }));
    }

    // The rotations, spread over the load: each one swaps `..data`, then waits until a new
    // connection is served the new certificate. Halfway, a broken pair (the key of another
    // certificate) is swapped in first and must be refused while the load goes on.
    let mut observed = 0;
    #[allow(clippy::needless_range_loop)] // r is also the rotation's number
    for r in 1..=rotations {
        let due = total * r / (rotations + 1);
        let reached = eventually(Duration::from_secs(120), || {
            let done = done.clone();
            let failures = failures.clone();
            async move { done.load(Ordering::Relaxed) + failures.lock().unwrap().len() >= due }
        })
        .await;
        assert!(reached, "the load stalled before rotation {r}");
        if r == rotations / 2 + 1 {
            secret.swap(&leaves[r].cert_pem, &stray.key_pem);
            let refused = eventually(Duration::from_secs(10), || async {
                metric(
                    &server.metrics().await,
                    "eastwest_guard_tls_cert_reloads_total{result=\"failure\"}",
                ) == Some(1.0)
            })
            .await;
            assert!(refused, "the broken pair was not refused");
        }
        secret.swap(&leaves[r].cert_pem, &leaves[r].key_pem);
        let config = server.client_config(&[b"h2"]);
        let want = leaves[r].der.to_vec();
        let rotated = eventually(Duration::from_secs(10), || {
            let config = config.clone();
            let want = want.clone();
            let addr = server.webhook;
            async move {
                let tls = tls_connect(addr, config).await.unwrap();
                tls.get_ref().1.peer_certificates().unwrap()[0].as_ref() == want.as_slice()
            }
        })
        .await;
        assert!(rotated, "rotation {r} was never served");
        observed += 1;
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed();
    let failures = failures.lock().unwrap().clone();
    let answered = done.load(Ordering::Relaxed);
    let distinct = seen.lock().unwrap().len();
    eprintln!(
        "{answered} of {total} requests answered, {} failed, in {elapsed:.1?} ({:.0}/s); {observed} rotations \
         served; the reconnecting clients saw {distinct} distinct certificates",
        failures.len(),
        answered as f64 / elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert_eq!(answered, total);
    assert_eq!(observed, rotations);
    assert!(
        distinct >= 2,
        "the reconnecting clients never saw a rotation"
    );
    let metrics = server.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "eastwest_guard_tls_cert_reloads_total{result=\"success\"}"
        ),
        Some(rotations as f64),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            "eastwest_guard_tls_cert_reloads_total{result=\"failure\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&metrics, "eastwest_guard_handler_panics_total"),
        Some(0.0)
    );
    server.stop().await;
}
