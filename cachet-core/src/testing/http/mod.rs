//! The shared list of HTTP cases every host of the web layer must pass (feature `testing`).
//!
//! **Not covered by semver**, like the store suite: cases are added and tightened in minor
//! releases.
//!
//! The core answers requests through [`Cachet::handle`]; the axum and actix adapters only
//! convert types. To prove that an adapter changes nothing, the same cases run through the
//! core directly (`cachet-core/tests/http_cases.rs`) and through each adapter
//! (`tests/parity.rs` of `cachet-axum` and `cachet-actix`), at the root and mounted under a
//! prefix.
//!
//! A case is data: a name, a [`Fixture`] list (created through the facade on a fresh
//! [`Cachet`] over a [`MemoryStore`] with a [`ManualClock`], public URL
//! `https://status.example.com` plus the mount prefix), one request, and what the answer must
//! be (status, headers, body). The runner builds the fixtures, hands the request to the
//! host's `send` function, checks the answer and collects every failure with the case's name.
//! Besides each case's own expectations, every answer must carry the security headers, must
//! not be a 500, and an API error must use Cachet's envelope with the request id.
//! [`run_identical`] goes further for adapters: every case's whole answer through the host
//! must equal the core's.
//!
//! ```
//! use cachet_core::testing::http;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! rt.block_on(async {
//!     // A host's `send`: here the core itself; an adapter converts and calls its framework.
//!     let send = |cachet: cachet_core::Cachet, req, cx| async move { cachet.handle(req, cx).await };
//!     let some = &http::cases()[..10];
//!     let summary = http::run_cases(some, "", send)
//!         .await
//!         .unwrap_or_else(|failures| panic!("{}", failures.join("\n\n")));
//!     assert_eq!(summary.passed + summary.known_bugs.len(), 10);
//! });
//! ```
//!
//! A case may carry a known bug ([`HttpCase::known_bug`]): it then runs as usual, and its
//! failure is listed in [`Summary::known_bugs`] instead of failing the run; once it passes it
//! is listed in [`Summary::no_longer_failing`], which the core's own run requires to be
//! empty, so the marker goes with the fix.

mod case;
mod cases_alerts;
mod cases_cachet3;
mod cases_components;
mod cases_core;
mod cases_dashboard;
mod cases_groups;
mod cases_incidents;
mod cases_metrics;
mod cases_pages;
mod cases_schedules;
mod cases_statuspage;
mod cases_statuspage_manage;
mod cases_subscribers;
mod cases_telemetry;
mod check;
mod host_health;
mod site;

use std::fmt::Write as _;
use std::future::Future;

use bytes::Bytes;
use http::{Method, Request, Response};

use crate::Cachet;
use crate::web::RequestContext;

pub use case::{
    Auth, BodyCheck, CaseRequest, Configure, Expect, Fixture, HeaderCheck, HttpCase, TokenKind,
    component,
};
pub use cases_alerts::ALERT_SECRET;
pub use cases_telemetry::PROMETHEUS_TOKEN;
use check::{check, difference, header};
pub use host_health::HostHealthSite;
pub use site::Site;

/// The public URL of every case's site, before the mount prefix.
pub const PUBLIC_HOST: &str = "https://status.example.com";

/// The peer address of a case's requests unless the case says otherwise.
pub const DEFAULT_PEER: &str = "192.0.2.10:40000";

/// The password of every user the fixtures create.
pub const PASSWORD: &str = "tangerine orbit cactus lullaby";

/// Every case, in a stable order.
#[must_use]
pub fn cases() -> Vec<HttpCase> {
    let mut all = Vec::new();
    all.extend(cases_core::cases());
    all.extend(cases_components::cases());
    all.extend(cases_groups::cases());
    all.extend(cases_incidents::cases());
    all.extend(cases_metrics::cases());
    all.extend(cases_schedules::cases());
    all.extend(cases_subscribers::cases());
    all.extend(cases_statuspage::cases());
    all.extend(cases_statuspage_manage::cases());
    all.extend(cases_cachet3::cases());
    all.extend(cases_pages::cases());
    all.extend(cases_dashboard::cases());
    all.extend(cases_telemetry::cases());
    all.extend(cases_alerts::cases());
    all
}

/// The outcome of a run that did not fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases with a known bug that still fail, with their failure.
    pub known_bugs: Vec<String>,
    /// Cases marked with a known bug that passed. Through the core this means the bug is
    /// fixed and the marker should go; through an adapter it may be the framework's doing
    /// (axum drops the body of every answer to `HEAD`).
    pub no_longer_failing: Vec<String>,
}

/// Runs every case at the root (the core, or an adapter serving the whole site).
///
/// # Errors
///
/// Every failure, each starting with the case's name.
pub async fn run_all<F, Fut>(send: F) -> Result<Summary, Vec<String>>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    run_cases(&cases(), "", send).await
}

