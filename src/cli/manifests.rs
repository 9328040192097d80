//! Reading manifests: files, directories and standard input, multi-document YAML, JSON (one
//! object or a stream of them), `kind: List`, into the Namespaces and Services the rules judge,
//! each with the positions of its keys so every finding can name a file, a line and a column.
//!
//! Shared by `check` and the commands built on it (explain, diff): [`read`] gives an
//! [`Inputs`]; each [`Manifest`] carries its object, its effective namespace and its
//! [`Positions`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::de::IgnoredAny;

use super::yaml::{self, Node, Offset, Pos, Resolved, Value};
use crate::rules::keys;
use crate::rules::{Field, Meta, ObjectView, ResourceKind, SpecView, StrMap, TextPosition};

/// How a path argument names standard input.
pub const STDIN: &str = "-";
/// How findings name standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// What the reader needs to know beyond the text.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The namespace of a Service whose manifest gives none (`kubectl apply -n`).
    pub default_namespace: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            default_namespace: "default".to_owned(),
        }
    }
}

/// Everything read from a set of paths.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The files read, in order (directories expanded and sorted).
    pub files: Vec<Arc<str>>,
    /// Documents that held something (empty ones are not counted).
    pub documents: usize,
    /// The Namespaces and Services, in file and document order.
    pub manifests: Vec<Manifest>,
    /// Paths that could not be read or parsed; their documents are left out.
    pub errors: Vec<InputError>,
}

/// A path that could not be read, or a text that is not YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: Arc<str>,
    pub pos: Option<Pos>,
    pub message: String,
}

/// A Namespace or Service read from the input.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub file: Arc<str>,
    /// Index of `file` in [`Inputs::files`].
    pub file_index: usize,
    pub kind: ResourceKind,
    pub object: ObjectView,
    /// For a Service: its `metadata.namespace`, or the default when it has none or an empty
    /// one (also written into `object.metadata.namespace`, as kube-apiserver does). `None` for
    /// a Namespace.
    pub namespace: Option<String>,
    pub positions: Positions,
    /// What Kubernetes itself would refuse in the `traffic.tetrate.io/` keys (a boolean where a
    /// string must be, a key written twice): the rules never see these as written.
    pub problems: Vec<ManifestProblem>,
}

/// The identity of an object: two manifests with the same key are the same object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
}

impl Manifest {
    /// `None` for an object without a name (`generateName`): each one is a new object.
    pub fn key(&self) -> Option<ObjectKey> {
        let name = self.object.name();
        if name.is_empty() {
            return None;
        }
        Some(ObjectKey {
            kind: match self.kind {
                ResourceKind::Namespace => "Namespace",
                _ => "Service",
            },
            namespace: self.namespace.clone(),
            name: name.to_owned(),
        })
    }
}

/// Something about a `traffic.tetrate.io/` key that Kubernetes would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    pub field: Field,
    pub pos: Pos,
    /// What is wrong and the fix, without the object's name.
    pub message: String,
    /// One short line.
    pub summary: String,
}

/// Where the parts of one object are written.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    /// The start of the object (its document, or its item in a `kind: List`).
    pub start: Pos,
    pub metadata: Option<Pos>,
    pub name: Option<Pos>,
    /// The `labels:` and `annotations:` keys.
    pub labels: Option<Pos>,
    pub annotations: Option<Pos>,
    pub label_keys: HashMap<String, KeyPosition>,
    pub annotation_keys: HashMap<String, KeyPosition>,
    /// The `type:` key under `spec`.
    pub spec_type: Option<Pos>,
}

/// Where a label or annotation is written: its key, and how to find a place inside its value.
#[derive(Clone, Debug)]
pub struct KeyPosition {
    pub key: Pos,
    pub value: ValuePosition,
}

/// Where a scalar value starts, and how its text maps back to the source.
#[derive(Clone, Debug)]
pub struct ValuePosition {
    pub start: Pos,
    layout: Layout,
}

#[derive(Clone, Copy, Debug)]
enum Layout {
    /// One source line; the value's first character is `offset` columns after `start`.
    SingleLine { offset: usize },
    /// A literal block (`|`): value lines are source lines. `start` is the first non-blank
    /// content line, so the value's leading blank lines come before it.
    Literal { leading_blank: usize, lines: usize },
    /// Folded or multi-line flow scalars: lines are joined, only the start is known.
    Start,
}

