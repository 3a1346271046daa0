//! The senders' native payloads, read into one shape: alerts with labels, firing or not, and
//! a one-line summary. Every refusal names the field and the rule (`alerts[2].status: must
//! be "firing" or "resolved"`), so a misconfigured sender can be fixed from the answer.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{AlertKey, AlertMatcher, AlertObservation, IntegrationKind};

/// At most this many alerts in one delivery (Alertmanager's `max_alerts` is unlimited by
/// default, but a group this large is a misconfiguration, not an outage report).
pub const MAX_ALERTS: usize = 1000;

/// A field of a payload that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct PayloadError {
    /// Where in the payload (`alerts[0].labels`, `heartbeat.status`).
    pub field: String,
    /// What it must be.
    pub rule: &'static str,
}

fn bad(field: impl Into<String>, rule: &'static str) -> PayloadError {
    PayloadError {
        field: field.into(),
        rule,
    }
}

/// One alert of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Its labels: what rules match on.
    pub labels: BTreeMap<String, String>,
    /// Whether it fires (`None`: the sender says nothing either way, as Uptime Kuma's
    /// pending and maintenance heartbeats).
    pub firing: Option<bool>,
    /// A one-line summary (cleaned: no control or bidi characters, at most 500 characters).
    pub summary: String,
}

impl Incoming {
    /// The alert's identity under a rule: a digest of its labels, so the same alert gets the
    /// same key from every delivery, whichever instance takes it.
    #[must_use]
    pub fn key(&self) -> AlertKey {
        let mut h = Sha256::new();
        for (k, v) in &self.labels {
            h.update((k.len() as u64).to_be_bytes());
            h.update(k.as_bytes());
            h.update((v.len() as u64).to_be_bytes());
            h.update(v.as_bytes());
        }
        AlertKey::from_digest(&h.finalize().into())
    }
}

/// Reads a delivery of `kind`.
///
/// # Errors
///
/// A [`PayloadError`] naming the first field that breaks a rule.
pub fn parse(kind: IntegrationKind, body: &[u8]) -> Result<Vec<Incoming>, PayloadError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad("body", "must be a JSON document"))?;
    let Value::Object(root) = value else {
        return Err(bad("body", "must be a JSON object"));
    };
    match kind {
        IntegrationKind::Alertmanager => alertmanager(&root, true),
        IntegrationKind::Grafana => alertmanager(&root, false),
        IntegrationKind::UptimeKuma => uptime_kuma(&root),
        IntegrationKind::Gatus => gatus(&root),
        IntegrationKind::Generic => generic(&root),
    }
}

fn string<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<&'a str>, PayloadError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("{path}{field}"), "must be a string")),
    }
}

fn labels(
    v: Option<&Value>,
    path: &str,
    required: bool,
) -> Result<BTreeMap<String, String>, PayloadError> {
    let obj = match v {
        None | Some(Value::Null) if !required => return Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o,
        None | Some(Value::Null) => return Err(bad(path, "is required")),
        Some(_) => return Err(bad(path, "must be an object of strings")),
    };
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let Value::String(s) = v else {
            return Err(bad(format!("{path}.{k}"), "must be a string"));
        };
        out.insert(k.clone(), s.clone());
    }
    Ok(out)
}

fn summary(candidates: &[Option<&str>]) -> String {
    let s = candidates
        .iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .copied()
        .unwrap_or("");
    AlertObservation::clean_summary(s.trim())
}

