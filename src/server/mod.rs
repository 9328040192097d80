//! `eastwest-guard serve`: the TLS admission webhook kube-apiserver calls for every Namespace
//! and Service write.
//!
//! How a request flows: [`listener`] accepts and completes TLS, picks HTTP/1.1 or HTTP/2 by
//! ALPN and enforces the connection limits; [`http`] routes `POST /validate` and
//! `POST /mutate`, reads the body under its limits, logs and counts; [`admission`] turns the
//! AdmissionReview into the answer with the rules engine (pure, unit-tested). Around them:
//! [`tls`] (certificate loading, self-signed fallback, hot reload), [`probes`] (`/healthz`,
//! `/readyz`, `/metrics`), [`metrics`], [`shutdown`], [`log`]; the flags are [`ServeArgs`].
//!
//! [`start`] runs the whole server on the current Tokio runtime and reports the bound
//! addresses, which is how the integration tests run it on port 0; [`run`] is the command.

pub mod admission;
mod args;
pub mod chain;
pub mod config_reload;
pub mod duration;
pub mod escape;
pub mod http;
pub mod listener;
pub mod log;
pub mod log_batch;
pub mod metrics;
pub mod probes;
pub mod shutdown;
pub mod slots;
pub mod tls;

use arc_swap::ArcSwap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;

pub use args::{ServeArgs, TuningFlags};
pub use listener::Drained;
pub use log::LogFormat;
pub use shutdown::{ShutdownSignal, ShutdownTrigger};

use crate::cluster::{ClusterCache, WatchHandle, spawn_watches};

/// The sample review that the self-signed startup message suggests sending.
const SAMPLE_REVIEW: &str = "examples/review-namespace-denied.json";

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// A flag's value is wrong (exit 2).
    Flags(String),
    /// Certificates, sockets: the environment is wrong (exit 1).
    Environment(String),
}

