//! The AdmissionReview written back: the decision of the rules in the wire form kube-apiserver
//! accepts (see the promises listed in [`super`]).

use std::collections::BTreeMap;

use kube::core::Status;
use kube::core::response::StatusSummary;
use serde::{Serialize, Serializer};

use super::{API_VERSION, KIND, Outcome};
use crate::rules::{self, Decision, Mutation, RuleId};

/// Hard cap on one warning, in characters: kube-apiserver truncates longer ones when the
/// warnings of a response add up to more than 4 KiB. The engine's summaries aim at 120
/// characters, and carry their fix within 220 (`rules::MAX_SUMMARY_WITH_FIX`).
const MAX_WARNING_CHARS: usize = 256;

pub(super) fn validating_response<'a>(
    mut response: WireResponse<'a>,
    decision: &Decision,
) -> (WireResponse<'a>, Outcome) {
    let warnings: Vec<String> = decision
        .warnings()
        .map(|v| one_line(&v.summary, MAX_WARNING_CHARS))
        .collect();
    let mut outcome = Outcome::Allowed;
    if !warnings.is_empty() {
        response
            .audit_annotations
            .insert("warned-rules", rule_list(decision.warnings()));
        response.warnings = Some(warnings);
        outcome = Outcome::Warned;
    }
    if !decision.allowed() {
        response
            .audit_annotations
            .insert("denied-rules", rule_list(decision.denials()));
        response.allowed = false;
        // kube's `deny()` leaves the code unset, which kube-apiserver reports as a 400.
        response.status = Some(Status {
            status: Some(StatusSummary::Failure),
            code: 403,
            message: denial_message(decision),
            reason: "Forbidden".to_owned(),
            ..Status::default()
        });
        outcome = Outcome::Denied;
    }
    (response, outcome)
}

/// The patch of a mutation, base64 on the wire, and the defaulted keys in an audit annotation.
pub(super) fn mutating_response<'a>(
    mut response: WireResponse<'a>,
    mutation: &Mutation,
) -> (WireResponse<'a>, Outcome) {
    let defaulted = mutation
        .defaulted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    // Serialising a JSON Patch cannot fail in practice; if it did, the write goes through
    // unpatched rather than being refused (mutate never denies).
    match serde_json::to_vec(&mutation.patch) {
        Ok(patch) => {
            response.patch = Some(patch);
            response.patch_type = Some("JSONPatch");
            response.audit_annotations.insert("defaulted", defaulted);
            (response, Outcome::Patched)
        }
        Err(_) => (response, Outcome::Allowed),
    }
}

/// `EW001,EW005`: the rule IDs, in order, without repeats.
fn rule_list<'a>(violations: impl Iterator<Item = &'a rules::Violation>) -> String {
    let mut ids: Vec<RuleId> = violations.map(|v| v.rule).collect();
    ids.sort();
    ids.dedup();
    ids.iter()
        .map(|id| id.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Every denial in full, each starting with its rule ID, so kubectl's
/// `admission webhook "..." denied the request: ...` shows them all.
fn denial_message(decision: &Decision) -> String {
    let denials: Vec<&rules::Violation> = decision.denials().collect();
    match denials.as_slice() {
        [one] => format!("{} {}", one.rule, one.message),
        many => {
            let mut out = format!("{} problems:", many.len());
            for v in many {
                out.push_str("\n- ");
                out.push_str(v.rule.as_str());
                out.push(' ');
                out.push_str(&v.message);
            }
            out
        }
    }
}

/// Control characters (newline, tab...) become spaces; longer than `max` characters is cut
/// with an ellipsis.
pub(super) fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    for (i, c) in s.chars().enumerate() {
        if i + 1 == max && s.chars().nth(max).is_some() {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// The AdmissionReview written to the wire.
pub(super) fn encode_response(response: WireResponse<'_>) -> Vec<u8> {
    let wire = WireReview {
        api_version: API_VERSION,
        kind: KIND,
        response,
    };
    let mut out = Vec::with_capacity(256);
    // Serialising strings, bools and a map of strings into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, &wire);
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireReview<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: WireResponse<'a>,
}

/// The response: the fields of kube's `AdmissionResponse` that this webhook sets, in their
/// wire form (built directly: kube's type serialises a patch as an array of numbers, and
/// building it cost six allocations an answer for `types` and `status` strings never sent).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireResponse<'a> {
    uid: &'a str,
    allowed: bool,
    /// Only for a denial.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_base64"
    )]
    patch: Option<Vec<u8>>,
    /// `JSONPatch` exactly when there is a patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    audit_annotations: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<String>>,
}

impl<'a> WireResponse<'a> {
    /// Allowed, nothing else said: what kube's `AdmissionResponse::from(&request)` makes.
    pub(super) fn allowed(uid: &'a str) -> Self {
        WireResponse {
            uid,
            allowed: true,
            status: None,
            patch: None,
            patch_type: None,
            audit_annotations: BTreeMap::new(),
            warnings: None,
        }
    }
}

fn serialize_base64<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine as _;
    match bytes {
        Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_cuts_and_flattens() {
        assert_eq!(one_line("a\tb\nc", 10), "a b c");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abcd", 4), "abcd");
        assert_eq!(one_line("ééééé", 3).chars().count(), 3);
    }
}
