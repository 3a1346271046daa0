//! Host health through the facade on a `ManualClock`: a burst of 5xx turns the component
//! partial outage only after the hold time and opens one incident, recovery turns it back and
//! resolves that incident, flapping inside the hold changes nothing, too few answers say
//! nothing, latency and reported signals have their own statuses, and a rule naming an unknown
//! component is refused. Nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Arc;
use std::time::Duration;

use cachet_core::clock::ManualClock;
use cachet_core::host_health::{HostHealth, HostHealthError, INCIDENT_MARKER, Rule, Signal};
use cachet_core::model::{
    ComponentId, ComponentPatch, ComponentStatus, EventKind, Incident, NewComponent,
};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::memory::MemoryStore;
use cachet_core::store::{AuditQuery, IncidentQuery, OutboxQuery};
use cachet_core::validate::{HttpUrl, Name};
use cachet_core::{Actor, Cachet, Config};
use chrono::TimeDelta;

const HOLD: Duration = Duration::from_secs(30);

struct Site {
    cachet: Cachet,
    clock: Arc<ManualClock>,
    component: ComponentId,
}

async fn site() -> Site {
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    let keyring = Keyring::new(1, SecretKey::from_bytes([9; 32]));
    let cachet =
        Cachet::with_clock(Arc::new(MemoryStore::new()), keyring, config, clock.clone()).unwrap();
    let new = NewComponent::named(
        Name::parse("Checkout").unwrap(),
        ComponentStatus::Operational,
    );
    let component = cachet
        .create_component(&Actor::operator(), &new)
        .await
        .unwrap()
        .id;
    Site {
        cachet,
        clock,
        component,
    }
}

impl Site {
    fn advance(&self, d: Duration) {
        self.clock.advance(TimeDelta::from_std(d).unwrap());
    }

    async fn status(&self) -> ComponentStatus {
        self.cachet
            .component(&Actor::operator(), self.component)
            .await
            .unwrap()
            .status
    }

    async fn incidents(&self) -> Vec<Incident> {
        self.cachet
            .incidents(&Actor::operator(), IncidentQuery::all())
            .await
            .unwrap()
            .items
    }

    async fn outbox(&self, kind: EventKind) -> usize {
        let all = self
            .cachet
            .store_unchecked()
            .outbox_events(&OutboxQuery::all())
            .await
            .unwrap();
        all.items.iter().filter(|e| e.kind == kind).count()
    }

    /// The checkout rule of these tests: over 10 s, at least 10 answers, more than 10 % 5xx,
    /// held 30 s both ways, with an incident.
    fn rule(&self) -> Rule {
        Rule::routes("checkout", self.component)
            .window(Duration::from_secs(10))
            .min_requests(10)
            .hold(HOLD)
            .incident("Checkout fails", "Payments fail; we are on it.")
    }
}

fn answers(health: &HostHealth, status: u16, n: usize) {
    for _ in 0..n {
        health.record("checkout", status, Duration::from_millis(20));
    }
}

#[tokio::test]
async fn a_burst_of_5xx_opens_one_incident_after_the_hold_and_recovery_resolves_it() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    health.add_rule(s.rule()).await.unwrap();

    answers(&health, 500, 20);
    assert_eq!(health.tick().await.changed, 0);
    assert_eq!(s.status().await, ComponentStatus::Operational);
    // Still failing just before the hold ends: nothing yet.
    s.advance(HOLD - Duration::from_secs(1));
    answers(&health, 500, 20);
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::Operational);
    assert!(s.incidents().await.is_empty());
    s.advance(Duration::from_secs(1));
    let report = health.tick().await;
    assert_eq!((report.changed, report.opened), (1, 1), "{report:?}");
    assert_eq!(s.status().await, ComponentStatus::PartialOutage);
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(incident.name.as_str(), "Checkout fails");
    assert!(!incident.status.is_resolved() && incident.notify && incident.visible);
    assert_eq!(incident.components[0].component_id, s.component);
    assert_eq!(
        incident.meta.as_map().get(INCIDENT_MARKER),
        Some(&serde_json::json!(s.component.get()))
    );
    assert_eq!(s.outbox(EventKind::IncidentCreated).await, 1);

    // The failure goes on: no second incident.
    for _ in 0..5 {
        s.advance(Duration::from_secs(5));
        answers(&health, 500, 20);
        assert_eq!(health.tick().await, Default::default());
    }
    assert_eq!(s.incidents().await.len(), 1);

    // Recovery: healthy answers for the hold time.
    s.advance(Duration::from_secs(11));
    answers(&health, 200, 20);
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::PartialOutage);
    s.advance(HOLD / 2);
    answers(&health, 200, 20);
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::PartialOutage);
    s.advance(HOLD / 2);
    answers(&health, 200, 20);
    let report = health.tick().await;
    assert_eq!((report.changed, report.resolved), (1, 1), "{report:?}");
    assert_eq!(s.status().await, ComponentStatus::Operational);
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1, "still the one incident");
    assert!(incidents[0].status.is_resolved());
    assert_eq!(s.outbox(EventKind::IncidentCreated).await, 1);

    // Every write is the system actor's, audited as such.
    let audit = s
        .cachet
        .audit_log(&Actor::operator(), AuditQuery::all())
        .await
        .unwrap();
    let ours: Vec<_> = audit
        .items
        .iter()
        .filter(|e| e.actor == "system:host-health")
        .collect();
    assert_eq!(ours.len(), 2, "the incident and its resolving update");

    // A second episode gets a second incident.
    s.advance(Duration::from_secs(11));
    answers(&health, 503, 20);
    health.tick().await;
    s.advance(HOLD);
    answers(&health, 503, 20);
    assert_eq!(health.tick().await.opened, 1);
    assert_eq!(s.incidents().await.len(), 2);
}

