//! The JSON output of `check`: one document, described in docs/check-output.md.

use std::io::{self, Write};

use serde::Serialize;

use super::super::check::Outcome;
use super::super::common::{JsonInputError, json_input_errors, write_json_value};
use super::JSON_SCHEMA_VERSION;
use crate::rules::{Field, Fix, TextPosition};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    summary: JsonSummary,
    findings: Vec<JsonFinding<'a>>,
    input_errors: Vec<JsonInputError<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    files: usize,
    documents: usize,
    objects: usize,
    namespaces: usize,
    services: usize,
    errors: usize,
    warnings: usize,
    input_errors: usize,
    old: Option<JsonOld>,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonOld {
    files: usize,
    objects: usize,
    updated: usize,
    deleted: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    level: &'static str,
    code: &'static str,
    rule: Option<&'static str>,
    title: &'static str,
    file: &'a str,
    line: usize,
    column: usize,
    object: JsonObject<'a>,
    operation: &'static str,
    field: Option<&'a Field>,
    value: Option<&'a str>,
    position_in_value: Option<&'a TextPosition>,
    message: &'a str,
    summary: &'a str,
    pre_existing: bool,
    fix: Option<&'a Fix>,
}

#[derive(Serialize)]
struct JsonObject<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

pub(super) fn write_json(
    outcome: &Outcome,
    fail_on_warning: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = JsonReport {
        schema_version: JSON_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        summary: JsonSummary {
            files: outcome.files,
            documents: outcome.documents,
            objects: outcome.objects(),
            namespaces: outcome.namespaces,
            services: outcome.services,
            errors: outcome.errors(),
            warnings: outcome.warnings(),
            input_errors: outcome.input_errors.len(),
            old: outcome.old.map(|o| JsonOld {
                files: o.files,
                objects: o.objects,
                updated: o.updated,
                deleted: o.deleted,
            }),
            exit_code: outcome.exit_code(fail_on_warning),
        },
        findings: outcome
            .findings
            .iter()
            .map(|f| JsonFinding {
                level: match f.level {
                    crate::rules::Level::Deny => "error",
                    crate::rules::Level::Warn => "warning",
                },
                code: f.code.as_str(),
                rule: match f.code {
                    super::super::check::Code::Rule(id) => Some(id.as_str()),
                    _ => None,
                },
                title: f.code.title(),
                file: &f.file,
                line: f.pos.line,
                column: f.pos.column,
                object: JsonObject {
                    kind: &f.object.kind,
                    namespace: f.object.namespace.as_deref(),
                    name: &f.object.name,
                },
                operation: f.operation.as_str(),
                field: f.field.as_ref(),
                value: f.value.as_deref(),
                position_in_value: f.position_in_value.as_ref(),
                message: &f.message,
                summary: &f.summary,
                pre_existing: f.pre_existing,
                fix: f.fix.as_ref(),
            })
            .collect(),
        input_errors: json_input_errors(&outcome.input_errors),
    };
    write_json_value(&report, out)
}
