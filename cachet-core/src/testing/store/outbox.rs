//! The notification outbox: events, leases, fan-out into deliveries, attempts, pruning.

use std::collections::BTreeSet;

use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

async fn enqueue_n(store: &dyn Store, n: i64, due: i64) -> Result<Vec<OutboxEvent>, Failure> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            store
                .enqueue(cx(0), &new_event(EventKind::IncidentCreated, at(due), i))
                .await
                .ctx("enqueue")?,
        );
    }
    Ok(out)
}

async fn event(store: &dyn Store, id: OutboxEventId) -> Result<OutboxEvent, Failure> {
    let page = store
        .outbox_events(&OutboxQuery::all())
        .await
        .ctx("outbox_events")?;
    page.items
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| Failure::new(format!("outbox event {id} not listed")))
}

async fn delivery(store: &dyn Store, id: DeliveryId) -> Result<Delivery, Failure> {
    let page = store
        .deliveries(&DeliveryQuery::all())
        .await
        .ctx("deliveries")?;
    page.items
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| Failure::new(format!("delivery {id} not listed")))
}

fn id_set<T>(items: &[T], id: impl Fn(&T) -> i64) -> BTreeSet<i64> {
    items.iter().map(id).collect()
}

/// Enqueued events are stored pending, unleased, with the write's time; listed by id and
/// filtered by status.
pub async fn outbox_enqueue_and_filter(store: &dyn Store) -> Result<(), Failure> {
    let new = NewOutboxEvent {
        kind: EventKind::MaintenanceScheduled,
        payload: serde_json::json!({"schedule_id": 4, "name": "Wartung 🛠", "nested": {"a": [true, null]}}),
        next_attempt_at: at(50),
    };
    let e = store.enqueue(cx(10), &new).await.ctx("enqueue")?;
    let expected = OutboxEvent {
        id: e.id,
        kind: new.kind,
        payload: new.payload.clone(),
        status: OutboxStatus::Pending,
        attempts: 0,
        next_attempt_at: at(50),
        lease_owner: None,
        lease_expires_at: None,
        last_error: None,
        created_at: at(10),
    };
    ensure_eq(&e, &expected, "enqueued event")?;
    let e2 = store
        .enqueue(cx(20), &new_event(EventKind::TestMail, at(20), 2))
        .await
        .ctx("enqueue")?;
    let all = store
        .outbox_events(&OutboxQuery::all())
        .await
        .ctx("outbox_events")?;
    ensure_eq(
        (all.items, all.total),
        (vec![expected, e2.clone()], 2),
        "events by id",
    )?;
    let q = OutboxQuery::filtered(OutboxFilter {
        status: Some(OutboxStatus::Pending),
    });
    ensure_eq(
        store.outbox_events(&q).await.ctx("outbox_events")?.total,
        2,
        "pending events",
    )?;
    let q = OutboxQuery::filtered(OutboxFilter {
        status: Some(OutboxStatus::Done),
    });
    ensure_eq(
        store.outbox_events(&q).await.ctx("outbox_events")?.total,
        0,
        "no done events",
    )?;
    Ok(())
}

/// Claims lease due events to their owner, respect the limit, skip events not yet due, and
/// never hand the same event to two owners (also when claiming concurrently).
pub async fn outbox_claims_are_disjoint(store: &dyn Store) -> Result<(), Failure> {
    let due = enqueue_n(store, 6, 0).await?;
    let later = store
        .enqueue(cx(0), &new_event(EventKind::TestMail, at(100), 99))
        .await
        .ctx("enqueue")?;
    let a = store
        .claim_outbox_events("a", at(10), at(70), 3)
        .await
        .ctx("claim a")?;
    ensure_eq(a.len(), 3, "claim respects its limit")?;
    for e in &a {
        ensure_eq(
            (e.lease_owner.as_deref(), e.lease_expires_at),
            (Some("a"), Some(at(70))),
            "claimed event's lease",
        )?;
        let stored = event(store, e.id).await?;
        ensure_eq(
            (stored.lease_owner, stored.lease_expires_at),
            (Some("a".to_owned()), Some(at(70))),
            "stored lease",
        )?;
    }
    let claims = join_all(vec![
        store.claim_outbox_events("b", at(10), at(70), 10),
        store.claim_outbox_events("c", at(10), at(70), 10),
    ])
    .await;
    let mut seen = id_set(&a, |e| e.id.get());
    let mut total = a.len();
    for claim in claims {
        let claim = claim.ctx("concurrent claim")?;
        total += claim.len();
        seen.extend(claim.iter().map(|e| e.id.get()));
    }
    ensure_eq(total, seen.len(), "no event leased twice")?;
    ensure_eq(
        seen,
        id_set(&due, |e| e.id.get()),
        "every due event leased, the later one not",
    )?;
    ensure(
        event(store, later.id).await?.lease_owner.is_none(),
        "an event not yet due is not leased",
    )?;
    ensure_eq(
        store
            .claim_outbox_events("d", at(10), at(70), 10)
            .await
            .ctx("claim d")?,
        vec![],
        "nothing left to claim",
    )?;
    Ok(())
}

