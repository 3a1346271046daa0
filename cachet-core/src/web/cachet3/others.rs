//! `/api/ping`, `/api/version`, `/api/status`, schedules and their updates, metrics and
//! their points, and subscribers.

use http::StatusCode;
use serde_json::Value;

use super::components::{code_filter, include_components, name_matches, open_schedules, paginate};
use super::dto::*;
use super::incidents::parse_moment;
use super::present::{Included, Related, UPDATES};
use super::{Call, Collect, Fail, Handled, document, single};
use crate::model::*;
use crate::status::{self, EffectiveStatus};
use crate::store::{
    Direction, IncidentFilter, IncidentQuery, MetricPointFilter, MetricPointQuery, MetricPointSort,
    MetricQuery, MetricSort, PageRequest, ScheduleQuery, ScheduleSort, SubscriberQuery,
    SubscriberSort,
};
use crate::validate::*;
use crate::web::input::Input;

pub(crate) const SCHEDULE_FILTERS: &[&str] = &["name", "status", "meta"];
pub(crate) const SCHEDULE_SORTS: &[&str] = &["name", "id", "scheduled_at", "completed_at"];
pub(crate) const SCHEDULE_INCLUDES: &[&str] = &["components", "updates", "meta"];
pub(crate) const METRIC_FILTERS: &[&str] = &["name", "calc_type"];
pub(crate) const METRIC_SORTS: &[&str] = &["name", "order", "id"];
pub(crate) const POINT_SORTS: &[&str] = &["id", "value", "created_at"];
pub(crate) const SUBSCRIBER_SORTS: &[&str] = &["id"];

pub(super) async fn ping(_: Call<'_>) -> Handled {
    Ok(crate::web::response::json(
        StatusCode::OK,
        &PingDocument { data: "Pong!" },
    ))
}

pub(super) async fn version(_: Call<'_>) -> Handled {
    Ok(crate::web::response::json(
        StatusCode::OK,
        &VersionDocument {
            data: VersionData {
                version: env!("CARGO_PKG_VERSION"),
            },
        },
    ))
}

/// The page's status as Cachet 3 rolls it up: a major outage anywhere, else maintenance
/// anywhere, else operational when every component is and no incident is unresolved, else
/// a partial outage.
pub(super) async fn status(call: Call<'_>) -> Handled {
    let (_, components) = call.cachet.visible_components(&call.actor).await?;
    let open = open_schedules(&call).await?;
    let effective: Vec<EffectiveStatus> = components
        .iter()
        .map(|c| status::effective_status(c, &open, call.now))
        .collect();
    let unresolved = call
        .cachet
        .incidents(
            &call.actor,
            IncidentQuery::filtered(IncidentFilter {
                resolved: Some(false),
                ..IncidentFilter::default()
            })
            .paged(PageRequest::new(1, 1)),
        )
        .await?
        .total;
    let (status, message) = if effective.contains(&EffectiveStatus::MajorOutage) {
        (
            "major_outage",
            "Some systems are experiencing major issues.",
        )
    } else if effective.contains(&EffectiveStatus::UnderMaintenance) {
        ("under_maintenance", "Some systems are under maintenance.")
    } else if effective.iter().all(|s| *s == EffectiveStatus::Operational) && unresolved == 0 {
        ("operational", "All systems are operational.")
    } else {
        ("partial_outage", "Some systems are experiencing issues.")
    };
    Ok(crate::web::response::json(
        StatusCode::OK,
        &StatusDocument {
            data: StatusData { status, message },
        },
    ))
}

// ---- Schedules ----

