//! The in-memory reference store.
//!
//! [`MemoryStore`] implements the whole [`Store`] contract on plain maps behind one lock. It is
//! what the conformance suite is checked against first, what tests and demos run on, and the
//! executable description of the semantics the SQL backends in `cachet-store` follow.

mod order;
mod state;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use self::state::{RecoveryCode, State, conflict, invalid, not_found};
use super::{Changed, Effects, EffectsFn, Store, StoreResult, WriteContext};
use crate::model::*;
use crate::store::query::*;
use crate::validate::{Email, MetricValue};

/// The in-memory reference implementation of [`Store`].
///
/// All state lives in one [`Mutex`]; every method takes it once and never holds it across an
/// `.await` (there are none inside), so each method is atomic: it checks references and
/// uniqueness first, builds what it will write, runs the write's [`EffectsFn`], and only then
/// changes anything. A call that fails changes nothing; an effects closure that panics leaves
/// at most a skipped id behind. Ids are per-table autoincrements from 1, never reused.
/// Every timestamp comes from the caller's [`WriteContext`] (or the `now` argument): the store
/// never reads a clock.
///
/// # Revision
///
/// [`Store::revision`] is a counter bumped once by every successful write that takes an
/// [`EffectsFn`] or [`Effects`]: components, groups, incidents and their updates, templates,
/// schedules and their updates, metrics and points, subscribers and subscriptions, webhooks,
/// users, API tokens, recovery codes and settings. It is *not* bumped by sessions, login
/// throttling, one-time tokens, [`Store::append_audit`], [`Store::enqueue`], outbox and
/// delivery progress (claim, complete, fail, record, prune), [`Store::accept_totp_step`], a
/// [`Store::use_recovery_code`] that matched nothing, or an [`Store::update_api_token`] that
/// only records the token's last use (so API traffic cannot thrash the page cache).
///
/// Cheap to share: wrap it in an `Arc` and use it as `Arc<dyn Store>`.
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store at revision 0.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Writes run their effects closure before mutating, so a poisoned lock still guards
        // consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MemoryStore");
        if let Ok(state) = self.state.try_lock() {
            d.field("revision", &state.revision)
                .field("components", &state.components.len())
                .field("incidents", &state.incidents.len())
                .field("subscribers", &state.subscribers.len())
                .field("users", &state.users.len());
        }
        d.finish_non_exhaustive()
    }
}

/// Whether a lease on an event or delivery is free at `now`.
fn lease_free(owner: Option<&String>, expires: Option<Timestamp>, now: Timestamp) -> bool {
    owner.is_none() || expires.is_none_or(|t| t <= now)
}

/// Whether `owner` holds the lease.
fn holds_lease(lease_owner: Option<&String>, owner: &str) -> bool {
    lease_owner.is_some_and(|o| o == owner)
}

#[async_trait]
impl Store for MemoryStore {
    // ---- housekeeping -------------------------------------------------------------------

    async fn revision(&self) -> StoreResult<u64> {
        Ok(self.lock().revision)
    }

    // ---- components ---------------------------------------------------------------------

