//! API v1 `/components/groups` through `Cachet::handle`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use http::StatusCode;
use serde_json::json;

fn component_json(
    id: i64,
    name: &str,
    status: u8,
    label: &str,
    group: i64,
    enabled: bool,
) -> serde_json::Value {
    json!({
        "id": id, "name": name, "description": "", "link": "", "status": status, "order": 0,
        "group_id": group, "enabled": enabled, "meta": null, "created_at": T0, "updated_at": T0,
        "deleted_at": null, "status_name": label, "tags": [],
    })
}

#[tokio::test]
async fn create_returns_cachets_whole_shape_with_its_defaults() {
    let api = Api::new().await;
    let v = api
        .ok(
            "POST",
            "/api/v1/components/groups",
            r#"{"name":"Infra","order":2,"collapsed":1,"visible":true}"#,
        )
        .await;
    assert_eq!(
        v,
        json!({"data": {
            "id": 1, "name": "Infra", "order": 2, "collapsed": 1, "visible": 1,
            "created_at": T0, "updated_at": T0, "lowest_human_status": null,
            "enabled_components": [], "enabled_components_lowest": [],
        }})
    );
    // Cachet's defaults: order 0, expanded, only signed-in users see it; form bodies work
    let r = api
        .send_full(
            "POST",
            "/api/v1/components/groups",
            Some(&api.writer),
            &[("content-type", "application/x-www-form-urlencoded")],
            "name=Edge",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        r.json,
        json!({"data": {
            "id": 2, "name": "Edge", "order": 0, "collapsed": 0, "visible": 0,
            "created_at": T0, "updated_at": T0, "lowest_human_status": null,
            "enabled_components": [], "enabled_components_lowest": [],
        }})
    );
    // collapsed 3 and 4 are valid in Cachet and mean "collapsed unless there is a problem"
    let v = api
        .ok(
            "POST",
            "/api/v1/components/groups",
            r#"{"name":"Old","collapsed":"4","visible":"1"}"#,
        )
        .await;
    assert_eq!(
        (v["data"]["collapsed"].clone(), v["data"]["visible"].clone()),
        (json!(2), json!(1))
    );
}

#[tokio::test]
async fn a_group_shows_its_enabled_components_and_the_lowest_status() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/components/groups",
        r#"{"name":"Infra","visible":1}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"DB","status":3,"group_id":1}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"API","status":1,"group_id":1}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"Off","status":4,"group_id":1,"enabled":false}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"Elsewhere","status":4}"#,
    )
    .await;
    let db = component_json(1, "DB", 3, "Partial Outage", 1, true);
    let api_c = component_json(2, "API", 1, "Operational", 1, true);
    let expected = json!({
        "id": 1, "name": "Infra", "order": 0, "collapsed": 0, "visible": 1,
        "created_at": T0, "updated_at": T0, "lowest_human_status": "Partial Outage",
        "enabled_components": [db.clone(), api_c],
        "enabled_components_lowest": [db],
    });
    assert_eq!(
        api.get("/api/v1/components/groups/1").await,
        json!({"data": expected.clone()})
    );
    let list = api.get("/api/v1/components/groups").await;
    assert_eq!(
        list,
        json!({
            "meta": {"pagination": {"total": 1, "count": 1, "per_page": 20, "current_page": 1,
                "total_pages": 1, "links": {"next_page": null, "previous_page": null}}},
            "data": [expected],
        })
    );
}

#[tokio::test]
async fn guests_only_see_public_groups_by_id_too() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/components/groups",
        r#"{"name":"Public","visible":1}"#,
    )
    .await;
    api.ok("POST", "/api/v1/components/groups", r#"{"name":"Staff"}"#)
        .await;
    let r = api
        .send("GET", "/api/v1/components/groups/2", None, "")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // a bad token on a public read is a guest's request
    let r = api
        .send(
            "GET",
            "/api/v1/components/groups/2",
            Some("cachet_bogus"),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .send("GET", "/api/v1/components/groups/2", Some(&api.reader), "")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        api.get("/api/v1/components/groups").await["meta"]["pagination"]["total"],
        1
    );
    // asking for the hidden ones as a guest finds nothing (not the public ones instead)
    assert_eq!(
        api.get("/api/v1/components/groups?visible=0").await["meta"]["pagination"]["total"],
        0
    );
    let r = api
        .send(
            "GET",
            "/api/v1/components/groups?visible=0",
            Some(&api.reader),
            "",
        )
        .await;
    assert_eq!(r.json["data"][0]["name"], "Staff");
    let r = api
        .send("GET", "/api/v1/components/groups", Some(&api.reader), "")
        .await;
    assert_eq!(r.json["meta"]["pagination"]["total"], 2);
}