async fn schedule_resources(
    call: &Call<'_>,
    schedules: &[Schedule],
    includes: &[&str],
    included: &mut Included,
) -> Result<Vec<ScheduleResource>, Fail> {
    let mut out = Vec::with_capacity(schedules.len());
    for s in schedules {
        let mut related = Related::default();
        if includes.contains(&"components") {
            let window = std::slice::from_ref(s);
            include_components(call, &s.components, window, &mut related, included).await?;
        }
        if includes.contains(&"updates") {
            let updates = call.cachet.schedule_updates(&call.actor, s.id).await?;
            related.many("updates", UPDATES, updates.iter().map(|u| u.id.get()));
            for u in &updates {
                included.add(UPDATES, u.id.get(), &call.schedule_update(u));
            }
        }
        out.push(call.schedule(s, related));
    }
    Ok(out)
}

pub(super) async fn schedules(call: Call<'_>) -> Handled {
    let filters = call.filters(SCHEDULE_FILTERS)?;
    let includes = call.includes(SCHEDULE_INCLUDES)?;
    let mut q = ScheduleQuery::all();
    q.sort = call.sort(
        &[
            ("name", ScheduleSort::Name),
            ("id", ScheduleSort::Id),
            ("scheduled_at", ScheduleSort::ScheduledAt),
            ("completed_at", ScheduleSort::CompletedAt),
        ],
        Some((ScheduleSort::Id, Direction::Asc)),
    )?;
    let phase = code_filter(
        filters.get("status"),
        "filter.status",
        ScheduleStatus::from_code,
    )?;
    let mut kept = Vec::new();
    for s in call.cachet.schedules(&call.actor, q).await?.items {
        let now_phase = match status::maintenance_phase(&s, call.now) {
            status::MaintenancePhase::Upcoming => ScheduleStatus::Upcoming,
            status::MaintenancePhase::InProgress => ScheduleStatus::InProgress,
            status::MaintenancePhase::Complete => ScheduleStatus::Complete,
        };
        // Schedules carry no metadata here: a metadata filter matches none.
        if name_matches(s.name.as_str(), filters.get("name"))
            && phase.is_none_or(|p| p == now_phase)
            && !filters.contains_key("meta")
        {
            kept.push(s);
        }
    }
    let page = paginate(kept, call.page()?);
    let mut included = Included::default();
    let data = schedule_resources(&call, &page.items, &includes, &mut included).await?;
    Ok(document(&ScheduleList::new(
        data,
        included.into_vec(),
        call.page_envelope(&page),
    )))
}

async fn one_schedule(call: &Call<'_>, s: &Schedule, includes: &[&str]) -> Handled {
    let mut included = Included::default();
    let data = schedule_resources(call, std::slice::from_ref(s), includes, &mut included).await?;
    let data = single(data)?;
    Ok(document(&ScheduleDocument::new(data, included.into_vec())))
}

pub(super) async fn schedule(call: Call<'_>) -> Handled {
    let includes = call.includes(SCHEDULE_INCLUDES)?;
    let s = call
        .cachet
        .schedule(&call.actor, ScheduleId(call.id(0)))
        .await?;
    one_schedule(&call, &s, &includes).await
}

/// `components`: ids, or Cachet 3's `[{"id", "status"}]` (the status is not stored: a
/// component is under maintenance while the window covers it).
fn schedule_components(input: &Input) -> Result<Option<Vec<ComponentId>>, ValidationError> {
    let Some(value) = input.get("components") else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(ValidationError::new(
            "components",
            Violation::Format {
                expected: "a list of {\"id\", \"status\"} or of ids",
            },
        ));
    };
    let mut out: Vec<ComponentId> = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let id = match item {
            Value::Object(o) => o.get("id"),
            other => Some(other),
        }
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
        .filter(|id| *id > 0)
        .ok_or_else(|| ValidationError::new(format!("components.{n}.id"), Violation::Required))?;
        if !out.iter().any(|c| c.get() == id) {
            out.push(ComponentId(id));
        }
    }
    Ok(Some(out))
}

