//! The webhook port: accepting connections, the TLS handshake, HTTP/1.1 or HTTP/2 by ALPN,
//! the limits that keep one client from hurting the others, and the drain on shutdown.
//!
//! Limits:
//! - Connections not yet established (in the TLS handshake, or waiting for one of
//!   `--max-connections`): at most [`MAX_HANDSHAKES`], each reading at most
//!   [`MAX_HANDSHAKE_BYTES`]; past it the oldest gives way ([`Slots`]), so the accept loop
//!   never waits behind stalled handshakes and a new connection is taken at once.
//! - `--max-connections`: established connections at once; one past it waits after its
//!   handshake, at most `--header-read-timeout`, instead of taking on work it cannot serve.
//! - `--tls-handshake-timeout`: a client that opens a socket and stalls the handshake is cut.
//! - `--header-read-timeout` (HTTP/1.1): once the first bytes of a request arrive, its headers
//!   must be complete within this time. Unlike hyper's own header timeout, it does not run
//!   while a keep-alive connection sits idle between requests, so the healthy pooled
//!   connections of kube-apiserver are not closed (and no request races a server-side close).
//! - First request (both protocols, the `--header-read-timeout` value): a new connection whose
//!   first request has not started within it of the handshake is closed
//!   (`first_request_timeout`, or `header_read_timeout` if part of it arrived), so clients that
//!   connect and say nothing cannot hold the connection slots; it is closed sooner if
//!   `--idle-timeout` is shorter.
//! - `--idle-timeout`: a connection with no request in flight for this long is closed. The
//!   default (120s) is longer than kube-apiserver's idle timeout (90s), so the client, which
//!   knows when it is about to send, closes first.
//!
//! Drain: on shutdown the listener is closed and every connection is told to finish
//! (hyper-util `GracefulShutdown`: HTTP/1.1 closes after its in-flight response, HTTP/2 sends
//! GOAWAY and completes its open streams), waiting at most `--drain-timeout`.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::Service as _;

use super::http;
use super::log::RateLimit;
use super::metrics::{Metrics, ReasonLabels};
use super::shutdown::ShutdownSignal;
use super::slots::{self, Slot, Slots};

/// The limits of the webhook port (see the module documentation).
#[derive(Clone, Debug)]
pub struct Limits {
    pub tls_handshake_timeout: Duration,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    /// An answer not taken by the client within this (`--request-timeout`) closes the
    /// connection.
    pub write_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_delay: Duration,
    pub drain_timeout: Duration,
}

/// How the drain ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every connection finished its in-flight requests and closed.
    Clean,
    /// `--drain-timeout` passed with connections still open (they are dropped).
    TimedOut { connections_left: usize },
}

struct Shared {
    acceptor: TlsAcceptor,
    router: Router,
    metrics: Arc<Metrics>,
    limits: Limits,
    /// One builder per protocol, chosen by ALPN; `auto` (which reads the connection preface)
    /// only for clients that offered no ALPN.
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
    auto: auto::Builder<TokioExecutor>,
    handshake_failures: RateLimit,
}

