//! Statuspage's management API (`/v1/pages/{page_id}/...`), so tooling written for Atlassian
//! Statuspage (Terraform providers, PagerDuty and Opsgenie integrations, scripts) drives a
//! cachet page unchanged when pointed at it: components, realtime incidents, incident
//! templates and e-mail subscribers.
//!
//! | path under `/v1/pages/{page_id}/` | methods |
//! |---|---|
//! | `components` | `GET` (every component the token may see), `POST` |
//! | `components/{component_id}` | `GET`, `PATCH`, `PUT`, `DELETE` |
//! | `incidents` | `GET` (newest first, `page` and `limit`), `POST` |
//! | `incidents/unresolved` | `GET` |
//! | `incidents/scheduled` | `GET`: maintenance windows not started yet, as the public API shows them |
//! | `incidents/{incident_id}` | `GET`, `PATCH`, `PUT`, `DELETE` |
//! | `incident_templates` | `GET`, `POST` |
//! | `subscribers` | `GET`, `POST` |
//!
//! Every path also answers with `.json` appended, as Statuspage's does.
//!
//! # Requests
//!
//! * Authentication: `Authorization: OAuth <token>` (Statuspage's scheme), `Bearer` or
//!   `X-Cachet-Token`, with one of this site's API tokens; never the session cookie. The
//!   token's role and scope decide what it may do, through the same facade and policies as
//!   API v1 (a read-only token reads, a manager writes content, only an admin reads
//!   subscriber addresses). Every call needs a token; `page_id` is the public API's
//!   `page.id`.
//! * Bodies are JSON (`{"component": {...}}`) or form-encoded (`component[status]=...`), as
//!   Statuspage accepts both; fields this API does not use (`showcase`, `impact_override`,
//!   `metadata`, the tweet and auto-transition flags) are accepted and ignored.
//! * Ids are the public API's (`component-1`, `incident-1`, `group-1`); the bare number is
//!   accepted too.
//!
//! # Mapping
//!
//! * Component statuses: `operational`, `degraded_performance` (performance issues),
//!   `partial_outage`, `major_outage`. `under_maintenance` is refused: here a component is
//!   under maintenance while a maintenance window covers it, never by a stored status.
//! * Incident statuses: `investigating`, `identified`, `monitoring` (watching), `resolved`
//!   (fixed). The scheduled statuses (`scheduled`, `in_progress`, `verifying`, `completed`)
//!   are refused on writes: maintenance windows are API v1's `/schedules`.
//! * Creating an incident: `name` (required), `status` (default `investigating`), `body`
//!   (its first message), `component_ids` and `components` (an object from component id to
//!   status: the statuses are applied to the components), `deliver_notifications` (default
//!   true: subscribers are notified).
//! * Updating an incident: `name`, `component_ids` and `components` change the incident (the
//!   affected set is replaced by the union of both, and `components`' statuses are applied);
//!   `status` and `body` post an incident update, which also moves the incident's status, as
//!   each Statuspage update does.
//! * Deleting an incident answers the incident as it was; deleting a component answers 204.
//!
//! # Errors
//!
//! `{"error": "...", "message": "..."}` (both the same sentence; see [`dto::ErrorDto`]):
//! 401 without a valid token, 403 when the token may not, 404 for an unknown page, path or
//! id, 405 with `Allow`, 400 for an unreadable body, 422 naming the field and the rule
//! (`incident[status]: must be one of ...`), 429 with `Retry-After` over the token's rate
//! limit, 503 with `Retry-After` while the store does not answer.

mod components;
pub(crate) mod dto;
mod incidents;
mod others;
pub(crate) mod routes;

use std::net::IpAddr;

use bytes::Bytes;
use http::header::ALLOW;
use http::{HeaderValue, Request, Response, StatusCode};

use self::dto::ErrorDto;
use self::routes::Lookup;
use super::present::View;
use crate::model::*;
use crate::validate::{ValidationError, Violation};
use crate::web::input::{Input, InputError};
use crate::web::ratelimit::Decision;
use crate::web::{Principal, response};
use crate::{Actor, Cachet, Error};

/// Where the management API is mounted.
pub(crate) const PREFIX: &str = "/v1/pages/";

/// Whether a path belongs to the management API.
pub(crate) fn is_management_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// Everything a handler needs about its request.
pub(crate) struct Call<'a> {
    pub cachet: &'a Cachet,
    pub actor: Actor,
    /// The body's envelope (`component`, `incident`, ...) or, for reads, the query string.
    pub input: Input,
    /// The envelope's name, for error messages (`incident[status]`).
    pub envelope: &'static str,
}

