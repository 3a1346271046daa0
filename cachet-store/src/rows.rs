//! Row structs (one per table, decoded by column name on every backend) and their conversion
//! into domain types, which re-validates every value: a row that fails is
//! [`StoreError::Corrupt`].

use cachet_core::clock::{Timestamp, from_micros};
use cachet_core::model::*;
use cachet_core::store::{StoreError, StoreResult};
use cachet_core::validate::{
    Email, HttpUrl, Locale, Markdown, Meta, MetricValue, Name, Order, Places, Slug, Text, Threshold,
};

/// A stored time.
pub(crate) fn ts(entity: &'static str, micros: i64) -> StoreResult<Timestamp> {
    from_micros(micros).ok_or_else(|| StoreError::corrupt(entity, "time out of range"))
}

/// A stored optional time.
pub(crate) fn ts_opt(entity: &'static str, micros: Option<i64>) -> StoreResult<Option<Timestamp>> {
    micros.map(|m| ts(entity, m)).transpose()
}

/// Re-validates one value.
pub(crate) fn check<T, E: std::fmt::Display>(
    entity: &'static str,
    field: &str,
    r: Result<T, E>,
) -> StoreResult<T> {
    r.map_err(|e| StoreError::corrupt(entity, format!("{field}: {e}")))
}

pub(crate) fn hash32(entity: &'static str, field: &str, bytes: Vec<u8>) -> StoreResult<[u8; 32]> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| StoreError::corrupt(entity, format!("{field}: not 32 bytes")))
}

fn sealed(entity: &'static str, key_id: i64, ciphertext: Vec<u8>) -> StoreResult<Sealed> {
    Ok(Sealed {
        key_id: check(entity, "key_id", u32::try_from(key_id))?,
        ciphertext,
    })
}

fn json(entity: &'static str, s: &str) -> StoreResult<serde_json::Value> {
    check(entity, "payload", serde_json::from_str(s))
}

