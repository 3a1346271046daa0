//! Sign-in (`/auth/login`), the second factor (`/auth/2fa`), sign-out (`POST /auth/logout`)
//! and the password reset by email (`/auth/reset`, `/auth/reset/{token}`).
//!
//! Sign-in goes through the facade ([`Cachet::sign_in`], [`Cachet::complete_second_factor_from`]),
//! which throttles per account and per address (or per device for a browser that signed in
//! before: the device cookie), answers the same for unknown accounts and wrong passwords, and
//! rotates the session id. The session cookie is set only from the
//! facade's ticket ([`crate::auth::session::CookiePolicy`]). A GET never changes anything:
//! `GET /auth/logout` is 405.

use std::net::IpAddr;

use askama::Template;
use bytes::Bytes;
use http::header::SET_COOKIE;
use http::{HeaderValue, Method, Request, Response, StatusCode};

use super::chrome::{Form, method_not_allowed, mount_path, prefix, see_other};
use super::visitor::{self, VisitorChrome};
use crate::i18n::Msg;
use crate::{Cachet, Error, LoginOutcome, SessionLookup, SessionTicket, SignInClient};

#[derive(Template)]
#[template(path = "auth_login.html")]
struct LoginPage {
    v: VisitorChrome,
    email: String,
}

#[derive(Template)]
#[template(path = "auth_2fa.html")]
struct TwoFactorPage {
    v: VisitorChrome,
}

#[derive(Template)]
#[template(path = "auth_reset.html")]
struct ResetPage {
    v: VisitorChrome,
    /// Show the form (false after a request: only the notice).
    form: bool,
}

#[derive(Template)]
#[template(path = "auth_reset_token.html")]
struct ResetTokenPage {
    v: VisitorChrome,
    /// The link still works: show the form.
    valid: bool,
    /// The password rules.
    hint: String,
    action: String,
}

/// Answers `/auth/...`, or `None` for an unknown path.
pub(super) async fn route(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
    rest: &[&str],
) -> Option<Response<Bytes>> {
    Some(match rest {
        ["login"] => login(cachet, req, client).await,
        ["2fa"] => second_factor(cachet, req, client).await,
        ["logout"] => logout(cachet, req, client).await,
        ["reset"] => reset(cachet, req, client).await,
        ["reset", token] => reset_token(cachet, req, client, token).await,
        _ => return None,
    })
}

