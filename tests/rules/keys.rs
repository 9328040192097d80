//! EW011..EW013: keys the agent does not read as written. EW011 an unknown key under
//! traffic.tetrate.io/ (a typo of a gateway key denies); EW012 a key in the wrong place (a
//! label for an annotation, a gateway key on a Service), with a fix that keeps what the agent
//! reads; EW013 a Service label that is not exactly "true" or "false".

use eastwest_guard::rules::{
    Config, Decision, Field, Level, NoCluster, ObjectView, Origin, ResourceKind, Review, RuleId,
};
use serde_json::json;

use crate::support::assert::{assert_finding, assert_never_says, assert_some_finding};
use crate::support::cases;
use crate::support::objects::{DEPLOY, GLOBAL, NAME, P, SELECTOR, ew_ns, fixture, map, ns, svc};
use crate::support::review::{check_ns, check_svc, ids, only, svc_update, update_ns};

#[test]
fn ew011_unknown_keys() {
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("traffic.tetrate.io/eastwest-gateway-nmae", "gw"),
    ]));
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &["did you mean \"traffic.tetrate.io/eastwest-gateway-name\""],
    );

    // Another case is another key to the agent: denied like any typo of a gateway key.
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("traffic.tetrate.io/Eastwest-Gateway-Name", "gw"),
    ]));
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &["did you mean \"traffic.tetrate.io/eastwest-gateway-name\""],
    );

    // A typo of `global` is denied too: east-west would silently stay off.
    let d = check_ns(&ew_ns(&[("traffic.tetrate.io/globl", "true")]));
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &[
            "did you mean \"traffic.tetrate.io/global\"",
            "east-west stays off",
        ],
    );
    // An unknown key near no known one: a warning (it may be another tool's).
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("traffic.tetrate.io/owner", "x"),
    ]));
    assert_finding(&d, RuleId::EW011, Level::Warn, &["known keys are"]);
    assert!(d.allowed());

    // On a Service too.
    let s = svc(&[("traffic.tetrate.io/eastwest-gw", "x")], &[], "ClusterIP");
    let d = check_svc(&s, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW011]);
    let v = assert_finding(&d, RuleId::EW011, Level::Deny, &[]);
    assert!(
        v.message.starts_with("Service \"payments/payment-api\""),
        "{}",
        v.message
    );
}

#[test]
fn ew011_a_key_longer_than_kubernetes_allows_is_not_echoed_whole() {
    let long = format!("traffic.tetrate.io/eastwest-{}", "x".repeat(1 << 20));
    let d = check_ns(&ew_ns(&[(GLOBAL, "true"), (long.as_str(), "v")]));
    let v = assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &[&format!("({} bytes)", long.len())],
    );
    assert!(v.message.len() < 1_000, "{} bytes", v.message.len());
}

/// EW011 on a Service: a gateway key it is near belongs on the Namespace (EW012 would refuse
/// it on the Service), and the summary is short whatever the key.
#[test]
fn ew011_on_a_service_points_gateway_keys_to_the_namespace() {
    let typo = format!("{P}eastwest-gateway-nmae");
    let d = check_svc(&svc(&[], &[(&typo, "gw")], "ClusterIP"), &NoCluster);
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &[
            &format!("did you mean \"{NAME}\""),
            "set it on the Service's Namespace",
        ],
    );
    let other = format!("{P}somethingelse");
    let d = check_svc(&svc(&[], &[(&other, "x")], "ClusterIP"), &NoCluster);
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Warn,
        &[&format!("the label {GLOBAL}")],
    );
    let d = check_ns(&ew_ns(&[(&other, "x")]));
    let v = assert_finding(&d, RuleId::EW011, Level::Warn, &["known keys are"]);
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
    // Created: the edit of the manifest, the move in one edit.
    let d = check_svc(&s, &NoCluster);
    assert_eq!(ids(&d), vec![RuleId::EW012]);
    let v = assert_finding(
        &d,
        RuleId::EW012,
        Level::Deny,
        &[
            "Fix: move traffic.tetrate.io/global from metadata.annotations to metadata.labels: \
           traffic.tetrate.io/global: \"true\"",
        ],
    );
    assert_never_says(&d, &v.message, &["kubectl"]);
    assert_eq!(v.field, Field::Annotation(GLOBAL.into()));
    // Updated: one `kubectl patch --type=merge` that sets the label and nulls the annotation.
    let d = svc_update(
        &svc(&[("app", "payment")], &[], "ClusterIP"),
        &s,
        &NoCluster,
    );
    let v = assert_finding(
        &d,
        RuleId::EW012,
        Level::Deny,
        &[
            "`kubectl patch service payment-api -n payments --type=merge -p \
           '{\"metadata\":{\"labels\":{\"traffic.tetrate.io/global\":\"true\"},\
           \"annotations\":{\"traffic.tetrate.io/global\":null}}}'`",
        ],
    );
    assert_never_says(&d, &v.message, &["&&", "kubectl label", "kubectl annotate"]);
}

