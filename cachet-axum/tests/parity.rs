//! The shared HTTP cases through `cachet_axum::router`, at the root and nested under
//! `/status` in a host router with its own state and layers, plus what only an adapter can
//! get wrong: the mount point, the vouched principal, the peer address.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request as AxumRequest, State};
use axum::middleware::{self, Next};
use axum::response::Response as AxumResponse;
use axum::routing::get;
use bytes::Bytes;
use cachet_axum::Principal;
use cachet_core::model::Role;
use cachet_core::testing::http::{self as cases, Site};
use cachet_core::web::RequestContext;
use http::{Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// A host's own state, to prove the router composes with any state type.
#[derive(Clone)]
struct HostState {
    greeting: &'static str,
}

async fn host_home(State(s): State<HostState>) -> &'static str {
    s.greeting
}

/// A host layer that marks every answer, Cachet's included.
async fn host_mark(req: AxumRequest, next: Next) -> AxumResponse {
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert("x-host", http::HeaderValue::from_static("yes"));
    resp
}

/// A host's auth middleware: `X-Host-User: admin` is a signed-in admin of the host.
async fn host_auth(mut req: AxumRequest, next: Next) -> AxumResponse {
    if req
        .headers()
        .get("x-host-user")
        .is_some_and(|v| v == "admin")
    {
        req.extensions_mut()
            .insert(Principal::new("ops@example.com", Role::Admin));
    }
    next.run(req).await
}

fn host_app(cachet: cachet_core::Cachet) -> Router {
    Router::new()
        .route("/", get(host_home))
        .nest("/status", cachet_axum::router(cachet))
        .layer(middleware::from_fn(host_mark))
        .with_state(HostState { greeting: "host" })
}

async fn oneshot(app: Router, req: Request<Bytes>, cx: RequestContext) -> Response<Bytes> {
    let (mut parts, body) = req.into_parts();
    if let Some(peer) = cx.peer {
        parts.extensions.insert(ConnectInfo(peer));
    }
    if let Some(principal) = cx.principal {
        parts.extensions.insert(principal);
    }
    let resp = app
        .oneshot(Request::from_parts(parts, Body::from(body)))
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    Response::from_parts(parts, bytes)
}

