//! EW020..EW022: what an UPDATE changes. EW020 the mode changes the agent refuses (leaving
//! namespace-level), EW021 the gateway moving while east-west is on, EW022 a Service becoming
//! or ceasing to be exposed (or a label that changes nothing).

use eastwest_guard::rules::{
    Config, Decision, Field, Level, NoCluster, ObjectView, Origin, ResourceKind, Review, RuleId,
};
use serde_json::json;

use crate::support::assert::{assert_finding, assert_never_says, assert_says};
use crate::support::cases::{self, FakeCluster};
use crate::support::objects::{
    GLOBAL, GW_NS, NAME, SELECTOR, ew_ns, namespace_level, ns, ns_json, svc,
};
use crate::support::review::{check_ns, check_svc, ids, only, svc_update, update_ns};

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
        let v = assert_finding(
            &d,
            RuleId::EW020,
            Level::Deny,
            &[
                what,
                "stop",
                "in the manifests the Namespace will be recreated from",
                "delete the Namespace, which deletes everything in it (workloads, Secrets, \
                 volume claims), and recreate it without the annotation",
            ],
        );
        assert!(!d.allowed());
        // The summary (the warning when EW020 is downgraded for a rollout) names the key and
        // both values and the way out, and never says the write was blocked.
        let summary = &v.summary;
        assert!(
            summary.starts_with("EW020: traffic.tetrate.io/global \"true\" -> "),
            "{summary}"
        );
        assert_says(
            &d,
            summary,
            &["label them in the manifests, then delete and recreate"],
        );
        assert_never_says(&d, summary, &["blocked"]);
    }
    let d = update_ns(&namespace_level(), &to_false, &NoCluster);
    let v = assert_finding(&d, RuleId::EW020, Level::Deny, &[]);
    assert_says(&d, &v.summary, &["-> \"false\": leaving namespace-level"]);
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
    let v = assert_finding(
        &d,
        RuleId::EW020,
        Level::Deny,
        &["12 Services: svc-01, svc-02", "svc-10 and 2 more"],
    );
    assert_never_says(&d, &v.message, &["svc-11"]);
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
        let d = cases::validate(&review, &Config::default(), &cluster);
        let v = assert_finding(&d, RuleId::EW020, Level::Deny, &[says]);
        assert_never_says(
            &d,
            &v.message,
            &[
                "no Service in it is labelled",
                "Every Service in it is labelled",
            ],
        );
    }
    // Services, none labelled: "which is off", with their names.
    let cluster = FakeCluster::default().with_services("payments", 0, &["api"]);
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "false")]), &cluster);
    assert_finding(
        &d,
        RuleId::EW020,
        Level::Deny,
        &[
            "(annotation set to \"false\"), which is off as no Service in it is labelled, is blocked",
            "1 Service: api",
        ],
    );
    // An invalid value reads as off already: no second clause.
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "yes")]), &cluster);
    assert_finding(
        &d,
        RuleId::EW020,
        Level::Deny,
        &["to an invalid value \"yes\" (which the agent reads as off) is blocked"],
    );
    // Services, all labelled.
    let cluster = FakeCluster::default().with_services("payments", 2, &[]);
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "false")]), &cluster);
    assert_finding(
        &d,
        RuleId::EW020,
        Level::Deny,
        &["Every Service in it is labelled today"],
    );
}

#[test]
fn ew020_in_gitops_says_to_delete_in_a_separate_change() {
    let old = namespace_level();
    let new = ew_ns(&[]);
    let review = Review::update(ResourceKind::Namespace, &old, &new).with_origin(Origin::Manifests);
    let d = cases::validate(&review, &Config::default(), &NoCluster);
    assert_finding(
        &d,
        RuleId::EW020,
        Level::Deny,
        &["GitOps", "change of its own"],
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
    assert_says(&d, &d.violations[0].message, &["\"gw-a\" to \"gw-b\""]);

    let moved = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-a"), (GW_NS, "gateways")]);
    let d = update_ns(&old, &moved, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW021]);
    assert_finding(&d, RuleId::EW021, Level::Warn, &["namespace"]);

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
    let v = assert_finding(
        &d,
        RuleId::EW021,
        Level::Warn,
        &[
            "selects the old gateway's pods",
            "`kubectl annotate namespace payments \
             traffic.tetrate.io/eastwest-gateway-workload-selector=app=my-gw --overwrite`",
        ],
    );
    // The warning itself (the summary) says so too: kubectl shows only that.
    assert_says(
        &d,
        &v.summary,
        &["selector still \"app=east-west-gateway\""],
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
    // The fix keeps the other pairs: only the app value follows the name.
    assert_finding(
        &d,
        RuleId::EW021,
        Level::Warn,
        &[
            "selects the old gateway's pods",
            "-selector=tier=edge,app=gw-b --overwrite`",
        ],
    );
    // A selector of its own (not app=<old name>) is left alone.
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-a"), (SELECTOR, "app=edge")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-b"), (SELECTOR, "app=edge")]);
    let d = update_ns(&old, &new, &NoCluster);
    let v = assert_finding(&d, RuleId::EW021, Level::Warn, &[]);
    assert_never_says(&d, &v.message, &["old gateway's pods"]);
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
    let v = assert_finding(
        &d,
        RuleId::EW021,
        Level::Warn,
        &[
            "the old selector's app (what the name is",
            "`kubectl annotate namespace payments traffic.tetrate.io/eastwest-gateway-name=gw2 \
             --overwrite`",
        ],
    );
    assert_says(&d, &v.summary, &["name still \"east-west-gateway\""]);
    // A name of its own is left alone.
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "edge"), (SELECTOR, "app=gw-a")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "edge"), (SELECTOR, "app=gw-b")]);
    let d = update_ns(&old, &new, &NoCluster);
    let v = assert_finding(&d, RuleId::EW021, Level::Warn, &[]);
    assert_never_says(&d, &v.message, &["the old selector's app"]);
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

