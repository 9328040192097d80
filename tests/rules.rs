//! The rules engine, rule by rule, on both sides of every boundary. Objects start from
//! fixtures shaped like what kube-apiserver sends (uid, resourceVersion, managedFields,
//! status) and have their labels and annotations replaced per case.
//!
//! Every review judged here goes through `rules_cases::validate`, which keeps the corpus of
//! these cases (tests/data/rules/cases) that other tests judge another way.

use eastwest_guard::rules::{
    self, Config, Decision, Field, Level, NoCluster, ObjectView, Origin, ResourceKind, Review,
    RuleId,
};
use serde_json::{Value, json};

mod rules_cases;

use rules_cases::{FakeCluster, Recorded};

const P: &str = "traffic.tetrate.io/";
const GLOBAL: &str = "traffic.tetrate.io/global";
const NAME: &str = "traffic.tetrate.io/eastwest-gateway-name";
const SELECTOR: &str = "traffic.tetrate.io/eastwest-gateway-workload-selector";
const GW_NS: &str = "traffic.tetrate.io/eastwest-gateway-namespace";
const DEPLOY: &str = "traffic.tetrate.io/eastwest-gateway-deploy";
const CLOUD: &str = "traffic.tetrate.io/eastwest-gateway-cloud-annotations";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/objects/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
    )
}

