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

/// The most components one incident may name in `components`.
const MAX_AFFECTED: usize = 1_000;

/// `components`: several affected components with their statuses, an addition to Cachet
/// 2.4's single `component_id` (which its clients keep using, and never see this field
/// without asking for it). Two shapes are accepted: a JSON array of `{"id": 1, "status": 4}`
/// objects, and an object from id to status (`{"1": 4}`, which form-encoded clients send
/// as `components[1]=4`). An empty array or object means "no components". An id named twice,
/// a non-positive id, an unknown status code or more than [`MAX_AFFECTED`] entries are a 422
/// naming `components`; so is naming components here and in `component_id` at once.
pub(super) fn affected_list(input: &Input) -> Result<Option<Vec<AffectedComponent>>, Fail> {
    use serde_json::Value;
    let bad = |expected: &'static str| {
        Fail::Invalid(vec![ValidationError::new(
            "components",
            Violation::Format { expected },
        )])
    };
    const SHAPE: &str = "an array of {\"id\": component id, \"status\": 0 to 4} objects, or an object from component id to status";
    let int = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let pairs: Vec<(Option<i64>, Option<i64>)> = match input.get("components") {
        None => return Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Object(o) => Ok((o.get("id").and_then(int), o.get("status").and_then(int))),
                _ => Err(bad(SHAPE)),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Object(map)) => map
            .iter()
            .map(|(id, status)| (id.trim().parse::<i64>().ok(), int(status)))
            .collect(),
        // PHP clients send an empty string for an empty list.
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(_) => return Err(bad(SHAPE)),
    };
    if pairs.len() > MAX_AFFECTED {
        return Err(bad("at most 1000 components"));
    }
    let mut out: Vec<AffectedComponent> = Vec::with_capacity(pairs.len());
    for (id, status) in pairs {
        let component_id = match id {
            Some(n) if n > 0 => ComponentId(n),
            _ => return Err(bad(SHAPE)),
        };
        let status = status
            .ok_or(())
            .and_then(|code| ComponentStatus::from_code(code).map_err(|_| ()))
            .map_err(|()| bad("a component status from 0 to 4 for every component"))?;
        if out.iter().any(|a| a.component_id == component_id) {
            return Err(bad("each component at most once"));
        }
        out.push(AffectedComponent {
            component_id,
            status,
        });
    }
    out.sort_by_key(|a| a.component_id);
    Ok(Some(out))
}

/// The affected components of a write: `components` or the single `component_id`, never
/// both.
fn affected_of(input: &Input) -> Result<Option<Vec<AffectedComponent>>, Fail> {
    let single = affected(input)?;
    match (single, affected_list(input)?) {
        (Some(_), Some(_)) => Err(Fail::Invalid(vec![ValidationError::new(
            "components",
            Violation::Format {
                expected: "either components or component_id, not both",
            },
        )])),
        (Some(one), None) => Ok(Some(vec![one])),
        (None, list) => Ok(list),
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
    let affected = c.take(affected_of(i));
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
                component_status: first_status(affected.as_deref()),
            },
        )?,
        None => message.unwrap_or_default(),
    };
    let apply_component_status = affected.as_ref().is_some_and(|a| !a.is_empty());
    let new = NewIncident {
        user_id: call.actor.user().map(|u| u.id),
        name,
        status,
        message,
        visible,
        stickied,
        notify,
        occurred_at,
        components: affected.unwrap_or_default(),
        // Cachet sets the linked component's status silently.
        apply_component_status,
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
    let affected = c.take(affected_of(i));
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
                component_status: first_status(affected.as_deref()),
            },
        )?),
        None => message,
    };
    let apply_component_status = affected.as_ref().is_some_and(|a| !a.is_empty());
    let patch = IncidentPatch {
        name,
        status,
        message,
        visible,
        stickied,
        notify,
        occurred_at,
        components: affected,
        apply_component_status,
        meta: checked(meta)?,
    };
    let incident = call
        .cachet
        .update_incident(&call.actor, IncidentId(id), &patch)
        .await?;
    Ok(item(present(&call, &incident).await?))
}

/// The status a template sees as `incident.component_status`: the first named component's.
fn first_status(affected: Option<&[AffectedComponent]>) -> Option<ComponentStatus> {
    affected.and_then(<[_]>::first).map(|a| a.status)
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_incident(&call.actor, IncidentId(id))
        .await?;
    Ok(response::no_content())
}
