//! What must hold of every answer of the request path (`admission::answer`), whatever the
//! bytes: shared by the fuzz targets (`fuzz/`, included with `#[path]`) and the property tests
//! (`tests/server/props.rs`), so CI, which does not fuzz, checks the same things.
//!
//! Depends only on `eastwest_guard`, `serde` (derive), `serde_json`, `base64` and `json_patch`.
#![allow(dead_code)]

use base64::Engine as _;
use eastwest_guard::rules::{ClusterView, Config, Lookup, NamespaceFacts, NoCluster, ServicesOf};
use eastwest_guard::server::admission::{self, Answer, Endpoint, Outcome};
use serde_json::Value;

/// A cluster where every Namespace exists with a trigger label and some Services, so the
/// rules that need cluster facts (EW020, EW022, EW031, EW032) run too.
pub struct BusyCluster;

impl ClusterView for BusyCluster {
    fn namespace(&self, name: &str) -> Lookup<std::sync::Arc<NamespaceFacts>> {
        if name.len().is_multiple_of(3) {
            return Lookup::Missing;
        }
        let mut facts = NamespaceFacts::default();
        facts.labels.insert("istio-injection", "enabled");
        if name.len().is_multiple_of(2) {
            facts
                .annotations
                .insert("traffic.tetrate.io/global", "true");
        }
        Lookup::Found(std::sync::Arc::new(facts))
    }

    fn services(&self, namespace: &str) -> Lookup<ServicesOf> {
        Lookup::Found(ServicesOf {
            labelled: namespace.len() % 2,
            unlabelled_first: vec!["a".to_owned(), "b".to_owned()],
            unlabelled: 2,
        })
    }
}

/// The request's object as the server's typed reader sees it, written back as JSON.
fn typed_object(body: &[u8]) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        request: Request,
    }
    #[derive(serde::Deserialize)]
    struct Request {
        #[serde(default)]
        object: Option<eastwest_guard::rules::ObjectView>,
    }
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    serde_json::to_value(envelope.request.object?).ok()
}

/// Runs `body` through both endpoints under the default configuration without a cluster,
/// and through `/validate` in warn-only mode with [`BusyCluster`], checking every answer.
pub fn check_all(body: &[u8]) -> Result<(), String> {
    let default = Config::default();
    for endpoint in [Endpoint::Validate, Endpoint::Mutate] {
        let answer = admission::answer(endpoint, body, &default, &NoCluster);
        check(endpoint, body, &answer, false)?;
    }
    let warn_only = Config {
        warn_only: true,
        ..Config::default()
    };
    let answer = admission::answer(Endpoint::Validate, body, &warn_only, &BusyCluster);
    check(Endpoint::Validate, body, &answer, true)?;
    let answer = admission::answer(Endpoint::Mutate, body, &default, &BusyCluster);
    check(Endpoint::Mutate, body, &answer, false)
}

