//! The `traffic.tetrate.io/` keys the agent reads, and typo suggestions for the ones it doesn't.

use super::meta::StrMap;
use super::object::ObjectView;

pub const PREFIX: &str = "traffic.tetrate.io/";
pub const GLOBAL: &str = "traffic.tetrate.io/global";
pub const GATEWAY_DEPLOY: &str = "traffic.tetrate.io/eastwest-gateway-deploy";
pub const GATEWAY_NAMESPACE: &str = "traffic.tetrate.io/eastwest-gateway-namespace";
pub const GATEWAY_NAME: &str = "traffic.tetrate.io/eastwest-gateway-name";
pub const GATEWAY_SELECTOR: &str = "traffic.tetrate.io/eastwest-gateway-workload-selector";
pub const GATEWAY_CLOUD_ANNOTATIONS: &str = "traffic.tetrate.io/eastwest-gateway-cloud-annotations";

/// Every key the agent knows, in SPEC.md's order.
pub const KNOWN: &[&str] = &[
    GLOBAL,
    GATEWAY_DEPLOY,
    GATEWAY_NAMESPACE,
    GATEWAY_NAME,
    GATEWAY_SELECTOR,
    GATEWAY_CLOUD_ANNOTATIONS,
];

/// The gateway settings keys: Namespace annotations only.
pub const GATEWAY_KEYS: &[&str] = &[
    GATEWAY_DEPLOY,
    GATEWAY_NAMESPACE,
    GATEWAY_NAME,
    GATEWAY_SELECTOR,
    GATEWAY_CLOUD_ANNOTATIONS,
];

/// Whether `key` is under `traffic.tetrate.io/`.
pub fn is_tetrate(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// Whether `key` is an `eastwest-*` key (known or not): a typo there is an error (EW011). In
/// any case: keys are case-sensitive, so the agent ignores `Eastwest-Gateway-Name` as surely
/// as `eastwest-gateway-nmae`.
pub fn is_eastwest(key: &str) -> bool {
    key.strip_prefix(PREFIX)
        .and_then(|rest| rest.get(..8))
        .is_some_and(|word| word.eq_ignore_ascii_case("eastwest"))
}

pub fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
}

pub fn is_gateway_key(key: &str) -> bool {
    GATEWAY_KEYS.contains(&key)
}

/// The `traffic.tetrate.io/` entries of a label or annotation map. Keys are sorted, so this
/// seeks to the prefix instead of scanning every key.
pub fn tetrate_entries(map: &StrMap) -> impl Iterator<Item = (&str, &str)> {
    map.with_prefix(PREFIX)
}

/// Whether the object carries any `traffic.tetrate.io/` label or annotation. Objects without
/// one are never the guard's business.
pub fn has_tetrate_key(object: &ObjectView) -> bool {
    let any = |m: Option<&StrMap>| m.is_some_and(|m| tetrate_entries(m).next().is_some());
    any(object.labels()) || any(object.annotations())
}

/// At least the length of the longest label or annotation key Kubernetes accepts (253 + 1 +
/// 63 bytes): a longer one can only come from a direct caller.
pub const LONGEST_KEY: usize = 320;

/// Whether two objects carry the same `traffic.tetrate.io/` labels and annotations.
pub fn same_tetrate_keys(a: &ObjectView, b: &ObjectView) -> bool {
    fn entries(m: Option<&StrMap>) -> impl Iterator<Item = (&str, &str)> {
        m.into_iter().flat_map(tetrate_entries)
    }
    entries(a.labels()).eq(entries(b.labels()))
        && entries(a.annotations()).eq(entries(b.annotations()))
}

