//! `audit --output json`: one document, versioned by `schemaVersion` (docs/audit-output.md),
//! whether the cluster could be read or not.

use std::io::{self, Write};

use serde::Serialize;

use super::collect::Audit;
use crate::cli::common::write_json_value;
use crate::cluster::read::{Listed, ReadError};
use crate::rules::{Field, Level, TextPosition, Violation};

/// The version of the JSON document; bumped on any change that could break a reader.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    cluster: Cluster<'a>,
    summary: Option<Summary<'a>>,
    findings: Vec<Finding<'a>>,
    error: Option<Error>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cluster<'a> {
    server: Option<&'a str>,
    namespaces: Option<ListJson<'a>>,
    services: Option<ListJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListJson<'a> {
    resource_version: Option<&'a str>,
    requests: usize,
    restarts: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    objects: usize,
    namespaces: usize,
    services: usize,
    objects_with_problems: usize,
    objects_denied: usize,
    errors: usize,
    warnings: usize,
    by_rule: Vec<RuleJson>,
    exposed_services: usize,
    exposed_by_namespace: Vec<ExposedJson<'a>>,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson {
    rule: &'static str,
    title: &'static str,
    objects: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExposedJson<'a> {
    namespace: &'a str,
    exposed: usize,
    services: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Finding<'a> {
    level: &'static str,
    rule: &'static str,
    title: &'static str,
    object: Object<'a>,
    field: &'a Field,
    value: Option<&'a str>,
    position_in_value: Option<&'a TextPosition>,
    message: &'a str,
    summary: &'a str,
}

#[derive(Serialize)]
struct Object<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Error {
    code: &'static str,
    http_status: Option<u16>,
    message: String,
    resource: Option<&'static str>,
}

fn list(listed: &Listed) -> ListJson<'_> {
    ListJson {
        resource_version: listed.resource_version.as_deref(),
        requests: listed.requests,
        restarts: listed.restarts,
    }
}

fn finding(v: &Violation) -> Finding<'_> {
    Finding {
        level: level(v.level),
        rule: v.rule.as_str(),
        title: v.rule.title(),
        object: Object {
            kind: &v.object.kind,
            namespace: v.object.namespace.as_deref(),
            name: &v.object.name,
        },
        field: &v.field,
        value: v.value.as_deref(),
        position_in_value: v.position_in_value.as_ref(),
        message: &v.message,
        summary: &v.summary,
    }
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
    }
}

pub(super) fn write(audit: &Audit, fail_on_warning: bool, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: JSON_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        cluster: Cluster {
            server: Some(&audit.server),
            namespaces: Some(list(&audit.lists.namespaces)),
            services: Some(list(&audit.lists.services)),
        },
        summary: Some(Summary {
            objects: audit.objects(),
            namespaces: audit.namespaces,
            services: audit.services,
            objects_with_problems: audit.objects_with_problems(),
            objects_denied: audit.objects_denied(),
            errors: audit.errors(),
            warnings: audit.warnings(),
            by_rule: audit
                .by_rule()
                .into_iter()
                .map(|(rule, c)| RuleJson {
                    rule: rule.as_str(),
                    title: rule.title(),
                    objects: c.objects,
                    errors: c.errors,
                    warnings: c.warnings,
                })
                .collect(),
            exposed_services: audit.exposed(),
            exposed_by_namespace: audit
                .exposing_namespaces()
                .map(|(namespace, e)| ExposedJson {
                    namespace,
                    exposed: e.exposed,
                    services: e.services,
                })
                .collect(),
            exit_code: audit.exit_code(fail_on_warning),
        }),
        findings: audit.findings.iter().map(finding).collect(),
        error: None,
    };
    write_json_value(&doc, out)
}

/// The document when the cluster could not be read: no summary, no findings, the error.
pub(super) fn write_error(error: &ReadError, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: JSON_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        cluster: Cluster {
            server: error.server.as_deref(),
            namespaces: None,
            services: None,
        },
        summary: None,
        findings: Vec::new(),
        error: Some(Error {
            code: error.code(),
            http_status: error.http_status(),
            message: error.to_string(),
            resource: error.resource.map(|r| r.plural()),
        }),
    };
    write_json_value(&doc, out)
}
