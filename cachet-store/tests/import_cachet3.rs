//! `cachet_core::import` of a Cachet 3.x database over `cachet_store::import::read_cachet`:
//! one built from cachethq/core's migrations' final shape, with hostile content, imported
//! into a fresh store. SQLite always; PostgreSQL and MariaDB too when
//! `CACHET_TEST_POSTGRES_URL` / `CACHET_TEST_MYSQL_URL` are set. After the import the public
//! page, API v1, Cachet 3's API and the Statuspage JSON show the same ids and content;
//! GUIDs are kept; Sanctum API keys authenticate as Sanctum hands them out; bcrypt passwords
//! sign in and are rehashed; a rerun changes nothing; bad rows are reported by table and id;
//! a 3.x newer or older than the supported set is refused. The same site on a database
//! Cachet 2.4 created and Cachet 3 upgraded in place imports too, with 2.4's API keys and
//! levels beside Sanctum's keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cachet24/mod.rs"]
mod cachet24;
#[path = "cachet3/mod.rs"]
mod cachet3;
mod import_harness;
mod support;

use cachet_core::import::{self, CACHET_3_LAST_MIGRATION, Outcome, SchemaVersion};
use cachet_core::model::UserId;
use cachet_core::validate::HttpUrl;
use cachet_core::{Cachet, Config};
use cachet24::Engine;
use import_harness::{
    assert_admin_totp_sealed, assert_bcrypt_signs_in_and_is_rehashed, assert_pages_escaped,
    assert_rejected, assert_rerun_changes_nothing, exec_sqlite, fresh_store, get, get_with, json,
    keyring, plan_error, remove_sqlite, row_count,
};

fn fixture_statements(e: Engine) -> Vec<String> {
    let mut all = cachet3::schema(e, "");
    all.extend(cachet3::content(e, ""));
    all
}

/// The same site on a database Cachet 2.4 created and Cachet 3 upgraded in place.
fn upgraded_statements(e: Engine) -> Vec<String> {
    let mut all = cachet3::upgraded_schema(e, "");
    all.extend(cachet3::upgraded_content(e, ""));
    all
}

/// How the Cachet 3.x database came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Installed as 3.x.
    Fresh,
    /// Created by 2.4, upgraded in place.
    UpgradedFrom24,
}

async fn sqlite_source() -> String {
    import_harness::sqlite_source("cachet3_", fixture_statements(Engine::Sqlite)).await
}

