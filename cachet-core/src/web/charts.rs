//! Metric charts: the series of a metric per view, Cachet's chart data JSON
//! (`GET /metrics/{id}`) and server-rendered SVG charts.
//!
//! # Views and buckets (Cachet 2.4's `MetricRepository`)
//!
//! | view (`filter`) | buckets | key |
//! |---|---|---|
//! | `last_hour` | 61 minutes, now's minute and the 60 before | `YYYY-MM-DD HH:MM` |
//! | `today` (last 12 hours) | 13 hours, now's hour and the 12 before | `YYYY-MM-DD HH:00` |
//! | `week` | 8 days, today and the 7 before | `YYYY-MM-DD` |
//! | `month` | today and as many days before as the current month has | `YYYY-MM-DD` |
//!
//! Buckets are minutes, hours and days of the **site's time zone** (`app_timezone`), as
//! Cachet formats its keys in the application's zone. A bucket of a sum metric holds
//! `Σ value × counter`, of an average metric the mean of its points' values (each point
//! counted once, Cachet's `avg(value)`). A bucket without points holds the metric's
//! `default_value`, except in the last hour's most recent `threshold` minutes, which Cachet
//! leaves out (their points may still be merging). Values are rounded half away from zero
//! to the metric's `places`. Only the points inside the window are fetched.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::Bytes;
use chrono::{Datelike, Days, NaiveDate, TimeDelta, Timelike};
use chrono_tz::Tz;
use http::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::clock::Timestamp;
use crate::history::day_start;
use crate::i18n::{Catalog, Msg};
use crate::model::{CalcType, Metric, MetricId, MetricPoint, MetricView};
use crate::sanitize::escape_xml;
use crate::store::{Direction, MetricPointFilter, MetricPointQuery, MetricPointSort, PageRequest};
use crate::{Actor, Cachet, Error};

/// A value rounded to a number of decimal places: `scaled / 10^places`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rounded {
    /// The value times `10^places`.
    pub scaled: i128,
    /// Decimal places, `0..=4`.
    pub places: u8,
}

impl Rounded {
    /// Rounds `num / den` thousandths (a mean of [`crate::validate::MetricValue`] millis when
    /// `den` is the count) to `places`, half away from zero. `den` must be positive (else 0).
    #[must_use]
    pub fn from_millis_ratio(num: i128, den: i128, places: u8) -> Self {
        let places = places.min(4);
        if den <= 0 {
            return Self { scaled: 0, places };
        }
        let scale = 10_i128.pow(u32::from(places));
        let n = num.saturating_mul(scale);
        let d = den.saturating_mul(1000);
        let q = n / d;
        let r = n % d;
        let scaled = if r.saturating_mul(2).abs() >= d {
            q + n.signum()
        } else {
            q
        };
        Self { scaled, places }
    }

    /// The value as a float (for JSON).
    #[must_use]
    pub fn as_f64(self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let s = self.scaled as f64;
        s / f64::from(10_u32.pow(u32::from(self.places)))
    }
}

impl std::fmt::Display for Rounded {
    /// Exactly `places` decimals: `12.50`, `-0.3`, `7`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scale = 10_i128.pow(u32::from(self.places));
        let sign = if self.scaled < 0 { "-" } else { "" };
        let abs = self.scaled.unsigned_abs();
        let scale_u = scale.unsigned_abs();
        if self.places == 0 {
            write!(f, "{sign}{abs}")
        } else {
            write!(
                f,
                "{sign}{}.{:0width$}",
                abs / scale_u,
                abs % scale_u,
                width = usize::from(self.places)
            )
        }
    }
}

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Cachet's key: `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:00` or `YYYY-MM-DD`.
    pub key: String,
    /// The bucket's first instant.
    pub start: Timestamp,
    /// The value; `None` for the last hour's recent empty minutes Cachet leaves out.
    pub value: Option<Rounded>,
    /// How many points fell into the bucket.
    pub points: usize,
}

/// A metric's chart series for one view, oldest bucket first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The view.
    pub view: MetricView,
    /// The buckets, oldest first.
    pub buckets: Vec<Bucket>,
}

impl Series {
    /// The buckets that hold a value.
    pub fn values(&self) -> impl Iterator<Item = (&Bucket, Rounded)> {
        self.buckets.iter().filter_map(|b| b.value.map(|v| (b, v)))
    }
}

/// Cachet's `filter` name of a view.
#[must_use]
pub fn view_name(v: MetricView) -> &'static str {
    match v {
        MetricView::LastHour => "last_hour",
        MetricView::Today => "today",
        MetricView::Week => "week",
        MetricView::Month => "month",
    }
}

/// A view from Cachet's `filter` name.
#[must_use]
pub fn parse_view(s: &str) -> Option<MetricView> {
    match s {
        "last_hour" => Some(MetricView::LastHour),
        "today" => Some(MetricView::Today),
        "week" => Some(MetricView::Week),
        "month" => Some(MetricView::Month),
        _ => None,
    }
}

/// Floors an instant to its local minute in `tz` (zone offsets are whole minutes).
fn floor_minute(t: Timestamp, tz: Tz) -> Timestamp {
    let local = t.with_timezone(&tz);
    t - TimeDelta::seconds(i64::from(local.second()))
        - TimeDelta::nanoseconds(i64::from(local.nanosecond()))
}

/// Floors an instant to its local hour in `tz`.
fn floor_hour(t: Timestamp, tz: Tz) -> Timestamp {
    let local = t.with_timezone(&tz);
    floor_minute(t, tz) - TimeDelta::minutes(i64::from(local.minute()))
}

