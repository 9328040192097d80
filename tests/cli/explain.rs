//! `eastwest-guard explain`, run as a user runs it: the built binary on the fixture sets under
//! tests/data/explain (paths relative to that directory, so outputs name files the same way
//! on every machine).
//!
//! Each output format of each fixture set is compared exactly with its golden file under
//! tests/golden/explain/ (see `support::golden`). The JSON outputs are also parsed and checked
//! field by field, so a regenerated golden file cannot hide a wrong value.

use std::path::PathBuf;

use eastwest_guard::cli::yaml::{self, Node, Resolved};
use serde_json::Value;

use crate::support::assert::assert_contains;
use crate::support::golden::assert_golden;
use crate::support::run::{self, Run};

fn data_dir() -> PathBuf {
    run::data_dir("explain")
}

fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    run::run_in(&data_dir(), args, stdin)
}

fn explain(args: &[&str]) -> Run {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    run_with_stdin(&all, None)
}

const SETS: &[&str] = &["namespace-level", "service-level", "off", "cloud-fallback"];

#[test]
fn golden_outputs() {
    for set in SETS {
        for (format, ext) in [("text", "txt"), ("json", "json"), ("yaml", "yaml")] {
            let run = explain(&["--output", format, set]);
            assert_eq!(run.code, 0, "{set} {format}: {}", run.stderr);
            assert_eq!(run.stderr, "", "{set} {format}");
            assert_golden(&format!("explain/{set}.{ext}"), &run.stdout);
        }
    }
}

fn namespace<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no Namespace {name} in {report:#}"))
}

fn service<'a>(ns: &'a Value, name: &str) -> &'a Value {
    ns["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no Service {name} in {ns:#}"))
}

fn codes(problems: &Value) -> Vec<&str> {
    problems
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect()
}

#[test]
fn json_namespace_level() {
    let report = explain(&["-o", "json", "namespace-level"]).json();
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!(report["command"], "explain");
    assert_eq!(report["summary"]["namespaces"], 1);
    assert_eq!(report["summary"]["namespaceLevel"], 1);
    assert_eq!(report["summary"]["services"], 3);
    assert_eq!(report["summary"]["exposed"], 2);
    assert_eq!(report["summary"]["exitCode"], 0);

    let ns = namespace(&report, "payments");
    assert_eq!(ns["inInput"], true);
    assert_eq!(ns["file"], "namespace-level/payments.yaml");
    assert_eq!(ns["line"], 2);
    assert_eq!(ns["mode"], "namespace-level");
    assert_eq!(ns["globalAnnotation"], "true");
    assert_eq!(ns["workspace"]["created"], true);
    assert_eq!(ns["workspace"]["triggerLabel"], "tetrate.io/rev=default");
    assert_eq!(ns["workspace"]["name"], "ws-payments");
    assert_eq!(ns["workspace"]["settingName"], "ws-payments-settings");

    let gw = &ns["gateway"];
    assert_eq!(gw["inUse"], true);
    assert_eq!(gw["name"], "payments-east-west");
    assert_eq!(gw["nameSource"], "annotation");
    assert_eq!(gw["workloadSelector"], "app=payments-east-west");
    assert_eq!(gw["workloadSelectorSource"], "derived");
    assert_eq!(gw["namespace"], "tetrate-system");
    assert_eq!(gw["namespaceSource"], "default");
    assert_eq!(gw["deploy"], "true");
    assert_eq!(gw["deploySource"], "default");
    assert_eq!(gw["error"], Value::Null);

    let cloud = &ns["cloudAnnotations"];
    assert_eq!(cloud["parser"], "yaml");
    assert_eq!(
        cloud["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"],
        "nlb"
    );
    assert_eq!(cloud["skippedLines"], serde_json::json!([]));

    let api = service(ns, "payment-api");
    assert_eq!(api["exposed"], true);
    assert_eq!(api["reason"], "namespace-level");
    assert_eq!(api["file"], "namespace-level/services.yaml");
    assert_eq!(api["line"], 1);
    // The label changes nothing: the Namespace is namespace-level.
    assert_eq!(service(ns, "ledger")["reason"], "namespace-level");
    let fx = service(ns, "fx-rates");
    assert_eq!(fx["exposed"], false);
    assert_eq!(fx["reason"], "external-name");
    assert_eq!(fx["type"], "ExternalName");
}