fn count_u32(entity: &'static str, n: i64) -> StoreResult<u32> {
    check(entity, "attempts", u32::try_from(n))
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct GroupRow {
    id: i64,
    name: String,
    position: i64,
    collapsed: i64,
    visible: i64,
    created_at: i64,
    updated_at: i64,
}

impl GroupRow {
    pub(crate) fn into_model(self) -> StoreResult<ComponentGroup> {
        const E: &str = "component_group";
        Ok(ComponentGroup {
            id: GroupId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            order: check(E, "order", Order::new(self.position))?,
            collapsed: check(E, "collapsed", Collapsed::from_code(self.collapsed))?,
            visible: check(E, "visible", GroupVisibility::from_code(self.visible))?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ComponentRow {
    pub(crate) id: i64,
    name: String,
    description: String,
    link: Option<String>,
    status: i64,
    position: i64,
    group_id: Option<i64>,
    enabled: bool,
    meta: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TagRow {
    pub(crate) component_id: i64,
    slug: String,
    name: String,
}

impl ComponentRow {
    pub(crate) fn into_model(self, tags: Vec<TagRow>) -> StoreResult<Component> {
        const E: &str = "component";
        let mut tags = tags
            .into_iter()
            .map(|t| {
                Ok(Tag {
                    slug: check(E, "tag slug", Slug::parse(&t.slug))?,
                    name: check(
                        E,
                        "tag name",
                        Name::parse_bounded(&t.name, Tag::MAX_NAME_CHARS),
                    )?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        tags.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(Component {
            id: ComponentId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            description: check(E, "description", Text::parse(&self.description))?,
            link: self
                .link
                .as_deref()
                .map(HttpUrl::parse)
                .transpose()
                .map_err(|e| StoreError::corrupt(E, format!("link: {e}")))?,
            status: check(E, "status", ComponentStatus::from_code(self.status))?,
            order: check(E, "order", Order::new(self.position))?,
            group_id: self.group_id.map(GroupId),
            enabled: self.enabled,
            tags,
            meta: check(E, "meta", Meta::parse_json(&self.meta))?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StatusChangeRow {
    id: i64,
    component_id: i64,
    old_status: Option<i64>,
    new_status: i64,
    cause_kind: String,
    cause_user_id: Option<i64>,
    cause_incident_id: Option<i64>,
    cause_schedule_id: Option<i64>,
    at: i64,
}

impl StatusChangeRow {
    pub(crate) fn into_model(self) -> StoreResult<StatusChange> {
        const E: &str = "component";
        Ok(StatusChange {
            id: StatusChangeId(self.id),
            component_id: ComponentId(self.component_id),
            old_status: self
                .old_status
                .map(ComponentStatus::from_code)
                .transpose()
                .map_err(|e| StoreError::corrupt(E, e))?,
            new_status: check(E, "status", ComponentStatus::from_code(self.new_status))?,
            cause: StatusCause {
                kind: check(E, "cause", StatusCauseKind::parse(&self.cause_kind))?,
                user_id: self.cause_user_id.map(UserId),
                incident_id: self.cause_incident_id.map(IncidentId),
                schedule_id: self.cause_schedule_id.map(ScheduleId),
            },
            at: ts(E, self.at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct IncidentRow {
    pub(crate) id: i64,
    user_id: Option<i64>,
    name: String,
    status: i64,
    message: String,
    visible: bool,
    stickied: bool,
    notify: bool,
    occurred_at: i64,
    meta: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AffectedRow {
    pub(crate) incident_id: i64,
    component_id: i64,
    status: i64,
}

impl IncidentRow {
    pub(crate) fn into_model(self, affected: Vec<AffectedRow>) -> StoreResult<Incident> {
        const E: &str = "incident";
        let mut components = affected
            .into_iter()
            .map(|a| {
                Ok(AffectedComponent {
                    component_id: ComponentId(a.component_id),
                    status: check(E, "component status", ComponentStatus::from_code(a.status))?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        components.sort_by_key(|a| a.component_id);
        Ok(Incident {
            id: IncidentId(self.id),
            user_id: self.user_id.map(UserId),
            name: check(E, "name", Name::parse(&self.name))?,
            status: check(E, "status", IncidentStatus::from_code(self.status))?,
            message: check(E, "message", Markdown::parse(&self.message))?,
            visible: self.visible,
            stickied: self.stickied,
            notify: self.notify,
            occurred_at: ts(E, self.occurred_at)?,
            components,
            meta: check(E, "meta", Meta::parse_json(&self.meta))?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct IncidentUpdateRow {
    id: i64,
    incident_id: i64,
    status: i64,
    message: String,
    user_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl IncidentUpdateRow {
    pub(crate) fn into_model(self) -> StoreResult<IncidentUpdate> {
        const E: &str = "incident_update";
        Ok(IncidentUpdate {
            id: IncidentUpdateId(self.id),
            incident_id: IncidentId(self.incident_id),
            status: check(E, "status", IncidentStatus::from_code(self.status))?,
            message: check(E, "message", Markdown::parse(&self.message))?,
            user_id: self.user_id.map(UserId),
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TemplateRow {
    id: i64,
    name: String,
    slug: String,
    template: String,
    created_at: i64,
    updated_at: i64,
}

impl TemplateRow {
    pub(crate) fn into_model(self) -> StoreResult<IncidentTemplate> {
        const E: &str = "incident_template";
        Ok(IncidentTemplate {
            id: TemplateId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            slug: check(E, "slug", Slug::parse(&self.slug))?,
            template: check(E, "template", Markdown::parse(&self.template))?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ScheduleRow {
    pub(crate) id: i64,
    name: String,
    message: String,
    status: i64,
    scheduled_at: i64,
    completed_at: Option<i64>,
    notify: bool,
    user_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ScheduleComponentRow {
    pub(crate) schedule_id: i64,
    pub(crate) component_id: i64,
}

impl ScheduleRow {
    pub(crate) fn into_model(self, components: Vec<ScheduleComponentRow>) -> StoreResult<Schedule> {
        const E: &str = "schedule";
        let mut components: Vec<ComponentId> = components
            .into_iter()
            .map(|c| ComponentId(c.component_id))
            .collect();
        components.sort();
        Ok(Schedule {
            id: ScheduleId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            message: check(E, "message", Markdown::parse(&self.message))?,
            status: check(E, "status", ScheduleStatus::from_code(self.status))?,
            scheduled_at: ts(E, self.scheduled_at)?,
            completed_at: ts_opt(E, self.completed_at)?,
            components,
            notify: self.notify,
            user_id: self.user_id.map(UserId),
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ScheduleUpdateRow {
    id: i64,
    schedule_id: i64,
    message: String,
    user_id: Option<i64>,
    created_at: i64,
}

impl ScheduleUpdateRow {
    pub(crate) fn into_model(self) -> StoreResult<ScheduleUpdate> {
        const E: &str = "schedule_update";
        Ok(ScheduleUpdate {
            id: ScheduleUpdateId(self.id),
            schedule_id: ScheduleId(self.schedule_id),
            message: check(E, "message", Markdown::parse(&self.message))?,
            user_id: self.user_id.map(UserId),
            created_at: ts(E, self.created_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MetricRow {
    id: i64,
    name: String,
    suffix: String,
    description: String,
    default_value: i64,
    calc_type: i64,
    display_chart: bool,
    places: i64,
    default_view: i64,
    threshold: i64,
    position: i64,
    visible: i64,
    created_at: i64,
    updated_at: i64,
}

impl MetricRow {
    pub(crate) fn into_model(self) -> StoreResult<Metric> {
        const E: &str = "metric";
        Ok(Metric {
            id: MetricId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            suffix: check(E, "suffix", Text::parse(&self.suffix))?,
            description: check(E, "description", Markdown::parse(&self.description))?,
            default_value: check(
                E,
                "default_value",
                MetricValue::from_millis(self.default_value),
            )?,
            calc_type: check(E, "calc_type", CalcType::from_code(self.calc_type))?,
            display_chart: self.display_chart,
            places: check(E, "places", Places::new(self.places))?,
            default_view: check(E, "default_view", MetricView::from_code(self.default_view))?,
            threshold: check(E, "threshold", Threshold::new(self.threshold))?,
            order: check(E, "order", Order::new(self.position))?,
            visible: check(E, "visible", Visibility::from_code(self.visible))?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PointRow {
    id: i64,
    metric_id: i64,
    value: i64,
    counter: i64,
    created_at: i64,
    updated_at: i64,
}

impl PointRow {
    pub(crate) fn into_model(self) -> StoreResult<MetricPoint> {
        const E: &str = "metric_point";
        Ok(MetricPoint {
            id: MetricPointId(self.id),
            metric_id: MetricId(self.metric_id),
            value: check(E, "value", MetricValue::from_millis(self.value))?,
            counter: self.counter,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    pub(crate) id: i64,
    email_key_id: i64,
    email_ciphertext: Vec<u8>,
    blind_index: Vec<u8>,
    channel: String,
    locale: String,
    verified_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SubscriptionRow {
    id: i64,
    pub(crate) subscriber_id: i64,
    pub(crate) component_id: i64,
    created_at: i64,
}

impl SubscriptionRow {
    pub(crate) fn into_model(self) -> StoreResult<Subscription> {
        Ok(Subscription {
            id: SubscriptionId(self.id),
            subscriber_id: SubscriberId(self.subscriber_id),
            component_id: ComponentId(self.component_id),
            created_at: ts("subscription", self.created_at)?,
        })
    }
}

impl SubscriberRow {
    pub(crate) fn into_model(self, mut components: Vec<ComponentId>) -> StoreResult<Subscriber> {
        const E: &str = "subscriber";
        components.sort();
        Ok(Subscriber {
            id: SubscriberId(self.id),
            email: sealed(E, self.email_key_id, self.email_ciphertext)?,
            blind_index: BlindIndex(hash32(E, "blind_index", self.blind_index)?),
            channel: check(E, "channel", SubscriberChannel::parse(&self.channel))?,
            locale: check(E, "locale", Locale::parse(&self.locale))?,
            verified_at: ts_opt(E, self.verified_at)?,
            global: components.is_empty(),
            components,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct WebhookRow {
    id: i64,
    name: String,
    url: String,
    secret_key_id: i64,
    secret_ciphertext: Vec<u8>,
    enabled: bool,
    events: String,
    format: String,
    created_at: i64,
    updated_at: i64,
}

impl WebhookRow {
    pub(crate) fn into_model(self) -> StoreResult<Webhook> {
        const E: &str = "webhook";
        Ok(Webhook {
            id: WebhookId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            url: check(E, "url", HttpUrl::parse(&self.url))?,
            secret: sealed(E, self.secret_key_id, self.secret_ciphertext)?,
            enabled: self.enabled,
            events: check(E, "events", WebhookEvents::parse(&self.events))?,
            format: check(E, "format", WebhookFormat::parse(&self.format))?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    password_hash: String,
    active: bool,
    totp_key_id: Option<i64>,
    totp_secret: Option<Vec<u8>>,
    totp_confirmed_at: Option<i64>,
    totp_last_step: Option<i64>,
    last_login_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    pub(crate) fn into_model(self) -> StoreResult<User> {
        const E: &str = "user";
        let totp = match (self.totp_key_id, self.totp_secret) {
            (Some(key_id), Some(secret)) => Some(TotpState {
                secret: sealed(E, key_id, secret)?,
                confirmed_at: ts_opt(E, self.totp_confirmed_at)?,
                last_step: self.totp_last_step,
            }),
            _ => None,
        };
        Ok(User {
            id: UserId(self.id),
            name: check(E, "name", Name::parse(&self.name))?,
            email: check(E, "email", Email::parse(&self.email))?,
            role: check(E, "role", Role::parse(&self.role))?,
            password_hash: PasswordHash(self.password_hash),
            active: self.active,
            totp,
            last_login_at: ts_opt(E, self.last_login_at)?,
            created_at: ts(E, self.created_at)?,
            updated_at: ts(E, self.updated_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: i64,
    user_id: i64,
    name: String,
    prefix: String,
    hash: Vec<u8>,
    scope: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    created_at: i64,
}

impl ApiTokenRow {
    pub(crate) fn into_model(self) -> StoreResult<ApiToken> {
        const E: &str = "api_token";
        Ok(ApiToken {
            id: ApiTokenId(self.id),
            user_id: UserId(self.user_id),
            name: check(E, "name", Name::parse(&self.name))?,
            prefix: self.prefix,
            hash: TokenHash(hash32(E, "hash", self.hash)?),
            scope: check(E, "scope", TokenScope::parse(&self.scope))?,
            expires_at: ts_opt(E, self.expires_at)?,
            last_used_at: ts_opt(E, self.last_used_at)?,
            revoked_at: ts_opt(E, self.revoked_at)?,
            created_at: ts(E, self.created_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: i64,
    hash: Vec<u8>,
    user_id: i64,
    pending_second_factor: bool,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl SessionRow {
    pub(crate) fn into_model(self) -> StoreResult<Session> {
        const E: &str = "session";
        Ok(Session {
            id: SessionId(self.id),
            hash: TokenHash(hash32(E, "hash", self.hash)?),
            user_id: UserId(self.user_id),
            pending_second_factor: self.pending_second_factor,
            created_at: ts(E, self.created_at)?,
            last_seen_at: ts(E, self.last_seen_at)?,
            expires_at: ts(E, self.expires_at)?,
            ip: self.ip,
            user_agent: self.user_agent,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ThrottleRow {
    throttle_key: String,
    failures: i64,
    last_failure_at: i64,
    locked_until: Option<i64>,
}

impl ThrottleRow {
    pub(crate) fn into_model(self) -> StoreResult<ThrottleState> {
        const E: &str = "throttle";
        Ok(ThrottleState {
            key: self.throttle_key,
            failures: check(E, "failures", u32::try_from(self.failures))?,
            last_failure_at: ts(E, self.last_failure_at)?,
            locked_until: ts_opt(E, self.locked_until)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OneTimeTokenRow {
    id: i64,
    purpose: String,
    hash: Vec<u8>,
    subject_id: Option<i64>,
    payload: String,
    expires_at: i64,
    used_at: Option<i64>,
    created_at: i64,
}

impl OneTimeTokenRow {
    pub(crate) fn into_model(self) -> StoreResult<OneTimeToken> {
        const E: &str = "one_time_token";
        Ok(OneTimeToken {
            id: OneTimeTokenId(self.id),
            purpose: check(E, "purpose", TokenPurpose::parse(&self.purpose))?,
            hash: TokenHash(hash32(E, "hash", self.hash)?),
            subject_id: self.subject_id,
            payload: json(E, &self.payload)?,
            expires_at: ts(E, self.expires_at)?,
            used_at: ts_opt(E, self.used_at)?,
            created_at: ts(E, self.created_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SettingRow {
    setting_key: String,
    value: String,
}

impl SettingRow {
    pub(crate) fn into_model(self) -> StoreResult<(SettingKey, String)> {
        Ok((
            check("setting", "key", SettingKey::parse(&self.setting_key))?,
            self.value,
        ))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at: i64,
    actor_user_id: Option<i64>,
    actor_token_id: Option<i64>,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<i64>,
    ip: Option<String>,
    outcome: String,
    detail: String,
}

impl AuditRow {
    pub(crate) fn into_model(self) -> StoreResult<AuditEvent> {
        const E: &str = "audit_event";
        Ok(AuditEvent {
            id: AuditEventId(self.id),
            at: ts(E, self.at)?,
            actor_user_id: self.actor_user_id.map(UserId),
            actor_token_id: self.actor_token_id.map(ApiTokenId),
            actor: self.actor,
            action: check(E, "action", AuditAction::parse(&self.action))?,
            entity: check(E, "entity", EntityKind::parse(&self.entity))?,
            entity_id: self.entity_id,
            ip: self.ip,
            outcome: check(E, "outcome", AuditOutcome::parse(&self.outcome))?,
            detail: check(E, "detail", Text::parse(&self.detail))?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: i64,
    kind: String,
    payload: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
}

impl OutboxRow {
    pub(crate) fn into_model(self) -> StoreResult<OutboxEvent> {
        const E: &str = "outbox_event";
        Ok(OutboxEvent {
            id: OutboxEventId(self.id),
            kind: check(E, "kind", EventKind::parse(&self.kind))?,
            payload: json(E, &self.payload)?,
            status: check(E, "status", OutboxStatus::parse(&self.status))?,
            attempts: count_u32(E, self.attempts)?,
            next_attempt_at: ts(E, self.next_attempt_at)?,
            lease_owner: self.lease_owner,
            lease_expires_at: ts_opt(E, self.lease_expires_at)?,
            last_error: self.last_error,
            created_at: ts(E, self.created_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    event_id: i64,
    recipient: String,
    channel: String,
    idempotency_key: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<i64>,
    created_at: i64,
}

impl DeliveryRow {
    pub(crate) fn into_model(self) -> StoreResult<Delivery> {
        const E: &str = "delivery";
        Ok(Delivery {
            id: DeliveryId(self.id),
            event_id: OutboxEventId(self.event_id),
            recipient: self.recipient,
            channel: self.channel,
            idempotency_key: self.idempotency_key,
            status: check(E, "status", DeliveryStatus::parse(&self.status))?,
            attempts: count_u32(E, self.attempts)?,
            next_attempt_at: ts(E, self.next_attempt_at)?,
            lease_owner: self.lease_owner,
            lease_expires_at: ts_opt(E, self.lease_expires_at)?,
            last_error: self.last_error,
            delivered_at: ts_opt(E, self.delivered_at)?,
            created_at: ts(E, self.created_at)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AttemptRow {
    id: i64,
    delivery_id: i64,
    at: i64,
    ok: bool,
    error: Option<String>,
}

impl AttemptRow {
    pub(crate) fn into_model(self) -> StoreResult<DeliveryAttempt> {
        Ok(DeliveryAttempt {
            id: DeliveryAttemptId(self.id),
            delivery_id: DeliveryId(self.delivery_id),
            at: ts("delivery", self.at)?,
            ok: self.ok,
            error: self.error,
        })
    }
}

/// Converts a list of rows.
pub(crate) fn models<R, T>(rows: Vec<R>, f: impl Fn(R) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(f).collect()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct IdempotencyRow {
    fingerprint: String,
    created_at: i64,
    lease_until: i64,
    answer_status: Option<i64>,
    answer_content_type: Option<String>,
    answer_location: Option<String>,
    answer_body: Option<Vec<u8>>,
}

impl IdempotencyRow {
    pub(crate) fn into_model(self) -> StoreResult<IdempotencyRecord> {
        const E: &str = "idempotency key";
        let answer = match self.answer_status {
            None => None,
            Some(status) => Some(IdempotentAnswer {
                status: check(E, "answer_status", u16::try_from(status))?,
                content_type: self.answer_content_type,
                location: self.answer_location,
                body: self.answer_body.unwrap_or_default(),
            }),
        };
        Ok(IdempotencyRecord {
            fingerprint: self.fingerprint,
            created_at: ts(E, self.created_at)?,
            lease_until: ts(E, self.lease_until)?,
            answer,
        })
    }
}
