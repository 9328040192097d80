//! One text into the parts the YAML reader parses, as kubectl's YAMLOrJSONDecoder splits it:
//! a YAML stream whole, a stream of JSON values one part a value, and byte-order marks that
//! start a later document dropped.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use crate::cli::yaml::{Offset, Pos};

/// A piece of a text that the YAML reader parses on its own, and where it starts.
pub(super) struct Part<'a> {
    pub(super) text: Cow<'a, str>,
    pub(super) at: Offset,
}

/// Why a JSON stream is not one, and where.
pub(super) struct JsonError {
    pub(super) pos: Pos,
    pub(super) message: String,
}

/// Splits a text as kubectl's YAMLOrJSONDecoder reads it. A text whose first non-blank
/// character is `{` is a stream of JSON values (`jq -c '.items[]'`, objects back to back), each
/// one a document; after a single JSON value the decoder reads the rest as YAML (so one JSON
/// object, or one followed by `---` and YAML, reads as it always did). Anything else is a YAML
/// stream. JSON is YAML: every part goes to the YAML reader, at its place in the text, so
/// positions stay exact.
pub(super) fn split(text: &str) -> Result<Vec<Part<'_>>, JsonError> {
    let whole = || {
        vec![Part {
            text: without_document_boms(text),
            at: Offset::default(),
        }]
    };
    if !text.trim_start().starts_with('{') {
        return Ok(whole());
    }
    let mut values: Vec<(usize, usize)> = Vec::new();
    // Values are skipped, not built: like kubectl, which keeps each one as raw bytes, a number
    // no float can hold (`1e400`) is no error.
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<IgnoredAny>();
    let failure = loop {
        let from = stream.byte_offset();
        match stream.next() {
            None => break None,
            Some(Ok(IgnoredAny)) => {
                let skipped =
                    text[from..].len() - text[from..].trim_start_matches(JSON_BLANK).len();
                values.push((from + skipped, stream.byte_offset()));
            }
            Some(Err(e)) => break Some((from, e)),
        }
    };
    let mut lines = Lines::new(text);
    match (values.as_slice(), failure) {
        // Not JSON from the start, or one value alone: YAML reads it (JSON is YAML).
        ([], _) | ([_], None) => Ok(whole()),
        // One JSON value, then something else: the decoder reads the rest as YAML, from the
        // end of the value's line (or the first character after it that is not blank).
        (&[(start, end)], Some(_)) => {
            let after = &text[end..];
            let blank = after
                .char_indices()
                .find(|&(_, c)| c == '\n' || !c.is_whitespace())
                .map_or(after.len(), |(i, c)| if c == '\n' { i + 1 } else { i });
            let rest = end + blank;
            Ok(vec![
                Part {
                    text: Cow::Borrowed(&text[start..end]),
                    at: lines.offset_of(start),
                },
                Part {
                    text: without_document_boms(&text[rest..]),
                    at: lines.offset_of(rest),
                },
            ])
        }
        // Two values or more make a JSON stream: what follows must be JSON too.
        (_, Some((from, e))) => Err(json_error(text, from, &e)),
        (values, None) => Ok(values
            .iter()
            .map(|&(start, end)| Part {
                text: Cow::Borrowed(&text[start..end]),
                at: lines.offset_of(start),
            })
            .collect()),
    }
}

/// Whitespace between JSON values.
const JSON_BLANK: [char; 4] = [' ', '\t', '\n', '\r'];

