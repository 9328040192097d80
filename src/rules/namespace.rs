//! Rules on a Namespace's own keys: EW001..EW006, EW007..EW010 (through [`super::cloud`]),
//! EW011, EW012 (Namespace side), EW030, EW032. One function per rule, called in order by
//! `check`.

use super::cloud;
use super::cluster::{ClusterView, Lookup};
use super::config::Config;
use super::decision::{Field, Fix, Target};
use super::fixes::{
    bool_for_fix, clean_name, gateway_name_for, moved, namespace_value, remove, set, trigger_fix,
};
use super::gateway;
use super::ids::{Level, RuleId};
use super::keys;
use super::model;
use super::names;
use super::object::ObjectView;
use super::report::{Finding, Report, quote};
use super::selector::{self, SelectorProblem, WorkloadSelector};
use super::unknown::{On, OnKind, ew011_near_miss_prefix, ew011_unknown_key};

/// The workload selector annotation, parsed once for the rules that read it (EW004..EW006).
type Selector<'a> = Option<(&'a str, Result<WorkloadSelector<'a>, Vec<SelectorProblem>>)>;

pub(crate) fn check(
    ns: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
    out: &mut Report<'_>,
) {
    let selector: Selector<'_> = ns
        .annotation(keys::GATEWAY_SELECTOR)
        .map(|v| (v, selector::parse(v)));
    ew001_global_annotation(ns, out);
    ew002_gateway_deploy(ns, out);
    ew003_gateway_namespace(ns, config, out);
    ew004_gateway_name(ns, &selector, config, out);
    ew005_workload_selector(ns, selector.as_ref(), out);
    ew006_selector_without_app(ns, &selector, config, out);
    ew007_to_ew010_cloud_annotations(ns, config, out);
    ew011_unknown_keys(ns, config, out);
    ew012_keys_written_as_labels(ns, config, out);
    ew030_no_trigger_label(ns, config, out);
    ew032_gateway_namespace_missing(ns, config, cluster, out);
}

/// The only rule that looks at an object without a `traffic.tetrate.io/` key (in the CLI):
/// a known key under a near miss of the prefix (EW011).
pub(crate) fn check_near_misses(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
    near_misses(ns, OnKind::Namespace, None, config, out);
}

/// EW011 (a warning) on every key of `obj` that is a known key under a near miss of the prefix.
pub(crate) fn near_misses(
    obj: &ObjectView,
    kind: OnKind,
    namespace: Option<&str>,
    config: &Config,
    out: &mut Report<'_>,
) {
    let on = On {
        kind,
        object: obj,
        namespace,
        config,
    };
    for (map, field) in [
        (obj.labels(), Field::Label as fn(String) -> Field),
        (obj.annotations(), Field::Annotation),
    ] {
        let Some(map) = map else { continue };
        for (k, v) in map.iter() {
            if let Some(meant) = keys::near_miss_prefix(k) {
                ew011_near_miss_prefix(k, v, field(k.to_owned()), meant, &on, out);
            }
        }
    }
}

