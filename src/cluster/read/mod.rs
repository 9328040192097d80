//! Reading the live cluster, read-only, for `eastwest-guard audit`: the client configuration
//! as kubectl finds it ([`connect`]), and every Namespace and Service listed in pages
//! ([`list`]).
//!
//! - Configuration is kube's own loading: `--kubeconfig FILE`, else `KUBECONFIG`, else
//!   `~/.kube/config`, with `--context`; inside a pod with neither, the in-cluster service
//!   account (`Config::infer`).
//! - Lists are paged (`limit` and `continue`), so no single answer holds the whole cluster and
//!   kube-apiserver serves each page from its watch cache. A continue token that expired
//!   (410 Gone: the list took longer than the server keeps a consistent snapshot, about five
//!   minutes) restarts the list from the beginning, a bounded number of times, so the audit
//!   judges one consistent snapshot rather than a mix of two.
//! - Each page is parsed straight into the engine's projection ([`ObjectView`]): the six
//!   metadata fields the rules read and `spec.type`; everything else (`managedFields` first,
//!   most of every object) is skipped unparsed.
//! - Namespaces are listed metadata-only (`PartialObjectMetadataList`): the rules read nothing
//!   of their spec. Services are listed whole, because EW040 and the exposure model read
//!   `spec.type`; see [`Resource::Services`] for why that is cheaper than a metadata list plus
//!   a second list for the type.
//! - Errors say what could not be done, on which server, and for 401 and 403 which permission
//!   is missing ([`ReadError`]).

mod error;

pub use error::{ReadError, ReadErrorKind};

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::params::ListParams;
use kube::{Client, Config};
use serde::Deserialize;

use crate::rules::ObjectView;

/// How to reach the cluster.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// A kubeconfig file; `None`: `KUBECONFIG`, `~/.kube/config`, or the in-cluster account.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig; `None`: its current context.
    pub context: Option<String>,
    /// How long one request may wait for the server (connecting, and each read of the
    /// answer); `None`: no limit.
    pub request_timeout: Option<Duration>,
}

/// A client for one cluster, and the server it talks to (for messages).
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The API server's URL, as the configuration gives it.
    pub server: String,
    /// The limit on each request, for messages.
    pub request_timeout: Option<Duration>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// The client configuration, found as kubectl finds it. Nothing is sent to the server yet.
pub async fn connect(options: &ConnectOptions) -> Result<Connection, ReadError> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let loaded = match (&options.kubeconfig, &options.context) {
        (Some(path), _) => {
            let named = format!("kubeconfig {}", path.display());
            match Kubeconfig::read_from(path) {
                Ok(file) => from_file(file, &named, &kube_options).await,
                Err(e) => Err(format!("{named}: {e}")),
            }
        }
        // A context names an entry of a kubeconfig: the in-cluster account has none.
        (None, Some(_)) => {
            let named = "kubeconfig (KUBECONFIG or ~/.kube/config)";
            match Kubeconfig::read() {
                Ok(file) => from_file(file, named, &kube_options).await,
                Err(e) => Err(format!("{named}: {e}")),
            }
        }
        (None, None) => Config::infer().await.map_err(|e| {
            format!(
                "no cluster configuration: neither a kubeconfig (--kubeconfig, KUBECONFIG or \
                 ~/.kube/config) nor an in-cluster service account could be loaded: {}",
                error::causes(&e)
            )
        }),
    };
    let mut config = loaded.map_err(|message| ReadError::config(None, message))?;
    let server = config.cluster_url.to_string();
    let server = server.strip_suffix('/').unwrap_or(&server).to_owned();
    if let Some(timeout) = options.request_timeout {
        config.read_timeout = Some(timeout);
        config.connect_timeout = Some(config.connect_timeout.map_or(timeout, |t| t.min(timeout)));
        config.write_timeout = Some(config.write_timeout.map_or(timeout, |t| t.min(timeout)));
        // The read timeout then counts from each request, not from when a pooled connection
        // went idle (kube's note on `read_timeout`).
        config.reset_reader_on_write = true;
    }
    let client = Client::try_from(config).map_err(|e| {
        ReadError::config(
            Some(server.clone()),
            format!("cannot build a client: {}", error::causes(&e)),
        )
    })?;
    Ok(Connection {
        client,
        server,
        request_timeout: options.request_timeout,
    })
}

