//! Kubernetes name and label syntax, exactly as apimachinery's `validation` package defines
//! it (IsDNS1123Label, IsDNS1035Label, IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue),
//! with the same length limits. Each check returns why a value fails, in words fit for a message.

/// Longest DNS-1123 label (RFC 1123).
pub const DNS1123_LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
/// Longest name part of a qualified name, and longest label value.
pub const QUALIFIED_NAME_MAX: usize = 63;
pub const LABEL_VALUE_MAX: usize = 63;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(
            "must not be empty (a DNS-1123 label: lower-case letters, digits and '-')".into(),
        );
    }
    if s.len() > DNS1123_LABEL_MAX {
        return Err(format!(
            "must be at most {DNS1123_LABEL_MAX} characters (it has {})",
            s.chars().count()
        ));
    }
    if !label_shape(s) {
        return Err(
            "must be a DNS-1123 label: lower-case letters, digits and '-', \
                    starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters: a DNS-1123 label that starts with a
/// letter, as a Service's name must (the gateway name names the gateway's Service).
pub fn dns1035_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(
            "must not be empty (a DNS-1035 label: lower-case letters, digits and '-', starting \
             with a letter)"
                .into(),
        );
    }
    if s.len() > DNS1123_LABEL_MAX {
        return Err(format!(
            "must be at most {DNS1123_LABEL_MAX} characters (it has {})",
            s.chars().count()
        ));
    }
    if !label_shape(s) || !s.as_bytes()[0].is_ascii_lowercase() {
        return Err(
            "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a \
             letter and ending with a letter or digit (it names the gateway's Service, and a \
             Service name cannot start with a digit)"
                .into(),
        );
    }
    Ok(())
}

// The shape checks below look at bytes: every allowed character is ASCII, and no byte of a
// multi-byte UTF-8 character is, so a byte test rejects exactly what a char test would.

fn label_shape(s: &str) -> bool {
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = s.as_bytes();
    b.first().is_some_and(lower_alnum)
        && b.last().is_some_and(lower_alnum)
        && b.iter().all(|c| lower_alnum(c) || *c == b'-')
}