#[test]
fn json_service_level_and_unknown_namespace() {
    let report = explain(&["-o", "json", "service-level"]).json();
    assert_eq!(report["summary"]["unknownNamespaces"], 1);
    assert_eq!(report["summary"]["errors"], 2);
    assert_eq!(report["summary"]["warnings"], 1);
    // Explaining is not gating: a denied input still exits 0.
    assert_eq!(report["summary"]["exitCode"], 0);

    let shop = namespace(&report, "shop");
    assert_eq!(shop["mode"], "service-level");
    assert_eq!(shop["globalAnnotation"], Value::Null);
    assert_eq!(shop["workspace"]["triggerLabel"], "istio-injection=enabled");
    let gw = &shop["gateway"];
    assert_eq!(gw["name"], "shop-gw");
    assert_eq!(gw["nameSource"], "derived");
    assert_eq!(gw["workloadSelector"], "app=shop-gw,tier=edge");
    assert_eq!(gw["workloadSelectorSource"], "annotation");
    assert_eq!(gw["namespace"], "gateways");
    assert_eq!(gw["namespaceSource"], "annotation");

    let expect = [
        ("cart", true, "labelled", vec![]),
        ("catalog", false, "not-labelled", vec![]),
        ("checkout", false, "label-false", vec![]),
        ("admin", false, "label-not-true", vec!["EW013"]),
        ("legacy", false, "label-as-annotation", vec!["EW012"]),
        ("tax", false, "external-name", vec!["EW040"]),
    ];
    for (name, exposed, reason, problems) in expect {
        let s = service(shop, name);
        assert_eq!(s["exposed"], exposed, "{name}");
        assert_eq!(s["reason"], reason, "{name}");
        assert_eq!(codes(&s["problems"]), problems, "{name}");
        assert!(s["why"].as_str().is_some_and(|w| !w.is_empty()), "{name}");
    }
    let admin = &service(shop, "admin")["problems"][0];
    assert_eq!(admin["level"], "error");
    assert_eq!(admin["rule"], "EW013");
    assert_eq!(admin["file"], "service-level/shop.yaml");
    assert_eq!(admin["line"], 52);

    let warehouse = namespace(&report, "warehouse");
    assert_eq!(warehouse["inInput"], false);
    assert_eq!(warehouse["file"], Value::Null);
    assert_eq!(warehouse["mode"], "service-level");
    assert_eq!(warehouse["workspace"]["created"], Value::Null);
    assert_eq!(warehouse["gateway"], Value::Null);
    let stock = service(warehouse, "stock");
    assert_eq!(stock["exposed"], true);
    assert!(
        stock["why"]
            .as_str()
            .is_some_and(|w| w.contains("not in the input")),
        "{stock}"
    );
    assert_eq!(service(warehouse, "pallets")["exposed"], false);
}

#[test]
fn json_off_no_trigger_and_underivable_gateway() {
    let report = explain(&["-o", "json", "off"]).json();
    assert_eq!(report["summary"]["namespaces"], 4);
    assert_eq!(report["summary"]["off"], 2);
    assert_eq!(report["summary"]["namespaceLevel"], 2);
    assert_eq!(report["summary"]["workspaces"], 3);
    assert_eq!(report["summary"]["exposed"], 1);

    let isolated = namespace(&report, "isolated");
    assert_eq!(isolated["mode"], "off");
    assert_eq!(isolated["workspace"]["created"], true);
    assert_eq!(isolated["workspace"]["settingName"], Value::Null);
    assert_eq!(isolated["gateway"]["inUse"], false);

    let legacy = namespace(&report, "legacy");
    assert_eq!(legacy["mode"], "namespace-level");
    assert_eq!(legacy["workspace"]["created"], false);
    assert_eq!(legacy["workspace"]["triggerLabel"], Value::Null);
    assert_eq!(legacy["gateway"]["inUse"], false);
    assert_eq!(codes(&legacy["problems"]), vec!["EW030"]);
    let old_api = service(legacy, "old-api");
    assert_eq!(old_api["exposed"], false);
    assert_eq!(old_api["reason"], "no-trigger-label");

    // "True" is read as "false": off, and EW001 marks it.
    let analytics = namespace(&report, "analytics");
    assert_eq!(analytics["mode"], "off");
    assert_eq!(analytics["globalAnnotation"], "True");
    assert_eq!(codes(&analytics["problems"]), vec!["EW001"]);

    let staging = namespace(&report, "staging");
    assert_eq!(staging["mode"], "namespace-level");
    assert_eq!(staging["gateway"]["inUse"], true);
    assert_eq!(staging["gateway"]["name"], Value::Null);
    assert!(
        staging["gateway"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("EW006"))
    );
    assert_eq!(codes(&staging["problems"]), vec!["EW006"]);
    assert_eq!(service(staging, "preview")["exposed"], true);
}

