//! The agent's reading of a text its YAML step fails on: its line-by-line fallback, and what
//! the agent ends up with for each text the guard refuses (EW007).

use std::collections::BTreeMap;

use super::yaml::{CloudEntry, YamlProblem, parse_yaml};

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
}