/// A Namespace "payments" with exactly these labels and annotations.
fn ns_json(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Value {
    let mut v = fixture("namespace-payments.json");
    v["metadata"]["labels"] = map(labels);
    v["metadata"]["annotations"] = map(annotations);
    v
}

fn ns(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectView {
    serde_json::from_value(ns_json(labels, annotations)).unwrap()
}

/// An east-west Namespace with a trigger label and these annotations.
fn ew_ns(annotations: &[(&str, &str)]) -> ObjectView {
    ns(&[("tetrate.io/rev", "default")], annotations)
}

/// A Service "payments/payment-api" with these labels, annotations and type.
fn svc(labels: &[(&str, &str)], annotations: &[(&str, &str)], type_: &str) -> ObjectView {
    let mut v = fixture("service-payment-api.json");
    v["metadata"]["labels"] = map(labels);
    v["metadata"]["annotations"] = map(annotations);
    v["spec"]["type"] = json!(type_);
    serde_json::from_value(v).unwrap()
}

fn check_ns(obj: &ObjectView) -> Decision {
    check_ns_with(obj, &Config::default())
}

fn check_ns_with(obj: &ObjectView, config: &Config) -> Decision {
    rules_cases::validate(
        &Review::create(ResourceKind::Namespace, obj),
        config,
        &NoCluster,
    )
}

fn check_svc(obj: &ObjectView, cluster: &dyn Recorded) -> Decision {
    rules_cases::validate(
        &Review::create(ResourceKind::Service, obj),
        &Config::default(),
        cluster,
    )
}

fn update_ns(old: &ObjectView, new: &ObjectView, cluster: &dyn Recorded) -> Decision {
    rules_cases::validate(
        &Review::update(ResourceKind::Namespace, old, new),
        &Config::default(),
        cluster,
    )
}

fn ids(d: &Decision) -> Vec<RuleId> {
    d.violations.iter().map(|v| v.rule).collect()
}

fn only(d: &Decision, rule: RuleId) -> Vec<&rules::Violation> {
    d.violations.iter().filter(|v| v.rule == rule).collect()
}

/// Every case of the corpus, read back from its file, gets the decision recorded with it: the
/// files hold all the engine reads (and a case no test makes any more is still a true one).
#[test]
fn the_corpus_of_cases_replays() {
    if rules_cases::recording() {
        return;
    }
    let corpus = rules_cases::corpus();
    assert!(!corpus.is_empty());
    for case in corpus.iter().filter(|c| c.input_kept()) {
        assert_eq!(
            rules_cases::decision_json(&case.judge()),
            case.json["decision"],
            "{}",
            case.file.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The common case and the operations that are never judged.

#[test]
fn plain_namespace_and_service_are_never_touched() {
    let plain = ns(&[("team", "a")], &[("owner", "x")]);
    assert!(check_ns(&plain).violations.is_empty());
    assert!(
        rules::mutate(
            &Review::create(ResourceKind::Namespace, &plain),
            &Config::default()
        )
        .is_none()
    );
    let plain_svc = svc(&[("app", "x")], &[], "ClusterIP");
    assert!(check_svc(&plain_svc, &NoCluster).violations.is_empty());
    // A near-miss prefix is not ours either.
    let near = ns(&[], &[("traffic.tetrate.com/global", "yes")]);
    assert!(check_ns(&near).violations.is_empty());
}

#[test]
fn the_fixture_itself_is_clean() {
    let obj: ObjectView = serde_json::from_value(fixture("namespace-payments.json")).unwrap();
    let d = check_ns(&obj);
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
    let s: ObjectView = serde_json::from_value(fixture("service-payment-api.json")).unwrap();
    assert!(check_svc(&s, &NoCluster).violations.is_empty());
}

#[test]
fn delete_connect_and_other_kinds_are_allowed_without_patch() {
    let bad = ew_ns(&[(GLOBAL, "True")]);
    for op in [rules::Operation::Delete, rules::Operation::Connect] {
        let object = if op == rules::Operation::Delete {
            None
        } else {
            Some(&bad)
        };
        let review = Review {
            operation: op,
            object,
            old_object: Some(&bad),
            ..Review::create(ResourceKind::Namespace, &bad)
        };
        assert!(
            rules_cases::validate(&review, &Config::default(), &NoCluster)
                .violations
                .is_empty()
        );
        assert!(rules::mutate(&review, &Config::default()).is_none());
    }
    let other = Review::create(ResourceKind::Other, &bad);
    assert!(
        rules_cases::validate(&other, &Config::default(), &NoCluster)
            .violations
            .is_empty()
    );
    assert!(rules::mutate(&other, &Config::default()).is_none());
    assert_eq!(
        ResourceKind::from_group_kind("", "Namespace"),
        ResourceKind::Namespace
    );
    assert_eq!(
        ResourceKind::from_group_kind("", "Service"),
        ResourceKind::Service
    );
    assert_eq!(
        ResourceKind::from_group_kind("serving.knative.dev", "Service"),
        ResourceKind::Other
    );
}

// ---------------------------------------------------------------------------------------------
// EW001, EW002: exact booleans.

#[test]
fn ew001_global_annotation_must_be_exactly_true_or_false() {
    for ok in ["true", "false"] {
        assert!(
            !ids(&check_ns(&ew_ns(&[(GLOBAL, ok)]))).contains(&RuleId::EW001),
            "{ok}"
        );
    }
    for bad in ["True", "TRUE", "yes", "ture", "1", "", " true", "true "] {
        let d = check_ns(&ew_ns(&[(GLOBAL, bad)]));
        let v = only(&d, RuleId::EW001);
        assert_eq!(v.len(), 1, "{bad:?}: {:#?}", d.violations);
        assert_eq!(v[0].level, Level::Deny);
        assert_eq!(v[0].field, Field::Annotation(GLOBAL.into()));
        assert_eq!(v[0].value.as_deref(), Some(bad));
        assert!(
            v[0].message.starts_with("Namespace \"payments\": "),
            "{}",
            v[0].message
        );
        assert!(v[0].message.contains(GLOBAL));
        assert!(!d.allowed());
    }
    let d = check_ns(&ew_ns(&[(GLOBAL, "ture")]));
    assert!(
        d.violations[0]
            .message
            .contains("write traffic.tetrate.io/global: \"true\"")
    );
}

#[test]
fn ew002_deploy_must_be_exactly_true_or_false() {
    for ok in ["true", "false"] {
        assert!(
            check_ns(&ew_ns(&[(GLOBAL, "true"), (DEPLOY, ok)]))
                .violations
                .is_empty()
        );
    }
    for bad in ["True", "no", "0", ""] {
        let d = check_ns(&ew_ns(&[(GLOBAL, "true"), (DEPLOY, bad)]));
        assert_eq!(ids(&d), vec![RuleId::EW002], "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// EW003, EW004: names.

#[test]
fn ew003_gateway_namespace_is_a_dns_label() {
    let ok63 = "n".repeat(63);
    let bad64 = "n".repeat(64);
    assert!(
        check_ns(&ew_ns(&[(GLOBAL, "true"), (GW_NS, &ok63)]))
            .violations
            .is_empty()
    );
    for bad in [
        bad64.as_str(),
        "Custom",
        "custom_gateways",
        "-gw",
        "gw-",
        "a.b",
        "",
    ] {
        let d = check_ns(&ew_ns(&[(GLOBAL, "true"), (GW_NS, bad)]));
        assert_eq!(ids(&d), vec![RuleId::EW003], "{bad:?}");
    }
    let d = check_ns(&ew_ns(&[(GW_NS, &bad64)]));
    assert!(d.violations[0].message.contains("at most 63"));
}

#[test]
fn ew004_gateway_name_given_or_derived_is_a_dns_label() {
    let ok63 = "g".repeat(63);
    let bad64 = "g".repeat(64);
    assert!(check_ns(&ew_ns(&[(NAME, &ok63)])).violations.is_empty());
    assert_eq!(
        ids(&check_ns(&ew_ns(&[(NAME, &bad64)]))),
        vec![RuleId::EW004]
    );
    assert_eq!(
        ids(&check_ns(&ew_ns(&[(NAME, "Prod_GW")]))),
        vec![RuleId::EW004]
    );
    // Derived from the selector's app value: a valid label value but not a DNS label.
    let d = check_ns(&ew_ns(&[(SELECTOR, "app=My_GW")]));
    assert_eq!(ids(&d), vec![RuleId::EW004]);
    assert!(d.violations[0].message.contains("derived"));
    assert!(
        check_ns(&ew_ns(&[(SELECTOR, "app=my-gw")]))
            .violations
            .is_empty()
    );
    // With an explicit name the app value is not the name: no EW004.
    assert!(
        check_ns(&ew_ns(&[(SELECTOR, "app=My_GW"), (NAME, "gw")]))
            .violations
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// EW005, EW006: selectors.

#[test]
fn ew005_malformed_selectors() {
    let long_value = format!("app={}", "v".repeat(64));
    let cases = [
        ("", "empty"),
        ("app = gw", "whitespace"),
        ("app=gw, tier=edge", "whitespace"),
        ("app=gw,,tier=edge", "empty pair"),
        (",app=gw", "empty pair"),
        ("app=gw,", "empty pair"),
        ("app", "no '='"),
        ("app=", "empty value"),
        ("=gw", "empty key"),
        ("app=gw,app=other", "repeats"),
        ("-app=gw", "label key"),
        ("example.com/a/b=gw", "label key"),
        ("app=gw-", "label value"),
        (long_value.as_str(), "63"),
    ];
    for (sel, what) in cases {
        let d = check_ns(&ew_ns(&[(SELECTOR, sel), (NAME, "gw")]));
        let v = only(&d, RuleId::EW005);
        assert!(!v.is_empty(), "{sel:?}: {:#?}", d.violations);
        assert!(
            v.iter().any(|v| v.message.contains(what)),
            "{sel:?} should mention {what:?}: {:#?}",
            v
        );
        assert!(!d.allowed());
    }
    for ok in [
        "app=gw",
        "app=gw,tier=edge",
        "app.kubernetes.io/name=gw",
        &format!("app={}", "v".repeat(63)),
    ] {
        let d = check_ns(&ew_ns(&[(SELECTOR, ok), (NAME, "gw")]));
        assert!(d.violations.is_empty(), "{ok:?}: {:#?}", d.violations);
    }
}

#[test]
fn ew005_reports_every_problem_in_one_pass() {
    let d = check_ns(&ew_ns(&[(SELECTOR, "app = gw,,tier"), (NAME, "gw")]));
    assert_eq!(only(&d, RuleId::EW005).len(), 3, "{:#?}", d.violations);
}

#[test]
fn ew006_selector_without_app_needs_a_name() {
    let d = check_ns(&ew_ns(&[(SELECTOR, "tier=edge")]));
    assert_eq!(ids(&d), vec![RuleId::EW006]);
    assert!(d.violations[0].message.contains("app="));
    // The example uses the configured default name.
    let config = Config {
        default_gateway_name: "corp-gw".into(),
        ..Config::default()
    };
    let d = check_ns_with(&ew_ns(&[(SELECTOR, "tier=edge")]), &config);
    assert!(
        d.violations[0]
            .message
            .contains("\"app=corp-gw,tier=edge\""),
        "{}",
        d.violations[0].message
    );
    assert!(
        check_ns(&ew_ns(&[(SELECTOR, "tier=edge"), (NAME, "gw")]))
            .violations
            .is_empty()
    );
    assert!(
        check_ns(&ew_ns(&[(SELECTOR, "app=gw,tier=edge")]))
            .violations
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// EW007..EW010: cloud annotations.

fn cloud(text: &str) -> Decision {
    check_ns(&ew_ns(&[(GLOBAL, "true"), (CLOUD, text)]))
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
        let d = cloud(text);
        let v = only(&d, RuleId::EW007);
        assert_eq!(v.len(), 1, "{text:?}: {:#?}", d.violations);
        assert!(v[0].message.contains(what), "{text:?}: {}", v[0].message);
        // An empty map is what the agent's YAML reads, without an error; the rest fail YAML.
        let reading = if what == "empty" {
            "The agent's YAML would read no annotation at all"
        } else {
            "The agent's line-by-line fallback would"
        };
        assert!(v[0].message.contains(reading), "{}", v[0].message);
    }
}

/// The one EW007 of the cloud-annotations `text`, whose message says `what`.
fn one_ew007_saying(text: &str, what: &str) -> rules::Violation {
    let d = cloud(text);
    let v = only(&d, RuleId::EW007);
    assert_eq!(v.len(), 1, "{text:?}: {:#?}", d.violations);
    assert!(v[0].message.contains(what), "{text:?}: {}", v[0].message);
    v[0].clone()
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
        let v = one_ew007_saying(&text, "tab in the indentation");
        assert!(v.message.contains("indent with spaces"), "{}", v.message);
        assert!(
            v.position_in_value.is_some_and(|p| p.column <= 3),
            "{text:?}"
        );
    }
    // Tabs after the indentation are YAML's business as before: after a value, or in a block
    // scalar's text once its indentation is read, accepted (as Go's YAML accepts them).
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
    let m = &only(&d, RuleId::EW007)[0].message;
    assert!(m.contains("more than one YAML document"), "{m}");
    assert!(m.contains("would silently use"), "{m}");
    assert!(!m.contains("fallback"), "{m}");
}

#[test]
fn ew007_a_leading_document_end_marker_fails_the_agents_yaml() {
    let t = "service.beta.kubernetes.io/aws-load-balancer-type";
    for text in [
        format!("...\n{t}: nlb\n"),
        format!("# a comment\n\n... # end\n{t}: nlb\n"),
    ] {
        one_ew007_saying(&text, "document end marker");
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
    let v = only(&d, RuleId::EW007);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    let m = &v[0].message;
    assert!(m.contains("more than one YAML document"), "{m}");
    assert!(
        m.contains(&format!("would silently use {{\"{t}-type\": \"nlb\"}}")),
        "{m}"
    );
    assert!(m.contains("ignore everything from line 2 on"), "{m}");
    assert!(!m.contains("fallback"), "{m}");
}

#[test]
fn ew007_says_where_yaml_fails_and_what_the_fallback_would_see() {
    // Only the agent's fallback accepts this: the value has ": " in it, unquoted.
    let text = "service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n\
                service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn: aws:acm:us-east-1:1:certificate/x\n";
    let d = cloud(text);
    let v = only(&d, RuleId::EW007);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    let pos = v[0].position_in_value.expect("a position");
    assert_eq!(pos.line, 2);
    assert!(v[0].message.contains("line 2"), "{}", v[0].message);
    // The fallback splits at the first colon: the certificate ARN loses its "arn:" part.
    assert!(
        v[0].message
            .contains("\"arn: aws:acm:us-east-1:1:certificate/x\""),
        "{}",
        v[0].message
    );
    assert!(v[0].message.contains("\"nlb\""), "{}", v[0].message);

    // Nothing parses at all: the fallback finds nothing.
    let d = cloud("- a\n- b\n");
    assert!(
        only(&d, RuleId::EW007)[0]
            .message
            .contains("no annotation at all")
    );

    // Unterminated quote.
    let d = cloud("service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\n");
    let v = only(&d, RuleId::EW007);
    assert!(v[0].message.contains("not valid YAML"), "{}", v[0].message);
    assert!(v[0].position_in_value.is_some());
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
    assert!(
        d.violations[0]
            .message
            .contains("service.beta.kubernetes.io/")
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
        let v = only(&d, RuleId::EW010);
        assert_eq!(v.len(), 1, "{text:?}: {:#?}", d.violations);
        assert_eq!(v[0].level, Level::Warn);
        assert!(v[0].message.contains(what), "{text:?}: {}", v[0].message);
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
    let summary = &only(&d, RuleId::EW010)[0].summary;
    assert!(
        summary.contains("mix clouds (AWS, Google Cloud)"),
        "{summary}"
    );
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

// ---------------------------------------------------------------------------------------------
// EW011, EW012, EW013: keys and places.

#[test]
fn ew011_unknown_keys() {
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("traffic.tetrate.io/eastwest-gateway-nmae", "gw"),
    ]));
    let v = only(&d, RuleId::EW011);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].level, Level::Deny);
    assert!(
        v[0].message
            .contains("did you mean \"traffic.tetrate.io/eastwest-gateway-name\"")
    );

    // Another case is another key to the agent: denied like any typo of a gateway key.
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("traffic.tetrate.io/Eastwest-Gateway-Name", "gw"),
    ]));
    let v = only(&d, RuleId::EW011);
    assert_eq!(v[0].level, Level::Deny, "{:#?}", d.violations);
    assert!(
        v[0].message
            .contains("did you mean \"traffic.tetrate.io/eastwest-gateway-name\""),
        "{}",
        v[0].message
    );

    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("traffic.tetrate.io/globl", "true"),
    ]));
    let v = only(&d, RuleId::EW011);
    assert_eq!(v[0].level, Level::Warn);
    assert!(
        v[0].message
            .contains("did you mean \"traffic.tetrate.io/global\"")
    );
    assert!(d.allowed());

    // On a Service too.
    let s = svc(&[("traffic.tetrate.io/eastwest-gw", "x")], &[], "ClusterIP");
    let d = check_svc(&s, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW011]);
    assert_eq!(d.violations[0].level, Level::Deny);
    assert!(
        d.violations[0]
            .message
            .starts_with("Service \"payments/payment-api\"")
    );
}

#[test]
fn ew012_label_written_as_annotation_on_a_service() {
    let s = svc(&[("app", "payment")], &[(GLOBAL, "true")], "ClusterIP");
    let d = check_svc(&s, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW012]);
    let m = &d.violations[0].message;
    assert!(
        m.contains("kubectl label service payment-api -n payments traffic.tetrate.io/global=true"),
        "{m}"
    );
    assert!(
        d.violations[0]
            .summary
            .contains("kubectl label service payment-api -n payments")
    );
    assert_eq!(d.violations[0].field, Field::Annotation(GLOBAL.into()));
}

