//! URLs that may appear in links and webhooks, and which hosts a webhook may target.
//!
//! # Webhook targets
//!
//! The server POSTs to a webhook's URL, so a URL naming an internal host is server-side
//! request forgery into the operator's network (cloud metadata at 169.254.169.254, a Redis on
//! 127.0.0.1). [`check_webhook_target`] refuses, when a webhook is saved, a URL whose host is
//! `localhost` (or a `*.localhost` name) or an IP address that is not globally routable
//! unicast ([`non_public_reason`]), in any of the IPv4 spellings a URL parser accepts
//! (`2130706433`, `0x7f.1`, `0177.0.0.1`): the host is read by the `url` crate, the WHATWG
//! URL parser that browsers and `reqwest` follow, so it is judged as the client will dial
//! it. A DNS name that *resolves* to such an address
//! cannot be judged when it is saved (the answer can change at any time): `cachet-notify`
//! checks every resolved address again at each delivery and dials only checked ones.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Violation, string_newtype};

/// An absolute `http` or `https` URL with a host, at most [`HttpUrl::MAX_CHARS`] characters,
/// without whitespace, control characters, quotes, angle brackets or backslashes.
///
/// Scheme and host are matched case-insensitively and stored lowercase, so `JaVaScRiPt:` and
/// every other scheme are refused, and no value of this type can break out of an HTML
/// attribute or a header.
///
/// The URL is parsed by the `url` crate (WHATWG, as browsers and HTTP clients read it); the
/// stricter rules above and below (characters, no user info, a plain host name, a port
/// other than 0) are checked on top. The text is kept as given apart from the lowercase
/// scheme and authority, so a stored URL reads back exactly.
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
        let refuse = || Violation::Format { expected: EXPECTED };
        // `url` also accepts `https:host` and `https:/host`; only the `scheme://` form is a
        // link anyone writes, and the text after it is the authority below.
        let (scheme, rest) = s.split_once("://").ok_or_else(refuse)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(refuse());
        }
        match url::Url::parse(s) {
            Ok(u) => {
                // userinfo in a link is a phishing tool ("https://bank.com@evil.example")
                // and has no legitimate use on a status page or a webhook: refuse it.
                if !u.has_host() || !u.username().is_empty() || u.password().is_some() {
                    return Err(refuse());
                }
                if u.port() == Some(0) {
                    return Err(refuse());
                }
            }
            // A host whose last label is a number but not a valid IPv4 address
            // (`1.2.3.999`): no client can dial it, but it was always accepted as text; a
            // webhook target check refuses it ([`check_webhook_target`]).
            Err(url::ParseError::InvalidIpv4Address) => {}
            Err(_) => return Err(refuse()),
        }
        // The authority as written, checked again by the strict rules (the parser has
        // accepted it; these refuse what it would tolerate, like `_` or empty labels).
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
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

    /// The URL as the `url` crate reads it (normalised: IPv4 in dotted form, default port
    /// left out, path dots resolved), or `None` for the one kind of URL this type holds that
    /// no client can dial (a host like `1.2.3.999`).
    #[must_use]
    pub fn parsed(&self) -> Option<url::Url> {
        url::Url::parse(&self.0).ok()
    }

    /// The host, lowercase, without the port (an IPv6 literal keeps its brackets).
    #[must_use]
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or("", |(_, r)| r);
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if authority.starts_with('[') {
            return authority
                .find(']')
                .map_or(authority, |end| &authority[..=end]);
        }
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host)
    }

    /// The path the URL names, without a trailing slash, query or fragment: `""` for
    /// `https://host/` and `/status` for `https://host/status/`. A status page whose public
    /// URL this is is mounted there; every link, redirect and cookie path is built on it.
    #[must_use]
    pub fn mount_path(&self) -> &str {
        let rest = self.0.split_once("://").map_or("", |(_, r)| r);
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        path.trim_end_matches('/')
    }
}

/// What a webhook URL must be, for the error message.
const WEBHOOK_TARGET: &str = "a URL whose host is public: not localhost, nor a private, \
                              loopback, link-local or unique-local address";

/// Refuses a webhook URL whose host is `localhost`, a `*.localhost` name or a non-public IP
/// address ([`non_public_reason`]), in any IPv4 spelling a URL parser accepts. A DNS name
/// passes: its addresses are checked at each delivery.
///
/// # Errors
///
/// [`Violation::Format`] naming the rule.
pub fn check_webhook_target(url: &HttpUrl) -> Result<(), Violation> {
    let refuse = Err(Violation::Format {
        expected: WEBHOOK_TARGET,
    });
    // The host as the client will dial it: every IPv4 spelling (`2130706433`, `0x7f.1`,
    // `0177.0.0.1`, `127.1`) is already an address here.
    let Some(parsed) = url.parsed() else {
        return refuse;
    };
    let host = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => {
            return if non_public_reason(IpAddr::V4(ip)).is_none() {
                Ok(())
            } else {
                refuse
            };
        }
        Some(url::Host::Ipv6(ip)) => {
            return if non_public_reason(IpAddr::V6(ip)).is_none() {
                Ok(())
            } else {
                refuse
            };
        }
        Some(url::Host::Domain(d)) => d.trim_end_matches('.'),
        None => return refuse,
    };
    if host == "localhost"
        || host.ends_with(".localhost")
        || host == "localhost.localdomain"
        || host == "ip6-localhost"
        || host == "ip6-loopback"
    {
        return refuse;
    }
    Ok(())
}