impl Call<'_> {
    /// The public API's view, read as this call's actor (what its token may see).
    pub(crate) async fn view(&self) -> Result<View<'_>, Fail> {
        let settings = self.cachet.settings().await?;
        Ok(View::load_as(self.cachet, &settings, self.actor.clone()).await?)
    }

    /// A field's name as the client spelled it: `incident[status]`.
    pub(crate) fn field(&self, name: &str) -> String {
        if self.envelope.is_empty() {
            name.to_owned()
        } else {
            format!("{}[{name}]", self.envelope)
        }
    }

    /// A validation failure of a field of the envelope.
    pub(crate) fn invalid(&self, name: &str, violation: Violation) -> Fail {
        Fail::Invalid(ValidationError::new(self.field(name), violation))
    }

    /// A text field of the envelope, parsed: `None` when absent, a 422 naming the field
    /// (`incident[status]`) when the text or its parse is refused.
    pub(crate) fn parsed<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Result<Option<T>, Fail> {
        self.input
            .text(key)
            .map_err(|e| self.in_envelope(e))?
            .map(|text| parse(&text))
            .transpose()
            .map_err(|v| self.invalid(key, v))
    }

    /// Re-names a validation error of the core (`name: ...`) to the client's field.
    pub(crate) fn in_envelope(&self, e: ValidationError) -> Fail {
        let field = self.field(e.field());
        Fail::Invalid(ValidationError::new(field, e.violation().clone()))
    }
}

