//! `eastwest-guard fleet`, run as a user runs it: the built binary on the manifest sets under
//! tests/data/fleet (`new/` and `old/`, a directory per cluster; paths relative to
//! tests/data/fleet).
//!
//! The fixture fleet has one problem of each rule: payments/ledger runs in east, west and
//! south, but south's Namespace has no trigger label (EW050, and EW051: south is nobody's
//! target); payments is namespace-level in east and service-level in west, where api is not
//! labelled (EW053, EW051); shop's gateway has another name in east than in west (EW052);
//! shop/only-in-east runs in one cluster (nothing). The base (`old/`) had the trigger label in
//! south. Each output format is held to its golden file under tests/golden/fleet/, and the JSON
//! is checked field by field so a regenerated golden file cannot hide a wrong value.

use serde_json::Value;

use crate::support::assert::{assert_contains, assert_lacks};
use crate::support::golden::assert_golden;
use crate::support::run::{self, Run};

fn ewg(args: &[&str]) -> Run {
    run::run_in(&run::data_dir("fleet"), args, None)
}

fn ewg_stdin(args: &[&str], stdin: &str) -> Run {
    run::run_in(&run::data_dir("fleet"), args, Some(stdin.as_bytes()))
}

const NEW: &[&str] = &[
    "fleet",
    "--cluster",
    "east=new/east",
    "--cluster",
    "west=new/west",
    "--cluster",
    "south=new/south",
];

const OLD: &[&str] = &[
    "--old",
    "east=old/east",
    "--old",
    "west=old/west",
    "--old",
    "south=old/south",
];

fn fleet(extra: &[&str]) -> Run {
    let mut args = NEW.to_vec();
    args.extend_from_slice(extra);
    ewg(&args)
}

fn find(list: &Value, pred: impl Fn(&Value) -> bool) -> &Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|v| pred(v))
        .unwrap_or_else(|| panic!("not found in {list:#}"))
}

