//! Text values: names, plain multi-line text, Markdown sources, slugs, locales, time zones.

use super::{Violation, check_multi_line, check_single_line, normalize_newlines, string_newtype};

/// A single-line display name (component, group, incident, metric, template, user, site).
///
/// Trimmed; 1 to [`Name::MAX_CHARS`] characters; no control characters (so no CR/LF) and no
/// bidi overrides, which makes it safe in a header, a log line or a mail subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);
string_newtype!(Name);

impl Name {
    /// The longest name, in characters (Cachet's `string` columns hold 255).
    pub const MAX_CHARS: usize = 255;

    /// Parses a name.
    ///
    /// # Errors
    ///
    /// [`Violation::Required`] when empty after trimming, [`Violation::TooLong`],
    /// [`Violation::ControlCharacter`], [`Violation::BidiOverride`] or
    /// [`Violation::Noncharacter`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        Self::parse_bounded(s, Self::MAX_CHARS)
    }

    /// Parses a name with a tighter limit than [`Name::MAX_CHARS`] (tag names, suffixes).
    ///
    /// # Errors
    ///
    /// As [`Name::parse`].
    pub fn parse_bounded(s: &str, max_chars: usize) -> Result<Self, Violation> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Violation::Required);
        }
        if s.chars().count() > max_chars {
            return Err(Violation::TooLong { max: max_chars });
        }
        check_single_line(s)?;
        Ok(Self(s.to_owned()))
    }
}

/// Plain multi-line text (descriptions, suffixes, audit details): may be empty; line breaks
/// and tabs allowed, CR normalised to LF; no other control characters, no bidi overrides.
/// Rendered HTML-escaped, never as markup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(String);
string_newtype!(Text);

impl Text {
    /// The longest text, in characters.
    pub const MAX_CHARS: usize = 10_000;

