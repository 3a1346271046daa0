//! One visibility rule on every surface: a disabled component, a component in a
//! signed-in-only group and that group itself never reach a visitor, through the page, the
//! component, incident and maintenance pages, badges, feeds, the Statuspage JSON, the
//! subscribe form, API v1 (lists, by id, the `group_id` and `component_id` filters, the
//! groups, incidents and schedules naming them) or notification mails; a reader with
//! `ReadPrivate` sees them through API v1.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::Api;
use http::StatusCode;
use serde_json::Value;

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::validate::{Markdown, Name};
use notify_support::{Recorder, dispatcher, drain, new_incident, verified};

const PUBLIC: &str = "Zqpublicthing";
const DISABLED: &str = "Zqswitchedoff";
const STAFF: &str = "Zqstaffonly";
const GROUP: &str = "Zqstaffgroup";

struct Site {
    api: Api,
    public: ComponentId,
    disabled: ComponentId,
    staff: ComponentId,
    group: GroupId,
    incident: IncidentId,
    schedule: ScheduleId,
}

async fn site() -> Site {
    let api = Api::new().await;
    let op = Actor::operator();
    let c = &api.h.cachet;
    let group = c
        .create_group(&op, &NewComponentGroup::named(Name::parse(GROUP).unwrap()))
        .await
        .unwrap();
    // The hidden ones first: an incident's `component_id` in API v1 is its first component.
    let mut new = NewComponent::named(Name::parse(DISABLED).unwrap(), ComponentStatus::MajorOutage);
    new.enabled = false;
    let disabled = c.create_component(&op, &new).await.unwrap();
    let mut new = NewComponent::named(Name::parse(STAFF).unwrap(), ComponentStatus::MajorOutage);
    new.group_id = Some(group.id);
    let staff = c.create_component(&op, &new).await.unwrap();
    let public = c
        .create_component(
            &op,
            &NewComponent::named(Name::parse(PUBLIC).unwrap(), ComponentStatus::Operational),
        )
        .await
        .unwrap();
    let all = [disabled.id, staff.id, public.id];
    let incident = c
        .create_incident(&op, &new_incident("Zqoutage", &all, false, true))
        .await
        .unwrap();
    let now = api.h.clock_now();
    let schedule = c
        .create_schedule(
            &op,
            &NewSchedule::new(
                Name::parse("Zqwindow").unwrap(),
                Markdown::parse("Upgrades.").unwrap(),
                ScheduleStatus::Upcoming,
                now + chrono::TimeDelta::hours(1),
            )
            .with_completed_at(Some(now + chrono::TimeDelta::hours(2)))
            .with_components(all.to_vec()),
        )
        .await
        .unwrap();
    Site {
        api,
        public: public.id,
        disabled: disabled.id,
        staff: staff.id,
        group: group.id,
        incident: incident.id,
        schedule: schedule.id,
    }
}

