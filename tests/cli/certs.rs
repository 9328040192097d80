//! `eastwest-guard certs`, run as the real binary into a scratch directory: the certificates
//! it writes are parsed and verified as a TLS client verifies them, used for a real (in-memory)
//! TLS handshake, and the Secret, caBundle patch and kustomize Component it writes are parsed.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use saphyr::{LoadableYamlNode, Yaml};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

const SERVICE: &str = "eastwest-guard";
const NAMESPACE: &str = "eastwest-guard-system";

fn certs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .arg("certs")
        .args(args)
        .output()
        .expect("run eastwest-guard certs")
}

fn certs_into(dir: &Path, extra: &[&str]) -> Output {
    let out = dir.to_str().expect("utf-8 temp path");
    let mut args = vec!["--out", out, "--service", SERVICE, "--namespace", NAMESPACE];
    args.extend_from_slice(extra);
    let output = certs(&args);
    assert!(
        output.status.success(),
        "certs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn pem_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM certificates")
}

fn one_cert(pem: &str) -> CertificateDer<'static> {
    let mut all = pem_certs(pem);
    assert_eq!(all.len(), 1, "exactly one certificate");
    all.remove(0)
}

fn parse<'a>(der: &'a CertificateDer<'_>) -> X509Certificate<'a> {
    let (rest, cert) = X509Certificate::from_der(der).expect("DER certificate");
    assert!(rest.is_empty());
    cert
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn verifier(roots: &[CertificateDer<'static>]) -> Arc<WebPkiServerVerifier> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).expect("root certificate");
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
        .build()
        .expect("verifier")
}

fn verifies(roots: &[CertificateDer<'static>], leaf: &CertificateDer<'_>, name: &str) -> bool {
    let name = ServerName::try_from(name.to_owned()).expect("server name");
    verifier(roots)
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .is_ok()
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn yaml_docs(text: &str) -> Vec<Yaml<'_>> {
    Yaml::load_from_str(text).expect("well-formed YAML")
}

fn names() -> Vec<String> {
    vec![
        SERVICE.to_owned(),
        format!("{SERVICE}.{NAMESPACE}"),
        format!("{SERVICE}.{NAMESPACE}.svc"),
        format!("{SERVICE}.{NAMESPACE}.svc.cluster.local"),
    ]
}

#[test]
fn serving_certificate_has_exactly_the_service_names_and_chains_to_the_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    certs_into(&out, &["--days", "30"]);

    let ca_der = one_cert(&read(&out, "ca.crt"));
    let leaf_der = one_cert(&read(&out, "tls.crt"));
    let ca = parse(&ca_der);
    let leaf = parse(&leaf_der);

    // SANs: exactly the four names kube-apiserver and in-cluster clients use.
    let san = leaf
        .subject_alternative_name()
        .expect("SAN extension parses")
        .expect("SAN extension present");
    let dns: Vec<String> = san
        .value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::DNSName(d) => d.to_string(),
            other => panic!("unexpected SAN {other:?}"),
        })
        .collect();
    assert_eq!(dns, names());

    // CA flags: the CA is a CA (path length 0), the serving certificate is not, and it is for
    // server authentication.
    let bc = ca.basic_constraints().expect("parses").expect("present");
    assert!(bc.value.ca);
    assert_eq!(bc.value.path_len_constraint, Some(0));
    assert!(
        ca.key_usage()
            .expect("parses")
            .expect("present")
            .value
            .key_cert_sign()
    );
    let leaf_bc = leaf.basic_constraints().expect("parses");
    assert!(leaf_bc.is_none_or(|b| !b.value.ca));
    assert!(!leaf.is_ca());
    assert!(
        leaf.extended_key_usage()
            .expect("parses")
            .expect("present")
            .value
            .server_auth
    );
    assert_eq!(leaf.issuer(), ca.subject());
    assert_ne!(leaf.serial, ca.serial);

    // Validity: from (a little before) now, for the days asked, the CA no shorter.
    let now = now_unix();
    let not_before = leaf.validity().not_before.timestamp();
    let not_after = leaf.validity().not_after.timestamp();
    assert!(
        not_before <= now && now - not_before <= 2 * 3600,
        "not_before {not_before}"
    );
    let days = (not_after - now) as f64 / 86_400.0;
    assert!(
        (29.99..=30.01).contains(&days),
        "valid {days} days, asked 30"
    );
    assert!(ca.validity().not_after.timestamp() >= not_after);
    assert!(ca.validity().not_before.timestamp() <= not_before);

    // Signature chain, verified as a TLS client verifies it (webpki): every name verifies,
    // a name that is not in the certificate does not, and neither does another CA.
    for name in names() {
        assert!(
            verifies(std::slice::from_ref(&ca_der), &leaf_der, &name),
            "{name}"
        );
    }
    assert!(!verifies(
        std::slice::from_ref(&ca_der),
        &leaf_der,
        &format!("other.{NAMESPACE}.svc")
    ));
    assert!(!verifies(
        std::slice::from_ref(&ca_der),
        &leaf_der,
        &format!("{SERVICE}.default.svc")
    ));
    let other = tempfile::tempdir().expect("tempdir");
    certs_into(other.path(), &[]);
    let other_ca = one_cert(&read(other.path(), "ca.crt"));
    assert!(!verifies(&[other_ca], &leaf_der, &names()[2]));
}

