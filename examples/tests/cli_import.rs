#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test
//! The real `cachet` binary: `cachet import cachet` from a Cachet 2.4 SQLite database. A dry
//! run prints the rows per table and the rows left out and writes nothing (no database, no
//! key file); the import then serves the same ids with Cachet's API keys working; a rerun
//! changes nothing.

use std::path::Path;
use std::process::Output;

mod support;

#[path = "../../cachet-store/tests/cachet24/mod.rs"]
mod cachet24;

use cachet_store::sqlx::{self, Connection as _};
use support::{Server, TempDir, cachet, free_port, http, run, text};

fn import(dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = cachet(dir);
    cmd.args(["import", "cachet", "--from", "sqlite://cachet24.db"])
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let mut all = cachet24::schema(cachet24::Engine::Sqlite, "");
        all.extend(cachet24::content(cachet24::Engine::Sqlite, ""));
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
