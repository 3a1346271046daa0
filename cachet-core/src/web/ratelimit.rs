//! Rate limits on governor's GCRA (keyed, in memory).
//!
//! Defaults (all configurable): API v1 1,000 requests a minute per token, 300 a minute per
//! address without a token; sign-in 10 per 10 minutes per address and per account; subscribe
//! 6 a minute per address; renders of public pages and the Statuspage JSON that miss the
//! snapshot cache 120 a minute per address (IPv6 by /64). Cached public reads are exempt.
//! Limited answers carry
//! `Retry-After`; every limited route carries `X-RateLimit-Limit` and `X-RateLimit-Remaining`.
//! Idle keys are forgotten periodically, so memory follows the number of active clients.
//!
//! # Shared limits
//!
//! With [`crate::web::WebConfig::shared_rate_limits`] on, the API, subscribe,
//! uncached-render and password-reset limits are also counted in the store
//! ([`crate::store::RateLimitStore`], a sliding window counter that every instance on the
//! database shares and that outlives a restart). The local limiter always runs first: a client
//! over the limit on this instance alone is refused without a store round trip, so a flood
//! costs the database nothing. Otherwise the store decides, within
//! [`crate::web::WebConfig::shared_rate_limit_deadline`]. When the store fails or is late,
//! the local decision stands (never a 500, never a hang, never everything let through), and
//! the store is left alone for [`SHARED_BACK_OFF`] so an outage does not add the deadline to
//! every request. Cached public reads never get here, so they never touch the store.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::Cachet;
use crate::store::{RateLimitKey, RateLimitWindow, WindowDecision};
pub use crate::web_config::{Limit, RateLimits};

/// How long the store is left alone after a shared check failed or ran past its deadline:
/// the local limiters decide meanwhile.
pub const SHARED_BACK_OFF: Duration = Duration::from_secs(2);

/// The GCRA quota of a limit: `count` at once, refilled evenly over `per`.
fn quota(limit: Limit) -> Quota {
    let count = NonZeroU32::new(limit.count.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = (limit.per / count.get()).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count)
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// The answer of a limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow {
        /// The limit.
        limit: u32,
        /// Requests left in the current burst.
        remaining: u32,
    },
    /// Too many: wait.
    Deny {
        /// The limit.
        limit: u32,
        /// How long to wait.
        retry_after: Duration,
    },
}

/// The limiters' state.
pub struct Limiters {
    limits: RateLimits,
    api_token: Keyed<i64>,
    api_address: Keyed<String>,
    sign_in: Keyed<String>,
    subscribe: Keyed<String>,
    uncached_render: Keyed<String>,
    clock: DefaultClock,
    checks: AtomicU64,
    /// Refusals per limiter, in the order of [`Limiters::LIMITS`] (for the operators'
    /// metrics).
    denied: [AtomicU64; 5],
    /// The shared counting in the store, when on.
    shared: Option<Shared>,
}

/// The state of the shared checks.
#[derive(Debug)]
struct Shared {
    deadline: Duration,
    /// When the limiters were made: the origin of `skip_until_ms`.
    epoch: Instant,
    /// Until when (milliseconds after `epoch`) the store is left alone.
    skip_until_ms: AtomicU64,
    /// The store answered `Unsupported`: it is never asked again.
    unsupported: AtomicBool,
    answered: AtomicU64,
    fell_back: AtomicU64,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn skipping(&self) -> bool {
        self.unsupported.load(Ordering::Relaxed)
            || self.now_ms() < self.skip_until_ms.load(Ordering::Relaxed)
    }

    /// Leaves the store alone for [`SHARED_BACK_OFF`]; whether this call started the pause
    /// (so one warning is logged per pause, not one per request).
    fn back_off(&self) -> bool {
        let now = self.now_ms();
        let until = now.saturating_add(u64::try_from(SHARED_BACK_OFF.as_millis()).unwrap_or(0));
        let before = self.skip_until_ms.fetch_max(until, Ordering::Relaxed);
        before <= now
    }
}

