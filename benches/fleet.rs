//! `fleet` over 20 clusters of 2,000 Namespaces and 10 Services each (400,000 Services), and
//! over a tenth of that (20 x 200 x 10, 40,000 Services) to show the cost is linear in
//! Services. Target: the 400,000 judged in under 5 s and under 1 GiB.
//!
//! In process (criterion): the engine's part, the models of the 20 clusters built from the
//! objects (`Model::of`) and the fleet judged (`fleet::judge`), and the judging alone over
//! built models. Then the release binary (bench profile) over the same fleet written as one
//! YAML file per cluster, `eastwest-guard fleet --cluster c00=... --output json`, wall time
//! and peak resident memory from GNU time: reading and parsing 60 MiB of YAML with the
//! position of every key included.
//!
//! The fleet is alike in every cluster but for a few differences of each kind, so each rule
//! has findings: a Namespace in 97 lacks its trigger label in one cluster (EW050), one in 100
//! is service-level in one cluster where it is namespace-level elsewhere (EW053), one in 50 has
//! another gateway name in one cluster (EW052), a Service is labelled "false" in one cluster
//! (EW051), and one in 13 does not run in some cluster.
//!
//!     cargo bench --bench fleet
//!
//! Under `cargo test` (no `--bench`), a small fleet is judged once and checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;
use eastwest_guard::rules::fleet::{self, Cluster};
use eastwest_guard::rules::model::{Model, Object};
use eastwest_guard::rules::{Config, ObjectView, ResourceKind, RuleId};
use serde_json::{Value, json};

const GLOBAL: &str = "traffic.tetrate.io/global";
const CLUSTERS: usize = 20;
const SERVICES_PER_NAMESPACE: usize = 10;

/// The objects of cluster `c` of a fleet of `namespaces` Namespaces each, as JSON.
fn cluster_objects(c: usize, namespaces: usize) -> Vec<(ResourceKind, Value)> {
    let mut out = Vec::with_capacity(namespaces * (SERVICES_PER_NAMESPACE + 1));
    for i in 0..namespaces {
        let name = format!("team-{i:04}");
        let mut labels = json!({"team": format!("t{}", i % 40)});
        if i % 97 != c {
            labels["tetrate.io/rev"] = json!("default");
        }
        let mut annotations = json!({});
        let namespace_level = i % 10 == 0 && !(c == 3 && i % 100 == 0);
        if namespace_level {
            annotations[GLOBAL] = json!("true");
        }
        if c == 5 && i % 50 == 1 {
            annotations["traffic.tetrate.io/eastwest-gateway-name"] = json!("gw-other");
        }
        out.push((
            ResourceKind::Namespace,
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels, "annotations": annotations}}),
        ));
        for j in 0..SERVICES_PER_NAMESPACE {
            if (i + j) % 13 == c {
                continue;
            }
            let mut labels = json!({"app": format!("svc-{j}")});
            if j < 3 {
                labels[GLOBAL] = json!(if c == 7 && j == 2 { "false" } else { "true" });
            }
            out.push((
                ResourceKind::Service,
                json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": format!("svc-{j}"), "namespace": name, "labels": labels},
                    "spec": {"type": "ClusterIP"}}),
            ));
        }
    }
    out
}

/// The objects of each cluster, parsed into the engine's projection.
fn fleet_objects(namespaces: usize) -> Vec<Vec<(ResourceKind, ObjectView)>> {
    (0..CLUSTERS)
        .map(|c| {
            cluster_objects(c, namespaces)
                .into_iter()
                .map(|(kind, v)| (kind, serde_json::from_value(v).expect("an object")))
                .collect()
        })
        .collect()
}

fn models(objects: &[Vec<(ResourceKind, ObjectView)>], config: &Config) -> Vec<Model<usize>> {
    objects
        .iter()
        .map(|cluster| {
            Model::of(
                cluster.iter().enumerate().map(|(i, (kind, o))| Object {
                    kind: *kind,
                    object: o,
                    namespace: o.metadata.namespace.as_deref(),
                    source: i,
                }),
                config,
            )
        })
        .collect()
}

const NAMES: [&str; CLUSTERS] = [
    "c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10", "c11", "c12",
    "c13", "c14", "c15", "c16", "c17", "c18", "c19",
];

/// Judges the fleet; returns (rows in the matrix, findings).
fn judge(models: &[Model<usize>], config: &Config) -> (usize, Vec<RuleId>) {
    let clusters: Vec<Cluster<'_, usize>> = models
        .iter()
        .zip(NAMES)
        .map(|(model, name)| Cluster { name, model })
        .collect();
    let judged = fleet::judge(&clusters, config);
    (
        judged.matrix().count(),
        judged.findings.iter().map(|f| f.rule).collect(),
    )
}

