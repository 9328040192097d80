//! Helpers for the server tests: certificates made on the spot (rcgen), the real server started
//! in-process on 127.0.0.1 port 0, a real TLS client (tokio-rustls + hyper) over HTTP/1.1 or
//! HTTP/2, fixtures, and a Kubernetes-style Secret directory whose `..data` symlink can be
//! swapped.
#![allow(dead_code)]

pub mod h2;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use eastwest_guard::server::{self, RunningServer, ServeArgs};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ClientConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ---------------------------------------------------------------- certificates

/// A test certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pub pem: String,
}

/// A certificate with its key, in the forms the tests need.
pub struct Leaf {
    pub cert_pem: String,
    pub der: CertificateDer<'static>,
    /// PKCS#8 (`PRIVATE KEY`), as rcgen writes it.
    pub key_pem: String,
    pub key_pkcs8_der: Vec<u8>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pem = issuer.pem();
        Ca { issuer, pem }
    }

    /// An intermediate CA signed by this one.
    pub fn intermediate(&self, name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer =
            CertifiedIssuer::signed_by(params, KeyPair::generate().unwrap(), &*self.issuer)
                .unwrap();
        let pem = issuer.pem();
        Ca { issuer, pem }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    fn sign(&self, params: CertificateParams, key: KeyPair) -> Leaf {
        let cert = params.signed_by(&key, &*self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            der: cert.der().clone(),
            key_pem: key.serialize_pem(),
            key_pkcs8_der: key.serialize_der(),
        }
    }

    /// A serving certificate for `localhost` and `127.0.0.1`, with `tag` in its subject so
    /// tests can tell two apart.
    pub fn server_cert(&self, tag: &str) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, tag);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params, KeyPair::generate().unwrap())
    }

    /// A serving certificate for `localhost` that expired in 2000.
    pub fn expired_server_cert(&self, tag: &str) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, tag);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = rcgen::date_time_ymd(1999, 1, 1);
        params.not_after = rcgen::date_time_ymd(2000, 1, 1);
        self.sign(params, KeyPair::generate().unwrap())
    }

    /// A serving certificate for an existing public key (e.g. an RSA key made by openssl).
    pub fn server_cert_for(&self, key: KeyPair) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params, key)
    }

    /// A client certificate (as kube-apiserver would present with mTLS).
    pub fn client_cert(&self, name: &str) -> Leaf {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params, KeyPair::generate().unwrap())
    }
}

impl Leaf {
    /// The key as SEC1 (`EC PRIVATE KEY`): the ECPrivateKey inside the PKCS#8 document.
    pub fn sec1_key_pem(&self) -> String {
        // PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING }
        let (_, info) = der_tlv(&self.key_pkcs8_der, 0x30);
        let (rest, _version) = der_tlv(info, 0x02);
        let (rest, _algorithm) = der_tlv(rest, 0x30);
        let (_, ec_private_key) = der_tlv(rest, 0x04);
        pem("EC PRIVATE KEY", ec_private_key)
    }
}

