//! Cases for what every route shares: ping, version, health, negotiation, methods, limits,
//! rate limits, authentication, proxies, paths.

use std::time::Duration;

use serde_json::json;

use super::{Auth, BodyCheck, CaseRequest, Fixture, HeaderCheck, HttpCase, TokenKind, component};
use crate::Config;
use crate::model::{Role, SettingKey};
use crate::web::Limit;

fn ping() -> HttpCase {
    HttpCase::get("", "/api/v1/ping")
}

fn api_per_address_2(c: &mut Config) {
    c.web.rate_limits.api_per_address = Limit::new(2, Duration::from_secs(60));
}

fn api_per_address_1(c: &mut Config) {
    c.web.rate_limits.api_per_address = Limit::new(1, Duration::from_secs(3600));
}

fn api_per_token_1(c: &mut Config) {
    c.web.rate_limits.api_per_token = Limit::new(1, Duration::from_secs(3600));
}

fn behind_proxy(c: &mut Config) {
    api_per_address_1(c);
    c.web.trusted_proxies = vec![std::net::IpAddr::from([192, 0, 2, 10])];
}

fn small_bodies(c: &mut Config) {
    c.web.max_body_bytes = 1024;
}

fn plain_http(c: &mut Config) {
    if let Ok(url) = crate::validate::HttpUrl::parse("http://localhost:8080") {
        c.public_url = url;
    }
}

fn prior(path: &str) -> Fixture {
    Fixture::Prior(CaseRequest::new("GET", path))
}

fn named(mut c: HttpCase, name: &str) -> HttpCase {
    c.name = name.to_owned();
    c
}

