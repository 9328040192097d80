//! The exposure model: what the agent does with a set of manifests.
//!
//! [`model`] is one pure function from the Namespaces and Services of an input to, per
//! Namespace: its exposure mode, whether a trigger label makes it eligible for a workspace, the
//! gateway it gets (with where each value came from), its cloud annotations as the agent parses
//! them, and each of its Services with whether it is exposed cross-cluster and why.
//! `explain` prints the model; `diff` compares the models of two inputs.
//!
//! The input is taken to be the whole desired state of the Namespaces it holds (as in GitOps):
//! a Namespace in the input has exactly the Services the input gives it. A Service whose
//! Namespace is not in the input is judged by its label alone, and its Namespace is marked
//! unknown (it may be namespace-level, or lack a trigger label, in the cluster).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::manifests::{Inputs, Manifest};
use crate::rules::cloud::{self, YamlProblem};
use crate::rules::exposure::{self, ExposureMode};
use crate::rules::gateway::{self, DeriveError, GatewaySettings};
use crate::rules::{Config, ResourceKind, keys, names};

/// Where an object is written: its file and the line its manifest starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Everything the agent would do with one input, by Namespace (sorted by name).
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub namespaces: Vec<NamespaceModel>,
}

/// Whether a trigger label makes the agent create a workspace for a Namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The first configured trigger label the Namespace carries.
    Label { key: String, value: String },
    /// The Namespace is in the input and carries none: no workspace, nothing exposed.
    Missing,
    /// The Namespace is not in the input.
    Unknown,
}

/// The gateway settings a Namespace resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayState {
    Settings(GatewaySettings<'static>),
    /// Name and selector cannot be derived (EW005 or EW006).
    Underivable(DeriveError),
    /// The Namespace is not in the input.
    Unknown,
}

/// One Namespace as the agent sees it.
#[derive(Clone, Debug)]
pub struct NamespaceModel {
    pub name: String,
    /// `None`: the Namespace is not in the input, only Services in it are.
    pub location: Option<Location>,
    /// The `traffic.tetrate.io/global` annotation as written.
    pub global_annotation: Option<String>,
    pub mode: ExposureMode,
    pub trigger: Trigger,
    pub gateway: GatewayState,
    /// The cloud-annotations annotation, when written.
    pub cloud: Option<CloudView>,
    /// Its Services in the input, sorted by name.
    pub services: Vec<ServiceModel>,
    /// Being deleted (`deletionTimestamp` set): EW020 does not apply.
    pub terminating: bool,
}

impl NamespaceModel {
    pub fn in_input(&self) -> bool {
        self.location.is_some()
    }

    /// Whether the agent creates a workspace for it; `None` when the Namespace is unknown.
    pub fn workspace(&self) -> Option<bool> {
        match self.trigger {
            Trigger::Label { .. } => Some(true),
            Trigger::Missing => Some(false),
            Trigger::Unknown => None,
        }
    }

    /// Whether the agent configures an east-west gateway for it: a workspace, and exposure on.
    pub fn gateway_in_use(&self) -> bool {
        self.workspace() == Some(true) && self.mode != ExposureMode::Off
    }

    /// The workspace the agent creates (the seed's `ws-<namespace>` convention).
    pub fn workspace_name(&self) -> String {
        format!("ws-{}", self.name)
    }

    /// The WorkspaceSetting the agent creates (the seed's `ws-<namespace>-settings`).
    pub fn workspace_setting_name(&self) -> String {
        format!("ws-{}-settings", self.name)
    }

    pub fn exposed(&self) -> impl Iterator<Item = &ServiceModel> {
        self.services.iter().filter(|s| s.exposed)
    }

    pub fn not_exposed(&self) -> impl Iterator<Item = &ServiceModel> {
        self.services.iter().filter(|s| !s.exposed)
    }

