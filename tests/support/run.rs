//! Running the built binary for the CLI tests (check, explain, diff): one copy of the
//! process plumbing, with the rule flags' environment variables cleared.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The fixtures of one command's tests: tests/data/`command`. The tests run the binary there,
/// so outputs name the fixtures by relative paths, the same on every machine.
pub fn data_dir(command: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(command)
}

/// What one run of the binary printed, and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The finding lines of check's text format (everything but the summary line).
    pub fn finding_lines(&self) -> Vec<&str> {
        let lines: Vec<&str> = self.stdout.lines().collect();
        lines[..lines.len().saturating_sub(1)].to_vec()
    }

    pub fn summary(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }
}

/// Runs `eastwest-guard ARGS` in `dir`, with `stdin` as standard input.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest-guard"))
        .args(args)
        .current_dir(dir)
        // The rule flags also read the environment; a developer's settings must not leak in.
        .env_remove("EASTWEST_GUARD_WARN_ONLY")
        .env_remove("EASTWEST_GUARD_DENY_EXISTING")
        .env_remove("EASTWEST_GUARD_WARN")
        .env_remove("EASTWEST_GUARD_TRIGGER_LABEL")
        .env_remove("EASTWEST_GUARD_CLOUD_ANNOTATION_PREFIX")
        .env_remove("EASTWEST_GUARD_DEFAULT_GATEWAY_NAME")
        .env_remove("EASTWEST_GUARD_DEFAULT_GATEWAY_NAMESPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run eastwest-guard");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(bytes) = stdin {
            input.write_all(bytes).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("wait for eastwest-guard");
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}
