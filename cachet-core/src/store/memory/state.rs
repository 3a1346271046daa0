//! The in-memory tables and the helpers every write shares.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::*;
use crate::store::{Effects, StoreError};

/// A per-table autoincrement counter: the first id is 1 and ids are never reused.
#[derive(Debug, Default)]
pub(super) struct Seq(i64);

impl Seq {
    /// The next id.
    pub(super) fn next(&mut self) -> i64 {
        self.0 += 1;
        self.0
    }
}

/// One counter per table.
#[derive(Debug, Default)]
pub(super) struct Ids {
    pub(super) component: Seq,
    pub(super) group: Seq,
    pub(super) status_change: Seq,
    pub(super) incident: Seq,
    pub(super) incident_update: Seq,
    pub(super) template: Seq,
    pub(super) schedule: Seq,
    pub(super) schedule_update: Seq,
    pub(super) metric: Seq,
    pub(super) metric_point: Seq,
    pub(super) subscriber: Seq,
    pub(super) subscription: Seq,
    pub(super) webhook: Seq,
    pub(super) integration: Seq,
    pub(super) alert_rule: Seq,
    pub(super) user: Seq,
    pub(super) api_token: Seq,
    pub(super) session: Seq,
    pub(super) one_time_token: Seq,
    pub(super) audit: Seq,
    pub(super) outbox: Seq,
    pub(super) delivery: Seq,
    pub(super) attempt: Seq,
}

/// A stored recovery code (hash only).
#[derive(Debug, Clone)]
pub(super) struct RecoveryCode {
    pub(super) user_id: UserId,
    pub(super) hash: TokenHash,
    pub(super) used_at: Option<Timestamp>,
}

/// Everything the store holds, behind one lock.
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) revision: u64,
    pub(super) ids: Ids,
    pub(super) components: BTreeMap<ComponentId, Component>,
    pub(super) history: BTreeMap<StatusChangeId, StatusChange>,
    pub(super) groups: BTreeMap<GroupId, ComponentGroup>,
    pub(super) incidents: BTreeMap<IncidentId, Incident>,
    pub(super) incident_updates: BTreeMap<IncidentUpdateId, IncidentUpdate>,
    pub(super) templates: BTreeMap<TemplateId, IncidentTemplate>,
    pub(super) schedules: BTreeMap<ScheduleId, Schedule>,
    pub(super) schedule_updates: BTreeMap<ScheduleUpdateId, ScheduleUpdate>,
    pub(super) metrics: BTreeMap<MetricId, Metric>,
    pub(super) points: BTreeMap<MetricPointId, MetricPoint>,
    pub(super) subscribers: BTreeMap<SubscriberId, Subscriber>,
    pub(super) subscriptions: BTreeMap<SubscriptionId, Subscription>,
    pub(super) webhooks: BTreeMap<WebhookId, Webhook>,
    pub(super) integrations: BTreeMap<IntegrationId, Integration>,
    pub(super) alert_rules: BTreeMap<AlertRuleId, AlertRule>,
    pub(super) alert_states: BTreeMap<(AlertRuleId, AlertKey), AlertState>,
    pub(super) users: BTreeMap<UserId, User>,
    pub(super) recovery_codes: Vec<RecoveryCode>,
    /// Replaced password hashes per user, newest first.
    pub(super) password_history: HashMap<UserId, Vec<PasswordHash>>,
    pub(super) api_tokens: BTreeMap<ApiTokenId, ApiToken>,
    pub(super) sessions: BTreeMap<SessionId, Session>,
    pub(super) throttle: HashMap<String, ThrottleState>,
    pub(super) idempotency: HashMap<String, IdempotencyRecord>,
    /// Shared rate limits by key: (current window's start, its hits, the previous window's
    /// hits).
    pub(super) rate_limits: HashMap<String, (Timestamp, u32, u32)>,
    pub(super) one_time_tokens: BTreeMap<OneTimeTokenId, OneTimeToken>,
    pub(super) settings: BTreeMap<SettingKey, String>,
    pub(super) audit: BTreeMap<AuditEventId, AuditEvent>,
    pub(super) outbox: BTreeMap<OutboxEventId, OutboxEvent>,
    pub(super) deliveries: BTreeMap<DeliveryId, Delivery>,
    pub(super) attempts: BTreeMap<DeliveryAttemptId, DeliveryAttempt>,
}

/// `NotFound` for an entity and id.
pub(super) fn not_found(entity: &'static str, id: i64) -> StoreError {
    StoreError::NotFound { entity, id }
}

/// A row that must belong to a given parent; a row under another parent is not found.
fn child<K: Ord, T: Clone>(
    rows: &BTreeMap<K, T>,
    id: K,
    raw: i64,
    entity: &'static str,
    belongs: impl Fn(&T) -> bool,
) -> Result<T, StoreError> {
    rows.get(&id)
        .filter(|r| belongs(r))
        .cloned()
        .ok_or_else(|| not_found(entity, raw))
}

/// `Invalid` for a broken reference.
pub(super) fn invalid(detail: &'static str) -> StoreError {
    StoreError::Invalid { detail }
}

/// `Conflict` for a uniqueness or compare-and-set rule.
pub(super) fn conflict(entity: &'static str, detail: &'static str) -> StoreError {
    StoreError::Conflict { entity, detail }
}

