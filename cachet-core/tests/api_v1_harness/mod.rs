//! Shared harness of the `http_api_v1_*` tests: a `Cachet` over the in-memory store with
//! three API tokens, requests through `Cachet::handle` as both adapters send them, and the
//! store revision to prove that refused requests wrote nothing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::Value;

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::web::RequestContext;

use crate::common::{Harness, name};

/// The harness clock's start, as the API writes times.
pub const T0: &str = "2026-01-01 00:00:00";

pub struct Api {
    pub h: Harness,
    /// An admin's admin-scope token: may do everything.
    pub admin: String,
    /// A manager's write-scope token: content and subscribers, no addresses.
    pub writer: String,
    /// An admin's read-scope token: reads only.
    pub reader: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub resp: Response<Bytes>,
    pub json: Value,
}

impl Api {
    pub async fn new() -> Self {
        Self::over(Harness::new().await).await
    }

    /// As [`Api::new`] with rate limits and read deadlines too high to matter (tests that
    /// send thousands of requests, some with huge fields).
    pub async fn unlimited() -> Self {
        let mut config = cachet_core::Config::new(
            cachet_core::validate::HttpUrl::parse("https://status.example.com").unwrap(),
        );
        let lots = cachet_core::web::Limit::new(1_000_000, std::time::Duration::from_secs(60));
        config.web.rate_limits.api_per_token = lots;
        config.web.rate_limits.api_per_address = lots;
        // These tests check what answers hold, not how fast they come: a debug build on a
        // shared machine renders a page of megabyte fields in more than the default
        // deadline, which would answer 503 (the deadlines are tested in `http_outage`).
        config.web.snapshot.render_deadline = std::time::Duration::from_secs(120);
        config.web.snapshot.revision_deadline = std::time::Duration::from_secs(60);
        Self::over(Harness::over(crate::new_store().await, config)).await
    }

    async fn over(h: Harness) -> Self {
        let admin = h.user("admin@example.com", Role::Admin).await;
        let manager = h.user("manager@example.com", Role::Manager).await;
        let op = Actor::operator();
        let token = |user: UserId, scope: TokenScope| {
            let c = h.cachet.clone();
            let op = op.clone();
            async move {
                c.create_api_token(&op, user, name("t"), scope, None)
                    .await
                    .unwrap()
                    .1
            }
        };
        let admin_token = token(admin.id, TokenScope::Admin).await;
        let writer = token(manager.id, TokenScope::Write).await;
        let reader = token(admin.id, TokenScope::Read).await;
        Self {
            h,
            admin: admin_token,
            writer,
            reader,
        }
    }

    /// Sends a request; a non-empty body goes as JSON unless `ct` says otherwise.
    pub async fn send_full(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header("x-cachet-token", t);
        }
        let mut has_ct = false;
        for (k, v) in headers {
            has_ct |= k.eq_ignore_ascii_case("content-type");
            b = b.header(*k, *v);
        }
        if !body.is_empty() && !has_ct {
            b = b.header("content-type", "application/json");
        }
        let req = b.body(Bytes::from(body.to_owned())).unwrap();
        let cx = RequestContext {
            peer: Some("192.0.2.1:5000".parse().unwrap()),
            principal: None,
        };
        let resp = self.h.cachet.handle(req, cx).await;
        let json: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        Reply {
            status: resp.status(),
            resp,
            json,
        }
    }

    pub async fn send(&self, method: &str, uri: &str, token: Option<&str>, body: &str) -> Reply {
        self.send_full(method, uri, token, &[], body).await
    }

    /// A request as the admin that must answer 200; returns the body.
    pub async fn ok(&self, method: &str, uri: &str, body: &str) -> Value {
        let r = self.send(method, uri, Some(&self.admin), body).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{method} {uri} {body}: {}",
            r.json
        );
        r.json
    }

    /// A public read (no token) that must answer 200.
    pub async fn get(&self, uri: &str) -> Value {
        let r = self.send("GET", uri, None, "").await;
        assert_eq!(r.status, StatusCode::OK, "GET {uri}: {}", r.json);
        r.json
    }

    pub async fn revision(&self) -> u64 {
        self.h.store.revision().await.unwrap()
    }

    /// Asserts that a request is refused with `status` in Cachet's error envelope and that
    /// nothing stored changed. Returns the error object.
    pub async fn refused(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: &str,
        status: StatusCode,
    ) -> Value {
        let before = self.revision().await;
        let r = self.send(method, uri, token, body).await;
        assert_eq!(r.status, status, "{method} {uri} {body}: {}", r.json);
        let e = r.json["errors"][0].clone();
        assert_eq!(e["status"], Value::from(status.as_u16()), "{}", r.json);
        assert!(e["id"].is_string() && e["title"].is_string() && e["detail"].is_string());
        assert_eq!(
            self.revision().await,
            before,
            "{method} {uri} {body} wrote something"
        );
        e
    }

    /// As [`Api::refused`] for a 400, returning `meta.details`.
    pub async fn invalid(&self, method: &str, uri: &str, body: &str) -> Vec<String> {
        let e = self
            .refused(
                method,
                uri,
                Some(&self.admin),
                body,
                StatusCode::BAD_REQUEST,
            )
            .await;
        e["meta"]["details"]
            .as_array()
            .unwrap_or_else(|| panic!("no details for {method} {uri} {body}: {e}"))
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    }

    /// Every route that needs a token: 401 without one or with a bogus one, nothing written.
    pub async fn needs_token(&self, method: &str, uri: &str, body: &str) {
        let e = self
            .refused(method, uri, None, body, StatusCode::UNAUTHORIZED)
            .await;
        assert_eq!(
            e["detail"],
            "Authentication is required and has failed or has not yet been provided."
        );
        self.refused(
            method,
            uri,
            Some("cachet_bogus"),
            body,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }

    /// 406 for a client that does not accept JSON.
    pub async fn not_acceptable(&self, method: &str, uri: &str) {
        let before = self.revision().await;
        let r = self
            .send_full(
                method,
                uri,
                Some(&self.admin),
                &[("accept", "text/html")],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE, "{method} {uri}");
        assert_eq!(r.json["errors"][0]["status"], 406);
        assert_eq!(self.revision().await, before);
    }
}

/// Whether any detail starts with `field:`.
pub fn names(details: &[String], field: &str) -> bool {
    details.iter().any(|d| d.starts_with(&format!("{field}:")))
}

/// The ids of a list answer's `data`, in order.
pub fn ids(v: &Value) -> Vec<i64> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect()
}