#[test]
fn key_matches_the_certificate_in_a_real_tls_handshake() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs_into(dir.path(), &[]);
    let ca = one_cert(&read(dir.path(), "ca.crt"));
    let leaf = one_cert(&read(dir.path(), "tls.crt"));
    let key = PrivateKeyDer::from_pem_file(dir.path().join("tls.key")).expect("PEM key");
    assert!(matches!(key, PrivateKeyDer::Pkcs8(_)), "PKCS#8 key");

    let server_config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf], key)
        .expect("certificate and key belong together");
    let client_config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_webpki_verifier(verifier(&[ca]))
        .with_no_client_auth();
    let name = ServerName::try_from(format!("{SERVICE}.{NAMESPACE}.svc")).expect("name");
    let mut client = ClientConnection::new(Arc::new(client_config), name).expect("client");
    let mut server = ServerConnection::new(Arc::new(server_config)).expect("server");

    client.writer().write_all(b"ping").expect("write");
    for _ in 0..10 {
        let mut wire = Vec::new();
        client.write_tls(&mut wire).expect("client write_tls");
        server
            .read_tls(&mut wire.as_slice())
            .expect("server read_tls");
        server
            .process_new_packets()
            .expect("server accepts the handshake");
        let mut wire = Vec::new();
        server.write_tls(&mut wire).expect("server write_tls");
        client
            .read_tls(&mut wire.as_slice())
            .expect("client read_tls");
        client
            .process_new_packets()
            .expect("client verifies the server certificate");
        if !client.is_handshaking() && !server.is_handshaking() {
            break;
        }
    }
    assert!(!client.is_handshaking() && !server.is_handshaking());
    let mut wire = Vec::new();
    client.write_tls(&mut wire).expect("client write_tls");
    server
        .read_tls(&mut wire.as_slice())
        .expect("server read_tls");
    server.process_new_packets().expect("server reads data");
    let mut got = [0u8; 4];
    server
        .reader()
        .read_exact(&mut got)
        .expect("application data");
    assert_eq!(&got, b"ping");
}

