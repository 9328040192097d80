//! The cluster as the input describes it: the [`ClusterView`] the rules ask for cross-object
//! facts (EW020's affected Services, EW021, EW022, EW031), answered from the manifests.
//!
//! Only what the input shows is known: a Namespace that is not in the input is `Unknown` (it
//! may well exist in the cluster), never `Missing`, so rules that need it stay quiet.

use std::collections::HashMap;

use std::sync::Arc;

use super::manifests::Manifest;
use crate::rules::model;

use crate::rules::{ClusterView, Lookup, NamespaceFacts, ResourceKind, ServicesOf};

/// Namespaces and their Services, from one set of manifests.
#[derive(Debug, Default)]
pub struct InputCluster {
    namespaces: HashMap<String, Arc<NamespaceFacts>>,
    services: HashMap<String, Vec<(String, bool)>>,
}

impl InputCluster {
    /// The view over `manifests`. When an object appears twice, the last one counts, as
    /// `kubectl apply` of the input leaves it (the duplicate is reported on its own).
    pub fn new<'a>(manifests: impl IntoIterator<Item = &'a Manifest>) -> Self {
        let mut view = InputCluster::default();
        // Where each named Service is in its Namespace's list, so a later copy replaces it.
        let mut at: std::collections::HashMap<(String, String), usize> = Default::default();
        for m in manifests {
            match m.kind {
                ResourceKind::Namespace => {
                    let name = m.object.name();
                    if !name.is_empty() {
                        view.namespaces.insert(
                            name.to_owned(),
                            Arc::new(NamespaceFacts {
                                labels: m.object.labels().cloned().unwrap_or_default(),
                                annotations: m.object.annotations().cloned().unwrap_or_default(),
                            }),
                        );
                    }
                }
                ResourceKind::Service => {
                    if let Some(ns) = &m.namespace {
                        let name = m.object.name();
                        let labelled = model::is_labelled(&m.object);
                        let services = view.services.entry(ns.clone()).or_default();
                        // A later copy replaces the earlier; unnamed ones are each their own.
                        let earlier = (!name.is_empty())
                            .then(|| at.get(&(ns.clone(), name.to_owned())).copied())
                            .flatten();
                        match earlier {
                            Some(i) => services[i].1 = labelled,
                            None => {
                                if !name.is_empty() {
                                    at.insert((ns.clone(), name.to_owned()), services.len());
                                }
                                services.push((name.to_owned(), labelled));
                            }
                        }
                    }
                }
                ResourceKind::Other => {}
            }
        }
        view
    }

    /// Whether the input holds the Namespace `name` with `traffic.tetrate.io/global: "true"`.
    pub fn is_namespace_level(&self, name: &str) -> bool {
        self.namespaces
            .get(name)
            .is_some_and(|facts| model::is_namespace_level(Some(&facts.annotations)))
    }
}

impl ClusterView for InputCluster {
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
