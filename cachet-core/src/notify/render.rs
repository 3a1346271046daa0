//! Turning an outbox event into the finished message for one recipient: localised mail (text
//! and HTML from the same askama templates under `templates/mail/`) and Statuspage-shaped
//! webhook bodies.
//!
//! Only values that were validated on the way in reach a mail: names and titles are
//! single-line [`crate::validate::Name`]s (no CR/LF), Markdown is rendered through the
//! sanitizer for the HTML part, the HTML template escapes everything else, and the subject is
//! stripped of control characters once more before it leaves, so no header can be broken
//! even by a tampered database.

use askama::Template;
use chrono_tz::Tz;

use super::events::{ComponentData, IncidentData, ScheduleData};
use crate::clock::Timestamp;
use crate::i18n::{Catalog, Lang, Msg};
use crate::model::{ComponentStatus, EventKind, IncidentStatus};
use crate::sanitize::{SafeHtml, render_markdown};
use crate::status::EffectiveStatus;
use crate::validate::Markdown;

/// The parts of one mail before templating.
#[derive(Debug, Clone, Default)]
pub(crate) struct MailParts {
    pub subject: String,
    pub heading: String,
    pub lines: Vec<String>,
    pub body: Option<Markdown>,
    pub action: Option<(String, String)>,
    pub why: Option<String>,
    pub footer_links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "mail/mail.html")]
struct MailHtml<'a> {
    lang: &'a str,
    site: &'a str,
    subject: &'a str,
    heading: &'a str,
    lines: &'a [String],
    body_html: Option<SafeHtml>,
    action: Option<(&'a str, &'a str)>,
    why: Option<&'a str>,
    footer_links: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "mail/mail.txt")]
struct MailText<'a> {
    site: &'a str,
    heading: &'a str,
    lines: &'a [String],
    body_text: Option<&'a str>,
    action: Option<(&'a str, &'a str)>,
    why: Option<&'a str>,
    footer_links: Vec<(&'a str, &'a str)>,
}

/// A finished mail's subject, text and HTML.
pub(crate) struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One line, without control characters (a subject must never carry CR/LF).
pub(crate) fn single_line(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.trim().chars().take(250).collect()
}

/// Renders the parts into the text and HTML bodies.
pub(crate) fn render_mail(
    lang: Lang,
    site: &str,
    parts: &MailParts,
) -> Result<RenderedMail, askama::Error> {
    let subject = single_line(&parts.subject);
    let action = parts.action.as_ref().map(|(l, h)| (l.as_str(), h.as_str()));
    let footer: Vec<(&str, &str)> = parts
        .footer_links
        .iter()
        .map(|(l, h)| (l.as_str(), h.as_str()))
        .collect();
    let html = MailHtml {
        lang: lang.tag(),
        site,
        subject: &subject,
        heading: &parts.heading,
        lines: &parts.lines,
        body_html: parts.body.as_ref().map(render_markdown),
        action,
        why: parts.why.as_deref(),
        footer_links: footer.clone(),
    }
    .render()?;
    let text = MailText {
        site,
        heading: &parts.heading,
        lines: &parts.lines,
        body_text: parts.body.as_ref().map(Markdown::as_str),
        action,
        why: parts.why.as_deref(),
        footer_links: footer,
    }
    .render()?;
    Ok(RenderedMail {
        subject,
        text,
        html,
    })
}

/// A time in the site's zone, localised, with the zone's abbreviation.
pub(crate) fn local_time(cat: &Catalog, tz: Tz, t: Timestamp) -> String {
    let local = t.with_timezone(&tz);
    let zone = local.format("%Z").to_string();
    cat.date_time(&local, &zone)
}

fn component_label(cat: &Catalog, code: u8) -> &'static str {
    let status = ComponentStatus::from_code(i64::from(code)).unwrap_or(ComponentStatus::Unknown);
    crate::i18n::status_label(cat, EffectiveStatus::from_stored(status))
}

