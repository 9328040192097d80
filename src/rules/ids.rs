//! Rule identifiers and levels. A rule's ID is its stable name: it appears in messages, metrics,
//! configuration (`--warn EW005`) and the CLI's output, so it never changes meaning.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// How a violation affects the write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The write goes through; the message is returned as an admission warning.
    Warn,
    /// The write is rejected (validating webhook) or the CLI exits 1.
    Deny,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Warn => "warning",
            Level::Deny => "error",
        })
    }
}

macro_rules! rule_ids {
    ($($id:ident => $level:ident, $title:literal;)*) => {
        /// Every rule of SPEC.md, by ID.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId { $($id,)* }

        impl RuleId {
            /// All rules, in ID order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$id,)*];

            /// The ID as written in SPEC.md, e.g. `"EW005"`.
            pub const fn as_str(self) -> &'static str {
                match self { $(RuleId::$id => stringify!($id),)* }
            }

            /// The level SPEC.md gives the rule, before any configuration.
            pub const fn default_level(self) -> Level {
                match self { $(RuleId::$id => Level::$level,)* }
            }

            /// One line saying what the rule guards against.
            pub const fn title(self) -> &'static str {
                match self { $(RuleId::$id => $title,)* }
            }
        }
    };
}

rule_ids! {
    EW001 => Deny, "traffic.tetrate.io/global Namespace annotation must be \"true\" or \"false\"";
    EW002 => Deny, "eastwest-gateway-deploy must be \"true\" or \"false\"";
    EW003 => Deny, "gateway namespace must be a DNS-1123 label";
    EW004 => Deny, "gateway name (given or derived) must be a DNS-1123 label";
    EW005 => Deny, "workload selector must be k=v[,k=v]... with valid label keys and values";
    EW006 => Deny, "workload selector without an app key needs an explicit gateway name";
    EW007 => Deny, "cloud annotations must be a YAML map of string to scalar";
    EW008 => Deny, "cloud annotation key must be a valid annotation key";
    EW009 => Deny, "cloud annotation key must use a supported cloud prefix";
    EW010 => Warn, "cloud annotation not documented by its provider, deprecated, or mixed clouds";
    EW011 => Deny, "unknown traffic.tetrate.io/ key (typo)";
    EW012 => Deny, "traffic.tetrate.io/ key in the wrong place (label versus annotation)";
    EW013 => Deny, "traffic.tetrate.io/global Service label must be \"true\" or \"false\"";
    EW020 => Deny, "namespace-level exposure cannot be switched to service-level or off in place";
    EW021 => Warn, "gateway name, namespace or selector changed while east-west is on";
    EW022 => Warn, "Service write changes its own cross-cluster exposure";
    EW030 => Warn, "east-west on, but no trigger label: the agent creates no workspace";
    EW031 => Warn, "exposed Service in a Namespace with no trigger label";
    EW032 => Warn, "gateway namespace does not exist in the cluster";
    EW040 => Warn, "ExternalName Service labelled for exposure has no endpoints";
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The error for a rule ID that SPEC.md does not define.
#[derive(Debug, thiserror::Error)]
#[error("unknown rule ID {0:?}: expected one of EW001..EW040 as listed in SPEC.md")]
pub struct UnknownRuleId(pub String);

impl FromStr for RuleId {
    type Err = UnknownRuleId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        RuleId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownRuleId(s.to_owned()))
    }
}
