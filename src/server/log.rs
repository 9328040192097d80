//! Log output: JSON lines (default, for log pipelines) or text (for a terminal). The level
//! comes from `EASTWEST_GUARD_LOG` or `RUST_LOG` (default `info`).
//!
//! Field values come from clients (uids, names, user names, paths, reasons): in both formats
//! each is escaped ([`escape`](super::escape)) and clipped to [`MAX_FIELD_CHARS`], and no line
//! is longer than [`MAX_LINE_BYTES`] (container runtimes split longer lines, which breaks
//! JSON log pipelines).

use std::fmt::{self, Write as _};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

use super::escape::Escaper;

/// A log line's longest length in bytes, its newline included: container runtimes (containerd,
/// CRI-O) split longer lines into several records.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// The characters of a field's value that are shown; the rest is cut (marked `…`).
pub const MAX_FIELD_CHARS: usize = 1024;

/// The characters of each field's value when a line would still be too long with
/// [`MAX_FIELD_CHARS`] (a line with many long fields); the line then says `line_truncated`.
const MAX_FIELD_CHARS_IN_A_LONG_LINE: usize = 64;

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

/// Installs the global subscriber; a second call (tests) keeps the first.
///
/// Lines go to stdout in batches ([`log_batch`](super::log_batch): appended to a buffer by the
/// request, written out by a flusher thread every 50 ms or by the request that fills 256 KiB;
/// no line is dropped). Keep the returned guard until exit: dropping it writes out what is
/// left.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> Option<super::log_batch::Guard> {
    match super::log_batch::init() {
        Ok((writer, guard)) => install(format, writer).then_some(guard),
        Err(e) => {
            eprintln!("eastwest-guard: starting the log writer: {e}; logging to stdout directly");
            install(format, std::io::stdout);
            None
        }
    }
}

/// The log filter when neither EASTWEST_GUARD_LOG nor RUST_LOG is set: info, without kube's
/// client logging every failed call to the API server at error with no context ("failed with
/// error client error (Connect)"): the cluster watch's own warning says which watch failed,
/// and why.
const DEFAULT_FILTER: &str = "info,kube_client::client::builder=off";

/// Installs the subscriber writing to `writer`; false if one was installed already.
fn install<W>(format: LogFormat, writer: W) -> bool
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_env("EASTWEST_GUARD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(writer);
    match format {
        LogFormat::Json => builder.event_format(JsonLine).try_init(),
        LogFormat::Text => builder.fmt_fields(TextFields).try_init(),
    }
    .is_ok()
}

/// One JSON object per event: `timestamp` (RFC 3339, UTC), `level`, then the event's fields in
/// order, `message` first; the line tracing-subscriber's `json().flatten_event(true)` writes
/// without spans (`same_lines_as_tracing_subscribers_json` checks it), written straight into
/// the line buffer. The generic formatter goes through serde and a `String` per `%` field, and
/// cost 13% of the server's instructions per admission request.
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        // The line is put together in a `String` of this thread and handed over whole: each
        // piece written to tracing's `Writer` is a call through `dyn fmt::Write`, about a
        // dozen a field.
        thread_local! {
            static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut line) => {
                line.clear();
                write_line(&mut *line, event, MAX_FIELD_CHARS)?;
                if line.len() > MAX_LINE_BYTES {
                    // Rare (only many long values): again with every value shorter.
                    line.clear();
                    write_line(&mut *line, event, MAX_FIELD_CHARS_IN_A_LONG_LINE)?;
                    if line.len() > MAX_LINE_BYTES {
                        line.clear();
                        write_short_line(&mut *line, event)?;
                    }
                }
                let written = writer.write_str(&line);
                // A rare long line (a long error) does not keep its buffer.
                if line.capacity() > 16 * 1024 {
                    *line = String::new();
                }
                written
            }
            // Only if formatting a line logged another on this thread: write it directly, with
            // values short enough for any line to fit.
            Err(_) => write_line(&mut writer, event, MAX_FIELD_CHARS_IN_A_LONG_LINE),
        })
    }
}

