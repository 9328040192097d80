//! Where Go's YAML (yaml.v2 and yaml.v3, ports of libyaml: what the agent parses with) reads a
//! text differently from saphyr (the YAML 1.2 parser the guard reads with): the text is
//! refused, or a value decoded, as Go's YAML would before saphyr reads it.

use super::super::decision::TextPosition;
use super::yaml::{YamlProblem, is_null};

/// The first character Go's YAML cannot read as YAML 1.1 reads it. Its reader refuses every
/// character outside `#x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF]` ("control characters are not allowed"), wherever it stands, quoted or
/// in a comment; saphyr accepts most of them. NEL, LS and PS (U+0085, U+2028, U+2029) are line
/// breaks to YAML 1.1 (Go's) and text to YAML 1.2 (saphyr's), so they are refused too: the two
/// would read the text differently.
pub(super) fn unreadable_character(text: &str) -> Option<YamlProblem> {
    let refused = |c: char| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{84}'
            | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
    };
    let line_break = |c: char| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
    for (i, line) in text.split('\n').enumerate() {
        let Some((column, c)) = line
            .chars()
            .enumerate()
            .find(|&(_, c)| refused(c) || line_break(c))
        else {
            continue;
        };
        let what = if line_break(c) {
            format!(
                "is not valid YAML for the agent: the character U+{:04X}, a line break to Go's \
                 YAML parser (YAML 1.1) and not to YAML 1.2 readers; remove it or use a real \
                 line break",
                u32::from(c)
            )
        } else {
            format!(
                "is not valid YAML for the agent: the control character U+{:04X}, which Go's \
                 YAML parser refuses anywhere in the text (even quoted); remove it",
                u32::from(c)
            )
        };
        return Some(YamlProblem {
            what,
            position: Some(TextPosition {
                line: i + 1,
                column: column + 1,
            }),
        });
    }
    None
}

/// A tab in a line's indentation. Go's YAML (a port of libyaml) fails on a tab wherever it
/// reads indentation: before a key or a comment, at the start of a plain value's next line or
/// of a blank line, in a block scalar's indentation. saphyr accepts some of those (a key after
/// a tab), so the guard refuses a tab in the indentation of any line outside a block scalar's
/// text; inside one, only a tab before the scalar's indentation (after it, a tab is text). That
/// also refuses a quoted value or a flow map continued on a tab-indented line, which Go's YAML
/// reads; indenting with spaces fixes every case. Only the first document is looked at: Go's
/// YAML reads no further (a second document that holds anything is an EW007 of its own).
pub(super) fn tab_indentation(text: &str) -> Option<YamlProblem> {
    let problem = |line: usize, column: usize| YamlProblem {
        what: "is not valid YAML for the agent: a tab in the indentation, which Go's YAML \
               parser refuses; indent with spaces"
            .into(),
        position: Some(TextPosition { line, column }),
    };
    let mut seen_content = false;
    // In a block scalar (`key: |`): its key's indentation, and its text's once known.
    let mut block: Option<(usize, Option<usize>)> = None;
    for (i, line) in text.split('\n').enumerate() {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let after_spaces = &line[spaces..];
        if let Some((parent, text_indent)) = block {
            let blank = after_spaces.is_empty() || after_spaces == "\r";
            match text_indent {
                _ if blank => continue,
                Some(n) if spaces >= n => continue,
                None if spaces > parent && !after_spaces.starts_with('\t') => {
                    block = Some((parent, Some(spaces)));
                    continue;
                }
                _ if after_spaces.starts_with('\t') => return Some(problem(i + 1, spaces + 1)),
                // Less indented: the scalar has ended, and this line is read as any other.
                _ => block = None,
            }
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return Some(problem(i + 1, tab + 1));
        }
        let content = &line[indent..];
        if is_marker(content, "---") && seen_content && indent == 0 {
            return None;
        }
        if !(content.is_empty() || content.starts_with('#') || content == "\r") {
            seen_content = true;
        }
        if let Some(increment) = block_scalar_start(content) {
            block = Some((indent, increment.map(|n| indent + n)));
        }
    }
    None
}

/// Whether `line` is the document marker `marker` (`---` or `...`), alone or followed by
/// whitespace.
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// For a `key: |` (or `>`) line, the block scalar's explicit indentation if it gives one
/// (`|2`); `None` when the line starts no block scalar. Conservative: a key that itself holds
/// a `:` is not recognised, and the lines after it are then checked as any other (stricter,
/// never laxer, than Go's YAML).
pub(super) fn block_scalar_start(content: &str) -> Option<Option<usize>> {
    if content.starts_with('#') {
        return None;
    }
    let (_, value) = content.split_once(':')?;
    let mut value = value.trim_start_matches([' ', '\t']);
    // Properties before the indicator: a tag (`!!str`) or an anchor (`&a`).
    while value.starts_with(['!', '&']) {
        let end = value.find([' ', '\t'])?;
        value = value[end..].trim_start_matches([' ', '\t']);
    }
    let rest = value.strip_prefix(['|', '>'])?;
    let header_end = rest.find([' ', '\t', '\r']).unwrap_or(rest.len());
    let (header, tail) = rest.split_at(header_end);
    let tail = tail.trim_start_matches([' ', '\t', '\r']);
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    let mut increment = None;
    for b in header.bytes() {
        match b {
            b'+' | b'-' => {}
            b'1'..=b'9' if increment.is_none() => increment = Some(usize::from(b - b'0')),
            _ => return None,
        }
    }
    Some(increment)
}

