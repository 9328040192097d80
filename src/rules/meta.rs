//! The metadata the rules read, and the string map its labels and annotations are kept in.
//!
//! kube-apiserver sends every object with all of its metadata (`managedFields` first, often
//! most of the object); the rules read six fields. [`Meta`] keeps those six and skips the rest
//! unparsed. Labels and annotations are a [`StrMap`]: one buffer for all keys and values and
//! one sorted index, two allocations whatever the number of entries, where a
//! `BTreeMap<String, String>` makes two per entry and a node per eleven: on a review with a
//! dozen labels and annotations (in the object and its old copy), about a quarter of a
//! /validate request's allocations.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::object::Text;

/// What the rules read of `metadata`. Every other field is skipped unparsed (serde's
/// `IgnoredAny`): `managedFields`, `uid`, `resourceVersion`, `creationTimestamp`,
/// `ownerReferences` and the like decide nothing.
///
/// Read as k8s-openapi reads `ObjectMeta`: a JSON object only (not a list), `null` for an
/// absent field, a repeated field keeps its last value.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename = "ObjectMeta", rename_all = "camelCase")]
pub struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<StrMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<StrMap>,
    /// Parsed as k8s-openapi parses it (an RFC 3339 time), so a malformed one is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Time>,
}

impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MetaVisitor;
        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = Meta;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("ObjectMeta")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Meta, A::Error> {
                let mut meta = Meta::default();
                while let Some(key) = access.next_key::<Text<'de>>()? {
                    match &*key {
                        "name" => meta.name = access.next_value()?,
                        "namespace" => meta.namespace = access.next_value()?,
                        "generateName" => meta.generate_name = access.next_value()?,
                        "labels" => meta.labels = access.next_value()?,
                        "annotations" => meta.annotations = access.next_value()?,
                        "deletionTimestamp" => meta.deletion_timestamp = access.next_value()?,
                        _ => {
                            access.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(meta)
            }
        }
        // As a struct, as k8s-openapi reads it: serde_json then says where a non-object
        // `metadata` is in the same words and at the same column.
        d.deserialize_struct("ObjectMeta", &FIELDS, MetaVisitor)
    }
}

/// The fields [`Meta`] reads.
const FIELDS: [&str; 6] = [
    "name",
    "namespace",
    "generateName",
    "labels",
    "annotations",
    "deletionTimestamp",
];

/// A map of strings to strings, sorted by key, as Kubernetes labels and annotations are. A key
/// given twice keeps its last value, as a `BTreeMap` built from the same input would.
#[derive(Clone, Default)]
pub struct StrMap {
    /// Every key followed by its value.
    text: String,
    /// Per entry, in key order: where its key starts, where its value starts (the key's end)
    /// and where its value ends, in `text`.
    index: Vec<[u32; 3]>,
}