/// A serde_json error at its place in `text`, columns in characters. `from` is where the value
/// that failed starts (blanks before it included).
fn json_error(text: &str, from: usize, e: &serde_json::Error) -> JsonError {
    let message_of = |e: &serde_json::Error| {
        let full = e.to_string();
        full.strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
            .unwrap_or(&full)
            .to_owned()
    };
    // Skipping a value says less than building it (`key must be a string` for what is a
    // trailing comma): when building the same value fails at the same place, its words.
    let mut message = message_of(e);
    if let Some(Err(built)) = serde_json::Deserializer::from_str(&text[from..])
        .into_iter::<serde_json::Value>()
        .next()
    {
        let before = &text[..from];
        let line = before.matches('\n').count() + built.line();
        let column = match built.line() {
            1 => from - before.rfind('\n').map_or(0, |i| i + 1) + built.column(),
            _ => built.column(),
        };
        if (line, column) == (e.line(), e.column()) {
            message = message_of(&built);
        }
    }
    // Cut short: the end of the text.
    if e.is_eof() {
        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
        return JsonError {
            pos: Pos {
                line: text.matches('\n').count() + 1,
                column: text[line_start..].chars().count() + 1,
            },
            message,
        };
    }
    // serde_json counts the column in bytes, up to and including the character it stopped at.
    let line_start = text
        .match_indices('\n')
        .nth(e.line().saturating_sub(2))
        .filter(|_| e.line() > 1)
        .map_or(0, |(i, _)| i + 1);
    let line = &text[line_start..];
    let mut end = e.column().min(line.len());
    while !line.is_char_boundary(end) {
        end += 1;
    }
    JsonError {
        pos: Pos {
            line: e.line().max(1),
            column: line[..end].chars().count().max(1),
        },
        message,
    }
}

/// Counts lines and columns forward through a text, for offsets that only grow (so a stream
/// of many values on one line costs one pass, not one per value).
struct Lines<'a> {
    text: &'a str,
    at: usize,
    offset: Offset,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            at: 0,
            offset: Offset::default(),
        }
    }

    /// Where byte `index` (not before the last one asked for) is: lines before its line, and
    /// characters before it on its line.
    fn offset_of(&mut self, index: usize) -> Offset {
        let between = &self.text[self.at..index];
        match between.rfind('\n') {
            Some(last) => {
                self.offset.lines += between.matches('\n').count();
                self.offset.columns = between[last + 1..].chars().count();
            }
            None => self.offset.columns += between.chars().count(),
        }
        self.at = index;
        self.offset
    }
}

