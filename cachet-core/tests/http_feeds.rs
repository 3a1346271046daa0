//! Feeds (RSS, Atom, iCalendar) and SVG badges through `Cachet::handle`: parsed back with real
//! parser crates (`rss`, `atom_syndication`, `icalendar`'s parser, `roxmltree`), hostile data
//! in every field, visibility, absolute links under a hostile `Host`, CORS, 404s.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use chrono::TimeDelta;
use common::*;
use http::{Request, Response, StatusCode};

use cachet_core::Cachet;
use cachet_core::clock::{Clock, Timestamp};
use cachet_core::model::*;
use cachet_core::validate::Order;
use cachet_core::web::RequestContext;

const BASE: &str = "https://status.example.com";

/// Titles and names that must come out escaped (HTML in plain text, plus XML's own traps).
const HOSTILE_TITLE: &str =
    r#"A & B <b>x</b> ]]> "><script>alert(1)</script> '><img src=x onerror=alert(1)>"#;

/// A Markdown message full of XSS shapes (dangerous link schemes, raw HTML).
const HOSTILE_MESSAGE: &str = "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) \
<script>alert(1)</script> <img src=x onerror=alert(1)> <svg/onload=alert(1)> \
[c](https://ok.example \"]]> onmouseover=alert(1)\") ]]> & <![CDATA[x]]> \
<a href=\"https://ok.example\" onclick=\"evil()\">x</a>";

async fn send(cachet: &Cachet, uri: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    send_method(cachet, "GET", uri, headers).await
}

