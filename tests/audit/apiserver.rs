//! A fake kube-apiserver on 127.0.0.1 (port 0) that answers list calls of Namespaces and
//! Services as kube-apiserver does, for the real binary to read through a kubeconfig.
//!
//! What it does as kube-apiserver does:
//! - `GET /api/v1/namespaces` and `/api/v1/services`, honouring `limit` and `continue`: a page
//!   of at most `limit` items, with `metadata.continue` (an opaque token naming the snapshot's
//!   resourceVersion and where the next page starts) and `metadata.remainingItemCount` while
//!   more remain, and `metadata.resourceVersion` on every page.
//! - `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` (what kube
//!   sends for a metadata-only list) gets a `PartialObjectMetadataList` whose items are
//!   `PartialObjectMetadata` (metadata only); any other `Accept` gets the typed list
//!   (`NamespaceList`, `ServiceList`) with whole objects.
//! - A continue token of an older snapshot than the store's answers 410 Gone with a Status of
//!   reason `Expired`, the words kube-apiserver uses; a list without a token always starts
//!   from the current snapshot.
//! - A bearer token other than the expected one answers 401 with a Status; a resource the
//!   user may not list answers 403 with the Status RBAC writes (`... cannot list resource
//!   "services" in API group "" at the cluster scope`).
//!
//! It serves plain HTTP ([`FakeApiServer::start`]) or TLS with a certificate made for the
//! test ([`FakeApiServer::start_tls`]), as a real API server does.
//!
//! Faults a test sets: [`Behaviour::churn`] changes the store after the first page of a list
//! (a Namespace or Service is added, the resourceVersion moves on), so the list's next
//! continue token is stale; [`Behaviour::delay`] holds every answer. Every request is recorded.
//!
//! Items are serialised once, when the store is made, so a page costs the server a copy of
//! bytes: the benchmark runs the same server, and its work should be the client's.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

/// What kube sends as `Accept` for a metadata-only list.
pub const METADATA_LIST_ACCEPT: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// One object, as the server sends it in either form.
#[derive(Clone)]
struct Item {
    whole: String,
    metadata: String,
}

impl Item {
    fn new(object: &Value) -> Self {
        Item {
            whole: object.to_string(),
            metadata: json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object["metadata"],
            })
            .to_string(),
        }
    }
}

/// The objects the server holds, and the resourceVersion of this snapshot.
#[derive(Clone, Default)]
pub struct Store {
    namespaces: Vec<Item>,
    services: Vec<Item>,
    resource_version: u64,
}

impl Store {
    /// Namespaces and Services as kube-apiserver stores them (whole objects).
    pub fn new(namespaces: &[Value], services: &[Value]) -> Self {
        Store {
            namespaces: namespaces.iter().map(Item::new).collect(),
            services: services.iter().map(Item::new).collect(),
            resource_version: 1000,
        }
    }

    fn items(&self, resource: &str) -> Option<&Vec<Item>> {
        match resource {
            "namespaces" => Some(&self.namespaces),
            "services" => Some(&self.services),
            _ => None,
        }
    }
}

/// How the server misbehaves, if at all.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// The bearer token the kubeconfig must send; any other answers 401.
    pub token: Option<String>,
    /// Resources the user may not list (403), e.g. `"services"`.
    pub forbidden: Vec<&'static str>,
    /// For a resource, how many of its lists see the store change after their first page.
    pub churn: HashMap<&'static str, u32>,
    /// Every answer waits this long.
    pub delay: Option<Duration>,
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub resource: String,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub accept: Option<String>,
    pub status: u16,
}

struct Shared {
    store: Store,
    behaviour: Behaviour,
    recorded: Vec<Recorded>,
    churned: HashMap<String, u32>,
}

/// The running server; dropped, it stops (its runtime goes, and every answer in progress).
pub struct FakeApiServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    scheme: &'static str,
}

impl FakeApiServer {
    pub fn start(store: Store, behaviour: Behaviour) -> Self {
        Self::start_with(store, behaviour, None)
    }

    /// The same server over TLS, with a serving certificate for 127.0.0.1 made for the test;
    /// returns the PEM of the CA that signed it, for the kubeconfig.
    pub fn start_tls(store: Store, behaviour: Behaviour) -> (Self, String) {
        let (ca_pem, config) = tls::serving_config();
        (Self::start_with(store, behaviour, Some(config)), ca_pem)
    }

