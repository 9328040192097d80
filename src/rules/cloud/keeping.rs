//! Whether the agent's line fallback keeps a text as written, for a text its YAML step fails on
//! (EW007: a warning when it does, a denial when it does not).
//!
//! **Keeping every line as written** means: every line that is neither blank nor a comment is
//! one `key: value` that the fallback reads as the line means it, and nothing else reaches the
//! agent. Line by line:
//! - a line the fallback skips (no colon, nothing before it) is lost;
//! - a line that the line alone, read as YAML, makes one `key: value` is kept when the fallback
//!   reads the same key and value: `key: "nlb"` is (YAML and the fallback both give `nlb`);
//!   `key: nlb # note`, `key: 'it''s'`, `key: "a\"b"`, `"key": v`, `key: &a v` are not (the
//!   fallback keeps the comment, the doubled quote, the backslash, the key's quotes, the
//!   anchor: the agent would get a value or a key the line does not mean);
//! - a line YAML cannot read alone is kept when the fallback's split is the plain reading of
//!   it: the first colon is followed by a space (`key:a` is one word to YAML), the key is a
//!   plain YAML key, and the value opens no quote, flow collection, block, alias, anchor, tag or
//!   comment, and is no null word (`key: a: b` is kept: its value is `a: b`, which quoting it
//!   says to YAML too; `key: "nlb` is not: the fallback keeps the stray quote);
//! - a line whose value is the block below it (`key: |`, `key: >-`, or `key:` followed by more
//!   indented lines or a list) is lost, and so is every line of that block: the fallback reads
//!   `|` or an empty value for the key and splits the block's lines on their own;
//! - a key set again on a later line with another value is lost (the later line wins in the
//!   fallback); set again to the same value, nothing is lost (the fix removes the repeat);
//! - a comment holding a colon is not kept: the fallback knows no comments and reads it as an
//!   annotation whose key starts with `#`, which is no valid annotation key, so kube-apiserver
//!   refuses the gateway's Service the agent writes it to: worse than a lost line, so the same
//!   denial. A comment without a colon is skipped by the fallback (a line in its log) and was
//!   never a setting: not lost.
//! - Indentation alone loses nothing: the fallback trims it, and a mis-indented `key: value`
//!   (a tab, or two spaces under a line that has its value) is read as the line means it.
//! - A document marker (`---`, `...`) is neither blank nor a comment, and the fallback skips
//!   it: lost, as SPEC words it (a denial, whose fix removes the marker), where the text sets
//!   anything; a text of blank lines, comments and markers reads nothing, as an empty one.
//!   Between settings it also starts a second document, which the agent's YAML would read
//!   apart where the fallback reads every line: no fix is offered, since what the text means
//!   is unclear.
//!
//! When every line is kept, the fix is the text with each line YAML reads differently rewritten
//! (`key: "value"` with the value the fallback reads, indentation removed, repeats removed,
//! blank lines with tabs emptied, comments Go's YAML cannot read removed): YAML then reads the
//! fallback's map, which the guard checks by reading the fixed text, before it says so.

use std::collections::{HashMap, HashSet};

use super::super::report::quote;
use super::fallback::{FallbackEntry, FallbackResult};
use super::go::{block_scalar_start, unreadable_character};
use super::yaml::{CloudEntry, is_null, parse_yaml};

/// Lines past this are not checked one by one (a cloud-annotations text has a few dozen): they
/// count as lost, so a text the agent's YAML fails on and that long is denied.
const MAX_LINES: usize = 1024;

/// A line of the text the fallback does not keep as written, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostLine {
    /// 1-based, in the annotation's text.
    pub line: usize,
    pub why: String,
}

/// One change of the fix, by line of the annotation's text (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Write the line as this text.
    Write(usize, String),
    /// Remove the line, for this reason.
    Remove(usize, String),
}

/// The text rewritten so that YAML reads what its lines mean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub edits: Vec<Edit>,
    /// The whole fixed text.
    pub text: String,
    /// What YAML reads in the fixed text.
    pub entries: Vec<CloudEntry>,
}

