//! The maintenance page `/schedules/{id}`: phase, window, covered components, message and
//! updates, newest first.

use std::collections::HashMap;

use askama::Template;

use super::status_page::{MaintenanceView, maintenance_view};
use super::{Chrome, PageError, UpdateView, iso};
use crate::i18n::Msg;
use crate::model::ScheduleId;
use crate::sanitize::render_markdown;
use crate::{Actor, Cachet};

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage<'a> {
    c: &'a Chrome,
    m: MaintenanceView,
    affected: Vec<(String, String)>,
    updates: Vec<UpdateView>,
}

pub(crate) async fn render(cachet: &Cachet, c: &Chrome, id: i64) -> Result<String, PageError> {
    let actor = Actor::anonymous(None);
    let schedule = cachet.schedule(&actor, ScheduleId(id)).await?;
    let (_, components) = cachet.visible_components(&actor).await?;
    let names: HashMap<_, _> = components
        .iter()
        .map(|x| (x.id, x.name.as_str().to_owned()))
        .collect();
    let affected = schedule
        .components
        .iter()
        .filter_map(|id| components.iter().find(|x| x.id == *id))
        .map(|x| {
            (
                c.href(&format!("/components/{}", x.id)),
                x.name.as_str().to_owned(),
            )
        })
        .collect();
    let mut updates = cachet
        .store()
        .schedule_updates(schedule.id)
        .await
        .map_err(crate::Error::from)?;
    updates.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let updates = updates
        .iter()
        .map(|u| UpdateView {
            status: super::phase_label(
                &c.cat,
                crate::status::window_phase_at(&schedule, u.created_at),
            ),
            time: c.time(u.created_at),
            iso: iso(u.created_at),
            message: render_markdown(&u.message),
        })
        .collect();
    let page = SchedulePage {
        c,
        m: maintenance_view(c, &schedule, &names),
        affected,
        updates,
    };
    Ok(page.render()?)
}
