//! API v1 through `Cachet::handle`, as both adapters call it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::web::RequestContext;

struct Api {
    h: Harness,
    token: String,
}

impl Api {
    async fn new() -> Self {
        let h = Harness::new().await;
        let token = h.admin_api_token().await;
        Self { h, token }
    }

    async fn send(
        &self,
        method: &str,
        uri: &str,
        token: bool,
        ct: Option<&str>,
        body: &str,
    ) -> (StatusCode, Response<Bytes>, Value) {
        let mut b = Request::builder().method(method).uri(uri);
        if token {
            b = b.header("x-cachet-token", &self.token);
        }
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        let req = b.body(Bytes::from(body.to_owned())).unwrap();
        let cx = RequestContext {
            peer: Some("192.0.2.1:5000".parse().unwrap()),
            principal: None,
        };
        let resp = self.h.cachet.handle(req, cx).await;
        let v: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        (resp.status(), resp, v)
    }
}

#[tokio::test]
async fn ping_has_security_headers() {
    let api = Api::new().await;
    let (s, r, v) = api.send("GET", "/api/v1/ping", false, None, "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"data": "Pong!"}));
    for h in [
        "content-security-policy",
        "strict-transport-security",
        "x-content-type-options",
        "referrer-policy",
        "x-request-id",
        "permissions-policy",
    ] {
        assert!(r.headers().contains_key(h), "{h}");
    }
    assert!(
        !r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe-inline")
    );
}

#[tokio::test]
async fn create_component_returns_cachets_whole_shape() {
    let api = Api::new().await;
    let (s, _, v) = api
        .send("POST", "/api/v1/components", true, Some("application/json"), r#"{"name":"API","status":1,"description":"Public API","link":"https://api.example.com","tags":"Core,Edge","meta":{"owner":"ops"}}"#)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"data": {
            "id": 1, "name": "API", "description": "Public API", "link": "https://api.example.com", "status": 1,
            "order": 0, "group_id": 0, "enabled": true, "meta": {"owner": "ops"},
            "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00", "deleted_at": null,
            "status_name": "Operational", "tags": {"core": "Core", "edge": "Edge"}
        }})
    );
    // form bodies and query strings work too, with Cachet's booleans
    let (s, _, v) = api
        .send(
            "POST",
            "/api/v1/components?enabled=FALSE",
            true,
            Some("application/x-www-form-urlencoded"),
            "name=DB&status=2",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["enabled"], json!(false));
    assert_eq!(v["data"]["tags"], json!([]));
}