#[test]
fn ew012_annotation_written_as_label_on_a_namespace() {
    let d = check_ns(&ns(&[("tetrate.io/rev", "default"), (GLOBAL, "true")], &[]));
    assert_eq!(ids(&d), vec![RuleId::EW012]);
    assert!(
        d.violations[0]
            .message
            .contains("kubectl annotate namespace payments traffic.tetrate.io/global=true")
    );
    assert_eq!(d.violations[0].field, Field::Label(GLOBAL.into()));
    // Gateway keys as Namespace labels too.
    let d = check_ns(&ns(&[(NAME, "gw")], &[]));
    assert_eq!(ids(&d), vec![RuleId::EW012]);
}

/// The fix never overwrites what the agent reads with the misplaced copy, and never offers a
/// value the guard itself refuses: a Namespace with annotation "true" and label "false" is
/// told to drop the label, not to annotate global=false, which would turn it off.
#[test]
fn ew012_fixes_keep_what_the_agent_reads() {
    let message = |d: &Decision| {
        assert_eq!(ids(d), vec![RuleId::EW012]);
        d.violations[0].message.clone()
    };
    // Namespace: annotation "true" and label "false": only the label goes.
    let d = check_ns(&ns(
        &[("tetrate.io/rev", "default"), (GLOBAL, "false")],
        &[(GLOBAL, "true")],
    ));
    let m = message(&d);
    assert!(
        m.contains("kubectl label namespace payments traffic.tetrate.io/global-"),
        "{m}"
    );
    assert!(m.contains("(\"true\")"), "{m}");
    assert!(!m.contains("kubectl annotate"), "{m}");
    // Namespace label "True" alone: moved as the boolean it means, which EW001 accepts.
    let m = message(&check_ns(&ns(
        &[("tetrate.io/rev", "default"), (GLOBAL, "True")],
        &[],
    )));
    assert!(
        m.contains("kubectl annotate namespace payments traffic.tetrate.io/global=true && "),
        "{m}"
    );
    let m = message(&check_ns(&ns(&[(GLOBAL, "off")], &[])));
    assert!(m.contains("traffic.tetrate.io/global=false && "), "{m}");
    // A value that means neither: the fix keeps what the agent does today (off), and says
    // so; copied as written it never exposes a whole Namespace.
    let m = message(&check_ns(&ns(&[(GLOBAL, "nope")], &[])));
    assert!(m.contains("traffic.tetrate.io/global=false && "), "{m}");
    assert!(m.contains("\"nope\" is neither true nor false"), "{m}");
    let m = message(&check_ns(&ns(&[(DEPLOY, "maybe")], &[(NAME, "gw")])));
    assert!(m.contains(&format!("{DEPLOY}=true && ")), "{m}");
    // A gateway value that needs quoting for the shell is quoted.
    let m = message(&check_ns(&ns(&[(SELECTOR, "app=gw")], &[(NAME, "gw")])));
    assert!(m.contains(&format!("{SELECTOR}=app=gw && ")), "{m}");
    // Service: label "false" and annotation "true": only the annotation goes, the Service
    // stays unexposed.
    let d = check_svc(
        &svc(&[(GLOBAL, "false")], &[(GLOBAL, "true")], "ClusterIP"),
        &NoCluster,
    );
    let m = message(&d);
    assert!(
        m.contains("kubectl annotate service payment-api -n payments traffic.tetrate.io/global-"),
        "{m}"
    );
    assert!(!m.contains("kubectl label"), "{m}");
    // Service annotation "False" alone: moved as false, not as true.
    let d = check_svc(&svc(&[], &[(GLOBAL, "False")], "ClusterIP"), &NoCluster);
    let m = message(&d);
    assert!(m.contains("traffic.tetrate.io/global=false && "), "{m}");
}

#[test]
fn ew013_fix_keeps_the_meaning_of_a_near_boolean() {
    let d = check_svc(&svc(&[(GLOBAL, "False")], &[], "ClusterIP"), &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW013]);
    let m = &d.violations[0].message;
    assert!(
        m.contains("traffic.tetrate.io/global=false --overwrite"),
        "{m}"
    );
    // Unclear: not exposed today, so the fix writes false.
    let d = check_svc(&svc(&[(GLOBAL, "nope")], &[], "ClusterIP"), &NoCluster);
    let m = &d.violations[0].message;
    assert!(
        m.contains("traffic.tetrate.io/global=false --overwrite (\"nope\""),
        "{m}"
    );
}

/// An empty metadata.namespace is no namespace: the request's namespace names the Service.
#[test]
fn an_empty_object_namespace_falls_back_to_the_requests() {
    let mut v = fixture("service-payment-api.json");
    v["metadata"]["namespace"] = json!("");
    v["metadata"]["labels"] = map(&[(GLOBAL, "True")]);
    let obj: ObjectView = serde_json::from_value(v).unwrap();
    let d = rules_cases::validate(
        &Review::create(ResourceKind::Service, &obj).with_namespace(Some("payments")),
        &Config::default(),
        &NoCluster,
    );
    assert_eq!(ids(&d), vec![RuleId::EW013]);
    let m = &d.violations[0].message;
    assert!(m.starts_with("Service \"payments/payment-api\""), "{m}");
    assert!(m.contains("-n payments"), "{m}");
}

#[test]
fn ew012_gateway_keys_on_a_service() {
    for place in ["label", "annotation"] {
        let s = if place == "label" {
            svc(&[(NAME, "gw")], &[], "ClusterIP")
        } else {
            svc(&[], &[(NAME, "gw")], "ClusterIP")
        };
        let d = check_svc(&s, &NoCluster);
        assert_eq!(ids(&d), vec![RuleId::EW012], "{place}");
        assert!(
            d.violations[0]
                .message
                .contains("kubectl annotate namespace payments")
        );
    }
}