#[test]
fn ew012_annotation_written_as_label_on_a_namespace() {
    let d = check_ns(&ns(&[("tetrate.io/rev", "default"), (GLOBAL, "true")], &[]));
    assert_eq!(ids(&d), vec![RuleId::EW012]);
    let v = assert_finding(
        &d,
        RuleId::EW012,
        Level::Deny,
        &["move traffic.tetrate.io/global from metadata.labels to metadata.annotations"],
    );
    assert_eq!(v.field, Field::Label(GLOBAL.into()));
    // Gateway keys as Namespace labels too.
    let d = check_ns(&ns(&[(NAME, "gw")], &[]));
    assert_eq!(ids(&d), vec![RuleId::EW012]);
}

/// The fix never overwrites what the agent reads with the misplaced copy, and never offers a
/// value the guard itself refuses: a Namespace with annotation "true" and label "false" is
/// told to drop the label, not to annotate global=false, which would turn it off.
#[test]
fn ew012_fixes_keep_what_the_agent_reads() {
    // The only finding is EW012, at `level`, and its message says each of `says`.
    let ew012 = |d: &Decision, level: Level, says: &[&str]| -> String {
        assert_eq!(ids(d), vec![RuleId::EW012]);
        assert_finding(d, RuleId::EW012, level, says)
            .message
            .clone()
    };
    // Namespace: annotation "true" and label "false": only the label goes, and with the
    // annotation valid the agent reads it: the label is a stray copy, a warning.
    let both = ns(
        &[("tetrate.io/rev", "default"), (GLOBAL, "false")],
        &[(GLOBAL, "true")],
    );
    let d = update_ns(&both, &both, &NoCluster);
    let m = ew012(
        &d,
        Level::Warn,
        &[
            "`kubectl label namespace payments traffic.tetrate.io/global-`",
            "(\"true\")",
        ],
    );
    assert_never_says(&d, &m, &["kubectl annotate"]);
    // Namespace label "True" alone: moved as the boolean it means, which EW001 accepts.
    ew012(
        &check_ns(&ns(&[("tetrate.io/rev", "default"), (GLOBAL, "True")], &[])),
        Level::Deny,
        &["to metadata.annotations: traffic.tetrate.io/global: \"true\""],
    );
    ew012(
        &check_ns(&ns(&[(GLOBAL, "off")], &[])),
        Level::Deny,
        &["traffic.tetrate.io/global: \"false\""],
    );
    // A value that means neither: the fix keeps what the agent does today (off), and says
    // so; copied as written it never exposes a whole Namespace.
    ew012(
        &check_ns(&ns(&[(GLOBAL, "nope")], &[])),
        Level::Deny,
        &[
            "traffic.tetrate.io/global: \"false\"",
            "\"nope\" is neither true nor false",
        ],
    );
    ew012(
        &check_ns(&ns(&[(DEPLOY, "maybe")], &[(NAME, "gw")])),
        Level::Deny,
        &[&format!("{DEPLOY}: \"true\"")],
    );
    // A value that is not valid where it belongs: the label goes, and the note says so.
    ew012(
        &check_ns(&ns(&[(NAME, "GW_1")], &[])),
        Level::Deny,
        &[
            &format!("remove {NAME} from metadata.labels"),
            "not a valid value for the annotation",
        ],
    );
    // Live: the move is one merge patch; a value that needs quoting for the shell is quoted.
    let moved = ns(&[(SELECTOR, "app=gw")], &[(NAME, "gw")]);
    let d = update_ns(&ns(&[], &[(NAME, "gw")]), &moved, &NoCluster);
    ew012(
        &d,
        Level::Deny,
        &[&format!(
            "`kubectl patch namespace payments --type=merge -p \
             '{{\"metadata\":{{\"labels\":{{\"{SELECTOR}\":null}},\"annotations\":\
             {{\"{SELECTOR}\":\"app=gw\"}}}}}}'`"
        )],
    );
    // Service: label "false" and annotation "true": only the annotation goes, the Service
    // stays unexposed; the label is valid, so the annotation is a stray copy: a warning.
    let both = svc(&[(GLOBAL, "false")], &[(GLOBAL, "true")], "ClusterIP");
    let d = svc_update(&both, &both, &NoCluster);
    let m = ew012(
        &d,
        Level::Warn,
        &["`kubectl annotate service payment-api -n payments traffic.tetrate.io/global-`"],
    );
    assert_never_says(&d, &m, &["kubectl label"]);
    // The label invalid: still a denial (EW013 says what to do with the label).
    let d = check_svc(
        &svc(&[(GLOBAL, "True")], &[(GLOBAL, "true")], "ClusterIP"),
        &NoCluster,
    );
    assert_finding(
        &d,
        RuleId::EW012,
        Level::Deny,
        &["remove traffic.tetrate.io/global from metadata.annotations"],
    );
    // Service annotation "False" alone: moved as false, not as true.
    ew012(
        &check_svc(&svc(&[], &[(GLOBAL, "False")], "ClusterIP"), &NoCluster),
        Level::Deny,
        &["to metadata.labels: traffic.tetrate.io/global: \"false\""],
    );
}