impl State {
    /// An incident's update: `NotFound` for a missing incident first, then for an update that
    /// is missing or belongs to another incident.
    pub(super) fn incident_update_of(
        &self,
        incident: IncidentId,
        id: IncidentUpdateId,
    ) -> Result<IncidentUpdate, StoreError> {
        if !self.incidents.contains_key(&incident) {
            return Err(not_found("incident", incident.0));
        }
        child(&self.incident_updates, id, id.0, "incident_update", |u| {
            u.incident_id == incident
        })
    }

    /// A schedule's update, with the same rules as [`State::incident_update_of`].
    pub(super) fn schedule_update_of(
        &self,
        schedule: ScheduleId,
        id: ScheduleUpdateId,
    ) -> Result<ScheduleUpdate, StoreError> {
        if !self.schedules.contains_key(&schedule) {
            return Err(not_found("schedule", schedule.0));
        }
        child(&self.schedule_updates, id, id.0, "schedule_update", |u| {
            u.schedule_id == schedule
        })
    }

    /// A metric's point, with the same rules as [`State::incident_update_of`].
    pub(super) fn point_of(
        &self,
        metric: MetricId,
        id: MetricPointId,
    ) -> Result<MetricPoint, StoreError> {
        if !self.metrics.contains_key(&metric) {
            return Err(not_found("metric", metric.0));
        }
        child(&self.points, id, id.0, "metric_point", |p| {
            p.metric_id == metric
        })
    }

    /// `Invalid` unless the user (if any) exists.
    pub(super) fn check_user(&self, user: Option<UserId>) -> Result<(), StoreError> {
        match user {
            Some(u) if !self.users.contains_key(&u) => Err(invalid("unknown user")),
            _ => Ok(()),
        }
    }

    /// `Invalid` unless every component exists.
    pub(super) fn check_components(
        &self,
        ids: impl IntoIterator<Item = ComponentId>,
    ) -> Result<(), StoreError> {
        if ids.into_iter().all(|id| self.components.contains_key(&id)) {
            Ok(())
        } else {
            Err(invalid("unknown component"))
        }
    }

    /// Appends a status history entry.
    pub(super) fn push_history(
        &mut self,
        component_id: ComponentId,
        old_status: Option<ComponentStatus>,
        new_status: ComponentStatus,
        cause: StatusCause,
        at: Timestamp,
    ) {
        let id = StatusChangeId(self.ids.status_change.next());
        self.history.insert(
            id,
            StatusChange {
                id,
                component_id,
                old_status,
                new_status,
                cause,
                at,
            },
        );
    }

    /// Sets a component's status (and `updated_at`), with a history entry when it changed.
    /// The component must exist (checked by the caller); a missing one is left alone.
    pub(super) fn apply_status(
        &mut self,
        id: ComponentId,
        status: ComponentStatus,
        cause: StatusCause,
        now: Timestamp,
    ) {
        let Some(component) = self.components.get_mut(&id) else {
            return;
        };
        let old = component.status;
        component.status = status;
        component.updated_at = now;
        if old != status {
            self.push_history(id, Some(old), status, cause, now);
        }
    }

    /// Replaces a subscriber's subscriptions with one per component of `components`, keeping
    /// the rows (ids, times) of components that stay.
    pub(super) fn sync_subscriptions(
        &mut self,
        subscriber: SubscriberId,
        components: &[ComponentId],
        now: Timestamp,
    ) {
        let wanted: BTreeSet<ComponentId> = components.iter().copied().collect();
        self.subscriptions
            .retain(|_, s| s.subscriber_id != subscriber || wanted.contains(&s.component_id));
        let have: BTreeSet<ComponentId> = self
            .subscriptions
            .values()
            .filter(|s| s.subscriber_id == subscriber)
            .map(|s| s.component_id)
            .collect();
        for component_id in wanted.difference(&have) {
            let id = SubscriptionId(self.ids.subscription.next());
            self.subscriptions.insert(
                id,
                Subscription {
                    id,
                    subscriber_id: subscriber,
                    component_id: *component_id,
                    created_at: now,
                },
            );
        }
    }

    /// Appends a write's effects.
    pub(super) fn apply_effects(&mut self, now: Timestamp, effects: Effects) {
        for e in effects.audit {
            self.insert_audit(e);
        }
        for e in effects.outbox {
            self.insert_outbox(now, e);
        }
    }

    /// Appends a write's effects and bumps the revision: the end of every content write.
    pub(super) fn commit(&mut self, now: Timestamp, effects: Effects) {
        self.apply_effects(now, effects);
        self.revision += 1;
    }

    /// Appends one audit entry.
    pub(super) fn insert_audit(&mut self, e: NewAuditEvent) -> AuditEvent {
        let id = AuditEventId(self.ids.audit.next());
        let event = AuditEvent {
            id,
            at: e.at,
            actor_user_id: e.actor_user_id,
            actor_token_id: e.actor_token_id,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            ip: e.ip,
            outcome: e.outcome,
            detail: e.detail,
        };
        self.audit.insert(id, event.clone());
        event
    }

    /// Enqueues one outbox event.
    pub(super) fn insert_outbox(&mut self, now: Timestamp, e: NewOutboxEvent) -> OutboxEvent {
        let id = OutboxEventId(self.ids.outbox.next());
        let event = OutboxEvent {
            id,
            kind: e.kind,
            payload: e.payload,
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: e.next_attempt_at,
            lease_owner: None,
            lease_expires_at: None,
            last_error: None,
            created_at: now,
        };
        self.outbox.insert(id, event.clone());
        event
    }
}
