//! The overall-status rule: pure, deterministic functions over model values and the current
//! time, shared by the Statuspage v2 JSON, API v1's `/status`, the pages, feeds and badges.
//!
//! # Maintenance windows
//!
//! A schedule's [`MaintenancePhase`] at time `now` ([`maintenance_phase`]):
//!
//! 1. **complete** when its stored status is `Complete`, or it has an end (`completed_at`) and
//!    that end is at or before `now`. A window whose end has passed is over whatever the stored
//!    status says, so a forgotten "complete" never leaves components under maintenance
//!    forever; to extend a window, move its end;
//! 2. otherwise **in progress** when its stored status is `InProgress` (an operator may start
//!    early) or its start (`scheduled_at`) is at or before `now`;
//! 3. otherwise **upcoming**.
//!
//! # Effective component status
//!
//! [`effective_status`]: a component covered by at least one in-progress schedule is
//! **under maintenance**, whatever its stored status (maintenance is planned work, and what a
//! visitor should be told); otherwise its stored status. "Under maintenance" is never stored:
//! API v1 keeps showing the stored status. An `Unknown` component shows as operational and is
//! left out of the rule (unless it is under maintenance, which is known).
//!
//! # The page indicator
//!
//! [`overall`], with [`Indicator`]s ordered none < maintenance < minor < major < critical:
//!
//! 1. every counted component gives an indicator: major outage → critical, partial outage →
//!    major, performance issues → minor, under maintenance → maintenance, operational → none;
//!    unknown components give nothing;
//! 2. every *unresolved* incident gives its impact ([`incident_impact`]): the worst of the
//!    statuses it gives its affected components mapped the same way (operational → none),
//!    ignoring `Unknown` entries, and **minor when it has no (known) affected component**;
//! 3. the page indicator is the highest of all these, `none` when there is nothing.
//!
//! So a single maintenance shows `maintenance` only when nothing is worse, and any outage or
//! unresolved incident with an impact outranks it. The rule depends on no order and no
//! threshold; callers pass only what a visitor may see (enabled components outside
//! signed-in-only groups, visible incidents).
//!
//! # API v1 `/status`
//!
//! [`api_v1_status`] keeps Cachet's three levels, decided from the same rule applied to the
//! **stored** statuses (API v1 never shows maintenance as a status, and neither did Cachet
//! 2.4's banner):
//!
//! * `danger` when at least one counted component has a major outage and major outages make
//!   up at least the `major_outage_rate` setting's percentage of the counted components
//!   (Cachet's threshold, default 50 %);
//! * else `success` when the rule gives `none` (every counted component operational, no
//!   unresolved incident with an impact);
//! * else `info`.
//!
//! Messages are Cachet's, singular for at most one counted component.

use std::cmp::Ordering;

use crate::clock::Timestamp;
use crate::model::{Component, ComponentId, ComponentStatus, Incident, Schedule, ScheduleStatus};

/// Where a maintenance window stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MaintenancePhase {
    /// Not started yet.
    Upcoming,
    /// Running: its components are under maintenance.
    InProgress,
    /// Over.
    Complete,
}

impl MaintenancePhase {
    /// The Statuspage v2 maintenance status: `scheduled`, `in_progress` or `completed`.
    #[must_use]
    pub fn statuspage(self) -> &'static str {
        match self {
            Self::Upcoming => "scheduled",
            Self::InProgress => "in_progress",
            Self::Complete => "completed",
        }
    }
}

/// Where a schedule stands at `now` (see the [module docs](self)).
#[must_use]
pub fn maintenance_phase(s: &Schedule, now: Timestamp) -> MaintenancePhase {
    if s.status == ScheduleStatus::Complete || s.completed_at.is_some_and(|end| end <= now) {
        MaintenancePhase::Complete
    } else if s.status == ScheduleStatus::InProgress || s.scheduled_at <= now {
        MaintenancePhase::InProgress
    } else {
        MaintenancePhase::Upcoming
    }
}

