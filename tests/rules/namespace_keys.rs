//! EW001..EW006: the Namespace's own keys the agent reads as they are written. The booleans
//! (EW001 global, EW002 deploy) must be exactly "true" or "false"; the gateway namespace
//! (EW003) and name, given or derived (EW004), must be DNS labels; the workload selector must
//! parse (EW005) and, without `app=`, needs a name (EW006).

use eastwest_guard::rules::{Config, Field, Level, RuleId};

use crate::support::assert::{assert_finding, assert_never_says, assert_says, assert_some_finding};
use crate::support::objects::{DEPLOY, GLOBAL, GW_NS, NAME, SELECTOR, ew_ns};
use crate::support::review::{check_ns, check_ns_with, ids, only};

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
        let v = assert_finding(&d, RuleId::EW001, Level::Deny, &[GLOBAL]);
        assert_eq!(v.field, Field::Annotation(GLOBAL.into()));
        assert_eq!(v.value.as_deref(), Some(bad));
        assert!(
            v.message.starts_with("Namespace \"payments\": "),
            "{}",
            v.message
        );
        assert!(!d.allowed());
    }
    let d = check_ns(&ew_ns(&[(GLOBAL, "ture")]));
    assert_finding(
        &d,
        RuleId::EW001,
        Level::Deny,
        &["under metadata.annotations, write traffic.tetrate.io/global: \"true\""],
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
    assert_finding(&d, RuleId::EW003, Level::Deny, &["at most 63"]);
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
    assert_finding(&d, RuleId::EW004, Level::Deny, &["derived"]);
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

/// A gateway name names the gateway's Service: a DNS-1035 label, which starts with a letter.
/// Both sides of each boundary, given and derived.
#[test]
fn ew004_gateway_names_are_dns_1035_labels() {
    let ok63 = format!("a{}", "1".repeat(62));
    let bad64 = format!("a{}", "1".repeat(63));
    for ok in [ok63.as_str(), "a", "gw-1", "east-west-gateway"] {
        assert!(
            check_ns(&ew_ns(&[(NAME, ok)])).violations.is_empty(),
            "{ok}"
        );
        let selector = format!("app={ok}");
        assert!(
            check_ns(&ew_ns(&[(SELECTOR, &selector)]))
                .violations
                .is_empty(),
            "{selector}"
        );
    }
    for bad in ["1-east-west", "9gw", "0", bad64.as_str()] {
        let d = check_ns(&ew_ns(&[(NAME, bad)]));
        let v = assert_finding(&d, RuleId::EW004, Level::Deny, &[]);
        assert_eq!(v.field, Field::Annotation(NAME.into()));
        if bad.len() > 63 {
            // Past 63 characters it is no label value either: EW005 on the selector.
            assert_finding(&d, RuleId::EW004, Level::Deny, &["at most 63"]);
            continue;
        }
        assert_finding(&d, RuleId::EW004, Level::Deny, &["DNS-1035"]);
        // Derived from app=<bad>: denied on the selector, which it comes from.
        let selector = format!("app={bad}");
        let d = check_ns(&ew_ns(&[(SELECTOR, &selector)]));
        let v = assert_finding(&d, RuleId::EW004, Level::Deny, &["derived", "DNS-1035"]);
        assert_eq!(v.field, Field::Annotation(SELECTOR.into()));
    }
    // A leading digit: the fix writes a name that starts with a letter.
    let d = check_ns(&ew_ns(&[(SELECTOR, "app=9gw")]));
    assert_finding(
        &d,
        RuleId::EW004,
        Level::Deny,
        &[&format!(
            "under metadata.annotations, write {NAME}: \"gw-9gw\""
        )],
    );
    let d = check_ns(&ew_ns(&[(NAME, "1-east-west")]));
    assert_finding(
        &d,
        RuleId::EW004,
        Level::Deny,
        &[&format!("{NAME}: \"gw-1-east-west\"")],
    );
}

/// EW004's "remove it" names what removing it gives, and is not offered where it gives EW006.
#[test]
fn ew004_remove_it_says_what_the_name_becomes() {
    let says = |ann: &[(&str, &str)], says: &[&str]| {
        assert_finding(&check_ns(&ew_ns(ann)), RuleId::EW004, Level::Deny, says);
    };
    says(
        &[(NAME, "Bad_Name")],
        &[
            &format!("write {NAME}: \"bad-name\""),
            "remove it to use the default \"east-west-gateway\"",
        ],
    );
    says(
        &[(NAME, "Bad_Name"), (SELECTOR, "app=edge,tier=x")],
        &["remove it to use the selector's app value \"edge\""],
    );
    let d = check_ns(&ew_ns(&[
        (NAME, "Bad_Name"),
        (SELECTOR, "istio=eastwestgateway"),
    ]));
    let v = assert_finding(&d, RuleId::EW004, Level::Deny, &[]);
    assert_never_says(&d, &v.message, &["remove it"]);
}

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
        ("=gw", "empty key"),
        ("=", "empty key"),
        ("app=gw,app=other", "repeats"),
        ("-app=gw", "label key"),
        ("example.com/a/b=gw", "label key"),
        ("app=gw-", "label value"),
        (long_value.as_str(), "63"),
    ];
    for (sel, what) in cases {
        let d = check_ns(&ew_ns(&[(SELECTOR, sel), (NAME, "gw")]));
        assert_some_finding(&d, RuleId::EW005, &[what]);
        assert!(!d.allowed());
    }
    for ok in [
        "app=gw",
        "app=gw,tier=edge",
        "app.kubernetes.io/name=gw",
        "app=gw,tier=",
        "tier=",
        "app=",
        &format!("app={}", "v".repeat(63)),
    ] {
        let d = check_ns(&ew_ns(&[(SELECTOR, ok), (NAME, "gw")]));
        assert!(d.violations.is_empty(), "{ok:?}: {:#?}", d.violations);
    }
}

