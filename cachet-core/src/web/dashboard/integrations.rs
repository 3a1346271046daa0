//! The monitoring integrations page (`/integrations`, admins): the integrations with the
//! address each sender posts to, a new integration's secret shown once (after a create or a
//! rotation, in that answer only), and each integration's rules with an editor.

use askama::Template;
use bytes::Bytes;
use http::{Response, StatusCode};

use super::chrome::{Chrome, DashboardRequest, Flash};
use crate::Error;
use crate::model::{
    AlertMatcher, AlertRule, AlertRuleId, AlertRuleSettings, ComponentId, ComponentStatus,
    IntegrationId, IntegrationKind, TemplateId,
};
use crate::store::{ComponentQuery, TemplateQuery};
use crate::validate::{Markdown, Name, ValidationError, Violation, ViolationExt};
use crate::web::api_v1::integrations::inbound_path;

/// Answers `/integrations...`.
pub(super) async fn route(dash: &DashboardRequest<'_>, rest: &[&str]) -> Option<Response<Bytes>> {
    let post = dash.is_post();
    let get = dash.is_get();
    let resp = match rest {
        ["integrations"] if get => page(dash, None, None).await,
        ["integrations"] if post => create(dash).await,
        ["integrations", id] if post => update(dash, id).await,
        ["integrations", id, "secret"] if post => rotate(dash, id).await,
        ["integrations", id, "delete"] if post => delete(dash, id).await,
        ["integrations", id, "rules"] if post => create_rule(dash, id).await,
        ["integrations", id, "rules", rule] if post => update_rule(dash, id, rule).await,
        ["integrations", id, "rules", rule, "delete"] if post => delete_rule(dash, id, rule).await,
        ["integrations"] => dash.method_not_allowed("GET, HEAD, POST"),
        ["integrations", _]
        | ["integrations", _, "secret" | "delete" | "rules"]
        | ["integrations", _, "rules", _]
        | ["integrations", _, "rules", _, "delete"] => dash.method_not_allowed("POST"),
        _ => return None,
    };
    Some(resp)
}

fn id_of(s: &str) -> Option<i64> {
    crate::model::parse_id(s).ok()
}

fn is_form_error(e: &Error) -> bool {
    matches!(e, Error::Validation(_) | Error::Conflict(_))
}

/// A choice of a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct RuleRow {
    id: i64,
    matcher: String,
    component: String,
    status: String,
    incident: String,
    hold: u32,
    recovery_hold: u32,
    components: Vec<Choice>,
    statuses: Vec<Choice>,
    templates: Vec<Choice>,
    title: String,
    message: String,
    resolution: String,
}

struct IntegrationRow {
    id: i64,
    name: String,
    kind: &'static str,
    enabled: bool,
    url: String,
    example: &'static str,
    rules: Vec<RuleRow>,
    new_components: Vec<Choice>,
    new_statuses: Vec<Choice>,
    new_templates: Vec<Choice>,
}

/// A secret to show once, with the integration it belongs to.
struct Shown {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "dashboard/integrations.html")]
struct IntegrationsPage {
    chrome: Chrome,
    rows: Vec<IntegrationRow>,
    kinds: Vec<Choice>,
    shown: Option<Shown>,
}

fn kind_label(kind: IntegrationKind) -> &'static str {
    match kind {
        IntegrationKind::Alertmanager => "Prometheus Alertmanager",
        IntegrationKind::Grafana => "Grafana alerting",
        IntegrationKind::UptimeKuma => "Uptime Kuma",
        IntegrationKind::Gatus => "Gatus",
        IntegrationKind::Generic => "Generic JSON push",
    }
}

const FIRING_STATUSES: [ComponentStatus; 3] = [
    ComponentStatus::MajorOutage,
    ComponentStatus::PartialOutage,
    ComponentStatus::PerformanceIssues,
];

fn statuses(selected: ComponentStatus) -> Vec<Choice> {
    FIRING_STATUSES
        .iter()
        .map(|s| Choice {
            value: s.code().to_string(),
            label: s.label().to_owned(),
            selected: *s == selected,
        })
        .collect()
}

