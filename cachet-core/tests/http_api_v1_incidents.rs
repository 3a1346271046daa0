//! API v1 `/incidents`, `/incidents/{id}/updates` and `/incidents/templates` through
//! `Cachet::handle`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::template::escape_markdown;
use cachet_core::validate::{Markdown, Slug};
use chrono::TimeDelta;
use http::StatusCode;
use serde_json::{Value, json};

const URL: &str = "https://status.example.com";

async fn template(api: &Api, slug: &str, body: &str) {
    api.h
        .cachet
        .create_template(
            &Actor::operator(),
            &NewIncidentTemplate::new(
                common::name(slug),
                Slug::parse(slug).unwrap(),
                Markdown::parse(body).unwrap(),
            ),
        )
        .await
        .unwrap();
}

/// POSTs each `(uri, body)` as the admin, in order, each answered 200.
async fn post_all(api: &Api, posts: &[(&str, &str)]) {
    for (uri, body) in posts {
        api.ok("POST", uri, body).await;
    }
}

fn total(v: &Value) -> u64 {
    v["meta"]["pagination"]["total"].as_u64().unwrap()
}

#[tokio::test]
async fn create_returns_cachets_whole_shape_and_sets_the_component_silently() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/components", r#"{"name":"DB","status":1}"#)
        .await;
    let v = api
        .ok(
            "POST",
            "/api/v1/incidents",
            r#"{"name":"Outage","status":1,"message":"We are *looking*","component_id":1,"component_status":4,"meta":{"ticket":"T-1"}}"#,
        )
        .await;
    assert_eq!(
        v,
        json!({"data": {
            "id": 1, "user_id": 1, "component_id": 1, "components": [{"id": 1, "status": 4}],
            "name": "Outage", "status": 1, "visible": 1,
            "stickied": false, "notifications": true, "message": "We are *looking*",
            "occurred_at": T0, "created_at": T0, "updated_at": T0, "deleted_at": null,
            "is_resolved": false, "meta": {"ticket": "T-1"}, "updates": [],
            "human_status": "Investigating", "latest_update_id": null, "latest_status": 1,
            "latest_human_status": "Investigating", "latest_icon": "icon ion-flag oranges",
            "permalink": format!("{URL}/incidents/1"), "duration": 0,
        }})
    );
    assert_eq!(api.get("/api/v1/components/1").await["data"]["status"], 4);
    // the defaults, a form body, Cachet's booleans, no component
    let r = api
        .send_full(
            "POST",
            "/api/v1/incidents",
            Some(&api.writer),
            &[("content-type", "application/x-www-form-urlencoded")],
            "name=Slow&status=2&visible=0&notify=false&stickied=1",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let d = &r.json["data"];
    assert_eq!(
        (
            d["user_id"].clone(),
            d["component_id"].clone(),
            d["visible"].clone(),
            d["notifications"].clone(),
            d["stickied"].clone(),
            d["message"].clone(),
            d["meta"].clone()
        ),
        (
            json!(2),
            json!(0),
            json!(0),
            json!(false),
            json!(true),
            json!(""),
            json!([])
        )
    );
}

