//! The webhook's hand-written wire parsers held to kube's and k8s-openapi's own types: the
//! AdmissionReview envelope and request (`server::admission::parse_request`) and the metadata
//! projection (`rules::ObjectView`, `rules::meta::Meta`) must accept and refuse exactly the
//! bodies `kube::core::admission::AdmissionReview<DynamicObject>` (with k8s-openapi's
//! `ObjectMeta` inside) accepts and refuses, and read the same uid, kind, name, namespace,
//! operation, user, labels and annotations. Shared by the property test
//! (tests/server/wire.rs) and the `wire_parsers` fuzz target (fuzz/, included with `#[path]`).
//!
//! The input is a byte string that drives a generator of review bodies ([`Source`]), so both
//! a proptest and libFuzzer can explore it and an exhausted input gives a well-formed review.
//! The bodies stress the edges: fields missing, `null` or of the wrong type, keys given twice,
//! strings with every JSON escape, non-BMP characters, huge strings, invalid text, unknown
//! fields, objects where arrays go and the reverse, structs in serde's positional (array)
//! form, odd whitespace and trailing bytes.
//!
//! Where the two differ by design, the generator marks the place ([`Why`]) with the value that
//! shows the difference and a value that does not. [`check`] then holds the guard and kube to
//! exact agreement on the body with the neutral values, and checks the stated difference on
//! the body as generated (so an exception that stopped being true fails too):
//! - [`Why::UnreadMetadata`], [`Why::SkippedJson`], [`Why::Response`]: the guard skips these
//!   parts unread and kube decodes them, so a malformed one is refused by kube alone.
//! - [`Why::TypedObjectField`]: the guard reads an object's `apiVersion`, `kind` and
//!   `spec.type` as typed fields, where `DynamicObject` keeps all but `metadata` as untyped
//!   JSON, so a non-string one or a key given twice is refused by the guard alone.
//! - [`Why::PositionalSpec`]: `spec` in serde's positional form (`["LoadBalancer"]`) is read
//!   by the guard as `spec.type`; kube keeps it as an array.
//!
//! kube-apiserver sends none of these: it writes validated objects with Go's encoder.
//!
//! Depends only on `eastwest_guard`, `kube` (`admission`), `k8s-openapi` and `serde_json`.
#![allow(dead_code)]

use std::collections::BTreeSet;

use eastwest_guard::rules::meta::StrMap;
use eastwest_guard::rules::{ObjectView, ResourceKind};
use eastwest_guard::server::admission::{self, ParsedRequest};
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionReview};

// ---------------------------------------------------------------- choices from bytes

/// The generator's choices, read from the input bytes; past their end every choice is the
/// first (the well-formed case), so shrinking towards zeros shrinks towards a plain review.
/// The first byte sets how often a choice is an odd one, so some bodies are plain reviews with
/// one odd detail and others are odd all over.
pub struct Source<'a> {
    data: &'a [u8],
    pos: usize,
    /// Out of 256: how often [`Source::odd`] is true.
    rate: u8,
}

impl<'a> Source<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        let mut src = Source {
            data,
            pos: 0,
            rate: 0,
        };
        src.rate = [3, 8, 20, 48][src.below(4)];
        src
    }

    /// Whether to make this choice an odd one.
    fn odd(&mut self) -> bool {
        let b = self.byte();
        b != 0 && b <= self.rate
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number below `n` (0 when `n` is 0 or 1).
    fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => self.byte() as usize % n,
            _ => (usize::from(self.byte()) << 8 | usize::from(self.byte())) % n,
        }
    }

    /// True with probability `k` in 16 (false once the input is spent).
    fn one_in(&mut self, k: u8) -> bool {
        let b = self.byte();
        b != 0 && (b & 15) < k
    }

    /// The first of `n` choices (the plain one), or at the odd rate one of the others.
    fn mostly_first(&mut self, n: usize) -> usize {
        if n > 1 && self.odd() {
            1 + self.below(n - 1)
        } else {
            0
        }
    }
}

// ---------------------------------------------------------------- the document model

/// Why the guard and kube differ at a marked place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// A `metadata` field the rules do not read (`uid`, `creationTimestamp`, `managedFields`,
    /// ...), malformed: `Meta` skips it unparsed, k8s-openapi's `ObjectMeta` decodes it.
    UnreadMetadata,
    /// JSON the guard skips (`request.options`, an object's fields besides `apiVersion`,
    /// `kind`, `metadata` and `spec`, `spec`'s fields besides `type`, the review's fields
    /// besides `apiVersion`, `kind` and `request`) holding what serde cannot decode (a lone
    /// surrogate escape, invalid UTF-8, a number past `f64`): kube decodes it, into a `Value`
    /// or, in the review, into serde's buffer for its flattened `TypeMeta`.
    SkippedJson,
    /// A malformed `response` in the review: the guard does not read a response in a request
    /// (it writes its own), kube's type decodes it.
    Response,
    /// An object's `apiVersion`, `kind` or `spec.type` not a string, or given twice.
    TypedObjectField,
    /// `spec` as an array (serde's positional form of a struct).
    PositionalSpec,
}

impl Why {
    /// The guard accepts more than kube here.
    fn guard_skips(self) -> bool {
        matches!(self, Why::UnreadMetadata | Why::SkippedJson | Why::Response)
    }
}

