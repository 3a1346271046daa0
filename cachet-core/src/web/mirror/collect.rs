//! What the mirror publishes: every public answer a guest can reach, rendered through
//! [`Cachet::handle`] as a guest's `GET` (the snapshot cache's answer, the bytes a visitor
//! gets), found from fixed seeds, the guest-visible entities and the links of every page.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LANGUAGE, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use super::links::{self, FORM_ROUTES, NOT_FOUND};
use super::{Layout, MirrorError};
use crate::store::query::{ComponentQuery, IncidentQuery, MetricQuery, PageRequest, ScheduleQuery};
use crate::web::{RequestContext, pages, public, statuspage};
use crate::{Actor, Cachet};

/// `Cache-Control` of an object whose answer carries none (the stand-ins, the 404 page).
const DEFAULT_CACHE_CONTROL: &str = "public, max-age=60";

/// One object to publish.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub(crate) body: Bytes,
    pub(crate) content_type: String,
    pub(crate) cache_control: String,
    pub(crate) content_language: Option<String>,
}

impl Object {
    /// The hash compared with what was last published: body and every attribute, so a
    /// changed `Content-Type` is uploaded again too.
    pub(crate) fn hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.content_type.as_bytes(),
            self.cache_control.as_bytes(),
            self.content_language
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.update(&self.body);
        hex::encode(h.finalize())
    }
}

/// Paths every site has, under the mount point.
const SEEDS: &[&str] = &[
    "/",
    "/rss",
    "/atom",
    "/history.rss",
    "/history.atom",
    "/schedules.ics",
    "/badge.svg",
];

/// Whether the mirror publishes a path: a public route (pages, feeds, badges, chart data,
/// assets) or a Statuspage v2 endpoint. Nothing else (API v1, the dashboard, sign-in,
/// subscribe, any `POST` target) is ever rendered for the mirror.
fn publishable(path: &str) -> bool {
    if let Some(name) = path.strip_prefix(statuspage::routes::PREFIX) {
        return statuspage::routes::ROUTES.iter().any(|r| r.path == name);
    }
    !matches!(public::resolve(path), None | Some(public::Route::BadId))
}

/// A guest's `GET` of `path` through the web layer: no cookie, no token, no peer, no
/// `Accept-Language` (the site's locale) and no `Accept-Encoding` (identity bodies).
async fn guest_get(cachet: &Cachet, path: &str) -> Result<Response<Bytes>, MirrorError> {
    let req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Bytes::new())
        .map_err(|_| MirrorError::Render {
            path: path.to_owned(),
            status: 400,
        })?;
    Ok(cachet.handle(req, RequestContext::default()).await)
}

/// The object of an answer, refused when it holds anything per visitor.
fn object_of(path: &str, resp: &Response<Bytes>) -> Result<Object, MirrorError> {
    let per_visitor = |what: &'static str| MirrorError::PerVisitor {
        path: path.to_owned(),
        what,
    };
    let h = resp.headers();
    if h.contains_key(http::header::SET_COOKIE) {
        return Err(per_visitor("Set-Cookie"));
    }
    let header = |name| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let cache_control = header(CACHE_CONTROL).unwrap_or_else(|| DEFAULT_CACHE_CONTROL.to_owned());
    let lower = cache_control.to_ascii_lowercase();
    if lower.contains("private") || lower.contains("no-store") {
        return Err(per_visitor("Cache-Control private or no-store"));
    }
    let content_type =
        header(CONTENT_TYPE).unwrap_or_else(|| "application/octet-stream".to_owned());
    if content_type.starts_with("text/html") {
        let body = String::from_utf8_lossy(resp.body());
        // Public pages have no forms; a form would carry a per-visitor token.
        if body.contains("<form") || body.contains("name=\"_token\"") {
            return Err(per_visitor("a form"));
        }
    }
    Ok(Object {
        body: resp.body().clone(),
        content_type,
        cache_control,
        content_language: header(CONTENT_LANGUAGE),
    })
}

