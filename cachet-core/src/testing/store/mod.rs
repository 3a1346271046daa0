//! The conformance checks: one `pub async fn` per behaviour of the [`Store`] contract.
//!
//! Every check takes a `&dyn Store` that **must be empty**, runs a scenario through the
//! trait only, and returns `Err(`[`Failure`]`)` naming the broken rule, the file and line, and
//! the compared values. [`CHECKS`] lists them all.
//!
//! Where the trait's docs leave a choice open, the suite pins one answer so every backend
//! behaves alike; each pin is stated on the check that enforces it:
//!
//! - a chosen sort's ties are broken by ascending id in both directions
//!   (`ORDER BY x DESC, id ASC`); natural orders are as each filter's docs state;
//! - a missing value (`None` / SQL `NULL`) sorts before every present value ascending, and
//!   after them descending (PostgreSQL needs `NULLS FIRST` / `NULLS LAST` to match);
//! - `created_at` / `updated_at` and status history times are the [`WriteContext`]'s `now`.

mod alerts;
mod backups;
mod components;
mod general;
mod idempotency;
mod identity;
mod incidents;
mod leases;
mod metrics;
mod outbox;
mod people;
mod rate_limits;

pub use alerts::*;
pub use backups::*;
pub use components::*;
pub use general::*;
pub use idempotency::*;
pub use identity::*;
pub use incidents::*;
pub use leases::*;
pub use metrics::*;
pub use outbox::*;
pub use people::*;
pub use rate_limits::*;

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use chrono::DateTime;

use super::{Context, Failure, ensure_eq};
use crate::model::*;
use crate::store::*;
use crate::validate::{
    Email, HttpUrl, Markdown, Meta, MetricValue, Name, Order, Places, Slug, Text, Threshold,
};

/// The future a check returns.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Failure>> + Send + 'a>>;

/// A check as a function pointer, so [`CHECKS`] can list them.
pub type CheckFn = for<'a> fn(&'a dyn Store) -> CheckFuture<'a>;

crate::__store_checks! { __store_checks_table () }

// ---- fixtures ---------------------------------------------------------------------------

/// 2026-01-01T00:00:00Z, the base time of every scenario.
const T0: i64 = 1_767_225_600;

/// `T0 + secs` seconds.
pub(crate) fn at(secs: i64) -> Timestamp {
    DateTime::from_timestamp(T0 + secs, 0).unwrap_or_default()
}

/// A write at `T0 + secs`.
pub(crate) fn cx(secs: i64) -> WriteContext {
    WriteContext::at(at(secs))
}

#[track_caller]
pub(crate) fn name(s: &str) -> Result<Name, Failure> {
    Name::parse(s).ctx("fixture name")
}

#[track_caller]
pub(crate) fn text(s: &str) -> Result<Text, Failure> {
    Text::parse(s).ctx("fixture text")
}

#[track_caller]
pub(crate) fn md(s: &str) -> Result<Markdown, Failure> {
    Markdown::parse(s).ctx("fixture markdown")
}

#[track_caller]
pub(crate) fn slug(s: &str) -> Result<Slug, Failure> {
    Slug::parse(s).ctx("fixture slug")
}

#[track_caller]
pub(crate) fn email(s: &str) -> Result<Email, Failure> {
    Email::parse(s).ctx("fixture email")
}

#[track_caller]
pub(crate) fn url(s: &str) -> Result<HttpUrl, Failure> {
    HttpUrl::parse(s).ctx("fixture url")
}

#[track_caller]
pub(crate) fn order(n: i64) -> Result<Order, Failure> {
    Order::new(n).ctx("fixture order")
}

#[track_caller]
pub(crate) fn value(millis: i64) -> Result<MetricValue, Failure> {
    MetricValue::from_millis(millis).ctx("fixture metric value")
}

#[track_caller]
pub(crate) fn meta(v: serde_json::Value) -> Result<Meta, Failure> {
    Meta::from_value(v).ctx("fixture meta")
}

pub(crate) fn hash(n: u8) -> TokenHash {
    let mut h = [n; 32];
    h[31] = 0xA5;
    TokenHash(h)
}

pub(crate) fn blind(n: u8) -> BlindIndex {
    let mut h = [n; 32];
    h[0] = 0x5A;
    BlindIndex(h)
}

pub(crate) fn sealed(n: u8) -> Sealed {
    Sealed {
        key_id: 1,
        ciphertext: vec![n; 40],
    }
}

pub(crate) fn new_component(n: &str) -> Result<NewComponent, Failure> {
    Ok(NewComponent::named(name(n)?, ComponentStatus::Operational))
}

pub(crate) async fn component(store: &dyn Store, n: &str, t: i64) -> Result<Component, Failure> {
    store
        .create_component(cx(t), &new_component(n)?, &no_effects)
        .await
        .ctx("create_component")
}