/// EW012 with the key in the right place with a valid value and a stray copy in the wrong
/// one: the agent reads the right one, so a warning (remove the stray copy); with an invalid
/// value in the right place, a denial.
#[test]
fn ew012_both_places_is_a_warning_when_the_right_one_is_valid() {
    for (label, annotation, level) in [
        ("true", "true", Level::Warn),
        ("false", "true", Level::Warn),
        ("true", "false", Level::Warn),
        ("true", "True", Level::Deny),
    ] {
        let d = check_ns(&ns(
            &[("tetrate.io/rev", "default"), (GLOBAL, label)],
            &[(GLOBAL, annotation)],
        ));
        assert_finding(
            &d,
            RuleId::EW012,
            level,
            &["remove traffic.tetrate.io/global from metadata.labels"],
        );
    }
    // Gateway keys: valid in the annotation (a DNS-1035 name) or not.
    let d = check_ns(&ns(&[(NAME, "x")], &[(NAME, "gw")]));
    assert_finding(&d, RuleId::EW012, Level::Warn, &[]);
    let d = check_ns(&ns(&[(NAME, "gw")], &[(NAME, "1gw")]));
    assert_finding(&d, RuleId::EW012, Level::Deny, &[]);
    // A Service's gateway key has no right place on the Service: always a denial.
    let d = check_svc(
        &svc(&[(NAME, "gw")], &[(NAME, "gw")], "ClusterIP"),
        &NoCluster,
    );
    assert!(
        only(&d, RuleId::EW012)
            .iter()
            .all(|v| v.level == Level::Deny)
    );
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
        let v = assert_finding(
            &d,
            RuleId::EW012,
            Level::Deny,
            &[
                "no per-Service gateways",
                &format!("remove {NAME} from metadata.{place}s"),
                "set the annotation traffic.tetrate.io/eastwest-gateway-name on Namespace payments",
                "every exposed Service in it",
            ],
        );
        assert_never_says(&d, &v.message, &["kubectl"]);
    }
}

