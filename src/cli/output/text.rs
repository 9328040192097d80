//! The text output of `check`: one finding a line (`path:line:column: level CODE object:
//! message`), then the summary line; input errors on standard error.

use std::io::{self, Write};

use super::super::check::Outcome;
use super::super::common::input_error_line;
use super::{short_object, summary_line};

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
            short_object(&f.object),
            f.message_after_object()
        )?;
    }
    writeln!(out, "{}", summary_line(outcome))
}
