//! The chart data JSON at `/metrics/{id}`, the SVG charts and the 90-day history, through
//! `Cachet::handle` and the facade on a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use cachet_core::Cachet;
use cachet_core::history::{self, component_history};
use cachet_core::i18n::{Catalog, Lang};
use cachet_core::model::*;
use cachet_core::validate::{Markdown, MetricValue, Name, Order, Places, Text, Threshold};
use cachet_core::web::RequestContext;
use cachet_core::web::charts::{self, render_svg};
use chrono::TimeDelta;
use common::{Harness, op};
use http::{Request, StatusCode};
use serde_json::{Value, json};

const T0: &str = "2026-01-01 00:00:00";

fn new_metric(name: &str, calc: CalcType, visible: Visibility) -> NewMetric {
    NewMetric::named(Name::parse(name).unwrap())
        .with_suffix(Text::parse("ms").unwrap())
        .with_default_value(MetricValue::from_millis(500).unwrap())
        .with_calc_type(calc)
        .with_places(Places::new(2).unwrap())
        .with_threshold(Threshold::new(5).unwrap())
        .with_order(Order::new(0).unwrap())
        .with_visible(visible)
}

async fn get(
    cachet: &Cachet,
    uri: &str,
    origin: Option<&str>,
) -> (StatusCode, http::HeaderMap, Bytes) {
    let mut b = Request::builder().method("GET").uri(uri);
    if let Some(o) = origin {
        b = b.header("origin", o);
    }
    let resp = cachet
        .handle(b.body(Bytes::new()).unwrap(), RequestContext::default())
        .await;
    let (parts, body) = resp.into_parts();
    (parts.status, parts.headers, body)
}

