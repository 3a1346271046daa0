//! Cachet 3's API (`/api/...` beside API v1's `/api/v1/...`), so clients written for Cachet
//! 3.x (cachethq/core) work unchanged when pointed at a cachet-rs site: the same resources,
//! the same JSON:API documents, the same query parameters, through the same facade and
//! policies as API v1.
//!
//! | path under `/api/` | methods |
//! |---|---|
//! | `ping`, `version`, `status` | `GET` |
//! | `components`, `component-groups`, `incidents`, `incident-templates`, `schedules`, `metrics` | `GET` (a page of the list), `POST` |
//! | the same with `/{id}` | `GET`, `PUT`, `PATCH`, `DELETE` |
//! | `incidents/{id}/updates`, `schedules/{id}/updates` | `GET`, `POST` |
//! | the same with `/{update}` | `GET`, `PUT`, `PATCH` (incident updates), `DELETE` |
//! | `metrics/{id}/points` | `GET`, `POST` |
//! | `metrics/{id}/points/{point}` | `GET`, `DELETE` |
//! | `subscribers`, `subscribers/{id}` | `GET`, `POST`, `DELETE` (admin tokens) |
//!
//! # Requests
//!
//! * Reads are public, as in Cachet 3: a guest sees what a visitor of the page sees. A token
//!   (`Authorization: Bearer <token>`, as Sanctum takes it, or `X-Cachet-Token`) reads as its
//!   user, and every write needs one; its role and scope decide what it may do, through the
//!   same facade as API v1 (a read-only token reads, a manager writes content, an admin
//!   manages subscribers). A Sanctum-style `<id>|<secret>` token is taken as `<secret>`.
//! * Lists: `page` and `per_page` (1 to 100, default 15), `sort` (a field, `-field` for
//!   descending), `filter[...]` as each list documents, and `include` (comma-separated
//!   relationships; `meta` adds the metadata to the attributes). A filter, sort or include
//!   outside a list's own is a 400 naming it, as Cachet 3's query builder answers.
//! * Bodies are JSON or form-encoded with Cachet 3's field names (`component_group_id`,
//!   `occurred_at`, `components: [{"id", "status"}]`).
//! * Ids are numbers. Incidents also carry a `guid`.
//!
//! # Mapping
//!
//! * Component statuses: Cachet 3 numbers `unknown` 5 (stored here as API v1's 0) and shows
//!   `under_maintenance` (6) as `latest_status` while a maintenance window covers the
//!   component; 6 is refused on writes (maintenance is a schedule here).
//! * Incident statuses: 0 reported ... 4 fixed, as API v1 (0 is `reported` in Cachet 3).
//! * Incident creation takes `message`, or `template` (a template's slug) with
//!   `template_vars`; `component_id` with `component_status`, and `components`, set the
//!   affected components and their statuses. `published_at` in the future is refused: an
//!   incident is published when created here.
//!
//! # Errors
//!
//! Laravel's shape: `{"message": "..."}`, and for invalid input (422) `errors` by field,
//! naming the rule: 401 without a valid token where one is needed, 403 when the token may
//! not, 404 for an unknown path or id, 405 with `Allow`, 400 for an unreadable body or an
//! unknown filter, sort or include, 422, 429 with `Retry-After`, 503 while the store does not
//! answer.

mod components;
pub(crate) mod dto;
mod incidents;
mod others;
mod present;
pub(crate) mod routes;

use std::collections::BTreeMap;
use std::net::IpAddr;

use bytes::Bytes;
use chrono_tz::Tz;
use http::header::ALLOW;
use http::{HeaderValue, Request, Response, StatusCode};

use self::dto::ErrorDto;
use self::routes::{Auth, Lookup};
use crate::clock::Timestamp;
use crate::store::{Direction, PageRequest, SortField};
use crate::validate::{ValidationError, Violation, ViolationExt};
use crate::web::input::Input;
use crate::web::ratelimit::Decision;
use crate::web::{Principal, response};
use crate::{Actor, Cachet, Error};

/// Where the API is mounted.
pub(crate) const PREFIX: &str = "/api/";

/// Whether a path belongs to Cachet 3's API: under `/api/` but not API v1's or the
/// Statuspage API's.
pub(crate) fn is_cachet3_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return false;
    };
    let first = rest.split('/').next().unwrap_or("");
    !rest.is_empty() && first != "v1" && first != "v2"
}

