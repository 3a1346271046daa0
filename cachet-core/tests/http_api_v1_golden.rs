//! Golden answers of every API v1 route and every Statuspage v2 endpoint: a fixed script of
//! requests over fixed data on a manual clock, whose status lines, `Allow` headers and exact
//! body bytes are compared with `tests/golden/api.txt`. The API's JSON is a compatibility
//! contract (Cachet 2.4 and Statuspage v2 clients parse it), so a refactoring of how answers
//! are built must leave every byte as it was. After an intended change of an answer, run the
//! test with `CACHET_BLESS=1` and review the diff of the golden file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::fmt::Write as _;

use api_v1_harness::*;
use serde_json::json;

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::validate::{Markdown, Slug};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/api.txt");

#[derive(Clone, Copy)]
enum Who {
    Guest,
    Admin,
    Writer,
}

/// Records one exchange: the request, the status, `Allow` if any, and the body with the
/// (random) request id replaced.
async fn record(
    api: &Api,
    out: &mut String,
    who: Who,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) {
    let token = match who {
        Who::Guest => None,
        Who::Admin => Some(api.admin.as_str()),
        Who::Writer => Some(api.writer.as_str()),
    };
    let r = api.send_full(method, uri, token, headers, body).await;
    let who = match who {
        Who::Guest => "guest",
        Who::Admin => "admin",
        Who::Writer => "writer",
    };
    writeln!(out, "=== {method} {uri} as {who} {headers:?} {body}").unwrap();
    writeln!(out, "status: {}", r.status.as_u16()).unwrap();
    if let Some(allow) = r.resp.headers().get("allow") {
        writeln!(out, "allow: {}", allow.to_str().unwrap()).unwrap();
    }
    let mut text = String::from_utf8(r.resp.body().to_vec()).unwrap();
    if let Some(id) = r.resp.headers().get("x-request-id") {
        let id = id.to_str().unwrap();
        if !id.is_empty() {
            text = text.replace(id, "<request-id>");
        }
    }
    writeln!(out, "{text}").unwrap();
}

async fn fixture(api: &Api) {
    let id = |v: &serde_json::Value| v["data"]["id"].as_i64().unwrap();
    let g = api
        .ok(
            "POST",
            "/api/v1/components/groups",
            r#"{"name":"Edge","visible":true,"collapsed":2,"order":3}"#,
        )
        .await;
    api.ok(
        "POST",
        "/api/v1/components/groups",
        r#"{"name":"Empty","visible":false}"#,
    )
    .await;
    let c = api
        .ok(
            "POST",
            "/api/v1/components",
            &json!({"name": "CDN", "status": 2, "group_id": id(&g), "description": "Assets",
                    "link": "https://cdn.example.com", "tags": "edge,assets",
                    "meta": {"owner": "ops"}})
            .to_string(),
        )
        .await;
    api.ok(
        "POST",
        "/api/v1/components",
        &json!({"name": "API", "status": 4, "group_id": id(&g), "order": 2}).to_string(),
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"Mail","status":1,"enabled":false}"#,
    )
    .await;
    api.h.clock.advance(chrono::TimeDelta::minutes(7));
    let i = api
        .ok(
            "POST",
            "/api/v1/incidents",
            &json!({"name": "Slow", "status": 2, "message": "Looking **into** it",
                    "component_id": id(&c), "component_status": 3,
                    "occurred_at": "2026-01-01 00:00", "stickied": true,
                    "meta": {"ticket": "T-1"}})
            .to_string(),
        )
        .await;
    api.h.clock.advance(chrono::TimeDelta::minutes(13));
    api.ok(
        "POST",
        &format!("/api/v1/incidents/{}/updates", id(&i)),
        r#"{"status":3,"message":"Fix deployed"}"#,
    )
    .await;
    api.h.clock.advance(chrono::TimeDelta::minutes(5));
    api.ok(
        "POST",
        &format!("/api/v1/incidents/{}/updates", id(&i)),
        r#"{"status":4,"message":"All good"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/incidents",
        r#"{"name":"Hidden","status":1,"visible":false,"message":"Internal"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/incidents",
        r#"{"name":"Open","status":1,"message":"Checking"}"#,
    )
    .await;
    let m = api
        .ok(
            "POST",
            "/api/v1/metrics",
            r#"{"name":"Latency","suffix":"ms","default_value":0,"description":"p95","places":2,"default_view":2}"#,
        )
        .await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"Errors","suffix":"err","default_value":1.5,"calc_type":1,"visible":0}"#,
    )
    .await;
    for v in ["12.5", "7", "0.125"] {
        api.ok(
            "POST",
            &format!("/api/v1/metrics/{}/points", id(&m)),
            &format!(r#"{{"value":{v}}}"#),
        )
        .await;
        api.h.clock.advance(chrono::TimeDelta::minutes(1));
    }
    api.ok(
        "POST",
        "/api/v1/schedules",
        &json!({"name": "DB upgrade", "status": 0, "message": "Short *window*",
                "scheduled_at": "2026-01-02 02:00", "completed_at": "2026-01-02 03:00",
                "components": [id(&c)]})
        .to_string(),
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"Now","status":1,"message":"Going on","scheduled_at":"2026-01-01 00:00"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/subscribers",
        &json!({"email": "ops@example.com", "verify": true, "components": [id(&c)]}).to_string(),
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"all@example.com"}"#,
    )
    .await;
    api.h
        .cachet
        .create_template(
            &Actor::operator(),
            &NewIncidentTemplate::new(
                common::name("Outage"),
                Slug::parse("outage").unwrap(),
                Markdown::parse("{{ name }} is down").unwrap(),
            ),
        )
        .await
        .unwrap();
    api.h.clock.advance(chrono::TimeDelta::minutes(30));
}

