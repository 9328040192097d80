//! The GitHub Actions output of `check`: workflow commands (`::error file=...,line=...::`)
//! that become annotations on the pull request's diff, then the summary line.

use std::io::{self, Write};

use super::super::check::Outcome;
use super::super::manifests::STDIN_NAME;
use super::{repo_path, summary_line};

pub(super) fn write_github(outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
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
            props.push(format!("file={}", escape_property(repo_path(&f.file))));
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
        assert_eq!(super::super::repo_path("././x/y.yaml"), "x/y.yaml");
    }
}