fn incident_label(cat: &Catalog, code: u8) -> &'static str {
    let status =
        IncidentStatus::from_code(i64::from(code)).unwrap_or(IncidentStatus::Investigating);
    crate::i18n::incident_status_label(cat, status)
}

/// The content of a notification (incident, component, maintenance) for one locale; links
/// are added by the caller.
pub(crate) fn notification_parts(
    cat: &Catalog,
    tz: Tz,
    kind: EventKind,
    payload: &serde_json::Value,
    base_url: &str,
) -> Option<MailParts> {
    match kind {
        EventKind::IncidentCreated | EventKind::IncidentUpdated => {
            let d: IncidentData = serde_json::from_value(payload.clone()).ok()?;
            let (subject_key, status, message) = match &d.update {
                Some(u) => (Msg::MailIncidentUpdated, u.status, u.message.clone()),
                None => (Msg::MailIncidentNew, d.status, d.message.clone()),
            };
            Some(MailParts {
                subject: cat.tf(subject_key, &[&d.name]),
                heading: d.name.clone(),
                lines: vec![cat.tf(Msg::MailIncidentStatus, &[incident_label(cat, status)])],
                body: Markdown::parse(&message).ok(),
                action: Some((
                    cat.t(Msg::MailView).to_owned(),
                    format!("{base_url}/incidents/{}", d.incident_id),
                )),
                ..MailParts::default()
            })
        }
        EventKind::ComponentStatusChanged => {
            let d: ComponentData = serde_json::from_value(payload.clone()).ok()?;
            Some(MailParts {
                subject: cat.tf(Msg::MailComponentSubject, &[&d.name]),
                heading: d.name.clone(),
                lines: vec![cat.tf(
                    Msg::MailComponentBody,
                    &[
                        &d.name,
                        component_label(cat, d.old_status),
                        component_label(cat, d.new_status),
                    ],
                )],
                action: Some((
                    cat.t(Msg::MailView).to_owned(),
                    format!("{base_url}/components/{}", d.component_id),
                )),
                ..MailParts::default()
            })
        }
        EventKind::MaintenanceScheduled
        | EventKind::MaintenanceStarted
        | EventKind::MaintenanceCompleted => {
            let d: ScheduleData = serde_json::from_value(payload.clone()).ok()?;
            let key = match kind {
                EventKind::MaintenanceScheduled => Msg::MailMaintenanceScheduled,
                EventKind::MaintenanceStarted => Msg::MailMaintenanceStarted,
                _ => Msg::MailMaintenanceCompleted,
            };
            let start = local_time(cat, tz, d.scheduled_at);
            let window = match d.completed_at {
                Some(end) => cat.tf(
                    Msg::MailMaintenanceWindow,
                    &[&start, &local_time(cat, tz, end)],
                ),
                None => cat.tf(Msg::MailMaintenanceStart, &[&start]),
            };
            Some(MailParts {
                subject: cat.tf(key, &[&d.name]),
                heading: d.name.clone(),
                lines: vec![window],
                body: Markdown::parse(&d.message).ok(),
                action: Some((
                    cat.t(Msg::MailView).to_owned(),
                    format!("{base_url}/schedules/{}", d.schedule_id),
                )),
                ..MailParts::default()
            })
        }
        _ => None,
    }
}

/// The plain-text content of a chat message, before the notifier renders it in its
/// platform's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChatParts {
    pub title: String,
    pub text: String,
    pub link: Option<String>,
    pub severity: super::ChatSeverity,
}

