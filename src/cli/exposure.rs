//! The exposure model of an input as the CLI uses it: the engine's model
//! ([`crate::rules::model`]) with each object located in its file, and the model in words
//! (why a Service is exposed or not, why a Namespace is in its mode, why its gateway cannot be
//! set up). `explain` prints the model; `diff` compares the models of two inputs.

use std::sync::Arc;

use super::cluster::applied;
use super::manifests::{Inputs, Manifest};
use crate::rules::gateway::DeriveError;
use crate::rules::model::{
    self, ExposureMode, GatewayProblem, GatewayState, Object, Reason, Selection,
};
use crate::rules::{Config, keys};

/// Where an object is written: its file and the line its manifest starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The model of an input, each object located in its file.
pub type Model = model::Model<Location>;
pub type NamespaceModel = model::NamespaceModel<Location>;
pub type ServiceModel = model::ServiceModel<Location>;

/// The exposure model of an input. Pure: the same input and configuration, the same model.
pub fn model(inputs: &Inputs, config: &Config) -> Model {
    model_of(&inputs.manifests, config)
}

/// [`model()`] over manifests, as applying them leaves the cluster ([`applied`]: the last copy of
/// a repeated object).
pub fn model_of(manifests: &[Manifest], config: &Config) -> Model {
    Model::of(
        applied(manifests).map(|m| Object {
            kind: m.kind,
            object: &m.object,
            namespace: m.namespace.as_deref(),
            source: Location {
                file: m.file.clone(),
                line: m.positions.start.line,
            },
        }),
        config,
    )
}

/// Why a Service is exposed or not, in a sentence for a reviewer.
pub fn why(svc: &ServiceModel, ns: &NamespaceModel) -> String {
    let g = keys::GLOBAL;
    let unknown = if ns.in_input() {
        ""
    } else {
        "; its Namespace is not in the input, so this is judged by the label alone"
    };
    let selected = |sel: Selection| match sel {
        Selection::NamespaceLevel => format!("Namespace {} is namespace-level", ns.name),
        Selection::Label => format!("labelled {g}: \"true\""),
    };
    match svc.reason {
        Reason::NamespaceLevel if svc.global_label.as_deref() == Some("true") => format!(
            "Namespace {} is namespace-level: every Service in it is exposed (its own label \
             changes nothing)",
            ns.name
        ),
        Reason::NamespaceLevel => format!(
            "Namespace {} is namespace-level: every Service in it is exposed",
            ns.name
        ),
        Reason::Labelled => format!("labelled {g}: \"true\"{unknown}"),
        Reason::NotLabelled if ns.in_input() => format!(
            "not labelled {g}: \"true\", and Namespace {} is not namespace-level",
            ns.name
        ),
        Reason::NotLabelled => format!(
            "not labelled {g}: \"true\"; its Namespace is not in the input (if it is \
             namespace-level in the cluster, this Service is exposed)"
        ),
        Reason::LabelFalse => format!("labelled {g}: \"false\"{unknown}"),
        Reason::LabelNotTrue => format!(
            "label {g} is {:?}, not exactly \"true\" (EW013): the agent does not expose it{unknown}",
            svc.global_label.as_deref().unwrap_or_default()
        ),
        Reason::LabelAsAnnotation => format!(
            "{g} is written as an annotation, which the agent ignores: it reads only the label \
             (EW012){unknown}"
        ),
        Reason::NoTriggerLabel(sel) => format!(
            "would be exposed ({}), but the Namespace has no trigger label, so the agent \
             creates no workspace for it",
            selected(sel)
        ),
        Reason::ExternalName(sel) => format!(
            "would be exposed ({}), but it is type ExternalName: it has no endpoints to \
             expose{}",
            selected(sel),
            // check reports EW040 on labelled ExternalName Services only.
            if sel == Selection::Label {
                " (EW040)"
            } else {
                ""
            }
        ),
    }
}

