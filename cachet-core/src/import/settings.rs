//! Cachet's settings, as the ones that have a counterpart here.

use std::collections::BTreeMap;

use super::builder::{Builder, text};
use super::source::{Row, rows};
use super::{SchemaVersion, Source};
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

/// A Cachet 3 setting (spatie/laravel-settings `group` and `name`) as ours, where there is
/// one.
fn cachet3_key(group: &str, name: &str) -> Option<SettingKey> {
    Some(match (group, name) {
        ("app", "name") => SettingKey::AppName,
        ("app", "about") => SettingKey::AppAbout,
        ("app", "timezone") => SettingKey::AppTimezone,
        ("app", "locale") => SettingKey::AppLocale,
        ("app", "incident_days") => SettingKey::AppIncidentDays,
        ("app", "only_disrupted_days") => SettingKey::OnlyDisruptedDays,
        ("app", "display_graphs") => SettingKey::DisplayGraphs,
        ("app", "show_timezone") => SettingKey::ShowTimezone,
        ("app", "major_outage_threshold") => SettingKey::MajorOutageRate,
        ("mail", "allow_subscribers") => SettingKey::EnableSubscribers,
        _ => return None,
    })
}

/// A spatie settings payload (JSON) as a setting's text: `None` for JSON `null` (unset).
fn payload_text(payload: &str) -> Result<Option<String>, String> {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Null) => Ok(None),
        Ok(serde_json::Value::String(s)) => Ok(Some(s)),
        Ok(serde_json::Value::Bool(b)) => Ok(Some(if b { "1" } else { "0" }.to_owned())),
        Ok(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Ok(_) => Err("payload: not a single value".to_owned()),
        Err(_) => Err("payload: not JSON".to_owned()),
    }
}

/// One settings row as a key and its value here: `Ok(None)` for a setting with no
/// counterpart (skipped).
fn setting(row: &Row<'_>, version: SchemaVersion) -> Result<Option<(SettingKey, String)>, String> {
    let name = row.text("name").trim();
    let (key, value) = match version {
        SchemaVersion::Cachet3 | SchemaVersion::Cachet3From24 => {
            let Some(key) = cachet3_key(row.text("group").trim(), name) else {
                return Ok(None);
            };
            let Some(value) = payload_text(row.text("payload"))? else {
                return Ok(None);
            };
            (key, value)
        }
        _ => match name {
            "date_format" => (SettingKey::DateFormat, row.text("value").to_owned()),
            "app_locale" => (SettingKey::AppLocale, row.text("value").to_owned()),
            other => match SettingKey::parse(other) {
                Ok(k) => (k, row.text("value").to_owned()),
                Err(_) => return Ok(None),
            },
        },
    };
    Ok(Some(match key {
        // Cachet's pattern is a PHP date format; ours is a closed set of styles.
        SettingKey::DateFormat => (key, date_style(&value).as_str().to_owned()),
        SettingKey::AppLocale => (key, value.replace('_', "-")),
        _ => (key, value),
    }))
}

pub(super) fn map_settings(b: &mut Builder, source: &Source, version: SchemaVersion) -> Locale {
    let mut settings = Settings::default();
    let mut chosen: BTreeMap<SettingKey, String> = BTreeMap::new();
    let mut read = 0;
    for row in rows(source, "settings") {
        read += 1;
        let id = row.id();
        let (key, value) = match setting(&row, version) {
            Ok(Some(kv)) => kv,
            Ok(None) => {
                b.skip("settings");
                continue;
            }
            Err(e) => {
                b.reject("settings", id, e);
                continue;
            }
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
