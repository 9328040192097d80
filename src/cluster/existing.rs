//! Objects that exist already, judged as the enforcing webhook judges a write that touches
//! their keys: what `eastwest-guard audit` reports, and what any count of the problems already
//! in a cluster should count.
//!
//! - [`judge`]: one object, with the engine of the webhook ([`rules::validate`]).
//! - [`ListedCluster`]: the cluster view of a complete listing, for the rules that need other
//!   objects (EW031 reads the Service's Namespace, EW032 whether the gateway namespace
//!   exists). It is the webhook's own cache ([`ClusterCache`]) filled from the listing, so a
//!   lookup answers exactly as it does for `serve --cluster-lookups`.
//! - [`exposure`]: whether the agent exposes a Service cross-cluster, asked of the engine's
//!   model with its Namespace as the view knows it.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Change, ClusterCache, WatchState};
use crate::rules::model::{self, Reason, ServiceKeys};
use crate::rules::{
    self, ClusterView, Config, Decision, Lookup, NamespaceFacts, ObjectView, ResourceKind,
    ServicesOf, StrMap,
};

/// What the enforcing webhook says of `object` when a write touches its `traffic.tetrate.io/`
/// keys: each problem the object has, at the level the webhook gives a write that sets that
/// key to the value it holds, with the fix the webhook gives for an object that exists
/// (kubectl commands on the live object). See [`rules::validate_existing`].
pub fn judge(
    kind: ResourceKind,
    object: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
) -> Decision {
    rules::validate_existing(kind, object, config, cluster)
}

/// Whether the agent exposes `service` cross-cluster, given what the view knows of its
/// Namespace: namespace-level or labelled, with a workspace (a trigger label). A Service whose
/// Namespace is not in the listing (made between the two lists) is judged by its label alone.
pub fn exposure(
    service: &ObjectView,
    namespace: &Lookup<Arc<NamespaceFacts>>,
    config: &Config,
) -> Reason {
    let (namespace_level, workspace) = match namespace {
        Lookup::Found(facts) => (
            model::is_namespace_level(Some(&facts.annotations)),
            Some(config.trigger_label(Some(&facts.labels)).is_some()),
        ),
        Lookup::Missing | Lookup::Unknown => (false, None),
    };
    Reason::of(ServiceKeys::of(service), namespace_level, workspace)
}

/// The cluster view of a listing: every Namespace first, then every Service. A lookup is
/// `Unknown` until its kind is completely listed, then `Found` or `Missing`.
#[derive(Debug, Default)]
pub struct ListedCluster {
    cache: ClusterCache,
}

