//! End to end: an incident reaches a visitor's chat subscription (an incoming-webhook URL on a
//! host no platform claims, so Mattermost's Slack-compatible format) through the outbox
//! dispatcher and the real chat notifier, arriving at a loopback server with the manage and
//! unsubscribe links; and the guarded client refuses the same loopback URL at delivery when
//! private networks are not allowed.
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
use cachet_core::store::{DeliveryFilter, DeliveryQuery, WriteContext, no_effects};
use cachet_core::validate::{HttpUrl, Locale, Markdown, Name};
use cachet_core::{Actor, Cachet, Config};
use cachet_notify::{ChatConfig, ChatNotifier, WebhookConfig};
use serde_json::Value;

/// A request as the loopback server got it: path and body.
type Seen = Arc<Mutex<Vec<(String, Bytes)>>>;

async fn record(State(seen): State<Seen>, req: Request) -> &'static str {
    let path = req.uri().path().to_owned();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap();
    seen.lock().unwrap().push((path, body));
    "ok"
}

async fn start_server() -> (std::net::SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(record).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn chat_notifier(allow_private: bool) -> ChatNotifier {
    ChatNotifier::new(
        ChatConfig::default().check_platform_hosts(false).http(
            WebhookConfig::default()
                .allow_private_networks(allow_private)
                .allow_plain_http(true),
        ),
    )
    .unwrap()
}

/// A site with a verified chat subscriber at `url`, put straight into the store (the facade,
/// rightly, takes only https URLs on public hosts) sealed as the facade seals it.
async fn site_with_chat_subscriber(url: &str) -> (Cachet, Arc<MemoryStore>, Subscriber) {
    let store = Arc::new(MemoryStore::new());
    let cachet = Cachet::new(
        store.clone(),
        Keyring::new(1, SecretKey::from_bytes([7; 32])),
        Config::new(HttpUrl::parse("https://status.example.com").unwrap()),
    )
    .unwrap();
    let (sealed, index) = cachet
        .keyring()
        .seal_chat_url(&HttpUrl::parse(url).unwrap())
        .unwrap();
    let s = store
        .create_subscriber(
            WriteContext::at(cachet.now()),
            &NewSubscriber::new(sealed, index, Locale::english())
                .with_channel(SubscriberChannel::Chat)
                .with_verified_at(Some(cachet.now())),
            &no_effects,
        )
        .await
        .unwrap();
    (cachet, store, s)
}

/// An incident that notifies; the dispatcher runs with `notifier` until it has nothing left.
async fn notify_incident(cachet: &Cachet, notifier: ChatNotifier) -> Incident {
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
    let d = Dispatcher::new(
        cachet.clone(),
        vec![Arc::new(notifier) as Arc<dyn Notifier>],
    );
    for _ in 0..5 {
        d.tick().await.unwrap();
    }
    incident
}

/// The token after `prefix` in `text`, up to the closing parenthesis of its link.
fn link_token<'a>(text: &'a str, prefix: &str) -> &'a str {
    let at = text.find(prefix).unwrap() + prefix.len();
    text[at..].split(')').next().unwrap()
}

#[tokio::test]
async fn an_incident_reaches_a_chat_subscriber_in_the_slack_compatible_format_with_its_links() {
    let (addr, seen) = start_server().await;
    let url = format!("http://{addr}/hooks/SecretHook");
    let (cachet, store, s) = site_with_chat_subscriber(&url).await;
    let incident = notify_incident(&cachet, chat_notifier(true)).await;

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (path, body) = &seen[0];
    assert_eq!(path, "/hooks/SecretHook");
    let json: Value = serde_json::from_slice(body).unwrap();
    // Mattermost's Slack-compatible message: a headline and one attachment.
    assert_eq!(
        json["text"],
        "**Degraded:** New incident\\: API &lt;outage&gt;"
    );
    let attachment = &json["attachments"][0];
    assert_eq!(
        attachment["title_link"],
        format!("https://status.example.com/incidents/{}", incident.id.get())
    );
    let text = attachment["text"].as_str().unwrap();
    // The text escaped for Mattermost's Markdown, then the links as Markdown links (the
    // signed tokens unescaped, so they work).
    assert!(text.starts_with("Status\\: Investigating"), "{text}");
    assert!(text.contains("Requests fail."), "{text}");
    let manage = format!(
        "[Manage your subscription](https://status.example.com/subscribe/manage/{})",
        link_token(text, "/subscribe/manage/")
    );
    assert!(
        text.contains(&format!(
            "\n\n{manage}\n[Unsubscribe](https://status.example.com/unsubscribe/"
        )),
        "{text}"
    );
    assert!(text.ends_with(')'), "{text}");
    // Delivered on the chat channel under the subscriber's key.
    let deliveries = store
        .deliveries(&DeliveryQuery::filtered(DeliveryFilter {
            recipient: Some(format!("subscriber:{}", s.id.get())),
            ..DeliveryFilter::default()
        }))
        .await
        .unwrap()
        .items;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].channel, "chat");
    assert_eq!(deliveries[0].status, DeliveryStatus::Delivered);
}

#[tokio::test]
async fn the_guarded_client_refuses_a_chat_subscriber_on_loopback_at_delivery() {
    let (addr, seen) = start_server().await;
    let url = format!("http://{addr}/hooks/SecretHook");
    let (cachet, store, s) = site_with_chat_subscriber(&url).await;
    notify_incident(&cachet, chat_notifier(false)).await;
    assert!(seen.lock().unwrap().is_empty(), "nothing reached loopback");
    let deliveries = store
        .deliveries(&DeliveryQuery::filtered(DeliveryFilter {
            recipient: Some(format!("subscriber:{}", s.id.get())),
            ..DeliveryFilter::default()
        }))
        .await
        .unwrap()
        .items;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, DeliveryStatus::Failed);
    // The error names the rule, never the URL (the channel's credential).
    let attempts = store.delivery_attempts(deliveries[0].id).await.unwrap();
    let error = format!("{attempts:?}");
    assert!(!error.contains("SecretHook"), "{error}");
}
