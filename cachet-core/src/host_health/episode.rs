//! One episode of a component leaving operational and coming back, written through the
//! facade: the status follows, at most one incident is opened per episode (marked in its
//! meta so a restarted process, or another instance, adopts it instead of opening another),
//! recovery resolves it, and a status someone changed by hand is not undone. Shared by host
//! health and the monitoring alert integrations ([`crate::alerts`]), which differ only in
//! who acts and which meta key marks their incidents.

use crate::model::{
    AffectedComponent, Component, ComponentId, ComponentPatch, ComponentStatus, Incident,
    IncidentId, IncidentStatus, NewIncident, NewIncidentUpdate,
};
use crate::store::{IncidentFilter, IncidentQuery};
use crate::validate::{Markdown, Meta, Name};
use crate::{Actor, Cachet, Error};

/// What the writer last made of a component.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Applied {
    /// The status it last wrote (or found in place); `None` until the first verdict.
    pub status: Option<ComponentStatus>,
    /// The incident of the current episode, once opened or adopted.
    pub incident: Option<IncidentId>,
}

/// The incident to open when a component leaves operational.
#[derive(Debug, Clone)]
pub(crate) struct Opening {
    pub title: Name,
    pub message: Markdown,
}

/// What one [`Episode::apply`] did besides the status.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Outcome {
    pub opened: bool,
    pub resolved: bool,
}

/// Who writes, and how their incidents are marked.
pub(crate) struct Episode<'a> {
    pub cachet: &'a Cachet,
    pub actor: Actor,
    /// The meta key that marks an incident this writer opened, with the component's id.
    pub marker: &'static str,
}

impl Episode<'_> {
    /// Moves component `id` to `desired`, opening, adopting or resolving its incident.
    pub(crate) async fn apply(
        &self,
        id: ComponentId,
        applied: &mut Applied,
        desired: ComponentStatus,
        opening: Option<Opening>,
        resolution: Option<Markdown>,
    ) -> Result<Outcome, Error> {
        let cachet = self.cachet;
        let actor = &self.actor;
        let mut outcome = Outcome::default();
        let component = cachet.component(actor, id).await?;
        // The episode's incident: the one opened or adopted, or (after a start, or when a
        // write's answer was lost) one of ours still open.
        let incident = match applied.incident {
            Some(known) => match cachet.incident(actor, known).await {
                Ok(i) => Some(i),
                Err(Error::NotFound { .. }) => None,
                Err(e) => return Err(e),
            },
            None => self.open_incident_of(id).await?,
        };
        let open = incident.filter(|i| !i.status.is_resolved());
        if desired == ComponentStatus::Operational {
            if let Some(incident) = open {
                let message = resolution.unwrap_or_else(default_resolution);
                let update = NewIncidentUpdate {
                    status: IncidentStatus::Fixed,
                    message,
                    user_id: None,
                    component: Some(AffectedComponent {
                        component_id: id,
                        status: ComponentStatus::Operational,
                    }),
                };
                cachet
                    .create_incident_update(actor, incident.id, &update)
                    .await?;
                outcome.resolved = true;
            } else if applied.status == Some(component.status) {
                // Only what this writer set is undone: a status someone chose meanwhile
                // (or found in place after a start) stays.
                self.set_status(&component, desired).await?;
            }
            applied.incident = None;
        } else if let Some(incident) = open {
            if component.status != desired {
                let update = NewIncidentUpdate {
                    status: incident.status,
                    message: status_message(desired),
                    user_id: None,
                    component: Some(AffectedComponent {
                        component_id: id,
                        status: desired,
                    }),
                };
                cachet
                    .create_incident_update(actor, incident.id, &update)
                    .await?;
            }
            applied.incident = Some(incident.id);
        } else if let (None, Some(text)) = (applied.incident, opening) {
            let new = NewIncident {
                components: vec![AffectedComponent {
                    component_id: id,
                    status: desired,
                }],
                apply_component_status: true,
                meta: marker(self.marker, id),
                ..NewIncident::new(
                    text.title,
                    IncidentStatus::Investigating,
                    text.message,
                    cachet.now(),
                )
                .notifying()
            };
            let incident = cachet.create_incident(actor, &new).await?;
            applied.incident = Some(incident.id);
            outcome.opened = true;
        } else {
            // No incident asked for, or someone resolved this episode's incident by hand:
            // the status alone follows, and no second incident is opened.
            self.set_status(&component, desired).await?;
        }
        applied.status = Some(desired);
        Ok(outcome)
    }

    async fn set_status(
        &self,
        component: &Component,
        status: ComponentStatus,
    ) -> Result<(), Error> {
        if component.status == status {
            return Ok(());
        }
        let patch = ComponentPatch {
            status: Some(status),
            ..ComponentPatch::default()
        };
        self.cachet
            .update_component(&self.actor, component.id, &patch)
            .await?;
        Ok(())
    }

    /// An unresolved incident this writer opened for component `id`.
    async fn open_incident_of(&self, id: ComponentId) -> Result<Option<Incident>, Error> {
        let q = IncidentQuery::filtered(IncidentFilter {
            component_id: Some(id),
            resolved: Some(false),
            ..IncidentFilter::default()
        });
        let page = self.cachet.incidents(&self.actor, q).await?;
        let ours = serde_json::Value::from(id.get());
        Ok(page
            .items
            .into_iter()
            .find(|i| i.meta.as_map().get(self.marker) == Some(&ours)))
    }
}

fn marker(key: &str, id: ComponentId) -> Meta {
    let mut map = serde_json::Map::new();
    map.insert(key.to_owned(), id.get().into());
    Meta::from_value(serde_json::Value::Object(map)).unwrap_or_default()
}

fn default_resolution() -> Markdown {
    Markdown::parse("Resolved: the service works normally again.").unwrap_or_default()
}

fn status_message(status: ComponentStatus) -> Markdown {
    Markdown::parse(&format!("The status is now: {}.", status.label())).unwrap_or_default()
}
