//! The checks of an answer: the case's expectations, the headers every answer carries, JSON
//! compared with placeholders, and the difference of two answers.

use bytes::Bytes;
use http::{HeaderMap, Response};
use serde_json::Value;

use super::{BodyCheck, Expect, HeaderCheck};

/// The difference between the core's answer `a` and the host's `b`, if any.
pub(super) fn difference(a: &Response<Bytes>, b: &Response<Bytes>) -> Option<String> {
    if a.status() != b.status() {
        return Some(format!("status {} and {}", a.status(), b.status()));
    }
    // `Content-Length` is framing, which each framework writes itself.
    let skip = |n: &http::HeaderName| {
        n == "x-request-id" || n == "retry-after" || n == http::header::CONTENT_LENGTH
    };
    let list = |r: &Response<Bytes>| {
        let mut v: Vec<(String, Vec<u8>)> = r
            .headers()
            .iter()
            .filter(|(n, _)| !skip(n))
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        v.sort();
        v
    };
    let (ha, hb) = (list(a), list(b));
    if ha != hb {
        let show = |h: &[(String, Vec<u8>)]| {
            h.iter()
                .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Some(format!(
            "headers\n  core: {}\n  host: {}",
            show(&ha),
            show(&hb)
        ));
    }
    let mask = |r: &Response<Bytes>| {
        let id = header(r.headers(), "x-request-id").unwrap_or("-");
        mask_alert_secrets(&String::from_utf8_lossy(r.body()).replace(id, "<request-id>"))
    };
    let (ba, bb) = (mask(a), mask(b));
    (ba != bb).then(|| format!("bodies\n  core: {ba:.300}\n  host: {bb:.300}"))
}

/// An integration's secret is random per run: masked, so two runs' answers compare.
fn mask_alert_secrets(body: &str) -> String {
    let prefix = crate::alerts::SECRET_PREFIX;
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at + prefix.len()]);
        rest = &rest[at + prefix.len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        out.push_str("<secret>");
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// The headers every answer carries.
const SECURITY_HEADERS: &[(&str, Option<&str>)] = &[
    ("content-security-policy", Some(crate::web::headers::CSP)),
    ("x-content-type-options", Some("nosniff")),
    ("referrer-policy", Some("strict-origin-when-cross-origin")),
    ("x-frame-options", Some("DENY")),
    ("cross-origin-opener-policy", Some("same-origin")),
    ("permissions-policy", None),
    (
        "strict-transport-security",
        Some("max-age=63072000; includeSubDomains"),
    ),
];

pub(super) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn check(
    expect: &Expect,
    resp: &Response<Bytes>,
    public: &str,
    head: bool,
    errors: &mut Vec<String>,
) {
    let status = resp.status().as_u16();
    if status != expect.status {
        errors.push(format!("status {status}, expected {}", expect.status));
    }
    let h = resp.headers();
    for (name, value) in SECURITY_HEADERS {
        match (header(h, name), value) {
            (None, _) => errors.push(format!("security header {name} missing")),
            // The subscription pages send the stricter `no-referrer` (their URLs carry link
            // tokens); no page may send anything weaker than the default.
            (Some("no-referrer"), Some(_)) if *name == "referrer-policy" => {}
            (Some(v), Some(want)) if v != *want => {
                errors.push(format!("security header {name}: {v:?}, expected {want:?}"));
            }
            _ => {}
        }
    }
    let request_id = header(h, "x-request-id").unwrap_or_default();
    if request_id.len() != 32 || !request_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        errors.push(format!("x-request-id {request_id:?} is not 32 hex digits"));
    }
    if status >= 500 && expect.status < 500 {
        errors.push("a server error".to_owned());
    }
    for (name, want) in &expect.headers {
        let got = header(h, name);
        let ok = match (want, got) {
            (HeaderCheck::Present, g) => g.is_some(),
            (HeaderCheck::Absent, g) => g.is_none() && !h.contains_key(*name),
            (HeaderCheck::Exact(w), Some(g)) => g == w.replace("{public}", public),
            (HeaderCheck::Contains(w), Some(g)) => g
                .to_ascii_lowercase()
                .contains(&w.replace("{public}", public).to_ascii_lowercase()),
            (HeaderCheck::AtLeast(n), Some(g)) => g.trim().parse::<u64>().is_ok_and(|v| v >= *n),
            (_, None) => false,
        };
        if !ok {
            errors.push(format!("header {name}: {got:?}, expected {want:?}"));
        }
    }
    let body = resp.body();
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let is_json = header(h, "content-type").is_some_and(|c| c.contains("json"));
    if is_json && !body.is_empty() && json.is_none() && !head {
        errors.push("content-type says JSON but the body is not JSON".to_owned());
    }
    let text = String::from_utf8_lossy(body);
    let cx = Cx { public, request_id };
    for want in &expect.body {
        match want {
            BodyCheck::Empty => {
                if !body.is_empty() {
                    errors.push(format!("body of {} bytes, expected none", body.len()));
                }
            }
            BodyCheck::Json(v) => match &json {
                Some(j) => matches(v, j, "", &cx, errors),
                None => errors.push("body is not JSON".to_owned()),
            },
            BodyCheck::JsonAt(ptr, v) => match &json {
                Some(j) => {
                    let got = j.pointer(ptr).unwrap_or(&Value::Null);
                    matches(v, got, ptr, &cx, errors);
                }
                None => errors.push("body is not JSON".to_owned()),
            },
            BodyCheck::Len(ptr, n) => {
                let got = json
                    .as_ref()
                    .and_then(|j| j.pointer(ptr))
                    .and_then(Value::as_array)
                    .map(Vec::len);
                if got != Some(*n) {
                    errors.push(format!("{ptr}: {got:?} items, expected {n}"));
                }
            }
            BodyCheck::Contains(t) => {
                let t = t.replace("{public}", public);
                if !text.contains(&t) {
                    errors.push(format!("body does not contain {t:?}"));
                }
            }
            BodyCheck::NotContains(t) => {
                let t = t.replace("{public}", public);
                if text.contains(&t) {
                    errors.push(format!("body contains {t:?}"));
                }
            }
            BodyCheck::Error => {
                let reason = resp.status().canonical_reason().unwrap_or("Error");
                let envelope = serde_json::json!({"errors": [{
                    "id": "<request-id>", "status": status, "title": reason, "detail": "<string>",
                }]});
                match &json {
                    // `meta.details` may follow on validation errors.
                    Some(j) => {
                        let mut j = j.clone();
                        if let Some(e) = j.pointer_mut("/errors/0").and_then(Value::as_object_mut) {
                            e.remove("meta");
                        }
                        matches(&envelope, &j, "", &cx, errors);
                    }
                    None => errors.push("no JSON error envelope".to_owned()),
                }
                if !header(h, "content-type").is_some_and(|c| c.starts_with("application/json")) {
                    errors.push("error envelope without content-type application/json".into());
                }
            }
        }
    }
}

