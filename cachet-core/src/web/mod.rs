//! The framework-neutral web layer: `http::Request<Bytes>` + peer address in,
//! `http::Response<Bytes>` out. One route table and one behaviour, mounted by the thin axum and
//! actix adapters, so both serve exactly the same bytes.
//!
//! Every response passes through `headers::secure` (CSP without inline script, HSTS when the
//! public URL is https, `X-Content-Type-Options`, `Referrer-Policy`, `frame-ancestors`,
//! `Permissions-Policy`) and carries an `X-Request-Id`.

pub(crate) mod alerts;
pub mod api_v1;
pub mod badge;
pub(crate) mod cachet3;
pub mod charts;
pub(crate) mod cors;
pub(crate) mod dashboard;
pub mod feeds;
pub(crate) mod form;
pub(crate) mod headers;
pub(crate) mod input;
#[cfg(feature = "mirror")]
#[cfg_attr(docsrs, doc(cfg(feature = "mirror")))]
pub mod mirror;
pub(crate) mod openapi;
pub mod pages;
pub(crate) mod public;
pub(crate) mod ratelimit;
pub(crate) mod response;
pub(crate) mod snapshot;
pub(crate) mod statuspage;
pub(crate) mod subscribe;
pub(crate) mod telemetry;

pub use crate::web_config::{
    Limit, PrometheusConfig, PrometheusConfigError, RateLimits, SnapshotConfig, WebConfig,
};

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::model::Role;
use crate::{Actor, Cachet};

/// What the adapter knows about a request beyond the request itself.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The TCP peer.
    pub peer: Option<SocketAddr>,
    /// A user the host application authenticated itself and vouches for. Takes precedence
    /// over cookies and tokens.
    pub principal: Option<Principal>,
}

/// A user the host application authenticated and vouches for. The adapters take it from the
/// request's extensions, where the host's own auth middleware inserts it; Cachet then treats
/// the request as this user, ahead of cookies and API tokens, and audits it as `host:<name>`.
/// Only insert one for requests you have authenticated: Cachet believes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The name Cachet writes to its audit log (an e-mail address, a user id).
    pub name: String,
    /// What the user may do in Cachet.
    pub role: Role,
}

impl Principal {
    /// A principal with a name and a role.
    #[must_use]
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            name: name.into(),
            role,
        }
    }
}

/// What the web layer keeps per facade: the rate limiters and the snapshot cache, made from
/// [`crate::Config::web`] on the first request. The facade holds it only as a
/// [`LayerState`](crate::facade::LayerState), through which it reports writes.
#[derive(Debug)]
pub(crate) struct WebState {
    limiters: ratelimit::Limiters,
    snapshots: snapshot::Snapshots,
}

impl crate::facade::LayerState for WebState {
    fn write_started(&self) {
        self.snapshots.note_write_started();
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Cachet {
    fn web_state(&self) -> &WebState {
        let state = self.layer_state(|| {
            let config = &self.config().web;
            std::sync::Arc::new(WebState {
                limiters: ratelimit::Limiters::new(config.rate_limits).shared(
                    config
                        .shared_rate_limits
                        .then_some(config.shared_rate_limit_deadline),
                ),
                snapshots: snapshot::Snapshots::new(config.snapshot.clone()),
            })
        });
        // Only this layer fills the slot, and always with a `WebState`.
        #[allow(clippy::expect_used)]
        state
            .as_any()
            .downcast_ref::<WebState>()
            .expect("the facade's layer slot holds the web layer's state")
    }

    /// The rate limiters.
    #[must_use]
    pub fn limiters(&self) -> &ratelimit::Limiters {
        &self.web_state().limiters
    }

    /// The snapshot cache of guests' public reads.
    pub(crate) fn snapshots(&self) -> &snapshot::Snapshots {
        &self.web_state().snapshots
    }
}

/// The path as it may be logged: the secret of a link-token route (verify, manage,
/// unsubscribe, password reset, invitation) is replaced, so access logs never hold a
/// working link.
fn loggable_path(path: &str) -> String {
    const SECRET_PREFIXES: &[&str] = &[
        "/subscribe/verify/",
        "/subscribe/manage/",
        "/unsubscribe/",
        "/auth/reset/",
        "/invite/",
    ];
    for prefix in SECRET_PREFIXES {
        if let Some(at) = path.find(prefix) {
            return format!("{}<redacted>", &path[..at + prefix.len()]);
        }
    }
    path.chars().take(256).collect()
}

/// A random request id (16 bytes, hex): in the `X-Request-Id` header, error bodies and logs.
///
/// The bytes come from the OS generator as every token's do, but drawn [`ID_BATCH`] ids at a
/// time into a per-thread buffer: one `getrandom` system call per request was a measurable
/// share of a cached answer's cost.
fn request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let Some(bytes) = next_id_bytes() else {
        return "0".repeat(32);
    };
    // One allocation: this runs for every request, cached answers included.
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    id
}

/// Request ids drawn from the OS per refill of a thread's buffer.
const ID_BATCH: usize = 64;

/// A thread's unused random bytes for request ids, and how many of them are used.
struct IdBuffer {
    bytes: [u8; 16 * ID_BATCH],
    used: usize,
}

thread_local! {
    static ID_BYTES: std::cell::RefCell<IdBuffer> = const {
        std::cell::RefCell::new(IdBuffer { bytes: [0; 16 * ID_BATCH], used: 16 * ID_BATCH })
    };
}

/// The next 16 unused random bytes of this thread (each handed out once), or `None` when
/// the OS generator fails.
fn next_id_bytes() -> Option<[u8; 16]> {
    ID_BYTES.with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        if buf.used + 16 > buf.bytes.len() {
            getrandom::fill(&mut buf.bytes).ok()?;
            buf.used = 0;
        }
        let at = buf.used;
        let mut out = [0u8; 16];
        out.copy_from_slice(&buf.bytes[at..at + 16]);
        // Wiped once handed out: the buffer never holds an id already given.
        buf.bytes[at..at + 16].fill(0);
        buf.used = at + 16;
        Some(out)
    })
}

