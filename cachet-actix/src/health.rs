//! The host's own routes, watched: an actix-web middleware that records each answer of the
//! routes it wraps into a route group of [`HostHealth`]. Classification, windows, thresholds
//! and the writes to the status page live in the core ([`cachet_core::host_health`]).

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use cachet_core::host_health::{HostHealth, RouteGroup};

/// Records the status and duration of every answer of the routes it wraps into route group
/// `group` (a rule with [`Rule::routes`](cachet_core::host_health::Rule::routes) maps it to a
/// component):
///
/// ```
/// # use cachet_core::host_health::HostHealth;
/// # fn app(health: &HostHealth) {
/// use actix_web::{App, HttpResponse, web};
/// use cachet_actix::HostHealthMiddleware;
///
/// App::new().service(
///     web::resource("/checkout")
///         .wrap(HostHealthMiddleware::new(health, "checkout"))
///         .route(web::post().to(|| async { HttpResponse::Ok().body("paid") })),
/// );
/// # }
/// ```
///
/// An error of the wrapped service counts with the status its error response would have.
#[derive(Debug, Clone)]
pub struct HostHealthMiddleware {
    group: RouteGroup,
}

impl HostHealthMiddleware {
    /// A middleware recording into route group `group` of `health`.
    #[must_use]
    pub fn new(health: &HostHealth, group: &str) -> Self {
        Self {
            group: health.route_group(group),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for HostHealthMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = HostHealthService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(HostHealthService {
            service: Rc::new(service),
            group: self.group.clone(),
        }))
    }
}

/// The service [`HostHealthMiddleware`] wraps around the host's routes.
#[derive(Debug)]
pub struct HostHealthService<S> {
    service: Rc<S>,
    group: RouteGroup,
}

impl<S, B> Service<ServiceRequest> for HostHealthService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let answer = self.service.call(req);
        let group = self.group.clone();
        Box::pin(async move {
            let out = answer.await;
            let status = match &out {
                Ok(resp) => resp.status().as_u16(),
                Err(e) => e.as_response_error().status_code().as_u16(),
            };
            group.record(status, started.elapsed());
            out
        })
    }
}
