//! The SQLite backend (feature `sqlite`, on by default).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use cachet_core::store::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, SqlStr, Sqlite, SqliteConnection, Transaction};

use crate::args::{Arg, bind_args};
use crate::dialect::{MIGRATIONS_TABLE, trusted};
use crate::error::{backend, setup};
use crate::pool::PoolConfig;
use crate::sql::{Dialect, Record, row_values};
use cachet_core::store::backup::{Column, Value};

/// A [`Store`](cachet_core::store::Store) on SQLite.
///
/// Writes go through a pool of exactly one connection, so they queue in the application
/// instead of contending for SQLite's file lock (no `SQLITE_BUSY`); reads use a separate pool
/// and, in WAL mode, never wait for the writer. An in-memory database uses the single
/// connection for everything. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    read: Pool<Sqlite>,
    write: Pool<Sqlite>,
}

impl SqliteStore {
    /// How many connections the read pool keeps at most.
    pub const READ_CONNECTIONS: u32 = 4;

    /// Opens (creating it, with mode `0600`, if missing) and migrates a database:
    /// `sqlite://cachet.db`, `sqlite:///var/lib/cachet/cachet.db` or `sqlite::memory:`.
    ///
    /// File databases get WAL journaling, `synchronous = NORMAL`, foreign keys and a 5 s busy
    /// timeout.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the URL is invalid, the file cannot be created or
    /// opened, or a migration fails.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_pooled(url, &PoolConfig::default()).await
    }

    /// [`SqliteStore::connect`] with explicit pool settings: the acquire timeout applies to
    /// both pools, the connection cap to the read pool (at most
    /// [`SqliteStore::READ_CONNECTIONS`]); writes always go through one connection.
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::connect`].
    pub async fn connect_pooled(url: &str, pool: &PoolConfig) -> StoreResult<Self> {
        let settings = *pool;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(setup)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Normal);
        let store = if in_memory {
            // One connection that never closes: the database lives as long as it does.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts)
                .await
                .map_err(setup)?;
            Self {
                read: pool.clone(),
                write: pool,
            }
        } else {
            create_private_file(opts.get_filename())?;
            let opts = opts.journal_mode(SqliteJournalMode::Wal);
            // No ping before handing out a connection: an embedded database has no server to
            // lose it, and each ping is a round trip to the connection's worker thread (two
            // context switches) on every store call.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(opts.clone())
                .await
                .map_err(setup)?;
            let read = SqlitePoolOptions::new()
                .max_connections(settings.max_connections.clamp(1, Self::READ_CONNECTIONS))
                .test_before_acquire(false)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(opts)
                .await
                .map_err(setup)?;
            Self { read, write }
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations (done by [`SqliteStore::connect`]); the applied ones are
    /// recorded in `_cachet_migrations`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when a migration fails.
    pub async fn migrate(&self) -> StoreResult<()> {
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.run(&self.write).await.map_err(setup)
    }

    /// Both pools' use now, added up (for the operators' metrics); an in-memory database's
    /// one pool is counted once.
    pub(crate) fn pool_figures(&self) -> cachet_core::store::PoolStats {
        let one = |p: &Pool<Sqlite>| {
            (
                p.size(),
                u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
                p.options().get_max_connections(),
            )
        };
        let (open, idle, max) = one(&self.write);
        if self.read.options().get_max_connections() == 1 {
            // Only the in-memory database has a one-connection read pool: there `read` is a
            // clone of `write`.
            return cachet_core::store::PoolStats::new(open, idle, max);
        }
        let (o, i, m) = one(&self.read);
        cachet_core::store::PoolStats::new(open + o, idle + i, max + m)
    }

    /// Closes both pools, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Creates a missing database file readable and writable by its owner only, before SQLite
/// creates it with the process umask (subscriber data and password hashes live there).
fn create_private_file(path: &Path) -> StoreResult<()> {
    if path.as_os_str().is_empty() || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable {
            source: Box::new(e),
        }),
    }
}

/// The SQL variations and statement runners the generic code in [`crate::sql`] runs on.
impl Dialect for SqliteStore {
    type Conn = SqliteConnection;
    type Lease = PoolConnection<Sqlite>;
    type Tx = Transaction<'static, Sqlite>;

    const FOR_UPDATE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
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
    const LOAD_BATCH_ROWS: usize = 500;
    const SKIP_KNOWN_DELIVERY: &'static str = " ON CONFLICT (idempotency_key) DO NOTHING";
    const RESEED_ID_SEQUENCE: Option<&'static str> = None;

    fn sql(s: &'static str) -> SqlStr {
        SqlStr::from_static(s)
    }

    fn dyn_sql(s: String) -> SqlStr {
        trusted(s)
    }

    async fn read(&self) -> StoreResult<PoolConnection<Sqlite>> {
        self.read.acquire().await.map_err(backend)
    }

    async fn write(&self) -> StoreResult<PoolConnection<Sqlite>> {
        self.write.acquire().await.map_err(backend)
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.write.begin().await.map_err(backend)
    }

    async fn snapshot(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.read.begin().await.map_err(backend)
    }

    async fn commit(tx: Transaction<'static, Sqlite>) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    async fn rollback(tx: Transaction<'static, Sqlite>) -> Result<(), sqlx::Error> {
        tx.rollback().await
    }

    async fn execute(c: &mut SqliteConnection, s: SqlStr, a: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_args!(sqlx::query::<Sqlite>(s), a);
        Ok(q.execute(c).await?.rows_affected())
    }

    async fn fetch_all<R: Record>(
        c: &mut SqliteConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<Vec<R>, sqlx::Error> {
        bind_args!(sqlx::query_as::<Sqlite, R>(s), a)
            .fetch_all(c)
            .await
    }

    async fn fetch_optional<R: Record>(
        c: &mut SqliteConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<Option<R>, sqlx::Error> {
        bind_args!(sqlx::query_as::<Sqlite, R>(s), a)
            .fetch_optional(c)
            .await
    }

    async fn fetch_values(
        c: &mut SqliteConnection,
        s: SqlStr,
        columns: &'static [Column],
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        let rows = sqlx::query::<Sqlite>(s).fetch_all(c).await?;
        rows.iter().map(|r| row_values(r, columns)).collect()
    }

    async fn fetch_int(
        c: &mut SqliteConnection,
        s: SqlStr,
        a: Vec<Arg>,
    ) -> Result<i64, sqlx::Error> {
        bind_args!(sqlx::query_scalar::<Sqlite, i64>(s), a)
            .fetch_one(c)
            .await
    }

    async fn insert_id(
        c: &mut SqliteConnection,
        s: &'static str,
        a: Vec<Arg>,
    ) -> Result<i64, sqlx::Error> {
        let q = bind_args!(sqlx::query::<Sqlite>(Self::sql(s)), a);
        Ok(q.execute(c).await?.last_insert_rowid())
    }
}

crate::store::forward_store!(SqliteStore);

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cachet_core::model::{ComponentStatus, NewComponent};
    use cachet_core::store::prelude::*;
    use cachet_core::store::{WriteContext, no_effects};
    use cachet_core::validate::Name;

    use super::*;

    fn temp_db(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join("cachet-store-unit");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!(
            "{name}-{}-{}.db",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        ));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn new_database_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_db("perm");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "a new database must be owner-only, got {mode:o}"
        );
        store.close().await;
        // An existing file keeps the mode its owner gave it.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        store.close().await;
        std::fs::remove_file(&path).unwrap();
    }

    #[tokio::test]
    async fn reconnecting_keeps_data_and_skips_applied_migrations() {
        let path = temp_db("reopen");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let new = NewComponent::named(Name::parse("API").unwrap(), ComponentStatus::Operational);
        let api = store
            .create_component(WriteContext::at(chrono::Utc::now()), &new, &no_effects)
            .await
            .unwrap();
        store.close().await;
        let store = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(store.component(api.id).await.unwrap().name.as_str(), "API");
        assert_eq!(store.revision().await.unwrap(), 1);
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%migrations'",
        )
        .fetch_all(&store.read)
        .await
        .unwrap();
        assert_eq!(
            tables,
            vec![(MIGRATIONS_TABLE.to_owned(),)],
            "sqlx's default table is never created"
        );
        store.close().await;
        std::fs::remove_file(&path).unwrap();
    }

    /// Many concurrent writers on a file database all succeed: the single write connection
    /// queues them instead of letting them fight over SQLite's lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_never_see_busy() {
        let path = temp_db("busy");
        let store = Arc::new(
            SqliteStore::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap(),
        );
        let started = std::time::Instant::now();
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    for j in 0..10 {
                        let name = Name::parse(&format!("c{i}-{j}")).unwrap();
                        let new = NewComponent::named(name, ComponentStatus::Operational);
                        store
                            .create_component(
                                WriteContext::at(chrono::Utc::now()),
                                &new,
                                &no_effects,
                            )
                            .await?;
                        // interleave reads, which use the other pool
                        store.revision().await?;
                    }
                    Ok::<_, cachet_core::store::StoreError>(())
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(store.revision().await.unwrap(), 640);
        eprintln!("640 concurrent component writes in {:?}", started.elapsed());
        store.close().await;
        std::fs::remove_file(&path).unwrap();
    }
}
