//! The dashboard's frame: what every signed-in page shares ([`Chrome`]), the request a
//! section handler gets ([`DashboardRequest`]) and its response helpers.
//!
//! # How a content page uses it
//!
//! A section handler (see `content::route`) receives a [`DashboardRequest`]: the resolved
//! signed-in [`Actor`](crate::Actor) (`dash.actor`; the router has already sent strangers to
//! the sign-in page), the parsed urlencoded body (`dash.form`) and query (`dash.query`). It
//! calls the facade with `&dash.actor` — the facade authorizes every call, so a viewer's write
//! comes back as [`Error::Forbidden`] — and answers with one of:
//!
//! ```text
//! #[derive(askama::Template)]
//! #[template(path = "dashboard/content_components.html")]
//! struct ComponentsPage { chrome: Chrome, rows: Vec<Row> }
//!
//! let chrome = match dash.chrome("components").await { Ok(c) => c, Err(e) => return dash.fail(e).await };
//! dash.render(&ComponentsPage { chrome, rows })                  // 200, no-store
//! dash.redirect_flash("/components", Flash::Created)             // 303 after a POST
//! dash.fail(error).await                                         // 403/404/400/409/500 page
//! ```
//!
//! The template starts with `{% extends "dashboard/layout.html" %}`, fills the blocks
//! `title` and `content`, and puts `<input type="hidden" name="_token" value="{{ chrome.csrf }}">`
//! in every form (the global guard in `web/mod.rs` checks it, with the origin, before any
//! handler runs). Links inside the dashboard use `{{ chrome.dash("/components/1") }}`,
//! links to other routes `{{ chrome.href("/incidents/1") }}`. Every state change is a POST.
//! To show a form again with an error, set `chrome.error = Some(message)` and answer with
//! [`DashboardRequest::render_status`] (400 or 409).

use std::net::IpAddr;

use askama::Template;
use bytes::Bytes;
use chrono_tz::Tz;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderValue, Method, Request, Response, StatusCode};

use crate::auth::policy::Permission;
use crate::clock::Timestamp;
use crate::web::pages::assets;
use crate::{Actor, Cachet, Error};

/// A message shown once after a redirect-after-POST, carried as `?done=<key>` from a closed
/// set (so nobody can make the page show text of their choosing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flash {
    /// "Saved."
    Saved,
    /// "Created."
    Created,
    /// "Deleted."
    Deleted,
    /// "Revoked."
    Revoked,
    /// "Sent."
    Sent,
    /// "Your password was changed."
    PasswordChanged,
    /// "Two-factor authentication is on."
    TwoFactorOn,
    /// "Two-factor authentication is off."
    TwoFactorOff,
    /// "Welcome."
    Welcome,
}

impl Flash {
    const ALL: &'static [Self] = &[
        Self::Saved,
        Self::Created,
        Self::Deleted,
        Self::Revoked,
        Self::Sent,
        Self::PasswordChanged,
        Self::TwoFactorOn,
        Self::TwoFactorOff,
        Self::Welcome,
    ];

    /// The query value.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Saved => "saved",
            Self::Created => "created",
            Self::Deleted => "deleted",
            Self::Revoked => "revoked",
            Self::Sent => "sent",
            Self::PasswordChanged => "password",
            Self::TwoFactorOn => "2fa-on",
            Self::TwoFactorOff => "2fa-off",
            Self::Welcome => "welcome",
        }
    }

    /// The text shown.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Self::Saved => "Saved.",
            Self::Created => "Created.",
            Self::Deleted => "Deleted.",
            Self::Revoked => "Revoked.",
            Self::Sent => "Sent: the message is queued for delivery.",
            Self::PasswordChanged => "Your password was changed; your other sessions were ended.",
            Self::TwoFactorOn => "Two-factor authentication is on.",
            Self::TwoFactorOff => "Two-factor authentication is off.",
            Self::Welcome => "Welcome.",
        }
    }

    /// The message of a `?done=` value, if it is one.
    pub(crate) fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.key() == key)
    }
}

