//! Shared rate limits: the types of [`RateLimitStore`](super::RateLimitStore) and the one
//! decision rule every instance applies to what the store counted.
//!
//! # The algorithm: a sliding window counter over two fixed windows
//!
//! Time is cut into fixed windows of the limit's period, aligned on the Unix epoch so every
//! instance cuts them alike. The store keeps, per key, the hits of the current window and of
//! the one before, and counts a hit with one atomic statement. A request is allowed while
//!
//! ```text
//! previous × (1 − elapsed / period) + current ≤ limit
//! ```
//!
//! where `elapsed` is how far into the current window it is: the previous window's hits are
//! assumed spread evenly over it, so the sum estimates the hits of the last whole period
//! ending now.
//!
//! Why this one: a plain fixed window lets a client spend its whole limit at the end of one
//! window and again at the start of the next (twice the limit within a moment); a sliding
//! log is exact but stores every hit; GCRA (what the local limiter runs) needs a
//! read-modify-write of a timestamp that does not fit one portable upsert. The sliding window
//! counter is accurate at the edges to within the evenness assumption (Cloudflare measured it
//! off by 0.003 % of requests), needs two integers per key, and its update is one
//! `INSERT … ON CONFLICT DO UPDATE` (or `ON DUPLICATE KEY UPDATE`) on every engine.
//!
//! A window's count stops at `limit + 1`: hits past the limit are refused anyway, and a
//! flood does not carry into the next window beyond what one full window would.

use std::time::Duration;

use chrono::TimeDelta;

use crate::clock::Timestamp;

/// The key of a shared rate limit: a client key the web layer derived (an API token id, an
/// address key with IPv6 by /64, an account's keyed hash), prefixed by the limit's name.
/// Never raw user input: at most [`RateLimitKey::MAX_LEN`] printable ASCII bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateLimitKey(String);

impl RateLimitKey {
    /// The longest key, in bytes (an IPv6 /64 address key with its limit's name needs 45).
    pub const MAX_LEN: usize = 128;

    /// A key, if it is 1 to [`RateLimitKey::MAX_LEN`] bytes of printable ASCII (no spaces).
    #[must_use]
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        let ok = !key.is_empty()
            && key.len() <= Self::MAX_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        ok.then_some(Self(key))
    }

    /// The key as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fixed window of a limit: where it starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitWindow {
    /// Its start, a multiple of `length` since the Unix epoch.
    pub start: Timestamp,
    /// Its length: the limit's period (at least one second, in whole microseconds).
    pub length: Duration,
}

impl RateLimitWindow {
    /// The window of `length` that holds `now`, aligned on the Unix epoch so every instance
    /// agrees on it (given clocks kept in step, as NTP does).
    #[must_use]
    pub fn containing(now: Timestamp, length: Duration) -> Self {
        let len = length_micros(length);
        let t = now.timestamp_micros();
        let start = t - t.rem_euclid(len);
        Self {
            start: Timestamp::from_timestamp_micros(start).unwrap_or(now),
            length: Duration::from_micros(len.unsigned_abs()),
        }
    }

    /// Where the window before this one starts.
    #[must_use]
    pub fn previous_start(&self) -> Timestamp {
        self.start - TimeDelta::microseconds(length_micros(self.length))
    }

    /// How far into this window `now` is, clamped to the window.
    #[must_use]
    pub fn elapsed(&self, now: Timestamp) -> Duration {
        let e = (now - self.start).num_microseconds().unwrap_or(0);
        let len = length_micros(self.length);
        Duration::from_micros(e.clamp(0, len).unsigned_abs())
    }
}

/// A window's length in microseconds: at least one second, at most about a year.
fn length_micros(length: Duration) -> i64 {
    const YEAR: i64 = 366 * 24 * 3600 * 1_000_000;
    i64::try_from(length.as_micros())
        .unwrap_or(YEAR)
        .clamp(1_000_000, YEAR)
}

/// What the store counted for a key after one hit
/// ([`RateLimitStore::hit_rate_limit`](super::RateLimitStore::hit_rate_limit)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowCounts {
    /// Hits in the current window, this one included, at most the limit + 1.
    pub current: u32,
    /// Hits in the window before it (0 when none were counted).
    pub previous: u32,
}

/// The answer of the sliding window counter for one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowDecision {
    /// Go ahead; `remaining` more hits would be allowed right now.
    Allow {
        /// Hits left.
        remaining: u32,
    },
    /// Too many; the next hit is allowed after `retry_after`.
    Deny {
        /// How long to wait.
        retry_after: Duration,
    },
}

