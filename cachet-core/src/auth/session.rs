//! Session timeouts and cookie attributes.
//!
//! Session ids are 256 random bits ([`super::tokens::random_secret`]), stored only as SHA-256,
//! rotated at sign-in, at 2FA completion and on any privilege change. A session ends after
//! [`SessionPolicy::idle`] without activity or [`SessionPolicy::absolute`] after sign-in,
//! whichever comes first; sign-out and password changes delete it server-side.
//!
//! Cookie attributes are decided by the configured public URL alone, never by the connection
//! or the `Host` header, so the server is safe behind a TLS-terminating proxy:
//!
//! | public URL | cookie |
//! |---|---|
//! | `https://host/` | `__Host-cachet_session`, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/` |
//! | `https://host/status` (mounted under a path) | `__Secure-cachet_session`, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/status` |
//! | `http://` on a loopback host (local development) | `cachet_session`, `HttpOnly`, `SameSite=Lax`, `Path=` the mount path, and a warning in the log |
//! | `http://` anywhere else | sign-in refused unless configuration explicitly allows it |
//!
//! A page mounted under a path scopes its cookies to that path, so they never reach the host
//! application's own routes. The `__Host-` prefix requires `Path=/`, so a mounted page uses
//! `__Secure-`, which still makes browsers refuse the cookie from plain http.

use chrono::TimeDelta;

use crate::clock::Timestamp;
use crate::model::Session;
use crate::validate::HttpUrl;

/// Session lifetimes.
///
/// Start from [`SessionPolicy::default()`](Default::default) and assign the fields to change; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionPolicy {
    /// Ends a session after this long without a request (default 30 minutes).
    pub idle: TimeDelta,
    /// Ends a session this long after sign-in whatever happens (default 12 hours).
    pub absolute: TimeDelta,
    /// Activity is written back at most this often, to spare the database (default 60 s).
    pub touch_interval: TimeDelta,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(12),
            touch_interval: TimeDelta::seconds(60),
        }
    }
}

/// Whether a stored session is still good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Good; `touch` says whether to record the activity now.
    Valid {
        /// Record `last_seen_at = now`.
        touch: bool,
    },
    /// Idle too long.
    IdleExpired,
    /// Past its absolute lifetime.
    AbsoluteExpired,
}

impl SessionPolicy {
    /// The hard expiry of a session created at `now`.
    #[must_use]
    pub fn expires_at(&self, now: Timestamp) -> Timestamp {
        now + self.absolute
    }

    /// Checks a session at `now`.
    #[must_use]
    pub fn check(&self, session: &Session, now: Timestamp) -> SessionCheck {
        if now >= session.expires_at || now >= session.created_at + self.absolute {
            SessionCheck::AbsoluteExpired
        } else if now >= session.last_seen_at + self.idle {
            SessionCheck::IdleExpired
        } else {
            SessionCheck::Valid {
                touch: now - session.last_seen_at >= self.touch_interval,
            }
        }
    }
}

/// How the session cookie is named and flagged, from the public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookiePolicy {
    name: &'static str,
    /// The cookies' `Path`: the public URL's mount path, `/` at the root.
    path: String,
    secure: bool,
    sign_in_allowed: bool,
    local_http: bool,
}

impl CookiePolicy {
    /// Decides the cookie for a public URL. `allow_insecure_http` lets a plain-http public
    /// URL that is not loopback sign in anyway (an explicit, logged operator choice).
    #[must_use]
    pub fn for_public_url(url: &HttpUrl, allow_insecure_http: bool) -> Self {
        let mounted = !url.mount_path().is_empty();
        let path = if mounted {
            url.mount_path().to_owned()
        } else {
            "/".to_owned()
        };
        if url.is_https() {
            return Self {
                name: if mounted {
                    "__Secure-cachet_session"
                } else {
                    "__Host-cachet_session"
                },
                path,
                secure: true,
                sign_in_allowed: true,
                local_http: false,
            };
        }
        let local = is_loopback_url(url);
        Self {
            name: "cachet_session",
            path,
            secure: false,
            sign_in_allowed: local || allow_insecure_http,
            local_http: local,
        }
    }

    /// The cookie's name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The cookies' `Path` attribute: the mount path of the public URL, `/` at the root.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the cookie carries `Secure`.
    #[must_use]
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Whether sign-in is possible at all with this public URL.
    #[must_use]
    pub fn sign_in_allowed(&self) -> bool {
        self.sign_in_allowed
    }

    /// Whether this is plain http on loopback (worth a warning at start).
    #[must_use]
    pub fn is_local_http(&self) -> bool {
        self.local_http
    }

