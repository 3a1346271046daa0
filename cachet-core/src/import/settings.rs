//! Cachet's settings, as the ones that have a counterpart here.

use std::collections::BTreeMap;

use super::Source;
use super::builder::{Builder, text};
use super::source::rows;
use crate::model::{DateStyle, SettingKey, Settings};
use crate::validate::Locale;

/// A PHP date pattern (`jS F Y`, `d/m/Y`) as the closest of our date styles.
pub(super) fn date_style(php: &str) -> DateStyle {
    let p: String = php.chars().filter(|c| "dDjmMnFYy".contains(*c)).collect();
    if p.starts_with('Y') {
        DateStyle::Iso
    } else if p.starts_with(['d', 'j']) && p.contains(['m', 'n']) {
        DateStyle::Dmy
    } else if p.starts_with(['m', 'n']) {
        DateStyle::Mdy
    } else {
        DateStyle::Medium
    }
}

pub(super) fn map_settings(b: &mut Builder, source: &Source) -> Locale {
    let mut settings = Settings::default();
    let mut chosen: BTreeMap<SettingKey, String> = BTreeMap::new();
    let mut read = 0;
    for row in rows(source, "settings") {
        read += 1;
        let id = row.id();
        let name = row.text("name").trim().to_owned();
        let value = row.text("value").to_owned();
        let (key, value) = match name.as_str() {
            // Cachet's pattern is a PHP date format; ours is a closed set of styles.
            "date_format" => (
                SettingKey::DateFormat,
                date_style(&value).as_str().to_owned(),
            ),
            "app_locale" => (SettingKey::AppLocale, value.replace('_', "-")),
            other => match SettingKey::parse(other) {
                Ok(k) => (k, value),
                Err(_) => {
                    b.skip("settings");
                    continue;
                }
            },
        };
        match settings.set(key, &value) {
            Ok(()) => {
                chosen.insert(key, settings.get(key));
            }
            Err(e) => b.reject("settings", id, e.to_string()),
        }
    }
    b.count("settings", read, chosen.len());
    for (k, v) in chosen {
        b.push("settings", vec![text(k.as_str()), text(v)]);
    }
    settings.app_locale
}