/// An expired lease can be claimed by another owner, who then owns the event; the former
/// owner can no longer complete it.
pub async fn outbox_expired_lease_is_reclaimed(store: &dyn Store) -> Result<(), Failure> {
    let e = enqueue_n(store, 1, 0).await?.remove(0);
    ensure_eq(
        store
            .claim_outbox_events("a", at(10), at(20), 10)
            .await
            .ctx("claim a")?
            .len(),
        1,
        "first lease",
    )?;
    ensure_eq(
        store
            .claim_outbox_events("b", at(19), at(80), 10)
            .await
            .ctx("claim b")?,
        vec![],
        "a live lease holds",
    )?;
    let b = store
        .claim_outbox_events("b", at(21), at(80), 10)
        .await
        .ctx("claim b")?;
    ensure_eq(
        ids(&b, |x| x.id.get()),
        vec![e.id.get()],
        "an expired lease is claimed again",
    )?;
    ensure_eq(b[0].lease_owner.as_deref(), Some("b"), "new owner")?;
    ensure_err(
        store
            .complete_outbox_event(cx(22), e.id, "a", &[new_delivery("k1")])
            .await,
        ErrorKind::Conflict,
        "former owner completes",
    )?;
    ensure_eq(
        store
            .deliveries(&DeliveryQuery::all())
            .await
            .ctx("deliveries")?
            .total,
        0,
        "no deliveries from the former owner",
    )?;
    store
        .complete_outbox_event(cx(23), e.id, "b", &[new_delivery("k1")])
        .await
        .ctx("owner completes")?;
    Ok(())
}

/// Completing fans a leased event out into pending deliveries (skipping idempotency keys that
/// exist) and marks it done; anyone but the lease owner gets `Conflict` and changes nothing.
pub async fn outbox_complete_fans_out_idempotently(store: &dyn Store) -> Result<(), Failure> {
    let ev = enqueue_n(store, 3, 0).await?;
    let claimed = store
        .claim_outbox_events("a", at(10), at(70), 2)
        .await
        .ctx("claim")?;
    ensure_eq(claimed.len(), 2, "two claimed")?;
    let (e1, e2) = (claimed[0].id, claimed[1].id);
    let unclaimed = ev
        .iter()
        .map(|e| e.id)
        .find(|id| *id != e1 && *id != e2)
        .ok_or_else(|| Failure::new("third event"))?;
    ensure_err(
        store
            .complete_outbox_event(cx(20), e1, "b", &[new_delivery("x")])
            .await,
        ErrorKind::Conflict,
        "not the owner",
    )?;
    ensure_err(
        store
            .complete_outbox_event(cx(20), unclaimed, "a", &[new_delivery("x")])
            .await,
        ErrorKind::Conflict,
        "not leased",
    )?;
    ensure_eq(
        store
            .deliveries(&DeliveryQuery::all())
            .await
            .ctx("deliveries")?
            .total,
        0,
        "refused completions wrote nothing",
    )?;
    ensure_eq(
        event(store, e1).await?.status,
        OutboxStatus::Pending,
        "refused completion left the event pending",
    )?;

    store
        .complete_outbox_event(cx(30), e1, "a", &[new_delivery("k1"), new_delivery("k2")])
        .await
        .ctx("complete e1")?;
    ensure_eq(
        event(store, e1).await?.status,
        OutboxStatus::Done,
        "completed event is done",
    )?;
    let q = DeliveryQuery::filtered(DeliveryFilter {
        event_id: Some(e1),
        status: None,
        recipient: None,
        channel: None,
    });
    let d = store.deliveries(&q).await.ctx("deliveries")?.items;
    ensure_eq(d.len(), 2, "two deliveries")?;
    for (x, key) in d.iter().zip(["k1", "k2"]) {
        ensure_eq(
            (
                x.recipient.as_str(),
                x.channel.as_str(),
                x.idempotency_key.as_str(),
            ),
            (format!("subscriber:{key}").as_str(), "email", key),
            "delivery fields",
        )?;
        ensure_eq(
            (
                x.event_id,
                x.status,
                x.attempts,
                x.lease_owner.clone(),
                x.delivered_at,
                x.last_error.clone(),
            ),
            (e1, DeliveryStatus::Pending, 0, None, None, None),
            "a fresh delivery",
        )?;
        ensure_eq(x.created_at, at(30), "delivery created at the write's time")?;
    }
    store
        .complete_outbox_event(cx(40), e2, "a", &[new_delivery("k2"), new_delivery("k3")])
        .await
        .ctx("complete e2")?;
    let all = store
        .deliveries(&DeliveryQuery::all())
        .await
        .ctx("deliveries")?
        .items;
    let keys: Vec<(&str, OutboxEventId)> = all
        .iter()
        .map(|x| (x.idempotency_key.as_str(), x.event_id))
        .collect();
    ensure_eq(
        keys,
        vec![("k1", e1), ("k2", e1), ("k3", e2)],
        "existing idempotency key skipped",
    )?;
    ensure_eq(
        event(store, e2).await?.status,
        OutboxStatus::Done,
        "second event done",
    )?;
    Ok(())
}