#[cfg(unix)]
#[test]
fn private_key_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("new");
    certs_into(&out, &[]);
    let mode = |f: &str| {
        std::fs::metadata(out.join(f))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("tls.key"), 0o600);
    assert_eq!(mode("secret.yaml"), 0o600, "the Secret carries the key too");
    assert_eq!(mode("tls.crt"), 0o644);
    let dir_mode = std::fs::metadata(&out)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "a directory it creates is owner-only");
    // A rerun over a key file someone loosened puts the mode back.
    std::fs::set_permissions(out.join("tls.key"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    certs_into(&out, &[]);
    assert_eq!(mode("tls.key"), 0o600);
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn secret_patch_and_component_are_well_formed_kubernetes_yaml() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs_into(dir.path(), &[]);
    let ca_pem = read(dir.path(), "ca.crt");

    // The Secret the Deployment mounts.
    let secret_text = read(dir.path(), "secret.yaml");
    let docs = yaml_docs(&secret_text);
    assert_eq!(docs.len(), 1);
    let secret = &docs[0];
    assert_eq!(secret["apiVersion"].as_str(), Some("v1"));
    assert_eq!(secret["kind"].as_str(), Some("Secret"));
    assert_eq!(secret["type"].as_str(), Some("kubernetes.io/tls"));
    assert_eq!(
        secret["metadata"]["name"].as_str(),
        Some("eastwest-guard-tls")
    );
    assert_eq!(secret["metadata"]["namespace"].as_str(), Some(NAMESPACE));
    let data = secret["data"].as_mapping().expect("data is a map");
    assert_eq!(data.len(), 3);
    for (key, file) in [
        ("tls.crt", "tls.crt"),
        ("tls.key", "tls.key"),
        ("ca.crt", "ca.crt"),
    ] {
        let b64 = secret["data"][key].as_str().expect("base64 string");
        let decoded = BASE64.decode(b64).expect("valid base64");
        assert_eq!(decoded, read(dir.path(), file).as_bytes(), "{key}");
    }

    // The caBundle patches: one strategic-merge patch per webhook configuration, merged on the
    // webhook name, carrying the CA; one document a file, which the kustomize of kubectl 1.30
    // and older needs (a patch file of two documents fails every overlay's build there).
    let mut kinds = Vec::new();
    for (file, want_kind) in [
        (VALIDATING_PATCH, "ValidatingWebhookConfiguration"),
        (MUTATING_PATCH, "MutatingWebhookConfiguration"),
    ] {
        let text = read(dir.path(), file);
        let docs = yaml_docs(&text);
        assert_eq!(docs.len(), 1, "{file}");
        let doc = &docs[0];
        assert_eq!(doc["kind"].as_str(), Some(want_kind), "{file}");
        assert_eq!(
            doc["apiVersion"].as_str(),
            Some("admissionregistration.k8s.io/v1")
        );
        assert_eq!(doc["metadata"]["name"].as_str(), Some("eastwest-guard"));
        let kind = doc["kind"].as_str().expect("kind").to_owned();
        let webhooks = doc["webhooks"].as_vec().expect("webhooks list");
        assert_eq!(webhooks.len(), 1);
        let expected_name = match kind.as_str() {
            "ValidatingWebhookConfiguration" => "validate.eastwest-guard.tetrate.io",
            "MutatingWebhookConfiguration" => "mutate.eastwest-guard.tetrate.io",
            other => panic!("unexpected kind {other}"),
        };
        assert_eq!(webhooks[0]["name"].as_str(), Some(expected_name));
        let bundle = webhooks[0]["clientConfig"]["caBundle"]
            .as_str()
            .expect("caBundle");
        assert_eq!(BASE64.decode(bundle).expect("base64"), ca_pem.as_bytes());
        kinds.push(kind);
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration"
        ]
    );

    // The kustomize Component the self-managed overlay includes.
    let kustomization = read(dir.path(), "kustomization.yaml");
    let docs = yaml_docs(&kustomization);
    assert_eq!(docs.len(), 1);
    let k = &docs[0];
    assert_eq!(
        k["apiVersion"].as_str(),
        Some("kustomize.config.k8s.io/v1alpha1")
    );
    assert_eq!(k["kind"].as_str(), Some("Component"));
    assert_eq!(k["resources"][0].as_str(), Some("secret.yaml"));
    assert_eq!(k["patches"][0]["path"].as_str(), Some(VALIDATING_PATCH));
    assert_eq!(k["patches"][1]["path"].as_str(), Some(MUTATING_PATCH));

    // The directory keeps itself out of git.
    let ignore = read(dir.path(), ".gitignore");
    assert!(ignore.lines().any(|l| l.trim() == "*"));
}

