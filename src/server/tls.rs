//! The serving certificate: loading it (PEM chain, PKCS#8 / PKCS#1 / SEC1 key), making a
//! self-signed one for localhost, reloading it when the files change, and the rustls server
//! configuration (TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`, optional client certificates).
//!
//! Rotation: every handshake asks [`CertResolver`] for the certificate, which reads an
//! `ArcSwap`, so a reload is one atomic store and open connections are untouched. Changes are
//! found by reading the files every few seconds and comparing their contents: a mounted
//! Kubernetes Secret is updated by swapping a `..data` symlink to a new directory, which a
//! watcher on the file paths never sees, while reading through the path always gets the
//! current files. A pair that does not load (unreadable, garbled, key not matching the
//! certificate) is logged and counted, and the certificate in use stays.
//!
//! `--client-ca` is reloaded the same way ([`ClientCaReloader`]): the verifier every handshake
//! uses is swapped whole when the file changes, so a rotated client CA (kube-apiserver's
//! client certificate reissued by a new CA) needs no restart.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::metrics::Metrics;
use super::shutdown::ShutdownSignal;

/// A serving certificate ready for handshakes, with what logs and metrics say about it.
#[derive(Clone)]
pub struct LoadedCert {
    pub certified: Arc<CertifiedKey>,
    /// notAfter of the leaf, as a Unix timestamp.
    pub not_after: i64,
    /// Subject and DNS/IP names of the leaf, for the log.
    pub description: String,
}

impl LoadedCert {
    /// Whether the leaf's notAfter has passed. At start it is still served (refusing to start
    /// would not make clients accept it; the log and metric say what is wrong); as a reload it
    /// is refused, and the certificate in use stays.
    pub fn is_expired(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.not_after < now
    }
}

impl fmt::Debug for LoadedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedCert")
            .field("not_after", &self.not_after)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Parses a PEM certificate chain (leaf first) and its private key, and checks they belong
/// together.
pub fn load_pair(
    cert_pem: &[u8],
    key_pem: &[u8],
    provider: &CryptoProvider,
) -> Result<LoadedCert, String> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate PEM: {e}"))?;
    if chain.is_empty() {
        return Err("certificate file has no CERTIFICATE block".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => "key file has no private key (expected a \
             PKCS#8 \"PRIVATE KEY\", PKCS#1 \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\" block)"
            .to_owned(),
        other => format!("private key PEM: {other}"),
    })?;
    let (not_after, description) = describe_leaf(&chain[0])?;
    super::chain::check_chain(&chain)?;
    let certified = Arc::new(
        CertifiedKey::from_der(chain, key, provider)
            .map_err(|e| format!("certificate and key do not make a pair: {e}"))?,
    );
    super::chain::prove(&certified, provider)?;
    Ok(LoadedCert {
        certified,
        not_after,
        description,
    })
}

fn describe_leaf(der: &CertificateDer<'_>) -> Result<(i64, String), String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("leaf certificate is not valid X.509: {e}"))?;
    let not_after = cert.validity().not_after.timestamp();
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(d) => names.push((*d).to_owned()),
                x509_parser::extensions::GeneralName::IPAddress(ip) => {
                    let text = match ip.len() {
                        4 => <[u8; 4]>::try_from(*ip)
                            .map(|b| std::net::IpAddr::from(b).to_string())
                            .unwrap_or_default(),
                        16 => <[u8; 16]>::try_from(*ip)
                            .map(|b| std::net::IpAddr::from(b).to_string())
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    names.push(text);
                }
                _ => {}
            }
        }
    }
    let description = format!(
        "subject {:?}, names [{}], not after {}",
        cert.subject().to_string(),
        names.join(", "),
        cert.validity().not_after
    );
    Ok((not_after, description))
}

/// Makes a self-signed certificate for `localhost`, `127.0.0.1` and `::1`, and writes the
/// certificate (never the key) to `out`, replacing the file by rename so a reader never sees
/// half of it and a planted symlink is replaced rather than followed.
pub fn self_signed(out: &Path, provider: &CryptoProvider) -> Result<LoadedCert, String> {
    let key = rcgen::KeyPair::generate().map_err(|e| format!("generating a key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .map_err(|e| format!("certificate parameters: {e}"))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "eastwest-guard self-signed (localhost)",
    );
    // A development certificate: valid about a year back and a year ahead, so the expiry
    // metric says something sensible (rcgen's default runs to the year 4096).
    let year = current_year();
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("self-signing: {e}"))?;
    let cert_pem = cert.pem();
    write_public_file(out, cert_pem.as_bytes())
        .map_err(|e| format!("writing the certificate to {}: {e}", out.display()))?;
    load_pair(
        cert_pem.as_bytes(),
        key.serialize_pem().as_bytes(),
        provider,
    )
}

