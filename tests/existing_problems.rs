//! `eastwest_guard_existing_problems{rule,level}`: with `--cluster-lookups`, the running
//! webhook counts the objects of its cache that carry problems, kept current as the cache
//! changes and as the configuration file is reloaded. The real server on 127.0.0.1 port 0,
//! with certificates made here; the cache is fed the events its watches would give.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Ca, eventually, metric, probe};
use eastwest_guard::cluster::{Change, ClusterCache};
use eastwest_guard::server::{self, RunningServer, ServeArgs};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

const GLOBAL: &str = "traffic.tetrate.io/global";
const TRIGGER: (&str, &str) = ("tetrate.io/rev", "default");

struct Running {
    server: RunningServer,
    _ca: Ca,
    dir: tempfile::TempDir,
}

async fn start(cache: Arc<ClusterCache>, config: &str) -> Running {
    let ca = Ca::new("eastwest-guard problems test CA");
    let leaf = ca.server_cert("webhook-problems");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, &leaf.cert_pem).unwrap();
    std::fs::write(&key, &leaf.key_pem).unwrap();
    let config_path = dir.path().join("eastwest-guard.yaml");
    std::fs::write(&config_path, config).unwrap();
    let flags = [
        "--listen=127.0.0.1:0".to_owned(),
        "--probe-listen=127.0.0.1:0".to_owned(),
        format!("--tls-cert={}", cert.display()),
        format!("--tls-key={}", key.display()),
        format!("--config={}", config_path.display()),
        "--cert-reload-interval=50ms".to_owned(),
        "--cluster-lookups".to_owned(),
    ];
    let args = ServeArgs::from_flags(flags).unwrap();
    let server = server::start(args, Some(cache)).await.unwrap();
    Running {
        server,
        _ca: ca,
        dir,
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

/// payments: a bad annotation (EW001, deny); shop: no trigger label, so its labelled Service
/// is not exposed (EW031, warn); legacy: a Service whose label is "True" (EW013, deny).
fn sync(cache: &ClusterCache) {
    cache.namespace_changed(Change::ListStart);
    for (name, labels, ann) in [
        ("payments", &[TRIGGER][..], &[(GLOBAL, "True")][..]),
        ("shop", &[], &[]),
        ("legacy", &[TRIGGER], &[]),
        ("tetrate-system", &[], &[]),
    ] {
        cache.namespace_changed(Change::Listed(&meta(None, name, labels, ann)));
    }
    cache.namespace_changed(Change::ListDone);
    cache.service_changed(Change::ListStart);
    for (ns, name, labels) in [
        ("shop", "cart", &[(GLOBAL, "true")][..]),
        ("legacy", "api", &[(GLOBAL, "True")]),
        ("default", "kubernetes", &[]),
    ] {
        cache.service_changed(Change::Listed(&meta(Some(ns), name, labels, &[])));
    }
    cache.service_changed(Change::ListDone);
}

async fn metrics(running: &Running) -> String {
    probe(running.server.probe_addr(), "/metrics").await.1
}

fn problems(text: &str, rule: &str, level: &str) -> Option<f64> {
    metric(
        text,
        &format!("eastwest_guard_existing_problems{{rule=\"{rule}\",level=\"{level}\"}}"),
    )
}

#[tokio::test]
async fn the_gauge_follows_the_cache_and_the_configuration() {
    let cache = Arc::new(ClusterCache::new());
    let running = start(cache.clone(), "warnOnly: false\n").await;
    let m = metrics(&running).await;
    assert!(
        !m.contains("eastwest_guard_existing_problems{"),
        "nothing before the sync: {m}"
    );

    sync(&cache);
    let m = metrics(&running).await;
    assert_eq!(problems(&m, "EW001", "deny"), Some(1.0), "{m}");
    assert_eq!(problems(&m, "EW013", "deny"), Some(1.0), "{m}");
    assert_eq!(problems(&m, "EW031", "warn"), Some(1.0), "{m}");
    // Bounded: a rule and a level, never an object's name.
    for line in m
        .lines()
        .filter(|l| l.starts_with("eastwest_guard_existing_problems{"))
    {
        let labels = &line[line.find('{').unwrap()..=line.find('}').unwrap()];
        assert!(
            labels.starts_with("{rule=\"EW0") && labels.matches('=').count() == 2,
            "{line}"
        );
    }

    // A Service fixed, another broken.
    cache.service_changed(Change::Applied(&meta(
        Some("legacy"),
        "api",
        &[(GLOBAL, "true")],
        &[],
    )));
    let m = metrics(&running).await;
    assert_eq!(
        problems(&m, "EW013", "deny"),
        Some(0.0),
        "a series that went to 0 says so: {m}"
    );
    cache.service_changed(Change::Applied(&meta(
        Some("legacy"),
        "web",
        &[(GLOBAL, "True")],
        &[],
    )));
    cache.service_changed(Change::Applied(&meta(
        Some("shop"),
        "web",
        &[(GLOBAL, "yes")],
        &[],
    )));
    assert_eq!(
        problems(&metrics(&running).await, "EW013", "deny"),
        Some(2.0)
    );
    cache.service_changed(Change::Deleted(&meta(Some("shop"), "web", &[], &[])));
    assert_eq!(
        problems(&metrics(&running).await, "EW013", "deny"),
        Some(1.0)
    );

    // The Namespace gets a trigger label: its labelled Service is exposed now (EW031 goes).
    cache.namespace_changed(Change::Applied(&meta(None, "shop", &[TRIGGER], &[])));
    assert_eq!(
        problems(&metrics(&running).await, "EW031", "warn"),
        Some(0.0)
    );
    // ... and loses it again.
    cache.namespace_changed(Change::Applied(&meta(None, "shop", &[], &[])));
    assert_eq!(
        problems(&metrics(&running).await, "EW031", "warn"),
        Some(1.0)
    );

    // A Namespace whose gateway goes to a namespace that does not exist (EW032), then does.
    let gw = [
        (GLOBAL, "true"),
        ("traffic.tetrate.io/eastwest-gateway-namespace", "gateways"),
    ];
    cache.namespace_changed(Change::Applied(&meta(None, "orders", &[TRIGGER], &gw)));
    assert_eq!(
        problems(&metrics(&running).await, "EW032", "warn"),
        Some(1.0)
    );
    cache.namespace_changed(Change::Applied(&meta(None, "gateways", &[], &[])));
    assert_eq!(
        problems(&metrics(&running).await, "EW032", "warn"),
        Some(0.0)
    );

    // The configuration reloaded: legacy warns only, so its Service's EW013 moves to warn.
    std::fs::write(
        running.dir.path().join("eastwest-guard.yaml"),
        "overrides:\n  - namespaces: [legacy]\n    warnOnly: true\n",
    )
    .unwrap();
    let moved = eventually(Duration::from_secs(10), || async {
        let m = metrics(&running).await;
        problems(&m, "EW013", "warn") == Some(1.0) && problems(&m, "EW013", "deny") == Some(0.0)
    })
    .await;
    assert!(moved, "{}", metrics(&running).await);
    let m = metrics(&running).await;
    assert_eq!(
        problems(&m, "EW001", "deny"),
        Some(1.0),
        "payments is not overridden: {m}"
    );
    running.server.shutdown();
}