/// One entry of the dashboard navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    /// The label.
    pub label: &'static str,
    /// The link.
    pub href: String,
    /// Whether it is the page shown.
    pub current: bool,
}

/// A group of navigation entries under a heading.
#[derive(Debug, Clone)]
pub(crate) struct NavGroup {
    /// The heading.
    pub heading: &'static str,
    /// The entries the actor may open.
    pub items: Vec<NavItem>,
}

/// What every dashboard page shares: the site, the signed-in user, the CSRF token for its
/// forms, the navigation, the asset links (with Subresource Integrity) and a message.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    /// The site name.
    pub site_name: String,
    /// The signed-in user's display name.
    pub user_name: String,
    /// The signed-in user's role (`admin`, `manager`, `viewer`).
    pub user_role: &'static str,
    /// The session's synchronizer token: the value of every form's hidden `_token`.
    pub csrf: String,
    /// The navigation, filtered by what the actor may open.
    pub nav: Vec<NavGroup>,
    /// Whether the actor may change content (to hide, not to forbid: the facade forbids).
    pub can_write: bool,
    /// Whether the actor is an admin.
    pub is_admin: bool,
    /// The actor must enrol in 2FA before anything else (the page says so).
    pub must_enroll_2fa: bool,
    /// The mount path of the public URL (`""` or `/status`).
    pub base: String,
    /// The dashboard's prefix (`/dashboard`).
    pub prefix: String,
    /// The main stylesheet's URL and SRI value.
    pub css_href: String,
    /// SRI of the main stylesheet.
    pub css_integrity: String,
    /// The theme stylesheet's URL.
    pub theme_href: String,
    /// SRI of the theme stylesheet.
    pub theme_integrity: String,
    /// The dashboard stylesheet's URL.
    pub dash_css_href: String,
    /// SRI of the dashboard stylesheet.
    pub dash_css_integrity: String,
    /// The favicon's URL.
    pub favicon_href: String,
    /// A success message (from `?done=`).
    pub flash: Option<&'static str>,
    /// An error message a handler sets when it shows a form again.
    pub error: Option<String>,
    /// The site's time zone.
    pub tz: Tz,
}

