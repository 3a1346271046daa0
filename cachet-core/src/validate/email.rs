//! Email addresses.

use super::{Violation, string_newtype};

/// An email address that is safe to put into a mail header.
///
/// The practical subset of RFC 5321 that real mail systems accept: a dot-atom local part of
/// ASCII letters, digits and ``!#$%&'*+-/=?^_`{|}~`` (no quoted strings, no comments), an `@`,
/// and a domain of at least two DNS labels (letters, digits, hyphens; IDNs in their `xn--`
/// form). At most 254 characters, local part at most 64. The whole address is lowercased so
/// that uniqueness and the subscriber blind index do not depend on case. No whitespace,
/// no control characters, no `<`, `>`, `,`, `;`, `"` or `\`: an `Email` can never split a
/// header, add a recipient or carry markup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    /// The longest address (RFC 5321 path limit minus the angle brackets).
    pub const MAX_CHARS: usize = 254;

    /// Parses and lowercases an address; surrounding whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Violation::Required`], [`Violation::TooLong`] or [`Violation::Format`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        const EXPECTED: &str = "an email address such as name@example.com";
        let s = s.trim();
        if s.is_empty() {
            return Err(Violation::Required);
        }
        if s.len() > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        let (local, domain) = s
            .split_once('@')
            .ok_or(Violation::Format { expected: EXPECTED })?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
        if !local_ok || !domain_ok {
            return Err(Violation::Format { expected: EXPECTED });
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    /// The domain part, after the `@`.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases() {
        assert_eq!(
            Email::parse(" Ops+Status@Example.COM ").unwrap().as_str(),
            "ops+status@example.com"
        );
        assert_eq!(
            Email::parse("a@xn--bcher-kva.example").unwrap().domain(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn refuses_header_injection_and_oddities() {
        for bad in [
            "a@b.com\r\nBcc: x@y.com",
            "a@b.com\nX: y",
            "a b@c.com",
            "\"a\"@b.com",
            "a@b",
            "a@-b.com",
            "a@b..com",
            "a..b@c.com",
            ".a@b.com",
            "a@b.com,c@d.com",
            "<a@b.com>",
            "a@b.123",
            "@b.com",
            "a@",
            "a@b@c.com",
            "ä@b.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(
            Email::parse(&format!("{}@b.com", "a".repeat(65))).unwrap_err(),
            Violation::Format {
                expected: "an email address such as name@example.com"
            }
        );
    }
}
