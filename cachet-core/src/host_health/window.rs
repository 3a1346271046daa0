//! The arithmetic of host health, free of the store: the sliding window of a route group's
//! answers and the hysteresis that turns a tick's verdict into a confirmed state.

use std::sync::Mutex;

use chrono::TimeDelta;

use crate::clock::Timestamp;
use crate::model::ComponentStatus;

/// Buckets per window: the window slides in steps of a tenth of its length.
pub(super) const BUCKETS: usize = 10;

/// The answers of one route group over its window. Recording takes a short lock of this
/// group's ring only (three additions), so the host's request path never waits on the store
/// or on another group.
#[derive(Debug)]
pub(super) struct Window {
    ring: Mutex<Ring>,
}

#[derive(Debug)]
struct Ring {
    /// Length of one bucket in microseconds (at least 1).
    bucket_us: i64,
    /// An answer slower than this (microseconds) counts as slow; `u64::MAX`: no bound.
    slow_over_us: u64,
    buckets: [Bucket; BUCKETS],
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Which bucket of time this slot holds (time / bucket length); a stale slot is reset
    /// when time comes back to it.
    index: i64,
    counts: Counts,
}

/// What a window holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    /// Answers.
    pub total: u64,
    /// Answers with a 5xx status.
    pub errors: u64,
    /// Answers slower than the latency bound.
    pub slow: u64,
}

impl Window {
    /// A window of `length`, counting answers slower than `slow_over` as slow.
    pub(super) fn new(length: TimeDelta, slow_over: Option<TimeDelta>) -> Self {
        let window = Self {
            ring: Mutex::new(Ring {
                bucket_us: 1,
                slow_over_us: u64::MAX,
                buckets: [Bucket::default(); BUCKETS],
            }),
        };
        window.configure(length, slow_over);
        window
    }

    /// Sets the length and the latency bound, forgetting what was counted.
    pub(super) fn configure(&self, length: TimeDelta, slow_over: Option<TimeDelta>) {
        let mut ring = self.lock();
        let length_us = length.num_microseconds().unwrap_or(i64::MAX);
        ring.bucket_us = (length_us / BUCKETS as i64).max(1);
        ring.slow_over_us = slow_over
            .and_then(|d| d.num_microseconds())
            .map_or(u64::MAX, |us| u64::try_from(us).unwrap_or(0));
        ring.buckets = [Bucket {
            index: i64::MIN,
            counts: Counts::default(),
        }; BUCKETS];
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // The ring holds counters only: a panic elsewhere cannot leave it inconsistent.
        self.ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one answer at `now`.
    pub(super) fn record(&self, now: Timestamp, status: u16, latency: std::time::Duration) {
        let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let mut ring = self.lock();
        let index = now.timestamp_micros().div_euclid(ring.bucket_us);
        let slow_over = ring.slow_over_us;
        let slot = &mut ring.buckets[slot_of(index)];
        if slot.index != index {
            *slot = Bucket {
                index,
                counts: Counts::default(),
            };
        }
        slot.counts.total += 1;
        slot.counts.errors += u64::from(is_error(status));
        slot.counts.slow += u64::from(latency_us > slow_over);
    }

    /// What the window ending at `now` holds.
    pub(super) fn counts(&self, now: Timestamp) -> Counts {
        let ring = self.lock();
        let current = now.timestamp_micros().div_euclid(ring.bucket_us);
        let oldest = current.saturating_sub(BUCKETS as i64 - 1);
        ring.buckets
            .iter()
            .filter(|b| (oldest..=current).contains(&b.index))
            .fold(Counts::default(), |sum, b| Counts {
                total: sum.total + b.counts.total,
                errors: sum.errors + b.counts.errors,
                slow: sum.slow + b.counts.slow,
            })
    }
}

fn slot_of(index: i64) -> usize {
    // `rem_euclid` of a positive modulus is in 0..BUCKETS.
    usize::try_from(index.rem_euclid(BUCKETS as i64)).unwrap_or(0)
}

/// Whether an answer counts as an error of the host: a 5xx. A 4xx is the client's mistake and
/// says nothing about the host's health.
#[must_use]
pub fn is_error(status: u16) -> bool {
    (500..600).contains(&status)
}

/// The state a rule sees in one tick, or confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// Within its thresholds.
    Healthy,
    /// Over a threshold: the component should show this status.
    Breached(ComponentStatus),
}