/// What the fallback keeps of a text, line by line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keeping {
    /// Lines not kept as written, in line order.
    pub lost: Vec<LostLine>,
    /// Whether a line is neither blank nor a comment.
    pub has_content: bool,
    /// The fix, when every line has a plain meaning the guard can write as YAML (also when
    /// lines are lost, if only comments and values YAML reads differently are to blame).
    pub fix: Option<Fix>,
    /// Every line kept as written, and the fix's YAML reads exactly the fallback's map.
    pub keeps_every_line: bool,
}

impl Keeping {
    /// Only blank lines and comments, none of which the fallback turns into an annotation:
    /// the agent gets no annotation, as from an empty text.
    pub fn reads_nothing(&self) -> bool {
        !self.has_content && self.lost.is_empty()
    }

    /// The annotations the agent gets, as entries with the line and column the fallback reads
    /// them from, when every line is kept (a key repeated with the same value once).
    pub fn kept_entries(&self, fb: &FallbackResult) -> Vec<CloudEntry> {
        if !self.keeps_every_line {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        fb.entries
            .iter()
            .filter(|e| seen.insert(e.key.as_str()))
            .map(|e| CloudEntry {
                key: e.key.clone(),
                value: e.value.clone(),
                position: e.position,
            })
            .collect()
    }
}

/// How the line alone reads, next to the fallback's reading of it.
enum Alone {
    /// YAML reads the same key and value as the fallback.
    Same,
    /// YAML reads another key or value: the line means that (kept in the fix as it is).
    Differs(String, String, String),
    /// YAML cannot read it alone; the fallback's split is its plain reading.
    AsWritten,
    /// Neither: what it means is not plain.
    Unclear(String),
}

/// What the fallback keeps of `text`, whose YAML the agent fails on; `fb` is
/// [`super::agent_fallback`]'s reading of it.
pub fn keeping(text: &str, fb: &FallbackResult) -> Keeping {
    let lines: Vec<&str> = text.lines().collect();
    let mut entry_of: Vec<Option<&FallbackEntry>> = vec![None; lines.len()];
    for e in &fb.entries {
        if let Some(slot) = entry_of.get_mut(e.position.line - 1) {
            *slot = Some(e);
        }
    }
    let mut lost: Vec<LostLine> = Vec::new();
    let mut has_content = false;
    // The fix, line by line: the text (`None`: removed, with why), and whether it can be written.
    let mut fixed: Vec<Result<String, String>> = Vec::with_capacity(lines.len());
    let mut fixable = true;
    // What each line means, for the keys written twice.
    let mut meant: Vec<Option<(String, String)>> = vec![None; lines.len()];
    // A line whose value is the block below it, and its indentation.
    let mut block: Option<(usize, usize)> = None;
    // Lines that set something (neither blank, comment nor marker), and the document markers.
    let mut settings: Vec<usize> = Vec::new();
    let mut markers: Vec<usize> = Vec::new();

    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let t = raw.trim();
        let indent = indentation(raw);
        if t.is_empty() {
            fixed.push(Ok(if raw.bytes().all(|b| b == b' ') {
                (*raw).to_owned()
            } else {
                String::new()
            }));
            continue;
        }
        if n > MAX_LINES {
            has_content = true;
            lost.push(LostLine {
                line: n,
                why: format!(
                    "and every line after it: not checked, the guard reads at most {MAX_LINES} \
                     lines one by one"
                ),
            });
            fixable = false;
            break;
        }
        if let Some((parent, parent_indent)) = block {
            if indent > parent_indent {
                has_content |= !t.starts_with('#');
                lost.push(LostLine {
                    line: n,
                    why: format!(
                        "part of the value of line {parent}, which the fallback reads on its own{}",
                        read_as(entry_of[i])
                    ),
                });
                fixable = false;
                fixed.push(Err(String::new()));
                continue;
            }
            block = None;
        }
        if is_document_marker(t) {
            // `---` or `...`: YAML structure, no setting. The fallback skips it (a line in its
            // log); the fixed text is one map, without it.
            if let Some(e) = entry_of[i] {
                lost.push(LostLine {
                    line: n,
                    why: format!(
                        "a document marker whose comment holds a colon, which the fallback \
                         reads as the annotation {}: {}",
                        quote(&e.key),
                        quote(&e.value)
                    ),
                });
            } else {
                markers.push(n);
            }
            fixed.push(Err(
                "a document marker: the fixed text is one map".to_owned()
            ));
            continue;
        }
        if t.starts_with('#') {
            if let Some(e) = entry_of[i] {
                lost.push(LostLine {
                    line: n,
                    why: format!(
                        "a comment, which the fallback reads as the annotation {}: {}, a key \
                         kube-apiserver refuses on the gateway's Service",
                        quote(&e.key),
                        quote(&e.value)
                    ),
                });
            }
            fixed.push(if unreadable_character(raw).is_some() {
                Err("a character Go's YAML refuses".to_owned())
            } else if raw[..raw.len() - raw.trim_start().len()]
                .bytes()
                .all(|b| b == b' ')
            {
                Ok((*raw).to_owned())
            } else {
                Ok(t.to_owned())
            });
            continue;
        }
        has_content = true;
        settings.push(n);
        let Some(e) = entry_of[i] else {
            lost.push(LostLine {
                line: n,
                why: "skipped: the fallback finds no `key: value` in it".to_owned(),
            });
            fixable = false;
            fixed.push(Err(String::new()));
            continue;
        };
        if let Some(why) = opens_block(t, &lines[i + 1..], indent) {
            lost.push(LostLine {
                line: n,
                why: format!("{why}; the fallback reads {} as its value", quote(&e.value)),
            });
            fixable = false;
            fixed.push(Err(String::new()));
            block = Some((n, indent));
            continue;
        }
        match read_alone(t, e) {
            Alone::Same => {
                meant[i] = Some((e.key.clone(), e.value.clone()));
                fixed.push(Ok(if indent == 0 {
                    (*raw).to_owned()
                } else {
                    t.to_owned()
                }));
            }
            Alone::Differs(key, value, why) => {
                lost.push(LostLine { line: n, why });
                meant[i] = Some((key, value));
                fixed.push(Ok(t.to_owned()));
            }
            Alone::AsWritten => {
                meant[i] = Some((e.key.clone(), e.value.clone()));
                fixed.push(Ok(format!("{}: {}", e.key, yaml_quoted(&e.value))));
            }
            Alone::Unclear(why) => {
                lost.push(LostLine { line: n, why });
                fixable = false;
                fixed.push(Err(String::new()));
            }
        }
    }