impl StartError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            StartError::Flags(_) => ExitCode::from(2),
            StartError::Environment(_) => ExitCode::from(1),
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Flags(m) | StartError::Environment(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StartError {}

/// A server started by [`start`]: its addresses, and the handle that stops it.
pub struct RunningServer {
    webhook_addr: SocketAddr,
    probe_addr: SocketAddr,
    self_signed_cert: Option<PathBuf>,
    trigger: ShutdownTrigger,
    webhook: JoinHandle<Drained>,
    probes: JoinHandle<()>,
    reloader: Option<JoinHandle<()>>,
    client_ca_reloader: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound HTTPS address (the real port when `--listen` asked for port 0).
    pub fn webhook_addr(&self) -> SocketAddr {
        self.webhook_addr
    }

    /// The bound probe address.
    pub fn probe_addr(&self) -> SocketAddr {
        self.probe_addr
    }

    /// Where the self-signed certificate was written, when one was made.
    pub fn self_signed_cert(&self) -> Option<&Path> {
        self.self_signed_cert.as_deref()
    }

    /// Starts the shutdown, as SIGTERM does.
    pub fn shutdown(&self) {
        self.trigger.trigger();
    }

    pub fn shutdown_trigger(&self) -> ShutdownTrigger {
        self.trigger.clone()
    }

    /// Waits until shutdown has run its course: the webhook drained (or the drain timed out),
    /// then the probes and the certificate and client CA reloaders are stopped.
    pub async fn wait(self) -> Drained {
        let drained = match self.webhook.await {
            Ok(drained) => drained,
            Err(e) => {
                tracing::error!(error = %e, "webhook task failed");
                Drained::TimedOut {
                    connections_left: 0,
                }
            }
        };
        self.probes.abort();
        for reloader in [self.reloader, self.client_ca_reloader]
            .into_iter()
            .flatten()
        {
            reloader.abort();
        }
        drained
    }
}

/// Starts the webhook and probe servers on the current Tokio runtime. With a `cluster` cache
/// (`--cluster-lookups`), the rules that need cluster facts ask it, `/readyz` waits (at most
/// `--cluster-sync-timeout`) for its first sync, and requests report skipped lookups; the
/// caller keeps the cache fed ([`crate::cluster::spawn_watches`]).
pub async fn start(
    args: ServeArgs,
    cluster: Option<Arc<ClusterCache>>,
) -> Result<RunningServer, StartError> {
    let sync_gate = cluster.clone().map(|cache| probes::SyncGate {
        cache,
        deadline: std::time::Instant::now() + args.tuning.cluster_sync_timeout,
    });
    args::check_limits(&args)?;
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let metrics = Arc::new(metrics::Metrics::new());
    let (trigger, signal) = shutdown::channel();
    let (config, config_sha) =
        config_reload::initial(&args.rules, &metrics.config).map_err(StartError::Flags)?;
    let config: config_reload::SharedConfig = Arc::new(ArcSwap::from_pointee(config));

    let env = StartError::Environment;
    // Sockets first: a second instance on a busy port must fail before it overwrites the
    // self-signed certificate file that the running one's users trust.
    let webhook_listener = bind_with_backlog(args.listen, WEBHOOK_BACKLOG)
        .map_err(|e| env(format!("--listen {}: {e}", args.listen)))?;
    let probe_listener = bind_with_backlog(args.probe_listen, PROBE_BACKLOG)
        .map_err(|e| env(format!("--probe-listen {}: {e}", args.probe_listen)))?;
    let webhook_addr = webhook_listener
        .local_addr()
        .map_err(|e| env(format!("--listen {}: {e}", args.listen)))?;
    let probe_addr = probe_listener
        .local_addr()
        .map_err(|e| env(format!("--probe-listen {}: {e}", args.probe_listen)))?;

    let (cert, reload_from, self_signed_cert) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert_path), Some(key_path)) => {
            let named = |e: String| {
                env(format!(
                    "--tls-cert {} / --tls-key {}: {e}",
                    cert_path.display(),
                    key_path.display()
                ))
            };
            let (cert_pem, key_pem) = tls::read_pair(cert_path, key_path).await.map_err(named)?;
            let cert = tls::load_pair(&cert_pem, &key_pem, &provider).map_err(named)?;
            let fingerprint = tls::Fingerprint::of(&cert_pem, &key_pem);
            (cert, Some((cert_path, key_path, fingerprint)), None)
        }
        (None, None) => {
            let out = args
                .tuning
                .self_signed_cert_out
                .clone()
                // By port, so that two local servers do not overwrite each other's file.
                .unwrap_or_else(|| {
                    std::env::temp_dir().join(format!(
                        "eastwest-guard-localhost-{}.pem",
                        webhook_addr.port()
                    ))
                });
            let cert = tls::self_signed(&out, &provider).map_err(env)?;
            (cert, None, Some(out))
        }
        _ => {
            return Err(StartError::Flags(
                "--tls-cert and --tls-key go together".into(),
            ));
        }
    };
    metrics.cert_expiry.set(cert.not_after);
    if cert.is_expired() {
        tracing::warn!(certificate = %cert.description, "the serving certificate has expired");
    }
    let resolver = Arc::new(tls::CertResolver::new(&cert));
    let (tls_config, client_ca_verifier) = tls::server_config(
        resolver.clone(),
        args.client_ca.as_deref(),
        provider.clone(),
    )
    .map_err(env)?;

    if let (Some(path), Some(sha)) = (args.rules.config_file(), config_sha) {
        let reloader = config_reload::ConfigReloader {
            rules: args.rules.clone(),
            path: path.to_owned(),
            interval: args.tuning.cert_reload_interval,
            config: config.clone(),
            metrics: metrics.clone(),
            cluster: cluster.clone(),
        };
        tokio::spawn(reloader.run(sha, signal.clone()));
    }
    if let Some(cache) = &cluster {
        config_reload::track_problems(cache, &config, &metrics.config);
    }
    let app = Arc::new(http::App {
        config,
        cluster,
        metrics: metrics.clone(),
        body: http::BodyLimits::new(args.max_body_bytes, args.tuning.request_timeout),
    });
    let limits = listener::Limits {
        tls_handshake_timeout: args.tuning.tls_handshake_timeout,
        header_read_timeout: args.tuning.header_read_timeout,
        idle_timeout: args.tuning.idle_timeout,
        write_timeout: args.tuning.request_timeout,
        max_connections: args.tuning.max_connections,
        shutdown_delay: args.tuning.shutdown_delay,
        drain_timeout: args.tuning.drain_timeout,
    };
    let webhook = tokio::spawn(listener::serve(
        webhook_listener,
        tls_config,
        http::router(app),
        limits,
        metrics.clone(),
        signal.clone(),
    ));
    let probes = tokio::spawn(probes::serve(
        probe_listener,
        probes::router(metrics.clone(), signal.clone(), sync_gate),
    ));
    let client_ca_reloader = match (client_ca_verifier, &args.client_ca) {
        (Some(verifier), Some(path)) => Some(tokio::spawn(
            tls::ClientCaReloader {
                path: path.clone(),
                interval: args.tuning.cert_reload_interval,
                verifier,
                metrics: metrics.clone(),
                provider: provider.clone(),
            }
            .run(signal.clone()),
        )),
        _ => None,
    };
    let reloader = reload_from.map(|(cert_path, key_path, fingerprint)| {
        let reloader = tls::Reloader {
            cert_path: cert_path.clone(),
            key_path: key_path.clone(),
            interval: args.tuning.cert_reload_interval,
            resolver,
            metrics: metrics.clone(),
            provider,
        };
        tokio::spawn(reloader.run(fingerprint, signal.clone()))
    });

    tracing::info!(
        webhook = %webhook_addr,
        probes = %probe_addr,
        certificate = %cert.description,
        client_ca = args.client_ca.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
        version = env!("CARGO_PKG_VERSION"),
        "serving"
    );
    if let Some(path) = &self_signed_cert {
        let host = match webhook_addr.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let url = format!(
            "https://{}/validate",
            SocketAddr::new(host, webhook_addr.port())
        );
        tracing::info!(
            cert_file = %path.display(),
            curl = %format!(
                "curl --cacert {} -H 'Content-Type: application/json' --data-binary @{SAMPLE_REVIEW} {url}",
                path.display()
            ),
            "no --tls-cert given: serving a self-signed certificate for localhost; try the curl line"
        );
    }
    Ok(RunningServer {
        webhook_addr,
        probe_addr,
        self_signed_cert,
        trigger,
        webhook,
        probes,
        reloader,
        client_ca_reloader,
    })
}

