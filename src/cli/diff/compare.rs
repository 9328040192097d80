//! The changes from one input's model to another's. Pure: models in, changes out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::super::exposure::{self, Model, NamespaceModel, ServiceModel};
use super::changes::{
    CloudChange, ExposureDiff, GatewayChange, GatewayChangeKind, GatewayView, NamespaceChange,
    NamespaceChangeKind, NamespaceSide, ServiceChange, ServiceSide,
};
use crate::rules::gateway::{self, Moved};
use crate::rules::model::{
    self, CloudParser, ExposureMode, GatewayState, ModeChange, Reason, Trigger,
};
use crate::rules::{Config, RuleId};

/// The changes from `old` to `new`. Pure.
pub fn compare(old: &Model, new: &Model, config: &Config) -> ExposureDiff {
    let old_ns: HashMap<&str, &NamespaceModel> = old
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), n))
        .collect();
    let new_ns: HashMap<&str, &NamespaceModel> = new
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), n))
        .collect();
    let names: BTreeSet<&str> = old_ns.keys().chain(new_ns.keys()).copied().collect();

    let mut diff = ExposureDiff::default();
    for name in names {
        let before = old_ns.get(name).copied();
        let after = new_ns.get(name).copied();
        let ns_change = namespace_change(name, before, after, config);
        let blocked = ns_change.as_ref().and_then(|c| c.blocked_by);
        let deleted = before.is_some_and(NamespaceModel::in_input)
            && !after.is_some_and(NamespaceModel::in_input);
        services_of(before, after, blocked, deleted, &mut diff);
        // A blocked change leaves the Namespace as it was: the agent keeps the old
        // configuration, so its gateway stays, and Services the change adds or relabels are
        // exposed or not under that configuration, not the one asked for.
        let kept = match (blocked, before, after) {
            (Some(rule), Some(b), Some(a)) => {
                let kept = a.keeping_config_of(b);
                exposed_while_blocked(b, &kept, rule, &mut diff);
                Some(kept)
            }
            _ => None,
        };
        if let Some(g) = gateway_change(name, before, kept.as_ref().or(after)) {
            diff.gateways.push(g);
        }
        diff.namespaces.extend(ns_change);
    }
    // By Namespace, then name: the blocked ones were added after their Namespace's others.
    diff.newly_exposed
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    diff
}

fn side(s: &ServiceModel, ns: &NamespaceModel) -> ServiceSide {
    ServiceSide {
        exposed: s.exposed,
        reason: s.reason,
        why: exposure::why(s, ns),
        location: s.source.clone(),
        global_label: s.global_label.clone(),
    }
}

/// Services that become exposed because a blocked change keeps their Namespace's old
/// configuration (a new unlabelled Service next to a blocked switch away from namespace-level):
/// the requested configuration would not expose them, so [`services_of`] does not list them.
fn exposed_while_blocked(
    before: &NamespaceModel,
    kept: &NamespaceModel,
    rule: RuleId,
    diff: &mut ExposureDiff,
) {
    let exposed_now: HashSet<&str> = kept.exposed().map(|s| s.name.as_str()).collect();
    // Listed already by what the change asks for (a new labelled Service): exposed under the
    // kept configuration too, so the block does not hold it back.
    let mut listed = HashSet::new();
    for c in diff
        .newly_exposed
        .iter_mut()
        .filter(|c| c.namespace == kept.name)
    {
        if exposed_now.contains(c.name.as_str()) {
            c.blocked_by = None;
        }
        listed.insert(c.name.clone());
    }
    let was: HashMap<&str, &ServiceModel> = before
        .services
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    for s in kept.exposed() {
        let b = was.get(s.name.as_str()).map(|o| side(o, before));
        if b.as_ref().is_some_and(|b| b.exposed) || listed.contains(&s.name) {
            continue;
        }
        let what = match &b {
            None => "new Service".to_owned(),
            Some(b) => format!("not exposed before ({})", b.why),
        };
        let why = format!(
            "{what}; the change to Namespace {} is blocked ({rule}), and the agent keeps its \
             namespace-level configuration, which exposes every Service in it",
            kept.name
        );
        diff.newly_exposed.push(ServiceChange {
            namespace: kept.name.clone(),
            name: s.name.clone(),
            blocked_by: None,
            before: b,
            after: Some(side(s, kept)),
            why,
        });
    }
}

