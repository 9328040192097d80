//! `audit --output github`: a GitHub Actions workflow command per finding (`::error` for what
//! would be denied, `::warning` otherwise). There is no file to point at: each annotation is
//! titled with the rule and the object, and shows on the workflow run. The summary follows as
//! plain lines of the log.

use std::io::{self, Write};

use super::collect::Audit;
use super::text::{message_after_object, short_object, summary};
use crate::cli::output::{escape_data, escape_property};
use crate::rules::Level;

pub(super) fn write(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    for f in &audit.findings {
        let command = match f.level {
            Level::Deny => "error",
            Level::Warn => "warning",
        };
        let title = format!("{} {} {}", f.rule, short_object(&f.object), f.field);
        writeln!(
            out,
            "::{command} title={}::{}",
            escape_property(&title),
            escape_data(message_after_object(f))
        )?;
    }
    for line in summary(audit) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
