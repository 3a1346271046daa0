//! Maintenance schedules and their updates.

use super::{
    ComponentId, ScheduleId, ScheduleUpdateId, Timestamp, UserId, int_enum, normalize_ids, set,
    with_setters,
};
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
///
/// Build it with [`NewSchedule::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

impl NewSchedule {
    /// A schedule starting at `scheduled_at`, with no end, covering no component, by no user and notifying nobody.
    #[must_use]
    pub fn new(
        name: Name,
        message: Markdown,
        status: ScheduleStatus,
        scheduled_at: Timestamp,
    ) -> Self {
        Self {
            name,
            message,
            status,
            scheduled_at,
            completed_at: None,
            components: Vec::new(),
            notify: false,
            user_id: None,
        }
    }
}

with_setters! {
    NewSchedule {
        with_completed_at => completed_at: Option<Timestamp>,
        with_components => components: Vec<ComponentId>,
        with_notify => notify: bool,
        with_user_id => user_id: Option<UserId>,
    }
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

impl SchedulePatch {
    /// Sets on `schedule` every field this patch names and nothing else; the new components
    /// are stored [normalized](normalize_ids). `expected_status` is a condition, not a field:
    /// the store checks it against the stored row before applying the patch.
    pub fn apply_to(&self, schedule: &mut Schedule) {
        set(&mut schedule.name, self.name.as_ref());
        set(&mut schedule.message, self.message.as_ref());
        set(&mut schedule.status, self.status.as_ref());
        set(&mut schedule.scheduled_at, self.scheduled_at.as_ref());
        set(&mut schedule.completed_at, self.completed_at.as_ref());
        if let Some(components) = &self.components {
            schedule.components = normalize_ids(components);
        }
        set(&mut schedule.notify, self.notify.as_ref());
    }
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
///
/// Build it with [`NewScheduleUpdate::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewScheduleUpdate {
    /// Message.
    pub message: Markdown,
    /// Author.
    pub user_id: Option<UserId>,
}

impl NewScheduleUpdate {
    /// An update with a message, by no user.
    #[must_use]
    pub fn new(message: Markdown) -> Self {
        Self {
            message,
            user_id: None,
        }
    }
}

with_setters! {
    NewScheduleUpdate {
        with_user_id => user_id: Option<UserId>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::{at, check, markdown, name};

    #[test]
    fn schedule_patch_sets_what_it_names() {
        let before = Schedule {
            id: ScheduleId(1),
            name: name("DB upgrade"),
            message: markdown("Short downtime"),
            status: ScheduleStatus::Upcoming,
            scheduled_at: at(10),
            completed_at: Some(at(20)),
            components: vec![ComponentId(1)],
            notify: true,
            user_id: Some(UserId(2)),
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = SchedulePatch {
            name: Some(name("DB migration")),
            message: Some(markdown("Longer")),
            status: Some(ScheduleStatus::InProgress),
            scheduled_at: Some(at(11)),
            completed_at: Some(None),
            // Repeated and out of order: stored deduplicated and sorted.
            components: Some(vec![ComponentId(3), ComponentId(2), ComponentId(3)]),
            notify: Some(false),
            // A condition for the store, not a field.
            expected_status: Some(ScheduleStatus::Complete),
        };
        let expected = Schedule {
            name: name("DB migration"),
            message: markdown("Longer"),
            status: ScheduleStatus::InProgress,
            scheduled_at: at(11),
            completed_at: None,
            components: vec![ComponentId(2), ComponentId(3)],
            notify: false,
            ..before.clone()
        };
        check(&before, &patch, &expected, SchedulePatch::apply_to);
    }
}