fn write_line<W: fmt::Write>(
    out: &mut W,
    event: &tracing::Event<'_>,
    max_chars: usize,
) -> fmt::Result {
    out.write_str("{\"timestamp\":\"")?;
    write_now(out)?;
    out.write_str("\",\"level\":\"")?;
    out.write_str(event.metadata().level().as_str())?;
    out.write_char('"')?;
    let mut fields = JsonFields {
        out,
        max_chars,
        only_message: false,
        result: Ok(()),
    };
    event.record(&mut fields);
    fields.result?;
    if max_chars < MAX_FIELD_CHARS {
        out.write_str(",\"line_truncated\":true")?;
    }
    out.write_str("}\n")
}

/// The line of an event with so many fields that even short values make it too long: its
/// message only, said to be cut.
fn write_short_line<W: fmt::Write>(out: &mut W, event: &tracing::Event<'_>) -> fmt::Result {
    out.write_str("{\"timestamp\":\"")?;
    write_now(out)?;
    out.write_str("\",\"level\":\"")?;
    out.write_str(event.metadata().level().as_str())?;
    out.write_char('"')?;
    let mut fields = JsonFields {
        out,
        max_chars: MAX_FIELD_CHARS_IN_A_LONG_LINE,
        only_message: true,
        result: Ok(()),
    };
    event.record(&mut fields);
    fields.result?;
    out.write_str(",\"line_truncated\":true}\n")
}

/// Writes the time now as tracing-subscriber's `SystemTime` does (`2026-12-01T09:06:13.103044Z`,
/// UTC, microseconds). The date and time of day are formatted once a second per thread and
/// kept; a line adds only its microseconds. Formatting the whole date on every line was a
/// fifth of a request's log line.
fn write_now<W: fmt::Write>(out: &mut W) -> fmt::Result {
    thread_local! {
        static SECOND: std::cell::RefCell<Second> = const {
            std::cell::RefCell::new(Second { unix: u64::MAX, text: String::new() })
        };
    }
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    SECOND.with(|cell| match cell.try_borrow_mut() {
        Ok(mut second) => second.write(since_epoch, out),
        // Only if writing a line logged another one on this thread: format it afresh.
        Err(_) => Second::default().write(since_epoch, out),
    })
}

/// A whole second since the epoch and its text up to the seconds (`2026-12-01T09:06:13`).
#[derive(Default)]
struct Second {
    unix: u64,
    text: String,
}

impl Second {
    fn write<W: fmt::Write>(
        &mut self,
        since_epoch: std::time::Duration,
        out: &mut W,
    ) -> fmt::Result {
        let unix = since_epoch.as_secs();
        if unix != self.unix || self.text.is_empty() {
            self.text.clear();
            let at = i64::try_from(unix)
                .ok()
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .unwrap_or(jiff::Timestamp::MAX);
            // jiff writes a whole-second timestamp as RFC 3339 in UTC: `...T09:06:13Z`.
            write!(self.text, "{at}")?;
            if self.text.ends_with('Z') {
                self.text.pop();
            }
            self.unix = unix;
        }
        out.write_str(&self.text)?;
        write!(out, ".{:06}Z", since_epoch.subsec_micros())
    }
}

/// Writes each field as `,"name":value`, a string value escaped and clipped to `max_chars`.
struct JsonFields<'w, W: fmt::Write> {
    out: &'w mut W,
    max_chars: usize,
    /// Only the `message` field (a line too long otherwise).
    only_message: bool,
    result: fmt::Result,
}

