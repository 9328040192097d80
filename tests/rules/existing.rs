//! Problems a write did not make (SPEC "Pre-existing problems"): on an UPDATE, a denial whose
//! keys all hold the same value, in the same place, before and after is a warning that says it
//! was already there, with its fix; `deny_existing` restores the denial; EW020 is never
//! pre-existing.

use eastwest_guard::rules::{
    Config, Decision, Level, NoCluster, ObjectView, Origin, ResourceKind, Review, RuleId,
};

use crate::support::assert::{assert_finding, assert_never_says, assert_says};
use crate::support::cases::{self, FakeCluster};
use crate::support::objects::{GLOBAL, NAME, SELECTOR, ew_ns, namespace_level, ns, svc};
use crate::support::review::{only, svc_update, update_ns};

fn strict() -> Config {
    Config {
        deny_existing: true,
        ..Config::default()
    }
}

fn update_with(kind: ResourceKind, old: &ObjectView, new: &ObjectView, c: &Config) -> Decision {
    cases::validate(&Review::update(kind, old, new), c, &NoCluster)
}

/// The first example: a Service admitted with `global: "True"` (before the guard, or
/// during a warn-only rollout) takes a new `version` label: the write does not touch the key,
/// so it goes through, with a warning that says the problem was there and how to fix it.
#[test]
fn a_tracking_label_on_an_object_with_a_problem_goes_through() {
    let before = svc(&[(GLOBAL, "True")], &[], "ClusterIP");
    let after = svc(&[(GLOBAL, "True"), ("version", "v2")], &[], "ClusterIP");
    let d = svc_update(&before, &after, &NoCluster);
    assert!(d.allowed(), "{:#?}", d.violations);
    let v = assert_finding(
        &d,
        RuleId::EW013,
        Level::Warn,
        &[
            "Not denied: the problem was already there before this write",
            "`kubectl label service payment-api -n payments traffic.tetrate.io/global=true \
             --overwrite`",
        ],
    );
    assert!(v.pre_existing);
    assert!(
        v.summary.starts_with("EW013: already there, not denied: "),
        "{}",
        v.summary
    );
    assert_says(&d, &v.summary, &["fix: `kubectl label service payment-api"]);
    // --deny-existing: denied, and the message still says it was there before.
    let d = update_with(ResourceKind::Service, &before, &after, &strict());
    let v = assert_finding(&d, RuleId::EW013, Level::Deny, &["--deny-existing"]);
    assert!(v.pre_existing);
    assert_never_says(&d, &v.summary, &["not denied"]);
}

/// Both sides of the boundary: the same value in the same place is pre-existing; another
/// value, or the same value moved between labels and annotations, is a change.
#[test]
fn same_value_same_place_only() {
    let old = ew_ns(&[(GLOBAL, "True")]);
    // The same: a warning.
    let same = ew_ns(&[(GLOBAL, "True"), ("owner", "team-a")]);
    assert_finding(
        &update_ns(&old, &same, &NoCluster),
        RuleId::EW001,
        Level::Warn,
        &[],
    );
    // Another invalid value: a denial.
    let other = ew_ns(&[(GLOBAL, "TRUE")]);
    let d = update_ns(&old, &other, &NoCluster);
    let v = assert_finding(&d, RuleId::EW001, Level::Deny, &[]);
    assert!(!v.pre_existing);
    // Added by the write: a denial.
    let d = update_ns(&ew_ns(&[]), &old, &NoCluster);
    assert_finding(&d, RuleId::EW001, Level::Deny, &[]);
    // Moved from an annotation to a label, same value: a change (EW012 on the label), denied.
    let as_label = ns(&[("tetrate.io/rev", "default"), (GLOBAL, "True")], &[]);
    let d = update_ns(&old, &as_label, &NoCluster);
    let v = assert_finding(&d, RuleId::EW012, Level::Deny, &[]);
    assert!(!v.pre_existing);
    // The label kept as it was: pre-existing.
    let d = update_ns(&as_label, &as_label, &NoCluster);
    assert_finding(&d, RuleId::EW012, Level::Warn, &["already"]);
    // A Service's label moved to an annotation: a change.
    let label = svc(&[(GLOBAL, "yes")], &[], "ClusterIP");
    let annotation = svc(&[], &[(GLOBAL, "yes")], "ClusterIP");
    let d = svc_update(&label, &annotation, &NoCluster);
    assert_finding(&d, RuleId::EW012, Level::Deny, &[]);
}

