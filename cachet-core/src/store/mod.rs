//! The storage contract.
//!
//! [`Store`] is object-safe and held as `Arc<dyn Store>`, so the `Cachet` facade and both web
//! adapters hold one non-generic handle, and a host application can bring its own backend.
//! `cachet-store` implements it on SQLite, PostgreSQL and MySQL; [`memory::MemoryStore`] is the
//! reference implementation.
//!
//! # Rules every implementation keeps
//!
//! - **Inputs are already valid.** Values arrive as validated types; a store enforces only
//!   uniqueness ([`StoreError::Conflict`]) and references ([`StoreError::Invalid`]).
//! - **Reads re-validate.** A row that fails the model's validation is
//!   [`StoreError::Corrupt`], so a tampered database cannot inject markup or header breaks.
//! - **Multi-row changes are single methods and atomic.** A write, its [`Effects`] (audit
//!   entries and outbox events, built by a closure from the written entity) and the revision
//!   bump commit together or not at all.
//! - **Filters and sorts are typed** ([`query`]): there is no way to pass a column name.
//! - **Times** are UTC with microsecond precision and come from the caller's [`WriteContext`]
//!   (the core's [`crate::clock::Clock`]), never from the database server's clock.
//! - **[`RevisionStore::revision`]** grows with every write that changes what the public
//!   pages show, so snapshot caches can tell when to re-render. Security bookkeeping
//!   (sessions, login throttling, one-time tokens, lone audit entries, token last-use, outbox
//!   progress) does not bump it, so an attacker hammering the sign-in form cannot thrash the
//!   page cache.
//!
//! # The traits
//!
//! The contract is split by area, one object-safe trait each: [`RevisionStore`] (the revision
//! and a health check), [`SettingsStore`], [`ComponentStore`] (components and groups),
//! [`IncidentStore`] (incidents, their updates, templates), [`ScheduleStore`],
//! [`MetricStore`], [`SubscriberStore`], [`WebhookStore`], [`AlertStore`], [`PeopleStore`] (users, second
//! factors, API tokens, sessions, one-time tokens), [`ThrottleStore`], [`RateLimitStore`],
//! [`IdempotencyStore`],
//! [`AuditStore`], [`OutboxStore`] and [`BackupStore`] (whole-store dump and load, for
//! `cachet export` / `cachet restore`). [`Store`] is all of them at once, with a blanket
//! impl, so code holds one `Arc<dyn Store>` and brings the methods into scope with
//! [`prelude`]:
//!
//! ```
//! use std::sync::Arc;
//!
//! use cachet_core::store::memory::MemoryStore;
//! use cachet_core::store::prelude::*;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
//! assert_eq!(store.revision().await?, 0);
//! # Ok::<_, cachet_core::store::StoreError>(())
//! # }).unwrap();
//! ```
//!
//! # Implementing a store
//!
//! Implement every area's trait (one `#[async_trait]` impl block each); the type is then a
//! [`Store`]. [`RateLimitStore`] has a default for every method: an empty impl block compiles,
//! and then the web layer keeps its rate limits local (the conformance suite's rate-limit
//! checks expect the area, though). Updates apply their patch with the model's one rule (for example
//! [`ComponentPatch::apply_to`]) and write the result, so every backend changes exactly the
//! fields a patch names. Then prove the store with the conformance suite: add `cachet-core`
//! with the `testing` feature as a dev-dependency and write one macro call, as
//! `cachet_core::store_conformance_tests!` (feature `testing`) documents.

pub mod backup;
pub mod error;
pub mod memory;
pub mod query;
pub mod rate_limit;

use async_trait::async_trait;

pub use error::{BoxError, StoreError, StoreResult};
pub use query::*;
pub use rate_limit::{RateLimitKey, RateLimitWindow, WindowCounts, WindowDecision};

use crate::model::*;

/// What a write records besides itself: audit entries and outbox events, committed in the
/// same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effects {
    /// Audit entries to append.
    pub audit: Vec<NewAuditEvent>,
    /// Outbox events to enqueue.
    pub outbox: Vec<NewOutboxEvent>,
}

impl Effects {
    /// Nothing.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// One audit entry.
    #[must_use]
    pub fn audit(event: NewAuditEvent) -> Self {
        Self {
            audit: vec![event],
            outbox: Vec::new(),
        }
    }

    /// Adds an outbox event.
    #[must_use]
    pub fn with_outbox(mut self, event: NewOutboxEvent) -> Self {
        self.outbox.push(event);
        self
    }

    /// Adds an audit entry.
    #[must_use]
    pub fn with_audit(mut self, event: NewAuditEvent) -> Self {
        self.audit.push(event);
        self
    }
}

/// Builds a write's [`Effects`] from what was written (the created, deleted or changed entity),
/// so audit entries and events can name ids the store assigned. Must be pure: it may run
/// inside a database transaction.
pub type EffectsFn<'a, T> = dyn Fn(&T) -> Effects + Send + Sync + 'a;

/// An [`EffectsFn`] that records nothing.
#[must_use]
pub fn no_effects<T>(_: &T) -> Effects {
    Effects::none()
}

/// An entity before and after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed<T> {
    /// As it was.
    pub before: T,
    /// As it is now.
    pub after: T,
}

/// The time of a write, passed by the caller from its [`crate::clock::Clock`] so every
/// backend stamps the same instant and tests control it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteContext {
    /// The write's time: `created_at` / `updated_at` / history `at`.
    pub now: Timestamp,
}

impl WriteContext {
    /// A write at `now`.
    #[must_use]
    pub fn at(now: Timestamp) -> Self {
        Self { now }
    }
}

