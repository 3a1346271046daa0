//! Shared rate limits through the public API: two `Cachet` facades, each with its own store
//! connection as two processes would have, on one database (a SQLite file, and PostgreSQL
//! when `CACHET_TEST_POSTGRES_URL` is set), with `WebConfig::shared_rate_limits` on. The
//! limited request is an anonymous API write: charged to the per-address API limit, never
//! cached, answered 401 while within the limit and 429 past it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use cachet_core::clock::ManualClock;
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::Store;
use cachet_core::testing::faults::FaultyStore;
use cachet_core::validate::HttpUrl;
use cachet_core::web::{Limit, RequestContext};
use cachet_core::{Cachet, Config};
use cachet_store::SqliteStore;

mod support;

/// The per-address API limit in these tests.
const LIMIT: u32 = 5;

fn config(shared: bool) -> Config {
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.web.rate_limits.api_per_address = Limit::new(LIMIT, Duration::from_secs(60));
    config.web.rate_limits.uncached_render = Limit::new(LIMIT, Duration::from_secs(60));
    config.web.shared_rate_limits = shared;
    config.web.shared_rate_limit_deadline = Duration::from_millis(200);
    config
}

/// One instance: a facade on its own connection to the database.
fn instance(store: Arc<dyn Store>, clock: &Arc<ManualClock>, shared: bool) -> Cachet {
    let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
    Cachet::with_clock(store, keyring, config(shared), clock.clone()).unwrap()
}

/// A SQLite file no other test uses, and a fresh connection to it.
struct SqliteFile(std::path::PathBuf);

impl SqliteFile {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join("cachet-shared-limit-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Self(path)
    }

