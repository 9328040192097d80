//! Log output: JSON lines (default, for log pipelines) or text (for a terminal). The level
//! comes from `EASTWEST_GUARD_LOG` or `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

/// Installs the global subscriber; a second call (tests) keeps the first.
///
/// Lines go to stdout through a writer thread (`tracing_appender::non_blocking`, which never
/// drops a line: a request waits only when 8,192 lines are queued; the queue is allocated
/// up front, so its length is resident memory) that writes whatever has
/// queued in one system call and flushes when the queue is empty. Under load that is one
/// write per batch instead of one per request on the request's own thread. Keep the returned
/// guard until exit: dropping it writes out what is left.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = EnvFilter::try_from_env("EASTWEST_GUARD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(8 * 1024)
        .thread_name("eastwest-guard-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    installed.ok().map(|()| guard)
}

/// The reason a request was refused, as the log gets it: every value quoted from the body
/// (serde's `string "..."` and `` `...` ``, this crate's `{:?}`) is replaced by its length,
/// so object contents never reach the log; the field names of serde's "missing field `x`" and
/// "duplicate field `x`" stay. The client still gets the whole reason in its 400. At most
/// [`Redacted::MAX_CHARS`] characters.
pub struct Redacted<'a>(pub &'a str);

impl Redacted<'_> {
    pub const MAX_CHARS: usize = 300;
}

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let text = self.0;
        let mut out = String::with_capacity(text.len().min(Self::MAX_CHARS));
        let mut rest = text;
        while let Some(start) = rest.find(['"', '`']) {
            let quote = rest.as_bytes()[start];
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            // The closing quote: the next one not escaped by a backslash.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    c if c == quote as char && !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let Some(end) = end else {
                // Unbalanced: drop the rest rather than risk quoting it.
                let _ = write!(out, "{}({} bytes)", quote as char, after.len());
                rest = "";
                break;
            };
            let quoted = &after[..end];
            let field_name = quote == b'`'
                && (out.ends_with("missing field ") || out.ends_with("duplicate field "));
            if field_name {
                let _ = write!(out, "`{quoted}`");
            } else {
                let _ = write!(out, "{q}({} bytes){q}", quoted.len(), q = quote as char);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        match out.char_indices().nth(Self::MAX_CHARS) {
            Some((cut, _)) => write!(f, "{}…", &out[..cut]),
            None => f.write_str(&out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Redacted;

    #[test]
    fn quoted_values_are_replaced_by_their_length() {
        let cases = [
            (
                "not an AdmissionReview: invalid type: string \"hunter2\", expected ObjectMeta at line 1 column 9",
                "not an AdmissionReview: invalid type: string \"(7 bytes)\", expected ObjectMeta at line 1 column 9",
            ),
            (
                "not an AdmissionReview: unknown variant `s3cret`, expected one of `CREATE`, `UPDATE`",
                "not an AdmissionReview: unknown variant `(6 bytes)`, expected one of `(6 bytes)`, `(6 bytes)`",
            ),
            (
                "kind is \"a \\\"quoted\\\" kind\"; expected \"AdmissionReview\"",
                "kind is \"(17 bytes)\"; expected \"(15 bytes)\"",
            ),
            (
                "not an AdmissionReview: missing field `uid` at line 1 column 2",
                "not an AdmissionReview: missing field `uid` at line 1 column 2",
            ),
            (
                "malformed JSON: EOF while parsing",
                "malformed JSON: EOF while parsing",
            ),
            ("unbalanced \"secret", "unbalanced \"(6 bytes)"),
            (
                "invalid type: integer `42`",
                "invalid type: integer `(2 bytes)`",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Redacted(input).to_string(), want);
        }
    }

    #[test]
    fn long_reasons_are_cut() {
        let long = "x".repeat(10_000);
        let shown = Redacted(&long).to_string();
        assert_eq!(shown.chars().count(), Redacted::MAX_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
