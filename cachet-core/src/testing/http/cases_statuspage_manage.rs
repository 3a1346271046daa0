//! Cases for Statuspage's management API (`/v1/pages/{page_id}/...`), as Statuspage's own
//! tooling sends its requests: `Authorization: OAuth`, `{"component": {...}}` envelopes or
//! `component[status]=` forms, ids as the public API spells them. `{page_id}` in a path is
//! the site's page id.

use std::time::Duration;

use serde_json::json;

use super::{Auth, BodyCheck, CaseRequest, Fixture, HeaderCheck, HttpCase, TokenKind, component};
use crate::Config;
use crate::web::Limit;

fn one_api_call_per_address(c: &mut Config) {
    c.web.rate_limits.api_per_address = Limit::new(1, Duration::from_secs(3600));
}

fn one_api_call_per_token(c: &mut Config) {
    c.web.rate_limits.api_per_token = Limit::new(1, Duration::from_secs(3600));
}

const COMPONENTS: &str = "/v1/pages/{page_id}/components";
const INCIDENTS: &str = "/v1/pages/{page_id}/incidents";

fn oauth(c: HttpCase) -> HttpCase {
    c.auth(Auth::OAuth(TokenKind::Admin))
}

/// The error shape: `error` and `message`, the same sentence.
fn sp_error(c: HttpCase, status: u16, sentence: &str) -> HttpCase {
    c.status(status)
        .expect_header(
            "content-type",
            HeaderCheck::Exact("application/json".into()),
        )
        .expect_json(json!({"error": sentence, "message": sentence}))
}

fn incident(name: &'static str, status: u8, components: Vec<(i64, u8)>) -> Fixture {
    Fixture::Incident {
        name,
        status,
        visible: true,
        components,
    }
}

/// A request made before the case's own, as the admin's OAuth token.
fn prior(method: &str, path: &str, body: serde_json::Value) -> Fixture {
    let mut r = CaseRequest::new(method, path).json(&body);
    r.auth = Auth::OAuth(TokenKind::Admin);
    Fixture::Prior(r)
}

pub(super) fn cases() -> Vec<HttpCase> {
    let mut out = components();
    out.extend(incidents());
    out.extend(others());
    out
}

