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

/// A metadata object as Cachet's `meta` relation shows it: `{key: value}`, or `[]` when
/// empty (PHP's empty array).
fn meta_object(m: &Meta) -> Value {
    if m.is_empty() {
        Value::Array(Vec::new())
    } else {
        serde_json::to_value(m).unwrap_or(Value::Array(Vec::new()))
    }
}

/// Cachet's incident status icons (CSS classes used by its themes).
fn incident_icon(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Scheduled => "icon ion-android-calendar",
        IncidentStatus::Investigating => "icon ion-flag oranges",
        IncidentStatus::Identified => "icon ion-alert yellows",
        IncidentStatus::Watching => "icon ion-eye blues",
        IncidentStatus::Fixed => "icon ion-checkmark greens",
    }
}

/// `{public_url}/incidents/{id}`, the incident's page.
#[must_use]
pub fn incident_permalink(base: &str, id: IncidentId) -> String {
    format!("{}/incidents/{id}", base.trim_end_matches('/'))
}

/// An incident update; `base` is the public URL its permalink is built on.
#[must_use]
pub fn incident_update(u: &IncidentUpdate, base: &str, tz: Tz) -> Value {
    json!({
        "id": u.id,
        "incident_id": u.incident_id,
        "status": u.status.code(),
        "message": u.message,
        "user_id": u.user_id,
        "created_at": date(u.created_at, tz),
        "updated_at": date(u.updated_at, tz),
        "human_status": u.status.label(),
        "permalink": format!("{}#update-{}", incident_permalink(base, u.incident_id), u.id),
    })
}

/// An incident with its updates (newest first, as the store lists them); `base` is the
/// public URL its permalink is built on.
#[must_use]
pub fn incident(i: &Incident, updates: &[IncidentUpdate], base: &str, tz: Tz) -> Value {
    let latest = updates.iter().max_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    let latest_status = latest.map_or(i.status, |u| u.status);
    let duration = latest.map_or(0, |u| (u.created_at - i.created_at).num_seconds().abs());
    json!({
        "id": i.id,
        "user_id": i.user_id,
        "component_id": i.components.first().map_or(0, |a| a.component_id.get()),
        "name": i.name,
        "status": i.status.code(),
        "visible": u8::from(i.visible),
        "stickied": i.stickied,
        "notifications": i.notify,
        "message": i.message,
        "occurred_at": date(i.occurred_at, tz),
        "created_at": date(i.created_at, tz),
        "updated_at": date(i.updated_at, tz),
        "deleted_at": Value::Null,
        "is_resolved": latest_status.is_resolved(),
        "meta": meta_object(&i.meta),
        "updates": updates.iter().map(|u| incident_update(u, base, tz)).collect::<Vec<_>>(),
        "human_status": i.status.label(),
        "latest_update_id": latest.map(|u| u.id),
        "latest_status": latest_status.code(),
        "latest_human_status": latest_status.label(),
        "latest_icon": incident_icon(latest_status),
        "permalink": incident_permalink(base, i.id),
        "duration": duration,
    })
}

/// An incident template.
#[must_use]
pub fn template(t: &IncidentTemplate, tz: Tz) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "slug": t.slug,
        "template": t.template,
        "created_at": date(t.created_at, tz),
        "updated_at": date(t.updated_at, tz),
        "deleted_at": Value::Null,
    })
}

/// The name of a metric's default view, as Cachet's charts call it.
fn view_name(v: MetricView) -> &'static str {
    match v {
        MetricView::LastHour => "last_hour",
        MetricView::Today => "today",
        MetricView::Week => "week",
        MetricView::Month => "month",
    }
}

/// A metric.
#[must_use]
pub fn metric(m: &Metric, tz: Tz) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "suffix": m.suffix,
        "description": m.description,
        "default_value": m.default_value.as_f64(),
        "calc_type": m.calc_type.code(),
        "display_chart": m.display_chart,
        "places": m.places.get(),
        "default_view": m.default_view.code(),
        "threshold": m.threshold.minutes(),
        "order": m.order.get(),
        "visible": m.visible.code(),
        "created_at": date(m.created_at, tz),
        "updated_at": date(m.updated_at, tz),
        "default_view_name": view_name(m.default_view),
    })
}

/// A metric point, with `calculated_value` = value x counter.
#[must_use]
pub fn metric_point(p: &MetricPoint, tz: Tz) -> Value {
    #[allow(clippy::cast_precision_loss)]
    let calculated = p.calculated_millis() as f64 / 1000.0;
    json!({
        "id": p.id,
        "metric_id": p.metric_id,
        "value": p.value.as_f64(),
        "counter": p.counter,
        "created_at": date(p.created_at, tz),
        "updated_at": date(p.updated_at, tz),
        "calculated_value": calculated,
    })
}

/// A maintenance schedule with the components it covers (those the reader may see).
#[must_use]
pub fn schedule(s: &Schedule, components: &[Component], tz: Tz) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "message": s.message,
        "status": s.status.code(),
        "scheduled_at": date(s.scheduled_at, tz),
        "completed_at": opt_date(s.completed_at, tz),
        "created_at": date(s.created_at, tz),
        "updated_at": date(s.updated_at, tz),
        "deleted_at": Value::Null,
        "components": components.iter().map(|c| component(c, tz)).collect::<Vec<_>>(),
        "human_status": s.status.label(),
    })
}

/// One subscription of a subscriber to a component.
#[must_use]
pub fn subscription(s: &Subscription, tz: Tz) -> Value {
    json!({
        "id": s.id,
        "subscriber_id": s.subscriber_id,
        "component_id": s.component_id,
        "created_at": date(s.created_at, tz),
        "updated_at": date(s.created_at, tz),
    })
}

/// The answer to creating a subscriber for a token that may not read addresses: Cachet's
/// subscriber object echoing the request (`id` and the subscriptions' ids `null`, dates now),
/// identical whether the address was new or already subscribed.
#[must_use]
pub fn accepted_subscriber(
    email: &crate::validate::Email,
    components: &[ComponentId],
    verified: bool,
    now: Timestamp,
    tz: Tz,
) -> Value {
    let at = date(now, tz);
    json!({
        "id": Value::Null,
        "email": email.as_str(),
        "verified_at": if verified { Value::String(at.clone()) } else { Value::Null },
        "global": components.is_empty(),
        "created_at": at,
        "updated_at": at,
        "subscriptions": components.iter().map(|c| json!({
            "id": Value::Null,
            "subscriber_id": Value::Null,
            "component_id": c,
            "created_at": at,
            "updated_at": at,
        })).collect::<Vec<_>>(),
    })
}

/// A subscriber with the address opened for an admin. Never carries a verification code,
/// a link token or any other secret (Cachet's `verify_code` was one).
#[must_use]
pub fn subscriber(
    s: &Subscriber,
    email: &crate::validate::Email,
    subscriptions: &[Subscription],
    tz: Tz,
) -> Value {
    json!({
        "id": s.id,
        "email": email.as_str(),
        "verified_at": opt_date(s.verified_at, tz),
        "global": s.global,
        "created_at": date(s.created_at, tz),
        "updated_at": date(s.updated_at, tz),
        "subscriptions": subscriptions.iter().map(|x| subscription(x, tz)).collect::<Vec<_>>(),
    })
}