/// EW021 in manifests: where the mutating webhook wrote the derived selector into the
/// Namespace, renaming the gateway in git leaves the selector behind; the warning says so and
/// how to move it. In a review, the old object is the cluster's and already shows it.
#[test]
fn ew021_in_manifests_warns_of_the_selector_the_webhook_wrote() {
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "gw1")]);
    let new = ew_ns(&[(GLOBAL, "true"), (NAME, "gw2")]);
    let review = Review::update(ResourceKind::Namespace, &old, &new).with_origin(Origin::Manifests);
    let d = cases::validate(&review, &Config::default(), &NoCluster);
    let v = only(&d, RuleId::EW021);
    let name = v
        .iter()
        .find(|v| v.field == Field::Annotation(NAME.into()))
        .expect("the name change");
    assert_says(
        &d,
        &name.message,
        &[
            "mutating webhook wrote the selector derived from the old name",
            "and recorded it, it derives it again from the new value",
            &format!("then set {SELECTOR} to \"app=gw2\" in this manifest too"),
        ],
    );
    // Advice, not an edit: writing the selector down would pin a derived value.
    assert!(name.fix.is_none(), "{name:#?}");
    // Said once, on the name: the derived selector's own change would say the opposite.
    assert_eq!(v.len(), 1, "{v:#?}");
    let d = update_ns(&old, &new, &NoCluster);
    for v in only(&d, RuleId::EW021) {
        assert_never_says(&d, &v.message, &["in this manifest"]);
    }
    // The mirror: the selector's app renamed, the name derived from it.
    let old_sel = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "app=a")]);
    let new_sel = ew_ns(&[(GLOBAL, "true"), (SELECTOR, "app=b")]);
    let review =
        Review::update(ResourceKind::Namespace, &old_sel, &new_sel).with_origin(Origin::Manifests);
    let d = cases::validate(&review, &Config::default(), &NoCluster);
    assert_finding(
        &d,
        RuleId::EW021,
        Level::Warn,
        &[&format!("set {NAME} to \"b\" in this manifest")],
    );
    // The stale selector the webhook sees says how to fix it in the warning itself.
    let pinned = ew_ns(&[(GLOBAL, "true"), (NAME, "gw2"), (SELECTOR, "app=gw1")]);
    let old_pinned = ew_ns(&[(GLOBAL, "true"), (NAME, "gw1"), (SELECTOR, "app=gw1")]);
    let d = update_ns(&old_pinned, &pinned, &NoCluster);
    let v = only(&d, RuleId::EW021);
    assert!(
        v.iter().any(|v| v.summary.contains(
            "selector still \"app=gw1\"; fix: `kubectl annotate namespace payments \
                       traffic.tetrate.io/eastwest-gateway-workload-selector=app=gw2 \
                       --overwrite`"
        )),
        "{v:#?}"
    );
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
    assert_finding(
        &d,
        RuleId::EW022,
        Level::Warn,
        &["Service payments/payment-api becomes exposed cross-cluster"],
    );

    let d = svc_update(&labelled, &unlabelled, &cluster);
    assert_eq!(ids(&d), vec![RuleId::EW022]);
    assert_finding(&d, RuleId::EW022, Level::Warn, &["stops being exposed"]);
    let d = svc_update(&labelled, &falsed, &cluster);
    assert_says(&d, &d.violations[0].message, &["stops being exposed"]);

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
    assert_finding(
        &d,
        RuleId::EW022,
        Level::Warn,
        &["becomes exposed cross-cluster: it is no longer type ExternalName"],
    );
    let d = svc_update(&labelled, &external, &cluster);
    assert_finding(
        &d,
        RuleId::EW022,
        Level::Warn,
        &["stops being exposed cross-cluster: it is now type ExternalName"],
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
        assert_finding(
            &d,
            RuleId::EW022,
            Level::Warn,
            &["stays exposed", "no effect", "namespace-level"],
        );
    }
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
    assert_finding(&d, RuleId::EW022, Level::Warn, &["has no effect here"]);
    // Unchanged "false" on an UPDATE: nothing new to say.
    let d = cases::validate(
        &Review::update(ResourceKind::Service, &private, &private),
        &Config::default(),
        &cluster,
    );
    assert!(only(&d, RuleId::EW022).is_empty(), "{:#?}", d.violations);
    // A plain Service there: exposed like every other, as namespace-level means, no warning.
    let d = check_svc(&svc(&[], &[], "ClusterIP"), &cluster);
    assert!(only(&d, RuleId::EW022).is_empty(), "{:#?}", d.violations);
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

