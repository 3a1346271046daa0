//! The keyring: sealing subscriber addresses and webhook secrets, blind indexes, and the MACs
//! behind CSRF tokens and signed links.
//!
//! # Why
//!
//! * **A stolen database must not leak the subscriber list.** Subscriber addresses are
//!   personal data; the core seals them with an AEAD (XChaCha20-Poly1305, a random 192-bit
//!   nonce per value, so no nonce bookkeeping is needed) before any [`Store`](crate::store::Store)
//!   sees them. The key lives outside the database (key file or environment), so a SQL
//!   injection, a backup or a read replica only ever holds ciphertext.
//! * **Look-ups and uniqueness without decryption.** Each sealed address comes with a
//!   [`BlindIndex`]: a keyed HMAC of the normalised value. Without the key it reveals nothing
//!   (no dictionary attack on the hash of `ceo@example.com`).
//! * **Rotation without downtime.** Every sealed value records the id of the key that sealed
//!   it; a ring holds one primary key (used to seal and sign) and any number of old keys
//!   (still accepted to open and verify), so keys can rotate while old rows stay readable.
//! * **One secret, independent purposes.** From each key, independent subkeys are derived
//!   with HMAC-SHA-256(key, `"cachet-rs/v1/<purpose>"`) for sealing, blind indexes, CSRF
//!   tokens and signed links. A MAC made for a CSRF token can never be replayed as a signed
//!   unsubscribe link, and a leak of one subkey does not expose the others. (Cachet's CSRF
//!   tokens were encrypted with the same `APP_KEY` as everything else; one leak forged all.)
//! * **Nothing secret in logs.** `Debug` of keys and rings prints ids only; errors never carry
//!   key bytes or plaintext.
//!
//! Blind indexes use the key with the lowest id (the *index key*) rather than the primary,
//! so rotating the primary does not change any index. [`Keyring::rotate`] only accepts ids
//! above every id in the ring, which keeps the index key fixed; retiring the index key itself
//! needs every index recomputed (a re-indexing job, not provided here).

pub mod key_file;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use crate::model::{BlindIndex, Sealed};
use crate::validate::{Email, HttpUrl, PhoneNumber};

type HmacSha256 = Hmac<Sha256>;

/// The length of a secret key, in bytes.
pub const KEY_LEN: usize = 32;
/// The length of the random nonce prepended to every sealed value.
pub const NONCE_LEN: usize = 24;
/// The length of the authentication tag appended by the AEAD.
const TAG_LEN: usize = 16;

/// The associated data that binds a sealed subscriber address to its purpose.
pub const AAD_SUBSCRIBER_EMAIL: &[u8] = b"subscriber-email";
/// The associated data that binds a sealed subscriber phone number to its purpose: a sealed
/// number cannot be opened as an address, nor an address as a number.
pub const AAD_SUBSCRIBER_PHONE: &[u8] = b"subscriber-phone";
/// The associated data that binds a sealed chat subscriber's incoming-webhook URL to its
/// purpose: a sealed URL opens as nothing else, and nothing else opens as a URL.
pub const AAD_SUBSCRIBER_CHAT: &[u8] = b"subscriber-chat";
/// What the blind index of a chat subscriber's URL hashes before the URL: a domain of its
/// own, so a URL never shares an index with an address or a number.
const CHAT_INDEX_DOMAIN: &str = "chat:";
/// What the blind index of a phone number hashes before the E.164 form: a domain of its own,
/// so a number and an address never share an index (no address starts with `sms:` and is
/// otherwise digits), and the index of one channel tells nothing about the other.
const PHONE_INDEX_DOMAIN: &str = "sms:";

