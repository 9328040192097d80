//! `eastwest-guard explain`: what the agent will do with a set of manifests, per Namespace:
//! exposure mode, workspace, gateway (and where each value came from), cloud annotations as
//! the agent parses them, and which Services are exposed cross-cluster and why. The problems
//! `check` would report are shown beside the object they are about.
//!
//! Output formats: text (for a person), JSON (docs/explain-diff-output.md) and YAML (the
//! WorkspaceSetting the agent would create for each Namespace).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::check::{self, Code, Finding};
use super::exposure::{self, Model, NamespaceModel, ServiceModel};
use super::manifests::{self, InputError, ReadOptions};
use super::output::input_error_line;
use crate::rules::model::{CloudParser, CloudView, ExposureMode, GatewayState, Trigger};
use crate::rules::gateway::{GatewaySettings, Source};
use crate::rules::{Config, Level, RuleId, keys, selector};

/// The version of the explain JSON document; bumped on any change that could break a reader.
pub const EXPLAIN_SCHEMA_VERSION: u32 = 1;

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
    let inputs = manifests::read(&args.paths, &options);
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
        ExplainFormat::Text => write_text(explanation, out, err),
        ExplainFormat::Json => write_json(explanation, out),
        ExplainFormat::Yaml => write_yaml(explanation, out, err),
    }
}

/// Checks shared by explain and diff before anything is read.
pub(crate) fn validate_inputs<'a>(
    namespace: &str,
    paths: impl IntoIterator<Item = &'a PathBuf>,
) -> Result<(), String> {
    crate::rules::names::dns1123_label(namespace)
        .map_err(|why| format!("--namespace {namespace:?} {why}"))?;
    let stdin_uses = paths
        .into_iter()
        .filter(|p| p.as_os_str() == manifests::STDIN)
        .count();
    if stdin_uses > 1 {
        return Err("standard input (-) can be read only once: give it as one PATH".into());
    }
    Ok(())
}

pub(crate) fn usage_error(command: &str, why: &str) -> ExitCode {
    eprintln!("eastwest-guard {command}: {why}");
    ExitCode::from(2)
}

/// Runs `write` on buffered standard output and standard error; a closed pipe is the reader's
/// choice, any other write error exits 2.
pub(crate) fn write_out(
    command: &str,
    write: impl FnOnce(&mut dyn Write, &mut dyn Write) -> io::Result<()>,
) -> Result<(), ExitCode> {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let written = write(&mut out, &mut err).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(
                err,
                "eastwest-guard {command}: cannot write the report: {e}"
            );
            Err(ExitCode::from(2))
        }
        _ => Ok(()),
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A value for a text line: quoted, with control characters escaped.
fn q(s: &str) -> String {
    format!("{s:?}")
}

/// `k=v, k=v` of the configured trigger labels.
fn trigger_list(config: &Config) -> String {
    config
        .trigger_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn source_text(source: Source, what: &str) -> &'static str {
    match (source, what) {
        (Source::Annotation, _) => "annotation",
        (Source::Default, _) => "default",
        (Source::Derived, "name") => "derived from the selector's app key",
        (Source::Derived, _) => "derived from the name",
    }
}

fn workspace_text(ns: &NamespaceModel, config: &Config) -> String {
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

/// Why the gateway is not in use, when it is not.
fn gateway_unused(ns: &NamespaceModel) -> Option<&'static str> {
    if ns.gateway_in_use() {
        None
    } else if ns.workspace() == Some(false) {
        Some("not in use: no workspace")
    } else {
        Some("not in use: east-west is off")
    }
}

fn deploy_text(deploy: &str) -> &'static str {
    match deploy {
        "true" => "deployed by the agent",
        "false" => "not deployed by the agent (deploy \"false\"): it must already exist",
        _ => "deploy is neither \"true\" nor \"false\" (EW002)",
    }
}

// ---------------------------------------------------------------- text

fn write_text(e: &Explanation<'_>, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    for ie in e.input_errors {
        writeln!(err, "{}", input_error_line(ie))?;
    }
    for (i, ns) in e.model.namespaces.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_namespace_text(e, ns, out)?;
    }
    if !e.model.namespaces.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(e))
}

