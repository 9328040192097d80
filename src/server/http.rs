//! The webhook's HTTP layer: routes, the body limit, the per-request deadline, the request log
//! line and metrics, and the guard that turns a handler panic into a 500.
//!
//! `POST /validate` and `POST /mutate`; any other path is 404 and any other method 405, each
//! with a one-line reason. The body is read under three limits: `--max-body-bytes` (413, also
//! checked against `Content-Length` before reading), a deadline, the smaller of
//! `--request-timeout` and the `?timeout=` kube-apiserver appends (408), and a budget for
//! the large bodies held at once across all requests ([`BodyBudget`]; past it, 503 at once).

use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::FutureExt as _;
use http_body_util::BodyExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service as _;

use super::admission::{self, Answer, Endpoint};
use super::duration;
use super::metrics::{EndpointLabels, Metrics, RequestLabels, RuleLabels};
use crate::cluster::ClusterCache;
use crate::rules::{ClusterView, Config, Level, RuleId};

/// What every request handler shares.
pub struct App {
    pub config: Config,
    /// Cluster facts for the rules that need them; `NoCluster` until a cache is plugged in.
    pub cluster: Arc<dyn ClusterView + Send + Sync>,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    /// The large request bodies held at once, across requests.
    pub body_budget: BodyBudget,
    /// Upper bound on reading a request; kube-apiserver's `?timeout=` can only shorten it.
    pub request_timeout: Duration,
    /// The cluster cache behind `cluster`, when `--cluster-lookups` is on: requests say in
    /// their log line and a metric when its lookups were skipped (cache not synced).
    pub lookups: Option<Arc<ClusterCache>>,
}

/// The bytes of large request bodies held in memory at once, across all requests.
/// `--max-body-bytes` bounds one request; this bounds the sum, so many large bodies at once (a
/// client anywhere in the cluster can reach the port) cannot grow the process past the pod's
/// memory limit. Two bodies at the limit fit at once (16 MiB at the default 8 MiB).
///
/// Real reviews are a few KiB, and they never touch it: a body is counted only once more than
/// [`BodyBudget::UNBUDGETED_BYTES`] of it has arrived, and then with the bytes that have
/// arrived (never a declared length, which an idle client could claim without sending). A
/// large body that does not fit is answered 503 at once rather than queued, so no request
/// waits on another and none can hold the others up.
#[derive(Clone)]
pub struct BodyBudget(Arc<Semaphore>);

impl BodyBudget {
    /// Bodies held at once at the largest size allowed.
    pub const LARGEST_BODIES: usize = 2;
    /// What a body may hold before it counts: far above any real review.
    pub const UNBUDGETED_BYTES: usize = 64 * 1024;

    pub fn for_limit(max_body_bytes: usize) -> Self {
        let bytes = max_body_bytes
            .saturating_mul(Self::LARGEST_BODIES)
            .min(Semaphore::MAX_PERMITS);
        BodyBudget(Arc::new(Semaphore::new(bytes)))
    }

    /// Reserves `bytes` more for the request holding `held`, if they fit now.
    fn try_reserve(&self, bytes: usize, held: &mut Option<OwnedSemaphorePermit>) -> bool {
        let Ok(bytes) = u32::try_from(bytes) else {
            return false;
        };
        match self.0.clone().try_acquire_many_owned(bytes) {
            Ok(permit) => {
                match held {
                    Some(h) => h.merge(permit),
                    None => *held = Some(permit),
                }
                true
            }
            Err(_) => false,
        }
    }
}

