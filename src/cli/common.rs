//! The plumbing every command over manifests shares (`check`, `explain`, `diff`): checking the
//! flags before anything is read, usage errors, writing the report (and input errors) to
//! standard output and standard error, and the small pieces of text their outputs have in
//! common (Markdown table cells among them).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::manifests::{self, InputError};

/// Checks of the flags before anything is read: the default namespace is a namespace name,
/// and standard input is read at most once.
pub(crate) fn validate_inputs<'a>(
    namespace: &str,
    paths: impl IntoIterator<Item = &'a PathBuf>,
) -> Result<(), String> {
    crate::rules::names::dns1123_label(namespace)
        .map_err(|why| format!("--namespace {namespace:?} {why}"))?;
    let stdin_uses = paths
        .into_iter()
        .filter(|p| p.as_os_str() == manifests::STDIN)
        .count();
    if stdin_uses > 1 {
        return Err("standard input (-) can be read only once: give it as one PATH".into());
    }
    Ok(())
}

/// A wrong flag: said on standard error, exit status 2.
pub(crate) fn usage_error(command: &str, why: &str) -> ExitCode {
    eprintln!("eastwest-guard {command}: {why}");
    ExitCode::from(2)
}

/// Runs `write` on buffered standard output and standard error; a closed pipe (`... | head`)
/// is the reader's choice, any other write error exits 2.
pub(crate) fn write_out(
    command: &str,
    write: impl FnOnce(&mut dyn Write, &mut dyn Write) -> io::Result<()>,
) -> Result<(), ExitCode> {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let written = write(&mut out, &mut err).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(
                err,
                "eastwest-guard {command}: cannot write the report: {e}"
            );
            Err(ExitCode::from(2))
        }
        _ => Ok(()),
    }
}

/// Pretty JSON and a newline, keeping the kind of an I/O error (a closed pipe stays one).
pub(crate) fn write_json_value(doc: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(|e| match e.io_error_kind() {
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    })?;
    writeln!(out)
}

/// `1 file`, `2 files`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text for a Markdown table cell: on one line, with what Markdown would read as a table
/// border, emphasis, code or HTML escaped.
pub(crate) fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Inline code in a table cell. Inside a code span only `|` needs escaping (GitHub's tables
/// read `\|` there as `|`); a backtick would end the span, so it is replaced.
pub(crate) fn markdown_code(s: &str) -> String {
    let text: String = s
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", text.replace('|', "\\|"))
}

/// `path:line:column: error: message`, or `path: error: message` without a position.
pub fn input_error_line(e: &InputError) -> String {
    match e.pos {
        Some(p) => format!("{}:{}:{}: error: {}", e.file, p.line, p.column, e.message),
        None => format!("{}: error: {}", e.file, e.message),
    }
}

/// An input that could not be read, in the JSON documents.
#[derive(Serialize)]
pub(crate) struct JsonInputError<'a> {
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

pub(crate) fn json_input_errors(errors: &[InputError]) -> Vec<JsonInputError<'_>> {
    errors
        .iter()
        .map(|e| JsonInputError {
            file: &e.file,
            line: e.pos.map(|p| p.line),
            column: e.pos.map(|p| p.column),
            message: &e.message,
        })
        .collect()
}

/// How a command lists a live cluster: the flags `audit` and `fleet` share.
#[derive(clap::Args, Clone, Debug)]
pub struct ListFlags {
    /// Objects per list request (`limit`), as kubectl's --chunk-size.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 500,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub chunk_size: u32,

    /// How long one request to the API server may wait, e.g. `30s` or `2m`; `0` for no limit.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = crate::server::duration::parse
    )]
    pub request_timeout: std::time::Duration,
}

impl ListFlags {
    /// The request timeout, `None` for no limit.
    pub fn timeout(&self) -> Option<std::time::Duration> {
        (!self.request_timeout.is_zero()).then_some(self.request_timeout)
    }
}
