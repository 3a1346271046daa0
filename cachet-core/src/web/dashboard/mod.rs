//! The signed-in side: sign-in with TOTP (`/auth/...`), invitations, one-time
//! setup and the admin dashboard. Never cached: every page is per user.
//!
//! # Routes
//!
//! | path | what |
//! |---|---|
//! | `/auth/login`, `/auth/2fa` | sign-in, then the second factor when enrolled |
//! | `/auth/logout` | sign-out (POST only) |
//! | `/auth/reset`, `/auth/reset/{token}` | password reset by email |
//! | `/invite/{token}` | accepting an invitation |
//! | `/setup` | the one-time setup, while no admin exists |
//! | `{prefix}` (`/dashboard`) and below | the dashboard ([`chrome`] is its frame) |
//!
//! A stranger asking for any dashboard page is sent to `/auth/login` (303). Every handler
//! calls the facade with the signed-in actor, and the facade authorizes each call, so the
//! web layer never is the only check. Forms of signed-in users carry the session's
//! synchronizer token (checked with the origin by the guard in [`crate::web`] before any
//! handler runs); visitor forms carry a stateless token and check it, and the origin,
//! themselves ([`visitor`]).

mod account;
mod admin;
mod auth;
pub(crate) mod chrome;
pub(crate) mod content;
mod home;
mod integrations;
mod review;
mod setup;
pub(crate) mod visitor;

use std::net::IpAddr;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::{Cachet, SessionLookup};
use chrome::{DashboardRequest, Form};

/// The session cookie's secret presented with a request, if any.
pub(crate) fn session_cookie<'r>(cachet: &Cachet, req: &'r Request<Bytes>) -> Option<&'r str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| cachet.cookie_policy().read(c))
}

/// The device cookie's value from the request, if any (verified by the facade).
pub(crate) fn device_cookie<'r>(cachet: &Cachet, req: &'r Request<Bytes>) -> Option<&'r str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| cachet.cookie_policy().read_device(c))
}

/// Whether a path is under the configured dashboard prefix (never served from the snapshot
/// cache of guests' reads, whatever the prefix is called).
pub(crate) fn under_prefix(cachet: &Cachet, path: &str) -> bool {
    let prefix = chrome::prefix(cachet);
    path.strip_prefix(prefix.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Answers a sign-in, setup or dashboard route, or `None` when the path is not one.
pub(crate) async fn route(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
) -> Option<Response<Bytes>> {
    let path = req.uri().path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["auth", rest @ ..] => return auth::route(cachet, req, client, rest).await,
        ["setup"] => return Some(setup::setup(cachet, req, client).await),
        ["invite", token] => return Some(setup::invite(cachet, req, client, token).await),
        _ => {}
    }
    let prefix = chrome::prefix(cachet);
    let prefix_segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let rest = segments.strip_prefix(prefix_segments.as_slice())?;
    Some(dashboard(cachet, req, client, rest).await)
}

/// A dashboard page: resolve the session, send strangers to sign in, then dispatch.
async fn dashboard(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
    rest: &[&str],
) -> Response<Bytes> {
    let login = format!("{}/auth/login", chrome::mount_path(cachet));
    let Some(secret) = session_cookie(cachet, req) else {
        return chrome::see_other(&login);
    };
    let actor = match cachet.resolve_session(secret, client).await {
        Ok(SessionLookup::Active(actor)) => actor,
        Ok(SessionLookup::PendingSecondFactor(_)) => {
            return chrome::see_other(&format!("{}/auth/2fa", chrome::mount_path(cachet)));
        }
        Ok(SessionLookup::None) => return chrome::see_other(&login),
        Err(e) => {
            tracing::error!(error = ?crate::log::Escaped(&e), "session lookup failed");
            return crate::web::response::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown; please try again.\n",
            );
        }
    };
    let is_post = req.method() == Method::POST;
    if !matches!(*req.method(), Method::GET | Method::POST) {
        return chrome::method_not_allowed("GET, HEAD, POST");
    }
    let form = if is_post {
        match crate::web::form::body(req) {
            Some(f) => f,
            None => {
                return crate::web::response::plain(
                    StatusCode::BAD_REQUEST,
                    "bad request: the form body is not application/x-www-form-urlencoded\n",
                );
            }
        }
    } else {
        &crate::web::form::EMPTY
    };
    let query = req
        .uri()
        .query()
        .and_then(|q| Form::parse(q.as_bytes()))
        .unwrap_or_default();
    let dash = DashboardRequest {
        cachet,
        req,
        actor,
        client,
        form,
        query,
    };
    // An admin who must enrol in 2FA may use the profile page and sign out, nothing else
    // (the facade refuses the rest too; this only shows the way).
    if dash.actor.must_enroll_2fa() && rest.first() != Some(&"profile") {
        return dash.redirect("/profile");
    }
    let answer = match rest.first().copied() {
        None => Some(home::home(&dash).await),
        Some(
            "components" | "groups" | "incidents" | "templates" | "schedules" | "metrics"
            | "subscribers" | "deliveries",
        ) => content::route(cachet, &dash, rest).await,
        Some("tokens" | "profile") => account::route(&dash, rest).await,
        Some("users" | "invitations" | "settings" | "mail" | "audit" | "webhooks") => {
            admin::route(&dash, rest).await
        }
        Some("access-review" | "access-review.csv") => review::route(&dash, rest).await,
        Some("integrations") => integrations::route(&dash, rest).await,
        Some(_) => None,
    };
    answer.unwrap_or_else(crate::web::response::not_found_page)
}
