//! EW007..EW010: the gateway's cloud annotations (one annotation holding YAML). EW007 says
//! where the agent's YAML fails and what its line-by-line fallback would read instead; EW008
//! the keys that are no annotation names; EW009 the keys outside the allowed prefixes; EW010
//! the values and keys the cloud would ignore or misread.

use eastwest_guard::rules::{self, Config, Decision, Level, RuleId};

use crate::support::assert::{assert_finding, assert_never_says, assert_says};
use crate::support::objects::{CLOUD, GLOBAL, ew_ns};
use crate::support::review::{check_ns, check_ns_with, ids, only};

fn cloud(text: &str) -> Decision {
    check_ns(&ew_ns(&[(GLOBAL, "true"), (CLOUD, text)]))
}

/// The one EW007 of the cloud-annotations `text`, whose message says each of `says`.
fn one_ew007_saying(text: &str, says: &[&str]) -> rules::Violation {
    let d = cloud(text);
    assert_finding(&d, RuleId::EW007, Level::Deny, says).clone()
}

#[test]
fn ew007_cloud_annotations_must_be_a_flat_yaml_map() {
    let ok = "service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n\
              service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:us-east-1:123456789012:certificate/abc\n\
              service.beta.kubernetes.io/aws-load-balancer-healthcheck-path: 'http://x/health'\n";
    assert!(
        cloud(ok).violations.is_empty(),
        "{:#?}",
        cloud(ok).violations
    );

    let cases = [
        ("", "empty"),
        ("   \n", "empty"),
        ("{}", "empty"),
        (
            "service.beta.kubernetes.io/aws-load-balancer-type: nlb\nservice.beta.kubernetes.io/aws-load-balancer-type: external\n",
            "repeats",
        ),
        (
            "service.beta.kubernetes.io/aws-load-balancer-type:\n  nested: map\n",
            "nested map",
        ),
        (
            "service.beta.kubernetes.io/aws-load-balancer-subnets: [a, b]\n",
            "nested list",
        ),
        (
            "- service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
            "list",
        ),
        ("nlb", "single YAML value"),
    ];
    for (text, what) in cases {
        // An empty map is what the agent's YAML reads, without an error; the rest fail YAML.
        let reading = if what == "empty" {
            "The agent's YAML would read no annotation at all"
        } else {
            "The agent's line-by-line fallback would"
        };
        assert_finding(&cloud(text), RuleId::EW007, Level::Deny, &[what, reading]);
    }
}

#[test]
fn ew007_a_tab_in_the_indentation_fails_the_agents_yaml() {
    // Go's YAML (as libyaml) refuses each of these; saphyr accepts some (the first two).
    let t = "service.beta.kubernetes.io/aws-load-balancer-type";
    for text in [
        format!("\t{t}: nlb\n"),
        format!("  \t{t}: nlb\n"),
        format!("{t}: nlb\n\t# a comment\n"),
        format!("{t}: nlb\n\t\n{t}-x: y\n"),
        format!("{t}: |\n\tnlb\n"),
        format!("{t}: nlb\n\tmore\n"),
        // In a block scalar, a tab before or as its indentation.
        format!("{t}: |\n  \tnlb\n"),
        format!("{t}: |\n  nlb\n \tmore\n"),
        // A comment that looks like `key: |` starts no block scalar.
        format!("{t}: nlb\n# note: |\n  x\n  \tmore\n"),
    ] {
        let v = one_ew007_saying(&text, &["tab in the indentation", "indent with spaces"]);
        assert!(
            v.position_in_value.is_some_and(|p| p.column <= 3),
            "{text:?}"
        );
    }
    // Tabs after the indentation are left to YAML: after a value, or in a block scalar's text
    // once its indentation is read, accepted (as Go's YAML accepts them).
    for text in [
        format!("{t}: nlb\t# c\n"),
        format!("{t}: |\n  nlb\n  \tmore\n"),
        format!("{t}: |2\n  \tnlb\n"),
        format!("{t}: >-\n  nlb\n\n  \tmore\n{t}-x: y\n"),
        format!("{t}: &a |\n  nlb\n  \tmore\n"),
    ] {
        let d = cloud(&text);
        assert!(
            only(&d, RuleId::EW007).is_empty(),
            "{text:?}: {:#?}",
            d.violations
        );
    }
    // A tab in a later document: the second document is the problem, and the message says
    // what the agent's YAML keeps of the first.
    let d = cloud(&format!("{t}: nlb\n---\n\t{t}-x: y\n"));
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &["more than one YAML document", "would silently use"],
    );
    assert_never_says(&d, &v.message, &["fallback"]);
}