/// Every `component_id`, every id in a `components` array and every component object's id
/// in a JSON body.
fn component_ids(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Object(m) => {
            if let Some(id) = m.get("component_id").and_then(Value::as_i64) {
                out.push(id);
            }
            if m.contains_key("status_name") && m.contains_key("group_id") {
                out.extend(m.get("id").and_then(Value::as_i64));
            }
            if let Some(Value::Array(ids)) = m.get("components") {
                out.extend(ids.iter().filter_map(Value::as_i64));
            }
            m.values().for_each(|v| component_ids(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| component_ids(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn hidden_components_reach_no_guest_surface_and_every_reader_who_may_see_them() {
    let s = site().await;
    let (d, st, p, g, i, sc) = (
        s.disabled.get(),
        s.staff.get(),
        s.public.get(),
        s.group.get(),
        s.incident.get(),
        s.schedule.get(),
    );
    let surfaces = [
        "/".to_owned(),
        format!("/components/{p}"),
        format!("/components/{d}"),
        format!("/components/{st}"),
        format!("/incidents/{i}"),
        format!("/schedules/{sc}"),
        "/badge.svg".to_owned(),
        format!("/components/{d}/badge.svg"),
        format!("/components/{st}/badge.svg"),
        "/rss".to_owned(),
        "/atom".to_owned(),
        "/history.rss".to_owned(),
        "/history.atom".to_owned(),
        "/schedules.ics".to_owned(),
        "/subscribe".to_owned(),
        "/api/v2/summary.json".to_owned(),
        "/api/v2/status.json".to_owned(),
        "/api/v2/components.json".to_owned(),
        "/api/v2/incidents.json".to_owned(),
        "/api/v2/incidents/unresolved.json".to_owned(),
        "/api/v2/scheduled-maintenances.json".to_owned(),
        "/api/v2/scheduled-maintenances/upcoming.json".to_owned(),
        "/api/v2/scheduled-maintenances/active.json".to_owned(),
        "/api/v1/status".to_owned(),
        "/api/v1/components".to_owned(),
        "/api/v1/components?per_page=1".to_owned(),
        format!("/api/v1/components?group_id={g}"),
        format!("/api/v1/components?id={st}"),
        "/api/v1/components?enabled=0".to_owned(),
        format!("/api/v1/components/{d}"),
        format!("/api/v1/components/{st}"),
        "/api/v1/components/groups".to_owned(),
        format!("/api/v1/components/groups/{g}"),
        "/api/v1/incidents".to_owned(),
        format!("/api/v1/incidents/{i}"),
        format!("/api/v1/incidents?component_id={st}"),
        format!("/api/v1/incidents?component_id={d}"),
        "/api/v1/schedules".to_owned(),
        format!("/api/v1/schedules/{sc}"),
    ];
    for path in &surfaces {
        let r = s.api.send("GET", path, None, "").await;
        let text = String::from_utf8_lossy(r.resp.body()).into_owned();
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND,
            "GET {path}: {}",
            r.status
        );
        for hidden in [DISABLED, STAFF, GROUP] {
            assert!(!text.contains(hidden), "a guest saw {hidden} at {path}");
        }
        let mut ids = Vec::new();
        component_ids(&r.json, &mut ids);
        assert!(
            !ids.contains(&d) && !ids.contains(&st),
            "a guest saw a hidden component's id at {path}: {ids:?}"
        );
    }
    // The hidden ones by id are simply not found; the guest's counts leave them out.
    for path in [
        format!("/api/v1/components/{d}"),
        format!("/api/v1/components/{st}"),
        format!("/api/v1/components/groups/{g}"),
        format!("/components/{st}"),
    ] {
        let r = s.api.send("GET", &path, None, "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
    }
    let v = s.api.get("/api/v1/components?per_page=1").await;
    assert_eq!(v["meta"]["pagination"]["total"], 1, "{v}");
    assert_eq!(v["data"][0]["name"], PUBLIC);
    // The surfaces do name components: the public one shows where the hidden ones do not.
    for path in [
        "/",
        "/api/v2/summary.json",
        "/api/v1/components",
        "/subscribe",
    ] {
        let r = s.api.send("GET", path, None, "").await;
        assert!(
            String::from_utf8_lossy(r.resp.body()).contains(PUBLIC),
            "{path} lists no components at all"
        );
    }
    let v = s.api.get(&format!("/api/v1/incidents/{i}")).await;
    assert_eq!(v["data"]["component_id"], p);
    let v = s.api.get(&format!("/api/v1/schedules/{sc}")).await;
    assert_eq!(v["data"]["components"].as_array().unwrap().len(), 1);

    // A reader with `ReadPrivate` (an admin's read token) sees them all through API v1.
    let reader = Some(s.api.reader.as_str());
    for (path, names) in [
        (
            "/api/v1/components".to_owned(),
            vec![DISABLED, STAFF, PUBLIC],
        ),
        (format!("/api/v1/components?group_id={g}"), vec![STAFF]),
        (format!("/api/v1/components/{d}"), vec![DISABLED]),
        (format!("/api/v1/components/{st}"), vec![STAFF]),
        ("/api/v1/components/groups".to_owned(), vec![GROUP, STAFF]),
        (format!("/api/v1/components/groups/{g}"), vec![GROUP, STAFF]),
        (
            format!("/api/v1/schedules/{sc}"),
            vec![DISABLED, STAFF, PUBLIC],
        ),
    ] {
        let r = s.api.send("GET", &path, reader, "").await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.json);
        let text = String::from_utf8_lossy(r.resp.body()).into_owned();
        for n in names {
            assert!(text.contains(n), "the reader did not see {n} at {path}");
        }
    }
    let r = s
        .api
        .send("GET", &format!("/api/v1/incidents/{i}"), reader, "")
        .await;
    assert_eq!(r.json["data"]["component_id"], d);
    let r = s
        .api
        .send(
            "GET",
            &format!("/api/v1/incidents?component_id={st}"),
            reader,
            "",
        )
        .await;
    assert_eq!(r.json["meta"]["pagination"]["total"], 1, "{}", r.json);
}

#[tokio::test]
async fn subscribers_hear_nothing_of_hidden_components() {
    let s = site().await;
    let c = &s.api.h.cachet;
    let rec = Recorder::email();
    let dispatch = dispatcher(c, &rec);
    verified(c, "everything@example.com", &[]).await;
    // Subscribed while the component was still public, then it moved.
    verified(c, "staff@example.com", &[s.staff]).await;
    for id in [s.staff, s.disabled] {
        let patch = ComponentPatch {
            status: Some(ComponentStatus::PartialOutage),
            ..ComponentPatch::default()
        };
        c.update_component(&Actor::operator(), id, &patch)
            .await
            .unwrap();
    }
    drain(&dispatch).await;
    assert!(rec.emails().is_empty(), "{:?}", rec.recipients());
    // The public component's change does reach the global subscriber.
    let patch = ComponentPatch {
        status: Some(ComponentStatus::PartialOutage),
        ..ComponentPatch::default()
    };
    c.update_component(&Actor::operator(), s.public, &patch)
        .await
        .unwrap();
    drain(&dispatch).await;
    assert_eq!(rec.recipients(), vec!["everything@example.com".to_owned()]);
}
