//! CORS for the public, read-only surfaces (the Statuspage v2 JSON, the feeds, badges) and
//! API v1's reads.
//!
//! The Statuspage v2 JSON (`/api/v2/*.json`) and the RSS and Atom feeds are open to every
//! site: they answer `Access-Control-Allow-Origin: *`, because Statuspage's status widget and
//! feed readers embedded in other sites fetch them, and they hold only what any visitor sees.
//!
//! Everywhere else only origins listed in the `allowed_domains` setting are allowed, compared
//! as origins (`scheme://host[:port]`, default ports dropped, any path of the setting
//! ignored). An allowed `Origin` is echoed exactly in `Access-Control-Allow-Origin`; nothing
//! else ever is (no `null`). Credentials are never allowed: these responses hold nothing per
//! visitor. Every response carries `Vary: Origin`, allowed or not, so a shared cache never
//! serves one origin's answer to another.

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_METHOD, ALLOW, ORIGIN, VARY,
};
use http::{HeaderValue, Request, Response};

use crate::validate::HttpUrl;

/// The methods the public read-only surfaces answer, for `Allow`.
pub(crate) const ALLOW_READ: &str = "GET, HEAD, OPTIONS";

/// The methods announced to a preflight (HEAD is always allowed by CORS).
const PREFLIGHT_METHODS: &str = "GET, OPTIONS";

/// How long a browser may cache a preflight answer, in seconds (Cachet's value).
const PREFLIGHT_MAX_AGE: &str = "3600";

/// The origin of a configured URL: lowercase scheme and host (as [`HttpUrl`] keeps them),
/// the port only when it is not the scheme's default, no path.
#[must_use]
pub(crate) fn origin_of(url: &HttpUrl) -> String {
    let s = url.as_str();
    let (scheme, rest) = s.split_once("://").unwrap_or(("https", s));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    format!("{scheme}://{authority}")
}

/// The request's `Origin` when it is one of the allowed origins. A request with no `Origin`,
/// several, `null`, or one not listed gets `None`.
#[must_use]
pub(crate) fn allowed_origin<'r>(req: &'r Request<Bytes>, allowed: &[HttpUrl]) -> Option<&'r str> {
    let mut values = req.headers().get_all(ORIGIN).iter();
    let origin = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    allowed
        .iter()
        .any(|a| origin_of(a) == origin)
        .then_some(origin)
}

/// Whether a path is open to every origin: the Statuspage v2 JSON and the RSS and Atom feeds.
#[must_use]
pub(crate) fn is_open(path: &str) -> bool {
    use super::feeds::Kind;
    (path.starts_with("/api/v2/") && path.ends_with(".json"))
        || matches!(
            path.strip_prefix('/').and_then(Kind::from_segment),
            Some(Kind::Rss | Kind::Atom)
        )
}

/// Adds `Vary: Origin` and `Access-Control-Allow-Origin`: `*` on an open path
/// ([`is_open`]), else the request's origin when it is allowed.
pub(crate) fn apply(resp: &mut Response<Bytes>, req: &Request<Bytes>, allowed: &[HttpUrl]) {
    let origin = if is_open(req.uri().path()) {
        Some(HeaderValue::from_static("*"))
    } else {
        allowed_origin(req, allowed).and_then(|o| HeaderValue::from_str(o).ok())
    };
    let headers = resp.headers_mut();
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
}

