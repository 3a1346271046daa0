//! The webhook notifier against an in-test HTTP server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cachet_core::notify::{DeliveryError, Message, Notifier, SmsMessage, WebhookMessage};
use cachet_core::validate::{HttpUrl, PhoneNumber};
use cachet_notify::{WebhookConfig, WebhookNotifier, sign};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::net::TcpListener;

mod support;

use support::{Answer, Log};

/// The recording server answering `status` (with `extra` response headers) and no body after
/// `delay`.
async fn start_server(status: u16, extra: &'static str, delay: Duration) -> (u16, Log) {
    support::start_server(Answer {
        status,
        headers: extra,
        body: String::new(),
        delay,
    })
    .await
}

fn loopback_notifier() -> WebhookNotifier {
    WebhookNotifier::new(
        WebhookConfig::default()
            .allow_private_networks(true)
            .allow_plain_http(true)
            .timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(2)),
    )
    .unwrap()
}

fn webhook(url: &str, secret: Option<&str>) -> Message {
    Message::Webhook(WebhookMessage {
        url: HttpUrl::parse(url).unwrap(),
        secret: secret.map(str::to_owned),
        body: r#"{"meta":{"unsubscribe":"u"},"page":{"id":"p"},"incident":{"name":"Outage"}}"#
            .into(),
        idempotency_key: "evt-9.hook-3.webhook".into(),
    })
}

#[tokio::test]
async fn posts_signed_json_that_verifies_with_the_secret() {
    let (port, log) = start_server(204, "", Duration::ZERO).await;
    let message = webhook(
        &format!("http://127.0.0.1:{port}/hook?x=1"),
        Some("whsec_42"),
    );
    loopback_notifier().deliver(&message).await.unwrap();

    let requests = log.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hook?x=1");
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(req.headers["x-cachet-delivery"], "evt-9.hook-3.webhook");
    assert!(req.headers["user-agent"].starts_with("cachet-rs/"));
    let Message::Webhook(sent) = &message else {
        unreachable!()
    };
    assert_eq!(req.body, sent.body);

    // Verify as a receiver would: HMAC-SHA256(secret, "{timestamp}.{body}").
    let timestamp = &req.headers["x-cachet-timestamp"];
    let signature = req.headers["x-cachet-signature"]
        .strip_prefix("sha256=")
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_42").unwrap();
    mac.update(format!("{timestamp}.{}", req.body).as_bytes());
    mac.verify_slice(&hex::decode(signature).unwrap())
        .expect("signature verifies with the secret");
    // ... and not with another secret.
    let mut wrong = Hmac::<Sha256>::new_from_slice(b"whsec_43").unwrap();
    wrong.update(format!("{timestamp}.{}", req.body).as_bytes());
    assert!(
        wrong
            .verify_slice(&hex::decode(signature).unwrap())
            .is_err()
    );
    assert_eq!(
        sign("whsec_42", timestamp.parse().unwrap(), &req.body),
        signature
    );
}

#[tokio::test]
async fn without_a_secret_no_signature_header_is_sent() {
    let (port, log) = start_server(200, "", Duration::ZERO).await;
    loopback_notifier()
        .deliver(&webhook(&format!("http://127.0.0.1:{port}/"), None))
        .await
        .unwrap();
    let req = log.lock().unwrap()[0].clone();
    assert!(!req.headers.contains_key("x-cachet-signature"));
    assert!(req.headers.contains_key("x-cachet-timestamp"));
}

