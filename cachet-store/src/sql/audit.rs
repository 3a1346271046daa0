//! The audit log.

use cachet_core::model::*;
use cachet_core::store::{Page, StoreResult, query::*};

use super::{order_or, page_of};
use crate::args::{Where, args, sort_clause};
use crate::rows::*;
use crate::sql::Dialect;

pub(crate) async fn insert_audit<D: Dialect>(
    c: &mut D::Conn,
    e: &NewAuditEvent,
) -> StoreResult<i64> {
    D::insert(
        c,
        "INSERT INTO cachet_audit_events (at, actor_user_id, actor_token_id, actor, action, entity, entity_id, ip, outcome, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            e.at,
            e.actor_user_id.map(|u| u.0),
            e.actor_token_id.map(|t| t.0),
            e.actor.as_str(),
            e.action.as_str(),
            e.entity.as_str(),
            e.entity_id,
            e.ip.as_deref(),
            e.outcome.as_str(),
            e.detail.as_str(),
        ],
    )
    .await
}

// ---- audit (the `Store` methods) ---------------------------------------------------------------

pub(crate) async fn append_audit<D: Dialect>(
    db: &D,
    event: &NewAuditEvent,
) -> StoreResult<AuditEvent> {
    let mut c = db.write().await?;
    let id = insert_audit::<D>(&mut c, event).await?;
    Ok(AuditEvent {
        id: AuditEventId(id),
        at: event.at,
        actor_user_id: event.actor_user_id,
        actor_token_id: event.actor_token_id,
        actor: event.actor.clone(),
        action: event.action,
        entity: event.entity,
        entity_id: event.entity_id,
        ip: event.ip.clone(),
        outcome: event.outcome,
        detail: event.detail.clone(),
    })
}

pub(crate) async fn prune_audit<D: Dialect>(db: &D, before: Timestamp) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_audit_events WHERE at < ?"),
        args![before],
    )
    .await
}

pub(crate) async fn audit_events<D: Dialect>(
    db: &D,
    q: &AuditQuery,
) -> StoreResult<Page<AuditEvent>> {
    let f = &q.filter;
    let mut w = Where::default();
    if let Some(v) = f.actor_user_id {
        w.eq("actor_user_id", v.0);
    }
    if let Some(v) = f.action {
        w.eq("action", v.as_str());
    }
    if let Some(v) = f.entity {
        w.eq("entity", v.as_str());
    }
    if let Some(v) = f.entity_id {
        w.eq("entity_id", v);
    }
    if let Some(v) = f.outcome {
        w.eq("outcome", v.as_str());
    }
    if let Some(t) = f.since {
        w.cond("at >= ?", args![t]);
    }
    if let Some(t) = f.until {
        w.cond("at < ?", args![t]);
    }
    let order = order_or(
        q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)),
        "id DESC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, AuditRow>(&mut c, "cachet_audit_events", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, AuditRow::into_model)?,
        total,
        request: q.page,
    })
}
