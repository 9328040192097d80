//! The JSON document of `explain` (docs/explain-diff-output.md).

use std::io::{self, Write};

use serde::Serialize;

use super::super::check::{Code, Finding};
use super::super::common::{JsonInputError, json_input_errors, write_json_value};
use super::super::exposure::{self, NamespaceModel};
use super::{Explanation, workspace_text};
use crate::rules::Level;
use crate::rules::gateway::{GatewaySettings, Source};
use crate::rules::model::{ExposureMode, GatewayState, Trigger};

/// The version of the explain JSON document; bumped on any change that could break a reader.
pub const EXPLAIN_SCHEMA_VERSION: u32 = 1;

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

pub(super) fn write_json(e: &Explanation<'_>, out: &mut dyn Write) -> io::Result<()> {
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
