//! The defaults patch: it adds the gateway settings the agent would derive, never overwrites
//! what the user wrote, leaves alone whatever the validating side would deny, and is
//! idempotent. What it derived it records, and keeps in step with later writes, so that no
//! derived value is pinned (one write at a time here; over sequences of writes in
//! [`sequences`]).

mod sequences;

use std::collections::BTreeMap;

use eastwest_guard::rules::{
    self, Config, NoCluster, ObjectView, Origin, ResourceKind, Review, RuleId,
};
use serde_json::{Value, json};

use crate::support::cases;
use crate::support::namespace_writes::{RECORD, Store, Write};
use crate::support::objects::{
    CLOUD, DEPLOY, GLOBAL, GW_NS, NAME, P, SELECTOR, ew_ns, ns, ns_json, svc,
};
use crate::support::review::{check_ns, only};

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
        // The audit side knows what was defaulted; the last operation records it.
        assert_eq!(m.defaulted.len() + 1, m.patch.0.len());
        let record: BTreeMap<String, String> =
            serde_json::from_str(after.annotation(RECORD).unwrap()).unwrap();
        let derived: BTreeMap<String, String> = m
            .defaulted
            .iter()
            .map(|(k, v)| (k.strip_prefix(P).unwrap().to_owned(), v.clone()))
            .collect();
        assert_eq!(record, derived, "{annotations:?}");
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
        // (EW007, EW008): "the inputs are valid" is the whole Namespace's keys.
        vec![(GLOBAL, "true"), (CLOUD, "a: [")],
        vec![(GLOBAL, "true"), (CLOUD, "Bad Key!: x")],
    ] {
        assert!(mutate(&ew_ns(&bad)).is_none(), "{bad:?}");
    }
    // A gateway key or global written as a label (EW012): no defaults either.
    assert!(mutate(&ns(&[(GLOBAL, "true")], &[(NAME, "gw")])).is_none());
    assert!(mutate(&ns(&[(DEPLOY, "true")], &[(GLOBAL, "true")])).is_none());
    // Cloud annotations that only draw warnings (EW010, EW009, EW007 where the agent's line
    // fallback keeps every line) do not stop them.
    for text in [
        "service.beta.kubernetes.io/aws-load-balancer-tpye: nlb",
        "example.com/lb: x",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn: aws:acm:x",
        "",
        "# none yet",
    ] {
        assert!(
            mutate(&ew_ns(&[(GLOBAL, "true"), (CLOUD, text)])).is_some(),
            "{text:?}"
        );
    }
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

// --- what the patch derived, after later writes ------------------------------------------------

/// A Namespace stored through the webhook: each write's object goes through the engine's
/// patch as kube-apiserver applies it, and the webhook called again on the result (its
/// reinvocation, with the same old object) must have nothing to do.
struct Stored {
    store: Store,
}

impl Stored {
    /// Created from a manifest with these annotations; the patch of the CREATE.
    fn create(annotations: &[(&str, &str)]) -> (Stored, Option<rules::Mutation>) {
        let manifest: BTreeMap<String, String> = annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut stored = Stored {
            store: Store::created(&BTreeMap::new()),
        };
        let m = stored.admit(None, &Write::Replace(manifest));
        (stored, m)
    }

    /// A write to the stored object (an UPDATE); the patch it got.
    fn write(&mut self, write: Write) -> Option<rules::Mutation> {
        let old = self.store.object.clone();
        self.admit(Some(&old), &write)
    }

    fn admit(&mut self, old: Option<&Value>, write: &Write) -> Option<rules::Mutation> {
        let config = Config::default();
        let mut sent = self.store.request(write);
        let new: ObjectView = serde_json::from_value(sent.clone()).unwrap();
        let old_view: Option<ObjectView> = old.map(|o| serde_json::from_value(o.clone()).unwrap());
        let review = match &old_view {
            Some(o) => Review::update(ResourceKind::Namespace, o, &new),
            None => Review::create(ResourceKind::Namespace, &new),
        };
        let m = rules::mutate(&review, &config);
        if let Some(m) = &m {
            json_patch::patch(&mut sent, &m.patch).expect("the patch applies to the object sent");
        }
        let after: ObjectView = serde_json::from_value(sent.clone()).unwrap();
        let again = match &old_view {
            Some(o) => Review::update(ResourceKind::Namespace, o, &after),
            None => Review::create(ResourceKind::Namespace, &after),
        };
        assert_eq!(
            rules::mutate(&again, &config),
            None,
            "second pass after {write:?}"
        );
        self.store.commit(write, sent);
        m
    }