/// The calendar year, near enough (within a day) for certificate validity bounds.
fn current_year() -> i32 {
    const SECONDS_PER_YEAR: u64 = 31_556_952; // 365.2425 days
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + i32::try_from(since_epoch / SECONDS_PER_YEAR).unwrap_or(0)
}

fn write_public_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

/// The certificate every new handshake gets; swapped whole on reload.
pub struct CertResolver {
    current: ArcSwap<CertifiedKey>,
}

impl CertResolver {
    pub fn new(cert: &LoadedCert) -> Self {
        CertResolver {
            current: ArcSwap::new(cert.certified.clone()),
        }
    }

    /// A resolver that always gives `certified` (a handshake proving a new pair).
    pub fn of(certified: Arc<CertifiedKey>) -> Self {
        CertResolver {
            current: ArcSwap::new(certified),
        }
    }

    pub fn replace(&self, cert: &LoadedCert) {
        self.current.store(cert.certified.clone());
    }
}

impl fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertResolver").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The rustls configuration of the webhook port, and the client CA verifier to reload when
/// `--client-ca` is given.
pub fn server_config(
    resolver: Arc<CertResolver>,
    client_ca: Option<&Path>,
    provider: Arc<CryptoProvider>,
) -> Result<(Arc<ServerConfig>, Option<Arc<ClientCaVerifier>>), String> {
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS configuration: {e}"))?;
    let reloadable = match client_ca {
        None => None,
        Some(path) => {
            let pem =
                super::chain::read_file_blocking(path).map_err(|e| format!("--client-ca {e}"))?;
            let verifier = client_verifier(&pem, &provider)
                .map_err(|e| format!("--client-ca {}: {e}", path.display()))?;
            Some(Arc::new(ClientCaVerifier {
                current: ArcSwap::from_pointee(Current(verifier)),
            }))
        }
    };
    let verifier: Arc<dyn ClientCertVerifier> = match &reloadable {
        None => WebPkiClientVerifier::no_client_auth(),
        Some(v) => v.clone(),
    };
    let mut config = builder
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((Arc::new(config), reloadable))
}

/// A verifier requiring client certificates signed by one of the CAs in `pem`.
fn client_verifier(
    pem: &[u8],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    if roots.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())
}

#[derive(Debug)]
struct Current(Arc<dyn ClientCertVerifier>);

/// The `--client-ca` verifier every handshake asks, swapped whole on reload. It names no
/// acceptable CAs in its certificate request (the names would have to outlive a swap):
/// clients then send the certificate they have, as Go's client (kube-apiserver's) and
/// rustls's do, and it is verified against the CAs in use.
#[derive(Debug)]
pub struct ClientCaVerifier {
    current: ArcSwap<Current>,
}

impl ClientCaVerifier {
    fn replace(&self, verifier: Arc<dyn ClientCertVerifier>) {
        self.current.store(Arc::new(Current(verifier)));
    }
}

impl ClientCertVerifier for ClientCaVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        self.current
            .load()
            .0
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.current
            .load()
            .0
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.current
            .load()
            .0
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.current.load().0.supported_verify_schemes()
    }
}

/// Polls the `--client-ca` file and swaps in a new verifier when its contents change; a file
/// that does not load is logged and counted as a failed reload, and the CAs in use stay.
pub struct ClientCaReloader {
    pub path: PathBuf,
    pub interval: Duration,
    pub verifier: Arc<ClientCaVerifier>,
    pub metrics: Arc<Metrics>,
    pub provider: Arc<CryptoProvider>,
}

impl ClientCaReloader {
    /// Runs until shutdown starts. The file's contents at start are read again first, as the
    /// fingerprint of what is in use.
    pub async fn run(self, mut shutdown: ShutdownSignal) {
        let fingerprint = |pem: &[u8]| Fingerprint::of(pem, b"");
        let mut loaded = match super::chain::read_file(&self.path).await {
            Ok(pem) => fingerprint(&pem),
            Err(e) => Fingerprint::of_error(&e.to_string()),
        };
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.started() => return,
            }
            let (seen, result) = match super::chain::read_file(&self.path).await {
                Ok(pem) => (fingerprint(&pem), client_verifier(&pem, &self.provider)),
                Err(e) => (Fingerprint::of_error(&e), Err(e)),
            };
            if seen == loaded {
                continue;
            }
            loaded = seen;
            match result {
                Ok(verifier) => {
                    self.verifier.replace(verifier);
                    self.metrics.cert_reloaded(true);
                    tracing::info!(client_ca = %self.path.display(), "client CA reloaded");
                }
                Err(e) => {
                    self.metrics.cert_reloaded(false);
                    tracing::error!(client_ca = %self.path.display(), error = %e, "new client CA refused; keeping the CAs in use");
                }
            }
        }
    }
}