/// Why a key could not be loaded or a value could not be sealed or opened. Messages never
/// contain key bytes or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The key is not standard base64 of exactly [`KEY_LEN`] bytes.
    #[error("secret key: must be {KEY_LEN} bytes encoded as standard base64")]
    InvalidKey,
    /// The operating system's random number generator failed.
    #[error("secret key: the system random number generator failed")]
    Random,
    /// Two keys in one ring share an id.
    #[error("keyring: key id {id} is used twice")]
    DuplicateKeyId {
        /// The repeated id.
        id: u32,
    },
    /// A rotation used an id that is not above every id in the ring.
    #[error("keyring: a new primary key id must be greater than {max}, got {id}")]
    KeyIdNotIncreasing {
        /// The id that was offered.
        id: u32,
        /// The largest id in the ring.
        max: u32,
    },
    /// The value was sealed with a key that is not in the ring.
    #[error("sealed value: unknown key id {key_id}")]
    UnknownKey {
        /// The key id recorded with the value.
        key_id: u32,
    },
    /// The sealed value is too short to hold a nonce and a tag.
    #[error("sealed value: malformed")]
    Malformed,
    /// Authentication failed: the value was tampered with, the associated data differs, or
    /// the key is wrong.
    #[error("sealed value: authentication failed")]
    Decrypt,
    /// Sealing failed (the plaintext is too large for the AEAD).
    #[error("sealed value: encryption failed")]
    Encrypt,
    /// The opened plaintext is not a valid value of the expected type.
    #[error("sealed value: the plaintext is not a valid {expected}")]
    InvalidPlaintext {
        /// What the plaintext should have been.
        expected: &'static str,
    },
}

/// A 256-bit secret key. `Debug` never shows the bytes; the bytes are overwritten with zeros
/// (best effort) when the key is dropped.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    /// Parses a key from standard base64 (surrounding whitespace, such as a trailing newline
    /// in a key file, is ignored).
    ///
    /// # Errors
    ///
    /// [`SecretError::InvalidKey`] unless the text decodes to exactly [`KEY_LEN`] bytes.
    pub fn from_base64(s: &str) -> Result<Self, SecretError> {
        let mut bytes = STANDARD
            .decode(s.trim())
            .map_err(|_| SecretError::InvalidKey)?;
        let key = <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| SecretError::InvalidKey);
        bytes.fill(0);
        key.map(Self)
    }

    /// A key from raw bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random key from the operating system.
    ///
    /// # Errors
    ///
    /// [`SecretError::Random`] if the system generator is unavailable.
    pub fn generate() -> Result<Self, SecretError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|_| SecretError::Random)?;
        Ok(Self(bytes))
    }

    /// The key as standard base64, for writing a new key file. The result is as secret as the
    /// key.
    #[must_use]
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites key material with zeros. Best effort without `unsafe` or an extra dependency:
/// `black_box` keeps the compiler from proving the writes dead.
fn wipe(bytes: &mut [u8; KEY_LEN]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// What a MAC made by [`Keyring::mac`] is for. Each purpose has its own subkey, so a tag made
/// for one purpose never verifies for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacPurpose {
    /// Stateless CSRF tokens on visitor forms.
    Csrf,
    /// Signed links: manage, unsubscribe, verification.
    Link,
    /// Device cookies: a browser that completed a sign-in to an account.
    Device,
    /// The stored form of an SMS confirmation code: keyed, so six digits read from a copy of
    /// the database cannot be found by hashing every code.
    SmsCode,
}

/// The subkeys derived from one key. Only these are kept; the key itself is dropped.
struct Subkeys {
    id: u32,
    seal: [u8; KEY_LEN],
    blind_index: [u8; KEY_LEN],
    csrf: [u8; KEY_LEN],
    link: [u8; KEY_LEN],
    device: [u8; KEY_LEN],
    sms_code: [u8; KEY_LEN],
}

impl Subkeys {
    fn derive(id: u32, key: &SecretKey) -> Self {
        let sub = |purpose: &str| hmac_sha256(&key.0, format!("cachet-rs/v1/{purpose}").as_bytes());
        Self {
            id,
            seal: sub("seal"),
            blind_index: sub("blind-index"),
            csrf: sub("csrf"),
            link: sub("link"),
            device: sub("device"),
            sms_code: sub("sms-code"),
        }
    }

