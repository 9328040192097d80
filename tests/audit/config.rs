//! `audit --config FILE`: the cluster judged with the webhook's configuration file, its
//! overrides Namespace by Namespace (a Service by its Namespace's name), flags over the file.

use super::findings::findings;
use super::fixture;
use super::run::{Home, audit};

fn level(doc: &serde_json::Value, rule: &str, object: &str) -> String {
    findings(doc)
        .into_iter()
        .find(|(_, r, o)| r == rule && o == object)
        .map(|(l, ..)| l)
        .unwrap_or_else(|| panic!("no {rule} on {object}: {:?}", findings(doc)))
}

#[test]
fn the_file_and_its_overrides_set_the_levels() {
    let server = fixture::server();
    let home = Home::new();
    let kubeconfig = home.kubeconfig_for(&server, "kubeconfig.yaml");
    let kubeconfig = kubeconfig.to_str().unwrap();
    let run = |config: &str, extra: &[&str]| {
        let path = home.write("eastwest-guard.yaml", config);
        let mut args = vec!["--kubeconfig", kubeconfig, "-o", "json", "--config"];
        args.push(path.to_str().unwrap());
        args.extend_from_slice(extra);
        audit(&home, &args, &[])
    };

    // Service/legacy/api's EW013 is the only deny of the fixture.
    let legacy_warns = run(
        "overrides:\n  - namespaces: [\"leg*\"]\n    warnOnly: true\n",
        &[],
    );
    assert_eq!(legacy_warns.code, Some(0), "{legacy_warns:?}");
    assert_eq!(
        level(&legacy_warns.json(), "EW013", "Service/legacy/api"),
        "warning"
    );

    let only_legacy_enforced = run(
        "warnOnly: true\noverrides:\n  - namespaces: [payments]\n    warnOnly: true\n  \
         - namespaces: [legacy]\n    warnOnly: false\n",
        &[],
    );
    assert_eq!(
        only_legacy_enforced.code,
        Some(1),
        "{only_legacy_enforced:?}"
    );
    assert_eq!(
        level(&only_legacy_enforced.json(), "EW013", "Service/legacy/api"),
        "error"
    );

    // A flag given wins over the file, overrides included.
    let flag = run(
        "overrides:\n  - namespaces: [legacy]\n    warnOnly: false\n",
        &["--warn-only"],
    );
    assert_eq!(flag.code, Some(0), "{flag:?}");

    // A bad file: exit 2 before reading the cluster, naming the line and field.
    let before = server.requests().len();
    let bad = run(
        "overrides:\n  - namespaces: [legacy]\n    warnonly: false\n",
        &[],
    );
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr
            .contains("eastwest-guard.yaml:3:5: overrides[0].warnonly: unknown field"),
        "{}",
        bad.stderr
    );
    assert_eq!(server.requests().len(), before, "the cluster is not read");
}