async fn send_method(
    cachet: &Cachet,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> Response<Bytes> {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let cx = RequestContext {
        peer: Some("192.0.2.1:5000".parse().unwrap()),
        principal: None,
    };
    cachet.handle(b.body(Bytes::new()).unwrap(), cx).await
}

async fn comp(
    h: &Harness,
    n: &str,
    status: ComponentStatus,
    group: Option<GroupId>,
    enabled: bool,
) -> Component {
    let mut new = NewComponent::named(name(n), status);
    new.group_id = group;
    new.enabled = enabled;
    h.cachet.create_component(&op(), &new).await.unwrap()
}

async fn group(h: &Harness, n: &str, visible: GroupVisibility) -> ComponentGroup {
    h.cachet
        .create_group(
            &op(),
            &NewComponentGroup::named(name(n))
                .with_order(Order::new(0).unwrap())
                .with_visible(visible),
        )
        .await
        .unwrap()
}

async fn incident(
    h: &Harness,
    n: &str,
    status: IncidentStatus,
    visible: bool,
    occurred_at: Timestamp,
    message: &str,
    affected: &[(ComponentId, ComponentStatus)],
) -> Incident {
    h.cachet
        .create_incident(
            &op(),
            &NewIncident::new(name(n), status, md(message), occurred_at)
                .with_visible(visible)
                .with_components(
                    affected
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
}

async fn schedule(
    h: &Harness,
    n: &str,
    status: ScheduleStatus,
    start: Timestamp,
    end: Option<Timestamp>,
    components: &[ComponentId],
    message: &str,
) -> Schedule {
    h.cachet
        .create_schedule(
            &op(),
            &NewSchedule::new(name(n), md(message), status, start)
                .with_completed_at(end)
                .with_components(components.to_vec()),
        )
        .await
        .unwrap()
}

/// No executable markup in HTML that a feed reader will render (the hostile-input
/// oracle): parsed with html5ever (scraper), no dangerous element, no event or style
/// attribute, every link `http`, `https` or `mailto`.
fn assert_inert_html(html: &str) {
    let doc = scraper::Html::parse_fragment(html);
    for node in doc.tree.values() {
        let Some(el) = node.as_element() else {
            continue;
        };
        let tag = el.name().to_ascii_lowercase();
        assert!(
            ![
                "script", "img", "svg", "math", "iframe", "object", "embed", "form", "style",
                "base", "meta", "link", "input", "button",
            ]
            .contains(&tag.as_str()),
            "<{tag}> in {html}"
        );
        for (name, value) in el.attrs() {
            let name = name.to_ascii_lowercase();
            assert!(
                !name.starts_with("on") && name != "style" && name != "srcdoc",
                "{name} in {html}"
            );
            if ["href", "src", "action", "formaction", "xlink:href"].contains(&name.as_str()) {
                let v: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                assert!(
                    v.starts_with("http:") || v.starts_with("https:") || v.starts_with("mailto:"),
                    "{name}={value} in {html}"
                );
            }
        }
    }
}

/// A page with hostile data: visible incidents with updates, a hidden one, components.
async fn hostile_page() -> (Harness, Vec<Incident>) {
    let h = Harness::new().await;
    settings(
        &h,
        &[
            (SettingKey::AppName, "Acme & <Co> ]]>"),
            (SettingKey::AllowedDomains, "https://embed.example"),
        ],
    )
    .await;
    let api = comp(&h, "API", ComponentStatus::Operational, None, true).await;
    let t0 = h.clock_now();
    let first = incident(
        &h,
        HOSTILE_TITLE,
        IncidentStatus::Investigating,
        true,
        t0,
        HOSTILE_MESSAGE,
        &[(api.id, ComponentStatus::PartialOutage)],
    )
    .await;
    h.clock.advance(TimeDelta::minutes(10));
    update(&h, first.id, IncidentStatus::Identified, HOSTILE_MESSAGE).await;
    h.clock.advance(TimeDelta::minutes(10));
    update(&h, first.id, IncidentStatus::Fixed, "All good **now**.").await;
    let hidden = incident(
        &h,
        "SECRET hidden incident",
        IncidentStatus::Investigating,
        false,
        t0 + TimeDelta::minutes(5),
        "SECRET hidden message",
        &[],
    )
    .await;
    update(&h, hidden.id, IncidentStatus::Identified, "SECRET update").await;
    h.clock.advance(TimeDelta::minutes(10));
    let second = incident(
        &h,
        "Slow logins",
        IncidentStatus::Watching,
        true,
        h.clock_now(),
        "",
        &[],
    )
    .await;
    (h, vec![second, first])
}

const HOSTILE_HOST: &[(&str, &str)] = &[
    ("host", "evil.example"),
    ("x-forwarded-host", "evil.example"),
    ("x-forwarded-proto", "http"),
];

#[tokio::test]
async fn rss_parses_escapes_and_hides() {
    let (h, incidents) = hostile_page().await;
    let resp = send(&h.cachet, "/rss", HOSTILE_HOST).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let body = resp.body().clone();
    let text = std::str::from_utf8(&body).unwrap();
    assert!(!text.contains("SECRET"), "{text}");
    assert!(!text.contains("evil.example"), "{text}");

    let channel = rss::Channel::read_from(&body[..]).unwrap();
    assert_eq!(channel.title(), "Acme & <Co> ]]> - Incident History");
    assert_eq!(channel.link(), format!("{BASE}/"));
    assert_eq!(channel.items().len(), 2);
    for (item, inc) in channel.items().iter().zip(&incidents) {
        let link = format!("{BASE}/incidents/{}", inc.id);
        assert_eq!(item.title(), Some(inc.name.as_str()));
        assert_eq!(item.link(), Some(link.as_str()));
        let guid = item.guid().unwrap();
        assert_eq!(guid.value(), link);
        assert!(guid.is_permalink());
        let date = chrono::DateTime::parse_from_rfc2822(item.pub_date().unwrap()).unwrap();
        assert_eq!(date, inc.occurred_at);
        assert_inert_html(item.description().unwrap());
    }
    let first = channel.items()[1].description().unwrap();
    // Timeline newest first, the first message last, in Statuspage's vocabulary.
    let resolved = first.find("Resolved").unwrap();
    let identified = first.find("Identified").unwrap();
    let investigating = first.find("Investigating").unwrap();
    assert!(
        resolved < identified && identified < investigating,
        "{first}"
    );
    assert!(first.contains("<strong>now</strong>"));
    assert!(first.contains("]]&gt;"), "{first}");
    // The message-less incident still has its status.
    assert!(
        channel.items()[0]
            .description()
            .unwrap()
            .contains("Monitoring")
    );
    assert!(channel.last_build_date().is_some());

    // Statuspage's path serves the same bytes.
    let again = send(&h.cachet, "/history.rss", &[]).await;
    assert_eq!(again.body(), &body);
}

#[tokio::test]
async fn atom_parses_escapes_and_hides() {
    let (h, incidents) = hostile_page().await;
    let resp = send(&h.cachet, "/atom", HOSTILE_HOST).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let body = resp.body().clone();
    let text = std::str::from_utf8(&body).unwrap();
    assert!(!text.contains("SECRET") && !text.contains("evil.example"));
    // Well-formed XML by an independent parser too.
    roxmltree::Document::parse(text).unwrap();

    let feed = atom_syndication::Feed::read_from(&body[..]).unwrap();
    assert_eq!(feed.title().as_str(), "Acme & <Co> ]]> - Incident History");
    assert_eq!(feed.id(), format!("{BASE}/history.atom"));
    assert!(feed.links().iter().any(|l| l.rel() == "self"));
    assert_eq!(feed.authors()[0].name(), "Acme & <Co> ]]>");
    assert_eq!(feed.entries().len(), 2);
    for (entry, inc) in feed.entries().iter().zip(&incidents) {
        let link = format!("{BASE}/incidents/{}", inc.id);
        assert_eq!(entry.title().as_str(), inc.name.as_str());
        assert_eq!(entry.id(), link);
        assert_eq!(entry.links()[0].href(), link);
        assert_eq!(
            entry.published().copied(),
            Some(inc.occurred_at.fixed_offset())
        );
        assert!(*entry.updated() >= inc.occurred_at.fixed_offset());
        let content = entry.content().unwrap();
        assert_eq!(content.content_type(), Some("html"));
        assert_inert_html(content.value().unwrap());
    }
    assert_eq!(
        *feed.updated(),
        *feed.entries()[0].updated().max(feed.entries()[1].updated())
    );

    let again = send(&h.cachet, "/history.atom", &[]).await;
    assert_eq!(again.body(), &body);
}

#[tokio::test]
async fn incident_feeds_hold_the_50_most_recent() {
    let h = Harness::new().await;
    let t0 = h.clock_now();
    for n in 0..55 {
        incident(
            &h,
            &format!("Incident {n}"),
            IncidentStatus::Fixed,
            true,
            t0 + TimeDelta::minutes(n),
            "m",
            &[],
        )
        .await;
    }
    let rss = send(&h.cachet, "/rss", &[]).await;
    let channel = rss::Channel::read_from(&rss.body()[..]).unwrap();
    assert_eq!(channel.items().len(), 50);
    assert_eq!(channel.items()[0].title(), Some("Incident 54"));
    assert_eq!(channel.items()[49].title(), Some("Incident 5"));
    // Site name unset: Cachet's default.
    assert_eq!(channel.title(), "Cachet - Incident History");
    let atom = send(&h.cachet, "/atom", &[]).await;
    let feed = atom_syndication::Feed::read_from(&atom.body()[..]).unwrap();
    assert_eq!(feed.entries().len(), 50);
}

#[tokio::test]
async fn feeds_speak_the_site_locale_and_date_style() {
    let h = Harness::new().await;
    settings(
        &h,
        &[
            (SettingKey::AppName, "Acme"),
            (SettingKey::AppLocale, "de"),
            (SettingKey::DateFormat, "iso"),
        ],
    )
    .await;
    let at = h.clock.now();
    let i = incident(
        &h,
        "Ausfall",
        IncidentStatus::Identified,
        true,
        at,
        "x",
        &[],
    )
    .await;
    update(&h, i.id, IncidentStatus::Fixed, "weg").await;
    let rss = send(&h.cachet, "/rss", &[]).await;
    let channel = rss::Channel::read_from(&rss.body()[..]).unwrap();
    assert_eq!(channel.title(), "Acme – Störungsverlauf");
    assert_eq!(channel.description(), "Störungen und ihre Updates von Acme");
    let content = channel.items()[0].description().unwrap();
    assert!(content.contains("Behoben"), "{content}");
    assert!(content.contains("Wird untersucht"), "{content}");
    let day = at.format("%Y-%m-%d").to_string();
    assert!(
        content.contains(&day),
        "ISO date {day} expected in {content}"
    );
    let atom = send(&h.cachet, "/atom", &[]).await;
    let feed = atom_syndication::Feed::read_from(&atom.body()[..]).unwrap();
    assert_eq!(feed.title().as_str(), "Acme – Störungsverlauf");
    let page = send(&h.cachet, "/", &[]).await;
    let html = std::str::from_utf8(page.body()).unwrap();
    assert!(html.contains(r#"title="Störungsverlauf (RSS)""#), "{html}");
}

#[tokio::test]
async fn empty_feeds_are_valid_and_stable() {
    let h = Harness::new().await;
    let rss = send(&h.cachet, "/rss", &[]).await;
    let channel = rss::Channel::read_from(&rss.body()[..]).unwrap();
    assert!(channel.items().is_empty());
    let atom = send(&h.cachet, "/atom", &[]).await;
    let feed = atom_syndication::Feed::read_from(&atom.body()[..]).unwrap();
    assert!(feed.entries().is_empty());
    assert_eq!(feed.updated().timestamp(), 0);
    h.clock.advance(TimeDelta::hours(5));
    assert_eq!(send(&h.cachet, "/atom", &[]).await.body(), atom.body());
    assert_eq!(send(&h.cachet, "/rss", &[]).await.body(), rss.body());
    let ics = send(&h.cachet, "/schedules.ics", &[]).await;
    let text = std::str::from_utf8(ics.body()).unwrap();
    let unfolded = icalendar::parser::unfold(text);
    let cal = icalendar::parser::read_calendar(&unfolded).unwrap();
    assert!(cal.components.is_empty());
}

#[tokio::test]
async fn feeds_are_open_and_the_rest_get_cors_for_allowed_origins_only() {
    let (h, _) = hostile_page().await;
    for path in [
        "/rss",
        "/atom",
        "/history.rss",
        "/history.atom",
        "/schedules.ics",
        "/badge.svg",
    ] {
        // The RSS and Atom feeds are open to every origin; the rest follow the list.
        let open = !matches!(path, "/schedules.ics" | "/badge.svg");
        let ok = send(&h.cachet, path, &[("origin", "https://embed.example")]).await;
        assert_eq!(ok.status(), StatusCode::OK, "{path}");
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            if open { "*" } else { "https://embed.example" },
            "{path}"
        );
        assert!(
            !ok.headers()
                .contains_key("access-control-allow-credentials")
        );
        assert!(ok.headers().get_all("vary").iter().any(|v| v == "Origin"));
        let denied = send(&h.cachet, path, &[("origin", "https://evil.example")]).await;
        assert_eq!(
            denied
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap_or("")),
            open.then_some("*"),
            "{path}"
        );
        // HEAD: same headers, no body.
        let head = send_method(&h.cachet, "HEAD", path, &[]).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.body().is_empty());
        assert_eq!(head.headers()["content-type"], ok.headers()["content-type"]);
    }
}

fn ics_text(resp: &Response<Bytes>) -> String {
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    String::from_utf8(resp.body().to_vec()).unwrap()
}

/// Every line ends in CRLF, holds at most 75 octets, and no bare CR or LF is left.
fn assert_folded(text: &str) {
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text[..text.len() - 2].split("\r\n").collect();
    for l in &lines {
        assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
        assert!(!l.contains('\r') && !l.contains('\n'), "{l:?}");
    }
}

#[tokio::test]
async fn calendar_parses_folds_and_escapes() {
    let h = Harness::new().await;
    settings(&h, &[(SettingKey::AppName, "Acme, Inc; \\o/")]).await;
    let api = comp(&h, "API", ComponentStatus::Operational, None, true).await;
    let t0 = h.clock_now();
    let tricky = "DB upgrade, phase 1; \\backslash\\ — ünïcödé ✓ <b>&amp;</b>";
    let long_message = format!(
        "Line one, with commas; and semicolons.\r\nLine two \\ backslash.\n\n{}\rEnd é✓",
        "Grüße aus Köln 🎉 ".repeat(20)
    );
    let closed = schedule(
        &h,
        tricky,
        ScheduleStatus::Complete,
        t0 - TimeDelta::hours(3),
        Some(t0 - TimeDelta::hours(1)),
        &[api.id],
        &long_message,
    )
    .await;
    let open = schedule(
        &h,
        "Open-ended window",
        ScheduleStatus::Upcoming,
        t0 + TimeDelta::days(2),
        None,
        &[],
        "",
    )
    .await;
    let text = ics_text(&send(&h.cachet, "/schedules.ics", HOSTILE_HOST).await);
    assert!(!text.contains("evil.example"));
    assert_folded(&text);
    assert!(
        text.lines().any(|l| l.starts_with(' ')),
        "the long description is folded"
    );

    let unfolded = icalendar::parser::unfold(&text);
    let cal = icalendar::parser::read_calendar(&unfolded).unwrap();
    let prop = |props: &[icalendar::parser::Property<'_>], name: &str| -> String {
        props
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.val.clone().unescape_text().as_str().to_owned())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(prop(&cal.properties, "VERSION"), "2.0");
    assert!(prop(&cal.properties, "PRODID").contains("cachet-rs"));
    assert_eq!(
        prop(&cal.properties, "X-WR-CALNAME"),
        "Acme, Inc; \\o/ maintenance"
    );
    assert_eq!(cal.components.len(), 2);
    let events: Vec<_> = cal.components.iter().collect();
    for e in &events {
        assert_eq!(e.name.as_str(), "VEVENT");
        for p in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL"] {
            prop(&e.properties, p);
        }
    }
    // Newest start first: the open window, then the closed one.
    let (o, c) = (&events[0].properties, &events[1].properties);
    assert_eq!(
        prop(o, "UID"),
        format!("schedule-{}@status.example.com", open.id)
    );
    assert_eq!(prop(o, "SUMMARY"), "Open-ended window");
    assert_eq!(
        prop(o, "DTSTART"),
        open.scheduled_at.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(
        prop(o, "DTEND"),
        (open.scheduled_at + TimeDelta::hours(1))
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    );
    assert!(o.iter().all(|p| p.name.as_str() != "DESCRIPTION"));
    assert_eq!(prop(o, "URL"), format!("{BASE}/schedules/{}", open.id));

    assert_eq!(
        prop(c, "UID"),
        format!("schedule-{}@status.example.com", closed.id)
    );
    assert_eq!(prop(c, "SUMMARY"), tricky);
    assert_eq!(
        prop(c, "DESCRIPTION"),
        long_message.replace("\r\n", "\n").replace('\r', "\n")
    );
    assert_eq!(
        prop(c, "DTEND"),
        closed
            .completed_at
            .unwrap()
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    );
    assert_eq!(
        prop(c, "DTSTAMP"),
        closed.updated_at.format("%Y%m%dT%H%M%SZ").to_string()
    );
    // The escapes themselves, on the wire.
    assert!(text.contains(r"SUMMARY:DB upgrade\, phase 1\; \\backslash\\"));
}

#[tokio::test]
async fn calendar_holds_open_windows_and_the_50_most_recent() {
    let h = Harness::new().await;
    let t0 = h.clock_now();
    for n in 0..60 {
        schedule(
            &h,
            &format!("Past {n}"),
            ScheduleStatus::Complete,
            t0 - TimeDelta::days(100 - n),
            Some(t0 - TimeDelta::days(100 - n) + TimeDelta::hours(2)),
            &[],
            "done",
        )
        .await;
    }
    let text = ics_text(&send(&h.cachet, "/schedules.ics", &[]).await);
    let unfolded = icalendar::parser::unfold(&text);
    let cal = icalendar::parser::read_calendar(&unfolded).unwrap();
    assert_eq!(cal.components.len(), 50);
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 50);
    assert!(text.contains("SUMMARY:Past 59\r\n") && !text.contains("SUMMARY:Past 9\r\n"));
}

// ---- badges ----

fn svg(resp: &Response<Bytes>) -> String {
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    String::from_utf8(resp.body().to_vec()).unwrap()
}

/// Well-formed, accessible, inert SVG; returns its title.
fn check_svg(text: &str) -> String {
    let doc = roxmltree::Document::parse(text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("role"), Some("img"));
    let label = root.attribute("aria-label").unwrap().to_owned();
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(title, label);
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name().to_ascii_lowercase();
        assert!(
            ![
                "script",
                "foreignobject",
                "a",
                "image",
                "use",
                "iframe",
                "style"
            ]
            .contains(&tag.as_str()),
            "{tag}"
        );
        for attr in node.attributes() {
            let name = attr.name().to_ascii_lowercase();
            assert!(!name.starts_with("on"), "{name}");
            assert!(name != "href", "{name}");
            let value = attr.value().to_ascii_lowercase();
            assert!(!value.contains("javascript:"), "{value}");
            if value.contains("url(") {
                assert!(value.starts_with("url(#"), "external reference {value}");
            }
        }
    }
    let lower = text.to_ascii_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("javascript:"));
    title.to_owned()
}

