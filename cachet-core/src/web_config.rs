//! The web layer's configuration: request limits, rate limits and the snapshot cache's bounds.
//!
//! Plain data, part of [`crate::Config`] (as `config.web`), so the facade's configuration
//! names it without depending on the web layer; the web layer reads it when it first serves
//! a request. The types are re-exported where the web layer uses them
//! ([`crate::web::WebConfig`], [`crate::web::RateLimits`],
//! [`crate::web::SnapshotConfig`]).

use std::net::IpAddr;
use std::time::Duration;

/// Web-layer limits and switches: start from [`WebConfig::default`] (as [`crate::Config::new`]
/// does) and change the fields you need; new fields arrive with defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebConfig {
    /// The largest request body accepted (default 1 MiB + 64 KiB, enough for a 1 MiB Markdown
    /// message in JSON).
    pub max_body_bytes: usize,
    /// The deepest JSON nesting accepted in a request body (default 32).
    pub max_json_depth: usize,
    /// Proxies whose `X-Forwarded-For` is believed (default none: the TCP peer is the client).
    pub trusted_proxies: Vec<IpAddr>,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// The snapshot cache of guests' public reads (bounds, `Cache-Control`, revision polling).
    pub snapshot: SnapshotConfig,
    /// Where the admin dashboard is mounted (default `/dashboard`; one or more path
    /// segments, no trailing slash). Sign-in, setup and invitation pages stay at their paths.
    pub dashboard_prefix: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024 + 64 * 1024,
            max_json_depth: 32,
            trusted_proxies: Vec::new(),
            rate_limits: RateLimits::default(),
            snapshot: SnapshotConfig::default(),
            dashboard_prefix: "/dashboard".to_owned(),
        }
    }
}

/// A number of requests per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// How many requests.
    pub count: u32,
    /// Per how long.
    pub per: Duration,
}

impl Limit {
    /// `count` per `per`.
    #[must_use]
    pub const fn new(count: u32, per: Duration) -> Self {
        Self { count, per }
    }
}

/// The configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// API v1 requests per token.
    pub api_per_token: Limit,
    /// API v1 requests per address without a token.
    pub api_per_address: Limit,
    /// Sign-in attempts per address and per account.
    pub sign_in: Limit,
    /// Subscriptions per address.
    pub subscribe: Limit,
    /// Renders of guests' public pages and Statuspage JSON that miss the snapshot cache, per
    /// address (IPv6 by /64). A hit costs a few microseconds and is never counted; a miss
    /// costs a whole render, so this is what bounds a client that varies what it asks for.
    pub uncached_render: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            api_per_token: Limit::new(1000, Duration::from_secs(60)),
            api_per_address: Limit::new(300, Duration::from_secs(60)),
            sign_in: Limit::new(10, Duration::from_secs(600)),
            subscribe: Limit::new(6, Duration::from_secs(60)),
            // Two misses a second sustained, and a whole minute's worth at once: a visitor
            // opening pages nobody else opened since the last write never comes near it.
            uncached_render: Limit::new(120, Duration::from_secs(60)),
        }
    }
}

/// Snapshot cache settings (part of [`WebConfig`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotConfig {
    /// Serve guests' public reads from the cache (default on).
    pub enabled: bool,
    /// The most entries kept overall (default 512).
    pub max_entries: usize,
    /// The most variants (query strings, locales, zones) kept per path (default 16).
    pub max_variants_per_path: usize,
    /// `Cache-Control: max-age` of cached answers (default 10 s, so browsers see a write
    /// quickly).
    pub max_age: Duration,
    /// `Cache-Control: stale-while-revalidate` of cached answers (default 30 s).
    pub stale_while_revalidate: Duration,
    /// How often the store's revision is re-read at most when this process wrote nothing:
    /// the bound on how late a write by another instance is seen here (default 1 s).
    pub revision_poll: Duration,
    /// How long, by the facade's clock, a render is served before it is made again although
    /// nothing was written: what a page shows also moves with time (maintenance windows
    /// start and end, chart windows slide, "upcoming" becomes "active"). Default 10 s.
    pub max_render_age: Duration,
    /// How many renders for the cache run at once at most, each on a render thread of the
    /// cache's own, off the async workers; further misses wait for a thread. Default 1 (a
    /// thread per concurrent render, each keeping a render's peak memory; see the default).
    pub max_concurrent_renders: usize,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_entries: 512,
            max_variants_per_path: 16,
            max_age: Duration::from_secs(10),
            stale_while_revalidate: Duration::from_secs(30),
            revision_poll: Duration::from_secs(1),
            max_render_age: Duration::from_secs(10),
            // One: each render thread's allocator arena keeps a render's transient peak
            // (several megabytes for the big status page), so every thread added costs that
            // much resident memory for good. Measured with `bench/cache_busting.sh` (2
            // cores, three locales re-rendered every 10 s): two threads peaked at 65.7 MB.
            // Renders are rare (once per revision and key, and per `max_render_age`), and
            // readers of an aged entry are served the previous answer meanwhile.
            max_concurrent_renders: 1,
        }
    }
}
