//! What the running webhook already knows: the objects in its cache that carry problems, by
//! rule and level (`eastwest_guard_existing_problems{rule,level}`), so "what would enforcing
//! refuse" is a Prometheus query during a warn-only rollout.
//!
//! Each object is judged as `audit` judges it ([`existing::judge`]: the level of a write that
//! sets its keys), with the configuration in use. Bounded: the labels are a rule ID and a
//! level, never an object's name, so the series count is at most twice the number of rules.
//!
//! Incremental: only objects with a `traffic.tetrate.io/` key can carry a problem, and only
//! they are kept, each with its contribution (the distinct (rule, level) pairs it carries),
//! which is subtracted and added again when it changes. An event re-judges:
//! - a Service: itself;
//! - a Namespace: itself, the kept Services in it (EW031 reads their Namespace), and the kept
//!   Namespaces whose gateway goes to it (EW032 asks whether it exists).
//!
//! A relist replaces the kept objects of its kind; a configuration reload, or the cache
//! becoming synced, re-judges everything kept. Nothing is judged while the cache is not
//! synced: its lookups would answer `Unknown` (and count as skipped reviews).
//!
//! The watches are metadata-only: a Service's `spec.type` is not known here, so the rules on
//! it (EW040: an ExternalName Service labelled for exposure) are not counted; `audit` reads
//! the type and counts them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::{Change, ClusterCache, existing};
use crate::rules::meta::Meta;
use crate::rules::{Config, Level, ObjectView, ResourceKind, RuleId, keys};

/// The gauge's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProblemLabels {
    pub rule: &'static str,
    /// `deny` or `warn`: the level a write that sets the object's keys would get.
    pub level: &'static str,
}

/// The distinct (rule, level) pairs one object carries.
type Contribution = Vec<(RuleId, Level)>;

struct Kept {
    view: ObjectView,
    contribution: Contribution,
}

#[derive(Default)]
struct State {
    namespaces: HashMap<String, Kept>,
    /// By Namespace, then name.
    services: HashMap<String, HashMap<String, Kept>>,
    pending_namespaces: Option<HashMap<String, Kept>>,
    pending_services: Option<HashMap<String, HashMap<String, Kept>>>,
    counts: HashMap<(RuleId, Level), i64>,
    /// The configuration the contributions were judged with (twice: the one in use, and the one
    /// handed to [`existing::judge`], which gives the level of a write that sets each key).
    judged_with: Option<(Arc<Config>, Arc<Config>)>,
    /// Whether the contributions are current (false while the cache was not synced).
    current: bool,
}

/// The count of the cache's objects that carry problems, kept current as the cache changes.
pub struct ExistingProblems {
    config: Arc<ArcSwap<Config>>,
    gauge: Family<ProblemLabels, Gauge>,
    state: Mutex<State>,
}

impl std::fmt::Debug for ExistingProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExistingProblems").finish_non_exhaustive()
    }
}

fn level_label(level: Level) -> &'static str {
    match level {
        Level::Deny => "deny",
        Level::Warn => "warn",
    }
}

/// What the cache's watch gives of an object, as the engine reads it; `None` for an object
/// with no `traffic.tetrate.io/` key, which carries no problem.
fn view_of(meta: &ObjectMeta) -> Option<ObjectView> {
    let map = |m: &Option<std::collections::BTreeMap<String, String>>| {
        m.as_ref().map(|m| m.iter().collect())
    };
    let view = ObjectView {
        api_version: None,
        kind: None,
        metadata: Meta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            labels: map(&meta.labels),
            annotations: map(&meta.annotations),
            deletion_timestamp: meta.deletion_timestamp.clone(),
            ..Meta::default()
        },
        spec: None,
    };
    keys::has_tetrate_key(&view).then_some(view)
}

