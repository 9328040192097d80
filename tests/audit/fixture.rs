//! The cluster most tests audit: a problem of each kind that needs the whole cluster (EW031
//! from the Service's Namespace, EW032 from the namespaces that exist), a value admitted
//! before the guard that it denies (EW013), a warning on the Service's type (EW040), and
//! Services exposed in two Namespaces.

use serde_json::{Value, json};

use super::apiserver::{Behaviour, FakeApiServer, Store, namespace, service};

pub const GLOBAL: &str = "traffic.tetrate.io/global";

pub fn namespaces() -> Vec<Value> {
    vec![
        namespace("default", json!({}), json!({})),
        namespace("kube-system", json!({}), json!({})),
        namespace("tetrate-system", json!({}), json!({})),
        // Namespace-level, with a workspace, but its gateway goes to a namespace the cluster
        // does not have: EW032.
        namespace(
            "payments",
            json!({"tetrate.io/rev": "default"}),
            json!({GLOBAL: "true", "traffic.tetrate.io/eastwest-gateway-namespace": "gateways"}),
        ),
        // No trigger label: a labelled Service in it is not exposed (EW031).
        namespace("shop", json!({"team": "shop"}), json!({})),
        namespace("legacy", json!({"istio-injection": "enabled"}), json!({})),
        namespace("mesh", json!({"istio.io/rev": "default"}), json!({})),
    ]
}

pub fn services() -> Vec<Value> {
    vec![
        service("default", "kubernetes", "ClusterIP", json!({}), json!({})),
        service(
            "kube-system",
            "kube-dns",
            "ClusterIP",
            json!({"k8s-app": "kube-dns"}),
            json!({}),
        ),
        service(
            "legacy",
            "api",
            "ClusterIP",
            json!({GLOBAL: "True"}),
            json!({}),
        ),
        service(
            "legacy",
            "billing",
            "ClusterIP",
            json!({GLOBAL: "true"}),
            json!({}),
        ),
        service(
            "mesh",
            "alias",
            "ExternalName",
            json!({GLOBAL: "true"}),
            json!({}),
        ),
        service("payments", "api", "ClusterIP", json!({}), json!({})),
        service(
            "payments",
            "ledger",
            "LoadBalancer",
            json!({}),
            json!({"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\"}"}),
        ),
        service(
            "shop",
            "cart",
            "ClusterIP",
            json!({GLOBAL: "true"}),
            json!({}),
        ),
        service("shop", "web", "ClusterIP", json!({"app": "web"}), json!({})),
    ]
}

pub fn server() -> FakeApiServer {
    server_with(Behaviour::default())
}

pub fn server_with(behaviour: Behaviour) -> FakeApiServer {
    FakeApiServer::start(Store::new(&namespaces(), &services()), behaviour)
}

/// (level, rule, object) of every finding, in the order the audit reports them.
pub const EXPECTED: [(&str, &str, &str); 4] = [
    ("warning", "EW032", "Namespace/payments"),
    ("error", "EW013", "Service/legacy/api"),
    ("warning", "EW040", "Service/mesh/alias"),
    ("warning", "EW031", "Service/shop/cart"),
];
