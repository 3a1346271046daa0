//! Monitoring alerts through the facade on a `ManualClock`: rules match by label, a firing
//! alert moves its component only after the hold time and recovery only after the recovery
//! hold, a flapping alert changes nothing, repeated deliveries change nothing and notify
//! nobody, the worst of several alerts wins, one incident per episode (from a template or a
//! title), every write audited as `integration:<name>`, and the state lives in the store (a
//! second facade on the same store finishes a hold the first one started). Nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::Arc;

use cachet_core::alerts::{self, AlertError, INCIDENT_MARKER};
use cachet_core::clock::ManualClock;
use cachet_core::model::{
    AlertMatcher, AlertRuleSettings, ComponentId, ComponentPatch, ComponentStatus, EventKind,
    Incident, IntegrationKind, NewComponent, NewIncidentTemplate,
};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::memory::MemoryStore;
use cachet_core::store::{AuditQuery, IncidentQuery, OutboxQuery, Store};
use cachet_core::validate::{HttpUrl, Markdown, Name, Slug};
use cachet_core::{Actor, Cachet, Config};
use chrono::TimeDelta;

struct Site {
    store: Arc<dyn Store>,
    cachet: Cachet,
    clock: Arc<ManualClock>,
    checkout: ComponentId,
    search: ComponentId,
    secret: String,
    integration: cachet_core::model::IntegrationId,
}

fn facade(store: &Arc<dyn Store>, clock: &Arc<ManualClock>) -> Cachet {
    let config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    let keyring = Keyring::new(1, SecretKey::from_bytes([9; 32]));
    Cachet::with_clock(store.clone(), keyring, config, clock.clone()).unwrap()
}

async fn site(kind: IntegrationKind) -> Site {
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let cachet = facade(&store, &clock);
    let op = Actor::operator();
    let mut ids = Vec::new();
    for name in ["Checkout", "Search"] {
        let new = NewComponent::named(Name::parse(name).unwrap(), ComponentStatus::Operational);
        ids.push(cachet.create_component(&op, &new).await.unwrap().id);
    }
    let issued = cachet
        .create_integration(&op, kind, Name::parse("Prometheus").unwrap(), true)
        .await
        .unwrap();
    assert!(issued.secret.starts_with(alerts::SECRET_PREFIX));
    assert!(
        issued.secret.len() >= alerts::SECRET_PREFIX.len() + 43,
        "256 random bits"
    );
    Site {
        store,
        cachet,
        clock,
        checkout: ids[0],
        search: ids[1],
        secret: issued.secret,
        integration: issued.integration.id,
    }
}

fn rule(component: ComponentId, matcher: &str, hold: u32) -> AlertRuleSettings {
    AlertRuleSettings {
        component_id: component,
        matcher: AlertMatcher::parse(matcher).unwrap(),
        status: ComponentStatus::MajorOutage,
        template_id: None,
        incident_title: None,
        incident_message: None,
        resolution: None,
        hold_secs: hold,
        recovery_hold_secs: hold,
    }
}

