//! Statuspage v2 public JSON (the read-only API Atlassian Statuspage serves) under
//! `/api/v2/`, so the clients, bots, exporters and aggregators written for Atlassian
//! Statuspage read a cachet page unmodified.
//!
//! | path | body |
//! |---|---|
//! | `summary.json` | `page`, `status`, `components`, `incidents` (unresolved), `scheduled_maintenances` (upcoming and in progress) |
//! | `status.json` | `page`, `status` |
//! | `components.json` | `page`, `components` |
//! | `incidents.json` | `page`, `incidents`: the 50 most recent (by occurrence), any status |
//! | `incidents/unresolved.json` | `page`, `incidents` not resolved, newest first |
//! | `scheduled-maintenances.json` | `page`, `scheduled_maintenances`: the 50 most recent (by start), any phase |
//! | `scheduled-maintenances/upcoming.json` | `page`, `scheduled_maintenances` not started, soonest first |
//! | `scheduled-maintenances/active.json` | `page`, `scheduled_maintenances` in progress, earliest start first |
//!
//! Every list holds at most 50 entries. The overall status ([`crate::status`]) still
//! considers every unresolved incident and every open maintenance window.
//!
//! # What is shown
//!
//! Exactly what a visitor may see, read through the facade as [`Actor::anonymous`]: enabled
//! components outside signed-in-only groups, public groups that hold at least one of them,
//! visible incidents, and maintenance schedules (public). Affected and covered components
//! that a visitor may not see are left out of an incident's or a maintenance's `components`.
//!
//! # Mapping
//!
//! * Ids are strings with a kind prefix, unique across kinds: `component-1`, `group-1`,
//!   `incident-1`, `update-1` (incident updates), `schedule-1`, `schedule-update-1`
//!   (maintenance updates). The first message of an incident or a maintenance, which
//!   Statuspage would show as its oldest update, appears as the oldest entry of
//!   `incident_updates` with id `incident-1-message` / `schedule-1-message` (left out when
//!   empty).
//! * `components` lists each group followed by its components, groups by position, then the
//!   ungrouped components by position. A group's status is the worst of its components'
//!   ([`status::worst`]); components show their effective status, so a component covered by
//!   an in-progress maintenance is `under_maintenance` (API v1 keeps its stored status).
//!   `showcase` is true for components (the page draws their history bars), `start_date` is
//!   the creation day in the site's zone.
//! * Incident status: investigating (and Cachet 2.3's scheduled) → `investigating`,
//!   identified → `identified`, watching → `monitoring`, fixed → `resolved`. The first
//!   message's status is the incident's own status when there are no updates, else
//!   `investigating` (the status it was posted with is not stored). `monitoring_at` is the
//!   first watching update (or the incident's `updated_at` when it is watching without one);
//!   `resolved_at` the newest fixed update (or `updated_at`) when resolved; `impact` is
//!   [`status::incident_impact`]; `started_at` is `occurred_at`; `shortlink` is the
//!   incident's page under the configured public URL.
//! * Maintenance status is its [`MaintenancePhase`] (`scheduled`, `in_progress`,
//!   `completed`), `impact` is `maintenance`, `scheduled_for`/`started_at` its start,
//!   `scheduled_until` its end (or null), `resolved_at` its end (or when it was marked
//!   complete) once completed; each update's status is the window's phase when it was posted.
//! * Times are ISO-8601 with milliseconds in the site's time zone (`Z` at offset zero).
//! * `page.id` is 12 lowercase base36 characters derived from the keyring's keyed hash
//!   (blind-index key) of the public URL: stable across restarts and instances sharing the
//!   key, unchanged by primary key rotation, and different per URL. `page.url` is the
//!   configured public URL (never the `Host` header); `page.updated_at` is the latest change
//!   among the visible components and groups, the incidents, the open and recent maintenance
//!   windows and the updates of the open ones.
//!
//! # HTTP
//!
//! `GET` and `HEAD` (same headers, no body) answer `application/json`; `OPTIONS` answers 204
//! (a CORS preflight from an allowed origin gets the CORS answer); other methods 405 with
//! `Allow`; unknown `/api/v2/` paths 404 JSON. CORS as [`super::cors`] for the origins in
//! `allowed_domains`.

use std::collections::HashMap;

