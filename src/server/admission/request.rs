//! What the webhook reads of an AdmissionReview body: the envelope (`apiVersion`, `kind`,
//! `request`) and the request, with the types and required fields of kube's
//! `AdmissionReview<T>` and `AdmissionRequest<T>`, the strings borrowed from the body, and the
//! objects read as the rules' projection ([`ObjectView`]). tests/server/wire.rs holds them to
//! kube's and k8s-openapi's own types.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use kube::core::admission::Operation;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{API_VERSION, KIND, RequestFacts};
use crate::rules::object::Text;
use crate::rules::{ObjectView, ResourceKind};

/// The body kube-apiserver sends. The envelope is read here rather than with kube's
/// `AdmissionReview<T>` so that a missing or wrong `kind`/`apiVersion` gets its own one-line
/// reason (kube's flattened `TypeMeta` only says "missing field"), and so serde does not
/// buffer the document for `#[serde(flatten)]` (a few percent on a 3 KB review). The object is
/// the rules' projection ([`ObjectView`]).
#[derive(Deserialize)]
#[serde(rename = "AdmissionReview")]
struct Envelope<'a> {
    #[serde(rename = "apiVersion", default, borrow)]
    api_version: Option<Text<'a>>,
    #[serde(default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    request: Option<WireRequest<'a>>,
}

/// kube's `AdmissionRequest`, field for field, with the same fields required and the same
/// types, but with its strings borrowed from the body (see [`Text`]) and `options` (a
/// `RawExtension`: any JSON) skipped unread, so its content is only checked to be well-formed
/// JSON. Parsing kube's own type copied every string of the request into a `String` and built
/// a `serde_json::Value` tree for `options`: three quarters of the time of a small Service
/// review.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(
    dead_code,
    reason = "resource, requestKind, requestResource, requestSubResource and options are read \
              only to hold them to the shape kube's type requires"
)]
pub(super) struct WireRequest<'a> {
    #[serde(borrow)]
    pub(super) uid: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) kind: WireGvk<'a>,
    #[serde(borrow)]
    resource: WireGvr<'a>,
    #[serde(default, borrow)]
    pub(super) sub_resource: Option<Text<'a>>,
    #[serde(default, borrow)]
    request_kind: Option<WireGvk<'a>>,
    #[serde(default, borrow)]
    request_resource: Option<WireGvr<'a>>,
    #[serde(default, borrow)]
    request_sub_resource: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub(super) name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) namespace: Option<Text<'a>>,
    pub(super) operation: Operation,
    #[serde(borrow)]
    user_info: WireUserInfo<'a>,
    pub(super) object: Option<WireObject>,
    pub(super) old_object: Option<WireObject>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    options: Option<IgnoredAny>,
}

/// An object of the request (`object`, `oldObject`): the rules' projection, read from a JSON
/// object only, as kube's `DynamicObject` is. The projection's derived `Deserialize` also takes
/// an array, field by position, which would read `"object": []` as an empty object.
pub(super) struct WireObject(pub(super) ObjectView);

impl<'de> Deserialize<'de> for WireObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ObjectView::deserialize(StructFromMap(d)).map(WireObject)
    }
}

/// A deserializer whose structs are read from a map only (serde_json's `deserialize_struct`
/// reads an array too). Only `deserialize_struct` is asked of it, by [`WireObject`]; the rest
/// go to the inner deserializer's `deserialize_any`.
struct StructFromMap<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for StructFromMap<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// kube's `GroupVersionKind` (every part required).
#[derive(Deserialize)]
pub(super) struct WireGvk<'a> {
    #[serde(borrow)]
    pub(super) group: Cow<'a, str>,
    #[serde(borrow)]
    #[expect(dead_code, reason = "required by kube's type; no rule reads it")]
    version: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) kind: Cow<'a, str>,
}

/// kube's `GroupVersionResource` (every part required; none is read).
#[derive(Deserialize)]
#[expect(
    dead_code,
    reason = "read only to hold it to the shape kube's type requires"
)]
struct WireGvr<'a> {
    #[serde(borrow)]
    group: Cow<'a, str>,
    #[serde(borrow)]
    version: Cow<'a, str>,
    #[serde(borrow)]
    resource: Cow<'a, str>,
}

/// k8s-openapi's `authentication.v1.UserInfo`, read as its own `Deserialize` reads it: every
/// field optional, from a JSON object only (serde's derive would also take an array, field by
/// position), a field given twice keeps its last value (the derive would refuse it). Only the
/// user name is kept, for the log line; the other fields are read to hold them to their types.
struct WireUserInfo<'a> {
    username: Option<Text<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for WireUserInfo<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct UserInfoVisitor;
        impl<'de> Visitor<'de> for UserInfoVisitor {
            type Value = WireUserInfo<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("UserInfo")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut username = None;
                while let Some(key) = access.next_key::<Text<'de>>()? {
                    match &*key {
                        "username" => username = access.next_value()?,
                        "uid" => {
                            access.next_value::<Option<Text<'de>>>()?;
                        }
                        "groups" => {
                            access.next_value::<Option<Vec<Text<'de>>>>()?;
                        }
                        "extra" => {
                            access.next_value::<Option<BTreeMap<Text<'de>, Vec<Text<'de>>>>>()?;
                        }
                        _ => {
                            access.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(WireUserInfo { username })
            }
        }
        d.deserialize_struct(
            "UserInfo",
            &["extra", "groups", "uid", "username"],
            UserInfoVisitor,
        )
    }
}

