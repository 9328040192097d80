//! How the audit finds its cluster (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`,
//! `--context`) and reads it: pages of `--chunk-size` objects followed by their continue
//! tokens, Namespaces metadata-only, and a list whose token expired started again.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::apiserver::{
    Behaviour, FakeApiServer, METADATA_LIST_ACCEPT, Store, kubeconfig_tls, kubeconfig_with,
    namespace, service, unrelated_ca_pem,
};
use super::fixture;
use super::run::{Home, audit, audit_server};

/// 7 Namespaces and 25 Services, with no problem.
fn many() -> (Vec<Value>, Vec<Value>) {
    let namespaces = (0..7)
        .map(|i| namespace(&format!("ns-{i}"), json!({}), json!({})))
        .collect();
    let services = (0..25)
        .map(|i| {
            service(
                &format!("ns-{}", i % 7),
                &format!("svc-{i:02}"),
                "ClusterIP",
                json!({}),
                json!({}),
            )
        })
        .collect();
    (namespaces, services)
}

#[test]
fn lists_are_read_in_pages_of_chunk_size_until_the_last() {
    let (namespaces, services) = many();
    let server = FakeApiServer::start(Store::new(&namespaces, &services), Behaviour::default());
    let out = audit_server(&server, &["--chunk-size", "4", "--output", "json"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["summary"]["namespaces"], 7);
    assert_eq!(doc["summary"]["services"], 25);

    let ns = server.requests_for("namespaces");
    let svc = server.requests_for("services");
    assert_eq!(
        (ns.len(), svc.len()),
        (2, 7),
        "ceil(7/4) and ceil(25/4) pages"
    );
    assert_eq!(doc["cluster"]["namespaces"]["requests"], 2);
    assert_eq!(doc["cluster"]["services"]["requests"], 7);
    for r in ns.iter().chain(&svc) {
        assert_eq!(r.limit, Some(4), "{r:?}");
        assert_eq!(r.status, 200, "{r:?}");
    }
    // The first page of each list has no token; every later one the token of the page before.
    assert!(ns[0].continue_token.is_none() && svc[0].continue_token.is_none());
    assert!(
        ns[1..]
            .iter()
            .chain(&svc[1..])
            .all(|r| r.continue_token.is_some())
    );
    // Namespaces metadata-only; Services whole (the rules read spec.type).
    assert!(
        ns.iter()
            .all(|r| r.accept.as_deref() == Some(METADATA_LIST_ACCEPT)),
        "{ns:?}"
    );
    assert!(
        svc.iter().all(|r| !r
            .accept
            .as_deref()
            .unwrap_or("")
            .contains("PartialObjectMetadata")),
        "{svc:?}"
    );
    assert_eq!(doc["cluster"]["services"]["resourceVersion"], "1000");
}

#[test]
fn the_default_page_is_500_objects() {
    let server = fixture::server();
    let out = audit_server(&server, &[]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(server.requests().iter().all(|r| r.limit == Some(500)));
}

#[test]
fn a_list_whose_continue_token_expired_is_started_again_and_read_whole() {
    let (namespaces, services) = many();
    let behaviour = Behaviour {
        churn: HashMap::from([("services", 1), ("namespaces", 1)]),
        ..Behaviour::default()
    };
    let server = FakeApiServer::start(Store::new(&namespaces, &services), behaviour);
    let out = audit_server(&server, &["--chunk-size", "4", "--output", "json"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let doc = out.json();
    // The snapshot after the change, each object once: nothing of the first attempt is kept.
    assert_eq!(doc["summary"]["namespaces"], 8, "{out:?}");
    assert_eq!(doc["summary"]["services"], 26, "{out:?}");
    assert_eq!(doc["cluster"]["namespaces"]["restarts"], 1);
    assert_eq!(doc["cluster"]["services"]["restarts"], 1);
    let expired: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.status == 410)
        .collect();
    assert_eq!(expired.len(), 2, "one 410 per list: {expired:?}");
    // Said on standard error, once per list.
    assert!(
        out.stderr
            .contains("the list of Services was started again once"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("the list of Namespaces was started again once"),
        "{out:?}"
    );
    assert!(out.stderr.contains("410 Gone"), "{out:?}");
    // A first page then the full list (7 pages of the 26 Services): 1 + 1 (the 410) + 7.
    assert_eq!(server.requests_for("services").len(), 9);
}

#[test]
fn the_kubeconfig_flag_wins_over_the_environment() {
    let server = fixture::server();
    let home = Home::new();
    let good = home.kubeconfig_for(&server, "good.yaml");
    let dead = home.write(
        "dead.yaml",
        &super::apiserver::kubeconfig(&closed_port_url(), "dead", "t"),
    );
    let out = audit(
        &home,
        &["--kubeconfig", good.to_str().unwrap()],
        &[("KUBECONFIG", dead.to_str().unwrap())],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains(&server.url()), "{out:?}");
}

#[test]
fn kubeconfig_is_read_from_the_environment_variable() {
    let server = fixture::server();
    let home = Home::new();
    let path = home.kubeconfig_for(&server, "elsewhere/config.yaml");
    let out = audit(&home, &[], &[("KUBECONFIG", path.to_str().unwrap())]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stdout
            .contains("audited 16 objects (7 Namespaces, 9 Services)"),
        "{out:?}"
    );
    assert!(!server.requests().is_empty());
}

#[test]
fn kubeconfig_defaults_to_the_home_directory() {
    let server = fixture::server();
    let home = Home::new();
    home.kubeconfig_for(&server, ".kube/config");
    let out = audit(&home, &[], &[]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains(&server.url()), "{out:?}");
}

#[test]
fn context_chooses_the_cluster() {
    let server = fixture::server();
    let dead = closed_port_url();
    let home = Home::new();
    let url = server.url();
    let config = home.write(
        "kubeconfig.yaml",
        &kubeconfig_with(
            &[("dead", &dead, "t"), ("fake", &url, "good-token")],
            "dead",
        ),
    );
    let config = config.to_str().unwrap();

    let chosen = audit(&home, &["--kubeconfig", config, "--context", "fake"], &[]);
    assert_eq!(chosen.code, Some(1), "{chosen:?}");
    assert!(chosen.stdout.contains(&url), "{chosen:?}");

    // The current context otherwise: the dead one.
    let current = audit(
        &home,
        &["--kubeconfig", config, "--request-timeout", "5s"],
        &[],
    );
    assert_eq!(current.code, Some(2), "{current:?}");
    assert!(current.stderr.contains(&dead), "{current:?}");

    // --context alone reads KUBECONFIG too.
    let env = audit(&home, &["--context", "fake"], &[("KUBECONFIG", config)]);
    assert_eq!(env.code, Some(1), "{env:?}");

    let unknown = audit(&home, &["--kubeconfig", config, "--context", "nope"], &[]);
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("has no context \"nope\" (it has: dead, fake)"),
        "{unknown:?}"
    );
    assert!(unknown.stdout.is_empty(), "{unknown:?}");
}

#[test]
fn no_configuration_anywhere_exits_2_and_says_where_it_looked() {
    let home = Home::new();
    let out = audit(&home, &["--output", "json"], &[]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("KUBECONFIG"), "{out:?}");
    assert!(out.stderr.contains("in-cluster"), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["error"]["code"], "config");
    assert_eq!(doc["cluster"]["server"], Value::Null);
    assert_eq!(doc["summary"], Value::Null);
}

#[test]
fn a_bad_flag_exits_2_before_reading_anything() {
    let server = fixture::server();
    for args in [
        &["--chunk-size", "0"][..],
        &["--request-timeout", "soon"],
        &["--warn", "EW999"],
        &["--output", "sarif-ish"],
    ] {
        let out = audit_server(&server, args);
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// A URL on 127.0.0.1 where nothing listens: a port bound and released.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn https_with_the_ca_of_the_kubeconfig() {
    let (server, ca) = FakeApiServer::start_tls(
        Store::new(&fixture::namespaces(), &fixture::services()),
        Behaviour::default(),
    );
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let home = Home::new();
    let trusted = home.write("trusted.yaml", &kubeconfig_tls(&server.url(), "t", &ca));
    let out = audit(&home, &["--kubeconfig", trusted.to_str().unwrap()], &[]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("audited 16 objects"), "{out:?}");

    // A server whose certificate the kubeconfig's CA did not sign is not read.
    let other = home.write(
        "other.yaml",
        &kubeconfig_tls(&server.url(), "t", &unrelated_ca_pem()),
    );
    let out = audit(&home, &["--kubeconfig", other.to_str().unwrap()], &[]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains(&server.url()), "{out:?}");
    assert!(out.stderr.contains("cannot be reached"), "{out:?}");
    assert!(out.stderr.to_lowercase().contains("certificate"), "{out:?}");
}

#[test]
fn with_no_kubeconfig_the_in_cluster_service_account_is_tried() {
    let home = Home::new();
    let out = audit(
        &home,
        &[],
        &[
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", "6443"),
        ],
    );
    assert_eq!(out.code, Some(2), "{out:?}");
    // Past the environment, to the service account's files, which are absent outside a pod.
    assert!(
        out.stderr
            .contains("in-cluster: (failed to read the default namespace"),
        "{out:?}"
    );
    // Without the environment, kube stops at it.
    let outside = audit(&home, &[], &[]);
    assert!(
        outside
            .stderr
            .contains("in-cluster: (failed to read an incluster environment variable"),
        "{outside:?}"
    );
}

#[test]
fn a_dead_server_still_gets_a_document_in_every_document_format() {
    let home = Home::new();
    let dead = home.write(
        "dead.yaml",
        &super::apiserver::kubeconfig(&closed_port_url(), "dead", "t"),
    );
    let kubeconfig = dead.to_str().unwrap();
    for (format, shape) in [
        ("json", "\"error\""),
        ("markdown", "**Incomplete**: the cluster could not be read"),
        ("sarif", "\"executionSuccessful\": false"),
        ("junit", "<error"),
    ] {
        let out = audit(
            &home,
            &["--kubeconfig", kubeconfig, "--output", format],
            &[],
        );
        assert_eq!(out.code, Some(2), "{format}: {out:?}");
        assert!(out.stdout.contains(shape), "{format}: {out:?}");
        assert!(out.stderr.contains("127.0.0.1"), "{format}: {out:?}");
    }
}
