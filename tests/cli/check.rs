//! `eastwest-guard check`, run as a user runs it: the built binary on the fixture directories
//! under tests/data/cli (paths relative to that directory, as in CI).

use std::path::PathBuf;

use serde_json::Value;

use crate::support::assert::assert_contains;
use crate::support::run::{self, Run};

fn data_dir() -> PathBuf {
    run::data_dir("cli")
}

fn check_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    run::run_in(&data_dir(), &all, stdin)
}

fn check(args: &[&str]) -> Run {
    check_with_stdin(args, None)
}

/// (code, line, column) of every finding of a JSON report.
fn codes_at(report: &Value) -> Vec<(String, u64, u64)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["line"].as_u64().expect("line"),
                f["column"].as_u64().expect("column"),
            )
        })
        .collect()
}

#[test]
fn clean_manifests_pass_with_nothing_to_say() {
    let run = check(&["clean"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.finding_lines(), Vec::<&str>::new());
    assert_eq!(
        run.summary(),
        "checked 7 objects (3 Namespaces, 4 Services) in 8 documents of 3 files: 0 errors, 0 warnings"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn real_world_manifests_without_tetrate_keys_pass_untouched() {
    let run = check(&["--output", "json", "real-world"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["services"], 15);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
    // Even with every warning made fatal.
    let strict = check(&["--fail-on-warning", "real-world"]);
    assert_eq!(strict.code, 0, "{}", strict.stdout);
}

#[test]
fn each_rule_is_reported_at_its_key() {
    // (fixture, every finding as (code, line, column), exit status)
    type Case<'a> = (&'a str, &'a [(&'a str, u64, u64)], i32);
    let cases: &[Case] = &[
        ("rules/ew001.yaml", &[("EW001", 8, 5)], 1),
        ("rules/ew002.yaml", &[("EW002", 9, 5)], 1),
        ("rules/ew003.yaml", &[("EW003", 9, 5)], 1),
        ("rules/ew004.yaml", &[("EW004", 9, 5)], 1),
        ("rules/ew005.yaml", &[("EW005", 9, 5)], 1),
        ("rules/ew006.yaml", &[("EW006", 9, 5)], 1),
        // Inside the cloud-annotations block: line 2, column 62 of the value. Denied: the
        // agent's line fallback reads the commented-out line 3 as a key.
        ("rules/ew007.yaml", &[("EW007", 11, 68)], 1),
        // The same YAML error where the fallback keeps every line: a warning, and EW010 on
        // the value the fallback reads.
        (
            "rules/ew007-warning.yaml",
            &[("EW010", 11, 7), ("EW007", 11, 68)],
            0,
        ),
        ("rules/ew008.yaml", &[("EW008", 11, 7)], 1),
        // A warning: the key may be another controller's.
        ("rules/ew009.yaml", &[("EW009", 10, 7)], 0),
        ("rules/ew010.yaml", &[("EW010", 10, 7)], 0),
        ("rules/ew011.yaml", &[("EW011", 9, 5)], 1),
        ("rules/ew012.yaml", &[("EW012", 7, 5)], 1),
        ("rules/ew013.yaml", &[("EW013", 8, 5)], 1),
        // Without --old there is no "before", so no change of exposure to report: EW022 comes
        // from the --old transitions below and from rules/ew022.yaml judged against ew022-old/.
        ("rules/ew022.yaml", &[], 0),
        ("rules/ew030.yaml", &[("EW030", 6, 5)], 0),
        // Not exposed (no trigger label), so no EW022 "becomes exposed" beside it.
        ("rules/ew031.yaml", &[("EW031", 14, 5)], 0),
        ("rules/ew040.yaml", &[("EW040", 9, 3)], 0),
        (
            "rules/invalid-manifest.yaml",
            &[("invalid-manifest", 8, 32)],
            1,
        ),
    ];
    for (fixture, expected, code) in cases {
        let run = check(&["--output", "json", fixture]);
        let got = codes_at(&run.json());
        let want: Vec<(String, u64, u64)> = expected
            .iter()
            .map(|(c, l, col)| ((*c).to_owned(), *l, *col))
            .collect();
        assert_eq!(got, want, "{fixture}");
        assert_eq!(run.code, *code, "{fixture}: {}", run.stdout);
    }
}

#[test]
fn every_rule_of_the_cli_has_a_fixture() {
    // EW032 needs the cluster (does the gateway namespace exist?): nothing in manifests can
    // say, so the CLI never reports it. EW020 and EW021 need --old (see the transition tests).
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(data_dir().join("rules")).expect("rules fixtures") {
        let path = entry.expect("entry").path();
        let run = check(&["--output", "json", path.to_str().expect("UTF-8 path")]);
        for (code, _, _) in codes_at(&run.json()) {
            seen.insert(code);
        }
    }
    let transitions = check(&[
        "--output",
        "json",
        "--old",
        "transitions/old",
        "transitions/new",
    ]);
    for (code, _, _) in codes_at(&transitions.json()) {
        seen.insert(code);
    }
    for id in eastwest_guard::rules::RuleId::ALL {
        if id.as_str() == "EW032" {
            continue;
        }
        assert!(seen.contains(id.as_str()), "no fixture reports {id}");
    }
}

#[test]
fn text_output_line_by_line() {
    let run = check(&["rules/ew031.yaml", "rules/ew001.yaml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "rules/ew031.yaml:14:5: warning EW031 Service/inventory/stock: is labelled \
         traffic.tetrate.io/global: \"true\", but its Namespace \"inventory\" has none of the \
         trigger labels, so the agent creates no workspace and the Service is not exposed. Fix: \
         in the manifest of Namespace inventory, under metadata.labels, write tetrate.io/rev: \
         \"default\"\n\
         rules/ew001.yaml:8:5: error EW001 Namespace/payments: annotation \
         traffic.tetrate.io/global is \"True\"; expected exactly \"true\" or \"false\" (lower \
         case). Read strictly, anything else is \"false\", so east-west stays off. Fix: under \
         metadata.annotations, write traffic.tetrate.io/global: \"true\"\n\
         checked 3 objects (2 Namespaces, 1 Service) in 3 documents of 2 files: 1 error, 1 warning\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn json_output_field_by_field() {
    let run = check(&["--output", "json", "rules/ew007.yaml", "rules/ew040.yaml"]);
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!(report["tool"], "eastwest-guard");
    assert_eq!(report["toolVersion"], env!("CARGO_PKG_VERSION"));
    let summary = &report["summary"];
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["documents"], 2);
    assert_eq!(summary["objects"], 2);
    assert_eq!(summary["namespaces"], 1);
    assert_eq!(summary["services"], 1);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["warnings"], 1);
    assert_eq!(summary["inputErrors"], 0);
    assert_eq!(summary["old"], Value::Null);
    assert_eq!(summary["exitCode"], 1);
    assert_eq!(report["inputErrors"], serde_json::json!([]));

    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2);
    let ew007 = &findings[0];
    assert_eq!(ew007["level"], "error");
    assert_eq!(ew007["code"], "EW007");
    assert_eq!(ew007["rule"], "EW007");
    assert_eq!(
        ew007["title"],
        "cloud annotations must be a YAML map of string to scalar"
    );
    assert_eq!(ew007["file"], "rules/ew007.yaml");
    assert_eq!(ew007["line"], 11);
    assert_eq!(ew007["column"], 68);
    assert_eq!(
        ew007["object"],
        serde_json::json!({"kind": "Namespace", "namespace": null, "name": "payments"})
    );
    assert_eq!(ew007["operation"], "create");
    assert_eq!(
        ew007["field"],
        serde_json::json!({
            "in": "annotation",
            "key": "traffic.tetrate.io/eastwest-gateway-cloud-annotations"
        })
    );
    assert_eq!(
        ew007["value"],
        "service.beta.kubernetes.io/aws-load-balancer-type: external\n\
         service.beta.kubernetes.io/aws-load-balancer-scheme: internal: yes\n\
         #service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"\n"
    );
    assert_eq!(
        ew007["positionInValue"],
        serde_json::json!({"line": 2, "column": 62})
    );
    let message = ew007["message"].as_str().expect("message");
    assert!(
        message.starts_with("Namespace \"payments\": annotation traffic.tetrate.io/eastwest-gateway-cloud-annotations is not valid YAML"),
        "{message}"
    );
    assert!(
        ew007["summary"]
            .as_str()
            .expect("summary")
            .starts_with("EW007: ")
    );

    let ew040 = &findings[1];
    assert_eq!(ew040["level"], "warning");
    assert_eq!(ew040["code"], "EW040");
    assert_eq!(ew040["file"], "rules/ew040.yaml");
    assert_eq!(
        (ew040["line"].as_u64(), ew040["column"].as_u64()),
        (Some(9), Some(3))
    );
    assert_eq!(
        ew040["object"],
        serde_json::json!({"kind": "Service", "namespace": "payments", "name": "legacy-db"})
    );
    assert_eq!(ew040["field"], serde_json::json!({"in": "specType"}));
    assert_eq!(ew040["value"], "ExternalName");
    assert_eq!(ew040["positionInValue"], Value::Null);
}

