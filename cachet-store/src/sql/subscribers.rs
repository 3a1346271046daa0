//! Subscribers and their subscriptions.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, Page, StoreResult, WriteContext, query::*};

use super::{apply_effects, bump, check_components, children, exists, order_or, page_of};
use crate::args::{Arg, Where, args, placeholders, sort_clause};
use crate::error::{backend, conflict, not_found, unique};
use crate::rows::*;
use crate::sql::Dialect;

async fn subscribers_from<D: Dialect>(
    c: &mut D::Conn,
    rows: Vec<SubscriberRow>,
) -> StoreResult<Vec<Subscriber>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let subs =
        children::<D, SubscriptionRow>(c, "cachet_subscriptions", "subscriber_id", &ids).await?;
    let mut components: std::collections::HashMap<i64, Vec<ComponentId>> =
        std::collections::HashMap::new();
    for s in subs {
        components
            .entry(s.subscriber_id)
            .or_default()
            .push(ComponentId(s.component_id));
    }
    rows.into_iter()
        .map(|r| {
            let of = components.remove(&r.id).unwrap_or_default();
            r.into_model(of)
        })
        .collect()
}

pub(crate) async fn subscribers_by_id<D: Dialect>(
    db: &D,
    ids: &[SubscriberId],
) -> StoreResult<Vec<Subscriber>> {
    let mut ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut c = db.read().await?;
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(super::ROWS_PER_STATEMENT) {
        let s = format!(
            "SELECT * FROM cachet_subscribers WHERE id IN ({}) ORDER BY id",
            placeholders(chunk.len())
        );
        let rows = D::fetch::<SubscriberRow>(
            &mut c,
            D::dyn_sql(s),
            chunk.iter().map(|id| Arg::from(*id)).collect(),
        )
        .await?;
        found.extend(subscribers_from::<D>(&mut c, rows).await?);
    }
    Ok(found)
}

async fn get_subscriber<D: Dialect>(c: &mut D::Conn, id: SubscriberId) -> StoreResult<Subscriber> {
    let row = D::fetch_opt::<SubscriberRow>(
        c,
        D::sql("SELECT * FROM cachet_subscribers WHERE id = ?"),
        args![id.0],
    )
    .await?;
    let row = row.ok_or_else(|| not_found("subscriber", id.0))?;
    subscribers_from::<D>(c, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found("subscriber", id.0))
}

/// Replaces a subscriber's subscriptions, keeping the rows of components that stay.
async fn sync_subscriptions<D: Dialect>(
    c: &mut D::Conn,
    id: SubscriberId,
    components: &[ComponentId],
    now: Timestamp,
) -> StoreResult<()> {
    let have: Vec<(i64,)> = D::fetch(
        c,
        D::sql("SELECT component_id FROM cachet_subscriptions WHERE subscriber_id = ?"),
        args![id.0],
    )
    .await?;
    for (cid,) in &have {
        if !components.iter().any(|w| w.0 == *cid) {
            D::exec(
                c,
                D::sql(
                    "DELETE FROM cachet_subscriptions WHERE subscriber_id = ? AND component_id = ?",
                ),
                args![id.0, *cid],
            )
            .await?;
        }
    }
    for w in components {
        if !have.iter().any(|(cid,)| *cid == w.0) {
            D::insert(
                c,
                "INSERT INTO cachet_subscriptions (subscriber_id, component_id, created_at) VALUES (?, ?, ?)",
                args![id.0, w.0, now],
            )
            .await?;
        }
    }
    Ok(())
}

// ---- subscribers (the `Store` methods) ---------------------------------------------------------

pub(crate) async fn subscriber<D: Dialect>(db: &D, id: SubscriberId) -> StoreResult<Subscriber> {
    let mut c = db.read().await?;
    get_subscriber::<D>(&mut c, id).await
}

