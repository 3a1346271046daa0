//! Inbound SMS webhooks: checking that a request comes from the provider, and recognising
//! opt-out replies.
//!
//! Providers POST replies and delivery receipts to a URL of the status page. Anyone can POST
//! there, so a request counts only when its signature verifies, with the scheme each provider
//! documents:
//!
//! - [`verify_twilio`]: `X-Twilio-Signature`, the base64 HMAC-SHA1 under the account's auth
//!   token of the full request URL followed by every POST parameter, sorted by name, as name and
//!   value appended without separators.
//! - [`verify_vonage`]: Vonage's signed SMS webhooks ("Signing messages", HMAC-SHA256
//!   method): the `sig` parameter is the hex HMAC-SHA256 under the signature secret of every
//!   other parameter, sorted by name, as `&name=value` with `&` and `=` inside values replaced
//!   by `_`; the signed `timestamp` must be within five minutes of now, so a captured request
//!   cannot be replayed later.
//!
//! Signatures are compared in constant time. [`is_opt_out`] recognises the opt-out keywords
//! carriers and providers honour (`STOP` and its synonyms).
//!
//! Pure functions on the request's pieces: the web adapters hand over the URL, the decoded
//! form parameters and the header, and no framework type enters the core.
//!
//! ```
//! use cachet_core::notify::inbound_sms::{is_opt_out, verify_twilio};
//!
//! // Twilio's example from its "Validating requests" documentation.
//! let params: Vec<(String, String)> = [
//!     ("CallSid", "CA1234567890ABCDE"),
//!     ("Caller", "+14158675310"),
//!     ("Digits", "1234"),
//!     ("From", "+14158675310"),
//!     ("To", "+18005551212"),
//! ]
//! .into_iter()
//! .map(|(k, v)| (k.to_owned(), v.to_owned()))
//! .collect();
//! let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
//! assert!(verify_twilio("12345", url, &params, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
//! assert!(!verify_twilio("12346", url, &params, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
//! assert!(is_opt_out("  Stop "));
//! ```

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

use crate::clock::Timestamp;

/// How far a Vonage `timestamp` may be from now, either way (clock skew and delivery delay).
pub const VONAGE_MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The opt-out keywords of US carriers (CTIA) that Twilio and Vonage honour by default.
pub const OPT_OUT_KEYWORDS: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];

/// Whether `signature_header` (`X-Twilio-Signature`) is Twilio's signature of this request.
///
/// `full_url` is the URL Twilio requested, scheme, host, path and query included, exactly as
/// configured at Twilio (behind a TLS-terminating proxy, the public `https` URL, not the one
/// the application server saw). `params` are the decoded `application/x-www-form-urlencoded`
/// POST parameters (empty for a GET). As Twilio's own libraries do, the URL is also tried with
/// the scheme's default port added or removed, since Twilio may sign either form.
#[must_use]
pub fn verify_twilio(
    auth_token: &str,
    full_url: &str,
    params: &[(String, String)],
    signature_header: &str,
) -> bool {
    let Ok(signature) = BASE64.decode(signature_header.trim()) else {
        return false;
    };
    // Sorted by name, then value; a repeated pair counts once (as Twilio's libraries do).
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    twilio_url_variants(full_url).iter().any(|url| {
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) else {
            return false;
        };
        mac.update(url.as_bytes());
        for (name, value) in &sorted {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        // `verify_slice` compares in constant time.
        mac.verify_slice(&signature).is_ok()
    })
}

/// The URL as given, then without and with the scheme's default port (`:443` for https,
/// `:80` for http). A URL with another port is signed only as it is.
fn twilio_url_variants(full_url: &str) -> Vec<String> {
    let mut variants = vec![full_url.to_owned()];
    if let Ok(url) = url::Url::parse(full_url)
        && url.port().is_none()
        && let Some(default) = url.port_or_known_default()
    {
        // The parser drops an explicit default port, so `url` is the form without it.
        let without = url.as_str().to_owned();
        let with = format!(
            "{}:{default}{}",
            &url[..url::Position::AfterHost],
            &url[url::Position::AfterPort..]
        );
        for variant in [without, with] {
            if !variants.contains(&variant) {
                variants.push(variant);
            }
        }
    }
    variants
}

