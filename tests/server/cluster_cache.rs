//! The cluster cache driven by kube's real watcher through kube's own mock transport: a tower
//! service answering list and watch requests with JSON shaped like the API server's
//! (PartialObjectMetadataList, watch events), including watches that end, fail and resume.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use eastwest_guard::cluster::{ClusterCache, WatchState, spawn_watches};
use eastwest_guard::rules::{
    self, ClusterView, Config, Lookup, ObjectView, ResourceKind, Review, RuleId,
};
use futures_util::StreamExt;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower_test::mock;

type MockBody = BoxBody<Bytes, Infallible>;

fn partial(ns: Option<&str>, name: &str, labels: Value, annotations: Value, rv: u64) -> Value {
    let mut meta = json!({
        "name": name,
        "uid": format!("uid-{name}"),
        "resourceVersion": rv.to_string(),
        "creationTimestamp": "2026-11-20T09:14:03Z",
        "labels": labels,
        "annotations": annotations,
        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                           "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
    });
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": meta})
}

/// A scripted API server for namespaces and services.
#[derive(Default)]
struct FakeApi {
    objects: Mutex<HashMap<&'static str, Vec<Value>>>,
    resource_version: Mutex<u64>,
    /// The open watch of each resource: sending on it streams an event to the watcher.
    watches: Mutex<HashMap<&'static str, mpsc::UnboundedSender<Bytes>>>,
    /// Resources whose next watch request fails with HTTP 500.
    fail_watches: Mutex<HashMap<&'static str, usize>>,
    requests: Mutex<Vec<String>>,
}

impl FakeApi {
    fn resource(path: &str) -> &'static str {
        if path.ends_with("/namespaces") {
            "namespaces"
        } else {
            "services"
        }
    }

    fn next_rv(&self) -> u64 {
        let mut rv = self.resource_version.lock().unwrap();
        *rv += 1;
        *rv
    }

    fn answer(&self, req: &Request<Body>) -> Response<MockBody> {
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        self.requests
            .lock()
            .unwrap()
            .push(format!("{path}?{query}"));
        let resource = Self::resource(&path);
        if query.contains("watch=true") {
            let mut fails = self.fail_watches.lock().unwrap();
            if let Some(n) = fails.get_mut(resource).filter(|n| **n > 0) {
                *n -= 1;
                let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "message": "etcdserver: leader changed", "reason": "InternalError", "code": 500});
                return Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .body(Full::new(Bytes::from(status.to_string())).boxed())
                    .unwrap();
            }
            let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
            self.watches.lock().unwrap().insert(resource, tx);
            let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
            });
            return Response::new(BodyExt::boxed(StreamBody::new(stream)));
        }
        let items = self
            .objects
            .lock()
            .unwrap()
            .get(resource)
            .cloned()
            .unwrap_or_default();
        let list = json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadataList",
            "metadata": {"resourceVersion": self.next_rv().to_string()},
            "items": items,
        });
        Response::new(Full::new(Bytes::from(list.to_string())).boxed())
    }

    fn set(&self, resource: &'static str, items: Vec<Value>) {
        self.objects.lock().unwrap().insert(resource, items);
    }

    /// Streams one watch event on the open watch of `resource`, waiting for one to be open.
    async fn event(&self, resource: &'static str, kind: &str, object: Value) {
        for _ in 0..500 {
            if let Some(tx) = self.watches.lock().unwrap().get(resource) {
                let line = format!("{}\n", json!({"type": kind, "object": object}));
                if tx.send(Bytes::from(line)).is_ok() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no open watch on {resource}");
    }

    /// Ends the open watch of `resource`, as an API server does on restart.
    fn drop_watch(&self, resource: &'static str) {
        self.watches.lock().unwrap().remove(resource);
    }
}

/// Starts the fake API server and the real watches; returns the cache.
fn start(api: Arc<FakeApi>) -> (Arc<ClusterCache>, eastwest_guard::cluster::WatchHandle) {
    start_with(api, eastwest_guard::cluster::DEFAULT_RECOVERY_WINDOW)
}

fn start_with(
    api: Arc<FakeApi>,
    window: Duration,
) -> (Arc<ClusterCache>, eastwest_guard::cluster::WatchHandle) {
    let (service, handle) = mock::pair::<Request<Body>, Response<MockBody>>();
    tokio::spawn(async move {
        let mut handle = std::pin::pin!(handle);
        while let Some((req, send)) = handle.next_request().await {
            send.send_response(api.answer(&req));
        }
    });
    let cache = Arc::new(ClusterCache::with_recovery_window(window));
    let watches = spawn_watches(Client::new(service, "default"), cache.clone());
    (cache, watches)
}

/// Waits (bounded) until `cond` holds.
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn ns_obj(annotations: Value) -> ObjectView {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "payments", "labels": {"tetrate.io/rev": "default"}, "annotations": annotations}
    }))
    .unwrap()
}

