//! What the pages without a signed-in user share (sign-in, second factor, password reset,
//! setup, invitation): the public pages' chrome (locale, site name, assets), the dashboard
//! stylesheet, and the form token.
//!
//! # The form token of a visitor form
//!
//! The global guard in [`crate::web`] checks unsafe requests that carry a session cookie.
//! A visitor form is posted without one, so its handler checks itself: the origin (the same
//! Origin / `Sec-Fetch-Site` rule as the guard) and a stateless token (HMAC over the form's
//! name and an expiry, [`crate::auth::csrf::visitor_token`]). When the browser does hold a
//! session (a half-finished sign-in waiting for its second factor, say), the form carries
//! that session's synchronizer token instead, because the guard will check that one.
//! Refusals are 403 and audited.

use std::net::IpAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::chrome::{Form, html_response};
use crate::auth::csrf;
use crate::auth::tokens::hash_secret;
use crate::i18n::Msg;
use crate::model::{AuditAction, AuditOutcome, EntityKind};
use crate::web::pages::assets;
use crate::{Actor, Cachet, Error};

/// The frame of a visitor page.
pub(crate) struct VisitorChrome {
    /// The public pages' chrome (catalogue, site name, asset links, mount path).
    pub c: crate::web::pages::Chrome,
    /// The dashboard stylesheet's URL.
    pub dash_css_href: String,
    /// Its SRI value.
    pub dash_css_integrity: String,
    /// The value of the form's hidden `_token`.
    pub token: String,
    /// An error to show above the form.
    pub error: Option<String>,
    /// A notice to show above the form.
    pub notice: Option<String>,
}

impl VisitorChrome {
    /// A message.
    pub(crate) fn t(&self, key: Msg) -> &'static str {
        self.c.t(key)
    }
}

/// The session behind the request's cookie, if it exists (pending or active).
pub(crate) async fn cookie_session(
    cachet: &Cachet,
    req: &Request<Bytes>,
) -> Option<crate::model::Session> {
    let secret = super::session_cookie(cachet, req)?;
    cachet
        .store()
        .session_by_hash(&hash_secret(secret))
        .await
        .ok()
        .flatten()
}

/// Builds the frame of a visitor page whose form is named `form`.
///
/// # Errors
///
/// [`Error::Store`] when the settings cannot be read.
pub(crate) async fn chrome(
    cachet: &Cachet,
    req: &Request<Bytes>,
    form: &str,
) -> Result<VisitorChrome, Error> {
    let settings = cachet.settings().await?;
    let c = crate::web::pages::chrome(cachet, &settings, req);
    let token = match cookie_session(cachet, req).await {
        Some(s) => csrf::session_token(cachet.keyring(), &s.hash),
        None => csrf::visitor_token(
            cachet.keyring(),
            form,
            cachet.now(),
            csrf::VISITOR_TOKEN_TTL,
        ),
    };
    Ok(VisitorChrome {
        dash_css_href: format!("{}{}", c.base, assets::DASHBOARD_STYLESHEET.path()),
        dash_css_integrity: assets::DASHBOARD_STYLESHEET.integrity.clone(),
        c,
        token,
        error: None,
        notice: None,
    })
}

/// Checks a visitor form's POST: origin and token. `Some` is the 403 to answer (audited).
pub(crate) async fn check_post(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
    form_name: &str,
    form: &Form,
) -> Option<Response<Bytes>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let public_origin = csrf::origin_of(&cachet.config().public_url);
    let mut verdict = csrf::check_origin(public_origin, header("origin"), header("sec-fetch-site"));
    if verdict.is_ok() && cookie_session(cachet, req).await.is_none() {
        verdict = csrf::verify_visitor_token(
            cachet.keyring(),
            form_name,
            form.get("_token"),
            cachet.now(),
        );
    }
    // With a live session the guard has already checked the session's token.
    let err = verdict.err()?;
    cachet
        .append_audit(
            &Actor::anonymous(client),
            AuditAction::CsrfRejected,
            EntityKind::Session,
            None,
            AuditOutcome::Denied,
            &format!("{form_name}: {err}"),
        )
        .await;
    let text = if err == csrf::CsrfError::CrossOrigin {
        "forbidden: cross-site request refused\n"
    } else {
        "forbidden: the form token is missing or expired; reload the page\n"
    };
    Some(crate::web::response::plain(StatusCode::FORBIDDEN, text))
}

/// A visitor form's body, as the request decoded it once; `None` answers 400.
pub(crate) fn parse_form(req: &Request<Bytes>) -> Option<&Form> {
    crate::web::form::body(req)
}

/// The 400 for a body that is not urlencoded.
pub(crate) fn bad_body() -> Response<Bytes> {
    crate::web::response::plain(
        StatusCode::BAD_REQUEST,
        "bad request: the form body is not application/x-www-form-urlencoded\n",
    )
}

/// Renders a visitor page, with `Content-Language`.
pub(crate) fn render<T: askama::Template>(
    status: StatusCode,
    page: &T,
    lang: &'static str,
) -> Response<Bytes> {
    let mut resp = match page.render() {
        Ok(body) => html_response(status, body),
        Err(e) => {
            tracing::error!(error = %crate::log::Escaped(&e), "visitor page template failed");
            return html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown; please try again.\n".to_owned(),
            );
        }
    };
    resp.headers_mut().insert(
        http::header::CONTENT_LANGUAGE,
        http::HeaderValue::from_static(lang),
    );
    resp
}

/// A 500 for a failure before a page could be built.
pub(crate) fn internal(e: &Error) -> Response<Bytes> {
    tracing::error!(error = ?crate::log::Escaped(&e), "visitor page failed");
    crate::web::response::plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The page could not be shown; please try again.\n",
    )
}
