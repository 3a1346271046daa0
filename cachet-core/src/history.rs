//! The 90-day history bars of a component: per day, its uptime, the number of incidents
//! touching the day, and the worst status it had.
//!
//! Everything is computed by pure functions over a component's status history, its creation
//! time, the incidents affecting it, `now`, the number of days and a time zone
//! ([`history_days`]), so it can be tested without a store. [`component_history`] gathers the
//! data through the facade as an anonymous visitor.
//!
//! # Days
//!
//! Days are calendar days **in the site's time zone** (the `app_timezone` setting), because
//! the page shows dates in that zone: a bar labelled "Nov 22" covers Nov 22 as the visitor
//! reads it on the page. A day lasts from its local midnight to the next one (23 or 25 hours
//! across a daylight-saving change; when a zone skips midnight, the day starts at its first
//! existing instant). The last day is today, measured up to `now`; the day of creation is
//! measured from the creation time; days that ended before the component existed have no data.
//!
//! # Weighting
//!
//! A day's uptime is `100% × (1 − Σ weight × time in status / time measured)`, with these
//! downtime weights:
//!
//! | status | downtime weight | one whole day in it |
//! |---|---|---|
//! | operational | 0 | 100% |
//! | unknown | 0 | 100% (no evidence of trouble) |
//! | performance issues | 0.3 | 70% |
//! | partial outage | 0.5 | 50% |
//! | major outage | 1 | 0% |
//!
//! The uptime is kept in hundredths of a percent and rounded **down**, so any downtime at all
//! shows below 100%.
//!
//! # Maintenance
//!
//! Time inside a maintenance window covering the component counts as up, whatever status it
//! was set to meanwhile (as on Statuspage: planned work announced in advance is not an
//! outage). A window lasts from its start to its completion; one still in progress, up to
//! now. Upcoming windows count for nothing.
//!
//! # Incidents
//!
//! An incident touches a day when it started before the day ended and was not yet resolved
//! when the day began (an unresolved incident touches every day up to today). Incidents of
//! Cachet 2.3's "scheduled" status are maintenance notices, not disruptions, and are left out
//! by [`component_history`].

use chrono::{Days, NaiveDate, TimeDelta, TimeZone};
use chrono_tz::Tz;

use crate::clock::Timestamp;
use crate::model::{
    Component, ComponentId, ComponentStatus, Incident, IncidentId, IncidentStatus, ScheduleStatus,
    StatusChange,
};
use crate::status::{EffectiveStatus, worst};
use crate::store::{
    IncidentFilter, IncidentQuery, IncidentSort, PageRequest, ScheduleFilter, ScheduleQuery,
};
use crate::{Actor, Cachet, Error};

/// The number of days the page shows.
pub const DAYS: usize = 90;

/// An uptime in hundredths of a percent, `0..=10_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uptime(u16);

impl Uptime {
    /// 100%.
    pub const FULL: Self = Self(10_000);

    /// From hundredths of a percent, clamped into `0..=10_000`.
    #[must_use]
    pub fn from_hundredths(h: u32) -> Self {
        Self(u16::try_from(h.min(10_000)).unwrap_or(10_000))
    }

    /// Hundredths of a percent (`9_930` is 99.3%).
    #[must_use]
    pub fn hundredths(self) -> u16 {
        self.0
    }

    /// The percentage as a float, `0.0..=100.0`.
    #[must_use]
    pub fn percent(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// The percentage for display with one decimal, rounded down, without a trailing `.0`
    /// for 100 and 0: `"100"`, `"99.9"`, `"50.0"`, `"0"`. No `%` sign (locales place it).
    #[must_use]
    pub fn display(self) -> String {
        match self.0 {
            10_000 => "100".to_owned(),
            0 => "0".to_owned(),
            h => format!("{}.{}", h / 100, (h % 100) / 10),
        }
    }
}

/// The downtime weight of a status in thousandths (see the module docs' table).
#[must_use]
pub fn downtime_weight_millis(s: ComponentStatus) -> u32 {
    match s {
        ComponentStatus::Unknown | ComponentStatus::Operational => 0,
        ComponentStatus::PerformanceIssues => 300,
        ComponentStatus::PartialOutage => 500,
        ComponentStatus::MajorOutage => 1000,
    }
}

/// An incident as the history needs it: when it started and, when resolved, when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentSpan {
    /// The incident.
    pub id: IncidentId,
    /// When it occurred.
    pub start: Timestamp,
    /// When it was resolved; `None` while unresolved.
    pub end: Option<Timestamp>,
}