/// A claim that finds nothing due leaves nothing locked: a claim right after it, once the
/// event is due, gets the event. (On InnoDB a claim's scan locks the rows it examines; a
/// transaction ended by dropping it kept those locks until the pool reused the connection,
/// and the next claim's SKIP LOCKED skipped a free row.) Repeated, since the window was
/// short.
pub async fn outbox_empty_claims_hold_no_locks(store: &dyn Store) -> Result<(), Failure> {
    for round in 0..12i64 {
        let due = 1_000 + round * 100;
        let e = store
            .enqueue(
                cx(0),
                &new_event(EventKind::IncidentCreated, at(due), round),
            )
            .await
            .ctx("enqueue")?;
        ensure_eq(
            store
                .claim_outbox_events("early", at(due - 1), at(due + 50), 5)
                .await
                .ctx("early claim")?,
            vec![],
            "nothing due yet",
        )?;
        let got = store
            .claim_outbox_events("due", at(due), at(due + 50), 5)
            .await
            .ctx("due claim")?;
        ensure_eq(
            ids(&got, |x| x.id.get()),
            vec![e.id.get()],
            format!("round {round}: the due event is claimed right after an empty claim"),
        )?;
        store
            .fail_outbox_event(e.id, "due", "done with it", None)
            .await
            .ctx("give up")?;
    }
    Ok(())
}

/// Failing a leased event either schedules a retry (pending, due at `retry_at`, error kept,
/// lease released) or gives up (failed, never claimed again).
pub async fn outbox_fail_retries_or_gives_up(store: &dyn Store) -> Result<(), Failure> {
    let e = enqueue_n(store, 1, 0).await?.remove(0);
    store
        .claim_outbox_events("a", at(10), at(70), 1)
        .await
        .ctx("claim")?;
    store
        .fail_outbox_event(e.id, "a", "smtp down", Some(at(100)))
        .await
        .ctx("fail with retry")?;
    let now = event(store, e.id).await?;
    ensure_eq(
        (now.status, now.next_attempt_at, now.last_error.as_deref()),
        (OutboxStatus::Pending, at(100), Some("smtp down")),
        "event to retry",
    )?;
    ensure_eq(
        store
            .claim_outbox_events("b", at(50), at(200), 1)
            .await
            .ctx("claim")?,
        vec![],
        "not claimable before retry_at",
    )?;
    let again = store
        .claim_outbox_events("b", at(101), at(200), 1)
        .await
        .ctx("claim")?;
    ensure_eq(
        ids(&again, |x| x.id.get()),
        vec![e.id.get()],
        "claimable after retry_at, lease released",
    )?;
    store
        .fail_outbox_event(e.id, "b", "bad payload", None)
        .await
        .ctx("fail for good")?;
    let now = event(store, e.id).await?;
    ensure_eq(
        (now.status, now.last_error.as_deref()),
        (OutboxStatus::Failed, Some("bad payload")),
        "failed event",
    )?;
    ensure_eq(
        store
            .claim_outbox_events("c", at(10_000), at(20_000), 10)
            .await
            .ctx("claim")?,
        vec![],
        "a failed event is never claimed",
    )?;
    let q = OutboxQuery::filtered(OutboxFilter {
        status: Some(OutboxStatus::Failed),
    });
    ensure_eq(
        store.outbox_events(&q).await.ctx("outbox_events")?.total,
        1,
        "failed filter",
    )?;
    Ok(())
}