    /// Parses text.
    ///
    /// # Errors
    ///
    /// [`Violation::TooLong`], [`Violation::ControlCharacter`], [`Violation::BidiOverride`] or
    /// [`Violation::Noncharacter`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        let s = normalize_newlines(s.trim());
        if s.chars().count() > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        check_multi_line(&s)?;
        Ok(Self(s.into_owned()))
    }

    /// The empty text.
    #[must_use]
    pub fn empty() -> Self {
        Self(String::new())
    }

    /// The text as a Markdown source, for descriptions the pages render as Markdown (as Cachet
    /// does). Infallible: every text is a valid source (at most 40,000 bytes against
    /// Markdown's 1 MiB, and a subset of the characters Markdown allows).
    #[must_use]
    pub fn to_markdown(&self) -> Markdown {
        Markdown(self.0.clone())
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A Markdown source (incident messages, updates, maintenance messages, about text).
///
/// At most [`Markdown::MAX_BYTES`]; CR normalised to LF; no control characters other than
/// line breaks and tabs. Bidi controls are allowed here because real right-to-left prose
/// needs them; the sanitizer renders them inert inside HTML text. The source is never shown
/// as HTML: see [`crate::sanitize`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Markdown(String);
string_newtype!(Markdown);

impl Markdown {
    /// The largest source, in bytes (1 MiB).
    pub const MAX_BYTES: usize = 1024 * 1024;

    /// Parses a Markdown source.
    ///
    /// # Errors
    ///
    /// [`Violation::TooLong`], [`Violation::ControlCharacter`] or [`Violation::Noncharacter`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        let s = normalize_newlines(s);
        if s.len() > Self::MAX_BYTES {
            return Err(Violation::TooLong {
                max: Self::MAX_BYTES,
            });
        }
        if s.chars().any(super::is_forbidden_control) {
            return Err(Violation::ControlCharacter);
        }
        if s.chars().any(super::is_noncharacter) {
            return Err(Violation::Noncharacter);
        }
        Ok(Self(s.into_owned()))
    }

    /// The empty document.
    #[must_use]
    pub fn empty() -> Self {
        Self(String::new())
    }

    /// Whether the document is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A URL slug: lowercase ASCII letters and digits in runs joined by single hyphens,
/// 1 to [`Slug::MAX_CHARS`] characters. Cannot hold `/`, `.`, `%` or anything that could
/// traverse a path or break out of a URL segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);
string_newtype!(Slug);

impl Slug {
    /// The longest slug.
    pub const MAX_CHARS: usize = 64;

    /// Parses a slug exactly as given (no normalisation: a slug in a URL must match).
    ///
    /// # Errors
    ///
    /// [`Violation::Required`], [`Violation::TooLong`] or [`Violation::Format`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        if s.is_empty() {
            return Err(Violation::Required);
        }
        if s.len() > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        let ok = s.split('-').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !ok {
            return Err(Violation::Format {
                expected: "lowercase letters and digits joined by single hyphens",
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// Derives a slug from a name, as Cachet's `Str::slug` does for templates and tags:
    /// ASCII letters and digits kept (lowercased), everything else collapsed into hyphens.
    /// Returns `None` when nothing usable is left (a name of only symbols or non-Latin text).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        use unicode_normalization::UnicodeNormalization;
        let mut out = String::new();
        let mut pending_hyphen = false;
        // NFKD splits accented letters into base letter + mark, so "Café" becomes "cafe".
        for c in name.nfkd() {
            if c.is_ascii_alphanumeric() {
                if pending_hyphen && !out.is_empty() {
                    out.push('-');
                }
                pending_hyphen = false;
                out.push(c.to_ascii_lowercase());
                if out.len() >= Self::MAX_CHARS {
                    break;
                }
            } else if !c.is_ascii() && !c.is_alphanumeric() {
                // combining marks and symbols outside ASCII vanish without a hyphen
                continue;
            } else {
                pending_hyphen = true;
            }
        }
        let out = out.trim_end_matches('-');
        Self::parse(out).ok()
    }
}

/// A locale tag such as `en`, `de`, `pt-BR` or `zh-Hans`: a 2-3 letter language and up to
/// three subtags of 2 to 8 letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(String);
string_newtype!(Locale);

impl Locale {
    /// Parses a locale tag. `_` is accepted as a separator and stored as `-`.
    ///
    /// # Errors
    ///
    /// [`Violation::Format`] for anything but a simple BCP 47 tag.
    pub fn parse(s: &str) -> Result<Self, Violation> {
        const EXPECTED: &str = "a locale such as en, de or pt-BR";
        let s = s.replace('_', "-");
        let mut parts = s.split('-');
        let lang = parts.next().unwrap_or_default();
        if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(Violation::Format { expected: EXPECTED });
        }
        let mut count = 0;
        for sub in parts {
            count += 1;
            if count > 3
                || !(2..=8).contains(&sub.len())
                || !sub.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(Violation::Format { expected: EXPECTED });
            }
        }
        Ok(Self(s))
    }

    /// English, the default locale.
    #[must_use]
    pub fn english() -> Self {
        Self("en".to_owned())
    }
}

/// An IANA time zone name such as `UTC`, `Europe/Berlin` or `America/Argentina/Buenos_Aires`.
/// Shape-checked here; the presentation layer resolves it and falls back to UTC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZoneName(String);
string_newtype!(TimeZoneName);

