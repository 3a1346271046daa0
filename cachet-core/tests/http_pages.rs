//! The public HTML pages through `Cachet::handle`: the status page, incident, maintenance and
//! component pages on realistic data, hostile data in every field (XSS in Markdown and in
//! plain text) parsed with an HTML parser, the strict CSP, Subresource Integrity against the
//! served asset bytes, locales by setting and by Accept-Language, and bad ids and queries.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use base64::Engine as _;
use bytes::Bytes;
use chrono::TimeDelta;
use common::*;
use http::{Request, Response, StatusCode};
use scraper::{Html, Selector};
use sha2::{Digest, Sha384};

use cachet_core::Cachet;
use cachet_core::clock::Timestamp;
use cachet_core::model::*;
use cachet_core::store::{WriteContext, no_effects};
use cachet_core::validate::{HttpUrl, MetricValue, Places, Text};
use cachet_core::web::RequestContext;

async fn get(cachet: &Cachet, uri: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut b = Request::builder().method("GET").uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let cx = RequestContext {
        peer: Some("192.0.2.1:5000".parse().unwrap()),
        principal: None,
    };
    cachet.handle(b.body(Bytes::new()).unwrap(), cx).await
}

async fn page(cachet: &Cachet, uri: &str) -> String {
    let resp = get(cachet, uri, &[]).await;
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    assert_eq!(
        resp.headers()["content-type"],
        "text/html; charset=utf-8",
        "{uri}"
    );
    assert!(resp.headers().get("set-cookie").is_none(), "{uri}");
    String::from_utf8(resp.body().to_vec()).unwrap()
}

async fn group(h: &Harness, n: &str, collapsed: Collapsed, visible: GroupVisibility) -> GroupId {
    h.cachet
        .create_group(
            &op(),
            &NewComponentGroup::named(name(n))
                .with_collapsed(collapsed)
                .with_visible(visible),
        )
        .await
        .unwrap()
        .id
}

async fn comp(
    h: &Harness,
    n: &str,
    status: ComponentStatus,
    group: Option<GroupId>,
    enabled: bool,
    description: &str,
    link: Option<&str>,
) -> ComponentId {
    let mut new = NewComponent::named(name(n), status);
    new.group_id = group;
    new.enabled = enabled;
    new.description = Text::parse(description).unwrap();
    new.link = link.map(|l| HttpUrl::parse(l).unwrap());
    h.cachet.create_component(&op(), &new).await.unwrap().id
}

struct NewInc<'a> {
    name: &'a str,
    status: IncidentStatus,
    visible: bool,
    stickied: bool,
    at: Timestamp,
    message: &'a str,
    affected: &'a [(ComponentId, ComponentStatus)],
}

async fn incident(h: &Harness, i: NewInc<'_>) -> IncidentId {
    h.cachet
        .create_incident(
            &op(),
            &NewIncident::new(name(i.name), i.status, md(i.message), i.at)
                .with_visible(i.visible)
                .with_stickied(i.stickied)
                .with_components(
                    i.affected
                        .iter()
                        .map(|(c, s)| AffectedComponent {
                            component_id: *c,
                            status: *s,
                        })
                        .collect(),
                ),
        )
        .await
        .unwrap()
        .id
}

async fn schedule(
    h: &Harness,
    n: &str,
    status: ScheduleStatus,
    start: Timestamp,
    end: Option<Timestamp>,
    components: &[ComponentId],
    message: &str,
) -> ScheduleId {
    let s = h
        .cachet
        .create_schedule(
            &op(),
            &NewSchedule::new(name(n), md(message), status, start)
                .with_completed_at(end)
                .with_components(components.to_vec()),
        )
        .await
        .unwrap();
    s.id
}

async fn schedule_update(h: &Harness, id: ScheduleId, message: &str) {
    h.store
        .create_schedule_update(
            WriteContext::at(h.clock_now()),
            id,
            &NewScheduleUpdate::new(md(message)),
            &no_effects,
        )
        .await
        .unwrap();
}

async fn metric(h: &Harness, n: &str, suffix: &str, description: &str) -> MetricId {
    metric_with(h, n, suffix, description, Visibility::Public, true).await
}

async fn metric_with(
    h: &Harness,
    n: &str,
    suffix: &str,
    description: &str,
    visible: Visibility,
    display_chart: bool,
) -> MetricId {
    let m = h
        .cachet
        .create_metric(
            &op(),
            &NewMetric::named(name(n))
                .with_suffix(Text::parse(suffix).unwrap())
                .with_description(md(description))
                .with_default_value(MetricValue::parse("0").unwrap())
                .with_calc_type(CalcType::Average)
                .with_display_chart(display_chart)
                .with_default_view(MetricView::LastHour)
                .with_visible(visible),
        )
        .await
        .unwrap();
    h.cachet
        .record_metric_point(&op(), m.id, MetricValue::parse("42").unwrap(), None)
        .await
        .unwrap();
    m.id
}

struct Ids {
    api: ComponentId,
    cdn: ComponentId,
    secret: ComponentId,
    disabled: ComponentId,
    open: IncidentId,
    hidden: IncidentId,
    maintenance: ScheduleId,
}

