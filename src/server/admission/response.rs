//! The AdmissionReview written back: the decision of the rules in the wire form kube-apiserver
//! accepts (see the promises listed in [`super`]).

use std::collections::BTreeMap;

use kube::core::Status;
use kube::core::response::StatusSummary;
use serde::{Serialize, Serializer};

use super::{API_VERSION, KIND, Outcome};
use crate::rules::{self, Decision, Mutation, RuleId};
use crate::server::escape;

/// Hard cap on one warning, in characters: kube-apiserver truncates longer ones when the
/// warnings of a response add up to more than 4 KiB. The engine's summaries aim at 120
/// characters, and carry their fix only where the whole fits in 220
/// (`rules::MAX_SUMMARY_WITH_FIX`), leaving room for the "already there" mark: so this cut
/// (and [`MAX_WORD_CHARS`], which only a summary with no room for its fix can reach) drops a
/// fix only where escaping control characters a client sent made the summary longer.
const MAX_WARNING_CHARS: usize = 256;

/// Warnings in one answer (the last says how many more there were): kube-apiserver keeps at
/// most 4 KiB of a response's warnings, 16 of the longest.
pub const MAX_WARNINGS: usize = 16;

/// Hard cap on `status.message`, in bytes: the problems that fit, then how many more there
/// were (the `denied-rules` audit annotation names every rule).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// One problem as `status.message` lists it, in characters.
const MAX_PROBLEM_CHARS: usize = 2048;

/// A word (a name, a namespace, a key) as an answer shows it: the longest name Kubernetes
/// allows any object (a DNS-1123 subdomain). Longer ones come only from a direct client.
pub const MAX_WORD_CHARS: usize = 253;

/// An audit annotation's value, in characters (kube-apiserver keeps them in every audit event).
const MAX_AUDIT_VALUE_CHARS: usize = 1024;

/// Client text as an answer shows it: escaped ([`escape`]), every word cut to
/// [`MAX_WORD_CHARS`], at most `max_chars` characters.
pub(super) fn shown(text: &str, max_chars: usize) -> String {
    let escaped = escape::escape(text, max_chars);
    let clipped = escape::clip_words(&escaped, MAX_WORD_CHARS);
    // Escapes make the text longer than what was cut from it.
    match clipped.char_indices().nth(max_chars) {
        Some((at, _)) if max_chars > 0 => {
            let end = clipped[..at]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
            format!("{}…", &clipped[..end])
        }
        _ => clipped.into_owned(),
    }
}

pub(super) fn validating_response<'a>(
    mut response: WireResponse<'a>,
    decision: &Decision,
) -> (WireResponse<'a>, Outcome) {
    let mut warnings: Vec<String> = decision
        .warnings()
        .map(|v| shown(&v.summary, MAX_WARNING_CHARS))
        .collect();
    if warnings.len() > MAX_WARNINGS {
        let more = warnings.len() - (MAX_WARNINGS - 1);
        warnings.truncate(MAX_WARNINGS - 1);
        warnings.push(format!(
            "{more} more warnings not shown (the audit annotation warned-rules names every rule)"
        ));
    }
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
    let defaulted = shown(
        &mutation
            .defaulted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        MAX_AUDIT_VALUE_CHARS,
    );
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

/// Every denial, each starting with its rule ID, so kubectl's
/// `admission webhook "..." denied the request: ...` shows them all: each problem on one line
/// (escaped, so a name cannot start a line of its own), within [`MAX_MESSAGE_BYTES`].
fn denial_message(decision: &Decision) -> String {
    let denials: Vec<&rules::Violation> = decision.denials().collect();
    let problem = |v: &rules::Violation| {
        let mut line = String::with_capacity(v.message.len() + 8);
        line.push_str(v.rule.as_str());
        line.push(' ');
        line.push_str(&shown(&v.message, MAX_PROBLEM_CHARS));
        line
    };
    match denials.as_slice() {
        [one] => problem(one),
        many => {
            let mut out = format!("{} problems:", many.len());
            for (i, v) in many.iter().enumerate() {
                let line = problem(v);
                // Room for this line and the one saying how many more there are.
                if out.len() + 3 + line.len() + 160 > MAX_MESSAGE_BYTES {
                    out.push_str(&format!(
                        "\n- and {} more (the message is cut at {} bytes; the audit annotation \
                         denied-rules names every rule)",
                        many.len() - i,
                        MAX_MESSAGE_BYTES
                    ));
                    break;
                }
                out.push_str("\n- ");
                out.push_str(&line);
            }
            out
        }
    }
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
    fn shown_text_is_escaped_one_line_and_cut() {
        assert_eq!(shown("a\tb\nc", 100), "a\\u{9}b\\u{a}c");
        assert_eq!(shown("abcdef", 4), "abc…");
        assert_eq!(shown("abcd", 4), "abcd");
        assert_eq!(shown("ééééé", 3).chars().count(), 3);
        // Escapes count toward the cut.
        assert_eq!(shown("\u{1b}\u{1b}", 8), "\\u{1b}\\…");
        let long = format!("Namespace \"{}\": bad", "n".repeat(300));
        let out = shown(&long, 1000);
        assert!(
            out.split_whitespace()
                .all(|w| w.chars().count() <= MAX_WORD_CHARS),
            "{out}"
        );
    }
}