/// Why a Vonage webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VonageSignatureError {
    /// The request carries no `sig` parameter (signing is not enabled, or not Vonage).
    #[error("the request has no sig parameter")]
    MissingSignature,
    /// The request carries no `timestamp` parameter, or one that is not Unix seconds.
    #[error("the request has no valid timestamp parameter")]
    MissingTimestamp,
    /// The signed timestamp is more than [`VONAGE_MAX_SKEW`] away from now (a replay, or a
    /// clock far off).
    #[error("the request's timestamp is more than five minutes from now")]
    Stale,
    /// A parameter name appears twice, so the signed string would be ambiguous.
    #[error("a parameter appears more than once")]
    DuplicateParameter,
    /// The signature does not match the parameters under the signature secret.
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a signed Vonage SMS webhook (inbound message or delivery receipt): the `sig`
/// parameter against the HMAC-SHA256 of the other parameters under `signature_secret`, and the
/// signed `timestamp` against `now`.
///
/// `params` are the webhook's parameters as Vonage sent them (query string for GET, form or
/// JSON fields for POST), `sig` included.
///
/// # Errors
///
/// [`VonageSignatureError`] naming what failed. The signature is checked before the timestamp
/// so that an unsigned request learns nothing about the clock.
pub fn verify_vonage(
    signature_secret: &str,
    params: &[(String, String)],
    now: Timestamp,
) -> Result<(), VonageSignatureError> {
    let mut sig = None;
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(params.len());
    for (name, value) in params {
        if name == "sig" {
            if sig.replace(value.as_str()).is_some() {
                return Err(VonageSignatureError::DuplicateParameter);
            }
        } else {
            signed.push((name.as_str(), value.as_str()));
        }
    }
    let sig = sig.ok_or(VonageSignatureError::MissingSignature)?;
    signed.sort_unstable_by(|a, b| a.0.cmp(b.0));
    if signed.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(VonageSignatureError::DuplicateParameter);
    }
    // Vonage sends uppercase hex; any case decodes to the same bytes.
    let expected = hex::decode(sig.trim()).map_err(|_| VonageSignatureError::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(signature_secret.as_bytes())
        .map_err(|_| VonageSignatureError::Mismatch)?;
    for (name, value) in &signed {
        mac.update(b"&");
        mac.update(name.as_bytes());
        mac.update(b"=");
        mac.update(value.replace(['&', '='], "_").as_bytes());
    }
    mac.verify_slice(&expected)
        .map_err(|_| VonageSignatureError::Mismatch)?;

    let timestamp: i64 = signed
        .iter()
        .find(|(name, _)| *name == "timestamp")
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or(VonageSignatureError::MissingTimestamp)?;
    let skew = now.timestamp().abs_diff(timestamp);
    if skew > VONAGE_MAX_SKEW.as_secs() {
        return Err(VonageSignatureError::Stale);
    }
    Ok(())
}

