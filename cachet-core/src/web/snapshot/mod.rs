//! The snapshot cache (ARCHITECTURE.md section 5): every public answer a guest may get
//! (the HTML pages and other `web::public` routes, API v1 reads, the Statuspage v2 JSON)
//! is rendered once per store revision and then served from memory, precompressed, with a
//! strong `ETag`.
//!
//! # Key
//!
//! One entry per (surface, path, query, variant dimensions), where each part holds only what
//! the render reads, in canonical form, so that nothing a client varies freely makes a new
//! entry. `GET` and `HEAD` share entries (`HEAD` is folded into `GET` before the lookup). The
//! render sees exactly the key (see below), so an entry is right for every request that maps
//! to it. The query part is:
//!
//! * public pages, feeds, badges and charts: only the parameters the route declares it reads
//!   (`web::public`'s route table, one declaration per route), each in its canonical form
//!   (`?b=<random>` maps to the bare path; an invalid value maps to the one answer the render
//!   gives every invalid value), sorted by name;
//! * the Statuspage v2 JSON: nothing (it reads no parameter);
//! * API v1: the whole query, parsed and re-encoded (percent-encoding and empty pairs
//!   normalised; the order is kept, because pagination links repeat it). Its misses pay API
//!   v1's per-address limit.
//!
//! The dimensions are:
//!
//! * the content coding: not part of the key; each entry holds the identity body plus gzip
//!   and brotli versions compressed once, chosen per request by `Accept-Encoding` q-values;
//! * API v1: the `Time-Zone` header, canonicalised to a zone name (unknown zones are the
//!   site's zone, as API v1 treats them);
//! * pages that follow the visitor's language, while the `automatic_localization` setting is
//!   on: the locale `Accept-Language` resolves to ([`crate::i18n::negotiate`]), one
//!   of the supported locales, so any header makes at most three entries per page;
//! * `Origin`: never. CORS headers are computed per request after the lookup from the
//!   cached `allowed_domains` (for API v1, and for every route whose render carried
//!   `Vary: Origin`, i.e. applied CORS), so one entry serves every origin correctly.
//!
//! The render never sees the visitor's request: it gets a request synthesised from the key
//! (path, normalised query and the dimension headers, no `Host`, no cookies, no token), so a
//! cached answer is a function of its key only and cannot be poisoned by `Host`,
//! `X-Forwarded-*` or any other header.
//!
//! # Who is served from the cache
//!
//! Guests only: no `X-Cachet-Token`, no `Authorization`, no session cookie, no principal
//! vouched for by the host, and an empty body. Paths that hold secrets or forms
//! (`/dashboard`, `/auth`, `/setup`, `/subscribe`, `/unsubscribe`, `/invite`, ...), `/health`
//! and API v1's constant `ping` / `version` are never cached. Only `200` answers are stored,
//! and only when they carry no `Set-Cookie`, no `Cache-Control: no-store` / `private`, and
//! do not contain the request id; per-response headers (`X-Request-Id`, rate-limit headers,
//! CORS, `Vary`, `Content-Length`) are never stored but added per response.
//!
//! # Bounds
//!
//! At most [`SnapshotConfig::max_entries`](crate::web_config::SnapshotConfig::max_entries) entries overall and
//! [`SnapshotConfig::max_variants_per_path`](crate::web_config::SnapshotConfig::max_variants_per_path) per path; inserting beyond either evicts the
//! least recently used entry (of the path, then overall). Entries of an older revision are
//! dropped as soon as a newer revision is seen. Memory is therefore bounded by
//! `max_entries` x (largest answer x ~2, the compressed copies being smaller), whatever the
//! number or variety of requests.
//!
//! Renders are bounded too, since a miss costs a whole render where a hit costs a few
//! microseconds: at most [`SnapshotConfig::max_concurrent_renders`](crate::web_config::SnapshotConfig::max_concurrent_renders) run at once (the others
//! wait), each with its compression on a render thread of the cache's own, so the async
//! workers keep serving hits meanwhile; and a client address (IPv6 by /64) may cause at
//! most `RateLimits::uncached_render` renders of extra variants of a cached path (another
//! value of a parameter the route reads, another locale) of pages and Statuspage JSON (API
//! v1: its per-address limit on every miss), answered `429` with `Retry-After` beyond it. The same
//! budget is paid by a request for a cacheable page that is answered uncached (a credential
//! header, a body). Hits are never limited, and neither is the re-render of a key that
//! already holds an answer of an earlier revision: after a write the first guest to read a
//! cached key renders it whatever its budget, so a busy reader is never refused an answer the
//! cache has (one such render per key and write, the keys bounded by `max_entries`).
//!
//! # Freshness
//!
//! An entry is also re-rendered once it is [`SnapshotConfig::max_render_age`](crate::web_config::SnapshotConfig::max_render_age) old by the
//! facade's clock, since content moves with time too (maintenance windows, chart windows).
//! Such a re-render (same revision, only older) is made by the one request that finds the
//! entry aged; every other request meanwhile gets the previous answer (server-side
//! stale-while-revalidate), so readers do not queue behind a render of the big page, also
//! when the render outlasts the request's own deadline: the mark that a re-render is under
//! way travels with the render's job, not with the request that started it. A new
//! revision is never answered from an older one.
//!
//! Each request compares the entry's revision with the current `RevisionStore::revision`
//! (`crate::store::RevisionStore::revision`). The current revision is re-read from the store:
//!
//! * when a write was made through this process's `Cachet` since the last read of it (the
//!   facade notes every write, and `Cachet::handle` notes every unsafe request once
//!   answered), and during [`LOCAL_WRITE_SETTLE`] after a facade write began, so a write
//!   is visible on the very next read in this process;
//! * otherwise at most every [`SnapshotConfig::revision_poll`](crate::web_config::SnapshotConfig::revision_poll): a write made by another
//!   instance on the same database is served here at most `revision_poll` after it
//!   committed (plus one render).
//!
//! Concurrent readers of a revision not rendered yet share one render (single flight: one
//! `tokio::sync::OnceCell` per key and revision); a cancelled render is taken over by the
//! next waiter. A re-render for age serves the previous answer only while its render is
//! alive: a guard clears the mark when the render's job ends or is dropped (a client that
//! went away before its job started), so an abandoned or failed render cannot leave the old
//! answer in place (the next reader renders), and a slow one that outlives its request's
//! deadline does not make every reader wait for it.
//!
//! # Outages
//!
//! No read waits for the store beyond its deadlines (the revision check's and the whole
//! read's): when the store does not answer in time, the key's last answer is served as it
//! stands with `Age`, and a key with nothing held answers `503` with `Retry-After`; the store
//! is then taken as down for a while, so reads do not ask it and writes are refused at once
//! (`outage`).
//!
//! # HTTP
//!
//! Served answers carry a strong `ETag` (SHA-256 of the uncompressed body and the variant;
//! each content coding has its own tag), answer `If-None-Match` with `304` and no body,
//! carry `Cache-Control: public, max-age=N, stale-while-revalidate=M` (unless the handler
//! chose its own), and `Vary` naming exactly the dimensions used (`Origin` on the APIs,
//! first; then `Accept-Encoding`, and `Time-Zone` / `Accept-Language` where they apply).
//! Cache hits do not consume API v1's per-address rate limit; the request that renders does.
//!
//! Dependencies: `flate2` (the rust-lang gzip/deflate crate, pure-Rust backend, no C
//! toolchain) and `brotli` (the pure-Rust port of Google's reference encoder, the one
//! tower-http and actix use), both long-maintained and widely deployed.