pub(crate) async fn subscriber_by_blind_index<D: Dialect>(
    db: &D,
    index: &BlindIndex,
) -> StoreResult<Option<Subscriber>> {
    let mut c = db.read().await?;
    let row = D::fetch_opt::<SubscriberRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_subscribers WHERE blind_index = ?"),
        args![&index.0[..]],
    )
    .await?;
    match row {
        Some(row) => Ok(subscribers_from::<D>(&mut c, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

pub(crate) async fn subscribers<D: Dialect>(
    db: &D,
    q: &SubscriberQuery,
) -> StoreResult<Page<Subscriber>> {
    let f = &q.filter;
    let mut w = Where::default();
    match f.verified {
        Some(true) => w.cond("verified_at IS NOT NULL", vec![]),
        Some(false) => w.cond("verified_at IS NULL", vec![]),
        None => {}
    }
    if let Some(cid) = f.notified_about {
        w.cond(
            "(NOT EXISTS (SELECT 1 FROM cachet_subscriptions s WHERE s.subscriber_id = cachet_subscribers.id) \
             OR EXISTS (SELECT 1 FROM cachet_subscriptions s WHERE s.subscriber_id = cachet_subscribers.id AND s.component_id = ?))",
            args![cid.0],
        );
    }
    if let Some(t) = f.created_before {
        w.cond("created_at < ?", args![t]);
    }
    if let Some(a) = f.after_id {
        w.cond("id > ?", args![a.0]);
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            SubscriberSort::Id => sort_clause("id", false, d),
            SubscriberSort::CreatedAt => sort_clause("created_at", false, d),
            SubscriberSort::VerifiedAt => sort_clause("verified_at", true, d),
        }),
        "id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, SubscriberRow>(&mut c, "cachet_subscribers", &w, &order, q.page).await?;
    let items = subscribers_from::<D>(&mut c, rows).await?;
    Ok(Page {
        items,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_subscriber<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewSubscriber,
    fx: &EffectsFn<'_, Subscriber>,
) -> StoreResult<Subscriber> {
    const TAKEN: &str = "address already subscribed";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let taken = D::int(
        &mut tx,
        D::sql("SELECT COUNT(*) FROM cachet_subscribers WHERE blind_index = ?"),
        args![&new.blind_index.0[..]],
    )
    .await?;
    if taken > 0 {
        return Err(conflict("subscriber", TAKEN));
    }
    let components = normalize_ids(&new.components);
    check_components::<D>(&mut tx, &components).await?;
    let id = D::insert_id(
        &mut tx,
        "INSERT INTO cachet_subscribers (email_key_id, email_ciphertext, blind_index, channel, locale, verified_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            i64::from(new.email.key_id),
            &new.email.ciphertext[..],
            &new.blind_index.0[..],
            new.channel.as_str(),
            new.locale.as_str(),
            new.verified_at,
            cx.now,
            cx.now,
        ],
    )
    .await
    .map_err(unique("subscriber", TAKEN))?;
    let id = SubscriberId(id);
    sync_subscriptions::<D>(&mut tx, id, &components, cx.now).await?;
    let subscriber = Subscriber {
        id,
        email: new.email.clone(),
        blind_index: new.blind_index,
        channel: new.channel,
        locale: new.locale.clone(),
        verified_at: new.verified_at,
        global: components.is_empty(),
        components,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&subscriber)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(subscriber)
}

pub(crate) async fn update_subscriber<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: SubscriberId,
    patch: &SubscriberPatch,
    fx: &EffectsFn<'_, Changed<Subscriber>>,
) -> StoreResult<Subscriber> {
    const TAKEN: &str = "address already subscribed";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_subscriber::<D>(&mut tx, id).await?;
    if let Some((_, index)) = &patch.email {
        let taken = D::int(
            &mut tx,
            D::sql("SELECT COUNT(*) FROM cachet_subscribers WHERE blind_index = ? AND id <> ?"),
            args![&index.0[..], id.0],
        )
        .await?;
        if taken > 0 {
            return Err(conflict("subscriber", TAKEN));
        }
    }
    let mut after = before.clone();
    patch.apply_to(&mut after);
    if patch.components.is_some() {
        check_components::<D>(&mut tx, &after.components).await?;
    }
    after.updated_at = cx.now;
    D::execute(&mut tx, D::sql("UPDATE cachet_subscribers SET email_key_id = ?, email_ciphertext = ?, blind_index = ?, locale = ?, \
                               verified_at = ?, updated_at = ? WHERE id = ?"), args![
            i64::from(after.email.key_id),
            &after.email.ciphertext[..],
            &after.blind_index.0[..],
            after.locale.as_str(),
            after.verified_at,
            after.updated_at,
            id.0,
        ]).await.map_err(unique("subscriber", TAKEN))?;
    if patch.components.is_some() {
        sync_subscriptions::<D>(&mut tx, id, &after.components, cx.now).await?;
    }
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

pub(crate) async fn delete_subscriber<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: SubscriberId,
    fx: &EffectsFn<'_, Subscriber>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let subscriber = get_subscriber::<D>(&mut tx, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_subscriptions WHERE subscriber_id = ?"),
        args![id.0],
    )
    .await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_subscribers WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&subscriber)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn subscription<D: Dialect>(
    db: &D,
    id: SubscriptionId,
) -> StoreResult<Subscription> {
    let mut c = db.read().await?;
    D::fetch_opt::<SubscriptionRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_subscriptions WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("subscription", id.0))?
    .into_model()
}

