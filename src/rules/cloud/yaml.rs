//! The Go-YAML-compatible reader of the cloud-annotations text: what the agent's YAML step
//! (Go's `yaml.Unmarshal` into `map[string]string`) accepts, read as it reads it. One document
//! holding a flat map of scalar keys to scalar values, no duplicate keys; every problem found.
//! Where Go's YAML and saphyr's differ, [`super::go`] decides before saphyr reads the text.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::super::decision::TextPosition;
use super::super::report::quote;
use super::go::{
    decode_binary, end_marker_first, tab_indentation, tag_holds, unreadable_character,
};

/// One `key: value` entry of the map, with where its key starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudEntry {
    pub key: String,
    pub value: String,
    pub position: TextPosition,
}

/// Why the text is not a YAML map of string to scalar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlProblem {
    pub what: String,
    pub position: Option<TextPosition>,
}

impl YamlProblem {
    /// The problem of a second YAML document, which the agent's YAML ignores.
    pub fn is_second_document(&self) -> bool {
        self.what == SECOND_DOCUMENT
    }
}

const SECOND_DOCUMENT: &str = "holds more than one YAML document ('---'); the agent reads only \
                               the first: put every annotation in one map";

fn pos(span: &Span) -> TextPosition {
    TextPosition {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Where the parser is inside the top-level map.
enum Expect {
    Key,
    Value(String, TextPosition),
    /// The value of a key that was itself a map or list: skipped.
    SkipValue,
}

/// Parses the text as the agent's YAML step would accept it: one document holding a flat map
/// of scalar keys to scalar values, no duplicate keys. Returns every problem found.
///
/// Nearly every real value is a few `key: value` lines; those are read directly
/// (`simple_map`), everything else by the YAML parser. Both give the same answer on every
/// text the direct reading accepts (`simple_map_agrees_with_the_yaml_parser` below).
pub fn parse_yaml(text: &str) -> Result<Vec<CloudEntry>, Vec<YamlProblem>> {
    match simple_map(text) {
        Some(entries) => Ok(entries),
        None => parse_yaml_events(text),
    }
}

/// The common shape, read without a YAML parser: one `key: value` per line, where a key is
/// letters, digits and `._/-` starting with a letter or digit, then `:` and spaces, then a value
/// that is plain (letters, digits and `._/-=+,@:`, starting with a letter or digit, never
/// ending in `:`) or quoted in `"..."` without `\` or `"` inside, or in `'...'` without `'`
/// inside; no indentation, blank line, comment, tab, trailing space, `\r` or repeated key.
/// Anything else returns `None`, and the YAML parser decides. This is the YAML 1.2 meaning of
/// such a text (a block map of scalars), so the two readings agree.
fn simple_map(text: &str) -> Option<Vec<CloudEntry>> {
    // Past this, the byte-by-byte key comparison below would cost more than the parser.
    const MAX_LINES: usize = 64;
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return None;
    }
    let mut entries: Vec<CloudEntry> = Vec::new();
    for (i, line) in body.split('\n').enumerate() {
        if i >= MAX_LINES {
            return None;
        }
        let (key, rest) = line.split_once(':')?;
        let first = key.bytes().next()?;
        if !first.is_ascii_alphanumeric()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
            || is_null(key)
        {
            return None;
        }
        let value = rest.strip_prefix(' ')?.trim_start_matches(' ');
        let value = simple_value(value)?;
        if entries.iter().any(|e| e.key == key) {
            return None;
        }
        entries.push(CloudEntry {
            key: key.to_owned(),
            value: value.to_owned(),
            position: TextPosition {
                line: i + 1,
                column: 1,
            },
        });
    }
    Some(entries)
}

/// A value of [`simple_map`]'s shape, unquoted; `None` for anything else.
fn simple_value(v: &str) -> Option<&str> {
    let bytes = v.as_bytes();
    let (&first, &last) = (bytes.first()?, bytes.last()?);
    // Quoted: printable ASCII only (YAML's rules for other characters are left to the parser).
    let printable =
        |s: &str, quote: u8| s.bytes().all(|b| (b' '..=b'~').contains(&b) && b != quote);
    if bytes.len() >= 2 && first == b'"' && last == b'"' {
        let inner = &v[1..v.len() - 1];
        return (printable(inner, b'"') && !inner.contains('\\')).then_some(inner);
    }
    if bytes.len() >= 2 && first == b'\'' && last == b'\'' {
        let inner = &v[1..v.len() - 1];
        return printable(inner, b'\'').then_some(inner);
    }
    let plain = first.is_ascii_alphanumeric()
        && last != b':'
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'.' | b'_' | b'/' | b'-' | b'=' | b'+' | b',' | b'@' | b':'
                )
        });
    // `null` and `~` read as null (the empty string) in YAML: left to the parser.
    (plain && !is_null(v)).then_some(v)
}

