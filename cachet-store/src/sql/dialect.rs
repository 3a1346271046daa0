//! The [`Dialect`] trait the generic statement code runs on, and the [`Record`] bound for the
//! rows it decodes.

use std::ops::DerefMut;

use cachet_core::clock::Timestamp;
use cachet_core::model::{DeliveryStatus, NewDelivery};
use cachet_core::store::StoreResult;
use cachet_core::store::backup::{Column, ColumnType, Table, Value};
use sqlx::SqlStr;

use crate::args::{Arg, args};
use crate::error::backend;

/// What the generic statement code in [`crate::sql`] needs from a backend: its connection
/// types, its SQL variations, and a handful of statement runners. Implemented by each store
/// type ([`SqliteStore`](crate::SqliteStore), [`PgStore`](crate::PgStore),
/// [`MySqlStore`](crate::MySqlStore)), since the store owns both the dialect and the pools.
///
/// Everything that names a concrete sqlx type (the database, its connection and row, the
/// binding of [`Arg`]s) lives in the implementations, so the generic code carries no sqlx
/// bounds at all: it sees connections only as [`Dialect::Conn`] and decodes rows only as
/// [`Record`]s. The futures are declared `Send` because the [`Store`] methods that await them
/// must be.
///
/// The runners are per backend rather than written once over a generic `sqlx::Database`
/// because the bounds such code needs (`i64: Encode<'q, DB> + Type<DB>` for every [`Arg`]
/// variant, `R: FromRow<'r, DB::Row>` for every row type, `&mut DB::Connection: Executor`) are
/// not implied by a trait's where clauses, so every generic function would have to repeat
/// them, and the `Send` proofs of generic sqlx futures through those higher-ranked bounds are
/// brittle. Each backend's runners are a few concrete lines instead; the only bound left,
/// which rows decode, is [`Record`], stated once.
///
/// [`Store`]: cachet_core::store::Store
pub(crate) trait Dialect: Send + Sync + 'static {
    /// The connection every statement runs on.
    type Conn: Send;
    /// A connection borrowed from a pool, for reads and for single-statement writes.
    type Lease: DerefMut<Target = Self::Conn> + Send;
    /// An open transaction; dropped without [`Dialect::commit`], it rolls back.
    type Tx: DerefMut<Target = Self::Conn> + Send;

    /// Appended to a `SELECT` that must lock the rows it reads until the transaction ends
    /// (empty on SQLite, whose single writer already serializes).
    const FOR_UPDATE: &'static str;
    /// Appended to a claim's `SELECT`, so concurrent dispatchers skip each other's rows
    /// (empty on SQLite).
    const SKIP_LOCKED: &'static str;
    /// Inserts or replaces a setting: `(setting_key, value)`.
    const UPSERT_SETTING: &'static str;
    /// Inserts or replaces a throttle: `(throttle_key, failures, last_failure_at,
    /// locked_until)`.
    const UPSERT_THROTTLE: &'static str;
    /// Inserts an idempotency key unless it exists (then affecting no row):
    /// `(idempotency_key, fingerprint, created_at, lease_until)`.
    const INSERT_IDEMPOTENCY_KEY: &'static str;
    /// Counts one hit of a shared rate limit in one statement:
    /// `(limit_key, window_start, previous window's start, limit + 1)`. The row keeps the
    /// current window's hits (up to `limit + 1`) and the previous window's: a hit in the
    /// window after the stored one moves `hits` to `prev_hits`, a hit after a gap starts
    /// over, a hit stamped with an older window counts in the stored one.
    const UPSERT_RATE_LIMIT: &'static str;
    /// Whether [`Dialect::UPSERT_RATE_LIMIT`] returns `(hits, prev_hits)` itself
    /// (`RETURNING`); if not (MySQL), they are read back in the upsert's transaction, under
    /// the row lock it took.
    const UPSERT_RATE_LIMIT_RETURNS: bool;
    /// After a restore put rows with their own ids into a table, moves the table's id
    /// sequence past the highest one; `{table}` stands for the table. `None` where inserting
    /// an explicit id already does (SQLite's `AUTOINCREMENT`, MySQL's `AUTO_INCREMENT`).
    const RESEED_ID_SEQUENCE: Option<&'static str>;

    /// A static statement written with `?` placeholders, in this dialect's placeholders.
    fn sql(s: &'static str) -> SqlStr;
    /// A statement built at run time from fixed fragments and `?` placeholders, in this
    /// dialect's placeholders.
    fn dyn_sql(s: String) -> SqlStr;

    /// A connection for reads.
    fn read(&self) -> impl Future<Output = StoreResult<Self::Lease>> + Send;
    /// A connection for a write outside a transaction.
    fn write(&self) -> impl Future<Output = StoreResult<Self::Lease>> + Send;
    /// Starts a transaction on a write connection.
    fn begin(&self) -> impl Future<Output = StoreResult<Self::Tx>> + Send;
    /// How many rows [`Dialect::insert_rows`] takes at most in one call.
    const LOAD_BATCH_ROWS: usize;

    /// Inserts rows that fit `table` (checked by the caller) into `cachet_{name}`, in one
    /// statement: a multi-row `VALUES` list by default.
    fn insert_rows(
        c: &mut Self::Conn,
        table: &'static Table,
        rows: &[Vec<Value>],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        async move {
            let (s, args) = crate::sql::backup::values_insert(table, rows)?;
            Self::exec(c, Self::dyn_sql(s), args).await.map(|_| ())
        }
    }
    /// Ends a multi-row `INSERT INTO cachet_deliveries`, so that a row whose idempotency key
    /// is already stored is skipped rather than refused (the fan-out of an event is
    /// idempotent per recipient).
    const SKIP_KNOWN_DELIVERY: &'static str;

    /// Inserts the pending deliveries of one event, created at `now`, in as few statements as
    /// the backend's bind limit allows, skipping any whose idempotency key is already stored:
    /// one fan-out to a million subscribers is a few hundred statements, not two million
    /// round trips. A multi-row `VALUES` list by default.
    fn insert_deliveries(
        c: &mut Self::Conn,
        event: i64,
        now: Timestamp,
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        async move {
            for chunk in deliveries.chunks(crate::sql::ROWS_PER_STATEMENT) {
                let mut a = Vec::with_capacity(chunk.len() * 7);
                for d in chunk {
                    a.extend(args![
                        event,
                        d.recipient.as_str(),
                        d.channel.as_str(),
                        d.idempotency_key.as_str(),
                        DeliveryStatus::Pending.as_str(),
                        now,
                        now,
                    ]);
                }
                let s = format!(
                    "INSERT INTO cachet_deliveries (event_id, recipient, channel, idempotency_key, status, attempts, \
                     next_attempt_at, created_at) VALUES {}{}",
                    vec!["(?, ?, ?, ?, ?, 0, ?, ?)"; chunk.len()].join(", "),
                    Self::SKIP_KNOWN_DELIVERY
                );
                Self::exec(c, Self::dyn_sql(s), a).await?;
            }
            Ok(())
        }
    }

    /// Starts a read-only transaction that sees one snapshot of the whole database (for a
    /// dump), on a read connection.
    fn snapshot(&self) -> impl Future<Output = StoreResult<Self::Tx>> + Send;
    /// Commits a transaction.
    fn commit(tx: Self::Tx) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Rolls a transaction back now, rather than when the pool next touches the connection.
    fn rollback(tx: Self::Tx) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Runs a statement; the number of rows it affected.
    fn execute(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
    /// All rows of a query.
    fn fetch_all<R: Record>(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send;
    /// The first row of a query, if any.
    fn fetch_optional<R: Record>(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send;
    /// All rows of a query, each column decoded as the matching entry of `columns` says.
    fn fetch_values(
        c: &mut Self::Conn,
        s: SqlStr,
        columns: &'static [Column],
    ) -> impl Future<Output = Result<Vec<Vec<Value>>, sqlx::Error>> + Send;
    /// The one integer a query returns (a count, a code, a revision).
    fn fetch_int(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;
    /// Runs an `INSERT` into a table with an `id` key; the new row's id (`RETURNING id` or
    /// the driver's last insert id).
    fn insert_id(
        c: &mut Self::Conn,
        s: &'static str,
        a: Vec<Arg>,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    /// [`Dialect::execute`], with driver errors mapped by [`backend`].
    fn exec(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = StoreResult<u64>> + Send {
        async move { Self::execute(c, s, a).await.map_err(backend) }
    }

    /// [`Dialect::fetch_all`], with driver errors mapped by [`backend`].
    fn fetch<R: Record>(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = StoreResult<Vec<R>>> + Send {
        async move { Self::fetch_all(c, s, a).await.map_err(backend) }
    }

    /// [`Dialect::fetch_optional`], with driver errors mapped by [`backend`].
    fn fetch_opt<R: Record>(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = StoreResult<Option<R>>> + Send {
        async move { Self::fetch_optional(c, s, a).await.map_err(backend) }
    }

    /// [`Dialect::fetch_int`], with driver errors mapped by [`backend`].
    fn int(
        c: &mut Self::Conn,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> impl Future<Output = StoreResult<i64>> + Send {
        async move { Self::fetch_int(c, s, a).await.map_err(backend) }
    }

    /// [`Dialect::insert_id`], with driver errors mapped by [`backend`].
    fn insert(
        c: &mut Self::Conn,
        s: &'static str,
        a: Vec<Arg>,
    ) -> impl Future<Output = StoreResult<i64>> + Send {
        async move { Self::insert_id(c, s, a).await.map_err(backend) }
    }
}

/// A row type every enabled backend decodes: the `FromRow` bounds, stated once here instead
/// of at every generic function. Each backend's runners rely on their own part of it; a
/// disabled backend's part is empty. Blanket-implemented, so the derived row types in
/// [`crate::rows`] and tuples of column types are records as they are.
pub(crate) trait Record: SqliteRecord + PgRecord + MySqlRecord + Send + Unpin {}

impl<T: SqliteRecord + PgRecord + MySqlRecord + Send + Unpin> Record for T {}

/// Decodes from a SQLite row.
#[cfg(feature = "sqlite")]
pub(crate) trait SqliteRecord: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> {}
#[cfg(feature = "sqlite")]
impl<T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>> SqliteRecord for T {}
/// Nothing, without the `sqlite` feature.
#[cfg(not(feature = "sqlite"))]
pub(crate) trait SqliteRecord {}
#[cfg(not(feature = "sqlite"))]
impl<T> SqliteRecord for T {}

/// Decodes from a PostgreSQL row.
#[cfg(feature = "postgres")]
pub(crate) trait PgRecord: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> {}
#[cfg(feature = "postgres")]
impl<T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>> PgRecord for T {}
/// Nothing, without the `postgres` feature.
#[cfg(not(feature = "postgres"))]
pub(crate) trait PgRecord {}
#[cfg(not(feature = "postgres"))]
impl<T> PgRecord for T {}

/// Decodes from a MySQL row.
#[cfg(feature = "mysql")]
pub(crate) trait MySqlRecord: for<'r> sqlx::FromRow<'r, sqlx::mysql::MySqlRow> {}
#[cfg(feature = "mysql")]
impl<T: for<'r> sqlx::FromRow<'r, sqlx::mysql::MySqlRow>> MySqlRecord for T {}
/// Nothing, without the `mysql` feature.
#[cfg(not(feature = "mysql"))]
pub(crate) trait MySqlRecord {}
#[cfg(not(feature = "mysql"))]
impl<T> MySqlRecord for T {}

/// Decodes one row's columns as `columns` says: the body of every backend's
/// [`Dialect::fetch_values`].
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) fn row_values<R>(row: &R, columns: &[Column]) -> Result<Vec<Value>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let v = match c.ty {
                ColumnType::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                ColumnType::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                ColumnType::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                ColumnType::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
            };
            Ok(v.unwrap_or(Value::Null))
        })
        .collect()
}
