//! API v1 JSON shapes (Cachet 2.4's presenters), field for field.

use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use crate::clock::Timestamp;
use crate::model::*;
use crate::validate::Meta;

/// Cachet's date format, `Y-m-d H:i:s`, in the request's time zone.
#[must_use]
pub fn date(t: Timestamp, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_date(t: Option<Timestamp>, tz: Tz) -> Value {
    t.map_or(Value::Null, |t| Value::String(date(t, tz)))
}

fn meta(m: &Meta) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(m).unwrap_or(Value::Null)
    }
}

/// A component.
#[must_use]
pub fn component(c: &Component, tz: Tz) -> Value {
    // PHP serialises an empty collection as `[]` and a keyed one as an object; clients of
    // Cachet see exactly that.
    let tags = if c.tags.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(
            c.tags
                .iter()
                .map(|t| (t.slug.to_string(), Value::String(t.name.to_string())))
                .collect::<Map<_, _>>(),
        )
    };
    json!({
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "link": c.link.as_ref().map_or("", |l| l.as_str()),
        "status": c.status.code(),
        "order": c.order.get(),
        "group_id": c.group_id.map_or(0, GroupId::get),
        "enabled": c.enabled,
        "meta": meta(&c.meta),
        "created_at": date(c.created_at, tz),
        "updated_at": date(c.updated_at, tz),
        "deleted_at": Value::Null,
        "status_name": c.status.label(),
        "tags": tags,
    })
}

/// A component group with its enabled components.
#[must_use]
pub fn group(g: &ComponentGroup, components: &[Component], tz: Tz) -> Value {
    let enabled: Vec<&Component> = components
        .iter()
        .filter(|c| c.group_id == Some(g.id) && c.enabled)
        .collect();
    let lowest = enabled
        .iter()
        .map(|c| c.status)
        .max_by_key(|s| s.severity());
    json!({
        "id": g.id,
        "name": g.name,
        "order": g.order.get(),
        "collapsed": g.collapsed.code(),
        "visible": g.visible.code(),
        "created_at": date(g.created_at, tz),
        "updated_at": date(g.updated_at, tz),
        "lowest_human_status": lowest.map_or(Value::Null, |s| Value::String(s.label().to_owned())),
        "enabled_components": enabled.iter().map(|c| component(c, tz)).collect::<Vec<_>>(),
        "enabled_components_lowest": enabled.iter().filter(|c| Some(c.status) == lowest).map(|c| component(c, tz)).collect::<Vec<_>>(),
    })
}

/// Cachet's `opt_date` for nullable dates, exposed for other presenters.
#[must_use]
pub fn nullable_date(t: Option<Timestamp>, tz: Tz) -> Value {
    opt_date(t, tz)
}
