//! Cases for `/api/v1/schedules` (maintenance).

use serde_json::json;

use super::{BodyCheck, Fixture, HttpCase, TokenKind, component};

fn schedule(name: &'static str, starts_in_hours: i64, components: Vec<i64>) -> Fixture {
    Fixture::Schedule {
        name,
        status: 0,
        starts_in_hours,
        components,
    }
}

fn post(name: &str) -> HttpCase {
    HttpCase::new(name, "POST", "/api/v1/schedules").token(TokenKind::Admin)
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get("schedules: one has Cachet's shape", "/api/v1/schedules/1")
            .with(schedule("Upgrade", 24, Vec::new()))
            .expect_json(json!({"data": {
                "id": 1, "name": "Upgrade", "message": "Upgrading the database.", "status": 0,
                "scheduled_at": "2026-01-02 00:00:00", "completed_at": "2026-01-02 02:00:00",
                "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                "deleted_at": null, "components": [], "human_status": "<string>",
            }})),
        HttpCase::get("schedules: a list", "/api/v1/schedules")
            .with(schedule("Upgrade", 24, Vec::new()))
            .with(schedule("Move", 48, Vec::new()))
            .expect_at("/meta/pagination/total", json!(2)),
        HttpCase::get("schedules: covered components are shown", "/api/v1/schedules/1")
            .with(component("DB", 1))
            .with(schedule("Upgrade", 24, vec![1]))
            .expect(BodyCheck::Len("/data/components", 1))
            .expect_at("/data/components/0/name", json!("DB")),
        HttpCase::get("schedules: disabled components are not shown to guests", "/api/v1/schedules/1")
            .with(Fixture::Component { name: "Secret", status: 1, enabled: false, group: None })
            .with(schedule("Upgrade", 24, vec![1]))
            .expect(BodyCheck::Len("/data/components", 0))
            .not_contains("Secret"),
        HttpCase::get("schedules: an unknown one is 404", "/api/v1/schedules/2").error(404),
        post("schedules: create in Cachet's date format")
            .with(component("DB", 1))
            .json(&json!({
                "name": "Upgrade", "status": 0, "scheduled_at": "2026-01-05 10:00",
                "completed_at": "2026-01-05 12:00", "components": [1],
            }))
            .expect_at("/data/scheduled_at", json!("2026-01-05 10:00:00"))
            .expect_at("/data/completed_at", json!("2026-01-05 12:00:00"))
            .expect_at("/data/components/0/id", json!(1)),
        post("schedules: scheduled_at is required")
            .json(&json!({"name": "Upgrade", "status": 0}))
            .error(400),
        post("schedules: status 5 is 400")
            .json(&json!({"name": "Upgrade", "status": 5, "scheduled_at": "2026-01-05 10:00"}))
            .error(400),
        post("schedules: an unreadable date is 400")
            .json(&json!({"name": "Upgrade", "status": 0, "scheduled_at": "next tuesday"}))
            .error(400),
        post("schedules: an unknown component is 400")
            .json(&json!({"name": "Upgrade", "status": 0, "scheduled_at": "2026-01-05 10:00", "components": [9]}))
            .error(400),
        post("schedules: components as words are 400")
            .json(&json!({"name": "Upgrade", "status": 0, "scheduled_at": "2026-01-05 10:00", "components": ["db"]}))
            .error(400),
        HttpCase::new("schedules: create without a token is 401", "POST", "/api/v1/schedules")
            .json(&json!({"name": "Upgrade", "status": 0, "scheduled_at": "2026-01-05 10:00"}))
            .error(401),
        HttpCase::new("schedules: PUT completes", "PUT", "/api/v1/schedules/1")
            .with(schedule("Upgrade", 24, Vec::new()))
            .token(TokenKind::Admin)
            .json(&json!({"status": 2}))
            .expect_at("/data/status", json!(2))
            .expect_at("/data/name", json!("Upgrade")),
        HttpCase::new("schedules: DELETE is 204", "DELETE", "/api/v1/schedules/1")
            .with(schedule("Upgrade", 24, Vec::new()))
            .token(TokenKind::Admin)
            .status(204)
            .expect(BodyCheck::Empty),
        HttpCase::new("schedules: DELETE with a read token is 403", "DELETE", "/api/v1/schedules/1")
            .with(schedule("Upgrade", 24, Vec::new()))
            .token(TokenKind::AdminRead)
            .error(403),
    ]
}