#[test]
fn json_cloud_annotations_only_the_fallback_parses() {
    let report = explain(&["-o", "json", "cloud-fallback"]).json();
    let edge = namespace(&report, "edge");
    let cloud = &edge["cloudAnnotations"];
    assert_eq!(cloud["parser"], "fallback");
    let keys: Vec<&String> = cloud["annotations"]
        .as_object()
        .expect("annotations")
        .keys()
        .collect();
    assert_eq!(
        keys,
        vec![
            "Note",
            "service.beta.kubernetes.io/aws-load-balancer-scheme",
            "service.beta.kubernetes.io/aws-load-balancer-type"
        ]
    );
    assert_eq!(
        cloud["annotations"]["Note"],
        "keep the scheme internal: see ticket NET-42"
    );
    assert_eq!(cloud["skippedLines"], serde_json::json!([4]));
    assert_eq!(cloud["unsupportedKeys"], serde_json::json!(["Note"]));
    assert_eq!(cloud["invalidKeys"], serde_json::json!([]));
    let problem = &cloud["yamlProblems"][0];
    assert_eq!(problem["line"], 3);
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("not valid YAML"))
    );
    assert_eq!(codes(&edge["problems"]), vec!["EW007"]);

    let gcp = &namespace(&report, "edge-gcp")["cloudAnnotations"];
    assert_eq!(gcp["parser"], "fallback");
    // The fallback strips quotes from values only: the key keeps them, and is invalid.
    assert_eq!(
        gcp["invalidKeys"],
        serde_json::json!(["\"cloud.google.com/load-balancer-type\""])
    );
    assert_eq!(
        gcp["annotations"]["networking.gke.io/internal-load-balancer-allow-global-access"],
        "true"
    );
}

fn yaml_docs(text: &str) -> Vec<yaml::Document> {
    yaml::parse_stream(text).unwrap_or_else(|e| panic!("not YAML ({e:?}):\n{text}"))
}

fn text_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    let mut n = node;
    for key in path {
        n = n.get(key)?;
    }
    n.as_text()
}