#[test]
fn ew013_service_label_exact_boolean() {
    for ok in ["true", "false"] {
        assert!(
            check_svc(&svc(&[(GLOBAL, ok)], &[], "ClusterIP"), &NoCluster)
                .violations
                .is_empty()
        );
    }
    for bad in ["True", "yes", ""] {
        let d = check_svc(&svc(&[(GLOBAL, bad)], &[], "ClusterIP"), &NoCluster);
        assert_eq!(ids(&d), vec![RuleId::EW013], "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// EW020, EW021: transitions.

fn namespace_level() -> ObjectView {
    ew_ns(&[(GLOBAL, "true")])
}

#[test]
fn ew020_namespace_level_to_service_level_or_off_is_blocked() {
    let to_absent = ew_ns(&[]);
    let to_false = ew_ns(&[(GLOBAL, "false")]);
    let to_invalid = ew_ns(&[(GLOBAL, "True")]);
    let to_absent_with_gw = ew_ns(&[(NAME, "gw")]);
    for (new, what) in [
        (&to_absent, "annotation removed"),
        (&to_false, "set to \"false\""),
        (&to_invalid, "invalid value"),
        (&to_absent_with_gw, "annotation removed"),
    ] {
        let d = update_ns(&namespace_level(), new, &NoCluster);
        let v = only(&d, RuleId::EW020);
        assert_eq!(v.len(), 1, "{what}: {:#?}", d.violations);
        assert_eq!(v[0].level, Level::Deny);
        assert!(v[0].message.contains(what), "{}", v[0].message);
        assert!(v[0].message.contains("stop"), "{}", v[0].message);
        assert!(
            v[0].message
                .contains("delete the Namespace and recreate it"),
            "{}",
            v[0].message
        );
        assert!(!d.allowed());
        // The summary (the warning when EW020 is downgraded for a rollout) names the key and
        // both values and the way out, and never says the write was blocked.
        let summary = &v[0].summary;
        assert!(
            summary.starts_with("EW020: traffic.tetrate.io/global \"true\" -> "),
            "{summary}"
        );
        assert!(
            summary.contains("label them, then delete and recreate"),
            "{summary}"
        );
        assert!(!summary.contains("blocked"), "{summary}");
    }
    let d = update_ns(&namespace_level(), &to_false, &NoCluster);
    assert!(
        only(&d, RuleId::EW020)[0]
            .summary
            .contains("-> \"false\": leaving namespace-level")
    );
}

#[test]
fn ew020_allowed_directions_and_termination() {
    // service-level to namespace-level: allowed.
    assert!(
        update_ns(&ew_ns(&[]), &namespace_level(), &NoCluster)
            .violations
            .is_empty()
    );
    assert!(
        update_ns(&ew_ns(&[(GLOBAL, "false")]), &namespace_level(), &NoCluster)
            .violations
            .is_empty()
    );
    // Unchanged.
    assert!(
        update_ns(&namespace_level(), &namespace_level(), &NoCluster)
            .violations
            .is_empty()
    );
    // The Namespace is being deleted: finalizer removal updates are not blocked.
    let mut terminating = ns_json(&[("tetrate.io/rev", "default")], &[]);
    terminating["metadata"]["deletionTimestamp"] = json!("2026-11-21T10:00:00Z");
    let terminating: ObjectView = serde_json::from_value(terminating).unwrap();
    assert!(
        only(
            &update_ns(&namespace_level(), &terminating, &NoCluster),
            RuleId::EW020
        )
        .is_empty()
    );
    // A CREATE has no "before".
    assert!(check_ns(&ew_ns(&[(GLOBAL, "false")])).violations.is_empty());
}

#[test]
fn ew020_names_the_services_that_would_stop_being_exposed() {
    let names: Vec<String> = (1..=12).map(|i| format!("svc-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let cluster = FakeCluster::default().with_services("payments", 3, &refs);
    let d = update_ns(&namespace_level(), &ew_ns(&[]), &cluster);
    let m = &only(&d, RuleId::EW020)[0].message;
    assert!(m.contains("12 Services: svc-01, svc-02"), "{m}");
    assert!(m.contains("svc-10 and 2 more"), "{m}");
    assert!(!m.contains("svc-11"), "{m}");
}

#[test]
fn ew020_without_services_says_what_is_known() {
    // The Namespace's Services are known and there are none (a cluster without Services in it,
    // or a manifest set that has the Namespace but keeps its Services elsewhere).
    let cluster = FakeCluster::default().with_services("payments", 0, &[]);
    for (origin, says) in [
        (Origin::Admission, "It has no Service today"),
        (
            Origin::Manifests,
            "No Service of this Namespace is in the input",
        ),
    ] {
        let (old, new) = (namespace_level(), ew_ns(&[(GLOBAL, "false")]));
        let review = Review::update(ResourceKind::Namespace, &old, &new).with_origin(origin);
        let d = rules_cases::validate(&review, &Config::default(), &cluster);
        let m = &only(&d, RuleId::EW020)[0].message;
        assert!(m.contains(says), "{m}");
        assert!(!m.contains("no Service in it is labelled"), "{m}");
        assert!(!m.contains("Every Service in it is labelled"), "{m}");
    }
    // Services, none labelled: "which is off", with their names.
    let cluster = FakeCluster::default().with_services("payments", 0, &["api"]);
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "false")]), &cluster);
    let m = &only(&d, RuleId::EW020)[0].message;
    assert!(
        m.contains(
            "(annotation set to \"false\"), which is off as no Service in it is labelled, is blocked"
        ),
        "{m}"
    );
    assert!(m.contains("1 Service: api"), "{m}");
    // An invalid value reads as off already: no second clause.
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "yes")]), &cluster);
    let m = &only(&d, RuleId::EW020)[0].message;
    assert!(
        m.contains("to an invalid value \"yes\" (which the agent reads as off) is blocked"),
        "{m}"
    );
    // Services, all labelled.
    let cluster = FakeCluster::default().with_services("payments", 2, &[]);
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "false")]), &cluster);
    let m = &only(&d, RuleId::EW020)[0].message;
    assert!(m.contains("Every Service in it is labelled today"), "{m}");
}

#[test]
fn ew011_a_key_longer_than_kubernetes_allows_is_not_echoed_whole() {
    let long = format!("traffic.tetrate.io/eastwest-{}", "x".repeat(1 << 20));
    let d = check_ns(&ew_ns(&[(GLOBAL, "true"), (long.as_str(), "v")]));
    let v = only(&d, RuleId::EW011);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert_eq!(v[0].level, Level::Deny);
    assert!(v[0].message.len() < 1_000, "{} bytes", v[0].message.len());
    assert!(
        v[0].message.contains(&format!("({} bytes)", long.len())),
        "{}",
        v[0].message
    );
}

#[test]
fn ew020_in_gitops_says_to_delete_in_a_separate_change() {
    let old = namespace_level();
    let new = ew_ns(&[]);
    let review = Review::update(ResourceKind::Namespace, &old, &new).with_origin(Origin::Manifests);
    let d = rules_cases::validate(&review, &Config::default(), &NoCluster);
    let m = &only(&d, RuleId::EW020)[0].message;
    assert!(m.contains("GitOps"), "{m}");
    assert!(m.contains("change of its own"), "{m}");
}

#[test]
fn updates_of_objects_being_deleted_are_never_denied() {
    // The finalizer removal of an object that had a bad value before the guard was installed:
    // denying it would leave the object stuck terminating.
    let terminating = |mut v: Value| -> ObjectView {
        v["metadata"]["deletionTimestamp"] = json!("2026-12-01T10:00:00Z");
        serde_json::from_value(v).unwrap()
    };
    let mut svc_json = fixture("service-payment-api.json");
    svc_json["metadata"]["labels"] = map(&[(GLOBAL, "True")]);
    let old_svc: ObjectView = serde_json::from_value(svc_json.clone()).unwrap();
    let new_svc = terminating(svc_json);
    let d = rules_cases::validate(
        &Review::update(ResourceKind::Service, &old_svc, &new_svc),
        &Config::default(),
        &NoCluster,
    );
    assert!(d.allowed(), "{:#?}", d.violations);
    let v = only(&d, RuleId::EW013);
    assert_eq!(v[0].level, Level::Warn);
    assert!(
        v[0].message
            .ends_with("(Not denied: the object is being deleted.)"),
        "{}",
        v[0].message
    );
    // At the front of the warning, where no truncation reaches.
    assert!(
        v[0].summary
            .starts_with("EW013: not denied, being deleted: "),
        "{}",
        v[0].summary
    );

    let old_ns = ew_ns(&[(GLOBAL, "yes")]);
    let new_ns = terminating(ns_json(
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "yes")],
    ));
    let d = update_ns(&old_ns, &new_ns, &NoCluster);
    assert!(d.allowed(), "{:#?}", d.violations);
    assert_eq!(only(&d, RuleId::EW001)[0].level, Level::Warn);

    // Not being deleted: denied as before.
    assert!(!update_ns(&old_ns, &old_ns, &NoCluster).allowed());
    // Being deleted, but the write changes the traffic.tetrate.io/ keys (not a finalizer
    // removal): judged as any other write.
    let changed = terminating(ns_json(
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "yes"), (DEPLOY, "maybe")],
    ));
    assert!(!update_ns(&old_ns, &changed, &NoCluster).allowed());
}

#[test]
fn ew021_a_new_name_with_the_old_derived_selector_says_so() {
    // The defaults patch wrote the selector down; renaming the gateway leaves it behind.
    let old = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "east-west-gateway"),
        (SELECTOR, "app=east-west-gateway"),
    ]);
    let new = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "my-gw"),
        (SELECTOR, "app=east-west-gateway"),
    ]);
    let d = update_ns(&old, &new, &NoCluster);
    let v = only(&d, RuleId::EW021);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert!(
        v[0].message.contains("selects the old gateway's pods"),
        "{}",
        v[0].message
    );
    assert!(v[0].message.contains("\"app=my-gw\""), "{}", v[0].message);
    // The warning itself (the summary) says so too: kubectl shows only that.
    assert!(
        v[0].summary
            .contains("selector still \"app=east-west-gateway\""),
        "{}",
        v[0].summary
    );
    // With other pairs alongside, in another order, still the old gateway's selector.
    let old2 = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "gw-a"),
        (SELECTOR, "app=gw-a,tier=edge"),
    ]);
    let new2 = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "gw-b"),
        (SELECTOR, "tier=edge,app=gw-a"),
    ]);
    let d = update_ns(&old2, &new2, &NoCluster);
    let v = only(&d, RuleId::EW021);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert!(
        v[0].message.contains("selects the old gateway's pods"),
        "{}",
        v[0].message
    );
    // A selector of its own (not app=<old name>) is left alone.
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-a"), (SELECTOR, "app=edge")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-b"), (SELECTOR, "app=edge")]);
    let d = update_ns(&old, &new, &NoCluster);
    assert!(
        !only(&d, RuleId::EW021)[0]
            .message
            .contains("old gateway's pods")
    );
}

#[test]
fn ew021_a_new_selector_with_the_old_derived_name_says_so() {
    // The mirror: the defaults patch wrote the name down; a new selector app leaves it behind.
    let old = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "east-west-gateway"),
        (SELECTOR, "app=east-west-gateway"),
    ]);
    let new = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "east-west-gateway"),
        (SELECTOR, "app=gw2"),
    ]);
    let d = update_ns(&old, &new, &NoCluster);
    let v = only(&d, RuleId::EW021);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert!(
        v[0].message
            .contains("the old selector's app (what the name is"),
        "{}",
        v[0].message
    );
    assert!(
        v[0].message.contains("change it to \"gw2\""),
        "{}",
        v[0].message
    );
    assert!(
        v[0].summary.contains("name still \"east-west-gateway\""),
        "{}",
        v[0].summary
    );
    // A name of its own is left alone.
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "edge"), (SELECTOR, "app=gw-a")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "edge"), (SELECTOR, "app=gw-b")]);
    let d = update_ns(&old, &new, &NoCluster);
    assert!(
        !only(&d, RuleId::EW021)[0]
            .message
            .contains("the old selector's app")
    );
}

