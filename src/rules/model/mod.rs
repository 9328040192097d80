//! The agent's model: what the Tetrate agent does with Namespaces and Services. Every surface
//! that describes the agent asks it here (the rules, `explain`, `diff`, the webhook's cluster
//! cache), so a change of the agent's behaviour is made once.
//!
//! - Per object: a Namespace's exposure mode ([`ExposureMode`], [`is_namespace_level`]); whether
//!   a Service is selected for exposure ([`is_labelled`]) and whether it is exposed, and why
//!   ([`Reason::of`]); which mode changes the agent refuses ([`refuses_mode_change`], EW020).
//! - Per input ([`Model`]): each Namespace with its trigger label ([`Trigger`]), its gateway
//!   ([`GatewayState`], with what makes it unusable: [`GatewayProblem`]), its cloud annotations
//!   as the agent reads them ([`CloudView`]) and its Services. Generic over a source handle, so
//!   the CLI attaches file locations without the engine knowing about files.
//!
//! Exposure modes: a Namespace annotated `traffic.tetrate.io/global: "true"` exposes every
//! Service in it (namespace-level, which wins over Service labels); otherwise only Services
//! labelled `traffic.tetrate.io/global: "true"` are exposed (service-level); with neither,
//! nothing is (off).

mod cloud;
mod input;

pub use cloud::{CloudParser, CloudView, cloud_view};
pub use input::{
    GatewayProblem, GatewayState, Model, NamespaceModel, Object, ServiceModel, Trigger,
};

use super::keys;
use super::meta::StrMap;
use super::object::ObjectView;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExposureMode {
    NamespaceLevel,
    ServiceLevel,
    Off,
}

impl ExposureMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExposureMode::NamespaceLevel => "namespace-level",
            ExposureMode::ServiceLevel => "service-level",
            ExposureMode::Off => "off",
        }
    }

    /// The mode of a Namespace, given whether any of its Services is labelled for exposure.
    pub fn of(namespace_annotations: Option<&StrMap>, any_labelled_service: bool) -> Self {
        if is_namespace_level(namespace_annotations) {
            ExposureMode::NamespaceLevel
        } else if any_labelled_service {
            ExposureMode::ServiceLevel
        } else {
            ExposureMode::Off
        }
    }
}

impl std::fmt::Display for ExposureMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a Namespace's annotations make it namespace-level (exactly `"true"`).
pub fn is_namespace_level(annotations: Option<&StrMap>) -> bool {
    annotations.and_then(|a| a.get(keys::GLOBAL)) == Some("true")
}

/// Whether a `traffic.tetrate.io/global` label value selects a Service for exposure: exactly
/// `"true"` (the agent reads `True` or `yes` as not selected).
pub fn selects(global_label: Option<&str>) -> bool {
    global_label == Some("true")
}

/// Whether a Service carries the exposure label (exactly `"true"`).
pub fn is_labelled(service: &ObjectView) -> bool {
    selects(service.label(keys::GLOBAL))
}

/// Whether a Service type is ExternalName: a DNS alias with no endpoints, so nothing to expose
/// cross-cluster whatever its label or its Namespace's mode (EW040).
pub fn is_external_name(service_type: Option<&str>) -> bool {
    service_type == Some("ExternalName")
}

/// What the agent does with a write that changes a Namespace's `traffic.tetrate.io/global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeChange {
    /// Nothing it refuses.
    Allowed,
    /// Namespace-level (exactly `"true"`) to service-level or off in place: refused (EW020).
    Refused,
    /// The old value is one only a lenient boolean parser reads as true (`True`, `1`, `t`:
    /// Go's `strconv.ParseBool`), the new one is not: if the agent read the old value as true,
    /// the Namespace was namespace-level and this is the same refused switch (EW020 warns).
    MayBeRefused,
}

/// EW020's condition: the agent refuses to take a Namespace from namespace-level to
/// service-level or off in place (every unlabelled Service would silently stop being
/// exposed), and keeps the old configuration. Not while the Namespace is being deleted: that
/// is the safe path itself. `old` and `new` are the `traffic.tetrate.io/global` annotation
/// before and after. The rule and `diff` both ask this.
pub fn refuses_mode_change(old: Option<&str>, new: Option<&str>, terminating: bool) -> ModeChange {
    let was = old == Some("true");
    let is = new == Some("true");
    if terminating || is {
        ModeChange::Allowed
    } else if was {
        ModeChange::Refused
    } else if old.is_some_and(lenient_true) && !new.is_some_and(lenient_true) {
        ModeChange::MayBeRefused
    } else {
        ModeChange::Allowed
    }
}

/// The values Go's `strconv.ParseBool` reads as true.
pub fn lenient_true(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

/// The safe way from namespace-level to service-level or off, which every surface gives in
/// these words (EW020 on the webhook and in `check`, `diff` on a blocked change).
pub const SAFE_PATH_FROM_NAMESPACE_LEVEL: &str = "add the label traffic.tetrate.io/global: \
    \"true\" to each Service that must stay exposed in the manifests the Namespace will be \
    recreated from (labels added to the live Services go with the Namespace), then delete the \
    Namespace, which deletes everything in it (workloads, Secrets, volume claims), and \
    recreate it without the annotation";

/// What selects a Service for exposure in the WorkspaceSetting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The Namespace is namespace-level: every Service.
    NamespaceLevel,
    /// The Service's own `traffic.tetrate.io/global: "true"` label.
    Label,
}

/// What the agent reads of a Service to decide whether it is exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceKeys<'a> {
    /// The `traffic.tetrate.io/global` label as written.
    pub global_label: Option<&'a str>,
    /// Whether `traffic.tetrate.io/global` is written as an annotation (a mistake: EW012).
    pub global_annotation: bool,
    pub service_type: Option<&'a str>,
}

impl<'a> ServiceKeys<'a> {
    pub fn of(service: &'a ObjectView) -> Self {
        ServiceKeys {
            global_label: service.label(keys::GLOBAL),
            global_annotation: service.annotation(keys::GLOBAL).is_some(),
            service_type: service.service_type(),
        }
    }
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
    /// Why a Service with these keys is exposed or not, in a Namespace that is namespace-level
    /// or not and whose workspace the agent creates (`Some(true)`), does not create (no
    /// trigger label: `Some(false)`), or that is unknown (`None`: judged by the label alone).
    pub fn of(service: ServiceKeys<'_>, namespace_level: bool, workspace: Option<bool>) -> Self {
        let selection = if namespace_level {
            Some(Selection::NamespaceLevel)
        } else if selects(service.global_label) {
            Some(Selection::Label)
        } else {
            None
        };
        match selection {
            Some(sel) if workspace == Some(false) => Reason::NoTriggerLabel(sel),
            Some(sel) if is_external_name(service.service_type) => Reason::ExternalName(sel),
            Some(Selection::NamespaceLevel) => Reason::NamespaceLevel,
            Some(Selection::Label) => Reason::Labelled,
            None => match service.global_label {
                Some("false") => Reason::LabelFalse,
                Some(_) => Reason::LabelNotTrue,
                None if service.global_annotation => Reason::LabelAsAnnotation,
                None => Reason::NotLabelled,
            },
        }
    }

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

/// Whether a Service is exposed cross-cluster in a Namespace that has its workspace (a trigger
/// label), namespace-level or not: what EW022 compares before and after a write, and what
/// `explain` and `diff` list.
pub fn is_exposed(service: &ObjectView, namespace_level: bool) -> bool {
    Reason::of(ServiceKeys::of(service), namespace_level, Some(true)).exposed()
}
