//! What a visitor sees now ([`View`]), and the answer of each endpoint built from it as the
//! typed DTOs of [`super::dto`]. The mapping rules are in the [module docs](super).

use std::collections::HashMap;

use chrono_tz::Tz;

use super::dto::*;
use super::{LIST_LIMIT, page_id, schedule_updates, ts, unresolved_incidents};
use crate::clock::Timestamp;
use crate::model::*;
use crate::status::{self, EffectiveStatus, Indicator, MaintenancePhase};
use crate::store::*;
use crate::{Actor, Cachet, Error};

/// Everything every endpoint shares: what a visitor sees now.
pub(crate) struct View<'c> {
    cachet: &'c Cachet,
    actor: Actor,
    now: Timestamp,
    tz: Tz,
    /// The public URL without a trailing slash, for the shortlinks.
    base: String,
    page_id: String,
    page: PageDto,
    groups: Vec<ComponentGroup>,
    components: Vec<Component>,
    effective: HashMap<ComponentId, EffectiveStatus>,
    /// Schedules stored as upcoming or in progress (their phase may already be complete).
    open_schedules: Vec<Schedule>,
    /// The 50 most recent schedules by start.
    recent_schedules: Vec<Schedule>,
    /// The updates of the open schedules, newest first.
    schedule_updates: HashMap<ScheduleId, Vec<ScheduleUpdate>>,
    unresolved: Vec<Incident>,
    indicator: Indicator,
}

// ---- The answer of each endpoint (the handlers of the endpoint table) ----

/// `summary.json`.
pub(crate) async fn summary(v: &View<'_>) -> Result<SummaryDto, Error> {
    let open = v.open_maintenances(|p| p != MaintenancePhase::Complete);
    Ok(SummaryDto {
        components: v.components(),
        incidents: v.incidents(&v.unresolved).await?,
        page: v.page.clone(),
        scheduled_maintenances: v.maintenances(&open).await?,
        status: v.status(),
    })
}

/// `status.json`.
pub(crate) async fn status(v: &View<'_>) -> Result<StatusResponseDto, Error> {
    Ok(StatusResponseDto {
        page: v.page.clone(),
        status: v.status(),
    })
}

/// `components.json`.
pub(crate) async fn components(v: &View<'_>) -> Result<ComponentsResponseDto, Error> {
    Ok(ComponentsResponseDto {
        components: v.components(),
        page: v.page.clone(),
    })
}

/// `incidents.json`: the 50 most recent visible incidents, any status.
pub(crate) async fn incidents(v: &View<'_>) -> Result<IncidentsResponseDto, Error> {
    let q = IncidentQuery::all().paged(PageRequest::new(1, LIST_LIMIT));
    let recent: Vec<Incident> = v
        .cachet
        .incidents(&v.actor, q)
        .await?
        .items
        .into_iter()
        .filter(|i| i.visible)
        .collect();
    Ok(IncidentsResponseDto {
        incidents: v.incidents(&recent).await?,
        page: v.page.clone(),
    })
}

/// `incidents/unresolved.json`.
pub(crate) async fn unresolved(v: &View<'_>) -> Result<IncidentsResponseDto, Error> {
    Ok(IncidentsResponseDto {
        incidents: v.incidents(&v.unresolved).await?,
        page: v.page.clone(),
    })
}

/// `scheduled-maintenances.json`: the 50 most recent by start, any phase.
pub(crate) async fn maintenances(v: &View<'_>) -> Result<MaintenancesResponseDto, Error> {
    Ok(MaintenancesResponseDto {
        page: v.page.clone(),
        scheduled_maintenances: v.maintenances(&v.recent_schedules).await?,
    })
}

/// `scheduled-maintenances/upcoming.json`.
pub(crate) async fn upcoming(v: &View<'_>) -> Result<MaintenancesResponseDto, Error> {
    let upcoming = v.open_maintenances(|p| p == MaintenancePhase::Upcoming);
    Ok(MaintenancesResponseDto {
        page: v.page.clone(),
        scheduled_maintenances: v.maintenances(&upcoming).await?,
    })
}

/// `scheduled-maintenances/active.json`.
pub(crate) async fn active(v: &View<'_>) -> Result<MaintenancesResponseDto, Error> {
    let active = v.open_maintenances(|p| p == MaintenancePhase::InProgress);
    Ok(MaintenancesResponseDto {
        page: v.page.clone(),
        scheduled_maintenances: v.maintenances(&active).await?,
    })
}