/// A file with an invalid-manifest finding and a directory with a duplicate, as JSON.
const INPUT_CHECKS: &[&str] = &[
    "-o",
    "json",
    "rules/invalid-manifest.yaml",
    "duplicate",
    "-n",
    "payments",
];

#[test]
fn json_output_for_checks_of_the_input_itself() {
    let run = check(INPUT_CHECKS);
    assert_eq!(run.code, 1);
    let report = run.json();
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2);
    let invalid = &findings[0];
    assert_eq!(invalid["code"], "invalid-manifest");
    assert_eq!(invalid["rule"], Value::Null);
    assert_eq!(invalid["level"], "error");
    assert_eq!(
        invalid["field"],
        serde_json::json!({"in": "annotation", "key": "traffic.tetrate.io/global"})
    );
    assert_eq!(invalid["value"], "true");
    assert!(
        invalid["message"]
            .as_str()
            .expect("message")
            .contains("Fix: quote it: traffic.tetrate.io/global: \"true\"")
    );
    let duplicate = &findings[1];
    assert_eq!(duplicate["code"], "duplicate-object");
    assert_eq!(duplicate["file"], "duplicate/b.yaml");
    assert_eq!(
        (duplicate["line"].as_u64(), duplicate["column"].as_u64()),
        (Some(6), Some(9))
    );
    assert_eq!(duplicate["field"], Value::Null);
    assert!(
        duplicate["message"]
            .as_str()
            .expect("message")
            .contains("is also defined at duplicate/a.yaml:4")
    );
}

