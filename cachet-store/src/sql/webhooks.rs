//! Webhooks.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, StoreResult, WriteContext};

use super::{apply_effects, bump};
use crate::args::args;
use crate::error::{backend, not_found};
use crate::rows::*;
use crate::sql::Dialect;

async fn get_webhook<D: Dialect>(c: &mut D::Conn, id: WebhookId) -> StoreResult<Webhook> {
    D::fetch_opt::<WebhookRow>(
        c,
        D::sql("SELECT * FROM cachet_webhooks WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("webhook", id.0))?
    .into_model()
}

// ---- webhooks (the `Store` methods) ------------------------------------------------------------

pub(crate) async fn webhook<D: Dialect>(db: &D, id: WebhookId) -> StoreResult<Webhook> {
    let mut c = db.read().await?;
    get_webhook::<D>(&mut c, id).await
}

pub(crate) async fn webhooks<D: Dialect>(db: &D) -> StoreResult<Vec<Webhook>> {
    let mut c = db.read().await?;
    let rows = D::fetch::<WebhookRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_webhooks ORDER BY id"),
        vec![],
    )
    .await?;
    models(rows, WebhookRow::into_model)
}

pub(crate) async fn create_webhook<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewWebhook,
    fx: &EffectsFn<'_, Webhook>,
) -> StoreResult<Webhook> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_webhooks (name, url, secret_key_id, secret_ciphertext, enabled, events, format, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            new.name.as_str(),
            new.url.as_str(),
            i64::from(new.secret.key_id),
            &new.secret.ciphertext[..],
            new.enabled,
            new.events.to_string(),
            new.format.as_str(),
            cx.now,
            cx.now,
        ],
    )
    .await?;
    let webhook = Webhook {
        id: WebhookId(id),
        name: new.name.clone(),
        url: new.url.clone(),
        secret: new.secret.clone(),
        enabled: new.enabled,
        events: new.events,
        format: new.format,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&webhook)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(webhook)
}

pub(crate) async fn update_webhook<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: WebhookId,
    patch: &WebhookPatch,
    fx: &EffectsFn<'_, Changed<Webhook>>,
) -> StoreResult<Webhook> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_webhook::<D>(&mut tx, id).await?;
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_webhooks SET name = ?, url = ?, secret_key_id = ?, secret_ciphertext = ?, enabled = ?, events = ?, format = ?, updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            after.url.as_str(),
            i64::from(after.secret.key_id),
            &after.secret.ciphertext[..],
            after.enabled,
            after.events.to_string(),
            after.format.as_str(),
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    apply_effects::<D>(
        &mut tx,
        cx.now,
        fx(&Changed {
            before,
            after: after.clone(),
        }),
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_webhook<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: WebhookId,
    fx: &EffectsFn<'_, Webhook>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let webhook = get_webhook::<D>(&mut tx, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_webhooks WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&webhook)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