/// What every store has whatever it holds: the public-content revision and a health check.
#[async_trait]
pub trait RevisionStore: Send + Sync {
    /// A number that grows with every write that changes public content. Must be cheap.
    async fn revision(&self) -> StoreResult<u64>;

    /// Checks that the backend answers (for `/health`).
    async fn ping(&self) -> StoreResult<()> {
        self.revision().await.map(|_| ())
    }

    /// The connection pool's use now, for the operators' metrics; `None` (the default) for a
    /// store without a pool, such as the in-memory store.
    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }
}

/// A connection pool's use at one moment ([`RevisionStore::pool_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// Connections open now, in use or idle.
    pub open: u32,
    /// Of those, connections idle in the pool.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl PoolStats {
    /// Figures of a pool: `open` connections of which `idle` are idle, at most `max`.
    #[must_use]
    pub fn new(open: u32, idle: u32, max: u32) -> Self {
        Self { open, idle, max }
    }

    /// Connections in use now.
    #[must_use]
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// Site settings.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Every stored setting, by key name.
    async fn settings(&self) -> StoreResult<Vec<(SettingKey, String)>>;
    /// Inserts or replaces settings, with effects, atomically.
    async fn put_settings(
        &self,
        cx: WriteContext,
        values: &[(SettingKey, String)],
        fx: &Effects,
    ) -> StoreResult<()>;
}

/// Components, their status history and component groups.
#[async_trait]
pub trait ComponentStore: Send + Sync {
    // ---- components -------------------------------------------------------------------------

    /// One component.
    async fn component(&self, id: ComponentId) -> StoreResult<Component>;
    /// Components matching a query.
    async fn components(&self, q: &ComponentQuery) -> StoreResult<Page<Component>>;
    /// Creates a component and its first status history entry. Unknown group: `Invalid`.
    async fn create_component(
        &self,
        cx: WriteContext,
        new: &NewComponent,
        fx: &EffectsFn<'_, Component>,
    ) -> StoreResult<Component>;
    /// Changes a component; a different status adds a history entry with the patch's cause.
    async fn update_component(
        &self,
        cx: WriteContext,
        id: ComponentId,
        patch: &ComponentPatch,
        fx: &EffectsFn<'_, Changed<Component>>,
    ) -> StoreResult<Component>;
    /// Deletes a component with its tags, history, subscriptions and its rows in incidents and
    /// schedules.
    async fn delete_component(
        &self,
        cx: WriteContext,
        id: ComponentId,
        fx: &EffectsFn<'_, Component>,
    ) -> StoreResult<()>;
    /// A component's status history from `since` on, oldest first, plus the last entry
    /// before `since` (so the status at `since` is known).
    async fn status_history(
        &self,
        id: ComponentId,
        since: Timestamp,
    ) -> StoreResult<Vec<StatusChange>>;

    // ---- component groups -------------------------------------------------------------------

    /// One group.
    async fn group(&self, id: GroupId) -> StoreResult<ComponentGroup>;
    /// Groups matching a query.
    async fn groups(&self, q: &GroupQuery) -> StoreResult<Page<ComponentGroup>>;
    /// Creates a group.
    async fn create_group(
        &self,
        cx: WriteContext,
        new: &NewComponentGroup,
        fx: &EffectsFn<'_, ComponentGroup>,
    ) -> StoreResult<ComponentGroup>;
    /// Changes a group.
    async fn update_group(
        &self,
        cx: WriteContext,
        id: GroupId,
        patch: &ComponentGroupPatch,
        fx: &EffectsFn<'_, Changed<ComponentGroup>>,
    ) -> StoreResult<ComponentGroup>;
    /// Deletes a group; its components become ungrouped.
    async fn delete_group(
        &self,
        cx: WriteContext,
        id: GroupId,
        fx: &EffectsFn<'_, ComponentGroup>,
    ) -> StoreResult<()>;
}

