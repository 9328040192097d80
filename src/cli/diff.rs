//! `eastwest-guard diff --old PATH... --new PATH...`: the change in cross-cluster exposure
//! between two sets of manifests, as the exposure model of each sees it: Services that become
//! exposed or stop being exposed, gateways created, moved, updated or removed, and Namespaces
//! whose mode or workspace changes. Also printed by `check --old ... --summary`.
//!
//! [`compare`] is pure (model in, model in, changes out); the rest is output: text, JSON
//! (docs/explain-diff-output.md) and Markdown for a pull-request comment.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::explain::{
    json_input_errors, usage_error, validate_inputs, write_json_value, write_out,
};
use super::exposure::{self, Location, Model, NamespaceModel, ServiceModel};
use super::manifests::{self, InputError, ReadOptions};
use super::output::input_error_line;
use crate::rules::model::{CloudParser, ExposureMode, GatewayState, Reason, Trigger};
use crate::rules::{Config, RuleId};

/// The version of the diff JSON document; bumped on any change that could break a reader.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffFormat {
    /// A readable report.
    #[default]
    Text,
    /// One JSON document (see docs/explain-diff-output.md).
    Json,
    /// Markdown to post as a pull-request comment.
    Markdown,
}

/// `eastwest-guard diff`: what a change does to cross-cluster exposure.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Each --old and --new takes one path; repeat the flag for more \
    (--old a.yaml --old b/ --new c/).\n\nExit status: 0 whatever the diff; 1 with \
    --fail-on-new-exposure when some Service becomes exposed cross-cluster; 2 when an input \
    cannot be read or parsed, or a flag is wrong.\n\nExamples:\n  eastwest-guard diff --old \
    ../base/manifests --new manifests/\n  kustomize build overlays/prod | eastwest-guard diff \
    --old ../base/rendered.yaml --new - --output markdown"
)]
pub struct DiffArgs {
    /// The manifests before the change (e.g. a checkout of the base branch): a file, a
    /// directory or `-`, one per --old (repeat it for more).
    #[arg(long, value_name = "PATH", required = true)]
    pub old: Vec<PathBuf>,

    /// The manifests after the change: a file, a directory or `-`, one per --new (repeat it).
    #[arg(long, value_name = "PATH", required = true)]
    pub new: Vec<PathBuf>,

    /// The namespace of Services whose manifest sets none.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,

    /// Exit 1 when some Service becomes exposed cross-cluster (a gate for an explicit approval).
    #[arg(long)]
    pub fail_on_new_exposure: bool,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

pub fn run_diff(args: DiffArgs) -> ExitCode {
    const CMD: &str = "diff";
    let config = match args.rules.to_config() {
        Ok(config) => config,
        Err(why) => return usage_error(CMD, &why),
    };
    if let Err(why) = validate_inputs(&args.namespace, args.old.iter().chain(&args.new)) {
        return usage_error(CMD, &why);
    }
    let options = ReadOptions {
        default_namespace: args.namespace.clone(),
    };
    let old = manifests::read(&args.old, &options);
    let new = manifests::read(&args.new, &options);
    let mut input_errors = old.errors.clone();
    input_errors.extend(new.errors.iter().cloned());
    let report = Report::new(
        &exposure::model(&old, &config),
        &exposure::model(&new, &config),
        input_errors,
        &config,
    );
    let code = report.exit_code(args.fail_on_new_exposure);
    let written = write_out(CMD, |out, err| write(args.output, &report, code, out, err));
    match written {
        Ok(()) => ExitCode::from(code),
        Err(code) => code,
    }
}

/// Writes the report in `format` to `out`; in text and Markdown, input errors go to `err` (the
/// JSON document holds them). `exit_code` is recorded in the JSON summary.
pub fn write(
    format: DiffFormat,
    report: &Report,
    exit_code: u8,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    if format != DiffFormat::Json {
        for e in &report.input_errors {
            writeln!(err, "{}", input_error_line(e))?;
        }
    }
    match format {
        DiffFormat::Text => write_text(report, out),
        DiffFormat::Json => write_json(report, exit_code, out),
        DiffFormat::Markdown => write_markdown(report, out),
    }
}

/// The diff of two inputs, or why it could not be computed.
pub struct Report {
    pub diff: ExposureDiff,
    /// Inputs (of either side) that could not be read: the diff is not computed, since a
    /// missing file would read as deleted objects.
    pub input_errors: Vec<InputError>,
}

impl Report {
    pub fn new(old: &Model, new: &Model, input_errors: Vec<InputError>, config: &Config) -> Self {
        let diff = if input_errors.is_empty() {
            compare(old, new, config)
        } else {
            ExposureDiff::default()
        };
        Report { diff, input_errors }
    }

    pub fn complete(&self) -> bool {
        self.input_errors.is_empty()
    }

    /// 2 when an input could not be read; else 1 with `fail_on_new_exposure` when some Service
    /// becomes exposed; else 0.
    pub fn exit_code(&self, fail_on_new_exposure: bool) -> u8 {
        if !self.complete() {
            2
        } else if fail_on_new_exposure && !self.diff.newly_exposed.is_empty() {
            1
        } else {
            0
        }
    }
}

/// Every change in cross-cluster exposure between two models.
#[derive(Clone, Debug, Default)]
pub struct ExposureDiff {
    /// Sorted by namespace, then name.
    pub newly_exposed: Vec<ServiceChange>,
    pub no_longer_exposed: Vec<ServiceChange>,
    /// Sorted by the Namespace whose gateway it is.
    pub gateways: Vec<GatewayChange>,
    pub namespaces: Vec<NamespaceChange>,
}

impl ExposureDiff {
    pub fn is_empty(&self) -> bool {
        self.newly_exposed.is_empty()
            && self.no_longer_exposed.is_empty()
            && self.gateways.is_empty()
            && self.namespaces.is_empty()
    }

