//! The output formats of `check`, one file each: text for a terminal, JSON for programs (schema
//! in docs/check-output.md), GitHub Actions workflow commands for pull-request annotations,
//! Markdown for a job summary, SARIF for code scanning, JUnit XML for GitLab and Jenkins.

mod github;
mod json;
mod junit;
mod markdown;
pub(crate) mod sarif;
mod text;

use std::io::{self, Write};

use super::check::Outcome;
use super::common::plural;
use crate::rules::ObjectRef;

pub use github::{escape_data, escape_property};

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
    /// Markdown, for a GitHub job summary or a pull-request comment: a table of the findings.
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning (github/codeql-action/upload-sarif).
    Sarif,
    /// JUnit XML, for GitLab's and Jenkins' test reports: a test case per object.
    Junit,
}

impl OutputFormat {
    /// Whether text may follow the report (`check --summary` appends the exposure diff): not
    /// in the formats that are one document for a program to parse.
    pub fn takes_appended_text(self) -> bool {
        matches!(self, Self::Text | Self::Github | Self::Markdown)
    }
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
        OutputFormat::Text => text::write_text(outcome, out, err),
        OutputFormat::Json => json::write_json(outcome, fail_on_warning, out),
        OutputFormat::Github => github::write_github(outcome, out),
        OutputFormat::Markdown => markdown::write_markdown(outcome, fail_on_warning, out),
        OutputFormat::Sarif => sarif::write_sarif(outcome, fail_on_warning, out),
        OutputFormat::Junit => junit::write_junit(outcome, fail_on_warning, out),
    }
}

/// A path as the repository names it: `./a.yaml` is `a.yaml` (GitHub matches annotation and
/// code-scanning paths against the repository).
pub(super) fn repo_path(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

/// `Namespace/payments`, `Service/shop/web`.
pub(super) fn short_object(object: &ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{}/{}/{}", object.kind, ns, object.name),
        None => format!("{}/{}", object.kind, object.name),
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