#[tokio::test]
async fn page_badge_follows_the_overall_rule() {
    let h = Harness::new().await;
    let text = svg(&send(&h.cachet, "/badge.svg", HOSTILE_HOST).await);
    assert_eq!(check_svg(&text), "status: operational");
    assert!(text.contains(&Settings::default().theme_greens));

    settings(
        &h,
        &[
            (SettingKey::AppName, HOSTILE_TITLE),
            (SettingKey::ThemeReds, "#aa0011"),
            (SettingKey::ThemeYellows, "#bb0022"),
        ],
    )
    .await;
    let api = comp(&h, "API", ComponentStatus::PartialOutage, None, true).await;
    let text = svg(&send(&h.cachet, "/badge.svg", &[]).await);
    assert_eq!(check_svg(&text), format!("{HOSTILE_TITLE}: partial outage"));
    assert!(text.contains("#bb0022"));
    // A disabled component counts for nothing; a hidden incident neither.
    comp(&h, "Off", ComponentStatus::MajorOutage, None, false).await;
    incident(
        &h,
        "hidden",
        IncidentStatus::Investigating,
        false,
        h.clock_now(),
        "",
        &[(api.id, ComponentStatus::MajorOutage)],
    )
    .await;
    let text = svg(&send(&h.cachet, "/badge.svg", &[]).await);
    assert!(check_svg(&text).ends_with(": partial outage"));
    // A visible unresolved incident with a major outage wins.
    incident(
        &h,
        "visible",
        IncidentStatus::Investigating,
        true,
        h.clock_now(),
        "",
        &[(api.id, ComponentStatus::MajorOutage)],
    )
    .await;
    let text = svg(&send(&h.cachet, "/badge.svg", &[]).await);
    assert!(check_svg(&text).ends_with(": major outage"));
    assert!(text.contains("#aa0011"));
}

