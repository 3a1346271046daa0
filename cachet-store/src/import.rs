//! Reads a live Cachet database for [`cachet_core::import`]: the `migrations` table and every
//! table of [`SOURCE_TABLES`], each column cast to text in SQL so one parser in the core
//! serves every engine. Reading never writes: SQLite is opened read-only, PostgreSQL and
//! MySQL are read in one read-only repeatable-read transaction (a consistent snapshot of a
//! site that is still serving).

use cachet_core::import::{SOURCE_TABLES, Source, SourceRow};

/// Why a Cachet database could not be read. Messages name the table, never a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The URL names no engine this build reads.
    #[error(
        "the source URL must start with sqlite:, postgres:, postgresql:, mysql: or mariadb: (with that backend's feature enabled)"
    )]
    Scheme,
    /// The table prefix is not a plain identifier.
    #[error("table prefix `{0}`: only ASCII letters, digits and `_`, at most 32")]
    Prefix(String),
    /// Connecting failed.
    #[error("connecting to the source: {0}")]
    Connect(#[source] sqlx::Error),
    /// There is no `migrations` table (not a Cachet database, or another prefix).
    #[error(
        "no readable `{table}` table: not a Cachet database, or its tables have another prefix (--table-prefix): {source}"
    )]
    NoMigrations {
        /// The table looked for, with its prefix.
        table: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A table could not be read.
    #[error("reading `{table}`: {source}")]
    Read {
        /// The table, with its prefix.
        table: String,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// How one engine writes the queries.
#[derive(Clone, Copy)]
enum Engine {
    #[cfg(feature = "sqlite")]
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
    #[cfg(feature = "mysql")]
    MySql,
}

impl Engine {
    fn quote(self, ident: &str) -> String {
        match self {
            #[cfg(feature = "mysql")]
            Self::MySql => format!("`{ident}`"),
            #[allow(unreachable_patterns)]
            _ => format!("\"{ident}\""),
        }
    }

    fn as_text(self, column: &str) -> String {
        let c = self.quote(column);
        match self {
            #[cfg(feature = "mysql")]
            Self::MySql => format!("CAST({c} AS CHAR CHARACTER SET utf8mb4)"),
            #[allow(unreachable_patterns)]
            _ => format!("CAST({c} AS TEXT)"),
        }
    }

    fn select(self, prefix: &str, table: &str, columns: &[&str]) -> String {
        let list = columns
            .iter()
            .map(|c| self.as_text(c))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT {list} FROM {} ORDER BY {}",
            self.quote(&format!("{prefix}{table}")),
            self.quote("id")
        )
    }
}

fn check_prefix(prefix: &str) -> Result<(), ReadError> {
    if prefix.len() <= 32
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(ReadError::Prefix(prefix.to_owned()))
    }
}

/// Every statement the read runs: the migrations, then each source table.
fn statements(engine: Engine, prefix: &str) -> Vec<(String, String)> {
    let mut out = vec![(
        format!("{prefix}migrations"),
        engine.select(prefix, "migrations", &["migration"]),
    )];
    for t in SOURCE_TABLES {
        out.push((
            format!("{prefix}{}", t.name),
            engine.select(prefix, t.name, t.columns),
        ));
    }
    out
}

/// Decodes rows of text columns.
macro_rules! text_rows {
    ($rows:expr) => {{
        use sqlx::Row as _;
        $rows
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<Option<String>, _>(i))
                    .collect::<Result<SourceRow, sqlx::Error>>()
            })
            .collect::<Result<Vec<SourceRow>, sqlx::Error>>()
    }};
}

