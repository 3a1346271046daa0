//! Time as a dependency.
//!
//! Every time rule in cachet (maintenance windows, lockouts, TOTP steps, token expiry, metric
//! point merging) reads the time from an injected [`Clock`], so tests move time forward with a
//! [`ManualClock`] instead of sleeping. All times are UTC and truncated to whole microseconds,
//! the finest precision every supported database stores exactly.

use std::fmt::Debug;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// A point in time as cachet stores it: UTC, whole microseconds.
pub type Timestamp = DateTime<Utc>;

/// Truncates a time to whole microseconds, the precision the stores keep.
#[must_use]
pub fn truncate_to_micros(t: Timestamp) -> Timestamp {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Converts a stored microsecond count back into a [`Timestamp`].
///
/// Returns `None` for values outside chrono's range, which only a corrupted row can hold.
#[must_use]
pub fn from_micros(micros: i64) -> Option<Timestamp> {
    DateTime::from_timestamp_micros(micros)
}

/// A source of the current time.
pub trait Clock: Debug + Send + Sync + 'static {
    /// The current time, truncated to whole microseconds.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        truncate_to_micros(Utc::now())
    }
}

/// A clock that only moves when told to, for tests of time rules.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock standing still at `start`.
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(truncate_to_micros(start)),
        }
    }

    /// A clock standing at 2026-01-01T00:00:00Z, a fixed and readable default for tests.
    #[must_use]
    pub fn at_epoch_2026() -> Self {
        Self::new(DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default())
    }

    /// Moves the clock forward (or backward, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now = truncate_to_micros(*now + by);
    }

    /// Sets the clock to `t`.
    pub fn set(&self, t: Timestamp) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now = truncate_to_micros(t);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_epoch_2026();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now() - t0, TimeDelta::seconds(90));
    }

    #[test]
    fn system_clock_is_truncated_to_micros() {
        let now = SystemClock.now();
        assert_eq!(now.timestamp_subsec_nanos() % 1_000, 0);
        assert_eq!(from_micros(now.timestamp_micros()), Some(now));
    }
}
