//! The text output of `check`: one finding a line (`path:line:column: level CODE object:
//! message`), then the summary line; input errors on standard error.

use std::io::{self, Write};

use super::super::check::{Finding, Outcome};
use super::super::common::input_error_line;
use super::summary_line;

pub(super) fn write_text(
    outcome: &Outcome,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
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