/// Incidents, their updates and incident templates.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    // ---- incidents --------------------------------------------------------------------------

    /// One incident.
    async fn incident(&self, id: IncidentId) -> StoreResult<Incident>;
    /// Incidents matching a query.
    async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Page<Incident>>;
    /// Creates an incident with its affected components (applying their statuses, with
    /// history, when asked) atomically. Unknown component or user: `Invalid`.
    async fn create_incident(
        &self,
        cx: WriteContext,
        new: &NewIncident,
        fx: &EffectsFn<'_, Incident>,
    ) -> StoreResult<Incident>;
    /// Changes an incident.
    async fn update_incident(
        &self,
        cx: WriteContext,
        id: IncidentId,
        patch: &IncidentPatch,
        fx: &EffectsFn<'_, Changed<Incident>>,
    ) -> StoreResult<Incident>;
    /// Deletes an incident with its updates.
    async fn delete_incident(
        &self,
        cx: WriteContext,
        id: IncidentId,
        fx: &EffectsFn<'_, Incident>,
    ) -> StoreResult<()>;

    /// One update of an incident (`NotFound` if it belongs to another incident).
    async fn incident_update(
        &self,
        incident: IncidentId,
        id: IncidentUpdateId,
    ) -> StoreResult<IncidentUpdate>;
    /// An incident's updates, newest first. Unknown incident: `NotFound`.
    async fn incident_updates(
        &self,
        incident: IncidentId,
        page: PageRequest,
    ) -> StoreResult<Page<IncidentUpdate>>;
    /// The updates of several incidents at once, newest first within each incident (grouped
    /// by incident in no particular order); unknown ids are skipped. The pages' timeline and
    /// the feeds would otherwise load them one incident at a time. The default asks
    /// [`IncidentStore::incident_updates`] per incident; the bundled stores answer in one query.
    async fn incident_updates_of(
        &self,
        incidents: &[IncidentId],
    ) -> StoreResult<Vec<IncidentUpdate>> {
        let mut out = Vec::new();
        for id in incidents {
            match self.incident_updates(*id, PageRequest::all()).await {
                Ok(page) => out.extend(page.items),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
    /// Posts an update; sets the incident's status (and the given component's status, with
    /// history) in the same transaction.
    async fn create_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        new: &NewIncidentUpdate,
        fx: &EffectsFn<'_, IncidentUpdate>,
    ) -> StoreResult<IncidentUpdate>;
    /// Edits an update.
    async fn update_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        id: IncidentUpdateId,
        patch: &IncidentUpdatePatch,
        fx: &EffectsFn<'_, Changed<IncidentUpdate>>,
    ) -> StoreResult<IncidentUpdate>;
    /// Deletes an update.
    async fn delete_incident_update(
        &self,
        cx: WriteContext,
        incident: IncidentId,
        id: IncidentUpdateId,
        fx: &EffectsFn<'_, IncidentUpdate>,
    ) -> StoreResult<()>;

    // ---- incident templates -----------------------------------------------------------------

    /// One template.
    async fn template(&self, id: TemplateId) -> StoreResult<IncidentTemplate>;
    /// Templates matching a query.
    async fn templates(&self, q: &TemplateQuery) -> StoreResult<Page<IncidentTemplate>>;
    /// Creates a template. Duplicate slug: `Conflict`.
    async fn create_template(
        &self,
        cx: WriteContext,
        new: &NewIncidentTemplate,
        fx: &EffectsFn<'_, IncidentTemplate>,
    ) -> StoreResult<IncidentTemplate>;
    /// Changes a template. Duplicate slug: `Conflict`.
    async fn update_template(
        &self,
        cx: WriteContext,
        id: TemplateId,
        patch: &IncidentTemplatePatch,
        fx: &EffectsFn<'_, Changed<IncidentTemplate>>,
    ) -> StoreResult<IncidentTemplate>;
    /// Deletes a template.
    async fn delete_template(
        &self,
        cx: WriteContext,
        id: TemplateId,
        fx: &EffectsFn<'_, IncidentTemplate>,
    ) -> StoreResult<()>;
}

/// Maintenance schedules and their updates.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// One schedule.
    async fn schedule(&self, id: ScheduleId) -> StoreResult<Schedule>;
    /// Schedules matching a query.
    async fn schedules(&self, q: &ScheduleQuery) -> StoreResult<Page<Schedule>>;
    /// Creates a schedule. Unknown component: `Invalid`.
    async fn create_schedule(
        &self,
        cx: WriteContext,
        new: &NewSchedule,
        fx: &EffectsFn<'_, Schedule>,
    ) -> StoreResult<Schedule>;
    /// Changes a schedule; with `expected_status` set, only if the stored status matches
    /// (else `Conflict`).
    async fn update_schedule(
        &self,
        cx: WriteContext,
        id: ScheduleId,
        patch: &SchedulePatch,
        fx: &EffectsFn<'_, Changed<Schedule>>,
    ) -> StoreResult<Schedule>;
    /// Deletes a schedule with its updates.
    async fn delete_schedule(
        &self,
        cx: WriteContext,
        id: ScheduleId,
        fx: &EffectsFn<'_, Schedule>,
    ) -> StoreResult<()>;
    /// A schedule's updates, oldest first. Unknown schedule: `NotFound`.
    async fn schedule_updates(&self, schedule: ScheduleId) -> StoreResult<Vec<ScheduleUpdate>>;
    /// Posts a schedule update.
    async fn create_schedule_update(
        &self,
        cx: WriteContext,
        schedule: ScheduleId,
        new: &NewScheduleUpdate,
        fx: &EffectsFn<'_, ScheduleUpdate>,
    ) -> StoreResult<ScheduleUpdate>;
    /// Deletes a schedule update.
    async fn delete_schedule_update(
        &self,
        cx: WriteContext,
        schedule: ScheduleId,
        id: ScheduleUpdateId,
        fx: &EffectsFn<'_, ScheduleUpdate>,
    ) -> StoreResult<()>;
}

/// Metrics and their points.
#[async_trait]
pub trait MetricStore: Send + Sync {
    /// One metric.
    async fn metric(&self, id: MetricId) -> StoreResult<Metric>;
    /// Metrics matching a query.
    async fn metrics(&self, q: &MetricQuery) -> StoreResult<Page<Metric>>;
    /// Creates a metric.
    async fn create_metric(
        &self,
        cx: WriteContext,
        new: &NewMetric,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<Metric>;
    /// Changes a metric.
    async fn update_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        patch: &MetricPatch,
        fx: &EffectsFn<'_, Changed<Metric>>,
    ) -> StoreResult<Metric>;
    /// Deletes a metric with its points.
    async fn delete_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<()>;

    /// One point of a metric (`NotFound` if it belongs to another metric).
    async fn metric_point(&self, metric: MetricId, id: MetricPointId) -> StoreResult<MetricPoint>;
    /// A metric's points. Unknown metric: `NotFound`.
    async fn metric_points(
        &self,
        metric: MetricId,
        q: &MetricPointQuery,
    ) -> StoreResult<Page<MetricPoint>>;
    /// Records a point with Cachet's merge rule (see [`NewMetricPoint`]), atomically.
    async fn record_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        new: &NewMetricPoint,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<MetricPoint>;
    /// Changes a point's value and, optionally, its time.
    async fn update_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        value: crate::validate::MetricValue,
        created_at: Option<Timestamp>,
        fx: &EffectsFn<'_, Changed<MetricPoint>>,
    ) -> StoreResult<MetricPoint>;
    /// Deletes a point.
    async fn delete_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<()>;
}

