//! Rules on a Namespace's own keys: EW001..EW006, EW007..EW010 (through [`super::cloud`]),
//! EW011, EW012 (Namespace side), EW030, EW032. One function per rule, called in order by
//! `check`.

use super::cloud;
use super::cluster::{ClusterView, Lookup};
use super::config::Config;
use super::decision::Field;
use super::fixes::{bool_fix, bool_for_fix, short_fix};
use super::gateway;
use super::ids::RuleId;
use super::keys;
use super::model;
use super::names;
use super::object::ObjectView;
use super::report::{Finding, Report, quote, shell_word};
use super::selector::{self, SelectorProblem, WorkloadSelector};
use super::unknown::{OnKind, ew011_unknown_key};

/// The workload selector annotation, parsed once for the rules that read it (EW004..EW006).
type Selector<'a> = Option<(&'a str, Result<WorkloadSelector<'a>, Vec<SelectorProblem>>)>;

pub(crate) fn check(
    ns: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
    out: &mut Report<'_>,
) {
    let name = ns.name_for_commands();
    let selector: Selector<'_> = ns
        .annotation(keys::GATEWAY_SELECTOR)
        .map(|v| (v, selector::parse(v)));
    ew001_global_annotation(ns, out);
    ew002_gateway_deploy(ns, out);
    ew003_gateway_namespace(ns, config, out);
    ew004_gateway_name(ns, &selector, config, out);
    ew005_workload_selector(selector.as_ref(), out);
    ew006_selector_without_app(ns, &selector, config, out);
    ew007_to_ew010_cloud_annotations(ns, config, out);
    ew011_unknown_keys(ns, out);
    ew012_keys_written_as_labels(ns, name, out);
    ew030_no_trigger_label(ns, name, config, out);
    ew032_gateway_namespace_missing(ns, config, cluster, out);
}

