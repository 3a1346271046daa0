//! Response builders.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};

use crate::web::api_v1::dto::{ApiError, ApiErrorMeta, ApiErrorObject};

fn build(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    resp
}

/// A JSON response.
#[must_use]
pub fn json<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Bytes> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    build(status, "application/json", Bytes::from(body))
}

/// A plain-text response.
#[must_use]
pub fn plain(status: StatusCode, text: &'static str) -> Response<Bytes> {
    let mut r = build(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(text.as_bytes()),
    );
    r.headers_mut()
        .insert(CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}

/// The status of a failure: `503` when the store could not answer (retrying shortly may
/// work; `Cachet::handle` adds `Retry-After`), else `500`.
#[must_use]
pub(crate) fn failure_status(e: &crate::Error) -> StatusCode {
    if e.is_unavailable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// 204 No Content.
#[must_use]
pub fn no_content() -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// The 404 for paths that are not ours.
#[must_use]
pub fn not_found_page() -> Response<Bytes> {
    build(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        Bytes::from_static(b"not found\n"),
    )
}

/// Cachet's canned error sentence for a status, used when there is nothing more specific.
#[must_use]
pub fn canned_detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request cannot be fulfilled due to bad syntax.",
        401 => "Authentication is required and has failed or has not yet been provided.",
        403 => "The request was a legal request, but the server is refusing to respond to it.",
        404 => {
            "The requested resource could not be found but may be available again in the future."
        }
        405 => {
            "A request was made of a resource using a request method not supported by that resource."
        }
        406 => {
            "The requested resource is only capable of generating content not acceptable according to the Accept headers sent in the request."
        }
        409 => "The request could not be processed because of conflict in the request.",
        413 => "The request is larger than the server is willing or able to process.",
        415 => {
            "The server is refusing to service the request because the entity of the request is in a format not supported by the requested resource for the requested method."
        }
        429 => "Too many requests; slow down.",
        503 => "The service is temporarily unavailable; try again in a few seconds.",
        _ => {
            "The server encountered an internal error or misconfiguration and was unable to complete your request."
        }
    }
}

/// An error in Cachet's envelope: `{"errors": [{"id", "status", "title", "detail"}]}`, with
/// `meta.details` for validation failures. The id is the request id, so a client's report
/// can be found in the logs.
#[must_use]
pub fn api_error(
    status: StatusCode,
    detail: &str,
    request_id: &str,
    details: Vec<String>,
) -> Response<Bytes> {
    let error = ApiErrorObject {
        detail: if detail.len() > 4 {
            detail
        } else {
            canned_detail(status)
        }
        .to_owned(),
        id: Some(request_id.to_owned()),
        meta: (!details.is_empty()).then_some(ApiErrorMeta { details }),
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    json(
        status,
        &ApiError {
            errors: vec![error],
        },
    )
}

/// An error in Cachet's envelope without a request id (the `X-Request-Id` header has it), as
/// the Statuspage v2 JSON and the OpenAPI document answer.
#[must_use]
pub fn error_without_id(status: StatusCode) -> Response<Bytes> {
    json(
        status,
        &ApiError {
            errors: vec![ApiErrorObject {
                detail: canned_detail(status).to_owned(),
                id: None,
                meta: None,
                status: status.as_u16(),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
            }],
        },
    )
}
