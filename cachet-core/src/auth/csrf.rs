//! Cross-site request forgery: the one rule of ARCHITECTURE.md section 3.
//!
//! Every HTML form carries a token, and every unsafe request to a page route also passes an
//! Origin / `Sec-Fetch-Site` check against the public URL's origin:
//!
//! - forms of a signed-in user carry the session's **synchronizer token**, an HMAC of the
//!   session's stored hash (nothing extra to store, and it changes whenever the session id
//!   rotates);
//! - visitor forms without a session (subscribe, sign-in, setup, manage, unsubscribe confirm)
//!   carry a **stateless token**: an expiry and an HMAC over the form's purpose and that expiry;
//! - both are verified in constant time, with every key in the keyring (so a key rotation does
//!   not break forms already on screen);
//! - the **origin check** follows Go 1.25's `CrossOriginProtection` (ported by tower-http's
//!   `CsrfLayer`): `Sec-Fetch-Site: same-origin` or `none` passes, any other value fails; without
//!   it, an `Origin` must equal the public URL's origin; with neither (non-browser clients),
//!   the token alone decides.
//!
//! Exempt: the API (it authenticates by token, never by cookie) and the RFC 8058 one-click
//! unsubscribe POST (its signed URL is the proof).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;

use crate::clock::Timestamp;
use crate::model::TokenHash;
use crate::secrets::{Keyring, MacPurpose};
use crate::validate::HttpUrl;

/// How long a visitor form token stays valid (default 2 hours).
pub const VISITOR_TOKEN_TTL: TimeDelta = TimeDelta::hours(2);

/// Why a request failed the CSRF rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfError {
    /// The form token is missing.
    #[error("the form token is missing")]
    MissingToken,
    /// The form token is wrong, expired or for another form.
    #[error("the form token is invalid or expired; reload the page and try again")]
    BadToken,
    /// The request came from another site.
    #[error("cross-site request refused")]
    CrossOrigin,
}

/// The synchronizer token of a session.
#[must_use]
pub fn session_token(keyring: &Keyring, session_hash: &TokenHash) -> String {
    URL_SAFE_NO_PAD.encode(keyring.mac(MacPurpose::Csrf, &session_message(session_hash)))
}

fn session_message(session_hash: &TokenHash) -> Vec<u8> {
    let mut m = b"session:".to_vec();
    m.extend_from_slice(&session_hash.0);
    m
}

/// Checks a submitted synchronizer token.
///
/// # Errors
///
/// [`CsrfError::MissingToken`] or [`CsrfError::BadToken`].
pub fn verify_session_token(
    keyring: &Keyring,
    session_hash: &TokenHash,
    submitted: Option<&str>,
) -> Result<(), CsrfError> {
    let submitted = submitted
        .filter(|s| !s.is_empty())
        .ok_or(CsrfError::MissingToken)?;
    let tag = URL_SAFE_NO_PAD
        .decode(submitted)
        .map_err(|_| CsrfError::BadToken)?;
    if keyring.verify_mac(MacPurpose::Csrf, &session_message(session_hash), &tag) {
        Ok(())
    } else {
        Err(CsrfError::BadToken)
    }
}

fn visitor_message(form: &str, expires: i64) -> Vec<u8> {
    format!("visitor:{form}:{expires}").into_bytes()
}

/// A stateless token for the visitor form `form` (such as `subscribe` or `login`), valid
/// until `now + ttl`.
#[must_use]
pub fn visitor_token(keyring: &Keyring, form: &str, now: Timestamp, ttl: TimeDelta) -> String {
    let expires = (now + ttl).timestamp();
    let tag = keyring.mac(MacPurpose::Csrf, &visitor_message(form, expires));
    format!("v1.{expires}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// Checks a visitor form token for `form` at `now`.
///
/// # Errors
///
/// [`CsrfError::MissingToken`] or [`CsrfError::BadToken`] (malformed, expired, another form's,
/// or signed by an unknown key).
pub fn verify_visitor_token(
    keyring: &Keyring,
    form: &str,
    submitted: Option<&str>,
    now: Timestamp,
) -> Result<(), CsrfError> {
    let submitted = submitted
        .filter(|s| !s.is_empty())
        .ok_or(CsrfError::MissingToken)?;
    let mut parts = submitted.splitn(3, '.');
    let (Some("v1"), Some(expires), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CsrfError::BadToken);
    };
    let expires: i64 = expires.parse().map_err(|_| CsrfError::BadToken)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| CsrfError::BadToken)?;
    let authentic = keyring.verify_mac(MacPurpose::Csrf, &visitor_message(form, expires), &tag);
    if authentic && expires > now.timestamp() {
        Ok(())
    } else {
        Err(CsrfError::BadToken)
    }
}

