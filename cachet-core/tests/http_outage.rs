//! Serving through a store outage, through `Cachet::handle` over a store that hangs or fails
//! on command (`testing::faults::FaultyStore`): what the cache holds is served as it stands
//! with `Age` (stale-if-error), what it does not hold answers `503` with `Retry-After`, writes
//! are refused at once while the store is known down, every read answers within its
//! deadline, and once the store answers again the pages are fresh.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};

use cachet_core::store::Store;
use cachet_core::store::memory::MemoryStore;
use cachet_core::testing::faults::FaultyStore;
use cachet_core::validate::HttpUrl;
use cachet_core::{Actor, Cachet, Config};

async fn new_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

const BACKOFF: Duration = Duration::from_millis(600);

/// A site over a faulty store, with short deadlines so the test is quick.
fn site() -> (Harness, Arc<FaultyStore>) {
    let faulty = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.web.snapshot.revision_deadline = Duration::from_millis(100);
    config.web.snapshot.render_deadline = Duration::from_millis(400);
    config.web.snapshot.outage_backoff = BACKOFF;
    let store: Arc<dyn Store> = faulty.clone();
    (Harness::over(store, config), faulty)
}

/// An admin's API token on the harness's site.
async fn admin_token(h: &Harness) -> String {
    h.admin_api_token().await
}

async fn send(c: &Cachet, method: &str, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut b = Request::builder().method(method).uri(path);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    c.handle(b.body(Bytes::new()).unwrap(), guest()).await
}

/// A guest's `GET`, which must answer within a second whatever the store does.
async fn get(c: &Cachet, path: &str) -> Response<Bytes> {
    let started = Instant::now();
    let r = send(c, "GET", path, &[]).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "{path} took {took:?}");
    r
}

fn assert_unavailable(r: &Response<Bytes>, what: &str) {
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    let retry: u64 = header(r, "retry-after").parse().unwrap_or(0);
    assert!(retry >= 1, "{what}: Retry-After {retry}");
}

