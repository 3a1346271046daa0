//! Cases for `/api/v1/components`.

use serde_json::{Value, json};

use super::{BodyCheck, CaseRequest, Fixture, HttpCase, TokenKind, component};

/// Cachet's whole component shape, for a component created by the fixtures at the epoch.
fn shape(id: i64, name: &str, status: u8, enabled: bool) -> Value {
    json!({
        "id": id, "name": name, "description": "", "link": "", "status": status,
        "order": 0, "group_id": 0, "enabled": enabled, "meta": null,
        "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
        "deleted_at": null, "status_name": status_name(status), "tags": [],
    })
}

fn status_name(status: u8) -> &'static str {
    match status {
        1 => "Operational",
        2 => "Performance Issues",
        3 => "Partial Outage",
        4 => "Major Outage",
        _ => "Unknown",
    }
}

fn hidden() -> Fixture {
    Fixture::Component {
        name: "Secret",
        status: 1,
        enabled: false,
        group: None,
    }
}

fn post(name: &str) -> HttpCase {
    HttpCase::new(name, "POST", "/api/v1/components").token(TokenKind::Admin)
}

fn put(name: &str, path: &str) -> HttpCase {
    HttpCase::new(name, "PUT", path)
        .token(TokenKind::Admin)
        .with(component("API", 1))
}

fn list(name: &str, query: &str) -> HttpCase {
    HttpCase::get(name, &format!("/api/v1/components{query}"))
        .with(component("Alpha", 1))
        .with(component("Beta", 4))
        .with(component("Gamma", 1))
}

