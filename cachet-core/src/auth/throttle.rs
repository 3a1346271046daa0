//! Login throttling: per account and per client address.
//!
//! The first [`ThrottlePolicy::free_failures`] failures cost nothing (a correct password after
//! them still signs in at once). Each further failure locks the key for a delay that doubles
//! from [`ThrottlePolicy::base_delay`] up to [`ThrottlePolicy::max_delay`] (a 15-minute
//! lockout by default) and expires on its own, so an attacker can slow a real admin down but
//! not lock them out for long. A key whose last failure is older than `max_delay` starts
//! again from zero. IPv6 clients are keyed by their /64, which one host can rotate through.
//!
//! Keys ([`crate::Cachet`] decides which apply):
//!
//! | key | counts | policy | reset by |
//! |---|---|---|---|
//! | [`account_key`] | wrong passwords for an account from untrusted clients | `throttle` | a completed sign-in |
//! | [`address_key`] | wrong passwords from a client address | `throttle` | time only |
//! | [`second_factor_key`] | wrong codes for an account from untrusted clients | `second_factor_throttle` | a completed sign-in |
//! | device keys ([`crate::auth::device`]) | a trusted browser's wrong passwords and codes | both | a completed sign-in from it |
//!
//! A correct password alone resets nothing: an attacker who knows it cannot clear the
//! second factor's count by signing in again.

use std::net::IpAddr;

use chrono::TimeDelta;

use crate::clock::Timestamp;
use crate::model::ThrottleState;

/// Throttling parameters.
///
/// Start from [`ThrottlePolicy::default()`](Default::default) and assign the fields to change; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottlePolicy {
    /// Failures that cost nothing (default 5).
    pub free_failures: u32,
    /// The first delay after the free failures (default 1 s).
    pub base_delay: TimeDelta,
    /// The longest delay, the lockout (default 15 minutes).
    pub max_delay: TimeDelta,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            base_delay: TimeDelta::seconds(1),
            max_delay: TimeDelta::minutes(15),
        }
    }
}

impl ThrottlePolicy {
    /// The second factor's budget: five free failures, then each failure locks the key for
    /// fifteen minutes. A key's count restarts only when its last failure is fifteen minutes
    /// old, so at most six codes are checked per fifteen minutes per key, however many
    /// addresses and re-logins an attacker who knows the password uses (a six-digit code
    /// with a one-step window then takes on the order of years to guess).
    #[must_use]
    pub fn second_factor() -> Self {
        Self {
            free_failures: 5,
            base_delay: TimeDelta::minutes(15),
            max_delay: TimeDelta::minutes(15),
        }
    }

    /// When the key may try again, if it is locked now.
    #[must_use]
    pub fn locked_until(&self, state: Option<&ThrottleState>, now: Timestamp) -> Option<Timestamp> {
        state
            .and_then(|s| s.locked_until)
            .filter(|until| *until > now)
    }

    /// The state after one more failure at `now`.
    #[must_use]
    pub fn record_failure(
        &self,
        key: &str,
        state: Option<&ThrottleState>,
        now: Timestamp,
    ) -> ThrottleState {
        let previous = state
            .filter(|s| now - s.last_failure_at < self.max_delay)
            .map_or(0, |s| s.failures);
        let failures = previous.saturating_add(1);
        let locked_until = (failures > self.free_failures).then(|| {
            let doublings = (failures - self.free_failures - 1).min(30);
            // A long configured base delay must not overflow `TimeDelta`: cap instead.
            let delay = self
                .base_delay
                .checked_mul(1i32 << doublings)
                .unwrap_or(self.max_delay);
            now + delay.min(self.max_delay)
        });
        ThrottleState {
            key: key.to_owned(),
            failures,
            last_failure_at: now,
            locked_until,
        }
    }

    /// Whether this failure is the one that reached the full lockout (for the audit log).
    #[must_use]
    pub fn is_lockout(&self, state: &ThrottleState) -> bool {
        state
            .locked_until
            .is_some_and(|until| until - state.last_failure_at >= self.max_delay)
    }
}

/// One attempt at a time per throttle key, within this process.
///
/// A throttle is read, the secret checked, and the failure written back; without this gate a
/// client sending many attempts at once (parallel connections) would have them all pass the
/// read before any failure is written, and be checked far beyond its budget. Holding the
/// key's gate across check-verify-record makes the count exact per instance; with several
/// instances the overshoot is bounded by the number of instances, not by the attacker's
/// parallelism. Entries are dropped once no attempt holds them.
#[derive(Debug, Default)]
pub struct AttemptGate {
    keys: std::sync::Mutex<
        std::collections::HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>,
    >,
}

/// Held while one attempt on a key runs.
pub type AttemptGuard = tokio::sync::OwnedMutexGuard<()>;

