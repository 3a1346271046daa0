//! A host route wrapped in `HostHealthMiddleware`: the shared scenarios of
//! `cachet_core::testing::http::HostHealthSite` (a burst of 500s is an outage with one
//! incident until 200s; only the wrapped routes are counted), driven through actix-web.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, test, web};
use cachet_actix::HostHealthMiddleware;
use cachet_core::testing::http::HostHealthSite;

/// The host's checkout route answers whatever status the test sets.
async fn checkout(answer: web::Data<AtomicU16>) -> HttpResponse {
    HttpResponse::new(StatusCode::from_u16(answer.load(Ordering::Relaxed)).unwrap())
}

#[actix_web::test]
async fn a_burst_of_500s_on_a_host_route_is_an_outage_with_one_incident_until_200s() {
    let site = HostHealthSite::new().await;
    let answer: web::Data<AtomicU16> = web::Data::from(Arc::clone(&site.answer));
    let app = test::init_service(
        App::new()
            .app_data(answer)
            .service(
                web::resource("/checkout")
                    .wrap(HostHealthMiddleware::new(
                        &site.health,
                        HostHealthSite::CHECKOUT,
                    ))
                    .route(web::post().to(checkout)),
            )
            .service(cachet_actix::scope("/status", site.cachet.clone())),
    )
    .await;
    site.a_burst_of_500s_is_an_outage_with_one_incident_until_200s(async |n| {
        for _ in 0..n {
            let req = test::TestRequest::post().uri("/checkout").to_request();
            test::call_service(&app, req).await;
        }
    })
    .await;
}

#[actix_web::test]
async fn only_the_wrapped_routes_are_counted() {
    let site = HostHealthSite::new().await;
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/ok")
                    .wrap(HostHealthMiddleware::new(&site.health, HostHealthSite::API))
                    .route(web::post().to(HttpResponse::Ok)),
            )
            .route("/broken", web::post().to(HttpResponse::BadGateway)),
    )
    .await;
    site.only_the_wrapped_routes_are_counted(async || {
        let req = test::TestRequest::post().uri("/broken").to_request();
        test::call_service(&app, req).await.status().as_u16()
    })
    .await;
}