impl StrMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        // In a map of a few entries (most objects' labels and annotations) a scan that compares
        // lengths first needs fewer steps than a binary search comparing strings.
        if self.index.len() <= 16 {
            return self
                .index
                .iter()
                .find(|e| {
                    e[1].saturating_sub(e[0]) as usize == key.len()
                        && self.bytes(e[0], e[1]) == key.as_bytes()
                })
                .map(|e| self.span(e[1], e[2]));
        }
        self.find(key).ok().map(|i| self.value_at(i))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + ExactSizeIterator {
        (0..self.index.len()).map(|i| (self.key_at(i), self.value_at(i)))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        (0..self.index.len()).map(|i| self.key_at(i))
    }

    /// The entries whose key starts with `prefix`, in key order (a seek, not a scan).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        let start = self
            .index
            .partition_point(|e| self.bytes(e[0], e[1]) < prefix.as_bytes());
        (start..self.index.len())
            .map(|i| (self.key_at(i), self.value_at(i)))
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// Adds an entry; a key already present gets the new value.
    pub fn insert(&mut self, key: &str, value: &str) {
        let Some(entry) = self.push_text(key, value) else {
            return;
        };
        match self.find(key) {
            Ok(i) => self.index[i] = entry,
            Err(i) => self.index.insert(i, entry),
        }
    }

    /// Appends to the buffer; `None` past 4 GiB of text (no object kube-apiserver accepts is
    /// near that: it refuses 1.5 MiB).
    fn push_text(&mut self, key: &str, value: &str) -> Option<[u32; 3]> {
        let start = u32::try_from(self.text.len()).ok()?;
        let mid = start.checked_add(u32::try_from(key.len()).ok()?)?;
        let end = mid.checked_add(u32::try_from(value.len()).ok()?)?;
        self.text.push_str(key);
        self.text.push_str(value);
        Some([start, mid, end])
    }

    /// Puts an index appended in reading order into key order, keeping the last of equal keys.
    fn sort_and_dedupe(&mut self) {
        let StrMap { text, index } = self;
        let key = |e: &[u32; 3]| text.as_bytes().get(e[0] as usize..e[1] as usize);
        if index.is_sorted_by(|a, b| key(a) < key(b)) {
            return;
        }
        // Stable: of equal keys the last read stays last, and is the one kept.
        index.sort_by(|a, b| key(a).cmp(&key(b)));
        let mut kept: Vec<[u32; 3]> = Vec::with_capacity(index.len());
        for e in index.drain(..) {
            match kept.last_mut() {
                Some(last) if key(last) == key(&e) => *last = e,
                _ => kept.push(e),
            }
        }
        *index = kept;
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.index
            .binary_search_by(|e| self.bytes(e[0], e[1]).cmp(key.as_bytes()))
    }

    /// Compared as bytes: UTF-8 sorts as its code points do, so this is `str`'s order, without
    /// `str` slicing's check for character boundaries on every comparison.
    fn bytes(&self, from: u32, to: u32) -> &[u8] {
        self.text
            .as_bytes()
            .get(from as usize..to as usize)
            .unwrap_or(b"")
    }

    fn span(&self, from: u32, to: u32) -> &str {
        self.text.get(from as usize..to as usize).unwrap_or("")
    }

    fn key_at(&self, i: usize) -> &str {
        let e = self.index[i];
        self.span(e[0], e[1])
    }

    fn value_at(&self, i: usize) -> &str {
        let e = self.index[i];
        self.span(e[1], e[2])
    }
}

/// Equal when the entries are (the buffers may hold them in another order).
impl PartialEq for StrMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for StrMap {}

impl fmt::Debug for StrMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Appended, then sorted once: a map built from many unsorted entries costs a sort, not an
/// insertion into the middle of the index per entry. A key given twice keeps its last value.
impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for StrMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = StrMap::new();
        for (k, v) in iter {
            if let Some(entry) = map.push_text(k.as_ref(), v.as_ref()) {
                map.index.push(entry);
            }
        }
        map.sort_and_dedupe();
        map
    }
}

