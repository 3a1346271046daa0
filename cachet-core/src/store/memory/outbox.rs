//! The outbox: events, deliveries and attempts.
//!
//! [`OutboxStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::{State, conflict, not_found};
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{OutboxStore, StoreResult, WriteContext};

/// Whether a lease on an event or delivery is free at `now`.
fn lease_free(owner: Option<&String>, expires: Option<Timestamp>, now: Timestamp) -> bool {
    owner.is_none() || expires.is_none_or(|t| t <= now)
}

/// Leases up to `limit` of `rows`: those `due` answers a time for, earliest first and then by
/// id (as the SQL stores claim), each changed by `lease`; the leased rows.
fn claim_due<K: Ord + Copy, T: Clone>(
    rows: &mut std::collections::BTreeMap<K, T>,
    limit: u32,
    due: impl Fn(&T) -> Option<Timestamp>,
    lease: impl Fn(&mut T),
) -> Vec<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut order: Vec<(Timestamp, K)> = rows
        .iter()
        .filter_map(|(id, row)| due(row).map(|at| (at, *id)))
        .collect();
    order.sort_unstable();
    order
        .into_iter()
        .take(limit)
        .filter_map(|(_, id)| {
            let row = rows.get_mut(&id)?;
            lease(row);
            Some(row.clone())
        })
        .collect()
}

/// Whether `owner` holds the lease.
fn holds_lease(lease_owner: Option<&String>, owner: &str) -> bool {
    lease_owner.is_some_and(|o| o == owner)
}

/// Records an attempt on a leased delivery and moves it on (one attempt of
/// [`OutboxStore::record_delivery_attempt`]).
fn record_attempt(
    st: &mut State,
    id: DeliveryId,
    owner: &str,
    attempt: &NewDeliveryAttempt,
) -> StoreResult<Delivery> {
    let delivery = st
        .deliveries
        .get(&id)
        .ok_or_else(|| not_found("delivery", id.0))?;
    if !holds_lease(delivery.lease_owner.as_ref(), owner) {
        return Err(conflict("delivery", "not the lease owner"));
    }
    let error = attempt.result.error().map(str::to_owned);
    let attempt_id = DeliveryAttemptId(st.ids.attempt.next());
    st.attempts.insert(
        attempt_id,
        DeliveryAttempt {
            id: attempt_id,
            delivery_id: id,
            at: attempt.at,
            ok: error.is_none(),
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

#[async_trait]
impl OutboxStore for MemoryStore {
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
        Ok(claim_due(
            &mut st.outbox,
            limit,
            |e| {
                (e.status == OutboxStatus::Pending
                    && e.next_attempt_at <= now
                    && lease_free(e.lease_owner.as_ref(), e.lease_expires_at, now))
                .then_some(e.next_attempt_at)
            },
            |e| {
                e.lease_owner = Some(owner.to_owned());
                e.lease_expires_at = Some(lease_until);
                e.attempts = e.attempts.saturating_add(1);
            },
        ))
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
        channel: Option<&str>,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let mut st = self.lock();
        Ok(claim_due(
            &mut st.deliveries,
            limit,
            |d| {
                (d.status == DeliveryStatus::Pending
                    && channel.is_none_or(|c| d.channel == c)
                    && d.next_attempt_at <= now
                    && lease_free(d.lease_owner.as_ref(), d.lease_expires_at, now))
                .then_some(d.next_attempt_at)
            },
            |d| {
                d.lease_owner = Some(owner.to_owned());
                d.lease_expires_at = Some(lease_until);
            },
        ))
    }

    async fn record_delivery_attempt(
        &self,
        id: DeliveryId,
        owner: &str,
        attempt: &NewDeliveryAttempt,
    ) -> StoreResult<Delivery> {
        record_attempt(&mut self.lock(), id, owner, attempt)
    }

    async fn record_delivery_attempts(
        &self,
        owner: &str,
        attempts: &[(DeliveryId, NewDeliveryAttempt)],
    ) -> StoreResult<Vec<bool>> {
        // Under one lock: the group is recorded at once, as in a transaction.
        let mut st = self.lock();
        Ok(attempts
            .iter()
            .map(|(id, attempt)| record_attempt(&mut st, *id, owner, attempt).is_ok())
            .collect())
    }

    async fn renew_outbox_leases(
        &self,
        owner: &str,
        events: &[OutboxEventId],
        deliveries: &[DeliveryId],
        lease_until: Timestamp,
    ) -> StoreResult<u64> {
        let mut st = self.lock();
        let mut n = 0;
        for id in events {
            if let Some(e) = st.outbox.get_mut(id).filter(|e| {
                e.status == OutboxStatus::Pending && holds_lease(e.lease_owner.as_ref(), owner)
            }) {
                e.lease_expires_at = Some(lease_until);
                n += 1;
            }
        }
        for id in deliveries {
            if let Some(d) = st.deliveries.get_mut(id).filter(|d| {
                d.status == DeliveryStatus::Pending && holds_lease(d.lease_owner.as_ref(), owner)
            }) {
                d.lease_expires_at = Some(lease_until);
                n += 1;
            }
        }
        Ok(n)
    }

    async fn release_outbox_leases(&self, owner: &str) -> StoreResult<u64> {
        let mut st = self.lock();
        let st = &mut *st;
        let mut n = 0;
        let events = st
            .outbox
            .values_mut()
            .filter(|e| e.status == OutboxStatus::Pending);
        for e in events.filter(|e| holds_lease(e.lease_owner.as_ref(), owner)) {
            e.lease_owner = None;
            e.lease_expires_at = None;
            n += 1;
        }
        let deliveries = st
            .deliveries
            .values_mut()
            .filter(|d| d.status == DeliveryStatus::Pending);
        for d in deliveries.filter(|d| holds_lease(d.lease_owner.as_ref(), owner)) {
            d.lease_owner = None;
            d.lease_expires_at = None;
            n += 1;
        }
        Ok(n)
    }

    async fn release_deliveries(&self, owner: &str, ids: &[DeliveryId]) -> StoreResult<u64> {
        let mut st = self.lock();
        let mut n = 0;
        for id in ids {
            if let Some(d) = st.deliveries.get_mut(id).filter(|d| {
                d.status == DeliveryStatus::Pending && holds_lease(d.lease_owner.as_ref(), owner)
            }) {
                d.lease_owner = None;
                d.lease_expires_at = None;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn deliveries(&self, q: &DeliveryQuery) -> StoreResult<Page<Delivery>> {
        let st = self.lock();
        let f = &q.filter;
        let items: Vec<Delivery> = st
            .deliveries
            .values()
            .filter(|d| {
                f.event_id.is_none_or(|e| d.event_id == e)
                    && f.status.is_none_or(|s| d.status == s)
                    && f.recipient.as_ref().is_none_or(|r| d.recipient == *r)
                    && f.channel.as_ref().is_none_or(|c| d.channel == *c)
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
