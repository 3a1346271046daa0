//! Every Statuspage v2 answer validates against the schema the served OpenAPI document
//! declares for its endpoint, over a page that fills every field the schemas describe; the
//! vocabularies (statuses, indicator) are enums there, so a value outside them fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;
mod openapi_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use openapi_support::*;
use serde_json::{Value, json};

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::validate::Markdown;

/// A page with something in every Statuspage field: a public group of two components (one
/// under maintenance), an ungrouped component and one of unknown status; an incident resolved
/// after monitoring, one watching without updates, one open without components; maintenances
/// completed, in progress (with an update) and upcoming.
async fn statuspage_fixture(api: &Api) {
    let id = |v: &Value| v["data"]["id"].as_i64().unwrap();
    let g = api
        .ok(
            "POST",
            "/api/v1/components/groups",
            r#"{"name":"Edge","visible":true,"order":1}"#,
        )
        .await;
    let cdn = api
        .ok(
            "POST",
            "/api/v1/components",
            &json!({"name": "CDN", "status": 2, "group_id": id(&g), "description": "Assets"})
                .to_string(),
        )
        .await;
    let api_component = api
        .ok(
            "POST",
            "/api/v1/components",
            &json!({"name": "API", "status": 4, "group_id": id(&g), "order": 2}).to_string(),
        )
        .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"Mail","status":1}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"Legacy","status":0}"#,
    )
    .await;
    api.h.clock.advance(chrono::TimeDelta::minutes(5));
    let slow = api
        .ok(
            "POST",
            "/api/v1/incidents",
            &json!({"name": "Slow", "status": 2, "message": "Looking **into** it",
                    "component_id": id(&cdn), "component_status": 3})
            .to_string(),
        )
        .await;
    for (status, message) in [(3, "Fix deployed"), (4, "All good")] {
        api.h.clock.advance(chrono::TimeDelta::minutes(5));
        api.ok(
            "POST",
            &format!("/api/v1/incidents/{}/updates", id(&slow)),
            &json!({"status": status, "message": message}).to_string(),
        )
        .await;
    }
    api.ok(
        "POST",
        "/api/v1/incidents",
        &json!({"name": "Watching", "status": 3, "message": "Keeping an eye on it",
                "component_id": id(&api_component), "component_status": 4})
        .to_string(),
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/incidents",
        r#"{"name":"Open","status":1,"message":"Checking"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"Done","status":2,"message":"Was fine","scheduled_at":"2025-12-31 10:00","completed_at":"2025-12-31 11:00"}"#,
    )
    .await;
    let now = api
        .ok(
            "POST",
            "/api/v1/schedules",
            &json!({"name": "Now", "status": 1, "message": "Going on",
                    "scheduled_at": "2026-01-01 00:00", "completed_at": "2026-01-01 05:00",
                    "components": [id(&api_component)]})
            .to_string(),
        )
        .await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        &json!({"name": "Later", "status": 0, "message": "Short *window*",
                "scheduled_at": "2026-01-02 02:00", "completed_at": "2026-01-02 03:00",
                "components": [id(&cdn)]})
        .to_string(),
    )
    .await;
    api.h.clock.advance(chrono::TimeDelta::minutes(5));
    api.h
        .cachet
        .create_schedule_update(
            &Actor::operator(),
            ScheduleId(id(&now)),
            &NewScheduleUpdate::new(Markdown::parse("Halfway").unwrap()),
        )
        .await
        .unwrap();
    api.h.clock.advance(chrono::TimeDelta::minutes(5));
}

#[tokio::test]
async fn every_statuspage_answer_validates_against_its_schema() {
    let api = Api::unlimited().await;
    let doc = document(&api).await;
    statuspage_fixture(&api).await;
    let paths: Vec<&String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/api/v2/"))
        .collect();
    assert_eq!(paths.len(), 8, "{paths:?}");
    for path in &paths {
        let answer = api.get(path).await;
        let schema = response_schema(&doc, path, "get", 200);
        assert_valid(&doc, &schema, &answer, &format!("GET {path}"));
    }
    // The fixture reaches what the schemas describe: a group with its components, a
    // component under maintenance, a monitored and resolved incident, maintenances in every
    // phase, and a maintenance's own update.
    let summary = api.get("/api/v2/summary.json").await;
    let text = summary.to_string();
    for needle in [
        r#""group":true"#,
        r#""components":["component-1","component-2"]"#,
        r#""status":"under_maintenance""#,
        r#""status":"monitoring""#,
        r#""id":"schedule-update-1""#,
        r#""status":"in_progress""#,
        r#""status":"scheduled""#,
    ] {
        assert!(text.contains(needle), "summary.json lacks {needle}: {text}");
    }
    let all = api.get("/api/v2/incidents.json").await.to_string();
    assert!(all.contains(r#""status":"resolved""#), "{all}");
    let all = api
        .get("/api/v2/scheduled-maintenances.json")
        .await
        .to_string();
    assert!(all.contains(r#""status":"completed""#), "{all}");
    // The vocabularies are enums in the document, so a value outside them fails.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["SpComponentStatus"]["enum"],
        json!([
            "operational",
            "degraded_performance",
            "partial_outage",
            "major_outage",
            "under_maintenance"
        ])
    );
    assert_eq!(
        schemas["SpIndicator"]["enum"],
        json!(["none", "minor", "major", "critical", "maintenance"])
    );
    // Nullable fields are always present; only a group has `components`.
    let required = schemas["SpComponent"]["required"].as_array().unwrap();
    assert!(required.contains(&json!("description")), "{required:?}");
    assert!(!required.contains(&json!("components")), "{required:?}");
    let v = validator(
        &doc,
        &response_schema(&doc, "/api/v2/summary.json", "get", 200),
    );
    assert!(v.is_valid(&summary));
    let mut bad = summary.clone();
    bad["components"][0]["status"] = json!("on_fire");
    assert!(!v.is_valid(&bad), "a status outside the vocabulary");
    let mut bad = summary.clone();
    bad["scheduled_maintenances"][0]["incident_updates"][0]["status"] = json!("monitoring");
    assert!(
        !v.is_valid(&bad),
        "an incident status on a maintenance update"
    );
    let mut bad = summary.clone();
    bad["page"].as_object_mut().unwrap().remove("id");
    assert!(!v.is_valid(&bad), "a page without its id");
    let mut bad = summary.clone();
    bad["components"][1]["description"] = json!(7);
    assert!(!v.is_valid(&bad), "a number for a description");
    let mut bad = summary;
    bad["incidents"][0]
        .as_object_mut()
        .unwrap()
        .remove("resolved_at");
    assert!(!v.is_valid(&bad), "an incident without resolved_at");
}