/// Runs cases with the site mounted at `prefix` (`""` or `/status`): requests go to
/// `prefix + path` and the public URL ends with the prefix, so links must carry it.
///
/// # Errors
///
/// Every failure, each starting with the case's name.
pub async fn run_cases<F, Fut>(
    cases: &[HttpCase],
    prefix: &str,
    send: F,
) -> Result<Summary, Vec<String>>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let mut failures = Vec::new();
    let mut summary = Summary::default();
    for case in cases {
        let outcome = run_case(case, prefix, &send).await;
        match (outcome, case.known_bug) {
            (Ok(()), None) => summary.passed += 1,
            (Err(why), None) => failures.push(format!("[{}{}] {why}", prefix, case.name)),
            (Err(why), Some(bug)) => summary
                .known_bugs
                .push(format!("[{}] known bug ({bug}): {why}", case.name)),
            (Ok(()), Some(bug)) => {
                summary.passed += 1;
                summary
                    .no_longer_failing
                    .push(format!("[{}] {bug}", case.name));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for case in cases {
        if !seen.insert(case.name.as_str()) {
            failures.push(format!("[{}] duplicate case name", case.name));
        }
    }
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(failures)
    }
}

async fn run_case<F, Fut>(case: &HttpCase, prefix: &str, send: &F) -> Result<(), String>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let (site, req, cx) = Site::for_case(case, prefix, send).await?;
    let head = req.method() == Method::HEAD;
    let https = site.cachet.config().public_url.is_https();
    let resp = send(site.cachet.clone(), req, cx).await;
    let mut errors = Vec::new();
    check(&case.expect, &resp, &site.public_url, head, &mut errors);
    if !https {
        // `check` wants HSTS everywhere; over plain http it must be absent instead.
        errors.retain(|e| !e.contains("strict-transport-security"));
        if resp.headers().contains_key("strict-transport-security") {
            errors.push("HSTS over plain http".to_owned());
        }
    }
    let path = case.request.path.split('?').next().unwrap_or("");
    if path.starts_with("/api/") || path == "/api/v1" || path.starts_with("/v1/pages/") {
        if resp.headers().contains_key("set-cookie") {
            errors.push("an API answer sets a cookie".to_owned());
        }
        let json = header(resp.headers(), "content-type").is_some_and(|c| {
            c.starts_with("application/json") || c.starts_with("application/vnd.api+json")
        });
        if !resp.body().is_empty() && !json {
            errors.push("an API answer with a body that is not application/json".to_owned());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let body = String::from_utf8_lossy(resp.body());
        let shown: String = body.chars().take(600).collect();
        let mut msg = format!("{} {}:", case.request.method, case.request.path);
        for e in &errors {
            let _ = write!(msg, "\n  - {e}");
        }
        let _ = write!(msg, "\n  answer {}: {shown}", resp.status());
        Err(msg)
    }
}

/// Runs every case twice on identical fresh sites, once through the host's `send` at
/// `prefix` and once through [`Cachet::handle`] directly, and requires the same answer:
/// status, headers (but `X-Request-Id`, `Retry-After`, which follows the wall clock, and the
/// framing `Content-Length`) and
/// body (with the request id masked). This is the adapters' strongest parity proof: whatever
/// a case does not assert, a host may still not change.
///
/// # Errors
///
/// Every difference, each starting with the case's name.
pub async fn run_identical<F, Fut>(prefix: &str, send: F) -> Result<usize, Vec<String>>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let core = |c: Cachet, req: Request<Bytes>, cx: RequestContext| async move {
        // The core sees the path below the mount point, as the adapters give it.
        let (mut parts, body) = req.into_parts();
        if let Some(rest) = parts
            .uri
            .path_and_query()
            .and_then(|pq| pq.as_str().strip_prefix(prefix))
            .and_then(|rest| {
                let rest = if rest.starts_with('/') {
                    rest.to_owned()
                } else {
                    format!("/{rest}")
                };
                rest.parse::<http::Uri>().ok()
            })
        {
            parts.uri = rest;
        }
        c.handle(Request::from_parts(parts, body), cx).await
    };
    let mut differences = Vec::new();
    let cases = cases();
    for case in &cases {
        match (
            answer(case, prefix, &core).await,
            answer(case, prefix, &send).await,
        ) {
            (Ok(a), Ok(b)) => {
                if let Some(d) = difference(&a, &b) {
                    differences.push(format!("[{}] core and host differ: {d}", case.name));
                }
            }
            (Err(e), _) | (_, Err(e)) => differences.push(format!("[{}] {e}", case.name)),
        }
    }
    if differences.is_empty() {
        Ok(cases.len())
    } else {
        Err(differences)
    }
}

async fn answer<F, Fut>(case: &HttpCase, prefix: &str, send: &F) -> Result<Response<Bytes>, String>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let (site, req, cx) = Site::for_case(case, prefix, send).await?;
    Ok(send(site.cachet.clone(), req, cx).await)
}
