//! The component page `/components/{id}`: status (text and colour), group, description,
//! link and its recent incidents. Disabled components and components in signed-in-only
//! groups are 404.

use askama::Template;

use super::{Chrome, IncidentView, PageError, StatusView};
use crate::i18n::Msg;
use crate::model::ComponentId;
use crate::model::ScheduleStatus;
use crate::sanitize::{SafeHtml, render_markdown};
use crate::store::{IncidentFilter, IncidentQuery, PageRequest};
use crate::store::{ScheduleFilter, ScheduleQuery};
use crate::{Actor, Cachet};

/// How many recent incidents the page lists.
const RECENT: u32 = 10;

#[derive(Template)]
#[template(path = "component.html")]
struct ComponentPage<'a> {
    c: &'a Chrome,
    name: String,
    status: StatusView,
    group: Option<String>,
    link: Option<String>,
    /// Rendered as sanitized Markdown.
    description: SafeHtml,
    history: Option<String>,
    incidents: Vec<IncidentView>,
}

pub(crate) async fn render(cachet: &Cachet, c: &Chrome, id: i64) -> Result<String, PageError> {
    let actor = Actor::anonymous(None);
    let component = cachet.component(&actor, ComponentId(id)).await?;
    if !component.enabled {
        return Err(PageError::NotFound);
    }
    let group = match component.group_id {
        Some(g) => Some(cachet.group(&actor, g).await?.name.as_str().to_owned()),
        None => None,
    };
    let open_q = ScheduleQuery::filtered(ScheduleFilter {
        status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
        component_id: Some(component.id),
        ..ScheduleFilter::default()
    });
    let open = cachet.schedules(&actor, open_q).await?.items;
    let status = super::status_view(
        &c.cat,
        crate::status::effective_status(&component, &open, c.now),
    );
    let q = IncidentQuery::filtered(IncidentFilter {
        component_id: Some(component.id),
        ..IncidentFilter::default()
    })
    .paged(PageRequest::new(1, RECENT));
    let mut incidents = Vec::new();
    for i in cachet.incidents(&actor, q).await?.items {
        let updates = cachet
            .incident_updates(&actor, i.id, PageRequest::all())
            .await?
            .items;
        incidents.push(super::incident_view(c, &i, &updates));
    }
    let page = ComponentPage {
        c,
        name: component.name.as_str().to_owned(),
        status,
        group,
        link: component.link.as_ref().map(|l| l.as_str().to_owned()),
        description: render_markdown(&component.description.to_markdown()),
        history: Some(super::history_bars(
            c,
            &crate::history::component_history(cachet, component.id, c.now).await?,
            super::Bars::Reachable,
        )),
        incidents,
    };
    Ok(page.render()?)
}
