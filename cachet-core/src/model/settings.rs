//! Typed settings. Keys are a closed enum and values are parsed into typed fields, so there
//! is no free-form configuration file to rewrite and nothing is ever expanded (Cachet's
//! `.env` CVEs, CVE-2021-39172 and CVE-2021-39174, cannot happen here).

use super::str_enum;
use crate::validate::{
    HttpUrl, Locale, Markdown, Name, TimeZoneName, ValidationError, Violation, ViolationExt,
};

str_enum! {
    /// Every setting key. Stores keep `(key, value)` rows for these and nothing else.
    pub enum SettingKey : "a known setting name" {
        /// Site name.
        AppName = "app_name",
        /// About text (Markdown).
        AppAbout = "app_about",
        /// Site time zone.
        AppTimezone = "app_timezone",
        /// Site locale.
        AppLocale = "app_locale",
        /// Days of incident timeline on the page.
        AppIncidentDays = "app_incident_days",
        /// Pick the locale from Accept-Language.
        AutomaticLocalization = "automatic_localization",
        /// How dates are written on the pages (`medium`, `iso`, `dmy`, `mdy`).
        DateFormat = "date_format",
        /// Show only days with incidents in the timeline.
        OnlyDisruptedDays = "only_disrupted_days",
        /// Show metric charts.
        DisplayGraphs = "display_graphs",
        /// Show the time zone on the page.
        ShowTimezone = "show_timezone",
        /// Allow subscriptions.
        EnableSubscribers = "enable_subscribers",
        /// Default of `verify` for API-created subscribers.
        SkipSubscriberVerification = "skip_subscriber_verification",
        /// No notifications for components under maintenance.
        SuppressNotificationsInMaintenance = "suppress_notifications_in_maintenance",
        /// Require a token for every API v1 read too.
        AlwaysAuthenticate = "always_authenticate",
        /// Admins must enrol in 2FA before doing anything else.
        Require2faForAdmins = "require_2fa_for_admins",
        /// Origins allowed by CORS on the public JSON and feeds, comma separated.
        AllowedDomains = "allowed_domains",
        /// Percentage of components down that makes a group a major outage.
        MajorOutageRate = "major_outage_rate",
        /// Accent colour (`#rrggbb`).
        ThemeAccent = "theme_accent",
        /// Colour for operational (`#rrggbb`).
        ThemeGreens = "style_greens",
        /// Colour for performance issues.
        ThemeBlues = "style_blues",
        /// Colour for partial outages.
        ThemeYellows = "style_yellows",
        /// Colour for major outages.
        ThemeReds = "style_reds",
    }
}

/// The typed settings, with Cachet's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Site name; `None` until setup.
    pub app_name: Option<Name>,
    /// About text.
    pub app_about: Markdown,
    /// Time zone.
    pub app_timezone: TimeZoneName,
    /// Locale.
    pub app_locale: Locale,
    /// Timeline days (1 to 90).
    pub app_incident_days: u8,
    /// Locale from Accept-Language.
    pub automatic_localization: bool,
    /// How dates are written on the pages.
    pub date_format: DateStyle,
    /// Only disrupted days.
    pub only_disrupted_days: bool,
    /// Show charts.
    pub display_graphs: bool,
    /// Show the time zone.
    pub show_timezone: bool,
    /// Allow subscriptions.
    pub enable_subscribers: bool,
    /// API `verify` default.
    pub skip_subscriber_verification: bool,
    /// Maintenance suppresses notifications for its components.
    pub suppress_notifications_in_maintenance: bool,
    /// Token required for API reads.
    pub always_authenticate: bool,
    /// Admins must use 2FA.
    pub require_2fa_for_admins: bool,
    /// CORS origins (each an `http(s)://host[:port]` origin).
    pub allowed_domains: Vec<HttpUrl>,
    /// Major outage percentage (0 to 100).
    pub major_outage_rate: u8,
    /// Accent colour.
    pub theme_accent: String,
    /// Operational colour.
    pub theme_greens: String,
    /// Performance issues colour.
    pub theme_blues: String,
    /// Partial outage colour.
    pub theme_yellows: String,
    /// Major outage colour.
    pub theme_reds: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            app_name: None,
            app_about: Markdown::empty(),
            app_timezone: TimeZoneName::utc(),
            app_locale: Locale::english(),
            app_incident_days: 7,
            automatic_localization: false,
            date_format: DateStyle::Medium,
            only_disrupted_days: false,
            display_graphs: true,
            show_timezone: false,
            enable_subscribers: true,
            skip_subscriber_verification: false,
            suppress_notifications_in_maintenance: true,
            always_authenticate: false,
            require_2fa_for_admins: false,
            allowed_domains: Vec::new(),
            major_outage_rate: 50,
            theme_accent: "#2563eb".to_owned(),
            theme_greens: "#16a34a".to_owned(),
            theme_blues: "#2563eb".to_owned(),
            theme_yellows: "#ca8a04".to_owned(),
            theme_reds: "#dc2626".to_owned(),
        }
    }
}