    // A marker is a line that is neither blank nor a comment, and the fallback skips it: a
    // lost line where the text sets anything (with no setting, the text reads nothing). Between
    // settings it also starts a second document, which the agent's YAML would read apart.
    for &m in &markers {
        let (first, last) = (settings.first(), settings.last());
        if first.is_some_and(|&f| f < m) && last.is_some_and(|&l| l > m) {
            lost.push(LostLine {
                line: m,
                why: "it starts another YAML document between settings: the agent's YAML would \
                      read only the first document, its fallback skips the marker and reads \
                      every other line"
                    .to_owned(),
            });
            fixable = false;
        } else if !settings.is_empty() {
            lost.push(LostLine {
                line: m,
                why: "a YAML document marker, which the fallback skips (a line in its log)"
                    .to_owned(),
            });
        }
    }

    // A key the fallback reads again on a later line: the later value wins.
    let mut last: HashMap<&str, &FallbackEntry> = HashMap::new();
    for e in &fb.entries {
        last.insert(e.key.as_str(), e);
    }
    let already: HashSet<usize> = lost.iter().map(|l| l.line).collect();
    for e in &fb.entries {
        let Some(later) = last.get(e.key.as_str()) else {
            continue;
        };
        let line = e.position.line;
        if later.position.line != line && later.value != e.value && !already.contains(&line) {
            lost.push(LostLine {
                line,
                why: format!(
                    "its key is set again on line {}, and the fallback keeps that line's value {}",
                    later.position.line,
                    quote(&later.value)
                ),
            });
        }
    }
    lost.sort_by_key(|l| l.line);

