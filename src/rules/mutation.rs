//! The defaults patch: on a Namespace that turns east-west on or configures a gateway, add the
//! missing gateway keys (name, workload selector, namespace, deploy) so that what the agent
//! will derive is written down where people and tools can see it, and keep what it wrote in
//! step with what the agent would derive after later writes.
//!
//! A derived value, once written, looks like one the user chose, and the agent reads a name
//! and a selector that are both present independently: a selector written as `app=gw-a` would
//! stay there after `kubectl annotate ... eastwest-gateway-name=gw-b --overwrite`, where without
//! the guard the agent would have derived `app=gw-b`. So the patch records what it wrote
//! ([`RECORD`], see `record.rs`), and on every later write:
//! - a key that holds the value the record gives it is the guard's (where the write changed
//!   the key, only if it changed the record's entry with it: the guard's own pass, seen again
//!   on reinvocation): it is set to what the agent derives from the user's keys (a `replace`
//!   where that changed);
//! - any other key is the user's (set to another value, or written where the record was
//!   dropped, as a whole-object replace from a manifest does) and leaves the record;
//! - a missing key is added, derived, and recorded.
//!
//! So the stored object is the user's keys plus derived values the agent would derive from
//! them anyway: the agent's gateway settings are the same as without the webhook. Where that
//! cannot be kept by writing (the inputs are invalid, or nothing the user wrote turns
//! east-west on or configures a gateway any more), nothing is added and a value of the guard's
//! that no longer matches is removed instead: the agent derives a removed key by itself, and
//! the validating webhook has the last word on invalid input. Values that still match stay.
//!
//! Never touches a key the user wrote, a Namespace without a `traffic.tetrate.io/` key, or a
//! Service, and is idempotent: a second pass over its own output, with the same old object
//! (the webhook's reinvocation), has nothing to do. Invalid input is any the validating webhook
//! would deny for the Namespace's own keys (EW001..EW009, EW011, EW012), whatever the
//! configuration downgrades: in a warn-only rollout a broken Namespace is stored as written,
//! not completed with defaults around the mistake.

mod record;

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation};
use serde_json::Value;

use super::cloud;
use super::config::Config;
use super::decision::Mutation;
use super::gateway::{self, GatewaySettings};
use super::keys;
use super::meta::StrMap;
use super::names;
use super::object::ObjectView;
use super::selector;

pub use record::RECORD;
use record::{DERIVABLE, Record};