#[tokio::test]
async fn filters_are_whitelisted_and_order_is_the_sort_direction() {
    let api = Api::new().await;
    for (n, c) in [("b", 0), ("a", 1), ("c", 2)] {
        api.ok(
            "POST",
            "/api/v1/components/groups",
            &format!(r#"{{"name":"{n}","collapsed":{c},"visible":1,"order":5}}"#),
        )
        .await;
    }
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(
            &api.get("/api/v1/components/groups?sort=name&order=desc")
                .await
        ),
        ["c", "b", "a"]
    );
    assert_eq!(
        names(&api.get("/api/v1/components/groups?sort=name").await),
        ["a", "b", "c"]
    );
    assert_eq!(
        names(&api.get("/api/v1/components/groups?name=a").await),
        ["a"]
    );
    assert_eq!(
        names(&api.get("/api/v1/components/groups?collapsed=2").await),
        ["c"]
    );
    assert_eq!(
        names(&api.get("/api/v1/components/groups?id=1").await),
        ["b"]
    );
    // `order` never filters (all three have order 5, none has order 1)
    assert_eq!(
        api.get("/api/v1/components/groups?order=1").await["meta"]["pagination"]["total"],
        3
    );
    // unknown keys and sort fields are ignored; SQL-ish values match nothing
    assert_eq!(
        api.get("/api/v1/components/groups?1=1&foo=bar&sort=name%3BDROP%20TABLE")
            .await["meta"]["pagination"]["total"],
        3
    );
    assert_eq!(
        api.get("/api/v1/components/groups?name=a%27%20OR%20%271%27%3D%271")
            .await["meta"]["pagination"]["total"],
        0
    );
    for q in [
        "name[]=a",
        "id[]=1",
        "collapsed[x]=1",
        "id=1%20OR%201=1",
        "collapsed=9",
        "visible=maybe",
        "sort[]=name",
    ] {
        api.refused(
            "GET",
            &format!("/api/v1/components/groups?{q}"),
            None,
            "",
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    // pagination links are absolute and keep the query
    let v = api
        .get("/api/v1/components/groups?per_page=1&sort=name")
        .await;
    assert_eq!(
        v["meta"]["pagination"]["links"],
        json!({"next_page": "https://status.example.com/api/v1/components/groups?per_page=1&sort=name&page=2", "previous_page": null})
    );
}

#[tokio::test]
async fn update_is_partial_and_delete_ungroups_the_components() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/components/groups",
        r#"{"name":"Infra","order":3,"visible":1}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/components",
        r#"{"name":"DB","status":1,"group_id":1}"#,
    )
    .await;
    api.h.clock.advance(chrono::TimeDelta::minutes(1));
    let v = api
        .ok(
            "PUT",
            "/api/v1/components/groups/1",
            r#"{"collapsed":2,"name":null}"#,
        )
        .await;
    assert_eq!(v["data"]["name"], "Infra");
    assert_eq!(v["data"]["order"], 3);
    assert_eq!(v["data"]["collapsed"], 2);
    assert_eq!(v["data"]["updated_at"], "2026-01-01 00:01:00");
    assert_eq!(v["data"]["enabled_components"][0]["name"], "DB");
    let r = api
        .send(
            "DELETE",
            "/api/v1/components/groups/1",
            Some(&api.writer),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.resp.body().is_empty());
    assert_eq!(api.get("/api/v1/components/1").await["data"]["group_id"], 0);
    for (m, uri) in [
        ("GET", "/api/v1/components/groups/1"),
        ("PUT", "/api/v1/components/groups/1"),
        ("DELETE", "/api/v1/components/groups/1"),
        ("GET", "/api/v1/components/groups/0"),
        ("GET", "/api/v1/components/groups/x"),
        ("GET", "/api/v1/components/groups/99999999999999999999"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::NOT_FOUND)
            .await;
    }
}