/// A request body and its share of the [`BodyBudget`], released when this is dropped.
pub struct HeldBody {
    pub bytes: Bytes,
    _reserved: Option<OwnedSemaphorePermit>,
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

/// Held by a request while it counts as in flight for its connection's watchdog (set by the
/// listener); a refused body read after the answer keeps a clone, so its bytes are not taken
/// for the head of a next request.
#[derive(Clone)]
pub struct InFlightToken(pub Arc<dyn Send + Sync>);

/// A 404 or 405, after reading what the client sent with it: an unread body made hyper close
/// the keep-alive connection without a word, so the next request on it failed (a review found
/// 3 to 18 of 20 failing). A body declared too large, or one the client waits to be invited to
/// send (`Expect: 100-continue`), is not read, nor one too slow to read: an HTTP/1.1 answer
/// then says `Connection: close`.
async fn refuse(request: Request, status: StatusCode, body: &'static str) -> Response {
    let version = request.version();
    let readable = declared_length(request.headers()).is_none_or(|n| n <= DRAIN_BYTES as u64)
        && !expects_continue(request.headers());
    let read = readable && drain(request.into_body(), DRAIN_BYTES, DRAIN_TIME).await;
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

fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

fn expects_continue(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// What [`refuse`] reads of a body it does not need.
const DRAIN_BYTES: usize = BodyBudget::UNBUDGETED_BYTES;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// How much of a body refused as too large is still read (and dropped) after the 413 is
/// sent, as a multiple of the limit: see [`linger`].
const LINGER_LIMITS: usize = 4;

/// Reads and drops the rest of `body`, up to `bytes` and `time`. Whether it ended within them.
async fn drain(mut body: Body, bytes: usize, time: Duration) -> bool {
    let read = async {
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                seen = seen.saturating_add(data.len());
                if seen > bytes {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(time, read).await.unwrap_or(false)
}

/// The rest of a body refused as too large, read and dropped after the 413 is sent (up to
/// [`LINGER_LIMITS`] times the limit, within what is left of the request's deadline), as
/// nginx's lingering close does: a client that sends the whole body before reading the answer
/// (Go's, so kube-apiserver's, sends no `Expect: 100-continue`) got a reset connection instead
/// of the 413, over HTTP/2 a reset stream. The request stays in flight meanwhile (`token`).
/// Past the bound the connection is closed.
fn linger(body: Body, limit: usize, left: Duration, token: Option<InFlightToken>) {
    tokio::spawn(async move {
        drain(body, limit.saturating_mul(LINGER_LIMITS), left).await;
        drop(token);
    });
}

/// A refused request's answer, and whether its connection closes after it (the body is not
/// read: declared beyond what [`linger`] reads, or not yet invited with `100 Continue`).
struct Refused {
    answer: Answer,
    close: bool,
}

impl From<Answer> for Refused {
    fn from(answer: Answer) -> Self {
        Refused {
            answer,
            close: false,
        }
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

async fn handle(app: &App, endpoint: Endpoint, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // The body's budget share is held until the answer is made (parsing it takes memory too).
    let (answer, close) = match read_body(app, &parts, body).await {
        Ok(held) => (
            admission::answer(endpoint, &held.bytes, &app.config, app.cluster.as_ref()),
            false,
        ),
        Err(refused) => (refused.answer, refused.close),
    };
    let elapsed = started.elapsed();
    let lookups = match &app.lookups {
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

async fn read_body(
    app: &App,
    parts: &axum::http::request::Parts,
    mut body: Body,
) -> Result<HeldBody, Refused> {
    let started = Instant::now();
    let limit = app.max_body_bytes;
    let too_large = |size: &dyn fmt::Display| {
        Answer::bad_request(
            413,
            format!(
                "request body of {size} bytes is over the limit of {limit} bytes (--max-body-bytes)"
            ),
        )
    };
    let declared = declared_length(&parts.headers);
    let deadline = deadline(parts.uri.query(), app.request_timeout);
    let token = || parts.extensions.get::<InFlightToken>().cloned();
    // The rest of a body refused part-way, read in what is left of the deadline.
    let linger_rest = |body| {
        linger(
            body,
            limit,
            deadline.saturating_sub(started.elapsed()),
            token(),
        )
    };
    if let Some(length) = declared.filter(|&length| length > limit as u64) {
        // Read the rest only if it is coming and will fit what `linger` reads.
        let lingers = length <= limit.saturating_mul(LINGER_LIMITS) as u64
            && !expects_continue(&parts.headers);
        if lingers {
            linger(body, limit, deadline, token());
        }
        return Err(Refused {
            answer: too_large(&length),
            close: !lingers,
        });
    }
    let read = collect(&mut body, limit, &app.body_budget);
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(held)) => Ok(held),
        Ok(Err(BodyError::TooLarge)) => {
            linger_rest(body);
            Err(too_large(&format!("more than {limit}")).into())
        }
        Ok(Err(BodyError::Read(e))) => {
            Err(Answer::bad_request(400, format!("reading the request body: {e}")).into())
        }
        Ok(Err(BodyError::Busy)) => {
            // Read on and dropped like a body over the limit, so the sender sees the 503.
            linger_rest(body);
            Err(busy(limit))
        }
        Err(_) => Err(Answer::bad_request(
            408,
            format!("request body not received within {deadline:?}"),
        )
        .into()),
    }
}

/// The 503 for a large body that does not fit the budget now.
fn busy(limit: usize) -> Refused {
    Answer::bad_request(
        503,
        format!(
            "too many large request bodies at once: at most {} bytes of bodies over {} \
             bytes are held at once; retry",
            limit.saturating_mul(BodyBudget::LARGEST_BODIES),
            BodyBudget::UNBUDGETED_BYTES
        ),
    )
    .into()
}

enum BodyError {
    TooLarge,
    Read(axum::Error),
    /// A large body that does not fit in the budget now.
    Busy,
}

/// Reads the body frame by frame; past [`BodyBudget::UNBUDGETED_BYTES`], every byte kept is
/// first reserved in the budget, or the request is refused (503) at once. A body of one frame
/// (the common case) is kept as it came, without a copy.
async fn collect(
    body: &mut Body,
    limit: usize,
    budget: &BodyBudget,
) -> Result<HeldBody, BodyError> {
    let mut reserved = None;
    let mut reserved_bytes = 0usize;
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(BodyError::Read)?.into_data() else {
            continue; // trailers
        };
        let kept = first.as_ref().map_or(0, Bytes::len) + rest.len() + data.len();
        if kept > limit {
            return Err(BodyError::TooLarge);
        }
        if kept > BodyBudget::UNBUDGETED_BYTES {
            if !budget.try_reserve(kept - reserved_bytes, &mut reserved) {
                return Err(BodyError::Busy);
            }
            reserved_bytes = kept;
        }
        match &first {
            None if rest.is_empty() => first = Some(data),
            _ => {
                if let Some(f) = first.take() {
                    rest.reserve(kept);
                    rest.extend_from_slice(&f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    Ok(HeldBody {
        bytes: first.unwrap_or_else(|| Bytes::from(rest)),
        _reserved: reserved,
    })
}

/// The smaller of the configured bound and kube-apiserver's `?timeout=10s`.
fn deadline(query: Option<&str>, bound: Duration) -> Duration {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="))
        .and_then(|v| duration::parse(v).ok())
        .map_or(bound, |asked| asked.min(bound))
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

/// Calls the router, turning a panic (while building or running the handler's future) into a
/// 500 for this request alone: the connection and the requests sharing it carry on.
pub async fn call_guarded<B>(
    mut router: Router,
    request: axum::http::Request<B>,
    metrics: &Metrics,
) -> Response
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    // Classified before the call (no allocation): the request is moved into the router.
    let endpoint = match request.uri().path() {
        "/validate" => Some(Endpoint::Validate),
        "/mutate" => Some(Endpoint::Mutate),
        _ => None,
    };
    let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| router.call(request))) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    match outcome {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(panic) => {
            metrics.handler_panics.inc();
            if let Some(endpoint) = endpoint {
                metrics
                    .requests
                    .get_or_create(&RequestLabels {
                        endpoint: endpoint.as_str(),
                        kind: "unknown",
                        operation: "unknown",
                        outcome: admission::Outcome::Error.as_str(),
                    })
                    .inc();
            }
            tracing::error!(
                endpoint = endpoint.map_or("other", Endpoint::as_str),
                panic = panic_message(panic.as_ref()),
                "request handler panicked; answered 500"
            );
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: the handler failed; see the webhook's log\n",
            )
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::NoCluster;
    use axum::routing::get;

    #[test]
    fn deadline_takes_the_smaller_bound() {
        let bound = Duration::from_secs(10);
        assert_eq!(deadline(None, bound), bound);
        assert_eq!(deadline(Some("timeout=3s"), bound), Duration::from_secs(3));
        assert_eq!(deadline(Some("x=1&timeout=30s"), bound), bound);
        assert_eq!(deadline(Some("timeout=garbage"), bound), bound);
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_not_a_crash() {
        let metrics = Metrics::new();
        let router: Router = Router::new().route(
            "/validate",
            get(|| async {
                if true {
                    panic!("boom");
                }
                "unreachable"
            }),
        );
        let request = axum::http::Request::get("/validate")
            .body(Body::empty())
            .unwrap();
        let response = call_guarded(router.clone(), request, &metrics).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(metrics.handler_panics.get(), 1);
        // The same router still answers.
        let request = axum::http::Request::get("/nothing")
            .body(Body::empty())
            .unwrap();
        let response = call_guarded(router, request, &metrics).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    fn app(max_body_bytes: usize) -> Router {
        app_with(max_body_bytes, BodyBudget::for_limit(max_body_bytes))
    }

    fn app_with(max_body_bytes: usize, body_budget: BodyBudget) -> Router {
        router(Arc::new(App {
            config: Config::default(),
            cluster: Arc::new(NoCluster),
            metrics: Arc::new(Metrics::new()),
            max_body_bytes,
            body_budget,
            request_timeout: Duration::from_secs(5),
            lookups: None,
        }))
    }

    async fn send(router: Router, method: &str, path: &str, body: Vec<u8>) -> (StatusCode, String) {
        send_body(router, method, path, Body::from(body)).await
    }

    async fn send_body(
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
        let response = call_guarded(router, request, &Metrics::new()).await;
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

    fn chunked(chunks: &[&'static [u8]]) -> Body {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    }

    /// A body in several frames and without a length is read whole, and cut at the limit
    /// counted over all its frames.
    #[tokio::test]
    async fn bodies_in_frames_are_joined_and_limited() {
        let review = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/review-namespace-denied.json"
        ))
        .unwrap();
        let review: &'static [u8] = review.leak();
        let (a, b) = review.split_at(review.len() / 3);
        let (b, c) = b.split_at(b.len() / 2);
        let (status, body) =
            send_body(app(1 << 20), "POST", "/validate", chunked(&[a, b, c])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"allowed\":false"), "{body}");
        let (status, body) = send_body(
            app(16),
            "POST",
            "/validate",
            chunked(&[b"0123456789", b"0123456789"]),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    }

    /// A declared length reserves nothing: a client that claims 1 MiB and sends nothing holds
    /// no budget while it waits (four such connections had held it all, a review found).
    #[tokio::test]
    async fn a_declared_length_alone_holds_no_budget() {
        let limit = 1 << 20;
        let budget = BodyBudget::for_limit(limit);
        let everything = budget.0.available_permits();
        let router = app_with(limit, budget.clone());
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/validate")
            .header(header::CONTENT_LENGTH, limit.to_string())
            .body(Body::from_stream(futures_util::stream::pending::<
                Result<Bytes, std::io::Error>,
            >()))
            .unwrap();
        let waiting =
            tokio::spawn(async move { call_guarded(router, request, &Metrics::new()).await });
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());
        assert_eq!(budget.0.available_permits(), everything);
        waiting.abort();
    }

    /// Reviews of real size never touch the budget: with it spent (four idle clients may
    /// claim 8 MiB each, but they hold nothing until their bytes arrive), a 4 KiB review is
    /// answered at once, and a large body that does not fit is refused with a 503 at once,
    /// never queued. A body's share comes back with its answer.
    #[tokio::test]
    async fn the_body_budget_refuses_large_bodies_at_once_and_never_small_ones() {
        let limit = 1 << 20;
        let budget = BodyBudget::for_limit(limit);
        let everything = budget.0.available_permits();
        assert_eq!(everything, limit * BodyBudget::LARGEST_BODIES);
        let large = vec![b'{'; BodyBudget::UNBUDGETED_BYTES + 1];

        let (status, _) = send(
            app_with(limit, budget.clone()),
            "POST",
            "/validate",
            large.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            budget.0.available_permits(),
            everything,
            "share not given back"
        );

        let held = budget
            .0
            .clone()
            .acquire_many_owned(everything as u32)
            .await
            .unwrap();
        let review = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/review-namespace-denied.json"
        ))
        .unwrap();
        let (status, body) =
            send(app_with(limit, budget.clone()), "POST", "/validate", review).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = send(
            app_with(limit, budget.clone()),
            "POST",
            "/validate",
            large.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            body.contains("too many large request bodies at once"),
            "{body}"
        );
        drop(held);
        assert_eq!(budget.0.available_permits(), everything);
        let (status, _) = send(app_with(limit, budget.clone()), "POST", "/validate", large).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
