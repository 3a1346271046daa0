//! Subscribers and their subscriptions.
//!
//! [`SubscriberStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::{conflict, not_found};
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{Changed, EffectsFn, StoreResult, SubscriberStore, WriteContext};

#[async_trait]
impl SubscriberStore for MemoryStore {
    async fn subscriber(&self, id: SubscriberId) -> StoreResult<Subscriber> {
        self.lock()
            .subscribers
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("subscriber", id.0))
    }

    async fn subscribers_by_id(&self, ids: &[SubscriberId]) -> StoreResult<Vec<Subscriber>> {
        let st = self.lock();
        let mut found: Vec<Subscriber> = ids
            .iter()
            .filter_map(|id| st.subscribers.get(id).cloned())
            .collect();
        found.sort_unstable_by_key(|s| s.id);
        found.dedup_by_key(|s| s.id);
        Ok(found)
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
            channel: new.channel,
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
}
