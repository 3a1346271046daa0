//! The signed-in user's own things: API tokens (`/tokens`: create shows the secret once,
//! revoke, last use) and the profile (`/profile`: password change with the current password,
//! two-factor enrolment with a QR code and the secret as text, recovery codes shown once,
//! disabling). Admins also see and revoke everyone's tokens. Every action is a facade call
//! with the signed-in actor, which authorizes it.

use askama::Template;
use bytes::Bytes;
use http::header::SET_COOKIE;
use http::{HeaderValue, Response, StatusCode};

use super::chrome::{Chrome, DashboardRequest, Flash};
use crate::auth::policy::Permission;
use crate::model::{ApiToken, ApiTokenId, TokenScope, User, UserId};
use crate::store::UserQuery;
use crate::validate::{Name, ValidationError, Violation, ViolationExt};
use crate::{Error, SessionLookup, SessionTicket};

/// Answers `/tokens...` and `/profile...`.
pub(super) async fn route(dash: &DashboardRequest<'_>, rest: &[&str]) -> Option<Response<Bytes>> {
    let resp = match (rest, dash.is_post()) {
        (["tokens"], false) if dash.is_get() => tokens_page(dash, None, None).await,
        (["tokens"], true) => create_token(dash).await,
        (["tokens", id, "revoke"], true) => revoke_token(dash, id).await,
        (["profile"], false) if dash.is_get() => profile_page(dash, ProfileExtra::None).await,
        (["profile", "password"], true) => change_password(dash).await,
        (["profile", "2fa", "begin"], true) => begin_2fa(dash).await,
        (["profile", "2fa", "confirm"], true) => confirm_2fa(dash).await,
        (["profile", "2fa", "disable"], true) => disable_2fa(dash).await,
        (["profile", "recovery-codes"], true) => regenerate_codes(dash).await,
        (["tokens" | "profile"], _) => dash.method_not_allowed("GET, HEAD, POST"),
        (["tokens", _, "revoke"] | ["profile", ..], false) => dash.method_not_allowed("POST"),
        _ => return None,
    };
    Some(resp)
}

/// One token row.
struct TokenRow {
    id: i64,
    name: String,
    owner: String,
    /// The recognisable start of the secret (`cachet_ab12cd`), never the secret.
    prefix: String,
    scope: &'static str,
    created: String,
    expires: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "dashboard/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    rows: Vec<TokenRow>,
    /// A token just created: shown once, here.
    created: Option<String>,
    all: bool,
}

async fn tokens_page(
    dash: &DashboardRequest<'_>,
    created: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response<Bytes> {
    let mut chrome = match dash.chrome("tokens").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    let all = dash.cachet.can(&dash.actor, Permission::ManageAllTokens);
    let tokens = match dash.cachet.api_tokens(&dash.actor, all).await {
        Ok(p) => p.items,
        Err(e) => return dash.fail(e).await,
    };
    let users: Vec<User> = if all {
        match dash.cachet.users(&dash.actor, UserQuery::all()).await {
            Ok(p) => p.items,
            Err(e) => return dash.fail(e).await,
        }
    } else {
        dash.actor.user().cloned().into_iter().collect()
    };
    let owner = |id: UserId| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("user {id}"), |u| u.name.as_str().to_owned())
    };
    let rows = tokens
        .iter()
        .map(|t: &ApiToken| TokenRow {
            id: t.id.get(),
            name: t.name.as_str().to_owned(),
            owner: owner(t.user_id),
            prefix: t.prefix.clone(),
            scope: t.scope.as_str(),
            created: chrome.time(&t.created_at),
            expires: t
                .expires_at
                .as_ref()
                .map_or_else(|| "never".to_owned(), |e| chrome.time(e)),
            last_used: chrome.time_or_never(&t.last_used_at),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let status = match error {
        Some((status, message)) => {
            chrome.error = Some(message);
            status
        }
        None => StatusCode::OK,
    };
    let page = TokensPage {
        chrome,
        rows,
        created,
        all,
    };
    dash.render_status(status, &page)
}

fn parse_days(s: &str) -> Result<Option<chrono::TimeDelta>, ValidationError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .map(|d| Some(chrono::TimeDelta::days(d)))
        .ok_or(ValidationError::new(
            "expires_in_days",
            Violation::OutOfRange { min: 1, max: 3650 },
        ))
}

