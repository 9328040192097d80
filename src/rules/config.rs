//! The engine's configuration: a plain struct with SPEC.md's defaults.

use std::collections::BTreeSet;

use super::ids::{Level, RuleId};

/// Everything a deployment can tune about the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Namespace labels (`key`, `value`) that make the agent create a workspace.
    pub trigger_labels: Vec<(String, String)>,
    /// Prefixes a cloud annotation key must start with (EW009).
    pub cloud_annotation_prefixes: Vec<String>,
    /// Gateway name when neither name nor selector is given.
    pub default_gateway_name: String,
    /// Gateway namespace when none is given.
    pub default_gateway_namespace: String,
    /// Deny rules downgraded to warnings.
    pub warn_rules: BTreeSet<RuleId>,
    /// Every deny becomes a warning (for rollout).
    pub warn_only: bool,
    /// On UPDATE, deny a problem the old object had already, with the same keys in the same
    /// places, instead of reporting it as a warning (SPEC "Pre-existing problems").
    pub deny_existing: bool,
    /// Levels for some Namespaces (and the Services in them): the first override whose
    /// patterns match the Namespace's name wins; none, the top-level settings above.
    pub overrides: Vec<Override>,
}

/// The gateway name when a Namespace gives neither name nor selector.
pub const DEFAULT_GATEWAY_NAME: &str = "east-west-gateway";
/// The gateway namespace when a Namespace gives none.
pub const DEFAULT_GATEWAY_NAMESPACE: &str = "tetrate-system";
/// The documented cloud annotation prefixes (EW009).
pub const DEFAULT_CLOUD_ANNOTATION_PREFIXES: &[&str] = &[
    "service.beta.kubernetes.io/",
    "service.kubernetes.io/",
    "cloud.google.com/",
    "networking.gke.io/",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            trigger_labels: [
                ("tetrate.io/rev", "default"),
                ("istio-injection", "enabled"),
                ("istio.io/rev", "default"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            cloud_annotation_prefixes: DEFAULT_CLOUD_ANNOTATION_PREFIXES
                .iter()
                .copied()
                .map(str::to_owned)
                .collect(),
            default_gateway_name: DEFAULT_GATEWAY_NAME.to_owned(),
            default_gateway_namespace: DEFAULT_GATEWAY_NAMESPACE.to_owned(),
            warn_rules: BTreeSet::new(),
            warn_only: false,
            deny_existing: false,
            overrides: Vec::new(),
        }
    }
}

impl Config {
    /// The level a rule has under the top-level settings (no override).
    pub fn level_of(&self, rule: RuleId) -> Level {
        self.levels(None).level_of(rule)
    }

    /// The levels in force for an object in (a Service) or named (a Namespace) `namespace`:
    /// the first override that matches it, else the top level. `None` (a Service whose
    /// namespace is not known, a Namespace with only a generateName) gets the top level.
    /// A scan of the overrides and no allocation, as it runs on every request.
    pub fn levels(&self, namespace: Option<&str>) -> Levels<'_> {
        let top = Levels {
            warn_only: self.warn_only,
            deny_existing: self.deny_existing,
            warn_rules: &self.warn_rules,
        };
        let Some(ns) = namespace.filter(|n| !n.is_empty()) else {
            return top;
        };
        match self
            .overrides
            .iter()
            .find(|o| o.namespaces.iter().any(|p| p.matches(ns)))
        {
            Some(o) => Levels {
                warn_only: o.warn_only.unwrap_or(top.warn_only),
                deny_existing: o.deny_existing.unwrap_or(top.deny_existing),
                warn_rules: o.warn_rules.as_ref().unwrap_or(top.warn_rules),
            },
            None => top,
        }
    }

    /// This configuration with `deny_existing` in force everywhere, overrides included.
    #[must_use]
    pub fn with_deny_existing(&self) -> Config {
        let mut c = self.clone();
        c.deny_existing = true;
        for o in &mut c.overrides {
            o.deny_existing = None;
        }
        c
    }

    /// The first configured trigger label a Namespace's labels carry, if any.
    pub fn trigger_label<'a>(
        &'a self,
        labels: Option<&super::meta::StrMap>,
    ) -> Option<&'a (String, String)> {
        let labels = labels?;
        self.trigger_labels
            .iter()
            .find(|(k, v)| labels.get(k) == Some(v.as_str()))
    }
}

/// Levels for the Namespaces an override names: each setting it gives replaces the top-level
/// one for those Namespaces, and each it leaves out (`None`) is the top-level one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// Names or globs (`legacy-*`, `team-?`); the override applies to a Namespace, and to the
    /// Services in it, whose name one of them matches.
    pub namespaces: Vec<NamespacePattern>,
    pub warn_only: Option<bool>,
    pub warn_rules: Option<BTreeSet<RuleId>>,
    pub deny_existing: Option<bool>,
}

/// The levels in force for one object: the top level's, or the first matching override's.
/// A view into the [`Config`], so asking costs no allocation.
#[derive(Clone, Copy, Debug)]
pub struct Levels<'a> {
    pub warn_only: bool,
    pub deny_existing: bool,
    pub warn_rules: &'a BTreeSet<RuleId>,
}