pub(crate) fn new_group(n: &str) -> Result<NewComponentGroup, Failure> {
    Ok(NewComponentGroup {
        name: name(n)?,
        order: Order::default(),
        collapsed: Collapsed::Expanded,
        visible: GroupVisibility::Public,
    })
}

pub(crate) fn new_incident(n: &str, occurred_at: Timestamp) -> Result<NewIncident, Failure> {
    Ok(NewIncident {
        user_id: None,
        name: name(n)?,
        status: IncidentStatus::Investigating,
        message: md("We are *looking* into it.")?,
        visible: true,
        stickied: false,
        notify: false,
        occurred_at,
        components: Vec::new(),
        apply_component_status: false,
        meta: Meta::default(),
    })
}

pub(crate) async fn incident(store: &dyn Store, n: &str, t: i64) -> Result<Incident, Failure> {
    store
        .create_incident(cx(t), &new_incident(n, at(t))?, &no_effects)
        .await
        .ctx("create_incident")
}

pub(crate) fn new_update(status: IncidentStatus, msg: &str) -> Result<NewIncidentUpdate, Failure> {
    Ok(NewIncidentUpdate {
        status,
        message: md(msg)?,
        user_id: None,
        component: None,
    })
}

pub(crate) fn new_template(n: &str, s: &str) -> Result<NewIncidentTemplate, Failure> {
    Ok(NewIncidentTemplate {
        name: name(n)?,
        slug: slug(s)?,
        template: md("{{ service }} is down")?,
    })
}

pub(crate) fn new_schedule(n: &str, scheduled_at: Timestamp) -> Result<NewSchedule, Failure> {
    Ok(NewSchedule {
        name: name(n)?,
        message: md("Planned work.")?,
        status: ScheduleStatus::Upcoming,
        scheduled_at,
        completed_at: None,
        components: Vec::new(),
        notify: false,
        user_id: None,
    })
}

pub(crate) async fn schedule(store: &dyn Store, n: &str, t: i64) -> Result<Schedule, Failure> {
    store
        .create_schedule(cx(t), &new_schedule(n, at(t))?, &no_effects)
        .await
        .ctx("create_schedule")
}

pub(crate) fn new_metric(n: &str) -> Result<NewMetric, Failure> {
    Ok(NewMetric {
        name: name(n)?,
        suffix: text("ms")?,
        description: md("Response time")?,
        default_value: MetricValue::default(),
        calc_type: CalcType::Average,
        display_chart: true,
        places: Places::default(),
        default_view: MetricView::LastHour,
        threshold: Threshold::default(),
        order: Order::default(),
        visible: Visibility::Public,
    })
}

pub(crate) async fn metric(store: &dyn Store, n: &str, t: i64) -> Result<Metric, Failure> {
    store
        .create_metric(cx(t), &new_metric(n)?, &no_effects)
        .await
        .ctx("create_metric")
}

pub(crate) fn new_point(
    millis: i64,
    created_at: Timestamp,
    merge_since: Option<Timestamp>,
) -> Result<NewMetricPoint, Failure> {
    Ok(NewMetricPoint {
        value: value(millis)?,
        created_at,
        merge_since,
    })
}

pub(crate) fn new_subscriber(n: u8, components: Vec<ComponentId>) -> NewSubscriber {
    NewSubscriber {
        email: sealed(n),
        blind_index: blind(n),
        channel: SubscriberChannel::Email,
        locale: crate::validate::Locale::english(),
        verified_at: None,
        components,
    }
}

pub(crate) async fn subscriber(
    store: &dyn Store,
    n: u8,
    components: Vec<ComponentId>,
    t: i64,
) -> Result<Subscriber, Failure> {
    store
        .create_subscriber(cx(t), &new_subscriber(n, components), &no_effects)
        .await
        .ctx("create_subscriber")
}

pub(crate) fn new_user(n: &str, mail: &str, role: Role) -> Result<NewUser, Failure> {
    Ok(NewUser {
        name: name(n)?,
        email: email(mail)?,
        role,
        password_hash: PasswordHash(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned(),
        ),
        active: true,
        only_if_no_admin: false,
    })
}

pub(crate) async fn user(store: &dyn Store, n: &str, mail: &str, t: i64) -> Result<User, Failure> {
    store
        .create_user(cx(t), &new_user(n, mail, Role::Manager)?, &no_effects)
        .await
        .ctx("create_user")
}

pub(crate) fn new_api_token(user: UserId, n: u8) -> Result<NewApiToken, Failure> {
    Ok(NewApiToken {
        user_id: user,
        name: name(&format!("token {n}"))?,
        prefix: format!("ct_{n:02x}"),
        hash: hash(n),
        scope: TokenScope::Write,
        expires_at: None,
    })
}

