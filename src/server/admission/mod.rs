//! One AdmissionReview in, one answer out: the protocol, kept pure (bytes in, bytes out) so
//! every rule of the wire format is unit-tested without a socket.
//!
//! What kube-apiserver checks, and what this module guarantees:
//! - the response echoes `request.uid`, with `apiVersion: admission.k8s.io/v1` and
//!   `kind: AdmissionReview`;
//! - `patch` is base64 of an RFC 6902 JSON Patch, and `patchType: JSONPatch` is set exactly
//!   when `patch` is (kube's `AdmissionResponse` serialises the patch bytes as a JSON array of
//!   numbers, which kube-apiserver rejects, so the wire form is written here);
//! - a denial has `status.code` 403 and `status.reason` `Forbidden` (kube's `deny()` leaves the
//!   code unset, which kube-apiserver reports as a 400) and every violation in the message;
//! - warnings are single lines (kube-apiserver drops a warning with a newline or tab);
//! - `auditAnnotations` keys are qualified names without `/`, at most 63 characters.
//!
//! `/validate` never patches and `/mutate` never denies.
//!
//! The body is read in `request.rs` (the wire types and their parsing) and the answer written
//! in `response.rs`; here the two meet the rules.

mod request;
mod response;

use kube::core::admission::Operation;

pub use request::{ParsedRequest, parse_request};

use request::{WireRequest, read_request};
use response::{WireResponse, encode_response, mutating_response, shown, validating_response};

use crate::rules::{
    self, ClusterView, Config, Decision, Level, Origin, ResourceKind, Review, RuleId, keys,
};

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// Which webhook was called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Validate,
    Mutate,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

/// What happened to a request, as metrics and logs count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed with nothing to say.
    Allowed,
    /// Rejected (validate only).
    Denied,
    /// Allowed with warnings (validate only).
    Warned,
    /// Allowed with a patch (mutate only).
    Patched,
    /// Not an AdmissionReview we can answer: HTTP 4xx.
    BadRequest,
    /// The handler failed (a panic caught at the connection): HTTP 500.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Warned => "warned",
            Outcome::Patched => "patched",
            Outcome::BadRequest => "bad_request",
            Outcome::Error => "error",
        }
    }
}

/// The facts of a request that logs and metrics report (never the object itself).
#[derive(Clone, Debug)]
pub struct RequestFacts {
    pub uid: String,
    pub kind: ResourceKind,
    /// The request's `kind.kind` as sent (for logs; metrics use [`RequestFacts::kind_label`]).
    pub kind_name: String,
    pub namespace: Option<String>,
    pub name: String,
    pub operation: Operation,
    pub sub_resource: Option<String>,
    pub dry_run: bool,
    pub user: Option<String>,
}

impl RequestFacts {
    pub fn kind_label(&self) -> &'static str {
        match self.kind {
            ResourceKind::Namespace => "Namespace",
            ResourceKind::Service => "Service",
            ResourceKind::Other => "other",
        }
    }

    pub fn operation_label(&self) -> &'static str {
        operation_label(&self.operation)
    }
}

