//! The configuration file in the running webhook (the real server on 127.0.0.1 port 0, with
//! certificates made here): its overrides judge a write by its Namespace, and a change of the
//! file (a ConfigMap volume's `..data` swap) changes the decisions, while a file that does not
//! load is counted and leaves the configuration in use.

use std::path::{Path, PathBuf};
use std::time::Duration;

use eastwest_guard::server::config_reload::sha256_hex;
use serde_json::Value;

use crate::common::*;

/// A directory laid out like a mounted ConfigMap: `eastwest-guard.yaml -> ..data/...`, and
/// updates that write a new directory and swap `..data` with one rename, as the kubelet does.
struct ConfigMapDir {
    root: PathBuf,
    generation: u32,
}

impl ConfigMapDir {
    fn new(root: &Path, text: &str) -> Self {
        let mut dir = ConfigMapDir {
            root: root.join("config"),
            generation: 0,
        };
        std::fs::create_dir(&dir.root).unwrap();
        dir.swap(text);
        std::os::unix::fs::symlink("..data/eastwest-guard.yaml", dir.file()).unwrap();
        dir
    }

    fn file(&self) -> PathBuf {
        self.root.join("eastwest-guard.yaml")
    }

    fn swap(&mut self, text: &str) {
        self.generation += 1;
        let new = format!("..gen{}", self.generation);
        std::fs::create_dir(self.root.join(&new)).unwrap();
        std::fs::write(self.root.join(&new).join("eastwest-guard.yaml"), text).unwrap();
        let tmp = self.root.join("..data_tmp");
        std::os::unix::fs::symlink(&new, &tmp).unwrap();
        std::fs::rename(&tmp, self.root.join("..data")).unwrap();
        let old = self.root.join(format!("..gen{}", self.generation - 1));
        if old.exists() {
            std::fs::remove_dir_all(old).unwrap();
        }
    }
}

/// The fixture whose Service carries a deny-level problem, moved to `namespace`.
fn service_review(namespace: &str) -> Vec<u8> {
    let mut v = review_json("service-create-denied");
    v["request"]["namespace"] = namespace.into();
    v["request"]["object"]["metadata"]["namespace"] = namespace.into();
    serde_json::to_vec(&v).unwrap()
}

/// The fixture whose Namespace carries deny-level problems, renamed `name`.
fn namespace_review(name: &str) -> Vec<u8> {
    let mut v = review_json("namespace-create-denied");
    v["request"]["name"] = name.into();
    v["request"]["object"]["metadata"]["name"] = name.into();
    serde_json::to_vec(&v).unwrap()
}

async fn allowed(server: &TestServer, body: Vec<u8>) -> bool {
    let mut client = server.client(Protocol::Http1).await;
    let reply = client.post("/validate", body).await.unwrap();
    let v: Value = reply.json();
    v["response"]["allowed"]
        .as_bool()
        .unwrap_or_else(|| panic!("no allowed in {v}"))
}

#[tokio::test]
async fn overrides_judge_a_write_by_its_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let config = "overrides:\n  - namespaces: [legacy-*, payments-old]\n    warnOnly: true\n  \
                  - namespaces: [legacy-strict]\n    warnOnly: false\n";
    let path = dir.path().join("eastwest-guard.yaml");
    std::fs::write(&path, config).unwrap();
    let path = path.display().to_string();
    let mut server = TestServer::start(&["--config", &path]).await;
    for (body, expected, what) in [
        (service_review("payments"), false, "Service in payments"),
        (service_review("legacy-a"), true, "Service in legacy-a"),
        (service_review("legacy-strict"), true, "first match wins"),
        (
            service_review("payments-old"),
            true,
            "Service in payments-old",
        ),
        (
            namespace_review("legacy-ns"),
            true,
            "Namespace legacy-ns, by its own name",
        ),
        (namespace_review("payments"), false, "Namespace payments"),
    ] {
        assert_eq!(allowed(&server, body).await, expected, "{what}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_changed_file_changes_the_decisions_and_a_broken_one_is_counted_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let first = "warnOnly: false\n";
    let mut configmap = ConfigMapDir::new(dir.path(), first);
    let path = configmap.file().display().to_string();
    let mut server =
        TestServer::start(&["--config", &path, "--cert-reload-interval", "50ms"]).await;
    let reloads = |m: &str, result: &str| {
        metric(
            m,
            &format!("eastwest_guard_config_reloads_total{{result=\"{result}\"}}"),
        )
    };
    let info = |m: &str, text: &str| {
        metric(
            m,
            &format!(
                "eastwest_guard_config_info{{sha256=\"{}\"}}",
                sha256_hex(text.as_bytes())
            ),
        )
    };

    assert!(!allowed(&server, service_review("payments")).await);
    let m = server.metrics().await;
    assert_eq!(
        metric(&m, "eastwest_guard_config_generation"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(info(&m, first), Some(1.0), "{m}");
    assert_eq!(reloads(&m, "success"), Some(0.0));
    assert_eq!(reloads(&m, "failure"), Some(0.0));

    // Enforce everywhere but the payments Namespaces.
    let second = "overrides:\n  - namespaces: [\"payments*\"]\n    warnOnly: true\n";
    configmap.swap(second);
    let taken = eventually(Duration::from_secs(10), || async {
        allowed(&server, service_review("payments")).await
    })
    .await;
    assert!(taken, "the new configuration was never taken up");
    assert!(!allowed(&server, service_review("shop")).await);
    let m = server.metrics().await;
    assert_eq!(reloads(&m, "success"), Some(1.0), "{m}");
    assert_eq!(metric(&m, "eastwest_guard_config_generation"), Some(2.0));
    assert_eq!(info(&m, second), Some(1.0), "{m}");
    assert_eq!(
        info(&m, first),
        None,
        "only the file in use has an info series: {m}"
    );

    // A file that does not load: counted once, and the configuration in use stays.
    configmap.swap("overrides:\n  - namespaces: [\"payments*\"]\n    warnOnly: maybe\n");
    let counted = eventually(Duration::from_secs(10), || async {
        reloads(&server.metrics().await, "failure") == Some(1.0)
    })
    .await;
    assert!(counted, "the broken file was never counted");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = server.metrics().await;
    assert_eq!(
        reloads(&m, "failure"),
        Some(1.0),
        "counted once, not at every re-read: {m}"
    );
    assert_eq!(metric(&m, "eastwest_guard_config_generation"), Some(2.0));
    assert_eq!(info(&m, second), Some(1.0), "{m}");
    assert!(allowed(&server, service_review("payments")).await);
    assert!(!allowed(&server, service_review("shop")).await);

    // Back to the first: taken up again.
    configmap.swap(first);
    let taken = eventually(Duration::from_secs(10), || async {
        !allowed(&server, service_review("payments")).await
    })
    .await;
    assert!(taken);
    let m = server.metrics().await;
    assert_eq!(reloads(&m, "success"), Some(2.0));
    assert_eq!(metric(&m, "eastwest_guard_config_generation"), Some(3.0));
    server.stop().await;
}

#[tokio::test]
async fn without_a_file_there_is_no_info_series_and_a_bad_file_stops_the_start() {
    let mut server = TestServer::start(&[]).await;
    let m = server.metrics().await;
    assert!(!m.contains("eastwest_guard_config_info{"), "{m}");
    assert_eq!(metric(&m, "eastwest_guard_config_generation"), Some(1.0));
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "warnOnly: true\nwarn: [EW099]\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--probe-listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:2:8: warn[0]: unknown rule ID \"EW099\""),
        "{stderr}"
    );
}