/// Subscribers and their subscriptions.
#[async_trait]
pub trait SubscriberStore: Send + Sync {
    /// One subscriber.
    async fn subscriber(&self, id: SubscriberId) -> StoreResult<Subscriber>;
    /// The subscribers with these ids, each once, in id order; an id without a subscriber
    /// is left out (it does not fail the others).
    ///
    /// The dispatcher reads the subscribers of a claimed batch of deliveries with it. The
    /// default asks [`SubscriberStore::subscriber`] for each; the SQL stores answer with two
    /// queries per 500 ids.
    async fn subscribers_by_id(&self, ids: &[SubscriberId]) -> StoreResult<Vec<Subscriber>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.subscriber(id).await {
                Ok(s) => found.push(s),
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }
    /// The subscriber with this blind index, if any.
    async fn subscriber_by_blind_index(
        &self,
        index: &BlindIndex,
    ) -> StoreResult<Option<Subscriber>>;
    /// Subscribers matching a query.
    async fn subscribers(&self, q: &SubscriberQuery) -> StoreResult<Page<Subscriber>>;
    /// The verified subscribers a notification about `components` reaches, with their
    /// channels: every global subscriber (one without subscriptions) and, when `components`
    /// is not empty, every subscriber of any of them; each once, in id order, those after
    /// `after`, at most `limit`.
    ///
    /// This is the dispatcher's fan-out scan, paged by `after` (keyset). The default pages
    /// through [`SubscriberStore::subscribers`]; a backend with many subscribers answers it
    /// with one lean query per page (no count, no addresses), as the SQL stores do.
    async fn audience(
        &self,
        components: &[ComponentId],
        after: Option<SubscriberId>,
        limit: u32,
    ) -> StoreResult<Vec<(SubscriberId, SubscriberChannel)>> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut after = after;
        while out.len() < limit {
            let page = self
                .subscribers(
                    &SubscriberQuery::filtered(SubscriberFilter {
                        verified: Some(true),
                        notified_about: None,
                        created_before: None,
                        after_id: after,
                    })
                    .paged(PageRequest::new(1, PageRequest::MAX_PER_PAGE)),
                )
                .await?;
            let full = page.items.len() >= PageRequest::MAX_PER_PAGE as usize;
            after = page.items.last().map(|s| s.id);
            out.extend(
                page.items
                    .into_iter()
                    .filter(|s| s.global || s.components.iter().any(|c| components.contains(c)))
                    .map(|s| (s.id, s.channel)),
            );
            if !full || after.is_none() {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }
    /// Creates a subscriber with their subscriptions. Same blind index: `Conflict`.
    async fn create_subscriber(
        &self,
        cx: WriteContext,
        new: &NewSubscriber,
        fx: &EffectsFn<'_, Subscriber>,
    ) -> StoreResult<Subscriber>;
    /// Changes a subscriber.
    async fn update_subscriber(
        &self,
        cx: WriteContext,
        id: SubscriberId,
        patch: &SubscriberPatch,
        fx: &EffectsFn<'_, Changed<Subscriber>>,
    ) -> StoreResult<Subscriber>;
    /// Deletes a subscriber with their subscriptions (erasure).
    async fn delete_subscriber(
        &self,
        cx: WriteContext,
        id: SubscriberId,
        fx: &EffectsFn<'_, Subscriber>,
    ) -> StoreResult<()>;
    /// One subscription.
    async fn subscription(&self, id: SubscriptionId) -> StoreResult<Subscription>;
    /// A subscriber's subscriptions, by component id.
    async fn subscriptions_of(&self, subscriber: SubscriberId) -> StoreResult<Vec<Subscription>>;
    /// Deletes one subscription; a subscriber left with none becomes global.
    async fn delete_subscription(
        &self,
        cx: WriteContext,
        id: SubscriptionId,
        fx: &EffectsFn<'_, Subscription>,
    ) -> StoreResult<()>;
}

/// Webhook endpoints.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// One webhook endpoint.
    async fn webhook(&self, id: WebhookId) -> StoreResult<Webhook>;
    /// All webhook endpoints, by id.
    async fn webhooks(&self) -> StoreResult<Vec<Webhook>>;
    /// Creates a webhook endpoint.
    async fn create_webhook(
        &self,
        cx: WriteContext,
        new: &NewWebhook,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<Webhook>;
    /// Changes a webhook endpoint.
    async fn update_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        patch: &WebhookPatch,
        fx: &EffectsFn<'_, Changed<Webhook>>,
    ) -> StoreResult<Webhook>;
    /// Deletes a webhook endpoint.
    async fn delete_webhook(
        &self,
        cx: WriteContext,
        id: WebhookId,
        fx: &EffectsFn<'_, Webhook>,
    ) -> StoreResult<()>;
}

