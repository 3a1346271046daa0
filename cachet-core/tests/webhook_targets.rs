//! Webhook URLs naming `localhost` or a private, loopback, link-local or unique-local address
//! are refused when they are saved (the facade, so the dashboard and every other caller),
//! with a validation error naming the field and the rule; DNS names are checked again at
//! every delivery by `cachet-notify`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use cachet_core::model::WebhookFormat;
use cachet_core::validate::{HttpUrl, Name};
use cachet_core::{Actor, Error, WebhookEndpoint};

fn endpoint(name: &str, url: HttpUrl) -> WebhookEndpoint {
    WebhookEndpoint {
        name: Name::parse(name).unwrap(),
        url,
        enabled: true,
        events: None,
        format: None,
    }
}

fn chat_endpoint(name: &str, url: &str, format: Option<WebhookFormat>) -> WebhookEndpoint {
    WebhookEndpoint {
        format,
        ..endpoint(name, HttpUrl::parse(url).unwrap())
    }
}

#[tokio::test]
async fn a_chat_format_takes_only_its_platforms_webhook_urls() {
    let h = Harness::new().await;
    let actor = Actor::operator();
    let slack = "https://hooks.slack.com/services/T0/B0/secret";
    let hook = h
        .cachet
        .create_webhook(
            &actor,
            chat_endpoint("chat", slack, Some(WebhookFormat::Slack)),
            SECRET,
        )
        .await
        .unwrap();
    assert_eq!(hook.format, WebhookFormat::Slack);
    let before = h.store.revision().await.unwrap();
    let refused = |r: Result<(), Error>, want: &str| match r {
        Err(Error::Validation(e)) => {
            assert_eq!(e.field(), "url");
            assert_eq!(e.to_string(), format!("url: must be {want}"));
        }
        other => panic!("{other:?}"),
    };
    // A Slack endpoint cannot post anywhere but Slack, and a Discord one only to Discord.
    refused(
        h.cachet
            .create_webhook(
                &actor,
                chat_endpoint(
                    "x",
                    "https://hooks.example.com/x",
                    Some(WebhookFormat::Slack),
                ),
                SECRET,
            )
            .await
            .map(drop),
        "an https://hooks.slack.com/services/... URL",
    );
    refused(
        h.cachet
            .create_webhook(
                &actor,
                chat_endpoint("x", slack, Some(WebhookFormat::Discord)),
                SECRET,
            )
            .await
            .map(drop),
        "an https://discord.com/api/webhooks/... (or discordapp.com) URL",
    );
    refused(
        h.cachet
            .create_webhook(
                &actor,
                chat_endpoint(
                    "x",
                    "http://mattermost.example.com/hooks/x",
                    Some(WebhookFormat::Mattermost),
                ),
                SECRET,
            )
            .await
            .map(drop),
        "an https URL",
    );
    // A change that leaves the format out keeps the stored one, and its rule.
    refused(
        h.cachet
            .update_webhook(
                &actor,
                hook.id,
                chat_endpoint("chat", "https://hooks.example.com/x", None),
                "",
            )
            .await,
        "an https://hooks.slack.com/services/... URL",
    );
    assert_eq!(h.store.revision().await.unwrap(), before, "a refusal wrote");
    // Back to JSON, any public URL is fine again.
    h.cachet
        .update_webhook(
            &actor,
            hook.id,
            chat_endpoint(
                "chat",
                "https://hooks.example.com/x",
                Some(WebhookFormat::Json),
            ),
            // Signed JSON needs a secret its receiver knows, not the Slack endpoint's.
            SECRET,
        )
        .await
        .unwrap();
    let after = &h.cachet.webhooks(&actor).await.unwrap()[0];
    assert_eq!(after.format, WebhookFormat::Json);
    assert_eq!(after.url.as_str(), "https://hooks.example.com/x");
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