struct Cx<'a> {
    public: &'a str,
    request_id: &'a str,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
}

fn matches(want: &Value, got: &Value, at: &str, cx: &Cx<'_>, errors: &mut Vec<String>) {
    let here = if at.is_empty() { "/" } else { at };
    match (want, got) {
        (Value::String(w), g) if w.starts_with('<') && w.ends_with('>') => {
            let ok = match w.as_str() {
                "<any>" => true,
                "<string>" => g.is_string(),
                "<number>" => g.is_number(),
                "<date>" => g.as_str().is_some_and(is_date),
                "<request-id>" => g.as_str() == Some(cx.request_id),
                _ => g.as_str() == Some(w.as_str()),
            };
            if !ok {
                errors.push(format!("{here}: {g}, expected {w}"));
            }
        }
        (Value::String(w), Value::String(g)) => {
            let w = w.replace("{public}", cx.public);
            if *g != w {
                errors.push(format!("{here}: {g:?}, expected {w:?}"));
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            for k in w.keys().filter(|k| !g.contains_key(*k)) {
                errors.push(format!("{at}/{k}: missing"));
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                errors.push(format!("{at}/{k}: unexpected field"));
            }
            for (k, wv) in w {
                if let Some(gv) = g.get(k) {
                    matches(wv, gv, &format!("{at}/{k}"), cx, errors);
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() == g.len() {
                for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                    matches(wv, gv, &format!("{at}/{i}"), cx, errors);
                }
            } else {
                errors.push(format!("{here}: {} items, expected {}", g.len(), w.len()));
            }
        }
        (Value::Number(w), Value::Number(g)) => {
            if w.as_f64() != g.as_f64() {
                errors.push(format!("{here}: {g}, expected {w}"));
            }
        }
        (w, g) => {
            if w != g {
                errors.push(format!("{here}: {g}, expected {w}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::http::HttpCase;

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        let mut r = crate::web::response::json(
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK),
            &serde_json::from_str(body).unwrap_or(Value::Null),
        );
        crate::web::headers::secure(&mut r, true, &"a".repeat(32));
        r
    }

    fn errors(expect: &Expect, resp: &Response<Bytes>) -> Vec<String> {
        let mut e = Vec::new();
        check(expect, resp, "https://s.example/status", false, &mut e);
        e
    }

    #[test]
    fn the_checks_catch_what_they_should() {
        let ok = answer(
            200,
            r#"{"data":{"a":1,"link":"https://s.example/status/x","at":"2026-01-01 00:00:00"}}"#,
        );
        let case = HttpCase::get("t", "/")
            .expect_json(
                serde_json::json!({"data": {"a": 1, "link": "{public}/x", "at": "<date>"}}),
            )
            .expect_at("/data/a", serde_json::json!(1));
        assert!(
            errors(&case.expect, &ok).is_empty(),
            "{:?}",
            errors(&case.expect, &ok)
        );
        for wrong in [
            HttpCase::get("t", "/").status(201),
            HttpCase::get("t", "/").expect_json(serde_json::json!({"data": {"a": 1}})),
            HttpCase::get("t", "/").expect_at("/data/a", serde_json::json!(2)),
            HttpCase::get("t", "/")
                .expect_at("/data/link", serde_json::json!("https://s.example/x")),
            HttpCase::get("t", "/").contains("nope"),
            HttpCase::get("t", "/").not_contains("link"),
            HttpCase::get("t", "/").expect(BodyCheck::Empty),
            HttpCase::get("t", "/").error(200),
            HttpCase::get("t", "/").expect_header("retry-after", HeaderCheck::Present),
            HttpCase::get("t", "/").expect_header("x-frame-options", HeaderCheck::Absent),
        ] {
            assert!(!errors(&wrong.expect, &ok).is_empty(), "{:?}", wrong.expect);
        }
        let mut bare = answer(200, "{}");
        bare.headers_mut().remove("content-security-policy");
        assert!(!errors(&HttpCase::get("t", "/").expect, &bare).is_empty());
        let err = crate::web::response::api_error(
            http::StatusCode::NOT_FOUND,
            "",
            &"b".repeat(32),
            Vec::new(),
        );
        let mut err = err;
        crate::web::headers::secure(&mut err, true, &"c".repeat(32));
        assert!(
            !errors(&HttpCase::get("t", "/").error(404).expect, &err).is_empty(),
            "the error id must be the request id"
        );
    }
}
