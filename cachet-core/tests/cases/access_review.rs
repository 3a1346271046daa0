// Shared test cases: included by cachet-core (in-memory store); any backend's test crate can
// include them the same way. See the including file for the doc comment.

use chrono::TimeDelta;
use common::*;

use cachet_core::auth::totp;
use cachet_core::model::*;
use cachet_core::store::no_effects;
use cachet_core::{
    AccessReview, AccountReview, Actor, Error, ReviewFlag, TokenState, TwoFactorState,
};

fn account<'r>(review: &'r AccessReview, email: &str) -> &'r AccountReview {
    review
        .accounts
        .iter()
        .find(|a| a.email.as_str() == email)
        .unwrap_or_else(|| panic!("{email} is not in the review"))
}

/// Enrols the signed-in user in TOTP; returns the session that replaces theirs.
async fn enrol(h: &Harness, secret: &str) -> String {
    let actor = h.actor(secret).await;
    let enrollment = h.cachet.begin_totp_enrollment(&actor).await.unwrap();
    let key = base32_decode(&enrollment.secret_base32);
    let code = totp::code_for_step(&key, totp::step_of(h.clock_now())).unwrap();
    let (_codes, rotated) = h
        .cachet
        .confirm_totp_enrollment(&actor, &code)
        .await
        .unwrap();
    rotated.secret
}