#[tokio::test]
async fn flapping_inside_the_hold_changes_nothing() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    health.add_rule(s.rule()).await.unwrap();
    for round in 0..8 {
        // Each state lasts 20 s (each window holds only its own answers), less than the hold.
        let status = if round % 2 == 0 { 500 } else { 200 };
        answers(&health, status, 20);
        health.tick().await;
        s.advance(Duration::from_secs(11));
        answers(&health, status, 20);
        health.tick().await;
        s.advance(Duration::from_secs(11));
    }
    assert_eq!(s.status().await, ComponentStatus::Operational);
    assert!(s.incidents().await.is_empty());
}

#[tokio::test]
async fn below_the_least_number_of_answers_nothing_changes() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    health.add_rule(s.rule()).await.unwrap();
    for _ in 0..10 {
        answers(&health, 500, 9);
        health.tick().await;
        s.advance(Duration::from_secs(10));
    }
    assert_eq!(s.status().await, ComponentStatus::Operational);
    assert!(s.incidents().await.is_empty());
}

#[tokio::test]
async fn slow_answers_show_performance_issues_without_an_incident_by_default() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    let rule = Rule::routes("checkout", s.component)
        .min_requests(10)
        .latency(0.9, Duration::from_millis(500))
        .hold(Duration::ZERO);
    health.add_rule(rule).await.unwrap();
    // 10 % slow is within the 90th percentile bound.
    for i in 0..20 {
        let ms = if i < 2 { 900 } else { 100 };
        health.record("checkout", 200, Duration::from_millis(ms));
    }
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::Operational);
    for _ in 0..10 {
        health.record("checkout", 200, Duration::from_millis(900));
    }
    assert_eq!(health.tick().await.changed, 1);
    assert_eq!(s.status().await, ComponentStatus::PerformanceIssues);
    assert!(s.incidents().await.is_empty(), "no incident was asked for");
    // Recovery undoes the status it set.
    s.advance(Duration::from_secs(61));
    answers(&health, 200, 20);
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::Operational);
}

#[tokio::test]
async fn signals_map_degraded_and_down_to_their_statuses() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    health
        .add_rule(
            Rule::signal("payments-pool", s.component)
                .hold(Duration::from_secs(10))
                .incident("Payments are down", "The payment pool is exhausted."),
        )
        .await
        .unwrap();
    // Not reported yet: no verdict.
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::Operational);

    health.report("payments-pool", Signal::Down).unwrap();
    health.tick().await;
    s.advance(Duration::from_secs(10));
    assert_eq!(health.tick().await.opened, 1);
    assert_eq!(s.status().await, ComponentStatus::MajorOutage);

    // Better but not well: the same episode, the same incident, a lower status.
    health.report("payments-pool", Signal::Degraded).unwrap();
    health.tick().await;
    s.advance(Duration::from_secs(10));
    assert_eq!(health.tick().await.changed, 1);
    assert_eq!(s.status().await, ComponentStatus::PartialOutage);
    assert_eq!(s.incidents().await.len(), 1);

    health.report("payments-pool", Signal::Healthy).unwrap();
    health.tick().await;
    s.advance(Duration::from_secs(10));
    assert_eq!(health.tick().await.resolved, 1);
    assert_eq!(s.status().await, ComponentStatus::Operational);
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].status.is_resolved());

    assert!(matches!(
        health.report("payment-pool", Signal::Down),
        Err(HostHealthError::UnknownSignal { name }) if name == "payment-pool"
    ));
}