#[test]
fn ew007_a_leading_document_end_marker_fails_the_agents_yaml() {
    let t = "service.beta.kubernetes.io/aws-load-balancer-type";
    for text in [
        format!("...\n{t}: nlb\n"),
        format!("# a comment\n\n... # end\n{t}: nlb\n"),
    ] {
        one_ew007_saying(&text, &["document end marker"]);
    }
    // At the end of the map it is only the end of the document: fine.
    assert!(only(&cloud(&format!("{t}: nlb\n...\n")), RuleId::EW007).is_empty());
    // A value that merely starts with dots is no marker.
    assert!(only(&cloud(&format!("{t}: nlb\n{t}-x: ...a\n")), RuleId::EW007).is_empty());
}

#[test]
fn ew007_a_second_document_says_what_the_agents_yaml_keeps() {
    // Go's YAML reads the first document and succeeds: no fallback is involved.
    let t = "service.beta.kubernetes.io/aws-load-balancer";
    let d = cloud(&format!("{t}-type: nlb\n---\n{t}-scheme: internal\n"));
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &[
            "more than one YAML document",
            &format!("would silently use {{\"{t}-type\": \"nlb\"}}"),
            "ignore everything from line 2 on",
        ],
    );
    assert_never_says(&d, &v.message, &["fallback"]);
}

#[test]
fn ew007_says_where_yaml_fails_and_what_the_fallback_would_see() {
    // Only the agent's fallback accepts this: the value has ": " in it, unquoted.
    let text = "service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n\
                service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn: aws:acm:us-east-1:1:certificate/x\n";
    let d = cloud(text);
    // The fallback splits at the first colon: the certificate ARN loses its "arn:" part.
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &[
            "line 2",
            "\"arn: aws:acm:us-east-1:1:certificate/x\"",
            "\"nlb\"",
        ],
    );
    let pos = v.position_in_value.expect("a position");
    assert_eq!(pos.line, 2);

    // Nothing parses at all: the fallback finds nothing.
    let d = cloud("- a\n- b\n");
    assert_finding(&d, RuleId::EW007, Level::Deny, &["no annotation at all"]);

    // Unterminated quote.
    let d = cloud("service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\n");
    let v = assert_finding(&d, RuleId::EW007, Level::Deny, &["not valid YAML"]);
    assert!(v.position_in_value.is_some());
}

#[test]
fn ew007_fallback_matches_the_agent() {
    use eastwest_guard::rules::cloud::agent_fallback;
    let fb = agent_fallback(
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert: \"arn:aws:acm:us-east-1:1:certificate/x\"\n\
         cloud.google.com/load-balancer-type: 'Internal'\n\
         no colon here\n\
         service.beta.kubernetes.io/aws-load-balancer-healthcheck-path: http://x:8080/h\n",
    );
    assert_eq!(
        fb.map["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"],
        "arn:aws:acm:us-east-1:1:certificate/x"
    );
    assert_eq!(fb.map["cloud.google.com/load-balancer-type"], "Internal");
    assert_eq!(
        fb.map["service.beta.kubernetes.io/aws-load-balancer-healthcheck-path"],
        "http://x:8080/h"
    );
    assert_eq!(fb.skipped_lines, vec![3]);
    assert!(agent_fallback("").map.is_empty());
}

#[test]
fn ew008_cloud_annotation_keys_are_qualified_names() {
    for bad in [
        "bad key",
        "Example.com/x",
        "a/b/c",
        "service.beta.kubernetes.io/-x",
    ] {
        let d = cloud(&format!("\"{bad}\": v\n"));
        assert_eq!(ids(&d), vec![RuleId::EW008], "{bad:?}: {:#?}", d.violations);
    }
}

