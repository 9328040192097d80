//! Checks of the findings of one decision. When one fails it prints the whole decision, not
//! only the message it looked at: a message that says the wrong thing is often a finding of
//! another rule, or a second finding where one was expected.

use eastwest_guard::rules::{Decision, Level, RuleId, Violation};

/// The one violation of `rule` in `decision`: it is the only one of its rule, at `level`, and
/// its message says each of `says`.
#[track_caller]
pub fn assert_finding<'d>(
    decision: &'d Decision,
    rule: RuleId,
    level: Level,
    says: &[&str],
) -> &'d Violation {
    let of_rule: Vec<&Violation> = decision
        .violations
        .iter()
        .filter(|v| v.rule == rule)
        .collect();
    assert!(
        of_rule.len() == 1,
        "expected one {rule}, found {}: {decision:#?}",
        of_rule.len()
    );
    let v = of_rule[0];
    assert_eq!(v.level, level, "the level of {rule}: {decision:#?}");
    assert_says(decision, &v.message, says);
    v
}

/// Some violation of `rule` in `decision` (of which there may be several) has a message that
/// says each of `says`.
#[track_caller]
pub fn assert_some_finding<'d>(
    decision: &'d Decision,
    rule: RuleId,
    says: &[&str],
) -> &'d Violation {
    decision
        .violations
        .iter()
        .find(|v| v.rule == rule && says.iter().all(|s| v.message.contains(s)))
        .unwrap_or_else(|| panic!("no {rule} whose message says {says:?}: {decision:#?}"))
}

/// `text` (a message or summary of `decision`) says each of `says`.
#[track_caller]
pub fn assert_says(decision: &Decision, text: &str, says: &[&str]) {
    for s in says {
        assert!(
            text.contains(s),
            "{s:?} is not in {text:?}\nin the decision {decision:#?}"
        );
    }
}

/// `text` (a message or summary of `decision`) says none of `never`.
#[track_caller]
pub fn assert_never_says(decision: &Decision, text: &str, never: &[&str]) {
    for s in never {
        assert!(
            !text.contains(s),
            "{s:?} is in {text:?}\nin the decision {decision:#?}"
        );
    }
}

/// `text` (a command's output) holds each of `says`; on failure, prints all of it.
#[track_caller]
pub fn assert_contains(text: &str, says: &[&str]) {
    for s in says {
        assert!(text.contains(s), "{s:?} is not in:\n{text}");
    }
}

/// `text` (a command's output) holds none of `never`; on failure, prints all of it.
#[track_caller]
pub fn assert_lacks(text: &str, never: &[&str]) {
    for s in never {
        assert!(!text.contains(s), "{s:?} is in:\n{text}");
    }
}