    pub fn gateways_of(&self, kind: GatewayChangeKind) -> usize {
        self.gateways.iter().filter(|g| g.kind == kind).count()
    }
}

/// A Service whose exposure changes.
#[derive(Clone, Debug)]
pub struct ServiceChange {
    pub namespace: String,
    pub name: String,
    /// `None`: the Service is not in that input.
    pub before: Option<ServiceSide>,
    pub after: Option<ServiceSide>,
    pub why: String,
    /// The rule under which check denies the change that causes this (EW020), and the agent
    /// refuses it: as long as it is blocked, nothing changes for this Service.
    pub blocked_by: Option<RuleId>,
}

#[derive(Clone, Debug)]
pub struct ServiceSide {
    pub exposed: bool,
    pub reason: Reason,
    pub why: String,
    pub location: Location,
    /// The `traffic.tetrate.io/global` label as written.
    pub global_label: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayChangeKind {
    /// The Namespace starts using a gateway.
    Created,
    /// Name, namespace or workload selector changes: traffic goes to another gateway (EW021).
    Moved,
    /// Only deploy or the cloud annotations change.
    Updated,
    /// The Namespace stops using a gateway.
    Removed,
}

impl GatewayChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayChangeKind::Created => "created",
            GatewayChangeKind::Moved => "moved",
            GatewayChangeKind::Updated => "updated",
            GatewayChangeKind::Removed => "removed",
        }
    }
}

/// The gateway a Namespace uses, as far as it is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayView {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub workload_selector: Option<String>,
    pub deploy: Option<String>,
    /// As the agent parses them; `None` when the annotation is not written.
    pub cloud_annotations: Option<BTreeMap<String, String>>,
    /// How the agent parses them.
    pub cloud_parser: Option<CloudParser>,
    /// Why name and selector cannot be derived.
    pub error: Option<&'static str>,
}

impl GatewayView {
    fn of(ns: &NamespaceModel) -> Option<GatewayView> {
        if !ns.gateway_in_use() {
            return None;
        }
        let cloud_annotations = ns.cloud.as_ref().map(|c| c.annotations.clone());
        let cloud_parser = ns.cloud.as_ref().map(|c| c.parser);
        Some(match &ns.gateway {
            GatewayState::Settings(g) => GatewayView {
                name: Some(g.name.to_string()),
                namespace: Some(g.namespace.to_string()),
                workload_selector: Some(g.workload_selector.to_string()),
                deploy: Some(g.deploy.to_string()),
                cloud_annotations,
                cloud_parser,
                error: None,
            },
            GatewayState::Underivable(e) => GatewayView {
                name: None,
                namespace: None,
                workload_selector: None,
                deploy: None,
                cloud_annotations,
                cloud_parser,
                error: Some(exposure::derive_error_text(e)),
            },
            GatewayState::Unknown => return None,
        })
    }

    /// `name in namespace (selector)`, for text and Markdown.
    pub fn describe(&self) -> String {
        match (&self.name, &self.namespace, &self.workload_selector) {
            (Some(n), Some(ns), Some(sel)) => format!("{n} in {ns} ({sel})"),
            _ => format!("unknown: {}", self.error.unwrap_or("cannot be derived")),
        }
    }
}

/// A cloud annotation of a gateway that changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudChange {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A Namespace's gateway that changes.
#[derive(Clone, Debug)]
pub struct GatewayChange {
    /// The Namespace whose gateway settings these are.
    pub namespace: String,
    pub kind: GatewayChangeKind,
    pub before: Option<GatewayView>,
    pub after: Option<GatewayView>,
    /// `name`, `namespace`, `workloadSelector`, `deploy`, `cloudAnnotations`.
    pub changed: Vec<&'static str>,
    pub cloud_changes: Vec<CloudChange>,
    pub why: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceChangeKind {
    Added,
    Deleted,
    Changed,
}

impl NamespaceChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceChangeKind::Added => "added",
            NamespaceChangeKind::Deleted => "deleted",
            NamespaceChangeKind::Changed => "changed",
        }
    }
}

/// What matters about a Namespace for exposure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceSide {
    pub mode: ExposureMode,
    pub workspace: Option<bool>,
    pub trigger_label: Option<String>,
    pub in_input: bool,
}

impl NamespaceSide {
    fn of(ns: &NamespaceModel) -> NamespaceSide {
        NamespaceSide {
            mode: ns.mode,
            workspace: ns.workspace(),
            trigger_label: match &ns.trigger {
                Trigger::Label { key, value } => Some(format!("{key}={value}")),
                _ => None,
            },
            in_input: ns.in_input(),
        }
    }

    /// `namespace-level`, `service-level, no workspace`, ...
    pub fn describe(&self) -> String {
        match self.workspace {
            Some(false) => format!("{}, no workspace", self.mode),
            None => format!("{}, Namespace not in the input", self.mode),
            Some(true) => self.mode.to_string(),
        }
    }
}

/// A Namespace whose mode or workspace changes, or that is added or deleted with exposure on.
#[derive(Clone, Debug)]
pub struct NamespaceChange {
    pub name: String,
    pub kind: NamespaceChangeKind,
    pub before: Option<NamespaceSide>,
    pub after: Option<NamespaceSide>,
    pub why: String,
    pub blocked_by: Option<RuleId>,
}

