//! High-entropy secrets: API tokens, session ids, one-time tokens and recovery codes.
//!
//! Every such secret is generated from the OS random source, shown to its owner once, and
//! stored only as its SHA-256 ([`TokenHash`]). A leaked database therefore yields nothing that
//! authenticates. SHA-256 (not a slow hash) is right here because the inputs carry at least
//! 128 random bits: there is nothing to brute-force.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::model::TokenHash;

/// The OS random source failed (practically never; the operation is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator is unavailable")]
pub struct RandomUnavailable;

/// `N` bytes from the OS random source.
///
/// # Errors
///
/// [`RandomUnavailable`] when the OS cannot provide randomness.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomUnavailable> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| RandomUnavailable)?;
    Ok(buf)
}

/// SHA-256 of a secret, as stored.
#[must_use]
pub fn hash_secret(secret: &str) -> TokenHash {
    TokenHash(Sha256::digest(secret.as_bytes()).into())
}

/// Compares two hashes in constant time.
#[must_use]
pub fn hashes_equal(a: &TokenHash, b: &TokenHash) -> bool {
    a.0.ct_eq(&b.0).into()
}

/// A random URL-safe secret of 256 bits (43 characters): session ids and one-time tokens.
///
/// # Errors
///
/// [`RandomUnavailable`].
pub fn random_secret() -> Result<String, RandomUnavailable> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// The prefix every API token starts with, so leaked tokens are recognisable by secret
/// scanners and in logs.
pub const API_TOKEN_PREFIX: &str = "cachet_";
/// Characters of an API token that are stored and shown in lists (`cachet_` + 6 random hex).
pub const API_TOKEN_DISPLAY_CHARS: usize = 13;
const API_TOKEN_RANDOM_HEX: usize = 40;
const API_TOKEN_CHECKSUM_HEX: usize = 8;

/// A newly minted API token: the secret (shown once) and what is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedToken {
    /// The full token, to show the user exactly once.
    pub secret: String,
    /// Its hash, stored.
    pub hash: TokenHash,
    /// Its non-secret display prefix, stored.
    pub prefix: String,
}

impl std::fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MintedToken {{ prefix: {:?}, secret: <redacted> }}",
            self.prefix
        )
    }
}

fn checksum_hex(random_hex: &str) -> String {
    let digest = Sha256::digest(random_hex.as_bytes());
    hex::encode(&digest[..API_TOKEN_CHECKSUM_HEX / 2])
}

/// Mints an API token: `cachet_` + 160 random bits in hex + a 32-bit checksum in hex.
///
/// # Errors
///
/// [`RandomUnavailable`].
pub fn mint_api_token() -> Result<MintedToken, RandomUnavailable> {
    let random = hex::encode(random_bytes::<20>()?);
    let secret = format!("{API_TOKEN_PREFIX}{random}{}", checksum_hex(&random));
    Ok(MintedToken {
        hash: hash_secret(&secret),
        prefix: secret[..API_TOKEN_DISPLAY_CHARS].to_owned(),
        secret,
    })
}

/// Whether a string has the shape and checksum of one of our API tokens. Used to refuse
/// garbage before a database look-up, and by secret scanners.
#[must_use]
pub fn is_well_formed_api_token(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(API_TOKEN_PREFIX) else {
        return false;
    };
    if rest.len() != API_TOKEN_RANDOM_HEX + API_TOKEN_CHECKSUM_HEX
        || !rest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
    let (random, checksum) = rest.split_at(API_TOKEN_RANDOM_HEX);
    checksum_hex(random)
        .as_bytes()
        .ct_eq(checksum.as_bytes())
        .into()
}

/// Characters of an API key made by Cachet 2.4 (`Str::random(20)`: letters and digits, about
/// 119 random bits), imported by `cachet import` and stored hashed like ours.
pub const LEGACY_API_TOKEN_CHARS: usize = 20;