impl ValuePosition {
    fn of(node: &Node) -> ValuePosition {
        let layout = match node.as_scalar() {
            Some(s) => {
                use saphyr_parser::ScalarStyle as S;
                let one_line = node.start.line == node.end.line;
                match s.style {
                    S::Plain if one_line => Layout::SingleLine { offset: 0 },
                    // The source is exactly the text in quotes: no escapes to shift columns.
                    S::SingleQuoted | S::DoubleQuoted
                        if one_line && s.source_chars == s.text.chars().count() + 2 =>
                    {
                        Layout::SingleLine { offset: 1 }
                    }
                    S::Literal => Layout::Literal {
                        leading_blank: s.text.chars().take_while(|&c| c == '\n').count(),
                        lines: s.text.lines().count(),
                    },
                    _ => Layout::Start,
                }
            }
            None => Layout::Start,
        };
        ValuePosition {
            start: node.start,
            layout,
        }
    }

    /// The source position of a 1-based line and column inside the value's text.
    pub fn locate(&self, at: TextPosition) -> Pos {
        let (line, column) = (at.line.max(1), at.column.max(1));
        match self.layout {
            Layout::SingleLine { offset } if line == 1 => Pos {
                line: self.start.line,
                column: self.start.column + offset + column - 1,
            },
            // Past the last line (a parser reporting the end of the text): the last line.
            Layout::Literal {
                leading_blank,
                lines,
            } if line > lines && lines > leading_blank => Pos {
                line: self.start.line + (lines - 1 - leading_blank),
                column: self.start.column,
            },
            Layout::Literal { leading_blank, .. } if line > leading_blank => Pos {
                line: self.start.line + (line - 1 - leading_blank),
                column: self.start.column + column - 1,
            },
            _ => self.start,
        }
    }
}

impl Positions {
    /// The position of a field the rules name, falling back to its map, then to `metadata:`,
    /// then to the start of the object.
    pub fn of_field(&self, field: &Field) -> Pos {
        let fallback = |map: Option<Pos>| map.or(self.metadata).unwrap_or(self.start);
        match field {
            Field::Annotation(k) => self
                .annotation_keys
                .get(k)
                .map(|p| p.key)
                .unwrap_or_else(|| fallback(self.annotations)),
            Field::Label(k) => self
                .label_keys
                .get(k)
                .map(|p| p.key)
                .unwrap_or_else(|| fallback(self.labels)),
            Field::SpecType => self.spec_type.unwrap_or(self.start),
        }
    }

    /// The position of a finding: inside the value when the rule says where (a line of the
    /// cloud-annotations YAML), else the field's key.
    pub fn locate(&self, field: &Field, in_value: Option<TextPosition>) -> Pos {
        let key = match field {
            Field::Annotation(k) => self.annotation_keys.get(k),
            Field::Label(k) => self.label_keys.get(k),
            Field::SpecType => None,
        };
        match (key, in_value) {
            (Some(kp), Some(at)) => kp.value.locate(at),
            _ => self.of_field(field),
        }
    }
}

/// Reads every path: files as given (any extension), directories recursively (`.yaml`, `.yml`,
/// `.json`, sorted by name, hidden entries skipped), and `-` as standard input; a file reached
/// twice is read once. Never stops at the first bad path: every error is collected in
/// [`Inputs::errors`].
pub fn read(paths: &[PathBuf], options: &ReadOptions) -> Inputs {
    let mut inputs = Inputs::default();
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == STDIN {
            files.push(Source::Stdin);
            continue;
        }
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                let mut visited = HashSet::new();
                walk(path, &mut files, &mut inputs.errors, &mut visited);
                if files.len() == before {
                    inputs.errors.push(InputError {
                        file: display(path),
                        pos: None,
                        message: "no .yaml, .yml or .json file in this directory".into(),
                    });
                }
            }
            Ok(_) => files.push(Source::File(path.clone())),
            Err(e) => inputs.errors.push(InputError {
                file: display(path),
                pos: None,
                message: format!("cannot read: {}", io_reason(&e)),
            }),
        }
    }
    // A file named twice (`check manifests/ manifests/payments.yaml`) is read once: its
    // objects are not duplicates of themselves.
    let mut seen_files = HashSet::new();
    files.retain(|source| match source {
        Source::Stdin => true,
        Source::File(path) => seen_files.insert(fs::canonicalize(path).unwrap_or(path.clone())),
    });
    for source in files {
        let (name, text) = match source {
            Source::Stdin => {
                let mut bytes = Vec::new();
                let name: Arc<str> = Arc::from(STDIN_NAME);
                match std::io::stdin().lock().read_to_end(&mut bytes) {
                    Ok(_) => (name.clone(), decode(&name, bytes)),
                    Err(e) => (
                        name.clone(),
                        Err(InputError {
                            file: name,
                            pos: None,
                            message: format!("cannot read standard input: {}", io_reason(&e)),
                        }),
                    ),
                }
            }
            Source::File(path) => {
                let name = display(&path);
                match fs::read(&path) {
                    Ok(bytes) => (name.clone(), decode(&name, bytes)),
                    Err(e) => (
                        name.clone(),
                        Err(InputError {
                            file: name,
                            pos: None,
                            message: format!("cannot read: {}", io_reason(&e)),
                        }),
                    ),
                }
            }
        };
        let parsed = text.and_then(|text| parse(&name, inputs.files.len(), &text, options));
        inputs.files.push(name);
        match parsed {
            Ok(p) => {
                inputs.documents += p.documents;
                inputs.manifests.extend(p.manifests);
            }
            Err(e) => inputs.errors.push(e),
        }
    }
    inputs
}