#[test]
fn ew021_reordered_selector_pairs_move_nothing() {
    let old = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "app=east-west-gateway,tier=x")]);
    let new = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "tier=x,app=east-west-gateway")]);
    let d = update_ns(&old, &new, &NoCluster);
    assert!(only(&d, RuleId::EW021).is_empty(), "{:#?}", d.violations);
    // A changed pair still warns.
    let new = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "tier=y,app=east-west-gateway")]);
    assert_eq!(
        only(&update_ns(&old, &new, &NoCluster), RuleId::EW021).len(),
        1
    );
}

#[test]
fn ew021_gateway_moves_while_east_west_is_on() {
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-b")]);
    let d = update_ns(&old, &new, &NoCluster);
    // Name and (derived) selector both change.
    assert_eq!(
        ids(&d),
        vec![RuleId::EW021, RuleId::EW021],
        "{:#?}",
        d.violations
    );
    assert!(d.allowed());
    assert!(d.violations[0].message.contains("\"gw-a\" to \"gw-b\""));

    let moved = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-a"), (GW_NS, "gateways")]);
    let d = update_ns(&old, &moved, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW021]);
    assert!(d.violations[0].message.contains("namespace"));

    // Off: nothing moves.
    let off_old = ew_ns(&[(NAME, "gw-a")]);
    let off_new = ew_ns(&[(NAME, "gw-b")]);
    assert!(
        update_ns(&off_old, &off_new, &NoCluster)
            .violations
            .is_empty()
    );
    // Service-level with labelled Services (known from the cluster): on.
    let cluster = FakeCluster::default()
        .with_services("payments", 2, &[])
        .with_namespace("tetrate-system", &[], &[]);
    assert_eq!(
        ids(&update_ns(&off_old, &off_new, &cluster)),
        vec![RuleId::EW021, RuleId::EW021]
    );
    // Writing down the defaults changes nothing.
    let explicit = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "east-west-gateway"),
        (SELECTOR, "app=east-west-gateway"),
        (GW_NS, "tetrate-system"),
    ]);
    assert!(
        update_ns(&namespace_level(), &explicit, &NoCluster)
            .violations
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// EW022, EW031, EW040: Services with their Namespace.

fn svc_update(old: &ObjectView, new: &ObjectView, cluster: &dyn Recorded) -> Decision {
    rules_cases::validate(
        &Review::update(ResourceKind::Service, old, new),
        &Config::default(),
        cluster,
    )
}

#[test]
fn ew022_service_level_exposure_changes() {
    let cluster =
        FakeCluster::default().with_namespace("payments", &[("tetrate.io/rev", "default")], &[]);
    let unlabelled = svc(&[("app", "payment")], &[], "ClusterIP");
    let labelled = svc(&[("app", "payment"), (GLOBAL, "true")], &[], "ClusterIP");
    let falsed = svc(&[("app", "payment"), (GLOBAL, "false")], &[], "ClusterIP");

    let d = svc_update(&unlabelled, &labelled, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW022]);
    assert!(
        d.violations[0]
            .message
            .contains("Service payments/payment-api becomes exposed cross-cluster")
    );

    let d = svc_update(&labelled, &unlabelled, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW022]);
    assert!(d.violations[0].message.contains("stops being exposed"));
    let d = svc_update(&labelled, &falsed, &cluster);
    assert!(d.violations[0].message.contains("stops being exposed"));

    // CREATE of a labelled Service.
    let d = check_svc(&labelled, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW022]);
    // No change.
    assert!(
        svc_update(&labelled, &labelled, &cluster)
            .violations
            .is_empty()
    );
    // Unknown Namespace: skipped.
    assert!(
        svc_update(&unlabelled, &labelled, &NoCluster)
            .violations
            .is_empty()
    );
}

/// An ExternalName Service is not exposed (no endpoints), as explain and diff count it: EW022
/// follows a type change, names it as the cause, and never says a labelled ExternalName
/// Service "becomes exposed" next to EW040.
#[test]
fn ew022_counts_an_external_name_service_as_not_exposed() {
    let cluster =
        FakeCluster::default().with_namespace("payments", &[("tetrate.io/rev", "default")], &[]);
    let labelled = svc(&[(GLOBAL, "true")], &[], "ClusterIP");
    let external = svc(&[(GLOBAL, "true")], &[], "ExternalName");
    let plain_external = svc(&[], &[], "ExternalName");
    let d = check_svc(&external, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW040], "{:#?}", d.violations);
    let d = svc_update(&plain_external, &external, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW040], "{:#?}", d.violations);
    let d = svc_update(&external, &labelled, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW022]);
    let m = &d.violations[0].message;
    assert!(
        m.contains("becomes exposed cross-cluster: it is no longer type ExternalName"),
        "{m}"
    );
    let d = svc_update(&labelled, &external, &cluster);
    let v = only(&d, RuleId::EW022);
    assert!(
        v[0].message
            .contains("stops being exposed cross-cluster: it is now type ExternalName"),
        "{}",
        v[0].message
    );
    // In a namespace-level Namespace: nothing about exposure, EW040 only.
    let level = FakeCluster::default().with_namespace(
        "payments",
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "true")],
    );
    let d = svc_update(&plain_external, &external, &level);
    assert_eq!(ids(&d), vec![RuleId::EW040], "{:#?}", d.violations);
}

#[test]
fn ew022_label_changes_nothing_in_a_namespace_level_namespace() {
    let cluster = FakeCluster::default().with_namespace(
        "payments",
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "true")],
    );
    let unlabelled = svc(&[("app", "payment"), (GLOBAL, "false")], &[], "ClusterIP");
    let labelled = svc(&[("app", "payment"), (GLOBAL, "true")], &[], "ClusterIP");
    for (old, new) in [(&unlabelled, &labelled), (&labelled, &unlabelled)] {
        let d = svc_update(old, new, &cluster);
        assert_eq!(ids(&d), vec![RuleId::EW022]);
        assert!(
            d.violations[0].message.contains("stays exposed"),
            "{}",
            d.violations[0].message
        );
        assert!(d.violations[0].message.contains("no effect"));
        assert!(d.violations[0].message.contains("namespace-level"));
    }
}

#[test]
fn ew031_labelled_service_in_a_namespace_without_trigger_label() {
    let labelled = svc(&[(GLOBAL, "true")], &[], "ClusterIP");
    let no_trigger = FakeCluster::default().with_namespace("payments", &[("team", "a")], &[]);
    let d = check_svc(&labelled, &no_trigger);
    assert!(ids(&d).contains(&RuleId::EW031));
    assert!(
        only(&d, RuleId::EW031)[0]
            .message
            .contains("kubectl label namespace payments tetrate.io/rev=default")
    );
    for trigger in [
        ("tetrate.io/rev", "default"),
        ("istio-injection", "enabled"),
        ("istio.io/rev", "default"),
    ] {
        let ok = FakeCluster::default().with_namespace("payments", &[trigger], &[]);
        assert!(
            !ids(&check_svc(&labelled, &ok)).contains(&RuleId::EW031),
            "{trigger:?}"
        );
    }
    // Wrong value of a trigger key is no trigger.
    let wrong =
        FakeCluster::default().with_namespace("payments", &[("istio-injection", "disabled")], &[]);
    assert!(ids(&check_svc(&labelled, &wrong)).contains(&RuleId::EW031));
    // Unknown Namespace: skipped.
    assert!(!ids(&check_svc(&labelled, &NoCluster)).contains(&RuleId::EW031));
}

