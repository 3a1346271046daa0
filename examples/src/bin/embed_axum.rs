//! A status page inside an axum service, with mail. Copy it into a new crate (dependencies:
//! cachet-core, cachet-store, cachet-notify, cachet-axum, axum, tokio) and run it with
//! `SMTP_URL=smtp://127.0.0.1:25 cargo run`; the page is at http://127.0.0.1:3000/status.
use std::{net::SocketAddr, sync::Arc};

use axum::{Router, extract::ConnectInfo, extract::State, http::StatusCode, routing::post};
use cachet_axum::HostHealthLayer;
use cachet_core::host_health::{HostHealth, Rule};
use cachet_core::model::{ComponentId, ComponentStatus, IncidentStatus::Investigating};
use cachet_core::model::{NewComponent, NewIncident, Role};
use cachet_core::store::{ComponentFilter, ComponentQuery};
use cachet_core::{Actor, Cachet, Config, secrets::key_file, validate::HttpUrl, validate::Name};
use cachet_notify::{EmailNotifier, SmtpUrl};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let addr: SocketAddr = env("ADDR", "127.0.0.1:3000").parse()?;
    let store = cachet_store::connect(&env("DATABASE_URL", "sqlite://status.db?mode=rwc")).await?;
    let keyring = key_file::load_or_create(env("KEY_FILE", "cachet.key"))?; // back it up
    let config = Config::new(HttpUrl::parse(&format!("http://{addr}/status"))?);
    let cachet = Cachet::new(store, keyring, config)?;
    if let Some(token) = cachet.issue_setup_token().await? {
        println!("create the first admin at http://{addr}/status/setup with token {token}");
    }
    let smtp = SmtpUrl::parse(&env("SMTP_URL", "smtp://127.0.0.1:25"), false)?;
    let mail = EmailNotifier::builder(smtp, "Status <status@example.com>".parse()?).build()?;
    // The host's own /checkout answers drive the "Checkout" component: a burst of 5xx for
    // 30 s makes it a partial outage with an incident, 30 s of health resolves it.
    let health = HostHealth::new(&cachet);
    let rule = Rule::routes("checkout", component(&cachet, "Checkout").await?);
    health
        .add_rule(rule.incident("Checkout fails", "We are on it."))
        .await?;
    let background = cachet.start_background(vec![Arc::new(mail)]);
    let background = background.with_host_health(&health);
    let page = cachet_axum::router(cachet.clone());
    let checkout = post(|| async { "paid" }).layer(HostHealthLayer::new(&health, "checkout"));
    let host = Router::new().route("/deploy-failed", post(deploy_failed));
    let host = host.route("/checkout", checkout);
    let app = host.with_state(cachet).nest("/status", page);
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let tcp = tokio::net::TcpListener::bind(addr).await?;
    let ctrl_c = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
    axum::serve(tcp, app).with_graceful_shutdown(ctrl_c).await?;
    background.shutdown().await;
    Ok(())
}

/// The host's own code reports an incident and mails the subscribers (callers on this
/// machine only: put your own authentication here).
async fn deploy_failed(cachet: State<Cachet>, peer: ConnectInfo<SocketAddr>) -> StatusCode {
    let actor = Actor::host("deploy-bot", Role::Manager, Some(peer.ip()));
    let at = cachet.now();
    let new = NewIncident::parse("Deploy failed", Investigating, "Rolling back.", at);
    match new.map(NewIncident::notifying) {
        _ if !peer.ip().is_loopback() => StatusCode::FORBIDDEN,
        Ok(new) if cachet.create_incident(&actor, &new).await.is_ok() => StatusCode::CREATED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The id of the component named `name`, made on the first start.
async fn component(cachet: &Cachet, name: &str) -> Result<ComponentId, Box<dyn std::error::Error>> {
    let (actor, name) = (
        Actor::host("setup", Role::Manager, None),
        Name::parse(name)?,
    );
    let filter = ComponentFilter {
        name: Some(name.clone()),
        ..ComponentFilter::default()
    };
    if let Some(c) = cachet
        .components(&actor, ComponentQuery::filtered(filter))
        .await?
        .items
        .first()
    {
        return Ok(c.id);
    }
    let new = NewComponent::named(name, ComponentStatus::Operational);
    Ok(cachet.create_component(&actor, &new).await?.id)
}
