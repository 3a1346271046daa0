#![allow(clippy::unwrap_used, clippy::expect_used)]
//! PostgreSQL over TLS, for real: a cluster of the test's own (`pg_createcluster` on a free
//! port) with `ssl = on`, a server certificate for `localhost` signed by a CA made here, and
//! `hostssl`-only access, so a plaintext connection is refused. The conformance suite passes
//! over `sslmode=verify-full`; a wrong CA, a host name the certificate does not carry and a
//! server without TLS are refused with a [`TlsError`] naming the cause; a client certificate
//! logs in where `pg_hba.conf` asks for one.
//!
//! One cluster serves the whole test binary. Its name carries the process id; a watcher
//! process drops it once this process is gone (also after a panic or a kill), and every run
//! first drops the clusters of runs that are gone. The machine's own clusters are never
//! touched. Without `pg_createcluster` the tests say so and pass, except in CI (`CI` set),
//! where that is a failure.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::OnceLock;

use cachet_store::sqlx::postgres::PgConnectOptions;
use cachet_store::sqlx::{self, Connection, PgConnection};
use cachet_store::{PgStore, TlsError};

mod tls_support;

use tls_support::{
    TlsFiles, block_on, free_port, of_a_run_that_is_gone, run, run_quietly, server_tools,
    tls_cause, watch_and_clean_up, write,
};

/// Prefix of this test's cluster names; the rest is the process id.
const PREFIX: &str = "cachet_tls_";
/// The role that logs in with a client certificate (its certificate's common name).
const CERT_USER: &str = "cachet_cert";

/// The test's cluster and the files a client needs.
struct Cluster {
    port: u16,
    tls: TlsFiles,
}

impl Cluster {
    /// A URL for `host` with these query parameters.
    fn url(&self, host: &str, user: &str, query: &str) -> String {
        format!("postgres://{user}@{host}:{}/postgres?{query}", self.port)
    }

    /// `sslmode=verify-full` to `localhost` with the right CA.
    fn verified_url(&self) -> String {
        self.url(
            "localhost",
            "postgres",
            &format!("sslmode=verify-full&sslrootcert={}", self.tls.ca.display()),
        )
    }
}

/// A shell command that removes a cluster of this test for good: stopped at once (it holds
/// only test data), dropped, and whatever a drop cut short removed by hand.
fn drop_cluster_script(version: &str, name: &str) -> String {
    format!(
        "pg_ctlcluster --skip-systemctl-redirect {version} {name} stop -m immediate; \
         pg_dropcluster {version} {name}; \
         rm -rf /etc/postgresql/{version}/{name} /var/lib/postgresql/{version}/{name} \
         /var/log/postgresql/postgresql-{version}-{name}.log"
    )
}

/// Drops the clusters (or what is left of them) of earlier runs whose process is gone.
fn sweep_stale_clusters(version: &str) {
    for root in ["/etc/postgresql", "/var/lib/postgresql"] {
        let Ok(entries) = std::fs::read_dir(Path::new(root).join(version)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if of_a_run_that_is_gone(&name, PREFIX) {
                run_quietly(&drop_cluster_script(version, &name));
            }
        }
    }
}

/// The shared cluster, created on first use; `None` (after saying so) without
/// `pg_createcluster` outside CI.
fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(create).as_ref()
}

fn create() -> Option<Cluster> {
    if !server_tools(
        &[("pg_createcluster", "--help")],
        "pg_createcluster (PostgreSQL server packages) is required in CI",
        "pg_createcluster not found",
    ) {
        return None;
    }
    let version = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries beside pg_createcluster")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|v| v.parse::<u32>().ok())
        .max()
        .expect("a PostgreSQL version")
        .to_string();
    sweep_stale_clusters(&version);
    let name = format!("{PREFIX}{}", std::process::id());
    let port = free_port().to_string();

    // The watcher first, so the cluster goes even if creating it fails half-way.
    watch_and_clean_up(&drop_cluster_script(&version, &name));

    run(Command::new("pg_createcluster")
        .args([&version, &name, "-p", &port])
        // Test data only: no syncs to disk, here or in the server (on a slow disk they
        // took a minute).
        .args(["--", "--auth=trust", "--no-sync"])
        .stdout(Stdio::null()));
    let conf = Path::new("/etc/postgresql").join(&version).join(&name);

    let tls = TlsFiles::make(&conf, "cachet_", CERT_USER);
    let file = |n: &str| conf.join(n);
    let server_key = tls.server_key.to_str().unwrap();
    run(Command::new("chown").args(["postgres:postgres", server_key]));
    run(Command::new("chmod").args(["600", server_key]));

    let settings = format!(
        "\nssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\nssl_ca_file = '{}'\n\
         listen_addresses = 'localhost'\n\
         fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
        tls.server_cert.display(),
        tls.server_key.display(),
        tls.ca.display(),
    );
    let mut postgresql_conf = std::fs::OpenOptions::new()
        .append(true)
        .open(file("postgresql.conf"))
        .unwrap();
    postgresql_conf.write_all(settings.as_bytes()).unwrap();
    // TLS only over TCP; the certificate role only with its certificate.
    write(
        &file("pg_hba.conf"),
        &format!(
            "local all all trust\n\
             hostssl all {CERT_USER} 127.0.0.1/32 cert\n\
             hostssl all {CERT_USER} ::1/128 cert\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostssl all all ::1/128 trust\n"
        ),
    );
    run(Command::new("pg_ctlcluster")
        .arg("--skip-systemctl-redirect")
        .args([&version, &name, "start"])
        .stdout(Stdio::null()));

    let cluster = Cluster {
        port: port.parse().unwrap(),
        tls,
    };
    let url = cluster.verified_url();
    block_on(async {
        let mut admin = PgConnection::connect(&url)
            .await
            .expect("verify-full admin");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {CERT_USER} LOGIN"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
        admin.close().await.ok();
    });
    Some(cluster)
}