/// Answers an `OPTIONS` request: 204 with `Allow`, and for a preflight (an
/// `Access-Control-Request-Method` is present) on an open path or from an allowed origin the
/// allowed methods and a max-age; plus what [`apply`] adds.
#[must_use]
pub(crate) fn preflight(req: &Request<Bytes>, allowed: &[HttpUrl]) -> Response<Bytes> {
    let mut resp = super::response::no_content();
    let headers = resp.headers_mut();
    headers.insert(ALLOW, HeaderValue::from_static(ALLOW_READ));
    let is_preflight = req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight && (is_open(req.uri().path()) || allowed_origin(req, allowed).is_some()) {
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(PREFLIGHT_METHODS),
        );
        headers.insert(
            ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
    }
    apply(&mut resp, req, allowed);
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn urls(list: &[&str]) -> Vec<HttpUrl> {
        list.iter().map(|u| HttpUrl::parse(u).unwrap()).collect()
    }

    fn req(method: &str, origins: &[&str], preflight: bool) -> Request<Bytes> {
        req_at("/badge/api.svg", method, origins, preflight)
    }

    fn req_at(path: &str, method: &str, origins: &[&str], preflight: bool) -> Request<Bytes> {
        let mut b = Request::builder().method(method).uri(path);
        for o in origins {
            b = b.header("origin", *o);
        }
        if preflight {
            b = b.header("access-control-request-method", "GET");
        }
        b.body(Bytes::new()).unwrap()
    }

    #[test]
    fn origins_are_normalised() {
        let cases = [
            ("https://a.example", "https://a.example"),
            ("https://A.Example/", "https://a.example"),
            ("https://a.example:443/status?x=1", "https://a.example"),
            ("http://a.example:80", "http://a.example"),
            ("http://a.example:8080/x", "http://a.example:8080"),
            ("https://a.example:80", "https://a.example:80"),
            ("https://[::1]:8443", "https://[::1]:8443"),
        ];
        for (url, origin) in cases {
            assert_eq!(origin_of(&HttpUrl::parse(url).unwrap()), origin, "{url}");
        }
    }

    #[test]
    fn only_listed_origins_are_echoed() {
        let allowed = urls(&["https://a.example/", "http://b.example:8080"]);
        let ok = [
            ("https://a.example", true),
            ("http://b.example:8080", true),
            ("http://a.example", false),
            ("https://a.example:443", false),
            ("https://a.example.evil", false),
            ("https://evil.a.example", false),
            ("http://b.example", false),
            ("null", false),
            ("*", false),
            ("HTTPS://A.EXAMPLE", false),
        ];
        for (origin, allow) in ok {
            let r = req("GET", &[origin], false);
            assert_eq!(allowed_origin(&r, &allowed).is_some(), allow, "{origin}");
            let mut resp = Response::new(Bytes::new());
            apply(&mut resp, &r, &allowed);
            assert_eq!(resp.headers()[VARY], "Origin");
            assert_eq!(
                resp.headers()
                    .get(ACCESS_CONTROL_ALLOW_ORIGIN)
                    .map(|v| v.to_str().unwrap()),
                allow.then_some(origin),
            );
            assert!(
                !resp
                    .headers()
                    .contains_key("access-control-allow-credentials")
            );
        }
        // no Origin, two Origins, nothing configured
        assert!(allowed_origin(&req("GET", &[], false), &allowed).is_none());
        assert!(
            allowed_origin(
                &req("GET", &["https://a.example", "https://a.example"], false),
                &allowed
            )
            .is_none()
        );
        assert!(allowed_origin(&req("GET", &["https://a.example"], false), &[]).is_none());
    }

    #[test]
    fn vary_is_appended_not_replaced() {
        let mut resp = Response::new(Bytes::new());
        resp.headers_mut()
            .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        apply(&mut resp, &req("GET", &[], false), &[]);
        let vary: Vec<&str> = resp
            .headers()
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(vary, ["Accept-Encoding", "Origin"]);
    }

    #[test]
    fn preflight_answers() {
        let allowed = urls(&["https://a.example"]);
        let resp = preflight(&req("OPTIONS", &["https://a.example"], true), &allowed);
        assert_eq!(resp.status(), http::StatusCode::NO_CONTENT);
        assert!(resp.body().is_empty());
        let h = resp.headers();
        assert_eq!(h[ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
        assert_eq!(h[ACCESS_CONTROL_ALLOW_METHODS], "GET, OPTIONS");
        assert_eq!(h[ACCESS_CONTROL_MAX_AGE], "3600");
        assert_eq!(h[ALLOW], "GET, HEAD, OPTIONS");
        assert_eq!(h[VARY], "Origin");

        let denied = preflight(&req("OPTIONS", &["https://evil.example"], true), &allowed);
        assert_eq!(denied.status(), http::StatusCode::NO_CONTENT);
        assert!(!denied.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        assert!(!denied.headers().contains_key(ACCESS_CONTROL_ALLOW_METHODS));

        let plain = preflight(&req("OPTIONS", &[], false), &allowed);
        assert_eq!(plain.headers()[ALLOW], "GET, HEAD, OPTIONS");
        assert!(!plain.headers().contains_key(ACCESS_CONTROL_ALLOW_METHODS));
    }

    #[test]
    fn open_paths_allow_every_origin_without_credentials() {
        for path in [
            "/api/v2/summary.json",
            "/api/v2/status.json",
            "/rss",
            "/atom",
            "/history.rss",
            "/history.atom",
        ] {
            let mut resp = Response::new(Bytes::new());
            apply(
                &mut resp,
                &req_at(path, "GET", &["https://elsewhere.example"], false),
                &[],
            );
            assert_eq!(resp.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
            assert!(
                !resp
                    .headers()
                    .contains_key("access-control-allow-credentials")
            );
            let pre = preflight(&req_at(path, "OPTIONS", &["https://x.example"], true), &[]);
            assert_eq!(pre.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
            assert_eq!(pre.headers()[ACCESS_CONTROL_ALLOW_METHODS], "GET, OPTIONS");
        }
        for path in [
            "/api/v1/incidents",
            "/api/v2/",
            "/schedules.ics",
            "/",
            "/rss/x",
        ] {
            assert!(!is_open(path), "{path}");
        }
    }
}
