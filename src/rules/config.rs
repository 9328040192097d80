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
        }
    }
}

impl Config {
    /// The level a rule has under this configuration.
    pub fn level_of(&self, rule: RuleId) -> Level {
        match rule.default_level() {
            Level::Deny if self.warn_only || self.warn_rules.contains(&rule) => Level::Warn,
            level => level,
        }
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
