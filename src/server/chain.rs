//! What a serving certificate must be before it is used, at start and on every reload: files
//! of sane size, a chain every client can receive and that chains, and a pair that completes a
//! real handshake. A pair that fails is refused (at start: exit 1; on reload: a failed reload,
//! the pair in use staying), because swapping it in would fail every handshake after it.
//!
//! Limits on what a client takes (from their sources):
//! - rustls refuses any handshake message over 64 KiB (`MAX_HANDSHAKE_SIZE = 0xffff`);
//! - Go's crypto/tls (kube-apiserver) refuses a Certificate message over 256 KiB
//!   (`maxHandshakeCertificateMsg`) and any other handshake message over 64 KiB
//!   (`maxHandshake`): "tls: handshake message of length N bytes exceeds maximum";
//! - OpenSSL refuses a peer's chain over 100 kB by default (`SSL_CTX_set_max_cert_list`):
//!   "excessive message size".
//!
//! So the Certificate message the chain makes must fit in 64 KiB, the smallest of them.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, ClientConnection, Connection, DigitallySignedStruct, ServerConfig,
    ServerConnection,
};

/// Largest certificate, key or client CA file read; larger ones are refused before they are
/// read (a serving chain is a few KiB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Most certificates in the serving chain: a leaf and its intermediates (a root is not sent).
pub const MAX_CHAIN_CERTS: usize = 10;

/// Largest TLS 1.3 Certificate message the chain may make: rustls' limit (the smallest of the
/// clients' above).
pub const MAX_CERTIFICATE_MESSAGE: usize = 0xffff;

/// Reads a PEM file of at most [`MAX_FILE_BYTES`]: its size is checked on the open file before
/// anything is read, and at most one byte more is read (a file that grows meanwhile).
pub async fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt as _;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(too_big(path, size));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(path, out.len() as u64));
    }
    Ok(out)
}

/// [`read_file`], blocking (at start, before the runtime serves anything).
pub fn read_file_blocking(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(too_big(path, size));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(path, out.len() as u64));
    }
    Ok(out)
}

fn too_big(path: &Path, size: u64) -> String {
    format!(
        "{}: {size} bytes, over the limit of {MAX_FILE_BYTES} (1 MiB); not read",
        path.display()
    )
}

/// Checks that `chain` (leaf first) can be sent and that each certificate is signed by the
/// next: its issuer is the next one's subject, and the next one's key verifies its signature.
pub fn check_chain(chain: &[CertificateDer<'_>]) -> Result<(), String> {
    if chain.len() > MAX_CHAIN_CERTS {
        return Err(format!(
            "the chain has {} certificates; at most {MAX_CHAIN_CERTS} (a leaf and its \
             intermediates) are sent",
            chain.len()
        ));
    }
    // TLS 1.3: a context byte and the list's length, then each certificate with its length and
    // (empty) extensions.
    let message: usize = 4 + chain.iter().map(|c| c.len() + 5).sum::<usize>();
    if message > MAX_CERTIFICATE_MESSAGE {
        return Err(format!(
            "the chain makes a {message}-byte Certificate message; clients refuse one over \
             {MAX_CERTIFICATE_MESSAGE} bytes (rustls, Go before its 256 KiB certificate limit, \
             OpenSSL at 100 kB), so no handshake would complete"
        ));
    }
    let parsed = chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            x509_parser::parse_x509_certificate(der)
                .map(|(_, c)| c)
                .map_err(|e| {
                    format!(
                        "certificate {} of {}: not valid X.509: {e}",
                        i + 1,
                        chain.len()
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, pair) in parsed.windows(2).enumerate() {
        let (cert, issuer) = (&pair[0], &pair[1]);
        let signed = cert.issuer().as_raw() == issuer.subject().as_raw()
            && cert.verify_signature(Some(issuer.public_key())).is_ok();
        if !signed {
            return Err(format!(
                "certificate {} of {} ({}) is not signed by the next one ({}): a chain is the \
                 leaf, then the certificate that signed it, and so on",
                i + 1,
                chain.len(),
                cert.subject(),
                issuer.subject()
            ));
        }
    }
    Ok(())
}

/// Completes a TLS 1.3 and a TLS 1.2 handshake in memory with `certified` as the server's
/// certificate: the key signs what the client verifies, and every message fits what a client
/// takes. The chain's trust is not checked (clients trust it through their own CA bundle).
pub fn prove(certified: &Arc<CertifiedKey>, provider: &CryptoProvider) -> Result<(), String> {
    let provider = Arc::new(provider.clone());
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        handshake(certified, &provider, version).map_err(|e| {
            format!(
                "a {} handshake with it fails: {e}",
                if version.version == rustls::ProtocolVersion::TLSv1_3 {
                    "TLS 1.3"
                } else {
                    "TLS 1.2"
                }
            )
        })?;
    }
    Ok(())
}

fn handshake(
    certified: &Arc<CertifiedKey>,
    provider: &Arc<CryptoProvider>,
    version: &'static rustls::SupportedProtocolVersion,
) -> Result<(), String> {
    let server_config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(super::tls::CertResolver::of(certified.clone())));
    let client_config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(SignaturesOnly(provider.clone())))
        .with_no_client_auth();
    let name = ServerName::try_from("eastwest-guard.invalid").map_err(|e| e.to_string())?;
    let mut client = Connection::Client(
        ClientConnection::new(Arc::new(client_config), name).map_err(|e| e.to_string())?,
    );
    let mut server = Connection::Server(
        ServerConnection::new(Arc::new(server_config)).map_err(|e| e.to_string())?,
    );
    // A TLS 1.2 handshake takes two flights each way; a few more rounds are slack.
    for _ in 0..8 {
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
        pass(&mut client, &mut server).map_err(|e| format!("the server refused: {e}"))?;
        pass(&mut server, &mut client).map_err(|e| format!("a client refuses it: {e}"))?;
    }
    Err("the handshake did not complete".to_owned())
}

/// Moves what `from` has to send into `to`, and lets `to` process it.
fn pass(from: &mut Connection, to: &mut Connection) -> Result<(), rustls::Error> {
    let mut wire = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut wire)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        let read = to
            .read_tls(&mut rest)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        if read == 0 {
            break;
        }
        to.process_new_packets()?;
    }
    Ok(())
}

/// A client's verifier that takes the server's certificate as it is (the chain is checked on
/// its own, and trust is the clients' to decide) and checks the handshake's signatures.
#[derive(Debug)]
struct SignaturesOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for SignaturesOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_too_large_to_send_is_refused_before_it_is_parsed() {
        let big = vec![0u8; 40 * 1024];
        let chain = [
            CertificateDer::from(&big[..]),
            CertificateDer::from(&big[..]),
        ];
        let e = check_chain(&chain).unwrap_err();
        assert!(e.contains("Certificate message"), "{e}");
        let many = vec![CertificateDer::from(&[0u8; 16][..]); MAX_CHAIN_CERTS + 1];
        let e = check_chain(&many).unwrap_err();
        assert!(e.contains("at most 10"), "{e}");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_by_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.pem");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = read_file_blocking(&path).unwrap_err();
        assert!(
            e.contains("over the limit") && e.contains("not read"),
            "{e}"
        );
        file.set_len(16).unwrap();
        assert_eq!(read_file_blocking(&path).unwrap().len(), 16);
    }
}
