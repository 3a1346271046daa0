//! The one CSRF rule on page routes, applied by the web layer before any page handler:
//! cookie-authenticated unsafe requests need the public origin and the session's token.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use common::*;
use http::{Request, StatusCode};

use cachet_core::model::*;
use cachet_core::web::RequestContext;

fn post(path: &str, cookie: Option<&str>, origin: Option<&str>, body: &str) -> Request<Bytes> {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    if let Some(o) = origin {
        b = b.header("origin", o);
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn cookie_authenticated_unsafe_requests_need_origin_and_token() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let ticket = h.session("ops@example.com").await;
    let cookie = format!("__Host-cachet_session={}", ticket.secret);
    let actor = h.actor(&ticket.secret).await;
    let token = h.cachet.csrf_token(&actor).unwrap();
    let cx = || RequestContext {
        peer: Some("192.0.2.1:1".parse().unwrap()),
        principal: None,
    };
    let me = "https://status.example.com";

    let cross = h
        .cachet
        .handle(
            post(
                "/dashboard/components",
                Some(&cookie),
                Some("https://evil.example"),
                &format!("_token={token}"),
            ),
            cx(),
        )
        .await;
    assert_eq!(
        cross.status(),
        StatusCode::FORBIDDEN,
        "another origin, even with the token"
    );
    let tokenless = h
        .cachet
        .handle(
            post("/dashboard/components", Some(&cookie), Some(me), "name=x"),
            cx(),
        )
        .await;
    assert_eq!(tokenless.status(), StatusCode::FORBIDDEN, "no token");
    let forged = h
        .cachet
        .handle(
            post(
                "/dashboard/components",
                Some(&cookie),
                Some(me),
                "_token=AAAA",
            ),
            cx(),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "a wrong token");
    let q = cachet_core::store::AuditQuery::filtered(cachet_core::store::AuditFilter {
        action: Some(AuditAction::CsrfRejected),
        ..Default::default()
    });
    assert_eq!(
        h.store.audit_events(&q).await.unwrap().total,
        3,
        "every refusal audited"
    );

    // the right origin and token pass the guard (and reach the router: no such page yet)
    let ok = h
        .cachet
        .handle(
            post(
                "/dashboard/components",
                Some(&cookie),
                Some(me),
                &format!("_token={token}"),
            ),
            cx(),
        )
        .await;
    assert_ne!(ok.status(), StatusCode::FORBIDDEN, "passes the guard");
    let mut via_header = post("/dashboard/components", Some(&cookie), None, "");
    via_header
        .headers_mut()
        .insert("x-csrf-token", token.parse().unwrap());
    via_header
        .headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    assert_ne!(
        h.cachet.handle(via_header, cx()).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut sec_cross = post(
        "/dashboard/components",
        Some(&cookie),
        None,
        &format!("_token={token}"),
    );
    sec_cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(
        h.cachet.handle(sec_cross, cx()).await.status(),
        StatusCode::FORBIDDEN
    );

    // safe methods and requests without a session are not the guard's business
    let get = Request::builder()
        .uri("/dashboard")
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(h.cachet.handle(get, cx()).await.status(), StatusCode::OK);
    let anon = h
        .cachet
        .handle(
            post(
                "/subscribe",
                None,
                Some("https://evil.example"),
                "email=a@b.c",
            ),
            cx(),
        )
        .await;
    // (not the guard's: the visitor form checks its own stateless token and origin)
    assert_eq!(anon.status(), StatusCode::FORBIDDEN);

    // the API never authenticates by cookie: a cookie-only write is simply unauthenticated
    let api = Request::builder()
        .method("POST")
        .uri("/api/v1/components")
        .header("cookie", &cookie)
        .header("content-type", "application/json")
        .body(Bytes::from_static(br#"{"name":"x","status":1}"#))
        .unwrap();
    assert_eq!(
        h.cachet.handle(api, cx()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
