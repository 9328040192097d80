//! The real binary's `/metrics` carries the standard process metrics of the server process
//! itself: started on 127.0.0.1 port 0 with a self-signed certificate, scraped on its probe
//! port, its values checked against what the kernel says about that process.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{metric, probe};
use hyper::StatusCode;

/// Stops the server even when an assertion fails first.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The probe address from the server's first log line (`serving webhook=... probes=...`).
fn probe_addr(child: &mut Child) -> SocketAddr {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let addr = line
                .split_whitespace()
                .find_map(|word| word.strip_prefix("probes="))
                .and_then(|a| a.parse::<SocketAddr>().ok());
            if let Some(addr) = addr {
                let _ = tx.send(addr);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the server never logged its probe address")
}

fn soft_limit_of(pid: u32, what: &str) -> f64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    limits
        .lines()
        .find_map(|l| l.strip_prefix(what))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {what} in:\n{limits}"))
}

#[test]
fn the_binary_exports_its_own_process_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let spawned_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let child = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .args(["serve", "--log-format", "text"])
        .args(["--listen", "127.0.0.1:0", "--probe-listen", "127.0.0.1:0"])
        .arg("--self-signed-cert-out")
        .arg(dir.path().join("cert.pem"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let pid = server.0.id();
    let addr = probe_addr(&mut server.0);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, text) = runtime.block_on(probe(addr, "/metrics"));
    assert_eq!(status, StatusCode::OK);
    let value = |series: &str| {
        metric(&text, series).unwrap_or_else(|| panic!("{series} missing from:\n{text}"))
    };

    // The server's start, not the test's: between the spawn (the kernel's start time is in
    // clock ticks from boot, whole seconds here) and now.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let start = value("process_start_time_seconds");
    assert!(
        start >= spawned_at.floor() - 1.0 && start <= now,
        "start {start}, spawned at {spawned_at}, now {now}"
    );
    assert_eq!(
        value("process_max_fds"),
        soft_limit_of(pid, "Max open files")
    );
    // Listeners, the runtime's epoll and eventfd, stdio: a handful at least.
    let open = value("process_open_fds");
    assert!((5.0..=value("process_max_fds")).contains(&open), "{open}");
    let rss = value("process_resident_memory_bytes");
    assert!(
        (1024.0 * 1024.0..512.0 * 1024.0 * 1024.0).contains(&rss),
        "{rss}"
    );
    assert!(value("process_virtual_memory_bytes") >= rss);
    // The multi-threaded runtime: the main thread and its workers.
    assert!(value("process_threads") >= 2.0);
    assert!(value("process_cpu_seconds_total") >= 0.0);
    for line in [
        "# TYPE process_cpu_seconds counter",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_open_fds gauge",
        "# TYPE process_max_fds gauge",
        "# TYPE process_start_time_seconds gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    // The server's own families are still there, under their prefix.
    assert!(
        text.contains("\neastwest_guard_build_info{version="),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}
