//! The cloud annotations of a Namespace's gateway as the agent reads them: YAML first, its
//! line fallback where YAML fails ([`crate::rules::cloud`] holds both readers and EW007..EW010).
//! Where the fallback keeps every line (an EW007 warning), its map is what the agent puts on
//! the gateway's Service, and what EW008..EW010 judge: the view shows that map.

use std::collections::BTreeMap;

use super::super::cloud::{self, AgentReading, CloudEntry, YamlProblem};
use super::super::config::Config;
use super::super::names;

/// How the agent reads the cloud-annotations text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudParser {
    /// YAML parses: the map as written.
    Yaml,
    /// More than one YAML document: YAML reads the first only.
    YamlFirstDocument,
    /// Empty (or an empty map): YAML gives no annotation, without an error.
    YamlEmpty,
    /// YAML fails: the agent's line-by-line fallback.
    Fallback,
}

impl CloudParser {
    pub fn code(self) -> &'static str {
        match self {
            CloudParser::Yaml => "yaml",
            CloudParser::YamlFirstDocument => "yaml-first-document",
            CloudParser::YamlEmpty => "yaml-empty",
            CloudParser::Fallback => "fallback",
        }
    }
}

/// The cloud annotations as the agent will parse them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudView {
    pub parser: CloudParser,
    /// What the agent ends up with.
    pub annotations: BTreeMap<String, String>,
    /// Why YAML fails (for [`CloudParser::Fallback`]), or what it tolerates (the others).
    pub yaml_problems: Vec<YamlProblem>,
    /// Lines (1-based, in the annotation's text) the fallback skips, with a warning in its log.
    pub skipped_lines: Vec<usize>,
    /// Keys that are not valid annotation keys (EW008; a fallback key that kept its quotes, or
    /// a comment the fallback reads as a key).
    pub invalid_keys: Vec<String>,
    /// Valid keys outside the cloud prefixes the agent documents as supported (EW009, a
    /// warning: other controllers' keys are common there).
    pub unsupported_keys: Vec<String>,
}

/// How the agent parses a cloud-annotations text: YAML first, its fallback where YAML fails.
pub fn cloud_view(text: &str, config: &Config) -> CloudView {
    let (parser, annotations, yaml_problems, skipped_lines) = match cloud::parse_yaml(text) {
        Ok(entries) => (CloudParser::Yaml, to_map(entries), Vec::new(), Vec::new()),
        Err(problems) => agent_reading(text, problems),
    };
    let mut invalid_keys = Vec::new();
    let mut unsupported_keys = Vec::new();
    for key in annotations.keys() {
        if names::qualified_name(key).is_err() {
            invalid_keys.push(key.clone());
        } else if !cloud::has_supported_prefix(key, config) {
            unsupported_keys.push(key.clone());
        }
    }
    CloudView {
        parser,
        annotations,
        yaml_problems,
        skipped_lines,
        invalid_keys,
        unsupported_keys,
    }
}

fn to_map(entries: Vec<CloudEntry>) -> BTreeMap<String, String> {
    entries.into_iter().map(|e| (e.key, e.value)).collect()
}

type Reading = (
    CloudParser,
    BTreeMap<String, String>,
    Vec<YamlProblem>,
    Vec<usize>,
);

/// What the agent makes of a text the guard's YAML check refuses.
fn agent_reading(text: &str, problems: Vec<YamlProblem>) -> Reading {
    match cloud::agent_reading(text, &problems) {
        AgentReading::Empty => (
            CloudParser::YamlEmpty,
            BTreeMap::new(),
            problems,
            Vec::new(),
        ),
        AgentReading::FirstDocument { entries, .. } => (
            CloudParser::YamlFirstDocument,
            to_map(entries),
            problems,
            Vec::new(),
        ),
        AgentReading::Fallback(fallback) => (
            CloudParser::Fallback,
            fallback.map,
            problems,
            fallback.skipped_lines,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_readings() {
        let c = Config::default();
        let v = cloud_view(
            "service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
            &c,
        );
        assert_eq!(v.parser, CloudParser::Yaml);
        assert_eq!(v.annotations.len(), 1);

        let v = cloud_view("", &c);
        assert_eq!(v.parser, CloudParser::YamlEmpty);
        assert!(v.annotations.is_empty());

        let v = cloud_view("a.io/x: y\n---\nb.io/z: w\n", &c);
        assert_eq!(v.parser, CloudParser::YamlFirstDocument);
        assert_eq!(v.annotations.keys().collect::<Vec<_>>(), vec!["a.io/x"]);
        assert_eq!(v.unsupported_keys, vec!["a.io/x".to_owned()]);

        let v = cloud_view(
            "service.beta.kubernetes.io/aws-load-balancer-type: nlb\nNote: keep: it\nno colon\n",
            &c,
        );
        assert_eq!(v.parser, CloudParser::Fallback);
        assert_eq!(
            v.annotations.get("Note").map(String::as_str),
            Some("keep: it")
        );
        assert_eq!(v.skipped_lines, vec![3]);
        assert!(!v.yaml_problems.is_empty());

        let v = cloud_view("\"service.kubernetes.io/x\": a\nbad: : x\n", &c);
        assert_eq!(v.parser, CloudParser::Fallback);
        assert_eq!(
            v.invalid_keys,
            vec!["\"service.kubernetes.io/x\"".to_owned()]
        );
    }

    #[test]
    fn the_engine_words_the_second_document_problem_as_expected() {
        let problems = cloud::parse_yaml("a.io/x: y\n---\nb.io/z: w\n").unwrap_err();
        assert!(
            problems.iter().any(YamlProblem::is_second_document),
            "{problems:?}"
        );
    }
}
