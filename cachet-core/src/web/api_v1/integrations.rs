//! `/api/v1/integrations`: monitoring integrations and their rules (admin tokens only). The
//! secret is in the answer of a create and of a rotation, and never again.

use serde::Serialize;
use utoipa::ToSchema;

use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::alerts::IssuedSecret;
use crate::model::*;
use crate::validate::{ValidationError, Violation, ViolationExt};
use crate::web::input::Input;
use crate::web::response;

/// A monitoring integration.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Integration)]
pub struct IntegrationDto {
    /// Its id.
    pub id: i64,
    /// `alertmanager`, `grafana`, `uptime_kuma`, `gatus` or `generic`.
    pub kind: String,
    /// The name (the audit log names its writes `integration:<name>`).
    pub name: String,
    /// Whether deliveries are taken.
    pub enabled: bool,
    /// Where the sender posts, under the site's public URL.
    pub url: String,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// The secret: only in the answer of a create or a rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Every integration.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1IntegrationList)]
pub struct IntegrationListDto {
    /// The integrations, by id.
    pub data: Vec<IntegrationDto>,
}

/// A rule of an integration.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1AlertRule)]
pub struct AlertRuleDto {
    /// Its id.
    pub id: i64,
    /// The integration.
    pub integration_id: i64,
    /// The component it moves.
    pub component_id: i64,
    /// The labels an alert must have, as `name=value` pairs.
    pub matcher: std::collections::BTreeMap<String, String>,
    /// The component's status while the alert fires (2 to 4).
    pub status: u8,
    /// The incident template opened when the component leaves operational.
    pub template_id: Option<i64>,
    /// Or the title of the incident opened.
    pub incident_title: Option<String>,
    /// And its message.
    pub incident_message: Option<String>,
    /// The message of the update that resolves the incident.
    pub resolution: Option<String>,
    /// Seconds the alert must fire before the component changes.
    pub hold_secs: u32,
    /// Seconds it must be resolved before the component recovers.
    pub recovery_hold_secs: u32,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
}

/// An integration's rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1AlertRuleList)]
pub struct AlertRuleListDto {
    /// The rules, by id.
    pub data: Vec<AlertRuleDto>,
}

/// The path a sender of `kind` posts to, under `/api/v1`.
#[must_use]
pub fn inbound_path(kind: IntegrationKind) -> &'static str {
    match kind {
        IntegrationKind::Alertmanager => "/api/v1/alerts/alertmanager",
        IntegrationKind::Grafana => "/api/v1/alerts/grafana",
        IntegrationKind::UptimeKuma => "/api/v1/alerts/uptime-kuma",
        IntegrationKind::Gatus => "/api/v1/alerts/gatus",
        IntegrationKind::Generic => "/api/v1/alerts/generic",
    }
}

fn present_integration(call: &Call<'_>, i: &Integration, secret: Option<String>) -> IntegrationDto {
    let base = call
        .cachet
        .config()
        .public_url
        .as_str()
        .trim_end_matches('/');
    IntegrationDto {
        id: i.id.get(),
        kind: i.kind.as_str().to_owned(),
        name: i.name.as_str().to_owned(),
        enabled: i.enabled,
        url: format!("{base}{}", inbound_path(i.kind)),
        created_at: present::date(i.created_at, call.tz),
        updated_at: present::date(i.updated_at, call.tz),
        secret,
    }
}

fn present_rule(call: &Call<'_>, r: &AlertRule) -> AlertRuleDto {
    let s = &r.settings;
    AlertRuleDto {
        id: r.id.get(),
        integration_id: r.integration_id.get(),
        component_id: s.component_id.get(),
        matcher: s.matcher.pairs().clone(),
        status: s.status.code(),
        template_id: s.template_id.map(TemplateId::get),
        incident_title: s.incident_title.as_ref().map(|t| t.as_str().to_owned()),
        incident_message: s.incident_message.as_ref().map(|t| t.as_str().to_owned()),
        resolution: s.resolution.as_ref().map(|t| t.as_str().to_owned()),
        hold_secs: s.hold_secs,
        recovery_hold_secs: s.recovery_hold_secs,
        created_at: present::date(r.created_at, call.tz),
        updated_at: present::date(r.updated_at, call.tz),
    }
}

