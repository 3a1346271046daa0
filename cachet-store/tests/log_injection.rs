//! Log injection (CWE-117) with an error message the database itself makes up, as MariaDB's
//! "Duplicate entry '<value>' for key ..." carries a stored value: on a SQLite file database, a
//! trigger refuses component inserts with `RAISE(ABORT, <hostile text>)`, and the settings
//! table is replaced by a view over a dropped table whose name is hostile text (every read of
//! it fails with "no such table: <hostile text>"). API v1, the public pages, Statuspage v2,
//! feeds, badges, the subscription page and the dashboard are then asked for pages that fail
//! with those errors; every logged event must stay one line without a raw control character,
//! as `tracing_subscriber::fmt` prints it and as raw field values. The in-memory half is
//! `cachet-core/tests/log_injection.rs`. Alone in its own test binary: `tracing` caches
//! per-callsite interest process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

#[path = "../../cachet-core/tests/common/mod.rs"]
mod common;
#[path = "../../cachet-core/tests/log_capture/mod.rs"]
mod log_capture;

use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use sqlx::Connection as _;

use cachet_core::model::{Role, TokenScope};
use cachet_core::store::Store;
use cachet_core::validate::{HttpUrl, Name};
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Config};

use common::Harness;
use log_capture::Captured;

async fn new_store() -> Arc<dyn Store> {
    Arc::new(
        cachet_store::SqliteStore::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite"),
    )
}

/// CR/LF, a forged line, terminal escapes, Unicode separators, C1 controls and a bidi
/// override (no NUL: SQLite's SQL text cannot hold one).
const HOSTILE: &str = "dup\r\n2026-01-01T00:00:00Z  INFO forged: admin logged in\n\x1b[2J\x1b]0;pwned\x07\u{2028}\u{2029}\u{85}\u{9b}31m\u{202e}txt.exe\ttab";

fn cx() -> RequestContext {
    RequestContext {
        peer: Some("192.0.2.10:5000".parse().unwrap()),
        principal: None,
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Bytes> {
    let mut b = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

/// Runs statements on a second connection to the database file.
async fn sabotage(url: &str, statements: &[String]) {
    let mut raw = sqlx::SqliteConnection::connect(url).await.unwrap();
    for sql in statements {
        // Deliberately hostile SQL text, quoted by the caller; the test's own statements.
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut raw)
            .await
            .unwrap();
    }
    raw.close().await.unwrap();
}

#[tokio::test]
async fn database_made_error_text_never_breaks_a_log_line() {
    let cap = Captured::default();
    let _guard = cap.install();
    cap.probe();

    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let file = std::env::temp_dir().join(format!(
        "cachet-log-injection-{}-{nanos}.db",
        std::process::id()
    ));
    let url = format!("sqlite://{}", file.display());
    let store: Arc<dyn Store> = Arc::new(cachet_store::SqliteStore::connect(&url).await.unwrap());
    let h = Harness::over(
        store,
        Config::new(HttpUrl::parse("https://status.example.com").unwrap()),
    );
    let admin = h.user("admin@example.com", Role::Admin).await;
    let (_, token) = h
        .cachet
        .create_api_token(
            &Actor::operator(),
            admin.id,
            Name::parse("ci").unwrap(),
            TokenScope::Admin,
            None,
        )
        .await
        .unwrap();
    let session = h.session("admin@example.com").await;
    let cookie = format!("__Host-cachet_session={}", session.secret);

    // The database turns hostile, through a second connection as someone with access to it
    // would. First a trigger: a write fails with the database's own text.
    let api = [("x-cachet-token", token.as_str())];
    let json = [
        ("x-cachet-token", token.as_str()),
        ("content-type", "application/json"),
    ];
    let browser = [("cookie", cookie.as_str())];
    let literal = HOSTILE.replace('\'', "''");
    sabotage(
        &url,
        &[format!(
            "CREATE TRIGGER hostile BEFORE INSERT ON cachet_components \
             BEGIN SELECT RAISE(ABORT, '{literal}'); END"
        )],
    )
    .await;
    let mut statuses = Vec::new();
    let create = request(
        "POST",
        "/api/v1/components",
        &json,
        r#"{"name":"Hostile","status":1}"#,
    );
    statuses.push((
        "POST /api/v1/components",
        h.cachet.handle(create, cx()).await.status(),
    ));
    assert!(
        cap.lines()
            .iter()
            .any(|l| l.contains("forged: admin logged in")),
        "the trigger's text reached the log: {:#?}",
        cap.lines()
    );

    // Then every read of the settings fails with "no such table: <hostile text>".
    let ident = HOSTILE.replace('"', "\"\"");
    sabotage(
        &url,
        &[
            "ALTER TABLE cachet_settings RENAME TO cachet_settings_gone".to_owned(),
            format!("CREATE TABLE \"{ident}\" (k TEXT, v TEXT)"),
            format!("CREATE VIEW cachet_settings AS SELECT * FROM \"{ident}\""),
            format!("DROP TABLE \"{ident}\""),
        ],
    )
    .await;
    for (path, headers) in [
        ("/api/v1/components", &api[..]),
        ("/api/v1/incidents", &api[..]),
        ("/", &[][..]),
        ("/incidents/1", &[][..]),
        ("/api/v2/summary.json", &[][..]),
        ("/api/v2/status.json", &[][..]),
        ("/rss", &[][..]),
        ("/atom", &[][..]),
        ("/schedules.ics", &[][..]),
        ("/badge.svg", &[][..]),
        ("/components/1/badge.svg", &[][..]),
        ("/metrics/1", &[][..]),
        ("/subscribe", &[][..]),
        ("/dashboard", &browser[..]),
        ("/dashboard/components", &browser[..]),
    ] {
        let r = h
            .cachet
            .handle(request("GET", path, headers, ""), cx())
            .await;
        statuses.push((path, r.status()));
    }

    let lines = cap.lines();
    // The database's text did reach the log (escaped), so the test is not vacuous.
    assert!(
        lines.iter().any(|l| l.contains("forged: admin logged in")),
        "no event carries the database's error text: {statuses:?}\n{lines:#?}"
    );
    assert!(
        statuses.iter().filter(|(_, s)| s.is_server_error()).count() > 10,
        "the hostile database made requests fail: {statuses:?}"
    );
    cap.assert_clean();
    drop(h);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}
