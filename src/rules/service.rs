//! Rules on a Service's own keys: EW011, EW012 (Service side), EW013, EW031, EW040. One
//! function per rule, called in order by `check`.

use std::sync::Arc;

use super::cluster::{Lookup, NamespaceFacts};
use super::config::Config;
use super::decision::Field;
use super::fixes::{bool_for_fix, short_fix};
use super::ids::RuleId;
use super::keys;
use super::model;
use super::object::ObjectView;
use super::report::{Finding, Report, quote, shell_word};
use super::unknown::{OnKind, ew011_unknown_key};

pub(crate) fn check(
    svc: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    out: &mut Report<'_>,
) {
    ew011_unknown_keys(svc, out);
    ew012_keys_in_the_wrong_place(svc, namespace, out);
    ew013_global_label_value(svc, namespace, out);
    ew031_no_trigger_label(svc, namespace, config, namespace_facts, out);
    ew040_external_name(svc, out);
}

/// ` -n <namespace>` for a kubectl command, when the Service has a namespace.
fn ns_flag(namespace: Option<&str>) -> String {
    namespace.map(|n| format!(" -n {n}")).unwrap_or_default()
}

/// EW011: `traffic.tetrate.io/` labels, then annotations, that are neither the `global` key
/// nor a gateway key (those are EW012 or EW013 here).
fn ew011_unknown_keys(svc: &ObjectView, out: &mut Report<'_>) {
    for (map, field) in [
        (svc.labels(), Field::Label as fn(String) -> Field),
        (svc.annotations(), Field::Annotation),
    ] {
        let Some(map) = map else { continue };
        for (k, v) in keys::tetrate_entries(map) {
            if k != keys::GLOBAL && !keys::is_gateway_key(k) {
                ew011_unknown_key(k, v, field(k.to_owned()), OnKind::Service, out);
            }
        }
    }
}

/// EW012: gateway keys on a Service (labels, then annotations), and `global` written as an
/// annotation: the agent reads neither here.
fn ew012_keys_in_the_wrong_place(svc: &ObjectView, namespace: Option<&str>, out: &mut Report<'_>) {
    if let Some(labels) = svc.labels() {
        for (k, v) in keys::tetrate_entries(labels) {
            if keys::is_gateway_key(k) {
                out.push(gateway_key_on_service(
                    k,
                    v,
                    Field::Label(k.to_owned()),
                    namespace,
                ));
            }
        }
    }
    let Some(ann) = svc.annotations() else { return };
    let name = svc.name_for_commands();
    for (k, v) in keys::tetrate_entries(ann) {
        if k == keys::GLOBAL {
            let ns_flag = ns_flag(namespace);
            // With the label there too, the label is what the agent reads: the fix is to
            // drop the annotation, not to overwrite the label with it.
            let finding = Finding::new(RuleId::EW012, Field::Annotation(k.to_owned()), Some(v));
            let finding = match svc.labels().and_then(|l| l.get(k)) {
                Some(label) => finding
                    .message(format!(
                        "{k} is written as an annotation as well as a label; the agent only \
                         reads the label ({}), so the annotation has no effect and misleads \
                         whoever reads it. Fix: remove the annotation: kubectl annotate \
                         service {name}{ns_flag} {k}-",
                        quote(label)
                    ))
                    .summary(format!(
                        "{k} is read only as a label; remove the annotation: kubectl annotate service {name}{ns_flag} {k}-"
                    )),
                None => {
                    // As an annotation it exposes nothing today.
                    let (value, note) = bool_for_fix(v, "false");
                    finding
                        .message(format!(
                            "{k} is written as an annotation; the agent only reads it as a \
                             Service label, so it has no effect: unless its Namespace is \
                             namespace-level, this Service is not exposed. Fix: move it from \
                             metadata.annotations to metadata.labels: kubectl label service \
                             {name}{ns_flag} {k}={value} && kubectl annotate service \
                             {name}{ns_flag} {k}-{note}"
                        ))
                        .summary(format!("{k} must be a label: kubectl label service {name}{ns_flag} {k}={value}"))
                }
            };
            out.push(finding);
        } else if keys::is_gateway_key(k) {
            out.push(gateway_key_on_service(
                k,
                v,
                Field::Annotation(k.to_owned()),
                namespace,
            ));
        }
    }
}

