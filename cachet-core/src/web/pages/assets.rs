//! Static assets: embedded in the binary, served at `/assets/{name}.{hash}.{ext}` where the
//! hash is the first 16 hex digits of the SHA-256 of the bytes, cached immutably, and
//! referenced from the pages with Subresource Integrity (`sha384-…`).
//!
//! The theme stylesheet (`theme.{hash}.css`) is generated from the settings' colours as CSS
//! custom properties, so the pages need no inline style; its hash changes with the colours,
//! and a request for any other hash is a 404 (an old page asking for an old theme after a
//! settings change gets a 404 rather than the wrong colours cached forever).

use std::sync::LazyLock;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};
use sha2::{Digest, Sha256, Sha384};

use crate::model::Settings;

/// `Cache-Control` of an asset: its URL changes with its bytes, so it never goes stale.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One versioned asset.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The name without hash and extension (`cachet`, `theme`).
    pub name: &'static str,
    /// The extension (`css`, `svg`).
    pub ext: &'static str,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Bytes,
    /// The first 16 hex digits of the SHA-256 of the bytes.
    pub hash: String,
    /// The Subresource Integrity value, `sha384-<base64>`.
    pub integrity: String,
}

impl Asset {
    fn new(
        name: &'static str,
        ext: &'static str,
        content_type: &'static str,
        bytes: Bytes,
    ) -> Self {
        let digest = Sha256::digest(&bytes);
        let hash = hex::encode(&digest[..8]);
        let integrity = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes))
        );
        Self {
            name,
            ext,
            content_type,
            bytes,
            hash,
            integrity,
        }
    }

    /// The path under the mount point: `/assets/{name}.{hash}.{ext}`.
    #[must_use]
    pub fn path(&self) -> String {
        format!("/assets/{}.{}.{}", self.name, self.hash, self.ext)
    }

    fn response(&self) -> Response<Bytes> {
        let mut resp = Response::new(self.bytes.clone());
        let h = resp.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        h.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
        resp
    }
}

/// The main stylesheet.
pub static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "cachet",
        "css",
        "text/css; charset=utf-8",
        Bytes::from_static(include_bytes!("../../../assets/cachet.css")),
    )
});

/// The dashboard's stylesheet, loaded after the main one on the signed-in pages
/// and the sign-in, setup and invitation pages.
pub static DASHBOARD_STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "dashboard",
        "css",
        "text/css; charset=utf-8",
        Bytes::from_static(include_bytes!("../../../assets/dashboard.css")),
    )
});

/// The favicon.
pub static FAVICON: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "favicon",
        "svg",
        "image/svg+xml",
        Bytes::from_static(include_bytes!("../../../assets/favicon.svg")),
    )
});

/// The theme stylesheet for these settings: the colours as custom properties. Settings
/// colours are validated `#rrggbb`, so nothing else can reach the CSS.
#[must_use]
pub fn theme(settings: &Settings) -> Asset {
    let colour = |c: &str| -> String {
        let ok =
            c.len() == 7 && c.starts_with('#') && c.bytes().skip(1).all(|b| b.is_ascii_hexdigit());
        if ok {
            c.to_owned()
        } else {
            "#808080".to_owned()
        }
    };
    let css = format!(
        ":root{{--accent:{};--green:{};--blue:{};--yellow:{};--red:{}}}\n",
        colour(&settings.theme_accent),
        colour(&settings.theme_greens),
        colour(&settings.theme_blues),
        colour(&settings.theme_yellows),
        colour(&settings.theme_reds),
    );
    Asset::new("theme", "css", "text/css; charset=utf-8", Bytes::from(css))
}

/// Answers `/assets/{file}`: the asset when name, hash and extension match, else 404.
pub(crate) fn serve(file: &str, settings: Option<&Settings>) -> Response<Bytes> {
    let found = |a: &Asset| format!("{}.{}.{}", a.name, a.hash, a.ext) == file;
    if found(&STYLESHEET) {
        return STYLESHEET.response();
    }
    if found(&FAVICON) {
        return FAVICON.response();
    }
    if found(&DASHBOARD_STYLESHEET) {
        return DASHBOARD_STYLESHEET.response();
    }
    if let Some(s) = settings {
        let t = theme(s);
        if found(&t) {
            return t.response();
        }
    }
    let mut resp = Response::new(Bytes::from_static(b"not found\n"));
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn asset_urls_follow_content_and_wrong_hashes_404() {
        let s = Settings::default();
        let css = &*STYLESHEET;
        assert_eq!(css.hash.len(), 16);
        assert!(css.integrity.starts_with("sha384-"));
        let ok = serve(css.path().trim_start_matches("/assets/"), Some(&s));
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.body(), &css.bytes);
        assert_eq!(
            serve("cachet.0000000000000000.css", Some(&s)).status(),
            StatusCode::NOT_FOUND
        );
        let mut other = s.clone();
        other.theme_reds = "#ff0000".to_owned();
        assert_ne!(theme(&s).hash, theme(&other).hash);
        let old = theme(&s);
        let file = old.path();
        let file = file.trim_start_matches("/assets/");
        assert_eq!(serve(file, Some(&s)).status(), StatusCode::OK);
        assert_eq!(serve(file, Some(&other)).status(), StatusCode::NOT_FOUND);
    }
}
