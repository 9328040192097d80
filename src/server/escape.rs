//! The one escaping of client-controlled text for every sink that shows it: JSON and text
//! log lines, admission warnings, `status.message` and the one-line reason of a 400.
//!
//! A client that reaches the webhook chooses names, keys, values, uids and user names. Shown
//! raw, C0 and C1 controls rewrite a terminal (ESC, CSI U+009B), CR hides what came before it,
//! NUL ends strings in C tools, U+2028/U+2029 break JavaScript readers of JSON lines, and bidi
//! controls reorder text so a reader sees something else than what is there. JSON escaping
//! alone does not help: a log viewer decodes it back. So each of these characters is written
//! as visible text, `\u{1b}` (Rust's notation, lower-case hex), before any format's own
//! escaping, and what is shown is clipped to a number of characters (the cut marked `…`).
//!
//! Escaped: Cc (U+0000-U+001F, U+007F-U+009F), U+2028 and U+2029, and the bidi controls
//! U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether `c` is written as `\u{..}` rather than as itself.
#[inline]
pub fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `s` with every character of [`needs_escape`] written as `\u{..}`, cut after `max_chars`
/// characters of `s` (then `…`). Borrowed when nothing changes.
pub fn escape(s: &str, max_chars: usize) -> Cow<'_, str> {
    if is_plain(s, max_chars) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max_chars.saturating_mul(4)) + 8);
    let mut w = Escaper::new(&mut out, max_chars);
    // Writing into a String cannot fail.
    let _ = w.write_str(s);
    Cow::Owned(out)
}

/// Printable ASCII and short enough: nothing to escape or cut (nearly every value; checked
/// byte by byte without decoding).
#[inline]
fn is_plain(s: &str, max_chars: usize) -> bool {
    s.len() <= max_chars && s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// A `fmt::Write` that escapes what is written through it (see [`needs_escape`]) into `out`
/// and keeps at most `max_chars` characters of it: what comes after is dropped, marked once
/// with `…`. Writing never fails for being cut, so a `Display` or `Debug` value written
/// through it is formatted as far as it is shown.
pub struct Escaper<W> {
    out: W,
    left: usize,
    cut: bool,
}

impl<W: fmt::Write> Escaper<W> {
    pub fn new(out: W, max_chars: usize) -> Self {
        Escaper {
            out,
            left: max_chars,
            cut: false,
        }
    }

    /// Whether anything was dropped.
    pub fn was_cut(&self) -> bool {
        self.cut
    }
}

impl<W: fmt::Write> fmt::Write for Escaper<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Ok(());
        }
        if is_plain(s, self.left) {
            self.left -= s.len();
            return self.out.write_str(s);
        }
        let mut start = 0;
        for (i, c) in s.char_indices() {
            if self.left == 0 {
                self.out.write_str(&s[start..i])?;
                self.cut = true;
                return self.out.write_char('…');
            }
            self.left -= 1;
            if needs_escape(c) {
                self.out.write_str(&s[start..i])?;
                write!(self.out, "\\u{{{:x}}}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        self.out.write_str(&s[start..])
    }
}

/// `text` with every word (a run without whitespace) longer than `max_chars` characters cut in
/// its middle, keeping its start and its last characters (a closing quote, a colon) around a
/// `…`: the names and keys a message quotes, whatever their length, take at most `max_chars`
/// characters. Borrowed when no word is that long.
pub fn clip_words(text: &str, max_chars: usize) -> Cow<'_, str> {
    // A word of more than `max_chars` characters has more than `max_chars` bytes.
    if !text
        .split_whitespace()
        .any(|w| w.len() > max_chars && w.chars().count() > max_chars)
    {
        return Cow::Borrowed(text);
    }
    const KEEP_END: usize = 12;
    let keep_start = max_chars.saturating_sub(KEEP_END + 1);
    let mut out = String::with_capacity(text.len().min(4096));
    let mut rest = text;
    while !rest.is_empty() {
        let word_at = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..word_at]);
        rest = &rest[word_at..];
        let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_len];
        let chars = word.chars().count();
        if chars > max_chars {
            out.extend(word.chars().take(keep_start));
            out.push('…');
            out.extend(word.chars().skip(chars - KEEP_END.min(max_chars)));
        } else {
            out.push_str(word);
        }
        rest = &rest[word_len..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_separators_and_bidi_are_shown_as_escapes() {
        assert_eq!(escape("plain text", 100), "plain text");
        assert!(matches!(escape("plain", 100), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\u{1b}[2Jb\r\0\t\n\u{7f}\u{85}\u{9b}", 100),
            "a\\u{1b}[2Jb\\u{d}\\u{0}\\u{9}\\u{a}\\u{7f}\\u{85}\\u{9b}"
        );
        assert_eq!(
            escape(
                "\u{2028}\u{2029}\u{61c}\u{200e}\u{200f}\u{202a}\u{202e}\u{2066}\u{2069}",
                100
            ),
            "\\u{2028}\\u{2029}\\u{61c}\\u{200e}\\u{200f}\\u{202a}\\u{202e}\\u{2066}\\u{2069}"
        );
        // Other non-ASCII text is kept as it is.
        assert_eq!(escape("naïve ✓ 名前 \u{a0}", 100), "naïve ✓ 名前 \u{a0}");
    }

    #[test]
    fn what_is_shown_is_cut_after_max_chars() {
        assert_eq!(escape("abcdef", 4), "abcd…");
        assert_eq!(escape("abcd", 4), "abcd");
        assert_eq!(escape("éééééé", 2), "éé…");
        // The cut counts characters of the input, an escape as one.
        assert_eq!(escape("\u{1b}\u{1b}\u{1b}", 2), "\\u{1b}\\u{1b}…");
        // Through the writer, across pieces, marked once.
        let mut out = String::new();
        let mut w = Escaper::new(&mut out, 5);
        for piece in ["abc", "def", "ghi"] {
            w.write_str(piece).unwrap();
        }
        assert!(w.was_cut());
        assert_eq!(out, "abcde…");
    }

    #[test]
    fn long_words_are_cut_in_the_middle() {
        let name = "n".repeat(1000);
        let text = format!("EW001 Namespace \"{name}\": annotation x is wrong");
        let clipped = clip_words(&text, 253);
        let word = clipped.split_whitespace().nth(2).unwrap();
        assert_eq!(word.chars().count(), 253);
        assert!(
            word.starts_with("\"nnn") && word.ends_with("nnn\":"),
            "{word}"
        );
        assert!(clipped.ends_with(": annotation x is wrong"));
        assert!(clipped.starts_with("EW001 Namespace \""));
        assert!(matches!(
            clip_words("short words only", 253),
            Cow::Borrowed(_)
        ));
        // Whitespace between words is kept as it was (a message's lines stay lines).
        assert_eq!(
            clip_words(&format!("a\n- {}  b", "x".repeat(30)), 20),
            format!("a\n- {}…{}  b", "x".repeat(7), "x".repeat(12))
        );
    }

    proptest! {
        #[test]
        fn nothing_escaped_survives_and_the_rest_is_kept(s in any::<String>()) {
            let shown = escape(&s, usize::MAX);
            prop_assert!(!shown.chars().any(needs_escape));
            if !s.chars().any(needs_escape) {
                prop_assert_eq!(shown.as_ref(), s.as_str());
            }
        }

        #[test]
        fn no_word_is_left_longer_than_the_cut(s in "[a-z \n\"]{0,400}", max in 20usize..60) {
            let clipped = clip_words(&s, max);
            prop_assert!(clipped.split_whitespace().all(|w| w.chars().count() <= max));
        }
    }
}