    fn get(&self, key: &str) -> Option<String> {
        self.store.annotations().get(key).cloned()
    }

    /// The record, short key to value.
    fn record(&self) -> BTreeMap<String, String> {
        self.get(RECORD)
            .map(|r| serde_json::from_str(&r).expect("the record reads"))
            .unwrap_or_default()
    }

    /// The short keys the record holds.
    fn recorded(&self) -> Vec<String> {
        self.record().into_keys().collect()
    }
}

fn annotate(pairs: &[(&str, Option<&str>)]) -> Write {
    Write::Annotate(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_owned)))
            .collect(),
    )
}

fn manifest(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The patch on the wire.
fn wire(m: &Option<rules::Mutation>) -> Value {
    serde_json::to_value(&m.as_ref().expect("a patch").patch).unwrap()
}

const SHORT_SELECTOR: &str = "eastwest-gateway-workload-selector";
const SHORT_NAME: &str = "eastwest-gateway-name";

#[test]
fn a_rename_re_derives_the_selector_it_derived() {
    let (mut ns, m) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    assert!(m.is_some());
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a"));
    // The record holds what the guard wrote, not the name the user gave.
    assert_eq!(
        ns.get(RECORD).as_deref(),
        Some(
            r#"{"eastwest-gateway-workload-selector":"app=gw-a","eastwest-gateway-namespace":"tetrate-system","eastwest-gateway-deploy":"true"}"#
        )
    );
    // kubectl annotate ns payments traffic.tetrate.io/eastwest-gateway-name=gw-b --overwrite
    let m = ns.write(annotate(&[(NAME, Some("gw-b"))]));
    assert_eq!(
        wire(&m),
        json!([
            {"op": "replace", "path": "/metadata/annotations/traffic.tetrate.io~1eastwest-gateway-workload-selector", "value": "app=gw-b"},
            {"op": "replace", "path": "/metadata/annotations/eastwest-guard.tetrate.io~1derived",
             "value": r#"{"eastwest-gateway-workload-selector":"app=gw-b","eastwest-gateway-namespace":"tetrate-system","eastwest-gateway-deploy":"true"}"#},
        ])
    );
    assert_eq!(
        m.unwrap().defaulted,
        [(SELECTOR.to_owned(), "app=gw-b".to_owned())]
    );
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
    // A write of anything else changes nothing.
    assert_eq!(ns.write(annotate(&[("example.com/team", Some("a"))])), None);
}

#[test]
fn a_new_selector_re_derives_the_name_it_derived() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (SELECTOR, "app=gw-a")]);
    assert_eq!(ns.get(NAME).as_deref(), Some("gw-a"));
    ns.write(annotate(&[(SELECTOR, Some("app=gw-b,tier=edge"))]));
    assert_eq!(ns.get(NAME).as_deref(), Some("gw-b"));
    assert_eq!(ns.record()[SHORT_NAME], "gw-b");
    // A selector the name cannot be derived from (EW006): the derived name is taken away, so
    // the agent sees what the user wrote, and the validating webhook judges it.
    ns.write(annotate(&[(SELECTOR, Some("tier=edge"))]));
    assert_eq!(ns.get(NAME), None);
    assert!(!ns.recorded().contains(&SHORT_NAME.to_owned()));
}