fn total(c: HttpCase, n: u64) -> HttpCase {
    c.expect_at("/meta/pagination/total", json!(n))
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get("components: an empty list", "/api/v1/components").expect_json(json!({
            "meta": {"pagination": {
                "total": 0, "count": 0, "per_page": 20, "current_page": 1, "total_pages": 1,
                "links": {"next_page": null, "previous_page": null},
            }},
            "data": [],
        })),
        HttpCase::get(
            "components: a list has Cachet's shape",
            "/api/v1/components",
        )
        .with(component("API", 1))
        .expect_json(json!({
            "meta": {"pagination": {
                "total": 1, "count": 1, "per_page": 20, "current_page": 1, "total_pages": 1,
                "links": {"next_page": null, "previous_page": null},
            }},
            "data": [shape(1, "API", 1, true)],
        })),
        HttpCase::get("components: one has Cachet's shape", "/api/v1/components/1")
            .with(component("API", 2))
            .expect_json(json!({"data": shape(1, "API", 2, true)})),
        total(
            HttpCase::get(
                "components: guests do not list disabled ones",
                "/api/v1/components",
            )
            .with(component("API", 1))
            .with(hidden()),
            1,
        ),
        total(
            HttpCase::get(
                "components: a token lists disabled ones",
                "/api/v1/components",
            )
            .with(component("API", 1))
            .with(hidden())
            .token(TokenKind::AdminRead),
            2,
        ),
        HttpCase::get(
            "components: a disabled one is hidden by id",
            "/api/v1/components/1",
        )
        .with(hidden())
        .error(404),
        HttpCase::get(
            "components: a token sees a disabled one by id",
            "/api/v1/components/1",
        )
        .with(hidden())
        .token(TokenKind::ManagerRead)
        .expect_json(json!({"data": shape(1, "Secret", 1, false)})),
        HttpCase::get("components: an unknown id is 404", "/api/v1/components/99").error(404),
        HttpCase::get("components: a word id is 404", "/api/v1/components/abc").error(404),
        HttpCase::get("components: id 0 is 404", "/api/v1/components/0").error(404),
        HttpCase::get("components: a negative id is 404", "/api/v1/components/-1").error(404),
        HttpCase::get(
            "components: an id beyond i64 is 404",
            "/api/v1/components/99999999999999999999999",
        )
        .error(404),
        HttpCase::get(
            "components: SQL in the id is 404",
            "/api/v1/components/1%20OR%201=1",
        )
        .with(component("API", 1))
        .error(404),
        // Create.
        post("components: create by JSON returns the whole shape")
            .json(&json!({
                "name": "API", "status": 1, "description": "Public API",
                "link": "https://api.example.com", "tags": "Core,Edge", "meta": {"owner": "ops"},
            }))
            .expect_json(json!({"data": {
                "id": 1, "name": "API", "description": "Public API",
                "link": "https://api.example.com", "status": 1, "order": 0, "group_id": 0,
                "enabled": true, "meta": {"owner": "ops"},
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "deleted_at": null, "status_name": "Operational",
                "tags": {"core": "Core", "edge": "Edge"},
            }})),
        post("components: create by form")
            .body(
                "application/x-www-form-urlencoded",
                "name=Data+base&status=2&enabled=0&tags[]=db",
            )
            .expect_at("/data/name", json!("Data base"))
            .expect_at("/data/status", json!(2))
            .expect_at("/data/enabled", json!(false))
            .expect_at("/data/tags", json!({"db": "db"})),
        HttpCase::new(
            "components: create by query string",
            "POST",
            "/api/v1/components?name=Queue&status=3&enabled=FALSE",
        )
        .token(TokenKind::Admin)
        .expect_at("/data/name", json!("Queue"))
        .expect_at("/data/enabled", json!(false)),
        post("components: an empty body with a JSON type is no input")
            .body("application/json", "")
            .error(400),
        post("components: null means absent")
            .json(
                &json!({"name": "API", "status": 1, "link": null, "group_id": null, "meta": null}),
            )
            .expect_at("/data/link", json!(""))
            .expect_at("/data/group_id", json!(0)),
        post("components: a missing name and a bad status are both reported")
            .json(&json!({"status": 9}))
            .error(400)
            .expect(BodyCheck::Contains("name:".into()))
            .expect(BodyCheck::Contains("status:".into())),
        post("components: an unknown status code is 400")
            .json(&json!({"name": "API", "status": 5}))
            .error(400),
        post("components: a word status is 400")
            .json(&json!({"name": "API", "status": "one"}))
            .error(400),
        post("components: an array where the name belongs is 400")
            .json(&json!({"name": ["API"], "status": 1}))
            .error(400),
        post("components: an object where the status belongs is 400")
            .json(&json!({"name": "API", "status": {"$gt": 0}}))
            .error(400),
        post("components: a PHP array in a form name is 400")
            .body("application/x-www-form-urlencoded", "name[]=a&status=1")
            .error(400),
        post("components: malformed JSON is 400")
            .body("application/json", "{\"name\": ")
            .error(400),
        post("components: a JSON string body is 400")
            .body("application/json", "\"API\"")
            .error(400),
        post("components: a JSON array body is 400")
            .body("application/json", "[{\"name\":\"API\",\"status\":1}]")
            .error(400),
        post("components: deeply nested JSON is 400")
            .body(
                "application/json",
                format!(
                    r#"{{"name":"x","status":1,"meta":{}1{}}}"#,
                    "[".repeat(100),
                    "]".repeat(100)
                ),
            )
            .error(400),
        post("components: a very deep unterminated JSON is 400, not a crash")
            .body("application/json", "[".repeat(100_000))
            .error(400),
        post("components: invalid UTF-8 is 400")
            .body(
                "application/json",
                &b"{\"name\":\"\xff\xfe\",\"status\":1}"[..],
            )
            .error(400),
        post("components: a NUL in the name is 400")
            .json(&json!({"name": "A\u{0}B", "status": 1}))
            .error(400),
        post("components: an empty name is 400")
            .json(&json!({"name": "   ", "status": 1}))
            .error(400),
        post("components: a javascript: link is 400")
            .json(&json!({"name": "API", "status": 1, "link": "javascript:alert(1)"}))
            .error(400),
        post("components: an unknown group is 400")
            .json(&json!({"name": "API", "status": 1, "group_id": 99}))
            .error(400),
        post("components: a string boolean that is not one is 400")
            .json(&json!({"name": "API", "status": 1, "enabled": "maybe"}))
            .error(400),
        post("components: a huge order is 400")
            .json(&json!({"name": "API", "status": 1, "order": 1e30}))
            .error(400),
        post("components: markup in the name is kept as text")
            .json(&json!({"name": "<script>alert(1)</script>", "status": 1}))
            .expect_header(
                "content-type",
                super::HeaderCheck::Exact("application/json".into()),
            )
            .expect_at("/data/name", json!("<script>alert(1)</script>")),
        // Update.
        put(
            "components: PUT changes only what is sent",
            "/api/v1/components/1",
        )
        .json(&json!({"status": 4}))
        .expect_at("/data/status", json!(4))
        .expect_at("/data/name", json!("API"))
        .expect_at("/data/status_name", json!("Major Outage")),
        HttpCase::new(
            "components: PATCH works as PUT",
            "PATCH",
            "/api/v1/components/1",
        )
        .token(TokenKind::Admin)
        .with(component("API", 1))
        .json(&json!({"name": "Edge"}))
        .expect_at("/data/name", json!("Edge")),
        put(
            "components: PUT an unknown id is 404",
            "/api/v1/components/99",
        )
        .json(&json!({"status": 4}))
        .error(404),
        put(
            "components: PUT a bad status is 400",
            "/api/v1/components/1",
        )
        .json(&json!({"status": 7}))
        .error(400),
        HttpCase::new(
            "components: PUT without a token is 401",
            "PUT",
            "/api/v1/components/1",
        )
        .with(component("API", 1))
        .json(&json!({"status": 4}))
        .error(401),
        HttpCase::new(
            "components: PUT with a read token is 403",
            "PUT",
            "/api/v1/components/1",
        )
        .with(component("API", 1))
        .token(TokenKind::AdminRead)
        .json(&json!({"status": 4}))
        .error(403),
        // Delete.
        HttpCase::new(
            "components: DELETE is 204 without a body",
            "DELETE",
            "/api/v1/components/1",
        )
        .with(component("API", 1))
        .token(TokenKind::Admin)
        .status(204)
        .expect(BodyCheck::Empty),
        HttpCase::get("components: a deleted one is gone", "/api/v1/components/1")
            .with(component("API", 1))
            .with(Fixture::Prior(
                CaseRequest::new("DELETE", "/api/v1/components/1").token(TokenKind::Admin),
            ))
            .token(TokenKind::Admin)
            .error(404),
        HttpCase::new(
            "components: DELETE without a token is 401",
            "DELETE",
            "/api/v1/components/1",
        )
        .with(component("API", 1))
        .error(401),
        HttpCase::new(
            "components: DELETE an unknown id is 404",
            "DELETE",
            "/api/v1/components/9",
        )
        .token(TokenKind::Admin)
        .error(404),
        HttpCase::new(
            "components: POST to an id is 405",
            "POST",
            "/api/v1/components/1",
        )
        .with(component("API", 1))
        .token(TokenKind::Admin)
        .error(405),
        HttpCase::new(
            "components: DELETE the collection is 405",
            "DELETE",
            "/api/v1/components",
        )
        .token(TokenKind::Admin)
        .error(405),
        // Filters, sorts, pages.
        total(list("components: filter by status", "?status=4"), 1)
            .expect_at("/data/0/name", json!("Beta")),
        total(list("components: filter by name", "?name=Gamma"), 1),
        total(
            list(
                "components: SQL in a filter matches nothing",
                "?name=x%27%20OR%201%3D1--",
            ),
            0,
        ),
        list("components: a list in a filter is 400", "?status[]=1").error(400),
        list("components: a word in a number filter is 400", "?status=up").error(400),
        total(
            list(
                "components: unknown keys are ignored",
                "?1=1&password=x&foo[bar]=1",
            ),
            3,
        ),
        list(
            "components: sort by name descending",
            "?sort=name&order=desc",
        )
        .expect_at("/data/0/name", json!("Gamma"))
        .expect_at("/data/2/name", json!("Alpha")),
        list(
            "components: SQL in the sort is ignored",
            "?sort=name;DROP%20TABLE%20users",
        )
        .expect_at("/meta/pagination/total", json!(3))
        .expect_at("/data/0/name", json!("Alpha")),
        list(
            "components: a sort on a secret column is ignored",
            "?sort=password&order=desc",
        )
        .expect_at("/data/0/name", json!("Alpha")),
        list(
            "components: pages link to their neighbours",
            "?per_page=1&page=2&status=1",
        )
        .expect_at(
            "/meta/pagination",
            json!({
                "total": 2, "count": 1, "per_page": 1, "current_page": 2, "total_pages": 2,
                "links": {
                    "next_page": null,
                    "previous_page": "{public}/api/v1/components?per_page=1&status=1&page=1",
                },
            }),
        ),
        list("components: per_page is clamped", "?per_page=100000")
            .expect_at("/meta/pagination/per_page", json!(1000)),
        list("components: page 0 is page 1", "?page=0")
            .expect_at("/meta/pagination/current_page", json!(1)),
        list("components: a page past the end is empty", "?page=9")
            .expect(BodyCheck::Len("/data", 0)),
        total(
            HttpCase::get(
                "components: filter by tag slug",
                "/api/v1/components?tags[]=core",
            )
            .with(component("Untagged", 1))
            .with(Fixture::Prior(
                CaseRequest::new("POST", "/api/v1/components")
                    .token(TokenKind::Admin)
                    .json(&json!({"name": "Tagged", "status": 1, "tags": "Core"})),
            )),
            1,
        )
        .expect_at("/data/0/name", json!("Tagged")),
    ]
}