fn am(alerts: &[(&str, &str, &str)]) -> Vec<u8> {
    let alerts: Vec<_> = alerts
        .iter()
        .map(|(status, alertname, service)| {
            serde_json::json!({
                "status": status,
                "labels": {"alertname": alertname, "service": service},
                "annotations": {"summary": format!("{alertname} on {service}")},
                "startsAt": "2026-01-01T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "0123456789abcdef"
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "version": "4", "status": "firing", "receiver": "cachet", "alerts": alerts
    }))
    .unwrap()
}

impl Site {
    fn advance(&self, secs: i64) {
        self.clock.advance(TimeDelta::seconds(secs));
    }

    async fn add(&self, settings: AlertRuleSettings) {
        self.cachet
            .create_alert_rule(&Actor::operator(), self.integration, settings)
            .await
            .unwrap();
    }

    async fn send(&self, body: &[u8]) -> alerts::Receipt {
        alerts::receive(
            &self.cachet,
            IntegrationKind::Alertmanager,
            &self.secret,
            body,
        )
        .await
        .unwrap()
        .1
    }

    async fn status(&self, id: ComponentId) -> ComponentStatus {
        self.cachet
            .component(&Actor::operator(), id)
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

    async fn outbox(&self) -> usize {
        self.store
            .outbox_events(&OutboxQuery::all())
            .await
            .unwrap()
            .items
            .iter()
            .filter(|e| e.kind != EventKind::WebhookTest)
            .count()
    }
}

#[tokio::test]
async fn a_firing_alert_moves_its_component_after_the_hold_and_back_after_the_recovery_hold() {
    let s = site(IntegrationKind::Alertmanager).await;
    s.add(AlertRuleSettings {
        incident_title: Some(Name::parse("Checkout is slow").unwrap()),
        resolution: Some(Markdown::parse("Checkout is fast again.").unwrap()),
        ..rule(s.checkout, "alertname=HighLatency, service=checkout", 60)
    })
    .await;
    let r = s.send(&am(&[("firing", "HighLatency", "checkout")])).await;
    assert_eq!((r.alerts, r.matched, r.changed), (1, 1, 1));
    assert_eq!(s.status(s.checkout).await, ComponentStatus::Operational);
    s.advance(59);
    assert_eq!(alerts::evaluate(&s.cachet).await.changed, 0);
    assert_eq!(s.status(s.checkout).await, ComponentStatus::Operational);
    // Alertmanager resends every repeat_interval: nothing changes, the hold is not restarted.
    let r = s.send(&am(&[("firing", "HighLatency", "checkout")])).await;
    assert_eq!(r.changed, 0, "a repeat changes no state");
    s.advance(1);
    let report = alerts::evaluate(&s.cachet).await;
    assert_eq!((report.changed, report.opened), (1, 1), "{report:?}");
    assert_eq!(s.status(s.checkout).await, ComponentStatus::MajorOutage);
    assert_eq!(s.status(s.search).await, ComponentStatus::Operational);
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].name.as_str(), "Checkout is slow");
    assert_eq!(
        incidents[0].meta.as_map().get(INCIDENT_MARKER),
        Some(&serde_json::json!(s.checkout.get()))
    );
    let notified = s.outbox().await;

    // Repeats while it fires: no write, no notification.
    for _ in 0..5 {
        s.advance(300);
        assert_eq!(
            s.send(&am(&[("firing", "HighLatency", "checkout")]))
                .await
                .changed,
            0
        );
        assert_eq!(alerts::evaluate(&s.cachet).await, Default::default());
    }
    assert_eq!(s.outbox().await, notified, "repeats notify nobody");

    // Resolved: the component recovers after the recovery hold, and the incident resolves.
    assert_eq!(
        s.send(&am(&[("resolved", "HighLatency", "checkout")]))
            .await
            .changed,
        1
    );
    assert_eq!(
        s.send(&am(&[("resolved", "HighLatency", "checkout")]))
            .await
            .changed,
        0
    );
    s.advance(30);
    alerts::evaluate(&s.cachet).await;
    assert_eq!(s.status(s.checkout).await, ComponentStatus::MajorOutage);
    s.advance(30);
    let report = alerts::evaluate(&s.cachet).await;
    assert_eq!((report.changed, report.resolved), (1, 1), "{report:?}");
    assert_eq!(s.status(s.checkout).await, ComponentStatus::Operational);
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].status.is_resolved());
    assert!(
        s.store.alert_states().await.unwrap().is_empty(),
        "a settled recovery leaves no row"
    );

    // Every write is the integration's.
    let audit = s
        .cachet
        .audit_log(&Actor::operator(), AuditQuery::all())
        .await
        .unwrap();
    let ours = audit
        .items
        .iter()
        .filter(|e| e.actor == "integration:Prometheus")
        .count();
    assert_eq!(ours, 2, "the incident and its resolving update");
}

#[tokio::test]
async fn flapping_inside_the_hold_changes_nothing() {
    let s = site(IntegrationKind::Alertmanager).await;
    s.add(rule(s.checkout, "alertname=Down", 60)).await;
    for round in 0..10 {
        let status = if round % 2 == 0 { "firing" } else { "resolved" };
        s.send(&am(&[(status, "Down", "checkout")])).await;
        s.advance(40);
        alerts::evaluate(&s.cachet).await;
    }
    assert_eq!(s.status(s.checkout).await, ComponentStatus::Operational);
    assert!(s.incidents().await.is_empty());
}