#[test]
fn ew040_external_name_service_labelled_for_exposure() {
    let d = check_svc(&svc(&[(GLOBAL, "true")], &[], "ExternalName"), &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW040]);
    assert_eq!(d.violations[0].field, Field::SpecType);
    assert!(
        check_svc(&svc(&[(GLOBAL, "true")], &[], "ClusterIP"), &NoCluster)
            .violations
            .is_empty()
    );
    assert!(
        check_svc(&svc(&[(GLOBAL, "false")], &[], "ExternalName"), &NoCluster)
            .violations
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// EW030, EW032: workspace and gateway namespace.

#[test]
fn ew030_east_west_on_without_trigger_label() {
    let d = check_ns(&ns(&[("team", "a")], &[(GLOBAL, "true")]));
    assert_eq!(ids(&d), vec![RuleId::EW030]);
    assert_eq!(d.violations[0].level, Level::Warn);
    assert!(
        d.violations[0]
            .summary
            .contains("kubectl label namespace payments tetrate.io/rev=default")
    );
    for trigger in [
        ("tetrate.io/rev", "default"),
        ("istio-injection", "enabled"),
        ("istio.io/rev", "default"),
    ] {
        assert!(
            check_ns(&ns(&[trigger], &[(GLOBAL, "true")]))
                .violations
                .is_empty(),
            "{trigger:?}"
        );
    }
    // Off: no workspace needed.
    assert!(
        check_ns(&ns(&[], &[(GLOBAL, "false")]))
            .violations
            .is_empty()
    );
    // Configured trigger labels replace the defaults.
    let config = Config {
        trigger_labels: vec![("mesh".into(), "on".into())],
        ..Config::default()
    };
    assert!(
        check_ns_with(&ns(&[("mesh", "on")], &[(GLOBAL, "true")]), &config)
            .violations
            .is_empty()
    );
    assert_eq!(
        ids(&check_ns_with(
            &ns(&[("tetrate.io/rev", "default")], &[(GLOBAL, "true")]),
            &config
        )),
        vec![RuleId::EW030]
    );
}

#[test]
fn ew032_gateway_namespace_missing_in_the_cluster() {
    let obj = ew_ns(&[(GLOBAL, "true"), (GW_NS, "gateways")]);
    let review = Review::create(ResourceKind::Namespace, &obj);
    let empty = FakeCluster::default();
    let d = rules_cases::validate(&review, &Config::default(), &empty);
    assert_eq!(ids(&d), vec![RuleId::EW032]);
    assert!(
        d.violations[0]
            .message
            .contains("kubectl create namespace gateways")
    );
    let has = FakeCluster::default().with_namespace("gateways", &[], &[]);
    assert!(
        rules_cases::validate(&review, &Config::default(), &has)
            .violations
            .is_empty()
    );
    assert!(
        rules_cases::validate(&review, &Config::default(), &NoCluster)
            .violations
            .is_empty()
    );
    // The default gateway namespace is checked too.
    let d = rules_cases::validate(
        &Review::create(ResourceKind::Namespace, &namespace_level()),
        &Config::default(),
        &empty,
    );
    assert!(d.violations[0].message.contains("tetrate-system"));
}

// ---------------------------------------------------------------------------------------------
// Configuration and collection.

#[test]
fn warn_only_and_per_rule_downgrades() {
    let obj = ew_ns(&[(GLOBAL, "True"), (SELECTOR, "app = gw")]);
    let d = check_ns(&obj);
    assert!(!d.allowed());
    let warn_only = Config {
        warn_only: true,
        ..Config::default()
    };
    let d = check_ns_with(&obj, &warn_only);
    assert!(d.allowed());
    assert!(d.violations.iter().all(|v| v.level == Level::Warn));
    let one = Config {
        warn_rules: [RuleId::EW001].into_iter().collect(),
        ..Config::default()
    };
    let d = check_ns_with(&obj, &one);
    assert!(!d.allowed());
    assert_eq!(only(&d, RuleId::EW001)[0].level, Level::Warn);
    assert_eq!(only(&d, RuleId::EW005)[0].level, Level::Deny);
}

#[test]
fn one_pass_collects_every_problem() {
    let obj = ns(
        &[(GLOBAL, "true")],
        &[
            (GLOBAL, "yes"),
            (DEPLOY, "maybe"),
            (GW_NS, "Gateways"),
            (NAME, "GW"),
            (SELECTOR, "tier = edge"),
            (CLOUD, "a: b\na: c\n"),
            ("traffic.tetrate.io/eastwest-typo", "x"),
        ],
    );
    let d = check_ns(&obj);
    let got = d.rule_ids();
    for want in [
        RuleId::EW001,
        RuleId::EW002,
        RuleId::EW003,
        RuleId::EW004,
        RuleId::EW005,
        RuleId::EW007,
        RuleId::EW011,
        RuleId::EW012,
    ] {
        assert!(got.contains(&want), "{want} missing from {got:?}");
    }
    // Sorted by rule ID.
    let order: Vec<RuleId> = ids(&d);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn messages_are_one_line_summaries_and_bounded() {
    let obj = ns(
        &[(GLOBAL, "true")],
        &[
            (GLOBAL, "yes\n\tno"),
            (CLOUD, &"x".repeat(1 << 20)),
            (NAME, &"g".repeat(100_000)),
        ],
    );
    let d = check_ns(&obj);
    for v in &d.violations {
        assert!(!v.summary.chars().any(char::is_control), "{:?}", v.summary);
        assert!(v.summary.starts_with(v.rule.as_str()));
        assert!(
            v.summary.len() <= 300,
            "{} chars: {}",
            v.summary.len(),
            v.summary
        );
        assert!(v.message.len() < 4096, "{} chars", v.message.len());
    }
}

#[test]
fn rule_ids_parse_and_print() {
    for id in RuleId::ALL {
        assert_eq!(id.as_str().parse::<RuleId>().unwrap(), *id);
        assert!(!id.title().is_empty());
    }
    assert!("ew005".parse::<RuleId>().is_ok());
    assert!("EW999".parse::<RuleId>().is_err());
    assert!(P.ends_with('/'));
}

// ---------------------------------------------------------------------------------------------
// Mutation.

fn mutate(obj: &ObjectView) -> Option<rules::Mutation> {
    rules::mutate(
        &Review::create(ResourceKind::Namespace, obj),
        &Config::default(),
    )
}

/// Applies the patch to the object's JSON with json-patch and reads the result back.
fn apply(obj_json: &Value, m: &rules::Mutation) -> (Value, ObjectView) {
    let mut doc = obj_json.clone();
    json_patch::patch(&mut doc, &m.patch).expect("patch applies");
    let view = serde_json::from_value(doc.clone()).unwrap();
    (doc, view)
}

#[test]
fn mutation_adds_missing_defaults_and_is_idempotent() {
    type Case<'a> = (Vec<(&'a str, &'a str)>, [&'a str; 4]);
    let cases: Vec<Case> = vec![
        (
            vec![(GLOBAL, "true")],
            [
                "east-west-gateway",
                "app=east-west-gateway",
                "tetrate-system",
                "true",
            ],
        ),
        (
            vec![(GLOBAL, "true"), (NAME, "prod-gateway")],
            ["prod-gateway", "app=prod-gateway", "tetrate-system", "true"],
        ),
        (
            vec![(GLOBAL, "true"), (SELECTOR, "app=my-gw")],
            ["my-gw", "app=my-gw", "tetrate-system", "true"],
        ),
        (
            vec![
                (GLOBAL, "true"),
                (NAME, "custom-name"),
                (SELECTOR, "app=custom-gw"),
            ],
            ["custom-name", "app=custom-gw", "tetrate-system", "true"],
        ),
        // Service-level Namespace that configures a gateway.
        (
            vec![(GW_NS, "custom-gateways"), (DEPLOY, "false")],
            [
                "east-west-gateway",
                "app=east-west-gateway",
                "custom-gateways",
                "false",
            ],
        ),
    ];
    for (annotations, want) in cases {
        let json = ns_json(&[("tetrate.io/rev", "default")], &annotations);
        let obj: ObjectView = serde_json::from_value(json.clone()).unwrap();
        let m = mutate(&obj).unwrap_or_else(|| panic!("{annotations:?}: no patch"));
        let (doc, after) = apply(&json, &m);
        for (key, value) in [NAME, SELECTOR, GW_NS, DEPLOY].into_iter().zip(want) {
            assert_eq!(after.annotation(key), Some(value), "{annotations:?}: {key}");
        }
        // Never overwrites: every key the user wrote is unchanged.
        for (k, v) in &annotations {
            assert_eq!(after.annotation(k), Some(*v));
        }
        // Everything else is untouched.
        let mut stripped = doc.clone();
        stripped["metadata"]["annotations"] = json["metadata"]["annotations"].clone();
        assert_eq!(stripped, json);
        // Idempotent.
        assert!(
            mutate(&after).is_none(),
            "{annotations:?}: second pass patched"
        );
        // The result passes validation.
        assert!(
            check_ns(&after).violations.is_empty(),
            "{:#?}",
            check_ns(&after).violations
        );
        // The audit side knows what was defaulted.
        assert_eq!(m.defaulted.len(), m.patch.0.len());
    }
}

#[test]
fn mutation_escapes_slashes_in_keys() {
    let m = mutate(&ew_ns(&[(GLOBAL, "true")])).unwrap();
    let wire = serde_json::to_value(&m.patch).unwrap();
    assert_eq!(
        wire[0],
        json!({"op": "add", "path": "/metadata/annotations/traffic.tetrate.io~1eastwest-gateway-name", "value": "east-west-gateway"})
    );
}

