//! EW007..EW010 on the cloud-annotations text: first what the agent reads (its YAML step, or
//! its line fallback where YAML fails), then one function per rule on the annotations it gets.

use super::super::catalog;
use super::super::config::Config;
use super::super::decision::{Field, Fix};
use super::super::fixes;
use super::super::ids::{Level, RuleId};
use super::super::keys;
use super::super::names;
use super::super::report::{Finding, Report, quote, shorten};
use super::fallback::{AgentReading, FallbackResult, agent_reading};
use super::has_supported_prefix;
use super::keeping::{Edit, Keeping, keeping, yaml_quoted};
use super::yaml::{CloudEntry, YamlProblem, parse_yaml};

fn field() -> Field {
    Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.to_owned())
}

/// The text the annotations the later rules judge come from, and how the agent reads it: the
/// fixes those rules offer are edits of its lines.
#[derive(Clone, Copy)]
struct Source<'t> {
    text: &'t str,
    /// Read by the agent's line fallback, which keeps every line (EW007 warns): its map is
    /// what the agent puts on the gateway's Service, so that is what EW008..EW010 judge.
    fallback: Option<&'t FallbackResult>,
    /// The EW007 fix that makes YAML read the text, where the fallback reads it.
    yaml_fix: &'t [Edit],
    /// The annotations judged.
    entries: &'t [CloudEntry],
}

impl<'t> Source<'t> {
    /// Where an entry stands, for a message: `(line 2)`, and how the agent reads it.
    fn at(self, e: &CloudEntry) -> String {
        if self.fallback.is_some() {
            format!(
                "(line {}, as the agent's line fallback reads it, since YAML fails)",
                e.position.line
            )
        } else {
            format!("(line {})", e.position.line)
        }
    }

    /// The line of an entry, and its indentation.
    fn line_of(self, e: &CloudEntry) -> (&'t str, &'t str) {
        let raw = self.text.lines().nth(e.position.line - 1).unwrap_or("");
        let indent_len = raw.len() - raw.trim_start_matches([' ', '\t']).len();
        (raw, &raw[..indent_len])
    }

    /// Whether the entry is its line and nothing else (no value on the lines below, no other
    /// entry beside it), so that rewriting or removing the line changes that entry only. Every
    /// line is one entry to the fallback.
    fn whole_line(self, e: &CloudEntry) -> bool {
        if self.fallback.is_some() {
            return true;
        }
        let (raw, _) = self.line_of(e);
        matches!(parse_yaml(raw.trim()), Ok(alone)
            if alone.len() == 1 && alone[0].key == e.key && alone[0].value == e.value)
    }

    /// The lines an entry stands on: its own, and its repeats where the fallback reads it.
    fn lines(self, e: &CloudEntry) -> Vec<usize> {
        let mut lines = vec![e.position.line];
        if let Some(fb) = self.fallback {
            lines.extend(
                fb.entries
                    .iter()
                    .filter(|x| x.key == e.key)
                    .map(|x| x.position.line),
            );
        }
        lines
    }

    /// The end of a fix where the fallback reads the text: the EW007 fix too (but on the lines
    /// the fix itself changes), so that what the fix leaves is YAML the agent reads as the
    /// fixed map. Without it, taking a line out could leave the next one indented under a
    /// key with an empty value: a nested map to YAML, and a denial.
    fn tail(self, touched: &[usize]) -> TextEdit {
        let mut out = TextEdit::default();
        if self.fallback.is_none() {
            return out;
        }
        let edits: Vec<&Edit> = self
            .yaml_fix
            .iter()
            .filter(|e| !touched.contains(&edit_line(e)))
            .collect();
        if edits.is_empty() {
            return out;
        }
        // Every step where the fix writes the text; a long text's fix is words only, capped.
        let steps = if self.text.len() <= MAX_FIX_TEXT {
            edits
                .iter()
                .map(|e| edit_step(e))
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            edits_text(&edits.iter().map(|e| (*e).clone()).collect::<Vec<_>>())
        };
        out.words
            .push(format!("so that YAML reads the text (EW007), {steps}"));
        for e in edits {
            out.ops.push(match e {
                Edit::Write(n, line) => Op::Write(*n, line.clone()),
                Edit::Remove(n, _) => Op::Remove(*n),
            });
        }
        out
    }

    /// The later lines the fallback reads the same key and value from (a repeat, which loses
    /// nothing): a fix of the key is a fix of those too.
    fn repeats(self, e: &CloudEntry, out: &mut TextEdit) {
        for x in self
            .fallback
            .into_iter()
            .flat_map(|fb| &fb.entries)
            .filter(|x| x.key == e.key && x.position.line != e.position.line)
        {
            out.words.push(format!("remove line {}", x.position.line));
            out.ops.push(Op::Remove(x.position.line));
        }
    }