/// Why a Namespace is in its mode, in a sentence.
pub fn mode_why(ns: &NamespaceModel) -> String {
    let g = keys::GLOBAL;
    let labelled = ns
        .services
        .iter()
        .filter(|s| s.global_label.as_deref() == Some("true"))
        .count();
    match ns.mode {
        ExposureMode::NamespaceLevel => {
            format!("annotation {g}: \"true\": every Service in it is exposed, labelled or not")
        }
        ExposureMode::ServiceLevel if !ns.in_input() => format!(
            "judged service-level: the Namespace is not in the input, and {} of its Services \
             {} labelled {g}: \"true\"",
            labelled,
            if labelled == 1 { "is" } else { "are" }
        ),
        ExposureMode::ServiceLevel => {
            let annotation = match ns.global_annotation.as_deref() {
                None => format!("no {g} annotation"),
                Some(v) => format!("annotation {g} is {v:?}, not \"true\""),
            };
            format!(
                "{annotation}, and {labelled} of its Services {} labelled {g}: \"true\": only \
                 labelled Services are exposed",
                if labelled == 1 { "is" } else { "are" }
            )
        }
        ExposureMode::Off if !ns.in_input() => format!(
            "the Namespace is not in the input, and none of its Services in the input is \
             labelled {g}: \"true\""
        ),
        ExposureMode::Off => {
            let annotation = match ns.global_annotation.as_deref() {
                None => format!("no {g} annotation"),
                Some("false") => format!("annotation {g}: \"false\""),
                Some(v) => format!("annotation {g} is {v:?}, which the agent reads as \"false\""),
            };
            format!("{annotation}, and no Service in the input is labelled {g}: \"true\"")
        }
    }
}

/// Why the agent cannot set up the gateway ([`GatewayState::problem`]), in words.
pub fn gateway_problem(gateway: &GatewayState) -> Option<String> {
    let q = |s: &str| format!("{s:?}");
    Some(match (gateway.problem()?, gateway) {
        (GatewayProblem::Underivable(e), _) => derive_error_text(&e).to_owned(),
        (GatewayProblem::Name, GatewayState::Settings(gw)) => format!(
            "the gateway name {} is not a DNS-1035 label (EW004)",
            q(&gw.name)
        ),
        (GatewayProblem::Namespace, GatewayState::Settings(gw)) => format!(
            "the gateway namespace {} is not a DNS-1123 label (EW003)",
            q(&gw.namespace)
        ),
        (GatewayProblem::WorkloadSelector, GatewayState::Settings(gw)) => format!(
            "the workload selector {} is malformed (EW005)",
            q(&gw.workload_selector)
        ),
        // The engine finds those three in settings only.
        (_, _) => return None,
    })
}

pub fn derive_error_text(e: &DeriveError) -> &'static str {
    match e {
        DeriveError::InvalidSelector => {
            "the workload selector is malformed (EW005) and no gateway name is given, so \
             neither name nor selector can be derived"
        }
        DeriveError::NoAppKey => {
            "the workload selector has no app key and no gateway name is given (EW006), so the \
             gateway name cannot be derived"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::manifests::{ReadOptions, parse};
    use crate::rules::model::Trigger;

    fn model_for(text: &str) -> Model {
        let name: Arc<str> = Arc::from("t.yaml");
        let parsed = parse(&name, 0, text, &ReadOptions::default()).expect("valid YAML");
        model_of(&parsed.manifests, &Config::default())
    }

    #[test]
    fn modes_and_reasons() {
        let m = model_for(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {istio-injection: enabled}\n  annotations: {traffic.tetrate.io/global: \"true\"}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s1, namespace: a}\n\
             ---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {tetrate.io/rev: default}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s2, namespace: b, labels: {traffic.tetrate.io/global: \"true\"}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s3, namespace: b, labels: {traffic.tetrate.io/global: \"True\"}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s4, namespace: c, labels: {traffic.tetrate.io/global: \"true\"}}\n\
             ---\napiVersion: v1\nkind: Namespace\nmetadata: {name: d, annotations: {traffic.tetrate.io/global: \"true\"}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: s5, namespace: d}\n",
        );
        let names: Vec<(&str, ExposureMode)> = m
            .namespaces
            .iter()
            .map(|n| (n.name.as_str(), n.mode))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", ExposureMode::NamespaceLevel),
                ("b", ExposureMode::ServiceLevel),
                ("c", ExposureMode::ServiceLevel),
                ("d", ExposureMode::NamespaceLevel),
            ]
        );
        let reasons: Vec<(&str, Reason)> = m
            .namespaces
            .iter()
            .flat_map(|n| n.services.iter().map(|s| (s.name.as_str(), s.reason)))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("s1", Reason::NamespaceLevel),
                ("s2", Reason::Labelled),
                ("s3", Reason::LabelNotTrue),
                ("s4", Reason::Labelled),
                ("s5", Reason::NoTriggerLabel(Selection::NamespaceLevel)),
            ]
        );
        assert_eq!(m.namespaces[2].trigger, Trigger::Unknown);
        assert!(m.namespaces[0].gateway_in_use());
        assert!(!m.namespaces[3].gateway_in_use());
    }
}
