//! Rules on what a write changes: EW020 and EW021 (Namespace UPDATE), EW022 (Service writes).
//! One function per rule, called in order by `check_namespace` and `check_service`.

use super::Origin;
use std::fmt::Write as _;
use std::sync::Arc;

use super::cluster::{ClusterView, Lookup, NamespaceFacts, ServicesOf};
use super::config::Config;
use super::decision::{Field, Fix};
use super::fixes::set;
use super::gateway::{self, GatewaySettings, Moved};
use super::ids::{Level, RuleId};
use super::keys;
use super::model::{self, ModeChange, Reason, ServiceKeys};
use super::object::ObjectView;
use super::report::{Finding, Report, concat, quote};
use super::selector;

pub(crate) fn check_namespace(
    old: &ObjectView,
    new: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
    origin: Origin,
    out: &mut Report<'_>,
) {
    let was_namespace_level = model::is_namespace_level(old.annotations());
    let is_namespace_level = model::is_namespace_level(new.annotations());
    // Asked once: EW020 lists the Services, EW021 needs to know whether any is labelled.
    let services = if !(was_namespace_level && is_namespace_level) {
        cluster.services(new.name())
    } else {
        Lookup::Unknown
    };
    let modes = (was_namespace_level, is_namespace_level);
    // Deleting the Namespace (finalizers being removed) is the safe path itself.
    let terminating = new.is_terminating() || old.is_terminating();
    let change = model::refuses_mode_change(
        old.annotation(keys::GLOBAL),
        new.annotation(keys::GLOBAL),
        terminating,
    );
    ew020_leaving_namespace_level(old, new, change, &services, origin, out);
    ew021_gateway_moves(old, new, modes, change, &services, config, origin, out);
}

/// EW020: namespace-level to service-level or off in place, which the agent refuses
/// ([`model::refuses_mode_change`]); a warning where the old value is one only a lenient
/// parser reads as true (the Namespace may or may not be namespace-level).
fn ew020_leaving_namespace_level(
    old: &ObjectView,
    new: &ObjectView,
    change: ModeChange,
    services: &Lookup<ServicesOf>,
    origin: Origin,
    out: &mut Report<'_>,
) {
    if change == ModeChange::Allowed {
        return;
    }
    let lenient = change == ModeChange::MayBeRefused;
    let old_value = old.annotation(keys::GLOBAL).unwrap_or_default();
    let to = match new.annotation(keys::GLOBAL) {
        None => "service-level (annotation removed)".to_owned(),
        Some("false") => "service-level (annotation set to \"false\")".to_owned(),
        Some(other) => format!(
            "an invalid value {} (which the agent reads as off)",
            quote(other)
        ),
    };
    // Service-level with nothing labelled is off; an invalid value says "off" already.
    let to = match (services, new.annotation(keys::GLOBAL)) {
        (Lookup::Found(s), None | Some("false")) if s.labelled == 0 && s.unlabelled > 0 => {
            format!("{to}, which is off as no Service in it is labelled,")
        }
        _ => to,
    };
    let affected = match services {
        Lookup::Found(s) if s.unlabelled > 0 => {
            let shown = &s.unlabelled_first[..s.unlabelled_first.len().min(10)];
            let mut list = shown.join(", ");
            if s.unlabelled > shown.len() {
                let _ = write!(list, " and {} more", s.unlabelled - shown.len());
            }
            format!(
                " In this Namespace that is {} Service{}: {list}.",
                s.unlabelled,
                if s.unlabelled == 1 { "" } else { "s" }
            )
        }
        Lookup::Found(s) if s.labelled > 0 => " (Every Service in it is labelled today, but the agent blocks this transition all the same.)".to_owned(),
        // No Service at all: in manifests, its Services may be in files not given.
        Lookup::Found(_) => match origin {
            Origin::Admission => " (It has no Service today, but the agent blocks this transition all the same.)",
            Origin::Manifests => " (No Service of this Namespace is in the input, so which ones would stop being exposed is not known here.)",
        }
        .to_owned(),
        _ => String::new(),
    };
    let g = keys::GLOBAL;
    let from = if lenient {
        format!(
            "{} (which a lenient boolean parser, such as Go's strconv.ParseBool, reads as true: \
             the Namespace may be namespace-level today)",
            quote(old_value)
        )
    } else {
        "\"true\" (namespace-level: every Service exposed)".to_owned()
    };
    let verdict = if lenient {
        format!(
            "Not denied, since the old value is not exactly \"true\"; but if the agent read it \
             as true, every Service without the label {g}: \"true\" would silently stop being \
             exposed cross-cluster once this applies, and the agent refuses the transition and \
             keeps the old configuration.{affected} If that is the case, take the safe path"
        )
    } else {
        format!(
            "is blocked: every Service without the label {g}: \"true\" would silently stop \
             being exposed cross-cluster.{affected} The agent also refuses this transition and \
             keeps the old configuration. Safe path"
        )
    };
    let separator = if lenient { ". " } else { " " };
    let mut finding = Finding::new(
        RuleId::EW020,
        Field::Annotation(g.into()),
        new.annotation(g),
    )
    .message(format!(
        "changing {g} from {from} to {to}{separator}{verdict}: {}{}. (service-level to \
         namespace-level is allowed.)",
        model::SAFE_PATH_FROM_NAMESPACE_LEVEL,
        match origin {
            Origin::Admission => "",
            Origin::Manifests =>
                " (in GitOps, remove the Namespace in a change of its own, let it sync, then \
                 add it back in a later change)",
        }
    ))
    // The summary is the warning when EW020 is downgraded (warn-only rollout) or lenient: it
    // says what changes and what to do, not that the write is blocked.
    .summary(format!(
        "{g} {} -> {}: leaving namespace-level stops exposing unlabelled Services{}{}; label \
         them in the manifests, then delete and recreate the Namespace",
        quote(if lenient { old_value } else { "true" }),
        match new.annotation(g) {
            None => "removed".to_owned(),
            Some(v) => quote(v),
        },
        match services {
            Lookup::Found(s) if s.unlabelled > 0 => format!(" ({})", s.unlabelled),
            _ => String::new(),
        },
        if lenient {
            " if the agent read the old value as true"
        } else {
            ""
        },
    ));
    if lenient {
        finding = finding.level(Level::Warn);
    }
    out.push(finding);
}

