//! Collects violations for one object, applying the configured level of each rule.

use std::borrow::Cow;

use super::config::Config;
use super::decision::{Decision, Field, ObjectRef, TextPosition, Violation};
use super::ids::{Level, RuleId};

/// One violation being written: the parts that every rule fills in.
pub(crate) struct Finding {
    pub rule: RuleId,
    /// The level SPEC.md gives this finding (EW011 has both: deny for `eastwest-*` typos,
    /// warn for other unknown keys).
    pub base_level: Level,
    pub field: Field,
    pub value: Option<String>,
    pub position_in_value: Option<TextPosition>,
    /// The message after `<object>: `.
    pub message: String,
    /// A short form (without the object, which the reader knows) for admission warnings.
    pub summary: String,
}

impl Finding {
    pub fn new(rule: RuleId, field: Field, value: Option<&str>) -> Self {
        Finding {
            rule,
            base_level: rule.default_level(),
            field,
            value: value.map(clip),
            position_in_value: None,
            message: String::new(),
            summary: String::new(),
        }
    }

    /// A finding past the cap: only counted, so it needs no message.
    pub fn counted(rule: RuleId, field: Field) -> Self {
        Finding::new(rule, field, None)
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    pub fn level(mut self, level: Level) -> Self {
        self.base_level = level;
        self
    }

    pub fn at(mut self, position: Option<TextPosition>) -> Self {
        self.position_in_value = position;
        self
    }
}

/// At most this many findings of one rule are reported per object; the last one says how many
/// more there were. An annotation can be 256 KiB (a selector of commas, a map of repeated keys):
/// reporting each problem would make answers grow with the square of the input.
pub(crate) const MAX_FINDINGS_PER_RULE: usize = 10;

/// Offending values are kept to this many characters in a violation (messages quote less).
const MAX_VALUE_CHARS: usize = 256;

pub(crate) struct Report<'c> {
    pub object: ObjectRef,
    /// `object` as messages start (`Namespace "payments"`), formatted once.
    object_text: String,
    config: &'c Config,
    violations: Vec<Violation>,
    /// Findings past the cap, by rule and level in force.
    suppressed: Vec<(RuleId, Level, usize)>,
}

impl<'c> Report<'c> {
    pub fn new(object: ObjectRef, config: &'c Config) -> Self {
        Report {
            object_text: object_text(&object),
            object,
            config,
            violations: Vec::new(),
            suppressed: Vec::new(),
        }
    }

    pub fn push(&mut self, finding: Finding) {
        let level = match finding.base_level {
            Level::Deny => self.config.level_of(finding.rule),
            Level::Warn => Level::Warn,
        };
        // Capped per rule and level, so a suppressed finding never hides a denial.
        if self.shown(finding.rule, level) >= MAX_FINDINGS_PER_RULE {
            match self
                .suppressed
                .iter_mut()
                .find(|(r, l, _)| *r == finding.rule && *l == level)
            {
                Some((_, _, n)) => *n += 1,
                None => self.suppressed.push((finding.rule, level, 1)),
            }
            return;
        }
        let rule = finding.rule.as_str();
        let mut summary = String::with_capacity(rule.len() + 2 + finding.summary.len());
        summary.push_str(rule);
        summary.push_str(": ");
        push_one_line(&mut summary, &finding.summary);
        let mut message = String::with_capacity(self.object_text.len() + 2 + finding.message.len());
        message.push_str(&self.object_text);
        message.push_str(": ");
        message.push_str(&finding.message);
        self.violations.push(Violation {
            rule: finding.rule,
            level,
            object: self.object.clone(),
            field: finding.field,
            value: finding.value,
            position_in_value: finding.position_in_value,
            message,
            summary,
        });
    }

    /// Whether further findings of `rule` would only be counted: callers skip the costly part
    /// of a message (a nearest-key search) and push [`Finding::counted`] instead.
    pub fn is_full(&self, rule: RuleId, base_level: Level) -> bool {
        let level = match base_level {
            Level::Deny => self.config.level_of(rule),
            Level::Warn => Level::Warn,
        };
        self.shown(rule, level) >= MAX_FINDINGS_PER_RULE
    }

    fn shown(&self, rule: RuleId, level: Level) -> usize {
        self.violations
            .iter()
            .filter(|v| v.rule == rule && v.level == level)
            .count()
    }

    pub fn into_decision(mut self) -> Decision {
        for (rule, level, n) in std::mem::take(&mut self.suppressed) {
            if let Some(last) = self
                .violations
                .iter_mut()
                .rev()
                .find(|v| v.rule == rule && v.level == level)
            {
                last.message.push_str(&format!(
                    " (and {n} more {rule} problems on this object, not shown)"
                ));
            }
        }
        // Stable order: by rule ID, then in the order found (sort is stable).
        self.violations.sort_by_key(|v| v.rule);
        Decision {
            violations: self.violations,
        }
    }
}

/// What `ObjectRef`'s `Display` writes (`Service "payments/ledger"`), without `format!`.
fn object_text(o: &ObjectRef) -> String {
    match o.namespace.as_deref() {
        Some(ns) => concat(&[&o.kind, " \"", ns, "/", &o.name, "\""]),
        None => concat(&[&o.kind, " \"", &o.name, "\""]),
    }
}

/// The parts, joined, in one allocation: for messages built on every decision, where
/// `format!` (a growing buffer, a `Formatter` per argument) cost more than the rule itself.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| out.push_str(p));
    out
}

/// Warnings with a newline or tab are silently dropped by kube-apiserver: appends `s` to `out`
/// on one line (control characters become spaces).
fn push_one_line(out: &mut String, s: &str) {
    // Printable ASCII (nearly every summary) is checked byte by byte, without decoding.
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) || !s.chars().any(char::is_control) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        out.push(if c.is_control() { ' ' } else { c });
    }
}

/// `value` cut to `max_chars` characters, marked `…` when cut.
pub(crate) fn shorten(value: &str, max_chars: usize) -> Cow<'_, str> {
    match value.char_indices().nth(max_chars) {
        Some((at, _)) => Cow::Owned(format!("{}…", &value[..at])),
        None => Cow::Borrowed(value),
    }
}

/// A value cut to [`MAX_VALUE_CHARS`] characters, marked when cut.
fn clip(value: &str) -> String {
    shorten(value, MAX_VALUE_CHARS).into_owned()
}

/// A value as one shell word, for a kubectl command in a message.
pub(crate) fn shell_word(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,=/:".contains(c))
    {
        v.to_owned()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

/// A value quoted for a message, shortened when long (a 1 MiB annotation stays out of logs and
/// responses).
pub(crate) fn quote(value: &str) -> String {
    format!("{:?}", shorten(value, 80))
}
