//! `cachet_core::import` over `cachet_store::import::read_cachet`: a Cachet 2.4 database
//! built from the 2.4 migrations' final shape, with hostile content, imported into a fresh
//! store. SQLite always; PostgreSQL and MariaDB too when `CACHET_TEST_POSTGRES_URL` /
//! `CACHET_TEST_MYSQL_URL` are set (each source in a schema or database of its own name).
//! After the import the API and the page show the same ids, the Cachet API keys and bcrypt
//! passwords work (the hash is argon2id afterwards), a rerun changes nothing and the bad rows
//! are reported by table and id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cachet24/mod.rs"]
mod cachet24;
mod import_harness;
mod support;

use std::sync::Arc;

use cachet_core::import::{self, ImportError, Outcome};
use cachet_core::model::UserId;
use cachet_core::store::Store;
use cachet_core::validate::HttpUrl;
use cachet_core::{Cachet, Config};
use cachet24::Engine;
use import_harness::{
    assert_admin_totp_sealed, assert_bcrypt_signs_in_and_is_rehashed, assert_pages_escaped,
    assert_rejected, assert_rerun_changes_nothing, exec_sqlite, fresh_store, get, json, keyring,
    plan_error, remove_sqlite, row_count,
};
use support::unique_name;

fn fixture_statements(e: Engine, prefix: &str) -> Vec<String> {
    let mut all = cachet24::schema(e, prefix);
    all.extend(cachet24::content(e, prefix));
    all
}

async fn sqlite_source(prefix: &str) -> String {
    import_harness::sqlite_source("cachet24_", fixture_statements(Engine::Sqlite, prefix)).await
}

