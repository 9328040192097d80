//! Rules on a Namespace's own keys: EW001..EW012 (Namespace side), EW030, EW032.

use super::cloud;
use super::cluster::{ClusterView, Lookup};
use super::config::Config;
use super::decision::Field;
use super::gateway;
use super::ids::{Level, RuleId};
use super::keys;
use super::names;
use super::object::ObjectView;
use super::report::{Finding, Report, quote, shell_word, shorten};
use super::selector;

pub(crate) fn check(
    ns: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
    out: &mut Report<'_>,
) {
    let name = ns.name_for_commands().to_owned();
    check_labels(ns, &name, out);
    check_unknown_annotations(ns, out);

    let ann = |k: &str| ns.annotation(k);
    if let Some(v) = ann(keys::GLOBAL)
        && v != "true"
        && v != "false"
    {
        out.push(
            Finding::new(
                RuleId::EW001,
                Field::Annotation(keys::GLOBAL.into()),
                Some(v),
            )
            .message(format!(
                "annotation {} is {}; expected exactly \"true\" or \"false\" (lower case). \
                         The agent treats anything else as \"false\", so east-west stays off. \
                         Fix: {}",
                keys::GLOBAL,
                quote(v),
                bool_fix(v, keys::GLOBAL)
            ))
            .summary(format!(
                "{} is {}; use \"true\" or \"false\"",
                keys::GLOBAL,
                quote(v)
            )),
        );
    }
    if let Some(v) = ann(keys::GATEWAY_DEPLOY)
        && v != "true"
        && v != "false"
    {
        out.push(
            Finding::new(
                RuleId::EW002,
                Field::Annotation(keys::GATEWAY_DEPLOY.into()),
                Some(v),
            )
            .message(format!(
                "annotation {} is {}; expected exactly \"true\" or \"false\" (lower case; \
                         the default is \"true\"). Fix: {}",
                keys::GATEWAY_DEPLOY,
                quote(v),
                bool_fix(v, keys::GATEWAY_DEPLOY)
            ))
            .summary(format!(
                "{} is {}; use \"true\" or \"false\"",
                keys::GATEWAY_DEPLOY,
                quote(v)
            )),
        );
    }
    let gateway_namespace_ok = match ann(keys::GATEWAY_NAMESPACE) {
        Some(v) => match names::dns1123_label(v) {
            Ok(()) => true,
            Err(why) => {
                out.push(
                    Finding::new(RuleId::EW003, Field::Annotation(keys::GATEWAY_NAMESPACE.into()), Some(v))
                        .message(format!(
                            "annotation {} is {}: a gateway namespace {why}. Fix: set it to an \
                             existing namespace name such as \"{}\", or remove it to use that default",
                            keys::GATEWAY_NAMESPACE,
                            quote(v),
                            config.default_gateway_namespace
                        ))
                        .summary(format!("gateway namespace {} is not a DNS-1123 label", quote(v))),
                );
                false
            }
        },
        None => true,
    };

    let given_name = ann(keys::GATEWAY_NAME);
    if let Some(v) = given_name
        && let Err(why) = names::dns1123_label(v)
    {
        // Without the name, the gateway is named from the selector's app value, or by
        // default when there is no selector; a selector without app has no name at all.
        let without_it = match ann(keys::GATEWAY_SELECTOR).map(selector::parse) {
            None => format!(
                ", or remove it to use the default \"{}\"",
                config.default_gateway_name
            ),
            Some(Ok(sel)) => match sel.app() {
                Some(app) if names::dns1123_label(app).is_ok() => {
                    format!(
                        ", or remove it to use the selector's app value {}",
                        quote(app)
                    )
                }
                _ => String::new(),
            },
            Some(Err(_)) => String::new(),
        };
        out.push(
            Finding::new(
                RuleId::EW004,
                Field::Annotation(keys::GATEWAY_NAME.into()),
                Some(v),
            )
            .message(format!(
                "annotation {} is {}: a gateway name {why}. Fix: use a name such as \
                         \"payments-east-west\"{without_it}",
                keys::GATEWAY_NAME,
                quote(v),
            ))
            .summary(format!("gateway name {} is not a DNS-1123 label", quote(v))),
        );
    }
    if let Some(v) = ann(keys::GATEWAY_SELECTOR) {
        match selector::parse(v) {
            Err(problems) => {
                for p in problems {
                    out.push(
                        Finding::new(RuleId::EW005, Field::Annotation(keys::GATEWAY_SELECTOR.into()), Some(v))
                            .message(format!(
                                "annotation {} is {}: the workload selector {}. Expected \
                                 k=v[,k=v]... with label keys and values, e.g. \"app=east-west-gateway\"",
                                keys::GATEWAY_SELECTOR,
                                quote(v),
                                p.what
                            ))
                            .summary(format!("workload selector {}", p.what)),
                    );
                }
            }
            Ok(sel) => match (sel.app(), given_name) {
                (None, None) => out.push(
                    Finding::new(
                        RuleId::EW006,
                        Field::Annotation(keys::GATEWAY_SELECTOR.into()),
                        Some(v),
                    )
                    .message(format!(
                        "annotation {} is {} and has no `app` key, and {} is not set, so the \
                             gateway name cannot be derived. Fix: set {} (e.g. \"{}\"), or add \
                             app=<gateway name> to the selector (e.g. \"app={},{v}\") if the \
                             gateway's pods carry that label: a selector matches only pods with \
                             every pair",
                        keys::GATEWAY_SELECTOR,
                        quote(v),
                        keys::GATEWAY_NAME,
                        keys::GATEWAY_NAME,
                        config.default_gateway_name,
                        config.default_gateway_name,
                    ))
                    .summary("selector has no app key and no gateway name is set: set the name"),
                ),
                (Some(app), None) => {
                    if let Err(why) = names::dns1123_label(app) {
                        out.push(
                            Finding::new(RuleId::EW004, Field::Annotation(keys::GATEWAY_SELECTOR.into()), Some(app))
                                .message(format!(
                                    "the gateway name derived from {} (its app value {}) {why}. \
                                     Fix: use an app value that is a DNS-1123 label, or set {} explicitly",
                                    keys::GATEWAY_SELECTOR,
                                    quote(app),
                                    keys::GATEWAY_NAME
                                ))
                                .summary(format!("derived gateway name {} is not a DNS-1123 label", quote(app))),
                        );
                    }
                }
                _ => {}
            },
        }
    }
    if let Some(v) = ann(keys::GATEWAY_CLOUD_ANNOTATIONS) {
        cloud::check(v, config, out);
    }

    let namespace_level = ann(keys::GLOBAL) == Some("true");
    if namespace_level && config.trigger_label(ns.labels()).is_none() {
        let fix = config.trigger_fix(ns.labels(), &name);
        let all = config
            .trigger_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Finding::new(
                RuleId::EW030,
                Field::Annotation(keys::GLOBAL.into()),
                Some("true"),
            )
            .message(format!(
                "has {}: \"true\" but none of the trigger labels ({all}), so the agent creates \
                     no workspace and nothing is exposed. Fix: {fix}",
                keys::GLOBAL
            ))
            .summary(format!(
                "east-west on but no trigger label: {}",
                short_fix(&fix)
            )),
        );
    }

    // EW032 needs the cluster; only for Namespaces that configure or use a gateway.
    let uses_gateway = namespace_level || keys::GATEWAY_KEYS.iter().any(|k| ann(k).is_some());
    if uses_gateway
        && gateway_namespace_ok
        && let Ok(gw) = gateway::derive(ns.annotations(), config)
        && gw.namespace != name
        && let Lookup::Missing = cluster.namespace(&gw.namespace)
    {
        out.push(
                        Finding::new(RuleId::EW032, Field::Annotation(keys::GATEWAY_NAMESPACE.into()), Some(&gw.namespace))
                            .message(format!(
                                "the east-west gateway goes to namespace \"{}\", which does not exist \
                                 in the cluster, so the agent cannot deploy it. Fix: kubectl create \
                                 namespace {}, or set {} to an existing namespace",
                                gw.namespace,
                                gw.namespace,
                                keys::GATEWAY_NAMESPACE
                            ))
                            .summary(format!("gateway namespace \"{}\" does not exist", gw.namespace)),
                    );
    }
}

