//! The subscribe form is no mail cannon: every mail it causes spends the recipient's budget
//! (one per 15 minutes, five a day), whatever the source address, and the visitor's answer
//! is the same whether a mail went out or not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use chrono::TimeDelta;
use common::*;
use http::StatusCode;
use notify_support::*;

use cachet_core::Cachet;
use cachet_core::web::RequestContext;

const VICTIM: &str = "victim@example.com";

/// A client at its own address.
fn from(n: u32) -> RequestContext {
    let [_, _, a, b] = n.to_be_bytes();
    RequestContext {
        peer: Some(format!("198.51.{a}.{b}:5000").parse().unwrap()),
        principal: None,
    }
}

/// One form token, fetched once (the attack replays it).
async fn token(cachet: &Cachet) -> String {
    let page = cachet.handle(get("/subscribe"), cx()).await;
    form_token(&body(&page))
}

async fn post_as(cachet: &Cachet, token: &str, email: &str, client: u32) -> (StatusCode, String) {
    let r = cachet
        .handle(
            post(
                "/subscribe",
                &format!("_token={}&email={}", enc(token), enc(email)),
                Some(ORIGIN),
            ),
            from(client),
        )
        .await;
    (r.status(), body(&r))
}

/// The mails delivered so far, after the dispatcher settles.
async fn mails_to(d: &cachet_core::notify::Dispatcher, rec: &Recorder, to: &str) -> usize {
    drain(d).await;
    rec.recipients().iter().filter(|r| r.as_str() == to).count()
}

#[tokio::test]
async fn one_recipient_gets_one_confirmation_per_window_from_any_number_of_addresses() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let t = token(&h.cachet).await;
    for client in 0..40 {
        let (status, _) = post_as(&h.cachet, &t, VICTIM, client).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(mails_to(&d, &rec, VICTIM).await, 1);
    // Within the window nothing more, however it is asked.
    h.clock.advance(TimeDelta::minutes(14));
    for client in 40..50 {
        post_as(&h.cachet, &t, VICTIM, client).await;
    }
    assert_eq!(mails_to(&d, &rec, VICTIM).await, 1);
    // The next window allows one more, and only one.
    h.clock.advance(TimeDelta::minutes(2));
    for client in 50..60 {
        post_as(&h.cachet, &t, VICTIM, client).await;
    }
    assert_eq!(mails_to(&d, &rec, VICTIM).await, 2);
    // Another recipient has a budget of its own.
    post_as(&h.cachet, &t, "other@example.com", 61).await;
    assert_eq!(mails_to(&d, &rec, "other@example.com").await, 1);
}

#[tokio::test]
async fn confirmation_daily_cap_holds() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    // Ten attempts, each after the spacing: five mails in the day, no more. (A form token
    // lasts two hours, so each attempt fetches one.)
    for client in 0..10 {
        let t = token(&h.cachet).await;
        post_as(&h.cachet, &t, VICTIM, client).await;
        h.clock.advance(TimeDelta::minutes(16));
    }
    assert_eq!(mails_to(&d, &rec, VICTIM).await, 5);
    // The same holds once verified: "already subscribed" mails spend the same budget.
    verified(&h.cachet, "known@example.com", &[]).await;
    for client in 0..10 {
        let t = token(&h.cachet).await;
        post_as(&h.cachet, &t, "known@example.com", client).await;
        h.clock.advance(TimeDelta::minutes(16));
    }
    assert_eq!(mails_to(&d, &rec, "known@example.com").await, 5);
    // A new day, a new budget.
    h.clock.advance(TimeDelta::hours(24));
    let t = token(&h.cachet).await;
    post_as(&h.cachet, &t, VICTIM, 99).await;
    assert_eq!(mails_to(&d, &rec, VICTIM).await, 6);
}

#[tokio::test]
async fn subscribe_answer_is_the_same_whether_or_not_mail_was_sent() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    verified(&h.cachet, "known@example.com", &[]).await;
    let t = token(&h.cachet).await;
    // A new address (mail sent), the same again (over budget, nothing sent), a verified one
    // (mail sent), the verified one again (nothing sent).
    let answers = [
        post_as(&h.cachet, &t, VICTIM, 1).await,
        post_as(&h.cachet, &t, VICTIM, 2).await,
        post_as(&h.cachet, &t, "known@example.com", 3).await,
        post_as(&h.cachet, &t, "known@example.com", 4).await,
    ];
    assert_eq!(answers[0].0, StatusCode::OK);
    for a in &answers[1..] {
        assert_eq!(a, &answers[0]);
    }
    assert_eq!(mails_to(&d, &rec, VICTIM).await, 1);
    assert_eq!(mails_to(&d, &rec, "known@example.com").await, 1);
}

#[tokio::test]
async fn a_paced_channel_delivers_every_message_and_drops_none() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let mut config = notify_support::config("paced");
    config.send_rates = std::collections::HashMap::from([(
        cachet_core::notify::Channel::Email,
        std::num::NonZeroU32::new(4).unwrap(),
    )]);
    let d = cachet_core::notify::Dispatcher::new(
        h.cachet.clone(),
        vec![rec.clone() as std::sync::Arc<dyn cachet_core::notify::Notifier>],
    )
    .with_config(config);
    let t = token(&h.cachet).await;
    for n in 0..6 {
        post_as(&h.cachet, &t, &format!("reader{n}@example.com"), n).await;
    }
    drain(&d).await;
    assert_eq!(rec.emails().len(), 6);
}