/// A content event's chat message for one locale: the mail's subject as the title, its status
/// line and the message (Markdown source, which the notifier escapes) as the text, and the
/// page the mail's button links to.
pub(crate) fn chat_parts(
    cat: &Catalog,
    tz: Tz,
    kind: EventKind,
    payload: &serde_json::Value,
    base_url: &str,
) -> Option<ChatParts> {
    use super::ChatSeverity;
    let parts = notification_parts(cat, tz, kind, payload, base_url)?;
    let severity = match kind {
        EventKind::IncidentCreated | EventKind::IncidentUpdated => {
            let d: IncidentData = serde_json::from_value(payload.clone()).ok()?;
            let status = d.update.as_ref().map_or(d.status, |u| u.status);
            match IncidentStatus::from_code(i64::from(status)) {
                Ok(IncidentStatus::Fixed) => ChatSeverity::Resolved,
                Ok(IncidentStatus::Scheduled) => ChatSeverity::Maintenance,
                // An incident carries no impact of its own: an open one is trouble, short of
                // what a component's major outage says.
                _ => ChatSeverity::Degraded,
            }
        }
        EventKind::ComponentStatusChanged => {
            let d: ComponentData = serde_json::from_value(payload.clone()).ok()?;
            match ComponentStatus::from_code(i64::from(d.new_status)) {
                Ok(ComponentStatus::Operational) => ChatSeverity::Resolved,
                Ok(ComponentStatus::PerformanceIssues | ComponentStatus::PartialOutage) => {
                    ChatSeverity::Degraded
                }
                Ok(ComponentStatus::MajorOutage) => ChatSeverity::Outage,
                _ => ChatSeverity::Info,
            }
        }
        _ => ChatSeverity::Maintenance,
    };
    let mut text = parts.lines.join("\n");
    if let Some(body) = parts.body.as_ref().map(Markdown::as_str)
        && !body.trim().is_empty()
    {
        text.push_str("\n\n");
        text.push_str(body);
    }
    Some(ChatParts {
        title: parts.subject,
        text,
        link: parts.action.map(|(_, url)| url),
        severity,
    })
}

