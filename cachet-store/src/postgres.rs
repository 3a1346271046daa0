//! The PostgreSQL backend (feature `postgres`).

use std::str::FromStr;

use cachet_core::clock::Timestamp;
use cachet_core::model::{DeliveryStatus, NewDelivery};
use cachet_core::store::StoreResult;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, SqlStr, Transaction};

use crate::args::{Arg, args, bind_args, numbered_placeholders};
use crate::dialect::{MIGRATIONS_TABLE, StatementCache, trusted};
use crate::error::{backend, connect, setup};
use crate::pool::PoolConfig;
use crate::sql::{Dialect, Record, row_values};
use cachet_core::store::backup::{Column, ColumnType, Table, Value};

/// A [`Store`](cachet_core::store::Store) on PostgreSQL. Cheap to clone.
///
/// Tables live in the connection's `search_path` (usually `public`); give cachet its own
/// schema with `options=-c search_path=cachet` in the URL or [`PgStore::connect_with`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://user:password@host/database` and migrates.
    ///
    /// # Errors
    ///
    /// [`cachet_core::store::StoreError::Unavailable`] when the URL is invalid, the server
    /// cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_pooled(url, &PoolConfig::default()).await
    }

    /// [`PgStore::connect`] with explicit pool settings.
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`].
    pub async fn connect_pooled(url: &str, pool: &PoolConfig) -> StoreResult<Self> {
        crate::tls::check_files(url).map_err(setup)?;
        Self::connect_with_pool(PgConnectOptions::from_str(url).map_err(setup)?, pool).await
    }

    /// Connects with explicit options (schema, TLS, application name) and migrates.
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`].
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<Self> {
        Self::connect_with_pool(options, &PoolConfig::default()).await
    }

    /// [`PgStore::connect_with`] with explicit pool settings.
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`].
    pub async fn connect_with_pool(
        options: PgConnectOptions,
        pool: &PoolConfig,
    ) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(connect)?;
        Self::from_pool(pool).await
    }

    /// The pool's use now (for the operators' metrics).
    pub(crate) fn pool_figures(&self) -> cachet_core::store::PoolStats {
        cachet_core::store::PoolStats::new(
            self.pool.size(),
            u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            self.pool.options().get_max_connections(),
        )
    }

    /// Uses an existing pool (shared with the host application) and migrates.
    ///
    /// # Errors
    ///
    /// [`cachet_core::store::StoreError::Unavailable`] when a migration fails.
    pub async fn from_pool(pool: PgPool) -> StoreResult<Self> {
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations (done on connect), recorded in `_cachet_migrations`.
    ///
    /// # Errors
    ///
    /// [`cachet_core::store::StoreError::Unavailable`] when a migration fails.
    pub async fn migrate(&self) -> StoreResult<()> {
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.run(&self.pool).await.map_err(setup)
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

static STATEMENTS: StatementCache = StatementCache::new();

/// The SQL variations and statement runners the generic code in [`crate::sql`] runs on.
impl Dialect for PgStore {
    type Conn = PgConnection;
    type Lease = PoolConnection<Postgres>;
    type Tx = Transaction<'static, Postgres>;

    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const UPSERT_SETTING: &'static str = "INSERT INTO cachet_settings (setting_key, value) VALUES (?, ?) ON CONFLICT (setting_key) DO UPDATE SET value = excluded.value";
    const UPSERT_THROTTLE: &'static str = "INSERT INTO cachet_throttles (throttle_key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?) \
        ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, \
        locked_until = excluded.locked_until";
    const INSERT_IDEMPOTENCY_KEY: &'static str = "INSERT INTO cachet_idempotency_keys (idempotency_key, fingerprint, created_at, lease_until) VALUES (?, ?, ?, ?) \
        ON CONFLICT (idempotency_key) DO NOTHING";
    const UPSERT_RATE_LIMIT: &'static str = "INSERT INTO cachet_rate_limits (limit_key, window_start, hits, prev_hits) VALUES (?, ?, 1, 0) \
        ON CONFLICT (limit_key) DO UPDATE SET \
        prev_hits = CASE WHEN cachet_rate_limits.window_start >= excluded.window_start THEN cachet_rate_limits.prev_hits \
        WHEN cachet_rate_limits.window_start = ? THEN cachet_rate_limits.hits ELSE 0 END, \
        hits = CASE WHEN cachet_rate_limits.window_start < excluded.window_start THEN 1 \
        WHEN cachet_rate_limits.hits < ? THEN cachet_rate_limits.hits + 1 ELSE cachet_rate_limits.hits END, \
        window_start = CASE WHEN cachet_rate_limits.window_start >= excluded.window_start THEN cachet_rate_limits.window_start \
        ELSE excluded.window_start END \
        RETURNING hits, prev_hits";
    const UPSERT_RATE_LIMIT_RETURNS: bool = true;
    const LOAD_BATCH_ROWS: usize = 5000;
    const SKIP_KNOWN_DELIVERY: &'static str = " ON CONFLICT (idempotency_key) DO NOTHING";
    const RESEED_ID_SEQUENCE: Option<&'static str> = Some(
        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))",
    );

    fn sql(s: &'static str) -> SqlStr {
        STATEMENTS.get(s, 0, numbered_placeholders)
    }

    fn dyn_sql(s: String) -> SqlStr {
        trusted(numbered_placeholders(&s))
    }

    async fn read(&self) -> StoreResult<PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(backend)
    }

    async fn write(&self) -> StoreResult<PoolConnection<Postgres>> {
        self.read().await
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(backend)
    }

    async fn snapshot(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(backend)
    }

    async fn commit(tx: Transaction<'static, Postgres>) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    async fn rollback(tx: Transaction<'static, Postgres>) -> Result<(), sqlx::Error> {
        tx.rollback().await
    }

    async fn execute(c: &mut PgConnection, s: SqlStr, a: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_args!(sqlx::query::<Postgres>(s), a);
        Ok(q.execute(c).await?.rows_affected())
    }

    async fn fetch_all<R: Record>(
        c: &mut PgConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<Vec<R>, sqlx::Error> {
        bind_args!(sqlx::query_as::<Postgres, R>(s), a)
            .fetch_all(c)
            .await
    }

    async fn fetch_optional<R: Record>(
        c: &mut PgConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<Option<R>, sqlx::Error> {
        bind_args!(sqlx::query_as::<Postgres, R>(s), a)
            .fetch_optional(c)
            .await
    }

    /// Three arrays (`UNNEST`) and three scalars a statement, however many rows it holds:
    /// fewer, larger statements than a `VALUES` list allows.
    async fn insert_deliveries(
        c: &mut PgConnection,
        event: i64,
        now: Timestamp,
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        for chunk in deliveries.chunks(10_000) {
            let column = |f: fn(&NewDelivery) -> &str| chunk.iter().map(f).collect::<Vec<&str>>();
            // The scalars bound as every other statement binds them (one timestamp encoding).
            let scalars = args![event, DeliveryStatus::Pending.as_str(), now];
            let q = sqlx::query::<Postgres>(trusted(format!(
                "INSERT INTO cachet_deliveries (event_id, recipient, channel, idempotency_key, status, attempts, \
                 next_attempt_at, created_at) SELECT $1, r, ch, k, $2, 0, $3, $3 \
                 FROM UNNEST($4::text[], $5::text[], $6::text[]) AS u(r, ch, k){}",
                Self::SKIP_KNOWN_DELIVERY
            )));
            bind_args!(q, scalars)
                .bind(column(|d| d.recipient.as_str()))
                .bind(column(|d| d.channel.as_str()))
                .bind(column(|d| d.idempotency_key.as_str()))
                .execute(&mut *c)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// One array per column (`UNNEST`), so a batch is a dozen bind values however many rows
    /// it holds: several times faster than a `VALUES` list on PostgreSQL.
    async fn insert_rows(
        c: &mut PgConnection,
        table: &'static Table,
        rows: &[Vec<Value>],
    ) -> StoreResult<()> {
        let arrays = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let ty = match col.ty {
                    ColumnType::Int => "bigint",
                    ColumnType::Bool => "boolean",
                    ColumnType::Text => "text",
                    ColumnType::Bytes => "bytea",
                };
                format!("${}::{ty}[]", i + 1)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let s = format!(
            "INSERT INTO cachet_{} ({}) SELECT * FROM UNNEST({arrays})",
            table.name,
            crate::sql::backup::column_list(table)
        );
        let mut q = sqlx::query::<Postgres>(trusted(s));
        for (i, col) in table.columns.iter().enumerate() {
            let cells = rows.iter().map(move |r| r.get(i));
            q = match col.ty {
                ColumnType::Int => q.bind(
                    cells
                        .map(|v| match v {
                            Some(Value::Int(n)) => Some(*n),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                ),
                ColumnType::Bool => q.bind(
                    cells
                        .map(|v| match v {
                            Some(Value::Bool(b)) => Some(*b),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                ),
                ColumnType::Text => q.bind(
                    cells
                        .map(|v| match v {
                            Some(Value::Text(t)) => Some(t.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                ),
                ColumnType::Bytes => q.bind(
                    cells
                        .map(|v| match v {
                            Some(Value::Bytes(b)) => Some(b.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                ),
            };
        }
        q.execute(c).await.map_err(backend)?;
        Ok(())
    }

    async fn fetch_values(
        c: &mut PgConnection,
        s: SqlStr,
        columns: &'static [Column],
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        let rows = sqlx::query::<Postgres>(s).fetch_all(c).await?;
        rows.iter().map(|r| row_values(r, columns)).collect()
    }

    async fn fetch_int(c: &mut PgConnection, s: SqlStr, a: Vec<Arg>) -> Result<i64, sqlx::Error> {
        bind_args!(sqlx::query_scalar::<Postgres, i64>(s), a)
            .fetch_one(c)
            .await
    }

    async fn insert_id(
        c: &mut PgConnection,
        s: &'static str,
        a: Vec<Arg>,
    ) -> Result<i64, sqlx::Error> {
        let text = STATEMENTS.get(s, 1, |s| {
            format!("{} RETURNING id", numbered_placeholders(s))
        });
        let q = bind_args!(sqlx::query_scalar::<Postgres, i64>(text), a);
        q.fetch_one(c).await
    }
}

crate::store::forward_store!(PgStore);
