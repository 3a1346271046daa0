//! The snapshot cache through `Cachet::handle`: ETag / 304, Vary,
//! precompressed bodies, guest-only caching, freshness after writes, single flight, bounded
//! variants, rate-limit exemption, nothing per visitor in cached bytes, HEAD, and coherence
//! between two instances on one store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::io::Read as _;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use serde_json::Value;

use cachet_core::model::*;
use cachet_core::validate::HttpUrl;
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Cachet, Config};

const BASE: &str = "https://status.example.com";

async fn get(c: &Cachet, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    send(c, "GET", path, headers, guest()).await
}

async fn send(
    c: &Cachet,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    cx: RequestContext,
) -> Response<Bytes> {
    let mut b = Request::builder().method(method).uri(path);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    c.handle(b.body(Bytes::new()).unwrap(), cx).await
}

fn vary(r: &Response<Bytes>) -> Vec<String> {
    r.headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_owned())
        .collect()
}

/// A site with enough components that the JSON is worth compressing.
/// A site of `n` components. These tests count renders, not deadlines (`http_outage.rs`
/// covers the render deadline): a loaded machine can take over the default second to render
/// 200 components in a debug build while 64 readers wait, and a render given up counts as
/// the store being down, which would turn the next round into outage answers.
async fn site_with(n: usize) -> Harness {
    let config = with_config(|c| c.web.snapshot.render_deadline = Duration::from_secs(60));
    let h = Harness::over(new_store().await, config);
    for i in 0..n {
        h.cachet
            .create_component(&Actor::operator(), &component(&format!("Component {i}")))
            .await
            .unwrap();
    }
    h
}

fn with_config(f: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::new(HttpUrl::parse(BASE).unwrap());
    f(&mut config);
    config
}

#[tokio::test]
async fn strong_etag_304_cache_control_vary_and_head() {
    let h = site_with(3).await;
    let c = &h.cachet;
    for path in ["/api/v2/summary.json", "/api/v1/components"] {
        let r = get(c, path, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let etag = header(&r, "etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        assert_eq!(
            header(&r, "cache-control"),
            "public, max-age=10, stale-while-revalidate=30"
        );
        assert_eq!(
            header(&r, "content-length"),
            r.body().len().to_string(),
            "{path}"
        );
        // Origin first (CORS), then exactly the dimensions used.
        let expected: &[&str] = if path.starts_with("/api/v1") {
            &["Origin", "Accept-Encoding", "Time-Zone"]
        } else {
            &["Origin", "Accept-Encoding"]
        };
        assert_eq!(vary(&r), expected, "{path}");

        let again = get(c, path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body().is_empty());
        assert_eq!(header(&again, "etag"), etag);
        assert_eq!(vary(&again), expected);
        let other = get(c, path, &[("if-none-match", "\"nope\", W/\"x\"")]).await;
        assert_eq!(other.status(), StatusCode::OK);
        let star = get(c, path, &[("if-none-match", "*")]).await;
        assert_eq!(star.status(), StatusCode::NOT_MODIFIED);

        let head = send(c, "HEAD", path, &[], guest()).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.body().is_empty());
        assert_eq!(header(&head, "etag"), etag);
        assert_eq!(header(&head, "content-length"), r.body().len().to_string());
        let head304 = send(c, "HEAD", path, &[("if-none-match", &etag)], guest()).await;
        assert_eq!(head304.status(), StatusCode::NOT_MODIFIED);
        assert!(head304.body().is_empty());
    }
    // A write changes the body, so the old tag no longer matches.
    let before = header(&get(c, "/api/v1/components", &[]).await, "etag").to_owned();
    c.create_component(&Actor::operator(), &component("New"))
        .await
        .unwrap();
    let after = get(c, "/api/v1/components", &[("if-none-match", &before)]).await;
    assert_eq!(after.status(), StatusCode::OK);
    assert_ne!(header(&after, "etag"), before);
}

