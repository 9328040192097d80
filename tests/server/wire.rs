//! The webhook's hand-written wire parsers accept and refuse what kube's
//! `AdmissionReview<DynamicObject>` and k8s-openapi's `ObjectMeta` accept and refuse, and read
//! the same fields: a property test over generated review bodies (tests/common/wire_diff.rs,
//! also the `wire_parsers` fuzz target in fuzz/), and one test per stated difference, so each
//! exception is seen to hold on a plain example.

use crate::wire_diff;

use eastwest_guard::server::admission::parse_request;
use kube::core::DynamicObject;
use kube::core::admission::AdmissionReview;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_guard_reads_reviews_as_kube_does(input in prop::collection::vec(any::<u8>(), 0..600)) {
        wire_diff::check(&input).map_err(TestCaseError::fail)?;
    }
}

/// An exhausted input makes a plain review both accept, so the generator's first choices are
/// well-formed ones (and shrinking leads towards them).
#[test]
fn the_plainest_review_is_accepted_by_both() {
    let body = wire_diff::review(&mut wire_diff::Source::new(&[])).render(true);
    let ours = parse_request(&body);
    let kube = serde_json::from_slice::<AdmissionReview<DynamicObject>>(&body);
    assert!(ours.is_ok(), "{ours:?}\n{}", String::from_utf8_lossy(&body));
    assert!(kube.is_ok(), "{kube:?}");
    wire_diff::check(&[]).unwrap();
}

fn review_with(request_fields: &str, object: &str) -> String {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u",
        "kind":{{"group":"","version":"v1","kind":"Namespace"}},
        "resource":{{"group":"","version":"v1","resource":"namespaces"}},
        "operation":"CREATE","userInfo":{{"username":"alice"}}{request_fields},
        "object":{object}}}}}"#
    )
}

fn ours(body: &str) -> Result<(), String> {
    parse_request(body.as_bytes()).map(drop)
}