/// EW012 with the key both as a label and as an annotation: the annotation is what is read,
/// so the message does not say east-west stays off when the annotation turns it on.
#[test]
fn ew012_label_and_annotation_says_the_annotation_is_read() {
    let d = check_ns(&ns(
        &[("tetrate.io/rev", "default"), (GLOBAL, "true")],
        &[(GLOBAL, "true")],
    ));
    let v = assert_finding(
        &d,
        RuleId::EW012,
        Level::Warn,
        &["reads the annotation (\"true\")"],
    );
    assert_never_says(&d, &v.message, &["stays off"]);
    // Alone as a label, it still says so.
    let d = check_ns(&ns(&[("tetrate.io/rev", "default"), (GLOBAL, "true")], &[]));
    assert_finding(&d, RuleId::EW012, Level::Deny, &["stays off"]);
}

/// An object with only `generateName` has no name a command could use: it is being created,
/// so its fix is the edit of its manifest, never a command with an empty word that would make
/// kubectl act on something else.
#[test]
fn fix_commands_for_an_object_without_a_name() {
    let mut v = fixture("service-payment-api.json");
    v["metadata"].as_object_mut().unwrap().remove("name");
    v["metadata"]["generateName"] = json!("api-");
    v["metadata"]["labels"] = map(&[]);
    v["metadata"]["annotations"] = map(&[(GLOBAL, "true")]);
    let obj: ObjectView = serde_json::from_value(v).unwrap();
    let d = check_svc(&obj, &NoCluster);
    let v = assert_finding(&d, RuleId::EW012, Level::Deny, &["metadata.labels"]);
    assert_never_says(&d, &v.message, &["kubectl", "<name>"]);
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
    assert_finding(
        &d,
        RuleId::EW013,
        Level::Deny,
        &["under metadata.labels, write traffic.tetrate.io/global: \"false\""],
    );
    // Live: a kubectl command that overwrites that key only.
    let d = svc_update(
        &svc(&[(GLOBAL, "true")], &[], "ClusterIP"),
        &svc(&[(GLOBAL, "False")], &[], "ClusterIP"),
        &NoCluster,
    );
    assert_finding(
        &d,
        RuleId::EW013,
        Level::Deny,
        &[
            "`kubectl label service payment-api -n payments traffic.tetrate.io/global=false --overwrite`",
        ],
    );
    // Unclear: not exposed today, so the fix writes false.
    let d = check_svc(&svc(&[(GLOBAL, "nope")], &[], "ClusterIP"), &NoCluster);
    assert_finding(
        &d,
        RuleId::EW013,
        Level::Deny,
        &["traffic.tetrate.io/global: \"false\" (\"nope\" is neither true nor false"],
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
    let v = assert_finding(&d, RuleId::EW013, Level::Deny, &[]);
    assert!(
        v.message.starts_with("Service \"payments/payment-api\""),
        "{}",
        v.message
    );
}

/// EW011: a typo of a known key is denied, like an `eastwest-*` typo: the same but for case,
/// or within Damerau-Levenshtein distance 2 (both sides of the boundary). The fix renames it
/// to the known key, where the agent reads it, with a value the rules accept.
#[test]
fn ew011_typos_of_known_keys_are_denied() {
    for typo in [
        "Global", "GLOBAL", "gloabl", "globel", "glbal", "glbl", "lobal",
    ] {
        let key = format!("{P}{typo}");
        let d = check_ns(&ew_ns(&[(&key, "True")]));
        let v = assert_finding(
            &d,
            RuleId::EW011,
            Level::Deny,
            &[
                &format!("did you mean \"{GLOBAL}\""),
                "east-west stays off",
                // Renamed, as an annotation, with the boolean meant.
                &format!("replace {key} under metadata.annotations with {GLOBAL}: \"true\""),
            ],
        );
        assert_eq!(v.field, Field::Annotation(key.clone()));
    }
    // Distance 3 and beyond: another key, a warning.
    for other in ["glb", "gbl", "owner", "region"] {
        let key = format!("{P}{other}");
        let d = check_ns(&ew_ns(&[(&key, "x")]));
        assert_finding(&d, RuleId::EW011, Level::Warn, &[]);
        assert!(d.allowed(), "{other}");
    }
    // A typo as a Namespace label: renamed and moved to the annotations in one write.
    let key = format!("{P}Global");
    let d = update_ns(
        &ew_ns(&[]),
        &ns(&[("tetrate.io/rev", "default"), (&key, "yes")], &[]),
        &NoCluster,
    );
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &["`kubectl patch namespace payments --type=merge -p"],
    );
    // On a Service: the label it meant, with the boolean meant.
    let d = check_svc(
        &svc(&[(&format!("{P}gloabl"), "true")], &[], "ClusterIP"),
        &NoCluster,
    );
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &[
            "not selected for exposure",
            &format!(
                "replace {P}gloabl under metadata.labels with {GLOBAL}: \"true\" under metadata.labels"
            ),
        ],
    );
    // A gateway key's typo with a value the key would refuse: the typo goes, and the note says
    // what to set (renaming it would only move the denial).
    let d = check_ns(&ew_ns(&[(&format!("{P}eastwest-gateway-nmae"), "GW_1")]));
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &[
            &format!("remove {P}eastwest-gateway-nmae from metadata.annotations"),
            "not a valid value for traffic.tetrate.io/eastwest-gateway-name",
        ],
    );
    // The known key already set: the typo goes, the set value is kept.
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "false"),
        (&format!("{P}Global"), "true"),
    ]));
    let v = assert_finding(
        &d,
        RuleId::EW011,
        Level::Deny,
        &["is set already (\"false\"), and that is what the agent reads"],
    );
    assert_never_says(&d, &v.message, &[&format!("{GLOBAL}: \"true\"")]);
}

