//! The cloud annotations rules (EW007..EW010) through `check` and `explain` on manifest files:
//! tests/data/cli/cloud/namespaces.yaml holds one Namespace per case of SPEC.md's rows, named
//! after it, so the decision of each is read off the report by Namespace.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::assert::{assert_contains, assert_lacks};
use crate::support::run::{self, Run};

fn run(args: &[&str]) -> Run {
    run::run_in(&run::data_dir("cli"), args, None)
}

/// (code, level) of each finding of `check -o json`, by Namespace.
fn findings_by_namespace(report: &Value) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for f in report["findings"].as_array().expect("findings") {
        out.entry(f["object"]["name"].as_str().expect("name").to_owned())
            .or_default()
            .push((
                f["code"].as_str().expect("code").to_owned(),
                f["level"].as_str().expect("level").to_owned(),
            ));
    }
    out
}

fn finding<'a>(report: &'a Value, namespace: &str, code: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["object"]["name"] == namespace && f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} on {namespace} in {report:#}"))
}

#[test]
fn check_judges_each_case_as_spec_says() {
    let run = run(&["check", "-o", "json", "cloud/namespaces.yaml"]);
    // fallback-loses and fallback-nothing are denied.
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    let got = findings_by_namespace(&report);
    let warn = |code: &str| vec![(code.to_owned(), "warning".to_owned())];
    let want: BTreeMap<String, Vec<(String, String)>> = [
        ("fallback-keeps", warn("EW007")),
        (
            "fallback-loses",
            vec![("EW007".to_owned(), "error".to_owned())],
        ),
        (
            "fallback-nothing",
            vec![("EW007".to_owned(), "error".to_owned())],
        ),
        ("scheme-without-internal", warn("EW010")),
        ("external-with-internal", warn("EW010")),
        ("typo-two-edits", warn("EW010")),
        ("external-dns-key", warn("EW009")),
    ]
    .into_iter()
    .map(|(n, f)| (n.to_owned(), f))
    .collect();
    // Clean, by not being listed: seed-nlb, seed-gcp, empty, comments-only,
    // comment-and-one-line, scheme-with-internal, other-providers, typo-three-edits.
    assert_eq!(got, want, "{report:#}");
    assert_eq!(report["summary"]["namespaces"], 15);

    // The warning of a fallback that keeps every line: what it reads, and the fix as text.
    let ew007 = finding(&report, "fallback-keeps", "EW007");
    assert_eq!(ew007["positionInValue"]["line"], 3, "{ew007:#}");
    let message = ew007["message"].as_str().expect("message");
    assert_contains(
        message,
        &[
            "keeps every line as written",
            "\"Note: team=payments\"",
            "write line 3 as `service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags: \"Note: team=payments\"`",
        ],
    );
    // The denial says what the fallback would make of the text, and what it loses.
    let message = finding(&report, "fallback-loses", "EW007")["message"]
        .as_str()
        .expect("message");
    assert_contains(message, &["would silently use", "loses line 2 (skipped"]);
    let message = finding(&report, "fallback-nothing", "EW007")["message"]
        .as_str()
        .expect("message");
    assert_contains(message, &["would find no annotation at all"]);
    // EW009 names the documented list and never claims the agent drops the key.
    let message = finding(&report, "external-dns-key", "EW009")["message"]
        .as_str()
        .expect("message");
    assert_contains(message, &["external-dns, MetalLB"]);
    assert_lacks(message, &["ignore", "drop"]);
    // The AWS controllers: the fix both honour, the scheme for the Load Balancer Controller.
    let message = finding(&report, "scheme-without-internal", "EW010")["message"]
        .as_str()
        .expect("message");
    assert_contains(
        message,
        &["add the line `service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"`"],
    );
    let message = finding(&report, "external-with-internal", "EW010")["message"]
        .as_str()
        .expect("message");
    assert_contains(
        message,
        &["write line 2 as `service.beta.kubernetes.io/aws-load-balancer-scheme: \"internal\"`"],
    );
    // No fix of a cloud annotation is a kubectl command: the manifest is what is edited.
    for f in report["findings"].as_array().expect("findings") {
        assert_lacks(f["message"].as_str().expect("message"), &["kubectl"]);
    }
}

#[test]
fn explain_shows_what_the_agent_reads() {
    let run = run(&["explain", "-o", "json", "cloud/namespaces.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let ns = |name: &str| -> Value {
        report["namespaces"]
            .as_array()
            .expect("namespaces")
            .iter()
            .find(|n| n["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    // Where the fallback keeps every line, its map is what the gateway's Service gets.
    let keeps = ns("fallback-keeps");
    let cloud = &keeps["cloudAnnotations"];
    assert_eq!(cloud["parser"], "fallback");
    assert_eq!(
        cloud["annotations"]["service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"],
        "Note: team=payments"
    );
    assert_eq!(cloud["annotations"].as_object().map(|m| m.len()), Some(3));
    assert_eq!(keeps["problems"][0]["code"], "EW007");
    assert_eq!(keeps["problems"][0]["level"], "warning");
    // Comments only: YAML reads no annotation.
    let comments = ns("comments-only");
    assert_eq!(comments["cloudAnnotations"]["parser"], "yaml-empty");
    assert_eq!(
        comments["cloudAnnotations"]["annotations"],
        serde_json::json!({})
    );
    assert_eq!(comments["problems"], serde_json::json!([]));
    // The text report calls an EW009 key a warning, not one the agent ignores.
    let text = run_text();
    assert_contains(
        &text,
        &[
            "outside the documented cloud prefixes (EW009, a warning): external-dns.alpha.kubernetes.io/hostname",
        ],
    );
    assert_lacks(&text, &["ignored by the agent"]);
}

fn run_text() -> String {
    let run = run(&["explain", "cloud/namespaces.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}
