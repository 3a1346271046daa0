//! The failover mirror (`web::mirror`, feature `mirror`) against object_store's in-memory
//! store: what a publish holds (every public answer, byte for byte what a guest gets, with
//! its content type; every link of the pages resolvable; nothing per visitor), that only
//! changes are uploaded and deleted pages removed, that an outage unpublishes nothing, and
//! that the background work publishes once per burst of writes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> Arc<dyn cachet_core::store::Store> {
    Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};

use cachet_core::model::*;
use cachet_core::testing::faults::FaultyStore;
use cachet_core::validate::{HttpUrl, Markdown};
use cachet_core::web::RequestContext;
use cachet_core::web::mirror::{Layout, Mirror, MirrorConfig};
use cachet_core::{Actor, Cachet, Config};

const BASE: &str = "https://status.example.com";

async fn guest(cachet: &Cachet, path: &str) -> Response<Bytes> {
    let req = Request::get(path).body(Bytes::new()).unwrap();
    cachet.handle(req, RequestContext::default()).await
}

/// Every object of the bucket: key -> (body, content type).
async fn bucket(store: &InMemory) -> BTreeMap<String, (Bytes, String)> {
    use futures_util::TryStreamExt as _;
    let metas: Vec<_> = store.list(None).try_collect().await.unwrap();
    let mut out = BTreeMap::new();
    for meta in metas {
        let got = store.get(&meta.location).await.unwrap();
        let ctype = got
            .attributes
            .get(&object_store::Attribute::ContentType)
            .map(|v| v.to_string())
            .unwrap_or_default();
        out.insert(
            meta.location.to_string(),
            (got.bytes().await.unwrap(), ctype),
        );
    }
    out
}

async fn site(h: &Harness) -> (Component, Incident) {
    let op = Actor::operator();
    let c = h
        .cachet
        .create_component(&op, &component("API"))
        .await
        .unwrap();
    let i = incident(h, "Database slow").await;
    (c, i)
}

async fn incident(h: &Harness, title: &str) -> Incident {
    h.cachet
        .create_incident(
            &Actor::operator(),
            &NewIncident::new(
                name(title),
                IncidentStatus::Investigating,
                Markdown::parse("We are looking into it.").unwrap(),
                h.clock_now(),
            ),
        )
        .await
        .unwrap()
}

/// The links of a page that name this site, as object keys.
fn local_keys(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("[href], [src]").unwrap();
    let mut keys = Vec::new();
    for el in doc.select(&sel) {
        let link = el
            .value()
            .attr("href")
            .or_else(|| el.value().attr("src"))
            .unwrap();
        let link = link.split(['#', '?']).next().unwrap();
        let path = if let Some(rest) = link.strip_prefix(BASE) {
            rest.to_owned()
        } else if link.starts_with('/') && !link.starts_with("//") {
            link.to_owned()
        } else {
            continue;
        };
        keys.push(match path.as_str() {
            "" | "/" => "index.html".to_owned(),
            p => p.trim_start_matches('/').to_owned(),
        });
    }
    keys
}

