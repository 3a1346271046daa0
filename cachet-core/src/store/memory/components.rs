//! Components, their status history and component groups.
//!
//! [`ComponentStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::{invalid, not_found};
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{Changed, ComponentStore, EffectsFn, StoreResult, WriteContext};

#[async_trait]
impl ComponentStore for MemoryStore {
    // ---- components -------------------------------------------------------------------------

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
        let rules: Vec<AlertRuleId> = st
            .alert_rules
            .values()
            .filter(|r| r.settings.component_id == id)
            .map(|r| r.id)
            .collect();
        st.alert_rules.retain(|_, r| r.settings.component_id != id);
        st.alert_states.retain(|(rule, _), _| !rules.contains(rule));
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

    // ---- component groups -------------------------------------------------------------------

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
}
