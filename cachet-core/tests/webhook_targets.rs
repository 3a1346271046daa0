//! Webhook URLs naming `localhost` or a private, loopback, link-local or unique-local address
//! are refused when they are saved (the facade, so the dashboard and every other caller),
//! with a validation error naming the field and the rule; DNS names are checked again at
//! every delivery by `cachet-notify`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use cachet_core::validate::{HttpUrl, Name};
use cachet_core::{Actor, Error, WebhookEndpoint};

fn endpoint(name: &str, url: HttpUrl) -> WebhookEndpoint {
    WebhookEndpoint {
        name: Name::parse(name).unwrap(),
        url,
        enabled: true,
        events: None,
    }
}
use common::*;

const SECRET: &str = "a webhook secret of enough length";

#[tokio::test]
async fn webhook_urls_to_private_or_loopback_addresses_are_refused_when_saved() {
    let h = Harness::new().await;
    let actor = Actor::operator();
    let hook = |url: &str| HttpUrl::parse(url).unwrap();
    let ok = h
        .cachet
        .create_webhook(
            &actor,
            endpoint("ops", hook("https://hooks.example.com/x")),
            SECRET,
        )
        .await
        .unwrap();
    let before = h.store.revision().await.unwrap();
    for bad in [
        "https://127.0.0.1/hook",
        "https://2130706433/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd12::1]/hook",
        "https://[fe80::1]/hook",
        "https://localhost:6379/",
    ] {
        for r in [
            h.cachet
                .create_webhook(&actor, endpoint("x", hook(bad)), SECRET)
                .await
                .map(drop),
            h.cachet
                .update_webhook(&actor, ok.id, endpoint("ops", hook(bad)), "")
                .await,
        ] {
            match r {
                Err(Error::Validation(e)) => {
                    assert_eq!(e.field(), "url", "{bad}");
                    assert!(e.to_string().contains("not localhost"), "{bad}: {e}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
    assert_eq!(h.store.revision().await.unwrap(), before, "a refusal wrote");
    assert_eq!(
        h.cachet.webhooks(&actor).await.unwrap()[0].url.as_str(),
        "https://hooks.example.com/x"
    );
    // An operator who allows private networks may save them.
    let mut config =
        cachet_core::Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.webhook_allow_private_networks = true;
    let lan = Harness::over(new_store().await, config);
    lan.cachet
        .create_webhook(
            &Actor::operator(),
            endpoint("lan", hook("http://10.0.0.5/hook")),
            SECRET,
        )
        .await
        .unwrap();
}
