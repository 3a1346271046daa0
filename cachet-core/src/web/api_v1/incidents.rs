//! `/api/v1/incidents`.

use super::dto::IncidentDto;
use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::model::*;
use crate::store::{IncidentFilter, IncidentQuery, PageRequest};
use crate::template::{self, Vars};
use crate::validate::{Markdown, Name, Slug, ValidationError, Violation, ViolationExt};
use crate::web::input::Input;
use crate::web::response;

/// An incident with its updates, in Cachet's shape.
pub(super) async fn present(call: &Call<'_>, i: &Incident) -> Result<IncidentDto, Fail> {
    let updates = call
        .cachet
        .incident_updates(&call.actor, i.id, PageRequest::all())
        .await?;
    Ok(present::incident(
        i,
        &updates.items,
        call.cachet.config().public_url.as_str(),
        call.tz,
    ))
}

/// `component_id` + `component_status`: a component id requires a status. A status without a
/// component (or with `component_id` 0, Cachet's "no component") is ignored, as Cachet 2.4
/// does, because clients send the status field on every write whether or not a component is
/// named.
pub(super) fn affected(input: &Input) -> Result<Option<AffectedComponent>, Fail> {
    let id = match input.int("component_id")? {
        Some(0) | None => None,
        Some(n) if n > 0 => Some(ComponentId(n)),
        Some(_) => {
            return Err(Fail::Invalid(vec![ValidationError::new(
                "component_id",
                Violation::Format {
                    expected: "the id of a component",
                },
            )]));
        }
    };
    let Some(component_id) = id else {
        return Ok(None);
    };
    match code_field(input, "component_status", ComponentStatus::from_code)? {
        Some(status) => Ok(Some(AffectedComponent {
            component_id,
            status,
        })),
        None => Err(Fail::Invalid(vec![ValidationError::new(
            "component_status",
            Violation::Required,
        )])),
    }
}

/// `template` (a slug) and `vars`: the template and the client's variables, validated.
async fn template_source(call: &Call<'_>) -> Result<Option<(IncidentTemplate, Vars)>, Fail> {
    let slug = match call.input.text("template")? {
        None => return Ok(None),
        Some(s) if s.trim().is_empty() => return Ok(None),
        Some(s) => Slug::parse(s.trim()).field("template")?,
    };
    let vars = match call.input.get("vars") {
        None => Vars::new(),
        Some(v) => Vars::from_json(v).map_err(|e| Fail::Rejected(vec![e.to_string()]))?,
    };
    let t = call
        .cachet
        .template_by_slug(&call.actor, &slug)
        .await?
        .ok_or_else(|| {
            Fail::Invalid(vec![ValidationError::new(
                "template",
                Violation::Format {
                    expected: "the slug of an existing incident template",
                },
            )])
        })?;
    Ok(Some((t, vars)))
}

/// The incident's own fields, as Cachet offers them to templates (`{{ incident.name }}`).
struct IncidentVars<'a> {
    name: Option<&'a Name>,
    status: Option<IncidentStatus>,
    message: Option<&'a Markdown>,
    visible: Option<bool>,
    notify: Option<bool>,
    stickied: Option<bool>,
    occurred_at: Option<String>,
    component_status: Option<ComponentStatus>,
}