#[tokio::test]
async fn component_badges_show_effective_status() {
    let h = Harness::new().await;
    settings(&h, &[(SettingKey::ThemeAccent, "#123abc")]).await;
    let hostile = comp(&h, HOSTILE_TITLE, ComponentStatus::MajorOutage, None, true).await;
    let down = svg(&send(
        &h.cachet,
        &format!("/components/{}/badge.svg", hostile.id),
        &[],
    )
    .await);
    assert_eq!(check_svg(&down), format!("{HOSTILE_TITLE}: major outage"));
    let alias = svg(&send(&h.cachet, &format!("/component/{}/shield", hostile.id), &[]).await);
    assert_eq!(alias, down);

    // Under an in-progress maintenance window: maintenance, in the accent colour.
    let db = comp(&h, "Database", ComponentStatus::Operational, None, true).await;
    schedule(
        &h,
        "Upgrade",
        ScheduleStatus::InProgress,
        h.clock_now() - TimeDelta::minutes(5),
        None,
        &[db.id],
        "",
    )
    .await;
    let maint = svg(&send(&h.cachet, &format!("/components/{}/badge.svg", db.id), &[]).await);
    assert_eq!(check_svg(&maint), "Database: maintenance");
    assert!(maint.contains("#123abc"));

    // Unknown shows as operational.
    let unknown = comp(&h, "Mystery", ComponentStatus::Unknown, None, true).await;
    let text = svg(&send(
        &h.cachet,
        &format!("/components/{}/badge.svg", unknown.id),
        &[],
    )
    .await);
    assert_eq!(check_svg(&text), "Mystery: operational");

    // Styles: flat is rounded, flat-square is not; other values are ignored.
    let flat = svg(&send(
        &h.cachet,
        &format!("/components/{}/badge.svg?style=flat", db.id),
        &[],
    )
    .await);
    assert_eq!(flat, maint);
    assert!(flat.contains("rx=\"3\""));
    let square = svg(&send(
        &h.cachet,
        &format!("/components/{}/badge.svg?style=flat-square", db.id),
        &[],
    )
    .await);
    check_svg(&square);
    assert!(!square.contains("rx=") && !square.contains("linearGradient"));
    let other = svg(&send(
        &h.cachet,
        &format!("/components/{}/badge.svg?style=%22%3E%3Cscript%3E", db.id),
        &[],
    )
    .await);
    assert_eq!(other, maint);

    // A very long name is shortened on the badge but whole in the title.
    let long = "Long".repeat(30);
    let c = comp(&h, &long, ComponentStatus::Operational, None, true).await;
    let text = svg(&send(&h.cachet, &format!("/components/{}/badge.svg", c.id), &[]).await);
    assert_eq!(check_svg(&text), format!("{long}: operational"));
    assert!(text.contains('…'));
}

