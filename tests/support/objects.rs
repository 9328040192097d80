//! Objects as the engine reads them. The builders start from fixtures shaped like what
//! kube-apiserver sends (uid, resourceVersion, managedFields, status) and replace their labels
//! and annotations, so every test object carries the fields a real one does.
//!
//! The keys are spelt out here rather than taken from the engine's constants, so a wrong
//! constant in the engine fails the tests instead of moving with them.

use std::collections::BTreeMap;

use eastwest_guard::rules::ObjectView;
use serde_json::{Value, json};

pub const P: &str = "traffic.tetrate.io/";
pub const GLOBAL: &str = "traffic.tetrate.io/global";
pub const NAME: &str = "traffic.tetrate.io/eastwest-gateway-name";
pub const SELECTOR: &str = "traffic.tetrate.io/eastwest-gateway-workload-selector";
pub const GW_NS: &str = "traffic.tetrate.io/eastwest-gateway-namespace";
pub const DEPLOY: &str = "traffic.tetrate.io/eastwest-gateway-deploy";
pub const CLOUD: &str = "traffic.tetrate.io/eastwest-gateway-cloud-annotations";

/// The fixture tests/data/objects/`name`, as JSON.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/objects/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A label or annotation map.
pub fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
    )
}

/// A Namespace "payments" with exactly these labels and annotations.
pub fn ns_json(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Value {
    let mut v = fixture("namespace-payments.json");
    v["metadata"]["labels"] = map(labels);
    v["metadata"]["annotations"] = map(annotations);
    v
}

pub fn ns(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectView {
    serde_json::from_value(ns_json(labels, annotations)).unwrap()
}

/// An east-west Namespace with a trigger label and these annotations.
pub fn ew_ns(annotations: &[(&str, &str)]) -> ObjectView {
    ns(&[("tetrate.io/rev", "default")], annotations)
}

/// An east-west Namespace with a trigger label and `global: "true"`.
pub fn namespace_level() -> ObjectView {
    ew_ns(&[(GLOBAL, "true")])
}

/// A Service "payments/payment-api" with these labels, annotations and type.
pub fn svc(labels: &[(&str, &str)], annotations: &[(&str, &str)], type_: &str) -> ObjectView {
    let mut v = fixture("service-payment-api.json");
    v["metadata"]["labels"] = map(labels);
    v["metadata"]["annotations"] = map(annotations);
    v["spec"]["type"] = json!(type_);
    serde_json::from_value(v).unwrap()
}

/// A bare object of `kind` ("Namespace" or "Service") named "payments", with these labels and
/// annotations and nothing else kube-apiserver would add: for generated maps.
pub fn bare(
    kind: &str,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {
            "name": "payments",
            "namespace": if kind == "Service" { Some("payments") } else { None },
            "uid": "5b8f4f1e-4c1a-4a8e-9b7a-2f6d3c1e9a10",
            "labels": labels,
            "annotations": annotations,
        },
        "spec": { "type": "ClusterIP" }
    })
}
