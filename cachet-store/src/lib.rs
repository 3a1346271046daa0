//! sqlx storage backends for cachet-rs: one [`Store`] per database, all proven by the same
//! conformance suite as `cachet-core`'s in-memory reference store.
//!
//! | feature | default | store | URL |
//! |---|---|---|---|
//! | `sqlite` | yes | [`SqliteStore`] (bundled SQLite) | `sqlite://cachet.db`, `sqlite::memory:` |
//! | `postgres` | no | [`PgStore`] | `postgres://user:pw@host/db` |
//! | `mysql` | no | [`MySqlStore`] (MySQL 8, MariaDB 10.6+) | `mysql://user:pw@host/db` |
//!
//! [`connect`] picks the store from the URL's scheme and returns it as `Arc<dyn Store>`.
//! [`import::read_cachet`] reads a live Cachet 2.4 or 3.x database for `cachet_core::import`.
//! `sqlx` is re-exported for hosts that want to share a pool or build connect options.
//!
//! # Quick start
//!
//! ```
//! use cachet_core::clock::{Clock, SystemClock};
//! use cachet_core::model::{ComponentStatus, NewComponent};
//! use cachet_core::store::prelude::*;
//! use cachet_core::store::{WriteContext, no_effects};
//! use cachet_core::validate::Name;
//! use cachet_store::SqliteStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = SqliteStore::connect("sqlite::memory:").await?;
//! let new = NewComponent::named(Name::parse("API")?, ComponentStatus::Operational);
//! let api = store.create_component(WriteContext::at(SystemClock.now()), &new, &no_effects).await?;
//! assert_eq!(store.component(api.id).await?.name.as_str(), "API");
//! assert_eq!(store.revision().await?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # TLS
//!
//! With the `postgres` or `mysql` feature, connections can use TLS (rustls on `ring`), set in
//! the URL as sqlx documents: `sslmode=verify-full&sslrootcert=/path/ca.pem` for PostgreSQL
//! (also `verify-ca`, `require`, and `sslcert`/`sslkey` for a client certificate),
//! `ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/ca.pem` for MySQL (also `ssl-cert`/`ssl-key`). The
//! CA file is trusted in addition to Mozilla's roots. A connection refused for a TLS reason is
//! [`StoreError::Unavailable`] whose source is a `TlsError` naming the cause.
//!
//! # Schema and migrations
//!
//! Every table is prefixed `cachet_`, so cachet can share a database with its host
//! application. Migrations are embedded (`migrations/{sqlite,postgres,mysql}`, one folder per
//! backend with the same file names) and run on connect; sqlx records them in
//! **`_cachet_migrations`** ([`MIGRATIONS_TABLE`]) rather than the default
//! `_sqlx_migrations`, which the host's own migrations may already use.
//!
//! Times are stored as `BIGINT` microseconds since the Unix epoch (UTC), which all three
//! engines store exactly and sort correctly; enums as their integer codes or names; metric
//! values as integer thousandths; metadata and payloads as JSON text; sealed secrets as a key
//! id plus ciphertext; token hashes and blind indexes as 32 bytes under unique indexes. Every
//! row read goes back through `cachet-core`'s validating constructors, so a tampered row is
//! [`StoreError::Corrupt`] rather than unchecked data. Text compares and sorts by code point
//! everywhere (`COLLATE "C"` on PostgreSQL, `utf8mb4_bin` on MySQL).
//!
//! # Transactions
//!
//! Each multi-row write (an entity, its children, status history, its audit and outbox
//! [`Effects`](cachet_core::store::Effects) and the revision bump) is one transaction: on any
//! error nothing commits. The bump of the one-row `cachet_revision` table is the first
//! statement of every content write, so on PostgreSQL and MySQL its row lock also serializes
//! content writes and the explicit reference and uniqueness checks inside them cannot race.
//! Outbox and delivery claims use `FOR UPDATE SKIP LOCKED` there, so dispatchers never get the
//! same row.
//!
//! # One writer on SQLite
//!
//! SQLite allows one writer at a time; concurrent writers on separate connections fail with
//! `SQLITE_BUSY` when their busy timeout runs out. [`SqliteStore`] therefore writes through a
//! pool of exactly **one** connection: writers queue in the pool (fairly, without spinning on
//! the file lock) and never see `SQLITE_BUSY`, while reads use a second pool and, thanks to WAL
//! journaling, never wait for the writer. A `:memory:` database lives on a single connection
//! that is never closed. New database files are created with mode `0600`.
//!
//! [`Store`]: cachet_core::store::Store
//! [`StoreError::Corrupt`]: cachet_core::store::StoreError::Corrupt

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod args;
mod dialect;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod error;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql")))
)]
pub mod import;
mod pool;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod rows;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod store;

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod tls;

