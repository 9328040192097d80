//! The webhook over real TLS connections: the real server in-process on 127.0.0.1 port 0,
//! certificates made here, a rustls client verifying the server against the test CA, over
//! HTTP/1.1 and HTTP/2.

use std::time::Duration;

use crate::common::*;
use base64::Engine as _;
use hyper::{StatusCode, Version};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn response(reply: &Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.headers["content-type"], "application/json",
        "{:?}",
        reply.headers
    );
    let v = reply.json();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

fn expect_version(reply: &Reply, protocol: Protocol) {
    let expected = match protocol {
        Protocol::Http1 => Version::HTTP_11,
        Protocol::Http2 => Version::HTTP_2,
    };
    assert_eq!(reply.version, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_allows_denies_and_warns_over_http1_and_http2() {
    let mut server = TestServer::start(&[]).await;
    for protocol in Protocol::BOTH {
        // One connection per protocol carries every request: keep-alive / multiplexed.
        let mut client = server.client(protocol).await;

        // No traffic.tetrate.io/ key: allowed, nothing else said.
        let body = review("namespace-create-plain");
        let reply = client
            .post("/validate?timeout=10s", body.clone())
            .await
            .unwrap();
        expect_version(&reply, protocol);
        let r = response(&reply);
        assert_eq!(r["uid"], uid_of(&body));
        assert_eq!(r["allowed"], true);
        for absent in [
            "patch",
            "patchType",
            "warnings",
            "status",
            "auditAnnotations",
        ] {
            assert!(r.get(absent).is_none(), "{absent} in {r}");
        }

        // Two deny rules: 403 Forbidden, both full messages, audit annotation.
        let body = review("namespace-create-denied");
        let r = response(
            &client
                .post("/validate?timeout=10s", body.clone())
                .await
                .unwrap(),
        );
        assert_eq!(r["uid"], uid_of(&body));
        assert_eq!(r["allowed"], false);
        assert_eq!(r["status"]["code"], 403);
        assert_eq!(r["status"]["reason"], "Forbidden");
        let message = r["status"]["message"].as_str().unwrap();
        for part in [
            "EW001 Namespace \"payments\": annotation traffic.tetrate.io/global is \"True\"",
            "EW005 Namespace \"payments\": annotation traffic.tetrate.io/eastwest-gateway-workload-selector is \"app = payments-gw\"",
            "Fix:",
        ] {
            assert!(message.contains(part), "{part:?} missing from {message}");
        }
        assert_eq!(r["auditAnnotations"]["denied-rules"], "EW001,EW005");
        assert!(r.get("patch").is_none());

        // Namespace-level to off in place: EW020 denies.
        let r = response(
            &client
                .post("/validate", review("namespace-update-switch-off"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], false, "{r}");
        assert!(r["status"]["message"].as_str().unwrap().contains("EW020"));

        // The same switch through namespaces/status (kube-apiserver keeps a status write's
        // metadata): denied the same way, and never patched.
        let mut through_status: Value =
            serde_json::from_slice(&review("namespace-update-switch-off")).unwrap();
        through_status["request"]["subResource"] = "status".into();
        let through_status = serde_json::to_vec(&through_status).unwrap();
        let r = response(
            &client
                .post("/validate", through_status.clone())
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], false, "{r}");
        assert!(r["status"]["message"].as_str().unwrap().contains("EW020"));
        let r = response(&client.post("/mutate", through_status).await.unwrap());
        assert_eq!(r["allowed"], true, "{r}");
        assert!(r.get("patch").is_none(), "{r}");

        // Service with the label written as an annotation: EW012.
        let r = response(
            &client
                .post("/validate", review("service-create-denied"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], false, "{r}");
        let message = r["status"]["message"].as_str().unwrap();
        assert!(message.contains("EW012"), "{message}");
        // A CREATE: the object does not exist yet, so the fix is the edit of its manifest.
        assert!(
            message.contains("move traffic.tetrate.io/global from metadata.annotations"),
            "{message}"
        );

        // Warnings: allowed, one short line each, audit annotation; dry run is judged alike.
        for (fixture, rule) in [
            ("namespace-create-warned", "EW030"),
            ("service-create-externalname", "EW040"),
        ] {
            let r = response(&client.post("/validate", review(fixture)).await.unwrap());
            assert_eq!(r["allowed"], true, "{r}");
            let warnings = r["warnings"].as_array().unwrap();
            assert!(!warnings.is_empty());
            for w in warnings {
                let w = w.as_str().unwrap();
                assert!(w.starts_with(rule), "{w}");
                assert!(!w.contains(['\n', '\t']), "{w:?}");
                // About 120, and the fix after it where it fits (kubectl prints only this).
                assert!(w.chars().count() <= 220, "{} chars: {w}", w.chars().count());
            }
            assert_eq!(r["auditAnnotations"]["warned-rules"], rule);
        }

        // DELETE, a status write that leaves the traffic.tetrate.io/ keys alone, another kind:
        // allowed, no patch, nothing said, on both endpoints, even when the object carries bad
        // values.
        for fixture in [
            "namespace-delete",
            "namespace-update-status",
            "configmap-create",
        ] {
            for path in ["/validate", "/mutate"] {
                let body = review(fixture);
                let r = response(&client.post(path, body.clone()).await.unwrap());
                assert_eq!(r["uid"], uid_of(&body));
                assert_eq!(r["allowed"], true, "{fixture} {path}: {r}");
                assert!(r.get("patch").is_none(), "{fixture} {path}: {r}");
                assert!(r.get("warnings").is_none(), "{fixture} {path}: {r}");
            }
        }
    }

    let metrics = server.metrics().await;
    for (series, at_least) in [
        (
            "eastwest_guard_admission_requests_total{endpoint=\"validate\",kind=\"Namespace\",operation=\"CREATE\",outcome=\"denied\"}",
            2.0,
        ),
        (
            "eastwest_guard_admission_requests_total{endpoint=\"validate\",kind=\"Service\",operation=\"CREATE\",outcome=\"warned\"}",
            2.0,
        ),
        (
            "eastwest_guard_admission_requests_total{endpoint=\"mutate\",kind=\"other\",operation=\"CREATE\",outcome=\"allowed\"}",
            2.0,
        ),
        (
            "eastwest_guard_rule_hits_total{rule=\"EW005\",level=\"deny\"}",
            2.0,
        ),
        (
            "eastwest_guard_rule_hits_total{rule=\"EW030\",level=\"warn\"}",
            2.0,
        ),
        (
            "eastwest_guard_admission_request_duration_seconds_count{endpoint=\"validate\"}",
            18.0,
        ),
    ] {
        let value = metric(&metrics, series).unwrap_or_else(|| panic!("{series} missing"));
        assert!(value >= at_least, "{series} = {value}");
    }
    assert_eq!(server.stop().await, eastwest_guard::server::Drained::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutate_returns_a_base64_json_patch_that_applies() {
    let mut server = TestServer::start(&[]).await;
    for protocol in Protocol::BOTH {
        let mut client = server.client(protocol).await;
        let body = review("namespace-create-defaults");
        let reply = client
            .post("/mutate?timeout=10s", body.clone())
            .await
            .unwrap();
        let raw = reply.text();
        let r = response(&reply);
        assert_eq!(r["uid"], uid_of(&body));
        assert_eq!(r["allowed"], true);
        assert_eq!(r["patchType"], "JSONPatch");
        // On the wire the patch is a base64 string, not kube's array of byte values.
        let encoded = r["patch"].as_str().expect("patch must be a string");
        assert!(raw.contains(&format!("\"patch\":\"{encoded}\"")), "{raw}");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let patch: json_patch::Patch = serde_json::from_slice(&decoded).unwrap();
        assert!(
            String::from_utf8(decoded)
                .unwrap()
                .contains("traffic.tetrate.io~1eastwest"),
            "keys with / must be escaped as ~1"
        );

        let mut object = review_json("namespace-create-defaults")["request"]["object"].clone();
        json_patch::patch(&mut object, &patch).unwrap();
        let ann = &object["metadata"]["annotations"];
        assert_eq!(ann["traffic.tetrate.io/eastwest-gateway-name"], "orders-gw");
        assert_eq!(
            ann["traffic.tetrate.io/eastwest-gateway-workload-selector"],
            "app=orders-gw"
        );
        assert_eq!(
            ann["traffic.tetrate.io/eastwest-gateway-namespace"],
            "tetrate-system"
        );
        assert_eq!(ann["traffic.tetrate.io/eastwest-gateway-deploy"], "true");
        assert_eq!(ann["traffic.tetrate.io/global"], "true");
        let defaulted = r["auditAnnotations"]["defaulted"].as_str().unwrap();
        assert!(
            defaulted.contains("traffic.tetrate.io/eastwest-gateway-namespace=tetrate-system"),
            "{defaulted}"
        );

        // The patched object passes validation, and mutating it again adds nothing
        // (reinvocationPolicy: IfNeeded is safe).
        let mut again = review_json("namespace-create-defaults");
        again["request"]["object"] = object;
        let again = serde_json::to_vec(&again).unwrap();
        let r = response(&client.post("/mutate", again.clone()).await.unwrap());
        assert!(r.get("patch").is_none(), "{r}");
        assert!(r.get("patchType").is_none(), "{r}");
        let r = response(&client.post("/validate", again).await.unwrap());
        assert_eq!(r["allowed"], true, "{r}");
        assert!(r.get("patch").is_none());

        // /mutate never denies, even a Namespace /validate rejects.
        let r = response(
            &client
                .post("/mutate", review("namespace-create-denied"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], true, "{r}");
        assert!(r.get("status").is_none(), "{r}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_one_line_reasons_and_the_connection_survives() {
    let mut server = TestServer::start(&["--max-body-bytes", "65536"]).await;
    let good = review_json("namespace-create-plain");
    let mut wrong_version = good.clone();
    wrong_version["apiVersion"] = "admission.k8s.io/v1beta1".into();
    let mut wrong_kind = good.clone();
    wrong_kind["kind"] = "ConfigMap".into();
    let mut no_request = good.clone();
    no_request.as_object_mut().unwrap().remove("request");
    // A whole review written as an array, field by field: serde's derive would read it.
    let as_array =
        serde_json::json!([good["apiVersion"], good["kind"], good["request"]]).to_string();
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "POST",
            "/validate",
            b"{\"kind\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed JSON",
        ),
        (
            "POST",
            "/mutate",
            b"[]".to_vec(),
            StatusCode::BAD_REQUEST,
            "not an AdmissionReview",
        ),
        (
            "POST",
            "/validate",
            as_array.into_bytes(),
            StatusCode::BAD_REQUEST,
            "not an AdmissionReview: a JSON array",
        ),
        (
            "POST",
            "/validate",
            b"{\"hello\":\"world\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "not an AdmissionReview",
        ),
        (
            "POST",
            "/validate",
            serde_json::to_vec(&wrong_version).unwrap(),
            StatusCode::BAD_REQUEST,
            "apiVersion is \"admission.k8s.io/v1beta1\"",
        ),
        (
            "POST",
            "/validate",
            serde_json::to_vec(&wrong_kind).unwrap(),
            StatusCode::BAD_REQUEST,
            "kind is \"ConfigMap\"",
        ),
        (
            "POST",
            "/mutate",
            serde_json::to_vec(&no_request).unwrap(),
            StatusCode::BAD_REQUEST,
            "no request",
        ),
        (
            "POST",
            "/validate",
            vec![b'['; 70_000][..60_000].to_vec(),
            StatusCode::BAD_REQUEST,
            "not an AdmissionReview",
        ),
        (
            "POST",
            "/admit",
            review("namespace-create-plain"),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            "GET",
            "/validate",
            Vec::new(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        ),
        (
            "PUT",
            "/mutate",
            review("namespace-create-plain"),
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        ),
    ];
    for protocol in Protocol::BOTH {
        let mut client = server.client(protocol).await;
        for (method, path, body, status, reason) in &cases {
            let reply = client.send(method, path, body.clone()).await.unwrap();
            assert_eq!(reply.status, *status, "{method} {path}: {}", reply.text());
            let text = reply.text();
            assert!(
                text.contains(reason),
                "{method} {path}: {text:?} lacks {reason:?}"
            );
            assert_eq!(text.trim_end().lines().count(), 1, "{text:?}");
            // The same connection still serves a good request.
            let body = review("namespace-create-plain");
            let r = response(&client.post("/validate", body.clone()).await.unwrap());
            assert_eq!(r["uid"], uid_of(&body));
        }
        // Over the body limit: 413, with or without Content-Length. HTTP/2 keeps the
        // connection (only the stream is refused).
        let big = vec![b' '; 70_000];
        let reply = client.post("/validate", big).await.unwrap();
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            reply.text()
        );
        assert!(reply.text().contains("--max-body-bytes"));
        // The rest of a body over the limit is read and dropped after the 413 (up to four
        // times the limit), so the connection serves on over both protocols.
        let r = response(
            &client
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], true, "{protocol:?}");
    }
    let metrics = server.metrics().await;
    let bad = metric(
        &metrics,
        "eastwest_guard_admission_requests_total{endpoint=\"validate\",kind=\"unknown\",operation=\"unknown\",outcome=\"bad_request\"}",
    )
    .unwrap();
    assert!(bad >= 8.0, "{bad}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_versions_and_alpn_pick_the_protocol() {
    let mut server = TestServer::start(&[]).await;
    let roots = [server.ca.der()];
    for (versions, alpn, protocol, expected) in [
        (
            &[&rustls::version::TLS12][..],
            &[&b"http/1.1"[..]][..],
            Protocol::Http1,
            Version::HTTP_11,
        ),
        (
            &[&rustls::version::TLS12][..],
            &[&b"h2"[..]][..],
            Protocol::Http2,
            Version::HTTP_2,
        ),
        (
            &[&rustls::version::TLS13][..],
            &[&b"h2"[..], &b"http/1.1"[..]][..],
            Protocol::Http2,
            Version::HTTP_2,
        ),
        (
            &[&rustls::version::TLS13][..],
            &[][..],
            Protocol::Http1,
            Version::HTTP_11,
        ),
    ] {
        let config = client_config_versions(&roots, alpn, None, versions);
        let tls = tls_connect(server.webhook, config).await.unwrap();
        let negotiated = tls.get_ref().1.protocol_version().unwrap();
        assert_eq!(Some(negotiated), versions.first().map(|v| v.version));
        let mut client = Client::over(tls, protocol).await.unwrap();
        let reply = client
            .post("/validate", review("namespace-create-plain"))
            .await
            .unwrap();
        assert_eq!(reply.version, expected);
        assert_eq!(response(&reply)["allowed"], true);
    }
    // A client that trusts another CA refuses the server.
    let other = Ca::new("someone else");
    let config = client_config(&[other.der()], &[b"h2"], None);
    assert!(tls_connect(server.webhook, config).await.is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_requires_a_client_certificate_from_the_client_ca() {
    let client_ca = Ca::new("kube-apiserver client CA");
    let dir = tempfile::tempdir().unwrap();
    let client_ca_file = dir.path().join("client-ca.crt");
    std::fs::write(&client_ca_file, &client_ca.pem).unwrap();
    let mut server = TestServer::start(&["--client-ca", client_ca_file.to_str().unwrap()]).await;
    let roots = [server.ca.der()];

    // The right client certificate: served, over both protocols.
    let apiserver = client_ca.client_cert("kube-apiserver");
    for protocol in Protocol::BOTH {
        let config = client_config(&roots, protocol.alpn(), Some(&apiserver));
        let mut client = Client::connect(server.webhook, config, protocol)
            .await
            .unwrap();
        let r = response(
            &client
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], true);
    }

    // No certificate, or one from another CA: refused. (With TLS 1.3 the client learns it
    // on its first read, so try a whole request.)
    let stranger = Ca::new("not trusted").client_cert("kube-apiserver");
    for cert in [None, Some(&stranger)] {
        let config = client_config(&roots, Protocol::Http1.alpn(), cert);
        let refused = match Client::connect(server.webhook, config, Protocol::Http1).await {
            Err(_) => true,
            Ok(mut client) => client
                .post("/validate", review("namespace-create-plain"))
                .await
                .is_err(),
        };
        assert!(refused, "a client without a trusted certificate was served");
    }
    // The client sees the refusal (the alert) before the server's task counts it: wait for
    // the count, within a bound.
    let mut failures = 0.0;
    for _ in 0..100 {
        failures = metric(
            &server.metrics().await,
            "eastwest_guard_tls_handshake_failures_total",
        )
        .unwrap();
        if failures >= 2.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(failures >= 2.0, "{failures}");
    server.stop().await;
}

/// A rotated client CA is picked up without a restart (read at start only, once
/// kube-apiserver's client certificate is reissued by a new CA every handshake would fail
/// until the pods restarted). A file that does not load leaves the CAs in use and counts a
/// failed reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_client_ca_needs_no_restart() {
    let old_ca = Ca::new("client CA 1");
    let new_ca = Ca::new("client CA 2");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("client-ca.crt");
    std::fs::write(&file, &old_ca.pem).unwrap();
    let mut server = TestServer::start(&[
        "--client-ca",
        file.to_str().unwrap(),
        "--cert-reload-interval",
        "50ms",
    ])
    .await;
    let roots = [server.ca.der()];
    let old_client = old_ca.client_cert("kube-apiserver");
    let new_client = new_ca.client_cert("kube-apiserver");
    let serves = |cert: &Leaf| {
        let config = client_config(&roots, Protocol::Http1.alpn(), Some(cert));
        let webhook = server.webhook;
        async move {
            match Client::connect(webhook, config, Protocol::Http1).await {
                Err(_) => false,
                Ok(mut client) => client
                    .post("/validate", review("namespace-create-plain"))
                    .await
                    .is_ok_and(|r| r.status == StatusCode::OK),
            }
        }
    };
    assert!(serves(&old_client).await);
    assert!(!serves(&new_client).await);

    // Both CAs during the rollout, then only the new one.
    std::fs::write(&file, format!("{}{}", new_ca.pem, old_ca.pem)).unwrap();
    assert!(
        eventually(Duration::from_secs(10), || serves(&new_client)).await,
        "the new client CA was never picked up"
    );
    assert!(serves(&old_client).await);
    std::fs::write(&file, &new_ca.pem).unwrap();
    assert!(
        eventually(Duration::from_secs(10), || {
            let s = serves(&old_client);
            async move { !s.await }
        })
        .await,
        "the old client CA was never dropped"
    );
    assert!(serves(&new_client).await);

    // Garbage in the file: refused as a reload, the CA in use stays.
    std::fs::write(&file, "not a certificate\n").unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            metric(
                &server.metrics().await,
                "eastwest_guard_tls_cert_reloads_total{result=\"failure\"}",
            )
            .unwrap_or(0.0)
                >= 1.0
        })
        .await
    );
    assert!(serves(&new_client).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_by_secret_symlink_swap_needs_no_restart() {
    let ca = Ca::new("rotation CA");
    let first = ca.server_cert("webhook-first");
    let second = ca.server_cert("webhook-second");
    let dir = tempfile::tempdir().unwrap();
    let mut secret = SecretDir::new(dir.path(), &first.cert_pem, &first.key_pem);
    let (cert, key) = (secret.cert(), secret.key());
    let mut server = TestServer::start_with(
        ca,
        tempfile::tempdir().unwrap(),
        &cert,
        &key,
        &["--cert-reload-interval", "50ms"],
    )
    .await;
    let roots = [server.ca.der()];
    let served = |alpn: &'static [&'static [u8]]| {
        let config = client_config(&roots, alpn, None);
        let addr = server.webhook;
        async move {
            let tls = tls_connect(addr, config).await.unwrap();
            tls.get_ref().1.peer_certificates().unwrap()[0].clone()
        }
    };
    assert_eq!(served(&[b"h2"]).await, first.der);

    // A client keeps sending on one keep-alive connection while the Secret is rotated.
    let mut keep_alive = server.client(Protocol::Http1).await;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let sender = tokio::spawn(async move {
        let mut sent = 0u32;
        let mut failed = Vec::new();
        while !*stop_rx.borrow_and_update() || sent < 10 {
            let body = review("namespace-create-warned");
            match keep_alive.post("/validate", body).await {
                Ok(reply) if reply.status == StatusCode::OK => {}
                Ok(reply) => failed.push(format!("{}: {}", reply.status, reply.text())),
                Err(e) => failed.push(e.to_string()),
            }
            sent += 1;
            if sent > 100_000 {
                break;
            }
        }
        (sent, failed)
    });

    secret.swap(&second.cert_pem, &second.key_pem);
    let mut rotated = false;
    for _ in 0..250 {
        if served(&[b"http/1.1"]).await == second.der {
            rotated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(rotated, "new connections never got the new certificate");
    let metrics = server.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "eastwest_guard_tls_cert_reloads_total{result=\"success\"}"
        ),
        Some(1.0)
    );

    // A broken pair (the key of another certificate) is refused; the current one stays.
    let stray = Ca::new("stray").server_cert("stray");
    secret.swap(&second.cert_pem, &stray.key_pem);
    let refused = eventually(Duration::from_secs(5), || async {
        metric(
            &server.metrics().await,
            "eastwest_guard_tls_cert_reloads_total{result=\"failure\"}",
        ) == Some(1.0)
    })
    .await;
    assert!(refused, "the broken pair was not reported");
    assert_eq!(served(&[b"h2"]).await, second.der);

    // An expired certificate, even with its own key, is refused as a reload (not swapped in
    // and counted a success): the good one in use stays.
    let expired = server.ca.expired_server_cert("webhook-expired");
    secret.swap(&expired.cert_pem, &expired.key_pem);
    let refused = eventually(Duration::from_secs(5), || async {
        metric(
            &server.metrics().await,
            "eastwest_guard_tls_cert_reloads_total{result=\"failure\"}",
        ) == Some(2.0)
    })
    .await;
    assert!(refused, "the expired certificate was not refused");
    assert_eq!(served(&[b"h2"]).await, second.der);

    stop_tx.send_replace(true);
    let (sent, failed) = sender.await.unwrap();
    assert!(
        failed.is_empty(),
        "{} of {sent} requests failed: {failed:?}",
        failed.len()
    );
    assert!(sent >= 10);
    let expiry = metric(
        &server.metrics().await,
        "eastwest_guard_tls_cert_expiry_timestamp_seconds",
    )
    .unwrap();
    assert!(expiry > 1.0e9, "{expiry}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_and_every_key_format_load() {
    let root = Ca::new("root CA");
    let intermediate = root.intermediate("intermediate CA");
    let leaf = intermediate.server_cert("chained");
    let mut cases = vec![
        (
            "chain + PKCS#8",
            format!("{}{}", leaf.cert_pem, intermediate.pem),
            leaf.key_pem.clone(),
        ),
        (
            "chain + SEC1",
            format!("{}{}", leaf.cert_pem, intermediate.pem),
            leaf.sec1_key_pem(),
        ),
    ];
    assert!(cases[1].2.starts_with("-----BEGIN EC PRIVATE KEY-----"));
    match openssl_rsa_pkcs1() {
        Some((pkcs8, pkcs1)) => {
            let key = rcgen::KeyPair::from_pem(&pkcs8).unwrap();
            let rsa_leaf = intermediate.server_cert_for(key);
            cases.push((
                "chain + PKCS#1 (RSA)",
                format!("{}{}", rsa_leaf.cert_pem, intermediate.pem),
                pkcs1,
            ));
        }
        None => eprintln!("openssl not found: skipping the PKCS#1 (RSA) key case"),
    }
    for (name, cert_pem, key_pem) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("tls.crt");
        let key = dir.path().join("tls.key");
        std::fs::write(&cert, cert_pem).unwrap();
        std::fs::write(&key, key_pem).unwrap();
        let ca = Ca::new("unused");
        let mut server = TestServer::start_with(ca, dir, &cert, &key, &[]).await;
        // The client trusts only the root: the server must send the intermediate.
        let config = client_config(&[root.der()], &[b"h2"], None);
        let mut client = Client::connect(server.webhook, config, Protocol::Http2)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = response(
            &client
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], true, "{name}");
        server.stop().await;
    }
}

/// An RSA key as PKCS#8 and as PKCS#1, made by the openssl command when it is installed
/// (ring, the crypto provider, cannot generate RSA keys).
fn openssl_rsa_pkcs1() -> Option<(String, String)> {
    let dir = tempfile::tempdir().ok()?;
    let pkcs8 = dir.path().join("rsa8.pem");
    let pkcs1 = dir.path().join("rsa1.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pkcs8)
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?
        .success()
        && std::process::Command::new("openssl")
            .args(["rsa", "-traditional", "-in"])
            .arg(&pkcs8)
            .arg("-out")
            .arg(&pkcs1)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?
            .success();
    if !ok {
        return None;
    }
    let pkcs1 = std::fs::read_to_string(pkcs1).ok()?;
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    Some((std::fs::read_to_string(pkcs8).ok()?, pkcs1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_report_health_readiness_and_metrics() {
    let mut server = TestServer::start(&["--shutdown-delay", "2s"]).await;
    assert_eq!(probe(server.probes, "/healthz").await.0, StatusCode::OK);
    assert_eq!(probe(server.probes, "/readyz").await.0, StatusCode::OK);
    let mut client = server.client(Protocol::Http1).await;
    let r = response(
        &client
            .post("/validate", review("namespace-create-denied"))
            .await
            .unwrap(),
    );
    assert_eq!(r["allowed"], false);
    let text = server.metrics().await;
    for family in [
        "# TYPE eastwest_guard_admission_requests counter",
        "# TYPE eastwest_guard_admission_request_duration_seconds histogram",
        "# TYPE eastwest_guard_rule_hits counter",
        "# TYPE eastwest_guard_tls_cert_reloads counter",
        "eastwest_guard_tls_cert_expiry_timestamp_seconds ",
        "eastwest_guard_build_info{version=\"",
        "eastwest_guard_connections_open ",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    assert_eq!(
        probe(server.probes, "/nothing").await.0,
        StatusCode::NOT_FOUND
    );

    // Shutdown: /readyz turns 503 first while the webhook still serves (--shutdown-delay).
    let running = server.server.take().unwrap();
    running.shutdown();
    let (status, body) = probe(server.probes, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(probe(server.probes, "/healthz").await.0, StatusCode::OK);
    let r = response(
        &client
            .post("/validate", review("namespace-create-plain"))
            .await
            .unwrap(),
    );
    assert_eq!(r["allowed"], true);
    drop(client);
    assert_eq!(running.wait().await, eastwest_guard::server::Drained::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_certificate_it_serves_a_self_signed_one_for_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("localhost.pem");
    let args = eastwest_guard::server::ServeArgs::from_flags([
        "--listen",
        "127.0.0.1:0",
        "--probe-listen",
        "127.0.0.1:0",
        "--self-signed-cert-out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let server = eastwest_guard::server::start(args, None).await.unwrap();
    assert_eq!(server.self_signed_cert(), Some(out.as_path()));
    let pem = std::fs::read_to_string(&out).unwrap();
    assert!(!pem.contains("PRIVATE KEY"), "the key must not be written");
    use rustls_pki_types::pem::PemObject as _;
    let cert = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    for name in ["localhost", "127.0.0.1"] {
        let config = client_config(std::slice::from_ref(&cert), &[b"h2"], None);
        let tcp = tokio::net::TcpStream::connect(server.webhook_addr())
            .await
            .unwrap();
        let server_name = rustls_pki_types::ServerName::try_from(name).unwrap();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(server_name, tcp)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut client = Client::over(tls, Protocol::Http2).await.unwrap();
        let r = response(
            &client
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap(),
        );
        assert_eq!(r["allowed"], true);
    }
    // A second instance on the same port fails, and leaves the certificate file alone.
    let second = eastwest_guard::server::ServeArgs::from_flags([
        "--listen",
        &server.webhook_addr().to_string(),
        "--probe-listen",
        "127.0.0.1:0",
        "--self-signed-cert-out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let err = match eastwest_guard::server::start(second, None).await {
        Ok(_) => panic!("two servers on one port"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("--listen"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), pem);
    server.shutdown();
    server.wait().await;
}

/// Sends the headers and the first half of a review, raw, over HTTP/1.1; returns the stream
/// and the rest of the body.
async fn start_slow_request(
    server: &TestServer,
    fixture: &str,
) -> (
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    Vec<u8>,
) {
    let body = review(fixture);
    let mut tls = tls_connect(server.webhook, server.client_config(&[b"http/1.1"]))
        .await
        .unwrap();
    let head = format!(
        "POST /validate?timeout=10s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    tls.write_all(&body[..half]).await.unwrap();
    tls.flush().await.unwrap();
    (tls, body[half..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_but_idle_keep_alive_connections_are_not() {
    let mut server =
        TestServer::start(&["--header-read-timeout", "1s", "--idle-timeout", "30s"]).await;
    // Idle well past the header timeout between two requests: still the same connection.
    let mut client = server.client(Protocol::Http1).await;
    assert_eq!(
        response(
            &client
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap()
        )["allowed"],
        true
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        response(
            &client
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap()
        )["allowed"],
        true
    );

    // Half a request line, then silence: the server closes the connection.
    let mut tls = tls_connect(server.webhook, server.client_config(&[b"http/1.1"]))
        .await
        .unwrap();
    tls.write_all(b"POST /validate HTTP/1.1\r\nhost: loc")
        .await
        .unwrap();
    tls.flush().await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a stalled request kept its connection");
    let metrics = server.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "eastwest_guard_connections_closed_by_server_total{reason=\"header_read_timeout\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_send_a_request_are_closed() {
    // Without this limit a client that completes TLS and says nothing holds a connection slot
    // for the whole idle timeout; with --max-connections of them, every write waits.
    let mut server =
        TestServer::start(&["--header-read-timeout", "1s", "--idle-timeout", "60s"]).await;
    for alpn in [&b"http/1.1"[..], &b"h2"[..]] {
        let mut tls = tls_connect(server.webhook, server.client_config(&[alpn]))
            .await
            .unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "a silent {} connection kept its slot",
            String::from_utf8_lossy(alpn)
        );
    }
    let metrics = server.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "eastwest_guard_connections_closed_by_server_total{reason=\"first_request_timeout\"}"
        ),
        Some(2.0),
        "{metrics}"
    );
    // A client that does send its request is served as before.
    let mut client = server.client(Protocol::Http1).await;
    let answer = client
        .post("/validate", review("namespace-create-plain"))
        .await
        .unwrap();
    assert_eq!(response(&answer)["allowed"], true);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_handshakes_and_idle_connections_are_closed() {
    let mut server = TestServer::start(&[
        "--tls-handshake-timeout",
        "200ms",
        "--idle-timeout",
        "500ms",
    ])
    .await;
    // A TCP connection that never starts TLS.
    let mut tcp = tokio::net::TcpStream::connect(server.webhook)
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a stalled handshake kept its connection");

    // A keep-alive connection left idle past --idle-timeout is closed by the server.
    let mut tls = tls_connect(server.webhook, server.client_config(&[b"http/1.1"]))
        .await
        .unwrap();
    let body = review("namespace-create-plain");
    let head = format!(
        "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&body).await.unwrap();
    tls.flush().await.unwrap();
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "an idle connection was never closed");
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");

    let metrics = server.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "eastwest_guard_connections_closed_by_server_total{reason=\"idle_timeout\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        metric(&metrics, "eastwest_guard_tls_handshake_failures_total").unwrap() >= 1.0,
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_queues_new_connections() {
    let mut server = TestServer::start(&["--max-connections", "1"]).await;
    let mut first = server.client(Protocol::Http1).await;
    assert_eq!(
        response(
            &first
                .post("/validate", review("namespace-create-plain"))
                .await
                .unwrap()
        )["allowed"],
        true
    );
    // The second connection is not served while the first is open...
    let config = server.client_config(&[b"http/1.1"]);
    let addr = server.webhook;
    let second = tokio::spawn(async move {
        let mut client = Client::connect(addr, config, Protocol::Http1).await?;
        client
            .post("/validate", review("namespace-create-plain"))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a connection over the cap was served"
    );
    // ...and is as soon as the first closes.
    drop(first);
    let reply = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("the queued connection was never served")
        .unwrap()
        .unwrap();
    assert_eq!(response(&reply)["allowed"], true);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_completes_in_flight_requests_and_is_bounded() {
    // In flight at shutdown: completes, with Connection: close.
    let mut server = TestServer::start(&[]).await;
    let (mut tls, rest) = start_slow_request(&server, "namespace-create-denied").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let running = server.server.take().unwrap();
    running.shutdown();
    let stopping = tokio::spawn(running.wait());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "the drain did not wait for the request"
    );
    tls.write_all(&rest).await.unwrap();
    tls.flush().await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw))
        .await
        .unwrap()
        .ok();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
    assert!(
        raw.to_ascii_lowercase().contains("connection: close"),
        "{raw}"
    );
    assert!(raw.contains("\"allowed\":false"), "{raw}");
    assert_eq!(
        stopping.await.unwrap(),
        eastwest_guard::server::Drained::Clean
    );

    // A request that never completes cannot hold the process past --drain-timeout.
    let mut server = TestServer::start(&["--drain-timeout", "300ms"]).await;
    let (_stalled, _) = start_slow_request(&server, "namespace-create-plain").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let drained = tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the drain was not bounded");
    assert_eq!(
        drained,
        eastwest_guard::server::Drained::TimedOut {
            connections_left: 1
        }
    );
}

/// Over HTTP/1.1 a client that writes the whole request before reading (Go's client, so
/// kube-apiserver's, sends no `Expect: 100-continue`) gets the 404, 405 or 413 and, where the
/// body was read, keeps a usable connection: an unread body would close it without a word (the
/// next request would fail), and a body over the limit left unread gives a reset instead of
/// the 413.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_with_bodies_keep_http1_connections_usable() {
    let mut server = TestServer::start(&["--max-body-bytes", "65536"]).await;
    let good = review("namespace-create-plain");
    let cases: [(&str, &str, usize, u16); 5] = [
        ("GET", "/validate", 2, 405),
        ("DELETE", "/mutate", 2, 405),
        ("POST", "/foo", 5_000, 404),
        ("POST", "/validate", 200_000, 413),
        ("PUT", "/validate", 40_000, 405),
    ];
    for (method, path, size, status) in cases {
        for round in 0..10 {
            let mut tls = raw_http1(&server).await;
            let mut request = format!(
                "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
                 content-length: {size}\r\n\r\n"
            )
            .into_bytes();
            request.extend(std::iter::repeat_n(b' ', size));
            tls.write_all(&request).await.unwrap();
            let (got, head, _) = read_http1_response(&mut tls, Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("{method} {path} {size}: no response (round {round})"));
            assert_eq!(got, status, "{method} {path}: {head}");
            assert!(
                !head.to_ascii_lowercase().contains("connection: close"),
                "{head}"
            );
            let mut next = http1_head("/validate", &format!("content-length: {}\r\n", good.len()))
                .into_bytes();
            next.extend_from_slice(&good);
            tls.write_all(&next).await.unwrap();
            let (got, _, body) = read_http1_response(&mut tls, Duration::from_secs(10))
                .await
                .unwrap_or_else(|| {
                    panic!("{method} {path} {size}: next request failed (round {round})")
                });
            assert_eq!(got, 200, "{}", String::from_utf8_lossy(&body));
        }
    }
    // Past four times the limit the rest is not read: the 413 still arrives first.
    let tls = raw_http1(&server).await;
    let size = 300_000;
    let mut request = http1_head("/validate", &format!("content-length: {size}\r\n")).into_bytes();
    request.extend(std::iter::repeat_n(b' ', size));
    let (mut read_half, mut write_half) = tokio::io::split(tls);
    let writer = tokio::spawn(async move {
        let _ = write_half.write_all(&request).await;
    });
    let (got, _, body) = read_http1_response(&mut read_half, Duration::from_secs(10))
        .await
        .expect("the 413 before the connection closes");
    assert_eq!(got, 413, "{}", String::from_utf8_lossy(&body));
    let _ = writer.await;
    server.stop().await;
}

/// The rest of a body refused with a 413 is read while the request still counts as in flight:
/// otherwise the connection watchdog takes those bytes for a next request's head and closes
/// the connection after --header-read-timeout, counted as slow headers. A body whose
/// declared length is past what is read after the 413, or that waits for `100 Continue`, is
/// not read: the answer says `Connection: close`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_refused_with_413_is_read_past_the_header_timeout() {
    let mut server = TestServer::start(&[
        "--max-body-bytes",
        "65536",
        "--header-read-timeout",
        "1s",
        "--request-timeout",
        "20s",
    ])
    .await;
    let good = review("namespace-create-plain");
    let size = 140_000;
    let mut tls = raw_http1(&server).await;
    let mut head = http1_head("/validate", &format!("content-length: {size}\r\n")).into_bytes();
    head.extend(std::iter::repeat_n(b' ', 70_000));
    tls.write_all(&head).await.unwrap();
    let (got, head, _) = read_http1_response(&mut tls, Duration::from_secs(10))
        .await
        .expect("the 413");
    assert_eq!(got, 413, "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    // The rest, slower than the header timeout allows a head to arrive.
    for _ in 0..7 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        tls.write_all(&[b' '; 10_000]).await.unwrap();
    }
    let mut next =
        http1_head("/validate", &format!("content-length: {}\r\n", good.len())).into_bytes();
    next.extend_from_slice(&good);
    tls.write_all(&next).await.unwrap();
    let (got, _, body) = read_http1_response(&mut tls, Duration::from_secs(10))
        .await
        .expect("the next request on the same connection");
    assert_eq!(got, 200, "{}", String::from_utf8_lossy(&body));
    let metrics = server.metrics().await;
    let slow = metric(
        &metrics,
        "eastwest_guard_connections_closed_by_server_total{reason=\"header_read_timeout\"}",
    )
    .unwrap_or(0.0);
    assert_eq!(slow, 0.0, "{metrics}");

    // Declared past four times the limit, or waiting for 100 Continue: not read, and said so.
    for extra in [
        format!("content-length: {}\r\n", 65_536 * 4 + 1),
        "content-length: 100000\r\nexpect: 100-continue\r\n".to_owned(),
    ] {
        let mut tls = raw_http1(&server).await;
        tls.write_all(http1_head("/validate", &extra).as_bytes())
            .await
            .unwrap();
        let (got, head, _) = read_http1_response(&mut tls, Duration::from_secs(10))
            .await
            .expect("the 413");
        assert_eq!(got, 413, "{head}");
        assert!(
            head.to_ascii_lowercase().contains("connection: close"),
            "{extra}: {head}"
        );
    }
    // A 404 with a body waiting for 100 Continue: answered at once, not invited.
    let mut tls = raw_http1(&server).await;
    tls.write_all(
        b"POST /nope HTTP/1.1\r\nhost: localhost\r\ncontent-length: 10000000\r\nexpect: 100-continue\r\n\r\n",
    )
    .await
    .unwrap();
    // (An invitation would be read here as a response of status 100.)
    let (got, head, _) = read_http1_response(&mut tls, Duration::from_secs(10))
        .await
        .expect("the 404");
    assert_eq!(got, 404, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    server.stop().await;
}
