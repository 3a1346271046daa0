//! `/v1/pages/{page_id}/incidents`.

use http::StatusCode;
use serde_json::Value;

use super::{Call, Fail, Handled, component_status, incident_status, parse_id};
use crate::model::*;
use crate::status::MaintenancePhase;
use crate::store::{IncidentFilter, IncidentQuery, PageRequest};
use crate::validate::{Markdown, Name, Violation};
use crate::web::response;

/// The most incidents one page of the list holds (Statuspage's `limit` bound).
const MAX_LIMIT: i64 = 100;

/// These incidents as the public API shows them, seen with the call's token.
async fn answer_list(call: &Call<'_>, incidents: &[Incident]) -> Handled {
    let view = call.view().await?;
    Ok(response::json(
        StatusCode::OK,
        &view.incident_list(incidents).await?,
    ))
}

async fn answer_one(call: &Call<'_>, incident: &Incident) -> Handled {
    let view = call.view().await?;
    let dto = view
        .incident_list(std::slice::from_ref(incident))
        .await?
        .pop()
        .ok_or(Fail::Status(StatusCode::NOT_FOUND, "Not found"))?;
    Ok(response::json(StatusCode::OK, &dto))
}

/// A positive integer query parameter within `1..=max`.
fn bounded(
    call: &Call<'_>,
    key: &'static str,
    max: i64,
    expected: &'static str,
) -> Result<Option<u32>, Fail> {
    match call.input.int(key).map_err(|e| call.in_envelope(e))? {
        None => Ok(None),
        Some(n) if (1..=max).contains(&n) => Ok(u32::try_from(n).ok()),
        Some(_) => Err(call.invalid(key, Violation::Format { expected })),
    }
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let page = bounded(&call, "page", i64::from(u32::MAX), "a whole number from 1")?.unwrap_or(1);
    let limit = bounded(&call, "limit", MAX_LIMIT, "a whole number from 1 to 100")?.unwrap_or(100);
    let q = IncidentQuery::all().paged(PageRequest::new(page, limit));
    let items = call.cachet.incidents(&call.actor, q).await?.items;
    answer_list(&call, &items).await
}

pub(super) async fn unresolved(call: Call<'_>) -> Handled {
    let q = IncidentQuery::filtered(IncidentFilter {
        resolved: Some(false),
        ..IncidentFilter::default()
    })
    .paged(PageRequest::all());
    let items = call.cachet.incidents(&call.actor, q).await?.items;
    answer_list(&call, &items).await
}

pub(super) async fn scheduled(call: Call<'_>) -> Handled {
    let view = call.view().await?;
    let upcoming = view.open_maintenances(|p| p == MaintenancePhase::Upcoming);
    Ok(response::json(
        StatusCode::OK,
        &view.maintenances(&upcoming).await?,
    ))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let incident = call.cachet.incident(&call.actor, IncidentId(id)).await?;
    answer_one(&call, &incident).await
}

/// What a create and an update read from the `incident` envelope.
struct Fields {
    name: Option<Name>,
    status: Option<IncidentStatus>,
    body: Option<Markdown>,
    /// `component_ids` and the keys of `components`, once each, in order.
    component_ids: Option<Vec<ComponentId>>,
    /// `components`: the statuses to give components.
    statuses: Vec<(ComponentId, ComponentStatus)>,
    deliver_notifications: Option<bool>,
}

fn fields(call: &Call<'_>) -> Result<Fields, Fail> {
    let input = &call.input;
    let name = call.parsed("name", Name::parse)?;
    let status = call.parsed("status", incident_status)?;
    let body = call.parsed("body", Markdown::parse)?;
    let deliver_notifications = input
        .bool("deliver_notifications")
        .map_err(|e| call.in_envelope(e))?;

    let bad_ids = || {
        call.invalid(
            "component_ids",
            Violation::Format {
                expected: "a list of component ids (component-1)",
            },
        )
    };
    let mut ids: Option<Vec<ComponentId>> = match input.get("component_ids") {
        None => None,
        // Form clients send an empty string for an empty list.
        Some(Value::String(s)) if s.trim().is_empty() => Some(Vec::new()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| component_ref(v).ok_or_else(bad_ids))
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(bad_ids()),
    };
    let mut statuses = Vec::new();
    match input.get("components") {
        None => {}
        Some(Value::String(s)) if s.trim().is_empty() => {}
        Some(Value::Object(map)) => {
            for (key, word) in map {
                let id = parse_id(key.trim(), "component")
                    .map(ComponentId)
                    .ok_or_else(|| {
                        call.invalid(
                            "components",
                            Violation::Format {
                                expected: "an object from component id (component-1) to status",
                            },
                        )
                    })?;
                let status = word
                    .as_str()
                    .ok_or(Violation::Format {
                        expected: "a component status for every component",
                    })
                    .and_then(component_status)
                    .map_err(|v| call.invalid("components", v))?;
                statuses.push((id, status));
                ids.get_or_insert_with(Vec::new).push(id);
            }
        }
        Some(_) => {
            return Err(call.invalid(
                "components",
                Violation::Format {
                    expected: "an object from component id (component-1) to status",
                },
            ));
        }
    }
    if let Some(ids) = ids.as_mut() {
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
    }
    Ok(Fields {
        name,
        status,
        body,
        component_ids: ids,
        statuses,
        deliver_notifications,
    })
}

