//! `Idempotency-Key` on API v1 writes through `Cachet::handle`: a retried write replays the
//! first answer instead of writing twice, a key reused for another request is refused, keys
//! are scoped to their sender, malformed keys are refused before anything is written, and the
//! keys are pruned with the rest of the retention.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use api_v1_harness::*;
use chrono::TimeDelta;
use http::StatusCode;

const INCIDENT: &str = r#"{"name":"Outage","status":1,"message":"Looking."}"#;

impl Api {
    async fn keyed(&self, token: &str, key: &str, body: &str) -> Reply {
        let headers = [("idempotency-key", key)];
        self.send_full("POST", "/api/v1/incidents", Some(token), &headers, body)
            .await
    }

    async fn keyed_to(&self, method: &str, uri: &str, key: &str, body: &str) -> Reply {
        self.send_full(
            method,
            uri,
            Some(&self.admin),
            &[("idempotency-key", key)],
            body,
        )
        .await
    }

    async fn incidents(&self) -> u64 {
        self.get("/api/v1/incidents").await["meta"]["pagination"]["total"]
            .as_u64()
            .unwrap()
    }
}

fn replayed(r: &Reply) -> bool {
    r.resp
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retried_create_replays_the_first_answer_and_creates_one_incident() {
    let api = Api::new().await;
    let key = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"";
    let first = api.keyed(&api.admin, key, INCIDENT).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert!(!replayed(&first));
    assert_eq!(first.json["data"]["id"], 1);
    let revision = api.revision().await;
    // Later, after the clock moved: the same answer, byte for byte, and nothing written.
    api.h.clock.advance(TimeDelta::minutes(5));
    for _ in 0..3 {
        let again = api.keyed(&api.admin, key, INCIDENT).await;
        assert_eq!(again.status, first.status);
        assert_eq!(again.resp.body(), first.resp.body());
        assert_eq!(
            again.resp.headers().get("content-type"),
            first.resp.headers().get("content-type")
        );
        assert!(replayed(&again), "a replay says so");
    }
    assert_eq!(api.revision().await, revision, "a replay writes nothing");
    assert_eq!(api.incidents().await, 1);
    // The bare form of the same key is the same key.
    let bare = api
        .keyed(&api.admin, "8e03978e-40d5-43e8-bc93-6894a57f9324", INCIDENT)
        .await;
    assert!(replayed(&bare));
    // Without a key, or with another, a write is a write: Cachet's clients send none.
    api.ok("POST", "/api/v1/incidents", INCIDENT).await;
    let other = api.keyed(&api.admin, "another", INCIDENT).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!replayed(&other));
    assert_eq!(api.incidents().await, 3);
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused_and_writes_nothing() {
    let api = Api::new().await;
    assert_eq!(
        api.keyed(&api.admin, "k-1", INCIDENT).await.status,
        StatusCode::OK
    );
    let revision = api.revision().await;
    let other_body = api
        .keyed(
            &api.admin,
            "k-1",
            r#"{"name":"Other","status":1,"message":"x"}"#,
        )
        .await;
    assert_eq!(
        other_body.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other_body.json
    );
    let detail = other_body.json["errors"][0]["detail"].as_str().unwrap();
    assert!(detail.starts_with("Idempotency-Key"), "{detail}");
    // Another route or method under the same key is another request too.
    let other_route = api
        .send_full(
            "POST",
            "/api/v1/components",
            Some(&api.admin),
            &[("idempotency-key", "k-1")],
            r#"{"name":"DB","status":1}"#,
        )
        .await;
    assert_eq!(other_route.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.revision().await, revision);
    assert_eq!(api.incidents().await, 1);
}

#[tokio::test]
async fn keys_are_scoped_to_their_sender() {
    let api = Api::new().await;
    let a = api.keyed(&api.admin, "shared-key", INCIDENT).await;
    let b = api.keyed(&api.writer, "shared-key", INCIDENT).await;
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert!(!replayed(&b), "another token's key is not this token's");
    assert_ne!(a.json["data"]["id"], b.json["data"]["id"]);
    // Nor can it be probed: another body from another sender is simply a new write.
    let c = api
        .keyed(
            &api.writer,
            "k-admin-only",
            r#"{"name":"Else","status":1,"message":"x"}"#,
        )
        .await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(api.incidents().await, 3);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_naming_the_header_and_writes_nothing() {
    let api = Api::new().await;
    let long = "x".repeat(256);
    for key in ["\"\"", "two words", "quo\"te", long.as_str()] {
        let before = api.revision().await;
        let r = api.keyed(&api.admin, key, INCIDENT).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{key:?}: {}", r.json);
        let details = r.json["errors"][0]["meta"]["details"].to_string();
        assert!(details.contains("Idempotency-Key"), "{key:?}: {details}");
        assert_eq!(api.revision().await, before, "{key:?} wrote something");
    }
    let two = api
        .send_full(
            "POST",
            "/api/v1/incidents",
            Some(&api.admin),
            &[("idempotency-key", "a"), ("idempotency-key", "b")],
            INCIDENT,
        )
        .await;
    assert_eq!(two.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.incidents().await, 0);
    // Reads ignore the header, whatever it holds.
    let read = api
        .send_full(
            "GET",
            "/api/v1/incidents",
            None,
            &[("idempotency-key", "\"\"")],
            "",
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
}

#[tokio::test]
async fn a_refused_write_is_replayed_as_refused() {
    let api = Api::new().await;
    let bad = r#"{"name":"","status":1,"message":"x"}"#;
    let first = api.keyed(&api.admin, "k-bad", bad).await;
    assert_eq!(first.status, StatusCode::BAD_REQUEST);
    let again = api.keyed(&api.admin, "k-bad", bad).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(replayed(&again));
    assert_eq!(again.resp.body(), first.resp.body());
    // A read-scope token's refusal is an answer too.
    let forbidden = api.keyed(&api.reader, "k-read", INCIDENT).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(replayed(&api.keyed(&api.reader, "k-read", INCIDENT).await));
    assert_eq!(api.incidents().await, 0);
}

#[tokio::test]
async fn updates_and_deletes_take_keys_too() {
    let api = Api::new().await;
    api.ok("POST", "/api/v1/incidents", INCIDENT).await;
    let uri = "/api/v1/incidents/1";
    let rename = r#"{"name":"Renamed"}"#;
    assert_eq!(
        api.keyed_to("PUT", uri, "u-1", rename).await.status,
        StatusCode::OK
    );
    assert!(replayed(&api.keyed_to("PUT", uri, "u-1", rename).await));
    let first = api.keyed_to("DELETE", uri, "d-1", "").await;
    assert_eq!(first.status, StatusCode::NO_CONTENT);
    let again = api.keyed_to("DELETE", uri, "d-1", "").await;
    assert_eq!(
        again.status,
        StatusCode::NO_CONTENT,
        "a retried delete is not a 404"
    );
    assert!(replayed(&again));
}

#[tokio::test]
async fn keys_are_forgotten_after_their_retention() {
    let api = Api::new().await;
    assert_eq!(
        api.keyed(&api.admin, "k-old", INCIDENT).await.status,
        StatusCode::OK
    );
    // Within a day the key replays; after it, the key is pruned and a new write may use it.
    api.h.clock.advance(TimeDelta::hours(23));
    assert!(replayed(&api.keyed(&api.admin, "k-old", INCIDENT).await));
    api.h.clock.advance(TimeDelta::hours(2));
    let report = api.h.cachet.retention_tick().await.unwrap();
    assert_eq!(report.idempotency_keys_pruned, 1);
    let fresh = api.keyed(&api.admin, "k-old", INCIDENT).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert!(!replayed(&fresh));
    assert_eq!(api.incidents().await, 2);
}
