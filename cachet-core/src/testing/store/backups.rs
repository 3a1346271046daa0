//! Whole-store backup ([`BackupStore`]): what a dump holds, and that a load refuses a store
//! that holds data. A store without backup support (both methods answer
//! [`StoreError::Unsupported`], the area's defaults) passes without further checks; the round
//! trip between two stores is proven where two stores exist (`cachet-store`'s
//! `tests/backup.rs`).

use super::*;
use crate::store::backup::{Dump, NOT_EMPTY_ENTITY, TABLES, Table, TableRows, Value};
use crate::testing::ensure;

fn table<'a>(dump: &'a Dump, name: &str) -> Result<&'a TableRows, Failure> {
    dump.tables
        .iter()
        .find(|t| t.table.name == name)
        .ok_or_else(|| Failure::new(format!("the dump has no `{name}` table")))
}

/// The row of `name` whose first column is `id`.
fn row_by_id<'a>(dump: &'a Dump, name: &str, id: i64) -> Result<&'a [Value], Failure> {
    table(dump, name)?
        .rows
        .iter()
        .find(|r| r.first() == Some(&Value::Int(id)))
        .map(Vec::as_slice)
        .ok_or_else(|| Failure::new(format!("the dump has no `{name}` row with id {id}")))
}

/// The value of column `column` in a row of table `name`.
fn cell<'a>(row: &'a [Value], name: &str, column: &str) -> Result<&'a Value, Failure> {
    let t = Table::named(name).ok_or_else(|| Failure::new(format!("no table `{name}`")))?;
    let i = t
        .columns
        .iter()
        .position(|c| c.name == column)
        .ok_or_else(|| Failure::new(format!("no column `{name}.{column}`")))?;
    row.get(i)
        .ok_or_else(|| Failure::new(format!("a `{name}` row is too short")))
}

/// A dump lists every table of [`TABLES`] in order, each row fits its columns and rows are
/// ordered by key; entities appear with their ids, sealed values as their key id and
/// ciphertext bytes (never opened); the revision is the store's. Loading a dump into a store
/// that holds data is `Conflict` with entity [`NOT_EMPTY_ENTITY`] and changes nothing.
pub async fn backup_dump_holds_every_row_as_stored(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "API", 10).await?;
    let s = subscriber(store, 3, vec![c.id], 20).await?;
    let chat = store
        .create_subscriber(
            cx(21),
            &NewSubscriber::new(sealed(4), blind(4), crate::validate::Locale::english())
                .with_channel(SubscriberChannel::Chat),
            &no_effects,
        )
        .await
        .ctx("create_subscriber (chat)")?;
    let w = store
        .create_webhook(
            cx(30),
            &NewWebhook {
                name: name("Hook")?,
                url: url("https://hooks.example.com/x")?,
                secret: Sealed {
                    key_id: 2,
                    ciphertext: vec![0, 255, 7, 9],
                },
                enabled: true,
                events: WebhookEvents::of([
                    WebhookEvent::IncidentResolved,
                    WebhookEvent::Maintenance,
                ])
                .map_err(|e| Failure::new(format!("events: {e}")))?,
                format: WebhookFormat::Slack,
            },
            &no_effects,
        )
        .await
        .ctx("create_webhook")?;
    let i = incident(store, "Outage", 40).await?;
    let dump = match store.dump().await {
        Err(StoreError::Unsupported { .. }) => {
            let load = store
                .load(&Dump {
                    revision: 0,
                    tables: Vec::new(),
                })
                .await;
            return ensure(
                matches!(load, Err(StoreError::Unsupported { .. })),
                "a store that cannot dump cannot load either",
            );
        }
        other => other.ctx("dump")?,
    };
    ensure_eq(
        dump.tables.iter().map(|t| t.table.name).collect::<Vec<_>>(),
        TABLES.iter().map(|t| t.name).collect::<Vec<_>>(),
        "the dump lists every table, in order",
    )?;
    for t in &dump.tables {
        for row in &t.rows {
            ensure(
                row.len() == t.table.columns.len()
                    && row.iter().zip(t.table.columns).all(|(v, c)| v.fits(c)),
                format!("a `{}` row fits its columns", t.table.name),
            )?;
        }
        let mut sorted = (*t).clone();
        sorted.sort_by_key();
        ensure_eq(
            &sorted.rows,
            &t.rows,
            format!("`{}` rows by key", t.table.name),
        )?;
    }
    ensure_eq(
        dump.revision,
        store.revision().await.ctx("revision")?,
        "the dump's revision is the store's",
    )?;
    let cr = row_by_id(&dump, "components", c.id.0)?;
    ensure_eq(
        cell(cr, "components", "name")?,
        &Value::Text("API".into()),
        "the component's name",
    )?;
    ensure_eq(
        cell(cr, "components", "created_at")?,
        &Value::Int(at(10).timestamp_micros()),
        "times are microseconds",
    )?;
    let sr = row_by_id(&dump, "subscribers", s.id.0)?;
    ensure_eq(
        (
            cell(sr, "subscribers", "email_key_id")?,
            cell(sr, "subscribers", "email_ciphertext")?,
            cell(sr, "subscribers", "blind_index")?,
        ),
        (
            &Value::Int(i64::from(s.email.key_id)),
            &Value::Bytes(s.email.ciphertext.clone()),
            &Value::Bytes(s.blind_index.0.to_vec()),
        ),
        "a sealed address stays sealed, with its key id",
    )?;
    ensure_eq(
        cell(sr, "subscribers", "channel")?,
        &Value::Text("email".into()),
        "a subscriber's channel",
    )?;
    ensure_eq(
        cell(
            row_by_id(&dump, "subscribers", chat.id.0)?,
            "subscribers",
            "channel",
        )?,
        &Value::Text("chat".into()),
        "a chat subscriber's channel",
    )?;
    let wr = row_by_id(&dump, "webhooks", w.id.0)?;
    ensure_eq(
        (
            cell(wr, "webhooks", "secret_key_id")?,
            cell(wr, "webhooks", "secret_ciphertext")?,
        ),
        (&Value::Int(2), &Value::Bytes(vec![0, 255, 7, 9])),
        "a sealed webhook secret stays sealed, with its key id",
    )?;
    ensure_eq(
        cell(wr, "webhooks", "events")?,
        &Value::Text("incident_resolved,maintenance".into()),
        "a webhook's chosen events",
    )?;
    ensure_eq(
        cell(wr, "webhooks", "format")?,
        &Value::Text("slack".into()),
        "a webhook's format",
    )?;
    row_by_id(&dump, "incidents", i.id.0)?;
    ensure(
        table(&dump, "subscriptions")?.rows.iter().any(|r| {
            r.get(1) == Some(&Value::Int(s.id.0)) && r.get(2) == Some(&Value::Int(c.id.0))
        }),
        "the subscription is dumped",
    )?;
    ensure(
        !table(&dump, "status_changes")?.rows.is_empty(),
        "status history is dumped",
    )?;

    let before = store.revision().await.ctx("revision")?;
    match store.load(&dump).await {
        Err(StoreError::Conflict { entity, .. }) if entity == NOT_EMPTY_ENTITY => {}
        other => {
            return Err(Failure::new(format!(
                "loading into a store that holds data must be Conflict({NOT_EMPTY_ENTITY}), got {other:?}"
            )));
        }
    }
    ensure_eq(
        store.revision().await.ctx("revision")?,
        before,
        "a refused load changes nothing",
    )?;
    ensure_eq(
        store.dump().await.ctx("dump again")?,
        dump,
        "a refused load changes nothing",
    )?;
    Ok(())
}
