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
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::metrics::{self, Metrics};
use super::shutdown::ShutdownSignal;
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

/// Probe connections open at once; more wait in the accept queue. Kubelet opens one per probe
/// and Prometheus one per scrape target, so this is far above real use, and clients that open
/// connections and stall cannot take the process's file descriptors from the webhook port.
pub const MAX_CONNECTIONS: usize = 64;
/// A probe request's headers must arrive within this; hyper's timer also runs while a
/// keep-alive connection is idle, so idle probe connections close after it too.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A probe connection is asked to close after this long (the request in flight finishes).
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// Serves the probes until the task is aborted (after the webhook has drained).
pub async fn serve(listener: TcpListener, router: Router) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let builder = Arc::new(builder);
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors, most likely: wait instead of spinning.
                tracing::warn!(error = %e, "probe accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let builder = builder.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = tokio::time::sleep(MAX_CONNECTION_AGE) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(HEADER_READ_TIMEOUT, connection).await;
                }
            }
            drop(permit);
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
