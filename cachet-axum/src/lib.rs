//! Mounts the cachet-rs status page into an [axum](https://docs.rs/axum) `Router`.
//!
//! The adapter only converts types: an axum request becomes an `http::Request<Bytes>` plus the
//! peer address and the principal the host vouches for, `cachet_core`'s framework-neutral web
//! layer answers it ([`Cachet::handle`]), and the answer is converted back. Routing, security
//! headers, CSRF, rate limits and rendering all live in the core, so this crate stays small and
//! behaves exactly like `cachet-actix` (both run the same shared list of HTTP cases).
//!
//! # Quick start
//!
//! Build the facade once, nest its router under a prefix of your service, and serve:
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use cachet_core::secrets::{Keyring, SecretKey};
//! use cachet_core::store::memory::MemoryStore;
//! use cachet_core::validate::HttpUrl;
//! use cachet_core::{Cachet, Config};
//! use tower::ServiceExt as _;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In production: a cachet-store backend and a key kept outside the code.
//! let config = Config::new(HttpUrl::parse("https://example.com/status")?);
//! let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
//! let cachet = Cachet::new(Arc::new(MemoryStore::new()), keyring, config)?;
//!
//! // Your service, with the status page under /status.
//! let app: axum::Router = axum::Router::new()
//!     .route("/", axum::routing::get(|| async { "my service" }))
//!     .nest("/status", cachet_axum::router(cachet));
//!
//! let resp = app
//!     .oneshot(Request::get("/status/api/v1/ping").body(Body::empty())?)
//!     .await?;
//! assert_eq!(resp.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```
//!
//! Serve it with the peer address, which the rate limits need:
//!
//! ```no_run
//! # async fn serve(app: axum::Router) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(
//!     listener,
//!     app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
//! )
//! .await
//! # }
//! ```
//!
//! # Mounting under a prefix
//!
//! [`router`] returns a `Router<S>` for any state `S`, so it nests into a router with your own
//! state and under your own layers: `Router::new().nest("/status", cachet_axum::router(c))`.
//! axum strips the prefix before the nested router sees the request, and the core routes on
//! the path relative to the mount point. Set [`Config::public_url`](cachet_core::Config::public_url) to the mounted address
//! (`https://example.com/status`): every absolute link the core writes (pagination, feeds,
//! e-mails) is built from it, never from the `Host` header. To give the whole service to
//! Cachet, use the router as it is (`axum::serve(listener, cachet_axum::router(c))`).
//!
//! axum 0.8's `nest` routes `/status` and `/status/...` to Cachet but leaves `/status/` to
//! your router. The page never links there (its home link is `/status`), so `nest` is all a
//! host needs; `nest_service("/status", cachet_axum::router(c))` (with `S = ()`) takes the
//! trailing slash too. Session and device cookies carry `Path=/status`, so they never reach
//! your own routes.
//!
//! # Background work
//!
//! Mail, webhooks, chat messages, scheduled maintenance and retention run beside the server: start them once
//! in your `main` with [`Cachet::start_background`] and the notifiers you want (from
//! `cachet-notify`: `EmailNotifier`, `WebhookNotifier`, and `ChatNotifier` for webhook
//! endpoints saved with a chat format; or your own), and stop them after the server with
//! [`Background::shutdown`](cachet_core::notify::Background::shutdown).
//! `examples/src/bin/embed_axum.rs` in the repository is a complete host in one file.
//!
//! # Watching your own routes
//!
//! [`HostHealthLayer`] records every answer of the routes it wraps into a route group of a
//! [`HostHealth`](cachet_core::host_health::HostHealth), whose rules turn a burst of 5xx or
//! slow answers into a component status and an incident (see
//! [`cachet_core::host_health`]):
//! `Router::new().route("/checkout", post(pay)).route_layer(HostHealthLayer::new(&health, "checkout"))`.
//!
//! # Trusting proxies
//!
//! The client address used for rate limits and the audit log is the TCP peer, taken from
//! [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo) when you serve with
//! `into_make_service_with_connect_info::<SocketAddr>()` (or from
//! [`MockConnectInfo`] in tests). Without it
//! there is no address and per-address limits do not apply. Behind a reverse proxy, list the
//! proxy in [`WebConfig::trusted_proxies`](cachet_core::web::WebConfig::trusted_proxies): the
//! core then believes its `X-Forwarded-For`, and nobody else's.
//!
//! # Slow clients
//!
//! Connections belong to your server, not to this crate, and `axum::serve` sets no
//! header-read timeout, no idle timeout and no per-address limit: a client that sends its
//! headers one byte at a time (slowloris) or never sends a request holds its connections for
//! as long as it likes. Serve the router with hyper's HTTP/1 builder and give it a timer and a
//! header-read timeout (`hyper::server::conn::http1::Builder::timer` with
//! `hyper_util::rt::TokioTimer`, then `header_read_timeout`; without the timer hyper ignores
//! the timeout). hyper runs that timer from the moment it waits for a head, so it also closes a
//! kept-alive connection that stays idle. Count connections per client address at accept and
//! close those over a cap, or put a reverse proxy that does both in front.
//!
//! The standalone `cachet` binary does all of this, with the same limits and defaults as under
//! actix-web (`cachet serve --header-read-timeout`, default 10 s; `--keep-alive-timeout`,
//! 15 s; `--max-connections-per-address`, 64): its accept loop in `examples/src/serve.rs`
//! (`serve_axum`) and the per-address limiter and per-connection clock in
//! `examples/src/serve/limits.rs` are a starting point to copy.
//!
//! # Vouching for your own users
//!
//! If your service already signs its users in, let your auth middleware insert a
//! [`Principal`] into the request's extensions; Cachet then treats the request as that user
//! with that role, ahead of cookies and API tokens, and writes the name to its audit log:
//!
//! ```
//! use axum::extract::Request;
//! use axum::middleware::{self, Next};
//! use axum::response::Response;
//! use cachet_axum::Principal;
//! use cachet_core::model::Role;
//!
//! async fn vouch(mut req: Request, next: Next) -> Response {
//!     // ... after your own authentication succeeded:
//!     req.extensions_mut().insert(Principal::new("ops@example.com", Role::Admin));
//!     next.run(req).await
//! }
//!
//! # fn mount(cachet: cachet_core::Cachet) -> axum::Router {
//! axum::Router::new().nest(
//!     "/status",
//!     cachet_axum::router(cachet).layer(middleware::from_fn(vouch)),
//! )
//! # }
//! ```
//!
//! Only insert a principal for requests you have authenticated: Cachet believes it.

