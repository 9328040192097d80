//! The `eastwest-gateway-cloud-annotations` annotation: a YAML map of LoadBalancer Service
//! annotations for the gateway (EW007 syntax, EW008 key syntax, EW009 prefixes, EW010 lint).
//!
//! The agent parses it leniently: YAML first (Go's `yaml.Unmarshal` into `map[string]string`);
//! where that fails, `key: value` lines split at the first colon, with surrounding quotes
//! removed from values, skipping lines it cannot split, and an empty map when nothing parses.
//! The guard rejects every text on which YAML fails, and says what the fallback would have made
//! of it, because that is the silent damage: half the settings, or keys with quotes in them.

use std::collections::{BTreeMap, HashMap};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::catalog::{self, Cloud};
use super::decision::{Field, TextPosition};
use super::ids::{Level, RuleId};
use super::keys;
use super::names;
use super::report::{Finding, Report, quote};

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

/// What the agent makes of a text the guard refuses (EW007). Not every refusal is a YAML
/// failure for the agent: an empty text is an empty map, and a second document is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentReading {
    /// YAML succeeds with no annotation (an empty text, `{}`, a null).
    Empty,
    /// YAML reads the first document and ignores the rest, from `second_line` on.
    FirstDocument {
        entries: Vec<CloudEntry>,
        second_line: usize,
    },
    /// YAML fails: the agent's line-by-line fallback.
    Fallback(FallbackResult),
}

/// How the agent reads `text`, given the problems [`parse_yaml`] found in it.
pub fn agent_reading(text: &str, problems: &[YamlProblem]) -> AgentReading {
    // The only problem without a position is "empty": YAML succeeds with no annotation.
    if problems.iter().all(|p| p.position.is_none()) {
        return AgentReading::Empty;
    }
    if let Some(second) = problems
        .iter()
        .find(|p| p.is_second_document())
        .and_then(|p| p.position)
    {
        let first: String = text
            .lines()
            .take(second.line.saturating_sub(1))
            .map(|l| format!("{l}\n"))
            .collect();
        match parse_yaml(&first) {
            Ok(entries) => {
                return AgentReading::FirstDocument {
                    entries,
                    second_line: second.line,
                };
            }
            Err(first_problems) if first_problems.iter().all(|p| p.position.is_none()) => {
                return AgentReading::Empty;
            }
            Err(_) => {}
        }
    }
    AgentReading::Fallback(agent_fallback(text))
}

/// What the agent's line-by-line fallback makes of a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FallbackResult {
    pub map: BTreeMap<String, String>,
    /// 1-based numbers of the non-empty lines it skipped (no colon, or an empty key).
    pub skipped_lines: Vec<usize>,
}

/// The agent's fallback parser: per line, split at the first `:` (so ARNs and URLs keep
/// theirs), trim both sides, remove one pair of surrounding single or double quotes from the
/// value; skip lines without a colon or with an empty key; later keys win.
pub fn agent_fallback(text: &str) -> FallbackResult {
    let mut out = FallbackResult::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(idx) = line.find(':') else {
            out.skipped_lines.push(i + 1);
            continue;
        };
        let key = line[..idx].trim();
        if key.is_empty() {
            out.skipped_lines.push(i + 1);
            continue;
        }
        out.map.insert(
            key.to_owned(),
            strip_quotes(line[idx + 1..].trim()).to_owned(),
        );
    }
    out
}

