//! The model as Cachet 3 shows it: resource objects, statuses with their labels, moments,
//! and the page envelope of a list.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use chrono_tz::Tz;

use super::Call;
use super::dto::*;
use crate::clock::Timestamp;
use crate::model::*;
use crate::status::{self, MaintenancePhase};
use crate::store::Page;

/// A moment: relative to now in English, and `YYYY-MM-DD HH:MM:SS` in the site's zone.
pub(crate) fn moment(at: Option<Timestamp>, now: Timestamp, tz: Tz) -> Moment {
    Moment {
        human: at.map(|t| relative(t, now)),
        string: at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()),
    }
}

/// `3 hours ago`, `2 days from now`: the largest whole unit, as Carbon's `diffForHumans`.
fn relative(at: Timestamp, now: Timestamp) -> String {
    let delta = now - at;
    let (past, span) = if delta >= TimeDelta::zero() {
        (true, delta)
    } else {
        (false, -delta)
    };
    let seconds = span.num_seconds();
    let days = span.num_days();
    let (n, unit) = if seconds < 60 {
        (seconds.max(1), "second")
    } else if seconds < 3_600 {
        (span.num_minutes(), "minute")
    } else if seconds < 86_400 {
        (span.num_hours(), "hour")
    } else if days < 7 {
        (days, "day")
    } else if days < 30 {
        (days / 7, "week")
    } else if days < 365 {
        (days / 30, "month")
    } else {
        (days / 365, "year")
    };
    let plural = if n == 1 { "" } else { "s" };
    let direction = if past { "ago" } else { "from now" };
    format!("{n} {unit}{plural} {direction}")
}

fn labelled(human: &str, value: i64) -> Labelled {
    Labelled {
        human: human.to_owned(),
        value: Some(value),
    }
}

/// A stored component status in Cachet 3's numbers (unknown is 5 there).
pub(crate) fn component_status(s: ComponentStatus) -> Labelled {
    match s {
        ComponentStatus::Unknown => labelled("Unknown", 5),
        ComponentStatus::Operational => labelled("Operational", 1),
        ComponentStatus::PerformanceIssues => labelled("Performance issues", 2),
        ComponentStatus::PartialOutage => labelled("Partial outage", 3),
        ComponentStatus::MajorOutage => labelled("Major outage", 4),
    }
}

/// A Cachet 3 component status number, for a write; 6 (under maintenance) is refused.
pub(crate) fn parse_component_status(
    value: i64,
) -> Result<ComponentStatus, crate::validate::Violation> {
    match value {
        1 => Ok(ComponentStatus::Operational),
        2 => Ok(ComponentStatus::PerformanceIssues),
        3 => Ok(ComponentStatus::PartialOutage),
        4 => Ok(ComponentStatus::MajorOutage),
        // Cachet 3's unknown, and API v1's 0 for clients that send it.
        0 | 5 => Ok(ComponentStatus::Unknown),
        _ => Err(crate::validate::Violation::NotAllowed {
            allowed: "1 (operational), 2 (performance issues), 3 (partial outage), 4 (major outage), 5 (unknown); a component is under maintenance (6) while a schedule covers it",
        }),
    }
}

fn incident_status(s: IncidentStatus) -> Labelled {
    let human = match s {
        IncidentStatus::Scheduled => "Reported",
        IncidentStatus::Investigating => "Investigating",
        IncidentStatus::Identified => "Identified",
        IncidentStatus::Watching => "Watching",
        IncidentStatus::Fixed => "Fixed",
    };
    labelled(human, i64::from(s.code()))
}

/// The resource identifiers of `T`s of one type.
fn identifiers(kind: &str, ids: impl IntoIterator<Item = i64>) -> Relationship {
    Relationship {
        data: Linkage::Many(
            ids.into_iter()
                .map(|id| Identifier {
                    id: id.to_string(),
                    kind: kind.to_owned(),
                })
                .collect(),
        ),
    }
}

fn one_identifier(kind: &str, id: Option<i64>) -> Relationship {
    Relationship {
        data: Linkage::One(id.map(|id| Identifier {
            id: id.to_string(),
            kind: kind.to_owned(),
        })),
    }
}

/// What a resource shows of related ones, filled in by the handler for `include`.
#[derive(Default)]
pub(crate) struct Related {
    pub relationships: BTreeMap<String, Relationship>,
}

