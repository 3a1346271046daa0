//! API v1 `/schedules` (maintenance) through `Cachet::handle`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use chrono::TimeDelta;
use http::StatusCode;
use serde_json::{Value, json};

async fn components(api: &Api) -> (Value, Value) {
    let a = api
        .ok("POST", "/api/v1/components", r#"{"name":"DB","status":1}"#)
        .await;
    let b = api
        .ok(
            "POST",
            "/api/v1/components",
            r#"{"name":"Old","status":1,"enabled":false}"#,
        )
        .await;
    (a["data"].clone(), b["data"].clone())
}

#[tokio::test]
async fn create_returns_the_whole_shape_and_honours_components() {
    let api = Api::new().await;
    let (db, old) = components(&api).await;
    let v = api
        .ok(
            "POST",
            "/api/v1/schedules",
            r#"{"name":"DB upgrade","message":"Planned *work*","status":0,"scheduled_at":"2026-02-01 10:00","completed_at":"2026-02-01 12:00","components":[1,2],"notify":true}"#,
        )
        .await;
    let expected = |components: Vec<Value>| {
        json!({
            "id": 1, "name": "DB upgrade", "message": "Planned *work*", "status": 0,
            "scheduled_at": "2026-02-01 10:00:00", "completed_at": "2026-02-01 12:00:00",
            "created_at": T0, "updated_at": T0, "deleted_at": null,
            "components": components, "human_status": "Upcoming",
        })
    };
    assert_eq!(v, json!({"data": expected(vec![db.clone(), old.clone()])}));
    // guests do not see the disabled component inside the schedule; readers do
    assert_eq!(
        api.get("/api/v1/schedules/1").await,
        json!({"data": expected(vec![db.clone()])})
    );
    let r = api
        .send("GET", "/api/v1/schedules/1", Some(&api.reader), "")
        .await;
    assert_eq!(r.json, json!({"data": expected(vec![db.clone(), old])}));
    assert_eq!(
        api.get("/api/v1/schedules").await,
        json!({
            "meta": {"pagination": {"total": 1, "count": 1, "per_page": 20, "current_page": 1, "total_pages": 1,
                "links": {"next_page": null, "previous_page": null}}},
            "data": [expected(vec![db])],
        })
    );
}

#[tokio::test]
async fn defaults_form_bodies_and_time_zones() {
    let api = Api::new().await;
    components(&api).await;
    let r = api
        .send_full(
            "POST",
            "/api/v1/schedules",
            Some(&api.writer),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("time-zone", "America/New_York"),
            ],
            "name=Window&status=1&scheduled_at=2026-02-01+10%3A00&components%5B%5D=1",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let d = &r.json["data"];
    assert_eq!(
        (
            d["message"].clone(),
            d["scheduled_at"].clone(),
            d["completed_at"].clone(),
            d["human_status"].clone(),
            d["created_at"].clone()
        ),
        (
            json!(""),
            json!("2026-02-01 10:00:00"),
            Value::Null,
            json!("In Progress"),
            json!("2025-12-31 19:00:00")
        )
    );
    assert_eq!(d["components"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.get("/api/v1/schedules/1").await["data"]["scheduled_at"],
        "2026-02-01 15:00:00"
    );
    // comma-separated component ids too
    let v = api
        .ok(
            "POST",
            "/api/v1/schedules",
            r#"{"name":"W2","status":2,"scheduled_at":"2026-01-02 00:00","components":"1,2"}"#,
        )
        .await;
    assert_eq!(v["data"]["components"].as_array().unwrap().len(), 2);
    assert_eq!(v["data"]["human_status"], "Complete");
}

#[tokio::test]
async fn update_is_partial_and_replaces_components() {
    let api = Api::new().await;
    components(&api).await;
    api.ok("POST", "/api/v1/schedules", r#"{"name":"W","status":0,"scheduled_at":"2026-02-01 10:00","completed_at":"2026-02-01 11:00","components":[1]}"#).await;
    api.h.clock.advance(TimeDelta::minutes(1));
    let v = api
        .ok(
            "PUT",
            "/api/v1/schedules/1",
            r#"{"status":1,"completed_at":"","components":[]}"#,
        )
        .await;
    let d = &v["data"];
    assert_eq!(
        (
            d["name"].clone(),
            d["status"].clone(),
            d["completed_at"].clone(),
            d["components"].clone(),
            d["scheduled_at"].clone(),
            d["updated_at"].clone()
        ),
        (
            json!("W"),
            json!(1),
            Value::Null,
            json!([]),
            json!("2026-02-01 10:00:00"),
            json!("2026-01-01 00:01:00")
        )
    );
    let v = api
        .ok(
            "PUT",
            "/api/v1/schedules/1",
            r#"{"name":"W2","scheduled_at":"2026-03-01 09:30","components":[1]}"#,
        )
        .await;
    assert_eq!(
        (
            v["data"]["name"].clone(),
            v["data"]["scheduled_at"].clone(),
            v["data"]["components"][0]["id"].clone()
        ),
        (json!("W2"), json!("2026-03-01 09:30:00"), json!(1))
    );
    let r = api
        .send("DELETE", "/api/v1/schedules/1", Some(&api.writer), "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.resp.body().is_empty());
    for (m, uri) in [
        ("GET", "/api/v1/schedules/1"),
        ("PUT", "/api/v1/schedules/1"),
        ("DELETE", "/api/v1/schedules/1"),
        ("GET", "/api/v1/schedules/x"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::NOT_FOUND)
            .await;
    }
}

#[tokio::test]
async fn lists_sort_by_whitelist_and_ignore_unknown_keys() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"b","status":0,"scheduled_at":"2026-03-01 00:00"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"a","status":0,"scheduled_at":"2026-02-01 00:00"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"c","status":2,"scheduled_at":"2026-01-01 00:00"}"#,
    )
    .await;
    assert_eq!(ids(&api.get("/api/v1/schedules").await), [3, 2, 1]);
    assert_eq!(
        ids(&api.get("/api/v1/schedules?sort=name").await),
        [2, 1, 3]
    );
    assert_eq!(
        ids(&api.get("/api/v1/schedules?sort=name&order=desc").await),
        [3, 1, 2]
    );
    assert_eq!(
        ids(&api
            .get("/api/v1/schedules?sort=message;DROP&status=2&name=zzz")
            .await),
        [3, 2, 1]
    );
    let v = api.get("/api/v1/schedules?per_page=2&page=9").await;
    assert_eq!(v["meta"]["pagination"]["count"], 0);
    assert_eq!(
        v["meta"]["pagination"]["links"]["previous_page"],
        "https://status.example.com/api/v1/schedules?per_page=2&page=2"
    );
    for q in ["sort[]=name", "sort=name&order[]=desc", "page=x"] {
        api.refused(
            "GET",
            &format!("/api/v1/schedules?{q}"),
            None,
            "",
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn bad_input_is_400_and_writes_nothing() {
    let api = Api::new().await;
    components(&api).await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"W","status":0,"scheduled_at":"2026-02-01 10:00"}"#,
    )
    .await;
    let d = api
        .invalid("POST", "/api/v1/schedules", r#"{"message":["x"]}"#)
        .await;
    for f in ["name", "status", "scheduled_at", "message"] {
        assert!(names(&d, f), "{f}: {d:?}");
    }
    let base = r#""name":"W","status":0,"scheduled_at":"2026-02-01 10:00""#;
    for extra in [
        r#""status":3"#,
        r#""status":"upcoming""#,
        r#""scheduled_at":"""#,
        r#""scheduled_at":"tomorrow""#,
        r#""scheduled_at":"2026-02-01T10:00:00Z""#,
        r#""scheduled_at":["2026-02-01 10:00"]"#,
        r#""completed_at":"soon""#,
        r#""components":[0]"#,
        r#""components":["a"]"#,
        r#""components":"1;DROP TABLE"#,
        r#""components":{"a":1}"#,
        r#""components":[99]"#,
        r#""components":[[1]]"#,
        r#""notify":"perhaps""#,
    ] {
        api.invalid("POST", "/api/v1/schedules", &format!("{{{base},{extra}}}"))
            .await;
    }
    for body in [
        "{",
        r#"{"status":-1}"#,
        r#"{"name":""}"#,
        r#"{"completed_at":"x"}"#,
        r#"{"components":[99]}"#,
    ] {
        api.invalid("PUT", "/api/v1/schedules/1", body).await;
    }
}

#[tokio::test]
async fn tokens_scopes_methods_and_negotiation() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/schedules",
        r#"{"name":"W","status":0,"scheduled_at":"2026-02-01 10:00"}"#,
    )
    .await;
    for (m, uri, body) in [
        (
            "POST",
            "/api/v1/schedules",
            r#"{"name":"W","status":0,"scheduled_at":"2026-02-01 10:00"}"#,
        ),
        ("PUT", "/api/v1/schedules/1", r#"{"name":"X"}"#),
        ("DELETE", "/api/v1/schedules/1", ""),
    ] {
        api.needs_token(m, uri, body).await;
        api.refused(m, uri, Some(&api.reader), body, StatusCode::FORBIDDEN)
            .await;
    }
    for (m, uri) in [
        ("DELETE", "/api/v1/schedules"),
        ("POST", "/api/v1/schedules/1"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::METHOD_NOT_ALLOWED)
            .await;
    }
    api.not_acceptable("GET", "/api/v1/schedules").await;
    api.not_acceptable("PUT", "/api/v1/schedules/1").await;
}
