//! SPEC v2 through the built binary, on the fixtures under tests/data/v2: an input that checks
//! nothing fails; a problem a change did not make is a warning (`--deny-existing` denies it);
//! EW022 compares the old Service in its old Namespace with the new one, as `--summary` and
//! `diff` do; a lenient old value makes EW020 a warning and diff's switch "may be blocked";
//! a near miss of the prefix is found in manifests; a key reported by a rule and by the input
//! check gets one fix; the flags show their defaults and the rule IDs that exist.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::assert::{assert_contains, assert_lacks};
use crate::support::run::{self, Run};

fn data_dir() -> PathBuf {
    run::data_dir("v2")
}

fn ewg(args: &[&str]) -> Run {
    run::run_in(&data_dir(), args, None)
}

fn ewg_stdin(args: &[&str], stdin: &[u8]) -> Run {
    run::run_in(&data_dir(), args, Some(stdin))
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["level"].as_str().expect("level").to_owned(),
                f["object"]["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

/// `check`, `explain` and `diff --new` exit 2 when the input holds no Kubernetes object at
/// all, whatever the output format, and say so; an input of other kinds is fine.
#[test]
fn an_input_with_no_object_fails() {
    for path in [
        "empty/empty.yaml",
        "empty/comments.yaml",
        "empty/separators.yaml",
        "empty",
    ] {
        for command in ["check", "explain"] {
            let run = ewg(&[command, path]);
            assert_eq!(
                run.code, 2,
                "{command} {path}: {}{}",
                run.stdout, run.stderr
            );
            assert_contains(
                &run.stderr,
                &["holds no Kubernetes object", "nothing was checked"],
            );
        }
        let run = ewg(&["check", "--output", "json", path]);
        assert_eq!(run.code, 2, "{path}");
        let report = run.json();
        assert_eq!(report["summary"]["exitCode"], 2);
        assert!(
            report["inputErrors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("holds no Kubernetes object")),
            "{report:#}"
        );
        let run = ewg(&["diff", "--old", "other-kinds", "--new", path]);
        assert_eq!(run.code, 2, "diff --new {path}: {}", run.stderr);
        assert_contains(&run.stderr, &["--new holds no Kubernetes object"]);
    }
    // A directory without a manifest file was an input error already.
    let run = ewg(&["check", "empty-dir"]);
    assert_eq!(run.code, 2);
    assert_contains(
        &run.stderr,
        &["empty-dir: error: no .yaml, .yml or .json file"],
    );
    // What each says it read.
    let run = ewg(&["check", "empty/empty.yaml"]);
    assert_contains(
        &run.stderr,
        &["empty/empty.yaml: error: the input holds no Kubernetes object (nothing but blank lines"],
    );
    let run = ewg(&["check", "empty/separators.yaml"]);
    assert_contains(
        &run.stderr,
        &["(nothing but blank lines, comments or `---`)"],
    );
    // A failed `kustomize build | eastwest-guard check -`.
    for command in ["check", "explain"] {
        let run = ewg_stdin(&[command, "-"], b"");
        assert_eq!(run.code, 2, "{command}: {}", run.stdout);
        assert_contains(
            &run.stderr,
            &["<stdin>: error: the input holds no Kubernetes object"],
        );
        let run = ewg_stdin(&[command, "-"], b"# only a comment\n---\n");
        assert_eq!(run.code, 2, "{command}: {}", run.stdout);
    }
    // Objects, none of them a Namespace or a Service: nothing to say, exit 0.
    let run = ewg(&["check", "other-kinds"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.summary(),
        "checked 0 objects (0 Namespaces, 0 Services) in 2 documents of 1 file: 0 errors, 0 warnings"
    );
    assert_eq!(ewg(&["explain", "other-kinds"]).code, 0);
    // With one input empty and another not: the objects are checked.
    let run = ewg(&["check", "empty/empty.yaml", "near-miss.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// An empty --old is the base of a change that adds everything (a directory new in the
/// change): allowed, every object is new, and a note on standard error says so.
#[test]
fn an_empty_old_side_is_a_change_that_adds_everything() {
    let run = ewg(&[
        "diff",
        "--old",
        "empty",
        "--new",
        "ew022/new",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(&run.stderr, &["note: --old holds no Kubernetes object"]);
    let report = run.json();
    assert_eq!(report["summary"]["newlyExposed"], 1, "{report:#}");
    let run = ewg(&["check", "--old", "empty", "ew022/new"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_contains(&run.stderr, &["note: --old holds no Kubernetes object"]);
}

/// The first example as `check --old`: a tracking label added to a Service whose
/// label was `"True"` before; a warning marked `preExisting`, with its fix; --deny-existing
/// (flag or environment) denies it.
#[test]
fn a_problem_the_change_did_not_make_is_a_warning() {
    let run = ewg(&[
        "check",
        "-o",
        "json",
        "--old",
        "existing/old",
        "existing/new",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(
        findings(&report),
        [("EW013".to_owned(), "warning".to_owned(), "cart".to_owned())]
    );
    let f = &report["findings"][0];
    assert_eq!(f["preExisting"], true);
    assert_eq!(f["operation"], "update");
    assert_eq!(
        f["fix"],
        serde_json::json!({"edits": [{"op": "set", "target": "object",
            "field": {"in": "label", "key": "traffic.tetrate.io/global"}, "value": "true"}]})
    );
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("the problem was already there before this write")),
        "{f:#}"
    );
    // Without --old it is a creation: denied.
    assert_eq!(ewg(&["check", "existing/new"]).code, 1);
    // --deny-existing: denied, still marked.
    let run = ewg(&[
        "check",
        "-o",
        "json",
        "--deny-existing",
        "--old",
        "existing/old",
        "existing/new",
    ]);
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(report["findings"][0]["level"], "error");
    assert_eq!(report["findings"][0]["preExisting"], true);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_eastwest-guard"));
    let out = cmd
        .args(["check", "--old", "existing/old", "existing/new"])
        .current_dir(data_dir())
        .env("EASTWEST_GUARD_DENY_EXISTING", "true")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
}

/// EW022 judges the old Service in the old Namespace and the new one in the new Namespace: a
/// Service exposed before (its Namespace namespace-level) and after (labelled) does not
/// "become exposed", and `--summary` and `diff` say the same.
#[test]
fn ew022_compares_before_with_after() {
    let run = ewg(&["check", "-o", "json", "--old", "ew022/old", "ew022/new"]);
    let report = run.json();
    assert_eq!(
        findings(&report),
        [("EW020".to_owned(), "error".to_owned(), "shop".to_owned())],
        "{report:#}"
    );
    let run = ewg(&["check", "--summary", "--old", "ew022/old", "ew022/new"]);
    assert_lacks(&run.stdout, &["becomes exposed", "stops being exposed"]);
    let run = ewg(&[
        "diff",
        "-o",
        "json",
        "--old",
        "ew022/old",
        "--new",
        "ew022/new",
    ]);
    let report = run.json();
    assert_eq!(report["summary"]["newlyExposed"], 0, "{report:#}");
    assert_eq!(report["summary"]["noLongerExposed"], 0, "{report:#}");
    // The other way round: the Namespace becomes namespace-level and the label goes; exposed
    // before and after, and the label's removal changes nothing: said as such.
    let run = ewg(&["check", "--old", "ew022/new", "ew022/old"]);
    assert_contains(
        &run.stdout,
        &[
            "Service shop/cart stays exposed cross-cluster; the label traffic.tetrate.io/global has no effect here",
        ],
    );
    let run = ewg(&[
        "diff",
        "-o",
        "json",
        "--old",
        "ew022/new",
        "--new",
        "ew022/old",
    ]);
    assert_eq!(run.json()["summary"]["newlyExposed"], 0);
}

/// EW020 on an old value only a lenient parser reads as true: a warning in check, a change
/// that "may be blocked" in diff, in every format.
#[test]
fn a_lenient_old_value_may_be_blocked() {
    let run = ewg(&["check", "--old", "lenient/old", "lenient/new"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_contains(
        &run.stdout,
        &[
            "warning EW020 Namespace/orders",
            "strconv.ParseBool",
            "in the manifests the Namespace will be recreated from",
        ],
    );
    let run = ewg(&["diff", "--old", "lenient/old", "--new", "lenient/new"]);
    assert_contains(
        &run.stdout,
        &[
            "(1 may be blocked)",
            "May be blocked: the old value \"True\"",
        ],
    );
    let run = ewg(&[
        "diff",
        "-o",
        "json",
        "--old",
        "lenient/old",
        "--new",
        "lenient/new",
    ]);
    let report = run.json();
    assert_eq!(report["namespaces"][0]["mayBeBlockedBy"], "EW020");
    assert_eq!(report["namespaces"][0]["blockedBy"], Value::Null);
    let run = ewg(&[
        "diff",
        "-o",
        "markdown",
        "--old",
        "lenient/old",
        "--new",
        "lenient/new",
    ]);
    assert_contains(&run.stdout, &["**may be blocked: EW020**"]);
}

/// A known key under a near miss of the prefix, on objects with no key of ours: a warning in
/// manifests, with the rename as the edit of the manifest.
#[test]
fn near_misses_of_the_prefix_are_found_in_manifests() {
    let run = ewg(&["check", "-o", "json", "near-miss.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        findings(&report),
        [
            (
                "EW011".to_owned(),
                "warning".to_owned(),
                "payments".to_owned()
            ),
            ("EW011".to_owned(), "warning".to_owned(), "api".to_owned()),
        ]
    );
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["message"].as_str().expect("message"))
        .collect();
    assert_contains(
        messages[0],
        &[
            "annotation tetrate.io/global is not read",
            "did you mean \"traffic.tetrate.io/global\"",
        ],
    );
    assert_contains(
        messages[1],
        &[
            "replace traffic.tetrat.io/global under metadata.labels with traffic.tetrate.io/global: \"true\" under metadata.labels",
        ],
    );
    // The positions are the keys'.
    assert_eq!(report["findings"][0]["line"], 9);
    assert_eq!(report["findings"][1]["line"], 17);
}

/// One key, two findings (the input check and EW002), one fix: both say to write the quoted
/// value the agent reads.
#[test]
fn a_key_reported_twice_gets_one_fix() {
    let run = ewg(&["check", "-o", "json", "unquoted.yaml"]);
    assert_eq!(run.code, 1);
    let report = run.json();
    let fs = report["findings"].as_array().expect("findings");
    assert_eq!(fs.len(), 2, "{report:#}");
    for f in fs {
        let message = f["message"].as_str().expect("message");
        let (_, fix) = message.split_once("Fix: ").expect("a fix");
        assert_contains(
            fix,
            &["traffic.tetrate.io/eastwest-gateway-deploy: \"true\""],
        );
        assert_lacks(fix, &["\"yes\""]);
    }
    let codes: Vec<&str> = fs.iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["EW002", "invalid-manifest"]);
}

/// `--help` shows the defaults of the gateway name, namespace and cloud prefixes (they live in
/// the engine's configuration); a rule ID that does not exist is told the ones that do.
#[test]
fn flags_show_their_defaults_and_the_rule_ids() {
    for command in ["check", "explain", "diff", "serve"] {
        let run = ewg(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command}");
        assert_contains(
            &run.stdout,
            &[
                "[default: east-west-gateway]",
                "[default: tetrate-system]",
                "[default: service.beta.kubernetes.io/ service.kubernetes.io/ cloud.google.com/ networking.gke.io/]",
                "--deny-existing",
            ],
        );
    }
    let run = ewg(&["check", "--warn", "EW999", "near-miss.yaml"]);
    assert_eq!(run.code, 2);
    let ids: Vec<&str> = eastwest_guard::rules::RuleId::ALL
        .iter()
        .map(|id| id.as_str())
        .collect();
    assert_contains(
        &run.stderr,
        &[&format!(
            "--warn: unknown rule ID \"EW999\": expected one of {}",
            ids.join(", ")
        )],
    );
    // The default gateway name names a Service: a DNS-1035 label.
    let run = ewg(&["check", "--default-gateway-name", "1gw", "near-miss.yaml"]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, &["--default-gateway-name \"1gw\"", "DNS-1035"]);
    assert_eq!(
        ewg(&["check", "--default-gateway-name", "gw1", "near-miss.yaml"]).code,
        0
    );
}

/// The real-world corpus (no key of ours): nothing to say, as a creation or as an update of
/// itself, whatever is made fatal.
#[test]
fn the_real_world_corpus_is_never_denied() {
    let dir = run::data_dir("cli");
    for args in [
        &["check", "--fail-on-warning", "real-world"][..],
        &[
            "check",
            "--fail-on-warning",
            "--deny-existing",
            "--old",
            "real-world",
            "real-world",
        ],
    ] {
        let run = run::run_in(&dir, args, None);
        assert_eq!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.finding_lines(), Vec::<&str>::new());
    }
}