impl Related {
    pub(crate) fn many(&mut self, name: &str, kind: &str, ids: impl IntoIterator<Item = i64>) {
        self.relationships
            .insert(name.to_owned(), identifiers(kind, ids));
    }

    pub(crate) fn one(&mut self, name: &str, kind: &str, id: Option<i64>) {
        self.relationships
            .insert(name.to_owned(), one_identifier(kind, id));
    }
}

/// The documents' `included`: each related resource once, in the order first met.
#[derive(Default)]
pub(crate) struct Included {
    seen: std::collections::BTreeSet<(String, String)>,
    items: Vec<serde_json::Value>,
}

impl Included {
    pub(crate) fn add<T: serde::Serialize>(&mut self, kind: &str, id: i64, resource: &T) {
        if self.seen.insert((kind.to_owned(), id.to_string()))
            && let Ok(value) = serde_json::to_value(resource)
        {
            self.items.push(value);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<serde_json::Value> {
        self.items
    }
}

fn meta_value(meta: &crate::validate::Meta) -> serde_json::Value {
    serde_json::to_value(meta).unwrap_or(serde_json::Value::Null)
}

pub(crate) const COMPONENTS: &str = "components";
pub(crate) const GROUPS: &str = "componentGroups";
pub(crate) const INCIDENTS: &str = "incidents";
pub(crate) const UPDATES: &str = "updates";
pub(crate) const TEMPLATES: &str = "incidentTemplates";
pub(crate) const SCHEDULES: &str = "schedules";
pub(crate) const METRICS: &str = "metrics";
pub(crate) const POINTS: &str = "metricPoints";
pub(crate) const SUBSCRIBERS: &str = "subscribers";

impl Call<'_> {
    fn at(&self, t: Timestamp) -> Moment {
        self.maybe_at(Some(t))
    }

    /// A moment told against the clock now, not the request's start: what this request
    /// wrote was stamped after it began, and is not "1 second from now".
    fn maybe_at(&self, t: Option<Timestamp>) -> Moment {
        moment(t, self.cachet.now(), self.tz)
    }

    /// A component; `schedules` are the open ones, for `latest_status`.
    pub(crate) fn component(
        &self,
        c: &Component,
        schedules: &[Schedule],
        with_meta: bool,
        related: Related,
    ) -> ComponentResource {
        let latest = match status::effective_status(c, schedules, self.now) {
            status::EffectiveStatus::UnderMaintenance => labelled("Under maintenance", 6),
            _ => component_status(c.status),
        };
        ComponentResource {
            id: c.id.get().to_string(),
            kind: COMPONENTS,
            attributes: ComponentAttributes {
                id: c.id.get(),
                name: c.name.as_str().to_owned(),
                description: c.description.as_str().to_owned(),
                link: c.link.as_ref().map(|l| l.as_str().to_owned()),
                order: i64::from(c.order.get()),
                status: component_status(c.status),
                latest_status: latest,
                enabled: c.enabled,
                meta: with_meta.then(|| meta_value(&c.meta)),
                created: self.at(c.created_at),
                updated: self.at(c.updated_at),
            },
            relationships: related.relationships,
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn group(&self, g: &ComponentGroup, related: Related) -> GroupResource {
        GroupResource {
            id: g.id.get().to_string(),
            kind: GROUPS,
            attributes: GroupAttributes {
                id: g.id.get(),
                name: g.name.as_str().to_owned(),
                order: i64::from(g.order.get()),
                order_column: None,
                order_direction: None,
                collapsed: i64::from(g.collapsed.code()),
                visible: i64::from(g.visible.code()),
                created: self.at(g.created_at),
                updated: self.at(g.updated_at),
            },
            relationships: related.relationships,
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn incident(
        &self,
        i: &Incident,
        with_meta: bool,
        related: Related,
    ) -> IncidentResource {
        IncidentResource {
            id: i.id.get().to_string(),
            kind: INCIDENTS,
            attributes: IncidentAttributes {
                id: i.id.get(),
                guid: self.guid(i),
                name: i.name.as_str().to_owned(),
                message: i.message.as_str().to_owned(),
                visible: i.visible,
                stickied: i.stickied,
                notifications: i.notify,
                meta: with_meta.then(|| meta_value(&i.meta)),
                status: incident_status(i.status),
                occurred: self.at(i.occurred_at),
                published: self.at(i.created_at),
                created: self.at(i.created_at),
                updated: self.at(i.updated_at),
            },
            relationships: related.relationships,
            meta: Empty {},
            links: Empty {},
        }
    }

    /// An incident's GUID: the `guid` of its metadata when it is a UUID (an imported Cachet 3
    /// incident keeps its own), else one derived from the site and the id, stable for both.
    fn guid(&self, i: &Incident) -> String {
        if let Some(serde_json::Value::String(g)) = i.meta.as_map().get("guid")
            && is_uuid(g)
        {
            return g.to_ascii_lowercase();
        }
        let label = format!(
            "cachet-rs/cachet3/incident-guid\0{}\0{}",
            self.cachet.config().public_url.as_str(),
            i.id.get()
        );
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.cachet.keyring().blind_index(&label).0[..16]);
        // RFC 9562's layout: version 8 (custom), variant 10.
        b[6] = (b[6] & 0x0f) | 0x80;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    pub(crate) fn incident_update(&self, u: &IncidentUpdate) -> UpdateResource {
        UpdateResource {
            id: u.id.get().to_string(),
            kind: UPDATES,
            attributes: UpdateAttributes {
                id: u.id.get(),
                updateable_id: u.incident_id.get(),
                updateable_type: "incident",
                message: u.message.as_str().to_owned(),
                status: Some(incident_status(u.status)),
                created: self.at(u.created_at),
                updated: self.at(u.updated_at),
            },
            relationships: BTreeMap::new(),
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn schedule_update(&self, u: &ScheduleUpdate) -> UpdateResource {
        UpdateResource {
            id: u.id.get().to_string(),
            kind: UPDATES,
            attributes: UpdateAttributes {
                id: u.id.get(),
                updateable_id: u.schedule_id.get(),
                updateable_type: "schedule",
                message: u.message.as_str().to_owned(),
                status: None,
                created: self.at(u.created_at),
                updated: self.at(u.created_at),
            },
            relationships: BTreeMap::new(),
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn template(&self, t: &IncidentTemplate) -> TemplateResource {
        TemplateResource {
            id: t.id.get().to_string(),
            kind: TEMPLATES,
            attributes: TemplateAttributes {
                id: t.id.get(),
                name: t.name.as_str().to_owned(),
                slug: t.slug.as_str().to_owned(),
                template: t.template.as_str().to_owned(),
                engine: "twig",
                created: self.at(t.created_at),
                updated: self.at(t.updated_at),
            },
            relationships: BTreeMap::new(),
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn schedule(&self, s: &Schedule, related: Related) -> ScheduleResource {
        let status = match status::maintenance_phase(s, self.now) {
            MaintenancePhase::Upcoming => labelled("Upcoming", 0),
            MaintenancePhase::InProgress => labelled("In progress", 1),
            MaintenancePhase::Complete => labelled("Complete", 2),
        };
        ScheduleResource {
            id: s.id.get().to_string(),
            kind: SCHEDULES,
            attributes: ScheduleAttributes {
                id: s.id.get(),
                name: s.name.as_str().to_owned(),
                message: s.message.as_str().to_owned(),
                status,
                scheduled: self.at(s.scheduled_at),
                completed: self.maybe_at(s.completed_at),
                published: self.at(s.created_at),
                created: self.at(s.created_at),
                updated: self.at(s.updated_at),
            },
            relationships: related.relationships,
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn metric(&self, m: &Metric) -> MetricResource {
        MetricResource {
            id: m.id.get().to_string(),
            kind: METRICS,
            attributes: MetricAttributes {
                id: m.id.get(),
                name: m.name.as_str().to_owned(),
                suffix: m.suffix.as_str().to_owned(),
                description: m.description.as_str().to_owned(),
                default_value: m.default_value.as_f64(),
                calc_type: i64::from(m.calc_type.code()),
                display_chart: m.display_chart,
                places: i64::from(m.places.get()),
                default_view: i64::from(m.default_view.code()),
                threshold: i64::from(m.threshold.minutes()),
                order: i64::from(m.order.get()),
                visible: i64::from(m.visible.code()),
                created: self.at(m.created_at),
                updated: self.at(m.updated_at),
            },
            relationships: BTreeMap::new(),
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn point(&self, p: &MetricPoint) -> PointResource {
        let value = p.value.as_f64();
        PointResource {
            id: p.id.get().to_string(),
            kind: POINTS,
            attributes: PointAttributes {
                id: p.id.get(),
                metric_id: p.metric_id.get(),
                calculated_value: value * p.counter as f64,
                value,
                counter: p.counter,
                created: self.at(p.created_at),
                updated: self.at(p.updated_at),
            },
            relationships: BTreeMap::new(),
            meta: Empty {},
            links: Empty {},
        }
    }

    pub(crate) fn subscriber(
        &self,
        s: &Subscriber,
        address: &crate::SubscriberAddress,
    ) -> SubscriberResource {
        SubscriberResource {
            id: s.id.get().to_string(),
            kind: SUBSCRIBERS,
            attributes: SubscriberAttributes {
                id: s.id.get(),
                // An SMS subscriber's number is never shown back: no address.
                email: address
                    .email()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
                global: s.global,
                verified: s.verified_at.is_some(),
                verified_at: self.maybe_at(s.verified_at),
                created: self.at(s.created_at),
                updated: self.at(s.updated_at),
            },
            relationships: BTreeMap::new(),
            meta: Empty {},
            links: Empty {},
        }
    }

    /// The `links` and `meta` of a page of a list (Cachet 3's simple paginator: the next
    /// page is linked when this one is full and more items exist).
    pub(crate) fn page_envelope<T>(&self, page: &Page<T>) -> (PageLinks, PageMeta) {
        let per_page = u64::from(page.request.per_page());
        let current = u64::from(page.request.page());
        let link = |n: u64| {
            crate::web::api_v1::query::page_link(self.cachet, &self.path, self.query.as_deref(), n)
        };
        let base = format!(
            "{}{}",
            self.cachet
                .config()
                .public_url
                .as_str()
                .trim_end_matches('/'),
            self.path
        );
        let shown = page.items.len() as u64;
        let from = (shown > 0).then(|| (current - 1) * per_page + 1);
        let more = current.saturating_mul(per_page) < page.total;
        (
            PageLinks {
                first: link(1),
                last: None,
                prev: (current > 1).then(|| link(current - 1)),
                next: more.then(|| link(current + 1)),
            },
            PageMeta {
                current_page: current,
                from,
                path: base.clone(),
                per_page,
                to: from.map(|f| f + shown - 1),
            },
        )
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn moments_read_as_carbon_writes_them() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let cases = [
            (TimeDelta::seconds(0), "1 second ago"),
            (TimeDelta::seconds(59), "59 seconds ago"),
            (TimeDelta::minutes(1), "1 minute ago"),
            (TimeDelta::hours(3), "3 hours ago"),
            (TimeDelta::days(2), "2 days ago"),
            (TimeDelta::days(14), "2 weeks ago"),
            (TimeDelta::days(65), "2 months ago"),
            (TimeDelta::days(800), "2 years ago"),
            (TimeDelta::hours(-5), "5 hours from now"),
        ];
        for (ago, want) in cases {
            assert_eq!(relative(now - ago, now), want, "{ago}");
        }
        let m = moment(Some(now), now, chrono_tz::Europe::Berlin);
        assert_eq!(m.string.as_deref(), Some("2026-05-01 14:00:00"));
        let none = moment(None, now, chrono_tz::UTC);
        assert!(none.human.is_none() && none.string.is_none());
    }

    #[test]
    fn component_statuses_map_both_ways_and_maintenance_is_refused() {
        for s in [
            ComponentStatus::Unknown,
            ComponentStatus::Operational,
            ComponentStatus::PerformanceIssues,
            ComponentStatus::PartialOutage,
            ComponentStatus::MajorOutage,
        ] {
            let value = component_status(s).value.unwrap_or(-1);
            assert_eq!(parse_component_status(value), Ok(s));
        }
        assert!(parse_component_status(6).is_err());
        assert!(parse_component_status(7).is_err());
    }

    #[test]
    fn uuids_are_recognised() {
        assert!(is_uuid("0b1e9a3c-1f2d-4c5b-8a9e-0123456789ab"));
        assert!(!is_uuid("0b1e9a3c1f2d4c5b8a9e0123456789ab"));
        assert!(!is_uuid("0b1e9a3c-1f2d-4c5b-8a9e-0123456789ag"));
    }
}
