//! The operators' Prometheus endpoint after real traffic through the public API: requests
//! by route group and status class, cache hits and renders with their histogram, the outbox
//! depth before and after the dispatcher ran, delivery outcomes by channel, sign-in
//! throttling and lockouts; and the figures [`Cachet::telemetry`] gives a host directly.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use chrono::TimeDelta;
use common::*;
use http::Request;
use notify_support::*;

use cachet_core::Config;
use cachet_core::auth::password::Argon2Params;
use cachet_core::model::Role;
use cachet_core::notify::DeliveryError;
use cachet_core::telemetry::{DeliveryOutcome, RouteGroup};
use cachet_core::validate::HttpUrl;
use cachet_core::web::PrometheusConfig;

const TOKEN: &str = "telemetry-test-token-0123456789abcdef";

fn config() -> Config {
    let mut config = Config::new(HttpUrl::parse(ORIGIN).unwrap());
    config.argon2 = Argon2Params::MINIMUM;
    // The first wrong password locks the account's key: one failure is a lockout, the next
    // attempt is refused as throttled.
    config.throttle.free_failures = 0;
    config.throttle.base_delay = TimeDelta::minutes(15);
    config.web.prometheus = Some(PrometheusConfig::new(TOKEN).unwrap());
    config
}

async fn scrape(h: &Harness) -> String {
    let req = Request::builder()
        .uri("/prometheus")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Bytes::new())
        .unwrap();
    let resp = h.cachet.handle(req, cx()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    body(&resp)
}

/// A sample's value (`series` with its labels exactly as exposed).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

fn requests(group: &str, class: &str) -> String {
    format!("cachet_http_requests_total{{group=\"{group}\",class=\"{class}\"}}")
}

