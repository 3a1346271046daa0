//! Incidents (with their components and updates), incident templates and maintenance
//! schedules (with their components).

use std::collections::{BTreeMap, BTreeSet};

use super::Source;
use super::builder::{Builder, int, map_table, opt_int, text};
use super::source::rule;
use crate::model::{ComponentStatus, IncidentStatus, Role, ScheduleStatus};
use crate::store::backup::Value;
use crate::validate::{Markdown, Meta, Name, Slug};

pub(super) fn map_incidents(
    b: &mut Builder,
    source: &Source,
    users: &BTreeMap<i64, Role>,
    components: &BTreeSet<i64>,
    now: i64,
) -> BTreeSet<i64> {
    let incidents = map_table(b, source, "incidents", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let status = rule("status", IncidentStatus::from_code(r.int_or("status", 1)?))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            opt_int(r.opt_int("user_id")?.filter(|u| users.contains_key(u))),
            text(name.as_str()),
            int(i64::from(status.code())),
            text(message.as_str()),
            Value::Bool(r.bool_or("visible", true)?),
            Value::Bool(r.bool_or("stickied", false)?),
            Value::Bool(r.bool_or("notifications", false)?),
            int(r.time_or("occurred_at", created)?),
            text(Meta::default().to_json()),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    let mut pairs = BTreeSet::new();
    map_table(b, source, "incident_components", |r, _| {
        let (incident, component) =
            r.component_link("incident_id", "incident", &incidents, components)?;
        let status = rule("status_id", ComponentStatus::from_code(r.int("status_id")?))?;
        if !pairs.insert((incident, component)) {
            return Ok(None);
        }
        Ok(Some(vec![
            int(incident),
            int(component),
            int(i64::from(status.code())),
        ]))
    });
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
    incidents
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

pub(super) fn map_schedules(
    b: &mut Builder,
    source: &Source,
    components: &BTreeSet<i64>,
    now: i64,
) {
    let schedules = map_table(b, source, "schedules", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let status = rule("status", ScheduleStatus::from_code(r.int_or("status", 0)?))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(message.as_str()),
            int(i64::from(status.code())),
            int(r
                .opt_time("scheduled_at")?
                .ok_or("scheduled_at: required")?),
            opt_int(r.opt_time("completed_at")?),
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
}
