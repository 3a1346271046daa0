//! Password hashing and policy.
//!
//! - **Hashing:** argon2id, at least m = 19456 KiB, t = 2, p = 1 (OWASP's floor, ASVS 6.2.x),
//!   configurable upward only, stored as PHC strings so parameters travel with each hash.
//!   A login with a hash made under weaker parameters (or another algorithm) is rehashed
//!   transparently ([`Verification::needs_rehash`]). bcrypt hashes (`$2y$`, what Cachet 2.4
//!   stored, brought in by `cachet import`) verify once, with their cost bounded by
//!   [`MAX_BCRYPT_COST`], and are replaced by argon2id at that sign-in.
//! - **Policy:** length (12 to 128 characters by default) plus a strength estimate by zxcvbn
//!   that also penalises the user's own email, name and the site name, and refuses one
//!   guessable word dressed in a year and symbols (`Summer2024!!!`), which zxcvbn alone
//!   rates strong. No composition rules (NIST SP 800-63B): they make passwords weaker, not
//!   stronger.
//! - **Unknown users** are verified against a dummy hash made with the same parameters, so a
//!   sign-in for an address that does not exist takes as long as a wrong password.

use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::tokens::{RandomUnavailable, random_bytes};
use crate::model::PasswordHash;
use crate::validate::Violation;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl Argon2Params {
    /// The floor: m = 19456 KiB, t = 2, p = 1.
    pub const MINIMUM: Self = Self {
        m_kib: 19_456,
        t: 2,
        p: 1,
    };

    /// Custom parameters, which may only be stronger than [`Argon2Params::MINIMUM`].
    ///
    /// # Errors
    ///
    /// [`Violation::OutOfRange`] for parameters below the floor or beyond 4 GiB / 64 passes
    /// / 16 lanes.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self, Violation> {
        if !(Self::MINIMUM.m_kib..=4 * 1024 * 1024).contains(&m_kib) {
            return Err(Violation::OutOfRange {
                min: 19_456,
                max: 4 * 1024 * 1024,
            });
        }
        if !(2..=64).contains(&t) {
            return Err(Violation::OutOfRange { min: 2, max: 64 });
        }
        if !(1..=16).contains(&p) {
            return Err(Violation::OutOfRange { min: 1, max: 16 });
        }
        Ok(Self { m_kib, t, p })
    }

    fn hasher(self) -> Result<Argon2<'static>, PasswordError> {
        let params =
            Params::new(self.m_kib, self.t, self.p, None).map_err(|_| PasswordError::Hashing)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::MINIMUM
    }
}

/// What can go wrong hashing or checking a password (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password breaks the policy.
    #[error("password {0}")]
    Policy(Violation),
    /// Hashing failed (random source or parameters).
    #[error("password hashing failed")]
    Hashing,
}

impl From<RandomUnavailable> for PasswordError {
    fn from(_: RandomUnavailable) -> Self {
        Self::Hashing
    }
}

/// Length and strength rules for new passwords.
///
/// Start from [`PasswordPolicy::default()`](Default::default) and assign the fields to change; it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Fewest characters (default 12).
    pub min_chars: usize,
    /// Most characters (default 128; argon2 is fine with more, but a bound stops abuse).
    pub max_chars: usize,
    /// Lowest acceptable zxcvbn score, 0 to 4 (default 3: "safely unguessable").
    pub min_score: u8,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 128,
            min_score: 3,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password. `context` holds words the password must not lean on: the
    /// user's email and name, the site name.
    ///
    /// # Errors
    ///
    /// [`Violation::TooShort`], [`Violation::TooLong`], [`Violation::ControlCharacter`] or
    /// [`Violation::Format`] ("hard to guess") when zxcvbn scores it too low.
    pub fn check(&self, password: &str, context: &[&str]) -> Result<(), Violation> {
        let chars = password.chars().count();
        if chars < self.min_chars {
            return Err(Violation::TooShort {
                min: self.min_chars,
            });
        }
        if chars > self.max_chars {
            return Err(Violation::TooLong {
                max: self.max_chars,
            });
        }
        if password.chars().any(char::is_control) {
            return Err(Violation::ControlCharacter);
        }
        // zxcvbn's matching is super-linear in length; beyond 64 characters the estimate of
        // the first 64 is already far above any threshold unless they are trivial.
        let head: String = password.chars().take(64).collect();
        let mut words: Vec<String> = Vec::new();
        for c in context.iter().map(|c| c.to_lowercase()) {
            // "Acme Status" is also "acme", "status" and "acmestatus"; an email's local part
            // and domain labels are words of their own.
            words.extend(
                c.split(|ch: char| !ch.is_alphanumeric())
                    .filter(|w| w.len() >= 3)
                    .map(str::to_owned),
            );
            words.push(c.chars().filter(|ch| ch.is_alphanumeric()).collect());
            words.push(c);
        }
        words.retain(|w| !w.is_empty());
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let score = u8::from(zxcvbn::zxcvbn(&head, &refs).score());
        if score < self.min_score || word_with_year_and_symbols(&head, &refs) {
            return Err(Violation::Format {
                expected: "harder to guess (avoid common words, names and the site name)",
            });
        }
        Ok(())
    }
}

