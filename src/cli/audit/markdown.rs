//! `audit --output markdown`: for a job summary or an issue: the verdict and the summary line,
//! a table of every finding, the objects with problems by rule, and the Services exposed
//! cross-cluster by Namespace.

use std::io::{self, Write};

use super::collect::Audit;
use super::text::{message_after_object, short_object, summary};
use crate::cli::common::{markdown_cell as cell, markdown_code as code, plural};
use crate::cluster::read::ReadError;
use crate::rules::Level;

pub(super) fn write(audit: &Audit, fail_on_warning: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## eastwest-guard: audit\n")?;
    let verdict = match audit.exit_code(fail_on_warning) {
        0 => "**Passed**: ",
        _ => "**Failed**: ",
    };
    let mut lines = summary(audit).into_iter();
    if let Some(first) = lines.next() {
        writeln!(out, "{verdict}{}.\n", cell(&first))?;
    }
    if !audit.findings.is_empty() {
        writeln!(out, "| level | rule | object | key | message |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for f in &audit.findings {
            let level = match f.level {
                Level::Deny => "**error**",
                Level::Warn => "warning",
            };
            writeln!(
                out,
                "| {level} | {} | {} | {} | {} |",
                code(f.rule.as_str()),
                cell(&short_object(&f.object)),
                code(&f.field.to_string()),
                cell(message_after_object(f)),
            )?;
        }
        writeln!(out, "\n### By rule\n")?;
        writeln!(
            out,
            "| rule | objects | errors | warnings | what it guards |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---|")?;
        for (rule, count) in audit.by_rule() {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(rule.as_str()),
                count.objects,
                count.errors,
                count.warnings,
                cell(rule.title())
            )?;
        }
    }
    let exposing: Vec<_> = audit.exposing_namespaces().collect();
    writeln!(
        out,
        "\n### Exposed cross-cluster\n\n{} in {}.",
        plural(audit.exposed(), "Service", "Services"),
        plural(exposing.len(), "Namespace", "Namespaces")
    )?;
    if !exposing.is_empty() {
        writeln!(out, "\n| namespace | exposed | Services |\n|---|---:|---:|")?;
        for (ns, e) in exposing {
            writeln!(out, "| {} | {} | {} |", code(ns), e.exposed, e.services)?;
        }
    }
    if !fail_on_warning && audit.errors() == 0 && audit.warnings() > 0 {
        writeln!(
            out,
            "\nWarnings do not fail the audit (`--fail-on-warning` makes them)."
        )?;
    }
    Ok(())
}

/// The cluster could not be read: said where the summary would have been.
pub(super) fn write_error(error: &ReadError, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "## eastwest-guard: audit\n\n**Incomplete**: the cluster could not be read: {}.",
        cell(&error.to_string())
    )
}
