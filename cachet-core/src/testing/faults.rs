//! A store that fails on command, for testing how a host behaves through a database outage.
//!
//! [`FaultyStore`] wraps any [`Store`] and passes every call through until told otherwise:
//! [`FaultyStore::hang`] makes every call wait (as a frozen database does: a `SIGSTOP`ped
//! server accepts nothing and answers nothing) until [`FaultyStore::heal`] or
//! [`FaultyStore::fail`]; [`FaultyStore::fail`] makes every call fail at once with
//! [`StoreError::Unavailable`] (as a stopped database does: connections are refused);
//! [`FaultyStore::slow`] makes every call answer late but answer (a database, or a machine,
//! that is busy: each query takes a while, none fails).
//!
//! ```
//! use std::sync::Arc;
//!
//! use cachet_core::store::memory::MemoryStore;
//! use cachet_core::store::prelude::*;
//! use cachet_core::testing::faults::FaultyStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
//! assert_eq!(store.revision().await.unwrap(), 0);
//! store.fail();
//! assert!(store.revision().await.unwrap_err().is_retryable());
//! store.heal();
//! assert_eq!(store.revision().await.unwrap(), 0);
//! # });
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use tokio::sync::watch;

use crate::model::*;
use crate::store::prelude::*;
use crate::store::*;

/// What a [`FaultyStore`] does with calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Pass every call through.
    None,
    /// Hold every call until the fault changes.
    Hang,
    /// Fail every call with [`StoreError::Unavailable`].
    Fail,
    /// Answer every call, each after this long.
    Slow(std::time::Duration),
}

/// Why a [`FaultyStore`] failed a call: the source of its [`StoreError::Unavailable`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the store was told to fail")]
pub struct InjectedFault;

/// A store that passes calls to another until told to hang or fail (see the module docs).
#[derive(Debug)]
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    fault: watch::Sender<Fault>,
    held: AtomicU64,
    failed: AtomicU64,
    /// Calls still let through before [`Fault::Hang`] holds them ([`FaultyStore::hang_after`]).
    spared: AtomicU64,
    /// Calls made so far, by method name ([`FaultyStore::calls_of`]).
    calls: std::sync::Mutex<std::collections::HashMap<&'static str, u64>>,
}

impl FaultyStore {
    /// Wraps a store; calls pass through until told otherwise.
    #[must_use]
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            fault: watch::Sender::new(Fault::None),
            held: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            spared: AtomicU64::new(0),
            calls: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Sets what calls do; calls held by [`Fault::Hang`] go on by the new fault.
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// Every call waits until the fault changes (a frozen database).
    pub fn hang(&self) {
        self.set(Fault::Hang);
    }

    /// The next `calls` calls pass, then every call waits (a database that freezes in the
    /// middle of a request: after the revision check, during the render).
    pub fn hang_after(&self, calls: u64) {
        self.spared.store(calls, Ordering::Release);
        self.hang();
    }

    /// Every call fails at once with [`StoreError::Unavailable`] (a stopped database).
    pub fn fail(&self) {
        self.set(Fault::Fail);
    }

    /// Every call answers, each after `delay` (a busy database or machine: a request that
    /// makes many calls is late although each call is answered).
    pub fn slow(&self, delay: std::time::Duration) {
        self.set(Fault::Slow(delay));
    }

    /// Calls pass through again, held ones included.
    pub fn heal(&self) {
        self.spared.store(0, Ordering::Release);
        self.set(Fault::None);
    }

    /// The fault now.
    #[must_use]
    pub fn fault(&self) -> Fault {
        *self.fault.borrow()
    }

