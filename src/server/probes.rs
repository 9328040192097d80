//! The probe port (plain HTTP): `GET /healthz` (the process is up), `GET /readyz` (200 while
//! serving, 503 from the moment shutdown starts, so endpoints drop the pod before it stops
//! accepting), and `GET /metrics` (OpenMetrics text).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::metrics::{self, Metrics};
use super::shutdown::ShutdownSignal;

#[derive(Clone)]
struct Probes {
    metrics: Arc<Metrics>,
    shutdown: ShutdownSignal,
}

pub fn router(metrics: Arc<Metrics>, shutdown: ShutdownSignal) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(Probes { metrics, shutdown })
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
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics_text(State(probes): State<Probes>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        probes.metrics.encode(),
    )
        .into_response()
}
