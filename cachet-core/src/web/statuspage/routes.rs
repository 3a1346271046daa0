//! The Statuspage v2 endpoint table: every endpoint once, with its handler, the DTO it
//! answers with and what the OpenAPI document says about it. [`super::handle`] routes by it,
//! the `Allow` header of a 405 lists the methods it has for a path, and
//! [`crate::web::openapi`] builds the Statuspage `paths` from it, so an endpoint cannot be
//! served without being documented, or documented with another answer than it serves. The
//! shape follows API v1's table ([`crate::web::api_v1::routes`]).

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{Method, Response, StatusCode};

use super::dto::*;
use super::present::{self, View};
use crate::Error;
use crate::web::api_v1::routes::{Answer, Verb, bare};
use crate::web::response;

/// An endpoint's handler: what a visitor sees in, the serialized answer out.
pub(crate) type Handler =
    for<'a> fn(
        &'a View<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send + 'a>>;

/// One endpoint.
pub(crate) struct Route {
    /// Under `/api/v2/`.
    pub path: &'static str,
    pub verb: Verb,
    pub handler: Handler,
    /// The 200 answer's schema: the DTO the handler returns.
    pub ok: Answer,
    /// The OpenAPI operation id.
    pub id: &'static str,
    pub summary: &'static str,
}

/// One row of the table. The handler is an `async fn(&View) -> Result<$dto, Error>` and its
/// answer is documented as `$dto`: the wrapper names the type, so a handler that returned
/// another DTO than the row documents would not compile.
macro_rules! route {
    ($verb:ident, $path:literal, $handler:path, $dto:ty, $id:literal, $summary:literal) => {
        Route {
            path: $path,
            verb: Verb::$verb,
            handler: {
                fn run<'a>(
                    view: &'a View<'a>,
                ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send + 'a>>
                {
                    Box::pin(async move {
                        let answer: $dto = $handler(view).await?;
                        Ok(response::json(StatusCode::OK, &answer))
                    })
                }
                run as Handler
            },
            ok: bare::<$dto>(),
            id: $id,
            summary: $summary,
        }
    };
}

/// Every Statuspage v2 endpoint, in the order of the module docs' table.
pub(crate) static ROUTES: &[Route] = &[
    route!(
        Get,
        "summary.json",
        present::summary,
        SummaryDto,
        "sp_summary",
        "Page, status, components, unresolved incidents, open maintenances"
    ),
    route!(
        Get,
        "status.json",
        present::status,
        StatusResponseDto,
        "sp_status",
        "Page and top-level status"
    ),
    route!(
        Get,
        "components.json",
        present::components,
        ComponentsResponseDto,
        "sp_components",
        "Every visible component and group"
    ),
    route!(
        Get,
        "incidents.json",
        present::incidents,
        IncidentsResponseDto,
        "sp_incidents",
        "The 50 most recent incidents"
    ),
    route!(
        Get,
        "incidents/unresolved.json",
        present::unresolved,
        IncidentsResponseDto,
        "sp_incidents_unresolved",
        "Unresolved incidents"
    ),
    route!(
        Get,
        "scheduled-maintenances.json",
        present::maintenances,
        MaintenancesResponseDto,
        "sp_maintenances",
        "The 50 most recent maintenances"
    ),
    route!(
        Get,
        "scheduled-maintenances/upcoming.json",
        present::upcoming,
        MaintenancesResponseDto,
        "sp_maintenances_upcoming",
        "Maintenances not yet started"
    ),
    route!(
        Get,
        "scheduled-maintenances/active.json",
        present::active,
        MaintenancesResponseDto,
        "sp_maintenances_active",
        "Maintenances in progress"
    ),
];

/// The prefix every endpoint's path sits under.
pub(crate) const PREFIX: &str = "/api/v2/";

/// What the table says about a request.
pub(crate) enum Lookup {
    /// No endpoint has this path: 404.
    NotFound,
    /// The path is an endpoint without this method: 405.
    NoMethod,
    /// The endpoint.
    Route(&'static Route),
}

/// The rows of a path: its exact spelling only (no trailing slash, no case folding, no dot
/// segments), so one answer has one address and the snapshot cache one key.
fn rows(path: &str) -> impl Iterator<Item = &'static Route> + '_ {
    let under = path.strip_prefix(PREFIX);
    ROUTES.iter().filter(move |e| under == Some(e.path))
}

/// Finds the endpoint of a request; `HEAD` is `GET` without the body.
pub(crate) fn find(path: &str, method: &Method) -> Lookup {
    let wanted = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let mut rows = rows(path).peekable();
    if rows.peek().is_none() {
        return Lookup::NotFound;
    }
    rows.find(|e| e.verb.name() == wanted.as_str())
        .map_or(Lookup::NoMethod, Lookup::Route)
}

/// The methods a path answers, for the `Allow` header of a 405 (RFC 9110 15.5.6): its rows'
/// methods, `HEAD` after `GET`, and `OPTIONS`, which every endpoint answers (CORS preflight).
pub(crate) fn allowed(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for e in rows(path) {
        out.push(e.verb.name());
        if e.verb == Verb::Get {
            out.push("HEAD");
        }
    }
    if !out.is_empty() {
        out.push("OPTIONS");
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly() {
        assert!(matches!(
            find("/api/v2/summary.json", &Method::GET),
            Lookup::Route(e) if e.id == "sp_summary"
        ));
        assert!(matches!(
            find("/api/v2/incidents/unresolved.json", &Method::HEAD),
            Lookup::Route(e) if e.id == "sp_incidents_unresolved"
        ));
        assert!(matches!(
            find("/api/v2/scheduled-maintenances/active.json", &Method::GET),
            Lookup::Route(e) if e.id == "sp_maintenances_active"
        ));
        assert!(matches!(
            find("/api/v2/status.json", &Method::POST),
            Lookup::NoMethod
        ));
        for bad in [
            "/api/v2/",
            "/api/v2",
            "/api/v2/summary",
            "/api/v2/summary.json/",
            "/api/v2//summary.json",
            "/api/v2/SUMMARY.json",
            "/api/v2/incidents/../summary.json",
            "/api/v1/summary.json",
        ] {
            assert!(matches!(find(bad, &Method::GET), Lookup::NotFound), "{bad}");
            assert_eq!(allowed(bad), "", "{bad}");
        }
    }

    #[test]
    fn allow_lists_the_read_methods() {
        assert_eq!(allowed("/api/v2/summary.json"), "GET, HEAD, OPTIONS");
        assert_eq!(
            allowed("/api/v2/summary.json"),
            crate::web::cors::ALLOW_READ
        );
        assert_eq!(allowed("/api/v2/nothing.json"), "");
    }

    #[test]
    fn every_operation_id_and_path_is_unique_and_every_endpoint_is_described() {
        assert!(
            ROUTES
                .iter()
                .all(|e| !e.id.is_empty() && !e.summary.is_empty())
        );
        let mut ids: Vec<&str> = ROUTES.iter().map(|e| e.id).collect();
        let mut paths: Vec<(&str, &str)> = ROUTES.iter().map(|e| (e.path, e.verb.name())).collect();
        ids.sort_unstable();
        ids.dedup();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(ids.len(), ROUTES.len());
        assert_eq!(paths.len(), ROUTES.len());
    }
}
