//! The gateway workload selector: `k=v[,k=v]...` (EW005), and the `app` key the gateway name
//! derives from (EW006).

use super::names;

/// A parsed, valid workload selector: its pairs, borrowed from the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSelector<'a> {
    pub pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> WorkloadSelector<'a> {
    /// The value of the `app` key, from which the gateway name is derived.
    pub fn app(&self) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == "app")
            .map(|(_, v)| *v)
    }
}

/// Whether two workload selectors hold the same pairs (in any order); two texts that do not
/// parse are the same only as written.
pub fn same_pairs(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (parse(a), parse(b)) {
        (Ok(a), Ok(b)) => {
            a.pairs.len() == b.pairs.len() && a.pairs.iter().all(|p| b.pairs.contains(p))
        }
        _ => false,
    }
}

/// One thing wrong with a selector, in words, with a corrected form where one is obvious.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorProblem {
    pub what: String,
}

/// Parses a selector, collecting every problem rather than stopping at the first.
pub fn parse(raw: &str) -> Result<WorkloadSelector<'_>, Vec<SelectorProblem>> {
    let mut problems = Vec::new();

    if raw.trim().is_empty() {
        problems.push(SelectorProblem {
            what: "is empty; write k=v[,k=v]..., e.g. \"app=east-west-gateway\", or remove the \
                   annotation to derive it from the gateway name"
                .to_owned(),
        });
        return Err(problems);
    }
    // Spaces anywhere break the agent's split; report once, then look for more problems in
    // the text without them so one pass finds everything.
    if raw.chars().any(char::is_whitespace) {
        let squeezed = without_whitespace(raw);
        problems.push(SelectorProblem {
            what: format!(
                "contains whitespace; the agent does not trim, so write it without spaces: \
                 {squeezed:?}"
            ),
        });
        pairs(&squeezed, &mut problems);
        return Err(problems);
    }
    let pairs = pairs(raw, &mut problems);
    if problems.is_empty() {
        Ok(WorkloadSelector { pairs })
    } else {
        Err(problems)
    }
}

/// The selector as it was most likely meant, when each of its problems has an obvious
/// correction: whitespace removed (a space between two whole pairs was a missing `,`), empty
/// pairs dropped, `k:v` read as `k=v`, a pair repeated with the same value kept once. `None`
/// when a problem needs a decision (an invalid key or value, a key with two values, no pair at
/// all) or when `raw` is valid already.
pub fn corrected(raw: &str) -> Option<String> {
    let text = if raw.chars().any(char::is_whitespace) {
        without_whitespace(raw)
    } else {
        raw.to_owned()
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for item in text.split(',').filter(|i| !i.is_empty()) {
        let (k, v) = item.split_once('=').or_else(|| item.split_once(':'))?;
        if names::qualified_name(k).is_err() || names::label_value(v).is_err() {
            return None;
        }
        match pairs.iter().find(|(key, _)| *key == k) {
            Some((_, value)) if *value == v => {}
            Some(_) => return None,
            None => pairs.push((k, v)),
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let out = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    (out != raw && parse(&out).is_ok()).then_some(out)
}

/// `raw` without its whitespace, as it was most likely meant: a space between two whole pairs
/// (`app=gw tier=x`) was a missing `,`; any other (`app = gw`, `app=gw, tier=x`) goes.
fn without_whitespace(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for token in raw.split(char::is_whitespace).filter(|t| !t.is_empty()) {
        let previous_is_pair = out
            .rsplit(',')
            .next()
            .is_some_and(|last| last.contains('=') && !last.ends_with('='));
        if previous_is_pair && !token.starts_with([',', '=']) && token.contains('=') {
            out.push(',');
        }
        out.push_str(token);
    }
    out
}

/// The valid pairs of `text` (no whitespace in it), each problem pushed to `problems`.
fn pairs<'t>(text: &'t str, problems: &mut Vec<SelectorProblem>) -> Vec<(&'t str, &'t str)> {
    let mut problem = |what: String| problems.push(SelectorProblem { what });
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut keys_seen = SeenKeys::default();
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
        // An empty value is a valid label value: `tier=` selects pods whose `tier` label is
        // empty, as in a Kubernetes label selector.
        if let Err(why) = names::label_value(value) {
            problem(format!(
                "pair {n}: value {value:?} is not a valid label value: it {why}"
            ));
            ok = false;
        }
        if !key.is_empty() && !keys_seen.insert(key) {
            problem(format!(
                "repeats the key {key:?} (pair {n}); each key may appear once"
            ));
            ok = false;
        }
        if ok {
            pairs.push((key, value));
        }
    }
    pairs
}

/// The keys of a selector seen so far: a scan while there are few (a selector has one to a
/// few pairs), a set past that, so a long selector does not cost the square of its length.
#[derive(Default)]
struct SeenKeys<'t> {
    few: Vec<&'t str>,
    many: Option<std::collections::HashSet<&'t str>>,
}

