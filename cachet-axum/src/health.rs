//! The host's own routes, watched: a [`tower::Layer`] that records each answer of the routes it
//! wraps into a route group of [`HostHealth`]. Classification, windows, thresholds and the
//! writes to the status page live in the core ([`cachet_core::host_health`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use cachet_core::host_health::{HostHealth, RouteGroup};
use http::{Request, Response};

/// Records the status and duration of every answer of the routes it wraps into route group
/// `group` (a rule with [`Rule::routes`](cachet_core::host_health::Rule::routes) maps it to a
/// component):
///
/// ```
/// # use cachet_core::host_health::HostHealth;
/// # fn app(health: &HostHealth) -> axum::Router {
/// use cachet_axum::HostHealthLayer;
///
/// axum::Router::new()
///     .route("/checkout", axum::routing::post(|| async { "paid" }))
///     .route_layer(HostHealthLayer::new(health, "checkout"))
/// # }
/// ```
///
/// An error of the wrapped service (rare in axum, whose handlers answer) counts as a 500.
/// A request whose answer is never produced (the client went away) is not counted.
#[derive(Debug, Clone)]
pub struct HostHealthLayer {
    group: RouteGroup,
}

impl HostHealthLayer {
    /// A layer recording into route group `group` of `health`.
    #[must_use]
    pub fn new(health: &HostHealth, group: &str) -> Self {
        Self {
            group: health.route_group(group),
        }
    }
}

impl<S> tower::Layer<S> for HostHealthLayer {
    type Service = HostHealthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HostHealthService {
            inner,
            group: self.group.clone(),
        }
    }
}

/// The service [`HostHealthLayer`] wraps around the host's routes.
#[derive(Debug, Clone)]
pub struct HostHealthService<S> {
    inner: S,
    group: RouteGroup,
}

impl<S, B, R> tower::Service<Request<B>> for HostHealthService<S>
where
    S: tower::Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = HostHealthFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        HostHealthFuture {
            inner: self.inner.call(req),
            group: Some(self.group.clone()),
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a wrapped route, recorded when it is ready.
    pub struct HostHealthFuture<F> {
        #[pin]
        inner: F,
        group: Option<RouteGroup>,
        started: Instant,
    }
}

impl<F, R, E> Future for HostHealthFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = std::task::ready!(this.inner.poll(cx));
        if let Some(group) = this.group.take() {
            let status = out.as_ref().map_or(500, |r| r.status().as_u16());
            group.record(status, this.started.elapsed());
        }
        Poll::Ready(out)
    }
}