#[tokio::test]
async fn a_publish_holds_every_public_answer_as_a_guest_gets_it_and_nothing_per_visitor() {
    let h = Harness::new().await;
    let (c, i) = site(&h).await;
    let store = Arc::new(InMemory::new());
    let mirror = Mirror::new(MirrorConfig::new(store.clone()));
    let report = mirror.publish(&h.cachet).await.unwrap();
    assert_eq!(report.uploaded, report.objects);
    let objects = bucket(&store).await;

    // The pages, feeds, badges, JSON and assets, each as a guest gets it.
    let expect = [
        ("index.html", "/", "text/html; charset=utf-8"),
        (
            &format!("incidents/{}", i.id),
            &format!("/incidents/{}", i.id),
            "text/html; charset=utf-8",
        ),
        (
            &format!("components/{}", c.id),
            &format!("/components/{}", c.id),
            "text/html; charset=utf-8",
        ),
        (
            &format!("components/{}/badge.svg", c.id),
            &format!("/components/{}/badge.svg", c.id),
            "image/svg+xml",
        ),
        ("badge.svg", "/badge.svg", "image/svg+xml"),
        ("rss", "/rss", "application/rss+xml; charset=utf-8"),
        ("atom", "/atom", "application/atom+xml; charset=utf-8"),
        (
            "history.rss",
            "/history.rss",
            "application/rss+xml; charset=utf-8",
        ),
        (
            "schedules.ics",
            "/schedules.ics",
            "text/calendar; charset=utf-8",
        ),
        (
            "api/v2/summary.json",
            "/api/v2/summary.json",
            "application/json",
        ),
        (
            "api/v2/incidents/unresolved.json",
            "/api/v2/incidents/unresolved.json",
            "application/json",
        ),
        (
            "api/v2/scheduled-maintenances/upcoming.json",
            "/api/v2/scheduled-maintenances/upcoming.json",
            "application/json",
        ),
    ];
    for (key, path, _) in &expect {
        let live = guest(&h.cachet, path).await;
        assert_eq!(live.status(), StatusCode::OK, "{path}");
        let (body, ctype) = objects.get(*key).unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(body, live.body(), "{key} differs from the live answer");
        let live_type = live.headers()["content-type"].to_str().unwrap();
        assert_eq!(ctype, live_type, "{key}");
    }
    for (key, _, ctype) in &expect {
        assert!(
            objects[*key]
                .1
                .starts_with(ctype.split(';').next().unwrap()),
            "{key}: {}",
            objects[*key].1
        );
    }
    let css = objects
        .keys()
        .find(|k| k.starts_with("assets/cachet.") && k.ends_with(".css"))
        .expect("the stylesheet");
    assert_eq!(objects[css].1, "text/css; charset=utf-8");

    // Every link of every mirrored page resolves to an object.
    for (key, (body, ctype)) in &objects {
        if !ctype.starts_with("text/html") {
            continue;
        }
        for link in local_keys(&String::from_utf8_lossy(body)) {
            assert!(
                objects.contains_key(&link),
                "{key} links {link}, not in the bucket"
            );
        }
    }
    // The subscribe link leads to the read-only stand-in, not a form.
    let stand_in = String::from_utf8_lossy(&objects["subscribe"].0).into_owned();
    assert!(stand_in.contains("read-only"), "{stand_in}");
    assert!(objects.contains_key("404.html"));

    // Nothing per visitor, nothing a write could reach.
    for (key, (body, _)) in &objects {
        let text = String::from_utf8_lossy(body).to_ascii_lowercase();
        for needle in ["<form", "_token", "csrf", "set-cookie", "cachet_session"] {
            assert!(!text.contains(needle), "{key} holds {needle}");
        }
        for prefix in ["api/v1", "dashboard", "auth/", "setup", "unsubscribe"] {
            assert!(!key.starts_with(prefix), "{key} published");
        }
    }
}

#[tokio::test]
async fn only_changed_objects_are_uploaded_and_a_deleted_incident_is_removed() {
    let h = Harness::new().await;
    let (_, i) = site(&h).await;
    let store = Arc::new(InMemory::new());
    let mirror = Mirror::new(MirrorConfig::new(store.clone()).with_prefix(Path::from("status")));
    let first = mirror.publish(&h.cachet).await.unwrap();
    assert!(first.uploaded > 10, "{first:?}");
    assert!(bucket(&store).await.contains_key("status/index.html"));

    let again = mirror.publish(&h.cachet).await.unwrap();
    assert_eq!((again.uploaded, again.deleted), (0, 0), "{again:?}");

    // A fresh mirror (a restarted process) reads the manifest and uploads nothing either.
    let restarted = Mirror::new(MirrorConfig::new(store.clone()).with_prefix(Path::from("status")));
    let report = restarted.publish(&h.cachet).await.unwrap();
    assert_eq!((report.uploaded, report.deleted), (0, 0), "{report:?}");

    let key = format!("status/incidents/{}", i.id);
    assert!(bucket(&store).await.contains_key(&key));
    h.cachet
        .delete_incident(&Actor::operator(), i.id)
        .await
        .unwrap();
    let after = restarted.publish(&h.cachet).await.unwrap();
    assert!(after.deleted >= 1, "{after:?}");
    assert!(
        after.uploaded >= 1,
        "the status page and feeds changed: {after:?}"
    );
    let objects = bucket(&store).await;
    assert!(
        !objects.contains_key(&key),
        "the deleted incident is still published"
    );
    let manifest = String::from_utf8_lossy(&objects["status/.cachet-mirror.json"].0).into_owned();
    assert!(
        !manifest.contains(&format!("incidents/{}\"", i.id)),
        "{manifest}"
    );
}