fn services_of(
    before: Option<&NamespaceModel>,
    after: Option<&NamespaceModel>,
    blocked: Option<RuleId>,
    namespace_deleted: bool,
    diff: &mut ExposureDiff,
) {
    let index = |ns: Option<&NamespaceModel>| -> BTreeMap<String, ServiceSide> {
        ns.map(|ns| {
            ns.services
                .iter()
                .map(|s| (s.name.clone(), side(s, ns)))
                .collect()
        })
        .unwrap_or_default()
    };
    let namespace = before.or(after).map(|n| n.name.clone()).unwrap_or_default();
    let namespace_known = after.is_some_and(NamespaceModel::in_input);
    let mut old = index(before);
    let mut new = index(after);
    let names: BTreeSet<String> = old.keys().chain(new.keys()).cloned().collect();
    for name in names {
        let b = old.remove(&name);
        let a = new.remove(&name);
        let was = b.as_ref().is_some_and(|s| s.exposed);
        let is = a.as_ref().is_some_and(|s| s.exposed);
        if was == is {
            continue;
        }
        let why = match (&b, &a) {
            (None, Some(a)) => format!("new Service: {}", a.why),
            (Some(_), None) if namespace_deleted => {
                format!("deleted, with its Namespace {namespace}")
            }
            (Some(_), None) => "deleted (not in the new manifests)".to_owned(),
            // The Namespace's manifest is gone but the Service's is not: in the cluster,
            // deleting a Namespace deletes its Services.
            (Some(_), Some(a)) if namespace_deleted => format!(
                "Namespace {namespace} is not in the new manifests (deleting it deletes this \
                 Service too): {}",
                a.why
            ),
            (Some(b), Some(a)) => cause(b, a, &namespace, namespace_known),
            (None, None) => continue,
        };
        let change = ServiceChange {
            namespace: namespace.clone(),
            name,
            blocked_by: if a.is_some() { blocked } else { None },
            before: b,
            after: a,
            why,
        };
        if is {
            diff.newly_exposed.push(change);
        } else {
            diff.no_longer_exposed.push(change);
        }
    }
}

/// What turned a Service's exposure around, when both inputs hold it: the cause in a few
/// words where it is one of the usual ones, else both explanations.
fn cause(b: &ServiceSide, a: &ServiceSide, namespace: &str, namespace_known: bool) -> String {
    let g = crate::rules::keys::GLOBAL;
    let label = |v: &Option<String>| match v {
        Some(v) => format!("{v:?}"),
        None => "(none)".to_owned(),
    };
    let unknown = if namespace_known {
        ""
    } else {
        " (its Namespace is not in the input: judged by the label alone)"
    };
    use Reason as R;
    // The label is the cause only where it changed: a Namespace that gains its trigger label
    // (whatever its mode was: a blocked switch keeps namespace-level) or a Service that is no
    // longer ExternalName keeps it as it was.
    let relabelled = b.global_label != a.global_label;
    let why = match (b.reason, a.reason) {
        (_, R::Labelled) if b.global_label.is_none() => format!("label {g}: \"true\" added"),
        (_, R::Labelled) if relabelled && !matches!(b.reason, R::NoTriggerLabel(_)) => format!(
            "label {g} changed from {} to \"true\"",
            label(&b.global_label)
        ),
        (R::Labelled, R::NotLabelled) if relabelled => format!("label {g} removed"),
        (R::Labelled, R::LabelFalse | R::LabelNotTrue) if relabelled => format!(
            "label {g} changed from \"true\" to {}{}",
            label(&a.global_label),
            if a.reason == R::LabelNotTrue {
                ", which is not exactly \"true\" (EW013)"
            } else {
                ""
            }
        ),
        (R::Labelled, R::LabelAsAnnotation) => {
            format!("{g} moved from the labels to the annotations, which the agent ignores (EW012)")
        }
        (R::NoTriggerLabel(_), _) => format!(
            "Namespace {namespace} gains a trigger label, so the agent creates its workspace \
             (and this Service is selected: {})",
            a.why
        ),
        (_, R::NoTriggerLabel(_)) => format!(
            "Namespace {namespace} loses its trigger label, so the agent creates no workspace \
             for it"
        ),
        (_, R::NamespaceLevel) => {
            format!("Namespace {namespace} becomes namespace-level: every Service in it is exposed")
        }
        (R::NamespaceLevel, _) => {
            let own = match a.reason {
                R::NotLabelled => format!("is not labelled {g}: \"true\""),
                R::LabelFalse => format!("is labelled {g}: \"false\""),
                R::LabelNotTrue => format!(
                    "has the label {g}: {}, not exactly \"true\" (EW013)",
                    label(&a.global_label)
                ),
                R::LabelAsAnnotation => {
                    format!("has {g} as an annotation, which the agent ignores (EW012)")
                }
                _ => format!("is not exposed on its own: {}", a.why),
            };
            format!("Namespace {namespace} is no longer namespace-level, and this Service {own}")
        }
        (_, R::ExternalName(_)) => {
            "now type ExternalName: it has no endpoints to expose (EW040)".to_owned()
        }
        (R::ExternalName(_), _) => format!("no longer type ExternalName: {}", a.why),
        _ => return format!("{} (before: {})", a.why, b.why),
    };
    format!("{why}{unknown}")
}

