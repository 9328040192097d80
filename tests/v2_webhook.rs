//! SPEC v2 through the webhook: the real server in-process on 127.0.0.1 port 0 with a test
//! certificate, AdmissionReviews over TLS as kube-apiserver sends them. A write is never
//! denied for a problem it did not make (unless `--deny-existing`), and the warning kubectl
//! prints says so, with a command that fixes it; a fix on a live object is a kubectl command,
//! on a created one the edit of its manifest; gateway names are DNS-1035 labels on
//! `/validate` and get no defaults on `/mutate`; metrics and audit annotations count a
//! problem already there as a warning.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

mod common;

use common::*;
use hyper::StatusCode;
use serde_json::{Value, json};

/// An object's labels and annotations.
type Meta<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)]);

/// An AdmissionReview of `operation` on a `kind` ("Namespace" or "Service") named "payments"
/// (a Service in namespace "payments"), with these labels and annotations now and before.
fn review(operation: &str, kind: &str, object: Meta<'_>, old: Option<Meta<'_>>) -> Vec<u8> {
    let map = |pairs: &[(&str, &str)]| -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect(),
        )
    };
    let namespace = (kind == "Service").then_some("payments");
    let obj = |(labels, annotations): Meta<'_>| {
        json!({"apiVersion": "v1", "kind": kind,
            "metadata": {"name": "payments", "namespace": namespace, "uid": "0b1c",
                "resourceVersion": "42", "labels": map(labels), "annotations": map(annotations)},
            "spec": if kind == "Service" { json!({"type": "ClusterIP"}) } else { json!({}) }})
    };
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "5e7c9a4e-2b1d-4f7a-9c3e-8d6f0a1b2c3d",
            "kind": {"group": "", "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1",
                "resource": if kind == "Service" { "services" } else { "namespaces" }},
            "name": "payments",
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "admin"},
            "object": obj(object),
            "oldObject": old.map(obj),
            "dryRun": false,
        }
    }))
    .unwrap()
}

async fn answer(server: &TestServer, path: &str, body: Vec<u8>) -> Value {
    let mut client = server.client(Protocol::Http2).await;
    let reply = client.post(path, body).await.unwrap();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["response"].clone()
}

const GLOBAL: &str = "traffic.tetrate.io/global";
const NAME: &str = "traffic.tetrate.io/eastwest-gateway-name";
const SELECTOR: &str = "traffic.tetrate.io/eastwest-gateway-workload-selector";
const TRIGGER: (&str, &str) = ("tetrate.io/rev", "default");

