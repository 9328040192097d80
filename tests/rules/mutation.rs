//! The defaults patch: it adds the gateway settings the agent would derive, never overwrites
//! what the user wrote, leaves alone whatever the validating side would deny, and is
//! idempotent.

use eastwest_guard::rules::{self, Config, ObjectView, ResourceKind, Review};
use serde_json::{Value, json};

use crate::support::objects::{
    CLOUD, DEPLOY, GLOBAL, GW_NS, NAME, SELECTOR, ew_ns, ns, ns_json, svc,
};
use crate::support::review::check_ns;

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
