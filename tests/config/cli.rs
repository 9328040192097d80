//! `--config FILE` through the real binary: `check` (and the other commands) read it strictly,
//! flags given on the command line or in the environment win over it, and its overrides set
//! the levels Namespace by Namespace.

use std::path::Path;

use crate::support::run::{Run, run_in};

/// Writes `files` into a new temporary directory.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A Service with a deny-level problem (EW013: the label's value is "True"), in `namespace`.
fn service(namespace: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: {namespace}\n  \
         labels:\n    traffic.tetrate.io/global: \"True\"\nspec:\n  type: ClusterIP\n---\n"
    )
}

/// A Namespace with a deny-level problem (EW001: the annotation's value is "yes").
fn namespace(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    \
         tetrate.io/rev: default\n  annotations:\n    traffic.tetrate.io/global: \"yes\"\n---\n"
    )
}

fn check(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "-o", "json"];
    all.extend_from_slice(args);
    all.push("objects.yaml");
    run_in(dir, &all, None)
}

/// (rule, object, level) of each finding of check's JSON output.
fn findings(run: &Run) -> Vec<(String, String, String)> {
    let json = run.json();
    json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {json}"))
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
                f["rule"].as_str().unwrap_or_default().to_owned(),
                object,
                f["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn level_of(run: &Run, rule: &str, object: &str) -> String {
    findings(run)
        .into_iter()
        .find(|(r, o, _)| r == rule && o == object)
        .map(|(.., l)| l)
        .unwrap_or_else(|| panic!("no {rule} on {object}: {:?}\n{}", findings(run), run.stderr))
}

#[test]
fn a_bad_file_exits_2_naming_the_field_and_the_line() {
    for (text, expected) in [
        (
            "warnOnly: true\nwarnOly: true\n",
            "eastwest.yaml:2:1: warnOly: unknown field `warnOly`, expected one of `warnOnly`",
        ),
        (
            "overrides:\n  - namespaces: [legacy-*]\n    warnOnly: 3\n",
            "eastwest.yaml:3:15: overrides[0].warnOnly: invalid type: integer `3`, expected a boolean",
        ),
        (
            "warn:\n  - EW011\n  - EW099\n",
            "eastwest.yaml:3:5: warn[1]: unknown rule ID \"EW099\"",
        ),
        (
            "overrides:\n  - namespaces: [payments]\n    warn: [EW0011]\n",
            "eastwest.yaml:3:12: overrides[0].warn[0]: unknown rule ID \"EW0011\"",
        ),
        (
            "triggerLabels:\n  - istio-injection\n",
            "eastwest.yaml:2:5: triggerLabels[0]: \"istio-injection\": expected KEY=VALUE",
        ),
        (
            "defaultGatewayName: East_West\n",
            "eastwest.yaml:1:21: defaultGatewayName: \"East_West\" ",
        ),
        (
            "overrides:\n  - namespaces: [\"-legacy*\"]\n",
            "eastwest.yaml:2:18: overrides[0].namespaces[0]: can match no Namespace name",
        ),
        (
            "overrides:\n  - warnOnly: true\n",
            "eastwest.yaml:2:5: overrides[0]: missing field `namespaces`",
        ),
        (
            "warn: EW011\n",
            "eastwest.yaml:1:7: warn: invalid type: string \"EW011\", expected a sequence",
        ),
    ] {
        let dir = dir_with(&[
            ("eastwest.yaml", text),
            ("objects.yaml", &service("payments")),
        ]);
        for command in ["check", "explain", "diff"] {
            let args = match command {
                "diff" => vec![
                    command,
                    "--config",
                    "eastwest.yaml",
                    "--old",
                    "objects.yaml",
                    "--new",
                    "objects.yaml",
                ],
                _ => vec![command, "--config", "eastwest.yaml", "objects.yaml"],
            };
            let run = run_in(dir.path(), &args, None);
            assert_eq!(run.code, 2, "{command} {text:?}: {}", run.stderr);
            let want = format!("eastwest-guard {command}: --config {expected}");
            assert!(
                run.stderr.starts_with(&want),
                "{command} {text:?}:\n{}\nwanted: {want}",
                run.stderr
            );
        }
    }
    let dir = dir_with(&[("objects.yaml", &service("payments"))]);
    let missing = check(dir.path(), &["--config", "nowhere.yaml"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("--config nowhere.yaml: cannot read it"),
        "{}",
        missing.stderr
    );
}

#[test]
fn the_file_sets_what_the_flags_set() {
    let dir = dir_with(&[
        ("objects.yaml", &(service("payments") + &namespace("shop"))),
        ("warn-only.yaml", "warnOnly: true\n"),
        ("warn.yaml", "warn: [EW013]\n"),
    ]);
    let plain = check(dir.path(), &[]);
    assert_eq!(plain.code, 1);
    assert_eq!(level_of(&plain, "EW013", "Service/payments/api"), "error");

    let warn_only = check(dir.path(), &["--config", "warn-only.yaml"]);
    assert_eq!(warn_only.code, 0, "{}", warn_only.stdout);
    assert!(findings(&warn_only).iter().all(|(.., l)| l == "warning"));

    let warn = check(dir.path(), &["--config", "warn.yaml"]);
    assert_eq!(level_of(&warn, "EW013", "Service/payments/api"), "warning");
    assert_eq!(level_of(&warn, "EW001", "Namespace/shop"), "error");
}

#[test]
fn a_flag_given_wins_over_the_file_and_a_default_does_not() {
    let dir = dir_with(&[
        ("objects.yaml", &service("payments")),
        (
            "eastwest.yaml",
            "warnOnly: true\ndefaultGatewayName: from-file\noverrides:\n  - namespaces: [payments]\n    warnOnly: true\n",
        ),
    ]);
    // --warn-only left at its default (false) does not undo the file's warnOnly.
    let file = check(dir.path(), &["--config", "eastwest.yaml"]);
    assert_eq!(file.code, 0, "{}", file.stdout);
    // Given on the command line, it wins, for every Namespace (the override included).
    let flag = check(
        dir.path(),
        &["--config", "eastwest.yaml", "--warn-only=false"],
    );
    assert_eq!(flag.code, 1, "{}", flag.stdout);
    assert_eq!(level_of(&flag, "EW013", "Service/payments/api"), "error");
    // In the environment, too.
    let mut env = std::process::Command::new(env!("CARGO_BIN_EXE_eastwest-guard"));
    let out = env
        .current_dir(dir.path())
        .args(["check", "objects.yaml"])
        .env("EASTWEST_GUARD_CONFIG", "eastwest.yaml")
        .env("EASTWEST_GUARD_WARN_ONLY", "false")
        .env_remove("EASTWEST_GUARD_WARN")
        .env_remove("EASTWEST_GUARD_DENY_EXISTING")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = env.env_remove("EASTWEST_GUARD_WARN_ONLY").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the file through EASTWEST_GUARD_CONFIG"
    );

    // A value flag: the file's gateway name holds unless the flag is given.
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    \
              tetrate.io/rev: default\n  annotations:\n    traffic.tetrate.io/global: \"true\"\n";
    std::fs::write(dir.path().join("ns.yaml"), ns).unwrap();
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "-o", "json", "--config", "eastwest.yaml"];
        args.extend_from_slice(extra);
        args.push("ns.yaml");
        run_in(dir.path(), &args, None).stdout
    };
    assert!(explain(&[]).contains("from-file"));
    let flagged = explain(&["--default-gateway-name", "from-flag"]);
    assert!(
        flagged.contains("from-flag") && !flagged.contains("from-file"),
        "{flagged}"
    );
}