    fn mac_key(&self, purpose: MacPurpose) -> &[u8; KEY_LEN] {
        match purpose {
            MacPurpose::Csrf => &self.csrf,
            MacPurpose::Link => &self.link,
            MacPurpose::Device => &self.device,
            MacPurpose::SmsCode => &self.sms_code,
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.seal.into())
    }
}

impl Drop for Subkeys {
    fn drop(&mut self) {
        wipe(&mut self.seal);
        wipe(&mut self.blind_index);
        wipe(&mut self.csrf);
        wipe(&mut self.link);
        wipe(&mut self.device);
        wipe(&mut self.sms_code);
    }
}

/// HMAC-SHA-256 with a 32-byte key.
fn hmac_sha256(key: &[u8; KEY_LEN], data: &[u8]) -> [u8; 32] {
    // HMAC pads keys shorter than the block with zeros; doing it here uses the infallible
    // constructor and gives exactly HMAC(key, data).
    let mut block = [0u8; 64];
    block[..KEY_LEN].copy_from_slice(key);
    let mut mac = <HmacSha256 as KeyInit>::new(&block.into());
    block.fill(0);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The secret keys of a deployment: one primary key that seals and signs, and old keys that
/// are still accepted for opening and verifying. See the [module docs](self).
pub struct Keyring {
    primary: Subkeys,
    old: Vec<Subkeys>,
}

impl Keyring {
    /// A ring with a single key, which is primary and index key.
    #[must_use]
    pub fn new(id: u32, key: SecretKey) -> Self {
        Self {
            primary: Subkeys::derive(id, &key),
            old: Vec::new(),
        }
    }

    /// Adds a retired key that is still accepted for opening and verifying.
    ///
    /// # Errors
    ///
    /// [`SecretError::DuplicateKeyId`] if the id is already in the ring.
    pub fn with_old_key(mut self, id: u32, key: SecretKey) -> Result<Self, SecretError> {
        if self.keys().any(|k| k.id == id) {
            return Err(SecretError::DuplicateKeyId { id });
        }
        self.old.push(Subkeys::derive(id, &key));
        Ok(self)
    }

    /// Makes `new_key` the primary key; the previous primary stays in the ring for reading.
    ///
    /// # Errors
    ///
    /// [`SecretError::KeyIdNotIncreasing`] unless `new_id` is greater than every id in the
    /// ring (so the index key, the lowest id, never changes by rotation).
    pub fn rotate(&mut self, new_id: u32, new_key: SecretKey) -> Result<(), SecretError> {
        let max = self.keys().map(|k| k.id).max().unwrap_or(self.primary.id);
        if new_id <= max {
            return Err(SecretError::KeyIdNotIncreasing { id: new_id, max });
        }
        let previous = std::mem::replace(&mut self.primary, Subkeys::derive(new_id, &new_key));
        self.old.push(previous);
        Ok(())
    }

    /// The id of the primary key (the one [`seal`](Self::seal) uses).
    #[must_use]
    pub fn primary_id(&self) -> u32 {
        self.primary.id
    }

    /// The id of the key whose subkey computes blind indexes (the lowest id in the ring).
    #[must_use]
    pub fn index_key_id(&self) -> u32 {
        self.index_key().id
    }

    /// Every key id in the ring, primary first.
    pub fn key_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys().map(|k| k.id)
    }

    fn keys(&self) -> impl Iterator<Item = &Subkeys> {
        std::iter::once(&self.primary).chain(&self.old)
    }

    fn index_key(&self) -> &Subkeys {
        self.keys().fold(
            &self.primary,
            |lowest, k| if k.id < lowest.id { k } else { lowest },
        )
    }

    /// An HMAC-SHA-256 tag over `data` with the primary key's subkey for `purpose`.
    #[must_use]
    pub fn mac(&self, purpose: MacPurpose, data: &[u8]) -> [u8; 32] {
        hmac_sha256(self.primary.mac_key(purpose), data)
    }

    /// Whether `tag` is a valid tag over `data` for `purpose` under any key in the ring.
    /// Compares in constant time and always tries every key.
    #[must_use]
    pub fn verify_mac(&self, purpose: MacPurpose, data: &[u8], tag: &[u8]) -> bool {
        let mut ok = Choice::from(0);
        for key in self.keys() {
            ok |= hmac_sha256(key.mac_key(purpose), data)
                .as_slice()
                .ct_eq(tag);
        }
        ok.into()
    }

    /// Encrypts `plaintext` with the primary key. `aad` names what the value is (for example
    /// [`AAD_SUBSCRIBER_EMAIL`]) and must be given again to open it, so a sealed value cannot
    /// be moved into a field of another kind.
    ///
    /// # Errors
    ///
    /// [`SecretError::Random`] if no nonce could be drawn, [`SecretError::Encrypt`] if the
    /// plaintext is too large for the AEAD (256 GiB).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let body = self
            .primary
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| SecretError::Encrypt)?;
        let mut ciphertext = Vec::with_capacity(NONCE_LEN + body.len());
        ciphertext.extend_from_slice(&nonce);
        ciphertext.extend_from_slice(&body);
        Ok(Sealed {
            key_id: self.primary.id,
            ciphertext,
        })
    }

    /// Decrypts a value sealed by [`seal`](Self::seal) with any key in the ring and the same
    /// `aad`.
    ///
    /// # Errors
    ///
    /// [`SecretError::UnknownKey`] if the key is not in the ring, [`SecretError::Malformed`]
    /// if the value is too short, [`SecretError::Decrypt`] if it was tampered with or `aad`
    /// differs.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, SecretError> {
        let key = self
            .keys()
            .find(|k| k.id == sealed.key_id)
            .ok_or(SecretError::UnknownKey {
                key_id: sealed.key_id,
            })?;
        if sealed.ciphertext.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, body) = sealed.ciphertext.split_at(NONCE_LEN);
        let nonce = <[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| SecretError::Malformed)?;
        key.cipher()
            .decrypt(&XNonce::from(nonce), Payload { msg: body, aad })
            .map_err(|_| SecretError::Decrypt)
    }

    /// The keyed blind index of an already-normalised value, computed with the index key (the
    /// lowest id in the ring), so it does not change when the primary key rotates.
    #[must_use]
    pub fn blind_index(&self, normalized: &str) -> BlindIndex {
        BlindIndex(hmac_sha256(
            &self.index_key().blind_index,
            normalized.as_bytes(),
        ))
    }

    /// Seals a subscriber address and computes its blind index. [`Email`] is already
    /// lowercased, so the index does not depend on case.
    ///
    /// # Errors
    ///
    /// As [`seal`](Self::seal).
    pub fn seal_email(&self, email: &Email) -> Result<(Sealed, BlindIndex), SecretError> {
        Ok((
            self.seal(email.as_str().as_bytes(), AAD_SUBSCRIBER_EMAIL)?,
            self.blind_index(email.as_str()),
        ))
    }

    /// Opens a subscriber address sealed by [`seal_email`](Self::seal_email) and re-validates
    /// it.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), or [`SecretError::InvalidPlaintext`] if the plaintext is not a
    /// valid address.
    pub fn open_email(&self, sealed: &Sealed) -> Result<Email, SecretError> {
        let plain = self.open(sealed, AAD_SUBSCRIBER_EMAIL)?;
        let invalid = SecretError::InvalidPlaintext {
            expected: "email address",
        };
        let text = String::from_utf8(plain).map_err(|_| invalid.clone())?;
        Email::parse(&text).map_err(|_| invalid)
    }
}