    /// The fix that writes `key: value` where `e` stands: its line rewritten, at its
    /// indentation, where the entry is the whole line; else the entry in the map.
    fn write(self, e: &CloudEntry, key: &str, value: &str) -> TextEdit {
        let n = e.position.line;
        let mut out = TextEdit::default();
        if self.whole_line(e) {
            // The EW007 fix writes every line the fallback reads without its indentation.
            let (_, indent) = self.line_of(e);
            let indent = if self.fallback.is_some() { "" } else { indent };
            let text = format!("{indent}{}", line(key, value));
            out.words.push(format!("write line {n} as `{text}`"));
            out.ops.push(Op::Write(n, text));
            self.repeats(e, &mut out);
        } else {
            out.words.push(if key != e.key {
                format!("rename the key {} (line {n}) to \"{key}\"", quote(&e.key))
            } else {
                format!("set {} (line {n}) to {}", quote(key), yaml_quoted(value))
            });
            out.ops.push(Op::Map {
                remove: e.key.clone(),
                set: Some((key.to_owned(), value.to_owned())),
            });
        }
        out
    }

    /// The fix that removes the entry `e`.
    fn remove(self, e: &CloudEntry) -> TextEdit {
        let mut out = TextEdit::default();
        if self.whole_line(e) {
            out.words.push(format!("remove line {}", e.position.line));
            out.ops.push(Op::Remove(e.position.line));
            self.repeats(e, &mut out);
        } else {
            out.words.push(format!(
                "remove {} (line {}) with its value",
                quote(&e.key),
                e.position.line
            ));
            out.ops.push(Op::Map {
                remove: e.key.clone(),
                set: None,
            });
        }
        out
    }

    /// The fix that adds `key: value` to the map, after `beside`'s line and at its
    /// indentation (the end of the text may be past the map: a `---`).
    fn add(self, beside: &CloudEntry, key: &str, value: &str) -> TextEdit {
        let mut out = TextEdit::default();
        if self.whole_line(beside) {
            let (_, indent) = self.line_of(beside);
            let indent = if self.fallback.is_some() { "" } else { indent };
            let text = format!("{indent}{}", line(key, value));
            out.words.push(format!(
                "add the line `{text}` after line {}",
                beside.position.line
            ));
            out.ops.push(Op::InsertAfter(beside.position.line, text));
        } else {
            out.words
                .push(format!("add `{}` to the map", line(key, value)));
            out.ops.push(Op::Map {
                remove: String::new(),
                set: Some((key.to_owned(), value.to_owned())),
            });
        }
        out
    }

    /// The finding's [`Fix`]: the annotation written with the text `edit` leaves (the first
    /// way, where `edit` offers several), its steps in words beside it. A text that the steps
    /// would not leave readable YAML of (which the tests rule out) gets the steps as advice.
    fn fix(self, edit: TextEdit, also: &str) -> Fix {
        let mut words = edit.words.join("; ");
        if !also.is_empty() {
            words = format!("{words}, {also}");
        }
        match edit.apply(self.text, self.entries) {
            Some(text) => text_fix(text, format!("in the annotation's text: {words}")),
            None => Fix::advice(format!("in the annotation's text: {words}")),
        }
    }
}

/// A fixed text longer than this is not written into the fix (every finding would carry a
/// copy, and a message a command of that size): the fix is then its steps, in words.
const MAX_FIX_TEXT: usize = 2048;

/// The fix that writes `text` as the annotation, with `note` (its steps in words); only the
/// steps where the text is long.
fn text_fix(text: String, note: String) -> Fix {
    if text.len() > MAX_FIX_TEXT {
        Fix::advice(note)
    } else {
        Fix::edits(vec![fixes::set(field(), text)]).with_note(note)
    }
}

/// A change of one line of the annotation's text, or of one entry of its map where the entry
/// is not a line of its own (a flow map, a value over several lines).
#[derive(Clone, Debug)]
enum Op {
    Write(usize, String),
    Remove(usize),
    InsertAfter(usize, String),
    /// Remove the key `remove` (none: empty) and set `set`; the text is then written anew,
    /// one `key: "value"` per line.
    Map {
        remove: String,
        set: Option<(String, String)>,
    },
}

/// A fix of the annotation's text: the changes, and the words that say them.
#[derive(Clone, Debug, Default)]
struct TextEdit {
    ops: Vec<Op>,
    words: Vec<String>,
}

impl TextEdit {
    fn then(mut self, other: TextEdit) -> Self {
        self.ops.extend(other.ops);
        self.words.extend(other.words);
        self
    }

