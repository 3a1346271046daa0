//! End to end: an incident on a status page reaches a Slack-format webhook endpoint through
//! the outbox dispatcher and the real chat notifier, arriving at a loopback Slack-like server
//! as Block Kit JSON.
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

type Seen = Arc<Mutex<Vec<(String, Bytes)>>>;

async fn record(State(seen): State<Seen>, req: Request) -> &'static str {
    let path = req.uri().path().to_owned();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap();
    seen.lock().unwrap().push((path, body));
    "ok"
}

#[tokio::test]
async fn an_incident_reaches_a_slack_endpoint_as_block_kit() {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(record).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let store = Arc::new(MemoryStore::new());
    let cachet = Cachet::new(
        store.clone(),
        Keyring::new(1, SecretKey::from_bytes([7; 32])),
        Config::new(HttpUrl::parse("https://status.example.com").unwrap()),
    )
    .unwrap();
    // Straight into the store: the facade, rightly, takes only hooks.slack.com for Slack.
    let url = format!("http://{addr}/services/T0/B0/secret");
    store
        .create_webhook(
            WriteContext::at(cachet.now()),
            &NewWebhook::new(
                Name::parse("Ops room").unwrap(),
                HttpUrl::parse(&url).unwrap(),
                Sealed {
                    key_id: 1,
                    ciphertext: vec![0; 40],
                },
                WebhookEvents::ALL,
            )
            .with_format(WebhookFormat::Slack),
            &no_effects,
        )
        .await
        .unwrap();
    let incident = cachet
        .create_incident(
            &Actor::operator(),
            &NewIncident::new(
                Name::parse("API <outage>").unwrap(),
                IncidentStatus::Investigating,
                Markdown::parse("Requests fail.").unwrap(),
                cachet.now(),
            )
            .with_notify(true),
        )
        .await
        .unwrap();

    let chat = ChatNotifier::new(
        ChatConfig::default().check_platform_hosts(false).http(
            WebhookConfig::default()
                .allow_private_networks(true)
                .allow_plain_http(true),
        ),
    )
    .unwrap();
    let d = Dispatcher::new(cachet.clone(), vec![Arc::new(chat) as Arc<dyn Notifier>]);
    let mut delivered = 0;
    for _ in 0..5 {
        delivered += d.tick().await.unwrap().delivered;
    }
    assert_eq!(delivered, 1);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (path, body) = &seen[0];
    assert_eq!(path, "/services/T0/B0/secret");
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