async fn create_token(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let Some(owner) = dash.actor.user().map(|u| u.id) else {
        return dash.fail(Error::Unauthenticated).await;
    };
    let parsed = Name::parse(dash.form.text("name"))
        .field("name")
        .and_then(|name| {
            let scope = TokenScope::parse(dash.form.text("scope")).field("scope")?;
            Ok((name, scope, parse_days(dash.form.text("expires_in_days"))?))
        });
    let (name, scope, expires) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return tokens_page(dash, None, Some((StatusCode::BAD_REQUEST, e.to_string()))).await;
        }
    };
    match dash
        .cachet
        .create_api_token(&dash.actor, owner, name, scope, expires)
        .await
    {
        // Shown on this answer only: a redirect would have to carry it in a URL.
        Ok((_, secret)) => tokens_page(dash, Some(secret), None).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn revoke_token(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Ok(id) = id.parse::<ApiTokenId>() else {
        return crate::web::response::not_found_page();
    };
    match dash.cachet.revoke_api_token(&dash.actor, id).await {
        Ok(_) => dash.redirect_flash("/tokens", Flash::Revoked),
        Err(e) => dash.fail(e).await,
    }
}

/// What the profile page shows besides the account.
enum ProfileExtra {
    None,
    /// An enrolment in progress: the QR code (SVG generated by this crate), the secret as
    /// text for manual entry, and the otpauth URI.
    Enrolling {
        qr_svg: String,
        secret: String,
    },
    /// Recovery codes, shown once.
    Codes(Vec<String>),
    /// An error from a form.
    Error(StatusCode, String),
}

#[derive(Template)]
#[template(path = "dashboard/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    name: String,
    email: String,
    role: &'static str,
    two_factor: bool,
    codes_left: u32,
    enrolling: bool,
    /// The QR code as inline SVG: generated by the `qrcode` crate from our own otpauth URI
    /// (no input of anyone's reaches it but the site name and the user's address, which
    /// the URI percent-encodes), written unescaped.
    qr_svg: String,
    secret: String,
    codes: Vec<String>,
    hint: String,
}

async fn profile_page(dash: &DashboardRequest<'_>, extra: ProfileExtra) -> Response<Bytes> {
    profile_with(dash, &dash.actor, extra).await
}

async fn profile_with(
    dash: &DashboardRequest<'_>,
    actor: &crate::Actor,
    extra: ProfileExtra,
) -> Response<Bytes> {
    let mut chrome = match super::chrome::chrome(dash.cachet, actor, "profile").await {
        Ok(mut c) => {
            c.flash = dash
                .query
                .get("done")
                .and_then(super::chrome::Flash::from_key)
                .map(Flash::text);
            c
        }
        Err(e) => return dash.fail(e).await,
    };
    let Some(user) = actor.user() else {
        return dash.fail(Error::Unauthenticated).await;
    };
    // The user as stored now (a just-confirmed enrolment is not in the actor's copy).
    let user = match dash.cachet.store().user(user.id).await {
        Ok(u) => u,
        Err(e) => return dash.fail(e.into()).await,
    };
    let two_factor = user.totp.as_ref().is_some_and(|t| t.confirmed_at.is_some());
    let codes_left = if two_factor {
        dash.cachet
            .store()
            .recovery_codes_left(user.id)
            .await
            .unwrap_or(0)
    } else {
        0
    };
    let mut page = ProfilePage {
        name: user.name.as_str().to_owned(),
        email: user.email.as_str().to_owned(),
        role: user.role.as_str(),
        two_factor,
        codes_left,
        enrolling: false,
        qr_svg: String::new(),
        secret: String::new(),
        codes: Vec::new(),
        hint: format!(
            "At least {} characters; a few unrelated words make a strong password.",
            dash.cachet.config().password_policy.min_chars
        ),
        chrome: chrome.clone(),
    };
    let mut status = StatusCode::OK;
    match extra {
        ProfileExtra::None => {}
        ProfileExtra::Enrolling { qr_svg, secret } => {
            page.enrolling = true;
            page.qr_svg = qr_svg;
            page.secret = secret;
        }
        ProfileExtra::Codes(codes) => page.codes = codes,
        ProfileExtra::Error(s, message) => {
            chrome.error = Some(message);
            page.chrome = chrome;
            status = s;
        }
    }
    dash.render_status(status, &page)
}

