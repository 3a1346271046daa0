//! Cases for Cachet 3's API (`/api/...`), as its clients send their requests: public reads,
//! `Authorization: Bearer` (also with Sanctum's `<id>|` prefix), JSON bodies with Cachet 3's
//! field names, `filter[...]`, `sort=-field`, `include=`, and JSON:API documents back.

use std::time::Duration;

use serde_json::json;

use super::cases_groups::{group, in_group};
use super::{Auth, BodyCheck, CaseRequest, Fixture, HeaderCheck, HttpCase, TokenKind, component};
use crate::Config;
use crate::web::Limit;

const JSON_API: &str = "application/vnd.api+json";

fn jsonapi(c: HttpCase) -> HttpCase {
    c.status(200)
        .expect_header("content-type", HeaderCheck::Exact(JSON_API.into()))
        .expect_at("/jsonapi/version", json!("1.0"))
}

fn bearer(c: HttpCase) -> HttpCase {
    c.auth(Auth::Bearer(TokenKind::Admin))
}

/// Laravel's error shape: `{"message"}` only.
fn message(c: HttpCase, status: u16, sentence: &str) -> HttpCase {
    c.status(status)
        .expect_header(
            "content-type",
            HeaderCheck::Exact("application/json".into()),
        )
        .expect_json(json!({ "message": sentence }))
}

fn incident(name: &'static str, status: u8, components: Vec<(i64, u8)>) -> Fixture {
    Fixture::Incident {
        name,
        status,
        visible: true,
        components,
    }
}

/// A request made before the case's own, as the admin's bearer token.
fn prior(method: &str, path: &str, body: serde_json::Value) -> Fixture {
    let mut r = CaseRequest::new(method, path).json(&body);
    r.auth = Auth::Bearer(TokenKind::Admin);
    Fixture::Prior(r)
}

fn one_api_call_per_address(c: &mut Config) {
    c.web.rate_limits.api_per_address = Limit::new(1, Duration::from_secs(3600));
}

pub(super) fn cases() -> Vec<HttpCase> {
    let mut out = general();
    out.extend(components());
    out.extend(visibility());
    out.extend(incidents());
    out.extend(others());
    out
}

fn general() -> Vec<HttpCase> {
    vec![
        HttpCase::get("cachet3: ping", "/api/ping")
            .status(200)
            .expect_json(json!({"data": "Pong!"})),
        HttpCase::get("cachet3: version", "/api/version")
            .status(200)
            .expect_json(json!({"data": {"version": "<string>"}})),
        HttpCase::get("cachet3: status when all is well", "/api/status")
            .with(component("API", 1))
            .status(200)
            .expect_json(json!({"data": {
                "status": "operational",
                "message": "All systems are operational."
            }})),
        HttpCase::get("cachet3: status in a major outage", "/api/status")
            .with(component("API", 1))
            .with(component("Web", 4))
            .status(200)
            .expect_at("/data/status", json!("major_outage")),
        HttpCase::get("cachet3: status with an unresolved incident", "/api/status")
            .with(component("API", 1))
            .with(incident("Slow", 1, Vec::new()))
            .status(200)
            .expect_at("/data/status", json!("partial_outage")),
        message(
            HttpCase::new(
                "cachet3: a method a path does not take is 405",
                "POST",
                "/api/ping",
            ),
            405,
            "The POST method is not supported for route api/ping. Supported methods: GET, HEAD.",
        )
        .expect_header("allow", HeaderCheck::Exact("GET, HEAD".into())),
        message(
            HttpCase::get("cachet3: an unknown path is 404", "/api/nope"),
            404,
            "Not found.",
        ),
        message(
            HttpCase::get(
                "cachet3: an id that is not a number is 404",
                "/api/components/x",
            ),
            404,
            "Not found.",
        ),
    ]
}