    // The fix keeps a key's first line; a repeat with the same meaning goes, another meaning
    // leaves the choice to the user.
    let mut first: HashMap<&str, (usize, &str)> = HashMap::new();
    for (i, m) in meant.iter().enumerate() {
        let Some((key, value)) = m else { continue };
        match first.get(key.as_str()) {
            None => {
                first.insert(key, (i + 1, value));
            }
            Some((line, v)) if v == value => {
                fixed[i] = Err(format!("it repeats line {line}"));
            }
            Some(_) => fixable = false,
        }
    }

    let fix = if fixable && has_content {
        fix_of(text, &lines, fixed)
    } else {
        None
    };
    let keeps_every_line = has_content
        && lost.is_empty()
        && fix.as_ref().is_some_and(|f| {
            f.entries.len() == fb.map.len()
                && f.entries
                    .iter()
                    .all(|e| fb.map.get(&e.key).is_some_and(|v| *v == e.value))
        });
    Keeping {
        lost,
        has_content,
        fix,
        keeps_every_line,
    }
}

/// The fixed text and its edits, when YAML reads it.
fn fix_of(text: &str, lines: &[&str], fixed: Vec<Result<String, String>>) -> Option<Fix> {
    let mut edits = Vec::new();
    let mut out = String::with_capacity(text.len() + 16);
    let mut written = false;
    for (i, (raw, line)) in lines.iter().zip(fixed).enumerate() {
        match line {
            Ok(line) => {
                if line != *raw {
                    edits.push(Edit::Write(i + 1, line.clone()));
                }
                if written {
                    out.push('\n');
                }
                out.push_str(&line);
                written = true;
            }
            Err(why) => edits.push(Edit::Remove(i + 1, why)),
        }
    }
    if text.ends_with('\n') {
        out.push('\n');
    }
    let entries = parse_yaml(&out).ok()?;
    Some(Fix {
        edits,
        text: out,
        entries,
    })
}

/// Whether a trimmed line is a document marker (`---`, `...`), alone or before a comment.
fn is_document_marker(t: &str) -> bool {
    ["---", "..."].iter().any(|m| {
        t.strip_prefix(m).is_some_and(|rest| {
            rest.is_empty() || (rest.starts_with([' ', '\t']) && rest.trim_start().starts_with('#'))
        })
    })
}

/// Leading whitespace, in characters.
fn indentation(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

/// ", as KEY: VALUE" when the fallback reads a line, for a message.
fn read_as(e: Option<&FallbackEntry>) -> String {
    e.map(|e| format!(", as {}: {}", quote(&e.key), quote(&e.value)))
        .unwrap_or_default()
}

/// Why the line's value is the block below it, if it is.
fn opens_block(t: &str, rest: &[&str], indent: usize) -> Option<&'static str> {
    if block_scalar_start(t).is_some() {
        return Some("its value is a block scalar (`|` or `>`), the indented lines below it");
    }
    let (_, value) = t.split_once(':')?;
    if !value.trim().is_empty() {
        return None;
    }
    let next = rest.iter().find(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })?;
    let next_t = next.trim();
    (indentation(next) > indent || next_t == "-" || next_t.starts_with("- "))
        .then_some("its value is the nested block below it")
}

/// How YAML reads the line `t` alone, next to the fallback's reading `e` of it.
fn read_alone(t: &str, e: &FallbackEntry) -> Alone {
    match parse_yaml(t) {
        Ok(entries) if entries.len() == 1 => {
            let y = &entries[0];
            if y.key == e.key && y.value == e.value {
                Alone::Same
            } else {
                Alone::Differs(
                    y.key.clone(),
                    y.value.clone(),
                    format!(
                        "YAML reads it as {}: {}, the fallback as {}: {}",
                        quote(&y.key),
                        quote(&y.value),
                        quote(&e.key),
                        quote(&e.value)
                    ),
                )
            }
        }
        Ok(entries) => Alone::Unclear(format!(
            "YAML reads {} keys in it, the fallback one: {}: {}",
            entries.len(),
            quote(&e.key),
            quote(&e.value)
        )),
        Err(_) => as_written(t, e),
    }
}