/// The invariants of one answer to `body` on `endpoint`.
pub fn check(
    endpoint: Endpoint,
    body: &[u8],
    answer: &Answer,
    warn_only: bool,
) -> Result<(), String> {
    macro_rules! ensure {
        ($cond:expr, $($fmt:tt)+) => {
            if !$cond {
                return Err(format!($($fmt)+));
            }
        };
    }
    if answer.http_status != 200 {
        // Refused: a 4xx with a one-line reason, counted as a bad request, no facts.
        ensure!(
            (400..500).contains(&answer.http_status),
            "status {} for a refused body",
            answer.http_status
        );
        ensure!(
            answer.outcome == Outcome::BadRequest,
            "outcome {:?} on a 4xx",
            answer.outcome
        );
        ensure!(answer.facts.is_none(), "facts on a 4xx");
        let text = std::str::from_utf8(&answer.body)
            .map_err(|e| format!("4xx reason is not UTF-8: {e}"))?;
        ensure!(
            text.ends_with('\n'),
            "4xx reason without a final newline: {text:?}"
        );
        ensure!(
            !text[..text.len() - 1].contains(['\n', '\r']),
            "4xx reason on more than one line: {text:?}"
        );
        return Ok(());
    }
    ensure!(
        answer.outcome != Outcome::BadRequest,
        "bad_request with a 200"
    );
    let v: Value = serde_json::from_slice(&answer.body).map_err(|e| {
        format!(
            "200 body is not JSON ({e}): {}",
            String::from_utf8_lossy(&answer.body)
        )
    })?;
    ensure!(v["apiVersion"] == "admission.k8s.io/v1", "apiVersion: {v}");
    ensure!(v["kind"] == "AdmissionReview", "kind: {v}");
    let r = &v["response"];
    ensure!(r.is_object(), "no response object: {v}");
    let uid = r["uid"]
        .as_str()
        .ok_or_else(|| format!("no response.uid: {v}"))?;
    let facts = answer.facts.as_ref().ok_or("a 200 without facts")?;
    ensure!(
        facts.uid == uid,
        "facts uid {:?} != response uid {uid:?}",
        facts.uid
    );
    // The uid echoed is the one sent. The input is read as a JSON value to compare, which can
    // fail where the typed read did not: the server skips fields it does not need
    // (managedFields, unknown keys) without checking them, so invalid UTF-8 there is answered
    // (kube-apiserver never sends it): read such bytes as U+FFFD. Past
    // serde_json's nesting limit in a skipped part, the value read fails: no comparison then.
    let input: Option<Value> = serde_json::from_slice(body)
        .ok()
        .or_else(|| serde_json::from_str(&String::from_utf8_lossy(body)).ok());
    if let Some(sent) = input.as_ref().and_then(|i| i.pointer("/request/uid")) {
        ensure!(
            sent.as_str() == Some(uid),
            "uid sent {sent} echoed as {uid:?}"
        );
    }
    let allowed = r["allowed"]
        .as_bool()
        .ok_or_else(|| format!("allowed not a bool: {r}"))?;
    // patchType exactly when patch.
    ensure!(
        r.get("patch").is_some() == r.get("patchType").is_some(),
        "patch and patchType must go together: {r}"
    );
    match endpoint {
        Endpoint::Validate => {
            ensure!(r.get("patch").is_none(), "/validate patched: {r}");
            ensure!(
                matches!(
                    answer.outcome,
                    Outcome::Allowed | Outcome::Warned | Outcome::Denied
                ),
                "/validate outcome {:?}",
                answer.outcome
            );
            ensure!(
                allowed == (answer.outcome != Outcome::Denied),
                "allowed vs outcome: {r}"
            );
            if warn_only {
                ensure!(allowed, "warn-only denied: {r}");
            }
            if !allowed {
                ensure!(r["status"]["code"] == 403, "denial without code 403: {r}");
                ensure!(
                    r["status"]["reason"] == "Forbidden",
                    "denial not Forbidden: {r}"
                );
                ensure!(
                    r["status"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                    "denial without a message: {r}"
                );
            }
        }
        Endpoint::Mutate => {
            ensure!(allowed, "/mutate denied: {r}");
            ensure!(r.get("status").is_none(), "/mutate set a status: {r}");
            ensure!(r.get("warnings").is_none(), "/mutate warned: {r}");
            ensure!(
                matches!(answer.outcome, Outcome::Allowed | Outcome::Patched),
                "/mutate outcome {:?}",
                answer.outcome
            );
            ensure!(
                (answer.outcome == Outcome::Patched) == r.get("patch").is_some(),
                "patched outcome vs patch: {r}"
            );
        }
    }
    if let Some(patch) = r.get("patch") {
        ensure!(r["patchType"] == "JSONPatch", "patchType: {r}");
        let encoded = patch
            .as_str()
            .ok_or_else(|| format!("patch is not a string: {r}"))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| format!("patch is not base64 ({e}): {encoded}"))?;
        let patch: json_patch::Patch = serde_json::from_slice(&decoded).map_err(|e| {
            format!(
                "patch is not a JSON Patch ({e}): {}",
                String::from_utf8_lossy(&decoded)
            )
        })?;
        // It applies to the object that was sent, as kube-apiserver will apply it. Where the
        // input does not read as a JSON value (a lone surrogate escape in a field the server
        // skips unread), to the object as the server read it.
        let mut object = match input.as_ref().and_then(|i| i.pointer("/request/object")) {
            Some(object) => object.clone(),
            None => typed_object(body)
                .ok_or("a patch for a request whose object the server could not have read")?,
        };
        json_patch::patch(&mut object, &patch)
            .map_err(|e| format!("the patch does not apply to the object: {e}"))?;
    }
    if let Some(warnings) = r.get("warnings") {
        let warnings = warnings
            .as_array()
            .ok_or_else(|| format!("warnings not a list: {r}"))?;
        ensure!(!warnings.is_empty(), "empty warnings list: {r}");
        for w in warnings {
            let w = w
                .as_str()
                .ok_or_else(|| format!("warning not a string: {r}"))?;
            ensure!(
                !w.chars().any(char::is_control),
                "control character in warning {w:?}"
            );
            ensure!(
                w.chars().count() <= 256,
                "warning over 256 characters: {w:?}"
            );
        }
    }
    if let Some(audit) = r.get("auditAnnotations") {
        let audit = audit
            .as_object()
            .ok_or_else(|| format!("auditAnnotations: {r}"))?;
        for (key, value) in audit {
            ensure!(
                !key.is_empty() && key.len() <= 63 && !key.contains('/'),
                "audit annotation key {key:?}"
            );
            ensure!(value.is_string(), "audit annotation {key} not a string");
        }
    }
    Ok(())
}
