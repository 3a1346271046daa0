//! Cachet API v1, compatible with Cachet 2.4: the same
//! paths, fields, envelopes, status codes and pagination, so existing clients work unmodified.
//! Cachet's holes are not copied: filters and sorts come from whitelists, hidden entities stay
//! hidden by id too, subscriber secrets are never returned, and the API authenticates by token
//! only (`X-Cachet-Token` or `Authorization: Bearer`), never by the session cookie.

pub(crate) mod bodies;
mod components;
pub mod dto;
mod groups;
mod idempotency;
mod incidents;
pub mod integrations;
pub(crate) mod metrics;
pub mod present;
pub(crate) mod query;
pub(crate) mod routes;
mod schedules;
mod subscribers;
mod templates;
mod updates;

use std::net::IpAddr;

use super::input::{Input, InputError};
use super::ratelimit::Decision;
use super::response;
use crate::auth::policy::Permission;
use crate::validate::ValidationError;
use crate::{Actor, Cachet, Error};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

/// Everything a handler needs about its request.
pub(crate) struct Call<'a> {
    pub cachet: &'a Cachet,
    pub actor: Actor,
    pub input: Input,
    pub query: Option<String>,
    pub path: String,
    pub tz: chrono_tz::Tz,
}

/// A handler's failure, rendered in Cachet's error envelope.
pub(crate) enum Fail {
    Status(StatusCode),
    Invalid(Vec<ValidationError>),
    /// Validation failures that are not a single field's rule (template variables), already
    /// worded for the client.
    Rejected(Vec<String>),
    Facade(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Facade(e)
    }
}

impl From<ValidationError> for Fail {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(vec![e])
    }
}

pub(crate) type Handled = Result<Response<Bytes>, Fail>;

impl Fail {
    fn render(self, request_id: &str) -> Response<Bytes> {
        match self {
            Fail::Status(s) => response::api_error(s, "", request_id, Vec::new()),
            Fail::Invalid(errors) => {
                let details: Vec<String> = errors.iter().map(ToString::to_string).collect();
                Fail::Rejected(details).render(request_id)
            }
            Fail::Rejected(details) => {
                let detail = details.first().cloned().unwrap_or_default();
                response::api_error(StatusCode::BAD_REQUEST, &detail, request_id, details)
            }
            Fail::Facade(e) => {
                let (status, detail) = match &e {
                    Error::Validation(v) => {
                        return Fail::Invalid(vec![v.clone()]).render(request_id);
                    }
                    Error::Unauthenticated | Error::InvalidCredentials => {
                        (StatusCode::UNAUTHORIZED, String::new())
                    }
                    Error::Forbidden => (
                        StatusCode::FORBIDDEN,
                        "This token may not do that.".to_owned(),
                    ),
                    Error::NotFound { .. } => (StatusCode::NOT_FOUND, String::new()),
                    // Cachet maps constraint errors to 400.
                    Error::Conflict(why) => (StatusCode::BAD_REQUEST, (*why).to_owned()),
                    Error::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, String::new()),
                    // `Cachet::handle` adds `Retry-After` and notes the store as down.
                    Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, String::new()),
                    _ => {
                        tracing::error!(request_id, error = ?crate::log::Escaped(&e), "API v1 request failed");
                        (StatusCode::INTERNAL_SERVER_ERROR, String::new())
                    }
                };
                let details = if status == StatusCode::BAD_REQUEST {
                    vec![detail.clone()]
                } else {
                    Vec::new()
                };
                response::api_error(status, &detail, request_id, details)
            }
        }
    }
}

/// Whether the client accepts JSON (a missing `Accept`, `*/*` and `application/*` do).
pub(crate) fn accepts_json(req: &Request<Bytes>) -> bool {
    let Some(accept) = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    accept.split(',').any(|part| {
        let mut it = part.split(';');
        let media = it.next().unwrap_or("").trim().to_ascii_lowercase();
        // `q=0`, `q=0.0`, `q=0.000`: a quality of zero means "not acceptable".
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !refused
            && matches!(
                media.as_str(),
                "*/*" | "application/*" | "application/json" | ""
            )
            || media.ends_with("+json")
    })
}

/// Answers an `/api/v1/...` request.
pub(crate) async fn handle(
    cachet: &Cachet,
    req: Request<Bytes>,
    ip: Option<IpAddr>,
    principal: Option<&crate::web::Principal>,
    request_id: &str,
) -> Response<Bytes> {
    if crate::web::alerts::is_inbound(req.uri().path()) {
        return crate::web::alerts::handle(cachet, req, ip, request_id).await;
    }
    if !accepts_json(&req) {
        return response::api_error(StatusCode::NOT_ACCEPTABLE, "", request_id, Vec::new());
    }
    let actor = match cachet.api_actor(&req, ip, principal).await {
        Ok(Some(a)) => a,
        // A missing or bad token on a public read is a guest's request, as in Cachet; routes
        // that need a token answer 401 below.
        Ok(None) | Err(Error::Unauthenticated) => Actor::anonymous(ip),
        Err(e) => return Fail::Facade(e).render(request_id),
    };
    let limit = match (actor.token(), ip) {
        (Some(t), _) => Some(cachet.limit_api_token(t.id.get()).await),
        (None, Some(ip)) if actor.is_anonymous() => Some(cachet.limit_api_address(ip).await),
        _ => None,
    };
    if let Some(Decision::Deny { limit, retry_after }) = limit {
        return too_many(limit, retry_after, request_id);
    }
    let path = req.uri().path().to_owned();
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut resp = match idempotency::key_of(&req) {
        Ok(Some(key)) if write => {
            idempotency::dispatch_once(cachet, req, actor, &key, request_id).await
        }
        Err(f) if write => f.render(request_id),
        // Reads are idempotent already: the header is ignored on them.
        _ => answer(cachet, req, actor, request_id).await,
    };
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
        set_header(&mut resp, "allow", &routes::allowed(&path));
    }
    if let Some(Decision::Allow { limit, remaining }) = limit {
        set_header(&mut resp, "x-ratelimit-limit", &limit.to_string());
        set_header(&mut resp, "x-ratelimit-remaining", &remaining.to_string());
    }
    resp
}