/// A fix command without its parenthesised note, for a summary.
pub(crate) fn short_fix(fix: &str) -> &str {
    fix.split_once(" (").map_or(fix, |(command, _)| command)
}

/// `traffic.tetrate.io/` keys written as Namespace labels: every one belongs in annotations
/// (EW012), unless it is unknown (EW011).
fn check_labels(ns: &ObjectView, name: &str, out: &mut Report<'_>) {
    let Some(labels) = ns.labels() else { return };
    for (k, v) in keys::tetrate_entries(labels) {
        if keys::is_known(k) {
            let (why, why_alone) = if k == keys::GLOBAL {
                (
                    "the agent reads it only as a Namespace annotation",
                    " (as a label it means nothing to the agent, and east-west stays off)",
                )
            } else {
                (
                    "gateway settings are read only from Namespace annotations",
                    "",
                )
            };
            let finding = Finding::new(RuleId::EW012, Field::Label(k.to_owned()), Some(v));
            // With the annotation there too, it is what the agent reads: the fix is to drop
            // the label, not to overwrite the annotation with it.
            let finding = match ns.annotations().and_then(|a| a.get(k)) {
                Some(annotation) => finding
                    .message(format!(
                        "{k} is written as a label as well as an annotation; {why}, so the agent \
                         reads the annotation ({}) and the label only misleads. Fix: remove the \
                         label: kubectl label namespace {name} {k}-",
                        quote(annotation)
                    ))
                    .summary(format!(
                        "{k} is read only as an annotation; remove the label: kubectl label namespace {name} {k}-"
                    )),
                None => {
                    // The value as the annotation wants it: a near-boolean as the boolean it
                    // means (the label `True` would be refused as an annotation by EW001).
                    // An unclear value: as a label it does nothing, so east-west stays off
                    // and the gateway is deployed (the default).
                    let (value, note) = match k {
                        keys::GLOBAL => bool_for_fix(v, "false"),
                        keys::GATEWAY_DEPLOY => bool_for_fix(v, "true"),
                        _ => ("", String::new()),
                    };
                    let value = if value.is_empty() { shell_word(v) } else { value.to_owned() };
                    finding
                        .message(format!(
                            "{k} is written as a label; {why}{why_alone}. Fix: move it from metadata.labels \
                             to metadata.annotations: kubectl annotate namespace {name} \
                             {k}={value} && kubectl label namespace {name} {k}-{note}"
                        ))
                        .summary(format!("{k} must be an annotation, not a label: kubectl annotate namespace {name} {k}={value}"))
                }
            };
            out.push(finding);
        } else {
            unknown_key(k, v, Field::Label(k.to_owned()), OnKind::Namespace, out);
        }
    }
}

