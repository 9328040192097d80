//! Exposure modes. A Namespace annotated `traffic.tetrate.io/global: "true"` exposes every
//! Service in it (namespace-level, which wins over Service labels); otherwise only Services
//! labelled `traffic.tetrate.io/global: "true"` are exposed (service-level); with neither,
//! nothing is (off).

use super::meta::StrMap;

use super::keys;
use super::object::ObjectView;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
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

/// Whether a Service carries the exposure label (exactly `"true"`).
pub fn is_labelled(service: &ObjectView) -> bool {
    service.label(keys::GLOBAL) == Some("true")
}

/// Whether a Service is an ExternalName Service: a DNS alias with no endpoints, so nothing to
/// expose cross-cluster whatever its label or its Namespace's mode (EW040).
pub fn is_external_name(service: &ObjectView) -> bool {
    service.service_type() == Some("ExternalName")
}

/// Whether a Service is exposed cross-cluster, given its Namespace's mode (as `explain` and
/// `diff` count it: never an ExternalName Service).
pub fn is_exposed(service: &ObjectView, namespace_level: bool) -> bool {
    !is_external_name(service) && (namespace_level || is_labelled(service))
}