/// The bucket key of an instant for a view.
#[must_use]
pub fn bucket_key(t: Timestamp, view: MetricView, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    match view {
        MetricView::LastHour => local.format("%Y-%m-%d %H:%M").to_string(),
        MetricView::Today => local.format("%Y-%m-%d %H:00").to_string(),
        MetricView::Week | MetricView::Month => local.format("%Y-%m-%d").to_string(),
    }
}

fn days_in_month(d: NaiveDate) -> u64 {
    let first = d.with_day(1).unwrap_or(d);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    u64::try_from((next - first).num_days()).unwrap_or(30)
}

/// The buckets of a view at `now`, oldest first: `(key, start)`, and the end of the window
/// (the end of the newest bucket). Keys are unique (an hour repeated by a daylight-saving
/// change is one bucket).
#[must_use]
pub fn window(view: MetricView, now: Timestamp, tz: Tz) -> (Vec<(String, Timestamp)>, Timestamp) {
    let mut buckets: Vec<(String, Timestamp)> = Vec::new();
    let end;
    match view {
        MetricView::LastHour => {
            let cur = floor_minute(now, tz);
            end = cur + TimeDelta::minutes(1);
            for i in (0..=60).rev() {
                buckets.push((String::new(), cur - TimeDelta::minutes(i)));
            }
        }
        MetricView::Today => {
            let cur = floor_hour(now, tz);
            end = floor_hour(now + TimeDelta::hours(1), tz).max(cur + TimeDelta::minutes(1));
            for i in (0..=12).rev() {
                buckets.push((String::new(), floor_hour(cur - TimeDelta::hours(i), tz)));
            }
        }
        MetricView::Week | MetricView::Month => {
            let today = now.with_timezone(&tz).date_naive();
            end = today
                .succ_opt()
                .map_or(now + TimeDelta::days(1), |d| day_start(d, tz));
            let back = if view == MetricView::Week {
                7
            } else {
                days_in_month(today)
            };
            for i in (0..=back).rev() {
                if let Some(d) = today.checked_sub_days(Days::new(i)) {
                    buckets.push((String::new(), day_start(d, tz)));
                }
            }
        }
    }
    for b in &mut buckets {
        b.0 = bucket_key(b.1, view, tz);
    }
    buckets.dedup_by(|a, b| a.0 == b.0);
    (buckets, end)
}

/// Computes a metric's series for a view from its points (any order; points outside the
/// window are ignored).
#[must_use]
pub fn series(
    metric: &Metric,
    points: &[MetricPoint],
    view: MetricView,
    now: Timestamp,
    tz: Tz,
) -> Series {
    let (keys, end) = window(view, now, tz);
    let start = keys.first().map_or(now, |k| k.1);
    // key -> (sum of value x counter, sum of values, count)
    let mut acc: BTreeMap<String, (i128, i128, i128)> = BTreeMap::new();
    for p in points
        .iter()
        .filter(|p| p.created_at >= start && p.created_at < end)
    {
        let e = acc
            .entry(bucket_key(p.created_at, view, tz))
            .or_insert((0, 0, 0));
        e.0 += p.calculated_millis();
        e.1 += i128::from(p.value.millis());
        e.2 += 1;
    }
    let places = metric.places.get();
    let default = Rounded::from_millis_ratio(i128::from(metric.default_value.millis()), 1, places);
    let threshold = usize::from(metric.threshold.minutes());
    let n = keys.len();
    let buckets = keys
        .into_iter()
        .enumerate()
        .map(|(idx, (key, start))| {
            let age = n - 1 - idx; // 0 for the newest bucket
            match acc.get(&key) {
                Some(&(sum, values, count)) => Bucket {
                    key,
                    start,
                    value: Some(match metric.calc_type {
                        CalcType::Sum => Rounded::from_millis_ratio(sum, 1, places),
                        CalcType::Average => Rounded::from_millis_ratio(values, count, places),
                    }),
                    points: usize::try_from(count).unwrap_or(usize::MAX),
                },
                None => Bucket {
                    key,
                    start,
                    value: (view != MetricView::LastHour || age >= threshold).then_some(default),
                    points: 0,
                },
            }
        })
        .collect();
    Series { view, buckets }
}

/// Fetches a metric (as an anonymous visitor) and its series for a view at `now`, in the
/// site's time zone. Only the window's points are read.
///
/// # Errors
///
/// [`Error::NotFound`] for an unknown or non-public metric; [`Error::Store`].
pub async fn metric_series(
    cachet: &Cachet,
    id: MetricId,
    view: MetricView,
    now: Timestamp,
) -> Result<(Metric, Series), Error> {
    let anonymous = Actor::anonymous(None);
    let metric = cachet.metric(&anonymous, id).await?;
    let tz = site_tz(cachet).await?;
    let (keys, end) = window(view, now, tz);
    let since = keys.first().map_or(now, |k| k.1);
    let points = points_between(cachet, id, since, end).await?;
    let s = series(&metric, &points, view, now, tz);
    Ok((metric, s))
}

/// A metric's series in every view ([`MetricView::ALL`] order) at `now`, in the zone `tz`,
/// from one read of the points the widest window holds (the status page shows all four).
///
/// # Errors
///
/// [`Error::NotFound`] for an unknown or non-public metric; [`Error::Store`].
pub async fn metric_all_series(
    cachet: &Cachet,
    metric: &Metric,
    now: Timestamp,
    tz: Tz,
) -> Result<Vec<Series>, Error> {
    let windows: Vec<(MetricView, Timestamp, Timestamp)> = MetricView::ALL
        .iter()
        .map(|&v| {
            let (keys, end) = window(v, now, tz);
            (v, keys.first().map_or(now, |k| k.1), end)
        })
        .collect();
    let since = windows.iter().map(|w| w.1).min().unwrap_or(now);
    let until = windows.iter().map(|w| w.2).max().unwrap_or(now);
    let points = points_between(cachet, metric.id, since, until).await?;
    Ok(windows
        .into_iter()
        .map(|(v, _, _)| series(metric, &points, v, now, tz))
        .collect())
}

