//! A webhook endpoint whose format is a chat platform's receives its events as chat messages
//! on the chat channel (the chat notifier renders them in the platform's format), through
//! the same outbox, idempotency keys and delivery log as a JSON endpoint, which still gets
//! the signed Statuspage body.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::sync::Arc;

use common::*;
use notify_support::*;

use cachet_core::model::*;
use cachet_core::notify::{Channel, ChatPlatform, ChatSeverity, Dispatcher, Message, Notifier};
use cachet_core::store::*;
use cachet_core::validate::{HttpUrl, Name};
use cachet_core::{Cachet, WebhookEndpoint};

const SECRET: &str = "a webhook secret of enough length";
const SLACK: &str = "https://hooks.slack.com/services/T0/B0/secret";

fn endpoint(name: &str, url: &str, format: WebhookFormat) -> WebhookEndpoint {
    WebhookEndpoint {
        name: Name::parse(name).unwrap(),
        url: HttpUrl::parse(url).unwrap(),
        enabled: true,
        events: None,
        format: Some(format),
    }
}

/// A dispatcher with a recorder on the webhook channel and one on the chat channel.
fn dispatcher(cachet: &Cachet) -> (Arc<Recorder>, Arc<Recorder>, Dispatcher) {
    let hooks = Recorder::new(Channel::Webhook);
    let chat = Recorder::new(Channel::Chat);
    let d = Dispatcher::new(
        cachet.clone(),
        vec![
            hooks.clone() as Arc<dyn Notifier>,
            chat.clone() as Arc<dyn Notifier>,
        ],
    )
    .with_config(config("c"));
    (hooks, chat, d)
}