enum Source {
    Stdin,
    File(PathBuf),
}

fn display(path: &Path) -> Arc<str> {
    Arc::from(path.display().to_string())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn is_manifest_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Collects manifest files under `dir`, sorted by name at each level. Hidden entries (`.git`,
/// `.github`) are skipped; a directory reached twice through symbolic links is read once.
fn walk(
    dir: &Path,
    files: &mut Vec<Source>,
    errors: &mut Vec<InputError>,
    visited: &mut HashSet<PathBuf>,
) {
    let real = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(real) {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError {
                file: display(dir),
                pos: None,
                message: format!("cannot read directory: {}", io_reason(&e)),
            });
            return;
        }
    };
    let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, files, errors, visited),
            Ok(_) if is_manifest_file(&path) => files.push(Source::File(path)),
            Ok(_) => {}
            // A dangling symbolic link that looks like a manifest is worth a word.
            Err(e) if is_manifest_file(&path) => errors.push(InputError {
                file: display(&path),
                pos: None,
                message: format!("cannot read: {}", io_reason(&e)),
            }),
            Err(_) => {}
        }
    }
}

fn decode(name: &Arc<str>, mut bytes: Vec<u8>) -> Result<String, InputError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        InputError {
            file: name.clone(),
            pos: Some(Pos {
                line,
                column: before.iter().rev().take_while(|&&b| b != b'\n').count() + 1,
            }),
            message: "not UTF-8 text: manifests must be UTF-8 (as kubectl reads them)".into(),
        }
    })
}

/// What one text holds.
#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: usize,
    pub manifests: Vec<Manifest>,
}

/// Parses one text (a file or standard input) named `file`. A syntax error anywhere fails the
/// whole text, as `kubectl apply -f` fails the whole file.
pub fn parse(
    file: &Arc<str>,
    file_index: usize,
    text: &str,
    options: &ReadOptions,
) -> Result<Parsed, InputError> {
    let reader = Reader {
        file,
        file_index,
        options,
    };
    let parts = split(text).map_err(|e| InputError {
        file: file.clone(),
        pos: Some(e.pos),
        message: format!("invalid JSON: {}", e.message),
    })?;
    let mut manifests = Vec::new();
    let mut documents = 0;
    for part in parts {
        documents += yaml::for_each_document_at(&part.text, part.at, |doc| {
            reader.document(&doc.root, &mut manifests);
        })
        .map_err(|e| InputError {
            file: file.clone(),
            pos: Some(e.pos),
            message: format!("invalid YAML: {}", e.message),
        })?;
    }
    Ok(Parsed {
        documents,
        manifests,
    })
}

/// A piece of a text that the YAML reader parses on its own, and where it starts.
struct Part<'a> {
    text: Cow<'a, str>,
    at: Offset,
}

/// Why a JSON stream is not one, and where.
struct JsonError {
    pos: Pos,
    message: String,
}

/// Splits a text as kubectl's YAMLOrJSONDecoder reads it. A text whose first non-blank
/// character is `{` is a stream of JSON values (`jq -c '.items[]'`, objects back to back), each
/// one a document; after a single JSON value the decoder reads the rest as YAML (so one JSON
/// object, or one followed by `---` and YAML, reads as it always did). Anything else is a YAML
/// stream. JSON is YAML: every part goes to the YAML reader, at its place in the text, so
/// positions stay exact.
fn split(text: &str) -> Result<Vec<Part<'_>>, JsonError> {
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

struct Reader<'a> {
    file: &'a Arc<str>,
    file_index: usize,
    options: &'a ReadOptions,
}

/// How deep Lists inside Lists are followed (kubectl flattens them all; the YAML reader's own
/// nesting limit bounds the input anyway).
const MAX_LIST_DEPTH: usize = 32;

