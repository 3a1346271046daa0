//! The OpenAPI 3.1 document at `/api/openapi.json`: it parses, it is 3.1, it lists
//! every route the API v1 dispatcher serves (read from the route table's source, so a route
//! the document leaves out fails here) and only those, and real answers of every documented
//! operation validate against the schemas it declares (JSON Schema 2020-12, which OpenAPI 3.1
//! schemas are).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;
mod openapi_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::collections::{BTreeMap, BTreeSet};

use api_v1_harness::*;
use http::StatusCode;
use openapi_support::*;
use serde_json::{Value, json};

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::validate::{Markdown, Slug};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `/api/v1/incidents/{incident}/updates/{item}` → `/api/v1/incidents/{}/updates/{}`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The documented (path shape, METHOD) pairs.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((shape(path), method.to_ascii_uppercase()));
        }
    }
    out
}

/// The path shapes of the API v1 route table, read from its source: every path literal in
/// `ROUTES`, ids as `{}`.
fn dispatcher_shapes() -> BTreeSet<String> {
    let src = include_str!("../src/web/api_v1/routes.rs");
    let start = src
        .find("static ROUTES")
        .expect("ROUTES in api_v1/routes.rs");
    let end = src[start..].find("\n];").map_or(src.len(), |e| start + e);
    let mut shapes = BTreeSet::new();
    for literal in src[start..end].split('"').skip(1).step_by(2) {
        if literal.starts_with('/') {
            shapes.insert(shape(&format!("/api/v1{literal}")));
        }
    }
    assert!(shapes.len() >= 15, "the route table parse found {shapes:?}");
    shapes
}

/// Real ids for every kind a path names.
struct Fixture {
    ids: BTreeMap<&'static str, i64>,
}

impl Fixture {
    async fn new(api: &Api) -> Self {
        let mut ids = BTreeMap::new();
        let id = |v: &Value| v["data"]["id"].as_i64().unwrap();
        let g = api
            .ok(
                "POST",
                "/api/v1/components/groups",
                r#"{"name":"Edge","visible":true}"#,
            )
            .await;
        ids.insert("groups", id(&g));
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
        ids.insert("components", id(&c));
        let i = api
            .ok(
                "POST",
                "/api/v1/incidents",
                &json!({"name": "Slow", "status": 2, "message": "Looking **into** it",
                        "component_id": id(&c), "component_status": 3, "occurred_at": "2026-01-01 00:00"})
                .to_string(),
            )
            .await;
        ids.insert("incidents", id(&i));
        let u = api
            .ok(
                "POST",
                &format!("/api/v1/incidents/{}/updates", id(&i)),
                r#"{"status":3,"message":"Fix deployed"}"#,
            )
            .await;
        ids.insert("updates", id(&u));
        let m = api
            .ok(
                "POST",
                "/api/v1/metrics",
                r#"{"name":"Latency","suffix":"ms","default_value":0,"description":"p95"}"#,
            )
            .await;
        ids.insert("metrics", id(&m));
        let p = api
            .ok(
                "POST",
                &format!("/api/v1/metrics/{}/points", id(&m)),
                r#"{"value":12.5}"#,
            )
            .await;
        ids.insert("points", id(&p));
        let s = api
            .ok(
                "POST",
                "/api/v1/schedules",
                &json!({"name": "DB upgrade", "status": 0, "message": "Short *window*",
                        "scheduled_at": "2026-01-01 02:00", "completed_at": "2026-01-01 03:00",
                        "components": [id(&c)]})
                .to_string(),
            )
            .await;
        ids.insert("schedules", id(&s));
        let sub = api
            .ok(
                "POST",
                "/api/v1/subscribers",
                &json!({"email": "ops@example.com", "verify": true, "components": [id(&c)]})
                    .to_string(),
            )
            .await;
        ids.insert("subscribers", id(&sub));
        ids.insert(
            "subscriptions",
            sub["data"]["subscriptions"][0]["id"].as_i64().unwrap(),
        );
        let t = api
            .h
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
        ids.insert("templates", t.id.get());
        let i = api
            .ok(
                "POST",
                "/api/v1/integrations",
                r#"{"kind":"alertmanager","name":"Prometheus"}"#,
            )
            .await;
        ids.insert("integrations", id(&i));
        let r = api
            .ok(
                "POST",
                &format!("/api/v1/integrations/{}/rules", id(&i)),
                &json!({"component_id": id(&c), "matcher": "alertname=Down", "incident_title": "Down"})
                    .to_string(),
            )
            .await;
        ids.insert("rules", id(&r));
        Self { ids }
    }