#[test]
fn rerun_rotates_with_the_previous_ca_still_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();
    let bundle = |out: &Path| bundle_of(out, 0);
    let svc = names()[2].clone();

    certs_into(out, &[]);
    let ca1 = one_cert(&read(out, "ca.crt"));
    let leaf1 = one_cert(&read(out, "tls.crt"));
    assert_eq!(bundle(out), vec![ca1.clone()]);

    let second = certs_into(out, &[]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("previous"));
    let ca2 = one_cert(&read(out, "ca.crt"));
    let leaf2 = one_cert(&read(out, "tls.crt"));
    assert_ne!(
        ca1, ca2,
        "every run makes a new CA (its key is never stored)"
    );
    let b2 = bundle(out);
    assert_eq!(
        b2,
        vec![ca2.clone(), ca1.clone()],
        "new CA first, then the previous"
    );
    // During the rollout, pods serving either certificate are trusted.
    assert!(verifies(&b2, &leaf1, &svc));
    assert!(verifies(&b2, &leaf2, &svc));
    // ca.crt (and the Secret's ca.crt) is only the CA that signed tls.crt.
    assert!(!verifies(std::slice::from_ref(&ca2), &leaf1, &svc));

    // The bundle never grows past two: the CA from two runs ago is dropped.
    certs_into(out, &[]);
    let ca3 = one_cert(&read(out, "ca.crt"));
    assert_eq!(bundle(out), vec![ca3, ca2]);
    assert!(!verifies(&bundle(out), &leaf1, &svc));
}

const VALIDATING_PATCH: &str = "cabundle-patch-validating.yaml";
const MUTATING_PATCH: &str = "cabundle-patch-mutating.yaml";

/// The CAs of the validating (0) or the mutating (1) webhook configuration's caBundle patch.
fn bundle_of(out: &Path, which: usize) -> Vec<CertificateDer<'static>> {
    let patch = read(out, [VALIDATING_PATCH, MUTATING_PATCH][which]);
    let docs = yaml_docs(&patch);
    let b64 = docs[0]["webhooks"][0]["clientConfig"]["caBundle"]
        .as_str()
        .expect("caBundle");
    pem_certs(&String::from_utf8(BASE64.decode(b64).expect("base64")).expect("utf-8"))
}

#[test]
fn a_previous_ca_crt_that_is_not_a_ca_is_not_carried() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs_into(dir.path(), &[]);
    let ca1 = one_cert(&read(dir.path(), "ca.crt"));
    // Someone copied the serving certificate over ca.crt: it must not end up trusted. (The
    // previous CA still comes from the patch the last run wrote.)
    std::fs::copy(dir.path().join("tls.crt"), dir.path().join("ca.crt")).expect("copy");
    let leaf = one_cert(&read(dir.path(), "ca.crt"));
    certs_into(dir.path(), &[]);
    let ca2 = one_cert(&read(dir.path(), "ca.crt"));
    assert_eq!(bundle_of(dir.path(), 1), vec![ca2, ca1]);
    assert!(!bundle_of(dir.path(), 1).contains(&leaf));
}