/// Everything a handler needs about its request.
pub(crate) struct Call<'a> {
    pub cachet: &'a Cachet,
    pub actor: Actor,
    /// The query string and the body.
    pub input: Input,
    /// The path's ids, in order (`incidents/{id}/updates/{update}`).
    pub ids: Vec<i64>,
    /// The site's time zone, for the `string` of every moment.
    pub tz: Tz,
    pub now: Timestamp,
    /// The request's path and query, for a list's page links.
    pub path: String,
    pub query: Option<String>,
}

impl Call<'_> {
    /// The path's `n`-th id (the table's patterns guarantee it is there).
    pub(crate) fn id(&self, n: usize) -> i64 {
        self.ids.get(n).copied().unwrap_or(0)
    }

    /// The page asked for: `page` from 1, `per_page` 1 to 100 (default 15), as Cachet 3
    /// clamps it.
    pub(crate) fn page(&self) -> Result<PageRequest, Fail> {
        let page = self.input.int("page")?.unwrap_or(1).clamp(1, 1_000_000);
        let per_page = self.input.int("per_page")?.unwrap_or(15).clamp(1, 100);
        Ok(PageRequest::new(
            u32::try_from(page).unwrap_or(1),
            u32::try_from(per_page).unwrap_or(15),
        ))
    }

    /// `sort=field` or `sort=-field` among `allowed` (Cachet 3's names); another is a 400.
    pub(crate) fn sort<S: SortField>(
        &self,
        allowed: &[(&str, S)],
        default: Option<(S, Direction)>,
    ) -> Result<Option<(S, Direction)>, Fail> {
        let Some(text) = self.input.text("sort")? else {
            return Ok(default);
        };
        // Cachet 3 sorts by the first field given; a list of several is read the same way.
        let first = text.split(',').next().unwrap_or("").trim();
        let (name, direction) = match first.strip_prefix('-') {
            Some(name) => (name, Direction::Desc),
            None => (first, Direction::Asc),
        };
        allowed
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| Some((*s, direction)))
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
                Fail::BadQuery(format!(
                    "Requested sort(s) `{name}` is not allowed. Allowed sort(s) are `{}`.",
                    names.join(", ")
                ))
            })
    }

    /// The `filter[...]` values, refused with a 400 when one is not among `allowed`.
    pub(crate) fn filters(&self, allowed: &[&str]) -> Result<BTreeMap<String, String>, Fail> {
        let mut out = BTreeMap::new();
        let Some(value) = self.input.get("filter") else {
            return Ok(out);
        };
        let serde_json::Value::Object(fields) = value else {
            return Err(Fail::BadQuery(
                "filter must be given as filter[name]=value".to_owned(),
            ));
        };
        for (key, value) in fields {
            if !allowed.contains(&key.as_str()) {
                return Err(Fail::BadQuery(format!(
                    "Requested filter(s) `{key}` are not allowed. Allowed filter(s) are `{}`.",
                    allowed.join(", ")
                )));
            }
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                // `filter[meta][key]=value`: kept as JSON, read by the handler.
                other => other.to_string(),
            };
            out.insert(key.clone(), text);
        }
        Ok(out)
    }

    /// The relationships `include` asks for, refused with a 400 when one is not among
    /// `allowed`.
    pub(crate) fn includes(&self, allowed: &[&'static str]) -> Result<Vec<&'static str>, Fail> {
        let Some(text) = self.input.text("include")? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match allowed.iter().find(|a| **a == name) {
                Some(a) if !out.contains(a) => out.push(*a),
                Some(_) => {}
                None => {
                    return Err(Fail::BadQuery(format!(
                        "Requested include(s) `{name}` are not allowed. Allowed include(s) are `{}`.",
                        allowed.join(", ")
                    )));
                }
            }
        }
        Ok(out)
    }

    /// A text field parsed by `parse`: `None` when absent, the failure naming the field.
    pub(crate) fn parsed<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Result<Option<T>, ValidationError> {
        self.input
            .text(key)?
            .map(|text| parse(&text))
            .transpose()
            .field(key)
    }

    /// A validation failure of one field.
    pub(crate) fn invalid(field: &'static str, violation: Violation) -> Fail {
        Fail::Invalid(vec![ValidationError::new(field, violation)])
    }
}