fn strip_quotes(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

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
/// ([`simple_map`]), everything else by the YAML parser. Both give the same answer on every
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
            what: "is empty; remove the annotation, or give at least one `key: value`".into(),
            position: None,
        });
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// The first character Go's YAML cannot read as YAML 1.1 reads it. Its reader refuses every
/// character outside `#x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF]` ("control characters are not allowed"), wherever it stands, quoted or
/// in a comment; saphyr accepts most of them. NEL, LS and PS (U+0085, U+2028, U+2029) are line
/// breaks to YAML 1.1 (Go's) and text to YAML 1.2 (saphyr's), so they are refused too: the two
/// would read the text differently.
fn unreadable_character(text: &str) -> Option<YamlProblem> {
    let refused = |c: char| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{84}'
            | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
    };
    let line_break = |c: char| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
    for (i, line) in text.split('\n').enumerate() {
        let Some((column, c)) = line
            .chars()
            .enumerate()
            .find(|&(_, c)| refused(c) || line_break(c))
        else {
            continue;
        };
        let what = if line_break(c) {
            format!(
                "is not valid YAML for the agent: the character U+{:04X}, a line break to Go's \
                 YAML parser (YAML 1.1) and not to YAML 1.2 readers; remove it or use a real \
                 line break",
                u32::from(c)
            )
        } else {
            format!(
                "is not valid YAML for the agent: the control character U+{:04X}, which Go's \
                 YAML parser refuses anywhere in the text (even quoted); remove it",
                u32::from(c)
            )
        };
        return Some(YamlProblem {
            what,
            position: Some(TextPosition {
                line: i + 1,
                column: column + 1,
            }),
        });
    }
    None
}

/// A tab in a line's indentation. Go's YAML (a port of libyaml) fails on a tab wherever it
/// reads indentation: before a key or a comment, at the start of a plain value's next line or
/// of a blank line, in a block scalar's indentation. saphyr accepts some of those (a key after
/// a tab), so the guard refuses a tab in the indentation of any line outside a block scalar's
/// text; inside one, only a tab before the scalar's indentation (after it, a tab is text). That
/// also refuses a quoted value or a flow map continued on a tab-indented line, which Go's YAML
/// reads; indenting with spaces fixes every case. Only the first document is looked at: Go's
/// YAML reads no further (a second document that holds anything is an EW007 of its own).
fn tab_indentation(text: &str) -> Option<YamlProblem> {
    let problem = |line: usize, column: usize| YamlProblem {
        what: "is not valid YAML for the agent: a tab in the indentation, which Go's YAML \
               parser refuses; indent with spaces"
            .into(),
        position: Some(TextPosition { line, column }),
    };
    let mut seen_content = false;
    // In a block scalar (`key: |`): its key's indentation, and its text's once known.
    let mut block: Option<(usize, Option<usize>)> = None;
    for (i, line) in text.split('\n').enumerate() {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let after_spaces = &line[spaces..];
        if let Some((parent, text_indent)) = block {
            let blank = after_spaces.is_empty() || after_spaces == "\r";
            match text_indent {
                _ if blank => continue,
                Some(n) if spaces >= n => continue,
                None if spaces > parent && !after_spaces.starts_with('\t') => {
                    block = Some((parent, Some(spaces)));
                    continue;
                }
                _ if after_spaces.starts_with('\t') => return Some(problem(i + 1, spaces + 1)),
                // Less indented: the scalar has ended, and this line is read as any other.
                _ => block = None,
            }
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return Some(problem(i + 1, tab + 1));
        }
        let content = &line[indent..];
        if is_marker(content, "---") && seen_content && indent == 0 {
            return None;
        }
        if !(content.is_empty() || content.starts_with('#') || content == "\r") {
            seen_content = true;
        }
        if let Some(increment) = block_scalar_start(content) {
            block = Some((indent, increment.map(|n| indent + n)));
        }
    }
    None
}

