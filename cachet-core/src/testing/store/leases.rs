//! The dispatcher's leases beyond claiming: the heartbeat that renews them and the two ways
//! of giving them back (an instance resuming its own work, a shutdown handing back what it
//! never started).

use super::*;

/// Enqueues and fans out one event into deliveries with these keys, then leaves one more
/// event pending and claimed by `owner`: the work a dispatcher holds mid-tick. Returns that
/// event and the claimed deliveries.
async fn work_held_by(
    store: &dyn Store,
    owner: &str,
    keys: &[&str],
) -> Result<(OutboxEvent, Vec<Delivery>), Failure> {
    let e = store
        .enqueue(cx(0), &new_event(EventKind::IncidentCreated, at(0), 0))
        .await
        .ctx("enqueue")?;
    store
        .claim_outbox_events(owner, at(1), at(60), 1)
        .await
        .ctx("claim")?;
    let d: Vec<NewDelivery> = keys.iter().map(|k| new_delivery(k)).collect();
    store
        .complete_outbox_event(cx(2), e.id, owner, &d)
        .await
        .ctx("complete")?;
    store
        .enqueue(cx(3), &new_event(EventKind::IncidentUpdated, at(3), 1))
        .await
        .ctx("enqueue")?;
    let mut events = store
        .claim_outbox_events(owner, at(4), at(60), 10)
        .await
        .ctx("claim second event")?;
    ensure_eq(events.len(), 1, "second event claimed")?;
    let claimed = store
        .claim_deliveries(owner, None, at(5), at(60), 10)
        .await
        .ctx("claim_deliveries")?;
    ensure_eq(claimed.len(), keys.len(), "every delivery claimed")?;
    Ok((events.remove(0), claimed))
}

async fn delivered(store: &dyn Store, id: DeliveryId, owner: &str) -> Result<(), Failure> {
    store
        .record_delivery_attempt(
            id,
            owner,
            &NewDeliveryAttempt {
                at: at(6),
                result: AttemptResult::Delivered,
            },
        )
        .await
        .ctx("record")?;
    Ok(())
}

/// Renewing extends the owner's leases on the named pending events and deliveries, so a
/// claim after the old expiry finds none of them; unnamed leases, other owners' leases and
/// finished deliveries are not touched.
pub async fn outbox_leases_are_renewed(store: &dyn Store) -> Result<(), Failure> {
    let (event, claimed) = work_held_by(store, "a", &["k1", "k2", "k3"]).await?;
    let ids: Vec<DeliveryId> = claimed.iter().map(|d| d.id).collect();
    delivered(store, ids[0], "a").await?;
    ensure_eq(
        store
            .renew_outbox_leases("b", &[event.id], &ids, at(500))
            .await
            .ctx("renew by b")?,
        0,
        "another owner renews nothing",
    )?;
    ensure_eq(
        store
            .renew_outbox_leases("a", &[event.id], &ids[..2], at(120))
            .await
            .ctx("renew")?,
        2,
        "the named pending event and pending delivery renewed",
    )?;
    ensure_eq(
        store
            .claim_deliveries("b", None, at(90), at(150), 10)
            .await
            .ctx("claim after the old expiry")?
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        vec![ids[2]],
        "a renewed delivery lease holds past its first expiry; an unnamed one runs out",
    )?;
    ensure_eq(
        store
            .claim_outbox_events("b", at(90), at(150), 10)
            .await
            .ctx("claim events after the old expiry")?,
        vec![],
        "a renewed event lease holds past its first expiry",
    )?;
    let reclaimed = store
        .claim_deliveries("b", None, at(121), at(180), 10)
        .await
        .ctx("claim after the renewed expiry")?;
    ensure_eq(
        reclaimed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![ids[1]],
        "the renewed lease runs out in turn; the delivered one stays delivered",
    )?;
    Ok(())
}

/// Releasing an owner's leases makes its pending events and deliveries claimable at once
/// (an instance starting again under its name); other owners keep theirs.
pub async fn outbox_leases_are_released_for_a_restart(store: &dyn Store) -> Result<(), Failure> {
    work_held_by(store, "a", &["k1", "k2"]).await?;
    ensure_eq(
        store.release_outbox_leases("b").await.ctx("release by b")?,
        0,
        "an owner without leases releases nothing",
    )?;
    ensure_eq(
        store
            .claim_deliveries("b", None, at(6), at(60), 10)
            .await
            .ctx("claim before the release")?,
        vec![],
        "held leases are not claimable",
    )?;
    ensure_eq(
        store.release_outbox_leases("a").await.ctx("release")?,
        3,
        "one event and two deliveries released",
    )?;
    let d = store
        .claim_deliveries("a", None, at(7), at(60), 10)
        .await
        .ctx("claim after the release")?;
    ensure_eq(
        d.len(),
        2,
        "released deliveries are claimable before their old expiry",
    )?;
    let e = store
        .claim_outbox_events("a", at(7), at(60), 10)
        .await
        .ctx("claim events after the release")?;
    ensure_eq(
        e.len(),
        1,
        "the released event is claimable before its old expiry",
    )?;
    Ok(())
}

/// Releasing named deliveries gives back only those the owner holds and that are pending.
pub async fn unstarted_deliveries_are_handed_back(store: &dyn Store) -> Result<(), Failure> {
    let (_, claimed) = work_held_by(store, "a", &["k1", "k2", "k3"]).await?;
    let ids: Vec<DeliveryId> = claimed.iter().map(|d| d.id).collect();
    delivered(store, ids[0], "a").await?;
    ensure_eq(
        store
            .release_deliveries("b", &ids)
            .await
            .ctx("release by b")?,
        0,
        "another owner's leases are not released",
    )?;
    ensure_eq(
        store
            .release_deliveries("a", &[])
            .await
            .ctx("release none")?,
        0,
        "an empty list releases nothing",
    )?;
    ensure_eq(
        store
            .release_deliveries("a", &ids[..2])
            .await
            .ctx("release")?,
        1,
        "only the pending one of the named deliveries is released",
    )?;
    let d = store
        .claim_deliveries("b", None, at(7), at(60), 10)
        .await
        .ctx("claim after the hand-back")?;
    ensure_eq(
        d.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![ids[1]],
        "the handed-back delivery is claimable at once; the unnamed one stays leased",
    )?;
    ensure_eq(
        store
            .claim_outbox_events("b", at(7), at(60), 10)
            .await
            .ctx("events")?,
        vec![],
        "event leases are untouched",
    )?;
    Ok(())
}