    /// This Namespace's Services under the exposure configuration of `kept` (its mode,
    /// trigger, gateway and cloud annotations): what the agent does when it refuses a change
    /// to the Namespace (EW020) and keeps the old configuration.
    pub fn keeping_config_of(&self, kept: &NamespaceModel) -> NamespaceModel {
        let mut out = self.clone();
        out.global_annotation = kept.global_annotation.clone();
        out.mode = kept.mode;
        out.trigger = kept.trigger.clone();
        out.gateway = kept.gateway.clone();
        out.cloud = kept.cloud.clone();
        for s in &mut out.services {
            s.reason = service_reason(
                s.global_label.as_deref(),
                s.global_annotation.is_some(),
                s.service_type.as_deref(),
                out.mode,
                &out.trigger,
            );
            s.exposed = s.reason.exposed();
        }
        out
    }
}

/// What selects a Service for exposure in the WorkspaceSetting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The Namespace is namespace-level: every Service.
    NamespaceLevel,
    /// The Service's own `traffic.tetrate.io/global: "true"` label.
    Label,
}

/// Why a Service is exposed or not: the first of these that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Exposed: its Namespace is namespace-level.
    NamespaceLevel,
    /// Exposed: labelled `traffic.tetrate.io/global: "true"`.
    Labelled,
    /// Not exposed: no label, and the Namespace is not namespace-level.
    NotLabelled,
    /// Not exposed: labelled `"false"`.
    LabelFalse,
    /// Not exposed: the label is there but not exactly `"true"` (EW013).
    LabelNotTrue,
    /// Not exposed: `traffic.tetrate.io/global` written as an annotation (EW012).
    LabelAsAnnotation,
    /// Not exposed though selected: the Namespace has no trigger label, so no workspace.
    NoTriggerLabel(Selection),
    /// Not exposed though selected: an ExternalName Service has no endpoints (EW040).
    ExternalName(Selection),
}

impl Reason {
    /// The stable code of the JSON outputs.
    pub fn code(self) -> &'static str {
        match self {
            Reason::NamespaceLevel => "namespace-level",
            Reason::Labelled => "labelled",
            Reason::NotLabelled => "not-labelled",
            Reason::LabelFalse => "label-false",
            Reason::LabelNotTrue => "label-not-true",
            Reason::LabelAsAnnotation => "label-as-annotation",
            Reason::NoTriggerLabel(_) => "no-trigger-label",
            Reason::ExternalName(_) => "external-name",
        }
    }

    pub fn exposed(self) -> bool {
        matches!(self, Reason::NamespaceLevel | Reason::Labelled)
    }
}

/// One Service as the agent sees it.
#[derive(Clone, Debug)]
pub struct ServiceModel {
    pub name: String,
    pub namespace: String,
    pub location: Location,
    /// The `traffic.tetrate.io/global` label as written.
    pub global_label: Option<String>,
    /// The `traffic.tetrate.io/global` annotation as written (a mistake: EW012).
    pub global_annotation: Option<String>,
    pub service_type: Option<String>,
    pub exposed: bool,
    pub reason: Reason,
}

/// How the agent reads the cloud-annotations text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudParser {
    /// YAML parses: the map as written.
    Yaml,
    /// More than one YAML document: YAML reads the first only.
    YamlFirstDocument,
    /// Empty (or an empty map): YAML gives no annotation, without an error.
    YamlEmpty,
    /// YAML fails: the agent's line-by-line fallback.
    Fallback,
}

impl CloudParser {
    pub fn code(self) -> &'static str {
        match self {
            CloudParser::Yaml => "yaml",
            CloudParser::YamlFirstDocument => "yaml-first-document",
            CloudParser::YamlEmpty => "yaml-empty",
            CloudParser::Fallback => "fallback",
        }
    }
}

/// The cloud annotations as the agent will parse them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudView {
    pub parser: CloudParser,
    /// What the agent ends up with.
    pub annotations: BTreeMap<String, String>,
    /// Why YAML fails (for [`CloudParser::Fallback`]), or what it tolerates (the others).
    pub yaml_problems: Vec<YamlProblem>,
    /// Lines (1-based, in the annotation's text) the fallback skips, with a warning in its log.
    pub skipped_lines: Vec<usize>,
    /// Keys that are not valid annotation keys (EW008; a fallback key that kept its quotes).
    pub invalid_keys: Vec<String>,
    /// Valid keys outside the supported cloud prefixes (EW009): the agent ignores them.
    pub unsupported_keys: Vec<String>,
}