/// Polls the certificate and key files and swaps in a new pair when their contents change.
pub struct Reloader {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub interval: Duration,
    pub resolver: Arc<CertResolver>,
    pub metrics: Arc<Metrics>,
    pub provider: Arc<CryptoProvider>,
}

impl Reloader {
    /// Runs until shutdown starts. `loaded` is the fingerprint of the files already in use.
    pub async fn run(self, mut loaded: Fingerprint, mut shutdown: ShutdownSignal) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.started() => return,
            }
            let (cert_pem, key_pem) = match read_pair(&self.cert_path, &self.key_path).await {
                Ok(pair) => pair,
                Err(e) => {
                    // Mid-swap, or the Secret is being recreated: try again at the next tick,
                    // and say so once per distinct problem.
                    let seen = Fingerprint::of_error(&e);
                    if seen != loaded {
                        tracing::error!(error = %e, "serving certificate files unreadable; keeping the certificate in use");
                        self.metrics.cert_reloaded(false);
                        loaded = seen;
                    }
                    continue;
                }
            };
            let seen = Fingerprint::of(&cert_pem, &key_pem);
            if seen == loaded {
                continue;
            }
            loaded = seen;
            match load_pair(&cert_pem, &key_pem, &self.provider) {
                // An expired replacement would make every handshake fail while the one in use
                // may still be good: refused like a broken pair, so the reload alert fires.
                Ok(cert) if cert.is_expired() => {
                    self.metrics.cert_reloaded(false);
                    tracing::error!(cert = %self.cert_path.display(), certificate = %cert.description, "new serving certificate has expired; keeping the one in use");
                }
                Ok(cert) => {
                    self.resolver.replace(&cert);
                    self.metrics.cert_expiry.set(cert.not_after);
                    self.metrics.cert_reloaded(true);
                    tracing::info!(cert = %self.cert_path.display(), certificate = %cert.description, "serving certificate reloaded");
                }
                Err(e) => {
                    self.metrics.cert_reloaded(false);
                    tracing::error!(cert = %self.cert_path.display(), key = %self.key_path.display(), error = %e, "new serving certificate refused; keeping the one in use");
                }
            }
        }
    }
}

