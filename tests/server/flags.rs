//! `serve`'s flags through the real binary: environment variables, and the exit codes of bad
//! configuration (2 for a wrong flag, 1 for an unusable file).

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::time::Duration;

fn serve() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"));
    command.arg("serve");
    // Nothing from the test runner's environment.
    for (key, _) in std::env::vars() {
        if key.starts_with("EASTWEST_GUARD_") {
            command.env_remove(key);
        }
    }
    command
}

#[test]
fn every_setting_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let cert_out = dir.path().join("self-signed.pem");
    let mut child = serve()
        .env("EASTWEST_GUARD_LISTEN", "127.0.0.1:0")
        .env("EASTWEST_GUARD_PROBE_LISTEN", "127.0.0.1:0")
        .env("EASTWEST_GUARD_LOG_FORMAT", "json")
        .env("EASTWEST_GUARD_SELF_SIGNED_CERT_OUT", &cert_out)
        .env("EASTWEST_GUARD_DRAIN_TIMEOUT", "2s")
        .env("EASTWEST_GUARD_WARN", "EW001,EW005")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let serving = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("no serving line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        if v["message"] == "serving" {
            break v;
        }
    };
    assert!(
        serving["webhook"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        serving["probes"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        cert_out.exists(),
        "EASTWEST_GUARD_SELF_SIGNED_CERT_OUT was ignored"
    );
    // Through sh's builtin kill: a bare machine may have no kill binary.
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    reader.join().unwrap();
}

#[test]
fn bad_configuration_exits_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.crt");
    /// Flags, environment, expected exit code, text expected on stderr.
    type Case<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, i32, &'a str);
    let cases: Vec<Case> = vec![
        (vec!["--warn".into(), "EW999".into()], vec![], 2, "EW999"),
        (
            vec![],
            vec![("EASTWEST_GUARD_TRIGGER_LABEL", "no-equals")],
            2,
            "--trigger-label",
        ),
        (
            vec![],
            vec![("EASTWEST_GUARD_WARN_ONLY", "maybe")],
            2,
            "--warn-only",
        ),
        (
            vec!["--max-connections".into(), "0".into()],
            vec![],
            2,
            "--max-connections",
        ),
        (
            vec!["--request-timeout".into(), "10".into()],
            vec![],
            2,
            "missing unit",
        ),
        (
            vec!["--tls-cert".into(), missing.display().to_string()],
            vec![],
            2,
            "--tls-key",
        ),
        (
            vec![
                "--tls-cert".into(),
                missing.display().to_string(),
                "--tls-key".into(),
                missing.display().to_string(),
            ],
            vec![],
            1,
            "missing.crt",
        ),
    ];
    for (flags, env, code, needle) in cases {
        let mut command = serve();
        command
            .args(["--listen", "127.0.0.1:0", "--probe-listen", "127.0.0.1:0"])
            .args(&flags)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{flags:?} {env:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{flags:?}: {needle:?} not in {stderr}"
        );
    }
}

#[test]
fn a_host_name_for_an_address_is_refused_with_what_to_write() {
    for flag in ["--listen", "--probe-listen"] {
        let out = serve()
            .args([flag, "localhost:8443"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains("is not IP:PORT"), "{flag}: {stderr}");
        assert!(stderr.contains("0.0.0.0:8443"), "{flag}: {stderr}");
    }
}

/// Two local servers without certificates, on other ports: each writes its self-signed
/// certificate to a file named by its port and logs which, so neither overwrites the one the
/// other's users trust.
#[test]
fn local_servers_on_other_ports_keep_their_own_certificate_files() {
    let tmp = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = serve()
            .args(["--listen", "127.0.0.1:0", "--probe-listen", "127.0.0.1:0"])
            .args(["--log-format", "json", "--drain-timeout", "2s"])
            .env("TMPDIR", tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // Read to the end on a thread of its own, so the server never writes to a closed pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let (mut port, mut file) = (None, None);
        while port.is_none() || file.is_none() {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("no serving and cert_file lines");
            let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
            if v["message"] == "serving" {
                let webhook = v["webhook"].as_str().unwrap();
                port = Some(webhook.rsplit(':').next().unwrap().to_owned());
            }
            if let Some(f) = v["cert_file"].as_str() {
                file = Some(std::path::PathBuf::from(f));
            }
        }
        (child, port.unwrap(), file.unwrap())
    };
    let (mut first, first_port, first_file) = start();
    let (mut second, second_port, second_file) = start();
    assert_ne!(first_port, second_port);
    for (port, file) in [(&first_port, &first_file), (&second_port, &second_file)] {
        assert_eq!(
            file,
            &tmp.path()
                .join(format!("eastwest-guard-localhost-{port}.pem"))
        );
        assert!(file.exists(), "{}", file.display());
    }
    assert_ne!(
        std::fs::read(&first_file).unwrap(),
        std::fs::read(&second_file).unwrap(),
        "two servers, one certificate"
    );
    for child in [&mut first, &mut second] {
        let killed = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", child.id())])
            .status()
            .unwrap();
        assert!(killed.success());
        assert!(child.wait().unwrap().success());
    }
}
