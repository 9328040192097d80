//! `diff` agrees with `check` on every UPDATE case of the rules tests (the corpus under
//! tests/data/rules/cases): where the agent refuses a mode change, moves a gateway or changes
//! a Service's exposure, both commands say so, from the one model of the agent in the engine.

use eastwest_guard::cli::manifests::{Inputs, ReadOptions};
use eastwest_guard::cli::{check, diff as diff_lib, exposure};
use eastwest_guard::rules::{Lookup, ObjectView, ResourceKind, RuleId};
use serde_json::{Value, json};

use crate::support::cases;
use crate::support::manifests;

/// A case as manifests: the object before and after, with the cluster the rules saw written
/// beside it on both sides (the Namespace of a Service; the Services of a Namespace).
struct Sides {
    old: Inputs,
    new: Inputs,
}

fn inputs(objects: &[ObjectView], default_namespace: &str) -> Inputs {
    let text: Vec<String> = objects
        .iter()
        .map(|o| serde_json::to_string(o).expect("JSON"))
        .collect();
    manifests::inputs(
        "case.yaml",
        &text.join("\n---\n"),
        &ReadOptions {
            default_namespace: default_namespace.to_owned(),
        },
    )
    .expect("a case is a valid manifest")
}

fn object(v: Value) -> ObjectView {
    serde_json::from_value(v).expect("an object")
}

