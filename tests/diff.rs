//! `eastwest-guard diff` and `check --old ... --summary`, run as a user runs them: the built
//! binary on the fixture sets under tests/data/diff, each an `old/` and a `new/` directory
//! (paths relative to tests/data/diff).
//!
//! Golden files: each output format of each fixture set is compared exactly with a file under
//! tests/golden/diff/. After an intended change of the output, regenerate them with
//!
//!     UPDATE_GOLDEN=1 cargo test --test diff
//!
//! and review the change with `git diff tests/golden`. The JSON outputs are also parsed and
//! checked field by field, so a regenerated golden file cannot hide a wrong value.

use std::path::PathBuf;

use serde_json::{Value, json};

mod cli_common;

use cli_common::Run;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    cli_common::run_in(&data_dir(), args, stdin)
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

/// Compares `actual` with tests/golden/`name`, or writes it there with `UPDATE_GOLDEN=1`. The
/// tool's version is replaced by `<version>` so a release does not touch every golden file.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let actual = actual.replace(
        &format!("\"toolVersion\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"toolVersion\": \"<version>\"",
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with UPDATE_GOLDEN=1 cargo test --test diff",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             If the change is intended: UPDATE_GOLDEN=1 cargo test --test diff, then review \
             git diff tests/golden.\n--- actual output ---\n{actual}",
            path.display(),
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>"),
        );
    }
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
            golden(&format!("diff/{set}.{ext}"), &run.stdout);
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
    assert!(
        text.stdout.contains(
            "  + orders/checkout: Namespace orders gains a trigger label, so the agent creates \
             its workspace (and this Service is selected: labelled traffic.tetrate.io/global: \
             \"true\") [blocked: EW020] (blocked-trigger/new/all.yaml:15)\n"
        ),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("changed from"), "{}", text.stdout);
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
    assert!(
        md.stdout.contains("No change in cross-cluster exposure."),
        "{}",
        md.stdout
    );
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
    assert!(run.stderr.contains("no-such-dir"), "{}", run.stderr);
    assert!(run.stdout.contains("not compared"), "{}", run.stdout);
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
    assert!(md.stderr.contains("<stdin>:4:"), "{}", md.stderr);
    assert!(md.stdout.contains("**Not compared**"), "{}", md.stdout);

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
    golden("diff/check-summary-modes.txt", &run.stdout);
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
    assert!(run.stdout.contains("::error "), "{}", run.stdout);
    assert!(run.stdout.contains("Services that stop being exposed"));

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
    assert!(run.stderr.contains("diff --output json"), "{}", run.stderr);
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

// ---------------------------------------------------------------------------------------------
// diff agrees with check on every UPDATE case of the rules tests.

mod rules_cases;

use std::sync::Arc;

use eastwest_guard::cli::manifests::{self, Inputs, ReadOptions};
use eastwest_guard::cli::{check, diff as diff_lib, exposure};
use eastwest_guard::rules::{Lookup, ObjectView, ResourceKind, RuleId};

/// A case as manifests: the object before and after, with the cluster the rules saw written
/// beside it on both sides (the Namespace of a Service; the Services of a Namespace).
struct Sides {
    old: Inputs,
    new: Inputs,
}

fn inputs(objects: &[ObjectView], default_namespace: &str) -> Inputs {
    let name: Arc<str> = Arc::from("case.yaml");
    let text: Vec<String> = objects
        .iter()
        .map(|o| serde_json::to_string(o).expect("JSON"))
        .collect();
    let parsed = manifests::parse(
        &name,
        0,
        &text.join("\n---\n"),
        &ReadOptions {
            default_namespace: default_namespace.to_owned(),
        },
    )
    .expect("a case is a valid manifest");
    Inputs {
        files: vec![name],
        documents: parsed.documents,
        manifests: parsed.manifests,
        errors: Vec::new(),
    }
}

fn object(v: Value) -> ObjectView {
    serde_json::from_value(v).expect("an object")
}