#[tokio::test]
async fn a_publish_while_the_store_is_down_changes_nothing() {
    let faulty = Arc::new(FaultyStore::new(new_store().await));
    let h = Harness::over(faulty.clone(), Config::new(HttpUrl::parse(BASE).unwrap()));
    site(&h).await;
    let store = Arc::new(InMemory::new());
    let mirror = Mirror::new(MirrorConfig::new(store.clone()));
    mirror.publish(&h.cachet).await.unwrap();
    let before = bucket(&store).await;

    faulty.fail();
    assert!(mirror.publish(&h.cachet).await.is_err());
    assert_eq!(
        bucket(&store).await,
        before,
        "an outage unpublished or changed pages"
    );
    assert_eq!(mirror.stats().failures, 1);

    faulty.heal();
    let report = mirror.publish(&h.cachet).await.unwrap();
    assert_eq!((report.uploaded, report.deleted), (0, 0), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_publishes_once_per_burst_of_writes() {
    let h = Harness::new().await;
    site(&h).await;
    let store = Arc::new(InMemory::new());
    let mut config = MirrorConfig::new(store.clone());
    config.poll = Duration::from_millis(20);
    config.debounce = Duration::from_millis(400);
    let mirror = Mirror::new(config);
    let background = h
        .cachet
        .start_background(Vec::new())
        .with_mirror(mirror.clone());
    let wait_for = async |n: u64| {
        for _ in 0..500 {
            if mirror.stats().publishes >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no publish {n}: {:?}", mirror.stats());
    };
    wait_for(1).await;
    let first = mirror.stats();

    // A burst of writes, each well within the debounce of the one before.
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(incident(&h, &format!("Burst {n}")).await.id);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stats = mirror.stats();
    assert_eq!(stats.publishes, 2, "one publish for the burst: {stats:?}");
    assert!(stats.uploaded > first.uploaded);
    let objects = bucket(&store).await;
    for id in ids {
        assert!(
            objects.contains_key(&format!("incidents/{id}")),
            "incident {id}"
        );
    }
    assert!(background.shutdown().await);
}

#[tokio::test]
async fn a_directory_mirror_holds_component_pages_beside_their_badges() {
    let h = Harness::new().await;
    let (c, i) = site(&h).await;
    let dir = std::env::temp_dir().join(format!("cachet-mirror-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    struct Remove(std::path::PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _remove = Remove(dir.clone());
    let fs = object_store::local::LocalFileSystem::new_with_prefix(&dir).unwrap();
    let mut config = MirrorConfig::new(Arc::new(fs));
    config.layout = Layout::Directories;
    let mirror = Mirror::new(config);
    // The file system keeps no attributes: the mirror publishes without them.
    let report = mirror.publish(&h.cachet).await.unwrap();
    assert_eq!(report.uploaded, report.objects);
    let page = std::fs::read(dir.join(format!("components/{}/index.html", c.id))).unwrap();
    let live = guest(&h.cachet, &format!("/components/{}", c.id)).await;
    assert_eq!(page, live.body().as_ref());
    assert!(dir.join(format!("components/{}/badge.svg", c.id)).is_file());
    assert!(dir.join(format!("incidents/{}", i.id)).is_file());
    assert!(dir.join("index.html").is_file());
    let again = mirror.publish(&h.cachet).await.unwrap();
    assert_eq!((again.uploaded, again.deleted), (0, 0), "{again:?}");
}
