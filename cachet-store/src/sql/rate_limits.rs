//! Shared rate limits: one counter row per key, counted by one upsert
//! ([`Dialect::UPSERT_RATE_LIMIT`]).
//!
//! On PostgreSQL and SQLite the upsert returns the counts itself (`RETURNING`), so a hit is
//! one statement and one round trip. MySQL has no `RETURNING`: there the upsert and the read
//! of the row run in one transaction, under the row lock the upsert took, so no other hit
//! can come between them.

use cachet_core::model::*;
use cachet_core::store::{RateLimitKey, RateLimitWindow, StoreResult, WindowCounts};

use crate::args::args;
use crate::error::backend;
use crate::sql::Dialect;

pub(crate) async fn hit_rate_limit<D: Dialect>(
    db: &D,
    key: &RateLimitKey,
    window: RateLimitWindow,
    limit: u32,
) -> StoreResult<WindowCounts> {
    let a = args![
        key.as_str(),
        window.start,
        window.previous_start(),
        i64::from(limit) + 1
    ];
    let row = if D::UPSERT_RATE_LIMIT_RETURNS {
        let mut c = db.write().await?;
        D::fetch_opt::<(i64, i64)>(&mut c, D::sql(D::UPSERT_RATE_LIMIT), a).await?
    } else {
        let mut tx = db.begin().await?;
        D::exec(&mut tx, D::sql(D::UPSERT_RATE_LIMIT), a).await?;
        let row = D::fetch_opt::<(i64, i64)>(
            &mut tx,
            D::sql("SELECT hits, prev_hits FROM cachet_rate_limits WHERE limit_key = ?"),
            args![key.as_str()],
        )
        .await?;
        D::commit(tx).await.map_err(backend)?;
        row
    };
    let (hits, prev) = row.unwrap_or((1, 0));
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    Ok(WindowCounts {
        current: count(hits),
        previous: count(prev),
    })
}

pub(crate) async fn prune_rate_limits<D: Dialect>(db: &D, before: Timestamp) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_rate_limits WHERE window_start < ?"),
        args![before],
    )
    .await
}
