//! The Markdown output of `check`, for a GitHub job summary or a pull-request comment: a
//! heading, the summary line, a table of every finding, the inputs that could not be read, and
//! what each reported code means.

use std::io::{self, Write};

use super::super::check::{Code, Outcome};
use super::super::common::{markdown_cell as cell, markdown_code as code, plural};
use super::{short_object, summary_line};
use crate::rules::Level;

pub(super) fn write_markdown(
    outcome: &Outcome,
    fail_on_warning: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "## eastwest-guard: check\n")?;
    let verdict = match outcome.exit_code(fail_on_warning) {
        0 => "**Passed**: ",
        1 => "**Failed**: ",
        _ => "**Incomplete**: ",
    };
    writeln!(out, "{verdict}{}.\n", cell(&summary_line(outcome)))?;

    if !outcome.input_errors.is_empty() {
        writeln!(
            out,
            "### {}\n",
            plural(
                outcome.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        )?;
        writeln!(out, "| where | problem |\n|---|---|")?;
        for e in &outcome.input_errors {
            let place = match e.pos {
                Some(p) => format!("{}:{}:{}", e.file, p.line, p.column),
                None => e.file.to_string(),
            };
            writeln!(out, "| {} | {} |", code(&place), cell(&e.message))?;
        }
        writeln!(out)?;
    }

    if outcome.findings.is_empty() {
        if outcome.input_errors.is_empty() {
            writeln!(out, "No problems found.")?;
        }
        return Ok(());
    }
    writeln!(out, "| level | code | where | object | message |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for f in &outcome.findings {
        let level = match f.level {
            Level::Deny => "**error**",
            Level::Warn => "warning",
        };
        writeln!(
            out,
            "| {level} | {} | {} | {} | {} |",
            code(f.code.as_str()),
            code(&format!("{}:{}:{}", f.file, f.pos.line, f.pos.column)),
            cell(&short_object(&f.object)),
            cell(f.message_after_object()),
        )?;
    }

    // What each code found here means, once, in catalog order.
    let found: Vec<Code> = Code::all()
        .filter(|c| outcome.findings.iter().any(|f| f.code == *c))
        .collect();
    writeln!(out, "\n<details><summary>What the codes mean</summary>\n")?;
    for c in found {
        writeln!(out, "- {}: {}", code(c.as_str()), cell(c.title()))?;
    }
    writeln!(out, "\n</details>")?;
    if !fail_on_warning && outcome.errors() == 0 && outcome.warnings() > 0 {
        writeln!(
            out,
            "\nWarnings do not fail the check (`--fail-on-warning` makes them)."
        )?;
    }
    Ok(())
}
