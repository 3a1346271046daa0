//! No subscriber address and no link secret reaches the `tracing` output on the whole
//! subscription path (form, dispatch with a failing channel, verify, one-click). Alone in its
//! own test binary: `tracing` caches per-callsite interest process-wide, and a parallel test
//! registering a callsite without a subscriber could hide events from this one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use common::*;
use notify_support::*;

use cachet_core::Cachet;
use cachet_core::model::*;
use cachet_core::notify::links::{self, LinkPurpose};
use cachet_core::store::SubscriberQuery;

async fn subscribers(cachet: &Cachet) -> Vec<Subscriber> {
    cachet
        .store_unchecked()
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items
}

async fn subscribe(cachet: &Cachet, fields: &str) -> http::Response<bytes::Bytes> {
    let page = cachet.handle(get("/subscribe"), cx()).await;
    let token = form_token(&body(&page));
    cachet
        .handle(
            post(
                "/subscribe",
                &format!("_token={}&{fields}", enc(&token)),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await
}

/// Records every span field and event of the `tracing` output as text.
struct Capture(std::sync::Arc<std::sync::Mutex<String>>);

struct Fields(std::sync::Arc<std::sync::Mutex<String>>);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let line = format!("{}={value:?} ", field.name());
        self.0.lock().unwrap().push_str(&line);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut Fields(self.0.clone()));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(self.0.clone()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut Fields(self.0.clone()));
        self.0.lock().unwrap().push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn no_address_or_link_secret_reaches_the_log() {
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let _guard = tracing::subscriber::set_default(Capture(log.clone()));
    tracing::info!(probe = 1, "probe");
    assert!(log.lock().unwrap().contains("probe"), "capture works");
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    rec.then(Err(cachet_core::notify::DeliveryError::Transient(
        "451 <hidden.person@example.com> greylisted".into(),
    )));
    subscribe(
        &h.cachet,
        &format!("email={}", enc("hidden.person@example.com")),
    )
    .await;
    d.tick().await.unwrap();
    h.clock.advance(chrono::TimeDelta::minutes(5));
    drain(&d).await;
    let mail = rec.take_emails().remove(0);
    let verify = link_path(&mail.text, "/subscribe/verify/");
    let page = h.cachet.handle(get(&verify), cx()).await;
    let t = form_token(&body(&page));
    h.cachet
        .handle(
            post(&verify, &format!("_token={}", enc(&t)), Some(ORIGIN)),
            cx(),
        )
        .await;
    let s = subscribers(&h.cachet).await.remove(0);
    let unsub = LinkPurpose::Unsubscribe.path(&links::sign(
        h.cachet.keyring(),
        LinkPurpose::Unsubscribe,
        s.id,
    ));
    h.cachet
        .handle(post(&unsub, "List-Unsubscribe=One-Click", None), cx())
        .await;
    let text = log.lock().unwrap().clone();
    assert!(text.contains("/subscribe/verify/<redacted>"), "{text}");
    assert!(!text.contains("hidden.person"), "{text}");
    let secret = verify.rsplit('/').next().unwrap();
    assert!(!text.contains(secret), "{text}");
    let unsub_secret = unsub.rsplit('/').next().unwrap();
    assert!(!text.contains(unsub_secret), "{text}");
}
