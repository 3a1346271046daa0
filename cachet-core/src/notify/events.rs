//! The outbox events a change writes, and their payloads.
//!
//! The facade builds these inside a write's effects closure, so an event commits in the same
//! transaction as the change that caused it (or not at all). A payload holds the ids and the
//! content *as of the event* (a later edit does not change a mail already due), but never an
//! address or a secret: recipients are resolved and addresses opened only when a delivery is
//! rendered.
//!
//! What is notified (the events Cachet 2.4 mails subscribers about, plus the visitor's own
//! confirmation mails):
//!
//! | event | when |
//! |---|---|
//! | incident created | the incident has `notify` on and is visible |
//! | incident updated | an update is posted to an incident with `notify` on that is visible |
//! | component status changed | the status changed and the change is not silent |
//! | maintenance scheduled / started / completed | the schedule has `notify` on |
//! | subscriber verification | a visitor subscribed an address (or subscribed it again while unverified) |
//! | already subscribed | a visitor subscribed an address that is already verified |

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::{
    Component, EventKind, Incident, IncidentUpdate, NewOutboxEvent, Schedule, SubscriberId,
};
use crate::store::Changed;

/// An incident as notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentData {
    /// Its id.
    pub incident_id: i64,
    /// Title.
    pub name: String,
    /// Status code (0-4).
    pub status: u8,
    /// Markdown source of the first message.
    pub message: String,
    /// Affected components.
    pub components: Vec<i64>,
    /// When it occurred.
    pub occurred_at: Timestamp,
    /// When it was created.
    pub created_at: Timestamp,
    /// The update that caused the event (incident updated only).
    pub update: Option<UpdateData>,
}

/// An incident update as notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateData {
    /// Its id.
    pub id: i64,
    /// Status code (0-4).
    pub status: u8,
    /// Markdown source.
    pub message: String,
    /// When it was posted.
    pub created_at: Timestamp,
}

/// A component status change as notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentData {
    /// The component.
    pub component_id: i64,
    /// Its name.
    pub name: String,
    /// Status code before (0-4).
    pub old_status: u8,
    /// Status code after (0-4).
    pub new_status: u8,
    /// When it changed.
    pub at: Timestamp,
}

/// A maintenance window as notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleData {
    /// Its id.
    pub schedule_id: i64,
    /// Title.
    pub name: String,
    /// Markdown source.
    pub message: String,
    /// Start.
    pub scheduled_at: Timestamp,
    /// End, when known.
    pub completed_at: Option<Timestamp>,
    /// Components under maintenance.
    pub components: Vec<i64>,
}

/// A mail to one subscriber about their subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriberData {
    /// The subscriber.
    pub subscriber_id: i64,
}

fn event(kind: EventKind, payload: &impl Serialize, now: Timestamp) -> Option<NewOutboxEvent> {
    // The payload types serialize infallibly (strings, numbers, timestamps); a failure would
    // be a bug, and dropping the event is better than failing the user's write.
    let payload = serde_json::to_value(payload).ok()?;
    Some(NewOutboxEvent {
        kind,
        payload,
        next_attempt_at: now,
    })
}

fn incident_data(i: &Incident, update: Option<&IncidentUpdate>) -> IncidentData {
    IncidentData {
        incident_id: i.id.get(),
        name: i.name.as_str().to_owned(),
        status: i.status.code(),
        message: i.message.as_str().to_owned(),
        components: i.components.iter().map(|a| a.component_id.get()).collect(),
        occurred_at: i.occurred_at,
        created_at: i.created_at,
        update: update.map(|u| UpdateData {
            id: u.id.get(),
            status: u.status.code(),
            message: u.message.as_str().to_owned(),
            created_at: u.created_at,
        }),
    }
}

/// Incident created: only when `notify` is on and it is visible.
#[must_use]
pub fn incident_created(i: &Incident, now: Timestamp) -> Vec<NewOutboxEvent> {
    if !(i.notify && i.visible) {
        return Vec::new();
    }
    event(EventKind::IncidentCreated, &incident_data(i, None), now)
        .into_iter()
        .collect()
}

/// Incident updated (an update was posted): only when the incident has `notify` on and is
/// visible.
#[must_use]
pub fn incident_updated(i: &Incident, u: &IncidentUpdate, now: Timestamp) -> Vec<NewOutboxEvent> {
    if !(i.notify && i.visible) {
        return Vec::new();
    }
    event(EventKind::IncidentUpdated, &incident_data(i, Some(u)), now)
        .into_iter()
        .collect()
}

/// Component status changed: only when the status differs and the change is not silent.
#[must_use]
pub fn component_status_changed(
    c: &Changed<Component>,
    silent: bool,
    now: Timestamp,
) -> Vec<NewOutboxEvent> {
    if silent || c.before.status == c.after.status || !c.after.enabled {
        return Vec::new();
    }
    let data = ComponentData {
        component_id: c.after.id.get(),
        name: c.after.name.as_str().to_owned(),
        old_status: c.before.status.code(),
        new_status: c.after.status.code(),
        at: now,
    };
    event(EventKind::ComponentStatusChanged, &data, now)
        .into_iter()
        .collect()
}

fn schedule_data(s: &Schedule) -> ScheduleData {
    ScheduleData {
        schedule_id: s.id.get(),
        name: s.name.as_str().to_owned(),
        message: s.message.as_str().to_owned(),
        scheduled_at: s.scheduled_at,
        completed_at: s.completed_at,
        components: s.components.iter().map(|c| c.get()).collect(),
    }
}

/// Maintenance scheduled: when the schedule has `notify` on.
#[must_use]
pub fn maintenance_scheduled(s: &Schedule, now: Timestamp) -> Vec<NewOutboxEvent> {
    maintenance(EventKind::MaintenanceScheduled, s, now)
}

/// A schedule changed: started (status moved to in progress) or completed (moved to complete),
/// when it has `notify` on.
#[must_use]
pub fn maintenance_changed(c: &Changed<Schedule>, now: Timestamp) -> Vec<NewOutboxEvent> {
    use crate::model::ScheduleStatus as S;
    if c.before.status == c.after.status {
        return Vec::new();
    }
    match c.after.status {
        S::InProgress => maintenance(EventKind::MaintenanceStarted, &c.after, now),
        S::Complete => maintenance(EventKind::MaintenanceCompleted, &c.after, now),
        S::Upcoming => Vec::new(),
    }
}

fn maintenance(kind: EventKind, s: &Schedule, now: Timestamp) -> Vec<NewOutboxEvent> {
    if !s.notify {
        return Vec::new();
    }
    event(kind, &schedule_data(s), now).into_iter().collect()
}

/// The verification mail of a subscriber (the token is minted when the mail is rendered,
/// so it is never stored in clear, not even in the outbox).
#[must_use]
pub fn subscriber_verification(id: SubscriberId, now: Timestamp) -> Vec<NewOutboxEvent> {
    subscriber_mail(EventKind::SubscriberVerification, id, now)
}

/// The "you are already subscribed" mail (with the manage link) to an existing subscriber.
#[must_use]
pub fn subscriber_already_subscribed(id: SubscriberId, now: Timestamp) -> Vec<NewOutboxEvent> {
    subscriber_mail(EventKind::SubscriberAlreadySubscribed, id, now)
}

fn subscriber_mail(kind: EventKind, id: SubscriberId, now: Timestamp) -> Vec<NewOutboxEvent> {
    event(
        kind,
        &SubscriberData {
            subscriber_id: id.get(),
        },
        now,
    )
    .into_iter()
    .collect()
}