    async fn connect(&self) -> Arc<dyn Store> {
        Arc::new(
            SqliteStore::connect(&format!("sqlite://{}", self.0.display()))
                .await
                .unwrap(),
        )
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// An anonymous API write from one address: charged to the per-address limit.
async fn api_write(c: &Cachet) -> Response<Bytes> {
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/incidents")
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(Bytes::from_static(b"{}"))
        .unwrap();
    let cx = RequestContext {
        peer: Some("198.51.100.7:4000".parse().unwrap()),
        principal: None,
    };
    let started = Instant::now();
    let r = c.handle(req, cx).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a limited request answers promptly"
    );
    assert!(
        !r.status().is_server_error(),
        "a rate-limited route never fails: {}",
        r.status()
    );
    r
}

fn header(r: &Response<Bytes>, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Sends `n` requests alternating between the instances; how many were allowed.
async fn alternate(instances: &[&Cachet], n: usize) -> usize {
    let mut allowed = 0;
    for i in 0..n {
        let r = api_write(instances[i % instances.len()]).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = header(&r, "retry-after").parse().unwrap();
            assert!(retry >= 1, "a refusal says when to come back");
            assert_eq!(header(&r, "x-ratelimit-limit"), LIMIT.to_string());
            assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
        } else {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(header(&r, "x-ratelimit-limit"), LIMIT.to_string());
            allowed += 1;
            let remaining: usize = header(&r, "x-ratelimit-remaining").parse().unwrap();
            assert_eq!(
                remaining,
                LIMIT as usize - allowed,
                "the remaining budget is the shared one"
            );
        }
    }
    allowed
}

/// Two instances on one database allow the limit together, not once each.
async fn two_instances_share_one_budget(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let (one, two) = (instance(a, &clock, true), instance(b, &clock, true));
    assert_eq!(
        alternate(&[&one, &two], 3 * LIMIT as usize).await,
        LIMIT as usize
    );
    assert_eq!(one.limiters().shared_fallbacks(), 0, "the store answered");
    assert_eq!(two.limiters().shared_fallbacks(), 0, "the store answered");
}

#[tokio::test]
async fn two_instances_on_one_sqlite_file_allow_the_limit_together_not_twice() {
    let file = SqliteFile::new("together");
    two_instances_share_one_budget(file.connect().await, file.connect().await).await;
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_allow_the_limit_together_not_twice() {
    let Some(db) = pg::Schema::fresh().await else {
        return;
    };
    two_instances_share_one_budget(db.connect().await, db.connect().await).await;
    db.drop_schema().await;
}

#[tokio::test]
async fn a_restarted_instance_keeps_the_count() {
    let file = SqliteFile::new("restart");
    let clock = Arc::new(ManualClock::at_epoch_2026());
    {
        let before = instance(file.connect().await, &clock, true);
        assert_eq!(alternate(&[&before], 3).await, 3);
    }
    // A new process: a new facade, fresh local limiters, a new connection.
    let after = instance(file.connect().await, &clock, true);
    let mut allowed = 0;
    for _ in 0..LIMIT {
        if api_write(&after).await.status() == StatusCode::UNAUTHORIZED {
            allowed += 1;
        }
    }
    assert_eq!(
        allowed,
        LIMIT - 3,
        "only what the first run left is allowed"
    );
}

/// A guest's read of the status page that cannot be answered from the snapshot cache (it has
/// a body), so it pays the uncached-render limit before anything reads the store (the API
/// reads the store before its limit, so it answers an outage before limiting). Its answer is
/// the limiter's 429 or, once the limiter let it through, the store's outage (503), never an
/// error of the limiter; `None` when the render still waits for a hanging store after `wait`.
async fn render_in_outage(c: &Cachet, wait: Duration) -> Option<StatusCode> {
    let req = Request::builder()
        .method("GET")
        .uri("/")
        .body(Bytes::from_static(b"x"))
        .unwrap();
    let cx = RequestContext {
        peer: Some("198.51.100.7:4000".parse().unwrap()),
        principal: None,
    };
    let r = tokio::time::timeout(wait, c.handle(req, cx)).await.ok()?;
    let status = r.status();
    assert!(
        status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE,
        "refused by the limiter, or by the store's outage after it: {status}"
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        assert!(header(&r, "retry-after").parse::<u64>().unwrap() >= 1);
    }
    Some(status)
}

#[tokio::test]
async fn with_the_store_failing_the_local_limiter_still_limits_and_nothing_errors() {
    let file = SqliteFile::new("failing");
    let faulty = Arc::new(FaultyStore::new(file.connect().await));
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let c = instance(faulty.clone(), &clock, true);
    faulty.fail();
    let mut refused = 0;
    for _ in 0..2 * LIMIT {
        let started = Instant::now();
        let status = render_in_outage(&c, Duration::from_secs(2)).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "answered at once"
        );
        if status == Some(StatusCode::TOO_MANY_REQUESTS) {
            refused += 1;
        }
    }
    assert_eq!(
        refused, LIMIT,
        "the local limiter lets the limit through and refuses the rest"
    );
    assert!(c.limiters().shared_fallbacks() >= 1);
    assert_eq!(c.limiters().shared_answers(), 0);
}

#[tokio::test]
async fn with_the_store_hanging_the_local_limiter_decides_within_the_deadline() {
    let file = SqliteFile::new("hanging");
    let faulty = Arc::new(FaultyStore::new(file.connect().await));
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let c = instance(faulty.clone(), &clock, true);
    faulty.hang();
    let mut refused = 0;
    for i in 0..2 * LIMIT {
        let started = Instant::now();
        // What the limiter lets through then waits in the render for the store (the
        // store's outage, not the limiter's): given up on here after 400 ms.
        match render_in_outage(&c, Duration::from_millis(400)).await {
            Some(StatusCode::TOO_MANY_REQUESTS) => {
                refused += 1;
                assert!(
                    started.elapsed() < Duration::from_millis(100),
                    "a refusal does not wait for the store"
                );
            }
            other => assert_eq!(other, None, "request {i}"),
        }
        if i == 0 {
            assert_eq!(
                c.limiters().shared_fallbacks(),
                1,
                "the shared check gave up at its deadline and the local limiter decided"
            );
        }
    }
    assert_eq!(
        refused, LIMIT,
        "the local limiter lets the limit through and refuses the rest"
    );
    assert!(faulty.held_calls() >= 1);
    faulty.heal();
}

#[tokio::test]
async fn with_sharing_off_each_instance_limits_alone_as_before() {
    let file = SqliteFile::new("off");
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let store = file.connect().await;
    let (one, two) = (
        instance(store.clone(), &clock, false),
        instance(file.connect().await, &clock, false),
    );
    let mut allowed = 0;
    for c in [&one, &two] {
        for _ in 0..2 * LIMIT {
            if api_write(c).await.status() == StatusCode::UNAUTHORIZED {
                allowed += 1;
            }
        }
    }
    assert_eq!(allowed, 2 * LIMIT, "each instance allows the limit alone");
    assert!(!one.limiters().is_shared());
    let far = cachet_core::clock::Timestamp::MAX_UTC;
    assert_eq!(
        store.prune_rate_limits(far).await.unwrap(),
        0,
        "nothing was counted in the store"
    );
}

mod pg {
    use std::str::FromStr;
    use std::sync::Arc;

    use cachet_core::store::Store;
    use cachet_store::PgStore;
    use cachet_store::sqlx::{self, Connection, PgConnection, postgres::PgConnectOptions};

    /// A schema of its own on the test server, dropped at the end.
    pub struct Schema {
        url: String,
        name: String,
    }

    impl Schema {
        pub async fn fresh() -> Option<Self> {
            let url = crate::support::url_from_env("CACHET_TEST_POSTGRES_URL")?;
            let name = format!("cachet_sl_{}", std::process::id());
            let mut admin = PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            admin.close().await.ok();
            Some(Self { url, name })
        }

        pub async fn connect(&self) -> Arc<dyn Store> {
            let options = PgConnectOptions::from_str(&self.url)
                .unwrap()
                .options([("search_path", self.name.as_str())]);
            Arc::new(PgStore::connect_with(options).await.unwrap())
        }

