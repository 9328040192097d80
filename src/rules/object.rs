//! What the rules read of an admitted object: its metadata and, for a Service, `spec.type`.
//!
//! Deserialising a whole `Service` or `Namespace` (spec, status) costs time on every request
//! for fields no rule reads, so the object is projected: `metadata` keeps the six fields the
//! rules read ([`Meta`]), and `spec` keeps only `type`. Unknown fields are skipped by serde.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::meta::{Meta, StrMap};

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
    /// Only the metadata the rules read is parsed; the rest, `managedFields` first (the
    /// largest part of most objects kube-apiserver sends), is skipped unparsed.
    #[serde(default)]
    pub metadata: Meta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecView>,
}

impl ObjectView {
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }

    /// The name as a fix's kubectl command writes it: `<name>` for an object that has none yet
    /// (a CREATE with `generateName`), so a pasted command fails loudly instead of naming
    /// nothing (or, with other flags, the wrong objects).
    pub fn name_for_commands(&self) -> &str {
        match self.name() {
            "" => "<name>",
            name => name,
        }
    }

    pub fn labels(&self) -> Option<&StrMap> {
        self.metadata.labels.as_ref()
    }

    pub fn annotations(&self) -> Option<&StrMap> {
        self.metadata.annotations.as_ref()
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels().and_then(|m| m.get(key))
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations().and_then(|m| m.get(key))
    }

    pub fn service_type(&self) -> Option<&str> {
        self.spec.as_ref().and_then(|s| s.type_.as_deref())
    }

    pub fn is_terminating(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }
}

/// A string borrowed from the input unless it has escapes (then decoded into its own copy).
/// serde's `borrow` attribute borrows a bare `Cow<str>` field only; inside an `Option`, a
/// `Vec` or a map a `Cow` is always copied, so those use this. Read on every request: the
/// metadata's keys here, the AdmissionReview's strings in the server.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl Text<'_> {
    pub(crate) fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ObjectView;

    #[test]
    fn unread_metadata_is_skipped_and_the_rest_kept() {
        let obj: ObjectView = serde_json::from_str(
            r#"{"metadata":{"name":"x","managedFields":[{"manager":"m","fieldsV1":{"f:a":{}}}],
                "labels":{"a":"b"},"annotations":{"c":"d"},"uid":"u",
                "deletionTimestamp":"2026-11-21T10:00:00Z"},"spec":{"type":"ClusterIP"}}"#,
        )
        .unwrap();
        assert_eq!(obj.name(), "x");
        assert_eq!(obj.label("a"), Some("b"));
        assert_eq!(obj.annotation("c"), Some("d"));
        assert!(obj.is_terminating());
        assert_eq!(obj.service_type(), Some("ClusterIP"));
        // From a serde_json::Value too (the CLI's path), and with bad metadata an error.
        let v = serde_json::json!({"metadata": {"name": "y", "managedFields": "junk"}});
        assert_eq!(serde_json::from_value::<ObjectView>(v).unwrap().name(), "y");
        // Fields no rule reads are not checked: kube-apiserver has validated them already.
        let v = serde_json::json!({"metadata": {"name": "z", "namespace": "shop",
            "generateName": "z-", "uid": 5, "creationTimestamp": "not a date",
            "ownerReferences": {}, "resourceVersion": [1]}});
        let obj = serde_json::from_value::<ObjectView>(v).unwrap();
        assert_eq!(obj.name(), "z");
        assert_eq!(obj.metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(obj.metadata.generate_name.as_deref(), Some("z-"));
        // Those it reads still are.
        assert!(
            serde_json::from_str::<ObjectView>(r#"{"metadata": {"deletionTimestamp": "soon"}}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<ObjectView>(r#"{"metadata": 5}"#).is_err());
        assert!(serde_json::from_str::<ObjectView>(r#"{"metadata": {"labels": [1]}}"#).is_err());
    }
}
