//! Webhook endpoints choose their events: each endpoint receives exactly the events it chose
//! (an update that resolves an incident is `incident_resolved`, not `incident_updated`), an
//! endpoint made without a choice receives every event, a disabled endpoint receives nothing
//! but the test event an admin sends it, and every delivery shows in the endpoint's own
//! delivery log (the deliveries filtered by its recipient name). The page object of the bodies
//! is read once per delivery pass, not once per endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::collections::BTreeMap;

use chrono::TimeDelta;
use common::*;
use notify_support::*;

use cachet_core::model::*;
use cachet_core::notify::Message;
use cachet_core::store::*;
use cachet_core::validate::{HttpUrl, Markdown, Name};
use cachet_core::{Actor, Error, WebhookEndpoint};

const SECRET: &str = "a webhook secret of enough length";

fn endpoint(name: &str, enabled: bool, events: Option<&[WebhookEvent]>) -> WebhookEndpoint {
    WebhookEndpoint {
        name: Name::parse(name).unwrap(),
        url: HttpUrl::parse(&format!("https://hooks.example.com/{name}")).unwrap(),
        enabled,
        events: events.map(|e| WebhookEvents::of(e.iter().copied()).unwrap()),
        format: None,
    }
}

/// What each endpoint (by the last segment of its URL) received: the event named in the body's
/// `meta`, with the incident's status or the component's new status where there is one.
fn received(hooks: &Recorder) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in hooks.sent() {
        let Message::Webhook(w) = m else {
            panic!("a webhook recorder got {m:?}")
        };
        let body: serde_json::Value = serde_json::from_str(&w.body).unwrap();
        let event = body["meta"]["event"].as_str().unwrap().to_owned();
        let detail = body["incident"]["status"]
            .as_str()
            .or_else(|| body["component_update"]["new_status"].as_str());
        let kind = match detail {
            Some(d) => format!("{event}:{d}"),
            None => event,
        };
        let who = w.url.as_str().rsplit('/').next().unwrap().to_owned();
        out.entry(who).or_default().push(kind);
    }
    out
}

#[tokio::test]
async fn each_endpoint_receives_exactly_the_events_it_chose() {
    let h = Harness::new().await;
    let api = make_component(&h.cachet, "API").await;
    use WebhookEvent as E;
    let hook = |name, enabled, events| {
        let cachet = h.cachet.clone();
        async move {
            cachet
                .create_webhook(&op(), endpoint(name, enabled, events), SECRET)
                .await
                .unwrap()
        }
    };
    let everything = hook("everything", true, None).await;
    assert_eq!(
        everything.events,
        WebhookEvents::ALL,
        "no choice is every event"
    );
    hook("created", true, Some(&[E::IncidentCreated])).await;
    hook("updated", true, Some(&[E::IncidentUpdated])).await;
    hook("resolved", true, Some(&[E::IncidentResolved])).await;
    hook("components", true, Some(&[E::ComponentStatus])).await;
    hook("maintenance", true, Some(&[E::Maintenance])).await;
    hook("off", false, None).await;

    let (hooks, d) = webhook_dispatcher(&h.cachet);
    let i = h
        .cachet
        .create_incident(&op(), &new_incident("Outage", &[api.id], true, true))
        .await
        .unwrap();
    for status in [IncidentStatus::Identified, IncidentStatus::Fixed] {
        let update = NewIncidentUpdate::new(status, Markdown::parse("Progress.").unwrap());
        h.cachet
            .create_incident_update(&op(), i.id, &update)
            .await
            .unwrap();
    }
    set_status(&h.cachet, api.id, ComponentStatus::PartialOutage).await;
    let now = h.clock_now();
    h.cachet
        .create_schedule(
            &op(),
            &NewSchedule::new(
                Name::parse("Upgrade").unwrap(),
                Markdown::parse("Planned work.").unwrap(),
                ScheduleStatus::Upcoming,
                now + TimeDelta::hours(1),
            )
            .with_completed_at(Some(now + TimeDelta::hours(2)))
            .with_components(vec![api.id])
            .with_notify(true),
        )
        .await
        .unwrap();
    drain(&d).await;

    let got = received(&hooks);
    let kinds = |who: &str| got.get(who).cloned().unwrap_or_default();
    assert_eq!(
        kinds("everything"),
        [
            "incident_created:investigating",
            "incident_updated:identified",
            "incident_updated:resolved",
            "component_status_changed:partial_outage",
            "maintenance_scheduled:scheduled",
        ]
    );
    assert_eq!(kinds("created"), ["incident_created:investigating"]);
    assert_eq!(kinds("updated"), ["incident_updated:identified"]);
    assert_eq!(kinds("resolved"), ["incident_updated:resolved"]);
    assert_eq!(
        kinds("components"),
        ["component_status_changed:partial_outage"]
    );
    assert_eq!(kinds("maintenance"), ["maintenance_scheduled:scheduled"]);
    assert!(
        kinds("off").is_empty(),
        "a disabled endpoint got {:?}",
        kinds("off")
    );
}

