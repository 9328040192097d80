//! A cluster that cannot be read exits 2 with a message naming the server, and for 401 and
//! 403 the permission that is missing; a slow server is given up after --request-timeout and
//! a dead one at once. With `--output json` the document says the same.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::apiserver::Behaviour;
use super::fixture;
use super::reading::closed_port_url;
use super::run::{Home, audit, audit_server};

#[test]
fn forbidden_services_name_the_permission_and_the_user() {
    let server = fixture::server_with(Behaviour {
        forbidden: vec!["services"],
        ..Behaviour::default()
    });
    let out = audit_server(&server, &[]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stdout.is_empty(),
        "no report of half a cluster: {out:?}"
    );
    let e = &out.stderr;
    assert!(e.contains(&server.url()), "{out:?}");
    assert!(e.contains("403 Forbidden"), "{out:?}");
    assert!(e.contains("list services at the cluster scope"), "{out:?}");
    assert!(
        e.contains("system:serviceaccount:platform:auditor"),
        "{out:?}"
    );
    assert!(
        e.contains("kubectl create clusterrole eastwest-guard-audit --verb=list --resource=namespaces,services"),
        "{out:?}"
    );
}

#[test]
fn forbidden_namespaces_are_said_as_such_in_json_too() {
    let server = fixture::server_with(Behaviour {
        forbidden: vec!["namespaces"],
        ..Behaviour::default()
    });
    let out = audit_server(&server, &["--output", "json"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("list namespaces at the cluster scope"),
        "{out:?}"
    );
    let doc = out.json();
    assert_eq!(doc["schemaVersion"], 1);
    assert_eq!(doc["error"]["code"], "forbidden");
    assert_eq!(doc["error"]["httpStatus"], 403);
    assert_eq!(doc["error"]["resource"], "namespaces");
    assert_eq!(doc["cluster"]["server"], server.url().as_str());
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("list namespaces at the cluster scope")
    );
    assert_eq!(doc["summary"], Value::Null);
    assert_eq!(doc["findings"], serde_json::json!([]));
    // Nothing more was asked after the refusal.
    assert!(server.requests_for("services").is_empty());
}

#[test]
fn credentials_the_server_does_not_accept_are_a_401_in_words() {
    let server = fixture::server_with(Behaviour {
        token: Some("the-right-token".into()),
        ..Behaviour::default()
    });
    let out = audit_server(&server, &[]);
    assert_eq!(out.code, Some(2), "{out:?}");
    let e = &out.stderr;
    assert!(e.contains(&server.url()), "{out:?}");
    assert!(e.contains("401 Unauthorized"), "{out:?}");
    assert!(e.contains("did not accept the credentials"), "{out:?}");
    assert!(
        e.contains("list namespaces at the cluster scope"),
        "{out:?}"
    );

    // The token of the kubeconfig is what is sent: with the right one, the audit runs.
    let home = Home::new();
    let config = home.write(
        "kubeconfig.yaml",
        &super::apiserver::kubeconfig(&server.url(), "fake", "the-right-token"),
    );
    let ok = audit(&home, &["--kubeconfig", config.to_str().unwrap()], &[]);
    assert_eq!(ok.code, Some(1), "{ok:?}");
}

#[test]
fn a_slow_server_is_given_up_after_the_request_timeout() {
    let server = fixture::server_with(Behaviour {
        delay: Some(Duration::from_secs(30)),
        ..Behaviour::default()
    });
    let out = audit_server(&server, &["--request-timeout", "1s"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.elapsed < Duration::from_secs(20), "{out:?}");
    assert!(out.stderr.contains(&server.url()), "{out:?}");
    assert!(
        out.stderr
            .contains("no answer within 1s (--request-timeout)"),
        "{out:?}"
    );
}

#[test]
fn a_dead_server_is_said_at_once() {
    let url = closed_port_url();
    let home = Home::new();
    let config = home.write(
        "kubeconfig.yaml",
        &super::apiserver::kubeconfig(&url, "dead", "t"),
    );
    let out = audit(
        &home,
        &[
            "--kubeconfig",
            config.to_str().unwrap(),
            "--request-timeout",
            "5s",
            "-o",
            "json",
        ],
        &[],
    );
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains(&url), "{out:?}");
    assert!(out.stderr.contains("cannot be reached"), "{out:?}");
    assert_eq!(out.json()["error"]["code"], "unreachable");
}

#[test]
fn a_list_that_keeps_expiring_is_given_up_and_says_what_to_try() {
    let server = fixture::server_with(Behaviour {
        churn: HashMap::from([("services", 100)]),
        ..Behaviour::default()
    });
    let out = audit_server(&server, &["--chunk-size", "2"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains(&server.url()), "{out:?}");
    assert!(out.stderr.contains("410 Gone"), "{out:?}");
    assert!(out.stderr.contains("4 times"), "{out:?}");
    assert!(out.stderr.contains("--chunk-size (now 2)"), "{out:?}");
    // Three restarts, then no more: 4 attempts of 2 requests each (a page, then the 410).
    assert_eq!(server.requests_for("services").len(), 8);
}
