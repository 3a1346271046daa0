//! The `cachet-core` Store conformance suite on every backend.
//!
//! SQLite always runs (a fresh in-memory database per check). PostgreSQL and MySQL run when
//! `CACHET_TEST_POSTGRES_URL` / `CACHET_TEST_MYSQL_URL` are set; each check gets a fresh schema
//! or database with a random name, so checks run in parallel without interfering. Without
//! the variable a check is skipped, except in CI (`CI` set), where that is a failure.

mod support;

mod sqlite {
    use cachet_store::SqliteStore;

    async fn fresh() -> Option<SqliteStore> {
        Some(
            SqliteStore::connect("sqlite::memory:")
                .await
                .expect("in-memory SQLite store"),
        )
    }

    cachet_core::store_conformance_tests!(fresh);
}

mod sqlite_file {
    //! The same checks on a file database: WAL, the separate read pool and the one writer.
    use cachet_store::SqliteStore;

    async fn fresh() -> Option<SqliteStore> {
        let dir = std::env::temp_dir().join("cachet-store-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        static CLEANED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if super::support::first_call(&CLEANED) {
            for entry in std::fs::read_dir(&dir).expect("read temp dir").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if super::support::is_stale(&name, "c") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let path = dir.join(format!("{}.db", super::support::unique_name("c")));
        Some(
            SqliteStore::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("file SQLite store"),
        )
    }

    cachet_core::store_conformance_tests!(fresh);
}

mod postgres {
    use std::str::FromStr;

    use std::sync::atomic::AtomicBool;

    use cachet_store::PgStore;
    use cachet_store::sqlx::{self, Connection, PgConnection, postgres::PgConnectOptions};

    async fn fresh() -> Option<PgStore> {
        let url = super::support::url_from_env("CACHET_TEST_POSTGRES_URL")?;
        let schema = super::support::unique_name("cachet_t_");
        let mut admin = PgConnection::connect(&url)
            .await
            .expect("connect to CACHET_TEST_POSTGRES_URL");
        static CLEANED: AtomicBool = AtomicBool::new(false);
        if super::support::first_call(&CLEANED) {
            let schemas: Vec<String> = sqlx::query_scalar(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'cachet_t_%'",
            )
            .fetch_all(&mut admin)
            .await
            .expect("list test schemas");
            for schema in schemas
                .into_iter()
                .filter(|s| super::support::is_stale(s, "cachet_t_"))
            {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&mut admin)
                .await;
            }
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        admin.close().await.ok();
        let options = PgConnectOptions::from_str(&url)
            .expect("postgres URL")
            .options([("search_path", schema.as_str())]);
        Some(
            PgStore::connect_with(options)
                .await
                .expect("postgres store"),
        )
    }

    cachet_core::store_conformance_tests!(fresh);
}

mod mysql {
    use std::str::FromStr;

    use std::sync::atomic::AtomicBool;

    use cachet_store::MySqlStore;
    use cachet_store::sqlx::{self, Connection, MySqlConnection, mysql::MySqlConnectOptions};

    async fn fresh() -> Option<MySqlStore> {
        let url = super::support::url_from_env("CACHET_TEST_MYSQL_URL")?;
        let database = super::support::unique_name("cachet_t_");
        let mut admin = MySqlConnection::connect(&url)
            .await
            .expect("connect to CACHET_TEST_MYSQL_URL");
        static CLEANED: AtomicBool = AtomicBool::new(false);
        if super::support::first_call(&CLEANED) {
            let databases: Vec<String> = sqlx::query_scalar(
                "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name LIKE 'cachet_t_%'",
            )
            .fetch_all(&mut admin)
            .await
            .expect("list test databases");
            for db in databases
                .into_iter()
                .filter(|d| super::support::is_stale(d, "cachet_t_"))
            {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
                    .execute(&mut admin)
                    .await;
            }
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.ok();
        let options = MySqlConnectOptions::from_str(&url)
            .expect("mysql URL")
            .database(&database);
        Some(
            MySqlStore::connect_with(options)
                .await
                .expect("mysql store"),
        )
    }

    cachet_core::store_conformance_tests!(fresh);
}
