//! Cases for `/api/v1/components/groups`.

use serde_json::json;

use super::{BodyCheck, Fixture, HttpCase, TokenKind};

pub(super) fn group(name: &'static str, visible: bool) -> Fixture {
    Fixture::Group { name, visible }
}

pub(super) fn in_group(name: &'static str, status: u8, group: i64) -> Fixture {
    Fixture::Component {
        name,
        status,
        enabled: true,
        group: Some(group),
    }
}

fn post(name: &str) -> HttpCase {
    HttpCase::new(name, "POST", "/api/v1/components/groups").token(TokenKind::Admin)
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get(
            "groups: a public group has Cachet's shape",
            "/api/v1/components/groups/1",
        )
        .with(group("Core", true))
        .with(in_group("API", 1, 1))
        .with(in_group("DB", 3, 1))
        .expect_json(json!({"data": {
            "id": 1, "name": "Core", "order": 0, "collapsed": 0, "visible": 1,
            "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
            "lowest_human_status": "Partial Outage",
            "enabled_components": ["<any>", "<any>"],
            "enabled_components_lowest": [{
                "id": 2, "name": "DB", "description": "", "link": "", "status": 3,
                "order": 0, "group_id": 1, "enabled": true, "meta": null,
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "deleted_at": null, "status_name": "Partial Outage", "tags": [],
            }],
        }})),
        HttpCase::get(
            "groups: guests list public groups only",
            "/api/v1/components/groups",
        )
        .with(group("Core", true))
        .with(group("Internal", false))
        .expect_at("/meta/pagination/total", json!(1))
        .expect_at("/data/0/name", json!("Core")),
        HttpCase::get(
            "groups: a token lists every group",
            "/api/v1/components/groups",
        )
        .with(group("Core", true))
        .with(group("Internal", false))
        .token(TokenKind::AdminRead)
        .expect_at("/meta/pagination/total", json!(2)),
        HttpCase::get(
            "groups: a signed-in-only group is hidden by id",
            "/api/v1/components/groups/1",
        )
        .with(group("Internal", false))
        .error(404),
        HttpCase::get(
            "groups: a token sees a signed-in-only group by id",
            "/api/v1/components/groups/1",
        )
        .with(group("Internal", false))
        .token(TokenKind::ManagerRead)
        .expect_at("/data/visible", json!(0)),
        HttpCase::get(
            "groups: an unknown group is 404",
            "/api/v1/components/groups/7",
        )
        .error(404),
        HttpCase::get("groups: a word id is 404", "/api/v1/components/groups/abc").error(404),
        HttpCase::get(
            "groups: filter by name",
            "/api/v1/components/groups?name=Edge",
        )
        .with(group("Core", true))
        .with(group("Edge", true))
        .expect_at("/meta/pagination/total", json!(1))
        .expect_at("/data/0/id", json!(2)),
        HttpCase::get(
            "groups: sort by name descending",
            "/api/v1/components/groups?sort=name&order=desc",
        )
        .with(group("Core", true))
        .with(group("Edge", true))
        .expect_at("/data/0/name", json!("Edge")),
        post("groups: create defaults to signed-in only and expanded")
            .json(&json!({"name": "Core"}))
            .expect_at("/data/visible", json!(0))
            .expect_at("/data/collapsed", json!(0))
            .expect_at("/data/enabled_components", json!([])),
        post("groups: create a public collapsed group by form")
            .body(
                "application/x-www-form-urlencoded",
                "name=Core&visible=1&collapsed=1&order=3",
            )
            .expect_at("/data/visible", json!(1))
            .expect_at("/data/collapsed", json!(1))
            .expect_at("/data/order", json!(3)),
        post("groups: collapsed 3 is stored as 2")
            .json(&json!({"name": "Core", "collapsed": 3}))
            .expect_at("/data/collapsed", json!(2)),
        post("groups: collapsed 9 is 400")
            .json(&json!({"name": "Core", "collapsed": 9}))
            .error(400),
        post("groups: a missing name is 400")
            .json(&json!({"visible": 1}))
            .error(400),
        post("groups: a list as the name is 400")
            .json(&json!({"name": ["a", "b"]}))
            .error(400),
        HttpCase::new(
            "groups: create without a token is 401",
            "POST",
            "/api/v1/components/groups",
        )
        .json(&json!({"name": "Core"}))
        .error(401),
        HttpCase::new(
            "groups: create with a read token is 403",
            "POST",
            "/api/v1/components/groups",
        )
        .token(TokenKind::AdminRead)
        .json(&json!({"name": "Core"}))
        .error(403),
        HttpCase::new("groups: PUT renames", "PUT", "/api/v1/components/groups/1")
            .with(group("Core", true))
            .token(TokenKind::Admin)
            .json(&json!({"name": "Center"}))
            .expect_at("/data/name", json!("Center"))
            .expect_at("/data/visible", json!(1)),
        HttpCase::new(
            "groups: PUT an unknown group is 404",
            "PUT",
            "/api/v1/components/groups/4",
        )
        .token(TokenKind::Admin)
        .json(&json!({"name": "Center"}))
        .error(404),
        HttpCase::new(
            "groups: DELETE is 204",
            "DELETE",
            "/api/v1/components/groups/1",
        )
        .with(group("Core", true))
        .token(TokenKind::Admin)
        .status(204)
        .expect(BodyCheck::Empty),
        HttpCase::new(
            "groups: DELETE without a token is 401",
            "DELETE",
            "/api/v1/components/groups/1",
        )
        .with(group("Core", true))
        .error(401),
        HttpCase::new(
            "groups: POST to a group is 405",
            "POST",
            "/api/v1/components/groups/1",
        )
        .with(group("Core", true))
        .token(TokenKind::Admin)
        .error(405),
    ]
}
