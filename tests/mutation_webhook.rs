//! The defaults patch through the real server: sequences of writes to a Namespace sent to
//! `POST /mutate` on 127.0.0.1 as kube-apiserver sends them (a CREATE, then UPDATEs with the
//! stored object as `oldObject`), each answer's base64 JSON Patch applied to the object sent and
//! stored. The agent's gateway settings match a store without the webhook after every write,
//! the reinvocation (the patched object sent again) gets no patch, `/validate` says nothing of
//! the guard's record, and the CLI says nothing of it in a manifest either.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

mod common;
#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use base64::Engine as _;
use common::{Client, Protocol, TestServer};
use eastwest_guard::rules::{self, Config, ObjectView, ResourceKind, Review};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use support::namespace_writes::{RECORD, Worlds, Write, sequence};
use support::objects::{GLOBAL, NAME, SELECTOR};

/// An AdmissionReview of a Namespace write, as kube-apiserver sends it.
fn review(uid: usize, old: Option<&Value>, object: &Value) -> Vec<u8> {
    let mut request = json!({
        "uid": format!("00000000-0000-4000-8000-{uid:012}"),
        "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "requestKind": {"group": "", "version": "v1", "kind": "Namespace"},
        "requestResource": {"group": "", "version": "v1", "resource": "namespaces"},
        "name": "payments",
        "operation": if old.is_some() { "UPDATE" } else { "CREATE" },
        "userInfo": {"username": "jane@example.com", "groups": ["system:authenticated"]},
        "object": object,
        "dryRun": false,
    });
    if let Some(old) = old {
        request["oldObject"] = old.clone();
    }
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    }))
    .unwrap()
}

/// The answer's `response`.
async fn post(client: &mut Client, path: &str, body: Vec<u8>) -> Value {
    let reply = client.post(path, body).await.unwrap();
    assert_eq!(reply.status, hyper::StatusCode::OK, "{}", reply.text());
    reply.json()["response"].clone()
}

/// The JSON Patch of a /mutate response, if any.
fn patch_of(response: &Value) -> Option<json_patch::Patch> {
    assert_eq!(
        response["allowed"], true,
        "/mutate never denies: {response}"
    );
    let encoded = response.get("patch")?.as_str().expect("a base64 string");
    assert_eq!(response["patchType"], "JSONPatch");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    Some(serde_json::from_slice(&bytes).unwrap())
}

/// The engine's patch for the same write, on the wire.
fn engine_patch(old: Option<&Value>, sent: &Value) -> Option<Value> {
    let view = |v: &Value| -> ObjectView { serde_json::from_value(v.clone()).unwrap() };
    let new = view(sent);
    let old = old.map(view);
    let review = match &old {
        Some(o) => Review::update(ResourceKind::Namespace, o, &new),
        None => Review::create(ResourceKind::Namespace, &new),
    };
    rules::mutate(&review, &Config::default()).map(|m| serde_json::to_value(&m.patch).unwrap())
}

/// Sends one sequence through the server; returns the stores.
async fn run(client: &mut Client, created: BTreeMap<String, String>, writes: &[Write]) -> Worlds {
    let mut worlds = Worlds::new();
    let mut old: Option<Value> = None;
    let all = std::iter::once(Write::Replace(created)).chain(writes.iter().cloned());
    for (i, write) in all.enumerate() {
        let sent = worlds.with.request(&write);
        let response = post(client, "/mutate", review(i, old.as_ref(), &sent)).await;
        let patch = patch_of(&response);
        // The server answers what the engine decides.
        assert_eq!(
            patch.as_ref().map(|p| serde_json::to_value(p).unwrap()),
            engine_patch(old.as_ref(), &sent),
            "write {i} {write:?}"
        );
        worlds
            .commit(&write, sent, patch.as_ref())
            .unwrap_or_else(|e| panic!("write {i} {write:?}: {e}"));
        let stored = worlds.with.object.clone();
        // Reinvocation: the patched object, with the same old object.
        let again = post(client, "/mutate", review(i, old.as_ref(), &stored)).await;
        assert!(patch_of(&again).is_none(), "write {i} {write:?}: {again}");
        old = Some(stored);
    }
    worlds
}

fn annotate(pairs: &[(&str, Option<&str>)]) -> Write {
    Write::Annotate(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_owned)))
            .collect(),
    )
}

