//! proptest strategies shared by the property tests: label and annotation maps (our keys, the
//! trigger labels, their near misses and random text, with values that are or nearly are what
//! the agent reads), and manifests built from the pieces of Namespace and Service documents
//! (broken indentation, odd scalars, anchors, cloud annotations that YAML refuses).

use std::collections::BTreeMap;

use proptest::prelude::*;

// --- label and annotation maps ---------------------------------------------------------------

/// A label or annotation key: one the agent reads, another under traffic.tetrate.io/ (near
/// misses), a trigger label's key, or any text.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("traffic.tetrate.io/global".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-deploy".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-namespace".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-name".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-workload-selector".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-cloud-annotations".to_owned()),
        "traffic\\.tetrate\\.io/[a-z-]{0,30}",
        "tetrate\\.io/rev|istio-injection|istio\\.io/rev",
        ".{0,20}",
    ]
}

/// A value: the exact booleans and trigger values, DNS names, selectors with stray spaces and
/// pairs, cloud-annotation text that YAML may refuse, or any text.
pub fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("default".to_owned()),
        Just("enabled".to_owned()),
        "[a-z0-9-]{0,70}",
        "(app|tier|[a-z./]{1,10})( ?= ?)[A-Za-z0-9_.-]{0,10}(,[a-z]{0,4}=[a-z]{0,4}){0,3}",
        "((service\\.beta\\.kubernetes\\.io/aws-load-balancer-[a-z-]{2,12}|cloud\\.google\\.com/[a-z-]{1,10}|[a-z: ]{0,8})(: ?)([\"']?[A-Za-z0-9:/ -]{0,12}[\"']?|\\[a\\]|\\{b: c\\})\n){0,4}",
        ".{0,40}",
        any::<String>(),
    ]
}

/// A label or annotation map of up to seven entries.
pub fn pairs() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(key(), value(), 0..8)
}

// --- manifests ------------------------------------------------------------------------------

pub const NAMES: &[&str] = &["payments", "shop", "\"we\\nird: #\"", "x"];

pub const LABELS: &[&str] = &[
    "    traffic.tetrate.io/global: \"true\"\n",
    "    traffic.tetrate.io/global: \"false\"\n",
    "    traffic.tetrate.io/global: \"True\"\n",
    "    traffic.tetrate.io/global: true\n",
    "    tetrate.io/rev: default\n",
    "    istio-injection: enabled\n",
    "    app: web\n",
];

pub const ANNOTATIONS: &[&str] = &[
    "    traffic.tetrate.io/global: \"true\"\n",
    "    traffic.tetrate.io/global: \"false\"\n",
    "    traffic.tetrate.io/global: \"yes\"\n",
    "    traffic.tetrate.io/eastwest-gateway-name: gw\n",
    "    traffic.tetrate.io/eastwest-gateway-name: \"Bad Name\"\n",
    "    traffic.tetrate.io/eastwest-gateway-namespace: gateways\n",
    "    traffic.tetrate.io/eastwest-gateway-workload-selector: app=gw,x\n",
    "    traffic.tetrate.io/eastwest-gateway-workload-selector: tier=edge\n",
    "    traffic.tetrate.io/eastwest-gateway-workload-selector: app=gw2,tier=edge\n",
    "    traffic.tetrate.io/eastwest-gateway-deploy: \"no\"\n",
    "    traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n      service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
    "    traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n      \"quoted/key\": 'v'\n      bad: : [\n      no colon here\n",
    "    traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n      a.io/x: y\n      ---\n      b.io/z: w\n",
    "    traffic.tetrate.io/eastwest-gateway-cloud-annotations: \"\"\n",
];

pub const NOISE: &[&str] = &[
    "",
    "",
    "",
    "",
    "spec:\n  type: ExternalName\n",
    "\t",
    "  : \"",
    "# c\n",
];

/// One Namespace or Service document with some of our labels and annotations, and now and
/// then some noise that may break it.
pub fn document() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::sample::select(NAMES),
        prop::sample::select(NAMES),
        prop::collection::vec(prop::sample::select(LABELS), 0..3),
        prop::collection::vec(prop::sample::select(ANNOTATIONS), 0..4),
        prop::sample::select(NOISE),
    )
        .prop_map(|(is_ns, name, ns, labels, annotations, noise)| {
            let mut doc = format!(
                "apiVersion: v1\nkind: {}\nmetadata:\n  name: {name}\n",
                if is_ns { "Namespace" } else { "Service" }
            );
            if !is_ns {
                doc.push_str(&format!("  namespace: {ns}\n"));
            }
            doc.push_str("  labels:\n");
            doc.push_str(&labels.concat());
            doc.push_str("  annotations:\n");
            doc.push_str(&annotations.concat());
            doc.push_str(noise);
            doc
        })
}

/// A stream of up to seven [`document`]s.
pub fn manifests() -> impl Strategy<Value = String> {
    prop::collection::vec(document(), 0..8).prop_map(|docs| docs.join("---\n"))
}