#[test]
fn golden_outputs() {
    for (format, ext) in [("text", "txt"), ("markdown", "md"), ("json", "json")] {
        let run = fleet(&["--output", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{format}");
        assert_golden(&format!("fleet/fleet.{ext}"), &run.stdout);

        let mut extra = vec!["--output", format];
        extra.extend_from_slice(OLD);
        let run = fleet(&extra);
        assert_eq!(run.code, 1, "{format} --old: {}", run.stderr);
        assert_golden(&format!("fleet/change.{ext}"), &run.stdout);
    }
}

#[test]
fn the_matrix_field_by_field() {
    let doc = fleet(&["-o", "json"]).json();
    assert_eq!(doc["schemaVersion"], 1);
    assert_eq!(doc["summary"]["clusters"], 3);
    assert_eq!(doc["summary"]["services"], 8);
    assert_eq!(doc["summary"]["multiClusterServices"], 3);
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["summary"]["warnings"], 4);
    assert_eq!(doc["summary"]["exitCode"], 1);
    let matrix = &doc["matrix"];
    // A Service in one cluster only is not a failover case.
    let names: Vec<String> = matrix
        .as_array()
        .expect("matrix")
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["namespace"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["payments/api", "payments/ledger", "shop/cart"]);

    let ledger = find(matrix, |s| s["name"] == "ledger");
    assert_eq!(
        ledger["runsIn"],
        serde_json::json!(["east", "west", "south"])
    );
    assert_eq!(ledger["exposedIn"], serde_json::json!(["east", "west"]));
    let south = find(&ledger["clusters"], |c| c["cluster"] == "south");
    assert_eq!(south["exposed"], false);
    assert_eq!(south["reason"], "no-trigger-label");
    assert_eq!(south["failoverTargets"], serde_json::json!([]));
    assert_eq!(south["noTargetBecause"], "no-workspace");
    assert_eq!(south["file"], "new/south/payments.yaml");
    let east = find(&ledger["clusters"], |c| c["cluster"] == "east");
    assert_eq!(east["failoverTargets"], serde_json::json!(["west"]));
    assert_eq!(east["reason"], "namespace-level");

    let api = find(matrix, |s| s["name"] == "api");
    let east = find(&api["clusters"], |c| c["cluster"] == "east");
    assert_eq!(east["noTargetBecause"], "exposed-nowhere-else");
    let west = find(&api["clusters"], |c| c["cluster"] == "west");
    assert_eq!(west["failoverTargets"], serde_json::json!(["east"]));
    assert_eq!(west["reason"], "not-labelled");
}

#[test]
fn findings_name_the_key_to_change_in_each_cluster() {
    let doc = fleet(&["-o", "json"]).json();
    let findings = &doc["findings"];
    let rules: Vec<&str> = findings
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["EW053", "EW051", "EW050", "EW051", "EW052"]);

    let ew050 = find(findings, |f| f["rule"] == "EW050");
    assert_eq!(ew050["level"], "error");
    assert_eq!(ew050["object"]["kind"], "Service");
    assert_eq!(ew050["clusters"], serde_json::json!(["south"]));
    let place = &ew050["places"][0];
    assert_eq!(place["cluster"], "south");
    assert_eq!(place["object"]["kind"], "Namespace");
    assert_eq!(place["field"]["in"], "label");
    assert_eq!(place["field"]["key"], "tetrate.io/rev");
    assert_eq!(place["file"], "new/south/payments.yaml");
    // The labels block, where the label goes.
    assert_eq!(place["line"], 5);

    let ew052 = find(findings, |f| f["rule"] == "EW052");
    assert_eq!(ew052["level"], "warning");
    assert_eq!(ew052["detail"]["kind"], "gateways");
    let groups = ew052["detail"]["groups"].as_array().expect("groups");
    assert_eq!(groups[0]["name"], "shop-gateway");
    assert_eq!(groups[1]["name"], "east-west-gateway");
    assert_eq!(
        groups[1]["differs"],
        serde_json::json!(["name", "workloadSelector"])
    );
    assert_eq!(ew052["places"][0]["file"], "new/west/shop.yaml");

    let ew053 = find(findings, |f| f["rule"] == "EW053");
    assert_eq!(ew053["detail"]["kind"], "modes");
    assert_eq!(
        ew053["detail"]["modes"],
        serde_json::json!([
            {"cluster": "east", "mode": "namespace-level"},
            {"cluster": "west", "mode": "service-level"},
            // No workspace in south: compared all the same (EW050 says the rest).
            {"cluster": "south", "mode": "namespace-level"},
        ])
    );
    assert_eq!(
        ew053["detail"]["services"],
        serde_json::json!([{"name": "api", "exposedIn": ["east"], "notExposedIn": ["west"]}])
    );
    assert!(
        ew053["message"]
            .as_str()
            .unwrap()
            .contains("api is exposed in east and not in west")
    );
    // One-way failover names both sets.
    let api = find(findings, |f| {
        f["rule"] == "EW051" && f["object"]["name"] == "api"
    });
    assert_contains(
        api["message"].as_str().unwrap(),
        &[
            "exposed only in east, not in west",
            "nobody's failover target",
        ],
    );
    assert_eq!(api["places"][0]["file"], "new/west/payments.yaml");
    assert_eq!(
        api["places"][0]["field"]["key"],
        "traffic.tetrate.io/global"
    );
}

#[test]
fn exit_statuses_and_rule_settings() {
    // EW050 denies; downgraded by --warn or --warn-only, back with --fail-on-warning.
    assert_eq!(fleet(&[]).code, 1);
    assert_eq!(fleet(&["--warn", "EW050"]).code, 0);
    assert_eq!(fleet(&["--warn-only"]).code, 0);
    assert_eq!(fleet(&["--warn-only", "--fail-on-warning"]).code, 1);
    let doc = fleet(&["--warn", "EW050", "-o", "json"]).json();
    assert_eq!(doc["summary"]["errors"], 0);
    assert_eq!(doc["summary"]["warnings"], 5);
    // Warnings only (east and west).
    let two = ewg(&[
        "fleet",
        "--cluster",
        "east=new/east",
        "--cluster",
        "west=new/west",
    ]);
    assert_eq!(two.code, 0, "{}", two.stderr);
    let two = ewg(&[
        "fleet",
        "--cluster",
        "east=new/east",
        "--cluster",
        "west=new/west",
        "--fail-on-warning",
    ]);
    assert_eq!(two.code, 1);
    // A trigger label configured elsewhere: south's `team: payments` makes its workspace.
    let run = fleet(&[
        "--trigger-label",
        "team=payments,tetrate.io/rev=default,istio-injection=enabled",
        "-o",
        "json",
    ]);
    let doc = run.json();
    assert!(
        !doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "EW050"),
        "{doc:#}"
    );
}