/// A component id in a body: `"component-1"`, `"1"` or `1`.
fn component_ref(v: &Value) -> Option<ComponentId> {
    match v {
        Value::String(s) => parse_id(s.trim(), "component").map(ComponentId),
        Value::Number(n) => n.as_i64().filter(|n| *n > 0).map(ComponentId),
        _ => None,
    }
}

/// The affected components of a write: each named component with the status `components`
/// gives it, or its current status (so that naming a component never changes it).
async fn affected(
    call: &Call<'_>,
    ids: &[ComponentId],
    statuses: &[(ComponentId, ComponentStatus)],
) -> Result<Vec<AffectedComponent>, Fail> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let status = match statuses.iter().find(|(c, _)| c == id) {
            Some((_, s)) => *s,
            None => match call.cachet.component(&call.actor, *id).await {
                Ok(c) => c.status,
                Err(crate::Error::NotFound { .. }) => {
                    return Err(call.invalid(
                        "component_ids",
                        Violation::NotAllowed {
                            allowed: "ids of existing components",
                        },
                    ));
                }
                Err(e) => return Err(e.into()),
            },
        };
        out.push(AffectedComponent {
            component_id: *id,
            status,
        });
    }
    Ok(out)
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let f = fields(&call)?;
    let name = f
        .name
        .ok_or_else(|| call.invalid("name", Violation::Required))?;
    let components = affected(
        &call,
        f.component_ids.as_deref().unwrap_or(&[]),
        &f.statuses,
    )
    .await?;
    let new = NewIncident {
        user_id: call.actor.user().map(|u| u.id),
        notify: f.deliver_notifications.unwrap_or(true),
        components,
        apply_component_status: !f.statuses.is_empty(),
        ..NewIncident::new(
            name,
            f.status.unwrap_or(IncidentStatus::Investigating),
            f.body.unwrap_or_default(),
            call.cachet.now(),
        )
    };
    let incident = call.cachet.create_incident(&call.actor, &new).await?;
    answer_one(&call, &incident).await
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let id = IncidentId(id);
    let f = fields(&call)?;
    let mut incident = call.cachet.incident(&call.actor, id).await?;
    let components = match &f.component_ids {
        Some(ids) => Some(affected(&call, ids, &f.statuses).await?),
        None => None,
    };
    if f.name.is_some() || components.is_some() || f.deliver_notifications.is_some() {
        let patch = IncidentPatch {
            name: f.name,
            notify: f.deliver_notifications,
            components,
            apply_component_status: !f.statuses.is_empty(),
            ..IncidentPatch::default()
        };
        incident = call.cachet.update_incident(&call.actor, id, &patch).await?;
    }
    // Each Statuspage update with a status or a body is an incident update, and moves the
    // incident's status with it.
    if f.status.is_some() || f.body.is_some() {
        let update = NewIncidentUpdate {
            status: f.status.unwrap_or(incident.status),
            message: f.body.unwrap_or_default(),
            user_id: call.actor.user().map(|u| u.id),
            component: None,
        };
        call.cachet
            .create_incident_update(&call.actor, id, &update)
            .await?;
        incident = call.cachet.incident(&call.actor, id).await?;
    }
    answer_one(&call, &incident).await
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    let id = IncidentId(id);
    let incident = call.cachet.incident(&call.actor, id).await?;
    // Answered as it was: presented before it is gone.
    let answer = answer_one(&call, &incident).await?;
    call.cachet.delete_incident(&call.actor, id).await?;
    Ok(answer)
}