/// Inbound monitoring alerts: integrations, their rules and the state of each alert a rule
/// matched. Added after the first release, so every method has a default
/// ([`StoreError::Unsupported`]) and a custom backend keeps compiling with an empty impl;
/// the conformance suite expects the area. Integration and rule writes carry effects (the
/// audit entry) and bump the revision like the webhook area's; alert-state writes are
/// bookkeeping: no effects, no revision bump (a sender repeating its alerts must not thrash
/// the snapshot cache).
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// One integration.
    async fn integration(&self, id: IntegrationId) -> StoreResult<Integration> {
        let _ = id;
        Err(alerts_unsupported())
    }
    /// The integration whose secret has this hash, if any.
    async fn integration_by_secret(&self, hash: &TokenHash) -> StoreResult<Option<Integration>> {
        let _ = hash;
        Err(alerts_unsupported())
    }
    /// All integrations, by id.
    async fn integrations(&self) -> StoreResult<Vec<Integration>> {
        Err(alerts_unsupported())
    }
    /// Creates an integration. The same secret hash as another: `Conflict`.
    async fn create_integration(
        &self,
        cx: WriteContext,
        new: &NewIntegration,
        fx: &EffectsFn<'_, Integration>,
    ) -> StoreResult<Integration> {
        let _ = (cx, new, fx);
        Err(alerts_unsupported())
    }
    /// Changes an integration.
    async fn update_integration(
        &self,
        cx: WriteContext,
        id: IntegrationId,
        patch: &IntegrationPatch,
        fx: &EffectsFn<'_, Changed<Integration>>,
    ) -> StoreResult<Integration> {
        let _ = (cx, id, patch, fx);
        Err(alerts_unsupported())
    }
    /// Deletes an integration with its rules and their alert states.
    async fn delete_integration(
        &self,
        cx: WriteContext,
        id: IntegrationId,
        fx: &EffectsFn<'_, Integration>,
    ) -> StoreResult<()> {
        let _ = (cx, id, fx);
        Err(alerts_unsupported())
    }
    /// One rule.
    async fn alert_rule(&self, id: AlertRuleId) -> StoreResult<AlertRule> {
        let _ = id;
        Err(alerts_unsupported())
    }
    /// The rules of one integration, or of all, by id.
    async fn alert_rules(&self, integration: Option<IntegrationId>) -> StoreResult<Vec<AlertRule>> {
        let _ = integration;
        Err(alerts_unsupported())
    }
    /// Creates a rule. Unknown integration or component: `Invalid`, nothing written.
    async fn create_alert_rule(
        &self,
        cx: WriteContext,
        new: &NewAlertRule,
        fx: &EffectsFn<'_, AlertRule>,
    ) -> StoreResult<AlertRule> {
        let _ = (cx, new, fx);
        Err(alerts_unsupported())
    }
    /// Replaces a rule's settings ([`AlertRuleSettings::apply_to`]). Unknown component:
    /// `Invalid`. The rule's alert states are kept.
    async fn update_alert_rule(
        &self,
        cx: WriteContext,
        id: AlertRuleId,
        settings: &AlertRuleSettings,
        fx: &EffectsFn<'_, Changed<AlertRule>>,
    ) -> StoreResult<AlertRule> {
        let _ = (cx, id, settings, fx);
        Err(alerts_unsupported())
    }
    /// Deletes a rule with its alert states.
    async fn delete_alert_rule(
        &self,
        cx: WriteContext,
        id: AlertRuleId,
        fx: &EffectsFn<'_, AlertRule>,
    ) -> StoreResult<()> {
        let _ = (cx, id, fx);
        Err(alerts_unsupported())
    }
    /// Every stored alert state, by rule and key.
    async fn alert_states(&self) -> StoreResult<Vec<AlertState>> {
        Err(alerts_unsupported())
    }
    /// Records what a delivery says of one alert, atomically, and answers whether anything
    /// changed: a firing alert without a row gets one (`since` = now, not confirmed); a row
    /// whose `firing` differs flips it and restarts `since` (keeping `confirmed`); the same
    /// state again, or a resolution of an alert without a row, changes nothing. The summary
    /// is written only with a change. Unknown rule: `Invalid`.
    async fn observe_alert(&self, cx: WriteContext, obs: &AlertObservation) -> StoreResult<bool> {
        let _ = (cx, obs);
        Err(alerts_unsupported())
    }
    /// Settles an alert whose state outlasted its hold time, by compare-and-set on what the
    /// caller read (`firing`, `since`): a firing row becomes confirmed, a resolved row is
    /// deleted. Answers whether the row still was as read (else nothing changes: a newer
    /// delivery or another instance came first).
    async fn settle_alert(
        &self,
        rule: AlertRuleId,
        key: &AlertKey,
        firing: bool,
        since: Timestamp,
    ) -> StoreResult<bool> {
        let _ = (rule, key, firing, since);
        Err(alerts_unsupported())
    }
}

fn alerts_unsupported() -> StoreError {
    StoreError::Unsupported {
        feature: "monitoring alert integrations",
    }
}

