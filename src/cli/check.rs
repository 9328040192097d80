//! `check`: judge every Namespace and Service of the input with the rules engine, as the
//! webhook would judge the writes that applying the input makes.
//!
//! Without `--old`, every object is a CREATE. With `--old`, an object in both sets is an UPDATE
//! from its old to its new manifest (so EW020 and EW021 see the transition), an object only in
//! the new set is a CREATE, and one only in the old set is a deletion, which no rule judges.
//! Cross-object facts come from the new set: that is the cluster after the change.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::cluster::{InputCluster, applied};
use super::manifests::{InputError, Inputs, Manifest, ObjectKey};
use super::yaml::Pos;
use crate::rules::{
    self, Config, Field, Fix, Level, ObjectRef, Origin, Review, RuleId, TextPosition, keys,
};

/// What a finding is about: a rule of the engine, or one of the checks of the input itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Rule(RuleId),
    /// The same object (kind, namespace, name) twice in the input.
    DuplicateObject,
    /// A `traffic.tetrate.io/` key that Kubernetes would refuse as written.
    InvalidManifest,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Rule(id) => id.as_str(),
            Code::DuplicateObject => "duplicate-object",
            Code::InvalidManifest => "invalid-manifest",
        }
    }

    /// One line saying what the check guards against.
    pub fn title(self) -> &'static str {
        match self {
            Code::Rule(id) => id.title(),
            Code::DuplicateObject => "the same object appears more than once in the input",
            Code::InvalidManifest => {
                "a traffic.tetrate.io/ value Kubernetes would refuse as written"
            }
        }
    }

    /// Every code `check` can report: the rules in ID order, then the input's own checks.
    pub fn all() -> impl Iterator<Item = Code> {
        RuleId::ALL
            .iter()
            .map(|&id| Code::Rule(id))
            .chain([Code::DuplicateObject, Code::InvalidManifest])
    }

    /// A paragraph: what is checked and why (Markdown, as the rule catalog writes it).
    pub fn description(self) -> &'static str {
        match self {
            Code::Rule(id) => id.description(),
            Code::DuplicateObject => {
                "The same object (kind, namespace and name) appears more than once in the \
                 input, and either copy has a `traffic.tetrate.io/` key (or, for a Namespace, a \
                 trigger label). Which copy a cluster ends up with depends on the tool: \
                 kustomize refuses the build, Argo CD and Flux apply one of them. Keep one; \
                 point `check` at rendered output (`kustomize build`), not at bases and \
                 overlays together."
            }
            Code::InvalidManifest => {
                "A `traffic.tetrate.io/` value Kubernetes refuses as written (a label or \
                 annotation value that is not a string, such as `true` without quotes), or a \
                 `traffic.tetrate.io/` key in a `metadata:`, `labels:` or `annotations:` block \
                 that a later block of the same object replaces."
            }
        }
    }

    /// The level before configuration: a rule's own; the input's checks deny (both become
    /// warnings under `--warn-only`).
    pub fn default_level(self) -> Level {
        match self {
            Code::Rule(id) => id.default_level(),
            Code::DuplicateObject | Code::InvalidManifest => Level::Deny,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an object was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
        }
    }
}

/// An object of the input that was judged, for the reports that list every object, not only
/// those with findings (JUnit: one test case per object).
#[derive(Clone, Debug)]
pub struct Checked {
    pub object: ObjectRef,
    pub file: Arc<str>,
    pub file_index: usize,
    /// Its `name:` key, or the start of its document.
    pub pos: Pos,
    pub operation: Operation,
}

/// One problem, placed in a file.
#[derive(Clone, Debug)]
pub struct Finding {
    pub level: Level,
    pub code: Code,
    /// The object it is about: an index into [`Outcome::checked`].
    pub subject: usize,
    pub file: Arc<str>,
    pub file_index: usize,
    pub pos: Pos,
    pub object: ObjectRef,
    pub operation: Operation,
    pub field: Option<Field>,
    pub value: Option<String>,
    pub position_in_value: Option<TextPosition>,
    /// The whole message, starting with the object (`Namespace "payments": ...`).
    pub message: String,
    /// One short line (starts with the code).
    pub summary: String,
    /// Judged as an UPDATE, the problem was in the old manifest too, with the same keys: a
    /// warning unless `--deny-existing` (the level an enforcing webhook gives a write that
    /// leaves those keys as they are).
    pub pre_existing: bool,
    /// The fix as data (the message says it in words).
    pub fix: Option<Fix>,
}

