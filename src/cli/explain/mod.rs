//! `eastwest-guard explain`: what the agent will do with a set of manifests, per Namespace:
//! exposure mode, workspace, gateway (and where each value came from), cloud annotations as
//! the agent parses them, and which Services are exposed cross-cluster and why. The problems
//! `check` would report are shown beside the object they are about ([`Explanation`]).
//!
//! Output formats, a file each: `text.rs` (for a person), `json.rs`
//! (docs/explain-diff-output.md) and `yaml.rs` (the WorkspaceSetting the agent would create for
//! each Namespace).

mod json;
mod text;
mod yaml;

pub use json::EXPLAIN_SCHEMA_VERSION;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::check::{self, Code, Finding};
use super::common::{usage_error, validate_inputs, write_out};
use super::exposure::{self, Model, NamespaceModel, ServiceModel};
use super::manifests::{self, InputError, ReadOptions};
use crate::rules::model::Trigger;
use crate::rules::{Config, Level, RuleId};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExplainFormat {
    /// A readable report per Namespace.
    #[default]
    Text,
    /// One JSON document (see docs/explain-diff-output.md).
    Json,
    /// The WorkspaceSetting the agent would create for each Namespace.
    Yaml,
}

/// `eastwest-guard explain`: what the agent will do with these manifests.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 when every input was read (whatever check would say of it), \
    2 when an input cannot be read or parsed, or a flag is wrong.\n\nExamples:\n  \
    eastwest-guard explain manifests/\n  kustomize build overlays/prod | eastwest-guard explain \
    -\n  eastwest-guard explain manifests/ --output yaml"
)]
pub struct ExplainArgs {
    /// Manifest files, directories (searched recursively for .yaml, .yml and .json files) or
    /// `-` for standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// The namespace of Services whose manifest sets none.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ExplainFormat::Text)]
    pub output: ExplainFormat,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

pub fn run_explain(args: ExplainArgs) -> ExitCode {
    const CMD: &str = "explain";
    let config = match args.rules.to_config() {
        Ok(config) => config,
        Err(why) => return usage_error(CMD, &why),
    };
    if let Err(why) = validate_inputs(&args.namespace, &args.paths) {
        return usage_error(CMD, &why);
    }
    let options = ReadOptions {
        default_namespace: args.namespace.clone(),
    };
    let mut inputs = manifests::read(&args.paths, &options);
    inputs.errors.extend(manifests::nothing_to_check(
        &args.paths,
        &inputs,
        "the input",
    ));
    let model = exposure::model(&inputs, &config);
    let outcome = check::check(&inputs, None, &config);
    let explanation = Explanation::new(&model, &outcome.findings, &inputs.errors, &config);
    let code = explanation.exit_code();

    let written = write_out(CMD, |out, err| write(args.output, &explanation, out, err));
    match written {
        Ok(()) => ExitCode::from(code),
        Err(code) => code,
    }
}

/// Writes the explanation in `format` to `out`; input errors go to `err` in the text and YAML
/// formats (the JSON document holds them).
pub fn write(
    format: ExplainFormat,
    explanation: &Explanation<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ExplainFormat::Text => text::write_text(explanation, out, err),
        ExplainFormat::Json => json::write_json(explanation, out),
        ExplainFormat::Yaml => yaml::write_yaml(explanation, out, err),
    }
}

/// The model with the problems check reports, attached to the objects they are about.
pub struct Explanation<'a> {
    pub model: &'a Model,
    pub config: &'a Config,
    pub input_errors: &'a [InputError],
    namespace_problems: HashMap<&'a str, Vec<&'a Finding>>,
    /// By namespace, then name.
    service_problems: HashMap<&'a str, HashMap<&'a str, Vec<&'a Finding>>>,
}

impl<'a> Explanation<'a> {
    pub fn new(
        model: &'a Model,
        findings: &'a [Finding],
        input_errors: &'a [InputError],
        config: &'a Config,
    ) -> Self {
        let mut namespace_problems: HashMap<&str, Vec<&Finding>> = HashMap::new();
        let mut service_problems: HashMap<&str, HashMap<&str, Vec<&Finding>>> = HashMap::new();
        for f in findings {
            // EW022 on a creation says a labelled Service becomes exposed: that is what this
            // whole report says, per Service.
            if f.code == Code::Rule(RuleId::EW022) {
                continue;
            }
            match f.object.namespace.as_deref() {
                None => namespace_problems
                    .entry(f.object.name.as_str())
                    .or_default()
                    .push(f),
                Some(ns) => service_problems
                    .entry(ns)
                    .or_default()
                    .entry(f.object.name.as_str())
                    .or_default()
                    .push(f),
            }
        }
        Explanation {
            model,
            config,
            input_errors,
            namespace_problems,
            service_problems,
        }
    }

    pub fn namespace_problems(&self, ns: &NamespaceModel) -> &[&'a Finding] {
        self.namespace_problems
            .get(ns.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn service_problems(&self, svc: &ServiceModel) -> &[&'a Finding] {
        self.service_problems
            .get(svc.namespace.as_str())
            .and_then(|by_name| by_name.get(svc.name.as_str()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn all_problems(&self) -> impl Iterator<Item = &&'a Finding> {
        self.namespace_problems
            .values()
            .chain(self.service_problems.values().flat_map(HashMap::values))
            .flatten()
    }

    pub fn errors(&self) -> usize {
        self.all_problems()
            .filter(|f| f.level == Level::Deny)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.all_problems()
            .filter(|f| f.level == Level::Warn)
            .count()
    }

    pub fn exit_code(&self) -> u8 {
        if self.input_errors.is_empty() { 0 } else { 2 }
    }
}

// Pieces of text more than one format writes.

/// A value for a text line: quoted, with control characters escaped.
pub(super) fn q(s: &str) -> String {
    format!("{s:?}")
}

/// `k=v, k=v` of the configured trigger labels.
pub(super) fn trigger_list(config: &Config) -> String {
    config
        .trigger_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn workspace_text(ns: &NamespaceModel, config: &Config) -> String {
    match &ns.trigger {
        Trigger::Label { key, value } => format!(
            "{}, created: trigger label {key}={value}",
            ns.workspace_name()
        ),
        Trigger::Missing => format!(
            "none: the Namespace has none of the trigger labels ({}), so the agent creates no \
             workspace for it and exposes nothing",
            trigger_list(config)
        ),
        Trigger::Unknown => "unknown: the Namespace is not in the input".to_owned(),
    }
}

pub(super) fn deploy_text(deploy: &str) -> &'static str {
    match deploy {
        "true" => "deployed by the agent",
        "false" => "not deployed by the agent (deploy \"false\"): it must already exist",
        _ => "deploy is neither \"true\" nor \"false\" (EW002)",
    }
}

/// A key as written (quotes the fallback kept included), escaped only when it holds something
/// invisible.
pub(super) fn key_text(k: &str) -> String {
    if k.is_empty() || k.chars().any(|c| c.is_control() || c.is_whitespace()) {
        q(k)
    } else {
        k.to_owned()
    }
}