fn moment(
    input: &Input,
    key: &'static str,
    call: &Call<'_>,
) -> Result<Option<Option<crate::clock::Timestamp>>, ValidationError> {
    match input.text(key)? {
        None => Ok(if input.has_null(key) {
            Some(None)
        } else {
            None
        }),
        Some(s) if s.trim().is_empty() => Ok(Some(None)),
        Some(s) => parse_moment(&s, call.tz).map(|t| Some(Some(t))).field(key),
    }
}

/// The stored status of a window from its times: Cachet 3 derives it the same way.
fn phase_of(
    scheduled_at: crate::clock::Timestamp,
    completed_at: Option<crate::clock::Timestamp>,
    now: crate::clock::Timestamp,
) -> ScheduleStatus {
    if scheduled_at > now {
        ScheduleStatus::Upcoming
    } else if completed_at.is_some_and(|c| c <= now) {
        ScheduleStatus::Complete
    } else {
        ScheduleStatus::InProgress
    }
}

pub(super) async fn create_schedule(call: Call<'_>) -> Handled {
    let input = &call.input;
    let mut c = Collect::default();
    let name = c.keep(call.parsed("name", Name::parse));
    let message = c.keep(call.parsed("message", Markdown::parse));
    let scheduled_at = c.keep(moment(input, "scheduled_at", &call)).flatten();
    let completed_at = c.keep(moment(input, "completed_at", &call)).flatten();
    let notify = c.keep(input.bool("notifications"));
    let components = c.keep(schedule_components(input));
    c.require("name", name.is_some());
    c.require("message", message.is_some());
    c.require("scheduled_at", scheduled_at.is_some());
    c.finish()?;
    let (Some(name), Some(message), Some(scheduled_at)) = (name, message, scheduled_at) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST, "Bad request."));
    };
    let new = NewSchedule {
        name,
        message,
        status: phase_of(scheduled_at, completed_at, call.now),
        scheduled_at,
        completed_at,
        components: components.unwrap_or_default(),
        notify: notify.unwrap_or(false),
        user_id: call.actor.user().map(|u| u.id),
    };
    let s = call.cachet.create_schedule(&call.actor, &new).await?;
    one_schedule(&call, &s, &[]).await
}

pub(super) async fn update_schedule(call: Call<'_>) -> Handled {
    let input = &call.input;
    let mut c = Collect::default();
    let name = c.keep(call.parsed("name", Name::parse));
    let message = c.keep(call.parsed("message", Markdown::parse));
    let scheduled_at = c.keep(moment(input, "scheduled_at", &call)).flatten();
    let completed_at = c.keep(moment(input, "completed_at", &call));
    let components = c.keep(schedule_components(input));
    c.finish()?;
    let id = ScheduleId(call.id(0));
    let before = call.cachet.schedule(&call.actor, id).await?;
    let start = scheduled_at.unwrap_or(before.scheduled_at);
    let end = completed_at.unwrap_or(before.completed_at);
    let patch = SchedulePatch {
        name,
        message,
        status: Some(phase_of(start, end, call.now)),
        scheduled_at,
        completed_at,
        components,
        notify: None,
        expected_status: None,
    };
    let s = call.cachet.update_schedule(&call.actor, id, &patch).await?;
    one_schedule(&call, &s, &[]).await
}

