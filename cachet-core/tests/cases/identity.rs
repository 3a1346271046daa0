// Shared test cases: included by cachet-core (in-memory store) and cachet-store (SQLite).
// See the including files for the doc comment.

use chrono::TimeDelta;
use common::*;

use cachet_core::auth::totp;
use cachet_core::model::*;
use cachet_core::store::{AuditFilter, AuditQuery};
use cachet_core::{Error, LoginOutcome, SessionLookup};

#[tokio::test]
async fn login_success_and_uniform_failures() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let ok = h.cachet.login("Admin@Example.com ", PASSWORD, ip(1), Some("test"), None).await.unwrap();
    let LoginOutcome::SignedIn(ticket) = ok else { panic!("no 2FA enrolled") };
    assert!(ticket.set_cookie.starts_with("__Host-cachet_session="));
    assert!(matches!(h.cachet.resolve_session(&ticket.secret, ip(1)).await.unwrap(), SessionLookup::Active(_)));

    let wrong = h.cachet.login("admin@example.com", "wrong password 123", ip(1), None, None).await.unwrap_err();
    let unknown = h.cachet.login("nobody@example.com", PASSWORD, ip(1), None, None).await.unwrap_err();
    let malformed = h.cachet.login("not an email", PASSWORD, ip(1), None, None).await.unwrap_err();
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.to_string(), malformed.to_string());
    assert!(matches!(unknown, Error::InvalidCredentials));
    assert_eq!(h.audit_count(AuditAction::LoginFailure).await, 3);
    assert_eq!(h.audit_count(AuditAction::LoginSuccess).await, 1);
}

#[tokio::test]
async fn five_free_failures_then_doubling_lockout_that_expires() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    for _ in 0..5 {
        assert!(matches!(h.cachet.login("ops@example.com", "nope nope nope", ip(2), None, None).await, Err(Error::InvalidCredentials)));
    }
    // the first five cost nothing: the right password still works at once
    assert!(h.cachet.login("ops@example.com", PASSWORD, ip(2), None, None).await.is_ok());
    // the account counter was cleared by the success; the address keeps its five
    for _ in 0..5 {
        let _ = h.cachet.login("ops@example.com", "nope nope nope", ip(3), None, None).await;
    }
    let _ = h.cachet.login("ops@example.com", "nope nope nope", ip(3), None, None).await; // sixth: 1 s lock
    match h.cachet.login("ops@example.com", PASSWORD, ip(4), None, None).await {
        Err(Error::Throttled { retry_after }) => assert_eq!(retry_after, TimeDelta::seconds(1)),
        other => panic!("expected throttling, got {other:?}"),
    }
    h.clock.advance(TimeDelta::seconds(1));
    assert!(h.cachet.login("ops@example.com", PASSWORD, ip(4), None, None).await.is_ok(), "the lock expires on its own");
}

#[tokio::test]
async fn full_lockout_is_audited_and_capped_at_fifteen_minutes() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    // Keep failing, waiting out each delay: 5 free failures, then 1 s, 2 s, ... 512 s, 900 s.
    let mut attempts = 0;
    while h.audit_count(AuditAction::Lockout).await == 0 {
        attempts += 1;
        assert!(attempts < 60, "no lockout was ever audited");
        if let Err(Error::Throttled { retry_after }) =
            h.cachet.login("ops@example.com", "nope nope nope", ip(5), None, None).await
        {
            h.clock.advance(retry_after);
        }
    }
    // right after the lockout even the right password, from another address, waits
    match h.cachet.login("ops@example.com", PASSWORD, ip(6), None, None).await {
        Err(Error::Throttled { retry_after }) => assert_eq!(retry_after, TimeDelta::minutes(15)),
        other => panic!("expected the lockout, got {other:?}"),
    }
    h.clock.advance(TimeDelta::minutes(15));
    assert!(h.cachet.login("ops@example.com", PASSWORD, ip(6), None, None).await.is_ok());
}

