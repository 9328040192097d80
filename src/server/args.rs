//! `serve`'s flags: what each one means, its environment variable and default, and the
//! checks of their values that clap's parsers do not make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::StartError;
use super::duration;
use super::log::LogFormat;

#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// HTTPS address of the webhook (POST /validate, POST /mutate).
    #[arg(
        long,
        value_name = "ADDR",
        env = "EASTWEST_GUARD_LISTEN",
        default_value = "0.0.0.0:8443",
        value_parser = parse_listen_address
    )]
    pub listen: SocketAddr,

    /// PEM serving certificate (leaf first, then intermediates). Without --tls-cert and
    /// --tls-key, a self-signed certificate for localhost and 127.0.0.1 is made.
    #[arg(
        long,
        value_name = "FILE",
        env = "EASTWEST_GUARD_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1). Both files are re-read every
    /// --cert-reload-interval and swapped in when they change.
    #[arg(
        long,
        value_name = "FILE",
        env = "EASTWEST_GUARD_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificate(s): require client certificates signed by them (mTLS). Re-read
    /// every --cert-reload-interval and swapped in when it changes.
    #[arg(long, value_name = "FILE", env = "EASTWEST_GUARD_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,

    /// Plain-HTTP address of GET /healthz, /readyz and /metrics.
    #[arg(
        long,
        value_name = "ADDR",
        env = "EASTWEST_GUARD_PROBE_LISTEN",
        default_value = "0.0.0.0:8080",
        value_parser = parse_listen_address
    )]
    pub probe_listen: SocketAddr,

    /// Largest request body accepted (larger: 413).
    #[arg(
        long,
        value_name = "N",
        env = "EASTWEST_GUARD_MAX_BODY_BYTES",
        default_value_t = 8 * 1024 * 1024
    )]
    pub max_body_bytes: usize,

    /// Log output format.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        env = "EASTWEST_GUARD_LOG_FORMAT",
        default_value_t = LogFormat::Json
    )]
    pub log_format: LogFormat,

    /// Keep a metadata-only cache of Namespaces and Services (in-cluster configuration or
    /// KUBECONFIG) for the rules that need cluster facts: EW020 names the Services that would
    /// stop being exposed, EW022, EW031 and EW032 run. Needs list and watch of namespaces and
    /// services. From the environment: `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`.
    #[arg(
        long,
        env = "EASTWEST_GUARD_CLUSTER_LOOKUPS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub cluster_lookups: bool,

    /// Timeouts, connection limits, shutdown timing, certificate reload.
    #[command(flatten)]
    pub tuning: Box<TuningFlags>,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

