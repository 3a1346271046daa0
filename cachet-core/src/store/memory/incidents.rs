//! Incidents, their updates and incident templates.
//!
//! [`IncidentStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::{conflict, not_found};
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{Changed, EffectsFn, IncidentStore, StoreResult, WriteContext};

#[async_trait]
impl IncidentStore for MemoryStore {
    // ---- incidents --------------------------------------------------------------------------

    async fn incident(&self, id: IncidentId) -> StoreResult<Incident> {
        self.lock()
            .incidents
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("incident", id.0))
    }

    async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Page<Incident>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<Incident> = st
            .incidents
            .values()
            .filter(|i| {
                f.id.is_none_or(|id| i.id == id)
                    && f.user_id.is_none_or(|u| i.user_id == Some(u))
                    && f.component_id
                        .is_none_or(|c| i.components.iter().any(|a| a.component_id == c))
                    && f.name.as_ref().is_none_or(|n| &i.name == n)
                    && f.status.is_none_or(|s| i.status == s)
                    && f.visible.is_none_or(|v| i.visible == v)
                    && f.stickied.is_none_or(|s| i.stickied == s)
                    && f.resolved
                        .is_none_or(|r| (i.status == IncidentStatus::Fixed) == r)
                    && f.occurred_since.is_none_or(|t| i.occurred_at >= t)
                    && f.occurred_before.is_none_or(|t| i.occurred_at < t)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| b.occurred_at.cmp(&a.occurred_at).then(b.id.cmp(&a.id)),
            order::incident,
            |i| i.id.0,
        ))
    }

    async fn create_incident(
        &self,
        cx: WriteContext,
        new: &NewIncident,
        fx: &EffectsFn<'_, Incident>,
    ) -> StoreResult<Incident> {
        let mut st = self.lock();
        let components = normalize_affected(&new.components);
        st.check_components(components.iter().map(|a| a.component_id))?;
        st.check_user(new.user_id)?;
        let id = IncidentId(st.ids.incident.next());
        let incident = Incident {
            id,
            user_id: new.user_id,
            name: new.name.clone(),
            status: new.status,
            message: new.message.clone(),
            visible: new.visible,
            stickied: new.stickied,
            notify: new.notify,
            occurred_at: new.occurred_at,
            components,
            meta: new.meta.clone(),
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&incident);
        if new.apply_component_status {
            let cause = StatusCause {
                kind: StatusCauseKind::Incident,
                user_id: new.user_id,
                incident_id: Some(id),
                schedule_id: None,
            };
            for a in &incident.components {
                st.apply_status(a.component_id, a.status, cause, cx.now);
            }
        }
        st.incidents.insert(id, incident.clone());
        st.commit(cx.now, effects);
        Ok(incident)
    }

    async fn update_incident(
        &self,
        cx: WriteContext,
        id: IncidentId,
        patch: &IncidentPatch,
        fx: &EffectsFn<'_, Changed<Incident>>,
    ) -> StoreResult<Incident> {
        let mut st = self.lock();
        let before = st
            .incidents
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("incident", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        if patch.components.is_some() {
            st.check_components(after.components.iter().map(|a| a.component_id))?;
        }
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        if patch.apply_component_status && patch.components.is_some() {
            let cause = StatusCause {
                kind: StatusCauseKind::Incident,
                user_id: after.user_id,
                incident_id: Some(id),
                schedule_id: None,
            };
            for a in &after.components {
                st.apply_status(a.component_id, a.status, cause, cx.now);
            }
        }
        st.incidents.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_incident(
        &self,
        cx: WriteContext,
        id: IncidentId,
        fx: &EffectsFn<'_, Incident>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let incident = st
            .incidents
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("incident", id.0))?;
        let effects = fx(&incident);
        st.incidents.remove(&id);
        st.incident_updates.retain(|_, u| u.incident_id != id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn incident_update(
        &self,
        incident: IncidentId,
        id: IncidentUpdateId,
    ) -> StoreResult<IncidentUpdate> {
        let st = self.lock();
        st.incident_update_of(incident, id)
    }

    async fn incident_updates(
        &self,
        incident: IncidentId,
        page: PageRequest,
    ) -> StoreResult<Page<IncidentUpdate>> {
        let st = self.lock();
        if !st.incidents.contains_key(&incident) {
            return Err(not_found("incident", incident.0));
        }
        let mut items: Vec<IncidentUpdate> = st
            .incident_updates
            .values()
            .filter(|u| u.incident_id == incident)
            .cloned()
            .collect();
        items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(order::paginate(items, page))
    }

    async fn incident_updates_of(
        &self,
        incidents: &[IncidentId],
    ) -> StoreResult<Vec<IncidentUpdate>> {
        let wanted: std::collections::HashSet<IncidentId> = incidents.iter().copied().collect();
        let st = self.lock();
        let mut items: Vec<IncidentUpdate> = st
            .incident_updates
            .values()
            .filter(|u| wanted.contains(&u.incident_id))
            .cloned()
            .collect();
        items.sort_by(|a, b| {
            (a.incident_id, b.created_at, b.id).cmp(&(b.incident_id, a.created_at, a.id))
        });
        Ok(items)
    }

    async fn create_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        new: &NewIncidentUpdate,
        fx: &EffectsFn<'_, IncidentUpdate>,
    ) -> StoreResult<IncidentUpdate> {
        let mut st = self.lock();
        if !st.incidents.contains_key(&incident) {
            return Err(not_found("incident", incident.0));
        }
        st.check_components(new.component.iter().map(|a| a.component_id))?;
        st.check_user(new.user_id)?;
        let id = IncidentUpdateId(st.ids.incident_update.next());
        let update = IncidentUpdate {
            id,
            incident_id: incident,
            status: new.status,
            message: new.message.clone(),
            user_id: new.user_id,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&update);
        if let Some(i) = st.incidents.get_mut(&incident) {
            i.status = new.status;
            i.updated_at = cx.now;
        }
        if let Some(a) = new.component {
            let cause = StatusCause {
                kind: StatusCauseKind::Incident,
                user_id: new.user_id,
                incident_id: Some(incident),
                schedule_id: None,
            };
            st.apply_status(a.component_id, a.status, cause, cx.now);
        }
        st.incident_updates.insert(id, update.clone());
        st.commit(cx.now, effects);
        Ok(update)
    }

    async fn update_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        id: IncidentUpdateId,
        patch: &IncidentUpdatePatch,
        fx: &EffectsFn<'_, Changed<IncidentUpdate>>,
    ) -> StoreResult<IncidentUpdate> {
        let mut st = self.lock();
        let before = st.incident_update_of(incident, id)?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.incident_updates.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        id: IncidentUpdateId,
        fx: &EffectsFn<'_, IncidentUpdate>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let update = st.incident_update_of(incident, id)?;
        let effects = fx(&update);
        st.incident_updates.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- incident templates -----------------------------------------------------------------

    async fn template(&self, id: TemplateId) -> StoreResult<IncidentTemplate> {
        self.lock()
            .templates
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("incident_template", id.0))
    }

    async fn templates(&self, q: &TemplateQuery) -> StoreResult<Page<IncidentTemplate>> {
        let st = self.lock();
        let items: Vec<IncidentTemplate> = st
            .templates
            .values()
            .filter(|t| q.filter.slug.as_ref().is_none_or(|s| &t.slug == s))
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            order::template,
            |t| t.id.0,
        ))
    }

    async fn create_template(
        &self,
        cx: WriteContext,
        new: &NewIncidentTemplate,
        fx: &EffectsFn<'_, IncidentTemplate>,
    ) -> StoreResult<IncidentTemplate> {
        let mut st = self.lock();
        if st.templates.values().any(|t| t.slug == new.slug) {
            return Err(conflict("incident_template", "slug already exists"));
        }
        let id = TemplateId(st.ids.template.next());
        let template = IncidentTemplate {
            id,
            name: new.name.clone(),
            slug: new.slug.clone(),
            template: new.template.clone(),
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&template);
        st.templates.insert(id, template.clone());
        st.commit(cx.now, effects);
        Ok(template)
    }

    async fn update_template(
        &self,
        cx: WriteContext,
        id: TemplateId,
        patch: &IncidentTemplatePatch,
        fx: &EffectsFn<'_, Changed<IncidentTemplate>>,
    ) -> StoreResult<IncidentTemplate> {
        let mut st = self.lock();
        let before = st
            .templates
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("incident_template", id.0))?;
        if let Some(slug) = &patch.slug
            && st.templates.values().any(|t| t.id != id && &t.slug == slug)
        {
            return Err(conflict("incident_template", "slug already exists"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.templates.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_template(
        &self,
        cx: WriteContext,
        id: TemplateId,
        fx: &EffectsFn<'_, IncidentTemplate>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let template = st
            .templates
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("incident_template", id.0))?;
        let effects = fx(&template);
        st.templates.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }
}