#[test]
fn defaults_for_both_follow_the_one_the_user_sets() {
    // Neither given: both defaults, both recorded.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true")]);
    assert_eq!(ns.get(NAME).as_deref(), Some("east-west-gateway"));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=east-west-gateway"));
    // Then only the name: the selector follows, the name is the user's.
    ns.write(annotate(&[(NAME, Some("gw-c"))]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-c"));
    assert!(!ns.recorded().contains(&SHORT_NAME.to_owned()));
    assert!(ns.recorded().contains(&SHORT_SELECTOR.to_owned()));

    // Neither given, then only the selector: the name follows its app value.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true")]);
    ns.write(annotate(&[(SELECTOR, Some("app=gw-d"))]));
    assert_eq!(ns.get(NAME).as_deref(), Some("gw-d"));
    assert_eq!(
        ns.recorded(),
        [
            "eastwest-gateway-deploy",
            SHORT_NAME,
            "eastwest-gateway-namespace"
        ]
    );
}

#[test]
fn removing_the_name_brings_back_the_defaults_for_both() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    // kubectl annotate ns payments traffic.tetrate.io/eastwest-gateway-name-
    let m = ns.write(annotate(&[(NAME, None)]));
    let ops = wire(&m);
    assert_eq!(ops[0]["op"], "add");
    assert_eq!(ops[0]["value"], "east-west-gateway");
    assert_eq!(ops[1]["op"], "replace");
    assert_eq!(ops[1]["value"], "app=east-west-gateway");
    // Not app=gw-a: the agent, without the guard, would see neither key.
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=east-west-gateway"));
    assert!(ns.recorded().contains(&SHORT_NAME.to_owned()));
    // And removing a derived key the guard wrote brings it back as derived.
    ns.write(annotate(&[(SELECTOR, None)]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=east-west-gateway"));
}

#[test]
fn a_value_the_user_writes_leaves_the_record() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    let m = ns.write(annotate(&[(SELECTOR, Some("app=gw-a,tier=edge"))]));
    // Only the record changes.
    let ops = wire(&m);
    assert_eq!(ops.as_array().unwrap().len(), 1, "{ops}");
    assert_eq!(
        ops[0]["path"],
        "/metadata/annotations/eastwest-guard.tetrate.io~1derived"
    );
    assert!(!ns.recorded().contains(&SHORT_SELECTOR.to_owned()));
    // So a rename leaves the user's selector alone.
    assert_eq!(ns.write(annotate(&[(NAME, Some("gw-b"))])), None);
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a,tier=edge"));
    // Both written in one write: both the user's.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    ns.write(annotate(&[
        (NAME, Some("gw-b")),
        (SELECTOR, Some("app=gw-x")),
    ]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-x"));
    assert!(!ns.recorded().contains(&SHORT_SELECTOR.to_owned()));
}

/// The one write the guard cannot see: setting a derived key to the value it already holds
/// changes nothing in the object, so the key stays the guard's and follows a later rename.
/// To keep a derived value on purpose, write it in the same write as the rename with another
/// value, or drop its entry from the record.
#[test]
fn a_derived_value_written_again_unchanged_stays_derived() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    assert_eq!(ns.write(annotate(&[(SELECTOR, Some("app=gw-a"))])), None);
    ns.write(annotate(&[(NAME, Some("gw-b"))]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
    // Dropping the record makes every key the user's.
    assert_eq!(ns.write(annotate(&[(RECORD, None)])), None);
    assert_eq!(ns.write(annotate(&[(NAME, Some("gw-c"))])), None);
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
}

#[test]
fn a_record_that_does_not_match_is_not_trusted() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    // Garbled: nothing is the guard's, and the record goes.
    let m = ns.write(annotate(&[(RECORD, Some("selector,namespace"))]));
    assert_eq!(
        wire(&m),
        json!([{"op": "remove", "path": "/metadata/annotations/eastwest-guard.tetrate.io~1derived"}])
    );
    assert_eq!(ns.write(annotate(&[(NAME, Some("gw-b"))])), None);
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a"));

    // A claim of another value than the key holds: the key is someone's, the claim goes.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    ns.write(annotate(&[(
        RECORD,
        Some(r#"{"eastwest-gateway-workload-selector":"app=other","eastwest-gateway-deploy":"true"}"#),
    )]));
    assert_eq!(
        ns.record(),
        manifest(&[("eastwest-gateway-deploy", "true")])
    );
    assert_eq!(ns.write(annotate(&[(NAME, Some("gw-b"))])), None);
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a"));
    // A claim of a name the user wrote: not the guard's either, unless the value matches.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    ns.write(annotate(&[(
        RECORD,
        Some(r#"{"eastwest-gateway-name":"gw-z"}"#),
    )]));
    assert!(ns.record().is_empty());
    assert_eq!(ns.get(RECORD), None);
    assert_eq!(ns.get(NAME).as_deref(), Some("gw-a"));
}