/// Words that people build passwords on when a policy asks for "a word, a number and a
/// symbol": seasons, months and workplace words, in the page's languages, beyond what
/// zxcvbn's English dictionaries rank as common.
const GUESSABLE_WORDS: &[&str] = &[
    "spring",
    "summer",
    "autumn",
    "fall",
    "winter",
    "fruehling",
    "frühling",
    "sommer",
    "herbst",
    "printemps",
    "ete",
    "été",
    "automne",
    "hiver",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "januar",
    "februar",
    "maerz",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "fevrier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "aout",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "décembre",
    "password",
    "passwort",
    "motdepasse",
    "welcome",
    "willkommen",
    "bienvenue",
    "admin",
    "administrator",
    "company",
    "office",
    "status",
    "cachet",
    "secret",
    "changeme",
    "letmein",
    "qwerty",
    "login",
];

/// The "Summer2024!!!" pattern, which zxcvbn scores as strong because the year and the
/// symbols add guesses: one guessable word (the list above, a context word, or a core that
/// zxcvbn alone would guess in under a million tries) with nothing around it but symbols and
/// at most four digits (a year, a short number).
fn word_with_year_and_symbols(password: &str, context: &[&str]) -> bool {
    let core = password.trim_matches(|c: char| !c.is_alphabetic());
    if core.is_empty() {
        return false;
    }
    let affix_digits = password.chars().filter(char::is_ascii_digit).count()
        - core.chars().filter(char::is_ascii_digit).count();
    if affix_digits > 4 {
        return false;
    }
    // Separators inside the core ("Summer-Time") do not make it another word.
    let stem: String = core
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    GUESSABLE_WORDS.contains(&stem.as_str())
        || context.contains(&stem.as_str())
        || zxcvbn::zxcvbn(core, context).guesses() < 1_000_000
}

/// Hashes a password with argon2id and a fresh 128-bit salt.
///
/// # Errors
///
/// [`PasswordError::Hashing`].
pub fn hash_password(params: Argon2Params, password: &str) -> Result<PasswordHash, PasswordError> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|_| PasswordError::Hashing)?;
    let phc = params
        .hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| PasswordError::Hashing)?;
    Ok(PasswordHash(phc.to_string()))
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password matched.
    pub ok: bool,
    /// It matched, but the hash was made with weaker parameters or another algorithm and
    /// should be replaced.
    pub needs_rehash: bool,
}

/// The highest bcrypt cost an imported hash may carry (Laravel's default is 10; each step
/// doubles the work). A hash above it never matches, so a tampered row cannot make a sign-in
/// spin for minutes.
pub const MAX_BCRYPT_COST: u32 = 13;

/// The cost of a bcrypt hash in modular crypt form (`$2y$10$` + 53 characters), or `None`
/// when `hash` is not one.
fn bcrypt_cost(hash: &str) -> Option<u32> {
    let rest = ["$2y$", "$2b$", "$2a$"]
        .iter()
        .find_map(|p| hash.strip_prefix(p))?;
    let (cost, tail) = rest.split_once('$')?;
    if cost.len() != 2 || tail.len() != 53 {
        return None;
    }
    cost.parse().ok()
}

