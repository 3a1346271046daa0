//! Unit tests for the trickiest rules of the memory store. The broad behaviour is covered by
//! the conformance suite in `crate::testing`.

use chrono::{DateTime, TimeDelta};

use super::MemoryStore;
use crate::model::*;
use crate::store::prelude::*;
use crate::store::{Changed, Effects, StoreError, WriteContext, no_effects, query::*};
use crate::validate::{Locale, Markdown, MetricValue, Name, Order, Places, Text, Threshold};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn t0() -> Timestamp {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

fn at(minutes: i64) -> WriteContext {
    WriteContext::at(t0() + TimeDelta::minutes(minutes))
}

fn name(s: &str) -> Result<Name, Box<dyn std::error::Error>> {
    Ok(Name::parse(s)?)
}

async fn component(store: &MemoryStore, n: &str) -> Result<Component, Box<dyn std::error::Error>> {
    Ok(store
        .create_component(
            at(0),
            &NewComponent::named(name(n)?, ComponentStatus::Operational),
            &no_effects,
        )
        .await?)
}

async fn metric(store: &MemoryStore) -> Result<Metric, Box<dyn std::error::Error>> {
    let new = NewMetric {
        name: name("Latency")?,
        suffix: Text::empty(),
        description: Markdown::empty(),
        default_value: MetricValue::default(),
        calc_type: CalcType::Sum,
        display_chart: true,
        places: Places::default(),
        default_view: MetricView::LastHour,
        threshold: Threshold::new(5)?,
        order: Order::default(),
        visible: Visibility::Public,
    };
    Ok(store.create_metric(at(0), &new, &no_effects).await?)
}

fn schedule(components: Vec<ComponentId>) -> Result<NewSchedule, Box<dyn std::error::Error>> {
    Ok(NewSchedule {
        name: name("Upgrade")?,
        message: Markdown::empty(),
        status: ScheduleStatus::Upcoming,
        scheduled_at: t0(),
        completed_at: None,
        components,
        notify: false,
        user_id: None,
    })
}

fn subscriber(tag: u8, components: Vec<ComponentId>) -> NewSubscriber {
    NewSubscriber {
        email: Sealed {
            key_id: 1,
            ciphertext: vec![tag],
        },
        blind_index: BlindIndex([tag; 32]),
        channel: SubscriberChannel::Email,
        locale: Locale::english(),
        verified_at: None,
        components,
    }
}

fn audit(entity_id: i64) -> NewAuditEvent {
    NewAuditEvent {
        at: t0(),
        actor_user_id: None,
        actor_token_id: None,
        actor: "test".to_owned(),
        action: AuditAction::Create,
        entity: EntityKind::Component,
        entity_id: Some(entity_id),
        ip: None,
        outcome: AuditOutcome::Success,
        detail: Text::empty(),
    }
}

#[tokio::test]
async fn ids_start_at_one_and_are_never_reused() -> TestResult {
    let store = MemoryStore::new();
    let a = component(&store, "A").await?;
    store.delete_component(at(1), a.id, &no_effects).await?;
    let b = component(&store, "B").await?;
    assert_eq!((a.id, b.id), (ComponentId(1), ComponentId(2)));
    Ok(())
}

#[tokio::test]
async fn merge_rule_increments_the_most_recent_matching_point() -> TestResult {
    let store = MemoryStore::new();
    let m = metric(&store).await?;
    let v = MetricValue::from_millis(1500)?;
    let rec = |minute: i64, merge_since: Option<i64>, value: MetricValue| NewMetricPoint {
        value,
        created_at: t0() + TimeDelta::minutes(minute),
        merge_since: merge_since.map(|s| t0() + TimeDelta::minutes(s)),
    };
    let p1 = store
        .record_metric_point(at(0), m.id, &rec(0, None, v), &no_effects)
        .await?;
    let p2 = store
        .record_metric_point(at(1), m.id, &rec(1, None, v), &no_effects)
        .await?;
    // Merges into p2 (the most recent same-valued point in the window), not p1.
    let merged = store
        .record_metric_point(at(2), m.id, &rec(2, Some(0), v), &no_effects)
        .await?;
    assert_eq!(merged.id, p2.id);
    assert_eq!(merged.counter, 2);
    assert_eq!(merged.updated_at, at(2).now);
    assert_eq!(merged.created_at, p2.created_at);
    assert_eq!(store.metric_point(m.id, p1.id).await?.counter, 1);
    // A different value, or a window that starts after every point, inserts.
    let other = store
        .record_metric_point(
            at(3),
            m.id,
            &rec(3, Some(0), MetricValue::from_millis(7)?),
            &no_effects,
        )
        .await?;
    assert_eq!(other.counter, 1);
    let late = store
        .record_metric_point(at(4), m.id, &rec(4, Some(4), v), &no_effects)
        .await?;
    assert_ne!(late.id, p2.id);
    assert_eq!(late.counter, 1);
    // The effects closure sees the merged point.
    let seen = std::sync::Mutex::new(None);
    let fx = |p: &MetricPoint| {
        if let Ok(mut s) = seen.lock() {
            *s = Some(p.counter);
        }
        Effects::none()
    };
    store
        .record_metric_point(at(5), m.id, &rec(5, Some(4), v), &fx)
        .await?;
    assert_eq!(*seen.lock().map_err(|_| "poisoned")?, Some(2));
    // Unknown metric.
    let err = store
        .record_metric_point(at(5), MetricId(99), &rec(5, None, v), &no_effects)
        .await;
    assert!(matches!(
        err,
        Err(StoreError::NotFound {
            entity: "metric",
            id: 99
        })
    ));
    Ok(())
}

#[tokio::test]
async fn deleting_a_component_cascades() -> TestResult {
    let store = MemoryStore::new();
    let a = component(&store, "A").await?;
    let b = component(&store, "B").await?;
    let only_a = store
        .create_subscriber(at(0), &subscriber(1, vec![a.id]), &no_effects)
        .await?;
    let both = store
        .create_subscriber(at(0), &subscriber(2, vec![b.id, a.id]), &no_effects)
        .await?;
    assert_eq!(both.components, vec![a.id, b.id]);
    assert!(!only_a.global);
    let incident = NewIncident {
        user_id: None,
        name: name("Down")?,
        status: IncidentStatus::Investigating,
        message: Markdown::empty(),
        visible: true,
        stickied: false,
        notify: false,
        occurred_at: t0(),
        components: vec![
            AffectedComponent {
                component_id: b.id,
                status: ComponentStatus::PartialOutage,
            },
            AffectedComponent {
                component_id: a.id,
                status: ComponentStatus::MajorOutage,
            },
        ],
        apply_component_status: true,
        meta: Default::default(),
    };
    let inc = store.create_incident(at(1), &incident, &no_effects).await?;
    assert_eq!(
        inc.components
            .iter()
            .map(|c| c.component_id)
            .collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    let history = store.status_history(a.id, t0()).await?;
    assert_eq!(history.len(), 2);
    assert_eq!(
        history.get(1).map(|h| (h.cause.kind, h.cause.incident_id)),
        Some((StatusCauseKind::Incident, Some(inc.id)))
    );
    let sched = store
        .create_schedule(at(1), &schedule(vec![b.id, a.id, a.id])?, &no_effects)
        .await?;
    assert_eq!(sched.components, vec![a.id, b.id]);

    store.delete_component(at(2), a.id, &no_effects).await?;

    let only_a = store.subscriber(only_a.id).await?;
    assert!(only_a.global && only_a.components.is_empty());
    assert!(store.subscriptions_of(only_a.id).await?.is_empty());
    let both = store.subscriber(both.id).await?;
    assert!(!both.global);
    assert_eq!(both.components, vec![b.id]);
    assert_eq!(store.subscriptions_of(both.id).await?.len(), 1);
    assert_eq!(store.incident(inc.id).await?.components.len(), 1);
    assert_eq!(store.schedule(sched.id).await?.components, vec![b.id]);
    assert!(
        store
            .status_history(a.id, t0())
            .await
            .is_err_and(|e| e.is_not_found())
    );
    let filtered = store
        .incidents(&IncidentQuery::filtered(IncidentFilter {
            component_id: Some(a.id),
            ..Default::default()
        }))
        .await?;
    assert_eq!(filtered.total, 0);
    Ok(())
}

#[tokio::test]
async fn status_history_includes_the_entry_in_force_at_since() -> TestResult {
    let store = MemoryStore::new();
    let c = component(&store, "A").await?;
    for (minute, status) in [
        (10, ComponentStatus::MajorOutage),
        (20, ComponentStatus::Operational),
        (30, ComponentStatus::PartialOutage),
    ] {
        let patch = ComponentPatch {
            status: Some(status),
            ..Default::default()
        };
        store
            .update_component(at(minute), c.id, &patch, &no_effects)
            .await?;
    }
    // Same status: no entry.
    let same = ComponentPatch {
        status: Some(ComponentStatus::PartialOutage),
        ..Default::default()
    };
    store
        .update_component(at(40), c.id, &same, &no_effects)
        .await?;
    let h = store.status_history(c.id, at(25).now).await?;
    let got: Vec<_> = h.iter().map(|e| (e.old_status, e.new_status)).collect();
    assert_eq!(
        got,
        vec![
            (
                Some(ComponentStatus::MajorOutage),
                ComponentStatus::Operational
            ),
            (
                Some(ComponentStatus::Operational),
                ComponentStatus::PartialOutage
            ),
        ]
    );
    assert_eq!(store.status_history(c.id, at(0).now).await?.len(), 4);
    Ok(())
}

#[tokio::test]
async fn schedule_compare_and_set() -> TestResult {
    let store = MemoryStore::new();
    let s = store
        .create_schedule(at(0), &schedule(vec![])?, &no_effects)
        .await?;
    let start = SchedulePatch {
        status: Some(ScheduleStatus::InProgress),
        expected_status: Some(ScheduleStatus::Upcoming),
        ..Default::default()
    };
    let rev = store.revision().await?;
    let started = store
        .update_schedule(at(1), s.id, &start, &no_effects)
        .await?;
    assert_eq!(started.status, ScheduleStatus::InProgress);
    assert_eq!(store.revision().await?, rev + 1);
    // A second instance making the same transition loses and changes nothing.
    let fx = |_: &Changed<Schedule>| Effects::audit(audit(1));
    let err = store.update_schedule(at(2), s.id, &start, &fx).await;
    assert!(matches!(
        err,
        Err(StoreError::Conflict {
            entity: "schedule",
            detail: "status changed"
        })
    ));
    assert_eq!(store.schedule(s.id).await?, started);
    assert_eq!(store.revision().await?, rev + 1);
    assert_eq!(store.audit_events(&AuditQuery::all()).await?.total, 0);
    Ok(())
}

#[tokio::test]
async fn failed_writes_change_nothing() -> TestResult {
    let store = MemoryStore::new();
    let c = component(&store, "A").await?;
    let rev = store.revision().await?;
    let fx = |_: &Subscriber| {
        Effects::audit(audit(1)).with_outbox(NewOutboxEvent {
            kind: EventKind::SubscriberVerification,
            payload: serde_json::json!({}),
            next_attempt_at: t0(),
        })
    };
    let bad = store
        .create_subscriber(at(1), &subscriber(1, vec![c.id, ComponentId(42)]), &fx)
        .await;
    assert!(bad.is_err_and(|e| e.is_invalid()));
    assert_eq!(store.revision().await?, rev);
    assert_eq!(store.subscribers(&SubscriberQuery::all()).await?.total, 0);
    assert_eq!(store.audit_events(&AuditQuery::all()).await?.total, 0);
    assert_eq!(store.outbox_events(&OutboxQuery::all()).await?.total, 0);
    // The successful one records its effects with the write.
    let ok = store
        .create_subscriber(at(1), &subscriber(1, vec![c.id]), &fx)
        .await?;
    assert_eq!(ok.id, SubscriberId(1));
    assert_eq!(store.revision().await?, rev + 1);
    let events = store.outbox_events(&OutboxQuery::all()).await?;
    assert_eq!(
        events
            .items
            .first()
            .map(|e| (e.status, e.attempts, e.created_at)),
        Some((OutboxStatus::Pending, 0, at(1).now))
    );
    let dup = store
        .create_subscriber(at(2), &subscriber(1, vec![]), &fx)
        .await;
    assert!(matches!(
        dup,
        Err(StoreError::Conflict {
            entity: "subscriber",
            ..
        })
    ));
    assert_eq!(store.outbox_events(&OutboxQuery::all()).await?.total, 1);
    Ok(())
}

#[tokio::test]
async fn leases_belong_to_their_owner() -> TestResult {
    let store = MemoryStore::new();
    let new = NewOutboxEvent {
        kind: EventKind::TestMail,
        payload: serde_json::json!({}),
        next_attempt_at: t0(),
    };
    let e1 = store.enqueue(at(0), &new).await?;
    let e2 = store.enqueue(at(0), &new).await?;
    let now = at(1).now;
    let lease = at(6).now;
    let claimed = store.claim_outbox_events("a", now, lease, 1).await?;
    assert_eq!(
        claimed
            .iter()
            .map(|e| (e.id, e.attempts))
            .collect::<Vec<_>>(),
        vec![(e1.id, 1)]
    );
    // The held event is skipped; "b" gets the next one.
    let claimed_b = store.claim_outbox_events("b", now, lease, 10).await?;
    assert_eq!(
        claimed_b.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e2.id]
    );
    // Only the owner can complete or fail it.
    let err = store.complete_outbox_event(at(2), e1.id, "b", &[]).await;
    assert!(matches!(
        err,
        Err(StoreError::Conflict {
            entity: "outbox_event",
            ..
        })
    ));
    assert!(
        store
            .fail_outbox_event(e1.id, "b", "nope", None)
            .await
            .is_err_and(|e| e.is_conflict())
    );
    // After the lease expires another dispatcher may take it over.
    let stolen = store
        .claim_outbox_events("b", lease, at(10).now, 10)
        .await?;
    assert_eq!(
        stolen
            .iter()
            .map(|e| (e.id, e.attempts))
            .collect::<Vec<_>>(),
        vec![(e1.id, 2), (e2.id, 2)]
    );
    assert!(
        store
            .complete_outbox_event(at(7), e1.id, "a", &[])
            .await
            .is_err_and(|e| e.is_conflict())
    );

    let delivery = |key: &str| NewDelivery {
        recipient: "webhook:1".to_owned(),
        channel: "webhook".to_owned(),
        idempotency_key: key.to_owned(),
    };
    store
        .complete_outbox_event(
            at(7),
            e1.id,
            "b",
            &[delivery("k1"), delivery("k1"), delivery("k2")],
        )
        .await?;
    // Redelivering the fan-out of e2 with an existing key skips it.
    store
        .complete_outbox_event(at(7), e2.id, "b", &[delivery("k2"), delivery("k3")])
        .await?;
    let all = store.deliveries(&DeliveryQuery::all()).await?;
    assert_eq!(
        all.items
            .iter()
            .map(|d| d.idempotency_key.as_str())
            .collect::<Vec<_>>(),
        vec!["k1", "k2", "k3"]
    );
    assert_eq!(
        store
            .outbox_events(&OutboxQuery::filtered(OutboxFilter {
                status: Some(OutboxStatus::Done)
            }))
            .await?
            .total,
        2
    );

    let ds = store
        .claim_deliveries("a", None, at(7).now, at(9).now, 2)
        .await?;
    assert_eq!(
        ds.iter().map(|d| d.attempts).collect::<Vec<_>>(),
        vec![0, 0]
    );
    let d1 = ds.first().ok_or("no delivery")?.id;
    let wrong = store
        .record_delivery_attempt(
            d1,
            "b",
            &NewDeliveryAttempt {
                at: at(8).now,
                result: AttemptResult::Delivered,
            },
        )
        .await;
    assert!(matches!(
        wrong,
        Err(StoreError::Conflict {
            entity: "delivery",
            ..
        })
    ));
    let retry = AttemptResult::Retry {
        error: "timeout".to_owned(),
        next_attempt_at: at(20).now,
    };
    let d = store
        .record_delivery_attempt(
            d1,
            "a",
            &NewDeliveryAttempt {
                at: at(8).now,
                result: retry,
            },
        )
        .await?;
    assert_eq!(
        (d.status, d.attempts, d.lease_owner.as_deref()),
        (DeliveryStatus::Pending, 1, None)
    );
    // d1 is not due yet and k2 is still leased to "a": only k3 is free.
    let again = store
        .claim_deliveries("b", None, at(8).now, at(12).now, 10)
        .await?;
    assert_eq!(
        again
            .iter()
            .map(|d| d.idempotency_key.as_str())
            .collect::<Vec<_>>(),
        vec!["k3"]
    );
    // Once due, the retried delivery is claimed again; earliest due first, so it comes after
    // k2 and k3 (due since they were written), whose leases have run out.
    let d = store
        .claim_deliveries("a", None, at(20).now, at(22).now, 10)
        .await?;
    assert_eq!(d.last().map(|d| d.id), Some(d1), "{d:?}");
    let d = store
        .record_delivery_attempt(
            d1,
            "a",
            &NewDeliveryAttempt {
                at: at(21).now,
                result: AttemptResult::Delivered,
            },
        )
        .await?;
    assert_eq!(
        (d.status, d.attempts, d.delivered_at),
        (DeliveryStatus::Delivered, 2, Some(at(21).now))
    );
    assert_eq!(
        store
            .delivery_attempts(d1)
            .await?
            .iter()
            .map(|a| a.ok)
            .collect::<Vec<_>>(),
        vec![false, true]
    );
    Ok(())
}

#[tokio::test]
async fn prune_outbox_keeps_events_with_pending_deliveries() -> TestResult {
    let store = MemoryStore::new();
    let new = NewOutboxEvent {
        kind: EventKind::TestMail,
        payload: serde_json::json!({}),
        next_attempt_at: t0(),
    };
    let e1 = store.enqueue(at(0), &new).await?;
    let e2 = store.enqueue(at(0), &new).await?;
    store
        .claim_outbox_events("a", at(0).now, at(5).now, 10)
        .await?;
    let delivery = |key: &str| NewDelivery {
        recipient: "user:1".to_owned(),
        channel: "email".to_owned(),
        idempotency_key: key.to_owned(),
    };
    store
        .complete_outbox_event(at(1), e1.id, "a", &[delivery("a")])
        .await?;
    store
        .complete_outbox_event(at(1), e2.id, "a", &[delivery("b")])
        .await?;
    let ds = store
        .claim_deliveries("a", None, at(1).now, at(5).now, 1)
        .await?;
    let first = ds.first().ok_or("no delivery")?.id;
    store
        .record_delivery_attempt(
            first,
            "a",
            &NewDeliveryAttempt {
                at: at(2).now,
                result: AttemptResult::Delivered,
            },
        )
        .await?;
    // e1 (all delivered) goes with its delivery and attempt; e2 keeps its pending delivery.
    assert_eq!(store.prune_outbox(at(10).now).await?, 3);
    let left = store.outbox_events(&OutboxQuery::all()).await?;
    assert_eq!(
        left.items.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e2.id]
    );
    assert_eq!(store.deliveries(&DeliveryQuery::all()).await?.total, 1);
    Ok(())
}