        pub async fn drop_schema(self) {
            let mut admin = PgConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                self.name
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn background_pruning_forgets_keys_whose_windows_have_ended() {
    let file = SqliteFile::new("prune");
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let store = file.connect().await;
    let c = instance(store.clone(), &clock, true);
    api_write(&c).await;
    let first = c.retention_tick().await.unwrap();
    assert_eq!(first.rate_limits_pruned, 0, "a live window is kept");
    // Past two of the longest period (sign-in's ten minutes) and the prune interval.
    clock.advance(chrono::TimeDelta::minutes(21));
    let later = c.retention_tick().await.unwrap();
    assert!(later.pruned);
    assert_eq!(later.rate_limits_pruned, 1, "the ended key is forgotten");
}

/// The cost of one shared check per backend, against the local limiter in the same run, and
/// of a whole limited request with sharing off and on. Manual (BENCHMARKS.md):
/// `cargo test --release -p cachet-store --test shared_rate_limits -- --ignored --nocapture bench_`
/// (PostgreSQL and MySQL when their URLs are set; `CACHET_BENCH_CHECKS`, default 2000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by hand"]
async fn bench_shared_check_cost() {
    use cachet_core::store::{RateLimitKey, RateLimitWindow};

    let n: u32 = std::env::var("CACHET_BENCH_CHECKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let big = Limit::new(u32::MAX / 2, Duration::from_secs(60));
    let mut cfg = config(false);
    cfg.web.rate_limits.api_per_address = big;
    let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
    let memory = Arc::new(cachet_core::store::memory::MemoryStore::new());
    let c = Cachet::new(memory, keyring, cfg).unwrap();
    let limiters = c.limiters();
    let ip: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(limiters.api_address(ip));
    }
    let local = started.elapsed() / n;
    println!("local limiter: {local:?} a check");

    let file = SqliteFile::new("bench");
    let mut backends: Vec<(&str, Arc<dyn Store>)> = vec![
        (
            "memory",
            Arc::new(cachet_core::store::memory::MemoryStore::new()),
        ),
        ("sqlite file", file.connect().await),
    ];
    let pg = pg::Schema::fresh().await;
    if let Some(db) = &pg {
        backends.push(("postgres", db.connect().await));
    }
    let mysql = match std::env::var("CACHET_TEST_MYSQL_URL") {
        Ok(url) => Some(my::Database::fresh(url).await),
        Err(_) => None,
    };
    if let Some(db) = &mysql {
        backends.push(("mysql", db.connect().await));
    }
    let key = RateLimitKey::new("api_address:ip:198.51.100.7").unwrap();
    for (name, store) in &backends {
        let window = RateLimitWindow::containing(
            cachet_core::clock::Timestamp::from_timestamp(1_767_225_600, 0).unwrap(),
            Duration::from_secs(60),
        );
        let _ = store
            .prune_rate_limits(cachet_core::clock::Timestamp::MAX_UTC)
            .await;
        let started = Instant::now();
        for _ in 0..n {
            store
                .hit_rate_limit(&key, window, u32::MAX / 2)
                .await
                .unwrap();
        }
        let shared = started.elapsed() / n;
        println!(
            "{name}: {shared:?} a shared check, {:.1}x the local limiter",
            shared.as_secs_f64() / local.as_secs_f64()
        );
        // A whole limited request (an anonymous API write, answered 401), off and on.
        let clock = Arc::new(ManualClock::at_epoch_2026());
        let mut per_request = Vec::new();
        for shared in [false, true] {
            let mut cfg = config(shared);
            cfg.web.rate_limits.api_per_address = big;
            let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
            let c = Cachet::with_clock(store.clone(), keyring, cfg, clock.clone()).unwrap();
            let started = Instant::now();
            for _ in 0..n {
                api_write(&c).await;
            }
            per_request.push(started.elapsed() / n);
        }
        println!(
            "{name}: a limited request {:?} with local limits, {:?} shared ({:+.0} %)",
            per_request[0],
            per_request[1],
            (per_request[1].as_secs_f64() / per_request[0].as_secs_f64() - 1.0) * 100.0
        );
    }
    if let Some(db) = pg {
        db.drop_schema().await;
    }
    if let Some(db) = mysql {
        db.drop_database().await;
    }
}

mod my {
    use std::str::FromStr;
    use std::sync::Arc;

    use cachet_core::store::Store;
    use cachet_store::MySqlStore;
    use cachet_store::sqlx::{self, Connection, MySqlConnection, mysql::MySqlConnectOptions};

    /// A database of its own on the test server, dropped at the end.
    pub struct Database {
        url: String,
        name: String,
    }

    impl Database {
        pub async fn fresh(url: String) -> Self {
            let name = format!("cachet_sl_{}", std::process::id());
            let mut admin = MySqlConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}; \
                 CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            admin.close().await.ok();
            Self { url, name }
        }

        pub async fn connect(&self) -> Arc<dyn Store> {
            let options = MySqlConnectOptions::from_str(&self.url)
                .unwrap()
                .database(&self.name);
            Arc::new(MySqlStore::connect_with(options).await.unwrap())
        }

        pub async fn drop_database(self) {
            let mut admin = MySqlConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {}",
                self.name
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }
}