#[tokio::test]
async fn weaker_hashes_are_upgraded_at_login() {
    let h = Harness::new().await;
    let user = h.user("old@example.com", Role::Viewer).await;
    let weak = h.store.user(user.id).await.unwrap().password_hash;
    assert!(weak.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    // the operator raises the cost: the next sign-in rehashes transparently
    let mut config = h.cachet.config().clone();
    config.argon2 = cachet_core::auth::password::Argon2Params::new(19_456, 3, 1).unwrap();
    let stronger = Harness::over(h.store.clone(), config);
    stronger.cachet.login("old@example.com", PASSWORD, ip(1), None, None).await.unwrap();
    let after = h.store.user(user.id).await.unwrap().password_hash;
    assert!(after.0.starts_with("$argon2id$v=19$m=19456,t=3,p=1$"), "rehashed");
    assert!(stronger.cachet.login("old@example.com", PASSWORD, ip(1), None, None).await.is_ok());
}

#[tokio::test]
async fn password_policy_and_change() {
    let h = Harness::new().await;
    let err = h
        .cachet
        .operator_create_user(cachet_core::parse_new_user("Ops", "ops@example.com", "manager", "password1234".into()).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("password:"), "{err}");
    // the site's own name makes a password guessable
    let op = cachet_core::Actor::operator();
    h.cachet.put_settings(&op, &[(SettingKey::AppName, "Zephyrine Cloud".into())]).await.unwrap();
    let input = cachet_core::parse_new_user("Ops", "ops2@example.com", "viewer", "zephyrinecloud2026".into()).unwrap();
    assert!(matches!(h.cachet.operator_create_user(input).await, Err(Error::Validation(_))));
    h.user("ops@example.com", Role::Manager).await;
    let a = h.session("ops@example.com").await;
    let b = h.session("ops@example.com").await;
    let actor = h.actor(&a.secret).await;
    assert!(matches!(h.cachet.change_password(&actor, "wrong current", NEW_PASSWORD).await, Err(Error::InvalidCredentials)));
    assert!(matches!(h.cachet.change_password(&actor, PASSWORD, "short").await, Err(Error::Validation(_))));
    let rotated = h.cachet.change_password(&actor, PASSWORD, NEW_PASSWORD).await.unwrap();
    assert!(matches!(h.cachet.resolve_session(&b.secret, ip(1)).await.unwrap(), SessionLookup::None), "other sessions end");
    assert!(matches!(h.cachet.resolve_session(&a.secret, ip(1)).await.unwrap(), SessionLookup::None), "the current one rotates");
    assert!(matches!(h.cachet.resolve_session(&rotated.secret, ip(1)).await.unwrap(), SessionLookup::Active(_)));
    assert!(h.cachet.login("ops@example.com", NEW_PASSWORD, ip(1), None, None).await.is_ok());
    assert_eq!(h.audit_count(AuditAction::PasswordChange).await, 2, "one failure, one success");
}

#[tokio::test]
async fn totp_enrolment_login_replay_and_recovery_codes() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let ticket = h.session("admin@example.com").await;
    let actor = h.actor(&ticket.secret).await;
    let enrollment = h.cachet.begin_totp_enrollment(&actor).await.unwrap();
    assert!(enrollment.otpauth_uri.starts_with("otpauth://totp/"));
    assert!(enrollment.qr_svg.contains("<svg"));
    let secret = base32_decode(&enrollment.secret_base32);
    // not active until confirmed: sign-in still needs no code
    assert!(matches!(h.cachet.login("admin@example.com", PASSWORD, ip(1), None, None).await.unwrap(), LoginOutcome::SignedIn(_)));
    assert!(matches!(h.cachet.confirm_totp_enrollment(&actor, "000000").await, Err(Error::InvalidCode)));
    let code = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    let (codes, rotated) = h.cachet.confirm_totp_enrollment(&actor, &code).await.unwrap();
    assert_eq!(codes.len(), 10);
    assert!(matches!(h.cachet.resolve_session(&ticket.secret, ip(1)).await.unwrap(), SessionLookup::None), "rotated");
    assert!(matches!(h.cachet.resolve_session(&rotated.secret, ip(1)).await.unwrap(), SessionLookup::Active(_)));

    // sign-in now owes the second factor; the pending session can do nothing else
    let LoginOutcome::SecondFactorRequired(pending) = h.cachet.login("admin@example.com", PASSWORD, ip(1), None, None).await.unwrap() else {
        panic!("2FA is active")
    };
    assert!(matches!(h.cachet.resolve_session(&pending.secret, ip(1)).await.unwrap(), SessionLookup::PendingSecondFactor(_)));
    // the code used for enrolment cannot be replayed
    assert!(matches!(h.cachet.complete_second_factor(&pending.secret, &code, ip(1), None).await, Err(Error::InvalidCode)));
    h.clock.advance(TimeDelta::seconds(30));
    let next = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    let full = h.cachet.complete_second_factor(&pending.secret, &next, ip(1), None).await.unwrap();
    assert!(matches!(h.cachet.resolve_session(&pending.secret, ip(1)).await.unwrap(), SessionLookup::None), "pending id rotated away");
    assert!(matches!(h.cachet.resolve_session(&full.secret, ip(1)).await.unwrap(), SessionLookup::Active(_)));
    // replay of the accepted code on another sign-in
    let LoginOutcome::SecondFactorRequired(p2) = h.cachet.login("admin@example.com", PASSWORD, ip(1), None, None).await.unwrap() else {
        panic!()
    };
    assert!(matches!(h.cachet.complete_second_factor(&p2.secret, &next, ip(1), None).await, Err(Error::InvalidCode)));
    // a recovery code works once, in any case and grouping
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert!(h.cachet.complete_second_factor(&p2.secret, &typed, ip(1), None).await.is_ok());
    let LoginOutcome::SecondFactorRequired(p3) = h.cachet.login("admin@example.com", PASSWORD, ip(1), None, None).await.unwrap() else {
        panic!()
    };
    assert!(matches!(h.cachet.complete_second_factor(&p3.secret, &codes[0], ip(1), None).await, Err(Error::InvalidCode)));
    assert_eq!(h.audit_count(AuditAction::RecoveryCodeUse).await, 1);
    assert!(h.audit_count(AuditAction::TwoFactorFailure).await >= 3);

    // disabling needs the password and a code
    let actor = h.actor(&full.secret).await;
    assert!(matches!(h.cachet.disable_totp(&actor, "wrong password!", &codes[1]).await, Err(Error::InvalidCredentials)));
    // a wrong code gets the wrong password's answer: the form does not confirm the password
    assert!(matches!(h.cachet.disable_totp(&actor, PASSWORD, "123456").await, Err(Error::InvalidCredentials)));
    h.cachet.disable_totp(&actor, PASSWORD, &codes[1]).await.unwrap();
    assert!(matches!(h.cachet.login("admin@example.com", PASSWORD, ip(1), None, None).await.unwrap(), LoginOutcome::SignedIn(_)));
    assert_eq!(h.audit_count(AuditAction::TwoFactorDisable).await, 1);
}