    async fn component(&self, id: ComponentId) -> StoreResult<Component> {
        self.lock()
            .components
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("component", id.0))
    }

    async fn components(&self, q: &ComponentQuery) -> StoreResult<Page<Component>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<Component> = st
            .components
            .values()
            .filter(|c| {
                f.id.is_none_or(|id| c.id == id)
                    && f.name.as_ref().is_none_or(|n| &c.name == n)
                    && f.status.is_none_or(|s| c.status == s)
                    && f.order.is_none_or(|o| c.order == o)
                    && f.group_id.is_none_or(|g| c.group_id == g)
                    && f.enabled.is_none_or(|e| c.enabled == e)
                    && (f.tags_any.is_empty()
                        || c.tags.iter().any(|t| f.tags_any.contains(&t.slug)))
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)),
            order::component,
            |c| c.id.0,
        ))
    }

    async fn create_component(
        &self,
        cx: WriteContext,
        new: &NewComponent,
        fx: &EffectsFn<'_, Component>,
    ) -> StoreResult<Component> {
        let mut st = self.lock();
        if let Some(g) = new.group_id
            && !st.groups.contains_key(&g)
        {
            return Err(invalid("unknown group"));
        }
        let id = ComponentId(st.ids.component.next());
        let component = Component {
            id,
            name: new.name.clone(),
            description: new.description.clone(),
            link: new.link.clone(),
            status: new.status,
            order: new.order,
            group_id: new.group_id,
            enabled: new.enabled,
            tags: normalize_tags(&new.tags),
            meta: new.meta.clone(),
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&component);
        st.components.insert(id, component.clone());
        st.push_history(id, None, new.status, new.cause, cx.now);
        st.commit(cx.now, effects);
        Ok(component)
    }

    async fn update_component(
        &self,
        cx: WriteContext,
        id: ComponentId,
        patch: &ComponentPatch,
        fx: &EffectsFn<'_, Changed<Component>>,
    ) -> StoreResult<Component> {
        let mut st = self.lock();
        let before = st
            .components
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("component", id.0))?;
        if let Some(Some(g)) = patch.group_id
            && !st.groups.contains_key(&g)
        {
            return Err(invalid("unknown group"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before: before.clone(),
            after: after.clone(),
        });
        if before.status != after.status {
            st.push_history(id, Some(before.status), after.status, patch.cause, cx.now);
        }
        st.components.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_component(
        &self,
        cx: WriteContext,
        id: ComponentId,
        fx: &EffectsFn<'_, Component>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let component = st
            .components
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("component", id.0))?;
        let effects = fx(&component);
        st.components.remove(&id);
        st.history.retain(|_, h| h.component_id != id);
        st.subscriptions.retain(|_, s| s.component_id != id);
        for sub in st.subscribers.values_mut() {
            if sub.components.contains(&id) {
                sub.components.retain(|c| *c != id);
                if sub.components.is_empty() {
                    sub.global = true;
                }
            }
        }
        for incident in st.incidents.values_mut() {
            incident.components.retain(|a| a.component_id != id);
        }
        for schedule in st.schedules.values_mut() {
            schedule.components.retain(|c| *c != id);
        }
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn status_history(
        &self,
        id: ComponentId,
        since: Timestamp,
    ) -> StoreResult<Vec<StatusChange>> {
        let st = self.lock();
        if !st.components.contains_key(&id) {
            return Err(not_found("component", id.0));
        }
        let mut entries: Vec<&StatusChange> = st
            .history
            .values()
            .filter(|h| h.component_id == id)
            .collect();
        entries.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let split = entries.partition_point(|h| h.at < since);
        let before = split.checked_sub(1).and_then(|i| entries.get(i));
        Ok(before
            .into_iter()
            .chain(entries.iter().skip(split))
            .map(|h| (*h).clone())
            .collect())
    }

    // ---- component groups ---------------------------------------------------------------

    async fn group(&self, id: GroupId) -> StoreResult<ComponentGroup> {
        self.lock()
            .groups
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("component_group", id.0))
    }

    async fn groups(&self, q: &GroupQuery) -> StoreResult<Page<ComponentGroup>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<ComponentGroup> = st
            .groups
            .values()
            .filter(|g| {
                f.id.is_none_or(|id| g.id == id)
                    && f.name.as_ref().is_none_or(|n| &g.name == n)
                    && f.order.is_none_or(|o| g.order == o)
                    && f.collapsed.is_none_or(|c| g.collapsed == c)
                    && f.visible.is_none_or(|v| g.visible == v)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)),
            order::group,
            |g| g.id.0,
        ))
    }

    async fn create_group(
        &self,
        cx: WriteContext,
        new: &NewComponentGroup,
        fx: &EffectsFn<'_, ComponentGroup>,
    ) -> StoreResult<ComponentGroup> {
        let mut st = self.lock();
        let id = GroupId(st.ids.group.next());
        let group = ComponentGroup {
            id,
            name: new.name.clone(),
            order: new.order,
            collapsed: new.collapsed,
            visible: new.visible,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&group);
        st.groups.insert(id, group.clone());
        st.commit(cx.now, effects);
        Ok(group)
    }

    async fn update_group(
        &self,
        cx: WriteContext,
        id: GroupId,
        patch: &ComponentGroupPatch,
        fx: &EffectsFn<'_, Changed<ComponentGroup>>,
    ) -> StoreResult<ComponentGroup> {
        let mut st = self.lock();
        let before = st
            .groups
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("component_group", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.groups.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_group(
        &self,
        cx: WriteContext,
        id: GroupId,
        fx: &EffectsFn<'_, ComponentGroup>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let group = st
            .groups
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("component_group", id.0))?;
        let effects = fx(&group);
        st.groups.remove(&id);
        for c in st.components.values_mut() {
            if c.group_id == Some(id) {
                c.group_id = None;
            }
        }
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- incidents ----------------------------------------------------------------------

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

    // ---- incident templates -------------------------------------------------------------

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

    // ---- maintenance schedules ----------------------------------------------------------

    async fn schedule(&self, id: ScheduleId) -> StoreResult<Schedule> {
        self.lock()
            .schedules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("schedule", id.0))
    }

    async fn schedules(&self, q: &ScheduleQuery) -> StoreResult<Page<Schedule>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<Schedule> = st
            .schedules
            .values()
            .filter(|s| {
                (f.status_any.is_empty() || f.status_any.contains(&s.status))
                    && f.component_id.is_none_or(|c| s.components.contains(&c))
                    && f.scheduled_before.is_none_or(|t| s.scheduled_at <= t)
                    && f.scheduled_since.is_none_or(|t| s.scheduled_at >= t)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.scheduled_at.cmp(&b.scheduled_at).then(a.id.cmp(&b.id)),
            order::schedule,
            |s| s.id.0,
        ))
    }

    async fn create_schedule(
        &self,
        cx: WriteContext,
        new: &NewSchedule,
        fx: &EffectsFn<'_, Schedule>,
    ) -> StoreResult<Schedule> {
        let mut st = self.lock();
        let components = normalize_ids(&new.components);
        st.check_components(components.iter().copied())?;
        st.check_user(new.user_id)?;
        let id = ScheduleId(st.ids.schedule.next());
        let schedule = Schedule {
            id,
            name: new.name.clone(),
            message: new.message.clone(),
            status: new.status,
            scheduled_at: new.scheduled_at,
            completed_at: new.completed_at,
            components,
            notify: new.notify,
            user_id: new.user_id,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&schedule);
        st.schedules.insert(id, schedule.clone());
        st.commit(cx.now, effects);
        Ok(schedule)
    }

    async fn update_schedule(
        &self,
        cx: WriteContext,
        id: ScheduleId,
        patch: &SchedulePatch,
        fx: &EffectsFn<'_, Changed<Schedule>>,
    ) -> StoreResult<Schedule> {
        let mut st = self.lock();
        let before = st
            .schedules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("schedule", id.0))?;
        if let Some(expected) = patch.expected_status
            && before.status != expected
        {
            return Err(conflict("schedule", "status changed"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        if patch.components.is_some() {
            st.check_components(after.components.iter().copied())?;
        }
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.schedules.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_schedule(
        &self,
        cx: WriteContext,
        id: ScheduleId,
        fx: &EffectsFn<'_, Schedule>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let schedule = st
            .schedules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("schedule", id.0))?;
        let effects = fx(&schedule);
        st.schedules.remove(&id);
        st.schedule_updates.retain(|_, u| u.schedule_id != id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn schedule_updates(&self, schedule: ScheduleId) -> StoreResult<Vec<ScheduleUpdate>> {
        let st = self.lock();
        if !st.schedules.contains_key(&schedule) {
            return Err(not_found("schedule", schedule.0));
        }
        let mut items: Vec<ScheduleUpdate> = st
            .schedule_updates
            .values()
            .filter(|u| u.schedule_id == schedule)
            .cloned()
            .collect();
        items.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(items)
    }

    async fn create_schedule_update(
        &self,
        cx: WriteContext,
        schedule: ScheduleId,
        new: &NewScheduleUpdate,
        fx: &EffectsFn<'_, ScheduleUpdate>,
    ) -> StoreResult<ScheduleUpdate> {
        let mut st = self.lock();
        if !st.schedules.contains_key(&schedule) {
            return Err(not_found("schedule", schedule.0));
        }
        st.check_user(new.user_id)?;
        let id = ScheduleUpdateId(st.ids.schedule_update.next());
        let update = ScheduleUpdate {
            id,
            schedule_id: schedule,
            message: new.message.clone(),
            user_id: new.user_id,
            created_at: cx.now,
        };
        let effects = fx(&update);
        st.schedule_updates.insert(id, update.clone());
        st.commit(cx.now, effects);
        Ok(update)
    }

    async fn delete_schedule_update(
        &self,
        cx: WriteContext,
        schedule: ScheduleId,
        id: ScheduleUpdateId,
        fx: &EffectsFn<'_, ScheduleUpdate>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let update = st.schedule_update_of(schedule, id)?;
        let effects = fx(&update);
        st.schedule_updates.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- metrics ------------------------------------------------------------------------

    async fn metric(&self, id: MetricId) -> StoreResult<Metric> {
        self.lock()
            .metrics
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("metric", id.0))
    }

    async fn metrics(&self, q: &MetricQuery) -> StoreResult<Page<Metric>> {
        let st = self.lock();
        let items: Vec<Metric> = st
            .metrics
            .values()
            .filter(|m| q.filter.visible.is_none_or(|v| m.visible == v))
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)),
            order::metric,
            |m| m.id.0,
        ))
    }

    async fn create_metric(
        &self,
        cx: WriteContext,
        new: &NewMetric,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<Metric> {
        let mut st = self.lock();
        let id = MetricId(st.ids.metric.next());
        let metric = Metric {
            id,
            name: new.name.clone(),
            suffix: new.suffix.clone(),
            description: new.description.clone(),
            default_value: new.default_value,
            calc_type: new.calc_type,
            display_chart: new.display_chart,
            places: new.places,
            default_view: new.default_view,
            threshold: new.threshold,
            order: new.order,
            visible: new.visible,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&metric);
        st.metrics.insert(id, metric.clone());
        st.commit(cx.now, effects);
        Ok(metric)
    }

    async fn update_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        patch: &MetricPatch,
        fx: &EffectsFn<'_, Changed<Metric>>,
    ) -> StoreResult<Metric> {
        let mut st = self.lock();
        let before = st
            .metrics
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("metric", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.metrics.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let metric = st
            .metrics
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("metric", id.0))?;
        let effects = fx(&metric);
        st.metrics.remove(&id);
        st.points.retain(|_, p| p.metric_id != id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn metric_point(&self, metric: MetricId, id: MetricPointId) -> StoreResult<MetricPoint> {
        let st = self.lock();
        st.point_of(metric, id)
    }

    async fn metric_points(
        &self,
        metric: MetricId,
        q: &MetricPointQuery,
    ) -> StoreResult<Page<MetricPoint>> {
        let st = self.lock();
        if !st.metrics.contains_key(&metric) {
            return Err(not_found("metric", metric.0));
        }
        let f = &q.filter;
        let items: Vec<MetricPoint> = st
            .points
            .values()
            .filter(|p| {
                p.metric_id == metric
                    && f.since.is_none_or(|t| p.created_at >= t)
                    && f.until.is_none_or(|t| p.created_at < t)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)),
            order::metric_point,
            |p| p.id.0,
        ))
    }

    async fn record_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        new: &NewMetricPoint,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<MetricPoint> {
        let mut st = self.lock();
        if !st.metrics.contains_key(&metric) {
            return Err(not_found("metric", metric.0));
        }
        let merge_into = new.merge_since.and_then(|since| {
            st.points
                .values()
                .filter(|p| p.metric_id == metric && p.value == new.value && p.created_at >= since)
                .max_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)))
                .cloned()
        });
        let point = match merge_into {
            Some(mut p) => {
                p.counter += 1;
                p.updated_at = cx.now;
                p
            }
            None => MetricPoint {
                id: MetricPointId(st.ids.metric_point.next()),
                metric_id: metric,
                value: new.value,
                counter: 1,
                created_at: new.created_at,
                updated_at: cx.now,
            },
        };
        let effects = fx(&point);
        st.points.insert(point.id, point.clone());
        st.commit(cx.now, effects);
        Ok(point)
    }

    async fn update_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        value: MetricValue,
        created_at: Option<Timestamp>,
        fx: &EffectsFn<'_, Changed<MetricPoint>>,
    ) -> StoreResult<MetricPoint> {
        let mut st = self.lock();
        let before = st.point_of(metric, id)?;
        let mut after = before.clone();
        after.value = value;
        if let Some(t) = created_at {
            after.created_at = t;
        }
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.points.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let point = st.point_of(metric, id)?;
        let effects = fx(&point);
        st.points.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- subscribers --------------------------------------------------------------------

    async fn subscriber(&self, id: SubscriberId) -> StoreResult<Subscriber> {
        self.lock()
            .subscribers
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("subscriber", id.0))
    }

    async fn subscriber_by_blind_index(
        &self,
        index: &BlindIndex,
    ) -> StoreResult<Option<Subscriber>> {
        Ok(self
            .lock()
            .subscribers
            .values()
            .find(|s| &s.blind_index == index)
            .cloned())
    }

    async fn subscribers(&self, q: &SubscriberQuery) -> StoreResult<Page<Subscriber>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<Subscriber> = st
            .subscribers
            .values()
            .filter(|s| {
                f.verified.is_none_or(|v| s.verified_at.is_some() == v)
                    && f.notified_about
                        .is_none_or(|c| s.global || s.components.contains(&c))
                    && f.created_before.is_none_or(|t| s.created_at < t)
                    && f.after_id.is_none_or(|a| s.id > a)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            order::subscriber,
            |s| s.id.0,
        ))
    }

    async fn create_subscriber(
        &self,
        cx: WriteContext,
        new: &NewSubscriber,
        fx: &EffectsFn<'_, Subscriber>,
    ) -> StoreResult<Subscriber> {
        let mut st = self.lock();
        if st
            .subscribers
            .values()
            .any(|s| s.blind_index == new.blind_index)
        {
            return Err(conflict("subscriber", "address already subscribed"));
        }
        let components = normalize_ids(&new.components);
        st.check_components(components.iter().copied())?;
        let id = SubscriberId(st.ids.subscriber.next());
        let subscriber = Subscriber {
            id,
            email: new.email.clone(),
            blind_index: new.blind_index,
            locale: new.locale.clone(),
            verified_at: new.verified_at,
            global: components.is_empty(),
            components,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&subscriber);
        st.sync_subscriptions(id, &subscriber.components, cx.now);
        st.subscribers.insert(id, subscriber.clone());
        st.commit(cx.now, effects);
        Ok(subscriber)
    }

    async fn update_subscriber(
        &self,
        cx: WriteContext,
        id: SubscriberId,
        patch: &SubscriberPatch,
        fx: &EffectsFn<'_, Changed<Subscriber>>,
    ) -> StoreResult<Subscriber> {
        let mut st = self.lock();
        let before = st
            .subscribers
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("subscriber", id.0))?;
        if let Some((_, index)) = &patch.email
            && st
                .subscribers
                .values()
                .any(|s| s.id != id && &s.blind_index == index)
        {
            return Err(conflict("subscriber", "address already subscribed"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        if patch.components.is_some() {
            st.check_components(after.components.iter().copied())?;
        }
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        if patch.components.is_some() {
            st.sync_subscriptions(id, &after.components, cx.now);
        }
        st.subscribers.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_subscriber(
        &self,
        cx: WriteContext,
        id: SubscriberId,
        fx: &EffectsFn<'_, Subscriber>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let subscriber = st
            .subscribers
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("subscriber", id.0))?;
        let effects = fx(&subscriber);
        st.subscribers.remove(&id);
        st.subscriptions.retain(|_, s| s.subscriber_id != id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn subscription(&self, id: SubscriptionId) -> StoreResult<Subscription> {
        self.lock()
            .subscriptions
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("subscription", id.0))
    }

    async fn subscriptions_of(&self, subscriber: SubscriberId) -> StoreResult<Vec<Subscription>> {
        let st = self.lock();
        if !st.subscribers.contains_key(&subscriber) {
            return Err(not_found("subscriber", subscriber.0));
        }
        let mut items: Vec<Subscription> = st
            .subscriptions
            .values()
            .filter(|s| s.subscriber_id == subscriber)
            .cloned()
            .collect();
        items.sort_by(|a, b| a.component_id.cmp(&b.component_id).then(a.id.cmp(&b.id)));
        Ok(items)
    }

    async fn delete_subscription(
        &self,
        cx: WriteContext,
        id: SubscriptionId,
        fx: &EffectsFn<'_, Subscription>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let subscription = st
            .subscriptions
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("subscription", id.0))?;
        let effects = fx(&subscription);
        st.subscriptions.remove(&id);
        if let Some(sub) = st.subscribers.get_mut(&subscription.subscriber_id) {
            sub.components.retain(|c| *c != subscription.component_id);
            if sub.components.is_empty() {
                sub.global = true;
            }
            sub.updated_at = cx.now;
        }
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- webhooks -----------------------------------------------------------------------

    async fn webhook(&self, id: WebhookId) -> StoreResult<Webhook> {
        self.lock()
            .webhooks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("webhook", id.0))
    }

    async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        Ok(self.lock().webhooks.values().cloned().collect())
    }

    async fn create_webhook(
        &self,
        cx: WriteContext,
        new: &NewWebhook,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<Webhook> {
        let mut st = self.lock();
        let id = WebhookId(st.ids.webhook.next());
        let webhook = Webhook {
            id,
            name: new.name.clone(),
            url: new.url.clone(),
            secret: new.secret.clone(),
            enabled: new.enabled,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&webhook);
        st.webhooks.insert(id, webhook.clone());
        st.commit(cx.now, effects);
        Ok(webhook)
    }

    async fn update_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        patch: &WebhookPatch,
        fx: &EffectsFn<'_, Changed<Webhook>>,
    ) -> StoreResult<Webhook> {
        let mut st = self.lock();
        let before = st
            .webhooks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("webhook", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.webhooks.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let webhook = st
            .webhooks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("webhook", id.0))?;
        let effects = fx(&webhook);
        st.webhooks.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- users and 2FA ------------------------------------------------------------------

    async fn user(&self, id: UserId) -> StoreResult<User> {
        self.lock()
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("user", id.0))
    }

    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        Ok(self
            .lock()
            .users
            .values()
            .find(|u| &u.email == email)
            .cloned())
    }

    async fn users(&self, q: &UserQuery) -> StoreResult<Page<User>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<User> = st
            .users
            .values()
            .filter(|u| {
                f.role.is_none_or(|r| u.role == r) && f.active.is_none_or(|a| u.active == a)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            order::user,
            |u| u.id.0,
        ))
    }

    async fn create_user(
        &self,
        cx: WriteContext,
        new: &NewUser,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<User> {
        let mut st = self.lock();
        if new.only_if_no_admin && st.users.values().any(|u| u.role == Role::Admin) {
            return Err(conflict("user", "an admin already exists"));
        }
        if st.users.values().any(|u| u.email == new.email) {
            return Err(conflict("user", "email already exists"));
        }
        let id = UserId(st.ids.user.next());
        let user = User {
            id,
            name: new.name.clone(),
            email: new.email.clone(),
            role: new.role,
            password_hash: new.password_hash.clone(),
            active: new.active,
            totp: None,
            last_login_at: None,
            created_at: cx.now,
            updated_at: cx.now,
        };
        let effects = fx(&user);
        st.users.insert(id, user.clone());
        st.commit(cx.now, effects);
        Ok(user)
    }

    async fn update_user(
        &self,
        cx: WriteContext,
        id: UserId,
        patch: &UserPatch,
        fx: &EffectsFn<'_, Changed<User>>,
    ) -> StoreResult<User> {
        let mut st = self.lock();
        let before = st
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("user", id.0))?;
        if let Some(email) = &patch.email
            && st.users.values().any(|u| u.id != id && &u.email == email)
        {
            return Err(conflict("user", "email already exists"));
        }
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before: before.clone(),
            after: after.clone(),
        });
        if patch.password_hash.is_some() {
            let history = st.password_history.entry(id).or_default();
            history.insert(0, before.password_hash);
            history.truncate(PASSWORD_HISTORY_LEN);
        }
        st.users.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_user(
        &self,
        cx: WriteContext,
        id: UserId,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let user = st
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("user", id.0))?;
        let effects = fx(&user);
        st.users.remove(&id);
        st.sessions.retain(|_, s| s.user_id != id);
        st.api_tokens.retain(|_, t| t.user_id != id);
        st.recovery_codes.retain(|c| c.user_id != id);
        st.password_history.remove(&id);
        let clear = |u: &mut Option<UserId>| {
            if *u == Some(id) {
                *u = None;
            }
        };
        st.incidents
            .values_mut()
            .for_each(|i| clear(&mut i.user_id));
        st.incident_updates
            .values_mut()
            .for_each(|u| clear(&mut u.user_id));
        st.schedules
            .values_mut()
            .for_each(|s| clear(&mut s.user_id));
        st.schedule_updates
            .values_mut()
            .for_each(|u| clear(&mut u.user_id));
        st.history
            .values_mut()
            .for_each(|h| clear(&mut h.cause.user_id));
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn password_history(&self, user: UserId) -> StoreResult<Vec<PasswordHash>> {
        Ok(self
            .lock()
            .password_history
            .get(&user)
            .cloned()
            .unwrap_or_default())
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let mut st = self.lock();
        let u = st
            .users
            .get_mut(&user)
            .ok_or_else(|| not_found("user", user.0))?;
        let Some(totp) = u.totp.as_mut() else {
            return Ok(false);
        };
        if totp.last_step.is_none_or(|last| step > last) {
            totp.last_step = Some(step);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn replace_recovery_codes(
        &self,
        cx: WriteContext,
        user: UserId,
        codes: &[TokenHash],
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        if !st.users.contains_key(&user) {
            return Err(not_found("user", user.0));
        }
        let effects = fx(&user);
        st.recovery_codes.retain(|c| c.user_id != user);
        st.recovery_codes
            .extend(codes.iter().map(|hash| RecoveryCode {
                user_id: user,
                hash: *hash,
                used_at: None,
            }));
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        cx: WriteContext,
        user: UserId,
        code: &TokenHash,
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<bool> {
        let mut st = self.lock();
        if !st.users.contains_key(&user) {
            return Err(not_found("user", user.0));
        }
        let Some(index) = st
            .recovery_codes
            .iter()
            .position(|c| c.user_id == user && c.used_at.is_none() && &c.hash == code)
        else {
            return Ok(false);
        };
        let effects = fx(&user);
        if let Some(c) = st.recovery_codes.get_mut(index) {
            c.used_at = Some(cx.now);
        }
        st.commit(cx.now, effects);
        Ok(true)
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
        let st = self.lock();
        if !st.users.contains_key(&user) {
            return Err(not_found("user", user.0));
        }
        let n = st
            .recovery_codes
            .iter()
            .filter(|c| c.user_id == user && c.used_at.is_none())
            .count();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    // ---- API tokens ---------------------------------------------------------------------

    async fn api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
        self.lock()
            .api_tokens
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("api_token", id.0))
    }

    async fn api_token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiToken>> {
        Ok(self
            .lock()
            .api_tokens
            .values()
            .find(|t| &t.hash == hash)
            .cloned())
    }

    async fn api_tokens(&self, q: &ApiTokenQuery) -> StoreResult<Page<ApiToken>> {
        let st = self.lock();
        let items: Vec<ApiToken> = st
            .api_tokens
            .values()
            .filter(|t| q.filter.user_id.is_none_or(|u| t.user_id == u))
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            |f, a, b| order::by_id(f, a.id.0, b.id.0),
            |t| t.id.0,
        ))
    }

    async fn create_api_token(
        &self,
        cx: WriteContext,
        new: &NewApiToken,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<ApiToken> {
        let mut st = self.lock();
        if st.api_tokens.values().any(|t| t.hash == new.hash) {
            return Err(conflict("api_token", "hash already exists"));
        }
        st.check_user(Some(new.user_id))?;
        let id = ApiTokenId(st.ids.api_token.next());
        let token = ApiToken {
            id,
            user_id: new.user_id,
            name: new.name.clone(),
            prefix: new.prefix.clone(),
            hash: new.hash,
            scope: new.scope,
            expires_at: new.expires_at,
            last_used_at: None,
            revoked_at: None,
            created_at: cx.now,
        };
        let effects = fx(&token);
        st.api_tokens.insert(id, token.clone());
        st.commit(cx.now, effects);
        Ok(token)
    }

    async fn update_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        patch: &ApiTokenPatch,
        fx: &EffectsFn<'_, Changed<ApiToken>>,
    ) -> StoreResult<ApiToken> {
        let mut st = self.lock();
        let before = st
            .api_tokens
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("api_token", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.api_tokens.insert(id, after.clone());
        if patch.name.is_none() && patch.revoked_at.is_none() {
            // Only the last use: bookkeeping, not content (see the type's docs).
            st.apply_effects(cx.now, effects);
        } else {
            st.commit(cx.now, effects);
        }
        Ok(after)
    }

    async fn delete_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let token = st
            .api_tokens
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("api_token", id.0))?;
        let effects = fx(&token);
        st.api_tokens.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }

    // ---- sessions -----------------------------------------------------------------------

    async fn session_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        Ok(self
            .lock()
            .sessions
            .values()
            .find(|s| &s.hash == hash)
            .cloned())
    }

    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>> {
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|s| s.user_id == user)
            .cloned()
            .collect())
    }

    async fn create_session(&self, cx: WriteContext, new: &NewSession) -> StoreResult<Session> {
        let mut st = self.lock();
        st.check_user(Some(new.user_id))?;
        if st.sessions.values().any(|s| s.hash == new.hash) {
            return Err(conflict("session", "hash already exists"));
        }
        let id = SessionId(st.ids.session.next());
        let session = Session {
            id,
            hash: new.hash,
            user_id: new.user_id,
            pending_second_factor: new.pending_second_factor,
            created_at: cx.now,
            last_seen_at: cx.now,
            expires_at: new.expires_at,
            ip: new.ip.clone(),
            user_agent: new.user_agent.clone(),
        };
        st.sessions.insert(id, session.clone());
        Ok(session)
    }

    async fn update_session(&self, id: SessionId, patch: &SessionPatch) -> StoreResult<Session> {
        let mut st = self.lock();
        let session = st
            .sessions
            .get_mut(&id)
            .ok_or_else(|| not_found("session", id.0))?;
        patch.apply_to(session);
        Ok(session.clone())
    }

    async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
        self.lock().sessions.remove(&id);
        Ok(())
    }

    async fn delete_sessions_of(
        &self,
        user: UserId,
        except: Option<SessionId>,
    ) -> StoreResult<u64> {
        let mut st = self.lock();
        let before = st.sessions.len();
        st.sessions
            .retain(|id, s| s.user_id != user || Some(*id) == except);
        Ok((before - st.sessions.len()) as u64)
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let before = st.sessions.len();
        st.sessions.retain(|_, s| s.expires_at > now);
        Ok((before - st.sessions.len()) as u64)
    }

    // ---- login throttling ---------------------------------------------------------------

    async fn throttle(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
        Ok(self.lock().throttle.get(key).cloned())
    }

    async fn save_throttle(&self, state: &ThrottleState) -> StoreResult<()> {
        self.lock()
            .throttle
            .insert(state.key.clone(), state.clone());
        Ok(())
    }

    async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
        self.lock().throttle.remove(key);
        Ok(())
    }

    async fn prune_throttles(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let n = st.throttle.len();
        st.throttle.retain(|_, t| {
            t.last_failure_at >= before || t.locked_until.is_some_and(|u| u >= before)
        });
        Ok((n - st.throttle.len()) as u64)
    }

    // ---- one-time tokens ----------------------------------------------------------------

    async fn create_one_time_token(
        &self,
        cx: WriteContext,
        new: &NewOneTimeToken,
    ) -> StoreResult<OneTimeToken> {
        let mut st = self.lock();
        if st.one_time_tokens.values().any(|t| t.hash == new.hash) {
            return Err(conflict("one_time_token", "hash already exists"));
        }
        let id = OneTimeTokenId(st.ids.one_time_token.next());
        let token = OneTimeToken {
            id,
            purpose: new.purpose,
            hash: new.hash,
            subject_id: new.subject_id,
            payload: new.payload.clone(),
            expires_at: new.expires_at,
            used_at: None,
            created_at: cx.now,
        };
        st.one_time_tokens.insert(id, token.clone());
        Ok(token)
    }

    async fn consume_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        let mut st = self.lock();
        let token = st.one_time_tokens.values_mut().find(|t| {
            t.purpose == purpose && &t.hash == hash && t.used_at.is_none() && t.expires_at > now
        });
        Ok(token.map(|t| {
            t.used_at = Some(now);
            t.clone()
        }))
    }

    async fn peek_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        Ok(self
            .lock()
            .one_time_tokens
            .values()
            .find(|t| {
                t.purpose == purpose && &t.hash == hash && t.used_at.is_none() && t.expires_at > now
            })
            .cloned())
    }

    async fn end_one_time_tokens(
        &self,
        purpose: TokenPurpose,
        subject: i64,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let mut st = self.lock();
        let mut ended = 0;
        for t in st.one_time_tokens.values_mut().filter(|t| {
            t.purpose == purpose && t.subject_id == Some(subject) && t.used_at.is_none()
        }) {
            t.used_at = Some(now);
            ended += 1;
        }
        Ok(ended)
    }

    async fn prune_one_time_tokens(&self, now: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let before = st.one_time_tokens.len();
        st.one_time_tokens
            .retain(|_, t| t.used_at.is_none() && t.expires_at > now);
        Ok((before - st.one_time_tokens.len()) as u64)
    }

    // ---- settings -----------------------------------------------------------------------

    async fn settings(&self) -> StoreResult<Vec<(SettingKey, String)>> {
        let mut all: Vec<(SettingKey, String)> = self
            .lock()
            .settings
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(all)
    }

    async fn put_settings(
        &self,
        cx: WriteContext,
        values: &[(SettingKey, String)],
        fx: &Effects,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        for (k, v) in values {
            st.settings.insert(*k, v.clone());
        }
        st.commit(cx.now, fx.clone());
        Ok(())
    }

    // ---- audit --------------------------------------------------------------------------

    async fn append_audit(&self, event: &NewAuditEvent) -> StoreResult<AuditEvent> {
        Ok(self.lock().insert_audit(event.clone()))
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let n = st.audit.len();
        st.audit.retain(|_, e| e.at >= before);
        Ok((n - st.audit.len()) as u64)
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Page<AuditEvent>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<AuditEvent> = st
            .audit
            .values()
            .filter(|e| {
                f.actor_user_id.is_none_or(|u| e.actor_user_id == Some(u))
                    && f.action.is_none_or(|a| e.action == a)
                    && f.entity.is_none_or(|k| e.entity == k)
                    && f.entity_id.is_none_or(|id| e.entity_id == Some(id))
                    && f.outcome.is_none_or(|o| e.outcome == o)
                    && f.since.is_none_or(|t| e.at >= t)
                    && f.until.is_none_or(|t| e.at < t)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| b.id.cmp(&a.id),
            |f, a, b| order::by_id(f, a.id.0, b.id.0),
            |e| e.id.0,
        ))
    }

    // ---- outbox -------------------------------------------------------------------------

    async fn enqueue(&self, cx: WriteContext, event: &NewOutboxEvent) -> StoreResult<OutboxEvent> {
        Ok(self.lock().insert_outbox(cx.now, event.clone()))
    }

    async fn outbox_events(&self, q: &OutboxQuery) -> StoreResult<Page<OutboxEvent>> {
        let st = self.lock();
        let items: Vec<OutboxEvent> = st
            .outbox
            .values()
            .filter(|e| q.filter.status.is_none_or(|s| e.status == s))
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            |f, a, b| order::by_id(f, a.id.0, b.id.0),
            |e| e.id.0,
        ))
    }

    async fn outbox_event(&self, id: OutboxEventId) -> StoreResult<OutboxEvent> {
        self.lock()
            .outbox
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("outbox_event", id.0))
    }

    async fn claim_outbox_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEvent>> {
        let mut st = self.lock();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(st
            .outbox
            .values_mut()
            .filter(|e| {
                e.status == OutboxStatus::Pending
                    && e.next_attempt_at <= now
                    && lease_free(e.lease_owner.as_ref(), e.lease_expires_at, now)
            })
            .take(limit)
            .map(|e| {
                e.lease_owner = Some(owner.to_owned());
                e.lease_expires_at = Some(lease_until);
                e.attempts = e.attempts.saturating_add(1);
                e.clone()
            })
            .collect())
    }

    async fn complete_outbox_event(
        &self,
        cx: WriteContext,
        id: OutboxEventId,
        owner: &str,
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let event = st
            .outbox
            .get(&id)
            .ok_or_else(|| not_found("outbox_event", id.0))?;
        if !holds_lease(event.lease_owner.as_ref(), owner) {
            return Err(conflict("outbox_event", "not the lease owner"));
        }
        // One pass over the existing keys, not one per new delivery: a fan-out to 100,000
        // subscribers must not be quadratic.
        let mut known: std::collections::HashSet<String> = st
            .deliveries
            .values()
            .map(|x| x.idempotency_key.clone())
            .collect();
        for d in deliveries {
            if !known.insert(d.idempotency_key.clone()) {
                continue;
            }
            let delivery_id = DeliveryId(st.ids.delivery.next());
            st.deliveries.insert(
                delivery_id,
                Delivery {
                    id: delivery_id,
                    event_id: id,
                    recipient: d.recipient.clone(),
                    channel: d.channel.clone(),
                    idempotency_key: d.idempotency_key.clone(),
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_at: cx.now,
                    lease_owner: None,
                    lease_expires_at: None,
                    last_error: None,
                    delivered_at: None,
                    created_at: cx.now,
                },
            );
        }
        if let Some(event) = st.outbox.get_mut(&id) {
            event.status = OutboxStatus::Done;
            event.lease_owner = None;
            event.lease_expires_at = None;
        }
        Ok(())
    }

    async fn fail_outbox_event(
        &self,
        id: OutboxEventId,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let event = st
            .outbox
            .get_mut(&id)
            .ok_or_else(|| not_found("outbox_event", id.0))?;
        if !holds_lease(event.lease_owner.as_ref(), owner) {
            return Err(conflict("outbox_event", "not the lease owner"));
        }
        event.lease_owner = None;
        event.lease_expires_at = None;
        event.last_error = Some(error.to_owned());
        match retry_at {
            Some(t) => {
                event.status = OutboxStatus::Pending;
                event.next_attempt_at = t;
            }
            None => event.status = OutboxStatus::Failed,
        }
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let mut st = self.lock();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(st
            .deliveries
            .values_mut()
            .filter(|d| {
                d.status == DeliveryStatus::Pending
                    && d.next_attempt_at <= now
                    && lease_free(d.lease_owner.as_ref(), d.lease_expires_at, now)
            })
            .take(limit)
            .map(|d| {
                d.lease_owner = Some(owner.to_owned());
                d.lease_expires_at = Some(lease_until);
                d.clone()
            })
            .collect())
    }

    async fn record_delivery_attempt(
        &self,
        id: DeliveryId,
        owner: &str,
        attempt: &NewDeliveryAttempt,
    ) -> StoreResult<Delivery> {
        let mut st = self.lock();
        let delivery = st
            .deliveries
            .get(&id)
            .ok_or_else(|| not_found("delivery", id.0))?;
        if !holds_lease(delivery.lease_owner.as_ref(), owner) {
            return Err(conflict("delivery", "not the lease owner"));
        }
        let (ok, error) = match &attempt.result {
            AttemptResult::Delivered => (true, None),
            AttemptResult::Retry { error, .. } | AttemptResult::Failed { error } => {
                (false, Some(error.clone()))
            }
        };
        let attempt_id = DeliveryAttemptId(st.ids.attempt.next());
        st.attempts.insert(
            attempt_id,
            DeliveryAttempt {
                id: attempt_id,
                delivery_id: id,
                at: attempt.at,
                ok,
                error,
            },
        );
        let delivery = st
            .deliveries
            .get_mut(&id)
            .ok_or_else(|| not_found("delivery", id.0))?;
        delivery.attempts = delivery.attempts.saturating_add(1);
        delivery.lease_owner = None;
        delivery.lease_expires_at = None;
        match &attempt.result {
            AttemptResult::Delivered => {
                delivery.status = DeliveryStatus::Delivered;
                delivery.delivered_at = Some(attempt.at);
            }
            AttemptResult::Retry {
                error,
                next_attempt_at,
            } => {
                delivery.status = DeliveryStatus::Pending;
                delivery.next_attempt_at = *next_attempt_at;
                delivery.last_error = Some(error.clone());
            }
            AttemptResult::Failed { error } => {
                delivery.status = DeliveryStatus::Failed;
                delivery.last_error = Some(error.clone());
            }
        }
        Ok(delivery.clone())
    }

    async fn deliveries(&self, q: &DeliveryQuery) -> StoreResult<Page<Delivery>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<Delivery> = st
            .deliveries
            .values()
            .filter(|d| {
                f.event_id.is_none_or(|e| d.event_id == e) && f.status.is_none_or(|s| d.status == s)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.id.cmp(&b.id),
            |f, a, b| order::by_id(f, a.id.0, b.id.0),
            |d| d.id.0,
        ))
    }

    async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>> {
        let st = self.lock();
        if !st.deliveries.contains_key(&id) {
            return Err(not_found("delivery", id.0));
        }
        let mut items: Vec<DeliveryAttempt> = st
            .attempts
            .values()
            .filter(|a| a.delivery_id == id)
            .cloned()
            .collect();
        items.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        Ok(items)
    }

    async fn prune_outbox(&self, before: Timestamp) -> StoreResult<u64> {
        let mut st = self.lock();
        let st = &mut *st;
        let events: Vec<OutboxEventId> = st
            .outbox
            .values()
            .filter(|e| {
                e.status == OutboxStatus::Done
                    && e.created_at < before
                    && !st
                        .deliveries
                        .values()
                        .any(|d| d.event_id == e.id && d.status == DeliveryStatus::Pending)
            })
            .map(|e| e.id)
            .collect();
        let deliveries: std::collections::BTreeSet<DeliveryId> = st
            .deliveries
            .values()
            .filter(|d| {
                d.status == DeliveryStatus::Delivered && d.delivered_at.is_some_and(|t| t < before)
            })
            .map(|d| d.id)
            .collect();
        let mut removed: u64 = 0;
        for id in &events {
            removed += u64::from(st.outbox.remove(id).is_some());
        }
        for id in &deliveries {
            removed += u64::from(st.deliveries.remove(id).is_some());
        }
        let attempts_before = st.attempts.len();
        st.attempts
            .retain(|_, a| !deliveries.contains(&a.delivery_id));
        removed += (attempts_before - st.attempts.len()) as u64;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
