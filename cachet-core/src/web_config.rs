//! The web layer's configuration: request limits, rate limits and the snapshot cache's bounds.
//!
//! Plain data, part of [`crate::Config`] (as `config.web`), so the facade's configuration
//! names it without depending on the web layer; the web layer reads it when it first serves
//! a request. The types are re-exported where the web layer uses them
//! ([`crate::web::WebConfig`], [`crate::web::RateLimits`],
//! [`crate::web::SnapshotConfig`]).

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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
    /// Count the API, subscribe, uncached-render and password-reset rate limits in the store
    /// as well, so every instance on one database shares one budget per client (default off:
    /// each instance counts alone, in memory, and a restart forgets). The local limiter still
    /// runs first and decides whenever the store is slow or down.
    pub shared_rate_limits: bool,
    /// How long a shared rate-limit check may take before the local limiter decides instead
    /// (default 100 ms).
    pub shared_rate_limit_deadline: Duration,
    /// The snapshot cache of guests' public reads (bounds, `Cache-Control`, revision polling).
    pub snapshot: SnapshotConfig,
    /// Where the admin dashboard is mounted (default `/dashboard`; one or more path
    /// segments, no trailing slash). Sign-in, setup and invitation pages stay at their paths.
    pub dashboard_prefix: String,
    /// The Prometheus endpoint for operators (default `None`: off, its path answers 404).
    pub prometheus: Option<PrometheusConfig>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024 + 64 * 1024,
            max_json_depth: 32,
            trusted_proxies: Vec::new(),
            rate_limits: RateLimits::default(),
            shared_rate_limits: false,
            shared_rate_limit_deadline: Duration::from_millis(100),
            snapshot: SnapshotConfig::default(),
            dashboard_prefix: "/dashboard".to_owned(),
            prometheus: None,
        }
    }
}

/// A number of requests per period.
///
/// Build it with [`Limit::new`]; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
///
/// Start from [`RateLimits::default()`](Default::default) and assign the fields to change; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
///
/// Start from [`SnapshotConfig::default()`](Default::default) and assign the fields to change; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// How long a read waits for the store's revision before it takes the store as down and
    /// serves what the cache holds (default 300 ms). The check is one tiny query, so a store
    /// that needs longer is failing, and a read must not wait with it.
    pub revision_deadline: Duration,
    /// How long a read waits in all (revision check, render and its compression, or a render
    /// made by another request) before it serves the cached answer as it stands, or `503`
    /// when nothing is cached (default 1 s).
    pub render_deadline: Duration,
    /// How long the store is taken as down after it failed to answer in time: reads serve
    /// the cache without asking it, and writes answer `503` at once, each with
    /// `Retry-After` of this many seconds (default 5 s). Then one read probes it again.
    pub outage_backoff: Duration,
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
            revision_deadline: Duration::from_millis(300),
            render_deadline: Duration::from_secs(1),
            outage_backoff: Duration::from_secs(5),
        }
    }
}

/// The Prometheus endpoint (part of [`WebConfig`]): where it answers and the bearer token a
/// scraper must send (`Authorization: Bearer <token>`). Only the token's SHA-256 is kept, so
/// neither `Debug` nor a memory dump of the configuration shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrometheusConfig {
    path: String,
    token_hash: [u8; 32],
}

/// Why a Prometheus endpoint configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrometheusConfigError {
    /// The token is shorter than [`PrometheusConfig::MIN_TOKEN_LEN`] bytes.
    #[error("the metrics token must be at least {min} characters long", min = PrometheusConfig::MIN_TOKEN_LEN)]
    TokenTooShort,
    /// The token holds a character an `Authorization` header cannot carry.
    #[error("the metrics token may only hold visible ASCII characters")]
    TokenCharacters,
    /// The path is not `/` followed by letters, digits, `-`, `_`, `.` and `/`.
    #[error("the metrics path must start with / and hold only letters, digits, -, _, . and /")]
    Path,
}

impl PrometheusConfig {
    /// The path the endpoint answers at unless told otherwise. Not under `/metrics/`, which
    /// is Cachet's chart data (`/metrics/{id}`), public and cached.
    pub const DEFAULT_PATH: &'static str = "/prometheus";

    /// The shortest token accepted: 32 characters, so a guesser cannot find it online.
    pub const MIN_TOKEN_LEN: usize = 32;

    /// The endpoint at [`Self::DEFAULT_PATH`], for scrapers sending `token`.
    ///
    /// # Errors
    ///
    /// [`PrometheusConfigError`] when the token is too short or holds whitespace or control
    /// characters.
    pub fn new(token: &str) -> Result<Self, PrometheusConfigError> {
        if token.len() < Self::MIN_TOKEN_LEN {
            return Err(PrometheusConfigError::TokenTooShort);
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PrometheusConfigError::TokenCharacters);
        }
        Ok(Self {
            path: Self::DEFAULT_PATH.to_owned(),
            token_hash: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// At another path (relative to the mount point, like every route).
    ///
    /// # Errors
    ///
    /// [`PrometheusConfigError::Path`] for a path that is not `/` plus safe characters.
    pub fn at(mut self, path: &str) -> Result<Self, PrometheusConfigError> {
        let ok = path.len() > 1
            && path.len() <= 128
            && path.starts_with('/')
            && !path.ends_with('/')
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
        if !ok {
            return Err(PrometheusConfigError::Path);
        }
        path.clone_into(&mut self.path);
        Ok(self)
    }

    /// The path the endpoint answers at.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether a presented token is the configured one. Both are hashed first and the hashes
    /// compared in constant time, so neither the length nor a prefix of the token leaks
    /// through timing.
    #[must_use]
    pub fn accepts(&self, presented: &str) -> bool {
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        hash.ct_eq(&self.token_hash).into()
    }
}

impl std::fmt::Debug for PrometheusConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusConfig")
            .field("path", &self.path)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_token_is_checked_and_never_shown() {
        let c = PrometheusConfig::new(TOKEN).expect("valid");
        assert!(c.accepts(TOKEN));
        assert!(!c.accepts("0123456789abcdef0123456789abcdeF"));
        assert!(!c.accepts(""));
        assert!(!format!("{c:?}").contains(TOKEN));
        assert_eq!(c.path(), "/prometheus");
    }

    #[test]
    fn weak_tokens_and_odd_paths_are_refused() {
        assert_eq!(
            PrometheusConfig::new("short"),
            Err(PrometheusConfigError::TokenTooShort)
        );
        assert_eq!(
            PrometheusConfig::new("0123456789abcdef 0123456789abcdef"),
            Err(PrometheusConfigError::TokenCharacters)
        );
        let c = PrometheusConfig::new(TOKEN).expect("valid");
        assert!(c.clone().at("/ops/metrics").is_ok());
        for bad in ["", "/", "ops", "/a?b", "/a/", "/a b"] {
            assert_eq!(c.clone().at(bad), Err(PrometheusConfigError::Path), "{bad}");
        }
    }
}