pub(super) async fn delete_schedule(call: Call<'_>) -> Handled {
    call.cachet
        .delete_schedule(&call.actor, ScheduleId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}

pub(super) async fn schedule_updates(call: Call<'_>) -> Handled {
    call.filters(&[])?;
    call.includes(&[])?;
    let direction = call
        .sort(
            &[("created_at", ScheduleSort::CreatedAt)],
            Some((ScheduleSort::CreatedAt, Direction::Asc)),
        )?
        .map_or(Direction::Asc, |(_, d)| d);
    let mut all = call
        .cachet
        .schedule_updates(&call.actor, ScheduleId(call.id(0)))
        .await?;
    all.sort_by_key(|u| (u.created_at, u.id.get()));
    if direction == Direction::Desc {
        all.reverse();
    }
    let page = paginate(all, call.page()?);
    let data = page.items.iter().map(|u| call.schedule_update(u)).collect();
    Ok(document(&UpdateList::new(
        data,
        Vec::new(),
        call.page_envelope(&page),
    )))
}

pub(super) async fn schedule_update(call: Call<'_>) -> Handled {
    let id = call.id(1);
    let u = call
        .cachet
        .schedule_updates(&call.actor, ScheduleId(call.id(0)))
        .await?
        .into_iter()
        .find(|u| u.id.get() == id)
        .ok_or(Fail::Status(StatusCode::NOT_FOUND, "Not found."))?;
    Ok(document(&UpdateDocument::new(
        call.schedule_update(&u),
        Vec::new(),
    )))
}

pub(super) async fn create_schedule_update(call: Call<'_>) -> Handled {
    let message = call
        .input
        .text("message")?
        .map(|m| Markdown::parse(&m))
        .transpose()
        .field("message")?
        .ok_or_else(|| Call::invalid("message", Violation::Required))?;
    let schedule = ScheduleId(call.id(0));
    // Cachet 3 lets an update end the window (`completed_at`).
    if let Some(end) = moment(&call.input, "completed_at", &call)? {
        let before = call.cachet.schedule(&call.actor, schedule).await?;
        let patch = SchedulePatch {
            status: Some(phase_of(before.scheduled_at, end, call.now)),
            completed_at: Some(end),
            ..SchedulePatch::default()
        };
        call.cachet
            .update_schedule(&call.actor, schedule, &patch)
            .await?;
    }
    let new = NewScheduleUpdate {
        message,
        user_id: call.actor.user().map(|u| u.id),
    };
    let u = call
        .cachet
        .create_schedule_update(&call.actor, schedule, &new)
        .await?;
    Ok(document(&UpdateDocument::new(
        call.schedule_update(&u),
        Vec::new(),
    )))
}

pub(super) async fn delete_schedule_update(call: Call<'_>) -> Handled {
    call.cachet
        .delete_schedule_update(
            &call.actor,
            ScheduleId(call.id(0)),
            ScheduleUpdateId(call.id(1)),
        )
        .await?;
    Ok(crate::web::response::no_content())
}

// ---- Metrics ----

pub(super) async fn metrics(call: Call<'_>) -> Handled {
    let filters = call.filters(METRIC_FILTERS)?;
    call.includes(&[])?;
    let mut q = MetricQuery::all();
    q.sort = call.sort(
        &[
            ("name", MetricSort::Name),
            ("order", MetricSort::Order),
            ("id", MetricSort::Id),
        ],
        Some((MetricSort::Id, Direction::Asc)),
    )?;
    let calc = code_filter(
        filters.get("calc_type"),
        "filter.calc_type",
        CalcType::from_code,
    )?;
    let items: Vec<Metric> = call
        .cachet
        .metrics(&call.actor, q)
        .await?
        .items
        .into_iter()
        .filter(|m| {
            name_matches(m.name.as_str(), filters.get("name"))
                && calc.is_none_or(|c| c == m.calc_type)
        })
        .collect();
    let page = paginate(items, call.page()?);
    let data = page.items.iter().map(|m| call.metric(m)).collect();
    Ok(document(&MetricList::new(
        data,
        Vec::new(),
        call.page_envelope(&page),
    )))
}

fn metric_document(call: &Call<'_>, m: &Metric) -> Handled {
    Ok(document(&MetricDocument::new(call.metric(m), Vec::new())))
}

pub(super) async fn metric(call: Call<'_>) -> Handled {
    let m = call
        .cachet
        .metric(&call.actor, MetricId(call.id(0)))
        .await?;
    metric_document(&call, &m)
}

/// A number: a JSON number or decimal text; `null` is absent.
fn value_field(input: &Input, key: &'static str) -> Result<Option<MetricValue>, ValidationError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => crate::web::api_v1::metrics::metric_value(v)
            .map(Some)
            .field(key),
    }
}