/// Users and their second factors, API tokens, sessions and one-time tokens.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    // ---- users and 2FA ----------------------------------------------------------------------

    /// One user.
    async fn user(&self, id: UserId) -> StoreResult<User>;
    /// The user with this address, if any.
    async fn user_by_email(&self, email: &crate::validate::Email) -> StoreResult<Option<User>>;
    /// Users matching a query.
    async fn users(&self, q: &UserQuery) -> StoreResult<Page<User>>;
    /// Creates a user. Same email: `Conflict`. With `only_if_no_admin`, `Conflict` when an
    /// admin exists, decided atomically.
    async fn create_user(
        &self,
        cx: WriteContext,
        new: &NewUser,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<User>;
    /// Changes a user. Same email as another: `Conflict`. A patch that replaces the
    /// password hash keeps the replaced hash in the user's password history, in the same
    /// write, and forgets all but the newest [`PASSWORD_HISTORY_LEN`] entries. Only argon2
    /// hashes are kept ([`PasswordHash::is_argon2`]): an imported bcrypt hash is dropped when
    /// the user's first sign-in replaces it.
    async fn update_user(
        &self,
        cx: WriteContext,
        id: UserId,
        patch: &UserPatch,
        fx: &EffectsFn<'_, Changed<User>>,
    ) -> StoreResult<User>;
    /// Deletes a user with their sessions, tokens and recovery codes; their incidents,
    /// updates and schedules keep existing without an author.
    async fn delete_user(
        &self,
        cx: WriteContext,
        id: UserId,
        fx: &EffectsFn<'_, User>,
    ) -> StoreResult<()>;
    /// A user's previous password hashes, newest first (at most [`PASSWORD_HISTORY_LEN`]).
    async fn password_history(&self, user: UserId) -> StoreResult<Vec<PasswordHash>>;
    /// Records `step` as the user's last accepted TOTP step if it is later than the stored
    /// one; returns whether it was (atomic, so a code cannot be replayed concurrently).
    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Replaces a user's recovery codes (hashes).
    async fn replace_recovery_codes(
        &self,
        cx: WriteContext,
        user: UserId,
        codes: &[TokenHash],
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<()>;
    /// Marks an unused recovery code used; returns whether one matched (atomic).
    async fn use_recovery_code(
        &self,
        cx: WriteContext,
        user: UserId,
        code: &TokenHash,
        fx: &EffectsFn<'_, UserId>,
    ) -> StoreResult<bool>;
    /// How many unused recovery codes a user has.
    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32>;

    // ---- API tokens -------------------------------------------------------------------------

    /// One token.
    async fn api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken>;
    /// The token with this hash, if any.
    async fn api_token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiToken>>;
    /// Tokens matching a query.
    async fn api_tokens(&self, q: &ApiTokenQuery) -> StoreResult<Page<ApiToken>>;
    /// Creates a token. Same hash: `Conflict`; unknown user: `Invalid`.
    async fn create_api_token(
        &self,
        cx: WriteContext,
        new: &NewApiToken,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<ApiToken>;
    /// Changes a token (name, last use, revocation).
    async fn update_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        patch: &ApiTokenPatch,
        fx: &EffectsFn<'_, Changed<ApiToken>>,
    ) -> StoreResult<ApiToken>;
    /// Deletes a token.
    async fn delete_api_token(
        &self,
        cx: WriteContext,
        id: ApiTokenId,
        fx: &EffectsFn<'_, ApiToken>,
    ) -> StoreResult<()>;

    // ---- sessions ---------------------------------------------------------------------------

    /// The session with this hash, if any.
    async fn session_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Session>>;
    /// A user's sessions, by id.
    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>>;
    /// Creates a session. Unknown user: `Invalid`; same hash: `Conflict`.
    async fn create_session(&self, cx: WriteContext, new: &NewSession) -> StoreResult<Session>;
    /// Changes a session.
    async fn update_session(&self, id: SessionId, patch: &SessionPatch) -> StoreResult<Session>;
    /// Deletes a session (no error if already gone).
    async fn delete_session(&self, id: SessionId) -> StoreResult<()>;
    /// Deletes all of a user's sessions but `except`; returns how many.
    async fn delete_sessions_of(&self, user: UserId, except: Option<SessionId>)
    -> StoreResult<u64>;
    /// Deletes sessions whose `expires_at` is at or before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;

    // ---- one-time tokens --------------------------------------------------------------------

    /// Issues a one-time token. Same hash: `Conflict`.
    async fn create_one_time_token(
        &self,
        cx: WriteContext,
        new: &NewOneTimeToken,
    ) -> StoreResult<OneTimeToken>;
    /// Uses a token: if one with this purpose and hash exists, is unused and expires after
    /// `now`, marks it used and returns it; otherwise `None`. Atomic, so it works once.
    async fn consume_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>>;
    /// Looks a token up without using it (for confirm pages); same conditions as consuming.
    async fn peek_one_time_token(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>>;
    /// Ends every unused token of `purpose` issued for `subject` (marks it used at `now`), so
    /// one reset link or invitation cannot outlive a password change or its siblings' use;
    /// returns how many ended.
    async fn end_one_time_tokens(
        &self,
        purpose: TokenPurpose,
        subject: i64,
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Deletes tokens that expired at or before `now` or were used; returns how many.
    async fn prune_one_time_tokens(&self, now: Timestamp) -> StoreResult<u64>;
}

/// Login throttling state.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The throttle state for a key, if any.
    async fn throttle(&self, key: &str) -> StoreResult<Option<ThrottleState>>;
    /// Inserts or replaces the throttle state for its key.
    async fn save_throttle(&self, state: &ThrottleState) -> StoreResult<()>;
    /// Forgets a key.
    async fn clear_throttle(&self, key: &str) -> StoreResult<()>;
    /// Forgets keys whose last failure was before `before` and that are not locked at or
    /// after it (retention); returns how many.
    async fn prune_throttles(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Rate limits shared by every instance on one database: one counter row per key, counted by
/// a sliding window counter over two fixed windows ([`rate_limit`] explains the choice).
///
/// Every method has a default, so a backend written before this area existed needs only an
/// empty `impl RateLimitStore for MyStore {}`: [`RateLimitStore::hit_rate_limit`] then answers
/// [`StoreError::Unsupported`], and the web layer keeps deciding with its local limiters.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts one hit on `key` in `window`, atomically (of N concurrent hits on a fresh
    /// window, each sees a different count), and answers the counts the hit sees: this
    /// window's hits, this one included but never more than `limit + 1`, and the previous
    /// window's (the one ending where `window` starts; 0 when its hits are not known). A key
    /// last hit in an older window starts over at 1. A key already counting a later window
    /// (another instance whose clock runs ahead) counts the hit there.
    ///
    /// The default answers [`StoreError::Unsupported`].
    async fn hit_rate_limit(
        &self,
        key: &RateLimitKey,
        window: RateLimitWindow,
        limit: u32,
    ) -> StoreResult<WindowCounts> {
        let _ = (key, window, limit);
        Err(StoreError::Unsupported {
            feature: "shared rate limits",
        })
    }
    /// Forgets keys whose current window started before `before` (retention); returns how
    /// many. The default has nothing to forget.
    async fn prune_rate_limits(&self, before: Timestamp) -> StoreResult<u64> {
        let _ = before;
        Ok(0)
    }
}

/// Idempotent API writes: one record per scoped `Idempotency-Key`.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims a key for a write, atomically: an absent key (or one past retention) is
    /// recorded with the claim's fingerprint and lease and answers
    /// [`IdempotencyOutcome::Started`]; a key recorded with another fingerprint answers
    /// [`IdempotencyOutcome::Mismatch`]; a finished one answers
    /// [`IdempotencyOutcome::Replay`] with its answer; an unfinished one answers
    /// [`IdempotencyOutcome::InFlight`] while its lease holds and is taken over (`Started`,
    /// with the new lease) once the lease has run out. Of several concurrent claims of one
    /// absent key exactly one is `Started`. For a key already recorded,
    /// [`IdempotencyClaim::step`] is that rule: apply it under the lock that makes the claim
    /// atomic.
    async fn claim_idempotency_key(
        &self,
        claim: &IdempotencyClaim,
    ) -> StoreResult<IdempotencyOutcome>;
    /// Stores the answer of a started write under its key and fingerprint, ending its lease.
    /// A key that is no longer recorded with that fingerprint is left alone.
    async fn finish_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        answer: &IdempotentAnswer,
    ) -> StoreResult<()>;
    /// Forgets an unfinished key with that fingerprint, so the next retry runs the write (the
    /// write failed in a way worth retrying). A finished key is left alone.
    async fn release_idempotency_key(&self, key: &str, fingerprint: &str) -> StoreResult<()>;
    /// Deletes records created before `before` (retention); returns how many.
    async fn prune_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one audit entry on its own (sign-in failures, refusals).
    async fn append_audit(&self, event: &NewAuditEvent) -> StoreResult<AuditEvent>;
    /// Audit entries matching a query, newest first.
    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Page<AuditEvent>>;
    /// Deletes audit entries written before `before` (retention); returns how many.
    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The outbox: events, their deliveries and delivery attempts.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Enqueues an event on its own.
    async fn enqueue(&self, cx: WriteContext, event: &NewOutboxEvent) -> StoreResult<OutboxEvent>;
    /// Outbox events matching a query.
    async fn outbox_events(&self, q: &OutboxQuery) -> StoreResult<Page<OutboxEvent>>;
    /// One outbox event (the dispatcher reads a delivery's event to render it). The default
    /// pages through [`OutboxStore::outbox_events`]; backends answer it with one look-up.
    async fn outbox_event(&self, id: OutboxEventId) -> StoreResult<OutboxEvent> {
        let mut page = 1;
        loop {
            let q = OutboxQuery::all().paged(PageRequest::new(page, PageRequest::MAX_PER_PAGE));
            let p = self.outbox_events(&q).await?;
            if let Some(e) = p.items.iter().find(|e| e.id == id) {
                return Ok(e.clone());
            }
            if p.items.len() < PageRequest::MAX_PER_PAGE as usize {
                return Err(StoreError::NotFound {
                    entity: "outbox_event",
                    id: id.get(),
                });
            }
            page += 1;
        }
    }
    /// Leases up to `limit` pending events whose `next_attempt_at` has come and whose lease
    /// (if any) has expired, to `owner` until `lease_until`, earliest due first (then by id). Several dispatchers never get the
    /// same event while its lease holds.
    async fn claim_outbox_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEvent>>;
    /// Fans a leased event out: inserts its deliveries (skipping idempotency keys that exist)
    /// and marks it done, atomically. Not the lease owner: `Conflict`.
    async fn complete_outbox_event(
        &self,
        cx: WriteContext,
        id: OutboxEventId,
        owner: &str,
        deliveries: &[NewDelivery],
    ) -> StoreResult<()>;
    /// Gives a leased event back: retried at `retry_at`, or failed for good when `None`.
    async fn fail_outbox_event(
        &self,
        id: OutboxEventId,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()>;
    /// Leases up to `limit` pending deliveries that are due, as for events, earliest due
    /// first (then by id);
    /// with a `channel`, only that channel's (the dispatcher claims per channel, so a slow
    /// or paced channel never holds the deliveries of another).
    async fn claim_deliveries(
        &self,
        owner: &str,
        channel: Option<&str>,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// Records an attempt on a leased delivery and moves it on (delivered, retry, failed),
    /// releasing the lease, atomically. Not the lease owner: `Conflict`.
    async fn record_delivery_attempt(
        &self,
        id: DeliveryId,
        owner: &str,
        attempt: &NewDeliveryAttempt,
    ) -> StoreResult<Delivery>;
    /// Records attempts on several leased deliveries at once, each as
    /// [`OutboxStore::record_delivery_attempt`] does: the dispatcher records together the
    /// attempts that finished while the store was busy with earlier ones. The answer has one
    /// flag per attempt, in order: `true` when it was recorded, `false` when the delivery is
    /// gone or not `owner`'s (nothing is written for that one, as the single call's
    /// `NotFound` and `Conflict`).
    ///
    /// The bundled stores write the whole group in one transaction, so an error means none
    /// was recorded. The default records one after another and stops at the first error;
    /// the dispatcher then tries the group again, and an attempt recorded before the error
    /// comes back `false` (its lease is released), which only costs it its count as sent.
    async fn record_delivery_attempts(
        &self,
        owner: &str,
        attempts: &[(DeliveryId, NewDeliveryAttempt)],
    ) -> StoreResult<Vec<bool>> {
        let mut recorded = Vec::with_capacity(attempts.len());
        for (id, attempt) in attempts {
            match self.record_delivery_attempt(*id, owner, attempt).await {
                Ok(_) => recorded.push(true),
                Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {
                    recorded.push(false);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(recorded)
    }
    /// Extends `owner`'s leases on these events and deliveries to `lease_until`: the
    /// dispatcher's heartbeat over the work it is doing, so leases can be short and a dead
    /// instance's work is taken over soon. Rows that are no longer pending or not `owner`'s
    /// are left alone. Returns how many leases were extended.
    async fn renew_outbox_leases(
        &self,
        owner: &str,
        events: &[OutboxEventId],
        deliveries: &[DeliveryId],
        lease_until: Timestamp,
    ) -> StoreResult<u64>;
    /// Gives back every lease `owner` holds on a pending event or delivery, so it can be
    /// claimed at once: an instance that starts again under the same name resumes what its
    /// previous run held instead of waiting for those leases to run out. Returns how many.
    async fn release_outbox_leases(&self, owner: &str) -> StoreResult<u64>;
    /// Gives back `owner`'s leases on these pending deliveries (claimed but never started,
    /// at shutdown), so another instance sends them at once. Deliveries that are not pending
    /// or not `owner`'s are left alone. Returns how many.
    async fn release_deliveries(&self, owner: &str, ids: &[DeliveryId]) -> StoreResult<u64>;
    /// Deliveries matching a query.
    async fn deliveries(&self, q: &DeliveryQuery) -> StoreResult<Page<Delivery>>;
    /// A delivery's attempts, oldest first.
    async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>>;
    /// Deletes delivered deliveries (with their attempts) delivered before `before`, and done
    /// events created before it that have no pending delivery left. Failed deliveries are
    /// kept for the admins' delivery log, even when their event is gone (their `event_id`
    /// then names a pruned event). Returns how many rows went.
    async fn prune_outbox(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Whole-store backup: every table's rows as stored, read in one consistent snapshot and
/// loaded into an empty store in one transaction ([`backup`] describes the tables;
/// [`crate::backup`] writes and reads the archive).
///
/// Both methods have defaults answering [`StoreError::Unsupported`], so a backend written
/// before this area existed needs only an empty `impl BackupStore for MyStore {}`; the
/// bundled SQL stores implement them.
#[async_trait]
pub trait BackupStore: Send + Sync {
    /// Every row of every table of [`backup::TABLES`], as stored (sealed values stay key id
    /// and ciphertext), one [`backup::TableRows`] per table in that order, each ordered by
    /// its key, with the content revision: all read in one snapshot, so a dump taken while
    /// the site runs is consistent.
    async fn dump(&self) -> StoreResult<backup::Dump> {
        Err(StoreError::Unsupported {
            feature: "backup and restore",
        })
    }
    /// Loads a dump into this store, which must hold no row at all: otherwise
    /// [`StoreError::Conflict`] with entity [`backup::NOT_EMPTY_ENTITY`] and nothing changes.
    /// Rows keep their ids; id sequences continue after the highest restored id; the
    /// revision becomes the dump's. All in one transaction: on any error nothing is loaded.
    async fn load(&self, dump: &backup::Dump) -> StoreResult<()> {
        let _ = dump;
        Err(StoreError::Unsupported {
            feature: "backup and restore",
        })
    }
}

/// The storage contract: every area's trait at once. See the [module docs](self) for the
/// rules.
///
/// Nothing is implemented on `Store` itself: a type that implements every area's trait is a
/// `Store` through the blanket impl, and `Arc<dyn Store>` calls any area's method once that
/// trait is in scope (`use cachet_core::store::prelude::*;`).
pub trait Store:
    RevisionStore
    + SettingsStore
    + ComponentStore
    + IncidentStore
    + ScheduleStore
    + MetricStore
    + SubscriberStore
    + WebhookStore
    + AlertStore
    + PeopleStore
    + ThrottleStore
    + RateLimitStore
    + IdempotencyStore
    + AuditStore
    + OutboxStore
    + BackupStore
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: RevisionStore
        + SettingsStore
        + ComponentStore
        + IncidentStore
        + ScheduleStore
        + MetricStore
        + SubscriberStore
        + WebhookStore
        + AlertStore
        + PeopleStore
        + ThrottleStore
        + RateLimitStore
        + IdempotencyStore
        + AuditStore
        + OutboxStore
        + BackupStore
        + std::fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// The store traits, for calling a store's methods: `use cachet_core::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        AlertStore, AuditStore, BackupStore, ComponentStore, IdempotencyStore, IncidentStore,
        MetricStore, OutboxStore, PeopleStore, RateLimitStore, RevisionStore, ScheduleStore,
        SettingsStore, Store, SubscriberStore, ThrottleStore, WebhookStore,
    };
}