/// Whether `line` is the document marker `marker` (`---` or `...`), alone or followed by
/// whitespace.
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// For a `key: |` (or `>`) line, the block scalar's explicit indentation if it gives one
/// (`|2`); `None` when the line starts no block scalar. Conservative: a key that itself holds
/// a `:` is not recognised, and the lines after it are then checked as any other (stricter,
/// never laxer, than Go's YAML).
fn block_scalar_start(content: &str) -> Option<Option<usize>> {
    if content.starts_with('#') {
        return None;
    }
    let (_, value) = content.split_once(':')?;
    let mut value = value.trim_start_matches([' ', '\t']);
    // Properties before the indicator: a tag (`!!str`) or an anchor (`&a`).
    while value.starts_with(['!', '&']) {
        let end = value.find([' ', '\t'])?;
        value = value[end..].trim_start_matches([' ', '\t']);
    }
    let rest = value.strip_prefix(['|', '>'])?;
    let header_end = rest.find([' ', '\t', '\r']).unwrap_or(rest.len());
    let (header, tail) = rest.split_at(header_end);
    let tail = tail.trim_start_matches([' ', '\t', '\r']);
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    let mut increment = None;
    for b in header.bytes() {
        match b {
            b'+' | b'-' => {}
            b'1'..=b'9' if increment.is_none() => increment = Some(usize::from(b - b'0')),
            _ => return None,
        }
    }
    Some(increment)
}

/// A document end marker (`...`) before any content. Go's YAML (as libyaml) expects the first
/// document's content there and fails; saphyr reads an empty document and goes on.
fn end_marker_first(text: &str) -> Option<YamlProblem> {
    let (i, line) = text.split('\n').enumerate().find(|(_, line)| {
        let content = line.trim_start_matches([' ', '\t']);
        !(content.is_empty() || content.starts_with('#'))
    })?;
    is_marker(line, "...").then(|| YamlProblem {
        what: "is not valid YAML for the agent: it starts with the document end marker '...' \
               (Go's YAML parser expects the map first); remove that line"
            .into(),
        position: Some(TextPosition {
            line: i + 1,
            column: 1,
        }),
    })
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Whether a scalar with the explicit core tag `!!name` is one Go's YAML decodes. It refuses
/// content its tag cannot hold (`!!int nlb`: "cannot decode !!str `nlb` as a !!int"), which
/// sends the agent to its fallback. Checked conservatively, in the forms yaml.v2 (YAML 1.1)
/// and yaml.v3 both read: a decimal integer without leading zeros that fits 64 bits, a finite
/// decimal float or `.inf`/`.nan`, `true`/`false`, a null, a `YYYY-MM-DD` date of the calendar.
/// (Go also reads `0x1F`, `1_000` or a date with a time under those tags: refused here, a
/// stricter reading.) `!!binary` is decoded separately; `!!str` and tags Go does not resolve
/// leave the text as it is.
fn tag_holds(name: &str, raw: &str) -> bool {
    fn digits(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
    }
    let unsigned = |s: &str| s.strip_prefix(['-', '+']).unwrap_or(s).to_owned();
    match name {
        "int" => {
            let n = unsigned(raw);
            digits(&n)
                && (n == "0" || !n.starts_with('0'))
                && (raw.parse::<i64>().is_ok()
                    || raw.trim_start_matches('+').parse::<u64>().is_ok())
        }
        "float" => {
            let n = unsigned(raw);
            if matches!(n.as_str(), ".inf" | ".Inf" | ".INF")
                || matches!(raw, ".nan" | ".NaN" | ".NAN")
            {
                return true;
            }
            let (mantissa, exponent) = match n.split_once(['e', 'E']) {
                Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
                None => (n.as_str(), None),
            };
            let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            (digits(whole) || (whole.is_empty() && digits(fraction)))
                && (fraction.is_empty() || digits(fraction))
                && exponent.is_none_or(digits)
                && raw.parse::<f64>().is_ok_and(f64::is_finite)
        }
        "null" => is_null(raw),
        "bool" => matches!(raw, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"),
        "timestamp" => {
            let b = raw.as_bytes();
            b.len() == 10
                && b.iter().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        *c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                })
                && raw.parse::<jiff::civil::Date>().is_ok()
        }
        _ => true,
    }
}

