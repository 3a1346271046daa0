//! The SMS notifier against in-test servers on loopback that check each request as Twilio,
//! Vonage and a generic gateway document it, and answer as they do (success, rate limits,
//! refusals), with the JSON shapes of their documentation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cachet_core::notify::{DeliveryError, Message, Notifier, SmsMessage};
use cachet_core::validate::{HttpUrl, PhoneNumber};
use cachet_notify::{Credential, SmsConfig, SmsNotifier, SmsProvider, TwilioSender};
use reqwest::Url;
use tokio::net::TcpListener;

mod support;

use support::{Answer, Log, answer};

/// The recording server, as the base URL the provider configurations take.
async fn start_server(answer: Answer) -> (Url, Log) {
    let (port, log) = support::start_server(answer).await;
    (
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        log,
    )
}

const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "twilio-auth-T0KEN-s3cret";
const VONAGE_KEY: &str = "abcd1234";
const VONAGE_SECRET: &str = "vonage-API-s3cret";
const GATEWAY_TOKEN: &str = "gateway-bearer-s3cret";
/// A US mobile-or-fixed number (the US plan cannot tell them apart).
const US_NUMBER: &str = "+12015550123";
/// A UK mobile number.
const GB_NUMBER: &str = "+447400123456";

fn regions(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|r| (*r).to_owned()).collect()
}

fn twilio(base: &Url, sender: TwilioSender, allowed: &[&str]) -> SmsNotifier {
    let config = SmsConfig::new(
        SmsProvider::Twilio {
            account_sid: TWILIO_SID.into(),
            auth_token: Credential::new(TWILIO_TOKEN),
            sender,
        },
        regions(allowed),
    )
    .twilio_base_url(base.clone())
    .allow_private_networks(true)
    .allow_plain_http(true)
    .timeout(Duration::from_secs(5));
    SmsNotifier::new(config).unwrap()
}

fn vonage(base: &Url) -> SmsNotifier {
    let config = SmsConfig::new(
        SmsProvider::Vonage {
            api_key: VONAGE_KEY.into(),
            api_secret: Credential::new(VONAGE_SECRET),
            from: "StatusPage".into(),
        },
        regions(&["GB", "US"]),
    )
    .vonage_base_url(base.clone())
    .allow_private_networks(true)
    .allow_plain_http(true)
    .timeout(Duration::from_secs(5));
    SmsNotifier::new(config).unwrap()
}

fn gateway(url: &str, private: bool) -> SmsNotifier {
    let config = SmsConfig::new(
        SmsProvider::Http {
            url: HttpUrl::parse(url).unwrap(),
            bearer: Some(Credential::new(GATEWAY_TOKEN)),
        },
        regions(&["US"]),
    )
    .allow_private_networks(private)
    .allow_plain_http(true)
    .timeout(Duration::from_secs(5));
    SmsNotifier::new(config).unwrap()
}

fn sms(to: &str, body: &str) -> Message {
    Message::Sms(SmsMessage {
        to: PhoneNumber::parse(to).unwrap(),
        body: body.into(),
        idempotency_key: "cachet.42.subscriber-7.sms".into(),
    })
}