/// Whether a string has exactly the shape of an API key Cachet 2.4 generated: 20 ASCII
/// letters and digits. Such keys carry no checksum, so this only refuses what can never be
/// one before a database look-up; our own tokens keep their stricter check.
#[must_use]
pub fn is_legacy_cachet_api_token(s: &str) -> bool {
    s.len() == LEGACY_API_TOKEN_CHARS && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Characters of the secret of a Laravel Sanctum token (Cachet 3's API keys): 40 random
/// letters and digits, then (Sanctum 4) the CRC-32 of those as 8 hexadecimal digits.
const SANCTUM_ENTROPY_CHARS: usize = 40;
const SANCTUM_CRC_CHARS: usize = 8;

/// The longest `sanctum.token_prefix` a presented Sanctum token may start with.
pub const SANCTUM_TOKEN_PREFIX_MAX_CHARS: usize = 64;

/// Whether a string has the shape of the secret of a Sanctum token Cachet 3 issued (the
/// part after `<id>|`): 40 letters and digits, alone (Sanctum 2 and 3) or followed by their
/// CRC-32 in lowercase hexadecimal (Sanctum 4). Sanctum 4 also puts the installation's
/// `sanctum.token_prefix` (e.g. `cachet_`) in front: `<prefix><40 random><crc32b>`, the
/// CRC-32 still of the random part alone. The prefix is part of what Sanctum hashed, so the
/// key is looked up by the SHA-256 of the whole secret, prefix included, and no setting is
/// needed to accept it; any prefix of up to [`SANCTUM_TOKEN_PREFIX_MAX_CHARS`] printable
/// ASCII characters is taken, the checksum keeping garbage from a database look-up.
/// Imported Cachet 3 keys are stored by the SHA-256 Sanctum stored, which is how ours are
/// looked up.
#[must_use]
pub fn is_sanctum_api_token(s: &str) -> bool {
    let alnum = |t: &str| t.bytes().all(|b| b.is_ascii_alphanumeric());
    if s.len() == SANCTUM_ENTROPY_CHARS {
        return alnum(s);
    }
    // Sanctum 4: the checksum is always there, the prefix may be empty.
    let Some(prefix_len) = s
        .len()
        .checked_sub(SANCTUM_ENTROPY_CHARS + SANCTUM_CRC_CHARS)
    else {
        return false;
    };
    if prefix_len > SANCTUM_TOKEN_PREFIX_MAX_CHARS || !s.is_char_boundary(prefix_len) {
        return false;
    }
    let (prefix, rest) = s.split_at(prefix_len);
    let (entropy, crc) = rest.split_at(SANCTUM_ENTROPY_CHARS);
    prefix.bytes().all(|b| b.is_ascii_graphic())
        && alnum(entropy)
        && crc == format!("{:08x}", crc32(entropy.as_bytes()))
}

/// A Sanctum token as presented, `<id>|<secret>` or the bare secret: the id, if given, and
/// the secret. `None` when it is not a Sanctum token's shape.
#[must_use]
pub fn split_sanctum_api_token(s: &str) -> Option<(Option<i64>, &str)> {
    match s.split_once('|') {
        Some((id, secret)) => {
            let id = id
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| id.parse().ok())
                .flatten()?;
            is_sanctum_api_token(secret).then_some((Some(id), secret))
        }
        None => is_sanctum_api_token(s).then_some((None, s)),
    }
}

/// CRC-32 (IEEE, as PHP's `hash('crc32b', ...)`).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// How many recovery codes a user gets.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Mints one recovery code: 120 random bits as 24 base32 characters in four groups
/// (`abcdef-ghijkl-mnopqr-stuvwx`), easy to read aloud and type.
///
/// # Errors
///
/// [`RandomUnavailable`].
pub fn mint_recovery_code() -> Result<String, RandomUnavailable> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bytes = random_bytes::<15>()?;
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let mut out = String::with_capacity(27);
    for i in 0..24 {
        if i > 0 && i % 6 == 0 {
            out.push('-');
        }
        let shift = 5 * (23 - i);
        out.push(char::from(ALPHABET[((bits >> shift) & 31) as usize]));
    }
    Ok(out)
}