use bytes::Bytes;
use chrono::SecondsFormat;
use chrono_tz::Tz;
use http::header::ALLOW;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::api_v1::dto::{Data, StatusDto};
use super::{cors, response};
use crate::clock::Timestamp;
use crate::model::*;
use crate::status::{self, EffectiveStatus, Indicator, MaintenancePhase};
use crate::store::*;
use crate::{Actor, Cachet, Error};

/// The most entries any list holds (Statuspage's limit).
const LIST_LIMIT: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Summary,
    Status,
    Components,
    Incidents,
    Unresolved,
    Maintenances,
    Upcoming,
    Active,
}

fn route(path: &str) -> Option<Endpoint> {
    Some(match path.strip_prefix("/api/v2/")? {
        "summary.json" => Endpoint::Summary,
        "status.json" => Endpoint::Status,
        "components.json" => Endpoint::Components,
        "incidents.json" => Endpoint::Incidents,
        "incidents/unresolved.json" => Endpoint::Unresolved,
        "scheduled-maintenances.json" => Endpoint::Maintenances,
        "scheduled-maintenances/upcoming.json" => Endpoint::Upcoming,
        "scheduled-maintenances/active.json" => Endpoint::Active,
        _ => return None,
    })
}

/// An error body: Cachet's envelope without a request id (the `X-Request-Id` header has it).
fn error(status: StatusCode) -> Response<Bytes> {
    response::error_without_id(status)
}