#[test]
fn mutation_leaves_alone_what_it_must() {
    // No traffic.tetrate.io key, or only global=false: nothing.
    assert!(mutate(&ns(&[], &[("a", "b")])).is_none());
    assert!(mutate(&ns(&[], &[(GLOBAL, "false")])).is_none());
    // Invalid inputs: left to the validating webhook.
    for bad in [
        vec![(GLOBAL, "True")],
        vec![(GLOBAL, "true"), (DEPLOY, "yes")],
        vec![(GLOBAL, "true"), (GW_NS, "Bad_NS")],
        vec![(GLOBAL, "true"), (NAME, "Bad_Name")],
        vec![(GLOBAL, "true"), (SELECTOR, "app = gw")],
        vec![(GLOBAL, "true"), (SELECTOR, "tier=edge")],
        vec![(GLOBAL, "true"), (SELECTOR, "app=Bad_Name")],
        // A misspelt gateway key (EW011): the user meant to set it, so no default for it.
        vec![
            (GLOBAL, "true"),
            ("traffic.tetrate.io/eastwest-gateway-nmae", "gw"),
        ],
        vec![
            (GLOBAL, "true"),
            ("traffic.tetrate.io/east-west-gateway-name", "gw"),
        ],
        vec![(GLOBAL, "true"), ("traffic.tetrate.io/eastwest-gw", "gw")],
        // Keys the defaults do not derive from, but which the validating webhook denies
        // (EW007, EW008, EW009): "the inputs are valid" is the whole Namespace's keys.
        vec![(GLOBAL, "true"), (CLOUD, "a: [")],
        vec![(GLOBAL, "true"), (CLOUD, "Bad Key!: x")],
        vec![(GLOBAL, "true"), (CLOUD, "example.com/lb: x")],
    ] {
        assert!(mutate(&ew_ns(&bad)).is_none(), "{bad:?}");
    }
    // A gateway key or global written as a label (EW012): no defaults either.
    assert!(mutate(&ns(&[(GLOBAL, "true")], &[(NAME, "gw")])).is_none());
    assert!(mutate(&ns(&[(DEPLOY, "true")], &[(GLOBAL, "true")])).is_none());
    // Cloud annotations that only draw an EW010 warning do not stop them.
    assert!(
        mutate(&ew_ns(&[
            (GLOBAL, "true"),
            (
                CLOUD,
                "service.beta.kubernetes.io/aws-load-balancer-tpye: nlb"
            )
        ]))
        .is_some()
    );
    // An unknown key that is no gateway key's misspelling does not stop the defaults.
    assert!(
        mutate(&ew_ns(&[
            (GLOBAL, "true"),
            ("traffic.tetrate.io/owner", "team-a")
        ]))
        .is_some()
    );
    // Everything already set: nothing to add.
    let full = ew_ns(&[
        (GLOBAL, "true"),
        (NAME, "a"),
        (SELECTOR, "app=a"),
        (GW_NS, "b"),
        (DEPLOY, "true"),
    ]);
    assert!(mutate(&full).is_none());
    // Services are never mutated.
    let s = svc(&[(GLOBAL, "true")], &[], "ClusterIP");
    assert!(
        rules::mutate(
            &Review::create(ResourceKind::Service, &s),
            &Config::default()
        )
        .is_none()
    );
    // Configured defaults are what gets written.
    let config = Config {
        default_gateway_name: "ew".into(),
        default_gateway_namespace: "gateways".into(),
        ..Config::default()
    };
    let m = rules::mutate(
        &Review::create(ResourceKind::Namespace, &ew_ns(&[(GLOBAL, "true")])),
        &config,
    )
    .unwrap();
    assert_eq!(m.defaulted[0], (NAME.to_string(), "ew".to_string()));
    assert_eq!(m.defaulted[2], (GW_NS.to_string(), "gateways".to_string()));
}

#[test]
fn mutation_on_update_too() {
    let old = ew_ns(&[]);
    let new = ew_ns(&[(GLOBAL, "true")]);
    let m = rules::mutate(
        &Review::update(ResourceKind::Namespace, &old, &new),
        &Config::default(),
    );
    assert!(m.is_some());
}

#[test]
fn ew022_is_silent_where_the_namespace_has_no_trigger_label() {
    // Nothing in such a Namespace is exposed before or after; EW031 says why instead.
    let cluster = FakeCluster::default().with_namespace("payments", &[("team", "a")], &[]);
    let unlabelled = svc(&[("app", "payment")], &[], "ClusterIP");
    let labelled = svc(&[("app", "payment"), (GLOBAL, "true")], &[], "ClusterIP");
    let d = svc_update(&unlabelled, &labelled, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW031]);
}

#[test]
fn huge_annotations_give_bounded_answers() {
    // Each problem is found, but an object reports at most ten of one rule, the last saying
    // how many more; values are clipped. (Before: an 8 KiB selector of commas made a 3 MB
    // answer; 30,000 repeated cloud keys took the process to 22 GB.)
    let commas = ",".repeat(8 * 1024);
    let repeated: String = (0..30_000)
        .map(|i| format!("service.beta.kubernetes.io/k: \"v{i}\"\n"))
        .collect();
    let undocumented: String = (0..10_000)
        .map(|i| format!("service.beta.kubernetes.io/aws-load-balancer-x{i}: v\n"))
        .collect();
    let unknown: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("traffic.tetrate.io/unknown-{i}"), "x".to_owned()))
        .collect();
    let mut many: Vec<(&str, &str)> = unknown
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    many.push((GLOBAL, "true"));
    for (what, obj) in [
        (
            "selector of commas",
            ew_ns(&[(GLOBAL, "true"), (NAME, "gw"), (SELECTOR, &commas)]),
        ),
        (
            "repeated cloud keys",
            ew_ns(&[(GLOBAL, "true"), (CLOUD, &repeated)]),
        ),
        (
            "undocumented cloud keys",
            ew_ns(&[(GLOBAL, "true"), (CLOUD, &undocumented)]),
        ),
        ("unknown keys", ew_ns(&many)),
    ] {
        let started = std::time::Instant::now();
        let d = check_ns(&obj);
        eprintln!("{what}: {:?}", started.elapsed());
        assert!(!d.violations.is_empty(), "{what}");
        assert!(
            d.violations.len() <= 30,
            "{what}: {} violations",
            d.violations.len()
        );
        let size: usize = d
            .violations
            .iter()
            .map(|v| v.message.len() + v.summary.len() + v.value.as_ref().map_or(0, String::len))
            .sum();
        assert!(size < 64 * 1024, "{what}: {size} bytes");
        assert!(
            d.violations.iter().any(|v| v.message.contains("more")),
            "{what}"
        );
    }
    // A denial is never hidden behind capped warnings.
    let mut warns_then_deny = many.clone();
    warns_then_deny.push(("traffic.tetrate.io/eastwest-typo", "x"));
    assert!(!check_ns(&ew_ns(&warns_then_deny)).allowed());
}

/// EW022's whole message and summary in each branch, word for word (they are joined from
/// parts, not formatted, so a missing space or quote would show only here).
#[test]
fn ew022_messages_word_for_word() {
    let service_level =
        FakeCluster::default().with_namespace("payments", &[("tetrate.io/rev", "default")], &[]);
    let namespace_level = FakeCluster::default().with_namespace(
        "payments",
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "true")],
    );
    let unlabelled = svc(&[("app", "payment")], &[], "ClusterIP");
    let labelled = svc(&[("app", "payment"), (GLOBAL, "true")], &[], "ClusterIP");
    let falsed = svc(&[("app", "payment"), (GLOBAL, "false")], &[], "ClusterIP");
    let one = |d: Decision| {
        assert_eq!(ids(&d), vec![RuleId::EW022]);
        (
            d.violations[0].message.clone(),
            d.violations[0].summary.clone(),
        )
    };
    let obj = "Service \"payments/payment-api\": ";
    assert_eq!(
        one(svc_update(&unlabelled, &labelled, &service_level)),
        (
            format!(
                "{obj}Service payments/payment-api becomes exposed cross-cluster: it is now \
                 labelled traffic.tetrate.io/global: \"true\" (Namespace \"payments\" is \
                 service-level)"
            ),
            "EW022: Service payments/payment-api becomes exposed cross-cluster".to_owned()
        )
    );
    assert_eq!(
        one(svc_update(&labelled, &falsed, &service_level)).0,
        format!(
            "{obj}Service payments/payment-api stops being exposed cross-cluster: its label \
             traffic.tetrate.io/global is \"false\" (Namespace \"payments\" is service-level); \
             callers in other clusters lose it"
        )
    );
    assert!(
        one(svc_update(&labelled, &unlabelled, &service_level))
            .0
            .contains("its label traffic.tetrate.io/global is removed (Namespace \"payments\"")
    );
    assert_eq!(
        one(svc_update(&unlabelled, &labelled, &namespace_level)),
        (
            format!(
                "{obj}Service payments/payment-api stays exposed cross-cluster; the label \
                 traffic.tetrate.io/global has no effect here, because Namespace \"payments\" is \
                 namespace-level (traffic.tetrate.io/global: \"true\" on the Namespace) and every \
                 Service in it is exposed, labelled or not"
            ),
            "EW022: Service payments/payment-api stays exposed cross-cluster: label has no \
             effect, Namespace payments is namespace-level"
                .to_owned()
        )
    );
    assert!(
        one(check_svc(&labelled, &namespace_level))
            .0
            .starts_with(&format!(
                "{obj}Service payments/payment-api becomes exposed cross-cluster; the label"
            ))
    );
}

// --- fixes that work as written ---------------------------------------------------------------

/// EW004's "remove it" names what removing it gives, and is not offered where it gives EW006.
#[test]
fn ew004_remove_it_says_what_the_name_becomes() {
    let msg = |ann: &[(&str, &str)]| {
        only(&check_ns(&ew_ns(ann)), RuleId::EW004)[0]
            .message
            .clone()
    };
    let m = msg(&[(NAME, "Bad_Name")]);
    assert!(
        m.contains("remove it to use the default \"east-west-gateway\""),
        "{m}"
    );
    let m = msg(&[(NAME, "Bad_Name"), (SELECTOR, "app=edge,tier=x")]);
    assert!(
        m.contains("remove it to use the selector's app value \"edge\""),
        "{m}"
    );
    let m = msg(&[(NAME, "Bad_Name"), (SELECTOR, "istio=eastwestgateway")]);
    assert!(!m.contains("remove it"), "{m}");
}

