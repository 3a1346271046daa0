//! Mounts the cachet-rs status page into an [actix-web](https://docs.rs/actix-web) `App` or
//! `Scope`.
//!
//! Like `cachet-axum`, this adapter only converts types between actix-web (which still uses
//! `http` 0.2) and the core's framework-neutral web layer (`http` 1.x, [`Cachet::handle`]):
//! method, URI, headers and body are copied across by name and bytes, and the answer is copied
//! back. Routing, security headers, CSRF, rate limits and rendering all live in the core, so
//! both frameworks serve the same behaviour (they run the same shared list of HTTP cases).
//!
//! # Quick start
//!
//! Build the facade once and mount it as a scope of your app:
//!
//! ```
//! use std::sync::Arc;
//!
//! use actix_web::{App, HttpResponse, test, web};
//! use cachet_core::secrets::{Keyring, SecretKey};
//! use cachet_core::store::memory::MemoryStore;
//! use cachet_core::validate::HttpUrl;
//! use cachet_core::{Cachet, Config};
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In production: a cachet-store backend and a key kept outside the code.
//! let config = Config::new(HttpUrl::parse("https://example.com/status")?);
//! let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
//! let cachet = Cachet::new(Arc::new(MemoryStore::new()), keyring, config)?;
//!
//! let app = test::init_service(
//!     App::new()
//!         .route("/", web::get().to(|| async { HttpResponse::Ok().body("my service") }))
//!         .service(cachet_actix::scope("/status", cachet.clone())),
//! )
//! .await;
//! let req = test::TestRequest::get().uri("/status/api/v1/ping").to_request();
//! assert!(test::call_service(&app, req).await.status().is_success());
//! # Ok(())
//! # }
//! ```
//!
//! Serving it:
//!
//! ```no_run
//! # async fn serve(cachet: cachet_core::Cachet) -> std::io::Result<()> {
//! use actix_web::{App, HttpServer};
//!
//! HttpServer::new(move || App::new().service(cachet_actix::scope("/status", cachet.clone())))
//!     .bind(("0.0.0.0", 8080))?
//!     .run()
//!     .await
//! # }
//! ```
//!
//! `HttpServer::new` calls its closure **once per worker thread**. Build [`Cachet`] once,
//! outside, and clone it in (a clone is a reference count): a `Cachet` built inside the
//! closure would give every worker its own rate limiters and caches.
//!
//! # Mounting under a prefix
//!
//! [`scope`] mounts the page under a path (`App::new().service(cachet_actix::scope("/status",
//! c))`); [`configure`] registers it as the default service of an `App` or of your own scope
//! (`App::new().configure(cachet_actix::configure(c))` gives it every path your routes do
//! not match). The core routes on the path relative to the scope. Set
//! [`Config::public_url`](cachet_core::Config::public_url) to the mounted address
//! (`https://example.com/status`): every absolute link the core writes is built from it, never
//! from the `Host` header. Session and device cookies carry `Path=/status`, so they never
//! reach your own routes.
//!
//! # Background work
//!
//! Mail, webhooks, chat messages, scheduled maintenance and retention run beside the server: start them once
//! in your `main` (not in the `HttpServer::new` closure, which runs per worker) with
//! [`Cachet::start_background`] and the notifiers you want, and stop them after the server
//! with [`Background::shutdown`](cachet_core::notify::Background::shutdown).
//! `examples/src/bin/embed_actix.rs` in the repository is a complete host in one file.
//!
//! # Watching your own routes
//!
//! [`HostHealthMiddleware`] records every answer of the routes it wraps into a route group of
//! a [`HostHealth`](cachet_core::host_health::HostHealth), whose rules turn a burst of 5xx or
//! slow answers into a component status and an incident (see [`cachet_core::host_health`]):
//! `web::resource("/checkout").wrap(HostHealthMiddleware::new(&health, "checkout"))`.
//!
//! # Trusting proxies
//!
//! The client address used for rate limits and the audit log is the TCP peer
//! (`HttpRequest::peer_addr`). Behind a reverse proxy, list the proxy in
//! [`WebConfig::trusted_proxies`](cachet_core::web::WebConfig::trusted_proxies): the core then
//! believes its `X-Forwarded-For`, and nobody else's. (Do not rewrite the peer with actix's
//! `realip_remote_addr`: it believes any client.)
//!
//! # Slow clients
//!
//! Connections belong to your `HttpServer`, not to this crate. actix-web closes a connection
//! whose first request head is late (`HttpServer::client_request_timeout`, default 5 s) and a
//! kept-alive connection that stays idle (`HttpServer::keep_alive`, default 5 s), but its head
//! timer covers only a connection's first request: once a byte of a later request on a
//! kept-alive connection has arrived, no timer runs until that head is complete, so a client
//! can hold the connection by trickling it (slowloris). actix-web has no per-address limit
//! either (`max_connections` counts every client of a worker together). Set both timeouts and
//! bound what one client can hold, with a reverse proxy in front or in the server.
//!
//! The standalone `cachet` binary does the latter, with the same limits and defaults as under
//! axum (`cachet serve --header-read-timeout`, default 10 s; `--keep-alive-timeout`, 15 s;
//! `--max-connections-per-address`, 64): in `examples/src/serve.rs` (`serve_actix`),
//! `on_connect` counts the connection per address and shuts an over-cap socket down before
//! actix reads from it, and starts a per-connection watchdog that shuts the socket down when a
//! later request's head is late too; the limiter and the clock are in
//! `examples/src/serve/limits.rs`, a starting point to copy.
//!
//! # Vouching for your own users
//!
//! If your service already signs its users in, let your auth middleware insert a
//! [`Principal`] into the request's extensions; Cachet then treats the request as that user
//! with that role, ahead of cookies and API tokens, and writes the name to its audit log:
//!
//! ```
//! use actix_web::HttpMessage as _;
//! use actix_web::dev::{Service as _, ServiceRequest};
//! use cachet_actix::Principal;
//! use cachet_core::model::Role;
//!
//! # fn mount(cachet: cachet_core::Cachet) -> actix_web::Scope<impl actix_web::dev::ServiceFactory<ServiceRequest, Config = (), Response = actix_web::dev::ServiceResponse, Error = actix_web::Error, InitError = ()>> {
//! cachet_actix::scope("/status", cachet).wrap_fn(|req: ServiceRequest, srv| {
//!     // ... after your own authentication succeeded:
//!     req.extensions_mut().insert(Principal::new("ops@example.com", Role::Admin));
//!     srv.call(req)
//! })
//! # }
//! ```
//!
//! Only insert a principal for requests you have authenticated: Cachet believes it.

