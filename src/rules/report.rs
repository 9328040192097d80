//! Collects violations for one object, applying the configured level of each rule.

use std::borrow::Cow;

use super::config::Config;
use super::decision::{Decision, Field, Fix, ObjectRef, TextPosition, Violation};
use super::fixes::{self, Context};
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
    /// The fix, rendered after the message (and, where it fits, the summary).
    pub fix: Option<Fix>,
    /// The keys the finding depends on besides its field (a derived value's sources).
    pub depends_on: Vec<Field>,
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
            fix: None,
            depends_on: Vec::new(),
        }
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// The keys the finding depends on, when they are not (only) its field: every key a
    /// derived value comes from. Absent in both the old and the new object counts as the same.
    pub fn depends_on(mut self, keys: Vec<Field>) -> Self {
        self.depends_on = keys;
        self
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

/// A summary carries its fix only within this many characters: the server cuts a warning at
/// 256, and a note in front (a problem already there) takes up to 30. A command cut short
/// would do something else, so a fix that does not fit is left to the message.
pub const MAX_SUMMARY_WITH_FIX: usize = 220;

pub(crate) struct Report<'c> {
    pub object: ObjectRef,
    /// `object` as messages start (`Namespace "payments"`), formatted once.
    object_text: String,
    config: &'c Config,
    /// Where the messages are read: how fixes are written.
    context: Context<'c>,
    violations: Vec<Violation>,
    /// Findings past the cap, by rule and level in force.
    suppressed: Vec<(RuleId, Level, usize)>,
}

impl<'c> Report<'c> {
    pub fn new(object: ObjectRef, config: &'c Config, context: Context<'c>) -> Self {
        Report {
            object_text: object_text(&object),
            object,
            config,
            context,
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
        let rendered = finding
            .fix
            .as_ref()
            .map(|fix| fixes::render(fix, &self.context));
        let mut summary = String::with_capacity(rule.len() + 2 + finding.summary.len());
        summary.push_str(rule);
        summary.push_str(": ");
        push_one_line(&mut summary, &finding.summary);
        if let Some(r) = &rendered
            && !r.short.is_empty()
            && summary.chars().count() + r.short.chars().count() + 7 <= MAX_SUMMARY_WITH_FIX
        {
            summary.push_str("; fix: ");
            push_one_line(&mut summary, &r.short);
        }
        let fix_len = rendered.as_ref().map_or(0, |r| r.text.len() + 7);
        let mut message =
            String::with_capacity(self.object_text.len() + 2 + finding.message.len() + fix_len);
        message.push_str(&self.object_text);
        message.push_str(": ");
        message.push_str(&finding.message);
        if let Some(r) = rendered.filter(|r| !r.text.is_empty()) {
            if !message.ends_with(['.', '?', '!']) {
                message.push('.');
            }
            message.push_str(" Fix: ");
            message.push_str(&r.text);
        }
        let mut depends_on = finding.depends_on;
        if depends_on.is_empty() {
            depends_on.push(finding.field.clone());
        }
        self.violations.push(Violation {
            rule: finding.rule,
            level,
            object: self.object.clone(),
            field: finding.field,
            value: finding.value,
            position_in_value: finding.position_in_value,
            message,
            summary,
            pre_existing: false,
            fix: finding.fix,
            depends_on,
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