/// Every path of a guest-visible entity: incident, maintenance and component pages, the
/// components' badges and the metrics' chart data. Pages found through links alone would
/// miss incidents older than the status page's timeline.
async fn entity_paths(cachet: &Cachet) -> Result<Vec<String>, MirrorError> {
    let guest = Actor::anonymous(None);
    let mut paths = Vec::new();
    let mut page = 1;
    loop {
        let q = IncidentQuery {
            filter: Default::default(),
            sort: None,
            page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
        };
        let found = cachet.incidents(&guest, q).await?;
        paths.extend(found.items.iter().map(|i| format!("/incidents/{}", i.id)));
        if u64::from(page) >= found.total_pages() {
            break;
        }
        page += 1;
    }
    let mut page = 1;
    loop {
        let q = ScheduleQuery {
            filter: Default::default(),
            sort: None,
            page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
        };
        let found = cachet.schedules(&guest, q).await?;
        paths.extend(found.items.iter().map(|s| format!("/schedules/{}", s.id)));
        if u64::from(page) >= found.total_pages() {
            break;
        }
        page += 1;
    }
    let mut page = 1;
    loop {
        let q = ComponentQuery {
            filter: Default::default(),
            sort: None,
            page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
        };
        let found = cachet.components(&guest, q).await?;
        for c in &found.items {
            paths.push(format!("/components/{}", c.id));
            paths.push(format!("/components/{}/badge.svg", c.id));
            paths.push(format!("/component/{}/shield", c.id));
        }
        if u64::from(page) >= found.total_pages() {
            break;
        }
        page += 1;
    }
    let mut page = 1;
    loop {
        let q = MetricQuery {
            filter: Default::default(),
            sort: None,
            page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
        };
        let found = cachet.metrics(&guest, q).await?;
        paths.extend(found.items.iter().map(|m| format!("/metrics/{}", m.id)));
        if u64::from(page) >= found.total_pages() {
            break;
        }
        page += 1;
    }
    Ok(paths)
}

/// Everything to publish now, by object key (relative to the mirror's prefix).
///
/// An answer of `404` or `400` is a path that does not exist for a guest (it is left out,
/// and deleted if it was published); any other failure, or an answer served from memory
/// while the store is down (`Age`), fails the whole collection, so an outage never
/// unpublishes pages.
pub(crate) async fn collect(
    cachet: &Cachet,
    layout: Layout,
) -> Result<BTreeMap<String, Object>, MirrorError> {
    let public_url = cachet.config().public_url.as_str().to_owned();
    let base = cachet.config().public_url.mount_path().to_owned();
    let mut queue: VecDeque<String> = SEEDS.iter().map(|s| (*s).to_owned()).collect();
    queue.extend(
        statuspage::routes::ROUTES
            .iter()
            .map(|r| format!("{}{}", statuspage::routes::PREFIX, r.path)),
    );
    for asset in [&*pages::assets::STYLESHEET, &*pages::assets::FAVICON] {
        queue.push_back(asset.path());
    }
    queue.extend(entity_paths(cachet).await?);
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut forms: BTreeSet<&'static str> = BTreeSet::new();
    let mut objects = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        let resp = guest_get(cachet, &path).await?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => continue,
            other => {
                return Err(MirrorError::Render {
                    path,
                    status: other.as_u16(),
                });
            }
        }
        if resp.headers().contains_key(http::header::AGE) {
            return Err(MirrorError::Stale { path });
        }
        let object = object_of(&path, &resp)?;
        if object.content_type.starts_with("text/html") {
            let html = String::from_utf8_lossy(&object.body).into_owned();
            for link in links::links(&html) {
                let Some(target) = links::local_path(&link, &public_url, &base) else {
                    continue;
                };
                if let Some(form) = FORM_ROUTES.iter().find(|f| **f == target) {
                    forms.insert(form);
                } else if publishable(&target) && seen.insert(target.clone()) {
                    queue.push_back(target);
                }
            }
        }
        for key in links::keys_of(&base, &path) {
            objects.insert(key, object.clone());
        }
    }
    if !forms.is_empty() {
        let stand_in = object_of("/subscribe", &pages::mirror_stand_in(cachet).await)?;
        for form in forms {
            for key in links::keys_of(&base, form) {
                objects.insert(key, stand_in.clone());
            }
        }
    }
    // The error document of a website endpoint: the page's own 404 page.
    let missing = guest_get(cachet, "/mirror-not-found").await?;
    if missing.status() == StatusCode::NOT_FOUND
        && missing
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        let key = links::keys_of(&base, &format!("/{NOT_FOUND}"));
        let object = object_of(NOT_FOUND, &missing)?;
        for k in key {
            objects.insert(k, object.clone());
        }
    }
    Ok(match layout {
        Layout::Keys => objects,
        Layout::Directories => directories(objects),
    })
}