mod health;

pub use health::{HostHealthMiddleware, HostHealthService};

use std::future::poll_fn;
use std::pin::Pin;

use actix_web::http::StatusCode as ActixStatus;
use actix_web::http::header::{HeaderName as ActixName, HeaderValue as ActixValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, Scope, web};
use bytes::{Bytes, BytesMut};
use cachet_core::Cachet;
use cachet_core::web::RequestContext;
use futures_core::Stream;

/// A user the host application authenticated and vouches for: insert it into the request's
/// extensions in your own auth middleware (see the crate docs).
pub use cachet_core::web::Principal;

/// Registers the status page as the default service of an `App` or a `Scope`:
/// `App::new().configure(cachet_actix::configure(c))`. Every path your own routes do not
/// match is Cachet's.
pub fn configure(cachet: Cachet) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        let cachet = cachet.clone();
        cfg.default_service(web::to(move |req: HttpRequest, body: web::Payload| {
            handle(cachet.clone(), req, body)
        }));
    }
}

/// The status page as a scope mounted at `path`: `App::new().service(cachet_actix::scope(
/// "/status", c))`. Wrap it with your own middleware as any scope.
pub fn scope(path: &str, cachet: Cachet) -> Scope {
    web::scope(path).configure(configure(cachet))
}