impl WindowCounts {
    /// The sliding window counter's decision on the hit these counts include, at `now` in
    /// `window`, for `limit` hits a period (see the [module docs](self)).
    #[must_use]
    pub fn decide(&self, window: RateLimitWindow, now: Timestamp, limit: u32) -> WindowDecision {
        let limit = u128::from(limit.max(1));
        let len = u128::from(length_micros(window.length).unsigned_abs());
        let elapsed = window.elapsed(now).as_micros().min(len);
        let (prev, cur) = (u128::from(self.previous), u128::from(self.current));
        // All in microsecond-hits, so no rounding: previous × (len − elapsed) + current × len
        // against limit × len.
        let used = prev * (len - elapsed) + cur * len;
        let budget = limit * len;
        if used <= budget {
            let remaining = (budget - used) / len;
            return WindowDecision::Allow {
                remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            };
        }
        // When would one more hit fit? Within this window if only the previous window's
        // weight is in the way, else in the next window, with this one as its previous.
        let wait = if cur < limit {
            // prev × (len − e) ≤ (limit − cur − 1) × len  ⇔  e ≥ len − (limit − cur − 1) × len / prev
            let room = (limit - cur - 1) * len;
            let e = len - (room / prev.max(1)).min(len);
            e.saturating_sub(elapsed)
        } else {
            let room = (limit - 1) * len;
            let e = len - (room / cur.max(1)).min(len);
            (len - elapsed) + e
        };
        WindowDecision::Deny {
            retry_after: Duration::from_micros(u64::try_from(wait.max(1)).unwrap_or(u64::MAX)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_timestamp(1_767_225_600 + secs, 0).unwrap()
    }

    #[test]
    fn windows_are_aligned_on_the_epoch() {
        let w = RateLimitWindow::containing(t(75), Duration::from_secs(60));
        assert_eq!(w.start, t(60));
        assert_eq!(w.previous_start(), t(0));
        assert_eq!(w.elapsed(t(75)), Duration::from_secs(15));
    }

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert!(RateLimitKey::new("api_address:ip:2001:db8:1:2::/64").is_some());
        assert!(RateLimitKey::new("").is_none());
        assert!(RateLimitKey::new("a b").is_none());
        assert!(RateLimitKey::new("é").is_none());
        assert!(RateLimitKey::new("k".repeat(RateLimitKey::MAX_LEN)).is_some());
        assert!(RateLimitKey::new("k".repeat(RateLimitKey::MAX_LEN + 1)).is_none());
    }

    #[test]
    fn the_previous_window_weighs_by_what_is_left_of_it() {
        let w = RateLimitWindow::containing(t(60), Duration::from_secs(60));
        let full = WindowCounts {
            current: 1,
            previous: 10,
        };
        // At the start of the window the previous one counts whole: 10 + 1 > 10.
        assert!(matches!(
            full.decide(w, t(60), 10),
            WindowDecision::Deny { .. }
        ));
        // Halfway it counts half: 5 + 1 ≤ 10, four more fit.
        assert_eq!(
            full.decide(w, t(90), 10),
            WindowDecision::Allow { remaining: 4 }
        );
    }

    #[test]
    fn a_refusal_says_when_the_next_hit_fits() {
        let w = RateLimitWindow::containing(t(60), Duration::from_secs(60));
        // Previous window full, one hit now: 10 × (60 − e) / 60 + 2 ≤ 10 needs e ≥ 12 s.
        let c = WindowCounts {
            current: 1,
            previous: 10,
        };
        match c.decide(w, t(60), 10) {
            WindowDecision::Deny { retry_after } => {
                assert_eq!(retry_after, Duration::from_secs(12));
            }
            other => panic!("{other:?}"),
        }
        // This window over its limit: wait for the next window and for the weight of this
        // one to drop to 9: 11 × (60 − e) / 60 ≤ 9 needs e ≥ 60 / 11 × 2 s.
        let over = WindowCounts {
            current: 11,
            previous: 0,
        };
        match over.decide(w, t(100), 10) {
            WindowDecision::Deny { retry_after } => {
                let after = Duration::from_secs(20) + Duration::from_micros(10_909_091);
                assert_eq!(retry_after, after);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_edge_burst_is_not_twice_the_limit() {
        // 10 hits at the very end of one window, then at the start of the next: the first
        // hit of the new window is refused (a fixed window would allow 10 more).
        let len = Duration::from_secs(60);
        let end = RateLimitWindow::containing(t(119), len);
        let mut last = None;
        for current in 1..=10 {
            last = Some(
                WindowCounts {
                    current,
                    previous: 0,
                }
                .decide(end, t(119), 10),
            );
        }
        assert_eq!(last, Some(WindowDecision::Allow { remaining: 0 }));
        let next = RateLimitWindow::containing(t(120), len);
        let first = WindowCounts {
            current: 1,
            previous: 10,
        };
        assert!(matches!(
            first.decide(next, t(120), 10),
            WindowDecision::Deny { .. }
        ));
    }
}
