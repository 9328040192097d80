//! `eastwest-guard audit` of 5,000 Namespaces and 50,000 Services: the release binary (bench
//! profile) against the tests' fake kube-apiserver on 127.0.0.1, in pages of 500 as against a
//! real cluster. Target: under 5 s and under 200 MiB.
//!
//! Wall time is criterion's (each iteration one run of the binary, from start to exit); the
//! peak resident memory of the binary is read after, with `/usr/bin/time` (GNU time) around
//! three more runs. The objects are sized as kube-apiserver sends them: `managedFields`, a
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, the whole spec and status of
//! a Service; a tenth of the Namespaces are namespace-level, a fifth of the Services labelled,
//! and a few objects carry each kind of problem, so the findings are written too.
//!
//!     cargo bench --bench audit
//!
//! Under `cargo test` (no `--bench`), a small cluster is audited once, with the debug binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../tests/audit/apiserver.rs"]
#[allow(dead_code)]
mod apiserver;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apiserver::{Behaviour, FakeApiServer, Store, kubeconfig, namespace, service};
use criterion::Criterion;
use serde_json::{Value, json};

const GLOBAL: &str = "traffic.tetrate.io/global";

/// A last-applied annotation of `bytes` bytes, as `kubectl apply` leaves one.
fn last_applied(kind: &str, name: &str, bytes: usize) -> String {
    let head = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"{kind}\",\"metadata\":{{\"name\":\"{name}\",\"labels\":{{"
    );
    let mut text = head;
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!("\"label-{i}\":\"value-{i}\","));
        i += 1;
    }
    text.push_str("\"end\":\"x\"}}}\n");
    text
}

fn namespaces(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let name = format!("team-{i:04}");
            let mut labels = json!({"app.kubernetes.io/managed-by": "Helm", "team": format!("t{}", i % 40)});
            let mut annotations = json!({
                "kubectl.kubernetes.io/last-applied-configuration": last_applied("Namespace", &name, 600),
            });
            // Most have a workspace; a tenth are namespace-level; one in a hundred sends its
            // gateway to a namespace that does not exist (EW032); one in two hundred is
            // namespace-level without a trigger label (EW030).
            if i % 200 != 7 && i % 5 != 4 {
                labels["istio-injection"] = json!("enabled");
            }
            if i % 10 == 0 || i % 200 == 7 {
                annotations[GLOBAL] = json!("true");
            }
            if i % 100 == 3 {
                annotations["traffic.tetrate.io/eastwest-gateway-namespace"] = json!("gateways");
            }
            namespace(&name, labels, annotations)
        })
        .collect()
}

fn services(namespaces: usize, per_namespace: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(namespaces * per_namespace);
    for n in 0..namespaces {
        let ns = format!("team-{n:04}");
        for j in 0..per_namespace {
            let i = n * per_namespace + j;
            let name = format!("svc-{j:02}");
            let mut labels = json!({"app": name, "version": "v1", "helm.sh/chart": "team-1.2.3"});
            // A fifth labelled; one in two hundred with a value the guard denies (EW013).
            match i % 200 {
                0..=39 => labels[GLOBAL] = json!("true"),
                41 => labels[GLOBAL] = json!("True"),
                _ => {}
            }
            let annotations = json!({
                "kubectl.kubernetes.io/last-applied-configuration": last_applied("Service", &name, 700),
            });
            let type_ = if i % 500 == 1 {
                "ExternalName"
            } else {
                "ClusterIP"
            };
            out.push(service(&ns, &name, type_, labels, annotations));
        }
    }
    out
}

/// One audit; returns its exit code.
fn audit(bin: &str, config: &str, home: &std::path::Path) -> Option<i32> {
    Command::new(bin)
        .args(["audit", "--kubeconfig", config, "--output", "json"])
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run eastwest-guard")
        .code()
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (ns_count, per_namespace) = if bench { (5_000, 10) } else { (50, 10) };
    let namespaces = namespaces(ns_count);
    let services = services(ns_count, per_namespace);
    let bytes = |items: &[Value]| items.iter().map(|v| v.to_string().len()).sum::<usize>();
    let metadata_bytes = |items: &[Value]| {
        items
            .iter()
            .map(|v| json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}).to_string().len())
            .sum::<usize>()
    };
    println!(
        "cluster: {} Namespaces ({:.1} MiB, {:.1} MiB metadata-only), {} Services ({:.1} MiB whole, \
         {:.1} MiB metadata-only)",
        namespaces.len(),
        bytes(&namespaces) as f64 / 1048576.0,
        metadata_bytes(&namespaces) as f64 / 1048576.0,
        services.len(),
        bytes(&services) as f64 / 1048576.0,
        metadata_bytes(&services) as f64 / 1048576.0,
    );
    let server = FakeApiServer::start(Store::new(&namespaces, &services), Behaviour::default());
    drop((namespaces, services));
    let home = tempfile::tempdir().expect("temporary home");
    let config_path = home.path().join("kubeconfig.yaml");
    std::fs::write(&config_path, kubeconfig(&server.url(), "bench", "token")).expect("kubeconfig");
    let config = config_path.to_str().expect("UTF-8 path").to_owned();
    let bin = env!("CARGO_BIN_EXE_eastwest-guard");
    // Problems the guard denies are in the cluster: exit 1 is the audit working.
    assert_eq!(
        audit(bin, &config, home.path()),
        Some(1),
        "the audit must run and find denials"
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30))
        .configure_from_args();
    c.bench_function(
        &format!(
            "audit/{ns_count}_namespaces_{}_services",
            ns_count * per_namespace
        ),
        |b| b.iter(|| audit(bin, &config, home.path())),
    );
    c.final_summary();

    if bench && std::path::Path::new("/usr/bin/time").exists() {
        for _ in 0..3 {
            let started = Instant::now();
            let out = Command::new("/usr/bin/time")
                .args([
                    "-f",
                    "%M",
                    bin,
                    "audit",
                    "--kubeconfig",
                    &config,
                    "--output",
                    "json",
                ])
                .env("HOME", home.path())
                .stdout(Stdio::null())
                .output()
                .expect("run /usr/bin/time");
            let kib: u64 = String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            println!(
                "one audit: {:.2} s wall, peak RSS {:.1} MiB",
                started.elapsed().as_secs_f64(),
                kib as f64 / 1024.0
            );
        }
    }
}
