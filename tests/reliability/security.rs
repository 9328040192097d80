//! Security: TLS 1.2+ with one crypto provider chosen explicitly, no plaintext
//! admission endpoint (the probe port serves health and metrics only), a container that runs
//! as non-root on a read-only filesystem, and logs that never carry object contents or key
//! material.

use std::io::{BufRead as _, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use hyper::StatusCode;
use serde_json::json;

fn repo(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn ring_is_the_only_crypto_provider_and_it_is_installed_explicitly() {
    // No other TLS or crypto stack is even in the build: rustls could not pick another one.
    let lock = repo("Cargo.lock");
    for other in [
        "aws-lc-rs",
        "aws-lc-sys",
        "openssl-sys",
        "native-tls",
        "boring-sys",
    ] {
        assert!(
            !lock.contains(&format!("name = \"{other}\"")),
            "{other} is in Cargo.lock"
        );
    }
    let manifest = repo("Cargo.toml");
    let rustls = manifest
        .lines()
        .find(|l| l.starts_with("rustls ="))
        .expect("rustls in Cargo.toml");
    assert!(
        rustls.contains("default-features = false") && rustls.contains("\"ring\""),
        "{rustls}"
    );
    // The server installs ring as the process default before anything uses TLS, and
    // restricts the versions to 1.3 and 1.2.
    let serve = repo("src/server/mod.rs");
    assert!(serve.contains("rustls::crypto::ring::default_provider().install_default()"));
    let tls = repo("src/server/tls.rs");
    assert!(
        tls.contains(
            ".with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_1_2_negotiates_only_forward_secret_aead_suites() {
    let mut server = TestServer::start(&[]).await;
    // A client offering every suite ring has, TLS 1.2 only: the server picks an ECDHE AEAD.
    let config = client_config_versions(
        &[server.ca.der()],
        &[b"h2"],
        None,
        &[&rustls::version::TLS12],
    );
    let tls = tls_connect(server.webhook, config).await.unwrap();
    let suite = tls.get_ref().1.negotiated_cipher_suite().unwrap();
    let name = format!("{:?}", suite.suite());
    assert!(
        name.starts_with("TLS_ECDHE_") && (name.contains("GCM") || name.contains("CHACHA20")),
        "{name}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_port_serves_health_and_metrics_only() {
    let mut server = TestServer::start(&[]).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(probe(server.probes, path).await.0, StatusCode::OK, "{path}");
    }
    // No admission endpoint in plaintext, by any method, and nothing else.
    let body = review("namespace-create-denied");
    for path in [
        "/validate",
        "/mutate",
        "/validate?timeout=10s",
        "/",
        "/debug/pprof",
        "/admin",
        "/metrics/../validate",
        "/healthz/../mutate",
    ] {
        for method in ["GET", "POST", "PUT"] {
            let (status, text) = probe_request(server.probes, method, path, body.clone()).await;
            assert!(
                status == StatusCode::NOT_FOUND
                    || (status == StatusCode::METHOD_NOT_ALLOWED && path.starts_with("/metrics"))
                    || (status == StatusCode::METHOD_NOT_ALLOWED && path.starts_with("/healthz")),
                "{method} {path}: {status} {text}"
            );
            assert!(!text.contains("AdmissionReview"), "{method} {path}: {text}");
        }
    }
    let (status, _) = probe_request(server.probes, "POST", "/metrics", Vec::new()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    server.stop().await;
}

async fn probe_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    use http_body_util::{BodyExt as _, Full};
    use hyper_util::rt::TokioIo;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(hyper::body::Bytes::from(body)))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn the_image_and_the_pod_run_as_non_root_on_a_read_only_filesystem() {
    let dockerfile = repo("Dockerfile");
    let runtime_from = dockerfile
        .lines()
        .rfind(|l| l.starts_with("FROM "))
        .expect("a FROM line");
    assert!(runtime_from.contains(":nonroot"), "{runtime_from}");
    let user = dockerfile
        .lines()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER line: the image must not run as root");
    let uid = user["USER ".len()..].split(':').next().unwrap().trim();
    let uid: u32 = uid
        .parse()
        .unwrap_or_else(|_| panic!("USER must be numeric: {user}"));
    assert_ne!(uid, 0, "{user}");

    let deployment = repo("manifests/base/deployment.yaml");
    // Both levels: the pod and the container.
    assert_eq!(
        deployment.matches("runAsNonRoot: true").count(),
        2,
        "{deployment}"
    );
    assert!(
        deployment.contains(&format!("runAsUser: {uid}")),
        "runAsUser {uid}"
    );
    for line in [
        "readOnlyRootFilesystem: true",
        "allowPrivilegeEscalation: false",
        "type: RuntimeDefault",
    ] {
        assert!(
            deployment.contains(line),
            "{line} missing from the Deployment"
        );
    }
    assert!(
        deployment.contains("drop:\n                - ALL"),
        "capabilities: drop: [ALL] missing"
    );
    // No overlay or component undoes it.
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for bad in [
                "readOnlyRootFilesystem: false",
                "runAsNonRoot: false",
                "runAsUser: 0\n",
                "privileged: true",
                "allowPrivilegeEscalation: true",
                "hostNetwork: true",
                "hostPath:",
            ] {
                assert!(!text.contains(bad), "{}: {bad}", path.display());
            }
        }
    }
    assert!(files >= 8, "only {files} files under manifests/");
}

// ---------------------------------------------------------------- logs

const SECRETS: [&str; 6] = [
    "S3CR3T-allowed-value-0001",
    "S3CR3T-denied-value-0002",
    "S3CR3T-metadata-0003",
    "S3CR3T-kind-0004",
    "S3CR3T-operation-0005",
    "S3CR3T-apiversion-0006",
];

/// The real binary, at log level trace (everything any crate logs), in `format`; sends
/// reviews whose bad and good values are secret-looking, rotates to a broken key, and returns
/// everything the process wrote.
async fn logs_of_a_session(format: &str) -> (String, Vec<String>) {
    let ca = Ca::new("log test CA");
    let leaf = ca.server_cert("webhook");
    let other = ca.server_cert("other");
    let dir = tempfile::tempdir().unwrap();
    let mut secret_dir = SecretDir::new(dir.path(), &leaf.cert_pem, &leaf.key_pem);
    let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--probe-listen",
            "127.0.0.1:0",
        ])
        .arg("--tls-cert")
        .arg(secret_dir.cert())
        .arg("--tls-key")
        .arg(secret_dir.key())
        .args(["--cert-reload-interval", "50ms", "--log-format", format])
        .env("EASTWEST_GUARD_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line.clone());
            all.push(line);
        }
        all
    });
    // The webhook address from the "serving" line.
    let mut webhook = None;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if line.contains("serving") && line.contains("webhook") {
            let at = line.find("webhook").unwrap();
            let rest = &line[at..];
            let addr: String = rest
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            webhook = Some(addr.parse::<std::net::SocketAddr>().unwrap());
            break;
        }
    }
    let webhook = webhook.expect("no serving line");
    let roots = [ca.der()];
    let mut client = Client::connect(
        webhook,
        client_config(&roots, &[b"http/1.1"], None),
        Protocol::Http1,
    )
    .await
    .unwrap();
    let mut bodies = Vec::new();
    let mut v = review_json("namespace-create-plain");
    v["request"]["object"]["metadata"]["annotations"] = json!({"example.com/token": SECRETS[0]});
    bodies.push(serde_json::to_vec(&v).unwrap());
    v["request"]["object"]["metadata"]["annotations"] =
        json!({"traffic.tetrate.io/global": SECRETS[1]});
    bodies.push(serde_json::to_vec(&v).unwrap());
    let mut bad = review_json("namespace-create-plain");
    bad["request"]["object"]["metadata"] = json!(SECRETS[2]);
    bodies.push(serde_json::to_vec(&bad).unwrap());
    let mut bad = review_json("namespace-create-plain");
    bad["kind"] = json!(SECRETS[3]);
    bodies.push(serde_json::to_vec(&bad).unwrap());
    let mut bad = review_json("namespace-create-plain");
    bad["request"]["operation"] = json!(SECRETS[4]);
    bodies.push(serde_json::to_vec(&bad).unwrap());
    let mut bad = review_json("namespace-create-plain");
    bad["apiVersion"] = json!(SECRETS[5]);
    bodies.push(serde_json::to_vec(&bad).unwrap());
    for body in bodies {
        for path in ["/validate", "/mutate"] {
            let reply = client.post(path, body.clone()).await.unwrap();
            assert!(reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST);
        }
    }
    // A rotation to a broken pair (a key that does not match, and then a key PEM whose
    // base64 is damaged): refused and logged, without the key.
    secret_dir.swap(&leaf.cert_pem, &other.key_pem);
    let damaged = other.key_pem.replacen("MI", "M!", 1);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    secret_dir.swap(&leaf.cert_pem, &damaged);
    tokio::time::sleep(Duration::from_millis(1000)).await;

    let _ = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut lines = reader.join().unwrap();
    lines.extend(stderr.lines().map(str::to_owned));
    let key_lines: Vec<String> = [&leaf.key_pem, &other.key_pem, &damaged]
        .iter()
        .flat_map(|pem| pem.lines())
        .filter(|l| !l.starts_with("-----"))
        .map(|l| l[..l.len().min(24)].to_owned())
        .collect();
    (lines.join("\n"), key_lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_no_object_contents_and_no_key_material() {
    for format in ["json", "text"] {
        let (log, key_lines) = logs_of_a_session(format).await;
        assert!(
            log.contains("admission review"),
            "{format}: no request lines"
        );
        assert!(log.contains("admission request refused"), "{format}");
        assert!(log.contains("new serving certificate refused"), "{format}");
        for secret in SECRETS {
            assert!(
                !log.contains(secret),
                "{format}: {secret} is in the log:\n{}",
                {
                    log.lines()
                        .filter(|l| l.contains(secret))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            );
        }
        for fragment in key_lines {
            assert!(
                !log.contains(&fragment),
                "{format}: key material {fragment} in the log"
            );
        }
    }
}
