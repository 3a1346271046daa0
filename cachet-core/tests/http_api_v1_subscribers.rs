//! API v1 `/subscribers` and `/subscriptions/{id}` through `Cachet::handle`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use cachet_core::model::*;
use cachet_core::store::{AuditFilter, AuditQuery};
use http::StatusCode;
use serde_json::{Value, json};

async fn audit_details(api: &Api) -> Vec<String> {
    let q = AuditQuery::filtered(AuditFilter {
        entity: Some(EntityKind::Subscriber),
        action: Some(AuditAction::Create),
        ..AuditFilter::default()
    });
    let mut d: Vec<String> = api
        .h
        .store
        .audit_events(&q)
        .await
        .unwrap()
        .items
        .iter()
        .map(|e| e.detail.as_str().to_owned())
        .collect();
    d.reverse();
    d
}

#[tokio::test]
async fn create_and_list_show_cachets_shape_without_any_secret() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/components", r#"{"name":"DB","status":1}"#)
        .await;
    let r = api
        .send(
            "POST",
            "/api/v1/subscribers",
            Some(&api.writer),
            r#"{"email":"Ann@Example.com","verify":true}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let ann = json!({
        "id": 1, "email": "ann@example.com", "verified_at": T0, "global": true,
        "created_at": T0, "updated_at": T0, "subscriptions": [],
        "phone_number": null, "slack_webhook_url": null,
    });
    // A manager's token may not read addresses: its answer echoes the request without the
    // stored id (see subscriber_create_does_not_reveal_existing_addresses).
    let mut echoed = ann.clone();
    echoed["id"] = Value::Null;
    assert_eq!(r.json, json!({"data": echoed}));
    let v = api
        .ok(
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"bob@example.com","components":[1]}"#,
        )
        .await;
    let bob = json!({
        "id": 2, "email": "bob@example.com", "verified_at": null, "global": false,
        "created_at": T0, "updated_at": T0, "phone_number": null, "slack_webhook_url": null,
        "subscriptions": [{"id": 1, "subscriber_id": 2, "component_id": 1, "created_at": T0, "updated_at": T0}],
    });
    assert_eq!(v, json!({"data": bob.clone()}));
    let list = api.ok("GET", "/api/v1/subscribers", "").await;
    assert_eq!(
        list,
        json!({
            "meta": {"pagination": {"total": 2, "count": 2, "per_page": 20, "current_page": 1, "total_pages": 1,
                "links": {"next_page": null, "previous_page": null}}},
            "data": [ann, bob],
        })
    );
    let text = serde_json::to_string(&list).unwrap();
    // `phone_number` and `slack_webhook_url` are present as Cachet's keys, always null (the
    // exact comparison above): a Slack URL is a credential and is never stored or echoed.
    for secret in ["verify_code", "blind", "sealed", "token", "hooks.slack.com"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // only an explicit `verify: true` verifies, and the audit log says which it was
    let v = api
        .ok(
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"cy@example.com","verify":"0"}"#,
        )
        .await;
    assert_eq!(v["data"]["verified_at"], Value::Null);
    assert_eq!(
        audit_details(&api).await,
        [
            "created verified",
            "created unverified",
            "created unverified"
        ]
    );
    // paging and whitelisted sorts
    let v = api
        .ok(
            "GET",
            "/api/v1/subscribers?per_page=1&page=2&sort=id&order=desc&email=x",
            "",
        )
        .await;
    assert_eq!(ids(&v), [2]);
    assert_eq!(
        v["meta"]["pagination"]["links"]["next_page"],
        "https://status.example.com/api/v1/subscribers?per_page=1&sort=id&order=desc&email=x&page=3"
    );
}