#[tokio::test]
async fn gzip_and_brotli_round_trip_chosen_by_q_values() {
    let h = site_with(20).await;
    let c = &h.cachet;
    let plain = get(c, "/api/v2/summary.json", &[]).await;
    assert!(!plain.headers().contains_key("content-encoding"));
    let identity = plain.body().clone();
    assert!(identity.len() > 1000);

    let gz = get(c, "/api/v2/summary.json", &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    assert_eq!(header(&gz, "content-length"), gz.body().len().to_string());
    assert!(gz.body().len() < identity.len());
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.body()[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, identity);

    let br = get(
        c,
        "/api/v2/summary.json",
        &[("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(header(&br, "content-length"), br.body().len().to_string());
    let mut out = Vec::new();
    brotli::Decompressor::new(&br.body()[..], 4096)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, identity);

    // q-values decide; each coding has its own strong tag, any of them revalidates.
    let pick = |ae: &'static str| async move {
        let r = get(c, "/api/v2/summary.json", &[("accept-encoding", ae)]).await;
        header(&r, "content-encoding").to_owned()
    };
    assert_eq!(pick("br;q=0.5, gzip;q=0.9").await, "gzip");
    assert_eq!(pick("br;q=0, gzip;q=0").await, "");
    assert_eq!(pick("identity").await, "");
    assert_eq!(pick("*").await, "br");
    let tags = [
        header(&plain, "etag"),
        header(&gz, "etag"),
        header(&br, "etag"),
    ];
    assert_ne!(tags[0], tags[1]);
    assert_ne!(tags[1], tags[2]);
    let r = get(
        c,
        "/api/v2/summary.json",
        &[("if-none-match", tags[1]), ("accept-encoding", "br")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        c.snapshot_stats().renders,
        1,
        "one render served all codings"
    );
}

#[tokio::test]
async fn only_guests_are_served_from_the_cache() {
    let h = site_with(2).await;
    let c = &h.cachet;
    let token = h.admin_api_token().await;
    let ticket = h.session("admin@example.com").await;
    let cookie = format!("{}={}", c.cookie_policy().name(), ticket.secret);
    get(c, "/api/v1/components", &[]).await;
    get(c, "/api/v2/summary.json", &[]).await;
    let before = c.snapshot_stats();
    assert_eq!(before.renders, 2);
    let bearer = format!("Bearer {token}");
    for (path, hdrs) in [
        (
            "/api/v1/components",
            vec![("x-cachet-token", token.as_str())],
        ),
        (
            "/api/v1/components",
            vec![("authorization", bearer.as_str())],
        ),
        ("/api/v1/components", vec![("x-cachet-token", "wrong")]),
        ("/api/v2/summary.json", vec![("cookie", cookie.as_str())]),
        ("/api/v1/components", vec![("cookie", cookie.as_str())]),
    ] {
        let r = get(c, path, &hdrs).await;
        assert_eq!(r.status(), StatusCode::OK, "{path} {hdrs:?}");
        assert!(!r.headers().contains_key("etag"), "{path} {hdrs:?}");
    }
    let vouched = RequestContext {
        peer: None,
        principal: Some(cachet_core::web::Principal::new("host-admin", Role::Admin)),
    };
    let r = send(c, "GET", "/api/v1/components", &[], vouched).await;
    assert!(!r.headers().contains_key("etag"));
    assert_eq!(c.snapshot_stats(), before, "no render, no hit");
    // Other cookies (analytics) do not make a visitor a user.
    let r = get(c, "/api/v1/components", &[("cookie", "_ga=1; theme=dark")]).await;
    assert!(r.headers().contains_key("etag"));
    assert_eq!(c.snapshot_stats().hits, before.hits + 1);
}

#[tokio::test]
async fn a_write_is_visible_on_the_very_next_read() {
    let h = site_with(1).await;
    let c = &h.cachet;
    let total = |r: Response<Bytes>| {
        let v: Value = serde_json::from_slice(r.body()).unwrap();
        v["meta"]["pagination"]["total"].as_u64().unwrap()
    };
    assert_eq!(total(get(c, "/api/v1/components", &[]).await), 1);
    assert_eq!(total(get(c, "/api/v1/components", &[]).await), 1);
    for n in 2..=5 {
        c.create_component(&Actor::operator(), &component(&format!("C{n}")))
            .await
            .unwrap();
        assert_eq!(total(get(c, "/api/v1/components", &[]).await), n);
    }
    // Time moves content too: a render is redone after max_render_age of the clock.
    let renders = c.snapshot_stats().renders;
    get(c, "/api/v1/components", &[]).await;
    assert_eq!(c.snapshot_stats().renders, renders);
    h.clock.advance(chrono::TimeDelta::seconds(11));
    get(c, "/api/v1/components", &[]).await;
    assert_eq!(c.snapshot_stats().renders, renders + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_readers_of_a_new_revision_share_one_render() {
    let h = site_with(30).await;
    let c = h.cachet.clone();
    for round in 1..=3u64 {
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                get(&c, "/api/v2/summary.json", &[("accept-encoding", "gzip")])
                    .await
                    .into_body()
            }));
        }
        let mut bodies = Vec::new();
        for t in tasks {
            bodies.push(t.await.unwrap());
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(c.snapshot_stats().renders, round, "one render per revision");
        c.create_component(&Actor::operator(), &component(&format!("R{round}")))
            .await
            .unwrap();
    }
}

/// After `max_render_age`, one request re-renders and the others are served the previous
/// answer meanwhile (or the new one once it is in): still one render, and every reader gets a
/// whole, valid page. The step-by-step proof is the unit test
/// `an_aged_entry_is_served_stale_only_while_its_rerender_runs` in `web/snapshot.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_of_an_aged_entry_share_one_rerender() {
    let h = site_with(200).await;
    let c = h.cachet.clone();
    let before = get(&c, "/", &[]).await;
    assert_eq!(before.status(), StatusCode::OK);
    for round in 1..=3u64 {
        let renders = c.snapshot_stats().renders;
        h.clock.advance(chrono::TimeDelta::seconds(11));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move { get(&c, "/", &[]).await }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let body = std::str::from_utf8(r.body()).unwrap();
            assert!(body.starts_with("<!DOCTYPE html>") && body.trim_end().ends_with("</html>"));
            assert!(body.contains("Component 199"));
        }
        assert_eq!(
            c.snapshot_stats().renders,
            renders + 1,
            "round {round}: one re-render for 64 readers"
        );
    }
}

