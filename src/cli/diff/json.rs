//! The JSON document of `diff` (docs/explain-diff-output.md).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::super::common::{JsonInputError, json_input_errors, write_json_value};
use super::Report;
use super::changes::{GatewayChangeKind, GatewayView, NamespaceSide, ServiceChange, ServiceSide};
use crate::rules::RuleId;
use crate::rules::model::CloudParser;

/// The version of the diff JSON document; bumped on any change that could break a reader.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiff<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    command: &'static str,
    summary: JsonSummary,
    newly_exposed: Vec<JsonServiceChange<'a>>,
    no_longer_exposed: Vec<JsonServiceChange<'a>>,
    gateways: Vec<JsonGatewayChange<'a>>,
    namespaces: Vec<JsonNamespaceChange<'a>>,
    input_errors: Vec<JsonInputError<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    complete: bool,
    changed: bool,
    newly_exposed: usize,
    no_longer_exposed: usize,
    gateways_created: usize,
    gateways_moved: usize,
    gateways_updated: usize,
    gateways_removed: usize,
    namespaces_changed: usize,
    blocked: usize,
    input_errors: usize,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonServiceChange<'a> {
    namespace: &'a str,
    name: &'a str,
    why: &'a str,
    blocked_by: Option<&'static str>,
    before: Option<JsonServiceSide<'a>>,
    after: Option<JsonServiceSide<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonServiceSide<'a> {
    exposed: bool,
    reason: &'static str,
    why: &'a str,
    file: &'a str,
    line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonGatewayChange<'a> {
    namespace: &'a str,
    change: &'static str,
    changed_fields: &'a [&'static str],
    why: &'a str,
    before: Option<JsonGateway<'a>>,
    after: Option<JsonGateway<'a>>,
    cloud_annotation_changes: Vec<JsonCloudChange<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonGateway<'a> {
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    workload_selector: Option<&'a str>,
    deploy: Option<&'a str>,
    cloud_annotations: Option<&'a BTreeMap<String, String>>,
    cloud_parser: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCloudChange<'a> {
    key: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespaceChange<'a> {
    name: &'a str,
    change: &'static str,
    why: &'a str,
    blocked_by: Option<&'static str>,
    may_be_blocked_by: Option<&'static str>,
    before: Option<JsonNamespaceSide<'a>>,
    after: Option<JsonNamespaceSide<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespaceSide<'a> {
    mode: &'static str,
    in_input: bool,
    workspace: Option<bool>,
    trigger_label: Option<&'a str>,
}

fn json_service(c: &ServiceChange) -> JsonServiceChange<'_> {
    fn side(s: &Option<ServiceSide>) -> Option<JsonServiceSide<'_>> {
        s.as_ref().map(|s| JsonServiceSide {
            exposed: s.exposed,
            reason: s.reason.code(),
            why: &s.why,
            file: &s.location.file,
            line: s.location.line,
        })
    }
    JsonServiceChange {
        namespace: &c.namespace,
        name: &c.name,
        why: &c.why,
        blocked_by: c.blocked_by.map(RuleId::as_str),
        before: side(&c.before),
        after: side(&c.after),
    }
}

pub(super) fn write_json(report: &Report, exit_code: u8, out: &mut dyn Write) -> io::Result<()> {
    let d = &report.diff;
    fn gateway(g: &Option<GatewayView>) -> Option<JsonGateway<'_>> {
        g.as_ref().map(|g| JsonGateway {
            name: g.name.as_deref(),
            namespace: g.namespace.as_deref(),
            workload_selector: g.workload_selector.as_deref(),
            deploy: g.deploy.as_deref(),
            cloud_annotations: g.cloud_annotations.as_ref(),
            cloud_parser: g.cloud_parser.map(CloudParser::code),
            error: g.error,
        })
    }
    fn ns_side(s: &Option<NamespaceSide>) -> Option<JsonNamespaceSide<'_>> {
        s.as_ref().map(|s| JsonNamespaceSide {
            mode: s.mode.as_str(),
            in_input: s.in_input,
            workspace: s.workspace,
            trigger_label: s.trigger_label.as_deref(),
        })
    }
    let doc = JsonDiff {
        schema_version: DIFF_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        command: "diff",
        summary: JsonSummary {
            complete: report.complete(),
            changed: !d.is_empty(),
            newly_exposed: d.newly_exposed.len(),
            no_longer_exposed: d.no_longer_exposed.len(),
            gateways_created: d.gateways_of(GatewayChangeKind::Created),
            gateways_moved: d.gateways_of(GatewayChangeKind::Moved),
            gateways_updated: d.gateways_of(GatewayChangeKind::Updated),
            gateways_removed: d.gateways_of(GatewayChangeKind::Removed),
            namespaces_changed: d.namespaces.len(),
            blocked: d
                .namespaces
                .iter()
                .filter(|n| n.blocked_by.is_some())
                .count(),
            input_errors: report.input_errors.len(),
            exit_code,
        },
        newly_exposed: d.newly_exposed.iter().map(json_service).collect(),
        no_longer_exposed: d.no_longer_exposed.iter().map(json_service).collect(),
        gateways: d
            .gateways
            .iter()
            .map(|g| JsonGatewayChange {
                namespace: &g.namespace,
                change: g.kind.as_str(),
                changed_fields: &g.changed,
                why: &g.why,
                before: gateway(&g.before),
                after: gateway(&g.after),
                cloud_annotation_changes: g
                    .cloud_changes
                    .iter()
                    .map(|c| JsonCloudChange {
                        key: &c.key,
                        before: c.before.as_deref(),
                        after: c.after.as_deref(),
                    })
                    .collect(),
            })
            .collect(),
        namespaces: d
            .namespaces
            .iter()
            .map(|n| JsonNamespaceChange {
                name: &n.name,
                change: n.kind.as_str(),
                why: &n.why,
                blocked_by: n.blocked_by.map(RuleId::as_str),
                may_be_blocked_by: n.may_be_blocked_by.map(RuleId::as_str),
                before: ns_side(&n.before),
                after: ns_side(&n.after),
            })
            .collect(),
        input_errors: json_input_errors(&report.input_errors),
    };
    write_json_value(&doc, out)
}