/// The 429 of a limited API request, with `Retry-After` and the rate-limit headers. (Cache
/// hits of the snapshot never get here: they do not consume the limiter; the request that
/// renders a snapshot does, see [`crate::web::snapshot`].)
pub(crate) fn too_many(
    limit: u32,
    retry_after: std::time::Duration,
    request_id: &str,
) -> Response<Bytes> {
    let mut r = response::api_error(StatusCode::TOO_MANY_REQUESTS, "", request_id, Vec::new());
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    set_header(&mut r, "retry-after", &secs.max(1).to_string());
    set_header(&mut r, "x-ratelimit-limit", &limit.to_string());
    set_header(&mut r, "x-ratelimit-remaining", "0");
    r
}

fn set_header(resp: &mut Response<Bytes>, name: &'static str, value: &str) {
    if let Ok(v) = http::HeaderValue::from_str(value) {
        resp.headers_mut()
            .insert(http::HeaderName::from_static(name), v);
    }
}

/// The route's answer to a request, failures rendered.
async fn answer(
    cachet: &Cachet,
    req: Request<Bytes>,
    actor: Actor,
    request_id: &str,
) -> Response<Bytes> {
    dispatch(cachet, req, actor)
        .await
        .unwrap_or_else(|f| f.render(request_id))
}

/// Routes a request by [`routes::ROUTES`]: the site's sign-in rule, the body, the path's ids,
/// the method, the route's permission, then its handler.
async fn dispatch(cachet: &Cachet, req: Request<Bytes>, actor: Actor) -> Handled {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let settings = cachet.settings().await?;
    // Time-Zone header: dates in and out in that zone; an unknown zone falls back to the site's.
    let tz = req
        .headers()
        .get("time-zone")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<chrono_tz::Tz>().ok())
        .unwrap_or_else(|| settings.app_timezone.tz());
    if settings.always_authenticate && actor.is_anonymous() && !routes::always_public(&path) {
        return Err(Fail::Status(StatusCode::UNAUTHORIZED));
    }
    let input = match Input::from_request(&req, cachet.web_config().max_json_depth) {
        Ok(i) => i,
        // A write without a token is refused as such before its body is judged, as Cachet's
        // authentication middleware runs before the controller reads the input.
        Err(_) if actor.is_anonymous() && !matches!(*req.method(), Method::GET | Method::HEAD) => {
            return Err(Fail::Status(StatusCode::UNAUTHORIZED));
        }
        Err(e @ (InputError::MalformedJson | InputError::TooDeep | InputError::MalformedForm)) => {
            return Err(Fail::Invalid(vec![ValidationError::new(
                "body",
                crate::validate::Violation::Format {
                    expected: if e == InputError::TooDeep {
                        "nested at most 32 levels deep"
                    } else {
                        "a JSON object or form data"
                    },
                },
            )]));
        }
    };
    let (route, ids) = match routes::find(&path, req.method()) {
        routes::Lookup::Route(route, ids) => (route, ids),
        routes::Lookup::NotFound => return Err(Fail::Status(StatusCode::NOT_FOUND)),
        routes::Lookup::NoMethod => return Err(Fail::Status(StatusCode::METHOD_NOT_ALLOWED)),
    };
    let call = Call {
        cachet,
        actor,
        input,
        query: req.uri().query().map(str::to_owned),
        path,
        tz,
    };
    if let routes::Access::Token(p) = route.access {
        require(&call, p).await?;
    }
    (route.handler)(call, ids).await
}

/// `GET /ping`.
async fn ping(_: Call<'_>) -> Handled {
    Ok(response::json(
        StatusCode::OK,
        &dto::PingDto {
            data: "Pong!".to_owned(),
        },
    ))
}

/// `GET /version`: this build is always the latest release it knows of.
async fn version(_: Call<'_>) -> Handled {
    Ok(response::json(
        StatusCode::OK,
        &dto::VersionDto {
            data: env!("CARGO_PKG_VERSION").to_owned(),
            meta: dto::VersionMeta {
                latest: dto::Release {
                    draft: false,
                    prelease: false,
                    tag_name: concat!("v", env!("CARGO_PKG_VERSION")).to_owned(),
                },
                on_latest: true,
            },
        },
    ))
}

/// `GET /status`: the overall status a visitor sees.
async fn status(call: Call<'_>) -> Handled {
    Ok(response::json(
        StatusCode::OK,
        &crate::web::statuspage::api_v1_status(call.cachet).await?,
    ))
}

/// Refuses a write by a visitor with 401 (routes that need a token), before validation.
pub(crate) fn require_token(call: &Call<'_>) -> Result<(), Fail> {
    if call.actor.is_anonymous() {
        Err(Fail::Status(StatusCode::UNAUTHORIZED))
    } else {
        Ok(())
    }
}

/// Refuses a request that needs a token with 401 without one, and with 403 (audited by the
/// facade) when the token's scope or role lacks the permission, before the input is
/// validated, so a too-small token learns nothing from validation messages. The facade
/// operation checks the permission again.
pub(crate) async fn require(call: &Call<'_>, p: Permission) -> Result<(), Fail> {
    require_token(call)?;
    call.cachet.authorize(&call.actor, p).await?;
    Ok(())
}
