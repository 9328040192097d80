//! Rules on what a write changes: EW020 and EW021 (Namespace UPDATE), EW022 (Service writes).
//! One function per rule, called in order by `check_namespace` and `check_service`.

use super::Origin;
use std::fmt::Write as _;
use std::sync::Arc;

use super::cluster::{ClusterView, Lookup, NamespaceFacts, ServicesOf};
use super::config::Config;
use super::decision::Field;
use super::gateway::{self, GatewaySettings, Moved};
use super::ids::RuleId;
use super::keys;
use super::model;
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
    ew020_leaving_namespace_level(old, new, modes, &services, origin, out);
    ew021_gateway_moves(old, new, modes, &services, config, origin, out);
}

/// EW020: namespace-level to service-level or off in place, which the agent refuses
/// ([`model::refuses_mode_change`]).
fn ew020_leaving_namespace_level(
    old: &ObjectView,
    new: &ObjectView,
    (was_namespace_level, is_namespace_level): (bool, bool),
    services: &Lookup<ServicesOf>,
    origin: Origin,
    out: &mut Report<'_>,
) {
    // Deleting the Namespace (finalizers being removed) is the safe path itself.
    let terminating = new.is_terminating() || old.is_terminating();
    if !model::refuses_mode_change(was_namespace_level, is_namespace_level, terminating) {
        return;
    }
    let name = new.name();
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
    let safe_path = match origin {
        Origin::Admission => format!(
            "label each Service that must stay exposed (kubectl label service NAME -n {name} \
             {g}=true), then delete the Namespace and recreate it without the annotation",
            g = keys::GLOBAL
        ),
        Origin::Manifests => format!(
            "label each Service that must stay exposed ({g}: \"true\" under metadata.labels); in \
             GitOps, delete the Namespace in a change of its own (remove it, merge, let it \
             sync), then add it back without the annotation in a later change",
            g = keys::GLOBAL
        ),
    };
    out.push(
        Finding::new(RuleId::EW020, Field::Annotation(keys::GLOBAL.into()), new.annotation(keys::GLOBAL))
            .message(format!(
                "changing {g} from \"true\" (namespace-level: every Service exposed) to {to} is \
                 blocked: every Service without the label {g}: \"true\" would silently stop \
                 being exposed cross-cluster.{affected} The agent also refuses this transition \
                 and keeps the old configuration. Safe path: {safe_path}. (service-level to \
                 namespace-level is allowed.)",
                g = keys::GLOBAL
            ))
            // The summary is the warning when EW020 is downgraded (warn-only rollout): it
            // says what changes and what to do, not that the write is blocked.
            .summary(format!(
                "{g} \"true\" -> {}: leaving namespace-level stops exposing unlabelled Services{}; label them, then delete and recreate the Namespace",
                match new.annotation(keys::GLOBAL) {
                    None => "removed".to_owned(),
                    Some(v) => quote(v),
                },
                match services {
                    Lookup::Found(s) if s.unlabelled > 0 => format!(" ({})", s.unlabelled),
                    _ => String::new(),
                },
                g = keys::GLOBAL
            )),
    );
}

/// EW021: the gateway moves ([`gateway::moves`]) while east-west is on.
fn ew021_gateway_moves(
    old: &ObjectView,
    new: &ObjectView,
    (was_namespace_level, is_namespace_level): (bool, bool),
    services: &Lookup<ServicesOf>,
    config: &Config,
    origin: Origin,
    out: &mut Report<'_>,
) {
    let on = (was_namespace_level && is_namespace_level)
        || matches!(services, Lookup::Found(s) if s.labelled > 0);
    if !on {
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
        // app) is said once, on the key that was written: where the mutating webhook runs, the
        // derived one stays as it was written down, so a warning on it would contradict the
        // one on the written key.
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
        let (stale, stale_short) = ew021_note(&before, &after, key, to, origin, &derived_in_both);
        out.push(
            Finding::new(RuleId::EW021, Field::Annotation(key.into()), Some(to))
                .message(format!(
                    "changes the east-west gateway {what} from {} to {} while east-west is on: \
                     cross-cluster traffic for this Namespace moves to a new gateway, and peers \
                     reach it only once the new gateway is up. Make sure that is intended, and \
                     schedule it like any gateway change{stale}",
                    quote(from),
                    quote(to)
                ))
                .summary(format!(
                    "gateway {what} changes {} -> {}: cross-cluster traffic moves{stale_short}",
                    quote(from),
                    quote(to)
                )),
        );
    }
}