impl std::fmt::Debug for Limiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The key of a client address, as the sign-in throttle keys it
/// ([`crate::auth::throttle::address_key`]): an IPv4 address (also when IPv4-mapped), or an
/// IPv6 client's whole /64, which it owns and could otherwise walk for fresh budgets.
fn client_key(ip: IpAddr) -> String {
    crate::auth::throttle::address_key(ip)
}

fn keyed<K: Hash + Eq + Clone>(limit: Limit) -> Keyed<K> {
    RateLimiter::keyed(quota(limit)).with_middleware::<StateInformationMiddleware>()
}

impl Limiters {
    /// Fresh limiters.
    #[must_use]
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            api_token: keyed(limits.api_per_token),
            api_address: keyed(limits.api_per_address),
            sign_in: keyed(limits.sign_in),
            subscribe: keyed(limits.subscribe),
            uncached_render: keyed(limits.uncached_render),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
            denied: Default::default(),
            shared: None,
        }
    }

    /// The same limiters, also counting in the store with this deadline per check when
    /// `deadline` is given ([`crate::web::WebConfig::shared_rate_limits`]).
    #[must_use]
    pub fn shared(mut self, deadline: Option<Duration>) -> Self {
        self.shared = deadline.map(|deadline| Shared {
            deadline,
            epoch: Instant::now(),
            skip_until_ms: AtomicU64::new(0),
            unsupported: AtomicBool::new(false),
            answered: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
        });
        self
    }

    /// Whether the limits are also counted in the store.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Shared checks the store answered in time, since start.
    #[must_use]
    pub fn shared_answers(&self) -> u64 {
        self.shared
            .as_ref()
            .map_or(0, |s| s.answered.load(Ordering::Relaxed))
    }

    /// Shared checks the local limiter decided because the store failed, was late, was being
    /// left alone after that, or does not count shared limits, since start.
    #[must_use]
    pub fn shared_fallbacks(&self) -> u64 {
        self.shared
            .as_ref()
            .map_or(0, |s| s.fell_back.load(Ordering::Relaxed))
    }

    fn limit_of(&self, which: usize) -> Limit {
        match which {
            0 => self.limits.api_per_token,
            1 => self.limits.api_per_address,
            2 => self.limits.sign_in,
            3 => self.limits.subscribe,
            _ => self.limits.uncached_render,
        }
    }

    /// The limiters' names, as the `limit` label of `cachet_rate_limited_total`.
    pub const LIMITS: [&'static str; 5] = [
        "api_token",
        "api_address",
        "sign_in",
        "subscribe",
        "uncached_render",
    ];

    /// Refusals since start per limiter, named as in [`Limiters::LIMITS`].
    #[must_use]
    pub fn denials(&self) -> [(&'static str, u64); 5] {
        std::array::from_fn(|i| (Self::LIMITS[i], self.denied[i].load(Ordering::Relaxed)))
    }

    fn check<K: Hash + Eq + Clone>(
        &self,
        which: usize,
        limiter: &Keyed<K>,
        limit: Limit,
        key: &K,
    ) -> Decision {
        // Forget idle keys now and then, so the maps follow the active clients.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.api_token.retain_recent();
            self.api_address.retain_recent();
            self.sign_in.retain_recent();
            self.subscribe.retain_recent();
            self.uncached_render.retain_recent();
        }
        match limiter.check_key(key) {
            Ok(snapshot) => Decision::Allow {
                limit: limit.count,
                remaining: snapshot.remaining_burst_capacity(),
            },
            Err(not_until) => {
                if let Some(n) = self.denied.get(which) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
                Decision::Deny {
                    limit: limit.count,
                    retry_after: not_until.wait_time_from(self.clock.now()),
                }
            }
        }
    }

    /// An API request with a token.
    pub fn api_token(&self, token_id: i64) -> Decision {
        self.check(0, &self.api_token, self.limits.api_per_token, &token_id)
    }

    /// An API request without a token, keyed by client address like the sign-in throttle
    /// (IPv6 by /64).
    pub fn api_address(&self, ip: IpAddr) -> Decision {
        self.check(
            1,
            &self.api_address,
            self.limits.api_per_address,
            &client_key(ip),
        )
    }

    /// A sign-in attempt, keyed by address or account (`ip:…` / `account:…`).
    pub fn sign_in(&self, key: &str) -> Decision {
        self.check(2, &self.sign_in, self.limits.sign_in, &key.to_owned())
    }

    /// A subscription from an address, keyed like the sign-in throttle (IPv6 by /64).
    pub fn subscribe(&self, ip: IpAddr) -> Decision {
        self.check(3, &self.subscribe, self.limits.subscribe, &client_key(ip))
    }

    /// A render that missed the snapshot cache, for a client address. Keyed like the sign-in
    /// throttle ([`crate::auth::throttle::address_key`]): an IPv6 client owns a whole /64, so
    /// it cannot get a fresh budget by changing the low bits of its address.
    pub fn uncached_render(&self, ip: IpAddr) -> Decision {
        let key = crate::auth::throttle::address_key(ip);
        self.check(4, &self.uncached_render, self.limits.uncached_render, &key)
    }

    /// How many keys are tracked (for memory tests).
    #[must_use]
    pub fn tracked_keys(&self) -> usize {
        self.api_token.len()
            + self.api_address.len()
            + self.sign_in.len()
            + self.subscribe.len()
            + self.uncached_render.len()
    }
}