/// EW006: naming the gateway keeps the selector; adding `app=` narrows it to pods that carry
/// both labels, so that fix comes second, with its condition.
#[test]
fn ew006_offers_the_name_first() {
    let d = check_ns(&ew_ns(&[(SELECTOR, "istio=eastwestgateway")]));
    let v = &only(&d, RuleId::EW006)[0];
    let fix = v
        .message
        .split_once("Fix: ")
        .map(|(_, f)| f)
        .unwrap_or_default();
    assert!(fix.starts_with(&format!("set {NAME}")), "{}", v.message);
    assert!(
        fix.contains("if the gateway's pods carry that label"),
        "{}",
        v.message
    );
    assert!(v.summary.ends_with("set the name"), "{}", v.summary);
}

/// EW012 with the key both as a label and as an annotation: the annotation is what is read,
/// and the message no longer says east-west stays off when the annotation turns it on.
#[test]
fn ew012_label_and_annotation_says_the_annotation_is_read() {
    let d = check_ns(&ns(
        &[("tetrate.io/rev", "default"), (GLOBAL, "true")],
        &[(GLOBAL, "true")],
    ));
    let m = &only(&d, RuleId::EW012)[0].message;
    assert!(m.contains("reads the annotation (\"true\")"), "{m}");
    assert!(!m.contains("stays off"), "{m}");
    // Alone as a label, it still says so.
    let d = check_ns(&ns(&[("tetrate.io/rev", "default"), (GLOBAL, "true")], &[]));
    assert!(only(&d, RuleId::EW012)[0].message.contains("stays off"));
}

/// EW011 on a Service: a gateway key it is near belongs on the Namespace (EW012 would refuse
/// it on the Service), and the summary is short whatever the key.
#[test]
fn ew011_on_a_service_points_gateway_keys_to_the_namespace() {
    let typo = format!("{P}eastwest-gateway-nmae");
    let d = check_svc(&svc(&[], &[(&typo, "gw")], "ClusterIP"), &NoCluster);
    let m = &only(&d, RuleId::EW011)[0].message;
    assert!(m.contains(&format!("did you mean \"{NAME}\"")), "{m}");
    assert!(m.contains("set it on the Service's Namespace"), "{m}");
    let other = format!("{P}somethingelse");
    let d = check_svc(&svc(&[], &[(&other, "x")], "ClusterIP"), &NoCluster);
    let v = &only(&d, RuleId::EW011)[0];
    assert!(
        v.message.contains(&format!("the label {GLOBAL}")),
        "{}",
        v.message
    );
    let d = check_ns(&ew_ns(&[(&other, "x")]));
    let v = &only(&d, RuleId::EW011)[0];
    assert!(v.message.contains("known keys are"), "{}", v.message);
    assert!(
        v.summary.len() <= 120,
        "{} ({})",
        v.summary,
        v.summary.len()
    );
}

/// EW030's fix: a trigger key already there with another value is overwritten on purpose
/// (kubectl refuses it without --overwrite), with what that also changes; adding another
/// trigger label would move the sidecars as silently.
#[test]
fn ew030_fix_with_a_revision_label_already_set() {
    let d = check_ns(&ns(&[("tetrate.io/rev", "canary")], &[(GLOBAL, "true")]));
    let v = &only(&d, RuleId::EW030)[0];
    assert!(
        v.message
            .contains("kubectl label namespace payments tetrate.io/rev=default --overwrite"),
        "{}",
        v.message
    );
    assert!(
        v.message.contains("it has tetrate.io/rev=canary"),
        "{}",
        v.message
    );
    assert!(!v.summary.contains(" ("), "{}", v.summary);
    // `istio-injection=disabled` is an opt-out: overwriting it turns injection on, and the
    // note says so (not "revision").
    let d = check_ns(&ns(&[("istio-injection", "disabled")], &[(GLOBAL, "true")]));
    let v = &only(&d, RuleId::EW030)[0];
    assert!(
        v.message.contains("istio-injection=enabled --overwrite"),
        "{}",
        v.message
    );
    assert!(v.message.contains("turns injection on"), "{}", v.message);
    let d = check_ns(&ns(&[], &[(GLOBAL, "true")]));
    let v = &only(&d, RuleId::EW030)[0];
    assert!(
        v.message
            .ends_with("Fix: kubectl label namespace payments tetrate.io/rev=default"),
        "{}",
        v.message
    );
}

/// An object with only `generateName` has no name a command could use yet: `<name>`, which
/// a shell refuses, instead of an empty word that makes kubectl act on something else.
#[test]
fn fix_commands_for_an_object_without_a_name() {
    let mut v = fixture("service-payment-api.json");
    v["metadata"].as_object_mut().unwrap().remove("name");
    v["metadata"]["generateName"] = json!("api-");
    v["metadata"]["labels"] = map(&[]);
    v["metadata"]["annotations"] = map(&[(GLOBAL, "true")]);
    let obj: ObjectView = serde_json::from_value(v).unwrap();
    let d = check_svc(&obj, &NoCluster);
    let m = &only(&d, RuleId::EW012)[0].message;
    assert!(
        m.contains("kubectl label service <name> -n payments"),
        "{m}"
    );
}

/// EW022: a `"false"` label written in a namespace-level Namespace keeps nothing private, on
/// CREATE as on UPDATE.
#[test]
fn ew022_a_false_label_in_a_namespace_level_namespace() {
    let cluster = FakeCluster::default().with_namespace(
        "payments",
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "true")],
    );
    let private = svc(&[(GLOBAL, "false")], &[], "ClusterIP");
    let d = check_svc(&private, &cluster);
    let v = only(&d, RuleId::EW022);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert!(
        v[0].message.contains("has no effect here"),
        "{}",
        v[0].message
    );
    // Unchanged "false" on an UPDATE: nothing new to say.
    let d = rules_cases::validate(
        &Review::update(ResourceKind::Service, &private, &private),
        &Config::default(),
        &cluster,
    );
    assert!(only(&d, RuleId::EW022).is_empty(), "{:#?}", d.violations);
    // A plain Service there: exposed like every other, as namespace-level means, no warning.
    let d = check_svc(&svc(&[], &[], "ClusterIP"), &cluster);
    assert!(only(&d, RuleId::EW022).is_empty(), "{:#?}", d.violations);
}

/// EW021 in manifests: where the mutating webhook wrote the derived selector into the
/// Namespace, renaming the gateway in git leaves the selector behind; the warning says so and
/// how to move it. In a review, the old object is the cluster's and already shows it.
#[test]
fn ew021_in_manifests_warns_of_the_selector_the_webhook_wrote() {
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "gw1")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "gw2")]);
    let review = Review::update(ResourceKind::Namespace, &old, &new).with_origin(Origin::Manifests);
    let d = rules_cases::validate(&review, &Config::default(), &NoCluster);
    let v = only(&d, RuleId::EW021);
    let name = v
        .iter()
        .find(|v| v.field == Field::Annotation(NAME.into()))
        .expect("the name change");
    assert!(
        name.message
            .contains(&format!("set {SELECTOR} to \"app=gw2\" in this manifest")),
        "{}",
        name.message
    );
    // Said once, on the name: the derived selector's own change would say the opposite.
    assert_eq!(v.len(), 1, "{v:#?}");
    let d = update_ns(&old, &new, &NoCluster);
    for v in only(&d, RuleId::EW021) {
        assert!(!v.message.contains("in this manifest"), "{}", v.message);
    }
    // The mirror: the selector's app renamed, the name derived from it.
    let old_sel = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "app=a")]);
    let new_sel = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "app=b")]);
    let review =
        Review::update(ResourceKind::Namespace, &old_sel, &new_sel).with_origin(Origin::Manifests);
    let d = rules_cases::validate(&review, &Config::default(), &NoCluster);
    let v = only(&d, RuleId::EW021);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains(&format!("set {NAME} to \"b\" in this manifest")),
        "{}",
        v[0].message
    );
    // The stale selector the webhook sees says how to fix it in the warning itself.
    let pinned = ew_ns(&[(GLOBAL, "true"), (NAME, "gw2"), (SELECTOR, "app=gw1")]);
    let old_pinned = ew_ns(&[(GLOBAL, "true"), (NAME, "gw1"), (SELECTOR, "app=gw1")]);
    let d = update_ns(&old_pinned, &pinned, &NoCluster);
    let v = only(&d, RuleId::EW021);
    assert!(
        v.iter().any(|v| v
            .summary
            .contains("selector still \"app=gw1\": set it to \"app=gw2\" too")),
        "{v:#?}"
    );
}

/// EW010: a cloud annotation written with no value becomes an empty annotation on the
/// gateway Service; almost always a forgotten value.
#[test]
fn ew010_a_cloud_annotation_without_a_value() {
    let d = cloud(
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb\n\
         service.beta.kubernetes.io/aws-load-balancer-ssl-cert:\n",
    );
    let v = only(&d, RuleId::EW010);
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert!(v[0].message.contains("has no value"), "{}", v[0].message);
    assert_eq!(v[0].level, Level::Warn);
}