use std::sync::Arc;

use cachet_core::store::{Store, StoreError};

pub use dialect::MIGRATIONS_TABLE;
#[cfg(feature = "mysql")]
#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
pub use mysql::MySqlStore;
pub use pool::PoolConfig;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PgStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;
pub use sqlx;
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "postgres", feature = "mysql"))))]
pub use tls::TlsError;

/// Connects to the database a URL names and migrates it: `sqlite:` (feature `sqlite`),
/// `postgres:` / `postgresql:` (feature `postgres`), `mysql:` / `mariadb:` (feature `mysql`).
///
/// # Errors
///
/// [`StoreError::Backend`] for a scheme whose feature is off or that is unknown;
/// [`StoreError::Unavailable`] when connecting or migrating fails.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_pooled(url, &PoolConfig::default()).await
}

/// [`connect`] with explicit pool settings (the acquire timeout bounds how long a call waits
/// for a database that is down).
///
/// # Errors
///
/// As [`connect`].
pub async fn connect_pooled(url: &str, pool: &PoolConfig) -> Result<Arc<dyn Store>, StoreError> {
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match scheme.as_str() {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Arc::new(SqliteStore::connect_pooled(url, pool).await?)),
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => Ok(Arc::new(PgStore::connect_pooled(url, pool).await?)),
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => {
            let url = url
                .strip_prefix("mariadb")
                .map_or_else(|| url.to_owned(), |rest| format!("mysql{rest}"));
            Ok(Arc::new(MySqlStore::connect_pooled(&url, pool).await?))
        }
        _ => Err(StoreError::Backend {
            source: format!(
                "unsupported database URL scheme `{scheme}` (is its cachet-store feature enabled?)"
            )
            .into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    fn names(backend: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn every_backend_has_the_same_migrations() {
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert!(sqlite.iter().all(|n| n.ends_with(".sql")), "{sqlite:?}");
        assert_eq!(
            names("postgres"),
            sqlite,
            "postgres migrations differ from sqlite's"
        );
        assert_eq!(
            names("mysql"),
            sqlite,
            "mysql migrations differ from sqlite's"
        );
    }

    #[test]
    fn every_mysql_table_is_innodb_utf8mb4_binary() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/mysql");
        for name in names("mysql") {
            let sql = std::fs::read_to_string(dir.join(&name)).unwrap();
            let tables = sql.matches("CREATE TABLE").count();
            let suffixed = sql
                .matches("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
                .count();
            assert_eq!(
                tables, suffixed,
                "{name}: every table needs the engine and charset"
            );
        }
    }

    #[tokio::test]
    async fn connect_picks_the_backend_by_scheme() {
        let store = crate::connect("sqlite::memory:").await.unwrap();
        assert_eq!(store.revision().await.unwrap(), 0);
        store.ping().await.unwrap();
        let err = crate::connect("oracle://x").await.unwrap_err();
        assert!(
            matches!(err, cachet_core::store::StoreError::Backend { .. }),
            "{err:?}"
        );
    }
}
