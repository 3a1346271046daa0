//! The one implementation of the store's SQL, shared by the three backends.
//!
//! Every statement is written once, with `?` placeholders, in ordinary async functions
//! generic over a [`Dialect`] (implemented by each store type), which supplies the few things
//! that differ: placeholder rewriting (`$1..$n` on PostgreSQL), how an insert reports its id,
//! row locks (`FOR UPDATE`, `SKIP LOCKED`; empty on SQLite, whose single writer already
//! serializes), the two upserts, and the statement runners that bind [`Arg`]s and decode
//! [`Record`]s with the backend's concrete sqlx types. The generic code therefore needs no
//! sqlx bounds, only `D: Dialect`. Functions take the store (`db`) when they acquire their
//! own connection or transaction, and a connection (`c: &mut D::Conn`) when they run inside
//! the caller's; the latter name `D` explicitly (`get_component::<D>(&mut tx, id)`) since a
//! connection type does not determine its dialect.
//!
//! Each area module holds the [`Store`](cachet_core::store::Store) methods of one part of the
//! model, under the trait's method names, plus the loaders and child writes only it needs;
//! this module holds what several share. [`crate::store`] forwards the trait to them.
//!
//! Every content write runs in one transaction whose first statement bumps the one-row
//! `cachet_revision` table ([`bump`]). On PostgreSQL and MySQL that row lock also serializes
//! content writes, so the explicit existence and uniqueness checks inside them cannot race
//! (the unique indexes stay as a backstop and map to the same `Conflict`).

pub(crate) mod alerts;
pub(crate) mod audit;
pub(crate) mod backup;
pub(crate) mod components;
mod dialect;
pub(crate) mod idempotency;
pub(crate) mod incidents;
pub(crate) mod metrics;
pub(crate) mod outbox;
pub(crate) mod people;
pub(crate) mod rate_limits;
pub(crate) mod schedules;
pub(crate) mod settings;
pub(crate) mod subscribers;
pub(crate) mod throttles;
pub(crate) mod webhooks;

use cachet_core::model::*;
use cachet_core::store::{Effects, PageRequest, StoreResult};

use self::audit::insert_audit;
pub(crate) use self::dialect::{Dialect, Record, row_values};
use self::outbox::insert_outbox;
use crate::args::{Arg, Where, args, placeholders};
use crate::error::invalid;

/// Whether a `SELECT COUNT(*) ... WHERE id = ?` counts any row.
pub(crate) async fn exists<D: Dialect>(
    c: &mut D::Conn,
    s: &'static str,
    id: i64,
) -> StoreResult<bool> {
    Ok(D::int(c, D::sql(s), args![id]).await? > 0)
}

/// The first statement of every content write.
pub(crate) async fn bump<D: Dialect>(c: &mut D::Conn) -> StoreResult<()> {
    D::exec(
        c,
        D::sql("UPDATE cachet_revision SET value = value + 1 WHERE id = 1"),
        vec![],
    )
    .await?;
    Ok(())
}

/// One page of `table` rows matching `w`, in `order`, and the total.
pub(crate) async fn page_of<D: Dialect, R: Record>(
    c: &mut D::Conn,
    table: &'static str,
    w: &Where,
    order: &str,
    p: PageRequest,
) -> StoreResult<(Vec<R>, u64)> {
    let cond = w.sql();
    let total = D::int(
        c,
        D::dyn_sql(format!("SELECT COUNT(*) FROM {table}{cond}")),
        w.args.clone(),
    )
    .await?;
    let mut a = w.args.clone();
    a.push(Arg::from(i64::from(p.per_page())));
    a.push(Arg::from(i64::try_from(p.offset()).unwrap_or(i64::MAX)));
    let sql_text = format!("SELECT * FROM {table}{cond} ORDER BY {order} LIMIT ? OFFSET ?");
    let items = D::fetch::<R>(c, D::dyn_sql(sql_text), a).await?;
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

/// Rows of a multi-row statement, or ids of an `IN` list, bound in one statement at most: with
/// up to 7 values a row, far below every backend's bind limit (SQLite's 32,766, PostgreSQL's
/// and MySQL's 65,535).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// Child rows of a set of parents: `SELECT * FROM {table} WHERE {col} IN (...)`.
pub(crate) async fn children<D: Dialect, R: Record>(
    c: &mut D::Conn,
    table: &'static str,
    col: &'static str,
    ids: &[i64],
) -> StoreResult<Vec<R>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let s = format!(
        "SELECT * FROM {table} WHERE {col} IN ({}) ORDER BY {col}",
        placeholders(ids.len())
    );
    D::fetch::<R>(
        c,
        D::dyn_sql(s),
        ids.iter().map(|id| Arg::from(*id)).collect(),
    )
    .await
}

/// Writes a write's audit events and outbox events, inside its transaction, so they
/// commit or roll back with it.
pub(crate) async fn apply_effects<D: Dialect>(
    c: &mut D::Conn,
    now: Timestamp,
    effects: Effects,
) -> StoreResult<()> {
    for e in &effects.audit {
        insert_audit::<D>(c, e).await?;
    }
    for e in &effects.outbox {
        insert_outbox::<D>(c, now, e).await?;
    }
    Ok(())
}

/// `Invalid` when a referenced user does not exist.
pub(crate) async fn check_user<D: Dialect>(
    c: &mut D::Conn,
    user: Option<UserId>,
) -> StoreResult<()> {
    match user {
        Some(u)
            if !exists::<D>(c, "SELECT COUNT(*) FROM cachet_users WHERE id = ?", u.0).await? =>
        {
            Err(invalid("unknown user"))
        }
        _ => Ok(()),
    }
}

/// `Invalid` when any referenced component does not exist.
pub(crate) async fn check_components<D: Dialect>(
    c: &mut D::Conn,
    ids: &[ComponentId],
) -> StoreResult<()> {
    for id in ids {
        if !exists::<D>(
            c,
            "SELECT COUNT(*) FROM cachet_components WHERE id = ?",
            id.0,
        )
        .await?
        {
            return Err(invalid("unknown component"));
        }
    }
    Ok(())
}

/// The requested `ORDER BY` list, or the listing's natural order.
pub(crate) fn order_or(sort: Option<String>, natural: &'static str) -> String {
    sort.unwrap_or_else(|| natural.to_owned())
}