str_enum! {
    /// How dates are written on the pages. A closed set rather than Cachet's free-form PHP
    /// date pattern: a pattern stored in the database would be a format string interpreted
    /// at render time (chrono panics on an invalid one), and every style here is localised.
    pub enum DateStyle : "medium, iso, dmy or mdy" {
        /// The locale's own: `Nov 22, 2026`, `22. Nov. 2026`, `22 nov. 2026`.
        Medium = "medium",
        /// ISO 8601: `2026-11-22`.
        Iso = "iso",
        /// Day first, numeric: `22/11/2026` (`22.11.2026` in German).
        Dmy = "dmy",
        /// Month first, numeric: `11/22/2026`.
        Mdy = "mdy",
    }
}

fn parse_bool(s: &str) -> Result<bool, Violation> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" | "" => Ok(false),
        _ => Err(Violation::NotAllowed {
            allowed: "true, false, 1 or 0",
        }),
    }
}

fn parse_u8(s: &str, min: u8, max: u8) -> Result<u8, Violation> {
    s.trim()
        .parse::<u8>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or(Violation::OutOfRange {
            min: i64::from(min),
            max: i64::from(max),
        })
}

fn parse_colour(s: &str) -> Result<String, Violation> {
    let s = s.trim();
    let ok = s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(Violation::Format {
            expected: "a colour such as #1a2b3c",
        })
    }
}

fn bool_str(b: bool) -> String {
    if b { "1" } else { "0" }.to_owned()
}

impl Settings {
    /// Applies one `(key, value)` pair, validating the value.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] naming the key and the rule.
    pub fn set(&mut self, key: SettingKey, value: &str) -> Result<(), ValidationError> {
        use SettingKey as K;
        let f = key.as_str();
        match key {
            K::AppName => {
                self.app_name = if value.trim().is_empty() {
                    None
                } else {
                    Some(Name::parse(value).field(f)?)
                };
            }
            K::AppAbout => self.app_about = Markdown::parse(value).field(f)?,
            K::AppTimezone => self.app_timezone = TimeZoneName::parse(value).field(f)?,
            K::AppLocale => self.app_locale = Locale::parse(value).field(f)?,
            K::AppIncidentDays => self.app_incident_days = parse_u8(value, 1, 90).field(f)?,
            K::AutomaticLocalization => self.automatic_localization = parse_bool(value).field(f)?,
            K::DateFormat => self.date_format = DateStyle::parse(value.trim()).field(f)?,
            K::OnlyDisruptedDays => self.only_disrupted_days = parse_bool(value).field(f)?,
            K::DisplayGraphs => self.display_graphs = parse_bool(value).field(f)?,
            K::ShowTimezone => self.show_timezone = parse_bool(value).field(f)?,
            K::EnableSubscribers => self.enable_subscribers = parse_bool(value).field(f)?,
            K::SkipSubscriberVerification => {
                self.skip_subscriber_verification = parse_bool(value).field(f)?
            }
            K::SuppressNotificationsInMaintenance => {
                self.suppress_notifications_in_maintenance = parse_bool(value).field(f)?;
            }
            K::AlwaysAuthenticate => self.always_authenticate = parse_bool(value).field(f)?,
            K::Require2faForAdmins => self.require_2fa_for_admins = parse_bool(value).field(f)?,
            K::AllowedDomains => {
                self.allowed_domains = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(HttpUrl::parse)
                    .collect::<Result<_, _>>()
                    .field(f)?;
            }
            K::MajorOutageRate => self.major_outage_rate = parse_u8(value, 0, 100).field(f)?,
            K::ThemeAccent => self.theme_accent = parse_colour(value).field(f)?,
            K::ThemeGreens => self.theme_greens = parse_colour(value).field(f)?,
            K::ThemeBlues => self.theme_blues = parse_colour(value).field(f)?,
            K::ThemeYellows => self.theme_yellows = parse_colour(value).field(f)?,
            K::ThemeReds => self.theme_reds = parse_colour(value).field(f)?,
        }
        Ok(())
    }