    /// The text after the changes, where YAML reads it.
    fn apply(&self, text: &str, entries: &[CloudEntry]) -> Option<String> {
        let out = if self.ops.iter().any(|o| matches!(o, Op::Map { .. })) {
            let mut map: Vec<(String, String)> = entries
                .iter()
                .map(|e| (e.key.clone(), e.value.clone()))
                .collect();
            for op in &self.ops {
                if let Op::Map { remove, set } = op {
                    map.retain(|(k, _)| k != remove);
                    if let Some((k, v)) = set {
                        map.retain(|(key, _)| key != k);
                        map.push((k.clone(), v.clone()));
                    }
                }
            }
            map.iter()
                .map(|(k, v)| format!("{}: {}\n", yaml_key(k), yaml_quoted(v)))
                .collect()
        } else {
            let lines: Vec<&str> = text.lines().collect();
            let mut written: Vec<Option<String>> =
                lines.iter().map(|l| Some((*l).to_owned())).collect();
            let mut added: Vec<Vec<&str>> = vec![Vec::new(); lines.len() + 1];
            for op in &self.ops {
                match op {
                    Op::Write(n, t) => {
                        if let Some(slot) = written.get_mut(n - 1)
                            && slot.is_some()
                        {
                            *slot = Some(t.clone());
                        }
                    }
                    Op::Remove(n) => {
                        if let Some(slot) = written.get_mut(n - 1) {
                            *slot = None;
                        }
                    }
                    Op::InsertAfter(n, t) => added[(*n).min(lines.len())].push(t),
                    Op::Map { .. } => {}
                }
            }
            let mut out: Vec<String> = added[0].iter().map(|l| (*l).to_owned()).collect();
            for (i, line) in written.into_iter().enumerate() {
                out.extend(line);
                out.extend(added[i + 1].iter().map(|l| (*l).to_owned()));
            }
            let any_line = !out.is_empty();
            let mut out = out.join("\n");
            if any_line {
                out.push('\n');
            }
            out
        };
        // An empty text, or only comments, is fine too: no annotation, as without it.
        let readable = match parse_yaml(&out) {
            Ok(_) => true,
            Err(problems) => agent_reading(&out, &problems) == AgentReading::Empty,
        };
        readable.then_some(out)
    }
}

/// A key as YAML writes it: plain where YAML reads it back the same, else double-quoted.
fn yaml_key(k: &str) -> String {
    match parse_yaml(&format!("{k}: x")) {
        Ok(e) if e.len() == 1 && e[0].key == k => k.to_owned(),
        _ => yaml_quoted(k),
    }
}