    fn start_with(
        store: Store,
        behaviour: Behaviour,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            store,
            behaviour,
            recorded: Vec::new(),
            churned: HashMap::new(),
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let app = Router::new()
            .route("/api/v1/{resource}", get(list))
            .fallback(|| async {
                status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                    None,
                )
            })
            .with_state(shared.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fake apiserver runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    _ = serve(listener, app, tls) => {}
                    _ = stopped => {}
                }
            });
        });
        FakeApiServer {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
            scheme,
        }
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .lock()
            .expect("fake apiserver state")
            .recorded
            .clone()
    }

    /// The requests for one resource.
    pub fn requests_for(&self, resource: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.resource == resource)
            .collect()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `app` on `listener`, over TLS when `tls` is given.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let Some(tls) = tls else {
        let _ = axum::serve(listener, app).await;
        return;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A client that refuses the certificate ends the handshake: nothing to serve.
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
        });
    }
}

mod tls {
    use std::sync::Arc;

    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    /// A CA of its own (its PEM), and a server configuration with a certificate it signed
    /// for 127.0.0.1.
    pub fn serving_config() -> (String, Arc<rustls::ServerConfig>) {
        let ca = ca("fake kube-apiserver CA");
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &ca).expect("sign");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
        (ca.pem(), Arc::new(config))
    }

    /// A self-signed CA.
    pub fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
    }
}

/// The PEM of a CA that signed nothing the server presents.
pub fn unrelated_ca_pem() -> String {
    tls::ca("another CA").pem()
}

/// A `Status` answer, as kube-apiserver writes one.
fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(details) = details {
        body["details"] = details;
    }
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `{"rv": N, "start": i}`, base64, as opaque to the client as kube-apiserver's own.
fn token(resource_version: u64, start: usize) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(json!({"rv": resource_version, "start": start}).to_string())
}

fn parse_token(text: &str) -> Option<(u64, usize)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    Some((
        v["rv"].as_u64()?,
        usize::try_from(v["start"].as_u64()?).ok()?,
    ))
}

/// `a=1&b=x%2By` as a map, percent-decoded (`+` is a space, as in a form).
fn parse_query(query: &str) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'+', _) => out.push(b' '),
                (b'%', Some(b)) => {
                    out.push(b);
                    i += 2;
                }
                (b, _) => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

async fn list(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(resource): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let delay = shared.lock().expect("state").behaviour.delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = parse_query(query.as_deref().unwrap_or(""));
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok());
    let continue_token = query.get("continue").cloned();

    let mut s = shared.lock().expect("state");
    let answer = answer(
        &mut s,
        &resource,
        limit,
        continue_token.as_deref(),
        accept.as_deref(),
        authorization.as_deref(),
    );
    s.recorded.push(Recorded {
        resource,
        limit,
        continue_token,
        accept,
        status: answer.status().as_u16(),
    });
    answer
}