fn with_cookie(mut resp: Response<Bytes>, ticket: &SessionTicket) -> Response<Bytes> {
    if let Ok(v) = HeaderValue::from_str(&ticket.set_cookie) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// A form error on the profile page, or the error page for refusals and failures.
async fn profile_error(dash: &DashboardRequest<'_>, e: Error) -> Response<Bytes> {
    match e {
        Error::Validation(_)
        | Error::Conflict(_)
        | Error::InvalidCredentials
        | Error::InvalidCode
        | Error::Throttled { .. } => {
            let (status, message) = super::chrome::error_status(&e);
            profile_page(dash, ProfileExtra::Error(status, message)).await
        }
        other => dash.fail(other).await,
    }
}

async fn change_password(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let new = dash.form.text("new_password");
    if new != dash.form.text("confirm_password") {
        let e = ValidationError::new(
            "confirm_password",
            Violation::NotAllowed {
                allowed: "the same as the new password",
            },
        );
        return profile_error(dash, Error::Validation(e)).await;
    }
    match dash
        .cachet
        .change_password(&dash.actor, dash.form.text("current_password"), new)
        .await
    {
        Ok(ticket) => with_cookie(
            dash.redirect_flash("/profile", Flash::PasswordChanged),
            &ticket,
        ),
        Err(e) => profile_error(dash, e).await,
    }
}

/// The QR code's SVG for inlining in HTML: from its `<svg` on (no XML declaration), labelled
/// for assistive technology.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    match body.strip_prefix("<svg") {
        Some(rest) => {
            format!("<svg role=\"img\" aria-label=\"QR code for your authenticator app\"{rest}")
        }
        None => String::new(),
    }
}

async fn begin_2fa(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    match dash.cachet.begin_totp_enrollment(&dash.actor).await {
        Ok(enrollment) => {
            let extra = ProfileExtra::Enrolling {
                qr_svg: inline_svg(&enrollment.qr_svg),
                secret: enrollment.secret_base32.clone(),
            };
            profile_page(dash, extra).await
        }
        Err(e) => profile_error(dash, e).await,
    }
}

async fn confirm_2fa(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    match dash
        .cachet
        .confirm_totp_enrollment(&dash.actor, dash.form.text("code"))
        .await
    {
        Ok((codes, ticket)) => {
            // The session rotated (a privilege change): the page's forms need the new
            // session's token, so the page is built for the new session.
            let actor = match dash
                .cachet
                .resolve_session(&ticket.secret, dash.client)
                .await
            {
                Ok(SessionLookup::Active(a)) => a,
                Ok(_) => return dash.fail(Error::Unauthenticated).await,
                Err(e) => return dash.fail(e).await,
            };
            let resp = profile_with(dash, &actor, ProfileExtra::Codes(codes)).await;
            with_cookie(resp, &ticket)
        }
        Err(Error::InvalidCode) => {
            // The same secret again: the user's authenticator already holds it, so a typo
            // must not replace it (only "start again" does).
            let shown = dash.form.text("secret");
            match dash
                .cachet
                .pending_totp_enrollment(&dash.actor, shown)
                .await
            {
                Ok(enrollment) => {
                    let resp = profile_page(
                        dash,
                        ProfileExtra::Enrolling {
                            qr_svg: inline_svg(&enrollment.qr_svg),
                            secret: enrollment.secret_base32.clone(),
                        },
                    )
                    .await;
                    let mut resp = resp;
                    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    resp
                }
                Err(e) => profile_error(dash, e).await,
            }
        }
        Err(e) => profile_error(dash, e).await,
    }
}

async fn disable_2fa(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    match dash
        .cachet
        .disable_totp(
            &dash.actor,
            dash.form.text("password"),
            dash.form.text("code"),
        )
        .await
    {
        Ok(()) => dash.redirect_flash("/profile", Flash::TwoFactorOff),
        // One answer for a wrong password and a wrong code (the facade does not say which).
        Err(Error::InvalidCredentials) => {
            let message = "The password or the code is wrong.".to_owned();
            profile_page(
                dash,
                ProfileExtra::Error(StatusCode::UNPROCESSABLE_ENTITY, message),
            )
            .await
        }
        Err(e) => profile_error(dash, e).await,
    }
}

async fn regenerate_codes(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    match dash
        .cachet
        .regenerate_recovery_codes(&dash.actor, dash.form.text("password"))
        .await
    {
        Ok(codes) => profile_page(dash, ProfileExtra::Codes(codes)).await,
        Err(e) => profile_error(dash, e).await,
    }
}