fn namespace_change(
    name: &str,
    before: Option<&NamespaceModel>,
    after: Option<&NamespaceModel>,
    config: &Config,
) -> Option<NamespaceChange> {
    let b = before.map(NamespaceSide::of);
    let a = after.map(NamespaceSide::of);
    let b_in = b.as_ref().is_some_and(|s| s.in_input);
    let a_in = a.as_ref().is_some_and(|s| s.in_input);
    // A Namespace known from its Services only on both sides: its Services' changes say it all.
    if !b_in && !a_in {
        return None;
    }
    let on = |s: &Option<NamespaceSide>| s.as_ref().is_some_and(|s| s.mode != ExposureMode::Off);
    // EW020's condition, asked of the engine as the rule asks it.
    let terminating = after.is_some_and(|n| n.terminating || before.is_some_and(|b| b.terminating));
    let change = match (before, after) {
        (Some(b), Some(a)) if b_in && a_in => model::refuses_mode_change(
            b.global_annotation.as_deref(),
            a.global_annotation.as_deref(),
            terminating,
        ),
        _ => ModeChange::Allowed,
    };
    let (kind, why) = match (b_in, a_in) {
        (false, true) => {
            if !on(&a) {
                return None;
            }
            let after = after?;
            (
                NamespaceChangeKind::Added,
                format!(
                    "new Namespace, {}: {}; workspace {}",
                    after.mode,
                    exposure::mode_why(after),
                    workspace_words(after, config)
                ),
            )
        }
        (true, false) => {
            if !on(&b) {
                return None;
            }
            (
                NamespaceChangeKind::Deleted,
                "deleted (not in the new manifests): the agent removes its workspace, and its \
                 Services stop being exposed"
                    .to_owned(),
            )
        }
        _ => {
            let (bs, as_) = (b.as_ref()?, a.as_ref()?);
            let mode_changed = bs.mode != as_.mode;
            let workspace_changed = bs.workspace != as_.workspace && (on(&b) || on(&a));
            if !mode_changed && !workspace_changed && change != ModeChange::MayBeRefused {
                return None;
            }
            let mut parts = Vec::new();
            if mode_changed || change == ModeChange::MayBeRefused {
                parts.push(exposure::mode_why(after?));
            }
            if workspace_changed {
                parts.push(match as_.workspace {
                    Some(false) => format!(
                        "trigger label {} removed: the agent creates no workspace, so nothing \
                         in it is exposed",
                        bs.trigger_label.as_deref().unwrap_or("")
                    ),
                    _ => format!(
                        "trigger label {} added: the agent creates workspace ws-{name}",
                        as_.trigger_label.as_deref().unwrap_or("")
                    ),
                });
            }
            (NamespaceChangeKind::Changed, parts.join("; "))
        }
    };
    let (blocked_by, may_be_blocked_by) = match change {
        ModeChange::Refused => (Some(RuleId::EW020), None),
        ModeChange::MayBeRefused => (None, Some(RuleId::EW020)),
        ModeChange::Allowed => (None, None),
    };
    let safe_path = model::SAFE_PATH_FROM_NAMESPACE_LEVEL;
    let why = match change {
        ModeChange::Refused => format!(
            "{why}. Blocked: check denies this (EW020), and the agent refuses it and keeps the \
             namespace-level configuration, so until the Namespace is deleted and recreated \
             nothing changes. Safe path: {safe_path}"
        ),
        ModeChange::MayBeRefused => format!(
            "{why}. May be blocked: the old value {} is read as true by a lenient boolean \
             parser, so the Namespace may be namespace-level today; if the agent read it so, it \
             refuses this change and keeps that configuration (check warns: EW020). Safe path \
             then: {safe_path}",
            quoted(before.and_then(|b| b.global_annotation.as_deref()))
        ),
        ModeChange::Allowed => why,
    };
    Some(NamespaceChange {
        name: name.to_owned(),
        kind,
        before: b,
        after: a,
        why,
        blocked_by,
        may_be_blocked_by,
    })
}

