//! Maintenance schedules and their updates.
//!
//! [`ScheduleStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::{conflict, not_found};
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{Changed, EffectsFn, ScheduleStore, StoreResult, WriteContext};

#[async_trait]
impl ScheduleStore for MemoryStore {
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
}