/// A GitOps checkout has only the committed caBundle patches (ca.crt, the key and the
/// Secret are not committed): the rerun still keeps the previous CA, read from the patch, so
/// the rollout has its overlap (a bundle of the new CA alone fails every call to a pod still
/// serving the old certificate).
#[test]
fn rerun_with_only_the_committed_patch_keeps_the_previous_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();
    let svc = names()[2].clone();
    certs_into(out, &[]);
    let ca1 = one_cert(&read(out, "ca.crt"));
    let leaf1 = one_cert(&read(out, "tls.crt"));
    for file in [
        "ca.crt",
        "tls.crt",
        "tls.key",
        "secret.yaml",
        "kustomization.yaml",
    ] {
        std::fs::remove_file(out.join(file)).expect(file);
    }
    let second = certs_into(out, &[]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("previous"));
    let ca2 = one_cert(&read(out, "ca.crt"));
    for doc in [0, 1] {
        let bundle = bundle_of(out, doc);
        assert_eq!(bundle, vec![ca2.clone(), ca1.clone()]);
        assert!(verifies(&bundle, &leaf1, &svc));
    }
    // A formatter that drops the quotes (yq, kustomize cfg fmt) changes nothing.
    let ca2_patch = read(out, VALIDATING_PATCH);
    std::fs::remove_file(out.join("ca.crt")).expect("ca.crt");
    std::fs::write(
        out.join(VALIDATING_PATCH),
        ca2_patch
            .replace("caBundle: \"", "caBundle: ")
            .replace("=\"\n", "=\n")
            .replace("\"\n", "\n"),
    )
    .expect("write");
    certs_into(out, &[]);
    let ca3 = one_cert(&read(out, "ca.crt"));
    assert_eq!(bundle_of(out, 0), vec![ca3, ca2.clone()]);
    // Patches whose bundles hold no CA (edited by hand) carry nothing.
    std::fs::remove_file(out.join("ca.crt")).expect("ca.crt");
    let leaf2 = read(out, "tls.crt");
    let forged = BASE64.encode(leaf2.as_bytes());
    for file in [VALIDATING_PATCH, MUTATING_PATCH] {
        let patch = read(out, file);
        let (head, rest) = patch.split_once("caBundle: \"").expect("caBundle");
        let (_, tail) = rest.split_once('"').expect("end");
        std::fs::write(
            out.join(file),
            format!("{head}caBundle: \"{forged}\"{tail}"),
        )
        .expect("write");
    }
    let run = certs_into(out, &[]);
    assert_eq!(bundle_of(out, 0).len(), 1);
    // ...and says so.
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("warning: no valid previous CA"), "{said}");
}

