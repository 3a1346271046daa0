//! Embedding the status page in an existing axum service.
//!
//! The host application has its own routes (`/`), its own sign-in (`POST /login`, a simple
//! cookie session of its own) and its own protected route (`POST /admin/incident`), and mounts
//! Cachet under `/status`:
//!
//! * requests to `/status/...` from a signed-in host user carry a [`cachet_axum::Principal`],
//!   so Cachet treats them as that user (audited as `host:<name>`); everyone else is a
//!   visitor, or authenticates with a Cachet API token as usual;
//! * `POST /admin/incident` creates an incident from the host's own code through the facade,
//!   as [`Actor::host`].
//!
//! Run it with `cargo run -p cachet-examples --bin embed_axum -- 127.0.0.1:3000`, then:
//!
//! ```text
//! curl http://127.0.0.1:3000/status/api/v1/components
//! curl -i -d 'user=alice&password=demo-password' http://127.0.0.1:3000/login   # copy the cookie
//! curl -b 'host_session=...' -d 'name=Checkout is slow' http://127.0.0.1:3000/admin/incident
//! ```
//!
//! The example keeps everything in memory (SQLite `:memory:` and a random key); a real host
//! connects a `cachet-store` database and loads its key from its own secret store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Form, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cachet_core::model::{ComponentStatus, IncidentStatus, NewComponent, NewIncident, Role};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::validate::{HttpUrl, Markdown, Meta, Name};
use cachet_core::{Actor, Cachet, Config};

/// The demo password of every host user (a real host checks its own user database).
const DEMO_PASSWORD: &str = "demo-password";
/// The host's own session cookie.
const COOKIE: &str = "host_session";

#[derive(Clone)]
struct Host {
    cachet: Cachet,
    /// Session id -> user name.
    sessions: Arc<Mutex<HashMap<String, String>>>,
}

impl Host {
    fn user(&self, headers: &HeaderMap) -> Option<String> {
        let id = cookie(headers, COOKIE)?;
        self.sessions.lock().ok()?.get(&id).cloned()
    }
}

/// The value of a cookie in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

async fn home() -> &'static str {
    "Acme host application. The status page is at /status/ (API at /status/api/v1/).\n"
}

async fn login(State(host): State<Host>, Form(form): Form<HashMap<String, String>>) -> Response {
    let user = form.get("user").map(String::as_str).unwrap_or_default();
    let ok = !user.is_empty()
        && user.len() <= 64
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && form.get("password").map(String::as_str) == Some(DEMO_PASSWORD);
    if !ok {
        return (StatusCode::UNAUTHORIZED, "wrong user or password\n").into_response();
    }
    let Ok(id) = cachet_core::auth::tokens::random_secret() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(mut sessions) = host.sessions.lock() {
        sessions.insert(id.clone(), user.to_owned());
    }
    // SameSite=Strict: Cachet believes a vouched request even on its API, so the host's
    // cookie must never ride along on a cross-site request. Add `Secure` behind https.
    let set = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict");
    (
        [(header::SET_COOKIE, set)],
        format!("signed in as {user}\n"),
    )
        .into_response()
}

/// The host's own protected route: creates an incident through the facade.
async fn create_incident(
    State(host): State<Host>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(user) = host.user(&headers) else {
        return (StatusCode::UNAUTHORIZED, "sign in at /login first\n").into_response();
    };
    let title = form
        .get("name")
        .map(String::as_str)
        .unwrap_or("Degraded performance");
    let (name, message) = match (
        Name::parse(title),
        Markdown::parse("Reported from the host application."),
    ) {
        (Ok(n), Ok(m)) => (n, m),
        (Err(v), _) | (_, Err(v)) => {
            return (StatusCode::BAD_REQUEST, format!("name: {v}\n")).into_response();
        }
    };
    let new = NewIncident {
        user_id: None,
        name,
        status: IncidentStatus::Investigating,
        message,
        visible: true,
        stickied: false,
        notify: false,
        occurred_at: host.cachet.now(),
        components: Vec::new(),
        apply_component_status: false,
        meta: Meta::default(),
    };
    let actor = Actor::host(&user, Role::Manager, Some(peer.ip()));
    match host.cachet.create_incident(&actor, &new).await {
        Ok(incident) => (
            StatusCode::CREATED,
            format!("created incident {}\n", incident.id),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// Vouches for signed-in host users on the way into Cachet.
async fn vouch(State(host): State<Host>, mut req: Request, next: Next) -> Response {
    if let Some(user) = host.user(req.headers()) {
        req.extensions_mut()
            .insert(cachet_axum::Principal::new(user, Role::Admin));
    }
    next.run(req).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    cachet_examples::init_tracing("info,sqlx=warn");
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;

    // Build the facade once. The public URL is where the page is mounted.
    let store = cachet_store::connect("sqlite::memory:").await?;
    let keyring = Keyring::new(1, SecretKey::generate()?);
    let config = Config::new(HttpUrl::parse(&format!("http://{local}/status"))?);
    let cachet = Cachet::new(store, keyring, config)?;

    // The host's own code writes through the facade too (audited as `host:deploy-bot`).
    let bot = Actor::host("deploy-bot", Role::Manager, None);
    let checkout = NewComponent::named(Name::parse("Checkout")?, ComponentStatus::Operational);
    cachet.create_component(&bot, &checkout).await?;

    let host = Host {
        cachet: cachet.clone(),
        sessions: Arc::new(Mutex::new(HashMap::new())),
    };
    let status =
        cachet_axum::router(cachet).layer(middleware::from_fn_with_state(host.clone(), vouch));
    let app = axum::Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/admin/incident", post(create_incident))
        .with_state(host)
        .nest("/status", status);

    tracing::info!("host app on http://{local}/ with the status page at http://{local}/status/");
    let shutdown = cachet_examples::serve::ShutdownSignal::install()?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.recv())
    .await?;
    Ok(())
}