#[tokio::test]
async fn bad_input_is_400_and_writes_nothing() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/components/groups", r#"{"name":"Infra"}"#)
        .await;
    let d = api
        .invalid(
            "POST",
            "/api/v1/components/groups",
            r#"{"order":"first","collapsed":9,"visible":"maybe"}"#,
        )
        .await;
    for f in ["name", "order", "collapsed", "visible"] {
        assert!(names(&d, f), "{f}: {d:?}");
    }
    for body in [
        "{",
        r#""text""#,
        r#"[1]"#,
        r#"{"name":["x"]}"#,
        r#"{"name":{"a":1}}"#,
        r#"{"name":""}"#,
        r#"{"name":"x\u0000y"}"#,
        r#"{"name":"x","order":1.5}"#,
        r#"{"name":"x","order":99999999999}"#,
        r#"{"name":"x","collapsed":-1}"#,
        r#"{"name":"x","visible":2}"#,
    ] {
        api.invalid("POST", "/api/v1/components/groups", body).await;
    }
    for body in [
        r#"{"name":["x"]}"#,
        r#"{"collapsed":"one"}"#,
        "{",
        r#"{"name":"   "}"#,
    ] {
        api.invalid("PUT", "/api/v1/components/groups/1", body)
            .await;
    }
    // a body nested too deeply is refused before it is parsed
    let deep = format!(r#"{{"name":{}1{}}}"#, "[".repeat(64), "]".repeat(64));
    api.invalid("POST", "/api/v1/components/groups", &deep)
        .await;
}

#[tokio::test]
async fn tokens_scopes_methods_and_negotiation() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/components/groups", r#"{"name":"Infra"}"#)
        .await;
    api.needs_token("POST", "/api/v1/components/groups", r#"{"name":"x"}"#)
        .await;
    api.needs_token("PUT", "/api/v1/components/groups/1", r#"{"name":"x"}"#)
        .await;
    api.needs_token("DELETE", "/api/v1/components/groups/1", "")
        .await;
    // without a token a write is 401 even when its body is unreadable
    api.refused(
        "POST",
        "/api/v1/components/groups",
        None,
        "{",
        StatusCode::UNAUTHORIZED,
    )
    .await;
    api.refused(
        "PUT",
        "/api/v1/components/groups/1",
        None,
        "[[[",
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // a read-scope token may not write, whatever the body
    for (m, uri, body) in [
        ("POST", "/api/v1/components/groups", r#"{"name":"x"}"#),
        ("POST", "/api/v1/components/groups", r#"{"name":["x"]}"#),
        ("PUT", "/api/v1/components/groups/1", r#"{"name":"x"}"#),
        ("DELETE", "/api/v1/components/groups/1", ""),
    ] {
        let e = api
            .refused(m, uri, Some(&api.reader), body, StatusCode::FORBIDDEN)
            .await;
        assert_eq!(e["title"], "Forbidden");
    }
    for (m, uri) in [
        ("DELETE", "/api/v1/components/groups"),
        ("POST", "/api/v1/components/groups/1"),
        ("PUT", "/api/v1/components/groups"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::METHOD_NOT_ALLOWED)
            .await;
    }
    api.not_acceptable("GET", "/api/v1/components/groups").await;
    api.not_acceptable("POST", "/api/v1/components/groups")
        .await;
    // dates follow the Time-Zone header
    let r = api
        .send_full(
            "GET",
            "/api/v1/components/groups/1",
            Some(&api.reader),
            &[("time-zone", "Europe/Berlin")],
            "",
        )
        .await;
    assert_eq!(r.json["data"]["created_at"], "2026-01-01 01:00:00");
}
