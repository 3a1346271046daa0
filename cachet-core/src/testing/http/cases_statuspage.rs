//! Cases for the Statuspage v2 public JSON (`/api/v2/*.json`) and API v1's `/status`.

use serde_json::json;

use super::{BodyCheck, Fixture, HeaderCheck, HttpCase, TokenKind, component};
use crate::model::SettingKey;

fn incident(name: &'static str, status: u8, visible: bool, components: Vec<(i64, u8)>) -> Fixture {
    Fixture::Incident {
        name,
        status,
        visible,
        components,
    }
}

fn schedule(name: &'static str, status: u8, starts_in_hours: i64) -> Fixture {
    Fixture::Schedule {
        name,
        status,
        starts_in_hours,
        components: vec![1],
    }
}

fn v2(name: &str, file: &str) -> HttpCase {
    HttpCase::get(name, &format!("/api/v2/{file}")).expect_header(
        "content-type",
        HeaderCheck::Exact("application/json".into()),
    )
}

fn indicator(c: HttpCase, indicator: &str, description: &str) -> HttpCase {
    c.expect_at(
        "/status",
        json!({"indicator": indicator, "description": description}),
    )
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        indicator(
            v2("statuspage: status.json of an empty page", "status.json"),
            "none",
            "All Systems Operational",
        )
        .expect_at("/page/url", json!("{public}"))
        .expect_at("/page/name", json!("Cachet"))
        .expect_at("/page/time_zone", json!("UTC"))
        .expect_at("/page/id", json!("<string>"))
        .expect_at("/page/updated_at", json!("<date>")),
        indicator(
            v2("statuspage: a major outage is critical", "status.json").with(component("API", 4)),
            "critical",
            "Major System Outage",
        ),
        indicator(
            v2("statuspage: a partial outage is major", "status.json").with(component("API", 3)),
            "major",
            "Partial System Outage",
        ),
        indicator(
            v2("statuspage: performance issues are minor", "status.json").with(component("API", 2)),
            "minor",
            "Partially Degraded Service",
        ),
        indicator(
            v2(
                "statuspage: a disabled component does not count",
                "status.json",
            )
            .with(Fixture::Component {
                name: "Secret",
                status: 4,
                enabled: false,
                group: None,
            }),
            "none",
            "All Systems Operational",
        ),
        indicator(
            v2(
                "statuspage: an unresolved incident without components is minor",
                "status.json",
            )
            .with(incident("Odd", 1, true, Vec::new())),
            "minor",
            "Partially Degraded Service",
        ),
        indicator(
            v2(
                "statuspage: a hidden incident does not count",
                "status.json",
            )
            .with(incident("Secret", 1, false, Vec::new())),
            "none",
            "All Systems Operational",
        ),
        v2(
            "statuspage: components.json with prefixed ids",
            "components.json",
        )
        .with(component("API", 1))
        .expect(BodyCheck::Len("/components", 1))
        .expect_at("/components/0/id", json!("component-1"))
        .expect_at("/components/0/status", json!("operational"))
        .expect_at(
            "/components/0/created_at",
            json!("2026-01-01T00:00:00.000Z"),
        ),
        v2(
            "statuspage: a public group precedes its components",
            "components.json",
        )
        .with(Fixture::Group {
            name: "Core",
            visible: true,
        })
        .with(Fixture::Component {
            name: "DB",
            status: 3,
            enabled: true,
            group: Some(1),
        })
        .expect(BodyCheck::Len("/components", 2))
        .expect_at("/components/0/id", json!("group-1"))
        .expect_at("/components/0/group", json!(true))
        .expect_at("/components/0/status", json!("partial_outage"))
        .expect_at("/components/0/components", json!(["component-1"]))
        .expect_at("/components/1/group_id", json!("group-1")),
        v2(
            "statuspage: signed-in-only groups and their components stay hidden",
            "components.json",
        )
        .with(Fixture::Group {
            name: "Internal",
            visible: false,
        })
        .with(Fixture::Component {
            name: "Secret",
            status: 1,
            enabled: true,
            group: Some(1),
        })
        .expect(BodyCheck::Len("/components", 0))
        .not_contains("Secret")
        .not_contains("Internal"),
        v2("statuspage: summary.json holds everything", "summary.json")
            .with(component("API", 4))
            .with(incident("Outage", 1, true, vec![(1, 4)]))
            .expect_at("/status/indicator", json!("critical"))
            .expect(BodyCheck::Len("/components", 1))
            .expect(BodyCheck::Len("/incidents", 1))
            .expect_at("/incidents/0/id", json!("incident-1"))
            .expect_at("/incidents/0/status", json!("investigating"))
            .expect_at("/incidents/0/impact", json!("critical"))
            .expect_at("/incidents/0/shortlink", json!("{public}/incidents/1"))
            .expect_at("/scheduled_maintenances", json!([])),
        v2(
            "statuspage: incidents.json leaves hidden incidents out",
            "incidents.json",
        )
        .with(incident("Public", 4, true, Vec::new()))
        .with(incident("Secret", 1, false, Vec::new()))
        .expect(BodyCheck::Len("/incidents", 1))
        .expect_at("/incidents/0/status", json!("resolved"))
        .not_contains("Secret"),
        v2(
            "statuspage: unresolved.json leaves resolved incidents out",
            "incidents/unresolved.json",
        )
        .with(incident("Fixed", 4, true, Vec::new()))
        .with(incident("Open", 2, true, Vec::new()))
        .expect(BodyCheck::Len("/incidents", 1))
        .expect_at("/incidents/0/name", json!("Open"))
        .expect_at("/incidents/0/status", json!("identified")),
        v2(
            "statuspage: upcoming maintenance",
            "scheduled-maintenances/upcoming.json",
        )
        .with(component("DB", 1))
        .with(schedule("Upgrade", 0, 24))
        .expect(BodyCheck::Len("/scheduled_maintenances", 1))
        .expect_at("/scheduled_maintenances/0/id", json!("schedule-1"))
        .expect_at("/scheduled_maintenances/0/status", json!("scheduled"))
        .expect_at("/scheduled_maintenances/0/impact", json!("maintenance"))
        .expect_at(
            "/scheduled_maintenances/0/scheduled_for",
            json!("2026-01-02T00:00:00.000Z"),
        )
        .expect_at(
            "/scheduled_maintenances/0/shortlink",
            json!("{public}/schedules/1"),
        ),
        v2(
            "statuspage: active maintenance",
            "scheduled-maintenances/active.json",
        )
        .with(component("DB", 1))
        .with(schedule("Upgrade", 1, -1))
        .expect(BodyCheck::Len("/scheduled_maintenances", 1))
        .expect_at("/scheduled_maintenances/0/status", json!("in_progress")),
        indicator(
            v2(
                "statuspage: maintenance in progress is the maintenance indicator",
                "status.json",
            )
            .with(component("DB", 1))
            .with(schedule("Upgrade", 1, -1)),
            "maintenance",
            "Service Under Maintenance",
        ),
        v2(
            "statuspage: a component under maintenance shows it",
            "components.json",
        )
        .with(component("DB", 1))
        .with(schedule("Upgrade", 1, -1))
        .expect_at("/components/0/status", json!("under_maintenance")),
        v2(
            "statuspage: scheduled-maintenances.json lists any phase",
            "scheduled-maintenances.json",
        )
        .with(component("DB", 1))
        .with(schedule("Later", 0, 24))
        .with(schedule("Done", 2, -48))
        .expect(BodyCheck::Len("/scheduled_maintenances", 2)),
        v2("statuspage: the site's name and zone", "status.json")
            .with(Fixture::Setting(SettingKey::AppName, "Example Status"))
            .with(Fixture::Setting(SettingKey::AppTimezone, "Europe/Berlin"))
            .expect_at("/page/name", json!("Example Status"))
            .expect_at("/page/time_zone", json!("Europe/Berlin"))
            .expect_at("/page/updated_at", json!("2026-01-01T01:00:00.000+01:00")),
        HttpCase::new(
            "statuspage: HEAD has the headers and no body",
            "HEAD",
            "/api/v2/summary.json",
        )
        .with(component("API", 1))
        .expect_header(
            "content-type",
            HeaderCheck::Exact("application/json".into()),
        )
        .expect(BodyCheck::Empty),
        HttpCase::new(
            "statuspage: POST is 405 with Allow",
            "POST",
            "/api/v2/summary.json",
        )
        .status(405)
        .expect_header("allow", HeaderCheck::Exact("GET, HEAD, OPTIONS".into()))
        .expect_at("/errors/0/status", json!(405)),
        HttpCase::get(
            "statuspage: an unknown file is a JSON 404",
            "/api/v2/nope.json",
        )
        .status(404)
        .expect_at("/errors/0/status", json!(404)),
        HttpCase::get(
            "statuspage: a trailing slash is 404",
            "/api/v2/summary.json/",
        )
        .status(404),
        HttpCase::get("statuspage: the wrong case is 404", "/api/v2/SUMMARY.json").status(404),
        HttpCase::get(
            "statuspage: dot segments are 404",
            "/api/v2/incidents/../summary.json",
        )
        .status(404),
        v2(
            "statuspage: any origin gets CORS *, without credentials",
            "summary.json",
        )
        .with(Fixture::Setting(
            SettingKey::AllowedDomains,
            "https://app.example.com",
        ))
        .header("origin", "https://widget.example")
        .expect_header(
            "access-control-allow-origin",
            HeaderCheck::Exact("*".into()),
        )
        .expect_header("vary", HeaderCheck::Contains("origin".into()))
        .expect_header("access-control-allow-credentials", HeaderCheck::Absent),
        v2(
            "statuspage: CORS * with no origins configured",
            "status.json",
        )
        .header("origin", "https://widget.example")
        .expect_header(
            "access-control-allow-origin",
            HeaderCheck::Exact("*".into()),
        )
        .expect_header("access-control-allow-credentials", HeaderCheck::Absent),
        HttpCase::new(
            "statuspage: a preflight from any origin",
            "OPTIONS",
            "/api/v2/summary.json",
        )
        .header("origin", "https://widget.example")
        .header("access-control-request-method", "GET")
        .status(204)
        .expect_header(
            "access-control-allow-origin",
            HeaderCheck::Exact("*".into()),
        )
        .expect_header("access-control-max-age", HeaderCheck::Exact("3600".into()))
        .expect_header("access-control-allow-credentials", HeaderCheck::Absent)
        .expect(BodyCheck::Empty),
        HttpCase::get("feeds: RSS answers CORS *, without credentials", "/rss")
            .header("origin", "https://widget.example")
            .expect_header(
                "access-control-allow-origin",
                HeaderCheck::Exact("*".into()),
            )
            .expect_header("access-control-allow-credentials", HeaderCheck::Absent),
        HttpCase::get(
            "feeds: Atom answers CORS *, without credentials",
            "/history.atom",
        )
        .header("origin", "https://widget.example")
        .expect_header(
            "access-control-allow-origin",
            HeaderCheck::Exact("*".into()),
        )
        .expect_header("access-control-allow-credentials", HeaderCheck::Absent),
        HttpCase::get("feeds: RSS names itself with atom:link", "/rss")
            .contains(r#"xmlns:atom="http://www.w3.org/2005/Atom""#)
            .contains(
                r#"<atom:link href="{public}/history.rss" rel="self" type="application/rss+xml""#,
            ),
        HttpCase::get("api v1: an allowed origin is echoed", "/api/v1/incidents")
            .with(Fixture::Setting(
                SettingKey::AllowedDomains,
                "https://app.example.com",
            ))
            .header("origin", "https://app.example.com")
            .expect_header(
                "access-control-allow-origin",
                HeaderCheck::Exact("https://app.example.com".into()),
            )
            .expect_header("access-control-allow-credentials", HeaderCheck::Absent),
        HttpCase::get(
            "api v1: an origin not listed gets no CORS",
            "/api/v1/incidents",
        )
        .with(Fixture::Setting(
            SettingKey::AllowedDomains,
            "https://app.example.com",
        ))
        .header("origin", "https://widget.example")
        .expect_header("access-control-allow-origin", HeaderCheck::Absent),
        HttpCase::get(
            "statuspage: tokens change nothing",
            "/api/v2/components.json",
        )
        .with(Fixture::Component {
            name: "Secret",
            status: 1,
            enabled: false,
            group: None,
        })
        .token(TokenKind::Admin)
        .expect(BodyCheck::Len("/components", 0)),
        // API v1's status.
        HttpCase::get("status: operational", "/api/v1/status")
            .with(component("API", 1))
            .expect_json(json!({"data": {"status": "success", "message": "<string>"}})),
        HttpCase::get("status: a major outage is danger", "/api/v1/status")
            .with(component("API", 4))
            .expect_at("/data/status", json!("danger")),
        HttpCase::get("status: open under always_authenticate", "/api/v1/status")
            .with(Fixture::Setting(SettingKey::AlwaysAuthenticate, "1"))
            .expect_at("/data/status", json!("success")),
    ]
}