/// Every point of a public metric created in `[since, until)`, page by page.
async fn points_between(
    cachet: &Cachet,
    id: MetricId,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<MetricPoint>, Error> {
    let anonymous = Actor::anonymous(None);
    let mut points = Vec::new();
    let mut page = 1;
    loop {
        let q = MetricPointQuery {
            filter: MetricPointFilter {
                since: Some(since),
                until: Some(until),
            },
            sort: Some((MetricPointSort::Id, Direction::Asc)),
            page: PageRequest::new(page, PageRequest::MAX_PER_PAGE),
        };
        let got = cachet.metric_points(&anonymous, id, q).await?;
        let pages = got.total_pages();
        points.extend(got.items);
        if u64::from(page) >= pages {
            break;
        }
        page += 1;
    }
    Ok(points)
}

async fn site_tz(cachet: &Cachet) -> Result<Tz, Error> {
    let settings = cachet.settings().await?;
    Ok(settings.app_timezone.tz())
}

/// Cachet's chart data JSON: `{"data": {"metric": {...}, "items": {"key": value, ...}}}`,
/// the metric as API v1 presents it and the buckets that hold a value.
#[must_use]
pub fn chart_json(metric: &Metric, series: &Series, tz: Tz) -> Value {
    let mut items = Map::new();
    for (b, v) in series.values() {
        items.insert(b.key.clone(), json!(v.as_f64()));
    }
    json!({"data": {
        "metric": crate::web::api_v1::present::metric(metric, tz),
        "items": items,
    }})
}

/// `GET /metrics/{id}[?filter=last_hour|today|week|month]`: the chart data of a public
/// metric (the metric's default view without a filter; Cachet answers an unknown filter with
/// empty `items`, `[]`). 404 for unknown, non-public and non-numeric ids. CORS for the
/// configured origins.
pub(crate) async fn handle(cachet: &Cachet, req: &Request<Bytes>, id: &str) -> Response<Bytes> {
    let mut resp = chart_response(cachet, req, id).await;
    if let Ok(settings) = cachet.settings().await {
        crate::web::cors::apply(&mut resp, req, &settings.allowed_domains);
    }
    resp
}

async fn chart_response(cachet: &Cachet, req: &Request<Bytes>, id: &str) -> Response<Bytes> {
    use crate::web::response;
    let Some(id) = id
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && id.bytes().all(|b| b.is_ascii_digit()))
        .map(MetricId)
    else {
        return response::not_found_page();
    };
    let filter: Option<String> = req.uri().query().and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "filter").map(|p| p.1))
    });
    let now = cachet.now();
    let anonymous = Actor::anonymous(None);
    let metric = match cachet.metric(&anonymous, id).await {
        Ok(m) => m,
        Err(Error::NotFound { .. }) => return response::not_found_page(),
        Err(e) => return internal(&e),
    };
    let view = match filter.as_deref() {
        None => Some(metric.default_view),
        Some(f) => parse_view(f),
    };
    let tz = match site_tz(cachet).await {
        Ok(tz) => tz,
        Err(e) => return internal(&e),
    };
    let Some(view) = view else {
        let body = json!({"data": {
            "metric": crate::web::api_v1::present::metric(&metric, tz),
            "items": [],
        }});
        return response::json(StatusCode::OK, &body);
    };
    match metric_series(cachet, id, view, now).await {
        Ok((metric, s)) => response::json(StatusCode::OK, &chart_json(&metric, &s, tz)),
        Err(Error::NotFound { .. }) => response::not_found_page(),
        Err(e) => internal(&e),
    }
}

fn internal(e: &Error) -> Response<Bytes> {
    tracing::error!(target: "cachet::charts", error = %crate::log::Escaped(&e), "chart data failed");
    crate::web::response::plain(crate::web::response::failure_status(e), "internal error\n")
}

/// The chart's width in viewBox units.
pub const SVG_WIDTH: u32 = 640;
/// The chart's height in viewBox units.
pub const SVG_HEIGHT: u32 = 240;

const PLOT_LEFT: f64 = 72.0;
const PLOT_RIGHT: f64 = 624.0;
const PLOT_TOP: f64 = 16.0;
const PLOT_BOTTOM: f64 = 200.0;

/// A view's words in a locale: the description (`last week`) for titles, and the short
/// label (`Week`) of the page's range switcher.
#[must_use]
pub fn view_words(cat: &Catalog, v: MetricView) -> (&'static str, &'static str) {
    let (long, short) = match v {
        MetricView::LastHour => (Msg::ViewLastHour, Msg::RangeLastHour),
        MetricView::Today => (Msg::ViewToday, Msg::RangeToday),
        MetricView::Week => (Msg::ViewWeek, Msg::RangeWeek),
        MetricView::Month => (Msg::ViewMonth, Msg::RangeMonth),
    };
    (cat.t(long), cat.t(short))
}

fn with_suffix(cat: &Catalog, v: Rounded, suffix: &str) -> String {
    let v = cat.decimal(&v.to_string());
    if suffix.is_empty() {
        v
    } else {
        format!("{v} {suffix}")
    }
}