/// A write made while the webhook was down (`failurePolicy: Ignore`) renamed the gateway and
/// left the derived selector behind; the record shows it is still the guard's, so the next
/// write the webhook sees puts it in step.
#[test]
fn a_rename_the_webhook_missed_is_caught_up_at_the_next_write() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    let mut missed = ns.store.request(&annotate(&[(NAME, Some("gw-b"))]));
    ns.store.commit(&annotate(&[]), std::mem::take(&mut missed));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a"));
    ns.write(Write::Label(vec![("team".into(), Some("payments".into()))]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
}

#[test]
fn whole_object_replaces_and_applies() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    // kubectl replace -f of a manifest without the derived keys: they come back, derived from
    // the manifest.
    ns.write(Write::Replace(manifest(&[
        (GLOBAL, "true"),
        (NAME, "gw-b"),
    ])));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
    assert!(ns.recorded().contains(&SHORT_SELECTOR.to_owned()));
    // A manifest that writes the selector, with the value the guard had derived: the user's.
    ns.write(Write::Replace(manifest(&[
        (GLOBAL, "true"),
        (NAME, "gw-b"),
        (SELECTOR, "app=gw-b"),
    ])));
    assert!(!ns.recorded().contains(&SHORT_SELECTOR.to_owned()));
    assert_eq!(ns.write(annotate(&[(NAME, Some("gw-c"))])), None);
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));

    // kubectl apply keeps annotations the manifest never had: the record and what it records.
    let (mut ns, _) = Stored::create(&[]);
    ns.write(Write::Apply(manifest(&[(GLOBAL, "true"), (NAME, "gw-a")])));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a"));
    ns.write(Write::Apply(manifest(&[(GLOBAL, "true"), (NAME, "gw-b")])));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
    // The manifest drops the name: removed by the apply, and both are defaults again.
    ns.write(Write::Apply(manifest(&[(GLOBAL, "true")])));
    assert_eq!(ns.get(NAME).as_deref(), Some("east-west-gateway"));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=east-west-gateway"));
}

#[test]
fn when_east_west_turns_off_only_values_that_no_longer_match_go() {
    // The defaults are what the agent derives with east-west off too: left as they are.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true")]);
    assert_eq!(ns.recorded().len(), 4);
    assert_eq!(ns.write(annotate(&[(GLOBAL, Some("false"))])), None);
    assert_eq!(ns.get(NAME).as_deref(), Some("east-west-gateway"));
    // A selector derived from a name the same write removes: taken away, and nothing added to
    // a Namespace that no longer turns east-west on or configures a gateway.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    let m = ns.write(annotate(&[(GLOBAL, None), (NAME, None)]));
    assert_eq!(wire(&m)[0]["op"], "remove");
    assert_eq!(
        ns.store.annotations(),
        manifest(&[
            (DEPLOY, "true"),
            (GW_NS, "tetrate-system"),
            (
                RECORD,
                r#"{"eastwest-gateway-namespace":"tetrate-system","eastwest-gateway-deploy":"true"}"#
            ),
        ])
    );
    // A gateway key the user set keeps the gateway configured: the defaults stay.
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (GW_NS, "gateways")]);
    assert_eq!(ns.write(annotate(&[(GLOBAL, None)])), None);
    assert_eq!(ns.get(NAME).as_deref(), Some("east-west-gateway"));
}