/// With `--cluster-lookups`: a Kubernetes client (in-cluster configuration, else KUBECONFIG)
/// and the watches that keep a cache of Namespaces and Services. Creating the client does not
/// contact the API server; the watches retry on their own, so an API server that is down
/// delays only the cache, never the webhook.
async fn cluster_lookups(
    args: &ServeArgs,
) -> Result<(Option<Arc<ClusterCache>>, Option<WatchHandle>), StartError> {
    if !args.cluster_lookups {
        return Ok((None, None));
    }
    let client = kube::Client::try_default().await.map_err(|e| {
        StartError::Environment(format!(
            "--cluster-lookups: no Kubernetes client configuration (in-cluster service \
             account or KUBECONFIG): {e}"
        ))
    })?;
    let cache = Arc::new(ClusterCache::new());
    let watches = spawn_watches(client, cache.clone());
    tracing::info!(
        sync_timeout = ?args.tuning.cluster_sync_timeout,
        "cluster lookups on: watching Namespaces and Services (metadata only)"
    );
    Ok((Some(cache), Some(watches)))
}

/// `eastwest-guard serve`: runs until SIGTERM or SIGINT, then drains and exits 0. A second
/// signal exits 1 at once. Bad flags exit 2; an unusable certificate or address exits 1.
pub fn run(args: ServeArgs) -> ExitCode {
    // The one crypto provider of the process, chosen before anything uses TLS.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Err(message) = args.rules.to_config() {
        eprintln!("eastwest-guard serve: {message}");
        return ExitCode::from(2);
    }
    let _log_writer = log::init(args.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("eastwest-guard serve: starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async move {
        let mut signals = match shutdown::OsSignals::install() {
            Ok(signals) => signals,
            Err(e) => {
                tracing::error!(error = %e, "installing signal handlers");
                return ExitCode::from(1);
            }
        };
        let (lookups, _watches) = match cluster_lookups(&args).await {
            Ok(pair) => pair,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                eprintln!("eastwest-guard serve: {e}");
                return e.exit_code();
            }
        };
        let server = match start(args, lookups).await {
            Ok(server) => server,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                eprintln!("eastwest-guard serve: {e}");
                return e.exit_code();
            }
        };
        let trigger = server.shutdown_trigger();
        tokio::spawn(async move {
            let first = signals.next().await;
            tracing::info!(
                signal = first,
                "shutting down: /readyz now 503, draining in-flight requests"
            );
            trigger.trigger();
            let second = signals.next().await;
            tracing::warn!(signal = second, "second signal: exiting without draining");
            // `exit` runs no destructors: write out the pending log lines first.
            log_batch::flush_now();
            std::process::exit(1);
        });
        match server.wait().await {
            Drained::Clean => tracing::info!("shut down cleanly"),
            Drained::TimedOut { connections_left } => tracing::warn!(
                connections_left,
                "shut down with connections still open after --drain-timeout"
            ),
        }
        ExitCode::SUCCESS
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// The webhook port's accept queue. `TcpListener::bind` asks for 128, and at 128 a burst of
/// new connections (kube-apiserver replicas reconnecting after a restart, a client at
/// `--max-connections`) overflows it: the kernel then answers with SYN cookies and drops the
/// final ACK of a connection it has no room for, so a client that sends nothing first is left
/// holding a connection the server never saw. The kernel caps this at `net.core.somaxconn`.
const WEBHOOK_BACKLOG: u32 = 4096;