fn check_unknown_annotations(ns: &ObjectView, out: &mut Report<'_>) {
    let Some(ann) = ns.annotations() else { return };
    for (k, v) in keys::tetrate_entries(ann) {
        if !keys::is_known(k) {
            unknown_key(
                k,
                v,
                Field::Annotation(k.to_owned()),
                OnKind::Namespace,
                out,
            );
        }
    }
}

/// Which object an unknown key is on: the keys the agent reads differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnKind {
    Namespace,
    Service,
}

/// EW011: deny for an unknown `eastwest-*` key (a typo of a gateway setting, silently ignored),
/// warn for other unknown `traffic.tetrate.io/` keys.
pub(crate) fn unknown_key(key: &str, value: &str, field: Field, on: OnKind, out: &mut Report<'_>) {
    let level = if keys::is_eastwest(key) {
        Level::Deny
    } else {
        Level::Warn
    };
    if out.is_full(RuleId::EW011, level) {
        out.push(Finding::counted(RuleId::EW011, field).level(level));
        return;
    }
    // On a Service the agent reads only the `global` label: a gateway key it is near belongs
    // on the Namespace (EW012 would refuse it here).
    let near = keys::nearest_known(key);
    let hint = match (near, on) {
        (Some(near), OnKind::Service) if keys::is_gateway_key(near) => format!(
            "did you mean \"{near}\"? That is a gateway setting, read only from the Namespace's \
             annotations: set it on the Service's Namespace"
        ),
        (Some(near), _) => format!("did you mean \"{near}\"?"),
        (None, OnKind::Service) => format!(
            "the one key the agent reads on a Service is the label {}; gateway settings go on \
             the Namespace",
            keys::GLOBAL
        ),
        (None, OnKind::Namespace) => format!("known keys are {}", keys::KNOWN.join(", ")),
    };
    // The summary (kubectl's warning, kept under 120 characters where it can be) names the
    // nearest key, not the whole list.
    let short_hint = match near {
        Some(near) => format!("did you mean \"{near}\"?"),
        None => "not a key the agent reads".to_owned(),
    };
    let place = match &field {
        Field::Label(_) => "label",
        _ => "annotation",
    };
    // Only a direct caller can send a key longer than Kubernetes allows (kube-apiserver checks
    // keys before validating webhooks): do not echo megabytes of it.
    let shown;
    let key = if key.len() > keys::LONGEST_KEY {
        shown = format!("{} ({} bytes)", shorten(key, 80), key.len());
        shown.as_str()
    } else {
        key
    };
    out.push(
        Finding::new(RuleId::EW011, field, Some(value))
            .level(level)
            .message(format!(
                "{place} {key} is not a key the agent knows, so it is silently ignored: {hint}"
            ))
            .summary(format!("unknown key {key}: {short_hint}")),
    );
}

/// The boolean a near-boolean (`True`, `yes`, `ture`) plainly means; `None` when it is not plain.
pub(crate) fn intended_bool(v: &str) -> Option<&'static str> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" | "1" | "enabled" | "ture" | "treu" | "tru" => Some("true"),
        "false" | "no" | "n" | "off" | "0" | "disabled" | "flase" | "fasle" | "fals" => {
            Some("false")
        }
        _ => None,
    }
}

/// The value a fix writes for a boolean key whose value `v` is misplaced or not exactly
/// `true`/`false`: the boolean `v` plainly means, else `today` (what the agent does now, which
/// the fix then keeps: a copied fix never exposes more than the user asked for), with a note
/// saying so.
pub(crate) fn bool_for_fix(v: &str, today: &'static str) -> (&'static str, String) {
    match intended_bool(v) {
        Some(b) => (b, String::new()),
        None => (
            today,
            format!(
                " ({} is neither true nor false; {today} keeps what the agent does today)",
                quote(v)
            ),
        ),
    }
}

/// How to fix a near-boolean: the intended value when it is obvious.
fn bool_fix(v: &str, key: &str) -> String {
    match intended_bool(v) {
        Some(b) => format!("write {key}: \"{b}\""),
        None => format!("write {key}: \"true\" or \"false\""),
    }
}