fn form(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// No error string and no `Debug` output may carry a credential or a full phone number.
fn assert_clean(text: &str) {
    for secret in [TWILIO_TOKEN, VONAGE_SECRET, GATEWAY_TOKEN] {
        assert!(!text.contains(secret), "credential in {text:?}");
    }
    for number in [US_NUMBER, GB_NUMBER] {
        assert!(!text.contains(&number[1..]), "phone number in {text:?}");
    }
}

fn assert_clean_error(err: &DeliveryError) {
    assert_clean(&format!("{err} {err:?}"));
}

// ---- Twilio ------------------------------------------------------------------------------

/// Twilio's answer to a created message (Message resource, abridged to the fields it always
/// has).
fn twilio_created() -> String {
    format!(
        r#"{{"account_sid": "{TWILIO_SID}", "api_version": "2010-04-01", "body": "API down", "date_created": "Mon, 07 Dec 2026 11:00:00 +0000", "direction": "outbound-api", "error_code": null, "error_message": null, "from": "+14155550100", "num_segments": "1", "sid": "SM1234567890abcdef1234567890abcdef", "status": "queued", "to": "{US_NUMBER}", "uri": "/2010-04-01/Accounts/{TWILIO_SID}/Messages/SM1234567890abcdef1234567890abcdef.json"}}"#
    )
}

/// Twilio's error shape: `code`, `message`, `more_info`, `status`.
fn twilio_error(code: u32, message: &str, status: u16) -> String {
    format!(
        r#"{{"code": {code}, "message": "{message}", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": {status}}}"#
    )
}

#[tokio::test]
async fn twilio_posts_the_documented_form_with_basic_auth() {
    let (base, log) = start_server(answer(201, &twilio_created())).await;
    let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]);
    notifier.deliver(&sms(US_NUMBER, "API down")).await.unwrap();

    let requests = log.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.path,
        format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    );
    let expected_auth = format!(
        "Basic {}",
        BASE64.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}"))
    );
    assert_eq!(req.headers["authorization"], expected_auth);
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert!(req.headers["user-agent"].starts_with("cachet-rs/"));
    // The exact bytes: `+` percent-encoded, space as `+`.
    assert_eq!(
        req.body,
        "To=%2B12015550123&From=%2B14155550100&Body=API+down"
    );
    assert_eq!(
        form(&req.body),
        pairs(&[
            ("To", US_NUMBER),
            ("From", "+14155550100"),
            ("Body", "API down")
        ])
    );
}

#[tokio::test]
async fn twilio_messaging_service_replaces_from() {
    let (base, log) = start_server(answer(201, &twilio_created())).await;
    let notifier = twilio(
        &base,
        TwilioSender::MessagingService("MG0123456789abcdef0123456789abcdef".into()),
        &["US"],
    );
    notifier.deliver(&sms(US_NUMBER, "API down")).await.unwrap();
    let body = log.lock().unwrap()[0].body.clone();
    assert_eq!(
        form(&body),
        pairs(&[
            ("To", US_NUMBER),
            ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
            ("Body", "API down"),
        ])
    );
}

#[tokio::test]
async fn twilio_rate_limit_is_transient_and_quotes_retry_after() {
    let (base, log) = start_server(Answer {
        status: 429,
        headers: "Retry-After: 30\r\n",
        delay: Duration::ZERO,
        body: twilio_error(20429, "Too Many Requests", 429),
    })
    .await;
    let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]);
    let err = notifier
        .deliver(&sms(US_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient(
            "Twilio answered HTTP 429, error 20429 (too many requests) (retry after 30 s)".into()
        )
    );
    assert_clean_error(&err);
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn twilio_server_error_is_transient() {
    let (base, _log) = start_server(answer(503, "")).await;
    let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]);
    let err = notifier
        .deliver(&sms(US_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient("Twilio answered HTTP 503".into())
    );
}

#[tokio::test]
async fn twilio_refusals_are_permanent_and_name_the_code_not_the_number() {
    for (code, message, expected) in [
        (
            21211,
            "The 'To' number +12015550123 is not a valid phone number.",
            "Twilio answered HTTP 400, error 21211 (invalid 'To' number)",
        ),
        (
            21610,
            "Attempt to send to unsubscribed recipient",
            "Twilio answered HTTP 400, error 21610 (the recipient has unsubscribed (replied STOP))",
        ),
        (
            21408,
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +12015550123.",
            "Twilio answered HTTP 400, error 21408 (sending to this region is not enabled (geo permissions))",
        ),
    ] {
        let (base, _log) = start_server(answer(400, &twilio_error(code, message, 400))).await;
        let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]);
        let err = notifier
            .deliver(&sms(US_NUMBER, "API down"))
            .await
            .unwrap_err();
        assert_eq!(err, DeliveryError::Permanent(expected.into()), "{code}");
        assert_clean_error(&err);
    }
}

