//! Device cookies: a browser that completed a sign-in to an account gets a signed cookie
//! naming that account, and from then on is throttled on its own budget.
//!
//! This is OWASP's "device cookie" defence against lockout as denial of service: a stranger
//! who keeps an account's sign-in locked by sending wrong passwords from fresh addresses
//! locks out only *untrusted* clients (no valid device cookie for that account); a browser
//! the user signed in from before keeps working, and its own failures count against the
//! cookie's key, so a stolen cookie buys an attacker one small budget, not a bypass.
//!
//! The value is `<user id>.<issued at>.<16-byte nonce>.<tag>` (Unix seconds, URL-safe
//! base64), the tag an HMAC ([`MacPurpose::Device`]) over the other three and a fingerprint
//! of the account's credentials (its password hash and when its second factor was
//! confirmed). Nothing is stored: the throttle key is derived from the nonce, the age is
//! checked against the issue time (a cookie kept past its `Max-Age` is refused), a password
//! change or reset and enabling or disabling 2FA void every device cookie of the account (so
//! cookies collected while a password was known buy nothing once it changed), and rotating
//! the keyring's primary key leaves old cookies valid while the old key stays in the ring.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use chrono::TimeDelta;

use super::tokens::{RandomUnavailable, random_bytes};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::model::{User, UserId};
use crate::secrets::{Keyring, MacPurpose};

/// The longest cookie value accepted (a user id and a time of up to 19 digits each, 22 + 43
/// characters of base64 and three dots); anything longer is not looked at.
const MAX_LEN: usize = 19 + 1 + 19 + 1 + 22 + 1 + 43;

/// A verified device cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCookie {
    user: UserId,
    issued_at: i64,
    nonce: [u8; 16],
    credentials: [u8; 32],
}

/// A digest of what proves the account: a change of either voids its device cookies.
fn credentials_of(user: &User) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(user.password_hash.0.as_bytes());
    h.update([0]);
    let confirmed = user
        .totp
        .as_ref()
        .and_then(|t| t.confirmed_at)
        .map_or(0, |t| t.timestamp_micros());
    h.update(confirmed.to_be_bytes());
    h.finalize().into()
}

impl DeviceCookie {
    /// A new device cookie for `user` and its value for the `Set-Cookie` header.
    ///
    /// # Errors
    ///
    /// [`RandomUnavailable`] when the system has no randomness.
    pub fn mint(
        keyring: &Keyring,
        user: &User,
        now: Timestamp,
    ) -> Result<(Self, String), RandomUnavailable> {
        let cookie = Self {
            user: user.id,
            issued_at: now.timestamp(),
            nonce: random_bytes::<16>()?,
            credentials: credentials_of(user),
        };
        let tag = keyring.mac(MacPurpose::Device, &cookie.signed_bytes());
        let value = format!(
            "{}.{}.{}.{}",
            user.id.get(),
            cookie.issued_at,
            URL_SAFE_NO_PAD.encode(cookie.nonce),
            URL_SAFE_NO_PAD.encode(tag)
        );
        Ok((cookie, value))
    }