#[test]
fn objects_without_a_tetrate_key_may_appear_twice() {
    // A kustomize base and overlay, or one folder per environment: not the guard's business.
    let run = check(&["-o", "json", "duplicate-plain"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["findings"], serde_json::json!([]));
}

#[test]
fn a_namespace_twice_with_a_trigger_label_is_reported() {
    // No traffic.tetrate.io/ key, but the trigger label decides exposure in it.
    let run = check(&["-o", "json", "duplicate-namespace"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["code"], "duplicate-object");
    assert_eq!(findings[0]["file"], "duplicate-namespace/overlay.yaml");
}

#[test]
fn warn_only_downgrades_the_checks_of_the_input_too() {
    // --warn-only turns every deny into a warning, the input's own checks included.
    let run = check(&[INPUT_CHECKS, &["--warn-only"]].concat());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    let findings = report["findings"].as_array().expect("findings");
    let levels: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        levels,
        vec![
            ("invalid-manifest", "warning"),
            ("duplicate-object", "warning")
        ]
    );
    // And --fail-on-warning still fails the run on them.
    let run = check(&[INPUT_CHECKS, &["--warn-only", "--fail-on-warning"]].concat());
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn github_output_is_workflow_commands() {
    let run = check(&["--output", "github", "rules/ew013.yaml", "rules/ew030.yaml"]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "::error file=rules/ew013.yaml,line=8,col=5,title=EW013::Service \"payments/api\": \
             label traffic.tetrate.io/global is \"yes\"; expected exactly \"true\" or \"false\" \
             (lower case). The agent reads anything else as not \"true\": unless its Namespace \
             is namespace-level, the Service is not exposed. Fix: under metadata.labels, write \
             traffic.tetrate.io/global: \"true\"",
            "::warning file=rules/ew030.yaml,line=6,col=5,title=EW030::Namespace \"payments\": \
             has traffic.tetrate.io/global: \"true\" but none of the trigger labels \
             (tetrate.io/rev=default, istio-injection=enabled, istio.io/rev=default), so the \
             agent creates no workspace and nothing is exposed. Fix: under metadata.labels, \
             write tetrate.io/rev: \"default\"",
            "checked 2 objects (1 Namespace, 1 Service) in 2 documents of 2 files: 1 error, 1 warning",
        ]
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn github_output_escapes_properties_and_data() {
    // A file name with `,` and `:` (escaped in the file= property), and a multi-line value
    // quoted in the message: workflow commands must stay on one line.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a,b:c.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  annotations:\n    \
         traffic.tetrate.io/eastwest-gateway-name: \"50%\\ngw\"\n",
    )
    .expect("write");
    let run = check(&["-o", "github", file.to_str().expect("UTF-8 path")]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let first = run.stdout.lines().next().expect("a line");
    let escaped_path = file
        .to_str()
        .expect("UTF-8")
        .replace(':', "%3A")
        .replace(',', "%2C");
    assert!(
        first.starts_with(&format!(
            "::error file={escaped_path},line=6,col=5,title=EW004::"
        )),
        "{first}"
    );
    assert!(first.contains("\"50%25\\ngw\""), "{first}");
    assert_eq!(run.stdout.lines().count(), 2);
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read(data_dir().join("rules/ew005.yaml")).expect("fixture");
    let run = check_with_stdin(&["-"], Some(&text));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let lines = run.finding_lines();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("<stdin>:9:5: error EW005 Namespace/payments: "),
        "{}",
        lines[0]
    );

    // GitHub has no file to annotate: the command carries only the title.
    let run = check_with_stdin(&["-o", "github", "-"], Some(&text));
    assert!(
        run.stdout
            .starts_with("::error title=EW005::Namespace \"payments\": "),
        "{}",
        run.stdout
    );

    // Like `kustomize build | eastwest-guard check -`, mixed with files.
    let run = check_with_stdin(&["-o", "json", "rules/ew013.yaml", "-"], Some(&text));
    let files: Vec<Value> = run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].clone())
        .collect();
    assert_eq!(files, vec!["rules/ew013.yaml", "<stdin>"]);

    // An empty standard input is what a failed `kustomize build | eastwest-guard check -`
    // gives: nothing was checked, which must not pass.
    let empty = check_with_stdin(&["-"], Some(b""));
    assert_eq!(empty.code, 2, "{}{}", empty.stdout, empty.stderr);
    assert_contains(
        &empty.stderr,
        &["<stdin>: error: the input holds no Kubernetes object"],
    );
}