/// The configuration of a kubeconfig file, for the context asked (or its current one); a
/// context it does not have is said with those it has.
async fn from_file(
    file: Kubeconfig,
    named: &str,
    options: &KubeConfigOptions,
) -> Result<Config, String> {
    if let Some(context) = &options.context
        && !file.contexts.iter().any(|c| &c.name == context)
    {
        let known: Vec<&str> = file.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "{named} has no context \"{context}\" (it has: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    Config::from_custom_kubeconfig(file, options)
        .await
        .map_err(|e| format!("{named}: {}", error::causes(&e)))
}

/// What is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// Metadata only: the rules read a Namespace's labels and annotations, nothing else.
    Namespaces,
    /// Whole objects. The rules and the exposure model read `spec.type` (an ExternalName
    /// Service has nothing to expose: EW040), which a metadata-only list drops. The other way,
    /// a metadata list of every Service plus a list of the ExternalName ones by field
    /// selector, makes two lists where one does, and `spec.type` is a field selector only on
    /// recent servers. A Service's spec and status are a fraction of what the server sends of
    /// it (its `managedFields` and annotations are most of it, and come either way), and the
    /// parse skips them unread.
    Services,
}

impl Resource {
    fn path(self) -> &'static str {
        match self {
            Resource::Namespaces => "/api/v1/namespaces",
            Resource::Services => "/api/v1/services",
        }
    }

    /// The resource as RBAC names it (`namespaces`, `services`).
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Namespaces => "namespaces",
            Resource::Services => "services",
        }
    }
}

/// How lists are paged.
#[derive(Clone, Copy, Debug)]
pub struct ListOptions {
    /// Objects per page (`limit`).
    pub chunk_size: u32,
    /// How many times a list whose continue token expired is started again before giving up.
    pub max_restarts: u32,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            chunk_size: 500,
            max_restarts: 3,
        }
    }
}

/// Where the pages of a list go.
pub trait PageSink {
    /// The list starts again from the beginning (its continue token expired): forget what the
    /// earlier pages gave.
    fn restart(&mut self);
    /// One page of objects, in the server's order.
    fn page(&mut self, objects: Vec<ObjectView>);
}

/// How a list went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listed {
    /// Objects in the final, complete list.
    pub objects: usize,
    /// Requests made, over every attempt.
    pub requests: usize,
    /// Times the list was started again because its continue token expired.
    pub restarts: u32,
    /// The resourceVersion of the snapshot listed.
    pub resource_version: Option<String>,
}

/// One page as kube-apiserver sends it: `NamespaceList`, `ServiceList` or
/// `PartialObjectMetadataList`, read into the engine's projection.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default, deserialize_with = "null_as_empty")]
    items: Vec<ObjectView>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ObjectView>, D::Error> {
    Ok(Option::<Vec<ObjectView>>::deserialize(d)?.unwrap_or_default())
}

/// Lists every object of `resource` at the cluster scope, page by page into `sink`.
pub async fn list(
    connection: &Connection,
    resource: Resource,
    options: ListOptions,
    sink: &mut dyn PageSink,
) -> Result<Listed, ReadError> {
    let mut listed = Listed::default();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(options.chunk_size.max(1));
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let request = kube::core::Request::new(resource.path());
        let request = match resource {
            Resource::Namespaces => request.list_metadata(&params),
            Resource::Services => request.list(&params),
        }
        .map_err(|e| {
            ReadError::new(
                Some(connection.server.clone()),
                resource,
                ReadErrorKind::Other(format!("cannot build the request: {e}")),
            )
        })?;
        listed.requests += 1;
        let text = match connection.client.request_text(request).await {
            Ok(text) => text,
            Err(kube::Error::Api(status)) if status.code == 410 && token.is_some() => {
                if listed.restarts >= options.max_restarts {
                    return Err(ReadError::new(
                        Some(connection.server.clone()),
                        resource,
                        ReadErrorKind::Expired {
                            restarts: listed.restarts,
                            chunk_size: options.chunk_size,
                        },
                    ));
                }
                listed.restarts += 1;
                listed.objects = 0;
                token = None;
                sink.restart();
                continue;
            }
            Err(e) => {
                return Err(ReadError::from_kube(
                    &connection.server,
                    resource,
                    connection.request_timeout,
                    e,
                ));
            }
        };
        let page: Page = serde_json::from_str(&text).map_err(|e| {
            ReadError::new(
                Some(connection.server.clone()),
                resource,
                ReadErrorKind::Other(format!(
                    "the answer is not a list kube-apiserver would send: {e}"
                )),
            )
        })?;
        drop(text);
        listed.objects += page.items.len();
        if page.metadata.resource_version.is_some() {
            listed.resource_version = page.metadata.resource_version;
        }
        sink.page(page.items);
        match page.metadata.continue_.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return Ok(listed),
        }
    }
}
