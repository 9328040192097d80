//! A certificate reload refuses what no client could use, before swapping it in: a file over
//! 1 MiB (refused before it is read), a chain too long or too large to send in a handshake
//! (Go's crypto/tls takes a Certificate message of at most 256 KiB, older Go and rustls 64
//! KiB, OpenSSL 100 KiB), certificates that do not chain. Each is a failed reload; the pair in
//! use stays, and new connections keep getting it.

use std::time::{Duration, Instant};

use crate::common::*;

/// A server on a Secret directory, reloading every 50 ms.
async fn server_on(secret: &SecretDir, ca: Ca) -> TestServer {
    TestServer::start_with(
        ca,
        tempfile::tempdir().unwrap(),
        &secret.cert(),
        &secret.key(),
        &["--cert-reload-interval", "50ms"],
    )
    .await
}

async fn reloads(server: &TestServer, result: &str) -> f64 {
    metric(
        &server.metrics().await,
        &format!("eastwest_guard_tls_cert_reloads_total{{result=\"{result}\"}}"),
    )
    .unwrap_or(0.0)
}

/// The certificate a new connection gets, and whether it served a review.
async fn handshake(
    server: &TestServer,
) -> Result<rustls_pki_types::CertificateDer<'static>, String> {
    let tls = tls_connect(server.webhook, server.client_config(&[b"h2"]))
        .await
        .map_err(|e| e.to_string())?;
    let cert = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    let mut client = Client::over(tls, Protocol::Http2)
        .await
        .map_err(|e| e.to_string())?;
    assert_serves(&mut client, "after a refused reload").await;
    Ok(cert)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_no_client_can_use_is_refused_and_the_pair_in_use_stays() {
    let ca = Ca::new("reload CA");
    let good = ca.server_cert("in-use");
    let next = ca.server_cert("next");
    let dir = tempfile::tempdir().unwrap();
    let mut secret = SecretDir::new(dir.path(), &good.cert_pem, &good.key_pem);
    let mut server = server_on(&secret, ca).await;
    assert_eq!(handshake(&server).await.unwrap(), good.der);

    let other_ca = Ca::new("another CA");
    let intermediate = server.ca.intermediate("intermediate");
    let via = intermediate.server_cert("via-intermediate");
    let cases = [
        (
            "the leaf and 700 copies of its CA",
            format!("{}{}", next.cert_pem, server.ca.pem.repeat(700)),
        ),
        (
            "the leaf and 12 copies of its CA (small, but too many certificates)",
            format!("{}{}", next.cert_pem, server.ca.pem.repeat(12)),
        ),
        (
            "the leaf and a CA that did not sign it",
            format!("{}{}", next.cert_pem, other_ca.pem),
        ),
        (
            "a leaf, the intermediate that signed it, then a CA that did not sign that",
            format!("{}{}{}", via.cert_pem, intermediate.pem, other_ca.pem),
        ),
    ];
    let mut failures = 0.0;
    for (i, (what, chain)) in cases.into_iter().enumerate() {
        let key = if i == 3 { &via.key_pem } else { &next.key_pem };
        secret.swap(&chain, key);
        failures += 1.0;
        let started = Instant::now();
        let counted = eventually(Duration::from_secs(10), || async {
            reloads(&server, "failure").await >= failures
        })
        .await;
        let successes = reloads(&server, "success").await;
        let served = handshake(&server).await;
        eprintln!(
            "{what} ({} bytes): {} in {:?}; reloads counted a success {successes} times; new \
             connections get {}",
            chain.len(),
            if counted { "refused" } else { "not refused" },
            started.elapsed(),
            match &served {
                Ok(cert) if *cert == good.der => "the pair in use".to_owned(),
                Ok(_) => "the new pair".to_owned(),
                Err(e) => format!("a failed handshake: {e}"),
            }
        );
        assert!(counted, "{what}: not counted as a failed reload");
        assert_eq!(successes, 0.0, "{what}: counted as a success");
        assert_eq!(served.unwrap(), good.der, "{what}");
    }

    // A good chain (leaf, intermediate) is still taken.
    let leaf = intermediate.server_cert("through-intermediate");
    secret.swap(
        &format!("{}{}", leaf.cert_pem, intermediate.pem),
        &leaf.key_pem,
    );
    let taken = eventually(Duration::from_secs(10), || async {
        reloads(&server, "success").await >= 1.0
    })
    .await;
    assert!(taken, "a good chain was refused");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_1_mib_is_refused_before_it_is_read() {
    let ca = Ca::new("reload CA");
    let good = ca.server_cert("in-use");
    let dir = tempfile::tempdir().unwrap();
    let mut secret = SecretDir::new(dir.path(), &good.cert_pem, &good.key_pem);
    let mut server = server_on(&secret, ca).await;
    // 50 MB: the certificate, then comments (PEM ignores text outside its blocks).
    let padding = "# padding\n".repeat(5_000_000);
    let big = format!("{}{padding}", good.cert_pem);
    let started = Instant::now();
    secret.swap(&big, &good.key_pem);
    let counted = eventually(Duration::from_secs(10), || async {
        reloads(&server, "failure").await >= 1.0
    })
    .await;
    eprintln!(
        "a {} byte tls.crt: {} in {:?}",
        big.len(),
        if counted { "refused" } else { "taken" },
        started.elapsed()
    );
    assert!(counted);
    assert_eq!(reloads(&server, "success").await, 0.0);
    assert_eq!(handshake(&server).await.unwrap(), good.der);
    server.stop().await;
}

/// The same checks at start: exit 1, naming the flag and the file.
#[test]
fn a_pair_no_client_can_use_stops_the_start() {
    let ca = Ca::new("start CA");
    let leaf = ca.server_cert("start");
    let other = Ca::new("another CA");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let key = write("tls.key", &leaf.key_pem);
    let good = write("tls.crt", &leaf.cert_pem);
    let big = dir.path().join("big.crt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    let big = big.display().to_string();
    let unchained = write("unchained.crt", &format!("{}{}", leaf.cert_pem, other.pem));
    let long = write(
        "long.crt",
        &format!("{}{}", leaf.cert_pem, ca.pem.repeat(700)),
    );
    let cases = [
        (
            vec!["--tls-cert", &big, "--tls-key", &key],
            "--tls-cert",
            "big.crt",
            "1 MiB",
        ),
        (
            vec!["--tls-cert", &unchained, "--tls-key", &key],
            "--tls-cert",
            "unchained.crt",
            "not signed",
        ),
        (
            vec!["--tls-cert", &long, "--tls-key", &key],
            "--tls-cert",
            "long.crt",
            "certificates",
        ),
        (
            vec!["--tls-cert", &good, "--tls-key", &key, "--client-ca", &big],
            "--client-ca",
            "big.crt",
            "1 MiB",
        ),
    ];
    for (flags, flag, file, why) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--probe-listen",
                "127.0.0.1:0",
            ])
            .args(&flags)
            .env_remove("EASTWEST_GUARD_CLIENT_CA")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {stderr}");
        for needle in [flag, file, why] {
            assert!(
                stderr.contains(needle),
                "{flags:?}: {needle:?} not in {stderr}"
            );
        }
    }
}