#[tokio::test]
async fn server_errors_are_transient_and_gone_is_permanent() {
    for (status, transient) in [
        (500, true),
        (503, true),
        (429, true),
        (410, false),
        (400, false),
    ] {
        let (port, _) = start_server(status, "", Duration::ZERO).await;
        let err = loopback_notifier()
            .deliver(&webhook(&format!("http://127.0.0.1:{port}/"), Some("s")))
            .await
            .unwrap_err();
        assert_eq!(err.is_transient(), transient, "{status}: {err}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (target_port, target_log) = start_server(200, "", Duration::ZERO).await;
    let location: &'static str = Box::leak(
        format!("Location: http://127.0.0.1:{target_port}/internal\r\n").into_boxed_str(),
    );
    for status in [301, 302, 307, 308] {
        let (port, log) = start_server(status, location, Duration::ZERO).await;
        let err = loopback_notifier()
            .deliver(&webhook(&format!("http://127.0.0.1:{port}/"), Some("s")))
            .await
            .unwrap_err();
        assert!(!err.is_transient(), "{status}: {err}");
        assert!(err.to_string().contains("redirect"), "{err}");
        assert_eq!(log.lock().unwrap().len(), 1);
    }
    assert!(
        target_log.lock().unwrap().is_empty(),
        "the redirect target must never be requested"
    );
}

#[tokio::test]
async fn a_slow_receiver_times_out_as_transient() {
    let (port, _) = start_server(200, "", Duration::from_secs(10)).await;
    let notifier = WebhookNotifier::new(
        WebhookConfig::default()
            .allow_private_networks(true)
            .allow_plain_http(true)
            .timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = notifier
        .deliver(&webhook(&format!("http://127.0.0.1:{port}/"), Some("s")))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let err = loopback_notifier()
        .deliver(&webhook(&format!("http://127.0.0.1:{port}/"), Some("s")))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn private_addresses_are_refused_by_default_and_never_contacted() {
    let (port, log) = start_server(200, "", Duration::ZERO).await;
    let strict = WebhookNotifier::new(WebhookConfig::default().allow_plain_http(true)).unwrap();
    for url in [
        // IP literals (checked before any traffic) ...
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://2130706433:{port}/"),
        // ... and a name that resolves to loopback (checked by the resolver).
        format!("http://localhost:{port}/"),
    ] {
        let err = strict.deliver(&webhook(&url, Some("s"))).await.unwrap_err();
        assert!(!err.is_transient(), "{url}: {err}");
        assert!(err.to_string().contains("loopback"), "{url}: {err}");
        // The message names the category, not the URL (which may embed a token).
        assert!(!err.to_string().contains(&port.to_string()), "{err}");
    }
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let (port, log) = start_server(200, "", Duration::ZERO).await;
    let no_http =
        WebhookNotifier::new(WebhookConfig::default().allow_private_networks(true)).unwrap();
    let err = no_http
        .deliver(&webhook(&format!("http://127.0.0.1:{port}/"), Some("s")))
        .await
        .unwrap_err();
    assert!(!err.is_transient());
    assert!(err.to_string().contains("https"), "{err}");
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_sms_reaching_the_webhook_notifier_is_a_permanent_error_without_traffic() {
    let sms = Message::Sms(SmsMessage {
        to: PhoneNumber::parse("+14155550123").unwrap(),
        body: "API down".into(),
        idempotency_key: "evt-1.sub-2.sms".into(),
    });
    let err = loopback_notifier().deliver(&sms).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("the webhook notifier only delivers webhook messages".into())
    );
}

#[tokio::test]
async fn a_chat_message_is_refused_as_permanent_without_traffic() {
    use cachet_core::notify::{ChatMessage, ChatPlatform, ChatSeverity, DeliveryError};
    let (port, log) = start_server(204, "", Duration::ZERO).await;
    let chat = Message::Chat(ChatMessage {
        platform: ChatPlatform::Mattermost,
        url: HttpUrl::parse(&format!("http://127.0.0.1:{port}/hooks/x")).unwrap(),
        room: None,
        token: None,
        title: "t".into(),
        text: "x".into(),
        link: None,
        more_links: Vec::new(),
        severity: ChatSeverity::Info,
        idempotency_key: "k".into(),
    });
    let err = loopback_notifier().deliver(&chat).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("the webhook notifier only delivers webhook messages".into())
    );
    assert!(log.lock().unwrap().is_empty());
}
