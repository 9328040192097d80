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
}

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
            cloud_annotation_prefixes: [
                "service.beta.kubernetes.io/",
                "service.kubernetes.io/",
                "cloud.google.com/",
                "networking.gke.io/",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect(),
            default_gateway_name: "east-west-gateway".to_owned(),
            default_gateway_namespace: "tetrate-system".to_owned(),
            warn_rules: BTreeSet::new(),
            warn_only: false,
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

    /// Whether a Namespace's labels carry one of the trigger labels; returns the first match.
    /// The fix for a Namespace with none of the trigger labels: `kubectl label namespace NS
    /// k=v`. Where it carries a trigger key with another value (`tetrate.io/rev: canary`),
    /// that key, with `--overwrite` (kubectl refuses it without) and a note that the label
    /// also picks its sidecars' revision: adding another trigger label instead
    /// (`istio-injection=enabled`) would move them as silently.
    pub fn trigger_fix(&self, labels: Option<&super::meta::StrMap>, namespace: &str) -> String {
        let present = self.trigger_labels.iter().find_map(|(k, v)| {
            let has = labels?.get(k)?;
            Some((k.as_str(), v.as_str(), has))
        });
        match present {
            Some((k, v, has)) => {
                // What else the label decides: a revision label picks the sidecars' revision;
                // `istio-injection` turns injection on or off (`disabled` is an opt-out).
                let also = if k.ends_with("/rev") {
                    "the label also picks the revision of its sidecars"
                } else {
                    "the label also decides whether its pods get sidecars: overwriting it turns \
                     injection on"
                };
                format!(
                    "kubectl label namespace {namespace} {k}={v} --overwrite (it has {k}={has}, \
                     which is not a trigger label; {also}: make sure that is wanted)"
                )
            }
            None => {
                let (k, v) = self
                    .trigger_labels
                    .first()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .unwrap_or(("tetrate.io/rev", "default"));
                format!("kubectl label namespace {namespace} {k}={v}")
            }
        }
    }

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