pub(super) fn cases() -> Vec<HttpCase> {
    let version = env!("CARGO_PKG_VERSION");
    vec![
        named(ping(), "core: ping answers Pong")
            .expect_json(json!({"data": "Pong!"}))
            .expect_header("content-type", HeaderCheck::Exact("application/json".into())),
        named(ping(), "core: ping ignores a bogus token")
            .auth(Auth::RawToken("cachet_bogus".into()))
            .expect_json(json!({"data": "Pong!"})),
        HttpCase::get("core: ping with a trailing slash is the same", "/api/v1/ping/")
            .expect_json(json!({"data": "Pong!"})),
        HttpCase::get("core: version", "/api/v1/version").expect_json(json!({
            "meta": {"on_latest": true, "latest": {"tag_name": format!("v{version}"), "prelease": false, "draft": false}},
            "data": version,
        })),
        HttpCase::get("core: health", "/health")
            .expect_header("content-type", HeaderCheck::Contains("text/plain".into()))
            .expect_header("cache-control", HeaderCheck::Exact("no-store".into()))
            .expect(BodyCheck::Contains("ok".into())),
        HttpCase::new("core: HEAD health", "HEAD", "/health")
            .expect_header("cache-control", HeaderCheck::Exact("no-store".into())),
        HttpCase::new("core: POST health is 405", "POST", "/health").status(405),
        HttpCase::new("core: HEAD health has no body", "HEAD", "/health")
            .expect(BodyCheck::Empty),
        HttpCase::new("core: an API 405 says what is allowed", "DELETE", "/api/v1/ping")
            .error(405)
            .expect_header("allow", HeaderCheck::Contains("GET".into())),
        HttpCase::new("core: /health's 405 says what is allowed", "PUT", "/health")
            .status(405)
            .expect_header("allow", HeaderCheck::Contains("GET".into())),
        HttpCase::get("core: no HSTS over plain http", "/api/v1/ping")
            .configure(plain_http)
            .expect_json(json!({"data": "Pong!"}))
            .expect_header("strict-transport-security", HeaderCheck::Absent),
        named(ping(), "core: a non-ASCII Time-Zone is ignored")
            .header("time-zone", "Zürich")
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: a non-ASCII token is a guest's")
            .auth(Auth::RawToken("tökén".into()))
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: Accept application/json;q=0.0 is 406 too")
            .header("accept", "application/json;q=0.0")
            .error(406),
        HttpCase::new("core: HEAD ping answers like GET", "HEAD", "/api/v1/ping")
            .expect_header("content-type", HeaderCheck::Exact("application/json".into()))
            .expect(BodyCheck::Empty),
        HttpCase::get("core: an unknown page is 404", "/definitely-not-a-page").status(404),
        HttpCase::get("core: an unknown deep page is 404", "/a/b/c/d/e/f/g/h/i/j/k.html")
            .status(404),
        HttpCase::get("core: /api/v1 itself is a JSON 404", "/api/v1").error(404),
        HttpCase::get("core: an unknown API route is a JSON 404", "/api/v1/nope").error(404)
            .expect_at(
                "/errors/0/detail",
                json!("The requested resource could not be found but may be available again in the future."),
            ),
        HttpCase::get("core: /api/v1x is not the API", "/api/v1x/ping").status(404),
        HttpCase::get("core: dot segments are not resolved", "/api/v1/../health").error(404),
        HttpCase::get("core: a very long path is 404", &format!("/api/v1/{}", "a".repeat(8000)))
            .error(404),
        HttpCase::get("core: a percent-encoded id is not decoded into another", "/api/v1/components/%31")
            .with(component("API", 1))
            .error(404),
        HttpCase::get("core: an encoded slash stays in its segment", "/api/v1/components%2F1")
            .with(component("API", 1))
            .error(404),
        // Negotiation.
        named(ping(), "core: Accept text/html is 406")
            .header("accept", "text/html")
            .error(406),
        named(ping(), "core: Accept application/json;q=0 is 406")
            .header("accept", "application/json;q=0")
            .error(406),
        named(ping(), "core: Accept */* is fine")
            .header("accept", "*/*")
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: Accept with JSON among others is fine")
            .header("accept", "text/html, application/json;q=0.9")
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: Accept application/vnd.api+json is fine")
            .header("accept", "application/vnd.api+json"),
        // Methods.
        HttpCase::new("core: PATCH ping is 405", "PATCH", "/api/v1/ping").error(405),
        HttpCase::new("core: DELETE version is 405", "DELETE", "/api/v1/version").error(405),
        HttpCase::new("core: an unknown method is not a 500", "BREW", "/api/v1/components")
            .error(405),
        HttpCase::new(
            "core: X-HTTP-Method-Override is ignored",
            "POST",
            "/api/v1/components",
        )
        .token(TokenKind::Admin)
        .header("x-http-method-override", "DELETE")
        .json(&json!({"name": "API", "status": 1}))
        .expect_at("/data/name", json!("API")),
        // Body limits.
        HttpCase::new("core: a body over the limit is 413", "POST", "/api/v1/components")
            .configure(small_bodies)
            .token(TokenKind::Admin)
            .json(&json!({"name": "API", "status": 1, "description": "d".repeat(2000)}))
            .error(413),
        HttpCase::new("core: a body over the limit is 413 before authentication", "POST", "/api/v1/components")
            .configure(small_bodies)
            .body("application/json", "x".repeat(1025))
            .error(413),
        HttpCase::new("core: a body at the limit is read", "POST", "/api/v1/components")
            .configure(small_bodies)
            .token(TokenKind::Admin)
            .body(
                "application/json",
                format!("{:<1024}", r#"{"name":"API","status":1}"#),
            )
            .expect_at("/data/name", json!("API")),
        HttpCase::new("core: the default limit takes bodies over 256 KiB", "POST", "/api/v1/components")
            .token(TokenKind::Admin)
            .body(
                "application/json",
                format!("{}{}", r#"{"name":"Big","status":1}"#, " ".repeat(300_000)),
            )
            .expect_at("/data/name", json!("Big")),
        HttpCase::new("core: the default limit refuses 2 MiB", "POST", "/api/v1/components")
            .token(TokenKind::Admin)
            .body("application/json", vec![b' '; 2 * 1024 * 1024])
            .error(413),
        // Rate limits.
        named(ping(), "core: limited routes say how much is left")
            .expect_header("x-ratelimit-limit", HeaderCheck::Exact("300".into()))
            .expect_header("x-ratelimit-remaining", HeaderCheck::Exact("299".into())),
        named(ping(), "core: the address limit answers 429 with Retry-After")
            .configure(api_per_address_2)
            .with(prior("/api/v1/ping"))
            .with(prior("/api/v1/components"))
            .error(429)
            .expect_header("retry-after", HeaderCheck::AtLeast(1))
            .expect_header("x-ratelimit-limit", HeaderCheck::Exact("2".into()))
            .expect_header("x-ratelimit-remaining", HeaderCheck::Exact("0".into())),
        named(ping(), "core: the address limit is per address")
            .configure(api_per_address_1)
            .with(prior("/api/v1/ping"))
            .peer(Some("192.0.2.11:40000"))
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: without a peer address there is no address limit")
            .configure(api_per_address_1)
            .with(Fixture::Prior(CaseRequest { peer: None, ..CaseRequest::new("GET", "/api/v1/ping") }))
            .peer(None)
            .expect_header("x-ratelimit-limit", HeaderCheck::Absent),
        named(ping(), "core: the token limit answers 429")
            .configure(api_per_token_1)
            .with(Fixture::Prior(CaseRequest::new("GET", "/api/v1/ping").token(TokenKind::Admin)))
            .token(TokenKind::Admin)
            .error(429)
            .expect_header("retry-after", HeaderCheck::AtLeast(1)),
        named(ping(), "core: a token has its own limit, not its address's")
            .configure(api_per_address_1)
            .with(prior("/api/v1/ping"))
            .token(TokenKind::Admin)
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: behind a trusted proxy each forwarded client has its limit")
            .configure(behind_proxy)
            .with(Fixture::Prior(CaseRequest {
                headers: vec![("x-forwarded-for".into(), "198.51.100.1".into())],
                ..CaseRequest::new("GET", "/api/v1/ping")
            }))
            .header("x-forwarded-for", "198.51.100.2")
            .expect_json(json!({"data": "Pong!"})),
        named(ping(), "core: behind a trusted proxy the forwarded client is limited")
            .configure(behind_proxy)
            .with(Fixture::Prior(CaseRequest {
                headers: vec![("x-forwarded-for".into(), "198.51.100.1".into())],
                ..CaseRequest::new("GET", "/api/v1/ping")
            }))
            .header("x-forwarded-for", "203.0.113.9, 198.51.100.1")
            .error(429),
        named(ping(), "core: X-Forwarded-For from an untrusted peer is ignored")
            .configure(api_per_address_1)
            .with(Fixture::Prior(CaseRequest {
                headers: vec![("x-forwarded-for".into(), "198.51.100.1".into())],
                ..CaseRequest::new("GET", "/api/v1/ping")
            }))
            .header("x-forwarded-for", "198.51.100.2")
            .error(429),
        // Authentication.
        HttpCase::new("core: a write without a token is 401", "POST", "/api/v1/components")
            .json(&json!({"name": "API", "status": 1}))
            .error(401)
            .expect_at(
                "/errors/0/detail",
                json!("Authentication is required and has failed or has not yet been provided."),
            ),
        HttpCase::new("core: a write with a bogus token is 401", "POST", "/api/v1/components")
            .auth(Auth::RawToken("cachet_bogus".into()))
            .json(&json!({"name": "API", "status": 1}))
            .error(401),
        HttpCase::new("core: a write with a revoked token is 401", "POST", "/api/v1/components")
            .token(TokenKind::Revoked)
            .json(&json!({"name": "API", "status": 1}))
            .error(401),
        HttpCase::new("core: a write with an expired token is 401", "POST", "/api/v1/components")
            .token(TokenKind::Expired)
            .json(&json!({"name": "API", "status": 1}))
            .error(401),
        HttpCase::new("core: a Bearer token works", "POST", "/api/v1/components")
            .auth(Auth::Bearer(TokenKind::Admin))
            .json(&json!({"name": "API", "status": 1}))
            .expect_at("/data/id", json!(1)),
        HttpCase::new("core: a read-scoped token may not write", "POST", "/api/v1/components")
            .token(TokenKind::AdminRead)
            .json(&json!({"name": "API", "status": 1}))
            .error(403),
        HttpCase::new("core: a viewer's token may not write", "POST", "/api/v1/components")
            .token(TokenKind::ViewerWrite)
            .json(&json!({"name": "API", "status": 1}))
            .error(403),
        HttpCase::new("core: a manager's write token writes", "POST", "/api/v1/components")
            .token(TokenKind::ManagerWrite)
            .json(&json!({"name": "API", "status": 1}))
            .expect_at("/data/name", json!("API")),
        HttpCase::new("core: a vouched admin writes without a token", "POST", "/api/v1/components")
            .auth(Auth::Principal("ops@example.com".into(), Role::Admin))
            .json(&json!({"name": "API", "status": 1}))
            .expect_at("/data/name", json!("API")),
        HttpCase::new("core: a vouched viewer may not write", "POST", "/api/v1/components")
            .auth(Auth::Principal("guest@example.com".into(), Role::Viewer))
            .json(&json!({"name": "API", "status": 1}))
            .error(403),
        HttpCase::get("core: always_authenticate closes reads", "/api/v1/components")
            .with(Fixture::Setting(SettingKey::AlwaysAuthenticate, "1"))
            .error(401),
        HttpCase::get("core: always_authenticate opens reads to a token", "/api/v1/components")
            .with(Fixture::Setting(SettingKey::AlwaysAuthenticate, "1"))
            .token(TokenKind::AdminRead)
            .expect_at("/meta/pagination/total", json!(0)),
        named(ping(), "core: always_authenticate leaves ping open")
            .with(Fixture::Setting(SettingKey::AlwaysAuthenticate, "1"))
            .expect_json(json!({"data": "Pong!"})),
        HttpCase::get("core: always_authenticate leaves version open", "/api/v1/version")
            .with(Fixture::Setting(SettingKey::AlwaysAuthenticate, "1"))
            .expect_at("/data", json!(version)),
        // Links come from the public URL (with the mount prefix), never from Host.
        HttpCase::get("core: links ignore Host and X-Forwarded-Host", "/api/v1/components?per_page=1")
            .with(component("A", 1))
            .with(component("B", 1))
            .header("host", "evil.example")
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-prefix", "/evil")
            .expect_at(
                "/meta/pagination/links/next_page",
                json!("{public}/api/v1/components?per_page=1&page=2"),
            )
            .not_contains("evil"),
        // Time zones.
        HttpCase::get("core: the Time-Zone header shifts dates", "/api/v1/components/1")
            .with(component("API", 1))
            .header("time-zone", "America/New_York")
            .expect_at("/data/created_at", json!("2025-12-31 19:00:00")),
        HttpCase::get("core: an unknown Time-Zone falls back to the site's", "/api/v1/components/1")
            .with(component("API", 1))
            .header("time-zone", "Mars/Olympus_Mons")
            .expect_at("/data/created_at", json!("2026-01-01 00:00:00")),
    ]
}
