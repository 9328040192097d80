//! A YAML stream as a tree of nodes that remember where they were written.
//!
//! Built on `saphyr-parser`'s events (which carry line and column) rather than a loader that
//! drops positions: the CLI has to say on which line of which file a key is. Scalars are
//! resolved the way Kubernetes reads manifests (sigs.k8s.io/yaml, YAML 1.1: `yes`, `on` and `y`
//! are booleans), because that decides whether kubectl accepts a label or annotation value.
//!
//! Aliases share the anchored node (`Rc`), so `*alias` costs nothing however often it is
//! repeated; readers walk only the few paths they need, never a full expansion.

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Collections nested deeper than this are refused: no Kubernetes object comes close, and the
/// tree (and its drop) must stay shallow whatever the input.
pub const MAX_DEPTH: usize = 512;

/// A 1-based line and column (in characters) in a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where a text parsed on its own starts in its file (a part of a JSON stream): positions in
/// the part are moved by this much, so they name the file's lines and columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offset {
    /// Lines of the file before the part's first line.
    pub lines: usize,
    /// Characters before the part on its first line.
    pub columns: usize,
}

impl Offset {
    fn pos(self, marker: &saphyr_parser::Marker) -> Pos {
        let line = marker.line().max(1);
        Pos {
            line: line + self.lines,
            column: marker.col() + 1 + if line == 1 { self.columns } else { 0 },
        }
    }
}

/// One node of a document.
#[derive(Debug)]
pub struct Node {
    pub value: Value,
    /// Where the node starts. For a block scalar (`|`, `>`) this is its first non-blank content
    /// line, at the block's indentation.
    pub start: Pos,
    /// Where it ends (exclusive).
    pub end: Pos,
}

#[derive(Debug)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Rc<Node>>),
    /// Entries in source order; keys may repeat (YAML forbids it, but parsers let it through).
    Map(Vec<(Rc<Node>, Rc<Node>)>),
}

#[derive(Debug)]
pub struct Scalar {
    pub text: String,
    pub style: ScalarStyle,
    /// The suffix of a core-schema tag (`!!str` gives `str`); other tags are ignored.
    pub core_tag: Option<String>,
    /// How many characters the scalar takes in the source, quotes included.
    pub source_chars: usize,
}

/// How Kubernetes' YAML reader types a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Null,
    Bool,
    Number,
    String,
}

impl Scalar {
    /// The type YAML 1.1 (as sigs.k8s.io/yaml reads manifests) gives this scalar.
    pub fn resolve(&self) -> Resolved {
        if self.style != ScalarStyle::Plain {
            return Resolved::String;
        }
        match self.core_tag.as_deref() {
            Some("str") => return Resolved::String,
            Some("null") => return Resolved::Null,
            Some("bool") => return Resolved::Bool,
            Some("int" | "float") => return Resolved::Number,
            _ => {}
        }
        resolve_plain(&self.text)
    }
}

fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => {
            return Resolved::Bool;
        }
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return Resolved::Number,
        _ => {}
    }
    if is_int(s) || is_float(s) {
        Resolved::Number
    } else {
        Resolved::String
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` after removing `_`, as go-yaml v2 tries it.
fn is_int(s: &str) -> bool {
    let s: String = s.chars().filter(|&c| c != '_').collect();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(&s);
    let all = |d: &str, f: fn(char) -> bool| !d.is_empty() && d.chars().all(f);
    if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        all(h, |c| c.is_ascii_hexdigit())
    } else if let Some(o) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        all(o, |c| ('0'..='7').contains(&c))
    } else if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        all(b, |c| c == '0' || c == '1')
    } else if digits.len() > 1 && digits.starts_with('0') {
        all(&digits[1..], |c| ('0'..='7').contains(&c))
    } else {
        all(digits, |c| c.is_ascii_digit())
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - from
    };
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, unless it is a YAML null.
    pub fn as_text(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| s.resolve() != Resolved::Null)
            .map(|s| s.text.as_str())
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar()
            .is_some_and(|s| s.resolve() == Resolved::Null)
    }

    pub fn as_seq(&self) -> Option<&[Rc<Node>]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// The entries of a map with scalar keys, merge keys (`<<: *base`) applied: explicit keys
    /// first, in source order, then merged keys that no explicit key overrides. Keys that are
    /// not scalars are left out. Repeated keys are all returned, in order.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let mut out = Vec::new();
        let mut budget = MERGE_BUDGET;
        self.collect_entries(&mut out, 0, &mut budget);
        out
    }

    fn collect_entries<'a>(&'a self, out: &mut Vec<Entry<'a>>, depth: usize, budget: &mut usize) {
        let Value::Map(pairs) = &self.value else {
            return;
        };
        let mut merges: Vec<&'a Node> = Vec::new();
        for (k, v) in pairs {
            let Some(key) = k.as_scalar() else { continue };
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            if key.text == "<<" && key.style == ScalarStyle::Plain {
                match &v.value {
                    Value::Map(_) => merges.push(v),
                    Value::Seq(items) => merges.extend(items.iter().map(|i| &**i)),
                    Value::Scalar(_) => {}
                }
                continue;
            }
            out.push(Entry {
                key: key.text.as_str(),
                key_node: k,
                value: v,
            });
        }
        if depth >= MAX_MERGE_DEPTH {
            return;
        }
        for m in merges {
            let mut merged = Vec::new();
            m.collect_entries(&mut merged, depth + 1, budget);
            for e in merged {
                let overridden = out.iter().any(|have| have.key == e.key);
                if !overridden {
                    out.push(e);
                }
            }
        }
    }

    /// The value of `key` in a map (the last one when the key repeats, as Kubernetes reads it).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|e| e.value)
    }

    pub fn get_entry(&self, key: &str) -> Option<Entry<'_>> {
        // Cheap path for the common case: an explicit key and no merges.
        if let Value::Map(pairs) = &self.value {
            let has_merge = pairs.iter().any(|(k, _)| {
                k.as_scalar()
                    .is_some_and(|s| s.text == "<<" && s.style == ScalarStyle::Plain)
            });
            if !has_merge {
                return pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
                    .map(|(k, v)| Entry {
                        key: k.as_scalar().map(|s| s.text.as_str()).unwrap_or_default(),
                        key_node: k,
                        value: v,
                    });
            }
        }
        self.entries().into_iter().rev().find(|e| e.key == key)
    }
}

/// How many map entries one `entries()` call may visit through merge keys; bounds the work a
/// hostile chain of merges can cause.
const MERGE_BUDGET: usize = 100_000;
/// How deep merge keys may chain (`<<` of a map that itself has `<<` ...).
const MAX_MERGE_DEPTH: usize = 16;

/// One key and value of a map.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub key: &'a str,
    pub key_node: &'a Node,
    pub value: &'a Node,
}

/// One document of a stream; documents with nothing in them are not returned.
#[derive(Debug)]
pub struct Document {
    pub root: Rc<Node>,
}

/// Why a text is not YAML, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

enum Frame {
    Seq {
        anchor: usize,
        start: Pos,
        items: Vec<Rc<Node>>,
    },
    Map {
        anchor: usize,
        start: Pos,
        entries: Vec<(Rc<Node>, Rc<Node>)>,
        key: Option<Rc<Node>>,
    },
}

/// Parses a YAML stream (one or more documents; JSON is YAML too) into trees. Never panics;
/// the first syntax error ends the parse.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, SyntaxError> {
    let mut documents = Vec::new();
    for_each_document(text, |doc| documents.push(doc))?;
    Ok(documents)
}

/// Like [`parse_stream`], handing each document to `visit` as soon as it is complete, so a
/// large stream never holds more than one tree. Documents before a syntax error have been
/// visited when the error is returned. Returns how many documents were visited.
pub fn for_each_document(text: &str, visit: impl FnMut(Document)) -> Result<usize, SyntaxError> {
    for_each_document_at(text, Offset::default(), visit)
}

/// Like [`for_each_document`], for a text that starts at `offset` in its file: every position
/// (of nodes and of the syntax error) is a position in the file.
pub fn for_each_document_at(
    text: &str,
    offset: Offset,
    mut visit: impl FnMut(Document),
) -> Result<usize, SyntaxError> {
    let pos = |marker: &saphyr_parser::Marker| offset.pos(marker);
    let mut documents = 0;
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Rc<Node>> = HashMap::new();
    let mut root: Option<Rc<Node>> = None;

    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| SyntaxError {
            pos: pos(e.marker()),
            message: e.info().to_owned(),
        })?;
        let complete: Option<(Rc<Node>, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                stack.clear();
                root = None;
                None
            }
            Event::DocumentEnd => {
                if let Some(node) = root.take()
                    && !node.is_null()
                {
                    documents += 1;
                    visit(Document { root: node });
                }
                anchors.clear();
                None
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => Some((Rc::clone(node), 0)),
                // The parser lets these through; Kubernetes' YAML reader refuses them.
                None => {
                    return Err(SyntaxError {
                        pos: pos(&span.start),
                        message: "this alias refers to an anchor of another document (anchors \
                                  do not cross `---`) or to the collection that contains it"
                            .into(),
                    });
                }
            },
            Event::Scalar(text, style, anchor, tag) => {
                let core_tag = tag
                    .filter(|t| t.is_yaml_core_schema())
                    .map(|t| t.suffix.clone());
                Some((
                    Rc::new(Node {
                        value: Value::Scalar(Scalar {
                            text: text.into_owned(),
                            style,
                            core_tag,
                            source_chars: span_chars(&span),
                        }),
                        start: pos(&span.start),
                        end: pos(&span.end),
                    }),
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) => {
                let start = pos(&span.start);
                push_frame(
                    &mut stack,
                    Frame::Seq {
                        anchor,
                        start,
                        items: Vec::new(),
                    },
                    start,
                )?;
                None
            }
            Event::MappingStart(anchor, _) => {
                let start = pos(&span.start);
                push_frame(
                    &mut stack,
                    Frame::Map {
                        anchor,
                        start,
                        entries: Vec::new(),
                        key: None,
                    },
                    start,
                )?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    anchor,
                    start,
                    items,
                }) => Some((
                    Rc::new(Node {
                        value: Value::Seq(items),
                        start,
                        end: pos(&span.end),
                    }),
                    anchor,
                )),
                Some(Frame::Map {
                    anchor,
                    start,
                    entries,
                    ..
                }) => Some((
                    Rc::new(Node {
                        value: Value::Map(entries),
                        start,
                        end: pos(&span.end),
                    }),
                    anchor,
                )),
                None => None,
            },
        };
        let Some((node, anchor)) = complete else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, Rc::clone(&node));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    // A stream cut short without DocumentEnd still has its last document.
    if let Some(node) = root.take()
        && !node.is_null()
    {
        documents += 1;
        visit(Document { root: node });
    }
    Ok(documents)
}

fn push_frame(stack: &mut Vec<Frame>, frame: Frame, at: Pos) -> Result<(), SyntaxError> {
    if stack.len() >= MAX_DEPTH {
        return Err(SyntaxError {
            pos: at,
            message: format!("collections nested more than {MAX_DEPTH} levels deep"),
        });
    }
    stack.push(frame);
    Ok(())
}

fn span_chars(span: &Span) -> usize {
    span.end.index().saturating_sub(span.start.index())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Resolved {
        resolve_plain(text)
    }

    #[test]
    fn resolves_like_kubernetes() {
        for b in ["true", "True", "yes", "on", "Off", "y", "N"] {
            assert_eq!(scalar(b), Resolved::Bool, "{b}");
        }
        for n in [
            "1", "-1", "0x1F", "0o17", "017", "08", "1_000", "1.5", ".5", "1e3", ".inf",
        ] {
            assert_eq!(scalar(n), Resolved::Number, "{n}");
        }
        for s in [
            "truee",
            "1.2.3",
            "0x",
            "1e",
            "app=x",
            "2024-01-01",
            "-",
            ".",
        ] {
            assert_eq!(scalar(s), Resolved::String, "{s}");
        }
        for z in ["", "~", "null"] {
            assert_eq!(scalar(z), Resolved::Null, "{z}");
        }
    }

    #[test]
    fn merge_keys_fill_in_without_overriding() {
        let docs = parse_stream("base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3\n").unwrap();
        let m = docs[0].root.get("m").unwrap();
        let got: Vec<(&str, &str)> = m
            .entries()
            .iter()
            .map(|e| (e.key, e.value.as_text().unwrap()))
            .collect();
        assert_eq!(got, vec![("b", "3"), ("a", "1")]);
        assert_eq!(m.get("a").unwrap().as_text(), Some("1"));
    }

    #[test]
    fn empty_documents_are_dropped() {
        let docs = parse_stream("---\n---\n# only a comment\n---\na: 1\n...\n").unwrap();
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn aliases_stay_in_their_document() {
        assert!(parse_stream("a: &x 1\n---\nb: *x\n").is_err());
        assert!(parse_stream("a: &x [*x]\n").is_err());
        assert!(parse_stream("a: &x 1\nb: *x\n").is_ok());
    }

    #[test]
    fn an_offset_moves_every_position_into_the_file() {
        // A part that starts on line 3, after 4 characters: its first line is shifted right,
        // every line down.
        let at = Offset {
            lines: 2,
            columns: 4,
        };
        let mut roots = Vec::new();
        for_each_document_at("{a: 1,\n b: 2}", at, |doc| roots.push(doc.root)).unwrap();
        let root = &roots[0];
        assert_eq!(root.start, Pos { line: 3, column: 5 });
        assert_eq!(
            root.get_entry("a").unwrap().key_node.start,
            Pos { line: 3, column: 6 }
        );
        assert_eq!(
            root.get_entry("b").unwrap().key_node.start,
            Pos { line: 4, column: 2 }
        );
        let err = for_each_document_at("{a: [}", at, |_| {}).unwrap_err();
        assert_eq!(err.pos.line, 3);
        assert!(err.pos.column > 4, "{err:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "- ".repeat(100_000) + "x";
        let err = parse_stream(&text).unwrap_err();
        assert!(err.message.contains("nested"), "{err:?}");
    }
}
