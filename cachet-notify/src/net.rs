//! Which IP addresses a webhook may reach.
//!
//! A webhook URL is chosen by whoever can configure webhooks, and the server POSTs to it: without
//! a check that is server-side request forgery into the operator's network (cloud metadata at
//! 169.254.169.254, a Redis on 127.0.0.1, an admin panel on 10.0.0.5). The classifier below
//! refuses every address that is not globally routable unicast; the webhook notifier applies it
//! to every address a host name resolves to and then dials exactly those checked addresses. The
//! chat notifier shares the webhook notifier's HTTP client, so chat webhooks and Matrix
//! homeservers get the same check.
//!
//! The rule itself lives in the core ([`cachet_core::validate::non_public_reason`]), so the
//! dashboard and the API refuse literal non-public addresses when a webhook is saved, and
//! this crate applies the same rule to every resolved address at delivery.

use std::net::IpAddr;

pub use cachet_core::validate::non_public_reason;

/// Whether `ip` is a globally routable unicast address that a webhook may reach.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    non_public_reason(ip).is_none()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        non_public_reason(s.parse().unwrap())
    }

    #[test]
    fn refuses_every_non_public_ipv4_range() {
        for (addr, why) in [
            ("0.0.0.0", "unspecified (0.0.0.0/8)"),
            ("0.1.2.3", "unspecified (0.0.0.0/8)"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.5", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared address space (CGNAT)"),
            ("100.127.255.255", "shared address space (CGNAT)"),
            ("192.0.0.8", "IETF protocol assignment"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("192.88.99.1", "6to4 relay anycast"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
        ] {
            assert_eq!(reason(addr), Some(why), "{addr}");
        }
    }

    #[test]
    fn accepts_public_ipv4_including_range_neighbours() {
        for addr in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "192.167.255.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert_eq!(reason(addr), None, "{addr}");
        }
    }

    #[test]
    fn refuses_non_public_ipv6_ranges() {
        for (addr, why) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "unique-local"),
            ("fd12:3456:789a::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local (deprecated)"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001::1", "IETF protocol assignment"),
            ("2001:2::1", "IETF protocol assignment"),
            ("100::1", "not global unicast"),
            ("64:ff9b:1::1", "not global unicast"),
            ("4000::1", "not global unicast"),
        ] {
            assert_eq!(reason(addr), Some(why), "{addr}");
        }
    }

    #[test]
    fn judges_ipv4_embedded_in_ipv6_by_the_ipv4_address() {
        // IPv4-mapped: the classic bypass of a check that only looks at IPv6 ranges.
        assert_eq!(reason("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(reason("::ffff:169.254.169.254"), Some("link-local"));
        assert_eq!(reason("::ffff:10.1.2.3"), Some("private"));
        assert_eq!(reason("::ffff:8.8.8.8"), None);
        // IPv4-compatible (deprecated) and NAT64.
        assert_eq!(reason("::127.0.0.1"), Some("loopback"));
        assert_eq!(reason("::8.8.8.8"), Some("IPv4-compatible (deprecated)"));
        assert_eq!(reason("64:ff9b::a9fe:a9fe"), Some("link-local"));
        assert_eq!(reason("64:ff9b::808:808"), None);
        // 6to4 around a private and a public address.
        assert_eq!(reason("2002:c0a8:0101::1"), Some("private"));
        assert_eq!(reason("2002:0808:0808::1"), None);
    }

    #[test]
    fn accepts_global_unicast_ipv6() {
        for addr in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
        ] {
            assert!(is_public(addr.parse().unwrap()), "{addr}");
        }
    }
}
