//! Cachet's metric point merge rule.
//!
//! Cachet 2.4 does not insert a new point when the same value was already recorded "recently":
//! if the metric has a point with the same value created at or after the start of the minute
//! `threshold - 1` minutes ago, that point's `counter` is incremented instead. The core
//! computes the window start here and the store applies it atomically
//! ([`crate::model::NewMetricPoint::merge_since`]).

use chrono::{DurationRound, TimeDelta};

use crate::clock::Timestamp;
use crate::validate::Threshold;

/// The start of the merge window for a point recorded at `now`: the start of the minute
/// `threshold - 1` minutes before `now`.
#[must_use]
pub fn merge_window_start(now: Timestamp, threshold: Threshold) -> Timestamp {
    let back = now - TimeDelta::minutes(i64::from(threshold.minutes()) - 1);
    back.duration_trunc(TimeDelta::minutes(1)).unwrap_or(back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn window_starts_at_the_minute_threshold_minus_one_ago() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 7, 42).unwrap();
        let t5 = Threshold::new(5).unwrap();
        assert_eq!(
            merge_window_start(now, t5),
            Utc.with_ymd_and_hms(2026, 11, 23, 12, 3, 0).unwrap()
        );
        let t1 = Threshold::new(1).unwrap();
        assert_eq!(
            merge_window_start(now, t1),
            Utc.with_ymd_and_hms(2026, 11, 23, 12, 7, 0).unwrap()
        );
    }
}