/// Reads and checks the envelope; the error is a one-line reason for the 400.
pub(super) fn read_request(body: &[u8]) -> Result<WireRequest<'_>, String> {
    // serde's derived structs also read a JSON array, field by position: kube-apiserver sends
    // an object, and anything else is not an AdmissionReview.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err("not an AdmissionReview: a JSON array, expected an object".to_owned());
    }
    // A body checked as UTF-8 once, as a whole (fast), is parsed as a `str`: from bytes,
    // serde_json checks every string again on its own, a sixth of a small review's answer.
    // A body that is not UTF-8 takes the byte path, which says where it breaks and still
    // answers one whose bad bytes are only in a skipped field.
    let parsed = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str::<Envelope>(text),
        Err(_) => serde_json::from_slice::<Envelope>(body),
    };
    let envelope = parsed.map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("not an AdmissionReview: {e}"),
        _ => format!("malformed JSON: {e}"),
    })?;
    match envelope.kind.as_deref() {
        Some(KIND) => {}
        Some(other) => return Err(format!("kind is {other:?}; expected {KIND:?}")),
        None => {
            return Err(format!(
                "not an AdmissionReview: no kind (expected {KIND:?})"
            ));
        }
    }
    match envelope.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "apiVersion is {other:?}; this webhook serves {API_VERSION} only \
                 (set admissionReviewVersions: [v1] in the webhook configuration)"
            ));
        }
        None => return Err(format!("no apiVersion (expected {API_VERSION:?})")),
    }
    envelope
        .request
        .ok_or_else(|| "AdmissionReview has no request".to_owned())
}

/// A request as the webhook reads it: what its logs and metrics report, and the objects the
/// rules judge.
#[derive(Debug)]
pub struct ParsedRequest {
    pub facts: RequestFacts,
    pub object: Option<ObjectView>,
    pub old_object: Option<ObjectView>,
}

/// Reads a request body as the webhook does before it judges it, or says why it is refused
/// with a 400 (the same reason). The webhook itself keeps the request's strings borrowed from
/// the body; this owns them.
pub fn parse_request(body: &[u8]) -> Result<ParsedRequest, String> {
    let request = read_request(body)?;
    let kind = ResourceKind::from_group_kind(&request.kind.group, &request.kind.kind);
    let (facts, object, old_object) = request.into_parts(kind);
    Ok(ParsedRequest {
        facts,
        object,
        old_object,
    })
}