#[test]
fn mixed_kinds_comments_anchors_lists_and_json() {
    let run = check(&["--output", "json", "mixed"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    // .hidden/ (invalid YAML) and 04-notes.txt are not read; the CRD, the Widget, the
    // Deployment and the Knative Service are read and skipped.
    assert_eq!(report["summary"]["files"], 4);
    assert_eq!(report["summary"]["documents"], 7);
    assert_eq!(report["summary"]["namespaces"], 2);
    assert_eq!(report["summary"]["services"], 2);
    assert_eq!(report["inputErrors"], serde_json::json!([]));
    let findings = report["findings"].as_array().expect("findings");
    let got: Vec<(&str, &str, &str, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code"),
                f["object"]["name"].as_str().expect("name"),
                f["file"].as_str().expect("file"),
                f["line"].as_u64().expect("line"),
                f["column"].as_u64().expect("column"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // The staging Namespace takes global: "true" from a merge key; its own gateway
            // name overrides the merged one and is invalid.
            (
                "EW004",
                "payments-staging",
                "mixed/01-helm-rendered.yaml",
                24,
                9
            ),
            // An item of a JSON kind: List, tab-indented.
            ("EW013", "reports", "mixed/03-list.json", 12, 6),
        ]
    );
}

#[test]
fn old_manifests_make_updates_and_catch_transitions() {
    let run = check(&[
        "--output",
        "json",
        "--old",
        "transitions/old",
        "transitions/new",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(
        report["summary"]["old"],
        serde_json::json!({"files": 2, "objects": 8, "updated": 7, "deleted": 1})
    );
    let findings = report["findings"].as_array().expect("findings");
    let got: Vec<(&str, &str, &str, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code"),
                f["level"].as_str().expect("level"),
                f["object"]["name"].as_str().expect("name"),
                f["line"].as_u64().expect("line"),
                f["column"].as_u64().expect("column"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // The annotation is gone: the finding points at metadata.
            ("EW020", "error", "orders", 5, 1),
            // The name changes; the selector derived from it is said in the same finding (where
            // the mutating webhook runs, it stays as written down), not in one of its own.
            ("EW021", "warning", "payments", 18, 5),
            ("EW022", "warning", "cart", 28, 5),
        ]
    );
    assert!(findings.iter().all(|f| f["operation"] == "update"));
    let ew020 = findings[0]["message"].as_str().expect("message");
    assert!(
        ew020.contains("In this Namespace that is 2 Services: billing, ledger."),
        "{ew020}"
    );
    assert!(
        ew020.contains("in GitOps, remove the Namespace in a change of its own"),
        "{ew020}"
    );

    // Without --old the same manifests are creations: no transition to catch, and no
    // exposure change to report.
    let alone = check(&["--output", "json", "transitions/new"]);
    assert_eq!(alone.code, 0);
    let codes: Vec<String> = codes_at(&alone.json())
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    assert!(codes.is_empty(), "{codes:?}");

    // A labelled Service new in this change (in --old, its Namespace but not the Service)
    // does become exposed.
    let new_service = check(&["--output", "json", "--old", "ew022-old", "rules/ew022.yaml"]);
    let codes: Vec<(String, u64, u64)> = codes_at(&new_service.json());
    assert_eq!(codes, vec![("EW022".to_owned(), 16, 5)]);

    // The text summary says what --old did.
    let text = check(&["--old", "transitions/old", "transitions/new"]);
    assert_eq!(
        text.summary(),
        "checked 7 objects (3 Namespaces, 4 Services) in 7 documents of 2 files; against --old \
         (8 objects in 2 files): 7 updates, 1 deletion: 1 error, 2 warnings"
    );
}

#[test]
fn a_file_named_twice_is_read_once() {
    let run = check(&["clean", "clean/services.yaml", "./clean"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.summary(),
        "checked 7 objects (3 Namespaces, 4 Services) in 8 documents of 3 files: 0 errors, 0 warnings"
    );
}

#[test]
fn namespace_flag_places_services_without_one() {
    // The Namespace is in the input without a trigger label; the Service names no namespace.
    let input = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\n\
        apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n    \
        traffic.tetrate.io/global: \"true\"\n";
    let in_team = check_with_stdin(&["-o", "json", "--namespace", "team", "-"], Some(input));
    let codes: Vec<String> = codes_at(&in_team.json())
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    assert_eq!(codes, vec!["EW031"]);
    assert_eq!(in_team.json()["findings"][0]["object"]["namespace"], "team");
    // In `default` (not in the input), nothing is known about its Namespace.
    let in_default = check_with_stdin(&["-o", "json", "-"], Some(input));
    assert_eq!(in_default.json()["findings"], serde_json::json!([]));
}

#[test]
fn an_empty_namespace_is_no_namespace() {
    // `namespace: ""` (Helm's `{{ .Values.namespace | quote }}` when unset): kube-apiserver
    // puts the Service in the request's namespace, as for a Service without the key.
    let run = check(&["-o", "json", "empty-namespace/services.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    let got: Vec<(&str, &str, &str, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code"),
                f["object"]["name"].as_str().expect("name"),
                f["object"]["namespace"].as_str().expect("a namespace"),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("EW031", "emptyns", "default", 15),
            ("EW013", "badlabel", "default", 23),
            ("EW031", "nonamespace", "default", 30),
        ]
    );

    // The text names the namespace, and so does the fix.
    let text = check(&["empty-namespace/services.yaml"]);
    let lines = text.finding_lines();
    assert!(
        lines[1].starts_with(
            "empty-namespace/services.yaml:23:5: error EW013 Service/default/badlabel: "
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with("Fix: under metadata.labels, write traffic.tetrate.io/global: \"true\""),
        "{}",
        lines[1]
    );

    // With --namespace, in that namespace (not in the input: nothing known about it).
    let run = check(&["-o", "json", "-n", "team", "empty-namespace/services.yaml"]);
    let report = run.json();
    assert_eq!(codes_at(&report), vec![("EW013".to_owned(), 23, 5)]);
    assert_eq!(report["findings"][0]["object"]["namespace"], "team");

    // With --old: the Service becomes exposed (EW022), as it does without the key.
    let run = check(&[
        "-o",
        "json",
        "--old",
        "empty-namespace/old",
        "empty-namespace/new",
    ]);
    let report = run.json();
    assert_eq!(
        codes_at(&report),
        vec![("EW022".to_owned(), 15, 5)],
        "{report:#}"
    );
    assert_eq!(report["findings"][0]["object"]["namespace"], "default");
    assert_eq!(report["findings"][0]["operation"], "update");
}

#[test]
fn exit_status_zero_when_only_warnings() {
    let run = check(&["warnings"]);
    assert_eq!(run.code, 0);
    assert!(
        run.summary().ends_with("0 errors, 1 warning"),
        "{}",
        run.summary()
    );
}

#[test]
fn exit_status_one_on_warnings_with_fail_on_warning() {
    let run = check(&["--fail-on-warning", "warnings"]);
    assert_eq!(run.code, 1);
    let json = check(&["--fail-on-warning", "-o", "json", "warnings"]);
    assert_eq!(json.code, 1);
    assert_eq!(json.json()["summary"]["exitCode"], 1);
}

#[test]
fn exit_status_follows_the_rule_flags() {
    // Every deny becomes a warning: exit 0.
    let run = check(&["--warn-only", "rules/ew001.yaml"]);
    assert_eq!(run.code, 0);
    assert_contains(&run.stdout, &[": warning EW001 "]);
    // One rule downgraded.
    let run = check(&["--warn", "EW005", "rules/ew005.yaml", "rules/ew001.yaml"]);
    assert_eq!(run.code, 1);
    assert_contains(&run.stdout, &[": warning EW005 ", ": error EW001 "]);
    // A custom trigger label: the Namespace in ew022.yaml has none of them then.
    let run = check(&[
        "--trigger-label",
        "mesh=on",
        "-o",
        "json",
        "rules/ew022.yaml",
    ]);
    let codes: Vec<String> = codes_at(&run.json())
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    assert_eq!(codes, vec!["EW031"]);
}

#[test]
fn exit_status_two_for_invalid_yaml_with_file_and_line() {
    let run = check(&["invalid", "clean"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "invalid/bad.yaml:7:4: error: invalid YAML: while parsing a block mapping, did not find \
         expected key\n"
    );
    // The rest is still checked.
    assert_eq!(
        run.summary(),
        "checked 7 objects (3 Namespaces, 4 Services) in 8 documents of 4 files: 0 errors, 0 \
         warnings, 1 input could not be read (the check is incomplete)"
    );

    let json = check(&["-o", "json", "invalid"]);
    assert_eq!(json.code, 2);
    let report = json.json();
    assert_eq!(report["summary"]["exitCode"], 2);
    assert_eq!(
        report["inputErrors"],
        serde_json::json!([{
            "file": "invalid/bad.yaml",
            "line": 7,
            "column": 4,
            "message": "invalid YAML: while parsing a block mapping, did not find expected key"
        }])
    );

    let github = check(&["-o", "github", "invalid"]);
    assert_eq!(github.code, 2);
    assert_eq!(
        github.stdout.lines().next(),
        Some(
            "::error file=invalid/bad.yaml,line=7,col=4,title=eastwest-guard::invalid/bad.yaml:7:4: \
             invalid YAML: while parsing a block mapping, did not find expected key"
        )
    );
}

#[test]
fn exit_status_two_for_unreadable_paths() {
    let run = check(&["no-such-dir", "rules/ew001.yaml"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "no-such-dir: error: cannot read: no such file or directory\n"
    );
    // Errors in the input do not hide the findings of what could be read.
    assert_contains(&run.stdout, &["error EW001"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let run = check(&[dir.path().to_str().expect("UTF-8 path")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .ends_with(": error: no .yaml, .yml or .json file in this directory\n"),
        "{}",
        run.stderr
    );

    let binary = dir.path().join("latin1.yaml");
    std::fs::write(&binary, b"kind: Namespace\nmetadata:\n  name: caf\xe9\n").expect("write");
    let run = check(&[binary.to_str().expect("UTF-8 path")]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &[":3:12: error: not UTF-8 text"]);

    let old_missing = check(&["--old", "no-such-base", "clean"]);
    assert_eq!(old_missing.code, 2);
}

#[test]
fn exit_status_two_for_bad_flags() {
    // A rule ID that does not exist (the engine configuration refuses it).
    let run = check(&["--warn", "EW999", "clean"]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["--warn: unknown rule ID \"EW999\""]);
    assert_eq!(run.stdout, "");
    // A trigger label without `=`.
    let run = check(&["--trigger-label", "nope", "clean"]);
    assert_eq!(run.code, 2);
    // A namespace that cannot be one.
    let run = check(&["--namespace", "Not_A_Namespace", "clean"]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["--namespace"]);
    // Usage errors from the argument parser.
    assert_eq!(check(&[]).code, 2);
    assert_eq!(check(&["--output", "xml", "clean"]).code, 2);
    assert_eq!(check(&["--no-such-flag", "clean"]).code, 2);
    // Standard input cannot be read twice.
    let run = check(&["-", "--old", "-"]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["only once"]);
}

#[test]
fn a_large_generated_input_is_read_whole() {
    // 2,000 documents through stdin: counts add up, positions stay right at the end.
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{i}\n  labels:\n    \
             istio-injection: enabled\n  annotations:\n    traffic.tetrate.io/global: \"true\"\n\
             ---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  namespace: ns-{i}\n"
        ));
    }
    text.push_str("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: last\n  labels:\n    traffic.tetrate.io/global: \"no\"\n");
    let run = check_with_stdin(&["-o", "json"], None);
    assert_eq!(run.code, 2, "no PATH is a usage error");
    let run = check_with_stdin(&["-o", "json", "-"], Some(text.as_bytes()));
    let report = run.json();
    assert_eq!(report["summary"]["documents"], 2001);
    assert_eq!(report["summary"]["objects"], 2001);
    assert_eq!(codes_at(&report), vec![("EW013".to_owned(), 15_007, 5)]);
}

#[test]
fn warn_only_from_the_environment_reads_the_usual_spellings() {
    // A Deployment or CI variable is often written 1/0 or yes/no.
    for (value, code) in [
        ("1", 0),
        ("yes", 0),
        ("on", 0),
        ("0", 1),
        ("no", 1),
        ("false", 1),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
            .current_dir(data_dir())
            .args(["check", "rules/ew013.yaml"])
            .env("EASTWEST_GUARD_WARN_ONLY", value)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "EASTWEST_GUARD_WARN_ONLY={value}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn only_core_v1_objects_are_judged() {
    let run = check(&["-o", "json", "api-versions/objects.yaml"]);
    let report = run.json();
    let got: Vec<(&str, &str, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code"),
                f["object"]["name"].as_str().expect("name"),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect();
    // No apiVersion: judged as v1. `v2`, `v1beta1` and the items of a `v2` list: skipped.
    assert_eq!(
        got,
        vec![("EW001", "no-api-version", 8), ("EW013", "v1", 37)]
    );
    assert_eq!(report["summary"]["documents"], 5);
    assert_eq!(report["summary"]["objects"], 2);
}

#[test]
fn a_json_stream_is_read_value_by_value() {
    // `jq -c '.items[]'` output (one object a line), and pretty-printed objects back to back
    // (the last one on the same line as the closing brace before it), as kubectl reads them.
    type Case<'a> = (&'a str, &'a [(&'a str, u64, u64)]);
    let cases: &[Case] = &[
        (
            "json-stream/compact.json",
            &[("EW001", 1, 84), ("EW013", 3, 95)],
        ),
        (
            "json-stream/pretty.json",
            // Columns in characters: the last line has non-ASCII text before the key.
            &[("EW001", 7, 7), ("EW013", 18, 7), ("EW013", 21, 106)],
        ),
    ];
    for (fixture, expected) in cases {
        let run = check(&["-o", "json", fixture]);
        assert_eq!(run.code, 1, "{fixture}: {}{}", run.stdout, run.stderr);
        let report = run.json();
        let want: Vec<(String, u64, u64)> = expected
            .iter()
            .map(|(c, l, col)| ((*c).to_owned(), *l, *col))
            .collect();
        assert_eq!(codes_at(&report), want, "{fixture}");
        assert_eq!(report["summary"]["documents"], 3, "{fixture}");
        assert_eq!(report["inputErrors"], serde_json::json!([]), "{fixture}");
    }

    // Through standard input too, after blank lines.
    let text = std::fs::read(data_dir().join("json-stream/compact.json")).expect("fixture");
    let stdin = [b"\n\n".as_slice(), &text].concat();
    let run = check_with_stdin(&["-o", "json", "-"], Some(&stdin));
    assert_eq!(
        codes_at(&run.json()),
        vec![("EW001".to_owned(), 3, 84), ("EW013".to_owned(), 5, 95)]
    );

    // One JSON object and YAML documents after it: read as before (kubectl's decoder also
    // reads the rest as YAML after a single JSON object).
    let run = check_with_stdin(
        &["-o", "json", "-"],
        Some(
            b"{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n\
              ---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  annotations:\n    \
              traffic.tetrate.io/global: \"yes\"\n",
        ),
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(codes_at(&run.json()), vec![("EW001".to_owned(), 8, 5)]);
}

#[test]
fn an_invalid_json_stream_is_an_input_error_with_its_position() {
    let ns = |name: &str| {
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"{name}\"}}}}\n"
        )
    };
    // A trailing comma in the third object.
    let text = format!(
        "{}{}{{\"kind\": \"Namespace\", \"metadata\": {{\"name\": \"c\",}}}}\n",
        ns("a"),
        ns("b")
    );
    let run = check_with_stdin(&["-"], Some(text.as_bytes()));
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr,
        "<stdin>:3:48: error: invalid JSON: trailing comma\n"
    );
    let json = check_with_stdin(&["-o", "json", "-"], Some(text.as_bytes()));
    assert_eq!(
        json.json()["inputErrors"],
        serde_json::json!([{
            "file": "<stdin>",
            "line": 3,
            "column": 48,
            "message": "invalid JSON: trailing comma"
        }])
    );

    // Two JSON objects make a JSON stream: YAML after them is an error, as in kubectl.
    let text = format!("{}{}---\nkind: Namespace\n", ns("a"), ns("b"));
    let run = check_with_stdin(&["-"], Some(text.as_bytes()));
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr,
        "<stdin>:3:2: error: invalid JSON: invalid number\n"
    );

    // Cut short: the position is the end of the text.
    let text = format!("{}{}{{\"kind\": ", ns("a"), ns("b"));
    let run = check_with_stdin(&["-"], Some(text.as_bytes()));
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("<stdin>:3:10: error: invalid JSON: "),
        "{}",
        run.stderr
    );
}

#[test]
fn a_byte_order_mark_after_a_separator_is_accepted() {
    // `cat a.yaml b.yaml` where b.yaml was saved with a BOM: kubectl splits the stream at
    // `---` lines and reads each part on its own, BOM and all.
    let text = "\u{feff}apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations:\n    \
                traffic.tetrate.io/global: \"yes\"\n\
                ---\n\
                \u{feff}apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  annotations:\n    \
                traffic.tetrate.io/global: \"yes\"\n\
                --- # a comment\n\
                \u{feff}{apiVersion: v1, kind: Namespace, metadata: {name: c, annotations: \
                {traffic.tetrate.io/global: \"yes\"}}}\n";
    let run = check_with_stdin(&["-o", "json", "-"], Some(text.as_bytes()));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["inputErrors"], serde_json::json!([]));
    // Lines exact; columns in characters as an editor shows them (the BOM is not one).
    assert_eq!(
        codes_at(&report),
        vec![
            ("EW001".to_owned(), 6, 5),
            ("EW001".to_owned(), 13, 5),
            ("EW001".to_owned(), 15, 69),
        ]
    );
}

/// A Service labelled `"false"` in a namespace-level Namespace is exposed all the same: the
/// opt-out keeps nothing private, and check says so with or without --old. Other new Services
/// there stay unremarked: being exposed is what namespace-level means.
#[test]
fn a_false_label_in_a_namespace_level_namespace_is_reported() {
    let input = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels: {istio-injection: enabled}\n  annotations: {traffic.tetrate.io/global: \"true\"}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: secret-db\n  namespace: payments\n  labels: {traffic.tetrate.io/global: \"false\"}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: payments}\n";
    let run = check_with_stdin(&["-o", "json", "-"], Some(input));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        codes_at(&report),
        vec![("EW022".to_owned(), 13, 12)],
        "{report:#}"
    );
    assert_eq!(report["findings"][0]["object"]["name"], "secret-db");
}

/// Of an object repeated on the `--old` side, the last copy is what the cluster has (kubectl
/// applies the copies in order), as explain and diff read it: judged against the first copy,
/// a namespace-level Namespace leaving that mode would pass without EW020.
#[test]
fn the_last_copy_on_the_old_side_is_what_changes_are_judged_against() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ns = |global: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pay\n  labels: {{tetrate.io/rev: default}}\n  annotations: {{traffic.tetrate.io/global: \"{global}\"}}\n"
        )
    };
    let old = dir.path().join("old.yaml");
    let new = dir.path().join("new.yaml");
    std::fs::write(&old, format!("{}---\n{}", ns("false"), ns("true"))).expect("write");
    std::fs::write(&new, ns("false")).expect("write");
    let run = check(&[
        "--old",
        old.to_str().expect("utf-8"),
        new.to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert!(
        codes_at(&report).iter().any(|(code, _, _)| code == "EW020"),
        "{report:#}"
    );
}