/// An empty selector value is valid, as in a Kubernetes label selector (`tier=` selects pods
/// whose `tier` label is empty); an empty key is not. Where the name is derived, an empty app
/// value derives no valid name: EW004 on the derived name, not EW005.
#[test]
fn ew005_an_empty_value_is_valid_an_empty_key_is_not() {
    let d = check_ns(&ew_ns(&[(SELECTOR, "app=gw,tier=")]));
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
    let d = check_ns(&ew_ns(&[(SELECTOR, "app=gw,=x")]));
    assert_finding(&d, RuleId::EW005, Level::Deny, &["empty key"]);
    let d = check_ns(&ew_ns(&[(SELECTOR, "app=")]));
    assert_eq!(ids(&d), vec![RuleId::EW004]);
    assert_finding(
        &d,
        RuleId::EW004,
        Level::Deny,
        &["derived", "must not be empty"],
    );
    let d = check_ns(&ew_ns(&[(SELECTOR, "app=,tier=edge")]));
    assert_eq!(ids(&d), vec![RuleId::EW004]);
    // The corrected selector is offered where it is plain.
    let d = check_ns(&ew_ns(&[(SELECTOR, "app = gw"), (NAME, "gw")]));
    assert_finding(
        &d,
        RuleId::EW005,
        Level::Deny,
        &[&format!(
            "under metadata.annotations, write {SELECTOR}: \"app=gw\""
        )],
    );
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
    assert_finding(&d, RuleId::EW006, Level::Deny, &["app="]);
    // The example uses the configured default name.
    let config = Config {
        default_gateway_name: "corp-gw".into(),
        ..Config::default()
    };
    let d = check_ns_with(&ew_ns(&[(SELECTOR, "tier=edge")]), &config);
    assert_finding(
        &d,
        RuleId::EW006,
        Level::Deny,
        &["\"app=corp-gw,tier=edge\""],
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

/// EW006: naming the gateway keeps the selector; adding `app=` narrows it to pods that carry
/// both labels, so that fix comes second, with its condition.
#[test]
fn ew006_offers_the_name_first() {
    let d = check_ns(&ew_ns(&[(SELECTOR, "istio=eastwestgateway")]));
    let v = assert_finding(&d, RuleId::EW006, Level::Deny, &[]);
    let fix = v
        .message
        .split_once("Fix: ")
        .map(|(_, f)| f)
        .unwrap_or_default();
    // A name of this Namespace's own: the default is shared by every Namespace that uses it.
    assert!(
        fix.starts_with(&format!(
            "under metadata.annotations, write {NAME}: \"payments-east-west\""
        )),
        "{}",
        v.message
    );
    assert_says(&d, fix, &["if the gateway's pods carry that label"]);
    assert!(
        v.summary
            .contains("set the name; fix: under metadata.annotations"),
        "{}",
        v.summary
    );
}
