//! Cachet 3's `updates`: one table for the updates of incidents and of maintenance
//! schedules (`updateable_type`, `updateable_id`), split here into incident updates and
//! schedule updates, ids kept (they share Cachet's one id space, so they cannot collide).

use std::collections::{BTreeMap, BTreeSet};

use super::Source;
use super::builder::{Builder, int, opt_int, text};
use super::cachet3::is_morph;
use super::source::{Field, Row, rows, rule};
use crate::model::{IncidentStatus, Role};
use crate::store::backup::Value;
use crate::validate::Markdown;

/// Where one update goes: its table here and the row.
fn update(
    r: &Row<'_>,
    id: i64,
    incidents: &BTreeMap<i64, IncidentStatus>,
    schedules: &BTreeSet<i64>,
    users: &BTreeMap<i64, Role>,
    now: i64,
) -> Field<(&'static str, Vec<Value>)> {
    let kind = r.text("updateable_type");
    let parent = r.int("updateable_id")?;
    let message = rule("message", Markdown::parse(r.text("message")))?;
    let user = opt_int(r.opt_int("user_id")?.filter(|u| users.contains_key(u)));
    let created = r.time_or("created_at", now)?;
    if is_morph(kind, "incident") {
        let Some(incident_status) = incidents.get(&parent) else {
            return Err(format!("incident {parent} is not imported"));
        };
        // No status: the update did not change the incident's, which it keeps. Cachet 3's
        // `unknown` (0) is our `scheduled`, so it reads as investigating.
        let status = match r.opt_int("status")? {
            None => *incident_status,
            Some(0) => IncidentStatus::Investigating,
            Some(code) => rule("status", IncidentStatus::from_code(code))?,
        };
        Ok((
            "incident_updates",
            vec![
                int(id),
                int(parent),
                int(i64::from(status.code())),
                text(message.as_str()),
                user,
                int(created),
                int(r.time_or("updated_at", created)?),
            ],
        ))
    } else if is_morph(kind, "schedule") {
        if !schedules.contains(&parent) {
            return Err(format!("schedule {parent} is not imported"));
        }
        Ok((
            "schedule_updates",
            vec![
                int(id),
                int(parent),
                text(message.as_str()),
                user,
                int(created),
            ],
        ))
    } else {
        Err("updateable_type: neither an incident nor a schedule".to_owned())
    }
}

pub(super) fn map_updates(
    b: &mut Builder,
    source: &Source,
    incidents: &BTreeMap<i64, IncidentStatus>,
    schedules: &BTreeSet<i64>,
    users: &BTreeMap<i64, Role>,
    now: i64,
) {
    let (mut read, mut imported) = (0, 0);
    for r in rows(source, "updates") {
        read += 1;
        let Some(id) = r.id() else {
            b.reject("updates", None, "id: not an integer");
            continue;
        };
        match update(&r, id, incidents, schedules, users, now) {
            Ok((table, values)) => {
                b.push(table, values);
                imported += 1;
            }
            Err(reason) => b.reject("updates", Some(id), reason),
        }
    }
    b.count("updates", read, imported);
}