fn failed(e: &Error) -> Response<Bytes> {
    tracing::error!(error = ?crate::log::Escaped(&e), "Statuspage v2 request failed");
    error(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Answers an `/api/v2/...` request.
pub(crate) async fn handle(cachet: &Cachet, req: &Request<Bytes>) -> Response<Bytes> {
    let settings = match cachet.settings().await {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let allowed = &settings.allowed_domains;
    let Some(endpoint) = route(req.uri().path()) else {
        let mut resp = error(StatusCode::NOT_FOUND);
        cors::apply(&mut resp, req, allowed);
        return resp;
    };
    let method = req.method();
    if method == Method::OPTIONS {
        return cors::preflight(req, allowed);
    }
    let mut resp = if method == Method::GET || method == Method::HEAD {
        match render(cachet, &settings, endpoint).await {
            Ok(body) => response::json(StatusCode::OK, &body),
            Err(e) => failed(&e),
        }
    } else {
        let mut r = error(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(cors::ALLOW_READ));
        r
    };
    if method == Method::HEAD {
        *resp.body_mut() = Bytes::new();
    }
    cors::apply(&mut resp, req, allowed);
    resp
}

/// The body of API v1's `/status`: `{"data": {"status", "message"}}` by
/// [`status::api_v1_status`] over what a visitor sees.
pub(crate) async fn api_v1_status(cachet: &Cachet) -> Result<Data<StatusDto>, Error> {
    let settings = cachet.settings().await?;
    let actor = Actor::anonymous(None);
    let (_, components) = cachet.visible_components(&actor).await?;
    let unresolved = unresolved_incidents(cachet, &actor).await?;
    let s = status::api_v1_status(
        components.iter().map(|c| c.status),
        &unresolved,
        settings.major_outage_rate,
    );
    Ok(Data {
        data: StatusDto {
            message: s.message.to_string(),
            status: s.level.as_str().to_owned(),
        },
    })
}

pub(crate) async fn unresolved_incidents(
    cachet: &Cachet,
    actor: &Actor,
) -> Result<Vec<Incident>, Error> {
    let q = IncidentQuery::filtered(IncidentFilter {
        resolved: Some(false),
        ..IncidentFilter::default()
    });
    Ok(cachet
        .incidents(actor, q)
        .await?
        .items
        .into_iter()
        .filter(|i| i.visible && !i.status.is_resolved())
        .collect())
}

/// The 12-character page id (see the module docs).
fn page_id(cachet: &Cachet) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let label = format!(
        "cachet-rs/statuspage/page-id\0{}",
        cachet.config().public_url.as_str()
    );
    let hash = cachet.keyring().blind_index(&label).0;
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    let mut n = u64::from_be_bytes(first);
    let mut out = [b'0'; 12];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[usize::try_from(n % 36).unwrap_or(0)];
        n /= 36;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

/// Everything every endpoint shares: what a visitor sees now.
struct View<'c> {
    cachet: &'c Cachet,
    actor: Actor,
    now: Timestamp,
    tz: Tz,
    base: String,
    page_id: String,
    page: Value,
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

/// A schedule's updates, newest first. Schedules are public, and so are their updates.
async fn schedule_updates(cachet: &Cachet, id: ScheduleId) -> Result<Vec<ScheduleUpdate>, Error> {
    let mut updates = cachet.store().schedule_updates(id).await?;
    updates.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(updates)
}

async fn render(cachet: &Cachet, settings: &Settings, endpoint: Endpoint) -> Result<Value, Error> {
    let view = View::load(cachet, settings).await?;
    let page = view.page.clone();
    Ok(match endpoint {
        Endpoint::Status => json!({ "page": page, "status": view.status_json() }),
        Endpoint::Components => json!({ "page": page, "components": view.components_json() }),
        Endpoint::Summary => json!({
            "page": page,
            "status": view.status_json(),
            "components": view.components_json(),
            "incidents": view.incidents_json(&view.unresolved).await?,
            "scheduled_maintenances": view.maintenances_json(&view.open_maintenances(|p| p != MaintenancePhase::Complete)).await?,
        }),
        Endpoint::Incidents => {
            let q = IncidentQuery::all().paged(PageRequest::new(1, 50));
            let recent: Vec<Incident> = cachet
                .incidents(&view.actor, q)
                .await?
                .items
                .into_iter()
                .filter(|i| i.visible)
                .collect();
            json!({ "page": page, "incidents": view.incidents_json(&recent).await? })
        }
        Endpoint::Unresolved => {
            json!({ "page": page, "incidents": view.incidents_json(&view.unresolved).await? })
        }
        Endpoint::Maintenances => json!({
            "page": page,
            "scheduled_maintenances": view.maintenances_json(&view.recent_schedules).await?,
        }),
        Endpoint::Upcoming => json!({
            "page": page,
            "scheduled_maintenances": view.maintenances_json(&view.open_maintenances(|p| p == MaintenancePhase::Upcoming)).await?,
        }),
        Endpoint::Active => json!({
            "page": page,
            "scheduled_maintenances": view.maintenances_json(&view.open_maintenances(|p| p == MaintenancePhase::InProgress)).await?,
        }),
    })
}

fn incident_status(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Scheduled | IncidentStatus::Investigating => "investigating",
        IncidentStatus::Identified => "identified",
        IncidentStatus::Watching => "monitoring",
        IncidentStatus::Fixed => "resolved",
    }
}

impl<'c> View<'c> {
    async fn load(cachet: &'c Cachet, settings: &Settings) -> Result<Self, Error> {
        let actor = Actor::anonymous(None);
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
            .paged(PageRequest::new(1, 50));
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
        let page = json!({
            "id": page_id,
            "name": settings.app_name.as_ref().map_or("Cachet", |n| n.as_str()),
            "url": public_url,
            "time_zone": tz.name(),
            "updated_at": ts(updated_at, tz),
        });
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

    fn opt_ts(&self, t: Option<Timestamp>) -> Value {
        t.map_or(Value::Null, |t| Value::String(self.ts(t)))
    }

    fn status_json(&self) -> Value {
        json!({
            "indicator": self.indicator.as_str(),
            "description": self.indicator.description(),
        })
    }

    fn effective(&self, id: ComponentId) -> EffectiveStatus {
        self.effective
            .get(&id)
            .copied()
            .unwrap_or(EffectiveStatus::Operational)
    }

    fn component_json(&self, c: &Component) -> Value {
        json!({
            "id": format!("component-{}", c.id),
            "name": c.name.as_str(),
            "status": self.effective(c.id).statuspage(),
            "created_at": self.ts(c.created_at),
            "updated_at": self.ts(c.updated_at),
            "position": c.order.get(),
            "description": if c.description.is_empty() { Value::Null } else { Value::from(c.description.as_str()) },
            "showcase": true,
            "start_date": c.created_at.with_timezone(&self.tz).format("%Y-%m-%d").to_string(),
            "group_id": c.group_id.map(|g| format!("group-{g}")),
            "page_id": self.page_id,
            "group": false,
            "only_show_if_degraded": false,
        })
    }

    fn group_json(&self, g: &ComponentGroup, children: &[&Component]) -> Value {
        let status = status::worst(children.iter().map(|c| self.effective(c.id)));
        json!({
            "id": format!("group-{}", g.id),
            "name": g.name.as_str(),
            "status": status.statuspage(),
            "created_at": self.ts(g.created_at),
            "updated_at": self.ts(g.updated_at),
            "position": g.order.get(),
            "description": Value::Null,
            "showcase": false,
            "start_date": Value::Null,
            "group_id": Value::Null,
            "page_id": self.page_id,
            "group": true,
            "only_show_if_degraded": false,
            "components": children.iter().map(|c| format!("component-{}", c.id)).collect::<Vec<_>>(),
        })
    }

    fn components_json(&self) -> Vec<Value> {
        let mut out = Vec::with_capacity(self.components.len() + self.groups.len());
        for g in &self.groups {
            let children: Vec<&Component> = self
                .components
                .iter()
                .filter(|c| c.group_id == Some(g.id))
                .collect();
            out.push(self.group_json(g, &children));
            out.extend(children.iter().map(|c| self.component_json(c)));
        }
        out.extend(
            self.components
                .iter()
                .filter(|c| c.group_id.is_none())
                .map(|c| self.component_json(c)),
        );
        out
    }

    /// Full component objects for these ids, visible ones only, in the given order.
    fn components_by_id(&self, ids: impl IntoIterator<Item = ComponentId>) -> Vec<Value> {
        ids.into_iter()
            .filter_map(|id| self.components.iter().find(|c| c.id == id))
            .map(|c| self.component_json(c))
            .collect()
    }

    async fn incidents_json(&self, incidents: &[Incident]) -> Result<Vec<Value>, Error> {
        let listed = &incidents[..incidents.len().min(LIST_LIMIT)];
        // One read for every listed incident's updates (newest first per incident).
        let updates = self.cachet.incident_updates_of(&self.actor, listed).await?;
        Ok(listed
            .iter()
            .map(|i| {
                let of_this = updates.get(&i.id).map_or(&[][..], Vec::as_slice);
                self.incident_json(i, of_this)
            })
            .collect())
    }

    fn incident_json(&self, i: &Incident, updates: &[IncidentUpdate]) -> Value {
        let incident_id = format!("incident-{}", i.id);
        let update_json = |id: String,
                           status: IncidentStatus,
                           body: &str,
                           created: Timestamp,
                           updated: Timestamp,
                           display: Timestamp| {
            json!({
                "id": id,
                "status": incident_status(status),
                "body": body,
                "incident_id": incident_id,
                "created_at": self.ts(created),
                "updated_at": self.ts(updated),
                "display_at": self.ts(display),
                "affected_components": Value::Null,
                "deliver_notifications": i.notify,
                "custom_tweet": Value::Null,
                "tweet_id": Value::Null,
            })
        };
        let mut entries: Vec<Value> = updates
            .iter()
            .map(|u| {
                update_json(
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
            let first_status = if updates.is_empty() {
                i.status
            } else {
                IncidentStatus::Investigating
            };
            entries.push(update_json(
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
        json!({
            "id": incident_id,
            "name": i.name.as_str(),
            "status": incident_status(i.status),
            "created_at": self.ts(i.created_at),
            "updated_at": self.ts(i.updated_at),
            "monitoring_at": self.opt_ts(monitoring_at),
            "resolved_at": self.opt_ts(resolved_at),
            "impact": status::incident_impact(i).as_str(),
            "shortlink": format!("{}/incidents/{}", self.base, i.id),
            "started_at": self.ts(i.occurred_at),
            "page_id": self.page_id,
            "incident_updates": entries,
            "components": self.components_by_id(i.components.iter().map(|a| a.component_id)),
        })
    }

    /// Open schedules whose phase passes the test, earliest start first.
    fn open_maintenances(&self, keep: impl Fn(MaintenancePhase) -> bool) -> Vec<Schedule> {
        let mut out: Vec<Schedule> = self
            .open_schedules
            .iter()
            .filter(|s| keep(status::maintenance_phase(s, self.now)))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.scheduled_at.cmp(&b.scheduled_at).then(a.id.cmp(&b.id)));
        out
    }

    async fn maintenances_json(&self, schedules: &[Schedule]) -> Result<Vec<Value>, Error> {
        let mut out = Vec::new();
        for s in schedules.iter().take(LIST_LIMIT) {
            out.push(self.maintenance_json(s).await?);
        }
        Ok(out)
    }

    async fn maintenance_json(&self, s: &Schedule) -> Result<Value, Error> {
        let updates = match self.schedule_updates.get(&s.id) {
            Some(u) => u.clone(),
            None => schedule_updates(self.cachet, s.id).await?,
        };
        let schedule_id = format!("schedule-{}", s.id);
        let update_json = |id: String, body: &str, created: Timestamp, updated: Timestamp| {
            json!({
                "id": id,
                "status": status::window_phase_at(s, created).statuspage(),
                "body": body,
                "incident_id": schedule_id,
                "created_at": self.ts(created),
                "updated_at": self.ts(updated),
                "display_at": self.ts(created),
                "affected_components": Value::Null,
                "deliver_notifications": s.notify,
                "custom_tweet": Value::Null,
                "tweet_id": Value::Null,
            })
        };
        let mut entries: Vec<Value> = updates
            .iter()
            .map(|u| {
                update_json(
                    format!("schedule-update-{}", u.id),
                    u.message.as_str(),
                    u.created_at,
                    u.created_at,
                )
            })
            .collect();
        if !s.message.is_empty() {
            entries.push(update_json(
                format!("schedule-{}-message", s.id),
                s.message.as_str(),
                s.created_at,
                s.created_at,
            ));
        }
        let phase = status::maintenance_phase(s, self.now);
        let resolved_at = (phase == MaintenancePhase::Complete).then(|| {
            s.completed_at
                .filter(|end| *end <= self.now)
                .unwrap_or(s.updated_at)
        });
        Ok(json!({
            "id": schedule_id,
            "name": s.name.as_str(),
            "status": phase.statuspage(),
            "created_at": self.ts(s.created_at),
            "updated_at": self.ts(s.updated_at),
            "monitoring_at": Value::Null,
            "resolved_at": self.opt_ts(resolved_at),
            "impact": "maintenance",
            "shortlink": format!("{}/schedules/{}", self.base, s.id),
            "started_at": self.ts(s.scheduled_at),
            "page_id": self.page_id,
            "incident_updates": entries,
            "components": self.components_by_id(s.components.iter().copied()),
            "scheduled_for": self.ts(s.scheduled_at),
            "scheduled_until": self.opt_ts(s.completed_at),
        }))
    }
}

/// ISO-8601 with milliseconds in the zone, `Z` at offset zero.
fn ts(t: Timestamp, tz: Tz) -> String {
    t.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::DateTime;

    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/api/v2/summary.json"), Some(Endpoint::Summary));
        assert_eq!(
            route("/api/v2/incidents/unresolved.json"),
            Some(Endpoint::Unresolved)
        );
        assert_eq!(
            route("/api/v2/scheduled-maintenances/active.json"),
            Some(Endpoint::Active)
        );
        for bad in [
            "/api/v2/",
            "/api/v2",
            "/api/v2/summary",
            "/api/v2/summary.json/",
            "/api/v2//summary.json",
            "/api/v2/SUMMARY.json",
            "/api/v2/incidents/../summary.json",
            "/api/v1/summary.json",
        ] {
            assert_eq!(route(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_carry_the_site_offset() {
        let t = DateTime::from_timestamp_millis(1_767_225_600_473).unwrap();
        assert_eq!(ts(t, chrono_tz::UTC), "2026-01-01T00:00:00.473Z");
        assert_eq!(
            ts(t, chrono_tz::America::Tijuana),
            "2025-12-31T16:00:00.473-08:00"
        );
        assert_eq!(
            ts(t, chrono_tz::Asia::Kolkata),
            "2026-01-01T05:30:00.473+05:30"
        );
    }

    #[test]
    fn incident_statuses_map_to_statuspage() {
        let got: Vec<&str> = IncidentStatus::ALL
            .iter()
            .map(|s| incident_status(*s))
            .collect();
        assert_eq!(
            got,
            [
                "investigating",
                "investigating",
                "identified",
                "monitoring",
                "resolved"
            ]
        );
    }
}
