//! The model of a whole input: per Namespace, its exposure mode, whether a trigger label makes
//! it eligible for a workspace, the gateway it gets (with where each value came from), its
//! cloud annotations as the agent parses them, and each of its Services with whether it is
//! exposed cross-cluster and why.
//!
//! The input is taken to be the whole desired state of the Namespaces it holds (as in GitOps):
//! a Namespace in the input has exactly the Services the input gives it. A Service whose
//! Namespace is not in the input is judged by its label alone, and its Namespace is marked
//! unknown (it may be namespace-level, or lack a trigger label, in the cluster).
//!
//! Each object carries a source handle `S` the engine never looks at: the CLI's file and line.

use std::collections::BTreeMap;

use super::super::config::Config;
use super::super::gateway::{self, DeriveError, GatewaySettings};
use super::super::object::ObjectView;
use super::super::{ResourceKind, keys, names, selector};
use super::cloud::{CloudView, cloud_view};
use super::{ExposureMode, Reason, ServiceKeys, is_labelled};

/// One object of an input, as the model reads it.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a, S> {
    pub kind: ResourceKind,
    pub object: &'a ObjectView,
    /// For a Service: its namespace (the input's default where the object names none).
    pub namespace: Option<&'a str>,
    /// Where the object comes from, kept with it in the model.
    pub source: S,
}

/// Everything the agent would do with one input, by Namespace (sorted by name).
#[derive(Clone, Debug)]
pub struct Model<S> {
    pub namespaces: Vec<NamespaceModel<S>>,
}

impl<S> Default for Model<S> {
    fn default() -> Self {
        Model {
            namespaces: Vec::new(),
        }
    }
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

impl Trigger {
    /// Whether the agent creates a workspace: `None` when the Namespace is unknown.
    pub fn workspace(&self) -> Option<bool> {
        match self {
            Trigger::Label { .. } => Some(true),
            Trigger::Missing => Some(false),
            Trigger::Unknown => None,
        }
    }
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

/// Why the agent cannot set up a Namespace's gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayProblem {
    /// Name and selector cannot be derived (EW005, EW006).
    Underivable(DeriveError),
    /// The name is not a DNS-1035 label (EW004).
    Name,
    /// The namespace is not a DNS-1123 label (EW003).
    Namespace,
    /// The workload selector is malformed (EW005).
    WorkloadSelector,
}

impl GatewayState {
    /// Why the agent cannot set up the gateway, when it cannot: settings that do not derive
    /// (EW005, EW006), or a name, namespace or selector no Kubernetes object can carry (EW004,
    /// EW003, EW005). The name first: a derived selector of an invalid name is malformed too,
    /// but the name is what to fix, and what check reports. `None` for an unknown gateway.
    pub fn problem(&self) -> Option<GatewayProblem> {
        let gw = match self {
            GatewayState::Settings(gw) => gw,
            GatewayState::Underivable(e) => return Some(GatewayProblem::Underivable(e.clone())),
            GatewayState::Unknown => return None,
        };
        if names::dns1035_label(&gw.name).is_err() {
            Some(GatewayProblem::Name)
        } else if names::dns1123_label(&gw.namespace).is_err() {
            Some(GatewayProblem::Namespace)
        } else if selector::parse(&gw.workload_selector).is_err() {
            Some(GatewayProblem::WorkloadSelector)
        } else {
            None
        }
    }
}

/// One Namespace as the agent sees it.
#[derive(Clone, Debug)]
pub struct NamespaceModel<S> {
    pub name: String,
    /// `None`: the Namespace is not in the input, only Services in it are.
    pub source: Option<S>,
    /// The `traffic.tetrate.io/global` annotation as written.
    pub global_annotation: Option<String>,
    pub mode: ExposureMode,
    pub trigger: Trigger,
    pub gateway: GatewayState,
    /// The cloud-annotations annotation, when written.
    pub cloud: Option<CloudView>,
    /// Its Services in the input, sorted by name.
    pub services: Vec<ServiceModel<S>>,
    /// Being deleted (`deletionTimestamp` set): EW020 does not apply.
    pub terminating: bool,
}

impl<S: Clone> NamespaceModel<S> {
    pub fn in_input(&self) -> bool {
        self.source.is_some()
    }