/// The known key an unknown `traffic.tetrate.io/` key is a typo of: the same but for case
/// (`Global`), or within Damerau-Levenshtein distance 2 of it, compared in lower case
/// (`gloabl`, `globel`). The agent ignores the key, so what it meant silently stays off.
pub fn typo_of(key: &str) -> Option<&'static str> {
    let rest = key.strip_prefix(PREFIX)?;
    // Past the longest known key by more than the distance, nothing is within it.
    if rest.len() > LONGEST_KNOWN_SUFFIX + 2 {
        return None;
    }
    let lower = rest.to_ascii_lowercase();
    KNOWN
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&lower, &k[PREFIX.len()..]), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The length of the longest known key after the prefix (`eastwest-gateway-cloud-annotations`).
const LONGEST_KNOWN_SUFFIX: usize = 34;

/// Separators a near miss of the prefix ends with before the key's name.
const NEAR_MISS_SEPARATORS: &[u8] = b"/.-_:";

/// The known key meant by a key outside `traffic.tetrate.io/` that ends with a known key's
/// name under a near miss of the prefix: `traffic.tetrat.io/global`, `tetrate.io/global`,
/// `traffic.tetrate.io.global`, `Traffic.tetrate.io/global`. The agent reads none of them.
pub fn near_miss_prefix(key: &str) -> Option<&'static str> {
    if key.starts_with(PREFIX) || key.len() > LONGEST_KEY {
        return None;
    }
    let bytes = key.as_bytes();
    KNOWN.iter().copied().find(|known| {
        let name = &known.as_bytes()[PREFIX.len()..];
        let Some(split) = bytes.len().checked_sub(name.len()) else {
            return false;
        };
        if split < 2
            || !bytes[split..].eq_ignore_ascii_case(name)
            || !NEAR_MISS_SEPARATORS.contains(&bytes[split - 1])
        {
            return false;
        }
        let head = String::from_utf8_lossy(&bytes[..split - 1]).to_ascii_lowercase();
        matches!(
            head.as_str(),
            "tetrate.io" | "tetrate" | "traffic" | "traffic.tetrate"
        ) || strsim::damerau_levenshtein(&head, &PREFIX[..PREFIX.len() - 1]) <= 2
    })
}

/// The known key nearest to an unknown one, when it is near enough to be a plausible typo.
pub fn nearest_known(key: &str) -> Option<&'static str> {
    // Compared without the shared prefix, which would otherwise make every short key look
    // near (`traffic.tetrate.io/foo` within a third of the length of `.../global`).
    let Some(rest) = key.strip_prefix(PREFIX) else {
        return nearest(key, KNOWN);
    };
    let suffixes: [&str; KNOWN.len()] = std::array::from_fn(|i| &KNOWN[i][PREFIX.len()..]);
    // One word is enough here to name a key it is part of (`.../deploy`, `.../selector`).
    let near = nearest_with(rest, &suffixes, 1)?;
    KNOWN.iter().copied().find(|k| &k[PREFIX.len()..] == near)
}

/// The candidate nearest to `word`: one that contains all of its words (a key with a word
/// left out, like `eastwest-gateway-selector`), else the nearest by edit distance
/// (Damerau-Levenshtein, so swapped letters count once) within a third of its length.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    nearest_with(word, candidates, 2)
}

