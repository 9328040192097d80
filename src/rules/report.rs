//! Collects violations for one object, applying the configured level of each rule.

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
            value: value.map(str::to_owned),
            position_in_value: None,
            message: String::new(),
            summary: String::new(),
        }
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

pub(crate) struct Report<'c> {
    pub object: ObjectRef,
    config: &'c Config,
    violations: Vec<Violation>,
}

impl<'c> Report<'c> {
    pub fn new(object: ObjectRef, config: &'c Config) -> Self {
        Report {
            object,
            config,
            violations: Vec::new(),
        }
    }

    pub fn push(&mut self, finding: Finding) {
        let level = match finding.base_level {
            Level::Deny => self.config.level_of(finding.rule),
            Level::Warn => Level::Warn,
        };
        let summary = one_line(&format!("{}: {}", finding.rule, finding.summary));
        self.violations.push(Violation {
            rule: finding.rule,
            level,
            object: self.object.clone(),
            field: finding.field,
            value: finding.value,
            position_in_value: finding.position_in_value,
            message: format!("{}: {}", self.object, finding.message),
            summary,
        });
    }

    pub fn into_decision(mut self) -> Decision {
        // Stable order: by rule ID, then in the order found (sort is stable).
        self.violations.sort_by_key(|v| v.rule);
        Decision {
            violations: self.violations,
        }
    }
}

/// Warnings with a newline or tab are silently dropped by kube-apiserver: keep them on one
/// line.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// A value quoted for a message, shortened when long (a 1 MiB annotation stays out of logs and
/// responses).
pub(crate) fn quote(value: &str) -> String {
    const MAX: usize = 80;
    let mut shown: String = value.chars().take(MAX).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}