#[tokio::test]
async fn updates_resolve_the_incident_and_show_in_its_presenter() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/incidents",
        r#"{"name":"Outage","status":1}"#,
    )
    .await;
    api.h.clock.advance(TimeDelta::minutes(10));
    let v = api
        .ok(
            "POST",
            "/api/v1/incidents/1/updates",
            r#"{"status":3,"message":"Watching"}"#,
        )
        .await;
    let u1 = json!({
        "id": 1, "incident_id": 1, "status": 3, "message": "Watching", "user_id": 1,
        "created_at": "2026-01-01 00:10:00", "updated_at": "2026-01-01 00:10:00",
        "human_status": "Watching", "permalink": format!("{URL}/incidents/1#update-1"),
    });
    assert_eq!(v, json!({"data": u1.clone()}));
    api.h.clock.advance(TimeDelta::minutes(5));
    let v = api
        .ok(
            "POST",
            "/api/v1/incidents/1/updates",
            r#"{"status":4,"message":"Fixed"}"#,
        )
        .await;
    let u2 = json!({
        "id": 2, "incident_id": 1, "status": 4, "message": "Fixed", "user_id": 1,
        "created_at": "2026-01-01 00:15:00", "updated_at": "2026-01-01 00:15:00",
        "human_status": "Fixed", "permalink": format!("{URL}/incidents/1#update-2"),
    });
    assert_eq!(v["data"], u2);
    let v = api.get("/api/v1/incidents/1").await;
    assert_eq!(
        v,
        json!({"data": {
            "id": 1, "user_id": 1, "component_id": 0, "components": [], "name": "Outage", "status": 4,
            "visible": 1,
            "stickied": false, "notifications": true, "message": "",
            "occurred_at": T0, "created_at": T0, "updated_at": "2026-01-01 00:15:00", "deleted_at": null,
            "is_resolved": true, "meta": [], "updates": [u2.clone(), u1.clone()],
            "human_status": "Fixed", "latest_update_id": 2, "latest_status": 4,
            "latest_human_status": "Fixed", "latest_icon": "icon ion-checkmark greens",
            "permalink": format!("{URL}/incidents/1"), "duration": 900,
        }})
    );
    // the update list: newest first, paginated with absolute links
    let v = api.get("/api/v1/incidents/1/updates?per_page=1").await;
    assert_eq!(
        v,
        json!({
            "meta": {"pagination": {"total": 2, "count": 1, "per_page": 1, "current_page": 1, "total_pages": 2,
                "links": {"next_page": format!("{URL}/api/v1/incidents/1/updates?per_page=1&page=2"), "previous_page": null}}},
            "data": [u2],
        })
    );
    assert_eq!(
        api.get("/api/v1/incidents/1/updates/1").await,
        json!({"data": u1})
    );
    // edit and delete an update
    api.h.clock.advance(TimeDelta::minutes(1));
    let v = api
        .ok(
            "PUT",
            "/api/v1/incidents/1/updates/1",
            r#"{"message":"Still watching"}"#,
        )
        .await;
    assert_eq!(
        (
            v["data"]["message"].clone(),
            v["data"]["status"].clone(),
            v["data"]["updated_at"].clone()
        ),
        (
            json!("Still watching"),
            json!(3),
            json!("2026-01-01 00:16:00")
        )
    );
    let v = api
        .ok("PUT", "/api/v1/incidents/1/updates/1", r#"{"status":"2"}"#)
        .await;
    assert_eq!(v["data"]["status"], 2);
    let r = api
        .send(
            "DELETE",
            "/api/v1/incidents/1/updates/2",
            Some(&api.writer),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.resp.body().is_empty());
    assert_eq!(ids(&api.get("/api/v1/incidents/1/updates").await), [1]);
}