#[test]
fn ew009_cloud_annotation_prefixes() {
    let d = cloud("example.com/lb-type: nlb\n");
    assert_eq!(ids(&d), vec![RuleId::EW009]);
    assert_finding(
        &d,
        RuleId::EW009,
        Level::Deny,
        &["service.beta.kubernetes.io/"],
    );
    for ok in [
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb",
        "service.kubernetes.io/topology-mode: Auto",
        "cloud.google.com/load-balancer-type: Internal",
        "networking.gke.io/load-balancer-type: Internal",
        "service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"",
    ] {
        assert!(
            cloud(ok).violations.is_empty(),
            "{ok}: {:#?}",
            cloud(ok).violations
        );
    }
    // The prefix list is configuration.
    let config = Config {
        cloud_annotation_prefixes: vec!["example.com/".into()],
        ..Config::default()
    };
    let obj = ew_ns(&[(GLOBAL, "true"), (CLOUD, "example.com/lb-type: nlb\n")]);
    assert!(check_ns_with(&obj, &config).violations.is_empty());
}

#[test]
fn ew010_cloud_annotation_lint() {
    let warn = |text: &str, what: &str| {
        let d = cloud(text);
        assert_finding(&d, RuleId::EW010, Level::Warn, &[what]);
        assert!(d.allowed());
    };
    warn(
        "service.beta.kubernetes.io/aws-load-balancer-tpye: nlb",
        "did you mean \"service.beta.kubernetes.io/aws-load-balancer-type\"",
    );
    warn(
        "service.beta.kubernetes.io/aws-load-balancer-scheme: Internal",
        "\"internal\" or \"internet-facing\"",
    );
    warn(
        "service.beta.kubernetes.io/aws-load-balancer-ip-address-type: ipv6",
        "\"ipv4\" or \"dualstack\"",
    );
    warn(
        "service.beta.kubernetes.io/azure-load-balancer-internal: \"yes\"",
        "\"true\" or \"false\"",
    );
    warn(
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: \"3\"",
        "4 to 30",
    );
    warn(
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: \"31\"",
        "4 to 30",
    );
    warn(
        "networking.gke.io/load-balancer-type: External",
        "\"Internal\"",
    );
    warn(
        "service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"",
        "deprecated: use \"service.beta.kubernetes.io/aws-load-balancer-scheme\"",
    );
    warn(
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb\ncloud.google.com/load-balancer-type: Internal",
        "more than one cloud",
    );
    // The warning itself names the clouds.
    let d = cloud(
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb\ncloud.google.com/load-balancer-type: Internal",
    );
    let v = assert_finding(&d, RuleId::EW010, Level::Warn, &[]);
    assert_says(&d, &v.summary, &["mix clouds (AWS, Google Cloud)"]);
    for ok in [
        "service.beta.kubernetes.io/aws-load-balancer-scheme: internal",
        "service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-ip-address-type: dualstack",
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: \"4\"",
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: 30",
        "cloud.google.com/load-balancer-type: \"Internal\"\nnetworking.gke.io/load-balancer-type: \"Internal\"",
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb\nservice.kubernetes.io/topology-mode: Auto",
    ] {
        assert!(
            cloud(ok).violations.is_empty(),
            "{ok}: {:#?}",
            cloud(ok).violations
        );
    }
}

/// EW010: a cloud annotation written with no value becomes an empty annotation on the
/// gateway Service; almost always a forgotten value.
#[test]
fn ew010_a_cloud_annotation_without_a_value() {
    let d = cloud(
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb\n\
         service.beta.kubernetes.io/aws-load-balancer-ssl-cert:\n",
    );
    assert_finding(&d, RuleId::EW010, Level::Warn, &["has no value"]);
}

#[test]
fn the_seed_cloud_examples() {
    // AWS NLB example from the agent's documentation: one deprecated key.
    let aws = "service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n\
               service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"\n\
               service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled: \"true\"\n";
    assert_eq!(ids(&cloud(aws)), vec![RuleId::EW010]);
    // GCP internal LB example: clean.
    let gcp = "cloud.google.com/load-balancer-type: \"Internal\"\nnetworking.gke.io/load-balancer-type: \"Internal\"\n";
    assert!(cloud(gcp).violations.is_empty());
}