/// A key of the map, judged once: EW008 takes the invalid ones, EW009 the valid ones outside
/// the documented prefixes, EW010 the rest.
enum Key<'e> {
    /// Not a valid annotation key, and why.
    Invalid(&'e CloudEntry, String),
    Undocumented(&'e CloudEntry),
    Supported(&'e CloudEntry),
}

/// EW007..EW010 on the annotation's text.
pub(crate) fn check(text: &str, config: &Config, out: &mut Report<'_>) {
    let problems = match parse_yaml(text) {
        Ok(entries) => {
            let source = Source {
                text,
                fallback: None,
                yaml_fix: &[],
                entries: &[],
            };
            check_entries(&entries, source, config, out);
            return;
        }
        Err(problems) => problems,
    };
    match agent_reading(text, &problems) {
        // No annotation for the agent, the same as without the annotation: an empty text (a
        // Helm chart renders an unset value as ""), blank lines and comments, `{}`, a null.
        AgentReading::Empty => {}
        AgentReading::FirstDocument {
            entries,
            second_line,
        } => ew007_later_documents(text, problems, &entries, second_line, out),
        AgentReading::Fallback(fb) => {
            let keeping = keeping(text, &fb);
            if keeping.reads_nothing() {
                // Blank lines and comments that Go's YAML cannot read (a tab before them): the
                // fallback finds nothing either, as in an empty text.
                return;
            }
            if keeping.keeps_every_line {
                ew007_fallback_keeps_every_line(text, &problems, &fb, &keeping, out);
                let source = Source {
                    text,
                    fallback: Some(&fb),
                    yaml_fix: keeping.fix.as_ref().map_or(&[], |f| f.edits.as_slice()),
                    entries: &[],
                };
                check_entries(&keeping.kept_entries(&fb), source, config, out);
            } else {
                ew007_fallback_loses_lines(text, &problems, &fb, &keeping, out);
            }
        }
    }
}

/// EW008..EW010 on the annotations the agent gets.
fn check_entries(
    entries: &[CloudEntry],
    source: Source<'_>,
    config: &Config,
    out: &mut Report<'_>,
) {
    let source = Source { entries, ..source };
    let keys: Vec<Key<'_>> = entries
        .iter()
        .map(|e| match names::qualified_name(&e.key) {
            Err(why) => Key::Invalid(e, why),
            Ok(()) if !has_supported_prefix(&e.key, config) => Key::Undocumented(e),
            Ok(()) => Key::Supported(e),
        })
        .collect();
    ew008_invalid_keys(&keys, source, out);
    ew009_undocumented_prefixes(&keys, source, config, out);
    ew010_lint(&keys, source, out);
}

/// ` at line 2, column 5` for a problem with a position.
fn at(p: &YamlProblem) -> String {
    p.position
        .map(|p| format!(" at line {}, column {}", p.line, p.column))
        .unwrap_or_default()
}

/// The first problem, and how many more there are, for a message.
fn problems_text(problems: &[YamlProblem]) -> String {
    let Some(first) = problems.first() else {
        return String::new();
    };
    let mut text = format!("{}{}", first.what, at(first));
    match problems.len() {
        1 => {}
        2 => text.push_str(&format!(
            " (and 1 more YAML problem: {}{})",
            problems[1].what,
            at(&problems[1])
        )),
        n => text.push_str(&format!(
            " (and {} more YAML problems, the next: {}{})",
            n - 1,
            problems[1].what,
            at(&problems[1])
        )),
    }
    text
}

/// EW007: more than one YAML document. The agent's YAML reads the first and succeeds, so no
/// fallback is involved: everything after it is silently lost.
fn ew007_later_documents(
    text: &str,
    problems: Vec<YamlProblem>,
    entries: &[CloudEntry],
    second_line: usize,
    out: &mut Report<'_>,
) {
    let mut pairs = entries.iter().map(|e| (e.key.as_str(), e.value.as_str()));
    let reading = if entries.is_empty() {
        format!(
            "The agent's YAML would read no annotation at all, and ignore everything from line \
             {second_line} on"
        )
    } else {
        format!(
            "The agent's YAML would silently use {{{}}} and ignore everything from line \
             {second_line} on",
            listed(&mut pairs)
        )
    };
    // The fix: every annotation in the first document, the document markers removed.
    let markers: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_end();
            ["---", "..."].iter().any(|m| {
                t == *m
                    || t.strip_prefix(m)
                        .is_some_and(|r| r.starts_with([' ', '\t']))
            })
        })
        .map(|(i, _)| i + 1)
        .collect();
    let edit = TextEdit {
        words: markers.iter().map(|n| format!("remove line {n}")).collect(),
        ops: markers.iter().map(|n| Op::Remove(*n)).collect(),
    };
    // Only where the merged map holds valid keys: the fix must deny nothing new.
    let valid = |fixed: &String| {
        parse_yaml(fixed).is_ok_and(|entries| {
            entries
                .iter()
                .all(|e| names::qualified_name(&e.key).is_ok())
        })
    };
    let fix = match edit.apply(text, &[]).filter(valid) {
        Some(fixed) => text_fix(
            fixed,
            format!(
                "every annotation in the first document: in the annotation's text, {}",
                shorten(&edit.words.join("; "), 400)
            ),
        ),
        None => Fix::advice(
            "put every annotation in the first document (remove the `---` lines), one \
             `key: value` per line",
        ),
    };
    for p in problems {
        let at = at(&p);
        out.push(
            Finding::new(RuleId::EW007, field(), Some(text))
                .at(p.position)
                .message(format!(
                    "annotation {} {}{at}. Expected a YAML map of annotation keys to string \
                     values, one `key: value` per line. {reading}",
                    keys::GATEWAY_CLOUD_ANNOTATIONS,
                    p.what
                ))
                .summary(format!("cloud annotations {}{at}", p.what))
                .fix(fix.clone()),
        );
    }
}

/// EW007 as a warning: YAML fails, and the agent's line fallback keeps every line as written
/// (`keeping.rs` says what that means), so the agent gets what the text says. The fix makes
/// YAML read the same.
fn ew007_fallback_keeps_every_line(
    text: &str,
    problems: &[YamlProblem],
    fb: &FallbackResult,
    keeping: &Keeping,
    out: &mut Report<'_>,
) {
    let Some(fix) = &keeping.fix else { return };
    let first = problems.first();
    let mut pairs = fb.map.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let edits = edits_text(&fix.edits);
    out.push(
        Finding::new(RuleId::EW007, field(), Some(text))
            .level(Level::Warn)
            .at(first.and_then(|p| p.position))
            .message(format!(
                "annotation {} {}. The agent's YAML parser fails on it, so the agent falls back \
                 to reading `key: value` lines, which keeps every line as written: {{{}}} (the \
                 other cloud annotation rules judge those, since the agent uses them). Quote the \
                 value so that YAML reads the same",
                keys::GATEWAY_CLOUD_ANNOTATIONS,
                problems_text(problems),
                listed(&mut pairs)
            ))
            .summary(format!(
                "cloud annotations {}{}, but the agent's line fallback keeps every line",
                first.map_or("", |p| p.what.as_str()),
                first.map(at).unwrap_or_default(),
            ))
            .fix(text_fix(
                fix.text.clone(),
                format!("in the annotation's text: {edits}"),
            )),
    );
}