/// A `!!binary` scalar's value as Go's YAML decodes it: `base64.StdEncoding`, which skips
/// line breaks (`\r`, `\n`) and nothing else, wants the padding and ignores the unused bits of
/// the last character. The bytes go into a Go string as they are; they are shown here with any
/// that are not UTF-8 replaced, as JSON would write them.
fn decode_binary(raw: &str) -> Result<String, &'static str> {
    use base64::Engine as _;
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    const GO_STD_ENCODING: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let compact: String = raw.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = GO_STD_ENCODING
        .decode(compact)
        .map_err(|_| "that is not base64")?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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

/// Whether the text passes EW007..EW009 (the deny rules; EW010 only warns).
pub(crate) fn is_valid(text: &str, config: &super::Config) -> bool {
    parse_yaml(text).is_ok_and(|entries| {
        entries
            .iter()
            .all(|e| names::qualified_name(&e.key).is_ok() && has_supported_prefix(&e.key, config))
    })
}

/// Whether a cloud annotation key is under one of the supported prefixes (EW009).
fn has_supported_prefix(key: &str, config: &super::Config) -> bool {
    config
        .cloud_annotation_prefixes
        .iter()
        .any(|p| key.starts_with(p.as_str()))
}

/// EW007..EW010 on the annotation's text.
pub(crate) fn check(text: &str, config: &super::Config, out: &mut Report<'_>) {
    let field = || Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.to_owned());
    let entries = match parse_yaml(text) {
        Ok(entries) => entries,
        Err(problems) => {
            let reading = describe_reading(text, &problems);
            for p in problems {
                let at = p
                    .position
                    .map(|p| format!(" at line {}, column {}", p.line, p.column))
                    .unwrap_or_default();
                out.push(
                    Finding::new(RuleId::EW007, field(), Some(text))
                        .at(p.position)
                        .message(format!(
                            "annotation {} {}{at}. Expected a YAML map of annotation keys to \
                             string values, one `key: value` per line. {reading}",
                            keys::GATEWAY_CLOUD_ANNOTATIONS,
                            p.what
                        ))
                        .summary(format!("cloud annotations {}{at}", p.what)),
                );
            }
            return;
        }
    };

    let mut clouds: BTreeMap<Cloud, &str> = BTreeMap::new();
    for entry in &entries {
        let key = entry.key.as_str();
        let key_field = || field();
        if let Err(why) = names::qualified_name(key) {
            out.push(
                Finding::new(RuleId::EW008, key_field(), Some(key))
                    .at(Some(entry.position))
                    .message(format!(
                        "cloud annotation key {} (line {}) is not a valid annotation key: it {why}. \
                         Fix the key, e.g. \"service.beta.kubernetes.io/aws-load-balancer-type\"",
                        quote(key),
                        entry.position.line
                    ))
                    .summary(format!("cloud annotation key {} is not a valid annotation key", quote(key))),
            );
            continue;
        }
        if !has_supported_prefix(key, config) {
            out.push(
                Finding::new(RuleId::EW009, key_field(), Some(key))
                    .at(Some(entry.position))
                    .message(format!(
                        "cloud annotation key {} (line {}) is outside the supported prefixes ({}); \
                         the agent ignores it. Use a key under one of those prefixes, or remove it",
                        quote(key),
                        entry.position.line,
                        config.cloud_annotation_prefixes.join(", ")
                    ))
                    .summary(format!(
                        "cloud annotation key {} has an unsupported prefix",
                        quote(key)
                    )),
            );
            continue;
        }
        lint(entry, out);
        if let Some(cloud) = catalog::cloud_of(key).filter(|c| *c != Cloud::Kubernetes) {
            clouds.entry(cloud).or_insert(key);
        }
    }
    if clouds.len() > 1 {
        let list = clouds
            .iter()
            .map(|(c, k)| format!("{} ({k})", c.name()))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Finding::new(RuleId::EW010, field(), None)
                .message(format!(
                    "cloud annotations mix keys of more than one cloud: {list}. A gateway runs on \
                     one cloud; keep that cloud's keys and remove the others"
                ))
                .summary(format!(
                    "cloud annotations mix clouds ({}); keep one cloud's keys",
                    clouds
                        .keys()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
        );
    }
}