/// Where a schedule's window stood at a past time `t`, judged by its times alone (the stored
/// status only says where it stands now): before its start `Upcoming`, at or after its end
/// `Complete`, in between `InProgress`. Used for the status of each posted update.
#[must_use]
pub fn window_phase_at(s: &Schedule, t: Timestamp) -> MaintenancePhase {
    if s.completed_at.is_some_and(|end| end <= t) {
        MaintenancePhase::Complete
    } else if s.scheduled_at <= t {
        MaintenancePhase::InProgress
    } else {
        MaintenancePhase::Upcoming
    }
}

/// Whether an in-progress schedule covers the component at `now`.
#[must_use]
pub fn under_maintenance(component: ComponentId, schedules: &[Schedule], now: Timestamp) -> bool {
    schedules.iter().any(|s| {
        s.components.contains(&component)
            && maintenance_phase(s, now) == MaintenancePhase::InProgress
    })
}

/// The status a visitor is shown for a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EffectiveStatus {
    /// Not known: shown as operational, left out of the rule.
    Unknown,
    /// Working normally.
    Operational,
    /// Slow or degraded.
    PerformanceIssues,
    /// Partly down.
    PartialOutage,
    /// Down.
    MajorOutage,
    /// Covered by an in-progress maintenance window.
    UnderMaintenance,
}

impl EffectiveStatus {
    /// Every value.
    pub const ALL: &'static [Self] = &[
        Self::Unknown,
        Self::Operational,
        Self::PerformanceIssues,
        Self::PartialOutage,
        Self::MajorOutage,
        Self::UnderMaintenance,
    ];

    /// The stored status, as shown when no maintenance covers the component.
    #[must_use]
    pub fn from_stored(s: ComponentStatus) -> Self {
        match s {
            ComponentStatus::Unknown => Self::Unknown,
            ComponentStatus::Operational => Self::Operational,
            ComponentStatus::PerformanceIssues => Self::PerformanceIssues,
            ComponentStatus::PartialOutage => Self::PartialOutage,
            ComponentStatus::MajorOutage => Self::MajorOutage,
        }
    }

    /// The Statuspage v2 component status: `operational` (also for unknown),
    /// `degraded_performance`, `partial_outage`, `major_outage` or `under_maintenance`.
    #[must_use]
    pub fn statuspage(self) -> &'static str {
        match self {
            Self::Unknown | Self::Operational => "operational",
            Self::PerformanceIssues => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
            Self::UnderMaintenance => "under_maintenance",
        }
    }

    /// What this status adds to the page indicator; `None` for unknown (left out).
    #[must_use]
    pub fn indicator(self) -> Option<Indicator> {
        match self {
            Self::Unknown => None,
            Self::Operational => Some(Indicator::None),
            Self::UnderMaintenance => Some(Indicator::Maintenance),
            Self::PerformanceIssues => Some(Indicator::Minor),
            Self::PartialOutage => Some(Indicator::Major),
            Self::MajorOutage => Some(Indicator::Critical),
        }
    }

    /// How bad the status is, for "worst wins" (a group's status): unknown and operational 0,
    /// maintenance 1, performance issues 2, partial outage 3, major outage 4.
    #[must_use]
    pub fn rank(self) -> u8 {
        match self {
            Self::Unknown | Self::Operational => 0,
            Self::UnderMaintenance => 1,
            Self::PerformanceIssues => 2,
            Self::PartialOutage => 3,
            Self::MajorOutage => 4,
        }
    }
}

/// A component's effective status at `now`: under maintenance when an in-progress schedule
/// covers it, else its stored status.
#[must_use]
pub fn effective_status(c: &Component, schedules: &[Schedule], now: Timestamp) -> EffectiveStatus {
    if under_maintenance(c.id, schedules, now) {
        EffectiveStatus::UnderMaintenance
    } else {
        EffectiveStatus::from_stored(c.status)
    }
}

/// The status of a group of components: the worst by [`EffectiveStatus::rank`]; operational
/// when empty or all unknown.
#[must_use]
pub fn worst(statuses: impl IntoIterator<Item = EffectiveStatus>) -> EffectiveStatus {
    statuses
        .into_iter()
        .filter(|s| *s != EffectiveStatus::Unknown)
        .max_by_key(|s| s.rank())
        .unwrap_or(EffectiveStatus::Operational)
}

