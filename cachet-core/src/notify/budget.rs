//! Budgets of mail: how many mails the subscribe form may cause one recipient, and how fast
//! the dispatcher hands messages to each channel.
//!
//! # One recipient's confirmations
//!
//! A visitor-triggered mail (a verification or an "already subscribed" notice) spends the
//! recipient's budget: at most one per [`CONFIRMATION_SPACING`] and
//! [`CONFIRMATIONS_PER_DAY`] a day, whatever the source (see
//! [`Cachet::subscribe`](crate::Cachet::subscribe)). The budget is kept in the store's
//! throttle table under `confirm:<hex of the address's blind index>`, so no address is
//! stored in the clear and the pruning of old throttle rows applies.
//!
//! # A channel's send rate
//!
//! [`SendRate`] is a global rate for one channel (all recipients together): the dispatcher
//! waits for a permit before handing each message to the channel's notifier, so a burst of
//! deliveries (an incident to 100,000 subscribers) is paced to what the relay accepts
//! instead of tripping its limits, and nothing is dropped. Configured per channel in
//! [`DispatcherConfig::send_rates`](super::DispatcherConfig::send_rates).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as GovernorClock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::clock::Timestamp;
use crate::model::{BlindIndex, ThrottleState};

/// The least time between two mails the subscribe form sends to one recipient.
pub const CONFIRMATION_SPACING: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// The most mails the subscribe form sends to one recipient in a day.
pub const CONFIRMATIONS_PER_DAY: u32 = 5;
/// The window of [`CONFIRMATIONS_PER_DAY`].
const CONFIRMATION_DAY: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The budget after one more mail to the recipient whose budget is `state`, or `None` when
/// none may go now. In the state, `failures` counts the mails of the current day,
/// `last_failure_at` is the last mail and `locked_until` is when the day's count resets.
pub fn spend_confirmation(
    key: &str,
    state: Option<&ThrottleState>,
    now: Timestamp,
) -> Option<ThrottleState> {
    let fresh = ThrottleState {
        key: key.to_owned(),
        failures: 1,
        last_failure_at: now,
        locked_until: Some(now + CONFIRMATION_DAY),
    };
    let Some(s) = state else { return Some(fresh) };
    match s.locked_until {
        Some(reset) if reset > now => {}
        // The day is over (or the row is not one of ours): a new day's budget.
        _ => return Some(fresh),
    }
    if now < s.last_failure_at + CONFIRMATION_SPACING || s.failures >= CONFIRMATIONS_PER_DAY {
        return None;
    }
    Some(ThrottleState {
        failures: s.failures + 1,
        last_failure_at: now,
        ..s.clone()
    })
}

/// The throttle key of a recipient's confirmation budget.
pub fn confirmation_key(index: &BlindIndex) -> String {
    format!("confirm:{}", hex::encode(index.0))
}

/// The throttle key of a phone number's confirmation budget: the same rules as an address's
/// ([`spend_confirmation`]), under a prefix of its own, so an SMS costs one of the number's
/// few a day whatever the mail budgets say.
pub fn sms_confirmation_key(index: &BlindIndex) -> String {
    format!("confirm-sms:{}", hex::encode(index.0))
}

/// The throttle key counting the wrong tries at a phone number's current confirmation code.
pub fn sms_code_key(index: &BlindIndex) -> String {
    format!("sms-code:{}", hex::encode(index.0))
}

/// The throttle key of the instance's SMS count for the UTC day of `now`.
pub fn sms_day_key(now: Timestamp) -> String {
    format!("sms-day:{}", now.format("%Y-%m-%d"))
}

/// The throttle key that records that the day's SMS budget ran out (and was audited).
pub fn sms_day_spent_key(now: Timestamp) -> String {
    format!("sms-day-spent:{}", now.format("%Y-%m-%d"))
}

/// The start of the UTC day after `now`: when a day's SMS count ends.
fn next_utc_day(now: Timestamp) -> Timestamp {
    let today = now.date_naive();
    today
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(now + CONFIRMATION_DAY, |t| t.and_utc())
}

/// The day's SMS count after one more SMS, or `None` when `limit` SMS went out on the UTC day
/// of `now` already. In the state, `failures` is the day's count and `locked_until` the end of
/// the day (so retention keeps the row for as long as it counts). A row of an earlier day, or
/// one that is not ours, starts the count afresh.
pub fn spend_sms_day(
    key: &str,
    state: Option<&ThrottleState>,
    limit: u32,
    now: Timestamp,
) -> Option<ThrottleState> {
    let used = match state {
        Some(s) if s.locked_until.is_some_and(|end| end > now) => s.failures,
        _ => 0,
    };
    if used >= limit {
        return None;
    }
    Some(ThrottleState {
        key: key.to_owned(),
        failures: used + 1,
        last_failure_at: now,
        locked_until: Some(next_utc_day(now)),
    })
}

/// A global send rate for one channel (see the [module docs](self)): at most `per_second`
/// messages a second on average, with bursts of at most `per_second`.
pub struct SendRate<C: GovernorClock = DefaultClock> {
    limiter: RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    per_second: NonZeroU32,
}