#[tokio::test]
async fn no_hold_takes_effect_with_the_delivery_and_the_worst_alert_wins() {
    let s = site(IntegrationKind::Alertmanager).await;
    s.add(AlertRuleSettings {
        status: ComponentStatus::PerformanceIssues,
        ..rule(s.checkout, "alertname=Slow", 0)
    })
    .await;
    s.add(AlertRuleSettings {
        status: ComponentStatus::PartialOutage,
        ..rule(s.checkout, "alertname=Errors", 0)
    })
    .await;
    // An alert no rule matches changes nothing.
    let r = s.send(&am(&[("firing", "Unrelated", "checkout")])).await;
    assert_eq!((r.alerts, r.matched), (1, 0));
    s.send(&am(&[("firing", "Slow", "checkout")])).await;
    assert_eq!(
        s.status(s.checkout).await,
        ComponentStatus::PerformanceIssues
    );
    s.send(&am(&[("firing", "Errors", "checkout")])).await;
    assert_eq!(s.status(s.checkout).await, ComponentStatus::PartialOutage);
    s.send(&am(&[("resolved", "Errors", "checkout")])).await;
    assert_eq!(
        s.status(s.checkout).await,
        ComponentStatus::PerformanceIssues,
        "back to the one still firing"
    );
    s.send(&am(&[("resolved", "Slow", "checkout")])).await;
    assert_eq!(s.status(s.checkout).await, ComponentStatus::Operational);
}

#[tokio::test]
async fn an_incident_from_a_template_one_per_episode() {
    let s = site(IntegrationKind::Alertmanager).await;
    let template = s
        .cachet
        .create_template(
            &Actor::operator(),
            &NewIncidentTemplate::new(
                Name::parse("Degraded service").unwrap(),
                Slug::parse("degraded").unwrap(),
                Markdown::parse("{{ component }} is {{ status }}: {{ summary }}").unwrap(),
            ),
        )
        .await
        .unwrap();
    s.add(AlertRuleSettings {
        template_id: Some(template.id),
        ..rule(s.checkout, "alertname=Down", 0)
    })
    .await;
    s.add(rule(s.checkout, "alertname=Errors", 0)).await;
    s.send(&am(&[("firing", "Down", "checkout")])).await;
    s.send(&am(&[("firing", "Errors", "checkout")])).await;
    let incidents = s.incidents().await;
    assert_eq!(incidents.len(), 1, "one incident for the episode");
    assert_eq!(incidents[0].name.as_str(), "Degraded service");
    assert_eq!(
        incidents[0].message.as_str(),
        "Checkout is Major Outage: Down on checkout"
    );
    s.send(&am(&[("resolved", "Down", "checkout")])).await;
    assert!(
        !s.incidents().await[0].status.is_resolved(),
        "Errors still fires"
    );
    s.send(&am(&[("resolved", "Errors", "checkout")])).await;
    assert!(s.incidents().await[0].status.is_resolved());
    // A second episode opens a second incident.
    s.send(&am(&[("firing", "Down", "checkout")])).await;
    assert_eq!(s.incidents().await.len(), 2);
}

#[tokio::test]
async fn a_status_set_by_hand_is_not_undone_on_recovery() {
    let s = site(IntegrationKind::Alertmanager).await;
    s.add(rule(s.checkout, "alertname=Down", 0)).await;
    s.send(&am(&[("firing", "Down", "checkout")])).await;
    assert_eq!(s.status(s.checkout).await, ComponentStatus::MajorOutage);
    let patch = ComponentPatch {
        status: Some(ComponentStatus::PerformanceIssues),
        ..ComponentPatch::default()
    };
    s.cachet
        .update_component(&Actor::operator(), s.checkout, &patch)
        .await
        .unwrap();
    s.send(&am(&[("resolved", "Down", "checkout")])).await;
    assert_eq!(
        s.status(s.checkout).await,
        ComponentStatus::PerformanceIssues
    );
}

#[tokio::test]
async fn the_hold_lives_in_the_store_and_another_instance_finishes_it() {
    let s = site(IntegrationKind::Alertmanager).await;
    s.add(rule(s.checkout, "alertname=Down", 60)).await;
    s.send(&am(&[("firing", "Down", "checkout")])).await;
    // A second instance (or this one after a restart) on the same store.
    let other = facade(&s.store, &s.clock);
    s.advance(60);
    let report = alerts::evaluate(&other).await;
    assert_eq!(report.changed, 1);
    assert_eq!(s.status(s.checkout).await, ComponentStatus::MajorOutage);
    // The first instance finds nothing left to do.
    assert_eq!(alerts::evaluate(&s.cachet).await, Default::default());
}