impl WireRequest<'_> {
    /// What logs and metrics report of the request, and its objects, owned.
    pub(super) fn into_parts(
        self,
        kind: ResourceKind,
    ) -> (RequestFacts, Option<ObjectView>, Option<ObjectView>) {
        let facts = RequestFacts {
            uid: self.uid.into_owned(),
            kind,
            kind_name: self.kind.kind.into_owned(),
            namespace: self.namespace.map(Text::into_owned),
            name: self.name.into_owned(),
            operation: self.operation,
            sub_resource: self.sub_resource.map(Text::into_owned),
            dry_run: self.dry_run,
            user: self.user_info.username.map(Text::into_owned),
        };
        (
            facts,
            self.object.map(|o| o.0),
            self.old_object.map(|o| o.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::tests::{namespace, review, run};
    use super::super::{Endpoint, Outcome, answer};
    use crate::rules::{Config, NoCluster};

    /// The request's strings are borrowed from the body where they can be: escaped ones are
    /// decoded, `options` may be any JSON (a RawExtension), and the fields kube's type
    /// requires are still required.
    #[test]
    fn request_fields_are_read_like_kubes_admission_request() {
        let ns = namespace(json!({"traffic.tetrate.io/global": "true"}), json!({}));
        let mut v: Value =
            serde_json::from_slice(&review("Namespace", "CREATE", ns, Value::Null)).unwrap();
        v["request"]["options"] = json!([1, {"nested": [null, "x"]}]);
        // An escaped uid: the response echoes the decoded value.
        let raw = serde_json::to_string(&v)
            .unwrap()
            .replace(r#""uid":"705ab4f5-6393"#, r#""uid":"705ab4f5-\u0036393"#)
            .replace("alice@example.com", r#"alice\u0040example.com"#);
        assert!(raw.contains(r#"705ab4f5-\u0036393"#), "{raw}");
        let (a, out) = run(Endpoint::Validate, raw.as_bytes());
        assert_eq!(a.http_status, 200, "{:?}", a.error);
        assert_eq!(
            out["response"]["uid"],
            "705ab4f5-6393-11e8-b7cc-42010a800002"
        );
        let facts = a.facts.unwrap();
        assert_eq!(facts.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(facts.user.as_deref(), Some("alice@example.com"));
        assert_eq!(facts.name, "payments");

        for (pointer, field) in [
            ("resource", "resource"),
            ("kind", "kind"),
            ("operation", "operation"),
            ("userInfo", "userInfo"),
        ] {
            let mut missing = v.clone();
            missing["request"].as_object_mut().unwrap().remove(pointer);
            let (a, _) = run(Endpoint::Validate, &serde_json::to_vec(&missing).unwrap());
            assert_eq!(a.http_status, 400, "{pointer}");
            let reason = a.error.unwrap();
            assert!(
                reason.contains(&format!("missing field `{field}`")),
                "{reason}"
            );
        }
        for (pointer, bad) in [
            ("/request/kind/kind", json!(5)),
            ("/request/resource", json!("namespaces")),
            ("/request/requestKind", json!([])),
            ("/request/userInfo/groups", json!("system:authenticated")),
            ("/request/userInfo/extra", json!({"scopes": "a"})),
            ("/request/dryRun", json!("yes")),
            ("/request/name", json!(7)),
        ] {
            let mut wrong = v.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            wrong.pointer_mut(parent).unwrap()[key] = bad;
            let (a, _) = run(Endpoint::Validate, &serde_json::to_vec(&wrong).unwrap());
            assert_eq!(a.http_status, 400, "{pointer}");
            assert!(
                a.error.unwrap().starts_with("not an AdmissionReview"),
                "{pointer}"
            );
        }
    }

    #[test]
    fn bad_bodies_are_400_with_one_line_reasons() {
        let good: Value = serde_json::from_slice(&review(
            "Namespace",
            "CREATE",
            namespace(json!({}), json!({})),
            Value::Null,
        ))
        .unwrap();
        let mut wrong_version = good.clone();
        wrong_version["apiVersion"] = json!("admission.k8s.io/v1beta1");
        let mut wrong_kind = good.clone();
        wrong_kind["kind"] = json!("Namespace");
        let mut no_request = good.clone();
        no_request.as_object_mut().unwrap().remove("request");
        let mut no_uid = good.clone();
        no_uid["request"].as_object_mut().unwrap().remove("uid");
        let deep = "[".repeat(100_000);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"{not json".to_vec(), "malformed JSON"),
            (b"".to_vec(), "malformed JSON"),
            (deep.into_bytes(), "not an AdmissionReview"),
            (b"[1,2]".to_vec(), "not an AdmissionReview"),
            (b"{}".to_vec(), "no kind"),
            (serde_json::to_vec(&wrong_version).unwrap(), "apiVersion is"),
            (
                serde_json::to_vec(&wrong_kind).unwrap(),
                "kind is \"Namespace\"",
            ),
            (serde_json::to_vec(&no_request).unwrap(), "no request"),
            (serde_json::to_vec(&no_uid).unwrap(), "missing field `uid`"),
        ];
        for (body, expected) in cases {
            let a = answer(Endpoint::Validate, &body, &Config::default(), &NoCluster);
            assert_eq!(a.http_status, 400);
            assert_eq!(a.outcome, Outcome::BadRequest);
            let text = String::from_utf8(a.body).unwrap();
            assert!(text.contains(expected), "{text:?} lacks {expected:?}");
            assert_eq!(text.trim_end().lines().count(), 1, "{text:?}");
        }
    }

    /// An object comes from a JSON object only, as kube's `DynamicObject` does (serde's
    /// derive read `[]` as an empty object), and `userInfo` is read as k8s-openapi's
    /// `UserInfo` is: an object only, the last of a field given twice kept.
    #[test]
    fn objects_and_user_info_are_read_as_kubes_types_read_them() {
        let ns = namespace(json!({}), json!({}));
        let good: Value =
            serde_json::from_slice(&review("Namespace", "UPDATE", ns.clone(), ns)).unwrap();
        for (pointer, bad) in [
            ("/request/object", json!([])),
            ("/request/oldObject", json!(["v1", "Namespace"])),
            ("/request/userInfo", json!([])),
        ] {
            let mut v = good.clone();
            *v.pointer_mut(pointer).unwrap() = bad;
            let (a, _) = run(Endpoint::Validate, &serde_json::to_vec(&v).unwrap());
            assert_eq!(a.http_status, 400, "{pointer}");
            let reason = a.error.unwrap();
            assert!(reason.contains("invalid type: sequence"), "{reason}");
        }
        let body = String::from_utf8(serde_json::to_vec(&good).unwrap())
            .unwrap()
            .replace(
                r#""userInfo":{"#,
                r#""userInfo":{"username":"mallory","extra":null,"extra":{},"#,
            );
        let (a, _) = run(Endpoint::Validate, body.as_bytes());
        assert_eq!(a.http_status, 200, "{:?}", a.error);
        assert_eq!(a.facts.unwrap().user.as_deref(), Some("alice@example.com"));
    }
}
