//! `eastwest-guard diff` and `check --old ... --summary`, run as a user runs them: the built
//! binary on the fixture sets under tests/data/diff, each an `old/` and a `new/` directory
//! (paths relative to tests/data/diff).
//!
//! Each output format of each fixture set is compared exactly with its golden file under
//! tests/golden/diff/ (see `support::golden`). The JSON outputs are also parsed and checked
//! field by field, so a regenerated golden file cannot hide a wrong value.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::assert::{assert_contains, assert_lacks};
use crate::support::golden::assert_golden;
use crate::support::run::{self, Run};

fn data_dir() -> PathBuf {
    run::data_dir("diff")
}

fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    run::run_in(&data_dir(), args, stdin)
}

fn ewg(args: &[&str]) -> Run {
    run_with_stdin(args, None)
}

/// `diff --old SET/old --new SET/new` and `extra` arguments.
fn diff_set(set: &str, extra: &[&str]) -> Run {
    let old = format!("{set}/old");
    let new = format!("{set}/new");
    let mut args = vec!["diff", "--old", &old, "--new", &new];
    args.extend_from_slice(extra);
    ewg(&args)
}

const SETS: &[&str] = &[
    "modes",
    "gateway",
    "services",
    "trigger",
    "no-change",
    "blocked",
    "blocked-trigger",
];

#[test]
fn golden_outputs() {
    for set in SETS {
        for (format, ext) in [("text", "txt"), ("json", "json"), ("markdown", "md")] {
            let run = diff_set(set, &["--output", format]);
            assert_eq!(run.code, 0, "{set} {format}: {}", run.stderr);
            assert_eq!(run.stderr, "", "{set} {format}");
            assert_golden(&format!("diff/{set}.{ext}"), &run.stdout);
        }
    }
}

#[test]
fn a_blocked_switch_keeps_the_old_configuration() {
    // orders: namespace-level -> off is blocked (EW020), so the agent keeps namespace-level: the
    // new unlabelled Service is exposed, and the gateway stays. closing: the same switch while
    // the Namespace is being deleted, which EW020 allows.
    let report = diff_set("blocked", &["-o", "json"]).json();
    assert_eq!(
        services(&report["newlyExposed"]),
        vec!["orders/labelled-api", "orders/secret-admin"]
    );
    let admin = find(&report["newlyExposed"], "name", "secret-admin");
    assert_eq!(admin["blockedBy"], Value::Null);
    // A new labelled Service is exposed under either configuration: not held back.
    let labelled = find(&report["newlyExposed"], "name", "labelled-api");
    assert_eq!(labelled["blockedBy"], Value::Null, "{labelled:#}");
    assert!(
        admin["why"]
            .as_str()
            .expect("why")
            .contains("blocked (EW020)"),
        "{admin:#}"
    );
    let billing = find(&report["noLongerExposed"], "name", "billing");
    assert_eq!(billing["blockedBy"], "EW020");
    let legacy = find(&report["noLongerExposed"], "name", "legacy");
    assert_eq!(legacy["blockedBy"], Value::Null);
    assert_eq!(
        find(&report["namespaces"], "name", "orders")["blockedBy"],
        "EW020"
    );
    assert_eq!(
        find(&report["namespaces"], "name", "closing")["blockedBy"],
        Value::Null
    );
    let gateways: Vec<&str> = report["gateways"]
        .as_array()
        .expect("gateways")
        .iter()
        .map(|g| g["namespace"].as_str().expect("namespace"))
        .collect();
    assert_eq!(gateways, vec!["closing"], "{:#}", report["gateways"]);
    // The gate sees the exposure.
    assert_eq!(diff_set("blocked", &["--fail-on-new-exposure"]).code, 1);
}

