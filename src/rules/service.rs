//! Rules on a Service's own keys: EW011, EW012 (Service side), EW013, EW031, EW040. One
//! function per rule, called in order by `check`.

use std::sync::Arc;

use super::cluster::{Lookup, NamespaceFacts};
use super::config::Config;
use super::decision::{Field, Fix, Target};
use super::fixes::{moved, remove, service_label_value, set, trigger_fix};
use super::ids::{Level, RuleId};
use super::keys;
use super::model;
use super::namespace::near_misses;
use super::object::ObjectView;
use super::report::{Finding, Report, quote};
use super::unknown::{On, OnKind, ew011_unknown_key};

pub(crate) fn check(
    svc: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    out: &mut Report<'_>,
) {
    ew011_unknown_keys(svc, namespace, config, out);
    ew012_keys_in_the_wrong_place(svc, namespace, out);
    ew013_global_label_value(svc, out);
    ew031_no_trigger_label(svc, namespace, config, namespace_facts, out);
    ew040_external_name(svc, out);
}

/// The only rule that looks at an object without a `traffic.tetrate.io/` key (in the CLI):
/// a known key under a near miss of the prefix (EW011).
pub(crate) fn check_near_misses(
    svc: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    out: &mut Report<'_>,
) {
    near_misses(svc, OnKind::Service, namespace, config, out);
}

/// EW011: `traffic.tetrate.io/` labels, then annotations, that are neither the `global` key
/// nor a gateway key (those are EW012 or EW013 here); then known keys under a near miss of
/// the prefix.
fn ew011_unknown_keys(
    svc: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    out: &mut Report<'_>,
) {
    let on = On {
        kind: OnKind::Service,
        object: svc,
        namespace,
        config,
    };
    for (map, field) in [
        (svc.labels(), Field::Label as fn(String) -> Field),
        (svc.annotations(), Field::Annotation),
    ] {
        let Some(map) = map else { continue };
        for (k, v) in keys::tetrate_entries(map) {
            if k != keys::GLOBAL && !keys::is_gateway_key(k) {
                ew011_unknown_key(k, v, field(k.to_owned()), &on, out);
            }
        }
    }
    near_misses(svc, OnKind::Service, namespace, config, out);
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
    for (k, v) in keys::tetrate_entries(ann) {
        if k == keys::GLOBAL {
            let annotation = || Field::Annotation(k.to_owned());
            // With the label there too, the label is what the agent reads: the fix is to
            // drop the annotation, not to overwrite the label with it. A valid label makes
            // the annotation a stray copy: a warning.
            let finding = Finding::new(RuleId::EW012, annotation(), Some(v));
            let finding = match svc.labels().and_then(|l| l.get(k)) {
                Some(label) => finding
                    .level(if label == "true" || label == "false" {
                        Level::Warn
                    } else {
                        Level::Deny
                    })
                    .message(format!(
                        "{k} is written as an annotation as well as a label; the agent only \
                         reads the label ({}), so the annotation has no effect and misleads \
                         whoever reads it",
                        quote(label)
                    ))
                    .summary(format!(
                        "{k} is read only as a label; remove the stray annotation"
                    ))
                    .fix(Fix::edits(vec![remove(annotation())])),
                None => {
                    // As an annotation it exposes nothing today.
                    let (value, note) = service_label_value(v);
                    finding
                        .message(format!(
                            "{k} is written as an annotation; the agent only reads it as a \
                             Service label, so it has no effect: unless its Namespace is \
                             namespace-level, this Service is not exposed. It belongs under \
                             metadata.labels"
                        ))
                        .summary(format!("{k} must be a label, not an annotation"))
                        .fix(Fix::edits(moved(k, annotation(), &value)).with_note(note))
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

/// EW012's finding for a gateway key on a Service: there are no per-Service gateways. The fix
/// removes it; setting it on the Namespace is a choice for the whole Namespace, which the note
/// leaves to a person.
fn gateway_key_on_service(k: &str, v: &str, field: Field, namespace: Option<&str>) -> Finding {
    let ns = namespace.unwrap_or("NAMESPACE");
    let place = match field {
        Field::Label(_) => "label",
        _ => "annotation",
    };
    Finding::new(RuleId::EW012, field.clone(), Some(v))
        .message(format!(
            "{k} is set as a Service {place}; gateway settings are read only from the \
             Namespace's annotations, and there are no per-Service gateways, so the agent \
             ignores it here"
        ))
        .summary(format!(
            "{k} is a Namespace setting: no per-Service gateways"
        ))
        .fix(Fix::edits(vec![remove(field)]).with_note(format!(
            "to change the gateway, set the annotation {k} on Namespace {ns} instead: that \
             changes the gateway of every exposed Service in it"
        )))
}

/// EW013: the `global` label is exactly `"true"` or `"false"`.
fn ew013_global_label_value(svc: &ObjectView, out: &mut Report<'_>) {
    let k = keys::GLOBAL;
    let Some(v) = svc.label(k) else { return };
    if v == "true" || v == "false" {
        return;
    }
    // Not "true" is not exposed today: an unclear value is fixed as false.
    let (value, note) = service_label_value(v);
    out.push(
        Finding::new(RuleId::EW013, Field::Label(k.to_owned()), Some(v))
            .message(format!(
                "label {k} is {}; expected exactly \"true\" or \"false\" (lower case). The \
                 agent reads anything else as not \"true\": unless its Namespace is \
                 namespace-level, the Service is not exposed",
                quote(v),
            ))
            .summary(format!(
                "label {k} is {}; use \"true\" or \"false\"",
                quote(v)
            ))
            .fix(Fix::edits(vec![set(Field::Label(k.to_owned()), value)]).with_note(note)),
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
        out.push(
            Finding::new(
                RuleId::EW031,
                Field::Label(keys::GLOBAL.into()),
                Some("true"),
            )
            .message(format!(
                "is labelled {}: \"true\", but its Namespace \"{ns}\" has none of the \
                 trigger labels, so the agent creates no workspace and the Service is not \
                 exposed",
                keys::GLOBAL
            ))
            .summary(format!("Namespace {ns} has no trigger label"))
            .fix(trigger_fix(
                Some(&facts.labels),
                config,
                Target::Namespace(ns.to_owned()),
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
            .depends_on(vec![Field::SpecType, Field::Label(keys::GLOBAL.into())])
            .message(format!(
                "is type ExternalName and labelled {}: \"true\", but an ExternalName \
                 Service has no endpoints, so there is nothing to expose cross-cluster",
                keys::GLOBAL
            ))
            .summary("ExternalName Service has no endpoints to expose")
            .fix(
                Fix::edits(vec![remove(Field::Label(keys::GLOBAL.into()))])
                    .with_note("or expose the Service it points to, in its own cluster"),
            ),
    );
}
