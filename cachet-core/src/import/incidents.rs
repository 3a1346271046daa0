//! Incidents (with their components and updates), incident templates and maintenance
//! schedules (with their components).

use std::collections::{BTreeMap, BTreeSet};

use super::builder::{Builder, int, map_table, opt_int, text};
use super::cachet3::{component_status_code, meta_of};
use super::source::{Field, Row, rule};
use super::{SchemaVersion, Source};
use crate::model::{ComponentStatus, IncidentStatus, Role, ScheduleStatus};
use crate::store::backup::Value;
use crate::validate::{Markdown, Meta, Name, Slug};

/// Whether a Cachet 3 incident shows to everyone: visible to guests (`1`; `0` is signed-in
/// users only, `2` hidden) and published (a draft, or one published later, is not yet).
/// The column is still 2015's boolean, so PostgreSQL writes it `true`/`false`.
fn cachet3_public(r: &Row<'_>, now: i64) -> Field<bool> {
    let published = r.opt_time("published_at")?.is_some_and(|p| p <= now);
    let guests = match r.text("visible").trim() {
        "" | "1" | "true" | "t" => true,
        "0" | "2" | "false" | "f" => false,
        _ => return Err("visible: not 0, 1 or 2".to_owned()),
    };
    Ok(published && guests)
}

/// A Cachet 3 incident's metadata: its `meta` rows, its GUID and where it came from.
fn cachet3_meta(r: &Row<'_>, mut meta: serde_json::Map<String, serde_json::Value>) -> Field<Meta> {
    for key in ["guid", "external_provider", "external_id"] {
        if let Some(v) = r.raw(key).map(str::trim).filter(|v| !v.is_empty()) {
            meta.insert(key.to_owned(), serde_json::Value::String(v.to_owned()));
        }
    }
    rule("meta", Meta::from_value(serde_json::Value::Object(meta)))
}

/// Maps incidents and the components they affect (and, from 2.4, their updates); returns
/// each imported incident's status.
pub(super) fn map_incidents(
    b: &mut Builder,
    source: &Source,
    version: SchemaVersion,
    users: &BTreeMap<i64, Role>,
    components: &BTreeSet<i64>,
    now: i64,
) -> BTreeMap<i64, IncidentStatus> {
    let cachet3 = version.is_cachet3();
    let mut metas = if cachet3 {
        meta_of(source, "incident")
    } else {
        BTreeMap::new()
    };
    let mut statuses = BTreeMap::new();
    let ids = map_table(b, source, "incidents", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let mut code = r.int_or("status", 1)?;
        // Cachet 3's `unknown` (0) is our `scheduled`: an incident of unknown state is
        // being investigated.
        if cachet3 && code == 0 {
            code = 1;
        }
        let status = rule("status", IncidentStatus::from_code(code))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let created = r.time_or("created_at", now)?;
        let (visible, meta) = if cachet3 {
            (
                cachet3_public(r, now)?,
                cachet3_meta(r, metas.remove(&id).unwrap_or_default())?,
            )
        } else {
            (r.bool_or("visible", true)?, Meta::default())
        };
        statuses.insert(id, status);
        Ok(Some(vec![
            int(id),
            opt_int(r.opt_int("user_id")?.filter(|u| users.contains_key(u))),
            text(name.as_str()),
            int(i64::from(status.code())),
            text(message.as_str()),
            Value::Bool(visible),
            Value::Bool(r.bool_or("stickied", false)?),
            Value::Bool(r.bool_or("notifications", false)?),
            int(r.time_or("occurred_at", created)?),
            text(meta.to_json()),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    statuses.retain(|id, _| ids.contains(id));
    let incidents = ids;
    let mut pairs = BTreeSet::new();
    map_table(b, source, "incident_components", |r, _| {
        let (incident, component) =
            r.component_link("incident_id", "incident", &incidents, components)?;
        let column = r.pick(&["status_id", "component_status"]);
        let status = if cachet3 {
            // Null: the incident names the component without changing its status.
            component_status_code(r.int_or(column, 0)?)
        } else {
            r.int(column)?
        };
        let status = rule(column, ComponentStatus::from_code(status))?;
        if !pairs.insert((incident, component)) {
            return Ok(None);
        }
        Ok(Some(vec![
            int(incident),
            int(component),
            int(i64::from(status.code())),
        ]))
    });
    if cachet3 {
        // Cachet 3's updates are morphed onto incidents and schedules: `updates.rs`.
        return statuses;
    }
    map_table(b, source, "incident_updates", |r, id| {
        let incident = r.parent("incident_id", "incident", &incidents)?;
        let status = rule("status", IncidentStatus::from_code(r.int_or("status", 1)?))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            int(incident),
            int(i64::from(status.code())),
            text(message.as_str()),
            opt_int(r.opt_int("user_id")?.filter(|u| users.contains_key(u))),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    statuses
}

pub(super) fn map_templates(b: &mut Builder, source: &Source, now: i64) {
    let mut slugs = BTreeSet::new();
    map_table(b, source, "incident_templates", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let slug = rule("slug", Slug::parse(r.text("slug").trim()))?;
        if !slugs.insert(slug.as_str().to_owned()) {
            return Err("slug: another template has this slug".to_owned());
        }
        // Twig is never evaluated here: a Cachet template's `{% ... %}` stays literal text.
        let template = rule("template", Markdown::parse(r.text("template")))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(slug.as_str()),
            text(template.as_str()),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
}

/// A Cachet 3 schedule's status, which it tells from its dates as Cachet 3 does: upcoming
/// before it starts, in progress until it is completed, complete after.
fn schedule_status(scheduled: i64, completed: Option<i64>, now: i64) -> ScheduleStatus {
    if scheduled > now {
        ScheduleStatus::Upcoming
    } else if completed.is_none_or(|c| c >= now) {
        ScheduleStatus::InProgress
    } else {
        ScheduleStatus::Complete
    }
}

/// Maps maintenance schedules and their components; returns the imported schedules.
pub(super) fn map_schedules(
    b: &mut Builder,
    source: &Source,
    version: SchemaVersion,
    components: &BTreeSet<i64>,
    now: i64,
) -> BTreeSet<i64> {
    let schedules = map_table(b, source, "schedules", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let scheduled = r
            .opt_time("scheduled_at")?
            .ok_or("scheduled_at: required")?;
        let completed = r.opt_time("completed_at")?;
        let status = match version {
            SchemaVersion::Cachet3 | SchemaVersion::Cachet3From24 => {
                schedule_status(scheduled, completed, now)
            }
            _ => rule("status", ScheduleStatus::from_code(r.int_or("status", 0)?))?,
        };
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(message.as_str()),
            int(i64::from(status.code())),
            int(scheduled),
            opt_int(completed),
            Value::Bool(false),
            Value::Null,
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    let mut pairs = BTreeSet::new();
    map_table(b, source, "schedule_components", |r, _| {
        let (schedule, component) =
            r.component_link("schedule_id", "schedule", &schedules, components)?;
        if !pairs.insert((schedule, component)) {
            return Ok(None);
        }
        Ok(Some(vec![int(schedule), int(component)]))
    });
    schedules
}