impl Finding {
    /// The message without its leading object, for formats that show the object already.
    pub fn message_after_object(&self) -> &str {
        let prefix = format!("{}: ", self.object);
        self.message
            .strip_prefix(prefix.as_str())
            .unwrap_or(&self.message)
    }
}

/// The outcome of a check: findings and the counts for the summary.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Every Namespace and Service of the new input, in input order.
    pub checked: Vec<Checked>,
    pub input_errors: Vec<InputError>,
    pub files: usize,
    pub documents: usize,
    pub namespaces: usize,
    pub services: usize,
    /// Counts of the `--old` input, when given.
    pub old: Option<OldCounts>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct OldCounts {
    pub files: usize,
    pub objects: usize,
    /// Objects updated (in both sets) and deleted (only in the old set).
    pub updated: usize,
    pub deleted: usize,
}

impl Outcome {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Deny)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Warn)
            .count()
    }

    pub fn objects(&self) -> usize {
        self.namespaces + self.services
    }

    /// 2 when some input could not be read, else 1 when something is denied (or warned, with
    /// `fail_on_warning`), else 0.
    pub fn exit_code(&self, fail_on_warning: bool) -> u8 {
        if !self.input_errors.is_empty() {
            2
        } else if self.errors() > 0 || (fail_on_warning && self.warnings() > 0) {
            1
        } else {
            0
        }
    }
}

/// Judges `new` (against `old`, when given) with `config`.
pub fn check(new: &Inputs, old: Option<&Inputs>, config: &Config) -> Outcome {
    let view = InputCluster::new(&new.manifests);
    // EW022 compares the old Service in its old Namespace with the new one in its new one.
    let view = match old {
        Some(old) => view.with_before(&old.manifests),
        None => view,
    };
    let mut outcome = Outcome {
        files: new.files.len(),
        documents: new.documents,
        input_errors: new.errors.clone(),
        ..Outcome::default()
    };

    let old_index: HashMap<ObjectKey, &Manifest> = match old {
        Some(old) => {
            outcome.input_errors.extend(old.errors.iter().cloned());
            // Of a repeated object, the last copy is what `kubectl apply` left.
            applied(&old.manifests)
                .filter_map(|m| Some((m.key()?, m)))
                .collect()
        }
        None => HashMap::new(),
    };

    let mut first_seen: HashMap<ObjectKey, &Manifest> = HashMap::new();
    for m in &new.manifests {
        match m.kind {
            rules::ResourceKind::Namespace => outcome.namespaces += 1,
            _ => outcome.services += 1,
        }
        let key = m.key();
        let before = key.as_ref().and_then(|k| old_index.get(k)).copied();
        let operation = match before {
            Some(_) => Operation::Update,
            None => Operation::Create,
        };
        let subject = outcome.checked.len();
        outcome.checked.push(Checked {
            object: object_ref(m),
            file: m.file.clone(),
            file_index: m.file_index,
            pos: m.positions.name.unwrap_or(m.positions.start),
            operation,
        });
        if let Some(key) = key {
            match first_seen.get(&key) {
                // Objects the guard has no business with, even twice (kustomize bases and
                // overlays, one folder per environment): see `matters_twice`.
                Some(first) if matters_twice(m, config) || matters_twice(first, config) => {
                    outcome
                        .findings
                        .push(duplicate(m, first, subject, operation, config));
                }
                Some(_) => {}
                None => {
                    first_seen.insert(key, m);
                }
            }
        }
        judge(
            m,
            before,
            subject,
            old.is_some(),
            config,
            &view,
            &mut outcome.findings,
        );
    }
    if let Some(old) = old {
        outcome.old = Some(OldCounts {
            files: old.files.len(),
            objects: old.manifests.len(),
            updated: first_seen
                .keys()
                .filter(|k| old_index.contains_key(*k))
                .count(),
            deleted: old_index
                .keys()
                .filter(|k| !first_seen.contains_key(*k))
                .count(),
        });
    }
    // Stable: file order, then position, then the engine's rule order.
    outcome
        .findings
        .sort_by_key(|f| (f.file_index, f.pos.line, f.pos.column));
    outcome
}

