//! The engine's output: violations (with the level in force) and, for the mutating side, the
//! patch of defaults.

use std::fmt;

use serde::Serialize;

use super::ids::{Level, RuleId};

/// Which object a violation is about, as messages name it (`Namespace "payments"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} \"{}/{}\"", self.kind, ns, self.name),
            None => write!(f, "{} \"{}\"", self.kind, self.name),
        }
    }
}

/// Where in the object the problem is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "in", content = "key", rename_all = "camelCase")]
pub enum Field {
    /// `metadata.annotations[key]`
    Annotation(String),
    /// `metadata.labels[key]`
    Label(String),
    /// `spec.type`
    SpecType,
}

impl Field {
    /// The key inside `metadata.annotations` / `metadata.labels`, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Field::Annotation(k) | Field::Label(k) => Some(k),
            Field::SpecType => None,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Annotation(k) => write!(f, "metadata.annotations[\"{k}\"]"),
            Field::Label(k) => write!(f, "metadata.labels[\"{k}\"]"),
            Field::SpecType => f.write_str("spec.type"),
        }
    }
}

/// Which object a fix edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// The object the finding is about.
    Object,
    /// The Namespace of that name (a Service's finding fixed on its Namespace: EW031).
    Namespace(String),
}

/// One change of a label or an annotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Edit {
    /// Write `field` with `value` (added, or replacing the value there).
    Set {
        target: Target,
        field: Field,
        value: String,
    },
    /// Remove `field`.
    Remove { target: Target, field: Field },
}

impl Edit {
    pub fn target(&self) -> &Target {
        match self {
            Edit::Set { target, .. } | Edit::Remove { target, .. } => target,
        }
    }

    pub fn field(&self) -> &Field {
        match self {
            Edit::Set { field, .. } | Edit::Remove { field, .. } => field,
        }
    }

    /// The value written, `None` for a removal.
    pub fn value(&self) -> Option<&str> {
        match self {
            Edit::Set { value, .. } => Some(value),
            Edit::Remove { .. } => None,
        }
    }
}

/// How to fix a finding, as data: the edits that clear it without raising a new denial, done
/// as one write per object, and a note for what only a person can decide. Messages render it
/// for where the reader is: kubectl commands for an object that exists (an UPDATE through the
/// webhook), the edit of the manifest for one that does not yet (a CREATE) and in the CLI.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// Empty when the fix is a decision only a person can make (then `note` says what).
    pub edits: Vec<Edit>,
    /// Words beside the edits: why this value, what else would do, what it also changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A 1-based line and column inside a multi-line value (the cloud-annotations YAML).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: RuleId,
    /// The level in force (after `warn_only` and `warn_rules`).
    pub level: Level,
    pub object: ObjectRef,
    pub field: Field,
    /// The offending value, as written (absent when the problem is a missing thing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where inside a multi-line value the problem is (EW007 parse errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_in_value: Option<TextPosition>,
    /// The whole message for a person at a terminal: object, key, value, expectation, fix.
    pub message: String,
    /// One line for admission warnings (kubectl prints only this of a warning): about 120
    /// characters, and the fix after it where it fits in [`MAX_SUMMARY_WITH_FIX`] (a warning
    /// about a problem already there says how to fix it).
    ///
    /// [`MAX_SUMMARY_WITH_FIX`]: crate::rules::MAX_SUMMARY_WITH_FIX
    pub summary: String,
    /// On an UPDATE: the problem was there before the write, with every key it depends on
    /// holding the same value in the same place. Such a finding is a warning unless
    /// `deny_existing` is set (EW020, about the change itself, is never pre-existing).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pre_existing: bool,
    /// The fix, as data (messages render it in words and commands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// The labels and annotations the finding depends on: its field, or every key a derived
    /// value comes from (a derived gateway name: the selector and the name). What decides
    /// whether it is pre-existing.
    #[serde(skip)]
    pub depends_on: Vec<Field>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.rule, self.message)
    }
}

/// What the validating side decided.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Every violation found, denials and warnings, in rule order.
    pub violations: Vec<Violation>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        !self.violations.iter().any(|v| v.level == Level::Deny)
    }

    pub fn denials(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.level == Level::Deny)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.level == Level::Warn)
    }

    /// Rule IDs hit, in order, without repeats.
    pub fn rule_ids(&self) -> Vec<RuleId> {
        let mut ids: Vec<RuleId> = self.violations.iter().map(|v| v.rule).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The mutating side's answer: the JSON Patch of missing defaults and what it sets.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutation {
    pub patch: json_patch::Patch,
    /// (annotation key, value) pairs the patch adds, in patch order.
    pub defaulted: Vec<(String, String)>,
}