fn code<T>(
    input: &Input,
    key: &'static str,
    make: impl Fn(i64) -> Result<T, Violation>,
) -> Result<Option<T>, ValidationError> {
    input.int(key)?.map(make).transpose().field(key)
}

fn metric_fields(call: &Call<'_>, c: &mut Collect) -> MetricPatch {
    let input = &call.input;
    MetricPatch {
        name: c.keep(call.parsed("name", Name::parse)),
        suffix: c.keep(call.parsed("suffix", Text::parse)),
        description: c.keep(call.parsed("description", Markdown::parse)),
        default_value: c.keep(value_field(input, "default_value")),
        calc_type: c.keep(code(input, "calc_type", CalcType::from_code)),
        display_chart: c.keep(input.bool("display_chart")),
        places: c.keep(code(input, "places", Places::new)),
        default_view: c.keep(code(input, "default_view", MetricView::from_code)),
        threshold: c.keep(code(input, "threshold", Threshold::new)),
        order: c.keep(code(input, "order", Order::new)),
        visible: c.keep(code(input, "visible", Visibility::from_code)),
    }
}

pub(super) async fn create_metric(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let f = metric_fields(&call, &mut c);
    c.require("name", f.name.is_some());
    c.require("suffix", f.suffix.is_some());
    c.finish()?;
    let (Some(name), Some(suffix)) = (f.name, f.suffix) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST, "Bad request."));
    };
    let new = NewMetric {
        name,
        suffix,
        description: f.description.unwrap_or_default(),
        default_value: f.default_value.unwrap_or_default(),
        calc_type: f.calc_type.unwrap_or(CalcType::Sum),
        display_chart: f.display_chart.unwrap_or(true),
        places: f.places.unwrap_or_default(),
        default_view: f.default_view.unwrap_or(MetricView::Today),
        threshold: f.threshold.unwrap_or_default(),
        order: f.order.unwrap_or_default(),
        visible: f.visible.unwrap_or(Visibility::Public),
    };
    let m = call.cachet.create_metric(&call.actor, &new).await?;
    metric_document(&call, &m)
}

pub(super) async fn update_metric(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let patch = metric_fields(&call, &mut c);
    c.finish()?;
    let m = call
        .cachet
        .update_metric(&call.actor, MetricId(call.id(0)), &patch)
        .await?;
    metric_document(&call, &m)
}

pub(super) async fn delete_metric(call: Call<'_>) -> Handled {
    call.cachet
        .delete_metric(&call.actor, MetricId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}

pub(super) async fn points(call: Call<'_>) -> Handled {
    call.filters(&[])?;
    call.includes(&[])?;
    let q = MetricPointQuery {
        filter: MetricPointFilter::default(),
        sort: call.sort(
            &[
                ("id", MetricPointSort::Id),
                ("value", MetricPointSort::Value),
                ("created_at", MetricPointSort::CreatedAt),
            ],
            Some((MetricPointSort::Id, Direction::Asc)),
        )?,
        page: call.page()?,
    };
    let page = call
        .cachet
        .metric_points(&call.actor, MetricId(call.id(0)), q)
        .await?;
    let data = page.items.iter().map(|p| call.point(p)).collect();
    Ok(document(&PointList::new(
        data,
        Vec::new(),
        call.page_envelope(&page),
    )))
}

fn point_document(call: &Call<'_>, p: &MetricPoint) -> Handled {
    Ok(document(&PointDocument::new(call.point(p), Vec::new())))
}

pub(super) async fn point(call: Call<'_>) -> Handled {
    let id = call.id(1);
    let p = call
        .cachet
        .metric_points(&call.actor, MetricId(call.id(0)), MetricPointQuery::all())
        .await?
        .items
        .into_iter()
        .find(|p| p.id.get() == id)
        .ok_or(Fail::Status(StatusCode::NOT_FOUND, "Not found."))?;
    point_document(&call, &p)
}

/// `value` (required) and `timestamp` (a Unix time or a date; default now).
pub(super) async fn create_point(call: Call<'_>) -> Handled {
    let value = value_field(&call.input, "value")?
        .ok_or_else(|| Call::invalid("value", Violation::Required))?;
    let at = match call.input.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .ok_or_else(|| {
                    Call::invalid(
                        "timestamp",
                        Violation::Format {
                            expected: "a Unix time or a date",
                        },
                    )
                })?,
        ),
        Some(Value::String(s)) => Some(match s.trim().parse::<i64>() {
            Ok(secs) => chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| {
                Call::invalid(
                    "timestamp",
                    Violation::Format {
                        expected: "a Unix time or a date",
                    },
                )
            })?,
            Err(_) => parse_moment(s, call.tz).field("timestamp")?,
        }),
        Some(_) => {
            return Err(Call::invalid(
                "timestamp",
                Violation::Format {
                    expected: "a Unix time or a date",
                },
            ));
        }
    };
    let p = call
        .cachet
        .record_metric_point(&call.actor, MetricId(call.id(0)), value, at)
        .await?;
    point_document(&call, &p)
}