#[tokio::test]
async fn variants_are_bounded_whatever_the_requests() {
    let config = with_config(|c| {
        c.web.snapshot.max_entries = 32;
        c.web.snapshot.max_variants_per_path = 4;
        // Each distinct query is a miss, and misses pay the address limit.
        c.web.rate_limits.api_per_address =
            cachet_core::web::Limit::new(100_000, Duration::from_secs(60));
    });
    let h = Harness::over(new_store().await, config);
    let c = &h.cachet;
    c.create_component(&Actor::operator(), &component("A"))
        .await
        .unwrap();
    let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];
    for i in 0..2000 {
        let path = match i % 4 {
            0 => format!("/api/v1/components?per_page={}", i % 97 + 1),
            1 => format!("/api/v1/components/groups?x{i}=1"),
            2 => format!("/api/v2/summary.json?cb={i}"),
            _ => format!("/api/v1/incidents?page={i}"),
        };
        let r = get(c, &path, &[("time-zone", zones[i % zones.len()])]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let entries = c.snapshot_stats().entries;
        assert!(entries <= 4 * 4, "{entries} entries after {i} requests");
    }
    // Many paths: the overall bound holds.
    for i in 0..300 {
        get(c, &format!("/api/v1/components/{}", i + 1), &[]).await;
        get(c, &format!("/api/v1/incidents/{}/updates", i + 1), &[]).await;
        assert!(c.snapshot_stats().entries <= 32);
    }
    let r = get(c, "/api/v1/components", &[("time-zone", "Asia/Tokyo")]).await;
    assert!(vary(&r).contains(&"Time-Zone".to_owned()));
}

