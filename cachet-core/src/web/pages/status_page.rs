//! The status page `/` (Cachet 2.4's sections, in Cachet's order): overall status
//! banner, about text, component groups (collapsed mode with `<details>`), stickied
//! incidents, upcoming and active maintenance, the incident timeline by day with paging.

use std::collections::HashMap;

use askama::Template;
use chrono::{Days, NaiveDate};

use super::{Chrome, IncidentView, PageError, StatusView, day_start, iso};
use crate::i18n::Msg;
use crate::model::*;
use crate::sanitize::{SafeHtml, render_markdown};
use crate::status::{self, EffectiveStatus, Indicator, MaintenancePhase};
use crate::store::*;
use crate::{Actor, Cachet};

/// A component row.
pub(crate) struct ComponentRow {
    pub href: String,
    pub name: String,
    /// The description rendered as sanitized Markdown (empty when there is none).
    pub description: SafeHtml,
    pub status: StatusView,
    /// The 90-day bars and the uptime over them as text.
    pub uptime: UptimeRow,
}

/// A component's bars on the status page.
pub(crate) struct UptimeRow {
    /// The bars (decorative: the figure is the text).
    pub bars: String,
    /// "99.9% uptime", or empty before the component has a day of data.
    pub figure: String,
}

/// A group and its components.
pub(crate) struct GroupView {
    pub name: String,
    pub status: StatusView,
    /// Rendered as `<details>` (collapsed or collapsed-unless-incident groups).
    pub collapsible: bool,
    /// Open by default.
    pub open: bool,
    pub components: Vec<ComponentRow>,
}

/// A maintenance window as shown.
pub(crate) struct MaintenanceView {
    pub href: String,
    pub name: String,
    pub phase: &'static str,
    pub start: String,
    pub start_iso: String,
    /// Localised end and its `datetime`.
    pub end: Option<(String, String)>,
    /// The names of the visible components it covers.
    pub components: Vec<String>,
    pub message: SafeHtml,
}

/// One day of the timeline.
pub(crate) struct DayView {
    pub heading: String,
    pub iso: String,
    pub incidents: Vec<IncidentView>,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    c: &'a Chrome,
    banner_class: &'static str,
    banner_status: StatusView,
    banner_text: &'static str,
    about: Option<SafeHtml>,
    groups: Vec<GroupView>,
    ungrouped: Vec<ComponentRow>,
    metrics: Option<String>,
    /// Unresolved incidents, each with its latest update only: the top of the page.
    active: Vec<IncidentView>,
    /// Maintenance in progress: the top of the page, after the active incidents.
    maintenance_now: Vec<MaintenanceView>,
    stickied: Vec<IncidentView>,
    /// Upcoming maintenance.
    maintenances: Vec<MaintenanceView>,
    range_label: String,
    days: Vec<DayView>,
    older_href: String,
    newer_href: Option<String>,
}

/// The validated query: `start_date` only; other parameters are ignored.
pub(crate) fn parse_start_date(query: Option<&str>) -> Result<Option<NaiveDate>, PageError> {
    let Some(q) = query else { return Ok(None) };
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(q).map_err(|_| PageError::BadRequest)?;
    let mut found = None;
    for (k, v) in pairs {
        if k != "start_date" {
            continue;
        }
        if found.is_some() {
            return Err(PageError::BadRequest);
        }
        let valid = v.len() == 10
            && v.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !valid {
            return Err(PageError::BadRequest);
        }
        let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| PageError::BadRequest)?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or(PageError::BadRequest)?;
        if d < epoch {
            return Err(PageError::BadRequest);
        }
        found = Some(d);
    }
    Ok(found)
}

pub(crate) fn maintenance_view(
    c: &Chrome,
    s: &Schedule,
    names: &HashMap<ComponentId, String>,
) -> MaintenanceView {
    MaintenanceView {
        href: c.href(&format!("/schedules/{}", s.id)),
        name: s.name.as_str().to_owned(),
        phase: super::phase_label(&c.cat, status::maintenance_phase(s, c.now)),
        start: c.time(s.scheduled_at),
        start_iso: iso(s.scheduled_at),
        end: s.completed_at.map(|e| (c.time(e), iso(e))),
        components: s
            .components
            .iter()
            .filter_map(|id| names.get(id).cloned())
            .collect(),
        message: render_markdown(&s.message),
    }
}