fn answer(
    s: &mut Shared,
    resource: &str,
    limit: Option<usize>,
    continue_token: Option<&str>,
    accept: Option<&str>,
    authorization: Option<&str>,
) -> Response {
    if let Some(expected) = &s.behaviour.token
        && authorization != Some(format!("Bearer {expected}").as_str())
    {
        return status(401, "Unauthorized", "Unauthorized", None);
    }
    if s.behaviour.forbidden.contains(&resource) {
        return status(
            403,
            "Forbidden",
            &format!(
                "{resource} is forbidden: User \"system:serviceaccount:platform:auditor\" \
                 cannot list resource \"{resource}\" in API group \"\" at the cluster scope"
            ),
            Some(json!({"kind": resource})),
        );
    }
    let Some(items) = s.store.items(resource) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            None,
        );
    };
    let (start, snapshot) = match continue_token {
        None => (0, s.store.resource_version),
        Some(t) => match parse_token(t) {
            Some((rv, _)) if rv != s.store.resource_version => {
                return status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list \
                     result. You can start a new list without the continue parameter, or use \
                     the continue token in this response to retrieve the remainder of the \
                     results. Continuing with the provided token results in an inconsistent \
                     list - objects that were created, modified, or deleted between the time \
                     the first chunk was returned and now may show up in the list.",
                    None,
                );
            }
            Some((rv, start)) => (start, rv),
            None => {
                return status(
                    400,
                    "BadRequest",
                    "continue key is not valid: illegal base64",
                    None,
                );
            }
        },
    };
    let total = items.len();
    let end = match limit {
        Some(l) if l > 0 => (start + l).min(total),
        _ => total,
    };
    let metadata_only = accept.is_some_and(|a| a.contains("as=PartialObjectMetadataList"));
    let mut body = String::with_capacity(
        64 + items[start.min(total)..end]
            .iter()
            .map(|i| i.whole.len() + 1)
            .sum::<usize>(),
    );
    let (kind, api_version) = match (metadata_only, resource) {
        (true, _) => ("PartialObjectMetadataList", "meta.k8s.io/v1"),
        (false, "namespaces") => ("NamespaceList", "v1"),
        (false, _) => ("ServiceList", "v1"),
    };
    let mut list_meta = json!({"resourceVersion": snapshot.to_string()});
    if end < total {
        list_meta["continue"] = json!(token(snapshot, end));
        list_meta["remainingItemCount"] = json!(total - end);
    }
    body.push_str(&format!(
        "{{\"kind\":\"{kind}\",\"apiVersion\":\"{api_version}\",\"metadata\":{list_meta},\"items\":["
    ));
    for (i, item) in items[start.min(total)..end].iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(if metadata_only {
            &item.metadata
        } else {
            &item.whole
        });
    }
    body.push_str("]}");

    // The store moves on after the first page of a list, as a busy cluster's does.
    let budget = s.behaviour.churn.get(resource).copied().unwrap_or(0);
    let churned = s.churned.get(resource).copied().unwrap_or(0);
    if continue_token.is_none() && end < total && churned < budget {
        s.churned.insert(resource.to_owned(), churned + 1);
        let n = churned + 1;
        let added = match resource {
            "namespaces" => json!({"metadata": {"name": format!("churn-{n}"),
                "resourceVersion": (s.store.resource_version + 1).to_string()}}),
            _ => json!({"metadata": {"name": format!("churn-{n}"), "namespace": "default",
                "resourceVersion": (s.store.resource_version + 1).to_string()},
                "spec": {"type": "ClusterIP"}}),
        };
        let item = Item::new(&added);
        match resource {
            "namespaces" => s.store.namespaces.push(item),
            _ => s.store.services.push(item),
        }
        s.store.resource_version += 1;
    }
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A kubeconfig for `server`, with a bearer `token`, as one context named `name`.
pub fn kubeconfig(server: &str, name: &str, token: &str) -> String {
    kubeconfig_with(&[(name, server, token)], name)
}

/// A kubeconfig with several contexts (`name`, `server`, `token`) and `current` as its
/// current context.
pub fn kubeconfig_with(contexts: &[(&str, &str, &str)], current: &str) -> String {
    let mut clusters = String::new();
    let mut users = String::new();
    let mut ctxs = String::new();
    for (name, server, token) in contexts {
        clusters.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: {server}\n"
        ));
        users.push_str(&format!(
            "- name: {name}-user\n  user:\n    token: {token}\n"
        ));
        ctxs.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-user\n"
        ));
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}current-context: {current}\n"
    )
}

/// A kubeconfig for an https `server` whose certificate `ca_pem` signed.
pub fn kubeconfig_tls(server: &str, token: &str, ca_pem: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: tls\n  cluster:\n    server: {server}\n    \
         certificate-authority-data: {ca}\nusers:\n- name: tls-user\n  user:\n    token: {token}\n\
         contexts:\n- name: tls\n  context:\n    cluster: tls\n    user: tls-user\n\
         current-context: tls\n"
    )
}

/// A Namespace as kube-apiserver returns it (with the metadata it adds).
pub fn namespace(name: &str, labels: Value, annotations: Value) -> Value {
    json!({
        "metadata": {
            "name": name,
            "uid": format!("uid-ns-{name}"),
            "resourceVersion": "100",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": merge(json!({"kubernetes.io/metadata.name": name}), labels),
            "annotations": annotations,
            "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"}
    })
}

/// A Service as kube-apiserver returns it.
pub fn service(
    namespace: &str,
    name: &str,
    type_: &str,
    labels: Value,
    annotations: Value,
) -> Value {
    json!({
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": format!("uid-svc-{namespace}-{name}"),
            "resourceVersion": "200",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": labels,
            "annotations": annotations,
            "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:ports": {}, "f:selector": {}, "f:type": {}}}}]
        },
        "spec": {
            "type": type_,
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app": name},
            "sessionAffinity": "None",
            "internalTrafficPolicy": "Cluster"
        },
        "status": {"loadBalancer": {}}
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}