/// Why an address is not public, or `None` for a globally routable unicast address: the rule
/// for webhook targets, applied when a webhook is saved (to IP literals) and by
/// `cachet-notify` at every delivery (to every resolved address).
///
/// The reason names a category only (never the address itself), so it can go into a delivery
/// error shown to admins without revealing the internal topology behind a host name.
#[must_use]
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = match (a, b, c) {
        (0, _, _) => "unspecified (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) => "private",
        (172, 16..=31, _) => "private",
        (192, 168, _) => "private",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared address space (CGNAT)",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        // The deprecated 6to4 relay anycast prefix: traffic there may be relayed anywhere.
        (192, 88, 99) => "6to4 relay anycast",
        (224..=239, _, _) => "multicast",
        // 240/4 is reserved; 255.255.255.255 (broadcast) is inside it.
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(reason)
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // An IPv4 address written as IPv6 reaches the IPv4 host: judge the embedded address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // Deprecated IPv4-compatible addresses (::a.b.c.d) and the NAT64 well-known prefix
    // 64:ff9b::/96 both carry an IPv4 address in the low 32 bits that a gateway may dial.
    let embedded_v4 = || {
        let [.., hi, lo] = segments;
        Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))
    };
    if segments[..6] == [0, 0, 0, 0, 0, 0] {
        return v4_reason(embedded_v4()).or(Some("IPv4-compatible (deprecated)"));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_reason(embedded_v4());
    }
    // 6to4 (2002::/16) embeds an IPv4 address in bits 16..48.
    if segments[0] == 0x2002 {
        let v4 = Ipv4Addr::from((u32::from(segments[1]) << 16) | u32::from(segments[2]));
        return v4_reason(v4);
    }
    let reason = match segments[0] {
        s if s & 0xfe00 == 0xfc00 => "unique-local",
        s if s & 0xffc0 == 0xfe80 => "link-local",
        s if s & 0xffc0 == 0xfec0 => "site-local (deprecated)",
        s if s & 0xff00 == 0xff00 => "multicast",
        0x2001 if segments[1] == 0x0db8 => "documentation",
        // 2001::/23: IETF protocol assignments (Teredo, benchmarking, ORCHID, ...).
        0x2001 if segments[1] < 0x0200 => "IETF protocol assignment",
        s if s & 0xfff0 == 0x3ff0 => "documentation",
        // Outside 2000::/3 nothing is allocated as global unicast (100::/64 discard, NAT64
        // local-use 64:ff9b:1::/48, and everything unassigned).
        s if s & 0xe000 != 0x2000 => "not global unicast",
        _ => return None,
    };
    Some(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_to_private_or_loopback_hosts_are_refused_when_saved() {
        for bad in [
            "https://127.0.0.1/hook",
            "https://127.1:8080/hook",
            "https://2130706433/hook",
            "https://0x7f.1/hook",
            "https://0177.0.0.1/hook",
            "https://10.0.0.5/hook",
            "https://192.168.1.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://0.0.0.0/",
            "https://[::1]/hook",
            "https://[::1]:8443/hook",
            "https://[fe80::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://localhost/hook",
            "https://LOCALHOST:9000/hook",
            "https://api.localhost/hook",
            "https://1.2.3.999/hook",
        ] {
            let url = HttpUrl::parse(bad).unwrap();
            assert_eq!(
                check_webhook_target(&url),
                Err(Violation::Format {
                    expected: WEBHOOK_TARGET
                }),
                "{bad}"
            );
        }
        for good in [
            "https://hooks.example.com/x",
            "https://93.184.216.34/x",
            "https://[2606:4700::1111]:443/x",
            "https://localhost.example.com/x",
            "https://10.example.com/x",
        ] {
            assert_eq!(
                check_webhook_target(&HttpUrl::parse(good).unwrap()),
                Ok(()),
                "{good}"
            );
        }
    }

    #[test]
    fn webhook_hosts_are_judged_as_the_client_reads_them() {
        for bad in [
            "https://0x7f000001/hook",
            "https://0300.0250.1.1/hook",
            "https://[0:0:0:0:0:ffff:7f00:1]/hook",
        ] {
            let url = HttpUrl::parse(bad).unwrap();
            assert!(check_webhook_target(&url).is_err(), "{bad}");
        }
        assert_eq!(
            HttpUrl::parse("https://0x7f.1/x")
                .unwrap()
                .parsed()
                .and_then(|u| u.host_str().map(str::to_owned))
                .as_deref(),
            Some("127.0.0.1")
        );
        for bad in [
            "https://[::1/x",
            "https://[zz::1]/x",
            "https://exa%41mple.com/",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn hosts_are_read_without_port_or_path() {
        for (url, host) in [
            ("https://a.example:8080/p?q#f", "a.example"),
            ("http://[::1]:80/x", "[::1]"),
            ("http://[::1]", "[::1]"),
            ("https://b.example?x=1", "b.example"),
        ] {
            assert_eq!(HttpUrl::parse(url).unwrap().host(), host);
        }
    }

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
