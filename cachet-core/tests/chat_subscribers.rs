//! Chat subscribers end to end through the facade, the web layer and the dispatcher (memory
//! store): a visitor subscribes a channel by its incoming-webhook URL, confirms through the
//! link posted into it, gets notices in the platform's format with the manage and
//! unsubscribe links, and unsubscribes; no enumeration; SSRF refusals; API v1's
//! `phone_number` and `slack_webhook_url` as sibling subscribers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::sync::Arc;

use chrono::TimeDelta;
use common::*;
use notify_support::*;

use cachet_core::model::*;
use cachet_core::notify::{Channel, ChatMessage, ChatPlatform, Dispatcher, Message, Notifier};
use cachet_core::store::*;
use cachet_core::validate::{HttpUrl, Locale, PhoneNumber};
use cachet_core::{Actor, Config, Error, SmsPolicy, SubscriberAddress};

const SLACK: &str = "https://hooks.slack.com/services/T000/B000/SecretPart";
const DISCORD: &str = "https://discord.com/api/webhooks/123/SecretToken";
const MATTERMOST: &str = "https://chat.example.org/hooks/SecretHook";

fn url(s: &str) -> HttpUrl {
    HttpUrl::parse(s).unwrap()
}

/// A dispatcher with a chat recorder (and a mail recorder, so mail deliveries do not wait).
fn chat_dispatcher(h: &Harness) -> (Arc<Recorder>, Dispatcher) {
    let chat = Recorder::new(Channel::Chat);
    let mail = Recorder::email();
    let d = Dispatcher::new(
        h.cachet.clone(),
        vec![chat.clone() as Arc<dyn Notifier>, mail as Arc<dyn Notifier>],
    )
    .with_config(config("chat-test"));
    (chat, d)
}

/// The chat messages posted to `to`, in order.
fn posted_to(rec: &Recorder, to: &str) -> Vec<ChatMessage> {
    rec.sent()
        .into_iter()
        .filter_map(|m| match m {
            Message::Chat(c) if c.url.as_str() == to => Some(c),
            _ => None,
        })
        .collect()
}

/// The URL of the message's captioned link whose path starts with `prefix`.
fn link_to(m: &ChatMessage, prefix: &str) -> Option<String> {
    m.more_links
        .iter()
        .map(|(_, u)| u.as_str().to_owned())
        .find(|u| u.contains(prefix))
}

async fn subscriber_of(h: &Harness, u: &str) -> Option<Subscriber> {
    let index = h.cachet.keyring().chat_index(&url(u));
    h.store.subscriber_by_blind_index(&index).await.unwrap()
}

async fn subscribe(h: &Harness, u: &str, components: &[ComponentId]) -> Result<(), Error> {
    h.cachet
        .subscribe_chat(None, &url(u), components, Locale::english())
        .await
}

/// Opens the verify page of `link` and posts its form, as a channel member would.
async fn confirm_through_the_web(h: &Harness, link: &str) -> http::StatusCode {
    let path = link_path(link, "/subscribe/verify/");
    let page = body(&h.cachet.handle(get(&path), cx()).await);
    let t = form_token(&page);
    let r = h
        .cachet
        .handle(
            post(&path, &format!("_token={}", enc(&t)), Some(ORIGIN)),
            cx(),
        )
        .await;
    r.status()
}

/// Subscribes `u` to `components` and confirms it through the link posted into it.
async fn verified_chat(
    h: &Harness,
    d: &Dispatcher,
    rec: &Recorder,
    u: &str,
    components: &[ComponentId],
) -> Subscriber {
    subscribe(h, u, components).await.unwrap();
    drain(d).await;
    let link = link_to(
        posted_to(rec, u).last().expect("a confirmation"),
        "/subscribe/verify/",
    )
    .expect("the confirmation link");
    assert_eq!(
        confirm_through_the_web(h, &link).await,
        http::StatusCode::OK
    );
    let s = subscriber_of(h, u).await.unwrap();
    assert!(s.verified_at.is_some());
    s
}

