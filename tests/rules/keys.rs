//! EW011..EW013: keys the agent does not read as written. EW011 an unknown key under
//! traffic.tetrate.io/ (a typo of a gateway key denies); EW012 a key in the wrong place (a
//! label for an annotation, a gateway key on a Service), with a fix that keeps what the agent
//! reads; EW013 a Service label that is not exactly "true" or "false".

use eastwest_guard::rules::{
    Config, Decision, Field, Level, NoCluster, ObjectView, ResourceKind, Review, RuleId,
};
use serde_json::json;

use crate::support::cases;
use crate::support::objects::{DEPLOY, GLOBAL, NAME, P, SELECTOR, ew_ns, fixture, map, ns, svc};
use crate::support::review::{check_ns, check_svc, ids, only};

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
    let d = cases::validate(
        &Review::create(ResourceKind::Service, &obj).with_namespace(Some("payments")),
        &Config::default(),
        &NoCluster,
    );
    assert_eq!(ids(&d), vec![RuleId::EW013]);
    let m = &d.violations[0].message;
    assert!(m.starts_with("Service \"payments/payment-api\""), "{m}");
    assert!(m.contains("-n payments"), "{m}");
}
