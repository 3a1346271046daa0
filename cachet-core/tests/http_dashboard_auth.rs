//! Sign-in, second factor, sign-out, password reset, invitations, the one-time setup and the
//! dashboard's own sections, driven through `Cachet::handle` as a browser would: GET a form,
//! read its token, POST it from the public origin, follow the cookie.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use bytes::Bytes;
use chrono::TimeDelta;
use common::*;
use http::{Request, Response, StatusCode};

use cachet_core::auth::totp;
use cachet_core::model::*;
use cachet_core::store::{AuditFilter, AuditQuery, OutboxQuery};
use cachet_core::web::RequestContext;

const ME: &str = "https://status.example.com";
const EVIL: &str = "https://evil.example";

/// A browser: one cookie jar (the session cookie), requests through `Cachet::handle`.
struct Browser<'h> {
    h: &'h Harness,
    /// The session cookie (`name=value`).
    cookie: Option<String>,
    /// The device cookie (`name=value`), kept like a browser keeps it.
    device: Option<String>,
    peer: u8,
}

fn body(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

fn location(r: &Response<Bytes>) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The value of the first hidden `_token` in a page.
fn form_token(html: &str) -> String {
    let at = html.find(r#"name="_token" value=""#).expect("a form token");
    let rest = &html[at + r#"name="_token" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The text of the element with this id.
fn by_id(html: &str, id: &str) -> String {
    let at = html.find(&format!(r#"id="{id}""#)).expect(id);
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].trim().to_owned()
}

fn urlencode(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

impl<'h> Browser<'h> {
    fn new(h: &'h Harness) -> Self {
        Self {
            h,
            cookie: None,
            device: None,
            peer: 1,
        }
    }

    fn cx(&self) -> RequestContext {
        RequestContext {
            peer: Some(format!("192.0.2.{}:40000", self.peer).parse().unwrap()),
            principal: None,
        }
    }

    async fn send(&mut self, mut req: Request<Bytes>) -> Response<Bytes> {
        let jar: Vec<&str> = self
            .cookie
            .iter()
            .chain(&self.device)
            .map(String::as_str)
            .collect();
        if !jar.is_empty() {
            req.headers_mut()
                .insert("cookie", jar.join("; ").parse().unwrap());
        }
        let resp = self.h.cachet.handle(req, self.cx()).await;
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap().to_owned();
            if pair.contains("cachet_device=") {
                self.device = Some(pair);
            } else if pair.ends_with('=') || v.contains("Max-Age=0") {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
        resp
    }

    async fn get(&mut self, path: &str) -> Response<Bytes> {
        let req = Request::builder().uri(path).body(Bytes::new()).unwrap();
        self.send(req).await
    }

    async fn post_from(
        &mut self,
        origin: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response<Bytes> {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(Bytes::from(urlencode(fields)))
            .unwrap();
        self.send(req).await
    }

    /// GETs `page`, then POSTs its first form's token with `fields` to `action`.
    async fn submit(
        &mut self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response<Bytes> {
        let form = self.get(page).await;
        assert_eq!(form.status(), StatusCode::OK, "{page}: {}", body(&form));
        let token = form_token(&body(&form));
        let mut all = vec![("_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_from(ME, action, &all).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Response<Bytes> {
        self.submit(
            "/auth/login",
            "/auth/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A browser of a new user with `role`, signed in (sent on: `303`).
    async fn signed_in(h: &'h Harness, email: &str, role: Role) -> Self {
        h.user(email, role).await;
        let mut b = Self::new(h);
        let r = b.sign_in(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
        b
    }

    /// Posts the two-factor enrolment form (its `token`) with the code of this moment for
    /// the base32 `secret` the form showed.
    async fn confirm_2fa(&mut self, token: &str, secret: &str) -> Response<Bytes> {
        let secret = base32_decode(secret);
        let code = totp::code_for_step(&secret, totp::step_of(self.h.clock_now())).unwrap();
        self.post_from(
            ME,
            "/dashboard/profile/2fa/confirm",
            &[("_token", token), ("code", code.as_str())],
        )
        .await
    }
}

/// Every outbox event, oldest first.
async fn outbox(h: &Harness) -> Vec<OutboxEvent> {
    h.store
        .outbox_events(&OutboxQuery::all())
        .await
        .unwrap()
        .items
}

async fn audit(h: &Harness, action: AuditAction) -> u64 {
    h.audit_count(action).await
}

#[tokio::test]
async fn strangers_are_sent_to_sign_in() {
    let h = Harness::new().await;
    let mut b = Browser::new(&h);
    for path in [
        "/dashboard",
        "/dashboard/users",
        "/dashboard/components",
        "/dashboard/settings",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/auth/login", "{path}");
    }
    // A forged cookie is no better.
    b.cookie = Some("__Host-cachet_session=forged".to_owned());
    assert_eq!(b.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
    // The sign-in page itself is a form with a visitor token, never cached.
    let page = b.get("/auth/login").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(form_token(&body(&page)).starts_with("v1."));
}

#[tokio::test]
async fn a_signed_in_user_can_subscribe_like_any_visitor() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "ops@example.com", Role::Manager).await;
    assert!(b.cookie.is_some());
    // The form carries the session's token (the global guard checks that one) ...
    let r = b
        .submit(
            "/subscribe",
            "/subscribe",
            &[("email", "ops-personal@example.com")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body(&r));
    let subscribers = h
        .cachet
        .store_unchecked()
        .subscribers(&cachet_core::store::SubscriberQuery::all())
        .await
        .unwrap();
    assert_eq!(subscribers.total, 1);
    // ... and a stale or foreign token is still refused, by the guard, before the form runs.
    let forged = b
        .post_from(
            ME,
            "/subscribe",
            &[("_token", "v1.forged"), ("email", "other@example.com")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_in_wrong_password_and_sign_out_by_post_only() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let mut b = Browser::new(&h);

    let wrong = b
        .sign_in("ops@example.com", "not the password at all")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(body(&wrong).contains("The email address or password is wrong."));
    assert!(wrong.headers().get("set-cookie").is_none());
    let unknown = b.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body(&wrong).replace("ops@example.com", ""),
        body(&unknown)
            .replace("nobody@example.com", "")
            .replace(&form_token(&body(&unknown)), &form_token(&body(&wrong))),
        "the same page for an unknown account"
    );

    let ok = b.sign_in("ops@example.com", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/dashboard");
    let cookie = b.cookie.clone().expect("a session cookie");
    let home = b.get("/dashboard").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = body(&home);
    assert!(html.contains("Some One"), "the user's name");
    assert_eq!(home.headers()["cache-control"], "no-store");
    assert!(html.contains("/auth/logout"));

    // GET does not sign out.
    let get = b.get("/auth/logout").await;
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(b.get("/dashboard").await.status(), StatusCode::OK);
    // POST without the token is refused by the guard; with it, the session ends.
    let tokenless = b.post_from(ME, "/auth/logout", &[]).await;
    assert_eq!(tokenless.status(), StatusCode::FORBIDDEN);
    let token = form_token(&html);
    let out = b
        .post_from(ME, "/auth/logout", &[("_token", token.as_str())])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(location(&out).starts_with("/auth/login"));
    assert!(b.cookie.is_none(), "the cookie is cleared");
    // The old cookie is dead server-side.
    b.cookie = Some(cookie);
    assert_eq!(b.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(audit(&h, AuditAction::Logout).await, 1);
}

#[tokio::test]
async fn sign_in_with_totp_wrong_code_replay_and_recovery_codes() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;

    // Enrol from the profile page: QR code and the secret as text.
    let begun = b
        .submit("/dashboard/profile", "/dashboard/profile/2fa/begin", &[])
        .await;
    assert_eq!(begun.status(), StatusCode::OK, "{}", body(&begun));
    let html = body(&begun);
    assert!(
        html.contains("<svg role=\"img\""),
        "an inline, labelled QR code"
    );
    let secret = base32_decode(&by_id(&html, "totp-secret"));
    let token = form_token(&html);
    let code = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    let before = b.cookie.clone();
    let confirmed = b
        .post_from(
            ME,
            "/dashboard/profile/2fa/confirm",
            &[("_token", token.as_str()), ("code", code.as_str())],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK, "{}", body(&confirmed));
    assert_ne!(b.cookie, before, "the session rotated");
    let html = body(&confirmed);
    let codes_html = &html[html.find("id=\"recovery-codes\"").unwrap()..];
    let codes: Vec<String> = codes_html
        .split("<li>")
        .skip(1)
        .take(10)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    // The page's forms work with the rotated session.
    let t = form_token(&html);
    let out = b
        .post_from(ME, "/auth/logout", &[("_token", t.as_str())])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    // Sign in again: the password leads to the second factor only.
    let first = b.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(location(&first), "/auth/2fa");
    assert_eq!(
        b.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER,
        "a pending session opens nothing"
    );
    // The enrolment code cannot be replayed.
    let replay = b
        .submit("/auth/2fa", "/auth/2fa", &[("code", code.as_str())])
        .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert!(body(&replay).contains("The code is wrong or was already used."));
    let wrong = b
        .submit("/auth/2fa", "/auth/2fa", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    h.clock.advance(TimeDelta::seconds(30));
    let next = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    let ok = b
        .submit("/auth/2fa", "/auth/2fa", &[("code", next.as_str())])
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/dashboard");
    assert_eq!(b.get("/dashboard").await.status(), StatusCode::OK);

    // The accepted code is spent for another sign-in too; a recovery code works once.
    let mut other = Browser::new(&h);
    other.sign_in("admin@example.com", PASSWORD).await;
    let again = other
        .submit("/auth/2fa", "/auth/2fa", &[("code", next.as_str())])
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let rec = other
        .submit("/auth/2fa", "/auth/2fa", &[("code", codes[0].as_str())])
        .await;
    assert_eq!(rec.status(), StatusCode::SEE_OTHER, "{}", body(&rec));
    let mut third = Browser::new(&h);
    third.sign_in("admin@example.com", PASSWORD).await;
    let reused = third
        .submit("/auth/2fa", "/auth/2fa", &[("code", codes[0].as_str())])
        .await;
    assert_eq!(
        reused.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );
    assert_eq!(audit(&h, AuditAction::RecoveryCodeUse).await, 1);
    assert!(audit(&h, AuditAction::TwoFactorFailure).await >= 4);

    // Without a pending session the 2FA page sends to sign-in.
    let mut fresh = Browser::new(&h);
    let r = fresh.get("/auth/2fa").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/auth/login");
}

/// The link of the newest outbox event of a kind, opened with the keyring.
async fn mailed_link(h: &Harness, kind: EventKind) -> Option<String> {
    let events = outbox(h).await;
    let e = events.iter().rev().find(|e| e.kind == kind)?;
    let text = e.payload.to_string();
    assert!(
        !text.contains("/auth/reset/") && !text.contains("/invite/"),
        "no clear link in the outbox"
    );
    h.cachet.open_outbox_link(&e.payload)
}

async fn outbox_len(h: &Harness) -> u64 {
    h.store
        .outbox_events(&OutboxQuery::all())
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn password_reset_without_enumeration_single_use() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let mut b = Browser::new(&h);

    let unknown = b
        .submit(
            "/auth/reset",
            "/auth/reset",
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(outbox_len(&h).await, 0, "no mail for an unknown address");
    let known = b
        .submit(
            "/auth/reset",
            "/auth/reset",
            &[("email", "ops@example.com")],
        )
        .await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(
        body(&unknown),
        body(&known),
        "the same answer whether or not the account exists"
    );
    let link = mailed_link(&h, EventKind::PasswordReset)
        .await
        .expect("a reset mail");
    let path = link.strip_prefix(ME).unwrap().to_owned();
    assert!(path.starts_with("/auth/reset/"));

    // A weak password does not spend the link.
    let weak = b.submit(&path, &path, &[("password", "short")]).await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(body(&weak).contains("password"));
    let done = b.submit(&path, &path, &[("password", NEW_PASSWORD)]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(location(&done).starts_with("/auth/login"));
    // Used once: the link is dead now.
    assert_eq!(b.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        b.sign_in("ops@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.sign_in("ops@example.com", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // A link expires.
    let mut c = Browser::new(&h);
    c.peer = 2;
    c.submit(
        "/auth/reset",
        "/auth/reset",
        &[("email", "ops@example.com")],
    )
    .await;
    let link = mailed_link(&h, EventKind::PasswordReset).await.unwrap();
    let path = link.strip_prefix(ME).unwrap().to_owned();
    h.clock.advance(TimeDelta::hours(2));
    assert_eq!(c.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        c.get("/auth/reset/not-a-token").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn invitations_create_an_account_once() {
    let h = Harness::new().await;
    let mut admin = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    let sent = admin
        .submit(
            "/dashboard/invitations",
            "/dashboard/invitations",
            &[("email", "new@example.com"), ("role", "manager")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER, "{}", body(&sent));
    let listed = admin.get("/dashboard/invitations").await;
    assert!(body(&listed).contains("invitation for new@example.com as manager"));
    let link = mailed_link(&h, EventKind::UserInvitation).await.unwrap();
    let path = link.strip_prefix(ME).unwrap().to_owned();

    let mut invitee = Browser::new(&h);
    invitee.peer = 3;
    let page = invitee.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(body(&page).contains("new@example.com"));
    let bad = invitee
        .submit(&path, &path, &[("name", ""), ("password", NEW_PASSWORD)])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(&bad).contains("name"));
    let ok = invitee
        .submit(
            &path,
            &path,
            &[("name", "New Person"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER, "{}", body(&ok));
    assert_eq!(
        invitee.get(&path).await.status(),
        StatusCode::NOT_FOUND,
        "single use"
    );
    let user = h
        .store
        .user_by_email(&cachet_core::validate::Email::parse("new@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, Role::Manager);
    assert_eq!(
        invitee
            .sign_in("new@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Inviting an existing address is refused.
    let dup = admin
        .submit(
            "/dashboard/invitations",
            "/dashboard/invitations",
            &[("email", "new@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn setup_runs_exactly_once() {
    let h = Harness::new().await;
    let token = h.cachet.issue_setup_token().await.unwrap().unwrap();
    let mut b = Browser::new(&h);
    let fields = |t: &'static str| {
        vec![
            ("token", t),
            ("site_name", "Example Status"),
            ("name", "First Admin"),
            ("email", "first@example.com"),
            ("password", PASSWORD),
        ]
    };
    let wrong = b.submit("/setup", "/setup", &fields("wrong-token")).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let tok: &'static str = Box::leak(token.into_boxed_str());
    let ok = b.submit("/setup", "/setup", &fields(tok)).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER, "{}", body(&ok));
    assert!(location(&ok).starts_with("/dashboard"));
    let home = b.get("/dashboard").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(body(&home).contains("Example Status"));
    assert_eq!(
        audit(&h, AuditAction::SetupComplete).await,
        2,
        "the refusal and the success"
    );

    // Closed for good: the page says so, and a new token is not even issued.
    let mut other = Browser::new(&h);
    let closed = other.get("/setup").await;
    assert_eq!(closed.status(), StatusCode::NOT_FOUND);
    assert!(body(&closed).contains("Setup is complete"));
    assert!(h.cachet.issue_setup_token().await.unwrap().is_none());
    // (whatever the form token: the page answers before looking at it)
    let token = "v1.0.x".to_owned();
    let again = other
        .post_from(
            ME,
            "/setup",
            &[
                ("_token", token.as_str()),
                ("token", tok),
                ("site_name", "Taken Over"),
                ("name", "Attacker"),
                ("email", "evil@example.com"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        h.cachet
            .settings()
            .await
            .unwrap()
            .app_name
            .unwrap()
            .as_str(),
        "Example Status"
    );
}

#[tokio::test]
async fn viewer_reads_but_manager_and_admin_actions_are_refused() {
    let h = Harness::new().await;
    let admin = h.user("admin@example.com", Role::Admin).await;
    let mut v = Browser::signed_in(&h, "viewer@example.com", Role::Viewer).await;
    let home = v.get("/dashboard").await;
    assert_eq!(home.status(), StatusCode::OK);
    let token = form_token(&body(&home));
    let denied_before = audit(&h, AuditAction::AccessDenied).await;
    let role_path = format!("/dashboard/users/{}/role", admin.id);
    for (path, fields) in [
        ("/dashboard/settings", vec![("app_name", "Hijacked")]),
        (
            "/dashboard/invitations",
            vec![("email", "x@example.com"), ("role", "admin")],
        ),
        ("/dashboard/mail/test", vec![]),
        (role_path.as_str(), vec![("role", "viewer")]),
        (
            "/dashboard/webhooks",
            vec![
                ("name", "w"),
                ("url", "https://hook.example"),
                ("secret", "0123456789abcdef"),
            ],
        ),
    ] {
        let mut all = vec![("_token", token.as_str())];
        all.extend(fields);
        let r = v.post_from(ME, path, &all).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/dashboard/users",
        "/dashboard/settings",
        "/dashboard/audit",
        "/dashboard/mail",
    ] {
        assert_eq!(v.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(audit(&h, AuditAction::AccessDenied).await >= denied_before + 9);
    // Nothing changed.
    assert!(h.cachet.settings().await.unwrap().app_name.is_none());
    assert_eq!(h.store.user(admin.id).await.unwrap().role, Role::Admin);
    assert_eq!(outbox_len(&h).await, 0);
    assert!(h.store.webhooks().await.unwrap().is_empty());
    // The nav offers only what the role may open.
    let html = body(&home);
    assert!(!html.contains("/dashboard/users\""));
    assert!(html.contains("/dashboard/profile"));
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_and_audited() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    // A visitor form (sign-in) posted from another site.
    let mut b = Browser::new(&h);
    let page = b.get("/auth/login").await;
    let token = form_token(&body(&page));
    let r = b
        .post_from(
            EVIL,
            "/auth/login",
            &[
                ("_token", token.as_str()),
                ("email", "admin@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(b.cookie.is_none());
    // Without the visitor token.
    let r = b
        .post_from(
            ME,
            "/auth/login",
            &[("email", "admin@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit(&h, AuditAction::CsrfRejected).await, 2);

    // A signed-in admin's form posted from another site, even with the right token.
    b.sign_in("admin@example.com", PASSWORD).await;
    let home = b.get("/dashboard/tokens").await;
    let token = form_token(&body(&home));
    let r = b
        .post_from(
            EVIL,
            "/dashboard/tokens",
            &[
                ("_token", token.as_str()),
                ("name", "stolen"),
                ("scope", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit(&h, AuditAction::CsrfRejected).await, 3);
    let q = cachet_core::store::ApiTokenQuery::all();
    assert_eq!(
        h.store.api_tokens(&q).await.unwrap().total,
        0,
        "nothing created"
    );
    let q = AuditQuery::filtered(AuditFilter {
        action: Some(AuditAction::CsrfRejected),
        ..AuditFilter::default()
    });
    let events = h.store.audit_events(&q).await.unwrap().items;
    assert!(events.iter().all(|e| e.outcome == AuditOutcome::Denied));
}

#[tokio::test]
async fn api_token_is_shown_once_and_listed_without_its_secret() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "ops@example.com", Role::Manager).await;
    let created = b
        .submit(
            "/dashboard/tokens",
            "/dashboard/tokens",
            &[
                ("name", "deploy bot"),
                ("scope", "write"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK, "{}", body(&created));
    let secret = by_id(&body(&created), "token-secret");
    assert!(secret.starts_with("cachet_"));
    // The token works against the API.
    let api = Request::builder()
        .uri("/api/v1/components")
        .header("x-cachet-token", &secret)
        .body(Bytes::new())
        .unwrap();
    assert_eq!(h.cachet.handle(api, b.cx()).await.status(), StatusCode::OK);
    // Listed with its name, prefix and last use, never the secret again.
    let list = body(&b.get("/dashboard/tokens").await);
    assert!(list.contains("deploy bot"));
    assert!(!list.contains(&secret));
    assert!(!list.contains("never</td><td>"), "last use is recorded");
    // A bad scope names the field.
    let bad = b
        .submit(
            "/dashboard/tokens",
            "/dashboard/tokens",
            &[("name", "x"), ("scope", "root")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(&bad).contains("scope"));
    // Revoking is a POST; the token then stops working.
    let page = b.get("/dashboard/tokens").await;
    let html = body(&page);
    let at = html.find("/revoke\"").unwrap();
    let start = html[..at].rfind("/dashboard/tokens/").unwrap();
    let path = html[start..at + "/revoke".len()].to_owned();
    assert_eq!(b.get(&path).await.status(), StatusCode::METHOD_NOT_ALLOWED);
    let token = form_token(&html);
    let r = b.post_from(ME, &path, &[("_token", token.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let api = Request::builder()
        .uri("/api/v1/components")
        .header("x-cachet-token", &secret)
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        h.cachet.handle(api, b.cx()).await.status(),
        StatusCode::OK,
        "a bad token on a public read is a guest's"
    );
    let api = Request::builder()
        .method("POST")
        .uri("/api/v1/components")
        .header("x-cachet-token", &secret)
        .header("content-type", "application/json")
        .body(Bytes::from_static(br#"{"name":"x","status":1}"#))
        .unwrap();
    assert_eq!(
        h.cachet.handle(api, b.cx()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn settings_webhooks_mail_and_audit_pages() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    // The about preview goes through the sanitizer and saves nothing.
    let preview = b
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[
                ("action", "preview"),
                ("app_about", "**hi** <script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let html = body(&preview);
    assert!(html.contains("<strong>hi</strong>"));
    assert!(!html.contains("<script>alert"));
    assert!(
        h.cachet
            .settings()
            .await
            .unwrap()
            .app_about
            .as_str()
            .is_empty()
    );
    let saved = b
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[
                ("action", "save"),
                ("app_name", "Acme Status"),
                ("require_2fa_for_admins", "0"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{}", body(&saved));
    assert_eq!(
        h.cachet
            .settings()
            .await
            .unwrap()
            .app_name
            .unwrap()
            .as_str(),
        "Acme Status"
    );
    let bad = b
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[("action", "save"), ("theme_accent", "red; }")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(&bad).contains("theme_accent"));

    // Webhook secrets are write-only.
    let hook_secret = "super-secret-signing-key-42";
    let r = b
        .submit(
            "/dashboard/webhooks",
            "/dashboard/webhooks",
            &[
                ("name", "Chat"),
                ("url", "https://hooks.example.com/x"),
                ("secret", hook_secret),
                ("enabled", "0"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let page = body(&b.get("/dashboard/webhooks").await);
    assert!(page.contains("https://hooks.example.com/x"));
    assert!(!page.contains(hook_secret));
    let hooks = h.store.webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].enabled);
    let before = hooks[0].secret.clone();
    let path = format!("/dashboard/webhooks/{}", hooks[0].id);
    let r = b
        .submit(
            "/dashboard/webhooks",
            &path,
            &[
                ("name", "Chat 2"),
                ("url", "https://hooks.example.com/y"),
                ("secret", ""),
                ("enabled", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let hook = h.store.webhooks().await.unwrap().remove(0);
    assert_eq!(hook.secret, before, "an empty secret keeps the old one");
    assert!(!hook.enabled);

    // The mail page and the test mail.
    let mail = b.get("/dashboard/mail").await;
    assert_eq!(mail.status(), StatusCode::OK);
    let r = b
        .submit("/dashboard/mail", "/dashboard/mail/test", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let events = outbox(&h).await;
    assert!(events.iter().any(|e| e.kind == EventKind::TestMail));

    // The audit log filters by action and rejects a malformed date naming the filter.
    let log = b.get("/dashboard/audit?action=settings_change").await;
    assert_eq!(log.status(), StatusCode::OK);
    let html = body(&log);
    assert!(html.contains("settings_change"));
    assert!(!html.contains("<td>login_success</td>"));
    let bad = b.get("/dashboard/audit?since=yesterday").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(&bad).contains("since"));
    let paged = b.get("/dashboard/audit?page=1&outcome=success").await;
    assert_eq!(paged.status(), StatusCode::OK);
}

#[tokio::test]
async fn webhook_events_test_event_and_delivery_log_from_the_dashboard() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    let page = body(&b.get("/dashboard/webhooks").await);
    assert!(page.contains("name=\"events\" value=\"incident_resolved\""));
    assert!(page.contains("name=\"events_shown\""));
    // The new-endpoint form as the page sends it, with the given checkboxes.
    let form = |ticked: &[(&'static str, &'static str)]| {
        let mut fields = vec![
            ("name", "Chat"),
            ("url", "https://hooks.example.com/x"),
            ("secret", "super-secret-signing-key-42"),
            ("events_shown", "1"),
        ];
        fields.extend_from_slice(ticked);
        fields
    };

    // The form with its checkboxes, none ticked, or an event that does not exist: refused,
    // naming the field; nothing stored.
    for bad in [("enabled", "1"), ("events", "everything")] {
        let r = b
            .submit("/dashboard/webhooks", "/dashboard/webhooks", &form(&[bad]))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(body(&r).contains("events"), "{bad:?}: {}", body(&r));
        assert!(h.store.webhooks().await.unwrap().is_empty(), "{bad:?}");
    }

    // Two ticked: exactly those; the endpoint starts disabled.
    let r = b
        .submit(
            "/dashboard/webhooks",
            "/dashboard/webhooks",
            &form(&[
                ("events", "incident_resolved"),
                ("events", "maintenance"),
                ("enabled", "0"),
            ]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let hook = h.store.webhooks().await.unwrap().remove(0);
    assert_eq!(
        hook.events,
        WebhookEvents::of([WebhookEvent::IncidentResolved, WebhookEvent::Maintenance]).unwrap()
    );
    assert!(!hook.enabled);

    // A script that predates the checkboxes (no marker) leaves the choice alone.
    let path = format!("/dashboard/webhooks/{}", hook.id);
    let r = b
        .submit(
            "/dashboard/webhooks",
            &path,
            &[("name", "Chat"), ("url", "https://hooks.example.com/x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    assert_eq!(h.store.webhooks().await.unwrap()[0].events, hook.events);

    // The test event: queued through the outbox for this endpoint, even though it is off,
    // and the endpoint's row links to its delivery log.
    let test_path = format!("/dashboard/webhooks/{}/test", hook.id);
    let r = b.submit("/dashboard/webhooks", &test_path, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let events = outbox(&h).await;
    let test = events
        .iter()
        .find(|e| e.kind == EventKind::WebhookTest)
        .expect("a test event");
    assert_eq!(test.payload["webhook_id"], hook.id.get());
    assert_eq!(
        b.get(&test_path).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let missing = b
        .submit("/dashboard/webhooks", "/dashboard/webhooks/9999/test", &[])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let page = body(&b.get("/dashboard/webhooks").await);
    let log = format!("/dashboard/deliveries?recipient=webhook:{}", hook.id);
    assert!(page.contains(&log), "{page}");
    let deliveries = b.get(&log).await;
    assert_eq!(deliveries.status(), StatusCode::OK);
    assert!(body(&deliveries).contains(&format!("value=\"webhook:{}\"", hook.id)));
}

#[tokio::test]
async fn a_webhook_endpoints_format_is_chosen_shown_and_checked_against_its_url() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    let page = body(&b.get("/dashboard/webhooks").await);
    assert!(
        page.contains("<option value=\"json\" selected>JSON (signed)</option>"),
        "{page}"
    );
    assert!(page.contains("<option value=\"slack\">Slack</option>"));
    let form = |url: &'static str, format: &'static str| {
        vec![
            ("name", "Chat"),
            ("url", url),
            ("secret", "super-secret-signing-key-42"),
            ("format", format),
        ]
    };
    // A Slack endpoint with another host's URL, or a format that does not exist: a 400
    // naming the field, nothing stored.
    for (url, format, field) in [
        ("https://hooks.example.com/x", "slack", "hooks.slack.com"),
        ("https://hooks.slack.com/services/T0/B0/x", "irc", "format"),
    ] {
        let r = b
            .submit(
                "/dashboard/webhooks",
                "/dashboard/webhooks",
                &form(url, format),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{format}");
        assert!(body(&r).contains(field), "{format}: {}", body(&r));
        assert!(h.store.webhooks().await.unwrap().is_empty());
    }
    let r = b
        .submit(
            "/dashboard/webhooks",
            "/dashboard/webhooks",
            &form("https://hooks.slack.com/services/T0/B0/x", "slack"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    let hook = h.store.webhooks().await.unwrap().remove(0);
    assert_eq!(hook.format, WebhookFormat::Slack);
    let page = body(&b.get("/dashboard/webhooks").await);
    assert!(page.contains("Slack · Changed"), "{page}");
    assert!(page.contains("<option value=\"slack\" selected>Slack</option>"));
    // A script that predates the select keeps the format (and its URL rule).
    let path = format!("/dashboard/webhooks/{}", hook.id);
    let r = b
        .submit(
            "/dashboard/webhooks",
            &path,
            &[
                ("name", "Chat"),
                ("url", "https://hooks.slack.com/services/T0/B0/y"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    assert_eq!(
        h.store.webhooks().await.unwrap()[0].format,
        WebhookFormat::Slack
    );
}

#[tokio::test]
async fn the_dashboard_prefix_is_configurable() {
    let mut config = cachet_core::Config::new(cachet_core::validate::HttpUrl::parse(ME).unwrap());
    config.web.dashboard_prefix = "/admin/".to_owned();
    let h = Harness::over(new_store().await, config);
    h.user("ops@example.com", Role::Manager).await;
    let mut b = Browser::new(&h);
    let r = b.get("/admin").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/auth/login");
    let ok = b.sign_in("ops@example.com", PASSWORD).await;
    assert_eq!(location(&ok), "/admin");
    let home = b.get("/admin").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(body(&home).contains("href=\"/admin/profile\""));
    assert_eq!(b.get("/dashboard").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let mut b = Browser::new(&h);
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        let r = b
            .sign_in("ops@example.com", "wrong password, again and again")
            .await;
        last = r.status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            assert!(body(&r).contains("Too many attempts"));
            break;
        }
        assert_eq!(last, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Even the right password waits now, and no session is made.
    let r = b.sign_in("ops@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(b.cookie.is_none());
}

#[tokio::test]
async fn admins_without_2fa_are_sent_to_enrol_when_the_site_requires_it() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    b.submit(
        "/dashboard/settings",
        "/dashboard/settings",
        &[
            ("action", "save"),
            ("require_2fa_for_admins", "0"),
            ("require_2fa_for_admins", "1"),
        ],
    )
    .await;
    assert!(h.cachet.settings().await.unwrap().require_2fa_for_admins);
    let r = b.get("/dashboard/users").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/dashboard/profile");
    let profile = b.get("/dashboard/profile").await;
    assert_eq!(profile.status(), StatusCode::OK);
    assert!(body(&profile).contains("requires two-factor authentication"));
    let begun = b
        .submit("/dashboard/profile", "/dashboard/profile/2fa/begin", &[])
        .await;
    assert_eq!(begun.status(), StatusCode::OK);
    let done = b
        .confirm_2fa(
            &form_token(&body(&begun)),
            &by_id(&body(&begun), "totp-secret"),
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(b.get("/dashboard/users").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_stranger_locking_the_account_does_not_lock_out_the_admins_browser() {
    let h = Harness::new().await;
    let mut admin = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    let device = admin
        .device
        .clone()
        .expect("a completed sign-in sets the device cookie");
    assert!(device.starts_with("__Host-cachet_device="));
    let t = form_token(&body(&admin.get("/dashboard").await));
    admin
        .post_from(ME, "/auth/logout", &[("_token", t.as_str())])
        .await;
    assert_eq!(
        admin.device.as_ref(),
        Some(&device),
        "signing out keeps the device cookie"
    );
    // A stranger from rotating addresses until the account is locked for strangers.
    let mut stranger = Browser::new(&h);
    let mut locked = false;
    for peer in 10..40 {
        stranger.peer = peer;
        if stranger
            .sign_in("admin@example.com", "a wrong guess")
            .await
            .status()
            == StatusCode::TOO_MANY_REQUESTS
        {
            locked = true;
            break;
        }
    }
    assert!(locked, "the stranger is throttled");
    // The admin's browser signs in all the same; a new browser waits like the stranger.
    let r = admin.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    assert_eq!(location(&r), "/dashboard");
    let mut fresh = Browser::new(&h);
    fresh.peer = 50;
    assert_eq!(
        fresh.sign_in("admin@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_mistyped_enrolment_code_shows_the_same_qr_code_again() {
    let h = Harness::new().await;
    let mut b = Browser::signed_in(&h, "admin@example.com", Role::Admin).await;
    let begun = b
        .submit("/dashboard/profile", "/dashboard/profile/2fa/begin", &[])
        .await;
    let html = body(&begun);
    let scanned = by_id(&html, "totp-secret");
    assert!(
        html.contains(r#"<input type="hidden" name="secret" value=""#),
        "the form sends back what it showed"
    );
    let token = form_token(&html);
    let wrong = b
        .post_from(
            ME,
            "/dashboard/profile/2fa/confirm",
            &[
                ("_token", token.as_str()),
                ("secret", scanned.as_str()),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        by_id(&body(&wrong), "totp-secret"),
        scanned,
        "the authenticator's secret still works"
    );
    let ok = b.confirm_2fa(&form_token(&body(&wrong)), &scanned).await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", body(&ok));
    assert!(body(&ok).contains("recovery-codes"));
}