async fn page(
    dash: &DashboardRequest<'_>,
    error: Option<Error>,
    shown: Option<Shown>,
) -> Response<Bytes> {
    let mut chrome = match dash.chrome("settings").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    let actor = &dash.actor;
    let integrations = match dash.cachet.integrations(actor).await {
        Ok(i) => i,
        Err(e) => return dash.fail(e).await,
    };
    let components = match dash.cachet.components(actor, ComponentQuery::all()).await {
        Ok(p) => p.items,
        Err(e) => return dash.fail(e).await,
    };
    let templates = match dash.cachet.templates(actor, TemplateQuery::all()).await {
        Ok(p) => p.items,
        Err(e) => return dash.fail(e).await,
    };
    let component_choices = |selected: Option<ComponentId>| -> Vec<Choice> {
        components
            .iter()
            .map(|c| Choice {
                value: c.id.get().to_string(),
                label: c.name.as_str().to_owned(),
                selected: Some(c.id) == selected,
            })
            .collect()
    };
    let template_choices = |selected: Option<TemplateId>| -> Vec<Choice> {
        let mut all = vec![Choice {
            value: String::new(),
            label: "No template".to_owned(),
            selected: selected.is_none(),
        }];
        all.extend(templates.iter().map(|t| Choice {
            value: t.id.get().to_string(),
            label: t.name.as_str().to_owned(),
            selected: Some(t.id) == selected,
        }));
        all
    };
    let base = dash
        .cachet
        .config()
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut rows = Vec::with_capacity(integrations.len());
    for i in &integrations {
        let rules: Vec<AlertRule> = match dash.cachet.alert_rules(actor, i.id).await {
            Ok(r) => r,
            Err(e) => return dash.fail(e).await,
        };
        let rules = rules
            .iter()
            .map(|r| {
                let s = &r.settings;
                let component = components
                    .iter()
                    .find(|c| c.id == s.component_id)
                    .map_or_else(
                        || format!("#{}", s.component_id),
                        |c| c.name.as_str().to_owned(),
                    );
                let incident = match (s.template_id, &s.incident_title) {
                    (Some(t), _) => templates.iter().find(|x| x.id == t).map_or_else(
                        || "a template".to_owned(),
                        |x| format!("template {}", x.name.as_str()),
                    ),
                    (None, Some(title)) => title.as_str().to_owned(),
                    (None, None) => "none".to_owned(),
                };
                RuleRow {
                    id: r.id.get(),
                    matcher: s.matcher.to_string(),
                    component,
                    status: s.status.label().to_owned(),
                    incident,
                    hold: s.hold_secs,
                    recovery_hold: s.recovery_hold_secs,
                    components: component_choices(Some(s.component_id)),
                    statuses: statuses(s.status),
                    templates: template_choices(s.template_id),
                    title: s
                        .incident_title
                        .as_ref()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    message: s
                        .incident_message
                        .as_ref()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    resolution: s
                        .resolution
                        .as_ref()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                }
            })
            .collect();
        rows.push(IntegrationRow {
            id: i.id.get(),
            name: i.name.as_str().to_owned(),
            kind: kind_label(i.kind),
            enabled: i.enabled,
            url: format!("{base}{}", inbound_path(i.kind)),
            example: i.kind.example_matcher(),
            rules,
            new_components: component_choices(None),
            new_statuses: statuses(ComponentStatus::MajorOutage),
            new_templates: template_choices(None),
        });
    }
    let kinds = IntegrationKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: kind_label(*k).to_owned(),
            selected: *k == IntegrationKind::Alertmanager,
        })
        .collect();
    let mut status = StatusCode::OK;
    if let Some(e) = error {
        let (s, m) = super::chrome::error_status(&e);
        status = s;
        chrome.error = Some(m);
    }
    dash.render_status(
        status,
        &IntegrationsPage {
            chrome,
            rows,
            kinds,
            shown,
        },
    )
}

