//! The rules-configuration flags shared by `serve`, `check`, `explain`, `diff` and `audit`, so
//! a pipeline and the cluster judge with the same settings, and `--config FILE`, which holds the
//! same settings (and per-Namespace overrides) in one file ([`crate::config`]).
//!
//! A flag given on the command line or through its environment variable wins over the file;
//! a flag left at its default does not (clap's `value_source` tells them apart).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};

use crate::rules::config::{
    DEFAULT_CLOUD_ANNOTATION_PREFIXES, DEFAULT_GATEWAY_NAME, DEFAULT_GATEWAY_NAMESPACE,
};
use crate::rules::{Config, RuleId};

/// The rule settings: the flags as clap parses them, and which of them were given.
#[derive(Clone, Debug)]
pub struct RuleFlags {
    flags: RuleFlagArgs,
    given: Given,
}

/// Which settings were given on the command line or in the environment.
#[derive(Clone, Copy, Debug, Default)]
struct Given {
    warn_only: bool,
    deny_existing: bool,
    warn: bool,
    trigger_label: bool,
    cloud_annotation_prefix: bool,
    default_gateway_name: bool,
    default_gateway_namespace: bool,
}

impl Given {
    fn of(m: &ArgMatches) -> Self {
        let given = |id: &str| {
            matches!(
                m.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        };
        Given {
            warn_only: given("warn_only"),
            deny_existing: given("deny_existing"),
            warn: given("warn"),
            trigger_label: given("trigger_label"),
            cloud_annotation_prefix: given("cloud_annotation_prefix"),
            default_gateway_name: given("default_gateway_name"),
            default_gateway_namespace: given("default_gateway_namespace"),
        }
    }
}

impl FromArgMatches for RuleFlags {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(RuleFlags {
            flags: RuleFlagArgs::from_arg_matches(m)?,
            given: Given::of(m),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.flags.update_from_arg_matches(m)?;
        self.given = Given::of(m);
        Ok(())
    }
}

impl Args for RuleFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        RuleFlagArgs::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        RuleFlagArgs::augment_args_for_update(cmd)
    }
}

#[derive(Args, Clone, Debug)]
struct RuleFlagArgs {
    /// A YAML file with the rule settings below and per-Namespace overrides (docs/config.md).
    /// A flag given on the command line or in the environment wins over the file. `serve`
    /// reloads the file when it changes.
    #[arg(long, value_name = "FILE", env = "EASTWEST_GUARD_CONFIG")]
    config: Option<PathBuf>,

    /// Turn every deny into a warning (for a first rollout).
    /// `=false` undoes the configuration file's setting. From the environment or after `=`:
    /// `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`.
    #[arg(long, env = "EASTWEST_GUARD_WARN_ONLY", value_name = "BOOL", value_parser = BoolishValueParser::new(),
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value = "false", action = clap::ArgAction::Set)]
    warn_only: bool,

    /// On an update, deny a problem that was there before the write too (the same keys with
    /// the same values in the same places), instead of warning about it. Without it, a write
    /// is never refused for what it did not change (EW020, about the change itself, is denied
    /// either way).
    /// `=false` undoes the configuration file's setting. From the environment or after `=`:
    /// `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`.
    #[arg(long, env = "EASTWEST_GUARD_DENY_EXISTING", value_name = "BOOL", value_parser = BoolishValueParser::new(),
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value = "false", action = clap::ArgAction::Set)]
    deny_existing: bool,

    /// Downgrade one deny rule to a warning (repeatable), e.g. `--warn EW011 --warn EW013`.
    #[arg(
        long = "warn",
        value_name = "RULE_ID",
        env = "EASTWEST_GUARD_WARN",
        value_delimiter = ','
    )]
    warn: Vec<String>,

    /// A Namespace label that makes the agent create a workspace (repeatable; replaces the
    /// defaults tetrate.io/rev=default, istio-injection=enabled, istio.io/rev=default).
    #[arg(
        long = "trigger-label",
        value_name = "KEY=VALUE",
        env = "EASTWEST_GUARD_TRIGGER_LABEL",
        value_delimiter = ','
    )]
    trigger_label: Vec<String>,

    /// A supported cloud annotation prefix (repeatable; replaces the defaults).
    #[arg(
        long = "cloud-annotation-prefix",
        value_name = "PREFIX",
        env = "EASTWEST_GUARD_CLOUD_ANNOTATION_PREFIX",
        value_delimiter = ',',
        default_values = DEFAULT_CLOUD_ANNOTATION_PREFIXES
    )]
    cloud_annotation_prefix: Vec<String>,

    /// Gateway name used when a Namespace gives neither name nor selector (a DNS-1035 label:
    /// it names the gateway's Service).
    #[arg(
        long,
        value_name = "NAME",
        env = "EASTWEST_GUARD_DEFAULT_GATEWAY_NAME",
        default_value = DEFAULT_GATEWAY_NAME
    )]
    default_gateway_name: String,

    /// Gateway namespace used when a Namespace gives none.
    #[arg(
        long,
        value_name = "NAMESPACE",
        env = "EASTWEST_GUARD_DEFAULT_GATEWAY_NAMESPACE",
        default_value = DEFAULT_GATEWAY_NAMESPACE
    )]
    default_gateway_namespace: String,
}