impl Serialize for StrMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for StrMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = StrMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // What serde says of a `BTreeMap`, so a 400's reason reads as it did.
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrMap, A::Error> {
                // Room for a typical object's labels or annotations without growing.
                let mut map = StrMap {
                    text: String::with_capacity(512),
                    index: Vec::with_capacity(8),
                };
                // Appended as read, sorted once at the end (kube-apiserver sends keys sorted,
                // as Go's encoding/json writes maps, so usually there is nothing to do).
                while let Some((key, value)) = access.next_entry::<Text<'de>, Text<'de>>()? {
                    let entry = map
                        .push_text(&key, &value)
                        .ok_or_else(|| de::Error::custom("labels or annotations over 4 GiB"))?;
                    map.index.push(entry);
                }
                map.sort_and_dedupe();
                Ok(map)
            }
        }
        d.deserialize_map(MapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn reads_like_a_btreemap_of_strings() {
        let cases = [
            r#"{}"#,
            r#"{"b":"2","a":"1","c":""}"#,
            r#"{"a":"1","a":"2","b":"x","a":"3"}"#,
            r#"{"tetrate.io/rev":"default","traffic.tetrate.io/global":"true","x\"y":"\u00e9\n"}"#,
        ];
        for json in cases {
            let ours: StrMap = serde_json::from_str(json).unwrap();
            let theirs: BTreeMap<String, String> = serde_json::from_str(json).unwrap();
            let ours_pairs: Vec<_> = ours.iter().collect();
            let theirs_pairs: Vec<_> = theirs.iter().map(|(k, v)| (&**k, &**v)).collect();
            assert_eq!(ours_pairs, theirs_pairs, "{json}");
            assert_eq!(ours.len(), theirs.len());
            for (k, v) in &theirs {
                assert_eq!(ours.get(k), Some(v.as_str()));
            }
            assert_eq!(ours.get("absent"), None);
            // The same entries inserted one by one make the same map.
            assert_eq!(theirs.iter().collect::<StrMap>(), ours);
        }
        for bad in [r#"{"a":1}"#, r#"{"a":null}"#, r#"["a"]"#, r#""a""#] {
            assert!(serde_json::from_str::<StrMap>(bad).is_err(), "{bad}");
            assert!(serde_json::from_str::<BTreeMap<String, String>>(bad).is_err());
        }
    }

    #[test]
    fn lookups_in_small_and_large_maps() {
        for n in [0usize, 1, 16, 17, 200] {
            let pairs: Vec<(String, String)> =
                (0..n).map(|i| (format!("k{i}"), format!("v{i}"))).collect();
            let map: StrMap = pairs.iter().rev().cloned().collect();
            assert_eq!(map.len(), n);
            for (k, v) in &pairs {
                assert_eq!(map.get(k), Some(v.as_str()), "{n}: {k}");
                assert!(map.contains_key(k));
            }
            for absent in ["", "k", "k1x", "v1", "zz"] {
                assert_eq!(map.get(absent), None, "{n}: {absent}");
            }
        }
    }

    /// A 400's reason names the same expectation, at the same place, as with k8s-openapi's
    /// `ObjectMeta` and its `BTreeMap`s.
    #[test]
    fn errors_read_as_with_k8s_openapi() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
        for bad in [
            r#"[]"#,
            r#"[1]"#,
            r#"null"#,
            r#""x""#,
            r#"5"#,
            r#"{"labels":5}"#,
            r#"{"labels":[]}"#,
            r#"{"annotations":"a"}"#,
            r#"{"labels":{"a":1}}"#,
            r#"{"name":5}"#,
            r#"{"deletionTimestamp":"soon"}"#,
        ] {
            let ours = serde_json::from_str::<Meta>(bad).unwrap_err().to_string();
            let theirs = serde_json::from_str::<ObjectMeta>(bad)
                .unwrap_err()
                .to_string();
            assert_eq!(ours, theirs, "{bad}");
        }
    }

    /// Many entries in reverse order (a CLI manifest can have any): a sort, not an insertion
    /// per entry into the middle of the index.
    #[test]
    fn a_large_unsorted_map_is_built_by_one_sort() {
        let n = 200_000;
        let map: StrMap = (0..n)
            .rev()
            .map(|i| (format!("k{i:06}"), format!("{i}")))
            .collect();
        assert_eq!(map.len(), n);
        assert_eq!(map.keys().next(), Some("k000000"));
        assert_eq!(map.get("k123456"), Some("123456"));
        let dup: StrMap = [("a", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
        assert_eq!(dup.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn prefix_seek_and_insert() {
        let mut m: StrMap = [("b", "1"), ("traffic.tetrate.io/x", "2"), ("z", "3")]
            .into_iter()
            .collect();
        m.insert("traffic.tetrate.io/a", "4");
        m.insert("b", "5");
        let tetrate: Vec<_> = m.with_prefix("traffic.tetrate.io/").collect();
        assert_eq!(
            tetrate,
            vec![("traffic.tetrate.io/a", "4"), ("traffic.tetrate.io/x", "2")]
        );
        assert_eq!(m.get("b"), Some("5"));
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["b", "traffic.tetrate.io/a", "traffic.tetrate.io/x", "z"]
        );
        assert_eq!(m.with_prefix("q").count(), 0);
        assert_eq!(m.with_prefix("").count(), 4);
        assert_eq!(
            format!("{m:?}"),
            r#"{"b": "5", "traffic.tetrate.io/a": "4", "traffic.tetrate.io/x": "2", "z": "3"}"#
        );
    }

    #[test]
    fn meta_reads_six_fields_and_skips_the_rest() {
        let m: Meta = serde_json::from_str(
            r#"{"name":"x","managedFields":[{"manager":"m","fieldsV1":{"f:a":{}}}],"uid":5,
                "labels":{"a":"b"},"annotations":null,"generateName":"x-","namespace":"n",
                "deletionTimestamp":"2026-11-21T10:00:00Z","creationTimestamp":"not a date"}"#,
        )
        .unwrap();
        assert_eq!(m.name.as_deref(), Some("x"));
        assert_eq!(m.namespace.as_deref(), Some("n"));
        assert_eq!(m.generate_name.as_deref(), Some("x-"));
        assert_eq!(m.labels.as_ref().and_then(|l| l.get("a")), Some("b"));
        assert_eq!(m.annotations, None);
        assert!(m.deletion_timestamp.is_some());
        for bad in [
            r#"{"deletionTimestamp":"soon"}"#,
            r#"{"labels":[1]}"#,
            r#"{"name":5}"#,
            r#"5"#,
            r#"[]"#,
            r#"["x"]"#,
        ] {
            assert!(serde_json::from_str::<Meta>(bad).is_err(), "{bad}");
        }
    }
}