/// Whether an inbound SMS body is an opt-out: one of [`OPT_OUT_KEYWORDS`] alone, ignoring
/// case and surrounding whitespace (`stop`, ` Stop `, `UNSUBSCRIBE`). A trailing `.` or `!`
/// (`Stop.`) is also accepted: honouring an opt-out too readily costs one subscriber, ignoring
/// one breaks carrier rules. `STOP sending me this` is not an opt-out, as for the carriers.
#[must_use]
pub fn is_opt_out(body: &str) -> bool {
    let word = body.trim().trim_end_matches(['.', '!']).trim_end();
    OPT_OUT_KEYWORDS
        .iter()
        .any(|keyword| word.eq_ignore_ascii_case(keyword))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn twilio_params(caller: &str) -> Vec<(String, String)> {
        pairs(&[
            ("To", "+18005551212"),
            ("Digits", "1234"),
            ("Caller", caller),
            ("From", caller),
            ("CallSid", "CA1234567890ABCDE"),
        ])
    }

    #[test]
    fn twilio_documented_vectors_verify() {
        // The "Validating requests" page of Twilio's docs (caller +14158675310) and the test
        // of Twilio's own PHP library (caller +14158675309), both under auth token 12345.
        assert!(verify_twilio(
            "12345",
            TWILIO_URL,
            &twilio_params("+14158675310"),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(verify_twilio(
            "12345",
            TWILIO_URL,
            &twilio_params("+14158675309"),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn twilio_refuses_any_change() {
        let sig = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        let params = twilio_params("+14158675310");
        assert!(!verify_twilio("12346", TWILIO_URL, &params, sig));
        assert!(!verify_twilio(
            "12345",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
            sig
        ));
        assert!(!verify_twilio(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            sig
        ));
        let mut tampered = params.clone();
        tampered[1].1 = "9999".into();
        assert!(!verify_twilio("12345", TWILIO_URL, &tampered, sig));
        let mut extra = params.clone();
        extra.push(("Body".into(), "STOP".into()));
        assert!(!verify_twilio("12345", TWILIO_URL, &extra, sig));
        assert!(!verify_twilio("12345", TWILIO_URL, &params[1..], sig));
        // Garbage and truncated signatures.
        for bad in ["", "not base64!", "GvWf1cFY/Q7PnoempGyD5oXAezc", "GvWf1cFY"] {
            assert!(!verify_twilio("12345", TWILIO_URL, &params, bad), "{bad:?}");
        }
    }

    #[test]
    fn twilio_tries_the_url_with_and_without_the_default_port() {
        let sig = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        let params = twilio_params("+14158675310");
        assert!(verify_twilio(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            sig
        ));
        assert_eq!(
            twilio_url_variants(TWILIO_URL),
            [
                TWILIO_URL.to_owned(),
                "https://mycompany.com:443/myapp.php?foo=1&bar=2".to_owned()
            ]
        );
        // A non-default port is signed as it is.
        assert_eq!(
            twilio_url_variants("https://mycompany.com:8443/x"),
            ["https://mycompany.com:8443/x".to_owned()]
        );
    }

    fn at(secs: i64) -> Timestamp {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    /// The HMAC-SHA256 vector of Vonage's Python SDK tests: parameters a=1, b=2,
    /// timestamp=1461605396 under the secret `secret`.
    const VONAGE_SIG: &str = "a321e824b9b816be7c3f28859a31749a098713d39f613c80d455bbaffae1cd24";

    fn vonage_params(sig: &str) -> Vec<(String, String)> {
        pairs(&[
            ("b", "2"),
            ("timestamp", "1461605396"),
            ("sig", sig),
            ("a", "1"),
        ])
    }

    #[test]
    fn vonage_sdk_vector_verifies_in_either_hex_case() {
        let now = at(1_461_605_396 + 60);
        assert_eq!(
            verify_vonage("secret", &vonage_params(VONAGE_SIG), now),
            Ok(())
        );
        let upper = VONAGE_SIG.to_ascii_uppercase();
        assert_eq!(verify_vonage("secret", &vonage_params(&upper), now), Ok(()));
    }

    #[test]
    fn vonage_replaces_ampersand_and_equals_in_values() {
        // Recomputed by hand from the documented rule: "You & Me = Love" is signed as
        // "You _ Me _ Love".
        let params = pairs(&[("text", "You & Me = Love"), ("timestamp", "1461605396")]);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"&text=You _ Me _ Love&timestamp=1461605396");
        let sig = hex::encode_upper(mac.finalize().into_bytes());
        let mut signed = params.clone();
        signed.push(("sig".into(), sig));
        assert_eq!(verify_vonage("secret", &signed, at(1_461_605_396)), Ok(()));
    }

    #[test]
    fn vonage_refusals() {
        let now = at(1_461_605_396);
        assert_eq!(
            verify_vonage("other", &vonage_params(VONAGE_SIG), now),
            Err(VonageSignatureError::Mismatch)
        );
        let mut tampered = vonage_params(VONAGE_SIG);
        tampered[0].1 = "3".into();
        assert_eq!(
            verify_vonage("secret", &tampered, now),
            Err(VonageSignatureError::Mismatch)
        );
        assert_eq!(
            verify_vonage("secret", &vonage_params("zz"), now),
            Err(VonageSignatureError::Mismatch)
        );
        let unsigned = pairs(&[("a", "1"), ("timestamp", "1461605396")]);
        assert_eq!(
            verify_vonage("secret", &unsigned, now),
            Err(VonageSignatureError::MissingSignature)
        );
        let mut doubled = vonage_params(VONAGE_SIG);
        doubled.push(("a".into(), "1".into()));
        assert_eq!(
            verify_vonage("secret", &doubled, now),
            Err(VonageSignatureError::DuplicateParameter)
        );
    }

    #[test]
    fn vonage_timestamp_must_be_within_five_minutes() {
        let params = vonage_params(VONAGE_SIG);
        let t = 1_461_605_396;
        assert_eq!(verify_vonage("secret", &params, at(t + 300)), Ok(()));
        assert_eq!(verify_vonage("secret", &params, at(t - 300)), Ok(()));
        assert_eq!(
            verify_vonage("secret", &params, at(t + 301)),
            Err(VonageSignatureError::Stale)
        );
        assert_eq!(
            verify_vonage("secret", &params, at(t - 301)),
            Err(VonageSignatureError::Stale)
        );
        // A correctly signed request without a timestamp is refused too.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"&a=1");
        let sig = hex::encode_upper(mac.finalize().into_bytes());
        let params = pairs(&[("a", "1"), ("sig", &sig)]);
        assert_eq!(
            verify_vonage("secret", &params, at(t)),
            Err(VonageSignatureError::MissingTimestamp)
        );
    }

    #[test]
    fn opt_out_keywords() {
        for yes in [
            "STOP",
            "stop",
            "  Stop\n",
            "StopAll",
            "unsubscribe",
            "CANCEL",
            "end",
            "Quit",
            "Stop.",
            "STOP!",
        ] {
            assert!(is_opt_out(yes), "{yes:?}");
        }
        for no in [
            "",
            "STOP sending",
            "please stop",
            "S T O P",
            "stopp",
            "START",
            "HELP",
            "ＳＴＯＰ",
            "st0p",
        ] {
            assert!(!is_opt_out(no), "{no:?}");
        }
    }
}