#[test]
fn a_blocked_switch_with_a_trigger_label_added_names_the_trigger_label() {
    // orders: namespace-level without a trigger label -> service-level with one (blocked,
    // EW020). checkout's label is "true" on both sides: what the change would do to it is give
    // its Namespace a workspace, not change its label.
    let report = diff_set("blocked-trigger", &["-o", "json"]).json();
    assert_eq!(services(&report["newlyExposed"]), vec!["orders/checkout"]);
    let checkout = find(&report["newlyExposed"], "name", "checkout");
    assert_eq!(checkout["blockedBy"], "EW020", "{checkout:#}");
    assert_eq!(checkout["before"]["reason"], "no-trigger-label");
    assert_eq!(checkout["after"]["reason"], "labelled");
    assert_eq!(
        checkout["why"],
        "Namespace orders gains a trigger label, so the agent creates its workspace (and this \
         Service is selected: labelled traffic.tetrate.io/global: \"true\")"
    );
    // The same words as the change that is not blocked (the Namespace service-level already).
    let text = diff_set("blocked-trigger", &[]);
    assert_contains(
        &text.stdout,
        &[
            "  + orders/checkout: Namespace orders gains a trigger label, so the agent creates \
             its workspace (and this Service is selected: labelled traffic.tetrate.io/global: \
             \"true\") [blocked: EW020] (blocked-trigger/new/all.yaml:15)\n",
        ],
    );
    assert_lacks(&text.stdout, &["changed from"]);
}

/// `namespace/name` of each entry of a list of Service changes.
fn services(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|c| {
            format!(
                "{}/{}",
                c["namespace"].as_str().expect("namespace"),
                c["name"].as_str().expect("name")
            )
        })
        .collect()
}