pub(crate) fn new_session(user: UserId, n: u8, expires_at: Timestamp) -> NewSession {
    NewSession {
        hash: hash(n),
        user_id: user,
        pending_second_factor: false,
        expires_at,
        ip: Some("192.0.2.1".to_owned()),
        user_agent: Some("Mozilla/5.0 (conformance)".to_owned()),
    }
}

pub(crate) fn new_ott(purpose: TokenPurpose, n: u8, expires_at: Timestamp) -> NewOneTimeToken {
    NewOneTimeToken {
        purpose,
        hash: hash(n),
        subject_id: Some(i64::from(n)),
        payload: serde_json::json!({ "n": n }),
        expires_at,
    }
}

pub(crate) fn new_audit(
    at: Timestamp,
    action: AuditAction,
    entity: EntityKind,
    entity_id: Option<i64>,
) -> Result<NewAuditEvent, Failure> {
    Ok(NewAuditEvent {
        at,
        actor_user_id: None,
        actor_token_id: None,
        actor: "host:conformance".to_owned(),
        action,
        entity,
        entity_id,
        ip: None,
        outcome: AuditOutcome::Success,
        detail: text("conformance")?,
    })
}

pub(crate) fn new_event(kind: EventKind, next_attempt_at: Timestamp, n: i64) -> NewOutboxEvent {
    NewOutboxEvent {
        kind,
        payload: serde_json::json!({ "n": n }),
        next_attempt_at,
    }
}

pub(crate) fn new_delivery(key: &str) -> NewDelivery {
    NewDelivery {
        recipient: format!("subscriber:{key}"),
        channel: "email".to_owned(),
        idempotency_key: key.to_owned(),
    }
}

/// Effects naming the written entity: one audit entry and one outbox event.
pub(crate) fn effects_for(entity: EntityKind, id: i64, at: Timestamp) -> Effects {
    let audit = NewAuditEvent {
        at,
        actor_user_id: None,
        actor_token_id: None,
        actor: "host:conformance".to_owned(),
        action: AuditAction::Create,
        entity,
        entity_id: Some(id),
        ip: None,
        outcome: AuditOutcome::Success,
        detail: Text::empty(),
    };
    Effects::audit(audit).with_outbox(NewOutboxEvent {
        kind: EventKind::ComponentStatusChanged,
        payload: serde_json::json!({ "entity": entity.as_str(), "id": id }),
        next_attempt_at: at,
    })
}

// ---- helpers ----------------------------------------------------------------------------

/// How many audit entries and outbox events the store holds.
pub(crate) async fn effect_counts(store: &dyn Store) -> Result<(u64, u64), Failure> {
    let audit = store
        .audit_events(&AuditQuery::all())
        .await
        .ctx("audit_events")?
        .total;
    let outbox = store
        .outbox_events(&OutboxQuery::all())
        .await
        .ctx("outbox_events")?
        .total;
    Ok((audit, outbox))
}

pub(crate) async fn revision(store: &dyn Store) -> Result<u64, Failure> {
    store.revision().await.ctx("revision")
}

/// Checks that `items` are ordered by `key` in `dir`, ties broken by ascending id.
#[track_caller]
pub(crate) fn ensure_sorted<T, K: Ord + Clone + Debug>(
    items: &[T],
    key: impl Fn(&T) -> K,
    id: impl Fn(&T) -> i64,
    dir: Direction,
    what: &str,
) -> Result<(), Failure> {
    let actual: Vec<(K, i64)> = items.iter().map(|t| (key(t), id(t))).collect();
    let mut expected = actual.clone();
    expected.sort_by(|a, b| {
        let by_key = if dir == Direction::Desc {
            b.0.cmp(&a.0)
        } else {
            a.0.cmp(&b.0)
        };
        by_key.then(a.1.cmp(&b.1))
    });
    ensure_eq(
        actual,
        expected,
        format!("{what} sorted {dir:?}, ties by ascending id"),
    )
}

/// The ids of a page's items.
pub(crate) fn ids<T>(items: &[T], id: impl Fn(&T) -> i64) -> Vec<i64> {
    items.iter().map(id).collect()
}

/// One filter case (`what`) of a listing of `noun`: `page` holds exactly the items with the
/// ids `want`, in that order, and its total counts exactly them.
pub(crate) fn ensure_filtered<T>(
    page: &Page<T>,
    id: impl Fn(&T) -> i64,
    want: &[i64],
    noun: &str,
    what: &str,
) -> Result<(), Failure> {
    ensure_eq(
        ids(&page.items, id),
        want.to_vec(),
        format!("{noun} filtered by {what}"),
    )?;
    ensure_eq(
        page.total,
        want.len() as u64,
        format!("total of {noun} filtered by {what}"),
    )
}

/// Polls several futures together on the current task (a dependency-free `join_all`).
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (fut, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *out = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
