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

/// The objects a rule judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Objects {
    Namespace,
    Service,
    /// Namespaces and Services alike.
    Both,
}

impl fmt::Display for Objects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Objects::Namespace => "Namespace",
            Objects::Service => "Service",
            Objects::Both => "Namespace, Service",
        })
    }
}

/// The writes a rule judges. DELETE and CONNECT are never judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Writes {
    /// CREATE and UPDATE (the CLI judges a manifest as a CREATE, or as an UPDATE with `--old`).
    CreateAndUpdate,
    /// UPDATE only: the rule is about what the write changes.
    Update,
}

impl fmt::Display for Writes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Writes::CreateAndUpdate => "CREATE, UPDATE",
            Writes::Update => "UPDATE",
        })
    }
}

/// The rule catalog: one entry per rule, the single source of its ID, level, scope and
/// description (the rules reference, docs/rules.md, is generated from it).
macro_rules! rule_ids {
    ($($id:ident => $level:ident, $objects:ident, $writes:ident,
        $title:literal,
        $description:literal;)*) => {
        /// Every rule, by ID.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId { $($id,)* }

        impl RuleId {
            /// All rules, in ID order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$id,)*];

            /// The ID as written, e.g. `"EW005"`.
            pub const fn as_str(self) -> &'static str {
                match self { $(RuleId::$id => stringify!($id),)* }
            }

            /// The rule's level before any configuration (`--warn`, `--warn-only`).
            pub const fn default_level(self) -> Level {
                match self { $(RuleId::$id => Level::$level,)* }
            }

            /// The objects the rule judges.
            pub const fn objects(self) -> Objects {
                match self { $(RuleId::$id => Objects::$objects,)* }
            }

            /// The writes the rule judges.
            pub const fn writes(self) -> Writes {
                match self { $(RuleId::$id => Writes::$writes,)* }
            }

            /// One line saying what the rule guards against.
            pub const fn title(self) -> &'static str {
                match self { $(RuleId::$id => $title,)* }
            }

            /// A paragraph: what the rule checks, why it matters to the agent, and what it needs.
            pub const fn description(self) -> &'static str {
                match self { $(RuleId::$id => $description,)* }
            }
        }
    };
}

