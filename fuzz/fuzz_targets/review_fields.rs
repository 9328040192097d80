//! The request path with well-formed reviews: the fuzzer chooses the kind, operation,
//! labels and annotations (from the real keys and values and near-misses, or arbitrary
//! text) of the object and the old object, so the rules engine behind `admission::answer`
//! is reached on every input instead of stopping at a JSON syntax error. Same invariants as
//! `request`.
#![no_main]

#[path = "../../tests/common/invariants.rs"]
mod invariants;

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const KEYS: &[&str] = &[
    "traffic.tetrate.io/global",
    "traffic.tetrate.io/eastwest-gateway-deploy",
    "traffic.tetrate.io/eastwest-gateway-namespace",
    "traffic.tetrate.io/eastwest-gateway-name",
    "traffic.tetrate.io/eastwest-gateway-workload-selector",
    "traffic.tetrate.io/eastwest-gateway-cloud-annotations",
    "traffic.tetrate.io/exposure",
    "tetrate.io/rev",
    "istio-injection",
    "istio.io/rev",
];

const VALUES: &[&str] = &[
    "true",
    "false",
    "True",
    "default",
    "enabled",
    "east-west-gateway",
    "tetrate-system",
    "app=gw",
    "app=gw,tier=edge",
    "app = gw",
    "service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
    "service.beta.kubernetes.io/aws-load-balancer-scheme: \"internal\"\nfoo: [a\n",
    "cloud.google.com/load-balancer-type: Internal",
    "",
];

#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Arbitrary(String),
    Suffixed(u8, String),
}

impl Text {
    fn render(&self, table: &[&str]) -> String {
        match self {
            Text::Known(i) => table[*i as usize % table.len()].to_owned(),
            Text::Arbitrary(s) => s.clone(),
            Text::Suffixed(i, s) => format!("{}{s}", table[*i as usize % table.len()]),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    service: bool,
    operation: u8,
    sub_resource: bool,
    labels: Vec<(Text, Text)>,
    annotations: Vec<(Text, Text)>,
    old_labels: Vec<(Text, Text)>,
    old_annotations: Vec<(Text, Text)>,
    name: Text,
    service_type: Text,
}

fn map(pairs: &[(Text, Text)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .take(16)
        .map(|(k, v)| (k.render(KEYS), v.render(VALUES)))
        .collect()
}

fn object(
    kind: &str,
    name: &str,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    service_type: &str,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": if kind == "Service" { Some("payments") } else { None },
            "uid": "5b8f4f1e-4c1a-4a8e-9b7a-2f6d3c1e9a10",
            "labels": labels,
            "annotations": annotations,
        },
        "spec": { "type": service_type, "ports": [{"port": 443}] }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let kind = if input.service {
        "Service"
    } else {
        "Namespace"
    };
    let resource = if input.service {
        "services"
    } else {
        "namespaces"
    };
    let operation = ["CREATE", "UPDATE", "DELETE", "CONNECT"][input.operation as usize % 4];
    let name = input
        .name
        .render(&["payments", "east-west-gateway", "kube-system", ""]);
    let service_type =
        input
            .service_type
            .render(&["ClusterIP", "LoadBalancer", "ExternalName", "NodePort"]);
    let new = object(
        kind,
        &name,
        map(&input.labels),
        map(&input.annotations),
        &service_type,
    );
    let old = object(
        kind,
        &name,
        map(&input.old_labels),
        map(&input.old_annotations),
        &service_type,
    );
    let (object, old_object) = match operation {
        "CREATE" | "CONNECT" => (new, Value::Null),
        "UPDATE" => (new, old),
        _ => (Value::Null, old),
    };
    let body = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1", "resource": resource},
            "subResource": if input.sub_resource { Some("status") } else { None },
            "name": name,
            "namespace": if input.service { Some("payments") } else { None },
            "operation": operation,
            "userInfo": {"username": "fuzz"},
            "object": object,
            "oldObject": old_object,
            "dryRun": false
        }
    });
    let body = serde_json::to_vec(&body).unwrap();
    if let Err(broken) = invariants::check_all(&body) {
        panic!("invariant broken: {broken}");
    }
});