/// The first example, on the wire: a tracking label on a Service whose label was
/// `"True"` before goes through with a warning that says the problem was there and carries
/// the command that fixes it; with `--deny-existing` it is denied. Counted as a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_problem_the_write_did_not_make_is_a_warning() {
    let mut server = TestServer::start(&[]).await;
    let body = review(
        "UPDATE",
        "Service",
        (&[(GLOBAL, "True"), ("version", "v2")], &[]),
        Some((&[(GLOBAL, "True")], &[])),
    );
    let r = answer(&server, "/validate", body.clone()).await;
    assert_eq!(r["allowed"], true, "{r}");
    let warning = r["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("EW013: already there, not denied: "),
        "{warning}"
    );
    assert!(
        warning.ends_with(
            "; fix: `kubectl label service payments -n payments traffic.tetrate.io/global=true \
             --overwrite`"
        ),
        "{warning}"
    );
    assert_eq!(r["auditAnnotations"]["warned-rules"], "EW013");
    assert!(r["auditAnnotations"].get("denied-rules").is_none(), "{r}");
    // The same value written by this write: denied, with the command in the message.
    let changed = review(
        "UPDATE",
        "Service",
        (&[(GLOBAL, "True")], &[]),
        Some((&[(GLOBAL, "true")], &[])),
    );
    let r = answer(&server, "/validate", changed).await;
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "Fix: `kubectl label service payments -n payments traffic.tetrate.io/global=true \
             --overwrite`"
        ),
        "{message}"
    );
    // Counted at the level in force: the first as a warning, the second as a denial.
    let metrics = server.metrics().await;
    let hits = |level: &str| {
        metrics
            .lines()
            .filter(|l| l.contains("rule_hits") && l.contains("rule=\"EW013\""))
            .find(|l| l.contains(&format!("level=\"{level}\"")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    assert_eq!(hits("warn"), Some(1.0), "{metrics}");
    assert_eq!(hits("deny"), Some(1.0), "{metrics}");
    server.stop().await;

    let mut strict = TestServer::start(&["--deny-existing"]).await;
    let r = answer(&strict, "/validate", body).await;
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(message.contains("--deny-existing"), "{message}");
    strict.stop().await;
}

/// A fix on a live object (an UPDATE) is a kubectl command, and a move between labels and
/// annotations one merge patch; on a CREATE the object does not exist yet: the edit of its
/// manifest, no command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_are_commands_on_live_objects_and_edits_on_new_ones() {
    let mut server = TestServer::start(&[]).await;
    let moved = review(
        "UPDATE",
        "Service",
        (&[], &[(GLOBAL, "true")]),
        Some((&[], &[])),
    );
    let r = answer(&server, "/validate", moved).await;
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "Fix: `kubectl patch service payments -n payments --type=merge -p \
             '{\"metadata\":{\"labels\":{\"traffic.tetrate.io/global\":\"true\"},\
             \"annotations\":{\"traffic.tetrate.io/global\":null}}}'`"
        ),
        "{message}"
    );
    let created = review("CREATE", "Service", (&[], &[(GLOBAL, "true")]), None);
    let r = answer(&server, "/validate", created).await;
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "Fix: move traffic.tetrate.io/global from metadata.annotations to metadata.labels"
        ),
        "{message}"
    );
    assert!(!message.contains("kubectl"), "{message}");
    // A typo of `global` is denied; renamed in one command.
    let typo = review(
        "UPDATE",
        "Namespace",
        (&[TRIGGER], &[("traffic.tetrate.io/gloabl", "true")]),
        Some((&[TRIGGER], &[])),
    );
    let r = answer(&server, "/validate", typo).await;
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "`kubectl annotate namespace payments traffic.tetrate.io/global=true \
             traffic.tetrate.io/gloabl-`"
        ),
        "{message}"
    );
    server.stop().await;
}

/// Gateway names are DNS-1035 labels (they name a Service): `1-east-west` and a name derived
/// from `app=9gw` are denied, and the mutating webhook writes no default around them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_names_are_dns_1035_labels() {
    let mut server = TestServer::start(&[]).await;
    for annotations in [
        &[(GLOBAL, "true"), (NAME, "1-east-west")][..],
        &[(GLOBAL, "true"), (SELECTOR, "app=9gw")][..],
    ] {
        let body = review("CREATE", "Namespace", (&[TRIGGER], annotations), None);
        let r = answer(&server, "/validate", body.clone()).await;
        assert_eq!(r["allowed"], false, "{annotations:?}: {r}");
        assert!(
            r["status"]["message"]
                .as_str()
                .unwrap()
                .starts_with("EW004 "),
            "{r}"
        );
        let r = answer(&server, "/mutate", body).await;
        assert!(r.get("patch").is_none(), "{annotations:?}: {r}");
    }
    // An empty selector value is valid.
    let body = review(
        "CREATE",
        "Namespace",
        (&[TRIGGER], &[(GLOBAL, "true"), (SELECTOR, "app=gw,tier=")]),
        None,
    );
    let r = answer(&server, "/validate", body).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none(), "{r}");
    server.stop().await;
}

/// EW020 on an old value a lenient parser reads as true: a warning, on the wire too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lenient_old_value_makes_ew020_a_warning() {
    let mut server = TestServer::start(&[]).await;
    let body = review(
        "UPDATE",
        "Namespace",
        (&[TRIGGER], &[(GLOBAL, "false")]),
        Some((&[TRIGGER], &[(GLOBAL, "True")])),
    );
    let r = answer(&server, "/validate", body).await;
    assert_eq!(r["allowed"], true, "{r}");
    let warning = r["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("EW020: "), "{warning}");
    assert!(
        warning.contains("if the agent read the old value as true"),
        "{warning}"
    );
    let body = review(
        "UPDATE",
        "Namespace",
        (&[TRIGGER], &[(GLOBAL, "false")]),
        Some((&[TRIGGER], &[(GLOBAL, "true")])),
    );
    let r = answer(&server, "/validate", body).await;
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("which deletes everything in it (workloads, Secrets, volume claims)"),
        "{message}"
    );
    server.stop().await;
}
