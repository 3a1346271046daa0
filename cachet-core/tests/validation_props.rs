//! Validation never panics on arbitrary input, and whatever it accepts is a fixed point:
//! parsing the accepted value's text again gives the same value (so stores can re-validate
//! what they read without drifting).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use proptest::prelude::*;

use cachet_core::model::*;
use cachet_core::validate::*;

/// Arbitrary strings, biased toward the characters validators care about.
fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<String>(),
        Just("\r\n".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\0".to_owned()),
        Just("@".to_owned()),
        Just("://".to_owned()),
        Just("javascript:".to_owned()),
        Just("<script>".to_owned()),
        Just("..".to_owned()),
        Just("-".to_owned()),
        Just(".".to_owned()),
        Just(" ".to_owned()),
        Just("é".to_owned()),
        Just("😀".to_owned()),
        "[a-z0-9]{1,12}",
        "[0-9.+-]{1,20}",
    ];
    proptest::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

macro_rules! fixed_point {
    ($ty:ty, $s:expr) => {
        if let Ok(v) = <$ty>::parse($s) {
            let again = <$ty>::parse(v.as_str());
            prop_assert_eq!(
                again.as_ref(),
                Ok(&v),
                "{} is not a fixed point for {:?}",
                stringify!($ty),
                $s
            );
        }
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn validators_never_panic_and_accepted_values_are_fixed_points(s in nasty()) {
        fixed_point!(Name, &s);
        fixed_point!(Text, &s);
        fixed_point!(Markdown, &s);
        fixed_point!(Slug, &s);
        fixed_point!(Email, &s);
        fixed_point!(HttpUrl, &s);
        fixed_point!(Locale, &s);
        fixed_point!(TimeZoneName, &s);
        if let Ok(v) = MetricValue::parse(&s) {
            prop_assert_eq!(MetricValue::parse(&v.to_string()), Ok(v));
        }
        let _ = Meta::parse_json(&s);
        let _ = Slug::from_name(&s);
        let _ = SettingKey::parse(&s);
        let _ = Role::parse(&s);
        let _ = TokenScope::parse(&s);
        let mut settings = Settings::default();
        for key in SettingKey::ALL {
            let _ = settings.set(*key, &s);
        }
    }

    #[test]
    fn accepted_single_line_values_can_never_split_a_header(s in nasty()) {
        for v in [Name::parse(&s).map(Name::into_string), Email::parse(&s).map(Email::into_string), HttpUrl::parse(&s).map(HttpUrl::into_string)].into_iter().flatten() {
            prop_assert!(!v.contains('\r') && !v.contains('\n') && !v.chars().any(char::is_control), "{:?}", v);
        }
    }

    #[test]
    fn numbers_and_codes_never_panic(n in any::<i64>(), f in any::<f64>()) {
        let _ = Order::new(n);
        let _ = Places::new(n);
        let _ = Threshold::new(n);
        let _ = MetricValue::from_millis(n);
        let _ = MetricValue::from_f64(f);
        let _ = ComponentStatus::from_code(n);
        let _ = IncidentStatus::from_code(n);
        let _ = ScheduleStatus::from_code(n);
        let _ = CalcType::from_code(n);
        let _ = MetricView::from_code(n);
        let _ = Visibility::from_code(n);
        let _ = Collapsed::from_code(n);
        let _ = GroupVisibility::from_code(n);
        if let Ok(v) = MetricValue::from_f64(f) {
            prop_assert!(v.millis().unsigned_abs() <= MetricValue::MAX_MILLIS.unsigned_abs());
        }
    }
}