/// The changes from `old` to `new`. Pure.
pub fn compare(old: &Model, new: &Model, config: &Config) -> ExposureDiff {
    let old_ns: HashMap<&str, &NamespaceModel> = old
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), n))
        .collect();
    let new_ns: HashMap<&str, &NamespaceModel> = new
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), n))
        .collect();
    let names: BTreeSet<&str> = old_ns.keys().chain(new_ns.keys()).copied().collect();

    let mut diff = ExposureDiff::default();
    for name in names {
        let before = old_ns.get(name).copied();
        let after = new_ns.get(name).copied();
        let ns_change = namespace_change(name, before, after, config);
        let blocked = ns_change.as_ref().and_then(|c| c.blocked_by);
        let deleted = before.is_some_and(NamespaceModel::in_input)
            && !after.is_some_and(NamespaceModel::in_input);
        services_of(before, after, blocked, deleted, &mut diff);
        // A blocked change leaves the Namespace as it was: the agent keeps the old
        // configuration, so its gateway stays, and Services the change adds or relabels are
        // exposed or not under that configuration, not the one asked for.
        let kept = match (blocked, before, after) {
            (Some(rule), Some(b), Some(a)) => {
                let kept = a.keeping_config_of(b);
                exposed_while_blocked(b, &kept, rule, &mut diff);
                Some(kept)
            }
            _ => None,
        };
        if let Some(g) = gateway_change(name, before, kept.as_ref().or(after)) {
            diff.gateways.push(g);
        }
        diff.namespaces.extend(ns_change);
    }
    // By Namespace, then name: the blocked ones were added after their Namespace's others.
    diff.newly_exposed
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    diff
}

fn side(s: &ServiceModel, ns: &NamespaceModel) -> ServiceSide {
    ServiceSide {
        exposed: s.exposed,
        reason: s.reason,
        why: exposure::why(s, ns),
        location: s.source.clone(),
        global_label: s.global_label.clone(),
    }
}

/// Services that become exposed because a blocked change keeps their Namespace's old
/// configuration (a new unlabelled Service next to a blocked switch away from namespace-level):
/// the requested configuration would not expose them, so [`services_of`] does not list them.
fn exposed_while_blocked(
    before: &NamespaceModel,
    kept: &NamespaceModel,
    rule: RuleId,
    diff: &mut ExposureDiff,
) {
    let exposed_now: HashSet<&str> = kept.exposed().map(|s| s.name.as_str()).collect();
    // Listed already by what the change asks for (a new labelled Service): exposed under the
    // kept configuration too, so the block does not hold it back.
    let mut listed = HashSet::new();
    for c in diff
        .newly_exposed
        .iter_mut()
        .filter(|c| c.namespace == kept.name)
    {
        if exposed_now.contains(c.name.as_str()) {
            c.blocked_by = None;
        }
        listed.insert(c.name.clone());
    }
    let was: HashMap<&str, &ServiceModel> = before
        .services
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    for s in kept.exposed() {
        let b = was.get(s.name.as_str()).map(|o| side(o, before));
        if b.as_ref().is_some_and(|b| b.exposed) || listed.contains(&s.name) {
            continue;
        }
        let what = match &b {
            None => "new Service".to_owned(),
            Some(b) => format!("not exposed before ({})", b.why),
        };
        let why = format!(
            "{what}; the change to Namespace {} is blocked ({rule}), and the agent keeps its \
             namespace-level configuration, which exposes every Service in it",
            kept.name
        );
        diff.newly_exposed.push(ServiceChange {
            namespace: kept.name.clone(),
            name: s.name.clone(),
            blocked_by: None,
            before: b,
            after: Some(side(s, kept)),
            why,
        });
    }
}

fn services_of(
    before: Option<&NamespaceModel>,
    after: Option<&NamespaceModel>,
    blocked: Option<RuleId>,
    namespace_deleted: bool,
    diff: &mut ExposureDiff,
) {
    let index = |ns: Option<&NamespaceModel>| -> BTreeMap<String, ServiceSide> {
        ns.map(|ns| {
            ns.services
                .iter()
                .map(|s| (s.name.clone(), side(s, ns)))
                .collect()
        })
        .unwrap_or_default()
    };
    let namespace = before.or(after).map(|n| n.name.clone()).unwrap_or_default();
    let namespace_known = after.is_some_and(NamespaceModel::in_input);
    let mut old = index(before);
    let mut new = index(after);
    let names: BTreeSet<String> = old.keys().chain(new.keys()).cloned().collect();
    for name in names {
        let b = old.remove(&name);
        let a = new.remove(&name);
        let was = b.as_ref().is_some_and(|s| s.exposed);
        let is = a.as_ref().is_some_and(|s| s.exposed);
        if was == is {
            continue;
        }
        let why = match (&b, &a) {
            (None, Some(a)) => format!("new Service: {}", a.why),
            (Some(_), None) if namespace_deleted => {
                format!("deleted, with its Namespace {namespace}")
            }
            (Some(_), None) => "deleted (not in the new manifests)".to_owned(),
            // The Namespace's manifest is gone but the Service's is not: in the cluster,
            // deleting a Namespace deletes its Services.
            (Some(_), Some(a)) if namespace_deleted => format!(
                "Namespace {namespace} is not in the new manifests (deleting it deletes this \
                 Service too): {}",
                a.why
            ),
            (Some(b), Some(a)) => cause(b, a, &namespace, namespace_known),
            (None, None) => continue,
        };
        let change = ServiceChange {
            namespace: namespace.clone(),
            name,
            blocked_by: if a.is_some() { blocked } else { None },
            before: b,
            after: a,
            why,
        };
        if is {
            diff.newly_exposed.push(change);
        } else {
            diff.no_longer_exposed.push(change);
        }
    }
}