fn svc_obj(labels: Value) -> ObjectView {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "ledger", "namespace": "payments", "labels": labels},
        "spec": {"type": "ClusterIP"}
    }))
    .unwrap()
}

fn payments_world(api: &FakeApi, namespace_level: bool) {
    let ann = if namespace_level {
        json!({"traffic.tetrate.io/global": "true", "kubectl.kubernetes.io/last-applied-configuration": "{}"})
    } else {
        json!({})
    };
    api.set(
        "namespaces",
        vec![
            partial(
                None,
                "payments",
                json!({"tetrate.io/rev": "default"}),
                ann,
                1,
            ),
            partial(None, "tetrate-system", json!({}), json!({}), 1),
            partial(None, "plain", json!({}), json!({}), 1),
        ],
    );
    let mut services = vec![
        partial(
            Some("payments"),
            "api",
            json!({"traffic.tetrate.io/global": "true"}),
            json!({}),
            1,
        ),
        partial(
            Some("payments"),
            "web",
            json!({"traffic.tetrate.io/global": "true"}),
            json!({}),
            1,
        ),
        partial(Some("plain"), "other", json!({}), json!({}), 1),
    ];
    for i in 1..=12 {
        services.push(partial(
            Some("payments"),
            &format!("worker-{i:02}"),
            json!({"app": "w"}),
            json!({}),
            1,
        ));
    }
    api.set("services", services);
}

#[tokio::test]
async fn lookups_are_skipped_until_synced_then_answer_from_the_cache() {
    let api = Arc::new(FakeApi::default());
    let cache = Arc::new(ClusterCache::new());
    // Not started: every lookup is skipped and counted.
    assert_eq!(cache.namespace("payments"), Lookup::Unknown);
    let old = ns_obj(json!({"traffic.tetrate.io/global": "true"}));
    let new = ns_obj(json!({}));
    let d = rules::validate(
        &Review::update(ResourceKind::Namespace, &old, &new),
        &Config::default(),
        cache.as_ref(),
    );
    let m = &d
        .violations
        .iter()
        .find(|v| v.rule == RuleId::EW020)
        .unwrap()
        .message;
    assert!(
        !m.contains("worker-"),
        "no names without a synced cache: {m}"
    );
    assert!(cache.skipped_lookups() >= 2);

    payments_world(&api, true);
    let (cache, _watches) = start(api.clone());
    eventually("synced", || cache.is_synced()).await;
    assert_eq!(cache.len(), (3, 15));

    // EW020 names the unlabelled Services, the first ten and how many more.
    let d = rules::validate(
        &Review::update(ResourceKind::Namespace, &old, &new),
        &Config::default(),
        cache.as_ref(),
    );
    let m = &d
        .violations
        .iter()
        .find(|v| v.rule == RuleId::EW020)
        .unwrap()
        .message;
    assert!(m.contains("12 Services: worker-01, worker-02"), "{m}");
    assert!(m.contains("worker-10 and 2 more"), "{m}");
    assert!(
        !m.contains("api,") && !m.contains("web"),
        "labelled Services are not listed: {m}"
    );

    // EW032 on the cache.
    let gw_missing = ns_obj(
        json!({"traffic.tetrate.io/global": "true", "traffic.tetrate.io/eastwest-gateway-namespace": "gateways"}),
    );
    let d = rules::validate(
        &Review::create(ResourceKind::Namespace, &gw_missing),
        &Config::default(),
        cache.as_ref(),
    );
    assert_eq!(d.rule_ids(), vec![RuleId::EW032]);
    let d = rules::validate(
        &Review::create(ResourceKind::Namespace, &old),
        &Config::default(),
        cache.as_ref(),
    );
    assert!(
        d.violations.is_empty(),
        "tetrate-system exists: {:?}",
        d.violations
    );
}

#[tokio::test]
async fn ew022_and_ew031_in_each_mode() {
    for namespace_level in [false, true] {
        let api = Arc::new(FakeApi::default());
        payments_world(&api, namespace_level);
        let (cache, _watches) = start(api.clone());
        eventually("synced", || cache.is_synced()).await;
        let before = svc_obj(json!({"app": "ledger"}));
        let after = svc_obj(json!({"app": "ledger", "traffic.tetrate.io/global": "true"}));
        let d = rules::validate(
            &Review::update(ResourceKind::Service, &before, &after),
            &Config::default(),
            cache.as_ref(),
        );
        let v = d
            .violations
            .iter()
            .find(|v| v.rule == RuleId::EW022)
            .expect("EW022");
        if namespace_level {
            assert!(
                v.message.contains("stays exposed") && v.message.contains("no effect"),
                "{}",
                v.message
            );
        } else {
            assert!(
                v.message
                    .contains("Service payments/ledger becomes exposed cross-cluster"),
                "{}",
                v.message
            );
        }
        let d = rules::validate(
            &Review::update(ResourceKind::Service, &after, &before),
            &Config::default(),
            cache.as_ref(),
        );
        let v = d
            .violations
            .iter()
            .find(|v| v.rule == RuleId::EW022)
            .expect("EW022");
        assert!(
            v.message.contains(if namespace_level {
                "stays exposed"
            } else {
                "stops being exposed"
            }),
            "{}",
            v.message
        );
    }
    // EW031: the Namespace loses its trigger label through a watch event.
    let api = Arc::new(FakeApi::default());
    payments_world(&api, false);
    let (cache, _watches) = start(api.clone());
    eventually("synced", || cache.is_synced()).await;
    let labelled = svc_obj(json!({"traffic.tetrate.io/global": "true"}));
    let check = || {
        rules::validate(
            &Review::create(ResourceKind::Service, &labelled),
            &Config::default(),
            cache.as_ref(),
        )
        .rule_ids()
    };
    assert!(!check().contains(&RuleId::EW031));
    api.event(
        "namespaces",
        "MODIFIED",
        partial(None, "payments", json!({"team": "a"}), json!({}), 50),
    )
    .await;
    eventually("namespace relabelled", || check().contains(&RuleId::EW031)).await;
}

