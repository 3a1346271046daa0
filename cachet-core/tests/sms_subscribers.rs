//! SMS subscribers end to end through the facade and the dispatcher (memory store): double
//! opt-in by code, no enumeration, the region allowlist, the number's budget, the code's tries
//! and expiry, routing only to verified numbers, the instance's daily SMS limit, and STOP.
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
use cachet_core::notify::{Channel, Dispatcher, Message, Notifier, SmsMessage};
use cachet_core::store::*;
use cachet_core::validate::{HttpUrl, Locale, PhoneNumber};
use cachet_core::{Actor, Config, Error, SmsPolicy};

const US_1: &str = "+12015550123";
const US_2: &str = "+12015550124";
const US_3: &str = "+12015550125";
const GB: &str = "+447400123456";
const GB_2: &str = "+447400123457";
/// A valid German mobile number: outside the allowlist.
const DE: &str = "+4915123456789";

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

fn sms_config(daily_limit: u32) -> Config {
    let mut config = Config::new(HttpUrl::parse(ORIGIN).unwrap());
    let mut policy = SmsPolicy::for_regions(["us", "GB"]);
    policy.daily_limit = daily_limit;
    config.sms = policy;
    config
}

async fn harness(daily_limit: u32) -> Harness {
    Harness::over(new_store().await, sms_config(daily_limit))
}

/// A dispatcher with an SMS recorder (and a mail recorder, so mail deliveries do not wait).
fn sms_dispatcher(h: &Harness) -> (Arc<Recorder>, Dispatcher) {
    let sms = Recorder::new(Channel::Sms);
    let mail = Recorder::email();
    let d = Dispatcher::new(
        h.cachet.clone(),
        vec![sms.clone() as Arc<dyn Notifier>, mail as Arc<dyn Notifier>],
    )
    .with_config(config("sms-test"));
    (sms, d)
}

