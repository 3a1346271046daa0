//! Inbound monitoring alerts: integrations (a sender such as Alertmanager, authenticated by
//! its own secret), their rules (which alert moves which component to which status) and
//! the state of each alert a rule matched (for hold times and idempotent repeats).

use std::collections::BTreeMap;

use super::{
    AlertRuleId, ComponentId, ComponentStatus, IntegrationId, TemplateId, Timestamp, TokenHash,
    str_enum,
};
use crate::validate::{Markdown, Name, Violation};

str_enum! {
    /// Which sender an integration takes deliveries from: decides the payload it parses.
    pub enum IntegrationKind : "alertmanager, grafana, uptime_kuma, gatus, generic" {
        /// Prometheus Alertmanager's `webhook_config` (payload version 4).
        Alertmanager = "alertmanager",
        /// Grafana alerting's webhook contact point.
        Grafana = "grafana",
        /// Uptime Kuma's webhook notification.
        UptimeKuma = "uptime_kuma",
        /// Gatus's custom alerting provider, with the body the README documents.
        Gatus = "gatus",
        /// The generic JSON push (`{"key", "status", "summary"}`).
        Generic = "generic",
    }
}

impl IntegrationKind {
    /// The label a rule of this kind usually matches on, for forms and documentation.
    #[must_use]
    pub fn example_matcher(self) -> &'static str {
        match self {
            Self::Alertmanager | Self::Grafana => "alertname=HighLatency, service=checkout",
            Self::UptimeKuma => "monitor=Checkout API",
            Self::Gatus => "name=checkout",
            Self::Generic => "key=checkout",
        }
    }
}

/// A sender of alerts, authenticated by a secret that is shown once and stored as its
/// SHA-256 (like an API token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// Its id.
    pub id: IntegrationId,
    /// The sender's kind.
    pub kind: IntegrationKind,
    /// Display name; the audit log names its writes `integration:<name>`.
    pub name: Name,
    /// Whether deliveries are taken (a disabled integration's deliveries change nothing).
    pub enabled: bool,
    /// SHA-256 of the secret.
    pub secret_hash: TokenHash,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What creating an integration needs: [`NewIntegration::new`], enabled unless
/// [`NewIntegration::with_enabled`] says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewIntegration {
    /// The sender's kind.
    pub kind: IntegrationKind,
    /// Display name.
    pub name: Name,
    /// Whether deliveries are taken.
    pub enabled: bool,
    /// SHA-256 of the secret.
    pub secret_hash: TokenHash,
}

/// The fields an integration update changes (the kind never changes: rules are written for
/// one sender's labels).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationPatch {
    /// New name.
    pub name: Option<Name>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// A rotated secret's hash.
    pub secret_hash: Option<TokenHash>,
}

impl IntegrationPatch {
    /// Applies the patch: sets exactly the fields it names.
    pub fn apply_to(&self, i: &mut Integration) {
        if let Some(name) = &self.name {
            i.name = name.clone();
        }
        if let Some(enabled) = self.enabled {
            i.enabled = enabled;
        }
        if let Some(hash) = self.secret_hash {
            i.secret_hash = hash;
        }
    }
}

/// Label equality an alert must meet, every pair (`alertname=HighLatency, service=checkout`):
/// Alertmanager and Grafana alerts are matched on their labels, Uptime Kuma on `monitor`
/// (and `monitor_id`), Gatus on `name` (and `group`), the generic push on `key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AlertMatcher(BTreeMap<String, String>);

impl AlertMatcher {
    /// At most this many pairs.
    pub const MAX_PAIRS: usize = 16;
    /// The longest label name.
    pub const MAX_KEY_CHARS: usize = 64;
    /// The longest label value.
    pub const MAX_VALUE_CHARS: usize = 255;

    /// Parses `name=value` pairs separated by commas (values cannot hold a comma here; a
    /// repeated name keeps its last value).
    ///
    /// # Errors
    ///
    /// [`Violation::Required`] for no pair, [`Violation::Format`] for a pair without `=` or
    /// a name other than letters, digits, `_`, `.` and `-`, [`Violation::TooLong`] and the
    /// single-line rules for a value.
    pub fn parse(s: &str) -> Result<Self, Violation> {
        let mut pairs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or(Violation::Format {
                expected: "name=value pairs separated by commas",
            })?;
            pairs.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        Self::from_pairs(pairs)
    }