/// A line and area chart of a series as a self-contained SVG document: a fixed viewBox
/// ([`SVG_WIDTH`] × [`SVG_HEIGHT`]; the embedding page sizes it), `role="img"` named by its
/// `<title>`, which summarises the minimum, maximum and last value, labelled axes, and no
/// script, style or external reference; every text is XML-escaped. Colours follow
/// `currentColor`, so the embedding page themes it through CSS classes (`chart-area`,
/// `chart-line`, `chart-axis`, `chart-label`). Title, summary and numbers are in the
/// catalogue's locale (`Latenz (letzte Woche): Minimum 1,50 ms, …`).
///
/// The chart tells the truth about the data ([`drawn`]): a bucket without points is a gap,
/// not the metric's default value (the chart data JSON keeps Cachet's defaults), and the
/// current bucket of a sum metric, still filling, is not drawn as a drop. Points join into
/// a line across short gaps ([`runs`]), so a metric reported every five minutes reads as a
/// line in the one-hour view; a long silence breaks the line, and a point alone is a dot.
///
/// The markup is kept small because the status page carries every view of every metric
/// (50 metrics are 200 charts): the summary is written once (the title names the image),
/// coordinates have at most one decimal and no trailing `.0`, and the inner points of a
/// flat run are left out of the line, which draws the same picture.
#[must_use]
pub fn render_svg(series: &Series, metric: &Metric, cat: &Catalog) -> String {
    let suffix = metric.suffix.as_str();
    let values = drawn(series, metric);
    let partial = partial(series, metric);
    // The summary reads the complete buckets; the filling one only when there is nothing else.
    let summarised: Vec<(usize, Rounded)> = if values.is_empty() {
        partial.into_iter().collect()
    } else {
        values.clone()
    };
    let title = cat.tf(
        Msg::ChartTitle,
        &[metric.name.as_str(), view_words(cat, series.view).0],
    );
    let summary = match (
        summarised.iter().map(|(_, v)| *v).min_by_key(|v| v.scaled),
        summarised.iter().map(|(_, v)| *v).max_by_key(|v| v.scaled),
        summarised.last(),
    ) {
        (Some(min), Some(max), Some((_, last))) => cat.tf(
            Msg::ChartSummary,
            &[
                &title,
                &with_suffix(cat, min, suffix),
                &with_suffix(cat, max, suffix),
                &with_suffix(cat, *last, suffix),
            ],
        ),
        _ => cat.tf(Msg::ChartNoData, &[&title]),
    };
    let mut s = String::with_capacity(1024);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" role="img" class="chart"><title>{}</title>"#,
        escape_xml(&summary),
    );
    // Axes.
    let _ = write!(
        s,
        r#"<path class="chart-axis" fill="none" stroke="currentColor" stroke-opacity="0.4" d="M{PLOT_LEFT} {PLOT_BOTTOM}H{PLOT_RIGHT}M{PLOT_LEFT} {PLOT_TOP}V{PLOT_BOTTOM}"/>"#
    );
    let scaled: Vec<(usize, Rounded)> = values.iter().copied().chain(partial).collect();
    let plot = Plot::of(series.buckets.len(), &scaled);
    let (lo, hi) = (plot.lo, plot.hi);
    let n = plot.n;
    // Y labels: the axis bounds, in the metric's places.
    let places = metric.places.get();
    let lo_r = Rounded::from_millis_ratio(to_millis(lo), 1, places);
    let hi_r = Rounded::from_millis_ratio(to_millis(hi), 1, places);
    let _ = write!(
        s,
        r#"<g class="chart-label" fill="currentColor" font-size="12" font-family="sans-serif"><text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="end">{}</text>"#,
        PLOT_LEFT - 6.0,
        PLOT_TOP + 4.0,
        escape_xml(&with_suffix(cat, hi_r, suffix)),
        PLOT_LEFT - 6.0,
        PLOT_BOTTOM,
        escape_xml(&with_suffix(cat, lo_r, suffix)),
    );
    // X labels: first, middle and last bucket.
    let mut xl: Vec<usize> = vec![0, n / 2, n.saturating_sub(1)];
    xl.dedup();
    for (i, idx) in xl.into_iter().enumerate() {
        if let Some(b) = series.buckets.get(idx) {
            let anchor = match i {
                0 => "start",
                1 if n > 2 => "middle",
                _ => "end",
            };
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                Coord(plot.x(idx)),
                PLOT_BOTTOM + 18.0,
                escape_xml(&b.key),
            );
        }
    }
    s.push_str("</g>");
    // Per run of points: the line and the area under it, or a dot for a point alone.
    let base = Coord(plot.y(lo.max(0.0).min(hi)));
    for run in runs(&values) {
        let pts = plot.points(run);
        match (pts.first(), pts.last()) {
            (Some((x, y)), _) if pts.len() == 1 => {
                let _ = write!(
                    s,
                    r#"<circle class="chart-dot" fill="currentColor" r="3" cx="{x}" cy="{y}"/>"#
                );
            }
            (Some(first), Some(last)) => {
                let mut line = String::new();
                for (i, (x, y)) in pts.iter().enumerate() {
                    // A point between two at the same height adds nothing to a straight line.
                    let inner_of_flat_run = i > 0
                        && i + 1 < pts.len()
                        && pts[i - 1].1.same(*y)
                        && pts[i + 1].1.same(*y);
                    if !inner_of_flat_run {
                        let _ = write!(line, "{}{x},{y}", if line.is_empty() { "" } else { " " });
                    }
                }
                let _ = write!(
                    s,
                    r#"<polygon class="chart-area" fill="currentColor" fill-opacity="0.15" points="{line} {},{base} {},{base}"/>"#,
                    last.0, first.0,
                );
                let _ = write!(
                    s,
                    r#"<polyline class="chart-line" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" points="{line}"/>"#
                );
            }
            _ => {}
        }
    }
    if let Some((x, y)) = partial.and_then(|p| plot.points(&[p]).first().copied()) {
        let _ = write!(
            s,
            r#"<circle class="chart-dot chart-partial" fill="currentColor" fill-opacity="0.5" r="3" cx="{x}" cy="{y}"/>"#
        );
    }
    s.push_str("</svg>");
    s
}

