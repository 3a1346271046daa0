//! Embedding the status page in an existing actix-web service.
//!
//! The host application has its own routes (`/`), its own sign-in (`POST /login`, a simple
//! cookie session of its own) and its own protected route (`POST /admin/incident`), and mounts
//! Cachet under `/status`:
//!
//! * requests to `/status/...` from a signed-in host user carry a [`cachet_actix::Principal`],
//!   so Cachet treats them as that user (audited as `host:<name>`); everyone else is a
//!   visitor, or authenticates with a Cachet API token as usual;
//! * `POST /admin/incident` creates an incident from the host's own code through the facade,
//!   as [`Actor::host`].
//!
//! Run it with `cargo run -p cachet-examples --bin embed_actix -- 127.0.0.1:3000`, then:
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

use actix_web::dev::{Service as _, ServiceRequest};
use actix_web::http::header;
use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, HttpServer, web};
use cachet_core::model::{ComponentStatus, IncidentStatus, NewComponent, NewIncident, Role};
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::validate::{HttpUrl, Markdown, Meta, Name};
use cachet_core::{Actor, Cachet, Config};

/// The demo password of every host user (a real host checks its own user database).
const DEMO_PASSWORD: &str = "demo-password";
/// The host's own session cookie.
const COOKIE: &str = "host_session";

/// Session id -> user name.
type Sessions = Arc<Mutex<HashMap<String, String>>>;

/// The signed-in host user of a request, from the host's own cookie.
fn user_of(req: &HttpRequest, sessions: &Sessions) -> Option<String> {
    let id = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())?;
    sessions.lock().ok()?.get(&id).cloned()
}

async fn home() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("Acme host application. The status page is at /status/ (API at /status/api/v1/).\n")
}

async fn login(
    sessions: web::Data<Sessions>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let user = form.get("user").map(String::as_str).unwrap_or_default();
    let ok = !user.is_empty()
        && user.len() <= 64
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && form.get("password").map(String::as_str) == Some(DEMO_PASSWORD);
    if !ok {
        return HttpResponse::Unauthorized().body("wrong user or password\n");
    }
    let Ok(id) = cachet_core::auth::tokens::random_secret() else {
        return HttpResponse::InternalServerError().finish();
    };
    if let Ok(mut s) = sessions.lock() {
        s.insert(id.clone(), user.to_owned());
    }
    // SameSite=Strict: Cachet believes a vouched request even on its API, so the host's
    // cookie must never ride along on a cross-site request. Add `Secure` behind https.
    HttpResponse::Ok()
        .insert_header((
            header::SET_COOKIE,
            format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"),
        ))
        .body(format!("signed in as {user}\n"))
}

/// The host's own protected route: creates an incident through the facade.
async fn create_incident(
    req: HttpRequest,
    sessions: web::Data<Sessions>,
    cachet: web::Data<Cachet>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let Some(user) = user_of(&req, &sessions) else {
        return HttpResponse::Unauthorized().body("sign in at /login first\n");
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
            return HttpResponse::BadRequest().body(format!("name: {v}\n"));
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
        occurred_at: cachet.now(),
        components: Vec::new(),
        apply_component_status: false,
        meta: Meta::default(),
    };
    let actor = Actor::host(&user, Role::Manager, req.peer_addr().map(|p| p.ip()));
    match cachet.create_incident(&actor, &new).await {
        Ok(incident) => HttpResponse::Created().body(format!("created incident {}\n", incident.id)),
        Err(e) => HttpResponse::BadRequest().body(format!("{e}\n")),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    cachet_examples::init_tracing("info,sqlx=warn");
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
        .parse()?;
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;

    // Build the facade ONCE, outside the app factory (which runs once per worker).
    let store = cachet_store::connect("sqlite::memory:").await?;
    let keyring = Keyring::new(1, SecretKey::generate()?);
    let config = Config::new(HttpUrl::parse(&format!("http://{local}/status"))?);
    let cachet = Cachet::new(store, keyring, config)?;

    // The host's own code writes through the facade too (audited as `host:deploy-bot`).
    let bot = Actor::host("deploy-bot", Role::Manager, None);
    let checkout = NewComponent::named(Name::parse("Checkout")?, ComponentStatus::Operational);
    cachet.create_component(&bot, &checkout).await?;

    let sessions: Sessions = Arc::new(Mutex::new(HashMap::new()));
    tracing::info!("host app on http://{local}/ with the status page at http://{local}/status/");
    let shutdown = cachet_examples::serve::ShutdownSignal::install()?;
    HttpServer::new(move || {
        let vouch_sessions = sessions.clone();
        App::new()
            .app_data(web::Data::new(sessions.clone()))
            .app_data(web::Data::new(cachet.clone()))
            .route("/", web::get().to(home))
            .route("/login", web::post().to(login))
            .route("/admin/incident", web::post().to(create_incident))
            .service(cachet_actix::scope("/status", cachet.clone()).wrap_fn(
                move |req: ServiceRequest, srv| {
                    // Vouch for signed-in host users on the way into Cachet.
                    if let Some(user) = user_of(req.request(), &vouch_sessions) {
                        req.extensions_mut()
                            .insert(cachet_actix::Principal::new(user, Role::Admin));
                    }
                    srv.call(req)
                },
            ))
    })
    .shutdown_signal(shutdown.recv())
    .listen(listener)?
    .run()
    .await?;
    Ok(())
}