#[test]
fn identical_clusters_and_single_cluster_services_get_nothing() {
    let run = ewg(&[
        "fleet",
        "--cluster",
        "east=new/east",
        "--cluster",
        "copy=new/east",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["findings"], serde_json::json!([]));
    // Everything in east runs in copy too, exposed both ways.
    let matrix = doc["matrix"].as_array().expect("matrix");
    assert_eq!(matrix.len(), 4);
    for s in matrix {
        assert_eq!(s["exposedIn"], serde_json::json!(["east", "copy"]), "{s:#}");
    }
    // Nothing runs in two clusters: no matrix, no finding.
    let run = ewg_stdin(
        &[
            "fleet",
            "--cluster",
            "east=new/east",
            "--cluster",
            "other=-",
        ],
        "kind: Service\nmetadata: {name: ledger, namespace: elsewhere}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(&run.stdout, &["no Service runs in two or more clusters"]);
    assert_lacks(&run.stdout, &["EW05"]);
}

#[test]
fn what_a_change_does_to_failover() {
    let mut extra = vec!["-o", "json"];
    extra.extend_from_slice(OLD);
    let doc = fleet(&extra).json();
    let changes = &doc["changes"];
    let south = find(&changes["targets"], |t| t["cluster"] == "south");
    assert_eq!(south["name"], "ledger");
    assert_eq!(south["before"], serde_json::json!(["east", "west"]));
    assert_eq!(south["after"], serde_json::json!([]));
    assert_eq!(south["lost"], serde_json::json!(["east", "west"]));
    assert_eq!(south["noTargetBecause"], "no-workspace");
    let east = find(&changes["targets"], |t| t["cluster"] == "east");
    assert_eq!(east["lost"], serde_json::json!(["south"]));
    assert_eq!(changes["newFindings"].as_array().unwrap().len(), 2);
    assert_eq!(changes["fixed"], serde_json::json!([]));
    // What the base had too is pre-existing; EW050 is new, so still denied.
    let ew052 = find(&doc["findings"], |f| f["rule"] == "EW052");
    assert_eq!(ew052["preExisting"], true);
    let ew050 = find(&doc["findings"], |f| f["rule"] == "EW050");
    assert_eq!(ew050["preExisting"], false);
    assert_eq!(ew050["level"], "error");

    let mut extra = vec!["-o", "markdown"];
    extra.extend_from_slice(OLD);
    let md = fleet(&extra).stdout;
    assert_contains(
        &md,
        &[
            "### What this change does to failover",
            "payments/ledger loses its failover targets in south: east, west",
            "payments/ledger loses its failover target in west: south",
        ],
    );

    // The other way round, the change fixes south: EW050 fixed, targets gained.
    let run = ewg(&[
        "fleet",
        "--cluster",
        "east=old/east",
        "--cluster",
        "west=old/west",
        "--cluster",
        "south=old/south",
        "--old",
        "east=new/east",
        "--old",
        "west=new/west",
        "--old",
        "south=new/south",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_contains(
        &run.stdout,
        &[
            "payments/ledger gains failover targets in south: east, west",
            "fixed: EW050",
        ],
    );
    // The same fleet on both sides: a deny already there is a warning.
    let run = fleet(&[
        "--old",
        "east=new/east",
        "--old",
        "west=new/west",
        "--old",
        "south=new/south",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_contains(
        &run.stdout,
        &["This change does not change failover.", "pre-existing"],
    );
    // --deny-existing keeps it denied.
    let run = fleet(&[
        "--deny-existing",
        "--old",
        "east=new/east",
        "--old",
        "west=new/west",
        "--old",
        "south=new/south",
    ]);
    assert_eq!(run.code, 1);
}

#[test]
fn bad_input_exits_2_naming_the_flag_and_the_reason() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--cluster", "east=new/east", "--cluster", "east=new/west"],
            &["--cluster \"east=new/west\"", "named twice"],
        ),
        (
            &["--cluster", "East=new/east", "--cluster", "west=new/west"],
            &["--cluster \"East=new/east\"", "\"East\"", "DNS-1123 label"],
        ),
        (
            &[
                "--cluster",
                "east.one=new/east",
                "--cluster",
                "west=new/west",
            ],
            &["\"east.one\"", "DNS-1123 label"],
        ),
        (
            &["--cluster", "east=", "--cluster", "west=new/west"],
            &["--cluster \"east=\"", "no path after \"east=\""],
        ),
        (
            &["--cluster", "=new/east", "--cluster", "west=new/west"],
            &["--cluster \"=new/east\"", "must not be empty"],
        ),
        (
            &["--cluster", "new/east", "--cluster", "west=new/west"],
            &["--cluster \"new/east\"", "expected NAME=PATH"],
        ),
        (
            &["--cluster", "east=context:", "--cluster", "west=new/west"],
            &["no kubeconfig context"],
        ),
        (
            &["--cluster", "east=/dev/null", "--cluster", "west=new/west"],
            &["--cluster east: /dev/null", "holds no Kubernetes object"],
        ),
        (
            &["--cluster", "east=missing", "--cluster", "west=new/west"],
            &["--cluster east: missing", "cannot read"],
        ),
        (
            &["--cluster", "east=new/east"],
            &["two or more clusters, 1 given"],
        ),
        (
            &[
                "--cluster",
                "east=new/east",
                "--cluster",
                "west=new/west",
                "--old",
                "east=old/east",
            ],
            &["--old", "cluster \"west\" has no --old west=PATH"],
        ),
        (
            &[
                "--cluster",
                "east=new/east",
                "--cluster",
                "west=new/west",
                "--old",
                "north=old/east",
            ],
            &["--old \"north\"", "no --cluster is named \"north\""],
        ),
        (
            &["--cluster", "east=-", "--cluster", "west=-"],
            &["standard input (-) can be read only once"],
        ),
        (
            &[
                "--cluster",
                "east=new/east",
                "--cluster",
                "west=new/west",
                "--warn",
                "EW999",
            ],
            &["--warn: unknown rule ID \"EW999\"", "EW053"],
        ),
    ];
    for (args, says) in cases {
        let mut all = vec!["fleet"];
        all.extend_from_slice(args);
        let run = ewg(&all);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert_contains(&run.stderr, says);
        assert_eq!(run.stdout, "", "{args:?}");
    }
    // A directory with no manifest file.
    let dir = tempfile::tempdir().expect("temporary directory");
    let arg = format!("east={}", dir.path().display());
    let run = ewg(&["fleet", "--cluster", &arg, "--cluster", "west=new/west"]);
    assert_eq!(run.code, 2);
    assert_contains(
        &run.stderr,
        &["--cluster east:", "no .yaml, .yml or .json file"],
    );
    // A YAML error: the file and line.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Namespace\nmetadata:\n  name: a\n   b: c\n").expect("write");
    let arg = format!("west={}", bad.display());
    let run = ewg(&[
        "fleet",
        "--cluster",
        "east=new/east",
        "--cluster",
        &arg,
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 2);
    assert_contains(
        &run.stderr,
        &["--cluster west:", "bad.yaml:4:", "invalid YAML"],
    );
    let doc = run.json();
    assert_eq!(doc["summary"]["exitCode"], 2);
    assert_eq!(doc["inputErrors"][0]["flag"], "--cluster");
    assert_eq!(doc["inputErrors"][0]["cluster"], "west");
    assert_eq!(doc["inputErrors"][0]["errors"][0]["line"], 4);
}

#[test]
fn one_cluster_from_standard_input() {
    let text = std::fs::read_to_string(run::data_dir("fleet").join("new/west/payments.yaml"))
        .expect("fixture");
    let run = ewg_stdin(
        &[
            "fleet",
            "--cluster",
            "east=new/east",
            "--cluster",
            "west=-",
            "-o",
            "json",
        ],
        &text,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["clusters"][1]["path"], "<stdin>");
    let ew051 = find(&doc["findings"], |f| f["rule"] == "EW051");
    assert_eq!(ew051["places"][0]["file"], "<stdin>");
    assert_eq!(ew051["places"][0]["line"], 18);
}