fn kube(body: &str) -> Result<(), String> {
    serde_json::from_str::<AdmissionReview<DynamicObject>>(body)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `metadata` fields the rules do not read are skipped unparsed: a malformed one is refused by
/// k8s-openapi's `ObjectMeta` and not by the guard. kube-apiserver sends validated objects.
#[test]
fn exception_unread_metadata_is_not_checked() {
    for field in [
        r#""uid":5"#,
        r#""creationTimestamp":"not a date""#,
        r#""managedFields":"junk""#,
        r#""ownerReferences":{}"#,
        r#""generation":"3""#,
    ] {
        let body = review_with("", &format!(r#"{{"metadata":{{"name":"x",{field}}}}}"#));
        assert!(ours(&body).is_ok(), "{field}");
        assert!(kube(&body).is_err(), "{field}");
    }
}

/// JSON the guard skips (`options`, an object's fields it does not read) is only checked to be
/// well-formed; kube decodes it into a `serde_json::Value`, which refuses a lone surrogate
/// escape, invalid UTF-8 and a number past `f64`.
#[test]
fn exception_skipped_json_is_not_decoded() {
    for (fields, object) in [
        (r#","options":{"x":"\ud800"}"#, "null"),
        (r#","options":[1e999]"#, "null"),
        ("", r#"{"status":{"x":"\udc00"}}"#),
        ("", r#"{"spec":{"ports":-1e400}}"#),
    ] {
        let body = review_with(fields, object);
        assert!(ours(&body).is_ok(), "{body}");
        assert!(kube(&body).is_err(), "{body}");
    }
    let mut bytes = review_with("", r#"{"data":"\u00e9"}"#).into_bytes();
    let at = bytes.windows(6).position(|w| w == b"\\u00e9").unwrap();
    bytes.splice(at..at + 6, [0xff]);
    assert!(parse_request(&bytes).is_ok());
    assert!(serde_json::from_slice::<AdmissionReview<DynamicObject>>(&bytes).is_err());
}

/// A `response` in the review is not read (the guard writes its own); kube's type decodes it.
#[test]
fn exception_a_response_in_the_request_is_not_read() {
    let body = review_with("", "null").replacen('{', r#"{"response":5,"#, 1);
    assert!(ours(&body).is_ok());
    assert!(kube(&body).is_err());
}

/// The guard reads an object's `apiVersion`, `kind` and `spec.type` as strings;
/// `DynamicObject` keeps all but `metadata` as untyped JSON, so it takes a number there, or a
/// key given twice, and the guard does not.
#[test]
fn exception_typed_object_fields() {
    for object in [
        r#"{"apiVersion":5,"kind":"Namespace"}"#,
        r#"{"kind":["Namespace"]}"#,
        r#"{"spec":{"type":5}}"#,
        r#"{"spec":"LoadBalancer"}"#,
        r#"{"kind":"Service","kind":"Service"}"#,
        r#"{"spec":{"type":"ClusterIP","type":"LoadBalancer"}}"#,
    ] {
        let body = review_with("", object);
        assert!(ours(&body).is_err(), "{object}");
        assert!(kube(&body).is_ok(), "{object}");
    }
}

/// `spec` as an array is read by the guard in serde's positional form of a struct (its first
/// element is `type`); kube keeps the array as JSON.
#[test]
fn exception_positional_spec() {
    let body = review_with("", r#"{"kind":"Service","spec":["LoadBalancer"]}"#);
    let parsed = parse_request(body.as_bytes()).unwrap();
    let object = parsed.object.unwrap();
    assert_eq!(object.service_type(), Some("LoadBalancer"));
    let review = serde_json::from_str::<AdmissionReview<DynamicObject>>(&body).unwrap();
    let spec = &review.request.unwrap().object.unwrap().data["spec"];
    assert!(spec.is_array(), "{spec}");
}

/// kube's `DynamicObject` keeps `apiVersion` and `kind` only as a pair, and drops one given
/// alone; the guard keeps each. Not a difference in what is accepted, so the property test
/// compares them only when kube kept the pair.
#[test]
fn a_lone_api_version_is_kept_by_the_guard_only() {
    let body = review_with("", r#"{"apiVersion":"v1"}"#);
    let parsed = parse_request(body.as_bytes()).unwrap();
    assert_eq!(parsed.object.unwrap().api_version.as_deref(), Some("v1"));
    let review = serde_json::from_str::<AdmissionReview<DynamicObject>>(&body).unwrap();
    let object = review.request.unwrap().object.unwrap();
    assert!(object.types.is_none());
    assert!(object.data.get("apiVersion").is_none(), "{:?}", object.data);
}

/// Read as kube reads them: an object (`object`, `oldObject`) from a JSON object only (serde's
/// derive would read `[]` as an empty object), and `userInfo` as k8s-openapi's own
/// `Deserialize` reads it, from an object only and keeping the last of a field given twice.
#[test]
fn objects_and_user_info_are_read_as_kubes_types_read_them() {
    for object in ["[]", r#"["v1","Namespace",{"name":"x"}]"#] {
        let body = review_with("", object);
        assert!(kube(&body).is_err(), "{object}");
        let reason = ours(&body).unwrap_err();
        assert!(
            reason.starts_with("not an AdmissionReview: invalid type: sequence"),
            "{reason}"
        );
    }
    for user_info in ["[]", r#"["alice"]"#] {
        let body = review_with(&format!(r#","userInfo":{user_info}"#), "null").replacen(
            r#""userInfo":{"username":"alice"},"#,
            "",
            1,
        );
        assert!(kube(&body).is_err(), "{user_info}");
        assert!(ours(&body).is_err(), "{user_info}");
    }
    let body = review_with("", "null").replacen(
        r#"{"username":"alice"}"#,
        r#"{"username":"mallory","groups":[],"username":"alice","extra":{},"extra":null}"#,
        1,
    );
    let review = serde_json::from_str::<AdmissionReview<DynamicObject>>(&body).unwrap();
    let kube_user = review.request.unwrap().user_info.username;
    let parsed = parse_request(body.as_bytes()).unwrap();
    assert_eq!(parsed.facts.user, kube_user);
    assert_eq!(parsed.facts.user.as_deref(), Some("alice"));
}
