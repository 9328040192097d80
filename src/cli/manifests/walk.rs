//! Which files a command's paths name, in which order, and their text: files as given,
//! directories walked in name order with hidden entries skipped, `-` as standard input, each
//! file once however it is reached.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{InputError, STDIN, STDIN_NAME};
use crate::cli::yaml::Pos;

/// One text to read.
pub(super) enum Source {
    Stdin,
    File(PathBuf),
}

/// What `paths` name, in order: a directory gives its manifest files, a file itself, `-`
/// standard input. A path that names nothing to read is an error in `errors`, and the others
/// are still read.
pub(super) fn sources(paths: &[PathBuf], errors: &mut Vec<InputError>) -> Vec<Source> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == STDIN {
            files.push(Source::Stdin);
            continue;
        }
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                let mut visited = HashSet::new();
                walk(path, &mut files, errors, &mut visited);
                if files.len() == before {
                    errors.push(InputError {
                        file: display(path),
                        pos: None,
                        message: "no .yaml, .yml or .json file in this directory".into(),
                    });
                }
            }
            Ok(_) => files.push(Source::File(path.clone())),
            Err(e) => errors.push(InputError {
                file: display(path),
                pos: None,
                message: format!("cannot read: {}", io_reason(&e)),
            }),
        }
    }
    // A file named twice (`check manifests/ manifests/payments.yaml`) is read once: its
    // objects are not duplicates of themselves.
    let mut seen_files = HashSet::new();
    files.retain(|source| match source {
        Source::Stdin => true,
        Source::File(path) => seen_files.insert(fs::canonicalize(path).unwrap_or(path.clone())),
    });
    files
}

/// The name findings give a source, and its text (or why there is none).
pub(super) fn text(source: Source) -> (Arc<str>, Result<String, InputError>) {
    match source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            let name: Arc<str> = Arc::from(STDIN_NAME);
            match std::io::stdin().lock().read_to_end(&mut bytes) {
                Ok(_) => (name.clone(), decode(&name, bytes)),
                Err(e) => (
                    name.clone(),
                    Err(InputError {
                        file: name,
                        pos: None,
                        message: format!("cannot read standard input: {}", io_reason(&e)),
                    }),
                ),
            }
        }
        Source::File(path) => {
            let name = display(&path);
            match fs::read(&path) {
                Ok(bytes) => (name.clone(), decode(&name, bytes)),
                Err(e) => (
                    name.clone(),
                    Err(InputError {
                        file: name,
                        pos: None,
                        message: format!("cannot read: {}", io_reason(&e)),
                    }),
                ),
            }
        }
    }
}

fn display(path: &Path) -> Arc<str> {
    Arc::from(path.display().to_string())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn is_manifest_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Collects manifest files under `dir`, sorted by name at each level. Hidden entries (`.git`,
/// `.github`) are skipped; a directory reached twice through symbolic links is read once.
fn walk(
    dir: &Path,
    files: &mut Vec<Source>,
    errors: &mut Vec<InputError>,
    visited: &mut HashSet<PathBuf>,
) {
    let real = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(real) {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError {
                file: display(dir),
                pos: None,
                message: format!("cannot read directory: {}", io_reason(&e)),
            });
            return;
        }
    };
    let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, files, errors, visited),
            Ok(_) if is_manifest_file(&path) => files.push(Source::File(path)),
            Ok(_) => {}
            // A dangling symbolic link that looks like a manifest is worth a word.
            Err(e) if is_manifest_file(&path) => errors.push(InputError {
                file: display(&path),
                pos: None,
                message: format!("cannot read: {}", io_reason(&e)),
            }),
            Err(_) => {}
        }
    }
}

fn decode(name: &Arc<str>, mut bytes: Vec<u8>) -> Result<String, InputError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        InputError {
            file: name.clone(),
            pos: Some(Pos {
                line,
                column: before.iter().rev().take_while(|&&b| b != b'\n').count() + 1,
            }),
            message: "not UTF-8 text: manifests must be UTF-8 (as kubectl reads them)".into(),
        }
    })
}