impl Chrome {
    /// A link to a route outside the dashboard (`/incidents/1`, `/auth/logout`).
    pub(crate) fn href(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A link inside the dashboard (`""` for its home, `/components/1`).
    pub(crate) fn dash(&self, path: &str) -> String {
        format!("{}{}{path}", self.base, self.prefix)
    }

    /// A time in the site's zone: `2026-11-24 14:05 CET`.
    pub(crate) fn time(&self, t: &Timestamp) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// An optional time, or a dash.
    pub(crate) fn time_or_never(&self, t: &Option<Timestamp>) -> String {
        t.as_ref()
            .map_or_else(|| "never".to_owned(), |t| self.time(t))
    }

    /// `<time datetime>` (UTC).
    pub(crate) fn iso(&self, t: &Timestamp) -> String {
        crate::web::pages::iso(*t)
    }
}

/// The mount path of the public URL (see [`HttpUrl::mount_path`](crate::validate::HttpUrl::mount_path)).
pub(crate) fn mount_path(cachet: &Cachet) -> &str {
    cachet.config().public_url.mount_path()
}

/// The configured dashboard prefix, normalised (`/dashboard`; a leading slash, no trailing
/// one; `/dashboard` when the configured value is empty or `/`).
pub(crate) fn prefix(cachet: &Cachet) -> String {
    let p = cachet
        .web_config()
        .dashboard_prefix
        .trim()
        .trim_end_matches('/');
    if p.is_empty() {
        return "/dashboard".to_owned();
    }
    if p.starts_with('/') {
        p.to_owned()
    } else {
        format!("/{p}")
    }
}

struct Section {
    key: &'static str,
    label: &'static str,
    path: &'static str,
    needs: Permission,
}

const CONTENT: &[Section] = &[
    Section {
        key: "components",
        label: "Components",
        path: "/components",
        needs: Permission::ReadPrivate,
    },
    Section {
        key: "groups",
        label: "Groups",
        path: "/groups",
        needs: Permission::ReadPrivate,
    },
    Section {
        key: "incidents",
        label: "Incidents",
        path: "/incidents",
        needs: Permission::ReadPrivate,
    },
    Section {
        key: "templates",
        label: "Templates",
        path: "/templates",
        needs: Permission::ReadPrivate,
    },
    Section {
        key: "schedules",
        label: "Maintenance",
        path: "/schedules",
        needs: Permission::ReadPrivate,
    },
    Section {
        key: "metrics",
        label: "Metrics",
        path: "/metrics",
        needs: Permission::ReadPrivate,
    },
    Section {
        key: "subscribers",
        label: "Subscribers",
        path: "/subscribers",
        needs: Permission::ManageSubscribers,
    },
    Section {
        key: "deliveries",
        label: "Deliveries",
        path: "/deliveries",
        needs: Permission::ReadDeliveries,
    },
];

const TEAM: &[Section] = &[
    Section {
        key: "users",
        label: "Users",
        path: "/users",
        needs: Permission::ManageUsers,
    },
    Section {
        key: "invitations",
        label: "Invitations",
        path: "/invitations",
        needs: Permission::ManageUsers,
    },
    Section {
        key: "access-review",
        label: "Access review",
        path: "/access-review",
        needs: Permission::ManageUsers,
    },
    Section {
        key: "tokens",
        label: "API tokens",
        path: "/tokens",
        needs: Permission::ManageOwnTokens,
    },
    Section {
        key: "profile",
        label: "Profile",
        path: "/profile",
        needs: Permission::ManageOwnAccount,
    },
];

const SITE: &[Section] = &[
    Section {
        key: "settings",
        label: "Settings",
        path: "/settings",
        needs: Permission::ManageSettings,
    },
    Section {
        key: "mail",
        label: "Mail",
        path: "/mail",
        needs: Permission::ManageSettings,
    },
    Section {
        key: "audit",
        label: "Audit log",
        path: "/audit",
        needs: Permission::ReadAudit,
    },
];

/// Builds the chrome for a signed-in actor on the page of section `active`.
///
/// # Errors
///
/// [`Error::Unauthenticated`] when the actor has no session (no CSRF token to give its
/// forms), [`Error::Store`] when the settings cannot be read.
pub(crate) async fn chrome(cachet: &Cachet, actor: &Actor, active: &str) -> Result<Chrome, Error> {
    let csrf = cachet.csrf_token(actor).ok_or(Error::Unauthenticated)?;
    let user = actor.user().ok_or(Error::Unauthenticated)?;
    let settings = cachet.settings().await?;
    let base = mount_path(cachet).to_owned();
    let prefix = prefix(cachet);
    let must_enroll_2fa = actor.must_enroll_2fa();
    let item = |s: &Section| NavItem {
        label: s.label,
        href: format!("{base}{prefix}{}", s.path),
        current: s.key == active,
    };
    let group = |heading: &'static str, sections: &[Section]| NavGroup {
        heading,
        items: sections
            .iter()
            .filter(|s| cachet.can(actor, s.needs))
            .map(item)
            .collect(),
    };
    let mut nav = vec![NavGroup {
        heading: "Overview",
        items: vec![NavItem {
            label: "Home",
            href: format!("{base}{prefix}"),
            current: active == "home",
        }],
    }];
    nav.push(group("Content", CONTENT));
    nav.push(group("Team", TEAM));
    nav.push(group("Site", SITE));
    nav.retain(|g| !g.items.is_empty());
    let theme = assets::theme(&settings);
    Ok(Chrome {
        site_name: settings
            .app_name
            .as_ref()
            .map_or_else(|| "Cachet".to_owned(), |n| n.as_str().to_owned()),
        user_name: user.name.as_str().to_owned(),
        user_role: user.role.as_str(),
        csrf,
        nav,
        can_write: cachet.can(actor, Permission::WriteContent),
        is_admin: cachet.can(actor, Permission::ManageUsers),
        must_enroll_2fa,
        css_href: format!("{base}{}", assets::STYLESHEET.path()),
        css_integrity: assets::STYLESHEET.integrity.clone(),
        theme_href: format!("{base}{}", theme.path()),
        theme_integrity: theme.integrity,
        dash_css_href: format!("{base}{}", assets::DASHBOARD_STYLESHEET.path()),
        dash_css_integrity: assets::DASHBOARD_STYLESHEET.integrity.clone(),
        favicon_href: format!("{base}{}", assets::FAVICON.path()),
        flash: None,
        error: None,
        tz: settings.app_timezone.tz(),
        base,
        prefix,
    })
}