impl AttemptGate {
    /// Waits for the key's turn.
    pub async fn enter(&self, key: &str) -> AttemptGuard {
        let lock = {
            let mut keys = self
                .keys
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(live) = keys.get(key).and_then(std::sync::Weak::upgrade) {
                live
            } else {
                if keys.len() >= 1024 {
                    keys.retain(|_, w| w.strong_count() > 0);
                }
                let fresh = std::sync::Arc::new(tokio::sync::Mutex::new(()));
                keys.insert(key.to_owned(), std::sync::Arc::downgrade(&fresh));
                fresh
            }
        };
        lock.lock_owned().await
    }

    /// Keys with a gate in the map (live or not yet swept), for tests.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Whether no key has a gate.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The throttle key of a client address (IPv6 by /64).
#[must_use]
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The key of an account's second-factor failures from untrusted clients.
#[must_use]
pub fn second_factor_key(email_index: &crate::model::BlindIndex) -> String {
    format!("2fa-{}", account_key(email_index))
}

/// The throttle key of an account, from the keyed hash of its normalised email, so the
/// store never holds addresses in this table and unknown accounts are throttled alike.
#[must_use]
pub fn account_key(email_index: &crate::model::BlindIndex) -> String {
    format!("account:{}", hex::encode(email_index.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn five_free_failures_then_doubling_delays_capped_at_fifteen_minutes() {
        let p = ThrottlePolicy::default();
        let clock = ManualClock::at_epoch_2026();
        let mut state: Option<ThrottleState> = None;
        let mut delays = Vec::new();
        for _ in 0..16 {
            let now = clock.now();
            assert_eq!(
                p.locked_until(state.as_ref(), now),
                None,
                "each attempt waits out the lock"
            );
            let next = p.record_failure("k", state.as_ref(), now);
            let delay = next.locked_until.map_or(0, |u| (u - now).num_seconds());
            delays.push(delay);
            clock.advance(TimeDelta::seconds(delay));
            state = Some(next);
        }
        assert_eq!(
            delays,
            vec![0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
        );
        assert!(p.is_lockout(state.as_ref().unwrap()));
    }

    #[test]
    fn a_lock_expires_on_its_own_and_stale_failures_are_forgotten() {
        let p = ThrottlePolicy::default();
        let clock = ManualClock::at_epoch_2026();
        let mut s = None;
        for _ in 0..6 {
            s = Some(p.record_failure("k", s.as_ref(), clock.now()));
        }
        assert!(p.locked_until(s.as_ref(), clock.now()).is_some());
        clock.advance(TimeDelta::seconds(1));
        assert!(p.locked_until(s.as_ref(), clock.now()).is_none());
        clock.advance(TimeDelta::minutes(16));
        assert_eq!(p.record_failure("k", s.as_ref(), clock.now()).failures, 1);
    }

    #[test]
    fn a_long_base_delay_caps_instead_of_overflowing() {
        let p = ThrottlePolicy {
            free_failures: 0,
            base_delay: TimeDelta::days(365),
            max_delay: TimeDelta::days(400),
        };
        let now = ManualClock::at_epoch_2026().now();
        let mut state = None;
        for _ in 0..40 {
            state = Some(p.record_failure("k", state.as_ref(), now));
        }
        let until = state.and_then(|s| s.locked_until).unwrap();
        assert_eq!(until - now, TimeDelta::days(400));
    }

    #[tokio::test]
    async fn the_gate_lets_one_attempt_per_key_in_and_forgets_idle_keys() {
        let gate = std::sync::Arc::new(AttemptGate::default());
        let held = gate.enter("a").await;
        let other = gate.enter("b").await;
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter("a").await })
        };
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a second attempt on the same key waits"
        );
        drop(held);
        let second = waiting.await.unwrap();
        drop((second, other));
        for n in 0..2000 {
            drop(gate.enter(&format!("k{n}")).await);
        }
        assert!(gate.len() <= 1024, "{} keys kept", gate.len());
    }

    #[test]
    fn the_second_factor_checks_at_most_six_codes_per_fifteen_minutes() {
        let p = ThrottlePolicy::second_factor();
        let clock = ManualClock::at_epoch_2026();
        let start = clock.now();
        let mut state: Option<ThrottleState> = None;
        let mut checks = 0;
        // An attacker trying a code every second for an hour.
        while clock.now() - start < TimeDelta::hours(1) {
            if p.locked_until(state.as_ref(), clock.now()).is_none() {
                checks += 1;
                state = Some(p.record_failure("k", state.as_ref(), clock.now()));
            }
            clock.advance(TimeDelta::seconds(1));
        }
        assert!(checks <= 4 * 6, "{checks} codes checked in an hour");
    }

    #[test]
    fn ipv6_is_keyed_by_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(
            address_key("::ffff:192.0.2.1".parse().unwrap()),
            "ip:192.0.2.1"
        );
    }
}