/// EW021: the gateway moves ([`gateway::moves`]) while east-west is on: the agent has a
/// workspace for the Namespace (a trigger label) before and after, and exposure is on in both
/// (namespace-level, or a labelled Service), as `diff` reads a gateway in use. Not while the
/// agent refuses the write's mode change (EW020): it keeps the old configuration, gateway
/// included, so nothing moves.
#[allow(clippy::too_many_arguments)]
fn ew021_gateway_moves(
    old: &ObjectView,
    new: &ObjectView,
    (was_namespace_level, is_namespace_level): (bool, bool),
    change: ModeChange,
    services: &Lookup<ServicesOf>,
    config: &Config,
    origin: Origin,
    out: &mut Report<'_>,
) {
    let on = (was_namespace_level && is_namespace_level)
        || matches!(services, Lookup::Found(s) if s.labelled > 0);
    if !on
        || change == ModeChange::Refused
        || config.trigger_label(old.labels()).is_none()
        || config.trigger_label(new.labels()).is_none()
    {
        return;
    }
    let (Ok(before), Ok(after)) = (
        gateway::derive(old.annotations(), config),
        gateway::derive(new.annotations(), config),
    ) else {
        return;
    };
    // A gateway key written in neither version: derived from the other in both.
    let derived_in_both = |k: &str| old.annotation(k).is_none() && new.annotation(k).is_none();
    let changes: Vec<(&str, &str, &str, &str)> = gateway::moves(&before, &after)
        .map(|moved| match moved {
            Moved::Name => ("name", keys::GATEWAY_NAME, &*before.name, &*after.name),
            Moved::Namespace => (
                "namespace",
                keys::GATEWAY_NAMESPACE,
                &*before.namespace,
                &*after.namespace,
            ),
            Moved::WorkloadSelector => (
                "workload selector",
                keys::GATEWAY_SELECTOR,
                &*before.workload_selector,
                &*after.workload_selector,
            ),
        })
        // In manifests, a key written in neither version that changes only because it is
        // derived from the other (the selector from the name, or the name from the selector's
        // app) is said once, on the key that was written.
        .filter(|&(_, key, _, _)| {
            !(origin == Origin::Manifests
                && ((key == keys::GATEWAY_SELECTOR
                    && derived_in_both(keys::GATEWAY_SELECTOR)
                    && before.name != after.name
                    && !derived_in_both(keys::GATEWAY_NAME))
                    || (key == keys::GATEWAY_NAME
                        && derived_in_both(keys::GATEWAY_NAME)
                        && !derived_in_both(keys::GATEWAY_SELECTOR)
                        && !selector::same_pairs(
                            &before.workload_selector,
                            &after.workload_selector,
                        ))))
        })
        .collect();
    for (what, key, from, to) in changes {
        let note = ew021_note(&before, &after, key, to, origin, &derived_in_both);
        let mut finding = Finding::new(RuleId::EW021, Field::Annotation(key.into()), Some(to))
            .message(format!(
                "changes the east-west gateway {what} from {} to {} while east-west is on: \
                 cross-cluster traffic for this Namespace moves to a new gateway, and peers \
                 reach it only once the new gateway is up. Make sure that is intended, and \
                 schedule it like any gateway change{}",
                quote(from),
                quote(to),
                note.text
            ))
            .summary(format!(
                "gateway {what} changes {} -> {}: cross-cluster traffic moves{}",
                quote(from),
                quote(to),
                note.short
            ));
        if let Some(fix) = note.fix {
            finding = finding.fix(fix);
        }
        out.push(finding);
    }
}