#[tokio::test]
async fn required_2fa_confines_admins_until_enrolled_but_not_tokens() {
    let h = Harness::new().await;
    let admin = h.user("admin@example.com", Role::Admin).await;
    let operator = cachet_core::Actor::operator();
    h.cachet.put_settings(&operator, &[(SettingKey::Require2faForAdmins, "1".into())]).await.unwrap();
    let (_, token) = h.cachet.create_api_token(&operator, admin.id, name("ci"), TokenScope::Admin, None).await.unwrap();
    let t = h.session("admin@example.com").await;
    let actor = h.actor(&t.secret).await;
    assert!(actor.must_enroll_2fa());
    assert!(matches!(h.cachet.create_component(&actor, &component("API")).await, Err(Error::Forbidden)));
    assert!(h.cachet.begin_totp_enrollment(&actor).await.is_ok(), "enrolling stays possible");
    let token_actor = h.cachet.resolve_api_token(&token, ip(1)).await.unwrap();
    assert!(h.cachet.create_component(&token_actor, &component("API")).await.is_ok(), "never applies to tokens");
}

#[tokio::test]
async fn sessions_expire_idle_and_absolute_and_end_at_logout_and_role_change() {
    let h = Harness::new().await;
    let user = h.user("ops@example.com", Role::Manager).await;
    let t = h.session("ops@example.com").await;
    h.clock.advance(TimeDelta::minutes(29));
    assert!(matches!(h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap(), SessionLookup::Active(_)));
    h.clock.advance(TimeDelta::minutes(30));
    assert!(matches!(h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap(), SessionLookup::None), "idle");
    assert_eq!(h.audit_count(AuditAction::SessionRefused).await, 1);
    assert!(matches!(h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap(), SessionLookup::None), "and gone");
    assert_eq!(h.audit_count(AuditAction::SessionRefused).await, 2);

    let t = h.session("ops@example.com").await;
    // active every 29 minutes, so never idle, until past the 12-hour absolute limit
    for _ in 0..25 {
        h.clock.advance(TimeDelta::minutes(29));
        let _ = h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap();
    }
    assert!(matches!(h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap(), SessionLookup::None), "absolute");

    let t = h.session("ops@example.com").await;
    let actor = h.actor(&t.secret).await;
    h.cachet.logout(&actor).await.unwrap();
    assert!(matches!(h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap(), SessionLookup::None), "logout");

    let t = h.session("ops@example.com").await;
    h.user("admin@example.com", Role::Admin).await;
    h.cachet.set_user_role(&cachet_core::Actor::operator(), user.id, Role::Viewer).await.unwrap();
    assert!(matches!(h.cachet.resolve_session(&t.secret, ip(1)).await.unwrap(), SessionLookup::None), "privilege change");
    assert_eq!(h.audit_count(AuditAction::RoleChange).await, 1);
    // idle and absolute (each refused as expired, then as gone), logout, role change:
    // every refusal audited
    assert_eq!(h.audit_count(AuditAction::SessionRefused).await, 6);
}

