//! A host route wrapped in `HostHealthLayer`: a burst of 500s turns its component partial
//! outage with one incident, then 200s turn it back and resolve the incident. Time moves on
//! the facade's manual clock; evaluation runs by `HostHealth::tick`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::post;
use cachet_axum::HostHealthLayer;
use cachet_core::clock::ManualClock;
use cachet_core::host_health::{HostHealth, Rule};
use cachet_core::model::{ComponentStatus, NewComponent};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::IncidentQuery;
use cachet_core::store::memory::MemoryStore;
use cachet_core::validate::{HttpUrl, Name};
use cachet_core::{Actor, Cachet, Config};
use http::{Request, StatusCode};
use tower::ServiceExt;

/// The host's checkout route answers whatever status the test sets.
async fn checkout(State(answer): State<Arc<AtomicU16>>) -> StatusCode {
    StatusCode::from_u16(answer.load(Ordering::Relaxed)).unwrap()
}

#[tokio::test]
async fn a_burst_of_500s_on_a_host_route_is_an_outage_with_one_incident_until_200s() {
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let config = Config::new(HttpUrl::parse("https://example.com/status").unwrap());
    let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
    let store = Arc::new(MemoryStore::new());
    let cachet = Cachet::with_clock(store, keyring, config, clock.clone()).unwrap();
    let operator = Actor::operator();
    let new = NewComponent::named(
        Name::parse("Checkout").unwrap(),
        ComponentStatus::Operational,
    );
    let component = cachet.create_component(&operator, &new).await.unwrap().id;

    let health = HostHealth::new(&cachet);
    let rule = Rule::routes("checkout", component)
        .window(Duration::from_secs(10))
        .min_requests(10)
        .hold(Duration::from_secs(30))
        .incident("Checkout fails", "Payments fail; we are on it.");
    health.add_rule(rule).await.unwrap();

    let answer = Arc::new(AtomicU16::new(500));
    let app = Router::new()
        .route("/checkout", post(checkout))
        .route_layer(HostHealthLayer::new(&health, "checkout"))
        .with_state(answer.clone())
        .nest("/status", cachet_axum::router(cachet.clone()));
    let burst = |n: usize| {
        let app = app.clone();
        async move {
            for _ in 0..n {
                let req = Request::post("/checkout").body(Body::empty()).unwrap();
                app.clone().oneshot(req).await.unwrap();
            }
        }
    };
    let status = || async { cachet.component(&operator, component).await.unwrap().status };
    let incidents = || async {
        cachet
            .incidents(&operator, IncidentQuery::all())
            .await
            .unwrap()
            .items
    };
    let advance = |s: i64| clock.advance(chrono::TimeDelta::seconds(s));

    burst(20).await;
    health.tick().await;
    assert_eq!(
        status().await,
        ComponentStatus::Operational,
        "not before the hold"
    );
    advance(30);
    burst(20).await;
    health.tick().await;
    assert_eq!(status().await, ComponentStatus::PartialOutage);
    assert_eq!(incidents().await.len(), 1);
    advance(5);
    burst(20).await;
    health.tick().await;
    assert_eq!(incidents().await.len(), 1, "one incident per episode");

    answer.store(200, Ordering::Relaxed);
    advance(11);
    burst(20).await;
    health.tick().await;
    assert_eq!(
        status().await,
        ComponentStatus::PartialOutage,
        "not before the hold"
    );
    advance(30);
    burst(20).await;
    health.tick().await;
    assert_eq!(status().await, ComponentStatus::Operational);
    let all = incidents().await;
    assert_eq!(all.len(), 1);
    assert!(all[0].status.is_resolved());
}

#[tokio::test]
async fn only_the_wrapped_routes_are_counted() {
    let cachet = Cachet::new(
        Arc::new(MemoryStore::new()),
        Keyring::new(1, SecretKey::from_bytes([7; 32])),
        Config::new(HttpUrl::parse("https://example.com/status").unwrap()),
    )
    .unwrap();
    let operator = Actor::operator();
    let new = NewComponent::named(Name::parse("API").unwrap(), ComponentStatus::Operational);
    let component = cachet.create_component(&operator, &new).await.unwrap().id;
    let health = HostHealth::new(&cachet);
    let rule = Rule::routes("api", component)
        .min_requests(5)
        .hold(Duration::ZERO);
    health.add_rule(rule).await.unwrap();
    let app = Router::new()
        .route("/ok", post(|| async { StatusCode::OK }))
        .route_layer(HostHealthLayer::new(&health, "api"))
        .route("/broken", post(|| async { StatusCode::BAD_GATEWAY }));
    for _ in 0..10 {
        let req = Request::post("/broken").body(Body::empty()).unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), 502);
    }
    health.tick().await;
    let status = cachet.component(&operator, component).await.unwrap().status;
    assert_eq!(status, ComponentStatus::Operational);
}
