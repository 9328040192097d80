//! The webhook's HTTP layer: routes, the request log line and metrics. The body is read under
//! its limits ([`BodyLimits`], in `body.rs`); a handler panic is a 500 for its request alone
//! ([`guarded`], in `panic.rs`).
//!
//! `POST /validate` and `POST /mutate`; any other path is 404 and any other method 405, each
//! with a one-line reason.

mod body;
mod panic;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use body::{BodyBudget, BodyLimits, ConnectionShare, HeldBody, InFlightToken};
pub use panic::guarded;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::admission::{self, Answer, Endpoint};
use super::log::RateLimit;
use super::metrics::{EndpointLabels, Metrics, RequestLabels, RuleLabels};
use crate::cluster::ClusterCache;
use crate::rules::{ClusterView, Level, NoCluster, RuleId};

/// What every request handler shares.
pub struct App {
    /// Loaded once per request: a reload of `--config` takes effect at the next one.
    pub config: super::config_reload::SharedConfig,
    /// The cluster cache the rules that need cluster facts ask, with `--cluster-lookups`;
    /// without it they are skipped. Requests say in their log line and a metric when its
    /// lookups were skipped (cache not synced).
    pub cluster: Option<Arc<ClusterCache>>,
    pub metrics: Arc<Metrics>,
    pub body: BodyLimits,
}

/// Whether a request's cluster lookups could be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookups {
    Off,
    Used,
    Skipped,
}

impl Lookups {
    fn as_str(self) -> &'static str {
        match self {
            Lookups::Off => "off",
            Lookups::Used => "used",
            Lookups::Skipped => "skipped",
        }
    }
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

async fn validate(State(app): State<Arc<App>>, request: Request) -> Response {
    handle(&app, Endpoint::Validate, request).await
}

async fn mutate(State(app): State<Arc<App>>, request: Request) -> Response {
    handle(&app, Endpoint::Mutate, request).await
}

async fn not_found(request: Request) -> Response {
    refuse(
        request,
        StatusCode::NOT_FOUND,
        "not found: the webhook serves POST /validate and POST /mutate\n",
    )
    .await
}

async fn method_not_allowed(request: Request) -> Response {
    refuse(
        request,
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: use POST with an AdmissionReview body\n",
    )
    .await
}

/// Refused requests (404, 405) logged: at most this many lines a second, the first after a
/// flood saying how many were left out. kube-apiserver only calls the paths of its webhook
/// configurations, so these are a stranger, or a configuration with a wrong path (which fails
/// every call).
static REFUSED: RateLimit = RateLimit::new(10, Duration::from_secs(1));

/// A 404 or 405, after reading what the client sent with it ([`body::discard`]); a body it
/// could not read makes an HTTP/1.1 answer say `Connection: close`.
async fn refuse(request: Request, status: StatusCode, body: &'static str) -> Response {
    if let Some(others) = REFUSED.allow() {
        tracing::warn!(
            status = status.as_u16(),
            method = request.method().as_str(),
            path = request.uri().path(),
            others_since_last_line = others,
            "request refused (the webhook serves POST /validate and POST /mutate; at most 10 \
             lines a second)"
        );
    }
    let version = request.version();
    let read = body::discard(request).await;
    let mut response = text(status, body);
    if !read {
        close_after(&mut response, version);
    }
    response
}

/// Says `Connection: close` on an HTTP/1.x answer (HTTP/2 has no such header).
fn close_after(response: &mut Response, version: axum::http::Version) {
    if version <= axum::http::Version::HTTP_11 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// What the rules ask for cluster facts: the cache, or nothing (every lookup `Unknown`).
fn cluster_view(app: &App) -> &dyn ClusterView {
    match &app.cluster {
        Some(cache) => cache.as_ref(),
        None => &NoCluster,
    }
}

async fn handle(app: &App, endpoint: Endpoint, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // The body's budget share is held until the answer is made (parsing it takes memory too).
    let (answer, close) = match body::read_body(&app.body, &parts, body).await {
        Ok(held) => (
            admission::answer(endpoint, &held.bytes, &app.config.load(), cluster_view(app)),
            false,
        ),
        Err(refused) => (refused.answer, refused.close),
    };
    let elapsed = started.elapsed();
    let lookups = match &app.cluster {
        None => Lookups::Off,
        Some(cache) if cache.is_synced() => Lookups::Used,
        Some(_) => {
            app.metrics.cluster_lookups_skipped.inc();
            Lookups::Skipped
        }
    };
    record(&app.metrics, endpoint, &answer, elapsed);
    log(endpoint, &answer, elapsed, lookups);
    let mut response = respond(answer);
    if close {
        close_after(&mut response, parts.version);
    }
    response
}

fn respond(answer: Answer) -> Response {
    let content_type = if answer.is_json() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let status =
        StatusCode::from_u16(answer.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn record(metrics: &Metrics, endpoint: Endpoint, answer: &Answer, elapsed: Duration) {
    let (kind, operation) = answer.facts.as_ref().map_or(("unknown", "unknown"), |f| {
        (f.kind_label(), f.operation_label())
    });
    metrics
        .requests
        .get_or_create(&RequestLabels {
            endpoint: endpoint.as_str(),
            kind,
            operation,
            outcome: answer.outcome.as_str(),
        })
        .inc();
    metrics
        .request_duration
        .get_or_create(&EndpointLabels {
            endpoint: endpoint.as_str(),
        })
        .observe(elapsed.as_secs_f64());
    for (rule, level) in &answer.rules {
        metrics
            .rule_hits
            .get_or_create(&RuleLabels {
                rule: rule.as_str(),
                level: level_label(*level),
            })
            .inc();
    }
}

fn level_label(level: Level) -> &'static str {
    match level {
        Level::Deny => "deny",
        Level::Warn => "warn",
    }
}

/// `EW001,EW005`, written straight into the log line.
struct RuleList<'a>(&'a [(RuleId, Level)]);

impl fmt::Display for RuleList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (rule, _)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(rule.as_str())?;
        }
        Ok(())
    }
}

