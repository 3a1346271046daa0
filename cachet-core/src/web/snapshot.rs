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
//! At most [`SnapshotConfig::max_entries`] entries overall and
//! [`SnapshotConfig::max_variants_per_path`] per path; inserting beyond either evicts the
//! least recently used entry (of the path, then overall). Entries of an older revision are
//! dropped as soon as a newer revision is seen. Memory is therefore bounded by
//! `max_entries` x (largest answer x ~2, the compressed copies being smaller), whatever the
//! number or variety of requests.
//!
//! Renders are bounded too, since a miss costs a whole render where a hit costs a few
//! microseconds: at most [`SnapshotConfig::max_concurrent_renders`] run at once (the others
//! wait), each with its compression on a render thread of the cache's own, so the async
//! workers keep serving hits meanwhile; and a client address (IPv6 by /64) may cause at
//! most `RateLimits::uncached_render` renders of extra variants of a cached path (another
//! value of a parameter the route reads, another locale) of pages and Statuspage JSON (API
//! v1: its per-address limit on every miss), answered `429` with `Retry-After` beyond it. The same
//! budget is paid by a request for a cacheable page that is answered uncached (a credential
//! header, a body). Hits are never limited.
//!
//! # Freshness
//!
//! An entry is also re-rendered once it is [`SnapshotConfig::max_render_age`] old by the
//! facade's clock, since content moves with time too (maintenance windows, chart windows).
//! Such a re-render (same revision, only older) is made by the one request that finds the
//! entry aged; every other request meanwhile gets the previous answer (server-side
//! stale-while-revalidate), so readers do not queue behind a render of the big page. A new
//! revision is never answered from an older one.
//!
//! Each request compares the entry's revision with the current `RevisionStore::revision`
//! (`crate::store::RevisionStore::revision`). The current revision is re-read from the store:
//!
//! * when a write was made through this process's `Cachet` since the last read of it (the
//!   facade notes every write, and `Cachet::handle` notes every unsafe request once
//!   answered), and during [`LOCAL_WRITE_SETTLE`] after a facade write began, so a write
//!   is visible on the very next read in this process;
//! * otherwise at most every [`SnapshotConfig::revision_poll`]: a write made by another
//!   instance on the same database is served here at most `revision_poll` after it
//!   committed (plus one render).
//!
//! Concurrent readers of a revision not rendered yet share one render (single flight: one
//! `tokio::sync::OnceCell` per key and revision); a cancelled render is taken over by the
//! next waiter. A re-render for age serves the previous answer only while the request that
//! renders is alive (a guard clears the mark when it is dropped), so a client that goes away
//! mid-render cannot leave the old answer in place: the next reader renders.
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

use std::collections::HashMap;
use std::io::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::ratelimit::Decision;
use super::{RequestContext, api_v1, cors, public, response, statuspage};
use crate::Cachet;
use crate::clock::Timestamp;
use crate::validate::HttpUrl;

pub use crate::web_config::SnapshotConfig;

/// How long after a facade write began reads keep re-reading the store's revision, so the
/// write is seen as soon as it commits (writes are noted before they run).
pub const LOCAL_WRITE_SETTLE: Duration = Duration::from_secs(2);

/// Bodies smaller than this are not compressed (the headers would outweigh the gain).
const MIN_COMPRESS: usize = 256;

/// The longest path or query that is cached (longer ones are answered uncached).
const MAX_KEY_PART: usize = 1024;

/// Counters of the snapshot cache, for tests and monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}

/// Which surface a cached path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Surface {
    ApiV1,
    ApiV2,
    Page,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    surface: Surface,
    path: String,
    query: String,
    /// The locale `Accept-Language` resolves to (pages with automatic localization), else
    /// empty.
    language: String,
    /// Canonical `Time-Zone` (API v1), else empty.
    zone: String,
}

impl Key {
    fn variant(&self) -> String {
        format!(
            "{:?}\n{}\n{}\n{}\n{}",
            self.surface, self.path, self.query, self.language, self.zone
        )
    }
}