async fn incident_views(
    cachet: &Cachet,
    c: &Chrome,
    actor: &Actor,
    incidents: &[Incident],
) -> Result<Vec<IncidentView>, PageError> {
    // One read for every incident's updates, not one per incident.
    let updates = cachet.incident_updates_of(actor, incidents).await?;
    Ok(incidents
        .iter()
        .map(|i| {
            let of_this = updates.get(&i.id).map_or(&[][..], Vec::as_slice);
            super::incident_view(c, i, of_this)
        })
        .collect())
}

pub(crate) async fn render(
    cachet: &Cachet,
    settings: &Settings,
    c: &Chrome,
    query: Option<&str>,
) -> Result<String, PageError> {
    let start_date = parse_start_date(query)?;
    let actor = Actor::anonymous(None);
    let now = c.now;

    // Components and groups a visitor sees.
    let (groups, components) = cachet.visible_components(&actor).await?;
    let open_q = ScheduleQuery::filtered(ScheduleFilter {
        status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
        ..ScheduleFilter::default()
    });
    let open: Vec<Schedule> = cachet.schedules(&actor, open_q).await?.items;
    let effective: HashMap<ComponentId, EffectiveStatus> = components
        .iter()
        .map(|x| (x.id, status::effective_status(x, &open, now)))
        .collect();
    let eff = |id: ComponentId| {
        effective
            .get(&id)
            .copied()
            .unwrap_or(EffectiveStatus::Operational)
    };
    let unresolved: Vec<Incident> = cachet
        .incidents(
            &actor,
            IncidentQuery::filtered(IncidentFilter {
                resolved: Some(false),
                ..IncidentFilter::default()
            }),
        )
        .await?
        .items;
    let indicator = status::overall(effective.values().copied(), &unresolved);
    let (banner_text, banner_class, banner_eff) = match indicator {
        Indicator::None => (Msg::OverallNone, "i-none", EffectiveStatus::Operational),
        Indicator::Maintenance => (
            Msg::OverallMaintenance,
            "i-maintenance",
            EffectiveStatus::UnderMaintenance,
        ),
        Indicator::Minor => (
            Msg::OverallMinor,
            "i-minor",
            EffectiveStatus::PerformanceIssues,
        ),
        Indicator::Major => (Msg::OverallMajor, "i-major", EffectiveStatus::PartialOutage),
        Indicator::Critical => (
            Msg::OverallCritical,
            "i-critical",
            EffectiveStatus::MajorOutage,
        ),
    };

    // The 90-day bars of every visible component, read together.
    let mut histories: HashMap<ComponentId, Vec<crate::history::Day>> =
        crate::history::components_history(cachet, &components, now)
            .await?
            .into_iter()
            .collect();
    let mut uptime = |id: ComponentId| {
        let days = histories.remove(&id).unwrap_or_default();
        UptimeRow {
            bars: super::history_bars(c, &days, super::Bars::Decorative),
            figure: crate::history::overall_uptime(&days).map_or_else(String::new, |u| {
                c.cat
                    .tf(Msg::UptimePercent, &[&c.cat.decimal(&u.display())])
            }),
        }
    };
    let mut row = |x: &Component| ComponentRow {
        href: c.href(&format!("/components/{}", x.id)),
        name: x.name.as_str().to_owned(),
        description: render_markdown(&x.description.to_markdown()),
        status: super::status_view(&c.cat, eff(x.id)),
        uptime: uptime(x.id),
    };
    let group_views: Vec<GroupView> = groups
        .iter()
        .filter_map(|g| {
            let members: Vec<&Component> = components
                .iter()
                .filter(|x| x.group_id == Some(g.id))
                .collect();
            if members.is_empty() {
                return None;
            }
            let worst = status::worst(members.iter().map(|x| eff(x.id)));
            let troubled = members.iter().any(|x| {
                !matches!(
                    eff(x.id),
                    EffectiveStatus::Operational | EffectiveStatus::Unknown
                )
            });
            let (collapsible, open) = match g.collapsed {
                Collapsed::Expanded => (false, true),
                Collapsed::Collapsed => (true, false),
                Collapsed::CollapsedUnlessIncident => (true, troubled),
            };
            Some(GroupView {
                name: g.name.as_str().to_owned(),
                status: super::status_view(&c.cat, worst),
                collapsible,
                open,
                components: members.into_iter().map(&mut row).collect(),
            })
        })
        .collect();
    let ungrouped: Vec<ComponentRow> = components
        .iter()
        .filter(|x| x.group_id.is_none())
        .map(&mut row)
        .collect();

    // Stickied incidents.
    let stickied_q = IncidentQuery::filtered(IncidentFilter {
        stickied: Some(true),
        ..IncidentFilter::default()
    })
    .paged(PageRequest::new(1, 50));
    let stickied_list = cachet.incidents(&actor, stickied_q).await?.items;
    // What is happening now heads the page, under the overall status (as on Statuspage): the
    // unresolved incidents, newest first, each with its latest update; a pinned incident that
    // is still open shows there and is not repeated among the pinned ones.
    let mut newest_first: Vec<Incident> = unresolved.clone();
    newest_first.sort_by_key(|i| std::cmp::Reverse((i.occurred_at, i.id)));
    let mut active = incident_views(cachet, c, &actor, &newest_first).await?;
    for view in &mut active {
        view.updates.truncate(1);
    }
    let stickied_list: Vec<Incident> = stickied_list
        .into_iter()
        .filter(|i| !unresolved.iter().any(|u| u.id == i.id))
        .collect();
    let stickied = incident_views(cachet, c, &actor, &stickied_list).await?;

    // Upcoming and active maintenance: in progress first, then by start.
    let names: HashMap<ComponentId, String> = components
        .iter()
        .map(|x| (x.id, x.name.as_str().to_owned()))
        .collect();
    let mut windows: Vec<&Schedule> = open
        .iter()
        .filter(|s| status::maintenance_phase(s, now) != MaintenancePhase::Complete)
        .collect();
    windows.sort_by_key(|s| {
        (
            status::maintenance_phase(s, now) != MaintenancePhase::InProgress,
            s.scheduled_at,
            s.id,
        )
    });
    let (now_windows, upcoming): (Vec<&Schedule>, Vec<&Schedule>) = windows
        .into_iter()
        .partition(|s| status::maintenance_phase(s, now) == MaintenancePhase::InProgress);
    let maintenance_now = now_windows
        .into_iter()
        .map(|s| maintenance_view(c, s, &names))
        .collect();
    let maintenances = upcoming
        .into_iter()
        .map(|s| maintenance_view(c, s, &names))
        .collect();

    // The timeline.
    let today = c.local_date(now);
    let end_day = start_date.map_or(today, |d| d.min(today));
    let span = u64::from(settings.app_incident_days.max(1));
    let first_day = end_day
        .checked_sub_days(Days::new(span - 1))
        .unwrap_or(end_day);
    let after_end = end_day.checked_add_days(Days::new(1)).unwrap_or(end_day);
    let q = IncidentQuery::filtered(IncidentFilter {
        occurred_since: Some(day_start(first_day, c.tz)),
        occurred_before: Some(day_start(after_end, c.tz)),
        ..IncidentFilter::default()
    });
    let in_range = cachet.incidents(&actor, q).await?.items;
    let mut by_day: HashMap<NaiveDate, Vec<Incident>> = HashMap::new();
    for i in in_range {
        by_day
            .entry(c.local_date(i.occurred_at))
            .or_default()
            .push(i);
    }
    let mut days = Vec::new();
    let mut day = end_day;
    loop {
        let list = by_day.remove(&day).unwrap_or_default();
        if !(list.is_empty() && settings.only_disrupted_days) {
            days.push(DayView {
                heading: c.date(day),
                iso: day.format("%Y-%m-%d").to_string(),
                incidents: incident_views(cachet, c, &actor, &list).await?,
            });
        }
        if day <= first_day {
            break;
        }
        match day.pred_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    let page_link = |d: NaiveDate| {
        if d >= today {
            c.href("/")
        } else {
            c.href(&format!("/?start_date={}", d.format("%Y-%m-%d")))
        }
    };
    let older_href = page_link(first_day.pred_opt().unwrap_or(first_day));
    let newer_href = (end_day < today).then(|| {
        page_link(
            end_day
                .checked_add_days(Days::new(span))
                .unwrap_or(today)
                .min(today),
        )
    });
    let range_label = c
        .cat
        .tf(Msg::DateRange, &[&c.date(first_day), &c.date(end_day)]);

    let about = (!settings.app_about.is_empty())
        .then(|| render_markdown(&settings.app_about))
        .filter(|h| !h.is_empty());

    let page = StatusPage {
        c,
        banner_class,
        banner_status: super::status_view(&c.cat, banner_eff),
        banner_text: c.t(banner_text),
        about,
        groups: group_views,
        ungrouped,
        metrics: metrics_html(cachet, settings, c).await?,
        active,
        maintenance_now,
        stickied,
        maintenances,
        range_label,
        days,
        older_href,
        newer_href,
    };
    Ok(page.render()?)
}

/// The charts of the displayable metrics (public, `display_chart`), when `display_graphs`
/// is on: server-rendered SVG from [`crate::web::charts::render_svg`], every view of every
/// metric, with a range switcher that needs no JavaScript.
///
/// # The switcher
///
/// Each chart is a `<figure>` holding one radio button per view (visually hidden, still
/// focusable and announced with the metric's name), their labels as the visible buttons,
/// and one panel per view. The stylesheet shows the panel whose radio is checked
/// (`.pick-week:checked ~ .panel-week`), so a click or the arrow keys switch views in the
/// browser, with nothing per visitor in the cached page and no variant per view: one
/// render, one snapshot, whatever a visitor picks. The metric's `default_view` is checked
/// in the markup. Without the stylesheet all four charts show, one after the other.
async fn metrics_html(
    cachet: &Cachet,
    settings: &Settings,
    c: &Chrome,
) -> Result<Option<String>, PageError> {
    use crate::sanitize::escape_text;
    use crate::web::charts::{metric_all_series, render_svg, view_name, view_words};
    use std::fmt::Write as _;
    if !settings.display_graphs {
        return Ok(None);
    }
    let actor = Actor::anonymous(None);
    let q = MetricQuery::filtered(MetricFilter {
        visible: Some(Visibility::Public),
    });
    let metrics: Vec<Metric> = cachet
        .metrics(&actor, q)
        .await?
        .items
        .into_iter()
        .filter(|m| m.display_chart && m.visible == Visibility::Public)
        .collect();
    if metrics.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for metric in metrics {
        let id = metric.id.0;
        let name = escape_text(metric.name.as_str());
        let all = metric_all_series(cachet, &metric, c.now, c.tz).await?;
        let description = render_markdown(&metric.description);
        let description = if description.is_empty() {
            String::new()
        } else {
            format!("<div class=\"chart-desc markdown\">{description}</div>")
        };
        let _ = write!(
            out,
            "<figure class=\"chart\" id=\"metric-{id}\" aria-labelledby=\"metric-{id}-name\"><figcaption><h3 id=\"metric-{id}-name\">{name}</h3>{description}</figcaption>"
        );
        for series in &all {
            let v = view_name(series.view);
            let checked = if series.view == metric.default_view {
                " checked"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<input type=\"radio\" class=\"chart-pick pick-{v} visually-hidden\" name=\"metric-{id}-range\" id=\"metric-{id}-{v}\" value=\"{v}\" aria-describedby=\"metric-{id}-ranges\"{checked}>"
            );
        }
        let _ = write!(
            out,
            "<p class=\"chart-ranges\"><span class=\"visually-hidden\" id=\"metric-{id}-ranges\">{}</span>",
            escape_text(&c.cat.tf(Msg::ChartRange, &[metric.name.as_str()]))
        );
        for series in &all {
            let v = view_name(series.view);
            let (_, short) = view_words(&c.cat, series.view);
            let _ = write!(
                out,
                "<label for=\"metric-{id}-{v}\" class=\"range-{v}\"><span class=\"visually-hidden\">{name}: </span>{}</label>",
                escape_text(short),
            );
        }
        out.push_str("</p>");
        for series in &all {
            let _ = write!(
                out,
                "<div class=\"chart-panel panel-{}\">{}</div>",
                view_name(series.view),
                render_svg(series, &metric, &c.cat),
            );
        }
        out.push_str("</figure>");
    }
    Ok(Some(out))
}
