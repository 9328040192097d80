//! The text of fixes, shared by the Namespace and Service sides: booleans as the user meant
//! them, and a fix command shortened for a summary.

use super::report::quote;

/// A fix command without its parenthesised note, for a summary.
pub(crate) fn short_fix(fix: &str) -> &str {
    fix.split_once(" (").map_or(fix, |(command, _)| command)
}

/// The boolean a near-boolean (`True`, `yes`, `ture`) plainly means; `None` when it is not plain.
pub(crate) fn intended_bool(v: &str) -> Option<&'static str> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" | "1" | "enabled" | "ture" | "treu" | "tru" => Some("true"),
        "false" | "no" | "n" | "off" | "0" | "disabled" | "flase" | "fasle" | "fals" => {
            Some("false")
        }
        _ => None,
    }
}

/// The value a fix writes for a boolean key whose value `v` is misplaced or not exactly
/// `true`/`false`: the boolean `v` plainly means, else `today` (what the agent does now, which
/// the fix then keeps: a copied fix never exposes more than the user asked for), with a note
/// saying so.
pub(crate) fn bool_for_fix(v: &str, today: &'static str) -> (&'static str, String) {
    match intended_bool(v) {
        Some(b) => (b, String::new()),
        None => (
            today,
            format!(
                " ({} is neither true nor false; {today} keeps what the agent does today)",
                quote(v)
            ),
        ),
    }
}

/// How to fix a near-boolean annotation: the intended value when it is obvious.
pub(crate) fn bool_fix(v: &str, key: &str) -> String {
    match intended_bool(v) {
        Some(b) => format!("write {key}: \"{b}\""),
        None => format!("write {key}: \"true\" or \"false\""),
    }
}