/// A document end marker (`...`) before any content. Go's YAML (as libyaml) expects the first
/// document's content there and fails; saphyr reads an empty document and goes on.
pub(super) fn end_marker_first(text: &str) -> Option<YamlProblem> {
    let (i, line) = text.split('\n').enumerate().find(|(_, line)| {
        let content = line.trim_start_matches([' ', '\t']);
        !(content.is_empty() || content.starts_with('#'))
    })?;
    is_marker(line, "...").then(|| YamlProblem {
        what: "is not valid YAML for the agent: it starts with the document end marker '...' \
               (Go's YAML parser expects the map first); remove that line"
            .into(),
        position: Some(TextPosition {
            line: i + 1,
            column: 1,
        }),
    })
}

/// Whether a scalar with the explicit core tag `!!name` is one Go's YAML decodes. It refuses
/// content its tag cannot hold (`!!int nlb`: "cannot decode !!str `nlb` as a !!int"), which
/// sends the agent to its fallback. Checked conservatively, in the forms yaml.v2 (YAML 1.1)
/// and yaml.v3 both read: a decimal integer without leading zeros that fits 64 bits, a finite
/// decimal float or `.inf`/`.nan`, `true`/`false`, a null, a `YYYY-MM-DD` date of the calendar.
/// (Go also reads `0x1F`, `1_000` or a date with a time under those tags: refused here, a
/// stricter reading.) `!!binary` is decoded separately; `!!str` and tags Go does not resolve
/// leave the text as it is.
pub(super) fn tag_holds(name: &str, raw: &str) -> bool {
    fn digits(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
    }
    let unsigned = |s: &str| s.strip_prefix(['-', '+']).unwrap_or(s).to_owned();
    match name {
        "int" => {
            let n = unsigned(raw);
            digits(&n)
                && (n == "0" || !n.starts_with('0'))
                && (raw.parse::<i64>().is_ok()
                    || raw.trim_start_matches('+').parse::<u64>().is_ok())
        }
        "float" => {
            let n = unsigned(raw);
            if matches!(n.as_str(), ".inf" | ".Inf" | ".INF")
                || matches!(raw, ".nan" | ".NaN" | ".NAN")
            {
                return true;
            }
            let (mantissa, exponent) = match n.split_once(['e', 'E']) {
                Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
                None => (n.as_str(), None),
            };
            let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            (digits(whole) || (whole.is_empty() && digits(fraction)))
                && (fraction.is_empty() || digits(fraction))
                && exponent.is_none_or(digits)
                && raw.parse::<f64>().is_ok_and(f64::is_finite)
        }
        "null" => is_null(raw),
        "bool" => matches!(raw, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"),
        "timestamp" => {
            let b = raw.as_bytes();
            b.len() == 10
                && b.iter().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        *c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                })
                && raw.parse::<jiff::civil::Date>().is_ok()
        }
        _ => true,
    }
}

