//! Maintenance schedules and their updates.

use super::{ComponentId, ScheduleId, ScheduleUpdateId, Timestamp, UserId, int_enum};
use crate::validate::{Markdown, Name};

int_enum! {
    /// Where a maintenance window stands.
    pub enum ScheduleStatus : "0 (upcoming), 1 (in progress), 2 (complete)" {
        /// Not started.
        Upcoming = 0 => "Upcoming",
        /// Running: its components show as under maintenance.
        InProgress = 1 => "In Progress",
        /// Over.
        Complete = 2 => "Complete",
    }
}

/// A maintenance schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Schedule {
    /// Its id.
    pub id: ScheduleId,
    /// Title.
    pub name: Name,
    /// Markdown source.
    pub message: Markdown,
    /// Where it stands.
    pub status: ScheduleStatus,
    /// When it starts.
    pub scheduled_at: Timestamp,
    /// When it ends (or ended).
    pub completed_at: Option<Timestamp>,
    /// The components under maintenance, sorted.
    pub components: Vec<ComponentId>,
    /// Whether subscribers are notified.
    pub notify: bool,
    /// The author.
    pub user_id: Option<UserId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a schedule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchedule {
    /// Title.
    pub name: Name,
    /// Message.
    pub message: Markdown,
    /// Initial status.
    pub status: ScheduleStatus,
    /// Start.
    pub scheduled_at: Timestamp,
    /// End.
    pub completed_at: Option<Timestamp>,
    /// Components; each must exist.
    pub components: Vec<ComponentId>,
    /// Notify subscribers.
    pub notify: bool,
    /// Author.
    pub user_id: Option<UserId>,
}

/// A change to a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchedulePatch {
    /// New title.
    pub name: Option<Name>,
    /// New message.
    pub message: Option<Markdown>,
    /// New status.
    pub status: Option<ScheduleStatus>,
    /// New start.
    pub scheduled_at: Option<Timestamp>,
    /// New end; `Some(None)` clears it.
    pub completed_at: Option<Option<Timestamp>>,
    /// New components (replaces the set).
    pub components: Option<Vec<ComponentId>>,
    /// New notify flag.
    pub notify: Option<bool>,
    /// Compare-and-set: apply only if the stored status is this one, else
    /// [`crate::store::StoreError::Conflict`]. This is how several scheduler instances make
    /// each transition exactly once.
    pub expected_status: Option<ScheduleStatus>,
}

/// An update posted to a maintenance schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleUpdate {
    /// Its id.
    pub id: ScheduleUpdateId,
    /// The schedule.
    pub schedule_id: ScheduleId,
    /// Markdown source.
    pub message: Markdown,
    /// Author.
    pub user_id: Option<UserId>,
    /// When it was posted.
    pub created_at: Timestamp,
}

/// What posting a schedule update needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScheduleUpdate {
    /// Message.
    pub message: Markdown,
    /// Author.
    pub user_id: Option<UserId>,
}