#[tokio::test]
async fn badges_of_what_a_visitor_cannot_see_are_not_found() {
    let h = Harness::new().await;
    let disabled = comp(&h, "Disabled", ComponentStatus::MajorOutage, None, false).await;
    let private = group(&h, "Internal", GroupVisibility::Authenticated).await;
    let internal = comp(
        &h,
        "Internal DB",
        ComponentStatus::Operational,
        Some(private.id),
        true,
    )
    .await;
    let public = group(&h, "Public", GroupVisibility::Public).await;
    let shown = comp(
        &h,
        "Web",
        ComponentStatus::Operational,
        Some(public.id),
        true,
    )
    .await;
    let id = |c: &Component| c.id.to_string();
    let mut paths = Vec::new();
    for segment in [
        id(&disabled),
        id(&internal),
        "999999".to_owned(),
        "0".to_owned(),
        "-1".to_owned(),
        "abc".to_owned(),
        "1.0".to_owned(),
        "%31".to_owned(),
        "99999999999999999999999".to_owned(),
        "..%2f..%2fetc%2fpasswd".to_owned(),
    ] {
        paths.push(format!("/components/{segment}/badge.svg"));
        paths.push(format!("/component/{segment}/shield"));
    }
    for path in &paths {
        let resp = send(&h.cachet, path, &[]).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body = String::from_utf8_lossy(resp.body());
        assert!(
            !body.contains("Disabled") && !body.contains("Internal"),
            "{path}"
        );
    }
    let ok = send(
        &h.cachet,
        &format!("/components/{}/badge.svg", shown.id),
        &[],
    )
    .await;
    assert_eq!(check_svg(&svg(&ok)), "Web: operational");
}