/// EW011: a known key's name under a near miss of the prefix is a warning naming the right
/// key, on Namespaces and Services, labels and annotations; through the webhook only on an
/// object that has a `traffic.tetrate.io/` key (no other reaches it), in the CLI on any.
#[test]
fn ew011_near_misses_of_the_prefix_warn() {
    for key in [
        "traffic.tetrat.io/global",
        "tetrate.io/global",
        "traffic.tetrate.io.global",
    ] {
        // A Namespace annotation, next to a key of ours.
        let d = check_ns(&ew_ns(&[(DEPLOY, "true"), (key, "true")]));
        assert_finding(
            &d,
            RuleId::EW011,
            Level::Warn,
            &[
                &format!("{key} is not read by the agent"),
                &format!("did you mean \"{GLOBAL}\""),
                &format!("under metadata.annotations with {GLOBAL}: \"true\""),
            ],
        );
        // A Service label.
        let d = check_svc(
            &svc(
                &[(key, "true")],
                &[(format!("{P}owner").as_str(), "x")],
                "ClusterIP",
            ),
            &NoCluster,
        );
        assert_some_finding(&d, RuleId::EW011, &[&format!("label {key} is not read")]);
        // Through the webhook, an object with no key of ours is never judged.
        assert!(check_ns(&ns(&[], &[(key, "true")])).violations.is_empty());
        // In manifests it is.
        let obj = ns(&[(key, "true")], &[]);
        let d = cases::validate(
            &Review::create(ResourceKind::Namespace, &obj).with_origin(Origin::Manifests),
            &Config::default(),
            &NoCluster,
        );
        assert_finding(
            &d,
            RuleId::EW011,
            Level::Warn,
            &[&format!(
                "replace {key} under metadata.labels with {GLOBAL}: \"true\" under metadata.annotations"
            )],
        );
        let s = svc(&[], &[(key, "yes")], "ClusterIP");
        let d = cases::validate(
            &Review::create(ResourceKind::Service, &s).with_origin(Origin::Manifests),
            &Config::default(),
            &NoCluster,
        );
        assert_finding(
            &d,
            RuleId::EW011,
            Level::Warn,
            &[&format!("with {GLOBAL}: \"true\" under metadata.labels")],
        );
    }
    // A gateway key too; an unrelated key ending in "global" is not a near miss.
    let d = check_ns(&ew_ns(&[
        (GLOBAL, "true"),
        ("tetrate.io/eastwest-gateway-name", "gw"),
    ]));
    assert_finding(
        &d,
        RuleId::EW011,
        Level::Warn,
        &[&format!("did you mean \"{NAME}\"")],
    );
    let obj = ns(&[("example.com/global", "true")], &[]);
    let d = cases::validate(
        &Review::create(ResourceKind::Namespace, &obj).with_origin(Origin::Manifests),
        &Config::default(),
        &NoCluster,
    );
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
}
