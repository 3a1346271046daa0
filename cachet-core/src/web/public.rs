//! The public, read-only surfaces besides the JSON APIs: the HTML pages, feeds, badges,
//! chart data and static assets. Every route here is a guest's `GET`; answers hold nothing
//! per visitor, so the snapshot cache can serve them.
//!
//! The route table is [`resolve`]: one arm per route, and next to it ([`Route::reads`]) the
//! one declaration of what that route's render reads from the request besides the path:
//! which query parameters (each with its canonical form) and whether `Accept-Language`. The
//! snapshot cache keys an answer by exactly that and renders from exactly that, so a
//! parameter a route does not read cannot make a new cache entry (`?b=<random>` shares the
//! entry of the bare path), and two spellings of one value share one entry.

use bytes::Bytes;
use http::{Request, Response};

use crate::Cachet;
use crate::web::pages;

/// The value a canonicaliser gives to a parameter whose value the render refuses or ignores
/// in favour of a fixed answer (a 400, or an empty chart): every such value shares one key,
/// and the render, reading this value, gives that same answer.
pub(crate) const INVALID: &str = "invalid";

/// One query parameter a route's render reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryParam {
    /// Its name.
    pub(crate) name: &'static str,
    /// Its canonical value, from the whole raw query string exactly as the render would
    /// read it: `None` when the render would behave as without it; [`INVALID`] when the
    /// render answers every unusable value alike. Rendering the canonical query must give
    /// what rendering the raw one gives.
    pub(crate) canonical: fn(Option<&str>) -> Option<String>,
}

/// What a route's render reads besides its path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reads {
    /// The query parameters, sorted by name.
    pub(crate) query: &'static [QueryParam],
    /// Whether the answer follows `Accept-Language` (when automatic localisation is on).
    pub(crate) language: bool,
}

impl Reads {
    /// Nothing but the path.
    pub(crate) const PATH_ONLY: Self = Self {
        query: &[],
        language: false,
    };
}

/// `/?start_date=YYYY-MM-DD`: the day the status page's history ends.
const START_DATE: QueryParam = QueryParam {
    name: "start_date",
    canonical: pages::canonical_start_date,
};

/// `/metrics/{id}?filter=<view>`: the chart view.
const CHART_FILTER: QueryParam = QueryParam {
    name: "filter",
    canonical: |query| {
        // As `charts::handle` reads it: the first `filter` pair of a parseable query.
        let value = query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "filter"))
            .map(|(_, v)| v)?;
        Some(match crate::web::charts::parse_view(&value) {
            Some(_) => value,
            // Unknown views answer an empty series, whatever the spelling.
            None => INVALID.to_owned(),
        })
    },
};

/// `?style=flat-square` on badges (anything else is the default style).
const BADGE_STYLE: QueryParam = QueryParam {
    name: "style",
    canonical: |query| match crate::web::badge::Style::from_query(query) {
        crate::web::badge::Style::FlatSquare => Some("flat-square".to_owned()),
        crate::web::badge::Style::Flat => None,
    },
};