/// A maintenance window covering the component, as the history needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaintenanceSpan {
    /// When it started (or starts).
    pub start: Timestamp,
    /// When it completed; `None` while in progress.
    pub end: Option<Timestamp>,
}

/// The windows as sorted, disjoint `[start, end)` intervals, open ones ending at `now`.
fn merged_windows(maintenance: &[MaintenanceSpan], now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut windows: Vec<(Timestamp, Timestamp)> = maintenance
        .iter()
        .map(|m| (m.start, m.end.unwrap_or(now).min(now)))
        .filter(|(a, b)| a < b)
        .collect();
    windows.sort_unstable();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(windows.len());
    for (a, b) in windows {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Milliseconds of `[a, b)` outside every window (sorted and disjoint).
fn millis_outside(a: Timestamp, b: Timestamp, windows: &[(Timestamp, Timestamp)]) -> i128 {
    let covered: i128 = windows
        .iter()
        .map(|&(s, e)| millis_between(s.max(a), e.min(b)))
        .sum();
    (millis_between(a, b) - covered).max(0)
}

/// What is known about one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayData {
    /// The uptime over the measured part of the day.
    pub uptime: Uptime,
    /// The worst status the component had during the day (unknown is left out, so a day
    /// entirely unknown is operational, as on the page).
    pub worst: EffectiveStatus,
    /// The incidents touching the day, by id.
    pub incidents: Vec<IncidentId>,
}

/// One day of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    /// The date, in the time zone the history was computed in.
    pub date: NaiveDate,
    /// `None` when the component did not exist yet ("no data").
    pub data: Option<DayData>,
}

impl Day {
    /// The number of incidents touching the day (0 without data).
    #[must_use]
    pub fn incident_count(&self) -> usize {
        self.data.as_ref().map_or(0, |d| d.incidents.len())
    }

    /// The English label, e.g. "Nov 22 2026: 99.3% uptime, 1 incident".
    #[must_use]
    pub fn label(&self) -> String {
        label(
            self.date,
            self.data.as_ref().map(|d| d.uptime),
            self.incident_count(),
        )
    }
}

/// The English label of a day from its numbers: `"Nov 22 2026: 99.3% uptime, 1 incident"`,
/// `"Nov 23 2026: 100% uptime, no incidents"`, `"Nov 24 2026: no data"`. Translations build
/// their own from the same numbers.
#[must_use]
pub fn label(date: NaiveDate, uptime: Option<Uptime>, incidents: usize) -> String {
    let day = date.format("%b %-d %Y");
    match uptime {
        None => format!("{day}: no data"),
        Some(u) => {
            let incidents = match incidents {
                0 => "no incidents".to_owned(),
                1 => "1 incident".to_owned(),
                n => format!("{n} incidents"),
            };
            format!("{day}: {}% uptime, {incidents}", u.display())
        }
    }
}

/// The first instant of a local date in `tz` (its midnight, or the first existing instant
/// after it when the zone skips midnight).
#[must_use]
pub fn day_start(date: NaiveDate, tz: Tz) -> Timestamp {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // A gap is at most a few hours; step forward a minute at a time until the time exists.
    for minutes in 0..=(24 * 60) {
        let local = midnight + TimeDelta::minutes(minutes);
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.to_utc();
        }
    }
    // Unreachable for real zones; fall back to the UTC midnight.
    midnight.and_utc()
}

