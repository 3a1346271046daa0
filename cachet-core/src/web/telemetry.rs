//! The Prometheus endpoint and the web layer's side of the operators' counters
//! (ARCHITECTURE.md section 9): which route group a request belongs to, timing the snapshot
//! cache's renders, and gathering every figure into one text document when scraped.
//!
//! The endpoint is off unless [`WebConfig::prometheus`](crate::web::WebConfig::prometheus)
//! is set; then it answers at its path to `GET` / `HEAD` with `Authorization: Bearer <token>`
//! only, before the snapshot cache and every other route, so a scrape is never cached and
//! never reaches a page handler. Counters are read as they are (relaxed atomics); the outbox
//! depth is read from the store at each scrape, since other instances move it too.

use std::future::Future;
use std::time::Instant;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};

use super::{dashboard, response};
use crate::Cachet;
use crate::model::{DeliveryStatus, OutboxStatus};
use crate::store::{DeliveryFilter, DeliveryQuery, OutboxFilter, OutboxQuery, PageRequest};
use crate::telemetry::{Exposition, RouteGroup};

/// The route group of a path (relative to the mount point), by prefix only: this runs for
/// every request, cached answers included, so it allocates nothing for the common groups.
pub(crate) fn route_group(cachet: &Cachet, path: &str) -> RouteGroup {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api/v1") {
        return RouteGroup::ApiV1;
    }
    // Statuspage's public JSON and its management API.
    if under("/api/v2") || under("/v1/pages") {
        return RouteGroup::Statuspage;
    }
    if path.starts_with("/assets/") {
        return RouteGroup::Assets;
    }
    if path.starts_with("/metrics/")
        || path.ends_with("/badge.svg")
        || path.ends_with("/shield")
        || matches!(
            path,
            "/rss" | "/atom" | "/history.rss" | "/history.atom" | "/schedules.ics"
        )
    {
        return RouteGroup::Feeds;
    }
    if path == "/"
        || under("/incidents")
        || under("/schedules")
        || under("/components")
        || under("/subscribe")
        || under("/unsubscribe")
    {
        return RouteGroup::Pages;
    }
    if under("/auth")
        || under("/setup")
        || under("/invite")
        || dashboard::under_prefix(cachet, path)
    {
        return RouteGroup::Dashboard;
    }
    RouteGroup::Other
}

/// Counts an answered request in its route group and status class.
pub(crate) fn record_request(cachet: &Cachet, path: &str, status: StatusCode) {
    cachet
        .telemetry()
        .record_request(route_group(cachet, path), status.as_u16());
}

/// Runs a snapshot render and records how long it took (with its compression).
pub(crate) async fn timed_render<T>(cachet: &Cachet, render: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = render.await;
    cachet.telemetry().record_render(started.elapsed());
    out
}

/// The bearer token of a request, if it sends one.
fn bearer(req: &Request<Bytes>) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Answers a request for the Prometheus endpoint, or `None` when the endpoint is off or the
/// path is another.
pub(crate) async fn endpoint(cachet: &Cachet, req: &Request<Bytes>) -> Option<Response<Bytes>> {
    let config = cachet.web_config().prometheus.as_ref()?;
    if req.uri().path() != config.path() {
        return None;
    }
    if req.method() != Method::GET {
        let mut r = response::plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Some(r);
    }
    if !bearer(req).is_some_and(|t| config.accepts(t)) {
        let mut r = response::plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
        r.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"cachet metrics\""),
        );
        return Some(r);
    }
    let mut r = Response::new(Bytes::from(cachet.prometheus_text().await));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(Exposition::CONTENT_TYPE),
    );
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(r)
}

