//! Statuspage v2 public JSON (the read-only API Atlassian Statuspage serves) under
//! `/api/v2/`, so the clients, bots, exporters and aggregators written for Atlassian
//! Statuspage read a cachet page unmodified. Statuspage's management API, which its tooling
//! writes through, is [`manage`] (`/v1/pages/{page_id}/...`); both answer with the same DTOs.
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
//! # Code
//!
//! One description of the contract: the endpoints are the rows of [`routes::ROUTES`]
//! (path, method, handler, answer DTO, summary), which route the requests, make the `Allow`
//! of a 405 and the Statuspage `paths` of the OpenAPI document; [`present`] builds each
//! answer as a type of [`dto`], whose `ToSchema` derives are the document's schemas.
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
//! * Maintenance status is its [`status::MaintenancePhase`] (`scheduled`, `in_progress`,
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
//! (a CORS preflight gets the CORS answer); other methods 405 with `Allow`; unknown `/api/v2/`
//! paths 404 JSON. The `.json` endpoints are open to every origin
//! (`Access-Control-Allow-Origin: *`, no credentials, see [`super::cors`]) so the status
//! widget works from other sites; anything else follows `allowed_domains`.

mod dto;
pub(crate) mod manage;
mod present;
pub(crate) mod routes;

use bytes::Bytes;
use chrono::SecondsFormat;
use chrono_tz::Tz;
use http::header::ALLOW;
use http::{HeaderValue, Method, Request, Response, StatusCode};

use self::present::View;
use self::routes::Lookup;
use super::api_v1::dto::{Data, StatusDto};
use super::{cors, response};
use crate::clock::Timestamp;
use crate::model::*;
use crate::status;
use crate::store::*;
use crate::{Actor, Cachet, Error};

/// The most entries any list holds (Statuspage's limit).
const LIST_LIMIT: u32 = 50;

/// An error body: Cachet's envelope without a request id (the `X-Request-Id` header has it).
fn error(status: StatusCode) -> Response<Bytes> {
    response::error_without_id(status)
}

fn failed(e: &Error) -> Response<Bytes> {
    tracing::error!(error = ?crate::log::Escaped(&e), "Statuspage v2 request failed");
    error(response::failure_status(e))
}

/// Answers an `/api/v2/...` request by the endpoint table ([`routes::ROUTES`]).
pub(crate) async fn handle(cachet: &Cachet, req: &Request<Bytes>) -> Response<Bytes> {
    let settings = match cachet.settings().await {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let allowed = &settings.allowed_domains;
    let path = req.uri().path();
    let method = req.method();
    let mut resp = match routes::find(path, method) {
        Lookup::NotFound => {
            let mut resp = error(StatusCode::NOT_FOUND);
            cors::apply(&mut resp, req, allowed);
            return resp;
        }
        // Every endpoint answers a CORS preflight; the table lists only what it serves.
        Lookup::NoMethod if method == Method::OPTIONS => return cors::preflight(req, allowed),
        Lookup::NoMethod => {
            let mut r = error(StatusCode::METHOD_NOT_ALLOWED);
            if let Ok(allow) = HeaderValue::from_str(&routes::allowed(path)) {
                r.headers_mut().insert(ALLOW, allow);
            }
            r
        }
        Lookup::Route(route) => {
            let answer = match View::load(cachet, &settings).await {
                Ok(view) => (route.handler)(&view).await,
                Err(e) => Err(e),
            };
            answer.unwrap_or_else(|e| failed(&e))
        }
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
pub(crate) fn page_id(cachet: &Cachet) -> String {
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

/// A schedule's updates, newest first. Schedules are public, and so are their updates.
async fn schedule_updates(cachet: &Cachet, id: ScheduleId) -> Result<Vec<ScheduleUpdate>, Error> {
    let mut updates = cachet.store().schedule_updates(id).await?;
    updates.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(updates)
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
}