/// EW001: `traffic.tetrate.io/global` is exactly `"true"` or `"false"`.
fn ew001_global_annotation(ns: &ObjectView, out: &mut Report<'_>) {
    let Some(v) = ns.annotation(keys::GLOBAL) else {
        return;
    };
    if v == "true" || v == "false" {
        return;
    }
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

/// EW002: the deploy annotation is exactly `"true"` or `"false"`.
fn ew002_gateway_deploy(ns: &ObjectView, out: &mut Report<'_>) {
    let Some(v) = ns.annotation(keys::GATEWAY_DEPLOY) else {
        return;
    };
    if v == "true" || v == "false" {
        return;
    }
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

/// EW003: the gateway namespace is a DNS-1123 label.
fn ew003_gateway_namespace(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
    let Some(v) = ns.annotation(keys::GATEWAY_NAMESPACE) else {
        return;
    };
    let Err(why) = names::dns1123_label(v) else {
        return;
    };
    out.push(
        Finding::new(
            RuleId::EW003,
            Field::Annotation(keys::GATEWAY_NAMESPACE.into()),
            Some(v),
        )
        .message(format!(
            "annotation {} is {}: a gateway namespace {why}. Fix: set it to an \
                             existing namespace name such as \"{}\", or remove it to use that default",
            keys::GATEWAY_NAMESPACE,
            quote(v),
            config.default_gateway_namespace
        ))
        .summary(format!(
            "gateway namespace {} is not a DNS-1123 label",
            quote(v)
        )),
    );
}

/// EW004: the gateway name, given or derived from the selector's app value, is a DNS-1123
/// label.
fn ew004_gateway_name(
    ns: &ObjectView,
    selector: &Selector<'_>,
    config: &Config,
    out: &mut Report<'_>,
) {
    let Some(v) = ns.annotation(keys::GATEWAY_NAME) else {
        // Derived from the selector's app value.
        if let Some((_, Ok(sel))) = selector
            && let Some(app) = sel.app()
            && let Err(why) = names::dns1123_label(app)
        {
            out.push(
                Finding::new(
                    RuleId::EW004,
                    Field::Annotation(keys::GATEWAY_SELECTOR.into()),
                    Some(app),
                )
                .message(format!(
                    "the gateway name derived from {} (its app value {}) {why}. \
                                     Fix: use an app value that is a DNS-1123 label, or set {} explicitly",
                    keys::GATEWAY_SELECTOR,
                    quote(app),
                    keys::GATEWAY_NAME
                ))
                .summary(format!(
                    "derived gateway name {} is not a DNS-1123 label",
                    quote(app)
                )),
            );
        }
        return;
    };
    let Err(why) = names::dns1123_label(v) else {
        return;
    };
    // Without the name, the gateway is named from the selector's app value, or by default
    // when there is no selector; a selector without app has no name at all.
    let without_it = match selector {
        None => format!(
            ", or remove it to use the default \"{}\"",
            config.default_gateway_name
        ),
        Some((_, Ok(sel))) => match sel.app() {
            Some(app) if names::dns1123_label(app).is_ok() => {
                format!(
                    ", or remove it to use the selector's app value {}",
                    quote(app)
                )
            }
            _ => String::new(),
        },
        Some((_, Err(_))) => String::new(),
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

/// EW005: the workload selector is `k=v[,k=v]...` with label keys and values; every problem
/// of it, in one pass.
fn ew005_workload_selector(
    selector: Option<&(&str, Result<WorkloadSelector<'_>, Vec<SelectorProblem>>)>,
    out: &mut Report<'_>,
) {
    let Some((v, Err(problems))) = selector else {
        return;
    };
    for p in problems {
        out.push(
            Finding::new(
                RuleId::EW005,
                Field::Annotation(keys::GATEWAY_SELECTOR.into()),
                Some(v),
            )
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

/// EW006: a selector without an `app` key and no gateway name: the name cannot be derived.
fn ew006_selector_without_app(
    ns: &ObjectView,
    selector: &Selector<'_>,
    config: &Config,
    out: &mut Report<'_>,
) {
    let Some((v, Ok(sel))) = selector else {
        return;
    };
    if sel.app().is_some() || ns.annotation(keys::GATEWAY_NAME).is_some() {
        return;
    }
    out.push(
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
    );
}

/// EW007..EW010: the cloud annotations, in [`cloud`].
fn ew007_to_ew010_cloud_annotations(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
    if let Some(v) = ns.annotation(keys::GATEWAY_CLOUD_ANNOTATIONS) {
        cloud::check(v, config, out);
    }
}

/// EW011: unknown `traffic.tetrate.io/` labels, then annotations.
fn ew011_unknown_keys(ns: &ObjectView, out: &mut Report<'_>) {
    for (map, field) in [
        (ns.labels(), Field::Label as fn(String) -> Field),
        (ns.annotations(), Field::Annotation),
    ] {
        let Some(map) = map else { continue };
        for (k, v) in keys::tetrate_entries(map) {
            if !keys::is_known(k) {
                ew011_unknown_key(k, v, field(k.to_owned()), OnKind::Namespace, out);
            }
        }
    }
}

/// EW012: known `traffic.tetrate.io/` keys written as Namespace labels: every one belongs in
/// annotations.
fn ew012_keys_written_as_labels(ns: &ObjectView, name: &str, out: &mut Report<'_>) {
    let Some(labels) = ns.labels() else { return };
    for (k, v) in keys::tetrate_entries(labels) {
        if !keys::is_known(k) {
            continue;
        }
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
                let value = if value.is_empty() {
                    shell_word(v)
                } else {
                    value.to_owned()
                };
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
    }
}

/// EW030: namespace-level, but none of the trigger labels: the agent creates no workspace.
fn ew030_no_trigger_label(ns: &ObjectView, name: &str, config: &Config, out: &mut Report<'_>) {
    if !model::is_namespace_level(ns.annotations()) || config.trigger_label(ns.labels()).is_some() {
        return;
    }
    let fix = config.trigger_fix(ns.labels(), name);
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

/// EW032: the gateway goes to a namespace the cluster does not have. Needs the cluster; only
/// for Namespaces that configure or use a gateway, with a valid gateway namespace (else EW003).
fn ew032_gateway_namespace_missing(
    ns: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
    out: &mut Report<'_>,
) {
    let uses_gateway = model::is_namespace_level(ns.annotations())
        || keys::GATEWAY_KEYS
            .iter()
            .any(|k| ns.annotation(k).is_some());
    let gateway_namespace_ok = ns
        .annotation(keys::GATEWAY_NAMESPACE)
        .is_none_or(|v| names::dns1123_label(v).is_ok());
    if uses_gateway
        && gateway_namespace_ok
        && let Ok(gw) = gateway::derive(ns.annotations(), config)
        && gw.namespace != ns.name_for_commands()
        && let Lookup::Missing = cluster.namespace(&gw.namespace)
    {
        out.push(
            Finding::new(
                RuleId::EW032,
                Field::Annotation(keys::GATEWAY_NAMESPACE.into()),
                Some(&gw.namespace),
            )
            .message(format!(
                "the east-west gateway goes to namespace \"{}\", which does not exist \
                                 in the cluster, so the agent cannot deploy it. Fix: kubectl create \
                                 namespace {}, or set {} to an existing namespace",
                gw.namespace,
                gw.namespace,
                keys::GATEWAY_NAMESPACE
            ))
            .summary(format!(
                "gateway namespace \"{}\" does not exist",
                gw.namespace
            )),
        );
    }
}
