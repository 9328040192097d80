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
pub fn parse_yaml(text: &str) -> Result<Vec<CloudEntry>, Vec<YamlProblem>> {
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
    let mut expect = Expect::Key;

    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(ev) => ev,
            Err(e) => {
                let m = e.marker();
                problems.push(YamlProblem {
                    what: format!("is not valid YAML: {}", e.info()),
                    position: Some(TextPosition {
                        line: m.line(),
                        column: m.col() + 1,
                    }),
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
                    problems.push(YamlProblem {
                        what: "holds more than one YAML document ('---'); the agent reads only \
                               the first: put every annotation in one map"
                            .into(),
                        position: Some(at),
                    });
                }
            }
            _ if documents > 1 => {}
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
            Event::Scalar(raw, style, anchor, _) => {
                let value = if style == ScalarStyle::Plain && is_null(&raw) {
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

fn is_null(s: &str) -> bool {
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

/// EW007..EW010 on the annotation's text.
pub(crate) fn check(text: &str, config: &super::Config, out: &mut Report<'_>) {
    let field = || Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.to_owned());
    let entries = match parse_yaml(text) {
        Ok(entries) => entries,
        Err(problems) => {
            let fallback = describe_fallback(text);
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
                             string values, one `key: value` per line. {fallback}",
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
        if !config
            .cloud_annotation_prefixes
            .iter()
            .any(|p| key.starts_with(p.as_str()))
        {
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
                    "cloud annotations mix {} clouds; keep one",
                    clouds.len()
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
            }
        }
    }
}

/// "The agent's fallback would see …" for an EW007 message.
fn describe_fallback(text: &str) -> String {
    let fb = agent_fallback(text);
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
            "The agent's line-by-line fallback would find no annotation at all{skipped}, and the gateway would get none"
        )
    } else {
        const SHOWN: usize = 10;
        let mut shown: Vec<String> = fb
            .map
            .iter()
            .take(SHOWN)
            .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
            .collect();
        if fb.map.len() > SHOWN {
            shown.push(format!("and {} more", fb.map.len() - SHOWN));
        }
        format!(
            "The agent's line-by-line fallback would silently use {{{}}}{skipped}",
            shown.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn anchors_and_aliases_of_scalars() {
        let e = parse_yaml("a.io/x: &v nlb\nb.io/y: *v\n").unwrap();
        assert_eq!(e[1].value, "nlb");
    }
}