/// EW021's note on the key `key` that changes to `to`, for the message and the summary: a
/// derived key that stays as it was written down while the key it derives from changes.
fn ew021_note(
    before: &GatewaySettings<'_>,
    after: &GatewaySettings<'_>,
    key: &str,
    to: &str,
    origin: Origin,
    derived_in_both: &dyn Fn(&str) -> bool,
) -> (String, String) {
    // A new name with the selector still derived from the old one (written down by the
    // defaults patch, or by hand): the new gateway would select the old gateway's pods.
    let stale_selector = before.name != after.name
        && selector::same_pairs(&before.workload_selector, &after.workload_selector)
        && app(&after.workload_selector) == Some(&*before.name);
    // The mirror: a new selector `app` with the name still derived from the old one (the
    // defaults patch wrote it down), so the name no longer follows the selector as it would
    // without the annotation.
    let stale_name = before.name == after.name
        && !selector::same_pairs(&before.workload_selector, &after.workload_selector)
        && app(&before.workload_selector) == Some(&*before.name)
        && app(&after.workload_selector).is_some_and(|a| a != after.name);
    if stale_selector && key == keys::GATEWAY_NAME {
        (
            format!(
                ". The workload selector stays {}, which selects the old gateway's pods: \
                 change it to \"app={to}\" too, or remove {} and it is derived from the new \
                 name again",
                quote(&after.workload_selector),
                keys::GATEWAY_SELECTOR
            ),
            format!(
                "; selector still {}: set it to \"app={to}\" too",
                quote(&after.workload_selector)
            ),
        )
    } else if origin == Origin::Manifests
        && key == keys::GATEWAY_NAME
        && derived_in_both(keys::GATEWAY_SELECTOR)
    {
        // In manifests the selector follows the name, but in a cluster where the mutating
        // webhook runs, it wrote the derived selector into the Namespace when it was created,
        // and a written selector stays: the cluster keeps the old one where the manifests
        // predict a new one.
        written_down(
            "selector derived from the old name",
            keys::GATEWAY_SELECTOR,
            &before.workload_selector,
            &format!("app={to}"),
            "move it",
        )
    } else if origin == Origin::Manifests
        && key == keys::GATEWAY_SELECTOR
        && before.name != after.name
        && derived_in_both(keys::GATEWAY_NAME)
    {
        // The mirror: the name derived from the selector's app was written down too.
        written_down(
            "name derived from the old selector",
            keys::GATEWAY_NAME,
            &before.name,
            &after.name,
            "rename it",
        )
    } else if stale_name && key == keys::GATEWAY_SELECTOR {
        let new_app = app(&after.workload_selector).unwrap_or_default();
        (
            format!(
                ". The gateway name stays {}, the old selector's app (what the name is \
                 derived from when it is not set): change it to {} too, or remove {} and it is \
                 derived from the new selector",
                quote(&after.name),
                quote(new_app),
                keys::GATEWAY_NAME
            ),
            format!(
                "; name still {}: set it to {} too",
                quote(&after.name),
                quote(app(&after.workload_selector).unwrap_or_default())
            ),
        )
    } else {
        (String::new(), String::new())
    }
}

