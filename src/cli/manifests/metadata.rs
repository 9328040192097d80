//! The labels and annotations of an object as Kubernetes reads them (string values, the last of
//! repeated keys, the last of repeated blocks), and what in the `traffic.tetrate.io/` keys it
//! would refuse or drop: the invalid-manifest problems `check` reports.

use std::collections::HashMap;

use super::{KeyPosition, ManifestProblem, ValuePosition};
use crate::cli::yaml::{Entry, Node, Resolved, Value};
use crate::rules::{Field, ResourceKind, StrMap, fixes, keys};

/// Which of an object's string maps a key is in.
#[derive(Clone, Copy)]
pub(super) enum Place {
    Label,
    Annotation,
}

impl Place {
    fn field(self, key: &str) -> Field {
        match self {
            Place::Label => Field::Label(key.to_owned()),
            Place::Annotation => Field::Annotation(key.to_owned()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Place::Label => "label",
            Place::Annotation => "annotation",
        }
    }
}

/// `traffic.tetrate.io/` keys in a `metadata:`, `labels:` or `annotations:` block that a later
/// block of the same name replaces: YAML forbids the repeat, Kubernetes' reader keeps the last
/// block whole, so these keys vanish without a word (kubectl's strict validation refuses the
/// manifest instead). Reported at each lost key.
pub(super) fn shadowed_keys(object: &Node, problems: &mut Vec<ManifestProblem>) {
    fn earlier<'n>(map: &'n Node, key: &str) -> Vec<(Entry<'n>, usize)> {
        let all: Vec<_> = map.entries().into_iter().filter(|e| e.key == key).collect();
        let Some(last) = all.last().map(|e| e.key_node.start.line) else {
            return Vec::new();
        };
        let n = all.len();
        all.into_iter().take(n - 1).map(|e| (e, last)).collect()
    }
    /// The `traffic.tetrate.io/` keys of `block` that `kept` (the block Kubernetes keeps)
    /// does not hold with the same value.
    fn lost(
        block: &Node,
        kept: Option<&Node>,
        block_name: &str,
        place: Place,
        later_line: usize,
        problems: &mut Vec<ManifestProblem>,
    ) {
        if !block.is_map() {
            return;
        }
        for e in block.entries() {
            if !keys::is_tetrate(e.key) {
                continue;
            }
            let same = kept
                .and_then(|k| k.get(e.key))
                .is_some_and(|v| v.as_text().is_some() && v.as_text() == e.value.as_text());
            if same {
                continue;
            }
            problems.push(ManifestProblem {
                field: place.field(e.key),
                pos: e.key_node.start,
                message: format!(
                    "{} {} is in an earlier `{block_name}:` block, which the one on line \
                     {later_line} replaces: Kubernetes keeps only the last block, so this key is \
                     dropped without a word (kubectl's strict validation refuses the manifest). \
                     Fix: merge the two blocks into one",
                    place.word(),
                    e.key
                ),
                summary: format!(
                    "{} {} is dropped: a later `{block_name}:` block replaces this one",
                    place.word(),
                    e.key
                ),
            });
        }
    }
    let metadata_blocks = object.entries().into_iter().filter(|e| e.key == "metadata");
    let metadata_blocks: Vec<_> = metadata_blocks.collect();
    let last_metadata = metadata_blocks.len().saturating_sub(1);
    let kept_metadata = object.get("metadata");
    for (i, md) in metadata_blocks.into_iter().enumerate() {
        if i < last_metadata {
            // A whole earlier `metadata:`: its labels and annotations are lost, but for what
            // the kept one says the same.
            let later = object
                .get_entry("metadata")
                .map_or(0, |e| e.key_node.start.line);
            for (name, place) in [("labels", Place::Label), ("annotations", Place::Annotation)] {
                let kept = kept_metadata.and_then(|m| m.get(name));
                for e in md.value.entries().into_iter().filter(|e| e.key == name) {
                    lost(e.value, kept, "metadata", place, later, problems);
                }
            }
            continue;
        }
        for (name, place) in [("labels", Place::Label), ("annotations", Place::Annotation)] {
            let kept = md.value.get(name);
            for (e, later) in earlier(md.value, name) {
                lost(e.value, kept, name, place, later, problems);
            }
        }
    }
}