rule_ids! {
    EW001 => Deny, Namespace, CreateAndUpdate,
        "traffic.tetrate.io/global Namespace annotation must be \"true\" or \"false\"",
        "The Namespace annotation `traffic.tetrate.io/global` must be exactly `\"true\"` or \
         `\"false\"` (lower case). Read strictly, any other value (`\"True\"`, `\"yes\"`, \
         `\"ture\"`) is `\"false\"`, so east-west silently stays off. The fix writes the \
         boolean the value plainly means (`\"false\"`, what the agent does today, where it \
         means neither).";
    EW002 => Deny, Namespace, CreateAndUpdate,
        "eastwest-gateway-deploy must be \"true\" or \"false\"",
        "The Namespace annotation `traffic.tetrate.io/eastwest-gateway-deploy` must be exactly \
         `\"true\"` or `\"false\"` (lower case; the default is `\"true\"`).";
    EW003 => Deny, Namespace, CreateAndUpdate,
        "gateway namespace must be a DNS-1123 label",
        "The gateway namespace (`traffic.tetrate.io/eastwest-gateway-namespace`) must be a \
         DNS-1123 label: lower-case letters, digits and `-`, starting and ending with a letter or \
         digit, at most 63 characters. Without the annotation the default gateway namespace is \
         used.";
    EW004 => Deny, Namespace, CreateAndUpdate,
        "gateway name (given or derived) must be a DNS-1035 label",
        "The gateway name must be a DNS-1035 label (lower-case letters, digits and `-`, \
         starting with a letter, ending with a letter or digit, at most 63 characters), whether \
         it is given (`traffic.tetrate.io/eastwest-gateway-name`) or derived from the workload \
         selector's `app` value: it names the gateway's Service, whose name cannot start with a \
         digit, and Deployment. `1-east-west` and a name derived from `app=9gw` or `app=` are \
         refused.";
    EW005 => Deny, Namespace, CreateAndUpdate,
        "workload selector must be k=v[,k=v]... with valid label keys and values",
        "The workload selector (`traffic.tetrate.io/eastwest-gateway-workload-selector`) must be \
         `k=v[,k=v]...`: not empty, no empty pair, no pair without `=`, no whitespace anywhere \
         (the agent does not trim), every key a valid label key (a qualified name with an \
         optional DNS-1123 subdomain prefix) and every value a valid label value, no key twice. \
         An empty value is valid, as in a Kubernetes label selector (`tier=` selects pods whose \
         `tier` label is empty); where the name is derived, the `app` value must make a valid \
         name (EW004). Each problem is reported, with the selector as it was most likely \
         meant.";
    EW006 => Deny, Namespace, CreateAndUpdate,
        "workload selector without an app key needs an explicit gateway name",
        "A workload selector without an `app` key, and no gateway name: the agent derives the \
         gateway name from the selector's `app` value, so it cannot derive one. Set \
         `traffic.tetrate.io/eastwest-gateway-name`, or add `app=<gateway name>` to the \
         selector.";
    EW007 => Deny, Namespace, CreateAndUpdate,
        "cloud annotations must be a YAML map of string to scalar",
        "`traffic.tetrate.io/eastwest-gateway-cloud-annotations` must be a YAML map of string \
         keys to scalar values, as Go's YAML reads it: a parse error (with its line and column), \
         a nested map or list value, a duplicate key, a tab in the indentation, a control \
         character, or a tag the value cannot hold. An empty value, or one of blank lines and \
         comments, is no annotation at all, as without it: no finding. Where YAML fails, the \
         agent falls back to reading `key: value` lines split at the first colon; when that \
         keeps every line as written (a value holding `: `, a line indented by mistake), the \
         agent gets what the text says: a warning whose fix quotes the value so that YAML reads \
         the same, and the other cloud rules judge the fallback's map. When the fallback skips \
         or misreads a line (a block, a repeated key, a comment holding a colon, a value YAML \
         reads otherwise) or reads nothing, the write is denied. Either way the message says \
         what the fallback would make of the text. A second YAML document, which the agent's \
         YAML ignores, is denied.";
    EW008 => Deny, Namespace, CreateAndUpdate,
        "cloud annotation key must be a valid annotation key",
        "Each key of the cloud annotations (as the agent reads them: YAML's map, or the line \
         fallback's where EW007 warns) must be a valid Kubernetes annotation key (a qualified \
         name with an optional DNS-1123 subdomain prefix): the agent copies the keys onto the \
         gateway's Service, which kube-apiserver refuses with an invalid one.";
    EW009 => Warn, Namespace, CreateAndUpdate,
        "cloud annotation key outside the documented cloud prefixes",
        "A key of the cloud annotations outside the prefixes the agent documents as supported \
         (configurable with `--cloud-annotation-prefix`). The agent's documentation does not \
         say what it does with other keys, and keys of other controllers that read the \
         gateway's Service (external-dns, MetalLB) are common there, so this is a warning that \
         names the documented list, to catch a key meant for another place.";
    EW010 => Warn, Namespace, CreateAndUpdate,
        "cloud annotation its load balancer controller would misread or ignore",
        "A lint of the cloud annotations against a catalog of the keys AWS (the in-tree \
         provider and the AWS Load Balancer Controller), Azure, Google Cloud and Kubernetes \
         document for LoadBalancer Services: a key within two edits of a documented key of its \
         family (a typo, with the documented key), a documented key with a value outside the \
         documented ones or no value, a deprecated key. For AWS, the controller that reconciles \
         the gateway's Service decides: with `aws-load-balancer-type` `external` or `nlb-ip` the \
         Load Balancer Controller, where `aws-load-balancer-internal` is deprecated in favour of \
         `aws-load-balancer-scheme`; otherwise the in-tree provider (or the Load Balancer \
         Controller 2.5+ through the `loadBalancerClass` its webhook sets), which ignores \
         `aws-load-balancer-scheme: internal` without `aws-load-balancer-internal`. Keys of \
         providers outside the catalog, and keys of several clouds in one map, get no finding.";
    EW011 => Deny, Both, CreateAndUpdate,
        "unknown traffic.tetrate.io/ key (typo), or a known key under a near miss of the prefix",
        "A `traffic.tetrate.io/` key the agent does not know is silently ignored. Denied where \
         it is a typo of a known key: any unknown `traffic.tetrate.io/eastwest-*` key, in any \
         case (`Eastwest-Gateway-Name`), and any unknown key equal to a known one but for case \
         (`Global`) or within Damerau-Levenshtein distance 2 of one (`gloabl`, `globel`): \
         east-west silently stays off otherwise. The fix renames it to the known key, where the \
         agent reads it, with a value the rules accept. Any other unknown `traffic.tetrate.io/` \
         key is a warning. A known key's name under a near miss of the prefix \
         (`traffic.tetrat.io/global`, `tetrate.io/global`, `traffic.tetrate.io.global`) is a \
         warning naming the right key (in the CLI also on objects with no \
         `traffic.tetrate.io/` key, which the webhook never sees). The message suggests the \
         nearest known key.";
    EW012 => Deny, Both, CreateAndUpdate,
        "traffic.tetrate.io/ key in the wrong place (label versus annotation)",
        "A known key where the agent does not read it: `traffic.tetrate.io/global` as a Service \
         annotation (it must be a label) or as a Namespace label (it must be an annotation), or \
         a `traffic.tetrate.io/eastwest-gateway-*` key on a Service (gateway settings live on \
         the Namespace only: there are no per-Service gateways). The fix moves the key in one \
         write (one `kubectl patch --type=merge` on a live object). Where the key is also in the \
         right place with a valid value, the agent reads that one: a warning, whose fix removes \
         the stray copy.";
    EW013 => Deny, Service, CreateAndUpdate,
        "traffic.tetrate.io/global Service label must be \"true\" or \"false\"",
        "The Service label `traffic.tetrate.io/global` must be exactly `\"true\"` or \
         `\"false\"` (lower case). The agent reads any other value as not `\"true\"`: unless the \
         Namespace is namespace-level, the Service is not exposed.";
    EW020 => Deny, Namespace, Update,
        "namespace-level exposure cannot be switched to service-level or off in place",
        "An UPDATE that changes a Namespace's `traffic.tetrate.io/global` from `\"true\"` \
         (namespace-level: every Service exposed) to anything else. Every Service without the \
         label would silently stop being exposed, and the agent refuses the transition and keeps \
         the old configuration. The message gives the safe path: label each Service that must \
         stay exposed, then delete the Namespace and recreate it without the annotation. With \
         cluster lookups it names the Services that would stop being exposed. The safe path, \
         on every surface: label each Service that must stay exposed in the manifests the \
         Namespace will be recreated from, then delete the Namespace (which deletes everything \
         in it) and recreate it without the annotation. An old value only a lenient parser reads \
         as true (`True`, `1`, `t`: Go's strconv.ParseBool) makes the same switch a warning: the \
         Namespace may or may not be namespace-level. service-level to namespace-level is \
         allowed, and a Namespace being deleted is not judged.";
    EW021 => Warn, Namespace, Update,
        "gateway name, namespace or selector changed while east-west is on",
        "An UPDATE that changes the gateway name, namespace or workload selector (as written or \
         as derived; the same selector pairs in another order are no change) while east-west is \
         on: a trigger label before and after, and namespace-level before and after or, with \
         cluster lookups, a labelled Service in the Namespace. Not while EW020 refuses the \
         write's switch: the agent keeps the old configuration, gateway included. \
         Cross-cluster traffic moves to a new gateway, which peers reach only once it is up. \
         Where the other gateway key is written down with the value derived from the old one, \
         the message says to change it too.";
    EW022 => Warn, Service, CreateAndUpdate,
        "Service write changes its own cross-cluster exposure",
        "A Service write that changes the Service's own cross-cluster exposure: it becomes \
         exposed or stops being exposed (its label, or a change to or from type ExternalName), \
         before judged as the old Service in its Namespace before the write and after as the \
         new Service in its Namespace after it (`check --old` reads each from its input); in a \
         namespace-level Namespace, a label written there has no effect, and the warning says \
         so. Needs the Namespace: cluster lookups in the webhook, or the Namespace in the same \
         input in the CLI, where `check` reports it only with `--old`.";
    EW030 => Warn, Namespace, CreateAndUpdate,
        "east-west on, but no trigger label: the agent creates no workspace",
        "A Namespace with `traffic.tetrate.io/global: \"true\"` but none of the trigger labels \
         (configurable with `--trigger-label`): the agent creates no workspace, so nothing in \
         it is exposed. The fix adds the first trigger label whose key the Namespace does not \
         carry (`tetrate.io/rev=default` by default); it never overwrites a trigger key set to \
         another value (an `istio.io/rev` picks the sidecars' revision, `istio-injection: \
         disabled` is an opt-out), and says so where every trigger key is taken.";
    EW031 => Warn, Service, CreateAndUpdate,
        "exposed Service in a Namespace with no trigger label",
        "A Service labelled `traffic.tetrate.io/global: \"true\"` in a Namespace with none of \
         the trigger labels: the agent creates no workspace, so the Service is not exposed. \
         Needs the Namespace: cluster lookups in the webhook, or the Namespace in the same input \
         in the CLI.";
    EW032 => Warn, Namespace, CreateAndUpdate,
        "gateway namespace does not exist in the cluster",
        "The gateway namespace (given or the default) of a Namespace that uses a gateway does \
         not exist in the cluster, so the agent cannot deploy the gateway. Needs cluster \
         lookups (`serve --cluster-lookups`); the CLI never reports it.";
    EW040 => Warn, Service, CreateAndUpdate,
        "ExternalName Service labelled for exposure has no endpoints",
        "A Service of `type: ExternalName` labelled `traffic.tetrate.io/global: \"true\"`: it \
         has no endpoints, so there is nothing to expose cross-cluster.";
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

/// The error for a rule ID that no rule has. Its message lists the IDs that exist.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown rule ID {0:?}: expected one of {ids} (see docs/rules.md)",
    ids = RuleId::ALL.iter().map(|id| id.as_str()).collect::<Vec<_>>().join(", ")
)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_id_is_told_the_ids_that_exist() {
        let err = "EW999".parse::<RuleId>().expect_err("no rule EW999");
        let message = err.to_string();
        assert!(message.starts_with("unknown rule ID \"EW999\": expected one of EW001, EW002, "));
        for id in RuleId::ALL {
            assert!(message.contains(id.as_str()), "{message} lacks {id}");
        }
        assert!(message.ends_with("EW040 (see docs/rules.md)"), "{message}");
    }

    #[test]
    fn ids_parse_back_in_any_case() {
        for id in RuleId::ALL {
            assert_eq!(id.as_str().parse::<RuleId>().ok(), Some(*id));
            assert_eq!(id.as_str().to_lowercase().parse::<RuleId>().ok(), Some(*id));
        }
    }

    #[test]
    fn every_rule_has_a_description_of_whole_sentences() {
        for id in RuleId::ALL {
            let d = id.description();
            assert!(d.ends_with('.'), "{id}: {d}");
            assert!(!d.contains("  "), "{id}: a doubled space in {d:?}");
        }
    }
}