/// Normalises a typed recovery code (case, spaces, hyphens) before hashing, so `ABCD EF…`
/// and `abcdef-…` match. Returns `None` for anything that cannot be a code.
#[must_use]
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    (s.len() == 24
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
    .then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tokens_have_prefix_entropy_and_checksum() {
        let t = mint_api_token().unwrap();
        assert!(t.secret.starts_with("cachet_"));
        assert_eq!(t.secret.len(), 7 + 40 + 8);
        assert!(is_well_formed_api_token(&t.secret));
        assert_eq!(t.hash, hash_secret(&t.secret));
        assert!(t.secret.starts_with(&t.prefix));
        assert!(!format!("{t:?}").contains(&t.secret));
        // one flipped character breaks the checksum
        let mut bad = t.secret.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!is_well_formed_api_token(&String::from_utf8(bad).unwrap()));
        assert!(!is_well_formed_api_token("cachet_"));
        assert!(!is_well_formed_api_token("' OR 1=1 --"));
        assert!(is_legacy_cachet_api_token("aB3dE5gH7jK9mN1pQ3sT"));
        for bad in [
            "aB3dE5gH7jK9mN1pQ3s",
            "aB3dE5gH7jK9mN1pQ3sTu",
            "aB3dE5gH7jK9mN1pQ3s-",
            "aB3dE5gH7jK9mN1pQ3s\u{e9}",
        ] {
            assert!(!is_legacy_cachet_api_token(bad), "{bad}");
        }
        assert!(!is_legacy_cachet_api_token(&t.secret));
        assert_ne!(mint_api_token().unwrap().secret, t.secret);
    }

    #[test]
    fn sanctum_tokens_are_told_by_shape_and_checksum() {
        // PHP: hash('crc32b', 'The quick brown fox jumps over the lazy dog') = 414fa339.
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414f_a339
        );
        let entropy = "abcdefghijABCDEFGHIJ0123456789klmnopqrst";
        let full = format!("{entropy}{:08x}", crc32(entropy.as_bytes()));
        assert!(is_sanctum_api_token(entropy));
        assert!(is_sanctum_api_token(&full));
        assert!(!is_sanctum_api_token(&format!("{entropy}00000000")));
        assert!(!is_sanctum_api_token(&entropy[1..]));
        assert_eq!(
            split_sanctum_api_token(&format!("12|{full}")),
            Some((Some(12), full.as_str()))
        );
        assert_eq!(split_sanctum_api_token(&full), Some((None, full.as_str())));
        for bad in [
            format!("x|{full}"),
            format!("|{full}"),
            "12|short".to_owned(),
        ] {
            assert_eq!(split_sanctum_api_token(&bad), None, "{bad}");
        }
    }

    /// A token as Sanctum 4's `HasApiTokens::generateTokenString` builds it with
    /// `sanctum.token_prefix` set: `sprintf('%s%s%s', prefix, $entropy, hash('crc32b',
    /// $entropy))`, handed out by `createToken` as `<id>|` and that.
    fn sanctum_plain_token(prefix: &str, entropy: &str) -> String {
        format!("{prefix}{entropy}{:08x}", crc32(entropy.as_bytes()))
    }

    #[test]
    fn sanctum_tokens_with_a_token_prefix_are_recognised_whole() {
        let entropy = "abcdefghijABCDEFGHIJ0123456789klmnopqrst";
        for prefix in ["cachet_", "ghp_", "x", "acme-status_"] {
            let plain = sanctum_plain_token(prefix, entropy);
            assert!(is_sanctum_api_token(&plain), "{plain}");
            // The id is split off; the secret keeps its prefix, as Sanctum hashed it.
            assert_eq!(
                split_sanctum_api_token(&format!("7|{plain}")),
                Some((Some(7), plain.as_str()))
            );
            assert_eq!(
                split_sanctum_api_token(&plain),
                Some((None, plain.as_str()))
            );
        }
        // The checksum is of the random part alone: one over the prefix too is refused.
        let wrong = format!(
            "cachet_{entropy}{:08x}",
            crc32(format!("cachet_{entropy}").as_bytes())
        );
        assert!(!is_sanctum_api_token(&wrong));
        // Without its checksum a prefixed token is not Sanctum's (the prefix came with it).
        assert!(!is_sanctum_api_token(&format!("cachet_{entropy}")));
        for prefix in [
            "has space ".to_owned(),
            "\u{e9}".to_owned(),
            "p".repeat(SANCTUM_TOKEN_PREFIX_MAX_CHARS + 1),
        ] {
            let plain = sanctum_plain_token(&prefix, entropy);
            assert!(!is_sanctum_api_token(&plain), "{plain:?}");
        }
        assert!(is_sanctum_api_token(&sanctum_plain_token(
            &"p".repeat(SANCTUM_TOKEN_PREFIX_MAX_CHARS),
            entropy
        )));
    }

    #[test]
    fn recovery_codes_carry_120_bits_and_normalise() {
        let code = mint_recovery_code().unwrap();
        assert_eq!(code.len(), 27);
        let typed = code.to_ascii_uppercase().replace('-', " ");
        assert_eq!(
            normalize_recovery_code(&typed).unwrap(),
            code.replace('-', "")
        );
        assert_eq!(normalize_recovery_code("short"), None);
        assert_eq!(normalize_recovery_code("0000000000000000000000001"), None);
    }

    #[test]
    fn secrets_are_256_bit() {
        let s = random_secret().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&s).unwrap().len(), 32);
    }
}