/// A `!!binary` scalar's value as Go's YAML decodes it: `base64.StdEncoding`, which skips
/// line breaks (`\r`, `\n`) and nothing else, wants the padding and ignores the unused bits of
/// the last character. The bytes go into a Go string as they are; they are shown here with any
/// that are not UTF-8 replaced, as JSON would write them.
pub(super) fn decode_binary(raw: &str) -> Result<String, &'static str> {
    use base64::Engine as _;
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    const GO_STD_ENCODING: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let compact: String = raw.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = GO_STD_ENCODING
        .decode(compact)
        .map_err(|_| "that is not base64")?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse_yaml;
    use super::*;

    /// Go's YAML reader refuses control characters wherever they stand, where saphyr reads
    /// them: a BEL in a certificate ARN would send the agent to its fallback, which sets the
    /// certificate to `|`.
    #[test]
    fn control_characters_and_yaml_1_1_line_breaks_are_refused() {
        for (text, line, column, code) in [
            (
                "service.beta.kubernetes.io/aws-load-balancer-ssl-cert: |\n  arn:aws:acm:1:certificate/abc\u{7}\n",
                2,
                32,
                "U+0007",
            ),
            ("a: \"x\u{1}y\"\n", 1, 6, "U+0001"),
            ("a: b # \u{1b}[31m\n", 1, 8, "U+001B"),
            ("a: b\nc: 'd\u{7f}'\n", 2, 6, "U+007F"),
            ("a: b\u{9f}\n", 1, 5, "U+009F"),
            ("a: \u{fffe}\n", 1, 4, "U+FFFE"),
            ("a: x\u{85}y\n", 1, 5, "U+0085"),
            ("a: x\u{2028}y\n", 1, 5, "U+2028"),
        ] {
            let problems = parse_yaml(text).unwrap_err();
            assert_eq!(problems.len(), 1, "{text:?}: {problems:?}");
            assert!(
                problems[0].what.contains(code),
                "{text:?}: {}",
                problems[0].what
            );
            assert_eq!(
                problems[0].position,
                Some(TextPosition { line, column }),
                "{text:?}"
            );
        }
        // What YAML allows stays allowed: tab inside a quoted value, CR LF, NBSP, emoji.
        for text in [
            "a: \"x\ty\"\n",
            "a: b\r\nc: d\r\n",
            "a: x\u{a0}y\n",
            "a: \"\u{1f600}\"\n",
        ] {
            assert!(parse_yaml(text).is_ok(), "{text:?}");
        }
    }

    /// Go's YAML decodes `!!binary` into the text it holds; that text is what the agent
    /// sees, so it is what EW010 judges, not the base64.
    #[test]
    fn binary_values_are_read_decoded() {
        let e = parse_yaml("service.beta.kubernetes.io/aws-load-balancer-type: !!binary bmxi\n")
            .unwrap();
        assert_eq!(e[0].value, "nlb");
        let e = parse_yaml("a.io/x: !!binary |\n  bm\n  xi\n").unwrap();
        assert_eq!(e[0].value, "nlb");
        // Go's decoder ignores the unused bits of the last character ("bmx=" is "nl").
        let e = parse_yaml("a.io/x: !!binary \"bmx=\"\n").unwrap();
        assert_eq!(e[0].value, "nl");
        // It skips line breaks, not spaces: a space inside is not base64 to Go.
        for bad in [
            "a.io/x: !!binary not-base64!\n",
            "a.io/x: !!binary \"bm xi\"\n",
            "a.io/x: !!binary bm\n  xi\n",
        ] {
            let problems = parse_yaml(bad).unwrap_err();
            assert!(
                problems[0].what.contains("!!binary"),
                "{bad:?}: {problems:?}"
            );
        }
    }

    /// Go's YAML refuses a scalar its explicit core tag cannot hold, so the agent falls back
    /// to reading lines (and gets `"!!int nlb"`).
    #[test]
    fn core_tags_that_cannot_hold_their_value_are_refused() {
        for bad in [
            "a.io/x: !!int nlb\n",
            "a.io/x: !!int \"nlb\"\n",
            "a.io/x: !!int 4.5\n",
            "a.io/x: !!bool internal\n",
            "a.io/x: !!float nlb\n",
            "a.io/x: !!timestamp nlb\n",
            "a.io/x: !!timestamp 2026-13-45\n",
            "a.io/x: !!timestamp 2026-02-30\n",
            "a.io/x: !!int 99999999999999999999\n",
            "a.io/x: !!float 1e400\n",
            "a.io/x: !!null nlb\n",
            "a.io/x: !<tag:yaml.org,2002:int> nlb\n",
            "!!int a.io/x: nlb\n",
            "a.io/x: ok\nb.io/y: !!int nlb\n",
        ] {
            let problems = parse_yaml(bad).unwrap_err();
            assert!(
                problems[0].what.contains("which Go's YAML refuses"),
                "{bad:?}: {problems:?}"
            );
        }
        let problems = parse_yaml("a.io/x: ok\nb.io/y: !!int nlb\n").unwrap_err();
        assert_eq!(
            problems[0].position,
            Some(TextPosition { line: 2, column: 9 })
        );
        // What the tag can hold is read as the text written; other tags leave it alone.
        for (good, value) in [
            ("a.io/x: !!int 42\n", "42"),
            ("a.io/x: !!int -7\n", "-7"),
            ("a.io/x: !!float 42\n", "42"),
            ("a.io/x: !!float 4.5e3\n", "4.5e3"),
            ("a.io/x: !!float .inf\n", ".inf"),
            ("a.io/x: !!bool true\n", "true"),
            ("a.io/x: !!timestamp 2026-12-01\n", "2026-12-01"),
            ("a.io/x: !!str 42\n", "42"),
            (
                "a.io/x: !!int 18446744073709551615\n",
                "18446744073709551615",
            ),
            ("a.io/x: !!timestamp 2028-02-29\n", "2028-02-29"),
            ("a.io/x: !<tag:yaml.org,2002:int> 42\n", "42"),
            ("a.io/x: !local nlb\n", "nlb"),
        ] {
            let e = parse_yaml(good).unwrap_or_else(|p| panic!("{good:?}: {p:?}"));
            assert_eq!(e[0].value, value, "{good:?}");
        }
    }
}
