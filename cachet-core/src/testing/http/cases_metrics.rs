//! Cases for `/api/v1/metrics` and their points.

use serde_json::json;

use super::{BodyCheck, CaseRequest, Fixture, HttpCase, TokenKind};

fn metric(name: &'static str, visible: u8) -> Fixture {
    Fixture::Metric { name, visible }
}

fn point(value: f64) -> Fixture {
    Fixture::MetricPoint { metric: 1, value }
}

fn post(name: &str, path: &str) -> HttpCase {
    HttpCase::new(name, "POST", path).token(TokenKind::Admin)
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get("metrics: one has Cachet's shape", "/api/v1/metrics/1")
            .with(metric("Latency", 1))
            .expect_json(json!({"data": {
                "id": 1, "name": "Latency", "suffix": "ms", "description": "",
                "default_value": 0, "calc_type": 0, "display_chart": true, "places": 2,
                "default_view": 1, "threshold": 5, "order": 0, "visible": 1,
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "default_view_name": "today",
            }})),
        HttpCase::get("metrics: guests list public ones only", "/api/v1/metrics")
            .with(metric("Latency", 1))
            .with(metric("Internal", 0))
            .with(metric("Hidden", 2))
            .expect_at("/meta/pagination/total", json!(1)),
        HttpCase::get("metrics: a token lists more", "/api/v1/metrics")
            .with(metric("Latency", 1))
            .with(metric("Internal", 0))
            .token(TokenKind::AdminRead)
            .expect_at("/meta/pagination/total", json!(2)),
        HttpCase::get(
            "metrics: a signed-in-only one is hidden by id",
            "/api/v1/metrics/1",
        )
        .with(metric("Internal", 0))
        .error(404),
        HttpCase::get("metrics: an unknown one is 404", "/api/v1/metrics/4").error(404),
        post("metrics: create with Cachet's defaults", "/api/v1/metrics")
            .json(&json!({"name": "Uptime", "suffix": "%", "default_value": 0}))
            .expect_at("/data/places", json!(2))
            .expect_at("/data/threshold", json!(5))
            .expect_at("/data/visible", json!(1))
            .expect_at("/data/default_view", json!(1)),
        post(
            "metrics: view is an alias of default_view",
            "/api/v1/metrics",
        )
        .json(&json!({"name": "Uptime", "suffix": "%", "default_value": 0, "view": 3}))
        .expect_at("/data/default_view", json!(3)),
        post("metrics: a missing suffix is 400", "/api/v1/metrics")
            .json(&json!({"name": "Uptime", "default_value": 0}))
            .error(400),
        post(
            "metrics: a threshold that does not divide 60 is 400",
            "/api/v1/metrics",
        )
        .json(&json!({"name": "Uptime", "suffix": "%", "default_value": 0, "threshold": 7}))
        .error(400),
        post("metrics: places 9 is 400", "/api/v1/metrics")
            .json(&json!({"name": "Uptime", "suffix": "%", "default_value": 0, "places": 9}))
            .error(400),
        HttpCase::new(
            "metrics: create without a token is 401",
            "POST",
            "/api/v1/metrics",
        )
        .json(&json!({"name": "Uptime", "suffix": "%", "default_value": 0}))
        .error(401),
        HttpCase::new("metrics: PUT changes the name", "PUT", "/api/v1/metrics/1")
            .with(metric("Latency", 1))
            .token(TokenKind::Admin)
            .json(&json!({"name": "p99 latency"}))
            .expect_at("/data/name", json!("p99 latency"))
            .expect_at("/data/suffix", json!("ms")),
        HttpCase::new("metrics: DELETE is 204", "DELETE", "/api/v1/metrics/1")
            .with(metric("Latency", 1))
            .token(TokenKind::Admin)
            .status(204)
            .expect(BodyCheck::Empty),
        // Points.
        post("metric points: record one", "/api/v1/metrics/1/points")
            .with(metric("Latency", 1))
            .json(&json!({"value": 12.5}))
            .expect_json(json!({"data": {
                "id": 1, "metric_id": 1, "value": 12.5, "counter": 1,
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "calculated_value": 12.5,
            }})),
        post(
            "metric points: the same value in the window counts up",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .with(point(12.0))
        .json(&json!({"value": "12"}))
        .expect_at("/data/id", json!(1))
        .expect_at("/data/counter", json!(2))
        .expect_at("/data/calculated_value", json!(24)),
        post(
            "metric points: a timestamp in Unix seconds",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .json(&json!({"value": 3, "timestamp": 1_767_312_000}))
        .expect_at("/data/created_at", json!("2026-01-02 00:00:00")),
        post(
            "metric points: a word value is 400",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .json(&json!({"value": "fast"}))
        .error(400),
        post(
            "metric points: a negative timestamp is 400",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .json(&json!({"value": 3, "timestamp": -5}))
        .error(400),
        post(
            "metric points: float noise is rounded to three decimals",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .json(&json!({"value": 1.005_000_000_000_000_1}))
        .expect_at("/data/value", json!(1.005)),
        post(
            "metric points: decimal text is rounded half away from zero",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .json(&json!({"value": "-1.0045"}))
        .expect_at("/data/value", json!(-1.005)),
        HttpCase::get(
            "metric points: a rounded value is stored rounded",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .with(Fixture::Prior(
            CaseRequest::new("POST", "/api/v1/metrics/1/points")
                .token(TokenKind::Admin)
                .json(&json!({"value": 1.005_000_000_000_000_1})),
        ))
        .expect_at("/data/0/value", json!(1.005)),
        post(
            "metric points: a value beyond twelve digits is 400",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .json(&json!({"value": 1e13}))
        .error(400),
        post("metric points: NaN is 400", "/api/v1/metrics/1/points")
            .with(metric("Latency", 1))
            .json(&json!({"value": "NaN"}))
            .error(400),
        post(
            "metric points: on an unknown metric is 404",
            "/api/v1/metrics/9/points",
        )
        .json(&json!({"value": 3}))
        .error(404),
        HttpCase::get("metric points: newest first", "/api/v1/metrics/1/points")
            .with(metric("Latency", 1))
            .with(point(1.0))
            .with(Fixture::AdvanceMinutes(10))
            .with(point(2.0))
            .expect_at("/meta/pagination/total", json!(2))
            .expect_at("/data/0/value", json!(2)),
        HttpCase::get(
            "metric points: a hidden metric's points are hidden",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Hidden", 2))
        .with(point(1.0))
        .error(404),
        HttpCase::new(
            "metric points: PUT changes the value",
            "PUT",
            "/api/v1/metrics/1/points/1",
        )
        .with(metric("Latency", 1))
        .with(point(1.0))
        .token(TokenKind::Admin)
        .json(&json!({"value": 4}))
        .expect_at("/data/value", json!(4)),
        HttpCase::new(
            "metric points: DELETE is 204",
            "DELETE",
            "/api/v1/metrics/1/points/1",
        )
        .with(metric("Latency", 1))
        .with(point(1.0))
        .token(TokenKind::Admin)
        .status(204)
        .expect(BodyCheck::Empty),
        HttpCase::get(
            "metric points: a deleted point is gone",
            "/api/v1/metrics/1/points",
        )
        .with(metric("Latency", 1))
        .with(point(1.0))
        .with(Fixture::Prior(
            CaseRequest::new("DELETE", "/api/v1/metrics/1/points/1").token(TokenKind::Admin),
        ))
        .expect_at("/meta/pagination/total", json!(0)),
        HttpCase::new(
            "metric points: DELETE a point of another metric is 404",
            "DELETE",
            "/api/v1/metrics/2/points/1",
        )
        .with(metric("Latency", 1))
        .with(metric("Uptime", 1))
        .with(point(1.0))
        .token(TokenKind::Admin)
        .error(404),
        HttpCase::get(
            "metric points: GET one point is 405",
            "/api/v1/metrics/1/points/1",
        )
        .with(metric("Latency", 1))
        .with(point(1.0))
        .error(405),
    ]
}
