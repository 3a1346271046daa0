//! API v1 `/metrics` and `/metrics/{id}/points` through `Cachet::handle`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use chrono::TimeDelta;
use http::StatusCode;
use serde_json::json;

/// 2026-01-01 01:00:00 UTC.
const ONE_AM: i64 = 1_767_229_200;

#[tokio::test]
async fn create_returns_cachets_whole_shape_with_its_defaults() {
    let api = Api::new().await;
    let v = api
        .ok(
            "POST",
            "/api/v1/metrics",
            r#"{"name":"Latency","suffix":"ms","description":"API *latency*","default_value":0,"calc_type":1,"display_chart":false,"places":1,"view":2,"threshold":10,"order":3,"visible":0}"#,
        )
        .await;
    assert_eq!(
        v,
        json!({"data": {
            "id": 1, "name": "Latency", "suffix": "ms", "description": "API *latency*",
            "default_value": 0.0, "calc_type": 1, "display_chart": false, "places": 1,
            "default_view": 2, "threshold": 10, "order": 3, "visible": 0,
            "created_at": T0, "updated_at": T0, "default_view_name": "week",
        }})
    );
    // Cachet's defaults, form body, `default_view` wins over its alias `view`
    let r = api
        .send_full(
            "POST",
            "/api/v1/metrics",
            Some(&api.writer),
            &[("content-type", "application/x-www-form-urlencoded")],
            "name=Uptime&suffix=%25&default_value=99.5",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        r.json,
        json!({"data": {
            "id": 2, "name": "Uptime", "suffix": "%", "description": "",
            "default_value": 99.5, "calc_type": 0, "display_chart": true, "places": 2,
            "default_view": 1, "threshold": 5, "order": 0, "visible": 1,
            "created_at": T0, "updated_at": T0, "default_view_name": "today",
        }})
    );
    let v = api
        .ok(
            "POST",
            "/api/v1/metrics",
            r#"{"name":"x","suffix":"s","default_value":"1","default_view":0,"view":3}"#,
        )
        .await;
    assert_eq!(
        (
            v["data"]["default_view"].clone(),
            v["data"]["default_view_name"].clone()
        ),
        (json!(0), json!("last_hour"))
    );
}

#[tokio::test]
async fn guests_only_see_public_metrics_and_their_points() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"Staff","suffix":"s","default_value":0,"visible":0}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"Public","suffix":"s","default_value":0}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"Hidden","suffix":"s","default_value":0,"visible":2}"#,
    )
    .await;
    api.ok("POST", "/api/v1/metrics/1/points", r#"{"value":1}"#)
        .await;
    assert_eq!(ids(&api.get("/api/v1/metrics").await), [2]);
    for uri in [
        "/api/v1/metrics/1",
        "/api/v1/metrics/1/points",
        "/api/v1/metrics/3",
    ] {
        api.refused("GET", uri, None, "", StatusCode::NOT_FOUND)
            .await;
        let r = api.send("GET", uri, Some(&api.reader), "").await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
    }
    let r = api
        .send("GET", "/api/v1/metrics", Some(&api.reader), "")
        .await;
    assert_eq!(ids(&r.json), [1, 2, 3]);
    // a `visible` query key is no filter of Cachet's metrics and cannot widen a guest's view
    assert_eq!(ids(&api.get("/api/v1/metrics?visible=0").await), [2]);
    assert_eq!(
        ids(&api.get("/api/v1/metrics?sort=name&order=desc").await),
        [2]
    );
    let r = api
        .send(
            "GET",
            "/api/v1/metrics?sort=name&order=desc",
            Some(&api.reader),
            "",
        )
        .await;
    assert_eq!(ids(&r.json), [1, 2, 3]);
    let r = api
        .send("GET", "/api/v1/metrics?sort=name", Some(&api.reader), "")
        .await;
    assert_eq!(ids(&r.json), [3, 2, 1]);
    let r = api
        .send(
            "GET",
            "/api/v1/metrics?sort=suffix%20desc;--&name=x",
            Some(&api.reader),
            "",
        )
        .await;
    assert_eq!(ids(&r.json), [1, 2, 3]);
}