#[tokio::test]
async fn an_update_keeps_the_choice_unless_it_names_one_and_none_is_refused() {
    let h = Harness::new().await;
    let only = [WebhookEvent::IncidentResolved];
    let w = h
        .cachet
        .create_webhook(&op(), endpoint("ops", true, Some(&only)), SECRET)
        .await
        .unwrap();
    // A caller that predates the choice (no events) leaves it as it was.
    h.cachet
        .update_webhook(&op(), w.id, endpoint("ops", false, None), "")
        .await
        .unwrap();
    let stored = h.store.webhook(w.id).await.unwrap();
    assert_eq!(stored.events, WebhookEvents::of(only).unwrap());
    assert!(!stored.enabled);
    // A new choice replaces it.
    let two = [WebhookEvent::ComponentStatus, WebhookEvent::Maintenance];
    h.cachet
        .update_webhook(&op(), w.id, endpoint("ops", true, Some(&two)), "")
        .await
        .unwrap();
    let stored = h.store.webhook(w.id).await.unwrap();
    assert_eq!(stored.events.iter().collect::<Vec<_>>(), two);
    assert_eq!(stored.events.to_string(), "component_status,maintenance");
    // The empty set is no set: an endpoint that wants nothing is disabled instead.
    assert!(WebhookEvents::of([]).is_err());
    assert!(WebhookEvents::parse(" , ").is_err());
    assert!(WebhookEvents::parse("incident_created,everything").is_err());
    assert_eq!(
        WebhookEvents::parse(" maintenance , incident_created,maintenance").unwrap(),
        WebhookEvents::of([WebhookEvent::IncidentCreated, WebhookEvent::Maintenance]).unwrap(),
        "spaces and repeats are tolerated, order is not kept"
    );
}

#[tokio::test]
async fn a_test_event_reaches_even_a_disabled_endpoint_and_shows_in_its_delivery_log() {
    let h = Harness::new().await;
    let off = h
        .cachet
        .create_webhook(
            &op(),
            endpoint("off", false, Some(&[WebhookEvent::Maintenance])),
            SECRET,
        )
        .await
        .unwrap();
    let other = h
        .cachet
        .create_webhook(&op(), endpoint("other", true, None), SECRET)
        .await
        .unwrap();
    h.cachet.send_test_webhook(&op(), off.id).await.unwrap();
    let (hooks, d) = webhook_dispatcher(&h.cachet);
    drain(&d).await;

    let got = received(&hooks);
    assert_eq!(
        got.get("off").cloned().unwrap_or_default(),
        ["webhook_test"]
    );
    assert!(
        !got.contains_key("other"),
        "the test went to another endpoint"
    );
    let Message::Webhook(m) = &hooks.sent()[0] else {
        panic!()
    };
    assert_eq!(
        m.secret.as_deref(),
        Some(SECRET),
        "a test is signed like any event"
    );
    let body: serde_json::Value = serde_json::from_str(&m.body).unwrap();
    assert_eq!(body["test"]["webhook_id"], off.id.get());
    assert!(body["page"].is_object() && body["meta"].is_object());

    let log = |id: WebhookId| {
        let store = h.store.clone();
        async move {
            store
                .deliveries(&DeliveryQuery::filtered(DeliveryFilter {
                    recipient: Some(format!("webhook:{}", id.get())),
                    ..DeliveryFilter::default()
                }))
                .await
                .unwrap()
                .items
        }
    };
    let off_log = log(off.id).await;
    assert_eq!(off_log.len(), 1);
    assert_eq!(off_log[0].status, DeliveryStatus::Delivered);
    assert_eq!(off_log[0].channel, "webhook");
    assert!(log(other.id).await.is_empty());
}

#[tokio::test]
async fn only_an_admin_sends_a_test_event_and_only_to_an_endpoint_that_exists() {
    let h = Harness::new().await;
    let w = h
        .cachet
        .create_webhook(&op(), endpoint("ops", true, None), SECRET)
        .await
        .unwrap();
    h.user("manager@example.com", Role::Manager).await;
    let manager = h
        .actor(&h.session("manager@example.com").await.secret)
        .await;
    let queued = || {
        let store = h.store.clone();
        async move {
            store
                .outbox_events(&OutboxQuery::all())
                .await
                .unwrap()
                .total
        }
    };
    let before = queued().await;
    assert!(matches!(
        h.cachet.send_test_webhook(&manager, w.id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        h.cachet
            .send_test_webhook(&Actor::anonymous(None), w.id)
            .await,
        Err(Error::Forbidden | Error::Unauthenticated)
    ));
    assert!(matches!(
        h.cachet
            .send_test_webhook(&op(), WebhookId(w.id.get() + 99))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(queued().await, before, "a refused test queued something");
}

#[tokio::test]
async fn the_page_object_is_read_once_per_pass_not_once_per_endpoint() {
    use cachet_core::testing::faults::FaultyStore;
    let faulty = std::sync::Arc::new(FaultyStore::new(new_store().await));
    let h = Harness::over(
        faulty.clone(),
        cachet_core::Config::new(HttpUrl::parse(ORIGIN).unwrap()),
    );
    for i in 0..5 {
        h.cachet
            .create_webhook(&op(), endpoint(&format!("e{i}"), true, None), SECRET)
            .await
            .unwrap();
    }
    h.cachet
        .create_incident(&op(), &new_incident("Down", &[], true, true))
        .await
        .unwrap();
    // Fanned out by a dispatcher without a webhook channel, so the pass below only delivers.
    let fan_out = cachet_core::notify::Dispatcher::new(h.cachet.clone(), Vec::new())
        .with_config(config("fan-out"));
    assert_eq!(fan_out.tick().await.unwrap().deliveries_created, 5);
    h.clock.advance(TimeDelta::minutes(5));
    let before = faulty.calls_of("incidents");
    let (hooks, d) = webhook_dispatcher(&h.cachet);
    let report = d.tick().await.unwrap();
    assert_eq!(report.delivered, 5, "{report:?}");
    assert_eq!(
        faulty.calls_of("incidents") - before,
        1,
        "the page object's incidents were read per endpoint"
    );
    for m in hooks.sent() {
        let Message::Webhook(w) = m else {
            panic!("a webhook recorder got {m:?}")
        };
        let body: serde_json::Value = serde_json::from_str(&w.body).unwrap();
        assert_eq!(body["page"]["status_indicator"], "minor", "{body}");
    }
}