/// The Statuspage indicator of a page and the impact of an incident, ordered from best to
/// worst: `none < maintenance < minor < major < critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    /// All fine.
    None,
    /// Only planned maintenance.
    Maintenance,
    /// Degraded performance (or an incident without affected components).
    Minor,
    /// A partial outage.
    Major,
    /// A major outage.
    Critical,
}

impl Indicator {
    /// Every value, best first.
    pub const ALL: &'static [Self] = &[
        Self::None,
        Self::Maintenance,
        Self::Minor,
        Self::Major,
        Self::Critical,
    ];

    /// The Statuspage name: `none`, `maintenance`, `minor`, `major` or `critical`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Maintenance => "maintenance",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }

    /// Statuspage's description for the indicator (its single-component wording, one per
    /// indicator so the text is as deterministic as the indicator).
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::None => "All Systems Operational",
            Self::Maintenance => "Service Under Maintenance",
            Self::Minor => "Partially Degraded Service",
            Self::Major => "Partial System Outage",
            Self::Critical => "Major System Outage",
        }
    }
}

/// The impact of an incident (resolved or not): the worst status it gives its affected
/// components (operational → none, performance issues → minor, partial outage → major, major
/// outage → critical), ignoring unknown entries; minor when no known component is affected.
/// Never [`Indicator::Maintenance`].
#[must_use]
pub fn incident_impact(i: &Incident) -> Indicator {
    i.components
        .iter()
        .filter_map(|a| EffectiveStatus::from_stored(a.status).indicator())
        .max()
        .unwrap_or(Indicator::Minor)
}

/// The page indicator (see the [module docs](self)) from the effective statuses of the
/// components a visitor sees and the incidents a visitor sees; resolved incidents are skipped
/// here, so callers may pass any.
#[must_use]
pub fn overall<'a>(
    components: impl IntoIterator<Item = EffectiveStatus>,
    incidents: impl IntoIterator<Item = &'a Incident>,
) -> Indicator {
    let from_components = components
        .into_iter()
        .filter_map(EffectiveStatus::indicator)
        .max()
        .unwrap_or(Indicator::None);
    let from_incidents = incidents
        .into_iter()
        .filter(|i| !i.status.is_resolved())
        .map(incident_impact)
        .max()
        .unwrap_or(Indicator::None);
    from_components.max(from_incidents)
}

/// [`overall`] over components and schedules: each component's [`effective_status`] at `now`.
#[must_use]
pub fn page_indicator(
    components: &[Component],
    schedules: &[Schedule],
    incidents: &[Incident],
    now: Timestamp,
) -> Indicator {
    overall(
        components
            .iter()
            .map(|c| effective_status(c, schedules, now)),
        incidents,
    )
}

/// API v1's status level (Cachet's banner classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiV1Level {
    /// Everything operational.
    Success,
    /// Some issues.
    Info,
    /// Major outage at or above the `major_outage_rate` threshold.
    Danger,
}

impl ApiV1Level {
    /// `success`, `info` or `danger`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Info => "info",
            Self::Danger => "danger",
        }
    }
}

/// API v1's `/status` answer: a level and Cachet's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiV1Status {
    /// The level.
    pub level: ApiV1Level,
    /// Cachet's English message for the level.
    pub message: &'static str,
}