#[test]
fn yaml_is_the_workspace_setting_per_namespace() {
    let run = explain(&["-o", "yaml", "namespace-level", "service-level", "off"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs = yaml_docs(&run.stdout);
    // payments and shop get one; warehouse (unknown), the off ones, the one without a trigger
    // label and the one whose gateway cannot be derived do not.
    assert_eq!(docs.len(), 2, "{}", run.stdout);
    for doc in &docs {
        let root = &doc.root;
        assert_eq!(text_at(root, &["apiVersion"]), Some("tsb.tetrate.io/v2"));
        assert_eq!(text_at(root, &["kind"]), Some("WorkspaceSetting"));
    }
    fn settings(doc: &yaml::Document) -> &Node {
        let list = doc
            .root
            .get("spec")
            .and_then(|s| s.get("defaultEastWestGatewaySettings"))
            .and_then(Node::as_seq)
            .expect("defaultEastWestGatewaySettings list");
        assert_eq!(list.len(), 1);
        &list[0]
    }

    let payments = &docs[0];
    assert_eq!(
        text_at(&payments.root, &["metadata", "name"]),
        Some("ws-payments-settings")
    );
    assert_eq!(
        text_at(&payments.root, &["metadata", "workspace"]),
        Some("ws-payments")
    );
    let p = settings(payments);
    assert_eq!(
        text_at(p, &["workloadSelector", "namespace"]),
        Some("tetrate-system")
    );
    assert_eq!(
        text_at(p, &["workloadSelector", "labels", "app"]),
        Some("payments-east-west")
    );
    // Namespace-level: exposedServices omitted.
    assert!(p.get("exposedServices").is_none());

    let shop = &docs[1];
    let s = settings(shop);
    assert_eq!(
        text_at(s, &["workloadSelector", "namespace"]),
        Some("gateways")
    );
    assert_eq!(
        text_at(s, &["workloadSelector", "labels", "tier"]),
        Some("edge")
    );
    let exposed = s
        .get("exposedServices")
        .and_then(Node::as_seq)
        .expect("exposedServices");
    let value = exposed[0]
        .get("serviceLabels")
        .and_then(|l| l.get("traffic.tetrate.io/global"))
        .and_then(Node::as_scalar)
        .expect("serviceLabels selector");
    assert_eq!(value.text, "true");
    // A string, not a YAML boolean.
    assert_eq!(value.resolve(), Resolved::String);

    for skipped in ["warehouse", "isolated", "legacy", "staging", "analytics"] {
        assert!(
            run.stdout
                .contains(&format!("# Namespace {skipped}: no WorkspaceSetting")),
            "{skipped}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn stdin_and_the_default_namespace() {
    let text = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio-injection: enabled}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n  labels: {traffic.tetrate.io/global: \"true\"}\n";
    let run = run_with_stdin(&["explain", "-o", "json", "-n", "shop", "-"], Some(text));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let shop = namespace(&report, "shop");
    assert_eq!(shop["mode"], "service-level");
    let cart = service(shop, "cart");
    assert_eq!(cart["exposed"], true);
    assert_eq!(cart["file"], "<stdin>");

    // Without -n, the Service is in "default", whose Namespace is not in the input.
    let run = run_with_stdin(&["explain", "-o", "json", "-"], Some(text));
    let report = run.json();
    assert_eq!(namespace(&report, "default")["inInput"], false);
    assert_eq!(namespace(&report, "shop")["mode"], "off");
}

#[test]
fn multi_document_lists_and_other_kinds_are_read_like_check() {
    let text = b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a, labels: {tetrate.io/rev: default}, annotations: {traffic.tetrate.io/global: \"true\"}}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s, namespace: a}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d, namespace: a}\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k, namespace: a}\n";
    let run = run_with_stdin(&["explain", "-o", "json", "-"], Some(text));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let a = namespace(&report, "a");
    assert_eq!(a["services"].as_array().map(Vec::len), Some(1));
    assert_eq!(service(a, "s")["exposed"], true);
}

#[test]
fn rule_flags_change_the_explanation() {
    // Another trigger label: payments' labels no longer make it eligible.
    let report = explain(&[
        "-o",
        "json",
        "--trigger-label",
        "example.com/mesh=on",
        "namespace-level",
    ])
    .json();
    let ns = namespace(&report, "payments");
    assert_eq!(ns["workspace"]["created"], false);
    assert_eq!(service(ns, "payment-api")["reason"], "no-trigger-label");

    let report = explain(&[
        "-o",
        "json",
        "--default-gateway-namespace",
        "mesh-gateways",
        "namespace-level",
    ])
    .json();
    assert_eq!(
        namespace(&report, "payments")["gateway"]["namespace"],
        "mesh-gateways"
    );

    // --warn-only: the problems stay, as warnings.
    let report = explain(&["-o", "json", "--warn-only", "service-level"]).json();
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 3);
}

#[test]
fn exit_statuses() {
    // Unreadable input: 2, the message on stderr, what could be read still explained.
    let run = explain(&["namespace-level", "no-such-dir"]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["no-such-dir"]);
    assert_contains(&run.stdout, &["Namespace payments"]);
    assert_contains(&run.stdout, &["the explanation is incomplete"]);
    let report = explain(&["-o", "json", "namespace-level", "no-such-dir"]).json();
    assert_eq!(report["summary"]["exitCode"], 2);
    assert_eq!(report["inputErrors"][0]["file"], "no-such-dir");

    // Invalid YAML: 2, with the file and line.
    let run = run_with_stdin(
        &["explain", "-"],
        Some(b"kind: Namespace\nmetadata:\n  name: a\n   b: c\n"),
    );
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["<stdin>:4:"]);

    // Bad flags: 2, nothing on stdout.
    for args in [
        vec!["explain", "--warn", "EW999", "off"],
        vec!["explain", "-n", "Not_A_Namespace", "off"],
        vec!["explain", "--trigger-label", "novalue", "off"],
        vec!["explain", "-", "-"],
        vec!["explain", "--output", "xml", "off"],
        vec!["explain"],
    ] {
        let run = run_with_stdin(&args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn yaml_names_an_invalid_gateway_name_as_check_does() {
    // A 65-character name (its derived selector is malformed too) and a derived `Bad_Name`:
    // both are EW004, and neither gets a WorkspaceSetting.
    let long = "g".repeat(65);
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {{tetrate.io/rev: default}}\n  annotations:\n    traffic.tetrate.io/global: \"true\"\n    traffic.tetrate.io/eastwest-gateway-name: {long}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  labels: {{tetrate.io/rev: default}}\n  annotations:\n    traffic.tetrate.io/global: \"true\"\n    traffic.tetrate.io/eastwest-gateway-workload-selector: app=Bad_Name\n"
    );
    let run = run_with_stdin(&["explain", "-o", "yaml", "-"], Some(text.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(yaml_docs(&run.stdout).is_empty(), "{}", run.stdout);
    for (ns, name) in [("a", long.as_str()), ("b", "Bad_Name")] {
        let expected = format!(
            "# Namespace {ns}: no WorkspaceSetting: the gateway name \"{name}\" is not a DNS-1035 label (EW004)"
        );
        assert!(run.stdout.contains(&expected), "{expected}\n{}", run.stdout);
    }
}

/// A gateway whose name, namespace or selector no Kubernetes object can carry is one the agent
/// cannot set up, and every format says so alike: text never "deployed by the agent", JSON an
/// `error` and no WorkspaceSetting, YAML no WorkspaceSetting (for EW003 as for the others).
#[test]
fn a_gateway_the_agent_cannot_set_up_reads_the_same_in_every_format() {
    for (annotation, value, rule) in [
        ("eastwest-gateway-name", "Prod_GW", "EW004"),
        ("eastwest-gateway-namespace", "Custom_GWs", "EW003"),
        ("eastwest-gateway-workload-selector", "app = gw1", "EW005"),
    ] {
        let manifest = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad\n  labels: {{tetrate.io/rev: default}}\n  \
             annotations:\n    traffic.tetrate.io/global: \"true\"\n    traffic.tetrate.io/eastwest-gateway-name: gw1\n    \
             traffic.tetrate.io/{annotation}: \"{value}\"\n"
        );
        let text = run_with_stdin(&["explain", "-"], Some(manifest.as_bytes()));
        assert!(
            !text.stdout.contains("deployed by the agent"),
            "{annotation}: {}",
            text.stdout
        );
        assert!(
            text.stdout.contains("which the agent cannot set up"),
            "{annotation}: {}",
            text.stdout
        );
        assert!(text.stdout.contains(rule), "{annotation}: {}", text.stdout);
        let json =
            run_with_stdin(&["explain", "-o", "json", "-"], Some(manifest.as_bytes())).json();
        let ns = &json["namespaces"][0];
        assert_eq!(
            ns["workspace"]["settingName"],
            Value::Null,
            "{annotation}: {ns:#}"
        );
        assert!(
            ns["gateway"]["error"]
                .as_str()
                .is_some_and(|e| e.contains(rule)),
            "{annotation}: {ns:#}"
        );
        let yaml = run_with_stdin(&["explain", "-o", "yaml", "-"], Some(manifest.as_bytes()));
        assert!(
            yaml.stdout.contains("# Namespace bad: no WorkspaceSetting"),
            "{annotation}: {}",
            yaml.stdout
        );
        assert!(
            !yaml.stdout.contains("kind: WorkspaceSetting"),
            "{annotation}: {}",
            yaml.stdout
        );
    }
}