/// One line per request: who asked what, and what was decided. Never the object.
fn log(endpoint: Endpoint, answer: &Answer, elapsed: Duration, lookups: Lookups) {
    let duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    match &answer.facts {
        Some(f) => tracing::info!(
            endpoint = endpoint.as_str(),
            uid = f.uid.as_str(),
            kind = f.kind_name.as_str(),
            namespace = f.namespace.as_deref().unwrap_or(""),
            name = f.name.as_str(),
            operation = f.operation_label(),
            sub_resource = f.sub_resource.as_deref().unwrap_or(""),
            dry_run = f.dry_run,
            user = f.user.as_deref().unwrap_or(""),
            decision = answer.outcome.as_str(),
            rules = %RuleList(&answer.rules),
            cluster_lookups = lookups.as_str(),
            duration_us,
            "admission review"
        ),
        None => tracing::warn!(
            endpoint = endpoint.as_str(),
            status = answer.http_status,
            decision = answer.outcome.as_str(),
            // Redacted: a reason may quote values of the body (serde's "invalid type: string
            // ..."), which must not reach the log.
            error = %super::log::Redacted(answer.error.as_deref().unwrap_or("")),
            duration_us,
            "admission request refused"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    /// A handler that panics is a 500 for its request alone, counted under its endpoint (a
    /// path that is not one counts only as a panic); the same router answers the next
    /// requests.
    #[tokio::test]
    async fn a_panicking_handler_is_a_500_not_a_crash() {
        async fn boom() -> &'static str {
            if true {
                panic!("boom");
            }
            "unreachable"
        }
        let metrics = Arc::new(Metrics::new());
        let router: Router = Router::new()
            .route("/validate", post(boom))
            .route("/mutate", post(boom))
            .route("/elsewhere", post(boom))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed);
        let errors = |endpoint| {
            metrics
                .requests
                .get_or_create(&RequestLabels {
                    endpoint,
                    kind: "unknown",
                    operation: "unknown",
                    outcome: "error",
                })
                .get()
        };
        let paths = [
            ("/validate", 1),
            ("/mutate", 2),
            ("/validate", 3),
            ("/elsewhere", 4),
        ];
        for (path, panics) in paths {
            let request = axum::http::Request::post(path).body(Body::empty()).unwrap();
            let response = call_with(router.clone(), request, &metrics).await;
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/plain; charset=utf-8"
            );
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(
                &body[..],
                b"internal error: the handler failed; see the webhook's log\n"
            );
            assert_eq!(metrics.handler_panics.get(), panics);
        }
        assert_eq!((errors("validate"), errors("mutate")), (2, 1));
        assert_eq!(
            metrics
                .requests
                .get_or_create(&RequestLabels {
                    endpoint: "other",
                    kind: "unknown",
                    operation: "unknown",
                    outcome: "error",
                })
                .get(),
            0
        );
        for (method, path, status) in [
            ("GET", "/validate", StatusCode::METHOD_NOT_ALLOWED),
            ("POST", "/nothing", StatusCode::NOT_FOUND),
        ] {
            let request = axum::http::Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let response = call_with(router.clone(), request, &metrics).await;
            assert_eq!(response.status(), status);
        }
        assert_eq!(metrics.handler_panics.get(), 4);
    }

    pub(super) fn app(max_body_bytes: usize) -> Router {
        app_with(max_body_bytes, BodyBudget::for_limit(max_body_bytes))
    }

    pub(super) fn app_with(max_body_bytes: usize, budget: BodyBudget) -> Router {
        router(Arc::new(App {
            config: Default::default(),
            cluster: None,
            metrics: Arc::new(Metrics::new()),
            body: BodyLimits {
                max_bytes: max_body_bytes,
                budget,
                timeout: Duration::from_secs(5),
            },
        }))
    }

    pub(super) async fn send(
        router: Router,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        send_body(router, method, path, Body::from(body)).await
    }

    /// One request through the router, as the listener makes it.
    pub(super) async fn call(router: Router, request: axum::http::Request<Body>) -> Response {
        call_with(router, request, &Arc::new(Metrics::new())).await
    }

    async fn call_with(
        router: Router,
        request: axum::http::Request<Body>,
        metrics: &Arc<Metrics>,
    ) -> Response {
        use tower::Service as _;
        let mut service = guarded(router, request.uri().path(), metrics);
        match service.call(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        }
    }

    pub(super) async fn send_body(
        router: Router,
        method: &str,
        path: &str,
        body: Body,
    ) -> (StatusCode, String) {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(body)
            .unwrap();
        let response = call(router, request).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn wrong_path_method_and_size_have_their_codes() {
        let (status, body) = send(app(1024), "POST", "/nope", vec![]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = send(app(1024), "GET", "/validate", vec![]).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
        let (status, body) = send(app(16), "POST", "/validate", vec![b' '; 17]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert!(body.contains("--max-body-bytes"), "{body}");
        let (status, body) = send(app(1024), "POST", "/mutate?timeout=10s", b"{".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
}