mod entry;
mod key;
pub(crate) mod outage;
mod render;
mod state;

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response};

use self::entry::{serve, set_header, too_many_renders};
use self::key::{Key, Surface, canonical_query, normalise_query, resolved_locale, surface_of};
use self::state::Found;
pub(crate) use self::state::Snapshots;
use super::ratelimit::Decision;
use super::{RequestContext, api_v1, cors, public};
use crate::Cachet;

/// How long after a facade write began reads keep re-reading the store's revision, so the
/// write is seen as soon as it commits (writes are noted before they run).
pub const LOCAL_WRITE_SETTLE: Duration = Duration::from_secs(2);

/// Counters of the snapshot cache, for tests and monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SnapshotStats {
    /// Entries held now (rendered or being rendered).
    pub entries: usize,
    /// Renders made for the cache since start.
    pub renders: u64,
    /// Answers served from an entry without rendering.
    pub hits: u64,
    /// Reads of the store's revision.
    pub revision_reads: u64,
    /// Of the hits, answers served from the previous render while an entry that aged out
    /// (same revision) was being re-rendered.
    pub stale_served: u64,
    /// Requests that would have rendered but were refused `429` by the per-address limit on
    /// renders.
    pub renders_refused: u64,
    /// Answers served as they stood because the store did not answer in time (with `Age`).
    pub stale_if_error: u64,
    /// Reads answered `503` because the store did not answer in time and nothing was held.
    pub unavailable: u64,
    /// Reads whose render (or the wait for another's) passed the deadline; each was answered
    /// from what was held, and the store was taken as down only if it also missed a quick
    /// revision read.
    pub late_renders: u64,
    /// Renders that finished after every request waiting for them had given up, and filled
    /// the cache themselves.
    pub late_fills: u64,
}

/// A render that failed (a `5xx` answer, `503` when the store could not answer): nothing to
/// keep, and not an answer to give while an older one is held.
#[derive(Debug)]
struct RenderFailed(http::StatusCode);

