//! The maintenance scheduler: moves schedules from upcoming to in progress when their window
//! opens and to complete when it closes, enqueueing the started / completed notifications in
//! the same transaction as each transition.
//!
//! Every transition is a compare-and-set on the stored status
//! ([`SchedulePatch::expected_status`]), so with several instances (or after a restart that
//! re-reads the same schedules) each transition happens exactly once: the loser of a race
//! gets `Conflict` and moves on. A schedule whose window opened and closed while no scheduler
//! ran goes straight to complete (one event, "completed"; announcing a start that is already
//! over would only confuse).
//!
//! Every tick also runs the audit log's background step ([`Cachet::retention_tick`]): the
//! count entries of coalesced refusals, and (every few minutes) pruning of the audit log and
//! the throttle table past their retention.

use std::time::Duration;

use crate::model::{Schedule, SchedulePatch, ScheduleStatus};
use crate::store::{PageRequest, ScheduleFilter, ScheduleQuery, StoreError};
use crate::{Actor, Cachet, Error};

/// What one scheduler tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchedulerReport {
    /// Schedules moved to in progress.
    pub started: usize,
    /// Schedules moved to complete.
    pub completed: usize,
    /// Transitions another instance made first.
    pub raced: usize,
    /// The audit log's background step.
    pub retention: crate::RetentionReport,
}

/// The maintenance scheduler (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Scheduler {
    cachet: Cachet,
    poll_interval: Duration,
}

impl Scheduler {
    /// A scheduler over the facade, checking every 15 seconds.
    #[must_use]
    pub fn new(cachet: Cachet) -> Self {
        Self {
            cachet,
            poll_interval: Duration::from_secs(15),
        }
    }

    /// With another poll interval.
    #[must_use]
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Runs ticks every poll interval until `shutdown` completes (a tick in progress is
    /// finished first).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(target: "cachet::notify", error = %crate::log::Escaped(&e), "scheduler tick failed");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// One pass over the schedules that are not complete, after the audit log's background
    /// step.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when listing fails; a failed transition is retried next tick.
    pub async fn tick(&self) -> Result<SchedulerReport, Error> {
        let now = self.cachet.now();
        let mut report = SchedulerReport::default();
        // First, and never failing the tick: the audit log's housekeeping must not hold up
        // maintenance transitions, nor they it.
        match self.cachet.retention_tick().await {
            Ok(r) => report.retention = r,
            Err(e) => {
                tracing::warn!(target: "cachet::audit", error = %crate::log::Escaped(&e), "audit retention step failed");
            }
        }
        let mut due: Vec<Schedule> = Vec::new();
        let mut page = 1;
        loop {
            let q = ScheduleQuery::filtered(ScheduleFilter {
                status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
                scheduled_before: Some(now),
                ..ScheduleFilter::default()
            })
            .paged(PageRequest::new(page, PageRequest::MAX_PER_PAGE));
            let p = self.cachet.store().schedules(&q).await?;
            let n = p.items.len();
            due.extend(p.items);
            if n < PageRequest::MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        let actor = Actor::operator();
        for s in due {
            let ended = s.completed_at.is_some_and(|end| end <= now);
            let target = if ended {
                ScheduleStatus::Complete
            } else if s.status == ScheduleStatus::Upcoming && s.scheduled_at <= now {
                ScheduleStatus::InProgress
            } else {
                continue;
            };
            let patch = SchedulePatch {
                status: Some(target),
                expected_status: Some(s.status),
                ..SchedulePatch::default()
            };
            match self.cachet.update_schedule(&actor, s.id, &patch).await {
                Ok(_) if target == ScheduleStatus::Complete => report.completed += 1,
                Ok(_) => report.started += 1,
                Err(Error::Conflict(_)) => report.raced += 1,
                Err(Error::NotFound { .. }) => {}
                Err(Error::Store(StoreError::Conflict { .. })) => report.raced += 1,
                Err(e) => {
                    tracing::warn!(target: "cachet::notify", schedule = s.id.get(), error = %crate::log::Escaped(&e), "maintenance transition failed");
                }
            }
        }
        Ok(report)
    }
}
