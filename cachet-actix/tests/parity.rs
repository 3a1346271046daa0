//! The shared HTTP cases through `cachet_actix`, at the root (`App::configure`) and in a
//! `/status` scope of a host app with its own routes and middleware, plus what only an
//! adapter can get wrong: the mount point, the vouched principal, the peer address.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::net::SocketAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Service as _, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage as _, HttpResponse, test, web};
use bytes::Bytes;
use cachet_actix::Principal;
use cachet_core::model::Role;
use cachet_core::testing::http::{self as cases, Site};
use cachet_core::web::RequestContext;

/// Converts a case's request (http 1.x) into an actix test request.
fn to_actix(req: http::Request<Bytes>, cx: RequestContext) -> actix_http::Request {
    let (parts, body) = req.into_parts();
    let mut t = test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap())
        .uri(&parts.uri.to_string());
    for (name, value) in &parts.headers {
        t = t.append_header((
            HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        ));
    }
    if let Some(peer) = cx.peer {
        t = t.peer_addr(peer);
    }
    let req = t.set_payload(body).to_request();
    if let Some(principal) = cx.principal {
        req.extensions_mut().insert(principal);
    }
    req
}

/// Converts an actix response back into http 1.x.
async fn from_actix<B: MessageBody>(resp: ServiceResponse<B>) -> http::Response<Bytes> {
    let status = resp.status().as_u16();
    let headers: Vec<(String, Vec<u8>)> = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let body = test::read_body(resp).await;
    let mut b = http::Response::builder().status(status);
    for (n, v) in headers {
        b = b.header(n, v);
    }
    b.body(body).unwrap()
}

/// A host app: its own route, a middleware marking every answer, and Cachet in a scope.
macro_rules! host_app {
    ($cachet:expr) => {
        App::new()
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("host") }),
            )
            .service(cachet_actix::scope("/status", $cachet))
            .wrap_fn(|req: ServiceRequest, srv| {
                let fut = srv.call(req);
                async move {
                    let mut resp = fut.await?;
                    resp.headers_mut().insert(
                        HeaderName::from_static("x-host"),
                        HeaderValue::from_static("yes"),
                    );
                    Ok(resp)
                }
            })
    };
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

#[actix_web::test]
async fn every_case_passes_at_the_root() {
    report(
        cases::run_all(|cachet, req, cx| async move {
            let app =
                test::init_service(App::new().configure(cachet_actix::configure(cachet))).await;
            from_actix(test::call_service(&app, to_actix(req, cx)).await).await
        })
        .await,
    );
}

#[actix_web::test]
async fn every_case_passes_in_a_scope() {
    report(
        cases::run_cases(&cases::cases(), "/status", |cachet, req, cx| async move {
            let app = test::init_service(host_app!(cachet)).await;
            let resp = from_actix(test::call_service(&app, to_actix(req, cx)).await).await;
            assert_eq!(
                resp.headers()["x-host"],
                "yes",
                "host middleware wraps Cachet"
            );
            resp
        })
        .await,
    );
}

#[actix_web::test]
async fn every_case_passes_configured_into_a_host_scope() {
    report(
        cases::run_cases(&cases::cases(), "/status", |cachet, req, cx| async move {
            let app = test::init_service(
                App::new()
                    .service(web::scope("/status").configure(cachet_actix::configure(cachet))),
            )
            .await;
            from_actix(test::call_service(&app, to_actix(req, cx)).await).await
        })
        .await,
    );
}

async fn get(uri: &str, cachet: cachet_core::Cachet) -> http::Response<Bytes> {
    let app = test::init_service(host_app!(cachet)).await;
    let req = test::TestRequest::get().uri(uri).to_request();
    from_actix(test::call_service(&app, req).await).await
}

