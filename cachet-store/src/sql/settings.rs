//! The content revision and the settings table.

use cachet_core::model::*;
use cachet_core::store::{Effects, StoreResult, WriteContext};

use super::{apply_effects, bump};
use crate::args::args;
use crate::error::backend;
use crate::rows::*;
use crate::sql::Dialect;

// ---- housekeeping (the `Store` methods) --------------------------------------------------------

pub(crate) async fn revision<D: Dialect>(db: &D) -> StoreResult<u64> {
    let mut c = db.read().await?;
    let v = D::int(
        &mut c,
        D::sql("SELECT value FROM cachet_revision WHERE id = 1"),
        vec![],
    )
    .await?;
    Ok(u64::try_from(v).unwrap_or(0))
}

// ---- settings (the `Store` methods) ------------------------------------------------------------

pub(crate) async fn settings<D: Dialect>(db: &D) -> StoreResult<Vec<(SettingKey, String)>> {
    let mut c = db.read().await?;
    let rows = D::fetch::<SettingRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_settings ORDER BY setting_key"),
        vec![],
    )
    .await?;
    let mut all = models(rows, SettingRow::into_model)?;
    all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    Ok(all)
}

pub(crate) async fn put_settings<D: Dialect>(
    db: &D,
    cx: WriteContext,
    values: &[(SettingKey, String)],
    fx: &Effects,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    for (k, v) in values {
        D::exec(
            &mut tx,
            D::sql(D::UPSERT_SETTING),
            args![k.as_str(), v.as_str()],
        )
        .await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx.clone()).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
