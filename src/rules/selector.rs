//! The gateway workload selector: `k=v[,k=v]...` (EW005), and the `app` key the gateway name
//! derives from (EW006).

use super::names;

/// A parsed, valid workload selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSelector {
    pub pairs: Vec<(String, String)>,
}

impl WorkloadSelector {
    /// The value of the `app` key, from which the gateway name is derived.
    pub fn app(&self) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == "app")
            .map(|(_, v)| v.as_str())
    }
}

/// One thing wrong with a selector, in words, with a corrected form where one is obvious.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorProblem {
    pub what: String,
}

/// Parses a selector, collecting every problem rather than stopping at the first.
pub fn parse(raw: &str) -> Result<WorkloadSelector, Vec<SelectorProblem>> {
    let mut problems = Vec::new();
    let mut problem = |what: String| problems.push(SelectorProblem { what });

    if raw.trim().is_empty() {
        problem(
            "is empty; write k=v[,k=v]..., e.g. \"app=east-west-gateway\", or remove the \
                 annotation to derive it from the gateway name"
                .to_owned(),
        );
        return Err(problems);
    }
    // Spaces anywhere break the agent's split; report once, then look for more problems in
    // the text without them so one pass finds everything.
    let text: String = if raw.chars().any(char::is_whitespace) {
        let squeezed: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        problem(format!(
            "contains whitespace; the agent does not trim, so write it without spaces: {squeezed:?}"
        ));
        squeezed
    } else {
        raw.to_owned()
    };

    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut keys_seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, item) in text.split(',').enumerate() {
        let n = i + 1;
        if item.is_empty() {
            problem(format!(
                "has an empty pair at position {n} (a leading, trailing or doubled ','); remove it"
            ));
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            // `app:gw` is the usual slip (YAML's separator): suggest the same pair with '='.
            let example = match item.split_once(':') {
                Some((k, v)) if !k.is_empty() && !v.is_empty() => format!("{k}={v}"),
                _ => format!("app={item}"),
            };
            problem(format!(
                "pair {n} {item:?} has no '='; write key=value, e.g. \"{example}\""
            ));
            continue;
        };
        let mut ok = true;
        if key.is_empty() {
            problem(format!("pair {n} {item:?} has an empty key"));
            ok = false;
        } else if let Err(why) = names::qualified_name(key) {
            problem(format!(
                "pair {n}: key {key:?} is not a valid label key: it {why}"
            ));
            ok = false;
        }
        if value.is_empty() {
            problem(format!("pair {n} {item:?} has an empty value"));
            ok = false;
        } else if let Err(why) = names::label_value(value) {
            problem(format!(
                "pair {n}: value {value:?} is not a valid label value: it {why}"
            ));
            ok = false;
        }
        // A set, not a scan of `pairs`: a long selector must not cost the square of its length.
        if !key.is_empty() && !keys_seen.insert(key) {
            problem(format!(
                "repeats the key {key:?} (pair {n}); each key may appear once"
            ));
            ok = false;
        }
        if ok {
            pairs.push((key.to_owned(), value.to_owned()));
        }
    }
    if problems.is_empty() {
        Ok(WorkloadSelector { pairs })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(s: &str) -> Vec<String> {
        parse(s)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.what)
            .collect()
    }

    #[test]
    fn valid_selectors() {
        let sel = parse("app=gw,tier=edge").unwrap();
        assert_eq!(sel.app(), Some("gw"));
        assert_eq!(sel.pairs.len(), 2);
        assert_eq!(parse("tier=edge").unwrap().app(), None);
        assert!(parse("app.kubernetes.io/name=gw").is_ok());
        assert!(parse(&format!("app={}", "a".repeat(63))).is_ok());
    }

    #[test]
    fn every_problem_is_reported() {
        assert_eq!(problems("").len(), 1);
        assert_eq!(problems("   ").len(), 1);
        assert!(problems("app = gw")[0].contains("whitespace"));
        assert!(problems("app=gw,,tier=x")[0].contains("empty pair"));
        assert!(problems("app=gw,")[0].contains("empty pair"));
        assert!(problems("app")[0].contains("no '='"));
        assert!(problems("app")[0].contains("e.g. \"app=app\""));
        assert!(problems("app:gw")[0].contains("e.g. \"app=gw\""));
        assert!(problems("app=")[0].contains("empty value"));
        assert!(problems("=gw")[0].contains("empty key"));
        assert!(problems("app=gw,app=other")[0].contains("repeats"));
        assert!(problems(&format!("app={}", "a".repeat(64)))[0].contains("63"));
        assert!(problems("-app=gw")[0].contains("label key"));
        // Several at once.
        assert_eq!(problems("app = gw,,tier").len(), 3);
    }
}