/// EW001: `traffic.tetrate.io/global` is exactly `"true"` or `"false"`.
fn ew001_global_annotation(ns: &ObjectView, out: &mut Report<'_>) {
    let Some(v) = ns.annotation(keys::GLOBAL) else {
        return;
    };
    if v == "true" || v == "false" {
        return;
    }
    let (value, note) = bool_for_fix(v, "false");
    out.push(
        Finding::new(
            RuleId::EW001,
            Field::Annotation(keys::GLOBAL.into()),
            Some(v),
        )
        .message(format!(
            "annotation {} is {}; expected exactly \"true\" or \"false\" (lower case). Read \
             strictly, anything else is \"false\", so east-west stays off",
            keys::GLOBAL,
            quote(v),
        ))
        .summary(format!(
            "{} is {}; use \"true\" or \"false\"",
            keys::GLOBAL,
            quote(v)
        ))
        .fix(Fix::edits(vec![set(Field::Annotation(keys::GLOBAL.into()), value)]).with_note(note)),
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
    let (value, note) = bool_for_fix(v, "true");
    out.push(
        Finding::new(
            RuleId::EW002,
            Field::Annotation(keys::GATEWAY_DEPLOY.into()),
            Some(v),
        )
        .message(format!(
            "annotation {} is {}; expected exactly \"true\" or \"false\" (lower case; \
             the default is \"true\")",
            keys::GATEWAY_DEPLOY,
            quote(v),
        ))
        .summary(format!(
            "{} is {}; use \"true\" or \"false\"",
            keys::GATEWAY_DEPLOY,
            quote(v)
        ))
        .fix(
            Fix::edits(vec![set(
                Field::Annotation(keys::GATEWAY_DEPLOY.into()),
                value,
            )])
            .with_note(note),
        ),
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
    let field = || Field::Annotation(keys::GATEWAY_NAMESPACE.into());
    let default = &config.default_gateway_namespace;
    // The name as it was most likely meant (`Gateways` for `gateways`), where there is one;
    // else the default, which removing the annotation gives.
    let meant = clean_name(v);
    let fix = if names::dns1123_label(&meant).is_ok() {
        Fix::edits(vec![set(field(), meant)]).with_note(format!(
            "or another existing namespace, or remove the annotation to use the default \
             \"{default}\""
        ))
    } else {
        Fix::edits(vec![remove(field())]).with_note(format!(
            "the gateway then goes to the default namespace \"{default}\"; or set it to \
             another existing namespace"
        ))
    };
    out.push(
        Finding::new(RuleId::EW003, field(), Some(v))
            .message(format!(
                "annotation {} is {}: a gateway namespace {why}",
                keys::GATEWAY_NAMESPACE,
                quote(v),
            ))
            .summary(format!(
                "gateway namespace {} is not a DNS-1123 label",
                quote(v)
            ))
            .fix(fix),
    );
}

/// EW004: the gateway name, given or derived from the selector's app value, is a DNS-1035
/// label: it names the gateway's Service and Deployment.
fn ew004_gateway_name(
    ns: &ObjectView,
    selector: &Selector<'_>,
    config: &Config,
    out: &mut Report<'_>,
) {
    let name_field = || Field::Annotation(keys::GATEWAY_NAME.into());
    let Some(v) = ns.annotation(keys::GATEWAY_NAME) else {
        // Derived from the selector's app value.
        if let Some((_, Ok(sel))) = selector
            && let Some(app) = sel.app()
            && let Err(why) = names::dns1035_label(app)
        {
            let name = gateway_name_for(Some(app), ns.name_for_commands(), config);
            out.push(
                Finding::new(
                    RuleId::EW004,
                    Field::Annotation(keys::GATEWAY_SELECTOR.into()),
                    Some(app),
                )
                .depends_on(vec![
                    Field::Annotation(keys::GATEWAY_SELECTOR.into()),
                    name_field(),
                ])
                .message(format!(
                    "the gateway name derived from {} (its app value {}) {why}",
                    keys::GATEWAY_SELECTOR,
                    quote(app),
                ))
                .summary(format!(
                    "derived gateway name {} is not a DNS-1035 label",
                    quote(app)
                ))
                .fix(Fix::edits(vec![set(name_field(), name)]).with_note(format!(
                    "the selector stays as it is; or give the gateway's pods an app label that \
                     is a DNS-1035 label and use it in {}",
                    keys::GATEWAY_SELECTOR
                ))),
            );
        }
        return;
    };
    let Err(why) = names::dns1035_label(v) else {
        return;
    };
    // Without the name, the gateway is named from the selector's app value, or by default
    // when there is no selector; a selector without app has no name at all.
    let without_it = match selector {
        None => format!(
            "; or remove it to use the default \"{}\"",
            config.default_gateway_name
        ),
        Some((_, Ok(sel))) => match sel.app() {
            Some(app) if names::dns1035_label(app).is_ok() => {
                format!(
                    "; or remove it to use the selector's app value {}",
                    quote(app)
                )
            }
            _ => String::new(),
        },
        Some((_, Err(_))) => String::new(),
    };
    let name = gateway_name_for(Some(v), ns.name_for_commands(), config);
    out.push(
        Finding::new(RuleId::EW004, name_field(), Some(v))
            .message(format!(
                "annotation {} is {}: a gateway name {why}",
                keys::GATEWAY_NAME,
                quote(v),
            ))
            .summary(format!("gateway name {} is not a DNS-1035 label", quote(v)))
            .fix(
                Fix::edits(vec![set(name_field(), name)])
                    .with_note(format!("or another DNS-1035 label{without_it}")),
            ),
    );
}

/// EW005: the workload selector is `k=v[,k=v]...` with label keys and values; every problem
/// of it, in one pass. The fix is the selector as it was most likely meant, where that is
/// plain and derives a valid gateway; otherwise what to write is a decision.
fn ew005_workload_selector(
    ns: &ObjectView,
    selector: Option<&(&str, Result<WorkloadSelector<'_>, Vec<SelectorProblem>>)>,
    out: &mut Report<'_>,
) {
    let Some((v, Err(problems))) = selector else {
        return;
    };
    let field = || Field::Annotation(keys::GATEWAY_SELECTOR.into());
    let named = ns.annotation(keys::GATEWAY_NAME).is_some();
    let corrected = selector::corrected(v).filter(|c| {
        named
            || selector::parse(c)
                .ok()
                .and_then(|sel| sel.app())
                .is_some_and(|app| names::dns1035_label(app).is_ok())
    });
    let fix = match corrected {
        Some(c) => Fix::edits(vec![set(field(), c)]),
        None => Fix::advice(format!(
            "write k=v[,k=v]... with label keys and values, e.g. \"app=east-west-gateway\", \
             or remove {} to derive app=<gateway name>",
            keys::GATEWAY_SELECTOR
        )),
    };
    for p in problems {
        out.push(
            Finding::new(RuleId::EW005, field(), Some(v))
                .message(format!(
                    "annotation {} is {}: the workload selector {}. Expected k=v[,k=v]... with \
                     label keys and values, e.g. \"app=east-west-gateway\"",
                    keys::GATEWAY_SELECTOR,
                    quote(v),
                    p.what
                ))
                .summary(format!("workload selector {}", p.what))
                .fix(fix.clone()),
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
    let name = gateway_name_for(None, ns.name_for_commands(), config);
    out.push(
        Finding::new(
            RuleId::EW006,
            Field::Annotation(keys::GATEWAY_SELECTOR.into()),
            Some(v),
        )
        .depends_on(vec![
            Field::Annotation(keys::GATEWAY_SELECTOR.into()),
            Field::Annotation(keys::GATEWAY_NAME.into()),
        ])
        .message(format!(
            "annotation {} is {} and has no `app` key, and {} is not set, so the gateway name \
             cannot be derived",
            keys::GATEWAY_SELECTOR,
            quote(v),
            keys::GATEWAY_NAME,
        ))
        .summary("selector has no app key and no gateway name is set: set the name")
        .fix(
            Fix::edits(vec![set(
                Field::Annotation(keys::GATEWAY_NAME.into()),
                name,
            )])
            .with_note(format!(
                "or another DNS-1035 label; or add app=<gateway name> to the selector (e.g. \
                     \"app={},{v}\") if the gateway's pods carry that label: a selector matches \
                     only pods with every pair",
                config.default_gateway_name,
            )),
        ),
    );
}

/// EW007..EW010: the cloud annotations, in [`cloud`].
fn ew007_to_ew010_cloud_annotations(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
    if let Some(v) = ns.annotation(keys::GATEWAY_CLOUD_ANNOTATIONS) {
        cloud::check(v, config, out);
    }
}

/// EW011: unknown `traffic.tetrate.io/` labels, then annotations; then known keys under a near
/// miss of the prefix.
fn ew011_unknown_keys(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
    let on = On {
        kind: OnKind::Namespace,
        object: ns,
        namespace: None,
        config,
    };
    for (map, field) in [
        (ns.labels(), Field::Label as fn(String) -> Field),
        (ns.annotations(), Field::Annotation),
    ] {
        let Some(map) = map else { continue };
        for (k, v) in keys::tetrate_entries(map) {
            if !keys::is_known(k) {
                ew011_unknown_key(k, v, field(k.to_owned()), &on, out);
            }
        }
    }
    near_misses(ns, OnKind::Namespace, None, config, out);
}

/// Whether `value` of the known Namespace annotation `key` is one the rules accept as it is.
fn annotation_valid(key: &str, value: &str, ns: &ObjectView, config: &Config) -> bool {
    match key {
        keys::GLOBAL | keys::GATEWAY_DEPLOY => value == "true" || value == "false",
        _ => namespace_value(key, value, ns, config).is_some(),
    }
}

/// EW012: known `traffic.tetrate.io/` keys written as Namespace labels: every one belongs in
/// annotations. Where the annotation is there too with a valid value, the agent reads it and
/// the label is a stray copy: a warning.
fn ew012_keys_written_as_labels(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
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
        let label = || Field::Label(k.to_owned());
        let finding = Finding::new(RuleId::EW012, label(), Some(v));
        // With the annotation there too, it is what the agent reads: the fix is to drop
        // the label, not to overwrite the annotation with it.
        let finding = match ns.annotations().and_then(|a| a.get(k)) {
            Some(annotation) => {
                let valid = annotation_valid(k, annotation, ns, config);
                finding
                    .level(if valid { Level::Warn } else { Level::Deny })
                    .message(format!(
                        "{k} is written as a label as well as an annotation; {why}, so the agent \
                         reads the annotation ({}) and the label only misleads",
                        quote(annotation)
                    ))
                    .summary(format!(
                        "{k} is read only as an annotation; remove the stray label"
                    ))
                    .fix(Fix::edits(vec![remove(label())]))
            }
            None => {
                // The value as the annotation wants it: a near-boolean as the boolean it
                // means (the label `True` would be refused as an annotation by EW001); an
                // unclear one as what the agent does today (east-west off, the gateway
                // deployed).
                let fix = match namespace_value(k, v, ns, config) {
                    Some((value, note)) => Fix::edits(moved(k, label(), &value)).with_note(note),
                    None => Fix::edits(vec![remove(label())]).with_note(format!(
                        "{} is not a valid value for the annotation {k}: set it yourself, to a \
                         value the rules accept",
                        quote(v)
                    )),
                };
                finding
                    .message(format!(
                        "{k} is written as a label; {why}{why_alone}: it belongs under \
                         metadata.annotations"
                    ))
                    .summary(format!("{k} must be an annotation, not a label"))
                    .fix(fix)
            }
        };
        out.push(finding);
    }
}

/// EW030: namespace-level, but none of the trigger labels: the agent creates no workspace.
fn ew030_no_trigger_label(ns: &ObjectView, config: &Config, out: &mut Report<'_>) {
    if !model::is_namespace_level(ns.annotations()) || config.trigger_label(ns.labels()).is_some() {
        return;
    }
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
             no workspace and nothing is exposed",
            keys::GLOBAL
        ))
        .summary("east-west on but no trigger label")
        .fix(trigger_fix(ns.labels(), config, Target::Object)),
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
                "the east-west gateway goes to namespace \"{}\", which does not exist in the \
                 cluster, so the agent cannot deploy it",
                gw.namespace,
            ))
            .summary(format!(
                "gateway namespace \"{}\" does not exist",
                gw.namespace
            ))
            .fix(Fix::advice(format!(
                "create the namespace \"{}\", or set {} to an existing namespace",
                gw.namespace,
                keys::GATEWAY_NAMESPACE
            ))),
        );
    }
}
