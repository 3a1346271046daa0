//! What the mirror reads from a page (its links) and where an answer goes (its object key).

/// The object key of the page home at the site root.
pub(crate) const INDEX: &str = "index.html";

/// The object key of the page answered for a path the mirror does not hold.
pub(crate) const NOT_FOUND: &str = "404.html";

/// The form routes a public page links to: the mirror holds a read-only stand-in at each.
pub(crate) const FORM_ROUTES: &[&str] = &["/subscribe"];

/// The object keys of a path under the mount point (`/`, `/incidents/3`), with `base` the
/// public URL's mount path (`""` or `/status`). A key is the path as the pages link it,
/// without the leading slash, so the links resolve when the bucket is served at the site
/// root: `/incidents/3` is `incidents/3`. The home is `index.html` at the root; under a
/// mount path it is both `status` (the pages link `/status`) and `status/index.html`
/// (`/status/` on a website endpoint).
pub(crate) fn keys_of(base: &str, path: &str) -> Vec<String> {
    let base = base.trim_start_matches('/');
    if path == "/" {
        return if base.is_empty() {
            vec![INDEX.to_owned()]
        } else {
            vec![base.to_owned(), format!("{base}/{INDEX}")]
        };
    }
    let path = path.trim_start_matches('/');
    if base.is_empty() {
        vec![path.to_owned()]
    } else {
        vec![format!("{base}/{path}")]
    }
}

/// The path under the mount point a link on a page names, when it names this site:
/// root-relative links (`/incidents/3`) and absolute ones under the public URL
/// (`https://status.example.com/history.rss`). Query and fragment are dropped (an object
/// store has neither); links elsewhere, protocol-relative ones and fragments alone are `None`.
pub(crate) fn local_path(link: &str, public_url: &str, base: &str) -> Option<String> {
    let link = link.split(['#', '?']).next().unwrap_or_default();
    let origin_end = public_url
        .find("://")
        .and_then(|at| public_url[at + 3..].find('/').map(|slash| at + 3 + slash))
        .unwrap_or(public_url.len());
    let origin = &public_url[..origin_end];
    let full = if let Some(rest) = link.strip_prefix(origin) {
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        rest
    } else if link.starts_with('/') && !link.starts_with("//") {
        link
    } else {
        return None;
    };
    let under = if base.is_empty() {
        full
    } else {
        full.strip_prefix(base)?
    };
    match under {
        "" | "/" => Some("/".to_owned()),
        p if p.starts_with('/') => Some(p.to_owned()),
        _ => None,
    }
}

/// The values of the `href` and `src` attributes of an HTML page this crate rendered (its
/// templates always quote attributes with `"`), with `&amp;` decoded.
pub(crate) fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" href=\"", " src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let tail = &rest[at + attr.len()..];
            let end = tail.find('"').unwrap_or(tail.len());
            out.push(tail[..end].replace("&amp;", "&"));
            rest = &tail[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_linked_paths_and_the_home_is_an_index() {
        assert_eq!(keys_of("", "/"), ["index.html"]);
        assert_eq!(keys_of("", "/incidents/3"), ["incidents/3"]);
        assert_eq!(keys_of("", "/api/v2/summary.json"), ["api/v2/summary.json"]);
        assert_eq!(keys_of("/status", "/"), ["status", "status/index.html"]);
        assert_eq!(keys_of("/status", "/rss"), ["status/rss"]);
    }

    #[test]
    fn only_links_to_this_site_are_followed() {
        let url = "https://status.example.com/";
        assert_eq!(
            local_path("/incidents/3", url, "").as_deref(),
            Some("/incidents/3")
        );
        assert_eq!(
            local_path("/?start_date=2026-11-01", url, "").as_deref(),
            Some("/")
        );
        assert_eq!(
            local_path("https://status.example.com/history.rss", url, "").as_deref(),
            Some("/history.rss")
        );
        assert_eq!(
            local_path("https://status.example.com.evil/x", url, ""),
            None
        );
        assert_eq!(local_path("https://other.example.com/x", url, ""), None);
        assert_eq!(local_path("//other.example.com/x", url, ""), None);
        assert_eq!(local_path("#main", url, ""), None);
        let mounted = "https://example.com/status";
        assert_eq!(
            local_path("/status", mounted, "/status").as_deref(),
            Some("/")
        );
        assert_eq!(
            local_path("/status/incidents/1", mounted, "/status").as_deref(),
            Some("/incidents/1")
        );
        assert_eq!(local_path("/statusx/1", mounted, "/status"), None);
        assert_eq!(local_path("/other", mounted, "/status"), None);
    }

    #[test]
    fn links_are_read_from_href_and_src() {
        let html =
            r##"<a href="/a?x=1&amp;y=2">a</a><img src="/b.svg"><a class="c" href="#main">"##;
        assert_eq!(links(html), ["/a?x=1&y=2", "#main", "/b.svg"]);
    }
}