pub(crate) async fn subscriptions_of<D: Dialect>(
    db: &D,
    subscriber: SubscriberId,
) -> StoreResult<Vec<Subscription>> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_subscribers WHERE id = ?",
        subscriber.0,
    )
    .await?
    {
        return Err(not_found("subscriber", subscriber.0));
    }
    let rows = D::fetch::<SubscriptionRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_subscriptions WHERE subscriber_id = ? ORDER BY component_id ASC, id ASC"),
        args![subscriber.0],
    )
    .await?;
    models(rows, SubscriptionRow::into_model)
}

pub(crate) async fn delete_subscription<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: SubscriptionId,
    fx: &EffectsFn<'_, Subscription>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let subscription = D::fetch_opt::<SubscriptionRow>(
        &mut tx,
        D::sql("SELECT * FROM cachet_subscriptions WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("subscription", id.0))?
    .into_model()?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_subscriptions WHERE id = ?"),
        args![id.0],
    )
    .await?;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_subscribers SET updated_at = ? WHERE id = ?"),
        args![cx.now, subscription.subscriber_id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&subscription)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

/// [`SubscriberStore::audience`](cachet_core::store::SubscriberStore::audience) in one query
/// per page: ids and channels only, walking the primary key from `after`, with no count and
/// no subscription rows read into memory (each candidate's subscriptions are probed through
/// the `(subscriber_id, component_id)` index).
pub(crate) async fn audience<D: Dialect>(
    db: &D,
    components: &[ComponentId],
    after: Option<SubscriberId>,
    limit: u32,
) -> StoreResult<Vec<(SubscriberId, SubscriberChannel)>> {
    let mut a = args![after.map_or(0, |s| s.0)];
    let subscribed = if components.is_empty() {
        String::new()
    } else {
        a.extend(components.iter().map(|c| Arg::from(c.0)));
        format!(
            " OR EXISTS (SELECT 1 FROM cachet_subscriptions s WHERE s.subscriber_id = cachet_subscribers.id \
             AND s.component_id IN ({}))",
            crate::args::placeholders(components.len())
        )
    };
    a.push(Arg::from(i64::from(limit)));
    let s = format!(
        "SELECT id, channel FROM cachet_subscribers WHERE verified_at IS NOT NULL AND id > ? \
         AND (NOT EXISTS (SELECT 1 FROM cachet_subscriptions s WHERE s.subscriber_id = cachet_subscribers.id){subscribed}) \
         ORDER BY id LIMIT ?"
    );
    let mut c = db.read().await?;
    let rows = D::fetch::<(i64, String)>(&mut c, D::dyn_sql(s), a).await?;
    rows.into_iter()
        .map(|(id, channel)| {
            Ok((
                SubscriberId(id),
                check("subscriber", "channel", SubscriberChannel::parse(&channel))?,
            ))
        })
        .collect()
}