fn write_namespace_text(
    e: &Explanation<'_>,
    ns: &NamespaceModel,
    out: &mut dyn Write,
) -> io::Result<()> {
    match &ns.source {
        Some(at) => writeln!(out, "Namespace {} ({at})", ns.name)?,
        None => writeln!(out, "Namespace {} (not in the input)", ns.name)?,
    }
    writeln!(out, "  mode: {} ({})", ns.mode, exposure::mode_why(ns))?;
    writeln!(out, "  workspace: {}", workspace_text(ns, e.config))?;
    match &ns.gateway {
        GatewayState::Settings(gw) => {
            let unused = gateway_unused(ns)
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            // Settings no Kubernetes object can carry: say so, never "deployed by the agent".
            let outcome = match exposure::gateway_problem(&ns.gateway) {
                Some(problem) => format!("which the agent cannot set up: {problem}"),
                None => deploy_text(&gw.deploy).to_owned(),
            };
            writeln!(
                out,
                "  gateway{unused}: {} in namespace {}, workload selector {}, {outcome}",
                gw.name, gw.namespace, gw.workload_selector,
            )?;
            write_gateway_sources(gw, out)?;
        }
        GatewayState::Underivable(why) => {
            writeln!(
                out,
                "  gateway: unknown: {}",
                exposure::derive_error_text(why)
            )?;
        }
        GatewayState::Unknown => {
            writeln!(out, "  gateway: unknown: the Namespace is not in the input")?;
        }
    }
    if let Some(cloud) = &ns.cloud {
        write_cloud_text(cloud, out)?;
    }
    let exposed: Vec<&ServiceModel> = ns.exposed().collect();
    let not_exposed: Vec<&ServiceModel> = ns.not_exposed().collect();
    if ns.services.is_empty() {
        writeln!(out, "  Services: none in the input")?;
    }
    if !exposed.is_empty() {
        writeln!(out, "  exposed cross-cluster ({}):", exposed.len())?;
        for s in exposed {
            write_service_text(e, ns, s, out)?;
        }
    }
    if !not_exposed.is_empty() {
        writeln!(out, "  not exposed ({}):", not_exposed.len())?;
        for s in not_exposed {
            write_service_text(e, ns, s, out)?;
        }
    }
    let problems = e.namespace_problems(ns);
    if !problems.is_empty() {
        writeln!(out, "  problems check reports on the Namespace:")?;
        for f in problems {
            writeln!(out, "    {}", problem_line(f))?;
        }
    }
    Ok(())
}

fn write_gateway_sources(gw: &GatewaySettings<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rows = [
        ("name", &*gw.name, source_text(gw.name_source, "name")),
        (
            "namespace",
            &*gw.namespace,
            source_text(gw.namespace_source, "namespace"),
        ),
        (
            "workload selector",
            &*gw.workload_selector,
            source_text(gw.workload_selector_source, "selector"),
        ),
        (
            "deploy",
            &*gw.deploy,
            source_text(gw.deploy_source, "deploy"),
        ),
    ];
    for (what, value, from) in rows {
        writeln!(out, "    {what:<18} {:<30} {from}", q(value))?;
    }
    Ok(())
}

fn write_cloud_text(cloud: &CloudView, out: &mut dyn Write) -> io::Result<()> {
    let keys = plural(cloud.annotations.len(), "key", "keys");
    match cloud.parser {
        CloudParser::Yaml => writeln!(out, "  cloud annotations (YAML, {keys}):")?,
        CloudParser::YamlFirstDocument => writeln!(
            out,
            "  cloud annotations (YAML reads only the first of several documents, {keys}):"
        )?,
        CloudParser::YamlEmpty => writeln!(
            out,
            "  cloud annotations: empty: the gateway's Service gets none"
        )?,
        CloudParser::Fallback => {
            writeln!(
                out,
                "  cloud annotations: YAML fails, so the agent falls back to splitting lines at \
                 the first colon:"
            )?;
            for p in &cloud.yaml_problems {
                let at = p
                    .position
                    .map(|p| format!(" (line {}, column {} of the annotation)", p.line, p.column))
                    .unwrap_or_default();
                writeln!(out, "    YAML: the text {}{at}", p.what)?;
            }
            if cloud.annotations.is_empty() {
                writeln!(
                    out,
                    "    the fallback finds nothing: the gateway's Service gets no annotation"
                )?;
            } else {
                writeln!(out, "    the fallback gives ({keys}):")?;
            }
        }
    }
    let indent = if cloud.parser == CloudParser::Fallback {
        "      "
    } else {
        "    "
    };
    for (k, v) in &cloud.annotations {
        writeln!(out, "{indent}{}: {}", key_text(k), q(v))?;
    }
    if !cloud.skipped_lines.is_empty() {
        let lines: Vec<String> = cloud.skipped_lines.iter().map(|l| l.to_string()).collect();
        writeln!(
            out,
            "    the fallback skips line{} {} of the annotation (a warning in the agent's log, \
             nothing else)",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        )?;
    }
    if !cloud.invalid_keys.is_empty() {
        let keys: Vec<String> = cloud.invalid_keys.iter().map(|k| key_text(k)).collect();
        let quotes = if cloud.parser == CloudParser::Fallback
            && cloud.invalid_keys.iter().any(|k| k.contains(['"', '\'']))
        {
            " (the fallback removes quotes around values, not around keys)"
        } else {
            ""
        };
        writeln!(
            out,
            "    not valid annotation keys (EW008), which Kubernetes refuses on a Service{quotes}: {}",
            keys.join(", ")
        )?;
    }
    if !cloud.unsupported_keys.is_empty() {
        writeln!(
            out,
            "    outside the supported cloud prefixes, ignored by the agent (EW009): {}",
            cloud.unsupported_keys.join(", ")
        )?;
    }
    Ok(())
}