#[tokio::test]
async fn secrets_kinds_and_disabled_integrations() {
    let s = site(IntegrationKind::Alertmanager).await;
    s.add(rule(s.checkout, "alertname=Down", 0)).await;
    let body = am(&[("firing", "Down", "checkout")]);
    for wrong in [
        "",
        "cachet_alert_nope",
        "cachet_x",
        &s.secret[..s.secret.len() - 1],
    ] {
        assert!(matches!(
            alerts::receive(&s.cachet, IntegrationKind::Alertmanager, wrong, &body).await,
            Err(AlertError::Unauthenticated)
        ));
    }
    assert!(matches!(
        alerts::receive(&s.cachet, IntegrationKind::Grafana, &s.secret, &body).await,
        Err(AlertError::WrongKind {
            expected: IntegrationKind::Alertmanager
        })
    ));
    assert!(matches!(
        alerts::receive(&s.cachet, IntegrationKind::Alertmanager, &s.secret, b"{}").await,
        Err(AlertError::Payload(_))
    ));
    // Rotation: the old secret stops working at once.
    let rotated = s
        .cachet
        .rotate_integration_secret(&Actor::operator(), s.integration)
        .await
        .unwrap();
    assert!(matches!(
        alerts::receive(&s.cachet, IntegrationKind::Alertmanager, &s.secret, &body).await,
        Err(AlertError::Unauthenticated)
    ));
    // Disabled: accepted, nothing recorded.
    s.cachet
        .update_integration(&Actor::operator(), s.integration, None, Some(false))
        .await
        .unwrap();
    let (_, r) = alerts::receive(
        &s.cachet,
        IntegrationKind::Alertmanager,
        &rotated.secret,
        &body,
    )
    .await
    .unwrap();
    assert!(r.disabled);
    assert_eq!(s.status(s.checkout).await, ComponentStatus::Operational);
}

#[tokio::test]
async fn other_senders_match_by_monitor_endpoint_and_key() {
    for (kind, matcher, down, up) in [
        (
            IntegrationKind::UptimeKuma,
            "monitor=Checkout API",
            r#"{"heartbeat":{"status":0,"msg":"timeout","time":"2026-01-01 00:00:00"},"monitor":{"id":3,"name":"Checkout API"},"msg":"down"}"#,
            r#"{"heartbeat":{"status":1,"msg":"OK","time":"2026-01-01 00:01:00"},"monitor":{"id":3,"name":"Checkout API"},"msg":"up"}"#,
        ),
        (
            IntegrationKind::Gatus,
            "name=checkout, group=core",
            r#"{"name":"checkout","group":"core","status":"TRIGGERED","description":"3 failures"}"#,
            r#"{"name":"checkout","group":"core","status":"RESOLVED","description":"ok"}"#,
        ),
        (
            IntegrationKind::Generic,
            "key=checkout",
            r#"{"key":"checkout","status":"firing","summary":"down"}"#,
            r#"{"key":"checkout","status":"resolved"}"#,
        ),
    ] {
        let s = site(kind).await;
        s.add(rule(s.checkout, matcher, 0)).await;
        let go = |body: &'static str| {
            let s = &s;
            async move {
                alerts::receive(&s.cachet, kind, &s.secret, body.as_bytes())
                    .await
                    .unwrap()
                    .1
            }
        };
        assert_eq!(go(down).await.matched, 1, "{kind}");
        assert_eq!(
            s.status(s.checkout).await,
            ComponentStatus::MajorOutage,
            "{kind}"
        );
        assert_eq!(go(down).await.changed, 0, "{kind}: repeat");
        go(up).await;
        assert_eq!(
            s.status(s.checkout).await,
            ComponentStatus::Operational,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn rules_are_checked_and_admin_only() {
    let s = site(IntegrationKind::Alertmanager).await;
    let op = Actor::operator();
    let bad = [
        AlertRuleSettings {
            status: ComponentStatus::Operational,
            ..rule(s.checkout, "a=b", 0)
        },
        AlertRuleSettings {
            hold_secs: 86_401,
            ..rule(s.checkout, "a=b", 0)
        },
        rule(ComponentId(999), "a=b", 0),
        AlertRuleSettings {
            incident_message: Some(Markdown::parse("x").unwrap()),
            ..rule(s.checkout, "a=b", 0)
        },
    ];
    for (settings, field) in
        bad.into_iter()
            .zip(["status", "hold_secs", "component_id", "incident_title"])
    {
        match s
            .cachet
            .create_alert_rule(&op, s.integration, settings)
            .await
        {
            Err(cachet_core::Error::Validation(e)) => assert_eq!(e.field(), field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let manager = Actor::host("ops", cachet_core::model::Role::Manager, None);
    assert!(matches!(
        s.cachet.integrations(&manager).await,
        Err(cachet_core::Error::Forbidden)
    ));
}
