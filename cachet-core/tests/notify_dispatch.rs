//! The outbox dispatcher and the maintenance scheduler on the in-memory store with a
//! recording notifier and a manual clock: events, recipients, retries with backoff,
//! permanent failures, channels without a notifier, two dispatchers sharing work,
//! maintenance suppression, the scheduler, retention, export and erasure, and no address in
//! any stored error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use notify_support::*;

use cachet_core::Error;
use cachet_core::model::*;
use cachet_core::notify::{
    Channel, DeliveryError, Dispatcher, DispatcherConfig, Message, Notifier, Scheduler,
};
use cachet_core::store::*;
use cachet_core::validate::{Markdown, Name};

async fn deliveries(h: &Harness) -> Vec<Delivery> {
    h.store
        .deliveries(&DeliveryQuery::all())
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn what_is_notified_and_what_is_not() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let api = make_component(&h.cachet, "API").await;
    verified(&h.cachet, "g@example.com", &[]).await;
    drain(&d).await;
    assert!(
        rec.take_emails().is_empty(),
        "a verified API subscriber gets no mail at creation"
    );

    // Not notified: notify off, hidden.
    h.cachet
        .create_incident(&op(), &new_incident("quiet", &[api.id], false, true))
        .await
        .unwrap();
    h.cachet
        .create_incident(&op(), &new_incident("hidden", &[api.id], true, false))
        .await
        .unwrap();
    drain(&d).await;
    assert!(rec.take_emails().is_empty());

    // Incident created and updated.
    let i = h
        .cachet
        .create_incident(&op(), &new_incident("Outage", &[api.id], true, true))
        .await
        .unwrap();
    let upd = NewIncidentUpdate::new(IncidentStatus::Fixed, Markdown::parse("Fixed.").unwrap());
    h.cachet
        .create_incident_update(&op(), i.id, &upd)
        .await
        .unwrap();
    drain(&d).await;
    let subjects: Vec<String> = rec.take_emails().into_iter().map(|m| m.subject).collect();
    assert_eq!(
        subjects,
        vec!["New incident: Outage", "Incident updated: Outage"]
    );

    // Component status: a change notifies, the same status or a silent change does not.
    let to = |s| ComponentPatch {
        status: Some(s),
        ..ComponentPatch::default()
    };
    h.cachet
        .update_component(&op(), api.id, &to(ComponentStatus::MajorOutage))
        .await
        .unwrap();
    h.cachet
        .update_component(&op(), api.id, &to(ComponentStatus::MajorOutage))
        .await
        .unwrap();
    h.cachet
        .update_component_silently(&op(), api.id, &to(ComponentStatus::Operational))
        .await
        .unwrap();
    drain(&d).await;
    let mails = rec.take_emails();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .text
            .contains("API changed from Operational to Major outage."),
        "{}",
        mails[0].text
    );

    // Maintenance scheduled (notify on) and not (notify off).
    let now = h.clock_now();
    h.cachet
        .create_schedule(
            &op(),
            &schedule(
                "Upgrade",
                &[api.id],
                now + TimeDelta::hours(1),
                Some(now + TimeDelta::hours(2)),
                true,
            ),
        )
        .await
        .unwrap();
    h.cachet
        .create_schedule(
            &op(),
            &schedule("Silent", &[api.id], now + TimeDelta::hours(1), None, false),
        )
        .await
        .unwrap();
    drain(&d).await;
    let subjects: Vec<String> = rec.take_emails().into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, vec!["Maintenance scheduled: Upgrade"]);
}

