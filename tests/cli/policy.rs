//! `eastwest-guard policy`: the committed backstop component is its output with default
//! settings, and the rule settings place each rule in the policy of its level.
//!
//! After an intended change of the policy, regenerate the component with
//!
//!     UPDATE_POLICY=1 cargo test --test cli policy::
//!
//! (or `UPDATE_DOCS=1`, which regenerates every generated file) and review `git diff manifests`.
//! tests/cel/test_policy_backstop.py evaluates the CEL against the engine.

use std::path::PathBuf;

use saphyr::{LoadableYamlNode, Yaml};

use crate::support::golden::first_difference;
use crate::support::run::run_in;

const COMPONENT: &str = "manifests/components/policy-backstop/policy.yaml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn policy(args: &[&str]) -> String {
    let mut all = vec!["policy"];
    all.extend_from_slice(args);
    let run = run_in(&root(), &all, None);
    assert_eq!(run.code, 0, "policy {args:?}: {}", run.stderr);
    run.stdout
}

/// The documents of a YAML stream, as (kind, name, text of the document).
fn objects(text: &str) -> Vec<(String, String, String)> {
    let docs = Yaml::load_from_str(text).expect("policy prints YAML");
    let texts: Vec<&str> = text.split("\n---\n").collect();
    assert_eq!(docs.len(), texts.len(), "one YAML document a `---`");
    docs.iter()
        .zip(texts)
        .map(|(d, t)| {
            let kind = d["kind"].as_str().unwrap_or_default().to_owned();
            let name = d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (kind, name, t.to_owned())
        })
        .collect()
}

#[test]
fn the_committed_component_is_the_default_output() {
    let generated = policy(&[]);
    let path = root().join(COMPONENT);
    if std::env::var_os("UPDATE_POLICY").is_some() || std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write the component");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let (line, committed, generated) = first_difference(&committed, &generated);
        panic!(
            "{COMPONENT} differs from `eastwest-guard policy`, first at line {line}:\n  \
             committed: {committed:?}\n  generated: {generated:?}\nIf the change is intended: \
             UPDATE_POLICY=1 cargo test --test cli policy::, then review git diff manifests."
        );
    }
}

#[test]
fn default_settings_deny_with_one_policy() {
    let objects = objects(&policy(&[]));
    let kinds: Vec<(&str, &str)> = objects
        .iter()
        .map(|(k, n, _)| (k.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ValidatingAdmissionPolicy", "eastwest-guard"),
            ("ValidatingAdmissionPolicyBinding", "eastwest-guard"),
        ]
    );
    assert!(objects[1].2.contains("validationActions: [Deny]"));
    for rule in [
        "EW001", "EW002", "EW003", "EW004", "EW005", "EW006", "EW012", "EW013", "EW020",
    ] {
        assert!(
            objects[0].2.contains(&format!("message: \"{rule}: ")),
            "no validation for {rule}"
        );
    }
}

#[test]
fn warn_only_binds_the_same_policy_with_warn_and_audit() {
    let default = objects(&policy(&[]));
    let warn_only = objects(&policy(&["--warn-only"]));
    assert_eq!(warn_only.len(), 2);
    assert!(warn_only[1].2.contains("validationActions: [Warn, Audit]"));
    // The policy itself is the same but for the header naming the settings: the warn-only
    // overlays patch the binding alone.
    let body = |t: &str| {
        t.lines()
            .skip_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&warn_only[0].2), body(&default[0].2));
}

#[test]
fn a_rule_downgraded_by_warn_goes_to_the_warn_policy() {
    let objects = objects(&policy(&["--warn", "EW013", "--warn", "EW020"]));
    let names: Vec<(&str, &str)> = objects
        .iter()
        .map(|(k, n, _)| (k.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("ValidatingAdmissionPolicy", "eastwest-guard"),
            ("ValidatingAdmissionPolicyBinding", "eastwest-guard"),
            ("ValidatingAdmissionPolicy", "eastwest-guard-warn"),
            ("ValidatingAdmissionPolicyBinding", "eastwest-guard-warn"),
        ]
    );
    let (deny, warn) = (&objects[0].2, &objects[2].2);
    for rule in ["EW013", "EW020"] {
        let validation = format!("message: \"{rule}: ");
        assert!(!deny.contains(&validation) && warn.contains(&validation));
    }
    assert!(deny.contains("message: \"EW001: ") && !warn.contains("message: \"EW001: "));
    assert!(objects[1].2.contains("validationActions: [Deny]"));
    assert!(objects[3].2.contains("validationActions: [Warn, Audit]"));
}

#[test]
fn deny_existing_drops_the_tolerance_of_unchanged_keys() {
    let strict = policy(&["--deny-existing"]);
    assert!(strict.contains("name: deletingUnchanged"));
    assert!(!policy(&[]).contains("deletingUnchanged"));
}

#[test]
fn a_wrong_setting_is_a_usage_error() {
    let run = run_in(&root(), &["policy", "--warn", "EW999"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--warn"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}
