//! What the import tests share: a Cachet source database built from fixture statements on
//! SQLite (a fresh file), PostgreSQL (a schema of its own) or MariaDB (a database of its
//! own), a fresh target store, and requests through the public handler.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use bytes::Bytes;
use cachet_core::import::{self, Outcome, Plan};
use cachet_core::model::{User, UserId};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::Store;
use cachet_core::web::RequestContext;
use cachet_core::{Cachet, LoginOutcome};
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

/// Runs `sql` on the SQLite source at `url`, to bend the fixture for one test.
pub async fn exec_sqlite(url: &str, sql: String) {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Why planning the import of the source at `url` fails.
pub async fn plan_error(url: &str) -> String {
    let source = cachet_store::import::read_cachet(url, "").await.unwrap();
    import::plan(&source, &keyring(), chrono::Utc::now())
        .unwrap_err()
        .to_string()
}

/// The plan reports exactly the rows of `expected` (`table id N` prefixes) as rejected.
pub fn assert_rejected(plan: &Plan, expected: &[&str]) {
    let reported: Vec<String> = plan.rejected.iter().map(ToString::to_string).collect();
    for want in expected {
        assert!(
            reported.iter().any(|r| r.starts_with(want)),
            "{want} missing from {reported:#?}"
        );
    }
    assert_eq!(reported.len(), expected.len(), "{reported:#?}");
}

/// The fixture's incident 1 and its page name show on the public pages, escaped, and no
/// script of the fixture's hostile content runs.
pub async fn assert_pages_escaped(cachet: &Cachet) {
    let (status, page) = get(cachet, "/incidents/1", None).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Outage &#60;b&#62;bold&#60;/b&#62;</h1>"),
        "{page}"
    );
    assert!(page.contains("<strong>fixed</strong>"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    let (status, page) = get(cachet, "/", None).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("Acme &#60;script&#62;"), "{page}");
}

/// User 2 (`ops@example.com`) has a bcrypt hash starting with `bcrypt_prefix`, signs in with
/// `password` once and has an argon2id hash afterwards; a wrong password is refused.
pub async fn assert_bcrypt_signs_in_and_is_rehashed(
    cachet: &Cachet,
    store: &dyn Store,
    password: &str,
    bcrypt_prefix: &str,
) {
    let before = store.user(UserId(2)).await.unwrap().password_hash.0;
    assert!(before.starts_with(bcrypt_prefix));
    let out = cachet
        .login("ops@example.com", password, None, None, None)
        .await
        .unwrap();
    assert!(matches!(out, LoginOutcome::SignedIn(_)));
    let after = store.user(UserId(2)).await.unwrap().password_hash.0;
    assert!(after.starts_with("$argon2id$"), "{after}");
    assert!(
        cachet
            .login("ops@example.com", "wrong password here", None, None, None)
            .await
            .is_err()
    );
}

/// The admin (user 1, `admin@example.com`) is asked for a second factor after `password`,
/// and its TOTP secret is `totp_secret` (base32), sealed with `ring`. Returns the admin.
pub async fn assert_admin_totp_sealed(
    cachet: &Cachet,
    store: &dyn Store,
    ring: &Keyring,
    password: &str,
    totp_secret: &str,
) -> User {
    let out = cachet
        .login("admin@example.com", password, None, None, None)
        .await
        .unwrap();
    assert!(matches!(out, LoginOutcome::SecondFactorRequired(_)));
    let admin = store.user(UserId(1)).await.unwrap();
    let totp = admin.totp.as_ref().unwrap();
    let opened = ring
        .open(&totp.secret, cachet_core::auth::totp::SECRET_AAD)
        .unwrap();
    assert_eq!(
        opened,
        totp_rs::Secret::Encoded(totp_secret.into())
            .to_bytes()
            .unwrap()
    );
    admin
}

/// Reading, planning and applying the source at `url` again gives `plan`'s fingerprint,
/// is reported as already imported and leaves `store` as it was.
pub async fn assert_rerun_changes_nothing(
    store: &dyn Store,
    ring: &Keyring,
    url: &str,
    prefix: &str,
    plan: &Plan,
) {
    let before = store.dump().await.unwrap();
    let again = cachet_store::import::read_cachet(url, prefix)
        .await
        .unwrap();
    let plan2 = import::plan(&again, ring, chrono::Utc::now()).unwrap();
    assert_eq!(plan2.fingerprint, plan.fingerprint);
    assert_eq!(
        import::apply(store, &plan2).await.unwrap(),
        Outcome::AlreadyImported
    );
    assert_eq!(store.dump().await.unwrap(), before);
}