async fn get_json(cachet: &Cachet, uri: &str) -> Value {
    let (status, _, body) = get(cachet, uri, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

async fn point(h: &Harness, metric: MetricId, millis: i64, minutes_after_t0: i64) {
    let at = cachet_core::clock::ManualClock::at_epoch_2026();
    use cachet_core::clock::Clock;
    let at = at.now() + TimeDelta::minutes(minutes_after_t0);
    h.cachet
        .record_metric_point(
            &op(),
            metric,
            MetricValue::from_millis(millis).unwrap(),
            Some(at),
        )
        .await
        .unwrap();
}

fn metric_json(id: i64, name: &str, calc: i64, visible: i64) -> Value {
    json!({
        "id": id, "name": name, "suffix": "ms", "description": "",
        "default_value": 0.5, "calc_type": calc, "display_chart": true, "places": 2,
        "default_view": 1, "threshold": 5, "order": 0, "visible": visible,
        "created_at": T0, "updated_at": T0, "default_view_name": "today",
    })
}

#[tokio::test]
async fn chart_json_has_cachets_shape_for_every_view() {
    let h = Harness::new().await;
    let m = h
        .cachet
        .create_metric(
            &op(),
            &new_metric("Requests", CalcType::Sum, Visibility::Public),
        )
        .await
        .unwrap();
    // 00:10 and 01:30 on Jan 1, then the clock moves to 02:03.
    point(&h, m.id, 1_000, 10).await;
    point(&h, m.id, 2_500, 90).await;
    point(&h, m.id, 2_500, 91).await; // another value inside the hour
    h.clock.advance(TimeDelta::minutes(123));

    // Default view: the metric's (today = last 12 hours), 13 hourly buckets.
    let v = get_json(&h.cachet, "/metrics/1").await;
    let mut items = serde_json::Map::new();
    for hour in 14..=23 {
        items.insert(format!("2025-12-31 {hour}:00"), json!(0.5));
    }
    items.insert("2026-01-01 00:00".into(), json!(1.0));
    items.insert("2026-01-01 01:00".into(), json!(5.0));
    items.insert("2026-01-01 02:00".into(), json!(0.5));
    assert_eq!(
        v,
        json!({"data": {"metric": metric_json(1, "Requests", 0, 1), "items": items}})
    );
    assert_eq!(get_json(&h.cachet, "/metrics/1?filter=today").await, v);

    // Week: today and the 7 days before.
    let v = get_json(&h.cachet, "/metrics/1?filter=week").await;
    let mut items = serde_json::Map::new();
    for day in 25..=31 {
        items.insert(format!("2025-12-{day}"), json!(0.5));
    }
    items.insert("2026-01-01".into(), json!(6.0));
    assert_eq!(
        v,
        json!({"data": {"metric": metric_json(1, "Requests", 0, 1), "items": items}})
    );

    // Month: January has 31 days, so today and 31 before.
    let v = get_json(&h.cachet, "/metrics/1?filter=month").await;
    let items = v["data"]["items"].as_object().unwrap();
    assert_eq!(items.len(), 32);
    assert_eq!(items.keys().next().unwrap(), "2025-12-01");
    assert_eq!(items["2026-01-01"], json!(6.0));

    // Last hour: 01:03..=02:03 by minute; the newest 5 empty minutes are left out.
    let v = get_json(&h.cachet, "/metrics/1?filter=last_hour").await;
    let items = v["data"]["items"].as_object().unwrap();
    assert_eq!(items.len(), 56);
    assert_eq!(items.keys().next().unwrap(), "2026-01-01 01:03");
    assert_eq!(items.keys().next_back().unwrap(), "2026-01-01 01:58");
    // The same value inside the threshold merged into the 01:30 point (counter 2).
    assert_eq!(items["2026-01-01 01:30"], json!(5.0));
    assert_eq!(items["2026-01-01 01:31"], json!(0.5));
    assert_eq!(items["2026-01-01 01:32"], json!(0.5));

    // An unknown filter answers Cachet's empty items.
    assert_eq!(
        get_json(&h.cachet, "/metrics/1?filter=year").await,
        json!({"data": {"metric": metric_json(1, "Requests", 0, 1), "items": []}})
    );
}

#[tokio::test]
async fn average_metrics_average_per_bucket_in_the_site_time_zone() {
    let h = Harness::new().await;
    h.cachet
        .put_settings(
            &op(),
            &[(SettingKey::AppTimezone, "Asia/Kolkata".to_owned())],
        )
        .await
        .unwrap();
    let m = h
        .cachet
        .create_metric(
            &op(),
            &new_metric("Latency", CalcType::Average, Visibility::Public),
        )
        .await
        .unwrap();
    point(&h, m.id, 1_000, 10).await; // 05:40 in Kolkata
    point(&h, m.id, 2_001, 20).await; // 05:50
    h.clock.advance(TimeDelta::minutes(45)); // now 06:15 in Kolkata
    let v = get_json(&h.cachet, "/metrics/1?filter=today").await;
    let items = v["data"]["items"].as_object().unwrap();
    assert_eq!(items.len(), 13);
    assert_eq!(items.keys().next().unwrap(), "2025-12-31 18:00");
    assert_eq!(items["2026-01-01 05:00"], json!(1.5)); // (1.0 + 2.001) / 2 = 1.5005 -> 1.50
    assert_eq!(items["2026-01-01 06:00"], json!(0.5));
    assert_eq!(
        v["data"]["metric"]["created_at"],
        json!("2026-01-01 05:30:00")
    );
}

#[tokio::test]
async fn unknown_hidden_and_malformed_ids_are_404() {
    let h = Harness::new().await;
    h.cachet
        .create_metric(
            &op(),
            &new_metric("Public", CalcType::Sum, Visibility::Public),
        )
        .await
        .unwrap();
    h.cachet
        .create_metric(
            &op(),
            &new_metric("Staff", CalcType::Sum, Visibility::Authenticated),
        )
        .await
        .unwrap();
    h.cachet
        .create_metric(
            &op(),
            &new_metric("Hidden", CalcType::Sum, Visibility::Hidden),
        )
        .await
        .unwrap();
    for uri in [
        "/metrics/2",
        "/metrics/3",
        "/metrics/99",
        "/metrics/abc",
        "/metrics/-1",
        "/metrics/+1",
        "/metrics/0",
        "/metrics/1.0",
        "/metrics/99999999999999999999999",
    ] {
        let (status, _, body) = get(&h.cachet, uri, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!String::from_utf8_lossy(&body).contains("Staff"));
    }
    // CORS: the handler applies `cors::apply`, but cached answers are served by the
    // snapshot layer, which adds CORS only on the API surfaces (see the report).
}

#[tokio::test]
async fn svg_charts_are_well_formed_with_hostile_names() {
    let h = Harness::new().await;
    let mut new = new_metric("x", CalcType::Sum, Visibility::Public);
    new.name = Name::parse("<svg onload=alert(1)> & \"quotes\" 'apos' ]]>").unwrap();
    new.suffix = Text::parse("<script>alert('s')</script>&amp;").unwrap();
    let m = h.cachet.create_metric(&op(), &new).await.unwrap();
    point(&h, m.id, 1_234, 10).await;
    point(&h, m.id, -2_000, 70).await;
    h.clock.advance(TimeDelta::minutes(75));
    for view in [
        MetricView::LastHour,
        MetricView::Today,
        MetricView::Week,
        MetricView::Month,
    ] {
        let (metric, series) = charts::metric_series(&h.cachet, m.id, view, h.clock_now())
            .await
            .unwrap();
        let svg = render_svg(&series, &metric, &Catalog::new(Lang::En));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(root.attribute("viewBox"), Some("0 0 640 240"));
        // Named by its title, which holds the summary; no second copy of it.
        assert!(root.attribute("aria-label").is_none());
        let title = root.children().find(|n| n.has_tag_name("title")).unwrap();
        let label = title.text().unwrap();
        assert!(
            label.starts_with("<svg onload=alert(1)> & \"quotes\" 'apos' ]]>"),
            "{label}"
        );
        assert!(label.contains("minimum"), "{label}");
        assert_eq!(
            root.first_element_child().map(|n| n.tag_name().name()),
            Some("title"),
            "the title comes first, as SVG's accessible name"
        );
        for node in doc.descendants().filter(roxmltree::Node::is_element) {
            let name = node.tag_name().name();
            assert!(
                [
                    "svg", "title", "g", "text", "path", "polygon", "polyline", "circle"
                ]
                .contains(&name),
                "unexpected element {name}"
            );
            for a in node.attributes() {
                assert!(!a.name().starts_with("on"), "event handler {}", a.name());
                assert!(!a.name().contains("href"));
                assert_ne!(a.name(), "style");
            }
        }
        assert!(!svg.contains("<script"));
    }
    // Through the facade too: a hidden metric is not charted.
    let hidden = h
        .cachet
        .create_metric(
            &op(),
            &new_metric("Hidden", CalcType::Sum, Visibility::Hidden),
        )
        .await
        .unwrap();
    assert!(
        charts::metric_series(&h.cachet, hidden.id, MetricView::Week, h.clock_now())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn component_history_through_the_facade() {
    let h = Harness::new().await;
    let c = h
        .cachet
        .create_component(&op(), &common::component("API"))
        .await
        .unwrap();
    // Jan 1 12:00-18:00 partial outage (weight 0.5): 1 - 0.5 * 6/24 = 87.5%.
    h.clock.advance(TimeDelta::hours(12));
    let patch = |s| ComponentPatch {
        status: Some(s),
        ..ComponentPatch::default()
    };
    h.cachet
        .update_component(&op(), c.id, &patch(ComponentStatus::PartialOutage))
        .await
        .unwrap();
    h.clock.advance(TimeDelta::hours(6));
    h.cachet
        .update_component(&op(), c.id, &patch(ComponentStatus::Operational))
        .await
        .unwrap();
    // A visible and a hidden incident on Jan 2.
    h.clock.advance(TimeDelta::hours(12));
    for visible in [true, false] {
        h.cachet
            .create_incident(
                &op(),
                &NewIncident::new(
                    Name::parse("Slow").unwrap(),
                    IncidentStatus::Investigating,
                    Markdown::default(),
                    h.clock_now(),
                )
                .with_visible(visible)
                .with_components(vec![AffectedComponent {
                    component_id: c.id,
                    status: ComponentStatus::Operational,
                }]),
            )
            .await
            .unwrap();
    }
    h.clock.advance(TimeDelta::hours(24)); // now Jan 3 06:00
    let days = component_history(&h.cachet, c.id, h.clock_now())
        .await
        .unwrap();
    assert_eq!(days.len(), history::DAYS);
    let labels: Vec<String> = days[86..].iter().map(history::Day::label).collect();
    assert_eq!(
        labels,
        vec![
            "Dec 31 2025: no data",
            "Jan 1 2026: 87.5% uptime, no incidents",
            "Jan 2 2026: 100% uptime, 1 incident",
            "Jan 3 2026: 100% uptime, 1 incident",
        ]
    );
    assert!(days[..87].iter().all(|d| d.data.is_none()));
    // Today is Jan 3: the unresolved incident still touches it.
    let _ = &days;
    let now_days = component_history(&h.cachet, c.id, h.clock_now() + TimeDelta::hours(1))
        .await
        .unwrap();
    assert_eq!(now_days.last().unwrap().incident_count(), 1);
    // A disabled component has no public history.
    h.cachet
        .update_component(
            &op(),
            c.id,
            &ComponentPatch {
                enabled: Some(false),
                ..ComponentPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(
        component_history(&h.cachet, c.id, h.clock_now())
            .await
            .is_err()
    );
}