/// What a chart draws as its lines, as `(bucket index, value)`, oldest first: the buckets
/// that hold points, without the current bucket of a sum metric (still filling, joined to
/// the line it would read as a drop; [`partial`] draws it apart). A bucket without points
/// holds the metric's default value in Cachet's chart data, which is no measurement: the
/// chart leaves it out.
#[must_use]
pub fn drawn(series: &Series, metric: &Metric) -> Vec<(usize, Rounded)> {
    let newest = series.buckets.len().saturating_sub(1);
    series
        .buckets
        .iter()
        .enumerate()
        .filter(|(i, b)| b.points > 0 && !(*i == newest && metric.calc_type == CalcType::Sum))
        .filter_map(|(i, b)| b.value.map(|v| (i, v)))
        .collect()
}

/// The current bucket of a sum metric when it holds points: still filling, it is drawn as a
/// dot of its own, never joined to the line.
#[must_use]
pub fn partial(series: &Series, metric: &Metric) -> Option<(usize, Rounded)> {
    let newest = series.buckets.len().checked_sub(1)?;
    let b = series.buckets.get(newest)?;
    (metric.calc_type == CalcType::Sum && b.points > 0)
        .then_some(b.value.map(|v| (newest, v)))
        .flatten()
}

/// The runs a chart joins into lines: consecutive drawn points stay in one run unless the
/// gap between them is wider than three times the series' usual spacing (the median gap,
/// at least one bucket). A metric reported every five minutes is one line in the one-hour
/// view; a metric silent for a while shows the silence.
#[must_use]
pub fn runs(drawn: &[(usize, Rounded)]) -> Vec<&[(usize, Rounded)]> {
    let mut gaps: Vec<usize> = drawn.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_unstable();
    let usual = gaps.get(gaps.len() / 2).copied().unwrap_or(1).max(1);
    let widest = usual.saturating_mul(3);
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..drawn.len() {
        if drawn[i].0 - drawn[i - 1].0 > widest {
            out.push(&drawn[start..i]);
            start = i;
        }
    }
    if start < drawn.len() {
        out.push(&drawn[start..]);
    }
    out
}

/// How a series maps onto the plot area: buckets evenly along x, values between the axis
/// bounds along y.
struct Plot {
    /// How many buckets.
    n: usize,
    /// The axis bounds: from zero (or the lowest negative value) to the highest value; a
    /// flat series gets headroom.
    lo: f64,
    hi: f64,
}

impl Plot {
    /// The plot of `n` buckets holding the drawn `values`.
    fn of(n: usize, drawn: &[(usize, Rounded)]) -> Self {
        let values = || drawn.iter().map(|(_, v)| v.as_f64());
        let (lo, hi) = match (values().reduce(f64::min), values().reduce(f64::max)) {
            (Some(min), Some(max)) => {
                let lo = min.min(0.0);
                (lo, if max > lo { max } else { lo + 1.0 })
            }
            _ => (0.0, 1.0),
        };
        Self { n, lo, hi }
    }

    fn x(&self, idx: usize) -> f64 {
        if self.n <= 1 {
            PLOT_LEFT
        } else {
            #[allow(clippy::cast_precision_loss)]
            let f = idx as f64 / (self.n - 1) as f64;
            PLOT_LEFT + f * (PLOT_RIGHT - PLOT_LEFT)
        }
    }

    fn y(&self, v: f64) -> f64 {
        PLOT_BOTTOM - (v - self.lo) / (self.hi - self.lo) * (PLOT_BOTTOM - PLOT_TOP)
    }

    /// The points of drawn values, in their order.
    fn points(&self, drawn: &[(usize, Rounded)]) -> Vec<(Coord, Coord)> {
        drawn
            .iter()
            .map(|(i, v)| (Coord(self.x(*i)), Coord(self.y(v.as_f64()))))
            .collect()
    }
}

/// A chart coordinate written with at most one decimal and without a trailing `.0`
/// (`72`, `81.2`): a tenth of a unit is below a pixel at the chart's size.
#[derive(Debug, Clone, Copy)]
struct Coord(f64);

impl Coord {
    fn tenths(self) -> i64 {
        #[allow(clippy::cast_possible_truncation)]
        let t = (self.0 * 10.0).round() as i64;
        t
    }

    fn same(self, other: Self) -> bool {
        self.tenths() == other.tenths()
    }
}

impl std::fmt::Display for Coord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.tenths();
        let sign = if t < 0 { "-" } else { "" };
        let (int, frac) = (t.unsigned_abs() / 10, t.unsigned_abs() % 10);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            write!(f, "{sign}{int}.{frac}")
        }
    }
}

