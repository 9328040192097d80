//! The agent's reading of a text its YAML step fails on: its line-by-line fallback, and what
//! the agent ends up with for each text the guard's YAML reader refuses (EW007).

use std::collections::BTreeMap;

use super::super::decision::TextPosition;
use super::yaml::{CloudEntry, YamlProblem, parse_yaml};

/// What the agent makes of a text the guard's YAML reader refuses. Not every refusal is a YAML
/// failure for the agent: an empty text is an empty map, and a second document is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentReading {
    /// YAML succeeds with no annotation (an empty text, blank lines and comments, `{}`, a
    /// null): the default, no annotation on the gateway's Service.
    Empty,
    /// YAML reads the first document (which may hold nothing) and ignores the rest, from
    /// `second_line` on, which holds something.
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
            // An empty first document: the agent reads nothing, and loses the later ones.
            Err(first_problems) if first_problems.iter().all(|p| p.position.is_none()) => {
                return AgentReading::FirstDocument {
                    entries: Vec::new(),
                    second_line: second.line,
                };
            }
            Err(_) => {}
        }
    }
    AgentReading::Fallback(agent_fallback(text))
}

/// One `key: value` the fallback reads, and where its key starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallbackEntry {
    pub key: String,
    pub value: String,
    /// The line (1-based) and the column of the key, after the line's leading whitespace.
    pub position: TextPosition,
}

/// What the agent's line-by-line fallback makes of a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FallbackResult {
    /// What the agent ends up with (a later line's key replaces an earlier one's).
    pub map: BTreeMap<String, String>,
    /// 1-based numbers of the non-empty lines it skipped (no colon, or an empty key).
    pub skipped_lines: Vec<usize>,
    /// Every line it reads, in order, including those a later line with the same key replaces.
    pub entries: Vec<FallbackEntry>,
}

/// The agent's fallback parser: per line (split at `\n`), trim the whitespace around it, split
/// at the first `:` (so ARNs and URLs keep theirs), trim both sides, remove one pair of
/// surrounding single or double quotes from the value; skip empty lines, lines without a colon
/// and lines with an empty key; later keys win. It knows nothing of YAML: not comments, not
/// indentation, not quoting beyond that pair of quotes.
pub fn agent_fallback(text: &str) -> FallbackResult {
    let mut out = FallbackResult::default();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(idx) = trimmed.find(':') else {
            out.skipped_lines.push(i + 1);
            continue;
        };
        let key = trimmed[..idx].trim();
        if key.is_empty() {
            out.skipped_lines.push(i + 1);
            continue;
        }
        let value = strip_quotes(trimmed[idx + 1..].trim());
        let indent = line.len() - line.trim_start().len();
        out.map.insert(key.to_owned(), value.to_owned());
        out.entries.push(FallbackEntry {
            key: key.to_owned(),
            value: value.to_owned(),
            position: TextPosition {
                line: i + 1,
                column: line[..indent].chars().count() + 1,
            },
        });
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
             :novalue\n\
             \t  k3: v3\n\
             k2: again\n",
        );
        assert_eq!(
            fb.map
                .get("service.beta.kubernetes.io/aws-load-balancer-ssl-cert")
                .map(String::as_str),
            Some("arn:aws:acm:us-east-1:123:certificate/x")
        );
        assert_eq!(fb.map.get("k2").map(String::as_str), Some("again"));
        assert_eq!(fb.skipped_lines, vec![2, 5]);
        assert!(agent_fallback("nothing here\nat all").map.is_empty());
        // Every line read, with where its key starts; the repeated key twice.
        let lines: Vec<(usize, usize)> = fb
            .entries
            .iter()
            .map(|e| (e.position.line, e.position.column))
            .collect();
        assert_eq!(lines, vec![(1, 1), (4, 1), (6, 4), (7, 1)]);
        assert_eq!(fb.entries[1].value, "v2");
    }
}