#[tokio::test]
async fn login_rotates_a_presented_session_and_plain_http_elsewhere_refuses() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let first = h.session("ops@example.com").await;
    let LoginOutcome::SignedIn(second) =
        h.cachet.login("ops@example.com", PASSWORD, ip(1), None, Some(&first.secret)).await.unwrap()
    else {
        panic!()
    };
    assert!(matches!(h.cachet.resolve_session(&first.secret, ip(1)).await.unwrap(), SessionLookup::None));
    assert!(matches!(h.cachet.resolve_session(&second.secret, ip(1)).await.unwrap(), SessionLookup::Active(_)));

    let insecure = Harness::with_url("http://status.example.com").await;
    insecure.user("ops@example.com", Role::Manager).await;
    assert!(matches!(insecure.cachet.login("ops@example.com", PASSWORD, ip(1), None, None).await, Err(Error::InsecureTransport)));
    let local = Harness::with_url("http://127.0.0.1:8000").await;
    local.user("ops@example.com", Role::Manager).await;
    let LoginOutcome::SignedIn(t) = local.cachet.login("ops@example.com", PASSWORD, ip(1), None, None).await.unwrap() else { panic!() };
    assert!(t.set_cookie.starts_with("cachet_session=") && !t.set_cookie.contains("Secure"));
}

#[tokio::test]
async fn api_tokens_shown_once_hashed_scoped_revocable_expiring() {
    let h = Harness::new().await;
    let admin = h.user("admin@example.com", Role::Admin).await;
    let viewer = h.user("viewer@example.com", Role::Viewer).await;
    let op = cachet_core::Actor::operator();
    let (row, secret) = h.cachet.create_api_token(&op, admin.id, name("deploy"), TokenScope::Read, Some(TimeDelta::days(1))).await.unwrap();
    assert!(secret.starts_with("cachet_") && secret.len() >= 7 + 32);
    assert_ne!(row.hash.0.to_vec(), secret.as_bytes().to_vec());
    assert!(secret.starts_with(&row.prefix));
    let actor = h.cachet.resolve_api_token(&secret, ip(1)).await.unwrap();
    // too small a scope: refused and audited, nothing written
    let before = h.store.revision().await.unwrap();
    assert!(matches!(h.cachet.create_component(&actor, &component("API")).await, Err(Error::Forbidden)));
    assert_eq!(h.store.revision().await.unwrap(), before);
    assert_eq!(h.audit_count(AuditAction::TokenRefused).await, 1);
    // a write token of a viewer still cannot write: scope AND role
    let (_, vsecret) = h.cachet.create_api_token(&op, viewer.id, name("v"), TokenScope::Write, None).await.unwrap();
    let vactor = h.cachet.resolve_api_token(&vsecret, ip(1)).await.unwrap();
    assert!(matches!(h.cachet.create_component(&vactor, &component("API")).await, Err(Error::Forbidden)));
    // expiry
    h.clock.advance(TimeDelta::days(1));
    assert!(matches!(h.cachet.resolve_api_token(&secret, ip(1)).await, Err(Error::Unauthenticated)));
    // revocation
    let (wrow, wsecret) = h.cachet.create_api_token(&op, admin.id, name("w"), TokenScope::Write, None).await.unwrap();
    assert!(h.cachet.resolve_api_token(&wsecret, ip(1)).await.is_ok());
    h.cachet.revoke_api_token(&op, wrow.id).await.unwrap();
    assert!(matches!(h.cachet.resolve_api_token(&wsecret, ip(1)).await, Err(Error::Unauthenticated)));
    assert!(h.audit_count(AuditAction::TokenRefused).await >= 3);
    assert_eq!(h.audit_count(AuditAction::TokenCreate).await, 3);
    assert_eq!(h.audit_count(AuditAction::TokenRevoke).await, 1);
    // garbage and near-misses never reach the store as a match
    for junk in ["", "cachet_", "' OR '1'='1", &secret[..secret.len() - 1]] {
        assert!(matches!(h.cachet.resolve_api_token(junk, ip(1)).await, Err(Error::Unauthenticated)));
    }
    // another user's tokens need ManageAllTokens
    let vs = h.session("viewer@example.com").await;
    let vsession = h.actor(&vs.secret).await;
    assert!(matches!(h.cachet.create_api_token(&vsession, admin.id, name("x"), TokenScope::Read, None).await, Err(Error::Forbidden)));
    assert!(h.cachet.create_api_token(&vsession, viewer.id, name("mine"), TokenScope::Read, None).await.is_ok());
}