/// A realistic page, two hours after the harness's start (2026-01-01T00:00Z).
async fn realistic(h: &Harness) -> Ids {
    let t0 = h.clock_now();
    settings(
        h,
        &[
            (SettingKey::AppName, "Acme Status"),
            (SettingKey::AppTimezone, "Europe/Berlin"),
            (SettingKey::ShowTimezone, "1"),
            (
                SettingKey::AppAbout,
                "We run **Acme**. See [our blog](https://blog.example).",
            ),
        ],
    )
    .await;
    let core = group(h, "Core", Collapsed::Expanded, GroupVisibility::Public).await;
    let edge = group(h, "Edge", Collapsed::Collapsed, GroupVisibility::Public).await;
    let internal = group(
        h,
        "Internal",
        Collapsed::Expanded,
        GroupVisibility::Authenticated,
    )
    .await;
    let api = comp(
        h,
        "Public API",
        ComponentStatus::Operational,
        Some(core),
        true,
        "The REST API",
        Some("https://api.example"),
    )
    .await;
    let web = comp(
        h,
        "Website",
        ComponentStatus::PartialOutage,
        Some(core),
        true,
        "",
        None,
    )
    .await;
    let cdn = comp(
        h,
        "CDN",
        ComponentStatus::MajorOutage,
        Some(edge),
        true,
        "Edge caches",
        None,
    )
    .await;
    let secret = comp(
        h,
        "Secret Backend",
        ComponentStatus::Operational,
        Some(internal),
        true,
        "",
        None,
    )
    .await;
    let disabled = comp(
        h,
        "Retired Thing",
        ComponentStatus::Operational,
        None,
        false,
        "",
        None,
    )
    .await;
    comp(
        h,
        "Mail",
        ComponentStatus::Operational,
        None,
        true,
        "",
        None,
    )
    .await;
    h.clock.advance(TimeDelta::hours(1));
    let open = incident(
        h,
        NewInc {
            name: "Website errors",
            status: IncidentStatus::Investigating,
            visible: true,
            stickied: false,
            at: h.clock_now(),
            message: "We are looking into *errors*.",
            affected: &[(web, ComponentStatus::PartialOutage)],
        },
    )
    .await;
    h.clock.advance(TimeDelta::minutes(10));
    update(h, open, IncidentStatus::Identified, "Found a bad deploy.").await;
    incident(
        h,
        NewInc {
            name: "Pinned notice",
            status: IncidentStatus::Watching,
            visible: true,
            stickied: true,
            at: t0 - TimeDelta::days(20),
            message: "Please read.",
            affected: &[],
        },
    )
    .await;
    let hidden = incident(
        h,
        NewInc {
            name: "Hush hush",
            status: IncidentStatus::Investigating,
            visible: false,
            stickied: false,
            at: h.clock_now(),
            message: "secret",
            affected: &[],
        },
    )
    .await;
    incident(
        h,
        NewInc {
            name: "Old resolved thing",
            status: IncidentStatus::Fixed,
            visible: true,
            stickied: false,
            at: t0 - TimeDelta::days(2),
            message: "All good now.",
            affected: &[(cdn, ComponentStatus::MajorOutage)],
        },
    )
    .await;
    let maintenance = schedule(
        h,
        "Database upgrade",
        ScheduleStatus::Upcoming,
        t0,
        Some(t0 + TimeDelta::hours(4)),
        &[api, secret],
        "Upgrading to v2.",
    )
    .await;
    schedule_update(h, maintenance, "Halfway there.").await;
    schedule(
        h,
        "Network work",
        ScheduleStatus::Upcoming,
        t0 + TimeDelta::days(3),
        None,
        &[cdn],
        "Swapping routers.",
    )
    .await;
    metric(h, "Response time", "ms", "How fast").await;
    h.clock.advance(TimeDelta::minutes(50));
    Ids {
        api,
        cdn,
        secret,
        disabled,
        open,
        hidden,
        maintenance,
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn texts(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

fn texts_in(el: &scraper::ElementRef<'_>, s: &str) -> Vec<String> {
    el.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// Semantics every page shares: lang, one h1, landmarks, skip link, viewport, no skipped
/// heading level, stylesheets with SRI.
fn assert_accessible_shell(doc: &Html, lang: &str, uri: &str) {
    let html = doc.select(&sel("html")).next().unwrap();
    assert_eq!(html.value().attr("lang"), Some(lang), "{uri}");
    assert_eq!(doc.select(&sel("h1")).count(), 1, "{uri}: one h1");
    for landmark in ["header", "main#main", "footer", "nav[aria-label]"] {
        assert!(
            doc.select(&sel(landmark)).next().is_some(),
            "{uri}: {landmark}"
        );
    }
    let skip = doc.select(&sel("a.skip-link")).next().unwrap();
    assert_eq!(skip.value().attr("href"), Some("#main"));
    assert!(doc.select(&sel("meta[name=viewport]")).next().is_some());
    let mut last = 1;
    for h in doc.select(&sel("h1, h2, h3, h4, h5, h6")) {
        let level: u32 = h.value().name()[1..].parse().unwrap();
        assert!(level <= last + 1, "{uri}: heading level jumps to h{level}");
        last = level;
    }
    let sheets: Vec<_> = doc.select(&sel("link[rel=stylesheet]")).collect();
    assert_eq!(sheets.len(), 2, "{uri}");
    for s in sheets {
        assert!(s.value().attr("integrity").unwrap().starts_with("sha384-"));
        assert_eq!(s.value().attr("crossorigin"), Some("anonymous"));
    }
    // Status is never conveyed by colour alone: every icon sits next to its text.
    for badge in doc.select(&sel(".status")) {
        assert!(
            badge
                .select(&sel(".dot[aria-hidden=true]"))
                .next()
                .is_some(),
            "{uri}"
        );
    }
    for badge in doc.select(&sel("li .status, dd .status, summary .status")) {
        let text: String = badge.text().collect();
        assert!(!text.trim().is_empty(), "{uri}: status without text");
    }
}

/// The hostile-input oracle over a whole page: no executable markup anywhere.
fn assert_no_executable_markup(body: &str, uri: &str) {
    let doc = Html::parse_document(body);
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let name = el.value().name();
        let in_chart = el
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .any(|a| a.value().name() == "figure" && a.value().classes().any(|c| c == "chart"));
        assert!(
            !matches!(
                name,
                "script"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "form"
                    | "base"
                    | "style"
                    | "math"
                    | "noscript"
                    | "template"
                    | "frame"
                    | "applet"
            ),
            "{uri}: <{name}>"
        );
        if name == "svg" {
            assert!(in_chart, "{uri}: <svg> outside a chart");
        }
        if name == "meta" {
            let ok = el.value().attr("charset").is_some()
                || matches!(el.value().attr("name"), Some("viewport" | "color-scheme"));
            assert!(ok, "{uri}: unexpected <meta>");
        }
        if name == "link" {
            let rel = el.value().attr("rel").unwrap_or_default();
            assert!(
                matches!(rel, "stylesheet" | "icon" | "alternate"),
                "{uri}: link rel {rel}"
            );
        }
        for (attr, value) in el.value().attrs() {
            let attr = attr.to_ascii_lowercase();
            assert!(!attr.starts_with("on"), "{uri}: <{name} {attr}>");
            assert!(
                !matches!(attr.as_str(), "style" | "srcdoc" | "formaction" | "action"),
                "{uri}: <{name} {attr}>"
            );
            if matches!(
                attr.as_str(),
                "href" | "src" | "xlink:href" | "data" | "poster"
            ) {
                let v: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let scheme_ok = v.starts_with("https://")
                    || v.starts_with("http://")
                    || v.starts_with("mailto:")
                    || v.starts_with('#')
                    || (v.starts_with('/') && !v.starts_with("//"))
                    || !v.contains(':');
                assert!(scheme_ok, "{uri}: <{name} {attr}={value:?}>");
                assert!(!v.starts_with("//") && !v.starts_with("\\\\"), "{uri}: {v}");
            }
        }
    }
}

#[tokio::test]
async fn the_status_page_shows_what_a_visitor_may_see_in_cachets_order() {
    let h = Harness::new().await;
    let ids = realistic(&h).await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "en", "/");
    assert_eq!(texts(&doc, "h1"), ["Acme Status"]);
    assert_eq!(texts(&doc, "head > title"), ["Acme Status"]);
    // Banner: the worst visible thing wins (CDN's major outage).
    assert_eq!(
        texts(&doc, ".banner p"),
        ["Some systems are experiencing a major outage"]
    );
    assert!(doc.select(&sel(".banner.i-critical")).next().is_some());
    // Sections in Cachet's order.
    let h2: Vec<String> = texts(&doc, "h2");
    assert_eq!(
        h2,
        [
            "Overall status",
            "Happening now",
            "About",
            "Components",
            "Metrics",
            "Scheduled maintenance",
            "Past incidents"
        ]
    );
    // What is happening now heads the page: the unresolved incidents, newest first, each with
    // its latest update only, then the maintenance in progress. The pinned incident is still
    // open, so it shows here and the pinned section (which would repeat it) is gone.
    let now_cards = texts(&doc, "section[aria-labelledby=active-heading] article h3");
    assert_eq!(
        now_cards,
        ["Website errors", "Pinned notice", "Database upgrade"]
    );
    let website = doc
        .select(&sel("section[aria-labelledby=active-heading] article"))
        .next()
        .unwrap();
    let website_text: String = website.text().collect();
    assert!(website_text.contains("Identified") && website_text.contains("Found a bad deploy."));
    assert_eq!(website.select(&sel(".updates > li")).count(), 1);
    let upgrade_now = texts(&doc, "section[aria-labelledby=active-heading] article").remove(2);
    assert!(upgrade_now.contains("In progress") && upgrade_now.contains("Public API"));
    assert!(!upgrade_now.contains("Secret"));
    // Every component row carries its 90-day bars (pictures, hidden from assistive
    // technology) and the uptime over them as text.
    for row in doc.select(&sel(".components > li")) {
        let name: String = row.select(&sel("a")).next().unwrap().text().collect();
        let bars = row
            .select(&sel(".uptime ol.history[aria-hidden=true]"))
            .next();
        let bars = bars.unwrap_or_else(|| panic!("{name}: no bars"));
        assert_eq!(bars.select(&sel("li.bar")).count(), 90, "{name}");
        assert!(
            bars.select(&sel("li.bar[tabindex]")).next().is_none(),
            "{name}: the front page's bars are not keyboard stops"
        );
        let figure = texts_in(&row, ".uptime-figure");
        assert_eq!(figure.len(), 1, "{name}");
        assert!(figure[0].ends_with("% uptime"), "{name}: {figure:?}");
    }
    assert!(body.contains("We run <strong>Acme</strong>"));
    // Groups: Core expanded (no <details>), Edge collapsed (closed <details>), Internal
    // hidden; ungrouped components under "Other components".
    assert_eq!(
        texts(&doc, "h3.group-name"),
        ["Core", "Edge", "Other components"]
    );
    let edge = doc.select(&sel("details.group")).next().unwrap();
    assert!(edge.value().attr("open").is_none());
    assert!(edge.text().collect::<String>().contains("CDN"));
    assert!(edge.text().collect::<String>().contains("Major outage"));
    assert!(!body.contains("Internal") && !body.contains("Secret Backend"));
    assert!(!body.contains("Retired Thing") && !body.contains("Hush hush"));
    // Components with text and colour: the API is under maintenance (in-progress window).
    let rows = texts(&doc, ".components li");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Public API") && r.contains("Under maintenance"))
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Website") && r.contains("Partial outage"))
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Mail") && r.contains("Operational"))
    );
    let api_link = format!("/components/{}", ids.api);
    assert!(
        doc.select(&sel(&format!("a[href='{api_link}']")))
            .next()
            .is_some()
    );
    // Metrics: a server-rendered chart.
    assert!(doc.select(&sel("figure.chart svg")).next().is_some());
    // Scheduled maintenance: the upcoming window only (the one in progress is at the top).
    let cards = texts(
        &doc,
        "section[aria-labelledby=maintenance-heading] article h3",
    );
    assert_eq!(cards, ["Network work"]);
    // Timeline: 7 days, newest first, each day labelled; empty days say so.
    let days = texts(&doc, ".day > h3");
    assert_eq!(days.len(), 7);
    assert_eq!(days[0], "Jan 1, 2026");
    assert_eq!(days[2], "Dec 30, 2025");
    let first = texts(&doc, ".day").remove(0);
    assert!(first.contains("Website errors") && first.contains("Identified"));
    assert!(first.contains("Found a bad deploy."));
    assert!(
        texts(&doc, ".day")
            .iter()
            .any(|d| d.contains("No incidents reported."))
    );
    assert!(
        texts(&doc, ".day")
            .iter()
            .any(|d| d.contains("Old resolved thing"))
    );
    // Dates in the site's zone.
    assert!(body.contains("CET"), "Europe/Berlin in winter");
    assert!(body.contains("Times are shown in Europe/Berlin."));
    // Paging.
    let older = doc.select(&sel("a[rel=prev]")).next().unwrap();
    assert_eq!(older.value().attr("href"), Some("/?start_date=2025-12-25"));
    assert!(doc.select(&sel("a[rel=next]")).next().is_none());
    let _ = (
        ids.cdn,
        ids.secret,
        ids.disabled,
        ids.open,
        ids.hidden,
        ids.maintenance,
    );
}

#[tokio::test]
async fn component_and_metric_descriptions_render_as_sanitized_markdown() {
    let h = Harness::new().await;
    let id = comp(
        &h,
        "Payments",
        ComponentStatus::Operational,
        None,
        true,
        "Card **payments** and [refunds](https://docs.example/refunds).\n<script>alert(1)</script>",
        None,
    )
    .await;
    metric(
        &h,
        "Latency",
        "ms",
        "The *p95* of checkout, <img src=x onerror=alert(1)>",
    )
    .await;
    for uri in ["/".to_owned(), format!("/components/{id}")] {
        let body = page(&h.cachet, &uri).await;
        assert_no_executable_markup(&body, &uri);
        let doc = Html::parse_document(&body);
        let desc = doc.select(&sel(".component-desc")).next().unwrap();
        assert_eq!(
            texts_in(&desc, "strong"),
            ["payments"],
            "{uri}: no literal ** left"
        );
        let link = desc.select(&sel("a")).next().unwrap();
        assert_eq!(
            link.value().attr("href"),
            Some("https://docs.example/refunds")
        );
        assert!(link.value().attr("rel").unwrap().contains("nofollow"));
        assert!(!desc.inner_html().contains("**"), "{uri}");
        assert!(
            desc.text().collect::<String>().contains("<script>"),
            "{uri}: shown as text"
        );
    }
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    let caption = doc.select(&sel("figure.chart figcaption")).next().unwrap();
    assert_eq!(texts_in(&caption, ".chart-desc em"), ["p95"]);
    assert!(caption.select(&sel("img")).next().is_none());
    assert!(caption.text().collect::<String>().contains("<img src=x"));
}

#[tokio::test]
async fn collapsed_groups_show_that_they_open() {
    let h = Harness::new().await;
    let g = group(&h, "Edge", Collapsed::Collapsed, GroupVisibility::Public).await;
    comp(
        &h,
        "CDN",
        ComponentStatus::Operational,
        Some(g),
        true,
        "",
        None,
    )
    .await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    // The group's name sits in the summary, where the stylesheet draws the marker.
    assert!(
        doc.select(&sel("details.group > summary > .group-name"))
            .next()
            .is_some()
    );
    let css_href = doc
        .select(&sel("link[rel=stylesheet]"))
        .map(|l| l.value().attr("href").unwrap().to_owned())
        .find(|href| href.contains("/assets/cachet."))
        .unwrap();
    let css = String::from_utf8(get(&h.cachet, &css_href, &[]).await.body().to_vec()).unwrap();
    // `display: flex` on the summary drops the browser's own marker: the stylesheet hides
    // what is left of it and draws one of its own, turned when the group is open.
    let rule = |selector: &str| -> String {
        let at = css
            .find(&format!("{selector} {{"))
            .unwrap_or_else(|| panic!("no rule for {selector}"));
        let rest = &css[at..];
        rest[..rest.find('}').unwrap()].to_owned()
    };
    assert!(rule(".group > summary, .group > .group-head").contains("display: flex"));
    assert!(rule(".group > summary").contains("list-style: none"));
    assert!(rule(".group > summary::-webkit-details-marker").contains("display: none"));
    let marker = rule(".group > summary .group-name::before");
    assert!(marker.contains("content: \"\""), "{marker}");
    assert!(marker.contains("border-width"), "a triangle: {marker}");
    assert!(rule(".group[open] > summary .group-name::before").contains("rotate(90deg)"));
}

#[tokio::test]
async fn collapsed_unless_incident_groups_open_when_troubled() {
    let h = Harness::new().await;
    let calm = group(
        &h,
        "Calm",
        Collapsed::CollapsedUnlessIncident,
        GroupVisibility::Public,
    )
    .await;
    let rough = group(
        &h,
        "Rough",
        Collapsed::CollapsedUnlessIncident,
        GroupVisibility::Public,
    )
    .await;
    comp(
        &h,
        "A",
        ComponentStatus::Operational,
        Some(calm),
        true,
        "",
        None,
    )
    .await;
    comp(
        &h,
        "B",
        ComponentStatus::PerformanceIssues,
        Some(rough),
        true,
        "",
        None,
    )
    .await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    let details: Vec<_> = doc.select(&sel("details.group")).collect();
    assert_eq!(details.len(), 2);
    assert!(details[0].value().attr("open").is_none());
    assert!(details[1].value().attr("open").is_some());
    assert_eq!(
        texts(&doc, ".banner p"),
        ["Some systems are experiencing degraded performance"]
    );
}

#[tokio::test]
async fn an_empty_site_renders_the_all_clear() {
    let h = Harness::new().await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "en", "/");
    assert_eq!(texts(&doc, ".banner p"), ["All systems are operational"]);
    assert_eq!(texts(&doc, "h1"), ["Status"]);
}