    /// The cookie a presented value stands for, if it names `user`, its tag verifies under
    /// any key of the ring with the user's current credentials, and it was issued at most
    /// `max_age` before `now`. Malformed, forged, moved, outdated and expired values are
    /// `None`.
    #[must_use]
    pub fn verify(
        keyring: &Keyring,
        value: &str,
        user: &User,
        now: Timestamp,
        max_age: TimeDelta,
    ) -> Option<Self> {
        if value.len() > MAX_LEN {
            return None;
        }
        let mut parts = value.split('.');
        let (id, issued_at, nonce, tag) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || !digits(id) || !digits(issued_at) {
            return None;
        }
        let cookie = Self {
            user: UserId(id.parse().ok()?),
            issued_at: issued_at.parse().ok()?,
            nonce: URL_SAFE_NO_PAD.decode(nonce).ok()?.try_into().ok()?,
            credentials: credentials_of(user),
        };
        if cookie.user != user.id {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let age = now.timestamp().checked_sub(cookie.issued_at)?;
        let fresh = (0..=max_age.num_seconds()).contains(&age);
        (fresh && keyring.verify_mac(MacPurpose::Device, &cookie.signed_bytes(), &tag))
            .then_some(cookie)
    }

    /// The account this browser signed in to.
    #[must_use]
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The throttle key of this device: its failures count here, not on the account.
    #[must_use]
    pub fn throttle_key(&self) -> String {
        format!("device:{}", hex::encode(self.nonce))
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut data = b"cachet-rs/device/v1\0".to_vec();
        data.extend_from_slice(&self.user.get().to_be_bytes());
        data.extend_from_slice(&self.issued_at.to_be_bytes());
        data.extend_from_slice(&self.nonce);
        data.extend_from_slice(&self.credentials);
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::model::{PasswordHash, Role, TotpState};
    use crate::secrets::SecretKey;
    use crate::validate::{Email, Name};

    fn user(id: i64) -> User {
        User {
            id: UserId(id),
            name: Name::parse("Ada").unwrap(),
            email: Email::parse("ada@example.com").unwrap(),
            role: Role::Admin,
            password_hash: PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            active: true,
            totp: None,
            last_login_at: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn ring(byte: u8) -> Keyring {
        Keyring::new(1, SecretKey::from_bytes([byte; 32]))
    }

    const DAYS: TimeDelta = TimeDelta::days(180);

    fn now() -> Timestamp {
        ManualClock::at_epoch_2026().now()
    }

    #[test]
    fn a_minted_cookie_verifies_and_names_its_user() {
        let k = ring(7);
        let (cookie, value) = DeviceCookie::mint(&k, &user(42), now()).unwrap();
        assert!(value.len() <= MAX_LEN);
        let back = DeviceCookie::verify(&k, &value, &user(42), now(), DAYS).unwrap();
        assert_eq!(back, cookie);
        assert_eq!(back.user(), UserId(42));
        assert!(back.throttle_key().starts_with("device:"));
        let (other, _) = DeviceCookie::mint(&k, &user(42), now()).unwrap();
        assert_ne!(
            other.throttle_key(),
            cookie.throttle_key(),
            "each browser its own key"
        );
    }

    #[test]
    fn forged_moved_outdated_and_malformed_cookies_are_refused() {
        let k = ring(7);
        let ada = user(42);
        let (_, value) = DeviceCookie::mint(&k, &ada, now()).unwrap();
        let check = |k: &Keyring, v: &str, u: &User, at: Timestamp| {
            DeviceCookie::verify(k, v, u, at, DAYS).is_some()
        };
        assert!(!check(&ring(8), &value, &ada, now()), "another key");
        assert!(!check(&k, &value, &user(43), now()), "another user");
        let moved = value.replacen("42.", "43.", 1);
        assert!(
            !check(&k, &moved, &user(43), now()),
            "renamed to another user"
        );
        let later = now() + DAYS + TimeDelta::seconds(1);
        assert!(!check(&k, &value, &ada, later), "expired");
        let earlier = now() - TimeDelta::seconds(1);
        assert!(!check(&k, &value, &ada, earlier), "from the future");
        let new_password = User {
            password_hash: PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3".into()),
            ..ada.clone()
        };
        assert!(
            !check(&k, &value, &new_password, now()),
            "the password changed"
        );
        let with_2fa = User {
            totp: Some(TotpState {
                secret: crate::model::Sealed {
                    key_id: 1,
                    ciphertext: vec![0; 40],
                },
                confirmed_at: Some(now()),
                last_step: None,
            }),
            ..ada.clone()
        };
        assert!(!check(&k, &value, &with_2fa, now()), "2FA was enabled");
        for bad in [
            "",
            "42",
            "42...",
            "x.1.AAAA.BBBB",
            "-1.1.AAAAAAAAAAAAAAAAAAAAAA.AAAA",
            &format!("{value}.extra"),
            &"9".repeat(200),
        ] {
            assert!(!check(&k, bad, &ada, now()), "{bad:?}");
        }
    }

    #[test]
    fn cookies_survive_a_key_rotation() {
        let mut k = ring(7);
        let (_, value) = DeviceCookie::mint(&k, &user(1), now()).unwrap();
        k.rotate(2, SecretKey::from_bytes([9; 32])).unwrap();
        assert!(DeviceCookie::verify(&k, &value, &user(1), now(), DAYS).is_some());
    }
}
