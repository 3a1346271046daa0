//! Cases for the operators' Prometheus endpoint: off by default, a bearer token when on,
//! the text format, and counters that follow the requests a host sent.

use std::time::Duration;

use super::{CaseRequest, Fixture, HeaderCheck, HttpCase};
use crate::Config;
use crate::web::{Limit, PrometheusConfig};

/// The scrape token of the cases that turn the endpoint on.
pub const PROMETHEUS_TOKEN: &str = "cases-prometheus-token-0123456789abcdef";

fn prometheus_on(c: &mut Config) {
    c.web.prometheus = PrometheusConfig::new(PROMETHEUS_TOKEN).ok();
}

fn prometheus_elsewhere(c: &mut Config) {
    c.web.prometheus = PrometheusConfig::new(PROMETHEUS_TOKEN)
        .and_then(|p| p.at("/ops/scrape"))
        .ok();
}

fn prometheus_and_a_tight_api_limit(c: &mut Config) {
    prometheus_on(c);
    c.web.rate_limits.api_per_address = Limit::new(1, Duration::from_secs(3600));
}

fn scrape(name: &str) -> HttpCase {
    HttpCase::get(name, PrometheusConfig::DEFAULT_PATH)
        .configure(prometheus_on)
        .header("authorization", &format!("Bearer {PROMETHEUS_TOKEN}"))
}

fn prior(path: &str) -> Fixture {
    Fixture::Prior(CaseRequest::new("GET", path))
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get(
            "telemetry: the endpoint is off by default",
            PrometheusConfig::DEFAULT_PATH,
        )
        .header("authorization", &format!("Bearer {PROMETHEUS_TOKEN}"))
        .status(404),
        HttpCase::get("telemetry: no token is 401", PrometheusConfig::DEFAULT_PATH)
            .configure(prometheus_on)
            .status(401)
            .expect_header("www-authenticate", HeaderCheck::Contains("Bearer".into()))
            .not_contains("cachet_"),
        HttpCase::get(
            "telemetry: a wrong token is 401",
            PrometheusConfig::DEFAULT_PATH,
        )
        .configure(prometheus_on)
        .header(
            "authorization",
            "Bearer cases-prometheus-token-0123456789abcdeF",
        )
        .status(401)
        .not_contains("cachet_"),
        HttpCase::get(
            "telemetry: the token in X-Cachet-Token is not a bearer credential",
            PrometheusConfig::DEFAULT_PATH,
        )
        .configure(prometheus_on)
        .header("x-cachet-token", PROMETHEUS_TOKEN)
        .status(401),
        HttpCase::new(
            "telemetry: only GET and HEAD",
            "POST",
            PrometheusConfig::DEFAULT_PATH,
        )
        .configure(prometheus_on)
        .header("authorization", &format!("Bearer {PROMETHEUS_TOKEN}"))
        .status(405)
        .expect_header("allow", HeaderCheck::Exact("GET, HEAD".into())),
        scrape("telemetry: the token gets the text format with every family")
            .expect_header(
                "content-type",
                HeaderCheck::Exact("text/plain; version=0.0.4; charset=utf-8".into()),
            )
            .expect_header("cache-control", HeaderCheck::Exact("no-store".into()))
            .contains("# TYPE cachet_http_requests_total counter\n")
            .contains("# HELP cachet_http_requests_total ")
            .contains("# TYPE cachet_render_duration_seconds histogram\n")
            .contains("cachet_render_duration_seconds_bucket{le=\"+Inf\"} 0\n")
            .contains("# TYPE cachet_cache_requests_total counter\n")
            .contains("# TYPE cachet_renders_total counter\n")
            .contains("# TYPE cachet_notify_deliveries_total counter\n")
            .contains("cachet_notify_deliveries_total{channel=\"email\",outcome=\"sent\"} 0\n")
            .contains("# TYPE cachet_outbox_pending_events gauge\n")
            .contains("# TYPE cachet_outbox_pending_deliveries gauge\n")
            .contains("# TYPE cachet_rate_limited_total counter\n")
            .contains("# TYPE cachet_sign_in_throttled_total counter\n")
            .contains("# TYPE cachet_lockouts_total counter\n")
            .contains("cachet_store_up 1\n")
            .not_contains(PROMETHEUS_TOKEN),
        scrape("telemetry: counters follow the requests answered")
            .with(prior("/api/v1/ping"))
            .with(prior("/api/v1/ping"))
            .with(prior("/health"))
            .with(prior("/no/such/page"))
            .contains("cachet_http_requests_total{group=\"api_v1\",class=\"2xx\"} 2\n")
            .contains("cachet_http_requests_total{group=\"other\",class=\"2xx\"} 1\n")
            .contains("cachet_http_requests_total{group=\"other\",class=\"4xx\"} 1\n")
            .contains("cachet_http_requests_total{group=\"pages\",class=\"2xx\"} 0\n"),
        scrape("telemetry: a rate-limited request is counted by its limit")
            .configure(prometheus_and_a_tight_api_limit)
            .with(prior("/api/v1/ping"))
            .with(prior("/api/v1/ping"))
            .contains("cachet_rate_limited_total{limit=\"api_address\"} 1\n")
            .contains("cachet_http_requests_total{group=\"api_v1\",class=\"4xx\"} 1\n"),
        HttpCase::get(
            "telemetry: the endpoint answers at its configured path",
            "/ops/scrape",
        )
        .configure(prometheus_elsewhere)
        .header("authorization", &format!("Bearer {PROMETHEUS_TOKEN}"))
        .contains("# TYPE cachet_http_requests_total counter\n"),
        HttpCase::get(
            "telemetry: moved elsewhere, the default path is nothing",
            PrometheusConfig::DEFAULT_PATH,
        )
        .configure(prometheus_elsewhere)
        .header("authorization", &format!("Bearer {PROMETHEUS_TOKEN}"))
        .status(404),
    ]
}