/// A public route, resolved from the path alone.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route<'a> {
    /// `/metrics/{id}`: chart data.
    Chart(&'a str),
    /// The RSS, Atom and iCalendar feeds.
    Feed(&'a str),
    /// The page's badge, or a component's.
    Badge(Option<&'a str>),
    /// An HTML page.
    Page(pages::Page),
    /// `/incidents/…`, `/schedules/…` or `/components/…` with something not an id.
    BadId,
    /// A hash-versioned static asset.
    Asset(&'a str),
}

impl Route<'_> {
    /// What the route's render reads besides the path: the one declaration the snapshot
    /// cache keys by (see the module docs).
    pub(crate) fn reads(self) -> Reads {
        match self {
            Route::Page(pages::Page::Status) => Reads {
                query: &[START_DATE],
                language: true,
            },
            Route::Page(_) => Reads {
                query: &[],
                language: true,
            },
            Route::Chart(_) => Reads {
                query: &[CHART_FILTER],
                language: false,
            },
            Route::Badge(_) => Reads {
                query: &[BADGE_STYLE],
                language: false,
            },
            Route::Feed(_) | Route::BadId | Route::Asset(_) => Reads::PATH_ONLY,
        }
    }
}

/// The route table: the public route a path names, or `None`.
pub(crate) fn resolve(path: &str) -> Option<Route<'_>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    Some(match segments.as_slice() {
        ["metrics", id] => Route::Chart(id),
        [feed @ ("rss" | "atom" | "history.rss" | "history.atom" | "schedules.ics")] => {
            Route::Feed(feed)
        }
        ["badge.svg"] => Route::Badge(None),
        ["components", id, "badge.svg"] | ["component", id, "shield"] => Route::Badge(Some(id)),
        [] if path == "/" => Route::Page(pages::Page::Status),
        [kind @ ("incidents" | "schedules" | "components"), id] => match pages::parse_id(id) {
            Some(n) => Route::Page(match *kind {
                "incidents" => pages::Page::Incident(n),
                "schedules" => pages::Page::Schedule(n),
                _ => pages::Page::Component(n),
            }),
            None => Route::BadId,
        },
        ["assets", file] => Route::Asset(file),
        _ => return None,
    })
}

/// Answers a public `GET` route, or `None` when the path is not one.
pub(crate) async fn route(cachet: &Cachet, req: &Request<Bytes>) -> Option<Response<Bytes>> {
    Some(match resolve(req.uri().path())? {
        Route::Chart(id) => crate::web::charts::handle(cachet, req, id).await,
        Route::Feed(feed) => return crate::web::feeds::respond(cachet, req, feed).await,
        Route::Badge(id) => crate::web::badge::respond(cachet, req, id).await,
        Route::Page(page) => pages::render(cachet, req, page).await,
        Route::BadId => crate::web::response::not_found_page(),
        Route::Asset(file) => pages::asset(cachet, file).await,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn canonical(param: QueryParam, query: &str) -> Option<String> {
        (param.canonical)(Some(query))
    }

    #[test]
    fn declared_parameters_are_sorted_and_unique() {
        for path in [
            "/",
            "/incidents/1",
            "/metrics/1",
            "/badge.svg",
            "/rss",
            "/assets/x",
        ] {
            let names: Vec<&str> = resolve(path)
                .unwrap()
                .reads()
                .query
                .iter()
                .map(|p| p.name)
                .collect();
            assert!(names.windows(2).all(|w| w[0] < w[1]), "{path}: {names:?}");
        }
    }

    #[test]
    fn canonical_values_are_what_the_render_reads() {
        assert_eq!(canonical(START_DATE, "b=1"), None);
        assert_eq!(
            canonical(START_DATE, "b=1&start_date=2026-11-01").as_deref(),
            Some("2026-11-01")
        );
        assert_eq!(
            canonical(START_DATE, "start_date=2026-13-01").as_deref(),
            Some(INVALID)
        );
        assert_eq!(
            canonical(START_DATE, "start_date=2026-11-01&start_date=2026-11-02").as_deref(),
            Some(INVALID),
            "a repeated start_date is refused by the render"
        );
        assert_eq!(canonical(CHART_FILTER, "b=1"), None);
        assert_eq!(
            canonical(CHART_FILTER, "filter=week&filter=today").as_deref(),
            Some("week")
        );
        assert_eq!(
            canonical(CHART_FILTER, "filter=%3Cx%3E").as_deref(),
            Some(INVALID)
        );
        assert_eq!(canonical(BADGE_STYLE, "style=flat&b=2"), None);
        assert_eq!(
            canonical(BADGE_STYLE, "style=flat-square").as_deref(),
            Some("flat-square")
        );
        // The invalid marker is read by each render as an unusable value.
        assert!(crate::web::charts::parse_view(INVALID).is_none());
        assert_eq!(
            pages::canonical_start_date(Some(&format!("start_date={INVALID}"))).as_deref(),
            Some(INVALID)
        );
    }
}