impl<W: fmt::Write> JsonFields<'_, W> {
    fn key(&mut self, field: &Field) -> bool {
        // Fields tracing-log adds to events from the `log` crate (rustls): not shown, as
        // tracing-subscriber's formatters do not show them either.
        if self.result.is_err()
            || field.name().starts_with("log.")
            || (self.only_message && field.name() != "message")
        {
            return false;
        }
        self.result = self
            .out
            .write_str(",\"")
            .and_then(|()| escape_str(self.out, field.name()))
            .and_then(|()| self.out.write_str("\":"));
        self.result.is_ok()
    }

    fn str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            let max_chars = self.max_chars;
            self.result = self
                .out
                .write_char('"')
                .and_then(|()| Escaper::new(JsonStr(&mut *self.out), max_chars).write_str(value))
                .and_then(|()| self.out.write_char('"'));
        }
    }

    fn string(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.key(field) {
            let max_chars = self.max_chars;
            self.result = self
                .out
                .write_char('"')
                .and_then(|()| Escaper::new(JsonStr(&mut *self.out), max_chars).write_fmt(value))
                .and_then(|()| self.out.write_char('"'));
        }
    }

    fn raw(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.key(field) {
            self.result = self.out.write_fmt(value);
        }
    }
}

impl<W: fmt::Write> Visit for JsonFields<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.str(field, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.string(field, format_args!("{value:?}"));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.string(field, format_args!("{value}"));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.raw(field, format_args!("{value}"));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.raw(field, format_args!("{value}"));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.raw(field, format_args!("{value}"));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.raw(field, format_args!("{value}"));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.raw(field, format_args!("{value}"));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.raw(field, format_args!("{value}"));
        } else {
            // JSON has no NaN or infinity.
            self.raw(field, format_args!("null"));
        }
    }
}

/// Writes what is written through it as the inside of a JSON string.
struct JsonStr<'a, W: ?Sized>(&'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for JsonStr<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_str(self.0, s)
    }
}

/// The text format's fields, as tracing-subscriber's default writes them (the message, then
/// ` name=value`, a string value quoted), each value escaped and clipped as in JSON lines.
pub struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = TextVisitor {
            out: String::new(),
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result?;
        let mut line = visitor.out;
        // The fields of a line, with room left for its timestamp, level and spans.
        const MAX_FIELDS_BYTES: usize = MAX_LINE_BYTES - 1024;
        if line.len() > MAX_FIELDS_BYTES {
            let mut cut = MAX_FIELDS_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str("… line_truncated=true");
        }
        writer.write_str(&line)
    }
}

struct TextVisitor {
    out: String,
    first: bool,
    result: fmt::Result,
}

impl TextVisitor {
    /// Writes the separator and `name=` (nothing for the message); whether to go on.
    fn key(&mut self, field: &Field) -> bool {
        if self.result.is_err() || field.name().starts_with("log.") {
            return false;
        }
        if !self.first {
            self.result = self.out.write_char(' ');
        }
        self.first = false;
        if field.name() != "message" {
            self.result = self
                .result
                .and_then(|()| self.out.write_str(field.name()))
                .and_then(|()| self.out.write_char('='));
        }
        self.result.is_ok()
    }
}

impl Visit for TextVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.key(field) {
            return;
        }
        self.result = if field.name() == "message" {
            Escaper::new(&mut self.out, MAX_FIELD_CHARS).write_str(value)
        } else {
            self.out
                .write_char('"')
                .and_then(|()| {
                    Escaper::new(JsonStr(&mut self.out), MAX_FIELD_CHARS).write_str(value)
                })
                .and_then(|()| self.out.write_char('"'))
        };
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.result =
                Escaper::new(&mut self.out, MAX_FIELD_CHARS).write_fmt(format_args!("{value:?}"));
        }
    }
}

/// Writes `s` as the inside of a JSON string: `"`, `\\` and control characters escaped.
fn escape_str<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    let needs_escape = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    // Nearly every value has nothing to escape: one pass the compiler vectorises.
    if !s.bytes().any(needs_escape) {
        return out.write_str(s);
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        if escaped.is_empty() {
            write!(out, "\\u{b:04x}")?;
        } else {
            out.write_str(escaped)?;
        }
        start = i + 1;
    }
    out.write_str(&s[start..])
}

/// At most `lines` log lines per `every` for one kind of event that a client can cause at
/// will (failed TLS handshakes, refused requests): the log at its default level must say that
/// they happen, but a flood must not fill it. The first line after a quiet spell says how many
/// were left out.
pub struct RateLimit {
    every: Duration,
    lines: u32,
    state: Mutex<RateState>,
}