#[tokio::test]
async fn validation_errors_are_400_with_details_and_write_nothing() {
    let api = Api::new().await;
    let (s, _, v) = api
        .send(
            "POST",
            "/api/v1/components",
            true,
            Some("application/json"),
            r#"{"status":9}"#,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let details = v["errors"][0]["meta"]["details"].as_array().unwrap();
    assert!(
        details
            .iter()
            .any(|d| d.as_str().unwrap().starts_with("name:")),
        "{v}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.as_str().unwrap().starts_with("status:")),
        "{v}"
    );
    assert_eq!(v["errors"][0]["status"], json!(400));
    for body in [
        r#"{"name":["x"],"status":1}"#,
        "{",
        r#""str""#,
        r#"{"name":"x","status":"one"}"#,
    ] {
        let (s, _, _) = api
            .send(
                "POST",
                "/api/v1/components",
                true,
                Some("application/json"),
                body,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    }
    let (s, _, v) = api.send("GET", "/api/v1/components", false, None, "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["meta"]["pagination"]["total"], json!(0));
}

#[tokio::test]
async fn writes_need_a_token_and_reads_ignore_a_bad_one() {
    let api = Api::new().await;
    let (s, _, v) = api
        .send(
            "POST",
            "/api/v1/components",
            false,
            Some("application/json"),
            r#"{"name":"x","status":1}"#,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        v["errors"][0]["detail"],
        json!("Authentication is required and has failed or has not yet been provided.")
    );
    let req = Request::builder()
        .uri("/api/v1/components")
        .header("x-cachet-token", "cachet_bogus")
        .body(Bytes::new())
        .unwrap();
    let r = api.h.cachet.handle(req, RequestContext::default()).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn hostile_filters_and_sorts_cannot_reach_sql() {
    let api = Api::new().await;
    api.send(
        "POST",
        "/api/v1/components",
        true,
        Some("application/json"),
        r#"{"name":"API","status":1}"#,
    )
    .await;
    let (s, _, v) = api
        .send(
            "GET",
            "/api/v1/components?name=x%27%20OR%201%3D1--",
            false,
            None,
            "",
        )
        .await;
    assert_eq!(
        (s, v["meta"]["pagination"]["total"].clone()),
        (StatusCode::OK, json!(0))
    );
    let (s, _, v) = api
        .send(
            "GET",
            "/api/v1/components?sort=name;DROP%20TABLE%20users&order=desc",
            false,
            None,
            "",
        )
        .await;
    assert_eq!(
        (s, v["meta"]["pagination"]["total"].clone()),
        (StatusCode::OK, json!(1)),
        "unknown sort ignored: {v}"
    );
    let (s, _, _) = api
        .send("GET", "/api/v1/components?status[]=1", false, None, "")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a list where a scalar belongs");
    let (s, _, v) = api
        .send("GET", "/api/v1/components?1=1&foo=bar", false, None, "")
        .await;
    assert_eq!(
        (s, v["meta"]["pagination"]["total"].clone()),
        (StatusCode::OK, json!(1)),
        "unknown keys ignored"
    );
}

#[tokio::test]
async fn pagination_links_are_absolute_and_per_page_is_clamped() {
    let api = Api::new().await;
    for n in 0..3 {
        api.send(
            "POST",
            "/api/v1/components",
            true,
            Some("application/json"),
            &format!(r#"{{"name":"c{n}","status":1}}"#),
        )
        .await;
    }
    let (_, _, v) = api
        .send(
            "GET",
            "/api/v1/components?per_page=1&page=2&enabled=1",
            false,
            None,
            "",
        )
        .await;
    let p = &v["meta"]["pagination"];
    assert_eq!(p["total"], json!(3));
    assert_eq!(p["count"], json!(1));
    assert_eq!(p["current_page"], json!(2));
    assert_eq!(p["total_pages"], json!(3));
    assert_eq!(
        p["links"]["next_page"],
        json!("https://status.example.com/api/v1/components?per_page=1&enabled=1&page=3")
    );
    assert_eq!(
        p["links"]["previous_page"],
        json!("https://status.example.com/api/v1/components?per_page=1&enabled=1&page=1")
    );
    let (_, _, v) = api
        .send("GET", "/api/v1/components?per_page=100000", false, None, "")
        .await;
    assert_eq!(v["meta"]["pagination"]["per_page"], json!(1000));
}

#[tokio::test]
async fn disabled_components_are_hidden_from_guests_by_id_too() {
    let api = Api::new().await;
    api.send(
        "POST",
        "/api/v1/components",
        true,
        Some("application/json"),
        r#"{"name":"secret","status":1,"enabled":false}"#,
    )
    .await;
    let (s, _, _) = api
        .send("GET", "/api/v1/components/1", false, None, "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = api
        .send("GET", "/api/v1/components/1", true, None, "")
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, v) = api.send("GET", "/api/v1/components", false, None, "").await;
    assert_eq!(v["meta"]["pagination"]["total"], json!(0));
}

#[tokio::test]
async fn update_delete_and_unknown_ids() {
    let api = Api::new().await;
    api.send(
        "POST",
        "/api/v1/components",
        true,
        Some("application/json"),
        r#"{"name":"API","status":1}"#,
    )
    .await;
    let (s, _, v) = api
        .send(
            "PUT",
            "/api/v1/components/1",
            true,
            Some("application/json"),
            r#"{"status":4,"link":null}"#,
        )
        .await;
    assert_eq!(
        (s, v["data"]["status"].clone(), v["data"]["name"].clone()),
        (StatusCode::OK, json!(4), json!("API"))
    );
    let (s, _, _) = api
        .send("DELETE", "/api/v1/components/1", true, None, "")
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for uri in [
        "/api/v1/components/1",
        "/api/v1/components/abc",
        "/api/v1/components/-1",
        "/api/v1/nope",
    ] {
        let (s, _, v) = api.send("GET", uri, false, None, "").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(v["errors"][0]["id"].is_string());
    }
}

#[tokio::test]
async fn negotiation_limits_and_methods() {
    let api = Api::new().await;
    let req = Request::builder()
        .uri("/api/v1/ping")
        .header("accept", "text/html")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        api.h
            .cachet
            .handle(req, RequestContext::default())
            .await
            .status(),
        StatusCode::NOT_ACCEPTABLE
    );
    let big = format!(
        r#"{{"name":"x","status":1,"description":"{}"}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let (s, _, _) = api
        .send(
            "POST",
            "/api/v1/components",
            true,
            Some("application/json"),
            &big,
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let deep = format!(
        r#"{{"name":"x","status":1,"meta":{}1{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let (s, _, _) = api
        .send(
            "POST",
            "/api/v1/components",
            true,
            Some("application/json"),
            &deep,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = api.send("PATCH", "/api/v1/ping", true, None, "").await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn always_authenticate_closes_reads_but_not_ping() {
    let api = Api::new().await;
    api.h
        .cachet
        .put_settings(
            &Actor::operator(),
            &[(SettingKey::AlwaysAuthenticate, "1".into())],
        )
        .await
        .unwrap();
    let (s, _, _) = api.send("GET", "/api/v1/components", false, None, "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = api.send("GET", "/api/v1/components", true, None, "").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = api.send("GET", "/api/v1/ping", false, None, "").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let mut config = cachet_core::Config::new(
        cachet_core::validate::HttpUrl::parse("https://s.example").unwrap(),
    );
    config.web.rate_limits.api_per_address =
        cachet_core::web::Limit::new(3, std::time::Duration::from_secs(60));
    let h = Harness::over(new_store().await, config);
    let cx = || RequestContext {
        peer: Some("198.51.100.4:1".parse().unwrap()),
        principal: None,
    };
    let get = || {
        Request::builder()
            .uri("/api/v1/ping")
            .body(Bytes::new())
            .unwrap()
    };
    for left in ["2", "1", "0"] {
        let r = h.cachet.handle(get(), cx()).await;
        assert_eq!(r.headers()["x-ratelimit-remaining"], left);
    }
    let r = h.cachet.handle(get(), cx()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn head_is_get_without_a_body() {
    let api = Api::new().await;
    let get = api.send("GET", "/api/v1/components", false, None, "").await;
    let (s, r, _) = api
        .send("HEAD", "/api/v1/components", false, None, "")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(r.body().is_empty());
    assert_eq!(
        r.headers()["content-length"],
        get.1.body().len().to_string().as_str()
    );
    assert_eq!(r.headers()["content-type"], "application/json");
    let (s, r, _) = api
        .send("HEAD", "/api/v2/status.json", false, None, "")
        .await;
    assert_eq!((s, r.body().is_empty()), (StatusCode::OK, true));
}

#[tokio::test]
async fn cors_on_reads_for_configured_origins_only() {
    let api = Api::new().await;
    api.h
        .cachet
        .put_settings(
            &Actor::operator(),
            &[(SettingKey::AllowedDomains, "https://app.example".into())],
        )
        .await
        .unwrap();
    let send = |method: &str, origin: &str| {
        let req = Request::builder()
            .method(method)
            .uri("/api/v1/components")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("x-cachet-token", &api.token)
            .header("content-type", "application/json")
            .body(Bytes::from_static(br#"{"name":"x","status":1}"#))
            .unwrap();
        api.h.cachet.handle(req, RequestContext::default())
    };
    let r = send("GET", "https://app.example").await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(r.headers()["vary"], "Origin");
    let r = send("GET", "https://evil.example").await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    let r = send("OPTIONS", "https://app.example").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("X-Cachet-Token")
    );
    let r = send("POST", "https://app.example").await;
    assert_eq!(r.status(), StatusCode::OK, "the token authorises the write");
    assert!(
        !r.headers().contains_key("access-control-allow-origin"),
        "but no CORS on writes"
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let mut config = cachet_core::Config::new(
        cachet_core::validate::HttpUrl::parse("https://s.example").unwrap(),
    );
    config.web.rate_limits.api_per_address =
        cachet_core::web::Limit::new(1, std::time::Duration::from_secs(60));
    config.web.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    let h = Harness::over(new_store().await, config);
    let get = |xff: &str| {
        Request::builder()
            .uri("/api/v1/ping")
            .header("x-forwarded-for", xff)
            .body(Bytes::new())
            .unwrap()
    };
    let via_proxy = || RequestContext {
        peer: Some("10.0.0.1:443".parse().unwrap()),
        principal: None,
    };
    let direct = || RequestContext {
        peer: Some("203.0.113.9:443".parse().unwrap()),
        principal: None,
    };
    for (xff, cx, want) in [
        // behind the trusted proxy, each forwarded client has its own budget
        ("198.51.100.1", via_proxy(), StatusCode::OK),
        ("198.51.100.2", via_proxy(), StatusCode::OK),
        ("198.51.100.1", via_proxy(), StatusCode::TOO_MANY_REQUESTS),
        // a client that is not the proxy cannot choose its address by header
        ("198.51.100.3", direct(), StatusCode::OK),
        ("198.51.100.4", direct(), StatusCode::TOO_MANY_REQUESTS),
    ] {
        let peer = cx.peer;
        assert_eq!(
            h.cachet.handle(get(xff), cx).await.status(),
            want,
            "{xff} via {peer:?}"
        );
    }
}

#[tokio::test]
async fn silent_status_changes_notify_no_one() {
    use cachet_core::store::OutboxQuery;
    let api = Api::new().await;
    let json = Some("application/json");
    let (s, _, v) = api
        .send(
            "POST",
            "/api/v1/components",
            true,
            json,
            r#"{"name":"API","status":1}"#,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    let status_events = || async {
        api.h
            .cachet
            .store_unchecked()
            .outbox_events(&OutboxQuery::all())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.kind == EventKind::ComponentStatusChanged)
            .count()
    };
    let before = status_events().await;
    let uri = format!("/api/v1/components/{id}");
    let (s, _, v) = api
        .send("PUT", &uri, true, json, r#"{"status":4,"silent":true}"#)
        .await;
    assert_eq!((s, v["data"]["status"].as_i64()), (StatusCode::OK, Some(4)));
    assert_eq!(status_events().await, before, "silent: no notification");
    let (s, _, _) = api.send("PUT", &uri, true, json, r#"{"status":1}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        status_events().await,
        before + 1,
        "a status change notifies"
    );
}