/// A finding about a derived value depends on every key it derives from: EW004 on a name
/// derived from the selector, and EW006, are pre-existing when the selector and the name
/// annotation are both unchanged (absent in both counts as unchanged).
#[test]
fn derived_findings_depend_on_every_key_they_derive_from() {
    let derived = ew_ns(&[(SELECTOR, "app=9gw")]);
    let d = update_ns(&derived, &derived, &NoCluster);
    assert_finding(&d, RuleId::EW004, Level::Warn, &["already there"]);
    // A new selector with the same problem: a change.
    let d = update_ns(&ew_ns(&[(SELECTOR, "app=8gw")]), &derived, &NoCluster);
    assert_finding(&d, RuleId::EW004, Level::Deny, &[]);
    // The selector as it was, a name removed: the name is derived now, a change.
    let named = ew_ns(&[(SELECTOR, "app=9gw"), (NAME, "gw")]);
    let d = update_ns(&named, &derived, &NoCluster);
    assert_finding(&d, RuleId::EW004, Level::Deny, &[]);

    let no_app = ew_ns(&[(SELECTOR, "tier=edge")]);
    let d = update_ns(&no_app, &no_app, &NoCluster);
    assert_finding(&d, RuleId::EW006, Level::Warn, &["already there"]);
    let d = update_ns(
        &ew_ns(&[(SELECTOR, "tier=edge"), (NAME, "gw")]),
        &no_app,
        &NoCluster,
    );
    assert_finding(&d, RuleId::EW006, Level::Deny, &[]);
}

/// EW020 is about the change itself: never pre-existing, whatever else is unchanged.
#[test]
fn ew020_is_never_pre_existing() {
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "false")]), &NoCluster);
    let v = assert_finding(&d, RuleId::EW020, Level::Deny, &[]);
    assert!(!v.pre_existing);
}

/// A write that fixes one problem and leaves another: the one left is a warning, the write
/// goes through. A write that adds a problem next to one already there: only the new one is
/// denied.
#[test]
fn only_the_problems_a_write_makes_are_denied() {
    let old = ew_ns(&[(GLOBAL, "True"), (SELECTOR, "app=9gw")]);
    let fixed_one = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "app=9gw")]);
    let d = update_ns(&old, &fixed_one, &NoCluster);
    assert!(d.allowed(), "{:#?}", d.violations);
    let new_problem = ew_ns(&[
        (GLOBAL, "True"),
        (SELECTOR, "app=9gw"),
        ("traffic.tetrate.io/eastwest-gateway-deploy", "yes"),
    ]);
    let d = update_ns(&old, &new_problem, &NoCluster);
    assert_eq!(
        d.denials().map(|v| v.rule).collect::<Vec<_>>(),
        [RuleId::EW002]
    );
    assert!(only(&d, RuleId::EW001)[0].pre_existing);
    assert!(only(&d, RuleId::EW004)[0].pre_existing);
}

/// The same on the CLI's side (an UPDATE of manifests, `check --old`), with the manifest's
/// fix; a Service's finding on its Namespace too.
#[test]
fn manifests_and_cluster_facts() {
    let old = ew_ns(&[(GLOBAL, "yes")]);
    let review = Review::update(ResourceKind::Namespace, &old, &old).with_origin(Origin::Manifests);
    let d = cases::validate(&review, &Config::default(), &NoCluster);
    let v = assert_finding(
        &d,
        RuleId::EW001,
        Level::Warn,
        &["under metadata.annotations, write traffic.tetrate.io/global: \"true\""],
    );
    assert_never_says(&d, &v.message, &["kubectl"]);
    // A Service with an unknown eastwest-* key, kept as it was, in a cluster whose Namespace
    // is known.
    let cluster =
        FakeCluster::default().with_namespace("payments", &[("tetrate.io/rev", "default")], &[]);
    let s = svc(&[], &[("traffic.tetrate.io/eastwest-gw", "x")], "ClusterIP");
    let d = svc_update(&s, &s, &cluster);
    assert_finding(&d, RuleId::EW011, Level::Warn, &["already there"]);
}
