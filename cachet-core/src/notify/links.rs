//! Stateless signed links for subscribers: manage and unsubscribe.
//!
//! A link token is `{subscriber id}.{key id}.{tag}` where the tag is
//! HMAC-SHA-256 (the keyring's [`MacPurpose::Link`] subkey) over a fixed prefix, the link's
//! purpose, the subscriber id and the key id. Nothing is stored: the
//! signature is the proof, so a link works from every mail ever sent until the subscriber is
//! gone (erasure or unsubscribe deletes the row, and a new subscription gets a new id). The
//! purpose is inside the MAC, so a manage link never unsubscribes and the other way round, and
//! a tag made for subscriber A never verifies for B. Verification uses every key in the ring
//! in constant time, so a key rotation keeps old links working while the old key is kept.
//!
//! Verification links are *not* of this kind: they are random one-time tokens stored hashed
//! (see [`Cachet::subscribe`](crate::Cachet::subscribe)), because they must work once and
//! expire.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::model::SubscriberId;
use crate::secrets::{Keyring, MacPurpose};

/// What a signed link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPurpose {
    /// Change the subscriptions (`/subscribe/manage/{token}`).
    Manage,
    /// Unsubscribe, by confirm page or RFC 8058 one-click (`/unsubscribe/{token}`).
    Unsubscribe,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Manage => "manage",
            Self::Unsubscribe => "unsubscribe",
        }
    }

    /// The path of the page this link opens, without the mount prefix.
    #[must_use]
    pub fn path(self, token: &str) -> String {
        match self {
            Self::Manage => format!("/subscribe/manage/{token}"),
            Self::Unsubscribe => format!("/unsubscribe/{token}"),
        }
    }
}

/// The longest token accepted; anything longer is refused before any work.
const MAX_TOKEN_LEN: usize = 96;

fn message(purpose: LinkPurpose, subscriber: i64, key_id: u32) -> Vec<u8> {
    format!(
        "cachet-rs/link/v1|{}|{subscriber}|{key_id}",
        purpose.as_str()
    )
    .into_bytes()
}

/// Signs a link for a subscriber with the keyring's primary key.
#[must_use]
pub fn sign(keyring: &Keyring, purpose: LinkPurpose, subscriber: SubscriberId) -> String {
    let key_id = keyring.primary_id();
    let tag = keyring.mac(
        MacPurpose::Link,
        &message(purpose, subscriber.get(), key_id),
    );
    format!(
        "{}.{key_id}.{}",
        subscriber.get(),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Checks a link token for `purpose`; the subscriber it names when the signature holds.
/// Malformed, tampered, another purpose's or another key's: `None`.
#[must_use]
pub fn verify(keyring: &Keyring, purpose: LinkPurpose, token: &str) -> Option<SubscriberId> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut parts = token.split('.');
    let (Some(id), Some(key_id), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let id = crate::model::parse_id(id).ok()?;
    // Only canonical decimal key ids, so one link has exactly one spelling.
    if key_id.is_empty() || key_id.len() > 10 || !key_id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let key_id: u32 = key_id.parse().ok()?;
    if key_id.to_string().len() != key_id_len(token) {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    keyring
        .verify_mac(MacPurpose::Link, &message(purpose, id, key_id), &tag)
        .then_some(SubscriberId(id))
}

fn key_id_len(token: &str) -> usize {
    token.split('.').nth(1).map_or(0, str::len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretKey;

    fn ring() -> Keyring {
        Keyring::new(1, SecretKey::from_bytes([3; 32]))
    }

    #[test]
    fn round_trip_and_purpose_binding() {
        let r = ring();
        let t = sign(&r, LinkPurpose::Unsubscribe, SubscriberId(42));
        assert_eq!(
            verify(&r, LinkPurpose::Unsubscribe, &t),
            Some(SubscriberId(42))
        );
        assert_eq!(verify(&r, LinkPurpose::Manage, &t), None);
    }

    #[test]
    fn any_bit_flip_or_other_subscriber_fails() {
        let r = ring();
        let t = sign(&r, LinkPurpose::Manage, SubscriberId(7));
        let bytes = t.as_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.to_vec();
            b[i] ^= 1;
            if let Ok(s) = String::from_utf8(b) {
                assert_eq!(verify(&r, LinkPurpose::Manage, &s), None, "{s}");
            }
        }
        let other = t.replacen("7.", "8.", 1);
        assert_eq!(verify(&r, LinkPurpose::Manage, &other), None);
        for bad in [
            "",
            "7",
            "7.1",
            "7.1.x.y",
            "07.1.AAAA",
            "7.01.AAAA",
            &"9".repeat(200),
        ] {
            assert_eq!(verify(&r, LinkPurpose::Manage, bad), None, "{bad}");
        }
    }

    #[test]
    fn old_links_survive_rotation_while_the_old_key_is_kept() {
        let mut r = ring();
        let t = sign(&r, LinkPurpose::Unsubscribe, SubscriberId(5));
        r.rotate(2, SecretKey::from_bytes([4; 32])).unwrap();
        assert_eq!(
            verify(&r, LinkPurpose::Unsubscribe, &t),
            Some(SubscriberId(5))
        );
        let fresh = sign(&r, LinkPurpose::Unsubscribe, SubscriberId(5));
        assert!(fresh.starts_with("5.2."));
        let other = Keyring::new(1, SecretKey::from_bytes([9; 32]));
        assert_eq!(verify(&other, LinkPurpose::Unsubscribe, &t), None);
    }
}