/// The origin (`scheme://host[:port]`) of a public URL.
#[must_use]
pub fn origin_of(url: &HttpUrl) -> &str {
    let s = url.as_str();
    let after_scheme = s.find("://").map_or(0, |i| i + 3);
    let end = s[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| after_scheme + i);
    &s[..end]
}

/// Whether a method changes state (everything but GET, HEAD, OPTIONS, TRACE).
#[must_use]
pub fn is_unsafe_method(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// The Origin / `Sec-Fetch-Site` check for an unsafe request.
///
/// # Errors
///
/// [`CsrfError::CrossOrigin`].
pub fn check_origin(
    public_origin: &str,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
) -> Result<(), CsrfError> {
    if let Some(site) = sec_fetch_site {
        return match site.trim() {
            "same-origin" | "none" => Ok(()),
            _ => Err(CsrfError::CrossOrigin),
        };
    }
    match origin {
        None => Ok(()),
        Some(o) if o.trim().eq_ignore_ascii_case(public_origin) => Ok(()),
        Some(_) => Err(CsrfError::CrossOrigin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::secrets::SecretKey;

    fn keyring() -> Keyring {
        Keyring::new(1, SecretKey::generate().unwrap())
    }

    #[test]
    fn session_tokens_are_bound_to_the_session() {
        let k = keyring();
        let a = TokenHash([1; 32]);
        let t = session_token(&k, &a);
        assert_eq!(verify_session_token(&k, &a, Some(&t)), Ok(()));
        assert_eq!(
            verify_session_token(&k, &TokenHash([2; 32]), Some(&t)),
            Err(CsrfError::BadToken)
        );
        assert_eq!(
            verify_session_token(&k, &a, None),
            Err(CsrfError::MissingToken)
        );
        assert_eq!(
            verify_session_token(&k, &a, Some("")),
            Err(CsrfError::MissingToken)
        );
        assert_eq!(
            verify_session_token(&keyring(), &a, Some(&t)),
            Err(CsrfError::BadToken),
            "another key"
        );
    }

    #[test]
    fn visitor_tokens_expire_and_are_bound_to_their_form() {
        let k = keyring();
        let clock = ManualClock::at_epoch_2026();
        let t = visitor_token(&k, "subscribe", clock.now(), VISITOR_TOKEN_TTL);
        assert_eq!(
            verify_visitor_token(&k, "subscribe", Some(&t), clock.now()),
            Ok(())
        );
        assert_eq!(
            verify_visitor_token(&k, "login", Some(&t), clock.now()),
            Err(CsrfError::BadToken)
        );
        let forged = t.replacen("v1.", "v1.9", 1);
        assert_eq!(
            verify_visitor_token(&k, "subscribe", Some(&forged), clock.now()),
            Err(CsrfError::BadToken)
        );
        clock.advance(VISITOR_TOKEN_TTL);
        assert_eq!(
            verify_visitor_token(&k, "subscribe", Some(&t), clock.now()),
            Err(CsrfError::BadToken)
        );
        for junk in ["v1", "v1..", "v2.1.a", "v1.x.y", "v1.99999999999.!!"] {
            assert_eq!(
                verify_visitor_token(&k, "subscribe", Some(junk), clock.now()),
                Err(CsrfError::BadToken)
            );
        }
    }

    #[test]
    fn tokens_survive_key_rotation() {
        let old = SecretKey::generate().unwrap();
        let before = Keyring::new(1, old.clone());
        let t = session_token(&before, &TokenHash([9; 32]));
        let mut after = Keyring::new(1, old);
        after.rotate(2, SecretKey::generate().unwrap()).unwrap();
        assert_eq!(
            verify_session_token(&after, &TokenHash([9; 32]), Some(&t)),
            Ok(())
        );
    }

    #[test]
    fn origin_check_follows_sec_fetch_site_then_origin() {
        let o = origin_of(&HttpUrl::parse("https://status.example.com/base/path?q").unwrap())
            .to_owned();
        assert_eq!(o, "https://status.example.com");
        assert_eq!(check_origin(&o, None, Some("same-origin")), Ok(()));
        assert_eq!(check_origin(&o, None, Some("none")), Ok(()));
        assert_eq!(
            check_origin(&o, Some(&o), Some("cross-site")),
            Err(CsrfError::CrossOrigin)
        );
        assert_eq!(
            check_origin(&o, None, Some("same-site")),
            Err(CsrfError::CrossOrigin)
        );
        assert_eq!(
            check_origin(&o, Some("https://evil.example"), None),
            Err(CsrfError::CrossOrigin)
        );
        assert_eq!(
            check_origin(&o, Some("null"), None),
            Err(CsrfError::CrossOrigin)
        );
        assert_eq!(
            check_origin(&o, Some("https://status.example.com"), None),
            Ok(())
        );
        assert_eq!(check_origin(&o, None, None), Ok(()));
        assert!(is_unsafe_method("POST") && is_unsafe_method("DELETE") && !is_unsafe_method("GET"));
    }
}