impl Keyring {
    /// The blind index of a subscriber's phone number: the E.164 form in the phone domain.
    #[must_use]
    pub fn phone_index(&self, phone: &PhoneNumber) -> BlindIndex {
        self.blind_index(&format!("{PHONE_INDEX_DOMAIN}{}", phone.as_str()))
    }

    /// Seals a subscriber phone number (its E.164 form) and computes its blind index
    /// ([`phone_index`](Self::phone_index)).
    ///
    /// # Errors
    ///
    /// As [`seal`](Self::seal).
    pub fn seal_phone(&self, phone: &PhoneNumber) -> Result<(Sealed, BlindIndex), SecretError> {
        Ok((
            self.seal(phone.as_str().as_bytes(), AAD_SUBSCRIBER_PHONE)?,
            self.phone_index(phone),
        ))
    }

    /// Opens a number sealed by [`seal_phone`](Self::seal_phone) and re-validates it.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), or [`SecretError::InvalidPlaintext`] if the plaintext is not a
    /// valid number.
    pub fn open_phone(&self, sealed: &Sealed) -> Result<PhoneNumber, SecretError> {
        let plain = self.open(sealed, AAD_SUBSCRIBER_PHONE)?;
        let invalid = SecretError::InvalidPlaintext {
            expected: "phone number",
        };
        let text = String::from_utf8(plain).map_err(|_| invalid.clone())?;
        PhoneNumber::parse(&text).map_err(|_| invalid)
    }
}