mod health;

pub use health::{HostHealthFuture, HostHealthLayer, HostHealthService};

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;

use axum::body::Body;
use axum::extract::connect_info::{ConnectInfo, MockConnectInfo};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use bytes::{Bytes, BytesMut};
use cachet_core::Cachet;
use cachet_core::web::RequestContext;
use futures_core::Stream;
use http::StatusCode;

/// A user the host application authenticated and vouches for: insert it into the request's
/// extensions in your own auth middleware (see the crate docs).
pub use cachet_core::web::Principal;

/// The status page as an axum router, for any host state `S`: nest it under a prefix or serve
/// it as it is. Every path below the mount point is Cachet's.
pub fn router<S: Clone + Send + Sync + 'static>(cachet: Cachet) -> axum::Router<S> {
    axum::Router::new()
        .route("/", any(handle))
        .route("/{*rest}", any(handle))
        .with_state(cachet)
}

async fn handle(State(cachet): State<Cachet>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| {
            parts
                .extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|c| c.0)
        });
    let principal = parts.extensions.get::<Principal>().cloned();
    let Some(body) = collect(body, cachet.web_config().max_body_bytes).await else {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        return resp;
    };
    // The nested router's URI is already relative to the mount point.
    let mut core = http::Request::new(body);
    *core.method_mut() = parts.method;
    *core.uri_mut() = parts.uri;
    *core.version_mut() = parts.version;
    *core.headers_mut() = parts.headers;
    let cx = RequestContext { peer, principal };
    cachet.handle(core, cx).await.map(Body::from)
}

/// Reads the body, stopping once it is longer than `max`: the core then answers its 413.
/// `None` when the client's body fails (a broken connection, a host's body-limit layer).
async fn collect(body: Body, max: usize) -> Option<Bytes> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        buf.extend_from_slice(&chunk.ok()?);
        if buf.len() > max {
            break;
        }
    }
    Some(buf.freeze())
}