#[tokio::test]
async fn twilio_bad_credentials_are_permanent_without_the_token() {
    let (base, _log) = start_server(answer(401, &twilio_error(20003, "Authenticate", 401))).await;
    let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]);
    let err = notifier
        .deliver(&sms(US_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent(
            "Twilio answered HTTP 401, error 20003 (authentication failed)".into()
        )
    );
    assert_clean_error(&err);
}

#[tokio::test]
async fn a_region_not_allowed_is_permanent_and_makes_no_request() {
    let (base, log) = start_server(answer(201, &twilio_created())).await;
    let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["GB"]);
    let err = notifier
        .deliver(&sms(US_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("SMS to region US refused: not among the allowed regions".into())
    );
    assert_clean_error(&err);
    assert!(log.lock().unwrap().is_empty(), "no request may be made");

    let (base, log) = start_server(answer(200, "{}")).await;
    let strict = vonage(&base);
    let err = strict
        .deliver(&sms("+49 1512 3456789", "API down"))
        .await
        .unwrap_err();
    assert!(!err.is_transient());
    assert!(log.lock().unwrap().is_empty(), "no request may be made");
}

#[tokio::test]
async fn a_long_body_is_cut_to_three_segments() {
    let (base, log) = start_server(answer(201, &twilio_created())).await;
    let notifier = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]);
    let long = "The API is down. ".repeat(60);
    notifier.deliver(&sms(US_NUMBER, &long)).await.unwrap();
    let body = log.lock().unwrap()[0].body.clone();
    let fields: HashMap<String, String> = form(&body).into_iter().collect();
    let sent = &fields["Body"];
    assert_eq!(sent, &SmsMessage::fit(&long));
    assert!(sent.ends_with("..."), "{sent}");
    assert!(long.starts_with(sent.trim_end_matches("...")));
    assert_eq!(SmsMessage::segments(sent), 3);
    assert!(sent.chars().count() <= 459);
    assert!(sent.chars().count() > 450);
}

// ---- Vonage ------------------------------------------------------------------------------

/// Vonage's SMS API answer: `message-count` and one entry per message part.
fn vonage_ok() -> String {
    r#"{"message-count": "1", "messages": [{"to": "447400123456", "message-id": "0A0000000123ABCD1", "status": "0", "remaining-balance": "3.14159265", "message-price": "0.03330000", "network": "23410"}]}"#.into()
}

fn vonage_refused(status: &str, error_text: &str) -> String {
    format!(
        r#"{{"message-count": "1", "messages": [{{"to": "447400123456", "status": "{status}", "error-text": "{error_text}"}}]}}"#
    )
}

#[tokio::test]
async fn vonage_posts_the_documented_form() {
    let (base, log) = start_server(answer(200, &vonage_ok())).await;
    vonage(&base)
        .deliver(&sms(GB_NUMBER, "API down"))
        .await
        .unwrap();
    let requests = log.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/sms/json");
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    // Credentials travel in the form, not in a header.
    assert!(!req.headers.contains_key("authorization"));
    assert_eq!(
        form(&req.body),
        pairs(&[
            ("api_key", VONAGE_KEY),
            ("api_secret", VONAGE_SECRET),
            ("from", "StatusPage"),
            ("to", "447400123456"),
            ("text", "API down"),
            ("client-ref", "cachet.42.subscriber-7.sms"),
        ])
    );
}