/// The exposure model of an input. Pure: the same input and configuration, the same model.
pub fn model(inputs: &Inputs, config: &Config) -> Model {
    model_of(&inputs.manifests, config)
}

/// [`model`] over manifests. When an object appears twice, the last one counts, as `kubectl
/// apply` of the input leaves it (check reports the duplicate). Objects without a name
/// (`generateName`) are left out: nothing can refer to them.
pub fn model_of(manifests: &[Manifest], config: &Config) -> Model {
    let mut namespaces: BTreeMap<String, &Manifest> = BTreeMap::new();
    let mut services: BTreeMap<String, BTreeMap<String, &Manifest>> = BTreeMap::new();
    for m in manifests {
        if m.key().is_none() {
            continue;
        }
        match m.kind {
            ResourceKind::Namespace => {
                namespaces.insert(m.object.name().to_owned(), m);
            }
            ResourceKind::Service => {
                let ns = m.namespace.clone().unwrap_or_default();
                services
                    .entry(ns)
                    .or_default()
                    .insert(m.object.name().to_owned(), m);
            }
            ResourceKind::Other => {}
        }
    }

    let mut names: Vec<&String> = namespaces.keys().chain(services.keys()).collect();
    names.sort();
    names.dedup();
    let empty = BTreeMap::new();
    let namespaces = names
        .into_iter()
        .map(|name| {
            namespace_model(
                name,
                namespaces.get(name).copied(),
                services.get(name).unwrap_or(&empty),
                config,
            )
        })
        .collect();
    Model { namespaces }
}

fn location(m: &Manifest) -> Location {
    Location {
        file: m.file.clone(),
        line: m.positions.start.line,
    }
}

fn namespace_model(
    name: &str,
    ns: Option<&Manifest>,
    services: &BTreeMap<String, &Manifest>,
    config: &Config,
) -> NamespaceModel {
    let annotations = ns.and_then(|m| m.object.annotations());
    let any_labelled = services.values().any(|s| exposure::is_labelled(&s.object));
    let mode = ExposureMode::of(annotations, any_labelled);
    let trigger = match ns {
        None => Trigger::Unknown,
        Some(m) => match config.trigger_label(m.object.labels()) {
            Some((key, value)) => Trigger::Label {
                key: key.clone(),
                value: value.clone(),
            },
            None => Trigger::Missing,
        },
    };
    let gateway = match ns {
        None => GatewayState::Unknown,
        Some(_) => match gateway::derive(annotations, config) {
            Ok(settings) => GatewayState::Settings(settings.into_owned()),
            Err(e) => GatewayState::Underivable(e),
        },
    };
    let cloud = annotations
        .and_then(|a| a.get(keys::GATEWAY_CLOUD_ANNOTATIONS))
        .map(|text| cloud_view(text, config));
    let services = services
        .values()
        .map(|m| service_model(m, name, mode, &trigger))
        .collect();
    NamespaceModel {
        name: name.to_owned(),
        location: ns.map(location),
        global_annotation: annotations
            .and_then(|a| a.get(keys::GLOBAL))
            .map(str::to_owned),
        mode,
        trigger,
        gateway,
        cloud,
        services,
        terminating: ns.is_some_and(|m| m.object.is_terminating()),
    }
}

/// Why a Service with this label, annotation and type is exposed or not, in a Namespace of
/// this mode and trigger.
fn service_reason(
    global_label: Option<&str>,
    has_global_annotation: bool,
    service_type: Option<&str>,
    mode: ExposureMode,
    trigger: &Trigger,
) -> Reason {
    let selection = if mode == ExposureMode::NamespaceLevel {
        Some(Selection::NamespaceLevel)
    } else if global_label == Some("true") {
        Some(Selection::Label)
    } else {
        None
    };
    match selection {
        Some(sel) if *trigger == Trigger::Missing => Reason::NoTriggerLabel(sel),
        Some(sel) if service_type == Some("ExternalName") => Reason::ExternalName(sel),
        Some(Selection::NamespaceLevel) => Reason::NamespaceLevel,
        Some(Selection::Label) => Reason::Labelled,
        None => match global_label {
            Some("false") => Reason::LabelFalse,
            Some(_) => Reason::LabelNotTrue,
            None if has_global_annotation => Reason::LabelAsAnnotation,
            None => Reason::NotLabelled,
        },
    }
}