impl Keyring {
    /// The blind index of a chat subscriber's incoming-webhook URL: the URL as [`HttpUrl`]
    /// keeps it (scheme and host lowercase, the rest as given, since the path is the
    /// platform's case-sensitive secret) in the chat domain.
    #[must_use]
    pub fn chat_index(&self, url: &HttpUrl) -> BlindIndex {
        self.blind_index(&format!("{CHAT_INDEX_DOMAIN}{}", url.as_str()))
    }

    /// Seals a chat subscriber's incoming-webhook URL (a credential: whoever has it can post
    /// into the channel) and computes its blind index ([`chat_index`](Self::chat_index)).
    ///
    /// # Errors
    ///
    /// As [`seal`](Self::seal).
    pub fn seal_chat_url(&self, url: &HttpUrl) -> Result<(Sealed, BlindIndex), SecretError> {
        Ok((
            self.seal(url.as_str().as_bytes(), AAD_SUBSCRIBER_CHAT)?,
            self.chat_index(url),
        ))
    }

    /// Opens a URL sealed by [`seal_chat_url`](Self::seal_chat_url) and re-validates it.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), or [`SecretError::InvalidPlaintext`] if the plaintext is not a
    /// valid URL.
    pub fn open_chat_url(&self, sealed: &Sealed) -> Result<HttpUrl, SecretError> {
        let plain = self.open(sealed, AAD_SUBSCRIBER_CHAT)?;
        let invalid = SecretError::InvalidPlaintext {
            expected: "chat webhook URL",
        };
        let text = String::from_utf8(plain).map_err(|_| invalid.clone())?;
        HttpUrl::parse(&text).map_err(|_| invalid)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("primary_id", &self.primary.id)
            .field(
                "old_ids",
                &self.old.iter().map(|k| k.id).collect::<Vec<_>>(),
            )
            .field("index_key_id", &self.index_key_id())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretKey {
        SecretKey::from_bytes([b; KEY_LEN])
    }

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn base64_keys_parse_and_bad_ones_are_refused() {
        let k = SecretKey::generate().unwrap();
        let text = format!("{}\n", k.to_base64());
        assert_eq!(SecretKey::from_base64(&text).unwrap().0, k.0);
        for bad in [
            "",
            "not base64!",
            &STANDARD.encode([1u8; 31]),
            &STANDARD.encode([1u8; 33]),
            "AAAA",
        ] {
            assert_eq!(
                SecretKey::from_base64(bad).unwrap_err(),
                SecretError::InvalidKey,
                "{bad:?}"
            );
        }
        assert_ne!(
            SecretKey::generate().unwrap().0,
            SecretKey::generate().unwrap().0
        );
    }

    #[test]
    fn hmac_helper_matches_the_reference_construction() {
        let k = [7u8; KEY_LEN];
        let mut reference = <HmacSha256 as Mac>::new_from_slice(&k).unwrap();
        reference.update(b"data");
        let reference: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(hmac_sha256(&k, b"data"), reference);
    }

    #[test]
    fn subkeys_are_independent() {
        let s = Subkeys::derive(1, &key(9));
        let all = [s.seal, s.blind_index, s.csrf, s.link];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
            assert_ne!(a, &[9u8; KEY_LEN]);
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let ring = Keyring::new(1, key(1));
        let sealed = ring.seal(b"webhook secret", b"webhook-secret").unwrap();
        assert_eq!(sealed.key_id, 1);
        assert_eq!(sealed.ciphertext.len(), NONCE_LEN + 14 + TAG_LEN);
        assert_eq!(
            ring.open(&sealed, b"webhook-secret").unwrap(),
            b"webhook secret"
        );
        // Random nonces: the same plaintext seals differently every time.
        assert_ne!(
            ring.seal(b"x", b"a").unwrap().ciphertext,
            ring.seal(b"x", b"a").unwrap().ciphertext
        );
        assert_eq!(
            ring.open(&ring.seal(b"", b"a").unwrap(), b"a").unwrap(),
            b""
        );
    }

    #[test]
    fn tampering_and_wrong_aad_fail_without_leaking() {
        let ring = Keyring::new(1, key(1));
        let sealed = ring.seal(b"ops@example.com", AAD_SUBSCRIBER_EMAIL).unwrap();
        for i in 0..sealed.ciphertext.len() {
            let mut t = sealed.clone();
            t.ciphertext[i] ^= 0x01;
            assert_eq!(
                ring.open(&t, AAD_SUBSCRIBER_EMAIL).unwrap_err(),
                SecretError::Decrypt
            );
        }
        let mut short = sealed.clone();
        short.ciphertext.truncate(NONCE_LEN + TAG_LEN - 1);
        assert_eq!(
            ring.open(&short, AAD_SUBSCRIBER_EMAIL).unwrap_err(),
            SecretError::Malformed
        );
        let err = ring.open(&sealed, b"webhook-secret").unwrap_err();
        assert_eq!(err, SecretError::Decrypt);
        assert!(!format!("{err} {err:?}").contains("ops@"));
        let mut other_key = sealed.clone();
        other_key.key_id = 7;
        assert_eq!(
            ring.open(&other_key, AAD_SUBSCRIBER_EMAIL).unwrap_err(),
            SecretError::UnknownKey { key_id: 7 }
        );
        // A different key under the same id does not open it either.
        assert_eq!(
            Keyring::new(1, key(2))
                .open(&sealed, AAD_SUBSCRIBER_EMAIL)
                .unwrap_err(),
            SecretError::Decrypt
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_seals_with_the_new_key() {
        let mut ring = Keyring::new(1, key(1));
        let old = ring.seal(b"old", b"t").unwrap();
        let old_mac = ring.mac(MacPurpose::Link, b"unsubscribe:42");
        ring.rotate(2, key(2)).unwrap();
        assert_eq!(ring.primary_id(), 2);
        assert_eq!(ring.open(&old, b"t").unwrap(), b"old");
        let new = ring.seal(b"new", b"t").unwrap();
        assert_eq!(new.key_id, 2);
        assert_eq!(ring.open(&new, b"t").unwrap(), b"new");
        // Old signed links still verify; new ones are made with the new key.
        assert!(ring.verify_mac(MacPurpose::Link, b"unsubscribe:42", &old_mac));
        assert_ne!(ring.mac(MacPurpose::Link, b"unsubscribe:42"), old_mac);
        // The new key alone cannot read the old value.
        assert_eq!(
            Keyring::new(2, key(2)).open(&old, b"t").unwrap_err(),
            SecretError::UnknownKey { key_id: 1 }
        );
        assert_eq!(
            ring.rotate(2, key(3)).unwrap_err(),
            SecretError::KeyIdNotIncreasing { id: 2, max: 2 }
        );
        assert_eq!(
            ring.rotate(1, key(3)).unwrap_err(),
            SecretError::KeyIdNotIncreasing { id: 1, max: 2 }
        );
        assert_eq!(ring.key_ids().collect::<Vec<_>>(), vec![2, 1]);
    }

    #[test]
    fn configured_rings_with_old_keys() {
        let ring = Keyring::new(3, key(3))
            .with_old_key(1, key(1))
            .unwrap()
            .with_old_key(2, key(2))
            .unwrap();
        let sealed = Keyring::new(2, key(2)).seal(b"v", b"a").unwrap();
        assert_eq!(ring.open(&sealed, b"a").unwrap(), b"v");
        assert_eq!(ring.index_key_id(), 1);
        assert_eq!(
            Keyring::new(3, key(3)).with_old_key(3, key(4)).unwrap_err(),
            SecretError::DuplicateKeyId { id: 3 }
        );
    }

    #[test]
    fn macs_are_purpose_bound_and_tamper_evident() {
        let ring = Keyring::new(1, key(1));
        let tag = ring.mac(MacPurpose::Csrf, b"session:abc");
        assert!(ring.verify_mac(MacPurpose::Csrf, b"session:abc", &tag));
        assert!(!ring.verify_mac(MacPurpose::Link, b"session:abc", &tag));
        assert!(!ring.verify_mac(MacPurpose::Csrf, b"session:abd", &tag));
        assert!(!ring.verify_mac(MacPurpose::Csrf, b"session:abc", &tag[..31]));
        assert!(!ring.verify_mac(MacPurpose::Csrf, b"session:abc", &[]));
        let mut bad = tag;
        bad[31] ^= 1;
        assert!(!ring.verify_mac(MacPurpose::Csrf, b"session:abc", &bad));
        assert!(!Keyring::new(1, key(2)).verify_mac(MacPurpose::Csrf, b"session:abc", &tag));
    }

    #[test]
    fn blind_index_is_stable_across_rotation_and_case() {
        let mut ring = Keyring::new(1, key(1));
        let (sealed, index) = ring.seal_email(&email("Ops@Example.com")).unwrap();
        assert_eq!(index, ring.blind_index("ops@example.com"));
        ring.rotate(2, key(2)).unwrap();
        ring.rotate(3, key(3)).unwrap();
        let (sealed_again, index_again) = ring.seal_email(&email("OPS@example.COM")).unwrap();
        assert_eq!(index_again, index);
        assert_eq!(sealed_again.key_id, 3);
        assert_eq!(ring.open_email(&sealed).unwrap(), email("ops@example.com"));
        assert_eq!(
            ring.open_email(&sealed_again).unwrap(),
            email("ops@example.com")
        );
        assert_ne!(ring.blind_index("other@example.com"), index);
        // Keyed: another deployment's index of the same address differs.
        assert_ne!(
            Keyring::new(1, key(9)).blind_index("ops@example.com"),
            index
        );
        // An email sealed under another purpose does not open as an email.
        let webhook = ring.seal(b"ops@example.com", b"webhook-secret").unwrap();
        assert_eq!(ring.open_email(&webhook).unwrap_err(), SecretError::Decrypt);
        let junk = ring.seal(b"not an address", AAD_SUBSCRIBER_EMAIL).unwrap();
        assert_eq!(
            ring.open_email(&junk).unwrap_err(),
            SecretError::InvalidPlaintext {
                expected: "email address"
            }
        );
    }

    #[test]
    fn a_number_and_an_address_never_share_an_index_or_a_seal() {
        let mut ring = Keyring::new(1, key(1));
        let phone = PhoneNumber::parse("+44 7400 123456").unwrap();
        let (sealed, index) = ring.seal_phone(&phone).unwrap();
        assert_eq!(index, ring.blind_index("sms:+447400123456"));
        // The plain E.164 string, hashed as an address would be, is another index.
        assert_ne!(index, ring.blind_index("+447400123456"));
        assert_eq!(ring.open_phone(&sealed).unwrap(), phone);
        // A number does not open as an address, nor an address as a number.
        assert_eq!(ring.open_email(&sealed).unwrap_err(), SecretError::Decrypt);
        let (address, _) = ring.seal_email(&email("ops@example.com")).unwrap();
        assert_eq!(ring.open_phone(&address).unwrap_err(), SecretError::Decrypt);
        // Stable across rotation, like an address's.
        ring.rotate(2, key(2)).unwrap();
        assert_eq!(ring.seal_phone(&phone).unwrap().1, index);
        assert_eq!(ring.open_phone(&sealed).unwrap(), phone);
    }

    #[test]
    fn a_chat_url_has_its_own_seal_and_index_domain() {
        let mut ring = Keyring::new(1, key(1));
        let url = HttpUrl::parse("https://hooks.slack.com/services/T0/B0/Secret").unwrap();
        let (sealed, index) = ring.seal_chat_url(&url).unwrap();
        assert_eq!(
            index,
            ring.blind_index("chat:https://hooks.slack.com/services/T0/B0/Secret")
        );
        assert_ne!(index, ring.blind_index(url.as_str()));
        assert_eq!(ring.open_chat_url(&sealed).unwrap(), url);
        // A URL opens as neither an address nor a number, and neither opens as a URL.
        assert_eq!(ring.open_email(&sealed).unwrap_err(), SecretError::Decrypt);
        assert_eq!(ring.open_phone(&sealed).unwrap_err(), SecretError::Decrypt);
        let (address, _) = ring.seal_email(&email("ops@example.com")).unwrap();
        assert_eq!(
            ring.open_chat_url(&address).unwrap_err(),
            SecretError::Decrypt
        );
        // The secret path is case-sensitive: another case is another URL.
        let other = HttpUrl::parse("https://hooks.slack.com/services/T0/B0/secret").unwrap();
        assert_ne!(ring.chat_index(&other), index);
        ring.rotate(2, key(2)).unwrap();
        assert_eq!(ring.seal_chat_url(&url).unwrap().1, index);
        assert_eq!(ring.open_chat_url(&sealed).unwrap(), url);
    }

    #[test]
    fn debug_never_shows_key_material() {
        let k = SecretKey::generate().unwrap();
        let raw = k.0;
        let b64 = k.to_base64();
        let raw_hex = hex::encode(raw);
        let ring = Keyring::new(5, k.clone())
            .with_old_key(4, key(0xab))
            .unwrap();
        let subkeys = Subkeys::derive(5, &k);
        for text in [
            format!("{k:?}"),
            format!("{k:#?}"),
            format!("{ring:?}"),
            format!("{ring:#?}"),
        ] {
            assert!(!text.contains(&b64), "{text}");
            assert!(!text.to_lowercase().contains(&raw_hex), "{text}");
            assert!(!text.contains(&format!("{raw:?}")), "{text}");
            assert!(!text.contains(&format!("{:?}", subkeys.seal)), "{text}");
            assert!(!text.contains("171, 171"), "{text}");
        }
        assert_eq!(
            format!("{ring:?}"),
            "Keyring { primary_id: 5, old_ids: [4], index_key_id: 4, .. }"
        );
    }
}