#[actix_web::test]
async fn the_core_sees_the_path_relative_to_the_scope() {
    let site = Site::new("/status", None).unwrap();
    let c = || site.cachet.clone();
    let r = get("/status/api/v1/ping", c()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.body()[..], br#"{"data":"Pong!"}"#);
    for uri in ["/status", "/status/"] {
        let r = get(uri, c()).await;
        assert!(
            r.headers().contains_key("x-request-id"),
            "{uri} answered by Cachet"
        );
    }
    let r = get("/", c()).await;
    assert_eq!((r.status().as_u16(), &r.body()[..]), (200, &b"host"[..]));
    for uri in ["/api/v1/ping", "/statusx/api/v1/ping"] {
        let r = get(uri, c()).await;
        assert_eq!(r.status(), 404, "{uri}");
        assert!(
            !r.headers().contains_key("x-request-id"),
            "{uri} is not Cachet's"
        );
    }
}

#[actix_web::test]
async fn a_principal_from_the_hosts_middleware_reaches_the_core() {
    let site = Site::new("/status", None).unwrap();
    let app = test::init_service(App::new().service(
        cachet_actix::scope("/status", site.cachet.clone()).wrap_fn(|req: ServiceRequest, srv| {
            if req
                .headers()
                .get("x-host-user")
                .is_some_and(|v| v == "admin")
            {
                req.extensions_mut()
                    .insert(Principal::new("ops@example.com", Role::Admin));
            }
            srv.call(req)
        }),
    ))
    .await;
    let post = |user: Option<&str>| {
        let mut t = test::TestRequest::post()
            .uri("/status/api/v1/components")
            .insert_header(("content-type", "application/json"))
            .set_payload(r#"{"name":"API","status":1}"#);
        if let Some(u) = user {
            t = t.insert_header(("x-host-user", u));
        }
        t.to_request()
    };
    let r = test::call_service(&app, post(None)).await;
    assert_eq!(r.status(), 401);
    let r = test::call_service(&app, post(Some("admin"))).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_slice(&test::read_body(r).await).unwrap();
    assert_eq!(v["data"]["name"], "API");
}

fn one_per_hour(c: &mut cachet_core::Config) {
    c.web.rate_limits.api_per_address =
        cachet_core::web::Limit::new(1, std::time::Duration::from_secs(3600));
}

#[actix_web::test]
async fn the_peer_address_reaches_the_rate_limits() {
    let site = Site::new("/status", Some(one_per_hour)).unwrap();
    let app = test::init_service(host_app!(site.cachet.clone())).await;
    let from = |peer: &str| {
        test::TestRequest::get()
            .uri("/status/api/v1/ping")
            .peer_addr(peer.parse::<SocketAddr>().unwrap())
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, from("198.51.100.1:1"))
            .await
            .status(),
        200
    );
    assert_eq!(
        test::call_service(&app, from("198.51.100.1:2"))
            .await
            .status(),
        429
    );
    assert_eq!(
        test::call_service(&app, from("198.51.100.2:1"))
            .await
            .status(),
        200,
        "per address"
    );
}

#[actix_web::test]
async fn a_payload_over_256_kib_is_read_and_one_over_the_limit_is_the_cores_413() {
    let site = Site::new("", None).unwrap();
    let app =
        test::init_service(App::new().configure(cachet_actix::configure(site.cachet.clone())))
            .await;
    let big = format!("{}{}", "{}", " ".repeat(2 * 1024 * 1024));
    let req = test::TestRequest::post()
        .uri("/api/v1/components")
        .insert_header(("content-type", "application/json"))
        .set_payload(big)
        .to_request();
    let r = from_actix(test::call_service(&app, req).await).await;
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(v["errors"][0]["status"], 413);
    assert!(r.headers().contains_key("content-security-policy"));
}

fn identical(result: Result<usize, Vec<String>>) {
    let n = result.unwrap_or_else(|d| panic!("{} differences:\n\n{}", d.len(), d.join("\n\n")));
    assert!(n >= 100, "only {n} cases compared");
}

#[actix_web::test]
async fn every_answer_is_the_cores_at_the_root() {
    identical(
        cases::run_identical("", |cachet, req, cx| async move {
            let app =
                test::init_service(App::new().configure(cachet_actix::configure(cachet))).await;
            from_actix(test::call_service(&app, to_actix(req, cx)).await).await
        })
        .await,
    );
}

#[actix_web::test]
async fn every_answer_is_the_cores_in_a_scope() {
    identical(
        cases::run_identical("/status", |cachet, req, cx| async move {
            let app =
                test::init_service(App::new().service(cachet_actix::scope("/status", cachet)))
                    .await;
            from_actix(test::call_service(&app, to_actix(req, cx)).await).await
        })
        .await,
    );
}
