//! The configuration file (`--config FILE`): every rule setting the flags hold, in YAML with
//! Kubernetes' camelCase names, plus per-Namespace overrides. The format is documented in
//! docs/config.md, with the annotated example docs/examples/eastwest-guard.yaml.
//!
//! Read strictly: an unknown field, a value of the wrong type, an unknown rule ID or a value
//! the matching flag would refuse is an error naming the file, the line and the field. The
//! YAML is read with the repository's own reader (src/cli/yaml.rs, on saphyr-parser), whose
//! nodes keep their line and column, and mapped onto the serde types below by a small
//! deserializer over those nodes: serde's derive gives `deny_unknown_fields` and type errors,
//! the nodes give every error its line. Scalars resolve as Kubernetes reads YAML (1.1:
//! `yes`/`on` are booleans), so a file reads the same here as in a ConfigMap applied by kubectl.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::cli::yaml::{self, Node, Pos, Resolved, Value};
use crate::flags;
use crate::rules::config::{NamespacePattern, Override};
use crate::rules::{Config, RuleId};

/// A configuration file larger than this is refused: a real one is a few hundred bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The file as written: every field optional (an absent one leaves the default, or the flag).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileConfig {
    pub warn_only: Option<bool>,
    pub warn: Option<Vec<Rule>>,
    /// `KEY=VALUE` strings, as `--trigger-label` takes them.
    pub trigger_labels: Option<Vec<TriggerLabel>>,
    pub cloud_annotation_prefixes: Option<Vec<CloudPrefix>>,
    pub default_gateway_name: Option<GatewayName>,
    pub default_gateway_namespace: Option<GatewayNamespace>,
    pub deny_existing: Option<bool>,
    pub overrides: Option<Vec<FileOverride>>,
}

/// One entry of `overrides`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileOverride {
    pub namespaces: Vec<Pattern>,
    pub warn_only: Option<bool>,
    pub warn: Option<Vec<Rule>>,
    pub deny_existing: Option<bool>,
}

/// A value checked as the flag that takes it checks it (the checks live in [`flags`]).
macro_rules! checked {
    ($(#[$doc:meta])* $name:ident($ty:ty) = $check:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub $ty);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $check(&s).map($name).map_err(de::Error::custom)
            }
        }
    };
}

checked!(
    /// A rule ID (`EW011`).
    Rule(RuleId) = flags::rule_id
);
checked!(
    /// A trigger label, `KEY=VALUE`.
    TriggerLabel((String, String)) = flags::trigger_label
);
checked!(
    /// A cloud annotation prefix.
    CloudPrefix(String) = flags::cloud_annotation_prefix
);
checked!(
    /// The default gateway name, a DNS-1035 label.
    GatewayName(String) = flags::gateway_name
);
checked!(
    /// The default gateway namespace, a DNS-1123 label.
    GatewayNamespace(String) = flags::gateway_namespace
);
checked!(
    /// A Namespace name or glob.
    Pattern(NamespacePattern) = NamespacePattern::new
);

fn rule_set(rules: Vec<Rule>) -> BTreeSet<RuleId> {
    rules.into_iter().map(|r| r.0).collect()
}

impl FileConfig {
    /// Sets in `config` what the file sets; what it leaves out stays as it is.
    pub fn apply(self, config: &mut Config) {
        if let Some(v) = self.warn_only {
            config.warn_only = v;
        }
        if let Some(v) = self.deny_existing {
            config.deny_existing = v;
        }
        if let Some(v) = self.warn {
            config.warn_rules = rule_set(v);
        }
        if let Some(v) = self.trigger_labels {
            config.trigger_labels = v.into_iter().map(|l| l.0).collect();
        }
        if let Some(v) = self.cloud_annotation_prefixes {
            config.cloud_annotation_prefixes = v.into_iter().map(|p| p.0).collect();
        }
        if let Some(v) = self.default_gateway_name {
            config.default_gateway_name = v.0;
        }
        if let Some(v) = self.default_gateway_namespace {
            config.default_gateway_namespace = v.0;
        }
        if let Some(v) = self.overrides {
            config.overrides = v
                .into_iter()
                .map(|o| Override {
                    namespaces: o.namespaces.into_iter().map(|p| p.0).collect(),
                    warn_only: o.warn_only,
                    warn_rules: o.warn.map(rule_set),
                    deny_existing: o.deny_existing,
                })
                .collect();
        }
    }
}

/// Reads and checks the file at `path`. The error names the file, and for what is in it the
/// line, column and field: `eastwest-guard.yaml:4:3: overrides[0].warnOnly: invalid type ...`.
pub fn load(path: &Path) -> Result<FileConfig, String> {
    parse_file(path, &read_text(path)?)
}

/// The text of the file at `path` (through symlinks, as a mounted ConfigMap is read).
pub fn read_text(path: &Path) -> Result<String, String> {
    read(path).map_err(|e| format!("--config {}: cannot read it: {e}", path.display()))
}

/// [`parse`], with errors that name the file.
pub fn parse_file(path: &Path, text: &str) -> Result<FileConfig, String> {
    parse(text).map_err(|e| format!("--config {}:{e}", path.display()))
}

fn read(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    Ok(text)
}

/// Parses a configuration text. The error starts with the line and column (`4:3: ...`).
pub fn parse(text: &str) -> Result<FileConfig, Error> {
    let documents = yaml::parse_stream(text).map_err(|e| Error {
        pos: Some(e.pos),
        path: String::new(),
        message: format!("not YAML: {}", e.message),
    })?;
    match documents.as_slice() {
        [] => Ok(FileConfig::default()),
        [doc] => FileConfig::deserialize(De(&doc.root)),
        [_, second, ..] => Err(Error {
            pos: Some(second.root.start),
            path: String::new(),
            message: "a second YAML document: the configuration is one document".into(),
        }),
    }
}