fn components() -> Vec<HttpCase> {
    vec![
        sp_error(
            HttpCase::get("statuspage manage: no token is 401", COMPONENTS)
                .with(component("API", 1)),
            401,
            "Could not authenticate",
        ),
        sp_error(
            HttpCase::get("statuspage manage: a bogus token is 401", COMPONENTS)
                .auth(Auth::RawToken("cachet_not_a_token".into())),
            401,
            "Could not authenticate",
        ),
        sp_error(
            HttpCase::get(
                "statuspage manage: guessing tokens spends the address's API budget",
                COMPONENTS,
            )
            .configure(one_api_call_per_address)
            .with(Fixture::Prior(CaseRequest::new("GET", COMPONENTS)))
            .auth(Auth::RawToken("cachet_guess".into())),
            429,
            "Rate limited",
        )
        .expect_header("retry-after", HeaderCheck::AtLeast(1)),
        sp_error(
            oauth(HttpCase::get(
                "statuspage manage: a token's calls spend its budget",
                COMPONENTS,
            ))
            .configure(one_api_call_per_token)
            .with({
                let mut r = CaseRequest::new("GET", COMPONENTS);
                r.auth = Auth::OAuth(TokenKind::Admin);
                Fixture::Prior(r)
            }),
            429,
            "Rate limited",
        )
        .expect_header("retry-after", HeaderCheck::AtLeast(1)),
        sp_error(
            oauth(HttpCase::get(
                "statuspage manage: another page id is 404",
                "/v1/pages/abcdefabcdef/components",
            )),
            404,
            "Page not found",
        ),
        oauth(HttpCase::get(
            "statuspage manage: components list as the public API shows them",
            COMPONENTS,
        ))
        .with(component("API", 2))
        .expect(BodyCheck::Len("", 1))
        .expect_at("/0/id", json!("component-1"))
        .expect_at("/0/name", json!("API"))
        .expect_at("/0/status", json!("degraded_performance"))
        .expect_at("/0/group", json!(false))
        .expect_at("/0/page_id", json!("<string>")),
        HttpCase::get(
            "statuspage manage: .json paths and Bearer work too",
            "/v1/pages/{page_id}/components.json",
        )
        .auth(Auth::Bearer(TokenKind::AdminRead))
        .with(component("API", 1))
        .expect(BodyCheck::Len("", 1)),
        oauth(HttpCase::new(
            "statuspage manage: PATCH a component's status",
            "PATCH",
            "/v1/pages/{page_id}/components/component-1",
        ))
        .with(component("API", 1))
        .json(&json!({"component": {"status": "major_outage"}}))
        .expect_at("/id", json!("component-1"))
        .expect_at("/status", json!("major_outage")),
        oauth(HttpCase::new(
            "statuspage manage: a form-encoded PATCH with a bare id",
            "PATCH",
            "/v1/pages/{page_id}/components/1",
        ))
        .with(component("API", 1))
        .body(
            "application/x-www-form-urlencoded",
            "component%5Bstatus%5D=partial_outage&component%5Bdescription%5D=Edge+API",
        )
        .expect_at("/status", json!("partial_outage"))
        .expect_at("/description", json!("Edge API")),
        oauth(HttpCase::new(
            "statuspage manage: PATCH moves a component into a group",
            "PATCH",
            "/v1/pages/{page_id}/components/component-1",
        ))
        .with(Fixture::Group {
            name: "Core",
            visible: true,
        })
        .with(component("API", 1))
        .json(&json!({"component": {"group_id": "group-1"}}))
        .expect_at("/group_id", json!("group-1")),
        oauth(HttpCase::new(
            "statuspage manage: a null group_id takes it out of its group",
            "PATCH",
            "/v1/pages/{page_id}/components/component-1",
        ))
        .with(Fixture::Group {
            name: "Core",
            visible: true,
        })
        .with(Fixture::Component {
            name: "API",
            status: 1,
            enabled: true,
            group: Some(1),
        })
        .json(&json!({"component": {"group_id": null}}))
        .expect_at("/group_id", json!(null))
        .expect_at("/name", json!("API")),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: a group id that is not one is refused",
                "PATCH",
                "/v1/pages/{page_id}/components/component-1",
            ))
            .with(component("API", 1))
            .json(&json!({"component": {"group_id": "component-1"}})),
            422,
            "component[group_id]: must be the id of a component group (group-1)",
        ),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: under_maintenance is refused, naming the field",
                "PATCH",
                "/v1/pages/{page_id}/components/component-1",
            ))
            .with(component("API", 1))
            .json(&json!({"component": {"status": "under_maintenance"}})),
            422,
            "component[status]: must be operational, degraded_performance, partial_outage or major_outage (a component is under maintenance while a maintenance window covers it)",
        ),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: an unknown status is refused",
                "PUT",
                "/v1/pages/{page_id}/components/component-1",
            ))
            .with(component("API", 1))
            .json(&json!({"component": {"status": "on_fire"}})),
            422,
            "component[status]: must be one of operational, degraded_performance, partial_outage, major_outage",
        ),
        sp_error(
            HttpCase::new(
                "statuspage manage: a read-only token may not write",
                "PATCH",
                "/v1/pages/{page_id}/components/component-1",
            )
            .auth(Auth::OAuth(TokenKind::AdminRead))
            .with(component("API", 1))
            .json(&json!({"component": {"status": "major_outage"}})),
            403,
            "This token may not do that",
        ),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: an unknown component is 404",
                "PATCH",
                "/v1/pages/{page_id}/components/component-9",
            ))
            .json(&json!({"component": {"status": "major_outage"}})),
            404,
            "Not found",
        ),
        oauth(HttpCase::new(
            "statuspage manage: POST creates a component (201)",
            "POST",
            COMPONENTS,
        ))
        .json(&json!({"component": {"name": "Search", "description": "Full text", "status": "operational", "showcase": true}}))
        .status(201)
        .expect_at("/id", json!("component-1"))
        .expect_at("/name", json!("Search"))
        .expect_at("/description", json!("Full text"))
        .expect_at("/status", json!("operational")),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: a component needs a name",
                "POST",
                COMPONENTS,
            ))
            .json(&json!({"component": {"status": "operational"}})),
            422,
            "component[name]: is required",
        ),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: an envelope that is not an object is 400",
                "POST",
                COMPONENTS,
            ))
            .json(&json!({"component": 7})),
            400,
            "the request body's component must be an object",
        ),
        oauth(HttpCase::new(
            "statuspage manage: DELETE a component (204)",
            "DELETE",
            "/v1/pages/{page_id}/components/component-1",
        ))
        .with(component("API", 1))
        .status(204)
        .expect(BodyCheck::Empty),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: 405 names the methods",
                "POST",
                "/v1/pages/{page_id}/components/component-1",
            )),
            405,
            "Method not allowed",
        )
        .expect_header(
            "allow",
            HeaderCheck::Exact("GET, HEAD, PATCH, PUT, DELETE".into()),
        ),
    ]
}

