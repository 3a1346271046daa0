//! The cache key: which surface a path belongs to, and the canonical query and dimensions
//! that make one entry (see the module documentation of `web::snapshot`).

use bytes::Bytes;
use http::Request;
use http::header::ACCEPT_LANGUAGE;

use super::state::Site;
use crate::web::public;

/// The longest path or query that is cached (longer ones are answered uncached).
pub(super) const MAX_KEY_PART: usize = 1024;

/// Which surface a cached path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Surface {
    ApiV1,
    ApiV2,
    Page,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) surface: Surface,
    pub(super) path: String,
    pub(super) query: String,
    /// The locale `Accept-Language` resolves to (pages with automatic localization), else
    /// empty.
    pub(super) language: String,
    /// Canonical `Time-Zone` (API v1), else empty.
    pub(super) zone: String,
}

impl Key {
    pub(super) fn variant(&self) -> String {
        format!(
            "{:?}\n{}\n{}\n{}\n{}",
            self.surface, self.path, self.query, self.language, self.zone
        )
    }
}

/// Path segments that mark pages with forms, secrets or per-visitor content.
pub(super) const UNCACHED_SEGMENTS: &[&str] = &[
    "dashboard",
    "auth",
    "login",
    "logout",
    "setup",
    "subscribe",
    "unsubscribe",
    "invite",
    "signup",
    "account",
];

/// The surface of a cacheable path, or `None`.
pub(super) fn surface_of(path: &str) -> Option<Surface> {
    if path.len() > MAX_KEY_PART || path == "/health" {
        return None;
    }
    if let Some(rest) = path.strip_prefix("/api/v1") {
        let rest = rest.trim_matches('/');
        // Constants that read nothing: nothing to gain, and they stay a probe of the process.
        if rest == "ping" || rest == "version" || rest.is_empty() {
            return None;
        }
        return path.starts_with("/api/v1/").then_some(Surface::ApiV1);
    }
    if path.starts_with("/api/v2/") {
        return Some(Surface::ApiV2);
    }
    if path.starts_with("/api/") || path == "/api" || path == "/api/v2" {
        return None;
    }
    let secret = path
        .split('/')
        .any(|s| UNCACHED_SEGMENTS.contains(&s.to_ascii_lowercase().as_str()));
    (!secret).then_some(Surface::Page)
}

/// The query, parsed, stably sorted by name and re-encoded; `None` when it does not parse.
pub(super) fn normalise_query(query: Option<&str>) -> Option<String> {
    let query = query.unwrap_or("");
    if query.len() > MAX_KEY_PART {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    serde_urlencoded::to_string(&pairs).ok()
}

/// The canonical query of a route that declares what it reads: each declared parameter's
/// canonical value (absent ones left out), in the declaration's order (sorted by name).
/// Parameters the route does not read never reach the key, whatever their number or size.
pub(super) fn canonical_query(params: &[public::QueryParam], raw: Option<&str>) -> String {
    let pairs: Vec<(&str, String)> = params
        .iter()
        .filter_map(|p| (p.canonical)(raw).map(|v| (p.name, v)))
        .collect();
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

/// The locale a page is rendered in, as its tag: what `Accept-Language` resolves to among
/// the supported locales (the page's own rule, [`crate::i18n::negotiate`]), so every
/// header value a client may send maps to one of a handful of keys.
pub(super) fn resolved_locale(req: &Request<Bytes>, site: &Site) -> String {
    // The first header only, as the page's chrome reads it.
    let header = req
        .headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::i18n::negotiate(&site.app_locale, site.automatic_localization, header)
        .tag()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn queries_are_normalised() {
        assert_eq!(normalise_query(None).unwrap(), "");
        assert_eq!(normalise_query(Some("")).unwrap(), "");
        // Order is kept: pagination links repeat the client's order.
        assert_eq!(normalise_query(Some("b=2&a=1")).unwrap(), "b=2&a=1");
        assert_eq!(normalise_query(Some("a=1&&b=")).unwrap(), "a=1&b=");
        assert_eq!(
            normalise_query(Some("a=%41")).unwrap(),
            normalise_query(Some("a=A")).unwrap()
        );
        assert!(normalise_query(Some(&"a".repeat(2000))).is_none());
    }

    #[test]
    fn accept_language_resolves_to_a_supported_locale() {
        let site = |automatic| Site {
            revision: 1,
            automatic_localization: automatic,
            app_locale: "fr".to_owned(),
            allowed_domains: Vec::new(),
        };
        let r = |al: &str, automatic: bool| {
            let req = Request::builder()
                .header("accept-language", al)
                .body(Bytes::new())
                .unwrap();
            resolved_locale(&req, &site(automatic))
        };
        assert_eq!(r("de-DE,de;q=0.9,en;q=0.8,fr;q=0.1", true), "de");
        assert_eq!(r("DE-ch", true), "de");
        assert_eq!(r("fr;q=0, en", true), "en");
        assert_eq!(r("x-klingon, *;q=0.5", true), "fr", "the setting's");
        assert_eq!(r("<script>", true), "fr");
        assert_eq!(r(&"zz-".repeat(500), true), "fr");
        assert_eq!(r("de", false), "fr", "the setting when automatic is off");
    }

    #[test]
    fn only_declared_parameters_reach_the_key() {
        let status = public::resolve("/").unwrap().reads();
        assert_eq!(canonical_query(status.query, None), "");
        assert_eq!(canonical_query(status.query, Some("b=1&c=%zz")), "");
        assert_eq!(canonical_query(status.query, Some(&"b".repeat(5000))), "");
        assert_eq!(
            canonical_query(status.query, Some("z=9&start_date=2026-11-02&a=1")),
            "start_date=2026-11-02"
        );
        let feed = public::resolve("/rss").unwrap().reads();
        assert_eq!(
            canonical_query(feed.query, Some("start_date=2026-11-02")),
            ""
        );
    }

    #[test]
    fn secret_and_form_paths_are_never_cached() {
        for p in [
            "/health",
            "/api/v1/ping",
            "/api/v1/version",
            "/api/v1",
            "/dashboard",
            "/subscribe/verify/abc",
            "/unsubscribe/x",
            "/auth/login",
            "/invite/x",
        ] {
            assert_eq!(surface_of(p), None, "{p}");
        }
        assert_eq!(surface_of("/api/v1/components"), Some(Surface::ApiV1));
        assert_eq!(surface_of("/api/v2/summary.json"), Some(Surface::ApiV2));
        assert_eq!(surface_of("/"), Some(Surface::Page));
        assert_eq!(surface_of("/incidents/3"), Some(Surface::Page));
    }
}