/// A JSON text, kept as written so it can hold what a `serde_json::Value` cannot: keys given
/// twice, escapes, invalid text.
#[derive(Clone, Debug)]
pub enum J {
    /// Written as is (numbers, `true`, `null`, broken JSON).
    Raw(Vec<u8>),
    /// A string; the bytes between the quotes, escapes written out.
    Str(Vec<u8>),
    Arr(Vec<J>),
    Obj(Vec<Entry>),
    /// Whitespace, then the value.
    Ws(Vec<u8>, Box<J>),
    /// The value, then bytes (trailing characters).
    Tail(Box<J>, Vec<u8>),
    /// A marked place: `bad` shows the difference, `good` does not.
    Mark(Why, Box<J>, Box<J>),
}

#[derive(Clone, Debug)]
pub enum Entry {
    Pair(Vec<u8>, J),
    /// Marked entries (a key given twice, a field added).
    Mark(Why, Vec<Entry>, Vec<Entry>),
}

impl J {
    fn raw(s: &str) -> J {
        J::Raw(s.as_bytes().to_vec())
    }

    fn str(s: &str) -> J {
        J::Str(plain(s))
    }

    /// The body as generated (`marked`), or with every marked place neutral.
    pub fn render(&self, marked: bool) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(marked, &mut out);
        out
    }

    fn write(&self, marked: bool, out: &mut Vec<u8>) {
        match self {
            J::Raw(b) => out.extend_from_slice(b),
            J::Str(b) => {
                out.push(b'"');
                out.extend_from_slice(b);
                out.push(b'"');
            }
            J::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(marked, out);
                }
                out.push(b']');
            }
            J::Obj(entries) => {
                out.push(b'{');
                let mut first = true;
                write_entries(entries, marked, &mut first, out);
                out.push(b'}');
            }
            J::Ws(ws, value) => {
                out.extend_from_slice(ws);
                value.write(marked, out);
            }
            J::Tail(value, tail) => {
                value.write(marked, out);
                out.extend_from_slice(tail);
            }
            J::Mark(_, bad, good) => (if marked { bad } else { good }).write(marked, out),
        }
    }

    /// The kinds of marked places in the body.
    pub fn marks(&self) -> BTreeSet<Why> {
        let mut out = BTreeSet::new();
        self.collect_marks(&mut out);
        out
    }

    fn collect_marks(&self, out: &mut BTreeSet<Why>) {
        match self {
            J::Raw(_) | J::Str(_) => {}
            J::Arr(items) => items.iter().for_each(|i| i.collect_marks(out)),
            J::Obj(entries) => entries_marks(entries, out),
            J::Ws(_, value) | J::Tail(value, _) => value.collect_marks(out),
            J::Mark(why, bad, _) => {
                out.insert(*why);
                bad.collect_marks(out);
            }
        }
    }
}

fn write_entries(entries: &[Entry], marked: bool, first: &mut bool, out: &mut Vec<u8>) {
    for entry in entries {
        match entry {
            Entry::Pair(key, value) => {
                if !*first {
                    out.push(b',');
                }
                *first = false;
                out.push(b'"');
                out.extend_from_slice(key);
                out.extend_from_slice(b"\":");
                value.write(marked, out);
            }
            Entry::Mark(_, bad, good) => {
                write_entries(if marked { bad } else { good }, marked, first, out)
            }
        }
    }
}

fn entries_marks(entries: &[Entry], out: &mut BTreeSet<Why>) {
    for entry in entries {
        match entry {
            Entry::Pair(_, value) => value.collect_marks(out),
            Entry::Mark(why, bad, _) => {
                out.insert(*why);
                entries_marks(bad, out);
            }
        }
    }
}

fn pair(key: &str, value: J) -> Entry {
    Entry::Pair(plain(key), value)
}

/// A string's contents with only the escapes JSON requires.
fn plain(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        escape_char(c, &mut out);
    }
    out
}