/// TLS handshake failures are logged at warn at most once per 10 s, with how many there were
/// since the last line: a caBundle that does not match the serving certificate fails every
/// call from kube-apiserver, and the log at its default level must say so, but a port scanner
/// must not fill it. Every failure is also logged at debug and counted in the metrics.
fn handshake_failed(log: &RateLimit, peer: SocketAddr, error: &dyn std::fmt::Display) {
    tracing::debug!(%peer, %error, "TLS handshake failed");
    if let Some(others) = log.allow() {
        tracing::warn!(
            %peer,
            %error,
            others_since_last_line = others,
            "TLS handshake failed (a client that does not trust the serving certificate, \
             e.g. a caBundle that does not match it, or with --client-ca a client \
             certificate that was refused; at most one line per 10 s)"
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
    Sniffed,
}

/// What one connection may buffer, so that `--max-connections` of them have a stated bound
/// (docs/operations.md, "Memory"). kube-apiserver sends requests of a few KiB with headers of
/// a few hundred bytes, one at a time on an HTTP/1.1 connection, and opens another connection
/// rather than wait for a stream of HTTP/2 (Go's transport does); the defaults of hyper and
/// h2 are sized for clients that multiplex hundreds of large streams.
pub mod buffers {
    /// HTTP/1.1: the read buffer (so the longest request head) and the write buffer.
    pub const HTTP1_BUFFER: usize = 32 * 1024;
    /// HTTP/2: streams open at once per connection (hyper's default is 200, h2's unlimited).
    /// kube-apiserver calls webhooks over HTTP/1.1, and a Go client opens another connection
    /// rather than wait for a stream.
    pub const HTTP2_STREAMS: u32 = 4;
    /// HTTP/2: the longest header list of a request (kube-apiserver's are a few hundred bytes).
    pub const HTTP2_HEADER_LIST: u32 = 16 * 1024;
    /// HTTP/2: body bytes a client may send ahead of the server's reading, per stream and per
    /// connection (the flow-control windows; hyper's default is 1 MiB each).
    pub const HTTP2_STREAM_WINDOW: u32 = 64 * 1024;
    pub const HTTP2_CONNECTION_WINDOW: u32 = 128 * 1024;
    /// HTTP/2: answer bytes queued per stream beyond what the client's window lets out.
    pub const HTTP2_SEND_BUFFER: usize = 64 * 1024;
    /// TLS: encrypted bytes waiting for the socket.
    pub const TLS_SEND_BUFFER: usize = 16 * 1024;
}

fn builders() -> [auto::Builder<TokioExecutor>; 3] {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Off: see `--header-read-timeout` above; hyper's runs during keep-alive idle too.
        .header_read_timeout(None::<Duration>)
        .keep_alive(true)
        .max_buf_size(buffers::HTTP1_BUFFER)
        // One TLS record per response instead of one per header block and body chunk.
        .writev(false);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(buffers::HTTP2_STREAMS)
        .max_header_list_size(buffers::HTTP2_HEADER_LIST)
        .initial_stream_window_size(buffers::HTTP2_STREAM_WINDOW)
        .initial_connection_window_size(buffers::HTTP2_CONNECTION_WINDOW)
        .max_send_buf_size(buffers::HTTP2_SEND_BUFFER);
    [
        builder.clone().http1_only(),
        builder.clone().http2_only(),
        builder,
    ]
}

/// Serves the webhook on `listener` until shutdown starts, then drains.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    limits: Limits,
    metrics: Arc<Metrics>,
    mut shutdown: ShutdownSignal,
) -> Drained {
    let [http1, http2, auto] = builders();
    let shared = Arc::new(Shared {
        acceptor: TlsAcceptor::from(tls),
        router,
        metrics,
        limits: limits.clone(),
        http1,
        http2,
        auto,
        handshake_failures: RateLimit::new(1, Duration::from_secs(10)),
    });
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let handshakes = Slots::new(MAX_HANDSHAKES, HANDSHAKE_MIN_AGE);
    let graceful = GracefulShutdown::new();
    let stop = async {
        shutdown.started().await;
        tokio::time::sleep(limits.shutdown_delay).await;
    };
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        // Past MAX_HANDSHAKES, the oldest connection not yet established gives way.
        let slot = tokio::select! {
            biased;
            () = &mut stop => break,
            slot = handshakes.take(|| {
                shared.metrics.tls_handshake_failures.inc();
            }) => slot,
        };
        // Busy until its task has read the socket: what the client sent may be waiting there
        // while the server is behind, and that is not the client stalling.
        slot.activity().busy();
        tokio::spawn(serve_connection(
            shared.clone(),
            Limited::new(tcp, MAX_HANDSHAKE_BYTES, slot.activity()),
            peer,
            slot,
            permits.clone(),
            graceful.watcher(),
        ));
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        connections = open,
        drain_timeout = ?limits.drain_timeout,
        "stopped accepting; draining open connections"
    );
    // Count what is left if the drain times out: each connection task holds a permit.
    let permits_left = permits.clone();
    match tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await {
        Ok(()) => {
            tracing::info!("drained");
            Drained::Clean
        }
        Err(_) => {
            let connections_left = limits.max_connections
                - permits_left.available_permits().min(limits.max_connections);
            tracing::warn!(
                connections_left,
                "drain timed out; closing the remaining connections"
            );
            Drained::TimedOut { connections_left }
        }
    }
}