/// The fleet as YAML, a file per cluster, in `dir`; returns the `--cluster` arguments.
fn write_yaml(dir: &std::path::Path, namespaces: usize) -> Vec<String> {
    let mut args = Vec::new();
    for (c, name) in NAMES.iter().enumerate() {
        let mut text = String::new();
        for (_, v) in cluster_objects(c, namespaces) {
            text.push_str("---\n");
            // JSON is YAML; one object a line keeps the file compact, as `kubectl get -o
            // json | yq` would not, but the reader's work per key is the same.
            text.push_str(&serde_yaml_like(&v));
        }
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, text).expect("write cluster");
        args.push(format!("{name}={}", path.display()));
    }
    args
}

/// A block-style YAML rendering of a generated object (maps of scalars, two levels deep).
fn serde_yaml_like(v: &Value) -> String {
    fn write(v: &Value, indent: usize, out: &mut String) {
        if let Value::Object(map) = v {
            for (k, v) in map {
                out.push_str(&" ".repeat(indent));
                match v {
                    Value::Object(inner) if inner.is_empty() => {
                        out.push_str(&format!("{k}: {{}}\n"));
                    }
                    Value::Object(_) => {
                        out.push_str(&format!("{k}:\n"));
                        write(v, indent + 2, out);
                    }
                    Value::String(s) => out.push_str(&format!("{k}: {}\n", json!(s))),
                    other => out.push_str(&format!("{k}: {other}\n")),
                }
            }
        }
    }
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

/// Peak resident memory of this process so far (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// One run of the binary under GNU time: (exit code, wall seconds, peak RSS MiB).
fn run_binary(bin: &str, clusters: &[String]) -> (Option<i32>, f64, f64) {
    let mut args: Vec<&str> = vec!["-f", "%M", bin, "fleet", "--output", "json"];
    for c in clusters {
        args.push("--cluster");
        args.push(c);
    }
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(&args)
        .stdout(Stdio::null())
        .output()
        .expect("run /usr/bin/time");
    let wall = started.elapsed().as_secs_f64();
    let kib: f64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0.0);
    (out.status.code(), wall, kib / 1024.0)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let config = Config::default();
    if !bench {
        let objects = fleet_objects(200);
        let models = models(&objects, &config);
        let (rows, findings) = judge(&models, &config);
        assert!(rows > 1_000, "most Services run in every cluster: {rows}");
        for rule in [RuleId::EW050, RuleId::EW051, RuleId::EW052, RuleId::EW053] {
            assert!(findings.contains(&rule), "no {rule} in the generated fleet");
        }
        return;
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    for namespaces in [200, 2_000] {
        let services = CLUSTERS * namespaces * SERVICES_PER_NAMESPACE;
        let objects = fleet_objects(namespaces);
        let count: usize = objects.iter().map(Vec::len).sum();
        let built = models(&objects, &config);
        let (rows, findings) = judge(&built, &config);
        println!(
            "fleet: {CLUSTERS} clusters x {namespaces} Namespaces x {SERVICES_PER_NAMESPACE} \
             Services ({count} objects): {rows} Services in the matrix, {} findings; peak RSS \
             of the bench so far {:.0} MiB",
            findings.len(),
            peak_rss_mib().unwrap_or(0.0)
        );
        c.bench_function(
            &format!("fleet/models_and_judge/{services}_services"),
            |b| {
                b.iter(|| {
                    let models = models(black_box(&objects), &config);
                    judge(&models, &config)
                })
            },
        );
        c.bench_function(&format!("fleet/judge/{services}_services"), |b| {
            b.iter(|| judge(black_box(&built), &config))
        });
    }
    c.final_summary();

    if std::path::Path::new("/usr/bin/time").exists() {
        let bin = env!("CARGO_BIN_EXE_eastwest-guard");
        for namespaces in [200, 2_000] {
            let dir = tempfile::tempdir().expect("temporary directory");
            let clusters = write_yaml(dir.path(), namespaces);
            let bytes: u64 = std::fs::read_dir(dir.path())
                .expect("read dir")
                .map(|e| e.expect("entry").metadata().expect("metadata").len())
                .sum();
            for _ in 0..3 {
                let (code, wall, rss) = run_binary(bin, &clusters);
                println!(
                    "binary: fleet of {} Services ({:.1} MiB of YAML): exit {code:?}, {wall:.2} s \
                     wall, peak RSS {rss:.0} MiB",
                    CLUSTERS * namespaces * SERVICES_PER_NAMESPACE,
                    bytes as f64 / 1048576.0
                );
            }
        }
    }
}