fn incidents() -> Vec<HttpCase> {
    vec![
        oauth(HttpCase::new(
            "statuspage manage: create an incident with component statuses",
            "POST",
            INCIDENTS,
        ))
        .with(component("API", 1))
        .with(component("DB", 1))
        .json(&json!({"incident": {
            "name": "Elevated errors",
            "status": "identified",
            "body": "We found the cause.",
            "component_ids": ["component-2"],
            "components": {"component-1": "major_outage"},
            "deliver_notifications": false,
            "impact_override": "critical",
            "metadata": {"jira": {"issue": "OPS-1"}}
        }}))
        .status(201)
        .expect_at("/id", json!("incident-1"))
        .expect_at("/name", json!("Elevated errors"))
        .expect_at("/status", json!("identified"))
        .expect_at("/impact", json!("critical"))
        .expect(BodyCheck::Len("/components", 2))
        .expect_at("/components/0/id", json!("component-1"))
        .expect_at("/components/0/status", json!("major_outage"))
        .expect_at("/components/1/status", json!("operational"))
        .expect_at("/incident_updates/0/body", json!("We found the cause.")),
        oauth(HttpCase::new(
            "statuspage manage: the component takes the incident's status",
            "GET",
            "/v1/pages/{page_id}/components/component-1",
        ))
        .with(component("API", 1))
        .with(prior(
            "POST",
            INCIDENTS,
            json!({"incident": {"name": "Down", "components": {"1": "partial_outage"}}}),
        ))
        .expect_at("/status", json!("partial_outage")),
        oauth(HttpCase::new(
            "statuspage manage: PATCH with status and body posts an update and resolves",
            "PATCH",
            "/v1/pages/{page_id}/incidents/incident-1",
        ))
        .with(component("API", 4))
        .with(incident("Outage", 1, vec![(1, 4)]))
        .json(&json!({"incident": {
            "status": "resolved",
            "body": "All good now.",
            "components": {"component-1": "operational"}
        }}))
        .expect_at("/status", json!("resolved"))
        .expect_at("/resolved_at", json!("<date>"))
        .expect_at("/incident_updates/0/status", json!("resolved"))
        .expect_at("/incident_updates/0/body", json!("All good now."))
        .expect_at("/components/0/status", json!("operational")),
        oauth(HttpCase::get(
            "statuspage manage: unresolved lists only open incidents",
            "/v1/pages/{page_id}/incidents/unresolved.json",
        ))
        .with(incident("Old", 4, Vec::new()))
        .with(incident("Open", 1, Vec::new()))
        .expect(BodyCheck::Len("", 1))
        .expect_at("/0/id", json!("incident-2")),
        oauth(HttpCase::get(
            "statuspage manage: the list pages with limit",
            "/v1/pages/{page_id}/incidents?limit=1&page=2",
        ))
        .with(incident("First", 1, Vec::new()))
        .with(incident("Second", 1, Vec::new()))
        .expect(BodyCheck::Len("", 1)),
        oauth(HttpCase::get(
            "statuspage manage: hidden incidents are listed for a token that may see them",
            INCIDENTS,
        ))
        .with(Fixture::Incident {
            name: "Internal",
            status: 1,
            visible: false,
            components: Vec::new(),
        })
        .expect(BodyCheck::Len("", 1)),
        sp_error(
            oauth(HttpCase::get(
                "statuspage manage: a limit over 100 is refused",
                "/v1/pages/{page_id}/incidents?limit=101",
            )),
            422,
            "limit: must be a whole number from 1 to 100",
        ),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: scheduled statuses are refused on create",
                "POST",
                INCIDENTS,
            ))
            .json(&json!({"incident": {"name": "Upgrade", "status": "scheduled"}})),
            422,
            "incident[status]: must be investigating, identified, monitoring or resolved (maintenance windows are API v1's /schedules)",
        ),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: an unknown component id is refused",
                "POST",
                INCIDENTS,
            ))
            .json(&json!({"incident": {"name": "X", "component_ids": ["component-9"]}})),
            422,
            "incident[component_ids]: must be one of ids of existing components",
        ),
        oauth(HttpCase::get(
            "statuspage manage: scheduled lists upcoming maintenance",
            "/v1/pages/{page_id}/incidents/scheduled",
        ))
        .with(component("API", 1))
        .with(Fixture::Schedule {
            name: "Upgrade",
            status: 0,
            starts_in_hours: 5,
            components: vec![1],
        })
        .expect(BodyCheck::Len("", 1))
        .expect_at("/0/status", json!("scheduled"))
        .expect_at("/0/scheduled_for", json!("<date>")),
        oauth(HttpCase::new(
            "statuspage manage: DELETE answers the incident as it was",
            "DELETE",
            "/v1/pages/{page_id}/incidents/1",
        ))
        .with(incident("Gone", 1, Vec::new()))
        .expect_at("/id", json!("incident-1"))
        .expect_at("/name", json!("Gone")),
        sp_error(
            oauth(HttpCase::get(
                "statuspage manage: a deleted incident is 404",
                "/v1/pages/{page_id}/incidents/incident-1",
            ))
            .with(incident("Gone", 1, Vec::new()))
            .with(prior(
                "DELETE",
                "/v1/pages/{page_id}/incidents/1",
                json!({}),
            )),
            404,
            "Not found",
        ),
    ]
}