#[tokio::test]
async fn a_channel_is_confirmed_only_through_the_link_posted_into_it() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    subscribe(&h, SLACK, &[]).await.unwrap();
    let s = subscriber_of(&h, SLACK).await.unwrap();
    assert_eq!(
        (s.channel, s.verified_at, s.global),
        (SubscriberChannel::Chat, None, true)
    );
    // Sealed under its own associated data: it opens as the URL, never as an address.
    assert_eq!(
        h.cachet.keyring().open_chat_url(&s.email).unwrap(),
        url(SLACK)
    );
    assert!(h.cachet.keyring().open_email(&s.email).is_err());
    drain(&d).await;
    let posted = posted_to(&rec, SLACK);
    assert_eq!(posted.len(), 1, "one confirmation posted into the channel");
    let m = &posted[0];
    assert_eq!(m.platform, ChatPlatform::Slack);
    assert!(m.title.contains("Confirm your subscription"), "{}", m.title);
    assert_eq!(m.link, None);
    assert_eq!(m.more_links.len(), 1);
    assert_eq!(m.more_links[0].0, "Confirm subscription");
    let link = m.more_links[0].1.clone();
    assert!(
        link.as_str()
            .starts_with("https://status.example.com/subscribe/verify/"),
        "{link}"
    );
    assert!(
        m.idempotency_key
            .ends_with(&format!(".subscriber-{}.chat", s.id.get())),
        "{}",
        m.idempotency_key
    );
    // A GET of the link changes nothing (chat unfurlers fetch links too).
    let path = link_path(link.as_str(), "/subscribe/verify/");
    let page = h.cachet.handle(get(&path), cx()).await;
    assert_eq!(page.status(), http::StatusCode::OK);
    assert_eq!(subscriber_of(&h, SLACK).await.unwrap().verified_at, None);
    assert_eq!(
        confirm_through_the_web(&h, link.as_str()).await,
        http::StatusCode::OK
    );
    assert!(
        subscriber_of(&h, SLACK)
            .await
            .unwrap()
            .verified_at
            .is_some()
    );
    // Single use.
    assert_eq!(
        h.cachet.handle(get(&path), cx()).await.status(),
        http::StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn subscribe_answers_alike_for_new_unverified_and_verified_urls() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    subscribe(&h, DISCORD, &[]).await.unwrap();
    drain(&d).await;
    let first = subscriber_of(&h, DISCORD).await.unwrap();
    // Unverified, asked again within the spacing: the same answer, nothing posted.
    subscribe(&h, DISCORD, &[]).await.unwrap();
    drain(&d).await;
    assert_eq!(posted_to(&rec, DISCORD).len(), 1);
    // After the spacing: a fresh confirmation link, the same subscriber.
    h.clock.advance(TimeDelta::minutes(16));
    subscribe(&h, DISCORD, &[]).await.unwrap();
    drain(&d).await;
    let posted = posted_to(&rec, DISCORD);
    assert_eq!(posted.len(), 2);
    assert_eq!(posted[1].platform, ChatPlatform::Discord);
    let link = link_to(&posted[1], "/subscribe/verify/").unwrap();
    assert_eq!(
        confirm_through_the_web(&h, &link).await,
        http::StatusCode::OK
    );
    // Verified, asked again (with other components): the same answer, the manage link
    // posted, nothing changes.
    let c = make_component(&h.cachet, "API").await;
    h.clock.advance(TimeDelta::minutes(16));
    subscribe(&h, DISCORD, &[c.id]).await.unwrap();
    drain(&d).await;
    let posted = posted_to(&rec, DISCORD);
    assert_eq!(posted.len(), 3);
    assert!(
        link_to(&posted[2], "/subscribe/manage/").is_some(),
        "{:?}",
        posted[2]
    );
    assert!(
        link_to(&posted[2], "/unsubscribe/").is_some(),
        "{:?}",
        posted[2]
    );
    let after = subscriber_of(&h, DISCORD).await.unwrap();
    assert_eq!(after.id, first.id);
    assert!(after.global, "a known URL's components do not change");
    assert_eq!(
        h.store
            .subscribers(&SubscriberQuery::all())
            .await
            .unwrap()
            .total,
        1
    );
}