/// Runs the statements on one connection (inside whatever transaction the caller opened) and
/// assembles the source.
macro_rules! read_all {
    ($conn:expr, $engine:expr, $prefix:expr) => {{
        let mut source = Source::default();
        for (i, (table, sql)) in statements($engine, $prefix).into_iter().enumerate() {
            // Audited: table and column names come from `SOURCE_TABLES` and the prefix is
            // checked to be a plain identifier (`check_prefix`), so nothing here is input.
            let fetched = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *$conn)
                .await
                .and_then(|rows| text_rows!(rows));
            let rows = match fetched {
                Ok(rows) => rows,
                Err(source) if i == 0 => return Err(ReadError::NoMigrations { table, source }),
                Err(source) => return Err(ReadError::Read { table, source }),
            };
            if i == 0 {
                source.migrations = rows
                    .into_iter()
                    .filter_map(|r| r.into_iter().next().flatten())
                    .collect();
            } else if let Some(t) = SOURCE_TABLES.get(i - 1) {
                source.rows.insert(t.name, rows);
            }
        }
        source
    }};
}

/// Reads the Cachet database `url` names (`sqlite:`, `postgres:`/`postgresql:`,
/// `mysql:`/`mariadb:`), whose tables carry `table_prefix` (Cachet's `DB_PREFIX`, usually
/// empty). The version is not checked here: [`Source::check_version`] does that.
///
/// # Errors
///
/// [`ReadError`].
pub async fn read_cachet(url: &str, table_prefix: &str) -> Result<Source, ReadError> {
    check_prefix(table_prefix)?;
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        #[cfg(feature = "sqlite")]
        "sqlite" => read_sqlite(url, table_prefix).await,
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => read_postgres(url, table_prefix).await,
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => read_mysql(url, table_prefix).await,
        _ => Err(ReadError::Scheme),
    }
}

#[cfg(feature = "sqlite")]
async fn read_sqlite(url: &str, prefix: &str) -> Result<Source, ReadError> {
    use sqlx::Connection as _;
    use std::str::FromStr as _;
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(ReadError::Connect)?
        .read_only(true)
        .create_if_missing(false);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .map_err(ReadError::Connect)?;
    let mut tx = conn.begin().await.map_err(ReadError::Connect)?;
    let source = read_all!(&mut *tx, Engine::Sqlite, prefix);
    drop(tx);
    let _ = conn.close().await;
    Ok(source)
}

#[cfg(feature = "postgres")]
async fn read_postgres(url: &str, prefix: &str) -> Result<Source, ReadError> {
    use sqlx::Connection as _;
    let url = url.replacen("postgresql:", "postgres:", 1);
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .map_err(ReadError::Connect)?;
    sqlx::query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut conn)
        .await
        .map_err(ReadError::Connect)?;
    let source = read_all!(&mut conn, Engine::Postgres, prefix);
    let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
    let _ = conn.close().await;
    Ok(source)
}

#[cfg(feature = "mysql")]
async fn read_mysql(url: &str, prefix: &str) -> Result<Source, ReadError> {
    use sqlx::Connection as _;
    let url = url.replacen("mariadb:", "mysql:", 1);
    let mut conn = sqlx::MySqlConnection::connect(&url)
        .await
        .map_err(ReadError::Connect)?;
    for s in [
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
    ] {
        sqlx::query(s)
            .execute(&mut conn)
            .await
            .map_err(ReadError::Connect)?;
    }
    let source = read_all!(&mut conn, Engine::MySql, prefix);
    let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
    let _ = conn.close().await;
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_plain_identifiers() {
        assert!(check_prefix("").is_ok());
        assert!(check_prefix("cachet_").is_ok());
        for bad in ["a b", "x;DROP", "\"", "`", &"a".repeat(33)] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn every_column_is_read_as_text_and_quoted() {
        let sql = Engine::MySql.select("p_", "metrics", &["id", "order"]);
        assert_eq!(
            sql,
            "SELECT CAST(`id` AS CHAR CHARACTER SET utf8mb4), CAST(`order` AS CHAR CHARACTER SET utf8mb4) FROM `p_metrics` ORDER BY `id`"
        );
    }
}