/// EW020: an old value that Go's strconv.ParseBool reads as true may have made the Namespace
/// namespace-level: the same switch is a warning that says so. Exactly "true": a denial; a
/// new value the lenient parser reads as true too: no switch at all.
#[test]
fn ew020_a_lenient_old_value_makes_the_switch_a_warning() {
    for old in ["True", "TRUE", "1", "t", "T"] {
        for new in [None, Some("false"), Some("no")] {
            let mut ann = vec![];
            if let Some(n) = new {
                ann.push((GLOBAL, n));
            }
            let d = update_ns(&ew_ns(&[(GLOBAL, old)]), &ew_ns(&ann), &NoCluster);
            let v = assert_finding(
                &d,
                RuleId::EW020,
                Level::Warn,
                &[
                    "lenient boolean parser",
                    "strconv.ParseBool",
                    "may be namespace-level",
                    "in the manifests the Namespace will be recreated from",
                    "delete the Namespace, which deletes everything in it",
                ],
            );
            assert!(!v.pre_existing);
            assert_says(&d, &v.summary, &["if the agent read the old value as true"]);
        }
    }
    // The new value read as true by the same parser: nothing changes.
    for (old, new) in [
        ("True", "1"),
        ("1", "TRUE"),
        ("True", "true"),
        ("t", "true"),
    ] {
        let d = update_ns(
            &ew_ns(&[(GLOBAL, old)]),
            &ew_ns(&[(GLOBAL, new)]),
            &NoCluster,
        );
        assert!(only(&d, RuleId::EW020).is_empty(), "{old} -> {new}: {d:#?}");
    }
    // Values no parser reads as true: no switch.
    for old in ["yes", "on", "ture", "y"] {
        let d = update_ns(&ew_ns(&[(GLOBAL, old)]), &ew_ns(&[]), &NoCluster);
        assert!(only(&d, RuleId::EW020).is_empty(), "{old}: {d:#?}");
    }
    // Exactly "true": denied.
    let d = update_ns(&namespace_level(), &ew_ns(&[(GLOBAL, "True")]), &NoCluster);
    assert_finding(&d, RuleId::EW020, Level::Deny, &[]);
}

/// EW021 needs the agent's workspace on both sides: a namespace-level Namespace without a
/// trigger label that renames its gateway has no gateway to move.
#[test]
fn ew021_without_a_trigger_label_nothing_moves() {
    let old = ns(&[("team", "a")], &[(GLOBAL, "true"), (NAME, "gw-a")]);
    let new = ns(&[("team", "a")], &[(GLOBAL, "true"), (NAME, "gw-b")]);
    let d = update_ns(&old, &new, &NoCluster);
    assert!(only(&d, RuleId::EW021).is_empty(), "{d:#?}");
    // Gaining the trigger label in the same write: the gateway is created, not moved.
    let gains = ns(
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "true"), (NAME, "gw-b")],
    );
    let d = update_ns(&old, &gains, &NoCluster);
    assert!(only(&d, RuleId::EW021).is_empty(), "{d:#?}");
    // Losing it: removed, not moved.
    let with = ns(
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "true"), (NAME, "gw-a")],
    );
    let d = update_ns(&with, &new, &NoCluster);
    assert!(only(&d, RuleId::EW021).is_empty(), "{d:#?}");
}

/// EW021 is silent while EW020 refuses the write's switch: the agent keeps the old
/// configuration, gateway included, so the gateway does not move.
#[test]
fn ew021_is_silent_while_the_switch_is_refused() {
    let cluster = FakeCluster::default().with_services("payments", 1, &["cache"]);
    let old = ew_ns(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    let new = ew_ns(&[(NAME, "gw-b")]);
    let d = update_ns(&old, &new, &cluster);
    assert_finding(&d, RuleId::EW020, Level::Deny, &[]);
    assert!(only(&d, RuleId::EW021).is_empty(), "{d:#?}");
    // In manifests too.
    let review = Review::update(ResourceKind::Namespace, &old, &new).with_origin(Origin::Manifests);
    let d = cases::validate(&review, &Config::default(), &cluster);
    assert!(only(&d, RuleId::EW021).is_empty(), "{d:#?}");
    // A switch that is only a warning (a lenient old value): the agent may keep it or not;
    // the strict reading is service-level on both sides, so the gateway moves.
    let lenient = ew_ns(&[(GLOBAL, "True"), (NAME, "gw-a")]);
    let d = update_ns(&lenient, &new, &cluster);
    assert_finding(&d, RuleId::EW020, Level::Warn, &[]);
    assert_eq!(only(&d, RuleId::EW021).len(), 2, "{d:#?}");
}