/// The patch for a Namespace written as `ns` (the object as sent), stored before as `old` on an
/// UPDATE.
pub(crate) fn defaults_patch(
    ns: &ObjectView,
    old: Option<&ObjectView>,
    config: &Config,
) -> Option<Mutation> {
    let ann = ns.annotations()?;
    let recorded = ann.get(RECORD);
    // The common write: every key present and none of them the guard's. Nothing to add, and
    // nothing to keep in step.
    if recorded.is_none() && DERIVABLE.iter().all(|k| ann.contains_key(k)) {
        return None;
    }
    if !keys::has_tetrate_key(ns) {
        return None;
    }
    let record = recorded.map(Record::parse).unwrap_or_default();
    let current: [Option<&str>; 4] = DERIVABLE.map(|k| ann.get(k));
    let before = Before::new(old);
    // Per derivable key, whether it is the guard's: it holds the value the record gives it,
    // and, where this write changed the value, the write changed the record's entry with it
    // (the guard's own earlier pass, or a user who writes both). A value a user sets while an
    // entry left over from before happens to give the same value is the user's.
    let ours: [bool; 4] = std::array::from_fn(|i| {
        current[i].is_some()
            && current[i] == record.value(i)
            && (!before.exists()
                || before.value(i) == current[i]
                || before.recorded(i) != record.value(i))
    });
    let user: [Option<&str>; 4] = std::array::from_fn(|i| current[i].filter(|_| !ours[i]));

    let triggered = ann.get(keys::GLOBAL) == Some("true")
        || keys::GATEWAY_KEYS
            .iter()
            .any(|k| match DERIVABLE.iter().position(|d| d == k) {
                Some(i) => user[i].is_some(),
                None => ann.contains_key(k),
            });
    // What the agent derives from the user's keys alone. Read from the annotations themselves
    // where none is the guard's (no copy).
    let user_view;
    let derived = if ours.iter().any(|o| *o) {
        user_view = DERIVABLE
            .iter()
            .zip(&user)
            .filter_map(|(k, v)| v.map(|v| (*k, v)))
            .collect::<StrMap>();
        gateway::derive(Some(&user_view), config)
    } else {
        gateway::derive(Some(ann), config)
    };
    let targets: [Option<&str>; 4] = match &derived {
        Ok(gw) => settings(gw),
        // Name and selector cannot be derived (EW005, EW006); namespace and deploy can.
        Err(_) => [
            None,
            None,
            Some(user[2].unwrap_or(config.default_gateway_namespace.as_str())),
            Some(user[3].unwrap_or("true")),
        ],
    };
    // Whether the inputs allow a write: asked only where there is something to write (the
    // cloud annotations' YAML is the costly part, and most writes have nothing to add).
    let mut valid_memo = None;
    let mut valid = || {
        *valid_memo.get_or_insert_with(|| {
            triggered
                && derived.is_ok()
                // Given or derived, a gateway name is a DNS-1035 label (EW004): the same test
                // as the validating side's, so nothing it would deny is written.
                && targets[0].is_some_and(|n| names::dns1035_label(n).is_ok())
                && inputs_valid(ann, &user)
                && !misspells_a_key(ann)
                && rest_valid(ns, config)
        })
    };

    let mut plan = Plan::default();
    // What the record will say, per key.
    let mut written: [Option<&str>; 4] = [None; 4];
    for (i, key) in DERIVABLE.iter().enumerate() {
        if user[i].is_some() {
            continue;
        }
        match (current[i], targets[i]) {
            // Missing: added where the inputs allow it.
            (None, Some(target)) => {
                if valid() && before.would_read_as_written(i, target) {
                    plan.add(key, target);
                    written[i] = Some(target);
                }
            }
            (None, None) => {}
            // The guard's, and still what the agent derives from the user's keys: kept, even
            // where nothing turns the gateway on any more (the agent derives the same value
            // then) or the input is invalid (left alone as far as it can be).
            (Some(now), Some(target)) if now == target => written[i] = Some(now),
            // The guard's, and the agent would now derive another value: follows it where the
            // inputs allow a write, else is taken away so the agent derives it by itself.
            (Some(_), Some(target)) if valid() && before.would_read_as_written(i, target) => {
                plan.replace(key, target);
                written[i] = Some(target);
            }
            (Some(_), _) => plan.remove(key),
        }
    }
    let record_now = record::format(&written);
    match (recorded, record_now) {
        (Some(old), Some(new)) if old != new => plan.set_record(true, new),
        (None, Some(new)) => plan.set_record(false, new),
        (Some(_), None) => plan.remove_record(),
        _ => {}
    }
    plan.into_mutation()
}

/// The stored object an UPDATE replaces: its derivable keys and what its record says, read
/// only where a key changed.
struct Before<'a> {
    annotations: Option<&'a StrMap>,
    exists: bool,
    record: std::cell::OnceCell<Record<'a>>,
}

impl<'a> Before<'a> {
    fn new(old: Option<&'a ObjectView>) -> Self {
        Before {
            annotations: old.and_then(ObjectView::annotations),
            exists: old.is_some(),
            record: std::cell::OnceCell::new(),
        }
    }

    /// Whether there is a stored object (an UPDATE).
    fn exists(&self) -> bool {
        self.exists
    }

    /// The stored value of the `i`th derivable key.
    fn value(&self, i: usize) -> Option<&'a str> {
        self.annotations.and_then(|a| a.get(DERIVABLE[i]))
    }

    /// What the stored record said of the `i`th derivable key.
    fn recorded(&self, i: usize) -> Option<&str> {
        self.record
            .get_or_init(|| {
                self.annotations
                    .and_then(|a| a.get(RECORD))
                    .map(Record::parse)
                    .unwrap_or_default()
            })
            .value(i)
    }

    /// Whether writing `value` to the `i`th key (and recording it) reads as the guard's on a
    /// second pass with the same stored object. Not where the stored record already gave the
    /// key that value while it held another (an entry someone left behind): the object would
    /// then look like a user setting the key to match it. The key is left to the agent instead,
    /// and the record, rewritten without that entry, lets the next write add it.
    fn would_read_as_written(&self, i: usize, value: &str) -> bool {
        !self.exists || self.value(i) == Some(value) || self.recorded(i) != Some(value)
    }
}