#[tokio::test]
async fn watch_events_keep_the_cache_current() {
    let api = Arc::new(FakeApi::default());
    payments_world(&api, true);
    let (cache, _watches) = start(api.clone());
    eventually("synced", || cache.is_synced()).await;
    api.event(
        "services",
        "ADDED",
        partial(Some("payments"), "new-one", json!({}), json!({}), 20),
    )
    .await;
    eventually("service added", || cache.len().1 == 16).await;
    api.event(
        "services",
        "MODIFIED",
        partial(
            Some("payments"),
            "worker-01",
            json!({"traffic.tetrate.io/global": "true"}),
            json!({}),
            21,
        ),
    )
    .await;
    eventually(
        "service relabelled",
        || matches!(cache.services("payments"), Lookup::Found(s) if s.labelled == 3),
    )
    .await;
    api.event(
        "services",
        "DELETED",
        partial(Some("payments"), "worker-02", json!({}), json!({}), 22),
    )
    .await;
    eventually("service deleted", || cache.len().1 == 15).await;
    api.event(
        "namespaces",
        "ADDED",
        partial(None, "gateways", json!({}), json!({}), 23),
    )
    .await;
    eventually("namespace added", || {
        cache.namespace("gateways") != Lookup::Missing
    })
    .await;
    api.event(
        "namespaces",
        "DELETED",
        partial(None, "gateways", json!({}), json!({}), 24),
    )
    .await;
    eventually("namespace deleted", || {
        cache.namespace("gateways") == Lookup::Missing
    })
    .await;
}

#[tokio::test]
async fn watches_recover_after_the_api_server_drops_or_fails_them() {
    let api = Arc::new(FakeApi::default());
    payments_world(&api, true);
    let (cache, _watches) = start_with(api.clone(), Duration::from_secs(2));
    eventually("synced", || cache.is_synced()).await;

    // The API server ends the watch (restart): the watcher watches again from where it was.
    api.drop_watch("services");
    api.event(
        "services",
        "ADDED",
        partial(Some("payments"), "after-restart", json!({}), json!({}), 30),
    )
    .await;
    eventually("event after re-watch", || cache.len().1 == 16).await;

    // The history is gone (410 Expired): the watcher relists, and the relist replaces the cache.
    api.set(
        "services",
        vec![partial(Some("payments"), "only", json!({}), json!({}), 40)],
    );
    api.event(
        "services",
        "ERROR",
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired",
               "message": "too old resource version", "code": 410}),
    )
    .await;
    eventually("relisted", || cache.len().1 == 1).await;

    // The watch fails outright: lookups are skipped while it is down, then it recovers.
    *api.fail_watches.lock().unwrap() = HashMap::from([("services", 1)]);
    api.drop_watch("services");
    eventually("failed", || cache.watch_states().1 == WatchState::Failed).await;
    assert_eq!(cache.services("payments"), Lookup::Unknown);
    let skipped = cache.skipped_lookups();
    assert!(skipped >= 1);
    // A quiet watch that came back counts as recovered after the window; an event sooner.
    eventually("recovered", || cache.watch_states().1 == WatchState::Live).await;
    assert!(matches!(cache.services("payments"), Lookup::Found(_)));
    *api.fail_watches.lock().unwrap() = HashMap::from([("services", 1)]);
    api.drop_watch("services");
    eventually("failed again", || {
        cache.watch_states().1 == WatchState::Failed
    })
    .await;
    api.event(
        "services",
        "ADDED",
        partial(Some("payments"), "back", json!({}), json!({}), 60),
    )
    .await;
    eventually("recovered by an event", || {
        cache.watch_states().1 == WatchState::Live
    })
    .await;
    let requests = api.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("/api/v1/services?") && r.contains("watch=true"))
    );
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("/api/v1/namespaces?") || r.starts_with("/api/v1/services?")),
        "{requests:?}"
    );
    let _ = futures_util::stream::iter([0]).next().await;
}
