//! The notification outbox: events written with the change that caused them, then fanned
//! out into one delivery per recipient and channel, each with its attempts.

use super::{DeliveryAttemptId, DeliveryId, OutboxEventId, Timestamp, str_enum};

str_enum! {
    /// What a notification is about.
    pub enum EventKind : "a known event kind" {
        /// An incident was created.
        IncidentCreated = "incident_created",
        /// An incident got an update.
        IncidentUpdated = "incident_updated",
        /// A component's status changed.
        ComponentStatusChanged = "component_status_changed",
        /// Maintenance was scheduled.
        MaintenanceScheduled = "maintenance_scheduled",
        /// Maintenance started.
        MaintenanceStarted = "maintenance_started",
        /// Maintenance completed.
        MaintenanceCompleted = "maintenance_completed",
        /// A subscriber must confirm their address.
        SubscriberVerification = "subscriber_verification",
        /// Someone tried to subscribe an address that is already subscribed.
        SubscriberAlreadySubscribed = "subscriber_already_subscribed",
        /// An invitation to join the team.
        UserInvitation = "user_invitation",
        /// A password reset link.
        PasswordReset = "password_reset",
        /// A test mail from the dashboard.
        TestMail = "test_mail",
        /// A test event for one webhook endpoint, from the dashboard.
        WebhookTest = "webhook_test",
    }
}

str_enum! {
    /// Where an outbox event stands.
    pub enum OutboxStatus : "pending, done, failed" {
        /// Waiting to be fanned out.
        Pending = "pending",
        /// Fanned out into deliveries.
        Done = "done",
        /// Could not be fanned out.
        Failed = "failed",
    }
}

str_enum! {
    /// Where one delivery stands.
    pub enum DeliveryStatus : "pending, delivered, failed" {
        /// Not yet delivered; retried from `next_attempt_at`.
        Pending = "pending",
        /// Accepted by the channel.
        Delivered = "delivered",
        /// Gave up (permanent error or too many attempts).
        Failed = "failed",
    }
}

/// An event in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Its id.
    pub id: OutboxEventId,
    /// What it is about.
    pub kind: EventKind,
    /// The event's data (ids and the content as of the event), as JSON.
    pub payload: serde_json::Value,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Fan-out attempts so far.
    pub attempts: u32,
    /// Not to be claimed before this time.
    pub next_attempt_at: Timestamp,
    /// The dispatcher holding it.
    pub lease_owner: Option<String>,
    /// When that lease ends.
    pub lease_expires_at: Option<Timestamp>,
    /// The last error, without secrets.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
}

/// What writing an outbox event needs.
///
/// Build it with [`NewOutboxEvent::new`]; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewOutboxEvent {
    /// Kind.
    pub kind: EventKind,
    /// Data (built from the written entity by the write's [`crate::store::EffectsFn`]).
    pub payload: serde_json::Value,
    /// Not to be claimed before this time (usually now).
    pub next_attempt_at: Timestamp,
}

impl NewOutboxEvent {
    /// An event with every field.
    #[must_use]
    pub fn new(kind: EventKind, payload: serde_json::Value, next_attempt_at: Timestamp) -> Self {
        Self {
            kind,
            payload,
            next_attempt_at,
        }
    }
}

/// One delivery of an event to one recipient over one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The event.
    pub event_id: OutboxEventId,
    /// The recipient (`subscriber:5`, `webhook:2`, `user:1`).
    pub recipient: String,
    /// The channel (`email`, `webhook`).
    pub channel: String,
    /// event x recipient x channel; unique; also the Message-ID.
    pub idempotency_key: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// Not to be claimed before this time.
    pub next_attempt_at: Timestamp,
    /// The dispatcher holding it.
    pub lease_owner: Option<String>,
    /// When that lease ends.
    pub lease_expires_at: Option<Timestamp>,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What creating a delivery needs.
///
/// Build it with [`NewDelivery::new`]; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewDelivery {
    /// Recipient.
    pub recipient: String,
    /// Channel.
    pub channel: String,
    /// Unique key.
    pub idempotency_key: String,
}

impl NewDelivery {
    /// A delivery with every field.
    #[must_use]
    pub fn new(recipient: String, channel: String, idempotency_key: String) -> Self {
        Self {
            recipient,
            channel,
            idempotency_key,
        }
    }
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Its id.
    pub id: DeliveryAttemptId,
    /// The delivery.
    pub delivery_id: DeliveryId,
    /// When.
    pub at: Timestamp,
    /// Whether it succeeded.
    pub ok: bool,
    /// The error, without secrets.
    pub error: Option<String>,
}

/// What the dispatcher reports after an attempt.
///
/// Build it with [`NewDeliveryAttempt::new`]; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewDeliveryAttempt {
    /// When.
    pub at: Timestamp,
    /// The result.
    pub result: AttemptResult,
}

impl NewDeliveryAttempt {
    /// An attempt with every field.
    #[must_use]
    pub fn new(at: Timestamp, result: AttemptResult) -> Self {
        Self { at, result }
    }
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// Delivered.
    Delivered,
    /// A transient failure: try again at `next_attempt_at`.
    Retry {
        /// The error.
        error: String,
        /// When to try again.
        next_attempt_at: Timestamp,
    },
    /// A permanent failure: give up.
    Failed {
        /// The error.
        error: String,
    },
}

impl AttemptResult {
    /// The error a failed attempt is recorded with; `None` for a delivered one (stored as
    /// the attempt's `ok`).
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Delivered => None,
            Self::Retry { error, .. } | Self::Failed { error } => Some(error),
        }
    }
}