impl Levels<'_> {
    /// The level a rule has under these levels.
    pub fn level_of(self, rule: RuleId) -> Level {
        match rule.default_level() {
            Level::Deny if self.warn_only || self.warn_rules.contains(&rule) => Level::Warn,
            level => level,
        }
    }
}

/// A Namespace name, or a glob of one: `*` stands for any run of characters (none included),
/// `?` for one. Namespace names are DNS-1123 labels (ASCII), so matching is on bytes, with no
/// allocation: a few lines that need no glob crate (whose path separators, character classes
/// and alternations mean nothing in a label).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespacePattern(String);

impl NamespacePattern {
    /// A pattern that can match at least one Namespace name, or why not.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err("must not be empty".into());
        }
        if let Some(c) = pattern
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '*' | '?'))
        {
            return Err(format!(
                "can match no Namespace name: {c:?} is not allowed (a name is lower-case \
                 letters, digits and '-'; '*' and '?' are the wildcards)"
            ));
        }
        if pattern.starts_with('-') || pattern.ends_with('-') {
            return Err(
                "can match no Namespace name: a name starts and ends with a letter or digit".into(),
            );
        }
        let fixed = pattern.bytes().filter(|b| *b != b'*').count();
        if fixed > 63 {
            return Err("can match no Namespace name: a name is at most 63 characters".into());
        }
        Ok(NamespacePattern(pattern.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` matches: iterative, with one backtrack point for the last `*`, so linear
    /// in practice and never exponential.
    pub fn matches(&self, name: &str) -> bool {
        let (p, n) = (self.0.as_bytes(), name.as_bytes());
        let (mut pi, mut ni) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ni < n.len() {
            match p.get(pi) {
                Some(b'*') => {
                    star = Some((pi, ni));
                    pi += 1;
                }
                Some(&c) if c == b'?' || c == n[ni] => {
                    pi += 1;
                    ni += 1;
                }
                _ => match star {
                    Some((sp, sn)) => {
                        pi = sp + 1;
                        ni = sn + 1;
                        star = Some((sp, sn + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|c| *c == b'*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(p: &str) -> NamespacePattern {
        NamespacePattern::new(p).unwrap()
    }

    #[test]
    fn globs_match_names() {
        for (p, yes, no) in [
            (
                "legacy-*",
                &["legacy-", "legacy-a", "legacy-a-b"][..],
                &["legacy", "alegacy-a"][..],
            ),
            ("*", &["a", "payments"], &[]),
            ("team-?", &["team-a", "team-1"], &["team-", "team-ab"]),
            ("*-prod", &["a-prod", "a-prod-prod"], &["a-prod-x", "prod"]),
            ("a*b*c", &["abc", "aXbYc", "abbc", "acbc"], &["acb", "ab"]),
            ("payments", &["payments"], &["payments-2", "payment"]),
        ] {
            for n in yes {
                assert!(pattern(p).matches(n), "{p} should match {n}");
            }
            for n in no {
                assert!(!pattern(p).matches(n), "{p} should not match {n}");
            }
        }
    }

    #[test]
    fn a_pattern_that_can_match_no_name_is_refused() {
        for p in ["", "-a*", "a*-", "Legacy-*", "a.b", "a_b", &"x".repeat(64)] {
            assert!(NamespacePattern::new(p).is_err(), "{p:?}");
        }
        for p in [
            "*",
            "?",
            "a",
            &"x".repeat(63),
            &format!("{}*", "x".repeat(63)),
        ] {
            assert!(NamespacePattern::new(p).is_ok(), "{p:?}");
        }
    }

    #[test]
    fn the_first_matching_override_wins_and_inherits_what_it_leaves_out() {
        let config = Config {
            warn_only: true,
            warn_rules: [RuleId::EW011].into(),
            overrides: vec![
                Override {
                    namespaces: vec![pattern("payments"), pattern("team-*")],
                    warn_only: Some(false),
                    warn_rules: None,
                    deny_existing: Some(true),
                },
                Override {
                    namespaces: vec![pattern("team-a")],
                    warn_only: Some(true),
                    warn_rules: Some(BTreeSet::new()),
                    deny_existing: None,
                },
            ],
            ..Config::default()
        };
        let deny = RuleId::ALL
            .iter()
            .copied()
            .find(|r| r.default_level() == Level::Deny && *r != RuleId::EW011)
            .unwrap();
        // The top level: everything warns.
        assert_eq!(config.levels(Some("other")).level_of(deny), Level::Warn);
        assert_eq!(config.levels(None).level_of(deny), Level::Warn);
        assert_eq!(config.level_of(deny), Level::Warn);
        // The first override, for team-a too (listed first), inheriting --warn EW011.
        for ns in ["payments", "team-a"] {
            let l = config.levels(Some(ns));
            assert_eq!(l.level_of(deny), Level::Deny, "{ns}");
            assert_eq!(l.level_of(RuleId::EW011), Level::Warn, "{ns}");
            assert!(l.deny_existing);
        }
        assert!(!config.levels(Some("other")).deny_existing);
        assert!(
            config
                .with_deny_existing()
                .levels(Some("other"))
                .deny_existing
        );
    }
}