fn user_agent(req: &Request<Bytes>) -> Option<&str> {
    req.headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

fn dashboard_home(cachet: &Cachet) -> String {
    format!("{}{}", mount_path(cachet), prefix(cachet))
}

fn with_cookie(mut resp: Response<Bytes>, set_cookie: &str) -> Response<Bytes> {
    if let Ok(v) = HeaderValue::from_str(set_cookie) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// Sets the session cookie of a ticket, and the device cookie when the sign-in completed.
fn with_ticket(resp: Response<Bytes>, ticket: &SessionTicket) -> Response<Bytes> {
    let resp = with_cookie(resp, &ticket.set_cookie);
    match &ticket.device_cookie {
        Some(device) => with_cookie(resp, device),
        None => resp,
    }
}

fn throttled_text(v: &VisitorChrome, e: &Error) -> String {
    match e {
        Error::Throttled { retry_after } => v.c.cat.tf(
            Msg::TooManyAttempts,
            &[&retry_after.num_seconds().max(1).to_string()],
        ),
        _ => String::new(),
    }
}

fn retry_after(mut resp: Response<Bytes>, e: &Error) -> Response<Bytes> {
    if let Error::Throttled { retry_after } = e
        && let Ok(v) = HeaderValue::from_str(&retry_after.num_seconds().max(1).to_string())
    {
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    resp
}

async fn login(cachet: &Cachet, req: &Request<Bytes>, client: Option<IpAddr>) -> Response<Bytes> {
    let cookie = super::session_cookie(cachet, req);
    if req.method() == Method::GET {
        // Already signed in: straight to the dashboard (a lookup, no state change).
        if let Some(secret) = cookie
            && let Ok(SessionLookup::Active(_)) = cachet.resolve_session(secret, client).await
        {
            return see_other(&dashboard_home(cachet));
        }
        let mut v = match visitor::chrome(cachet, req, "login").await {
            Ok(v) => v,
            Err(e) => return visitor::internal(&e),
        };
        let query = req
            .uri()
            .query()
            .and_then(|q| Form::parse(q.as_bytes()))
            .unwrap_or_default();
        v.notice = match query.get("done") {
            Some("signed-out") => Some(v.t(Msg::SignedOut).to_owned()),
            Some("reset") => Some(v.t(Msg::PasswordWasReset).to_owned()),
            Some("welcome") => Some(v.t(Msg::AccountCreated).to_owned()),
            _ => None,
        };
        let page = LoginPage {
            v,
            email: String::new(),
        };
        return visitor::render(StatusCode::OK, &page, page.v.c.lang());
    }
    if req.method() != Method::POST {
        return method_not_allowed("GET, HEAD, POST");
    }
    let Some(form) = visitor::parse_form(req) else {
        return visitor::bad_body();
    };
    if let Some(refused) = visitor::check_post(cachet, req, client, "login", form).await {
        return refused;
    }
    let email = form.text("email");
    let from = SignInClient::at(client)
        .user_agent(user_agent(req))
        .device(super::device_cookie(cachet, req))
        .previous_session(cookie);
    let outcome = cachet.sign_in(email, form.text("password"), from).await;
    match outcome {
        Ok(LoginOutcome::SignedIn(ticket)) => {
            with_ticket(see_other(&dashboard_home(cachet)), &ticket)
        }
        Ok(LoginOutcome::SecondFactorRequired(ticket)) => with_cookie(
            see_other(&format!("{}/auth/2fa", mount_path(cachet))),
            &ticket.set_cookie,
        ),
        Err(e) => {
            let mut v = match visitor::chrome(cachet, req, "login").await {
                Ok(v) => v,
                Err(e) => return visitor::internal(&e),
            };
            let status = match &e {
                Error::InvalidCredentials => {
                    v.error = Some(v.t(Msg::WrongCredentials).to_owned());
                    StatusCode::UNAUTHORIZED
                }
                Error::Throttled { .. } => {
                    v.error = Some(throttled_text(&v, &e));
                    StatusCode::TOO_MANY_REQUESTS
                }
                Error::InsecureTransport => {
                    v.error = Some(v.t(Msg::InsecureSignIn).to_owned());
                    StatusCode::FORBIDDEN
                }
                other => return visitor::internal(other),
            };
            let email: String = email.chars().take(254).collect();
            let page = LoginPage { v, email };
            retry_after(visitor::render(status, &page, page.v.c.lang()), &e)
        }
    }
}

async fn second_factor(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
) -> Response<Bytes> {
    let login = format!("{}/auth/login", mount_path(cachet));
    let Some(secret) = super::session_cookie(cachet, req) else {
        return see_other(&login);
    };
    let pending = match cachet.resolve_session(secret, client).await {
        Ok(SessionLookup::PendingSecondFactor(_)) => true,
        Ok(SessionLookup::Active(_)) => return see_other(&dashboard_home(cachet)),
        Ok(SessionLookup::None) => false,
        Err(e) => return visitor::internal(&e),
    };
    if !pending {
        return see_other(&login);
    }
    if req.method() == Method::GET {
        return match visitor::chrome(cachet, req, "2fa").await {
            Ok(v) => {
                let page = TwoFactorPage { v };
                visitor::render(StatusCode::OK, &page, page.v.c.lang())
            }
            Err(e) => visitor::internal(&e),
        };
    }
    if req.method() != Method::POST {
        return method_not_allowed("GET, HEAD, POST");
    }
    let Some(form) = visitor::parse_form(req) else {
        return visitor::bad_body();
    };
    // The cookie's session exists, so the guard has checked origin and token already; this
    // repeats the origin check for the record.
    if let Some(refused) = visitor::check_post(cachet, req, client, "2fa", form).await {
        return refused;
    }
    let from = SignInClient::at(client)
        .user_agent(user_agent(req))
        .device(super::device_cookie(cachet, req));
    match cachet
        .complete_second_factor_from(secret, form.text("code"), from)
        .await
    {
        Ok(ticket) => with_ticket(see_other(&dashboard_home(cachet)), &ticket),
        Err(Error::Unauthenticated) => see_other(&login),
        Err(e) => {
            let mut v = match visitor::chrome(cachet, req, "2fa").await {
                Ok(v) => v,
                Err(e) => return visitor::internal(&e),
            };
            let status = match &e {
                Error::InvalidCode => {
                    v.error = Some(v.t(Msg::WrongCode).to_owned());
                    StatusCode::UNAUTHORIZED
                }
                Error::Throttled { .. } => {
                    v.error = Some(throttled_text(&v, &e));
                    StatusCode::TOO_MANY_REQUESTS
                }
                other => return visitor::internal(other),
            };
            let page = TwoFactorPage { v };
            retry_after(visitor::render(status, &page, page.v.c.lang()), &e)
        }
    }
}

async fn logout(cachet: &Cachet, req: &Request<Bytes>, client: Option<IpAddr>) -> Response<Bytes> {
    if req.method() != Method::POST {
        // Signing out is a state change: never on GET (Cachet 2.4 had `GET /auth/logout`).
        return method_not_allowed("POST");
    }
    // The guard has checked origin and token for a cookie request; without a cookie there
    // is nothing to end.
    let done = format!("{}/auth/login?done=signed-out", mount_path(cachet));
    if let Some(secret) = super::session_cookie(cachet, req) {
        match cachet.resolve_session(secret, client).await {
            Ok(SessionLookup::Active(actor)) => {
                if let Err(e) = cachet.logout(&actor).await {
                    return visitor::internal(&e);
                }
            }
            Ok(SessionLookup::PendingSecondFactor(s)) => {
                if let Err(e) = cachet.store().delete_session(s.id).await {
                    return visitor::internal(&e.into());
                }
            }
            Ok(SessionLookup::None) => {}
            Err(e) => return visitor::internal(&e),
        }
    }
    with_cookie(see_other(&done), &cachet.cookie_policy().clear_cookie())
}

fn client_key(client: Option<IpAddr>) -> String {
    client.map_or_else(
        || "reset-ip:unknown".to_owned(),
        |ip| format!("reset-{}", crate::auth::throttle::address_key(ip)),
    )
}

async fn reset(cachet: &Cachet, req: &Request<Bytes>, client: Option<IpAddr>) -> Response<Bytes> {
    let mut v = match visitor::chrome(cachet, req, "reset").await {
        Ok(v) => v,
        Err(e) => return visitor::internal(&e),
    };
    if req.method() == Method::GET {
        let page = ResetPage { v, form: true };
        return visitor::render(StatusCode::OK, &page, page.v.c.lang());
    }
    if req.method() != Method::POST {
        return method_not_allowed("GET, HEAD, POST");
    }
    let Some(form) = visitor::parse_form(req) else {
        return visitor::bad_body();
    };
    if let Some(refused) = visitor::check_post(cachet, req, client, "reset", form).await {
        return refused;
    }
    let email = form.text("email").trim().to_ascii_lowercase();
    // Rate-limited per address and per account alike, whether or not the account exists,
    // so the answer tells nothing.
    let account_key = format!(
        "reset-account:{}",
        hex::encode(&crate::auth::tokens::hash_secret(&email).0[..8])
    );
    for key in [client_key(client), account_key] {
        if let crate::web::ratelimit::Decision::Deny {
            retry_after: wait, ..
        } = cachet.limit_sign_in(&key).await
        {
            let e = Error::Throttled {
                retry_after: chrono::TimeDelta::from_std(wait)
                    .unwrap_or(chrono::TimeDelta::seconds(60)),
            };
            v.error = Some(throttled_text(&v, &e));
            let page = ResetPage { v, form: true };
            return retry_after(
                visitor::render(StatusCode::TOO_MANY_REQUESTS, &page, page.v.c.lang()),
                &e,
            );
        }
    }
    if let Err(e) = cachet.request_password_reset(&email, client).await {
        return visitor::internal(&e);
    }
    v.notice = Some(v.t(Msg::ResetSent).to_owned());
    let page = ResetPage { v, form: false };
    visitor::render(StatusCode::OK, &page, page.v.c.lang())
}

async fn reset_token(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
    token: &str,
) -> Response<Bytes> {
    let mut v = match visitor::chrome(cachet, req, "reset-token").await {
        Ok(v) => v,
        Err(e) => return visitor::internal(&e),
    };
    let action = format!("{}/auth/reset/{token}", mount_path(cachet));
    let hint = v.c.cat.tf(
        Msg::PasswordHint,
        &[&cachet.config().password_policy.min_chars.to_string()],
    );
    let invalid = |mut v: VisitorChrome, action: String, hint: String| {
        v.error = Some(v.t(Msg::LinkInvalid).to_owned());
        let page = ResetTokenPage {
            v,
            valid: false,
            hint,
            action,
        };
        visitor::render(StatusCode::NOT_FOUND, &page, page.v.c.lang())
    };
    if req.method() == Method::GET {
        return match cachet.peek_password_reset(token).await {
            Ok(_) => {
                let page = ResetTokenPage {
                    v,
                    valid: true,
                    hint: hint.clone(),
                    action,
                };
                visitor::render(StatusCode::OK, &page, page.v.c.lang())
            }
            Err(Error::NotFound { .. }) => invalid(v, action, hint),
            Err(e) => visitor::internal(&e),
        };
    }
    if req.method() != Method::POST {
        return method_not_allowed("GET, HEAD, POST");
    }
    let Some(form) = visitor::parse_form(req) else {
        return visitor::bad_body();
    };
    if let Some(refused) = visitor::check_post(cachet, req, client, "reset-token", form).await {
        return refused;
    }
    match cachet
        .complete_password_reset(token, form.text("password"), client)
        .await
    {
        Ok(_) => with_cookie(
            see_other(&format!("{}/auth/login?done=reset", mount_path(cachet))),
            &cachet.cookie_policy().clear_cookie(),
        ),
        Err(Error::NotFound { .. }) => invalid(v, action, hint),
        Err(Error::Validation(e)) => {
            v.error = Some(e.to_string());
            let page = ResetTokenPage {
                v,
                valid: true,
                hint: hint.clone(),
                action,
            };
            visitor::render(StatusCode::BAD_REQUEST, &page, page.v.c.lang())
        }
        Err(e) => visitor::internal(&e),
    }
}