impl Reader<'_> {
    /// An object, or a List of them. `kind: List` (kubectl's), and typed lists such as
    /// `ServiceList` whose items may omit their kind; a List inside a List is flattened too,
    /// in kubectl's order (its resource builder takes a List's items after what is already
    /// queued: breadth first), which decides which copy of a repeated object is last (a review
    /// found a Namespace in a nested List never judged).
    fn document(&self, root: &Node, out: &mut Vec<Manifest>) {
        let mut queue: std::collections::VecDeque<(&Node, Option<&str>, Option<&str>, usize)> =
            std::collections::VecDeque::from([(root, None, None, 0)]);
        while let Some((node, default_kind, default_api_version, depth)) = queue.pop_front() {
            if !node.is_map() {
                continue;
            }
            let kind = node.get("kind").and_then(Node::as_text).or(default_kind);
            let api_version = node
                .get("apiVersion")
                .and_then(Node::as_text)
                .or(default_api_version);
            if let (Some(list_kind), Some(items)) = (kind, node.get("items").and_then(Node::as_seq))
                && let Some(item_kind) = list_kind.strip_suffix("List")
            {
                if depth < MAX_LIST_DEPTH {
                    let item_kind = (!item_kind.is_empty()).then_some(item_kind);
                    for item in items {
                        queue.push_back((item, item_kind, api_version, depth + 1));
                    }
                }
                continue;
            }
            out.extend(self.object(node, default_kind, default_api_version));
        }
    }

    /// A Namespace or Service from a map node; `None` for any other kind.
    fn object(
        &self,
        node: &Node,
        default_kind: Option<&str>,
        default_api_version: Option<&str>,
    ) -> Option<Manifest> {
        let kind_text = node.get("kind").and_then(Node::as_text).or(default_kind)?;
        let api_version = node
            .get("apiVersion")
            .and_then(Node::as_text)
            .or(default_api_version);
        // Only the core API's `v1` (group "", version "v1"): a group-less `v2` or `v1beta1` is
        // not it, whatever its kind. Without apiVersion (or with an empty one), assume `v1`:
        // kubectl would refuse the document, so judging it costs nothing and may save a round
        // trip.
        let (group, version) = match api_version.filter(|v| !v.is_empty()) {
            None => ("", "v1"),
            Some(v) => v.rsplit_once('/').unwrap_or(("", v)),
        };
        let kind = ResourceKind::from_group_kind(group, kind_text);
        if kind == ResourceKind::Other || version != "v1" {
            return None;
        }

        let mut positions = Positions {
            start: node.start,
            ..Positions::default()
        };
        let mut problems = Vec::new();
        shadowed_keys(node, &mut problems);
        let mut meta = Meta::default();
        if let Some(m) = node.get_entry("metadata") {
            positions.metadata = Some(m.key_node.start);
            let md = m.value;
            let text = |k: &str| md.get(k).and_then(Node::as_text).map(str::to_owned);
            meta.name = text("name");
            positions.name = md.get("name").map(|n| n.start);
            meta.namespace = text("namespace");
            meta.generate_name = text("generateName");
            meta.deletion_timestamp = md
                .get("deletionTimestamp")
                .and_then(Node::as_text)
                .and_then(|t| serde_json::from_value::<Time>(t.into()).ok());
            if let Some(e) = md.get_entry("labels") {
                positions.labels = Some(e.key_node.start);
                meta.labels = string_map(
                    e.value,
                    Place::Label,
                    &mut positions.label_keys,
                    &mut problems,
                );
            }
            if let Some(e) = md.get_entry("annotations") {
                positions.annotations = Some(e.key_node.start);
                meta.annotations = string_map(
                    e.value,
                    Place::Annotation,
                    &mut positions.annotation_keys,
                    &mut problems,
                );
            }
        }
        let spec = node.get("spec").filter(|s| s.is_map()).map(|s| {
            let ty = s.get_entry("type");
            positions.spec_type = ty.map(|t| t.key_node.start);
            SpecView {
                type_: ty.and_then(|t| t.value.as_text()).map(str::to_owned),
            }
        });
        // A Service without a namespace, or with `namespace: ""` (Helm's quoted empty value),
        // is created in the request's namespace; kube-apiserver writes that into the object's
        // metadata before admission, so the rules see it there, as the webhook does.
        let namespace = match kind {
            ResourceKind::Namespace => None,
            _ => {
                let ns = meta
                    .namespace
                    .take()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| self.options.default_namespace.clone());
                meta.namespace = Some(ns.clone());
                Some(ns)
            }
        };
        Some(Manifest {
            file: self.file.clone(),
            file_index: self.file_index,
            kind,
            object: ObjectView {
                api_version: api_version.map(str::to_owned),
                kind: Some(kind_text.to_owned()),
                metadata: meta,
                spec,
            },
            namespace,
            positions,
            problems,
        })
    }
}