impl Cachet {
    /// Answers one request. Never panics on input and never answers 500 for bad input; store
    /// failures answer 500 with a generic body and are logged with the request id.
    pub async fn handle(&self, mut req: Request<Bytes>, cx: RequestContext) -> Response<Bytes> {
        let id = request_id();
        let started = std::time::Instant::now();
        let method = req.method().clone();
        // HEAD is GET without the body (RFC 9110 9.3.2), for every route alike.
        let head = req.method() == Method::HEAD;
        if head {
            *req.method_mut() = Method::GET;
        }
        let client = self.client_ip(&req, &cx);
        let path = req.uri().path().to_owned();
        let too_large = req.body().len() > self.web_config().max_body_bytes;
        let management = statuspage::manage::is_management_path(&path);
        let cachet3 = cachet3::is_cachet3_path(&path);
        if !too_large
            && !management
            && !cachet3
            && path != "/api/v1"
            && !path.starts_with("/api/v1/")
        {
            // The one decode of a page form: the CSRF guard and the handler read this value.
            form::decode_body(&mut req);
        }
        let api = management || cachet3 || path == "/api/v1" || path.starts_with("/api/v1/");
        // A guest's public read, answered by the snapshot cache (which bounds its own wait
        // for the store and answers from memory through an outage).
        let cached = if too_large || dashboard::under_prefix(self, &path) {
            None
        } else {
            self.snapshot(&req, &cx, client, &id).await
        };
        let from_cache = cached.is_some();
        // While the store is known down, a write would only wait for a connection that does
        // not come: it is refused at once, with the time to come back.
        let refused_write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
            && self.snapshots().store_known_down();
        let mut resp = if let Some(scrape) = telemetry::endpoint(self, &req).await {
            scrape
        } else if too_large {
            response::api_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
                &id,
                Vec::new(),
            )
        } else if let Some(cached) = cached {
            cached
        } else if refused_write {
            self.store_down_answer(&path, &id)
        } else if path == "/health" {
            self.health(&req).await
        } else if path == openapi::PATH {
            openapi::respond(&req)
        } else if management {
            // Token only, never the cookie: routed before the CSRF guard, as API v1 is.
            statuspage::manage::handle(self, req, client, cx.principal.as_ref(), &id).await
        } else if cachet3 {
            // The same: a token or a guest, never the cookie.
            cachet3::handle(self, req, client, cx.principal.as_ref(), &id).await
        } else if api {
            self.api_v1_with_cors(req, client, cx.principal.as_ref(), &id)
                .await
        } else if path == "/api/v2" || path.starts_with("/api/v2/") {
            statuspage::handle(self, &req).await
        } else if let Some(answer) = subscribe::inbound_sms(self, &req).await {
            // A provider's webhook: no cookie, no form token; its signature is the proof.
            answer
        } else if let Some(refusal) = self.csrf_guard(&req, client).await {
            refusal
        } else if let Some(page) = subscribe::route(self, &req, client).await {
            page
        } else if let Some(page) = dashboard::route(self, &req, client).await {
            page
        } else if req.method() == Method::GET
            && let Some(page) = public::route(self, &req).await
        {
            page
        } else if req.method() == Method::GET {
            crate::web::pages::not_found(self, &req).await
        } else {
            response::not_found_page()
        };
        if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
            // Whatever it changed is seen by the next read (the facade noted it before too).
            self.snapshots().note_write_done();
        }
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
            // Every 503 says when to come back. One that a handler answered (the store did
            // not answer it in time) also marks the store as down, so the next writes and
            // reads do not wait for it too; the cache's own 503s were counted where made.
            if !resp.headers().contains_key(http::header::RETRY_AFTER) {
                resp.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(self.snapshots().retry_after_secs()),
                );
            }
            if !from_cache && !refused_write {
                self.snapshots().note_store_down();
            }
        }
        telemetry::record_request(self, &path, resp.status());
        headers::secure(&mut resp, self.config().public_url.is_https(), &id);
        // One structured line per request: no query string, no headers, no body, so no token
        // or address a client sent can reach the log. The path is the client's: escaped, so it
        // cannot break the line (`method` is an HTTP token and `id` hex, safe by type).
        tracing::info!(
            target: "cachet::http",
            request_id = %id,
            method = %method,
            path = %crate::log::Escaped(loggable_path(&path)),
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
        );
        if head && resp.status() != StatusCode::NOT_MODIFIED {
            let length = resp.body().len();
            *resp.body_mut() = Bytes::new();
            if let Ok(v) = http::HeaderValue::from_str(&length.to_string()) {
                resp.headers_mut().insert(http::header::CONTENT_LENGTH, v);
            }
        }
        resp
    }

    /// API v1 with CORS for the configured origins on its reads (as Cachet's public GET
    /// group had): `X-Cachet-Token` may be sent cross-origin, cookies never count on the API,
    /// and writes get no CORS headers, so browsers on other origins cannot call them.
    async fn api_v1_with_cors(
        &self,
        req: Request<Bytes>,
        client: Option<IpAddr>,
        principal: Option<&Principal>,
        id: &str,
    ) -> Response<Bytes> {
        let allowed = match self.settings().await {
            Ok(s) => s.allowed_domains,
            Err(_) => Vec::new(),
        };
        // What CORS needs from the request, kept before the request moves on.
        let mut probe = Request::new(Bytes::new());
        *probe.method_mut() = req.method().clone();
        for name in [
            http::header::ORIGIN,
            http::header::ACCESS_CONTROL_REQUEST_METHOD,
        ] {
            for v in req.headers().get_all(&name) {
                probe.headers_mut().append(name.clone(), v.clone());
            }
        }
        if req.method() == Method::OPTIONS {
            let mut resp = cors::preflight(&probe, &allowed);
            if cors::allowed_origin(&probe, &allowed).is_some() {
                resp.headers_mut().insert(
                    http::header::ACCESS_CONTROL_ALLOW_HEADERS,
                    http::HeaderValue::from_static("X-Cachet-Token, Authorization, Time-Zone"),
                );
            }
            return resp;
        }
        let read = req.method() == Method::GET;
        let mut resp = api_v1::handle(self, req, client, principal, id).await;
        if read {
            cors::apply(&mut resp, &probe, &allowed);
        }
        resp
    }

    /// The one CSRF rule (ARCHITECTURE.md section 3) for every page route, before any page handler
    /// runs: an unsafe request that carries a session cookie must come from the public URL's
    /// origin (Origin / `Sec-Fetch-Site`) and carry the session's synchronizer token (form
    /// field `_token` or header `X-CSRF-Token`). A refusal is a 403 and audited. The API is
    /// not routed here (it authenticates by token, never by cookie); visitor forms without a
    /// session check their stateless tokens in their own handlers.
    async fn csrf_guard(
        &self,
        req: &Request<Bytes>,
        client: Option<IpAddr>,
    ) -> Option<Response<Bytes>> {
        use crate::auth::csrf;
        if !csrf::is_unsafe_method(req.method().as_str()) {
            return None;
        }
        let cookies = req.headers().get_all(http::header::COOKIE);
        let secret = cookies
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| self.cookie_policy().read(c))?;
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let public_origin = csrf::origin_of(&self.config().public_url);
        let mut verdict =
            csrf::check_origin(public_origin, header("origin"), header("sec-fetch-site"));
        if verdict.is_ok() {
            let session = self
                .store()
                .session_by_hash(&crate::auth::tokens::hash_secret(secret))
                .await
                .ok()
                .flatten();
            let submitted =
                header("x-csrf-token").or_else(|| form::body(req).and_then(|f| f.get("_token")));
            verdict = match session {
                Some(s) => csrf::verify_session_token(self.keyring(), &s.hash, submitted),
                // A cookie for a session that no longer exists: nothing to protect, the page
                // handler will treat the request as a visitor's.
                None => Ok(()),
            };
        }
        let err = verdict.err()?;
        let actor = Actor::anonymous(client);
        self.append_audit(
            &actor,
            crate::model::AuditAction::CsrfRejected,
            crate::model::EntityKind::Session,
            None,
            crate::model::AuditOutcome::Denied,
            &err.to_string(),
        )
        .await;
        let mut resp = response::plain(
            StatusCode::FORBIDDEN,
            "forbidden: cross-site request refused\n",
        );
        if err != csrf::CsrfError::CrossOrigin {
            resp = response::plain(
                StatusCode::FORBIDDEN,
                "forbidden: the form token is missing or expired; reload the page\n",
            );
        }
        Some(resp)
    }

    /// The client address: the TCP peer, or the right-most untrusted address of
    /// `X-Forwarded-For` when the peer is a configured trusted proxy.
    fn client_ip(&self, req: &Request<Bytes>, cx: &RequestContext) -> Option<IpAddr> {
        let peer = cx.peer.map(|p| p.ip())?;
        let trusted = &self.web_config().trusted_proxies;
        if !trusted.contains(&peer) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let hops: Vec<IpAddr> = forwarded
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .collect();
        Some(
            hops.into_iter()
                .rev()
                .find(|ip| !trusted.contains(ip))
                .unwrap_or(peer),
        )
    }

    /// The actor of a request that authenticates by API token only (never the cookie).
    pub(crate) async fn api_actor(
        &self,
        req: &Request<Bytes>,
        ip: Option<IpAddr>,
        principal: Option<&Principal>,
    ) -> Result<Option<Actor>, crate::Error> {
        if let Some(p) = principal {
            return Ok(Some(Actor::host(&p.name, p.role, ip)));
        }
        let headers = req.headers();
        let presented = headers
            .get("x-cachet-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| {
                headers
                    .get(http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        // `OAuth` is Statuspage's scheme, which its tooling sends.
                        v.strip_prefix("Bearer ")
                            .or_else(|| v.strip_prefix("bearer "))
                            .or_else(|| v.strip_prefix("OAuth "))
                    })
                    .map(str::to_owned)
            });
        match presented {
            None => Ok(None),
            Some(t) => self.resolve_api_token(&t, ip).await.map(Some),
        }
    }

    async fn health(&self, req: &Request<Bytes>) -> Response<Bytes> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut r = response::plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            r.headers_mut().insert(
                http::header::ALLOW,
                http::HeaderValue::from_static("GET, HEAD"),
            );
            return r;
        }
        // A load balancer's probe must not hang with a frozen database either.
        let deadline = self.web_config().snapshot.revision_deadline;
        match tokio::time::timeout(deadline, self.store().ping()).await {
            Ok(Ok(())) => response::plain(StatusCode::OK, "ok\n"),
            _ => response::plain(StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n"),
        }
    }

    /// The refusal of a write while the store is known down: `503` with `Retry-After`, in
    /// API v1's envelope on API v1 and Statuspage's on its management API.
    fn store_down_answer(&self, path: &str, id: &str) -> Response<Bytes> {
        let mut resp = if statuspage::manage::is_management_path(path) {
            statuspage::manage::store_unavailable()
        } else if cachet3::is_cachet3_path(path) {
            cachet3::store_unavailable()
        } else if path == "/api/v1" || path.starts_with("/api/v1/") {
            response::api_error(StatusCode::SERVICE_UNAVAILABLE, "", id, Vec::new())
        } else {
            snapshot::outage::unavailable(self.snapshots().retry_after_secs())
        };
        resp.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(self.snapshots().retry_after_secs()),
        );
        resp
    }
}

#[cfg(test)]
mod log_tests {
    #[test]
    fn request_ids_are_32_lowercase_hex_digits_and_differ() {
        let (a, b) = (super::request_id(), super::request_id());
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn link_secrets_never_reach_the_log() {
        assert_eq!(
            super::loggable_path("/unsubscribe/abc.def"),
            "/unsubscribe/<redacted>"
        );
        assert_eq!(
            super::loggable_path("/status/subscribe/verify/tok"),
            "/status/subscribe/verify/<redacted>"
        );
        assert_eq!(
            super::loggable_path("/api/v1/components"),
            "/api/v1/components"
        );
    }
}

#[cfg(test)]
mod request_id_tests {
    use super::*;

    /// Ids stay 32 hex digits and distinct across several refills of the thread's buffer.
    #[test]
    fn request_ids_are_hex_and_never_repeat_across_refills() {
        let ids: Vec<String> = (0..ID_BATCH * 3 + 5).map(|_| request_id()).collect();
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            assert_ne!(id, &"0".repeat(32));
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
