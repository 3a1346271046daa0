//! Cases for `/api/v1/incidents`, their updates and the templates.

use serde_json::json;

use super::{BodyCheck, CaseRequest, Fixture, HttpCase, TokenKind, component};

fn incident(name: &'static str, status: u8, visible: bool) -> Fixture {
    Fixture::Incident {
        name,
        status,
        visible,
        components: Vec::new(),
    }
}

fn update(incident: i64, status: u8, message: &'static str) -> Fixture {
    Fixture::IncidentUpdate {
        incident,
        status,
        message,
    }
}

fn post(name: &str, path: &str) -> HttpCase {
    HttpCase::new(name, "POST", path).token(TokenKind::Admin)
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get("incidents: one has Cachet's shape, with a permalink under the public URL", "/api/v1/incidents/1")
            .with(incident("Outage", 1, true))
            .expect_json(json!({"data": {
                "id": 1, "user_id": null, "component_id": 0, "components": [], "name": "Outage", "status": 1,
                "visible": 1, "stickied": false, "notifications": false,
                "message": "Looking into it.", "occurred_at": "2026-01-01 00:00:00",
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "deleted_at": null, "is_resolved": false, "meta": [], "updates": [],
                "human_status": "Investigating", "latest_update_id": null, "latest_status": 1,
                "latest_human_status": "Investigating", "latest_icon": "icon ion-flag oranges",
                "permalink": "{public}/incidents/1", "duration": 0,
            }})),
        HttpCase::get("incidents: guests do not list hidden ones", "/api/v1/incidents")
            .with(incident("Public", 1, true))
            .with(incident("Hidden", 1, false))
            .expect_at("/meta/pagination/total", json!(1))
            .expect_at("/data/0/name", json!("Public")),
        HttpCase::get("incidents: a GET body holding the JSON string \"{}\" is ignored", "/api/v1/incidents")
            .with(incident("Public", 1, true))
            .body("application/json", r#""{}""#)
            .expect_at("/meta/pagination/total", json!(1))
            .expect_at("/data/0/name", json!("Public")),
        HttpCase::get("incidents: a GET body that is not JSON is ignored", "/api/v1/incidents")
            .with(incident("Public", 1, true))
            .body("application/json", "not json at all")
            .expect_at("/meta/pagination/total", json!(1))
            .expect_at("/data/0/name", json!("Public")),
        HttpCase::get("incidents: asking for hidden ones as a guest finds none", "/api/v1/incidents?visible=0")
            .with(incident("Hidden", 1, false))
            .expect_at("/meta/pagination/total", json!(0)),
        HttpCase::get("incidents: a token lists hidden ones", "/api/v1/incidents")
            .with(incident("Public", 1, true))
            .with(incident("Hidden", 1, false))
            .token(TokenKind::AdminRead)
            .expect_at("/meta/pagination/total", json!(2)),
        HttpCase::get("incidents: a hidden one is hidden by id (Cachet leaked it)", "/api/v1/incidents/1")
            .with(incident("Hidden", 1, false))
            .error(404),
        HttpCase::get("incidents: a token sees a hidden one by id", "/api/v1/incidents/1")
            .with(incident("Hidden", 1, false))
            .token(TokenKind::ManagerRead)
            .expect_at("/data/visible", json!(0)),
        HttpCase::get("incidents: an unknown one is 404", "/api/v1/incidents/5").error(404),
        HttpCase::get("incidents: filter by status", "/api/v1/incidents?status=4")
            .with(incident("Open", 1, true))
            .with(incident("Fixed", 4, true))
            .expect_at("/meta/pagination/total", json!(1))
            .expect_at("/data/0/is_resolved", json!(true)),
        HttpCase::get("incidents: SQL in a filter is refused or matches nothing", "/api/v1/incidents?name=1%27)%20OR%20(%271%27=%271")
            .with(incident("Open", 1, true))
            .expect_at("/meta/pagination/total", json!(0)),
        HttpCase::get("incidents: CVE-2021-39165's sort payload is ignored", "/api/v1/incidents?sort=(select%20sleep(5))&order=desc")
            .with(incident("Open", 1, true))
            .expect_at("/meta/pagination/total", json!(1)),
        // Create.
        post("incidents: create with defaults", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1}))
            .expect_at("/data/visible", json!(1))
            .expect_at("/data/notifications", json!(true))
            .expect_at("/data/stickied", json!(false))
            .expect_at("/data/user_id", json!(1))
            .expect_at("/data/message", json!(""))
            .expect_at("/data/permalink", json!("{public}/incidents/1")),
        post("incidents: create sets the affected component's status", "/api/v1/incidents")
            .with(component("API", 1))
            .json(&json!({"name": "Outage", "status": 1, "component_id": 1, "component_status": 4}))
            .expect_at("/data/component_id", json!(1)),
        HttpCase::get("incidents: the affected component shows the incident's status", "/api/v1/components/1")
            .with(component("API", 1))
            .with(Fixture::Prior(CaseRequest::new("POST", "/api/v1/incidents").token(TokenKind::Admin).json(
                &json!({"name": "Outage", "status": 1, "component_id": 1, "component_status": 3}),
            )))
            .expect_at("/data/status", json!(3)),
        post("incidents: component_id without component_status is 400", "/api/v1/incidents")
            .with(component("API", 1))
            .json(&json!({"name": "Outage", "status": 1, "component_id": 1}))
            .error(400),
        post("incidents: create ignores component_status without component_id", "/api/v1/incidents")
            .with(component("API", 1))
            .json(&json!({"name": "Outage", "status": 1, "component_status": 4}))
            .expect_at("/data/name", json!("Outage"))
            .expect_at("/data/component_id", json!(0)),
        HttpCase::get("incidents: a component_status without component_id changes no component", "/api/v1/components/1")
            .with(component("API", 1))
            .with(Fixture::Prior(
                CaseRequest::new("POST", "/api/v1/incidents")
                    .token(TokenKind::Admin)
                    .json(&json!({"name": "Outage", "status": 1, "component_status": 4})),
            ))
            .expect_at("/data/status", json!(1)),
        post("incidents: an unknown component is 400", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "component_id": 9, "component_status": 4}))
            .error(400),
        // Several components per incident: `components`, an addition 2.4 clients never send.
        post("incidents: create with several components, each with its status", "/api/v1/incidents")
            .with(component("API", 1))
            .with(component("Website", 1))
            .with(component("CDN", 1))
            .json(&json!({"name": "Outage", "status": 1, "components": [{"id": 3, "status": 2}, {"id": 1, "status": 4}]}))
            .expect_at("/data/components", json!([{"id": 1, "status": 4}, {"id": 3, "status": 2}]))
            .expect_at("/data/component_id", json!(1)),
        HttpCase::get("incidents: every named component takes its status from the incident", "/api/v1/components?sort=id")
            .with(component("API", 1))
            .with(component("Website", 1))
            .with(component("CDN", 1))
            .with(Fixture::Prior(CaseRequest::new("POST", "/api/v1/incidents").token(TokenKind::Admin).json(
                &json!({"name": "Outage", "status": 1, "components": [{"id": 1, "status": 4}, {"id": 3, "status": 2}]}),
            )))
            .expect_at("/data/0/status", json!(4))
            .expect_at("/data/1/status", json!(1))
            .expect_at("/data/2/status", json!(2)),
        post("incidents: components as an object from id to status (form clients)", "/api/v1/incidents")
            .with(component("API", 1))
            .with(component("Website", 1))
            .body("application/x-www-form-urlencoded", "name=Outage&status=1&components%5B2%5D=3&components%5B1%5D=2")
            .expect_at("/data/components", json!([{"id": 1, "status": 2}, {"id": 2, "status": 3}])),
        HttpCase::get("incidents: one with several components lists them all", "/api/v1/incidents/1")
            .with(component("API", 1))
            .with(component("Website", 1))
            .with(Fixture::Incident { name: "Outage", status: 1, visible: true, components: vec![(2, 3), (1, 4)] })
            .expect_at("/data/components", json!([{"id": 1, "status": 4}, {"id": 2, "status": 3}]))
            .expect_at("/data/component_id", json!(1)),
        HttpCase::new("incidents: PUT components replaces the set", "PUT", "/api/v1/incidents/1")
            .with(component("API", 1))
            .with(component("Website", 1))
            .with(Fixture::Incident { name: "Outage", status: 1, visible: true, components: vec![(1, 4)] })
            .token(TokenKind::Admin)
            .json(&json!({"components": {"2": 3}}))
            .expect_at("/data/components", json!([{"id": 2, "status": 3}])),
        HttpCase::new("incidents: PUT components [] clears them", "PUT", "/api/v1/incidents/1")
            .with(component("API", 1))
            .with(Fixture::Incident { name: "Outage", status: 1, visible: true, components: vec![(1, 4)] })
            .token(TokenKind::Admin)
            .json(&json!({"components": []}))
            .expect_at("/data/components", json!([]))
            .expect_at("/data/component_id", json!(0)),
        post("incidents: a component named twice in components is 400", "/api/v1/incidents")
            .with(component("API", 1))
            .json(&json!({"name": "Outage", "status": 1, "components": [{"id": 1, "status": 4}, {"id": 1, "status": 2}]}))
            .error(400)
            .contains("components"),
        post("incidents: an unknown status in components is 400", "/api/v1/incidents")
            .with(component("API", 1))
            .json(&json!({"name": "Outage", "status": 1, "components": [{"id": 1, "status": 9}]}))
            .error(400)
            .contains("components"),
        post("incidents: components that is neither a list nor an object is 400", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "components": 5}))
            .error(400)
            .contains("components"),
        post("incidents: components and component_id together are 400", "/api/v1/incidents")
            .with(component("API", 1))
            .with(component("Website", 1))
            .json(&json!({"name": "Outage", "status": 1, "component_id": 1, "component_status": 4, "components": [{"id": 2, "status": 2}]}))
            .error(400)
            .contains("components"),
        HttpCase::get("incidents: a refused components list stores nothing", "/api/v1/incidents")
            .with(component("API", 1))
            .with(Fixture::Prior(CaseRequest::new("POST", "/api/v1/incidents").token(TokenKind::Admin).json(
                &json!({"name": "Outage", "status": 1, "components": [{"id": 1, "status": 4}, {"id": 1, "status": 2}]}),
            )))
            .token(TokenKind::AdminRead)
            .expect_at("/meta/pagination/total", json!(0)),
        post("incidents: an unknown component in components is 400", "/api/v1/incidents")
            .with(component("API", 1))
            .json(&json!({"name": "Outage", "status": 1, "components": [{"id": 1, "status": 4}, {"id": 9, "status": 4}]}))
            .error(400),
        post("incidents: occurred_at in Cachet's format", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "occurred_at": "2026-01-02 10:30"}))
            .expect_at("/data/occurred_at", json!("2026-01-02 10:30:00")),
        post("incidents: occurred_at in the Time-Zone header's zone", "/api/v1/incidents")
            .header("time-zone", "Europe/Berlin")
            .json(&json!({"name": "Outage", "status": 1, "occurred_at": "2026-01-02 10:30"}))
            .expect_at("/data/occurred_at", json!("2026-01-02 10:30:00"))
            .expect_at("/data/created_at", json!("2026-01-01 01:00:00")),
        post("incidents: an unreadable occurred_at is 400", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "occurred_at": "yesterday"}))
            .error(400),
        post("incidents: status 7 is 400", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 7}))
            .error(400),
        post("incidents: a missing name is 400", "/api/v1/incidents")
            .json(&json!({"status": 1}))
            .error(400),
        post("incidents: meta as a list is refused", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "meta": [1, 2]}))
            .error(400),
        post("incidents: vars: [] means no variables", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "vars": []}))
            .expect_at("/data/name", json!("Outage")),
        post("incidents: a template renders with vars and the incident's fields", "/api/v1/incidents")
            .with(Fixture::Template { name: "Down", template: "{{ service }} is down ({{ incident.name }})" })
            .json(&json!({"name": "Outage", "status": 1, "template": "down", "vars": {"service": "API"}}))
            .expect_at("/data/message", json!("API is down (Outage)")),
        post("incidents: template expressions are never evaluated", "/api/v1/incidents")
            .with(Fixture::Template { name: "Down", template: "{{ service }}" })
            .json(&json!({"name": "Outage", "status": 1, "template": "down", "vars": {"service": "{{ 7*7 }}"}}))
            .not_contains("49"),
        post("incidents: an unknown template is 400", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1, "template": "nope"}))
            .error(400),
        HttpCase::new("incidents: create without a token is 401", "POST", "/api/v1/incidents")
            .json(&json!({"name": "Outage", "status": 1}))
            .error(401),
        HttpCase::new("incidents: create with a viewer's token is 403", "POST", "/api/v1/incidents")
            .token(TokenKind::ViewerWrite)
            .json(&json!({"name": "Outage", "status": 1}))
            .error(403),
        // Update and delete.
        HttpCase::new("incidents: PUT resolves", "PUT", "/api/v1/incidents/1")
            .with(incident("Outage", 1, true))
            .token(TokenKind::Admin)
            .json(&json!({"status": 4}))
            .expect_at("/data/is_resolved", json!(true))
            .expect_at("/data/human_status", json!("Fixed"))
            .expect_at("/data/name", json!("Outage")),
        HttpCase::new("incidents: PUT ignores component_status without component_id", "PUT", "/api/v1/incidents/1")
            .with(component("API", 1))
            .with(incident("Outage", 1, true))
            .token(TokenKind::Admin)
            .json(&json!({"status": 4, "component_status": 4}))
            .expect_at("/data/is_resolved", json!(true))
            .expect_at("/data/component_id", json!(0)),
        HttpCase::get("incidents: PUT with component_status alone changes no component", "/api/v1/components/1")
            .with(component("API", 1))
            .with(incident("Outage", 1, true))
            .with(Fixture::Prior(
                CaseRequest::new("PUT", "/api/v1/incidents/1")
                    .token(TokenKind::Admin)
                    .json(&json!({"status": 4, "component_status": 4})),
            ))
            .expect_at("/data/status", json!(1)),
        HttpCase::new("incidents: PUT an unknown one is 404", "PUT", "/api/v1/incidents/3")
            .token(TokenKind::Admin)
            .json(&json!({"status": 4}))
            .error(404),
        HttpCase::new("incidents: DELETE is 204", "DELETE", "/api/v1/incidents/1")
            .with(incident("Outage", 1, true))
            .token(TokenKind::Admin)
            .status(204)
            .expect(BodyCheck::Empty),
        HttpCase::new("incidents: DELETE without a token is 401", "DELETE", "/api/v1/incidents/1")
            .with(incident("Outage", 1, true))
            .error(401),
        // Updates.
        HttpCase::get("incident updates: newest first, with permalinks", "/api/v1/incidents/1/updates")
            .with(incident("Outage", 1, true))
            .with(update(1, 2, "Found it."))
            .with(Fixture::AdvanceMinutes(5))
            .with(update(1, 4, "Fixed."))
            .expect_at("/meta/pagination/total", json!(2))
            .expect_at("/data/0", json!({
                "id": 2, "incident_id": 1, "status": 4, "message": "Fixed.", "user_id": null,
                "created_at": "2026-01-01 00:05:00", "updated_at": "2026-01-01 00:05:00",
                "human_status": "Fixed", "permalink": "{public}/incidents/1#update-2",
            }))
            .expect_at("/data/1/id", json!(1)),
        HttpCase::get("incident updates: the incident shows its latest", "/api/v1/incidents/1")
            .with(incident("Outage", 1, true))
            .with(update(1, 3, "Watching."))
            .expect_at("/data/latest_update_id", json!(1))
            .expect_at("/data/latest_status", json!(3))
            .expect_at("/data/latest_human_status", json!("Watching"))
            .expect(BodyCheck::Len("/data/updates", 1)),
        HttpCase::get("incident updates: one by id", "/api/v1/incidents/1/updates/1")
            .with(incident("Outage", 1, true))
            .with(update(1, 2, "Found it."))
            .expect_at("/data/message", json!("Found it.")),
        HttpCase::get("incident updates: an update of another incident is 404", "/api/v1/incidents/2/updates/1")
            .with(incident("Outage", 1, true))
            .with(incident("Other", 1, true))
            .with(update(1, 2, "Found it."))
            .error(404),
        HttpCase::get("incident updates: a hidden incident's updates are hidden", "/api/v1/incidents/1/updates")
            .with(incident("Hidden", 1, false))
            .with(update(1, 2, "Found it."))
            .error(404),
        post("incident updates: post one", "/api/v1/incidents/1/updates")
            .with(incident("Outage", 1, true))
            .json(&json!({"status": 2, "message": "Identified."}))
            .expect_at("/data/incident_id", json!(1))
            .expect_at("/data/status", json!(2))
            .expect_at("/data/user_id", json!(1)),
        post("incident updates: status 0 is 400", "/api/v1/incidents/1/updates")
            .with(incident("Outage", 1, true))
            .json(&json!({"status": 0, "message": "Back to scheduled?"}))
            .error(400),
        post("incident updates: a message is required", "/api/v1/incidents/1/updates")
            .with(incident("Outage", 1, true))
            .json(&json!({"status": 2}))
            .error(400),
        post("incident updates: on an unknown incident is 404", "/api/v1/incidents/8/updates")
            .json(&json!({"status": 2, "message": "Identified."}))
            .error(404),
        HttpCase::new("incident updates: PUT edits", "PUT", "/api/v1/incidents/1/updates/1")
            .with(incident("Outage", 1, true))
            .with(update(1, 2, "Found it."))
            .token(TokenKind::Admin)
            .json(&json!({"message": "Found it: a bad deploy."}))
            .expect_at("/data/message", json!("Found it: a bad deploy."))
            .expect_at("/data/status", json!(2)),
        HttpCase::new("incident updates: DELETE is 204", "DELETE", "/api/v1/incidents/1/updates/1")
            .with(incident("Outage", 1, true))
            .with(update(1, 2, "Found it."))
            .token(TokenKind::Admin)
            .status(204)
            .expect(BodyCheck::Empty),
        HttpCase::new("incident updates: DELETE without a token is 401", "DELETE", "/api/v1/incidents/1/updates/1")
            .with(incident("Outage", 1, true))
            .with(update(1, 2, "Found it."))
            .error(401),
        // Templates (read-only in API v1).
        HttpCase::get("templates: one has Cachet's shape", "/api/v1/incidents/templates/1")
            .with(Fixture::Template { name: "Down", template: "{{ service }} is down" })
            .expect_json(json!({"data": {
                "id": 1, "name": "Down", "slug": "down", "template": "{{ service }} is down",
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "deleted_at": null,
            }})),
        HttpCase::get("templates: a list", "/api/v1/incidents/templates")
            .with(Fixture::Template { name: "Down", template: "x" })
            .with(Fixture::Template { name: "Slow", template: "y" })
            .expect_at("/meta/pagination/total", json!(2)),
        HttpCase::get("templates: an unknown one is 404", "/api/v1/incidents/templates/3").error(404),
        post("templates: POST is 405", "/api/v1/incidents/templates")
            .json(&json!({"name": "Down", "template": "x"}))
            .error(405),
        HttpCase::new("templates: DELETE one is 405", "DELETE", "/api/v1/incidents/templates/1")
            .with(Fixture::Template { name: "Down", template: "x" })
            .token(TokenKind::Admin)
            .error(405),
    ]
}
