//! HMAC-SHA256 signatures of deliveries, for senders that sign: Grafana's webhook contact
//! point (`X-Grafana-Alerting-Signature`, lowercase hex over the body, or over
//! `<timestamp>:<body>` when a timestamp header is configured) and the generic push
//! (`X-Cachet-Signature: t=<unix seconds>,v1=<hex>` over `<t>.<body>`). The key is the
//! integration's secret, which the delivery's bearer token already proved: a signature adds
//! integrity of the body and, with a timestamp, a replay window. Compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Timestamp;

/// How far a signed timestamp may be from the server's clock, either way.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not the expected shape.
    #[error("the signature header is malformed")]
    Malformed,
    /// The timestamp is outside the replay window.
    #[error("the signature's timestamp is outside the replay window")]
    Stale,
    /// The MAC does not match.
    #[error("the signature does not match")]
    Mismatch,
}

fn mac(secret: &str, parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    for p in parts {
        m.update(p);
    }
    m
}

fn verify_hex(m: Hmac<Sha256>, hex_sig: &str) -> Result<(), SignatureError> {
    let sig = hex::decode(hex_sig.trim()).map_err(|_| SignatureError::Malformed)?;
    m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

fn fresh(t: &str, now: Timestamp) -> Result<(), SignatureError> {
    let t: i64 = t.trim().parse().map_err(|_| SignatureError::Malformed)?;
    if (now.timestamp() - t).abs() > REPLAY_WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// Checks Grafana's signature: `signature` is the header's value, `timestamp` the value of
/// the configured timestamp header, if any (then it must be within the replay window).
///
/// # Errors
///
/// A [`SignatureError`].
pub fn verify_grafana(
    secret: &str,
    body: &[u8],
    signature: &str,
    timestamp: Option<&str>,
    now: Timestamp,
) -> Result<(), SignatureError> {
    let m = match timestamp {
        Some(t) => {
            fresh(t, now)?;
            mac(secret, &[t.trim().as_bytes(), b":", body])
        }
        None => mac(secret, &[body]),
    };
    verify_hex(m, signature)
}

/// Checks the generic push's `X-Cachet-Signature: t=<unix seconds>,v1=<hex>`.
///
/// # Errors
///
/// A [`SignatureError`].
pub fn verify_generic(
    secret: &str,
    body: &[u8],
    header: &str,
    now: Timestamp,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    fresh(t, now)?;
    verify_hex(mac(secret, &[t.trim().as_bytes(), b".", body]), v1)
}

/// The generic push's header for `body` at unix time `t`: what a sender computes (and
/// what tests send).
#[must_use]
pub fn sign_generic(secret: &str, body: &[u8], t: i64) -> String {
    let ts = t.to_string();
    let tag = mac(secret, &[ts.as_bytes(), b".", body])
        .finalize()
        .into_bytes();
    format!("t={ts},v1={}", hex::encode(tag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn generic_signatures_verify_once_fresh() {
        let clock = ManualClock::at_epoch_2026();
        let now = clock.now();
        let body = br#"{"key":"a","status":"firing"}"#;
        let header = sign_generic("s3cret", body, now.timestamp());
        assert_eq!(verify_generic("s3cret", body, &header, now), Ok(()));
        assert_eq!(
            verify_generic("other", body, &header, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_generic("s3cret", b"{}", &header, now),
            Err(SignatureError::Mismatch)
        );
        let old = sign_generic("s3cret", body, now.timestamp() - REPLAY_WINDOW_SECS - 1);
        assert_eq!(
            verify_generic("s3cret", body, &old, now),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_generic("s3cret", body, "v1=00", now),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn grafana_signatures_with_and_without_timestamp() {
        let clock = ManualClock::at_epoch_2026();
        let now = clock.now();
        let body = br#"{"alerts":[]}"#;
        let plain = hex::encode(mac("k", &[body]).finalize().into_bytes());
        assert_eq!(verify_grafana("k", body, &plain, None, now), Ok(()));
        let t = now.timestamp().to_string();
        let timed = hex::encode(
            mac("k", &[t.as_bytes(), b":", body])
                .finalize()
                .into_bytes(),
        );
        assert_eq!(verify_grafana("k", body, &timed, Some(&t), now), Ok(()));
        assert_eq!(
            verify_grafana("k", body, &plain, Some(&t), now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_grafana("k", body, "zz", None, now),
            Err(SignatureError::Malformed)
        );
    }
}
