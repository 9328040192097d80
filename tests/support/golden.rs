//! Golden files: a command's whole output compared exactly with a committed file under
//! tests/golden/. After an intended change of the output, regenerate them with
//!
//!     UPDATE_GOLDEN=1 cargo test --test cli
//!
//! and review the change with `git diff tests/golden`. The files are the output itself,
//! byte for byte, with no header: a reviewer reads them as a user reads the output, and
//! `diff` of two of them is a diff of outputs.

use std::path::PathBuf;

const REGENERATE: &str = "UPDATE_GOLDEN=1 cargo test --test cli";

/// Compares `actual` with tests/golden/`name`, or writes it there with `UPDATE_GOLDEN=1`. The
/// tool's version is replaced by `<version>` so a release does not touch every golden file.
pub fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let actual = actual.replace(
        &format!("\"toolVersion\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"toolVersion\": \"<version>\"",
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with {REGENERATE}",
            path.display()
        )
    });
    if expected != actual {
        let (line, golden, output) = first_difference(&expected, &actual);
        panic!(
            "{} differs from the output, first at line {line}:\n  golden: {golden:?}\n  \
             actual: {output:?}\nIf the change is intended: {REGENERATE}, then review git diff \
             tests/golden.\n--- actual output ---\n{actual}",
            path.display(),
        );
    }
}

/// The first line (from 1) where `expected` and `actual` differ, and that line of each
/// (`<end>` past the last line).
pub fn first_difference<'a>(expected: &'a str, actual: &'a str) -> (usize, &'a str, &'a str) {
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    (
        first + 1,
        expected.lines().nth(first).unwrap_or("<end>"),
        actual.lines().nth(first).unwrap_or("<end>"),
    )
}
