//! Fan-out at scale on the in-memory store: every verified subscriber gets exactly one
//! delivery for one incident. The default run uses 2,000 subscribers; set
//! `CACHET_FANOUT_SUBSCRIBERS` for a bigger run (it prints the time the fan-out took).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::time::Instant;

use common::*;
use notify_support::*;

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::store::{DeliveryQuery, PageRequest, no_effects};
use cachet_core::validate::{Email, Locale};

#[tokio::test]
async fn one_incident_fans_out_to_every_verified_subscriber_once() {
    let n: usize = std::env::var("CACHET_FANOUT_SUBSCRIBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let h = Harness::new().await;
    let now = h.clock_now();
    for i in 0..n {
        let (email, blind_index) = h
            .cachet
            .keyring()
            .seal_email(&Email::parse(&format!("s{i}@example.com")).unwrap())
            .unwrap();
        let new =
            NewSubscriber::new(email, blind_index, Locale::english()).with_verified_at(Some(now));
        h.store
            .create_subscriber(h.cx(), &new, &no_effects)
            .await
            .unwrap();
    }
    h.cachet
        .create_incident(&Actor::operator(), &new_incident("Outage", &[], true, true))
        .await
        .unwrap();
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let started = Instant::now();
    // Fan-out happens in the first tick (one event); it also sends the first batch.
    let t = d.tick().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(t.deliveries_created, n);
    let page = h
        .store
        .deliveries(&DeliveryQuery::all().paged(PageRequest::new(1, 1)))
        .await
        .unwrap();
    assert_eq!(page.total, n as u64);
    println!("fan-out of one incident to {n} subscribers (+ first batch of 50 sends): {elapsed:?}");
}
