//! Facts about the cluster that some rules need (EW020's list of Services, EW022, EW031,
//! EW032). The engine only asks; the answers come from an in-memory cache in the server, from
//! the other documents of the input in the CLI, or from nothing at all. No I/O happens here.

use super::meta::StrMap;
use std::sync::Arc;

/// A Namespace's labels and annotations, as a lookup returns them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceFacts {
    pub labels: StrMap,
    pub annotations: StrMap,
}

/// The answer to a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<T> {
    /// No cluster view, or the view is not synced: the rule that needed it is skipped.
    Unknown,
    /// The view is complete and the thing does not exist.
    Missing,
    Found(T),
}

impl<T> Lookup<T> {
    pub fn found(self) -> Option<T> {
        match self {
            Lookup::Found(t) => Some(t),
            _ => None,
        }
    }
}

/// The Services of one Namespace, as exposure rules need them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServicesOf {
    /// How many carry `traffic.tetrate.io/global: "true"`.
    pub labelled: usize,
    /// The first names (sorted, at most ten are shown in messages) of those that do not.
    pub unlabelled_first: Vec<String>,
    /// How many do not, in all.
    pub unlabelled: usize,
}

/// Read-only cluster facts. Implementations must answer from memory.
pub trait ClusterView {
    /// The Namespace called `name` (shared, so a lookup costs no copy of its maps).
    fn namespace(&self, name: &str) -> Lookup<Arc<NamespaceFacts>>;
    /// The Services of Namespace `namespace`, split by the `global: "true"` label.
    fn services(&self, namespace: &str) -> Lookup<ServicesOf>;
    /// The Namespace called `name` as it was before the write under review, where the view
    /// knows it apart from now (`check --old` reads both inputs); `None`: the view has one
    /// state, the Namespace is as [`ClusterView::namespace`] says (the webhook's cache).
    fn namespace_before_write(&self, _name: &str) -> Option<Lookup<Arc<NamespaceFacts>>> {
        None
    }
}

/// No cluster at all: every lookup is `Unknown`, and the rules that need one are skipped.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCluster;

impl ClusterView for NoCluster {
    fn namespace(&self, _: &str) -> Lookup<Arc<NamespaceFacts>> {
        Lookup::Unknown
    }
    fn services(&self, _: &str) -> Lookup<ServicesOf> {
        Lookup::Unknown
    }
}
