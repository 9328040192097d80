//! The three output formats of `check`: text for a terminal, JSON for programs (schema in
//! docs/check-output.md), and GitHub Actions workflow commands for pull-request annotations.

use std::io::{self, Write};

use serde::Serialize;

use super::check::{Finding, Outcome};
use super::common::{
    JsonInputError, input_error_line, json_input_errors, plural, write_json_value,
};
use super::manifests::STDIN_NAME;
use crate::rules::{Field, Fix, TextPosition};

/// The version of the JSON document; bumped on any change that could break a reader.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// `path:line:column: error EW005 Namespace/payments: ...`, then a summary line.
    #[default]
    Text,
    /// One JSON document (see docs/check-output.md).
    Json,
    /// GitHub Actions workflow commands (`::error file=...,line=...`).
    Github,
}

/// Writes the outcome to `out`; in the text format, input errors go to `err` (they are not
/// findings of the check but reasons it could not be complete).
pub fn write(
    format: OutputFormat,
    outcome: &Outcome,
    fail_on_warning: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Text => write_text(outcome, out, err),
        OutputFormat::Json => write_json(outcome, fail_on_warning, out),
        OutputFormat::Github => write_github(outcome, out),
    }
}

fn write_text(outcome: &Outcome, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    for e in &outcome.input_errors {
        writeln!(err, "{}", input_error_line(e))?;
    }
    for f in &outcome.findings {
        writeln!(
            out,
            "{}:{}:{}: {} {} {}: {}",
            f.file,
            f.pos.line,
            f.pos.column,
            f.level,
            f.code,
            short_object(f),
            f.message_after_object()
        )?;
    }
    writeln!(out, "{}", summary_line(outcome))
}

/// `Namespace/payments`, `Service/shop/web`.
fn short_object(f: &Finding) -> String {
    match &f.object.namespace {
        Some(ns) => format!("{}/{}/{}", f.object.kind, ns, f.object.name),
        None => format!("{}/{}", f.object.kind, f.object.name),
    }
}

/// One line: what was read and what was found.
pub fn summary_line(o: &Outcome) -> String {
    let mut read = format!(
        "checked {} ({}, {}) in {} of {}",
        plural(o.objects(), "object", "objects"),
        plural(o.namespaces, "Namespace", "Namespaces"),
        plural(o.services, "Service", "Services"),
        plural(o.documents, "document", "documents"),
        plural(o.files, "file", "files"),
    );
    if let Some(old) = &o.old {
        read.push_str(&format!(
            "; against --old ({} in {}): {}, {}",
            plural(old.objects, "object", "objects"),
            plural(old.files, "file", "files"),
            plural(old.updated, "update", "updates"),
            plural(old.deleted, "deletion", "deletions"),
        ));
    }
    let mut found = vec![
        plural(o.errors(), "error", "errors"),
        plural(o.warnings(), "warning", "warnings"),
    ];
    if !o.input_errors.is_empty() {
        found.push(format!(
            "{} (the check is incomplete)",
            plural(
                o.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        ));
    }
    format!("{read}: {}", found.join(", "))
}

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

fn write_json(outcome: &Outcome, fail_on_warning: bool, out: &mut dyn Write) -> io::Result<()> {
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
                    super::check::Code::Rule(id) => Some(id.as_str()),
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

fn write_github(outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    for e in &outcome.input_errors {
        let mut props = Vec::new();
        if &*e.file != STDIN_NAME {
            props.push(format!("file={}", escape_property(&e.file)));
            if let Some(p) = e.pos {
                props.push(format!("line={}", p.line));
                props.push(format!("col={}", p.column));
            }
        }
        props.push("title=eastwest-guard".to_owned());
        let place = match e.pos {
            Some(p) => format!("{}:{}:{}", e.file, p.line, p.column),
            None => e.file.to_string(),
        };
        writeln!(
            out,
            "::error {}::{}",
            props.join(","),
            escape_data(&format!("{place}: {}", e.message))
        )?;
    }
    for f in &outcome.findings {
        let command = match f.level {
            crate::rules::Level::Deny => "error",
            crate::rules::Level::Warn => "warning",
        };
        let mut props = Vec::new();
        if &*f.file != STDIN_NAME {
            props.push(format!("file={}", escape_property(github_path(&f.file))));
            props.push(format!("line={}", f.pos.line));
            props.push(format!("col={}", f.pos.column));
        }
        props.push(format!("title={}", escape_property(f.code.as_str())));
        writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&f.message)
        )?;
    }
    writeln!(out, "{}", summary_line(outcome))
}

/// GitHub matches annotation paths against the repository: `./a.yaml` is `a.yaml`.
fn github_path(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

/// Workflow-command escaping of a message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping of a property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(github_path("././x/y.yaml"), "x/y.yaml");
    }
}