impl Cachet {
    /// An API request with a token: [`Limiters::api_token`], and shared when configured.
    pub(crate) async fn limit_api_token(&self, token_id: i64) -> Decision {
        let local = self.limiters().api_token(token_id);
        self.shared_limit(0, local, || format!("api_token:{token_id}"))
            .await
    }

    /// An API request without a token: [`Limiters::api_address`], and shared when
    /// configured.
    pub(crate) async fn limit_api_address(&self, ip: IpAddr) -> Decision {
        let local = self.limiters().api_address(ip);
        self.shared_limit(1, local, || format!("api_address:{}", client_key(ip)))
            .await
    }

    /// A password-reset request by address or account key: [`Limiters::sign_in`], and
    /// shared when configured. (Sign-in itself is throttled through the store already, by
    /// [`crate::auth::throttle`].)
    pub(crate) async fn limit_sign_in(&self, key: &str) -> Decision {
        let local = self.limiters().sign_in(key);
        self.shared_limit(2, local, || format!("sign_in:{key}"))
            .await
    }

    /// A subscription: [`Limiters::subscribe`], and shared when configured.
    pub(crate) async fn limit_subscribe(&self, ip: IpAddr) -> Decision {
        let local = self.limiters().subscribe(ip);
        self.shared_limit(3, local, || format!("subscribe:{}", client_key(ip)))
            .await
    }

    /// A render that missed the snapshot cache: [`Limiters::uncached_render`], and shared
    /// when configured.
    pub(crate) async fn limit_uncached_render(&self, ip: IpAddr) -> Decision {
        let local = self.limiters().uncached_render(ip);
        self.shared_limit(4, local, || format!("uncached_render:{}", client_key(ip)))
            .await
    }