#[derive(Clone, Copy)]
enum Place {
    Label,
    Annotation,
}

impl Place {
    fn field(self, key: &str) -> Field {
        match self {
            Place::Label => Field::Label(key.to_owned()),
            Place::Annotation => Field::Annotation(key.to_owned()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Place::Label => "label",
            Place::Annotation => "annotation",
        }
    }
}

/// `traffic.tetrate.io/` keys in a `metadata:`, `labels:` or `annotations:` block that a later
/// block of the same name replaces: YAML forbids the repeat, Kubernetes' reader keeps the last
/// block whole, so these keys vanish without a word (kubectl's strict validation refuses the
/// manifest instead). Reported at each lost key.
fn shadowed_keys(object: &Node, problems: &mut Vec<ManifestProblem>) {
    fn earlier<'n>(map: &'n Node, key: &str) -> Vec<(crate::cli::yaml::Entry<'n>, usize)> {
        let all: Vec<_> = map.entries().into_iter().filter(|e| e.key == key).collect();
        let Some(last) = all.last().map(|e| e.key_node.start.line) else {
            return Vec::new();
        };
        let n = all.len();
        all.into_iter().take(n - 1).map(|e| (e, last)).collect()
    }
    /// The `traffic.tetrate.io/` keys of `block` that `kept` (the block Kubernetes keeps)
    /// does not hold with the same value.
    fn lost(
        block: &Node,
        kept: Option<&Node>,
        block_name: &str,
        place: Place,
        later_line: usize,
        problems: &mut Vec<ManifestProblem>,
    ) {
        if !block.is_map() {
            return;
        }
        for e in block.entries() {
            if !keys::is_tetrate(e.key) {
                continue;
            }
            let same = kept
                .and_then(|k| k.get(e.key))
                .is_some_and(|v| v.as_text().is_some() && v.as_text() == e.value.as_text());
            if same {
                continue;
            }
            problems.push(ManifestProblem {
                field: place.field(e.key),
                pos: e.key_node.start,
                message: format!(
                    "{} {} is in an earlier `{block_name}:` block, which the one on line \
                     {later_line} replaces: Kubernetes keeps only the last block, so this key is \
                     dropped without a word (kubectl's strict validation refuses the manifest). \
                     Fix: merge the two blocks into one",
                    place.word(),
                    e.key
                ),
                summary: format!(
                    "{} {} is dropped: a later `{block_name}:` block replaces this one",
                    place.word(),
                    e.key
                ),
            });
        }
    }
    let metadata_blocks = object.entries().into_iter().filter(|e| e.key == "metadata");
    let metadata_blocks: Vec<_> = metadata_blocks.collect();
    let last_metadata = metadata_blocks.len().saturating_sub(1);
    let kept_metadata = object.get("metadata");
    for (i, md) in metadata_blocks.into_iter().enumerate() {
        if i < last_metadata {
            // A whole earlier `metadata:`: its labels and annotations are lost, but for what
            // the kept one says the same.
            let later = object
                .get_entry("metadata")
                .map_or(0, |e| e.key_node.start.line);
            for (name, place) in [("labels", Place::Label), ("annotations", Place::Annotation)] {
                let kept = kept_metadata.and_then(|m| m.get(name));
                for e in md.value.entries().into_iter().filter(|e| e.key == name) {
                    lost(e.value, kept, "metadata", place, later, problems);
                }
            }
            continue;
        }
        for (name, place) in [("labels", Place::Label), ("annotations", Place::Annotation)] {
            let kept = md.value.get(name);
            for (e, later) in earlier(md.value, name) {
                lost(e.value, kept, name, place, later, problems);
            }
        }
    }
}

