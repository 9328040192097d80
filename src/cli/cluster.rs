//! The cluster as the input describes it: the [`ClusterView`] the rules ask for cross-object
//! facts (EW020's affected Services, EW021, EW022, EW031), answered from the manifests.
//!
//! Only what the input shows is known: a Namespace that is not in the input is `Unknown` (it
//! may well exist in the cluster), never `Missing`, so rules that need it stay quiet.

use std::collections::HashMap;

use std::sync::Arc;

use super::manifests::{Manifest, ObjectKey};
use crate::rules::model;

use crate::rules::{ClusterView, Lookup, NamespaceFacts, ResourceKind, ServicesOf};

/// The manifests as applying them leaves the cluster: of an object that appears more than once
/// (the same kind, namespace and name), the last copy, as `kubectl apply` of the input leaves
/// it. Objects without a name (`generateName`) are each their own. Every command that reads a
/// set of manifests as the objects it makes (check's view and its `--old` side, explain's and
/// diff's models) reads it through here; a repeated object is reported by check on its own.
pub fn applied(manifests: &[Manifest]) -> impl Iterator<Item = &Manifest> {
    let mut last: HashMap<ObjectKey, usize> = HashMap::new();
    for (i, m) in manifests.iter().enumerate() {
        if let Some(key) = m.key() {
            last.insert(key, i);
        }
    }
    manifests
        .iter()
        .enumerate()
        .filter(move |(i, m)| m.key().is_none_or(|key| last.get(&key) == Some(i)))
        .map(|(_, m)| m)
}

/// Namespaces and their Services, from one set of manifests.
#[derive(Debug, Default)]
pub struct InputCluster {
    namespaces: HashMap<String, Arc<NamespaceFacts>>,
    services: HashMap<String, Vec<(String, bool)>>,
    /// The Namespaces of the input before the change (`check --old`), when there is one.
    before: Option<HashMap<String, Arc<NamespaceFacts>>>,
}

impl InputCluster {
    /// The view over `manifests`, as `kubectl apply` of them leaves the cluster ([`applied`]).
    pub fn new(manifests: &[Manifest]) -> Self {
        let mut view = InputCluster {
            namespaces: namespaces(manifests),
            ..InputCluster::default()
        };
        for m in applied(manifests) {
            match m.kind {
                ResourceKind::Namespace => {}
                ResourceKind::Service => {
                    if let Some(ns) = &m.namespace {
                        view.services
                            .entry(ns.clone())
                            .or_default()
                            .push((m.object.name().to_owned(), model::is_labelled(&m.object)));
                    }
                }
                ResourceKind::Other => {}
            }
        }
        view
    }

    /// The same view, with the Namespaces of `old` (the input before the change) as they were
    /// before the write: a Service judged as an UPDATE is compared with its old Namespace.
    #[must_use]
    pub fn with_before(mut self, old: &[Manifest]) -> Self {
        self.before = Some(namespaces(old));
        self
    }

    /// Whether the input holds the Namespace `name` with `traffic.tetrate.io/global: "true"`.
    pub fn is_namespace_level(&self, name: &str) -> bool {
        self.namespaces
            .get(name)
            .is_some_and(|facts| model::is_namespace_level(Some(&facts.annotations)))
    }
}

/// The Namespaces of `manifests`, as applying them leaves them.
fn namespaces(manifests: &[Manifest]) -> HashMap<String, Arc<NamespaceFacts>> {
    applied(manifests)
        .filter(|m| m.kind == ResourceKind::Namespace && !m.object.name().is_empty())
        .map(|m| {
            (
                m.object.name().to_owned(),
                Arc::new(NamespaceFacts {
                    labels: m.object.labels().cloned().unwrap_or_default(),
                    annotations: m.object.annotations().cloned().unwrap_or_default(),
                }),
            )
        })
        .collect()
}

impl ClusterView for InputCluster {
    fn namespace_before_write(&self, name: &str) -> Option<Lookup<Arc<NamespaceFacts>>> {
        let before = self.before.as_ref()?;
        Some(match before.get(name) {
            Some(facts) => Lookup::Found(facts.clone()),
            None => Lookup::Unknown,
        })
    }

    fn namespace(&self, name: &str) -> Lookup<Arc<NamespaceFacts>> {
        match self.namespaces.get(name) {
            Some(facts) => Lookup::Found(facts.clone()),
            None => Lookup::Unknown,
        }
    }

    fn services(&self, namespace: &str) -> Lookup<ServicesOf> {
        if !self.namespaces.contains_key(namespace) {
            return Lookup::Unknown;
        }
        let all = self
            .services
            .get(namespace)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let labelled = all.iter().filter(|(_, l)| *l).count();
        let mut unlabelled: Vec<&str> = all
            .iter()
            .filter(|(_, l)| !*l)
            .map(|(n, _)| n.as_str())
            .collect();
        unlabelled.sort_unstable();
        Lookup::Found(ServicesOf {
            labelled,
            unlabelled: unlabelled.len(),
            unlabelled_first: unlabelled
                .iter()
                .take(10)
                .map(|n| (*n).to_owned())
                .collect(),
        })
    }
}