async fn fanned_out(store: &dyn Store, keys: &[&str]) -> Result<OutboxEventId, Failure> {
    let e = store
        .enqueue(cx(0), &new_event(EventKind::IncidentCreated, at(0), 0))
        .await
        .ctx("enqueue")?;
    store
        .claim_outbox_events("dispatcher", at(1), at(60), 1)
        .await
        .ctx("claim")?;
    let d: Vec<NewDelivery> = keys.iter().map(|k| new_delivery(k)).collect();
    store
        .complete_outbox_event(cx(2), e.id, "dispatcher", &d)
        .await
        .ctx("complete")?;
    Ok(e.id)
}

/// Claiming deliveries leases them; recording an attempt (only by the owner) moves a delivery
/// to delivered, retry or failed, counts it, releases the lease and keeps the attempt.
pub async fn delivery_attempt_transitions(store: &dyn Store) -> Result<(), Failure> {
    fanned_out(store, &["k1", "k2", "k3"]).await?;
    let claimed = store
        .claim_deliveries("a", None, at(10), at(70), 10)
        .await
        .ctx("claim_deliveries")?;
    ensure_eq(claimed.len(), 3, "every due delivery claimed")?;
    for d in &claimed {
        ensure_eq(
            (d.lease_owner.as_deref(), d.lease_expires_at),
            (Some("a"), Some(at(70))),
            "delivery lease",
        )?;
    }
    ensure_eq(
        store
            .claim_deliveries("b", None, at(10), at(70), 10)
            .await
            .ctx("claim_deliveries")?,
        vec![],
        "leased deliveries are not claimed twice",
    )?;
    let by_key = |k: &str| {
        claimed
            .iter()
            .find(|d| d.idempotency_key == k)
            .map(|d| d.id)
            .ok_or_else(|| Failure::new(format!("delivery {k}")))
    };
    let (k1, k2, k3) = (by_key("k1")?, by_key("k2")?, by_key("k3")?);
    let ok = NewDeliveryAttempt {
        at: at(20),
        result: AttemptResult::Delivered,
    };
    ensure_err(
        store.record_delivery_attempt(k1, "b", &ok).await,
        ErrorKind::Conflict,
        "attempt by another owner",
    )?;
    ensure_eq(
        store.delivery_attempts(k1).await.ctx("delivery_attempts")?,
        vec![],
        "refused attempt not recorded",
    )?;
    let d1 = store
        .record_delivery_attempt(k1, "a", &ok)
        .await
        .ctx("delivered")?;
    ensure_eq(
        (
            d1.status,
            d1.delivered_at,
            d1.attempts,
            d1.lease_owner.clone(),
        ),
        (DeliveryStatus::Delivered, Some(at(20)), 1, None),
        "delivered",
    )?;
    ensure_eq(delivery(store, k1).await?, d1, "delivered read back")?;
    let retry = NewDeliveryAttempt {
        at: at(21),
        result: AttemptResult::Retry {
            error: "421 try later".to_owned(),
            next_attempt_at: at(100),
        },
    };
    let d2 = store
        .record_delivery_attempt(k2, "a", &retry)
        .await
        .ctx("retry")?;
    ensure_eq(
        (
            d2.status,
            d2.attempts,
            d2.next_attempt_at,
            d2.last_error.as_deref(),
            d2.lease_owner.clone(),
            d2.delivered_at,
        ),
        (
            DeliveryStatus::Pending,
            1,
            at(100),
            Some("421 try later"),
            None,
            None,
        ),
        "to retry",
    )?;
    let fail = NewDeliveryAttempt {
        at: at(22),
        result: AttemptResult::Failed {
            error: "550 no such user".to_owned(),
        },
    };
    let d3 = store
        .record_delivery_attempt(k3, "a", &fail)
        .await
        .ctx("failed")?;
    ensure_eq(
        (d3.status, d3.attempts, d3.last_error.as_deref()),
        (DeliveryStatus::Failed, 1, Some("550 no such user")),
        "failed",
    )?;
    let attempts = store.delivery_attempts(k1).await.ctx("delivery_attempts")?;
    ensure_eq(
        attempts
            .iter()
            .map(|a| (a.delivery_id, a.at, a.ok, a.error.clone()))
            .collect::<Vec<_>>(),
        vec![(k1, at(20), true, None)],
        "delivered attempt",
    )?;
    ensure_eq(
        store
            .claim_deliveries("b", None, at(50), at(120), 10)
            .await
            .ctx("claim_deliveries")?,
        vec![],
        "nothing due before the retry",
    )?;
    let again = store
        .claim_deliveries("b", None, at(101), at(160), 10)
        .await
        .ctx("claim_deliveries")?;
    ensure_eq(
        ids(&again, |d| d.id.get()),
        vec![k2.get()],
        "only the retry is due; final states are never claimed",
    )?;
    let d2 = store
        .record_delivery_attempt(
            k2,
            "b",
            &NewDeliveryAttempt {
                at: at(102),
                result: AttemptResult::Delivered,
            },
        )
        .await
        .ctx("delivered")?;
    ensure_eq(
        (d2.status, d2.attempts, d2.delivered_at),
        (DeliveryStatus::Delivered, 2, Some(at(102))),
        "delivered on the second attempt",
    )?;
    let attempts = store.delivery_attempts(k2).await.ctx("delivery_attempts")?;
    ensure_eq(
        attempts
            .iter()
            .map(|a| (a.at, a.ok, a.error.clone()))
            .collect::<Vec<_>>(),
        vec![
            (at(21), false, Some("421 try later".to_owned())),
            (at(102), true, None),
        ],
        "attempts oldest first",
    )?;
    Ok(())
}