/// The validation failures of one request, collected so that every field's are reported at
/// once (as Laravel does).
#[derive(Debug, Default)]
pub(crate) struct Collect(Vec<ValidationError>);

impl Collect {
    /// The value of a read that may fail; a failure is kept for the answer.
    pub(crate) fn keep<T>(&mut self, read: Result<Option<T>, ValidationError>) -> Option<T> {
        read.unwrap_or_else(|e| {
            self.0.push(e);
            None
        })
    }

    /// Notes a failure.
    pub(crate) fn push(&mut self, e: ValidationError) {
        self.0.push(e);
    }

    /// Notes `field` as required when it is missing and has no failure of its own yet.
    pub(crate) fn require(&mut self, field: &'static str, present: bool) {
        if !present && !self.0.iter().any(|e| e.field() == field) {
            self.0
                .push(ValidationError::new(field, Violation::Required));
        }
    }

    /// `Ok` when nothing failed.
    pub(crate) fn finish(self) -> Result<(), Fail> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Fail::Invalid(self.0))
        }
    }
}

/// A handler's failure.
#[derive(Debug)]
pub(crate) enum Fail {
    Status(StatusCode, &'static str),
    /// An unknown filter, sort or include, or an unreadable query: 400 with the sentence.
    BadQuery(String),
    Invalid(Vec<ValidationError>),
    /// A field refused with a sentence of its own (a template's variables).
    Rejected {
        field: &'static str,
        message: String,
    },
    Facade(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation(v) => Self::Invalid(vec![v]),
            other => Self::Facade(other),
        }
    }
}

impl From<ValidationError> for Fail {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(vec![e])
    }
}

pub(crate) type Handled = Result<Response<Bytes>, Fail>;

/// A JSON:API answer.
pub(crate) fn document<T: serde::Serialize>(value: &T) -> Response<Bytes> {
    let mut r = response::json(StatusCode::OK, value);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.api+json"),
    );
    r
}

/// The one resource a handler read for a document (an empty list is a 404).
pub(crate) fn single<R>(mut data: Vec<R>) -> Result<R, Fail> {
    data.pop()
        .ok_or(Fail::Status(StatusCode::NOT_FOUND, "Not found."))
}

fn error(status: StatusCode, message: &str) -> Response<Bytes> {
    response::json(
        status,
        &ErrorDto {
            message: message.to_owned(),
            errors: None,
        },
    )
}

/// Laravel's 422: the first message (and how many more), then every field's messages.
fn invalid(errors: Vec<ValidationError>) -> Response<Bytes> {
    rejected(
        errors
            .iter()
            .map(|e| (e.field().to_owned(), e.to_string()))
            .collect(),
    )
}

fn rejected(errors: Vec<(String, String)>) -> Response<Bytes> {
    let mut by_field: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, message) in &errors {
        by_field
            .entry(field.clone())
            .or_default()
            .push(message.clone());
    }
    let first = errors.first().map_or_else(
        || "The given data was invalid.".to_owned(),
        |(_, m)| m.clone(),
    );
    let message = match errors.len() {
        0 | 1 => first,
        2 => format!("{first} (and 1 more error)"),
        n => format!("{first} (and {} more errors)", n - 1),
    };
    response::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ErrorDto {
            message,
            errors: Some(by_field),
        },
    )
}

impl Fail {
    fn render(self, request_id: &str) -> Response<Bytes> {
        match self {
            Fail::Status(status, sentence) => error(status, sentence),
            Fail::BadQuery(sentence) => error(StatusCode::BAD_REQUEST, &sentence),
            Fail::Invalid(errors) => invalid(errors),
            Fail::Rejected { field, message } => rejected(vec![(field.to_owned(), message)]),
            Fail::Facade(e) => match &e {
                Error::Validation(v) => invalid(vec![v.clone()]),
                Error::Unauthenticated | Error::InvalidCredentials => unauthenticated(),
                Error::Forbidden => error(StatusCode::FORBIDDEN, "This action is unauthorized."),
                Error::NotFound { .. } => not_found(),
                Error::Conflict(why) => error(StatusCode::CONFLICT, why),
                Error::Throttled { .. } => error(StatusCode::TOO_MANY_REQUESTS, TOO_MANY),
                // `Cachet::handle` adds `Retry-After` and notes the store as down.
                Error::Unavailable(_) => store_unavailable(),
                _ => {
                    tracing::error!(request_id, error = ?crate::log::Escaped(&e), "Cachet 3 API request failed");
                    error(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
                }
            },
        }
    }
}

const TOO_MANY: &str = "Too Many Attempts.";

fn not_found() -> Response<Bytes> {
    error(StatusCode::NOT_FOUND, "Not found.")
}

fn unauthenticated() -> Response<Bytes> {
    error(StatusCode::UNAUTHORIZED, "Unauthenticated.")
}

/// The 503 of a write refused while the store is known down (the caller adds
/// `Retry-After`).
pub(crate) fn store_unavailable() -> Response<Bytes> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The status page's store is not answering; retry in a few seconds.",
    )
}