/// EW021's note on the key that changes: a derived key left behind by the change of the key it
/// derives from, for the message and the summary, and the fix where it is an edit.
struct Note {
    text: String,
    short: String,
    fix: Option<Fix>,
}

fn ew021_note(
    before: &GatewaySettings<'_>,
    after: &GatewaySettings<'_>,
    key: &str,
    to: &str,
    origin: Origin,
    derived_in_both: &dyn Fn(&str) -> bool,
) -> Note {
    // A new name with the selector still derived from the old one, written down (by hand, or
    // by a guard that did not record it: the mutating webhook derives the selector again
    // before this review sees the object where it recorded it): the new gateway would select
    // the old gateway's pods.
    let stale_selector = before.name != after.name
        && selector::same_pairs(&before.workload_selector, &after.workload_selector)
        && app(&after.workload_selector) == Some(&*before.name);
    // The mirror: a new selector `app` with the name still derived from the old one, written
    // down, so the name no longer follows the selector as it would without the annotation.
    let stale_name = before.name == after.name
        && !selector::same_pairs(&before.workload_selector, &after.workload_selector)
        && app(&before.workload_selector) == Some(&*before.name)
        && app(&after.workload_selector).is_some_and(|a| a != after.name);
    if stale_selector && key == keys::GATEWAY_NAME {
        let selector = with_app(&after.workload_selector, to);
        Note {
            text: format!(
                ". The workload selector stays {}, which selects the old gateway's pods: \
                 change it too, or remove {} and it is derived from the new name again",
                quote(&after.workload_selector),
                keys::GATEWAY_SELECTOR
            ),
            short: format!("; selector still {}", quote(&after.workload_selector)),
            fix: Some(Fix::edits(vec![set(
                Field::Annotation(keys::GATEWAY_SELECTOR.into()),
                selector,
            )])),
        }
    } else if origin == Origin::Manifests
        && key == keys::GATEWAY_NAME
        && derived_in_both(keys::GATEWAY_SELECTOR)
    {
        written_down(
            "selector derived from the old name",
            keys::GATEWAY_SELECTOR,
            &before.workload_selector,
            &format!("app={to}"),
        )
    } else if origin == Origin::Manifests
        && key == keys::GATEWAY_SELECTOR
        && before.name != after.name
        && derived_in_both(keys::GATEWAY_NAME)
    {
        written_down(
            "name derived from the old selector",
            keys::GATEWAY_NAME,
            &before.name,
            &after.name,
        )
    } else if stale_name && key == keys::GATEWAY_SELECTOR {
        let new_app = app(&after.workload_selector).unwrap_or_default();
        Note {
            text: format!(
                ". The gateway name stays {}, the old selector's app (what the name is \
                 derived from when it is not set): change it too, or remove {} and it is \
                 derived from the new selector",
                quote(&after.name),
                keys::GATEWAY_NAME
            ),
            short: format!("; name still {}", quote(&after.name)),
            fix: Some(Fix::edits(vec![set(
                Field::Annotation(keys::GATEWAY_NAME.into()),
                new_app,
            )])),
        }
    } else {
        Note {
            text: String::new(),
            short: String::new(),
            fix: None,
        }
    }
}