impl TimeZoneName {
    /// Parses a time zone name.
    ///
    /// # Errors
    ///
    /// [`Violation::Format`] unless it is 1 to 64 characters of letters, digits, `/`, `_`,
    /// `-` and `+`, with no empty, `.` or `..` segment.
    pub fn parse(s: &str) -> Result<Self, Violation> {
        const EXPECTED: &str = "a time zone name such as UTC or Europe/Berlin";
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
            && s.split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Violation::Format { expected: EXPECTED })
        }
    }

    /// UTC.
    #[must_use]
    pub fn utc() -> Self {
        Self("UTC".to_owned())
    }

    /// The zone, resolved with chrono-tz; UTC when the name has the right shape but names
    /// no zone chrono-tz knows (parsing checks the shape, not the zone database).
    #[must_use]
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0.parse().unwrap_or(chrono_tz::Tz::UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_resolve_to_chrono_tz_or_utc() {
        let zone = |s: &str| TimeZoneName::parse(s).unwrap().tz();
        assert_eq!(zone("Europe/Berlin"), chrono_tz::Europe::Berlin);
        assert_eq!(zone("UTC"), chrono_tz::UTC);
        // The right shape, but no such zone: UTC, as every page and feed shows it.
        assert_eq!(zone("Mars/Olympus_Mons"), chrono_tz::UTC);
    }

    #[test]
    fn names_are_trimmed_single_line_and_bounded() {
        assert_eq!(Name::parse("  API  ").unwrap().as_str(), "API");
        assert_eq!(Name::parse("a\r\nb"), Err(Violation::ControlCharacter));
        assert_eq!(Name::parse("a\u{202E}b"), Err(Violation::BidiOverride));
        assert_eq!(Name::parse("a\u{2028}b"), Err(Violation::ControlCharacter));
        assert_eq!(Name::parse("   "), Err(Violation::Required));
        assert!(Name::parse(&"é".repeat(255)).is_ok());
        assert_eq!(
            Name::parse(&"é".repeat(256)),
            Err(Violation::TooLong { max: 255 })
        );
    }

    #[test]
    fn text_keeps_lines_but_not_carriage_returns() {
        assert_eq!(Text::parse("a\r\nb").unwrap().as_str(), "a\nb");
        assert_eq!(Text::parse("a\u{0}b"), Err(Violation::ControlCharacter));
        assert_eq!(Text::parse("a\u{2067}b"), Err(Violation::BidiOverride));
    }

    #[test]
    fn markdown_is_bounded_in_bytes() {
        assert!(Markdown::parse(&"a".repeat(Markdown::MAX_BYTES)).is_ok());
        assert!(Markdown::parse(&"a".repeat(Markdown::MAX_BYTES + 1)).is_err());
        assert_eq!(Markdown::parse("x\u{7}"), Err(Violation::ControlCharacter));
        // Noncharacters cannot be written into the XML feeds and badges at all.
        for bad in [
            "\u{FFFF}",
            "\u{FFFE}",
            "\u{FDD0}",
            "\u{FDEF}",
            "\u{10FFFF}",
            "\u{1FFFE}",
        ] {
            let v = format!("a{bad}b");
            assert_eq!(Name::parse(&v), Err(Violation::Noncharacter), "{v:?}");
            assert_eq!(Text::parse(&v), Err(Violation::Noncharacter), "{v:?}");
            assert_eq!(Markdown::parse(&v), Err(Violation::Noncharacter), "{v:?}");
        }
        for fine in ["\u{FDCF}", "\u{FDF0}", "\u{FFFD}", "\u{1F600}"] {
            assert!(Name::parse(&format!("a{fine}b")).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn slugs_cannot_traverse() {
        for bad in [
            "", "../etc", "a/b", "a..b", "A", "a--b", "-a", "a-", "a b", "a%2f", "ä",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(Slug::parse("db-1").is_ok());
        assert_eq!(
            Slug::from_name("Café  Outage!").unwrap().as_str(),
            "cafe-outage"
        );
        assert_eq!(
            Slug::from_name("../../etc/passwd").unwrap().as_str(),
            "etc-passwd"
        );
        assert_eq!(Slug::from_name("!!!"), None);
    }

    #[test]
    fn locales_and_time_zones() {
        assert_eq!(Locale::parse("pt_BR").unwrap().as_str(), "pt-BR");
        assert!(Locale::parse("en\r\n").is_err());
        assert!(Locale::parse("EN").is_err());
        assert!(TimeZoneName::parse("America/Argentina/Buenos_Aires").is_ok());
        assert!(TimeZoneName::parse("../etc/passwd").is_err());
        assert!(TimeZoneName::parse("Etc/GMT+5").is_ok());
    }
}