#[tokio::test]
async fn vonage_sends_non_gsm_text_as_unicode() {
    let (base, log) = start_server(answer(200, &vonage_ok())).await;
    vonage(&base)
        .deliver(&sms(GB_NUMBER, "Störung: API ✅ wieder da"))
        .await
        .unwrap();
    let body = log.lock().unwrap()[0].body.clone();
    assert_eq!(
        form(&body),
        pairs(&[
            ("api_key", VONAGE_KEY),
            ("api_secret", VONAGE_SECRET),
            ("from", "StatusPage"),
            ("to", "447400123456"),
            ("text", "Störung: API ✅ wieder da"),
            ("type", "unicode"),
            ("client-ref", "cachet.42.subscriber-7.sms"),
        ])
    );
    // GSM-7 text (ö is in the alphabet) goes without a type.
    let (base, log) = start_server(answer(200, &vonage_ok())).await;
    vonage(&base)
        .deliver(&sms(GB_NUMBER, "Störung behoben"))
        .await
        .unwrap();
    let body = log.lock().unwrap()[0].body.clone();
    assert!(!form(&body).iter().any(|(k, _)| k == "type"), "{body}");
}

#[tokio::test]
async fn vonage_long_unicode_body_is_cut_to_three_ucs2_segments() {
    let (base, log) = start_server(answer(200, &vonage_ok())).await;
    let long = "Störung ✅ ".repeat(50);
    vonage(&base).deliver(&sms(GB_NUMBER, &long)).await.unwrap();
    let body = log.lock().unwrap()[0].body.clone();
    let fields: HashMap<String, String> = form(&body).into_iter().collect();
    assert_eq!(fields["type"], "unicode");
    assert_eq!(SmsMessage::segments(&fields["text"]), 3);
    assert!(fields["text"].ends_with('…'));
    assert!(fields["text"].encode_utf16().count() <= 201);
}

#[tokio::test]
async fn vonage_throttled_is_transient() {
    let (base, _log) = start_server(answer(
        200,
        &vonage_refused(
            "1",
            "Throughput Rate Exceeded - please wait [ 1000 ] and retry",
        ),
    ))
    .await;
    let err = vonage(&base)
        .deliver(&sms(GB_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient(
            "Vonage refused the message: status 1 (throttled): Throughput Rate Exceeded - please wait [ 1000 ] and retry".into()
        )
    );
    assert_clean_error(&err);
}

#[tokio::test]
async fn vonage_refusals_are_permanent_with_the_error_text() {
    for (status, text, expected) in [
        (
            "3",
            "Invalid to param",
            "Vonage refused the message: status 3 (invalid parameters): Invalid to param",
        ),
        (
            "4",
            "Bad Credentials",
            "Vonage refused the message: status 4 (invalid credentials): Bad Credentials",
        ),
        (
            "29",
            "Non White-listed Destination - rejected 447400123456",
            "Vonage refused the message: status 29 (non-whitelisted destination): Non White-listed Destination - rejected [number]",
        ),
    ] {
        let (base, _log) = start_server(answer(200, &vonage_refused(status, text))).await;
        let err = vonage(&base)
            .deliver(&sms(GB_NUMBER, "API down"))
            .await
            .unwrap_err();
        assert_eq!(err, DeliveryError::Permanent(expected.into()), "{status}");
        assert_clean_error(&err);
    }
}

#[tokio::test]
async fn vonage_http_rate_limit_is_transient() {
    let (base, _log) = start_server(Answer {
        status: 429,
        headers: "Retry-After: 2\r\n",
        delay: Duration::ZERO,
        body: String::new(),
    })
    .await;
    let err = vonage(&base)
        .deliver(&sms(GB_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient("Vonage answered HTTP 429 (retry after 2 s)".into())
    );
}

// ---- Generic gateway ---------------------------------------------------------------------

#[tokio::test]
async fn gateway_posts_json_with_the_bearer_token() {
    let (base, log) = start_server(answer(202, "{}")).await;
    let url = format!("{base}sms/send?tenant=1");
    gateway(&url, true)
        .deliver(&sms(US_NUMBER, "API \"down\""))
        .await
        .unwrap();
    let req = log.lock().unwrap()[0].clone();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/sms/send?tenant=1");
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(
        req.headers["authorization"],
        format!("Bearer {GATEWAY_TOKEN}")
    );
    let json: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "to": US_NUMBER,
            "body": "API \"down\"",
            "idempotency_key": "cachet.42.subscriber-7.sms",
        })
    );
}