    /// A concrete path for a shape: each `{}` takes the id of the kind named before it.
    fn path(&self, shape: &str) -> String {
        let mut out = Vec::new();
        let mut kind = "";
        for seg in shape.split('/') {
            if seg == "{}" {
                out.push(self.ids.get(kind).copied().unwrap_or(999_999).to_string());
            } else {
                kind = seg;
                out.push(seg.to_owned());
            }
        }
        out.join("/")
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_security_schemes_and_the_error_envelope() {
    let api = Api::new().await;
    let doc = document(&api).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["CachetToken"]["type"], "apiKey");
    assert_eq!(schemes["CachetToken"]["in"], "header");
    assert_eq!(schemes["CachetToken"]["name"], "X-Cachet-Token");
    assert_eq!(schemes["BearerToken"]["type"], "http");
    assert_eq!(schemes["BearerToken"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
    assert_eq!(schemes["StatuspageOAuth"]["name"], "Authorization");
    assert!(doc["components"]["schemas"]["SpError"].is_object());
    assert!(doc["components"]["schemas"]["C3Error"].is_object());
    // Every write needs a token; every operation answers its failures in its API's error
    // shape: Cachet's envelope, Statuspage's on the Statuspage management API, Laravel's on
    // Cachet 3's API.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let cachet3 = path.starts_with("/api/")
            && !path.starts_with("/api/v1/")
            && !path.starts_with("/api/v2/")
            && path != "/api/openapi.json";
        let envelope = if path.starts_with("/v1/pages/") {
            "#/components/schemas/SpError"
        } else if cachet3 {
            "#/components/schemas/C3Error"
        } else {
            "#/components/schemas/ApiError"
        };
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for (code, r) in responses {
                if code.starts_with('4') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"], envelope,
                        "{method} {path} {code}"
                    );
                }
            }
            if method != "get" {
                let security = op["security"].as_array().unwrap();
                assert!(
                    security
                        .iter()
                        .all(|s| s.as_object().is_some_and(|o| !o.is_empty())),
                    "{method} {path} must need a token"
                );
                for code in ["400", "401", "403", "429"] {
                    assert!(responses.contains_key(code), "{method} {path} {code}");
                }
            }
        }
    }
    // Sort parameters are the stores' whitelists.
    let sorts = doc["paths"]["/api/v1/components"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sort")
        .unwrap()["schema"]["enum"]
        .clone();
    assert!(sorts.as_array().unwrap().contains(&json!("name")));
    assert!(!sorts.as_array().unwrap().contains(&json!("password")));
    // Other methods are refused.
    let r = api
        .send("POST", "/api/openapi.json", Some(&api.admin), "{}")
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_route_the_dispatcher_serves_is_documented_and_only_those() {
    let api = Api::unlimited().await;
    let doc = document(&api).await;
    let documented = documented(&doc);
    let v1_documented: BTreeSet<&String> = documented
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/"))
        .map(|(p, _)| p)
        .collect();
    // Every shape the dispatcher names is a documented path (a new arm without docs fails).
    for shape in dispatcher_shapes() {
        assert!(
            v1_documented.contains(&shape),
            "{shape} is in the API v1 route table but not in the OpenAPI document"
        );
    }
    let fixture = Fixture::new(&api).await;
    // Every method a documented path answers (anything but 404/405) is documented; every
    // documented method is answered. Deletes run last, deepest paths first, so the fixtures
    // they remove are not needed by later probes.
    let mut shapes: Vec<&String> = v1_documented.iter().copied().collect();
    shapes.sort_by(|a, b| {
        b.matches('/')
            .count()
            .cmp(&a.matches('/').count())
            .then(b.cmp(a))
    });
    for pass in ["other", "DELETE"] {
        for sh in &shapes {
            let path = fixture.path(sh);
            for method in METHODS {
                if (pass == "DELETE") != (method == "DELETE") {
                    continue;
                }
                let body = if matches!(method, "POST" | "PUT" | "PATCH") {
                    "{}"
                } else {
                    ""
                };
                let r = api.send(method, &path, Some(&api.admin), body).await;
                assert_ne!(
                    r.status,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{method} {path}"
                );
                let answered = !matches!(
                    r.status,
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                );
                let is_documented = documented.contains(&((*sh).clone(), method.to_owned()));
                assert_eq!(
                    answered, is_documented,
                    "{method} {path}: answered {} but documented = {is_documented}",
                    r.status
                );
                // The answer's status is one the document lists for it.
                if is_documented {
                    let (doc_path, _) = doc["paths"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .find(|(p, _)| shape(p) == **sh)
                        .unwrap();
                    let op = &doc["paths"][doc_path][method.to_ascii_lowercase()];
                    assert!(
                        op["responses"][r.status.as_str()].is_object(),
                        "{method} {path}: {} is not documented",
                        r.status
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn real_answers_validate_against_their_schemas() {
    let api = Api::unlimited().await;
    let doc = document(&api).await;
    let fixture = Fixture::new(&api).await;
    // A second page of components and a hidden, resolved incident widen what is shown.
    for n in 0..3 {
        api.ok(
            "POST",
            "/api/v1/components",
            &json!({"name": format!("extra {n}"), "status": n}).to_string(),
        )
        .await;
    }
    api.ok(
        "POST",
        "/api/v1/incidents",
        r#"{"name":"Old","status":4,"visible":false,"message":"Done"}"#,
    )
    .await;
    api.h.clock.advance(chrono::TimeDelta::hours(2));
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if method != "get" {
                continue;
            }
            let shape = shape(path);
            let concrete = fixture.path(&shape);
            for (uri, token) in [
                (concrete.clone(), Some(api.admin.as_str())),
                (concrete.clone(), None),
                (
                    format!("{concrete}?per_page=2&page=2&sort=id&order=desc"),
                    None,
                ),
            ] {
                let r = api.send("GET", &uri, token, "").await;
                let schema = response_schema(&doc, path, "get", r.status.as_u16());
                assert_valid(&doc, &schema, &r.json, &format!("GET {uri} {}", r.status));
                checked += 1;
            }
        }
    }
    // Writes: create, update, and their failures.
    let samples: [(&str, &str, &str, &str); 6] = [
        (
            "post",
            "/api/v1/components",
            "/api/v1/components",
            r#"{"name":"New","status":1}"#,
        ),
        (
            "post",
            "/api/v1/components",
            "/api/v1/components",
            r#"{"name":"","status":9}"#,
        ),
        (
            "put",
            "/api/v1/components/{id}",
            "/api/v1/components/999999",
            r#"{"name":"x"}"#,
        ),
        (
            "put",
            "/api/v1/incidents/{incident}/updates/{item}",
            &fixture.path("/api/v1/incidents/{}/updates/{}"),
            r#"{"message":"edited"}"#,
        ),
        (
            "post",
            "/api/v1/metrics/{metric}/points",
            &fixture.path("/api/v1/metrics/{}/points"),
            r#"{"value":"NaN"}"#,
        ),
        (
            "post",
            "/api/v1/subscribers",
            "/api/v1/subscribers",
            r#"{"email":"new@example.com","verify":true}"#,
        ),
    ];
    for (method, doc_path, uri, body) in samples {
        let r = api
            .send(&method.to_ascii_uppercase(), uri, Some(&api.admin), body)
            .await;
        let schema = response_schema(&doc, doc_path, method, r.status.as_u16());
        assert_valid(&doc, &schema, &r.json, &format!("{method} {uri} {body}"));
        checked += 1;
    }
    // A read-scope token writing: 403 in the envelope; no token: 401.
    for token in [Some(api.reader.as_str()), None] {
        let r = api
            .send("POST", "/api/v1/groups", token, r#"{"name":"x"}"#)
            .await;
        assert!(r.status.is_client_error());
        let r = api
            .send(
                "POST",
                "/api/v1/components/groups",
                token,
                r#"{"name":"x"}"#,
            )
            .await;
        let schema = response_schema(&doc, "/api/v1/components/groups", "post", r.status.as_u16());
        assert_valid(&doc, &schema, &r.json, "POST groups without the scope");
        checked += 1;
    }
    assert!(checked > 60, "only {checked} answers checked");
    // A test of the test on real data: the same answer with one field of the wrong type, or
    // a required field missing, fails its schema.
    let uri = fixture.path("/api/v1/incidents/{}");
    let good = api.send("GET", &uri, Some(&api.admin), "").await.json;
    let schema = response_schema(&doc, "/api/v1/incidents/{id}", "get", 200);
    let v = validator(&doc, &schema);
    assert!(v.is_valid(&good), "{good}");
    let mut bad = good.clone();
    bad["data"]["updates"][0]["id"] = json!("one");
    assert!(!v.is_valid(&bad));
    let mut bad = good.clone();
    bad["data"].as_object_mut().unwrap().remove("permalink");
    assert!(!v.is_valid(&bad));
}

#[test]
fn the_validator_rejects_a_wrong_shape() {
    // A test of the test: the schema check is not vacuous.
    let doc = json!({"components": {"schemas": {
        "X": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    }}});
    let v = validator(&doc, &json!({"$ref": "#/components/schemas/X"}));
    assert!(v.is_valid(&json!({"id": 1})));
    assert!(!v.is_valid(&json!({"id": "1"})));
    assert!(!v.is_valid(&json!({})));
    // Through an envelope, as the operations' schemas reference their items.
    let doc = json!({"components": {"schemas": {
        "X": {"type": "object", "properties": {"meta": {"type": "object"}}}
    }}});
    let v = validator(
        &doc,
        &json!({"type": "object", "properties": {"data": {"$ref": "#/components/schemas/X"}}}),
    );
    assert!(v.is_valid(&json!({"data": {"meta": {}}})));
    assert!(!v.is_valid(&json!({"data": {"meta": []}})));
}
