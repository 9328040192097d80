//! EW030..EW040: what the rest of the cluster decides. EW030 a Namespace on without a
//! trigger label (no workspace), EW031 a labelled Service in such a Namespace, EW032 a
//! gateway namespace that does not exist, EW040 an ExternalName Service labelled for
//! exposure.

use eastwest_guard::rules::{
    Config, Field, Level, NoCluster, Origin, ResourceKind, Review, RuleId,
};

use crate::support::assert::{assert_finding, assert_never_says, assert_says};
use crate::support::cases::{self, FakeCluster};
use crate::support::objects::{GLOBAL, GW_NS, ew_ns, namespace_level, ns, svc};
use crate::support::review::{check_ns, check_ns_with, check_svc, ids, update_ns};

#[test]
fn ew030_east_west_on_without_trigger_label() {
    // On a live Namespace (an UPDATE through the webhook), the fix is a kubectl command.
    let on = ns(&[("team", "a")], &[(GLOBAL, "true")]);
    let d = update_ns(&on, &on, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW030]);
    let v = assert_finding(&d, RuleId::EW030, Level::Warn, &[]);
    assert_says(
        &d,
        &v.summary,
        &["`kubectl label namespace payments tetrate.io/rev=default`"],
    );
    // On a CREATE, the Namespace does not exist yet: the edit of its manifest.
    let d = check_ns(&on);
    assert_finding(
        &d,
        RuleId::EW030,
        Level::Warn,
        &["Fix: under metadata.labels, write tetrate.io/rev: \"default\""],
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
    let d = check_ns_with(
        &ns(&[("tetrate.io/rev", "default")], &[(GLOBAL, "true")]),
        &config,
    );
    assert_finding(
        &d,
        RuleId::EW030,
        Level::Warn,
        &["under metadata.labels, write mesh: \"on\""],
    );
}

/// EW030's fix adds the first trigger label whose key the Namespace does not carry: a
/// revision label with another value picks its sidecars' revision, and `istio-injection:
/// disabled` is an opt-out, so neither is ever overwritten.
#[test]
fn ew030_fix_never_overwrites_a_trigger_key() {
    let canary = ns(&[("istio.io/rev", "canary")], &[(GLOBAL, "true")]);
    let d = update_ns(&canary, &canary, &NoCluster);
    let v = assert_finding(
        &d,
        RuleId::EW030,
        Level::Warn,
        &["`kubectl label namespace payments tetrate.io/rev=default`"],
    );
    assert_never_says(
        &d,
        &v.message,
        &["--overwrite", "label namespace payments istio.io/rev"],
    );
    // tetrate.io/rev taken: the next key, and what it also does.
    let taken = ns(&[("tetrate.io/rev", "canary")], &[(GLOBAL, "true")]);
    let d = update_ns(&taken, &taken, &NoCluster);
    let v = assert_finding(
        &d,
        RuleId::EW030,
        Level::Warn,
        &[
            "`kubectl label namespace payments istio-injection=enabled`",
            "turns sidecar injection on",
        ],
    );
    assert_never_says(&d, &v.message, &["--overwrite"]);
    // Every trigger key taken: no command, words.
    let all = ns(
        &[
            ("tetrate.io/rev", "canary"),
            ("istio-injection", "disabled"),
            ("istio.io/rev", "1-22"),
        ],
        &[(GLOBAL, "true")],
    );
    let d = update_ns(&all, &all, &NoCluster);
    let v = assert_finding(
        &d,
        RuleId::EW030,
        Level::Warn,
        &[
            "every trigger label key is set to another value",
            "istio-injection=disabled",
        ],
    );
    assert_never_says(&d, &v.message, &["kubectl"]);
    assert!(v.fix.as_ref().is_some_and(|f| f.edits.is_empty()));
}

#[test]
fn ew031_labelled_service_in_a_namespace_without_trigger_label() {
    let labelled = svc(&[(GLOBAL, "true")], &[], "ClusterIP");
    let no_trigger = FakeCluster::default().with_namespace("payments", &[("team", "a")], &[]);
    // The Namespace exists whether the Service is created or updated: a command on it.
    let d = check_svc(&labelled, &no_trigger);
    assert_finding(
        &d,
        RuleId::EW031,
        Level::Warn,
        &["`kubectl label namespace payments tetrate.io/rev=default`"],
    );
    // In manifests, the edit of the Namespace's manifest.
    let d = cases::validate(
        &Review::create(ResourceKind::Service, &labelled).with_origin(Origin::Manifests),
        &Config::default(),
        &no_trigger,
    );
    assert_finding(
        &d,
        RuleId::EW031,
        Level::Warn,
        &[
            "in the manifest of Namespace payments, under metadata.labels, write tetrate.io/rev: \"default\"",
        ],
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
fn ew032_gateway_namespace_missing_in_the_cluster() {
    let obj = ew_ns(&[(GLOBAL, "true"), (GW_NS, "gateways")]);
    let review = Review::create(ResourceKind::Namespace, &obj);
    let empty = FakeCluster::default();
    let d = cases::validate(&review, &Config::default(), &empty);
    assert_eq!(ids(&d), vec![RuleId::EW032]);
    let v = assert_finding(
        &d,
        RuleId::EW032,
        Level::Warn,
        &["create the namespace \"gateways\""],
    );
    assert_never_says(&d, &v.message, &["kubectl"]);
    let has = FakeCluster::default().with_namespace("gateways", &[], &[]);
    assert!(
        cases::validate(&review, &Config::default(), &has)
            .violations
            .is_empty()
    );
    assert!(
        cases::validate(&review, &Config::default(), &NoCluster)
            .violations
            .is_empty()
    );
    // The default gateway namespace is checked too.
    let d = cases::validate(
        &Review::create(ResourceKind::Namespace, &namespace_level()),
        &Config::default(),
        &empty,
    );
    assert_says(&d, &d.violations[0].message, &["tetrate-system"]);
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