fn to_millis(v: f64) -> i128 {
    #[allow(clippy::cast_possible_truncation)]
    let m = (v * 1000.0).round() as i128;
    m
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{MetricPointId, Visibility};
    use crate::validate::{Markdown, MetricValue, Name, Order, Places, Text, Threshold};
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn metric(calc: CalcType, places: i64, default_millis: i64) -> Metric {
        Metric {
            id: MetricId(1),
            name: Name::parse("Latency").unwrap(),
            suffix: Text::parse("ms").unwrap(),
            description: Markdown::default(),
            default_value: MetricValue::from_millis(default_millis).unwrap(),
            calc_type: calc,
            display_chart: true,
            places: Places::new(places).unwrap(),
            default_view: MetricView::Today,
            threshold: Threshold::new(5).unwrap(),
            order: Order::new(0).unwrap(),
            visible: Visibility::Public,
            created_at: t("2025-01-01T00:00:00Z"),
            updated_at: t("2025-01-01T00:00:00Z"),
        }
    }

    fn point(id: i64, at: &str, millis: i64, counter: i64) -> MetricPoint {
        MetricPoint {
            id: MetricPointId(id),
            metric_id: MetricId(1),
            value: MetricValue::from_millis(millis).unwrap(),
            counter,
            created_at: t(at),
            updated_at: t(at),
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero_at_places() {
        assert_eq!(Rounded::from_millis_ratio(1_235, 1, 2).to_string(), "1.24");
        assert_eq!(
            Rounded::from_millis_ratio(-1_235, 1, 2).to_string(),
            "-1.24"
        );
        assert_eq!(Rounded::from_millis_ratio(1_234, 1, 2).to_string(), "1.23");
        assert_eq!(Rounded::from_millis_ratio(1_500, 1, 0).to_string(), "2");
        assert_eq!(Rounded::from_millis_ratio(10, 3, 4).to_string(), "0.0033");
        assert_eq!(Rounded::from_millis_ratio(-300, 1, 1).to_string(), "-0.3");
        assert!((Rounded::from_millis_ratio(1_235, 1, 2).as_f64() - 1.24).abs() < 1e-9);
    }

    #[test]
    fn windows_have_cachets_bucket_counts_and_keys() {
        let now = t("2026-02-10T12:34:56Z");
        let (b, _) = window(MetricView::LastHour, now, Tz::UTC);
        assert_eq!(b.len(), 61);
        assert_eq!(b[0].0, "2026-02-10 11:34");
        assert_eq!(b[60].0, "2026-02-10 12:34");
        let (b, _) = window(MetricView::Today, now, Tz::UTC);
        assert_eq!(b.len(), 13);
        assert_eq!(b[0].0, "2026-02-10 00:00");
        assert_eq!(b[12].0, "2026-02-10 12:00");
        let (b, end) = window(MetricView::Week, now, Tz::UTC);
        assert_eq!(b.len(), 8);
        assert_eq!(b[0].0, "2026-02-03");
        assert_eq!(end, t("2026-02-11T00:00:00Z"));
        // February 2026 has 28 days: today and 28 before.
        let (b, _) = window(MetricView::Month, now, Tz::UTC);
        assert_eq!(b.len(), 29);
        assert_eq!(b[0].0, "2026-01-13");
        // A half-hour zone buckets by its own hours.
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let (b, _) = window(MetricView::Today, now, kolkata);
        assert_eq!(b[12].0, "2026-02-10 18:00");
        assert_eq!(b[12].1, t("2026-02-10T12:30:00Z"));
    }

    #[test]
    fn sum_and_average_per_bucket_with_defaults() {
        let now = t("2026-02-10T12:34:56Z");
        let points = [
            point(1, "2026-02-10T12:05:00Z", 1_500, 2),
            point(2, "2026-02-10T12:30:00Z", 2_000, 1),
            point(3, "2026-02-10T10:00:00Z", 4_000, 3),
            // outside the window
            point(4, "2026-02-09T23:59:59Z", 9_000, 1),
        ];
        let sum = series(
            &metric(CalcType::Sum, 2, 250),
            &points,
            MetricView::Today,
            now,
            Tz::UTC,
        );
        let items: Vec<(String, String)> = sum
            .values()
            .map(|(b, v)| (b.key.clone(), v.to_string()))
            .collect();
        assert_eq!(items.len(), 13);
        assert_eq!(items[0], ("2026-02-10 00:00".to_owned(), "0.25".to_owned()));
        assert_eq!(
            items[10],
            ("2026-02-10 10:00".to_owned(), "12.00".to_owned())
        );
        assert_eq!(
            items[12],
            ("2026-02-10 12:00".to_owned(), "5.00".to_owned())
        );
        let avg = series(
            &metric(CalcType::Average, 1, 0),
            &points,
            MetricView::Today,
            now,
            Tz::UTC,
        );
        let last = avg.buckets.last().unwrap();
        assert_eq!(last.value.unwrap().to_string(), "1.8"); // (1.5 + 2.0) / 2 = 1.75
        assert_eq!(last.points, 2);
    }

    #[test]
    fn last_hour_leaves_out_the_recent_threshold_minutes_without_data() {
        let now = t("2026-02-10T12:34:56Z");
        let points = [point(1, "2026-02-10T12:33:10Z", 1_000, 1)];
        let s = series(
            &metric(CalcType::Sum, 0, 0),
            &points,
            MetricView::LastHour,
            now,
            Tz::UTC,
        );
        let none: Vec<&str> = s
            .buckets
            .iter()
            .filter(|b| b.value.is_none())
            .map(|b| b.key.as_str())
            .collect();
        // threshold 5: minutes 12:30..=12:34 are left out unless they hold data (12:33 does)
        assert_eq!(
            none,
            vec![
                "2026-02-10 12:30",
                "2026-02-10 12:31",
                "2026-02-10 12:32",
                "2026-02-10 12:34"
            ]
        );
        assert_eq!(s.values().count(), 57);
    }

    #[test]
    fn svg_is_escaped_and_self_contained() {
        let mut m = metric(CalcType::Sum, 2, 0);
        m.name = Name::parse("<script>alert(1)</script> & \"q\" 'a'").unwrap();
        m.suffix = Text::parse("]]><x/>").unwrap();
        let now = t("2026-02-10T12:34:56Z");
        let s = series(
            &m,
            &[point(1, "2026-02-09T12:05:00Z", 1_500, 2)],
            MetricView::Week,
            now,
            Tz::UTC,
        );
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<x/>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("maximum 3.00 ]]&gt;&lt;x/&gt;"));
        assert!(!svg.contains("href"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn coordinates_have_one_decimal_at_most_and_no_trailing_zero() {
        let w = |v: f64| Coord(v).to_string();
        assert_eq!(w(72.0), "72");
        assert_eq!(w(81.19), "81.2");
        assert_eq!(w(99.96), "100");
        assert_eq!(w(-0.04), "0");
        assert_eq!(w(-3.25), "-3.3");
        assert_eq!(w(0.05), "0.1");
    }

    /// The `points` of each of the chart's lines, as numbers.
    fn lines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.match_indices("class=\"chart-line\"")
            .map(|(start, _)| {
                let rest = &svg[start..];
                let p = rest.find("points=\"").unwrap() + 8;
                let end = rest[p..].find('"').unwrap();
                rest[p..p + end]
                    .split(' ')
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    /// The centres of the chart's dots (points alone).
    fn dots(svg: &str) -> Vec<(f64, f64)> {
        svg.match_indices("class=\"chart-dot\"")
            .map(|(start, _)| {
                let rest = &svg[start..svg[start..].find("/>").unwrap() + start];
                let attr = |name: &str| -> f64 {
                    let p = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                    rest[p..p + rest[p..].find('"').unwrap()].parse().unwrap()
                };
                (attr("cx"), attr("cy"))
            })
            .collect()
    }

    /// Points of an average metric (value in thousandths) at the given minutes past 12:00.
    fn minutes(values: &[(i64, i64)]) -> Vec<MetricPoint> {
        values
            .iter()
            .map(|(minute, millis)| {
                point(
                    *minute,
                    &format!("2026-02-10T12:{minute:02}:10Z"),
                    *millis,
                    1,
                )
            })
            .collect()
    }

    #[test]
    fn flat_runs_keep_only_their_ends() {
        // Last hour: a point every minute from 12:00 to 12:30 at 1, but 3 at 12:05.
        let m = metric(CalcType::Average, 0, 0);
        let now = t("2026-02-10T12:34:56Z");
        let pts: Vec<(i64, i64)> = (0..=30)
            .map(|i| (i, if i == 5 { 3_000 } else { 1_000 }))
            .collect();
        let s = series(&m, &minutes(&pts), MetricView::LastHour, now, Tz::UTC);
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        let lines = lines(&svg);
        assert_eq!(lines.len(), 1, "{svg}");
        // first, the flat run's end before the peak, the peak, the run's start after it, last
        assert_eq!(lines[0].len(), 5, "{lines:?}");
        assert_eq!(lines[0][2].1, f64::from(16u8)); // the peak at the plot's top
        assert!(svg.contains(r#"role="img" class="chart"><title>Latency (last hour): minimum 1 ms, maximum 3 ms, last 1 ms</title>"#), "{svg}");
    }

    #[test]
    fn a_bucket_without_points_is_a_gap_not_the_default_value() {
        // One point of 3 at 12:05 and nothing else: Cachet's data fills every other minute
        // with the default 0, the chart draws one dot and says so in its summary.
        let m = metric(CalcType::Sum, 0, 0);
        let now = t("2026-02-10T12:34:56Z");
        let s = series(
            &m,
            &minutes(&[(5, 3_000)]),
            MetricView::LastHour,
            now,
            Tz::UTC,
        );
        assert!(
            s.values().count() > 50,
            "the chart data keeps Cachet's defaults"
        );
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        assert!(lines(&svg).is_empty(), "{svg}");
        assert_eq!(dots(&svg).len(), 1);
        assert_eq!(dots(&svg)[0].1, f64::from(16u8));
        assert!(
            svg.contains("minimum 3 ms, maximum 3 ms, last 3 ms"),
            "{svg}"
        );
        // No point at all: no line, no dot, and the title says there is no data.
        let s = series(&m, &[], MetricView::LastHour, now, Tz::UTC);
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        assert!(lines(&svg).is_empty() && dots(&svg).is_empty(), "{svg}");
        assert!(svg.contains("no data"), "{svg}");
    }

    #[test]
    fn a_metric_reported_every_five_minutes_reads_as_one_line_in_the_hour_view() {
        let m = metric(CalcType::Average, 0, 0);
        let now = t("2026-02-10T12:59:30Z");
        let pts: Vec<(i64, i64)> = (0..12).map(|i| (i * 5, 100_000 + i * 1_000)).collect();
        let s = series(&m, &minutes(&pts), MetricView::LastHour, now, Tz::UTC);
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        let lines = lines(&svg);
        assert_eq!(lines.len(), 1, "one line, not a comb: {svg}");
        // Rising values: the line never falls, nothing drops to the axis.
        for w in lines[0].windows(2) {
            assert!(w[1].1 <= w[0].1, "{lines:?}");
        }
        assert!(lines[0].iter().all(|(_, y)| *y < PLOT_BOTTOM));
        // A silence of half an hour breaks the line.
        let mut pts: Vec<(i64, i64)> = (0..4).map(|i| (i * 5, 100_000)).collect();
        pts.extend((10..12).map(|i| (i * 5, 100_000)));
        let s = series(&m, &minutes(&pts), MetricView::LastHour, now, Tz::UTC);
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        assert_eq!(self::lines(&svg).len(), 2, "{svg}");
    }

    #[test]
    fn the_current_bucket_of_a_sum_metric_is_not_drawn_as_a_drop() {
        // Requests per hour: 600 in every full hour, 20 so far in the current one.
        let m = metric(CalcType::Sum, 0, 0);
        let now = t("2026-02-10T12:02:00Z");
        let mut pts: Vec<MetricPoint> = (0..12)
            .map(|h| point(h, &format!("2026-02-10T{h:02}:30:00Z"), 600_000, 1))
            .collect();
        pts.push(point(99, "2026-02-10T12:01:00Z", 20_000, 1));
        let s = series(&m, &pts, MetricView::Today, now, Tz::UTC);
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        // The line stays level to its end; the 20 so far are a faint dot of their own.
        let line = &lines(&svg)[0];
        assert!(
            line.iter().all(|(_, y)| (*y - line[0].1).abs() < 0.01),
            "{line:?}"
        );
        assert_eq!(svg.matches("chart-dot chart-partial").count(), 1, "{svg}");
        assert!(
            svg.contains("minimum 600 ms, maximum 600 ms, last 600 ms"),
            "{svg}"
        );
        // An average metric's current bucket is a fair reading so far: drawn.
        let m = metric(CalcType::Average, 0, 0);
        let s = series(&m, &pts, MetricView::Today, now, Tz::UTC);
        let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
        assert!(svg.contains("last 20 ms"), "{svg}");
    }

    #[test]
    fn views_round_trip_through_their_names() {
        for v in [
            MetricView::LastHour,
            MetricView::Today,
            MetricView::Week,
            MetricView::Month,
        ] {
            assert_eq!(parse_view(view_name(v)), Some(v));
        }
        assert_eq!(parse_view("year"), None);
    }

    fn view() -> impl Strategy<Value = MetricView> {
        prop_oneof![
            Just(MetricView::LastHour),
            Just(MetricView::Today),
            Just(MetricView::Week),
            Just(MetricView::Month),
        ]
    }

    proptest! {
        #[test]
        fn series_keys_are_sorted_unique_and_sums_add_up(
            pts in proptest::collection::vec((0i64..40 * 86_400, -1_000_000i64..1_000_000, 1i64..5), 0..60),
            now_off in 0i64..40 * 86_400,
            v in view(),
            tz_idx in 0usize..3,
        ) {
            let tz: Tz = ["UTC", "Europe/Berlin", "Asia/Kolkata"][tz_idx].parse().unwrap();
            let base = t("2026-01-01T00:00:00Z");
            let now = base + TimeDelta::seconds(now_off);
            let points: Vec<MetricPoint> = pts.iter().enumerate().map(|(i, (off, millis, c))| MetricPoint {
                id: MetricPointId(i64::try_from(i).unwrap()),
                metric_id: MetricId(1),
                value: MetricValue::from_millis(*millis).unwrap(),
                counter: *c,
                created_at: base + TimeDelta::seconds(*off),
                updated_at: base + TimeDelta::seconds(*off),
            }).collect();
            let m = metric(CalcType::Sum, 3, 0);
            let s = series(&m, &points, v, now, tz);
            for w in s.buckets.windows(2) {
                prop_assert!(w[0].key < w[1].key);
                prop_assert!(w[0].start < w[1].start);
            }
            let (_, end) = window(v, now, tz);
            let start = s.buckets[0].start;
            let expected: i128 = points.iter()
                .filter(|p| p.created_at >= start && p.created_at < end)
                .map(MetricPoint::calculated_millis).sum();
            let got: i128 = s.buckets.iter().filter(|b| b.points > 0).filter_map(|b| b.value).map(|r| r.scaled).sum();
            prop_assert_eq!(got, expected);
            let svg = render_svg(&s, &m, &Catalog::new(crate::i18n::Lang::En));
            prop_assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            // The chart tells the truth: what it draws is exactly the measured buckets (every
            // drawn point lies on a line or is a dot), a bucket without points is never
            // drawn, and the current bucket of a sum metric is never drawn.
            let measured = drawn(&s, &m);
            let newest = s.buckets.len() - 1;
            for (i, _) in &measured {
                prop_assert!(s.buckets[*i].points > 0);
                prop_assert!(*i != newest);
            }
            let with_partial: Vec<(usize, Rounded)> = measured.iter().copied().chain(partial(&s, &m)).collect();
            let plot = Plot::of(s.buckets.len(), &with_partial);
            // The filling bucket, when drawn, is a dot of its own, never on a line.
            prop_assert_eq!(svg.matches("chart-partial").count(), usize::from(partial(&s, &m).is_some()));
            let drawn_lines = lines(&svg);
            let drawn_dots = dots(&svg);
            let mut drawn_vertices = 0;
            for run in runs(&measured) {
                let all: Vec<(f64, f64)> = plot
                    .points(run)
                    .iter()
                    .map(|(x, y)| (x.to_string().parse().unwrap(), y.to_string().parse().unwrap()))
                    .collect();
                if all.len() == 1 {
                    prop_assert!(drawn_dots.contains(&all[0]), "{:?} is not a dot", all[0]);
                    continue;
                }
                // The run's line starts at its first point; the thinned line draws the same
                // picture: every point of the run lies on it.
                let kept = drawn_lines.iter().find(|l| l[0] == all[0]);
                prop_assert!(kept.is_some(), "no line starts at {:?}", all[0]);
                let kept = kept.unwrap();
                drawn_vertices += kept.len();
                for (x, y) in all {
                    let seg = kept.windows(2).find(|w| w[0].0 <= x && x <= w[1].0);
                    let on_line = match seg {
                        Some(w) if (w[1].0 - w[0].0).abs() > f64::EPSILON => {
                            let yy = w[0].1 + (w[1].1 - w[0].1) * (x - w[0].0) / (w[1].0 - w[0].0);
                            (yy - y).abs() < 0.051
                        }
                        _ => kept.iter().any(|k| (k.0 - x).abs() < 0.051 && (k.1 - y).abs() < 0.051),
                    };
                    prop_assert!(on_line, "({x}, {y}) is off the drawn line {kept:?}");
                }
            }
            prop_assert_eq!(drawn_vertices, drawn_lines.iter().map(Vec::len).sum::<usize>());
        }
    }
}
