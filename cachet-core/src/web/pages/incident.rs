//! The incident page `/incidents/{id}`: status, impact, start, affected components, the
//! first message and the update timeline, newest first. Hidden incidents are 404.

use askama::Template;

use super::{Chrome, IncidentView, PageError};
use crate::i18n::Msg;
use crate::model::IncidentId;
use crate::store::PageRequest;
use crate::{Actor, Cachet};

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage<'a> {
    c: &'a Chrome,
    i: IncidentView,
    /// Links and names of the visible affected components.
    affected: Vec<(String, String)>,
}

pub(crate) async fn render(cachet: &Cachet, c: &Chrome, id: i64) -> Result<String, PageError> {
    let actor = Actor::anonymous(None);
    let incident = cachet.incident(&actor, IncidentId(id)).await?;
    if !incident.visible {
        return Err(PageError::NotFound);
    }
    let updates = cachet
        .incident_updates(&actor, incident.id, PageRequest::all())
        .await?
        .items;
    let (_, components) = cachet.visible_components(&actor).await?;
    let affected = incident
        .components
        .iter()
        .filter_map(|a| components.iter().find(|x| x.id == a.component_id))
        .map(|x| {
            (
                c.href(&format!("/components/{}", x.id)),
                x.name.as_str().to_owned(),
            )
        })
        .collect();
    let page = IncidentPage {
        c,
        i: super::incident_view(c, &incident, &updates),
        affected,
    };
    Ok(page.render()?)
}