    /// Whether the agent creates a workspace for it; `None` when the Namespace is unknown.
    pub fn workspace(&self) -> Option<bool> {
        self.trigger.workspace()
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

    pub fn exposed(&self) -> impl Iterator<Item = &ServiceModel<S>> {
        self.services.iter().filter(|s| s.exposed)
    }

    pub fn not_exposed(&self) -> impl Iterator<Item = &ServiceModel<S>> {
        self.services.iter().filter(|s| !s.exposed)
    }

    /// This Namespace's Services under the exposure configuration of `kept` (its mode,
    /// trigger, gateway and cloud annotations): what the agent does when it refuses a change
    /// to the Namespace (EW020) and keeps the old configuration.
    pub fn keeping_config_of(&self, kept: &NamespaceModel<S>) -> NamespaceModel<S> {
        let mut out = self.clone();
        out.global_annotation = kept.global_annotation.clone();
        out.mode = kept.mode;
        out.trigger = kept.trigger.clone();
        out.gateway = kept.gateway.clone();
        out.cloud = kept.cloud.clone();
        let namespace_level = out.mode == ExposureMode::NamespaceLevel;
        let workspace = out.workspace();
        for s in &mut out.services {
            s.reason = Reason::of(s.keys(), namespace_level, workspace);
            s.exposed = s.reason.exposed();
        }
        out
    }
}

/// One Service as the agent sees it.
#[derive(Clone, Debug)]
pub struct ServiceModel<S> {
    pub name: String,
    pub namespace: String,
    pub source: S,
    /// The `traffic.tetrate.io/global` label as written.
    pub global_label: Option<String>,
    /// The `traffic.tetrate.io/global` annotation as written (a mistake: EW012).
    pub global_annotation: Option<String>,
    pub service_type: Option<String>,
    pub exposed: bool,
    pub reason: Reason,
}

impl<S> ServiceModel<S> {
    /// The keys the agent reads to decide its exposure.
    pub fn keys(&self) -> ServiceKeys<'_> {
        ServiceKeys {
            global_label: self.global_label.as_deref(),
            global_annotation: self.global_annotation.is_some(),
            service_type: self.service_type.as_deref(),
        }
    }
}

impl<S: Clone> Model<S> {
    /// The model of the objects of an input. Pure: the same input and configuration, the same
    /// model. When an object appears twice, the last one counts, as `kubectl apply` of the
    /// input leaves it. Objects without a name (`generateName`) are left out: nothing can refer
    /// to them; so is every kind other than Namespace and Service.
    pub fn of<'a>(objects: impl IntoIterator<Item = Object<'a, S>>, config: &Config) -> Self {
        let mut namespaces: BTreeMap<&str, Object<'a, S>> = BTreeMap::new();
        let mut services: BTreeMap<&str, BTreeMap<&str, Object<'a, S>>> = BTreeMap::new();
        for o in objects {
            let name = o.object.name();
            if name.is_empty() {
                continue;
            }
            match o.kind {
                ResourceKind::Namespace => {
                    namespaces.insert(name, o);
                }
                ResourceKind::Service => {
                    services
                        .entry(o.namespace.unwrap_or_default())
                        .or_default()
                        .insert(name, o);
                }
                ResourceKind::Other => {}
            }
        }

        let mut names: Vec<&str> = namespaces.keys().chain(services.keys()).copied().collect();
        names.sort_unstable();
        names.dedup();
        let empty = BTreeMap::new();
        let namespaces = names
            .into_iter()
            .map(|name| {
                namespace_model(
                    name,
                    namespaces.get(name),
                    services.get(name).unwrap_or(&empty),
                    config,
                )
            })
            .collect();
        Model { namespaces }
    }
}

fn namespace_model<S: Clone>(
    name: &str,
    ns: Option<&Object<'_, S>>,
    services: &BTreeMap<&str, Object<'_, S>>,
    config: &Config,
) -> NamespaceModel<S> {
    let annotations = ns.and_then(|o| o.object.annotations());
    let any_labelled = services.values().any(|s| is_labelled(s.object));
    let mode = ExposureMode::of(annotations, any_labelled);
    let trigger = match ns {
        None => Trigger::Unknown,
        Some(o) => match config.trigger_label(o.object.labels()) {
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
    let namespace_level = mode == ExposureMode::NamespaceLevel;
    let workspace = trigger.workspace();
    let services = services
        .values()
        .map(|o| service_model(o, name, namespace_level, workspace))
        .collect();
    NamespaceModel {
        name: name.to_owned(),
        source: ns.map(|o| o.source.clone()),
        global_annotation: annotations
            .and_then(|a| a.get(keys::GLOBAL))
            .map(str::to_owned),
        mode,
        trigger,
        gateway,
        cloud,
        services,
        terminating: ns.is_some_and(|o| o.object.is_terminating()),
    }
}

fn service_model<S: Clone>(
    o: &Object<'_, S>,
    namespace: &str,
    namespace_level: bool,
    workspace: Option<bool>,
) -> ServiceModel<S> {
    let read = ServiceKeys::of(o.object);
    let reason = Reason::of(read, namespace_level, workspace);
    ServiceModel {
        name: o.object.name().to_owned(),
        namespace: namespace.to_owned(),
        source: o.source.clone(),
        global_label: read.global_label.map(str::to_owned),
        global_annotation: o.object.annotation(keys::GLOBAL).map(str::to_owned),
        service_type: read.service_type.map(str::to_owned),
        exposed: reason.exposed(),
        reason,
    }
}