async fn handle(cachet: Cachet, req: HttpRequest, body: web::Payload) -> HttpResponse {
    let Some(body) = collect(body, cachet.web_config().max_body_bytes).await else {
        return HttpResponse::BadRequest().finish();
    };
    let Some(core) = convert(&req, body) else {
        return HttpResponse::BadRequest().finish();
    };
    let principal = req.extensions().get::<Principal>().cloned();
    let cx = RequestContext {
        peer: req.peer_addr(),
        principal,
    };
    let resp = cachet.handle(core, cx).await;
    let status =
        ActixStatus::from_u16(resp.status().as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR);
    let mut out = HttpResponse::build(status);
    for (name, value) in resp.headers() {
        if let (Ok(n), Ok(v)) = (
            ActixName::from_bytes(name.as_str().as_bytes()),
            ActixValue::from_bytes(value.as_bytes()),
        ) {
            out.append_header((n, v));
        }
    }
    out.body(resp.into_body())
}

/// Copies an actix request (http 0.2) into the core's (http 1.x), with the path relative to
/// the scope. `None` for what http 1.x cannot represent (it accepts everything actix parsed).
fn convert(req: &HttpRequest, body: Bytes) -> Option<http::Request<Bytes>> {
    let path = relative_path(req.path(), req.match_info().unprocessed());
    let uri = match req.query_string() {
        "" => path,
        q => format!("{path}?{q}"),
    };
    let mut core = http::Request::new(body);
    *core.method_mut() = http::Method::from_bytes(req.method().as_str().as_bytes()).ok()?;
    *core.uri_mut() = uri.parse().ok()?;
    *core.version_mut() = match req.version() {
        actix_web::http::Version::HTTP_09 => http::Version::HTTP_09,
        actix_web::http::Version::HTTP_10 => http::Version::HTTP_10,
        actix_web::http::Version::HTTP_2 => http::Version::HTTP_2,
        actix_web::http::Version::HTTP_3 => http::Version::HTTP_3,
        _ => http::Version::HTTP_11,
    };
    let headers = core.headers_mut();
    for (name, value) in req.headers() {
        headers.append(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?,
            http::HeaderValue::from_bytes(value.as_bytes()).ok()?,
        );
    }
    Some(core)
}

/// The part of the raw (still percent-encoded) path below the scope. actix matches on a
/// partly decoded copy of the path, but never decodes `/`, so the unmatched rest has as many
/// slashes as the raw suffix it stands for.
fn relative_path(raw: &str, unprocessed: &str) -> String {
    if unprocessed.is_empty() {
        return "/".to_owned();
    }
    // A rest starting mid-segment (a scope path ending in `/`) begins after one more slash.
    let mid = !unprocessed.starts_with('/');
    let nth = unprocessed.bytes().filter(|b| *b == b'/').count() + usize::from(mid);
    let start = raw
        .rmatch_indices('/')
        .nth(nth.saturating_sub(1))
        .map_or(0, |(i, _)| i + usize::from(mid));
    let rest = raw.get(start..).unwrap_or("");
    if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    }
}

/// Reads the body, stopping once it is longer than `max`: the core then answers its 413.
/// `None` when the client's body fails (a broken connection).
async fn collect(mut body: web::Payload, max: usize) -> Option<Bytes> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await {
        buf.extend_from_slice(&chunk.ok()?);
        if buf.len() > max {
            break;
        }
    }
    Some(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::relative_path;

    #[test]
    fn the_relative_path_is_the_raw_rest() {
        assert_eq!(relative_path("/status", ""), "/");
        assert_eq!(relative_path("/status/", "/"), "/");
        assert_eq!(
            relative_path("/api/v1/ping", "/api/v1/ping"),
            "/api/v1/ping"
        );
        assert_eq!(
            relative_path("/st%61tus/api/v1/components/%31", "/api/v1/components/1"),
            "/api/v1/components/%31"
        );
        assert_eq!(relative_path("/status/a%2Fb/c", "/a%2Fb/c"), "/a%2Fb/c");
        assert_eq!(relative_path("/status/foo/bar", "foo/bar"), "/foo/bar");
    }
}
