//! Cases for `/api/v1/subscribers` and `/api/v1/subscriptions`.

use serde_json::json;

use super::{BodyCheck, Fixture, HttpCase, TokenKind, component};

fn subscriber(email: &'static str) -> Fixture {
    Fixture::Subscriber {
        email,
        verified: true,
    }
}

fn post(name: &str) -> HttpCase {
    HttpCase::new(name, "POST", "/api/v1/subscribers").token(TokenKind::Admin)
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get("subscribers: listing needs a token", "/api/v1/subscribers")
            .with(subscriber("ann@example.com"))
            .error(401)
            .not_contains("ann@"),
        HttpCase::get(
            "subscribers: a manager may not read addresses",
            "/api/v1/subscribers",
        )
        .with(subscriber("ann@example.com"))
        .token(TokenKind::ManagerWrite)
        .error(403)
        .not_contains("ann@"),
        HttpCase::get(
            "subscribers: an admin lists addresses and no secrets",
            "/api/v1/subscribers",
        )
        .with(subscriber("ann@example.com"))
        .token(TokenKind::Admin)
        .expect_at(
            "/data/0",
            json!({
                "id": 1, "email": "ann@example.com", "verified_at": "2026-01-01 00:00:00",
                "global": true, "created_at": "2026-01-01 00:00:00",
                "updated_at": "2026-01-01 00:00:00", "subscriptions": [],
                "phone_number": null, "slack_webhook_url": null,
            }),
        )
        .not_contains("verify_code")
        .not_contains("token"),
        post("subscribers: create unverified by default")
            .json(&json!({"email": "bob@example.com"}))
            .expect_at("/data/email", json!("bob@example.com"))
            .expect_at("/data/verified_at", json!(null))
            .not_contains("verify_code"),
        post("subscribers: create verified with components")
            .with(component("API", 1))
            .json(&json!({"email": "bob@example.com", "verify": true, "components": [1]}))
            .expect_at("/data/verified_at", json!("2026-01-01 00:00:00"))
            .expect_at("/data/global", json!(false))
            .expect_at("/data/subscriptions/0/component_id", json!(1)),
        post("subscribers: an existing address returns the existing subscriber")
            .with(subscriber("ann@example.com"))
            .json(&json!({"email": "ann@example.com", "verify": false}))
            .expect_at("/data/id", json!(1))
            .expect_at("/data/verified_at", json!("2026-01-01 00:00:00")),
        // Cachet's clients send the fields of Cachet's subscriber model (Cachet 2.4 ignores
        // the phone number and Slack URL on create). Here each adds a sibling subscriber on
        // its own channel; the answer shows them redacted, never the URL's secret path.
        post("subscribers: a Cachet client's Slack URL adds a chat subscriber, shown redacted")
            .json(&json!({
                "email": "bob@example.com",
                "phone_number": "",
                "slack_webhook_url": "https://hooks.slack.com/services/T0/B0/x",
                "verify": "1",
            }))
            .expect_at("/data/email", json!("bob@example.com"))
            .expect_at("/data/phone_number", json!(null))
            .expect_at(
                "/data/slack_webhook_url",
                json!("https://hooks.slack.com/[redacted]"),
            )
            .expect_at("/data/verified_at", json!("2026-01-01 00:00:00"))
            .not_contains("T0/B0"),
        post("subscribers: a phone number in an SMS region adds an SMS subscriber, masked")
            .configure(|c| c.sms = crate::SmsPolicy::for_regions(["US"]))
            .json(&json!({"email": "bob@example.com", "phone_number": "+1 201 555 0123"}))
            .expect_at("/data/email", json!("bob@example.com"))
            .expect_at("/data/phone_number", json!("+1 ••• ••• 0123"))
            .not_contains("5550123"),
        post("subscribers: a phone number is 400 naming it when the page sends no SMS")
            .json(&json!({"email": "bob@example.com", "phone_number": "+15555550100"}))
            .error(400)
            .contains("phone_number"),
        post("subscribers: a Slack URL on a private address is 400 naming it")
            .json(&json!({
                "email": "bob@example.com",
                "slack_webhook_url": "https://10.0.0.1/services/T0/B0/x",
            }))
            .error(400)
            .contains("slack_webhook_url"),
        post("subscribers: a plain-http Slack URL is 400 naming it")
            .json(&json!({
                "email": "bob@example.com",
                "slack_webhook_url": "http://hooks.slack.com/services/T0/B0/x",
            }))
            .error(400)
            .contains("slack_webhook_url"),
        HttpCase::get(
            "subscribe page: a form subscribes a chat channel by its webhook URL",
            "/subscribe",
        )
        // The form's action under whatever prefix the site is mounted at.
        .contains("/subscribe/chat\"")
        .contains("name=\"webhook_url\""),
        HttpCase::new(
            "subscribe page: the chat form without its token is 403",
            "POST",
            "/subscribe/chat",
        )
        .body(
            "application/x-www-form-urlencoded",
            "webhook_url=https%3A%2F%2Fhooks.slack.com%2Fservices%2FT0%2FB0%2Fx",
        )
        .status(403)
        .not_contains("hooks.slack.com"),
        post("subscribers: a bad address is 400")
            .json(&json!({"email": "not an address"}))
            .error(400),
        post("subscribers: header injection in the address is 400")
            .json(&json!({"email": "a@example.com\r\nBcc: all@example.com"}))
            .error(400),
        post("subscribers: an unknown component is 400")
            .json(&json!({"email": "bob@example.com", "components": [7]}))
            .error(400),
        HttpCase::new(
            "subscribers: create without a token is 401",
            "POST",
            "/api/v1/subscribers",
        )
        .json(&json!({"email": "bob@example.com"}))
        .error(401),
        HttpCase::new(
            "subscribers: create with a read token is 403",
            "POST",
            "/api/v1/subscribers",
        )
        .token(TokenKind::AdminRead)
        .json(&json!({"email": "bob@example.com"}))
        .error(403),
        HttpCase::new(
            "subscribers: DELETE is 204",
            "DELETE",
            "/api/v1/subscribers/1",
        )
        .with(subscriber("ann@example.com"))
        .token(TokenKind::Admin)
        .status(204)
        .expect(BodyCheck::Empty),
        HttpCase::new(
            "subscribers: DELETE an unknown one is 404",
            "DELETE",
            "/api/v1/subscribers/5",
        )
        .token(TokenKind::Admin)
        .error(404),
        HttpCase::new(
            "subscribers: DELETE without a token is 401",
            "DELETE",
            "/api/v1/subscribers/1",
        )
        .with(subscriber("ann@example.com"))
        .error(401),
        HttpCase::get("subscribers: GET one is 405", "/api/v1/subscribers/1")
            .with(subscriber("ann@example.com"))
            .token(TokenKind::Admin)
            .error(405),
        HttpCase::new(
            "subscriptions: DELETE an unknown one is 404",
            "DELETE",
            "/api/v1/subscriptions/3",
        )
        .token(TokenKind::Admin)
        .error(404),
    ]
}
