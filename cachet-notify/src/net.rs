//! Which IP addresses a webhook may reach.
//!
//! A webhook URL is chosen by whoever can configure webhooks, and the server POSTs to it: without
//! a check that is server-side request forgery into the operator's network (cloud metadata at
//! 169.254.169.254, a Redis on 127.0.0.1, an admin panel on 10.0.0.5). The classifier below
//! refuses every address that is not globally routable unicast; the webhook notifier applies it
//! to every address a host name resolves to and then dials exactly those checked addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public, or `None` for a globally routable unicast address.
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

/// Whether `ip` is a globally routable unicast address that a webhook may reach.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    non_public_reason(ip).is_none()
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