    /// The matcher of these pairs, each checked as [`AlertMatcher::parse`] does.
    ///
    /// # Errors
    ///
    /// As [`AlertMatcher::parse`].
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Violation> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if k.is_empty()
                || k.chars().count() > Self::MAX_KEY_CHARS
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            {
                return Err(Violation::Format {
                    expected: "label names of letters, digits, _ . - (at most 64)",
                });
            }
            let v = Name::parse_bounded(&v, Self::MAX_VALUE_CHARS)?;
            map.insert(k, v.as_str().to_owned());
        }
        if map.is_empty() {
            return Err(Violation::Required);
        }
        if map.len() > Self::MAX_PAIRS {
            return Err(Violation::TooLong {
                max: Self::MAX_PAIRS,
            });
        }
        Ok(Self(map))
    }

    /// The stored form: a JSON object of the pairs, keys sorted.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// Reads the stored form back, with the same checks.
    ///
    /// # Errors
    ///
    /// [`Violation::Format`] for text that is not a JSON object of strings, else as
    /// [`AlertMatcher::parse`].
    pub fn from_json(s: &str) -> Result<Self, Violation> {
        let map: BTreeMap<String, String> =
            serde_json::from_str(s).map_err(|_| Violation::Format {
                expected: "a JSON object of label names to values",
            })?;
        Self::from_pairs(map)
    }

    /// Whether every pair is among `labels`.
    #[must_use]
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|(k, v)| labels.get(k) == Some(v))
    }

    /// The pairs, by name.
    #[must_use]
    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl std::fmt::Display for AlertMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// The longest hold time, in seconds (a day: longer waits are not hysteresis any more).
pub const MAX_HOLD_SECS: u32 = 86_400;

/// What a rule does, as an admin sets it: everything but its integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRuleSettings {
    /// The component the rule moves.
    pub component_id: ComponentId,
    /// Which alerts it takes.
    pub matcher: AlertMatcher,
    /// The component's status while the alert fires (major outage unless chosen).
    pub status: ComponentStatus,
    /// Open an incident when the component leaves operational, from this template (its
    /// name is the title, its body the message, with `{{ component }}`, `{{ summary }}`,
    /// `{{ status }}` and the alert's labels as variables).
    pub template_id: Option<TemplateId>,
    /// Or open one with this title (ignored when a template is chosen).
    pub incident_title: Option<Name>,
    /// ... and this message.
    pub incident_message: Option<Markdown>,
    /// The message of the update that resolves the incident on recovery.
    pub resolution: Option<Markdown>,
    /// How long the alert must fire before the component changes, in seconds.
    pub hold_secs: u32,
    /// How long it must be resolved before the component recovers, in seconds.
    pub recovery_hold_secs: u32,
}

impl AlertRuleSettings {
    /// Whether the rule opens an incident.
    #[must_use]
    pub fn opens_incident(&self) -> bool {
        self.template_id.is_some() || self.incident_title.is_some()
    }

    /// Replaces every setting of `rule` (the one patch rule of rules: an update sets them all).
    pub fn apply_to(&self, rule: &mut AlertRule) {
        rule.settings = self.clone();
    }
}

