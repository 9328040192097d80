//! What the audit finds on the fixture cluster: the problems that need the whole cluster
//! (EW031 from the Service's Namespace, EW032 from the namespaces that exist), a value the
//! guard denies that was there before it, levels and exit statuses under the rule flags, the
//! exposure summary, the formats; and `check -` over the same objects finds the same, but
//! EW032 which needs the cluster.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::apiserver::{Behaviour, FakeApiServer, Store, namespace, service};
use super::fixture::{self, EXPECTED};
use super::run::audit_server;

/// (level, rule, object) of each finding of a JSON document.
fn findings(doc: &Value) -> Vec<(String, String, String)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let o = &f["object"];
            let object = match o["namespace"].as_str() {
                Some(ns) => format!(
                    "{}/{ns}/{}",
                    o["kind"].as_str().unwrap(),
                    o["name"].as_str().unwrap()
                ),
                None => format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["name"].as_str().unwrap()
                ),
            };
            (
                f["level"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                object,
            )
        })
        .collect()
}

fn expected() -> Vec<(String, String, String)> {
    EXPECTED
        .iter()
        .map(|(l, r, o)| (l.to_string(), r.to_string(), o.to_string()))
        .collect()
}

#[test]
fn problems_that_need_the_whole_cluster_and_one_the_guard_denies() {
    let server = fixture::server();
    let out = audit_server(&server, &["--output", "json"]);
    assert_eq!(out.code, Some(1), "EW013 would be denied: {out:?}");
    let doc = out.json();
    assert_eq!(findings(&doc), expected());

    let by_rule = |rule: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .cloned()
            .unwrap()
    };
    // EW031: the Service's Namespace has no trigger label.
    let ew031 = by_rule("EW031");
    assert_eq!(
        ew031["field"],
        json!({"in": "label", "key": fixture::GLOBAL})
    );
    assert_eq!(ew031["value"], "true");
    assert!(
        ew031["message"]
            .as_str()
            .unwrap()
            .contains("its Namespace \"shop\" has none of the trigger labels")
    );
    // EW032: the gateway namespace does not exist in the cluster.
    let ew032 = by_rule("EW032");
    assert_eq!(
        ew032["field"],
        json!({"in": "annotation", "key": "traffic.tetrate.io/eastwest-gateway-namespace"})
    );
    assert_eq!(ew032["value"], "gateways");
    // EW013: a value admitted before the guard is judged as a write that sets it: denied, and
    // the fix is the command for an object that exists.
    let ew013 = by_rule("EW013");
    assert_eq!(ew013["level"], "error");
    assert_eq!(ew013["value"], "True");
    assert!(
        ew013["message"].as_str().unwrap().contains(
            "kubectl label service api -n legacy traffic.tetrate.io/global=true --overwrite"
        ),
        "{ew013}"
    );
    // EW040 reads spec.type, which only the whole Service carries.
    assert_eq!(by_rule("EW040")["field"], json!({"in": "specType"}));

    let summary = &doc["summary"];
    assert_eq!(summary["objects"], 16);
    assert_eq!(summary["objectsWithProblems"], 4);
    assert_eq!(summary["objectsDenied"], 1);
    assert_eq!(
        (summary["errors"].as_u64(), summary["warnings"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(summary["exitCode"], 1);
    let rules: Vec<_> = summary["byRule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_owned(),
                r["objects"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [("EW013", 1), ("EW031", 1), ("EW032", 1), ("EW040", 1)].map(|(r, n)| (r.to_owned(), n))
    );
    // Exposed: every Service of namespace-level payments (it has a workspace), and the
    // labelled one of legacy; not shop/cart (no workspace), not mesh/alias (ExternalName),
    // not legacy/api ("True" is not "true").
    assert_eq!(summary["exposedServices"], 3);
    assert_eq!(
        summary["exposedByNamespace"],
        json!([
            {"namespace": "legacy", "exposed": 1, "services": 2},
            {"namespace": "payments", "exposed": 2, "services": 2},
        ])
    );
}

#[test]
fn the_rule_flags_set_the_levels_and_the_exit_status() {
    let server = fixture::server();
    let warn_only = audit_server(&server, &["--warn-only", "-o", "json"]);
    assert_eq!(warn_only.code, Some(0), "{warn_only:?}");
    assert!(
        findings(&warn_only.json())
            .iter()
            .all(|(level, ..)| level == "warning")
    );

    let strict = audit_server(&server, &["--warn-only", "--fail-on-warning"]);
    assert_eq!(strict.code, Some(1), "{strict:?}");

    let downgraded = audit_server(&server, &["--warn", "EW013"]);
    assert_eq!(downgraded.code, Some(0), "{downgraded:?}");

    // The configuration is the webhook's: another trigger label makes shop's Service fine and
    // every other Namespace lack one.
    let other = audit_server(&server, &["--trigger-label", "team=shop", "-o", "json"]);
    let found = findings(&other.json());
    assert!(
        !found
            .iter()
            .any(|(_, r, o)| r == "EW031" && o == "Service/shop/cart"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, r, o)| r == "EW031" && o == "Service/legacy/billing"),
        "{found:?}"
    );
}

#[test]
fn a_clean_cluster_exits_0_and_says_so() {
    let server = FakeApiServer::start(
        Store::new(
            &[namespace("default", json!({}), json!({}))],
            &[service(
                "default",
                "kubernetes",
                "ClusterIP",
                json!({}),
                json!({}),
            )],
        ),
        Behaviour::default(),
    );
    let out = audit_server(&server, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains("no problems: the enforcing webhook would deny nothing"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("exposed cross-cluster: 0 Services in 0 Namespaces"),
        "{out:?}"
    );
    let empty = FakeApiServer::start(Store::new(&[], &[]), Behaviour::default());
    let out = audit_server(&empty, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("audited 0 objects"), "{out:?}");
}

#[test]
fn github_output_is_a_workflow_command_per_finding_then_the_summary() {
    let server = fixture::server();
    let out = audit_server(&server, &["--output", "github"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let commands: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(commands.len(), 4, "{out:?}");
    assert!(commands[0].starts_with("::warning title=EW032 Namespace/payments metadata.annotations[\"traffic.tetrate.io/eastwest-gateway-namespace\"]::"), "{}", commands[0]);
    assert!(
        commands[1].starts_with("::error title=EW013 Service/legacy/api "),
        "{}",
        commands[1]
    );
    assert!(
        lines.iter().any(|l| l.starts_with("audited 16 objects")),
        "{out:?}"
    );
}

#[test]
fn check_of_the_same_objects_finds_the_same_but_ew032() {
    let server = fixture::server();
    let audited = findings(&audit_server(&server, &["-o", "json"]).json());

    // `kubectl get namespaces,services -A -o json`: a List of the objects, kinds filled in.
    let mut items: Vec<Value> = Vec::new();
    for mut ns in fixture::namespaces() {
        ns["apiVersion"] = json!("v1");
        ns["kind"] = json!("Namespace");
        items.push(ns);
    }
    for mut svc in fixture::services() {
        svc["apiVersion"] = json!("v1");
        svc["kind"] = json!("Service");
        items.push(svc);
    }
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .args(["check", "-o", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run check");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let checked: Value = serde_json::from_slice(&out.stdout).expect("check's JSON");

    let audited: BTreeSet<_> = audited
        .into_iter()
        .filter(|(_, r, _)| r != "EW032")
        .collect();
    let checked: BTreeSet<_> = findings(&checked).into_iter().collect();
    assert_eq!(audited, checked);
}