#[test]
fn invalid_input_gets_derived_values_taken_away_not_rewritten() {
    let (mut ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    // An invalid name (EW004): no selector app=Gw_B written; the stale one is taken away.
    let m = ns.write(annotate(&[(NAME, Some("Gw_B"))]));
    assert_eq!(wire(&m)[0]["op"], "remove");
    assert_eq!(ns.get(SELECTOR), None);
    assert_eq!(
        ns.record(),
        manifest(&[
            ("eastwest-gateway-namespace", "tetrate-system"),
            ("eastwest-gateway-deploy", "true")
        ])
    );
    // Fixed: derived again.
    ns.write(annotate(&[(NAME, Some("gw-b"))]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
    // Broken cloud annotations (EW007) in the same write as a rename: the same.
    ns.write(annotate(&[(NAME, Some("gw-c")), (CLOUD, Some("a: ["))]));
    assert_eq!(ns.get(SELECTOR), None);
    // A derived value that still matches stays while the input is invalid.
    assert_eq!(ns.get(GW_NS).as_deref(), Some("tetrate-system"));
}

#[test]
fn the_patch_applies_to_the_object_as_sent() {
    // Only labels, no annotations map (or an empty one), and only the record: nothing.
    let only_label = ns(&[(GLOBAL, "true")], &[]);
    assert!(mutate(&only_label).is_none());
    let mut json = ns_json(&[(GLOBAL, "true")], &[]);
    json["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("annotations");
    assert!(mutate(&serde_json::from_value(json).unwrap()).is_none());
    let record_only = ns(&[], &[(RECORD, r#"{"eastwest-gateway-name":"x"}"#)]);
    assert!(mutate(&record_only).is_none());
    // A record on a Namespace whose only key is a label: removed, as it records nothing.
    let stale = ns(
        &[(GLOBAL, "true")],
        &[(RECORD, r#"{"eastwest-gateway-name":"x"}"#)],
    );
    let m = mutate(&stale);
    let mut json = ns_json(
        &[(GLOBAL, "true")],
        &[(RECORD, r#"{"eastwest-gateway-name":"x"}"#)],
    );
    json_patch::patch(&mut json, &m.unwrap().patch).unwrap();
    assert_eq!(json["metadata"]["annotations"], json!({}));
}

#[test]
fn the_validating_side_says_nothing_of_the_record() {
    let (ns, _) = Stored::create(&[(GLOBAL, "true"), (NAME, "gw-a")]);
    let obj: ObjectView = serde_json::from_value(ns.store.object.clone()).unwrap();
    assert!(obj.annotation(RECORD).is_some());
    assert!(
        check_ns(&obj).violations.is_empty(),
        "{:#?}",
        check_ns(&obj).violations
    );
    let mut garbled = ns.store.object.clone();
    garbled["metadata"]["annotations"][RECORD] = json!("{not json");
    let obj: ObjectView = serde_json::from_value(garbled).unwrap();
    assert!(
        check_ns(&obj).violations.is_empty(),
        "{:#?}",
        check_ns(&obj).violations
    );
}

/// A Namespace completed before the guard kept a record: its values count as the user's, as
/// they did; removing one lets the same write derive it again, recorded.
#[test]
fn values_written_without_a_record_are_the_users_until_removed() {
    let (mut ns, _) = Stored::create(&[
        (GLOBAL, "true"),
        (NAME, "gw-a"),
        (SELECTOR, "app=gw-a"),
        (GW_NS, "tetrate-system"),
        (DEPLOY, "true"),
    ]);
    assert_eq!(ns.get(RECORD), None);
    assert_eq!(ns.write(annotate(&[(NAME, Some("gw-b"))])), None);
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-a"));
    ns.write(annotate(&[(SELECTOR, None)]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-b"));
    assert_eq!(ns.recorded(), [SHORT_SELECTOR]);
    ns.write(annotate(&[(NAME, Some("gw-c"))]));
    assert_eq!(ns.get(SELECTOR).as_deref(), Some("app=gw-c"));
}

/// What EW021 says in manifests of a gateway key the webhook derived is what the patch does:
/// where the guard recorded the value, applying the renamed manifest derives it again; where
/// the Namespace carries it with no record (written by hand, or by a guard that kept none), it
/// stays, and the manifest must say the new value.
#[test]
fn ew021_in_manifests_says_what_the_patch_does() {
    for (old, new, derived, says) in [
        (NAME, "gw-b", SELECTOR, "app=gw-b"),
        (SELECTOR, "app=gw-b", NAME, "gw-b"),
    ] {
        let start = if old == NAME { "gw-a" } else { "app=gw-a" };
        let before = ew_ns(&[(GLOBAL, "true"), (old, start)]);
        let after = ew_ns(&[(GLOBAL, "true"), (old, new)]);
        let review =
            Review::update(ResourceKind::Namespace, &before, &after).with_origin(Origin::Manifests);
        let d = cases::validate(&review, &Config::default(), &NoCluster);
        let v = only(&d, RuleId::EW021);
        assert_eq!(v.len(), 1, "{v:#?}");
        for part in [
            "and recorded it, it derives it again from the new value",
            &format!("then set {derived} to \"{says}\" in this manifest too"),
        ] {
            assert!(v[0].message.contains(part), "{part:?} in {}", v[0].message);
        }

        // Recorded: applying the same two manifests through the webhook.
        let (mut ns, _) = Stored::create(&[]);
        ns.write(Write::Apply(manifest(&[(GLOBAL, "true"), (old, start)])));
        ns.write(Write::Apply(manifest(&[(GLOBAL, "true"), (old, new)])));
        assert_eq!(ns.get(derived).as_deref(), Some(says));
        // Written without a record: the old derived value stays.
        let derived_before = if derived == NAME { "gw-a" } else { "app=gw-a" };
        let (mut ns, _) =
            Stored::create(&[(GLOBAL, "true"), (old, start), (derived, derived_before)]);
        assert!(!ns.record().contains_key(derived.trim_start_matches(P)));
        ns.write(Write::Apply(manifest(&[(GLOBAL, "true"), (old, new)])));
        assert_eq!(ns.get(derived).as_deref(), Some(derived_before));
    }
}
