//! One YAML document into the Namespaces and Services it holds: Lists flattened as kubectl
//! flattens them, only the core API's `v1` kinds kept, and a Service's namespace defaulted as
//! kube-apiserver defaults it.

use std::collections::VecDeque;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::metadata::{Place, shadowed_keys, string_map};
use super::{Manifest, Positions, ReadOptions};
use crate::cli::yaml::Node;
use crate::rules::{Meta, ObjectView, ResourceKind, SpecView};

/// Reads the documents of one text.
pub(super) struct Reader<'a> {
    pub(super) file: &'a Arc<str>,
    pub(super) file_index: usize,
    pub(super) options: &'a ReadOptions,
}

/// How deep Lists inside Lists are followed (kubectl flattens them all; the YAML reader's own
/// nesting limit bounds the input anyway).
const MAX_LIST_DEPTH: usize = 32;

impl Reader<'_> {
    /// An object, or a List of them. `kind: List` (kubectl's), and typed lists such as
    /// `ServiceList` whose items may omit their kind; a List inside a List is flattened too,
    /// in kubectl's order (its resource builder takes a List's items after what is already
    /// queued: breadth first), which decides which copy of a repeated object is last.
    /// Returns how many Kubernetes objects (of any kind) the document holds.
    pub(super) fn document(&self, root: &Node, out: &mut Vec<Manifest>) -> usize {
        let mut objects = 0;
        let mut queue: VecDeque<(&Node, Option<&str>, Option<&str>, usize)> =
            VecDeque::from([(root, None, None, 0)]);
        while let Some((node, default_kind, default_api_version, depth)) = queue.pop_front() {
            if !node.is_map() {
                continue;
            }
            let kind = node.get("kind").and_then(Node::as_text).or(default_kind);
            let api_version = node
                .get("apiVersion")
                .and_then(Node::as_text)
                .or(default_api_version);
            if let (Some(list_kind), Some(items)) = (kind, node.get("items").and_then(Node::as_seq))
                && let Some(item_kind) = list_kind.strip_suffix("List")
            {
                if depth < MAX_LIST_DEPTH {
                    let item_kind = (!item_kind.is_empty()).then_some(item_kind);
                    for item in items {
                        queue.push_back((item, item_kind, api_version, depth + 1));
                    }
                }
                continue;
            }
            if kind.is_some() {
                objects += 1;
            }
            out.extend(self.object(node, default_kind, default_api_version));
        }
        objects
    }

    /// A Namespace or Service from a map node; `None` for any other kind.
    fn object(
        &self,
        node: &Node,
        default_kind: Option<&str>,
        default_api_version: Option<&str>,
    ) -> Option<Manifest> {
        let kind_text = node.get("kind").and_then(Node::as_text).or(default_kind)?;
        let api_version = node
            .get("apiVersion")
            .and_then(Node::as_text)
            .or(default_api_version);
        // Only the core API's `v1` (group "", version "v1"): a group-less `v2` or `v1beta1` is
        // not it, whatever its kind. Without apiVersion (or with an empty one), assume `v1`:
        // kubectl would refuse the document, so judging it costs nothing and may save a round
        // trip.
        let (group, version) = match api_version.filter(|v| !v.is_empty()) {
            None => ("", "v1"),
            Some(v) => v.rsplit_once('/').unwrap_or(("", v)),
        };
        let kind = ResourceKind::from_group_kind(group, kind_text);
        if kind == ResourceKind::Other || version != "v1" {
            return None;
        }

        let mut positions = Positions {
            start: node.start,
            ..Positions::default()
        };
        let mut problems = Vec::new();
        shadowed_keys(node, &mut problems);
        let mut meta = Meta::default();
        if let Some(m) = node.get_entry("metadata") {
            positions.metadata = Some(m.key_node.start);
            let md = m.value;
            let text = |k: &str| md.get(k).and_then(Node::as_text).map(str::to_owned);
            meta.name = text("name");
            positions.name = md.get("name").map(|n| n.start);
            meta.namespace = text("namespace");
            meta.generate_name = text("generateName");
            meta.deletion_timestamp = md
                .get("deletionTimestamp")
                .and_then(Node::as_text)
                .and_then(|t| serde_json::from_value::<Time>(t.into()).ok());
            if let Some(e) = md.get_entry("labels") {
                positions.labels = Some(e.key_node.start);
                meta.labels = string_map(
                    e.value,
                    kind,
                    Place::Label,
                    &mut positions.label_keys,
                    &mut problems,
                );
            }
            if let Some(e) = md.get_entry("annotations") {
                positions.annotations = Some(e.key_node.start);
                meta.annotations = string_map(
                    e.value,
                    kind,
                    Place::Annotation,
                    &mut positions.annotation_keys,
                    &mut problems,
                );
            }
        }
        let spec = node.get("spec").filter(|s| s.is_map()).map(|s| {
            let ty = s.get_entry("type");
            positions.spec_type = ty.map(|t| t.key_node.start);
            SpecView {
                type_: ty.and_then(|t| t.value.as_text()).map(str::to_owned),
            }
        });
        // A Service without a namespace, or with `namespace: ""` (Helm's quoted empty value),
        // is created in the request's namespace; kube-apiserver writes that into the object's
        // metadata before admission, so the rules see it there, as the webhook does.
        let namespace = match kind {
            ResourceKind::Namespace => None,
            _ => {
                let ns = meta
                    .namespace
                    .take()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| self.options.default_namespace.clone());
                meta.namespace = Some(ns.clone());
                Some(ns)
            }
        };
        Some(Manifest {
            file: self.file.clone(),
            file_index: self.file_index,
            kind,
            object: ObjectView {
                api_version: api_version.map(str::to_owned),
                kind: Some(kind_text.to_owned()),
                metadata: meta,
                spec,
            },
            namespace,
            positions,
            problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::tests::{parse_one, pos};
    use super::super::{ReadOptions, parse};
    use crate::rules::ResourceKind;

    /// kubectl's resource builder flattens a List inside a List: so does the reader, or an
    /// object in a nested List would never be judged.
    #[test]
    fn lists_inside_lists_are_read() {
        let ms = parse_one(
            "apiVersion: v1\nkind: List\nitems:\n\
             - apiVersion: v1\n  kind: List\n  items:\n\
             \x20 - apiVersion: v1\n    kind: Namespace\n    metadata: {name: inner}\n\
             \x20 - kind: ServiceList\n    apiVersion: v1\n    items:\n\
             \x20   - metadata: {name: deep, namespace: inner}\n\
             - {apiVersion: v1, kind: Namespace, metadata: {name: outer}}\n",
        );
        let names: Vec<(&str, ResourceKind)> =
            ms.iter().map(|m| (m.object.name(), m.kind)).collect();
        // kubectl's order: breadth first.
        assert_eq!(
            names,
            [
                ("outer", ResourceKind::Namespace),
                ("inner", ResourceKind::Namespace),
                ("deep", ResourceKind::Service),
            ]
        );
    }

    #[test]
    fn lists_json_and_other_kinds() {
        let ms = parse_one(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n\
             apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: kn}\n---\n\
             apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n\
             - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n---\n\
             apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: b, namespace: shop}\n---\n\
             {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"j\"}}\n",
        );
        let names: Vec<(&str, Option<&str>)> = ms
            .iter()
            .map(|m| (m.object.name(), m.namespace.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![("a", Some("default")), ("b", Some("shop")), ("j", None)]
        );
        assert_eq!(ms[0].positions.start, pos(12, 3));
    }

    #[test]
    fn service_namespace_defaults() {
        let name: Arc<str> = Arc::from("t.yaml");
        let opts = ReadOptions {
            default_namespace: "shop".into(),
        };
        let ms = parse(
            &name,
            0,
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: other}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: \"\"}\n",
            &opts,
        )
        .unwrap()
        .manifests;
        let namespaces: Vec<(Option<&str>, Option<&str>)> = ms
            .iter()
            .map(|m| {
                (
                    m.namespace.as_deref(),
                    m.object.metadata.namespace.as_deref(),
                )
            })
            .collect();
        // In the object too, as kube-apiserver fills it in before admission: an empty one is
        // none.
        assert_eq!(
            namespaces,
            vec![
                (Some("shop"), Some("shop")),
                (Some("other"), Some("other")),
                (Some("shop"), Some("shop")),
            ]
        );
    }

    #[test]
    fn only_core_v1_counts() {
        let ms = parse_one(
            "kind: Namespace\nmetadata: {name: none}\n---\n\
             apiVersion: \"\"\nkind: Namespace\nmetadata: {name: empty}\n---\n\
             apiVersion: /v1\nkind: Namespace\nmetadata: {name: slash}\n---\n\
             apiVersion: v2\nkind: Namespace\nmetadata: {name: v2}\n---\n\
             apiVersion: v1beta1\nkind: Service\nmetadata: {name: v1beta1}\n---\n\
             apiVersion: /v2\nkind: Service\nmetadata: {name: slash-v2}\n---\n\
             apiVersion: core/v1\nkind: Service\nmetadata: {name: core}\n---\n\
             apiVersion: v2\nkind: List\nitems:\n- {kind: Service, metadata: {name: in-v2-list}}\n\
             - {apiVersion: v1, kind: Service, metadata: {name: v1-in-v2-list}}\n",
        );
        let names: Vec<&str> = ms.iter().map(|m| m.object.name()).collect();
        assert_eq!(names, vec!["none", "empty", "slash", "v1-in-v2-list"]);
    }
}
