#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MariaDB over TLS, for real: a `mariadbd` of the test's own (its own data directory, a free
//! port, `--require-secure-transport`), with a server certificate for `localhost` signed by a
//! CA made here. The conformance suite passes over `ssl-mode=VERIFY_IDENTITY`; a wrong CA and
//! a host name the certificate does not carry are refused with a [`TlsError`] naming the
//! cause, a plaintext connection is refused by the server, and a user created
//! `REQUIRE X509` logs in with its client certificate.
//!
//! One server serves the whole test binary. Its directory carries the process id; a watcher
//! process kills the server and removes the directory once this process is gone, and every
//! run first removes those of runs that are gone. The machine's own MariaDB is never
//! touched. Without `mariadbd` the tests say so and pass, except in CI (`CI` set), where that
//! is a failure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cachet_store::sqlx::mysql::MySqlConnectOptions;
use cachet_store::sqlx::{self, Connection, MySqlConnection};
use cachet_store::{MySqlStore, TlsError};

mod tls_support;

use tls_support::{
    TlsFiles, block_on, free_port, of_a_run_that_is_gone, run, run_quietly, server_tools,
    tls_cause, watch_and_clean_up,
};

/// Prefix of this test's server directories (in the temp dir); the rest is the process id.
const PREFIX: &str = "cachet-tls-mariadb-";
/// The user that must log in with a client certificate.
const CERT_USER: &str = "cachet_cert";

/// The test's server and the files a client needs.
struct Server {
    port: u16,
    tls: TlsFiles,
}

impl Server {
    /// A URL for `host` with these query parameters.
    fn url(&self, host: &str, user: &str, query: &str) -> String {
        format!("mysql://{user}@{host}:{}/?{query}", self.port)
    }

    /// `ssl-mode=VERIFY_IDENTITY` to `localhost` with the right CA.
    fn verified_url(&self) -> String {
        self.url(
            "localhost",
            "root",
            &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={}", self.tls.ca.display()),
        )
    }
}

/// A shell command that removes a server of this test for good.
fn remove_script(dir: &Path) -> String {
    let dir = dir.display();
    format!("[ -f {dir}/mariadbd.pid ] && kill -9 $(cat {dir}/mariadbd.pid); rm -rf {dir}")
}

/// Removes the servers of earlier runs whose process is gone.
fn sweep_stale_servers() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if of_a_run_that_is_gone(&entry.file_name().to_string_lossy(), PREFIX) {
            run_quietly(&remove_script(&entry.path()));
        }
    }
}

fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER.get_or_init(start).as_ref()
}