/// Reads one DER element with the expected tag: (what follows it, its contents).
fn der_tlv(input: &[u8], tag: u8) -> (&[u8], &[u8]) {
    assert_eq!(input[0], tag, "unexpected DER tag");
    let (len, header) = match input[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => (input[2] as usize, 3),
        0x82 => (((input[2] as usize) << 8) | input[3] as usize, 4),
        other => panic!("DER length form {other:#x} not expected in a test key"),
    };
    (&input[header + len..], &input[header..header + len])
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// ---------------------------------------------------------------- Secret directory

/// A directory laid out like a mounted Kubernetes Secret:
/// `tls.crt -> ..data/tls.crt`, `..data -> ..<generation>/`, and updates that write a new
/// generation directory and swap `..data` with one rename, as the kubelet does.
pub struct SecretDir {
    pub root: PathBuf,
    generation: u32,
}

impl SecretDir {
    pub fn new(root: &Path, cert_pem: &str, key_pem: &str) -> SecretDir {
        let mut dir = SecretDir {
            root: root.to_owned(),
            generation: 0,
        };
        dir.swap(cert_pem, key_pem);
        std::os::unix::fs::symlink("..data/tls.crt", root.join("tls.crt")).unwrap();
        std::os::unix::fs::symlink("..data/tls.key", root.join("tls.key")).unwrap();
        dir
    }

    pub fn cert(&self) -> PathBuf {
        self.root.join("tls.crt")
    }

    pub fn key(&self) -> PathBuf {
        self.root.join("tls.key")
    }

    /// Writes a new generation and points `..data` at it atomically; removes the old one.
    pub fn swap(&mut self, cert_pem: &str, key_pem: &str) {
        let old = format!(
            "..2025_01_01_00_00_{:02}.{}",
            self.generation, self.generation
        );
        self.generation += 1;
        let new = format!(
            "..2025_01_01_00_00_{:02}.{}",
            self.generation, self.generation
        );
        let new_dir = self.root.join(&new);
        std::fs::create_dir(&new_dir).unwrap();
        std::fs::write(new_dir.join("tls.crt"), cert_pem).unwrap();
        std::fs::write(new_dir.join("tls.key"), key_pem).unwrap();
        let tmp = self.root.join("..data_tmp");
        std::os::unix::fs::symlink(&new, &tmp).unwrap();
        std::fs::rename(&tmp, self.root.join("..data")).unwrap();
        let old_dir = self.root.join(old);
        if old_dir.exists() {
            std::fs::remove_dir_all(old_dir).unwrap();
        }
    }
}

// ---------------------------------------------------------------- the server

/// The real server, in-process, with a serving certificate from a test CA.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub webhook: SocketAddr,
    pub probes: SocketAddr,
    pub ca: Ca,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts with `tls.crt`/`tls.key` in a temporary directory plus `extra` flags.
    pub async fn start(extra: &[&str]) -> TestServer {
        let ca = Ca::new("eastwest-guard test CA");
        let leaf = ca.server_cert("webhook-1");
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("tls.crt");
        let key = dir.path().join("tls.key");
        std::fs::write(&cert, &leaf.cert_pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
        Self::start_with(ca, dir, &cert, &key, extra).await
    }

    pub async fn start_with(
        ca: Ca,
        dir: tempfile::TempDir,
        cert: &Path,
        key: &Path,
        extra: &[&str],
    ) -> TestServer {
        let mut flags = vec![
            "--listen".to_owned(),
            "127.0.0.1:0".to_owned(),
            "--probe-listen".to_owned(),
            "127.0.0.1:0".to_owned(),
            "--tls-cert".to_owned(),
            cert.display().to_string(),
            "--tls-key".to_owned(),
            key.display().to_string(),
        ];
        flags.extend(extra.iter().map(|s| s.to_string()));
        let args = ServeArgs::from_flags(flags).unwrap();
        let server = server::start(args, None).await.unwrap();
        TestServer {
            webhook: server.webhook_addr(),
            probes: server.probe_addr(),
            server: Some(server),
            ca,
            dir,
        }
    }

    pub fn client_config(&self, alpn: &[&[u8]]) -> Arc<ClientConfig> {
        client_config(&[self.ca.der()], alpn, None)
    }

    pub async fn client(&self, protocol: Protocol) -> Client {
        Client::connect(self.webhook, self.client_config(protocol.alpn()), protocol)
            .await
            .unwrap()
    }

    pub async fn metrics(&self) -> String {
        let (status, body) = probe(self.probes, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    /// Triggers shutdown and waits for the drain.
    pub async fn stop(&mut self) -> server::Drained {
        let server = self.server.take().unwrap();
        server.shutdown();
        server.wait().await
    }
}

/// The value of one sample line of the OpenMetrics text, e.g.
/// `eastwest_guard_tls_cert_reloads_total{result="success"}`.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

// ---------------------------------------------------------------- the client

pub fn client_config(
    roots: &[CertificateDer<'static>],
    alpn: &[&[u8]],
    client_cert: Option<&Leaf>,
) -> Arc<ClientConfig> {
    client_config_versions(
        roots,
        alpn,
        client_cert,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    )
}

pub fn client_config_versions(
    roots: &[CertificateDer<'static>],
    alpn: &[&[u8]],
    client_cert: Option<&Leaf>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).unwrap();
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store);
    let mut config = match client_cert {
        None => builder.with_no_client_auth(),
        Some(leaf) => builder
            .with_client_auth_cert(
                vec![leaf.der.clone()],
                PrivateKeyDer::try_from(leaf.key_pkcs8_der.clone()).unwrap(),
            )
            .unwrap(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

pub async fn tls_connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(config).connect(name, tcp).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
}

impl Protocol {
    pub const BOTH: [Protocol; 2] = [Protocol::Http1, Protocol::Http2];

    pub fn alpn(self) -> &'static [&'static [u8]] {
        match self {
            Protocol::Http1 => &[b"http/1.1"],
            Protocol::Http2 => &[b"h2"],
        }
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One connection, HTTP/1.1 (keep-alive) or HTTP/2.
pub enum Client {
    Http1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub version: Version,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    pub async fn connect(
        addr: SocketAddr,
        config: Arc<ClientConfig>,
        protocol: Protocol,
    ) -> Result<Client, BoxError> {
        let tls = tls_connect(addr, config).await?;
        Client::over(tls, protocol).await
    }

    pub async fn over(tls: TlsStream<TcpStream>, protocol: Protocol) -> Result<Client, BoxError> {
        let io = TokioIo::new(tls);
        Ok(match protocol {
            Protocol::Http1 => {
                let (sender, conn) = hyper::client::conn::http1::handshake(io).await?;
                tokio::spawn(conn);
                Client::Http1(sender)
            }
            Protocol::Http2 => {
                let (sender, conn) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await?;
                tokio::spawn(conn);
                Client::Http2(sender)
            }
        })
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Reply, BoxError> {
        let request = Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let response = match self {
            Client::Http1(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
            Client::Http2(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
        };
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            version,
            headers,
            body,
        })
    }

    pub async fn post(&mut self, path: &str, body: Vec<u8>) -> Result<Reply, BoxError> {
        self.send("POST", path, body).await
    }
}

/// GET on the plain-HTTP probe port.
pub async fn probe(addr: SocketAddr, path: &str) -> (StatusCode, String) {
    try_probe(addr, path).await.unwrap()
}

pub async fn try_probe(addr: SocketAddr, path: &str) -> Result<(StatusCode, String), BoxError> {
    let tcp = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let request = Request::get(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

// ---------------------------------------------------------------- fixtures

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/reviews")
        .join(format!("{name}.json"))
}

/// A review as kube-apiserver sends it (`tests/data/reviews/<name>.json`).
pub fn review(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

pub fn review_json(name: &str) -> Value {
    serde_json::from_slice(&review(name)).unwrap()
}

pub fn uid_of(review: &[u8]) -> String {
    let v: Value = serde_json::from_slice(review).unwrap();
    v["request"]["uid"].as_str().unwrap().to_owned()
}

/// Polls `check` every 20ms until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------- reliability helpers

/// Sends the good fixture on `client` and checks the answer: 200, the uid echoed, allowed.
pub async fn assert_serves(client: &mut Client, context: &str) {
    let body = review("namespace-create-plain");
    let reply = client
        .post("/validate?timeout=10s", body.clone())
        .await
        .unwrap_or_else(|e| panic!("{context}: the good review failed: {e}"));
    assert_eq!(reply.status, StatusCode::OK, "{context}: {}", reply.text());
    let v = reply.json();
    assert_eq!(v["response"]["uid"], uid_of(&body).as_str(), "{context}");
    assert_eq!(v["response"]["allowed"], true, "{context}");
}

/// A new connection of `protocol` answers the good fixture.
pub async fn assert_new_connection_serves(server: &TestServer, protocol: Protocol, context: &str) {
    let mut client = server.client(protocol).await;
    assert_serves(
        &mut client,
        &format!("{context} (new {protocol:?} connection)"),
    )
    .await;
}

/// A TLS connection that negotiated HTTP/1.1, for writing raw requests.
pub async fn raw_http1(server: &TestServer) -> TlsStream<TcpStream> {
    tls_connect(server.webhook, server.client_config(&[b"http/1.1"]))
        .await
        .unwrap()
}

/// An HTTP/1.1 request head with the given extra header lines (each ending in CRLF).
pub fn http1_head(path: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n{extra}\r\n"
    )
}

/// Reads one HTTP/1.1 response (head and a Content-Length body) from a raw stream, within
/// `limit`. `None` when the connection closed (or the limit passed) before a whole response.
pub async fn read_http1_response<S>(
    stream: &mut S,
    limit: Duration,
) -> Option<(u16, String, Vec<u8>)>
where
    S: tokio::io::AsyncRead + Unpin,
{
    read_http1_response_buffered(stream, &mut Vec::new(), limit).await
}

/// As [`read_http1_response`], keeping in `buf` what arrived after the response (the start
/// of the next one), for reading pipelined responses one after another.
pub async fn read_http1_response_buffered<S>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    limit: Duration,
) -> Option<(u16, String, Vec<u8>)>
where
    S: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt as _;
    let deadline = tokio::time::Instant::now() + limit;
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                let body = buf[end + 4..end + 4 + length].to_vec();
                buf.drain(..end + 4 + length);
                return Some((status, head, body));
            }
        }
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until the peer closes (or `limit` passes: then `None`), ignoring read errors such as
/// a reset, which also end the connection.
pub async fn read_to_close<S>(stream: &mut S, limit: Duration) -> Option<Vec<u8>>
where
    S: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt as _;
    let mut out = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The good fixture with another uid.
pub fn review_with_uid(name: &str, uid: &str) -> Vec<u8> {
    let mut v = review_json(name);
    v["request"]["uid"] = Value::String(uid.to_owned());
    serde_json::to_vec(&v).unwrap()
}

// ---------------------------------------------------------------- the real binary

/// The real binary running `serve` on 127.0.0.1 port 0, its stdout collected line by line
/// (the addresses are read from its "serving" line).
pub struct Binary {
    child: Option<std::process::Child>,
    pub webhook: SocketAddr,
    pub probes: SocketAddr,
    lines: Arc<std::sync::Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Binary {
    /// Starts `serve` with `args` (after the listen addresses) and `envs`, and waits for its
    /// "serving" line.
    pub fn spawn<I, S>(args: I, envs: &[(&str, &str)]) -> Binary
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        use std::io::BufRead as _;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_eastwest-guard"));
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--probe-listen",
                "127.0.0.1:0",
            ])
            .args(args)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        for (k, v) in envs {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                // Lines as bytes: a line that is not UTF-8 is kept (lossily), not the end.
                let mut out = std::io::BufReader::new(stdout);
                let mut line = Vec::new();
                while out
                    .read_until(b'\n', &mut line)
                    .map(|n| n > 0)
                    .unwrap_or(false)
                {
                    let text = String::from_utf8_lossy(&line)
                        .trim_end_matches('\n')
                        .to_owned();
                    let _ = tx.send(text.clone());
                    lines.lock().unwrap().push(text);
                    line.clear();
                }
            })
        };
        let address_after = |line: &str, key: &str| -> Option<SocketAddr> {
            let rest = &line[line.find(key)? + key.len()..];
            rest.chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect::<String>()
                .parse()
                .ok()
        };
        let mut addrs = None;
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
            if line.contains("serving") {
                addrs = address_after(&line, "webhook").zip(address_after(&line, "probes"));
                break;
            }
        }
        let (webhook, probes) = addrs.expect("no serving line with the addresses");
        Binary {
            child: Some(child),
            webhook,
            probes,
            lines,
            reader: Some(reader),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// SIGTERM, then every line it wrote and its exit status.
    pub fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let mut child = self.child.take().unwrap();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status, self.lines())
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