fn service_model(
    m: &Manifest,
    namespace: &str,
    mode: ExposureMode,
    trigger: &Trigger,
) -> ServiceModel {
    let global_label = m.object.label(keys::GLOBAL).map(str::to_owned);
    let global_annotation = m.object.annotation(keys::GLOBAL).map(str::to_owned);
    let service_type = m.object.service_type().map(str::to_owned);
    let reason = service_reason(
        global_label.as_deref(),
        global_annotation.is_some(),
        service_type.as_deref(),
        mode,
        trigger,
    );
    ServiceModel {
        name: m.object.name().to_owned(),
        namespace: namespace.to_owned(),
        location: location(m),
        global_label,
        global_annotation,
        service_type,
        exposed: reason.exposed(),
        reason,
    }
}

/// How the agent parses a cloud-annotations text: YAML first, its fallback where YAML fails.
pub fn cloud_view(text: &str, config: &Config) -> CloudView {
    let (parser, annotations, yaml_problems, skipped_lines) = match cloud::parse_yaml(text) {
        Ok(entries) => (CloudParser::Yaml, to_map(entries), Vec::new(), Vec::new()),
        Err(problems) => agent_reading(text, problems),
    };
    let mut invalid_keys = Vec::new();
    let mut unsupported_keys = Vec::new();
    for key in annotations.keys() {
        if names::qualified_name(key).is_err() {
            invalid_keys.push(key.clone());
        } else if !config
            .cloud_annotation_prefixes
            .iter()
            .any(|p| key.starts_with(p.as_str()))
        {
            unsupported_keys.push(key.clone());
        }
    }
    CloudView {
        parser,
        annotations,
        yaml_problems,
        skipped_lines,
        invalid_keys,
        unsupported_keys,
    }
}

fn to_map(entries: Vec<cloud::CloudEntry>) -> BTreeMap<String, String> {
    entries.into_iter().map(|e| (e.key, e.value)).collect()
}

type Reading = (
    CloudParser,
    BTreeMap<String, String>,
    Vec<YamlProblem>,
    Vec<usize>,
);

/// What the agent makes of a text the guard's YAML check refuses (`rules::cloud::agent_reading`).
fn agent_reading(text: &str, problems: Vec<YamlProblem>) -> Reading {
    match cloud::agent_reading(text, &problems) {
        cloud::AgentReading::Empty => (
            CloudParser::YamlEmpty,
            BTreeMap::new(),
            problems,
            Vec::new(),
        ),
        cloud::AgentReading::FirstDocument { entries, .. } => (
            CloudParser::YamlFirstDocument,
            to_map(entries),
            problems,
            Vec::new(),
        ),
        cloud::AgentReading::Fallback(fallback) => (
            CloudParser::Fallback,
            fallback.map,
            problems,
            fallback.skipped_lines,
        ),
    }
}

/// Why a Service is exposed or not, in a sentence for a reviewer.
pub fn why(svc: &ServiceModel, ns: &NamespaceModel) -> String {
    let g = keys::GLOBAL;
    let unknown = if ns.in_input() {
        ""
    } else {
        "; its Namespace is not in the input, so this is judged by the label alone"
    };
    let selected = |sel: Selection| match sel {
        Selection::NamespaceLevel => format!("Namespace {} is namespace-level", ns.name),
        Selection::Label => format!("labelled {g}: \"true\""),
    };
    match svc.reason {
        Reason::NamespaceLevel if svc.global_label.as_deref() == Some("true") => format!(
            "Namespace {} is namespace-level: every Service in it is exposed (its own label \
             changes nothing)",
            ns.name
        ),
        Reason::NamespaceLevel => format!(
            "Namespace {} is namespace-level: every Service in it is exposed",
            ns.name
        ),
        Reason::Labelled => format!("labelled {g}: \"true\"{unknown}"),
        Reason::NotLabelled if ns.in_input() => format!(
            "not labelled {g}: \"true\", and Namespace {} is not namespace-level",
            ns.name
        ),
        Reason::NotLabelled => format!(
            "not labelled {g}: \"true\"; its Namespace is not in the input (if it is \
             namespace-level in the cluster, this Service is exposed)"
        ),
        Reason::LabelFalse => format!("labelled {g}: \"false\"{unknown}"),
        Reason::LabelNotTrue => format!(
            "label {g} is {:?}, not exactly \"true\" (EW013): the agent does not expose it{unknown}",
            svc.global_label.as_deref().unwrap_or_default()
        ),
        Reason::LabelAsAnnotation => format!(
            "{g} is written as an annotation, which the agent ignores: it reads only the label \
             (EW012){unknown}"
        ),
        Reason::NoTriggerLabel(sel) => format!(
            "would be exposed ({}), but the Namespace has no trigger label, so the agent \
             creates no workspace for it",
            selected(sel)
        ),
        Reason::ExternalName(sel) => format!(
            "would be exposed ({}), but it is type ExternalName: it has no endpoints to \
             expose{}",
            selected(sel),
            // check reports EW040 on labelled ExternalName Services only.
            if sel == Selection::Label {
                " (EW040)"
            } else {
                ""
            }
        ),
    }
}

