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

    /// Parses a decimal string such as `12`, `-0.5` or `3.125` (no exponent, no `NaN`, no
    /// `inf`). Digits past the third decimal are rounded half away from zero, because clients
    /// send float noise such as `1.0050000000000001` and Cachet stores `decimal(15,3)`.
    ///
    /// # Errors
    ///
    /// [`Violation::Format`] or [`Violation::OutOfRange`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        const EXPECTED: &str = "a decimal number";
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
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
        let kept = frac.get(..3).unwrap_or(frac);
        let frac_v: i64 = format!("{kept:0<3}")
            .parse()
            .map_err(|_| Violation::Format { expected: EXPECTED })?;
        // Rounding the magnitude up on a fourth digit of 5 or more is half away from zero.
        let round_up = frac.as_bytes().get(3).is_some_and(|d| *d >= b'5');
        let millis = int_v * 1000 + frac_v + i64::from(round_up);
        Self::from_millis(if neg { -millis } else { millis })
    }

    /// A value from a JSON or form number; rounded half away from zero to three decimals.
    ///
    /// The number is rounded from its shortest decimal form (what the client wrote), not
    /// from its binary value, so `1.0045` rounds to `1.005` as the text would.
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
        // `Display` for f64 never uses an exponent, so the text always fits `parse`.
        Self::parse(&v.to_string())
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
            "", "-", ".", "1.", "1e3", "NaN", "inf", "0x10", "1,5", "--1",
        ] {
            assert!(MetricValue::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MetricValue::from_f64(1.0005).unwrap().millis(), 1001);
        assert!(MetricValue::from_f64(f64::NAN).is_err());
        assert_eq!(MetricValue::parse("-12.5").unwrap().to_string(), "-12.500");
    }

    #[test]
    fn metric_values_round_half_away_from_zero() {
        for (text, millis) in [
            ("0.0005", 1),
            ("-0.0005", -1),
            ("1.0045", 1005),
            ("1.2344", 1234),
            ("1.0050000000000001", 1005),
            ("-1.0049999", -1005),
            ("999999999999.9994", MetricValue::MAX_MILLIS),
        ] {
            assert_eq!(MetricValue::parse(text).unwrap().millis(), millis, "{text}");
        }
        assert!(MetricValue::parse("999999999999.9995").is_err());
        assert_eq!(
            MetricValue::from_f64(1.005_000_000_000_000_1)
                .unwrap()
                .millis(),
            1005
        );
        assert_eq!(MetricValue::from_f64(1.0045).unwrap().millis(), 1005);
        assert_eq!(MetricValue::from_f64(-0.0005).unwrap().millis(), -1);
        assert!(MetricValue::from_f64(f64::INFINITY).is_err());
        assert!(MetricValue::from_f64(1e13).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_finite_value_in_range_is_kept_within_half_a_thousandth(
            v in -999_999_999_999.0_f64..=999_999_999_999.0_f64,
        ) {
            let m = MetricValue::from_f64(v).unwrap();
            proptest::prop_assert!((m.as_f64() - v).abs() <= 0.000_5 + v.abs() * f64::EPSILON * 4.0);
        }
    }
}