fn schedule(
    name: &str,
    components: &[ComponentId],
    start: Timestamp,
    end: Option<Timestamp>,
    notify: bool,
) -> NewSchedule {
    NewSchedule::new(
        Name::parse(name).unwrap(),
        Markdown::parse("Planned work.").unwrap(),
        ScheduleStatus::Upcoming,
        start,
    )
    .with_completed_at(end)
    .with_components(components.to_vec())
    .with_notify(notify)
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_then_delivered() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    verified(&h.cachet, "r@example.com", &[]).await;
    rec.then(Err(DeliveryError::Transient("421 try later".into())));
    rec.then(Err(DeliveryError::Transient("connection refused".into())));
    h.cachet
        .create_incident(&op(), &new_incident("Outage", &[], true, true))
        .await
        .unwrap();

    let t1 = d.tick().await.unwrap();
    assert_eq!((t1.events, t1.deliveries_created, t1.retried), (1, 1, 1));
    let first = deliveries(&h).await.remove(0);
    let wait1 = first.next_attempt_at - h.clock_now();
    // base 10 s, jittered into [5 s, 10 s].
    assert!(
        wait1 >= TimeDelta::seconds(5) && wait1 <= TimeDelta::seconds(10),
        "{wait1}"
    );
    // Not due yet: nothing happens.
    let t = d.tick().await.unwrap();
    assert_eq!(t.retried + t.delivered, 0);
    h.clock.advance(wait1);
    let t2 = d.tick().await.unwrap();
    assert_eq!(t2.retried, 1, "{t2:?} {:?}", deliveries(&h).await);
    let second = deliveries(&h).await.remove(0);
    let wait2 = second.next_attempt_at - h.clock_now();
    assert!(
        wait2 >= TimeDelta::seconds(10) && wait2 <= TimeDelta::seconds(20),
        "{wait2}"
    );
    h.clock.advance(wait2);
    let t3 = d.tick().await.unwrap();
    assert_eq!(t3.delivered, 1);
    let done = deliveries(&h).await.remove(0);
    assert_eq!(done.status, DeliveryStatus::Delivered);
    assert_eq!(done.attempts, 3);
    let attempts = h.cachet.delivery_attempts(&op(), done.id).await.unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.ok).collect::<Vec<_>>(),
        vec![false, false, true]
    );
    assert_eq!(rec.emails().len(), 1);
}

#[tokio::test]
async fn permanent_failures_and_exhausted_retries_are_recorded_not_retried() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    verified(&h.cachet, "p@example.com", &[]).await;
    rec.then(Err(DeliveryError::Permanent(
        "550 mailbox unavailable".into(),
    )));
    h.cachet
        .create_incident(&op(), &new_incident("One", &[], true, true))
        .await
        .unwrap();
    let t = d.tick().await.unwrap();
    assert_eq!(t.failed, 1);
    let del = deliveries(&h).await.remove(0);
    assert_eq!(del.status, DeliveryStatus::Failed);
    assert!(del.last_error.unwrap().contains("550"));
    h.clock.advance(TimeDelta::days(1));
    drain(&d).await;
    assert_eq!(rec.calls(), 1, "a permanent failure is never retried");

    // max_attempts = 4: three retries, then failed.
    for _ in 0..4 {
        rec.then(Err(DeliveryError::Transient("timeout".into())));
    }
    h.cachet
        .create_incident(&op(), &new_incident("Two", &[], true, true))
        .await
        .unwrap();
    for _ in 0..6 {
        d.tick().await.unwrap();
        h.clock.advance(TimeDelta::hours(1));
    }
    let del = deliveries(&h).await.remove(1);
    assert_eq!((del.status, del.attempts), (DeliveryStatus::Failed, 4));
    assert!(del.last_error.unwrap().contains("gave up after 4 attempts"));
}

#[tokio::test]
async fn deliveries_wait_while_no_notifier_serves_their_channel() {
    let h = Harness::new().await;
    verified(&h.cachet, "w@example.com", &[]).await;
    h.cachet
        .create_incident(&op(), &new_incident("Outage", &[], true, true))
        .await
        .unwrap();
    let webhook_only: Arc<dyn Notifier> = Recorder::new(Channel::Webhook);
    let cfg = DispatcherConfig {
        lease: Duration::from_secs(60),
        ..config("a")
    };
    let d = Dispatcher::new(h.cachet.clone(), vec![webhook_only]).with_config(cfg);
    for _ in 0..5 {
        let t = d.tick().await.unwrap();
        assert_eq!(t.failed, 0);
        h.clock.advance(TimeDelta::minutes(5));
    }
    let del = deliveries(&h).await.remove(0);
    assert_eq!((del.status, del.attempts), (DeliveryStatus::Pending, 0));
    // Once mail is configured, it goes out.
    let rec = Recorder::email();
    drain(&dispatcher(&h.cachet, &rec)).await;
    assert_eq!(rec.recipients(), vec!["w@example.com"]);
}

