//! The one-time setup (`/setup`) and accepting an invitation (`/invite/{token}`).
//!
//! Setup works only while no admin exists and only with the setup token the server printed
//! at start ([`Cachet::issue_setup_token`]); the facade creates the first admin atomically
//! with the "no admin yet" check, so once an admin exists (from here or from
//! `cachet user create`) the page answers 404 with a note, for good. Both forms are visitor
//! forms ([`super::visitor`]).

use std::net::IpAddr;

use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use super::chrome::{method_not_allowed, mount_path, prefix, see_other};
use super::visitor::{self, VisitorChrome};
use crate::i18n::Msg;
use crate::validate::{Name, ViolationExt};
use crate::{Cachet, Error, LoginOutcome};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    v: VisitorChrome,
    /// Setup is open: show the form.
    open: bool,
    hint: String,
    site_name: String,
    name: String,
    email: String,
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    v: VisitorChrome,
    /// The link works: show the form.
    valid: bool,
    intro: String,
    hint: String,
    action: String,
    name: String,
}

fn hint(v: &VisitorChrome, cachet: &Cachet) -> String {
    v.c.cat.tf(
        Msg::PasswordHint,
        &[&cachet.config().password_policy.min_chars.to_string()],
    )
}

fn short(s: &str) -> String {
    s.chars().take(254).collect()
}

/// `GET` / `POST /setup`.
pub(super) async fn setup(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
) -> Response<Bytes> {
    if !matches!(*req.method(), Method::GET | Method::POST) {
        return method_not_allowed("GET, HEAD, POST");
    }
    let mut v = match visitor::chrome(cachet, req, "setup").await {
        Ok(v) => v,
        Err(e) => return visitor::internal(&e),
    };
    let open = match cachet.setup_open().await {
        Ok(o) => o,
        Err(e) => return visitor::internal(&e),
    };
    let hint = hint(&v, cachet);
    if !open {
        v.notice = Some(v.t(Msg::SetupClosed).to_owned());
        let page = SetupPage {
            v,
            open: false,
            hint,
            site_name: String::new(),
            name: String::new(),
            email: String::new(),
        };
        return visitor::render(StatusCode::NOT_FOUND, &page, page.v.c.lang());
    }
    if req.method() == Method::GET {
        let page = SetupPage {
            v,
            open: true,
            hint,
            site_name: String::new(),
            name: String::new(),
            email: String::new(),
        };
        return visitor::render(StatusCode::OK, &page, page.v.c.lang());
    }
    let Some(form) = visitor::parse_form(req) else {
        return visitor::bad_body();
    };
    if let Some(refused) = visitor::check_post(cachet, req, client, "setup", form).await {
        return refused;
    }
    let (site, name, email, password) = (
        form.text("site_name"),
        form.text("name"),
        form.text("email"),
        form.text("password"),
    );
    let parsed = Name::parse(site).field("site_name").and_then(|site| {
        crate::parse_new_user(name, email, "admin", password.to_owned()).map(|u| (site, u))
    });
    let result = match parsed {
        Ok((site, admin)) => {
            cachet
                .complete_setup(form.text("token"), site, admin, client)
                .await
        }
        Err(e) => Err(Error::Validation(e)),
    };
    let status = match result {
        Ok(_) => {
            // Signed straight in: the person who set the site up is its first admin.
            let ua = req
                .headers()
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok());
            let home = format!("{}{}?done=welcome", mount_path(cachet), prefix(cachet));
            return match cachet.login(email, password, client, ua, None).await {
                Ok(LoginOutcome::SignedIn(t) | LoginOutcome::SecondFactorRequired(t)) => {
                    let mut resp = see_other(&home);
                    for cookie in std::iter::once(&t.set_cookie).chain(&t.device_cookie) {
                        if let Ok(h) = http::HeaderValue::from_str(cookie) {
                            resp.headers_mut().append(http::header::SET_COOKIE, h);
                        }
                    }
                    resp
                }
                Err(_) => see_other(&format!("{}/auth/login?done=welcome", mount_path(cachet))),
            };
        }
        Err(Error::Validation(e)) => {
            v.error = Some(e.to_string());
            StatusCode::BAD_REQUEST
        }
        Err(Error::Forbidden) => {
            v.error = Some(v.t(Msg::SetupTokenWrong).to_owned());
            StatusCode::FORBIDDEN
        }
        Err(e) => return visitor::internal(&e),
    };
    let open = cachet.setup_open().await.unwrap_or(false);
    if !open {
        v.error = None;
        v.notice = Some(v.t(Msg::SetupClosed).to_owned());
    }
    let page = SetupPage {
        v,
        open,
        hint,
        site_name: short(site),
        name: short(name),
        email: short(email),
    };
    let status = if open { status } else { StatusCode::NOT_FOUND };
    visitor::render(status, &page, page.v.c.lang())
}

/// `GET` / `POST /invite/{token}`.
pub(super) async fn invite(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
    token: &str,
) -> Response<Bytes> {
    if !matches!(*req.method(), Method::GET | Method::POST) {
        return method_not_allowed("GET, HEAD, POST");
    }
    let mut v = match visitor::chrome(cachet, req, "invite").await {
        Ok(v) => v,
        Err(e) => return visitor::internal(&e),
    };
    let hint = hint(&v, cachet);
    let action = format!("{}/invite/{token}", mount_path(cachet));
    let info = match cachet.peek_invitation(token).await {
        Ok(i) => i,
        Err(Error::NotFound { .. }) => {
            v.error = Some(v.t(Msg::LinkInvalid).to_owned());
            let page = InvitePage {
                v,
                valid: false,
                intro: String::new(),
                hint,
                action,
                name: String::new(),
            };
            return visitor::render(StatusCode::NOT_FOUND, &page, page.v.c.lang());
        }
        Err(e) => return visitor::internal(&e),
    };
    let role = info.role.map_or("", |r| r.as_str());
    let intro = v.c.cat.tf(Msg::InviteIntro, &[info.email.as_str(), role]);
    if req.method() == Method::GET {
        let page = InvitePage {
            v,
            valid: true,
            intro,
            hint,
            action,
            name: String::new(),
        };
        return visitor::render(StatusCode::OK, &page, page.v.c.lang());
    }
    let Some(form) = visitor::parse_form(req) else {
        return visitor::bad_body();
    };
    if let Some(refused) = visitor::check_post(cachet, req, client, "invite", form).await {
        return refused;
    }
    let name = form.text("name");
    let result = match Name::parse(name).field("name") {
        Ok(n) => {
            cachet
                .accept_invitation(token, n, form.text("password").to_owned(), client)
                .await
        }
        Err(e) => Err(Error::Validation(e)),
    };
    let status = match result {
        Ok(_) => return see_other(&format!("{}/auth/login?done=welcome", mount_path(cachet))),
        Err(Error::Validation(e)) => {
            v.error = Some(e.to_string());
            StatusCode::BAD_REQUEST
        }
        Err(Error::Conflict(c)) => {
            v.error = Some(c.to_owned());
            StatusCode::CONFLICT
        }
        Err(Error::NotFound { .. }) => {
            v.error = Some(v.t(Msg::LinkInvalid).to_owned());
            StatusCode::NOT_FOUND
        }
        Err(e) => return visitor::internal(&e),
    };
    let page = InvitePage {
        v,
        valid: status != StatusCode::NOT_FOUND,
        intro,
        hint,
        action,
        name: short(name),
    };
    visitor::render(status, &page, page.v.c.lang())
}