/// Why a Namespace is in its mode, in a sentence.
pub fn mode_why(ns: &NamespaceModel) -> String {
    let g = keys::GLOBAL;
    let labelled = ns
        .services
        .iter()
        .filter(|s| s.global_label.as_deref() == Some("true"))
        .count();
    match ns.mode {
        ExposureMode::NamespaceLevel => {
            format!("annotation {g}: \"true\": every Service in it is exposed, labelled or not")
        }
        ExposureMode::ServiceLevel if !ns.in_input() => format!(
            "judged service-level: the Namespace is not in the input, and {} of its Services \
             {} labelled {g}: \"true\"",
            labelled,
            if labelled == 1 { "is" } else { "are" }
        ),
        ExposureMode::ServiceLevel => {
            let annotation = match ns.global_annotation.as_deref() {
                None => format!("no {g} annotation"),
                Some(v) => format!("annotation {g} is {v:?}, not \"true\""),
            };
            format!(
                "{annotation}, and {labelled} of its Services {} labelled {g}: \"true\": only \
                 labelled Services are exposed",
                if labelled == 1 { "is" } else { "are" }
            )
        }
        ExposureMode::Off if !ns.in_input() => format!(
            "the Namespace is not in the input, and none of its Services in the input is \
             labelled {g}: \"true\""
        ),
        ExposureMode::Off => {
            let annotation = match ns.global_annotation.as_deref() {
                None => format!("no {g} annotation"),
                Some("false") => format!("annotation {g}: \"false\""),
                Some(v) => format!("annotation {g} is {v:?}, which the agent reads as \"false\""),
            };
            format!("{annotation}, and no Service in the input is labelled {g}: \"true\"")
        }
    }
}

/// Why the gateway of a Namespace cannot be derived.
/// Why the agent cannot set up the gateway, when it cannot: settings that do not derive
/// (EW005, EW006), or a name, namespace or selector no Kubernetes object can carry (EW004,
/// EW003, EW005). The name first: a derived selector of an invalid name is malformed too, but
/// the name is what to fix, and what check reports.
pub fn gateway_problem(gateway: &GatewayState) -> Option<String> {
    let gw = match gateway {
        GatewayState::Settings(gw) => gw,
        GatewayState::Underivable(e) => return Some(derive_error_text(e).to_owned()),
        GatewayState::Unknown => return None,
    };
    let q = |s: &str| format!("{s:?}");
    if crate::rules::names::dns1123_label(&gw.name).is_err() {
        Some(format!(
            "the gateway name {} is not a DNS-1123 label (EW004)",
            q(&gw.name)
        ))
    } else if crate::rules::names::dns1123_label(&gw.namespace).is_err() {
        Some(format!(
            "the gateway namespace {} is not a DNS-1123 label (EW003)",
            q(&gw.namespace)
        ))
    } else if crate::rules::selector::parse(&gw.workload_selector).is_err() {
        Some(format!(
            "the workload selector {} is malformed (EW005)",
            q(&gw.workload_selector)
        ))
    } else {
        None
    }
}