fn components() -> Vec<HttpCase> {
    vec![
        jsonapi(HttpCase::get(
            "cachet3: components as a guest",
            "/api/components",
        ))
        .with(component("API", 2))
        .expect(BodyCheck::Len("/data", 1))
        .expect_at("/data/0/id", json!("1"))
        .expect_at("/data/0/type", json!("components"))
        .expect_at("/data/0/attributes/id", json!(1))
        .expect_at("/data/0/attributes/name", json!("API"))
        .expect_at(
            "/data/0/attributes/status",
            json!({"human": "Performance issues", "value": 2}),
        )
        .expect_at(
            "/data/0/attributes/latest_status",
            json!({"human": "Performance issues", "value": 2}),
        )
        .expect_at("/data/0/attributes/created/string", json!("<date>"))
        .expect_at("/data/0/relationships", json!({}))
        .expect_at("/included", json!([]))
        .expect_at("/meta/per_page", json!(15))
        .expect_at("/meta/current_page", json!(1))
        .expect_at("/links/next", json!(null)),
        jsonapi(HttpCase::get(
            "cachet3: a page of components links the next",
            "/api/components?per_page=2",
        ))
        .with(component("A", 1))
        .with(component("B", 1))
        .with(component("C", 1))
        .expect(BodyCheck::Len("/data", 2))
        .expect_at("/meta/from", json!(1))
        .expect_at("/meta/to", json!(2))
        .expect_at(
            "/links/next",
            json!("{public}/api/components?per_page=2&page=2"),
        )
        .expect_at("/links/prev", json!(null)),
        jsonapi(HttpCase::get(
            "cachet3: components sorted by name, descending",
            "/api/components?sort=-name",
        ))
        .with(component("Bravo", 1))
        .with(component("Alpha", 1))
        .with(component("Charlie", 1))
        .expect_at("/data/0/attributes/name", json!("Charlie"))
        .expect_at("/data/2/attributes/name", json!("Alpha")),
        jsonapi(HttpCase::get(
            "cachet3: components filtered by part of the name and by status",
            "/api/components?filter[name]=pay&filter[status]=4",
        ))
        .with(component("Payments", 4))
        .with(component("Payouts", 1))
        .with(component("API", 4))
        .expect(BodyCheck::Len("/data", 1))
        .expect_at("/data/0/attributes/name", json!("Payments")),
        message(
            HttpCase::get(
                "cachet3: a filter a list does not take is 400",
                "/api/components?filter[secret]=1",
            ),
            400,
            "Requested filter(s) `secret` are not allowed. Allowed filter(s) are `name, status, enabled, meta`.",
        ),
        message(
            HttpCase::get(
                "cachet3: a sort a list does not take is 400",
                "/api/components?sort=password",
            ),
            400,
            "Requested sort(s) `password` is not allowed. Allowed sort(s) are `name, order, id`.",
        ),
        jsonapi(HttpCase::get(
            "cachet3: a component with its group included",
            "/api/components/1?include=group,meta",
        ))
        .with(group("Backend", true))
        .with(in_group("API", 1, 1))
        .expect_at(
            "/data/relationships/group",
            json!({"data": {"id": "1", "type": "componentGroups"}}),
        )
        .expect_at("/data/attributes/meta", json!({}))
        .expect_at("/included/0/type", json!("componentGroups"))
        .expect_at("/included/0/attributes/name", json!("Backend")),
        message(
            HttpCase::get(
                "cachet3: a component that does not exist is 404",
                "/api/components/9",
            ),
            404,
            "Not found.",
        ),
        message(
            HttpCase::new(
                "cachet3: writing without a token is 401",
                "POST",
                "/api/components",
            )
            .json(&json!({"name": "API"})),
            401,
            "Unauthenticated.",
        ),
        message(
            HttpCase::new(
                "cachet3: a bogus token cannot write",
                "POST",
                "/api/components",
            )
            .auth(Auth::RawToken("cachet_not_a_token".into()))
            .json(&json!({"name": "API"})),
            401,
            "Unauthenticated.",
        ),
        message(
            HttpCase::new(
                "cachet3: guessing tokens spends the address's API budget",
                "POST",
                "/api/components",
            )
            .configure(one_api_call_per_address)
            .with(Fixture::Prior(CaseRequest::new("GET", "/api/components")))
            .auth(Auth::RawToken("cachet_guess".into()))
            .json(&json!({"name": "API"})),
            429,
            "Too Many Attempts.",
        )
        .expect_header("retry-after", HeaderCheck::AtLeast(1)),
        message(
            HttpCase::new(
                "cachet3: a read-only token cannot write",
                "POST",
                "/api/components",
            )
            .auth(Auth::Bearer(TokenKind::AdminRead))
            .json(&json!({"name": "API"})),
            403,
            "This action is unauthorized.",
        ),
        bearer(HttpCase::new(
            "cachet3: create a component",
            "POST",
            "/api/components",
        ))
        .json(&json!({
            "name": "API",
            "description": "The public API",
            "link": "https://api.example.com",
            "order": 2,
            "enabled": true
        }))
        .status(201)
        .expect_at("/data/attributes/name", json!("API"))
        .expect_at("/data/attributes/link", json!("https://api.example.com"))
        .expect_at("/data/attributes/order", json!(2))
        .expect_at(
            "/data/attributes/status",
            json!({"human": "Unknown", "value": 5}),
        ),
        HttpCase::new(
            "cachet3: a Sanctum-style token (id|secret) authenticates",
            "POST",
            "/api/components",
        )
        .auth(Auth::Sanctum(TokenKind::Admin))
        .json(&json!({"name": "API", "status": 1}))
        .status(201)
        .expect_at("/data/attributes/status/value", json!(1)),
        bearer(HttpCase::new(
            "cachet3: a component's fields are all checked at once",
            "POST",
            "/api/components",
        ))
        .json(&json!({"status": 6, "link": "javascript:alert(1)"}))
        .status(422)
        .expect_at("/errors/name/0", json!("name: is required"))
        .expect_at("/errors/status/0", json!("<string>"))
        .expect_at("/errors/link/0", json!("<string>"))
        .expect_at("/message", json!("<string>")),
        bearer(HttpCase::new(
            "cachet3: change a component",
            "PUT",
            "/api/components/1",
        ))
        .with(component("API", 1))
        .json(&json!({"status": 4, "name": "API v2"}))
        .status(200)
        .expect_at("/data/attributes/name", json!("API v2"))
        .expect_at(
            "/data/attributes/status",
            json!({"human": "Major outage", "value": 4}),
        ),
        bearer(HttpCase::new(
            "cachet3: delete a component",
            "DELETE",
            "/api/components/1",
        ))
        .with(component("API", 1))
        .status(204)
        .expect(BodyCheck::Empty),
        jsonapi(HttpCase::get(
            "cachet3: component groups with their components",
            "/api/component-groups?include=components",
        ))
        .with(group("Backend", true))
        .with(in_group("API", 1, 1))
        .with(in_group("DB", 1, 1))
        .expect_at("/data/0/type", json!("componentGroups"))
        .expect_at("/data/0/attributes/visible", json!(1))
        .expect(BodyCheck::Len("/data/0/relationships/components/data", 2))
        .expect(BodyCheck::Len("/included", 2)),
        bearer(HttpCase::new(
            "cachet3: create a component group",
            "POST",
            "/api/component-groups",
        ))
        .json(&json!({"name": "Backend", "collapsed": 1}))
        .status(201)
        .expect_at("/data/attributes/name", json!("Backend"))
        .expect_at("/data/attributes/collapsed", json!(1)),
    ]
}