pub fn operation_label(op: &Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

/// A 4xx answer's reason, in characters: a parser's error can quote a whole value of the
/// body (serde's `invalid type: string "..."`).
const MAX_REASON_CHARS: usize = 1024;

/// The answer to one HTTP request body.
#[derive(Debug)]
pub struct Answer {
    /// 200, or 400 for a body that is not an AdmissionReview we can answer.
    pub http_status: u16,
    /// The response body: an AdmissionReview (JSON), or a one-line reason for a 400.
    pub body: Vec<u8>,
    pub outcome: Outcome,
    /// Absent when the request could not be read.
    pub facts: Option<RequestFacts>,
    /// The rules hit, with the level in force, in rule order without repeats.
    pub rules: Vec<(RuleId, Level)>,
    /// Why the request was refused (400), for the log.
    pub error: Option<String>,
}

impl Answer {
    /// A 4xx answer with a one-line reason as its body.
    pub fn bad_request(http_status: u16, reason: String) -> Self {
        let reason = shown(&reason, MAX_REASON_CHARS);
        let mut body = Vec::with_capacity(reason.len() + 1);
        body.extend_from_slice(reason.as_bytes());
        body.push(b'\n');
        Answer {
            http_status,
            body,
            outcome: Outcome::BadRequest,
            facts: None,
            rules: Vec::new(),
            error: Some(reason),
        }
    }

    pub fn is_json(&self) -> bool {
        self.http_status == 200
    }
}

/// Answers one request body for `endpoint`.
pub fn answer(
    endpoint: Endpoint,
    body: &[u8],
    config: &Config,
    cluster: &dyn ClusterView,
) -> Answer {
    let request = match read_request(body) {
        Ok(request) => request,
        Err(reason) => return Answer::bad_request(400, reason),
    };
    let kind = ResourceKind::from_group_kind(&request.kind.group, &request.kind.kind);
    let judged = match request.sub_resource.as_deref().filter(|s| !s.is_empty()) {
        None => true,
        Some(_) => endpoint == Endpoint::Validate && changes_tetrate_keys(&request),
    };
    if judged && let Some(reason) = past_kubernetes_limits(&request, kind) {
        return Answer::bad_request(400, reason);
    }

    let mut response = WireResponse::allowed(&request.uid);
    let mut outcome = Outcome::Allowed;
    let mut rules_hit = Vec::new();
    if judged {
        let review = Review {
            operation: request.operation.clone(),
            kind,
            name: &request.name,
            namespace: request.namespace.as_deref(),
            object: request.object.as_ref().map(|o| &o.0),
            old_object: request.old_object.as_ref().map(|o| &o.0),
            origin: Origin::Admission,
        };
        match endpoint {
            Endpoint::Validate => {
                let decision = rules::validate(&review, config, cluster);
                rules_hit = rules_with_level(&decision);
                (response, outcome) = validating_response(response, &decision);
            }
            Endpoint::Mutate => {
                if let Some(mutation) = rules::mutate(&review, config) {
                    (response, outcome) = mutating_response(response, &mutation);
                }
            }
        }
    }

    let body = encode_response(response);
    let (facts, _, _) = request.into_parts(kind);
    Answer {
        http_status: 200,
        body,
        outcome,
        facts: Some(facts),
        rules: rules_hit,
        error: None,
    }
}

/// The longest name, `generateName` and namespace Kubernetes allows a Namespace (a DNS-1123
/// label) and a Service (a DNS-1035 label), in bytes. kube-apiserver refuses longer ones
/// before any validating webhook is called, so only a direct client sends them; refused here
/// before the rules run, so no answer or log line grows with them.
const MAX_NAME_BYTES: usize = 63;

/// Why a review of a Namespace or Service names something longer than Kubernetes allows, if
/// it does: the request's name and namespace, and the name, `generateName` and namespace of
/// its objects (the rules quote the object's).
fn past_kubernetes_limits(request: &WireRequest<'_>, kind: ResourceKind) -> Option<String> {
    let kind = match kind {
        ResourceKind::Namespace => "Namespace",
        ResourceKind::Service => "Service",
        ResourceKind::Other => return None,
    };
    let len = |s: Option<&str>| s.map_or(0, str::len);
    let meta = |which: &'static str, o: &Option<request::WireObject>| {
        let m = o.as_ref().map(|o| &o.0.metadata);
        [
            (
                which,
                "metadata.name",
                len(m.and_then(|m| m.name.as_deref())),
            ),
            (
                which,
                "metadata.generateName",
                len(m.and_then(|m| m.generate_name.as_deref())),
            ),
            (
                which,
                "metadata.namespace",
                len(m.and_then(|m| m.namespace.as_deref())),
            ),
        ]
    };
    let [a, b, c] = meta("object.", &request.object);
    let [d, e, f] = meta("oldObject.", &request.old_object);
    let (which, field, bytes) = [
        ("request.", "name", request.name.len()),
        ("request.", "namespace", len(request.namespace.as_deref())),
        a,
        b,
        c,
        d,
        e,
        f,
    ]
    .into_iter()
    .find(|(_, _, n)| *n > MAX_NAME_BYTES)?;
    Some(format!(
        "{kind} review with a {which}{field} of {bytes} bytes: longer than Kubernetes allows \
         ({MAX_NAME_BYTES}); kube-apiserver never sends one"
    ))
}