fn escape_char(c: char, out: &mut Vec<u8>) {
    match c {
        '"' => out.extend_from_slice(b"\\\""),
        '\\' => out.extend_from_slice(b"\\\\"),
        c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
        c => {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

// ---------------------------------------------------------------- the generator

/// A review body, driven by `src`.
pub fn review(src: &mut Source) -> J {
    let body = match src.mostly_first(16) {
        1 => J::raw(""),
        2 => J::raw("null"),
        3 => J::str(KIND),
        4 => J::Arr(vec![J::str(API_VERSION), J::str(KIND), request(src)]),
        _ => envelope(src),
    };
    let body = if src.one_in(2) {
        J::Ws(whitespace(src), Box::new(body))
    } else {
        body
    };
    if !src.odd() {
        return body;
    }
    let tail = [" \n", "\t", "x", "}", "{}", "\u{feff}", "\u{0}"][src.below(7)];
    J::Tail(Box::new(body), tail.as_bytes().to_vec())
}

const API_VERSION: &str = "admission.k8s.io/v1";
const KIND: &str = "AdmissionReview";

fn envelope(src: &mut Source) -> J {
    let mut entries = Vec::new();
    type_field(
        src,
        &mut entries,
        "apiVersion",
        API_VERSION,
        "admission.k8s.io/v1beta1",
    );
    type_field(src, &mut entries, "kind", KIND, "AdmissionRequest");
    match src.mostly_first(6) {
        0 => entries.push(pair("request", request(src))),
        1 => {}
        2 => entries.push(pair("request", J::raw("null"))),
        3 => entries.push(pair("request", odd_scalar(src))),
        4 => entries.push(pair("request", J::Arr(vec![]))),
        _ => {
            entries.push(pair("request", request(src)));
            entries.push(pair("request", request(src)));
        }
    }
    match src.below(8) {
        6 => entries.push(Entry::Mark(
            Why::Response,
            vec![pair("response", odd_scalar(src))],
            vec![],
        )),
        7 => entries.push(pair("response", J::raw("null"))),
        _ => {}
    }
    // kube's flattened `TypeMeta` makes serde buffer the envelope's other fields, decoding
    // them.
    unknown_fields(src, &mut entries, true);
    shuffle(src, &mut entries);
    J::Obj(entries)
}

/// `apiVersion` or `kind` of the envelope: right, wrong, missing, `null`, not a string or
/// given twice.
fn type_field(src: &mut Source, entries: &mut Vec<Entry>, key: &str, right: &str, wrong: &str) {
    match src.mostly_first(6) {
        0 => entries.push(pair(key, J::Str(spell(src, right)))),
        1 => entries.push(pair(key, J::str(wrong))),
        2 => {}
        3 => entries.push(pair(key, J::raw("null"))),
        4 => entries.push(pair(key, odd_scalar(src))),
        _ => {
            entries.push(pair(key, J::str(right)));
            entries.push(pair(key, J::str(right)));
        }
    }
}

/// The request's fields in kube's order (serde's positional form follows it).
const REQUEST_FIELDS: [&str; 15] = [
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

fn request(src: &mut Source) -> J {
    let kind = ["Namespace", "Service", "ConfigMap", "namespace"][src.mostly_first(4)];
    // Each field: `None` leaves it out.
    let mut values: Vec<Option<J>> = Vec::new();
    values.push(required(src, |src| J::Str(text(src))));
    values.push(required(src, |src| gvk(src, kind)));
    values.push(required(src, |src| gvr(src, kind)));
    values.push(optional(src, |src| J::Str(text(src))));
    values.push(optional(src, |src| gvk(src, kind)));
    values.push(optional(src, |src| gvr(src, kind)));
    values.push(optional(src, |src| J::Str(text(src))));
    values.push(optional_first(src, |src| J::Str(text(src))));
    values.push(optional(src, |src| J::Str(text(src))));
    values.push(required(src, |src| {
        let ops = [
            "CREATE", "UPDATE", "DELETE", "CONNECT", "create", "PATCH", "",
        ];
        let op = ops[src.mostly_first(ops.len())];
        J::Str(spell(src, op))
    }));
    values.push(required(src, user_info));
    values.push(optional_first(src, |src| object(src, kind)));
    values.push(optional(src, |src| object(src, kind)));
    values.push(optional(src, |src| {
        J::raw(["false", "true", "\"true\"", "1"][src.mostly_first(4)])
    }));
    values.push(optional(src, |src| any_json(src, 2, true)));
    if src.one_in(1) {
        // Serde's positional form: the fields in order, `null` for one left out, maybe cut
        // short.
        let len = REQUEST_FIELDS.len() - src.below(4);
        let items = values
            .into_iter()
            .take(len)
            .map(|v| v.unwrap_or_else(|| J::raw("null")))
            .collect();
        return J::Arr(items);
    }
    let mut entries: Vec<Entry> = REQUEST_FIELDS
        .iter()
        .zip(values)
        .filter_map(|(key, value)| value.map(|v| pair(key, v)))
        .collect();
    if src.odd() {
        // A field given twice.
        let key = REQUEST_FIELDS[src.below(REQUEST_FIELDS.len())];
        entries.push(pair(key, J::str("again")));
    }
    unknown_fields(src, &mut entries, false);
    shuffle(src, &mut entries);
    J::Obj(entries)
}

/// A field kube requires: mostly there, sometimes missing, `null` or of the wrong type.
fn required(src: &mut Source, value: impl FnOnce(&mut Source) -> J) -> Option<J> {
    match src.mostly_first(8) {
        1 => None,
        2 => Some(J::raw("null")),
        3 => Some(odd_scalar(src)),
        4 => Some(J::Arr(vec![])),
        5 => Some(J::Obj(vec![])),
        _ => Some(value(src)),
    }
}

/// A field kube may go without: there or not, or at the odd rate `null` or of the wrong type.
fn optional(src: &mut Source, value: impl FnOnce(&mut Source) -> J) -> Option<J> {
    match src.mostly_first(3) {
        1 => Some(J::raw("null")),
        2 => Some(odd_scalar(src)),
        _ if src.one_in(8) => Some(value(src)),
        _ => None,
    }
}

/// A field kube may go without: mostly there.
fn optional_first(src: &mut Source, value: impl FnOnce(&mut Source) -> J) -> Option<J> {
    match src.mostly_first(4) {
        0 => Some(value(src)),
        1 => None,
        2 => Some(J::raw("null")),
        _ => Some(odd_scalar(src)),
    }
}

fn gvk(src: &mut Source, kind: &str) -> J {
    let group = ["", "apps", "core"][src.mostly_first(3)];
    three_strings(src, ["group", "version", "kind"], [group, "v1", kind])
}

fn gvr(src: &mut Source, kind: &str) -> J {
    let resource = format!("{}s", kind.to_lowercase());
    three_strings(src, ["group", "version", "resource"], ["", "v1", &resource])
}

/// A struct of three required strings (kube's `GroupVersionKind` and `GroupVersionResource`).
fn three_strings(src: &mut Source, keys: [&str; 3], values: [&str; 3]) -> J {
    if src.one_in(1) {
        // Serde's positional form, maybe cut short.
        let n = 3 - usize::from(src.odd());
        return J::Arr(values[..n].iter().map(|v| J::str(v)).collect());
    }
    let mut entries = Vec::new();
    for (key, value) in keys.iter().zip(values) {
        match src.mostly_first(6) {
            1 => {}
            2 => entries.push(pair(key, J::raw("null"))),
            3 => entries.push(pair(key, odd_scalar(src))),
            4 => {
                entries.push(pair(key, J::str("first")));
                entries.push(pair(key, J::Str(spell(src, value))));
            }
            _ => entries.push(pair(key, J::Str(spell(src, value)))),
        }
    }
    unknown_fields(src, &mut entries, false);
    shuffle(src, &mut entries);
    J::Obj(entries)
}

/// k8s-openapi's `UserInfo`: every field optional, read from an object only, a field given
/// twice keeps its last value.
fn user_info(src: &mut Source) -> J {
    match src.mostly_first(12) {
        1 => return J::Arr(vec![]),
        2 => return J::Arr(vec![J::str("alice")]),
        _ => {}
    }
    let mut entries = Vec::new();
    for _ in 0..1 + src.below(2) {
        match src.mostly_first(4) {
            0 => entries.push(pair("username", J::Str(text(src)))),
            1 => {}
            2 => entries.push(pair("username", J::raw("null"))),
            _ => entries.push(pair("username", odd_scalar(src))),
        }
    }
    if src.one_in(8) {
        entries.push(pair("uid", J::Str(text(src))));
    }
    if src.one_in(8) {
        let groups = match src.mostly_first(4) {
            0 => J::Arr(vec![J::str("system:authenticated"), J::Str(text(src))]),
            1 => J::raw("null"),
            2 => J::str("system:masters"),
            _ => J::Arr(vec![J::raw("5")]),
        };
        entries.push(pair("groups", groups));
    }
    if src.one_in(4) {
        let extra = match src.mostly_first(4) {
            0 => J::Obj(vec![pair("scopes", J::Arr(vec![J::Str(text(src))]))]),
            1 => J::raw("null"),
            2 => J::Obj(vec![pair("scopes", J::str("a"))]),
            _ => J::Obj(vec![pair("scopes", J::raw("null"))]),
        };
        entries.push(pair("extra", extra));
    }
    unknown_fields(src, &mut entries, false);
    shuffle(src, &mut entries);
    J::Obj(entries)
}

fn object(src: &mut Source, kind: &str) -> J {
    match src.mostly_first(12) {
        1 => return J::Arr(vec![]),
        2 => return J::Arr(vec![J::str("v1"), J::str(kind)]),
        3 => return odd_scalar(src),
        _ => {}
    }
    let mut entries = Vec::new();
    object_type_field(src, &mut entries, "apiVersion", "v1");
    object_type_field(src, &mut entries, "kind", kind);
    match src.mostly_first(8) {
        0 => entries.push(pair("metadata", metadata(src))),
        1 => {}
        2 => entries.push(pair("metadata", J::raw("null"))),
        3 => entries.push(pair("metadata", odd_scalar(src))),
        4 => entries.push(pair("metadata", J::Arr(vec![]))),
        5 => entries.push(pair("metadata", J::Arr(vec![J::str("x")]))),
        6 => {
            entries.push(pair("metadata", metadata(src)));
            entries.push(pair("metadata", metadata(src)));
        }
        _ => entries.push(pair("metadata", J::Obj(vec![]))),
    }
    spec(src, &mut entries);
    if src.one_in(6) {
        entries.push(pair("status", any_json(src, 2, true)));
    }
    unknown_fields(src, &mut entries, true);
    shuffle(src, &mut entries);
    J::Obj(entries)
}

/// An object's `apiVersion` or `kind`: `DynamicObject` keeps them (as its `TypeMeta`) only
/// when both are strings; the guard reads each on its own, as a string.
fn object_type_field(src: &mut Source, entries: &mut Vec<Entry>, key: &str, value: &str) {
    match src.mostly_first(6) {
        0 => entries.push(pair(key, J::Str(spell(src, value)))),
        1 => {}
        2 => entries.push(pair(key, J::raw("null"))),
        3 => entries.push(pair(
            key,
            J::Mark(
                Why::TypedObjectField,
                Box::new(non_string(src)),
                Box::new(J::str(value)),
            ),
        )),
        4 => entries.push(Entry::Mark(
            Why::TypedObjectField,
            vec![pair(key, J::str("first")), pair(key, J::str(value))],
            vec![pair(key, J::str(value))],
        )),
        _ => entries.push(pair(key, J::Str(text(src)))),
    }
}

fn spec(src: &mut Source, entries: &mut Vec<Entry>) {
    let types = ["ClusterIP", "LoadBalancer", "ExternalName", "NodePort", ""];
    let ty = types[src.below(types.len())];
    let spec = match src.mostly_first(10) {
        0 => {
            let mut fields = vec![pair("type", J::Str(spell(src, ty)))];
            if src.one_in(6) {
                fields.push(pair("ports", any_json(src, 2, true)));
            }
            shuffle(src, &mut fields);
            J::Obj(fields)
        }
        1 => return,
        2 => J::raw("null"),
        3 => J::Obj(vec![]),
        4 => J::Obj(vec![pair("type", J::raw("null"))]),
        5 => J::Arr(vec![]),
        // A scalar: `{}` is a valid spec, and a list is read by position (PositionalSpec).
        6 => J::Mark(
            Why::TypedObjectField,
            Box::new(J::raw(
                ["5", "true", "-0", "1.5", "\"\"", "false"][src.below(6)],
            )),
            Box::new(J::Obj(vec![])),
        ),
        7 => J::Obj(vec![pair(
            "type",
            J::Mark(
                Why::TypedObjectField,
                Box::new(non_string(src)),
                Box::new(J::str(ty)),
            ),
        )]),
        8 => J::Obj(vec![Entry::Mark(
            Why::TypedObjectField,
            vec![pair("type", J::str("first")), pair("type", J::str(ty))],
            vec![pair("type", J::str(ty))],
        )]),
        _ => J::Mark(
            Why::PositionalSpec,
            Box::new(J::Arr(vec![J::str(ty)])),
            Box::new(J::Arr(vec![])),
        ),
    };
    entries.push(pair("spec", spec));
}

/// The `metadata` fields the rules do not read, with values k8s-openapi accepts, and with
/// values it refuses.
const UNREAD_METADATA: [(&str, &str, &str); 9] = [
    ("uid", "\"b3c9d1e2-0000-4000-8000-000000000001\"", "5"),
    ("resourceVersion", "\"12345\"", "[1]"),
    ("generation", "3", "\"3\""),
    (
        "creationTimestamp",
        "\"2025-01-01T00:00:00Z\"",
        "\"not a date\"",
    ),
    ("deletionGracePeriodSeconds", "30", "1.5"),
    ("finalizers", "[\"kubernetes\"]", "\"kubernetes\""),
    (
        "managedFields",
        "[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{}}}]",
        "\"junk\"",
    ),
    ("ownerReferences", "[]", "{}"),
    ("selfLink", "\"/api/v1/namespaces/x\"", "\"\\ud800\""),
];

fn metadata(src: &mut Source) -> J {
    let mut entries = Vec::new();
    for key in ["name", "namespace", "generateName"] {
        let n = if src.odd() { 2 } else { 1 };
        for _ in 0..n {
            match src.mostly_first(6) {
                0 => entries.push(pair(key, J::Str(text(src)))),
                1 | 2 => {}
                3 => entries.push(pair(key, J::raw("null"))),
                4 => entries.push(pair(key, odd_scalar(src))),
                _ => entries.push(pair(key, J::Str(bad_text(src)))),
            }
        }
    }
    for key in ["labels", "annotations"] {
        let n = if src.odd() { 2 } else { 1 };
        for _ in 0..n {
            match src.mostly_first(6) {
                0 => entries.push(pair(key, string_map(src))),
                1 => {}
                2 => entries.push(pair(key, J::raw("null"))),
                3 => entries.push(pair(key, J::Arr(vec![]))),
                4 => entries.push(pair(key, odd_scalar(src))),
                _ => entries.push(pair(key, J::Obj(vec![]))),
            }
        }
    }
    match src.mostly_first(4) {
        1 => entries.push(pair("deletionTimestamp", J::raw("null"))),
        2 => entries.push(pair("deletionTimestamp", J::str("soon"))),
        3 => entries.push(pair("deletionTimestamp", odd_scalar(src))),
        _ => match src.below(8) {
            0 => entries.push(pair("deletionTimestamp", J::str("2026-11-21T10:00:00Z"))),
            1 => entries.push(pair(
                "deletionTimestamp",
                J::str("2026-11-21T10:00:00.123456789+02:00"),
            )),
            _ => {}
        },
    }
    for (key, good, bad) in UNREAD_METADATA {
        match src.below(6) {
            0 => entries.push(pair(key, J::raw(good))),
            1 => entries.push(Entry::Mark(
                Why::UnreadMetadata,
                vec![pair(key, J::raw(bad))],
                vec![pair(key, J::raw(good))],
            )),
            _ => {}
        }
    }
    // Fields neither reads: both skip them, whatever they hold.
    unknown_fields(src, &mut entries, false);
    shuffle(src, &mut entries);
    J::Obj(entries)
}

/// Labels or annotations: strings to strings, keys maybe given twice.
fn string_map(src: &mut Source) -> J {
    let keys = [
        "traffic.tetrate.io/global",
        "traffic.tetrate.io/eastwest-gateway-name",
        "tetrate.io/rev",
        "istio-injection",
        "app",
        "",
    ];
    let n = src.below(6);
    let mut entries = Vec::new();
    for _ in 0..n {
        let key = if src.one_in(3) {
            text(src)
        } else {
            let key = keys[src.below(keys.len())];
            spell(src, key)
        };
        let value = match src.mostly_first(5) {
            1 => J::raw("null"),
            2 => odd_scalar(src),
            3 => J::Str(bad_text(src)),
            _ => J::Str(text(src)),
        };
        entries.push(Entry::Pair(key, value));
    }
    J::Obj(entries)
}

/// Fields no type here knows. `decoded`: kube decodes them into a `Value` (an object's fields)
/// where the guard skips them; otherwise both skip them.
fn unknown_fields(src: &mut Source, entries: &mut Vec<Entry>, decoded: bool) {
    for _ in 0..src.below(3) {
        let key = ["extra", "x", "Kind", "apiversion", "metaData", "\u{e9}"][src.below(6)];
        entries.push(Entry::Pair(spell(src, key), any_json(src, 2, decoded)));
    }
}

/// Any JSON, up to `depth` levels deep. `decoded`: what `serde_json::Value` cannot hold is
/// marked (kube decodes it, the guard skips it); otherwise both skip it, so it goes unmarked.
fn any_json(src: &mut Source, depth: usize, decoded: bool) -> J {
    let skipped = |bad: J, neutral: &str| {
        if decoded {
            J::Mark(Why::SkippedJson, Box::new(bad), Box::new(J::raw(neutral)))
        } else {
            bad
        }
    };
    let top = if depth == 0 { 6 } else { 8 };
    match src.below(top) {
        0 => J::raw(
            [
                "null",
                "true",
                "false",
                "0",
                "-1.5e3",
                "12345678901234567890",
            ][src.below(6)],
        ),
        1 | 2 => J::Str(good_text(src)),
        3 => match src.below(4) {
            0 => skipped(J::raw("1e999"), "0"),
            1 => skipped(J::raw("-1e400"), "0"),
            _ => J::raw(["0.0", "1E+2"][src.below(2)]),
        },
        4 => skipped(J::Str(skippable_bad_text(src)), "\"x\""),
        5 => J::Str(huge(src)),
        6 => J::Arr(
            (0..src.below(4))
                .map(|_| any_json(src, depth - 1, decoded))
                .collect(),
        ),
        _ => {
            let mut entries = Vec::new();
            for _ in 0..src.below(4) {
                let key = good_text(src);
                entries.push(Entry::Pair(key, any_json(src, depth - 1, decoded)));
            }
            J::Obj(entries)
        }
    }
}

/// A value of the wrong type for most fields it goes in.
fn odd_scalar(src: &mut Source) -> J {
    J::raw(["5", "true", "-0", "1.5", "\"\"", "{}", "[\"x\"]", "false"][src.below(8)])
}

/// A value that is neither a string nor `null`.
fn non_string(src: &mut Source) -> J {
    J::raw(["5", "true", "-0", "1.5", "{}", "[\"x\"]", "false"][src.below(7)])
}

/// Values of strings: real ones and odd ones.
const TEXTS: [&str; 20] = [
    "payments",
    "",
    "true",
    "705ab4f5-6393-11e8-b7cc-42010a800002",
    "alice@example.com",
    "traffic.tetrate.io/global",
    "app=gw,tier=edge",
    "caf\u{e9}",
    "\u{65e5}\u{672c}",
    "\u{1f600} emoji",
    "quote\"and\\backslash",
    "tab\there",
    "line\nbreak",
    "nul\u{0}byte",
    "/slash/",
    "\u{7f}\u{80}\u{ffff}",
    "\u{2028}\u{2029}",
    "kube-system",
    "default",
    "Namespace",
];

/// A string's contents: a real value or an odd one, spelled with escapes at random.
fn text(src: &mut Source) -> Vec<u8> {
    if src.odd() && src.one_in(4) {
        bad_text(src)
    } else {
        good_text(src)
    }
}

/// A string's contents that any JSON parser decodes.
fn good_text(src: &mut Source) -> Vec<u8> {
    match src.below(48) {
        47 => huge(src),
        _ => {
            let value = TEXTS[src.below(TEXTS.len())];
            spell(src, value)
        }
    }
}

/// A string of 5,000 or 70,000 bytes.
fn huge(src: &mut Source) -> Vec<u8> {
    let unit = ["x", "\u{e9}", "\\n", "\\ud83d\\ude00", "ab"][src.below(5)];
    let n = [5_000, 70_000][src.below(2)] / unit.len();
    unit.repeat(n).into_bytes()
}

/// Contents no JSON parser accepts as a string's value.
fn bad_text(src: &mut Source) -> Vec<u8> {
    match src.below(6) {
        0 => b"raw\x01control".to_vec(),
        1 => b"bad \\x escape".to_vec(),
        2 => b"short \\u12".to_vec(),
        _ => skippable_bad_text(src),
    }
}

/// Contents serde_json refuses to decode into a string but skips over unread.
fn skippable_bad_text(src: &mut Source) -> Vec<u8> {
    match src.below(5) {
        0 => b"lone \\ud800".to_vec(),
        1 => b"\\udc00 low first".to_vec(),
        2 => b"pair \\ud800\\u0041 broken".to_vec(),
        3 => b"invalid \xff utf-8".to_vec(),
        _ => b"cut \xc3".to_vec(),
    }
}

/// `value` as a JSON string's contents, each character maybe escaped another way.
fn spell(src: &mut Source, value: &str) -> Vec<u8> {
    if src.below(4) != 3 {
        return plain(value);
    }
    let mut out = Vec::new();
    for c in value.chars() {
        match src.below(12) {
            10 => {
                let mut units = [0u16; 2];
                let upper = src.one_in(8);
                for unit in c.encode_utf16(&mut units) {
                    let escaped = if upper {
                        format!("\\u{unit:04X}")
                    } else {
                        format!("\\u{unit:04x}")
                    };
                    out.extend_from_slice(escaped.as_bytes());
                }
            }
            11 => match c {
                '/' => out.extend_from_slice(b"\\/"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                c => escape_char(c, &mut out),
            },
            _ => escape_char(c, &mut out),
        }
    }
    out
}

/// JSON whitespace, and now and then what is not (a form feed, a no-break space).
fn whitespace(src: &mut Source) -> Vec<u8> {
    let n = 1 + src.below(4);
    (0..n)
        .flat_map(|_| match src.mostly_first(3) {
            1 => b"\x0c".to_vec(),
            2 => "\u{a0}".as_bytes().to_vec(),
            _ => vec![[b' ', b'\n', b'\t', b'\r'][src.below(4)]],
        })
        .collect()
}

/// Entries in a new order (a rotation and maybe a swap, which keeps keys given twice in
/// their order most of the time).
fn shuffle(src: &mut Source, entries: &mut [Entry]) {
    if entries.len() < 2 {
        return;
    }
    let r = src.below(entries.len());
    entries.rotate_left(r);
    if src.one_in(4) {
        let (a, b) = (src.below(entries.len()), src.below(entries.len()));
        entries.swap(a, b);
    }
}

// ---------------------------------------------------------------- what each side reads

/// What is compared of an accepted body.
#[derive(Debug, PartialEq)]
struct Read {
    uid: String,
    kind_name: String,
    kind: ResourceKind,
    name: String,
    namespace: Option<String>,
    operation: String,
    sub_resource: Option<String>,
    dry_run: bool,
    user: Option<String>,
    object: Option<ObjectRead>,
    old_object: Option<ObjectRead>,
}

#[derive(Debug, PartialEq)]
struct ObjectRead {
    name: Option<String>,
    namespace: Option<String>,
    generate_name: Option<String>,
    labels: Option<Vec<(String, String)>>,
    annotations: Option<Vec<(String, String)>>,
    deletion_timestamp: Option<String>,
    /// `apiVersion` and `kind`: kube keeps them only as a pair (`None` otherwise).
    type_meta: TypeRead,
    spec_type: Option<String>,
}

#[derive(Debug, PartialEq)]
enum TypeRead {
    Pair(Option<String>, Option<String>),
    /// kube: `DynamicObject` kept no `TypeMeta` (one of the two missing, or malformed).
    NotBoth,
}

fn guard_read(parsed: &ParsedRequest) -> Read {
    let f = &parsed.facts;
    Read {
        uid: f.uid.clone(),
        kind_name: f.kind_name.clone(),
        kind: f.kind,
        name: f.name.clone(),
        namespace: f.namespace.clone(),
        operation: f.operation_label().to_owned(),
        sub_resource: f.sub_resource.clone(),
        dry_run: f.dry_run,
        user: f.user.clone(),
        object: parsed.object.as_ref().map(guard_object),
        old_object: parsed.old_object.as_ref().map(guard_object),
    }
}

fn guard_object(o: &ObjectView) -> ObjectRead {
    let pairs = |m: Option<&StrMap>| {
        m.map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    };
    ObjectRead {
        name: o.metadata.name.clone(),
        namespace: o.metadata.namespace.clone(),
        generate_name: o.metadata.generate_name.clone(),
        labels: pairs(o.labels()),
        annotations: pairs(o.annotations()),
        deletion_timestamp: o
            .metadata
            .deletion_timestamp
            .as_ref()
            .map(|t| format!("{t:?}")),
        type_meta: TypeRead::Pair(o.api_version.clone(), o.kind.clone()),
        spec_type: o.service_type().map(str::to_owned),
    }
}

fn kube_read(r: &AdmissionRequest<DynamicObject>) -> Read {
    Read {
        uid: r.uid.clone(),
        kind_name: r.kind.kind.clone(),
        kind: ResourceKind::from_group_kind(&r.kind.group, &r.kind.kind),
        name: r.name.clone(),
        namespace: r.namespace.clone(),
        operation: admission::operation_label(&r.operation).to_owned(),
        sub_resource: r.sub_resource.clone(),
        dry_run: r.dry_run,
        user: r.user_info.username.clone(),
        object: r.object.as_ref().map(kube_object),
        old_object: r.old_object.as_ref().map(kube_object),
    }
}

fn kube_object(o: &DynamicObject) -> ObjectRead {
    let m = &o.metadata;
    let pairs = |m: &Option<std::collections::BTreeMap<String, String>>| {
        m.as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    ObjectRead {
        name: m.name.clone(),
        namespace: m.namespace.clone(),
        generate_name: m.generate_name.clone(),
        labels: pairs(&m.labels),
        annotations: pairs(&m.annotations),
        deletion_timestamp: m.deletion_timestamp.as_ref().map(|t| format!("{t:?}")),
        type_meta: match &o.types {
            Some(t) => TypeRead::Pair(Some(t.api_version.clone()), Some(t.kind.clone())),
            None => TypeRead::NotBoth,
        },
        spec_type: o
            .data
            .get("spec")
            .and_then(|s| s.get("type"))
            .and_then(|t| t.as_str())
            .map(str::to_owned),
    }
}

/// The guard's verdict on a body: what it read, or why it refused it.
fn guard(body: &[u8]) -> Result<Read, String> {
    admission::parse_request(body).map(|p| guard_read(&p))
}

/// kube's verdict, with the guard's conditions of an answerable review on top (kube's type
/// takes any `apiVersion` and `kind`, and a review without a request).
fn kube(body: &[u8]) -> Result<Read, String> {
    let review = serde_json::from_slice::<AdmissionReview<DynamicObject>>(body)
        .map_err(|e| format!("kube: {e}"))?;
    if review.types.api_version != API_VERSION || review.types.kind != KIND {
        return Err(format!("kube: a review of type {:?}", review.types));
    }
    review
        .request
        .as_ref()
        .map(kube_read)
        .ok_or_else(|| "kube: no request".to_owned())
}

/// Equal, but for what `skip` leaves out; `TypeRead::NotBoth` on kube's side matches a guard
/// that read at most one of `apiVersion` and `kind`.
fn same(guard: &Read, kube: &Read, skip: Skip) -> Result<(), String> {
    let objects = [
        (&guard.object, &kube.object),
        (&guard.old_object, &kube.old_object),
    ];
    for (g, k) in objects {
        match (g, k) {
            (None, None) => {}
            (Some(g), Some(k)) => {
                let type_meta_ok = skip.type_meta
                    || match (&g.type_meta, &k.type_meta) {
                        (TypeRead::Pair(a, b), TypeRead::NotBoth) => a.is_none() || b.is_none(),
                        (g, k) => g == k,
                    };
                let spec_ok = skip.spec_type || g.spec_type == k.spec_type;
                let rest = |o: &ObjectRead| {
                    (
                        o.name.clone(),
                        o.namespace.clone(),
                        o.generate_name.clone(),
                        o.labels.clone(),
                        o.annotations.clone(),
                        o.deletion_timestamp.clone(),
                    )
                };
                if !(type_meta_ok && spec_ok && rest(g) == rest(k)) {
                    return Err(format!("objects differ:\n guard {g:?}\n kube  {k:?}"));
                }
            }
            _ => {
                return Err(format!(
                    "one side has no object:\n guard {g:?}\n kube  {k:?}"
                ));
            }
        }
    }
    let strip = |r: &Read| {
        (
            r.uid.clone(),
            r.kind_name.clone(),
            r.kind,
            r.name.clone(),
            r.namespace.clone(),
            r.operation.clone(),
            r.sub_resource.clone(),
            r.dry_run,
            r.user.clone(),
        )
    };
    if strip(guard) != strip(kube) {
        return Err(format!(
            "requests differ:\n guard {guard:?}\n kube  {kube:?}"
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, Default)]
struct Skip {
    type_meta: bool,
    spec_type: bool,
}

fn agree(
    guard: &Result<Read, String>,
    kube: &Result<Read, String>,
    skip: Skip,
) -> Result<(), String> {
    match (guard, kube) {
        (Ok(g), Ok(k)) => same(g, k, skip),
        (Err(_), Err(_)) => Ok(()),
        (Ok(_), Err(k)) => Err(format!("the guard accepts, kube refuses ({k})")),
        (Err(g), Ok(_)) => Err(format!("the guard refuses ({g}), kube accepts")),
    }
}

// ---------------------------------------------------------------- the check

/// A body for a failure message: runs of a repeated piece (the huge strings) shortened.
fn show(body: &[u8]) -> String {
    let text: Vec<char> = String::from_utf8_lossy(body).chars().collect();
    let mut out = String::new();
    let mut i = 0;
    'scan: while i < text.len() {
        for unit in 1..=12 {
            let piece = &text[i..(i + unit).min(text.len())];
            let mut n = 1;
            while text
                .get(i + n * unit..)
                .is_some_and(|rest| rest.starts_with(piece))
            {
                n += 1;
            }
            if n * unit > 40 {
                let piece: String = piece.iter().collect();
                out.push_str(&format!("[{n} x {piece}]"));
                i += n * unit;
                continue 'scan;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// Generates a review body from `input` and holds the guard to kube on it (see the module
/// documentation). The error names the disagreement and shows the body.
pub fn check(input: &[u8]) -> Result<(), String> {
    let doc = review(&mut Source::new(input));
    check_doc(&doc)
}

pub fn check_doc(doc: &J) -> Result<(), String> {
    let neutral = doc.render(false);
    let show = |body: &[u8]| show(body);
    let (g, k) = (guard(&neutral), kube(&neutral));
    agree(&g, &k, Skip::default()).map_err(|e| format!("{e}\nbody: {}", show(&neutral)))?;

    let marks = doc.marks();
    if marks.is_empty() {
        return Ok(());
    }
    let marked = doc.render(true);
    let (gm, km) = (guard(&marked), kube(&marked));
    let fail = |what: String| Err(format!("{what}\nmarks: {marks:?}\nbody: {}", show(&marked)));
    let guard_skips = marks.iter().any(|w| w.guard_skips());
    let guard_types = marks.contains(&Why::TypedObjectField);
    let positional = marks.contains(&Why::PositionalSpec);
    if guard_skips && km.is_ok() {
        return fail("kube accepts what the guard skips; the exception no longer holds".into());
    }
    if guard_types && gm.is_ok() {
        return fail("the guard accepts a malformed typed object field".into());
    }
    if !guard_types {
        // The guard reads nothing of what the skipped places hold.
        let skip = Skip {
            type_meta: false,
            spec_type: positional,
        };
        if let Err(e) = agree(&gm, &g, skip) {
            return fail(format!("the guard read a place it skips: {e}"));
        }
    }
    if !guard_skips {
        // kube keeps typed object fields as untyped JSON.
        let skip = Skip {
            type_meta: true,
            spec_type: true,
        };
        if let Err(e) = agree(&km, &k, skip) {
            return fail(format!("kube read a typed object field: {e}"));
        }
    }
    Ok(())
}