/// The decoded form type every page shares.
pub(crate) use crate::web::form::Form;

/// A request to a dashboard page, with its signed-in actor.
pub(crate) struct DashboardRequest<'a> {
    /// The facade.
    pub cachet: &'a Cachet,
    /// The request.
    pub req: &'a Request<Bytes>,
    /// The signed-in actor (a session user).
    pub actor: Actor,
    /// The client address.
    pub client: Option<IpAddr>,
    /// The urlencoded body of a POST (empty otherwise): the request's one decode, which the
    /// CSRF guard has read its token from.
    pub form: &'a Form,
    /// The query string.
    pub query: Form,
}

impl<'a> DashboardRequest<'a> {
    /// Whether this is a POST (every state change is one).
    pub(crate) fn is_post(&self) -> bool {
        self.req.method() == Method::POST
    }

    /// Whether this is a GET (HEAD arrives as GET).
    pub(crate) fn is_get(&self) -> bool {
        self.req.method() == Method::GET
    }

    /// The chrome for section `active`, with the flash message of `?done=`.
    ///
    /// # Errors
    ///
    /// As [`chrome`].
    pub(crate) async fn chrome(&self, active: &str) -> Result<Chrome, Error> {
        let mut c = chrome(self.cachet, &self.actor, active).await?;
        c.flash = self
            .query
            .get("done")
            .and_then(Flash::from_key)
            .map(Flash::text);
        Ok(c)
    }

    /// A link inside the dashboard.
    pub(crate) fn dash_href(&self, path: &str) -> String {
        format!("{}{}{path}", mount_path(self.cachet), prefix(self.cachet))
    }

    /// 303 See Other to a dashboard path (`""` for home, `/components`).
    pub(crate) fn redirect(&self, path: &str) -> Response<Bytes> {
        see_other(&self.dash_href(path))
    }

    /// 303 See Other to a dashboard path with a message shown once.
    pub(crate) fn redirect_flash(&self, path: &str, flash: Flash) -> Response<Bytes> {
        let sep = if path.contains('?') { '&' } else { '?' };
        see_other(&format!(
            "{}{sep}done={}",
            self.dash_href(path),
            flash.key()
        ))
    }

    /// Renders a page with 200.
    pub(crate) fn render<T: Template>(&self, page: &T) -> Response<Bytes> {
        self.render_status(StatusCode::OK, page)
    }

    /// Renders a page with a status (a form shown again with an error: 400 or 409).
    pub(crate) fn render_status<T: Template>(
        &self,
        status: StatusCode,
        page: &T,
    ) -> Response<Bytes> {
        render_html(status, page)
    }