/// EW021's note, in manifests, on a derived gateway key the mutating webhook wrote into the
/// Namespace (`key` at `old`), which a change of the key it derives from leaves behind; and
/// its short form for the summary.
fn written_down(what: &str, key: &str, old: &str, new: &str, verb: &str) -> (String, String) {
    (
        format!(
            ". Where eastwest-guard's mutating webhook runs, the Namespace already carries the \
             {what} ({key} \"{old}\"), and with a client-side `kubectl apply` it stays \
             (server-side apply drops it, and the webhook derives it again): set {key} to \
             \"{new}\" in this manifest to {verb} too"
        ),
        format!("; set {key} to \"{new}\" too"),
    )
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
    out: &mut Report<'_>,
) {
    ew022_exposure_changes(old, new, namespace, config, namespace_facts, out);
}

/// EW022: a Service write that changes its own exposure ([`model::is_exposed`]), judged with
/// its Namespace's mode; in a namespace-level Namespace, a label that changes nothing.
///
/// Messages are joined from their parts (`concat`): this runs on Service writes, where
/// `format!` cost more than the rest of the decision.
fn ew022_exposure_changes(
    old: Option<&ObjectView>,
    new: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    out: &mut Report<'_>,
) {
    let Some(ns) = namespace else { return };
    let Lookup::Found(facts) = namespace_facts else {
        return;
    };
    // Without a trigger label the agent creates no workspace: nothing in the Namespace is
    // exposed before or after, whatever the labels say (EW031 says so for labelled Services).
    if config.trigger_label(Some(&facts.labels)).is_none() {
        return;
    }
    if model::is_namespace_level(Some(&facts.annotations)) {
        ew022_label_in_namespace_level(old, new, ns, out);
    } else {
        ew022_service_level(old, new, ns, out);
    }
}

/// EW022 in a namespace-level Namespace: every Service is exposed, so a label written, removed
/// or set to `"false"` changes nothing, and says so.
fn ew022_label_in_namespace_level(
    old: Option<&ObjectView>,
    new: &ObjectView,
    ns: &str,
    out: &mut Report<'_>,
) {
    // An ExternalName Service is not exposed either way (EW040 says so when labelled).
    if model::is_external_name(new.service_type()) {
        return;
    }
    let was_labelled = old.is_some_and(model::is_labelled);
    let is_labelled = model::is_labelled(new);
    let label_value = new.label(keys::GLOBAL);
    // A "false" label newly written here keeps nothing private, however plainly meant: said on
    // a CREATE as on an UPDATE from "true".
    let writes_false =
        label_value == Some("false") && old.and_then(|o| o.label(keys::GLOBAL)) != Some("false");
    if !(was_labelled != is_labelled || (old.is_none() && is_labelled) || writes_false) {
        return;
    }
    let name = new.name();
    let what = if old.is_none() {
        " becomes exposed cross-cluster"
    } else {
        " stays exposed cross-cluster"
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
}

/// EW022 in a service-level Namespace: the Service becomes exposed or stops being exposed, by
/// its label or its type.
fn ew022_service_level(old: Option<&ObjectView>, new: &ObjectView, ns: &str, out: &mut Report<'_>) {
    let was_exposed = old.is_some_and(|o| model::is_exposed(o, false));
    let is_exposed = model::is_exposed(new, false);
    if was_exposed == is_exposed {
        return;
    }
    let was_labelled = old.is_some_and(model::is_labelled);
    let is_labelled = model::is_labelled(new);
    let label_value = new.label(keys::GLOBAL);
    let name = new.name();
    let g = keys::GLOBAL;
    let quoted;
    // The label as it was, and the type changed: the type is the cause.
    let (what, why): (&str, [&str; 7]) = if is_exposed && was_labelled {
        (
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
        )
    } else if !is_exposed && is_labelled {
        (
            " stops being exposed cross-cluster",
            [
                "it is now type ExternalName, which has no endpoints to expose (Namespace \"",
                ns,
                "\" is service-level); callers in other clusters lose it",
                "",
                "",
                "",
                "",
            ],
        )
    } else if is_exposed {
        (
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
        )
    } else {
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