    /// Builds settings from stored pairs over the defaults.
    ///
    /// # Errors
    ///
    /// The first invalid value.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (SettingKey, &'a str)>,
    ) -> Result<Self, ValidationError> {
        let mut s = Self::default();
        for (k, v) in pairs {
            s.set(k, v)?;
        }
        Ok(s)
    }

    /// The stored text of one setting.
    #[must_use]
    pub fn get(&self, key: SettingKey) -> String {
        use SettingKey as K;
        match key {
            K::AppName => self
                .app_name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            K::AppAbout => self.app_about.as_str().to_owned(),
            K::AppTimezone => self.app_timezone.as_str().to_owned(),
            K::AppLocale => self.app_locale.as_str().to_owned(),
            K::AppIncidentDays => self.app_incident_days.to_string(),
            K::AutomaticLocalization => bool_str(self.automatic_localization),
            K::DateFormat => self.date_format.as_str().to_owned(),
            K::OnlyDisruptedDays => bool_str(self.only_disrupted_days),
            K::DisplayGraphs => bool_str(self.display_graphs),
            K::ShowTimezone => bool_str(self.show_timezone),
            K::EnableSubscribers => bool_str(self.enable_subscribers),
            K::SkipSubscriberVerification => bool_str(self.skip_subscriber_verification),
            K::SuppressNotificationsInMaintenance => {
                bool_str(self.suppress_notifications_in_maintenance)
            }
            K::AlwaysAuthenticate => bool_str(self.always_authenticate),
            K::Require2faForAdmins => bool_str(self.require_2fa_for_admins),
            K::AllowedDomains => self
                .allowed_domains
                .iter()
                .map(HttpUrl::as_str)
                .collect::<Vec<_>>()
                .join(","),
            K::MajorOutageRate => self.major_outage_rate.to_string(),
            K::ThemeAccent => self.theme_accent.clone(),
            K::ThemeGreens => self.theme_greens.clone(),
            K::ThemeBlues => self.theme_blues.clone(),
            K::ThemeYellows => self.theme_yellows.clone(),
            K::ThemeReds => self.theme_reds.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_round_trips_through_its_text() {
        let mut s = Settings::default();
        s.set(SettingKey::AppName, "Acme Status").unwrap();
        s.set(
            SettingKey::AllowedDomains,
            "https://a.example, https://b.example",
        )
        .unwrap();
        for key in SettingKey::ALL {
            let text = s.get(*key);
            let mut t = s.clone();
            t.set(*key, &text).unwrap();
            assert_eq!(t, s, "{key}");
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut s = Settings::default();
        let err = s.set(SettingKey::AppName, "a\nAPP_KEY=x").unwrap_err();
        assert_eq!(err.field(), "app_name");
        assert!(s.set(SettingKey::ThemeReds, "red;}</style>").is_err());
        assert!(s.set(SettingKey::AppIncidentDays, "0").is_err());
        assert!(s.set(SettingKey::AlwaysAuthenticate, "maybe").is_err());
        assert!(SettingKey::parse("mail_password").is_err());
    }
}