/// Reads, plans and imports the source at `url`, then checks everything the import promises.
#[allow(clippy::too_many_lines)]
async fn import_and_check(url: &str, engine: Engine, shape: Shape) {
    let source = cachet_store::import::read_cachet(url, "").await.unwrap();
    let version = match shape {
        Shape::Fresh => SchemaVersion::Cachet3,
        Shape::UpgradedFrom24 => SchemaVersion::Cachet3From24,
    };
    assert_eq!(source.check_version().unwrap(), version);
    let ring = keyring();
    let plan = import::plan(&source, &ring, chrono::Utc::now()).unwrap();
    assert_eq!(plan.version, version);

    // Bad rows are reported by table and id, and only they.
    let mut expected = cachet3::EXPECTED_REJECTED.to_vec();
    if engine == Engine::Sqlite {
        expected.extend(cachet3::EXPECTED_REJECTED_SQLITE);
    }
    if shape == Shape::UpgradedFrom24 {
        expected.extend(cachet3::EXPECTED_REJECTED_UPGRADED);
    }
    assert_rejected(&plan, &expected);
    // Sanctum's keys 1, 2 and 5; upgraded, 2.4's two `api_key`s too.
    let tokens = match shape {
        Shape::Fresh => 3,
        Shape::UpgradedFrom24 => 5,
    };
    assert_eq!(plan.api_tokens, tokens);
    assert_eq!(plan.skipped.get("components"), Some(&1), "soft-deleted");
    let count = |t: &str| plan.counts.iter().find(|c| c.table == t).unwrap().imported;
    assert_eq!(count("components"), 4);
    assert_eq!(count("incidents"), 4);
    assert_eq!(
        count("users"),
        2,
        "the one with an encrypted 2FA secret is imported"
    );
    assert_eq!(count("updates"), 3);

    let store = fresh_store().await;
    assert_eq!(
        import::apply(store.as_ref(), &plan).await.unwrap(),
        Outcome::Imported
    );
    // Nothing was queued: historical incidents send no mail. One audited operation.
    assert_eq!(row_count(store.as_ref(), "outbox_events").await, 0);
    assert_eq!(row_count(store.as_ref(), "audit_events").await, 1);
    assert_eq!(row_count(store.as_ref(), "schedule_updates").await, 1);
    assert_eq!(row_count(store.as_ref(), "incident_updates").await, 2);

    let config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    let cachet = Cachet::new(store.clone(), keyring(), config).unwrap();

    // API v1 shows the same ids and content.
    let (status, body) = get(&cachet, "/api/v1/components/1", None).await;
    assert_eq!(status, 200, "{body}");
    let c = json(&body);
    assert_eq!(c["data"]["name"], "API");
    assert_eq!(c["data"]["group_id"], 1);
    assert_eq!(c["data"]["link"], "https://api.example.com");
    assert_eq!(c["data"]["tags"]["core-service"], "Core Service", "{body}");
    // Its meta came from Cachet 3's `meta` rows, each value JSON as Cachet wrote it.
    assert_eq!(c["data"]["meta"]["owner"], "ops", "{body}");
    assert_eq!(c["data"]["meta"]["tier"], 1, "{body}");
    let (_, body) = get(&cachet, "/api/v1/components/2", None).await;
    assert_eq!(json(&body)["data"]["name"], "<script>alert('xss')</script>");
    // Cachet 3's unknown (5) and under maintenance (6) read as unknown; a group that is gone
    // leaves the component ungrouped. A hidden group (2) is for signed-in users only.
    let (status, _) = get(&cachet, "/api/v1/components/5", None).await;
    assert_eq!(status, 404, "in a hidden group");
    let admin = cachet3::admin_token();
    let (_, body) = get(&cachet, "/api/v1/components/5", Some(&admin)).await;
    assert_eq!(json(&body)["data"]["status"], 0, "{body}");
    assert_eq!(json(&body)["data"]["group_id"], 2, "{body}");
    let (_, body) = get(&cachet, "/api/v1/components/6", None).await;
    assert_eq!(json(&body)["data"]["status"], 0, "{body}");
    assert_eq!(json(&body)["data"]["group_id"], 0, "{body}");
    for gone in [3, 4, 7] {
        let (status, _) = get(&cachet, &format!("/api/v1/components/{gone}"), None).await;
        assert_eq!(status, 404, "component {gone}");
    }
    let (status, body) = get(&cachet, "/api/v1/incidents/1", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["data"]["name"], "Outage <b>bold</b>");
    assert_eq!(json(&body)["data"]["status"], 4);
    let (_, body) = get(&cachet, "/api/v1/incidents/1/updates", None).await;
    assert_eq!(json(&body)["data"][0]["id"], 1, "{body}");
    // An incident for signed-in users only, and a draft, are not public.
    for hidden in [2, 4] {
        let (status, _) = get(&cachet, &format!("/api/v1/incidents/{hidden}"), None).await;
        assert_eq!(status, 404, "incident {hidden}");
    }
    let (_, body) = get(&cachet, "/api/v1/incidents/5", None).await;
    assert_eq!(
        json(&body)["data"]["status"],
        1,
        "unknown reads as investigating: {body}"
    );
    let (_, body) = get(&cachet, "/api/v1/schedules/1", None).await;
    assert_eq!(json(&body)["data"]["name"], "Upgrade", "{body}");
    assert_eq!(json(&body)["data"]["status"], 0, "upcoming, from its dates");
    let (_, body) = get(&cachet, "/api/v1/schedules/2", None).await;
    assert_eq!(
        json(&body)["data"]["status"],
        2,
        "complete, from its dates: {body}"
    );
    let (_, body) = get(&cachet, "/api/v1/metrics/1/points", None).await;
    assert!(body.contains("12.345"), "{body}");

    // Cachet 3's API shows the incident's GUID as Cachet 3 had it.
    let (status, body) = get(&cachet, "/api/incidents/1", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(cachet3::GUID_1), "{body}");
    let (_, body) = get(&cachet, "/api/incidents/5", None).await;
    assert!(body.contains(cachet3::GUID_5), "{body}");

    // The Statuspage JSON shows the same components.
    let (status, body) = get(&cachet, "/api/v2/summary.json", None).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<String> = json(&body)["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    for want in ["API", "<script>alert('xss')</script>", "Maintained"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert!(
        json(&body)["page"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Acme")
    );

    // The page shows it, escaped.
    assert_pages_escaped(&cachet).await;

    // Sanctum keys authenticate as Sanctum hands them out (`<id>|<secret>`, the id must be
    // the key's) or as the bare secret, with the scope their abilities and owner allow.
    let (status, body) = get(&cachet, "/api/v1/subscribers", Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reader@example.com"), "{body}");
    assert!(body.contains("picky@example.com"), "{body}");
    let (status, _) = get(
        &cachet,
        "/api/v1/subscribers",
        Some(&cachet3::admin_secret()),
    )
    .await;
    assert_eq!(status, 200);
    let wrong_id = format!("2|{}", cachet3::admin_secret());
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(&wrong_id)).await;
    assert_eq!(status, 401, "another key's id");
    let bearer = format!("Bearer {admin}");
    let (status, body) = get_with(
        &cachet,
        "/api/incidents/2",
        &[("Authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(status, 200, "Cachet 3's API, signed in: {body}");
    let user = format!("2|{}", cachet3::USER_SECRET);
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(&user)).await;
    assert_eq!(status, 403, "a non-admin's key is not an admin's");
    let (status, _) = get(&cachet, "/api/v1/components/1", Some(&user)).await;
    assert_eq!(status, 200);
    let forged = format!("1|{}", "A".repeat(40));
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(&forged)).await;
    assert_eq!(status, 401);

    // A key issued with `sanctum.token_prefix` set authenticates as Sanctum handed it out
    // (`5|cachet_...`) and bare, with either header; without its prefix it is another secret.
    let prefixed = cachet3::prefixed_token();
    assert!(prefixed.starts_with("5|cachet_"), "{prefixed}");
    let (status, body) = get(&cachet, "/api/v1/subscribers", Some(&prefixed)).await;
    assert_eq!(status, 200, "{body}");
    let bearer = format!("Bearer {prefixed}");
    let (status, body) = get_with(
        &cachet,
        "/api/incidents/2",
        &[("Authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(status, 200, "prefixed, Cachet 3's API: {body}");
    let bearer = format!("Bearer {}", cachet3::prefixed_secret());
    let (status, body) = get_with(
        &cachet,
        "/api/v1/subscribers",
        &[("Authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(status, 200, "prefixed, bare, API v1: {body}");
    let unprefixed = cachet3::prefixed_token().replacen(cachet3::SANCTUM_TOKEN_PREFIX, "", 1);
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(&unprefixed)).await;
    assert_eq!(
        status, 401,
        "the prefix is part of the secret Sanctum hashed"
    );

    if shape == Shape::UpgradedFrom24 {
        // 2.4's keys, still in `users`, authenticate as 2.4 clients send them, with the
        // scope their owner's 2.4 level gives (no one was an admin in Cachet 3 yet).
        let (status, body) = get(&cachet, "/api/v1/subscribers", Some(cachet3::ADMIN_KEY_24)).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = get(&cachet, "/api/v1/subscribers", Some(cachet3::USER_KEY_24)).await;
        assert_eq!(status, 403, "a level 2 user's key is not an admin's");
        let (status, _) = get(&cachet, "/api/v1/components/1", Some(cachet3::USER_KEY_24)).await;
        assert_eq!(status, 200);
        // Numbered after Sanctum's, whose ids are kept.
        let mut ids: Vec<i64> = store
            .dump()
            .await
            .unwrap()
            .tables
            .iter()
            .find(|t| t.table.name == "api_tokens")
            .unwrap()
            .rows
            .iter()
            .map(|r| match &r[0] {
                cachet_core::store::backup::Value::Int(i) => *i,
                other => panic!("{other:?}"),
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 5, 6, 7]);
        assert_eq!(
            store.user(UserId(2)).await.unwrap().role,
            cachet_core::model::Role::Manager
        );
    }

    // A bcrypt password signs in once and is argon2id afterwards.
    assert_bcrypt_signs_in_and_is_rehashed(&cachet, store.as_ref(), cachet3::PASSWORD, "$2y$")
        .await;
    // The admin's plain 2FA secret came along, sealed; the other's, encrypted with Cachet's
    // APP_KEY, could not, and was reported.
    let admin_user = assert_admin_totp_sealed(
        &cachet,
        store.as_ref(),
        &ring,
        cachet3::PASSWORD,
        cachet3::TOTP_SECRET,
    )
    .await;
    assert_eq!(admin_user.role, cachet_core::model::Role::Admin);
    assert!(store.user(UserId(2)).await.unwrap().totp.is_none());

    // A rerun changes nothing.
    assert_rerun_changes_nothing(store.as_ref(), &ring, url, "", &plan).await;
}

#[tokio::test]
async fn a_sqlite_cachet3_imports() {
    let url = sqlite_source().await;
    import_and_check(&url, Engine::Sqlite, Shape::Fresh).await;
    remove_sqlite(&url);
}

#[tokio::test]
async fn a_postgres_cachet3_imports() {
    let statements = fixture_statements(Engine::Postgres);
    if let Some((url, schema)) = import_harness::postgres_source("cachet3_", statements).await {
        import_and_check(&url, Engine::Postgres, Shape::Fresh).await;
        import_harness::drop_postgres(&schema).await;
    }
}

#[tokio::test]
async fn a_mariadb_cachet3_imports() {
    let statements = fixture_statements(Engine::MySql);
    if let Some((url, database)) = import_harness::mysql_source("cachet3_", statements).await {
        import_and_check(&url, Engine::MySql, Shape::Fresh).await;
        import_harness::drop_mysql(&database).await;
    }
}

#[tokio::test]
async fn a_sqlite_cachet3_upgraded_in_place_from_24_imports() {
    let url =
        import_harness::sqlite_source("cachet3up_", upgraded_statements(Engine::Sqlite)).await;
    import_and_check(&url, Engine::Sqlite, Shape::UpgradedFrom24).await;
    remove_sqlite(&url);
}

#[tokio::test]
async fn a_postgres_cachet3_upgraded_in_place_from_24_imports() {
    let statements = upgraded_statements(Engine::Postgres);
    if let Some((url, schema)) = import_harness::postgres_source("cachet3up_", statements).await {
        import_and_check(&url, Engine::Postgres, Shape::UpgradedFrom24).await;
        import_harness::drop_postgres(&schema).await;
    }
}

#[tokio::test]
async fn a_mariadb_cachet3_upgraded_in_place_from_24_imports() {
    let statements = upgraded_statements(Engine::MySql);
    if let Some((url, database)) = import_harness::mysql_source("cachet3up_", statements).await {
        import_and_check(&url, Engine::MySql, Shape::UpgradedFrom24).await;
        import_harness::drop_mysql(&database).await;
    }
}

/// Once anyone is an admin in Cachet 3, its `is_admin` flags are the roles: 2.4's level 1
/// does not make an admin whom Cachet 3 demoted, and the 2.4 key gets a manager's scope.
#[tokio::test]
async fn an_upgraded_cachet3_admin_demoted_in_cachet3_is_not_an_admin_again() {
    let url =
        import_harness::sqlite_source("cachet3up_", upgraded_statements(Engine::Sqlite)).await;
    exec_sqlite(&url, "UPDATE users SET is_admin = 1 WHERE id = 2".into()).await;
    let source = cachet_store::import::read_cachet(&url, "").await.unwrap();
    let plan = import::plan(&source, &keyring(), chrono::Utc::now()).unwrap();
    let store = fresh_store().await;
    import::apply(store.as_ref(), &plan).await.unwrap();
    let role = |id| {
        let store = store.clone();
        async move { store.user(UserId(id)).await.unwrap().role }
    };
    assert_eq!(role(1).await, cachet_core::model::Role::Manager);
    assert_eq!(role(2).await, cachet_core::model::Role::Admin);
    let cachet = Cachet::new(
        store.clone(),
        keyring(),
        Config::new(HttpUrl::parse("https://status.example.com").unwrap()),
    )
    .unwrap();
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(cachet3::ADMIN_KEY_24)).await;
    assert_eq!(status, 403);
    let (status, _) = get(&cachet, "/api/v1/subscribers", Some(cachet3::USER_KEY_24)).await;
    assert_eq!(status, 200);
    remove_sqlite(&url);
}

#[tokio::test]
async fn a_planned_cachet3_import_writes_nothing() {
    let url = sqlite_source().await;
    let source = cachet_store::import::read_cachet(&url, "").await.unwrap();
    let plan = import::plan(&source, &keyring(), chrono::Utc::now()).unwrap();
    assert!(plan.dump.row_count() > 0);
    // Planning is the dry run: the target stays empty, the source unchanged.
    let store = fresh_store().await;
    assert_eq!(row_count(store.as_ref(), "components").await, 0);
    let again = cachet_store::import::read_cachet(&url, "").await.unwrap();
    assert_eq!(again, source);
    remove_sqlite(&url);
}

#[tokio::test]
async fn a_cachet3_newer_or_older_than_supported_is_refused() {
    let url = sqlite_source().await;
    exec_sqlite(
        &url,
        "INSERT INTO migrations (migration, batch) VALUES ('2026_09_01_000001_add_future_column', 2)"
            .into(),
    )
    .await;
    let source = cachet_store::import::read_cachet(&url, "").await.unwrap();
    assert!(
        source.rows.is_empty(),
        "an unknown schema's tables are not read"
    );
    let e = import::plan(&source, &keyring(), chrono::Utc::now())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2026_09_01_000001_add_future_column") && e.contains("newer"),
        "{e}"
    );
    exec_sqlite(
        &url,
        format!(
            "DELETE FROM migrations WHERE migration IN ('2026_09_01_000001_add_future_column', '{CACHET_3_LAST_MIGRATION}')"
        ),
    )
    .await;
    let e = plan_error(&url).await;
    assert!(
        e.contains("older") && e.contains("2026_08_06_000001"),
        "{e}"
    );
    remove_sqlite(&url);
}

/// The fixture without Sanctum's table (an installation that never issued an API key).
fn without_sanctum(e: Engine) -> Vec<String> {
    fixture_statements(e)
        .into_iter()
        .filter(|s| !s.contains("personal_access_tokens"))
        .collect()
}

/// Imports a source without Sanctum's table: everything else comes, no key is reported.
async fn check_without_sanctum(url: &str) {
    let source = cachet_store::import::read_cachet(url, "").await.unwrap();
    assert!(!source.rows.contains_key("personal_access_tokens"));
    let plan = import::plan(&source, &keyring(), chrono::Utc::now()).unwrap();
    assert_eq!(plan.api_tokens, 0);
    let count = |t: &str| plan.counts.iter().find(|c| c.table == t).unwrap().imported;
    assert_eq!(count("incidents"), 4);
    assert_eq!(count("users"), 2);
    assert!(
        !plan
            .rejected
            .iter()
            .any(|r| r.table == "personal_access_tokens"),
        "{:?}",
        plan.rejected
    );
}

#[tokio::test]
async fn a_cachet3_that_never_issued_api_keys_imports_without_sanctums_table() {
    let url = import_harness::sqlite_source("cachet3_", without_sanctum(Engine::Sqlite)).await;
    check_without_sanctum(&url).await;
    remove_sqlite(&url);
    if let Some((url, schema)) =
        import_harness::postgres_source("cachet3_", without_sanctum(Engine::Postgres)).await
    {
        check_without_sanctum(&url).await;
        import_harness::drop_postgres(&schema).await;
    }
    if let Some((url, database)) =
        import_harness::mysql_source("cachet3_", without_sanctum(Engine::MySql)).await
    {
        check_without_sanctum(&url).await;
        import_harness::drop_mysql(&database).await;
    }
}
