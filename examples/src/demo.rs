//! The sample page `cachet serve --demo` seeds: four groups, eleven components with varied
//! statuses and tags (one disabled), an unresolved incident with updates, a resolved one, an
//! upcoming and an in-progress maintenance window, and two metrics with a day of points.
//!
//! Everything is written through the facade as [`Actor::operator`], so it is validated and
//! audited like any other write. Seeding happens only while there are no components, so a
//! page someone has started to fill is never touched, and it never creates users.

use cachet_core::model::{
    AffectedComponent, CalcType, Collapsed, ComponentId, ComponentStatus, GroupId, GroupVisibility,
    IncidentStatus, NewComponent, NewComponentGroup, NewIncident, NewIncidentUpdate, NewMetric,
    NewSchedule, ScheduleStatus, Tag,
};
use cachet_core::store::{ComponentQuery, PageRequest};
use cachet_core::validate::{
    HttpUrl, Markdown, MetricValue, Name, Order, Places, Slug, Text, ViolationExt as _,
};
use cachet_core::{Actor, Cachet, Result};
use chrono::TimeDelta;

/// What [`seed`] created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Component groups.
    pub groups: usize,
    /// Components.
    pub components: usize,
    /// Incidents.
    pub incidents: usize,
    /// Maintenance schedules.
    pub schedules: usize,
    /// Metrics.
    pub metrics: usize,
    /// Metric points recorded.
    pub points: usize,
}

fn name(s: &str) -> Result<Name> {
    Ok(Name::parse(s).field("name")?)
}

fn markdown(s: &str) -> Result<Markdown> {
    Ok(Markdown::parse(s).field("message")?)
}

fn tag(slug: &str, label: &str) -> Result<Tag> {
    Ok(Tag {
        slug: Slug::parse(slug).field("tags")?,
        name: name(label)?,
    })
}

/// One component of the sample page.
struct Sample {
    name: &'static str,
    description: &'static str,
    status: ComponentStatus,
    tags: &'static [(&'static str, &'static str)],
    link: Option<&'static str>,
    enabled: bool,
}

const fn c(
    name: &'static str,
    description: &'static str,
    status: ComponentStatus,
    tags: &'static [(&'static str, &'static str)],
) -> Sample {
    Sample {
        name,
        description,
        status,
        tags,
        link: None,
        enabled: true,
    }
}

/// Whether the page has no components yet (disabled ones count).
///
/// # Errors
///
/// [`cachet_core::Error::Store`].
pub async fn is_empty(cachet: &Cachet) -> Result<bool> {
    let q = ComponentQuery::all().paged(PageRequest::new(1, 1));
    Ok(cachet.components(&Actor::operator(), q).await?.total == 0)
}

