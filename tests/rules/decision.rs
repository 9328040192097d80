//! What holds whatever the rule: the common case is never touched, the operations and kinds
//! that are never judged, the configuration's downgrades, one pass that collects every
//! problem in rule order, bounded answers to huge input, and writes to objects being deleted.

use eastwest_guard::rules::{
    self, Config, Level, NoCluster, ObjectView, ResourceKind, Review, RuleId,
};
use serde_json::{Value, json};

use crate::support::assert::assert_finding;
use crate::support::cases;
use crate::support::objects::{
    CLOUD, DEPLOY, GLOBAL, GW_NS, NAME, P, SELECTOR, ew_ns, fixture, map, ns, ns_json, svc,
};
use crate::support::review::{check_ns, check_ns_with, check_svc, ids, only, update_ns};

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
            cases::validate(&review, &Config::default(), &NoCluster)
                .violations
                .is_empty()
        );
        assert!(rules::mutate(&review, &Config::default()).is_none());
    }
    let other = Review::create(ResourceKind::Other, &bad);
    assert!(
        cases::validate(&other, &Config::default(), &NoCluster)
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
    let d = cases::validate(
        &Review::update(ResourceKind::Service, &old_svc, &new_svc),
        &Config::default(),
        &NoCluster,
    );
    assert!(d.allowed(), "{:#?}", d.violations);
    let v = assert_finding(&d, RuleId::EW013, Level::Warn, &[]);
    assert!(
        v.message
            .ends_with("(Not denied: the object is being deleted.)"),
        "{}",
        v.message
    );
    // At the front of the warning, where no truncation reaches.
    assert!(
        v.summary.starts_with("EW013: not denied, being deleted: "),
        "{}",
        v.summary
    );

    let old_ns = ew_ns(&[(GLOBAL, "yes")]);
    let new_ns = terminating(ns_json(
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "yes")],
    ));
    let d = update_ns(&old_ns, &new_ns, &NoCluster);
    assert!(d.allowed(), "{:#?}", d.violations);
    assert_eq!(only(&d, RuleId::EW001)[0].level, Level::Warn);

    // Not being deleted: a problem the write did not make is a warning, and with
    // --deny-existing a denial; being deleted, it goes through even then.
    assert!(update_ns(&old_ns, &old_ns, &NoCluster).allowed());
    let strict = Config {
        deny_existing: true,
        ..Config::default()
    };
    let review = |old, new| Review::update(ResourceKind::Namespace, old, new);
    assert!(!cases::validate(&review(&old_ns, &old_ns), &strict, &NoCluster).allowed());
    let d = cases::validate(&review(&old_ns, &new_ns), &strict, &NoCluster);
    assert!(d.allowed(), "{:#?}", d.violations);
    assert!(only(&d, RuleId::EW001)[0].pre_existing);
    // Being deleted, but the write changes the traffic.tetrate.io/ keys (not a finalizer
    // removal): judged as any other write.
    let changed = terminating(ns_json(
        &[("tetrate.io/rev", "default")],
        &[(GLOBAL, "yes"), (DEPLOY, "maybe")],
    ));
    assert!(!update_ns(&old_ns, &changed, &NoCluster).allowed());
}

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
fn huge_annotations_give_bounded_answers() {
    // Each problem is found, but an object reports at most ten of one rule, the last saying
    // how many more, and values are clipped: unbounded, an 8 KiB selector of commas answers
    // with megabytes and 30,000 repeated cloud keys take gigabytes of memory, from anyone who
    // may write a Namespace.
    let commas = ",".repeat(8 * 1024);
    let repeated: String = (0..30_000)
        .map(|i| format!("service.beta.kubernetes.io/k: \"v{i}\"\n"))
        .collect();
    // 10,000 keys, each a near miss of a documented one (its last two letters replaced).
    let digit = |i: usize| char::from_digit((i % 36) as u32, 36).unwrap_or('0');
    let misspelt: String = [
        "ssl-cert",
        "subnets",
        "healthcheck-path",
        "healthcheck-port",
        "attributes",
        "eip-allocations",
        "security-groups",
        "target-node-labels",
    ]
    .iter()
    .flat_map(|name| {
        let stem = &name[..name.len() - 2];
        (0..36 * 36).map(move |i| {
            format!(
                "service.beta.kubernetes.io/aws-load-balancer-{stem}{}{}: v\n",
                digit(i / 36),
                digit(i)
            )
        })
    })
    .take(10_000)
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
            "misspelt cloud keys",
            ew_ns(&[(GLOBAL, "true"), (CLOUD, &misspelt)]),
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