/// EW007 as a denial: YAML fails, and the agent's line fallback loses a line (or reads
/// nothing): the message says what it would use and what it loses.
fn ew007_fallback_loses_lines(
    text: &str,
    problems: &[YamlProblem],
    fb: &FallbackResult,
    keeping: &Keeping,
    out: &mut Report<'_>,
) {
    const SHOWN: usize = 5;
    let first = problems.first();
    let reading = if fb.map.is_empty() {
        "would find no annotation at all, and the gateway would get none".to_owned()
    } else {
        let mut pairs = fb.map.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        format!("would silently use {{{}}}", listed(&mut pairs))
    };
    let mut lost: Vec<String> = keeping
        .lost
        .iter()
        .take(SHOWN)
        .map(|l| format!("line {} ({})", l.line, l.why))
        .collect();
    if keeping.lost.len() > SHOWN {
        lost.push(format!("{} more lines", keeping.lost.len() - SHOWN));
    }
    let fix = match &keeping.fix {
        Some(fix)
            if fix
                .entries
                .iter()
                .all(|e| names::qualified_name(&e.key).is_ok()) =>
        {
            let mut pairs = fix
                .entries
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_str()));
            text_fix(
                fix.text.clone(),
                format!(
                    "in the annotation's text: {}; YAML then reads {{{}}}",
                    edits_text(&fix.edits),
                    listed(&mut pairs)
                ),
            )
        }
        _ => Fix::advice(
            "write the text as one `key: value` per line, each value on its own line, quoted \
             where it holds ': ' or ' #' or starts with a quote",
        ),
    };
    out.push(
        Finding::new(RuleId::EW007, field(), Some(text))
            .at(first.and_then(|p| p.position))
            .message(format!(
                "annotation {} {}. Expected a YAML map of annotation keys to string values, one \
                 `key: value` per line. The agent's YAML parser fails on it, so the agent falls \
                 back to reading `key: value` lines, which {reading}, and loses {}",
                keys::GATEWAY_CLOUD_ANNOTATIONS,
                problems_text(problems),
                lost.join(", ")
            ))
            .summary(format!(
                "cloud annotations {}{}; the agent's line fallback loses line {}",
                first.map_or("", |p| p.what.as_str()),
                first.map(at).unwrap_or_default(),
                keeping
                    .lost
                    .iter()
                    .take(SHOWN)
                    .map(|l| l.line.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .fix(fix),
    );
}

/// The line an edit changes.
fn edit_line(e: &Edit) -> usize {
    match e {
        Edit::Write(n, _) | Edit::Remove(n, _) => *n,
    }
}

/// An edit as a step of a fix.
fn edit_step(e: &Edit) -> String {
    match e {
        Edit::Write(n, line) if line.is_empty() => format!("make line {n} empty"),
        Edit::Write(n, line) => format!("write line {n} as `{}`", shorten(line, 400)),
        Edit::Remove(n, why) if why.is_empty() => format!("remove line {n}"),
        Edit::Remove(n, why) => format!("remove line {n} ({why})"),
    }
}

/// The fix's edits, for a message.
fn edits_text(edits: &[Edit]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = edits.iter().take(SHOWN).map(edit_step).collect();
    if edits.len() > SHOWN {
        parts.push(format!(
            "and {} more lines as the others",
            edits.len() - SHOWN
        ));
    }
    parts.join("; ")
}

/// Pairs as a message shows them: at most ten, then how many more.
fn listed(pairs: &mut dyn ExactSizeIterator<Item = (&str, &str)>) -> String {
    const SHOWN: usize = 10;
    let more = pairs.len().saturating_sub(SHOWN);
    let mut shown: Vec<String> = pairs
        .take(SHOWN)
        .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
        .collect();
    if more > 0 {
        shown.push(format!("and {more} more"));
    }
    shown.join(", ")
}

/// EW008: a key that is not a valid annotation key.
fn ew008_invalid_keys(keys: &[Key<'_>], source: Source<'_>, out: &mut Report<'_>) {
    for key in keys {
        let Key::Invalid(entry, why) = key else {
            continue;
        };
        let key = entry.key.as_str();
        out.push(
            Finding::new(RuleId::EW008, field(), Some(key))
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation key {} {} is not a valid annotation key: it {why}, so \
                     kube-apiserver would refuse the gateway's Service carrying it",
                    quote(key),
                    source.at(entry),
                ))
                .summary(format!(
                    "cloud annotation key {} is not a valid annotation key",
                    quote(key)
                ))
                .fix(source.fix(
                    source.remove(entry).then(source.tail(&source.lines(entry))),
                    &format!(
                        "or write a valid key on line {} instead (e.g. \
                         \"service.beta.kubernetes.io/aws-load-balancer-type\")",
                        entry.position.line
                    ),
                )),
        );
    }
}

/// EW009: a valid key outside the documented prefixes. The agent's documentation lists those
/// as supported and says nothing of the others, and other controllers' keys (external-dns,
/// MetalLB) are common there: a warning that names the list, never a claim that the agent
/// drops the key.
fn ew009_undocumented_prefixes(
    keys: &[Key<'_>],
    source: Source<'_>,
    config: &Config,
    out: &mut Report<'_>,
) {
    for key in keys {
        let Key::Undocumented(entry) = key else {
            continue;
        };
        let key = entry.key.as_str();
        out.push(
            Finding::new(RuleId::EW009, field(), Some(key))
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation key {} {} is outside the prefixes the agent documents as \
                     supported ({}). Keys of other controllers that read the gateway's Service \
                     (external-dns, MetalLB and others) are common there; check that this one \
                     is meant for it",
                    quote(key),
                    source.at(entry),
                    config.cloud_annotation_prefixes.join(", "),
                ))
                .summary(format!(
                    "cloud annotation key {} is outside the documented cloud prefixes",
                    quote(key)
                ))
                .fix(source.fix(
                    source.remove(entry).then(source.tail(&source.lines(entry))),
                    "where no controller of the gateway's Service reads the key; where one \
                     does, keep it and add its prefix with --cloud-annotation-prefix to stop \
                     this warning",
                )),
        );
    }
}