async fn script(api: &Api) -> String {
    use Who::*;
    let mut out = String::new();
    let o = &mut out;
    let none: &[(&str, &str)] = &[];
    let tz: &[(&str, &str)] = &[("time-zone", "America/New_York")];
    let reads = [
        "/api/v1/ping",
        "/api/v1/version",
        "/api/v1/status",
        "/api/v1/components",
        "/api/v1/components?per_page=1&page=2",
        "/api/v1/components?sort=name&order=desc",
        "/api/v1/components/1",
        "/api/v1/components/3",
        "/api/v1/components/groups",
        "/api/v1/components/groups/1",
        "/api/v1/components/groups/2",
        "/api/v1/incidents",
        "/api/v1/incidents?per_page=2&page=2",
        "/api/v1/incidents/1",
        "/api/v1/incidents/2",
        "/api/v1/incidents/1/updates",
        "/api/v1/incidents/1/updates/1",
        "/api/v1/incidents/templates",
        "/api/v1/incidents/templates/1",
        "/api/v1/metrics",
        "/api/v1/metrics/1",
        "/api/v1/metrics/2",
        "/api/v1/metrics/1/points",
        "/api/v1/schedules",
        "/api/v1/schedules/1",
        "/api/v1/schedules/2",
        "/api/v1/subscribers",
        "/api/v1/components/999",
        "/api/v1/components/abc",
        "/api/v1/nothing",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
        "/api/v2/nothing.json",
    ];
    for uri in reads {
        for who in [Guest, Admin] {
            record(api, o, who, "GET", uri, none, "").await;
        }
    }
    for uri in [
        "/api/v1/incidents/1",
        "/api/v1/schedules/1",
        "/api/v1/metrics/1/points",
    ] {
        record(api, o, Admin, "GET", uri, tz, "").await;
    }
    // Every path shape with a method it does not answer: 405 and its Allow.
    let refused = [
        ("DELETE", "/api/v1/ping"),
        ("POST", "/api/v1/version"),
        ("PUT", "/api/v1/status"),
        ("DELETE", "/api/v1/components"),
        ("POST", "/api/v1/components/1"),
        ("DELETE", "/api/v1/components/groups"),
        ("POST", "/api/v1/components/groups/1"),
        ("PUT", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents/1"),
        ("DELETE", "/api/v1/incidents/1/updates"),
        ("POST", "/api/v1/incidents/1/updates/1"),
        ("POST", "/api/v1/incidents/templates"),
        ("DELETE", "/api/v1/incidents/templates/1"),
        ("DELETE", "/api/v1/metrics"),
        ("POST", "/api/v1/metrics/1"),
        ("DELETE", "/api/v1/metrics/1/points"),
        ("GET", "/api/v1/metrics/1/points/1"),
        ("POST", "/api/v1/metrics/1/points/1"),
        ("DELETE", "/api/v1/schedules"),
        ("POST", "/api/v1/schedules/1"),
        ("PUT", "/api/v1/subscribers"),
        ("GET", "/api/v1/subscribers/1"),
        ("GET", "/api/v1/subscriptions/1"),
        ("POST", "/api/v2/summary.json"),
    ];
    for (method, uri) in refused {
        let body = if method == "GET" || method == "DELETE" {
            ""
        } else {
            "{}"
        };
        record(api, o, Admin, method, uri, none, body).await;
    }
    // Writes, in an order that leaves each target in place for the next.
    let writes: [(Who, &str, &str, &str); 27] = [
        (
            Admin,
            "POST",
            "/api/v1/components",
            r#"{"name":"New","status":1,"tags":"x"}"#,
        ),
        (
            Admin,
            "POST",
            "/api/v1/components",
            r#"{"name":"","status":9}"#,
        ),
        (
            Guest,
            "POST",
            "/api/v1/components",
            r#"{"name":"New","status":1}"#,
        ),
        (
            Admin,
            "PUT",
            "/api/v1/components/2",
            r#"{"status":3,"link":"https://api.example.com"}"#,
        ),
        (
            Admin,
            "PATCH",
            "/api/v1/components/2",
            r#"{"description":"The API"}"#,
        ),
        (
            Admin,
            "POST",
            "/api/v1/components/groups",
            r#"{"name":"Third"}"#,
        ),
        (
            Admin,
            "PUT",
            "/api/v1/components/groups/1",
            r#"{"collapsed":1}"#,
        ),
        (
            Admin,
            "POST",
            "/api/v1/incidents",
            r#"{"template":"outage","vars":{"name":"Search"},"status":1}"#,
        ),
        (
            Admin,
            "PUT",
            "/api/v1/incidents/3",
            r#"{"status":2,"message":"Found it"}"#,
        ),
        (
            Admin,
            "POST",
            "/api/v1/incidents/3/updates",
            r#"{"status":4,"message":"Closed"}"#,
        ),
        (
            Admin,
            "PUT",
            "/api/v1/incidents/3/updates/3",
            r#"{"message":"Closed for good"}"#,
        ),
        (Admin, "DELETE", "/api/v1/incidents/3/updates/3", ""),
        (
            Admin,
            "POST",
            "/api/v1/metrics",
            r#"{"name":"Rps","suffix":"/s","default_value":0}"#,
        ),
        (Admin, "PUT", "/api/v1/metrics/3", r#"{"threshold":15}"#),
        (
            Admin,
            "POST",
            "/api/v1/metrics/1/points",
            r#"{"value":3,"timestamp":1767225600}"#,
        ),
        (Admin, "PUT", "/api/v1/metrics/1/points/4", r#"{"value":4}"#),
        (
            Admin,
            "POST",
            "/api/v1/metrics/1/points",
            r#"{"value":"NaN"}"#,
        ),
        (Admin, "DELETE", "/api/v1/metrics/1/points/4", ""),
        (
            Admin,
            "POST",
            "/api/v1/schedules",
            r#"{"name":"Later","status":0,"scheduled_at":"2026-02-01 10:00"}"#,
        ),
        (
            Admin,
            "PUT",
            "/api/v1/schedules/3",
            r#"{"status":2,"completed_at":"2026-02-01 11:00"}"#,
        ),
        (
            Writer,
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"ops@example.com","components":[1]}"#,
        ),
        (
            Writer,
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"fresh@example.com","verify":true}"#,
        ),
        (
            Admin,
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"third@example.com","verify":true,"components":[1,2]}"#,
        ),
        (Admin, "DELETE", "/api/v1/subscriptions/1", ""),
        (Admin, "DELETE", "/api/v1/subscribers/2", ""),
        (Admin, "DELETE", "/api/v1/schedules/3", ""),
        (Admin, "DELETE", "/api/v1/components/4", ""),
    ];
    for (who, method, uri, body) in writes {
        record(api, o, who, method, uri, none, body).await;
    }
    for (method, uri) in [
        ("DELETE", "/api/v1/metrics/3"),
        ("DELETE", "/api/v1/incidents/3"),
        ("DELETE", "/api/v1/components/groups/3"),
    ] {
        record(api, o, Admin, method, uri, none, "").await;
    }
    for uri in [
        "/api/v1/components",
        "/api/v1/incidents",
        "/api/v1/subscribers",
        "/api/v2/summary.json",
    ] {
        record(api, o, Admin, "GET", uri, none, "").await;
    }
    out
}

#[tokio::test]
async fn every_answer_is_byte_for_byte_the_golden_one() {
    let api = Api::unlimited().await;
    fixture(&api).await;
    let got = script(&api).await;
    if std::env::var_os("CACHET_BLESS").is_some() {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden")).unwrap();
        std::fs::write(GOLDEN, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(GOLDEN).expect("tests/golden/api.txt (CACHET_BLESS=1)");
    if got != want {
        let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
        let at = g
            .iter()
            .zip(&w)
            .position(|(a, b)| a != b)
            .unwrap_or(g.len().min(w.len()));
        let request = w[..at.min(w.len())]
            .iter()
            .rev()
            .find(|l| l.starts_with("=== "))
            .copied()
            .unwrap_or("");
        panic!(
            "answer differs at line {} after {request}\nwant: {}\n got: {}",
            at + 1,
            w.get(at).copied().unwrap_or("<end>"),
            g.get(at).copied().unwrap_or("<end>")
        );
    }
}
