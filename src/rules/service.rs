//! Rules on a Service: EW011, EW012 (Service side), EW013, EW031, EW040.

use std::sync::Arc;

use super::cluster::{Lookup, NamespaceFacts};
use super::config::Config;
use super::decision::Field;
use super::exposure;
use super::ids::RuleId;
use super::keys;
use super::namespace::{OnKind, unknown_key};
use super::namespace::{bool_for_fix, short_fix};
use super::object::ObjectView;
use super::report::{Finding, Report, quote, shell_word};

pub(crate) fn check(
    svc: &ObjectView,
    namespace: Option<&str>,
    config: &Config,
    namespace_facts: &Lookup<Arc<NamespaceFacts>>,
    out: &mut Report<'_>,
) {
    let name = svc.name_for_commands();
    let ns_flag = || namespace.map(|n| format!(" -n {n}")).unwrap_or_default();

    if let Some(labels) = svc.labels() {
        for (k, v) in keys::tetrate_entries(labels) {
            if k == keys::GLOBAL {
                if v != "true" && v != "false" {
                    // Not "true" is not exposed today: an unclear value is fixed as false.
                    let (value, note) = bool_for_fix(v, "false");
                    out.push(
                        Finding::new(RuleId::EW013, Field::Label(k.to_owned()), Some(v))
                            .message(format!(
                                "label {k} is {}; expected exactly \"true\" or \"false\" (lower \
                                 case). The agent reads anything else as not \"true\": unless its \
                                 Namespace is namespace-level, the Service is not exposed. Fix: kubectl \
                                 label service {name}{} {k}={value} --overwrite{note}",
                                quote(v),
                                ns_flag(),
                            ))
                            .summary(format!(
                                "label {k} is {}; use \"true\" or \"false\"",
                                quote(v)
                            )),
                    );
                }
            } else if keys::is_gateway_key(k) {
                out.push(gateway_key_on_service(
                    k,
                    v,
                    Field::Label(k.to_owned()),
                    namespace,
                ));
            } else {
                unknown_key(k, v, Field::Label(k.to_owned()), OnKind::Service, out);
            }
        }
    }
    if let Some(ann) = svc.annotations() {
        for (k, v) in keys::tetrate_entries(ann) {
            if k == keys::GLOBAL {
                let ns_flag = ns_flag();
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
            } else {
                unknown_key(k, v, Field::Annotation(k.to_owned()), OnKind::Service, out);
            }
        }
    }

    let labelled = exposure::is_labelled(svc);
    if labelled {
        if let Some(ns) = namespace
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
        if svc.service_type() == Some("ExternalName") {
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
    }
}

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