    /// How many calls were held by [`Fault::Hang`] so far.
    #[must_use]
    pub fn held_calls(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    /// How many calls were failed by [`Fault::Fail`] so far.
    #[must_use]
    pub fn failed_calls(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// How many calls of the store method `name` were made so far, whatever became of them
    /// (how many round trips a piece of work cost, say).
    #[must_use]
    pub fn calls_of(&self, name: &str) -> u64 {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// Where every call passes first: counted, then through, held, or failed.
    async fn gate(&self, name: &'static str) -> StoreResult<()> {
        *self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(name)
            .or_default() += 1;
        let mut fault = self.fault.subscribe();
        let mut counted = false;
        loop {
            // Copied out: the borrow must not be held across the sleep below.
            let current = *fault.borrow_and_update();
            match current {
                Fault::None => return Ok(()),
                Fault::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    return Ok(());
                }
                Fault::Fail => {
                    self.failed.fetch_add(1, Ordering::Relaxed);
                    return Err(StoreError::Unavailable {
                        source: Box::new(InjectedFault),
                    });
                }
                Fault::Hang
                    if self
                        .spared
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                        .is_ok() =>
                {
                    return Ok(());
                }
                Fault::Hang if !counted => {
                    counted = true;
                    self.held.fetch_add(1, Ordering::Relaxed);
                }
                Fault::Hang => {}
            }
            if fault.changed().await.is_err() {
                // The sender lives as long as `self`: unreachable, but never a busy loop.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// One pass-through impl per area trait: each method passes the gate, then the inner store.
macro_rules! pass_through {
    ($($area:ident { $(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)* })*) => {$(
        #[async_trait]
        impl $area for FaultyStore {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$ret> {
                self.gate(stringify!($name)).await?;
                self.inner.$name($($arg),*).await
            })*
        }
    )*};
}

pass_through! {
    RevisionStore {
        fn revision() -> u64;
        fn ping() -> ();
    }
    SettingsStore {
        fn settings() -> Vec<(SettingKey, String)>;
        fn put_settings(cx: WriteContext, values: &[(SettingKey, String)], fx: &Effects) -> ();
    }
    ComponentStore {
        fn component(id: ComponentId) -> Component;
        fn components(q: &ComponentQuery) -> Page<Component>;
        fn create_component(cx: WriteContext, new: &NewComponent, fx: &EffectsFn<'_, Component>) -> Component;
        fn update_component(cx: WriteContext, id: ComponentId, patch: &ComponentPatch, fx: &EffectsFn<'_, Changed<Component>>) -> Component;
        fn delete_component(cx: WriteContext, id: ComponentId, fx: &EffectsFn<'_, Component>) -> ();
        fn status_history(id: ComponentId, since: Timestamp) -> Vec<StatusChange>;
        fn group(id: GroupId) -> ComponentGroup;
        fn groups(q: &GroupQuery) -> Page<ComponentGroup>;
        fn create_group(cx: WriteContext, new: &NewComponentGroup, fx: &EffectsFn<'_, ComponentGroup>) -> ComponentGroup;
        fn update_group(cx: WriteContext, id: GroupId, patch: &ComponentGroupPatch, fx: &EffectsFn<'_, Changed<ComponentGroup>>) -> ComponentGroup;
        fn delete_group(cx: WriteContext, id: GroupId, fx: &EffectsFn<'_, ComponentGroup>) -> ();
    }
    IncidentStore {
        fn incident(id: IncidentId) -> Incident;
        fn incidents(q: &IncidentQuery) -> Page<Incident>;
        fn create_incident(cx: WriteContext, new: &NewIncident, fx: &EffectsFn<'_, Incident>) -> Incident;
        fn update_incident(cx: WriteContext, id: IncidentId, patch: &IncidentPatch, fx: &EffectsFn<'_, Changed<Incident>>) -> Incident;
        fn delete_incident(cx: WriteContext, id: IncidentId, fx: &EffectsFn<'_, Incident>) -> ();
        fn incident_update(incident: IncidentId, id: IncidentUpdateId) -> IncidentUpdate;
        fn incident_updates(incident: IncidentId, page: PageRequest) -> Page<IncidentUpdate>;
        fn incident_updates_of(incidents: &[IncidentId]) -> Vec<IncidentUpdate>;
        fn create_incident_update(cx: WriteContext, incident: IncidentId, new: &NewIncidentUpdate, fx: &EffectsFn<'_, IncidentUpdate>) -> IncidentUpdate;
        fn update_incident_update(cx: WriteContext, incident: IncidentId, id: IncidentUpdateId, patch: &IncidentUpdatePatch, fx: &EffectsFn<'_, Changed<IncidentUpdate>>) -> IncidentUpdate;
        fn delete_incident_update(cx: WriteContext, incident: IncidentId, id: IncidentUpdateId, fx: &EffectsFn<'_, IncidentUpdate>) -> ();
        fn template(id: TemplateId) -> IncidentTemplate;
        fn templates(q: &TemplateQuery) -> Page<IncidentTemplate>;
        fn create_template(cx: WriteContext, new: &NewIncidentTemplate, fx: &EffectsFn<'_, IncidentTemplate>) -> IncidentTemplate;
        fn update_template(cx: WriteContext, id: TemplateId, patch: &IncidentTemplatePatch, fx: &EffectsFn<'_, Changed<IncidentTemplate>>) -> IncidentTemplate;
        fn delete_template(cx: WriteContext, id: TemplateId, fx: &EffectsFn<'_, IncidentTemplate>) -> ();
    }
    ScheduleStore {
        fn schedule(id: ScheduleId) -> Schedule;
        fn schedules(q: &ScheduleQuery) -> Page<Schedule>;
        fn create_schedule(cx: WriteContext, new: &NewSchedule, fx: &EffectsFn<'_, Schedule>) -> Schedule;
        fn update_schedule(cx: WriteContext, id: ScheduleId, patch: &SchedulePatch, fx: &EffectsFn<'_, Changed<Schedule>>) -> Schedule;
        fn delete_schedule(cx: WriteContext, id: ScheduleId, fx: &EffectsFn<'_, Schedule>) -> ();
        fn schedule_updates(schedule: ScheduleId) -> Vec<ScheduleUpdate>;
        fn create_schedule_update(cx: WriteContext, schedule: ScheduleId, new: &NewScheduleUpdate, fx: &EffectsFn<'_, ScheduleUpdate>) -> ScheduleUpdate;
        fn delete_schedule_update(cx: WriteContext, schedule: ScheduleId, id: ScheduleUpdateId, fx: &EffectsFn<'_, ScheduleUpdate>) -> ();
    }
    MetricStore {
        fn metric(id: MetricId) -> Metric;
        fn metrics(q: &MetricQuery) -> Page<Metric>;
        fn create_metric(cx: WriteContext, new: &NewMetric, fx: &EffectsFn<'_, Metric>) -> Metric;
        fn update_metric(cx: WriteContext, id: MetricId, patch: &MetricPatch, fx: &EffectsFn<'_, Changed<Metric>>) -> Metric;
        fn delete_metric(cx: WriteContext, id: MetricId, fx: &EffectsFn<'_, Metric>) -> ();
        fn metric_point(metric: MetricId, id: MetricPointId) -> MetricPoint;
        fn metric_points(metric: MetricId, q: &MetricPointQuery) -> Page<MetricPoint>;
        fn record_metric_point(cx: WriteContext, metric: MetricId, new: &NewMetricPoint, fx: &EffectsFn<'_, MetricPoint>) -> MetricPoint;
        fn update_metric_point(cx: WriteContext, metric: MetricId, id: MetricPointId, value: crate::validate::MetricValue, created_at: Option<Timestamp>, fx: &EffectsFn<'_, Changed<MetricPoint>>) -> MetricPoint;
        fn delete_metric_point(cx: WriteContext, metric: MetricId, id: MetricPointId, fx: &EffectsFn<'_, MetricPoint>) -> ();
    }
    SubscriberStore {
        fn subscriber(id: SubscriberId) -> Subscriber;
        fn subscribers_by_id(ids: &[SubscriberId]) -> Vec<Subscriber>;
        fn subscriber_by_blind_index(index: &BlindIndex) -> Option<Subscriber>;
        fn subscribers(q: &SubscriberQuery) -> Page<Subscriber>;
        fn create_subscriber(cx: WriteContext, new: &NewSubscriber, fx: &EffectsFn<'_, Subscriber>) -> Subscriber;
        fn update_subscriber(cx: WriteContext, id: SubscriberId, patch: &SubscriberPatch, fx: &EffectsFn<'_, Changed<Subscriber>>) -> Subscriber;
        fn delete_subscriber(cx: WriteContext, id: SubscriberId, fx: &EffectsFn<'_, Subscriber>) -> ();
        fn subscription(id: SubscriptionId) -> Subscription;
        fn subscriptions_of(subscriber: SubscriberId) -> Vec<Subscription>;
        fn delete_subscription(cx: WriteContext, id: SubscriptionId, fx: &EffectsFn<'_, Subscription>) -> ();
    }
    WebhookStore {
        fn webhook(id: WebhookId) -> Webhook;
        fn webhooks() -> Vec<Webhook>;
        fn create_webhook(cx: WriteContext, new: &NewWebhook, fx: &EffectsFn<'_, Webhook>) -> Webhook;
        fn update_webhook(cx: WriteContext, id: WebhookId, patch: &WebhookPatch, fx: &EffectsFn<'_, Changed<Webhook>>) -> Webhook;
        fn delete_webhook(cx: WriteContext, id: WebhookId, fx: &EffectsFn<'_, Webhook>) -> ();
    }
    AlertStore {
        fn integration(id: IntegrationId) -> Integration;
        fn integration_by_secret(hash: &TokenHash) -> Option<Integration>;
        fn integrations() -> Vec<Integration>;
        fn create_integration(cx: WriteContext, new: &NewIntegration, fx: &EffectsFn<'_, Integration>) -> Integration;
        fn update_integration(cx: WriteContext, id: IntegrationId, patch: &IntegrationPatch, fx: &EffectsFn<'_, Changed<Integration>>) -> Integration;
        fn delete_integration(cx: WriteContext, id: IntegrationId, fx: &EffectsFn<'_, Integration>) -> ();
        fn alert_rule(id: AlertRuleId) -> AlertRule;
        fn alert_rules(integration: Option<IntegrationId>) -> Vec<AlertRule>;
        fn create_alert_rule(cx: WriteContext, new: &NewAlertRule, fx: &EffectsFn<'_, AlertRule>) -> AlertRule;
        fn update_alert_rule(cx: WriteContext, id: AlertRuleId, settings: &AlertRuleSettings, fx: &EffectsFn<'_, Changed<AlertRule>>) -> AlertRule;
        fn delete_alert_rule(cx: WriteContext, id: AlertRuleId, fx: &EffectsFn<'_, AlertRule>) -> ();
        fn alert_states() -> Vec<AlertState>;
        fn observe_alert(cx: WriteContext, obs: &AlertObservation) -> bool;
        fn settle_alert(rule: AlertRuleId, key: &AlertKey, firing: bool, since: Timestamp) -> bool;
    }
    PeopleStore {
        fn user(id: UserId) -> User;
        fn user_by_email(email: &crate::validate::Email) -> Option<User>;
        fn users(q: &UserQuery) -> Page<User>;
        fn create_user(cx: WriteContext, new: &NewUser, fx: &EffectsFn<'_, User>) -> User;
        fn update_user(cx: WriteContext, id: UserId, patch: &UserPatch, fx: &EffectsFn<'_, Changed<User>>) -> User;
        fn delete_user(cx: WriteContext, id: UserId, fx: &EffectsFn<'_, User>) -> ();
        fn password_history(user: UserId) -> Vec<PasswordHash>;
        fn accept_totp_step(user: UserId, step: i64) -> bool;
        fn replace_recovery_codes(cx: WriteContext, user: UserId, codes: &[TokenHash], fx: &EffectsFn<'_, UserId>) -> ();
        fn use_recovery_code(cx: WriteContext, user: UserId, code: &TokenHash, fx: &EffectsFn<'_, UserId>) -> bool;
        fn recovery_codes_left(user: UserId) -> u32;
        fn api_token(id: ApiTokenId) -> ApiToken;
        fn api_token_by_hash(hash: &TokenHash) -> Option<ApiToken>;
        fn api_tokens(q: &ApiTokenQuery) -> Page<ApiToken>;
        fn create_api_token(cx: WriteContext, new: &NewApiToken, fx: &EffectsFn<'_, ApiToken>) -> ApiToken;
        fn update_api_token(cx: WriteContext, id: ApiTokenId, patch: &ApiTokenPatch, fx: &EffectsFn<'_, Changed<ApiToken>>) -> ApiToken;
        fn delete_api_token(cx: WriteContext, id: ApiTokenId, fx: &EffectsFn<'_, ApiToken>) -> ();
        fn session_by_hash(hash: &TokenHash) -> Option<Session>;
        fn sessions_of(user: UserId) -> Vec<Session>;
        fn create_session(cx: WriteContext, new: &NewSession) -> Session;
        fn update_session(id: SessionId, patch: &SessionPatch) -> Session;
        fn delete_session(id: SessionId) -> ();
        fn delete_sessions_of(user: UserId, except: Option<SessionId>) -> u64;
        fn delete_expired_sessions(now: Timestamp) -> u64;
        fn create_one_time_token(cx: WriteContext, new: &NewOneTimeToken) -> OneTimeToken;
        fn consume_one_time_token(purpose: TokenPurpose, hash: &TokenHash, now: Timestamp) -> Option<OneTimeToken>;
        fn peek_one_time_token(purpose: TokenPurpose, hash: &TokenHash, now: Timestamp) -> Option<OneTimeToken>;
        fn end_one_time_tokens(purpose: TokenPurpose, subject: i64, now: Timestamp) -> u64;
        fn prune_one_time_tokens(now: Timestamp) -> u64;
    }
    ThrottleStore {
        fn throttle(key: &str) -> Option<ThrottleState>;
        fn save_throttle(state: &ThrottleState) -> ();
        fn clear_throttle(key: &str) -> ();
        fn prune_throttles(before: Timestamp) -> u64;
    }
    RateLimitStore {
        fn hit_rate_limit(key: &RateLimitKey, window: RateLimitWindow, limit: u32) -> WindowCounts;
        fn prune_rate_limits(before: Timestamp) -> u64;
    }
    IdempotencyStore {
        fn claim_idempotency_key(claim: &IdempotencyClaim) -> IdempotencyOutcome;
        fn finish_idempotency_key(key: &str, fingerprint: &str, answer: &IdempotentAnswer) -> ();
        fn release_idempotency_key(key: &str, fingerprint: &str) -> ();
        fn prune_idempotency_keys(before: Timestamp) -> u64;
    }
    AuditStore {
        fn append_audit(event: &NewAuditEvent) -> AuditEvent;
        fn audit_events(q: &AuditQuery) -> Page<AuditEvent>;
        fn prune_audit(before: Timestamp) -> u64;
    }
    OutboxStore {
        fn enqueue(cx: WriteContext, event: &NewOutboxEvent) -> OutboxEvent;
        fn outbox_events(q: &OutboxQuery) -> Page<OutboxEvent>;
        fn outbox_event(id: OutboxEventId) -> OutboxEvent;
        fn claim_outbox_events(owner: &str, now: Timestamp, lease_until: Timestamp, limit: u32) -> Vec<OutboxEvent>;
        fn complete_outbox_event(cx: WriteContext, id: OutboxEventId, owner: &str, deliveries: &[NewDelivery]) -> ();
        fn fail_outbox_event(id: OutboxEventId, owner: &str, error: &str, retry_at: Option<Timestamp>) -> ();
        fn claim_deliveries(owner: &str, channel: Option<&str>, now: Timestamp, lease_until: Timestamp, limit: u32) -> Vec<Delivery>;
        fn record_delivery_attempt(id: DeliveryId, owner: &str, attempt: &NewDeliveryAttempt) -> Delivery;
        fn record_delivery_attempts(owner: &str, attempts: &[(DeliveryId, NewDeliveryAttempt)]) -> Vec<bool>;
        fn renew_outbox_leases(owner: &str, events: &[OutboxEventId], deliveries: &[DeliveryId], lease_until: Timestamp) -> u64;
        fn release_outbox_leases(owner: &str) -> u64;
        fn release_deliveries(owner: &str, ids: &[DeliveryId]) -> u64;
        fn deliveries(q: &DeliveryQuery) -> Page<Delivery>;
        fn delivery_attempts(id: DeliveryId) -> Vec<DeliveryAttempt>;
        fn prune_outbox(before: Timestamp) -> u64;
    }
    BackupStore {
        fn dump() -> crate::store::backup::Dump;
        fn load(dump: &crate::store::backup::Dump) -> ();
    }
}