// ---- The view ----

impl<'c> View<'c> {
    /// What a visitor sees now.
    pub(crate) async fn load(cachet: &'c Cachet, settings: &Settings) -> Result<Self, Error> {
        Self::load_as(cachet, settings, Actor::anonymous(None)).await
    }

    /// What `actor` sees now: the management API's view of a token, with the facade's rules
    /// of who sees what.
    pub(crate) async fn load_as(
        cachet: &'c Cachet,
        settings: &Settings,
        actor: Actor,
    ) -> Result<Self, Error> {
        let now = cachet.now();
        let tz: Tz = settings.app_timezone.tz();
        let (groups, components) = cachet.visible_components(&actor).await?;
        let open_q = ScheduleQuery::filtered(ScheduleFilter {
            status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
            ..ScheduleFilter::default()
        });
        let open_schedules = cachet.schedules(&actor, open_q).await?.items;
        let recent_q = ScheduleQuery::all()
            .sorted(ScheduleSort::ScheduledAt, Direction::Desc)
            .paged(PageRequest::new(1, LIST_LIMIT));
        let recent_schedules = cachet.schedules(&actor, recent_q).await?.items;
        let unresolved = unresolved_incidents(cachet, &actor).await?;
        let latest_q = IncidentQuery::all()
            .sorted(IncidentSort::UpdatedAt, Direction::Desc)
            .paged(PageRequest::new(1, 1));
        let latest_incident = cachet.incidents(&actor, latest_q).await?.items;

        let mut updates = HashMap::new();
        for s in &open_schedules {
            if status::maintenance_phase(s, now) != MaintenancePhase::Complete {
                updates.insert(s.id, schedule_updates(cachet, s.id).await?);
            }
        }

        let effective: HashMap<ComponentId, EffectiveStatus> = components
            .iter()
            .map(|c| (c.id, status::effective_status(c, &open_schedules, now)))
            .collect();
        // A group is shown only with at least one component a visitor sees.
        let groups: Vec<ComponentGroup> = groups
            .into_iter()
            .filter(|g| components.iter().any(|c| c.group_id == Some(g.id)))
            .collect();
        let indicator = status::overall(effective.values().copied(), &unresolved);

        let updated_at = components
            .iter()
            .map(|c| c.updated_at)
            .chain(groups.iter().map(|g| g.updated_at))
            .chain(open_schedules.iter().map(|s| s.updated_at))
            .chain(recent_schedules.iter().map(|s| s.updated_at))
            .chain(updates.values().flatten().map(|u| u.created_at))
            .chain(unresolved.iter().map(|i| i.updated_at))
            .chain(latest_incident.iter().map(|i| i.updated_at))
            .max()
            .unwrap_or(now);
        let page_id = page_id(cachet);
        let public_url = cachet.config().public_url.as_str();
        let page = PageDto {
            id: page_id.clone(),
            name: settings
                .app_name
                .as_ref()
                .map_or("Cachet", |n| n.as_str())
                .to_owned(),
            time_zone: tz.name().to_owned(),
            updated_at: ts(updated_at, tz),
            url: public_url.to_owned(),
        };
        Ok(Self {
            cachet,
            actor,
            now,
            tz,
            base: public_url.trim_end_matches('/').to_owned(),
            page_id,
            page,
            groups,
            components,
            effective,
            open_schedules,
            recent_schedules,
            schedule_updates: updates,
            unresolved,
            indicator,
        })
    }

    fn ts(&self, t: Timestamp) -> String {
        ts(t, self.tz)
    }

    fn opt_ts(&self, t: Option<Timestamp>) -> Option<String> {
        t.map(|t| self.ts(t))
    }

    fn status(&self) -> PageStatusDto {
        PageStatusDto {
            description: self.indicator.description().to_owned(),
            indicator: self.indicator.into(),
        }
    }

    fn effective(&self, id: ComponentId) -> EffectiveStatus {
        self.effective
            .get(&id)
            .copied()
            .unwrap_or(EffectiveStatus::Operational)
    }