/// The local date of an instant in `tz`.
#[must_use]
pub fn local_date(t: Timestamp, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The status at instant `t` according to `history` (sorted oldest first): the new status of
/// the last entry at or before `t`, else the old status of the first entry after it, else
/// `None`.
fn status_at(history: &[StatusChange], t: Timestamp) -> Option<ComponentStatus> {
    let idx = history.partition_point(|c| c.at <= t);
    if idx > 0 {
        history.get(idx - 1).map(|c| c.new_status)
    } else {
        history.first().and_then(|c| c.old_status)
    }
}

/// The history of `days` days ending with today (in `tz`), oldest first: exactly `days`
/// entries. `history` is the component's status history (any order; the entry before the
/// window defines the status at its start), `created_at` its creation time, `incidents` the
/// incidents affecting it.
#[must_use]
pub fn history_days(
    history: &[StatusChange],
    created_at: Timestamp,
    incidents: &[IncidentSpan],
    now: Timestamp,
    days: usize,
    tz: Tz,
) -> Vec<Day> {
    history_days_with_maintenance(history, created_at, incidents, &[], now, days, tz)
}

/// [`history_days`], with the component's maintenance windows counted as up (see the module
/// docs).
#[must_use]
pub fn history_days_with_maintenance(
    history: &[StatusChange],
    created_at: Timestamp,
    incidents: &[IncidentSpan],
    maintenance: &[MaintenanceSpan],
    now: Timestamp,
    days: usize,
    tz: Tz,
) -> Vec<Day> {
    let windows = merged_windows(maintenance, now);
    let mut history = history.to_vec();
    history.sort_by_key(|c| (c.at, c.id));
    let today = local_date(now, tz);
    let mut out = Vec::with_capacity(days);
    for back in (0..days).rev() {
        let Some(date) = u64::try_from(back)
            .ok()
            .and_then(|b| today.checked_sub_days(Days::new(b)))
        else {
            continue;
        };
        out.push(Day {
            date,
            data: day_data(&history, created_at, incidents, &windows, now, date, tz),
        });
    }
    out
}

fn day_data(
    history: &[StatusChange],
    created_at: Timestamp,
    incidents: &[IncidentSpan],
    windows: &[(Timestamp, Timestamp)],
    now: Timestamp,
    date: NaiveDate,
    tz: Tz,
) -> Option<DayData> {
    let start = day_start(date, tz);
    let end = date
        .succ_opt()
        .map_or(start + TimeDelta::days(1), |d| day_start(d, tz));
    // The measured part of the day: from creation (if later) up to now (if earlier).
    let from = start.max(created_at);
    let to = end.min(now);
    if from > to || (from == to && from == end) {
        return None;
    }
    let initial = status_at(history, from).unwrap_or(ComponentStatus::Unknown);
    // Walk the changes inside (from, to).
    let mut statuses = vec![EffectiveStatus::from_stored(initial)];
    let mut down: i128 = 0;
    let mut cursor = from;
    let mut current = initial;
    for change in history.iter().filter(|c| c.at > from && c.at < to) {
        down += i128::from(downtime_weight_millis(current))
            * millis_outside(cursor, change.at, windows);
        cursor = change.at;
        current = change.new_status;
        statuses.push(EffectiveStatus::from_stored(current));
    }
    down += i128::from(downtime_weight_millis(current)) * millis_outside(cursor, to, windows);
    let total = millis_between(from, to);
    let uptime = if total == 0 {
        // An instant (today, right at midnight): the status at that instant.
        let in_maintenance = windows.iter().any(|&(s, e)| s <= to && to < e);
        let weight = if in_maintenance {
            0
        } else {
            downtime_weight_millis(current)
        };
        Uptime::from_hundredths(10_000 - weight * 10)
    } else {
        // Downtime in hundredths of a percent, rounded up, so uptime rounds down.
        let denom = 1000 * total;
        let down_h = (down * 10_000 + denom - 1) / denom;
        let up = 10_000_i128 - down_h;
        Uptime::from_hundredths(u32::try_from(up.clamp(0, 10_000)).unwrap_or(0))
    };
    let mut touching: Vec<IncidentId> = incidents
        .iter()
        .filter(|i| i.start < end && i.start <= now && i.end.is_none_or(|e| e >= start))
        .map(|i| i.id)
        .collect();
    touching.sort_unstable();
    touching.dedup();
    Some(DayData {
        uptime,
        worst: worst(statuses),
        incidents: touching,
    })
}

fn millis_between(a: Timestamp, b: Timestamp) -> i128 {
    i128::from((b - a).num_milliseconds().max(0))
}

/// The last [`DAYS`] days of a component's history as a visitor sees it, in the site's time
/// zone, oldest first.
///
/// Reads through the facade as an anonymous visitor: a disabled component is
/// [`Error::NotFound`], hidden incidents are never counted. Incidents that started before the
/// window are counted only while unresolved.
///
/// # Errors
///
/// [`Error::NotFound`] for an unknown or disabled component; [`Error::Store`].
pub async fn component_history(
    cachet: &Cachet,
    id: ComponentId,
    now: Timestamp,
) -> Result<Vec<Day>, Error> {
    let component = cachet.component(&Actor::anonymous(None), id).await?;
    let mut all = components_history(cachet, std::slice::from_ref(&component), now).await?;
    Ok(all.pop().map(|(_, days)| days).unwrap_or_default())
}

/// The histories of several components (the status page's bars), in the order given, each as
/// [`component_history`] computes it, with the incidents, their updates and the maintenance
/// windows read once for all of them: one status-history read per component plus four reads,
/// not five per component.
///
/// The components are taken as given (the caller read them as a visitor sees them).
///
/// # Errors
///
/// [`Error::Store`].
pub async fn components_history(
    cachet: &Cachet,
    components: &[Component],
    now: Timestamp,
) -> Result<Vec<(ComponentId, Vec<Day>)>, Error> {
    let anonymous = Actor::anonymous(None);
    let settings = cachet.settings().await?;
    let tz: Tz = settings.app_timezone.tz();
    let today = local_date(now, tz);
    let first = today
        .checked_sub_days(Days::new(u64::try_from(DAYS - 1).unwrap_or(89)))
        .unwrap_or(today);
    let window_start = day_start(first, tz);

    // Incidents in the window, and unresolved ones from before it.
    let mut found = Vec::new();
    for filter in [
        IncidentFilter {
            occurred_since: Some(window_start),
            ..IncidentFilter::default()
        },
        IncidentFilter {
            occurred_before: Some(window_start),
            resolved: Some(false),
            ..IncidentFilter::default()
        },
    ] {
        let mut page = 1;
        loop {
            let q = IncidentQuery {
                filter: filter.clone(),
                sort: Some((IncidentSort::Id, crate::store::Direction::Asc)),
                page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
            };
            let got = cachet.incidents(&anonymous, q).await?;
            let pages = got.total_pages();
            found.extend(got.items);
            if u64::from(page) >= pages {
                break;
            }
            page += 1;
        }
    }
    found.retain(|i| i.status != IncidentStatus::Scheduled);
    let resolved: Vec<Incident> = found
        .iter()
        .filter(|i| i.status.is_resolved())
        .cloned()
        .collect();
    let mut updates_of = cachet.incident_updates_of(&anonymous, &resolved).await?;
    let mut spans: Vec<(&Incident, IncidentSpan)> = Vec::with_capacity(found.len());
    for incident in &found {
        let end = if incident.status.is_resolved() {
            let updates = updates_of.remove(&incident.id).unwrap_or_default();
            // The first update that resolved it; resolved without updates: at occurrence.
            Some(
                updates
                    .iter()
                    .filter(|u| u.status.is_resolved())
                    .map(|u| u.created_at)
                    .min()
                    .unwrap_or(incident.occurred_at)
                    .max(incident.occurred_at),
            )
        } else {
            None
        };
        spans.push((
            incident,
            IncidentSpan {
                id: incident.id,
                start: incident.occurred_at,
                end,
            },
        ));
    }
    let windows = maintenance_windows(cachet, &anonymous, window_start, now).await?;

    let mut out = Vec::with_capacity(components.len());
    for component in components {
        let id = component.id;
        let history = cachet.store().status_history(id, window_start).await?;
        let incidents: Vec<IncidentSpan> = spans
            .iter()
            .filter(|(i, _)| i.components.iter().any(|a| a.component_id == id))
            .map(|(_, span)| *span)
            .collect();
        let maintenance: Vec<MaintenanceSpan> = windows
            .iter()
            .filter(|(covers, _)| covers.contains(&id))
            .map(|(_, span)| *span)
            .collect();
        out.push((
            id,
            history_days_with_maintenance(
                &history,
                component.created_at,
                &incidents,
                &maintenance,
                now,
                DAYS,
                tz,
            ),
        ));
    }
    Ok(out)
}

/// The uptime over the days that have data (each day weighs the same, as the bars show
/// them), rounded down like a day's; `None` when no day has data.
#[must_use]
pub fn overall_uptime(days: &[Day]) -> Option<Uptime> {
    let measured: Vec<u32> = days
        .iter()
        .filter_map(|d| {
            d.data
                .as_ref()
                .map(|data| u32::from(data.uptime.hundredths()))
        })
        .collect();
    let count = u32::try_from(measured.len()).ok().filter(|n| *n > 0)?;
    Some(Uptime::from_hundredths(
        measured.iter().sum::<u32>() / count,
    ))
}

/// The maintenance windows that had begun by `now` and were not over before `since`, each
/// with the components it covers.
async fn maintenance_windows(
    cachet: &Cachet,
    actor: &Actor,
    since: Timestamp,
    now: Timestamp,
) -> Result<Vec<(Vec<ComponentId>, MaintenanceSpan)>, Error> {
    let mut spans = Vec::new();
    let mut page = 1;
    loop {
        let q = ScheduleQuery {
            filter: ScheduleFilter {
                scheduled_before: Some(now),
                ..ScheduleFilter::default()
            },
            sort: None,
            page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
        };
        let got = cachet.schedules(actor, q).await?;
        let pages = got.total_pages();
        for s in got.items {
            let end = match (s.completed_at, s.status) {
                (Some(end), _) => Some(end),
                // Marked complete without a completion time: it ended when last changed.
                (None, ScheduleStatus::Complete) => Some(s.updated_at.max(s.scheduled_at)),
                (None, _) => None,
            };
            if end.is_none_or(|e| e > since) {
                spans.push((
                    s.components,
                    MaintenanceSpan {
                        start: s.scheduled_at,
                        end,
                    },
                ));
            }
        }
        if u64::from(page) >= pages {
            break;
        }
        page += 1;
    }
    Ok(spans)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{StatusCause, StatusChangeId};
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn change(
        id: i64,
        at: Timestamp,
        old: Option<ComponentStatus>,
        new: ComponentStatus,
    ) -> StatusChange {
        StatusChange {
            id: StatusChangeId(id),
            component_id: ComponentId(1),
            old_status: old,
            new_status: new,
            cause: StatusCause::default(),
            at,
        }
    }

    use ComponentStatus::{MajorOutage, Operational, PartialOutage, PerformanceIssues};

    #[test]
    fn operational_throughout_is_100_every_day_and_90_entries() {
        let created = t("2025-01-01T00:00:00Z");
        let h = [change(1, created, None, Operational)];
        let now = t("2026-03-10T12:34:56Z");
        let days = history_days(&h, created, &[], now, DAYS, Tz::UTC);
        assert_eq!(days.len(), 90);
        assert_eq!(days[89].date, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2025, 12, 11).unwrap());
        for d in &days {
            let data = d.data.as_ref().unwrap();
            assert_eq!(data.uptime, Uptime::FULL);
            assert_eq!(data.worst, EffectiveStatus::Operational);
            assert!(data.incidents.is_empty());
        }
        assert_eq!(days[89].label(), "Mar 10 2026: 100% uptime, no incidents");
    }

    #[test]
    fn overall_uptime_averages_the_days_with_data_and_rounds_down() {
        let day = |d: u32, uptime: Option<u32>| Day {
            date: NaiveDate::from_ymd_opt(2026, 1, d).unwrap(),
            data: uptime.map(|h| DayData {
                uptime: Uptime::from_hundredths(h),
                worst: EffectiveStatus::Operational,
                incidents: Vec::new(),
            }),
        };
        assert_eq!(overall_uptime(&[]), None);
        assert_eq!(overall_uptime(&[day(1, None), day(2, None)]), None);
        // Days before the component existed do not count as up or down.
        let days = [day(1, None), day(2, Some(10_000)), day(3, Some(5_000))];
        assert_eq!(overall_uptime(&days), Some(Uptime::from_hundredths(7_500)));
        // 99.99 + 99.98 = 199.97 / 2 = 99.985 -> 99.98: any downtime shows below 100.
        let days = [day(1, Some(9_999)), day(2, Some(9_998))];
        assert_eq!(overall_uptime(&days), Some(Uptime::from_hundredths(9_998)));
        let days = [day(1, Some(10_000)), day(2, Some(9_999))];
        assert!(overall_uptime(&days).unwrap() < Uptime::FULL);
    }

    #[test]
    fn weights_follow_the_documented_table() {
        let created = t("2026-01-01T00:00:00Z");
        let now = t("2026-01-06T00:00:00Z");
        let h = [
            change(1, created, None, Operational),
            change(
                2,
                t("2026-01-02T00:00:00Z"),
                Some(Operational),
                PerformanceIssues,
            ),
            change(
                3,
                t("2026-01-03T00:00:00Z"),
                Some(PerformanceIssues),
                PartialOutage,
            ),
            change(
                4,
                t("2026-01-04T00:00:00Z"),
                Some(PartialOutage),
                MajorOutage,
            ),
            change(5, t("2026-01-05T00:00:00Z"), Some(MajorOutage), Operational),
        ];
        let days = history_days(&h, created, &[], now, 6, Tz::UTC);
        let ups: Vec<u16> = days
            .iter()
            .map(|d| d.data.as_ref().unwrap().uptime.hundredths())
            .collect();
        // Jan 1 op, Jan 2 perf (70%), Jan 3 partial (50%), Jan 4 major (0%), Jan 5 op,
        // Jan 6 (today, an instant at midnight) op. A change exactly at midnight belongs
        // wholly to the day it starts.
        assert_eq!(ups, vec![10_000, 7_000, 5_000, 0, 10_000, 10_000]);
        let worst: Vec<EffectiveStatus> = days
            .iter()
            .map(|d| d.data.as_ref().unwrap().worst)
            .collect();
        assert_eq!(
            worst,
            vec![
                EffectiveStatus::Operational,
                EffectiveStatus::PerformanceIssues,
                EffectiveStatus::PartialOutage,
                EffectiveStatus::MajorOutage,
                EffectiveStatus::Operational,
                EffectiveStatus::Operational,
            ]
        );
    }

    #[test]
    fn maintenance_windows_count_as_up_whatever_the_status() {
        let created = t("2026-01-01T00:00:00Z");
        let now = t("2026-01-04T06:00:00Z");
        // Major outage from Jan 2 00:00 to Jan 3 12:00.
        let h = [
            change(1, created, None, Operational),
            change(2, t("2026-01-02T00:00:00Z"), Some(Operational), MajorOutage),
            change(3, t("2026-01-03T12:00:00Z"), Some(MajorOutage), Operational),
        ];
        let maintenance = [
            // Covers Jan 2 06:00-18:00 (half of the day's outage), overlapping a second
            // window (merged, not counted twice).
            MaintenanceSpan {
                start: t("2026-01-02T06:00:00Z"),
                end: Some(t("2026-01-02T15:00:00Z")),
            },
            MaintenanceSpan {
                start: t("2026-01-02T12:00:00Z"),
                end: Some(t("2026-01-02T18:00:00Z")),
            },
            // Still in progress on Jan 4 (open end = now): the status is operational there
            // anyway, so it changes nothing.
            MaintenanceSpan {
                start: t("2026-01-04T03:00:00Z"),
                end: None,
            },
            // Upcoming: counts for nothing.
            MaintenanceSpan {
                start: t("2026-01-04T12:00:00Z"),
                end: None,
            },
        ];
        let uptimes = |m: &[MaintenanceSpan]| -> Vec<u16> {
            history_days_with_maintenance(&h, created, &[], m, now, 4, Tz::UTC)
                .iter()
                .map(|d| d.data.as_ref().unwrap().uptime.hundredths())
                .collect()
        };
        assert_eq!(uptimes(&[]), vec![10_000, 0, 5_000, 10_000]);
        assert_eq!(uptimes(&maintenance), vec![10_000, 5_000, 5_000, 10_000]);
        // A window covering the whole outage: every day at 100%, the worst status still shown.
        let whole = [MaintenanceSpan {
            start: t("2026-01-01T12:00:00Z"),
            end: Some(t("2026-01-03T12:00:00Z")),
        }];
        assert_eq!(uptimes(&whole), vec![10_000; 4]);
        let days = history_days_with_maintenance(&h, created, &[], &whole, now, 4, Tz::UTC);
        assert_eq!(
            days[1].data.as_ref().unwrap().worst,
            EffectiveStatus::MajorOutage
        );
    }

    #[test]
    fn partial_day_outage_and_label() {
        let created = t("2025-06-01T00:00:00Z");
        let h = [
            change(1, created, None, Operational),
            // 10 minutes of major outage on Nov 22: 1 - 600/86400 = 99.305...%, shown 99.3
            change(2, t("2026-11-22T10:00:00Z"), Some(Operational), MajorOutage),
            change(3, t("2026-11-22T10:10:00Z"), Some(MajorOutage), Operational),
        ];
        let inc = [IncidentSpan {
            id: IncidentId(7),
            start: t("2026-11-22T09:59:00Z"),
            end: Some(t("2026-11-22T10:30:00Z")),
        }];
        let days = history_days(&h, created, &inc, t("2026-11-23T08:00:00Z"), 2, Tz::UTC);
        let d = &days[0];
        assert_eq!(d.data.as_ref().unwrap().uptime.hundredths(), 9_930);
        assert_eq!(d.label(), "Nov 22 2026: 99.3% uptime, 1 incident");
        assert_eq!(d.data.as_ref().unwrap().worst, EffectiveStatus::MajorOutage);
        assert_eq!(days[1].label(), "Nov 23 2026: 100% uptime, no incidents");
        // Any downtime at all shows below 100%.
        let h2 = [
            change(1, created, None, Operational),
            change(2, t("2026-11-22T10:00:00Z"), Some(Operational), MajorOutage),
            change(3, t("2026-11-22T10:00:01Z"), Some(MajorOutage), Operational),
        ];
        let days = history_days(&h2, created, &[], t("2026-11-23T08:00:00Z"), 2, Tz::UTC);
        assert_eq!(days[0].data.as_ref().unwrap().uptime.hundredths(), 9_999);
        assert_eq!(days[0].label(), "Nov 22 2026: 99.9% uptime, no incidents");
    }

    #[test]
    fn the_entry_before_the_window_defines_the_first_days_start_state() {
        // Only the entry before the window and one inside it, as status_history returns.
        let created = t("2020-01-01T00:00:00Z");
        let h = [
            change(
                10,
                t("2025-01-01T00:00:00Z"),
                Some(Operational),
                PartialOutage,
            ),
            change(
                11,
                t("2026-01-01T12:00:00Z"),
                Some(PartialOutage),
                Operational,
            ),
        ];
        let days = history_days(&h, created, &[], t("2026-01-02T00:00:00Z"), 2, Tz::UTC);
        // Jan 1: half a day of partial outage (weight 0.5) = 75%.
        assert_eq!(days[0].data.as_ref().unwrap().uptime.hundredths(), 7_500);
        assert_eq!(
            days[0].data.as_ref().unwrap().worst,
            EffectiveStatus::PartialOutage
        );
    }

    #[test]
    fn days_before_creation_have_no_data_and_the_creation_day_counts_from_creation() {
        let created = t("2026-01-03T18:00:00Z");
        let h = [change(1, created, None, MajorOutage)];
        let days = history_days(&h, created, &[], t("2026-01-04T06:00:00Z"), 4, Tz::UTC);
        assert_eq!(days[0].data, None);
        assert_eq!(days[1].data, None);
        assert_eq!(days[0].label(), "Jan 1 2026: no data");
        assert_eq!(days[2].data.as_ref().unwrap().uptime.hundredths(), 0);
        assert_eq!(days[3].data.as_ref().unwrap().uptime.hundredths(), 0);
    }

    #[test]
    fn incidents_touch_every_day_they_span_and_unresolved_ones_up_to_today() {
        let created = t("2025-01-01T00:00:00Z");
        let h = [change(1, created, None, Operational)];
        let inc = [
            IncidentSpan {
                id: IncidentId(1),
                start: t("2026-01-01T23:00:00Z"),
                end: Some(t("2026-01-02T01:00:00Z")),
            },
            IncidentSpan {
                id: IncidentId(2),
                start: t("2026-01-02T05:00:00Z"),
                end: None,
            },
        ];
        let days = history_days(&h, created, &inc, t("2026-01-04T06:00:00Z"), 5, Tz::UTC);
        let counts: Vec<usize> = days.iter().map(Day::incident_count).collect();
        assert_eq!(counts, vec![0, 1, 2, 1, 1]);
        assert_eq!(days[2].label(), "Jan 2 2026: 100% uptime, 2 incidents");
    }

    #[test]
    fn days_are_site_time_zone_days() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let created = t("2025-01-01T00:00:00Z");
        // 02:00-05:00 UTC on Jan 2 is still Jan 1 in New York (UTC-5).
        let h = [
            change(1, created, None, Operational),
            change(2, t("2026-01-02T02:00:00Z"), Some(Operational), MajorOutage),
            change(3, t("2026-01-02T05:00:00Z"), Some(MajorOutage), Operational),
        ];
        let days = history_days(&h, created, &[], t("2026-01-03T12:00:00Z"), 3, tz);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        // 3 hours of 24 down: 87.5%.
        assert_eq!(days[0].data.as_ref().unwrap().uptime.hundredths(), 8_750);
        assert_eq!(days[1].data.as_ref().unwrap().uptime, Uptime::FULL);
    }

    #[test]
    fn dst_days_have_their_real_length() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let created = t("2025-01-01T00:00:00Z");
        // Mar 29 2026 lasts 23 hours in Berlin; one hour down = 1 - 1/23.
        let h = [
            change(1, created, None, Operational),
            change(2, t("2026-03-29T10:00:00Z"), Some(Operational), MajorOutage),
            change(3, t("2026-03-29T11:00:00Z"), Some(MajorOutage), Operational),
        ];
        let days = history_days(&h, created, &[], t("2026-03-30T12:00:00Z"), 2, tz);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
        // 10000 - ceil(10000/23) = 10000 - 435
        assert_eq!(days[0].data.as_ref().unwrap().uptime.hundredths(), 9_565);
    }

    #[test]
    fn label_builder_takes_numbers() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(
            label(d, Some(Uptime::from_hundredths(9_930)), 1),
            "Nov 22 2026: 99.3% uptime, 1 incident"
        );
        assert_eq!(
            label(d, Some(Uptime::from_hundredths(0)), 3),
            "Nov 22 2026: 0% uptime, 3 incidents"
        );
        assert_eq!(label(d, None, 0), "Nov 22 2026: no data");
        assert_eq!(Uptime::from_hundredths(20_000), Uptime::FULL);
        assert_eq!(Uptime::from_hundredths(5_000).display(), "50.0");
    }

    fn status() -> impl Strategy<Value = ComponentStatus> {
        prop_oneof![
            Just(ComponentStatus::Unknown),
            Just(Operational),
            Just(PerformanceIssues),
            Just(PartialOutage),
            Just(MajorOutage),
        ]
    }

    proptest! {
        #[test]
        fn uptime_is_a_percentage_and_there_are_always_n_days(
            changes in proptest::collection::vec((0i64..200 * 86_400, status()), 0..40),
            created_off in 0i64..200 * 86_400,
            now_off in 0i64..200 * 86_400,
            days in 1usize..120,
            tz_idx in 0usize..4,
        ) {
            let tz: Tz = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/Santiago"][tz_idx]
                .parse().unwrap();
            let base = t("2025-10-01T00:00:00Z");
            let created = base + TimeDelta::seconds(created_off);
            let now = base + TimeDelta::seconds(now_off.max(created_off));
            let mut prev = None;
            let mut h = Vec::new();
            let mut sorted = changes.clone();
            sorted.sort_by_key(|c| c.0);
            for (i, (off, s)) in sorted.into_iter().enumerate() {
                h.push(change(i64::try_from(i).unwrap(), base + TimeDelta::seconds(off), prev, s));
                prev = Some(s);
            }
            let out = history_days(&h, created, &[], now, days, tz);
            prop_assert_eq!(out.len(), days);
            prop_assert_eq!(out.last().unwrap().date, local_date(now, tz));
            for w in out.windows(2) {
                prop_assert!(w[0].date < w[1].date);
            }
            for d in &out {
                if let Some(data) = &d.data {
                    prop_assert!(data.uptime.hundredths() <= 10_000);
                }
            }
        }

        #[test]
        fn all_operational_is_always_full(
            created_off in 0i64..100 * 86_400,
            now_off in 0i64..100 * 86_400,
        ) {
            let base = t("2025-10-01T00:00:00Z");
            let created = base + TimeDelta::seconds(created_off);
            let now = base + TimeDelta::seconds(now_off.max(created_off));
            let h = [change(1, created, None, Operational)];
            for d in history_days(&h, created, &[], now, DAYS, Tz::UTC) {
                if let Some(data) = d.data {
                    prop_assert_eq!(data.uptime, Uptime::FULL);
                }
            }
        }
    }
}
