//! Reading a request body under its limits: `--max-body-bytes` (413, also checked against
//! `Content-Length` before reading), a deadline, the smaller of `--request-timeout` and the
//! `?timeout=` kube-apiserver appends (408), and a budget for the large bodies held at once
//! across all requests ([`BodyBudget`]; past it, 503 at once). A body refused part-way is read
//! on and dropped ([`linger`]) so its sender gets the answer instead of a reset.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::super::admission::Answer;
use super::super::duration;

/// The limits a webhook request's body is read under.
pub struct BodyLimits {
    /// `--max-body-bytes`.
    pub max_bytes: usize,
    /// The large request bodies held at once, across requests.
    pub budget: BodyBudget,
    /// Upper bound on reading a request; kube-apiserver's `?timeout=` can only shorten it.
    pub timeout: Duration,
}

impl BodyLimits {
    pub fn new(max_bytes: usize, timeout: Duration) -> Self {
        BodyLimits {
            max_bytes,
            budget: BodyBudget::for_limit(max_bytes),
            timeout,
        }
    }
}

/// The bytes of request bodies held in memory at once past each connection's
/// [`ConnectionShare`], across all requests. `--max-body-bytes` bounds one request; this
/// bounds the sum, so many large bodies at once, or many HTTP/2 streams with bodies that never
/// finish (a client anywhere in the cluster can reach the port), cannot grow the process past
/// the pod's memory limit. Two bodies at the limit fit at once (16 MiB at the default 8 MiB).
///
/// Real reviews are a few KiB, and they never touch it: each connection's first
/// [`ConnectionShare::BYTES`] of bodies held at once are its own, and only bytes past them
/// count here, as they arrive (never a declared length, which an idle client could claim
/// without sending). A body that does not fit is answered 503 at once rather than queued, so
/// no request waits on another and none can hold the others up.
#[derive(Clone)]
pub struct BodyBudget(Arc<Semaphore>);

impl BodyBudget {
    /// Bodies held at once at the largest size allowed.
    pub const LARGEST_BODIES: usize = 2;

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

/// The body bytes one connection may hold at once outside the [`BodyBudget`], across its
/// requests: all of an HTTP/1.1 connection's one review, and what the streams of an HTTP/2
/// connection hold together (so 10 connections of 256 streams holding 60 KB each no longer
/// add up to 150 MB: past a connection's share, their bytes count in the budget).
pub struct ConnectionShare(AtomicUsize);

impl ConnectionShare {
    /// Far above any real review (a few KiB).
    pub const BYTES: usize = 64 * 1024;

    pub fn new() -> Self {
        ConnectionShare(AtomicUsize::new(Self::BYTES))
    }

    /// Takes `bytes` of the share, if that many are left.
    fn try_take(&self, bytes: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.0.fetch_add(bytes, Ordering::AcqRel);
    }
}

impl Default for ConnectionShare {
    fn default() -> Self {
        Self::new()
    }
}

/// Bytes taken from a connection's share, given back when dropped.
struct Taken {
    share: Arc<ConnectionShare>,
    bytes: usize,
}

impl Drop for Taken {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.share.give_back(self.bytes);
        }
    }
}

/// A request body and what it holds of its connection's share and of the [`BodyBudget`],
/// given back when this is dropped.
pub struct HeldBody {
    pub bytes: Bytes,
    _taken: Taken,
    _reserved: Option<OwnedSemaphorePermit>,
}

/// What the listener gives each request: held while the request counts as in flight for its
/// connection's watchdog (a refused body read after the answer keeps a clone, so its bytes are
/// not taken for the head of a next request), and the connection's [`ConnectionShare`].
#[derive(Clone)]
pub struct InFlightToken {
    pub in_flight: Arc<dyn Send + Sync>,
    pub share: Arc<ConnectionShare>,
}