/// Whether an UPDATE through a subresource changes a `traffic.tetrate.io/` key. The status and
/// finalize strategies of Namespaces and Services reset only `spec` or `status`, so
/// kube-apiserver stores the metadata such a write carries: one that adds, changes or removes
/// a key (`kubectl patch ns payments --subresource=status`, removing `global`) is judged as
/// the UPDATE it is. Every other subresource write (a controller's status update, the
/// namespace controller's finalize) is allowed unread, so a key that was already wrong never
/// holds up a load balancer's status or a Namespace's deletion. Never defaulted: mutation
/// stays with writes of the object itself.
fn changes_tetrate_keys(request: &WireRequest<'_>) -> bool {
    request.operation == Operation::Update
        && match (&request.old_object, &request.object) {
            (Some(old), Some(new)) => !keys::same_tetrate_keys(&old.0, &new.0),
            _ => false,
        }
}

fn rules_with_level(decision: &Decision) -> Vec<(RuleId, Level)> {
    let mut rules: Vec<(RuleId, Level)> = decision
        .violations
        .iter()
        .map(|v| (v.rule, v.level))
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::NoCluster;
    use serde_json::{Value, json};

    pub(super) fn review(kind: &str, operation: &str, object: Value, old: Value) -> Vec<u8> {
        let resource = if kind == "Namespace" {
            "namespaces"
        } else {
            "services"
        };
        serde_json::to_vec(&json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                "kind": {"group": "", "version": "v1", "kind": kind},
                "resource": {"group": "", "version": "v1", "resource": resource},
                "requestKind": {"group": "", "version": "v1", "kind": kind},
                "requestResource": {"group": "", "version": "v1", "resource": resource},
                "name": object.pointer("/metadata/name").or(old.pointer("/metadata/name")).cloned().unwrap_or(json!("")),
                "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or(Value::Null),
                "operation": operation,
                "userInfo": {"username": "alice@example.com", "groups": ["system:authenticated"]},
                "object": object,
                "oldObject": old,
                "dryRun": false,
                "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
            }
        }))
        .unwrap()
    }

    pub(super) fn namespace(annotations: Value, labels: Value) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "payments", "annotations": annotations, "labels": labels,
                         "uid": "b3c9d1e2-0000-4000-8000-000000000001",
                         "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        })
    }

    pub(super) fn run(endpoint: Endpoint, body: &[u8]) -> (Answer, Value) {
        let answer = answer(endpoint, body, &Config::default(), &NoCluster);
        let value = if answer.is_json() {
            serde_json::from_slice(&answer.body).unwrap()
        } else {
            Value::Null
        };
        (answer, value)
    }

    #[test]
    fn allowed_echoes_uid_and_types_without_patch() {
        let body = review(
            "Namespace",
            "CREATE",
            namespace(json!({}), json!({})),
            Value::Null,
        );
        let (a, v) = run(Endpoint::Validate, &body);
        assert_eq!(a.outcome, Outcome::Allowed);
        assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(v["kind"], "AdmissionReview");
        assert_eq!(v["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(v["response"]["allowed"], true);
        assert!(v["response"].get("patch").is_none());
        assert!(v["response"].get("patchType").is_none());
        assert!(v["response"].get("status").is_none());
        let facts = a.facts.unwrap();
        assert_eq!(facts.user.as_deref(), Some("alice@example.com"));
        assert_eq!(facts.kind_label(), "Namespace");
    }

    #[test]
    fn denial_is_403_forbidden_with_every_message() {
        let body = review(
            "Namespace",
            "CREATE",
            namespace(
                json!({
                    "traffic.tetrate.io/global": "True",
                    "traffic.tetrate.io/eastwest-gateway-workload-selector": "app = gw"
                }),
                json!({"istio-injection": "enabled"}),
            ),
            Value::Null,
        );
        let (a, v) = run(Endpoint::Validate, &body);
        assert_eq!(a.outcome, Outcome::Denied);
        let r = &v["response"];
        assert_eq!(r["allowed"], false);
        assert_eq!(r["status"]["code"], 403);
        assert_eq!(r["status"]["reason"], "Forbidden");
        assert_eq!(r["status"]["status"], "Failure");
        let message = r["status"]["message"].as_str().unwrap();
        assert!(message.starts_with("2 problems:"), "{message}");
        assert!(
            message.contains("EW001 Namespace \"payments\""),
            "{message}"
        );
        assert!(
            message.contains("EW005 Namespace \"payments\""),
            "{message}"
        );
        assert_eq!(r["auditAnnotations"]["denied-rules"], "EW001,EW005");
        assert!(r.get("patch").is_none());
        assert_eq!(
            a.rules,
            vec![(RuleId::EW001, Level::Deny), (RuleId::EW005, Level::Deny)]
        );
    }

    #[test]
    fn warnings_are_single_short_lines() {
        // East-west on, no trigger label: EW030 (warn).
        let body = review(
            "Namespace",
            "CREATE",
            namespace(json!({"traffic.tetrate.io/global": "true"}), json!({})),
            Value::Null,
        );
        let (a, v) = run(Endpoint::Validate, &body);
        assert_eq!(a.outcome, Outcome::Warned);
        let r = &v["response"];
        assert_eq!(r["allowed"], true);
        let warnings = r["warnings"].as_array().unwrap();
        assert!(!warnings.is_empty());
        for w in warnings {
            let w = w.as_str().unwrap();
            assert!(w.starts_with("EW030"), "{w}");
            assert!(!w.contains(['\n', '\t', '\r']), "{w:?}");
            assert!(w.chars().count() <= 120, "{} chars: {w}", w.chars().count());
        }
        assert_eq!(r["auditAnnotations"]["warned-rules"], "EW030");
    }

    #[test]
    fn warn_only_turns_denials_into_warnings() {
        let body = review(
            "Namespace",
            "CREATE",
            namespace(json!({"traffic.tetrate.io/global": "yes"}), json!({})),
            Value::Null,
        );
        let config = Config {
            warn_only: true,
            ..Config::default()
        };
        let a = answer(Endpoint::Validate, &body, &config, &NoCluster);
        let v: Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(a.outcome, Outcome::Warned);
        assert_eq!(v["response"]["allowed"], true);
        assert!(
            v["response"]["warnings"][0]
                .as_str()
                .unwrap()
                .starts_with("EW001")
        );
    }

    #[test]
    fn mutate_patch_is_base64_json_patch_and_applies() {
        let object = namespace(
            json!({"traffic.tetrate.io/global": "true"}),
            json!({"istio-injection": "enabled"}),
        );
        let body = review("Namespace", "CREATE", object.clone(), Value::Null);
        let (a, v) = run(Endpoint::Mutate, &body);
        assert_eq!(a.outcome, Outcome::Patched);
        let r = &v["response"];
        assert_eq!(r["allowed"], true);
        assert_eq!(r["patchType"], "JSONPatch");
        let encoded = r["patch"].as_str().expect("patch is a base64 string");
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let patch: json_patch::Patch = serde_json::from_slice(&decoded).unwrap();
        let mut patched = object;
        json_patch::patch(&mut patched, &patch).unwrap();
        let ann = &patched["metadata"]["annotations"];
        assert_eq!(
            ann["traffic.tetrate.io/eastwest-gateway-name"],
            "east-west-gateway"
        );
        assert_eq!(
            ann["traffic.tetrate.io/eastwest-gateway-namespace"],
            "tetrate-system"
        );
        let defaulted = r["auditAnnotations"]["defaulted"].as_str().unwrap();
        assert!(defaulted.contains("traffic.tetrate.io/eastwest-gateway-name=east-west-gateway"));
        // The raw bytes: a JSON string, not kube's array of numbers.
        let text = String::from_utf8(a.body).unwrap();
        assert!(text.contains(&format!("\"patch\":\"{encoded}\"")), "{text}");
    }

    #[test]
    fn mutate_never_denies_and_validate_never_patches() {
        let bad = namespace(
            json!({"traffic.tetrate.io/global": "true", "traffic.tetrate.io/eastwest-gateway-name": "Bad_Name"}),
            json!({}),
        );
        let body = review("Namespace", "CREATE", bad, Value::Null);
        let (_, v) = run(Endpoint::Mutate, &body);
        assert_eq!(v["response"]["allowed"], true);
        assert!(v["response"].get("status").is_none());
        let good = namespace(
            json!({"traffic.tetrate.io/global": "true"}),
            json!({"istio-injection": "enabled"}),
        );
        let body = review("Namespace", "CREATE", good, Value::Null);
        let (_, v) = run(Endpoint::Validate, &body);
        assert!(v["response"].get("patch").is_none());
        assert!(v["response"].get("patchType").is_none());
    }

    #[test]
    fn delete_other_kinds_and_subresources_are_allowed_unpatched() {
        let ns = namespace(json!({"traffic.tetrate.io/global": "bogus"}), json!({}));
        let delete = review("Namespace", "DELETE", Value::Null, ns.clone());
        let mut status = review("Namespace", "UPDATE", ns.clone(), ns.clone());
        let mut v: Value = serde_json::from_slice(&status).unwrap();
        v["request"]["subResource"] = json!("status");
        status = serde_json::to_vec(&v).unwrap();
        let mut other = review("Namespace", "CREATE", ns.clone(), Value::Null);
        let mut v: Value = serde_json::from_slice(&other).unwrap();
        v["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "ConfigMap"});
        other = serde_json::to_vec(&v).unwrap();
        for body in [delete, status, other] {
            for endpoint in [Endpoint::Validate, Endpoint::Mutate] {
                let (a, v) = run(endpoint, &body);
                assert_eq!(a.outcome, Outcome::Allowed, "{v}");
                assert_eq!(v["response"]["allowed"], true);
                assert!(v["response"].get("patch").is_none());
                assert!(v["response"].get("warnings").is_none());
            }
        }
    }

    fn through(sub_resource: &str, kind: &str, new: Value, old: Value) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(&review(kind, "UPDATE", new, old)).unwrap();
        v["request"]["subResource"] = json!(sub_resource);
        serde_json::to_vec(&v).unwrap()
    }

    /// kube-apiserver keeps the metadata of a status or finalize write, so one that changes a
    /// traffic.tetrate.io/ key is judged like the UPDATE it is (here EW020 and EW001), and
    /// still never patched; one that leaves the keys alone is not read, even where they are
    /// wrong.
    #[test]
    fn subresource_writes_that_change_our_keys_are_judged() {
        let on = namespace(json!({"traffic.tetrate.io/global": "true"}), json!({}));
        let off = namespace(json!({}), json!({}));
        let bad = namespace(json!({"traffic.tetrate.io/global": "True"}), json!({}));
        for sub in ["status", "finalize"] {
            let leaves = through(sub, "Namespace", off.clone(), on.clone());
            let (a, v) = run(Endpoint::Validate, &leaves);
            assert_eq!(a.outcome, Outcome::Denied, "{v}");
            let message = v["response"]["status"]["message"].as_str().unwrap();
            assert!(message.contains("EW020"), "{message}");
            let (a, v) = run(Endpoint::Mutate, &leaves);
            assert_eq!(a.outcome, Outcome::Allowed, "{v}");
            assert!(v["response"].get("patch").is_none());

            let sets_bad = through(sub, "Namespace", bad.clone(), off.clone());
            let (a, v) = run(Endpoint::Validate, &sets_bad);
            assert_eq!(a.outcome, Outcome::Denied, "{v}");
            assert!(
                a.rules.iter().any(|(r, _)| *r == RuleId::EW001),
                "{:?}",
                a.rules
            );

            let unchanged = through(sub, "Namespace", bad.clone(), bad.clone());
            let (a, v) = run(Endpoint::Validate, &unchanged);
            assert_eq!(a.outcome, Outcome::Allowed, "{v}");
            assert!(v["response"].get("warnings").is_none(), "{v}");
        }
        let service = |label: &str| {
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "api", "namespace": "payments",
                                "labels": {"traffic.tetrate.io/global": label}},
                   "spec": {"type": "LoadBalancer"}})
        };
        let relabel = through("status", "Service", service("True"), service("true"));
        let (a, v) = run(Endpoint::Validate, &relabel);
        assert_eq!(a.outcome, Outcome::Denied, "{v}");
        assert!(
            a.rules.iter().any(|(r, _)| *r == RuleId::EW013),
            "{:?}",
            a.rules
        );
        let status_only = through("status", "Service", service("True"), service("True"));
        let (a, v) = run(Endpoint::Validate, &status_only);
        assert_eq!(a.outcome, Outcome::Allowed, "{v}");
    }
}
