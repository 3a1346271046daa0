//! The public, read-only surfaces besides the JSON APIs: the HTML pages, feeds, badges,
//! chart data and static assets (issue 5). Every route here is a guest's `GET`; answers hold
//! nothing per visitor, so the snapshot cache can serve them.
//!
//! Each area adds one arm to [`route`]; `None` means "not a public route" (the caller answers
//! 404).

use bytes::Bytes;
use http::{Request, Response};

use crate::{Cachet, pages};

/// Answers a public `GET` route, or `None` when the path is not one.
pub(crate) async fn route(cachet: &Cachet, req: &Request<Bytes>) -> Option<Response<Bytes>> {
    let path = req.uri().path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let _ = cachet;
    #[allow(clippy::match_single_binding)] // one arm per area is added by issue 5's work
    match segments.as_slice() {
        // (routes are added here, one arm per area)
        ["metrics", id] => Some(crate::charts::handle(cachet, req, id).await),
        [feed @ ("rss" | "atom" | "history.rss" | "history.atom" | "schedules.ics")] => {
            crate::feeds::respond(cachet, req, feed).await
        }
        ["badge.svg"] => Some(crate::badge::respond(cachet, req, None).await),
        ["components", id, "badge.svg"] | ["component", id, "shield"] => {
            Some(crate::badge::respond(cachet, req, Some(id)).await)
        }
        // The HTML pages and versioned assets (crate::pages).
        [] if path == "/" => Some(pages::render(cachet, req, pages::Page::Status).await),
        [kind @ ("incidents" | "schedules" | "components"), id] => {
            Some(match pages::parse_id(id) {
                Some(n) => {
                    let page = match *kind {
                        "incidents" => pages::Page::Incident(n),
                        "schedules" => pages::Page::Schedule(n),
                        _ => pages::Page::Component(n),
                    };
                    pages::render(cachet, req, page).await
                }
                None => crate::web::response::not_found_page(),
            })
        }
        ["assets", file] => Some(pages::asset(cachet, file).await),
        _ => None,
    }
}