#[tokio::test]
async fn an_existing_address_returns_the_existing_subscriber_unchanged() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"ann@example.com"}"#,
    )
    .await;
    let before = api.revision().await;
    let v = api
        .ok(
            "POST",
            "/api/v1/subscribers",
            r#"{"email":" ANN@example.com ","verify":true}"#,
        )
        .await;
    assert_eq!(
        (v["data"]["id"].clone(), v["data"]["verified_at"].clone()),
        (json!(1), Value::Null)
    );
    assert_eq!(api.revision().await, before);
    assert_eq!(
        api.ok("GET", "/api/v1/subscribers", "").await["meta"]["pagination"]["total"],
        1
    );
}

#[tokio::test]
async fn addresses_need_an_admin_token() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"ann@example.com"}"#,
    )
    .await;
    api.needs_token("GET", "/api/v1/subscribers", "").await;
    // a manager's write token may add and remove subscribers but not read addresses; an
    // admin's read token may not read them either
    for t in [&api.writer, &api.reader] {
        let e = api
            .refused(
                "GET",
                "/api/v1/subscribers",
                Some(t),
                "",
                StatusCode::FORBIDDEN,
            )
            .await;
        assert!(!e.to_string().contains("ann@"));
    }
    for (m, uri, body) in [
        (
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"bob@example.com"}"#,
        ),
        ("DELETE", "/api/v1/subscribers/1", ""),
        ("DELETE", "/api/v1/subscriptions/1", ""),
    ] {
        api.needs_token(m, uri, body).await;
        api.refused(m, uri, Some(&api.reader), body, StatusCode::FORBIDDEN)
            .await;
    }
    // an existing address is not revealed to a token that may not add subscribers
    api.refused(
        "POST",
        "/api/v1/subscribers",
        Some(&api.reader),
        r#"{"email":"ann@example.com"}"#,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn deletes_remove_subscribers_and_single_subscriptions() {
    let api = Api::new().await;
    for n in ["DB", "API"] {
        api.ok(
            "POST",
            "/api/v1/components",
            &format!(r#"{{"name":"{n}","status":1}}"#),
        )
        .await;
    }
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"ann@example.com","components":"1,2"}"#,
    )
    .await;
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"bob@example.com","components":[2]}"#,
    )
    .await;
    let r = api
        .send("DELETE", "/api/v1/subscriptions/1", Some(&api.writer), "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.resp.body().is_empty());
    let v = api.ok("GET", "/api/v1/subscribers", "").await;
    assert_eq!(v["data"][0]["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"][0]["global"], false);
    // the last subscription gone, the subscriber hears about everything again
    api.send("DELETE", "/api/v1/subscriptions/3", Some(&api.writer), "")
        .await;
    let v = api.ok("GET", "/api/v1/subscribers", "").await;
    assert_eq!(
        (
            v["data"][1]["global"].clone(),
            v["data"][1]["subscriptions"].clone()
        ),
        (json!(true), json!([]))
    );
    let r = api
        .send("DELETE", "/api/v1/subscribers/1", Some(&api.writer), "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(ids(&api.ok("GET", "/api/v1/subscribers", "").await), [2]);
    for uri in [
        "/api/v1/subscribers/1",
        "/api/v1/subscriptions/1",
        "/api/v1/subscriptions/2",
        "/api/v1/subscribers/x",
        "/api/v1/subscriptions/0",
    ] {
        api.refused("DELETE", uri, Some(&api.admin), "", StatusCode::NOT_FOUND)
            .await;
    }
}

#[tokio::test]
async fn bad_input_is_400_and_writes_nothing() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/components", r#"{"name":"DB","status":1}"#)
        .await;
    for body in [
        "",
        "{",
        r#"{"email":""}"#,
        r#"{"email":"not-an-address"}"#,
        r#"{"email":"a@example.com\r\nBcc: victim@example.com"}"#,
        r#"{"email":"<script>@example.com"}"#,
        r#"{"email":["a@example.com"]}"#,
        r#"{"email":{"a":"b"}}"#,
        r#"{"email":"a@example.com","verify":"perhaps"}"#,
        r#"{"email":"a@example.com","verify":[true]}"#,
        r#"{"email":"a@example.com","components":["x"]}"#,
        r#"{"email":"a@example.com","components":[99]}"#,
        r#"{"email":"a@example.com","components":[-1]}"#,
        r#"{"email":"a@example.com","components":{"1":1}}"#,
        r#"{"email":"a@example.com","components":"1 OR 1=1"}"#,
    ] {
        let d = api.invalid("POST", "/api/v1/subscribers", body).await;
        assert!(!d.is_empty());
    }
    assert_eq!(
        api.ok("GET", "/api/v1/subscribers", "").await["meta"]["pagination"]["total"],
        0
    );
    for q in ["sort[]=id", "per_page[]=1"] {
        api.refused(
            "GET",
            &format!("/api/v1/subscribers?{q}"),
            Some(&api.admin),
            "",
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn methods_and_negotiation() {
    let api = Api::new().await;
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"ann@example.com"}"#,
    )
    .await;
    for (m, uri) in [
        ("PUT", "/api/v1/subscribers"),
        ("GET", "/api/v1/subscribers/1"),
        ("PUT", "/api/v1/subscribers/1"),
        ("GET", "/api/v1/subscriptions/1"),
    ] {
        api.refused(m, uri, Some(&api.admin), "", StatusCode::METHOD_NOT_ALLOWED)
            .await;
    }
    api.refused(
        "GET",
        "/api/v1/subscriptions",
        Some(&api.admin),
        "",
        StatusCode::NOT_FOUND,
    )
    .await;
    api.not_acceptable("GET", "/api/v1/subscribers").await;
    api.not_acceptable("POST", "/api/v1/subscribers").await;
    api.not_acceptable("DELETE", "/api/v1/subscribers/1").await;
}

#[tokio::test]
async fn subscriber_create_does_not_reveal_existing_addresses() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/components", r#"{"name":"DB","status":1}"#)
        .await;
    // Known to the admin: verified, subscribed to component 1.
    api.ok(
        "POST",
        "/api/v1/subscribers",
        r#"{"email":"known@example.com","verify":true,"components":[1]}"#,
    )
    .await;
    let writer = Some(api.writer.as_str());
    for (n, body) in [
        r#"{"email":"EMAIL"}"#,
        r#"{"email":"EMAIL","verify":true}"#,
        r#"{"email":"EMAIL","components":[1]}"#,
        r#"{"email":"EMAIL","components":[99]}"#,
    ]
    .into_iter()
    .enumerate()
    {
        // A fresh address each time: each is new only once.
        let fresh_address = format!("fresh{n}@example.com");
        let known = api
            .send(
                "POST",
                "/api/v1/subscribers",
                writer,
                &body.replace("EMAIL", "known@example.com"),
            )
            .await;
        let fresh = api
            .send(
                "POST",
                "/api/v1/subscribers",
                writer,
                &body.replace("EMAIL", &fresh_address),
            )
            .await;
        assert_eq!(known.status, fresh.status, "{body}");
        // Equal but for the address, and the error's random id.
        let mut a = known.json.clone();
        let mut b = fresh.json.clone();
        if a["data"].is_object() {
            a["data"]["email"] = json!(fresh_address);
        }
        for v in [&mut a, &mut b] {
            if let Some(e) = v
                .get_mut("errors")
                .and_then(|e| e.get_mut(0))
                .and_then(Value::as_object_mut)
            {
                e.remove("id");
            }
        }
        assert_eq!(a, b, "{body}");
        // Nothing stored is in the answer: no id, and nothing of the known subscriber.
        assert!(known.json["data"]["id"].is_null(), "{}", known.json);
        if body == r#"{"email":"EMAIL"}"# {
            assert_eq!(known.status, StatusCode::OK);
            assert_eq!(known.json["data"]["verified_at"], Value::Null);
            assert_eq!(known.json["data"]["subscriptions"], json!([]));
        }
    }
    // The known subscriber is unchanged; an admin still gets Cachet's answer.
    let v = api
        .ok(
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"known@example.com"}"#,
        )
        .await;
    assert_eq!(v["data"]["id"], 1);
    assert_eq!(v["data"]["subscriptions"].as_array().unwrap().len(), 1);
}
