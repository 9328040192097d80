//! A handler that panics answers 500 for its request alone: the connection and the requests
//! sharing it carry on. tower-http's catch-panic layer catches the panic (while the handler's
//! future is built or run); [`PanicAnswer`] counts it under the route's endpoint, logs it and
//! writes the answer. The layer sits on each route rather than around the router, so the
//! endpoint is known without looking at the request.

use std::any::Any;
use std::sync::Arc;

use axum::body::Body;
use axum::http::StatusCode;
use tower_http::catch_panic::{CatchPanicLayer, ResponseForPanic};

use super::super::admission::{Endpoint, Outcome};
use super::super::metrics::{Metrics, RequestLabels};

/// The guard of the routes of `endpoint` (`None`: any other path).
pub(super) fn guard(
    endpoint: Option<Endpoint>,
    metrics: &Arc<Metrics>,
) -> CatchPanicLayer<PanicAnswer> {
    CatchPanicLayer::custom(PanicAnswer {
        endpoint,
        metrics: metrics.clone(),
    })
}

/// What a caught panic is answered with, for the routes of one endpoint.
#[derive(Clone)]
pub(super) struct PanicAnswer {
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