/// Alertmanager's webhook (version 4) and Grafana's webhook contact point, which sends the
/// same alerts array (plus `orgId`, `state`, `title`, `message`, and its own `version`).
fn alertmanager(
    root: &Map<String, Value>,
    check_version: bool,
) -> Result<Vec<Incoming>, PayloadError> {
    if check_version {
        match string(root, "version", "")? {
            Some("4") => {}
            None => return Err(bad("version", "is required (Alertmanager sends \"4\")")),
            Some(_) => return Err(bad("version", "must be \"4\"")),
        }
    }
    let alerts = match root.get("alerts") {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => return Err(bad("alerts", "is required")),
        Some(_) => return Err(bad("alerts", "must be an array")),
    };
    if alerts.len() > MAX_ALERTS {
        return Err(bad("alerts", "must hold at most 1000 alerts"));
    }
    let mut out = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.iter().enumerate() {
        let path = format!("alerts[{i}]");
        let Value::Object(a) = alert else {
            return Err(bad(path, "must be an object"));
        };
        let firing = match string(a, "status", &format!("{path}."))? {
            Some("firing") => true,
            Some("resolved") => false,
            None => return Err(bad(format!("{path}.status"), "is required")),
            Some(_) => {
                return Err(bad(
                    format!("{path}.status"),
                    "must be \"firing\" or \"resolved\"",
                ));
            }
        };
        let labels = labels(a.get("labels"), &format!("{path}.labels"), true)?;
        if labels.is_empty() {
            return Err(bad(
                format!("{path}.labels"),
                "must name at least one label",
            ));
        }
        let annotations = labels_lenient(a.get("annotations"));
        for field in ["startsAt", "endsAt"] {
            if let Some(t) = string(a, field, &format!("{path}."))?
                && chrono::DateTime::parse_from_rfc3339(t).is_err()
            {
                return Err(bad(format!("{path}.{field}"), "must be an RFC 3339 time"));
            }
        }
        out.push(Incoming {
            summary: summary(&[
                annotations.get("summary").map(String::as_str),
                annotations.get("description").map(String::as_str),
                labels.get("alertname").map(String::as_str),
            ]),
            labels,
            firing: Some(firing),
        });
    }
    Ok(out)
}

/// Annotations are only read for the summary: values that are not strings are skipped.
fn labels_lenient(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(o)) => o
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Uptime Kuma's webhook notification: `heartbeat.status` 0 is down, 1 up, 2 pending and 3
/// maintenance (neither: nothing changes). A test notification has no heartbeat and no
/// monitor, and is accepted as no alert at all.
fn uptime_kuma(root: &Map<String, Value>) -> Result<Vec<Incoming>, PayloadError> {
    let heartbeat = match root.get("heartbeat") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(h)) => h,
        Some(_) => return Err(bad("heartbeat", "must be an object")),
    };
    let monitor = match root.get("monitor") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => return Err(bad("monitor", "is required with a heartbeat")),
        Some(_) => return Err(bad("monitor", "must be an object")),
    };
    let firing = match heartbeat.get("status").and_then(Value::as_i64) {
        Some(0) => Some(true),
        Some(1) => Some(false),
        Some(2 | 3) => None,
        _ => {
            return Err(bad(
                "heartbeat.status",
                "must be 0 (down), 1 (up), 2 (pending) or 3 (maintenance)",
            ));
        }
    };
    let name = string(monitor, "name", "monitor.")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("monitor.name", "is required"))?;
    let mut labels = BTreeMap::new();
    labels.insert("monitor".to_owned(), name.trim().to_owned());
    if let Some(id) = monitor.get("id").and_then(Value::as_i64) {
        labels.insert("monitor_id".to_owned(), id.to_string());
    }
    Ok(vec![Incoming {
        summary: summary(&[
            string(heartbeat, "msg", "heartbeat.")?,
            string(root, "msg", "")?,
        ]),
        labels,
        firing,
    }])
}

/// Gatus's custom alerting provider, with the body the README documents:
/// `{"name": "[ENDPOINT_NAME]", "group": "[ENDPOINT_GROUP]", "status":
/// "[ALERT_TRIGGERED_OR_RESOLVED]", "description": "[ALERT_DESCRIPTION]"}`.
fn gatus(root: &Map<String, Value>) -> Result<Vec<Incoming>, PayloadError> {
    let name = string(root, "name", "")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("name", "is required"))?;
    let firing = match string(root, "status", "")?
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("TRIGGERED" | "FIRING") => true,
        Some("RESOLVED") => false,
        None => return Err(bad("status", "is required")),
        Some(_) => return Err(bad("status", "must be \"TRIGGERED\" or \"RESOLVED\"")),
    };
    let mut labels = BTreeMap::new();
    labels.insert("name".to_owned(), name.trim().to_owned());
    if let Some(group) = string(root, "group", "")?.filter(|g| !g.trim().is_empty()) {
        labels.insert("group".to_owned(), group.trim().to_owned());
    }
    Ok(vec![Incoming {
        summary: summary(&[string(root, "description", "")?]),
        labels,
        firing: Some(firing),
    }])
}

