//! The JSON document (its schema is a contract: docs/audit-output.md) and the text output of
//! the fixture cluster, held to files under tests/audit/golden/. After an intended change,
//! regenerate them with
//!
//!     UPDATE_GOLDEN=1 cargo test --test audit golden
//!
//! and review `git diff tests/audit/golden`. The fake server's port, which changes on every
//! run, is written `127.0.0.1:PORT`; the tool's version `<version>`.

use std::path::PathBuf;

use super::fixture;
use super::run::audit_server;

fn assert_golden(name: &str, actual: &str, port: u16) {
    let actual = actual
        .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:PORT")
        .replace(
            &format!("\"toolVersion\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"toolVersion\": \"<version>\"",
        );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/audit/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             If the change is intended: UPDATE_GOLDEN=1 cargo test --test audit golden\n\
             --- actual ---\n{actual}",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn json_of_the_fixture_cluster() {
    let server = fixture::server();
    let out = audit_server(&server, &["--output", "json"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_golden("fixture.json", &out.stdout, server.addr.port());
}

#[test]
fn text_of_the_fixture_cluster() {
    let server = fixture::server();
    let out = audit_server(&server, &[]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_golden("fixture.txt", &out.stdout, server.addr.port());
}