/// Reads and drops the body of a request that is refused without reading it (404, 405):
/// left unread, it made hyper close the keep-alive connection without a word, so the next
/// request on it failed. A body declared too large, or one the client waits to be invited to
/// send (`Expect: 100-continue`), is not read, nor one too slow to read. Whether it was read
/// whole (if not, the connection should close after the answer).
pub(super) async fn discard(request: Request) -> bool {
    let readable = declared_length(request.headers()).is_none_or(|n| n <= DRAIN_BYTES as u64)
        && !expects_continue(request.headers());
    readable && drain(request.into_body(), DRAIN_BYTES, DRAIN_TIME).await
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// What [`discard`] reads of a body it does not need.
const DRAIN_BYTES: usize = ConnectionShare::BYTES;
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
pub(super) struct Refused {
    pub(super) answer: Answer,
    pub(super) close: bool,
}

impl From<Answer> for Refused {
    fn from(answer: Answer) -> Self {
        Refused {
            answer,
            close: false,
        }
    }
}

/// Reads a webhook request's body under `limits`, or says how it is refused.
pub(super) async fn read_body(
    limits: &BodyLimits,
    parts: &axum::http::request::Parts,
    mut body: Body,
) -> Result<HeldBody, Refused> {
    let started = Instant::now();
    let limit = limits.max_bytes;
    let too_large = |size: &dyn fmt::Display| {
        Answer::bad_request(
            413,
            format!(
                "request body of {size} bytes is over the limit of {limit} bytes (--max-body-bytes)"
            ),
        )
    };
    let declared = declared_length(&parts.headers);
    let deadline = deadline(parts.uri.query(), limits.timeout);
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
    // Without a connection (unit tests call the router directly), a share of its own.
    let share = parts
        .extensions
        .get::<InFlightToken>()
        .map_or_else(|| Arc::new(ConnectionShare::new()), |t| t.share.clone());
    let read = collect(&mut body, limit, &limits.budget, share);
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

/// The 503 for a body that does not fit the budget now.
fn busy(limit: usize) -> Refused {
    Answer::bad_request(
        503,
        format!(
            "too many large request bodies at once: past {} bytes a connection, at most {} \
             bytes of bodies are held at once; retry",
            ConnectionShare::BYTES,
            limit.saturating_mul(BodyBudget::LARGEST_BODIES),
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

/// Reads the body frame by frame; every byte kept is first taken from the connection's share
/// or, once that is used up, reserved in the budget, or the request is refused (503) at once.
/// A body of one frame (the common case) is kept as it came, without a copy.
async fn collect(
    body: &mut Body,
    limit: usize,
    budget: &BodyBudget,
    share: Arc<ConnectionShare>,
) -> Result<HeldBody, BodyError> {
    let mut taken = Taken { share, bytes: 0 };
    let mut reserved = None;
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
        // Once a body has gone to the budget, the rest of it does too.
        let counted = if reserved.is_none() && taken.share.try_take(data.len()) {
            taken.bytes += data.len();
            true
        } else {
            budget.try_reserve(data.len(), &mut reserved)
        };
        if !counted {
            return Err(BodyError::Busy);
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
        _taken: taken,
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

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::super::tests::{app, app_with, call, send, send_body};
    use super::*;

    #[test]
    fn deadline_takes_the_smaller_bound() {
        let bound = Duration::from_secs(10);
        assert_eq!(deadline(None, bound), bound);
        assert_eq!(deadline(Some("timeout=3s"), bound), Duration::from_secs(3));
        assert_eq!(deadline(Some("x=1&timeout=30s"), bound), bound);
        assert_eq!(deadline(Some("timeout=garbage"), bound), bound);
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
    /// no budget while it waits (else four such connections would hold all of it).
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
        let waiting = tokio::spawn(async move { call(router, request).await });
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());
        assert_eq!(budget.0.available_permits(), everything);
        waiting.abort();
    }

    /// The requests of one connection (HTTP/2 streams) share its bytes: the first body that
    /// never ends holds its share, the next ones count in the budget, and once that is spent
    /// the next is refused (503) at once. Everything comes back when the requests end.
    #[tokio::test]
    async fn streams_of_a_connection_share_its_bytes_then_count_in_the_budget() {
        const BODY: usize = 60_000;
        let limit = 100 * 1024;
        let budget = BodyBudget::for_limit(limit);
        let everything = budget.0.available_permits();
        let share = Arc::new(ConnectionShare::new());
        let router = app_with(limit, budget.clone());
        let request = || {
            use futures_util::StreamExt as _;
            let chunk: Result<Bytes, std::io::Error> = Ok(Bytes::from(vec![b' '; BODY]));
            let never_ends = futures_util::stream::once(async move { chunk })
                .chain(futures_util::stream::pending());
            let mut request = axum::http::Request::post("/validate")
                .body(Body::from_stream(never_ends))
                .unwrap();
            request.extensions_mut().insert(InFlightToken {
                in_flight: Arc::new(()),
                share: share.clone(),
            });
            request
        };
        let mut held = Vec::new();
        // One in the share, three in the budget (2 x 100 KiB).
        for _ in 0..4 {
            let router = router.clone();
            let request = request();
            held.push(tokio::spawn(async move { call(router, request).await }));
        }
        for _ in 0..200 {
            tokio::task::yield_now().await;
        }
        assert!(
            held.iter().all(|h| !h.is_finished()),
            "a held body was answered"
        );
        assert_eq!(
            share.0.load(Ordering::Relaxed),
            ConnectionShare::BYTES - BODY
        );
        assert_eq!(budget.0.available_permits(), everything - 3 * BODY);
        // The fifth does not fit: 503 at once.
        let response = call(router.clone(), request()).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        for h in held {
            h.abort();
            let _ = h.await;
        }
        assert_eq!(share.0.load(Ordering::Relaxed), ConnectionShare::BYTES);
        assert_eq!(budget.0.available_permits(), everything);
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
        let large = vec![b'{'; ConnectionShare::BYTES + 1];

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