/// Whether the fallback's split of a line YAML cannot read alone is its plain reading.
fn as_written(t: &str, e: &FallbackEntry) -> Alone {
    let after = t.split_once(':').map_or("", |(_, after)| after);
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return Alone::Unclear(format!(
            "no space after its first colon: YAML reads {} as one word, the fallback splits it \
             into {}: {}",
            quote(t),
            quote(&e.key),
            quote(&e.value)
        ));
    }
    let plain_key = matches!(
        parse_yaml(&format!("{}: x", e.key)),
        Ok(entries) if entries.len() == 1 && entries[0].key == e.key
    );
    if !plain_key {
        return Alone::Unclear(format!(
            "YAML does not read {} as a plain key, the fallback does",
            quote(&e.key)
        ));
    }
    let v = after.trim();
    if v.starts_with(['"', '\'']) {
        return Alone::Unclear(format!(
            "its value {} opens a quote it does not close as YAML reads it; the fallback keeps \
             the quote characters",
            quote(v)
        ));
    }
    let indicator = v.starts_with(['[', '{', '|', '>', '&', '*', '!', '#'])
        || ["-", "?", ":"].iter().any(|i| {
            v == *i
                || v.strip_prefix(i)
                    .is_some_and(|r| r.starts_with([' ', '\t']))
        });
    if indicator {
        return Alone::Unclear(format!(
            "its value {} starts with what YAML reads as structure, not text; the fallback \
             keeps it as text",
            quote(v)
        ));
    }
    if is_null(v) {
        return Alone::Unclear(format!(
            "its value {} is a null to YAML, the fallback keeps it as text",
            quote(v)
        ));
    }
    if v.contains(" #") || v.contains("\t#") {
        return Alone::Unclear(format!(
            "its value {} holds ' #', where YAML starts a comment; the fallback keeps the \
             comment in the value",
            quote(v)
        ));
    }
    Alone::AsWritten
}