#[tokio::test]
async fn only_disrupted_days_hides_empty_days() {
    let h = Harness::new().await;
    realistic(&h).await;
    settings(&h, &[(SettingKey::OnlyDisruptedDays, "1")]).await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    let days = texts(&doc, ".day > h3");
    assert_eq!(days, ["Jan 1, 2026", "Dec 30, 2025"]);
    assert!(!body.contains("No incidents reported."));
}

#[tokio::test]
async fn incident_schedule_and_component_pages_render() {
    let h = Harness::new().await;
    let ids = realistic(&h).await;

    let uri = format!("/incidents/{}", ids.open);
    let body = page(&h.cachet, &uri).await;
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "en", &uri);
    assert_eq!(texts(&doc, "h1"), ["Website errors"]);
    assert_eq!(
        texts(&doc, "head > title"),
        ["Website errors · Acme Status"]
    );
    let facts = texts(&doc, ".facts dd");
    assert_eq!(facts[0], "Identified");
    assert_eq!(facts[1], "Major");
    assert!(facts[2].contains("Jan 1, 2026, 02:00 CET"), "{facts:?}");
    assert!(facts[3].contains("Website"));
    assert_eq!(texts(&doc, ".updates h3"), ["Identified"]);
    assert!(body.contains("Found a bad deploy.") && body.contains("<em>errors</em>"));

    let uri = format!("/schedules/{}", ids.maintenance);
    let body = page(&h.cachet, &uri).await;
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "en", &uri);
    assert_eq!(texts(&doc, "h1"), ["Database upgrade"]);
    let facts = texts(&doc, ".facts dd");
    assert_eq!(facts[0], "In progress");
    assert!(facts[1].contains("Jan 1, 2026, 01:00 CET"));
    assert!(facts[2].contains("Jan 1, 2026, 05:00 CET"));
    assert!(facts[3].contains("Public API") && !facts[3].contains("Secret"));
    assert!(body.contains("Halfway there."));

    let uri = format!("/components/{}", ids.cdn);
    let body = page(&h.cachet, &uri).await;
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "en", &uri);
    assert_eq!(texts(&doc, "h1"), ["CDN"]);
    let facts = texts(&doc, ".facts dd");
    assert_eq!(facts[0], "Major outage");
    assert_eq!(facts[1], "Edge");
    assert!(body.contains("Edge caches"));
    assert!(texts(&doc, "article h3").contains(&"Old resolved thing".to_owned()));
    // 90 labelled, keyboard-reachable history bars: list items (nothing but items in the
    // list) whose label is their text.
    let bars: Vec<_> = doc.select(&sel("ol.history > li[tabindex='0']")).collect();
    assert_eq!(bars.len(), 90);
    assert_eq!(doc.select(&sel("ol.history > *")).count(), 90);
    assert!(doc.select(&sel("ol.history [role]")).next().is_none());
    let last: String = bars[89].text().collect();
    assert_eq!(bars[89].value().attr("title"), Some(last.as_str()));
    assert!(last.starts_with("Jan 1, 2026: "), "{last}");
    assert!(last.contains("% uptime"), "{last}");

    let uri = format!("/components/{}", ids.api);
    let body = page(&h.cachet, &uri).await;
    let doc = Html::parse_document(&body);
    assert_eq!(texts(&doc, ".facts dd")[0], "Under maintenance");
    let link = doc.select(&sel(".facts a")).next().unwrap();
    assert_eq!(link.value().attr("href"), Some("https://api.example"));
}