fn issued(call: &Call<'_>, i: &IssuedSecret) -> IntegrationDto {
    present_integration(call, &i.integration, Some(i.secret.clone()))
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let all = call.cachet.integrations(&call.actor).await?;
    let data = all
        .iter()
        .map(|i| present_integration(&call, i, None))
        .collect();
    Ok(response::json(
        http::StatusCode::OK,
        &IntegrationListDto { data },
    ))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let i = call
        .cachet
        .integration(&call.actor, IntegrationId(id))
        .await?;
    Ok(item(present_integration(&call, &i, None)))
}

fn kind_field(input: &Input, key: &'static str) -> Result<Option<IntegrationKind>, Fail> {
    Ok(input
        .text(key)?
        .map(|s| IntegrationKind::parse(s.trim()))
        .transpose()
        .field(key)?)
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let kind = c.take(required("kind", kind_field(i, "kind")));
    let name = c.take(required("name", name_field(i, "name")));
    let enabled = c.take(bool_field(i, "enabled"));
    c.finish()?;
    let issued_secret = call
        .cachet
        .create_integration(
            &call.actor,
            checked(kind)?,
            checked(name)?,
            checked(enabled)?.unwrap_or(true),
        )
        .await?;
    Ok(item(issued(&call, &issued_secret)))
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(name_field(i, "name"));
    let enabled = c.take(bool_field(i, "enabled"));
    c.finish()?;
    let updated = call
        .cachet
        .update_integration(
            &call.actor,
            IntegrationId(id),
            checked(name)?,
            checked(enabled)?,
        )
        .await?;
    Ok(item(present_integration(&call, &updated, None)))
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_integration(&call.actor, IntegrationId(id))
        .await?;
    Ok(response::no_content())
}

pub(super) async fn rotate(call: Call<'_>, id: i64) -> Handled {
    let issued_secret = call
        .cachet
        .rotate_integration_secret(&call.actor, IntegrationId(id))
        .await?;
    Ok(item(issued(&call, &issued_secret)))
}

pub(super) async fn rules(call: Call<'_>, id: i64) -> Handled {
    let all = call
        .cachet
        .alert_rules(&call.actor, IntegrationId(id))
        .await?;
    let data = all.iter().map(|r| present_rule(&call, r)).collect();
    Ok(response::json(
        http::StatusCode::OK,
        &AlertRuleListDto { data },
    ))
}

pub(super) async fn rule(call: Call<'_>, id: i64, rule: i64) -> Handled {
    let r = call
        .cachet
        .alert_rule(&call.actor, IntegrationId(id), AlertRuleId(rule))
        .await?;
    Ok(item(present_rule(&call, &r)))
}

/// The matcher: `"alertname=HighLatency, service=checkout"` or `{"alertname": "HighLatency"}`.
fn matcher_field(input: &Input, key: &'static str) -> Result<Option<AlertMatcher>, Fail> {
    if let Some(serde_json::Value::Object(map)) = input.object(key) {
        let mut pairs = Vec::with_capacity(map.len());
        for (k, v) in map {
            let serde_json::Value::String(v) = v else {
                return Err(Fail::Invalid(vec![ValidationError::new(
                    key,
                    Violation::Format {
                        expected: "label values that are strings",
                    },
                )]));
            };
            pairs.push((k, v));
        }
        return Ok(Some(AlertMatcher::from_pairs(pairs).field(key)?));
    }
    Ok(input
        .text(key)?
        .map(|s| AlertMatcher::parse(&s))
        .transpose()
        .field(key)?)
}

fn hold_field(input: &Input, key: &'static str) -> Result<Option<u32>, Fail> {
    match input.int(key)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_HOLD_SECS)
            .map(Some)
            .ok_or_else(|| {
                Fail::Invalid(vec![ValidationError::new(
                    key,
                    Violation::OutOfRange {
                        min: 0,
                        max: i64::from(MAX_HOLD_SECS),
                    },
                )])
            }),
    }
}