/// `v` as a YAML double-quoted scalar that every YAML reader (Go's too) reads back as `v`:
/// `"` and `\` escaped, and every character Go's YAML refuses in a text or reads as a line
/// break written as an escape.
pub(crate) fn yaml_quoted(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::fallback::agent_fallback;
    use super::*;
    use proptest::prelude::*;

    fn keep(text: &str) -> Keeping {
        keeping(text, &agent_fallback(text))
    }

    #[test]
    fn values_with_a_colon_are_kept_and_quoted() {
        let k = keep("a.io/x: nlb\na.io/y: internal: yes\n");
        assert!(k.keeps_every_line, "{k:#?}");
        let fix = k.fix.expect("a fix");
        assert_eq!(
            fix.edits,
            vec![Edit::Write(2, "a.io/y: \"internal: yes\"".into())]
        );
        assert_eq!(fix.text, "a.io/x: nlb\na.io/y: \"internal: yes\"\n");
    }

    #[test]
    fn lines_that_mean_something_else_are_lost() {
        for (text, line, why) in [
            ("a.io/x: a: b\nno colon\n", 2, "skipped"),
            ("a.io/x: a: b\na.io/y: nlb # note\n", 2, "YAML reads it as"),
            ("a.io/x: a: b\n\"a.io/y\": v\n", 2, "YAML reads it as"),
            ("a.io/x: a: b\na.io/y: 'it''s'\n", 2, "YAML reads it as"),
            ("a.io/x: a: b\na.io/y: |\n  text\n", 2, "block scalar"),
            (
                "a.io/x: a: b\na.io/y: |\n  text\n",
                3,
                "part of the value of line 2",
            ),
            ("a.io/x: a: b\na.io/y:\n  b.io/z: w\n", 2, "nested block"),
            ("a.io/x: v\na.io/x: a: b\n", 1, "set again on line 2"),
            ("a.io/x: a: b\n# see: NET-42\n", 2, "a comment"),
            ("a.io/x: a: b\na.io/y: \"nlb\n", 2, "opens a quote"),
            ("a.io/x: a: b\na.io/y:nlb: x\n", 2, "YAML reads it as"),
            (
                "a.io/x: a: b\nhttp://x.io/y\n",
                2,
                "no space after its first colon",
            ),
            ("a.io/x: a: b\na.io/y: a: b # c\n", 2, "' #'"),
            ("a.io/x: a: b\na.io/y: [a, b\n", 2, "structure"),
        ] {
            let k = keep(text);
            assert!(!k.keeps_every_line, "{text:?}: {k:#?}");
            assert!(
                k.lost.iter().any(|l| l.line == line && l.why.contains(why)),
                "{text:?}: line {line} {why:?} in {:#?}",
                k.lost
            );
        }
    }

    #[test]
    fn what_loses_nothing() {
        for text in [
            // Indentation: a tab, or a line indented under one that has its value.
            "a.io/x: nlb\n\ta.io/y: b: c\n",
            "a.io/x: nlb\n  a.io/y: \"true\"\n",
            // The same key twice with the same value.
            "a.io/x: b: c\na.io/x: b: c\n",
            // Comments without a colon, blank lines with tabs.
            "# the gateway\na.io/x: b: c\n\t\n",
        ] {
            let k = keep(text);
            assert!(k.keeps_every_line, "{text:?}: {k:#?}");
        }
        let k = keep("a.io/x: b: c\na.io/x: b: c\n");
        assert_eq!(
            k.fix.expect("a fix").edits,
            vec![
                Edit::Write(1, "a.io/x: \"b: c\"".into()),
                Edit::Remove(2, "it repeats line 1".into())
            ]
        );
        // Only comments and blank lines: nothing to read, nothing lost.
        assert!(keep("# note\n\t# more\n\n").reads_nothing());
        // A comment with a colon is read as an annotation.
        assert!(!keep("\t# note: x\n").reads_nothing());
    }

    #[test]
    fn a_fix_also_where_only_comments_and_yaml_readings_are_lost() {
        let k = keep("a.io/x: a: b\n#a.io/y: \"true\"\na.io/z: nlb # c\n");
        assert!(!k.keeps_every_line);
        let fix = k.fix.expect("a fix");
        assert_eq!(fix.edits, vec![Edit::Write(1, "a.io/x: \"a: b\"".into())]);
        let read: Vec<(&str, &str)> = fix
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(read, vec![("a.io/x", "a: b"), ("a.io/z", "nlb")]);
    }

    #[test]
    fn quoting_reads_back() {
        for v in [
            "a: b",
            "say \"hi\": now",
            "back\\slash",
            "tab\there",
            "bell\u{7}",
            "nel\u{85}",
            "ls\u{2028}",
            "é ✓",
        ] {
            let text = format!("k: {}\n", yaml_quoted(v));
            let e = parse_yaml(&text).unwrap_or_else(|p| panic!("{text:?}: {p:?}"));
            assert_eq!(e[0].value, v, "{text:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Where the fallback keeps every line, the fix's YAML reads exactly the fallback's
        /// map; and the check that says so never has to stand in for a missing fix.
        #[test]
        fn kept_texts_have_a_fix_that_reads_the_same(
            lines in prop::collection::vec(
                prop_oneof![
                    "[a-z]{1,3}\\.io/[a-z]{1,4}(: |:|\t: )[ -~]{0,12}",
                    "[ \t]{0,2}[a-z]{1,3}\\.io/[a-z]{1,4}: [a-z]{1,3}: [a-z]{1,3}",
                    prop::sample::select(vec!["", "\t", "# c", "\t# c: d", "- x", "k: |", "  x", "---"]).prop_map(str::to_owned),
                ],
                1..6,
            )
        ) {
            let text = lines.join("\n");
            let fb = agent_fallback(&text);
            let k = keeping(&text, &fb);
            if k.has_content && k.lost.is_empty() {
                let fix = k.fix.as_ref();
                prop_assert!(fix.is_some(), "{:?}: {:#?}", text, k);
                prop_assert!(k.keeps_every_line, "{:?}: {:#?}", text, k);
            }
            if let Some(fix) = &k.fix {
                prop_assert!(parse_yaml(&fix.text).is_ok(), "{:?}", fix.text);
            }
        }
    }
}
