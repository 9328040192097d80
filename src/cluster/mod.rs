//! The cached view of the cluster that some rules need (EW020's list of Services, EW022,
//! EW031, EW032). Requests read it from memory and never wait for the API server.
//!
//! - [`ClusterCache`]: Namespaces (labels and `traffic.tetrate.io/` annotations) and, per
//!   Namespace, the names of its Services split by the exposure label. Nothing else is kept,
//!   so a cluster with 50,000 Services costs a few MiB.
//! - [`watch`]: keeps the cache current from kube's metadata-only watcher (list + watch of
//!   `PartialObjectMetadata`), with kube's backoff so watches recover on their own.
//! - [`read`]: one complete, paged listing of the live cluster (`eastwest-guard audit`);
//!   [`existing`]: the objects listed, judged as the webhook judges a write touching their keys.
//!
//! While a watch has not finished its first list, or has failed recently, the cache answers
//! [`Lookup::Unknown`] and the rules that need it are skipped: a stale answer could deny a
//! write wrongly, a skipped one only loses a warning. "Recently" is the recovery window: the
//! watcher retries with backoff (at most 30 s apart) and reports nothing when a retry
//! succeeds, so a watch counts as recovered once an event arrives or a whole window passes
//! without another failure.

pub mod existing;
pub mod read;
mod watch;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::rules::cluster::{ClusterView, Lookup, NamespaceFacts, ServicesOf};
use crate::rules::keys;

pub use watch::{WatchHandle, spawn_watches};

/// How many unlabelled Service names EW020 shows.
const SHOWN_SERVICES: usize = 10;

/// One kind's part of the cache: whether its watch is usable right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WatchState {
    /// The first list has not completed.
    #[default]
    Syncing,
    /// Listed and watching.
    Live,
    /// The watch failed within the recovery window; it is retrying with backoff.
    Failed,
}

/// The default recovery window: longer than kube's largest backoff step (30 s), so a watch
/// that keeps failing never looks live between two attempts.
pub const DEFAULT_RECOVERY_WINDOW: Duration = Duration::from_secs(35);

#[derive(Clone, Copy, Debug, Default)]
struct Watch {
    listed: bool,
    last_failure: Option<Instant>,
}

impl Watch {
    fn state(&self, window: Duration) -> WatchState {
        match (self.listed, self.last_failure) {
            (_, Some(t)) if t.elapsed() < window => WatchState::Failed,
            (true, _) => WatchState::Live,
            (false, _) => WatchState::Syncing,
        }
    }

    fn failed(&mut self) {
        self.last_failure = Some(Instant::now());
    }

    fn ok(&mut self) {
        self.last_failure = None;
    }
}

