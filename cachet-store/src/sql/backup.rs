//! Whole-store dump and load ([`BackupStore`](cachet_core::store::BackupStore)), over the
//! backend-neutral table list of [`cachet_core::store::backup`].

use cachet_core::store::backup::{
    ColumnType, Dump, NOT_EMPTY_ENTITY, TABLES, Table, TableRows, Value,
};
use cachet_core::store::{StoreError, StoreResult};

use crate::args::{Arg, placeholders};
use crate::error::backend;
use crate::sql::Dialect;

/// The most bind values one `VALUES` insert carries (SQLite allows 32766).
const MAX_BATCH_VALUES: usize = 30_000;

pub(crate) fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) async fn dump<D: Dialect>(db: &D) -> StoreResult<Dump> {
    let mut tx = db.snapshot().await?;
    let revision = D::int(
        &mut tx,
        D::sql("SELECT value FROM cachet_revision WHERE id = 1"),
        vec![],
    )
    .await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let key = table.columns[..table.key_len]
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ");
        let s = format!(
            "SELECT {} FROM cachet_{} ORDER BY {key}",
            column_list(table),
            table.name
        );
        let rows = D::fetch_values(&mut tx, D::dyn_sql(s), table.columns)
            .await
            .map_err(backend)?;
        tables.push(TableRows { table, rows });
    }
    D::rollback(tx).await.map_err(backend)?;
    Ok(Dump {
        revision: u64::try_from(revision).unwrap_or(0),
        tables,
    })
}

/// A value as a bind argument of its column's type.
fn arg(v: &Value, ty: ColumnType) -> StoreResult<Arg> {
    Ok(match (v, ty) {
        (Value::Int(i), ColumnType::Int) => Arg::Int(Some(*i)),
        (Value::Null, ColumnType::Int) => Arg::Int(None),
        (Value::Bool(b), ColumnType::Bool) => Arg::Bool(*b),
        (Value::Text(s), ColumnType::Text) => Arg::Text(Some(s.clone())),
        (Value::Null, ColumnType::Text) => Arg::Text(None),
        (Value::Bytes(b), ColumnType::Bytes) => Arg::Blob(Some(b.clone())),
        (Value::Null, ColumnType::Bytes) => Arg::Blob(None),
        _ => {
            return Err(StoreError::Invalid {
                detail: "a restored value does not fit its column",
            });
        }
    })
}

/// `INSERT INTO cachet_{name} (...) VALUES (...), (...)` for rows that fit `table`, with
/// their bind values.
pub(crate) fn values_insert(table: &Table, rows: &[Vec<Value>]) -> StoreResult<(String, Vec<Arg>)> {
    let width = table.columns.len();
    let row_marks = format!("({})", placeholders(width));
    let mut args = Vec::with_capacity(rows.len() * width);
    for row in rows {
        for (v, c) in row.iter().zip(table.columns) {
            args.push(arg(v, c.ty)?);
        }
    }
    let s = format!(
        "INSERT INTO cachet_{} ({}) VALUES {}",
        table.name,
        column_list(table),
        vec![row_marks.as_str(); rows.len()].join(", ")
    );
    Ok((s, args))
}

pub(crate) async fn load<D: Dialect>(db: &D, dump: &Dump) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    for table in TABLES {
        let n = D::int(
            &mut tx,
            D::dyn_sql(format!("SELECT COUNT(*) FROM cachet_{}", table.name)),
            vec![],
        )
        .await?;
        if n > 0 {
            return Err(StoreError::Conflict {
                entity: NOT_EMPTY_ENTITY,
                detail: "the database already holds data",
            });
        }
    }
    for t in &dump.tables {
        let table = t.table;
        let width = table.columns.len();
        for row in &t.rows {
            if row.len() != width || !row.iter().zip(table.columns).all(|(v, c)| v.fits(c)) {
                return Err(StoreError::Invalid {
                    detail: "a restored row does not fit its table",
                });
            }
        }
        let per_batch = (MAX_BATCH_VALUES / width).clamp(1, D::LOAD_BATCH_ROWS);
        for chunk in t.rows.chunks(per_batch) {
            D::insert_rows(&mut tx, table, chunk).await?;
        }
        if table.id_sequence
            && !t.rows.is_empty()
            && let Some(reseed) = D::RESEED_ID_SEQUENCE
        {
            let s = reseed.replace("{table}", &format!("cachet_{}", table.name));
            D::int(&mut tx, D::dyn_sql(s), vec![]).await?;
        }
    }
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_revision SET value = ? WHERE id = 1"),
        vec![Arg::Int(Some(
            i64::try_from(dump.revision).unwrap_or(i64::MAX),
        ))],
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