/// Seeds the sample page if there are no components yet; `None` when there were.
///
/// # Errors
///
/// Any facade error; what was written before it stays (every write is its own transaction).
pub async fn seed(cachet: &Cachet) -> Result<Option<Seeded>> {
    if !is_empty(cachet).await? {
        return Ok(None);
    }
    let op = Actor::operator();
    let now = cachet.now();
    let mut seeded = Seeded::default();

    use ComponentStatus::{MajorOutage, Operational, PartialOutage, PerformanceIssues};
    let groups: [(&str, Collapsed, &[Sample]); 4] = [
        (
            "Core Platform",
            Collapsed::Expanded,
            &[
                Sample {
                    link: Some("https://www.example.com/"),
                    ..c(
                        "Website",
                        "The marketing site and documentation.",
                        Operational,
                        &[("frontend", "Frontend")],
                    )
                },
                c(
                    "API",
                    "The public REST API at api.example.com.",
                    Operational,
                    &[("api", "API"), ("public", "Public")],
                ),
                c(
                    "Dashboard",
                    "The web application customers sign in to.",
                    Operational,
                    &[("frontend", "Frontend")],
                ),
                c(
                    "Authentication",
                    "Sign-in, single sign-on and two-factor verification.",
                    Operational,
                    &[("security", "Security")],
                ),
            ],
        ),
        (
            "Data",
            Collapsed::Expanded,
            &[
                c(
                    "Database",
                    "The primary PostgreSQL cluster.",
                    Operational,
                    &[("storage", "Storage")],
                ),
                c(
                    "Search",
                    "Full-text search across projects.",
                    Operational,
                    &[("storage", "Storage")],
                ),
                c(
                    "File Storage",
                    "Uploads and attachments.",
                    PerformanceIssues,
                    &[("storage", "Storage")],
                ),
            ],
        ),
        (
            "Notifications",
            Collapsed::CollapsedUnlessIncident,
            &[
                c(
                    "Email Delivery",
                    "Transactional email.",
                    Operational,
                    &[("messaging", "Messaging")],
                ),
                c(
                    "Webhooks",
                    "Outgoing webhook deliveries.",
                    Operational,
                    &[("messaging", "Messaging"), ("api", "API")],
                ),
            ],
        ),
        (
            "Third-party Services",
            Collapsed::Collapsed,
            &[
                c(
                    "SMS Gateway",
                    "Text messages through our SMS provider.",
                    MajorOutage,
                    &[("messaging", "Messaging"), ("vendor", "Vendor")],
                ),
                Sample {
                    enabled: false,
                    ..c(
                        "Legacy API v0",
                        "Retired; kept for the last integrations.",
                        Operational,
                        &[("api", "API")],
                    )
                },
            ],
        ),
    ];

    let mut ids: Vec<(&str, ComponentId)> = Vec::new();
    for (gi, (group_name, collapsed, samples)) in groups.iter().enumerate() {
        let group = cachet
            .create_group(
                &op,
                &NewComponentGroup::named(name(group_name)?)
                    .with_order(Order::new(gi as i64 + 1).field("order")?)
                    .with_collapsed(*collapsed)
                    .with_visible(GroupVisibility::Public),
            )
            .await?;
        seeded.groups += 1;
        for (ci, s) in samples.iter().enumerate() {
            let component = component(s, group.id, ci)?;
            let created = cachet.create_component(&op, &component).await?;
            ids.push((s.name, created.id));
            seeded.components += 1;
        }
    }
    let id = |n: &str| ids.iter().find(|(name, _)| *name == n).map(|(_, id)| *id);

    // An unresolved incident that puts the API in a partial outage, with two updates.
    let affected: Vec<AffectedComponent> = id("API")
        .map(|component_id| AffectedComponent {
            component_id,
            status: PartialOutage,
        })
        .into_iter()
        .collect();
    let open = cachet
        .create_incident(
            &op,
            &NewIncident::new(
                name("Elevated API error rates")?,
                IncidentStatus::Investigating,
                markdown(
                    "Some API requests are failing with **503** errors. We are investigating.",
                )?,
                now - TimeDelta::minutes(45),
            )
            .with_components(affected.clone())
            .with_apply_component_status(true),
        )
        .await?;
    seeded.incidents += 1;
    for (status, message) in [
        (
            IncidentStatus::Identified,
            "We have identified a misbehaving load balancer node in one region and are draining it.",
        ),
        (
            IncidentStatus::Watching,
            "Traffic has been moved to healthy nodes and error rates are falling. We are monitoring.",
        ),
    ] {
        cachet
            .create_incident_update(
                &op,
                open.id,
                &NewIncidentUpdate::new(status, markdown(message)?),
            )
            .await?;
    }

    // A resolved incident from yesterday.
    let resolved_components: Vec<AffectedComponent> = id("Email Delivery")
        .map(|component_id| AffectedComponent {
            component_id,
            status: PerformanceIssues,
        })
        .into_iter()
        .collect();
    let resolved = cachet
        .create_incident(
            &op,
            &NewIncident::new(
                name("Delayed email notifications")?,
                IncidentStatus::Investigating,
                markdown("Emails are arriving up to 20 minutes late.")?,
                now - TimeDelta::hours(26),
            )
            .with_components(resolved_components),
        )
        .await?;
    seeded.incidents += 1;
    cachet
        .create_incident_update(
            &op,
            resolved.id,
            &NewIncidentUpdate::new(
                IncidentStatus::Fixed,
                markdown(
                    "A stuck mail queue worker was restarted and the backlog has been delivered. \
                     All emails are flowing normally again.",
                )?,
            ),
        )
        .await?;

    // Maintenance: one running now, one next week.
    let schedules = [
        (
            "Search index rebuild",
            "We are rebuilding the search index. Results may be incomplete until it finishes.",
            ScheduleStatus::InProgress,
            now - TimeDelta::minutes(30),
            now + TimeDelta::minutes(90),
            vec!["Search"],
        ),
        (
            "Database upgrade",
            "We are upgrading the primary database cluster to a new major version. \
             The dashboard will be read-only for up to 15 minutes.",
            ScheduleStatus::Upcoming,
            now + TimeDelta::days(6),
            now + TimeDelta::days(6) + TimeDelta::hours(2),
            vec!["Database", "Dashboard"],
        ),
    ];
    for (title, message, status, start, end, covered) in schedules {
        cachet
            .create_schedule(
                &op,
                &NewSchedule::new(name(title)?, markdown(message)?, status, start)
                    .with_completed_at(Some(end))
                    .with_components(covered.iter().filter_map(|n| id(n)).collect()),
            )
            .await?;
        seeded.schedules += 1;
    }

    // Two metrics with a point every 30 minutes over the last day.
    let metrics = [
        (
            "API response time",
            "ms",
            "Median latency of API requests.",
            CalcType::Average,
            0,
        ),
        (
            "Requests per second",
            "req/s",
            "Requests served by the API.",
            CalcType::Average,
            1,
        ),
    ];
    for (mi, (title, suffix, description, calc, places)) in metrics.into_iter().enumerate() {
        let metric = cachet
            .create_metric(
                &op,
                &NewMetric::named(name(title)?)
                    .with_suffix(Text::parse(suffix).field("suffix")?)
                    .with_description(markdown(description)?)
                    .with_calc_type(calc)
                    .with_places(Places::new(places).field("places")?)
                    .with_order(Order::new(mi as i64 + 1).field("order")?),
            )
            .await?;
        seeded.metrics += 1;
        for step in 0..48_i64 {
            let at = now - TimeDelta::minutes(30 * (48 - step));
            let millis = sample_value(mi, step);
            let value = MetricValue::from_millis(millis).field("value")?;
            cachet
                .record_metric_point(&op, metric.id, value, Some(at))
                .await?;
            seeded.points += 1;
        }
    }
    Ok(Some(seeded))
}

