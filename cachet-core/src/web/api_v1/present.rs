//! API v1 answers (Cachet 2.4's presenters), field for field: each builds its
//! [`super::dto`] type from the model.

use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::dto::*;

use crate::clock::Timestamp;
use crate::model::*;
use crate::validate::Meta;

/// Cachet's date format, `Y-m-d H:i:s`, in the request's time zone.
#[must_use]
pub fn date(t: Timestamp, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_date(t: Option<Timestamp>, tz: Tz) -> Option<String> {
    t.map(|t| date(t, tz))
}

fn meta(m: &Meta) -> Option<Value> {
    if m.is_empty() {
        None
    } else {
        serde_json::to_value(m).ok()
    }
}

/// A component.
#[must_use]
pub fn component(c: &Component, tz: Tz) -> ComponentDto {
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
    ComponentDto {
        created_at: date(c.created_at, tz),
        deleted_at: None,
        description: c.description.to_string(),
        enabled: c.enabled,
        group_id: c.group_id.map_or(0, GroupId::get),
        id: c.id.get(),
        link: c.link.as_ref().map_or("", |l| l.as_str()).to_owned(),
        meta: meta(&c.meta),
        name: c.name.to_string(),
        order: i64::from(c.order.get()),
        status: i64::from(c.status.code()),
        status_name: c.status.label().to_owned(),
        tags,
        updated_at: date(c.updated_at, tz),
    }
}

/// A component group with its enabled components.
#[must_use]
pub fn group(g: &ComponentGroup, components: &[Component], tz: Tz) -> ComponentGroupDto {
    let enabled: Vec<&Component> = components
        .iter()
        .filter(|c| c.group_id == Some(g.id) && c.enabled)
        .collect();
    let lowest = enabled
        .iter()
        .map(|c| c.status)
        .max_by_key(|s| s.severity());
    ComponentGroupDto {
        collapsed: i64::from(g.collapsed.code()),
        created_at: date(g.created_at, tz),
        enabled_components: enabled.iter().map(|c| component(c, tz)).collect(),
        enabled_components_lowest: enabled
            .iter()
            .filter(|c| Some(c.status) == lowest)
            .map(|c| component(c, tz))
            .collect(),
        id: g.id.get(),
        lowest_human_status: lowest.map(|s| s.label().to_owned()),
        name: g.name.to_string(),
        order: i64::from(g.order.get()),
        updated_at: date(g.updated_at, tz),
        visible: i64::from(g.visible.code()),
    }
}

/// Cachet's `opt_date` for nullable dates, exposed for other presenters.
#[must_use]
pub fn nullable_date(t: Option<Timestamp>, tz: Tz) -> Option<String> {
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
pub fn incident_update(u: &IncidentUpdate, base: &str, tz: Tz) -> IncidentUpdateDto {
    IncidentUpdateDto {
        created_at: date(u.created_at, tz),
        human_status: u.status.label().to_owned(),
        id: u.id.get(),
        incident_id: u.incident_id.get(),
        message: u.message.to_string(),
        permalink: format!(
            "{}#update-{}",
            incident_permalink(base, u.incident_id),
            u.id
        ),
        status: i64::from(u.status.code()),
        updated_at: date(u.updated_at, tz),
        user_id: u.user_id.map(UserId::get),
    }
}

/// An incident with its updates (newest first, as the store lists them); `base` is the
/// public URL its permalink is built on.
#[must_use]
pub fn incident(i: &Incident, updates: &[IncidentUpdate], base: &str, tz: Tz) -> IncidentDto {
    let latest = updates.iter().max_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    let latest_status = latest.map_or(i.status, |u| u.status);
    let duration = latest.map_or(0, |u| (u.created_at - i.created_at).num_seconds().abs());
    IncidentDto {
        component_id: i.components.first().map_or(0, |a| a.component_id.get()),
        components: i
            .components
            .iter()
            .map(|a| super::dto::AffectedComponentDto {
                id: a.component_id.get(),
                status: i64::from(a.status.code()),
            })
            .collect(),
        created_at: date(i.created_at, tz),
        deleted_at: None,
        duration,
        human_status: i.status.label().to_owned(),
        id: i.id.get(),
        is_resolved: latest_status.is_resolved(),
        latest_human_status: latest_status.label().to_owned(),
        latest_icon: incident_icon(latest_status).to_owned(),
        latest_status: i64::from(latest_status.code()),
        latest_update_id: latest.map(|u| u.id.get()),
        message: i.message.to_string(),
        meta: meta_object(&i.meta),
        name: i.name.to_string(),
        notifications: i.notify,
        occurred_at: date(i.occurred_at, tz),
        permalink: incident_permalink(base, i.id),
        status: i64::from(i.status.code()),
        stickied: i.stickied,
        updated_at: date(i.updated_at, tz),
        updates: updates
            .iter()
            .map(|u| incident_update(u, base, tz))
            .collect(),
        user_id: i.user_id.map(UserId::get),
        visible: i64::from(i.visible),
    }
}

/// An incident template.
#[must_use]
pub fn template(t: &IncidentTemplate, tz: Tz) -> TemplateDto {
    TemplateDto {
        created_at: date(t.created_at, tz),
        deleted_at: None,
        id: t.id.get(),
        name: t.name.to_string(),
        slug: t.slug.to_string(),
        template: t.template.to_string(),
        updated_at: date(t.updated_at, tz),
    }
}

/// The name of a metric's default view, as Cachet's charts call it.
fn view_name(v: MetricView) -> MetricViewName {
    match v {
        MetricView::LastHour => MetricViewName::LastHour,
        MetricView::Today => MetricViewName::Today,
        MetricView::Week => MetricViewName::Week,
        MetricView::Month => MetricViewName::Month,
    }
}

/// A metric.
#[must_use]
pub fn metric(m: &Metric, tz: Tz) -> MetricDto {
    MetricDto {
        calc_type: i64::from(m.calc_type.code()),
        created_at: date(m.created_at, tz),
        default_value: m.default_value.as_f64(),
        default_view: i64::from(m.default_view.code()),
        default_view_name: view_name(m.default_view),
        description: m.description.to_string(),
        display_chart: m.display_chart,
        id: m.id.get(),
        name: m.name.to_string(),
        order: i64::from(m.order.get()),
        places: i64::from(m.places.get()),
        suffix: m.suffix.to_string(),
        threshold: i64::from(m.threshold.minutes()),
        updated_at: date(m.updated_at, tz),
        visible: i64::from(m.visible.code()),
    }
}

/// A metric point, with `calculated_value` = value x counter.
#[must_use]
pub fn metric_point(p: &MetricPoint, tz: Tz) -> MetricPointDto {
    #[allow(clippy::cast_precision_loss)]
    let calculated = p.calculated_millis() as f64 / 1000.0;
    MetricPointDto {
        calculated_value: calculated,
        counter: p.counter,
        created_at: date(p.created_at, tz),
        id: p.id.get(),
        metric_id: p.metric_id.get(),
        updated_at: date(p.updated_at, tz),
        value: p.value.as_f64(),
    }
}

/// A maintenance schedule with the components it covers (those the reader may see).
#[must_use]
pub fn schedule(s: &Schedule, components: &[Component], tz: Tz) -> ScheduleDto {
    ScheduleDto {
        completed_at: opt_date(s.completed_at, tz),
        components: components.iter().map(|c| component(c, tz)).collect(),
        created_at: date(s.created_at, tz),
        deleted_at: None,
        human_status: s.status.label().to_owned(),
        id: s.id.get(),
        message: s.message.to_string(),
        name: s.name.to_string(),
        scheduled_at: date(s.scheduled_at, tz),
        status: i64::from(s.status.code()),
        updated_at: date(s.updated_at, tz),
    }
}

/// One subscription of a subscriber to a component.
#[must_use]
pub fn subscription(s: &Subscription, tz: Tz) -> SubscriptionDto {
    SubscriptionDto {
        component_id: s.component_id.get(),
        created_at: date(s.created_at, tz),
        id: Some(s.id.get()),
        subscriber_id: Some(s.subscriber_id.get()),
        updated_at: date(s.created_at, tz),
    }
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
) -> SubscriberDto {
    let at = date(now, tz);
    SubscriberDto {
        created_at: at.clone(),
        email: email.as_str().to_owned(),
        global: components.is_empty(),
        id: None,
        phone_number: None,
        slack_webhook_url: None,
        subscriptions: components
            .iter()
            .map(|c| SubscriptionDto {
                component_id: c.get(),
                created_at: at.clone(),
                id: None,
                subscriber_id: None,
                updated_at: at.clone(),
            })
            .collect(),
        updated_at: at.clone(),
        verified_at: verified.then_some(at),
    }
}

/// A subscriber with the address opened for an admin. Never carries a verification code,
/// a link token or any other secret (Cachet's `verify_code` was one).
#[must_use]
pub fn subscriber(
    s: &Subscriber,
    address: &crate::SubscriberAddress,
    subscriptions: &[Subscription],
    tz: Tz,
) -> SubscriberDto {
    SubscriberDto {
        created_at: date(s.created_at, tz),
        // An SMS or chat subscriber has no address; its number is shown masked and its URL
        // as scheme and host (the path is the channel's credential), never whole.
        email: address
            .email()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        global: s.global,
        id: Some(s.id.get()),
        phone_number: match address {
            crate::SubscriberAddress::Sms(p) => Some(p.masked()),
            _ => None,
        },
        slack_webhook_url: match address {
            crate::SubscriberAddress::Chat(u) => Some(crate::redacted_chat_url(u)),
            _ => None,
        },
        subscriptions: subscriptions.iter().map(|x| subscription(x, tz)).collect(),
        updated_at: date(s.updated_at, tz),
        verified_at: opt_date(s.verified_at, tz),
    }
}
