//! The MySQL and MariaDB backend (feature `mysql`).

use std::str::FromStr;

use cachet_core::store::StoreResult;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{MySql, MySqlConnection, MySqlPool, SqlStr, Transaction};

use crate::args::{Arg, bind_args};
use crate::dialect::{MIGRATIONS_TABLE, trusted};
use crate::error::{backend, connect, setup};
use crate::pool::PoolConfig;
use crate::sql::{Dialect, Record, row_values};
use cachet_core::store::backup::{Column, Value};

/// A [`Store`](cachet_core::store::Store) on MySQL 8 or MariaDB 10.6+ (InnoDB, `utf8mb4`).
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct MySqlStore {
    pool: MySqlPool,
}

impl MySqlStore {
    /// Connects to `mysql://user:password@host/database` and migrates.
    ///
    /// # Errors
    ///
    /// [`cachet_core::store::StoreError::Unavailable`] when the URL is invalid, the server
    /// cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_pooled(url, &PoolConfig::default()).await
    }

    /// [`MySqlStore::connect`] with explicit pool settings.
    ///
    /// # Errors
    ///
    /// As [`MySqlStore::connect`].
    pub async fn connect_pooled(url: &str, pool: &PoolConfig) -> StoreResult<Self> {
        crate::tls::check_files(url).map_err(setup)?;
        Self::connect_with_pool(MySqlConnectOptions::from_str(url).map_err(setup)?, pool).await
    }

    /// Connects with explicit options and migrates. The connection charset is forced to
    /// `utf8mb4` so 4-byte characters round-trip.
    ///
    /// # Errors
    ///
    /// As [`MySqlStore::connect`].
    pub async fn connect_with(options: MySqlConnectOptions) -> StoreResult<Self> {
        Self::connect_with_pool(options, &PoolConfig::default()).await
    }

    /// [`MySqlStore::connect_with`] with explicit pool settings.
    ///
    /// # Errors
    ///
    /// As [`MySqlStore::connect`].
    pub async fn connect_with_pool(
        options: MySqlConnectOptions,
        pool: &PoolConfig,
    ) -> StoreResult<Self> {
        let options = options.charset("utf8mb4");
        let pool = MySqlPoolOptions::new()
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

    /// Uses an existing pool and migrates.
    ///
    /// # Errors
    ///
    /// [`cachet_core::store::StoreError::Unavailable`] when a migration fails.
    pub async fn from_pool(pool: MySqlPool) -> StoreResult<Self> {
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
        let mut migrator = sqlx::migrate!("./migrations/mysql");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.run(&self.pool).await.map_err(setup)
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }
}

/// The SQL variations and statement runners the generic code in [`crate::sql`] runs on.
impl Dialect for MySqlStore {
    type Conn = MySqlConnection;
    type Lease = PoolConnection<MySql>;
    type Tx = Transaction<'static, MySql>;

    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const UPSERT_SETTING: &'static str = "INSERT INTO cachet_settings (setting_key, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)";
    const UPSERT_THROTTLE: &'static str = "INSERT INTO cachet_throttles (throttle_key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?) \
        ON DUPLICATE KEY UPDATE failures = VALUES(failures), last_failure_at = VALUES(last_failure_at), locked_until = VALUES(locked_until)";
    const INSERT_IDEMPOTENCY_KEY: &'static str = "INSERT IGNORE INTO cachet_idempotency_keys (idempotency_key, fingerprint, created_at, lease_until) VALUES (?, ?, ?, ?)";
    const UPSERT_RATE_LIMIT: &'static str = "INSERT INTO cachet_rate_limits (limit_key, window_start, hits, prev_hits) VALUES (?, ?, 1, 0) \
        ON DUPLICATE KEY UPDATE \
        prev_hits = CASE WHEN window_start >= VALUES(window_start) THEN prev_hits WHEN window_start = ? THEN hits ELSE 0 END, \
        hits = CASE WHEN window_start < VALUES(window_start) THEN 1 WHEN hits < ? THEN hits + 1 ELSE hits END, \
        window_start = GREATEST(window_start, VALUES(window_start))";
    const UPSERT_RATE_LIMIT_RETURNS: bool = false;
    const LOAD_BATCH_ROWS: usize = 500;
    const SKIP_KNOWN_DELIVERY: &'static str =
        " ON DUPLICATE KEY UPDATE idempotency_key = idempotency_key";
    const RESEED_ID_SEQUENCE: Option<&'static str> = None;

    fn sql(s: &'static str) -> SqlStr {
        SqlStr::from_static(s)
    }

    fn dyn_sql(s: String) -> SqlStr {
        trusted(s)
    }

    async fn read(&self) -> StoreResult<PoolConnection<MySql>> {
        self.pool.acquire().await.map_err(backend)
    }

    async fn write(&self) -> StoreResult<PoolConnection<MySql>> {
        self.read().await
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, MySql>> {
        self.pool.begin().await.map_err(backend)
    }

    async fn snapshot(&self) -> StoreResult<Transaction<'static, MySql>> {
        self.pool
            .begin_with("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            .await
            .map_err(backend)
    }

    async fn commit(tx: Transaction<'static, MySql>) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    async fn rollback(tx: Transaction<'static, MySql>) -> Result<(), sqlx::Error> {
        tx.rollback().await
    }

    async fn execute(c: &mut MySqlConnection, s: SqlStr, a: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_args!(sqlx::query::<MySql>(s), a);
        Ok(q.execute(c).await?.rows_affected())
    }

    async fn fetch_all<R: Record>(
        c: &mut MySqlConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<Vec<R>, sqlx::Error> {
        bind_args!(sqlx::query_as::<MySql, R>(s), a)
            .fetch_all(c)
            .await
    }

    async fn fetch_optional<R: Record>(
        c: &mut MySqlConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<Option<R>, sqlx::Error> {
        bind_args!(sqlx::query_as::<MySql, R>(s), a)
            .fetch_optional(c)
            .await
    }

    async fn fetch_values(
        c: &mut MySqlConnection,
        s: SqlStr,
        columns: &'static [Column],
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        let rows = sqlx::query::<MySql>(s).fetch_all(c).await?;
        rows.iter().map(|r| row_values(r, columns)).collect()
    }

    async fn fetch_int(
        c: &mut MySqlConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<i64, sqlx::Error> {
        bind_args!(sqlx::query_scalar::<MySql, i64>(s), a)
            .fetch_one(c)
            .await
    }

    async fn insert_id(
        c: &mut MySqlConnection,
        s: &'static str,
        a: Vec<Arg>,
    ) -> Result<i64, sqlx::Error> {
        let q = bind_args!(sqlx::query::<MySql>(Self::sql(s)), a);
        let id = q.execute(c).await?.last_insert_id();
        i64::try_from(id).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}

crate::store::forward_store!(MySqlStore);