async fn serve_connection(
    shared: Arc<Shared>,
    tcp: Limited<TcpStream>,
    peer: SocketAddr,
    mut slot: Slot,
    permits: Arc<Semaphore>,
    watcher: Watcher,
) {
    let limits = &shared.limits;
    let handshake = tokio::time::timeout(limits.tls_handshake_timeout, shared.acceptor.accept(tcp));
    // The handshake first: a client whose reply arrived before the order to give way (the
    // server was behind) completes; a stalled one finds nothing to read and gives way.
    let handshake = tokio::select! {
        biased;
        handshake = handshake => handshake,
        _ = &mut slot.evicted => {
            // Counted when it was told to give way; one of many, so logged at debug only.
            tracing::debug!(%peer, "TLS handshake given way to a newer connection");
            return;
        }
    };
    let tls = match handshake {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            shared.metrics.tls_handshake_failures.inc();
            handshake_failed(&shared.handshake_failures, peer, &e);
            return;
        }
        Err(_) => {
            // Port scanners and stalled clients: counted, logged at debug only.
            shared.metrics.tls_handshake_failures.inc();
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    // A connection slot (--max-connections), still giving way to newer connections while it
    // waits; like the first request, it must come within --header-read-timeout.
    let permit = match permits.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            // Waiting on the server, but holding what a stalled handshake would: it may give
            // way like one.
            slot.activity().waiting();
            let wait = tokio::time::timeout(limits.header_read_timeout, permits.acquire_owned());
            tokio::select! {
                permit = wait => match permit {
                    Ok(Ok(permit)) => permit,
                    _ => {
                        tracing::debug!(%peer, "no connection slot within --header-read-timeout");
                        return;
                    }
                },
                _ = &mut slot.evicted => return,
            }
        }
    };
    drop(slot);
    let mut tls = tls;
    tls.get_mut().0.handshake_done();
    tls.get_mut()
        .1
        .set_buffer_limit(Some(buffers::TLS_SEND_BUFFER));
    let protocol = match tls.get_ref().1.alpn_protocol() {
        Some(b"h2") => Protocol::Http2,
        Some(b"http/1.1") => Protocol::Http1,
        _ => Protocol::Sniffed,
    };
    let _open = OpenConnection::new(&shared.metrics);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: tls,
        activity: activity.clone(),
    });
    let service = {
        let router = shared.router.clone();
        let metrics = shared.metrics.clone();
        let activity = activity.clone();
        let share = Arc::new(http::ConnectionShare::new());
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            // Shared with the handler, which keeps a clone while it reads the rest of a
            // refused body (the watchdog must not take those bytes for a new request's head).
            let in_flight: Arc<dyn Send + Sync> = Arc::new(activity.request_started());
            request.extensions_mut().insert(http::InFlightToken {
                in_flight: in_flight.clone(),
                share: share.clone(),
            });
            let mut service = http::guarded(router.clone(), request.uri().path(), &metrics);
            let activity = activity.clone();
            async move {
                let response = service.call(request).await;
                drop(in_flight);
                // Counted until the client has taken the answer (see `Activity::answer`).
                response.map(|response| {
                    response.map(|body| Answered {
                        body,
                        _answer: activity.answer(),
                    })
                })
            }
        })
    };
    let builder = match protocol {
        Protocol::Http1 => &shared.http1,
        Protocol::Http2 => &shared.http2,
        Protocol::Sniffed => &shared.auto,
    };
    let connection = watcher.watch(builder.serve_connection(io, service));
    let header_read_timeout = (protocol == Protocol::Http1).then_some(limits.header_read_timeout);
    let first_request_timeout = limits.header_read_timeout;
    tokio::select! {
        ended = connection => {
            if let Err(e) = ended {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        reason = activity.watchdog(
            header_read_timeout,
            first_request_timeout,
            limits.idle_timeout,
            limits.write_timeout,
        ) => {
            shared
                .metrics
                .connections_closed_by_server
                .get_or_create(&ReasonLabels { reason })
                .inc();
            tracing::debug!(%peer, reason, "closing connection");
        }
    }
    drop(permit);
}

/// Connections accepted and not yet established (in the TLS handshake, or waiting for one of
/// `--max-connections`) held at once; past it, the oldest gives way ([`Slots`]). Each holds
/// at most [`MAX_HANDSHAKE_BYTES`] of what the client sent and rustls' state.
pub const MAX_HANDSHAKES: usize = 256;

/// How long a new connection is safe from giving way: an honest client's handshake takes
/// milliseconds. With [`MAX_HANDSHAKES`], connections that stall are cut at most
/// `MAX_HANDSHAKES / HANDSHAKE_MIN_AGE` (5,120) a second, so a new connection is accepted
/// within a fraction of a second behind a thousand of them.
const HANDSHAKE_MIN_AGE: Duration = Duration::from_millis(50);

/// What a client may send before its handshake is done: a ClientHello (a few KiB, with
/// post-quantum key shares, 1.7 KiB) and, with `--client-ca`, its certificate chain.
pub const MAX_HANDSHAKE_BYTES: usize = 16 * 1024;

/// The TCP stream, refusing to read more than [`MAX_HANDSHAKE_BYTES`] until the handshake is
/// done: rustls would buffer a handshake message of up to 64 KiB.
/// It also tells the connection's slot whether the server is busy with what the client sent
/// (bytes were read) or waiting on the client (a read found nothing), so that only stalled
/// handshakes give way.
struct Limited<S> {
    inner: S,
    left: Option<usize>,
    activity: Option<slots::Activity>,
}

impl<S> Limited<S> {
    fn new(inner: S, bytes: usize, activity: slots::Activity) -> Self {
        Limited {
            inner,
            left: Some(bytes),
            activity: Some(activity),
        }
    }

    fn handshake_done(&mut self) {
        self.left = None;
        self.activity = None;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(left) = self.left else {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        };
        if left == 0 {
            // Nothing more is read until the handshake is done. Not an error: rustls reads
            // ahead of what it processes, so an honest client's first request (sent right
            // after its Finished) can be past the limit, and the handshake completes with what
            // was read. A client whose own handshake is longer waits, without a wake-up, for
            // the handshake timeout or to give way.
            if let Some(activity) = &self.activity {
                activity.waiting();
            }
            return Poll::Pending;
        }
        // Through a small buffer of its own, only during the handshake (a few reads).
        let mut scratch = [0u8; 4096];
        let max = left.min(buf.remaining()).min(scratch.len());
        let mut limited = ReadBuf::new(&mut scratch[..max]);
        let polled = Pin::new(&mut self.inner).poll_read(cx, &mut limited);
        match &polled {
            Poll::Ready(Ok(())) => {
                let got = limited.filled();
                buf.put_slice(got);
                self.left = Some(left - got.len());
                if let Some(activity) = &self.activity {
                    activity.busy();
                }
            }
            Poll::Pending => {
                if let Some(activity) = &self.activity {
                    activity.waiting();
                }
            }
            Poll::Ready(Err(_)) => {}
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Keeps `connections_open` right however the connection task ends.
struct OpenConnection(Arc<Metrics>);

impl OpenConnection {
    fn new(metrics: &Arc<Metrics>) -> Self {
        metrics.connections_open.inc();
        OpenConnection(metrics.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections_open.dec();
    }
}

/// What the watchdog needs to tell idle from slow: whether any request has started, requests
/// in flight, when the connection last became idle, when bytes of a new request first
/// arrived, answers the client has not taken yet and writes the socket has not taken yet.
/// Milliseconds since the connection opened; `head_started` and `write_blocked` are stored
/// plus one so that zero means "none".
struct Activity {
    opened: Instant,
    served: AtomicBool,
    in_flight: AtomicUsize,
    idle_since: AtomicU64,
    head_started: AtomicU64,
    /// Answers made but not yet taken by the connection (an HTTP/2 stream whose window the
    /// client keeps shut), and since when none of them was taken.
    answers_out: AtomicUsize,
    answer_progress: AtomicU64,
    /// Since when a write or flush has waited for the socket (a client that does not read).
    write_blocked: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            served: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            answers_out: AtomicUsize::new(0),
            answer_progress: AtomicU64::new(0),
            write_blocked: AtomicU64::new(0),
        }
    }

    /// An answer handed to the connection; it counts until the connection drops its body
    /// (sent whole, or the stream ended).
    fn answer(self: &Arc<Self>) -> AnswerOut {
        if self.answers_out.fetch_add(1, Ordering::AcqRel) == 0 {
            self.answer_progress.store(self.now_ms(), Ordering::Relaxed);
        }
        AnswerOut(self.clone())
    }

    /// A write or flush could not complete: the socket's buffer is full.
    fn write_pending(&self) {
        if self.write_blocked.load(Ordering::Relaxed) == 0 {
            self.write_blocked
                .store(self.now_ms().saturating_add(1), Ordering::Relaxed);
        }
    }

    /// Everything written has reached the socket.
    fn flushed(&self) {
        if self.write_blocked.load(Ordering::Relaxed) != 0 {
            self.write_blocked.store(0, Ordering::Relaxed);
        }
    }

    /// When an answer, or a write, has waited since, if one is waiting.
    fn waiting_since(&self) -> Option<u64> {
        let blocked = self.write_blocked.load(Ordering::Relaxed);
        let blocked = (blocked != 0).then(|| blocked - 1);
        let answer = (self.answers_out.load(Ordering::Acquire) != 0)
            .then(|| self.answer_progress.load(Ordering::Relaxed));
        match (blocked, answer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Bytes arrived from the client.
    fn on_read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_started.load(Ordering::Relaxed) == 0
        {
            self.head_started
                .store(self.now_ms().saturating_add(1), Ordering::Relaxed);
        }
    }

    /// The headers of a request are complete (hyper is calling the service).
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.served.store(true, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Completes with the reason the connection should be closed: a request's headers not
    /// complete within `header_read_timeout` of its first bytes (HTTP/1.1), no request at all
    /// within `first_request_timeout` of the handshake (a client that connects and says
    /// nothing would otherwise hold a connection slot for the whole idle timeout), or no
    /// request in flight for `idle_timeout` (which also caps the first-request wait).
    async fn watchdog(
        &self,
        header_read_timeout: Option<Duration>,
        first_request_timeout: Duration,
        idle_timeout: Duration,
        write_timeout: Duration,
    ) -> &'static str {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1);
        let idle_ms = ms(idle_timeout);
        let header_ms = header_read_timeout.map(ms);
        let first_ms = ms(first_request_timeout);
        let write_ms = ms(write_timeout);
        // Wake at least this often, so a request that starts during a long idle wait is held
        // to the header timeout, and an answer made then to the write timeout (within one
        // period).
        let period = header_ms
            .unwrap_or(idle_ms)
            .min(idle_ms)
            .min(write_ms.div_ceil(2));
        loop {
            let now = self.now_ms();
            let mut wake = now.saturating_add(period);
            // An answer the client does not take (it does not read, or keeps its HTTP/2
            // window shut) is not kept for the idle timeout: the connection is closed once
            // nothing has been taken for the write timeout.
            if let Some(since) = self.waiting_since() {
                let deadline = since.saturating_add(write_ms);
                if now >= deadline {
                    return "write_timeout";
                }
                wake = wake.min(deadline);
            }
            if self.in_flight.load(Ordering::Acquire) == 0 && !self.served.load(Ordering::Relaxed) {
                // Never more than the idle timeout: a silent connection is an idle one too.
                let (deadline, reason) = if first_ms <= idle_ms {
                    // Bytes of it arrived (a slowloris client): its headers were too slow.
                    let started =
                        header_ms.is_some() && self.head_started.load(Ordering::Relaxed) != 0;
                    let reason = if started {
                        "header_read_timeout"
                    } else {
                        "first_request_timeout"
                    };
                    (first_ms, reason)
                } else {
                    (idle_ms, "idle_timeout")
                };
                if now >= deadline {
                    return reason;
                }
                wake = wake.min(deadline);
            } else if self.in_flight.load(Ordering::Acquire) == 0 {
                let head = self.head_started.load(Ordering::Relaxed);
                match header_ms {
                    Some(header_ms) if head != 0 => {
                        let deadline = (head - 1).saturating_add(header_ms);
                        if now >= deadline {
                            return "header_read_timeout";
                        }
                        wake = wake.min(deadline);
                    }
                    _ => {
                        let deadline = self
                            .idle_since
                            .load(Ordering::Relaxed)
                            .saturating_add(idle_ms);
                        if now >= deadline {
                            return "idle_timeout";
                        }
                        wake = wake.min(deadline);
                    }
                }
            }
            let sleep_for = Duration::from_millis(wake.saturating_sub(now).max(1));
            tokio::time::sleep(sleep_for).await;
        }
    }
}

/// A request in flight; dropping it marks the connection idle (if it was the last one).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .idle_since
            .store(activity.now_ms(), Ordering::Relaxed);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer not yet taken by its connection (see [`Activity::answer`]).
struct AnswerOut(Arc<Activity>);

impl Drop for AnswerOut {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .answer_progress
            .store(activity.now_ms(), Ordering::Relaxed);
        activity.answers_out.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body, counted as an answer out until the connection drops it.
struct Answered<B> {
    body: B,
    _answer: AnswerOut,
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Answered<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// The TLS stream, noting when bytes arrive.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        polled
    }
}

/// Writes are tracked too: one that waits for the socket (a client that stopped reading)
/// counts toward the write timeout until a flush completes.
impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if polled.is_pending() {
            self.activity.write_pending();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        match polled {
            Poll::Pending => self.activity.write_pending(),
            Poll::Ready(Ok(())) => self.activity.flushed(),
            Poll::Ready(Err(_)) => {}
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if polled.is_pending() {
            self.activity.write_pending();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time with short limits: the assertions are about which limit fires and never
    // before it is due, not about how fast.

    const LONG: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn idle_connections_close_after_the_idle_timeout() {
        let activity = Arc::new(Activity::new());
        drop(activity.request_started());
        let reason = activity
            .watchdog(
                Some(Duration::from_millis(50)),
                Duration::from_millis(50),
                Duration::from_millis(200),
                LONG,
            )
            .await;
        assert_eq!(reason, "idle_timeout");
        assert!(activity.opened.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_started_request_must_finish_its_headers() {
        let activity = Arc::new(Activity::new());
        drop(activity.request_started());
        activity.on_read();
        let reason = activity
            .watchdog(Some(Duration::from_millis(50)), LONG, LONG, LONG)
            .await;
        assert_eq!(reason, "header_read_timeout");
        assert!(activity.opened.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test]
    async fn a_new_connection_must_send_its_first_request_in_time() {
        // No header timeout (HTTP/2) and a long idle timeout: the first-request limit fires.
        let activity = Arc::new(Activity::new());
        let reason = activity
            .watchdog(None, Duration::from_millis(80), LONG, LONG)
            .await;
        assert_eq!(reason, "first_request_timeout");
        assert!(activity.opened.elapsed() >= Duration::from_millis(80));

        // A shorter idle timeout closes a silent connection first.
        let activity = Arc::new(Activity::new());
        let reason = activity
            .watchdog(None, LONG, Duration::from_millis(80), LONG)
            .await;
        assert_eq!(reason, "idle_timeout");

        // Once a request has started, the limit no longer applies: idle time counts instead.
        let activity = Arc::new(Activity::new());
        drop(activity.request_started());
        let watchdog = activity.watchdog(
            None,
            Duration::from_millis(20),
            Duration::from_secs(2),
            LONG,
        );
        tokio::pin!(watchdog);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut watchdog)
                .await
                .is_err(),
            "closed a connection that had served a request before its idle timeout"
        );
        assert_eq!(watchdog.await, "idle_timeout");
    }

    #[tokio::test]
    async fn an_answer_not_taken_or_a_blocked_write_closes_at_the_write_timeout() {
        // An answer the connection has not taken: closed at the write timeout, although the
        // idle and header timeouts are far.
        let activity = Arc::new(Activity::new());
        drop(activity.request_started());
        let answer = activity.answer();
        let reason = activity
            .watchdog(Some(LONG), LONG, LONG, Duration::from_millis(80))
            .await;
        assert_eq!(reason, "write_timeout");
        assert!(activity.opened.elapsed() >= Duration::from_millis(80));
        drop(answer);

        // A write waiting for the socket: the same, until a flush completes.
        let activity = Arc::new(Activity::new());
        drop(activity.request_started());
        activity.write_pending();
        let reason = activity
            .watchdog(Some(LONG), LONG, LONG, Duration::from_millis(80))
            .await;
        assert_eq!(reason, "write_timeout");

        // Answers taken and writes flushed keep the connection to its idle timeout.
        let activity = Arc::new(Activity::new());
        drop(activity.request_started());
        drop(activity.answer());
        activity.write_pending();
        activity.flushed();
        let watchdog = activity.watchdog(
            None,
            LONG,
            Duration::from_millis(400),
            Duration::from_millis(40),
        );
        tokio::pin!(watchdog);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut watchdog)
                .await
                .is_err(),
            "closed a connection whose answers were taken"
        );
        assert_eq!(watchdog.await, "idle_timeout");
    }

    #[tokio::test]
    async fn requests_in_flight_keep_the_connection() {
        let activity = Arc::new(Activity::new());
        let in_flight = activity.request_started();
        let watchdog = activity.watchdog(
            Some(Duration::from_millis(20)),
            Duration::from_millis(20),
            Duration::from_millis(40),
            LONG,
        );
        tokio::pin!(watchdog);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut watchdog)
                .await
                .is_err(),
            "closed a connection with a request in flight"
        );
        drop(in_flight);
        assert_eq!(watchdog.await, "idle_timeout");
    }
}