async fn log(store: &Arc<dyn Store>, id: WebhookId) -> Vec<Delivery> {
    store
        .deliveries(&DeliveryQuery::filtered(DeliveryFilter {
            recipient: Some(format!("webhook:{}", id.get())),
            ..DeliveryFilter::default()
        }))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_slack_endpoint_gets_a_chat_message_and_a_json_endpoint_the_signed_body() {
    let h = Harness::new().await;
    let api = make_component(&h.cachet, "API").await;
    let slack = h
        .cachet
        .create_webhook(
            &op(),
            endpoint("slack", SLACK, WebhookFormat::Slack),
            SECRET,
        )
        .await
        .unwrap();
    let json = h
        .cachet
        .create_webhook(
            &op(),
            endpoint(
                "json",
                "https://hooks.example.com/json",
                WebhookFormat::Json,
            ),
            SECRET,
        )
        .await
        .unwrap();
    let (hooks, chat, d) = dispatcher(&h.cachet);
    let i = h
        .cachet
        .create_incident(&op(), &new_incident("API outage", &[api.id], true, true))
        .await
        .unwrap();
    set_status(&h.cachet, api.id, ComponentStatus::MajorOutage).await;
    drain(&d).await;

    let base = h
        .cachet
        .config()
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let sent = chat.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let Message::Chat(m) = &sent[0] else {
        panic!("the chat channel got {:?}", sent[0])
    };
    assert_eq!(sent[0].channel(), Channel::Chat);
    assert_eq!(m.platform, ChatPlatform::Slack);
    assert_eq!(m.url.as_str(), SLACK);
    assert_eq!(m.room, None);
    assert_eq!(m.token, None);
    assert_eq!(m.title, "New incident: API outage");
    assert_eq!(
        m.text,
        "Status: Investigating\n\nWe are **looking** into it."
    );
    assert_eq!(
        m.link.as_ref().map(HttpUrl::as_str),
        Some(format!("{base}/incidents/{}", i.id.get()).as_str())
    );
    assert_eq!(m.severity, ChatSeverity::Degraded);
    let Message::Chat(c) = &sent[1] else {
        panic!("the chat channel got {:?}", sent[1])
    };
    assert_eq!(c.severity, ChatSeverity::Outage);
    assert_eq!(
        c.link.as_ref().map(HttpUrl::as_str),
        Some(format!("{base}/components/{}", api.id.get()).as_str())
    );

    // The JSON endpoint, and only it, got the signed webhook bodies.
    let bodies = hooks.sent();
    assert_eq!(bodies.len(), 2);
    for b in &bodies {
        let Message::Webhook(w) = b else {
            panic!("the webhook channel got {b:?}")
        };
        assert_eq!(w.url.as_str(), "https://hooks.example.com/json");
        assert_eq!(w.secret.as_deref(), Some(SECRET));
    }

    // Both show in their endpoint's delivery log, each on its own channel, with the key
    // event x endpoint x channel.
    let slack_log = log(&h.store, slack.id).await;
    assert_eq!(slack_log.len(), 2);
    for d in &slack_log {
        assert_eq!(d.channel, "chat");
        assert_eq!(d.status, DeliveryStatus::Delivered);
        assert!(
            d.idempotency_key
                .ends_with(&format!(".webhook-{}.chat", slack.id.get())),
            "{}",
            d.idempotency_key
        );
    }
    assert_eq!(m.idempotency_key, slack_log[0].idempotency_key);
    let json_log = log(&h.store, json.id).await;
    assert_eq!(json_log.len(), 2);
    assert!(json_log.iter().all(|d| d.channel == "webhook"));
}

#[tokio::test]
async fn a_chat_endpoint_waits_without_a_chat_notifier_and_a_test_goes_out_as_chat() {
    let h = Harness::new().await;
    let slack = h
        .cachet
        .create_webhook(
            &op(),
            endpoint("slack", SLACK, WebhookFormat::Slack),
            SECRET,
        )
        .await
        .unwrap();
    h.cachet.send_test_webhook(&op(), slack.id).await.unwrap();
    // Only a webhook notifier: the chat delivery is neither sent as JSON nor failed, nor
    // even claimed (no lease to run out before a chat notifier could take it).
    let (hooks, d) = webhook_dispatcher(&h.cachet);
    let r = d.tick().await.unwrap();
    assert_eq!((r.deliveries_created, r.delivered, r.failed), (1, 0, 0));
    assert!(hooks.sent().is_empty());
    let waiting = log(&h.store, slack.id).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].status, DeliveryStatus::Pending);
    assert_eq!(waiting[0].lease_owner, None);

    // A format changed to JSON after the fan-out: the chat delivery is not sent as JSON (nor
    // unsigned to the new URL), it fails for good.
    h.cachet
        .update_webhook(
            &op(),
            slack.id,
            endpoint("slack", "https://hooks.example.com/x", WebhookFormat::Json),
            SECRET,
        )
        .await
        .unwrap();
    h.clock.advance(chrono::TimeDelta::minutes(1));
    let (hooks, chat, d) = dispatcher(&h.cachet);
    drain(&d).await;
    assert!(hooks.sent().is_empty() && chat.sent().is_empty());
    let failed = log(&h.store, slack.id).await;
    assert_eq!(failed[0].status, DeliveryStatus::Failed);
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("permanent: the endpoint's format is no longer a chat platform")
    );

    // Back on Slack, a test goes out as a chat message.
    h.cachet
        .update_webhook(
            &op(),
            slack.id,
            endpoint("slack", SLACK, WebhookFormat::Slack),
            "",
        )
        .await
        .unwrap();
    h.cachet.send_test_webhook(&op(), slack.id).await.unwrap();
    drain(&d).await;
    let sent = chat.sent();
    assert_eq!(sent.len(), 1);
    let Message::Chat(m) = &sent[0] else {
        panic!("{:?}", sent[0])
    };
    assert_eq!(m.platform, ChatPlatform::Slack);
    assert_eq!(m.severity, ChatSeverity::Info);
    assert_eq!(m.link, None);
    assert_eq!(
        m.text,
        "A test event sent from the dashboard; nothing has changed on the page."
    );
    assert!(hooks.sent().is_empty());
}