#[tokio::test]
async fn gateway_status_classes() {
    for (status, transient) in [
        (429, true),
        (500, true),
        (503, true),
        (400, false),
        (404, false),
    ] {
        let (base, _log) = start_server(answer(status, "{}")).await;
        let err = gateway(&format!("{base}send"), true)
            .deliver(&sms(US_NUMBER, "API down"))
            .await
            .unwrap_err();
        assert_eq!(err.is_transient(), transient, "{status}: {err}");
        assert!(
            err.to_string()
                .contains(&format!("SMS gateway answered HTTP {status}")),
            "{err}"
        );
        assert_clean_error(&err);
    }
}

#[tokio::test]
async fn gateway_on_loopback_is_refused_without_the_opt_in() {
    let (base, log) = start_server(answer(200, "{}")).await;
    let port = base.port().unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/send"),
        format!("http://localhost:{port}/send"),
    ] {
        let err = gateway(&url, false)
            .deliver(&sms(US_NUMBER, "API down"))
            .await
            .unwrap_err();
        assert!(!err.is_transient(), "{url}: {err}");
        assert!(err.to_string().contains("loopback"), "{url}: {err}");
        assert!(!err.to_string().contains(&port.to_string()), "{err}");
    }
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let err = twilio(&base, TwilioSender::From("+14155550100".into()), &["US"])
        .deliver(&sms(US_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient("could not connect to the Twilio host".into())
    );
}

// ---- Redaction ---------------------------------------------------------------------------

#[tokio::test]
async fn credentials_and_numbers_never_show_in_debug() {
    let base = Url::parse("http://127.0.0.1:9").unwrap();
    for notifier in [
        twilio(&base, TwilioSender::From("+14155550100".into()), &["US"]),
        vonage(&base),
        gateway("https://sms.example.com/send", false),
    ] {
        let debug = format!("{notifier:?}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert_clean(&debug);
        assert_clean(&format!("{:?}", notifier.config()));
    }
    assert_clean(&format!("{:?}", sms(US_NUMBER, "x")));
    assert_clean(&format!("{:?}", sms(GB_NUMBER, "x")));
}

#[tokio::test]
async fn other_messages_are_refused() {
    let base = Url::parse("http://127.0.0.1:9").unwrap();
    let notifier = vonage(&base);
    let webhook = Message::Webhook(cachet_core::notify::WebhookMessage {
        url: HttpUrl::parse("https://hooks.example.com/x").unwrap(),
        secret: None,
        body: "{}".into(),
        idempotency_key: "k".into(),
    });
    assert_eq!(
        notifier.deliver(&webhook).await.unwrap_err(),
        DeliveryError::Permanent("the SMS notifier only delivers SMS messages".into())
    );
}

#[tokio::test]
async fn a_twilio_sid_that_would_change_the_path_is_refused_without_a_request() {
    let (base, log) = start_server(answer(201, &twilio_created())).await;
    let config = SmsConfig::new(
        SmsProvider::Twilio {
            account_sid: "AC1/../../other".into(),
            auth_token: Credential::new(TWILIO_TOKEN),
            sender: TwilioSender::From("+14155550100".into()),
        },
        regions(&["US"]),
    )
    .twilio_base_url(base)
    .allow_private_networks(true)
    .allow_plain_http(true);
    let err = SmsNotifier::new(config)
        .unwrap()
        .deliver(&sms(US_NUMBER, "API down"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("Twilio account SID must be letters and digits only".into())
    );
    assert!(log.lock().unwrap().is_empty());
}