/// EW010 for one entry under a supported prefix.
fn lint(entry: &CloudEntry, out: &mut Report<'_>) {
    let key = entry.key.as_str();
    let field = || Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.to_owned());
    match catalog::lookup(key) {
        None => {
            // Only keys under a catalogued cloud are linted; a custom prefix is the operator's.
            let Some(cloud) = catalog::cloud_of(key) else {
                return;
            };
            // Past the cap the finding is only counted: skip the nearest-key search.
            if out.is_full(RuleId::EW010, Level::Warn) {
                out.push(Finding::counted(RuleId::EW010, field()).level(Level::Warn));
                return;
            }
            let hint = match catalog::nearest_documented(key) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => "check the key against the provider's documentation".to_owned(),
            };
            out.push(
                Finding::new(RuleId::EW010, field(), Some(key))
                    .level(Level::Warn)
                    .at(Some(entry.position))
                    .message(format!(
                        "cloud annotation key {} (line {}) is not one {} documents for \
                         LoadBalancer Services, so the load balancer will ignore it: {hint}",
                        quote(key),
                        entry.position.line,
                        cloud.name()
                    ))
                    .summary(format!(
                        "undocumented cloud annotation {}: {hint}",
                        quote(key)
                    )),
            );
        }
        Some(doc) => {
            if let Some(by) = doc.replaced_by {
                out.push(
                    Finding::new(RuleId::EW010, field(), Some(key))
                        .at(Some(entry.position))
                        .message(format!(
                            "cloud annotation key {} (line {}) is deprecated: use \"{by}\" instead",
                            quote(key),
                            entry.position.line
                        ))
                        .summary(format!("{} is deprecated: use {by}", quote(key))),
                );
            }
            if !doc.values.accepts(&entry.value) {
                out.push(
                    Finding::new(RuleId::EW010, field(), Some(&entry.value))
                        .at(Some(entry.position))
                        .message(format!(
                            "cloud annotation {} (line {}) has the value {}, which {} does not \
                             document; expected {}",
                            quote(key),
                            entry.position.line,
                            quote(&entry.value),
                            doc.cloud.name(),
                            doc.values.describe()
                        ))
                        .summary(format!(
                            "{} = {}: expected {}",
                            key.rsplit('/').next().unwrap_or(key),
                            quote(&entry.value),
                            doc.values.describe()
                        )),
                );
            } else if entry.value.is_empty() {
                // `key:` with nothing after it: YAML's null, which the agent writes as an
                // empty annotation; almost always a value that was forgotten (a review found it
                // passing silently where a key with listed values warned).
                out.push(
                    Finding::new(RuleId::EW010, field(), Some(""))
                        .at(Some(entry.position))
                        .message(format!(
                            "cloud annotation {} (line {}) has no value, so the gateway Service \
                             gets it as an empty annotation: give it the value {} documents, \
                             or remove the line",
                            quote(key),
                            entry.position.line,
                            doc.cloud.name()
                        ))
                        .summary(format!(
                            "{} has no value",
                            key.rsplit('/').next().unwrap_or(key)
                        )),
                );
            }
        }
    }
}

