//! The `eastwest-gateway-cloud-annotations` annotation: a YAML map of LoadBalancer Service
//! annotations for the gateway (EW007 syntax, EW008 key syntax, EW009 prefixes, EW010 lint).
//!
//! The agent parses it leniently: YAML first (Go's `yaml.Unmarshal` into `map[string]string`);
//! where that fails, `key: value` lines split at the first colon, with surrounding quotes
//! removed from values, skipping lines it cannot split, and an empty map when nothing parses.
//! The guard rejects every text on which YAML fails, and says what the fallback would have made
//! of it, because that is the silent damage: half the settings, or keys with quotes in them.
//!
//! - `yaml.rs`: the Go-YAML-compatible reader ([`parse_yaml`]), with `go.rs` for where Go's
//!   YAML and saphyr's differ;
//! - `fallback.rs`: the agent's line fallback ([`agent_fallback`]) and what it ends up with for
//!   a refused text ([`agent_reading`]);
//! - `checks.rs`: the rules EW007..EW010 on the text.

mod checks;
mod fallback;
mod go;
mod yaml;

pub(crate) use checks::check;
pub use fallback::{AgentReading, FallbackResult, agent_fallback, agent_reading};
pub use yaml::{CloudEntry, YamlProblem, parse_yaml};

use super::config::Config;
use super::names;

/// Whether the text passes EW007..EW009 (the deny rules; EW010 only warns).
pub(crate) fn is_valid(text: &str, config: &Config) -> bool {
    parse_yaml(text).is_ok_and(|entries| {
        entries
            .iter()
            .all(|e| names::qualified_name(&e.key).is_ok() && has_supported_prefix(&e.key, config))
    })
}

/// Whether a cloud annotation key is under one of the supported prefixes (EW009).
pub fn has_supported_prefix(key: &str, config: &Config) -> bool {
    config
        .cloud_annotation_prefixes
        .iter()
        .any(|p| key.starts_with(p.as_str()))
}