/// What the cache knows of the site at one revision.
#[derive(Debug)]
struct Site {
    revision: u64,
    automatic_localization: bool,
    /// The `app_locale` setting: the locale when `Accept-Language` names no supported one.
    app_locale: String,
    allowed_domains: Vec<HttpUrl>,
}

/// One rendered answer, shared by every request of its key at its revision.
#[derive(Debug)]
struct Entry {
    headers: HeaderMap,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
    /// The ETag of the identity body, without quotes.
    tag: String,
    /// `Vary` of the entry's own dimensions (CORS adds `Origin`).
    vary: &'static str,
    /// Whether the route answers CORS (API v1 always; other routes when their render
    /// carried `Vary: Origin`): applied per request when serving.
    cors: bool,
}

type Cell = Arc<OnceCell<Option<Arc<Entry>>>>;

#[derive(Debug)]
struct Slot {
    revision: u64,
    /// When the slot was made, by the facade's clock.
    born: Timestamp,
    cell: Cell,
    used: u64,
    /// While `cell` renders because the previous one aged out (the revision unchanged), the
    /// previous answer, served to everyone but the one request that renders, and only while
    /// that request is still rendering (`rendering`). Dropped once `cell` holds its answer.
    stale: Option<Arc<Entry>>,
    /// Set while the request that made `cell` is rendering it; cleared by its
    /// [`RenderGuard`] when it finishes or is dropped (a client that went away).
    rendering: Arc<AtomicBool>,
}

/// What a lookup found for a key: the cell to read or fill, and the answer to serve meanwhile.
struct Found {
    cell: Cell,
    /// Held by the request that made `cell` (it renders); `None` for everyone else.
    renderer: Option<RenderGuard>,
    /// The same revision's previous answer, while `cell` is being re-rendered for age by a
    /// request that is still at it.
    stale: Option<Arc<Entry>>,
    /// Whether the path already had another entry when this one was made: the key is one
    /// more variant (a query value, a locale) of a path already cached, the only way one
    /// client can make renders without end, so its render pays the address's budget. The
    /// first entry of a path does not: after a write every page is a miss for whoever comes
    /// first (a visitor or a crawler reading many pages), and the number of paths is that of
    /// the site's content.
    extra_variant: bool,
}

/// Marks a slot's render as in progress until dropped. When the rendering request is
/// cancelled, the drop clears the mark, so the next reader renders (taking the render over
/// through the cell) instead of being served the previous answer without end.
struct RenderGuard(Arc<AtomicBool>);

impl Drop for RenderGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The snapshot cache's state, held by the facade.
#[derive(Debug)]
pub(crate) struct Snapshots {
    config: SnapshotConfig,
    base: Instant,
    /// Nanoseconds since `base` (+1) when the revision was last read; 0: never.
    last_poll: AtomicU64,
    /// Nanoseconds since `base` (+1) when a local write was last noted; 0: never.
    last_write: AtomicU64,
    /// Nanoseconds since `base` (+1) when a facade write last began; 0: never.
    write_started: AtomicU64,
    site: RwLock<Option<Arc<Site>>>,
    slots: Mutex<HashMap<Key, Slot>>,
    tick: AtomicU64,
    renders: AtomicU64,
    hits: AtomicU64,
    revision_reads: AtomicU64,
    stale_served: AtomicU64,
    renders_refused: AtomicU64,
    /// Where renders run: [`SnapshotConfig::max_concurrent_renders`] threads of their own,
    /// apart from the process-wide [`crate::cpu::offload`] threads, so renders never queue
    /// behind a flood of password hashes.
    render_threads: crate::cpu::Offloader,
}