/// Reads both files (through any symlinks, as a reader of a mounted Secret must), as one
/// version of the pair when the writer swaps both at once, as the kubelet does.
///
/// The kubelet swaps a Secret volume's files together (the `..data` symlink), but two reads
/// can straddle a swap and return the old certificate with the new key: a pair that does not
/// match, refused and counted as a failed reload although nothing was wrong. So the
/// certificate is read again after the key, and the pair read again while it changed or while
/// a read failed (a file can vanish for a moment as the old version's directory is removed).
/// A writer that replaces the two files one after the other can still be caught half-way; the
/// next tick reads the finished pair.
pub async fn read_pair(cert: &Path, key: &Path) -> Result<(Vec<u8>, Vec<u8>), String> {
    // Each file's size is checked before it is read: a serving pair is a few KiB.
    async fn read(path: &Path) -> Result<Vec<u8>, String> {
        super::chain::read_file(path).await
    }
    let mut last = String::new();
    // Swaps come minutes apart; a few tries are plenty.
    for _ in 0..5 {
        let attempt = async {
            let cert_pem = read(cert).await?;
            let key_pem = read(key).await?;
            let again = read(cert).await?;
            Ok::<_, String>((cert_pem, key_pem, again))
        };
        match attempt.await {
            Ok((cert_pem, key_pem, again)) if again == cert_pem => return Ok((cert_pem, key_pem)),
            Ok(_) => {
                last = format!(
                    "{} and {} kept changing while being read",
                    cert.display(),
                    key.display()
                );
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// What the files held when last read: a hash of both, so the key's bytes are not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Fingerprint {
    pub fn of(cert_pem: &[u8], key_pem: &[u8]) -> Self {
        let mut h = DefaultHasher::new();
        cert_pem.hash(&mut h);
        key_pem.hash(&mut h);
        Fingerprint(h.finish())
    }

    fn of_error(e: &str) -> Self {
        let mut h = DefaultHasher::new();
        "unreadable".hash(&mut h);
        e.hash(&mut h);
        Fingerprint(h.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Secret volume swapped (as the kubelet swaps it: a new directory, then the `..data`
    /// symlink renamed over) as fast as it goes while the pair is read: every read is one
    /// version's certificate with the same version's key.
    #[tokio::test]
    async fn a_pair_read_during_swaps_is_never_torn() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let write_version = move |n: u32| {
            let version = root.join(format!("..v{n}"));
            std::fs::create_dir(&version).unwrap();
            std::fs::write(version.join("tls.crt"), format!("cert {n}")).unwrap();
            std::fs::write(version.join("tls.key"), format!("key {n}")).unwrap();
            let tmp = root.join("..data_tmp");
            std::os::unix::fs::symlink(format!("..v{n}"), &tmp).unwrap();
            std::fs::rename(&tmp, root.join("..data")).unwrap();
            if n > 0 {
                let _ = std::fs::remove_dir_all(root.join(format!("..v{}", n - 1)));
            }
        };
        write_version(0);
        std::os::unix::fs::symlink("..data/tls.crt", dir.path().join("tls.crt")).unwrap();
        std::os::unix::fs::symlink("..data/tls.key", dir.path().join("tls.key")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapped = Arc::new(AtomicU32::new(0));
        let swapper = {
            let (stop, swapped) = (stop.clone(), swapped.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) && n < 20_000 {
                    n += 1;
                    write_version(n);
                    swapped.store(n, Ordering::Relaxed);
                }
                n
            })
        };
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        // At least 3,000 reads, and on until 200 have succeeded while 200 swaps were made (a
        // busy machine can starve either side), within 30 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let (mut attempts, mut read) = (0, 0);
        while (attempts < 3_000 || read < 200 || swapped.load(Ordering::Relaxed) < 200)
            && std::time::Instant::now() < deadline
        {
            attempts += 1;
            // A read can fail while an old directory is removed under it; only a torn pair
            // is wrong.
            if let Ok((c, k)) = super::read_pair(&cert, &key).await {
                let c = String::from_utf8(c).unwrap();
                let k = String::from_utf8(k).unwrap();
                assert_eq!(c.strip_prefix("cert "), k.strip_prefix("key "), "torn read");
                read += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(
            read > 100 && swaps > 100,
            "{read} reads of {attempts} during {swaps} swaps"
        );
    }

    fn provider() -> CryptoProvider {
        rustls::crypto::ring::default_provider()
    }

    fn pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["webhook.example".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn loads_a_pair_and_reads_its_expiry() {
        let (cert, key) = pair();
        let loaded = load_pair(cert.as_bytes(), key.as_bytes(), &provider()).unwrap();
        assert!(loaded.not_after > 0);
        assert!(
            loaded.description.contains("webhook.example"),
            "{}",
            loaded.description
        );
    }

    #[test]
    fn an_expired_certificate_is_noticed() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["old.example".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(1999, 1, 1);
        params.not_after = rcgen::date_time_ymd(2000, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        let loaded = load_pair(
            cert.pem().as_bytes(),
            key.serialize_pem().as_bytes(),
            &provider(),
        )
        .unwrap();
        assert!(loaded.is_expired());
        assert_eq!(loaded.not_after, 946_684_800);
        let (fresh, fresh_key) = pair();
        let fresh = load_pair(fresh.as_bytes(), fresh_key.as_bytes(), &provider()).unwrap();
        assert!(!fresh.is_expired());
    }

    #[test]
    fn refuses_a_key_of_another_certificate() {
        let (cert, _) = pair();
        let (_, other_key) = pair();
        let err = load_pair(cert.as_bytes(), other_key.as_bytes(), &provider()).unwrap_err();
        assert!(err.contains("do not make a pair"), "{err}");
    }

    #[test]
    fn says_what_is_missing() {
        let (cert, key) = pair();
        let err = load_pair(b"", key.as_bytes(), &provider()).unwrap_err();
        assert!(err.contains("no CERTIFICATE"), "{err}");
        let err = load_pair(cert.as_bytes(), cert.as_bytes(), &provider()).unwrap_err();
        assert!(err.contains("no private key"), "{err}");
    }

    #[test]
    fn self_signed_writes_only_the_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub/localhost.pem");
        let loaded = self_signed(&out, &provider()).unwrap();
        let written = std::fs::read_to_string(&out).unwrap();
        assert!(written.contains("BEGIN CERTIFICATE"));
        assert!(!written.contains("PRIVATE KEY"));
        assert!(loaded.description.contains("127.0.0.1"));
        assert!(loaded.description.contains("localhost"));
        // A second run replaces the file.
        self_signed(&out, &provider()).unwrap();
        assert_ne!(std::fs::read_to_string(&out).unwrap(), written);
    }
}