/// An error in the file: where, which field, what.
#[derive(Debug)]
pub struct Error {
    pub pos: Option<Pos>,
    /// The field, as written in the file: `overrides[0].warnOnly`.
    pub path: String,
    pub message: String,
}

impl Error {
    fn at(mut self, pos: Pos) -> Self {
        self.pos.get_or_insert(pos);
        self
    }

    fn within(mut self, part: &str) -> Self {
        self.path = match self.path.as_str() {
            "" => part.to_owned(),
            p if p.starts_with('[') => format!("{part}{p}"),
            p => format!("{part}.{p}"),
        };
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(pos) = self.pos {
            write!(f, "{}:{}: ", pos.line, pos.column)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            pos: None,
            path: String::new(),
            message: msg.to_string(),
        }
    }
}

/// A node of the file, read as serde asks.
struct De<'a>(&'a Node);

/// YAML 1.1's true (as sigs.k8s.io/yaml reads it); anything else [`Resolved::Bool`] is false.
fn yaml_bool(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
    )
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let node = self.0;
        let out = match &node.value {
            Value::Scalar(s) => match s.resolve() {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool => visitor.visit_bool(yaml_bool(&s.text)),
                Resolved::Number => match (s.text.parse::<i64>(), s.text.parse::<f64>()) {
                    (Ok(i), _) => visitor.visit_i64(i),
                    (_, Ok(f)) => visitor.visit_f64(f),
                    _ => visitor.visit_str(&s.text),
                },
                Resolved::String => visitor.visit_str(&s.text),
            },
            Value::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
            }),
            Value::Map(_) => visitor.visit_map(Map {
                entries: node.entries().into_iter(),
                value: None,
            }),
        };
        out.map_err(|e| e.at(node.start))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// A struct is a map only: serde's derive would also take a sequence of its fields in
    /// order, which no one means in a configuration file.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.0.value {
            Value::Seq(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &visitor))
                .map_err(|e: Error| e.at(self.0.start)),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, std::rc::Rc<Node>>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(De(item))
            .map(Some)
            .map_err(|e| e.at(item.start).within(&format!("[{index}]")))
    }
}

struct Map<'a> {
    entries: std::vec::IntoIter<yaml::Entry<'a>>,
    value: Option<yaml::Entry<'a>>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        let key: de::value::StrDeserializer<'_, Error> = entry.key.into_deserializer();
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.at(entry.key_node.start).within(entry.key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(entry) = self.value.take() else {
            return Err(de::Error::custom("a value without its key"));
        };
        seed.deserialize(De(entry.value))
            .map_err(|e| e.at(entry.value.start).within(entry.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(text).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn every_field_reads() {
        let mut config = Config::default();
        parse(
            "warnOnly: yes\nwarn: [EW011]\ntriggerLabels: [a=b]\ncloudAnnotationPrefixes: [x/]\n\
             defaultGatewayName: gw\ndefaultGatewayNamespace: gw-ns\ndenyExisting: true\n\
             overrides:\n- namespaces: [payments, legacy-*]\n  warnOnly: false\n  warn: []\n",
        )
        .unwrap()
        .apply(&mut config);
        assert!(config.warn_only && config.deny_existing);
        assert_eq!(config.warn_rules, [RuleId::EW011].into());
        assert_eq!(config.trigger_labels, [("a".into(), "b".into())]);
        assert_eq!(config.cloud_annotation_prefixes, ["x/"]);
        assert_eq!(config.default_gateway_name, "gw");
        assert_eq!(config.default_gateway_namespace, "gw-ns");
        assert!(!config.levels(Some("legacy-a")).warn_only);
        assert!(config.levels(Some("legacy-a")).warn_rules.is_empty());
        assert!(config.levels(Some("other")).warn_only);
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let mut config = Config::default();
        parse("# nothing yet\n").unwrap().apply(&mut config);
        assert_eq!(config, Config::default());
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        assert!(
            error("warnOnly: true\nwarnonly: true\n")
                .starts_with("2:1: warnonly: unknown field `warnonly`"),
            "{}",
            error("warnOnly: true\nwarnonly: true\n")
        );
        assert_eq!(
            error("overrides:\n- namespaces: [a]\n  warnOnly: maybe\n"),
            "3:13: overrides[0].warnOnly: invalid type: string \"maybe\", expected a boolean"
        );
        assert!(
            error("warn:\n- EW011\n- EW999\n").starts_with("3:3: warn[1]: "),
            "{}",
            error("warn:\n- EW011\n- EW999\n")
        );
        assert!(error("triggerLabels: [novalue]\n").starts_with("1:17: triggerLabels[0]: "));
        assert!(error("defaultGatewayName: 1gw\n").starts_with("1:21: defaultGatewayName: "));
        assert!(
            error("overrides:\n- namespaces: [Legacy-*]\n")
                .starts_with("2:16: overrides[0].namespaces[0]: ")
        );
        assert!(error("overrides:\n- warnOnly: true\n").contains("missing field `namespaces`"));
        assert!(error("warnOnly: [\n").starts_with("2:1: not YAML"));
        assert!(error("- a\n").contains("expected struct FileConfig"));
        assert!(error("a: 1\n---\nb: 2\n").starts_with("3:1: a second YAML document"));
    }
}