#[tokio::test]
async fn setup_runs_once_with_its_token_even_under_concurrency() {
    let h = Harness::new().await;
    assert!(h.cachet.setup_open().await.unwrap());
    let token = h.cachet.issue_setup_token().await.unwrap().unwrap();
    let admin = |email: &str| cachet_core::parse_new_user("Admin", email, "admin", PASSWORD.into()).unwrap();
    assert!(matches!(h.cachet.complete_setup("wrong", name("Acme"), admin("a@example.com"), ip(1)).await, Err(Error::Forbidden)));
    // two concurrent attempts with two valid tokens: exactly one wins
    let token2 = h.cachet.issue_setup_token().await.unwrap().unwrap();
    let (a, b) = tokio::join!(
        h.cachet.complete_setup(&token, name("Acme"), admin("a@example.com"), ip(1)),
        h.cachet.complete_setup(&token2, name("Acme"), admin("b@example.com"), ip(2)),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert!(!h.cachet.setup_open().await.unwrap());
    assert_eq!(h.cachet.issue_setup_token().await.unwrap(), None);
    assert_eq!(h.cachet.settings().await.unwrap().app_name.unwrap().as_str(), "Acme");
    assert_eq!(h.audit_count(AuditAction::SetupComplete).await, 2, "one refusal and one success");

    // the operator's command line closes it too
    let h = Harness::new().await;
    let t = h.cachet.issue_setup_token().await.unwrap().unwrap();
    h.user("root@example.com", Role::Admin).await;
    assert!(matches!(h.cachet.complete_setup(&t, name("X"), admin("c@example.com"), ip(1)).await, Err(Error::Forbidden)));
}

#[tokio::test]
async fn the_last_admin_stays() {
    let h = Harness::new().await;
    let admin = h.user("admin@example.com", Role::Admin).await;
    let op = cachet_core::Actor::operator();
    assert!(matches!(h.cachet.set_user_role(&op, admin.id, Role::Viewer).await, Err(Error::Conflict(_))));
    assert!(matches!(h.cachet.delete_user(&op, admin.id).await, Err(Error::Conflict(_))));
}

#[tokio::test]
async fn every_write_is_audited_with_actor_and_address() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let t = h.session("ops@example.com").await;
    let actor = h.actor(&t.secret).await;
    let c = h.cachet.create_component(&actor, &component("API")).await.unwrap();
    h.cachet.delete_component(&actor, c.id).await.unwrap();
    let q = AuditQuery::filtered(AuditFilter { entity: Some(EntityKind::Component), ..AuditFilter::default() });
    let events = h.store.audit_events(&q).await.unwrap().items;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.actor.starts_with("user:") && e.ip.as_deref() == Some("192.0.2.1") && e.entity_id == Some(c.id.get())));
    assert_eq!(events[0].action, AuditAction::Delete);
}