/// EW012's finding for a gateway key on a Service: it belongs on the Namespace.
fn gateway_key_on_service(k: &str, v: &str, field: Field, namespace: Option<&str>) -> Finding {
    let ns = namespace.unwrap_or("NAMESPACE");
    let place = match field {
        Field::Label(_) => "label",
        _ => "annotation",
    };
    Finding::new(RuleId::EW012, field, Some(v))
        .message(format!(
            "{k} is set as a Service {place}; gateway settings are read only from the Namespace's \
             annotations, so the agent ignores it here. Fix: remove it from the Service and set it \
             on the Namespace: kubectl annotate namespace {ns} {k}={}",
            shell_word(v)
        ))
        .summary(format!(
            "{k} belongs on the Namespace: kubectl annotate namespace {ns} {k}=..."
        ))
}

/// EW013: the `global` label is exactly `"true"` or `"false"`.
fn ew013_global_label_value(svc: &ObjectView, namespace: Option<&str>, out: &mut Report<'_>) {
    let k = keys::GLOBAL;
    let Some(v) = svc.label(k) else { return };
    if v == "true" || v == "false" {
        return;
    }
    // Not "true" is not exposed today: an unclear value is fixed as false.
    let (value, note) = bool_for_fix(v, "false");
    out.push(
        Finding::new(RuleId::EW013, Field::Label(k.to_owned()), Some(v))
            .message(format!(
                "label {k} is {}; expected exactly \"true\" or \"false\" (lower \
                                 case). The agent reads anything else as not \"true\": unless its \
                                 Namespace is namespace-level, the Service is not exposed. Fix: kubectl \
                                 label service {}{} {k}={value} --overwrite{note}",
                quote(v),
                svc.name_for_commands(),
                ns_flag(namespace),
            ))
            .summary(format!(
                "label {k} is {}; use \"true\" or \"false\"",
                quote(v)
            )),
    );
}

/// EW031: labelled for exposure, in a Namespace without a trigger label (no workspace).
fn ew031_no_trigger_label(
    svc: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    out: &mut Report<'_>,
) {
    if model::is_labelled(svc)
        && let Some(ns) = namespace
        && let Lookup::Found(facts) = namespace_facts
        && config.trigger_label(Some(&facts.labels)).is_none()
    {
        let fix = config.trigger_fix(Some(&facts.labels), ns);
        out.push(
            Finding::new(
                RuleId::EW031,
                Field::Label(keys::GLOBAL.into()),
                Some("true"),
            )
            .message(format!(
                "is labelled {}: \"true\", but its Namespace \"{ns}\" has none of \
                                 the trigger labels, so the agent creates no workspace and the \
                                 Service is not exposed. Fix: {fix}",
                keys::GLOBAL
            ))
            .summary(format!(
                "Namespace {ns} has no trigger label: {}",
                short_fix(&fix)
            )),
        );
    }
}

/// EW040: an ExternalName Service labelled for exposure has no endpoints to expose.
fn ew040_external_name(svc: &ObjectView, out: &mut Report<'_>) {
    if !model::is_labelled(svc) || !model::is_external_name(svc.service_type()) {
        return;
    }
    out.push(
        Finding::new(RuleId::EW040, Field::SpecType, Some("ExternalName"))
            .message(format!(
                "is type ExternalName and labelled {}: \"true\", but an ExternalName \
                 Service has no endpoints, so there is nothing to expose cross-cluster. \
                 Fix: remove the label, or expose the Service it points to",
                keys::GLOBAL
            ))
            .summary("ExternalName Service has no endpoints to expose; remove the label"),
    );
}
