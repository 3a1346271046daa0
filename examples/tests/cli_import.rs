#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test
//! The real `cachet` binary: `cachet import cachet` from a Cachet 2.4 and a Cachet 3.x SQLite
//! database. A dry run prints the version, the rows per table and the rows left out and
//! writes nothing (no database, no key file); the import then serves the same ids with
//! Cachet's API keys working; a rerun changes nothing.

use std::path::Path;
use std::process::Output;

mod support;

#[path = "../../cachet-store/tests/cachet24/mod.rs"]
mod cachet24;
#[path = "../../cachet-store/tests/cachet3/mod.rs"]
mod cachet3;

use cachet_store::sqlx::{self, Connection as _};
use support::{Server, TempDir, cachet, free_port, http, run, text};

fn import(dir: &Path, extra: &[&str]) -> Output {
    import_from(dir, "cachet24.db", extra)
}

fn import_from(dir: &Path, file: &str, extra: &[&str]) -> Output {
    let mut cmd = cachet(dir);
    cmd.args(["import", "cachet", "--from", &format!("sqlite://{file}")])
        .args(extra);
    run(cmd, "")
}

fn ok(out: &Output) -> (String, String) {
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (text(&out.stdout), stderr)
}

fn build_fixture(path: &Path) {
    let mut all = cachet24::schema(cachet24::Engine::Sqlite, "");
    all.extend(cachet24::content(cachet24::Engine::Sqlite, ""));
    build_sqlite(path, all);
}

fn build_sqlite(path: &Path, all: Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        for s in all {
            sqlx::raw_sql(sqlx::AssertSqlSafe(s))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    });
}

#[test]
fn import_a_cachet_24_database() {
    let dir = TempDir::new("import");
    let d = dir.path();
    build_fixture(&d.join("cachet24.db"));

    // A dry run reports and writes nothing: no database, no key file.
    let (stdout, stderr) = ok(&import(d, &["--dry-run"]));
    assert!(stderr.contains("dry run"), "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["components", "6", "3"]),
        "{stdout}"
    );
    for want in cachet24::EXPECTED_REJECTED {
        assert!(
            stdout.contains(&format!("left out {want}")),
            "{want}: {stdout}"
        );
    }
    assert!(!d.join("cachet.db").exists());
    assert!(!d.join("cachet.key").exists());

    // The import.
    let (stdout, stderr) = ok(&import(d, &[]));
    assert!(stderr.contains("imported"), "{stderr}");
    assert!(stdout.contains("api keys as tokens: 2"), "{stdout}");
    assert!(d.join("cachet.key").exists());
    let db = std::fs::read(d.join("cachet.db")).unwrap();

    // A rerun changes nothing.
    let (_, stderr) = ok(&import(d, &[]));
    assert!(stderr.contains("already imported"), "{stderr}");
    assert_eq!(std::fs::read(d.join("cachet.db")).unwrap(), db);

    // Another version is refused, naming what was found.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", d.join("cachet24.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("DELETE FROM migrations WHERE migration LIKE '2019_%'")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let out = import(d, &["--dry-run"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("2018_06_17_182507_AlterIncidentsAddNotifications"),
        "{stderr}"
    );

    // The imported site serves the same ids; Cachet's API key works.
    let port = free_port();
    let mut cmd = cachet(d);
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
    let server = Server::start(cmd, port);
    let (status, body) = server.get("/api/v1/incidents/1");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"id\":1"), "{body}");
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/subscribers",
        &[("X-Cachet-Token", cachet24::ADMIN_KEY)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reader@example.com"), "{body}");
}

#[test]
fn import_a_cachet_3_database() {
    let dir = TempDir::new("import3");
    let d = dir.path();
    let mut all = cachet3::schema(cachet24::Engine::Sqlite, "");
    all.extend(cachet3::content(cachet24::Engine::Sqlite, ""));
    build_sqlite(&d.join("cachet3.db"), all);

    // A dry run names the version, reports and writes nothing: no database, no key file.
    let (stdout, stderr) = ok(&import_from(d, "cachet3.db", &["--dry-run"]));
    assert!(stderr.contains("dry run"), "{stderr}");
    assert!(stdout.contains("source: Cachet 3.x"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["updates", "5", "3"]),
        "{stdout}"
    );
    for want in cachet3::EXPECTED_REJECTED
        .iter()
        .chain(cachet3::EXPECTED_REJECTED_SQLITE)
    {
        assert!(
            stdout.contains(&format!("left out {want}")),
            "{want}: {stdout}"
        );
    }
    assert!(!d.join("cachet.db").exists());
    assert!(!d.join("cachet.key").exists());

    // The import, then a rerun that changes nothing.
    let (stdout, stderr) = ok(&import_from(d, "cachet3.db", &[]));
    assert!(stderr.contains("imported"), "{stderr}");
    assert!(stdout.contains("api keys as tokens: 3"), "{stdout}");
    let db = std::fs::read(d.join("cachet.db")).unwrap();
    let (_, stderr) = ok(&import_from(d, "cachet3.db", &[]));
    assert!(stderr.contains("already imported"), "{stderr}");
    assert_eq!(std::fs::read(d.join("cachet.db")).unwrap(), db);

    // The imported site serves the same ids; the Sanctum key works as Sanctum handed it out.
    let port = free_port();
    let mut cmd = cachet(d);
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
    let server = Server::start(cmd, port);
    let (status, body) = server.get("/api/incidents/1");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(cachet3::GUID_1), "{body}");
    let bearer = format!("Bearer {}", cachet3::admin_token());
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/subscribers",
        &[("Authorization", bearer.as_str())],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reader@example.com"), "{body}");
}
