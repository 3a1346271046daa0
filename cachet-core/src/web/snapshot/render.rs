//! Rendering for the cache: a request synthesised from the key alone, on the cache's own
//! render threads.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::header::{ACCEPT_LANGUAGE, VARY};
use http::{HeaderValue, Method, Request, Response, StatusCode};

use super::entry::{Entry, entry_of};
use super::key::{Key, Surface};
use super::state::{Cell, RenderGuard, Site};
use crate::Cachet;
use crate::web::{RequestContext, api_v1, cors, public, response, statuspage};

impl Cachet {
    /// Renders a key and builds its entry (hashing and compressing the body) on the cache's
    /// render threads ([`crate::cpu::Offloader`]), so that neither the render of the big
    /// status page (about 200 ms on the benchmark's data set) nor its gzip and brotli copies
    /// stall an async worker and every request it serves, cache hits included. The render is
    /// async (it reads the store): the render thread drives it with the runtime's
    /// `Handle::block_on`, and the store's I/O stays on the runtime's drivers. Outside a
    /// tokio runtime it runs here.
    ///
    /// A render that has started finishes even when the request that asked for it stopped
    /// waiting (its deadline passed on a busy machine): its answer then fills `cell` itself,
    /// so the next reader is served it instead of starting the same late render again. While
    /// the request still waits, it holds the cell's initialisation and fills it (the render's
    /// own attempt is refused); a job still queued when the request gives up is dropped.
    ///
    /// `guard`, the mark of a re-render for age, is held by the job until it ends (or is
    /// dropped unstarted), so readers are served the previous answer for exactly as long as
    /// the render runs.
    pub(super) async fn render_entry(
        &self,
        key: &Key,
        site: &Arc<Site>,
        request_id: &str,
        cell: &Cell,
        guard: Option<RenderGuard>,
    ) -> (Response<Bytes>, Option<Arc<Entry>>) {
        let snapshots = self.snapshots();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            let _rendering = guard;
            let resp = self.render_for_snapshot(key, request_id).await;
            let entry = entry_of(&resp, key, site, &snapshots.config, request_id).map(Arc::new);
            return (resp, entry);
        };
        let (cachet, key, site, id, cell) = (
            self.clone(),
            key.clone(),
            Arc::clone(site),
            request_id.to_owned(),
            Arc::clone(cell),
        );
        let rendered = snapshots
            .render_threads
            .run(move || {
                // Cleared when this job ends, after the cell holds the late answer.
                let _rendering = guard;
                let resp = handle.block_on(cachet.render_for_snapshot(&key, &id));
                let snapshots = cachet.snapshots();
                let entry = entry_of(&resp, &key, &site, &snapshots.config, &id).map(Arc::new);
                if let Some(entry) = &entry
                    && cell.set(Some(Arc::clone(entry))).is_ok()
                {
                    // Nobody waited any more: this late answer is the key's now.
                    snapshots.late_fills.fetch_add(1, Ordering::Relaxed);
                    snapshots.settled(&key, &cell);
                }
                (resp, entry)
            })
            .await;
        rendered.unwrap_or_else(|error| {
            tracing::error!(
                target: "cachet::snapshot",
                request_id,
                error = %crate::log::Escaped(&error),
                "render failed"
            );
            (
                response::plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"),
                None,
            )
        })
    }

    /// A guest: no principal, no token, no session cookie.
    pub(super) fn is_guest(&self, req: &Request<Bytes>, cx: &RequestContext) -> bool {
        let h = req.headers();
        cx.principal.is_none()
            && !h.contains_key("x-cachet-token")
            && !h.contains_key(http::header::AUTHORIZATION)
            && !h
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|c| self.cookie_policy().read(c).is_some())
    }

    /// Renders a key from a request synthesised from it alone: nothing of the visitor's
    /// request (Host, cookies, other headers) can reach the answer.
    pub(super) async fn render_for_snapshot(&self, key: &Key, request_id: &str) -> Response<Bytes> {
        let uri = if key.query.is_empty() {
            key.path.clone()
        } else {
            format!("{}?{}", key.path, key.query)
        };
        let mut builder = Request::builder().method(Method::GET).uri(uri);
        if !key.language.is_empty() {
            builder = builder.header(ACCEPT_LANGUAGE, key.language.as_str());
        }
        if !key.zone.is_empty() {
            builder = builder.header("time-zone", key.zone.as_str());
        }
        let Ok(synthetic) = builder.body(Bytes::new()) else {
            return response::not_found_page();
        };
        match key.surface {
            Surface::ApiV1 => api_v1::handle(self, synthetic, None, None, request_id).await,
            Surface::ApiV2 => statuspage::handle(self, &synthetic).await,
            Surface::Page => match public::route(self, &synthetic).await {
                Some(resp) => resp,
                None => crate::web::pages::not_found(self, &synthetic).await,
            },
        }
    }

    /// A render that may not be cached, made fit for the one request that caused it: CORS
    /// for the real `Origin` instead of the synthesised request's.
    pub(super) fn finish_uncached(
        &self,
        mut resp: Response<Bytes>,
        req: &Request<Bytes>,
        surface: Surface,
        site: &Site,
    ) -> Response<Bytes> {
        let had_cors = resp
            .headers()
            .get_all(VARY)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"origin"));
        if surface == Surface::ApiV1 || had_cors {
            let headers = resp.headers_mut();
            let kept: Vec<HeaderValue> = headers
                .get_all(VARY)
                .iter()
                .filter(|v| !v.as_bytes().eq_ignore_ascii_case(b"origin"))
                .cloned()
                .collect();
            headers.remove(VARY);
            headers.remove(http::header::ACCESS_CONTROL_ALLOW_ORIGIN);
            cors::apply(&mut resp, req, &site.allowed_domains);
            for v in kept {
                resp.headers_mut().append(VARY, v);
            }
        }
        resp
    }
}