    pub(super) fn component(&self, c: &Component) -> ComponentDto {
        ComponentDto {
            components: None,
            created_at: self.ts(c.created_at),
            description: (!c.description.is_empty()).then(|| c.description.as_str().to_owned()),
            group: false,
            group_id: c.group_id.map(|g| format!("group-{g}")),
            id: format!("component-{}", c.id),
            name: c.name.as_str().to_owned(),
            only_show_if_degraded: false,
            page_id: self.page_id.clone(),
            position: c.order.get(),
            showcase: true,
            start_date: Some(
                c.created_at
                    .with_timezone(&self.tz)
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            status: self.effective(c.id).into(),
            updated_at: self.ts(c.updated_at),
        }
    }

    fn group(&self, g: &ComponentGroup, children: &[&Component]) -> ComponentDto {
        let status = status::worst(children.iter().map(|c| self.effective(c.id)));
        ComponentDto {
            components: Some(
                children
                    .iter()
                    .map(|c| format!("component-{}", c.id))
                    .collect(),
            ),
            created_at: self.ts(g.created_at),
            description: None,
            group: true,
            group_id: None,
            id: format!("group-{}", g.id),
            name: g.name.as_str().to_owned(),
            only_show_if_degraded: false,
            page_id: self.page_id.clone(),
            position: g.order.get(),
            showcase: false,
            start_date: None,
            status: status.into(),
            updated_at: self.ts(g.updated_at),
        }
    }

    /// Each group followed by its components, then the ungrouped components.
    pub(super) fn components(&self) -> Vec<ComponentDto> {
        let mut out = Vec::with_capacity(self.components.len() + self.groups.len());
        for g in &self.groups {
            let children: Vec<&Component> = self
                .components
                .iter()
                .filter(|c| c.group_id == Some(g.id))
                .collect();
            out.push(self.group(g, &children));
            out.extend(children.iter().map(|c| self.component(c)));
        }
        out.extend(
            self.components
                .iter()
                .filter(|c| c.group_id.is_none())
                .map(|c| self.component(c)),
        );
        out
    }

    /// Full component objects for these ids, visible ones only, in the given order.
    fn components_by_id(&self, ids: impl IntoIterator<Item = ComponentId>) -> Vec<ComponentDto> {
        ids.into_iter()
            .filter_map(|id| self.components.iter().find(|c| c.id == id))
            .map(|c| self.component(c))
            .collect()
    }

    async fn incidents(&self, incidents: &[Incident]) -> Result<Vec<IncidentDto>, Error> {
        self.incident_list(&incidents[..incidents.len().min(LIST_LIMIT as usize)])
            .await
    }

    /// Every one of these incidents, in this order.
    pub(super) async fn incident_list(
        &self,
        listed: &[Incident],
    ) -> Result<Vec<IncidentDto>, Error> {
        // One read for every listed incident's updates (newest first per incident).
        let updates = self.cachet.incident_updates_of(&self.actor, listed).await?;
        Ok(listed
            .iter()
            .map(|i| {
                let of_this = updates.get(&i.id).map_or(&[][..], Vec::as_slice);
                self.incident(i, of_this)
            })
            .collect())
    }

    fn incident(&self, i: &Incident, updates: &[IncidentUpdate]) -> IncidentDto {
        let incident_id = format!("incident-{}", i.id);
        let entry = |id: String,
                     status: IncidentStatus,
                     body: &str,
                     created: Timestamp,
                     updated: Timestamp,
                     display: Timestamp| IncidentUpdateDto {
            affected_components: None,
            body: body.to_owned(),
            created_at: self.ts(created),
            custom_tweet: None,
            deliver_notifications: i.notify,
            display_at: self.ts(display),
            id,
            incident_id: incident_id.clone(),
            status: status.into(),
            tweet_id: None,
            updated_at: self.ts(updated),
        };
        let mut entries: Vec<IncidentUpdateDto> = updates
            .iter()
            .map(|u| {
                entry(
                    format!("update-{}", u.id),
                    u.status,
                    u.message.as_str(),
                    u.created_at,
                    u.updated_at,
                    u.created_at,
                )
            })
            .collect();
        if !i.message.is_empty() {
            // The status the first message was posted with is not stored: with later updates
            // it was where every incident starts.
            let first_status = if updates.is_empty() {
                i.status
            } else {
                IncidentStatus::Investigating
            };
            entries.push(entry(
                format!("incident-{}-message", i.id),
                first_status,
                i.message.as_str(),
                i.created_at,
                i.created_at,
                i.occurred_at,
            ));
        }
        let monitoring_at = updates
            .iter()
            .filter(|u| u.status == IncidentStatus::Watching)
            .map(|u| u.created_at)
            .min()
            .or((i.status == IncidentStatus::Watching).then_some(i.updated_at));
        let resolved_at = i.status.is_resolved().then(|| {
            updates
                .iter()
                .filter(|u| u.status == IncidentStatus::Fixed)
                .map(|u| u.created_at)
                .max()
                .unwrap_or(i.updated_at)
        });
        IncidentDto {
            components: self.components_by_id(i.components.iter().map(|a| a.component_id)),
            created_at: self.ts(i.created_at),
            id: incident_id.clone(),
            impact: status::incident_impact(i).into(),
            incident_updates: entries,
            monitoring_at: self.opt_ts(monitoring_at),
            name: i.name.as_str().to_owned(),
            page_id: self.page_id.clone(),
            resolved_at: self.opt_ts(resolved_at),
            shortlink: format!("{}/incidents/{}", self.base, i.id),
            started_at: self.ts(i.occurred_at),
            status: i.status.into(),
            updated_at: self.ts(i.updated_at),
        }
    }

    /// Open schedules whose phase passes the test, earliest start first.
    pub(super) fn open_maintenances(
        &self,
        keep: impl Fn(MaintenancePhase) -> bool,
    ) -> Vec<Schedule> {
        let mut out: Vec<Schedule> = self
            .open_schedules
            .iter()
            .filter(|s| keep(status::maintenance_phase(s, self.now)))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.scheduled_at.cmp(&b.scheduled_at).then(a.id.cmp(&b.id)));
        out
    }

