//! Property tests of the request path (`admission::answer`, bytes in, answer out), the same
//! entry point and the same invariants (tests/common/invariants.rs) as the `request` and
//! `review_fields` fuzz targets in fuzz/, so that CI, which does not fuzz, checks them too:
//! arbitrary bytes, real reviews damaged byte by byte, and well-formed reviews with random
//! labels and annotations.

use crate::invariants;

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value, json};

fn fixtures() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["tests/data/reviews", "examples"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for p in paths {
            out.push(std::fs::read(p).unwrap());
        }
    }
    assert!(out.len() >= 10);
    out
}

/// A fixture with a few bytes replaced, removed or inserted, and maybe cut short.
fn damaged() -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..6);
    (
        any::<prop::sample::Index>(),
        edits,
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(which, edits, cut)| {
            let all = fixtures();
            let mut bytes = all[which.index(all.len())].clone();
            for (at, op, byte) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = byte,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, byte),
                }
            }
            if let Some(cut) = cut {
                let len = cut.index(bytes.len() + 1);
                bytes.truncate(len);
            }
            bytes
        })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("traffic.tetrate.io/global".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-deploy".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-namespace".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-name".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-workload-selector".to_owned()),
        Just("traffic.tetrate.io/eastwest-gateway-cloud-annotations".to_owned()),
        Just("istio-injection".to_owned()),
        Just("tetrate.io/rev".to_owned()),
        "traffic\\.tetrate\\.io/[a-z~/-]{0,20}",
        ".{0,12}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("enabled".to_owned()),
        Just("default".to_owned()),
        "[a-z0-9-]{0,66}",
        "(app|tier|[a-z./~]{1,8})=[A-Za-z0-9_.-]{0,8}(,[a-z]{0,3}=[a-z]{0,3}){0,3}",
        "((service\\.beta\\.kubernetes\\.io/aws-load-balancer-[a-z-]{2,10}|[a-z: ]{0,6})(: ?)([\"']?[A-Za-z0-9:/ -]{0,10}[\"']?|\\[a|\\{b: c\\})\n){0,4}",
        any::<String>(),
    ]
}

fn review(
    kind: &str,
    operation: &str,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    old_annotations: BTreeMap<String, String>,
    sub_resource: bool,
) -> Vec<u8> {
    let object = |annotations: &BTreeMap<String, String>| {
        json!({
            "apiVersion": "v1",
            "kind": kind,
            "metadata": {
                "name": "payments",
                "namespace": if kind == "Service" { Some("payments") } else { None },
                "labels": labels,
                "annotations": annotations,
            },
            "spec": {"type": "LoadBalancer"}
        })
    };
    let (new, old) = match operation {
        "CREATE" => (object(&annotations), Value::Null),
        "UPDATE" => (object(&annotations), object(&old_annotations)),
        _ => (Value::Null, object(&old_annotations)),
    };
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "prop-uid",
            "kind": {"group": "", "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1", "resource": "x"},
            "subResource": if sub_resource { Some("status") } else { None },
            "name": "payments",
            "namespace": if kind == "Service" { Some("payments") } else { None },
            "operation": operation,
            "userInfo": {"username": "prop"},
            "object": new,
            "oldObject": old,
        }
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_get_a_protocol_answer(body in prop::collection::vec(any::<u8>(), 0..256)) {
        invariants::check_all(&body).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn damaged_reviews_get_a_protocol_answer(body in damaged()) {
        invariants::check_all(&body).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn well_formed_reviews_keep_every_promise(
        service in any::<bool>(),
        operation in prop::sample::select(vec!["CREATE", "UPDATE", "DELETE"]),
        labels in prop::collection::btree_map(key(), value(), 0..5),
        annotations in prop::collection::btree_map(key(), value(), 0..6),
        old_annotations in prop::collection::btree_map(key(), value(), 0..4),
        sub_resource in prop::bool::weighted(0.1),
    ) {
        let kind = if service { "Service" } else { "Namespace" };
        let body = review(kind, operation, labels, annotations, old_annotations, sub_resource);
        invariants::check_all(&body).map_err(TestCaseError::fail)?;
    }
}

/// Every fixture, whole, keeps the invariants (and is answered with a 200).
#[test]
fn every_fixture_keeps_the_invariants() {
    for body in fixtures() {
        invariants::check_all(&body).unwrap();
        let answer = eastwest_guard::server::admission::answer(
            eastwest_guard::server::admission::Endpoint::Validate,
            &body,
            &eastwest_guard::rules::Config::default(),
            &eastwest_guard::rules::NoCluster,
        );
        assert_eq!(
            answer.http_status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
}

/// Invalid UTF-8 inside `managedFields`, which the server skips unread, is answered (200, with
/// the defaults patch where one is due), and the answer keeps every invariant (the invariant
/// checker must not assume such a body cannot be answered).
#[test]
fn invalid_utf8_in_a_skipped_field_is_answered() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/review-namespace-update.json");
    let mut body = std::fs::read(path).unwrap();
    let at = body
        .windows(9)
        .position(|w| w == b"\"f:metada")
        .expect("managedFields in the fixture")
        + 3;
    body[at..at + 3].copy_from_slice(&[0xff, 0xff, 0xff]);
    assert!(std::str::from_utf8(&body).is_err());
    for endpoint in [
        eastwest_guard::server::admission::Endpoint::Validate,
        eastwest_guard::server::admission::Endpoint::Mutate,
    ] {
        let answer = eastwest_guard::server::admission::answer(
            endpoint,
            &body,
            &eastwest_guard::rules::Config::default(),
            &eastwest_guard::rules::NoCluster,
        );
        assert_eq!(
            answer.http_status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    invariants::check_all(&body).unwrap();
}

/// A lone surrogate escape (`\ud800`) in a key inside `managedFields`, which the server skips
/// unread, is answered, and the defaults patch applies to the object as the server read it.
#[test]
fn a_lone_surrogate_in_a_skipped_field_is_answered() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/review-namespace-update.json");
    let text = std::fs::read_to_string(path).unwrap();
    let at = text
        .find("\"f:labels\":{")
        .expect("managedFields in the fixture");
    let body = format!("{}\"f:l\\ud800abels\":{{{}", &text[..at], &text[at + 12..]);
    assert!(serde_json::from_str::<Value>(&body).is_err());
    invariants::check_all(body.as_bytes()).unwrap();
}