    /// A `Set-Cookie` value carrying a session id (a session cookie: no `Max-Age`, so it
    /// dies with the browser; the server enforces the timeouts).
    #[must_use]
    pub fn set_cookie(&self, session_secret: &str) -> String {
        format!(
            "{}={session_secret}; Path={}; HttpOnly; SameSite=Lax{}",
            self.name,
            self.path,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// A `Set-Cookie` value that deletes the cookie.
    #[must_use]
    pub fn clear_cookie(&self) -> String {
        format!(
            "{}=; Path={}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax{}",
            self.name,
            self.path,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The device cookie's name: `__Host-cachet_device` over https at the root,
    /// `__Secure-cachet_device` over https under a path, `cachet_device` on plain http (see
    /// [`crate::auth::device`]).
    #[must_use]
    pub fn device_name(&self) -> &'static str {
        match (self.secure, self.path.as_str()) {
            (true, "/") => "__Host-cachet_device",
            (true, _) => "__Secure-cachet_device",
            (false, _) => "cachet_device",
        }
    }

    /// A `Set-Cookie` value carrying a device cookie that lives `max_age` (it outlives the
    /// browser session on purpose: it stands for the browser, not the sign-in).
    #[must_use]
    pub fn set_device_cookie(&self, value: &str, max_age: TimeDelta) -> String {
        format!(
            "{}={value}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax{}",
            self.device_name(),
            self.path,
            max_age.num_seconds().max(0),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The device cookie's value from a `Cookie` request header, if present (verified by
    /// [`crate::auth::device::DeviceCookie::verify`], not here).
    #[must_use]
    pub fn read_device<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        let name = self.device_name();
        cookie_header.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name && !v.is_empty() && v.len() <= 128).then_some(v)
        })
    }

    /// The session secret from a `Cookie` request header, if present and well-formed
    /// (43 URL-safe base64 characters).
    #[must_use]
    pub fn read<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        cookie_header.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == self.name
                && v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then_some(v)
        })
    }
}

/// Whether a URL's host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`).
#[must_use]
pub fn is_loopback_url(url: &HttpUrl) -> bool {
    let rest = url.as_str().split_once("://").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map_or("", |h| h.trim_start_matches('['))
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::model::{SessionId, TokenHash, UserId};

    fn url(s: &str) -> HttpUrl {
        HttpUrl::parse(s).unwrap()
    }

    #[test]
    fn https_gets_the_host_prefix_and_secure() {
        let p = CookiePolicy::for_public_url(&url("https://status.example.com"), false);
        let c = p.set_cookie("x");
        assert_eq!(
            c,
            "__Host-cachet_session=x; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(p.sign_in_allowed());
        assert!(p.clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn a_page_mounted_under_a_path_scopes_its_cookies_to_it() {
        let p = CookiePolicy::for_public_url(&url("https://example.com/status/"), false);
        assert_eq!(p.path(), "/status");
        assert_eq!(
            p.set_cookie("x"),
            "__Secure-cachet_session=x; Path=/status; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(p.clear_cookie().contains("; Path=/status;"));
        assert_eq!(p.device_name(), "__Secure-cachet_device");
        let device = p.set_device_cookie("v", TimeDelta::days(1));
        assert!(
            device.starts_with("__Secure-cachet_device=v; Path=/status;"),
            "{device}"
        );
        assert!(device.ends_with("; Secure"), "{device}");
        let id = "a".repeat(43);
        assert_eq!(
            p.read(&format!("__Secure-cachet_session={id}")),
            Some(id.as_str())
        );
        assert_eq!(p.read(&format!("__Host-cachet_session={id}")), None);

        let local = CookiePolicy::for_public_url(&url("http://localhost:3000/status"), false);
        assert!(local.set_cookie("x").contains("; Path=/status;"));
        let root = CookiePolicy::for_public_url(&url("https://status.example.com/"), false);
        assert_eq!(root.path(), "/");
        assert_eq!(root.device_name(), "__Host-cachet_device");
    }

    #[test]
    fn plain_http_only_on_loopback_unless_allowed() {
        for local in [
            "http://127.0.0.1:8000",
            "http://localhost:3000/status",
            "http://[::1]:8000",
        ] {
            let p = CookiePolicy::for_public_url(&url(local), false);
            assert!(p.sign_in_allowed() && p.is_local_http(), "{local}");
            assert!(!p.set_cookie("x").contains("Secure"));
            assert!(!p.name().starts_with("__Host-"));
        }
        let p = CookiePolicy::for_public_url(&url("http://status.example.com"), false);
        assert!(!p.sign_in_allowed());
        assert!(
            CookiePolicy::for_public_url(&url("http://status.example.com"), true).sign_in_allowed()
        );
        assert!(!is_loopback_url(&url("http://127.0.0.1.evil.example")));
    }

    #[test]
    fn reads_only_well_formed_session_cookies() {
        let p = CookiePolicy::for_public_url(&url("https://s.example"), false);
        let id = "a".repeat(43);
        assert_eq!(
            p.read(&format!("other=1; __Host-cachet_session={id}")),
            Some(id.as_str())
        );
        assert_eq!(p.read("__Host-cachet_session=short"), None);
        assert_eq!(
            p.read(&format!("cachet_session={id}")),
            None,
            "the unprefixed name is not accepted over https"
        );
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let policy = SessionPolicy::default();
        let clock = ManualClock::at_epoch_2026();
        let t0 = clock.now();
        let mut s = Session {
            id: SessionId(1),
            hash: TokenHash([0; 32]),
            user_id: UserId(1),
            pending_second_factor: false,
            created_at: t0,
            last_seen_at: t0,
            expires_at: policy.expires_at(t0),
            ip: None,
            user_agent: None,
        };
        assert_eq!(
            policy.check(&s, t0 + TimeDelta::seconds(10)),
            SessionCheck::Valid { touch: false }
        );
        assert_eq!(
            policy.check(&s, t0 + TimeDelta::seconds(61)),
            SessionCheck::Valid { touch: true }
        );
        assert_eq!(
            policy.check(&s, t0 + TimeDelta::minutes(30)),
            SessionCheck::IdleExpired
        );
        s.last_seen_at = t0 + TimeDelta::hours(11) + TimeDelta::minutes(50);
        assert_eq!(
            policy.check(&s, t0 + TimeDelta::hours(12)),
            SessionCheck::AbsoluteExpired
        );
    }
}