/// [`Layout::Directories`]: a key with keys below it moves to `<key>/index.html`.
fn directories(objects: BTreeMap<String, Object>) -> BTreeMap<String, Object> {
    let parents: BTreeSet<String> = objects
        .keys()
        .flat_map(|k| k.match_indices('/').map(move |(at, _)| k[..at].to_owned()))
        .collect();
    objects
        .into_iter()
        .map(|(k, o)| {
            if parents.contains(&k) {
                (format!("{k}/{}", links::INDEX), o)
            } else {
                (k, o)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn answer(body: &'static str, headers: &[(&str, &str)]) -> Response<Bytes> {
        let mut b = Response::builder().header(CONTENT_TYPE, "text/html; charset=utf-8");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Bytes::from_static(body.as_bytes())).unwrap()
    }

    #[test]
    fn answers_holding_anything_per_visitor_are_refused() {
        let ok = object_of(
            "/",
            &answer("<p>up</p>", &[("cache-control", "public, max-age=10")]),
        );
        assert_eq!(ok.unwrap().cache_control, "public, max-age=10");
        for (body, headers) in [
            ("<p>up</p>", &[("set-cookie", "s=1; HttpOnly")][..]),
            ("<p>up</p>", &[("cache-control", "private, max-age=0")][..]),
            ("<p>up</p>", &[("cache-control", "no-store")][..]),
            (
                "<form method=\"post\"><input name=\"_token\" value=\"x\"></form>",
                &[][..],
            ),
        ] {
            let refused = object_of("/", &answer(body, headers));
            assert!(
                matches!(refused, Err(MirrorError::PerVisitor { .. })),
                "{body} {headers:?}"
            );
        }
    }

    #[test]
    fn the_directory_layout_moves_a_parent_path_to_its_index() {
        let o = object_of("/", &answer("x", &[])).unwrap();
        let objects: BTreeMap<String, Object> = [
            "index.html",
            "components/3",
            "components/3/badge.svg",
            "incidents/1",
            "status",
            "status/index.html",
        ]
        .into_iter()
        .map(|k| (k.to_owned(), o.clone()))
        .collect();
        let keys: Vec<String> = directories(objects).into_keys().collect();
        assert_eq!(
            keys,
            [
                "components/3/badge.svg",
                "components/3/index.html",
                "incidents/1",
                "index.html",
                "status/index.html",
            ]
        );
    }

    #[test]
    fn a_changed_attribute_changes_the_hash() {
        let a = object_of("/", &answer("x", &[])).unwrap();
        let mut b = a.clone();
        assert_eq!(a.hash(), b.hash());
        b.content_type = "text/plain".to_owned();
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn only_public_reads_are_publishable() {
        for path in [
            "/",
            "/incidents/1",
            "/rss",
            "/badge.svg",
            "/metrics/2",
            "/api/v2/summary.json",
            "/api/v2/incidents/unresolved.json",
        ] {
            assert!(publishable(path), "{path}");
        }
        for path in [
            "/subscribe",
            "/auth/login",
            "/dashboard",
            "/api/v1/components",
            "/api/v2/nope.json",
            "/incidents/abc",
            "/health",
            "/setup",
        ] {
            assert!(!publishable(path), "{path}");
        }
    }
}