#[tokio::test]
async fn two_dispatchers_never_deliver_the_same_delivery_twice() {
    let h = Harness::new().await;
    for i in 0..120 {
        verified(&h.cachet, &format!("s{i}@example.com"), &[]).await;
    }
    for n in 0..3 {
        h.cachet
            .create_incident(&op(), &new_incident(&format!("I{n}"), &[], true, true))
            .await
            .unwrap();
    }
    let rec_a = Recorder::slow(Channel::Email, Duration::from_millis(1));
    let rec_b = Recorder::slow(Channel::Email, Duration::from_millis(1));
    let a = Dispatcher::new(h.cachet.clone(), vec![rec_a.clone() as Arc<dyn Notifier>])
        .with_config(DispatcherConfig {
            batch_size: 25,
            ..config("instance-a")
        });
    let b = Dispatcher::new(h.cachet.clone(), vec![rec_b.clone() as Arc<dyn Notifier>])
        .with_config(DispatcherConfig {
            batch_size: 25,
            ..config("instance-b")
        });
    for _ in 0..40 {
        let (ra, rb) = tokio::join!(a.tick(), b.tick());
        ra.unwrap();
        rb.unwrap();
    }
    let mut keys: Vec<String> = rec_a
        .sent()
        .into_iter()
        .chain(rec_b.sent())
        .map(|m| m.idempotency_key().to_owned())
        .collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(total, 360, "every delivery once");
    assert_eq!(keys.len(), total, "no delivery twice");
    assert!(
        !rec_a.sent().is_empty() && !rec_b.sent().is_empty(),
        "both shared the work"
    );
    let pairs: HashSet<(String, String)> = rec_a
        .emails()
        .into_iter()
        .chain(rec_b.emails())
        .map(|m| (m.subject, m.to.as_str().to_owned()))
        .collect();
    assert_eq!(pairs.len(), 360);
}

#[tokio::test]
async fn maintenance_suppresses_only_its_components_and_only_while_open() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let db = make_component(&h.cachet, "Database").await;
    let api = make_component(&h.cachet, "API").await;
    verified(&h.cachet, "db@example.com", &[db.id]).await;
    verified(&h.cachet, "api@example.com", &[api.id]).await;
    verified(&h.cachet, "all@example.com", &[]).await;
    let now = h.clock_now();
    h.cachet
        .create_schedule(
            &op(),
            &schedule(
                "DB work",
                &[db.id],
                now - TimeDelta::minutes(5),
                Some(now + TimeDelta::hours(1)),
                false,
            ),
        )
        .await
        .unwrap();

    // DB only, under maintenance: nobody.
    h.cachet
        .create_incident(&op(), &new_incident("DB slow", &[db.id], true, true))
        .await
        .unwrap();
    drain(&d).await;
    assert!(rec.take_emails().is_empty());
    // DB and API: the API subscriber and the global one, not the DB-only one.
    h.cachet
        .create_incident(&op(), &new_incident("Both", &[db.id, api.id], true, true))
        .await
        .unwrap();
    drain(&d).await;
    assert_eq!(rec.recipients(), vec!["all@example.com", "api@example.com"]);
    rec.take_emails();
    // After the window closed (even though nobody marked it complete): everyone concerned.
    h.clock.advance(TimeDelta::hours(2));
    h.cachet
        .create_incident(&op(), &new_incident("DB again", &[db.id], true, true))
        .await
        .unwrap();
    drain(&d).await;
    assert_eq!(rec.recipients(), vec!["all@example.com", "db@example.com"]);
    rec.take_emails();
    // Suppression off: nothing suppressed.
    h.cachet
        .put_settings(
            &op(),
            &[(SettingKey::SuppressNotificationsInMaintenance, "0".into())],
        )
        .await
        .unwrap();
    let now = h.clock_now();
    h.cachet
        .create_schedule(
            &op(),
            &schedule(
                "DB work 2",
                &[db.id],
                now - TimeDelta::minutes(1),
                None,
                false,
            ),
        )
        .await
        .unwrap();
    h.cachet
        .create_incident(&op(), &new_incident("DB 3", &[db.id], true, true))
        .await
        .unwrap();
    drain(&d).await;
    assert_eq!(rec.recipients(), vec!["all@example.com", "db@example.com"]);
}