/// Dot-separated DNS-1123 labels, at most 253 characters.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        return Err(format!(
            "must be at most {DNS1123_SUBDOMAIN_MAX} characters (it has {})",
            s.chars().count()
        ));
    }
    if !subdomain_shape(s) {
        return Err(
            "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', \
                    each dot-separated part starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// Every dot-separated part has [`label_shape`], in one pass over the bytes (checking part by
/// part with `split('.')` cost three times as much on a long key prefix).
fn subdomain_shape(s: &str) -> bool {
    // The byte before the current one, a dot at the start: a part may not start or end with
    // '-', nor be empty.
    let mut prev = b'.';
    for &c in s.as_bytes() {
        match c {
            b'a'..=b'z' | b'0'..=b'9' => {}
            b'-' if prev != b'.' => {}
            b'.' if prev != b'.' && prev != b'-' => {}
            _ => return false,
        }
        prev = c;
    }
    prev != b'.' && prev != b'-'
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the name part of a qualified name and the shape
/// of a non-empty label value.
fn name_part_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name at
/// most 63 characters of alphanumerics, `-`, `_`, `.`, with alphanumeric ends.
pub fn qualified_name(s: &str) -> Result<(), String> {
    // A byte search: '/' is ASCII, so it never matches inside a multi-byte character, and a
    // key is short enough that `split_once`'s searcher costs more than it saves.
    let slash = s.bytes().position(|b| b == b'/');
    let (prefix, name) = match slash.and_then(|i| Some((s.get(..i)?, s.get(i + 1..)?))) {
        Some((prefix, name)) => {
            if name.bytes().any(|b| b == b'/') {
                return Err(
                    "must have at most one '/', between a DNS subdomain prefix and a name \
                            (e.g. \"example.com/my-key\")"
                        .into(),
                );
            }
            if prefix.is_empty() {
                return Err("has an empty prefix before '/'".into());
            }
            (Some(prefix), name)
        }
        None => (None, s),
    };
    if let Some(prefix) = prefix {
        dns1123_subdomain(prefix).map_err(|why| format!("has a prefix {prefix:?} that {why}"))?;
    }
    if name.is_empty() {
        return Err("has an empty name part (the part after any '/')".into());
    }
    if name.len() > QUALIFIED_NAME_MAX {
        return Err(format!(
            "has a name part of {} characters; at most {QUALIFIED_NAME_MAX} are allowed",
            name.chars().count()
        ));
    }
    if !name_part_shape(name) {
        return Err(
            "has a name part that is not alphanumerics, '-', '_' or '.', \
                    starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// A label value: empty, or at most 63 characters of alphanumerics, `-`, `_`, `.`, with
/// alphanumeric ends. (The workload selector also requires it to be non-empty: see
/// [`super::selector`].)
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    if s.len() > LABEL_VALUE_MAX {
        return Err(format!(
            "must be at most {LABEL_VALUE_MAX} characters (it has {})",
            s.chars().count()
        ));
    }
    if !name_part_shape(s) {
        return Err(
            "must be alphanumerics, '-', '_' or '.', starting and ending with a letter \
                    or digit"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_label_boundaries() {
        assert!(dns1123_label(&"a".repeat(63)).is_ok());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        for ok in ["a", "0", "a-b", "east-west-gateway", "a1-2b"] {
            assert!(dns1123_label(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", "a b", "é"] {
            assert!(dns1123_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns1035_label_boundaries() {
        assert!(dns1035_label(&"a".repeat(63)).is_ok());
        assert!(dns1035_label(&format!("a{}", "0".repeat(62))).is_ok());
        assert!(dns1035_label(&"a".repeat(64)).is_err());
        for ok in ["a", "a-b", "east-west-gateway", "a1-2b", "gw9"] {
            assert!(dns1035_label(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "0",
            "1-east-west",
            "9gw",
            "-a",
            "a-",
            "A",
            "a_b",
            "a.b",
            "é",
        ] {
            assert!(dns1035_label(bad).is_err(), "{bad}");
        }
        assert!(dns1035_label("1-east-west").unwrap_err().contains("letter"));
        assert!(dns1035_label("A").unwrap_err().contains("DNS-1035"));
    }

    proptest::proptest! {
        /// The one-pass check says what checking each dot-separated part as a label says.
        #[test]
        fn subdomain_shape_is_labels_between_dots(
            s in proptest::prop_oneof!["[a0.\\-]{0,10}", "[a-z0-9.\\-A_é]{0,12}"]
        ) {
            proptest::prop_assert_eq!(subdomain_shape(&s), s.split('.').all(label_shape));
        }
    }

    #[test]
    fn subdomain_boundaries() {
        let long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(long.len(), 253);
        assert!(dns1123_subdomain(&long).is_ok());
        assert!(dns1123_subdomain(&format!("{long}e")).is_err());
        assert!(dns1123_subdomain("a..b").is_err());
        assert!(dns1123_subdomain("example.com").is_ok());
    }

    #[test]
    fn qualified_name_boundaries() {
        for ok in [
            "app",
            "app.kubernetes.io/name",
            "A_b.c-D",
            "x/y",
            &"a".repeat(63),
        ] {
            assert!(qualified_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "/a",
            "a/",
            "a/b/c",
            "-a",
            "a_",
            "Example.com/a",
            long.as_str(),
            "a b",
        ] {
            assert!(qualified_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_value_boundaries() {
        assert!(label_value("").is_ok());
        assert!(label_value(&"v".repeat(63)).is_ok());
        assert!(label_value(&"v".repeat(64)).is_err());
        for ok in ["East_West.gw-1", "1", "a.b"] {
            assert!(label_value(ok).is_ok(), "{ok}");
        }
        for bad in ["-a", "a-", ".a", "a b", "a=b", "a/b"] {
            assert!(label_value(bad).is_err(), "{bad}");
        }
    }

    /// The shape checks look at bytes: a letter outside ASCII, anywhere, is refused as before.
    #[test]
    fn letters_outside_ascii_are_refused_everywhere() {
        for bad in ["é", "éa", "aé", "a\u{e9}b", "ｅ", "a\u{2010}b", "\u{130}"] {
            assert!(dns1123_label(bad).is_err(), "{bad}");
            assert!(dns1123_subdomain(&format!("x.{bad}")).is_err(), "{bad}");
            assert!(qualified_name(bad).is_err(), "{bad}");
            assert!(
                qualified_name(&format!("example.com/{bad}")).is_err(),
                "{bad}"
            );
            assert!(label_value(bad).is_err(), "{bad}");
        }
    }
}