    /// The shared decision on a request the local limiter already decided (see the module
    /// docs): a local refusal stands; otherwise the store's sliding window decides, and the
    /// local answer stands when the store cannot.
    async fn shared_limit(
        &self,
        which: usize,
        local: Decision,
        key: impl FnOnce() -> String,
    ) -> Decision {
        let limiters = self.limiters();
        let Some(shared) = &limiters.shared else {
            return local;
        };
        let Decision::Allow {
            remaining: local_remaining,
            ..
        } = local
        else {
            return local;
        };
        let Some(key) = RateLimitKey::new(key()).filter(|_| !shared.skipping()) else {
            shared.fell_back.fetch_add(1, Ordering::Relaxed);
            return local;
        };
        let limit = limiters.limit_of(which);
        let now = self.now();
        let window = RateLimitWindow::containing(now, limit.per);
        let hit = self.store().hit_rate_limit(&key, window, limit.count);
        let counts = match tokio::time::timeout(shared.deadline, hit).await {
            Ok(Ok(counts)) => counts,
            Ok(Err(e)) if e.is_unsupported() => {
                if !shared.unsupported.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        target: "cachet::web",
                        "the store does not count shared rate limits; each instance limits alone"
                    );
                }
                shared.fell_back.fetch_add(1, Ordering::Relaxed);
                return local;
            }
            Ok(Err(e)) => {
                if shared.back_off() {
                    tracing::warn!(
                        target: "cachet::web",
                        error = %crate::log::Escaped(&e),
                        "a shared rate-limit check failed; the local limits decide for a while"
                    );
                }
                shared.fell_back.fetch_add(1, Ordering::Relaxed);
                return local;
            }
            Err(_) => {
                if shared.back_off() {
                    tracing::warn!(
                        target: "cachet::web",
                        "a shared rate-limit check ran past its deadline; the local limits decide for a while"
                    );
                }
                shared.fell_back.fetch_add(1, Ordering::Relaxed);
                return local;
            }
        };
        shared.answered.fetch_add(1, Ordering::Relaxed);
        match counts.decide(window, now, limit.count) {
            WindowDecision::Allow { remaining } => Decision::Allow {
                limit: limit.count,
                remaining: remaining.min(local_remaining),
            },
            WindowDecision::Deny { retry_after } => {
                if let Some(n) = limiters.denied.get(which) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
                Decision::Deny {
                    limit: limit.count,
                    retry_after,
                }
            }
        }
    }
}

/// Adds `Retry-After` (whole seconds, at least 1) and `X-RateLimit-Limit` to a refusal.
pub(crate) fn refusal_headers(
    r: &mut http::Response<bytes::Bytes>,
    limit: u32,
    retry_after: Duration,
) {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    for (name, value) in [
        ("retry-after", secs.max(1).to_string()),
        ("x-ratelimit-limit", limit.to_string()),
    ] {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_the_limit_then_refuses_with_a_wait() {
        let l = Limiters::new(RateLimits {
            subscribe: Limit::new(6, Duration::from_secs(60)),
            ..RateLimits::default()
        });
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for left in (0..6).rev() {
            assert_eq!(
                l.subscribe(ip),
                Decision::Allow {
                    limit: 6,
                    remaining: left
                }
            );
        }
        match l.subscribe(ip) {
            Decision::Deny {
                limit: 6,
                retry_after,
            } => assert!(retry_after <= Duration::from_secs(10)),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(
                l.subscribe("192.0.2.8".parse().unwrap()),
                Decision::Allow { .. }
            ),
            "per address"
        );
    }

    #[test]
    fn api_and_subscribe_limits_key_ipv6_clients_by_64() {
        let l = Limiters::new(RateLimits {
            api_per_address: Limit::new(1, Duration::from_secs(60)),
            subscribe: Limit::new(1, Duration::from_secs(60)),
            ..RateLimits::default()
        });
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:dead:beef:0:7".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        for check in [Limiters::api_address, Limiters::subscribe] {
            assert!(matches!(check(&l, a), Decision::Allow { .. }));
            assert!(
                matches!(check(&l, same_64), Decision::Deny { .. }),
                "one /64, one budget"
            );
            assert!(matches!(check(&l, other_64), Decision::Allow { .. }));
        }
        // An IPv4-mapped address shares its IPv4 address's budget.
        let v4: IpAddr = "192.0.2.9".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.9".parse().unwrap();
        assert!(matches!(l.subscribe(v4), Decision::Allow { .. }));
        assert!(matches!(l.subscribe(mapped), Decision::Deny { .. }));
    }

    #[test]
    fn uncached_renders_are_limited_per_ipv6_64() {
        let l = Limiters::new(RateLimits {
            uncached_render: Limit::new(2, Duration::from_secs(60)),
            ..RateLimits::default()
        });
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(matches!(l.uncached_render(a), Decision::Allow { .. }));
        assert!(matches!(l.uncached_render(same_64), Decision::Allow { .. }));
        assert!(
            matches!(l.uncached_render(a), Decision::Deny { .. }),
            "one /64, one budget"
        );
        assert!(matches!(
            l.uncached_render(other_64),
            Decision::Allow { .. }
        ));
    }
}