async fn send(h: &Harness, path: &str) -> u16 {
    h.cachet.handle(get(path), cx()).await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_after_real_traffic_shows_what_happened() {
    let h = Harness::over(new_store().await, config());
    let api = make_component(&h.cachet, "API").await;

    // Public reads: the status page twice (a render, then a hit), the APIs, a feed, a
    // badge, the dashboard's door and a path nobody serves.
    assert_eq!(send(&h, "/").await, 200);
    assert_eq!(send(&h, "/").await, 200);
    assert_eq!(send(&h, "/api/v1/components").await, 200);
    assert_eq!(send(&h, "/api/v2/summary.json").await, 200);
    // Statuspage's management API, without a token.
    assert_eq!(send(&h, "/v1/pages/anypage/components").await, 401);
    assert_eq!(send(&h, "/rss").await, 200);
    assert_eq!(send(&h, "/badge.svg").await, 200);
    assert_eq!(send(&h, "/dashboard").await, 303);
    assert_eq!(send(&h, "/nothing/here").await, 404);

    // A wrong password reaches the lockout; the right one is then refused as throttled.
    h.user("ops@example.com", Role::Admin).await;
    let wrong = h
        .cachet
        .login(
            "ops@example.com",
            "not the password at all",
            ip(9),
            None,
            None,
        )
        .await;
    assert!(wrong.is_err());
    let refused = h
        .cachet
        .login("ops@example.com", PASSWORD, ip(9), None, None)
        .await;
    assert!(
        matches!(refused, Err(cachet_core::Error::Throttled { .. })),
        "{refused:?}"
    );

    // A notification: queued (the outbox depth shows it), then sent after one retry.
    verified(&h.cachet, "reader@example.com", &[]).await;
    h.cachet
        .create_incident(
            &cachet_core::Actor::operator(),
            &new_incident("Down", &[api.id], true, true),
        )
        .await
        .unwrap();
    let queued = scrape(&h).await;
    assert!(
        value(&queued, "cachet_outbox_pending_events") >= 1.0,
        "{queued}"
    );

    let rec = Recorder::email();
    rec.then(Err(DeliveryError::Transient("try later".into())));
    let d = dispatcher(&h.cachet, &rec);
    d.tick().await.unwrap();
    h.clock.advance(TimeDelta::hours(1));
    drain(&d).await;

    let text = scrape(&h).await;
    assert_eq!(value(&text, &requests("pages", "2xx")), 2.0, "{text}");
    assert_eq!(value(&text, &requests("api_v1", "2xx")), 1.0, "{text}");
    assert_eq!(value(&text, &requests("statuspage", "2xx")), 1.0, "{text}");
    assert_eq!(value(&text, &requests("statuspage", "4xx")), 1.0, "{text}");
    assert_eq!(value(&text, &requests("feeds", "2xx")), 2.0, "{text}");
    assert_eq!(value(&text, &requests("dashboard", "3xx")), 1.0, "{text}");
    assert_eq!(value(&text, &requests("other", "4xx")), 1.0, "{text}");
    // The first scrape counts as `other` too once answered.
    assert_eq!(value(&text, &requests("other", "2xx")), 1.0, "{text}");

    // Renders: one per cached answer made; the second status page read was a hit.
    let renders = value(&text, "cachet_renders_total");
    assert!(renders >= 5.0, "{text}");
    assert_eq!(
        value(&text, "cachet_render_duration_seconds_count"),
        renders
    );
    assert_eq!(
        value(&text, "cachet_render_duration_seconds_bucket{le=\"+Inf\"}"),
        renders
    );
    assert!(value(&text, "cachet_render_duration_seconds_sum") > 0.0);
    assert_eq!(
        value(&text, "cachet_cache_requests_total{result=\"miss\"}"),
        renders
    );
    assert!(value(&text, "cachet_cache_requests_total{result=\"hit\"}") >= 1.0);

    assert_eq!(value(&text, "cachet_lockouts_total"), 1.0, "{text}");
    assert_eq!(
        value(&text, "cachet_sign_in_throttled_total"),
        1.0,
        "{text}"
    );

    let sent = "cachet_notify_deliveries_total{channel=\"email\",outcome=\"sent\"}";
    let retried = "cachet_notify_deliveries_total{channel=\"email\",outcome=\"retried\"}";
    assert!(value(&text, sent) >= 1.0, "{text}");
    assert_eq!(value(&text, retried), 1.0, "{text}");
    assert_eq!(value(&text, "cachet_outbox_pending_events"), 0.0, "{text}");
    assert_eq!(
        value(&text, "cachet_outbox_pending_deliveries"),
        0.0,
        "{text}"
    );
    for channel in ["email", "webhook", "chat", "sms"] {
        let series =
            format!("cachet_outbox_pending_deliveries_by_channel{{channel=\"{channel}\"}}");
        assert_eq!(value(&text, &series), 0.0, "{text}");
    }
    assert_eq!(value(&text, "cachet_store_up"), 1.0);
    // The in-memory store has no pool.
    assert!(!text.contains("cachet_store_pool_connections"), "{text}");

    // The same figures, for a host that reads them itself.
    let t = h.cachet.telemetry();
    assert_eq!(t.requests(RouteGroup::Pages, 200), 2);
    assert_eq!(t.lockouts(), 1);
    assert_eq!(t.deliveries("email", DeliveryOutcome::Retried), 1);
    assert!(t.renders() >= 5);
}

#[tokio::test]
async fn every_family_has_help_and_type_lines_before_its_samples() {
    let h = Harness::over(new_store().await, config());
    let text = scrape(&h).await;
    let mut typed: Vec<String> = Vec::new();
    let mut helped: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.push(rest.split(' ').next().unwrap().to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap().to_owned();
            let kind = parts.next().unwrap();
            assert!(matches!(kind, "counter" | "gauge" | "histogram"), "{line}");
            assert_eq!(helped.last(), Some(&name), "HELP before TYPE: {line}");
            typed.push(name);
        } else {
            let series = line.split(['{', ' ']).next().unwrap();
            let family = typed.last().expect("a sample before any TYPE");
            assert!(
                series == family
                    || series
                        .strip_prefix(family.as_str())
                        .is_some_and(|s| matches!(s, "_bucket" | "_sum" | "_count")),
                "{series} outside its family {family}"
            );
            let v = line.rsplit(' ').next().unwrap();
            assert!(v.parse::<f64>().is_ok(), "{line}");
        }
    }
    let mut unique = typed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), typed.len(), "a family twice: {typed:?}");
    assert!(text.ends_with('\n'));
}