impl ListedCluster {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every Namespace of the cluster, at once.
    pub fn set_namespaces<'a>(&self, namespaces: impl IntoIterator<Item = &'a ObjectView>) {
        self.cache.namespace_changed(Change::ListStart);
        for ns in namespaces {
            self.cache
                .namespace_changed(Change::Listed(&object_meta(ns, true)));
        }
        self.cache.namespace_changed(Change::ListDone);
    }

    /// A list of Services starts (again).
    pub fn services_start(&self) {
        self.cache.service_changed(Change::ListStart);
    }

    pub fn add_service(&self, service: &ObjectView) {
        self.cache
            .service_changed(Change::Listed(&object_meta(service, false)));
    }

    /// The Services are all listed.
    pub fn services_done(&self) {
        self.cache.service_changed(Change::ListDone);
    }

    /// Whether the Namespaces are listed, so Services can be judged.
    pub fn has_namespaces(&self) -> bool {
        self.cache.watch_states().0 == WatchState::Live
    }

    /// Counts of what the view holds: (Namespaces, Services).
    pub fn len(&self) -> (usize, usize) {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

impl ClusterView for ListedCluster {
    fn namespace(&self, name: &str) -> Lookup<Arc<NamespaceFacts>> {
        self.cache.namespace(name)
    }

    fn services(&self, namespace: &str) -> Lookup<ServicesOf> {
        self.cache.services(namespace)
    }
}

/// The metadata the cache is fed, as a watch event would carry it. Of a Service, the cache
/// keeps its name and whether it is labelled for exposure: its annotations (often a
/// `last-applied-configuration` as large as the manifest) are not copied for it.
fn object_meta(o: &ObjectView, with_annotations: bool) -> ObjectMeta {
    let map = |m: Option<&StrMap>| {
        m.map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    };
    ObjectMeta {
        name: o.metadata.name.clone(),
        namespace: o.metadata.namespace.clone(),
        labels: map(o.labels()),
        annotations: if with_annotations {
            map(o.annotations())
        } else {
            None
        },
        ..ObjectMeta::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Level, RuleId};

    fn object(json: serde_json::Value) -> ObjectView {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn lookups_wait_for_the_listing_then_know_what_is_missing() {
        let view = ListedCluster::new();
        assert_eq!(view.namespace("shop"), Lookup::Unknown);
        let shop = object(serde_json::json!({"metadata": {"name": "shop",
            "labels": {"team": "a"}}}));
        view.set_namespaces([&shop]);
        assert!(view.has_namespaces());
        assert!(matches!(view.namespace("shop"), Lookup::Found(_)));
        assert_eq!(view.namespace("gone"), Lookup::Missing);
        assert_eq!(
            view.services("shop"),
            Lookup::Unknown,
            "Services not listed yet"
        );
        view.services_start();
        view.add_service(&object(serde_json::json!({"metadata": {"name": "web",
            "namespace": "shop", "labels": {"traffic.tetrate.io/global": "true"}}})));
        view.services_done();
        assert!(matches!(
            view.services("shop"),
            Lookup::Found(ServicesOf { labelled: 1, .. })
        ));
        assert_eq!(view.len(), (1, 1));
    }

    #[test]
    fn a_labelled_service_without_a_workspace_is_not_exposed_and_ew031_says_why() {
        let config = Config::default();
        let view = ListedCluster::new();
        let shop = object(serde_json::json!({"metadata": {"name": "shop"}}));
        view.set_namespaces([&shop]);
        let web = object(
            serde_json::json!({"metadata": {"name": "web", "namespace": "shop",
            "labels": {"traffic.tetrate.io/global": "true"}}, "spec": {"type": "ClusterIP"}}),
        );
        let decision = judge(ResourceKind::Service, &web, &config, &view);
        assert_eq!(decision.rule_ids(), vec![RuleId::EW031]);
        let reason = exposure(&web, &view.namespace("shop"), &config);
        assert_eq!(reason.code(), "no-trigger-label");
        assert!(!reason.exposed());
    }

    #[test]
    fn an_exposed_service_is_not_a_change_of_exposure() {
        let config = Config::default();
        let view = ListedCluster::new();
        let shop = object(serde_json::json!({"metadata": {"name": "shop",
            "labels": {"tetrate.io/rev": "default"}}}));
        view.set_namespaces([&shop]);
        let web = object(
            serde_json::json!({"metadata": {"name": "web", "namespace": "shop",
            "labels": {"traffic.tetrate.io/global": "true"}}}),
        );
        // A CREATE would warn EW022 ("becomes exposed"); the audit's review has nothing to say.
        let create = rules::validate(
            &rules::Review::create(ResourceKind::Service, &web),
            &config,
            &view,
        );
        assert_eq!(create.rule_ids(), vec![RuleId::EW022]);
        assert!(
            judge(ResourceKind::Service, &web, &config, &view)
                .violations
                .is_empty()
        );
        assert!(exposure(&web, &view.namespace("shop"), &config).exposed());
    }

    #[test]
    fn a_value_already_there_gets_the_level_of_a_write_that_sets_it() {
        let view = ListedCluster::new();
        view.set_namespaces(std::iter::empty());
        let api = object(
            serde_json::json!({"metadata": {"name": "api", "namespace": "legacy",
            "labels": {"traffic.tetrate.io/global": "True"}}}),
        );
        let decision = judge(ResourceKind::Service, &api, &Config::default(), &view);
        let v = &decision.violations[0];
        assert_eq!((v.rule, v.level), (RuleId::EW013, Level::Deny));
        assert!(
            v.message.contains("kubectl label service api -n legacy"),
            "{}",
            v.message
        );
    }

    #[test]
    fn an_object_being_deleted_is_warned_about_not_denied() {
        let view = ListedCluster::new();
        view.set_namespaces(std::iter::empty());
        let ns = object(serde_json::json!({"metadata": {"name": "old",
            "deletionTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {"traffic.tetrate.io/global": "yes"}}}));
        let decision = judge(ResourceKind::Namespace, &ns, &Config::default(), &view);
        let v = &decision.violations[0];
        assert_eq!((v.rule, v.level), (RuleId::EW001, Level::Warn));
        assert!(v.message.contains("being deleted"), "{}", v.message);
    }
}