/// EW010: each key under a documented prefix against the catalog of what its provider
/// documents ([`ew010_entry`]), then the AWS keys against the controller that reconciles the
/// gateway's Service ([`ew010_aws_controller`]). Keys of several clouds in one map are fine: a
/// Namespace manifest shared by clusters on two clouds carries both, and each cloud's
/// controller reads only its own.
fn ew010_lint(keys: &[Key<'_>], source: Source<'_>, out: &mut Report<'_>) {
    let supported: Vec<&CloudEntry> = keys
        .iter()
        .filter_map(|k| match k {
            Key::Supported(e) => Some(*e),
            _ => None,
        })
        .collect();
    for entry in &supported {
        ew010_entry(entry, &supported, source, out);
    }
    ew010_aws_controller(&supported, source, out);
}

/// `key: value` as a line of the text, for a fix.
fn line(key: &str, value: &str) -> String {
    format!("{key}: {}", yaml_quoted(value))
}

/// EW010 for one entry: a near miss of a documented key of its family, a value its provider
/// does not document, no value, a deprecated key.
fn ew010_entry(entry: &CloudEntry, all: &[&CloudEntry], source: Source<'_>, out: &mut Report<'_>) {
    let key = entry.key.as_str();
    let n = entry.position.line;
    let Some(doc) = catalog::lookup(key) else {
        if catalog::is_documented(key) {
            return;
        }
        // A key no catalogued provider documents: a finding only for a near miss of one of its
        // family's documented keys (a typo). Anything else may be a provider the catalog does
        // not know (DigitalOcean, OCI, IBM, Alibaba keys under the same prefixes), or a key
        // newer than the catalog: no finding.
        let Some((near, distance)) = catalog::near_documented(key) else {
            return;
        };
        if out.is_full(RuleId::EW010, Level::Warn) {
            out.push(Finding::counted(RuleId::EW010, field()).level(Level::Warn));
            return;
        }
        let (edit, also) = match all.iter().find(|e| e.key == near.key) {
            Some(set) => (
                source.remove(entry),
                format!("line {} already sets \"{}\"", set.position.line, near.key),
            ),
            None => (source.write(entry, near.key, &entry.value), String::new()),
        };
        let fix = source.fix(edit.then(source.tail(&source.lines(entry))), &also);
        out.push(
            Finding::new(RuleId::EW010, field(), Some(key))
                .level(Level::Warn)
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation key {} {} is not one {} documents for LoadBalancer \
                     Services, and is {distance} edit{} from the documented \"{}\": a typo? \
                     The load balancer's controller acts only on the keys it knows",
                    quote(key),
                    source.at(entry),
                    near.cloud.name(),
                    if distance == 1 { "" } else { "s" },
                    near.key,
                ))
                .summary(format!(
                    "cloud annotation {}: did you mean \"{}\"?",
                    quote(key),
                    near.key
                ))
                .fix(fix),
        );
        return;
    };
    if let Some(by) = doc.replaced_by {
        out.push(
            Finding::new(RuleId::EW010, field(), Some(key))
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation key {} {} is deprecated: use \"{by}\" instead",
                    quote(key),
                    source.at(entry),
                ))
                .summary(format!("{} is deprecated: use {by}", quote(key)))
                .fix(
                    source.fix(
                        source
                            .write(entry, by, &entry.value)
                            .then(source.tail(&source.lines(entry))),
                        "",
                    ),
                ),
        );
    }
    if !doc.values.accepts(&entry.value) {
        let tail = source.tail(&source.lines(entry));
        let fix = match doc.values.nearest(&entry.value) {
            Some(v) => source.fix(source.write(entry, key, &v).then(tail), ""),
            None => {
                let examples = doc.values.examples();
                let others: Vec<String> = examples
                    .iter()
                    .skip(1)
                    .flat_map(|v| source.write(entry, key, v).words)
                    .collect();
                let also = if others.is_empty() {
                    format!("({})", doc.values.describe())
                } else {
                    format!("or {} ({})", others.join(", or "), doc.values.describe())
                };
                match examples.first() {
                    Some(v) => source.fix(source.write(entry, key, v).then(tail), &also),
                    None => Fix::advice(format!("write a value: {}", doc.values.describe())),
                }
            }
        };
        out.push(
            Finding::new(RuleId::EW010, field(), Some(&entry.value))
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation {} {} has the value {}, which {} does not document; \
                     expected {}",
                    quote(key),
                    source.at(entry),
                    quote(&entry.value),
                    doc.cloud.name(),
                    doc.values.describe(),
                ))
                .summary(format!(
                    "{} = {}: expected {}",
                    key.rsplit('/').next().unwrap_or(key),
                    quote(&entry.value),
                    doc.values.describe()
                ))
                .fix(fix),
        );
    } else if entry.value.is_empty() {
        // `key:` with nothing after it: YAML's null, which the agent writes as an empty
        // annotation; almost always a value that was forgotten, so it warns as a key with
        // listed values does.
        out.push(
            Finding::new(RuleId::EW010, field(), Some(""))
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation {} {} has no value, so the gateway's Service gets it as \
                     an empty annotation",
                    quote(key),
                    source.at(entry),
                ))
                .summary(format!(
                    "{} has no value",
                    key.rsplit('/').next().unwrap_or(key)
                ))
                .fix(source.fix(
                    source.remove(entry).then(source.tail(&source.lines(entry))),
                    &format!(
                        "or give it the value {} documents on line {n}",
                        doc.cloud.name()
                    ),
                )),
        );
    }
}

