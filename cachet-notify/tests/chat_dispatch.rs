//! End to end: an incident on a status page reaches a Slack-format webhook endpoint (and a
//! Matrix room) through the outbox dispatcher and the real chat notifier, arriving at a
//! loopback Slack-like server as Block Kit JSON (and at a Matrix-like homeserver as an
//! `m.notice` sent with the endpoint's sealed access token).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Bytes, to_bytes};
use axum::extract::{Request, State};
use cachet_core::model::*;
use cachet_core::notify::{Dispatcher, Notifier};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::memory::MemoryStore;
use cachet_core::store::prelude::*;
use cachet_core::store::{WriteContext, no_effects};
use cachet_core::validate::{HttpUrl, Markdown, Name};
use cachet_core::{Actor, Cachet, Config};
use cachet_notify::{ChatConfig, ChatNotifier, WebhookConfig};
use serde_json::{Value, json};

/// A request as the loopback server got it: method, path, `Authorization`, body.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>, Bytes)>>>;

async fn record(State(seen): State<Seen>, req: Request) -> &'static str {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap();
    seen.lock().unwrap().push((method, path, auth, body));
    // Slack answers `ok`; a homeserver's event id is JSON, which the notifier does not read.
    "ok"
}

/// A recording server on loopback and its address.
async fn start_server() -> (std::net::SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(record).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn loopback_chat_notifier() -> ChatNotifier {
    ChatNotifier::new(
        ChatConfig::default().check_platform_hosts(false).http(
            WebhookConfig::default()
                .allow_private_networks(true)
                .allow_plain_http(true),
        ),
    )
    .unwrap()
}

/// A site on an in-memory store, and a chat endpoint of `format` at `url` put straight into
/// the store (the facade, rightly, takes only each platform's own hosts, and https) with
/// `secret` sealed as the facade seals it.
async fn site_with_endpoint(url: &str, format: WebhookFormat, secret: &[u8]) -> (Cachet, Webhook) {
    let store = Arc::new(MemoryStore::new());
    let cachet = Cachet::new(
        store.clone(),
        Keyring::new(1, SecretKey::from_bytes([7; 32])),
        Config::new(HttpUrl::parse("https://status.example.com").unwrap()),
    )
    .unwrap();
    let sealed = cachet
        .keyring()
        .seal(secret, cachet_core::notify::AAD_WEBHOOK_SECRET)
        .unwrap();
    let hook = store
        .create_webhook(
            WriteContext::at(cachet.now()),
            &NewWebhook::new(
                Name::parse("Ops room").unwrap(),
                HttpUrl::parse(url).unwrap(),
                sealed,
                WebhookEvents::ALL,
            )
            .with_format(format),
            &no_effects,
        )
        .await
        .unwrap();
    (cachet, hook)
}

/// An incident that notifies, named `name`; then the dispatcher with the loopback chat
/// notifier runs until it has nothing left, and the deliveries it made are returned.
async fn notify_incident(cachet: &Cachet, name: &str) -> (Incident, usize) {
    let incident = cachet
        .create_incident(
            &Actor::operator(),
            &NewIncident::new(
                Name::parse(name).unwrap(),
                IncidentStatus::Investigating,
                Markdown::parse("Requests fail.").unwrap(),
                cachet.now(),
            )
            .with_notify(true),
        )
        .await
        .unwrap();
    let d = Dispatcher::new(
        cachet.clone(),
        vec![Arc::new(loopback_chat_notifier()) as Arc<dyn Notifier>],
    );
    let mut delivered = 0;
    for _ in 0..5 {
        delivered += d.tick().await.unwrap().delivered;
    }
    (incident, delivered)
}

#[tokio::test]
async fn an_incident_reaches_a_slack_endpoint_as_block_kit() {
    let (addr, seen) = start_server().await;
    let url = format!("http://{addr}/services/T0/B0/secret");
    let (cachet, _) = site_with_endpoint(&url, WebhookFormat::Slack, b"unused by Slack").await;
    let (incident, delivered) = notify_incident(&cachet, "API <outage>").await;
    assert_eq!(delivered, 1);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (method, path, _, body) = &seen[0];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/services/T0/B0/secret")
    );
    let json: Value = serde_json::from_slice(body).unwrap();
    // The whole Block Kit message: the fallback text escaped for mrkdwn, the header as plain
    // text, the status line and message, and the incident's page as the mail links it.
    let link = format!(
        "<https://status.example.com/incidents/{}|View incident>",
        incident.id.get()
    );
    assert_eq!(
        json,
        json!({
            "text": "Degraded: New incident: API &lt;outage&gt;",
            "blocks": [
                {
                    "type": "header",
                    "text": {"type": "plain_text", "text": "New incident: API <outage>", "emoji": true},
                },
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "*Degraded*\nStatus: Investigating\n\nRequests fail."},
                },
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": link}],
                },
            ],
        })
    );
}

#[tokio::test]
async fn an_incident_reaches_a_matrix_room_with_the_sealed_access_token() {
    const TOKEN: &str = "syt_Ym90_SecretAccessToken_0123456789";
    let (addr, seen) = start_server().await;
    let url = format!("http://{addr}/hs/_matrix/client/v3/rooms/%21ops:example.org");
    let (cachet, hook) = site_with_endpoint(&url, WebhookFormat::Matrix, TOKEN.as_bytes()).await;
    let (incident, delivered) = notify_incident(&cachet, "API <b>outage</b>").await;
    assert_eq!(delivered, 1);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (method, path, auth, body) = &seen[0];
    // PUT to the room under the homeserver's prefix, the idempotency key as transaction id
    // (a retry is the same transaction, which the homeserver drops), the token as Bearer.
    assert_eq!(method, "PUT");
    let txn = path
        .strip_prefix("/hs/_matrix/client/v3/rooms/%21ops%3Aexample.org/send/m.room.message/")
        .unwrap_or_else(|| panic!("{path}"));
    let (event, rest) = txn
        .strip_prefix("cachet.")
        .unwrap()
        .split_once('.')
        .unwrap();
    assert!(event.parse::<u64>().is_ok(), "{txn}");
    assert_eq!(rest, format!("webhook-{}.chat", hook.id.get()));
    assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    let json: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["msgtype"], "m.notice");
    assert_eq!(json["format"], "org.matrix.custom.html");
    assert_eq!(json["m.mentions"], json!({}));
    let html = json["formatted_body"].as_str().unwrap();
    assert!(html.contains("API &lt;b&gt;outage&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b>outage"), "{html}");
    let link = format!("https://status.example.com/incidents/{}", incident.id.get());
    assert!(html.contains(&link), "{html}");
    assert!(json["body"].as_str().unwrap().contains("Requests fail."));
}