/// The generic push: `{"key": "checkout", "status": "firing" | "resolved", "summary":
/// "...", "labels": {...}}` (`summary` and `labels` optional; `key` becomes the label `key`).
fn generic(root: &Map<String, Value>) -> Result<Vec<Incoming>, PayloadError> {
    let key = string(root, "key", "")?
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| bad("key", "is required"))?;
    if key.chars().count() > AlertMatcher::MAX_VALUE_CHARS {
        return Err(bad("key", "must be at most 255 characters"));
    }
    let firing = match string(root, "status", "")? {
        Some("firing") => true,
        Some("resolved") => false,
        None => return Err(bad("status", "is required")),
        Some(_) => return Err(bad("status", "must be \"firing\" or \"resolved\"")),
    };
    let mut labels = labels(root.get("labels"), "labels", false)?;
    labels.insert("key".to_owned(), key.trim().to_owned());
    Ok(vec![Incoming {
        summary: summary(&[string(root, "summary", "")?]),
        labels,
        firing: Some(firing),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(kind: IntegrationKind, body: &str) -> Incoming {
        let mut all = parse(kind, body.as_bytes()).expect("parses");
        assert_eq!(all.len(), 1, "one alert");
        all.remove(0)
    }

    fn refused(kind: IntegrationKind, body: &str) -> String {
        parse(kind, body.as_bytes())
            .expect_err("refused")
            .to_string()
    }

    /// Alertmanager's documented webhook payload (`webhook_config`, version 4).
    const ALERTMANAGER: &str = r#"{
      "version": "4",
      "groupKey": "{}:{alertname=\"HighLatency\"}",
      "truncatedAlerts": 0,
      "status": "firing",
      "receiver": "cachet",
      "groupLabels": {"alertname": "HighLatency"},
      "commonLabels": {"alertname": "HighLatency", "service": "checkout"},
      "commonAnnotations": {"summary": "Checkout is slow"},
      "externalURL": "http://alertmanager:9093",
      "alerts": [
        {
          "status": "firing",
          "labels": {"alertname": "HighLatency", "service": "checkout", "severity": "page"},
          "annotations": {"summary": "Checkout is slow", "description": "p99 over 2s"},
          "startsAt": "2026-12-07T02:00:00.000Z",
          "endsAt": "0001-01-01T00:00:00Z",
          "generatorURL": "http://prometheus:9090/graph",
          "fingerprint": "1a2b3c4d5e6f7a8b"
        },
        {
          "status": "resolved",
          "labels": {"alertname": "HighLatency", "service": "search"},
          "annotations": {},
          "startsAt": "2026-12-07T01:00:00Z",
          "endsAt": "2026-12-07T01:30:00Z",
          "generatorURL": "http://prometheus:9090/graph",
          "fingerprint": "0f0f0f0f0f0f0f0f"
        }
      ]
    }"#;

    #[test]
    fn alertmanager_reads_every_alert() {
        let all = parse(IntegrationKind::Alertmanager, ALERTMANAGER.as_bytes()).expect("parses");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].firing, Some(true));
        assert_eq!(all[0].summary, "Checkout is slow");
        assert_eq!(all[0].labels["service"], "checkout");
        assert_eq!(all[1].firing, Some(false));
        assert_eq!(
            all[1].summary, "HighLatency",
            "no annotation: the alert's name"
        );
        assert_ne!(all[0].key(), all[1].key());
        let again = parse(IntegrationKind::Alertmanager, ALERTMANAGER.as_bytes()).expect("parses");
        assert_eq!(all[0].key(), again[0].key(), "one alert, one key");
    }

    #[test]
    fn alertmanager_refusals_name_the_field() {
        let k = IntegrationKind::Alertmanager;
        assert_eq!(refused(k, "not json"), "body: must be a JSON document");
        assert_eq!(refused(k, "[]"), "body: must be a JSON object");
        assert_eq!(
            refused(k, r#"{"alerts": []}"#),
            "version: is required (Alertmanager sends \"4\")"
        );
        assert_eq!(
            refused(k, r#"{"version": "3", "alerts": []}"#),
            "version: must be \"4\""
        );
        assert_eq!(refused(k, r#"{"version": "4"}"#), "alerts: is required");
        assert_eq!(
            refused(k, r#"{"version": "4", "alerts": {}}"#),
            "alerts: must be an array"
        );
        assert_eq!(
            refused(
                k,
                r#"{"version": "4", "alerts": [{"status": "burning", "labels": {"a": "b"}}]}"#
            ),
            "alerts[0].status: must be \"firing\" or \"resolved\""
        );
        assert_eq!(
            refused(k, r#"{"version": "4", "alerts": [{"status": "firing"}]}"#),
            "alerts[0].labels: is required"
        );
        assert_eq!(
            refused(
                k,
                r#"{"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}}]}"#
            ),
            "alerts[0].labels.a: must be a string"
        );
        assert_eq!(
            refused(
                k,
                r#"{"version": "4", "alerts": [{"status": "firing", "labels": {"a": "b"}, "endsAt": "yesterday"}]}"#
            ),
            "alerts[0].endsAt: must be an RFC 3339 time"
        );
    }

    /// Grafana's documented webhook contact point payload.
    const GRAFANA: &str = r#"{
      "receiver": "cachet",
      "status": "firing",
      "orgId": 1,
      "alerts": [
        {
          "status": "firing",
          "labels": {"alertname": "HighLatency", "grafana_folder": "Checkout", "service": "checkout"},
          "annotations": {"summary": "Checkout p99 over 2s"},
          "startsAt": "2026-12-07T02:00:00Z",
          "endsAt": "0001-01-01T00:00:00Z",
          "generatorURL": "https://grafana.example.com/alerting/grafana/abc/view",
          "fingerprint": "57c6d9296de2ad39",
          "silenceURL": "https://grafana.example.com/alerting/silence/new",
          "dashboardURL": "",
          "panelURL": "",
          "values": {"B": 2.4},
          "valueString": "[ var='B' value=2.4 ]"
        }
      ],
      "groupLabels": {"alertname": "HighLatency"},
      "commonLabels": {"alertname": "HighLatency"},
      "commonAnnotations": {},
      "externalURL": "https://grafana.example.com/",
      "version": "1",
      "groupKey": "{}:{alertname=\"HighLatency\"}",
      "truncatedAlerts": 0,
      "title": "[FIRING:1] HighLatency Checkout",
      "state": "alerting",
      "message": "**Firing**\n\nValue: B=2.4"
    }"#;

    #[test]
    fn grafana_reads_its_alerts_and_keeps_its_own_version() {
        let a = one(IntegrationKind::Grafana, GRAFANA);
        assert_eq!(a.firing, Some(true));
        assert_eq!(a.labels["service"], "checkout");
        assert_eq!(a.summary, "Checkout p99 over 2s");
        let resolved = GRAFANA.replace(
            "\"status\": \"firing\",\n          \"labels\"",
            "\"status\": \"resolved\",\n          \"labels\"",
        );
        assert_eq!(one(IntegrationKind::Grafana, &resolved).firing, Some(false));
        assert_eq!(
            refused(
                IntegrationKind::Grafana,
                r#"{"alerts": [{"status": "ok", "labels": {"a": "b"}}]}"#
            ),
            "alerts[0].status: must be \"firing\" or \"resolved\""
        );
    }

    /// Uptime Kuma's webhook notification (application/json), trimmed to what is read.
    const KUMA_DOWN: &str = r#"{
      "heartbeat": {"monitorID": 29, "status": 0, "time": "2026-12-07 02:51:35.527", "msg": "getaddrinfo ENOTFOUND checkout.example.com", "important": true, "duration": 0},
      "monitor": {"id": 29, "name": "Checkout API", "url": "https://checkout.example.com", "type": "http", "active": true},
      "msg": "[Checkout API] [🔴 Down] getaddrinfo ENOTFOUND checkout.example.com"
    }"#;

    #[test]
    fn uptime_kuma_down_up_pending_and_test() {
        let k = IntegrationKind::UptimeKuma;
        let down = one(k, KUMA_DOWN);
        assert_eq!(down.firing, Some(true));
        assert_eq!(down.labels["monitor"], "Checkout API");
        assert_eq!(down.labels["monitor_id"], "29");
        assert_eq!(down.summary, "getaddrinfo ENOTFOUND checkout.example.com");
        let up = one(k, &KUMA_DOWN.replace("\"status\": 0", "\"status\": 1"));
        assert_eq!(up.firing, Some(false));
        assert_eq!(up.key(), down.key(), "down and up are one alert");
        assert_eq!(
            one(k, &KUMA_DOWN.replace("\"status\": 0", "\"status\": 2")).firing,
            None
        );
        let test = r#"{"heartbeat": null, "monitor": null, "msg": "Uptime Kuma: test"}"#;
        assert!(
            parse(k, test.as_bytes())
                .expect("a test notification")
                .is_empty()
        );
        assert_eq!(
            refused(
                k,
                &KUMA_DOWN.replace("\"status\": 0", "\"status\": \"down\"")
            ),
            "heartbeat.status: must be 0 (down), 1 (up), 2 (pending) or 3 (maintenance)"
        );
        assert_eq!(
            refused(k, r#"{"heartbeat": {"status": 0}, "monitor": {"id": 3}}"#),
            "monitor.name: is required"
        );
        assert_eq!(
            refused(k, r#"{"heartbeat": {"status": 0}}"#),
            "monitor: is required with a heartbeat"
        );
    }

    #[test]
    fn gatus_with_the_documented_body() {
        let k = IntegrationKind::Gatus;
        let body = r#"{"name": "checkout", "group": "core", "status": "TRIGGERED", "description": "healthcheck failed 3 times"}"#;
        let a = one(k, body);
        assert_eq!(a.firing, Some(true));
        assert_eq!(a.labels["name"], "checkout");
        assert_eq!(a.labels["group"], "core");
        assert_eq!(a.summary, "healthcheck failed 3 times");
        assert_eq!(
            one(k, &body.replace("TRIGGERED", "RESOLVED")).firing,
            Some(false)
        );
        let ungrouped = one(
            k,
            r#"{"name": "checkout", "group": "", "status": "RESOLVED"}"#,
        );
        assert!(!ungrouped.labels.contains_key("group"));
        assert_eq!(
            refused(k, r#"{"status": "TRIGGERED"}"#),
            "name: is required"
        );
        assert_eq!(
            refused(
                k,
                r#"{"name": "x", "status": "[ALERT_TRIGGERED_OR_RESOLVED]"}"#
            ),
            "status: must be \"TRIGGERED\" or \"RESOLVED\""
        );
    }

    #[test]
    fn generic_push() {
        let k = IntegrationKind::Generic;
        let a = one(
            k,
            r#"{"key": "checkout", "status": "firing", "summary": "Payments time out\u0007", "labels": {"region": "eu"}}"#,
        );
        assert_eq!(a.firing, Some(true));
        assert_eq!(a.labels["key"], "checkout");
        assert_eq!(a.labels["region"], "eu");
        assert_eq!(
            a.summary, "Payments time out",
            "control characters are dropped"
        );
        assert_eq!(refused(k, r#"{"status": "firing"}"#), "key: is required");
        assert_eq!(
            refused(k, r#"{"key": "a", "status": "down"}"#),
            "status: must be \"firing\" or \"resolved\""
        );
        assert_eq!(
            refused(k, r#"{"key": 5, "status": "firing"}"#),
            "key: must be a string"
        );
        assert_eq!(
            refused(k, r#"{"key": "a", "status": "firing", "labels": [1]}"#),
            "labels: must be an object of strings"
        );
    }
}
