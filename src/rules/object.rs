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
    /// Only the metadata the rules read is parsed (see [`rules_metadata::READ`]); the rest,
    /// `managedFields` first (the largest part of most objects kube-apiserver sends), is
    /// skipped unparsed.
    #[serde(default, deserialize_with = "rules_metadata::deserialize")]
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

/// Deserialises k8s-openapi's `ObjectMeta` through a map that drops, unparsed, every entry no
/// rule reads (serde's `IgnoredAny` skips them without allocating), handing the rest to
/// `ObjectMeta`'s own `Deserialize`. `managedFields`, `uid`, `resourceVersion`,
/// `creationTimestamp` (a date parse), `ownerReferences` and the like cost time on every
/// request and decide nothing.
pub(crate) mod rules_metadata {
    use std::fmt;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    /// The `metadata` fields the rules read; every other one is skipped.
    pub(crate) const READ: [&str; 6] = [
        "name",
        "namespace",
        "generateName",
        "labels",
        "annotations",
        "deletionTimestamp",
    ];

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
        <ObjectMeta as serde::Deserialize>::deserialize(Filtered(d))
    }

    /// A deserializer whose maps show only the entries in [`READ`].
    struct Filtered<D>(D);

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Filtered<D> {
        type Error = D::Error;

        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_any(FilterVisitor(v))
        }

        fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_map(FilterVisitor(v))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_struct(name, fields, FilterVisitor(v))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier
            ignored_any
        }
    }

    struct FilterVisitor<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for FilterVisitor<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.0.visit_map(FilterMap(map))
        }
    }

    struct FilterMap<A>(A);

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for FilterMap<A> {
        type Error = A::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, A::Error> {
            loop {
                let Some(key) = self.0.next_key::<super::Text<'de>>()? else {
                    return Ok(None);
                };
                if !READ.contains(&&*key) {
                    self.0.next_value::<IgnoredAny>()?;
                    continue;
                }
                return seed
                    .deserialize(de::value::CowStrDeserializer::new(key.0))
                    .map(Some);
            }
        }

        fn next_value_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<T::Value, A::Error> {
            self.0.next_value_seed(seed)
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
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
            assert!(obj.metadata.managed_fields.is_none());
            assert!(obj.metadata.uid.is_none());
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
                serde_json::from_str::<ObjectView>(
                    r#"{"metadata": {"deletionTimestamp": "soon"}}"#
                )
                .is_err()
            );
            assert!(serde_json::from_str::<ObjectView>(r#"{"metadata": 5}"#).is_err());
            assert!(
                serde_json::from_str::<ObjectView>(r#"{"metadata": {"labels": [1]}}"#).is_err()
            );
        }
    }
}