fn manifest(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_through_the_server_never_pin_a_derived_value() {
    let mut server = TestServer::start(&[]).await;
    for protocol in Protocol::BOTH {
        let mut client = server.client(protocol).await;
        // The seed's rename: the selector the guard derived follows the name.
        let worlds = run(
            &mut client,
            manifest(&[(GLOBAL, "true"), (NAME, "gw-a")]),
            &[annotate(&[(NAME, Some("gw-b"))])],
        )
        .await;
        let stored = worlds.with.annotations();
        assert_eq!(stored[SELECTOR], "app=gw-b");
        assert!(stored[RECORD].contains("app=gw-b"), "{stored:?}");

        // Defaults for both, then only the selector, then the name removed, then east-west
        // off: the derived keys follow, and go.
        run(
            &mut client,
            manifest(&[(GLOBAL, "true")]),
            &[
                annotate(&[(SELECTOR, Some("app=gw-d"))]),
                annotate(&[(SELECTOR, None)]),
                annotate(&[(NAME, Some("gw-e"))]),
                annotate(&[(NAME, None)]),
                annotate(&[(GLOBAL, Some("false"))]),
            ],
        )
        .await;

        // GitOps: kubectl apply twice (the record is kept), then a replace without it.
        run(
            &mut client,
            BTreeMap::new(),
            &[
                Write::Apply(manifest(&[(GLOBAL, "true"), (NAME, "gw-a")])),
                Write::Apply(manifest(&[(GLOBAL, "true"), (NAME, "gw-b")])),
                Write::Replace(manifest(&[(GLOBAL, "true"), (SELECTOR, "app=gw-c")])),
                annotate(&[(SELECTOR, Some("app=gw-f"))]),
            ],
        )
        .await;

        // The stored object with the record passes /validate, and says nothing of it.
        let answer = post(
            &mut client,
            "/validate",
            review(99, None, &worlds.with.object),
        )
        .await;
        assert_eq!(answer["allowed"], true, "{answer}");
        assert!(answer.get("warnings").is_none(), "{answer}");
    }
    server.stop().await;
}

/// Generated sequences (the rules tests' generator, a fixed seed) through the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_sequences_through_the_server() {
    let mut server = TestServer::start(&[]).await;
    let mut client = server.client(Protocol::Http1).await;
    let mut runner = TestRunner::deterministic();
    let strategy = sequence(false);
    for _ in 0..60 {
        let (created, writes) = strategy.new_tree(&mut runner).unwrap().current();
        run(&mut client, created, &writes).await;
    }
    server.stop().await;
}

/// In a manifest, the record is another annotation: `check`, `explain` and `diff` say nothing
/// of it, valid or not.
#[test]
fn the_cli_says_nothing_of_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let doc = |record: &str, name: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    tetrate.io/rev: default\n  annotations:\n    traffic.tetrate.io/global: \"true\"\n    traffic.tetrate.io/eastwest-gateway-name: {name}\n    traffic.tetrate.io/eastwest-gateway-workload-selector: app=gw-a\n    eastwest-guard.tetrate.io/derived: '{record}'\n"
        )
    };
    let good = r#"{"eastwest-gateway-workload-selector":"app=gw-a"}"#;
    std::fs::write(dir.path().join("old.yaml"), doc(good, "gw-a")).unwrap();
    std::fs::write(dir.path().join("new.yaml"), doc("not json", "gw-a")).unwrap();
    for args in [
        vec!["check", "old.yaml"],
        vec!["check", "new.yaml"],
        vec!["check", "--old", "old.yaml", "new.yaml"],
        vec!["explain", "new.yaml"],
        vec!["diff", "--old", "old.yaml", "--new", "new.yaml"],
    ] {
        let run = support::run::run_in(dir.path(), &args, None);
        assert_eq!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
        for out in [&run.stdout, &run.stderr] {
            assert!(
                !out.contains("eastwest-guard.tetrate.io"),
                "{args:?}: {out}"
            );
        }
    }
}

/// The sample review of a rename in examples/ gets what docs/operations.md says: the selector
/// the guard derived follows the name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rename_example_gets_the_selector_re_derived() {
    let mut server = TestServer::start(&[]).await;
    let mut client = server.client(Protocol::Http1).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/review-namespace-rename.json"
    );
    let body = std::fs::read(path).unwrap();
    let request: Value = serde_json::from_slice(&body).unwrap();
    let response = post(&mut client, "/mutate", body).await;
    let patch = patch_of(&response).expect("a patch");
    let mut object = request["request"]["object"].clone();
    json_patch::patch(&mut object, &patch).unwrap();
    let ann = &object["metadata"]["annotations"];
    assert_eq!(ann[SELECTOR], "app=orders-gw-2");
    assert_eq!(
        ann[RECORD],
        r#"{"eastwest-gateway-workload-selector":"app=orders-gw-2","eastwest-gateway-namespace":"tetrate-system","eastwest-gateway-deploy":"true"}"#
    );
    assert_eq!(
        response["auditAnnotations"]["defaulted"],
        format!("{SELECTOR}=app=orders-gw-2")
    );
    server.stop().await;
}