struct RateState {
    /// When the current period started; `None` before the first line.
    since: Option<Instant>,
    written: u32,
    left_out: u64,
}

impl RateLimit {
    pub const fn new(lines: u32, every: Duration) -> Self {
        RateLimit {
            every,
            lines,
            state: Mutex::new(RateState {
                since: None,
                written: 0,
                left_out: 0,
            }),
        }
    }

    /// Whether to write a line for an event now: `Some(n)` with the number of events left
    /// out since the last line written, or `None` (this one is counted as left out).
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let new_period = state
            .since
            .is_none_or(|since| now.saturating_duration_since(since) >= self.every);
        if new_period {
            state.since = Some(now);
            state.written = 0;
        }
        if state.written < self.lines {
            state.written += 1;
            Some(std::mem::take(&mut state.left_out))
        } else {
            state.left_out += 1;
            None
        }
    }
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
mod json_line_tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::super::escape::escape;
    use super::{JsonLine, MAX_FIELD_CHARS, MAX_LINE_BYTES, Second, write_now};

    #[test]
    fn timestamps_read_as_tracing_subscribers() {
        use std::time::Duration;
        use tracing_subscriber::fmt::format::Writer;
        use tracing_subscriber::fmt::time::{FormatTime, SystemTime};

        let mut second = Second::default();
        let at = |second: &mut Second, secs: u64, micros: u32| {
            let mut out = String::new();
            second
                .write(Duration::new(secs, micros * 1000), &mut out)
                .unwrap();
            out
        };
        // In this order: the same second again is the kept text, the next one is formatted
        // afresh.
        for (secs, micros, want) in [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (951_782_400, 7, "2000-02-29T00:00:00.000007Z"),
            (1_764_581_173, 103_044, "2025-12-01T09:26:13.103044Z"),
            (1_764_581_173, 999_999, "2025-12-01T09:26:13.999999Z"),
            (1_764_581_174, 0, "2025-12-01T09:26:14.000000Z"),
            (4_102_444_799, 1, "2099-12-31T23:59:59.000001Z"),
        ] {
            assert_eq!(at(&mut second, secs, micros), want);
        }
        // And now, as tracing-subscriber writes it (again if a second ends in between).
        let same = (0..5).any(|_| {
            let mut theirs = String::new();
            SystemTime
                .format_time(&mut Writer::new(&mut theirs))
                .unwrap();
            let mut ours = String::new();
            write_now(&mut ours).unwrap();
            ours.len() == theirs.len() && ours[..20] == theirs[..20] && ours.ends_with('Z')
        });
        assert!(same, "timestamps differ from tracing-subscriber's");
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    type Lines = Vec<Map<String, Value>>;

    /// Each line of what `emit` logs through `JsonLine` and through tracing-subscriber's
    /// own JSON formatter (configured as this crate did before `JsonLine`).
    fn both(emit: impl Fn()) -> (Lines, Lines) {
        let ours = Buf::default();
        let theirs = Buf::default();
        let w = ours.clone();
        let sub = tracing_subscriber::fmt()
            .with_target(false)
            .with_ansi(false)
            .with_writer(move || w.clone())
            .event_format(JsonLine)
            .finish();
        tracing::subscriber::with_default(sub, &emit);
        let w = theirs.clone();
        let sub = tracing_subscriber::fmt()
            .with_target(false)
            .with_ansi(false)
            .with_writer(move || w.clone())
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .finish();
        tracing::subscriber::with_default(sub, &emit);
        let lines = |b: Buf| -> Lines {
            let bytes = b.0.lock().map(|v| v.clone()).unwrap_or_default();
            String::from_utf8(bytes)
                .expect("utf-8")
                .lines()
                .map(|l| match serde_json::from_str(l) {
                    Ok(Value::Object(m)) => m,
                    other => panic!("not a JSON object: {l:?}: {other:?}"),
                })
                .collect()
        };
        (lines(ours), lines(theirs))
    }

    /// tracing-subscriber's lines with their string values escaped and clipped as ours are.
    fn escaped(mut lines: Lines) -> Lines {
        for l in &mut lines {
            for v in l.values_mut() {
                if let Value::String(s) = v {
                    *s = escape(s, MAX_FIELD_CHARS).into_owned();
                }
            }
        }
        lines
    }

    fn without_timestamp(mut lines: Lines) -> Lines {
        for l in &mut lines {
            let ts = l.remove("timestamp").expect("timestamp");
            let ts = ts.as_str().expect("timestamp is a string");
            assert!(
                ts.len() >= 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
                "{ts}"
            );
        }
        lines
    }

    #[test]
    fn same_lines_as_tracing_subscribers_json() {
        struct Shown;
        impl std::fmt::Display for Shown {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("EW020:deny,EW022:warn \"quoted\"\n\ttabbed \u{1} é ✓")
            }
        }
        let (ours, theirs) = both(|| {
            tracing::info!(
                endpoint = "validate",
                uid = %"705ab4f5-6393-11e8-b7cc-42010a800002",
                namespace = "",
                dry_run = false,
                rules = %Shown,
                duration_us = 139u64,
                delta = -3i64,
                ratio = 0.25f64,
                "admission review"
            );
            tracing::warn!(error = %"bad \"body\"\\", status = 400u16, "admission request refused");
            tracing::error!(path = ?std::path::Path::new("/tmp/x\"y"), "message with {} args", 2);
            tracing::info!(not_a_number = f64::NAN, "nan");
        });
        assert_eq!(ours.len(), 4);
        let ours = without_timestamp(ours);
        let mut theirs = escaped(without_timestamp(theirs));
        // serde_json writes NaN as null too; both say so the same way.
        assert_eq!(ours[3]["not_a_number"], Value::Null);
        assert_eq!(ours, std::mem::take(&mut theirs));
        assert_eq!(ours[0]["level"], "INFO");
        assert_eq!(ours[0]["message"], "admission review");
        assert_eq!(ours[1]["level"], "WARN");
    }

    /// What a subscriber with `JsonLine` (or, with `text`, the text format and `TextFields`)
    /// writes for `emit`, line by line.
    fn logged(text: bool, emit: impl Fn()) -> Vec<String> {
        let buf = Buf::default();
        let w = buf.clone();
        let builder = tracing_subscriber::fmt()
            .with_target(false)
            .with_ansi(false)
            .with_writer(move || w.clone());
        if text {
            let sub = builder.fmt_fields(super::TextFields).finish();
            tracing::subscriber::with_default(sub, &emit);
        } else {
            let sub = builder.event_format(JsonLine).finish();
            tracing::subscriber::with_default(sub, &emit);
        }
        let bytes = buf.0.lock().map(|v| v.clone()).unwrap_or_default();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A megabyte of client text with controls and bidi characters, in one field and in
    /// twenty: every line escaped, valid JSON, at most 16 KiB.
    #[test]
    fn lines_are_escaped_and_at_most_16_kib() {
        let big = format!(
            "{}\u{1b}[2J\r\0\u{85}\u{2028}\u{202e}",
            "x".repeat(1_000_000)
        );
        let nasty = "\u{1b}[2J\r\0\u{85}\u{9b}\u{2028}\u{202e}\"\\";
        for text in [false, true] {
            let lines = logged(text, || {
                tracing::info!(uid = big.as_str(), user = %big, kind = ?big, "one {}", nasty);
                tracing::warn!(
                    f1 = big.as_str(),
                    f2 = big.as_str(),
                    f3 = big.as_str(),
                    f4 = big.as_str(),
                    f5 = big.as_str(),
                    f6 = big.as_str(),
                    f7 = big.as_str(),
                    f8 = big.as_str(),
                    f9 = big.as_str(),
                    f10 = big.as_str(),
                    f11 = big.as_str(),
                    f12 = big.as_str(),
                    f13 = big.as_str(),
                    f14 = big.as_str(),
                    f15 = big.as_str(),
                    f16 = big.as_str(),
                    f17 = big.as_str(),
                    f18 = big.as_str(),
                    f19 = big.as_str(),
                    f20 = big.as_str(),
                    "twenty"
                );
                tracing::info!(short = nasty, "short");
            });
            assert_eq!(lines.len(), 3, "{lines:?}");
            for line in &lines {
                assert!(line.len() < MAX_LINE_BYTES, "{} bytes", line.len());
                assert!(
                    !line.chars().any(crate::server::escape::needs_escape),
                    "{line:?}"
                );
            }
            assert!(
                lines[2].contains("\\u{1b}[2J") || lines[2].contains("\u{1b}[2J"),
                "{}",
                lines[2]
            );
            if !text {
                for line in &lines {
                    let v: Value = serde_json::from_str(line).unwrap();
                    for value in v.as_object().unwrap().values() {
                        if let Some(s) = value.as_str() {
                            assert!(!s.chars().any(crate::server::escape::needs_escape), "{s:?}");
                            assert!(s.chars().count() <= MAX_FIELD_CHARS + 1);
                        }
                    }
                }
                let twenty: Value = serde_json::from_str(&lines[1]).unwrap();
                assert_eq!(twenty["line_truncated"], true);
                assert_eq!(twenty["message"], "twenty");
                let short: Value = serde_json::from_str(&lines[2]).unwrap();
                assert_eq!(
                    short["short"],
                    "\\u{1b}[2J\\u{d}\\u{0}\\u{85}\\u{9b}\\u{2028}\\u{202e}\"\\"
                );
                assert!(short.get("line_truncated").is_none());
            } else {
                assert!(
                    lines[2].ends_with(
                        r#"short short="\\u{1b}[2J\\u{d}\\u{0}\\u{85}\\u{9b}\\u{2028}\\u{202e}\"\\""#
                    ),
                    "{}",
                    lines[2]
                );
            }
        }
    }

    #[test]
    fn lines_read_in_the_same_order() {
        let buf = Buf::default();
        let w = buf.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || w.clone())
            .event_format(JsonLine)
            .finish();
        tracing::subscriber::with_default(sub, || {
            tracing::info!(
                endpoint = "validate",
                duration_us = 7u64,
                "admission review"
            );
        });
        let text =
            String::from_utf8(buf.0.lock().map(|v| v.clone()).unwrap_or_default()).expect("utf-8");
        assert!(text.starts_with("{\"timestamp\":\""), "{text}");
        assert!(
            text.ends_with(
                "\",\"level\":\"INFO\",\"message\":\"admission review\",\"endpoint\":\"validate\",\"duration_us\":7}\n"
            ),
            "{text}"
        );
    }

    proptest! {
        #[test]
        fn any_value_survives_the_round_trip(value in any::<String>()) {
            let (ours, theirs) = both(|| tracing::info!(value = %value, "v"));
            let shown = escape(&value, MAX_FIELD_CHARS);
            prop_assert_eq!(ours[0]["value"].as_str(), Some(shown.as_ref()));
            prop_assert_eq!(without_timestamp(ours), escaped(without_timestamp(theirs)));
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
    fn a_rate_limit_writes_its_lines_per_period_and_counts_the_rest() {
        use std::time::{Duration, Instant};
        let limit = super::RateLimit::new(3, Duration::from_secs(1));
        let t0 = Instant::now();
        let got: Vec<Option<u64>> = (0..10).map(|_| limit.allow_at(t0)).collect();
        assert_eq!(got[..3], [Some(0), Some(0), Some(0)]);
        assert!(got[3..].iter().all(Option::is_none));
        // The next period's first line says how many were left out.
        let t1 = t0 + Duration::from_millis(1000);
        assert_eq!(limit.allow_at(t1), Some(7));
        assert_eq!(limit.allow_at(t1), Some(0));
    }

    #[test]
    fn long_reasons_are_cut() {
        let long = "x".repeat(10_000);
        let shown = Redacted(&long).to_string();
        assert_eq!(shown.chars().count(), Redacted::MAX_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
