//! The record of what the defaults patch derived: the annotation [`RECORD`], a JSON object
//! from each gateway key the guard wrote (its name under `traffic.tetrate.io/`) to the value it
//! wrote, e.g.
//!
//! ```text
//! eastwest-guard.tetrate.io/derived: '{"eastwest-gateway-workload-selector":"app=gw-a","eastwest-gateway-namespace":"tetrate-system","eastwest-gateway-deploy":"true"}'
//! ```
//!
//! A key counts as derived only while its value is still the one recorded: a key anyone set to
//! another value since (a user, a tool, a write made while the webhook was down) is theirs,
//! whatever the record says. Values, not only key names, because the test must give the same
//! answer on the webhook's reinvocation (its own output sent again with the same old object,
//! where a re-derived value differs from the old one just as a user's would) as on the first
//! call: a value that is what the record says it wrote is the guard's. And a record that only
//! named keys could not tell a derived selector left behind by a write the webhook never saw
//! from one the user chose. Anything that does not read as such an object (not JSON, a value
//! that is not a string, a key given twice) records nothing; unknown keys are ignored. The
//! guard rewrites the record in its own form whenever what it holds changes.

use serde::Deserialize;
use serde_json::Value;

use super::super::keys;
use super::super::object::Text;

/// The annotation that records what the guard derived. Outside `traffic.tetrate.io/`, which
/// the agent reads and the rules police (EW011 would call an unknown key there a typo); under
/// the domain the guard's webhooks are named in (`mutate.eastwest-guard.tetrate.io`), so the
/// key names its owner and no other tool writes it.
pub const RECORD: &str = "eastwest-guard.tetrate.io/derived";

/// The keys the defaults patch writes, in the order of its operations and of the record.
pub(crate) const DERIVABLE: [&str; 4] = [
    keys::GATEWAY_NAME,
    keys::GATEWAY_SELECTOR,
    keys::GATEWAY_NAMESPACE,
    keys::GATEWAY_DEPLOY,
];

/// The record's name for a derivable key: the key under `traffic.tetrate.io/`.
fn short(key: &str) -> &str {
    key.strip_prefix(keys::PREFIX).unwrap_or(key)
}

/// What a record says: per key of [`DERIVABLE`], the value the guard wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Record<'a>(pub(crate) [Option<Text<'a>>; 4]);

/// The record as JSON: the four fields by their record names, anything else ignored.
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow, rename = "eastwest-gateway-name", default)]
    name: Option<Text<'a>>,
    #[serde(borrow, rename = "eastwest-gateway-workload-selector", default)]
    selector: Option<Text<'a>>,
    #[serde(borrow, rename = "eastwest-gateway-namespace", default)]
    namespace: Option<Text<'a>>,
    #[serde(borrow, rename = "eastwest-gateway-deploy", default)]
    deploy: Option<Text<'a>>,
}

impl<'a> Record<'a> {
    /// Reads a record; one that does not read as the guard's records nothing.
    pub(crate) fn parse(text: &'a str) -> Record<'a> {
        match serde_json::from_str::<Fields<'a>>(text) {
            Ok(f) => Record([f.name, f.selector, f.namespace, f.deploy]),
            Err(_) => Record::default(),
        }
    }

    /// The value recorded for the `i`th key of [`DERIVABLE`].
    pub(crate) fn value(&self, i: usize) -> Option<&str> {
        self.0.get(i).and_then(|v| v.as_deref())
    }
}

/// The record of `values` (per key of [`DERIVABLE`], the value the guard wrote, if it wrote
/// one) in the guard's own form, or `None` when it wrote none.
pub(crate) fn format(values: &[Option<&str>; 4]) -> Option<String> {
    let mut out = String::new();
    for (key, value) in DERIVABLE.iter().zip(values) {
        let Some(value) = value else { continue };
        out.push(if out.is_empty() { '{' } else { ',' });
        out.push('"');
        out.push_str(short(key));
        out.push_str("\":");
        // serde_json's Display of a string value: quoted and escaped, and cannot fail.
        out.push_str(&Value::String((*value).to_owned()).to_string());
    }
    if out.is_empty() {
        return None;
    }
    out.push('}');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes() {
        let values = [None, Some("app=gw-a"), Some("tetrate-system"), Some("true")];
        let text = format(&values).unwrap();
        assert_eq!(
            text,
            r#"{"eastwest-gateway-workload-selector":"app=gw-a","eastwest-gateway-namespace":"tetrate-system","eastwest-gateway-deploy":"true"}"#
        );
        let record = Record::parse(&text);
        for (i, v) in values.iter().enumerate() {
            assert_eq!(record.value(i), *v);
        }
        assert_eq!(format(&[None; 4]), None);
        // Values that need escaping survive the round trip.
        let odd = [Some("a\"b\\c\n"), None, None, None];
        assert_eq!(Record::parse(&format(&odd).unwrap()).value(0), odd[0]);
    }

    #[test]
    fn anything_else_records_nothing() {
        for bad in [
            "",
            "name",
            "eastwest-gateway-name",
            "[]",
            "\"x\"",
            r#"{"eastwest-gateway-name": 5}"#,
            r#"{"eastwest-gateway-name": "a", "eastwest-gateway-name": "b"}"#,
            r#"{"eastwest-gateway-name": "a""#,
        ] {
            assert_eq!(Record::parse(bad), Record::default(), "{bad}");
        }
        // Unknown keys and nulls are ignored; the rest is read.
        let r = Record::parse(
            r#"{"traffic.tetrate.io/eastwest-gateway-name":"x","eastwest-gateway-deploy":"true","eastwest-gateway-name":null,"other":[1]}"#,
        );
        assert_eq!((r.value(0), r.value(3)), (None, Some("true")));
    }
}