#[tokio::test]
async fn hostile_names_in_badges_stay_text() {
    let h = Harness::new().await;
    for n in [
        "\"><script>alert(1)</script>",
        "'><img src=x onerror=alert(1)>",
        "</title><script>alert(1)</script>",
        "\" autofocus onfocus=alert(1) x=\"",
        "javascript:alert(1)",
        "]]><!-- <x>",
        "{{7*7}} ${alert(1)}",
        "ＡＰＩ 日本語 Pаyments",
    ] {
        let c = comp(&h, n, ComponentStatus::PerformanceIssues, None, true).await;
        let resp = send(&h.cachet, &format!("/components/{}/badge.svg", c.id), &[]).await;
        let text = svg(&resp);
        if n.contains("javascript:") {
            // As text, escaped: the check below is about attribute values and markup.
            let doc = roxmltree::Document::parse(&text).unwrap();
            assert!(
                doc.root_element()
                    .attribute("aria-label")
                    .unwrap()
                    .contains(n)
            );
        } else {
            assert_eq!(check_svg(&text), format!("{n}: performance issues"));
        }
    }
}

#[tokio::test]
async fn feeds_answer_only_their_paths() {
    let h = Harness::new().await;
    for path in [
        "/rss.xml",
        "/feed",
        "/RSS",
        "/atom.xml",
        "/schedules.ical",
        "/badge.png",
    ] {
        assert_eq!(
            send(&h.cachet, path, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Trailing slash is the same path.
    assert_eq!(send(&h.cachet, "/rss/", &[]).await.status(), StatusCode::OK);
}

#[test]
fn alternate_links_advertise_every_feed() {
    let url = cachet_core::validate::HttpUrl::parse("https://status.example.com/").unwrap();
    let links = cachet_core::web::feeds::alternate_links(
        &url,
        &cachet_core::i18n::Catalog::new(cachet_core::i18n::Lang::En),
    );
    for (mime, path) in [
        ("application/rss+xml", "/history.rss"),
        ("application/atom+xml", "/history.atom"),
        ("text/calendar", "/schedules.ics"),
    ] {
        assert!(
            links.contains(&format!(
                r#"<link rel="alternate" type="{mime}" href="{BASE}{path}""#
            )),
            "{links}"
        );
    }
}

#[tokio::test]
async fn rss_channel_description_is_escaped_for_readers_that_render_html() {
    let h = Harness::new().await;
    settings(
        &h,
        &[(SettingKey::AppName, "<img src=x onerror=alert(1)> & Co")],
    )
    .await;
    for path in ["/rss", "/history.rss"] {
        let resp = send(&h.cachet, path, &[]).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let channel = rss::Channel::read_from(&resp.body()[..]).unwrap();
        // What a reader gets after XML parsing is HTML that shows the name as text.
        let description = channel.description();
        assert_inert_html(description);
        assert!(
            description.contains("&lt;img src=x onerror=alert(1)&gt; &amp; Co"),
            "{description}"
        );
        let doc = scraper::Html::parse_fragment(description);
        let text: String = doc.root_element().text().collect();
        assert!(text.contains("<img src=x onerror=alert(1)> & Co"), "{text}");
    }
}