mod conformance {
    //! The Store conformance suite over `sslmode=verify-full`, a fresh schema per check.
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    async fn fresh() -> Option<PgStore> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let url = super::cluster()?.verified_url();
        let schema = format!("cachet_t_{}", SEQ.fetch_add(1, Ordering::Relaxed));
        let mut admin = PgConnection::connect(&url)
            .await
            .expect("verify-full admin");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        admin.close().await.ok();
        let options = PgConnectOptions::from_str(&url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        Some(
            PgStore::connect_with(options)
                .await
                .expect("postgres store over verify-full"),
        )
    }

    cachet_core::store_conformance_tests!(fresh);
}

#[test]
fn verify_full_connects_and_the_connection_is_encrypted() {
    let Some(cluster) = cluster() else { return };
    block_on(async {
        let mut conn = PgConnection::connect(&cluster.verified_url())
            .await
            .unwrap();
        let ssl: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert!(ssl, "the session is not encrypted");
    });
}

#[test]
fn a_server_certificate_from_another_ca_is_refused_as_unknown_issuer() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.url(
        "localhost",
        "postgres",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            cluster.tls.other_ca.display()
        ),
    );
    let err = block_on(PgStore::connect(&url)).unwrap_err();
    assert!(
        matches!(tls_cause(&err), TlsError::UnknownIssuer { .. }),
        "{:?}",
        tls_cause(&err)
    );
    // verify-ca checks the CA too.
    let url = url.replace("verify-full", "verify-ca");
    let err = block_on(PgStore::connect(&url)).unwrap_err();
    assert!(matches!(tls_cause(&err), TlsError::UnknownIssuer { .. }));
}

#[test]
fn a_host_the_certificate_does_not_name_is_refused_by_verify_full_only() {
    let Some(cluster) = cluster() else { return };
    let query = format!(
        "sslmode=verify-full&sslrootcert={}",
        cluster.tls.ca.display()
    );
    let url = cluster.url("127.0.0.1", "postgres", &query);
    let err = block_on(PgStore::connect(&url)).unwrap_err();
    let cause = tls_cause(&err);
    assert!(
        matches!(cause, TlsError::HostNameMismatch { .. }),
        "{cause:?}"
    );
    assert!(cause.to_string().contains("host name mismatch"), "{cause}");
    // verify-ca checks the chain but not the name.
    let url = url.replace("verify-full", "verify-ca");
    block_on(async {
        let conn = PgConnection::connect(&url)
            .await
            .expect("verify-ca by address");
        conn.close().await.ok();
    });
}

#[test]
fn a_plaintext_connection_is_refused_by_the_server() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.url("localhost", "postgres", "sslmode=disable");
    let err = block_on(PgConnection::connect(&url)).unwrap_err();
    let sqlx::Error::Database(db) = &err else {
        panic!("not refused by the server: {err}");
    };
    assert!(db.message().contains("no encryption"), "{}", db.message());
}

#[test]
fn a_client_certificate_logs_in_where_one_is_required() {
    let Some(cluster) = cluster() else { return };
    let base = format!(
        "sslmode=verify-full&sslrootcert={}",
        cluster.tls.ca.display()
    );
    let with_cert = format!(
        "{base}&sslcert={}&sslkey={}",
        cluster.tls.client_cert.display(),
        cluster.tls.client_key.display()
    );
    block_on(async {
        let url = cluster.url("localhost", CERT_USER, &with_cert);
        let mut conn = PgConnection::connect(&url)
            .await
            .expect("certificate login");
        let user: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(user, CERT_USER);
        conn.close().await.ok();

        let url = cluster.url("localhost", CERT_USER, &base);
        let err = PgConnection::connect(&url).await.unwrap_err();
        assert!(
            matches!(&err, sqlx::Error::Database(db) if db.message().contains("certificate")),
            "{err}"
        );
    });
}

#[test]
fn require_refuses_a_server_without_tls() {
    // What a PostgreSQL server without TLS does: it answers the client's SSLRequest with `N`.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        stream.read_exact(&mut request).unwrap();
        assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47], "an SSLRequest");
        stream.write_all(b"N").unwrap();
    });
    let url = format!("postgres://postgres:secret@127.0.0.1:{port}/postgres?sslmode=require");
    let err = block_on(PgStore::connect(&url)).unwrap_err();
    server.join().unwrap();
    let cause = tls_cause(&err);
    assert!(matches!(cause, TlsError::NotSupported { .. }), "{cause:?}");
    assert!(
        cause.to_string().contains("does not support TLS"),
        "{cause}"
    );
}