fn judge(
    m: &Manifest,
    before: Option<&Manifest>,
    subject: usize,
    have_old: bool,
    config: &Config,
    view: &InputCluster,
    findings: &mut Vec<Finding>,
) {
    let (review, operation) = match before {
        Some(old) => (
            Review::update(m.kind, &old.object, &m.object),
            Operation::Update,
        ),
        None => (Review::create(m.kind, &m.object), Operation::Create),
    };
    let review = review.with_origin(Origin::Manifests);
    let review = match &m.namespace {
        Some(ns) => review.with_namespace(Some(ns)),
        None => review,
    };
    let decision = rules::validate(&review, config, view);

    // EW022 reports a change of exposure. Without --old there is no "before": every labelled
    // Service would "become exposed" on every run, so stay quiet. With --old, a Service that is
    // new in this change does become exposed, except next to a namespace-level Namespace,
    // where every Service is exposed by design: say nothing. But a `"false"` label there is an opt-out that
    // keeps nothing private, with or without --old: that is said.
    let quiet_ew022 = operation == Operation::Create
        && (!have_old
            || m.namespace
                .as_deref()
                .is_some_and(|ns| view.is_namespace_level(ns)));

    for v in decision.violations {
        if quiet_ew022 && v.rule == RuleId::EW022 && v.value.as_deref() != Some("false") {
            continue;
        }
        findings.push(Finding {
            level: v.level,
            code: Code::Rule(v.rule),
            subject,
            file: m.file.clone(),
            file_index: m.file_index,
            pos: m.positions.locate(&v.field, v.position_in_value),
            object: v.object,
            operation,
            field: Some(v.field),
            value: v.value,
            position_in_value: v.position_in_value,
            message: v.message,
            summary: v.summary,
            pre_existing: v.pre_existing,
            fix: v.fix,
        });
    }
    for p in &m.problems {
        let object = object_ref(m);
        findings.push(Finding {
            level: input_check_level(config),
            code: Code::InvalidManifest,
            subject,
            file: m.file.clone(),
            file_index: m.file_index,
            pos: p.pos,
            message: format!("{object}: {}", p.message),
            summary: format!("{}: {}", Code::InvalidManifest, p.summary),
            object,
            operation,
            field: Some(p.field.clone()),
            value: p
                .field
                .key()
                .and_then(|k| match &p.field {
                    Field::Label(_) => m.object.label(k),
                    _ => m.object.annotation(k),
                })
                .map(str::to_owned),
            position_in_value: None,
            pre_existing: false,
            fix: None,
        });
    }
}

/// Whether a second copy of this object could change what the guard judges: it has a
/// `traffic.tetrate.io/` key, or it is a Namespace with a trigger label (which decides whether
/// the Services labelled in it are exposed: EW031).
fn matters_twice(m: &Manifest, config: &Config) -> bool {
    keys::has_tetrate_key(&m.object)
        || (m.kind == rules::ResourceKind::Namespace
            && config.trigger_label(m.object.labels()).is_some())
}

/// The level of the input's own checks: deny, or warn under `--warn-only` (which turns every
/// deny into a warning).
fn input_check_level(config: &Config) -> Level {
    if config.warn_only {
        Level::Warn
    } else {
        Level::Deny
    }
}

fn duplicate(
    m: &Manifest,
    first: &Manifest,
    subject: usize,
    operation: Operation,
    config: &Config,
) -> Finding {
    let object = object_ref(m);
    let first_line = first.positions.name.unwrap_or(first.positions.start).line;
    let message = format!(
        "is also defined at {}:{}; each object must appear once in the input, or which one \
         is applied depends on the tool (kustomize refuses the build, Argo CD and Flux apply \
         one of them). Fix: keep one. (Pointing check at kustomize bases and overlays reads \
         patches as objects: check the output of kustomize build instead.)",
        first.file, first_line
    );
    Finding {
        level: input_check_level(config),
        code: Code::DuplicateObject,
        subject,
        file: m.file.clone(),
        file_index: m.file_index,
        pos: m.positions.name.unwrap_or(m.positions.start),
        summary: format!(
            "{}: also defined at {}:{}",
            Code::DuplicateObject,
            first.file,
            first_line
        ),
        message: format!("{object}: {message}"),
        object,
        operation,
        field: None,
        value: None,
        position_in_value: None,
        pre_existing: false,
        fix: None,
    }
}

/// The object as the engine names it in messages.
fn object_ref(m: &Manifest) -> ObjectRef {
    let name = m.object.name();
    ObjectRef {
        kind: match m.kind {
            rules::ResourceKind::Namespace => "Namespace".into(),
            _ => "Service".into(),
        },
        namespace: m.namespace.clone(),
        name: if name.is_empty() {
            "<unnamed>".into()
        } else {
            name.into()
        },
    }
}