/// What turned a Service's exposure around, when both inputs hold it: the cause in a few
/// words where it is one of the usual ones, else both explanations.
fn cause(b: &ServiceSide, a: &ServiceSide, namespace: &str, namespace_known: bool) -> String {
    let g = crate::rules::keys::GLOBAL;
    let label = |v: &Option<String>| match v {
        Some(v) => format!("{v:?}"),
        None => "(none)".to_owned(),
    };
    let unknown = if namespace_known {
        ""
    } else {
        " (its Namespace is not in the input: judged by the label alone)"
    };
    use Reason as R;
    // The label is the cause only where it changed: a Namespace that gains its trigger label
    // (whatever its mode was: a blocked switch keeps namespace-level) or a Service that is no
    // longer ExternalName keeps it as it was.
    let relabelled = b.global_label != a.global_label;
    let why = match (b.reason, a.reason) {
        (_, R::Labelled) if b.global_label.is_none() => format!("label {g}: \"true\" added"),
        (_, R::Labelled) if relabelled && !matches!(b.reason, R::NoTriggerLabel(_)) => format!(
            "label {g} changed from {} to \"true\"",
            label(&b.global_label)
        ),
        (R::Labelled, R::NotLabelled) if relabelled => format!("label {g} removed"),
        (R::Labelled, R::LabelFalse | R::LabelNotTrue) if relabelled => format!(
            "label {g} changed from \"true\" to {}{}",
            label(&a.global_label),
            if a.reason == R::LabelNotTrue {
                ", which is not exactly \"true\" (EW013)"
            } else {
                ""
            }
        ),
        (R::Labelled, R::LabelAsAnnotation) => {
            format!("{g} moved from the labels to the annotations, which the agent ignores (EW012)")
        }
        (R::NoTriggerLabel(_), _) => format!(
            "Namespace {namespace} gains a trigger label, so the agent creates its workspace \
             (and this Service is selected: {})",
            a.why
        ),
        (_, R::NoTriggerLabel(_)) => format!(
            "Namespace {namespace} loses its trigger label, so the agent creates no workspace \
             for it"
        ),
        (_, R::NamespaceLevel) => {
            format!("Namespace {namespace} becomes namespace-level: every Service in it is exposed")
        }
        (R::NamespaceLevel, _) => {
            let own = match a.reason {
                R::NotLabelled => format!("is not labelled {g}: \"true\""),
                R::LabelFalse => format!("is labelled {g}: \"false\""),
                R::LabelNotTrue => format!(
                    "has the label {g}: {}, not exactly \"true\" (EW013)",
                    label(&a.global_label)
                ),
                R::LabelAsAnnotation => {
                    format!("has {g} as an annotation, which the agent ignores (EW012)")
                }
                _ => format!("is not exposed on its own: {}", a.why),
            };
            format!("Namespace {namespace} is no longer namespace-level, and this Service {own}")
        }
        (_, R::ExternalName(_)) => {
            "now type ExternalName: it has no endpoints to expose (EW040)".to_owned()
        }
        (R::ExternalName(_), _) => format!("no longer type ExternalName: {}", a.why),
        _ => return format!("{} (before: {})", a.why, b.why),
    };
    format!("{why}{unknown}")
}

fn namespace_change(
    name: &str,
    before: Option<&NamespaceModel>,
    after: Option<&NamespaceModel>,
    config: &Config,
) -> Option<NamespaceChange> {
    let b = before.map(NamespaceSide::of);
    let a = after.map(NamespaceSide::of);
    let b_in = b.as_ref().is_some_and(|s| s.in_input);
    let a_in = a.as_ref().is_some_and(|s| s.in_input);
    // A Namespace known from its Services only on both sides: its Services' changes say it all.
    if !b_in && !a_in {
        return None;
    }
    let on = |s: &Option<NamespaceSide>| s.as_ref().is_some_and(|s| s.mode != ExposureMode::Off);
    let (kind, why) = match (b_in, a_in) {
        (false, true) => {
            if !on(&a) {
                return None;
            }
            let after = after?;
            (
                NamespaceChangeKind::Added,
                format!(
                    "new Namespace, {}: {}; workspace {}",
                    after.mode,
                    exposure::mode_why(after),
                    workspace_words(after, config)
                ),
            )
        }
        (true, false) => {
            if !on(&b) {
                return None;
            }
            (
                NamespaceChangeKind::Deleted,
                "deleted (not in the new manifests): the agent removes its workspace, and its \
                 Services stop being exposed"
                    .to_owned(),
            )
        }
        _ => {
            let (bs, as_) = (b.as_ref()?, a.as_ref()?);
            let mode_changed = bs.mode != as_.mode;
            let workspace_changed = bs.workspace != as_.workspace && (on(&b) || on(&a));
            if !mode_changed && !workspace_changed {
                return None;
            }
            let mut parts = Vec::new();
            if mode_changed {
                parts.push(exposure::mode_why(after?));
            }
            if workspace_changed {
                parts.push(match as_.workspace {
                    Some(false) => format!(
                        "trigger label {} removed: the agent creates no workspace, so nothing \
                         in it is exposed",
                        bs.trigger_label.as_deref().unwrap_or("")
                    ),
                    _ => format!(
                        "trigger label {} added: the agent creates workspace ws-{name}",
                        as_.trigger_label.as_deref().unwrap_or("")
                    ),
                });
            }
            (NamespaceChangeKind::Changed, parts.join("; "))
        }
    };
    // As EW020: not while the Namespace is being deleted (that is the safe path itself).
    let blocked_by = (kind == NamespaceChangeKind::Changed
        && b.as_ref()
            .is_some_and(|s| s.mode == ExposureMode::NamespaceLevel)
        && a.as_ref()
            .is_some_and(|s| s.mode != ExposureMode::NamespaceLevel)
        && !after.is_some_and(|n| n.terminating || before.is_some_and(|b| b.terminating)))
    .then_some(RuleId::EW020);
    let why = match blocked_by {
        Some(rule) => format!(
            "{why}. Blocked: check denies this ({rule}), and the agent refuses it and keeps the \
             namespace-level configuration, so until the Namespace is deleted and recreated \
             nothing changes. Safe path: label each Service that must stay exposed, delete the \
             Namespace in a change of its own, then add it back without the annotation"
        ),
        None => why,
    };
    Some(NamespaceChange {
        name: name.to_owned(),
        kind,
        before: b,
        after: a,
        why,
        blocked_by,
    })
}