/// A `labels` or `annotations` map as Kubernetes reads it: string values, a YAML null read as
/// `""`, the last of repeated keys. Booleans and numbers are kept as written so the rules still
/// judge them, and for `traffic.tetrate.io/` keys reported: Kubernetes refuses them.
pub(super) fn string_map(
    node: &Node,
    kind: ResourceKind,
    place: Place,
    positions: &mut HashMap<String, KeyPosition>,
    problems: &mut Vec<ManifestProblem>,
) -> Option<StrMap> {
    if !node.is_map() {
        return None;
    }
    // Collected, then made a map in one sort (a key written twice keeps its last value).
    let mut entries: Vec<(&str, String)> = Vec::new();
    for entry in node.entries() {
        let key = entry.key;
        let ours = keys::is_tetrate(key);
        let key_pos = entry.key_node.start;
        if ours && let Some(first) = positions.get(key) {
            problems.push(ManifestProblem {
                field: place.field(key),
                pos: key_pos,
                message: format!(
                    "{} {key} is written twice (also on line {}); Kubernetes keeps only one of \
                     them, or refuses the manifest. Fix: keep one",
                    place.word(),
                    first.key.line
                ),
                summary: format!("{} {key} is written twice", place.word()),
            });
        }
        let value = match &entry.value.value {
            Value::Scalar(s) => match s.resolve() {
                Resolved::String => s.text.clone(),
                Resolved::Null => String::new(),
                typed @ (Resolved::Bool | Resolved::Number) => {
                    if ours {
                        let what = if typed == Resolved::Bool {
                            "a boolean"
                        } else {
                            "a number"
                        };
                        // The value the rule on this key writes in its fix (`yes` for a
                        // boolean key is "true"), so the two findings on it give one fix.
                        let (fix, short) =
                            match fixes::intended_value(kind, &place.field(key), &s.text) {
                                Some(meant) if meant != s.text => (
                                    format!("write the string the agent reads: {key}: \"{meant}\""),
                                    format!("{key}: \"{meant}\""),
                                ),
                                _ => (
                                    format!("quote it: {key}: \"{}\"", s.text),
                                    format!("{key}: \"{}\"", s.text),
                                ),
                            };
                        problems.push(ManifestProblem {
                            field: place.field(key),
                            pos: entry.value.start,
                            message: format!(
                                "{} {key} is {} without quotes, which YAML reads as {what}, not \
                                 a string: kubectl and Argo CD refuse the whole manifest ({}s \
                                 are strings). Fix: {fix}",
                                place.word(),
                                s.text,
                                place.word(),
                            ),
                            summary: format!(
                                "{} {key} must be a quoted string: {short}",
                                place.word(),
                            ),
                        });
                    }
                    s.text.clone()
                }
            },
            Value::Seq(_) | Value::Map(_) => {
                if ours {
                    problems.push(ManifestProblem {
                        field: place.field(key),
                        pos: entry.value.start,
                        message: format!(
                            "{} {key} is a YAML {}, not a string: Kubernetes refuses the \
                             manifest. Fix: write the value as one string (for a multi-line \
                             value, a block scalar: {key}: |)",
                            place.word(),
                            if entry.value.as_seq().is_some() {
                                "list"
                            } else {
                                "map"
                            }
                        ),
                        summary: format!("{} {key} must be a string", place.word()),
                    });
                }
                continue;
            }
        };
        positions.insert(
            key.to_owned(),
            KeyPosition {
                key: key_pos,
                value: ValuePosition::of(entry.value),
            },
        );
        entries.push((key, value));
    }
    Some(entries.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{parse_one, pos};
    use crate::rules::{Field, keys};

    /// A repeated `metadata:`, `labels:` or `annotations:` block: the last is what Kubernetes
    /// keeps, and every `traffic.tetrate.io/` key of the earlier ones is reported where it is.
    #[test]
    fn keys_in_a_replaced_block_are_reported() {
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: da\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n    owner: a\n  labels: {tetrate.io/rev: default}\n\
             \x20 annotations:\n    owner: b\n",
        );
        assert_eq!(ms[0].problems.len(), 1, "{:?}", ms[0].problems);
        assert_eq!(ms[0].problems[0].pos, pos(6, 5));
        assert!(ms[0].problems[0].message.contains("line 9 replaces"));
        assert_eq!(ms[0].object.annotation(keys::GLOBAL), None);
        let ms = parse_one(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {traffic.tetrate.io/global: \"true\"}\n\
             metadata:\n  name: a\n",
        );
        assert_eq!(ms[0].problems.len(), 1, "{:?}", ms[0].problems);
        assert_eq!(ms[0].problems[0].field, Field::Label(keys::GLOBAL.into()));
        // The kept block says the same: nothing is lost. Another value is.
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: da\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n    owner: b\n",
        );
        assert!(ms[0].problems.is_empty(), "{:?}", ms[0].problems);
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: da\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"false\"\n",
        );
        assert_eq!(ms[0].problems.len(), 1, "{:?}", ms[0].problems);
        // Not repeated: nothing to say; repeated without our keys: nothing either.
        let ms = parse_one(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {app: x}\n  labels: {app: y}\n",
        );
        assert!(ms[0].problems.is_empty(), "{:?}", ms[0].problems);
    }

    #[test]
    fn anchors_and_merge_keys() {
        let ms = parse_one(
            "apiVersion: v1\nkind: List\nitems:\n\
             - apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n    labels: &l\n      app: s\n      \
             traffic.tetrate.io/global: \"true\"\n\
             - apiVersion: v1\n  kind: Service\n  metadata:\n    name: t\n    labels:\n      <<: *l\n      app: t\n",
        );
        assert_eq!(ms.len(), 2);
        let t = &ms[1].object;
        assert_eq!(t.label("app"), Some("t"));
        assert_eq!(t.label(keys::GLOBAL), Some("true"));
        // A merged key is found where the anchor wrote it.
        assert_eq!(
            ms[1].positions.of_field(&Field::Label(keys::GLOBAL.into())),
            pos(10, 7)
        );
    }

    #[test]
    fn unquoted_booleans_in_our_keys_are_reported() {
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n    team: yes\n  annotations:\n    traffic.tetrate.io/global: true\n    traffic.tetrate.io/global: \"true\"\n    other:\n",
        );
        let m = &ms[0];
        assert_eq!(m.object.annotation(keys::GLOBAL), Some("true"));
        assert_eq!(m.object.annotation("other"), Some(""));
        // Not our key: left to Kubernetes.
        assert_eq!(m.object.label("team"), Some("yes"));
        assert_eq!(m.problems.len(), 2, "{:?}", m.problems);
        assert_eq!(m.problems[0].pos, pos(8, 32));
        assert!(m.problems[0].message.contains("boolean"));
        assert_eq!(m.problems[1].pos, pos(9, 5));
        assert!(m.problems[1].message.contains("written twice"));
    }
}
