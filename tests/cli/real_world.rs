//! No false denial on real-world manifests (tests/data/real-world: public projects' Services,
//! unchanged): as written, with every Service exposed cross-cluster (created so, or labelled
//! by an update), and in a namespace-level Namespace, `check` denies nothing.

use std::path::Path;

use crate::support::run::{Run, data_dir, run_in};

const FILES: [&str; 2] = ["bookinfo.yaml", "microservices-demo-services.yaml"];

/// The Namespace the Services land in (they name none), with a workspace.
const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    tetrate.io/rev: default\n";

/// The text with `traffic.tetrate.io/global: "true"` among the labels of every Service: added
/// to its labels where it has some, else as its labels.
fn exposed(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut in_service = false;
    let mut in_metadata = false;
    let mut pending = false;
    for line in text.lines() {
        if line == "---" {
            in_service = false;
            in_metadata = false;
        }
        if line == "kind: Service" {
            in_service = true;
        }
        let top_level = !line.starts_with(' ') && !line.is_empty();
        if top_level && line != "metadata:" {
            if pending {
                out.push_str("  labels:\n    traffic.tetrate.io/global: \"true\"\n");
                pending = false;
            }
            in_metadata = false;
        }
        out.push_str(line);
        out.push('\n');
        if in_service && line == "metadata:" {
            in_metadata = true;
            pending = true;
        } else if in_service && in_metadata && line == "  labels:" {
            out.push_str("    traffic.tetrate.io/global: \"true\"\n");
            pending = false;
        }
    }
    if pending {
        out.push_str("  labels:\n    traffic.tetrate.io/global: \"true\"\n");
    }
    out
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn assert_nothing_denied(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what}:\n{}{}", run.stdout, run.stderr);
    assert!(
        run.summary().contains(": 0 errors"),
        "{what}: {}",
        run.summary()
    );
}

#[test]
fn real_world_manifests_as_written_get_no_finding() {
    let run = run_in(&data_dir("real-world"), &["check", "."], None);
    assert_nothing_denied(&run, "as written");
    assert!(
        run.summary().contains("15 Services") && run.summary().ends_with("0 warnings"),
        "{}",
        run.summary()
    );
}

#[test]
fn every_real_world_service_exposed_is_denied_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    for file in FILES {
        let text = std::fs::read_to_string(data_dir("real-world").join(file)).unwrap();
        let labelled = exposed(&text);
        assert_eq!(
            labelled.matches("traffic.tetrate.io/global").count(),
            text.matches("\nkind: Service\n").count(),
            "every Service labelled once:\n{labelled}"
        );
        write(&old, file, &text);
        write(&new, file, &labelled);
    }
    write(&old, "namespace.yaml", NAMESPACE);
    write(&new, "namespace.yaml", NAMESPACE);

    // Created exposed; then as an update of the Services as written.
    let created = run_in(dir.path(), &["check", "new"], None);
    assert_nothing_denied(&created, "created exposed");
    let updated = run_in(dir.path(), &["check", "--old", "old", "new"], None);
    assert_nothing_denied(&updated, "labelled by an update");
    assert!(
        updated.summary().contains("16 updates"),
        "{}",
        updated.summary()
    );

    // The same Services in a namespace-level Namespace with a gateway of its own.
    let namespace_level = format!(
        "{NAMESPACE}  annotations:\n    traffic.tetrate.io/global: \"true\"\n    \
         traffic.tetrate.io/eastwest-gateway-name: default-gw\n"
    );
    write(&new, "namespace.yaml", &namespace_level);
    let run = run_in(dir.path(), &["check", "--old", "old", "new"], None);
    assert_nothing_denied(&run, "namespace-level");
}