/// The rule's settings from a body: `component_id` and `matcher` required; `status` major
/// outage, holds 0 and no incident unless given. On update, what is absent is kept.
fn settings(call: &Call<'_>, base: Option<&AlertRuleSettings>) -> Result<AlertRuleSettings, Fail> {
    let i = &call.input;
    let mut c = Check::default();
    let component = c.take(i.int("component_id").map_err(Fail::from));
    let matcher = c.take(matcher_field(i, "matcher"));
    let status = c.take(code_field(i, "status", ComponentStatus::from_code));
    let template = c.take(i.int("template_id").map_err(Fail::from));
    let title = c.take(name_field(i, "incident_title"));
    let message = c.take(markdown_field(i, "incident_message"));
    let resolution = c.take(markdown_field(i, "resolution"));
    let hold = c.take(hold_field(i, "hold_secs"));
    let recovery = c.take(hold_field(i, "recovery_hold_secs"));
    if base.is_none() {
        if matches!(component, Some(None)) {
            c.push(ValidationError::new("component_id", Violation::Required));
        }
        if matches!(matcher, Some(None)) {
            c.push(ValidationError::new("matcher", Violation::Required));
        }
    }
    c.finish()?;
    let hold = checked(hold)?;
    // `null` clears an optional setting on update; absent keeps it.
    let keep = |key: &str| base.is_some() && !i.has_null(key) && i.get(key).is_none();
    Ok(AlertRuleSettings {
        component_id: checked(component)?
            .map(ComponentId)
            .or(base.map(|b| b.component_id))
            .ok_or(Fail::Status(http::StatusCode::BAD_REQUEST))?,
        matcher: checked(matcher)?
            .or_else(|| base.map(|b| b.matcher.clone()))
            .ok_or(Fail::Status(http::StatusCode::BAD_REQUEST))?,
        status: checked(status)?
            .or(base.map(|b| b.status))
            .unwrap_or(ComponentStatus::MajorOutage),
        template_id: match checked(template)? {
            Some(t) => Some(TemplateId(t)),
            None if keep("template_id") => base.and_then(|b| b.template_id),
            None => None,
        },
        incident_title: match checked(title)? {
            Some(t) => Some(t),
            None if keep("incident_title") => base.and_then(|b| b.incident_title.clone()),
            None => None,
        },
        incident_message: match checked(message)? {
            Some(t) => Some(t),
            None if keep("incident_message") => base.and_then(|b| b.incident_message.clone()),
            None => None,
        },
        resolution: match checked(resolution)? {
            Some(t) => Some(t),
            None if keep("resolution") => base.and_then(|b| b.resolution.clone()),
            None => None,
        },
        hold_secs: hold.or(base.map(|b| b.hold_secs)).unwrap_or(0),
        recovery_hold_secs: checked(recovery)?
            .or(base.map(|b| b.recovery_hold_secs))
            .or(hold)
            .unwrap_or(0),
    })
}

pub(super) async fn create_rule(call: Call<'_>, id: i64) -> Handled {
    let s = settings(&call, None)?;
    let r = call
        .cachet
        .create_alert_rule(&call.actor, IntegrationId(id), s)
        .await?;
    Ok(item(present_rule(&call, &r)))
}

pub(super) async fn update_rule(call: Call<'_>, id: i64, rule: i64) -> Handled {
    let before = call
        .cachet
        .alert_rule(&call.actor, IntegrationId(id), AlertRuleId(rule))
        .await?;
    let s = settings(&call, Some(&before.settings))?;
    let r = call
        .cachet
        .update_alert_rule(&call.actor, IntegrationId(id), AlertRuleId(rule), s)
        .await?;
    Ok(item(present_rule(&call, &r)))
}

pub(super) async fn delete_rule(call: Call<'_>, id: i64, rule: i64) -> Handled {
    call.cachet
        .delete_alert_rule(&call.actor, IntegrationId(id), AlertRuleId(rule))
        .await?;
    Ok(response::no_content())
}