fn others() -> Vec<HttpCase> {
    vec![
        oauth(HttpCase::get(
            "statuspage manage: incident templates",
            "/v1/pages/{page_id}/incident_templates",
        ))
        .with(Fixture::Template {
            name: "Database down",
            template: "The database is down.",
        })
        .expect(BodyCheck::Len("", 1))
        .expect_at("/0/id", json!("template-1"))
        .expect_at("/0/title", json!("Database down"))
        .expect_at("/0/body", json!("The database is down.")),
        oauth(HttpCase::new(
            "statuspage manage: create a template from name and body",
            "POST",
            "/v1/pages/{page_id}/incident_templates",
        ))
        .json(&json!({"template": {"name": "Degraded API", "title": "Degraded API", "body": "We are looking into it."}}))
        .status(201)
        .expect_at("/slug", json!("degraded-api"))
        .expect_at("/body", json!("We are looking into it.")),
        oauth(HttpCase::new(
            "statuspage manage: an admin adds a subscriber and is told who",
            "POST",
            "/v1/pages/{page_id}/subscribers",
        ))
        .json(&json!({"subscriber": {"email": "ops@example.com", "skip_confirmation_notification": true}}))
        .status(201)
        .expect_at("/id", json!("subscriber-1"))
        .expect_at("/email", json!("ops@example.com"))
        .expect_at("/verified", json!(true)),
        HttpCase::new(
            "statuspage manage: a manager adding a known address learns nothing",
            "POST",
            "/v1/pages/{page_id}/subscribers",
        )
        .auth(Auth::OAuth(TokenKind::ManagerWrite))
        .with(Fixture::Subscriber {
            email: "known@example.com",
            verified: true,
        })
        .json(&json!({"subscriber": {"email": "known@example.com"}}))
        .status(201)
        .expect_json(json!({
            "components": [],
            "created_at": null,
            "email": "known@example.com",
            "id": null,
            "mode": "email",
            "quarantined_at": null,
            "verified": null
        })),
        sp_error(
            HttpCase::get(
                "statuspage manage: only an admin lists subscribers",
                "/v1/pages/{page_id}/subscribers",
            )
            .auth(Auth::OAuth(TokenKind::ManagerWrite)),
            403,
            "This token may not do that",
        ),
        oauth(HttpCase::get(
            "statuspage manage: an admin lists subscribers with their addresses",
            "/v1/pages/{page_id}/subscribers",
        ))
        .with(Fixture::Subscriber {
            email: "a@example.com",
            verified: false,
        })
        .expect(BodyCheck::Len("", 1))
        .expect_at("/0/email", json!("a@example.com"))
        .expect_at("/0/verified", json!(false)),
        sp_error(
            oauth(HttpCase::new(
                "statuspage manage: a subscriber needs an address",
                "POST",
                "/v1/pages/{page_id}/subscribers",
            ))
            .json(&json!({"subscriber": {"phone_number": "+15555550100"}})),
            422,
            "subscriber[email]: is required",
        ),
    ]
}