/// A key as written (quotes the fallback kept included), escaped only when it holds something
/// invisible.
fn key_text(k: &str) -> String {
    if k.is_empty() || k.chars().any(|c| c.is_control() || c.is_whitespace()) {
        q(k)
    } else {
        k.to_owned()
    }
}

fn write_service_text(
    e: &Explanation<'_>,
    ns: &NamespaceModel,
    s: &ServiceModel,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "    {}: {} ({})",
        s.name,
        exposure::why(s, ns),
        s.source
    )?;
    for f in e.service_problems(s) {
        writeln!(out, "      {}", problem_line(f))?;
    }
    Ok(())
}

/// `error EW005 at path:9:5: summary`.
fn problem_line(f: &Finding) -> String {
    let summary = f
        .summary
        .strip_prefix(&format!("{}: ", f.code))
        .unwrap_or(&f.summary);
    format!(
        "{} {} at {}:{}:{}: {summary}",
        f.level, f.code, f.file, f.pos.line, f.pos.column
    )
}

fn summary_line(e: &Explanation<'_>) -> String {
    let m = e.model;
    let known: Vec<&NamespaceModel> = m.namespaces.iter().filter(|n| n.in_input()).collect();
    let count = |mode: ExposureMode| known.iter().filter(|n| n.mode == mode).count();
    let services: usize = m.namespaces.iter().map(|n| n.services.len()).sum();
    let exposed: usize = m.namespaces.iter().map(|n| n.exposed().count()).sum();
    let unknown = m.namespaces.len() - known.len();
    let mut line = format!(
        "explained {} ({} namespace-level, {} service-level, {} off)",
        plural(known.len(), "Namespace", "Namespaces"),
        count(ExposureMode::NamespaceLevel),
        count(ExposureMode::ServiceLevel),
        count(ExposureMode::Off),
    );
    if unknown > 0 {
        line.push_str(&format!(
            " and Services in {} not in the input",
            plural(unknown, "Namespace", "Namespaces")
        ));
    }
    line.push_str(&format!(
        ": {} exposed cross-cluster of {}; check reports {}, {}",
        exposed,
        plural(services, "Service", "Services"),
        plural(e.errors(), "error", "errors"),
        plural(e.warnings(), "warning", "warnings"),
    ));
    if !e.input_errors.is_empty() {
        line.push_str(&format!(
            "; {} (the explanation is incomplete)",
            plural(
                e.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        ));
    }
    line
}

// ---------------------------------------------------------------- JSON

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExplain<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    command: &'static str,
    summary: JsonSummary,
    namespaces: Vec<JsonNamespace<'a>>,
    input_errors: Vec<JsonInputError<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    namespaces: usize,
    namespace_level: usize,
    service_level: usize,
    off: usize,
    unknown_namespaces: usize,
    workspaces: usize,
    services: usize,
    exposed: usize,
    not_exposed: usize,
    errors: usize,
    warnings: usize,
    input_errors: usize,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespace<'a> {
    name: &'a str,
    in_input: bool,
    file: Option<&'a str>,
    line: Option<usize>,
    mode: &'static str,
    mode_reason: String,
    global_annotation: Option<&'a str>,
    workspace: JsonWorkspace,
    gateway: Option<JsonGateway<'a>>,
    cloud_annotations: Option<JsonCloud<'a>>,
    services: Vec<JsonService<'a>>,
    problems: Vec<JsonProblem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonWorkspace {
    created: Option<bool>,
    trigger_label: Option<String>,
    name: Option<String>,
    setting_name: Option<String>,
    reason: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonGateway<'a> {
    in_use: bool,
    name: Option<&'a str>,
    name_source: Option<Source>,
    namespace: Option<&'a str>,
    namespace_source: Option<Source>,
    workload_selector: Option<&'a str>,
    workload_selector_source: Option<Source>,
    deploy: Option<&'a str>,
    deploy_source: Option<Source>,
    error: Option<String>,
}

impl<'a> JsonGateway<'a> {
    fn new(in_use: bool, gw: Option<&'a GatewaySettings<'a>>, error: Option<String>) -> Self {
        JsonGateway {
            in_use,
            name: gw.map(|g| &*g.name),
            name_source: gw.map(|g| g.name_source),
            namespace: gw.map(|g| &*g.namespace),
            namespace_source: gw.map(|g| g.namespace_source),
            workload_selector: gw.map(|g| &*g.workload_selector),
            workload_selector_source: gw.map(|g| g.workload_selector_source),
            deploy: gw.map(|g| &*g.deploy),
            deploy_source: gw.map(|g| g.deploy_source),
            error,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCloud<'a> {
    parser: &'static str,
    annotations: &'a std::collections::BTreeMap<String, String>,
    yaml_problems: Vec<JsonYamlProblem<'a>>,
    skipped_lines: &'a [usize],
    invalid_keys: &'a [String],
    unsupported_keys: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonYamlProblem<'a> {
    message: &'a str,
    line: Option<usize>,
    column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonService<'a> {
    name: &'a str,
    namespace: &'a str,
    file: &'a str,
    line: usize,
    exposed: bool,
    reason: &'static str,
    why: String,
    global_label: Option<&'a str>,
    #[serde(rename = "type")]
    service_type: Option<&'a str>,
    problems: Vec<JsonProblem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonProblem<'a> {
    level: &'static str,
    code: &'static str,
    rule: Option<&'static str>,
    file: &'a str,
    line: usize,
    column: usize,
    summary: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
pub(crate) struct JsonInputError<'a> {
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

pub(crate) fn json_input_errors(errors: &[InputError]) -> Vec<JsonInputError<'_>> {
    errors
        .iter()
        .map(|e| JsonInputError {
            file: &e.file,
            line: e.pos.map(|p| p.line),
            column: e.pos.map(|p| p.column),
            message: &e.message,
        })
        .collect()
}

fn json_problem<'a>(f: &'a Finding) -> JsonProblem<'a> {
    JsonProblem {
        level: match f.level {
            Level::Deny => "error",
            Level::Warn => "warning",
        },
        code: f.code.as_str(),
        rule: match f.code {
            Code::Rule(id) => Some(id.as_str()),
            _ => None,
        },
        file: &f.file,
        line: f.pos.line,
        column: f.pos.column,
        summary: &f.summary,
        message: &f.message,
    }
}

fn json_namespace<'a>(e: &Explanation<'a>, ns: &'a NamespaceModel) -> JsonNamespace<'a> {
    let problem = exposure::gateway_problem(&ns.gateway);
    let workspace = JsonWorkspace {
        created: ns.workspace(),
        trigger_label: match &ns.trigger {
            Trigger::Label { key, value } => Some(format!("{key}={value}")),
            _ => None,
        },
        name: (ns.workspace() == Some(true)).then(|| ns.workspace_name()),
        // As the YAML output: no WorkspaceSetting for a gateway the agent cannot set up.
        setting_name: (ns.gateway_in_use() && problem.is_none())
            .then(|| ns.workspace_setting_name()),
        reason: workspace_text(ns, e.config),
    };
    let gateway = match &ns.gateway {
        GatewayState::Settings(gw) => {
            Some(JsonGateway::new(ns.gateway_in_use(), Some(gw), problem))
        }
        GatewayState::Underivable(_) => Some(JsonGateway::new(ns.gateway_in_use(), None, problem)),
        GatewayState::Unknown => None,
    };
    JsonNamespace {
        name: &ns.name,
        in_input: ns.in_input(),
        file: ns.source.as_ref().map(|l| &*l.file),
        line: ns.source.as_ref().map(|l| l.line),
        mode: ns.mode.as_str(),
        mode_reason: exposure::mode_why(ns),
        global_annotation: ns.global_annotation.as_deref(),
        workspace,
        gateway,
        cloud_annotations: ns.cloud.as_ref().map(|c| JsonCloud {
            parser: c.parser.code(),
            annotations: &c.annotations,
            yaml_problems: c
                .yaml_problems
                .iter()
                .map(|p| JsonYamlProblem {
                    message: &p.what,
                    line: p.position.map(|p| p.line),
                    column: p.position.map(|p| p.column),
                })
                .collect(),
            skipped_lines: &c.skipped_lines,
            invalid_keys: &c.invalid_keys,
            unsupported_keys: &c.unsupported_keys,
        }),
        services: ns
            .services
            .iter()
            .map(|s| JsonService {
                name: &s.name,
                namespace: &s.namespace,
                file: &s.source.file,
                line: s.source.line,
                exposed: s.exposed,
                reason: s.reason.code(),
                why: exposure::why(s, ns),
                global_label: s.global_label.as_deref(),
                service_type: s.service_type.as_deref(),
                problems: e
                    .service_problems(s)
                    .iter()
                    .map(|f| json_problem(f))
                    .collect(),
            })
            .collect(),
        problems: e
            .namespace_problems(ns)
            .iter()
            .map(|f| json_problem(f))
            .collect(),
    }
}

fn write_json(e: &Explanation<'_>, out: &mut dyn Write) -> io::Result<()> {
    let m = e.model;
    let known = || m.namespaces.iter().filter(|n| n.in_input());
    let count = |mode: ExposureMode| known().filter(|n| n.mode == mode).count();
    let services: usize = m.namespaces.iter().map(|n| n.services.len()).sum();
    let exposed: usize = m.namespaces.iter().map(|n| n.exposed().count()).sum();
    let doc = JsonExplain {
        schema_version: EXPLAIN_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        command: "explain",
        summary: JsonSummary {
            namespaces: known().count(),
            namespace_level: count(ExposureMode::NamespaceLevel),
            service_level: count(ExposureMode::ServiceLevel),
            off: count(ExposureMode::Off),
            unknown_namespaces: m.namespaces.len() - known().count(),
            workspaces: known().filter(|n| n.workspace() == Some(true)).count(),
            services,
            exposed,
            not_exposed: services - exposed,
            errors: e.errors(),
            warnings: e.warnings(),
            input_errors: e.input_errors.len(),
            exit_code: e.exit_code(),
        },
        namespaces: m
            .namespaces
            .iter()
            .map(|ns| json_namespace(e, ns))
            .collect(),
        input_errors: json_input_errors(e.input_errors),
    };
    write_json_value(&doc, out)
}

/// Pretty JSON and a newline, keeping the kind of an I/O error (a closed pipe stays one).
pub(crate) fn write_json_value(doc: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(|e| match e.io_error_kind() {
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    })?;
    writeln!(out)
}

// ---------------------------------------------------------------- YAML

/// A YAML scalar that every YAML parser reads as this string: plain when that is safe (a
/// name-like word that no YAML 1.1 or 1.2 parser takes for a boolean, null or number), else
/// double-quoted (JSON string syntax is valid YAML).
fn yq(s: &str) -> String {
    const RESERVED: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null"];
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

/// A comment line's text, kept on one line.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn write_yaml(e: &Explanation<'_>, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    for ie in e.input_errors {
        writeln!(err, "{}", input_error_line(ie))?;
    }
    writeln!(
        out,
        "# The WorkspaceSetting the Tetrate hosted agent would create for each Namespace of the\n\
         # input, reconstructed by eastwest-guard explain from the agent's documentation (which\n\
         # parts come from it: docs/explain-diff-output.md). Nothing here is applied anywhere."
    )?;
    if !e.input_errors.is_empty() {
        writeln!(
            out,
            "# INCOMPLETE: {} could not be read (see standard error).",
            plural(e.input_errors.len(), "input", "inputs")
        )?;
    }
    for ns in &e.model.namespaces {
        write_namespace_yaml(e, ns, out)?;
    }
    Ok(())
}

