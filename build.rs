//! Stamps the binary with the commit it was built from, for `eastwest-guard --version`
//! (`eastwest-guard 0.1.0 (abc1234 2026-12-06)`): a bug report then names the exact source.
//!
//! The commit comes from, in order:
//! 1. `EASTWEST_GUARD_COMMIT` (and `EASTWEST_GUARD_COMMIT_DATE`), for builds without a `.git`
//!    directory that know their commit anyway: the Docker image (`.dockerignore` keeps `.git`
//!    out of the build context; the Dockerfile takes both as build arguments);
//! 2. `git`, when the crate is a git checkout (a clone, a worktree, pre-commit's clone);
//! 3. otherwise `unknown`: a source tarball, a GitHub Action's download, a vendored copy.
//!
//! Only the commit's own files are watched (HEAD, the branch's ref, packed-refs), so cargo
//! runs this again after a commit or a checkout and not on every build.

use std::path::{Path, PathBuf};
use std::process::Command;

const COMMIT_VAR: &str = "EASTWEST_GUARD_COMMIT";
const DATE_VAR: &str = "EASTWEST_GUARD_COMMIT_DATE";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={COMMIT_VAR}");
    println!("cargo:rerun-if-env-changed={DATE_VAR}");

    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let (commit, date) = match from_env() {
        Some(found) => found,
        None => from_git(&dir).unwrap_or_else(|| ("unknown".to_owned(), None)),
    };
    let stamp = match date {
        Some(date) => format!("{commit} {date}"),
        None => commit.clone(),
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=EASTWEST_GUARD_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=EASTWEST_GUARD_LONG_VERSION={version} ({stamp})");
}

/// The commit named by the environment; an empty value counts as unset (a Docker build
/// argument that was not given is empty).
fn from_env() -> Option<(String, Option<String>)> {
    let commit = std::env::var(COMMIT_VAR).ok()?;
    let commit = clean(&commit)?;
    let date = std::env::var(DATE_VAR).ok().and_then(|d| clean(&d));
    Some((commit, date))
}

/// One printable token, or nothing: the value ends up in `--version` and in reports.
fn clean(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && value.chars().all(|c| c.is_ascii_graphic())).then(|| value.to_owned())
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    clean(&text)
}

/// The commit and its date (`YYYY-MM-DD`, the committer's) from git, when `dir` is the top of
/// a git work tree. A crate copied into some other repository (vendored) is not stamped with
/// that repository's commit.
fn from_git(dir: &Path) -> Option<(String, Option<String>)> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    watch_head(dir);
    let commit = git(dir, &["rev-parse", "--short=7", "HEAD"])?;
    let date = git(dir, &["log", "-1", "--format=%cd", "--date=short", "HEAD"]);
    Some((commit, date))
}

/// Asks cargo to run this script again when HEAD moves: HEAD itself (a checkout), the branch
/// it points at (a commit), and packed-refs (where `git gc` moves refs). In a worktree HEAD is
/// in the worktree's git directory and the refs in the common one.
fn watch_head(dir: &Path) {
    let path = |args: &[&str]| git(dir, args).map(|p| dir.join(p));
    if let Some(head) = path(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={}", head.display());
    }
    if let Some(common) = path(&["rev-parse", "--git-common-dir"]) {
        let packed = common.join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
        if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            let loose = common.join(&branch);
            if loose.exists() {
                println!("cargo:rerun-if-changed={}", loose.display());
            }
        }
    }
}