/// The probe port's accept queue, for the same reason: a pod that floods the port with
/// connections, re-opened as the server cuts them, overflows 128 and a kubelet probe caught
/// in the overflow loses its connection (a failed readiness or liveness probe).
const PROBE_BACKLOG: u32 = 4096;

/// The kernel buffers of each webhook connection, in each direction, as asked of the kernel
/// (Linux doubles it for its bookkeeping). Accepted sockets inherit them from the listener.
/// Without them Linux grows a connection's buffers up to `net.ipv4.tcp_wmem` and `tcp_rmem`
/// (4 and 6 MiB or more): a client that stops reading would hold megabytes of the pod's memory
/// (socket buffers count toward its cgroup's limit) per connection. An answer is at most 40
/// KiB, a review a few KiB; 16 KiB each way still moves an 8 MiB body at tens of MB/s on a
/// cluster network.
pub const SOCKET_BUFFER_BYTES: u32 = 16 * 1024;

/// Binds `addr` (with `SO_REUSEADDR`, as `TcpListener::bind` does) and listens with `backlog`.
fn bind_with_backlog(addr: std::net::SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As mio does, on Unix only: on Windows it would let a second instance take the port.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    // Before listen, so the window scale offered on each connection fits the buffer.
    socket.set_send_buffer_size(SOCKET_BUFFER_BYTES)?;
    socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 600 clients connect at once and send nothing (as a TLS client waiting on a slow
    /// handshake does): every one must be in the accept queue. With `TcpListener::bind`'s 128,
    /// most are not: the kernel drops their last ACK and the server never sees them.
    #[tokio::test]
    async fn a_burst_of_silent_connections_all_reach_accept() {
        let listener = bind_with_backlog("127.0.0.1:0".parse().unwrap(), WEBHOOK_BACKLOG).unwrap();
        let addr = listener.local_addr().unwrap();
        let wait = std::time::Duration::from_secs(5);
        let mut clients = Vec::new();
        // The kernel caps the queue at net.core.somaxconn (4096 on current kernels).
        let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(4096);
        for i in 0..600.min(somaxconn) {
            // Past a full queue the kernel drops the SYN: connect waits on its retries.
            match tokio::time::timeout(wait, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(client)) => clients.push(client),
                Ok(Err(e)) => panic!("connect {i}: {e}"),
                Err(_) => panic!("connect {i}: no answer in {wait:?} (accept queue full)"),
            }
        }
        let mut accepted = 0;
        while accepted < clients.len() {
            match tokio::time::timeout(wait, listener.accept()).await {
                Ok(Ok(_)) => accepted += 1,
                Ok(Err(e)) => panic!("accept failed: {e}"),
                Err(_) => break,
            }
        }
        assert_eq!(
            accepted,
            clients.len(),
            "connections lost from the accept queue"
        );
    }
}