/// The Services of one Namespace, by exposure label.
#[derive(Clone, Debug, Default)]
struct NamespaceServices {
    labelled: BTreeSet<String>,
    unlabelled: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct State {
    namespaces: HashMap<String, Arc<NamespaceFacts>>,
    services: HashMap<String, NamespaceServices>,
    /// What an in-progress relist has seen so far; swapped in at `InitDone`.
    pending_namespaces: Option<HashMap<String, Arc<NamespaceFacts>>>,
    pending_services: Option<HashMap<String, NamespaceServices>>,
    namespace_watch: Watch,
    service_watch: Watch,
}

/// The in-memory cluster view. Cheap to read from many request tasks at once.
#[derive(Debug)]
pub struct ClusterCache {
    state: RwLock<State>,
    /// Lookups answered `Unknown` because a watch was not live.
    skipped_lookups: AtomicU64,
    recovery_window: Duration,
}

impl Default for ClusterCache {
    fn default() -> Self {
        Self::with_recovery_window(DEFAULT_RECOVERY_WINDOW)
    }
}

/// What the cache keeps of a Namespace: all labels (trigger labels) and only the
/// `traffic.tetrate.io/` annotations (others, like last-applied-configuration, can be large).
fn namespace_facts(meta: &ObjectMeta) -> Arc<NamespaceFacts> {
    Arc::new(NamespaceFacts {
        labels: meta.labels.iter().flatten().collect(),
        annotations: meta
            .annotations
            .iter()
            .flatten()
            .filter(|(k, _)| k.starts_with(keys::PREFIX))
            .collect(),
    })
}

/// Whether a Service is selected for exposure, as the engine's model reads its label.
fn is_labelled(meta: &ObjectMeta) -> bool {
    let label = meta.labels.as_ref().and_then(|l| l.get(keys::GLOBAL));
    crate::rules::model::selects(label.map(String::as_str))
}

fn put_service(map: &mut HashMap<String, NamespaceServices>, meta: &ObjectMeta) {
    let (Some(ns), Some(name)) = (meta.namespace.as_deref(), meta.name.as_deref()) else {
        return;
    };
    let entry = map.entry(ns.to_owned()).or_default();
    if is_labelled(meta) {
        entry.unlabelled.remove(name);
        entry.labelled.insert(name.to_owned());
    } else {
        entry.labelled.remove(name);
        entry.unlabelled.insert(name.to_owned());
    }
}

/// A change to the cache, as a watch reports it.
#[derive(Clone, Debug)]
pub enum Change<'a> {
    /// A relist started: collect until `ListDone`.
    ListStart,
    /// An object of the relist.
    Listed(&'a ObjectMeta),
    /// The relist is complete: it replaces the cache's contents.
    ListDone,
    Applied(&'a ObjectMeta),
    Deleted(&'a ObjectMeta),
    /// The watch failed (the API server is gone or answered an error).
    Failed,
}

impl ClusterCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache whose failed watches count as recovered after `window` without a new failure.
    pub fn with_recovery_window(window: Duration) -> Self {
        ClusterCache {
            state: RwLock::default(),
            skipped_lookups: AtomicU64::new(0),
            recovery_window: window,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than a stale entry: keep serving rather than propagate the poison.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Both watches have listed at least once and are live.
    pub fn is_synced(&self) -> bool {
        self.watch_states() == (WatchState::Live, WatchState::Live)
    }

    /// The state of the (Namespace, Service) watches.
    pub fn watch_states(&self) -> (WatchState, WatchState) {
        let s = self.read();
        (
            s.namespace_watch.state(self.recovery_window),
            s.service_watch.state(self.recovery_window),
        )
    }

    /// Whether both watches have completed a first list (for readiness).
    pub fn has_listed(&self) -> bool {
        let s = self.read();
        s.namespace_watch.listed && s.service_watch.listed
    }

    /// How many lookups were skipped because a watch was not live.
    pub fn skipped_lookups(&self) -> u64 {
        self.skipped_lookups.load(Ordering::Relaxed)
    }

    /// Counts of what is cached: (namespaces, services).
    pub fn len(&self) -> (usize, usize) {
        let s = self.read();
        let services = s
            .services
            .values()
            .map(|n| n.labelled.len() + n.unlabelled.len())
            .sum();
        (s.namespaces.len(), services)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// Applies a Namespace watch event.
    pub fn namespace_changed(&self, change: Change<'_>) {
        let mut s = self.write();
        match change {
            Change::ListStart => s.pending_namespaces = Some(HashMap::new()),
            Change::Listed(meta) => {
                if let Some(name) = meta.name.as_deref() {
                    let facts = namespace_facts(meta);
                    s.pending_namespaces
                        .get_or_insert_with(HashMap::new)
                        .insert(name.to_owned(), facts);
                }
            }
            Change::ListDone => {
                s.namespaces = s.pending_namespaces.take().unwrap_or_default();
                s.namespace_watch.listed = true;
                s.namespace_watch.ok();
            }
            Change::Applied(meta) => {
                if let Some(name) = meta.name.as_deref() {
                    s.namespaces.insert(name.to_owned(), namespace_facts(meta));
                }
                s.namespace_watch.ok();
            }
            Change::Deleted(meta) => {
                if let Some(name) = meta.name.as_deref() {
                    s.namespaces.remove(name);
                }
                s.namespace_watch.ok();
            }
            Change::Failed => s.namespace_watch.failed(),
        }
    }

    /// Applies a Service watch event.
    pub fn service_changed(&self, change: Change<'_>) {
        let mut s = self.write();
        match change {
            Change::ListStart => s.pending_services = Some(HashMap::new()),
            Change::Listed(meta) => {
                put_service(s.pending_services.get_or_insert_with(HashMap::new), meta);
            }
            Change::ListDone => {
                s.services = s.pending_services.take().unwrap_or_default();
                s.service_watch.listed = true;
                s.service_watch.ok();
            }
            Change::Applied(meta) => {
                put_service(&mut s.services, meta);
                s.service_watch.ok();
            }
            Change::Deleted(meta) => {
                if let (Some(ns), Some(name)) = (meta.namespace.as_deref(), meta.name.as_deref())
                    && let Some(entry) = s.services.get_mut(ns)
                {
                    entry.labelled.remove(name);
                    entry.unlabelled.remove(name);
                    if entry.labelled.is_empty() && entry.unlabelled.is_empty() {
                        s.services.remove(ns);
                    }
                }
                s.service_watch.ok();
            }
            Change::Failed => s.service_watch.failed(),
        }
    }

    fn skipped<T>(&self) -> Lookup<T> {
        self.skipped_lookups.fetch_add(1, Ordering::Relaxed);
        Lookup::Unknown
    }
}

impl ClusterView for ClusterCache {
    fn namespace(&self, name: &str) -> Lookup<Arc<NamespaceFacts>> {
        let s = self.read();
        if s.namespace_watch.state(self.recovery_window) != WatchState::Live {
            drop(s);
            return self.skipped();
        }
        match s.namespaces.get(name) {
            Some(facts) => Lookup::Found(facts.clone()),
            None => Lookup::Missing,
        }
    }

    fn services(&self, namespace: &str) -> Lookup<ServicesOf> {
        let s = self.read();
        if s.service_watch.state(self.recovery_window) != WatchState::Live {
            drop(s);
            return self.skipped();
        }
        Lookup::Found(match s.services.get(namespace) {
            Some(n) => ServicesOf {
                labelled: n.labelled.len(),
                unlabelled_first: n.unlabelled.iter().take(SHOWN_SERVICES).cloned().collect(),
                unlabelled: n.unlabelled.len(),
            },
            None => ServicesOf::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(
        ns: Option<&str>,
        name: &str,
        labels: &[(&str, &str)],
        ann: &[(&str, &str)],
    ) -> ObjectMeta {
        let m = |p: &[(&str, &str)]| {
            Some(
                p.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        ObjectMeta {
            name: Some(name.into()),
            namespace: ns.map(str::to_owned),
            labels: m(labels),
            annotations: m(ann),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn unknown_until_listed_then_live() {
        let c = ClusterCache::new();
        assert_eq!(c.namespace("a"), Lookup::Unknown);
        assert_eq!(c.services("a"), Lookup::Unknown);
        assert_eq!(c.skipped_lookups(), 2);
        c.namespace_changed(Change::ListStart);
        c.namespace_changed(Change::Listed(&meta(
            None,
            "a",
            &[("tetrate.io/rev", "default")],
            &[(keys::GLOBAL, "true"), ("big", "x")],
        )));
        assert_eq!(
            c.namespace("a"),
            Lookup::Unknown,
            "not live before ListDone"
        );
        c.namespace_changed(Change::ListDone);
        let Lookup::Found(facts) = c.namespace("a") else {
            panic!()
        };
        assert_eq!(
            facts.annotations.len(),
            1,
            "only traffic.tetrate.io/ annotations kept"
        );
        assert_eq!(c.namespace("b"), Lookup::Missing);
        assert!(!c.is_synced(), "services not listed yet");
        c.service_changed(Change::ListStart);
        c.service_changed(Change::ListDone);
        assert!(c.is_synced());
    }

    #[test]
    fn services_split_by_label_and_follow_changes() {
        let c = ClusterCache::new();
        c.service_changed(Change::ListStart);
        for i in 0..12 {
            c.service_changed(Change::Listed(&meta(
                Some("p"),
                &format!("s{i:02}"),
                &[],
                &[],
            )));
        }
        c.service_changed(Change::Listed(&meta(
            Some("p"),
            "exposed",
            &[(keys::GLOBAL, "true")],
            &[],
        )));
        c.service_changed(Change::ListDone);
        let Lookup::Found(s) = c.services("p") else {
            panic!()
        };
        assert_eq!(
            (s.labelled, s.unlabelled, s.unlabelled_first.len()),
            (1, 12, 10)
        );
        assert_eq!(s.unlabelled_first[0], "s00");
        // Relabel, delete, and a failed watch.
        c.service_changed(Change::Applied(&meta(
            Some("p"),
            "s00",
            &[(keys::GLOBAL, "true")],
            &[],
        )));
        c.service_changed(Change::Deleted(&meta(Some("p"), "s01", &[], &[])));
        let Lookup::Found(s) = c.services("p") else {
            panic!()
        };
        assert_eq!((s.labelled, s.unlabelled), (2, 10));
        c.service_changed(Change::Failed);
        assert_eq!(c.services("p"), Lookup::Unknown);
        c.service_changed(Change::Applied(&meta(Some("p"), "s02", &[], &[])));
        assert!(matches!(c.services("p"), Lookup::Found(_)), "recovered");
        // A relist replaces everything atomically.
        c.service_changed(Change::ListStart);
        c.service_changed(Change::Listed(&meta(Some("q"), "only", &[], &[])));
        assert!(matches!(
            c.services("p"),
            Lookup::Found(ServicesOf { unlabelled: 10, .. })
        ));
        c.service_changed(Change::ListDone);
        assert_eq!(c.services("p"), Lookup::Found(ServicesOf::default()));
        assert_eq!(c.len().1, 1);
    }
}