impl<'t> SeenKeys<'t> {
    const FEW: usize = 16;

    /// Adds `key`; false if it was there already.
    fn insert(&mut self, key: &'t str) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > Self::FEW {
            self.many = Some(self.few.drain(..).collect());
        }
        true
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
    fn repeated_keys_are_found_in_short_and_long_selectors() {
        // Short: the scan; long: the set it switches to past 16 keys.
        assert!(problems("a=1,b=2,a=3")[0].contains("repeats the key \"a\" (pair 3)"));
        let long: Vec<String> = (0..40).map(|i| format!("k{i}=v")).collect();
        assert!(parse(&long.join(",")).is_ok());
        for repeat in ["k3", "k39"] {
            let text = format!("{},{repeat}=again", long.join(","));
            let found = problems(&text);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(found[0].contains(&format!("repeats the key \"{repeat}\" (pair 41)")));
        }
    }

    #[test]
    fn corrections_are_the_obvious_ones_only() {
        for (raw, meant) in [
            ("app = gw", Some("app=gw")),
            ("app=gw tier=x", Some("app=gw,tier=x")),
            ("app=gw,,tier=x", Some("app=gw,tier=x")),
            ("app=gw,", Some("app=gw")),
            ("app:gw", Some("app=gw")),
            ("app=gw,app=gw", Some("app=gw")),
            ("app=gw,app=other", None),
            ("app=gw", None),
            ("", None),
            (",", None),
            ("-app=gw", None),
            ("app", None),
        ] {
            assert_eq!(corrected(raw).as_deref(), meant, "{raw:?}");
        }
    }

    #[test]
    fn every_problem_is_reported() {
        assert_eq!(problems("").len(), 1);
        assert_eq!(problems("   ").len(), 1);
        assert!(problems("app = gw")[0].contains("whitespace"));
        // The suggestion is what was meant, and only it is judged further: "app=gw tier=x"
        // becomes "app=gw,tier=x", never "app=gwtier=x" (itself invalid).
        for (raw, meant) in [
            ("app = gw", "app=gw"),
            ("app=gw tier=x", "app=gw,tier=x"),
            ("app=gw, tier=x", "app=gw,tier=x"),
            ("app=gw ,tier=x", "app=gw,tier=x"),
            (" app=gw\t", "app=gw"),
            ("app= gw", "app=gw"),
            ("app=gw x", "app=gwx"),
        ] {
            assert_eq!(without_whitespace(raw), meant, "{raw:?}");
        }
        assert_eq!(problems("app=gw tier=x").len(), 1);
        assert!(problems("app=gw tier=x")[0].contains("\"app=gw,tier=x\""));
        assert!(problems("app=gw,,tier=x")[0].contains("empty pair"));
        assert!(problems("app=gw,")[0].contains("empty pair"));
        assert!(problems("app")[0].contains("no '='"));
        assert!(problems("app")[0].contains("e.g. \"app=app\""));
        assert!(problems("app:gw")[0].contains("e.g. \"app=gw\""));
        // An empty value is valid (it selects pods whose label is empty); an empty key is not.
        assert!(problems("app=").is_empty());
        assert!(problems("tier=").is_empty());
        assert_eq!(
            parse("app=gw,tier=").unwrap().pairs,
            [("app", "gw"), ("tier", "")]
        );
        assert_eq!(parse("app=").unwrap().app(), Some(""));
        assert!(problems("=gw")[0].contains("empty key"));
        assert!(problems("app=gw,app=other")[0].contains("repeats"));
        assert!(problems(&format!("app={}", "a".repeat(64)))[0].contains("63"));
        assert!(problems("-app=gw")[0].contains("label key"));
        // Several at once.
        assert_eq!(problems("app = gw,,tier").len(), 3);
    }
}
