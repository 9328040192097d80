//! The probe port (plain HTTP): `GET /healthz` (the process is up), `GET /readyz` (200 while
//! serving, 503 from the moment shutdown starts, so endpoints drop the pod before it stops
//! accepting; with `--cluster-lookups`, also 503 until the cluster cache's first sync, but
//! never longer than `--cluster-sync-timeout`, so an unreachable API server cannot keep the
//! webhook out of service), and `GET /metrics` (OpenMetrics text).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

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

/// Serves the probes until the task is aborted (after the webhook has drained).
pub async fn serve(listener: TcpListener, router: Router) {
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "probe server stopped");
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