/// Reads, plans and imports the source at `url`, then checks everything the import promises.
async fn import_and_check(url: &str, prefix: &str) {
    let source = cachet_store::import::read_cachet(url, prefix)
        .await
        .unwrap();
    let ring = keyring();
    let plan = import::plan(&source, &ring, chrono::Utc::now()).unwrap();

    // Bad rows are reported by table and id, and only they.
    assert_rejected(&plan, cachet24::EXPECTED_REJECTED);
    assert_eq!(plan.api_tokens, 2);
    assert_eq!(plan.skipped.get("components"), Some(&1), "soft-deleted");
    let count = |t: &str| plan.counts.iter().find(|c| c.table == t).unwrap().imported;
    assert_eq!(count("components"), 3);
    assert_eq!(count("incidents"), 3);
    assert_eq!(count("users"), 2);

    let store = fresh_store().await;
    assert_eq!(
        import::apply(store.as_ref(), &plan).await.unwrap(),
        Outcome::Imported
    );
    // Nothing was queued: historical incidents send no mail.
    let rows = |t: &'static str| row_count(store.as_ref(), t);
    assert_eq!(rows("outbox_events").await, 0);
    assert_eq!(rows("audit_events").await, 1, "one audited operation");
    assert_eq!(
        rows("status_changes").await,
        3,
        "each component's history starts"
    );

    let config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    let cachet = Cachet::new(store.clone(), keyring(), config).unwrap();

    // The API shows the same ids and content.
    let (status, body) = get(&cachet, "/api/v1/components/1", None).await;
    assert_eq!(status, 200, "{body}");
    let c = json(&body);
    assert_eq!(c["data"]["id"], 1);
    assert_eq!(c["data"]["name"], "API");
    assert_eq!(c["data"]["group_id"], 1);
    assert_eq!(c["data"]["link"], "https://api.example.com");
    assert_eq!(c["data"]["tags"]["core-service"], "Core Service", "{body}");
    let (_, body) = get(&cachet, "/api/v1/components/2", None).await;
    assert_eq!(json(&body)["data"]["name"], "<script>alert('xss')</script>");
    let (_, body) = get(&cachet, "/api/v1/components/6", None).await;
    // A group that is gone leaves it ungrouped (API v1 writes that as Cachet did: 0).
    assert_eq!(json(&body)["data"]["group_id"], 0, "{body}");
    for gone in [3, 4, 5] {
        let (status, _) = get(&cachet, &format!("/api/v1/components/{gone}"), None).await;
        assert_eq!(status, 404, "component {gone}");
    }
    let (status, body) = get(&cachet, "/api/v1/incidents/1", None).await;
    assert_eq!(status, 200, "{body}");
    let i = json(&body);
    assert_eq!(i["data"]["id"], 1);
    assert_eq!(i["data"]["name"], "Outage <b>bold</b>");
    assert_eq!(i["data"]["status"], 4);
    let (_, body) = get(&cachet, "/api/v1/incidents/1/updates", None).await;
    assert_eq!(json(&body)["data"][0]["id"], 1, "{body}");
    let (status, body) = get(&cachet, "/api/v1/schedules/1", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["data"]["name"], "Upgrade");
    let (_, body) = get(&cachet, "/api/v1/metrics/1/points", None).await;
    assert!(body.contains("12.345"), "{body}");

    // The page shows it, escaped.
    assert_pages_escaped(&cachet).await;

    // Cachet's API keys authenticate, with the scope the user's level allows.
    let (status, body) = get(&cachet, "/api/v1/subscribers", Some(cachet24::ADMIN_KEY)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reader@example.com"), "{body}");
    assert!(body.contains("picky@example.com"), "{body}");
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(cachet24::USER_KEY)).await;
    assert_eq!(status, 403, "a level-2 user's key is not an admin's");
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some("NotAKey0123456789abc")).await;
    assert_eq!(status, 401);

    // A bcrypt password signs in once and is argon2id afterwards.
    assert_bcrypt_signs_in_and_is_rehashed(&cachet, store.as_ref(), cachet24::PASSWORD, "$2y$10$")
        .await;
    // The bcrypt hash is gone for good: not kept in the password history either.
    assert!(store.password_history(UserId(2)).await.unwrap().is_empty());
    // The admin's Cachet 2FA secret came along, sealed: the second factor is asked for.
    let admin = assert_admin_totp_sealed(
        &cachet,
        store.as_ref(),
        &ring,
        cachet24::PASSWORD,
        cachet24::TOTP_SECRET,
    )
    .await;
    assert!(admin.totp.unwrap().confirmed_at.is_some());

    // A rerun changes nothing.
    assert_rerun_changes_nothing(store.as_ref(), &ring, url, prefix, &plan).await;

    // A store that holds something else is refused, and keeps what it holds.
    let other = fresh_store().await;
    let other_cachet = Cachet::new(
        other.clone(),
        keyring(),
        Config::new(HttpUrl::parse("https://other.example.com").unwrap()),
    )
    .unwrap();
    other_cachet
        .operator_create_user(
            cachet_core::parse_new_user(
                "Someone",
                "someone@example.com",
                "admin",
                "tangerine orbit cactus lullaby".into(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let e = import::apply(other.as_ref(), &plan).await.unwrap_err();
    assert!(matches!(e, ImportError::NotEmpty), "{e}");
}

#[tokio::test]
async fn a_sqlite_cachet_imports() {
    let url = sqlite_source("").await;
    import_and_check(&url, "").await;
    remove_sqlite(&url);
}

#[tokio::test]
async fn a_prefixed_sqlite_cachet_imports() {
    let url = sqlite_source("chq_").await;
    import_and_check(&url, "chq_").await;
    let e = cachet_store::import::read_cachet(&url, "")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no readable `migrations` table"), "{e}");
    remove_sqlite(&url);
}

#[tokio::test]
async fn a_postgres_cachet_imports() {
    let statements = fixture_statements(Engine::Postgres, "");
    if let Some((url, schema)) = import_harness::postgres_source("cachet24_", statements).await {
        import_and_check(&url, "").await;
        import_harness::drop_postgres(&schema).await;
    }
}

#[tokio::test]
async fn a_mariadb_cachet_imports() {
    let statements = fixture_statements(Engine::MySql, "");
    if let Some((url, database)) = import_harness::mysql_source("cachet24_", statements).await {
        import_and_check(&url, "").await;
        import_harness::drop_mysql(&database).await;
    }
}

#[tokio::test]
async fn another_cachet_version_is_refused_naming_what_was_found() {
    let url = sqlite_source("").await;
    exec_sqlite(
        &url,
        "DELETE FROM migrations WHERE migration = '2019_12_12_131400_AlterJobsDropReserved'".into(),
    )
    .await;
    let e = plan_error(&url).await;
    assert!(
        e.contains("2018_06_17_182507_AlterIncidentsAddNotifications") && e.contains("Cachet 2.4"),
        "{e}"
    );
    remove_sqlite(&url);
}

/// Import throughput on a larger Cachet: 100 000 incidents with an update and an affected
/// component each (300 000 rows), read from SQLite, mapped and loaded into SQLite. Ignored by
/// default; BENCHMARKS.md gives the figure and the command.
#[tokio::test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
async fn import_throughput_100k_incidents() {
    const N: i64 = 100_000;
    let url = sqlite_source("").await;
    exec_sqlite(
        &url,
        format!(
        "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO incidents (id, user_id, component_id, name, status, visible, stickied, notifications, message, occurred_at, created_at, updated_at) \
         SELECT i, 1, 0, 'Incident ' || i, 4, 1, 0, 0, 'Something **broke** and was fixed.', '2019-05-01 10:00:00', '2019-05-01 10:00:00', '2019-05-01 11:00:00' FROM n; \
         WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO incident_updates (id, incident_id, status, message, user_id, created_at, updated_at) \
         SELECT i, i, 4, 'Fixed.', 1, '2019-05-01 11:00:00', '2019-05-01 11:00:00' FROM n; \
         WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO incident_components (id, incident_id, component_id, status_id) \
         SELECT i, i, 1, 4 FROM n;",
            last = 1000 + N - 1
        ),
    )
    .await;

    let started = std::time::Instant::now();
    let source = cachet_store::import::read_cachet(&url, "").await.unwrap();
    let read = started.elapsed();
    let plan = import::plan(&source, &keyring(), chrono::Utc::now()).unwrap();
    let planned = started.elapsed();
    let path = std::env::temp_dir().join(format!("{}.db", unique_name("cachet24_target_")));
    let store: Arc<dyn Store> = Arc::new(
        cachet_store::SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    );
    assert_eq!(
        import::apply(store.as_ref(), &plan).await.unwrap(),
        Outcome::Imported
    );
    let total = started.elapsed();
    let rows = plan.dump.row_count();
    assert!(rows > 3 * usize::try_from(N).unwrap());
    #[allow(clippy::cast_precision_loss)]
    let per_second = rows as f64 / total.as_secs_f64();
    eprintln!(
        "imported {rows} rows in {:.2} s ({per_second:.0} rows/s): read {:.2} s, map {:.2} s, load {:.2} s",
        total.as_secs_f64(),
        read.as_secs_f64(),
        (planned - read).as_secs_f64(),
        (total - planned).as_secs_f64()
    );
    let _ = std::fs::remove_file(&path);
    remove_sqlite(&url);
}
