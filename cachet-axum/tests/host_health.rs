//! A host route wrapped in `HostHealthLayer`: the shared scenarios of
//! `cachet_core::testing::http::HostHealthSite` (a burst of 500s is an outage with one
//! incident until 200s; only the wrapped routes are counted), driven through axum.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::post;
use cachet_axum::HostHealthLayer;
use cachet_core::testing::http::HostHealthSite;
use http::{Request, StatusCode};
use tower::ServiceExt;

/// The host's checkout route answers whatever status the test sets.
async fn checkout(State(answer): State<Arc<AtomicU16>>) -> StatusCode {
    StatusCode::from_u16(answer.load(Ordering::Relaxed)).unwrap()
}

async fn post_to(app: &Router, path: &str) -> u16 {
    let req = Request::post(path).body(Body::empty()).unwrap();
    app.clone().oneshot(req).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_burst_of_500s_on_a_host_route_is_an_outage_with_one_incident_until_200s() {
    let site = HostHealthSite::new().await;
    let app = Router::new()
        .route("/checkout", post(checkout))
        .route_layer(HostHealthLayer::new(&site.health, HostHealthSite::CHECKOUT))
        .with_state(site.answer.clone())
        .nest("/status", cachet_axum::router(site.cachet.clone()));
    site.a_burst_of_500s_is_an_outage_with_one_incident_until_200s(async |n| {
        for _ in 0..n {
            post_to(&app, "/checkout").await;
        }
    })
    .await;
}

#[tokio::test]
async fn only_the_wrapped_routes_are_counted() {
    let site = HostHealthSite::new().await;
    let app = Router::new()
        .route("/ok", post(|| async { StatusCode::OK }))
        .route_layer(HostHealthLayer::new(&site.health, HostHealthSite::API))
        .route("/broken", post(|| async { StatusCode::BAD_GATEWAY }));
    site.only_the_wrapped_routes_are_counted(async || post_to(&app, "/broken").await)
        .await;
}