/// What the cache decided for one request.
enum Lookup {
    /// Not cacheable: answer as usual.
    Bypass,
    /// Answered.
    Served(Response<Bytes>),
}

impl Cachet {
    /// Counters of the snapshot cache.
    #[must_use]
    pub fn snapshot_stats(&self) -> SnapshotStats {
        self.snapshots().stats()
    }

    /// Answers a guest's public read from the snapshot cache, rendering it once per revision;
    /// `None` when the request is not cacheable (the caller answers it as usual).
    pub(crate) async fn snapshot(
        &self,
        req: &Request<Bytes>,
        cx: &RequestContext,
        client: Option<IpAddr>,
        request_id: &str,
    ) -> Option<Response<Bytes>> {
        match self.snapshot_lookup(req, cx, client, request_id).await {
            Lookup::Bypass => None,
            Lookup::Served(r) => Some(r),
        }
    }

    /// Whether the store answers a revision read within `deadline`: what tells a hung store
    /// from a late render on a busy machine.
    async fn store_answers_within(&self, deadline: Duration) -> bool {
        matches!(
            tokio::time::timeout(deadline, self.store().revision()).await,
            Ok(Ok(_))
        )
    }

    async fn snapshot_lookup(
        &self,
        req: &Request<Bytes>,
        cx: &RequestContext,
        client: Option<IpAddr>,
        request_id: &str,
    ) -> Lookup {
        let snapshots = self.snapshots();
        if !snapshots.config.enabled {
            return Lookup::Bypass;
        }
        // The whole read's deadline: the revision check and the render (or the wait for
        // another request's render) both count against it.
        let until = Instant::now() + snapshots.config.render_deadline;
        let Some(surface) = surface_of(req.uri().path()) else {
            return Lookup::Bypass;
        };
        // What the render reads besides the path (API v1: its whole query, see the module
        // docs). A path no public route answers is a 404, never stored: not looked up.
        let reads = match surface {
            Surface::Page => match public::resolve(req.uri().path()) {
                Some(route) => Some(route.reads()),
                None => return Lookup::Bypass,
            },
            Surface::ApiV2 => Some(public::Reads::PATH_ONLY),
            Surface::ApiV1 => None,
        };
        if req.method() != Method::GET {
            return Lookup::Bypass;
        }
        if !req.body().is_empty() || !self.is_guest(req, cx) {
            // Answered uncached, by a whole render: a cacheable page or JSON pays the
            // per-address budget of renders like a miss, or credentials and a body would
            // be a way round it. (API v1 pays its own limit in its handler.)
            if surface != Surface::ApiV1
                && let Some(ip) = client
                && let Decision::Deny { retry_after, .. } = self.limit_uncached_render(ip).await
            {
                snapshots.renders_refused.fetch_add(1, Ordering::Relaxed);
                return Lookup::Served(too_many_renders(retry_after));
            }
            return Lookup::Bypass;
        }
        if surface == Surface::ApiV1 && !api_v1::accepts_json(req) {
            return Lookup::Bypass;
        }
        let query = match reads {
            Some(reads) => canonical_query(reads.query, req.uri().query()),
            None => match normalise_query(req.uri().query()) {
                Some(query) => query,
                None => return Lookup::Bypass,
            },
        };
        // When the store cannot answer in time, the key is still made with the last site
        // known, so what is held for it is found; with no site known, nothing is held.
        let fresh_site = snapshots.site(self, until).await;
        let store_answered = fresh_site.is_some();
        let Some(site) = fresh_site.or_else(|| snapshots.current_site()) else {
            return Lookup::Served(snapshots.outage_answer(None, req, None));
        };
        let language = if reads.is_some_and(|r| r.language) && site.automatic_localization {
            resolved_locale(req, &site)
        } else {
            String::new()
        };
        let zone = if surface == Surface::ApiV1 {
            req.headers()
                .get("time-zone")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<chrono_tz::Tz>().ok())
                .map(|tz| tz.name().to_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let key = Key {
            surface,
            path: req.uri().path().to_owned(),
            query,
            language,
            zone,
        };
        if !store_answered {
            return Lookup::Served(snapshots.outage_answer(snapshots.held(&key), req, Some(&site)));
        }
        let Some(Found {
            cell,
            renderer,
            stale,
            extra_variant,
            fallback,
        }) = snapshots.cell(&key, site.revision, self.now())
        else {
            return Lookup::Bypass;
        };
        if let Some(ready) = cell.get() {
            return match ready {
                Some(entry) => {
                    snapshots.hits.fetch_add(1, Ordering::Relaxed);
                    Lookup::Served(serve(entry, req, &site))
                }
                None => Lookup::Bypass,
            };
        }
        // Re-rendering for age: the request that started it renders, everyone else is
        // served the previous answer of the same revision meanwhile.
        if let Some(entry) = stale {
            snapshots.hits.fetch_add(1, Ordering::Relaxed);
            snapshots.stale_served.fetch_add(1, Ordering::Relaxed);
            return Lookup::Served(serve(&entry, req, &site));
        }
        // A miss: one render per key and revision; whoever renders pays the rate limit,
        // unless the key has an answer already (of an earlier revision): a guest is never
        // refused what is cached. That render was caused by a write, not by the reader, and
        // there is one per key and revision (the key was paid for when it was first made,
        // and the keys are bounded by the cache).
        let pays = fallback.is_none();
        let mut own: Option<Response<Bytes>> = None;
        let mut rendered_here = false;
        let mut decision = None;
        let (own_r, here_r, decision_r) = (&mut own, &mut rendered_here, &mut decision);
        let (key_r, site_r, cell_r) = (&key, &site, &cell);
        // The render-in-progress mark goes with the render: into its job on the render
        // thread when it starts, so readers keep being served the previous answer for as
        // long as the render runs, also after this request stopped waiting for it.
        let init = cell.get_or_try_init(|| async move {
            let renderer = renderer;
            *here_r = true;
            if pays && let Some(ip) = client {
                if surface == Surface::ApiV1 {
                    let d = self.limit_api_address(ip).await;
                    *decision_r = Some(d);
                    if let Decision::Deny { limit, retry_after } = d {
                        let mut r = api_v1::too_many(limit, retry_after, request_id);
                        cors::apply(&mut r, req, &site_r.allowed_domains);
                        *own_r = Some(r);
                        return Ok(None);
                    }
                } else if extra_variant
                    && let Decision::Deny { retry_after, .. } = self.limit_uncached_render(ip).await
                {
                    snapshots.renders_refused.fetch_add(1, Ordering::Relaxed);
                    *own_r = Some(too_many_renders(retry_after));
                    return Ok(None);
                }
            }
            snapshots.renders.fetch_add(1, Ordering::Relaxed);
            let (resp, entry) = crate::web::telemetry::timed_render(
                self,
                self.render_entry(key_r, site_r, request_id, cell_r, renderer),
            )
            .await;
            match entry {
                Some(e) => Ok(Some(e)),
                // The store failed under the render: not an answer to keep or to give
                // while an older one is held. The cell stays empty, so the next reader
                // renders again.
                None if resp.status().is_server_error() => Err(RenderFailed(resp.status())),
                None => {
                    *own_r = Some(self.finish_uncached(resp, req, surface, site_r));
                    Ok(None)
                }
            }
        });
        let waited =
            tokio::time::timeout(until.saturating_duration_since(Instant::now()), init).await;
        let entry = match waited {
            Ok(Ok(entry)) => entry.clone(),
            // The render failed or did not finish in time: the key's last answer is served as
            // it stands, else `503`. A store that said it cannot answer is taken as down, so
            // the next readers do not wait for it again.
            Ok(Err(RenderFailed(status))) => {
                if status == http::StatusCode::SERVICE_UNAVAILABLE {
                    snapshots.note_store_down();
                }
                return Lookup::Served(snapshots.outage_answer(fallback, req, Some(&site)));
            }
            // Late: the store may be hung, or the machine busy (a flood of sign-ins hashing
            // passwords, a large render). Only a store that also misses a quick revision read
            // is taken as down (which refuses writes): a busy machine must not lock its
            // admins out. A render that started goes on and fills the cell when done.
            Err(_) => {
                snapshots.late_renders.fetch_add(1, Ordering::Relaxed);
                if !self
                    .store_answers_within(snapshots.config.revision_deadline)
                    .await
                {
                    snapshots.note_store_down();
                }
                return Lookup::Served(snapshots.outage_answer(fallback, req, Some(&site)));
            }
        };
        // The previous answer, if any, is not needed any more.
        if entry.is_some() {
            snapshots.settled(&key, &cell);
        }
        let mut resp = match (entry, own) {
            (Some(entry), _) => {
                if !rendered_here {
                    snapshots.hits.fetch_add(1, Ordering::Relaxed);
                }
                serve(&entry, req, &site)
            }
            (None, Some(resp)) => {
                snapshots.forget(&key, &cell);
                resp
            }
            (None, None) => {
                snapshots.forget(&key, &cell);
                return Lookup::Bypass;
            }
        };
        if let Some(Decision::Allow { limit, remaining }) = decision {
            set_header(&mut resp, "x-ratelimit-limit", &limit.to_string());
            set_header(&mut resp, "x-ratelimit-remaining", &remaining.to_string());
        }
        Lookup::Served(resp)
    }
}