fn sms_of(rec: &Recorder) -> Vec<SmsMessage> {
    rec.sent()
        .into_iter()
        .filter_map(|m| match m {
            Message::Sms(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn sms_to(rec: &Recorder, to: &str) -> Vec<SmsMessage> {
    sms_of(rec)
        .into_iter()
        .filter(|m| m.to.as_str() == to)
        .collect()
}

/// The six-digit code in the last SMS to `to`.
/// A visitor subscribes `number` to everything; the dispatcher sends the SMS; its code.
async fn code_sent(h: &Harness, d: &Dispatcher, rec: &Recorder, number: &str) -> String {
    h.cachet
        .subscribe_sms(None, &phone(number), &[], Locale::english())
        .await
        .unwrap();
    drain(d).await;
    last_code(rec, number)
}

fn last_code(rec: &Recorder, to: &str) -> String {
    let body = sms_to(rec, to).last().expect("an SMS").body.clone();
    let digits: Vec<&str> = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 6)
        .collect();
    assert_eq!(digits.len(), 1, "one code in {body:?}");
    digits[0].to_owned()
}

/// A different code than `code` (same length).
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn subscriber_of(h: &Harness, number: &str) -> Option<Subscriber> {
    let index = h.cachet.keyring().phone_index(&phone(number));
    h.store.subscriber_by_blind_index(&index).await.unwrap()
}

/// Subscribes and confirms a number; returns the subscriber.
async fn verified_sms(h: &Harness, d: &Dispatcher, rec: &Recorder, number: &str) -> Subscriber {
    h.cachet
        .subscribe_sms(None, &phone(number), &[], Locale::english())
        .await
        .unwrap();
    drain(d).await;
    let code = last_code(rec, number);
    assert!(
        h.cachet
            .confirm_sms(None, &phone(number), &code)
            .await
            .unwrap()
    );
    drain(d).await;
    subscriber_of(h, number).await.unwrap()
}

#[tokio::test]
async fn sms_subscriptions_are_off_without_allowed_regions() {
    let h = Harness::new().await;
    assert!(!h.cachet.sms_enabled());
    let r = h
        .cachet
        .subscribe_sms(None, &phone(US_1), &[], Locale::english())
        .await;
    assert!(
        matches!(
            r,
            Err(Error::NotFound {
                entity: "sms subscriptions"
            })
        ),
        "{r:?}"
    );
    assert_eq!(subscriber_of(&h, US_1).await, None);
}

#[tokio::test]
async fn a_number_outside_the_allowed_regions_is_refused_naming_phone_number() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let r = h
        .cachet
        .subscribe_sms(None, &phone(DE), &[], Locale::english())
        .await;
    match r {
        Err(Error::Validation(v)) => assert_eq!(v.field(), "phone_number"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    drain(&d).await;
    assert_eq!(subscriber_of(&h, DE).await, None);
    assert_eq!(rec.calls(), 0, "nothing is sent to a refused region");
}

#[tokio::test]
async fn subscribe_answers_alike_for_new_unverified_and_verified_numbers() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let p = phone(GB);
    // New: an unverified SMS subscriber and one code SMS.
    h.cachet
        .subscribe_sms(None, &p, &[], Locale::english())
        .await
        .unwrap();
    drain(&d).await;
    let s = subscriber_of(&h, GB).await.unwrap();
    assert_eq!(
        (s.channel, s.verified_at, s.global),
        (SubscriberChannel::Sms, None, true)
    );
    let first = last_code(&rec, GB);
    // Unverified, asked again after the spacing: the same answer and a fresh code; the
    // earlier code no longer works.
    h.clock.advance(TimeDelta::minutes(16));
    let second = code_sent(&h, &d, &rec, GB).await;
    assert_eq!(sms_to(&rec, GB).len(), 2);
    if first != second {
        assert!(!h.cachet.confirm_sms(None, &p, &first).await.unwrap());
    }
    assert!(h.cachet.confirm_sms(None, &p, &second).await.unwrap());
    drain(&d).await;
    // Confirmed: one SMS with the manage link.
    let msgs = sms_to(&rec, GB);
    assert_eq!(msgs.len(), 3);
    let welcome = &msgs[2].body;
    assert!(
        welcome.contains("https://status.example.com/subscribe/manage/"),
        "{welcome}"
    );
    assert!(welcome.contains("Reply STOP"), "{welcome}");
    // Verified, asked again: the same answer, the manage link again, nothing changes.
    h.clock.advance(TimeDelta::minutes(16));
    h.cachet
        .subscribe_sms(None, &p, &[], Locale::english())
        .await
        .unwrap();
    drain(&d).await;
    let msgs = sms_to(&rec, GB);
    assert_eq!(msgs.len(), 4);
    assert!(msgs[3].body.contains("/subscribe/manage/"));
    let after = subscriber_of(&h, GB).await.unwrap();
    assert_eq!(after.id, s.id);
    assert!(after.verified_at.is_some());
}

#[tokio::test]
async fn one_number_gets_one_code_per_window_however_often_it_is_asked() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    for client in 0..40u8 {
        h.cachet
            .subscribe_sms(
                Some(std::net::IpAddr::from([198, 51, 100, client])),
                &phone(US_1),
                &[],
                Locale::english(),
            )
            .await
            .unwrap();
    }
    drain(&d).await;
    assert_eq!(sms_to(&rec, US_1).len(), 1);
    h.clock.advance(TimeDelta::minutes(14));
    h.cachet
        .subscribe_sms(None, &phone(US_1), &[], Locale::english())
        .await
        .unwrap();
    drain(&d).await;
    assert_eq!(sms_to(&rec, US_1).len(), 1, "within the spacing: nothing");
    // Five a day at most, one per window.
    for _ in 0..10 {
        h.clock.advance(TimeDelta::minutes(16));
        h.cachet
            .subscribe_sms(None, &phone(US_1), &[], Locale::english())
            .await
            .unwrap();
    }
    drain(&d).await;
    assert_eq!(sms_to(&rec, US_1).len(), 5);
    // The mail budget of an address is another budget.
    assert_ne!(
        cachet_core::notify::budget::sms_confirmation_key(
            &h.cachet.keyring().phone_index(&phone(US_1))
        ),
        cachet_core::notify::budget::confirmation_key(
            &h.cachet.keyring().phone_index(&phone(US_1))
        )
    );
}

#[tokio::test]
async fn five_wrong_codes_void_the_code() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let p = phone(US_1);
    let code = code_sent(&h, &d, &rec, US_1).await;
    for _ in 0..cachet_core::SMS_CODE_TRIES {
        assert!(!h.cachet.confirm_sms(None, &p, &wrong(&code)).await.unwrap());
    }
    // The right code after five wrong ones: void.
    assert!(!h.cachet.confirm_sms(None, &p, &code).await.unwrap());
    assert_eq!(subscriber_of(&h, US_1).await.unwrap().verified_at, None);
    // A new code (next window) works again.
    h.clock.advance(TimeDelta::minutes(16));
    let fresh = code_sent(&h, &d, &rec, US_1).await;
    assert!(h.cachet.confirm_sms(None, &p, &fresh).await.unwrap());
}

#[tokio::test]
async fn four_wrong_codes_leave_the_right_one_working() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let p = phone(US_1);
    let code = code_sent(&h, &d, &rec, US_1).await;
    for _ in 0..cachet_core::SMS_CODE_TRIES - 1 {
        assert!(!h.cachet.confirm_sms(None, &p, &wrong(&code)).await.unwrap());
    }
    assert!(h.cachet.confirm_sms(None, &p, &code).await.unwrap());
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let p = phone(US_1);
    let code = code_sent(&h, &d, &rec, US_1).await;
    h.clock
        .advance(cachet_core::SMS_CODE_TTL + TimeDelta::seconds(1));
    assert!(!h.cachet.confirm_sms(None, &p, &code).await.unwrap());
    assert_eq!(subscriber_of(&h, US_1).await.unwrap().verified_at, None);
}