impl Snapshots {
    /// An empty cache.
    pub(crate) fn new(config: SnapshotConfig) -> Self {
        Self {
            base: Instant::now(),
            last_poll: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            write_started: AtomicU64::new(0),
            site: RwLock::new(None),
            slots: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
            renders: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            revision_reads: AtomicU64::new(0),
            stale_served: AtomicU64::new(0),
            renders_refused: AtomicU64::new(0),
            render_threads: crate::cpu::Offloader::named(
                "cachet-render",
                config.max_concurrent_renders,
            ),
            config,
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    /// Notes that this process is about to write (the facade, before a store write): reads
    /// re-read the revision during [`LOCAL_WRITE_SETTLE`], so they see it once committed.
    pub(crate) fn note_write_started(&self) {
        let now = self.now();
        self.write_started.fetch_max(now, Ordering::AcqRel);
        self.last_write.fetch_max(now, Ordering::AcqRel);
    }

    /// Notes that this process answered a request that may have written: the next read
    /// re-reads the revision once.
    pub(crate) fn note_write_done(&self) {
        self.last_write.fetch_max(self.now(), Ordering::AcqRel);
    }

    pub(crate) fn stats(&self) -> SnapshotStats {
        SnapshotStats {
            entries: self.slots.lock().map(|s| s.len()).unwrap_or(0),
            renders: self.renders.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            revision_reads: self.revision_reads.load(Ordering::Relaxed),
            stale_served: self.stale_served.load(Ordering::Relaxed),
            renders_refused: self.renders_refused.load(Ordering::Relaxed),
        }
    }

    fn current_site(&self) -> Option<Arc<Site>> {
        self.site.read().ok().and_then(|s| s.clone())
    }

    /// The site at the current revision, re-reading the revision when due.
    async fn site(&self, cachet: &Cachet) -> Option<Arc<Site>> {
        let now = self.now();
        let last_poll = self.last_poll.load(Ordering::Acquire);
        let last_write = self.last_write.load(Ordering::Acquire);
        let write_started = self.write_started.load(Ordering::Acquire);
        let current = self.current_site();
        let poll_nanos = u64::try_from(self.config.revision_poll.as_nanos()).unwrap_or(u64::MAX);
        let settle = u64::try_from(LOCAL_WRITE_SETTLE.as_nanos()).unwrap_or(u64::MAX);
        let due = current.is_none()
            || last_poll == 0
            || now.saturating_sub(last_poll) >= poll_nanos
            || last_write >= last_poll
            || (write_started != 0 && now.saturating_sub(write_started) < settle);
        if !due {
            return current;
        }
        self.last_poll.fetch_max(now, Ordering::AcqRel);
        self.revision_reads.fetch_add(1, Ordering::Relaxed);
        let revision = cachet.store().revision().await.ok()?;
        if let Some(site) = &current
            && site.revision == revision
        {
            return current;
        }
        let settings = cachet.settings().await.ok()?;
        let site = Arc::new(Site {
            revision,
            automatic_localization: settings.automatic_localization,
            app_locale: settings.app_locale.as_str().to_owned(),
            allowed_domains: settings.allowed_domains,
        });
        if let Ok(mut held) = self.site.write()
            && held.as_ref().is_none_or(|s| s.revision <= revision)
        {
            *held = Some(site.clone());
        }
        if let Ok(mut slots) = self.slots.lock() {
            slots.retain(|_, s| s.revision >= revision);
        }
        Some(site)
    }

    /// The cell of a key at a revision, inserted (evicting as needed) when missing or too
    /// old. A slot that only aged (same revision) keeps its answer as `stale` while the new
    /// cell renders: the content moved with time only, so the previous answer is still a
    /// correct answer for the few milliseconds of the render (server-side
    /// stale-while-revalidate), and readers do not queue behind the render. A new revision
    /// never does this: a write is visible on the very next read.
    fn cell(&self, key: &Key, revision: u64, now: Timestamp) -> Option<Found> {
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        let max_age = chrono::TimeDelta::from_std(self.config.max_render_age)
            .unwrap_or(chrono::TimeDelta::MAX);
        let mut slots = self.slots.lock().ok()?;
        let mut stale = None;
        if let Some(slot) = slots.get_mut(key)
            && slot.revision == revision
            && slot.born <= now
        {
            if now - slot.born < max_age {
                slot.used = used;
                if slot.cell.initialized() {
                    slot.stale = None;
                }
                let rendering = slot.rendering.load(Ordering::Acquire);
                return Some(Found {
                    cell: slot.cell.clone(),
                    renderer: None,
                    stale: slot.stale.clone().filter(|_| rendering),
                    extra_variant: false,
                });
            }
            stale = slot
                .cell
                .get()
                .cloned()
                .flatten()
                .or_else(|| slot.stale.take());
        }
        slots.remove(key);
        let max_variants = self.config.max_variants_per_path.max(1);
        let same_path = slots.keys().filter(|k| k.path == key.path).count();
        if same_path >= max_variants {
            evict_lru(&mut slots, |k| k.path == key.path);
        }
        while slots.len() >= self.config.max_entries.max(1) {
            if !evict_lru(&mut slots, |_| true) {
                break;
            }
        }
        let cell: Cell = Arc::new(OnceCell::new());
        let rendering = Arc::new(AtomicBool::new(true));
        slots.insert(
            key.clone(),
            Slot {
                revision,
                born: now,
                cell: cell.clone(),
                used,
                stale,
                rendering: rendering.clone(),
            },
        );
        // The renderer itself never serves the previous answer: it is not handed one.
        Some(Found {
            cell,
            renderer: Some(RenderGuard(rendering)),
            extra_variant: same_path > 0,
            stale: None,
        })
    }

    /// Drops a slot's previous answer once its cell holds the new one, so a key that goes
    /// cold right after a re-render does not keep two answers in memory.
    fn settled(&self, key: &Key, cell: &Cell) {
        if let Ok(mut slots) = self.slots.lock()
            && let Some(slot) = slots.get_mut(key)
            && Arc::ptr_eq(&slot.cell, cell)
        {
            slot.stale = None;
        }
    }

    /// Forgets a key's slot if it still holds this cell (its answer was not cacheable).
    fn forget(&self, key: &Key, cell: &Cell) {
        if let Ok(mut slots) = self.slots.lock()
            && slots.get(key).is_some_and(|s| Arc::ptr_eq(&s.cell, cell))
        {
            slots.remove(key);
        }
    }
}

/// Removes the least recently used slot among those matching; whether one was removed.
fn evict_lru(slots: &mut HashMap<Key, Slot>, matching: impl Fn(&Key) -> bool) -> bool {
    let victim = slots
        .iter()
        .filter(|(k, _)| matching(k))
        .min_by_key(|(_, s)| s.used)
        .map(|(k, _)| k.clone());
    match victim {
        Some(k) => slots.remove(&k).is_some(),
        None => false,
    }
}

/// Path segments that mark pages with forms, secrets or per-visitor content.
const UNCACHED_SEGMENTS: &[&str] = &[
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
fn surface_of(path: &str) -> Option<Surface> {
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
fn normalise_query(query: Option<&str>) -> Option<String> {
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
fn canonical_query(params: &[public::QueryParam], raw: Option<&str>) -> String {
    let pairs: Vec<(&str, String)> = params
        .iter()
        .filter_map(|p| (p.canonical)(raw).map(|v| (p.name, v)))
        .collect();
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

/// The locale a page is rendered in, as its tag: what `Accept-Language` resolves to among
/// the supported locales (the page's own rule, [`crate::i18n::negotiate`]), so every
/// header value a client may send maps to one of a handful of keys.
fn resolved_locale(req: &Request<Bytes>, site: &Site) -> String {
    // The first header only, as the page's chrome reads it.
    let header = req
        .headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::i18n::negotiate(&site.app_locale, site.automatic_localization, header)
        .tag()
        .to_owned()
}

/// The answer to a client over its budget of renders: `429` with `Retry-After`, never
/// stored.
fn too_many_renders(retry_after: Duration) -> Response<Bytes> {
    let mut resp = response::plain(
        StatusCode::TOO_MANY_REQUESTS,
        "too many requests: retry later\n",
    );
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    set_header(&mut resp, "retry-after", &secs.max(1).to_string());
    resp
}

/// A q-value in thousandths; `None` when malformed.
fn parse_q(v: &str) -> Option<u16> {
    let q: f32 = v.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&q)
        .then(|| (q * 1000.0).round() as u16)
}

/// Every value of a header, joined with commas.
fn joined(headers: &HeaderMap, name: &HeaderName) -> String {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

/// A content coding an entry can be served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// The coding to serve by `Accept-Encoding` q-values: the highest q among those the entry
/// has, brotli before gzip before identity on ties; identity when nothing is acceptable.
fn choose_coding(headers: &HeaderMap, gzip: bool, brotli: bool) -> Coding {
    let accept = joined(headers, &ACCEPT_ENCODING);
    if accept.trim().is_empty() {
        return Coding::Identity;
    }
    let mut explicit: Vec<(String, u16)> = Vec::new();
    for part in accept.split(',') {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim().to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        let q = it
            .find_map(|p| p.trim().strip_prefix("q=").map(parse_q))
            .unwrap_or(Some(1000))
            .unwrap_or(0);
        explicit.push((coding, q));
    }
    let q_of = |names: &[&str], default: u16| -> u16 {
        explicit
            .iter()
            .filter(|(c, _)| names.contains(&c.as_str()))
            .map(|(_, q)| *q)
            .max()
            .or_else(|| explicit.iter().find(|(c, _)| c == "*").map(|(_, q)| *q))
            .unwrap_or(default)
    };
    let mut best = (Coding::Identity, q_of(&["identity"], 1));
    // Ties keep the earlier choice, so order by preference from the least preferred.
    for (coding, present, q) in [
        (Coding::Gzip, gzip, q_of(&["gzip", "x-gzip"], 0)),
        (Coding::Brotli, brotli, q_of(&["br"], 0)),
    ] {
        if present && q > 0 && q >= best.1 {
            best = (coding, q);
        }
    }
    best.0
}

/// Whether a content type is worth compressing.
fn compressible(headers: &HeaderMap) -> bool {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("javascript")
        || ct.contains("svg")
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::best(),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

fn brotli(body: &[u8]) -> Option<Bytes> {
    // Quality 6. Measured on the big status page (514 kB of HTML, `bench/load.sh`'s data
    // set): quality 9 gave 13,348 bytes in 19 ms and a 23 MB transient peak of resident
    // memory (its hash chains: 2^15 buckets x 2^8 slots of 4 bytes, nearly every page
    // touched), which alone broke the 64 MB budget under load; quality 6 gives 13,903 bytes
    // (+4%) in 5.5 ms with a 4 MB peak; quality 11 gives 11,306 bytes in 590 ms. Paid once
    // per revision by the render, so speed matters less than the peak.
    // The window no larger than the body needs (2^16 to 2^22 bytes): the encoder's memory
    // grows with the window, and a large one buys nothing on a small body.
    let needed = usize::BITS - body.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        lgwin: i32::try_from(needed.clamp(16, 22)).unwrap_or(22),
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// Headers never stored in an entry: per response, per visitor, or set when serving.
fn per_response(name: &HeaderName) -> bool {
    let n = name.as_str();
    n.starts_with("x-ratelimit-")
        || n.starts_with("access-control-")
        || matches!(
            n,
            "x-request-id"
                | "retry-after"
                | "vary"
                | "content-length"
                | "content-encoding"
                | "etag"
                | "date"
                | "set-cookie"
        )
}

/// Builds an entry from a render, or `None` when the answer may not be cached.
fn entry_of(
    resp: &Response<Bytes>,
    key: &Key,
    site: &Site,
    config: &SnapshotConfig,
    request_id: &str,
) -> Option<Entry> {
    if resp.status() != StatusCode::OK || resp.headers().contains_key(http::header::SET_COOKIE) {
        return None;
    }
    let cache_control = joined(resp.headers(), &CACHE_CONTROL).to_ascii_lowercase();
    if cache_control.contains("no-store") || cache_control.contains("private") {
        return None;
    }
    let body = resp.body().clone();
    // A request id inside a body would be served to every visitor.
    if !request_id.is_empty()
        && body
            .windows(request_id.len())
            .any(|w| w == request_id.as_bytes())
    {
        return None;
    }
    let mut headers = HeaderMap::new();
    for (name, value) in resp.headers() {
        if !per_response(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    if !headers.contains_key(CACHE_CONTROL) {
        let value = format!(
            "public, max-age={}, stale-while-revalidate={}",
            config.max_age.as_secs(),
            config.stale_while_revalidate.as_secs()
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(CACHE_CONTROL, v);
        }
    }
    let (gz, br) = if body.len() >= MIN_COMPRESS && compressible(&headers) {
        (
            gzip(&body).filter(|c| c.len() < body.len()),
            brotli(&body).filter(|c| c.len() < body.len()),
        )
    } else {
        (None, None)
    };
    let mut hasher = Sha256::new();
    hasher.update(&body);
    hasher.update([0]);
    hasher.update(key.variant().as_bytes());
    let digest = hasher.finalize();
    let tag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let vary = match key.surface {
        Surface::ApiV1 => "Accept-Encoding, Time-Zone",
        Surface::Page if site.automatic_localization => "Accept-Encoding, Accept-Language",
        Surface::ApiV2 | Surface::Page => "Accept-Encoding",
    };
    let cors = key.surface == Surface::ApiV1
        || resp
            .headers()
            .get_all(VARY)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"origin"));
    Some(Entry {
        headers,
        identity: body,
        gzip: gz,
        brotli: br,
        tag,
        vary,
        cors,
    })
}

/// Whether `If-None-Match` names one of the entry's tags (weak comparison, RFC 9110 13.1.2).
fn not_modified(headers: &HeaderMap, entry: &Entry) -> bool {
    let inm = joined(headers, &IF_NONE_MATCH);
    inm.split(',').any(|t| {
        let t = t.trim();
        if t == "*" {
            return true;
        }
        let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
        t.strip_prefix(entry.tag.as_str())
            .is_some_and(|rest| matches!(rest, "" | "-gz" | "-br"))
    })
}

/// A response from an entry for one request (CORS for the APIs first, so `Vary: Origin`
/// leads).
fn serve(entry: &Entry, req: &Request<Bytes>, site: &Site) -> Response<Bytes> {
    let coding = choose_coding(req.headers(), entry.gzip.is_some(), entry.brotli.is_some());
    let (body, suffix, encoding) = match (coding, &entry.gzip, &entry.brotli) {
        (Coding::Gzip, Some(b), _) => (b.clone(), "-gz", Some("gzip")),
        (Coding::Brotli, _, Some(b)) => (b.clone(), "-br", Some("br")),
        _ => (entry.identity.clone(), "", None),
    };
    let fresh = not_modified(req.headers(), entry);
    let mut resp = Response::new(if fresh { Bytes::new() } else { body.clone() });
    if fresh {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
    }
    if entry.cors {
        cors::apply(&mut resp, req, &site.allowed_domains);
    }
    let headers = resp.headers_mut();
    headers.append(VARY, HeaderValue::from_static(entry.vary));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}{suffix}\"", entry.tag)) {
        headers.insert(ETAG, v);
    }
    if fresh {
        // 304: the validators and caching headers only (RFC 9110 15.4.5).
        if let Some(cc) = entry.headers.get(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, cc.clone());
        }
        return resp;
    }
    for (name, value) in &entry.headers {
        headers.append(name.clone(), value.clone());
    }
    if let Some(enc) = encoding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    resp
}

fn set_header(resp: &mut Response<Bytes>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

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
                && let Decision::Deny { retry_after, .. } = self.limiters().uncached_render(ip)
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
        let Some(site) = snapshots.site(self).await else {
            return Lookup::Bypass;
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
        let Some(Found {
            cell,
            renderer,
            stale,
            extra_variant,
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
        // A miss: one render per key and revision; whoever renders pays the rate limit.
        let mut own: Option<Response<Bytes>> = None;
        let mut rendered_here = false;
        let mut decision = None;
        let (own_r, here_r, decision_r) = (&mut own, &mut rendered_here, &mut decision);
        let (key_r, site_r) = (&key, &site);
        let entry = cell
            .get_or_init(|| async move {
                *here_r = true;
                if let Some(ip) = client {
                    if surface == Surface::ApiV1 {
                        let d = self.limiters().api_address(ip);
                        *decision_r = Some(d);
                        if let Decision::Deny { limit, retry_after } = d {
                            let mut r = api_v1::too_many(limit, retry_after, request_id);
                            cors::apply(&mut r, req, &site_r.allowed_domains);
                            *own_r = Some(r);
                            return None;
                        }
                    } else if extra_variant
                        && let Decision::Deny { retry_after, .. } =
                            self.limiters().uncached_render(ip)
                    {
                        snapshots.renders_refused.fetch_add(1, Ordering::Relaxed);
                        *own_r = Some(too_many_renders(retry_after));
                        return None;
                    }
                }
                snapshots.renders.fetch_add(1, Ordering::Relaxed);
                let (resp, entry) = self.render_entry(key_r, site_r, request_id).await;
                match entry {
                    Some(e) => Some(Arc::new(e)),
                    None => {
                        *own_r = Some(self.finish_uncached(resp, req, surface, site_r));
                        None
                    }
                }
            })
            .await
            .clone();
        // Rendered (here or by the request waited on): no longer rendering, and the previous
        // answer, if any, is not needed any more.
        drop(renderer);
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

    /// Renders a key and builds its entry (hashing and compressing the body) on the cache's
    /// render threads ([`crate::cpu::Offloader`]), so that neither the render of the big
    /// status page (about 200 ms on the benchmark's data set) nor its gzip and brotli copies
    /// stall an async worker and every request it serves, cache hits included. The render is
    /// async (it reads the store): the render thread drives it with the runtime's
    /// `Handle::block_on`, and the store's I/O stays on the runtime's drivers. Outside a
    /// tokio runtime it runs here.
    async fn render_entry(
        &self,
        key: &Key,
        site: &Arc<Site>,
        request_id: &str,
    ) -> (Response<Bytes>, Option<Entry>) {
        let snapshots = self.snapshots();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            let resp = self.render_for_snapshot(key, request_id).await;
            let entry = entry_of(&resp, key, site, &snapshots.config, request_id);
            return (resp, entry);
        };
        let (cachet, key, site, id) = (
            self.clone(),
            key.clone(),
            Arc::clone(site),
            request_id.to_owned(),
        );
        let rendered = snapshots
            .render_threads
            .run(move || {
                let resp = handle.block_on(cachet.render_for_snapshot(&key, &id));
                let entry = entry_of(&resp, &key, &site, &cachet.snapshots().config, &id);
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
    fn is_guest(&self, req: &Request<Bytes>, cx: &RequestContext) -> bool {
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
    async fn render_for_snapshot(&self, key: &Key, request_id: &str) -> Response<Bytes> {
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
    fn finish_uncached(
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn entry(body: &'static str) -> Arc<Entry> {
        Arc::new(Entry {
            headers: HeaderMap::new(),
            identity: Bytes::from_static(body.as_bytes()),
            gzip: None,
            brotli: None,
            tag: body.to_owned(),
            vary: "Accept-Encoding",
            cors: false,
        })
    }

    fn body(e: &Option<Arc<Entry>>) -> Option<&[u8]> {
        e.as_ref().map(|e| e.identity.as_ref())
    }

    /// Server-side stale-while-revalidate, step by step: an entry that only aged is re-rendered
    /// by the one lookup that finds it aged, while every other lookup gets the previous answer
    /// until the new one is in, and only while that render is alive; a new revision never
    /// serves the old answer.
    #[test]
    fn an_aged_entry_is_served_stale_only_while_its_rerender_runs() {
        let snapshots = Snapshots::new(SnapshotConfig::default());
        let key = Key {
            surface: Surface::Page,
            path: "/".to_owned(),
            query: String::new(),
            language: String::new(),
            zone: String::new(),
        };
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .unwrap()
            .to_utc();
        let first = snapshots.cell(&key, 1, t0).unwrap();
        assert!(first.renderer.is_some() && first.stale.is_none());
        first.cell.set(Some(entry("v1"))).unwrap();
        drop(first.renderer);
        // Fresh: the same cell, nothing stale.
        let again = snapshots.cell(&key, 1, t0).unwrap();
        assert!(again.renderer.is_none() && again.stale.is_none());
        assert!(Arc::ptr_eq(&again.cell, &first.cell));
        // Aged, same revision: this lookup renders anew (and is not offered the old answer) ...
        let t1 = t0 + chrono::TimeDelta::seconds(11);
        let renderer = snapshots.cell(&key, 1, t1).unwrap();
        assert!(renderer.renderer.is_some() && renderer.stale.is_none());
        assert!(!renderer.cell.initialized());
        // ... and every lookup while it renders is offered the old answer.
        for _ in 0..3 {
            let reader = snapshots.cell(&key, 1, t1).unwrap();
            assert!(reader.renderer.is_none());
            assert!(Arc::ptr_eq(&reader.cell, &renderer.cell));
            assert_eq!(body(&reader.stale), Some(&b"v1"[..]));
        }
        // Once the new answer is in, the old one is gone.
        renderer.cell.set(Some(entry("v2"))).unwrap();
        drop(renderer.renderer);
        snapshots.settled(&key, &renderer.cell);
        let after = snapshots.cell(&key, 1, t1).unwrap();
        assert!(after.renderer.is_none() && after.stale.is_none());
        assert_eq!(body(&after.cell.get().cloned().flatten()), Some(&b"v2"[..]));
        // A re-render whose request went away: the next readers are not served the old
        // answer (they take the render over through the cell) ...
        let t2 = t1 + chrono::TimeDelta::seconds(11);
        let abandoned = snapshots.cell(&key, 1, t2).unwrap();
        assert!(abandoned.renderer.is_some());
        let reader = snapshots.cell(&key, 1, t2).unwrap();
        assert_eq!(body(&reader.stale), Some(&b"v2"[..]), "while it renders");
        drop(abandoned);
        let reader = snapshots.cell(&key, 1, t2).unwrap();
        assert!(
            reader.renderer.is_none() && reader.stale.is_none(),
            "after it went away"
        );
        assert!(!reader.cell.initialized());
        // A new revision: no stale answer, whatever the age.
        let t3 = t2 + chrono::TimeDelta::seconds(11);
        let written = snapshots.cell(&key, 2, t3).unwrap();
        assert!(written.renderer.is_some() && written.stale.is_none());
        let waiting = snapshots.cell(&key, 2, t3).unwrap();
        assert!(waiting.renderer.is_none() && waiting.stale.is_none());
    }

    #[test]
    fn codings_follow_q_values() {
        let c = |ae: &str| choose_coding(&headers(&[("accept-encoding", ae)]), true, true);
        assert_eq!(c("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(c("gzip"), Coding::Gzip);
        assert_eq!(c("br;q=0.5, gzip;q=0.8"), Coding::Gzip);
        assert_eq!(c("br;q=0, gzip;q=0"), Coding::Identity);
        assert_eq!(c("identity"), Coding::Identity);
        assert_eq!(c("*"), Coding::Brotli);
        assert_eq!(c("*;q=0.5, identity;q=1"), Coding::Identity);
        assert_eq!(c("x-gzip"), Coding::Gzip);
        assert_eq!(c("GZIP;Q=1.0"), Coding::Gzip);
        assert_eq!(c("br;q=nonsense, gzip"), Coding::Gzip);
        assert_eq!(
            choose_coding(&headers(&[("accept-encoding", "br")]), true, false),
            Coding::Identity
        );
        assert_eq!(
            choose_coding(&HeaderMap::new(), true, true),
            Coding::Identity
        );
    }

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
