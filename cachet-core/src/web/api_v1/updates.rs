//! `/api/v1/incidents/{id}/updates`. An update id under another incident is a 404.

use super::query::*;
use super::{Call, Handled, present};
use crate::model::*;
use crate::validate::Violation;
use crate::web::response;

/// An update's status: 1 to 4 (an update cannot put an incident back to "scheduled").
fn update_status(code: i64) -> Result<IncidentStatus, Violation> {
    match code {
        1..=4 => IncidentStatus::from_code(code),
        _ => Err(Violation::OutOfRange { min: 1, max: 4 }),
    }
}

fn base(call: &Call<'_>) -> String {
    call.cachet.config().public_url.as_str().to_owned()
}

pub(super) async fn list(call: Call<'_>, incident: i64) -> Handled {
    let page = page(&call)?;
    let p = call
        .cachet
        .incident_updates(&call.actor, IncidentId(incident), page)
        .await?;
    let base = base(&call);
    let data = p
        .items
        .iter()
        .map(|u| present::incident_update(u, &base, call.tz))
        .collect();
    Ok(list_response(&call, &p, data))
}

pub(super) async fn get(call: Call<'_>, incident: i64, id: i64) -> Handled {
    let u = call
        .cachet
        .incident_update(&call.actor, IncidentId(incident), IncidentUpdateId(id))
        .await?;
    Ok(item(present::incident_update(&u, &base(&call), call.tz)))
}

pub(super) async fn create(call: Call<'_>, incident: i64) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let status = c.take(required("status", code_field(i, "status", update_status)));
    let message = c.take(required("message", markdown_field(i, "message")));
    let affected = c.take(super::incidents::affected(i));
    if message
        .as_ref()
        .is_some_and(|m| m.as_str().trim().is_empty())
    {
        c.push(crate::validate::ValidationError::new(
            "message",
            Violation::Required,
        ));
    }
    c.finish()?;
    let new = NewIncidentUpdate {
        status: checked(status)?,
        message: checked(message)?,
        user_id: call.actor.user().map(|u| u.id),
        component: checked(affected)?,
    };
    let u = call
        .cachet
        .create_incident_update(&call.actor, IncidentId(incident), &new)
        .await?;
    Ok(item(present::incident_update(&u, &base(&call), call.tz)))
}

pub(super) async fn update(call: Call<'_>, incident: i64, id: i64) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let status = c.take(code_field(i, "status", update_status));
    let message = c.take(markdown_field(i, "message"));
    c.finish()?;
    let patch = IncidentUpdatePatch {
        status: checked(status)?,
        message: checked(message)?,
    };
    let u = call
        .cachet
        .update_incident_update(
            &call.actor,
            IncidentId(incident),
            IncidentUpdateId(id),
            &patch,
        )
        .await?;
    Ok(item(present::incident_update(&u, &base(&call), call.tz)))
}

pub(super) async fn delete(call: Call<'_>, incident: i64, id: i64) -> Handled {
    call.cachet
        .delete_incident_update(&call.actor, IncidentId(incident), IncidentUpdateId(id))
        .await?;
    Ok(response::no_content())
}