/// Attempts recorded as a group: each as the single call records it, the ones whose
/// delivery is not the owner's (or is gone, or came earlier in the group) answered `false`
/// and left untouched.
pub async fn delivery_attempts_in_a_group(store: &dyn Store) -> Result<(), Failure> {
    fanned_out(store, &["g1", "g2", "g3", "g4"]).await?;
    let mine = store
        .claim_deliveries("a", None, at(10), at(70), 3)
        .await
        .ctx("claim_deliveries")?;
    let theirs = store
        .claim_deliveries("b", None, at(10), at(70), 10)
        .await
        .ctx("claim_deliveries")?;
    ensure_eq((mine.len(), theirs.len()), (3, 1), "claimed by a and b")?;
    let (k1, k2, k3, other) = (mine[0].id, mine[1].id, mine[2].id, theirs[0].id);
    let delivered = |s| NewDeliveryAttempt {
        at: at(s),
        result: AttemptResult::Delivered,
    };
    let gone = DeliveryId(k3.get() + 1000);
    let group = vec![
        (k1, delivered(20)),
        (other, delivered(20)),
        (
            k2,
            NewDeliveryAttempt {
                at: at(21),
                result: AttemptResult::Retry {
                    error: "421 try later".to_owned(),
                    next_attempt_at: at(100),
                },
            },
        ),
        (gone, delivered(22)),
        (k3, delivered(23)),
        (k1, delivered(24)),
    ];
    ensure_eq(
        store
            .record_delivery_attempts("a", &group)
            .await
            .ctx("record_delivery_attempts")?,
        vec![true, false, true, false, true, false],
        "what was recorded",
    )?;
    let d1 = delivery(store, k1).await?;
    ensure_eq(
        (d1.status, d1.delivered_at, d1.attempts, d1.lease_owner),
        (DeliveryStatus::Delivered, Some(at(20)), 1, None),
        "delivered once, at its own time",
    )?;
    let d3 = delivery(store, k3).await?;
    ensure_eq(
        (d3.status, d3.delivered_at, d3.attempts),
        (DeliveryStatus::Delivered, Some(at(23)), 1),
        "another delivered at its own time",
    )?;
    let d2 = delivery(store, k2).await?;
    ensure_eq(
        (
            d2.status,
            d2.attempts,
            d2.next_attempt_at,
            d2.last_error.as_deref(),
            d2.lease_owner,
        ),
        (
            DeliveryStatus::Pending,
            1,
            at(100),
            Some("421 try later"),
            None,
        ),
        "to retry",
    )?;
    let o = delivery(store, other).await?;
    ensure_eq(
        (o.status, o.attempts, o.lease_owner.as_deref()),
        (DeliveryStatus::Pending, 0, Some("b")),
        "another owner's delivery untouched",
    )?;
    ensure_eq(
        store
            .delivery_attempts(other)
            .await
            .ctx("delivery_attempts")?,
        vec![],
        "no attempt on another owner's delivery",
    )?;
    ensure_eq(
        store
            .delivery_attempts(k1)
            .await
            .ctx("delivery_attempts")?
            .iter()
            .map(|a| (a.at, a.ok))
            .collect::<Vec<_>>(),
        vec![(at(20), true)],
        "one attempt for a delivery named twice",
    )?;
    ensure_eq(
        store
            .delivery_attempts(k2)
            .await
            .ctx("delivery_attempts")?
            .iter()
            .map(|a| (a.ok, a.error.clone()))
            .collect::<Vec<_>>(),
        vec![(false, Some("421 try later".to_owned()))],
        "the retry's attempt",
    )?;
    ensure_eq(
        store
            .record_delivery_attempts("a", &[])
            .await
            .ctx("record_delivery_attempts")?,
        vec![],
        "an empty group",
    )?;
    Ok(())
}