const AWS_TYPE: &str = "service.beta.kubernetes.io/aws-load-balancer-type";
const AWS_SCHEME: &str = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const AWS_INTERNAL: &str = "service.beta.kubernetes.io/aws-load-balancer-internal";

/// What Go's `strconv.ParseBool` (the AWS Load Balancer Controller's boolean annotations) makes
/// of a value.
fn go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// EW010 for the AWS keys that decide whether the load balancer is internal: which of them
/// apply depends on the controller that reconciles the gateway's Service.
///
/// `aws-load-balancer-type` `external` or `nlb-ip` hands it to the AWS Load Balancer
/// Controller (the in-tree provider skips those); there `aws-load-balancer-scheme` decides,
/// `aws-load-balancer-internal` still works but is deprecated (and yields to the scheme). With
/// `nlb` or no type, the in-tree provider reconciles it, or the Load Balancer Controller 2.5+
/// when its webhook has set the Service's `loadBalancerClass`: the in-tree provider reads only
/// `aws-load-balancer-internal` (internal unless empty or `"false"`) and ignores the scheme;
/// the controller reads the scheme first, then `aws-load-balancer-internal` (a Go boolean).
/// So there `aws-load-balancer-internal` is the key both honour (no finding), and a scheme
/// that `aws-load-balancer-internal` does not match means a different load balancer under each.
fn ew010_aws_controller(entries: &[&CloudEntry], source: Source<'_>, out: &mut Report<'_>) {
    let get = |key: &str| entries.iter().find(|e| e.key == key).copied();
    let (ty, scheme, internal) = (get(AWS_TYPE), get(AWS_SCHEME), get(AWS_INTERNAL));
    let lbc = ty.is_some_and(|t| matches!(t.value.as_str(), "external" | "nlb-ip"));
    let warn =
        |entry: &CloudEntry, message: String, summary: String, fix: Fix, out: &mut Report<'_>| {
            out.push(
                Finding::new(RuleId::EW010, field(), Some(&entry.value))
                    .at(Some(entry.position))
                    .message(message)
                    .summary(summary)
                    .fix(fix),
            );
        };
    if lbc {
        let (Some(internal), Some(ty)) = (internal, ty) else {
            return;
        };
        let tail = source.tail(&source.lines(internal));
        let fix = match scheme {
            Some(s) => source.fix(
                source.remove(internal).then(tail),
                &format!(
                    "the scheme on line {} is what the controller uses",
                    s.position.line
                ),
            ),
            None => {
                let to = if go_bool(&internal.value) == Some(false) {
                    "internet-facing"
                } else {
                    "internal"
                };
                source.fix(source.write(internal, AWS_SCHEME, to).then(tail), "")
            }
        };
        let not_bool = if go_bool(&internal.value).is_none() {
            format!(
                ", and its value {} is no boolean, which the controller refuses",
                quote(&internal.value)
            )
        } else {
            String::new()
        };
        warn(
            internal,
            format!(
                "cloud annotation \"{AWS_INTERNAL}\" {} is deprecated in the AWS Load Balancer \
                 Controller, which reconciles the gateway's Service (\"{AWS_TYPE}\" is {}): use \
                 \"{AWS_SCHEME}\" instead{not_bool}",
                source.at(internal),
                quote(&ty.value)
            ),
            format!(
                "aws-load-balancer-internal is deprecated with type {}: use aws-load-balancer-scheme",
                quote(&ty.value)
            ),
            fix,
            out,
        );
        return;
    }
    let under = match ty {
        Some(t) => format!("\"{AWS_TYPE}\" is {}", quote(&t.value)),
        None => format!("no \"{AWS_TYPE}\""),
    };
    // The in-tree provider: internal unless the value is empty or "false".
    let in_tree_internal = |e: &CloudEntry| !e.value.is_empty() && e.value != "false";
    match (scheme, internal) {
        (Some(s), None) if s.value == "internal" => {
            let type_fix = match ty {
                Some(t) => source.write(t, AWS_TYPE, "external"),
                None => source.add(s, AWS_TYPE, "external"),
            }
            .words
            .join("; ");
            let fix = source.fix(
                source.add(s, AWS_INTERNAL, "true").then(source.tail(&[])),
                &format!(
                    "which both controllers honour; or, if the AWS Load Balancer Controller is \
                     installed, {type_fix}"
                ),
            );
            warn(
                s,
                format!(
                    "cloud annotation \"{AWS_SCHEME}\": \"internal\" {} is ignored by the in-tree \
                     AWS provider, which reconciles the gateway's Service ({under}) unless the \
                     AWS Load Balancer Controller 2.5+ takes it through the loadBalancerClass \
                     its webhook sets: the load balancer may come up internet-facing",
                    source.at(s),
                ),
                "aws-load-balancer-scheme is ignored by the in-tree AWS provider: add \
                 aws-load-balancer-internal: \"true\""
                    .to_owned(),
                fix,
                out,
            );
        }
        (Some(s), Some(i)) if s.value == "internal" && !in_tree_internal(i) => warn(
            i,
            format!(
                "cloud annotation \"{AWS_INTERNAL}\": {} {} makes the load balancer \
                 internet-facing under the in-tree AWS provider, which reconciles the gateway's \
                 Service ({under}), while \"{AWS_SCHEME}\": \"internal\" (line {}) makes it \
                 internal under the AWS Load Balancer Controller",
                quote(&i.value),
                source.at(i),
                s.position.line,
            ),
            "aws-load-balancer-internal and aws-load-balancer-scheme disagree".to_owned(),
            source.fix(
                source
                    .write(i, AWS_INTERNAL, "true")
                    .then(source.tail(&source.lines(i))),
                "",
            ),
            out,
        ),
        (Some(s), Some(i)) if s.value == "internet-facing" && in_tree_internal(i) => warn(
            i,
            format!(
                "cloud annotation \"{AWS_INTERNAL}\": {} {} makes the load balancer internal \
                 under the in-tree AWS provider, which reconciles the gateway's Service \
                 ({under}), while \"{AWS_SCHEME}\": \"internet-facing\" (line {}) makes it \
                 internet-facing under the AWS Load Balancer Controller",
                quote(&i.value),
                source.at(i),
                s.position.line,
            ),
            "aws-load-balancer-internal and aws-load-balancer-scheme disagree".to_owned(),
            source.fix(
                source.remove(s).then(source.tail(&source.lines(s))),
                &format!(
                    "for an internal load balancer; or, for an internet-facing one, {}",
                    source.remove(i).words.join("; ")
                ),
            ),
            out,
        ),
        _ => {}
    }
}