/// Renders a template with the client's variables and the incident's fields (which win, as
/// in Cachet). Values are escaped; nothing is evaluated.
fn render(t: &IncidentTemplate, mut vars: Vars, iv: &IncidentVars<'_>) -> Result<Markdown, Fail> {
    let flag = |b: bool| if b { "1" } else { "0" };
    let pairs: [(&str, Option<String>); 8] = [
        ("incident.name", iv.name.map(|n| n.as_str().to_owned())),
        ("incident.status", iv.status.map(|s| s.code().to_string())),
        (
            "incident.message",
            iv.message.map(|m| m.as_str().to_owned()),
        ),
        ("incident.visible", iv.visible.map(|b| flag(b).to_owned())),
        ("incident.notify", iv.notify.map(|b| flag(b).to_owned())),
        ("incident.stickied", iv.stickied.map(|b| flag(b).to_owned())),
        ("incident.occurred_at", iv.occurred_at.clone()),
        (
            "incident.component_status",
            iv.component_status.map(|s| s.code().to_string()),
        ),
    ];
    let reject = |e: template::TemplateError| Fail::Rejected(vec![e.to_string()]);
    for (k, v) in pairs {
        if let Some(v) = v {
            // Messages longer than a variable may be are left out of the variables.
            if v.chars().count() <= template::MAX_VALUE_CHARS {
                vars.insert(k, &v).map_err(reject)?;
            }
        }
    }
    template::render(&t.template, &vars).map_err(reject)
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let id = |n: i64| Ok(n);
    let f = IncidentFilter {
        id: int_filter(&call, "id", id)?.map(IncidentId),
        user_id: int_filter(&call, "user_id", id)?.map(UserId),
        component_id: int_filter(&call, "component_id", id)?.map(ComponentId),
        name: filter(&call, "name", Name::parse)?,
        status: int_filter(&call, "status", IncidentStatus::from_code)?,
        visible: bool_filter(&call, "visible")?,
        stickied: bool_filter(&call, "stickied")?,
        ..IncidentFilter::default()
    };
    let q = IncidentQuery {
        filter: f,
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call.cachet.incidents(&call.actor, q).await?;
    let mut data = Vec::with_capacity(p.items.len());
    for i in &p.items {
        data.push(present(&call, i).await?);
    }
    Ok(list_response(&call, &p, data))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let i = call.cachet.incident(&call.actor, IncidentId(id)).await?;
    Ok(item(present(&call, &i).await?))
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(required("name", name_field(i, "name")));
    let status = c.take(required(
        "status",
        code_field(i, "status", IncidentStatus::from_code),
    ));
    let message = c.take(markdown_field(i, "message"));
    let visible = c.take(bool_field(i, "visible"));
    let notify = c.take(bool_field(i, "notify"));
    let stickied = c.take(bool_field(i, "stickied"));
    let occurred_at = c.take(date_field(i, "occurred_at", call.tz));
    let affected = c.take(affected(i));
    let meta = c.take(meta_field(i, "meta"));
    let source = c.take(template_source(&call).await);
    c.finish()?;
    let (name, status, message) = (checked(name)?, checked(status)?, checked(message)?);
    let (visible, notify, stickied) = (
        checked(visible)?.unwrap_or(true),
        checked(notify)?.unwrap_or(true),
        checked(stickied)?.unwrap_or(false),
    );
    let occurred_at = checked(occurred_at)?
        .flatten()
        .unwrap_or_else(|| call.cachet.now());
    let affected = checked(affected)?;
    let message = match checked(source)? {
        Some((t, vars)) => render(
            &t,
            vars,
            &IncidentVars {
                name: Some(&name),
                status: Some(status),
                message: message.as_ref(),
                visible: Some(visible),
                notify: Some(notify),
                stickied: Some(stickied),
                occurred_at: Some(present::date(occurred_at, call.tz)),
                component_status: affected.map(|a| a.status),
            },
        )?,
        None => message.unwrap_or_default(),
    };
    let new = NewIncident {
        user_id: call.actor.user().map(|u| u.id),
        name,
        status,
        message,
        visible,
        stickied,
        notify,
        occurred_at,
        components: affected.into_iter().collect(),
        // Cachet sets the linked component's status silently.
        apply_component_status: affected.is_some(),
        meta: checked(meta)?.unwrap_or_default(),
    };
    let incident = call.cachet.create_incident(&call.actor, &new).await?;
    Ok(item(present(&call, &incident).await?))
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(name_field(i, "name"));
    let status = c.take(code_field(i, "status", IncidentStatus::from_code));
    let message = c.take(markdown_field(i, "message"));
    let visible = c.take(bool_field(i, "visible"));
    let notify = c.take(bool_field(i, "notify"));
    let stickied = c.take(bool_field(i, "stickied"));
    let occurred_at = c.take(date_field(i, "occurred_at", call.tz));
    let affected = c.take(affected(i));
    let meta = c.take(meta_field(i, "meta"));
    let source = c.take(template_source(&call).await);
    c.finish()?;
    let (name, status, message) = (checked(name)?, checked(status)?, checked(message)?);
    let (visible, notify, stickied) = (checked(visible)?, checked(notify)?, checked(stickied)?);
    // An empty `occurred_at` leaves the time as it is (it cannot be cleared).
    let occurred_at = checked(occurred_at)?.flatten();
    let affected = checked(affected)?;
    let message = match checked(source)? {
        Some((t, vars)) => Some(render(
            &t,
            vars,
            &IncidentVars {
                name: name.as_ref(),
                status,
                message: message.as_ref(),
                visible,
                notify,
                stickied,
                occurred_at: occurred_at.map(|t| present::date(t, call.tz)),
                component_status: affected.map(|a| a.status),
            },
        )?),
        None => message,
    };
    let patch = IncidentPatch {
        name,
        status,
        message,
        visible,
        stickied,
        notify,
        occurred_at,
        components: affected.map(|a| vec![a]),
        apply_component_status: affected.is_some(),
        meta: checked(meta)?,
    };
    let incident = call
        .cachet
        .update_incident(&call.actor, IncidentId(id), &patch)
        .await?;
    Ok(item(present(&call, &incident).await?))
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_incident(&call.actor, IncidentId(id))
        .await?;
    Ok(response::no_content())
}