/// Delivery filters by event, status and recipient (whole name, never a prefix); natural order
/// by id.
pub async fn deliveries_filters(store: &dyn Store) -> Result<(), Failure> {
    let e1 = fanned_out(store, &["a1", "a2"]).await?;
    let e2 = fanned_out(store, &["b1"]).await?;
    let claimed = store
        .claim_deliveries("x", None, at(10), at(70), 10)
        .await
        .ctx("claim_deliveries")?;
    let a2 = claimed
        .iter()
        .find(|d| d.idempotency_key == "a2")
        .map(|d| d.id)
        .ok_or_else(|| Failure::new("delivery a2"))?;
    store
        .record_delivery_attempt(
            a2,
            "x",
            &NewDeliveryAttempt {
                at: at(20),
                result: AttemptResult::Delivered,
            },
        )
        .await
        .ctx("delivered")?;
    let keys = |p: Page<Delivery>| {
        p.items
            .into_iter()
            .map(|d| d.idempotency_key)
            .collect::<Vec<_>>()
    };
    let q = |event_id, status| {
        DeliveryQuery::filtered(DeliveryFilter {
            event_id,
            status,
            recipient: None,
            channel: None,
        })
    };
    ensure_eq(
        keys(store.deliveries(&q(None, None)).await.ctx("deliveries")?),
        vec!["a1".to_owned(), "a2".to_owned(), "b1".to_owned()],
        "all deliveries by id",
    )?;
    ensure_eq(
        keys(
            store
                .deliveries(&q(Some(e1), None))
                .await
                .ctx("deliveries")?,
        ),
        vec!["a1".to_owned(), "a2".to_owned()],
        "by event",
    )?;
    ensure_eq(
        keys(
            store
                .deliveries(&q(Some(e2), None))
                .await
                .ctx("deliveries")?,
        ),
        vec!["b1".to_owned()],
        "by other event",
    )?;
    ensure_eq(
        keys(
            store
                .deliveries(&q(None, Some(DeliveryStatus::Delivered)))
                .await
                .ctx("deliveries")?,
        ),
        vec!["a2".to_owned()],
        "by status",
    )?;
    ensure_eq(
        keys(
            store
                .deliveries(&q(Some(e1), Some(DeliveryStatus::Pending)))
                .await
                .ctx("deliveries")?,
        ),
        vec!["a1".to_owned()],
        "by event and status",
    )?;
    let to = |recipient: &str| {
        DeliveryQuery::filtered(DeliveryFilter {
            recipient: Some(recipient.to_owned()),
            ..DeliveryFilter::default()
        })
    };
    ensure_eq(
        keys(
            store
                .deliveries(&to("subscriber:a2"))
                .await
                .ctx("deliveries")?,
        ),
        vec!["a2".to_owned()],
        "by recipient",
    )?;
    ensure_eq(
        keys(
            store
                .deliveries(&to("subscriber:a"))
                .await
                .ctx("deliveries")?,
        ),
        Vec::<String>::new(),
        "a recipient filter matches the whole name, not a prefix",
    )?;
    ensure_eq(
        keys(
            store
                .deliveries(&to("subscriber:%"))
                .await
                .ctx("deliveries")?,
        ),
        Vec::<String>::new(),
        "a recipient filter is no pattern",
    )?;
    let page = store
        .deliveries(&DeliveryQuery::all().paged(PageRequest::new(2, 2)))
        .await
        .ctx("deliveries")?;
    ensure_eq(
        (keys(page.clone()), page.total),
        (vec!["b1".to_owned()], 3),
        "second page of deliveries",
    )?;
    Ok(())
}

