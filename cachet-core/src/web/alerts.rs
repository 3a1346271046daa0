//! `POST /api/v1/alerts/{kind}`: the native webhooks of monitoring tools
//! ([`crate::alerts`]). Routed before API v1's actor and route table: the bearer token here
//! is an integration's secret, not an API token, and the body is the sender's own format.
//!
//! The secret comes as `Authorization: Bearer <secret>` (Alertmanager's
//! `http_config.authorization`, Grafana's and Gatus's headers, Uptime Kuma's additional
//! headers), as the password of `Authorization: Basic`, or, for a sender that can set no
//! header at all, as `?token=` (which then sits in the sender's configuration and any proxy
//! log: the README says so). A missing, unknown or wrong secret is one 401 that does not
//! tell whether an integration exists, and spends the client address's API budget as an
//! unauthenticated API call does. Where the sender signs (Grafana's
//! `X-Grafana-Alerting-Signature`, the generic push's `X-Cachet-Signature`) the signature
//! is verified too; a bad or stale one is the same 401.

use std::net::IpAddr;

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use super::ratelimit::Decision;
use super::response;
use crate::Cachet;
use crate::alerts::{self, AlertError, signature};
use crate::model::IntegrationKind;

/// The prefix of the inbound paths.
pub(crate) const PREFIX: &str = "/api/v1/alerts/";

/// Whether `path` is an inbound alert path.
pub(crate) fn is_inbound(path: &str) -> bool {
    path.starts_with(PREFIX)
}

fn kind_of(path: &str) -> Option<IntegrationKind> {
    Some(match path.strip_prefix(PREFIX)?.trim_end_matches('/') {
        "alertmanager" => IntegrationKind::Alertmanager,
        "grafana" => IntegrationKind::Grafana,
        "uptime-kuma" | "uptime_kuma" => IntegrationKind::UptimeKuma,
        "gatus" => IntegrationKind::Gatus,
        "generic" => IntegrationKind::Generic,
        _ => return None,
    })
}

/// The secret a request presents, if any.
fn presented(req: &Request<Bytes>) -> Option<String> {
    if let Some(auth) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = auth.trim().split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(rest.trim().to_owned());
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            return text.split_once(':').map(|(_, pw)| pw.to_owned());
        }
        return None;
    }
    let query = req.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

fn header<'a>(req: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Verifies the signature a signing sender added; `Ok` when there is none to check.
fn check_signature(
    req: &Request<Bytes>,
    kind: IntegrationKind,
    secret: &str,
    now: crate::clock::Timestamp,
) -> Result<(), signature::SignatureError> {
    let body = req.body();
    match kind {
        IntegrationKind::Grafana => match header(req, "x-grafana-alerting-signature") {
            Some(sig) => {
                let ts = header(req, "x-grafana-alerting-signature-timestamp")
                    .or_else(|| header(req, "x-grafana-alerting-timestamp"));
                signature::verify_grafana(secret, body, sig, ts, now)
            }
            None => Ok(()),
        },
        IntegrationKind::Generic => match header(req, "x-cachet-signature") {
            Some(sig) => signature::verify_generic(secret, body, sig, now),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn unauthorized(request_id: &str) -> Response<Bytes> {
    let mut r = response::api_error(StatusCode::UNAUTHORIZED, "", request_id, Vec::new());
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer"),
    );
    r
}

/// Answers an inbound alert delivery.
pub(crate) async fn handle(
    cachet: &Cachet,
    req: Request<Bytes>,
    ip: Option<IpAddr>,
    request_id: &str,
) -> Response<Bytes> {
    let Some(kind) = kind_of(req.uri().path()) else {
        return response::api_error(StatusCode::NOT_FOUND, "", request_id, Vec::new());
    };
    if !matches!(*req.method(), Method::POST | Method::PUT) {
        let mut r = response::api_error(StatusCode::METHOD_NOT_ALLOWED, "", request_id, Vec::new());
        r.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("POST, PUT"),
        );
        return r;
    }
    let secret = presented(&req).unwrap_or_default();
    let integration = match alerts::authenticate(cachet, &secret).await {
        Ok(i) => Some(i),
        Err(AlertError::Unauthenticated) => None,
        Err(e) => return failed(e, request_id),
    };
    let Some(integration) =
        integration.filter(|_| check_signature(&req, kind, &secret, cachet.now()).is_ok())
    else {
        if let Some(ip) = ip
            && let Decision::Deny { limit, retry_after } = cachet.limit_api_address(ip).await
        {
            return super::api_v1::too_many(limit, retry_after, request_id);
        }
        return unauthorized(request_id);
    };
    match alerts::accept(cachet, &integration, kind, req.body()).await {
        Ok(receipt) => response::json(StatusCode::OK, &serde_json::json!({ "data": receipt })),
        Err(e) => failed(e, request_id),
    }
}

fn failed(e: AlertError, request_id: &str) -> Response<Bytes> {
    match e {
        AlertError::Unauthenticated => unauthorized(request_id),
        AlertError::WrongKind { .. } | AlertError::Payload(_) => {
            let detail = e.to_string();
            response::api_error(
                StatusCode::BAD_REQUEST,
                &detail,
                request_id,
                vec![detail.clone()],
            )
        }
        AlertError::Facade(crate::Error::Unavailable(_)) => {
            response::api_error(StatusCode::SERVICE_UNAVAILABLE, "", request_id, Vec::new())
        }
        AlertError::Facade(e) => {
            tracing::error!(request_id, error = ?crate::log::Escaped(&e), "an alert delivery failed");
            response::api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "",
                request_id,
                Vec::new(),
            )
        }
    }
}
