//! Running the real binary against a fake API server: a home directory of its own (so no
//! kubeconfig of the machine is read), none of the environment that would change what it
//! reads, and a deadline after which the test kills it and fails, so no test waits forever.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::apiserver::{FakeApiServer, kubeconfig};

/// Longest any audit in the tests may run before it is killed.
const DEADLINE: Duration = Duration::from_secs(60);

pub struct Output {
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// A temporary home directory and the kubeconfig files written in it.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Home {
            dir: tempfile::tempdir().expect("temporary home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` under the home directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// A kubeconfig for `server` (token `good-token`), written to `name`.
    pub fn kubeconfig_for(&self, server: &FakeApiServer, name: &str) -> PathBuf {
        self.write(name, &kubeconfig(&server.url(), "fake", "good-token"))
    }
}

/// `eastwest-guard audit ARGS` with HOME set to `home` and the extra environment `env`.
pub fn audit(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"));
    command
        .arg("audit")
        .args(args)
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("EASTWEST_GUARD_")
            || key.to_string_lossy().starts_with("KUBE_RS_DEBUG")
        {
            command.env_remove(key);
        }
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("run eastwest-guard");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for eastwest-guard") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("eastwest-guard audit {args:?} ran past {DEADLINE:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.code(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed: started.elapsed(),
    }
}

/// `audit --kubeconfig FILE ARGS` against `server`.
pub fn audit_server(server: &FakeApiServer, args: &[&str]) -> Output {
    let home = Home::new();
    let config = home.kubeconfig_for(server, "kubeconfig.yaml");
    let config = config.to_str().expect("UTF-8 path");
    let mut all = vec!["--kubeconfig", config];
    all.extend_from_slice(args);
    audit(&home, &all, &[])
}