/// What a guest may not see stays hidden here too: the one visibility rule of the facade.
fn visibility() -> Vec<HttpCase> {
    let hidden_incident = Fixture::Incident {
        name: "Internal",
        status: 1,
        visible: false,
        components: Vec::new(),
    };
    let disabled = Fixture::Component {
        name: "Secret",
        status: 1,
        enabled: false,
        group: None,
    };
    vec![
        jsonapi(HttpCase::get(
            "cachet3: a guest does not see a hidden incident in the list",
            "/api/incidents",
        ))
        .with(hidden_incident.clone())
        .expect(BodyCheck::Len("/data", 0)),
        message(
            HttpCase::get(
                "cachet3: a guest does not see a hidden incident",
                "/api/incidents/1",
            )
            .with(hidden_incident.clone()),
            404,
            "Not found.",
        ),
        jsonapi(bearer(HttpCase::get(
            "cachet3: a token sees a hidden incident",
            "/api/incidents/1",
        )))
        .with(hidden_incident)
        .expect_at("/data/attributes/visible", json!(false)),
        jsonapi(HttpCase::get(
            "cachet3: a guest does not see a disabled component, even asking for it",
            "/api/components?filter[enabled]=false",
        ))
        .with(disabled.clone())
        .expect(BodyCheck::Len("/data", 0)),
        jsonapi(HttpCase::get(
            "cachet3: a guest does not see a group for signed-in users or its components",
            "/api/components?include=group",
        ))
        .with(group("Internal", false))
        .with(in_group("Admin tools", 1, 1))
        .with(component("API", 1))
        .expect(BodyCheck::Len("/data", 1))
        .expect_at("/data/0/attributes/name", json!("API"))
        .not_contains("Internal"),
        jsonapi(HttpCase::get(
            "cachet3: a guest's group list leaves out groups for signed-in users",
            "/api/component-groups",
        ))
        .with(group("Internal", false))
        .with(group("Public", true))
        .expect(BodyCheck::Len("/data", 1))
        .expect_at("/data/0/attributes/name", json!("Public")),
        jsonapi(HttpCase::get(
            "cachet3: an incident's hidden components are left out of include",
            "/api/incidents/1?include=components",
        ))
        .with(disabled)
        .with(component("API", 1))
        .with(incident("Down", 1, vec![(1, 4), (2, 4)]))
        .expect(BodyCheck::Len("/data/relationships/components/data", 1))
        .expect_at("/included/0/attributes/name", json!("API"))
        .not_contains("Secret"),
    ]
}