fn refused_field<T: std::fmt::Debug>(r: Result<T, cachet_core::Error>) -> String {
    match r {
        Err(cachet_core::Error::Validation(e)) => e.field().to_owned(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_chat_endpoint_needs_no_secret_and_becoming_signed_json_needs_one() {
    let h = Harness::new().await;
    // Signed JSON without a secret: refused, naming the field.
    let r = h
        .cachet
        .create_webhook(
            &op(),
            endpoint("json", "https://hooks.example.com/x", WebhookFormat::Json),
            "",
        )
        .await;
    assert_eq!(refused_field(r), "secret");
    // A chat endpoint without one is made (chat platforms check no signature).
    let slack = h
        .cachet
        .create_webhook(&op(), endpoint("slack", SLACK, WebhookFormat::Slack), "")
        .await
        .unwrap();
    assert_eq!(slack.format, WebhookFormat::Slack);
    // Its sealed secret is a fresh random one of full strength, not an empty or fixed value.
    let other = h
        .cachet
        .create_webhook(&op(), endpoint("slack 2", SLACK, WebhookFormat::Slack), "")
        .await
        .unwrap();
    let open = |w: &Webhook| {
        h.cachet
            .keyring()
            .open(&w.secret, cachet_core::notify::AAD_WEBHOOK_SECRET)
            .unwrap()
    };
    let (a, b) = (open(&slack), open(&other));
    assert!(a.len() >= 43, "{}", a.len());
    assert_ne!(a, b);
    // Turning it into signed JSON without a secret would sign with one nobody knows: refused,
    // and the endpoint is unchanged.
    let r = h
        .cachet
        .update_webhook(
            &op(),
            slack.id,
            endpoint("slack", "https://hooks.example.com/x", WebhookFormat::Json),
            "",
        )
        .await;
    assert_eq!(refused_field(r), "secret");
    let kept = h.store.webhook(slack.id).await.unwrap();
    assert_eq!(
        (kept.format, kept.url.as_str()),
        (WebhookFormat::Slack, SLACK)
    );
    // With a secret it becomes a signed JSON endpoint.
    h.cachet
        .update_webhook(
            &op(),
            slack.id,
            endpoint("slack", "https://hooks.example.com/x", WebhookFormat::Json),
            SECRET,
        )
        .await
        .unwrap();
    let changed = h.store.webhook(slack.id).await.unwrap();
    assert_eq!(changed.format, WebhookFormat::Json);
    assert_ne!(changed.secret, slack.secret);
    // A chat endpoint given a secret keeps it checked like any other.
    let r = h
        .cachet
        .create_webhook(
            &op(),
            endpoint("short", SLACK, WebhookFormat::Slack),
            "short",
        )
        .await;
    assert_eq!(refused_field(r), "secret");
}

#[tokio::test]
async fn a_matrix_endpoint_is_a_room_url_with_its_access_token_as_secret() {
    const ROOM: &str = "https://matrix.example.org/_matrix/client/v3/rooms/!ops:example.org";
    const TOKEN: &str = "syt_Ym90_SecretAccessToken_0123456789";
    let h = Harness::new().await;
    // The access token is what the homeserver checks: none given is refused.
    let r = h
        .cachet
        .create_webhook(&op(), endpoint("matrix", ROOM, WebhookFormat::Matrix), "")
        .await;
    assert_eq!(refused_field(r), "secret");
    // A URL that names no room (or not over https) is refused by its rule.
    for bad in [
        "https://matrix.example.org/",
        "https://matrix.example.org/_matrix/client/v3/rooms/#ops:example.org",
        "http://matrix.example.org/_matrix/client/v3/rooms/!ops:example.org",
        SLACK,
    ] {
        let r = h
            .cachet
            .create_webhook(&op(), endpoint("matrix", bad, WebhookFormat::Matrix), TOKEN)
            .await;
        assert_eq!(refused_field(r), "url", "{bad}");
    }
    let room = h
        .cachet
        .create_webhook(
            &op(),
            endpoint("matrix", ROOM, WebhookFormat::Matrix),
            TOKEN,
        )
        .await
        .unwrap();
    assert_eq!(room.format, WebhookFormat::Matrix);
    let token = h
        .cachet
        .keyring()
        .open(&room.secret, cachet_core::notify::AAD_WEBHOOK_SECRET)
        .unwrap();
    assert_eq!(token, TOKEN.as_bytes());

    // A Slack endpoint's (random) secret is no access token: becoming Matrix needs one given.
    let slack = h
        .cachet
        .create_webhook(&op(), endpoint("slack", SLACK, WebhookFormat::Slack), "")
        .await
        .unwrap();
    let r = h
        .cachet
        .update_webhook(
            &op(),
            slack.id,
            endpoint("slack", ROOM, WebhookFormat::Matrix),
            "",
        )
        .await;
    assert_eq!(refused_field(r), "secret");
    assert_eq!(
        h.store.webhook(slack.id).await.unwrap().format,
        WebhookFormat::Slack
    );

    // A test event reaches the chat channel as a Matrix message for the homeserver and room,
    // with the opened token.
    h.cachet.send_test_webhook(&op(), room.id).await.unwrap();
    let (hooks, chat, d) = dispatcher(&h.cachet);
    drain(&d).await;
    assert!(hooks.sent().is_empty());
    let sent = chat.sent();
    assert_eq!(sent.len(), 1);
    let Message::Chat(m) = &sent[0] else {
        panic!("{:?}", sent[0])
    };
    assert_eq!(m.platform, ChatPlatform::Matrix);
    assert_eq!(m.url.as_str(), "https://matrix.example.org/");
    assert_eq!(m.room.as_deref(), Some("!ops:example.org"));
    assert_eq!(m.token.as_deref(), Some(TOKEN));
}

/// One slow channel does not hold another: chat messages that take a while each (a slow or
/// paced platform) hold only the chat channel's slots, so the signed JSON deliveries of the
/// same batch go out meanwhile, although the chat deliveries were claimed first and there is
/// one slot per channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_chat_channel_does_not_hold_the_webhooks_of_the_same_batch() {
    let h = Harness::new().await;
    for i in 0..3 {
        h.cachet
            .create_webhook(
                &op(),
                endpoint(&format!("slack {i}"), SLACK, WebhookFormat::Slack),
                "",
            )
            .await
            .unwrap();
    }
    for i in 0..3 {
        h.cachet
            .create_webhook(
                &op(),
                endpoint(
                    &format!("json {i}"),
                    "https://hooks.example.com/x",
                    WebhookFormat::Json,
                ),
                SECRET,
            )
            .await
            .unwrap();
    }
    let api = make_component(&h.cachet, "API").await;
    set_status(&h.cachet, api.id, ComponentStatus::MajorOutage).await;
    let hooks = Recorder::new(Channel::Webhook);
    let chat = Recorder::slow(Channel::Chat, std::time::Duration::from_millis(500));
    let d = Dispatcher::new(
        h.cachet.clone(),
        vec![
            hooks.clone() as Arc<dyn Notifier>,
            chat.clone() as Arc<dyn Notifier>,
        ],
    )
    .with_config(cachet_core::notify::DispatcherConfig {
        concurrency: 1,
        send_rates: std::collections::HashMap::new(),
        ..config("slots")
    });
    // The fan-out of the status change (three chat and three JSON deliveries) and their
    // delivery, in the same tick.
    let ticking = tokio::spawn(async move {
        let first = d.tick().await.unwrap();
        assert_eq!(first.deliveries_created, 6, "{first:?}");
        let mut delivered = first.delivered;
        while delivered < 6 {
            delivered += d.tick().await.unwrap().delivered;
        }
    });
    let started = std::time::Instant::now();
    while hooks.sent().len() < 3 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the webhooks never went out"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        chat.sent().len() < 3,
        "the JSON deliveries waited for every chat message: {} chat sent first",
        chat.sent().len()
    );
    ticking.await.unwrap();
    assert_eq!(chat.sent().len(), 3);
}

/// A running dispatcher works each channel in a loop of its own: while a slow chat channel
/// is still on its first batch, a later event is fanned out and its webhook calls go out; on
/// shutdown the chat message in flight finishes and the chat deliveries not started are
/// handed back, unleased.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_channel_does_not_hold_later_events_on_another_channel() {
    let h = Harness::new().await;
    for i in 0..3 {
        h.cachet
            .create_webhook(
                &op(),
                endpoint(&format!("slack {i}"), SLACK, WebhookFormat::Slack),
                "",
            )
            .await
            .unwrap();
    }
    h.cachet
        .create_webhook(
            &op(),
            endpoint("json", "https://hooks.example.com/x", WebhookFormat::Json),
            SECRET,
        )
        .await
        .unwrap();
    let api = make_component(&h.cachet, "API").await;
    set_status(&h.cachet, api.id, ComponentStatus::MajorOutage).await;
    let hooks = Recorder::new(Channel::Webhook);
    let chat = Recorder::slow(Channel::Chat, std::time::Duration::from_secs(3));
    let d = Dispatcher::new(
        h.cachet.clone(),
        vec![
            hooks.clone() as Arc<dyn Notifier>,
            chat.clone() as Arc<dyn Notifier>,
        ],
    )
    .with_config(cachet_core::notify::DispatcherConfig {
        concurrency: 1,
        poll_interval: std::time::Duration::from_millis(20),
        send_rates: std::collections::HashMap::new(),
        ..config("loops")
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(d.run(async {
        let _ = stopped.await;
    }));
    let wait_for = |n: usize, what: &'static str| {
        let hooks = hooks.clone();
        async move {
            let started = std::time::Instant::now();
            while hooks.sent().len() < n {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(10),
                    "{what}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(1, "the first webhook call never went out").await;
    // The chat loop is inside its first message (3 s); a second event comes.
    set_status(&h.cachet, api.id, ComponentStatus::Operational).await;
    wait_for(
        2,
        "the second event's webhook call waited for the chat channel",
    )
    .await;
    assert!(
        chat.sent().is_empty(),
        "the chat channel was not slow after all: {} sent",
        chat.sent().len()
    );
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .expect("the dispatcher stopped")
        .unwrap();
    // The message in flight was finished and recorded; the rest went back unleased.
    assert_eq!(chat.sent().len(), 1);
    let chat_deliveries: Vec<Delivery> = h
        .store
        .deliveries(&DeliveryQuery::filtered(DeliveryFilter {
            channel: Some("chat".to_owned()),
            ..DeliveryFilter::default()
        }))
        .await
        .unwrap()
        .items;
    assert_eq!(chat_deliveries.len(), 6, "two events, three chat endpoints");
    let delivered = chat_deliveries
        .iter()
        .filter(|d| d.status == DeliveryStatus::Delivered)
        .count();
    assert_eq!(delivered, 1);
    for d in chat_deliveries
        .iter()
        .filter(|d| d.status != DeliveryStatus::Delivered)
    {
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(d.lease_owner, None, "handed back at shutdown: {d:?}");
    }
}
