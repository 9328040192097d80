//! Connection floods from a pod that can reach the ports: idle sockets on the plain-HTTP
//! probe port must not fail kubelet's probes (readiness would take the pod out of the Service,
//! liveness restart it), and sockets that send a ClientHello and then nothing must not keep
//! new webhook connections waiting. Each flood re-opens its sockets as the server cuts them,
//! for a bounded time.
//!
//! A binary of its own, its tests one at a time: what they show is that a client is answered
//! promptly through a flood, which other tests sharing the two cores would blur.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use hyper::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One flood at a time: they would measure each other.
static ONE_FLOOD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A flood on a runtime (and thread) of its own, so the server's workers are not the
/// attacker's: `sockets` tasks that each connect to `addr`, send `first` (maybe nothing), then
/// wait for the server to close and connect again. Stopped (and joined) by [`Flood::stop`].
struct Flood {
    stop: Arc<tokio::sync::Notify>,
    stopped: Arc<AtomicBool>,
    opened: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flood {
    fn start(addr: SocketAddr, sockets: usize, first: &'static [u8]) -> Flood {
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, stopped, opened) = (stop.clone(), stopped.clone(), opened.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let tasks: Vec<_> = (0..sockets)
                        .map(|_| {
                            let opened = opened.clone();
                            let stopped = stopped.clone();
                            tokio::spawn(async move {
                                while !stopped.load(Ordering::Relaxed) {
                                    one_socket(addr, first, &opened).await;
                                }
                            })
                        })
                        .collect();
                    stop.notified().await;
                    for t in tasks {
                        t.abort();
                    }
                });
            })
        };
        Flood {
            stop,
            stopped,
            opened,
            thread: Some(thread),
        }
    }

    /// Stops the flood; the count of connections it made.
    fn stop(mut self) -> usize {
        self.stopped.store(true, Ordering::Relaxed);
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        self.opened.load(Ordering::Relaxed)
    }
}

/// Connects, sends `first`, and reads (dropping it) whatever comes until the server closes.
async fn one_socket(addr: SocketAddr, first: &[u8], opened: &AtomicUsize) {
    let Ok(Ok(mut tcp)) =
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await
    else {
        tokio::time::sleep(Duration::from_millis(20)).await;
        return;
    };
    opened.fetch_add(1, Ordering::Relaxed);
    if !first.is_empty() && tcp.write_all(first).await.is_err() {
        return;
    }
    let mut buf = [0u8; 4096];
    while let Ok(n) = tcp.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// What kubelet does for an httpGet probe: a new connection, one GET, a 2 s timeout.
/// On a thread of its own, as kubelet is a process of its own: not queued behind the
/// server's tasks.
async fn kubelet_probe(addr: SocketAddr, path: &'static str) -> Result<Duration, String> {
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let started = Instant::now();
        match runtime.block_on(tokio::time::timeout(
            Duration::from_secs(2),
            try_probe(addr, path),
        )) {
            Ok(Ok((StatusCode::OK, _))) => Ok(started.elapsed()),
            Ok(Ok((status, body))) => Err(format!("{status}: {body}")),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no answer within 2 s".to_owned()),
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelet_probes_pass_through_a_flood_of_the_probe_port() {
    let _one = ONE_FLOOD.lock().await;
    let mut server = TestServer::start(&[]).await;
    for sockets in [64, 500] {
        let flood = Flood::start(server.probes, sockets, b"");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut passed = 0;
        let mut slowest = Duration::ZERO;
        let mut failures = Vec::new();
        for i in 0..13 {
            let path = if i % 2 == 0 { "/readyz" } else { "/healthz" };
            match kubelet_probe(server.probes, path).await {
                Ok(took) => {
                    passed += 1;
                    slowest = slowest.max(took);
                }
                Err(why) => failures.push(format!("{path}: {why}")),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let made = flood.stop();
        eprintln!(
            "{sockets} idle sockets on the probe port ({made} connections made): {passed} of 13 \
             kubelet-like probes passed, slowest {slowest:?}; {failures:?}"
        );
        assert_eq!(passed, 13, "{sockets} idle sockets: {failures:?}");
    }
    let metrics = server.metrics().await;
    assert!(metrics.contains("eastwest_guard_build_info"), "{metrics}");
    server.stop().await;
}

/// A ClientHello (TLS 1.3 and 1.2, SNI localhost, ALPN h2 and http/1.1) as rustls writes it.
fn client_hello() -> &'static [u8] {
    let config = client_config(&[], &[b"h2", b"http/1.1"], None);
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    hello.leak()
}

/// 1,100 sockets that send a ClientHello and then nothing, re-opened as they are cut, against
/// the default limits, with and without `--client-ca`: a new connection is served within 1 s
/// each time, over both protocols.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_handshakes_do_not_keep_new_connections_waiting() {
    let _one = ONE_FLOOD.lock().await;
    let hello = client_hello();
    for mtls in [false, true] {
        let client_ca = Ca::new("client CA");
        let kube_apiserver = client_ca.client_cert("kube-apiserver");
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("client-ca.crt");
        std::fs::write(&ca_path, &client_ca.pem).unwrap();
        let extra: Vec<&str> = if mtls {
            vec!["--client-ca", ca_path.to_str().unwrap()]
        } else {
            vec![]
        };
        let mut server = TestServer::start(&extra).await;
        let flood = Flood::start(server.webhook, 1100, hello);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut times = Vec::new();
        let mut failures = Vec::new();
        for round in 0..10 {
            let protocol = Protocol::BOTH[round % 2];
            let config = client_config(
                &[server.ca.der()],
                protocol.alpn(),
                mtls.then_some(&kube_apiserver),
            );
            let webhook = server.webhook;
            // On a thread of its own, as kube-apiserver is a process of its own: not queued
            // behind the server's tasks.
            let (served, took) = tokio::task::spawn_blocking(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let started = Instant::now();
                let served =
                    runtime.block_on(tokio::time::timeout(Duration::from_secs(15), async move {
                        let mut client = Client::connect(webhook, config, protocol).await?;
                        client
                            .post("/validate?timeout=10s", review("namespace-create-plain"))
                            .await
                    }));
                (served, started.elapsed())
            })
            .await
            .unwrap();
            times.push(took);
            match served {
                Ok(Ok(reply)) if reply.status == StatusCode::OK => {}
                Ok(Ok(reply)) => failures.push(format!("round {round}: {}", reply.status)),
                Ok(Err(e)) => failures.push(format!("round {round}: {e}")),
                Err(_) => failures.push(format!("round {round}: nothing in 15 s")),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let made = flood.stop();
        let within = times
            .iter()
            .filter(|t| **t <= Duration::from_secs(1))
            .count();
        eprintln!(
            "1,100 half-open handshakes (mTLS {mtls}, {made} connections made): {within} of 10 \
             new connections served within 1 s; times {times:?}; {failures:?}"
        );
        assert!(failures.is_empty(), "{failures:?}");
        // Generous (the machine may be busy with other work), and still well short of the
        // 9.5 s a connection queued behind the flood waited.
        let slowest = times.iter().max().copied().unwrap_or_default();
        assert!(slowest < Duration::from_secs(5), "{times:?}");
        server.stop().await;
    }
}
