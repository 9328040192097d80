//! The defaults patch: on a Namespace that turns east-west on or configures a gateway, add the
//! missing gateway keys (name, workload selector, namespace, deploy) so that what the agent
//! will derive is written down where people and tools can see it.
//!
//! Never overwrites a key, never touches a Namespace without a `traffic.tetrate.io/` key,
//! never patches invalid input (the validating side rejects it), and is idempotent: a second
//! pass over its own output has nothing to add. Invalid input is any the validating webhook
//! would deny for the Namespace's own keys (EW001..EW009, EW011, EW012), whatever the
//! configuration downgrades: in a warn-only rollout a broken Namespace is stored as written,
//! not half-completed with defaults.

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation};
use serde_json::Value;

use super::cloud;
use super::config::Config;
use super::decision::Mutation;
use super::gateway;
use super::keys;
use super::meta::StrMap;
use super::names;
use super::object::ObjectView;
use super::selector;

pub(crate) fn defaults_patch(ns: &ObjectView, config: &Config) -> Option<Mutation> {
    let ann = ns.annotations()?;
    let get = |k: &str| ann.get(k);
    let east_west_on = get(keys::GLOBAL) == Some("true");
    let configures_gateway = keys::GATEWAY_KEYS.iter().any(|k| ann.contains_key(k));
    if !east_west_on && !configures_gateway {
        return None;
    }
    if !inputs_valid(ns) || misspells_a_gateway_key(ann) {
        return None;
    }
    let gw = gateway::derive(Some(ann), config).ok()?;
    if names::dns1035_label(&gw.name).is_err() {
        return None;
    }
    let wanted = [
        (keys::GATEWAY_NAME, gw.name),
        (keys::GATEWAY_SELECTOR, gw.workload_selector),
        (keys::GATEWAY_NAMESPACE, gw.namespace),
        (keys::GATEWAY_DEPLOY, gw.deploy),
    ];
    // The rest of the checks only where there is something to add (the common UPDATE has all
    // four keys already).
    if wanted.iter().all(|(key, _)| ann.contains_key(key)) || !rest_valid(ns, config) {
        return None;
    }
    let mut ops = Vec::new();
    let mut defaulted = Vec::new();
    for (key, value) in wanted {
        if ann.contains_key(key) {
            continue;
        }
        let value = value.into_owned();
        ops.push(PatchOperation::Add(AddOperation {
            path: PointerBuf::from_tokens(["metadata", "annotations", key]),
            value: Value::String(value.clone()),
        }));
        defaulted.push((key.to_owned(), value));
    }
    if ops.is_empty() {
        None
    } else {
        Some(Mutation {
            patch: Patch(ops),
            defaulted,
        })
    }
}

/// An unknown `traffic.tetrate.io/` annotation that reads as a misspelt gateway key (EW011:
/// `eastwest-gateway-nmae`, `east-west-gateway-name`): the user meant to set that key, so a
/// default for it would write down a value they did not mean. Left for the validating webhook.
fn misspells_a_gateway_key(ann: &StrMap) -> bool {
    keys::tetrate_entries(ann).any(|(k, _)| {
        !keys::is_known(k)
            && (keys::is_eastwest(k) || keys::nearest_known(k).is_some_and(keys::is_gateway_key))
    })
}

/// The keys the defaults do not derive from are valid too: the cloud annotations (EW007..EW009
/// would not fire) and no gateway key or `global` written as a label (EW012, EW011).
fn rest_valid(ns: &ObjectView, config: &Config) -> bool {
    ns.labels().is_none_or(|labels| {
        !keys::tetrate_entries(labels).any(|(k, _)| keys::is_known(k) || keys::is_eastwest(k))
    }) && ns
        .annotation(keys::GATEWAY_CLOUD_ANNOTATIONS)
        .is_none_or(|text| cloud::is_valid(text, config))
}

/// The inputs the defaults derive from are valid (EW001..EW006 would not fire).
fn inputs_valid(ns: &ObjectView) -> bool {
    let bool_ok = |k: &str| ns.annotation(k).is_none_or(|v| v == "true" || v == "false");
    bool_ok(keys::GLOBAL)
        && bool_ok(keys::GATEWAY_DEPLOY)
        && ns
            .annotation(keys::GATEWAY_NAMESPACE)
            .is_none_or(|v| names::dns1123_label(v).is_ok())
        && ns
            .annotation(keys::GATEWAY_NAME)
            .is_none_or(|v| names::dns1035_label(v).is_ok())
        && ns
            .annotation(keys::GATEWAY_SELECTOR)
            .is_none_or(|v| selector::parse(v).is_ok())
}
