//! TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps) on `totp-rs`.
//!
//! A code is accepted for the current step or one step either side, and only for a step
//! later than the last one the user had accepted: the same code, or an older one, never
//! works twice (Cachet accepted replays). The store records the accepted step atomically
//! ([`crate::store::PeopleStore::accept_totp_step`]), so two concurrent requests with one code
//! cannot both win.

use qrcode::QrCode;
use qrcode::render::svg;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::tokens::{RandomUnavailable, random_bytes};
use crate::clock::Timestamp;

/// Bytes of a TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// The associated data a user's TOTP secret is sealed with (`Keyring::seal`), so a sealed
/// secret cannot be moved into a field of another kind.
pub const SECRET_AAD: &[u8] = b"cachet-rs/totp-secret";
/// The shortest secret accepted: 80 bits, what Cachet 2.4 (Google2FA's 16 base32 characters)
/// gave its users. Secrets made here are [`SECRET_BYTES`]; shorter ones only arrive by
/// importing, and must keep working with the authenticator that already holds them. Guessing
/// an 80-bit secret from observed codes is out of reach, and codes are throttled.
pub const MIN_SECRET_BYTES: usize = 10;

/// A fresh random secret.
///
/// # Errors
///
/// [`RandomUnavailable`].
pub fn new_secret() -> Result<[u8; SECRET_BYTES], RandomUnavailable> {
    random_bytes()
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<TOTP> {
    // The otpauth label uses ':' as its separator; names must not contain it.
    let clean = |s: &str| s.replace(':', " ");
    if secret.len() < MIN_SECRET_BYTES {
        return None;
    }
    // Unchecked: totp-rs refuses secrets under 128 bits (RFC 4226's floor), and imported
    // Cachet secrets are 80 bits (`MIN_SECRET_BYTES` is the floor kept here).
    Some(TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        0,
        30,
        secret.to_vec(),
        Some(clean(issuer)),
        clean(account),
    ))
}

/// The `otpauth://` URI an authenticator app scans.
#[must_use]
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account).map(|t| t.get_url())
}

/// The otpauth URI as an SVG QR code (no inline script, no external resources).
#[must_use]
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The secret in base32, for manual entry.
#[must_use]
pub fn secret_base32(secret: &[u8]) -> Option<String> {
    totp(secret, "x", "x").map(|t| t.get_secret_base32())
}

/// The time step of a moment.
#[must_use]
pub fn step_of(t: Timestamp) -> i64 {
    t.timestamp().div_euclid(STEP_SECONDS)
}

/// The code for a step (tests and previews).
#[must_use]
pub fn code_for_step(secret: &[u8], step: i64) -> Option<String> {
    let time = u64::try_from(step.checked_mul(STEP_SECONDS)?).ok()?;
    totp(secret, "x", "x").map(|t| t.generate(time))
}

/// The step a code matches: the current step or one either side, and only a step later
/// than `last_step`. The caller must then record it with `accept_totp_step`.
#[must_use]
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now: Timestamp,
    last_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    let mut found = None;
    // Check all three candidates without an early exit, so timing does not say which matched.
    for step in [current - 1, current, current + 1] {
        let fresh = last_step.is_none_or(|last| step > last);
        let expected = code_for_step(secret, step).unwrap_or_default();
        let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if equal && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    const SECRET: &[u8; 20] = b"12345678901234567890";

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) -> 287082 (6 digits).
        assert_eq!(code_for_step(SECRET, 1).unwrap(), "287082");
    }

    #[test]
    fn accepts_adjacent_steps_once_and_never_older() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 10).unwrap();
        let s = step_of(now);
        let code = code_for_step(SECRET, s).unwrap();
        assert_eq!(matching_step(SECRET, &code, now, None), Some(s));
        assert_eq!(matching_step(SECRET, &code, now, Some(s)), None, "replay");
        let prev = code_for_step(SECRET, s - 1).unwrap();
        assert_eq!(matching_step(SECRET, &prev, now, None), Some(s - 1));
        assert_eq!(
            matching_step(SECRET, &prev, now, Some(s)),
            None,
            "older than the last accepted"
        );
        let next = code_for_step(SECRET, s + 1).unwrap();
        assert_eq!(matching_step(SECRET, &next, now, Some(s)), Some(s + 1));
        let far = code_for_step(SECRET, s + 2).unwrap();
        assert_eq!(matching_step(SECRET, &far, now, None), None);
        assert_eq!(
            matching_step(SECRET, &code, now + TimeDelta::seconds(90), None),
            None
        );
        for junk in ["", "12345", "1234567", "abcdef", "12 345"] {
            assert_eq!(matching_step(SECRET, junk, now, None), None);
        }
    }

    #[test]
    fn an_imported_80_bit_secret_works_and_shorter_ones_never_match() {
        // Google2FA's 16 base32 characters, as Cachet 2.4 generated them.
        let secret = totp_rs::Secret::Encoded("JBSWY3DPEHPK3PXP".into())
            .to_bytes()
            .unwrap();
        assert_eq!(secret.len(), MIN_SECRET_BYTES);
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 10).unwrap();
        let code = code_for_step(&secret, step_of(now)).unwrap();
        assert_eq!(matching_step(&secret, &code, now, None), Some(step_of(now)));
        assert_eq!(code_for_step(&secret[..9], step_of(now)), None);
        assert_eq!(matching_step(&secret[..9], &code, now, None), None);
    }

    #[test]
    fn enrolment_uri_and_qr() {
        let uri = otpauth_uri(SECRET, "Acme: Status", "ops@acme.example").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("secret="));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && !svg.contains("<script"));
    }
}
