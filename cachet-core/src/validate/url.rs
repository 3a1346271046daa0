//! URLs that may appear in links and webhooks.

use super::{Violation, string_newtype};

/// An absolute `http` or `https` URL with a host, at most [`HttpUrl::MAX_CHARS`] characters,
/// without whitespace, control characters, quotes, angle brackets or backslashes.
///
/// Scheme and host are matched case-insensitively and stored lowercase, so `JaVaScRiPt:` and
/// every other scheme are refused, and no value of this type can break out of an HTML
/// attribute or a header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(String);
string_newtype!(HttpUrl);

impl HttpUrl {
    /// The longest URL.
    pub const MAX_CHARS: usize = 2048;

    /// Parses a URL.
    ///
    /// # Errors
    ///
    /// [`Violation::Required`], [`Violation::TooLong`] or [`Violation::Format`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        const EXPECTED: &str = "an absolute http or https URL";
        let s = s.trim();
        if s.is_empty() {
            return Err(Violation::Required);
        }
        if s.len() > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if !s.bytes().all(|b| b.is_ascii_graphic())
            || s.bytes().any(|b| b"\"'<>\\`{}|^".contains(&b))
        {
            return Err(Violation::Format { expected: EXPECTED });
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or(Violation::Format { expected: EXPECTED })?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(Violation::Format { expected: EXPECTED });
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        // userinfo in a link is a phishing tool ("https://bank.com@evil.example") and has no
        // legitimate use on a status page or a webhook: refuse it.
        if authority.contains('@') {
            return Err(Violation::Format { expected: EXPECTED });
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                if h.starts_with('[') && !h.ends_with(']') {
                    (authority, None) // an IPv6 literal without a port
                } else {
                    (h, Some(p))
                }
            }
            _ => (authority, None),
        };
        let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            !v6.is_empty()
                && v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        } else {
            !host.is_empty()
                && host.len() <= 253
                && host.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        let port_ok = port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok_and(|n| n > 0));
        if !host_ok || !port_ok {
            return Err(Violation::Format { expected: EXPECTED });
        }
        Ok(Self(format!(
            "{scheme}://{}{tail}",
            authority.to_ascii_lowercase()
        )))
    }

    /// Whether the URL uses `https`.
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_only() {
        assert_eq!(
            HttpUrl::parse("HTTPS://Example.COM/A?b=C#d")
                .unwrap()
                .as_str(),
            "https://example.com/A?b=C#d"
        );
        assert!(HttpUrl::parse("http://127.0.0.1:8000/").is_ok());
        assert!(HttpUrl::parse("http://[::1]:8080/x").is_ok());
        assert!(HttpUrl::parse("http://[::1]/x").is_ok());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt://x",
            "data:text/html,<script>",
            "vbscript://x",
            "//example.com",
            "https://",
            "https://exa mple.com",
            "https://example.com/\"onmouseover=alert(1)",
            "https://example.com/<script>",
            "https://user:pw@example.com",
            "https://bank.com@evil.example/",
            "https://example.com:0/",
            "https://example.com:99999/",
            "https://example.com\r\nX: y",
            "ftp://example.com",
            "https://exa_mple..com",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