fn start() -> Option<Server> {
    if !server_tools(
        &[("mariadbd", "--version"), ("mariadb-install-db", "--help")],
        "mariadbd and mariadb-install-db (MariaDB server packages) are required in CI",
        "mariadbd not found",
    ) {
        return None;
    }
    sweep_stale_servers();
    let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The watcher first, so the server goes even if starting it fails half-way.
    watch_and_clean_up(&remove_script(&dir));

    let file = |n: &str| dir.join(n);
    let tls = TlsFiles::make(&dir, "", CERT_USER);

    let data = file("data");
    run(Command::new("mariadb-install-db")
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ])
        .stdout(Stdio::null()));
    let port = free_port();
    let arg = |k: &str, v: &Path| format!("--{k}={}", v.display());
    // Never waited on: it serves until the watcher kills it, after this process is gone.
    #[allow(clippy::zombie_processes)]
    let _mariadbd = Command::new("mariadbd")
        .arg("--no-defaults")
        .arg(arg("datadir", &data))
        .arg(format!("--port={port}"))
        .arg(arg("socket", &file("mariadbd.sock")))
        .arg(arg("pid-file", &file("mariadbd.pid")))
        .arg(arg("log-error", &file("mariadbd.err")))
        .arg(arg("ssl-ca", &tls.ca))
        .arg(arg("ssl-cert", &tls.server_cert))
        .arg(arg("ssl-key", &tls.server_key))
        .args([
            "--require-secure-transport=ON",
            "--bind-address=127.0.0.1",
            "--user=root",
            // Test data only: small and without syncs to disk.
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--innodb-file-per-table=OFF",
            "--skip-log-bin",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mariadbd");

    let server = Server { port, tls };
    let url = server.verified_url();
    block_on(async {
        let started = Instant::now();
        let mut admin = loop {
            match MySqlConnection::connect(&url).await {
                Ok(conn) => break conn,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!(
                    "mariadbd did not come up over TLS: {e}; log: {}",
                    std::fs::read_to_string(file("mariadbd.err")).unwrap_or_default()
                ),
            }
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE USER {CERT_USER}@'%' REQUIRE X509; GRANT ALL ON *.* TO {CERT_USER}@'%'"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
        admin.close().await.ok();
    });
    Some(server)
}

mod conformance {
    //! The Store conformance suite over `ssl-mode=VERIFY_IDENTITY`, a fresh database per
    //! check.
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    async fn fresh() -> Option<MySqlStore> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let url = super::server()?.verified_url();
        let database = format!("cachet_t_{}", SEQ.fetch_add(1, Ordering::Relaxed));
        let mut admin = MySqlConnection::connect(&url)
            .await
            .expect("VERIFY_IDENTITY admin");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.ok();
        let options = MySqlConnectOptions::from_str(&url)
            .unwrap()
            .database(&database);
        Some(
            MySqlStore::connect_with(options)
                .await
                .expect("mysql store over VERIFY_IDENTITY"),
        )
    }

    cachet_core::store_conformance_tests!(fresh);
}

#[test]
fn verify_identity_connects_and_the_connection_is_encrypted() {
    let Some(server) = server() else { return };
    block_on(async {
        let mut conn = MySqlConnection::connect(&server.verified_url())
            .await
            .unwrap();
        let (_, cipher): (String, String) = sqlx::query_as("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(!cipher.is_empty(), "the session is not encrypted");
    });
}

#[test]
fn a_server_certificate_from_another_ca_is_refused_as_unknown_issuer() {
    let Some(server) = server() else { return };
    let url = server.url(
        "localhost",
        "root",
        &format!(
            "ssl-mode=VERIFY_IDENTITY&ssl-ca={}",
            server.tls.other_ca.display()
        ),
    );
    let err = block_on(MySqlStore::connect(&url)).unwrap_err();
    assert!(
        matches!(tls_cause(&err), TlsError::UnknownIssuer { .. }),
        "{:?}",
        tls_cause(&err)
    );
    let url = url.replace("VERIFY_IDENTITY", "VERIFY_CA");
    let err = block_on(MySqlStore::connect(&url)).unwrap_err();
    assert!(matches!(tls_cause(&err), TlsError::UnknownIssuer { .. }));
}

#[test]
fn a_host_the_certificate_does_not_name_is_refused_by_verify_identity_only() {
    let Some(server) = server() else { return };
    let query = format!(
        "ssl-mode=VERIFY_IDENTITY&ssl-ca={}",
        server.tls.ca.display()
    );
    let url = server.url("127.0.0.1", "root", &query);
    let err = block_on(MySqlStore::connect(&url)).unwrap_err();
    let cause = tls_cause(&err);
    assert!(
        matches!(cause, TlsError::HostNameMismatch { .. }),
        "{cause:?}"
    );
    let url = url.replace("VERIFY_IDENTITY", "VERIFY_CA");
    block_on(async {
        let conn = MySqlConnection::connect(&url)
            .await
            .expect("VERIFY_CA by address");
        conn.close().await.ok();
    });
}

#[test]
fn a_plaintext_connection_is_refused_by_the_server() {
    let Some(server) = server() else { return };
    // The same user and URL but for the transport: TLS logs in, plaintext is refused.
    let url = server.url("localhost", "root", "ssl-mode=REQUIRED");
    block_on(async {
        let conn = MySqlConnection::connect(&url).await.expect("TLS login");
        conn.close().await.ok();
    });
    let url = url.replace("REQUIRED", "DISABLED");
    let err = block_on(MySqlConnection::connect(&url)).unwrap_err();
    let sqlx::Error::Database(db) = &err else {
        panic!("not refused by the server: {err}");
    };
    // MariaDB answers a plaintext login under --require-secure-transport with "Access
    // denied" (MySQL names the transport instead).
    let message = db.message();
    assert!(
        message.contains("insecure transport") || message.contains("Access denied"),
        "{message}"
    );
}

#[test]
fn a_client_certificate_logs_in_where_one_is_required() {
    let Some(server) = server() else { return };
    let base = format!(
        "ssl-mode=VERIFY_IDENTITY&ssl-ca={}",
        server.tls.ca.display()
    );
    let with_cert = format!(
        "{base}&ssl-cert={}&ssl-key={}",
        server.tls.client_cert.display(),
        server.tls.client_key.display()
    );
    block_on(async {
        let url = server.url("localhost", CERT_USER, &with_cert);
        let mut conn = MySqlConnection::connect(&url)
            .await
            .expect("certificate login");
        let user: String = sqlx::query_scalar("SELECT CAST(CURRENT_USER() AS CHAR)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(user.starts_with(CERT_USER), "{user}");
        conn.close().await.ok();

        let url = server.url("localhost", CERT_USER, &base);
        let err = MySqlConnection::connect(&url).await.unwrap_err();
        assert!(matches!(&err, sqlx::Error::Database(_)), "{err}");
    });
}
