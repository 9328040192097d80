//! The rules-configuration flags shared by `serve` and `check` (and the commands built on
//! `check`), so a pipeline and the cluster judge with the same settings.

use std::collections::BTreeSet;

use clap::Args;
use clap::builder::BoolishValueParser;

use crate::rules::config::{
    DEFAULT_CLOUD_ANNOTATION_PREFIXES, DEFAULT_GATEWAY_NAME, DEFAULT_GATEWAY_NAMESPACE,
};
use crate::rules::{Config, RuleId};

#[derive(Args, Clone, Debug)]
pub struct RuleFlags {
    /// Turn every deny into a warning (for a first rollout).
    /// From the environment: `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`.
    #[arg(long, env = "EASTWEST_GUARD_WARN_ONLY", value_parser = BoolishValueParser::new())]
    pub warn_only: bool,

    /// On an update, deny a problem that was there before the write too (the same keys with
    /// the same values in the same places), instead of warning about it. Without it, a write
    /// is never refused for what it did not change (EW020, about the change itself, is denied
    /// either way).
    /// From the environment: `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`.
    #[arg(long, env = "EASTWEST_GUARD_DENY_EXISTING", value_parser = BoolishValueParser::new())]
    pub deny_existing: bool,

    /// Downgrade one deny rule to a warning (repeatable), e.g. `--warn EW011 --warn EW013`.
    #[arg(
        long = "warn",
        value_name = "RULE_ID",
        env = "EASTWEST_GUARD_WARN",
        value_delimiter = ','
    )]
    pub warn: Vec<String>,

    /// A Namespace label that makes the agent create a workspace (repeatable; replaces the
    /// defaults tetrate.io/rev=default, istio-injection=enabled, istio.io/rev=default).
    #[arg(
        long = "trigger-label",
        value_name = "KEY=VALUE",
        env = "EASTWEST_GUARD_TRIGGER_LABEL",
        value_delimiter = ','
    )]
    pub trigger_label: Vec<String>,

    /// A supported cloud annotation prefix (repeatable; replaces the defaults).
    #[arg(
        long = "cloud-annotation-prefix",
        value_name = "PREFIX",
        env = "EASTWEST_GUARD_CLOUD_ANNOTATION_PREFIX",
        value_delimiter = ',',
        default_values = DEFAULT_CLOUD_ANNOTATION_PREFIXES
    )]
    pub cloud_annotation_prefix: Vec<String>,

    /// Gateway name used when a Namespace gives neither name nor selector (a DNS-1035 label:
    /// it names the gateway's Service).
    #[arg(
        long,
        value_name = "NAME",
        env = "EASTWEST_GUARD_DEFAULT_GATEWAY_NAME",
        default_value = DEFAULT_GATEWAY_NAME
    )]
    pub default_gateway_name: String,

    /// Gateway namespace used when a Namespace gives none.
    #[arg(
        long,
        value_name = "NAMESPACE",
        env = "EASTWEST_GUARD_DEFAULT_GATEWAY_NAMESPACE",
        default_value = DEFAULT_GATEWAY_NAMESPACE
    )]
    pub default_gateway_namespace: String,
}

impl RuleFlags {
    /// The engine configuration these flags describe, or a message saying which flag is wrong.
    pub fn to_config(&self) -> Result<Config, String> {
        let mut config = Config {
            warn_only: self.warn_only,
            deny_existing: self.deny_existing,
            ..Config::default()
        };
        let mut warn_rules = BTreeSet::new();
        for id in &self.warn {
            let rule: RuleId = id.parse().map_err(|e| format!("--warn: {e}"))?;
            warn_rules.insert(rule);
        }
        config.warn_rules = warn_rules;
        if !self.trigger_label.is_empty() {
            config.trigger_labels = self
                .trigger_label
                .iter()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').ok_or_else(|| {
                        format!("--trigger-label {kv:?}: expected KEY=VALUE, e.g. istio-injection=enabled")
                    })?;
                    crate::rules::names::qualified_name(k)
                        .map_err(|why| format!("--trigger-label {kv:?}: label key {k:?} {why}"))?;
                    crate::rules::names::label_value(v)
                        .map_err(|why| format!("--trigger-label {kv:?}: label value {v:?} {why}"))?;
                    Ok((k.to_owned(), v.to_owned()))
                })
                .collect::<Result<_, String>>()?;
        }
        if !self.cloud_annotation_prefix.is_empty() {
            for p in &self.cloud_annotation_prefix {
                if p.is_empty() {
                    return Err("--cloud-annotation-prefix: must not be empty".into());
                }
            }
            config.cloud_annotation_prefixes = self.cloud_annotation_prefix.clone();
        }
        let name = &self.default_gateway_name;
        crate::rules::names::dns1035_label(name)
            .map_err(|why| format!("--default-gateway-name {name:?} {why}"))?;
        config.default_gateway_name = name.clone();
        let ns = &self.default_gateway_namespace;
        crate::rules::names::dns1123_label(ns)
            .map_err(|why| format!("--default-gateway-namespace {ns:?} {why}"))?;
        config.default_gateway_namespace = ns.clone();
        Ok(config)
    }
}