#[tokio::test]
async fn a_code_that_is_not_six_digits_is_a_validation_error_naming_code() {
    let h = harness(100).await;
    for bad in ["", "12345", "1234567", "12a456"] {
        match h.cachet.confirm_sms(None, &phone(US_1), bad).await {
            Err(Error::Validation(v)) => assert_eq!(v.field(), "code"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // A well-formed code for a number nobody subscribed: the same `false` as a wrong one.
    assert!(
        !h.cachet
            .confirm_sms(None, &phone(US_2), "123456")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn only_verified_sms_subscribers_get_incidents_as_sms_with_the_link() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let s = verified_sms(&h, &d, &rec, US_1).await;
    // Unverified: subscribed, never confirmed.
    h.cachet
        .subscribe_sms(None, &phone(US_2), &[], Locale::english())
        .await
        .unwrap();
    drain(&d).await;
    let before = sms_of(&rec).len();
    let long = "Details. ".repeat(100);
    let incident = h
        .cachet
        .create_incident(
            &Actor::operator(),
            &NewIncident::new(
                cachet_core::validate::Name::parse("Database down").unwrap(),
                IncidentStatus::Investigating,
                cachet_core::validate::Markdown::parse(&long).unwrap(),
                h.clock_now(),
            )
            .with_visible(true)
            .with_notify(true),
        )
        .await
        .unwrap();
    drain(&d).await;
    let new: Vec<SmsMessage> = sms_of(&rec).into_iter().skip(before).collect();
    assert_eq!(new.len(), 1, "only the verified number");
    let m = &new[0];
    assert_eq!(m.to.as_str(), US_1);
    let link = format!("https://status.example.com/incidents/{}", incident.id.get());
    assert!(m.body.ends_with(&link), "{}", m.body);
    assert!(m.body.starts_with("Status: "), "{}", m.body);
    assert!(m.body.contains("Database down"));
    assert!(SmsMessage::segments(&m.body) <= SmsMessage::MAX_SEGMENTS);
    assert!(
        m.idempotency_key
            .ends_with(&format!(".subscriber-{}.sms", s.id.get())),
        "{}",
        m.idempotency_key
    );
    // The delivery is on the SMS channel, under the subscriber's key.
    let q = DeliveryQuery::filtered(DeliveryFilter {
        recipient: Some(format!("subscriber:{}", s.id.get())),
        ..DeliveryFilter::default()
    });
    let deliveries = h.store.deliveries(&q).await.unwrap().items;
    assert!(deliveries.iter().all(|x| x.channel == "sms"));
    assert_eq!(
        deliveries
            .iter()
            .filter(|x| x.idempotency_key == m.idempotency_key)
            .count(),
        1
    );
}

#[tokio::test]
async fn the_daily_limit_fails_further_sms_and_audits_once() {
    let h = harness(8).await;
    let (rec, d) = sms_dispatcher(&h);
    for n in [US_1, US_2, US_3] {
        verified_sms(&h, &d, &rec, n).await;
    }
    // Six SMS went out (three codes, three confirmations) of the day's eight.
    assert_eq!(sms_of(&rec).len(), 6);
    let (h2, d2, rec2) = (&h, &d, &rec);
    let incident = |name: &'static str| {
        NewIncident::new(
            cachet_core::validate::Name::parse(name).unwrap(),
            IncidentStatus::Investigating,
            cachet_core::validate::Markdown::parse("Looking.").unwrap(),
            h.clock_now(),
        )
        .with_visible(true)
        .with_notify(true)
    };
    h2.cachet
        .create_incident(&Actor::operator(), &incident("First"))
        .await
        .unwrap();
    drain(d2).await;
    assert_eq!(sms_of(rec2).len(), 8, "two of three within the limit");
    h2.cachet
        .create_incident(&Actor::operator(), &incident("Second"))
        .await
        .unwrap();
    drain(d2).await;
    assert_eq!(sms_of(rec2).len(), 8, "none past the limit");
    let failed = h
        .store
        .deliveries(&DeliveryQuery::filtered(DeliveryFilter {
            status: Some(DeliveryStatus::Failed),
            ..DeliveryFilter::default()
        }))
        .await
        .unwrap()
        .items;
    assert_eq!(failed.len(), 4);
    assert!(failed.iter().all(|x| {
        x.channel == "sms"
            && x.last_error.as_deref() == Some("permanent: the daily SMS limit is reached")
    }));
    let audits = h
        .store
        .audit_events(&AuditQuery::filtered(AuditFilter {
            action: Some(AuditAction::AccessDenied),
            entity: Some(EntityKind::Site),
            ..AuditFilter::default()
        }))
        .await
        .unwrap()
        .items;
    let limit: Vec<_> = audits
        .iter()
        .filter(|a| a.detail.as_str().contains("daily SMS limit"))
        .collect();
    assert_eq!(limit.len(), 1, "one audit entry for the day");
    assert_eq!(
        limit[0].detail.as_str(),
        "daily SMS limit of 8 reached; further SMS today fail"
    );
    // The next UTC day counts afresh.
    h.clock.advance(TimeDelta::hours(24));
    h2.cachet
        .create_incident(&Actor::operator(), &incident("Third"))
        .await
        .unwrap();
    drain(d2).await;
    assert_eq!(sms_of(rec2).len(), 11);
}

#[tokio::test]
async fn stop_deletes_the_sms_subscriber_and_nothing_else() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let s = verified_sms(&h, &d, &rec, US_1).await;
    let other = verified_sms(&h, &d, &rec, GB).await;
    // Not an opt-out keyword: nothing happens.
    assert!(!h.cachet.sms_opt_out(&phone(US_1), "thanks").await.unwrap());
    assert!(subscriber_of(&h, US_1).await.is_some());
    // An unknown number: nothing to delete.
    assert!(!h.cachet.sms_opt_out(&phone(US_3), "STOP").await.unwrap());
    assert!(h.cachet.sms_opt_out(&phone(US_1), " stop ").await.unwrap());
    assert_eq!(subscriber_of(&h, US_1).await, None);
    assert!(matches!(
        h.store.subscriber(s.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(subscriber_of(&h, GB).await.map(|x| x.id), Some(other.id));
}

#[tokio::test]
async fn admins_see_an_sms_subscriber_masked_and_the_export_names_the_number() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let s = verified_sms(&h, &d, &rec, US_1).await;
    let admin = Actor::operator();
    let page = h
        .cachet
        .subscribers_with_addresses(&admin, SubscriberQuery::all())
        .await
        .unwrap();
    let (_, address) = page.items.iter().find(|(x, _)| x.id == s.id).unwrap();
    assert_eq!(address.email(), None);
    assert!(
        !address.label().contains("2015550123"),
        "{}",
        address.label()
    );
    let export = h.cachet.export_subscriber(&admin, s.id).await.unwrap();
    assert_eq!(export["channel"], "sms");
    assert_eq!(export["phone_number"], US_1);
    assert_eq!(export["email"], serde_json::Value::Null);
}

/// Twilio's signature of a form POST to `url`: base64 HMAC-SHA1 under the auth token of the
/// URL followed by every parameter, sorted by name, as name and value.
fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn twilio_post(params: &[(&str, &str)], signature: Option<&str>) -> http::Request<bytes::Bytes> {
    let body = params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut req = post("/subscribe/sms/inbound/twilio", &body, None);
    if let Some(s) = signature {
        req.headers_mut()
            .insert("x-twilio-signature", s.parse().unwrap());
    }
    req
}

#[tokio::test]
async fn a_twilio_stop_with_a_valid_signature_deletes_and_a_bad_signature_is_refused() {
    const TOKEN: &str = "twilio-auth-token-for-tests";
    let mut config = sms_config(100);
    config.sms.twilio_auth_token = Some(TOKEN.to_owned());
    let h = Harness::over(new_store().await, config);
    let (rec, d) = sms_dispatcher(&h);
    verified_sms(&h, &d, &rec, US_1).await;
    let url = "https://status.example.com/subscribe/sms/inbound/twilio";
    let params = [
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("From", US_1),
        ("To", "+12015550199"),
        ("Body", "STOP"),
    ];
    // No signature, a signature under another token, and one over other parameters: 403,
    // the same body, nothing deleted.
    let forged = twilio_signature("another-token", url, &params);
    let other_body = twilio_signature(TOKEN, url, &[("From", US_1), ("Body", "HELLO")]);
    for sig in [None, Some(forged.as_str()), Some(other_body.as_str())] {
        let r = h.cachet.handle(twilio_post(&params, sig), cx()).await;
        assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
        assert_eq!(body(&r), "forbidden\n");
        assert!(subscriber_of(&h, US_1).await.is_some());
    }
    // The real signature: the subscriber is gone, and the answer is an empty TwiML.
    let good = twilio_signature(TOKEN, url, &params);
    let r = h
        .cachet
        .handle(twilio_post(&params, Some(&good)), cx())
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
    assert_eq!(
        body(&r),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
    );
    assert_eq!(subscriber_of(&h, US_1).await, None);
    // The same answer again for a number no longer subscribed (nothing to learn from it).
    let r = h
        .cachet
        .handle(twilio_post(&params, Some(&good)), cx())
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
}

#[tokio::test]
async fn inbound_webhooks_without_a_configured_secret_are_refused() {
    let h = harness(100).await;
    let params = [("From", US_1), ("Body", "STOP")];
    let url = "https://status.example.com/subscribe/sms/inbound/twilio";
    let sig = twilio_signature("", url, &params);
    let r = h
        .cachet
        .handle(twilio_post(&params, Some(&sig)), cx())
        .await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    let vonage = post(
        "/subscribe/sms/inbound/vonage",
        "msisdn=12015550123&text=STOP&timestamp=1767225600&sig=00",
        None,
    );
    let r = h.cachet.handle(vonage, cx()).await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    // A GET is a way providers call too: unsigned, it is refused like a POST.
    let r = h
        .cachet
        .handle(
            get("/subscribe/sms/inbound/twilio?From=%2B12015550123&Body=STOP"),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    let put = http::Request::builder()
        .method("PUT")
        .uri("/subscribe/sms/inbound/vonage")
        .body(bytes::Bytes::new())
        .unwrap();
    let r = h.cachet.handle(put, cx()).await;
    assert_eq!(r.status(), http::StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&r, "allow"), "GET, POST");
}

/// Providers can be set to call by GET (Twilio and Vonage) or to POST JSON (Vonage's
/// POST-JSON): a signed STOP ends the subscription whichever way it comes, and a GET's
/// signature covers its query string.
#[tokio::test]
async fn a_signed_stop_by_get_or_as_json_deletes_the_subscriber() {
    const TOKEN: &str = "twilio-auth-token-for-tests";
    const SECRET: &str = "vonage-signature-secret";
    let mut config = sms_config(100);
    config.sms.twilio_auth_token = Some(TOKEN.to_owned());
    config.sms.vonage_signature_secret = Some(SECRET.to_owned());
    let h = Harness::over(new_store().await, config);
    let (rec, d) = sms_dispatcher(&h);

    // Twilio by GET: the signature is over the full URL, query included, and nothing else.
    verified_sms(&h, &d, &rec, US_1).await;
    let path = format!("/subscribe/sms/inbound/twilio?From={}&Body=STOP", enc(US_1));
    let url = format!("https://status.example.com{path}");
    let mut forged = get(&path);
    forged.headers_mut().insert(
        "x-twilio-signature",
        twilio_signature(TOKEN, &url, &[("From", US_1), ("Body", "STOP")])
            .parse()
            .unwrap(),
    );
    let r = h.cachet.handle(forged, cx()).await;
    assert_eq!(
        r.status(),
        http::StatusCode::FORBIDDEN,
        "a GET is not signed as a POST"
    );
    assert!(subscriber_of(&h, US_1).await.is_some());
    let mut signed = get(&path);
    signed.headers_mut().insert(
        "x-twilio-signature",
        twilio_signature(TOKEN, &url, &[]).parse().unwrap(),
    );
    let r = h.cachet.handle(signed, cx()).await;
    assert_eq!(r.status(), http::StatusCode::OK);
    assert_eq!(subscriber_of(&h, US_1).await, None);

    // Vonage as JSON, and by GET.
    let now = h.clock_now().timestamp().to_string();
    let params = |msisdn: &'static str, text: &'static str| {
        [
            ("msisdn", msisdn),
            ("to", "447700900000"),
            ("messageId", "0A0000000123ABCD1"),
            ("text", text),
            ("type", "text"),
            ("timestamp", now.as_str()),
        ]
    };
    verified_sms(&h, &d, &rec, GB).await;
    let json_of = |params: &[(&str, &str)], sig: &str| {
        let mut o: serde_json::Map<String, serde_json::Value> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        o.insert("sig".to_owned(), sig.into());
        http::Request::builder()
            .method("POST")
            .uri("/subscribe/sms/inbound/vonage")
            .header("content-type", "application/json; charset=utf-8")
            .body(bytes::Bytes::from(serde_json::Value::Object(o).to_string()))
            .unwrap()
    };
    let stop = params("447400123456", "STOP");
    let wrong = vonage_signature(SECRET, &params("447400123456", "HELLO"));
    let r = h.cachet.handle(json_of(&stop, &wrong), cx()).await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    let nested = http::Request::builder()
        .method("POST")
        .uri("/subscribe/sms/inbound/vonage")
        .header("content-type", "application/json")
        .body(bytes::Bytes::from_static(br#"{"msisdn":{"a":1}}"#))
        .unwrap();
    assert_eq!(
        h.cachet.handle(nested, cx()).await.status(),
        http::StatusCode::FORBIDDEN
    );
    assert!(subscriber_of(&h, GB).await.is_some());
    let good = vonage_signature(SECRET, &stop);
    let r = h.cachet.handle(json_of(&stop, &good), cx()).await;
    assert_eq!(r.status(), http::StatusCode::NO_CONTENT);
    assert_eq!(subscriber_of(&h, GB).await, None);

    // Another number: the first one's confirmations are spent for this window.
    verified_sms(&h, &d, &rec, GB_2).await;
    let stop = params("447400123457", "STOP");
    let good = vonage_signature(SECRET, &stop);
    let query: Vec<String> = stop
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .chain([format!("sig={good}")])
        .collect();
    let r = h
        .cachet
        .handle(
            get(&format!(
                "/subscribe/sms/inbound/vonage?{}",
                query.join("&")
            )),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::NO_CONTENT);
    assert_eq!(subscriber_of(&h, GB_2).await, None);
}

/// The form token of the form posting to `action`.
fn token_of(html: &str, action: &str) -> String {
    let form = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action} in {html}"));
    form_token(&html[form..])
}

#[tokio::test]
async fn the_subscribe_page_offers_sms_and_the_code_confirms_through_the_web() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    let page = body(&h.cachet.handle(get("/subscribe"), cx()).await);
    assert!(page.contains("name=\"phone_number\""), "{page}");
    let t = token_of(&page, "/subscribe/sms");
    // Without the form token: refused, nothing stored.
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe/sms",
                &format!("phone_number={}", enc(US_1)),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
    assert_eq!(subscriber_of(&h, US_1).await, None);
    // A region that is not allowed: 400 naming the rule, nothing stored.
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe/sms",
                &format!("_token={}&phone_number={}", enc(&t), enc(DE)),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::BAD_REQUEST);
    assert!(body(&r).contains("does not send SMS to numbers of that country"));
    assert_eq!(subscriber_of(&h, DE).await, None);
    // Written the way people write it: accepted, and the code page keeps the number.
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe/sms",
                &format!(
                    "_token={}&phone_number={}",
                    enc(&t),
                    enc("+1 (201) 555-0123")
                ),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
    let code_page = body(&r);
    assert!(code_page.contains("value=\"+12015550123\""), "{code_page}");
    drain(&d).await;
    let code = last_code(&rec, US_1);
    let ct = token_of(&code_page, "/subscribe/sms/confirm");
    let confirm = |code: String| {
        post(
            "/subscribe/sms/confirm",
            &format!(
                "_token={}&phone_number={}&code={}",
                enc(&ct),
                enc(US_1),
                code
            ),
            Some(ORIGIN),
        )
    };
    let r = h.cachet.handle(confirm(wrong(&code)), cx()).await;
    assert_eq!(r.status(), http::StatusCode::BAD_REQUEST);
    assert!(body(&r).contains("wrong or no longer valid"));
    let r = h.cachet.handle(confirm(code), cx()).await;
    assert_eq!(r.status(), http::StatusCode::OK);
    assert!(body(&r).contains("Your number is confirmed"));
    assert!(subscriber_of(&h, US_1).await.unwrap().verified_at.is_some());
}

#[tokio::test]
async fn the_subscribe_page_has_no_sms_form_when_sms_is_off() {
    let h = Harness::new().await;
    let page = body(&h.cachet.handle(get("/subscribe"), cx()).await);
    assert!(page.contains("name=\"email\""));
    assert!(!page.contains("phone_number"));
}

#[tokio::test]
async fn the_manage_link_in_the_confirmation_sms_leads_to_an_unsubscribe_that_deletes() {
    let h = harness(100).await;
    let (rec, d) = sms_dispatcher(&h);
    verified_sms(&h, &d, &rec, US_1).await;
    let welcome = sms_to(&rec, US_1).last().unwrap().body.clone();
    let manage = link_path(&welcome, "/subscribe/manage/");
    let page = body(&h.cachet.handle(get(&manage), cx()).await);
    let at = page
        .find("action=\"/unsubscribe/")
        .expect("an unsubscribe form")
        + 8;
    let action = page[at..].split('"').next().unwrap().to_owned();
    let t = token_of(&page, &action);
    let r = h
        .cachet
        .handle(
            post(&action, &format!("_token={}", enc(&t)), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::OK);
    assert_eq!(subscriber_of(&h, US_1).await, None);
}

/// Vonage's signed-webhook signature: hex HMAC-SHA256 under the signature secret of every
/// parameter but `sig`, sorted by name, as `&name=value` (`&` and `=` in values as `_`).
fn vonage_signature(secret: &str, params: &[(&str, &str)]) -> String {
    use hmac::{Hmac, Mac};
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    for (k, v) in sorted {
        mac.update(format!("&{k}={}", v.replace(['&', '='], "_")).as_bytes());
    }
    hex::encode_upper(mac.finalize().into_bytes())
}

#[tokio::test]
async fn a_signed_vonage_stop_deletes_and_a_stale_or_forged_one_is_refused() {
    const SECRET: &str = "vonage-signature-secret";
    let mut config = sms_config(100);
    config.sms.vonage_signature_secret = Some(SECRET.to_owned());
    let h = Harness::over(new_store().await, config);
    let (rec, d) = sms_dispatcher(&h);
    verified_sms(&h, &d, &rec, GB).await;
    let now = h.clock_now().timestamp().to_string();
    let stale = (h.clock_now().timestamp() - 600).to_string();
    let request = |timestamp: &str, secret: &str| {
        let params = [
            ("msisdn", "447400123456"),
            ("to", "447700900000"),
            ("messageId", "0A0000000123ABCD1"),
            ("text", "STOP"),
            ("type", "text"),
            ("timestamp", timestamp),
        ];
        let sig = vonage_signature(secret, &params);
        let mut body: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        body.push(format!("sig={sig}"));
        post("/subscribe/sms/inbound/vonage", &body.join("&"), None)
    };
    for req in [request(&now, "another-secret"), request(&stale, SECRET)] {
        let r = h.cachet.handle(req, cx()).await;
        assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
        assert!(subscriber_of(&h, GB).await.is_some());
    }
    let r = h.cachet.handle(request(&now, SECRET), cx()).await;
    assert_eq!(r.status(), http::StatusCode::NO_CONTENT);
    assert_eq!(subscriber_of(&h, GB).await, None);
}