fn find<'a>(list: &'a Value, field: &str, value: &str) -> &'a Value {
    list.as_array()
        .expect("array")
        .iter()
        .find(|x| x[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {list:#}"))
}

#[test]
fn json_mode_changes() {
    let report = diff_set("modes", &["-o", "json"]).json();
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!(report["command"], "diff");
    let s = &report["summary"];
    assert_eq!(s["complete"], true);
    assert_eq!(s["changed"], true);
    assert_eq!(s["newlyExposed"], 2);
    assert_eq!(s["noLongerExposed"], 2);
    assert_eq!(s["gatewaysCreated"], 1);
    assert_eq!(s["namespacesChanged"], 3);
    assert_eq!(s["blocked"], 1);
    assert_eq!(s["exitCode"], 0);

    // service-level to namespace-level: the unlabelled Service becomes exposed.
    assert_eq!(
        services(&report["newlyExposed"]),
        vec!["reports/monthly", "shop/catalog"]
    );
    let catalog = find(&report["newlyExposed"], "name", "catalog");
    assert_eq!(catalog["before"]["reason"], "not-labelled");
    assert_eq!(catalog["after"]["reason"], "namespace-level");
    assert_eq!(catalog["after"]["file"], "modes/new/services.yaml");
    assert_eq!(catalog["blockedBy"], Value::Null);

    // namespace-level to service-level: the unlabelled Services would stop, blocked by EW020.
    assert_eq!(
        services(&report["noLongerExposed"]),
        vec!["orders/billing", "orders/ledger"]
    );
    for c in report["noLongerExposed"].as_array().expect("array") {
        assert_eq!(c["blockedBy"], "EW020");
        assert_eq!(c["before"]["reason"], "namespace-level");
        assert_eq!(c["after"]["reason"], "not-labelled");
    }

    let orders = find(&report["namespaces"], "name", "orders");
    assert_eq!(orders["change"], "changed");
    assert_eq!(orders["blockedBy"], "EW020");
    assert_eq!(orders["before"]["mode"], "namespace-level");
    assert_eq!(orders["after"]["mode"], "service-level");
    let shop = find(&report["namespaces"], "name", "shop");
    assert_eq!(shop["blockedBy"], Value::Null);
    assert_eq!(shop["before"]["mode"], "service-level");
    assert_eq!(shop["after"]["mode"], "namespace-level");
    let reports = find(&report["namespaces"], "name", "reports");
    assert_eq!(reports["before"]["mode"], "off");
    assert_eq!(reports["after"]["mode"], "service-level");

    let gw = find(&report["gateways"], "namespace", "reports");
    assert_eq!(gw["change"], "created");
    assert_eq!(gw["before"], Value::Null);
    assert_eq!(gw["after"]["name"], "east-west-gateway");
}

/// The same selector pairs in another order select the same pods: no gateway change (as
/// EW021 reads it).
#[test]
fn reordered_selector_pairs_are_no_gateway_change() {
    let report = diff_set("reorder", &["-o", "json"]).json();
    let s = &report["summary"];
    assert_eq!(s["gatewaysMoved"], 0, "{report:#}");
    assert_eq!(s["gatewaysUpdated"], 0, "{report:#}");
    assert_eq!(report["gateways"], json!([]), "{report:#}");
}

#[test]
fn json_gateway_changes() {
    let report = diff_set("gateway", &["-o", "json"]).json();
    let s = &report["summary"];
    assert_eq!(s["gatewaysCreated"], 1);
    assert_eq!(s["gatewaysMoved"], 1);
    assert_eq!(s["gatewaysUpdated"], 2);
    assert_eq!(s["gatewaysRemoved"], 1);

    let gws = &report["gateways"];
    let moved = find(gws, "namespace", "payments");
    assert_eq!(moved["change"], "moved");
    assert_eq!(
        moved["changedFields"],
        json!(["name", "namespace", "workloadSelector"])
    );
    assert_eq!(moved["before"]["name"], "east-west-gateway");
    assert_eq!(moved["before"]["namespace"], "tetrate-system");
    assert_eq!(moved["after"]["name"], "payments-gw");
    assert_eq!(moved["after"]["namespace"], "gateways");
    assert_eq!(moved["after"]["workloadSelector"], "app=payments-gw");

    let billing = find(gws, "namespace", "billing");
    assert_eq!(billing["change"], "updated");
    assert_eq!(
        billing["changedFields"],
        json!(["deploy", "cloudAnnotations"])
    );
    assert_eq!(billing["before"]["deploy"], "true");
    assert_eq!(billing["after"]["deploy"], "false");
    assert_eq!(
        billing["cloudAnnotationChanges"],
        json!([{
            "key": "service.beta.kubernetes.io/aws-load-balancer-scheme",
            "before": "internal",
            "after": "internet-facing"
        }])
    );

    // Only the agent's line fallback reads the new text: what it reads is what changes.
    let risk = find(gws, "namespace", "risk");
    assert_eq!(risk["change"], "updated");
    assert_eq!(risk["before"]["cloudParser"], "yaml");
    assert_eq!(risk["after"]["cloudParser"], "fallback");
    let scheme = find(
        &risk["cloudAnnotationChanges"],
        "key",
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
    );
    assert_eq!(scheme["before"], Value::Null);
    assert_eq!(scheme["after"], "internal - was: internet-facing");

    let removed = find(gws, "namespace", "legacy");
    assert_eq!(removed["change"], "removed");
    assert_eq!(removed["after"], Value::Null);
    let created = find(gws, "namespace", "search");
    assert_eq!(created["change"], "created");

    assert_eq!(services(&report["newlyExposed"]), vec!["search/query"]);
    assert_eq!(services(&report["noLongerExposed"]), vec!["legacy/old-api"]);
    let old_api = &report["noLongerExposed"][0];
    assert_eq!(old_api["after"], Value::Null);
    assert_eq!(old_api["before"]["file"], "gateway/old/namespaces.yaml");
    assert_eq!(
        find(&report["namespaces"], "name", "legacy")["change"],
        "deleted"
    );
    assert_eq!(
        find(&report["namespaces"], "name", "search")["change"],
        "added"
    );
}

#[test]
fn json_services_added_removed_and_relabelled() {
    let report = diff_set("services", &["-o", "json"]).json();
    assert_eq!(
        services(&report["newlyExposed"]),
        vec!["payments/refunds", "shop/catalog", "shop/reviews"]
    );
    assert_eq!(
        services(&report["noLongerExposed"]),
        vec![
            "payments/legacy-api",
            "shop/cart",
            "shop/old-cart",
            "shop/search"
        ]
    );
    let newly = &report["newlyExposed"];
    // Added Services have no "before"; removed ones no "after".
    assert_eq!(find(newly, "name", "reviews")["before"], Value::Null);
    assert_eq!(
        find(newly, "name", "refunds")["after"]["reason"],
        "namespace-level"
    );
    assert_eq!(
        find(newly, "name", "catalog")["before"]["reason"],
        "not-labelled"
    );
    assert_eq!(
        find(newly, "name", "catalog")["after"]["reason"],
        "labelled"
    );
    let gone = &report["noLongerExposed"];
    assert_eq!(find(gone, "name", "old-cart")["after"], Value::Null);
    assert_eq!(
        find(gone, "name", "cart")["after"]["reason"],
        "not-labelled"
    );
    assert_eq!(
        find(gone, "name", "search")["after"]["reason"],
        "label-false"
    );
    // Nothing else changes: no gateway, no Namespace. The label removed in the namespace-level
    // Namespace (payments/ledger) and the new unlabelled Service are no change in exposure.
    assert_eq!(report["gateways"], json!([]));
    assert_eq!(report["namespaces"], json!([]));
}

#[test]
fn json_trigger_label_lost_and_gained() {
    let report = diff_set("trigger", &["-o", "json"]).json();
    assert_eq!(
        services(&report["noLongerExposed"]),
        vec!["payments/ledger", "payments/payment-api"]
    );
    for c in report["noLongerExposed"].as_array().expect("array") {
        assert_eq!(c["after"]["reason"], "no-trigger-label");
        assert_eq!(c["blockedBy"], Value::Null);
    }
    assert_eq!(
        services(&report["newlyExposed"]),
        vec!["shop/cart", "warehouse/stock"]
    );
    let payments = find(&report["namespaces"], "name", "payments");
    assert_eq!(payments["before"]["workspace"], true);
    assert_eq!(payments["before"]["triggerLabel"], "tetrate.io/rev=default");
    assert_eq!(payments["after"]["workspace"], false);
    assert_eq!(payments["after"]["triggerLabel"], Value::Null);
    assert_eq!(
        find(&report["gateways"], "namespace", "payments")["change"],
        "removed"
    );
    assert_eq!(
        find(&report["gateways"], "namespace", "shop")["change"],
        "created"
    );
    // A Namespace known only from its Services is not a Namespace change.
    assert!(
        report["namespaces"]
            .as_array()
            .expect("array")
            .iter()
            .all(|n| n["name"] != "warehouse")
    );
}

#[test]
fn no_change() {
    let report = diff_set("no-change", &["-o", "json"]).json();
    assert_eq!(report["summary"]["changed"], false);
    assert_eq!(report["newlyExposed"], json!([]));
    assert_eq!(report["noLongerExposed"], json!([]));
    let text = diff_set("no-change", &[]);
    assert_eq!(text.stdout, "No change in cross-cluster exposure\n");
    let md = diff_set("no-change", &["-o", "markdown"]);
    assert_contains(&md.stdout, &["No change in cross-cluster exposure."]);
}

#[test]
fn fail_on_new_exposure() {
    let run = diff_set("services", &["--fail-on-new-exposure"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = diff_set("services", &["--fail-on-new-exposure", "-o", "json"]).json();
    assert_eq!(report["summary"]["exitCode"], 1);
    // Without the flag, any diff exits 0.
    assert_eq!(diff_set("services", &[]).code, 0);
    // No new exposure: 0, even with the flag.
    assert_eq!(diff_set("no-change", &["--fail-on-new-exposure"]).code, 0);
    // Only removals (every Service deleted, the Namespaces kept): 0, even with the flag.
    let namespaces_only = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio-injection: enabled}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels: {tetrate.io/rev: default}\n  annotations: {traffic.tetrate.io/global: \"true\"}\n";
    let run = run_with_stdin(
        &[
            "diff",
            "--old",
            "services/old",
            "--new",
            "-",
            "--fail-on-new-exposure",
            "-o",
            "json",
        ],
        Some(namespaces_only),
    );
    assert_eq!(run.code, 0);
    let report = run.json();
    assert_eq!(report["summary"]["noLongerExposed"], 5);
    assert_eq!(report["summary"]["newlyExposed"], 0);
    assert_eq!(run.code, 0);
}

#[test]
fn repeated_old_and_new_and_stdin() {
    let dirs = diff_set("modes", &["-o", "json"]);
    let files = ewg(&[
        "diff",
        "--old",
        "modes/old/namespaces.yaml",
        "--old",
        "modes/old/services.yaml",
        "--new",
        "modes/new/namespaces.yaml",
        "--new",
        "modes/new/services.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(files.code, 0, "{}", files.stderr);
    assert_eq!(files.stdout, dirs.stdout);

    // The new side from standard input, as `kustomize build | eastwest-guard diff --new -`.
    let mut text = std::fs::read(data_dir().join("modes/new/namespaces.yaml")).expect("read");
    text.extend_from_slice(b"\n---\n");
    text.extend(std::fs::read(data_dir().join("modes/new/services.yaml")).expect("read"));
    let piped = run_with_stdin(
        &["diff", "--old", "modes/old", "--new", "-", "-o", "json"],
        Some(&text),
    );
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    let report = piped.json();
    assert_eq!(report["summary"]["newlyExposed"], 2);
    assert_eq!(report["summary"]["noLongerExposed"], 2);
    assert_eq!(report["newlyExposed"][0]["after"]["file"], "<stdin>");
}

#[test]
fn exit_status_2_and_no_diff_on_unreadable_input() {
    // A missing file would read as deleted objects: the diff is not computed.
    let run = ewg(&["diff", "--old", "modes/old", "--new", "no-such-dir"]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["no-such-dir"]);
    assert_contains(&run.stdout, &["not compared"]);
    let report = run_with_stdin(
        &[
            "diff",
            "--old",
            "no-such-dir",
            "--new",
            "modes/new",
            "-o",
            "json",
        ],
        None,
    )
    .json();
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(report["summary"]["exitCode"], 2);
    assert_eq!(report["newlyExposed"], json!([]));
    assert_eq!(report["inputErrors"][0]["file"], "no-such-dir");
    let md = run_with_stdin(
        &["diff", "--old", "modes/old", "--new", "-", "-o", "markdown"],
        Some(b"kind: Namespace\nmetadata:\n  name: a\n   b: c\n"),
    );
    assert_eq!(md.code, 2);
    assert_contains(&md.stderr, &["<stdin>:4:"]);
    assert_contains(&md.stdout, &["**Not compared**"]);

    // --fail-on-new-exposure does not turn 2 into 1.
    let run = run_with_stdin(
        &[
            "diff",
            "--old",
            "no-such-dir",
            "--new",
            "modes/new",
            "--fail-on-new-exposure",
        ],
        None,
    );
    assert_eq!(run.code, 2);

    // Bad flags: 2, nothing on stdout.
    for args in [
        vec!["diff", "--old", "modes/old"],
        vec!["diff", "--new", "modes/new"],
        // One path per --old: a second one is an error, not silently dropped.
        vec![
            "diff",
            "--old",
            "modes/old",
            "modes/new",
            "--new",
            "modes/new",
        ],
        vec!["diff", "--old", "-", "--new", "-"],
        vec![
            "diff",
            "--old",
            "modes/old",
            "--new",
            "modes/new",
            "-o",
            "html",
        ],
        vec![
            "diff",
            "--old",
            "modes/old",
            "--new",
            "modes/new",
            "--warn",
            "EW999",
        ],
        vec![
            "diff",
            "--old",
            "modes/old",
            "--new",
            "modes/new",
            "-n",
            "UPPER",
        ],
    ] {
        let run = run_with_stdin(&args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn check_summary_prints_the_diff_after_the_report() {
    let run = ewg(&["check", "--old", "modes/old", "--summary", "modes/new"]);
    // check's exit status: EW020 denies the orders change.
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_golden("diff/check-summary-modes.txt", &run.stdout);
    let diff = diff_set("modes", &[]);
    assert!(
        run.stdout.ends_with(&format!("\n\n{}", diff.stdout)),
        "{}",
        run.stdout
    );

    // Clean change: check exits 0 and the summary says there is no change.
    let run = ewg(&[
        "check",
        "--old",
        "no-change/old",
        "--summary",
        "no-change/new",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("\n\nNo change in cross-cluster exposure\n"),
        "{}",
        run.stdout
    );

    // GitHub output: annotations, then the summary.
    let run = ewg(&[
        "check",
        "--old",
        "modes/old",
        "--summary",
        "--output",
        "github",
        "modes/new",
    ]);
    assert_eq!(run.code, 1);
    assert_contains(
        &run.stdout,
        &["::error ", "Services that stop being exposed"],
    );

    // --summary needs --old, and is not mixed into JSON.
    let run = ewg(&["check", "--summary", "modes/new"]);
    assert_eq!(run.code, 2);
    let run = ewg(&[
        "check",
        "--old",
        "modes/old",
        "--summary",
        "-o",
        "json",
        "modes/new",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_contains(&run.stderr, &["diff --output json"]);
}

#[test]
fn namespace_manifest_removed_but_services_kept() {
    let report = ewg(&[
        "diff",
        "--old",
        "modes/old",
        "--new",
        "modes/new/services.yaml",
        "-o",
        "json",
    ])
    .json();
    let orders = find(&report["namespaces"], "name", "orders");
    assert_eq!(orders["change"], "deleted");
    assert_eq!(orders["blockedBy"], Value::Null);
    assert_eq!(orders["after"]["inInput"], false);
    let billing = find(&report["noLongerExposed"], "name", "billing");
    assert!(
        billing["why"]
            .as_str()
            .is_some_and(|w| w.contains("Namespace orders is not in the new manifests")),
        "{billing}"
    );
    assert_eq!(
        find(&report["gateways"], "namespace", "orders")["change"],
        "removed"
    );
}

/// An object twice in the input: the last copy counts, as `kubectl apply` of the input leaves
/// it, so the gate sees a Service whose second copy is labelled.
#[test]
fn the_last_copy_of_a_repeated_object_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {istio-injection: enabled}}\n";
    let plain = "apiVersion: v1\nkind: Service\nmetadata: {name: ledger, namespace: pay}\n";
    let labelled = "apiVersion: v1\nkind: Service\nmetadata: {name: ledger, namespace: pay, \
                    labels: {traffic.tetrate.io/global: \"true\"}}\n";
    let old = dir.path().join("old.yaml");
    let new = dir.path().join("new.yaml");
    std::fs::write(&old, format!("{ns}---\n{plain}")).expect("write");
    std::fs::write(&new, format!("{ns}---\n{plain}---\n{labelled}")).expect("write");
    let (old, new) = (old.to_str().expect("utf-8"), new.to_str().expect("utf-8"));
    let run = ewg(&["diff", "--old", old, "--new", new, "-o", "json"]);
    let report = run.json();
    assert_eq!(
        services(&report["newlyExposed"]),
        vec!["pay/ledger"],
        "{report:#}"
    );
    let gate = ewg(&["diff", "--old", old, "--new", new, "--fail-on-new-exposure"]);
    assert_eq!(gate.code, 1, "{}", gate.stdout);
    // The other way round: the unlabelled copy last is what the cluster keeps.
    std::fs::write(new, format!("{ns}---\n{labelled}---\n{plain}")).expect("write");
    let report = ewg(&["diff", "--old", old, "--new", new, "-o", "json"]).json();
    assert!(services(&report["newlyExposed"]).is_empty(), "{report:#}");
    // explain agrees.
    let explained = ewg(&["explain", new, "-o", "json"]).json();
    assert_eq!(explained["summary"]["exposed"], 0, "{explained:#}");
    assert_eq!(explained["summary"]["notExposed"], 1, "{explained:#}");
}