#[tokio::test]
async fn points_merge_inside_the_threshold_and_list_newest_first() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"Hits","suffix":"hits","default_value":0,"threshold":5}"#,
    )
    .await;
    let p1 = api
        .ok("POST", "/api/v1/metrics/1/points", r#"{"value":10}"#)
        .await;
    assert_eq!(
        p1,
        json!({"data": {"id": 1, "metric_id": 1, "value": 10.0, "counter": 1, "created_at": T0, "updated_at": T0, "calculated_value": 10.0}})
    );
    api.h.clock.advance(TimeDelta::minutes(2));
    // the same value inside the window increments the counter of the same point
    let v = api
        .ok("POST", "/api/v1/metrics/1/points", r#"{"value":"10.000"}"#)
        .await;
    assert_eq!(
        v,
        json!({"data": {"id": 1, "metric_id": 1, "value": 10.0, "counter": 2, "created_at": T0, "updated_at": "2026-01-01 00:02:00", "calculated_value": 20.0}})
    );
    let v = api
        .ok("POST", "/api/v1/metrics/1/points", r#"{"value":2.5}"#)
        .await;
    assert_eq!(
        (v["data"]["id"].clone(), v["data"]["counter"].clone()),
        (json!(2), json!(1))
    );
    api.h.clock.advance(TimeDelta::minutes(10));
    let v = api
        .ok("POST", "/api/v1/metrics/1/points", r#"{"value":10}"#)
        .await;
    assert_eq!(
        (v["data"]["id"].clone(), v["data"]["counter"].clone()),
        (json!(3), json!(1))
    );
    // an explicit Unix timestamp sets the time
    let v = api
        .ok(
            "POST",
            "/api/v1/metrics/1/points",
            &format!(r#"{{"value":7,"timestamp":{ONE_AM}}}"#),
        )
        .await;
    assert_eq!(
        (v["data"]["id"].clone(), v["data"]["created_at"].clone()),
        (json!(4), json!("2026-01-01 01:00:00"))
    );
    let v = api
        .ok(
            "POST",
            "/api/v1/metrics/1/points",
            &format!(r#"{{"value":8,"timestamp":"{ONE_AM}"}}"#),
        )
        .await;
    assert_eq!(v["data"]["id"], 5);
    // newest first, paginated with absolute links
    assert_eq!(
        ids(&api.get("/api/v1/metrics/1/points").await),
        [5, 4, 3, 2, 1]
    );
    let v = api.get("/api/v1/metrics/1/points?per_page=2&page=2").await;
    assert_eq!(
        v["meta"],
        json!({"pagination": {"total": 5, "count": 2, "per_page": 2, "current_page": 2, "total_pages": 3, "links": {
            "next_page": "https://status.example.com/api/v1/metrics/1/points?per_page=2&page=3",
            "previous_page": "https://status.example.com/api/v1/metrics/1/points?per_page=2&page=1",
        }}})
    );
    assert_eq!(ids(&v), [3, 2]);
    assert_eq!(
        ids(&api.get("/api/v1/metrics/1/points?sort=value").await),
        [2, 4, 5, 1, 3]
    );
}

#[tokio::test]
async fn points_are_edited_and_deleted_under_their_metric_only() {
    let api = Api::new().await;
    for n in ["a", "b"] {
        api.ok(
            "POST",
            "/api/v1/metrics",
            &format!(r#"{{"name":"{n}","suffix":"s","default_value":0}}"#),
        )
        .await;
    }
    api.ok("POST", "/api/v1/metrics/1/points", r#"{"value":1}"#)
        .await;
    api.ok("POST", "/api/v1/metrics/1/points", r#"{"value":1}"#)
        .await;
    api.h.clock.advance(TimeDelta::minutes(1));
    let v = api
        .ok("PUT", "/api/v1/metrics/1/points/1", r#"{"value":4}"#)
        .await;
    assert_eq!(
        v,
        json!({"data": {"id": 1, "metric_id": 1, "value": 4.0, "counter": 2, "created_at": T0, "updated_at": "2026-01-01 00:01:00", "calculated_value": 8.0}})
    );
    let v = api
        .ok(
            "PUT",
            "/api/v1/metrics/1/points/1",
            &format!(r#"{{"timestamp":{ONE_AM}}}"#),
        )
        .await;
    assert_eq!(
        (v["data"]["value"].clone(), v["data"]["created_at"].clone()),
        (json!(4.0), json!("2026-01-01 01:00:00"))
    );
    for (m, body) in [("PUT", r#"{"value":2}"#), ("DELETE", "")] {
        api.refused(
            m,
            "/api/v1/metrics/2/points/1",
            Some(&api.admin),
            body,
            StatusCode::NOT_FOUND,
        )
        .await;
        api.refused(
            m,
            "/api/v1/metrics/3/points/1",
            Some(&api.admin),
            body,
            StatusCode::NOT_FOUND,
        )
        .await;
        api.refused(
            m,
            "/api/v1/metrics/1/points/9",
            Some(&api.admin),
            body,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    api.refused(
        "POST",
        "/api/v1/metrics/3/points",
        Some(&api.admin),
        r#"{"value":1}"#,
        StatusCode::NOT_FOUND,
    )
    .await;
    let r = api
        .send(
            "DELETE",
            "/api/v1/metrics/1/points/1",
            Some(&api.writer),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.resp.body().is_empty());
    assert_eq!(
        api.get("/api/v1/metrics/1/points").await["meta"]["pagination"]["total"],
        0
    );
    // deleting a metric deletes its points
    api.ok("POST", "/api/v1/metrics/2/points", r#"{"value":1}"#)
        .await;
    let r = api
        .send("DELETE", "/api/v1/metrics/2", Some(&api.writer), "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    api.refused(
        "GET",
        "/api/v1/metrics/2/points",
        Some(&api.admin),
        "",
        StatusCode::NOT_FOUND,
    )
    .await;
    api.refused(
        "GET",
        "/api/v1/metrics/2",
        Some(&api.admin),
        "",
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn update_is_partial() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"a","suffix":"s","default_value":1,"places":3}"#,
    )
    .await;
    api.h.clock.advance(TimeDelta::minutes(1));
    let v = api
        .ok(
            "PUT",
            "/api/v1/metrics/1",
            r#"{"view":3,"threshold":"30","name":null}"#,
        )
        .await;
    assert_eq!(
        v,
        json!({"data": {
            "id": 1, "name": "a", "suffix": "s", "description": "", "default_value": 1.0,
            "calc_type": 0, "display_chart": true, "places": 3, "default_view": 3,
            "threshold": 30, "order": 0, "visible": 1, "created_at": T0,
            "updated_at": "2026-01-01 00:01:00", "default_view_name": "month",
        }})
    );
    for (m, uri) in [
        ("GET", "/api/v1/metrics/9"),
        ("PUT", "/api/v1/metrics/9"),
        ("DELETE", "/api/v1/metrics/9"),
        ("GET", "/api/v1/metrics/9/points"),
        ("GET", "/api/v1/metrics/0"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::NOT_FOUND)
            .await;
    }
}

#[tokio::test]
async fn field_rules_are_cachets_and_bad_input_writes_nothing() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"a","suffix":"s","default_value":0}"#,
    )
    .await;
    let d = api
        .invalid(
            "POST",
            "/api/v1/metrics",
            r#"{"threshold":7,"places":5,"default_view":4,"visible":3,"calc_type":2}"#,
        )
        .await;
    for f in [
        "name",
        "suffix",
        "default_value",
        "threshold",
        "places",
        "default_view",
        "visible",
        "calc_type",
    ] {
        assert!(names(&d, f), "{f}: {d:?}");
    }
    let base = r#""name":"m","suffix":"s","default_value":0"#;
    for extra in [
        r#""threshold":0"#,
        r#""threshold":-5"#,
        r#""threshold":120"#,
        r#""threshold":"5; DROP TABLE metrics""#,
        r#""places":-1"#,
        r#""view":9"#,
        r#""display_chart":2"#,
        r#""order":[1]"#,
        r#""suffix":"""#,
        r#""suffix":["s"]"#,
        r#""default_value":"abc""#,
        r#""default_value":"1e3""#,
        r#""default_value":1e13"#,
        r#""default_value":[0]"#,
        r#""default_value":true"#,
        r#""name":"x\ty""#,
    ] {
        api.invalid("POST", "/api/v1/metrics", &format!("{{{base},{extra}}}"))
            .await;
    }
    for body in [
        "{",
        r#"{"threshold":11}"#,
        r#"{"name":""}"#,
        r#"{"default_value":{"a":1}}"#,
    ] {
        api.invalid("PUT", "/api/v1/metrics/1", body).await;
    }
    for body in [
        "",
        "{}",
        r#"{"value":null}"#,
        r#"{"value":"ten"}"#,
        r#"{"value":[1]}"#,
        r#"{"value":{"v":1}}"#,
        r#"{"value":1,"timestamp":-1}"#,
        r#"{"value":1,"timestamp":99999999999999}"#,
        r#"{"value":1,"timestamp":"yesterday"}"#,
        r#"{"value":1,"timestamp":1.5}"#,
        r#"{"value":1,"timestamp":[1]}"#,
        r#"{"value":1e300}"#,
    ] {
        api.invalid("POST", "/api/v1/metrics/1/points", body).await;
    }
    api.ok("POST", "/api/v1/metrics/1/points", r#"{"value":1}"#)
        .await;
    for body in [r#"{"value":"x"}"#, r#"{"timestamp":-3}"#] {
        api.invalid("PUT", "/api/v1/metrics/1/points/1", body).await;
    }
}

#[tokio::test]
async fn tokens_scopes_methods_and_negotiation() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/metrics",
        r#"{"name":"a","suffix":"s","default_value":0}"#,
    )
    .await;
    api.ok("POST", "/api/v1/metrics/1/points", r#"{"value":1}"#)
        .await;
    for (m, uri, body) in [
        (
            "POST",
            "/api/v1/metrics",
            r#"{"name":"b","suffix":"s","default_value":0}"#,
        ),
        ("PUT", "/api/v1/metrics/1", r#"{"name":"b"}"#),
        ("DELETE", "/api/v1/metrics/1", ""),
        ("POST", "/api/v1/metrics/1/points", r#"{"value":2}"#),
        ("PUT", "/api/v1/metrics/1/points/1", r#"{"value":2}"#),
        ("DELETE", "/api/v1/metrics/1/points/1", ""),
    ] {
        api.needs_token(m, uri, body).await;
        api.refused(m, uri, Some(&api.reader), body, StatusCode::FORBIDDEN)
            .await;
    }
    for (m, uri) in [
        ("DELETE", "/api/v1/metrics"),
        ("POST", "/api/v1/metrics/1"),
        ("DELETE", "/api/v1/metrics/1/points"),
        ("GET", "/api/v1/metrics/1/points/1"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::METHOD_NOT_ALLOWED)
            .await;
    }
    api.not_acceptable("GET", "/api/v1/metrics").await;
    api.not_acceptable("POST", "/api/v1/metrics/1/points").await;
}