fn write_namespace_yaml(
    e: &Explanation<'_>,
    ns: &NamespaceModel,
    out: &mut dyn Write,
) -> io::Result<()> {
    let name = comment(&ns.name);
    let problems = e.namespace_problems(ns);
    let errors: Vec<&str> = problems
        .iter()
        .filter(|f| f.level == Level::Deny)
        .map(|f| f.code.as_str())
        .collect();
    let denied = if errors.is_empty() {
        String::new()
    } else {
        format!(" (check denies this Namespace: {})", errors.join(", "))
    };
    let mut skip = |why: String| -> io::Result<()> {
        writeln!(
            out,
            "\n# Namespace {name}: no WorkspaceSetting: {}{denied}",
            comment(&why)
        )
    };
    match ns.workspace() {
        None => {
            return skip(
                "the Namespace is not in the input, so its mode, trigger label and gateway are \
                 unknown"
                    .into(),
            );
        }
        Some(false) => {
            return skip(format!(
                "none of the trigger labels ({}), so the agent creates no workspace",
                trigger_list(e.config)
            ));
        }
        Some(true) => {}
    }
    if ns.mode == ExposureMode::Off {
        return skip(format!(
            "east-west is off; the agent creates workspace {} without east-west gateway settings",
            ns.workspace_name()
        ));
    }
    let gw = match &ns.gateway {
        GatewayState::Settings(gw) => gw,
        GatewayState::Underivable(why) => {
            return skip(exposure::derive_error_text(why).to_owned());
        }
        GatewayState::Unknown => return skip("the gateway is unknown".into()),
    };
    // A name, namespace or selector no Kubernetes object can carry: no WorkspaceSetting (the
    // text and JSON outputs say the same).
    if let Some(problem) = exposure::gateway_problem(&ns.gateway) {
        return skip(problem);
    }
    let labels = match selector::parse(&gw.workload_selector) {
        Ok(sel) => sel.pairs,
        Err(_) => {
            return skip(format!(
                "the workload selector {} is malformed (EW005)",
                q(&gw.workload_selector)
            ));
        }
    };

    writeln!(out, "---")?;
    let mode_line = match ns.mode {
        ExposureMode::NamespaceLevel => {
            "namespace-level: exposedServices is omitted, so every Service in it is exposed"
                .to_owned()
        }
        _ => format!(
            "service-level: only Services labelled {}: \"true\" are exposed",
            keys::GLOBAL
        ),
    };
    writeln!(out, "# Namespace {name}: {mode_line}{denied}")?;
    writeln!(
        out,
        "# gateway {} in namespace {}: {}",
        comment(&gw.name),
        comment(&gw.namespace),
        deploy_text(&gw.deploy)
    )?;
    if let Some(cloud) = &ns.cloud {
        if cloud.annotations.is_empty() {
            writeln!(out, "# the gateway's Service gets no cloud annotation")?;
        } else {
            let how = match cloud.parser {
                CloudParser::Fallback => ", as the agent's line fallback reads them (YAML fails)",
                CloudParser::YamlFirstDocument => ", from the first YAML document only",
                _ => "",
            };
            writeln!(
                out,
                "# cloud annotations of the gateway's Service (not part of this resource){how}:"
            )?;
            for (k, v) in &cloud.annotations {
                writeln!(out, "#   {}: {}", comment(&key_text(k)), comment(&q(v)))?;
            }
        }
    }
    writeln!(out, "apiVersion: tsb.tetrate.io/v2")?;
    writeln!(out, "kind: WorkspaceSetting")?;
    writeln!(out, "metadata:")?;
    writeln!(out, "  name: {}", yq(&ns.workspace_setting_name()))?;
    writeln!(out, "  workspace: {}", yq(&ns.workspace_name()))?;
    writeln!(out, "spec:")?;
    writeln!(out, "  defaultEastWestGatewaySettings:")?;
    writeln!(out, "  - workloadSelector:")?;
    writeln!(out, "      namespace: {}", yq(&gw.namespace))?;
    writeln!(out, "      labels:")?;
    for (k, v) in &labels {
        writeln!(out, "        {}: {}", yq(k), yq(v))?;
    }
    if ns.mode == ExposureMode::ServiceLevel {
        writeln!(out, "    exposedServices:")?;
        writeln!(out, "    - serviceLabels:")?;
        writeln!(out, "        {}: \"true\"", yq(keys::GLOBAL))?;
    }
    Ok(())
}
