//! `Idempotency-Key` on API writes, as the IETF httpapi draft describes it: a client that
//! sends a write with a key it chose (a UUID, say) and loses the answer sends the same request
//! with the same key again, and gets the first answer instead of a second incident.
//!
//! - The key is a Structured Field string (`Idempotency-Key: "4a9c..."`); a bare token is
//!   taken too, as lenient clients send it. 1 to 255 visible ASCII characters; anything else
//!   is a `400` naming the header.
//! - Same key, same request, finished: the stored answer again, byte for byte, with
//!   `Idempotent-Replayed: true`. Same key, another request (method, path, query, media type
//!   or body differ): `422`. Same key while the first request still runs: `409` with
//!   `Retry-After`.
//! - Keys are scoped to the sender (see [`IdempotentRequest`]) and kept for
//!   [`crate::Retention::idempotency_keys`] (24 hours by default).
//! - The write runs on a task of its own once its key is claimed, so a client that hangs up
//!   mid-write does not cancel it half-way: the write finishes and its answer is stored for
//!   the retry. Answers a retry could change (`5xx`, `429`) are not stored: the key is given
//!   back and the retry runs the write.
//! - Without the header nothing changes, as Cachet's clients send none.

use std::time::Duration;

use bytes::Bytes;
use chrono::TimeDelta;
use http::{HeaderValue, Request, Response, StatusCode, header};

use super::{Fail, answer, set_header};
use crate::facade::IdempotentRequest;
use crate::model::{IdempotencyOutcome, IdempotentAnswer};
use crate::validate::{ValidationError, Violation};
use crate::web::response;
use crate::{Actor, Cachet};

/// The request header.
pub(crate) const HEADER: &str = "idempotency-key";
/// The answer header that marks a replay.
const REPLAYED: &str = "idempotent-replayed";
/// How long a started write holds its key before a retry may run it again (its instance is
/// taken to have died). Far above any write's time, far below a client's patience.
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// How long a client is asked to wait before retrying a key that is still running.
const RETRY_AFTER_SECS: &str = "1";
/// Pauses between attempts to store a finished write's answer, so a database blip does not
/// leave the key leased (and the retry free to write again).
const FINISH_BACKOFF: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// The key a request carries: `None` without the header, `Fail` for a malformed one.
pub(crate) fn key_of(req: &Request<Bytes>) -> Result<Option<String>, Fail> {
    let mut values = req.headers().get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let malformed = || {
        Fail::Invalid(vec![ValidationError::new(
            "Idempotency-Key",
            Violation::Format {
                expected: "one string of 1 to 255 visible ASCII characters",
            },
        )])
    };
    if values.next().is_some() {
        return Err(malformed());
    }
    let raw = value.to_str().map_err(|_| malformed())?.trim();
    let key = raw
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(raw);
    let visible = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\';
    if key.is_empty() || key.len() > 255 || !key.chars().all(visible) {
        return Err(malformed());
    }
    Ok(Some(key.to_owned()))
}

/// The request as the key's fingerprint sees it: method, path, query, media type and body.
fn request_of(actor: &Actor, key: &str, req: &Request<Bytes>) -> Option<IdempotentRequest> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map_or(&b""[..], HeaderValue::as_bytes);
    IdempotentRequest::new(
        actor,
        key,
        &[
            req.method().as_str().as_bytes(),
            req.uri().path().as_bytes(),
            req.uri().query().unwrap_or("").as_bytes(),
            content_type,
            req.body(),
        ],
    )
}

/// Runs a write at most once per key: claims the key, then runs the write on its own task and
/// stores its answer, or answers from what the key already holds.
pub(crate) async fn dispatch_once(
    cachet: &Cachet,
    req: Request<Bytes>,
    actor: Actor,
    key: &str,
    request_id: &str,
) -> Response<Bytes> {
    let Some(once) = request_of(&actor, key, &req) else {
        // A visitor's write: refused by the route as without a key.
        return answer(cachet, req, actor, request_id).await;
    };
    match cachet.claim_idempotency_key(&once, LEASE).await {
        Err(e) => Fail::Facade(e).render(request_id),
        Ok(IdempotencyOutcome::Replay(answer)) => replay(answer),
        Ok(IdempotencyOutcome::Mismatch) => response::api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key: this key was already used for a different request",
            request_id,
            Vec::new(),
        ),
        Ok(IdempotencyOutcome::InFlight) => {
            let mut r = response::api_error(
                StatusCode::CONFLICT,
                "Idempotency-Key: a request with this key is still being processed",
                request_id,
                Vec::new(),
            );
            set_header(&mut r, "retry-after", RETRY_AFTER_SECS);
            r
        }
        Ok(IdempotencyOutcome::Started) => {
            let cachet = cachet.clone();
            let request_id = request_id.to_owned();
            let task = tokio::spawn(async move {
                let resp = answer(&cachet, req, actor, &request_id).await;
                settle(&cachet, &once, &resp).await;
                resp
            });
            task.await.unwrap_or_else(|e| {
                tracing::error!(error = ?crate::log::Escaped(&e), "an idempotent API write's task failed");
                response::api_error(StatusCode::INTERNAL_SERVER_ERROR, "", "", Vec::new())
            })
        }
    }
}