fn sides(case: &cases::Case) -> Sides {
    let (old, new) = (
        case.old_object().expect("an UPDATE has an old object"),
        case.object().expect("an UPDATE has an object"),
    );
    let cluster = case.cluster();
    let review_ns = case.json["namespace"].as_str();
    let default_namespace = review_ns.filter(|n| !n.is_empty()).unwrap_or("default");
    let mut context = Vec::new();
    match case.kind() {
        ResourceKind::Namespace => {
            if let Some(Lookup::Found(s)) = cluster
                .as_ref()
                .map(|c| eastwest_guard::rules::ClusterView::services(c, new.name()))
            {
                for i in 0..s.labelled {
                    context.push(object(json!({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": format!("labelled-{i}"), "namespace": new.name(),
                            "labels": {"traffic.tetrate.io/global": "true"}}})));
                }
                let named = s.unlabelled_first.iter().cloned();
                let rest =
                    (s.unlabelled_first.len()..s.unlabelled).map(|i| format!("unlabelled-{i}"));
                for n in named.chain(rest) {
                    context.push(object(json!({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": n, "namespace": new.name()}})));
                }
            }
        }
        _ => {
            let ns = new
                .metadata
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(default_namespace);
            if let Some(Lookup::Found(facts)) = cluster
                .as_ref()
                .map(|c| eastwest_guard::rules::ClusterView::namespace(c, ns))
            {
                let map = |m: &eastwest_guard::rules::StrMap| -> Value {
                    m.iter()
                        .map(|(k, v)| (k.to_owned(), json!(v)))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                };
                context.push(object(json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": map(&facts.labels), "annotations": map(&facts.annotations)}})));
            }
        }
    }
    let with = |o: ObjectView| {
        let mut all = context.clone();
        all.push(o);
        inputs(&all, default_namespace)
    };
    Sides {
        old: with(old),
        new: with(new),
    }
}

/// How a write changes a Service's exposure, as check's EW022 and diff's lists say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exposure {
    Becomes,
    Stops,
    /// EW022 in a namespace-level Namespace: the label changes nothing.
    Stays,
}

/// `diff` and `check --old`, on the same input, agree on every UPDATE case of the rules tests
/// (the corpus the rules tests keep, see tests/support/cases.rs): each case is written as
/// manifests, its object before and after with the cluster the rules saw beside it, and
/// - check denies with EW020 exactly when diff reports the Namespace's mode change as blocked
///   by EW020, and warns with EW020 on a lenient old value exactly when diff reports it as
///   maybe blocked;
/// - check reports EW021 exactly when diff reports the gateway as moved, and every setting
///   EW021 names is among those diff says change;
/// - on a Service, where its Namespace is in the input, check's EW022 says the Service becomes
///   exposed exactly when diff lists it as newly exposed, stops being exposed exactly when
///   diff lists it as no longer exposed, and stays exposed (its label changes nothing) only
///   where diff lists no change. Where the Namespace is not in the input, check has no facts
///   and says nothing, while diff judges by the label alone and says so.
///
/// And check reports EW020, EW021 and EW022 on the manifests as the engine decided them on the
/// review itself, so the manifests are the case.
#[test]
fn diff_agrees_with_check_on_every_update_case_of_the_rules_tests() {
    let cases: Vec<cases::Case> = cases::corpus()
        .into_iter()
        .filter(|c| c.operation() == "UPDATE")
        .collect();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for case in &cases {
        let file = case.file.display();
        assert!(
            case.input_kept(),
            "{file}: an UPDATE case without its input"
        );
        let new_object = case.object().expect("an object");
        let (kind, name) = (case.kind(), new_object.name().to_owned());
        assert!(!name.is_empty(), "{file}: diff sees named objects only");
        let config = case.config();
        let s = sides(case);
        let outcome = check::check(&s.new, Some(&s.old), &config);
        let report = diff_lib::compare(
            &exposure::model(&s.old, &config),
            &exposure::model(&s.new, &config),
            &config,
        );
        let findings = |rule: RuleId| -> Vec<&check::Finding> {
            outcome
                .findings
                .iter()
                .filter(|f| f.code == check::Code::Rule(rule) && f.object.name == name)
                .collect()
        };
        // The manifests are the case: check finds what the engine found.
        for rule in [RuleId::EW020, RuleId::EW021, RuleId::EW022] {
            let engine = case.decision().iter().any(|(r, _)| *r == rule);
            assert_eq!(
                engine,
                !findings(rule).is_empty(),
                "{file}: {rule} from the engine, not from check on the manifests"
            );
        }
        let namespace = match kind {
            ResourceKind::Namespace => name.clone(),
            _ => s
                .new
                .manifests
                .last()
                .and_then(|m| m.namespace.clone())
                .unwrap_or_default(),
        };

        // EW020: the mode change the agent refuses, or may refuse (an old value only a
        // lenient parser reads as true: a warning that says so).
        let blocked = report
            .namespaces
            .iter()
            .any(|n| n.name == namespace && n.blocked_by == Some(RuleId::EW020));
        let may_be_blocked = report
            .namespaces
            .iter()
            .any(|n| n.name == namespace && n.may_be_blocked_by == Some(RuleId::EW020));
        let ew020 = findings(RuleId::EW020);
        let lenient = ew020.iter().any(|f| f.message.contains("lenient"));
        assert_eq!(!ew020.is_empty() && !lenient, blocked, "{file}: EW020");
        assert_eq!(
            lenient, may_be_blocked,
            "{file}: EW020 on a lenient old value"
        );
        if blocked {
            *seen.entry("EW020 and a blocked mode change").or_default() += 1;
        }
        if may_be_blocked {
            *seen
                .entry("EW020 warns and a mode change may be blocked")
                .or_default() += 1;
        }

        // EW021: the gateway moves.
        let moved = report
            .gateways
            .iter()
            .find(|g| g.namespace == namespace && g.kind == diff_lib::GatewayChangeKind::Moved);
        let ew021 = findings(RuleId::EW021);
        assert_eq!(!ew021.is_empty(), moved.is_some(), "{file}: EW021");
        for f in &ew021 {
            let setting = match f.field.as_ref().and_then(|field| field.key()) {
                Some("traffic.tetrate.io/eastwest-gateway-name") => "name",
                Some("traffic.tetrate.io/eastwest-gateway-namespace") => "namespace",
                Some("traffic.tetrate.io/eastwest-gateway-workload-selector") => "workloadSelector",
                other => panic!("{file}: EW021 on {other:?}"),
            };
            let changed = &moved.expect("moved").changed;
            assert!(
                changed.contains(&setting),
                "{file}: EW021 on {setting}, diff {changed:?}"
            );
        }
        if moved.is_some() {
            *seen.entry("EW021 and a moved gateway").or_default() += 1;
        }

        // EW022: the Service's own exposure.
        if kind != ResourceKind::Service {
            continue;
        }
        let ew022: Vec<Exposure> = findings(RuleId::EW022)
            .iter()
            .map(|f| {
                if f.message.contains(" becomes exposed") {
                    Exposure::Becomes
                } else if f.message.contains(" stops being exposed") {
                    Exposure::Stops
                } else {
                    assert!(
                        f.message.contains(" stays exposed"),
                        "{file}: {}",
                        f.message
                    );
                    Exposure::Stays
                }
            })
            .collect();
        assert!(ew022.len() <= 1, "{file}: {ew022:?}");
        let listed = |list: &[diff_lib::ServiceChange]| {
            list.iter()
                .find(|c| c.namespace == namespace && c.name == name)
                .cloned()
        };
        let change = match (
            listed(&report.newly_exposed),
            listed(&report.no_longer_exposed),
        ) {
            (Some(c), None) => Some((Exposure::Becomes, c)),
            (None, Some(c)) => Some((Exposure::Stops, c)),
            (None, None) => None,
            (Some(_), Some(_)) => panic!("{file}: exposed and not"),
        };
        let namespace_known = s
            .new
            .manifests
            .iter()
            .any(|m| m.kind == ResourceKind::Namespace && m.object.name() == namespace);
        if !namespace_known {
            assert_eq!(ew022, vec![], "{file}: EW022 without the Namespace's facts");
            if let Some((_, c)) = change {
                assert!(
                    c.why.contains("judged by the label alone"),
                    "{file}: {}",
                    c.why
                );
                *seen
                    .entry("a Service judged by its label alone")
                    .or_default() += 1;
            }
            continue;
        }
        match (ew022.first(), &change) {
            (Some(Exposure::Stays), None) => {}
            (check, Some((diff, _))) => assert_eq!(check, Some(diff), "{file}: EW022"),
            (check, None) => assert_eq!(check, None, "{file}: EW022 without a change"),
        }
        if let Some(e) = ew022.first() {
            *seen
                .entry(match e {
                    Exposure::Becomes => "EW022 and a Service newly exposed",
                    Exposure::Stops => "EW022 and a Service no longer exposed",
                    Exposure::Stays => "EW022 on a label that changes nothing",
                })
                .or_default() += 1;
        }
    }
    eprintln!("{} UPDATE cases: {seen:#?}", cases.len());
    // None of the agreements holds only because nothing happens.
    for what in [
        "EW020 and a blocked mode change",
        "EW020 warns and a mode change may be blocked",
        "EW021 and a moved gateway",
        "EW022 and a Service newly exposed",
        "EW022 and a Service no longer exposed",
        "EW022 on a label that changes nothing",
    ] {
        assert!(seen.get(what).is_some_and(|n| *n > 0), "no case of {what}");
    }
}