pub fn derive_error_text(e: &DeriveError) -> &'static str {
    match e {
        DeriveError::InvalidSelector => {
            "the workload selector is malformed (EW005) and no gateway name is given, so \
             neither name nor selector can be derived"
        }
        DeriveError::NoAppKey => {
            "the workload selector has no app key and no gateway name is given (EW006), so the \
             gateway name cannot be derived"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::manifests::{ReadOptions, parse};

    fn model_for(text: &str) -> Model {
        let name: Arc<str> = Arc::from("t.yaml");
        let parsed = parse(&name, 0, text, &ReadOptions::default()).expect("valid YAML");
        model_of(&parsed.manifests, &Config::default())
    }

    #[test]
    fn the_engine_still_words_the_second_document_problem_as_expected() {
        let problems = cloud::parse_yaml("a.io/x: y\n---\nb.io/z: w\n").unwrap_err();
        assert!(
            problems.iter().any(YamlProblem::is_second_document),
            "{problems:?}"
        );
    }

    #[test]
    fn cloud_readings() {
        let c = Config::default();
        let v = cloud_view(
            "service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
            &c,
        );
        assert_eq!(v.parser, CloudParser::Yaml);
        assert_eq!(v.annotations.len(), 1);

        let v = cloud_view("", &c);
        assert_eq!(v.parser, CloudParser::YamlEmpty);
        assert!(v.annotations.is_empty());

        let v = cloud_view("a.io/x: y\n---\nb.io/z: w\n", &c);
        assert_eq!(v.parser, CloudParser::YamlFirstDocument);
        assert_eq!(v.annotations.keys().collect::<Vec<_>>(), vec!["a.io/x"]);
        assert_eq!(v.unsupported_keys, vec!["a.io/x".to_owned()]);

        let v = cloud_view(
            "service.beta.kubernetes.io/aws-load-balancer-type: nlb\nNote: keep: it\nno colon\n",
            &c,
        );
        assert_eq!(v.parser, CloudParser::Fallback);
        assert_eq!(
            v.annotations.get("Note").map(String::as_str),
            Some("keep: it")
        );
        assert_eq!(v.skipped_lines, vec![3]);
        assert!(!v.yaml_problems.is_empty());

        let v = cloud_view("\"service.kubernetes.io/x\": a\nbad: : x\n", &c);
        assert_eq!(v.parser, CloudParser::Fallback);
        assert_eq!(
            v.invalid_keys,
            vec!["\"service.kubernetes.io/x\"".to_owned()]
        );
    }

    #[test]
    fn modes_and_reasons() {
        let m = model_for(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {istio-injection: enabled}\n  annotations: {traffic.tetrate.io/global: \"true\"}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s1, namespace: a}\n\
             ---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {tetrate.io/rev: default}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s2, namespace: b, labels: {traffic.tetrate.io/global: \"true\"}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s3, namespace: b, labels: {traffic.tetrate.io/global: \"True\"}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s4, namespace: c, labels: {traffic.tetrate.io/global: \"true\"}}\n\
             ---\napiVersion: v1\nkind: Namespace\nmetadata: {name: d, annotations: {traffic.tetrate.io/global: \"true\"}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s5, namespace: d}\n",
        );
        let names: Vec<(&str, ExposureMode)> = m
            .namespaces
            .iter()
            .map(|n| (n.name.as_str(), n.mode))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", ExposureMode::NamespaceLevel),
                ("b", ExposureMode::ServiceLevel),
                ("c", ExposureMode::ServiceLevel),
                ("d", ExposureMode::NamespaceLevel),
            ]
        );
        let reasons: Vec<(&str, Reason)> = m
            .namespaces
            .iter()
            .flat_map(|n| n.services.iter().map(|s| (s.name.as_str(), s.reason)))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("s1", Reason::NamespaceLevel),
                ("s2", Reason::Labelled),
                ("s3", Reason::LabelNotTrue),
                ("s4", Reason::Labelled),
                ("s5", Reason::NoTriggerLabel(Selection::NamespaceLevel)),
            ]
        );
        assert_eq!(m.namespaces[2].trigger, Trigger::Unknown);
        assert!(m.namespaces[0].gateway_in_use());
        assert!(!m.namespaces[3].gateway_in_use());
    }
}