/// Per key of [`DERIVABLE`], its value in `gw`.
fn settings<'a>(gw: &'a GatewaySettings<'_>) -> [Option<&'a str>; 4] {
    [
        Some(gw.name.as_ref()),
        Some(gw.workload_selector.as_ref()),
        Some(gw.namespace.as_ref()),
        Some(gw.deploy.as_ref()),
    ]
}

/// The operations of a patch, and the gateway keys it sets (for the audit annotation).
#[derive(Default)]
struct Plan {
    ops: Vec<PatchOperation>,
    defaulted: Vec<(String, String)>,
}

impl Plan {
    fn path(key: &str) -> PointerBuf {
        // from_tokens escapes: `/` in a key becomes `~1`.
        PointerBuf::from_tokens(["metadata", "annotations", key])
    }

    fn add(&mut self, key: &str, value: &str) {
        self.ops.push(PatchOperation::Add(AddOperation {
            path: Self::path(key),
            value: Value::String(value.to_owned()),
        }));
        self.defaulted.push((key.to_owned(), value.to_owned()));
    }

    fn replace(&mut self, key: &str, value: &str) {
        self.ops.push(PatchOperation::Replace(ReplaceOperation {
            path: Self::path(key),
            value: Value::String(value.to_owned()),
        }));
        self.defaulted.push((key.to_owned(), value.to_owned()));
    }

    fn remove(&mut self, key: &str) {
        self.ops.push(PatchOperation::Remove(RemoveOperation {
            path: Self::path(key),
        }));
    }

    fn set_record(&mut self, present: bool, text: String) {
        let path = Self::path(RECORD);
        let value = Value::String(text);
        self.ops.push(if present {
            PatchOperation::Replace(ReplaceOperation { path, value })
        } else {
            PatchOperation::Add(AddOperation { path, value })
        });
    }

    fn remove_record(&mut self) {
        self.remove(RECORD);
    }

    fn into_mutation(self) -> Option<Mutation> {
        (!self.ops.is_empty()).then_some(Mutation {
            patch: Patch(self.ops),
            defaulted: self.defaulted,
        })
    }
}

/// An unknown `traffic.tetrate.io/` annotation that reads as a misspelt key (EW011:
/// `eastwest-gateway-nmae`, `east-west-gateway-name`, `gloabl`): the user meant to set that
/// key, so a default for it would write down a value they did not mean. Left for the
/// validating webhook.
fn misspells_a_key(ann: &StrMap) -> bool {
    keys::tetrate_entries(ann).any(|(k, _)| {
        !keys::is_known(k) && (keys::is_eastwest(k) || keys::nearest_known(k).is_some())
    })
}

/// The keys the defaults do not derive from are valid too: the cloud annotations (EW007..EW009
/// would not fire), and no `traffic.tetrate.io/` key as a label (EW011, EW012) unless the same
/// key is also an annotation, which the agent reads (EW012 then only warns).
fn rest_valid(ns: &ObjectView, config: &Config) -> bool {
    ns.labels().is_none_or(|labels| {
        !keys::tetrate_entries(labels).any(|(k, _)| {
            (keys::is_known(k) && ns.annotation(k).is_none())
                || (!keys::is_known(k) && keys::is_eastwest(k))
        })
    }) && ns
        .annotation(keys::GATEWAY_CLOUD_ANNOTATIONS)
        .is_none_or(|text| cloud::is_valid(text, config))
}

/// The inputs the defaults derive from are valid (EW001..EW006 would not fire): `global`, and
/// the user's own values of the derivable keys (`user`, in [`DERIVABLE`]'s order). The guard's
/// values are about to be derived again.
fn inputs_valid(ann: &StrMap, user: &[Option<&str>; 4]) -> bool {
    let is_bool = |v: &str| v == "true" || v == "false";
    let [name, selector, namespace, deploy] = *user;
    ann.get(keys::GLOBAL).is_none_or(is_bool)
        && deploy.is_none_or(is_bool)
        && namespace.is_none_or(|v| names::dns1123_label(v).is_ok())
        && name.is_none_or(|v| names::dns1035_label(v).is_ok())
        && selector.is_none_or(|v| selector::parse(v).is_ok())
}