/// Pruning deletes done events and delivered deliveries (with their attempts) older than the
/// cut-off, and nothing that is pending, failed or newer.
pub async fn prune_outbox_removes_finished(store: &dyn Store) -> Result<(), Failure> {
    let done = fanned_out(store, &["d1"]).await?;
    let claimed = store
        .claim_deliveries("x", None, at(10), at(70), 10)
        .await
        .ctx("claim_deliveries")?;
    let d1 = claimed
        .first()
        .map(|d| d.id)
        .ok_or_else(|| Failure::new("delivery d1"))?;
    store
        .record_delivery_attempt(
            d1,
            "x",
            &NewDeliveryAttempt {
                at: at(20),
                result: AttemptResult::Delivered,
            },
        )
        .await
        .ctx("delivered")?;
    let pending = store
        .enqueue(cx(30), &new_event(EventKind::TestMail, at(5000), 1))
        .await
        .ctx("enqueue")?;
    let recent = store
        .enqueue(cx(2000), &new_event(EventKind::TestMail, at(2000), 2))
        .await
        .ctx("enqueue")?;
    store
        .claim_outbox_events("y", at(2001), at(2060), 10)
        .await
        .ctx("claim")?;
    store
        .complete_outbox_event(cx(2001), recent.id, "y", &[])
        .await
        .ctx("complete recent")?;
    let gone = store.prune_outbox(at(1000)).await.ctx("prune_outbox")?;
    ensure(
        gone >= 2,
        format!("prune counts the event and the delivery (got {gone})"),
    )?;
    let left: Vec<OutboxEventId> = store
        .outbox_events(&OutboxQuery::all())
        .await
        .ctx("outbox_events")?
        .items
        .into_iter()
        .map(|e| e.id)
        .collect();
    ensure_eq(
        left,
        vec![pending.id, recent.id],
        "only the old done event pruned",
    )?;
    ensure(
        !store
            .deliveries(&DeliveryQuery::all())
            .await
            .ctx("deliveries")?
            .items
            .iter()
            .any(|d| d.event_id == done),
        "its delivery pruned",
    )?;
    match store.delivery_attempts(d1).await {
        Ok(v) => ensure(
            v.is_empty(),
            format!("attempts of a pruned delivery: {v:?}"),
        )?,
        Err(e) => ensure(
            e.is_not_found(),
            format!("attempts of a pruned delivery: {e}"),
        )?,
    }
    ensure_eq(
        store.prune_outbox(at(1000)).await.ctx("prune_outbox")?,
        0,
        "nothing more to prune",
    )?;
    Ok(())
}

/// Deliveries claimed by two owners at the same time are disjoint: each due delivery is
/// leased to exactly one of them (PostgreSQL and MySQL claim with `FOR UPDATE SKIP LOCKED`).
pub async fn delivery_claims_by_two_owners_are_disjoint(store: &dyn Store) -> Result<(), Failure> {
    let keys: Vec<String> = (0..12).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    fanned_out(store, &refs).await?;
    let claims = join_all(vec![
        store.claim_deliveries("a", None, at(10), at(70), 8),
        store.claim_deliveries("b", None, at(10), at(70), 8),
    ])
    .await;
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for (claim, owner) in claims.into_iter().zip(["a", "b"]) {
        let claim = claim.ctx("concurrent claim_deliveries")?;
        for d in &claim {
            ensure_eq(
                d.lease_owner.as_deref(),
                Some(owner),
                "claimed delivery's owner",
            )?;
            let stored = delivery(store, d.id).await?;
            ensure_eq(stored.lease_owner.as_deref(), Some(owner), "stored owner")?;
        }
        total += claim.len();
        seen.extend(claim.iter().map(|d| d.id.get()));
    }
    ensure_eq(total, seen.len(), "no delivery leased twice")?;
    ensure(total > 0, "the concurrent claims leased something")?;
    // SKIP LOCKED may skip more than the other claimer returns (InnoDB locks every row its
    // plan examines, not only the LIMIT it returns), so the two need not cover all 12 between
    // them; what they skipped must still be there for the next claim, exactly once.
    let rest = store
        .claim_deliveries("c", None, at(10), at(70), 12)
        .await
        .ctx("claim_deliveries after the concurrent claims")?;
    for d in &rest {
        ensure(
            seen.insert(d.id.get()),
            format!("delivery {} leased again", d.id.get()),
        )?;
    }
    ensure_eq(
        seen.len(),
        12,
        "every due delivery leased by exactly one owner",
    )?;
    Ok(())
}