#[tokio::test]
async fn scheduler_starts_and_completes_maintenance_once_with_events() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let api = make_component(&h.cachet, "API").await;
    verified(&h.cachet, "m@example.com", &[api.id]).await;
    let now = h.clock_now();
    let s = h
        .cachet
        .create_schedule(
            &op(),
            &schedule(
                "Upgrade",
                &[api.id],
                now + TimeDelta::minutes(10),
                Some(now + TimeDelta::minutes(70)),
                true,
            ),
        )
        .await
        .unwrap();
    let a = Scheduler::new(h.cachet.clone());
    let b = Scheduler::new(h.cachet.clone());
    assert_eq!(a.tick().await.unwrap().started, 0);
    h.clock.advance(TimeDelta::minutes(11));
    let (ra, rb) = tokio::join!(a.tick(), b.tick());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.started + rb.started, 1, "each transition once");
    assert_eq!(
        h.store.schedule(s.id).await.unwrap().status,
        ScheduleStatus::InProgress
    );
    h.clock.advance(TimeDelta::hours(1));
    let (ra, rb) = tokio::join!(a.tick(), b.tick());
    assert_eq!(ra.unwrap().completed + rb.unwrap().completed, 1);
    assert_eq!(
        h.store.schedule(s.id).await.unwrap().status,
        ScheduleStatus::Complete
    );
    assert_eq!(a.tick().await.unwrap(), Default::default());
    drain(&d).await;
    let subjects: Vec<String> = rec.take_emails().into_iter().map(|m| m.subject).collect();
    assert_eq!(
        subjects,
        vec![
            "Maintenance scheduled: Upgrade",
            "Maintenance started: Upgrade",
            "Maintenance completed: Upgrade"
        ]
    );
}

