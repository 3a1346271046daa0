//! What the import tests share: a Cachet source database built from fixture statements on
//! SQLite (a fresh file), PostgreSQL (a schema of its own) or MariaDB (a database of its
//! own), a fresh target store, and requests through the public handler.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use bytes::Bytes;
use cachet_core::Cachet;
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::Store;
use cachet_core::web::RequestContext;
use sqlx::Connection as _;

use super::support::{unique_name, url_from_env};

/// Runs the fixture's statements on one connection.
pub async fn run_all<C>(conn: &mut C, statements: Vec<String>)
where
    for<'c> &'c mut C: sqlx::Executor<'c>,
{
    for s in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(s.clone()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

/// A SQLite Cachet database in a fresh file named after `name`; its URL.
pub async fn sqlite_source(name: &str, statements: Vec<String>) -> String {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name(name)));
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    run_all(&mut conn, statements).await;
    conn.close().await.unwrap();
    url
}

/// Removes a SQLite source made by [`sqlite_source`].
pub fn remove_sqlite(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
}

/// A PostgreSQL Cachet database in a schema of its own; its URL and the schema.
pub async fn postgres_source(name: &str, statements: Vec<String>) -> Option<(String, String)> {
    let url = url_from_env("CACHET_TEST_POSTGRES_URL")?;
    let schema = unique_name(name);
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let source = format!("{url}{sep}options[search_path]={schema}");
    let mut conn = sqlx::PgConnection::connect(&source).await.unwrap();
    run_all(&mut conn, statements).await;
    Some((source, schema))
}

/// Drops a schema made by [`postgres_source`].
pub async fn drop_postgres(schema: &str) {
    let admin_url = std::env::var("CACHET_TEST_POSTGRES_URL").unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// A MariaDB Cachet database of its own; its URL and name.
pub async fn mysql_source(name: &str, statements: Vec<String>) -> Option<(String, String)> {
    let url = url_from_env("CACHET_TEST_MYSQL_URL")?;
    let database = unique_name(name);
    let mut admin = sqlx::MySqlConnection::connect(&url).await.unwrap();
    // Cachet's own installer default.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let (base, query) = url
        .split_once('?')
        .map_or((url.as_str(), ""), |(b, q)| (b, q));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    let source = if query.is_empty() {
        format!("{base}/{database}")
    } else {
        format!("{base}/{database}?{query}")
    };
    let mut conn = sqlx::MySqlConnection::connect(&source).await.unwrap();
    run_all(&mut conn, statements).await;
    Some((source, database))
}

/// Drops a database made by [`mysql_source`].
pub async fn drop_mysql(database: &str) {
    let admin_url = std::env::var("CACHET_TEST_MYSQL_URL").unwrap();
    let mut admin = sqlx::MySqlConnection::connect(&admin_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {database}")))
        .execute(&mut admin)
        .await
        .unwrap();
}

pub fn keyring() -> Keyring {
    Keyring::new(1, SecretKey::from_bytes([9; 32]))
}

pub async fn fresh_store() -> Arc<dyn Store> {
    Arc::new(
        cachet_store::SqliteStore::connect("sqlite::memory:")
            .await
            .unwrap(),
    )
}

/// A GET through the public handler, with `headers`; status and body.
pub async fn get_with(cachet: &Cachet, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = http::Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = cachet
        .handle(req.body(Bytes::new()).unwrap(), RequestContext::default())
        .await;
    (
        res.status().as_u16(),
        String::from_utf8_lossy(res.body()).into_owned(),
    )
}

/// A GET, with Cachet's API token header when `token` is given.
pub async fn get(cachet: &Cachet, path: &str, token: Option<&str>) -> (u16, String) {
    match token {
        Some(t) => get_with(cachet, path, &[("X-Cachet-Token", t)]).await,
        None => get_with(cachet, path, &[]).await,
    }
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The number of rows of `table` in `store`.
pub async fn row_count(store: &dyn Store, table: &str) -> usize {
    let dump = store.dump().await.unwrap();
    dump.tables
        .iter()
        .find(|x| x.table.name == table)
        .unwrap()
        .rows
        .len()
}
