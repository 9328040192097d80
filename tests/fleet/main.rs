//! `eastwest-guard fleet` over live clusters (`--cluster NAME=context:CONTEXT`): the real binary
//! against fake kube-apiservers on 127.0.0.1 (the audit tests' server), one per cluster,
//! reached through the contexts of one kubeconfig, and mixed with a manifest set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[allow(dead_code)]
#[path = "../audit/apiserver.rs"]
mod apiserver;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use apiserver::{Behaviour, FakeApiServer, Store, kubeconfig_with, namespace, service};

const GLOBAL: &str = "traffic.tetrate.io/global";
const DEADLINE: Duration = Duration::from_secs(60);

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `eastwest-guard fleet ARGS` in `dir`, with HOME there (no kubeconfig of the machine is
/// read), killed after a deadline.
fn fleet(dir: &Path, args: &[&str]) -> Out {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"));
    command
        .arg("fleet")
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("EASTWEST_GUARD_") {
            command.env_remove(key);
        }
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("run eastwest-guard");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("eastwest-guard fleet {args:?} ran past {DEADLINE:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Out {
        code: status.code(),
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
    }
}

fn json_of(out: &Out) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

/// payments namespace-level with a workspace, ledger and api in it.
fn east() -> Store {
    Store::new(
        &[
            namespace("default", json!({}), json!({})),
            namespace(
                "payments",
                json!({"tetrate.io/rev": "default"}),
                json!({GLOBAL: "true"}),
            ),
        ],
        &[
            service("default", "kubernetes", "ClusterIP", json!({}), json!({})),
            service("payments", "ledger", "ClusterIP", json!({}), json!({})),
            service("payments", "api", "ClusterIP", json!({}), json!({})),
        ],
    )
}

/// payments without a trigger label: no workspace, so ledger fails over nowhere (EW050).
fn west() -> Store {
    Store::new(
        &[
            namespace("default", json!({}), json!({})),
            namespace("payments", json!({}), json!({GLOBAL: "true"})),
        ],
        &[
            service("default", "kubernetes", "ClusterIP", json!({}), json!({})),
            service("payments", "ledger", "ClusterIP", json!({}), json!({})),
        ],
    )
}

struct Fleet {
    dir: tempfile::TempDir,
    east: FakeApiServer,
    west: FakeApiServer,
}

impl Fleet {
    fn start() -> Self {
        let behaviour = Behaviour {
            token: Some("good-token".into()),
            ..Behaviour::default()
        };
        let east = FakeApiServer::start(east(), behaviour.clone());
        let west = FakeApiServer::start(west(), behaviour);
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = kubeconfig_with(
            &[
                ("east-ctx", &east.url(), "good-token"),
                ("west-ctx", &west.url(), "good-token"),
            ],
            "east-ctx",
        );
        std::fs::write(dir.path().join("kubeconfig"), config).expect("write kubeconfig");
        Fleet { dir, east, west }
    }

    fn run(&self, args: &[&str]) -> Out {
        let mut all = vec!["--kubeconfig", "kubeconfig"];
        all.extend_from_slice(args);
        fleet(self.dir.path(), &all)
    }
}

#[test]
fn two_live_clusters_by_context() {
    let f = Fleet::start();
    let out = f.run(&[
        "--cluster",
        "east=context:east-ctx",
        "--cluster",
        "west=context:west-ctx",
        "--chunk-size",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let doc = json_of(&out);
    assert_eq!(doc["clusters"][0]["source"], "context");
    assert_eq!(doc["clusters"][0]["context"], "east-ctx");
    assert_eq!(doc["clusters"][0]["server"], f.east.url());
    assert_eq!(doc["clusters"][1]["server"], f.west.url());
    assert_eq!(doc["clusters"][0]["namespaces"], 2);
    assert_eq!(doc["clusters"][0]["services"], 3);
    // default/kubernetes runs in both, exposed in neither; payments/ledger in both.
    let matrix = doc["matrix"].as_array().expect("matrix");
    let names: Vec<&str> = matrix.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["kubernetes", "ledger"]);
    let ledger = &matrix[1];
    assert_eq!(ledger["exposedIn"], json!(["east"]));
    assert_eq!(ledger["clusters"][1]["noTargetBecause"], "no-workspace");
    assert_eq!(ledger["clusters"][1]["file"], Value::Null);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["EW050", "EW051"]);
    // A live object has no file: the place names the cluster and the key.
    let place = &doc["findings"][0]["places"][0];
    assert_eq!(place["cluster"], "west");
    assert_eq!(place["file"], Value::Null);
    assert_eq!(place["field"]["key"], "tetrate.io/rev");
    // Paged as asked: one object per page, Namespaces metadata only.
    let ns = f.west.requests_for("namespaces");
    assert_eq!(ns.len(), 2, "two Namespaces, one per page");
    assert!(
        ns.iter()
            .all(|r| r.accept.as_deref() == Some(apiserver::METADATA_LIST_ACCEPT))
    );

    // Text names the live cluster instead of a file.
    let out = f.run(&[
        "--cluster",
        "east=context:east-ctx",
        "--cluster",
        "west=context:west-ctx",
    ]);
    assert!(
        out.stdout
            .contains("west: the live cluster: Namespace \"payments\""),
        "{}",
        out.stdout
    );
}

#[test]
fn a_live_cluster_and_a_manifest_set_mixed() {
    let f = Fleet::start();
    // West from manifests, fixed: payments with its trigger label.
    std::fs::write(
        f.dir.path().join("west.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    \
         tetrate.io/rev: default\n  annotations:\n    traffic.tetrate.io/global: \"true\"\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: ledger\n  namespace: payments\n",
    )
    .expect("write");
    let out = f.run(&[
        "--cluster",
        "east=context:east-ctx",
        "--cluster",
        "west=west.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let doc = json_of(&out);
    assert_eq!(doc["findings"], json!([]));
    let ledger = &doc["matrix"][0];
    assert_eq!(ledger["name"], "ledger");
    assert_eq!(ledger["exposedIn"], json!(["east", "west"]));
    assert_eq!(ledger["clusters"][0]["failoverTargets"], json!(["west"]));
    assert_eq!(ledger["clusters"][1]["failoverTargets"], json!(["east"]));
    assert_eq!(ledger["clusters"][1]["file"], "west.yaml");

    // --old against the live cluster: the change fixes west.
    let out = f.run(&[
        "--cluster",
        "east=context:east-ctx",
        "--cluster",
        "west=west.yaml",
        "--old",
        "east=context:east-ctx",
        "--old",
        "west=context:west-ctx",
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("payments/ledger gains a failover target in west: east"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_cluster_that_cannot_be_read_exits_2_naming_it() {
    let f = Fleet::start();
    let out = f.run(&[
        "--cluster",
        "east=context:east-ctx",
        "--cluster",
        "west=context:nowhere",
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("--cluster west: context:nowhere")
            && out.stderr.contains("has no context \"nowhere\"")
            && out.stderr.contains("east-ctx, west-ctx"),
        "{}",
        out.stderr
    );
    // A token the server refuses: 401, said with the server.
    let config = kubeconfig_with(&[("bad", &f.west.url(), "wrong-token")], "bad");
    std::fs::write(f.dir.path().join("bad-kubeconfig"), config).expect("write");
    let out = fleet(
        f.dir.path(),
        &[
            "--kubeconfig",
            "bad-kubeconfig",
            "--cluster",
            "west=context:bad",
            "--cluster",
            "other=context:bad",
            "-o",
            "json",
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains(&f.west.url()), "{}", out.stderr);
    let doc = json_of(&out);
    assert_eq!(doc["summary"]["exitCode"], 2);
    assert_eq!(doc["inputErrors"].as_array().unwrap().len(), 2);
}