#[tokio::test]
async fn retention_prunes_delivered_rows_tokens_sessions_and_unverified_subscribers() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let cfg = DispatcherConfig {
        delivered_retention: Duration::from_secs(3600),
        unverified_retention: Duration::from_secs(86_400),
        retention_interval: Duration::from_secs(60),
        ..config("r")
    };
    let d =
        Dispatcher::new(h.cachet.clone(), vec![rec.clone() as Arc<dyn Notifier>]).with_config(cfg);
    let keep = verified(&h.cachet, "keep@example.com", &[]).await;
    h.cachet
        .subscribe(
            None,
            &cachet_core::validate::Email::parse("never@example.com").unwrap(),
            &[],
            cachet_core::validate::Locale::english(),
        )
        .await
        .unwrap();
    h.cachet
        .create_incident(&op(), &new_incident("Old", &[], true, true))
        .await
        .unwrap();
    drain(&d).await;
    assert_eq!(deliveries(&h).await.len(), 2);
    // Within the periods: nothing goes.
    h.clock.advance(TimeDelta::minutes(30));
    let t = d.tick().await.unwrap();
    assert_eq!(t.pruned, 0);
    // Two days later: delivered rows, the expired verification token, the unverified one.
    h.clock.advance(TimeDelta::days(2));
    let t = d.tick().await.unwrap();
    assert!(t.pruned >= 4, "{t:?}");
    assert!(deliveries(&h).await.is_empty());
    let subs = h
        .store
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items;
    assert_eq!(subs.iter().map(|s| s.id).collect::<Vec<_>>(), vec![keep.id]);
    assert!(
        h.store
            .outbox_events(&OutboxQuery::all())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn export_and_erasure_are_for_admins() {
    let h = Harness::new().await;
    let api = make_component(&h.cachet, "API").await;
    let s = verified(&h.cachet, "me@example.com", &[api.id]).await;
    h.user("admin@example.com", Role::Admin).await;
    h.user("manager@example.com", Role::Manager).await;
    let admin = h.actor(&h.session("admin@example.com").await.secret).await;
    let manager = h
        .actor(&h.session("manager@example.com").await.secret)
        .await;
    assert!(matches!(
        h.cachet.export_subscriber(&manager, s.id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        h.cachet.erase_subscriber(&manager, s.id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        h.cachet.delivery_attempts(&manager, DeliveryId(1)).await,
        Err(Error::Forbidden)
    ));
    let json = h.cachet.export_subscriber(&admin, s.id).await.unwrap();
    assert_eq!(json["email"], "me@example.com");
    assert_eq!(json["locale"], "en");
    assert_eq!(json["subscriptions"][0]["component_id"], api.id.get());
    assert!(json["verified_at"].is_string() && json["created_at"].is_string());
    h.cachet.erase_subscriber(&admin, s.id).await.unwrap();
    assert!(matches!(
        h.cachet.export_subscriber(&admin, s.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        h.store
            .subscriptions_of(s.id)
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn no_address_in_stored_errors_or_rendered_failures() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    verified(&h.cachet, "secret.person@example.com", &[]).await;
    rec.then(Err(DeliveryError::Permanent(
        "550 <secret.person@example.com> unknown".into(),
    )));
    h.cachet
        .create_incident(&op(), &new_incident("Outage", &[], true, true))
        .await
        .unwrap();
    drain(&d).await;
    let del = deliveries(&h).await.remove(0);
    let err = del.last_error.clone().unwrap();
    assert!(!err.contains("secret.person"), "{err}");
    for a in h.store.delivery_attempts(del.id).await.unwrap() {
        assert!(!format!("{a:?}").contains("secret.person"));
    }
    for e in h
        .store
        .outbox_events(&OutboxQuery::all())
        .await
        .unwrap()
        .items
    {
        assert!(!e.payload.to_string().contains("secret.person"));
        assert!(!format!("{e:?}").contains("secret.person"));
    }
    assert!(!format!("{d:?}").contains("secret.person"));
}

#[tokio::test]
async fn webhooks_get_the_statuspage_shape_with_their_secret() {
    let h = Harness::new().await;
    let api = make_component(&h.cachet, "API").await;
    let secret = h
        .cachet
        .keyring()
        .seal(b"s3cret", cachet_core::notify::AAD_WEBHOOK_SECRET)
        .unwrap();
    let new = NewWebhook::new(
        Name::parse("ops").unwrap(),
        cachet_core::validate::HttpUrl::parse("https://hooks.example.com/x").unwrap(),
        secret,
        cachet_core::model::WebhookEvents::ALL,
    );
    h.store
        .create_webhook(h.cx(), &new, &no_effects)
        .await
        .unwrap();
    let (hooks, d) = webhook_dispatcher(&h.cachet);
    h.cachet
        .create_incident(&op(), &new_incident("Outage", &[api.id], true, true))
        .await
        .unwrap();
    set_status(&h.cachet, api.id, ComponentStatus::PartialOutage).await;
    drain(&d).await;
    let sent = hooks.sent();
    assert_eq!(sent.len(), 2);
    let Message::Webhook(first) = &sent[0] else {
        panic!()
    };
    assert_eq!(first.secret.as_deref(), Some("s3cret"));
    let body: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["incident"]["name"], "Outage");
    assert_eq!(body["incident"]["status"], "investigating");
    assert!(body["page"]["status_indicator"].is_string());
    assert!(body["meta"].is_object());
    let Message::Webhook(second) = &sent[1] else {
        panic!()
    };
    let body: serde_json::Value = serde_json::from_str(&second.body).unwrap();
    assert_eq!(body["component_update"]["new_status"], "partial_outage");
    assert_eq!(body["component_update"]["old_status"], "operational");
    assert_eq!(body["component"]["name"], "API");
}

#[tokio::test]
async fn run_returns_promptly_on_shutdown() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(d.run(async {
        let _ = rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    let s = Scheduler::new(h.cachet.clone());
    tokio::time::timeout(Duration::from_secs(5), s.run(async {}))
        .await
        .unwrap();
}