#[tokio::test]
async fn hidden_disabled_unknown_and_malformed_ids_are_404_never_500() {
    let h = Harness::new().await;
    let ids = realistic(&h).await;
    let uris = [
        format!("/incidents/{}", ids.hidden),
        format!("/components/{}", ids.disabled),
        format!("/components/{}", ids.secret),
        "/incidents/999999".to_owned(),
        "/schedules/999999".to_owned(),
        "/components/999999".to_owned(),
        "/incidents/abc".to_owned(),
        "/incidents/-1".to_owned(),
        "/incidents/0".to_owned(),
        "/components/99999999999999999999999999".to_owned(),
        "/schedules/1%00".to_owned(),
        "/incidents/1/extra".to_owned(),
        "/assets/cachet.css".to_owned(),
        "/assets/cachet.0123456789abcdef.css".to_owned(),
        "/assets/../Cargo.toml".to_owned(),
        "/assets/theme.0000000000000000.css".to_owned(),
    ];
    for uri in &uris {
        let resp = get(&h.cachet, uri, &[]).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn error_pages_are_localised_html_with_the_site_chrome() {
    let h = Harness::new().await;
    settings(
        &h,
        &[
            (SettingKey::AppName, "Acme <Status>"),
            (SettingKey::AppLocale, "fr"),
        ],
    )
    .await;
    for (uri, status, heading) in [
        (
            "/incidents/999999",
            StatusCode::NOT_FOUND,
            "Page introuvable",
        ),
        ("/no/such/page", StatusCode::NOT_FOUND, "Page introuvable"),
        (
            "/?start_date=2026-13-01",
            StatusCode::BAD_REQUEST,
            "Requête invalide",
        ),
    ] {
        let resp = get(&h.cachet, uri, &[]).await;
        assert_eq!(resp.status(), status, "{uri}");
        assert_eq!(
            resp.headers()[http::header::CONTENT_TYPE],
            "text/html; charset=utf-8",
            "{uri}"
        );
        let body = std::str::from_utf8(resp.body()).unwrap();
        let doc = Html::parse_document(body);
        assert_accessible_shell(&doc, "fr", uri);
        assert_eq!(texts(&doc, "h1"), vec![heading.to_owned()], "{uri}");
        assert_eq!(texts(&doc, "a.site-name"), vec!["Acme <Status>".to_owned()]);
        assert_no_executable_markup(body, uri);
        // An error is never cached by browsers or the snapshot as if it were the page.
        assert!(
            !resp
                .headers()
                .get(http::header::CACHE_CONTROL)
                .is_some_and(|v| v.to_str().unwrap().contains("immutable")),
            "{uri}"
        );
    }
    // Unknown methods and API paths keep their own short answers.
    let resp = get(&h.cachet, "/api/v1/nope", &[]).await;
    assert_ne!(
        resp.headers()[http::header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
}

#[tokio::test]
async fn start_date_pages_the_timeline_and_bad_values_are_400() {
    let h = Harness::new().await;
    realistic(&h).await;
    let body = page(&h.cachet, "/?start_date=2025-12-31").await;
    let doc = Html::parse_document(&body);
    let days = texts(&doc, ".day > h3");
    assert_eq!(days[0], "Dec 31, 2025");
    assert_eq!(days.len(), 7);
    assert!(!body.contains("Website errors") || body.contains("Pinned"));
    assert!(
        texts(&doc, ".day")
            .iter()
            .any(|d| d.contains("Old resolved thing"))
    );
    let newer = doc.select(&sel("a[rel=next]")).next().unwrap();
    assert_eq!(newer.value().attr("href"), Some("/"));
    let older = doc.select(&sel("a[rel=prev]")).next().unwrap();
    assert_eq!(older.value().attr("href"), Some("/?start_date=2025-12-24"));
    // A future date means today; unknown parameters are ignored.
    let body = page(&h.cachet, "/?start_date=2030-01-01&utm_source=x").await;
    assert_eq!(
        texts(&Html::parse_document(&body), ".day > h3")[0],
        "Jan 1, 2026"
    );
    for bad in [
        "start_date=2026-13-01",
        "start_date=2026-02-30",
        "start_date=yesterday",
        "start_date=2026-1-1",
        "start_date=%2B2026-01-01",
        "start_date=1969-12-31",
        "start_date=",
        "start_date=2026-01-01&start_date=2026-01-02",
        "start_date=%FF%FE",
        "start_date=99999-01-01",
        "start_date=2026-01-01T00:00",
    ] {
        let resp = get(&h.cachet, &format!("/?{bad}"), &[]).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn pages_have_the_strict_csp_and_nothing_per_visitor() {
    let h = Harness::new().await;
    let ids = realistic(&h).await;
    for uri in [
        "/".to_owned(),
        format!("/incidents/{}", ids.open),
        format!("/schedules/{}", ids.maintenance),
        format!("/components/{}", ids.api),
    ] {
        let a = get(&h.cachet, &uri, &[]).await;
        let b = get(&h.cachet, &uri, &[("cookie", "cachet_session=abc")]).await;
        let csp = a.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
        assert!(!csp.contains("nonce-"));
        assert_eq!(a.body(), b.body(), "{uri}: same bytes for every visitor");
        assert!(a.headers().get("set-cookie").is_none());
        let vary = a
            .headers()
            .get("vary")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(
            !vary.unwrap_or_default().contains("Accept-Language"),
            "no locale variants by default"
        );
        assert_eq!(a.headers()["content-language"], "en");
        assert!(!String::from_utf8_lossy(a.body()).contains("_token"));
    }
}

#[tokio::test]
async fn subresource_integrity_matches_the_served_asset_bytes() {
    let h = Harness::new().await;
    realistic(&h).await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    let mut seen = 0;
    for link in doc.select(&sel("link[rel=stylesheet], link[rel=icon]")) {
        let href = link.value().attr("href").unwrap();
        let resp = get(&h.cachet, href, &[]).await;
        assert_eq!(resp.status(), StatusCode::OK, "{href}");
        assert_eq!(
            resp.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let ct = resp.headers()["content-type"].to_str().unwrap();
        if href.ends_with(".css") {
            assert_eq!(ct, "text/css; charset=utf-8");
        } else {
            assert_eq!(ct, "image/svg+xml");
        }
        // The name carries the first 16 hex digits of the SHA-256 of the bytes.
        let hash: String = sha2::Sha256::digest(resp.body())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(href.contains(&format!(".{hash}.")), "{href}");
        if let Some(integrity) = link.value().attr("integrity") {
            let expected = format!(
                "sha384-{}",
                base64::engine::general_purpose::STANDARD.encode(Sha384::digest(resp.body()))
            );
            assert_eq!(integrity, expected, "{href}");
            seen += 1;
        }
    }
    assert_eq!(seen, 2);
    // The theme follows the settings: a new colour, a new URL; the old one is gone.
    let theme_before = doc
        .select(&sel("link[rel=stylesheet]"))
        .nth(1)
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    settings(&h, &[(SettingKey::ThemeReds, "#aa0000")]).await;
    let body = page(&h.cachet, "/").await;
    assert!(!body.contains(&theme_before));
    let resp = get(&h.cachet, &theme_before, &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let doc = Html::parse_document(&body);
    let theme_after = doc
        .select(&sel("link[rel=stylesheet]"))
        .nth(1)
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let css = get(&h.cachet, &theme_after, &[]).await;
    assert!(String::from_utf8_lossy(css.body()).contains("--red:#aa0000"));
}

#[tokio::test]
async fn locales_switch_by_setting_and_by_accept_language() {
    let h = Harness::new().await;
    let ids = realistic(&h).await;
    settings(&h, &[(SettingKey::AppLocale, "de")]).await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "de", "/");
    assert!(texts(&doc, "h2").contains(&"Komponenten".to_owned()));
    assert_eq!(
        texts(&doc, ".banner p"),
        ["Einige Systeme sind schwer gestört"]
    );
    assert_eq!(texts(&doc, ".day > h3")[2], "30. Dez. 2025");
    assert!(body.contains("Schwerer Ausfall"));
    // Percentages in the history bars take the German decimal comma.
    let flaky = comp(
        &h,
        "Flaky",
        ComponentStatus::PartialOutage,
        None,
        true,
        "",
        None,
    )
    .await;
    h.clock.advance(TimeDelta::minutes(30));
    let component = page(&h.cachet, &format!("/components/{flaky}")).await;
    let bars: Vec<String> = Html::parse_document(&component)
        .select(&sel(".history .bar"))
        .map(|b| b.text().collect::<String>())
        .filter(|l| l.contains(" % Verfügbarkeit") && !l.contains(": 100 %"))
        .collect();
    assert!(!bars.is_empty(), "no bar below 100%: {component}");
    for label in bars {
        // "1. Jan. 2026: 97,9 % Verfügbarkeit, keine Vorfälle"
        let pct = label
            .split_once(": ")
            .and_then(|(_, rest)| rest.split_once(" %"))
            .map(|(pct, _)| pct)
            .unwrap();
        assert!(pct.contains(',') && !pct.contains('.'), "{label}");
    }
    // The header is ignored while automatic localization is off.
    let resp = get(&h.cachet, "/", &[("accept-language", "fr")]).await;
    assert_eq!(resp.headers()["content-language"], "de");

    settings(&h, &[(SettingKey::AutomaticLocalization, "1")]).await;
    let resp = get(
        &h.cachet,
        "/",
        &[("accept-language", "ja, fr-CA;q=0.8, de;q=0.5")],
    )
    .await;
    assert_eq!(resp.headers()["content-language"], "fr");
    assert!(
        resp.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Accept-Language")
    );
    let body = String::from_utf8(resp.body().to_vec()).unwrap();
    let doc = Html::parse_document(&body);
    assert_accessible_shell(&doc, "fr", "/");
    assert!(texts(&doc, "h2").contains(&"Composants".to_owned()));
    assert_eq!(texts(&doc, ".day > h3")[2], "30 déc. 2025");
    // Unsupported languages fall back to the setting; English by header too.
    let resp = get(&h.cachet, "/", &[("accept-language", "ja")]).await;
    assert_eq!(resp.headers()["content-language"], "de");
    let uri = format!("/incidents/{}", ids.open);
    let resp = get(&h.cachet, &uri, &[("accept-language", "en-GB")]).await;
    assert_eq!(resp.headers()["content-language"], "en");
    assert!(String::from_utf8_lossy(resp.body()).contains("Back to the status page"));
}

/// Hostile strings (script tags, event handlers, dangerous URL schemes) for plain-text fields
/// (names, descriptions) and Markdown fields (about text, messages).
const HOSTILE_TEXT: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(1)>",
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "</title><script>alert(1)</script>",
    "{{ 7*7 }} {% raw %}",
];

const HOSTILE_MD: &[&str] = &[
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](javascript&#58;alert(1))",
    "[a](&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29)",
    "[a](jav&#x09;ascript:alert(1))",
    "<a href=\" &#14;  javascript:alert(1)\">x</a>",
    "<javascript:alert(1)>",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[a](vbscript:msgbox(1)) [b](//evil.example/phish) [c](\\\\evil.example)",
    "[a](https://evil.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "![x'\"`onerror=alert(1)](x)",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <svg/onload=alert(1)>",
    "<details open ontoggle=alert(1)> <iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<form action=\"https://evil\"><button formaction=\"javascript:alert(1)\">x</button></form>",
    "<base href=\"https://evil/\"> <meta http-equiv=\"refresh\" content=\"0;url=https://evil\">",
    "<link rel=stylesheet href=//evil/x.css> <object data=\"javascript:alert(1)\"> <embed src=x>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "# heading {onclick=alert(1) #x .y}",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<xmp><b title=></xmp><img src onerror=alert(1)>",
    "<textarea><b title=\"</textarea><img src onerror=alert(1)>\">",
    "<a href=\"https://ok.example\" onclick=\"evil()\">x</a> <a id=location>",
    "\u{202e}gnp.exe\u{202c} [\u{2066}x\u{2069}](https://ok.example/\u{202e}) \u{202e}<script>alert(1)</script>",
];

#[test]
fn bidi_controls_are_refused_at_the_door() {
    // Unicode bidi overrides never reach a name or a description; Markdown allows them for
    // right-to-left prose (the hostile Markdown below carries some).
    let bidi = "\u{202e}gnp.exe\u{202c} \u{2066}x\u{2069}";
    assert!(cachet_core::validate::Name::parse(bidi).is_err());
    assert!(Text::parse(bidi).is_err());
}

#[tokio::test]
async fn hostile_data_in_every_field_finds_no_executable_markup() {
    let h = Harness::new().await;
    let md_all = HOSTILE_MD.join("\n\n");
    let text_all = HOSTILE_TEXT.join(" ");
    settings(
        &h,
        &[
            (SettingKey::AppName, HOSTILE_TEXT[0]),
            (SettingKey::AppAbout, &format!("{md_all}\n\n{text_all}")),
        ],
    )
    .await;
    let t0 = h.clock_now();
    let mut uris = vec!["/".to_owned()];
    for (n, text) in HOSTILE_TEXT.iter().enumerate() {
        let collapsed = if n % 2 == 0 {
            Collapsed::Collapsed
        } else {
            Collapsed::Expanded
        };
        let g = group(&h, text, collapsed, GroupVisibility::Public).await;
        let c = comp(
            &h,
            text,
            ComponentStatus::MajorOutage,
            Some(g),
            true,
            text,
            Some("https://example.com/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        )
        .await;
        uris.push(format!("/components/{c}"));
        let i = incident(
            &h,
            NewInc {
                name: text,
                status: IncidentStatus::Investigating,
                visible: true,
                stickied: n % 3 == 0,
                at: t0,
                message: HOSTILE_MD[n % HOSTILE_MD.len()],
                affected: &[(c, ComponentStatus::PartialOutage)],
            },
        )
        .await;
        uris.push(format!("/incidents/{i}"));
        let s = schedule(
            &h,
            text,
            ScheduleStatus::Upcoming,
            t0 + TimeDelta::hours(1),
            None,
            &[c],
            &md_all,
        )
        .await;
        uris.push(format!("/schedules/{s}"));
        schedule_update(&h, s, &md_all).await;
        metric(&h, text, text, &md_all).await;
    }
    for (n, m) in HOSTILE_MD.iter().enumerate() {
        let i = incident(
            &h,
            NewInc {
                name: &format!("md {n}"),
                status: IncidentStatus::Identified,
                visible: true,
                stickied: true,
                at: t0,
                message: m,
                affected: &[],
            },
        )
        .await;
        update(&h, i, IncidentStatus::Watching, m).await;
        uris.push(format!("/incidents/{i}"));
    }
    h.clock.advance(TimeDelta::minutes(5));
    for lang in ["en", "de", "fr"] {
        settings(&h, &[(SettingKey::AppLocale, lang)]).await;
        for uri in &uris {
            let body = page(&h.cachet, uri).await;
            assert_no_executable_markup(&body, uri);
            // The hostile strings are shown, as text.
            let doc = Html::parse_document(&body);
            let visible: String = doc.root_element().text().collect();
            assert!(visible.contains("<script>alert(1)</script>"), "{uri}");
        }
    }
}

#[tokio::test]
async fn only_displayable_public_metrics_are_charted_and_display_graphs_hides_them() {
    let h = Harness::new().await;
    metric_with(&h, "Shown", "ms", "", Visibility::Public, true).await;
    metric_with(
        &h,
        "Members only",
        "ms",
        "",
        Visibility::Authenticated,
        true,
    )
    .await;
    metric_with(&h, "Hidden one", "ms", "", Visibility::Hidden, true).await;
    metric_with(&h, "No chart", "ms", "", Visibility::Public, false).await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    assert_eq!(texts(&doc, "figure.chart figcaption h3"), ["Shown"]);
    for absent in ["Members only", "Hidden one", "No chart"] {
        assert!(!body.contains(absent), "{absent}");
    }
    settings(&h, &[(SettingKey::DisplayGraphs, "0")]).await;
    let body = page(&h.cachet, "/").await;
    assert!(!body.contains("figure") && !body.contains("Shown"));
}

/// The chart block: one radio, one label and one panel per view, the metric's default view
/// checked, a stylesheet rule that shows each view's panel, and every panel's chart equal to
/// the single-view chart of the same series (the page reads the points once for all four).
#[tokio::test]
async fn metric_charts_switch_ranges_without_javascript() {
    use cachet_core::i18n::{Catalog, Lang};
    use cachet_core::web::charts::{self, view_name};
    let h = Harness::new().await;
    let m = h
        .cachet
        .create_metric(
            &op(),
            &NewMetric::named(name("Latency"))
                .with_suffix(Text::parse("ms").unwrap())
                .with_description(md(""))
                .with_default_value(MetricValue::parse("0").unwrap())
                .with_places(Places::new(2).unwrap())
                .with_default_view(MetricView::Week),
        )
        .await
        .unwrap();
    // Points 20 days, 4 days, 6 hours and 30 minutes ago, so the four views differ.
    for (v, then) in [
        ("1.5", TimeDelta::days(16)),
        ("2.25", TimeDelta::days(4) - TimeDelta::hours(6)),
        ("4", TimeDelta::minutes(330)),
        ("8.5", TimeDelta::minutes(30)),
    ] {
        h.cachet
            .record_metric_point(&op(), m.id, MetricValue::parse(v).unwrap(), None)
            .await
            .unwrap();
        h.clock.advance(then);
    }
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    let figure_sel = format!("figure#metric-{}", m.id.0);
    let figure = doc.select(&sel(&figure_sel)).next().expect("the chart");
    let radios: Vec<_> = figure.select(&sel("input[type=radio]")).collect();
    assert_eq!(radios.len(), MetricView::ALL.len());
    let group = format!("metric-{}-range", m.id.0);
    let mut css_rules = Vec::new();
    for (radio, view) in radios.iter().zip(MetricView::ALL) {
        let v = view_name(*view);
        assert_eq!(radio.value().attr("name"), Some(group.as_str()));
        assert_eq!(radio.value().attr("value"), Some(v));
        // Described by the switcher's label ("Time range of Latency").
        let described = radio.value().attr("aria-describedby").unwrap();
        let description: String = figure
            .select(&sel(&format!("#{described}")))
            .next()
            .unwrap()
            .text()
            .collect();
        assert_eq!(description, "Time range of Latency");
        assert_eq!(
            radio.value().attr("checked").is_some(),
            *view == MetricView::Week,
            "{v}"
        );
        // Its label, named with the metric, and its panel holding one chart.
        let id = radio.value().attr("id").unwrap();
        let label = figure
            .select(&sel(&format!("label[for=\"{id}\"]")))
            .next()
            .unwrap_or_else(|| panic!("no label for {id}"));
        let label_text: String = label.text().collect();
        assert!(label_text.starts_with("Latency: "), "{label_text}");
        let panels: Vec<_> = figure
            .select(&sel(&format!(".chart-panel.panel-{v} > svg")))
            .collect();
        assert_eq!(panels.len(), 1, "{v}");
        let (metric, series) = charts::metric_series(&h.cachet, m.id, *view, h.clock_now())
            .await
            .unwrap();
        let alone = charts::render_svg(&series, &metric, &Catalog::new(Lang::En));
        assert!(
            body.contains(&format!(
                "<div class=\"chart-panel panel-{v}\">{alone}</div>"
            )),
            "{v}: the page's chart differs from the single-view chart"
        );
        let (long, _) = charts::view_words(&Catalog::new(Lang::En), *view);
        let title: String = panels[0]
            .select(&sel("title"))
            .next()
            .unwrap()
            .text()
            .collect();
        assert!(
            title.starts_with(&format!("Latency ({long}): minimum")),
            "{v}: {title}"
        );
        css_rules.push(format!(".pick-{v}:checked ~ .panel-{v}"));
    }
    // The views hold different data (else the comparison above would prove little).
    let maxima: std::collections::HashSet<String> = figure
        .select(&sel(".chart-panel svg title"))
        .map(|d| {
            d.text()
                .collect::<String>()
                .split(", ")
                .nth(1)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(maxima.len(), 2, "{maxima:?}"); // 8.50 in the hour views, 12.50 by day
    // The stylesheet shows each view's panel when its radio is checked.
    let css_href = doc
        .select(&sel("link[rel=stylesheet]"))
        .map(|l| l.value().attr("href").unwrap().to_owned())
        .find(|href| href.contains("/assets/cachet."))
        .unwrap();
    let css = String::from_utf8(get(&h.cachet, &css_href, &[]).await.body().to_vec()).unwrap();
    for rule in css_rules {
        assert!(css.contains(&rule), "missing CSS rule {rule}");
    }
    // No script anywhere, and no form: switching is the browser's own radio behaviour.
    assert!(!body.contains("<script") && !body.contains("<form"));

    // In German: titles, summaries, switcher words and numbers with a decimal comma.
    settings(&h, &[(SettingKey::AppLocale, "de")]).await;
    let body = page(&h.cachet, "/").await;
    let doc = Html::parse_document(&body);
    let figure = doc.select(&sel(&figure_sel)).next().unwrap();
    let week: String = figure
        .select(&sel(".panel-week > svg > title"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(
        week.starts_with("Latency (letzte Woche): Minimum "),
        "{week}"
    );
    assert!(week.contains(",00 ms") || week.contains(",50 ms"), "{week}");
    assert!(!week.contains(".00 ms"), "{week}");
    let labels: Vec<String> = figure
        .select(&sel(".chart-ranges label"))
        .map(|l| l.text().collect())
        .collect();
    assert_eq!(
        labels,
        [
            "Latency: 1 Stunde",
            "Latency: 12 Stunden",
            "Latency: Woche",
            "Latency: Monat"
        ]
    );
}
