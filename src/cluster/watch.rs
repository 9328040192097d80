//! Keeps a [`ClusterCache`] current from metadata-only watches of Namespaces and Services.

use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use tokio::task::JoinHandle;

use super::{Change, ClusterCache};

/// The running watches; dropping it stops them.
#[derive(Debug)]
pub struct WatchHandle {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the two watches (metadata only: `PartialObjectMetadata` lists and watches) on the
/// current tokio runtime. They retry with kube's default backoff forever, so they recover by
/// themselves when the API server comes back.
pub fn spawn_watches(client: Client, cache: Arc<ClusterCache>) -> WatchHandle {
    let namespaces: Api<PartialObjectMeta<Namespace>> = Api::all(client.clone());
    let services: Api<PartialObjectMeta<Service>> = Api::all(client);
    let ns_cache = cache.clone();
    let ns_task = tokio::spawn(drive(
        watcher(namespaces, watcher::Config::default()).default_backoff(),
        move |change| ns_cache.namespace_changed(change),
        "namespaces",
    ));
    let svc_task = tokio::spawn(drive(
        watcher(services, watcher::Config::default()).default_backoff(),
        move |change| cache.service_changed(change),
        "services",
    ));
    WatchHandle {
        tasks: vec![ns_task, svc_task],
    }
}

fn watcher<K>(
    api: Api<PartialObjectMeta<K>>,
    config: watcher::Config,
) -> impl Stream<Item = Result<Event<PartialObjectMeta<K>>, watcher::Error>> + Send
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    K::DynamicType: Default,
{
    watcher::watcher(api, config)
}

async fn drive<K, S>(stream: S, apply: impl Fn(Change<'_>), what: &'static str)
where
    S: Stream<Item = Result<Event<PartialObjectMeta<K>>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut listed = 0usize;
    while let Some(item) = stream.next().await {
        match item {
            Ok(Event::Init) => {
                listed = 0;
                apply(Change::ListStart);
            }
            Ok(Event::InitApply(o)) => {
                listed += 1;
                apply(Change::Listed(&o.metadata));
            }
            Ok(Event::InitDone) => {
                apply(Change::ListDone);
                tracing::info!(watch = what, objects = listed, "cluster cache synced");
            }
            Ok(Event::Apply(o)) => apply(Change::Applied(&o.metadata)),
            Ok(Event::Delete(o)) => apply(Change::Deleted(&o.metadata)),
            Err(error) => {
                tracing::warn!(
                    watch = what,
                    %error,
                    "cluster watch failed; lookups are skipped until it recovers"
                );
                apply(Change::Failed);
            }
        }
    }
}
