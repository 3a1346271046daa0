//! Bounded numbers.

use std::fmt;

use super::Violation;

/// A display position (`order` on components, groups and metrics): -1,000,000 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Order(i32);

impl Order {
    /// The smallest order.
    pub const MIN: i64 = -1_000_000;
    /// The largest order.
    pub const MAX: i64 = 1_000_000;

    /// Checks an order.
    ///
    /// # Errors
    ///
    /// [`Violation::OutOfRange`].
    pub fn new(n: i64) -> Result<Self, Violation> {
        if (Self::MIN..=Self::MAX).contains(&n) {
            Ok(Self(i32::try_from(n).map_err(|_| {
                Violation::OutOfRange {
                    min: Self::MIN,
                    max: Self::MAX,
                }
            })?))
        } else {
            Err(Violation::OutOfRange {
                min: Self::MIN,
                max: Self::MAX,
            })
        }
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> i32 {
        self.0
    }
}

/// Decimal places shown for a metric: 0 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Places(u8);

impl Places {
    /// Checks a number of places.
    ///
    /// # Errors
    ///
    /// [`Violation::OutOfRange`].
    pub fn new(n: i64) -> Result<Self, Violation> {
        u8::try_from(n)
            .ok()
            .filter(|n| *n <= 4)
            .map(Self)
            .ok_or(Violation::OutOfRange { min: 0, max: 4 })
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Places {
    fn default() -> Self {
        Self(2)
    }
}

/// A metric's merge window in minutes: a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30,
/// 60), as Cachet requires, so windows tile the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Threshold(u8);

impl Threshold {
    /// Checks a threshold.
    ///
    /// # Errors
    ///
    /// [`Violation::NotAllowed`] unless it divides 60.
    pub fn new(n: i64) -> Result<Self, Violation> {
        match u8::try_from(n) {
            Ok(m) if m >= 1 && 60 % m == 0 => Ok(Self(m)),
            _ => Err(Violation::NotAllowed {
                allowed: "a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)",
            }),
        }
    }

    /// Minutes.
    #[must_use]
    pub fn minutes(self) -> u8 {
        self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Self(5)
    }
}

/// A metric value with exactly three decimal places (Cachet's `decimal(15,3)`), held as an
/// integer number of thousandths so every backend stores and sums it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MetricValue(i64);

impl MetricValue {
    /// The largest magnitude in thousandths: twelve integer digits and three decimals.
    pub const MAX_MILLIS: i64 = 999_999_999_999_999;

    /// A value from thousandths.
    ///
    /// # Errors
    ///
    /// [`Violation::OutOfRange`] beyond twelve integer digits.
    pub fn from_millis(millis: i64) -> Result<Self, Violation> {
        if millis.unsigned_abs() <= Self::MAX_MILLIS.unsigned_abs() {
            Ok(Self(millis))
        } else {
            Err(Violation::OutOfRange {
                min: -999_999_999_999,
                max: 999_999_999_999,
            })
        }
    }

    /// Parses a decimal string such as `12`, `-0.5` or `3.125` (at most three decimals;
    /// no exponent, no `NaN`, no `inf`).
    ///
    /// # Errors
    ///
    /// [`Violation::Format`] or [`Violation::OutOfRange`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        const EXPECTED: &str = "a number with at most three decimals";
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 3
            || (digits.contains('.') && frac.is_empty())
        {
            return Err(Violation::Format { expected: EXPECTED });
        }
        let range = Violation::OutOfRange {
            min: -999_999_999_999,
            max: 999_999_999_999,
        };
        let int_part = int.trim_start_matches('0');
        if int_part.len() > 12 {
            return Err(range);
        }
        let int_v: i64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| range.clone())?
        };
        let frac_v: i64 = format!("{frac:0<3}")
            .parse()
            .map_err(|_| Violation::Format { expected: EXPECTED })?;
        let millis = int_v * 1000 + frac_v;
        Self::from_millis(if neg { -millis } else { millis })
    }

    /// A value from a JSON or form number; rounded to three decimals.
    ///
    /// # Errors
    ///
    /// [`Violation::Format`] for non-finite numbers, [`Violation::OutOfRange`].
    pub fn from_f64(v: f64) -> Result<Self, Violation> {
        if !v.is_finite() {
            return Err(Violation::Format {
                expected: "a finite number",
            });
        }
        let millis = (v * 1000.0).round();
        if millis.abs() > Self::MAX_MILLIS as f64 {
            return Err(Violation::OutOfRange {
                min: -999_999_999_999,
                max: 999_999_999_999,
            });
        }
        #[allow(clippy::cast_possible_truncation)]
        Self::from_millis(millis as i64)
    }

    /// Thousandths.
    #[must_use]
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The value as a float, for charts and JSON output.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for MetricValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:03}", abs / 1000, abs % 1000)
    }
}

impl serde::Serialize for MetricValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_must_divide_sixty() {
        let ok: Vec<i64> = (0..=61).filter(|n| Threshold::new(*n).is_ok()).collect();
        assert_eq!(ok, vec![1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]);
    }

    #[test]
    fn places_and_order_are_bounded() {
        assert!(Places::new(4).is_ok());
        assert!(Places::new(5).is_err());
        assert!(Places::new(-1).is_err());
        assert!(Order::new(1_000_001).is_err());
        assert!(Order::new(-5).is_ok());
    }

    #[test]
    fn metric_values_are_exact_thousandths() {
        assert_eq!(MetricValue::parse("3.125").unwrap().millis(), 3125);
        assert_eq!(MetricValue::parse("-0.5").unwrap().millis(), -500);
        assert_eq!(MetricValue::parse(".5").unwrap().millis(), 500);
        assert_eq!(
            MetricValue::parse("999999999999.999").unwrap().millis(),
            MetricValue::MAX_MILLIS
        );
        assert!(MetricValue::parse("1000000000000").is_err());
        for bad in [
            "", "-", ".", "1.", "1.2345", "1e3", "NaN", "inf", "0x10", "1,5", "--1",
        ] {
            assert!(MetricValue::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MetricValue::from_f64(1.0005).unwrap().millis(), 1001);
        assert!(MetricValue::from_f64(f64::NAN).is_err());
        assert_eq!(MetricValue::parse("-12.5").unwrap().to_string(), "-12.500");
    }
}