#[test]
fn overrides_set_the_levels_namespace_by_namespace_first_match_wins() {
    let objects = [
        service("payments"),
        service("legacy-a"),
        service("legacy-strict"),
        service("team-b"),
        namespace("legacy-ns"),
        namespace("shop"),
    ]
    .concat();
    let config = "\
warnOnly: false
overrides:
  - namespaces: [legacy-*]      # every legacy Namespace warns...
    warnOnly: true
  - namespaces: [legacy-strict] # ...this one too: the first match wins
    warnOnly: false
  - namespaces: [team-?]
    warn: [EW013]
";
    let dir = dir_with(&[("objects.yaml", &objects), ("eastwest.yaml", config)]);
    let run = check(dir.path(), &["--config", "eastwest.yaml"]);
    assert_eq!(run.code, 1);
    for (rule, object, level) in [
        ("EW013", "Service/payments/api", "error"),
        ("EW013", "Service/legacy-a/api", "warning"),
        ("EW013", "Service/legacy-strict/api", "warning"),
        ("EW013", "Service/team-b/api", "warning"),
        // A Namespace is judged by its own name.
        ("EW001", "Namespace/legacy-ns", "warning"),
        ("EW001", "Namespace/shop", "error"),
    ] {
        assert_eq!(level_of(&run, rule, object), level, "{rule} {object}");
    }
}

#[test]
fn the_documented_example_loads_and_says_what_its_comments_say() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/eastwest-guard.yaml");
    let text = std::fs::read_to_string(&example).unwrap();
    let objects = [
        service("payments"),
        service("legacy-billing"),
        service("team-a"),
    ]
    .concat();
    let dir = dir_with(&[("objects.yaml", &objects), ("eastwest.yaml", &text)]);
    let run = check(dir.path(), &["--config", "eastwest.yaml"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    // The example enforces by default and lets the legacy Namespaces warn.
    assert_eq!(level_of(&run, "EW013", "Service/payments/api"), "error");
    assert_eq!(
        level_of(&run, "EW013", "Service/legacy-billing/api"),
        "warning"
    );
    // The manifests' ConfigMap holds a valid configuration too.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/base/config.yaml");
    let configmap = std::fs::read_to_string(base).unwrap();
    let embedded = configmap
        .split_once("eastwest-guard.yaml: |\n")
        .map(|(_, rest)| rest)
        .expect("the ConfigMap holds eastwest-guard.yaml");
    let unindented: String = embedded
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("cm.yaml"), unindented).unwrap();
    let run = check(dir.path(), &["--config", "cm.yaml"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
}
