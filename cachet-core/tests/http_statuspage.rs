//! Statuspage v2 public JSON (and API v1's `/status`) through `Cachet::handle`, as both
//! adapters call it: whole documents on realistic data, visibility, CORS, hostile data,
//! unknown paths and methods, page id stability.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::sync::Arc;

use bytes::Bytes;
use chrono::TimeDelta;
use common::*;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

use cachet_core::clock::{ManualClock, Timestamp};
use cachet_core::model::*;
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::no_effects;
use cachet_core::validate::{HttpUrl, Order, Text};
use cachet_core::web::RequestContext;
use cachet_core::{Cachet, Config};

const BASE: &str = "https://status.example.com";

async fn send_to(
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

async fn get_json(cachet: &Cachet, uri: &str) -> Value {
    let resp = send_to(cachet, "GET", uri, &[]).await;
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    assert_eq!(resp.headers()["content-type"], "application/json", "{uri}");
    serde_json::from_slice(resp.body()).unwrap()
}

async fn group(h: &Harness, n: &str, order: i64, visible: GroupVisibility) -> ComponentGroup {
    h.cachet
        .create_group(
            &op(),
            &NewComponentGroup::named(name(n))
                .with_order(Order::new(order).unwrap())
                .with_visible(visible),
        )
        .await
        .unwrap()
}

async fn comp(
    h: &Harness,
    n: &str,
    status: ComponentStatus,
    order: i64,
    group: Option<GroupId>,
    enabled: bool,
    description: &str,
) -> Component {
    let mut new = NewComponent::named(name(n), status);
    new.order = Order::new(order).unwrap();
    new.group_id = group;
    new.enabled = enabled;
    new.description = Text::parse(description).unwrap();
    h.cachet.create_component(&op(), &new).await.unwrap()
}

#[allow(clippy::too_many_arguments)]
async fn incident(
    h: &Harness,
    n: &str,
    status: IncidentStatus,
    visible: bool,
    notify: bool,
    occurred_at: Timestamp,
    message: &str,
    affected: &[(ComponentId, ComponentStatus)],
) -> Incident {
    h.cachet
        .create_incident(
            &op(),
            &NewIncident::new(name(n), status, md(message), occurred_at)
                .with_visible(visible)
                .with_notify(notify)
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

#[allow(clippy::too_many_arguments)]
async fn schedule(
    h: &Harness,
    n: &str,
    status: ScheduleStatus,
    start: Timestamp,
    end: Option<Timestamp>,
    components: &[ComponentId],
    message: &str,
    notify: bool,
) -> Schedule {
    h.cachet
        .create_schedule(
            &op(),
            &NewSchedule::new(name(n), md(message), status, start)
                .with_completed_at(end)
                .with_components(components.to_vec())
                .with_notify(notify),
        )
        .await
        .unwrap()
}

fn advance(h: &Harness, minutes: i64) {
    h.clock.advance(TimeDelta::minutes(minutes));
}

/// The realistic page used by the whole-document tests; the clock ends one hour after the
/// start (2026-01-01T00:00Z), in Europe/Berlin (+01:00).
async fn realistic() -> Harness {
    let h = Harness::new().await;
    let t0 = h.clock_now();
    settings(
        &h,
        &[
            (SettingKey::AppName, "Acme Status"),
            (SettingKey::AppTimezone, "Europe/Berlin"),
            (
                SettingKey::AllowedDomains,
                "https://embed.example, http://localhost:8080/",
            ),
        ],
    )
    .await;
    let edge = group(&h, "Edge", 1, GroupVisibility::Public).await;
    let internal = group(&h, "Internal", 2, GroupVisibility::Authenticated).await;
    let _spare = group(&h, "Spare", 3, GroupVisibility::Public).await; // no components
    use ComponentStatus as C;
    let cdn = comp(
        &h,
        "CDN",
        C::PerformanceIssues,
        1,
        Some(edge.id),
        true,
        "Static assets",
    )
    .await;
    let dns = comp(&h, "DNS", C::Operational, 2, Some(edge.id), true, "").await;
    let admin = comp(
        &h,
        "Admin API",
        C::MajorOutage,
        1,
        Some(internal.id),
        true,
        "",
    )
    .await;
    let api = comp(&h, "API", C::Operational, 1, None, true, "").await;
    let _legacy = comp(&h, "Legacy", C::MajorOutage, 2, None, false, "").await;
    let _search = comp(&h, "Search", C::Unknown, 3, None, true, "").await;
    assert_eq!(
        (cdn.id.get(), dns.id.get(), admin.id.get(), api.id.get()),
        (1, 2, 3, 4)
    );

    let db = schedule(
        &h,
        "Database upgrade",
        ScheduleStatus::Upcoming,
        t0 + TimeDelta::minutes(30),
        Some(t0 + TimeDelta::hours(2)),
        &[api.id, admin.id],
        "Planned upgrade.",
        true,
    )
    .await;
    schedule(
        &h,
        "Network work",
        ScheduleStatus::Upcoming,
        t0 + TimeDelta::days(1),
        Some(t0 + TimeDelta::days(1) + TimeDelta::hours(2)),
        &[dns.id],
        "",
        false,
    )
    .await;
    schedule(
        &h,
        "Past work",
        ScheduleStatus::Complete,
        t0 - TimeDelta::days(2),
        Some(t0 - TimeDelta::days(2) + TimeDelta::hours(1)),
        &[cdn.id],
        "Done.",
        false,
    )
    .await;

    let old = incident(
        &h,
        "Old outage",
        IncidentStatus::Investigating,
        true,
        false,
        t0 - TimeDelta::days(3),
        "DNS lookups fail.",
        &[(dns.id, C::PartialOutage)],
    )
    .await;
    incident(
        &h,
        "Hidden breach",
        IncidentStatus::Investigating,
        false,
        true,
        t0,
        "Secret.",
        &[(dns.id, C::MajorOutage)],
    )
    .await;
    advance(&h, 5);
    update(&h, old.id, IncidentStatus::Watching, "Fix deployed.").await;
    advance(&h, 5);
    update(&h, old.id, IncidentStatus::Fixed, "Resolved.").await;
    advance(&h, 5);
    let slow = incident(
        &h,
        "Slow asset delivery",
        IncidentStatus::Investigating,
        true,
        true,
        h.clock_now(),
        "We are looking into it.",
        &[(cdn.id, C::PerformanceIssues)],
    )
    .await;
    advance(&h, 5);
    update(&h, slow.id, IncidentStatus::Identified, "Cause found.").await;
    advance(&h, 20);
    h.store
        .create_schedule_update(
            h.cx(),
            db.id,
            &NewScheduleUpdate::new(md("Started.")),
            &no_effects,
        )
        .await
        .unwrap();
    advance(&h, 20);
    h
}

/// Times of the realistic page in Berlin time.
fn at(s: &str) -> String {
    format!("2026-01-01T{s}:00.000+01:00")
}

struct Expect {
    page_id: String,
}

impl Expect {
    fn page(&self) -> Value {
        json!({
            "id": self.page_id,
            "name": "Acme Status",
            "url": BASE,
            "time_zone": "Europe/Berlin",
            "updated_at": at("01:40"),
        })
    }

    fn component(
        &self,
        id: i64,
        name: &str,
        status: &str,
        position: i64,
        description: Option<&str>,
        group: Option<i64>,
    ) -> Value {
        json!({
            "id": format!("component-{id}"),
            "name": name,
            "status": status,
            "created_at": at("01:00"),
            "updated_at": at("01:00"),
            "position": position,
            "description": description,
            "showcase": true,
            "start_date": "2026-01-01",
            "group_id": group.map(|g| format!("group-{g}")),
            "page_id": self.page_id,
            "group": false,
            "only_show_if_degraded": false,
        })
    }

    fn cdn(&self) -> Value {
        self.component(
            1,
            "CDN",
            "degraded_performance",
            1,
            Some("Static assets"),
            Some(1),
        )
    }

    fn dns(&self) -> Value {
        self.component(2, "DNS", "operational", 2, None, Some(1))
    }

    fn api(&self) -> Value {
        self.component(4, "API", "under_maintenance", 1, None, None)
    }

    fn components(&self) -> Value {
        json!([
            {
                "id": "group-1",
                "name": "Edge",
                "status": "degraded_performance",
                "created_at": at("01:00"),
                "updated_at": at("01:00"),
                "position": 1,
                "description": null,
                "showcase": false,
                "start_date": null,
                "group_id": null,
                "page_id": self.page_id,
                "group": true,
                "only_show_if_degraded": false,
                "components": ["component-1", "component-2"],
            },
            self.cdn(),
            self.dns(),
            self.api(),
            self.component(6, "Search", "operational", 3, None, None),
        ])
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        id: &str,
        status: &str,
        body: &str,
        parent: &str,
        created: &str,
        display: &str,
        notify: bool,
    ) -> Value {
        json!({
            "id": id,
            "status": status,
            "body": body,
            "incident_id": parent,
            "created_at": created,
            "updated_at": created,
            "display_at": display,
            "affected_components": null,
            "deliver_notifications": notify,
            "custom_tweet": null,
            "tweet_id": null,
        })
    }

    fn slow_incident(&self) -> Value {
        json!({
            "id": "incident-3",
            "name": "Slow asset delivery",
            "status": "identified",
            "created_at": at("01:15"),
            "updated_at": at("01:20"),
            "monitoring_at": null,
            "resolved_at": null,
            "impact": "minor",
            "shortlink": format!("{BASE}/incidents/3"),
            "started_at": at("01:15"),
            "page_id": self.page_id,
            "incident_updates": [
                self.update("update-3", "identified", "Cause found.", "incident-3", &at("01:20"), &at("01:20"), true),
                self.update("incident-3-message", "investigating", "We are looking into it.", "incident-3", &at("01:15"), &at("01:15"), true),
            ],
            "components": [self.cdn()],
        })
    }

    fn old_incident(&self) -> Value {
        json!({
            "id": "incident-1",
            "name": "Old outage",
            "status": "resolved",
            "created_at": at("01:00"),
            "updated_at": at("01:10"),
            "monitoring_at": at("01:05"),
            "resolved_at": at("01:10"),
            "impact": "major",
            "shortlink": format!("{BASE}/incidents/1"),
            "started_at": "2025-12-29T01:00:00.000+01:00",
            "page_id": self.page_id,
            "incident_updates": [
                self.update("update-2", "resolved", "Resolved.", "incident-1", &at("01:10"), &at("01:10"), false),
                self.update("update-1", "monitoring", "Fix deployed.", "incident-1", &at("01:05"), &at("01:05"), false),
                self.update("incident-1-message", "investigating", "DNS lookups fail.", "incident-1", &at("01:00"), "2025-12-29T01:00:00.000+01:00", false),
            ],
            "components": [self.dns()],
        })
    }

    fn db_maintenance(&self) -> Value {
        json!({
            "id": "schedule-1",
            "name": "Database upgrade",
            "status": "in_progress",
            "created_at": at("01:00"),
            "updated_at": at("01:00"),
            "monitoring_at": null,
            "resolved_at": null,
            "impact": "maintenance",
            "shortlink": format!("{BASE}/schedules/1"),
            "started_at": at("01:30"),
            "page_id": self.page_id,
            "incident_updates": [
                self.update("schedule-update-1", "in_progress", "Started.", "schedule-1", &at("01:40"), &at("01:40"), true),
                self.update("schedule-1-message", "scheduled", "Planned upgrade.", "schedule-1", &at("01:00"), &at("01:00"), true),
            ],
            "components": [self.api()],
            "scheduled_for": at("01:30"),
            "scheduled_until": at("03:00"),
        })
    }

    fn network_maintenance(&self) -> Value {
        json!({
            "id": "schedule-2",
            "name": "Network work",
            "status": "scheduled",
            "created_at": at("01:00"),
            "updated_at": at("01:00"),
            "monitoring_at": null,
            "resolved_at": null,
            "impact": "maintenance",
            "shortlink": format!("{BASE}/schedules/2"),
            "started_at": "2026-01-02T01:00:00.000+01:00",
            "page_id": self.page_id,
            "incident_updates": [],
            "components": [self.dns()],
            "scheduled_for": "2026-01-02T01:00:00.000+01:00",
            "scheduled_until": "2026-01-02T03:00:00.000+01:00",
        })
    }

    fn past_maintenance(&self) -> Value {
        json!({
            "id": "schedule-3",
            "name": "Past work",
            "status": "completed",
            "created_at": at("01:00"),
            "updated_at": at("01:00"),
            "monitoring_at": null,
            "resolved_at": "2025-12-30T02:00:00.000+01:00",
            "impact": "maintenance",
            "shortlink": format!("{BASE}/schedules/3"),
            "started_at": "2025-12-30T01:00:00.000+01:00",
            "page_id": self.page_id,
            "incident_updates": [
                self.update("schedule-3-message", "completed", "Done.", "schedule-3", &at("01:00"), &at("01:00"), false),
            ],
            "components": [self.cdn()],
            "scheduled_for": "2025-12-30T01:00:00.000+01:00",
            "scheduled_until": "2025-12-30T02:00:00.000+01:00",
        })
    }

    fn status(&self) -> Value {
        json!({"indicator": "minor", "description": "Partially Degraded Service"})
    }
}

async fn expect(h: &Harness) -> Expect {
    let v = get_json(&h.cachet, "/api/v2/status.json").await;
    let page_id = v["page"]["id"].as_str().unwrap().to_owned();
    assert_eq!(page_id.len(), 12);
    assert!(
        page_id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
        "{page_id}"
    );
    Expect { page_id }
}

#[tokio::test]
async fn summary_is_the_whole_page() {
    let h = realistic().await;
    let e = expect(&h).await;
    let got = get_json(&h.cachet, "/api/v2/summary.json").await;
    let want = json!({
        "page": e.page(),
        "status": e.status(),
        "components": e.components(),
        "incidents": [e.slow_incident()],
        "scheduled_maintenances": [e.db_maintenance(), e.network_maintenance()],
    });
    assert_eq!(got, want, "{}", serde_json::to_string_pretty(&got).unwrap());
}

#[tokio::test]
async fn every_endpoint_as_a_whole_document() {
    let h = realistic().await;
    let e = expect(&h).await;
    let cases = [
        (
            "/api/v2/status.json",
            json!({"page": e.page(), "status": e.status()}),
        ),
        (
            "/api/v2/components.json",
            json!({"page": e.page(), "components": e.components()}),
        ),
        (
            "/api/v2/incidents.json",
            json!({"page": e.page(), "incidents": [e.slow_incident(), e.old_incident()]}),
        ),
        (
            "/api/v2/incidents/unresolved.json",
            json!({"page": e.page(), "incidents": [e.slow_incident()]}),
        ),
        (
            "/api/v2/scheduled-maintenances.json",
            json!({"page": e.page(), "scheduled_maintenances": [
                e.network_maintenance(), e.db_maintenance(), e.past_maintenance(),
            ]}),
        ),
        (
            "/api/v2/scheduled-maintenances/upcoming.json",
            json!({"page": e.page(), "scheduled_maintenances": [e.network_maintenance()]}),
        ),
        (
            "/api/v2/scheduled-maintenances/active.json",
            json!({"page": e.page(), "scheduled_maintenances": [e.db_maintenance()]}),
        ),
    ];
    for (uri, want) in cases {
        let got = get_json(&h.cachet, uri).await;
        assert_eq!(
            got,
            want,
            "{uri}: {}",
            serde_json::to_string_pretty(&got).unwrap()
        );
    }
}

#[tokio::test]
async fn guests_never_see_hidden_things() {
    let h = realistic().await;
    for uri in [
        "/api/v2/summary.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ] {
        let resp = send_to(&h.cachet, "GET", uri, &[]).await;
        let body = std::str::from_utf8(resp.body()).unwrap();
        for secret in [
            "Legacy",
            "Admin API",
            "Internal",
            "Hidden breach",
            "Secret.",
            "component-3",
            "component-5",
            "group-2",
            "incident-2",
        ] {
            assert!(!body.contains(secret), "{uri} shows {secret}");
        }
    }
}

#[tokio::test]
async fn maintenance_shows_in_v2_while_api_v1_keeps_the_stored_status() {
    let h = realistic().await;
    let v2 = get_json(&h.cachet, "/api/v2/components.json").await;
    let api = v2["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "component-4")
        .unwrap();
    assert_eq!(api["status"], "under_maintenance");
    let v1 = get_json(&h.cachet, "/api/v1/components/4").await;
    assert_eq!(v1["data"]["status"], 1);
    assert_eq!(v1["data"]["status_name"], "Operational");

    // When the window ends, the component is operational again (no write needed).
    h.clock.advance(TimeDelta::hours(1));
    let v2 = get_json(&h.cachet, "/api/v2/scheduled-maintenances/active.json").await;
    assert_eq!(v2["scheduled_maintenances"], json!([]));
    let v2 = get_json(&h.cachet, "/api/v2/components.json").await;
    let api = v2["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "component-4")
        .unwrap();
    assert_eq!(api["status"], "operational");
}

#[tokio::test]
async fn api_v1_status_follows_the_rule() {
    let h = realistic().await;
    assert_eq!(
        get_json(&h.cachet, "/api/v1/status").await,
        json!({"data": {"status": "info", "message": "Some systems are experiencing issues"}})
    );

    let empty = Harness::new().await;
    assert_eq!(
        get_json(&empty.cachet, "/api/v1/status").await,
        json!({"data": {"status": "success", "message": "System operational"}})
    );
    let a = comp(&empty, "A", ComponentStatus::Operational, 1, None, true, "").await;
    comp(&empty, "B", ComponentStatus::Operational, 2, None, true, "").await;
    assert_eq!(
        get_json(&empty.cachet, "/api/v1/status").await,
        json!({"data": {"status": "success", "message": "All systems are operational"}})
    );
    // A maintenance alone does not change API v1's status (it shows stored statuses).
    let now = empty.clock_now();
    schedule(
        &empty,
        "M",
        ScheduleStatus::InProgress,
        now,
        None,
        &[a.id],
        "",
        false,
    )
    .await;
    assert_eq!(
        get_json(&empty.cachet, "/api/v1/status").await["data"]["status"],
        "success"
    );
    assert_eq!(
        get_json(&empty.cachet, "/api/v2/status.json").await["status"],
        json!({"indicator": "maintenance", "description": "Service Under Maintenance"})
    );
    // One of two down: 50 % reaches the default major_outage_rate.
    empty
        .cachet
        .update_component(
            &op(),
            a.id,
            &ComponentPatch {
                status: Some(ComponentStatus::MajorOutage),
                ..ComponentPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        get_json(&empty.cachet, "/api/v1/status").await,
        json!({"data": {"status": "danger", "message": "Some systems are experiencing major issues"}})
    );
    settings(&empty, &[(SettingKey::MajorOutageRate, "75")]).await;
    assert_eq!(
        get_json(&empty.cachet, "/api/v1/status").await["data"]["status"],
        "info"
    );
    // v2 shows maintenance for the covered component, so no critical from it.
    assert_eq!(
        get_json(&empty.cachet, "/api/v2/status.json").await["status"]["indicator"],
        "maintenance"
    );
}

/// The overall-status rule, end to end: (stored statuses, unresolved incident impacts as the
/// status given to their component, maintenance on the first component) → indicator.
#[tokio::test]
async fn overall_status_rule_table() {
    use ComponentStatus as C;
    // (component statuses, incidents, maintenance on the first, indicator, description)
    type Row = (
        &'static [C],
        &'static [Option<C>],
        bool,
        &'static str,
        &'static str,
    );
    let table: &[Row] = &[
        (&[], &[], false, "none", "All Systems Operational"),
        (&[C::Unknown], &[], false, "none", "All Systems Operational"),
        (
            &[C::Operational, C::Operational],
            &[],
            false,
            "none",
            "All Systems Operational",
        ),
        (
            &[C::Operational, C::PerformanceIssues],
            &[],
            false,
            "minor",
            "Partially Degraded Service",
        ),
        (
            &[C::Operational, C::PartialOutage, C::PerformanceIssues],
            &[],
            false,
            "major",
            "Partial System Outage",
        ),
        (
            &[C::MajorOutage, C::PartialOutage],
            &[],
            false,
            "critical",
            "Major System Outage",
        ),
        (
            &[C::Operational, C::Operational],
            &[],
            true,
            "maintenance",
            "Service Under Maintenance",
        ),
        (
            &[C::MajorOutage, C::Operational],
            &[],
            true,
            "maintenance",
            "Service Under Maintenance",
        ),
        (
            &[C::Operational, C::PerformanceIssues],
            &[],
            true,
            "minor",
            "Partially Degraded Service",
        ),
        (
            &[C::Operational],
            &[None],
            false,
            "minor",
            "Partially Degraded Service",
        ),
        (
            &[C::Operational],
            &[Some(C::Operational)],
            false,
            "none",
            "All Systems Operational",
        ),
        (
            &[C::Operational],
            &[Some(C::MajorOutage)],
            false,
            "critical",
            "Major System Outage",
        ),
        (
            &[C::Operational],
            &[Some(C::Operational)],
            true,
            "maintenance",
            "Service Under Maintenance",
        ),
        (
            &[C::Operational],
            &[None],
            true,
            "minor",
            "Partially Degraded Service",
        ),
        (
            &[C::PerformanceIssues],
            &[Some(C::PartialOutage), None],
            false,
            "major",
            "Partial System Outage",
        ),
        (&[], &[None], false, "minor", "Partially Degraded Service"),
    ];
    for (components, incidents, maintenance, indicator, description) in table {
        let h = Harness::new().await;
        let mut ids = Vec::new();
        for (n, s) in components.iter().enumerate() {
            let c = comp(&h, &format!("C{n}"), *s, 1, None, true, "").await;
            ids.push(c.id);
        }
        for (n, given) in incidents.iter().enumerate() {
            let affected: Vec<(ComponentId, ComponentStatus)> = given
                .iter()
                .map(|s| (ids.first().copied().unwrap(), *s))
                .collect();
            incident(
                &h,
                &format!("I{n}"),
                IncidentStatus::Identified,
                true,
                false,
                h.clock_now(),
                "",
                &affected,
            )
            .await;
        }
        // Resolved and hidden incidents never count.
        incident(
            &h,
            "done",
            IncidentStatus::Fixed,
            true,
            false,
            h.clock_now(),
            "",
            &[],
        )
        .await;
        incident(
            &h,
            "hidden",
            IncidentStatus::Investigating,
            false,
            false,
            h.clock_now(),
            "",
            &[],
        )
        .await;
        if *maintenance {
            let now = h.clock_now();
            schedule(
                &h,
                "M",
                ScheduleStatus::Upcoming,
                now - TimeDelta::minutes(1),
                None,
                &ids[..1],
                "",
                false,
            )
            .await;
        }
        let v = get_json(&h.cachet, "/api/v2/status.json").await;
        assert_eq!(
            v["status"],
            json!({"indicator": indicator, "description": description}),
            "{components:?} {incidents:?} {maintenance}"
        );
    }
}

#[tokio::test]
async fn cors_is_open_to_every_origin_without_credentials() {
    let h = realistic().await;
    let c = &h.cachet;
    // Listed or not, every origin gets `*`, `Vary: Origin`, never credentials: the status
    // widget is embedded in other sites.
    for origin in [
        "https://embed.example",
        "http://localhost:8080",
        "https://evil.example",
        "null",
        BASE,
    ] {
        let r = send_to(c, "GET", "/api/v2/summary.json", &[("origin", origin)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{origin}");
        assert_eq!(r.headers()["vary"], "Origin");
        assert!(!r.headers().contains_key("access-control-allow-credentials"));
    }
    // preflight
    let r = send_to(
        c,
        "OPTIONS",
        "/api/v2/components.json",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.body().is_empty());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.headers()["access-control-allow-methods"], "GET, OPTIONS");
    assert_eq!(r.headers()["vary"], "Origin");
    assert!(!r.headers().contains_key("access-control-allow-credentials"));
    // errors carry CORS too, so a widget can read them
    let r = send_to(
        c,
        "GET",
        "/api/v2/nope.json",
        &[("origin", "https://embed.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // nothing configured: still open
    let bare = Harness::new().await;
    let r = send_to(
        &bare.cachet,
        "GET",
        "/api/v2/status.json",
        &[("origin", "https://embed.example")],
    )
    .await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let h = Harness::new().await;
    let c = &h.cachet;
    for uri in [
        "/api/v2",
        "/api/v2/",
        "/api/v2/summary",
        "/api/v2/summary.json/",
        "/api/v2/incidents/1.json",
        "/api/v2/pages.json",
        "/api/v2/scheduled-maintenances/all.json",
        "/api/v2/%2e%2e/summary.json",
    ] {
        for method in ["GET", "POST", "OPTIONS"] {
            let r = send_to(c, method, uri, &[]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(r.headers()["content-type"], "application/json");
            let v: Value = serde_json::from_slice(r.body()).unwrap();
            assert_eq!(v["errors"][0]["status"], 404, "{uri}");
        }
    }
    for method in ["POST", "PUT", "PATCH", "DELETE", "TRACE"] {
        let r = send_to(c, method, "/api/v2/summary.json", &[]).await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
        assert_eq!(r.headers()["content-type"], "application/json");
        let v: Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["errors"][0]["status"], 405);
    }
    // HEAD: the GET's headers, no body
    let r = send_to(c, "HEAD", "/api/v2/summary.json", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.body().is_empty());
    // plain OPTIONS
    let r = send_to(c, "OPTIONS", "/api/v2/status.json", &[]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
    // security headers and a request id as on every response
    let r = send_to(c, "GET", "/api/v2/status.json", &[]).await;
    for name in [
        "x-content-type-options",
        "content-security-policy",
        "x-request-id",
        "strict-transport-security",
    ] {
        assert!(r.headers().contains_key(name), "{name}");
    }
}

#[tokio::test]
async fn hostile_data_stays_inside_json_strings() {
    let h = Harness::new().await;
    let evil_name = r#"<script>alert("x")</script>"#;
    let evil_group = r#"Edge","group":true,"x":"</script><img src=x onerror=alert(1)>"#;
    let evil_md = "<img src=x onerror=alert(1)> {{ config }} ${jndi:ldap://x}";
    let g = group(&h, evil_group, 1, GroupVisibility::Public).await;
    let c = comp(
        &h,
        evil_name,
        ComponentStatus::PartialOutage,
        1,
        Some(g.id),
        true,
        "<b>bold</b> \\\"",
    )
    .await;
    let i = incident(
        &h,
        evil_name,
        IncidentStatus::Investigating,
        true,
        true,
        h.clock_now(),
        evil_md,
        &[(c.id, ComponentStatus::PartialOutage)],
    )
    .await;
    update(&h, i.id, IncidentStatus::Identified, evil_md).await;
    let v = get_json(&h.cachet, "/api/v2/summary.json").await;
    let comps = v["components"].as_array().unwrap();
    assert_eq!(comps.len(), 2);
    assert_eq!(comps[0]["name"], evil_group);
    assert_eq!(comps[0]["group"], true);
    assert_eq!(comps[1]["name"], evil_name);
    assert_eq!(comps[1]["description"], "<b>bold</b> \\\"");
    let inc = &v["incidents"][0];
    assert_eq!(inc["name"], evil_name);
    assert_eq!(inc["incident_updates"][0]["body"], evil_md);
    assert_eq!(inc["incident_updates"][1]["body"], evil_md);
    assert_eq!(inc["impact"], "major");
    // The body is one JSON document whose keys are only ours.
    let keys: Vec<&String> = comps[0].as_object().unwrap().keys().collect();
    assert!(!keys.iter().any(|k| k.as_str() == "x"));
    let resp = send_to(&h.cachet, "GET", "/api/v2/summary.json", &[]).await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}

async fn page_id_of(cachet: &Cachet) -> String {
    get_json(cachet, "/api/v2/status.json").await["page"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn instance(url: &str, keyring: Keyring) -> Cachet {
    let store: Arc<dyn cachet_core::store::Store> =
        Arc::new(cachet_core::store::memory::MemoryStore::new());
    Cachet::with_clock(
        store,
        keyring,
        Config::new(HttpUrl::parse(url).unwrap()),
        Arc::new(ManualClock::at_epoch_2026()),
    )
    .unwrap()
}

#[tokio::test]
async fn page_id_is_stable_per_key_and_url() {
    let key = |b: u8| SecretKey::from_bytes([b; 32]);
    let a = instance(BASE, Keyring::new(1, key(7)));
    let b = instance(BASE, Keyring::new(1, key(7)));
    let id = page_id_of(&a).await;
    assert_eq!(id.len(), 12);
    assert!(
        id.bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    );
    // same key and URL, another instance (another store): the same id, every time
    assert_eq!(page_id_of(&b).await, id);
    assert_eq!(page_id_of(&a).await, id);
    // rotating the primary key keeps it
    let mut rotated = Keyring::new(1, key(7));
    rotated.rotate(2, key(9)).unwrap();
    assert_eq!(page_id_of(&instance(BASE, rotated)).await, id);
    // another key or another URL: another id
    assert_ne!(
        page_id_of(&instance(BASE, Keyring::new(1, key(8)))).await,
        id
    );
    assert_ne!(
        page_id_of(&instance(
            "https://other.example.com",
            Keyring::new(1, key(7))
        ))
        .await,
        id
    );
    // the Host header never changes the page
    let r = send_to(
        &a,
        "GET",
        "/api/v2/status.json",
        &[("host", "evil.example")],
    )
    .await;
    let v: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(v["page"]["id"], id);
    assert_eq!(v["page"]["url"], BASE);
    assert_eq!(v["page"]["name"], "Cachet");
    assert_eq!(v["page"]["time_zone"], "UTC");
    // an empty page's updated_at is now, in UTC with a Z
    assert_eq!(v["page"]["updated_at"], "2026-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn lists_hold_at_most_fifty() {
    let h = Harness::new().await;
    let now = h.clock_now();
    for n in 0..55 {
        incident(
            &h,
            &format!("I{n}"),
            IncidentStatus::Investigating,
            true,
            false,
            now + TimeDelta::minutes(n),
            "",
            &[],
        )
        .await;
        schedule(
            &h,
            &format!("S{n}"),
            ScheduleStatus::Upcoming,
            now + TimeDelta::days(1) + TimeDelta::minutes(n),
            None,
            &[],
            "",
            false,
        )
        .await;
    }
    let all = get_json(&h.cachet, "/api/v2/incidents.json").await;
    let items = all["incidents"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["id"], "incident-55"); // newest first
    assert_eq!(items[49]["id"], "incident-6");
    let unresolved = get_json(&h.cachet, "/api/v2/incidents/unresolved.json").await;
    assert_eq!(unresolved["incidents"].as_array().unwrap().len(), 50);
    let m = get_json(&h.cachet, "/api/v2/scheduled-maintenances.json").await;
    let items = m["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["id"], "schedule-55"); // latest start first
    let up = get_json(&h.cachet, "/api/v2/scheduled-maintenances/upcoming.json").await;
    let items = up["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["id"], "schedule-1"); // soonest first
    // The rule still sees every unresolved incident.
    let s = get_json(&h.cachet, "/api/v2/status.json").await;
    assert_eq!(s["status"]["indicator"], "minor");
}