fn workspace_words(ns: &NamespaceModel, config: &Config) -> String {
    match &ns.trigger {
        Trigger::Label { key, value } => {
            format!("{} (trigger label {key}={value})", ns.workspace_name())
        }
        _ => format!(
            "none: no trigger label ({})",
            config
                .trigger_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn gateway_change(
    name: &str,
    before: Option<&NamespaceModel>,
    after: Option<&NamespaceModel>,
) -> Option<GatewayChange> {
    let b = before.and_then(GatewayView::of);
    let a = after.and_then(GatewayView::of);
    let moved = match (before, after) {
        (Some(b), Some(a)) => moved_settings(&b.gateway, &a.gateway),
        _ => Vec::new(),
    };
    let in_input = |ns: Option<&NamespaceModel>| ns.is_some_and(NamespaceModel::in_input);
    let (kind, why) = match (&b, &a) {
        (None, None) => return None,
        (None, Some(_)) => {
            let after = after?;
            let why = if !in_input(before) {
                format!("new Namespace, {}", after.mode)
            } else if before.is_some_and(|n| n.workspace() == Some(false)) {
                "the Namespace gains a trigger label".to_owned()
            } else {
                format!("east-west turns on ({})", after.mode)
            };
            (GatewayChangeKind::Created, why)
        }
        (Some(_), None) => {
            let why = match after {
                Some(a) if a.in_input() && a.workspace() == Some(false) => {
                    "the Namespace loses its trigger label: no workspace".to_owned()
                }
                Some(a) if a.in_input() => "east-west is off now".to_owned(),
                _ => "the Namespace is deleted".to_owned(),
            };
            (GatewayChangeKind::Removed, why)
        }
        (Some(b), Some(a)) => {
            if !moved.is_empty() || b.error != a.error {
                (
                    GatewayChangeKind::Moved,
                    "cross-cluster traffic of this Namespace moves to another gateway (EW021)"
                        .to_owned(),
                )
            } else if b.deploy != a.deploy || b.cloud_annotations != a.cloud_annotations {
                (GatewayChangeKind::Updated, String::new())
            } else {
                return None;
            }
        }
    };
    let mut changed = Vec::new();
    let mut cloud_changes = Vec::new();
    if let (Some(b), Some(a)) = (&b, &a) {
        changed = moved;
        if b.deploy != a.deploy {
            changed.push("deploy");
        }
        if b.cloud_annotations != a.cloud_annotations {
            changed.push("cloudAnnotations");
            let empty = BTreeMap::new();
            let bm = b.cloud_annotations.as_ref().unwrap_or(&empty);
            let am = a.cloud_annotations.as_ref().unwrap_or(&empty);
            let keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
            for k in keys {
                let (bv, av) = (bm.get(k), am.get(k));
                if bv != av {
                    cloud_changes.push(CloudChange {
                        key: k.clone(),
                        before: bv.cloned(),
                        after: av.cloned(),
                    });
                }
            }
        }
    }
    let why = if kind == GatewayChangeKind::Updated {
        let mut parts = Vec::new();
        if let (Some(b), Some(a)) = (&b, &a)
            && b.deploy != a.deploy
        {
            parts.push(format!(
                "deploy {} -> {}",
                quoted(b.deploy.as_deref()),
                quoted(a.deploy.as_deref())
            ));
        }
        if !cloud_changes.is_empty() {
            parts.push("cloud annotations of the gateway's Service change".to_owned());
        }
        if let Some(a) = &a
            && a.cloud_parser == Some(CloudParser::Fallback)
            && b.as_ref().and_then(|b| b.cloud_parser) != Some(CloudParser::Fallback)
        {
            parts.push(
                "YAML fails on the new text (EW007), so these are what the agent's line \
                 fallback reads"
                    .to_owned(),
            );
        }
        parts.join("; ")
    } else {
        why
    };
    Some(GatewayChange {
        namespace: name.to_owned(),
        kind,
        before: b,
        after: a,
        changed,
        cloud_changes,
        why,
    })
}

/// The settings that send traffic to another gateway, as `changedFields` names them: what the
/// engine says moves between two derivable gateways ([`gateway::moves`], as EW021 reads it);
/// a gateway that cannot be derived on one side only has no name, namespace or selector there.
fn moved_settings(before: &GatewayState, after: &GatewayState) -> Vec<&'static str> {
    match (before, after) {
        (GatewayState::Settings(b), GatewayState::Settings(a)) => gateway::moves(b, a)
            .map(|m| match m {
                Moved::Name => "name",
                Moved::Namespace => "namespace",
                Moved::WorkloadSelector => "workloadSelector",
            })
            .collect(),
        (GatewayState::Settings(_), _) | (_, GatewayState::Settings(_)) => {
            vec!["name", "namespace", "workloadSelector"]
        }
        _ => Vec::new(),
    }
}

pub(super) fn quoted(v: Option<&str>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "(none)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::exposure::Location;
    use crate::rules::model::Selection;

    fn side(reason: Reason, label: Option<&str>) -> ServiceSide {
        ServiceSide {
            exposed: reason.exposed(),
            reason,
            why: format!("({})", reason.code()),
            location: Location {
                file: "t.yaml".into(),
                line: 1,
            },
            global_label: label.map(str::to_owned),
        }
    }

    #[test]
    fn a_trigger_label_gained_is_the_cause_whatever_the_mode_was() {
        // Namespace-level without a trigger label -> service-level with one (EW020's blocked
        // switch, with the trigger label added in the same change): the label did not change.
        let before = side(
            Reason::NoTriggerLabel(Selection::NamespaceLevel),
            Some("true"),
        );
        let after = side(Reason::Labelled, Some("true"));
        assert_eq!(
            cause(&before, &after, "orders", true),
            "Namespace orders gains a trigger label, so the agent creates its workspace (and \
             this Service is selected: (labelled))"
        );
        // The same words as the switch that is not blocked.
        let before = side(Reason::NoTriggerLabel(Selection::Label), Some("true"));
        assert_eq!(
            cause(&before, &after, "orders", true),
            cause(
                &side(
                    Reason::NoTriggerLabel(Selection::NamespaceLevel),
                    Some("true")
                ),
                &after,
                "orders",
                true
            )
        );
        // An ExternalName Service that becomes another type: its label is not the cause.
        let before = side(Reason::ExternalName(Selection::Label), Some("true"));
        assert_eq!(
            cause(&before, &after, "orders", true),
            "no longer type ExternalName: (labelled)"
        );
    }

    #[test]
    fn a_label_never_changes_from_a_value_to_itself() {
        let reasons = [
            Reason::NamespaceLevel,
            Reason::Labelled,
            Reason::NotLabelled,
            Reason::LabelFalse,
            Reason::LabelNotTrue,
            Reason::LabelAsAnnotation,
            Reason::NoTriggerLabel(Selection::NamespaceLevel),
            Reason::NoTriggerLabel(Selection::Label),
            Reason::ExternalName(Selection::NamespaceLevel),
            Reason::ExternalName(Selection::Label),
        ];
        let labels = [None, Some("true"), Some("True"), Some("false")];
        for b in reasons {
            for a in reasons {
                if b.exposed() == a.exposed() {
                    continue;
                }
                for label in labels {
                    let why = cause(&side(b, label), &side(a, label), "ns", true);
                    assert!(
                        !why.contains("changed from"),
                        "{b:?} -> {a:?}, {label:?}: {why}"
                    );
                }
            }
        }
    }
}