impl<C: GovernorClock> std::fmt::Debug for SendRate<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendRate")
            .field("per_second", &self.per_second)
            .finish_non_exhaustive()
    }
}

impl SendRate {
    /// A rate of `per_second` messages a second on the system clock.
    #[must_use]
    pub fn per_second(per_second: NonZeroU32) -> Self {
        Self::with_clock(per_second, DefaultClock::default())
    }
}

impl<C: GovernorClock + Clone> SendRate<C> {
    /// A rate on this clock (tests use governor's fake clock).
    #[must_use]
    pub fn with_clock(per_second: NonZeroU32, clock: C) -> Self {
        let limiter = RateLimiter::direct_with_clock(Quota::per_second(per_second), clock.clone());
        Self {
            limiter,
            clock,
            per_second,
        }
    }

    /// The configured messages per second.
    #[must_use]
    pub fn rate(&self) -> NonZeroU32 {
        self.per_second
    }

    /// Takes a permit when one is free now; otherwise how long until the next one.
    ///
    /// # Errors
    ///
    /// The wait until a permit is free.
    pub fn try_send(&self) -> Result<(), Duration> {
        self.limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Waits until a permit is free and takes it: paces, never refuses.
    pub async fn wait(&self) {
        while let Err(wait) = self.try_send() {
            // At least a millisecond, so a rounding to zero cannot spin.
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn one_mail_per_spacing_and_five_a_day_then_a_new_day() {
        let clock = ManualClock::at_epoch_2026();
        let key = confirmation_key(&BlindIndex([7; 32]));
        assert!(key.starts_with("confirm:0707") && key.len() == 8 + 64);
        let mut state: Option<ThrottleState> = None;
        let mut sent = 0;
        // Every five minutes for a day: one mail per fifteen minutes at most, five in all.
        for _ in 0..(24 * 12) {
            if let Some(next) = spend_confirmation(&key, state.as_ref(), clock.now()) {
                sent += 1;
                state = Some(next);
            }
            clock.advance(chrono::TimeDelta::minutes(5));
        }
        assert_eq!(sent, 5);
        // The day counted from the first mail is over: a fresh budget.
        assert!(spend_confirmation(&key, state.as_ref(), clock.now()).is_some());
    }

    #[test]
    fn a_send_rate_hands_out_its_burst_then_one_permit_per_interval() {
        use governor::clock::FakeRelativeClock;
        let clock = FakeRelativeClock::default();
        let rate = SendRate::with_clock(NonZeroU32::new(5).unwrap(), clock.clone());
        // The burst, then a wait of one interval (200 ms at 5 a second).
        for _ in 0..5 {
            assert!(rate.try_send().is_ok());
        }
        assert_eq!(rate.try_send(), Err(Duration::from_millis(200)));
        // Over ten simulated seconds, polled every 10 ms, exactly 5 a second are handed out.
        let mut permits = 0;
        for _ in 0..1000 {
            clock.advance(Duration::from_millis(10));
            while rate.try_send().is_ok() {
                permits += 1;
            }
        }
        assert_eq!(permits, 50);
    }

    #[test]
    fn the_daily_sms_count_stops_at_the_limit_and_starts_again_the_next_utc_day() {
        let clock = ManualClock::at_epoch_2026();
        let key = sms_day_key(clock.now());
        assert_eq!(key, format!("sms-day:{}", clock.now().format("%Y-%m-%d")));
        let mut state = None;
        for n in 1..=3 {
            let next = spend_sms_day(&key, state.as_ref(), 3, clock.now()).unwrap();
            assert_eq!(next.failures, n);
            state = Some(next);
        }
        assert_eq!(spend_sms_day(&key, state.as_ref(), 3, clock.now()), None);
        // The row lives until midnight UTC, then counts from one again.
        let end = state.as_ref().unwrap().locked_until.unwrap();
        assert_eq!(end.time(), chrono::NaiveTime::MIN);
        assert!(end > clock.now() && end - clock.now() <= chrono::TimeDelta::hours(24));
        clock.advance(end - clock.now());
        assert_eq!(
            spend_sms_day(&key, state.as_ref(), 3, clock.now()).map(|s| s.failures),
            Some(1)
        );
        // A limit of zero sends nothing.
        assert_eq!(spend_sms_day(&key, None, 0, clock.now()), None);
        // The prefixes of a number's budgets are their own.
        let index = BlindIndex([7; 32]);
        assert_ne!(sms_confirmation_key(&index), confirmation_key(&index));
        assert!(sms_code_key(&index).starts_with("sms-code:0707"));
    }

    #[test]
    fn the_spacing_holds_between_two_mails() {
        let clock = ManualClock::at_epoch_2026();
        let first = spend_confirmation("k", None, clock.now()).unwrap();
        clock.advance(CONFIRMATION_SPACING - chrono::TimeDelta::seconds(1));
        assert!(spend_confirmation("k", Some(&first), clock.now()).is_none());
        clock.advance(chrono::TimeDelta::seconds(1));
        let second = spend_confirmation("k", Some(&first), clock.now()).unwrap();
        assert_eq!(second.failures, 2);
    }
}