fn sides(case: &rules_cases::Case) -> Sides {
    let (old, new) = (
        case.old_object().expect("an UPDATE has an old object"),
        case.object().expect("an UPDATE has an object"),
    );
    let cluster = case.cluster();
    let review_ns = case.json["namespace"].as_str();
    let default_namespace = review_ns.filter(|n| !n.is_empty()).unwrap_or("default");
    let mut context = Vec::new();
    match case.kind() {
        ResourceKind::Namespace => {
            if let Some(Lookup::Found(s)) = cluster
                .as_ref()
                .map(|c| eastwest_guard::rules::ClusterView::services(c, new.name()))
            {
                for i in 0..s.labelled {
                    context.push(object(json!({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": format!("labelled-{i}"), "namespace": new.name(),
                            "labels": {"traffic.tetrate.io/global": "true"}}})));
                }
                let named = s.unlabelled_first.iter().cloned();
                let rest =
                    (s.unlabelled_first.len()..s.unlabelled).map(|i| format!("unlabelled-{i}"));
                for n in named.chain(rest) {
                    context.push(object(json!({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": n, "namespace": new.name()}})));
                }
            }
        }
        _ => {
            let ns = new
                .metadata
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(default_namespace);
            if let Some(Lookup::Found(facts)) = cluster
                .as_ref()
                .map(|c| eastwest_guard::rules::ClusterView::namespace(c, ns))
            {
                let map = |m: &eastwest_guard::rules::StrMap| -> Value {
                    m.iter()
                        .map(|(k, v)| (k.to_owned(), json!(v)))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                };
                context.push(object(json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": map(&facts.labels), "annotations": map(&facts.annotations)}})));
            }
        }
    }
    let with = |o: ObjectView| {
        let mut all = context.clone();
        all.push(o);
        inputs(&all, default_namespace)
    };
    Sides {
        old: with(old),
        new: with(new),
    }
}

/// How a write changes a Service's exposure, as check's EW022 and diff's lists say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exposure {
    Becomes,
    Stops,
    /// EW022 in a namespace-level Namespace: the label changes nothing.
    Stays,
}

/// `diff` and `check --old`, on the same input, agree on every UPDATE case of the rules tests
/// (the corpus tests/rules.rs keeps, see tests/rules_cases): each case is written as manifests,
/// its object before and after with the cluster the rules saw beside it, and
/// - check reports EW020 exactly when diff reports the Namespace's mode change as blocked by
///   EW020;
/// - check reports EW021 exactly when diff reports the gateway as moved, and every setting
///   EW021 names is among those diff says change;
/// - on a Service, where its Namespace is in the input, check's EW022 says the Service becomes
///   exposed exactly when diff lists it as newly exposed, stops being exposed exactly when
///   diff lists it as no longer exposed, and stays exposed (its label changes nothing) only
///   where diff lists no change. Where the Namespace is not in the input, check has no facts
///   and says nothing, while diff judges by the label alone and says so.
///
/// And check reports EW020, EW021 and EW022 on the manifests as the engine decided them on the
/// review itself, so the manifests are the case.
#[test]
fn diff_agrees_with_check_on_every_update_case_of_the_rules_tests() {
    let cases: Vec<rules_cases::Case> = rules_cases::corpus()
        .into_iter()
        .filter(|c| c.operation() == "UPDATE")
        .collect();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for case in &cases {
        let file = case.file.display();
        assert!(
            case.input_kept(),
            "{file}: an UPDATE case without its input"
        );
        let new_object = case.object().expect("an object");
        let (kind, name) = (case.kind(), new_object.name().to_owned());
        assert!(!name.is_empty(), "{file}: diff sees named objects only");
        let config = case.config();
        let s = sides(case);
        let outcome = check::check(&s.new, Some(&s.old), &config);
        let report = diff_lib::compare(
            &exposure::model(&s.old, &config),
            &exposure::model(&s.new, &config),
            &config,
        );
        let findings = |rule: RuleId| -> Vec<&check::Finding> {
            outcome
                .findings
                .iter()
                .filter(|f| f.code == check::Code::Rule(rule) && f.object.name == name)
                .collect()
        };
        // The manifests are the case: check finds what the engine found.
        for rule in [RuleId::EW020, RuleId::EW021, RuleId::EW022] {
            let engine = case.decision().iter().any(|(r, _)| *r == rule);
            assert_eq!(
                engine,
                !findings(rule).is_empty(),
                "{file}: {rule} from the engine, not from check on the manifests"
            );
        }
        let namespace = match kind {
            ResourceKind::Namespace => name.clone(),
            _ => s
                .new
                .manifests
                .last()
                .and_then(|m| m.namespace.clone())
                .unwrap_or_default(),
        };

        // EW020: the mode change the agent refuses.
        let blocked = report
            .namespaces
            .iter()
            .any(|n| n.name == namespace && n.blocked_by == Some(RuleId::EW020));
        assert_eq!(
            !findings(RuleId::EW020).is_empty(),
            blocked,
            "{file}: EW020"
        );
        if blocked {
            *seen.entry("EW020 and a blocked mode change").or_default() += 1;
        }

        // EW021: the gateway moves.
        let moved = report
            .gateways
            .iter()
            .find(|g| g.namespace == namespace && g.kind == diff_lib::GatewayChangeKind::Moved);
        let ew021 = findings(RuleId::EW021);
        assert_eq!(!ew021.is_empty(), moved.is_some(), "{file}: EW021");
        for f in &ew021 {
            let setting = match f.field.as_ref().and_then(|field| field.key()) {
                Some("traffic.tetrate.io/eastwest-gateway-name") => "name",
                Some("traffic.tetrate.io/eastwest-gateway-namespace") => "namespace",
                Some("traffic.tetrate.io/eastwest-gateway-workload-selector") => "workloadSelector",
                other => panic!("{file}: EW021 on {other:?}"),
            };
            let changed = &moved.expect("moved").changed;
            assert!(
                changed.contains(&setting),
                "{file}: EW021 on {setting}, diff {changed:?}"
            );
        }
        if moved.is_some() {
            *seen.entry("EW021 and a moved gateway").or_default() += 1;
        }

        // EW022: the Service's own exposure.
        if kind != ResourceKind::Service {
            continue;
        }
        let ew022: Vec<Exposure> = findings(RuleId::EW022)
            .iter()
            .map(|f| {
                if f.message.contains(" becomes exposed") {
                    Exposure::Becomes
                } else if f.message.contains(" stops being exposed") {
                    Exposure::Stops
                } else {
                    assert!(
                        f.message.contains(" stays exposed"),
                        "{file}: {}",
                        f.message
                    );
                    Exposure::Stays
                }
            })
            .collect();
        assert!(ew022.len() <= 1, "{file}: {ew022:?}");
        let listed = |list: &[diff_lib::ServiceChange]| {
            list.iter()
                .find(|c| c.namespace == namespace && c.name == name)
                .cloned()
        };
        let change = match (
            listed(&report.newly_exposed),
            listed(&report.no_longer_exposed),
        ) {
            (Some(c), None) => Some((Exposure::Becomes, c)),
            (None, Some(c)) => Some((Exposure::Stops, c)),
            (None, None) => None,
            (Some(_), Some(_)) => panic!("{file}: exposed and not"),
        };
        let namespace_known = s
            .new
            .manifests
            .iter()
            .any(|m| m.kind == ResourceKind::Namespace && m.object.name() == namespace);
        if !namespace_known {
            assert_eq!(ew022, vec![], "{file}: EW022 without the Namespace's facts");
            if let Some((_, c)) = change {
                assert!(
                    c.why.contains("judged by the label alone"),
                    "{file}: {}",
                    c.why
                );
                *seen
                    .entry("a Service judged by its label alone")
                    .or_default() += 1;
            }
            continue;
        }
        match (ew022.first(), &change) {
            (Some(Exposure::Stays), None) => {}
            (check, Some((diff, _))) => assert_eq!(check, Some(diff), "{file}: EW022"),
            (check, None) => assert_eq!(check, None, "{file}: EW022 without a change"),
        }
        if let Some(e) = ew022.first() {
            *seen
                .entry(match e {
                    Exposure::Becomes => "EW022 and a Service newly exposed",
                    Exposure::Stops => "EW022 and a Service no longer exposed",
                    Exposure::Stays => "EW022 on a label that changes nothing",
                })
                .or_default() += 1;
        }
    }
    eprintln!("{} UPDATE cases: {seen:#?}", cases.len());
    // None of the agreements holds only because nothing happens.
    for what in [
        "EW020 and a blocked mode change",
        "EW021 and a moved gateway",
        "EW022 and a Service newly exposed",
        "EW022 and a Service no longer exposed",
        "EW022 on a label that changes nothing",
    ] {
        assert!(seen.get(what).is_some_and(|n| *n > 0), "no case of {what}");
    }
}