#[tokio::test]
async fn cache_hits_do_not_consume_the_address_limit() {
    let config = with_config(|c| {
        c.web.rate_limits.api_per_address =
            cachet_core::web::Limit::new(2, Duration::from_secs(60));
    });
    let h = Harness::over(new_store().await, config);
    let c = &h.cachet;
    let first = get(c, "/api/v1/components", &[]).await;
    assert_eq!(
        header(&first, "x-ratelimit-remaining"),
        "1",
        "the render pays"
    );
    for _ in 0..50 {
        let r = get(c, "/api/v1/components", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(!r.headers().contains_key("x-ratelimit-remaining"));
    }
    // Uncached reads still pay: one left, then 429.
    assert_eq!(
        get(c, "/api/v1/incidents", &[]).await.status(),
        StatusCode::OK
    );
    let limited = get(c, "/api/v1/metrics", &[]).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!limited.headers().contains_key("etag"));
    // ...while the cached ones are still served.
    assert_eq!(
        get(c, "/api/v1/components", &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn cached_bytes_hold_nothing_per_visitor_and_ignore_host() {
    let h = site_with(3).await;
    let c = &h.cachet;
    c.put_settings(
        &Actor::operator(),
        &[(SettingKey::AllowedDomains, "https://embed.example".into())],
    )
    .await
    .unwrap();
    let poison = [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-prefix", "/evil"),
        ("origin", "https://embed.example"),
        ("accept-language", "de"),
        ("cookie", "tracking=visitor-42"),
    ];
    for path in ["/api/v2/summary.json", "/api/v1/components?per_page=1"] {
        let first = get(c, path, &poison).await;
        assert_eq!(first.status(), StatusCode::OK);
        // The Statuspage v2 JSON is open to every origin; API v1 follows the list.
        let open = path.starts_with("/api/v2/");
        assert_eq!(
            header(&first, "access-control-allow-origin"),
            if open { "*" } else { "https://embed.example" }
        );
        let body = String::from_utf8(first.body().to_vec()).unwrap();
        assert!(!body.contains("evil"), "{body}");
        assert!(body.contains(BASE), "{path}: links from configuration");
        assert!(!first.headers().contains_key("set-cookie"));
        let id1 = header(&first, "x-request-id").to_owned();
        assert!(!body.contains(&id1));

        let second = get(c, path, &[("origin", "https://other.example")]).await;
        assert_eq!(second.body(), first.body(), "same bytes for every visitor");
        assert_eq!(header(&second, "etag"), header(&first, "etag"));
        assert_ne!(header(&second, "x-request-id"), id1);
        assert_eq!(
            second.headers().contains_key("access-control-allow-origin"),
            open,
            "CORS is per request, not cached"
        );
        assert!(vary(&second).contains(&"Origin".to_owned()));
    }
    assert_eq!(c.snapshot_stats().renders, 2);
}

#[tokio::test]
async fn two_instances_on_one_store_stay_coherent_within_the_poll_interval() {
    let store = new_store().await;
    let config = || {
        with_config(|c| {
            c.web.snapshot.revision_poll = Duration::from_millis(150);
        })
    };
    let a = Harness::over(store.clone(), config());
    let b = Harness::over(store.clone(), config());
    let count = |r: Response<Bytes>| {
        let v: Value = serde_json::from_slice(r.body()).unwrap();
        v["meta"]["pagination"]["total"].as_u64().unwrap()
    };
    assert_eq!(count(get(&b.cachet, "/api/v1/components", &[]).await), 0);
    a.cachet
        .create_component(&Actor::operator(), &component("Written on A"))
        .await
        .unwrap();
    // A sees its own write at once; B within the poll interval.
    assert_eq!(count(get(&a.cachet, "/api/v1/components", &[]).await), 1);
    let written = std::time::Instant::now();
    loop {
        let seen = count(get(&b.cachet, "/api/v1/components", &[]).await);
        if seen == 1 {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_millis(150 + 100),
            "B still stale after the poll interval"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Between polls B does not read the revision at all.
    let reads = b.cachet.snapshot_stats().revision_reads;
    for _ in 0..20 {
        get(&b.cachet, "/api/v1/components", &[]).await;
    }
    assert!(b.cachet.snapshot_stats().revision_reads <= reads + 1);
}

#[tokio::test]
async fn non_200_answers_and_refusals_are_not_stored() {
    let h = site_with(1).await;
    let c = &h.cachet;
    let r = get(c, "/api/v1/components/999", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.headers().contains_key("etag"));
    let id = header(&r, "x-request-id").to_owned();
    let body = String::from_utf8(r.body().to_vec()).unwrap();
    assert!(body.contains(&id), "the error names its own request id");
    assert_eq!(c.snapshot_stats().entries, 0);
    let r = get(c, "/api/v1/components", &[("accept", "text/html")]).await;
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    let r = get(c, "/nope/not/a/page", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.snapshot_stats().entries, 0);
}

#[tokio::test]
async fn pages_are_cached_per_language_only_with_automatic_localization() {
    let h = site_with(2).await;
    let c = &h.cachet;
    let page = get(
        c,
        "/",
        &[("host", "evil.example"), ("accept-encoding", "br")],
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().contains_key("etag"));
    assert_eq!(vary(&page), ["Accept-Encoding"]);
    let r = get(c, "/", &[("accept-language", "fr")]).await;
    assert_eq!(
        header(&r, "etag"),
        header(&page, "etag").trim_end_matches("-br\"").to_owned() + "\""
    );
    let body = String::from_utf8(r.body().to_vec()).unwrap();
    assert!(!body.contains("evil.example"));
    assert_eq!(
        c.snapshot_stats().renders,
        1,
        "the language is ignored while automatic localization is off"
    );

    c.put_settings(
        &Actor::operator(),
        &[(SettingKey::AutomaticLocalization, "1".into())],
    )
    .await
    .unwrap();
    let de = get(c, "/", &[("accept-language", "de-DE,de;q=0.9")]).await;
    let fr = get(c, "/", &[("accept-language", "fr")]).await;
    let de2 = get(c, "/", &[("accept-language", "de-de, de;q=0.9")]).await;
    assert_eq!(vary(&de), ["Accept-Encoding", "Accept-Language"]);
    assert_ne!(de.body(), fr.body());
    assert_eq!(de.body(), de2.body());
    assert_eq!(c.snapshot_stats().renders, 3);
}

fn from(peer: &str) -> RequestContext {
    RequestContext {
        peer: Some(peer.parse().unwrap()),
        principal: None,
    }
}

/// Red-team finding: a query parameter no route reads made a new cache entry, so random
/// `?b=` turned every request into a render. Only the declared parameters, canonicalised,
/// reach the key: every spelling below is one entry and one render.
#[tokio::test]
async fn cache_busting_query_parameters_share_one_entry() {
    let h = site_with(3).await;
    let c = &h.cachet;
    let first = get(c, "/", &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let long = format!("/?b={}", "x".repeat(4000));
    for path in [
        "/?b=1",
        "/?b=2&c=3",
        "/?b=%41&b=%zz&&=",
        "/?start_dat=2026-11-01",
        long.as_str(),
    ] {
        let r = get(c, path, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.body(), first.body(), "{path}");
        assert_eq!(header(&r, "etag"), header(&first, "etag"), "{path}");
    }
    assert_eq!(
        c.snapshot_stats().renders,
        1,
        "one render for every spelling"
    );
    assert_eq!(c.snapshot_stats().entries, 1);

    // A parameter the status page reads keys by its canonical value, in any order.
    let dated = get(c, "/?start_date=2026-11-01&b=1", &[]).await;
    assert_eq!(dated.status(), StatusCode::OK);
    let again = get(c, "/?z=1&start_date=2026-11-01", &[]).await;
    assert_eq!(again.body(), dated.body());
    assert_eq!(c.snapshot_stats().renders, 2);
    // Invalid values all answer what the render answers them (400), never stored.
    for bad in ["/?start_date=nope", "/?start_date=2026-02-30&b=1"] {
        assert_eq!(
            get(c, bad, &[]).await.status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(c.snapshot_stats().entries, 2);

    // Badges, charts and the Statuspage JSON likewise.
    let badge = get(c, "/badge.svg", &[]).await;
    let renders = c.snapshot_stats().renders;
    for path in [
        "/badge.svg?b=1",
        "/badge.svg?style=flat&cb=9",
        "/badge.svg?style=nope",
    ] {
        assert_eq!(get(c, path, &[]).await.body(), badge.body(), "{path}");
    }
    let square = get(c, "/badge.svg?style=flat-square&b=2", &[]).await;
    assert_ne!(square.body(), badge.body());
    let summary = get(c, "/api/v2/summary.json", &[]).await;
    for i in 0..20 {
        let r = get(c, &format!("/api/v2/summary.json?cb={i}"), &[]).await;
        assert_eq!(r.body(), summary.body());
    }
    assert_eq!(c.snapshot_stats().renders, renders + 2);
}

/// Red-team finding: with automatic localisation, random `Accept-Language` values each made
/// an entry and a render. The key holds the locale the header resolves to: at most one
/// entry per supported locale, whatever the header.
#[tokio::test]
async fn random_accept_language_collapses_to_supported_locales() {
    let h = site_with(2).await;
    let c = &h.cachet;
    c.put_settings(
        &Actor::operator(),
        &[(SettingKey::AutomaticLocalization, "1".into())],
    )
    .await
    .unwrap();
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for i in 0..300 {
        let primary = ["de", "fr", "en", "xx", "tlh", "*"][(next() % 6) as usize];
        let header_value = format!(
            "{primary}-{:x};q=0.{},zz-{i};q=0.{}",
            next(),
            next() % 9 + 1,
            next() % 9
        );
        let r = get(c, "/", &[("accept-language", &header_value)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{header_value}");
        let expected = match primary {
            "de" => "de",
            "fr" => "fr",
            _ => "en",
        };
        assert_eq!(header(&r, "content-language"), expected, "{header_value}");
    }
    let stats = c.snapshot_stats();
    assert!(stats.renders <= 3, "{} renders", stats.renders);
    assert!(stats.entries <= 3, "{} entries", stats.entries);
}

/// Red-team finding: misses had no rate limit. A client address may cause a bounded number
/// of renders of extra variants of a cached path (IPv6 by /64); beyond it `429` with
/// `Retry-After`, while cache hits stay unlimited and other clients are unaffected.
/// Credentials or a body, which bypass the cache, pay the same budget. The first entry of a
/// path is free: after a write, whoever comes first renders it.
#[tokio::test]
async fn uncached_renders_are_rate_limited_per_client() {
    let config = with_config(|c| {
        c.web.rate_limits.uncached_render =
            cachet_core::web::Limit::new(3, Duration::from_secs(3600));
    });
    let h = Harness::over(new_store().await, config);
    let c = &h.cachet;
    c.create_component(&Actor::operator(), &component("A"))
        .await
        .unwrap();
    let attacker = from("[2001:db8:7:7::1]:4000");
    let day = |d: u32| format!("/?start_date=2026-10-{d:02}");
    // The path's first entry: free.
    let bare = send(c, "GET", "/", &[], attacker.clone()).await;
    assert_eq!(bare.status(), StatusCode::OK);
    for d in 1..=3 {
        let r = send(c, "GET", &day(d), &[], attacker.clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // Another address in the same /64: the same budget, spent.
    let refused = send(c, "GET", &day(4), &[], from("[2001:db8:7:7:ffff::2]:4000")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!(retry >= 1);
    assert!(!refused.headers().contains_key("etag"));
    assert_eq!(c.snapshot_stats().renders, 4);
    assert_eq!(c.snapshot_stats().renders_refused, 1);
    // Hits stay unlimited for the same client.
    for _ in 0..50 {
        let r = send(c, "GET", &day(2), &[], attacker.clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // Going round the cache with a credential header pays the same budget.
    let bypass = send(
        c,
        "GET",
        "/",
        &[("authorization", "Bearer junk")],
        attacker.clone(),
    )
    .await;
    assert_eq!(bypass.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client renders as usual.
    let other = send(c, "GET", &day(4), &[], from("[2001:db8:7:8::1]:4000")).await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(c.snapshot_stats().renders, 5);
}

/// Random keys that a route does read (each a real variant) still keep the cache bounded: the
/// per-path and overall bounds evict, and memory follows `max_entries`, not the requests.
#[tokio::test]
async fn random_read_parameters_keep_the_cache_bounded() {
    let config = with_config(|c| {
        c.web.snapshot.max_entries = 8;
        c.web.snapshot.max_variants_per_path = 4;
        c.web.rate_limits.uncached_render =
            cachet_core::web::Limit::new(100_000, Duration::from_secs(60));
    });
    let h = Harness::over(new_store().await, config);
    let c = &h.cachet;
    c.create_component(&Actor::operator(), &component("A"))
        .await
        .unwrap();
    for i in 0..400u32 {
        let path = match i % 3 {
            0 => format!(
                "/?start_date=20{:02}-0{}-1{}&b={i}",
                10 + i % 80,
                1 + i % 9,
                i % 10
            ),
            1 => format!("/metrics/{}?filter=week&b={i}", i + 1),
            _ => format!("/incidents/{}?b={i}", i + 1),
        };
        get(c, &path, &[]).await;
        let entries = c.snapshot_stats().entries;
        assert!(entries <= 8, "{entries} entries after {path}");
    }
}

/// Red-team finding: guest reads of cacheable answers got `429` from one busy address when
/// writes forced re-renders. A key that holds an answer is re-rendered after a write for
/// whoever reads it first, whatever that reader's budget; keys never cached still pay.
#[tokio::test]
async fn a_busy_guest_is_never_refused_a_cached_answer_after_a_write() {
    let config = with_config(|c| {
        c.web.rate_limits.api_per_address =
            cachet_core::web::Limit::new(2, Duration::from_secs(3600));
        c.web.rate_limits.uncached_render =
            cachet_core::web::Limit::new(1, Duration::from_secs(3600));
    });
    let h = Harness::over(new_store().await, config);
    let c = &h.cachet;
    let reader = from("198.51.100.9:4000");
    let read = |path: &'static str| send(c, "GET", path, &[], reader.clone());
    // The budget is spent on first renders: two API keys, one extra page variant.
    assert_eq!(read("/api/v1/components").await.status(), StatusCode::OK);
    assert_eq!(read("/api/v1/incidents").await.status(), StatusCode::OK);
    assert_eq!(
        read("/api/v1/metrics").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(read("/").await.status(), StatusCode::OK);
    assert_eq!(
        read("/?start_date=2026-10-01").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        read("/?start_date=2026-10-02").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let renders = c.snapshot_stats().renders;
    // A write makes every cached key a miss; each is rendered afresh for the busy reader.
    for round in 0..3 {
        let name = format!("Written {round}");
        c.create_component(&Actor::operator(), &component(&name))
            .await
            .unwrap();
        let api = read("/api/v1/components").await;
        assert_eq!(api.status(), StatusCode::OK);
        assert!(String::from_utf8_lossy(api.body()).contains(&name));
        assert_eq!(read("/api/v1/incidents").await.status(), StatusCode::OK);
        for page in ["/", "/?start_date=2026-10-01"] {
            let r = read(page).await;
            assert_eq!(r.status(), StatusCode::OK, "{page} after write {round}");
            assert!(String::from_utf8_lossy(r.body()).contains(&name), "{page}");
        }
    }
    assert_eq!(c.snapshot_stats().renders, renders + 3 * 4);
    // What was never cached still pays, and the budget is still spent.
    assert_eq!(
        read("/api/v1/metrics").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        read("/?start_date=2026-10-02").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