/// A claim for one channel leases only that channel's due deliveries, oldest first, and
/// leaves the others claimable (the dispatcher claims per channel, so a paced channel never
/// holds another's); without a channel every channel's are claimed. The delivery list
/// filters by channel too (the whole name).
pub async fn delivery_claims_by_channel(store: &dyn Store) -> Result<(), Failure> {
    let e = store
        .enqueue(cx(0), &new_event(EventKind::IncidentCreated, at(0), 0))
        .await
        .ctx("enqueue")?;
    store
        .claim_outbox_events("dispatcher", at(1), at(60), 1)
        .await
        .ctx("claim")?;
    let on = |key: &str, channel: &str| NewDelivery {
        channel: channel.to_owned(),
        ..new_delivery(key)
    };
    store
        .complete_outbox_event(
            cx(2),
            e.id,
            "dispatcher",
            &[
                on("m1", "email"),
                on("s1", "sms"),
                on("m2", "email"),
                on("s2", "sms"),
                on("m3", "email"),
            ],
        )
        .await
        .ctx("complete")?;
    let keys = |ds: Vec<Delivery>| {
        ds.into_iter()
            .map(|d| d.idempotency_key)
            .collect::<Vec<_>>()
    };
    let sms = store
        .claim_deliveries("a", Some("sms"), at(10), at(70), 10)
        .await
        .ctx("claim sms")?;
    ensure_eq(
        keys(sms),
        vec!["s1".to_owned(), "s2".to_owned()],
        "the sms claim",
    )?;
    let mail = store
        .claim_deliveries("a", Some("email"), at(10), at(70), 1)
        .await
        .ctx("claim email")?;
    ensure_eq(keys(mail), vec!["m1".to_owned()], "one mail, the oldest")?;
    ensure_eq(
        keys(
            store
                .claim_deliveries("b", Some("chat"), at(10), at(70), 10)
                .await
                .ctx("claim chat")?,
        ),
        Vec::<String>::new(),
        "no chat deliveries",
    )?;
    ensure_eq(
        keys(
            store
                .claim_deliveries("b", Some("sm"), at(10), at(70), 10)
                .await
                .ctx("claim by a prefix")?,
        ),
        Vec::<String>::new(),
        "a channel is matched whole, not as a prefix",
    )?;
    ensure_eq(
        keys(
            store
                .claim_deliveries("b", None, at(10), at(70), 10)
                .await
                .ctx("claim every channel")?,
        ),
        vec!["m2".to_owned(), "m3".to_owned()],
        "what the channel claims left",
    )?;
    let by_channel = |channel: &str| {
        DeliveryQuery::filtered(DeliveryFilter {
            channel: Some(channel.to_owned()),
            ..DeliveryFilter::default()
        })
    };
    ensure_eq(
        keys(
            store
                .deliveries(&by_channel("sms"))
                .await
                .ctx("deliveries")?
                .items,
        ),
        vec!["s1".to_owned(), "s2".to_owned()],
        "deliveries on the sms channel",
    )?;
    ensure_eq(
        store
            .deliveries(&by_channel("e"))
            .await
            .ctx("deliveries")?
            .total,
        0,
        "a channel filter matches the whole name",
    )?;
    Ok(())
}

/// One outbox event by id, as listed; an unknown id is `NotFound`.
pub async fn outbox_event_by_id(store: &dyn Store) -> Result<(), Failure> {
    let events = enqueue_n(store, 3, 0).await?;
    for e in &events {
        let got = store.outbox_event(e.id).await.ctx("outbox_event")?;
        ensure_eq(&got, &event(store, e.id).await?, "the listed event")?;
        ensure_eq(&got.payload, &e.payload, "its payload")?;
    }
    ensure_err(
        store.outbox_event(OutboxEventId(9_999)).await,
        ErrorKind::NotFound,
        "unknown outbox event",
    )?;
    Ok(())
}