#[tokio::test]
async fn rules_are_checked_when_they_are_added() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    let err = health
        .add_rule(Rule::routes("checkout", ComponentId(999)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HostHealthError::UnknownComponent {
                component: ComponentId(999),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "rule routes:checkout: component 999 does not exist"
    );
    let err = health
        .add_rule(Rule::routes("checkout", s.component).error_ratio(1.5))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule routes:checkout: error_ratio must be above 0 and at most 1"
    );
    let err = health
        .add_rule(Rule::signal("pool", s.component).status(ComponentStatus::Operational))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HostHealthError::InvalidRule {
                field: "status",
                ..
            }
        ),
        "{err:?}"
    );
    let err = health
        .add_rule(Rule::routes("checkout", s.component).incident("", "message"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("incident title"), "{err}");
    health.add_rule(s.rule()).await.unwrap();
    let err = health.add_rule(s.rule()).await.unwrap_err();
    assert!(
        matches!(err, HostHealthError::DuplicateRule { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn after_a_restart_the_open_incident_is_adopted_and_resolved_not_opened_again() {
    let s = site().await;
    let before = HostHealth::new(&s.cachet);
    before.add_rule(s.rule()).await.unwrap();
    answers(&before, 500, 20);
    before.tick().await;
    s.advance(HOLD);
    answers(&before, 500, 20);
    assert_eq!(before.tick().await.opened, 1);
    drop(before);

    // The restarted process still sees failures first: it adopts the incident.
    let after = HostHealth::new(&s.cachet);
    after.add_rule(s.rule()).await.unwrap();
    answers(&after, 500, 20);
    after.tick().await;
    s.advance(HOLD);
    answers(&after, 500, 20);
    let report = after.tick().await;
    assert_eq!((report.changed, report.opened), (1, 0), "{report:?}");
    assert_eq!(s.incidents().await.len(), 1);

    // Another restart, now healthy: the incident is resolved.
    let again = HostHealth::new(&s.cachet);
    again.add_rule(s.rule()).await.unwrap();
    s.advance(Duration::from_secs(11));
    answers(&again, 200, 20);
    again.tick().await;
    s.advance(HOLD);
    answers(&again, 200, 20);
    assert_eq!(again.tick().await.resolved, 1);
    assert_eq!(s.status().await, ComponentStatus::Operational);
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].status.is_resolved());
}

#[tokio::test]
async fn a_status_someone_set_meanwhile_is_left_alone_on_recovery() {
    let s = site().await;
    let health = HostHealth::new(&s.cachet);
    let rule = Rule::routes("checkout", s.component)
        .min_requests(10)
        .hold(Duration::ZERO);
    health.add_rule(rule).await.unwrap();
    answers(&health, 500, 20);
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::PartialOutage);
    // An admin decides it is a major outage.
    let patch = ComponentPatch {
        status: Some(ComponentStatus::MajorOutage),
        ..ComponentPatch::default()
    };
    s.cachet
        .update_component(&Actor::operator(), s.component, &patch)
        .await
        .unwrap();
    s.advance(Duration::from_secs(61));
    answers(&health, 200, 20);
    health.tick().await;
    assert_eq!(s.status().await, ComponentStatus::MajorOutage);
}

#[tokio::test]
async fn the_background_work_runs_the_evaluation_and_stops_with_it() {
    let s = site().await;
    let health = HostHealth::with_interval(&s.cachet, Duration::from_millis(10));
    health
        .add_rule(
            Rule::signal("pool", s.component)
                .hold(Duration::ZERO)
                .incident("Pool exhausted", "Working on it."),
        )
        .await
        .unwrap();
    let background = s
        .cachet
        .start_background(Vec::new())
        .with_host_health(&health);
    health.report("pool", Signal::Down).unwrap();
    // Waits for the background tick by polling the result, never for a fixed time.
    let mut seen = ComponentStatus::Operational;
    for _ in 0..500 {
        seen = s.status().await;
        if seen == ComponentStatus::MajorOutage {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen, ComponentStatus::MajorOutage);
    assert!(background.shutdown().await);
    assert_eq!(s.incidents().await.len(), 1);
}