/// A handler's failure.
#[derive(Debug)]
pub(crate) enum Fail {
    Status(StatusCode, &'static str),
    Invalid(ValidationError),
    Facade(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Facade(e)
    }
}

pub(crate) type Handled = Result<Response<Bytes>, Fail>;

fn error(status: StatusCode, sentence: &str) -> Response<Bytes> {
    response::json(
        status,
        &ErrorDto {
            error: sentence.to_owned(),
            message: sentence.to_owned(),
        },
    )
}

impl Fail {
    fn render(self, request_id: &str) -> Response<Bytes> {
        match self {
            Fail::Status(status, sentence) => error(status, sentence),
            Fail::Invalid(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
            Fail::Facade(e) => match &e {
                Error::Validation(v) => error(StatusCode::UNPROCESSABLE_ENTITY, &v.to_string()),
                Error::Unauthenticated | Error::InvalidCredentials => {
                    error(StatusCode::UNAUTHORIZED, "Could not authenticate")
                }
                Error::Forbidden => error(StatusCode::FORBIDDEN, "This token may not do that"),
                Error::NotFound { .. } => error(StatusCode::NOT_FOUND, "Not found"),
                Error::Conflict(why) => error(StatusCode::UNPROCESSABLE_ENTITY, why),
                Error::Throttled { .. } => error(StatusCode::TOO_MANY_REQUESTS, "Rate limited"),
                // `Cachet::handle` adds `Retry-After` and notes the store as down.
                Error::Unavailable(_) => error(StatusCode::SERVICE_UNAVAILABLE, STORE_UNAVAILABLE),
                _ => {
                    tracing::error!(request_id, error = ?crate::log::Escaped(&e), "Statuspage management request failed");
                    error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
                }
            },
        }
    }
}

/// The 503 of a write refused while the store is known down (the caller adds
/// `Retry-After`).
pub(crate) fn store_unavailable() -> Response<Bytes> {
    error(StatusCode::SERVICE_UNAVAILABLE, STORE_UNAVAILABLE)
}

const STORE_UNAVAILABLE: &str = "The status page's store is not answering";

/// Answers a `/v1/pages/...` request.
pub(crate) async fn handle(
    cachet: &Cachet,
    req: Request<Bytes>,
    ip: Option<IpAddr>,
    principal: Option<&Principal>,
    request_id: &str,
) -> Response<Bytes> {
    let path = req.uri().path().to_owned();
    let lookup = routes::find(&path, req.method());
    let (route, page, id) = match lookup {
        Lookup::NotFound => return error(StatusCode::NOT_FOUND, "Not found"),
        Lookup::NoMethod => {
            let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
            if let Ok(allow) = HeaderValue::from_str(&routes::allowed(&path)) {
                r.headers_mut().insert(ALLOW, allow);
            }
            return r;
        }
        Lookup::Route { route, page, id } => (route, page, id),
    };
    // Every call needs a token, reads too: this is the management API, not the public one.
    // Refusals count against the client address's API budget (as API v1's guests do), so
    // guessing tokens is as slow here as there; a token's calls count against the token's.
    let actor = match cachet.api_actor(&req, ip, principal).await {
        Ok(Some(a)) => a,
        Ok(None) | Err(Error::Unauthenticated) => {
            if let Some(ip) = ip
                && let Decision::Deny { limit, retry_after } = cachet.limit_api_address(ip).await
            {
                return too_many(limit, retry_after);
            }
            return error(StatusCode::UNAUTHORIZED, "Could not authenticate");
        }
        Err(e) => return Fail::Facade(e).render(request_id),
    };
    if let Some(t) = actor.token()
        && let Decision::Deny { limit, retry_after } = cachet.limit_api_token(t.id.get()).await
    {
        return too_many(limit, retry_after);
    }
    if page != super::page_id(cachet) {
        return error(StatusCode::NOT_FOUND, "Page not found");
    }
    let input = match read_input(&req, route.envelope, cachet.web_config().max_json_depth) {
        Ok(input) => input,
        Err(sentence) => return error(StatusCode::BAD_REQUEST, &sentence),
    };
    let call = Call {
        cachet,
        actor,
        input,
        envelope: route.envelope,
    };
    match (route.handler)(call, id).await {
        // The table says which success status a route answers (201 for a creation).
        Ok(mut resp) => {
            *resp.status_mut() = route.status;
            resp
        }
        Err(f) => f.render(request_id),
    }
}

/// A 429 with `Retry-After` and the limit.
fn too_many(limit: u32, retry_after: std::time::Duration) -> Response<Bytes> {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limited");
    crate::web::ratelimit::refusal_headers(&mut r, limit, retry_after);
    r
}

/// The input of a call: for a write, the fields inside its envelope (`{"incident": {...}}`
/// or `incident[name]=...`); for a read, the query string.
fn read_input(
    req: &Request<Bytes>,
    envelope: &'static str,
    max_depth: usize,
) -> Result<Input, String> {
    let all = Input::from_request(req, max_depth).map_err(|e: InputError| e.to_string())?;
    if envelope.is_empty() {
        return Ok(all);
    }
    match all.get(envelope) {
        None => Ok(Input::default()),
        Some(serde_json::Value::Object(fields)) => Ok(Input::from_fields(fields.clone())),
        // PHP and Ruby clients send `[]` or `""` for an empty object.
        Some(serde_json::Value::Array(a)) if a.is_empty() => Ok(Input::default()),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(Input::default()),
        Some(_) => Err(format!("the request body's {envelope} must be an object")),
    }
}

/// An id from a path or a body: `component-7` (the public API's spelling) or `7`.
pub(crate) fn parse_id(text: &str, kind: &str) -> Option<i64> {
    let digits = text
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

/// A component status in Statuspage's words.
pub(crate) fn component_status(word: &str) -> Result<ComponentStatus, Violation> {
    match word.trim() {
        "operational" => Ok(ComponentStatus::Operational),
        "degraded_performance" => Ok(ComponentStatus::PerformanceIssues),
        "partial_outage" => Ok(ComponentStatus::PartialOutage),
        "major_outage" => Ok(ComponentStatus::MajorOutage),
        "under_maintenance" => Err(Violation::Format {
            expected: "operational, degraded_performance, partial_outage or major_outage (a component is under maintenance while a maintenance window covers it)",
        }),
        _ => Err(Violation::NotAllowed {
            allowed: "operational, degraded_performance, partial_outage, major_outage",
        }),
    }
}

/// A realtime incident status in Statuspage's words.
pub(crate) fn incident_status(word: &str) -> Result<IncidentStatus, Violation> {
    match word.trim() {
        "investigating" => Ok(IncidentStatus::Investigating),
        "identified" => Ok(IncidentStatus::Identified),
        "monitoring" => Ok(IncidentStatus::Watching),
        "resolved" => Ok(IncidentStatus::Fixed),
        "scheduled" | "in_progress" | "verifying" | "completed" => Err(Violation::Format {
            expected: "investigating, identified, monitoring or resolved (maintenance windows are API v1's /schedules)",
        }),
        _ => Err(Violation::NotAllowed {
            allowed: "investigating, identified, monitoring, resolved",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_take_the_public_spelling_or_the_number() {
        assert_eq!(parse_id("component-7", "component"), Some(7));
        assert_eq!(parse_id("7", "component"), Some(7));
        assert_eq!(parse_id("incident-12", "incident"), Some(12));
        for bad in [
            "",
            "component-",
            "group-7",
            "component-0",
            "-7",
            "7a",
            "component-+7",
            "99999999999999999999",
        ] {
            assert_eq!(parse_id(bad, "component"), None, "{bad}");
        }
    }

    #[test]
    fn statuses_map_both_ways_and_refuse_what_has_no_meaning_here() {
        assert_eq!(
            component_status("degraded_performance"),
            Ok(ComponentStatus::PerformanceIssues)
        );
        assert!(component_status("under_maintenance").is_err());
        assert!(component_status("Major_Outage").is_err());
        assert_eq!(incident_status("monitoring"), Ok(IncidentStatus::Watching));
        assert_eq!(incident_status("resolved"), Ok(IncidentStatus::Fixed));
        assert!(incident_status("in_progress").is_err());
        assert!(incident_status("").is_err());
    }
}
