//! Phone numbers that can receive SMS.

use std::fmt;

use phonenumber::{Mode, Type};

use super::Violation;

/// The rule for the accepted notation, named in the error of a number without `+`.
const EXPECTED_E164: &str = "an international number in E.164 form: + and the country code, \
     such as +14155550123 (a national number without its country code is ambiguous)";
/// The rule for the `00` international prefix, which depends on the country it is dialled from.
const EXPECTED_PLUS: &str = "written with + instead of the international prefix 00, \
     such as +4915123456789";
/// The rule for everything the number-plan metadata refuses.
const EXPECTED_VALID: &str = "a valid phone number for its country code";
/// The rule for valid numbers of a type that cannot receive SMS.
const EXPECTED_MOBILE: &str = "a mobile number that can receive SMS (not a landline, toll-free, \
     premium-rate, shared-cost, VoIP, pager, personal or company number)";
/// The rule for numbers outside any country (global services such as +800 or +882).
const EXPECTED_REGION: &str = "a number of a country or region (not a global service number)";

/// A phone number that can receive SMS, in E.164 form (`+14155550123`).
///
/// Parsing is lenient on what people type around the digits (spaces, dashes, dots and
/// parentheses, so `+1 (415) 555-0123` and `+44 (0)7700 900123` are read) but strict on
/// everything that would need a guess: the number must start with `+` and its country code.
/// A leading `00` is refused (that international prefix is not used everywhere: in the US it is
/// `011`) and so is a national number (`0151 2345678`), since which country it belongs to
/// cannot be known. The number is then checked against libphonenumber's number-plan metadata
/// (the [`phonenumber`] crate): it must be valid for its country code, belong to a country or
/// region, and be a mobile number (or, where the plan cannot tell them apart, as in the US, a
/// fixed-line-or-mobile number). Landlines, toll-free, premium-rate, shared-cost, VoIP, pager,
/// personal and company (UAN) numbers are refused: an SMS to them is lost or, for premium
/// numbers, costs money (SMS pumping).
///
/// A phone number is personal data: `Debug` prints [`PhoneNumber::masked`], and there is no
/// `Display`, so formatting one into a log line or an error takes a deliberate call to
/// [`PhoneNumber::as_str`]. Serde reads and writes the E.164 string; deserializing validates.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    /// E.164: `+`, country code and national number, digits only.
    e164: String,
    /// ISO 3166-1 alpha-2 region the number plan assigns it to (`US`, `GB`).
    region: String,
    /// How many of the digits are the country calling code (1 to 3), for [`Self::masked`].
    code_digits: usize,
}

impl PhoneNumber {
    /// The most digits an E.164 number has (country code included).
    pub const MAX_DIGITS: usize = 15;