/// The Statuspage webhook body (the JSON Atlassian Statuspage posts to webhook subscribers)
/// for a content event: `meta`,
/// `page`, then `incident`, or `component_update` with `component`, or
/// `scheduled_maintenance` (Statuspage sends maintenance as an incident; Instatus and others
/// read the separate key, so both forms carry the same fields).
pub(crate) fn webhook_body(
    kind: EventKind,
    payload: &serde_json::Value,
    page: &serde_json::Value,
    unsubscribe: Option<&str>,
    generated_at: Timestamp,
) -> Option<serde_json::Value> {
    use serde_json::json;
    let meta = json!({
        "unsubscribe": unsubscribe,
        "documentation": "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/",
        "generated_at": rfc3339(generated_at),
        "event": kind.as_str(),
    });
    let body = match kind {
        EventKind::IncidentCreated | EventKind::IncidentUpdated => {
            let d: IncidentData = serde_json::from_value(payload.clone()).ok()?;
            let mut updates = Vec::new();
            if let Some(u) = &d.update {
                updates.push(json!({
                    "id": format!("update-{}", u.id),
                    "incident_id": format!("incident-{}", d.incident_id),
                    "status": incident_status_sp(u.status),
                    "body": u.message,
                    "created_at": rfc3339(u.created_at),
                    "updated_at": rfc3339(u.created_at),
                    "display_at": rfc3339(u.created_at),
                }));
            }
            let status = d.update.as_ref().map_or(d.status, |u| u.status);
            json!({
                "meta": meta,
                "page": page,
                "incident": {
                    "id": format!("incident-{}", d.incident_id),
                    "name": d.name,
                    "status": incident_status_sp(status),
                    "created_at": rfc3339(d.created_at),
                    "updated_at": rfc3339(d.update.as_ref().map_or(d.created_at, |u| u.created_at)),
                    "resolved_at": if status == IncidentStatus::Fixed.code() { serde_json::Value::String(rfc3339(generated_at)) } else { serde_json::Value::Null },
                    "started_at": rfc3339(d.occurred_at),
                    "shortlink": serde_json::Value::Null,
                    "components": d.components.iter().map(|c| format!("component-{c}")).collect::<Vec<_>>(),
                    "body": d.message,
                    "incident_updates": updates,
                }
            })
        }
        EventKind::ComponentStatusChanged => {
            let d: ComponentData = serde_json::from_value(payload.clone()).ok()?;
            json!({
                "meta": meta,
                "page": page,
                "component_update": {
                    "created_at": rfc3339(d.at),
                    "new_status": component_status_sp(d.new_status),
                    "old_status": component_status_sp(d.old_status),
                    "id": format!("component-{}-{}", d.component_id, d.at.timestamp()),
                    "component_id": format!("component-{}", d.component_id),
                },
                "component": {
                    "id": format!("component-{}", d.component_id),
                    "name": d.name,
                    "status": component_status_sp(d.new_status),
                    "created_at": rfc3339(d.at),
                }
            })
        }
        EventKind::MaintenanceScheduled
        | EventKind::MaintenanceStarted
        | EventKind::MaintenanceCompleted => {
            let d: ScheduleData = serde_json::from_value(payload.clone()).ok()?;
            let status = match kind {
                EventKind::MaintenanceScheduled => "scheduled",
                EventKind::MaintenanceStarted => "in_progress",
                _ => "completed",
            };
            let m = json!({
                "id": format!("schedule-{}", d.schedule_id),
                "name": d.name,
                "status": status,
                "impact": "maintenance",
                "scheduled_for": rfc3339(d.scheduled_at),
                "scheduled_until": d.completed_at.map(rfc3339),
                "components": d.components.iter().map(|c| format!("component-{c}")).collect::<Vec<_>>(),
                "body": d.message,
            });
            json!({
                "meta": meta,
                "page": page,
                "incident": m.clone(),
                "scheduled_maintenance": m,
            })
        }
        // Shaped like the others (`meta`, `page`) so a receiver's parser is exercised, and
        // says plainly that nothing happened.
        EventKind::WebhookTest => json!({
            "meta": meta,
            "page": page,
            "test": {
                "message": "A test event sent from the dashboard; nothing has changed on the page.",
                "webhook_id": payload.get("webhook_id"),
            },
        }),
        _ => return None,
    };
    Some(body)
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn incident_status_sp(code: u8) -> &'static str {
    match IncidentStatus::from_code(i64::from(code)) {
        Ok(IncidentStatus::Identified) => "identified",
        Ok(IncidentStatus::Watching) => "monitoring",
        Ok(IncidentStatus::Fixed) => "resolved",
        Ok(IncidentStatus::Scheduled) => "scheduled",
        _ => "investigating",
    }
}

fn component_status_sp(code: u8) -> &'static str {
    let status = ComponentStatus::from_code(i64::from(code)).unwrap_or(ComponentStatus::Unknown);
    EffectiveStatus::from_stored(status).statuspage()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_single_line() {
        assert_eq!(
            single_line("Outage\r\n\r\nBcc: x@evil"),
            "Outage    Bcc: x@evil"
        );
        assert!(!single_line("a\u{0}b\u{7f}c").chars().any(char::is_control));
    }

    #[test]
    fn text_and_html_come_from_the_same_parts_and_html_is_escaped() {
        let parts = MailParts {
            subject: "New <b>".into(),
            heading: "<script>x</script>".into(),
            lines: vec!["one & two".into()],
            body: Markdown::parse("**bold** <img src=x onerror=alert(1)>").ok(),
            action: Some(("View".into(), "https://s.example/incidents/1".into())),
            why: Some("why".into()),
            footer_links: vec![("Unsubscribe".into(), "https://s.example/u".into())],
        };
        let m = render_mail(Lang::En, "Site", &parts).unwrap();
        assert!(m.html.contains("&#60;script&#62;"), "{}", m.html);
        assert!(!m.html.contains("<script>"));
        assert!(!m.html.contains("<img"), "{}", m.html);
        assert!(m.html.contains("<strong>bold</strong>"));
        assert!(m.text.contains("<script>x</script>"));
        assert!(m.text.contains("Unsubscribe: https://s.example/u"));
        assert!(m.html.contains("https://s.example/u"));
    }
}