/// "The agent's fallback would see …" for an EW007 message.
/// What the agent would make of a text the guard refuses, in a sentence for the EW007 message.
fn describe_reading(text: &str, problems: &[YamlProblem]) -> String {
    const SHOWN: usize = 10;
    let listed = |pairs: &mut dyn ExactSizeIterator<Item = (&str, &str)>| {
        let more = pairs.len().saturating_sub(SHOWN);
        let mut shown: Vec<String> = pairs
            .take(SHOWN)
            .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
            .collect();
        if more > 0 {
            shown.push(format!("and {more} more"));
        }
        shown.join(", ")
    };
    match agent_reading(text, problems) {
        AgentReading::Empty => {
            "The agent's YAML would read no annotation at all, and the gateway would get none"
                .to_owned()
        }
        AgentReading::FirstDocument {
            entries,
            second_line,
        } => {
            let mut pairs = entries.iter().map(|e| (e.key.as_str(), e.value.as_str()));
            format!(
                "The agent's YAML would silently use {{{}}} and ignore everything from line \
                 {second_line} on",
                listed(&mut pairs)
            )
        }
        AgentReading::Fallback(fb) => {
            let skipped = if fb.skipped_lines.is_empty() {
                String::new()
            } else {
                let lines: Vec<String> = fb.skipped_lines.iter().map(|l| l.to_string()).collect();
                format!(
                    ", skipping line{} {}",
                    if fb.skipped_lines.len() == 1 { "" } else { "s" },
                    lines.join(", ")
                )
            };
            if fb.map.is_empty() {
                format!(
                    "The agent's line-by-line fallback would find no annotation at all{skipped}, \
                     and the gateway would get none"
                )
            } else {
                let mut pairs = fb.map.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                format!(
                    "The agent's line-by-line fallback would silently use {{{}}}{skipped}",
                    listed(&mut pairs)
                )
            }
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
    fn fallback_splits_at_first_colon_and_strips_quotes() {
        let fb = agent_fallback(
            "service.beta.kubernetes.io/aws-load-balancer-ssl-cert: \"arn:aws:acm:us-east-1:123:certificate/x\"\n\
             bad line\n\
             \n\
             k2: 'v2'\n\
             :novalue\n",
        );
        assert_eq!(
            fb.map
                .get("service.beta.kubernetes.io/aws-load-balancer-ssl-cert")
                .map(String::as_str),
            Some("arn:aws:acm:us-east-1:123:certificate/x")
        );
        assert_eq!(fb.map.get("k2").map(String::as_str), Some("v2"));
        assert_eq!(fb.skipped_lines, vec![2, 5]);
        assert!(agent_fallback("nothing here\nat all").map.is_empty());
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

    /// Go's YAML reader refuses control characters wherever they stand; saphyr read these
    /// (found by a black-box review: a BEL in a certificate ARN went through, and the agent's
    /// fallback would have set the certificate to `|`).
    #[test]
    fn control_characters_and_yaml_1_1_line_breaks_are_refused() {
        for (text, line, column, code) in [
            (
                "service.beta.kubernetes.io/aws-load-balancer-ssl-cert: |\n  arn:aws:acm:1:certificate/abc\u{7}\n",
                2,
                32,
                "U+0007",
            ),
            ("a: \"x\u{1}y\"\n", 1, 6, "U+0001"),
            ("a: b # \u{1b}[31m\n", 1, 8, "U+001B"),
            ("a: b\nc: 'd\u{7f}'\n", 2, 6, "U+007F"),
            ("a: b\u{9f}\n", 1, 5, "U+009F"),
            ("a: \u{fffe}\n", 1, 4, "U+FFFE"),
            ("a: x\u{85}y\n", 1, 5, "U+0085"),
            ("a: x\u{2028}y\n", 1, 5, "U+2028"),
        ] {
            let problems = parse_yaml(text).unwrap_err();
            assert_eq!(problems.len(), 1, "{text:?}: {problems:?}");
            assert!(
                problems[0].what.contains(code),
                "{text:?}: {}",
                problems[0].what
            );
            assert_eq!(
                problems[0].position,
                Some(TextPosition { line, column }),
                "{text:?}"
            );
        }
        // What YAML allows stays allowed: tab inside a quoted value, CR LF, NBSP, emoji.
        for text in [
            "a: \"x\ty\"\n",
            "a: b\r\nc: d\r\n",
            "a: x\u{a0}y\n",
            "a: \"\u{1f600}\"\n",
        ] {
            assert!(parse_yaml(text).is_ok(), "{text:?}");
        }
    }

    /// Go's YAML decodes `!!binary` into the text it holds; that text is what the agent
    /// sees (a review found EW010 judging the base64 instead).
    #[test]
    fn binary_values_are_read_decoded() {
        let e = parse_yaml("service.beta.kubernetes.io/aws-load-balancer-type: !!binary bmxi\n")
            .unwrap();
        assert_eq!(e[0].value, "nlb");
        let e = parse_yaml("a.io/x: !!binary |\n  bm\n  xi\n").unwrap();
        assert_eq!(e[0].value, "nlb");
        // Go's decoder ignores the unused bits of the last character ("bmx=" is "nl").
        let e = parse_yaml("a.io/x: !!binary \"bmx=\"\n").unwrap();
        assert_eq!(e[0].value, "nl");
        // It skips line breaks, not spaces: a space inside is not base64 to Go.
        for bad in [
            "a.io/x: !!binary not-base64!\n",
            "a.io/x: !!binary \"bm xi\"\n",
            "a.io/x: !!binary bm\n  xi\n",
        ] {
            let problems = parse_yaml(bad).unwrap_err();
            assert!(
                problems[0].what.contains("!!binary"),
                "{bad:?}: {problems:?}"
            );
        }
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
    /// and refused; an empty one (a trailing `---`, as templates leave) loses nothing (a review
    /// found it refused with "put every annotation in one map").
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

    /// Go's YAML refuses a scalar its explicit core tag cannot hold, so the agent falls back
    /// to reading lines (and gets `"!!int nlb"`): a review found these passing.
    #[test]
    fn core_tags_that_cannot_hold_their_value_are_refused() {
        for bad in [
            "a.io/x: !!int nlb\n",
            "a.io/x: !!int \"nlb\"\n",
            "a.io/x: !!int 4.5\n",
            "a.io/x: !!bool internal\n",
            "a.io/x: !!float nlb\n",
            "a.io/x: !!timestamp nlb\n",
            "a.io/x: !!timestamp 2026-13-45\n",
            "a.io/x: !!timestamp 2026-02-30\n",
            "a.io/x: !!int 99999999999999999999\n",
            "a.io/x: !!float 1e400\n",
            "a.io/x: !!null nlb\n",
            "a.io/x: !<tag:yaml.org,2002:int> nlb\n",
            "!!int a.io/x: nlb\n",
            "a.io/x: ok\nb.io/y: !!int nlb\n",
        ] {
            let problems = parse_yaml(bad).unwrap_err();
            assert!(
                problems[0].what.contains("which Go's YAML refuses"),
                "{bad:?}: {problems:?}"
            );
        }
        let problems = parse_yaml("a.io/x: ok\nb.io/y: !!int nlb\n").unwrap_err();
        assert_eq!(
            problems[0].position,
            Some(TextPosition { line: 2, column: 9 })
        );
        // What the tag can hold is read as the text written; other tags leave it alone.
        for (good, value) in [
            ("a.io/x: !!int 42\n", "42"),
            ("a.io/x: !!int -7\n", "-7"),
            ("a.io/x: !!float 42\n", "42"),
            ("a.io/x: !!float 4.5e3\n", "4.5e3"),
            ("a.io/x: !!float .inf\n", ".inf"),
            ("a.io/x: !!bool true\n", "true"),
            ("a.io/x: !!timestamp 2026-12-01\n", "2026-12-01"),
            ("a.io/x: !!str 42\n", "42"),
            (
                "a.io/x: !!int 18446744073709551615\n",
                "18446744073709551615",
            ),
            ("a.io/x: !!timestamp 2028-02-29\n", "2028-02-29"),
            ("a.io/x: !<tag:yaml.org,2002:int> 42\n", "42"),
            ("a.io/x: !local nlb\n", "nlb"),
        ] {
            let e = parse_yaml(good).unwrap_or_else(|p| panic!("{good:?}: {p:?}"));
            assert_eq!(e[0].value, value, "{good:?}");
        }
    }

    #[test]
    fn anchors_and_aliases_of_scalars() {
        let e = parse_yaml("a.io/x: &v nlb\nb.io/y: *v\n").unwrap();
        assert_eq!(e[1].value, "nlb");
    }
}
