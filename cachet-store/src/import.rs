//! Reads a live Cachet database for [`cachet_core::import`]: the `migrations` table, then
//! every table its schema version reads ([`SchemaVersion::tables`]: Cachet 2.4's or 3.x's),
//! each column cast to text in SQL so one parser in the core serves every engine. Reading never writes: SQLite is opened read-only, PostgreSQL and
//! MySQL are read in one read-only repeatable-read transaction (a consistent snapshot of a
//! site that is still serving).

use cachet_core::import::{SchemaVersion, Source, SourceRow, SourceTable};

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

impl Engine {
    /// A query whose one row's one column is not NULL when the table exists.
    fn exists(self, prefix: &str, table: &str) -> String {
        let name = format!("{prefix}{table}");
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite => {
                format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{name}'")
            }
            #[cfg(feature = "postgres")]
            Self::Postgres => format!("SELECT CAST(to_regclass('{name}') AS TEXT)"),
            #[cfg(feature = "mysql")]
            Self::MySql => format!(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{name}'"
            ),
        }
    }
}

/// Decodes rows of text columns, each with the first of its cells that is not UTF-8 (read as
/// NULL; SQLite keeps text as given).
macro_rules! text_rows {
    ($rows:expr) => {{
        use sqlx::Row as _;
        $rows
            .iter()
            .map(|row| {
                let mut bad = None;
                let cells = (0..row.len())
                    .map(|i| match row.try_get::<Option<String>, _>(i) {
                        Ok(v) => Ok(v),
                        Err(e) => match row.try_get::<Option<Vec<u8>>, _>(i) {
                            Ok(Some(bytes)) if std::str::from_utf8(&bytes).is_err() => {
                                bad.get_or_insert(i);
                                Ok(None)
                            }
                            _ => Err(e),
                        },
                    })
                    .collect::<Result<SourceRow, sqlx::Error>>()?;
                Ok((cells, bad))
            })
            .collect::<Result<Vec<(SourceRow, Option<usize>)>, sqlx::Error>>()
    }};
}

/// Runs one statement, built only from `SourceTable` names and the checked prefix.
macro_rules! fetch {
    ($conn:expr, $sql:expr) => {
        // Audited: table and column names come from the version's `SourceTable`s and the
        // prefix is checked to be a plain identifier (`check_prefix`), so nothing here is
        // input.
        sqlx::query(sqlx::AssertSqlSafe($sql))
            .fetch_all(&mut *$conn)
            .await
            .and_then(|rows| text_rows!(rows))
    };
}

/// Reads the migrations, then the tables of the version they name (none for a version this
/// build does not read: the core refuses it), on one connection inside whatever transaction
/// the caller opened.
macro_rules! read_all {
    ($conn:expr, $engine:expr, $prefix:expr) => {{
        let (engine, prefix): (Engine, &str) = ($engine, $prefix);
        let mut source = Source::default();
        let table = format!("{prefix}migrations");
        let sql = engine.select(prefix, "migrations", &["migration"]);
        source.migrations = match fetch!($conn, sql) {
            Ok(rows) => rows
                .into_iter()
                .filter_map(|(r, _)| r.into_iter().next().flatten())
                .collect(),
            Err(source) => return Err(ReadError::NoMigrations { table, source }),
        };
        let tables: &[SourceTable] =
            SchemaVersion::detect(&source.migrations).map_or(&[], SchemaVersion::tables);
        for t in tables {
            let table = format!("{prefix}{}", t.name);
            if t.optional {
                let found = fetch!($conn, engine.exists(prefix, t.name)).map_err(|source| {
                    ReadError::Read {
                        table: table.clone(),
                        source,
                    }
                })?;
                if !found
                    .iter()
                    .any(|(r, _)| r.first().is_some_and(Option::is_some))
                {
                    continue;
                }
            }
            let rows = fetch!($conn, engine.select(prefix, t.name, t.columns))
                .map_err(|source| ReadError::Read { table, source })?;
            let mut cells = Vec::with_capacity(rows.len());
            for (i, (row, bad)) in rows.into_iter().enumerate() {
                if let Some(column) = bad.and_then(|c| t.columns.get(c)) {
                    source.not_utf8.insert((t.name, i), *column);
                }
                cells.push(row);
            }
            source.rows.insert(t.name, cells);
        }
        source
    }};
}

/// Reads the Cachet database `url` names (`sqlite:`, `postgres:`/`postgresql:`,
/// `mysql:`/`mariadb:`), whose tables carry `table_prefix` (Cachet's `DB_PREFIX`, usually
/// empty). Only the tables of the version its `migrations` table names are read; a version
/// this build does not read gives the migrations alone, for [`Source::check_version`] to
/// refuse.
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