async fn create(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let fields = IntegrationKind::parse(dash.form.text("kind"))
        .field("kind")
        .and_then(|k| Ok((k, Name::parse(dash.form.text("name")).field("name")?)));
    let (kind, name) = match fields {
        Ok(f) => f,
        Err(e) => return page(dash, Some(Error::Validation(e)), None).await,
    };
    match dash
        .cachet
        .create_integration(&dash.actor, kind, name, true)
        .await
    {
        // The secret is in this answer only: no redirect that would lose it.
        Ok(issued) => {
            let shown = Shown {
                name: issued.integration.name.as_str().to_owned(),
                secret: issued.secret,
            };
            page(dash, None, Some(shown)).await
        }
        Err(e) if is_form_error(&e) => page(dash, Some(e), None).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn update(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    let name = match Name::parse(dash.form.text("name")).field("name") {
        Ok(n) => n,
        Err(e) => return page(dash, Some(Error::Validation(e)), None).await,
    };
    let enabled = dash.form.all("enabled").contains(&"1");
    match dash
        .cachet
        .update_integration(&dash.actor, IntegrationId(id), Some(name), Some(enabled))
        .await
    {
        Ok(_) => dash.redirect_flash("/integrations", Flash::Saved),
        Err(e) if is_form_error(&e) => page(dash, Some(e), None).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn rotate(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    match dash
        .cachet
        .rotate_integration_secret(&dash.actor, IntegrationId(id))
        .await
    {
        Ok(issued) => {
            let shown = Shown {
                name: issued.integration.name.as_str().to_owned(),
                secret: issued.secret,
            };
            page(dash, None, Some(shown)).await
        }
        Err(e) => dash.fail(e).await,
    }
}

async fn delete(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    match dash
        .cachet
        .delete_integration(&dash.actor, IntegrationId(id))
        .await
    {
        Ok(()) => dash.redirect_flash("/integrations", Flash::Deleted),
        Err(e) => dash.fail(e).await,
    }
}

/// A rule's settings from the form; every error names its field.
fn rule_fields(dash: &DashboardRequest<'_>) -> Result<AlertRuleSettings, ValidationError> {
    let f = dash.form;
    let optional = |key: &'static str| {
        let v = f.text(key).trim();
        (!v.is_empty()).then_some(v)
    };
    let secs = |key: &'static str| -> Result<u32, ValidationError> {
        match optional(key) {
            None => Ok(0),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= crate::model::MAX_HOLD_SECS)
                .ok_or_else(|| {
                    ValidationError::new(
                        key,
                        Violation::OutOfRange {
                            min: 0,
                            max: i64::from(crate::model::MAX_HOLD_SECS),
                        },
                    )
                }),
        }
    };
    let id = |key: &'static str, v: &str| {
        crate::model::parse_id(v).map_err(|_| {
            ValidationError::new(
                key,
                Violation::Format {
                    expected: "a choice from the list",
                },
            )
        })
    };
    Ok(AlertRuleSettings {
        component_id: ComponentId(id("component_id", f.text("component_id"))?),
        matcher: AlertMatcher::parse(f.text("matcher")).field("matcher")?,
        status: f
            .text("status")
            .parse::<i64>()
            .map_err(|_| Violation::Required)
            .and_then(ComponentStatus::from_code)
            .field("status")?,
        template_id: optional("template_id")
            .map(|v| id("template_id", v).map(TemplateId))
            .transpose()?,
        incident_title: optional("incident_title")
            .map(Name::parse)
            .transpose()
            .field("incident_title")?,
        incident_message: optional("incident_message")
            .map(Markdown::parse)
            .transpose()
            .field("incident_message")?,
        resolution: optional("resolution")
            .map(Markdown::parse)
            .transpose()
            .field("resolution")?,
        hold_secs: secs("hold_secs")?,
        recovery_hold_secs: secs("recovery_hold_secs")?,
    })
}

async fn create_rule(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    let settings = match rule_fields(dash) {
        Ok(s) => s,
        Err(e) => return page(dash, Some(Error::Validation(e)), None).await,
    };
    match dash
        .cachet
        .create_alert_rule(&dash.actor, IntegrationId(id), settings)
        .await
    {
        Ok(_) => dash.redirect_flash("/integrations", Flash::Created),
        Err(e) if is_form_error(&e) => page(dash, Some(e), None).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn update_rule(dash: &DashboardRequest<'_>, id: &str, rule: &str) -> Response<Bytes> {
    let (Some(id), Some(rule)) = (id_of(id), id_of(rule)) else {
        return crate::web::response::not_found_page();
    };
    let settings = match rule_fields(dash) {
        Ok(s) => s,
        Err(e) => return page(dash, Some(Error::Validation(e)), None).await,
    };
    match dash
        .cachet
        .update_alert_rule(&dash.actor, IntegrationId(id), AlertRuleId(rule), settings)
        .await
    {
        Ok(_) => dash.redirect_flash("/integrations", Flash::Saved),
        Err(e) if is_form_error(&e) => page(dash, Some(e), None).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn delete_rule(dash: &DashboardRequest<'_>, id: &str, rule: &str) -> Response<Bytes> {
    let (Some(id), Some(rule)) = (id_of(id), id_of(rule)) else {
        return crate::web::response::not_found_page();
    };
    match dash
        .cachet
        .delete_alert_rule(&dash.actor, IntegrationId(id), AlertRuleId(rule))
        .await
    {
        Ok(()) => dash.redirect_flash("/integrations", Flash::Deleted),
        Err(e) => dash.fail(e).await,
    }
}