impl ExistingProblems {
    /// Counts into `gauge`, judging with the configuration `config` holds at each event.
    pub fn new(config: Arc<ArcSwap<Config>>, gauge: Family<ProblemLabels, Gauge>) -> Self {
        ExistingProblems {
            config,
            gauge,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current count of objects carrying `rule` at `level`.
    pub fn count(&self, rule: RuleId, level: Level) -> i64 {
        self.lock().counts.get(&(rule, level)).copied().unwrap_or(0)
    }

    /// Re-judges every kept object (the configuration changed).
    pub fn recompute(&self, cache: &ClusterCache) {
        let mut s = self.lock();
        s.current = false;
        self.refresh(&mut s, cache);
    }

    /// After the cache applied a Namespace event.
    pub(super) fn namespace_changed(&self, change: &Change<'_>, cache: &ClusterCache) {
        let mut s = self.lock();
        match change {
            Change::ListStart => s.pending_namespaces = Some(HashMap::new()),
            Change::Listed(meta) => {
                if let (Some(name), Some(view)) = (meta.name.as_deref(), view_of(meta)) {
                    s.pending_namespaces
                        .get_or_insert_with(HashMap::new)
                        .insert(name.to_owned(), Kept::new(view));
                }
            }
            Change::ListDone => {
                let listed = s.pending_namespaces.take().unwrap_or_default();
                for (_, old) in std::mem::replace(&mut s.namespaces, listed) {
                    Self::add(&mut s.counts, &old.contribution, -1);
                }
                // The Services' and the other Namespaces' lookups may answer otherwise now.
                s.current = false;
            }
            Change::Applied(meta) | Change::Deleted(meta) => {
                let Some(name) = meta.name.as_deref() else {
                    return;
                };
                if let Some(old) = s.namespaces.remove(name) {
                    Self::add(&mut s.counts, &old.contribution, -1);
                }
                if let (Change::Applied(_), Some(view)) = (change, view_of(meta)) {
                    s.namespaces.insert(name.to_owned(), Kept::new(view));
                }
                if s.current {
                    self.rejudge_around_namespace(&mut s, name, cache);
                }
            }
            Change::Failed => {}
        }
        self.refresh(&mut s, cache);
    }

    /// After the cache applied a Service event.
    pub(super) fn service_changed(&self, change: &Change<'_>, cache: &ClusterCache) {
        let mut s = self.lock();
        match change {
            Change::ListStart => s.pending_services = Some(HashMap::new()),
            Change::Listed(meta) => {
                if let (Some(ns), Some(name), Some(view)) = (
                    meta.namespace.as_deref(),
                    meta.name.as_deref(),
                    view_of(meta),
                ) {
                    s.pending_services
                        .get_or_insert_with(HashMap::new)
                        .entry(ns.to_owned())
                        .or_default()
                        .insert(name.to_owned(), Kept::new(view));
                }
            }
            Change::ListDone => {
                let listed = s.pending_services.take().unwrap_or_default();
                for (_, services) in std::mem::replace(&mut s.services, listed) {
                    for (_, old) in services {
                        Self::add(&mut s.counts, &old.contribution, -1);
                    }
                }
                s.current = false;
            }
            Change::Applied(meta) | Change::Deleted(meta) => {
                let (Some(ns), Some(name)) = (meta.namespace.as_deref(), meta.name.as_deref())
                else {
                    return;
                };
                let state = &mut *s;
                if let Some(services) = state.services.get_mut(ns)
                    && let Some(old) = services.remove(name)
                {
                    Self::add(&mut state.counts, &old.contribution, -1);
                    if services.is_empty() {
                        state.services.remove(ns);
                    }
                }
                if let (Change::Applied(_), Some(view)) = (change, view_of(meta)) {
                    let mut kept = Kept::new(view);
                    if state.current
                        && let Some(config) = self.judging_config(state)
                    {
                        kept.judge(ResourceKind::Service, &config, cache);
                        Self::add(&mut state.counts, &kept.contribution, 1);
                    }
                    state
                        .services
                        .entry(ns.to_owned())
                        .or_default()
                        .insert(name.to_owned(), kept);
                }
            }
            Change::Failed => {}
        }
        self.refresh(&mut s, cache);
    }

    /// The Namespace `name` changed (or appeared, or went): re-judge it, the kept Services in
    /// it, and the kept Namespaces whose gateway goes to it.
    fn rejudge_around_namespace(&self, s: &mut State, name: &str, cache: &ClusterCache) {
        let Some(config) = self.judging_config(s) else {
            return;
        };
        let default_gateway_namespace = config.default_gateway_namespace.as_str();
        let State {
            namespaces,
            services,
            counts,
            ..
        } = s;
        for (ns_name, kept) in namespaces.iter_mut() {
            let gateway_namespace = kept
                .view
                .annotation(keys::GATEWAY_NAMESPACE)
                .unwrap_or(default_gateway_namespace);
            if ns_name == name || gateway_namespace == name {
                Self::add(counts, &kept.contribution, -1);
                kept.judge(ResourceKind::Namespace, &config, cache);
                Self::add(counts, &kept.contribution, 1);
            }
        }
        if let Some(in_it) = services.get_mut(name) {
            for kept in in_it.values_mut() {
                Self::add(counts, &kept.contribution, -1);
                kept.judge(ResourceKind::Service, &config, cache);
                Self::add(counts, &kept.contribution, 1);
            }
        }
    }

    /// The configuration to judge with, `None` while the cache is not synced. When the
    /// configuration in use is not the one the contributions were judged with, everything is
    /// judged again first (at the caller's `refresh`).
    fn judging_config(&self, s: &mut State) -> Option<Arc<Config>> {
        let in_use = self.config.load_full();
        match &s.judged_with {
            Some((seen, _)) if Arc::ptr_eq(seen, &in_use) => {}
            _ => {
                s.judged_with = Some((in_use.clone(), in_use.clone()));
                s.current = false;
            }
        }
        s.judged_with.as_ref().map(|(_, strict)| strict.clone())
    }

    /// Brings every contribution up to date when it is not, then the gauge.
    fn refresh(&self, s: &mut State, cache: &ClusterCache) {
        if !cache.is_synced() {
            s.current = false;
        } else {
            // A reload since the last event makes the contributions stale.
            let in_use = self.config.load_full();
            if !s
                .judged_with
                .as_ref()
                .is_some_and(|(seen, _)| Arc::ptr_eq(seen, &in_use))
            {
                s.current = false;
            }
            if !s.current {
                self.rejudge_all(s, cache);
                s.current = true;
            }
        }
        self.publish(s);
    }

    fn rejudge_all(&self, s: &mut State, cache: &ClusterCache) {
        let in_use = self.config.load_full();
        let strict = in_use.clone();
        s.judged_with = Some((in_use, strict.clone()));
        s.counts.clear();
        let State {
            namespaces,
            services,
            counts,
            ..
        } = s;
        for kept in namespaces.values_mut() {
            kept.judge(ResourceKind::Namespace, &strict, cache);
            Self::add(counts, &kept.contribution, 1);
        }
        for kept in services.values_mut().flat_map(HashMap::values_mut) {
            kept.judge(ResourceKind::Service, &strict, cache);
            Self::add(counts, &kept.contribution, 1);
        }
    }

    fn add(counts: &mut HashMap<(RuleId, Level), i64>, contribution: &Contribution, by: i64) {
        for key in contribution {
            *counts.entry(*key).or_default() += by;
        }
    }

    /// Sets every series: those with a count, and 0 for those that had one (a series that
    /// went to 0 says so rather than vanish).
    fn publish(&self, s: &State) {
        for (&(rule, level), &n) in &s.counts {
            self.gauge
                .get_or_create(&ProblemLabels {
                    rule: rule.as_str(),
                    level: level_label(level),
                })
                .set(n);
        }
        for rule in RuleId::ALL {
            for level in [Level::Deny, Level::Warn] {
                if !s.counts.contains_key(&(*rule, level)) {
                    let labels = ProblemLabels {
                        rule: rule.as_str(),
                        level: level_label(level),
                    };
                    // Only series that exist are reset: no series for a rule never seen.
                    if let Some(gauge) = self.gauge.get(&labels) {
                        gauge.set(0);
                    }
                }
            }
        }
    }
}

impl Kept {
    fn new(view: ObjectView) -> Self {
        Kept {
            view,
            contribution: Vec::new(),
        }
    }

    fn judge(&mut self, kind: ResourceKind, strict: &Config, cache: &ClusterCache) {
        let decision = existing::judge(kind, &self.view, strict, cache);
        self.contribution.clear();
        for v in decision.violations {
            if !self.contribution.contains(&(v.rule, v.level)) {
                self.contribution.push((v.rule, v.level));
            }
        }
    }
}
