//! Sign-in throttling state.

use cachet_core::model::*;
use cachet_core::store::StoreResult;

use crate::args::args;
use crate::rows::*;
use crate::sql::Dialect;

// ---- login throttling (the `Store` methods) ----------------------------------------------------

pub(crate) async fn throttle<D: Dialect>(db: &D, key: &str) -> StoreResult<Option<ThrottleState>> {
    let mut c = db.read().await?;
    D::fetch_opt::<ThrottleRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_throttles WHERE throttle_key = ?"),
        args![key],
    )
    .await?
    .map(ThrottleRow::into_model)
    .transpose()
}

pub(crate) async fn save_throttle<D: Dialect>(db: &D, state: &ThrottleState) -> StoreResult<()> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql(D::UPSERT_THROTTLE),
        args![
            state.key.as_str(),
            i64::from(state.failures),
            state.last_failure_at,
            state.locked_until
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn clear_throttle<D: Dialect>(db: &D, key: &str) -> StoreResult<()> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_throttles WHERE throttle_key = ?"),
        args![key],
    )
    .await?;
    Ok(())
}

pub(crate) async fn prune_throttles<D: Dialect>(db: &D, before: Timestamp) -> StoreResult<u64> {
    let mut c = db.write().await?;
    D::exec(
        &mut c,
        D::sql("DELETE FROM cachet_throttles WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)"),
        args![before, before],
    )
    .await
}