const PUBLIC: &[&str] = &["/", "/api/v1/components", "/api/v2/summary.json"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_store_serves_the_cache_with_age_and_recovers() {
    let (h, faulty) = site();
    let c = &h.cachet;
    let token = admin_token(&h).await;
    c.create_component(&Actor::operator(), &component("Before"))
        .await
        .unwrap();
    let mut before = Vec::new();
    for path in PUBLIC {
        let r = get(c, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "age"), "", "{path}: fresh answers carry no Age");
        before.push(r.body().clone());
    }

    // A write moves the revision, then the database freezes: every page changed since its
    // render, and none may wait for the store.
    c.create_component(&Actor::operator(), &component("After"))
        .await
        .unwrap();
    faulty.hang();
    for (path, body) in PUBLIC.iter().zip(&before) {
        let r = get(c, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(header(&r, "age").parse::<u64>().is_ok(), "{path}: Age");
        assert_eq!(r.body(), body, "{path}: the answer as it stood");
    }
    // Under load too: every concurrent read answers within the deadline.
    let mut readers = Vec::new();
    for i in 0..40 {
        let c = c.clone();
        readers.push(tokio::spawn(async move {
            let path = PUBLIC[i % PUBLIC.len()];
            get(&c, path).await.status()
        }));
    }
    for r in readers {
        assert_eq!(r.await.unwrap(), StatusCode::OK);
    }
    // Nothing held for a key: 503 with Retry-After, never a hang or a 500.
    assert_unavailable(&get(c, "/api/v1/incidents").await, "never cached");
    assert_unavailable(&get(c, "/components/1").await, "never cached page");

    // Writes while the store is known down fail at once.
    for (path, hdrs) in [
        (
            "/api/v1/components",
            vec![("x-cachet-token", token.as_str())],
        ),
        ("/dashboard/components", vec![]),
    ] {
        let started = Instant::now();
        let r = send(c, "POST", path, &hdrs).await;
        assert!(started.elapsed() < Duration::from_millis(200), "{path}");
        assert_unavailable(&r, path);
    }
    let stats = c.snapshot_stats();
    assert!(stats.stale_if_error >= 3 + 40, "{stats:?}");
    assert!(stats.unavailable >= 2, "{stats:?}");
    assert!(faulty.held_calls() >= 1);

    // The database comes back: after the backoff one read probes it, and pages are fresh.
    faulty.heal();
    tokio::time::sleep(BACKOFF + Duration::from_millis(100)).await;
    let r = get(c, "/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "age"), "");
    assert!(String::from_utf8_lossy(r.body()).contains("After"));
    let r = get(c, "/api/v1/incidents").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(
        c,
        "POST",
        "/api/v1/components",
        &[
            ("x-cachet-token", token.as_str()),
            ("content-type", "application/json"),
        ],
    )
    .await;
    assert_ne!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "writes work again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_store_with_nothing_cached_answers_503() {
    let (h, faulty) = site();
    let c = &h.cachet;
    faulty.fail();
    for path in PUBLIC {
        assert_unavailable(&get(c, path).await, path);
    }
    // `/health` says so too, at once.
    assert_unavailable(&get(c, "/health").await, "/health");
    faulty.heal();
    tokio::time::sleep(BACKOFF + Duration::from_millis(100)).await;
    for path in PUBLIC {
        assert_eq!(get(c, path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_store_serves_what_is_cached() {
    let (h, faulty) = site();
    let c = &h.cachet;
    c.create_component(&Actor::operator(), &component("Kept"))
        .await
        .unwrap();
    for path in PUBLIC {
        assert_eq!(get(c, path).await.status(), StatusCode::OK, "{path}");
    }
    c.create_component(&Actor::operator(), &component("Unseen"))
        .await
        .unwrap();
    faulty.fail();
    for path in PUBLIC {
        let r = get(c, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(header(&r, "age").parse::<u64>().is_ok(), "{path}: Age");
        let body = String::from_utf8_lossy(r.body()).into_owned();
        assert!(!body.contains("Unseen"), "{path}: served as it stood");
    }
    faulty.heal();
    tokio::time::sleep(BACKOFF + Duration::from_millis(100)).await;
    let r = get(c, "/").await;
    assert!(String::from_utf8_lossy(r.body()).contains("Unseen"));
}

/// The store freezes after the revision check, in the middle of the render: the read still
/// answers within its deadline, with the answer held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_hangs_during_the_render_serves_what_is_held() {
    for spared in 1..=4 {
        let (h, faulty) = site();
        let c = &h.cachet;
        c.create_component(&Actor::operator(), &component("Kept"))
            .await
            .unwrap();
        let before = get(c, "/").await;
        assert_eq!(before.status(), StatusCode::OK);
        c.create_component(&Actor::operator(), &component("Unseen"))
            .await
            .unwrap();
        faulty.hang_after(spared);
        let r = get(c, "/").await;
        assert_eq!(r.status(), StatusCode::OK, "after {spared} calls");
        assert!(
            header(&r, "age").parse::<u64>().is_ok(),
            "after {spared} calls"
        );
        assert_eq!(r.body(), before.body(), "after {spared} calls");
        // Known down now: writes are refused at once.
        let w = send(c, "POST", "/api/v1/components", &[]).await;
        assert_unavailable(&w, "write after a hung render");
        faulty.heal();
    }
}

/// Statuspage's management API through an outage: a write refused while the store is known
/// down, and a read that finds the store stopped, both answer 503 with `Retry-After` in
/// Statuspage's error shape, never a hang or a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statuspage_management_api_answers_503_in_its_own_shape() {
    let (h, faulty) = site();
    let c = &h.cachet;
    let components = "/v1/pages/anypage/components";
    // Well-formed, so that it is looked up (and finds the store stopped).
    let token = cachet_core::auth::tokens::mint_api_token().unwrap().secret;
    faulty.fail();
    // The store is not yet known down: the token look-up finds it stopped.
    let started = Instant::now();
    let r = send(
        c,
        "GET",
        components,
        &[("authorization", &format!("OAuth {token}"))],
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["error"], body["message"]);
    assert!(body["error"].as_str().unwrap().contains("store"), "{body}");
    // Known down: a write is refused at once, in the same shape.
    assert_eq!(get(c, "/").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let w = send(
        c,
        "POST",
        components,
        &[("authorization", &format!("OAuth {token}"))],
    )
    .await;
    assert_unavailable(&w, "a management write while the store is down");
    let body: serde_json::Value = serde_json::from_slice(w.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "error": "The status page's store is not answering",
            "message": "The status page's store is not answering"
        })
    );
    faulty.heal();
}

/// A busy machine, not a hung store: every store call answers, each late, so the page's
/// render misses its deadline. The reader is served what is held, the store is not taken as
/// down (an admin's write still goes through), and the late render fills the cache itself, so
/// the next reader is served it fresh without a render of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_render_on_a_busy_machine_refuses_no_write_and_fills_the_cache() {
    let faulty = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.web.snapshot.revision_deadline = Duration::from_secs(3);
    config.web.snapshot.render_deadline = Duration::from_millis(600);
    config.web.snapshot.outage_backoff = BACKOFF;
    let store: Arc<dyn Store> = faulty.clone();
    let h = Harness::over(store, config);
    let c = &h.cachet;
    let token = admin_token(&h).await;
    c.create_component(&Actor::operator(), &component("Before"))
        .await
        .unwrap();
    let before = send(c, "GET", "/", &[]).await;
    assert_eq!(before.status(), StatusCode::OK);
    c.create_component(&Actor::operator(), &component("After"))
        .await
        .unwrap();

    faulty.slow(Duration::from_millis(150));
    let late = send(c, "GET", "/", &[]).await;
    assert_eq!(late.status(), StatusCode::OK);
    assert!(header(&late, "age").parse::<u64>().is_ok(), "held answer");
    assert_eq!(late.body(), before.body(), "the answer as it stood");
    let stats = c.snapshot_stats();
    assert_eq!(stats.late_renders, 1, "{stats:?}");

    // The render goes on and fills the cache when done.
    let waited = Instant::now();
    while c.snapshot_stats().late_fills == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the late render never filled the cache: {:?}",
            c.snapshot_stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    faulty.heal();
    let renders = c.snapshot_stats().renders;
    let fresh = send(c, "GET", "/", &[]).await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_eq!(header(&fresh, "age"), "", "fresh, not held");
    assert!(String::from_utf8_lossy(fresh.body()).contains("After"));
    assert_eq!(
        c.snapshot_stats().renders,
        renders,
        "served the late render"
    );

    // The store was never taken as down: a write on the still-busy store goes through.
    faulty.slow(Duration::from_millis(150));
    let write = Request::builder()
        .method("POST")
        .uri("/api/v1/components")
        .header("x-cachet-token", token.as_str())
        .header("content-type", "application/json")
        .body(Bytes::from_static(br#"{"name":"Written","status":1}"#))
        .unwrap();
    let w = c.handle(write, guest()).await;
    assert_eq!(w.status(), StatusCode::OK, "{:?}", w.body());
    faulty.heal();
}

/// A re-render for age that outlasts its request's deadline (the big page on a loaded
/// machine): the readers that come while it still runs are served the previous answer at
/// once, not made to wait out their own deadline behind it one after another (which held
/// every reader of a paced visitor's page for a whole `render_deadline` every
/// `max_render_age`). The one render goes on and fills the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_are_not_held_behind_a_rerender_for_age_that_outlasts_its_request() {
    let faulty = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.web.snapshot.revision_deadline = Duration::from_secs(3);
    config.web.snapshot.render_deadline = Duration::from_millis(300);
    config.web.snapshot.outage_backoff = BACKOFF;
    let store: Arc<dyn Store> = faulty.clone();
    let h = Harness::over(store, config);
    let c = &h.cachet;
    c.create_component(&Actor::operator(), &component("API"))
        .await
        .unwrap();
    let first = send(c, "GET", "/", &[]).await;
    assert_eq!(first.status(), StatusCode::OK);

    // Aged, same revision; every store call now late, so the re-render takes seconds.
    h.clock.advance(chrono::TimeDelta::seconds(11));
    faulty.slow(Duration::from_millis(150));
    let before = c.snapshot_stats();
    let renderer = send(c, "GET", "/", &[]).await;
    assert_eq!(renderer.status(), StatusCode::OK);
    assert_eq!(renderer.body(), first.body());
    let after_renderer = c.snapshot_stats();
    assert_eq!(after_renderer.renders, before.renders + 1);
    assert_eq!(after_renderer.late_renders, before.late_renders + 1);
    assert_eq!(
        after_renderer.late_fills, 0,
        "still rendering: {after_renderer:?}"
    );

    // Readers while it still runs: the previous answer, none of them late, no new render.
    for _ in 0..5 {
        let r = send(c, "GET", "/", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.body(), first.body());
    }
    let readers = c.snapshot_stats();
    assert_eq!(
        readers.late_fills, 0,
        "the render must still run: {readers:?}"
    );
    assert_eq!(
        readers.late_renders, after_renderer.late_renders,
        "{readers:?}"
    );
    assert_eq!(
        readers.stale_served,
        after_renderer.stale_served + 5,
        "{readers:?}"
    );
    assert_eq!(readers.renders, after_renderer.renders, "{readers:?}");

    // The render finishes and fills the cache; the next reader is served it.
    let waited = Instant::now();
    while c.snapshot_stats().late_fills == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the re-render never filled the cache: {:?}",
            c.snapshot_stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    faulty.heal();
    let fresh = send(c, "GET", "/", &[]).await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_eq!(header(&fresh, "age"), "", "fresh, not held");
    assert_eq!(c.snapshot_stats().renders, readers.renders);
}
