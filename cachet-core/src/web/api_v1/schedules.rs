//! `/api/v1/schedules`: maintenance windows. Unlike Cachet 2.4, which ignored it, the
//! `components` list is honoured, so a window covers its components.

use super::dto::ScheduleDto;
use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::model::*;
use crate::store::{ScheduleFilter, ScheduleQuery};
use crate::web::response;

/// A schedule with the components it covers that the reader may see.
async fn present(call: &Call<'_>, s: &Schedule) -> Result<ScheduleDto, Fail> {
    let mut components = Vec::with_capacity(s.components.len());
    for id in &s.components {
        match call.cachet.component(&call.actor, *id).await {
            Ok(c) => components.push(c),
            Err(crate::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(present::schedule(s, &components, call.tz))
}

fn components(call: &Call<'_>) -> Result<Option<Vec<ComponentId>>, Fail> {
    Ok(id_list(&call.input, "components")?.map(|l| l.into_iter().map(ComponentId).collect()))
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let q = ScheduleQuery {
        // Cachet has no schedule filters.
        filter: ScheduleFilter::default(),
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call.cachet.schedules(&call.actor, q).await?;
    let mut data = Vec::with_capacity(p.items.len());
    for s in &p.items {
        data.push(present(&call, s).await?);
    }
    Ok(list_response(&call, &p, data))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let s = call.cachet.schedule(&call.actor, ScheduleId(id)).await?;
    Ok(item(present(&call, &s).await?))
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(required("name", name_field(i, "name")));
    let message = c.take(markdown_field(i, "message"));
    let status = c.take(required(
        "status",
        code_field(i, "status", ScheduleStatus::from_code),
    ));
    let scheduled_at = c.take(required(
        "scheduled_at",
        date_field(i, "scheduled_at", call.tz).map(Option::flatten),
    ));
    let completed_at = c.take(date_field(i, "completed_at", call.tz));
    let components = c.take(components(&call));
    let notify = c.take(bool_field(i, "notify"));
    c.finish()?;
    let new = NewSchedule {
        name: checked(name)?,
        message: checked(message)?.unwrap_or_default(),
        status: checked(status)?,
        scheduled_at: checked(scheduled_at)?,
        completed_at: checked(completed_at)?.flatten(),
        components: checked(components)?.unwrap_or_default(),
        notify: checked(notify)?.unwrap_or(false),
        user_id: call.actor.user().map(|u| u.id),
    };
    let s = call.cachet.create_schedule(&call.actor, &new).await?;
    Ok(item(present(&call, &s).await?))
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(name_field(i, "name"));
    let message = c.take(markdown_field(i, "message"));
    let status = c.take(code_field(i, "status", ScheduleStatus::from_code));
    // An empty `scheduled_at` leaves the start as it is (it cannot be cleared).
    let scheduled_at = c.take(date_field(i, "scheduled_at", call.tz).map(Option::flatten));
    let completed_at = c.take(date_field(i, "completed_at", call.tz));
    let components = c.take(components(&call));
    c.finish()?;
    let patch = SchedulePatch {
        name: checked(name)?,
        message: checked(message)?,
        status: checked(status)?,
        scheduled_at: checked(scheduled_at)?,
        completed_at: checked(completed_at)?,
        components: checked(components)?,
        // Cachet's update takes no `notify`.
        notify: None,
        expected_status: None,
    };
    let s = call
        .cachet
        .update_schedule(&call.actor, ScheduleId(id), &patch)
        .await?;
    Ok(item(present(&call, &s).await?))
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_schedule(&call.actor, ScheduleId(id))
        .await?;
    Ok(response::no_content())
}