    pub(super) async fn maintenances(
        &self,
        schedules: &[Schedule],
    ) -> Result<Vec<MaintenanceDto>, Error> {
        let mut out = Vec::new();
        for s in schedules.iter().take(LIST_LIMIT as usize) {
            out.push(self.maintenance(s).await?);
        }
        Ok(out)
    }

    async fn maintenance(&self, s: &Schedule) -> Result<MaintenanceDto, Error> {
        // The open windows' updates were read with the view; a completed window's are read
        // now, since only the full list shows them.
        let updates = match self.schedule_updates.get(&s.id) {
            Some(u) => u.clone(),
            None => schedule_updates(self.cachet, s.id).await?,
        };
        let schedule_id = format!("schedule-{}", s.id);
        let entry = |id: String, body: &str, created: Timestamp| MaintenanceUpdateDto {
            affected_components: None,
            body: body.to_owned(),
            created_at: self.ts(created),
            custom_tweet: None,
            deliver_notifications: s.notify,
            display_at: self.ts(created),
            id,
            incident_id: schedule_id.clone(),
            status: status::window_phase_at(s, created).into(),
            tweet_id: None,
            updated_at: self.ts(created),
        };
        let mut entries: Vec<MaintenanceUpdateDto> = updates
            .iter()
            .map(|u| {
                entry(
                    format!("schedule-update-{}", u.id),
                    u.message.as_str(),
                    u.created_at,
                )
            })
            .collect();
        if !s.message.is_empty() {
            entries.push(entry(
                format!("schedule-{}-message", s.id),
                s.message.as_str(),
                s.created_at,
            ));
        }
        let phase = status::maintenance_phase(s, self.now);
        let resolved_at = (phase == MaintenancePhase::Complete).then(|| {
            s.completed_at
                .filter(|end| *end <= self.now)
                .unwrap_or(s.updated_at)
        });
        Ok(MaintenanceDto {
            components: self.components_by_id(s.components.iter().copied()),
            created_at: self.ts(s.created_at),
            id: schedule_id.clone(),
            impact: IndicatorDto::Maintenance,
            incident_updates: entries,
            monitoring_at: None,
            name: s.name.as_str().to_owned(),
            page_id: self.page_id.clone(),
            resolved_at: self.opt_ts(resolved_at),
            scheduled_for: self.ts(s.scheduled_at),
            scheduled_until: self.opt_ts(s.completed_at),
            shortlink: format!("{}/schedules/{}", self.base, s.id),
            started_at: self.ts(s.scheduled_at),
            status: phase.into(),
            updated_at: self.ts(s.updated_at),
        })
    }
}
