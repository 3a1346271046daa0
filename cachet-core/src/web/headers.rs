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
    // Static values: no allocation per response (this runs for every cached answer too).
    let mut set = |name: &'static str, value: HeaderValue| {
        h.entry(HeaderName::from_static(name)).or_insert(value);
    };
    set("content-security-policy", HeaderValue::from_static(CSP));
    set(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    set(
        "referrer-policy",
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    set("x-frame-options", HeaderValue::from_static("DENY"));
    set(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    set(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        set("x-request-id", v);
    }
    if https {
        set(
            "strict-transport-security",
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
}