fn report(result: Result<cases::Summary, Vec<String>>) {
    let summary = result.unwrap_or_else(|failures| {
        panic!(
            "{} failing cases:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        )
    });
    for bug in summary.known_bugs.iter().chain(&summary.no_longer_failing) {
        eprintln!("{bug}");
    }
    assert!(
        summary.passed >= 100,
        "only {} cases passed",
        summary.passed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_at_the_root() {
    report(
        cases::run_all(|cachet, req, cx| async move {
            let app: Router = cachet_axum::router(cachet);
            oneshot(app, req, cx).await
        })
        .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_nested_under_a_prefix() {
    report(
        cases::run_cases(&cases::cases(), "/status", |cachet, req, cx| async move {
            let resp = oneshot(host_app(cachet), req, cx).await;
            assert_eq!(resp.headers()["x-host"], "yes", "host layers wrap Cachet");
            resp
        })
        .await,
    );
}

async fn get_body(app: Router, uri: &str) -> (StatusCode, Response<Bytes>) {
    let req = Request::builder().uri(uri).body(Bytes::new()).unwrap();
    let resp = oneshot(app, req, RequestContext::default()).await;
    (resp.status(), resp)
}

#[tokio::test]
async fn the_core_sees_the_path_relative_to_the_mount_point() {
    let site = Site::new("/status", None).unwrap();
    let app = host_app(site.cachet.clone());
    let (s, r) = get_body(app.clone(), "/status/api/v1/ping").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(&r.body()[..], br#"{"data":"Pong!"}"#);
    assert!(
        r.headers().contains_key("x-request-id"),
        "answered by Cachet"
    );
    // The mount point itself reaches Cachet (as "/"), not the host's routes.
    let (_, r) = get_body(app.clone(), "/status").await;
    assert!(
        r.headers().contains_key("x-request-id"),
        "answered by Cachet"
    );
    // axum 0.8's `nest` leaves `/status/` to the host; `nest_service` gives it to Cachet.
    let (s, r) = get_body(app.clone(), "/status/").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!r.headers().contains_key("x-request-id"));
    let svc: Router =
        Router::new().nest_service("/status", cachet_axum::router(site.cachet.clone()));
    let (_, r) = get_body(svc.clone(), "/status/").await;
    assert!(
        r.headers().contains_key("x-request-id"),
        "answered by Cachet"
    );
    let (s, r) = get_body(svc, "/status/api/v1/ping").await;
    assert_eq!(
        (s, &r.body()[..]),
        (StatusCode::OK, &br#"{"data":"Pong!"}"#[..])
    );
    // Outside the mount point the host answers, and Cachet never sees it.
    let (s, r) = get_body(app.clone(), "/").await;
    assert_eq!((s, &r.body()[..]), (StatusCode::OK, &b"host"[..]));
    let (s, r) = get_body(app.clone(), "/api/v1/ping").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!r.headers().contains_key("x-request-id"));
    let (s, r) = get_body(app, "/statusx/api/v1/ping").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!r.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn a_principal_from_the_hosts_auth_middleware_reaches_the_core() {
    let site = Site::new("/status", None).unwrap();
    let app = Router::new().nest(
        "/status",
        cachet_axum::router(site.cachet.clone()).layer(middleware::from_fn(host_auth)),
    );
    let post = |user: Option<&str>| {
        let mut b = Request::builder()
            .method("POST")
            .uri("/status/api/v1/components")
            .header("content-type", "application/json");
        if let Some(u) = user {
            b = b.header("x-host-user", u);
        }
        b.body(Bytes::from_static(br#"{"name":"API","status":1}"#))
            .unwrap()
    };
    let r = oneshot(app.clone(), post(None), RequestContext::default()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = oneshot(app, post(Some("admin")), RequestContext::default()).await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.body());
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(v["data"]["name"], "API");
}

fn one_per_hour(c: &mut cachet_core::Config) {
    c.web.rate_limits.api_per_address =
        cachet_core::web::Limit::new(1, std::time::Duration::from_secs(3600));
}

/// One HTTP/1.1 request over a real socket; returns the status line's code.
async fn raw_get(addr: SocketAddr, path: &str) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_address_from_connect_info_reaches_the_rate_limits() {
    let site = Site::new("/status", Some(one_per_hour)).unwrap();
    let app = host_app(site.cachet.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    assert_eq!(raw_get(addr, "/status/api/v1/ping").await, 200);
    assert_eq!(
        raw_get(addr, "/status/api/v1/ping").await,
        429,
        "the second request from 127.0.0.1 is over the limit"
    );
    server.abort();
}

#[tokio::test]
async fn mock_connect_info_is_a_peer_too() {
    let site = Site::new("", Some(one_per_hour)).unwrap();
    let peer: SocketAddr = "198.51.100.7:1234".parse().unwrap();
    let app: Router = cachet_axum::router(site.cachet.clone())
        .layer(axum::extract::connect_info::MockConnectInfo(peer));
    let (s, _) = get_body(app.clone(), "/api/v1/ping").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_body(app, "/api/v1/ping").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn without_connect_info_there_is_no_address_and_no_address_limit() {
    let site = Site::new("", Some(one_per_hour)).unwrap();
    let app: Router = cachet_axum::router(site.cachet.clone());
    for _ in 0..3 {
        let (s, r) = get_body(app.clone(), "/api/v1/ping").await;
        assert_eq!(s, StatusCode::OK);
        assert!(!r.headers().contains_key("x-ratelimit-limit"));
    }
}

fn identical(result: Result<usize, Vec<String>>) {
    let n = result.unwrap_or_else(|d| panic!("{} differences:\n\n{}", d.len(), d.join("\n\n")));
    assert!(n >= 100, "only {n} cases compared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_the_cores_at_the_root() {
    identical(
        cases::run_identical("", |cachet, req, cx| async move {
            oneshot(cachet_axum::router(cachet), req, cx).await
        })
        .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_the_cores_under_a_prefix() {
    identical(
        cases::run_identical("/status", |cachet, req, cx| async move {
            let app = Router::new().nest("/status", cachet_axum::router(cachet));
            oneshot(app, req, cx).await
        })
        .await,
    );
}