pub(super) async fn delete_point(call: Call<'_>) -> Handled {
    call.cachet
        .delete_metric_point(&call.actor, MetricId(call.id(0)), MetricPointId(call.id(1)))
        .await?;
    Ok(crate::web::response::no_content())
}

// ---- Subscribers ----

pub(super) async fn subscribers(call: Call<'_>) -> Handled {
    call.filters(&[])?;
    call.includes(&[])?;
    let direction = call
        .sort(
            &[("id", SubscriberSort::Id)],
            Some((SubscriberSort::Id, Direction::Asc)),
        )?
        .map_or(Direction::Asc, |(_, d)| d);
    let q = SubscriberQuery::all()
        .sorted(SubscriberSort::Id, direction)
        .paged(call.page()?);
    let page = call
        .cachet
        .subscribers_with_addresses(&call.actor, q)
        .await?;
    let data = page
        .items
        .iter()
        .map(|(s, email)| call.subscriber(s, email))
        .collect();
    Ok(document(&SubscriberList::new(
        data,
        Vec::new(),
        call.page_envelope(&page),
    )))
}

fn subscriber_document(
    call: &Call<'_>,
    s: &Subscriber,
    email: &crate::SubscriberAddress,
) -> Handled {
    Ok(document(&SubscriberDocument::new(
        call.subscriber(s, email),
        Vec::new(),
    )))
}

pub(super) async fn subscriber(call: Call<'_>) -> Handled {
    let (s, email) = call
        .cachet
        .subscriber_with_address(&call.actor, SubscriberId(call.id(0)))
        .await?;
    subscriber_document(&call, &s, &email)
}

/// `email` (required), `components` (ids; none is every component), `verified`.
pub(super) async fn create_subscriber(call: Call<'_>) -> Handled {
    let input = &call.input;
    let email = input
        .text("email")?
        .map(|e| Email::parse(e.trim()))
        .transpose()
        .field("email")?
        .ok_or_else(|| Call::invalid("email", Violation::Required))?;
    let components = schedule_components(input)?.unwrap_or_default();
    let verified = input.bool("verified")?.unwrap_or(false);
    let locale = call.cachet.settings().await?.app_locale;
    let s = call
        .cachet
        .add_subscriber(&call.actor, &email, components, verified, locale)
        .await?;
    subscriber_document(&call, &s, &crate::SubscriberAddress::Email(email))
}

pub(super) async fn delete_subscriber(call: Call<'_>) -> Handled {
    call.cachet
        .delete_subscriber(&call.actor, SubscriberId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}