/// A rule of an integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// Its id.
    pub id: AlertRuleId,
    /// The integration whose deliveries it reads.
    pub integration_id: IntegrationId,
    /// What it does.
    pub settings: AlertRuleSettings,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What creating a rule needs: [`NewAlertRule::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewAlertRule {
    /// The integration (must exist).
    pub integration_id: IntegrationId,
    /// What it does (the component must exist).
    pub settings: AlertRuleSettings,
}

impl NewAlertRule {
    /// A rule of an integration.
    #[must_use]
    pub fn new(integration_id: IntegrationId, settings: AlertRuleSettings) -> Self {
        Self {
            integration_id,
            settings,
        }
    }
}

impl NewIntegration {
    /// An enabled integration of a sender's kind, with its secret's hash.
    #[must_use]
    pub fn new(kind: IntegrationKind, name: Name, secret_hash: TokenHash) -> Self {
        Self {
            kind,
            name,
            enabled: true,
            secret_hash,
        }
    }
}

super::with_setters! {
    NewIntegration { with_enabled => enabled: bool }
}

/// The key of one alert under a rule: 1 to [`AlertKey::MAX_CHARS`] printable ASCII
/// characters (a sender's fingerprint, or a digest of the alert's labels).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey(String);

impl AlertKey {
    /// The longest key.
    pub const MAX_CHARS: usize = 128;

    /// Checks a key.
    ///
    /// # Errors
    ///
    /// [`Violation::Required`], [`Violation::TooLong`], [`Violation::Format`].
    pub fn parse(s: &str) -> Result<Self, Violation> {
        if s.is_empty() {
            return Err(Violation::Required);
        }
        if s.len() > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Violation::Format {
                expected: "printable ASCII without spaces",
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The key of a SHA-256 digest: its 64 hex digits.
    #[must_use]
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        Self(hex::encode(digest))
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The stored state of one alert under one rule: what the sender last said and since when
/// (so a hold time survives a restart and runs on whichever instance ticks), and whether
/// the component already follows it. A repeated delivery of the same state changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertState {
    /// The rule.
    pub rule_id: AlertRuleId,
    /// The alert.
    pub key: AlertKey,
    /// Whether the sender last said it fires.
    pub firing: bool,
    /// Since when the sender has said so.
    pub since: Timestamp,
    /// Whether the firing state has outlasted its hold time and moved the component; a row
    /// whose resolution has outlasted the recovery hold is deleted instead.
    pub confirmed: bool,
    /// The sender's one-line summary when it started firing (for incident templates).
    pub summary: String,
}

/// A delivery's word on one alert under one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertObservation {
    /// The rule.
    pub rule_id: AlertRuleId,
    /// The alert.
    pub key: AlertKey,
    /// Whether it fires.
    pub firing: bool,
    /// Its summary (single line, at most [`AlertObservation::MAX_SUMMARY_CHARS`]).
    pub summary: String,
}

impl AlertObservation {
    /// The longest stored summary.
    pub const MAX_SUMMARY_CHARS: usize = 500;

    /// A summary as stored: control and bidi characters dropped, cut to the limit.
    #[must_use]
    pub fn clean_summary(s: &str) -> String {
        s.chars()
            .filter(|c| !crate::log::needs_escape(*c))
            .take(Self::MAX_SUMMARY_CHARS)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_matcher_needs_every_pair_and_ignores_other_labels() {
        let m = AlertMatcher::parse(" alertname=HighLatency , service=checkout ").unwrap();
        assert_eq!(m.to_string(), "alertname=HighLatency, service=checkout");
        assert!(m.matches(&labels(&[
            ("alertname", "HighLatency"),
            ("service", "checkout"),
            ("severity", "page"),
        ])));
        assert!(!m.matches(&labels(&[("alertname", "HighLatency")])));
        assert!(!m.matches(&labels(&[
            ("alertname", "HighLatency"),
            ("service", "Checkout"),
        ])));
        // A value may hold `=`; the stored form reads back the same.
        let eq = AlertMatcher::parse("query=a=b").unwrap();
        assert_eq!(eq.pairs()["query"], "a=b");
        assert_eq!(AlertMatcher::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn bad_matchers_name_the_rule() {
        assert_eq!(AlertMatcher::parse(""), Err(Violation::Required));
        assert_eq!(AlertMatcher::parse(" , "), Err(Violation::Required));
        assert!(matches!(
            AlertMatcher::parse("no pairs"),
            Err(Violation::Format { .. })
        ));
        assert!(matches!(
            AlertMatcher::parse("bad key=x"),
            Err(Violation::Format { .. })
        ));
        assert_eq!(AlertMatcher::parse("a="), Err(Violation::Required));
        assert_eq!(
            AlertMatcher::parse("a=x\u{202e}y"),
            Err(Violation::BidiOverride)
        );
        let many: Vec<String> = (0..17).map(|i| format!("k{i}=v")).collect();
        assert_eq!(
            AlertMatcher::parse(&many.join(",")),
            Err(Violation::TooLong { max: 16 })
        );
        assert!(AlertMatcher::from_json("[1]").is_err());
    }

    #[test]
    fn alert_keys_are_printable_ascii() {
        assert!(AlertKey::parse("1a2b3c").is_ok());
        assert_eq!(AlertKey::parse(""), Err(Violation::Required));
        assert!(AlertKey::parse("a b").is_err());
        assert!(AlertKey::parse(&"x".repeat(129)).is_err());
        assert_eq!(AlertKey::from_digest(&[0xab; 32]).as_str(), "ab".repeat(32));
    }
}