#[tokio::test]
async fn an_update_with_a_component_sets_its_status() {
    let api = Api::new().await;
    post_all(
        &api,
        &[
            ("/api/v1/components", r#"{"name":"DB","status":4}"#),
            ("/api/v1/incidents", r#"{"name":"Outage","status":1}"#),
            (
                "/api/v1/incidents/1/updates",
                r#"{"status":4,"message":"Back","component_id":1,"component_status":1}"#,
            ),
        ],
    )
    .await;
    assert_eq!(api.get("/api/v1/components/1").await["data"]["status"], 1);
    let d = api
        .invalid(
            "POST",
            "/api/v1/incidents/1/updates",
            r#"{"status":4,"message":"x","component_id":1}"#,
        )
        .await;
    assert!(names(&d, "component_status"), "{d:?}");
    // an unknown component is refused whole: no update, no status change
    api.invalid(
        "POST",
        "/api/v1/incidents/1/updates",
        r#"{"status":4,"message":"x","component_id":9,"component_status":1}"#,
    )
    .await;
}

#[tokio::test]
async fn child_ids_under_the_wrong_parent_are_404() {
    let api = Api::new().await;
    post_all(
        &api,
        &[
            ("/api/v1/incidents", r#"{"name":"One","status":1}"#),
            ("/api/v1/incidents", r#"{"name":"Two","status":1}"#),
            (
                "/api/v1/incidents/2/updates",
                r#"{"status":2,"message":"x"}"#,
            ),
        ],
    )
    .await;
    for (m, body) in [("GET", ""), ("PUT", r#"{"message":"y"}"#), ("DELETE", "")] {
        for uri in [
            "/api/v1/incidents/1/updates/1",
            "/api/v1/incidents/3/updates/1",
            "/api/v1/incidents/2/updates/x",
        ] {
            api.refused(m, uri, Some(&api.admin), body, StatusCode::NOT_FOUND)
                .await;
        }
    }
    api.refused(
        "GET",
        "/api/v1/incidents/3/updates",
        None,
        "",
        StatusCode::NOT_FOUND,
    )
    .await;
    api.refused(
        "POST",
        "/api/v1/incidents/3/updates",
        Some(&api.admin),
        r#"{"status":2,"message":"x"}"#,
        StatusCode::NOT_FOUND,
    )
    .await;
    for (m, uri) in [
        ("GET", "/api/v1/incidents/9"),
        ("PUT", "/api/v1/incidents/9"),
        ("DELETE", "/api/v1/incidents/9"),
        ("GET", "/api/v1/incidents/-1"),
        ("GET", "/api/v1/incidents/1.0"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::NOT_FOUND)
            .await;
    }
    // deleting an incident deletes its updates
    let r = api
        .send("DELETE", "/api/v1/incidents/2", Some(&api.admin), "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    api.refused(
        "GET",
        "/api/v1/incidents/2/updates/1",
        Some(&api.admin),
        "",
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn hidden_incidents_are_invisible_to_guests_by_id_too() {
    let api = Api::new().await;
    post_all(
        &api,
        &[
            (
                "/api/v1/incidents",
                r#"{"name":"Secret","status":1,"visible":false}"#,
            ),
            (
                "/api/v1/incidents/1/updates",
                r#"{"status":2,"message":"x"}"#,
            ),
            ("/api/v1/incidents", r#"{"name":"Public","status":1}"#),
        ],
    )
    .await;
    for uri in [
        "/api/v1/incidents/1",
        "/api/v1/incidents/1/updates",
        "/api/v1/incidents/1/updates/1",
    ] {
        api.refused("GET", uri, None, "", StatusCode::NOT_FOUND)
            .await;
        api.refused("GET", uri, Some("cachet_bogus"), "", StatusCode::NOT_FOUND)
            .await;
        let r = api.send("GET", uri, Some(&api.reader), "").await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
    }
    assert_eq!(ids(&api.get("/api/v1/incidents").await), [2]);
    assert_eq!(total(&api.get("/api/v1/incidents?visible=0").await), 0);
    let r = api
        .send("GET", "/api/v1/incidents?visible=0", Some(&api.reader), "")
        .await;
    assert_eq!(ids(&r.json), [1]);
    // an update without `visible` keeps the incident hidden (Cachet re-applied visible=1)
    api.ok("PUT", "/api/v1/incidents/1", r#"{"name":"Still secret"}"#)
        .await;
    api.refused(
        "GET",
        "/api/v1/incidents/1",
        None,
        "",
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn templates_render_with_escaped_values_and_nothing_is_evaluated() {
    let api = Api::new().await;
    template(
        &api,
        "outage",
        "Name: {{ name }},\nMessage: {{ message }} on {{ incident.name }}",
    )
    .await;
    template(&api, "twig", "{{ ['id']|filter('system') }} {{_self.env.registerUndefinedFilterCallback(\"exec\")}} {{ 7*7 }}").await;
    let v = api
        .ok(
            "POST",
            "/api/v1/incidents",
            r#"{"name":"DB down","status":1,"message":"ignored","template":"outage","vars":{"name":"<b>DB</b>","message":"[x](javascript:alert(1))"}}"#,
        )
        .await;
    let expected = format!(
        "Name: {},\nMessage: {} on {}",
        escape_markdown("<b>DB</b>"),
        escape_markdown("[x](javascript:alert(1))"),
        escape_markdown("DB down")
    );
    assert_eq!(v["data"]["message"], expected);
    assert!(!expected.contains("<b>"));
    // `vars: []` (PHP's empty array) means no variables
    let v = api
        .ok(
            "POST",
            "/api/v1/incidents",
            r#"{"name":"X","status":1,"template":"outage","vars":[]}"#,
        )
        .await;
    assert_eq!(v["data"]["message"], "Name: ,\nMessage:  on X");
    // form bodies send vars[name]=...
    let r = api
        .send_full(
            "POST",
            "/api/v1/incidents",
            Some(&api.admin),
            &[("content-type", "application/x-www-form-urlencoded")],
            "name=Y&status=1&template=outage&vars%5Bname%5D=web",
        )
        .await;
    assert_eq!(r.json["data"]["message"], "Name: web,\nMessage:  on Y");
    // Twig payloads in a template stay literal text
    let v = api
        .ok(
            "POST",
            "/api/v1/incidents",
            r#"{"name":"Z","status":1,"template":"twig","vars":{}}"#,
        )
        .await;
    assert_eq!(
        v["data"]["message"],
        "{{ ['id']|filter('system') }} {{_self.env.registerUndefinedFilterCallback(\"exec\")}} {{ 7*7 }}"
    );
    // updates render too
    let v = api
        .ok(
            "PUT",
            "/api/v1/incidents/1",
            r#"{"template":"outage","vars":{"name":"n","message":"m"}}"#,
        )
        .await;
    assert_eq!(v["data"]["message"], "Name: n,\nMessage: m on ");
    // bad templates and variables: 400, nothing written
    for body in [
        r#"{"name":"X","status":1,"template":"nope"}"#,
        r#"{"name":"X","status":1,"template":"../etc/passwd"}"#,
        r#"{"name":"X","status":1,"template":["outage"]}"#,
        r#"{"name":"X","status":1,"template":"outage","vars":"name=x"}"#,
        r#"{"name":"X","status":1,"template":"outage","vars":{"name":{"a":1}}}"#,
        r#"{"name":"X","status":1,"template":"outage","vars":{"bad name":"x"}}"#,
        r#"{"name":"X","status":1,"template":"outage","vars":{"name":"a\u0007b"}}"#,
    ] {
        api.invalid("POST", "/api/v1/incidents", body).await;
    }
    api.invalid("PUT", "/api/v1/incidents/1", r#"{"template":"nope"}"#)
        .await;
}

#[tokio::test]
async fn occurred_at_is_read_in_the_request_time_zone() {
    let api = Api::new().await;
    let berlin = [("time-zone", "Europe/Berlin")];
    let r = api
        .send_full(
            "POST",
            "/api/v1/incidents",
            Some(&api.admin),
            &berlin,
            r#"{"name":"X","status":1,"occurred_at":"2026-03-01 12:30"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["data"]["occurred_at"], "2026-03-01 12:30:00");
    assert_eq!(r.json["data"]["created_at"], "2026-01-01 01:00:00");
    assert_eq!(
        api.get("/api/v1/incidents/1").await["data"]["occurred_at"],
        "2026-03-01 11:30:00"
    );
    let v = api
        .ok(
            "PUT",
            "/api/v1/incidents/1",
            r#"{"occurred_at":"2026-02-01 08:00"}"#,
        )
        .await;
    assert_eq!(v["data"]["occurred_at"], "2026-02-01 08:00:00");
    for at in [
        "yesterday",
        "2026-13-01 10:00",
        "01/02/2026 10:00",
        "2026-02-30 10:00",
        "99999-01-01 00:00",
        "1900-01-01 00:00",
    ] {
        let d = api
            .invalid(
                "POST",
                "/api/v1/incidents",
                &format!(r#"{{"name":"X","status":1,"occurred_at":"{at}"}}"#),
            )
            .await;
        assert!(names(&d, "occurred_at"), "{at}: {d:?}");
    }
    // a local time skipped by the clock change does not exist
    let before = api.revision().await;
    let r = api
        .send_full(
            "POST",
            "/api/v1/incidents",
            Some(&api.admin),
            &berlin,
            r#"{"name":"X","status":1,"occurred_at":"2026-03-29 02:30"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert_eq!(api.revision().await, before);
}

#[tokio::test]
async fn filters_are_whitelisted_and_hostile_values_reach_nothing() {
    let api = Api::new().await;
    post_all(
        &api,
        &[
            ("/api/v1/components", r#"{"name":"DB","status":1}"#),
            (
                "/api/v1/incidents",
                r#"{"name":"a","status":1,"component_id":1,"component_status":2}"#,
            ),
        ],
    )
    .await;
    api.h.clock.advance(TimeDelta::minutes(1));
    api.ok(
        "POST",
        "/api/v1/incidents",
        r#"{"name":"b","status":4,"stickied":true}"#,
    )
    .await;
    api.h.clock.advance(TimeDelta::minutes(1));
    let r = api
        .send(
            "POST",
            "/api/v1/incidents",
            Some(&api.writer),
            r#"{"name":"c","status":2}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // natural order: newest first
    assert_eq!(ids(&api.get("/api/v1/incidents").await), [3, 2, 1]);
    assert_eq!(
        ids(&api.get("/api/v1/incidents?sort=name").await),
        [1, 2, 3]
    );
    assert_eq!(
        ids(&api.get("/api/v1/incidents?sort=name&order=desc").await),
        [3, 2, 1]
    );
    assert_eq!(ids(&api.get("/api/v1/incidents?component_id=1").await), [1]);
    assert_eq!(ids(&api.get("/api/v1/incidents?status=4").await), [2]);
    assert_eq!(ids(&api.get("/api/v1/incidents?stickied=1").await), [2]);
    assert_eq!(ids(&api.get("/api/v1/incidents?user_id=2").await), [3]);
    assert_eq!(ids(&api.get("/api/v1/incidents?name=b").await), [2]);
    assert_eq!(ids(&api.get("/api/v1/incidents?id=3&visible=1").await), [3]);
    assert_eq!(
        total(
            &api.get("/api/v1/incidents?order=1&message=x&occurred_at=0&1=1")
                .await
        ),
        3
    );
    assert_eq!(
        total(
            &api.get("/api/v1/incidents?sort=name%20desc%2C(select%201)")
                .await
        ),
        3
    );
    assert_eq!(
        total(&api.get("/api/v1/incidents?name=a%27%20OR%201%3D1--").await),
        0
    );
    for q in [
        "id[]=1",
        "name[a]=b",
        "status=9",
        "status=1%20OR%201",
        "user_id=x",
        "component_id[]=1",
        "stickied=maybe",
        "page[]=1",
        "per_page=x",
    ] {
        api.refused(
            "GET",
            &format!("/api/v1/incidents?{q}"),
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
    post_all(
        &api,
        &[
            ("/api/v1/components", r#"{"name":"DB","status":1}"#),
            ("/api/v1/incidents", r#"{"name":"a","status":1}"#),
        ],
    )
    .await;
    let d = api
        .invalid(
            "POST",
            "/api/v1/incidents",
            r#"{"visible":"maybe","meta":"x"}"#,
        )
        .await;
    for f in ["name", "status", "visible", "meta"] {
        assert!(names(&d, f), "{f}: {d:?}");
    }
    for body in [
        "{",
        "[1,2]",
        r#"{"name":"x","status":5}"#,
        r#"{"name":"x","status":"one"}"#,
        r#"{"name":"x","status":[1]}"#,
        r#"{"name":{"x":1},"status":1}"#,
        r#"{"name":"x","status":1,"message":["m"]}"#,
        r#"{"name":"x","status":1,"notify":"perhaps"}"#,
        r#"{"name":"x","status":1,"component_id":1}"#,
        r#"{"name":"x","status":1,"component_id":1,"component_status":7}"#,
        r#"{"name":"x","status":1,"component_id":-4,"component_status":1}"#,
        r#"{"name":"x","status":1,"component_id":99,"component_status":1}"#,
        r#"{"name":"x","status":1,"occurred_at":["2026-01-01 00:00"]}"#,
        r#"{"name":"line\nbreak","status":1}"#,
    ] {
        api.invalid("POST", "/api/v1/incidents", body).await;
    }
    for body in [
        r#"{"status":9}"#,
        r#"{"name":[]}"#,
        r#"{"component_id":1}"#,
        "{",
    ] {
        api.invalid("PUT", "/api/v1/incidents/1", body).await;
    }
    let d = api.invalid("POST", "/api/v1/incidents/1/updates", "").await;
    assert!(names(&d, "status") && names(&d, "message"), "{d:?}");
    for body in [
        r#"{"status":0,"message":"x"}"#,
        r#"{"status":5,"message":"x"}"#,
        r#"{"status":1,"message":""}"#,
        r#"{"status":1,"message":"   "}"#,
        r#"{"status":1,"message":["x"]}"#,
        r#"{"status":"x","message":"x"}"#,
    ] {
        api.invalid("POST", "/api/v1/incidents/1/updates", body)
            .await;
    }
    api.ok(
        "POST",
        "/api/v1/incidents/1/updates",
        r#"{"status":1,"message":"x"}"#,
    )
    .await;
    for body in [r#"{"status":0}"#, r#"{"message":{"a":1}}"#] {
        api.invalid("PUT", "/api/v1/incidents/1/updates/1", body)
            .await;
    }
}

#[tokio::test]
async fn tokens_scopes_methods_and_negotiation() {
    let api = Api::new().await;
    post_all(
        &api,
        &[
            ("/api/v1/incidents", r#"{"name":"a","status":1}"#),
            (
                "/api/v1/incidents/1/updates",
                r#"{"status":1,"message":"x"}"#,
            ),
        ],
    )
    .await;
    let writes = [
        ("POST", "/api/v1/incidents", r#"{"name":"b","status":1}"#),
        ("PUT", "/api/v1/incidents/1", r#"{"name":"b"}"#),
        ("DELETE", "/api/v1/incidents/1", ""),
        (
            "POST",
            "/api/v1/incidents/1/updates",
            r#"{"status":2,"message":"y"}"#,
        ),
        ("PUT", "/api/v1/incidents/1/updates/1", r#"{"message":"y"}"#),
        ("DELETE", "/api/v1/incidents/1/updates/1", ""),
    ];
    for (m, uri, body) in writes {
        api.needs_token(m, uri, body).await;
        api.refused(m, uri, Some(&api.reader), body, StatusCode::FORBIDDEN)
            .await;
        // the scope is checked before the body, so a reader learns nothing from validation
        api.refused(
            m,
            uri,
            Some(&api.reader),
            r#"{"status":[]}"#,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for (m, uri) in [
        ("DELETE", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents/1"),
        ("DELETE", "/api/v1/incidents/1/updates"),
        ("POST", "/api/v1/incidents/1/updates/1"),
        ("POST", "/api/v1/incidents/templates"),
        ("DELETE", "/api/v1/incidents/templates/1"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::METHOD_NOT_ALLOWED)
            .await;
    }
    for uri in [
        "/api/v1/incidents",
        "/api/v1/incidents/1",
        "/api/v1/incidents/1/updates",
        "/api/v1/incidents/templates",
    ] {
        api.not_acceptable("GET", uri).await;
    }
    api.not_acceptable("POST", "/api/v1/incidents").await;
}

#[tokio::test]
async fn templates_are_listed_read_only() {
    let api = Api::new().await;
    template(&api, "outage", "Name: {{ name }}").await;
    api.h.clock.advance(TimeDelta::minutes(1));
    template(&api, "maintenance", "Maint").await;
    let t1 = json!({"id": 1, "name": "outage", "slug": "outage", "template": "Name: {{ name }}", "created_at": T0, "updated_at": T0, "deleted_at": null});
    let t2 = json!({"id": 2, "name": "maintenance", "slug": "maintenance", "template": "Maint", "created_at": "2026-01-01 00:01:00", "updated_at": "2026-01-01 00:01:00", "deleted_at": null});
    assert_eq!(
        api.get("/api/v1/incidents/templates").await,
        json!({
            "meta": {"pagination": {"total": 2, "count": 2, "per_page": 20, "current_page": 1, "total_pages": 1,
                "links": {"next_page": null, "previous_page": null}}},
            "data": [t1.clone(), t2.clone()],
        })
    );
    assert_eq!(
        api.get("/api/v1/incidents/templates/2").await,
        json!({"data": t2})
    );
    assert_eq!(
        ids(&api.get("/api/v1/incidents/templates?sort=name").await),
        [2, 1]
    );
    assert_eq!(
        ids(&api
            .get("/api/v1/incidents/templates?sort=template;DROP&slug=x")
            .await),
        [1, 2]
    );
    for uri in [
        "/api/v1/incidents/templates/3",
        "/api/v1/incidents/templates/abc",
        "/api/v1/incidents/templates/1/x",
    ] {
        api.refused("GET", uri, None, "", StatusCode::NOT_FOUND)
            .await;
    }
}

#[tokio::test]
async fn no_route_answers_500_or_panics_on_hostile_input() {
    let api = Api::unlimited().await;
    template(&api, "t", "{{ a }}").await;
    post_all(
        &api,
        &[
            ("/api/v1/components", r#"{"name":"DB","status":1}"#),
            ("/api/v1/incidents", r#"{"name":"a","status":1}"#),
            (
                "/api/v1/incidents/1/updates",
                r#"{"status":1,"message":"x"}"#,
            ),
            (
                "/api/v1/metrics",
                r#"{"name":"m","suffix":"s","default_value":0}"#,
            ),
            ("/api/v1/metrics/1/points", r#"{"value":1}"#),
            (
                "/api/v1/schedules",
                r#"{"name":"w","status":0,"scheduled_at":"2026-02-01 10:00"}"#,
            ),
            (
                "/api/v1/subscribers",
                r#"{"email":"a@example.com","components":[1]}"#,
            ),
        ],
    )
    .await;
    let routes = [
        "/api/v1/components/groups",
        "/api/v1/components/groups/1",
        "/api/v1/incidents",
        "/api/v1/incidents/1",
        "/api/v1/incidents/1/updates",
        "/api/v1/incidents/1/updates/1",
        "/api/v1/incidents/templates",
        "/api/v1/incidents/templates/1",
        "/api/v1/metrics",
        "/api/v1/metrics/1",
        "/api/v1/metrics/1/points",
        "/api/v1/metrics/1/points/1",
        "/api/v1/schedules",
        "/api/v1/schedules/1",
        "/api/v1/subscribers",
        "/api/v1/subscribers/1",
        "/api/v1/subscriptions/1",
    ];
    let bodies = [
        "{",
        "null",
        "[]",
        "[1]",
        "\"x\"",
        r#"{"name":[[[[1]]]],"status":{"a":[]},"email":1e400}"#,
        r#"{"name":"x","status":1e308,"value":-1e308,"timestamp":1e20,"components":[1e30]}"#,
        r#"{"name":"x","status":18446744073709551616,"order":-9223372036854775808}"#,
        r#"{"name":"\u202e\u0000","message":"\ud800","vars":{"a":"\u0001"},"meta":{"":1}}"#,
        r#"{"template":"a/../../b","vars":[1,2],"occurred_at":"9999-99-99 99:99","scheduled_at":"0000-01-01 00:00"}"#,
        r#"{"id":"1; DROP TABLE users","sort":"id;--","order":"desc;--"}"#,
    ];
    let queries = [
        "?sort=(select%201)&order=desc;",
        "?page=-1&per_page=-5",
        "?page=99999999999999999999",
        "?name[]=a&status[x]=1&tags[]=",
        "?%00=%00&visible=%ff",
    ];
    for route in routes {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            for token in [None, Some(api.admin.as_str()), Some(api.reader.as_str())] {
                if method == "DELETE" && token == Some(api.admin.as_str()) {
                    continue; // would delete the fixtures; deletes are checked below
                }
                for body in bodies {
                    let r = api.send(method, route, token, body).await;
                    assert!(
                        r.status.as_u16() < 500,
                        "{method} {route} {body}: {}",
                        r.json
                    );
                    assert!(
                        r.json.is_object() || r.status == StatusCode::NO_CONTENT,
                        "{method} {route}"
                    );
                }
                for q in queries {
                    let uri = format!("{route}{q}");
                    let r = api.send(method, &uri, token, "").await;
                    assert!(r.status.as_u16() < 500, "{method} {uri}: {}", r.json);
                    assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS);
                }
            }
        }
    }
    // the fixtures are all still there, so the loop above really reached the handlers
    for route in routes
        .iter()
        .filter(|r| !r.contains("subscri") && !r.contains("/points"))
    {
        let r = api.send("GET", route, Some(&api.admin), "").await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.json);
    }
    for route in routes.iter().rev().filter(|r| r.ends_with("/1")) {
        for body in bodies {
            let r = api.send("DELETE", route, Some(&api.admin), body).await;
            assert!(r.status.as_u16() < 500, "DELETE {route} {body}: {}", r.json);
        }
    }
}