fn workspace_words(ns: &NamespaceModel, config: &Config) -> String {
    match &ns.trigger {
        Trigger::Label { key, value } => {
            format!("{} (trigger label {key}={value})", ns.workspace_name())
        }
        _ => format!(
            "none: no trigger label ({})",
            config
                .trigger_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn gateway_change(
    name: &str,
    before: Option<&NamespaceModel>,
    after: Option<&NamespaceModel>,
) -> Option<GatewayChange> {
    let b = before.and_then(GatewayView::of);
    let a = after.and_then(GatewayView::of);
    let in_input = |ns: Option<&NamespaceModel>| ns.is_some_and(NamespaceModel::in_input);
    let (kind, why) = match (&b, &a) {
        (None, None) => return None,
        (None, Some(_)) => {
            let after = after?;
            let why = if !in_input(before) {
                format!("new Namespace, {}", after.mode)
            } else if before.is_some_and(|n| n.workspace() == Some(false)) {
                "the Namespace gains a trigger label".to_owned()
            } else {
                format!("east-west turns on ({})", after.mode)
            };
            (GatewayChangeKind::Created, why)
        }
        (Some(_), None) => {
            let why = match after {
                Some(a) if a.in_input() && a.workspace() == Some(false) => {
                    "the Namespace loses its trigger label: no workspace".to_owned()
                }
                Some(a) if a.in_input() => "east-west is off now".to_owned(),
                _ => "the Namespace is deleted".to_owned(),
            };
            (GatewayChangeKind::Removed, why)
        }
        (Some(b), Some(a)) => {
            let moved = b.name != a.name
                || b.namespace != a.namespace
                || !same_selector(&b.workload_selector, &a.workload_selector)
                || b.error != a.error;
            if moved {
                (
                    GatewayChangeKind::Moved,
                    "cross-cluster traffic of this Namespace moves to another gateway (EW021)"
                        .to_owned(),
                )
            } else if b.deploy != a.deploy || b.cloud_annotations != a.cloud_annotations {
                (GatewayChangeKind::Updated, String::new())
            } else {
                return None;
            }
        }
    };
    let mut changed = Vec::new();
    let mut cloud_changes = Vec::new();
    if let (Some(b), Some(a)) = (&b, &a) {
        if b.name != a.name {
            changed.push("name");
        }
        if b.namespace != a.namespace {
            changed.push("namespace");
        }
        if !same_selector(&b.workload_selector, &a.workload_selector) {
            changed.push("workloadSelector");
        }
        if b.deploy != a.deploy {
            changed.push("deploy");
        }
        if b.cloud_annotations != a.cloud_annotations {
            changed.push("cloudAnnotations");
            let empty = BTreeMap::new();
            let bm = b.cloud_annotations.as_ref().unwrap_or(&empty);
            let am = a.cloud_annotations.as_ref().unwrap_or(&empty);
            let keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
            for k in keys {
                let (bv, av) = (bm.get(k), am.get(k));
                if bv != av {
                    cloud_changes.push(CloudChange {
                        key: k.clone(),
                        before: bv.cloned(),
                        after: av.cloned(),
                    });
                }
            }
        }
    }
    let why = if kind == GatewayChangeKind::Updated {
        let mut parts = Vec::new();
        if let (Some(b), Some(a)) = (&b, &a)
            && b.deploy != a.deploy
        {
            parts.push(format!(
                "deploy {} -> {}",
                quoted(b.deploy.as_deref()),
                quoted(a.deploy.as_deref())
            ));
        }
        if !cloud_changes.is_empty() {
            parts.push("cloud annotations of the gateway's Service change".to_owned());
        }
        if let Some(a) = &a
            && a.cloud_parser == Some(CloudParser::Fallback)
            && b.as_ref().and_then(|b| b.cloud_parser) != Some(CloudParser::Fallback)
        {
            parts.push(
                "YAML fails on the new text (EW007), so these are what the agent's line \
                 fallback reads"
                    .to_owned(),
            );
        }
        parts.join("; ")
    } else {
        why
    };
    Some(GatewayChange {
        namespace: name.to_owned(),
        kind,
        before: b,
        after: a,
        changed,
        cloud_changes,
        why,
    })
}

fn quoted(v: Option<&str>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "(none)".to_owned(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line saying what changes, or that nothing does.
pub fn headline(report: &Report) -> String {
    if !report.complete() {
        return format!(
            "Cross-cluster exposure not compared: {} (see the errors above)",
            plural(
                report.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        );
    }
    let d = &report.diff;
    if d.is_empty() {
        return "No change in cross-cluster exposure".to_owned();
    }
    format!("Cross-cluster exposure: {}", counts(d).join("; "))
}

/// The parts of the headline: Services, then gateways, then Namespaces.
fn counts(d: &ExposureDiff) -> Vec<String> {
    let mut parts = vec![
        format!(
            "{} become{} exposed",
            plural(d.newly_exposed.len(), "Service", "Services"),
            if d.newly_exposed.len() == 1 { "s" } else { "" }
        ),
        format!(
            "{} stop{} being exposed",
            d.no_longer_exposed.len(),
            if d.no_longer_exposed.len() == 1 {
                "s"
            } else {
                ""
            }
        ),
    ];
    let gateways: Vec<String> = [
        GatewayChangeKind::Created,
        GatewayChangeKind::Moved,
        GatewayChangeKind::Updated,
        GatewayChangeKind::Removed,
    ]
    .into_iter()
    .map(|kind| (kind, d.gateways_of(kind)))
    .filter(|(_, n)| *n > 0)
    .map(|(kind, n)| format!("{n} {}", kind.as_str()))
    .collect();
    if !gateways.is_empty() {
        parts.push(format!("gateways: {}", gateways.join(", ")));
    }
    if !d.namespaces.is_empty() {
        let blocked = d
            .namespaces
            .iter()
            .filter(|n| n.blocked_by.is_some())
            .count();
        parts.push(format!(
            "{} change{}{}",
            plural(d.namespaces.len(), "Namespace", "Namespaces"),
            if d.namespaces.len() == 1 { "s" } else { "" },
            if blocked > 0 {
                format!(" ({blocked} blocked)")
            } else {
                String::new()
            }
        ));
    }
    parts
}

fn blocked_text(rule: Option<RuleId>) -> String {
    rule.map(|r| format!(" [blocked: {r}]")).unwrap_or_default()
}

fn service_location(c: &ServiceChange) -> String {
    c.after
        .as_ref()
        .or(c.before.as_ref())
        .map(|s| s.location.to_string())
        .unwrap_or_default()
}

/// The text report: a headline, then each change on a line.
pub fn write_text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", headline(report))?;
    let d = &report.diff;
    let services = [
        (
            "Services that become exposed cross-cluster",
            "+",
            &d.newly_exposed,
        ),
        (
            "Services that stop being exposed",
            "-",
            &d.no_longer_exposed,
        ),
    ];
    for (title, mark, list) in services {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n{title} ({}):", list.len())?;
        for c in list {
            writeln!(
                out,
                "  {mark} {}/{}: {}{} ({})",
                c.namespace,
                c.name,
                c.why,
                blocked_text(c.blocked_by),
                service_location(c)
            )?;
        }
    }
    if !d.gateways.is_empty() {
        writeln!(out, "\nGateways ({}):", d.gateways.len())?;
        for g in &d.gateways {
            let what = match (&g.before, &g.after) {
                (Some(b), Some(a)) if g.kind == GatewayChangeKind::Moved => {
                    format!("{} -> {}", b.describe(), a.describe())
                }
                (_, Some(a)) => a.describe(),
                (Some(b), None) => b.describe(),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "  {} Namespace {}: {what}: {}",
                g.kind.as_str(),
                g.namespace,
                g.why
            )?;
            for c in &g.cloud_changes {
                writeln!(
                    out,
                    "    cloud annotation {}: {} -> {}",
                    c.key,
                    quoted(c.before.as_deref()),
                    quoted(c.after.as_deref())
                )?;
            }
        }
    }
    if !d.namespaces.is_empty() {
        writeln!(out, "\nNamespaces ({}):", d.namespaces.len())?;
        for n in &d.namespaces {
            let sides = match (&n.before, &n.after) {
                (Some(b), _) if n.kind == NamespaceChangeKind::Deleted => b.describe(),
                (_, Some(a)) if n.kind == NamespaceChangeKind::Added => a.describe(),
                (Some(b), Some(a)) => format!("{} -> {}", b.describe(), a.describe()),
                (None, Some(a)) => a.describe(),
                (Some(b), None) => b.describe(),
                (None, None) => String::new(),
            };
            writeln!(out, "  {} {} ({sides}): {}", n.kind.as_str(), n.name, n.why)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- Markdown

/// Text for a Markdown table cell: on one line, with what Markdown would read as a table
/// border, emphasis, code or HTML escaped.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Inline code in a table cell. Inside a code span only `|` needs escaping (GitHub's tables
/// read `\|` there as `|`); a backtick would end the span, so it is replaced.
fn code(s: &str) -> String {
    let text: String = s
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", text.replace('|', "\\|"))
}

/// Markdown for a pull-request comment: a heading, a summary line, then tables.
pub fn write_markdown(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## eastwest-guard: cross-cluster exposure\n")?;
    if !report.complete() {
        writeln!(
            out,
            "**Not compared**: {} (see the job log); a missing file would read as deleted \
             objects.",
            plural(
                report.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        )?;
        return Ok(());
    }
    let d = &report.diff;
    if d.is_empty() {
        writeln!(out, "No change in cross-cluster exposure.")?;
        return Ok(());
    }
    let mut parts = counts(d);
    if !d.newly_exposed.is_empty()
        && let Some(first) = parts.first_mut()
    {
        *first = format!("**{first}**");
    }
    writeln!(out, "{}.", parts.join("; "))?;

    let services = [
        (
            "Services that become exposed cross-cluster",
            &d.newly_exposed,
        ),
        ("Services that stop being exposed", &d.no_longer_exposed),
    ];
    for (title, list) in services {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n### {title}\n")?;
        writeln!(out, "| Service | Why | File |")?;
        writeln!(out, "|---|---|---|")?;
        for c in list {
            let blocked = c
                .blocked_by
                .map(|r| format!(" **Blocked by {r}**: see Namespaces."))
                .unwrap_or_default();
            writeln!(
                out,
                "| {} | {}{blocked} | {} |",
                code(&format!("{}/{}", c.namespace, c.name)),
                cell(&c.why),
                code(&service_location(c))
            )?;
        }
    }
    if !d.gateways.is_empty() {
        writeln!(out, "\n### Gateways\n")?;
        writeln!(out, "| Namespace | Change | Before | After | Why |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for g in &d.gateways {
            let side = |v: &Option<GatewayView>| {
                v.as_ref()
                    .map(|v| code(&v.describe()))
                    .unwrap_or_else(|| "none".to_owned())
            };
            let mut why = cell(&g.why);
            for c in &g.cloud_changes {
                why.push_str(&format!(
                    "<br>{}: {} → {}",
                    code(&c.key),
                    code(&quoted(c.before.as_deref())),
                    code(&quoted(c.after.as_deref()))
                ));
            }
            writeln!(
                out,
                "| {} | {} | {} | {} | {why} |",
                code(&g.namespace),
                g.kind.as_str(),
                side(&g.before),
                side(&g.after)
            )?;
        }
    }
    if !d.namespaces.is_empty() {
        writeln!(out, "\n### Namespaces\n")?;
        writeln!(out, "| Namespace | Change | Before | After | Why |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for n in &d.namespaces {
            let side = |s: &Option<NamespaceSide>| match s {
                Some(s) if s.in_input => cell(&s.describe()),
                _ => "none".to_owned(),
            };
            let kind = match n.blocked_by {
                Some(r) => format!("{} (**blocked: {r}**)", n.kind.as_str()),
                None => n.kind.as_str().to_owned(),
            };
            writeln!(
                out,
                "| {} | {kind} | {} | {} | {} |",
                code(&n.name),
                side(&n.before),
                side(&n.after),
                cell(&n.why)
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- JSON

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiff<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    command: &'static str,
    summary: JsonSummary,
    newly_exposed: Vec<JsonServiceChange<'a>>,
    no_longer_exposed: Vec<JsonServiceChange<'a>>,
    gateways: Vec<JsonGatewayChange<'a>>,
    namespaces: Vec<JsonNamespaceChange<'a>>,
    input_errors: Vec<super::explain::JsonInputError<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    complete: bool,
    changed: bool,
    newly_exposed: usize,
    no_longer_exposed: usize,
    gateways_created: usize,
    gateways_moved: usize,
    gateways_updated: usize,
    gateways_removed: usize,
    namespaces_changed: usize,
    blocked: usize,
    input_errors: usize,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonServiceChange<'a> {
    namespace: &'a str,
    name: &'a str,
    why: &'a str,
    blocked_by: Option<&'static str>,
    before: Option<JsonServiceSide<'a>>,
    after: Option<JsonServiceSide<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonServiceSide<'a> {
    exposed: bool,
    reason: &'static str,
    why: &'a str,
    file: &'a str,
    line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonGatewayChange<'a> {
    namespace: &'a str,
    change: &'static str,
    changed_fields: &'a [&'static str],
    why: &'a str,
    before: Option<JsonGateway<'a>>,
    after: Option<JsonGateway<'a>>,
    cloud_annotation_changes: Vec<JsonCloudChange<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonGateway<'a> {
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    workload_selector: Option<&'a str>,
    deploy: Option<&'a str>,
    cloud_annotations: Option<&'a BTreeMap<String, String>>,
    cloud_parser: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCloudChange<'a> {
    key: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespaceChange<'a> {
    name: &'a str,
    change: &'static str,
    why: &'a str,
    blocked_by: Option<&'static str>,
    before: Option<JsonNamespaceSide<'a>>,
    after: Option<JsonNamespaceSide<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespaceSide<'a> {
    mode: &'static str,
    in_input: bool,
    workspace: Option<bool>,
    trigger_label: Option<&'a str>,
}

fn json_service(c: &ServiceChange) -> JsonServiceChange<'_> {
    fn side(s: &Option<ServiceSide>) -> Option<JsonServiceSide<'_>> {
        s.as_ref().map(|s| JsonServiceSide {
            exposed: s.exposed,
            reason: s.reason.code(),
            why: &s.why,
            file: &s.location.file,
            line: s.location.line,
        })
    }
    JsonServiceChange {
        namespace: &c.namespace,
        name: &c.name,
        why: &c.why,
        blocked_by: c.blocked_by.map(RuleId::as_str),
        before: side(&c.before),
        after: side(&c.after),
    }
}

fn write_json(report: &Report, exit_code: u8, out: &mut dyn Write) -> io::Result<()> {
    let d = &report.diff;
    fn gateway(g: &Option<GatewayView>) -> Option<JsonGateway<'_>> {
        g.as_ref().map(|g| JsonGateway {
            name: g.name.as_deref(),
            namespace: g.namespace.as_deref(),
            workload_selector: g.workload_selector.as_deref(),
            deploy: g.deploy.as_deref(),
            cloud_annotations: g.cloud_annotations.as_ref(),
            cloud_parser: g.cloud_parser.map(CloudParser::code),
            error: g.error,
        })
    }
    fn ns_side(s: &Option<NamespaceSide>) -> Option<JsonNamespaceSide<'_>> {
        s.as_ref().map(|s| JsonNamespaceSide {
            mode: s.mode.as_str(),
            in_input: s.in_input,
            workspace: s.workspace,
            trigger_label: s.trigger_label.as_deref(),
        })
    }
    let doc = JsonDiff {
        schema_version: DIFF_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        command: "diff",
        summary: JsonSummary {
            complete: report.complete(),
            changed: !d.is_empty(),
            newly_exposed: d.newly_exposed.len(),
            no_longer_exposed: d.no_longer_exposed.len(),
            gateways_created: d.gateways_of(GatewayChangeKind::Created),
            gateways_moved: d.gateways_of(GatewayChangeKind::Moved),
            gateways_updated: d.gateways_of(GatewayChangeKind::Updated),
            gateways_removed: d.gateways_of(GatewayChangeKind::Removed),
            namespaces_changed: d.namespaces.len(),
            blocked: d
                .namespaces
                .iter()
                .filter(|n| n.blocked_by.is_some())
                .count(),
            input_errors: report.input_errors.len(),
            exit_code,
        },
        newly_exposed: d.newly_exposed.iter().map(json_service).collect(),
        no_longer_exposed: d.no_longer_exposed.iter().map(json_service).collect(),
        gateways: d
            .gateways
            .iter()
            .map(|g| JsonGatewayChange {
                namespace: &g.namespace,
                change: g.kind.as_str(),
                changed_fields: &g.changed,
                why: &g.why,
                before: gateway(&g.before),
                after: gateway(&g.after),
                cloud_annotation_changes: g
                    .cloud_changes
                    .iter()
                    .map(|c| JsonCloudChange {
                        key: &c.key,
                        before: c.before.as_deref(),
                        after: c.after.as_deref(),
                    })
                    .collect(),
            })
            .collect(),
        namespaces: d
            .namespaces
            .iter()
            .map(|n| JsonNamespaceChange {
                name: &n.name,
                change: n.kind.as_str(),
                why: &n.why,
                blocked_by: n.blocked_by.map(RuleId::as_str),
                before: ns_side(&n.before),
                after: ns_side(&n.after),
            })
            .collect(),
        input_errors: json_input_errors(&report.input_errors),
    };
    write_json_value(&doc, out)
}

/// The same pairs in another order select the same pods: not a change (as EW021 reads it).
fn same_selector(before: &Option<String>, after: &Option<String>) -> bool {
    match (before, after) {
        (Some(b), Some(a)) => crate::rules::selector::same_pairs(b, a),
        (b, a) => b == a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::model::Selection;

    fn side(reason: Reason, label: Option<&str>) -> ServiceSide {
        ServiceSide {
            exposed: reason.exposed(),
            reason,
            why: format!("({})", reason.code()),
            location: Location {
                file: "t.yaml".into(),
                line: 1,
            },
            global_label: label.map(str::to_owned),
        }
    }

    #[test]
    fn a_trigger_label_gained_is_the_cause_whatever_the_mode_was() {
        // Namespace-level without a trigger label -> service-level with one (EW020's blocked
        // switch, with the trigger label added in the same change): the label did not change.
        let before = side(
            Reason::NoTriggerLabel(Selection::NamespaceLevel),
            Some("true"),
        );
        let after = side(Reason::Labelled, Some("true"));
        assert_eq!(
            cause(&before, &after, "orders", true),
            "Namespace orders gains a trigger label, so the agent creates its workspace (and \
             this Service is selected: (labelled))"
        );
        // The same words as the switch that is not blocked.
        let before = side(Reason::NoTriggerLabel(Selection::Label), Some("true"));
        assert_eq!(
            cause(&before, &after, "orders", true),
            cause(
                &side(
                    Reason::NoTriggerLabel(Selection::NamespaceLevel),
                    Some("true")
                ),
                &after,
                "orders",
                true
            )
        );
        // An ExternalName Service that becomes another type: its label is not the cause.
        let before = side(Reason::ExternalName(Selection::Label), Some("true"));
        assert_eq!(
            cause(&before, &after, "orders", true),
            "no longer type ExternalName: (labelled)"
        );
    }

    #[test]
    fn a_label_never_changes_from_a_value_to_itself() {
        let reasons = [
            Reason::NamespaceLevel,
            Reason::Labelled,
            Reason::NotLabelled,
            Reason::LabelFalse,
            Reason::LabelNotTrue,
            Reason::LabelAsAnnotation,
            Reason::NoTriggerLabel(Selection::NamespaceLevel),
            Reason::NoTriggerLabel(Selection::Label),
            Reason::ExternalName(Selection::NamespaceLevel),
            Reason::ExternalName(Selection::Label),
        ];
        let labels = [None, Some("true"), Some("True"), Some("false")];
        for b in reasons {
            for a in reasons {
                if b.exposed() == a.exposed() {
                    continue;
                }
                for label in labels {
                    let why = cause(&side(b, label), &side(a, label), "ns", true);
                    assert!(
                        !why.contains("changed from"),
                        "{b:?} -> {a:?}, {label:?}: {why}"
                    );
                }
            }
        }
    }
}