#[tokio::test]
async fn loopback_private_and_plain_http_urls_are_refused_naming_url() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    for bad in [
        "http://hooks.slack.com/services/T0/B0/x",
        "https://127.0.0.1/hooks/x",
        "https://2130706433/hooks/x",
        "https://localhost:8065/hooks/x",
        "https://chat.localhost/hooks/x",
        "https://10.1.2.3/hooks/x",
        "https://172.16.0.9/hooks/x",
        "https://192.168.1.10/hooks/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks/x",
        "https://[fd00::1]/hooks/x",
    ] {
        match subscribe(&h, bad, &[]).await {
            Err(Error::Validation(v)) => assert_eq!(v.field(), "url", "{bad}"),
            other => panic!("{bad}: expected a validation error, got {other:?}"),
        }
        assert_eq!(subscriber_of(&h, bad).await, None, "{bad}");
    }
    drain(&d).await;
    assert_eq!(rec.calls(), 0, "nothing is posted to a refused URL");
    // A public host of an unknown platform is fine: Slack-compatible (Mattermost).
    subscribe(&h, MATTERMOST, &[]).await.unwrap();
    drain(&d).await;
    assert_eq!(
        posted_to(&rec, MATTERMOST)[0].platform,
        ChatPlatform::Mattermost
    );
}

#[tokio::test]
async fn verified_channels_get_incidents_status_changes_and_maintenance_with_their_links() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    let api = make_component(&h.cachet, "API").await;
    let db = make_component(&h.cachet, "Database").await;
    let everything = verified_chat(&h, &d, &rec, SLACK, &[]).await;
    let only_db = verified_chat(&h, &d, &rec, DISCORD, &[db.id]).await;
    // Subscribed, never confirmed.
    subscribe(&h, MATTERMOST, &[]).await.unwrap();
    drain(&d).await;
    let before = (posted_to(&rec, SLACK).len(), posted_to(&rec, DISCORD).len());
    let mattermost_before = posted_to(&rec, MATTERMOST).len();

    // An incident on the API: the global channel only, in Slack's format.
    h.cachet
        .create_incident(&op(), &new_incident("API errors", &[api.id], true, true))
        .await
        .unwrap();
    drain(&d).await;
    let slack = posted_to(&rec, SLACK);
    assert_eq!(slack.len(), before.0 + 1);
    let m = slack.last().unwrap();
    assert_eq!(m.platform, ChatPlatform::Slack);
    assert!(m.title.contains("API errors"), "{}", m.title);
    assert!(
        m.link.as_ref().unwrap().as_str().contains("/incidents/"),
        "{:?}",
        m.link
    );
    let captions: Vec<&str> = m.more_links.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(captions, ["Manage your subscription", "Unsubscribe"]);
    assert!(
        link_to(m, "https://status.example.com/subscribe/manage/").is_some(),
        "{m:?}"
    );
    assert!(
        link_to(m, "https://status.example.com/unsubscribe/").is_some(),
        "{m:?}"
    );
    assert!(
        m.idempotency_key
            .ends_with(&format!(".subscriber-{}.chat", everything.id.get()))
    );
    assert_eq!(
        posted_to(&rec, DISCORD).len(),
        before.1,
        "the per-component subscription does not hear of the API"
    );

    // A status change of the database: both verified channels (chat hears of status
    // changes, like mail).
    set_status(&h.cachet, db.id, ComponentStatus::MajorOutage).await;
    drain(&d).await;
    assert_eq!(posted_to(&rec, SLACK).len(), before.0 + 2);
    let discord = posted_to(&rec, DISCORD);
    assert_eq!(discord.len(), before.1 + 1);
    assert_eq!(discord.last().unwrap().platform, ChatPlatform::Discord);
    assert!(discord.last().unwrap().title.contains("Database"));
    assert!(
        discord
            .last()
            .unwrap()
            .idempotency_key
            .ends_with(&format!(".subscriber-{}.chat", only_db.id.get()))
    );

    // Maintenance of the database: both again.
    let now = h.clock_now();
    let schedule = NewSchedule::new(
        name("Database upgrade"),
        md("Minutes of downtime."),
        ScheduleStatus::Upcoming,
        now + TimeDelta::days(1),
    )
    .with_components(vec![db.id])
    .with_notify(true);
    h.cachet.create_schedule(&op(), &schedule).await.unwrap();
    drain(&d).await;
    assert_eq!(posted_to(&rec, SLACK).len(), before.0 + 3);
    assert_eq!(posted_to(&rec, DISCORD).len(), before.1 + 2);
    assert!(
        posted_to(&rec, DISCORD)
            .last()
            .unwrap()
            .title
            .contains("Database upgrade")
    );

    assert_eq!(
        posted_to(&rec, MATTERMOST).len(),
        mattermost_before,
        "an unconfirmed channel gets nothing but its confirmation"
    );
}

