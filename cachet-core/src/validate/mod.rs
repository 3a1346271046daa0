//! Parsing input into types that cannot hold bad values.
//!
//! Every value that enters cachet from a request, a form, the command line or a database row
//! passes through one of these constructors. A value of type [`Name`] is therefore known to be
//! a non-empty, single-line, length-limited string without control characters or bidi
//! overrides; an [`Email`] cannot carry a CR/LF into a mail header; an [`HttpUrl`] is always
//! `http` or `https`. Stores re-validate what they read, so even a tampered row cannot smuggle
//! a bad value past these types.
//!
//! Constructors return a [`Violation`] (the rule that was broken); callers that know which
//! input field they were parsing attach its name with [`ViolationExt::field`], giving a
//! [`ValidationError`] whose message names the field and the rule, for example
//! `name: must be at most 255 characters`.

mod email;
mod meta;
mod number;
mod phone;
mod text;
mod url;

pub use email::Email;
pub use meta::Meta;
pub use number::{MetricValue, Order, Places, Threshold};
pub use phone::PhoneNumber;
pub use text::{Locale, Markdown, Name, Slug, Text, TimeZoneName};
pub use url::{HttpUrl, check_webhook_target, non_public_reason};

use std::borrow::Cow;
use std::fmt;

/// A broken validation rule, without the name of the field it was found in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The value is empty (after trimming) but a value is required.
    #[error("is required")]
    Required,
    /// The value is shorter than allowed.
    #[error("must be at least {min} characters")]
    TooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// The value is longer than allowed.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum length in characters (or bytes, for Markdown and meta).
        max: usize,
    },
    /// The value contains a control character (or a line break in a single-line field).
    #[error("must not contain control characters or line breaks")]
    ControlCharacter,
    /// The value contains a Unicode bidirectional override or isolate.
    #[error("must not contain bidirectional text overrides")]
    BidiOverride,
    /// The value contains a Unicode noncharacter (U+FDD0 to U+FDEF, or U+xxFFFE / U+xxFFFF):
    /// code points reserved never to be exchanged, which XML 1.0 (the feeds, the badges)
    /// cannot hold at all.
    #[error("must not contain Unicode noncharacters")]
    Noncharacter,
    /// The value does not have the required shape.
    #[error("must be {expected}")]
    Format {
        /// What a valid value looks like, for the error message.
        expected: &'static str,
    },
    /// A number is outside its allowed range.
    #[error("must be between {min} and {max}")]
    OutOfRange {
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
    },
    /// A value is not among the allowed values.
    #[error("must be one of {allowed}")]
    NotAllowed {
        /// The allowed values, for the error message.
        allowed: &'static str,
    },
}

/// A broken validation rule together with the field it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: Cow<'static, str>,
    violation: Violation,
}

impl ValidationError {
    /// A new error for `field`.
    #[must_use]
    pub fn new(field: impl Into<Cow<'static, str>>, violation: Violation) -> Self {
        Self {
            field: field.into(),
            violation,
        }
    }

    /// The name of the input field, as the client sent it (`name`, `component_id`, ...).
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule that was broken.
    #[must_use]
    pub fn violation(&self) -> &Violation {
        &self.violation
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.violation)
    }
}

impl std::error::Error for ValidationError {}

/// Attaches a field name to a [`Violation`].
pub trait ViolationExt<T> {
    /// Turns `Result<T, Violation>` into `Result<T, ValidationError>` for `field`.
    ///
    /// # Errors
    ///
    /// Returns the violation, now naming `field`.
    fn field(self, field: &'static str) -> Result<T, ValidationError>;
}

impl<T> ViolationExt<T> for Result<T, Violation> {
    fn field(self, field: &'static str) -> Result<T, ValidationError> {
        self.map_err(|v| ValidationError::new(field, v))
    }
}

/// Characters that reorder displayed text (Trojan Source, CVE-2021-42574) and the invisible
/// marks that help spoof it.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Control characters other than the line break and tab that multi-line text may hold.
/// Includes C0, DEL, C1, and the Unicode line and paragraph separators, which several
/// renderers and mail clients treat as line breaks.
pub(crate) fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

/// A Unicode noncharacter: U+FDD0 to U+FDEF and the last two code points of every plane.
pub(crate) fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// Checks a single-line value: no control characters at all (so no CR/LF), no bidi controls.
pub(crate) fn check_single_line(s: &str) -> Result<(), Violation> {
    for c in s.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            return Err(Violation::ControlCharacter);
        }
        if is_bidi_control(c) {
            return Err(Violation::BidiOverride);
        }
        if is_noncharacter(c) {
            return Err(Violation::Noncharacter);
        }
    }
    Ok(())
}

/// Checks multi-line text: line breaks and tabs allowed (CR LF is normalised to LF by the
/// caller), other controls and bidi overrides not.
pub(crate) fn check_multi_line(s: &str) -> Result<(), Violation> {
    for c in s.chars() {
        if is_forbidden_control(c) {
            return Err(Violation::ControlCharacter);
        }
        if is_bidi_control(c) {
            return Err(Violation::BidiOverride);
        }
        if is_noncharacter(c) {
            return Err(Violation::Noncharacter);
        }
    }
    Ok(())
}

/// Normalises line endings to `\n`, so a CR can never survive into stored text.
pub(crate) fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Implements `Display`, `AsRef<str>`, `Serialize` and a validating `Deserialize` for a
/// string newtype with a `parse` constructor.
macro_rules! string_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The value as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned string.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::validate::Violation;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_newtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let err = Name::parse("").field("name").unwrap_err();
        assert_eq!(err.to_string(), "name: is required");
        let err = Name::parse(&"x".repeat(300)).field("name").unwrap_err();
        assert_eq!(err.to_string(), "name: must be at most 255 characters");
        assert_eq!(err.field(), "name");
    }

    #[test]
    fn newlines_are_normalised() {
        assert_eq!(normalize_newlines("a\r\nb\rc"), "a\nb\nc");
    }
}