/// Checks a password against a stored hash: a PHC argon2 string, or a bcrypt hash brought in
/// from Cachet, which always asks for a rehash when it matches. A malformed hash, or one
/// whose cost is beyond what [`Argon2Params::new`] or [`MAX_BCRYPT_COST`] allows (a
/// tampered row trying to make us allocate gigabytes or spin), never matches.
#[must_use]
pub fn verify_password(params: Argon2Params, hash: &PasswordHash, password: &str) -> Verification {
    let no = Verification {
        ok: false,
        needs_rehash: false,
    };
    if let Some(cost) = bcrypt_cost(&hash.0) {
        if !(4..=MAX_BCRYPT_COST).contains(&cost) {
            return no;
        }
        // PHP's password_verify reads the first 72 bytes of the password, as this does.
        let ok = bcrypt::verify(password, &hash.0).unwrap_or(false);
        return Verification {
            ok,
            needs_rehash: ok,
        };
    }
    let Ok(phc) = Phc::new(&hash.0) else {
        return no;
    };
    let Ok(stored) = Params::try_from(&phc) else {
        return no;
    };
    if Argon2Params::new(
        stored.m_cost().max(Argon2Params::MINIMUM.m_kib),
        stored.t_cost().max(2),
        stored.p_cost(),
    )
    .is_err()
    {
        return no;
    }
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm) else {
        return no;
    };
    let verifier = Argon2::new(algorithm, Version::V0x13, stored.clone());
    let ok = verifier.verify_password(password.as_bytes(), &phc).is_ok();
    let weaker = algorithm != Algorithm::Argon2id
        || stored.m_cost() < params.m_kib
        || stored.t_cost() < params.t
        || stored.p_cost() < params.p;
    Verification {
        ok,
        needs_rehash: ok && weaker,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_with_the_floor_parameters() {
        let h = hash_password(Argon2Params::default(), "correct horse battery staple").unwrap();
        assert!(
            h.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.0
        );
        let v = verify_password(Argon2Params::default(), &h, "correct horse battery staple");
        assert_eq!(
            v,
            Verification {
                ok: true,
                needs_rehash: false
            }
        );
        assert!(!verify_password(Argon2Params::default(), &h, "correct horse battery stapl").ok);
        assert!(!format!("{h:?}").contains("argon2"));
    }

    #[test]
    fn weaker_stored_parameters_ask_for_a_rehash() {
        let stronger = Argon2Params::new(19_456, 3, 1).unwrap();
        let h = hash_password(Argon2Params::default(), "a long enough passphrase").unwrap();
        let v = verify_password(stronger, &h, "a long enough passphrase");
        assert_eq!(
            v,
            Verification {
                ok: true,
                needs_rehash: true
            }
        );
        // argon2i hashes (another algorithm) verify and ask for a rehash too
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(19_456, 2, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let h = PasswordHash(
            argon2i
                .hash_password(b"pw pw pw pw pw", &salt)
                .unwrap()
                .to_string(),
        );
        assert_eq!(
            verify_password(Argon2Params::default(), &h, "pw pw pw pw pw"),
            Verification {
                ok: true,
                needs_rehash: true
            }
        );
    }

    #[test]
    fn cachet_bcrypt_hashes_verify_and_ask_for_a_rehash() {
        // As PHP's password_hash makes them (`$2y$`, cost 10).
        let h = bcrypt::hash_with_salt("cachet 2.4 password", 10, [3u8; 16])
            .unwrap()
            .format_for_version(bcrypt::Version::TwoY);
        assert!(h.starts_with("$2y$10$"), "{h}");
        let h = PasswordHash(h);
        assert_eq!(
            verify_password(Argon2Params::default(), &h, "cachet 2.4 password"),
            Verification {
                ok: true,
                needs_rehash: true
            }
        );
        assert_eq!(
            verify_password(Argon2Params::default(), &h, "cachet 2.4 passwore"),
            Verification {
                ok: false,
                needs_rehash: false
            }
        );
        // A cost beyond the bound never matches (and is never computed).
        let slow = PasswordHash(h.0.replacen("$10$", "$31$", 1));
        assert!(!verify_password(Argon2Params::default(), &slow, "cachet 2.4 password").ok);
        let cut = PasswordHash(h.0[..40].to_owned());
        assert!(!verify_password(Argon2Params::default(), &cut, "cachet 2.4 password").ok);
    }

    #[test]
    fn parameters_below_the_floor_are_refused() {
        assert!(Argon2Params::new(4096, 2, 1).is_err());
        assert!(Argon2Params::new(19_456, 1, 1).is_err());
        assert!(Argon2Params::new(65_536, 3, 2).is_ok());
    }

    #[test]
    fn malformed_or_hostile_hashes_never_match() {
        for bad in [
            "",
            "plaintext",
            "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
            "$2y$10$abc",
        ] {
            assert!(
                !verify_password(
                    Argon2Params::default(),
                    &PasswordHash(bad.into()),
                    "plaintext"
                )
                .ok
            );
        }
    }

    #[test]
    fn season_year_symbol_passwords_are_weak() {
        let p = PasswordPolicy::default();
        for weak in [
            "Summer2024!!!",
            "Summer2024!!!!!!",
            "summer-2024!!!",
            "!!!Summer2024",
            "Winter2025?!?!",
            "Herbst2024!!!!",
            "Printemps2024!",
            "December2024!!",
            "Welcome2024!!!",
            "P@ssw0rd2024!!",
            "Acmestatus24!!!",
        ] {
            assert!(
                p.check(weak, &["ops@acme.example", "Acmestatus"]).is_err(),
                "{weak}"
            );
        }
        for fine in [
            "tangerine orbit cactus lullaby",
            "velvet harbor quantum pickle",
            "Summer tangerine orbit 2024!",
            "x7#Qm9$vLp2!wR",
        ] {
            assert_eq!(p.check(fine, &[]), Ok(()), "{fine}");
        }
    }

    #[test]
    fn policy_is_length_plus_strength_without_composition_rules() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("short", &[]), Err(Violation::TooShort { min: 12 }));
        assert_eq!(
            p.check(&"x".repeat(129), &[]),
            Err(Violation::TooLong { max: 128 })
        );
        assert!(p.check("password1234", &[]).is_err(), "common password");
        assert!(p.check("aaaaaaaaaaaaaaaa", &[]).is_err(), "repetition");
        assert!(
            p.check("acmestatus2026!", &["ops@acme.example", "Acme Status"])
                .is_err(),
            "site name"
        );
        // all lowercase, no digits or symbols: fine when long and unusual
        assert!(p.check("tangerine orbit cactus lullaby", &[]).is_ok());
        let long: String = [b"a", b"b"]
            .iter()
            .map(|s| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(s)))
            .collect();
        assert_eq!(long.len(), 128);
        assert!(p.check(&long, &[]).is_ok(), "128 random characters");
    }
}
