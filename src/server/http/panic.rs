//! A handler that panics answers 500 for its request alone: the connection and the requests
//! sharing it carry on. tower-http's catch-panic layer catches the panic (while the router's
//! future is built or run); [`PanicAnswer`] counts it under the request's endpoint, logs it
//! and writes the answer. The layer wraps the router once per request, with the endpoint read
//! from the path before the request moves into the router (tower-http's answer to a panic
//! does not see the request).

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use tower::Layer as _;
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, ResponseForPanic};

use super::super::admission::{Endpoint, Outcome};
use super::super::metrics::{Metrics, RequestLabels};

/// `router` behind the panic guard, for one request to `path`.
pub fn guarded(
    router: Router,
    path: &str,
    metrics: &Arc<Metrics>,
) -> CatchPanic<Router, PanicAnswer> {
    let endpoint = match path {
        "/validate" => Some(Endpoint::Validate),
        "/mutate" => Some(Endpoint::Mutate),
        _ => None,
    };
    CatchPanicLayer::custom(PanicAnswer {
        endpoint,
        metrics: metrics.clone(),
    })
    .layer(router)
}

/// What a caught panic is answered with, for a request to `endpoint` (`None`: another path).
#[derive(Clone)]
pub struct PanicAnswer {
    endpoint: Option<Endpoint>,
    metrics: Arc<Metrics>,
}

impl ResponseForPanic for PanicAnswer {
    type ResponseBody = Body;

    fn response_for_panic(
        &mut self,
        panic: Box<dyn Any + Send + 'static>,
    ) -> axum::http::Response<Body> {
        self.metrics.handler_panics.inc();
        if let Some(endpoint) = self.endpoint {
            self.metrics
                .requests
                .get_or_create(&RequestLabels {
                    endpoint: endpoint.as_str(),
                    kind: "unknown",
                    operation: "unknown",
                    outcome: Outcome::Error.as_str(),
                })
                .inc();
        }
        tracing::error!(
            endpoint = self.endpoint.map_or("other", Endpoint::as_str),
            panic = panic_message(panic.as_ref()),
            "request handler panicked; answered 500"
        );
        super::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: the handler failed; see the webhook's log\n",
        )
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)")
}
