//! EW007..EW010 on the cloud-annotations text: one function per rule, called in order.

use std::collections::BTreeMap;

use super::super::catalog::{self, Cloud};
use super::super::config::Config;
use super::super::decision::Field;
use super::super::ids::{Level, RuleId};
use super::super::keys;
use super::super::names;
use super::super::report::{Finding, Report, quote};
use super::fallback::{AgentReading, agent_reading};
use super::has_supported_prefix;
use super::yaml::{CloudEntry, YamlProblem, parse_yaml};

fn field() -> Field {
    Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.to_owned())
}

/// A key of the map, judged once: EW008 takes the invalid ones, EW009 the valid ones outside
/// the supported prefixes, EW010 the rest.
enum Key<'e> {
    /// Not a valid annotation key, and why.
    Invalid(&'e CloudEntry, String),
    Unsupported(&'e CloudEntry),
    Supported(&'e CloudEntry),
}

/// EW007..EW010 on the annotation's text.
pub(crate) fn check(text: &str, config: &Config, out: &mut Report<'_>) {
    let entries = match parse_yaml(text) {
        Ok(entries) => entries,
        Err(problems) => {
            ew007_not_a_flat_map(text, problems, out);
            return;
        }
    };
    let keys: Vec<Key<'_>> = entries
        .iter()
        .map(|e| match names::qualified_name(&e.key) {
            Err(why) => Key::Invalid(e, why),
            Ok(()) if !has_supported_prefix(&e.key, config) => Key::Unsupported(e),
            Ok(()) => Key::Supported(e),
        })
        .collect();
    ew008_invalid_keys(&keys, out);
    ew009_unsupported_prefixes(&keys, config, out);
    ew010_lint(&keys, out);
}

/// EW007: the text is not a YAML map of string to scalar, as the agent's YAML reads it; each
/// problem says what the agent makes of the text instead.
fn ew007_not_a_flat_map(text: &str, problems: Vec<YamlProblem>, out: &mut Report<'_>) {
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
}

/// EW008: a key that is not a valid annotation key.
fn ew008_invalid_keys(keys: &[Key<'_>], out: &mut Report<'_>) {
    for key in keys {
        let Key::Invalid(entry, why) = key else {
            continue;
        };
        let key = entry.key.as_str();
        out.push(
            Finding::new(RuleId::EW008, field(), Some(key))
                .at(Some(entry.position))
                .message(format!(
                    "cloud annotation key {} (line {}) is not a valid annotation key: it {why}. \
                     Fix the key, e.g. \"service.beta.kubernetes.io/aws-load-balancer-type\"",
                    quote(key),
                    entry.position.line
                ))
                .summary(format!(
                    "cloud annotation key {} is not a valid annotation key",
                    quote(key)
                )),
        );
    }
}

/// EW009: a valid key outside the supported cloud prefixes, which the agent ignores.
fn ew009_unsupported_prefixes(keys: &[Key<'_>], config: &Config, out: &mut Report<'_>) {
    for key in keys {
        let Key::Unsupported(entry) = key else {
            continue;
        };
        let key = entry.key.as_str();
        out.push(
            Finding::new(RuleId::EW009, field(), Some(key))
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
    }
}

/// EW010: each key under a supported prefix against the catalog of what its cloud documents
/// ([`ew010_entry`]), then keys of more than one cloud in one map.
fn ew010_lint(keys: &[Key<'_>], out: &mut Report<'_>) {
    let mut clouds: BTreeMap<Cloud, &str> = BTreeMap::new();
    for key in keys {
        let Key::Supported(entry) = key else {
            continue;
        };
        ew010_entry(entry, out);
        let key = entry.key.as_str();
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

/// EW010 for one entry under a supported prefix: undocumented, deprecated, a value its cloud
/// does not document, or no value.
fn ew010_entry(entry: &CloudEntry, out: &mut Report<'_>) {
    let key = entry.key.as_str();
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
                // empty annotation; almost always a value that was forgotten, so it warns as a
                // key with listed values does.
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
