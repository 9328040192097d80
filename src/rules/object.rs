//! What the rules read of an admitted object: its metadata and, for a Service, `spec.type`.
//!
//! Deserialising a whole `Service` or `Namespace` (spec, status) costs time on every request
//! for fields no rule reads, so the object is projected: `metadata` is k8s-openapi's
//! `ObjectMeta`, and `spec` keeps only `type`. Unknown fields are skipped by serde.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::{ApiResource, DynamicResourceScope, Resource};
use serde::{Deserialize, Serialize};

/// The projection of `spec` that the rules read (Service `spec.type`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct SpecView {
    /// Service type (`ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

/// A Namespace or Service as the rules see it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ObjectView {
    #[serde(
        rename = "apiVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecView>,
}

impl ObjectView {
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }

    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.metadata.labels.as_ref()
    }

    pub fn annotations(&self) -> Option<&BTreeMap<String, String>> {
        self.metadata.annotations.as_ref()
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels().and_then(|m| m.get(key)).map(String::as_str)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations()
            .and_then(|m| m.get(key))
            .map(String::as_str)
    }

    pub fn service_type(&self) -> Option<&str> {
        self.spec.as_ref().and_then(|s| s.type_.as_deref())
    }

    pub fn is_terminating(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }
}

/// Lets `ObjectView` be the object type of kube's `AdmissionReview<T>`, like `DynamicObject`.
impl Resource for ObjectView {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        Cow::from(&dt.kind)
    }
    fn group(dt: &ApiResource) -> Cow<'_, str> {
        Cow::from(&dt.group)
    }
    fn version(dt: &ApiResource) -> Cow<'_, str> {
        Cow::from(&dt.version)
    }
    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        Cow::from(&dt.api_version)
    }
    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        Cow::from(&dt.plural)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}
