#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test
//! The real `cachet` binary: `cachet export` from one SQLite database and `cachet restore`
//! into a new one give a database that exports the same content; bad archives and a
//! database that holds data are refused with a clear message and change nothing.

use std::path::Path;
use std::process::{Command, Output};

mod support;

use support::{TempDir, run, text};

const BIN: &str = env!("CARGO_BIN_EXE_cachet");

/// The binary in `dir`, with none of the CACHET_ variables of the caller's environment.
fn cachet(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CACHET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "warn").args(args);
    run(cmd, input)
}

fn ok(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    stderr
}

fn fails(out: &Output, needle: &str) {
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "expected a failure");
    assert!(
        stderr.to_lowercase().contains(&needle.to_lowercase()),
        "stderr lacks {needle:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The archive after its manifest line.
fn body(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let i = bytes.iter().position(|b| *b == b'\n').unwrap();
    bytes[i + 1..].to_vec()
}

#[test]
fn export_then_restore_sqlite_to_sqlite() {
    let dir = TempDir::new("backup");
    let d = dir.path();
    let password = "correct horse battery staple 42\n";
    ok(&cachet(
        d,
        &[
            "user",
            "create",
            "--email",
            "admin@example.com",
            "--role",
            "admin",
        ],
        password,
    ));
    ok(&cachet(
        d,
        &[
            "token",
            "create",
            "--email",
            "admin@example.com",
            "--scope",
            "write",
            "--name",
            "ci",
        ],
        "",
    ));

    let stderr = ok(&cachet(d, &["export", "--output", "site.cachet"], ""));
    assert!(stderr.contains("exported"), "{stderr}");
    let archive = d.join("site.cachet");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the archive holds password hashes: owner-only");
    }
    let head = std::fs::read_to_string(&archive).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(head.lines().next().unwrap()).unwrap();
    assert_eq!(manifest["format"], "cachet-backup");
    assert_eq!(manifest["version"], 1);
    let users = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "users")
        .unwrap();
    assert_eq!(users["rows"], 1);

    // An existing file is never overwritten.
    fails(
        &cachet(d, &["export", "--output", "site.cachet"], ""),
        "exists",
    );

    // Into a new database.
    let stderr = ok(&cachet(
        d,
        &[
            "--database-url",
            "sqlite://copy.db",
            "restore",
            "--input",
            "site.cachet",
        ],
        "",
    ));
    assert!(stderr.contains("restored"), "{stderr}");
    ok(&cachet(
        d,
        &[
            "--database-url",
            "sqlite://copy.db",
            "export",
            "--output",
            "copy.cachet",
        ],
        "",
    ));
    assert_eq!(
        body(&d.join("copy.cachet")),
        body(&archive),
        "the restored database exports the same content"
    );

    // The restored user is there: creating it again is refused as taken.
    fails(
        &cachet(
            d,
            &[
                "--database-url",
                "sqlite://copy.db",
                "--secret-key-file",
                "cachet.key",
                "user",
                "create",
                "--email",
                "admin@example.com",
                "--role",
                "admin",
            ],
            password,
        ),
        "already exists",
    );

    // A database that holds data is refused, and keeps its data.
    fails(
        &cachet(
            d,
            &[
                "--database-url",
                "sqlite://copy.db",
                "restore",
                "-i",
                "site.cachet",
            ],
            "",
        ),
        "not empty",
    );

    // A changed byte fails the checksum, before any database is created.
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 5;
    bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
    std::fs::write(d.join("bad.cachet"), &bytes).unwrap();
    fails(
        &cachet(
            d,
            &[
                "--database-url",
                "sqlite://new.db",
                "restore",
                "-i",
                "bad.cachet",
            ],
            "",
        ),
        "checksum",
    );
    assert!(!d.join("new.db").exists(), "a bad archive creates nothing");

    // Another format version is named.
    let v2 = head.replacen("\"version\":1,", "\"version\":2,", 1);
    std::fs::write(d.join("v2.cachet"), v2).unwrap();
    fails(
        &cachet(
            d,
            &[
                "--database-url",
                "sqlite://new.db",
                "restore",
                "-i",
                "v2.cachet",
            ],
            "",
        ),
        "version 2",
    );
}

/// The operator guide's move: a SQLite site exported and restored into PostgreSQL and into
/// MySQL (each a fresh schema or database of this test's own, dropped at the end) exports
/// the same content there. Runs when `CACHET_TEST_POSTGRES_URL` / `CACHET_TEST_MYSQL_URL`
/// are set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_sqlite_restore_into_postgres_and_mysql() {
    use cachet_store::sqlx::{self, Connection as _};

    let dir = TempDir::new("backup-move");
    let d = dir.path();
    ok(&cachet(
        d,
        &[
            "user",
            "create",
            "--email",
            "admin@example.com",
            "--role",
            "admin",
        ],
        "correct horse battery staple 42\n",
    ));
    ok(&cachet(d, &["export", "--output", "site.cachet"], ""));
    let name = format!(
        "cachet_bkcli_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros() % 1_000_000_000
    );
    let mut ran = 0;
    if let Ok(url) = std::env::var("CACHET_TEST_POSTGRES_URL") {
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let target = format!("{url}{sep}options=-csearch_path%3D{name}");
        let restored = restore_and_export(d, &target, "pg.cachet");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
            .execute(&mut admin)
            .await
            .unwrap();
        assert_eq!(
            restored,
            body(&d.join("site.cachet")),
            "SQLite -> PostgreSQL"
        );
        ran += 1;
    }
    if let Ok(url) = std::env::var("CACHET_TEST_MYSQL_URL") {
        let mut admin = sqlx::MySqlConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let target = format!("{base}/{name}");
        let restored = restore_and_export(d, &target, "mysql.cachet");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        assert_eq!(restored, body(&d.join("site.cachet")), "SQLite -> MySQL");
        ran += 1;
    }
    if ran == 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CACHET_TEST_POSTGRES_URL and CACHET_TEST_MYSQL_URL must be set in CI"
        );
        eprintln!("skipped: neither CACHET_TEST_POSTGRES_URL nor CACHET_TEST_MYSQL_URL is set");
    }
}

/// `cachet restore` of `site.cachet` into `url`, then `cachet export` of it to `out`; the
/// new archive's body.
fn restore_and_export(d: &Path, url: &str, out: &str) -> Vec<u8> {
    ok(&cachet(
        d,
        &["--database-url", url, "restore", "--input", "site.cachet"],
        "",
    ));
    ok(&cachet(
        d,
        &["--database-url", url, "export", "--output", out],
        "",
    ));
    body(&d.join(out))
}