impl RuleFlags {
    /// The configuration file, if one is given.
    pub fn config_file(&self) -> Option<&Path> {
        self.flags.config.as_deref()
    }

    /// The engine configuration: the defaults, then the file (`--config`), then the flags
    /// given on the command line or in the environment. A setting given as a flag holds for
    /// every Namespace: the file's overrides of it are not used. Errors name the flag, or the
    /// file, line and field.
    pub fn to_config(&self) -> Result<Config, String> {
        let file = self.config_file().map(crate::config::load).transpose()?;
        self.to_config_with(file)
    }

    /// [`Self::to_config`] with the file already read (the server reads it once, to hash the
    /// text it parses).
    pub fn to_config_with(
        &self,
        file: Option<crate::config::FileConfig>,
    ) -> Result<Config, String> {
        let mut config = Config::default();
        if let Some(file) = file {
            file.apply(&mut config);
        }
        let (f, given) = (&self.flags, self.given);
        if given.warn_only {
            config.warn_only = f.warn_only;
            config.overrides.iter_mut().for_each(|o| o.warn_only = None);
        }
        if given.deny_existing {
            config.deny_existing = f.deny_existing;
            config
                .overrides
                .iter_mut()
                .for_each(|o| o.deny_existing = None);
        }
        if given.warn {
            let mut warn_rules = BTreeSet::new();
            for id in &f.warn {
                warn_rules.insert(rule_id(id).map_err(|e| format!("--warn: {e}"))?);
            }
            config.warn_rules = warn_rules;
            config
                .overrides
                .iter_mut()
                .for_each(|o| o.warn_rules = None);
        }
        if given.trigger_label && !f.trigger_label.is_empty() {
            config.trigger_labels = f
                .trigger_label
                .iter()
                .map(|kv| trigger_label(kv).map_err(|e| format!("--trigger-label {e}")))
                .collect::<Result<_, String>>()?;
        }
        if given.cloud_annotation_prefix && !f.cloud_annotation_prefix.is_empty() {
            for p in &f.cloud_annotation_prefix {
                cloud_annotation_prefix(p)
                    .map_err(|e| format!("--cloud-annotation-prefix: {e}"))?;
            }
            config.cloud_annotation_prefixes = f.cloud_annotation_prefix.clone();
        }
        if given.default_gateway_name {
            config.default_gateway_name = gateway_name(&f.default_gateway_name)
                .map_err(|e| format!("--default-gateway-name {e}"))?;
        }
        if given.default_gateway_namespace {
            config.default_gateway_namespace = gateway_namespace(&f.default_gateway_namespace)
                .map_err(|e| format!("--default-gateway-namespace {e}"))?;
        }
        Ok(config)
    }
}

// The checks of each setting, for the flags and the file alike. The message starts with the
// value; the caller puts the flag's name or the file's field in front.

/// A rule ID.
pub(crate) fn rule_id(id: &str) -> Result<RuleId, String> {
    id.parse().map_err(|e| format!("{e}"))
}

/// A trigger label, `KEY=VALUE`.
pub(crate) fn trigger_label(kv: &str) -> Result<(String, String), String> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| format!("{kv:?}: expected KEY=VALUE, e.g. istio-injection=enabled"))?;
    crate::rules::names::qualified_name(k)
        .map_err(|why| format!("{kv:?}: label key {k:?} {why}"))?;
    crate::rules::names::label_value(v)
        .map_err(|why| format!("{kv:?}: label value {v:?} {why}"))?;
    Ok((k.to_owned(), v.to_owned()))
}

/// A cloud annotation prefix.
pub(crate) fn cloud_annotation_prefix(p: &str) -> Result<String, String> {
    if p.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(p.to_owned())
}

/// The default gateway name: a DNS-1035 label, as it names the gateway's Service.
pub(crate) fn gateway_name(name: &str) -> Result<String, String> {
    crate::rules::names::dns1035_label(name).map_err(|why| format!("{name:?} {why}"))?;
    Ok(name.to_owned())
}

/// The default gateway namespace: a DNS-1123 label.
pub(crate) fn gateway_namespace(ns: &str) -> Result<String, String> {
    crate::rules::names::dns1123_label(ns).map_err(|why| format!("{ns:?} {why}"))?;
    Ok(ns.to_owned())
}