/// Whether a state seen since `since` has lasted its hold time at `now`: the one rule of
/// hysteresis, for host health's verdicts and for the stored states of monitoring alerts.
pub(crate) fn hold_passed(since: Timestamp, now: Timestamp, hold: TimeDelta) -> bool {
    now - since >= hold
}

/// Hysteresis: a level must be seen for its hold time, in every tick that gives a verdict,
/// before it is confirmed; a tick that sees another level starts the wait again, so a
/// flapping check confirms nothing.
#[derive(Debug, Default)]
pub(super) struct Hysteresis {
    /// The confirmed level; `None` until the first is confirmed (after a start, nothing is
    /// known).
    pub confirmed: Option<Level>,
    /// The level seen since when, waiting for its hold time.
    pending: Option<(Level, Timestamp)>,
}

impl Hysteresis {
    /// Takes one tick's verdict (`None`: too little evidence, which changes nothing) and
    /// returns whether the confirmed level changed. `hold_breach` is the wait before a breach
    /// (or a change of breach) is confirmed, `hold_recovery` before health is.
    pub(super) fn observe(
        &mut self,
        seen: Option<Level>,
        now: Timestamp,
        hold_breach: TimeDelta,
        hold_recovery: TimeDelta,
    ) -> bool {
        let Some(seen) = seen else {
            return false;
        };
        if self.confirmed == Some(seen) {
            self.pending = None;
            return false;
        }
        let since = match self.pending {
            Some((level, since)) if level == seen => since,
            _ => {
                self.pending = Some((seen, now));
                now
            }
        };
        let hold = match seen {
            Level::Healthy => hold_recovery,
            Level::Breached(_) => hold_breach,
        };
        if hold_passed(since, now, hold) {
            self.confirmed = Some(seen);
            self.pending = None;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn the_window_forgets_what_slid_out() {
        let clock = ManualClock::at_epoch_2026();
        let w = Window::new(TimeDelta::seconds(10), Some(TimeDelta::milliseconds(100)));
        w.record(clock.now(), 500, Duration::from_millis(5));
        w.record(clock.now(), 200, Duration::from_millis(500));
        w.record(clock.now(), 404, Duration::from_millis(5));
        assert_eq!(
            w.counts(clock.now()),
            Counts {
                total: 3,
                errors: 1,
                slow: 1
            }
        );
        clock.advance(TimeDelta::seconds(9));
        assert_eq!(w.counts(clock.now()).total, 3);
        w.record(clock.now(), 503, Duration::ZERO);
        clock.advance(TimeDelta::seconds(2));
        assert_eq!(
            w.counts(clock.now()),
            Counts {
                total: 1,
                errors: 1,
                slow: 0
            }
        );
        // A slot reused a whole ring later starts from zero.
        clock.advance(TimeDelta::seconds(100));
        w.record(clock.now(), 200, Duration::ZERO);
        assert_eq!(w.counts(clock.now()).total, 1);
    }

    #[test]
    fn only_5xx_are_errors() {
        assert!(!is_error(200) && !is_error(404) && !is_error(429) && !is_error(600));
        assert!(is_error(500) && is_error(503) && is_error(599));
    }

    #[test]
    fn a_level_is_confirmed_after_its_hold_and_flapping_confirms_nothing() {
        let clock = ManualClock::at_epoch_2026();
        let (hold, recovery) = (TimeDelta::seconds(30), TimeDelta::seconds(60));
        let down = Some(Level::Breached(ComponentStatus::PartialOutage));
        let up = Some(Level::Healthy);
        let mut h = Hysteresis::default();
        assert!(!h.observe(down, clock.now(), hold, recovery));
        clock.advance(TimeDelta::seconds(20));
        assert!(!h.observe(up, clock.now(), hold, recovery));
        clock.advance(TimeDelta::seconds(20));
        assert!(!h.observe(down, clock.now(), hold, recovery));
        clock.advance(TimeDelta::seconds(20));
        // No verdict: the wait goes on.
        assert!(!h.observe(None, clock.now(), hold, recovery));
        assert_eq!(h.confirmed, None);
        clock.advance(TimeDelta::seconds(10));
        assert!(h.observe(down, clock.now(), hold, recovery));
        assert_eq!(h.confirmed, down);
        clock.advance(TimeDelta::seconds(30));
        assert!(!h.observe(up, clock.now(), hold, recovery));
        clock.advance(TimeDelta::seconds(59));
        assert!(!h.observe(up, clock.now(), hold, recovery));
        clock.advance(TimeDelta::seconds(1));
        assert!(h.observe(up, clock.now(), hold, recovery));
        assert!(!h.observe(up, clock.now(), hold, recovery));
    }
}