#[tokio::test]
async fn the_unsubscribe_link_in_a_posted_notice_deletes_the_subscriber() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    verified_chat(&h, &d, &rec, SLACK, &[]).await;
    h.cachet
        .create_incident(&op(), &new_incident("Outage", &[], true, true))
        .await
        .unwrap();
    drain(&d).await;
    let notice = link_to(posted_to(&rec, SLACK).last().unwrap(), "/unsubscribe/").unwrap();
    let path = link_path(&notice, "/unsubscribe/");
    let page = body(&h.cachet.handle(get(&path), cx()).await);
    assert!(
        subscriber_of(&h, SLACK).await.is_some(),
        "a GET changes nothing"
    );
    let t = form_token(&page);
    let r = h
        .cachet
        .handle(
            post(&path, &format!("_token={}", enc(&t)), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
    assert_eq!(subscriber_of(&h, SLACK).await, None);
    // Nothing more is posted.
    let n = rec.calls();
    h.cachet
        .create_incident(&op(), &new_incident("Again", &[], true, true))
        .await
        .unwrap();
    drain(&d).await;
    assert_eq!(rec.calls(), n);
}

/// The form token of the form posting to `action`.
fn token_of(html: &str, action: &str) -> String {
    let form = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action} in {html}"));
    form_token(&html[form..])
}