#[tokio::test]
async fn revision_ignores_bookkeeping() -> TestResult {
    let store = MemoryStore::new();
    let user = store
        .create_user(
            at(0),
            &NewUser {
                name: name("Ada")?,
                email: crate::validate::Email::parse("ada@example.com")?,
                role: Role::Admin,
                password_hash: PasswordHash("x".to_owned()),
                active: true,
                only_if_no_admin: true,
            },
            &no_effects,
        )
        .await?;
    let token = store
        .create_api_token(
            at(0),
            &NewApiToken {
                user_id: user.id,
                name: name("ci")?,
                prefix: "cch_".to_owned(),
                hash: TokenHash([1; 32]),
                scope: TokenScope::Read,
                expires_at: None,
            },
            &no_effects,
        )
        .await?;
    let rev = store.revision().await?;
    let used = ApiTokenPatch {
        last_used_at: Some(at(1).now),
        ..Default::default()
    };
    store
        .update_api_token(at(1), token.id, &used, &no_effects)
        .await?;
    store
        .create_session(
            at(1),
            &NewSession {
                hash: TokenHash([2; 32]),
                user_id: user.id,
                pending_second_factor: false,
                expires_at: at(60).now,
                ip: None,
                user_agent: None,
            },
        )
        .await?;
    store.append_audit(&audit(1)).await?;
    assert!(!store.accept_totp_step(user.id, 5).await?);
    assert!(
        !store
            .use_recovery_code(at(1), user.id, &TokenHash([3; 32]), &no_effects)
            .await?
    );
    assert_eq!(store.revision().await?, rev);
    let revoke = ApiTokenPatch {
        revoked_at: Some(at(2).now),
        ..Default::default()
    };
    store
        .update_api_token(at(2), token.id, &revoke, &no_effects)
        .await?;
    assert_eq!(store.revision().await?, rev + 1);
    // The one-time setup refuses a second admin.
    let again = NewUser {
        name: name("Bob")?,
        email: crate::validate::Email::parse("bob@example.com")?,
        role: Role::Admin,
        password_hash: PasswordHash("x".to_owned()),
        active: true,
        only_if_no_admin: true,
    };
    let err = store.create_user(at(3), &again, &no_effects).await;
    assert!(matches!(
        err,
        Err(StoreError::Conflict {
            entity: "user",
            detail: "an admin already exists"
        })
    ));
    // Deleting the user takes their session and token along.
    store.delete_user(at(4), user.id, &no_effects).await?;
    assert!(store.session_by_hash(&TokenHash([2; 32])).await?.is_none());
    assert!(
        store
            .api_token_by_hash(&TokenHash([1; 32]))
            .await?
            .is_none()
    );
    Ok(())
}