/// Many accounts straight into the store (hashing a password for each would take minutes).
async fn bulk_users(h: &Harness, n: usize) {
    for i in 0..n {
        let new = NewUser::new(name(&format!("Bulk {i}")), cachet_core::validate::Email::parse(&format!("bulk{i}@example.com")).unwrap(), Role::Viewer, PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into()));
        h.store
            .create_user(h.cx(), &new, &no_effects)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn access_review_lists_every_user_with_their_sessions_and_tokens() {
    let h = Harness::new().await;
    let op = Actor::operator();
    let admin = h.user("admin@example.com", Role::Admin).await;
    let bare_admin = h.user("bare-admin@example.com", Role::Admin).await;
    let manager = h.user("ops@example.com", Role::Manager).await;
    let viewer = h.user("viewer@example.com", Role::Viewer).await;
    // More accounts than one store page holds: the review must page through all of them.
    bulk_users(&h, 1_001).await;

    // The admin signs in and turns 2FA on; the manager has two sessions; the viewer starts
    // enrolling and stops.
    let first = h.session("admin@example.com").await;
    let admin_session = enrol(&h, &first.secret).await;
    h.session("ops@example.com").await;
    h.clock.advance(TimeDelta::minutes(5));
    h.session("ops@example.com").await;
    let vs = h.session("viewer@example.com").await;
    let vactor = h.actor(&vs.secret).await;
    h.cachet.begin_totp_enrollment(&vactor).await.unwrap();

    // Tokens: one used, one revoked, one expiring, one never expiring with the admin scope.
    let (deploy, deploy_secret) = h
        .cachet
        .create_api_token(&op, manager.id, name("deploy"), TokenScope::Write, None)
        .await
        .unwrap();
    h.cachet
        .resolve_api_token(&deploy_secret, ip(9))
        .await
        .unwrap();
    let (old, _) = h
        .cachet
        .create_api_token(&op, manager.id, name("old"), TokenScope::Read, None)
        .await
        .unwrap();
    h.cachet.revoke_api_token(&op, old.id).await.unwrap();
    h.cachet
        .create_api_token(
            &op,
            viewer.id,
            name("report"),
            TokenScope::Read,
            Some(TimeDelta::days(30)),
        )
        .await
        .unwrap();
    let (ci, _) = h
        .cachet
        .create_api_token(&op, admin.id, name("ci"), TokenScope::Admin, None)
        .await
        .unwrap();

    let actor = h.actor(&admin_session).await;
    let review = h.cachet.access_review(&actor).await.unwrap();
    assert_eq!(review.generated_at, h.clock_now(), "the facade's clock");
    assert_eq!(review.unused_after, cachet_core::ACCESS_REVIEW_UNUSED_AFTER);
    assert_eq!(review.unused_after, TimeDelta::days(90));
    assert_eq!(
        review.accounts.len(),
        4 + 1_001,
        "every account, past the first page"
    );
    let ids: Vec<UserId> = review.accounts.iter().map(|a| a.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "each account once, by id");

    let a = account(&review, "admin@example.com");
    assert_eq!((a.id, a.role, a.active), (admin.id, Role::Admin, true));
    assert_eq!(a.name.as_str(), "Some One");
    assert!(
        matches!(
            a.two_factor,
            TwoFactorState::On {
                recovery_codes_left: 10,
                ..
            }
        ),
        "{:?}",
        a.two_factor
    );
    assert!(a.last_sign_in.is_some());
    assert_eq!(
        a.sessions.len(),
        1,
        "enrolment rotated the first session away"
    );
    assert_eq!(a.sessions[0].ip.as_deref(), Some("192.0.2.1"));
    assert!(!a.sessions[0].pending_second_factor);
    assert_eq!(a.tokens.len(), 1);
    let t = &a.tokens[0];
    assert_eq!(
        (t.id, t.name.as_str(), t.scope, t.state),
        (ci.id, "ci", TokenScope::Admin, TokenState::Live)
    );
    assert_eq!(t.prefix, ci.prefix);
    assert_eq!(t.flags, vec![ReviewFlag::AdminTokenWithoutExpiry]);
    assert_eq!(
        a.flags,
        vec![ReviewFlag::AdminTokenWithoutExpiry],
        "2FA on, recently active"
    );

    let b = account(&review, "bare-admin@example.com");
    assert_eq!(b.id, bare_admin.id);
    assert_eq!(b.two_factor, TwoFactorState::Off);
    assert_eq!(b.last_sign_in, None);
    assert!(b.sessions.is_empty() && b.tokens.is_empty());
    assert_eq!(
        b.flags,
        vec![ReviewFlag::AdminWithout2fa],
        "new, so not yet unused"
    );

    let m = account(&review, "ops@example.com");
    assert_eq!(m.sessions.len(), 2);
    for s in &m.sessions {
        assert_eq!(s.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(
            s.user_agent.as_deref(),
            Some("test"),
            "as stored at sign-in"
        );
    }
    assert_eq!(m.newest_session_seen(), Some(h.clock_now()));
    assert_eq!(m.tokens.len(), 2);
    assert_eq!(m.live_tokens(), 1);
    let used = m.tokens.iter().find(|t| t.id == deploy.id).unwrap();
    assert_eq!(used.last_used_at, Some(h.clock_now()));
    assert_eq!(used.state, TokenState::Live);
    let revoked = m.tokens.iter().find(|t| t.id == old.id).unwrap();
    assert_eq!(revoked.state, TokenState::Revoked);
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        m.last_activity,
        Some(h.clock_now()),
        "the token's use is the latest activity"
    );
    assert!(m.flags.is_empty(), "{:?}", m.flags);

    let v = account(&review, "viewer@example.com");
    assert_eq!(v.two_factor, TwoFactorState::Enrolling);
    assert_eq!(
        v.tokens[0].expires_at,
        Some(h.clock_now() + TimeDelta::days(30))
    );
    assert!(v.flags.is_empty(), "{:?}", v.flags);
    assert_eq!(review.flagged().count(), 2);

    // A deactivated account that still holds a session or a live token; an admin down to one
    // recovery code.
    h.store
        .update_user(
            h.cx(),
            manager.id,
            &UserPatch {
                active: Some(false),
                ..UserPatch::default()
            },
            &no_effects,
        )
        .await
        .unwrap();
    h.store
        .replace_recovery_codes(h.cx(), admin.id, &[TokenHash([1; 32])], &no_effects)
        .await
        .unwrap();
    let review = h.cachet.access_review(&actor).await.unwrap();
    let m = account(&review, "ops@example.com");
    assert!(!m.active);
    assert_eq!(m.flags, vec![ReviewFlag::InactiveWithCredentials]);
    let a = account(&review, "admin@example.com");
    assert!(matches!(
        a.two_factor,
        TwoFactorState::On {
            recovery_codes_left: 1,
            ..
        }
    ));
    assert!(a.has(ReviewFlag::FewRecoveryCodes));
}

#[tokio::test]
async fn accounts_unused_for_90_days_are_flagged() {
    let h = Harness::new().await;
    let op = Actor::operator();
    h.user("sleeper@example.com", Role::Manager).await;
    h.user("regular@example.com", Role::Manager).await;
    let robot = h.user("robot@example.com", Role::Viewer).await;
    h.user("never@example.com", Role::Viewer).await;
    h.session("sleeper@example.com").await;
    h.session("regular@example.com").await;
    let (_, robot_secret) = h
        .cachet
        .create_api_token(&op, robot.id, name("poller"), TokenScope::Read, None)
        .await
        .unwrap();
    let (idle, _) = h
        .cachet
        .create_api_token(&op, robot.id, name("forgotten"), TokenScope::Read, None)
        .await
        .unwrap();
    let (gone, _) = h
        .cachet
        .create_api_token(&op, robot.id, name("revoked"), TokenScope::Read, None)
        .await
        .unwrap();
    h.cachet.revoke_api_token(&op, gone.id).await.unwrap();
    let (once, once_secret) = h
        .cachet
        .create_api_token(&op, robot.id, name("once"), TokenScope::Read, None)
        .await
        .unwrap();
    h.cachet
        .resolve_api_token(&once_secret, ip(9))
        .await
        .unwrap();

    // The admin who reviews is a host principal: its own account plays no part.
    let auditor = Actor::host("auditor", Role::Admin, ip(3));
    let unused = |r: &AccessReview| -> Vec<String> {
        r.accounts
            .iter()
            .filter(|a| a.has(ReviewFlag::Unused))
            .map(|a| a.email.as_str().to_owned())
            .collect()
    };

    // Day 80: the robot's poller token is used; day 89: the regular user signs in again.
    h.clock.advance(TimeDelta::days(80));
    h.cachet
        .resolve_api_token(&robot_secret, ip(9))
        .await
        .unwrap();
    h.clock.advance(TimeDelta::days(9));
    h.session("regular@example.com").await;
    let review = h.cachet.access_review(&auditor).await.unwrap();
    assert!(
        unused(&review).is_empty(),
        "nobody is 90 days old yet: {:?}",
        unused(&review)
    );
    assert!(review.flagged().all(|a| !a.has(ReviewFlag::TokenNeverUsed)));

    // Day 91: the sleeper (signed in on day 0) and the account that never signed in are
    // flagged; a token use or a recent sign-in keeps the others off the list.
    h.clock.advance(TimeDelta::days(2));
    let review = h.cachet.access_review(&auditor).await.unwrap();
    assert_eq!(review.generated_at, h.clock_now());
    assert_eq!(
        unused(&review),
        vec![
            "sleeper@example.com".to_owned(),
            "never@example.com".to_owned()
        ]
    );
    let sleeper = account(&review, "sleeper@example.com");
    assert!(
        sleeper.sessions.is_empty(),
        "a 91-day-old session is not live"
    );
    assert!(sleeper.last_sign_in.is_some());
    let r = account(&review, "robot@example.com");
    assert_eq!(r.last_sign_in, None);
    assert!(!r.has(ReviewFlag::Unused), "its token was used on day 80");
    let flags_of = |token: &str| {
        r.tokens
            .iter()
            .find(|t| t.name.as_str() == token)
            .unwrap()
            .flags
            .clone()
    };
    assert_eq!(flags_of("forgotten"), vec![ReviewFlag::TokenNeverUsed]);
    assert_eq!(flags_of("once"), vec![ReviewFlag::TokenUnused]);
    assert_eq!(flags_of("poller"), vec![]);
    assert_eq!(flags_of("revoked"), vec![], "a revoked token is no risk");
    assert!(
        r.tokens
            .iter()
            .any(|t| t.id == idle.id && t.last_used_at.is_none())
    );
    assert!(
        r.tokens
            .iter()
            .any(|t| t.id == once.id && t.last_used_at.is_some())
    );
    assert_eq!(
        r.flags,
        vec![ReviewFlag::TokenNeverUsed, ReviewFlag::TokenUnused]
    );

    // Day 171: the robot's last use (day 80) is now 91 days old too; the regular user's
    // sign-in (day 89) is 82 days old.
    h.clock.advance(TimeDelta::days(80));
    let review = h.cachet.access_review(&auditor).await.unwrap();
    assert_eq!(
        unused(&review),
        vec![
            "sleeper@example.com".to_owned(),
            "robot@example.com".to_owned(),
            "never@example.com".to_owned()
        ]
    );
    // Signing in again takes the sleeper off the list.
    h.session("sleeper@example.com").await;
    let review = h.cachet.access_review(&auditor).await.unwrap();
    assert!(!account(&review, "sleeper@example.com").has(ReviewFlag::Unused));
}

#[tokio::test]
async fn only_admins_may_review_access() {
    let h = Harness::new().await;
    let op = Actor::operator();
    let admin = h.user("admin@example.com", Role::Admin).await;
    let manager = h.user("ops@example.com", Role::Manager).await;
    h.user("viewer@example.com", Role::Viewer).await;

    let admin_session = h.session("admin@example.com").await;
    let admin_actor = h.actor(&admin_session.secret).await;
    assert!(h.cachet.access_review(&admin_actor).await.is_ok());
    assert!(h.cachet.access_review(&op).await.is_ok());
    assert!(
        h.cachet
            .access_review(&Actor::host("sso", Role::Admin, ip(4)))
            .await
            .is_ok()
    );
    let (_, admin_token) = h
        .cachet
        .create_api_token(&op, admin.id, name("admin"), TokenScope::Admin, None)
        .await
        .unwrap();
    let token_actor = h
        .cachet
        .resolve_api_token(&admin_token, ip(5))
        .await
        .unwrap();
    assert!(
        h.cachet.access_review(&token_actor).await.is_ok(),
        "an admin's admin-scope token"
    );

    let denied_before = h.audit_count(AuditAction::AccessDenied).await;
    for email in ["ops@example.com", "viewer@example.com"] {
        let t = h.session(email).await;
        let actor = h.actor(&t.secret).await;
        assert!(
            matches!(h.cachet.access_review(&actor).await, Err(Error::Forbidden)),
            "{email}"
        );
    }
    assert!(matches!(
        h.cachet
            .access_review(&Actor::host("sso", Role::Manager, ip(4)))
            .await,
        Err(Error::Forbidden)
    ));
    assert_eq!(
        h.audit_count(AuditAction::AccessDenied).await,
        denied_before + 3,
        "every refusal is audited"
    );

    // Tokens: an admin's write-scope token, a manager's admin-scope token.
    let refused_before = h.audit_count(AuditAction::TokenRefused).await;
    let (_, write) = h
        .cachet
        .create_api_token(&op, admin.id, name("write"), TokenScope::Write, None)
        .await
        .unwrap();
    let (_, managers) = h
        .cachet
        .create_api_token(&op, manager.id, name("m"), TokenScope::Admin, None)
        .await
        .unwrap();
    for secret in [write, managers] {
        let actor = h.cachet.resolve_api_token(&secret, ip(5)).await.unwrap();
        assert!(matches!(
            h.cachet.access_review(&actor).await,
            Err(Error::Forbidden)
        ));
    }
    assert_eq!(
        h.audit_count(AuditAction::TokenRefused).await,
        refused_before + 2
    );

    // Visitors are told to sign in; an admin who still owes the required 2FA enrolment is
    // refused like everyone else.
    assert!(matches!(
        h.cachet.access_review(&Actor::anonymous(ip(6))).await,
        Err(Error::Unauthenticated)
    ));
    h.cachet
        .put_settings(&op, &[(SettingKey::Require2faForAdmins, "1".into())])
        .await
        .unwrap();
    let t = h.session("admin@example.com").await;
    let confined = h.actor(&t.secret).await;
    assert!(confined.must_enroll_2fa());
    assert!(matches!(
        h.cachet.access_review(&confined).await,
        Err(Error::Forbidden)
    ));
    let review = h.cachet.access_review(&op).await.unwrap();
    assert!(review.require_2fa_for_admins);
}
