//! Secrets as the store sees them: sealed ciphertext and blind indexes, never plaintext.

use std::fmt;

/// A value encrypted with an AEAD by [`crate::secrets::Keyring`], with the id of the key that
/// sealed it (so keys can rotate while old rows stay readable). The store keeps these bytes
/// and never sees the plaintext.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The id of the key that sealed the value.
    pub key_id: u32,
    /// Nonce followed by ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealed {{ key_id: {}, {} bytes }}",
            self.key_id,
            self.ciphertext.len()
        )
    }
}

/// A keyed hash (HMAC-SHA-256) of a normalised secret value, used to find and deduplicate
/// sealed values (a subscriber's address) without decrypting them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex(pub [u8; 32]);

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The first bytes are enough to tell two apart in a test failure; the rest stays out
        // of logs.
        write!(
            f,
            "BlindIndex({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}
