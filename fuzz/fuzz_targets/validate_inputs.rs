//! Every validator on arbitrary text: never panics, and accepted values are fixed points.
#![no_main]

use cachet_core::validate::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(v) = Name::parse(data) {
        assert_eq!(Name::parse(v.as_str()).as_ref(), Ok(&v));
        assert!(!v.as_str().contains(['\r', '\n']));
    }
    if let Ok(v) = Email::parse(data) {
        assert_eq!(Email::parse(v.as_str()).as_ref(), Ok(&v));
    }
    if let Ok(v) = HttpUrl::parse(data) {
        assert_eq!(HttpUrl::parse(v.as_str()).as_ref(), Ok(&v));
    }
    let _ = Text::parse(data);
    let _ = Markdown::parse(data);
    let _ = Slug::parse(data);
    let _ = Slug::from_name(data);
    let _ = Locale::parse(data);
    let _ = TimeZoneName::parse(data);
    let _ = MetricValue::parse(data);
    let _ = Meta::parse_json(data);
});