#[test]
fn bad_input_exits_2_with_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let out_s = out.to_str().expect("utf-8");
    let long = "a".repeat(64);
    let cases: &[(&[&str], &str)] = &[
        (&["--service", "Guard", "--namespace", "ns"], "--service"),
        (
            &["--service", "1guard", "--namespace", "ns"],
            "must start with a lower-case letter",
        ),
        (
            &["--service", "guard.x", "--namespace", "ns"],
            "DNS-1123 label",
        ),
        (&["--service", &long, "--namespace", "ns"], "at most 63"),
        (&["--service", "guard", "--namespace", "-ns"], "--namespace"),
        (&["--service", "guard", "--namespace", "a_b"], "DNS-1123"),
        (&["--service", "guard", "--namespace", ""], "--namespace"),
        (
            &["--service", "guard", "--namespace", "ns", "--days", "0"],
            "from 1 to 3650",
        ),
        (
            &["--service", "guard", "--namespace", "ns", "--days=-3"],
            "whole number",
        ),
        (
            &["--service", "guard", "--namespace", "ns", "--days", "many"],
            "whole number",
        ),
        (
            &["--service", "guard", "--namespace", "ns", "--days", "4000"],
            "from 1 to 3650",
        ),
        (&["--namespace", "ns"], "--service"),
        (&["--service", "guard"], "--namespace"),
    ];
    for (args, message) in cases {
        let mut all = vec!["--out", out_s];
        all.extend_from_slice(args);
        let output = certs(&all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // --out is required too.
    let output = certs(&["--service", "guard", "--namespace", "ns"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
}

#[test]
fn an_unwritable_output_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").expect("write");
    let output = certs(&[
        "--out",
        file.to_str().expect("utf-8"),
        "--service",
        SERVICE,
        "--namespace",
        NAMESPACE,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// An output directory of a run before the patches were split holds one `cabundle-patch.yaml`
/// of two documents (and, in a GitOps checkout, nothing else): its CA is carried into the two
/// new files, and the old file is rewritten with the new bundle too, so a kustomization that
/// lists it keeps building and trusting the right CAs until it is moved to the new files.
#[test]
fn a_single_patch_file_of_an_older_run_is_read_and_kept_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();
    let svc = names()[2].clone();
    certs_into(out, &[]);
    let ca1 = one_cert(&read(out, "ca.crt"));
    let leaf1 = one_cert(&read(out, "tls.crt"));
    let old = format!(
        "# Written by `eastwest-guard certs`.\n---\n{}---\n{}",
        read(out, VALIDATING_PATCH)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
        read(out, MUTATING_PATCH)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    for file in std::fs::read_dir(out).expect("read_dir") {
        std::fs::remove_file(file.expect("entry").path()).expect("remove");
    }
    std::fs::write(out.join("cabundle-patch.yaml"), old).expect("write");

    let run = certs_into(out, &[]);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("also rewrote cabundle-patch.yaml"), "{said}");
    let ca2 = one_cert(&read(out, "ca.crt"));
    for which in [0, 1] {
        let bundle = bundle_of(out, which);
        assert_eq!(bundle, vec![ca2.clone(), ca1.clone()]);
        assert!(verifies(&bundle, &leaf1, &svc));
    }
    let old_text = read(out, "cabundle-patch.yaml");
    let old = yaml_docs(&old_text);
    assert_eq!(old.len(), 2);
    for doc in &old {
        let b64 = doc["webhooks"][0]["clientConfig"]["caBundle"]
            .as_str()
            .expect("caBundle");
        let pem = String::from_utf8(BASE64.decode(b64).expect("base64")).expect("utf-8");
        assert_eq!(pem_certs(&pem), vec![ca2.clone(), ca1.clone()]);
    }
    // The kustomization the command writes lists only the two new files.
    let k = read(out, "kustomization.yaml");
    assert!(!k.contains("cabundle-patch.yaml"), "{k}");
    // A run without the old file does not make one.
    let fresh = tempfile::tempdir().expect("tempdir");
    certs_into(fresh.path(), &[]);
    assert!(!fresh.path().join("cabundle-patch.yaml").exists());
}

const WARN_ONLY: &str = "manifests/overlays/self-managed-warn-only";
const ENFORCING: &str = "manifests/overlays/self-managed";

/// A scratch directory laid out like the repository: the two self-managed overlays, as
/// shipped, so `certs/out` in it is what they read.
fn checkout() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    for overlay in [ENFORCING, WARN_ONLY] {
        let file = Path::new(overlay).join("kustomization.yaml");
        std::fs::create_dir_all(root.path().join(overlay)).expect("mkdir");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(&file),
            root.path().join(&file),
        )
        .expect("copy the shipped overlay");
    }
    root
}

/// What `certs --out OUT` prints, run in `cwd`.
fn closing_text(cwd: &Path, out: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .current_dir(cwd)
        .args(["certs", "--out", out, "--service", SERVICE])
        .args(["--namespace", NAMESPACE])
        .output()
        .expect("run eastwest-guard certs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "certs failed: {stderr}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The lines from the one that starts with `lead` on.
fn from_line<'a>(text: &'a str, lead: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(lead))
        .unwrap_or_else(|| panic!("no line starting {lead:?} in:\n{text}"));
    lines[at..].to_vec()
}

/// Into `certs/out` of the repository: the README's rollout, warn-only overlay first, then
/// the enforcing one; a rerun (a rotation) applies the overlay that runs, not warn-only first.
#[test]
fn into_certs_out_it_names_the_warn_only_overlay_first() {
    let root = checkout();
    let said = closing_text(root.path(), "certs/out");
    assert_eq!(
        from_line(&said, "next"),
        [
            "next, from the repository root (certs/README.md):".to_owned(),
            format!("  1. kubectl apply -k {WARN_ONLY}   (every deny is a warning)"),
            format!("  2. once the warnings are understood: kubectl apply -k {ENFORCING}"),
        ],
        "{said}"
    );
    assert!(!said.contains("files:") && !said.contains("copy"), "{said}");

    let again = closing_text(root.path(), "./certs/out/");
    let next = from_line(&again, "next");
    assert!(
        next[0].starts_with("next, from the repository root: apply the overlay that runs again"),
        "{again}"
    );
    assert_eq!(next.len(), 3, "{again}");
    assert!(next[1].starts_with(&format!("  kubectl apply -k {ENFORCING} ")));
    assert!(next[1].ends_with("(enforcing)"));
    assert!(next[2].starts_with(&format!("  kubectl apply -k {WARN_ONLY} ")));
    assert!(next[2].ends_with("(still in the warn-only rollout)"));

    // Run from elsewhere: the same directory, so the same overlays, named where they are.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("certs/out");
    let said = closing_text(elsewhere.path(), out.to_str().expect("utf-8"));
    let real = std::fs::canonicalize(root.path()).expect("canonical");
    let next = from_line(&said, "next");
    assert!(
        next[0].starts_with("next: apply the overlay that runs again"),
        "{said}"
    );
    assert!(
        next[1].starts_with(&format!(
            "  kubectl apply -k {} ",
            real.join(ENFORCING).display()
        )),
        "{said}"
    );
}

/// Into another directory: the shipped overlays read `certs/out`, so it says that, names the
/// files written (all of them, and only them), how to point the overlay at the directory (a
/// path that does lead there), and then the rollout, warn-only first.
#[test]
fn into_another_directory_it_says_the_overlays_read_certs_out() {
    let root = checkout();
    let said = closing_text(root.path(), "staging/certs");
    let out = root.path().join("staging/certs");
    let files = said
        .lines()
        .find_map(|l| l.strip_prefix("  files: "))
        .unwrap_or_else(|| panic!("no files line in:\n{said}"));
    let mut named: Vec<&str> = files.split(", ").collect();
    named.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(&out)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    on_disk.sort_unstable();
    assert_eq!(named, on_disk, "{said}");

    let next = from_line(&said, "next");
    assert_eq!(
        next[0],
        format!(
            "next: the shipped overlays ({ENFORCING}, and {WARN_ONLY} built on it) read \
             certs/out of the repository, not staging/certs. Either:"
        ),
        "{said}"
    );
    assert!(
        next[1].starts_with("  - copy the files into certs/out (cp -p"),
        "{said}"
    );
    let point = next[2];
    let (_, path) = point
        .split_once("replace ../../../certs/out with ")
        .unwrap_or_else(|| panic!("no replacement in {point:?}"));
    let (path, _) = path.split_once(';').expect("the path, then more");
    assert_eq!(path, "../../../staging/certs");
    // kustomize resolves it from the overlay's directory: it is the directory written.
    assert_eq!(
        std::fs::canonicalize(root.path().join(ENFORCING).join(path)).expect("resolves"),
        std::fs::canonicalize(&out).expect("canonical")
    );
    assert_eq!(
        next[3..],
        [
            "then, from the repository root (certs/README.md):".to_owned(),
            format!("  1. kubectl apply -k {WARN_ONLY}   (every deny is a warning)"),
            format!("  2. once the warnings are understood: kubectl apply -k {ENFORCING}"),
        ],
        "{said}"
    );

    // Not in a checkout: `certs/out` there is no directory the shipped overlays read, and
    // there is no overlay to measure a path from.
    let bare = tempfile::tempdir().expect("tempdir");
    let said = closing_text(bare.path(), "certs/out");
    assert!(
        said.contains("read certs/out of the repository, not certs/out."),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "replace ../../../certs/out with the path of certs/out relative to {ENFORCING}, as \
             kustomize takes no absolute path there"
        )),
        "{said}"
    );
}
