//! The probe port (plain HTTP): `GET /healthz` (the process is up), `GET /readyz` (200 while
//! serving, 503 from the moment shutdown starts, so endpoints drop the pod before it stops
//! accepting; with `--cluster-lookups`, also 503 until the cluster cache's first sync, but
//! never longer than `--cluster-sync-timeout`, so an unreachable API server cannot keep the
//! webhook out of service), and `GET /metrics` (OpenMetrics text).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::Service as _;

use super::metrics::{self, Metrics};
use super::shutdown::ShutdownSignal;
use super::slots::{Slots, Watched};
use crate::cluster::ClusterCache;

/// The cluster cache readiness waits for, and until when.
#[derive(Clone)]
pub struct SyncGate {
    pub cache: Arc<ClusterCache>,
    pub deadline: Instant,
}

#[derive(Clone)]
struct Probes {
    metrics: Arc<Metrics>,
    shutdown: ShutdownSignal,
    sync: Option<SyncGate>,
}

pub fn router(metrics: Arc<Metrics>, shutdown: ShutdownSignal, sync: Option<SyncGate>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(Probes {
            metrics,
            shutdown,
            sync,
        })
}

/// Probe connections open at once. Past it, the oldest connection not serving a request is
/// closed to make room ([`Slots`]), so idle sockets on the port (a flood from any pod that
/// reaches it) cannot keep kubelet's probes waiting: kubelet opens a connection per probe and
/// sends its request at once, and Prometheus one per scrape. Also keeps such a flood from
/// taking the file descriptors the webhook port needs.
pub const MAX_CONNECTIONS: usize = 64;
/// A probe connection's read (and write) buffer: the longest request head it takes.
pub const MAX_BUFFER: usize = 16 * 1024;
/// How long a new probe connection is safe from being closed to make room: kubelet's request
/// comes with the connection.
const MIN_AGE: Duration = Duration::from_millis(20);
/// A probe request's headers must arrive within this; hyper's timer also runs while a
/// keep-alive connection is idle, so idle probe connections close after it too.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// A probe connection is asked to close after this long (the request in flight finishes).
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// Serves the probes until the task is aborted (after the webhook has drained).
pub async fn serve(listener: TcpListener, router: Router) {
    let slots = Slots::new(MAX_CONNECTIONS, MIN_AGE);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // A probe's or a scrape's request head is a few hundred bytes; hyper's default read
        // buffer grows to 400 KiB, 25 MiB over the connections a flood may hold.
        .max_buf_size(MAX_BUFFER)
        .keep_alive(true);
    let builder = Arc::new(builder);
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors, most likely: wait instead of spinning.
                tracing::warn!(error = %e, "probe accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut slot = slots.take(|| {}).await;
        let activity = slot.activity();
        // Busy until it has been read: a request may be waiting in the socket while the server
        // is behind, and that is not the client idling.
        activity.busy();
        let served = activity.clone();
        let router = router.clone();
        // Busy while a request is served: such a connection is never the one closed.
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            served.busy();
            let mut router = router.clone();
            async move { router.call(request).await }
        });
        let builder = builder.clone();
        tokio::spawn(async move {
            let tcp = Watched::new(tcp, activity.clone());
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(connection);
            tokio::select! {
                // The connection first: what arrived before the order to give way is served.
                biased;
                _ = connection.as_mut() => {}
                _ = &mut slot.evicted => {
                    if activity.is_busy() {
                        connection.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(HEADER_READ_TIMEOUT, connection).await;
                    }
                }
                () = tokio::time::sleep(MAX_CONNECTION_AGE) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(HEADER_READ_TIMEOUT, connection).await;
                }
            }
            drop(slot);
        });
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(probes): State<Probes>) -> Response {
    if probes.shutdown.is_started() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match &probes.sync {
        Some(gate) if !gate.cache.has_listed() && Instant::now() < gate.deadline => (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the cluster cache's first sync\n",
        )
            .into_response(),
        Some(gate) if !gate.cache.is_synced() => (
            StatusCode::OK,
            "ok (cluster cache not synced: cluster lookups are skipped)\n",
        )
            .into_response(),
        _ => (StatusCode::OK, "ok\n").into_response(),
    }
}

async fn metrics_text(State(probes): State<Probes>) -> Response {
    if let Some(gate) = &probes.sync {
        probes.metrics.observe_cluster(&gate.cache);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        probes.metrics.encode(),
    )
        .into_response()
}
