//! Security headers on every response.

use bytes::Bytes;
use http::Response;
use http::header::{HeaderName, HeaderValue};

/// The Content-Security-Policy: no inline script or style anywhere (pages load assets by
/// hash-versioned URL from the same origin), no plugins, no framing, forms post only to us.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
object-src 'none'";

/// Sets the security headers (without overriding any a handler chose) and the request id.
/// HSTS only when the public URL is https: over plain http it would be ignored at best.
pub fn secure(resp: &mut Response<Bytes>, https: bool, request_id: &str) {
    let h = resp.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.entry(HeaderName::from_static(name)).or_insert(v);
        }
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "strict-origin-when-cross-origin");
    set("x-frame-options", "DENY");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    );
    set("cross-origin-opener-policy", "same-origin");
    set("x-request-id", request_id);
    if https {
        set(
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        );
    }
}