/// API v1's status (see the [module docs](self)) from the **stored** statuses of the
/// components a visitor sees, the incidents a visitor sees (resolved ones are skipped) and the
/// `major_outage_rate` percentage.
#[must_use]
pub fn api_v1_status<'a>(
    stored: impl IntoIterator<Item = ComponentStatus>,
    incidents: impl IntoIterator<Item = &'a Incident>,
    major_outage_rate: u8,
) -> ApiV1Status {
    let counted: Vec<EffectiveStatus> = stored
        .into_iter()
        .map(EffectiveStatus::from_stored)
        .filter(|s| *s != EffectiveStatus::Unknown)
        .collect();
    let total = counted.len();
    let majors = counted
        .iter()
        .filter(|s| **s == EffectiveStatus::MajorOutage)
        .count();
    let many = total > 1;
    let danger = majors > 0
        && (majors.saturating_mul(100)).cmp(&total.saturating_mul(usize::from(major_outage_rate)))
            != Ordering::Less;
    if danger {
        return ApiV1Status {
            level: ApiV1Level::Danger,
            message: if many {
                "Some systems are experiencing major issues"
            } else {
                "The system is experiencing major issues"
            },
        };
    }
    if overall(counted.iter().copied(), incidents) == Indicator::None {
        ApiV1Status {
            level: ApiV1Level::Success,
            message: if many {
                "All systems are operational"
            } else {
                "System operational"
            },
        }
    } else {
        ApiV1Status {
            level: ApiV1Level::Info,
            message: if many {
                "Some systems are experiencing issues"
            } else {
                "The system is experiencing issues"
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{DateTime, TimeDelta};
    use proptest::prelude::*;

    use super::*;
    use crate::model::{AffectedComponent, IncidentId, IncidentStatus, ScheduleId, ScheduleStatus};
    use crate::validate::{Markdown, Meta, Name, Order, Text};

    fn t0() -> Timestamp {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    fn component(id: i64, status: ComponentStatus) -> Component {
        Component {
            id: ComponentId(id),
            name: Name::parse("c").unwrap(),
            description: Text::empty(),
            link: None,
            status,
            order: Order::default(),
            group_id: None,
            enabled: true,
            tags: Vec::new(),
            meta: Meta::default(),
            created_at: t0(),
            updated_at: t0(),
        }
    }

    fn incident(status: IncidentStatus, affected: &[ComponentStatus]) -> Incident {
        Incident {
            id: IncidentId(1),
            user_id: None,
            name: Name::parse("i").unwrap(),
            status,
            message: Markdown::empty(),
            visible: true,
            stickied: false,
            notify: false,
            occurred_at: t0(),
            components: affected
                .iter()
                .enumerate()
                .map(|(n, s)| AffectedComponent {
                    component_id: ComponentId(i64::try_from(n).unwrap() + 1),
                    status: *s,
                })
                .collect(),
            meta: Meta::default(),
            created_at: t0(),
            updated_at: t0(),
        }
    }

    fn schedule(
        status: ScheduleStatus,
        start: i64,
        end: Option<i64>,
        components: &[i64],
    ) -> Schedule {
        Schedule {
            id: ScheduleId(1),
            name: Name::parse("s").unwrap(),
            message: Markdown::empty(),
            status,
            scheduled_at: t0() + TimeDelta::minutes(start),
            completed_at: end.map(|e| t0() + TimeDelta::minutes(e)),
            components: components.iter().map(|c| ComponentId(*c)).collect(),
            notify: false,
            user_id: None,
            created_at: t0(),
            updated_at: t0(),
        }
    }

    use ComponentStatus as C;
    use EffectiveStatus as E;
    use Indicator as I;
    use MaintenancePhase as P;
    use ScheduleStatus as S;

    #[test]
    fn maintenance_phase_table() {
        let now = t0();
        // (stored status, start, end, phase at t0); minutes relative to now
        let table = [
            (S::Upcoming, 10, None, P::Upcoming),
            (S::Upcoming, 10, Some(20), P::Upcoming),
            (S::Upcoming, 0, None, P::InProgress), // start reached: inclusive
            (S::Upcoming, -10, None, P::InProgress),
            (S::Upcoming, -10, Some(10), P::InProgress),
            (S::Upcoming, -10, Some(0), P::Complete), // end reached: inclusive
            (S::Upcoming, -20, Some(-10), P::Complete),
            (S::InProgress, 10, None, P::InProgress), // started early by hand
            (S::InProgress, 10, Some(20), P::InProgress),
            (S::InProgress, -20, Some(-10), P::Complete), // the end has passed
            (S::Complete, -10, None, P::Complete),
            (S::Complete, -10, Some(10), P::Complete), // finished early by hand
            (S::Complete, 10, Some(20), P::Complete),
        ];
        for (status, start, end, phase) in table {
            let s = schedule(status, start, end, &[1]);
            assert_eq!(
                maintenance_phase(&s, now),
                phase,
                "{status:?} {start} {end:?}"
            );
        }
        assert_eq!(P::Upcoming.statuspage(), "scheduled");
        assert_eq!(P::InProgress.statuspage(), "in_progress");
        assert_eq!(P::Complete.statuspage(), "completed");
    }

    #[test]
    fn window_phase_at_ignores_the_stored_status() {
        let s = schedule(S::Complete, 0, Some(60), &[1]);
        assert_eq!(
            window_phase_at(&s, t0() - TimeDelta::minutes(1)),
            P::Upcoming
        );
        assert_eq!(window_phase_at(&s, t0()), P::InProgress);
        assert_eq!(
            window_phase_at(&s, t0() + TimeDelta::minutes(60)),
            P::Complete
        );
        let open = schedule(S::Upcoming, 0, None, &[1]);
        assert_eq!(
            window_phase_at(&open, t0() + TimeDelta::days(900)),
            P::InProgress
        );
    }

    #[test]
    fn maintenance_covers_only_its_components_while_in_progress() {
        let now = t0();
        let schedules = [
            schedule(S::Upcoming, -5, Some(5), &[1, 2]),
            schedule(S::Upcoming, 5, Some(10), &[3]),
            schedule(S::Complete, -5, None, &[4]),
        ];
        assert!(under_maintenance(ComponentId(1), &schedules, now));
        assert!(under_maintenance(ComponentId(2), &schedules, now));
        assert!(!under_maintenance(ComponentId(3), &schedules, now));
        assert!(!under_maintenance(ComponentId(4), &schedules, now));
        assert!(!under_maintenance(ComponentId(5), &schedules, now));
        // Maintenance wins over any stored status, unknown included.
        for stored in C::ALL {
            let c = component(1, *stored);
            assert_eq!(effective_status(&c, &schedules, now), E::UnderMaintenance);
            let c = component(3, *stored);
            assert_eq!(
                effective_status(&c, &schedules, now),
                E::from_stored(*stored)
            );
        }
    }

    #[test]
    fn statuspage_component_statuses() {
        let names: Vec<&str> = E::ALL.iter().map(|s| s.statuspage()).collect();
        assert_eq!(
            names,
            [
                "operational",
                "operational",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                "under_maintenance"
            ]
        );
    }

    #[test]
    fn indicator_names_and_descriptions() {
        let got: Vec<(&str, &str)> = I::ALL
            .iter()
            .map(|i| (i.as_str(), i.description()))
            .collect();
        assert_eq!(
            got,
            [
                ("none", "All Systems Operational"),
                ("maintenance", "Service Under Maintenance"),
                ("minor", "Partially Degraded Service"),
                ("major", "Partial System Outage"),
                ("critical", "Major System Outage"),
            ]
        );
    }

    #[test]
    fn incident_impact_table() {
        let table: [(&[C], I); 9] = [
            (&[], I::Minor),
            (&[C::Unknown], I::Minor),
            (&[C::Operational], I::None),
            (&[C::Unknown, C::Operational], I::None),
            (&[C::PerformanceIssues], I::Minor),
            (&[C::PartialOutage], I::Major),
            (&[C::MajorOutage], I::Critical),
            (
                &[C::Operational, C::MajorOutage, C::PerformanceIssues],
                I::Critical,
            ),
            (&[C::PerformanceIssues, C::PartialOutage], I::Major),
        ];
        for (affected, impact) in table {
            assert_eq!(
                incident_impact(&incident(IncidentStatus::Investigating, affected)),
                impact,
                "{affected:?}"
            );
        }
    }

    #[test]
    fn overall_rule_table() {
        let open = |a: &[C]| incident(IncidentStatus::Identified, a);
        let fixed = |a: &[C]| incident(IncidentStatus::Fixed, a);
        let table: Vec<(Vec<E>, Vec<Incident>, I)> = vec![
            (vec![], vec![], I::None),
            (vec![E::Unknown, E::Unknown], vec![], I::None),
            (vec![E::Operational], vec![], I::None),
            (vec![E::Operational, E::PerformanceIssues], vec![], I::Minor),
            (
                vec![E::PartialOutage, E::PerformanceIssues],
                vec![],
                I::Major,
            ),
            (vec![E::MajorOutage, E::Operational], vec![], I::Critical),
            (
                vec![E::UnderMaintenance, E::Operational],
                vec![],
                I::Maintenance,
            ),
            (
                vec![E::UnderMaintenance, E::PerformanceIssues],
                vec![],
                I::Minor,
            ),
            (
                vec![E::UnderMaintenance, E::MajorOutage],
                vec![],
                I::Critical,
            ),
            // incidents: unresolved ones count with their impact
            (vec![E::Operational], vec![open(&[])], I::Minor),
            (vec![E::Operational], vec![open(&[C::Operational])], I::None),
            (
                vec![E::Operational],
                vec![open(&[C::MajorOutage])],
                I::Critical,
            ),
            (
                vec![E::UnderMaintenance],
                vec![open(&[C::Operational])],
                I::Maintenance,
            ),
            (vec![E::UnderMaintenance], vec![open(&[])], I::Minor),
            (
                vec![E::PartialOutage],
                vec![open(&[C::PerformanceIssues])],
                I::Major,
            ),
            // resolved incidents never count
            (
                vec![E::Operational],
                vec![fixed(&[C::MajorOutage])],
                I::None,
            ),
            (
                vec![],
                vec![fixed(&[]), open(&[C::PartialOutage])],
                I::Major,
            ),
        ];
        for (components, incidents, want) in table {
            assert_eq!(
                overall(components.iter().copied(), &incidents),
                want,
                "{components:?} {incidents:?}"
            );
        }
    }

    #[test]
    fn page_indicator_uses_maintenance() {
        let now = t0();
        let cs = [component(1, C::Operational), component(2, C::Unknown)];
        let maint = [schedule(S::InProgress, -1, None, &[2])];
        assert_eq!(page_indicator(&cs, &[], &[], now), I::None);
        assert_eq!(page_indicator(&cs, &maint, &[], now), I::Maintenance);
    }

    #[test]
    fn group_status_is_the_worst() {
        assert_eq!(worst([]), E::Operational);
        assert_eq!(worst([E::Unknown]), E::Operational);
        assert_eq!(
            worst([E::Operational, E::UnderMaintenance]),
            E::UnderMaintenance
        );
        assert_eq!(
            worst([E::UnderMaintenance, E::PerformanceIssues]),
            E::PerformanceIssues
        );
        assert_eq!(worst([E::MajorOutage, E::PartialOutage]), E::MajorOutage);
    }

    #[test]
    fn api_v1_status_table() {
        let none: [Incident; 0] = [];
        let open = [incident(IncidentStatus::Investigating, &[])];
        type Row<'a> = (Vec<C>, &'a [Incident], u8, ApiV1Level, &'static str);
        let table: Vec<Row<'_>> = vec![
            (vec![], &none, 50, ApiV1Level::Success, "System operational"),
            (
                vec![C::Operational],
                &none,
                50,
                ApiV1Level::Success,
                "System operational",
            ),
            (
                vec![C::Operational, C::Operational],
                &none,
                50,
                ApiV1Level::Success,
                "All systems are operational",
            ),
            (
                vec![C::Operational, C::Unknown],
                &none,
                50,
                ApiV1Level::Success,
                "System operational",
            ),
            (
                vec![C::Operational, C::Operational],
                &open,
                50,
                ApiV1Level::Info,
                "Some systems are experiencing issues",
            ),
            (
                vec![C::PerformanceIssues],
                &none,
                50,
                ApiV1Level::Info,
                "The system is experiencing issues",
            ),
            (
                vec![C::MajorOutage, C::Operational, C::Operational],
                &none,
                50,
                ApiV1Level::Info,
                "Some systems are experiencing issues",
            ),
            (
                vec![C::MajorOutage, C::Operational],
                &none,
                50,
                ApiV1Level::Danger,
                "Some systems are experiencing major issues",
            ),
            (
                vec![C::MajorOutage],
                &none,
                100,
                ApiV1Level::Danger,
                "The system is experiencing major issues",
            ),
            (
                vec![
                    C::MajorOutage,
                    C::Operational,
                    C::Operational,
                    C::Operational,
                ],
                &none,
                25,
                ApiV1Level::Danger,
                "Some systems are experiencing major issues",
            ),
            // a rate of 0 still needs one major outage
            (
                vec![C::PartialOutage],
                &none,
                0,
                ApiV1Level::Info,
                "The system is experiencing issues",
            ),
        ];
        for (stored, incidents, rate, level, message) in table {
            let got = api_v1_status(stored.iter().copied(), incidents, rate);
            assert_eq!(
                got,
                ApiV1Status { level, message },
                "{stored:?} {incidents:?} {rate}"
            );
        }
        assert_eq!(ApiV1Level::Danger.as_str(), "danger");
    }

    fn effective() -> impl Strategy<Value = EffectiveStatus> {
        proptest::sample::select(E::ALL)
    }

    fn stored() -> impl Strategy<Value = ComponentStatus> {
        proptest::sample::select(C::ALL)
    }

    fn incidents() -> impl Strategy<Value = Vec<Incident>> {
        let status = proptest::sample::select(IncidentStatus::ALL);
        proptest::collection::vec(
            (status, proptest::collection::vec(stored(), 0..4)).prop_map(|(s, a)| incident(s, &a)),
            0..4,
        )
    }

    proptest! {
        #[test]
        fn a_worse_component_never_improves_the_indicator(
            cs in proptest::collection::vec(effective(), 0..8),
            incs in incidents(),
            extra in effective(),
        ) {
            let before = overall(cs.iter().copied(), &incs);
            let mut more = cs.clone();
            more.push(extra);
            let after = overall(more.iter().copied(), &incs);
            prop_assert!(after >= before);
            // and the indicator is at least what the new component says alone
            if let Some(i) = extra.indicator() {
                prop_assert!(after >= i);
            } else {
                prop_assert_eq!(after, before); // unknown components are left out
            }
        }

        #[test]
        fn order_never_matters(
            cs in proptest::collection::vec(effective(), 0..8),
            incs in incidents(),
            seed in any::<u64>(),
        ) {
            let want = overall(cs.iter().copied(), &incs);
            let mut shuffled = cs.clone();
            let mut incs2 = incs.clone();
            // a deterministic permutation from the seed
            let n = shuffled.len();
            if n > 1 {
                let k = usize::try_from(seed % n as u64).unwrap_or(0);
                shuffled.rotate_left(k);
                shuffled.reverse();
            }
            incs2.reverse();
            prop_assert_eq!(overall(shuffled.iter().copied(), &incs2), want);
            prop_assert_eq!(
                overall(cs.iter().rev().copied(), &incs),
                want
            );
        }

        #[test]
        fn incidents_only_ever_raise_and_resolved_ones_never_count(
            cs in proptest::collection::vec(effective(), 0..8),
            incs in incidents(),
        ) {
            let without = overall(cs.iter().copied(), &[]);
            let with = overall(cs.iter().copied(), &incs);
            prop_assert!(with >= without);
            let open: Vec<Incident> = incs.iter().filter(|i| !i.status.is_resolved()).cloned().collect();
            prop_assert_eq!(overall(cs.iter().copied(), &open), with);
            if open.is_empty() {
                prop_assert_eq!(with, without);
            }
            // an incident never makes the page "maintenance"
            if with == I::Maintenance {
                prop_assert_eq!(without, I::Maintenance);
            }
        }

        #[test]
        fn api_v1_success_iff_the_rule_says_none(
            cs in proptest::collection::vec(stored(), 0..8),
            incs in incidents(),
            rate in 0u8..=100,
        ) {
            let v1 = api_v1_status(cs.iter().copied(), &incs, rate);
            let rule = overall(cs.iter().copied().map(E::from_stored), &incs);
            prop_assert_eq!(v1.level == ApiV1Level::Success, rule == I::None);
            if v1.level == ApiV1Level::Danger {
                prop_assert_eq!(rule, I::Critical);
            }
        }
    }
}
