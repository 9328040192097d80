//! The webhook with `--cluster-lookups`' cache plugged in: readiness waits for the first sync
//! (bounded), lookups are skipped (and said to be) while the cache is not synced, and EW020
//! names the Services from the cache once it is.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{self, Ca, Client, Protocol, metric, probe, review};
use eastwest_guard::cluster::{Change, ClusterCache};
use eastwest_guard::server::{self, RunningServer, ServeArgs};
use hyper::StatusCode;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

struct Running {
    server: RunningServer,
    ca: Ca,
    _dir: tempfile::TempDir,
}

async fn start(cache: Arc<ClusterCache>, extra: &[&str]) -> Running {
    let ca = Ca::new("eastwest-guard cluster test CA");
    let leaf = ca.server_cert("webhook-cluster");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, &leaf.cert_pem).unwrap();
    std::fs::write(&key, &leaf.key_pem).unwrap();
    let mut flags = vec![
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--probe-listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--tls-cert".to_owned(),
        cert.display().to_string(),
        "--tls-key".to_owned(),
        key.display().to_string(),
        "--cluster-lookups".to_owned(),
    ];
    flags.extend(extra.iter().map(|s| s.to_string()));
    let args = ServeArgs::from_flags(flags).unwrap();
    assert!(args.cluster_lookups);
    let server = server::start(args, Some(cache)).await.unwrap();
    Running {
        server,
        ca,
        _dir: dir,
    }
}

impl Running {
    async fn client(&self) -> Client {
        let config = common::client_config(&[self.ca.der()], Protocol::Http1.alpn(), None);
        Client::connect(self.server.webhook_addr(), config, Protocol::Http1)
            .await
            .unwrap()
    }
}

fn meta(ns: Option<&str>, name: &str, labels: &[(&str, &str)], ann: &[(&str, &str)]) -> ObjectMeta {
    let m = |p: &[(&str, &str)]| {
        Some(
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    ObjectMeta {
        name: Some(name.into()),
        namespace: ns.map(str::to_owned),
        labels: m(labels),
        annotations: m(ann),
        ..ObjectMeta::default()
    }
}

/// The cluster of the `namespace-update-switch-off` review: Namespace "checkout",
/// namespace-level, with two unlabelled Services and a labelled one.
fn sync(cache: &ClusterCache) {
    cache.namespace_changed(Change::ListStart);
    for ns in ["checkout", "tetrate-system"] {
        cache.namespace_changed(Change::Listed(&meta(
            None,
            ns,
            &[("tetrate.io/rev", "default")],
            &[("traffic.tetrate.io/global", "true")],
        )));
    }
    cache.namespace_changed(Change::ListDone);
    cache.service_changed(Change::ListStart);
    for (name, labelled) in [("cart", false), ("payments-db", false), ("api", true)] {
        let labels: &[(&str, &str)] = if labelled {
            &[("traffic.tetrate.io/global", "true")]
        } else {
            &[]
        };
        cache.service_changed(Change::Listed(&meta(Some("checkout"), name, labels, &[])));
    }
    cache.service_changed(Change::ListDone);
}

fn message(reply: &common::Reply) -> String {
    reply.json()["response"]["status"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn readiness_waits_for_the_first_sync_and_ew020_names_the_services() {
    let cache = Arc::new(ClusterCache::new());
    let running = start(cache.clone(), &["--cluster-sync-timeout", "60s"]).await;
    let probes = running.server.probe_addr();
    let (status, body) = probe(probes, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("cluster cache"), "{body}");

    // Requests are answered all the same, without lookups, and say so in a metric.
    let mut client = running.client().await;
    let reply = client
        .post("/validate", review("namespace-update-switch-off"))
        .await
        .unwrap();
    assert_eq!(reply.json()["response"]["allowed"], false);
    assert!(
        !message(&reply).contains("payments-db"),
        "{}",
        message(&reply)
    );
    let (_, text) = probe(probes, "/metrics").await;
    assert_eq!(
        metric(&text, "eastwest_guard_cluster_lookups_skipped_total"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "eastwest_guard_cluster_cache_synced"),
        Some(0.0)
    );

    sync(&cache);
    assert_eq!(probe(probes, "/readyz").await.0, StatusCode::OK);
    let reply = client
        .post("/validate", review("namespace-update-switch-off"))
        .await
        .unwrap();
    let m = message(&reply);
    assert!(m.contains("2 Services: cart, payments-db"), "{m}");
    let (_, text) = probe(probes, "/metrics").await;
    assert_eq!(
        metric(&text, "eastwest_guard_cluster_lookups_skipped_total"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "eastwest_guard_cluster_cache_synced"),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            "eastwest_guard_cluster_cache_objects{kind=\"Service\"}"
        ),
        Some(3.0)
    );
    running.server.shutdown();
    running.server.wait().await;
}

#[tokio::test]
async fn readiness_stops_waiting_after_the_sync_timeout() {
    let cache = Arc::new(ClusterCache::new());
    let running = start(cache.clone(), &["--cluster-sync-timeout", "200ms"]).await;
    let probes = running.server.probe_addr();
    let mut ready = None;
    for _ in 0..200 {
        let (status, body) = probe(probes, "/readyz").await;
        if status == StatusCode::OK {
            ready = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = ready.expect("ready after --cluster-sync-timeout");
    assert!(body.contains("lookups are skipped"), "{body}");
    running.server.shutdown();
    running.server.wait().await;
}

/// The real binary with --cluster-lookups and an API server that is not there: it starts,
/// becomes ready after --cluster-sync-timeout, answers, and logs that the watch failed.
#[test]
fn the_binary_serves_when_the_api_server_is_unreachable() {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    // Port 9 on loopback (discard): nothing listens there in a test environment.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\n\
         contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\ncurrent-context: gone\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    let port = |()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (web, probes) = (port(()), port(()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .args([
            "serve",
            "--cluster-lookups",
            "--cluster-sync-timeout",
            "300ms",
            "--log-format",
            "text",
        ])
        .args([
            "--listen",
            &format!("127.0.0.1:{web}"),
            "--probe-listen",
            &format!("127.0.0.1:{probes}"),
        ])
        .arg("--self-signed-cert-out")
        .arg(dir.path().join("cert.pem"))
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{probes}").parse().unwrap();
    let mut ready = None;
    for _ in 0..250 {
        if let Ok((StatusCode::OK, body)) = runtime.block_on(common::try_probe(addr, "/readyz")) {
            ready = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let mut log = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut log).unwrap();
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut log).unwrap();
    }
    let body = ready.unwrap_or_else(|| panic!("never ready:\n{log}"));
    assert!(body.contains("lookups are skipped"), "{body}");
    assert!(log.contains("cluster watch failed"), "{log}");
    assert!(status.success(), "{status:?}\n{log}");
}