    /// The answer for a facade error: a stranger is sent to sign in; a refusal is a 403
    /// page; unknown is 404; bad input 400 and a conflict 409 naming the rule; throttling
    /// 429; anything internal 500 without detail.
    pub(crate) async fn fail(&self, e: Error) -> Response<Bytes> {
        let (status, message) = error_status(&e);
        if status == StatusCode::UNAUTHORIZED {
            return see_other(&format!("{}/auth/login", mount_path(self.cachet)));
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = ?crate::log::Escaped(&e), "dashboard page failed");
        }
        let page = match self.chrome("").await {
            Ok(chrome) => MessagePage {
                chrome,
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                message: message.clone(),
            }
            .render()
            .ok(),
            Err(_) => None,
        };
        let mut resp = match page {
            Some(body) => html_response(status, body),
            None => html_response(status, format!("{message}\n")),
        };
        if let Error::Throttled { retry_after } = e
            && let Ok(v) = HeaderValue::from_str(&retry_after.num_seconds().max(1).to_string())
        {
            resp.headers_mut().insert(RETRY_AFTER, v);
        }
        resp
    }

    /// 405 with `Allow`.
    pub(crate) fn method_not_allowed(&self, allow: &'static str) -> Response<Bytes> {
        method_not_allowed(allow)
    }
}

/// The status and the message shown for a facade error.
pub(crate) fn error_status(e: &Error) -> (StatusCode, String) {
    match e {
        Error::Unauthenticated => (StatusCode::UNAUTHORIZED, e.to_string()),
        Error::Forbidden => (
            StatusCode::FORBIDDEN,
            "You are not allowed to do this. Ask an admin if you need to.".to_owned(),
        ),
        Error::NotFound { .. } => (StatusCode::NOT_FOUND, e.to_string()),
        Error::Validation(v) => (StatusCode::BAD_REQUEST, v.to_string()),
        Error::Conflict(_) => (StatusCode::CONFLICT, e.to_string()),
        Error::InvalidCredentials | Error::InvalidCode => {
            (StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Error::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        Error::InsecureTransport => (StatusCode::FORBIDDEN, e.to_string()),
        Error::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is not answering; please try again in a few seconds.".to_owned(),
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong; please try again.".to_owned(),
        ),
    }
}

/// A message page inside the dashboard (refusals, errors).
#[derive(Template)]
#[template(path = "dashboard/message.html")]
struct MessagePage {
    chrome: Chrome,
    title: String,
    message: String,
}

/// Renders a template into an HTML response (500 without detail when it fails).
pub(crate) fn render_html<T: Template>(status: StatusCode, page: &T) -> Response<Bytes> {
    match page.render() {
        Ok(body) => html_response(status, body),
        Err(e) => {
            tracing::error!(error = %crate::log::Escaped(&e), "dashboard template failed");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown; please try again.\n".to_owned(),
            )
        }
    }
}

/// An HTML response that no cache keeps (every page here is per user or carries a token).
pub(crate) fn html_response(status: StatusCode, body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// 303 See Other (redirect-after-POST), never cached.
pub(crate) fn see_other(location: &str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// 405 with `Allow`.
pub(crate) fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut r = crate::web::response::plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static(allow));
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn flash_keys_round_trip_and_unknown_keys_show_nothing() {
        for f in Flash::ALL {
            assert_eq!(Flash::from_key(f.key()), Some(*f));
        }
        assert_eq!(Flash::from_key("<script>"), None);
        assert_eq!(Flash::from_key(""), None);
    }

    #[test]
    fn forms_keep_order_and_repeats() {
        let f = Form::parse(b"a=1&b=x+y&a=2&c=&enabled=0&enabled=1").unwrap();
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.all("a"), vec!["1", "2"]);
        assert_eq!(f.text("b"), "x y");
        assert_eq!(f.text("missing"), "");
        assert!(!f.checked("c"), "an empty value is not a tick");
        assert!(!f.checked("missing"));
        assert!(Form::parse(b"confirm=1").unwrap().checked("confirm"));
        assert!(!Form::parse(b"confirm=off").unwrap().checked("confirm"));
        assert!(f.all("enabled").contains(&"1"));
    }

    #[test]
    fn see_other_never_caches() {
        let r = see_other("/auth/login");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/auth/login");
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    }
}
