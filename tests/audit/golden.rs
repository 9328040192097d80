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

#[test]
fn markdown_of_the_fixture_cluster() {
    let server = fixture::server();
    let out = audit_server(&server, &["--output", "markdown"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_golden("fixture.md", &out.stdout, server.addr.port());
}

#[test]
fn sarif_of_the_fixture_cluster() {
    let server = fixture::server();
    let out = audit_server(&server, &["--output", "sarif"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let text = audit_server(&server, &[]);
    // One result per finding of the text output, at the object the text names.
    let findings: Vec<&str> = text.stdout.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(results.len(), findings.len(), "{}", out.stdout);
    for (r, line) in results.iter().zip(&findings) {
        let object = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        let rule = r["ruleId"].as_str().unwrap();
        assert!(line.contains(&format!("{rule} {object} ")), "{line} vs {r}");
    }
    let stable = out
        .stdout
        .replace(eastwest_guard::command::LONG_VERSION, "<long version>")
        .replace(
            &format!("\"semanticVersion\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"semanticVersion\": \"<version>\"",
        );
    assert_golden("fixture.sarif", &stable, server.addr.port());
}

#[test]
fn junit_of_the_fixture_cluster() {
    let server = fixture::server();
    let out = audit_server(&server, &["--output", "junit"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_golden("fixture.xml", &out.stdout, server.addr.port());
}