impl Cachet {
    /// Every operator metric of this facade in the Prometheus text format (version 0.0.4),
    /// as the Prometheus endpoint serves it: for a host that serves the figures itself, on
    /// a listener or route of its own. Reads the outbox depth from the store.
    pub async fn prometheus_text(&self) -> String {
        let mut out = Exposition::new();
        self.telemetry().write_to(&mut out);
        let stats = self.snapshot_stats();
        out.family(
            "cachet_cache_requests_total",
            "Guests' public reads looked up in the snapshot cache, by result (stale: served the previous render while a re-render ran).",
            "counter",
        );
        let fresh_hits = stats.hits.saturating_sub(stats.stale_served);
        for (result, n) in [
            ("hit", fresh_hits),
            ("stale", stats.stale_served),
            ("miss", stats.renders),
        ] {
            out.sample("cachet_cache_requests_total", &[("result", result)], n);
        }
        out.gauge(
            "cachet_cache_entries",
            "Entries held by the snapshot cache.",
            stats.entries,
        );
        out.counter(
            "cachet_renders_total",
            "Renders started for the snapshot cache.",
            stats.renders,
        );
        out.family(
            "cachet_rate_limited_total",
            "Requests refused with 429 by a rate limit, by limit.",
            "counter",
        );
        for (limit, n) in self.limiters().denials() {
            out.sample("cachet_rate_limited_total", &[("limit", limit)], n);
        }
        self.write_store_figures(&mut out).await;
        out.finish()
    }

    /// The outbox depth and the pool's use; `cachet_store_up` says whether the store
    /// answered (when it did not, the depth is left out rather than shown as 0).
    async fn write_store_figures(&self, out: &mut Exposition) {
        let one = PageRequest::new(1, 1);
        let events = self
            .store()
            .outbox_events(
                &OutboxQuery::filtered(OutboxFilter {
                    status: Some(OutboxStatus::Pending),
                })
                .paged(one),
            )
            .await;
        let deliveries = self
            .store()
            .deliveries(
                &DeliveryQuery::filtered(DeliveryFilter {
                    event_id: None,
                    status: Some(DeliveryStatus::Pending),
                    ..DeliveryFilter::default()
                })
                .paged(one),
            )
            .await;
        let up = events.is_ok() && deliveries.is_ok();
        out.gauge(
            "cachet_store_up",
            "Whether the store answered this scrape's reads (1) or not (0).",
            u8::from(up),
        );
        if let (Ok(events), Ok(deliveries)) = (events, deliveries) {
            out.gauge(
                "cachet_outbox_pending_events",
                "Notification events waiting to be fanned out.",
                events.total,
            );
            out.gauge(
                "cachet_outbox_pending_deliveries",
                "Deliveries waiting to be sent or retried, all channels.",
                deliveries.total,
            );
            // Each channel's depth on its own: a paced SMS backlog must not hide in the mail's.
            let mut by_channel = Vec::new();
            for channel in crate::notify::Channel::ALL {
                let pending = self
                    .store()
                    .deliveries(
                        &DeliveryQuery::filtered(DeliveryFilter {
                            status: Some(DeliveryStatus::Pending),
                            channel: Some(channel.as_str().to_owned()),
                            ..DeliveryFilter::default()
                        })
                        .paged(one),
                    )
                    .await;
                if let Ok(pending) = pending {
                    by_channel.push((channel, pending.total));
                }
            }
            out.family(
                "cachet_outbox_pending_deliveries_by_channel",
                "Deliveries waiting to be sent or retried, by channel.",
                "gauge",
            );
            for (channel, total) in by_channel {
                out.sample(
                    "cachet_outbox_pending_deliveries_by_channel",
                    &[("channel", channel.as_str())],
                    total,
                );
            }
        }
        if let Some(pool) = self.store().pool_stats() {
            out.family(
                "cachet_store_pool_connections",
                "Database connections open now, by state.",
                "gauge",
            );
            out.sample(
                "cachet_store_pool_connections",
                &[("state", "in_use")],
                pool.in_use(),
            );
            out.sample(
                "cachet_store_pool_connections",
                &[("state", "idle")],
                pool.idle,
            );
            out.gauge(
                "cachet_store_pool_max_connections",
                "The most database connections the pool opens.",
                pool.max,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::bearer;

    #[test]
    fn only_a_bearer_credential_is_taken() {
        let req = |v: &str| {
            Request::builder()
                .header("authorization", v)
                .body(bytes::Bytes::new())
                .unwrap()
        };
        assert_eq!(bearer(&req("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&req("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&req("Basic abc")), None);
        assert_eq!(bearer(&req("Bearer")), None);
    }
}