fn incidents() -> Vec<HttpCase> {
    vec![
        jsonapi(HttpCase::get(
            "cachet3: incidents with their updates, newest first",
            "/api/incidents?include=updates",
        ))
        .with(incident("Old", 4, Vec::new()))
        .with(Fixture::AdvanceMinutes(5))
        .with(incident("New", 1, Vec::new()))
        .with(Fixture::IncidentUpdate {
            incident: 2,
            status: 2,
            message: "Found it",
        })
        .expect(BodyCheck::Len("/data", 2))
        .expect_at("/data/0/attributes/name", json!("New"))
        .expect_at(
            "/data/0/attributes/status",
            json!({"human": "Identified", "value": 2}),
        )
        .expect_at("/data/0/relationships/updates/data/0/type", json!("updates"))
        .expect_at("/included/0/attributes/message", json!("Found it"))
        .expect_at("/included/0/attributes/updateable_type", json!("incident")),
        jsonapi(HttpCase::get(
            "cachet3: an incident has a stable GUID",
            "/api/incidents/1",
        ))
        .with(incident("Down", 1, Vec::new()))
        .expect_at("/data/attributes/guid", json!("<string>"))
        .contains("\"notifications\":"),
        bearer(HttpCase::new("cachet3: create an incident", "POST", "/api/incidents"))
            .with(component("API", 1))
            .with(component("Web", 1))
            .json(&json!({
                "name": "API down",
                "status": 1,
                "message": "We are looking into it.",
                "visible": true,
                "components": [{"id": 1, "status": 4}],
                "component_id": 2,
                "component_status": 2
            }))
            .status(201)
            .expect_at("/data/attributes/name", json!("API down"))
            .expect_at("/data/attributes/visible", json!(true))
            .expect_at("/data/attributes/notifications", json!(false))
            .expect_at(
                "/data/attributes/status",
                json!({"human": "Investigating", "value": 1}),
            ),
        jsonapi(HttpCase::get(
            "cachet3: an incident's components take the statuses it gave",
            "/api/components/1",
        ))
        .with(component("API", 1))
        .with(prior(
            "POST",
            "/api/incidents",
            json!({"name": "API down", "status": 1, "message": "Down.", "components": [{"id": 1, "status": 4}]}),
        ))
        .expect_at("/data/attributes/status/value", json!(4)),
        bearer(HttpCase::new(
            "cachet3: an incident from a template with variables",
            "POST",
            "/api/incidents",
        ))
        .with(Fixture::Template {
            name: "Outage",
            template: "{{ service }} is down: {{ incident.name }}",
        })
        .json(&json!({
            "name": "Checkout",
            "status": 2,
            "template": "outage",
            "template_vars": {"service": "<b>Payments</b>"}
        }))
        .status(201)
        .expect_at(
            "/data/attributes/message",
            // Values are escaped for Markdown: the page shows them as text.
            json!("\\<b\\>Payments\\<\\/b\\> is down: Checkout"),
        ),
        bearer(HttpCase::new(
            "cachet3: an incident needs a name and a status",
            "POST",
            "/api/incidents",
        ))
        .json(&json!({"message": "x"}))
        .status(422)
        .expect_at("/errors/name/0", json!("name: is required"))
        .expect_at("/errors/status/0", json!("status: is required"))
        .expect_at("/message", json!("name: is required (and 1 more error)")),
        bearer(HttpCase::new(
            "cachet3: a future published_at is refused",
            "POST",
            "/api/incidents",
        ))
        .json(&json!({"name": "Later", "status": 1, "message": "x", "published_at": "2999-01-01 00:00:00"}))
        .status(422)
        .expect_at("/errors/published_at/0", json!("<string>")),
        bearer(HttpCase::new(
            "cachet3: post an update of an incident",
            "POST",
            "/api/incidents/1/updates",
        ))
        .with(incident("Down", 1, Vec::new()))
        .json(&json!({"status": 4, "message": "Fixed."}))
        .status(201)
        .expect_at("/data/type", json!("updates"))
        .expect_at("/data/attributes/updateable_id", json!(1))
        .expect_at(
            "/data/attributes/status",
            json!({"human": "Fixed", "value": 4}),
        ),
        jsonapi(HttpCase::get(
            "cachet3: an incident's updates",
            "/api/incidents/1/updates",
        ))
        .with(incident("Down", 1, Vec::new()))
        .with(Fixture::IncidentUpdate {
            incident: 1,
            status: 3,
            message: "Watching",
        })
        .expect(BodyCheck::Len("/data", 1))
        .expect_at("/data/0/attributes/message", json!("Watching")),
        bearer(HttpCase::new(
            "cachet3: delete an incident",
            "DELETE",
            "/api/incidents/1",
        ))
        .with(incident("Down", 1, Vec::new()))
        .status(204),
        jsonapi(HttpCase::get(
            "cachet3: incident templates",
            "/api/incident-templates?filter[slug]=outage",
        ))
        .with(Fixture::Template {
            name: "Outage",
            template: "Down",
        })
        .with(Fixture::Template {
            name: "Fixed",
            template: "Up",
        })
        .expect(BodyCheck::Len("/data", 1))
        .expect_at("/data/0/type", json!("incidentTemplates"))
        .expect_at("/data/0/attributes/engine", json!("twig")),
    ]
}