/// A `labels` or `annotations` map as Kubernetes reads it: string values, a YAML null read as
/// `""`, the last of repeated keys. Booleans and numbers are kept as written so the rules still
/// judge them, and for `traffic.tetrate.io/` keys reported: Kubernetes refuses them.
fn string_map(
    node: &Node,
    place: Place,
    positions: &mut HashMap<String, KeyPosition>,
    problems: &mut Vec<ManifestProblem>,
) -> Option<StrMap> {
    if !node.is_map() {
        return None;
    }
    // Collected, then made a map in one sort (a key written twice keeps its last value).
    let mut entries: Vec<(&str, String)> = Vec::new();
    for entry in node.entries() {
        let key = entry.key;
        let ours = keys::is_tetrate(key);
        let key_pos = entry.key_node.start;
        if ours && let Some(first) = positions.get(key) {
            problems.push(ManifestProblem {
                field: place.field(key),
                pos: key_pos,
                message: format!(
                    "{} {key} is written twice (also on line {}); Kubernetes keeps only one of \
                     them, or refuses the manifest. Fix: keep one",
                    place.word(),
                    first.key.line
                ),
                summary: format!("{} {key} is written twice", place.word()),
            });
        }
        let value = match &entry.value.value {
            Value::Scalar(s) => match s.resolve() {
                Resolved::String => s.text.clone(),
                Resolved::Null => String::new(),
                typed @ (Resolved::Bool | Resolved::Number) => {
                    if ours {
                        let what = if typed == Resolved::Bool {
                            "a boolean"
                        } else {
                            "a number"
                        };
                        problems.push(ManifestProblem {
                            field: place.field(key),
                            pos: entry.value.start,
                            message: format!(
                                "{} {key} is {} without quotes, which YAML reads as {what}, not \
                                 a string: kubectl and Argo CD refuse the whole manifest ({}s \
                                 are strings). Fix: quote it: {key}: \"{}\"",
                                place.word(),
                                s.text,
                                place.word(),
                                s.text
                            ),
                            summary: format!(
                                "{} {key} must be quoted: {key}: \"{}\"",
                                place.word(),
                                s.text
                            ),
                        });
                    }
                    s.text.clone()
                }
            },
            Value::Seq(_) | Value::Map(_) => {
                if ours {
                    problems.push(ManifestProblem {
                        field: place.field(key),
                        pos: entry.value.start,
                        message: format!(
                            "{} {key} is a YAML {}, not a string: Kubernetes refuses the \
                             manifest. Fix: write the value as one string (for a multi-line \
                             value, a block scalar: {key}: |)",
                            place.word(),
                            if entry.value.as_seq().is_some() {
                                "list"
                            } else {
                                "map"
                            }
                        ),
                        summary: format!("{} {key} must be a string", place.word()),
                    });
                }
                continue;
            }
        };
        positions.insert(
            key.to_owned(),
            KeyPosition {
                key: key_pos,
                value: ValuePosition::of(entry.value),
            },
        );
        entries.push((key, value));
    }
    Some(entries.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(text: &str) -> Vec<Manifest> {
        let name: Arc<str> = Arc::from("t.yaml");
        parse(&name, 0, text, &ReadOptions::default())
            .expect("valid YAML")
            .manifests
    }

    fn pos(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    /// kubectl's resource builder flattens a List inside a List: so does the reader (a review
    /// found a Namespace in one never judged).
    #[test]
    fn lists_inside_lists_are_read() {
        let ms = parse_one(
            "apiVersion: v1\nkind: List\nitems:\n\
             - apiVersion: v1\n  kind: List\n  items:\n\
             \x20 - apiVersion: v1\n    kind: Namespace\n    metadata: {name: inner}\n\
             \x20 - kind: ServiceList\n    apiVersion: v1\n    items:\n\
             \x20   - metadata: {name: deep, namespace: inner}\n\
             - {apiVersion: v1, kind: Namespace, metadata: {name: outer}}\n",
        );
        let names: Vec<(&str, ResourceKind)> =
            ms.iter().map(|m| (m.object.name(), m.kind)).collect();
        // kubectl's order: breadth first.
        assert_eq!(
            names,
            [
                ("outer", ResourceKind::Namespace),
                ("inner", ResourceKind::Namespace),
                ("deep", ResourceKind::Service),
            ]
        );
    }

    /// A repeated `metadata:`, `labels:` or `annotations:` block: the last is what Kubernetes
    /// keeps, and every `traffic.tetrate.io/` key of the earlier ones is reported where it is.
    #[test]
    fn keys_in_a_replaced_block_are_reported() {
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: da\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n    owner: a\n  labels: {tetrate.io/rev: default}\n\
             \x20 annotations:\n    owner: b\n",
        );
        assert_eq!(ms[0].problems.len(), 1, "{:?}", ms[0].problems);
        assert_eq!(ms[0].problems[0].pos, pos(6, 5));
        assert!(ms[0].problems[0].message.contains("line 9 replaces"));
        assert_eq!(ms[0].object.annotation(keys::GLOBAL), None);
        let ms = parse_one(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {traffic.tetrate.io/global: \"true\"}\n\
             metadata:\n  name: a\n",
        );
        assert_eq!(ms[0].problems.len(), 1, "{:?}", ms[0].problems);
        assert_eq!(ms[0].problems[0].field, Field::Label(keys::GLOBAL.into()));
        // The kept block says the same: nothing is lost. Another value is.
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: da\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n    owner: b\n",
        );
        assert!(ms[0].problems.is_empty(), "{:?}", ms[0].problems);
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: da\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n  annotations:\n\
             \x20   traffic.tetrate.io/global: \"false\"\n",
        );
        assert_eq!(ms[0].problems.len(), 1, "{:?}", ms[0].problems);
        // Not repeated: nothing to say; repeated without our keys: nothing either.
        let ms = parse_one(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {app: x}\n  labels: {app: y}\n",
        );
        assert!(ms[0].problems.is_empty(), "{:?}", ms[0].problems);
    }

    #[test]
    fn key_positions_point_at_the_key() {
        let ms = parse_one(
            "# leading comment\n\
             apiVersion: v1\n\
             kind: Namespace\n\
             metadata:\n\
             \x20 name: payments\n\
             \x20 labels:\n\
             \x20   istio-injection: enabled\n\
             \x20 annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n\
             \x20   \"traffic.tetrate.io/eastwest-gateway-name\": gw\n",
        );
        assert_eq!(ms.len(), 1);
        let p = &ms[0].positions;
        assert_eq!(p.start, pos(2, 1));
        assert_eq!(p.metadata, Some(pos(4, 1)));
        assert_eq!(p.annotations, Some(pos(8, 3)));
        assert_eq!(
            p.of_field(&Field::Annotation(keys::GLOBAL.into())),
            pos(9, 5)
        );
        assert_eq!(
            p.of_field(&Field::Annotation(keys::GATEWAY_NAME.into())),
            pos(10, 5)
        );
        assert_eq!(
            p.of_field(&Field::Label("istio-injection".into())),
            pos(7, 5)
        );
        // Absent keys fall back to their map, then metadata.
        assert_eq!(p.of_field(&Field::Annotation("x".into())), pos(8, 3));
        assert_eq!(p.of_field(&Field::Label("x".into())), pos(6, 3));
        assert_eq!(p.of_field(&Field::SpecType), pos(2, 1));
    }

    #[test]
    fn positions_inside_a_literal_block_map_to_file_lines() {
        let ms = parse_one(
            "kind: Namespace\n\
             apiVersion: v1\n\
             metadata:\n\
             \x20 name: n\n\
             \x20 annotations:\n\
             \x20   traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n\
             \x20     service.beta.kubernetes.io/aws-load-balancer-type: nlb\n\
             \x20     bad line here: : x\n",
        );
        let field = Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.into());
        let p = &ms[0].positions;
        assert_eq!(p.of_field(&field), pos(6, 5));
        let at = |line, column| Some(TextPosition { line, column });
        assert_eq!(p.locate(&field, at(1, 1)), pos(7, 7));
        assert_eq!(p.locate(&field, at(2, 5)), pos(8, 11));
    }

    #[test]
    fn literal_block_with_leading_blank_lines() {
        let ms = parse_one(
            "kind: Namespace\nmetadata:\n  annotations:\n    a: |\n\n      x: 1\n      y\n",
        );
        let field = Field::Annotation("a".into());
        let p = &ms[0].positions;
        let at = |line, column| Some(TextPosition { line, column });
        assert_eq!(p.locate(&field, at(2, 1)), pos(6, 7));
        assert_eq!(p.locate(&field, at(3, 1)), pos(7, 7));
        // The blank line itself: the block's start.
        assert_eq!(p.locate(&field, at(1, 1)), pos(6, 7));
        // The end of the text (where a parser reports a missing `]`): its last line.
        assert_eq!(p.locate(&field, at(4, 1)), pos(7, 7));
    }

    #[test]
    fn positions_inside_one_line_values() {
        let ms = parse_one(
            "kind: Namespace\nmetadata:\n  annotations:\n    a: x y\n    b: \"x y\"\n    c: \"x\\ty\"\n    d: >\n      folded\n",
        );
        let p = &ms[0].positions;
        let at = Some(TextPosition { line: 1, column: 3 });
        assert_eq!(p.locate(&Field::Annotation("a".into()), at), pos(4, 10));
        assert_eq!(p.locate(&Field::Annotation("b".into()), at), pos(5, 11));
        // An escape shifts columns: only the value's start is known.
        assert_eq!(p.locate(&Field::Annotation("c".into()), at), pos(6, 8));
        assert_eq!(p.locate(&Field::Annotation("d".into()), at), pos(8, 7));
    }

    #[test]
    fn lists_json_and_other_kinds() {
        let ms = parse_one(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n\
             apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: kn}\n---\n\
             apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n\
             - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n---\n\
             apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: b, namespace: shop}\n---\n\
             {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"j\"}}\n",
        );
        let names: Vec<(&str, Option<&str>)> = ms
            .iter()
            .map(|m| (m.object.name(), m.namespace.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![("a", Some("default")), ("b", Some("shop")), ("j", None)]
        );
        assert_eq!(ms[0].positions.start, pos(12, 3));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let ms = parse_one(
            "apiVersion: v1\nkind: List\nitems:\n\
             - apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n    labels: &l\n      app: s\n      \
             traffic.tetrate.io/global: \"true\"\n\
             - apiVersion: v1\n  kind: Service\n  metadata:\n    name: t\n    labels:\n      <<: *l\n      app: t\n",
        );
        assert_eq!(ms.len(), 2);
        let t = &ms[1].object;
        assert_eq!(t.label("app"), Some("t"));
        assert_eq!(t.label(keys::GLOBAL), Some("true"));
        // A merged key is found where the anchor wrote it.
        assert_eq!(
            ms[1].positions.of_field(&Field::Label(keys::GLOBAL.into())),
            pos(10, 7)
        );
    }

    #[test]
    fn unquoted_booleans_in_our_keys_are_reported() {
        let ms = parse_one(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n    team: yes\n  annotations:\n    traffic.tetrate.io/global: true\n    traffic.tetrate.io/global: \"true\"\n    other:\n",
        );
        let m = &ms[0];
        assert_eq!(m.object.annotation(keys::GLOBAL), Some("true"));
        assert_eq!(m.object.annotation("other"), Some(""));
        // Not our key: left to Kubernetes.
        assert_eq!(m.object.label("team"), Some("yes"));
        assert_eq!(m.problems.len(), 2, "{:?}", m.problems);
        assert_eq!(m.problems[0].pos, pos(8, 32));
        assert!(m.problems[0].message.contains("boolean"));
        assert_eq!(m.problems[1].pos, pos(9, 5));
        assert!(m.problems[1].message.contains("written twice"));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let name: Arc<str> = Arc::from("bad.yaml");
        let err = parse(
            &name,
            0,
            "kind: Namespace\nmetadata:\n  name: a\n   b: c\n",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.pos.map(|p| p.line), Some(4));
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    }

    #[test]
    fn service_namespace_defaults() {
        let name: Arc<str> = Arc::from("t.yaml");
        let opts = ReadOptions {
            default_namespace: "shop".into(),
        };
        let ms = parse(
            &name,
            0,
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: other}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: \"\"}\n",
            &opts,
        )
        .unwrap()
        .manifests;
        let namespaces: Vec<(Option<&str>, Option<&str>)> = ms
            .iter()
            .map(|m| {
                (
                    m.namespace.as_deref(),
                    m.object.metadata.namespace.as_deref(),
                )
            })
            .collect();
        // In the object too, as kube-apiserver fills it in before admission: an empty one is
        // none.
        assert_eq!(
            namespaces,
            vec![
                (Some("shop"), Some("shop")),
                (Some("other"), Some("other")),
                (Some("shop"), Some("shop")),
            ]
        );
    }

    #[test]
    fn only_core_v1_counts() {
        let ms = parse_one(
            "kind: Namespace\nmetadata: {name: none}\n---\n\
             apiVersion: \"\"\nkind: Namespace\nmetadata: {name: empty}\n---\n\
             apiVersion: /v1\nkind: Namespace\nmetadata: {name: slash}\n---\n\
             apiVersion: v2\nkind: Namespace\nmetadata: {name: v2}\n---\n\
             apiVersion: v1beta1\nkind: Service\nmetadata: {name: v1beta1}\n---\n\
             apiVersion: /v2\nkind: Service\nmetadata: {name: slash-v2}\n---\n\
             apiVersion: core/v1\nkind: Service\nmetadata: {name: core}\n---\n\
             apiVersion: v2\nkind: List\nitems:\n- {kind: Service, metadata: {name: in-v2-list}}\n\
             - {apiVersion: v1, kind: Service, metadata: {name: v1-in-v2-list}}\n",
        );
        let names: Vec<&str> = ms.iter().map(|m| m.object.name()).collect();
        assert_eq!(names, vec!["none", "empty", "slash", "v1-in-v2-list"]);
    }

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
