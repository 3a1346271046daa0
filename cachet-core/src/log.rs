//! Log-safe rendering of values a user or a database can influence (CWE-117, log injection).
//!
//! A `tracing` field written with `%value` or `?value` goes to whatever subscriber the
//! embedding application installed, verbatim: `tracing_subscriber::fmt` (0.3.20 and later)
//! escapes ESC, BEL, BS, FF, DEL and the C1 controls, but not CR, LF, NUL, TAB, the other C0
//! controls or U+2028/U+2029, and a custom or JSON-less subscriber may escape nothing. So a
//! request path, a database error message or an SMTP reply holding `"\n2026-01-01T00:00:00Z
//! INFO forged"` would forge a log line, and one holding `"\x1b[2J"` would rewrite a terminal.
//!
//! Why a wrapper rather than the other options:
//!
//! - `?value` alone is not enough: `Debug` escapes control characters inside string fields,
//!   but an error type's `Debug` may print a source through `Display`, and `Debug` of a
//!   `fmt::Arguments` or of a hand-written impl escapes nothing.
//! - Configuring the binary's formatter (the `cachet` binary does, as a second layer) does not
//!   help a library user who installs their own subscriber.
//!
//! [`Escaped`] holds by construction for every subscriber: whatever the value's `Display` (or
//! `Debug`) writes passes through a writer that replaces every character that could break or
//! disguise a line ([`needs_escape`]) with `\u{..}`, so an event stays one line whatever its
//! fields hold. Every influenced field in the library is logged through it; the test
//! `cachet-core/tests/log_injection.rs` checks that no tracing call in the workspace's library
//! code logs a formatted field without it, and drives hostile input through real code paths.
//!
//! This is log-line escaping (`\u{..}` for characters that break a line), not markup
//! escaping; HTML and XML text goes through [`crate::sanitize::escape_text`].

use std::fmt::{self, Write as _};

/// Whether `c` must not reach a log line raw: every control character (C0 including CR, LF,
/// TAB and NUL, DEL and C1 including NEL and the 8-bit CSI), the Unicode line and paragraph
/// separators, and the bidirectional controls that can make a line read differently from
/// what it holds.
#[must_use]
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A value rendered for a log line: its `Display` (or `Debug`) output with every character
/// for which [`needs_escape`] holds written as `\u{..}`. In `Display`, a backslash is doubled
/// too, so a value that spells `\u{a}` cannot pass for an escaped line feed; in `Debug` the
/// backslashes are `Debug`'s own escapes and stay as they are.
///
/// ```
/// use cachet_core::log::Escaped;
/// let hostile = "x\r\n2026-01-01T00:00:00Z  INFO forged\x1b[2J";
/// assert_eq!(
///     Escaped(hostile).to_string(),
///     "x\\u{d}\\u{a}2026-01-01T00:00:00Z  INFO forged\\u{1b}[2J"
/// );
/// // In a tracing call: `tracing::warn!(error = %Escaped(&e), "...")`.
/// ```
#[derive(Clone, Copy)]
pub struct Escaped<T>(pub T);

/// Writes into `inner`, escaping as [`Escaped`] documents.
struct EscapingWriter<'a, 'b> {
    inner: &'a mut fmt::Formatter<'b>,
    backslash: bool,
}

impl fmt::Write for EscapingWriter<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Runs of safe characters are written in one piece: logging stays cheap.
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let escape = needs_escape(c) || (self.backslash && c == '\\');
            if escape {
                self.inner.write_str(&s[start..i])?;
                if c == '\\' {
                    self.inner.write_str("\\\\")?;
                } else {
                    write!(self.inner, "\\u{{{:x}}}", u32::from(c))?;
                }
                start = i + c.len_utf8();
            }
        }
        self.inner.write_str(&s[start..])
    }
}

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = EscapingWriter {
            inner: f,
            backslash: true,
        };
        write!(w, "{}", self.0)
    }
}

impl<T: fmt::Debug> fmt::Debug for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = EscapingWriter {
            inner: f,
            backslash: false,
        };
        // `{:?}`, not `{:#?}`: pretty Debug spreads a value over several lines.
        write!(w, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "a\r\nb",
        "\n2026-01-01T00:00:00Z  INFO forged",
        "\x1b[2J\x1b]0;title\x07",
        "x\u{2028}y\u{2029}z",
        "nul\0here",
        "tab\tvt\x0bff\x0cdel\x7fnel\u{85}csi\u{9b}",
        "bidi\u{202e}gnp.exe\u{2066}",
    ];

    #[test]
    fn escaped_output_holds_no_character_that_needs_escaping() {
        for s in HOSTILE {
            let shown = Escaped(s).to_string();
            assert!(!shown.chars().any(needs_escape), "{shown:?}");
            let debug = format!("{:?}", Escaped(format_args!("{s}")));
            assert!(!debug.chars().any(needs_escape), "{debug:?}");
        }
    }

    #[test]
    fn escaping_is_unambiguous_and_keeps_printable_text() {
        assert_eq!(Escaped("plain ünïcode €").to_string(), "plain ünïcode €");
        assert_eq!(Escaped("a\nb").to_string(), "a\\u{a}b");
        // Text that spells an escape is not confused with one.
        assert_eq!(Escaped("a\\u{a}b").to_string(), "a\\\\u{a}b");
        assert_eq!(Escaped("\u{2028}").to_string(), "\\u{2028}");
        // Debug keeps its own escapes as they are.
        assert_eq!(format!("{:?}", Escaped("a\nb")), "\"a\\nb\"");
    }

    #[test]
    fn debug_of_a_type_that_escapes_nothing_is_escaped() {
        struct Raw;
        impl fmt::Debug for Raw {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("raw\r\nforged")
            }
        }
        assert_eq!(format!("{:?}", Escaped(Raw)), "raw\\u{d}\\u{a}forged");
    }
}