    /// Parses, validates and normalises a number to E.164. Surrounding whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Violation::Required`] for an empty value, [`Violation::TooLong`] for more than
    /// 64 characters, and [`Violation::Format`] naming the rule for the rest: not starting with
    /// `+` (a national number), starting with `00`, characters other than digits and the
    /// separators, an invalid number, a number without a region, and a number type that cannot
    /// receive SMS.
    pub fn parse(s: &str) -> Result<Self, Violation> {
        /// Room for a 15-digit number with generous separators; refuses huge inputs early.
        const MAX_INPUT_CHARS: usize = 64;
        let s = s.trim();
        if s.is_empty() {
            return Err(Violation::Required);
        }
        if s.chars().count() > MAX_INPUT_CHARS {
            return Err(Violation::TooLong {
                max: MAX_INPUT_CHARS,
            });
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(Self::MAX_DIGITS);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(Violation::Format {
                        expected: EXPECTED_E164,
                    });
                }
            }
        }
        if !plus {
            let expected = if digits.starts_with("00") {
                EXPECTED_PLUS
            } else {
                EXPECTED_E164
            };
            return Err(Violation::Format { expected });
        }
        // Country codes never start with 0; `+00…` is the `00` prefix behind a `+`.
        if digits.is_empty() || digits.starts_with('0') {
            return Err(Violation::Format {
                expected: EXPECTED_E164,
            });
        }
        // `+44 (0)7700 900123`, as written in the UK, carries the national trunk prefix; the
        // number plan strips it below. Anything longer than that allowance is not a number.
        if digits.len() > Self::MAX_DIGITS + 1 {
            return Err(Violation::Format {
                expected: EXPECTED_VALID,
            });
        }
        // Only `+` and digits reach the library: none of its RFC 3966 or free-text paths.
        let number =
            phonenumber::parse(None, format!("+{digits}")).map_err(|_| Violation::Format {
                expected: EXPECTED_VALID,
            })?;
        if !number.is_valid() || number.extension().is_some() {
            return Err(Violation::Format {
                expected: EXPECTED_VALID,
            });
        }
        let region = number.country().id().ok_or(Violation::Format {
            expected: EXPECTED_REGION,
        })?;
        match number.number_type(&phonenumber::metadata::DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile => {}
            _ => {
                return Err(Violation::Format {
                    expected: EXPECTED_MOBILE,
                });
            }
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        // The canonical form must be what we promise: `+` and at most 15 digits.
        let canonical = e164
            .strip_prefix('+')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            && e164.len() <= Self::MAX_DIGITS + 1;
        if !canonical {
            return Err(Violation::Format {
                expected: EXPECTED_VALID,
            });
        }
        Ok(Self {
            e164,
            region: region.as_ref().to_owned(),
            code_digits: number.code().value().to_string().len(),
        })
    }

    /// The number in E.164 form, such as `+14155550123`. Personal data: not for logs.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// The ISO 3166-1 alpha-2 code of the country or region the number belongs to (`US`,
    /// `GB`, `DE`). For shared country codes (`+1`, `+7`, `+44`…) it is the one the number
    /// plan assigns this number to, such as `CA` for a Toronto number.
    #[must_use]
    pub fn region(&self) -> String {
        self.region.clone()
    }

    /// The number for logs and admin views: the country code and the last four digits, the
    /// others replaced by `•` in groups of three, such as `+1 ••• ••• 0123`.
    #[must_use]
    pub fn masked(&self) -> String {
        let digits = self.e164.trim_start_matches('+');
        let (code, national) = digits.split_at(self.code_digits.min(digits.len()));
        // Short national numbers keep at most half their digits visible.
        let shown = 4.min(national.len() / 2);
        let (hidden, last) = national.split_at(national.len() - shown);
        let mut out = format!("+{code}");
        for (i, _) in hidden.char_indices() {
            if i % 3 == 0 {
                out.push(' ');
            }
            out.push('•');
        }
        if !last.is_empty() {
            out.push(' ');
            out.push_str(last);
        }
        out
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.masked()).finish()
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.e164
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164)
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::ViolationExt;
    use proptest::prelude::*;

    /// Numbers from the number plans' own mobile examples (libphonenumber metadata).
    const MOBILES: &[(&str, &str, &str)] = &[
        ("+1 (201) 555-0123", "+12015550123", "US"),
        ("+44 7400 123456", "+447400123456", "GB"),
        ("+44 (0)7400 123456", "+447400123456", "GB"),
        ("+49 1512 3456789", "+4915123456789", "DE"),
        ("+49 (0)1512 3456789", "+4915123456789", "DE"),
        ("+33 6 12 34 56 78", "+33612345678", "FR"),
        ("+39 312 345 6789", "+393123456789", "IT"),
        ("+61 412 345 678", "+61412345678", "AU"),
        ("+81 90-1234-5678", "+819012345678", "JP"),
        ("+91 81234 56789", "+918123456789", "IN"),
        ("  +4915123456789  ", "+4915123456789", "DE"),
    ];

    #[test]
    fn accepts_mobiles_as_typed_and_normalises_to_e164() {
        for (typed, e164, region) in MOBILES {
            let n = PhoneNumber::parse(typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!(n.as_str(), *e164, "{typed}");
            assert_eq!(n.region(), *region, "{typed}");
            assert_eq!(PhoneNumber::parse(n.as_str()).unwrap(), n);
        }
    }

    #[test]
    fn shared_country_codes_get_the_region_of_the_number() {
        // Toronto (416) under +1.
        let n = PhoneNumber::parse("+1 416 555 0123").unwrap();
        assert_eq!(n.region(), "CA");
    }

    #[test]
    fn refuses_national_numbers_and_the_00_prefix_naming_the_rule() {
        let err = PhoneNumber::parse("0151 23456789")
            .field("phone")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "phone: must be an international number in E.164 form: + and the country code, \
             such as +14155550123 (a national number without its country code is ambiguous)"
        );
        let err = PhoneNumber::parse("(415) 555-0123").unwrap_err();
        assert_eq!(
            err,
            Violation::Format {
                expected: EXPECTED_E164
            }
        );
        let err = PhoneNumber::parse("0049 1512 3456789")
            .field("phone")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "phone: must be written with + instead of the international prefix 00, \
             such as +4915123456789"
        );
        assert_eq!(
            PhoneNumber::parse("+0049 1512 3456789").unwrap_err(),
            Violation::Format {
                expected: EXPECTED_E164
            }
        );
    }

    #[test]
    fn refuses_garbage_empty_and_oversized() {
        assert_eq!(PhoneNumber::parse("  ").unwrap_err(), Violation::Required);
        assert_eq!(
            PhoneNumber::parse(&format!("+{}", "1".repeat(80))).unwrap_err(),
            Violation::TooLong { max: 64 }
        );
        for bad in [
            "+",
            "+ ",
            "+1 415 555 0123 ext. 4",
            "+1 415 555 0123;ext=4",
            "tel:+14155550123",
            "+1\n4155550123",
            "+1\u{202E}4155550123",
            "+١٤١٥٥٥٥٠١٢٣",
            "+1 415 CALL NOW",
            "++14155550123",
            "+1234567890123456789",
            "+49 1",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn refuses_invalid_numbers() {
        // Valid length but an unassigned range, and an impossible length.
        for bad in ["+1 011 555 0123", "+44 7400 1234", "+49 1512 34"] {
            assert_eq!(
                PhoneNumber::parse(bad).unwrap_err(),
                Violation::Format {
                    expected: EXPECTED_VALID
                },
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_number_types_that_cannot_receive_sms() {
        for (kind, number) in [
            ("UK fixed line", "+44 20 7946 0123"),
            ("DE fixed line", "+49 30 123456"),
            ("US toll free", "+1 800 234 5678"),
            ("US premium rate", "+1 900 234 5678"),
            ("UK premium rate", "+44 909 876 5432"),
            ("UK shared cost", "+44 845 464 1234"),
            ("UK VoIP", "+44 56 1234 5678"),
            ("UK pager", "+44 76 2345 6789"),
            ("UK personal number", "+44 70 1234 5678"),
            ("UK UAN", "+44 55 1234 5678"),
            ("FR toll free", "+33 801 23 45 67"),
        ] {
            assert_eq!(
                PhoneNumber::parse(number).unwrap_err(),
                Violation::Format {
                    expected: EXPECTED_MOBILE
                },
                "{kind} {number}"
            );
        }
    }

    #[test]
    fn refuses_global_service_numbers() {
        // International freephone (+800) has no region.
        assert!(PhoneNumber::parse("+800 1234 5678").is_err());
    }

    #[test]
    fn masked_keeps_the_country_code_and_the_last_four_digits() {
        let us = PhoneNumber::parse("+1 201 555 0123").unwrap();
        assert_eq!(us.masked(), "+1 ••• ••• 0123");
        let de = PhoneNumber::parse("+49 1512 3456789").unwrap();
        assert_eq!(de.masked(), "+49 ••• ••• • 6789");
        let gb = PhoneNumber::parse("+44 7400 123456").unwrap();
        assert_eq!(gb.masked(), "+44 ••• ••• 3456");
    }

    #[test]
    fn debug_prints_the_masked_number_only() {
        let n = PhoneNumber::parse("+1 201 555 0123").unwrap();
        let debug = format!("{n:?}");
        assert_eq!(debug, "PhoneNumber(\"+1 ••• ••• 0123\")");
        assert!(!debug.contains("2015550123"));
        assert!(!format!("{:?}", Some(&n)).contains("555"));
    }

    #[test]
    fn serde_is_the_e164_string_and_deserializing_validates() {
        let n = PhoneNumber::parse("+44 7400 123456").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"+447400123456\"");
        let back: PhoneNumber = serde_json::from_str("\"+44 (0)7400 123456\"").unwrap();
        assert_eq!(back, n);
        assert!(serde_json::from_str::<PhoneNumber>("\"+44 20 7946 0123\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("\"07400 123456\"").is_err());
        assert_eq!("+447400123456".parse::<PhoneNumber>().unwrap(), n);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,40}") {
            let _ = PhoneNumber::parse(&s);
        }

        #[test]
        fn never_panics_on_number_like_text(s in "[+0-9 ().;=a-z-]{0,30}") {
            if let Ok(n) = PhoneNumber::parse(&s) {
                let again = PhoneNumber::parse(n.as_str());
                prop_assert_eq!(again.as_ref(), Ok(&n));
            }
        }

        #[test]
        fn accepted_numbers_round_trip(
            (prefix, rest) in prop_oneof![
                Just(("+1201", 7usize)),
                Just(("+447400", 6)),
                Just(("+491512", 7)),
                Just(("+3361", 7)),
                Just(("+6141", 7)),
            ],
            digits in "[2-9][0-9]{7}",
            sep in prop_oneof![Just(""), Just(" "), Just("-")],
        ) {
            // Every number of these mobile ranges is valid in its plan, so each must parse.
            let typed = format!("{prefix}{sep}{}", &digits[..rest]);
            let n = PhoneNumber::parse(&typed);
            prop_assert!(n.is_ok(), "{} refused: {:?}", typed, n);
            let n = n.unwrap();
            prop_assert!(n.as_str().starts_with('+'));
            prop_assert!(n.as_str().len() <= PhoneNumber::MAX_DIGITS + 1);
            prop_assert!(n.as_str()[1..].bytes().all(|b| b.is_ascii_digit()));
            let again = PhoneNumber::parse(n.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&n));
            prop_assert_eq!(again.map(|a| a.region()), Ok(n.region()));
            let masked = n.masked();
            prop_assert!(masked.ends_with(&n.as_str()[n.as_str().len() - 4..]));
            prop_assert!(!masked.contains(&n.as_str()[1..]));
            let debug = format!("{n:?}");
            prop_assert!(!debug.contains(&n.as_str()[1..]));
        }
    }
}