fn others() -> Vec<HttpCase> {
    vec![
        jsonapi(HttpCase::get(
            "cachet3: schedules with their status now",
            "/api/schedules?include=components",
        ))
        .with(component("DB", 1))
        .with(Fixture::Schedule {
            name: "Upgrade",
            status: 0,
            starts_in_hours: 2,
            components: vec![1],
        })
        .expect_at("/data/0/attributes/name", json!("Upgrade"))
        .expect_at(
            "/data/0/attributes/status",
            json!({"human": "Upcoming", "value": 0}),
        )
        .expect_at(
            "/data/0/relationships/components/data/0",
            json!({"id": "1", "type": "components"}),
        ),
        bearer(HttpCase::new(
            "cachet3: create a schedule",
            "POST",
            "/api/schedules",
        ))
        .with(component("DB", 1))
        .json(&json!({
            "name": "Upgrade",
            "message": "Database upgrade",
            "scheduled_at": "2999-01-01 10:00:00",
            "components": [{"id": 1, "status": 6}]
        }))
        .status(201)
        .expect_at("/data/attributes/status/value", json!(0))
        .expect_at(
            "/data/attributes/scheduled/string",
            json!("2999-01-01 10:00:00"),
        ),
        jsonapi(HttpCase::get(
            "cachet3: metrics and their points",
            "/api/metrics/1/points",
        ))
        .with(Fixture::Metric {
            name: "Latency",
            visible: 1,
        })
        .with(Fixture::MetricPoint {
            metric: 1,
            value: 42.0,
        })
        .expect_at("/data/0/type", json!("metricPoints"))
        .expect_at("/data/0/attributes/value", json!(42.0)),
        bearer(HttpCase::new(
            "cachet3: record a metric point",
            "POST",
            "/api/metrics/1/points",
        ))
        .with(Fixture::Metric {
            name: "Latency",
            visible: 1,
        })
        .json(&json!({"value": 12.5}))
        .status(201)
        .expect_at("/data/attributes/value", json!(12.5))
        .expect_at("/data/attributes/metric_id", json!(1)),
        message(
            HttpCase::get("cachet3: subscribers need a token", "/api/subscribers"),
            401,
            "Unauthenticated.",
        ),
        message(
            HttpCase::get(
                "cachet3: a manager's token cannot list subscribers",
                "/api/subscribers",
            )
            .auth(Auth::Bearer(TokenKind::ManagerWrite)),
            403,
            "This action is unauthorized.",
        ),
        jsonapi(bearer(HttpCase::get(
            "cachet3: an admin lists subscribers",
            "/api/subscribers",
        )))
        .with(Fixture::Subscriber {
            email: "ann@example.com",
            verified: true,
        })
        .expect_at("/data/0/attributes/email", json!("ann@example.com"))
        .expect_at("/data/0/attributes/verified", json!(true)),
    ]
}