fn component(s: &Sample, group: GroupId, index: usize) -> Result<NewComponent> {
    Ok(NewComponent::named(name(s.name)?, s.status)
        .with_description(Text::parse(s.description).field("description")?)
        .with_link(
            s.link
                .map(|l| HttpUrl::parse(l).field("link"))
                .transpose()?,
        )
        .with_order(Order::new(index as i64 + 1).field("order")?)
        .with_group_id(Some(group))
        .with_enabled(s.enabled)
        .with_tags(
            s.tags
                .iter()
                .map(|(slug, label)| tag(slug, label))
                .collect::<Result<_>>()?,
        ))
}

/// A plausible, deterministic value in thousandths: a daily wave plus some jitter, with a
/// bump in the last hour (matching the open incident) for the latency metric.
fn sample_value(metric: usize, step: i64) -> i64 {
    let jitter = (step * 7919 + metric as i64 * 104_729) % 23;
    let wave = ((step as f64 / 48.0) * std::f64::consts::TAU).sin();
    let value = if metric == 0 {
        let base = 140.0 + 35.0 * wave + jitter as f64;
        if step >= 46 { base + 180.0 } else { base }
    } else {
        420.0 + 160.0 * wave + 3.0 * jitter as f64
    };
    (value * 1000.0).round() as i64
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Arc;

    use cachet_core::Config;
    use cachet_core::secrets::{Keyring, SecretKey};
    use cachet_core::store::memory::MemoryStore;
    use cachet_core::store::{
        AuditQuery, IncidentQuery, MetricPointQuery, MetricQuery, ScheduleQuery,
    };
    use cachet_core::validate::HttpUrl;

    use super::*;

    fn cachet() -> Cachet {
        let store = Arc::new(MemoryStore::new());
        let keyring = Keyring::new(1, SecretKey::generate().unwrap());
        let url = HttpUrl::parse("http://127.0.0.1:8000").unwrap();
        Cachet::new(store, keyring, Config::new(url)).unwrap()
    }

    #[tokio::test]
    async fn seeds_a_realistic_page_once() {
        let cachet = cachet();
        let op = Actor::operator();
        let seeded = seed(&cachet).await.unwrap().unwrap();
        assert_eq!(seeded.groups, 4);
        assert_eq!(seeded.components, 11);
        assert_eq!(seeded.incidents, 2);
        assert_eq!(seeded.schedules, 2);
        assert_eq!(seeded.metrics, 2);
        assert_eq!(seeded.points, 96);

        let components = cachet.components(&op, ComponentQuery::all()).await.unwrap();
        assert_eq!(components.total, 11);
        let statuses: std::collections::BTreeSet<u8> =
            components.items.iter().map(|c| c.status.code()).collect();
        assert!(statuses.len() >= 4, "{statuses:?}");
        assert!(components.items.iter().any(|c| !c.enabled));
        assert!(components.items.iter().all(|c| !c.tags.is_empty()));
        let api = components
            .items
            .iter()
            .find(|c| c.name.as_str() == "API")
            .unwrap();
        assert_eq!(api.status, ComponentStatus::PartialOutage);

        let incidents = cachet.incidents(&op, IncidentQuery::all()).await.unwrap();
        assert_eq!(incidents.total, 2);
        assert!(incidents.items.iter().any(|i| i.status.is_resolved()));
        assert!(incidents.items.iter().any(|i| !i.status.is_resolved()));

        let schedules = cachet.schedules(&op, ScheduleQuery::all()).await.unwrap();
        let kinds: Vec<ScheduleStatus> = schedules.items.iter().map(|s| s.status).collect();
        assert!(kinds.contains(&ScheduleStatus::InProgress));
        assert!(kinds.contains(&ScheduleStatus::Upcoming));
        assert!(schedules.items.iter().all(|s| !s.components.is_empty()));

        let metrics = cachet.metrics(&op, MetricQuery::all()).await.unwrap();
        assert_eq!(metrics.total, 2);
        let points = cachet
            .metric_points(&op, metrics.items[0].id, MetricPointQuery::all())
            .await
            .unwrap();
        assert!(points.total >= 40, "{}", points.total);

        // Audited as the operator, and no users.
        let audit = cachet.audit_log(&op, AuditQuery::all()).await.unwrap();
        assert!(audit.total >= 11);
        assert!(audit.items.iter().all(|e| e.actor == "operator"));
        assert!(cachet.setup_open().await.unwrap());

        // A second run leaves the page alone.
        assert_eq!(seed(&cachet).await.unwrap(), None);
        assert_eq!(
            cachet
                .components(&op, ComponentQuery::all())
                .await
                .unwrap()
                .total,
            11
        );
    }
}