/// [`nearest`], where a candidate containing all of `word`'s words wins when `word` has at
/// least `min_words` of them.
fn nearest_with<'a>(word: &str, candidates: &[&'a str], min_words: usize) -> Option<&'a str> {
    // No key or value this is asked about is near a candidate past this length, and the
    // distance costs length x length.
    if word.len() > LONGEST_KEY {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mine = words(&lower);
    let by_distance = |c: &str| strsim::damerau_levenshtein(&lower, c);
    let containing = candidates
        .iter()
        .filter(|c| **c != lower && mine.len() >= min_words)
        .filter(|c| {
            let theirs = words(c);
            mine.iter().all(|w| theirs.contains(w))
        })
        .min_by_key(|c| by_distance(c));
    if let Some(c) = containing {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (by_distance(c), *c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d <= (c.len().max(6) / 3))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_nearest_key() {
        assert_eq!(
            nearest_known("traffic.tetrate.io/eastwest-gateway-nmae"),
            Some(GATEWAY_NAME)
        );
        assert_eq!(nearest_known("traffic.tetrate.io/globl"), Some(GLOBAL));
        assert_eq!(nearest_known("traffic.tetrate.io/Global"), Some(GLOBAL));
        assert_eq!(
            nearest_known("traffic.tetrate.io/eastwest-gateway-selector"),
            Some(GATEWAY_SELECTOR)
        );
        assert_eq!(
            nearest_known("traffic.tetrate.io/completely-different-thing"),
            None
        );
        // Past any valid key's length: no suggestion, and no quadratic distance.
        let long = format!("{PREFIX}eastwest-{}", "x".repeat(100_000));
        assert_eq!(nearest_known(&long), None);
        // Short keys are judged by their own length, not the prefix's.
        assert_eq!(nearest_known("traffic.tetrate.io/foo"), None);
        assert_eq!(nearest_known("traffic.tetrate.io/owner"), None);
        // A key left with one of its words names the key.
        assert_eq!(nearest_known("traffic.tetrate.io/name"), Some(GATEWAY_NAME));
        assert_eq!(
            nearest_known("traffic.tetrate.io/deploy"),
            Some(GATEWAY_DEPLOY)
        );
        assert_eq!(
            nearest_known("traffic.tetrate.io/selector"),
            Some(GATEWAY_SELECTOR)
        );
        assert_eq!(
            nearest_known("traffic.tetrate.io/namespace"),
            Some(GATEWAY_NAMESPACE)
        );
        assert_eq!(
            nearest_known("traffic.tetrate.io/east-west-gateway-name"),
            Some(GATEWAY_NAME)
        );
        assert_eq!(
            nearest_known("traffic.tetrate.io/eastwest-gateway-namespce"),
            Some(GATEWAY_NAMESPACE)
        );
    }

    #[test]
    fn typos_within_distance_two_or_case() {
        for (typo, meant) in [
            ("Global", GLOBAL),
            ("GLOBAL", GLOBAL),
            ("gloabl", GLOBAL),
            ("globel", GLOBAL),
            ("glbl", GLOBAL),
            ("eastwest-gateway-nmae", GATEWAY_NAME),
            ("Eastwest-Gateway-Deploy", GATEWAY_DEPLOY),
        ] {
            assert_eq!(typo_of(&format!("{PREFIX}{typo}")), Some(meant), "{typo}");
        }
        // Distance 3 and beyond: not a typo of a known key.
        for other in ["glb", "owner", "team", "global-extra", "tier"] {
            assert_eq!(typo_of(&format!("{PREFIX}{other}")), None, "{other}");
        }
        assert_eq!(typo_of("example.com/global"), None);
    }

    #[test]
    fn near_misses_of_the_prefix() {
        for key in [
            "traffic.tetrat.io/global",
            "tetrate.io/global",
            "traffic.tetrate.io.global",
            "Traffic.tetrate.io/global",
            "traffic-tetrate.io/global",
            "traffic.tetrate.io/GLOBAL"
                .to_lowercase()
                .replace("traffic.", "trafic.")
                .as_str(),
        ] {
            assert_eq!(near_miss_prefix(key), Some(GLOBAL), "{key}");
        }
        assert_eq!(
            near_miss_prefix("tetrate.io/eastwest-gateway-name"),
            Some(GATEWAY_NAME)
        );
        for key in [
            "traffic.tetrate.io/global",
            "example.com/global",
            "global",
            "tetrate.io/rev",
            "networking.istio.io/global",
            "app.kubernetes.io/name",
        ] {
            assert_eq!(near_miss_prefix(key), None, "{key}");
        }
    }

    #[test]
    fn eastwest_prefix() {
        assert!(is_eastwest("traffic.tetrate.io/eastwest-gateway-nmae"));
        assert!(is_eastwest("traffic.tetrate.io/eastwest"));
        assert!(!is_eastwest("traffic.tetrate.io/globl"));
        assert!(!is_eastwest("eastwest-gateway-name"));
    }
}
