//! What changes between two inputs: the diff's data, with the short descriptions the text
//! and Markdown outputs share.

use std::collections::BTreeMap;

use super::super::exposure::{self, Location, NamespaceModel};
use crate::rules::RuleId;
use crate::rules::model::{CloudParser, ExposureMode, GatewayState, Reason, Trigger};

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
    pub(super) fn of(ns: &NamespaceModel) -> Option<GatewayView> {
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
    pub(super) fn of(ns: &NamespaceModel) -> NamespaceSide {
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
    /// The rule under which check warns that the agent may refuse this change (EW020 on an
    /// old value only a lenient parser reads as true).
    pub may_be_blocked_by: Option<RuleId>,
}
