//! The host-health scenarios every adapter's layer or middleware must pass, written once:
//! the adapter's test mounts host routes of its framework wrapped in its host-health layer
//! around [`HostHealthSite::health`], and the scenario sends requests through a closure the
//! test passes and checks what [`HostHealth`] made of the answers.
// A panic here is the calling test failing, with the step that failed in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use crate::clock::ManualClock;
use crate::host_health::{HostHealth, Rule};
use crate::model::{ComponentId, ComponentStatus, Incident, NewComponent};
use crate::secrets::{Keyring, SecretKey};
use crate::store::IncidentQuery;
use crate::store::memory::MemoryStore;
use crate::validate::{HttpUrl, Name};
use crate::{Actor, Cachet, Config};

/// A facade on a manual clock with two watched components: "Checkout" under the rule
/// [`HostHealthSite::CHECKOUT`] (a 10-second window, at least 10 requests, a 30-second hold,
/// an incident) and "API" under [`HostHealthSite::API`] (at least 5 requests, no hold).
#[derive(Debug)]
pub struct HostHealthSite {
    /// The facade; mount it (under `/status`) beside the host's routes.
    pub cachet: Cachet,
    /// The watcher the adapter's layer or middleware reports to.
    pub health: HostHealth,
    /// The status the host's checkout route answers (the scenario changes it).
    pub answer: Arc<AtomicU16>,
    clock: Arc<ManualClock>,
    checkout: ComponentId,
    api: ComponentId,
}

impl HostHealthSite {
    /// The rule that watches the checkout route.
    pub const CHECKOUT: &'static str = "checkout";
    /// The rule that watches the API route.
    pub const API: &'static str = "api";

    /// The facade, the components and the rules; the checkout route is to answer 500.
    pub async fn new() -> Self {
        let clock = Arc::new(ManualClock::at_epoch_2026());
        let cachet = Cachet::with_clock(
            Arc::new(MemoryStore::new()),
            Keyring::new(1, SecretKey::from_bytes([7; 32])),
            Config::new(HttpUrl::parse("https://example.com/status").unwrap()),
            clock.clone(),
        )
        .unwrap();
        let component = async |name: &str| {
            let new = NewComponent::named(Name::parse(name).unwrap(), ComponentStatus::Operational);
            cachet
                .create_component(&Actor::operator(), &new)
                .await
                .unwrap()
                .id
        };
        let checkout = component("Checkout").await;
        let api = component("API").await;
        let health = HostHealth::new(&cachet);
        let rule = Rule::routes(Self::CHECKOUT, checkout)
            .window(Duration::from_secs(10))
            .min_requests(10)
            .hold(Duration::from_secs(30))
            .incident("Checkout fails", "Payments fail; we are on it.");
        health.add_rule(rule).await.unwrap();
        let rule = Rule::routes(Self::API, api)
            .min_requests(5)
            .hold(Duration::ZERO);
        health.add_rule(rule).await.unwrap();
        Self {
            cachet,
            health,
            answer: Arc::new(AtomicU16::new(500)),
            clock,
            checkout,
            api,
        }
    }

    async fn status(&self, component: ComponentId) -> ComponentStatus {
        let c = self.cachet.component(&Actor::operator(), component).await;
        c.unwrap().status
    }

    async fn incidents(&self) -> Vec<Incident> {
        let page = self
            .cachet
            .incidents(&Actor::operator(), IncidentQuery::all())
            .await;
        page.unwrap().items
    }

    /// `burst(n)` sends `n` requests to the host's checkout route, wrapped under
    /// [`HostHealthSite::CHECKOUT`] and answering [`HostHealthSite::answer`]: a burst of 500s
    /// turns Checkout partial outage with one incident once the hold has passed, then 200s
    /// turn it back and resolve the incident.
    pub async fn a_burst_of_500s_is_an_outage_with_one_incident_until_200s(
        &self,
        mut burst: impl AsyncFnMut(usize),
    ) {
        let advance = |s: i64| self.clock.advance(chrono::TimeDelta::seconds(s));
        burst(20).await;
        self.health.tick().await;
        assert_eq!(
            self.status(self.checkout).await,
            ComponentStatus::Operational,
            "not before the hold"
        );
        advance(30);
        burst(20).await;
        self.health.tick().await;
        assert_eq!(
            self.status(self.checkout).await,
            ComponentStatus::PartialOutage
        );
        assert_eq!(self.incidents().await.len(), 1);
        advance(5);
        burst(20).await;
        self.health.tick().await;
        assert_eq!(self.incidents().await.len(), 1, "one incident per episode");

        self.answer.store(200, Ordering::Relaxed);
        advance(11);
        burst(20).await;
        self.health.tick().await;
        assert_eq!(
            self.status(self.checkout).await,
            ComponentStatus::PartialOutage,
            "not before the hold"
        );
        advance(30);
        burst(20).await;
        self.health.tick().await;
        assert_eq!(
            self.status(self.checkout).await,
            ComponentStatus::Operational
        );
        let all = self.incidents().await;
        assert_eq!(all.len(), 1);
        assert!(all[0].status.is_resolved());
    }

    /// `broken()` sends one request to a host route outside every rule that answers 502
    /// (beside a route wrapped under [`HostHealthSite::API`]) and returns the status it got:
    /// ten of them leave API operational.
    pub async fn only_the_wrapped_routes_are_counted(&self, mut broken: impl AsyncFnMut() -> u16) {
        for _ in 0..10 {
            assert_eq!(broken().await, 502);
        }
        self.health.tick().await;
        assert_eq!(self.status(self.api).await, ComponentStatus::Operational);
    }
}