/// A 429 with `Retry-After` and the limit.
fn too_many(limit: u32, retry_after: std::time::Duration) -> Response<Bytes> {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, TOO_MANY);
    crate::web::ratelimit::refusal_headers(&mut r, limit, retry_after);
    r
}

/// The token a request presents, with a Sanctum `<id>|` prefix taken off: a Cachet 3 client
/// configured with a token written the Sanctum way still authenticates with the secret.
fn without_sanctum_prefix(mut req: Request<Bytes>) -> Request<Bytes> {
    let value = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(value) = value
        && let Some((scheme, token)) = value.split_once(' ')
        && let Some((id, secret)) = token.trim().split_once('|')
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && let Ok(v) = HeaderValue::from_str(&format!("{scheme} {secret}"))
    {
        req.headers_mut().insert(http::header::AUTHORIZATION, v);
    }
    req
}

/// Answers an `/api/...` request of Cachet 3's API.
pub(crate) async fn handle(
    cachet: &Cachet,
    req: Request<Bytes>,
    ip: Option<IpAddr>,
    principal: Option<&Principal>,
    request_id: &str,
) -> Response<Bytes> {
    let path = req.uri().path().to_owned();
    let (route, ids) = match routes::find(&path, req.method()) {
        Lookup::NotFound => return not_found(),
        Lookup::NoMethod => {
            let allow = routes::allowed(&path);
            let mut r = error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!(
                    "The {} method is not supported for route {}. Supported methods: {allow}.",
                    req.method(),
                    path.trim_start_matches('/')
                ),
            );
            if let Ok(allow) = HeaderValue::from_str(&allow) {
                r.headers_mut().insert(ALLOW, allow);
            }
            return r;
        }
        Lookup::Route { route, ids } => (route, ids),
    };
    let req = without_sanctum_prefix(req);
    // Refusals and guests' reads count against the client address's API budget (as API
    // v1's guests do), so guessing tokens is as slow here as there; a token's calls count
    // against the token's.
    let actor = match cachet.api_actor(&req, ip, principal).await {
        Ok(actor) => actor,
        Err(Error::Unauthenticated) => None,
        Err(e) => return Fail::Facade(e).render(request_id),
    };
    let actor = match actor {
        Some(actor) => {
            if let Some(t) = actor.token()
                && let Decision::Deny { limit, retry_after } =
                    cachet.limit_api_token(t.id.get()).await
            {
                return too_many(limit, retry_after);
            }
            actor
        }
        None => {
            if let Some(ip) = ip
                && let Decision::Deny { limit, retry_after } = cachet.limit_api_address(ip).await
            {
                return too_many(limit, retry_after);
            }
            if route.auth == Auth::Token {
                return unauthenticated();
            }
            Actor::anonymous(ip)
        }
    };
    let input = match Input::from_request(&req, cachet.web_config().max_json_depth) {
        Ok(input) => input,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let settings = match cachet.settings().await {
        Ok(s) => s,
        Err(e) => return Fail::from(e).render(request_id),
    };
    let call = Call {
        cachet,
        actor,
        input,
        ids,
        tz: settings.app_timezone.tz(),
        now: cachet.now(),
        path,
        query: req.uri().query().map(str::to_owned),
    };
    match (route.handler)(call).await {
        // The table says which success status a route answers (201 for a creation).
        Ok(mut resp) => {
            *resp.status_mut() = route.status;
            if route.status == StatusCode::NO_CONTENT {
                *resp.body_mut() = Bytes::new();
                resp.headers_mut().remove(http::header::CONTENT_TYPE);
            }
            resp
        }
        Err(f) => f.render(request_id),
    }
}