/// The text without the byte-order marks that start a document after a `---` line: kubectl
/// splits a stream at those lines and decodes each part on its own, so a file saved with a
/// BOM and appended to another (`cat a.yaml b.yaml`) reads as it does alone. Removing the
/// mark keeps every line where it is, and columns as an editor shows them.
fn without_document_boms(text: &str) -> Cow<'_, str> {
    const BOM: char = '\u{feff}';
    if !text.contains(BOM) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut after_separator = false;
    for line in text.split_inclusive('\n') {
        let line = match line.strip_prefix(BOM) {
            Some(rest) if after_separator => rest,
            _ => line,
        };
        // kubectl's separator: `---` at the start of a line, then only blanks or a comment.
        after_separator = line
            .strip_prefix("---")
            .map(str::trim)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'));
        out.push_str(line);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::tests::{parse_one, pos};
    use super::super::{Manifest, ReadOptions, parse};
    use crate::cli::yaml::Pos;
    use crate::rules::{Field, keys};

    fn codes(ms: &[Manifest]) -> Vec<(&str, Pos)> {
        ms.iter()
            .map(|m| {
                (
                    m.object.name(),
                    m.positions.of_field(&Field::Label(keys::GLOBAL.into())),
                )
            })
            .collect()
    }

    #[test]
    fn a_json_stream_is_one_document_a_value() {
        let name: Arc<str> = Arc::from("s.json");
        let text = "\n  {\"kind\": \"Service\", \"metadata\": {\"name\": \"a\", \"labels\": {\"traffic.tetrate.io/global\": \"x\"}}}\n\
                    {\"kind\": \"Service\",\n \"metadata\": {\"name\": \"b\", \"labels\": {\"traffic.tetrate.io/global\": \"x\"}}}\
                    {\"kind\": \"Service\", \"metadata\": {\"name\": \"ü\", \"labels\": {\"traffic.tetrate.io/global\": \"x\"}}}\n\
                    [1, 2]\n\
                    {\"kind\": \"ConfigMap\", \"data\": {\"n\": 1e400}}\n\
                    null\n";
        let parsed = parse(&name, 0, text, &ReadOptions::default()).expect("a JSON stream");
        // The list and null are values too; null is no document.
        assert_eq!(parsed.documents, 5);
        assert_eq!(
            codes(&parsed.manifests),
            vec![("a", pos(2, 60)), ("b", pos(4, 39)), ("ü", pos(4, 131))]
        );
        assert_eq!(parsed.manifests[1].positions.start, pos(3, 1));
        assert_eq!(parsed.manifests[2].positions.start, pos(4, 74));
    }

    #[test]
    fn one_json_value_alone_or_then_yaml() {
        let name: Arc<str> = Arc::from("s.json");
        for (text, want) in [
            // A single object, with blank lines around it.
            (
                "\n{\"kind\": \"Service\", \"metadata\": {\"name\": \"a\", \"labels\": {\"traffic.tetrate.io/global\": \"x\"}}}\n\n",
                vec![("a", pos(2, 58))],
            ),
            // One object, then YAML: kubectl reads the rest as YAML after one JSON value, from
            // the first character after it that is not blank, or the next line.
            (
                "{\"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}} # a comment\n---\n\
                 kind: Service\nmetadata:\n  name: b\n  labels:\n    traffic.tetrate.io/global: x\n",
                vec![("a", pos(1, 21)), ("b", pos(7, 5))],
            ),
            (
                "{\"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}}\n\
                 kind: Service\nmetadata:\n  name: b\n  labels:\n    traffic.tetrate.io/global: x\n",
                vec![("a", pos(1, 21)), ("b", pos(6, 5))],
            ),
            // Not JSON at all (YAML flow style): YAML.
            (
                "{kind: Service, metadata: {name: a, labels: {traffic.tetrate.io/global: x}}}\n",
                vec![("a", pos(1, 46))],
            ),
        ] {
            let parsed = parse(&name, 0, text, &ReadOptions::default()).expect(text);
            assert_eq!(codes(&parsed.manifests), want, "{text}");
        }
    }

    #[test]
    fn an_invalid_json_stream_says_where() {
        let name: Arc<str> = Arc::from("s.json");
        let fail = |text: &str| parse(&name, 0, text, &ReadOptions::default()).expect_err(text);
        let err = |text: &str| {
            let e = fail(text);
            assert!(e.message.starts_with("invalid JSON: "), "{}", e.message);
            e.pos.expect("a position")
        };
        assert_eq!(err("{}\n{}\n{\"a\": 1,}\n"), pos(3, 9));
        // In the words of a JSON parser that builds the value, where it stops at the same place.
        assert_eq!(
            fail("{}\n{\"n\": 1e400}\n  {\"a\": [1,]}\n").message,
            "invalid JSON: trailing comma"
        );
        // Columns in characters.
        assert_eq!(err("{}\n{}\n{\"ä\": 1,}\n"), pos(3, 9));
        assert_eq!(err("{}\n{}\n  {\"a\": \n"), pos(4, 1));
        assert_eq!(err("{}{}x"), pos(1, 5));
        assert_eq!(err("{}\n{}\n---\n"), pos(3, 2));
    }

    #[test]
    fn a_byte_order_mark_may_start_a_later_document() {
        let ms = parse_one(
            "kind: Service\nmetadata: {name: a}\n---\n\
             \u{feff}kind: Service\nmetadata: {name: b, labels: {traffic.tetrate.io/global: x}}\n\
             ---   # comment\r\n\
             \u{feff}{kind: Service, metadata: {name: c, labels: {traffic.tetrate.io/global: x}}}\n",
        );
        assert_eq!(codes(&ms)[1..], [("b", pos(5, 30)), ("c", pos(7, 46))]);
        // Anywhere else it is still refused, as in kubectl: inside a document.
        let name: Arc<str> = Arc::from("t.yaml");
        let text = "kind: Service\n\u{feff}metadata: {name: a}\n";
        assert!(parse(&name, 0, text, &ReadOptions::default()).is_err());
    }
}