/// EW021's note, in manifests, on a derived gateway key (`key`, `old` before the change) that
/// the mutating webhook may have written into the Namespace. Where it recorded that (in its
/// [`RECORD`](super::mutation::RECORD) annotation), it derives the key again when the key it
/// derives from changes, so the cluster follows the manifests. A value written there by hand,
/// or by a guard that kept no record, stays: then the manifest must say the new value.
fn written_down(what: &str, key: &str, old: &str, new: &str) -> Note {
    Note {
        text: format!(
            ". Where eastwest-guard's mutating webhook wrote the {what} into the Namespace \
             ({key} \"{old}\") and recorded it, it derives it again from the new value; if \
             the Namespace carries that value written by hand (or by a guard that kept no \
             record), it stays: then set {key} to \"{new}\" in this manifest too"
        ),
        short: format!("; {key} follows where the guard recorded it"),
        fix: None,
    }
}

/// A valid workload selector with its `app` value replaced, its other pairs as they were.
fn with_app(selector: &str, app: &str) -> String {
    match selector::parse(selector) {
        Ok(sel) => sel
            .pairs
            .iter()
            .map(|(k, v)| {
                if *k == "app" {
                    format!("app={app}")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Err(_) => format!("app={app}"),
    }
}

/// The `app` value of a valid workload selector.
fn app(selector: &str) -> Option<&str> {
    selector::parse(selector).ok().and_then(|s| s.app())
}

pub(crate) fn check_service(
    old: Option<&ObjectView>,
    new: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    namespace_before: Option<&Lookup<Arc<NamespaceFacts>>>,
    out: &mut Report<'_>,
) {
    ew022_exposure_changes(
        old,
        new,
        namespace,
        config,
        namespace_facts,
        namespace_before,
        out,
    );
}

/// Why a Service is exposed or not in a Namespace with these facts; `None` facts: the
/// Namespace is not known, and the Service is judged by its label alone (as `diff` judges a
/// Service whose Namespace is not in its input).
fn reason(service: &ObjectView, facts: Option<&NamespaceFacts>, config: &Config) -> Reason {
    match facts {
        Some(f) => Reason::of(
            ServiceKeys::of(service),
            model::is_namespace_level(Some(&f.annotations)),
            Some(config.trigger_label(Some(&f.labels)).is_some()),
        ),
        None => Reason::of(ServiceKeys::of(service), false, None),
    }
}

/// EW022: a Service write that changes its own exposure: the old Service in its Namespace
/// before the write against the new Service in its Namespace after it. The webhook has one
/// Namespace (the cluster's, `namespace_before` is `None`); `check --old` has the Namespace of
/// each input. In a namespace-level Namespace, a label written there changes nothing, and
/// says so.
///
/// Messages are joined from their parts (`concat`): this runs on Service writes, where
/// `format!` cost more than the rest of the decision.
fn ew022_exposure_changes(
    old: Option<&ObjectView>,
    new: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    namespace_before: Option<&Lookup<Arc<NamespaceFacts>>>,
    out: &mut Report<'_>,
) {
    let Some(ns) = namespace else { return };
    let Lookup::Found(after_facts) = namespace_facts else {
        return;
    };
    let before_facts: Option<&NamespaceFacts> = match namespace_before {
        None => Some(after_facts),
        Some(Lookup::Found(f)) => Some(f),
        Some(_) => None,
    };
    let after = reason(new, Some(after_facts), config);
    let before = old.map(|o| reason(o, before_facts, config));
    let was_exposed = before.is_some_and(Reason::exposed);
    let is_exposed = after.exposed();
    // Without a trigger label the agent creates no workspace: nothing in the Namespace is
    // exposed after (EW031 says so for labelled Services); a label there changes nothing.
    let has_workspace = !matches!(after, Reason::NoTriggerLabel(_));
    let namespace_level = model::is_namespace_level(Some(&after_facts.annotations));
    if has_workspace
        && namespace_level
        && !model::is_external_name(new.service_type())
        && ew022_label_in_namespace_level(old, new, ns, was_exposed, out)
    {
        return;
    }
    if was_exposed == is_exposed {
        return;
    }
    ew022_exposure(before, after, old, new, ns, out);
}

/// EW022 in a namespace-level Namespace: every Service is exposed, so a label written, removed
/// or set to `"false"` changes nothing, and says so. Whether it said so.
fn ew022_label_in_namespace_level(
    old: Option<&ObjectView>,
    new: &ObjectView,
    ns: &str,
    was_exposed: bool,
    out: &mut Report<'_>,
) -> bool {
    let was_labelled = old.is_some_and(model::is_labelled);
    let is_labelled = model::is_labelled(new);
    let label_value = new.label(keys::GLOBAL);
    // A "false" label newly written here keeps nothing private, however plainly meant: said on
    // a CREATE as on an UPDATE from "true".
    let writes_false =
        label_value == Some("false") && old.and_then(|o| o.label(keys::GLOBAL)) != Some("false");
    if !(was_labelled != is_labelled || (old.is_none() && is_labelled) || writes_false) {
        return false;
    }
    let name = new.name();
    let what = if was_exposed {
        " stays exposed cross-cluster"
    } else {
        " becomes exposed cross-cluster"
    };
    let g = keys::GLOBAL;
    out.push(
        Finding::new(
            RuleId::EW022,
            Field::Label(keys::GLOBAL.into()),
            label_value,
        )
        .message(concat(&[
            "Service ",
            ns,
            "/",
            name,
            what,
            "; the label ",
            g,
            " has no effect here, because Namespace \"",
            ns,
            "\" is namespace-level (",
            g,
            ": \"true\" on the Namespace) and every Service in it is exposed, \
                 labelled or not",
        ]))
        .summary(concat(&[
            "Service ",
            ns,
            "/",
            name,
            what,
            ": label has no effect, Namespace ",
            ns,
            " is namespace-level",
        ])),
    );
    true
}

/// EW022 where the Service becomes exposed or stops being exposed: by its label, its type, or
/// (in `check --old`, where the Namespace changes in the same input) its Namespace.
fn ew022_exposure(
    before: Option<Reason>,
    after: Reason,
    old: Option<&ObjectView>,
    new: &ObjectView,
    ns: &str,
    out: &mut Report<'_>,
) {
    let is_exposed = after.exposed();
    let label_value = new.label(keys::GLOBAL);
    let name = new.name();
    let g = keys::GLOBAL;
    let label_same = old.is_some_and(|o| o.label(g) == label_value);
    let quoted;
    let (what, why): (&str, [&str; 7]) = match (before, after) {
        // The Namespace is the cause (only where the input changes it: the webhook judges
        // both sides against one Namespace).
        (Some(Reason::NoTriggerLabel(_)), _) if is_exposed => (
            " becomes exposed cross-cluster",
            [
                "its Namespace \"",
                ns,
                "\" gains a trigger label",
                "",
                "",
                "",
                "",
            ],
        ),
        (_, Reason::NoTriggerLabel(_)) => (
            " stops being exposed cross-cluster",
            [
                "its Namespace \"",
                ns,
                "\" loses its trigger label, so the agent creates no workspace for it",
                "",
                "",
                "",
                "",
            ],
        ),
        (Some(b), Reason::NamespaceLevel) if b != Reason::NamespaceLevel => (
            " becomes exposed cross-cluster",
            [
                "its Namespace \"",
                ns,
                "\" becomes namespace-level: every Service in it is exposed",
                "",
                "",
                "",
                "",
            ],
        ),
        (Some(Reason::NamespaceLevel), _) if !is_exposed && label_same => (
            " stops being exposed cross-cluster",
            [
                "its Namespace \"",
                ns,
                "\" is no longer namespace-level, and the Service is not labelled ",
                g,
                ": \"true\"",
                "",
                "",
            ],
        ),
        // The label as it was, and the type changed: the type is the cause.
        (Some(Reason::ExternalName(_)), _) if is_exposed && label_same => (
            " becomes exposed cross-cluster",
            [
                "it is no longer type ExternalName, and it is labelled ",
                g,
                ": \"true\" (Namespace \"",
                ns,
                "\" is service-level)",
                "",
                "",
            ],
        ),
        (_, Reason::ExternalName(_)) => (
            " stops being exposed cross-cluster",
            [
                "it is now type ExternalName, which has no endpoints to expose; callers in \
                 other clusters lose it",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ),
        _ if is_exposed => (
            " becomes exposed cross-cluster",
            [
                "it is now labelled ",
                g,
                ": \"true\" (Namespace \"",
                ns,
                "\" is service-level)",
                "",
                "",
            ],
        ),
        _ => {
            quoted = label_value.map(quote);
            (
                " stops being exposed cross-cluster",
                [
                    "its label ",
                    g,
                    " is ",
                    quoted.as_deref().unwrap_or("removed"),
                    " (Namespace \"",
                    ns,
                    "\" is service-level); callers in other clusters lose it",
                ],
            )
        }
    };
    let head = ["Service ", ns, "/", name, what];
    let mut message = concat(&head);
    message.push_str(": ");
    why.iter().for_each(|part| message.push_str(part));
    out.push(
        Finding::new(
            RuleId::EW022,
            Field::Label(keys::GLOBAL.into()),
            label_value,
        )
        .message(message)
        .summary(concat(&head)),
    );
}