/// [`parse_yaml`] by the YAML parser's events: every text, with every problem.
fn parse_yaml_events(text: &str) -> Result<Vec<CloudEntry>, Vec<YamlProblem>> {
    if let Some(problem) = unreadable_character(text)
        .or_else(|| tab_indentation(text))
        .or_else(|| end_marker_first(text))
    {
        return Err(vec![problem]);
    }
    let mut problems = Vec::new();
    let mut entries: Vec<CloudEntry> = Vec::new();
    // Anchored scalars, for aliases (`*name`); anchored collections map to None.
    let mut anchors: HashMap<usize, Option<String>> = HashMap::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();

    // Depth of collections being skipped (a nested value or key).
    let mut depth_skip = 0usize;
    let mut top_seen = false;
    let mut in_top_map = false;
    let mut documents = 0usize;
    // Where the second document starts, until something in a later document is found.
    let mut second_document: Option<TextPosition> = None;
    let mut expect = Expect::Key;

    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(ev) => ev,
            Err(e) => {
                let m = e.marker();
                // An error found at the end of the text (a last line that is no `key: value`)
                // is reported on the line after the last: point at the last line that holds
                // something (not a blank or comment line) instead.
                let lines = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| {
                        let t = l.trim();
                        !t.is_empty() && !t.starts_with('#')
                    })
                    .last()
                    .map_or(1, |(i, _)| i + 1);
                let (line, column) = if m.line() > lines {
                    (lines, 1)
                } else {
                    (m.line(), m.col() + 1)
                };
                problems.push(YamlProblem {
                    what: format!("is not valid YAML: {}", e.info()),
                    position: Some(TextPosition { line, column }),
                });
                return Err(problems);
            }
        };
        if depth_skip > 0 {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => depth_skip += 1,
                Event::MappingEnd | Event::SequenceEnd => depth_skip -= 1,
                _ => {}
            }
            continue;
        }
        let at = pos(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                documents += 1;
                if documents == 2 {
                    second_document = Some(at);
                }
            }
            // The agent's YAML reads the first document only. A later one that holds
            // anything is lost settings; an empty one (a trailing `---`) loses nothing.
            Event::Scalar(value, ScalarStyle::Plain, _, None)
                if documents > 1 && is_null(&value) => {}
            _ if documents > 1 => {
                if let Some(at) = second_document.take() {
                    problems.push(YamlProblem {
                        what: SECOND_DOCUMENT.into(),
                        position: Some(at),
                    });
                }
            }
            Event::MappingStart(..) if !top_seen => {
                top_seen = true;
                in_top_map = true;
            }
            Event::SequenceStart(..) if !top_seen => {
                top_seen = true;
                problems.push(YamlProblem {
                    what: "is a YAML list, not a map; write one `key: value` per line".into(),
                    position: Some(at),
                });
                depth_skip = 1;
            }
            Event::Scalar(value, style, _, _) if !top_seen => {
                top_seen = true;
                if !(style == ScalarStyle::Plain && is_null(&value)) {
                    problems.push(YamlProblem {
                        what: format!(
                            "is a single YAML value ({}), not a map; write one `key: value` per line",
                            quote(&value)
                        ),
                        position: Some(at),
                    });
                }
            }
            Event::MappingEnd => in_top_map = false,
            _ if !in_top_map => {}
            Event::Scalar(raw, style, anchor, tag) => {
                // `!!int`, or written out: `!<tag:yaml.org,2002:int>`.
                let core_tag = tag.as_ref().and_then(|t| {
                    if t.is_yaml_core_schema() {
                        Some(t.suffix.as_str())
                    } else if t.handle.is_empty() {
                        t.suffix.strip_prefix("tag:yaml.org,2002:")
                    } else {
                        None
                    }
                });
                if let Some(name) = core_tag.filter(|name| !tag_holds(name, &raw)) {
                    problems.push(YamlProblem {
                        what: format!(
                            "is not valid YAML for the agent: {} is tagged !!{name}, which Go's \
                             YAML refuses unless the value is one (the guard takes only the plain \
                             forms, such as 42, 4.5, true, 2026-12-01); remove the tag (values \
                             are strings)",
                            quote(&raw)
                        ),
                        position: Some(at),
                    });
                }
                let value = if core_tag == Some("binary") {
                    // Go's YAML decodes a `!!binary` value into the string it holds: the agent
                    // sees the decoded text, so that is what is judged.
                    match decode_binary(&raw) {
                        Ok(text) => text,
                        Err(why) => {
                            problems.push(YamlProblem {
                                what: format!(
                                    "is not valid YAML for the agent: a !!binary value {why}"
                                ),
                                position: Some(at),
                            });
                            String::new()
                        }
                    }
                } else if style == ScalarStyle::Plain && is_null(&raw) {
                    String::new()
                } else {
                    raw.into_owned()
                };
                if anchor > 0 {
                    anchors.insert(anchor, Some(value.clone()));
                }
                expect = take_scalar(
                    expect,
                    value,
                    at,
                    &mut entries,
                    &mut first_line,
                    &mut problems,
                );
            }
            Event::Alias(id) => match anchors.get(&id).cloned().flatten() {
                Some(value) => {
                    expect = take_scalar(
                        expect,
                        value,
                        at,
                        &mut entries,
                        &mut first_line,
                        &mut problems,
                    );
                }
                None => {
                    problems.push(YamlProblem {
                        what: "uses an alias to a map or list; values must be plain strings".into(),
                        position: Some(at),
                    });
                    expect = match expect {
                        Expect::Key => Expect::SkipValue,
                        _ => Expect::Key,
                    };
                }
            },
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                if anchor > 0 {
                    anchors.insert(anchor, None);
                }
                let kind = if matches!(event, Event::MappingStart(..)) {
                    "map"
                } else {
                    "list"
                };
                expect = match expect {
                    Expect::Value(key, _) => {
                        problems.push(YamlProblem {
                            what: format!(
                                "gives {key:?} a nested {kind} as its value; each value must be a \
                                 single string (quote it if it contains ': ' or starts with '[' or '{{')"
                            ),
                            position: Some(at),
                        });
                        Expect::Key
                    }
                    Expect::Key => {
                        problems.push(YamlProblem {
                            what: format!("has a {kind} as a key; keys must be plain strings"),
                            position: Some(at),
                        });
                        Expect::SkipValue
                    }
                    Expect::SkipValue => Expect::Key,
                };
                depth_skip = 1;
            }
            Event::SequenceEnd => {}
        }
    }
    if problems.is_empty() && entries.is_empty() {
        problems.push(YamlProblem {
            what: "is empty: the agent reads no annotation from it, as without the annotation"
                .into(),
            position: None,
        });
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

pub(super) fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn take_scalar(
    expect: Expect,
    value: String,
    at: TextPosition,
    entries: &mut Vec<CloudEntry>,
    first_line: &mut HashMap<String, usize>,
    problems: &mut Vec<YamlProblem>,
) -> Expect {
    match expect {
        Expect::Key => Expect::Value(value, at),
        Expect::SkipValue => Expect::Key,
        Expect::Value(key, key_at) => {
            if let Some(first) = first_line.get(&key) {
                problems.push(YamlProblem {
                    what: format!(
                        "repeats the key {key:?} (first on line {first}); the agent's YAML \
                         parser rejects duplicate keys: keep one"
                    ),
                    position: Some(key_at),
                });
            } else {
                first_line.insert(key.clone(), key_at.line);
                entries.push(CloudEntry {
                    key,
                    value,
                    position: key_at,
                });
            }
            Expect::Key
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lines near the edge of [`simple_map`]'s shape: keys and values from pieces that are
    /// fine, and pieces that YAML reads differently (quotes, escapes, `#`, `: `, null words,
    /// tabs, non-ASCII, indentation, `---`).
    fn near_simple_text() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            4 => "[a-z0-9][a-z0-9._/-]{0,12}",
            1 => "[ -~]{0,6}",
            1 => prop::sample::select(vec!["null", "~", "true", "-a", "? a", "a b", "&x a", "*x", "---", "é.io/x", " a", "\ta", "[a]"]).prop_map(str::to_owned),
        ];
        let sep = prop::sample::select(vec![": ", ":  ", ":", " : ", ":\t", ": \t"]);
        let value = prop_oneof![
            4 => "[a-zA-Z0-9][a-zA-Z0-9._/=+,@:-]{0,16}",
            2 => "\"[ -~]{0,12}\"",
            2 => "'[ -~]{0,12}'",
            1 => "[ -~]{0,10}",
            1 => prop::sample::select(vec!["null", "Null", "~", "a:", "a: b", "a #c", "a # c", "\"a\\nb\"", "'it''s'", "\"é\"", "'\u{85}'", "\"\u{feff}\"", "a ", "[1]", "{a: b}", "|", ">", "&v x", "*v", "!!str x", "a\r", "%x", "@x", "`x"]).prop_map(str::to_owned),
        ];
        let line = (key, sep, value).prop_map(|(k, s, v)| format!("{k}{s}{v}"));
        (
            prop::collection::vec(line, 1..6),
            prop::sample::select(vec!["\n", "\r\n"]),
            any::<bool>(),
            any::<Option<usize>>(),
        )
            .prop_map(|(mut lines, join, trailing, dup)| {
                if let Some(i) = dup {
                    let copy = lines[i % lines.len()].clone();
                    lines.push(copy);
                }
                let mut text = lines.join(join);
                if trailing {
                    text.push('\n');
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn simple_map_agrees_with_the_yaml_parser(text in near_simple_text()) {
            if let Some(entries) = simple_map(&text) {
                prop_assert_eq!(Ok(entries), parse_yaml_events(&text), "text {:?}", text);
            }
        }
    }

    #[test]
    fn simple_map_reads_the_common_shape_and_leaves_the_rest() {
        let text = "service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n\
                    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\n\
                    service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:us-east-1:1:certificate/x\n\
                    a.io/tags: 'team=payments,env=prod'\n";
        let fast = simple_map(text).expect("the common shape is read directly");
        assert_eq!(Ok(fast.clone()), parse_yaml_events(text));
        assert_eq!(fast[3].value, "team=payments,env=prod");
        assert_eq!(fast[2].position, TextPosition { line: 3, column: 1 });
        for other in [
            "a: b\na: c\n",
            "a: null\n",
            "a: \"x\\ty\"\n",
            "a: b # note\n",
            "a: b\n\nc: d\n",
            "  a: b\n",
            "a: b\r\n",
            "a: |\n  x\n",
            "",
            "\n",
        ] {
            assert_eq!(simple_map(other), None, "{other:?}");
        }
    }

    #[test]
    fn yaml_flat_map() {
        let e = parse_yaml(
            "a.io/x: \"nlb\"\nb.io/y: true\nc.io/z: arn:aws:acm:us-east-1:1:certificate/abc\n",
        )
        .unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].value, "true");
        assert_eq!(e[2].value, "arn:aws:acm:us-east-1:1:certificate/abc");
        assert_eq!(e[2].position, TextPosition { line: 3, column: 1 });
    }

    #[test]
    fn yaml_problems() {
        let err = |t: &str| parse_yaml(t).unwrap_err();
        assert!(err("")[0].what.contains("empty"));
        assert!(err("  \n")[0].what.contains("empty"));
        assert!(err("{}")[0].what.contains("empty"));
        assert!(err("a: b\na: c\n")[0].what.contains("repeats"));
        assert!(err("a:\n  b: c\n")[0].what.contains("nested map"));
        assert!(err("a: [1, 2]\n")[0].what.contains("nested list"));
        assert!(err("- a\n- b\n")[0].what.contains("list"));
        assert!(err("just text")[0].what.contains("single YAML value"));
        assert!(err("a: b\n---\nc: d\n")[0].what.contains("more than one"));
        let bad = err("a: \"unterminated\n");
        assert!(bad[0].what.contains("not valid YAML"));
        assert!(bad[0].position.is_some());
        // Two problems found in one pass.
        assert_eq!(err("a: b\na: c\nd:\n  e: f\n").len(), 2);
    }

    /// A parse error found at the end of the text points at the last line, not past it.
    #[test]
    fn an_error_at_the_end_points_at_the_last_line() {
        for text in [
            "a.io/x: b\nc.io/y: d\nbad line\n",
            "a.io/x: b\nc.io/y: d\nbad line",
            "a.io/x: b\nc.io/y: d\nbad line\n\n\n",
            "a.io/x: b\nc.io/y: d\nbad line\n# a comment\n",
        ] {
            let problems = parse_yaml(text).unwrap_err();
            assert_eq!(
                problems[0].position,
                Some(TextPosition { line: 3, column: 1 }),
                "{text:?}: {problems:?}"
            );
        }
    }

    /// The agent's YAML reads the first document: a later one that holds anything is lost,
    /// and refused; an empty one (a trailing `---`, as templates leave) loses nothing, so it
    /// passes.
    #[test]
    fn only_a_later_document_with_something_in_it_is_refused() {
        for good in [
            "a.io/x: nlb\n---\n",
            "a.io/x: nlb\n---\n# nothing here\n",
            "a.io/x: nlb\n---\n~\n",
            "a.io/x: nlb\n---\n---\n",
            "a.io/x: nlb\n...\n---\n",
        ] {
            let e = parse_yaml(good).unwrap_or_else(|p| panic!("{good:?}: {p:?}"));
            assert_eq!(e.len(), 1, "{good:?}");
        }
        for bad in [
            "a.io/x: nlb\n---\nb.io/y: z\n",
            "a.io/x: nlb\n---\n---\nb.io/y: z\n",
            "a.io/x: nlb\n---\n''\n",
            "a.io/x: nlb\n---\n- z\n",
        ] {
            let problems = parse_yaml(bad).unwrap_err();
            assert!(problems[0].is_second_document(), "{bad:?}: {problems:?}");
            assert_eq!(
                problems[0].position,
                Some(TextPosition { line: 2, column: 1 }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn anchors_and_aliases_of_scalars() {
        let e = parse_yaml("a.io/x: &v nlb\nb.io/y: *v\n").unwrap();
        assert_eq!(e[1].value, "nlb");
    }
}
