//! The `eastwest-gateway-cloud-annotations` annotation: a YAML map of LoadBalancer Service
//! annotations for the gateway (EW007 syntax, EW008 key syntax, EW009 prefixes, EW010 lint).
//!
//! The agent parses it leniently: YAML first (Go's `yaml.Unmarshal` into `map[string]string`);
//! where that fails, `key: value` lines split at the first colon, with surrounding quotes
//! removed from values, skipping lines it cannot split, and an empty map when nothing parses.
//! The guard reads the text as the agent does and judges what the agent gets:
//! - nothing at all (an empty text, blank lines and comments, `{}`): no finding, as without
//!   the annotation;
//! - YAML succeeds: EW008..EW010 on its map;
//! - YAML fails and the fallback keeps every line as written (`keeping.rs` defines it): an
//!   EW007 warning whose fix makes YAML read the same, and EW008..EW010 on the fallback's map,
//!   which is what the agent uses;
//! - YAML fails and the fallback loses a line, or reads nothing: an EW007 denial that says
//!   what the fallback would make of the text, because that is the silent damage: half the
//!   settings, or keys with quotes in them.
//!
//! - `yaml.rs`: the Go-YAML-compatible reader ([`parse_yaml`]), with `go.rs` for where Go's
//!   YAML and saphyr's differ;
//! - `fallback.rs`: the agent's line fallback ([`agent_fallback`]) and what it ends up with for
//!   a text the YAML reader refuses ([`agent_reading`]); `keeping.rs`: whether that fallback
//!   keeps every line as written ([`keeping`]), and the fix;
//! - `checks.rs`: the rules EW007..EW010.

mod checks;
mod fallback;
mod go;
mod keeping;
mod yaml;

pub(crate) use checks::check;
pub use fallback::{AgentReading, FallbackEntry, FallbackResult, agent_fallback, agent_reading};
pub use keeping::{Edit, Fix, Keeping, LostLine, keeping};
pub use yaml::{CloudEntry, YamlProblem, parse_yaml};

use super::config::Config;
use super::names;

/// Whether the text draws no denial from EW007..EW010 at their default levels: what the agent
/// reads of it (nothing, YAML's map, or the map of a fallback that keeps every line) holds only
/// valid annotation keys. EW009 and EW010 only warn, and an EW007 warning lets the text through.
pub(crate) fn is_valid(text: &str, _config: &Config) -> bool {
    fn valid_keys<'k>(mut keys: impl Iterator<Item = &'k str>) -> bool {
        keys.all(|k| names::qualified_name(k).is_ok())
    }
    match parse_yaml(text) {
        Ok(entries) => valid_keys(entries.iter().map(|e| e.key.as_str())),
        Err(problems) => match agent_reading(text, &problems) {
            AgentReading::Empty => true,
            AgentReading::FirstDocument { .. } => false,
            AgentReading::Fallback(fb) => {
                let k = keeping(text, &fb);
                k.reads_nothing()
                    || (k.keeps_every_line && valid_keys(fb.map.keys().map(String::as_str)))
            }
        },
    }
}

/// Whether a cloud annotation key is under one of the documented prefixes (EW009).
pub fn has_supported_prefix(key: &str, config: &Config) -> bool {
    config
        .cloud_annotation_prefixes
        .iter()
        .any(|p| key.starts_with(p.as_str()))
}