/// The flags with sound defaults that a deployment rarely changes (boxed: they would make
/// every command's arguments as large as `serve`'s).
#[derive(clap::Args, Clone, Debug)]
pub struct TuningFlags {
    /// How often the certificate, key and client CA files are re-read to pick up a rotation.
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_CERT_RELOAD_INTERVAL",
          default_value = "2s", value_parser = duration::parse)]
    pub cert_reload_interval: Duration,

    /// Longest time to receive one request body; kube-apiserver's ?timeout= can shorten it.
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_REQUEST_TIMEOUT",
          default_value = "10s", value_parser = duration::parse)]
    pub request_timeout: Duration,

    /// HTTP/1.1: once a request starts arriving, its headers must be complete within this.
    /// (Idle keep-alive time between requests does not count; see --idle-timeout.) Also, on
    /// HTTP/1.1 and HTTP/2, a new connection must send its first request within this of the
    /// TLS handshake, so clients that connect and say nothing cannot hold connection slots.
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_HEADER_READ_TIMEOUT",
          default_value = "10s", value_parser = duration::parse)]
    pub header_read_timeout: Duration,

    /// Close a connection with no request in flight for this long (keep it above
    /// kube-apiserver's 90s, so the client closes idle connections first).
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_IDLE_TIMEOUT",
          default_value = "120s", value_parser = duration::parse)]
    pub idle_timeout: Duration,

    /// Longest time a client may take to complete the TLS handshake. Connections not yet
    /// established are also capped (256 at once; past that a stalled one gives way), so a flood
    /// of stalled handshakes cannot keep new connections waiting.
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_TLS_HANDSHAKE_TIMEOUT",
          default_value = "3s", value_parser = duration::parse)]
    pub tls_handshake_timeout: Duration,

    /// Most webhook connections established at once; further ones wait (at most
    /// --header-read-timeout) after their handshake. What each may buffer is bounded, so this
    /// bounds memory (docs/operations.md#memory): keep the Deployment's limit above it.
    #[arg(
        long,
        value_name = "N",
        env = "EASTWEST_GUARD_MAX_CONNECTIONS",
        default_value_t = 128
    )]
    pub max_connections: usize,

    /// After SIGTERM, keep serving this long with /readyz at 503 before refusing new
    /// connections (time for endpoints to drop the pod; 0 in tests and on a laptop).
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_SHUTDOWN_DELAY",
          default_value = "0s", value_parser = duration::parse)]
    pub shutdown_delay: Duration,

    /// Longest wait for in-flight requests after the listener closes; then exit anyway.
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_DRAIN_TIMEOUT",
          default_value = "15s", value_parser = duration::parse)]
    pub drain_timeout: Duration,

    /// With --cluster-lookups: /readyz waits at most this long for the cluster cache's first
    /// sync; after it, the webhook is ready and skips lookups until the cache syncs.
    #[arg(long, value_name = "DURATION", env = "EASTWEST_GUARD_CLUSTER_SYNC_TIMEOUT",
          default_value = "10s", value_parser = duration::parse)]
    pub cluster_sync_timeout: Duration,

    /// Where the self-signed certificate (never its key) is written when --tls-cert is not
    /// given [default: <temp dir>/eastwest-guard-localhost-PORT.pem, PORT the --listen port].
    #[arg(long, value_name = "FILE", env = "EASTWEST_GUARD_SELF_SIGNED_CERT_OUT")]
    pub self_signed_cert_out: Option<PathBuf>,
}

impl ServeArgs {
    /// Parses `serve`'s flags (without the program and subcommand names), e.g. for tests:
    /// `ServeArgs::from_flags(["--listen", "127.0.0.1:0"])`.
    pub fn from_flags<I, T>(flags: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(clap::Parser)]
        struct Serve {
            #[command(flatten)]
            args: ServeArgs,
        }
        let argv = std::iter::once(std::ffi::OsString::from("serve"))
            .chain(flags.into_iter().map(Into::into));
        <Serve as clap::Parser>::try_parse_from(argv).map(|s| s.args)
    }
}

/// The values each flag accepts beyond its type: a wrong one is a usage error (exit 2).
pub(super) fn check_limits(args: &ServeArgs) -> Result<(), StartError> {
    let flag = |ok: bool, message: &str| {
        if ok {
            Ok(())
        } else {
            Err(StartError::Flags(message.to_owned()))
        }
    };
    flag(
        args.tls_cert.is_some() == args.tls_key.is_some(),
        "--tls-cert and --tls-key go together",
    )?;
    flag(
        args.tuning.cert_reload_interval >= Duration::from_millis(10),
        "--cert-reload-interval must be at least 10ms",
    )?;
    flag(
        (1..=1_000_000).contains(&args.tuning.max_connections),
        "--max-connections must be between 1 and 1000000",
    )?;
    flag(args.max_body_bytes > 0, "--max-body-bytes must be positive")?;
    flag(
        !args.tuning.idle_timeout.is_zero(),
        "--idle-timeout must be positive",
    )?;
    flag(
        !args.tuning.header_read_timeout.is_zero(),
        "--header-read-timeout must be positive",
    )?;
    flag(
        !args.tuning.request_timeout.is_zero(),
        "--request-timeout must be positive",
    )?;
    flag(
        !args.tuning.tls_handshake_timeout.is_zero(),
        "--tls-handshake-timeout must be positive",
    )
}

/// An `IP:PORT` to listen on. A host name is refused with that said: binding to whatever
/// `localhost` resolves to first would be a guess.
fn parse_listen_address(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| {
        format!(
            "{s:?} is not IP:PORT; give an address, e.g. 0.0.0.0:8443, 127.0.0.1:8443 or \
             [::]:8443 (host names are not accepted)"
        )
    })
}