/// Stores a finished write's answer under its key, or gives the key back when a retry could
/// get another answer.
async fn settle(cachet: &Cachet, once: &IdempotentRequest, resp: &Response<Bytes>) {
    let status = resp.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        if let Err(e) = cachet.release_idempotency_key(once).await {
            tracing::warn!(error = ?crate::log::Escaped(&e), "could not give an idempotency key back; a retry waits for its lease");
        }
        return;
    }
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = IdempotentAnswer {
        status: status.as_u16(),
        content_type: header(header::CONTENT_TYPE),
        location: header(header::LOCATION),
        body: resp.body().to_vec(),
    };
    for pause in FINISH_BACKOFF {
        match cachet.finish_idempotency_key(once, &answer).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = ?crate::log::Escaped(&e), "could not store an idempotent write's answer; trying again");
                tokio::time::sleep(pause).await;
            }
        }
    }
    if let Err(e) = cachet.finish_idempotency_key(once, &answer).await {
        tracing::error!(error = ?crate::log::Escaped(&e), "could not store an idempotent write's answer; a retry after its lease may write again");
    }
}

/// A stored answer, replayed.
fn replay(answer: IdempotentAnswer) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(answer.body));
    *r.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    for (name, value) in [
        (header::CONTENT_TYPE, answer.content_type),
        (header::LOCATION, answer.location),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            r.headers_mut().insert(name, v);
        }
    }
    set_header(&mut r, REPLAYED, "true");
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn with(values: &[&str]) -> Request<Bytes> {
        let mut r = Request::new(Bytes::new());
        for v in values {
            r.headers_mut()
                .append(HEADER, HeaderValue::from_str(v).unwrap());
        }
        r
    }

    #[test]
    fn keys_are_structured_strings_or_bare_tokens() {
        assert_eq!(key_of(&with(&[])).ok().flatten(), None);
        assert_eq!(
            key_of(&with(&["\"8e03978e-40d5\""]))
                .ok()
                .flatten()
                .as_deref(),
            Some("8e03978e-40d5")
        );
        assert_eq!(
            key_of(&with(&[" abc "])).ok().flatten().as_deref(),
            Some("abc")
        );
        for bad in ["\"\"", "a b", "a\"b", &"x".repeat(256), "\"a\\b\""] {
            assert!(key_of(&with(&[bad])).is_err(), "{bad:?} is refused");
        }
        assert!(key_of(&with(&["a", "b"])).is_err(), "two keys are refused");
    }

    fn cachet() -> (Cachet, std::sync::Arc<crate::clock::ManualClock>) {
        let clock = std::sync::Arc::new(crate::clock::ManualClock::at_epoch_2026());
        let cachet = Cachet::with_clock(
            std::sync::Arc::new(crate::store::memory::MemoryStore::new()),
            crate::secrets::Keyring::new(1, crate::secrets::SecretKey::from_bytes([7; 32])),
            crate::Config::new(
                crate::validate::HttpUrl::parse("https://status.example.com").unwrap(),
            ),
            clock.clone(),
        )
        .unwrap();
        (cachet, clock)
    }

    fn create() -> Request<Bytes> {
        Request::builder()
            .method("POST")
            .uri("/api/v1/components")
            .header("content-type", "application/json")
            .body(Bytes::from_static(br#"{"name":"DB","status":1}"#))
            .unwrap()
    }

    #[tokio::test]
    async fn a_key_still_running_is_a_409_until_its_lease_runs_out() {
        let (cachet, clock) = cachet();
        let actor = Actor::host("deploy-bot", crate::model::Role::Admin, None);
        let once = request_of(&actor, "k", &create()).unwrap();
        // The same request is running on another instance.
        assert_eq!(
            cachet.claim_idempotency_key(&once, LEASE).await.unwrap(),
            IdempotencyOutcome::Started
        );
        let r = dispatch_once(&cachet, create(), actor.clone(), "k", "rid").await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(r.headers().get("retry-after").unwrap(), RETRY_AFTER_SECS);
        // That instance died: once its lease has run out, the retry runs the write.
        clock.advance(LEASE);
        let r = dispatch_once(&cachet, create(), actor.clone(), "k", "rid").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get(REPLAYED).is_none());
        let again = dispatch_once(&cachet, create(), actor, "k", "rid").await;
        assert_eq!(again.headers().get(REPLAYED).unwrap(), "true");
        assert_eq!(again.body(), r.body());
    }

    #[tokio::test]
    async fn a_write_whose_caller_hangs_up_still_finishes_and_is_replayed() {
        let (cachet, _) = cachet();
        let actor = Actor::host("deploy-bot", crate::model::Role::Admin, None);
        // The caller polls once and goes away (the client hung up): the write's task has been
        // spawned by then and runs on without it.
        let mut call = Box::pin(dispatch_once(&cachet, create(), actor.clone(), "k", "rid"));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            call.as_mut().poll(&mut cx).is_pending(),
            "the caller waits for the write's own task"
        );
        drop(call);
        // Let the detached task finish.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let retry = dispatch_once(&cachet, create(), actor, "k", "rid").await;
        assert_eq!(retry.status(), StatusCode::OK);
        assert_eq!(retry.headers().get(REPLAYED).unwrap(), "true");
    }
}