#[tokio::test]
async fn the_subscribe_page_form_needs_its_token_and_origin_and_answers_alike() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    let page = body(&h.cachet.handle(get("/subscribe"), cx()).await);
    assert!(page.contains("name=\"webhook_url\""), "{page}");
    let t = token_of(&page, "/subscribe/chat");
    let form = |u: &str, token: &str| format!("_token={}&webhook_url={}", enc(token), enc(u));
    // Without the form token, or from another origin: refused, nothing stored.
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe/chat",
                &format!("webhook_url={}", enc(SLACK)),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe/chat",
                &form(SLACK, &t),
                Some("https://evil.example"),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    // The mail form's token is not the chat form's.
    let mail_token = token_of(&page, "/subscribe");
    let r = h
        .cachet
        .handle(
            post("/subscribe/chat", &form(SLACK, &mail_token), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    assert_eq!(subscriber_of(&h, SLACK).await, None);
    // A private address: 400 with the rule, nothing stored.
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe/chat",
                &form("https://10.0.0.1/hooks/x", &t),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::BAD_REQUEST);
    assert!(body(&r).contains("on a public host"), "{}", body(&r));
    // New and known URLs: the same page.
    let r = h
        .cachet
        .handle(
            post("/subscribe/chat", &form(SLACK, &t), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
    let new = body(&r);
    assert!(new.contains("posted into the channel"), "{new}");
    let r = h
        .cachet
        .handle(
            post("/subscribe/chat", &form(SLACK, &t), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
    assert_eq!(body(&r), new);
    assert!(!new.contains("SecretPart"), "the URL is not echoed back");
    drain(&d).await;
    assert_eq!(posted_to(&rec, SLACK).len(), 1);
    assert!(subscriber_of(&h, SLACK).await.is_some());
}

#[tokio::test]
async fn the_per_client_subscribe_limit_covers_the_chat_form() {
    let h = Harness::new().await;
    let page = body(&h.cachet.handle(get("/subscribe"), cx()).await);
    let t = token_of(&page, "/subscribe/chat");
    let mut limited = false;
    for n in 0..40 {
        let u = format!("https://chat.example.org/hooks/{n}");
        let r = h
            .cachet
            .handle(
                post(
                    "/subscribe/chat",
                    &format!("_token={}&webhook_url={}", enc(&t), enc(&u)),
                    Some(ORIGIN),
                ),
                cx(),
            )
            .await;
        if r.status() == http::StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key(http::header::RETRY_AFTER));
            limited = true;
            break;
        }
        assert_eq!(r.status(), http::StatusCode::OK);
    }
    assert!(
        limited,
        "one client cannot subscribe forty channels at once"
    );
}

#[tokio::test]
async fn admins_see_the_url_redacted_and_an_export_opens_it() {
    let h = Harness::new().await;
    subscribe(&h, SLACK, &[]).await.unwrap();
    let page = h
        .cachet
        .subscribers_with_addresses(&Actor::operator(), SubscriberQuery::all())
        .await
        .unwrap();
    let (s, address) = &page.items[0];
    assert_eq!(address, &SubscriberAddress::Chat(url(SLACK)));
    assert_eq!(address.label(), "https://hooks.slack.com/[redacted]");
    assert_eq!(address.email(), None);
    let export = h
        .cachet
        .export_subscriber(&Actor::operator(), s.id)
        .await
        .unwrap();
    assert_eq!(export["channel"], "chat");
    assert_eq!(export["slack_webhook_url"], SLACK);
    assert_eq!(export["email"], serde_json::Value::Null);
}

fn api_request(token: &str, body: &serde_json::Value) -> http::Request<bytes::Bytes> {
    http::Request::builder()
        .method("POST")
        .uri("/api/v1/subscribers")
        .header("x-cachet-token", token)
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(body.to_string()))
        .unwrap()
}

fn json_of(r: &http::Response<bytes::Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap()
}

#[tokio::test]
async fn api_v1_adds_sibling_sms_and_chat_subscribers_with_the_same_components_and_verify() {
    let mut config = Config::new(HttpUrl::parse(ORIGIN).unwrap());
    config.sms = SmsPolicy::for_regions(["US"]);
    let h = Harness::over(new_store().await, config);
    let token = h.admin_api_token().await;
    let c = make_component(&h.cachet, "API").await;
    let r = h
        .cachet
        .handle(
            api_request(
                &token,
                &serde_json::json!({
                    "email": "ops@example.com",
                    "phone_number": "+1 201 555 0123",
                    "slack_webhook_url": SLACK,
                    "verify": true,
                    "components": [c.id.get()],
                }),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK, "{}", body(&r));
    let v = json_of(&r);
    assert_eq!(v["data"]["email"], "ops@example.com");
    // The siblings asked for, redacted: the number masked, the URL without its secret.
    assert_eq!(v["data"]["phone_number"], "+1 ••• ••• 0123");
    assert_eq!(
        v["data"]["slack_webhook_url"],
        "https://hooks.slack.com/[redacted]"
    );
    assert!(!body(&r).contains("SecretPart"));
    let all = h.store.subscribers(&SubscriberQuery::all()).await.unwrap();
    assert_eq!(all.total, 3);
    for s in &all.items {
        assert!(s.verified_at.is_some(), "{:?}", s.channel);
        assert_eq!(s.components, vec![c.id], "{:?}", s.channel);
    }
    let mut channels: Vec<_> = all.items.iter().map(|s| s.channel).collect();
    channels.sort_by_key(|c| c.as_str());
    assert_eq!(
        channels,
        [
            SubscriberChannel::Chat,
            SubscriberChannel::Email,
            SubscriberChannel::Sms
        ]
    );
    let sms = h
        .store
        .subscriber_by_blind_index(
            &h.cachet
                .keyring()
                .phone_index(&PhoneNumber::parse("+12015550123").unwrap()),
        )
        .await
        .unwrap();
    assert!(sms.is_some());
    // The listing shows each on its own row, never the whole number or URL.
    let list = h
        .cachet
        .handle(
            http::Request::builder()
                .uri("/api/v1/subscribers")
                .header("x-cachet-token", &token)
                .body(bytes::Bytes::new())
                .unwrap(),
            cx(),
        )
        .await;
    let text = body(&list);
    assert!(
        text.contains("https://hooks.slack.com/[redacted]"),
        "{text}"
    );
    assert!(!text.contains("SecretPart"), "{text}");
    assert!(!text.contains("2015550123"), "{text}");
}

#[tokio::test]
async fn api_v1_refuses_a_bad_number_or_url_naming_the_field_and_stores_nothing() {
    let mut config = Config::new(HttpUrl::parse(ORIGIN).unwrap());
    config.sms = SmsPolicy::for_regions(["US"]);
    let h = Harness::over(new_store().await, config);
    let token = h.admin_api_token().await;
    for (field, body_json) in [
        (
            "phone_number",
            serde_json::json!({"email": "a@example.com", "phone_number": "not a number"}),
        ),
        // A valid number outside the SMS regions.
        (
            "phone_number",
            serde_json::json!({"email": "a@example.com", "phone_number": "+447400123456"}),
        ),
        (
            "slack_webhook_url",
            serde_json::json!({"email": "a@example.com", "slack_webhook_url": "not a url"}),
        ),
        (
            "slack_webhook_url",
            serde_json::json!({"email": "a@example.com", "slack_webhook_url": "https://127.0.0.1/hooks/x"}),
        ),
        (
            "slack_webhook_url",
            serde_json::json!({"email": "a@example.com", "slack_webhook_url": "http://hooks.slack.com/services/x"}),
        ),
    ] {
        let r = h.cachet.handle(api_request(&token, &body_json), cx()).await;
        assert_eq!(
            r.status(),
            http::StatusCode::BAD_REQUEST,
            "{body_json}: {}",
            body(&r)
        );
        assert!(body(&r).contains(field), "{body_json}: {}", body(&r));
        assert_eq!(
            h.store
                .subscribers(&SubscriberQuery::all())
                .await
                .unwrap()
                .total,
            0,
            "{body_json}: nothing stored, not even the address"
        );
    }
    // Empty values are none (Cachet's clients send the model's keys empty).
    let r = h
        .cachet
        .handle(
            api_request(
                &token,
                &serde_json::json!({"email": "a@example.com", "phone_number": "", "slack_webhook_url": null}),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK, "{}", body(&r));
    assert_eq!(json_of(&r)["data"]["phone_number"], serde_json::Value::Null);
    assert_eq!(
        h.store
            .subscribers(&SubscriberQuery::all())
            .await
            .unwrap()
            .total,
        1
    );
}

#[tokio::test]
async fn an_unverified_api_sibling_channel_gets_its_confirmation_posted() {
    let h = Harness::new().await;
    let (rec, d) = chat_dispatcher(&h);
    let token = h.admin_api_token().await;
    let r = h
        .cachet
        .handle(
            api_request(
                &token,
                &serde_json::json!({"email": "ops@example.com", "slack_webhook_url": SLACK}),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK, "{}", body(&r));
    drain(&d).await;
    let posted = posted_to(&rec, SLACK);
    assert_eq!(posted.len(), 1);
    assert!(link_to(&posted[0], "/subscribe/verify/").is_some());
    assert_eq!(subscriber_of(&h, SLACK).await.unwrap().verified_at, None);
}
