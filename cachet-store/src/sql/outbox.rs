//! The notification outbox, its deliveries and their attempts: leased claims, completion and retention.

use cachet_core::model::*;
use cachet_core::store::{Page, StoreResult, WriteContext, query::*};

use super::{children, exists, order_or, page_of};
use crate::args::{Arg, Where, args, placeholders, sort_clause};
use crate::error::{backend, conflict, not_found};
use crate::rows::*;
use crate::sql::Dialect;

pub(crate) async fn insert_outbox<D: Dialect>(
    c: &mut D::Conn,
    now: Timestamp,
    e: &NewOutboxEvent,
) -> StoreResult<i64> {
    D::insert(
        c,
        "INSERT INTO cachet_outbox_events (kind, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 0, ?, ?)",
        args![e.kind.as_str(), e.payload.to_string(), OutboxStatus::Pending.as_str(), e.next_attempt_at, now],
    )
    .await
}

async fn get_delivery<D: Dialect>(c: &mut D::Conn, id: DeliveryId) -> StoreResult<Delivery> {
    D::fetch_opt::<DeliveryRow>(
        c,
        D::sql("SELECT * FROM cachet_deliveries WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("delivery", id.0))?
    .into_model()
}

/// Claims due, unleased rows of an outbox-like table: their ids, in id order.
async fn claim_ids<D: Dialect>(
    c: &mut D::Conn,
    table: &'static str,
    pending: &'static str,
    channel: Option<&str>,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<i64>> {
    let by_channel = if channel.is_some() {
        " AND channel = ?"
    } else {
        ""
    };
    // Earliest due first, in the order of the `(channel,) status, next_attempt_at` index, so
    // the claim reads the index in order and stops at the limit instead of sorting every
    // pending row (a claim by id order sorted the whole backlog on SQLite, each time).
    let s = format!(
        "SELECT id FROM {table} WHERE status = ?{by_channel} AND next_attempt_at <= ? \
         AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?) \
         ORDER BY next_attempt_at, id LIMIT ?{}",
        D::SKIP_LOCKED
    );
    let mut a = args![pending];
    if let Some(channel) = channel {
        a.extend(args![channel]);
    }
    a.extend(args![now, now, i64::from(limit)]);
    let rows: Vec<(i64,)> = D::fetch(c, D::dyn_sql(s), a).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The lease owner of an outbox event or delivery, locked for the rest of the
/// transaction; `NotFound` when there is no such row, `Conflict` unless `owner` holds it.
async fn check_lease<D: Dialect>(
    c: &mut D::Conn,
    table: &'static str,
    entity: &'static str,
    id: i64,
    owner: &str,
) -> StoreResult<()> {
    let s = format!(
        "SELECT lease_owner FROM {table} WHERE id = ?{}",
        D::FOR_UPDATE
    );
    let row: Option<(Option<String>,)> = D::fetch_opt(c, D::dyn_sql(s), args![id]).await?;
    let (lease_owner,) = row.ok_or_else(|| not_found(entity, id))?;
    if lease_owner.as_deref() == Some(owner) {
        Ok(())
    } else {
        Err(conflict(entity, "not the lease owner"))
    }
}

// ---- outbox (the `Store` methods) --------------------------------------------------------------

pub(crate) async fn enqueue<D: Dialect>(
    db: &D,
    cx: WriteContext,
    event: &NewOutboxEvent,
) -> StoreResult<OutboxEvent> {
    let mut c = db.write().await?;
    let id = insert_outbox::<D>(&mut c, cx.now, event).await?;
    Ok(OutboxEvent {
        id: OutboxEventId(id),
        kind: event.kind,
        payload: event.payload.clone(),
        status: OutboxStatus::Pending,
        attempts: 0,
        next_attempt_at: event.next_attempt_at,
        lease_owner: None,
        lease_expires_at: None,
        last_error: None,
        created_at: cx.now,
    })
}

pub(crate) async fn outbox_events<D: Dialect>(
    db: &D,
    q: &OutboxQuery,
) -> StoreResult<Page<OutboxEvent>> {
    let mut w = Where::default();
    if let Some(s) = q.filter.status {
        w.eq("status", s.as_str());
    }
    let order = order_or(
        q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)),
        "id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, OutboxRow>(&mut c, "cachet_outbox_events", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, OutboxRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn outbox_event<D: Dialect>(
    db: &D,
    id: OutboxEventId,
) -> StoreResult<OutboxEvent> {
    let mut c = db.read().await?;
    D::fetch_opt::<OutboxRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_outbox_events WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("outbox_event", id.0))?
    .into_model()
}

pub(crate) async fn claim_outbox_events<D: Dialect>(
    db: &D,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<OutboxEvent>> {
    let mut tx = db.begin().await?;
    let ids = claim_ids::<D>(
        &mut tx,
        "cachet_outbox_events",
        OutboxStatus::Pending.as_str(),
        None,
        now,
        limit,
    )
    .await?;
    if ids.is_empty() {
        // Ended here, not by dropping it: a dropped transaction is rolled back
        // only when the pool gets round to the connection, and until then
        // InnoDB keeps the row locks the claim's scan took, so the next claim
        // (SKIP LOCKED) would skip rows that are free.
        D::rollback(tx).await.map_err(backend)?;
        return Ok(Vec::new());
    }
    let mut a = args![owner, lease_until];
    a.extend(ids.iter().map(|id| Arg::from(*id)));
    let s = format!(
        "UPDATE cachet_outbox_events SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1 WHERE id IN ({})",
        placeholders(ids.len())
    );
    D::exec(&mut tx, D::dyn_sql(s), a).await?;
    let rows = children::<D, OutboxRow>(&mut tx, "cachet_outbox_events", "id", &ids).await?;
    let events = models(rows, OutboxRow::into_model)?;
    D::commit(tx).await.map_err(backend)?;
    Ok(events)
}

pub(crate) async fn complete_outbox_event<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: OutboxEventId,
    owner: &str,
    deliveries: &[NewDelivery],
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    check_lease::<D>(&mut tx, "cachet_outbox_events", "outbox_event", id.0, owner).await?;
    D::insert_deliveries(&mut tx, id.0, cx.now, deliveries).await?;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_outbox_events SET status = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?"),
        args![OutboxStatus::Done.as_str(), id.0],
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn fail_outbox_event<D: Dialect>(
    db: &D,
    id: OutboxEventId,
    owner: &str,
    error: &str,
    retry_at: Option<Timestamp>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    check_lease::<D>(&mut tx, "cachet_outbox_events", "outbox_event", id.0, owner).await?;
    match retry_at {
        Some(t) => D::exec(
            &mut tx,
            D::sql("UPDATE cachet_outbox_events SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?, status = ?, \
                 next_attempt_at = ? WHERE id = ?"),
            args![error, OutboxStatus::Pending.as_str(), t, id.0],
        )
        .await?,
        None => D::exec(
            &mut tx,
            D::sql("UPDATE cachet_outbox_events SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?, status = ? WHERE id = ?"),
            args![error, OutboxStatus::Failed.as_str(), id.0],
        )
        .await?,
    };
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn claim_deliveries<D: Dialect>(
    db: &D,
    owner: &str,
    channel: Option<&str>,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    let mut tx = db.begin().await?;
    let ids = claim_ids::<D>(
        &mut tx,
        "cachet_deliveries",
        DeliveryStatus::Pending.as_str(),
        channel,
        now,
        limit,
    )
    .await?;
    if ids.is_empty() {
        // Ended here, not by dropping it: a dropped transaction is rolled back
        // only when the pool gets round to the connection, and until then
        // InnoDB keeps the row locks the claim's scan took, so the next claim
        // (SKIP LOCKED) would skip rows that are free.
        D::rollback(tx).await.map_err(backend)?;
        return Ok(Vec::new());
    }
    let mut a = args![owner, lease_until];
    a.extend(ids.iter().map(|id| Arg::from(*id)));
    let s = format!(
        "UPDATE cachet_deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id IN ({})",
        placeholders(ids.len())
    );
    D::exec(&mut tx, D::dyn_sql(s), a).await?;
    let rows = children::<D, DeliveryRow>(&mut tx, "cachet_deliveries", "id", &ids).await?;
    let deliveries = models(rows, DeliveryRow::into_model)?;
    D::commit(tx).await.map_err(backend)?;
    Ok(deliveries)
}

pub(crate) async fn record_delivery_attempt<D: Dialect>(
    db: &D,
    id: DeliveryId,
    owner: &str,
    attempt: &NewDeliveryAttempt,
) -> StoreResult<Delivery> {
    retry_conflicts(|| async move {
        let mut tx = db.begin().await?;
        check_lease::<D>(&mut tx, "cachet_deliveries", "delivery", id.0, owner).await?;
        write_attempts::<D>(&mut tx, &[(id, attempt)]).await?;
        let delivery = get_delivery::<D>(&mut tx, id).await?;
        D::commit(tx).await.map_err(backend)?;
        Ok(delivery)
    })
    .await
}

/// Several attempts in one transaction and a handful of statements whatever their number:
/// one read of the leases `owner` holds among them (locked), one multi-row insert of the
/// attempts, one update of the delivered ones; retries and failures (rare) one by one.
pub(crate) async fn record_delivery_attempts<D: Dialect>(
    db: &D,
    owner: &str,
    attempts: &[(DeliveryId, NewDeliveryAttempt)],
) -> StoreResult<Vec<bool>> {
    if attempts.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = attempts.iter().map(|(id, _)| id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let ids = &ids;
    retry_conflicts(|| async move {
        let mut tx = db.begin().await?;
        let mut held = std::collections::HashSet::new();
        // In id order, so two instances' groups lock their rows in the same order.
        for chunk in ids.chunks(super::ROWS_PER_STATEMENT) {
            let s = format!(
                "SELECT id FROM cachet_deliveries WHERE lease_owner = ? AND id IN ({}) ORDER BY id{}",
                placeholders(chunk.len()),
                D::FOR_UPDATE
            );
            let mut a = args![owner];
            a.extend(chunk.iter().copied().map(Arg::from));
            let rows: Vec<(i64,)> = D::fetch(&mut tx, D::dyn_sql(s), a).await?;
            held.extend(rows.into_iter().map(|(id,)| id));
        }
        // Taken out of `held` once written: the same delivery twice in a group is recorded
        // once, as two single calls would (the first releases the lease).
        let recorded: Vec<bool> = attempts.iter().map(|(id, _)| held.remove(&id.0)).collect();
        let mine: Vec<(DeliveryId, &NewDeliveryAttempt)> = attempts
            .iter()
            .zip(&recorded)
            .filter(|(_, mine)| **mine)
            .map(|((id, attempt), _)| (*id, attempt))
            .collect();
        for chunk in mine.chunks(super::ROWS_PER_STATEMENT) {
            write_attempts::<D>(&mut tx, chunk).await?;
        }
        D::commit(tx).await.map_err(backend)?;
        Ok(recorded)
    })
    .await
}

/// Runs a write transaction again when the database aborted it for a conflict with another
/// one (a deadlock with another instance's retention pass, which MariaDB resolves by killing
/// one of the two). An attempt's record must not be lost to that: the mail has gone out, and
/// an unrecorded attempt is sent again when its lease runs out.
async fn retry_conflicts<T, F, Fut>(mut transaction: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<T>>,
{
    let mut retries = 0u32;
    loop {
        match transaction().await {
            Err(e) if retries < 4 && crate::error::is_transaction_conflict(&e) => {
                retries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10 << retries)).await;
            }
            other => return other,
        }
    }
}

/// Inserts attempts on deliveries whose leases the transaction has checked (at most
/// [`ROWS_PER_STATEMENT`](super::ROWS_PER_STATEMENT)), and moves each delivery on (delivered,
/// pending again, or failed), releasing its lease.
async fn write_attempts<D: Dialect>(
    tx: &mut D::Conn,
    attempts: &[(DeliveryId, &NewDeliveryAttempt)],
) -> StoreResult<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let mut a = Vec::with_capacity(attempts.len() * 4);
    for (id, attempt) in attempts {
        let error = attempt.result.error();
        a.extend(args![id.0, attempt.at, error.is_none(), error]);
    }
    let s = format!(
        "INSERT INTO cachet_delivery_attempts (delivery_id, at, ok, error) VALUES {}",
        vec!["(?, ?, ?, ?)"; attempts.len()].join(", ")
    );
    D::exec(tx, D::dyn_sql(s), a).await?;
    let base = "UPDATE cachet_deliveries SET attempts = attempts + 1, lease_owner = NULL, lease_expires_at = NULL";
    // The delivered ones in one statement, each with its own time.
    let delivered: Vec<(i64, Timestamp)> = attempts
        .iter()
        .filter(|(_, attempt)| matches!(attempt.result, AttemptResult::Delivered))
        .map(|(id, attempt)| (id.0, attempt.at))
        .collect();
    if !delivered.is_empty() {
        let s = format!(
            "{base}, status = ?, delivered_at = CASE id {} END WHERE id IN ({})",
            vec!["WHEN ? THEN ?"; delivered.len()].join(" "),
            placeholders(delivered.len())
        );
        let mut a = args![DeliveryStatus::Delivered.as_str()];
        for (id, at) in &delivered {
            a.extend(args![*id, *at]);
        }
        a.extend(delivered.iter().map(|(id, _)| Arg::from(*id)));
        D::exec(tx, D::dyn_sql(s), a).await?;
    }
    for (id, attempt) in attempts {
        match &attempt.result {
            AttemptResult::Delivered => {}
            AttemptResult::Retry {
                error,
                next_attempt_at,
            } => {
                D::exec(
                    tx,
                    D::dyn_sql(format!(
                        "{base}, status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?"
                    )),
                    args![
                        DeliveryStatus::Pending.as_str(),
                        *next_attempt_at,
                        error.as_str(),
                        id.0
                    ],
                )
                .await?;
            }
            AttemptResult::Failed { error } => {
                D::exec(
                    tx,
                    D::dyn_sql(format!("{base}, status = ?, last_error = ? WHERE id = ?")),
                    args![DeliveryStatus::Failed.as_str(), error.as_str(), id.0],
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// The tables whose rows carry a dispatcher's lease, each with its pending status: leases
/// matter only while a row is pending.
fn leased_tables() -> [(&'static str, &'static str); 2] {
    [
        ("cachet_outbox_events", OutboxStatus::Pending.as_str()),
        ("cachet_deliveries", DeliveryStatus::Pending.as_str()),
    ]
}

pub(crate) async fn renew_outbox_leases<D: Dialect>(
    db: &D,
    owner: &str,
    events: &[OutboxEventId],
    deliveries: &[DeliveryId],
    lease_until: Timestamp,
) -> StoreResult<u64> {
    let mut c = db.write().await?;
    let mut n = 0;
    let ids = [
        events.iter().map(|id| id.0).collect::<Vec<_>>(),
        deliveries.iter().map(|id| id.0).collect(),
    ];
    for ((table, pending), ids) in leased_tables().into_iter().zip(ids) {
        if ids.is_empty() {
            continue;
        }
        let s = format!(
            "UPDATE {table} SET lease_expires_at = ? WHERE lease_owner = ? AND status = ? \
             AND id IN ({})",
            placeholders(ids.len())
        );
        let mut a = args![lease_until, owner, pending];
        a.extend(ids.into_iter().map(Arg::from));
        n += D::exec(&mut c, D::dyn_sql(s), a).await?;
    }
    Ok(n)
}

pub(crate) async fn release_outbox_leases<D: Dialect>(db: &D, owner: &str) -> StoreResult<u64> {
    let mut c = db.write().await?;
    let mut n = 0;
    for (table, pending) in leased_tables() {
        let s = format!(
            "UPDATE {table} SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner = ? AND status = ?"
        );
        n += D::exec(&mut c, D::dyn_sql(s), args![owner, pending]).await?;
    }
    Ok(n)
}

pub(crate) async fn release_deliveries<D: Dialect>(
    db: &D,
    owner: &str,
    ids: &[DeliveryId],
) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut c = db.write().await?;
    let mut a = args![owner, DeliveryStatus::Pending.as_str()];
    a.extend(ids.iter().map(|id| Arg::from(id.0)));
    let s = format!(
        "UPDATE cachet_deliveries SET lease_owner = NULL, lease_expires_at = NULL \
         WHERE lease_owner = ? AND status = ? AND id IN ({})",
        placeholders(ids.len())
    );
    D::exec(&mut c, D::dyn_sql(s), a).await
}

pub(crate) async fn deliveries<D: Dialect>(
    db: &D,
    q: &DeliveryQuery,
) -> StoreResult<Page<Delivery>> {
    let mut w = Where::default();
    if let Some(e) = q.filter.event_id {
        w.eq("event_id", e.0);
    }
    if let Some(s) = q.filter.status {
        w.eq("status", s.as_str());
    }
    if let Some(r) = &q.filter.recipient {
        w.eq("recipient", r.as_str());
    }
    if let Some(ch) = &q.filter.channel {
        w.eq("channel", ch.as_str());
    }
    let order = order_or(
        q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)),
        "id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, DeliveryRow>(&mut c, "cachet_deliveries", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, DeliveryRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn delivery_attempts<D: Dialect>(
    db: &D,
    id: DeliveryId,
) -> StoreResult<Vec<DeliveryAttempt>> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_deliveries WHERE id = ?",
        id.0,
    )
    .await?
    {
        return Err(not_found("delivery", id.0));
    }
    let rows = D::fetch::<AttemptRow>(
        &mut c,
        D::sql(
            "SELECT * FROM cachet_delivery_attempts WHERE delivery_id = ? ORDER BY at ASC, id ASC",
        ),
        args![id.0],
    )
    .await?;
    models(rows, AttemptRow::into_model)
}

pub(crate) async fn prune_outbox<D: Dialect>(db: &D, before: Timestamp) -> StoreResult<u64> {
    let mut tx = db.begin().await?;
    let delivered = DeliveryStatus::Delivered.as_str();
    let events = D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_outbox_events WHERE status = ? AND created_at < ? AND NOT EXISTS \
             (SELECT 1 FROM cachet_deliveries d WHERE d.event_id = cachet_outbox_events.id AND d.status = ?)"),
        args![OutboxStatus::Done.as_str(), before, DeliveryStatus::Pending.as_str()],
    )
    .await?;
    let attempts = D::exec(
        &mut tx,
        D::sql(
            "DELETE FROM cachet_delivery_attempts WHERE delivery_id IN \
             (SELECT id FROM cachet_deliveries WHERE status = ? AND delivered_at < ?)",
        ),
        args![delivered, before],
    )
    .await?;
    let deliveries = D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_deliveries WHERE status = ? AND delivered_at < ?"),
        args![delivered, before],
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(events + attempts + deliveries)
}
