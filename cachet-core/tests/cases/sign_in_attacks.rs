// Shared test cases: included by cachet-core (in-memory store) and cachet-store (SQLite).
// Attacks on sign-in played as sequences (re-login, rotating addresses, stolen cookies,
// replayed links), each named after the attack. Every time rule runs on a `ManualClock`.

use std::net::{IpAddr, Ipv4Addr};

use chrono::TimeDelta;
use common::*;

use cachet_core::auth::totp;
use cachet_core::model::*;
use cachet_core::store::OutboxQuery;
use cachet_core::{Error, LoginOutcome, SessionTicket, SignInClient};

/// A fresh address for every n (a botnet, or one host rotating through a large range).
fn rotating(n: u32) -> Option<IpAddr> {
    let [_, a, b, c] = n.to_be_bytes();
    Some(IpAddr::V4(Ipv4Addr::new(10, a, b, c)))
}

/// Enrols `email` in TOTP through the facade; returns the secret.
async fn enrol(h: &Harness, email: &str) -> Vec<u8> {
    let ticket = h.session(email).await;
    let actor = h.actor(&ticket.secret).await;
    let enrollment = h.cachet.begin_totp_enrollment(&actor).await.unwrap();
    let secret = base32_decode(&enrollment.secret_base32);
    let code = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    h.cachet
        .confirm_totp_enrollment(&actor, &code)
        .await
        .unwrap();
    // Past the step used for enrolment, so no test trips over its replay protection.
    h.clock.advance(TimeDelta::seconds(30));
    secret
}

/// A six-digit code that is wrong for every step the verifier accepts now.
fn wrong_code(h: &Harness, secret: &[u8], n: u32) -> String {
    let step = totp::step_of(h.clock_now());
    let valid: Vec<String> = (step - 2..=step + 2)
        .filter_map(|s| totp::code_for_step(secret, s))
        .collect();
    (n..)
        .map(|k| format!("{:06}", k % 1_000_000))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Signs in where no second factor is owed, and returns the ticket.
async fn signed_in(
    h: &Harness,
    email: &str,
    password: &str,
    from: Option<IpAddr>,
) -> SessionTicket {
    match h.cachet.login(email, password, from, None, None).await {
        Ok(LoginOutcome::SignedIn(t)) => t,
        other => panic!("expected a completed sign-in: {other:?}"),
    }
}

/// Signs in with the right password where 2FA is active: the pending sign-in's ticket.
async fn owes_second_factor(h: &Harness, email: &str, from: Option<IpAddr>) -> SessionTicket {
    match h.cachet.login(email, PASSWORD, from, None, None).await {
        Ok(LoginOutcome::SecondFactorRequired(t)) => t,
        other => panic!("expected the second factor to be owed: {other:?}"),
    }
}

/// The `name=value` of a `Set-Cookie` header value.
fn cookie_value(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1
}

fn device_of(ticket: &SessionTicket) -> String {
    let set = ticket
        .device_cookie
        .as_deref()
        .expect("a completed sign-in sets the device cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Max-Age="));
    cookie_value(set).to_owned()
}

#[tokio::test]
async fn second_factor_brute_force_by_relogin_from_rotating_addresses_is_budgeted_per_account() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let secret = enrol(&h, "admin@example.com").await;
    let start = h.clock_now();
    // The attacker knows the password. For an hour, one request a second: sign in from a new
    // address whenever the pending sign-in is gone, and send wrong codes.
    let mut checked_at = Vec::new();
    let mut pending: Option<String> = None;
    let mut n = 0u32;
    while h.clock_now() - start < TimeDelta::hours(1) {
        n += 1;
        h.clock.advance(TimeDelta::seconds(1));
        let Some(p) = pending.clone() else {
            match h
                .cachet
                .login("admin@example.com", PASSWORD, rotating(n), None, None)
                .await
            {
                Ok(LoginOutcome::SecondFactorRequired(t)) => pending = Some(t.secret),
                other => panic!("the password step itself is not at stake here: {other:?}"),
            }
            continue;
        };
        let code = wrong_code(&h, &secret, n);
        match h
            .cachet
            .complete_second_factor(&p, &code, rotating(n), None)
            .await
        {
            Err(Error::InvalidCode) => checked_at.push(h.clock_now()),
            Err(Error::Unauthenticated) => {
                // The pending sign-in's last try: the code was checked, and the session ended.
                checked_at.push(h.clock_now());
                pending = None;
            }
            Err(Error::Throttled { .. }) => pending = None,
            other => panic!("unexpected answer: {other:?}"),
        }
    }
    // At most about ten codes checked in any 15-minute window, whatever the addresses.
    for (i, t) in checked_at.iter().enumerate() {
        let in_window = checked_at[i..]
            .iter()
            .take_while(|u| **u - *t < TimeDelta::minutes(15))
            .count();
        assert!(
            in_window <= 10,
            "{in_window} codes checked within 15 minutes of {t}"
        );
    }
    assert!(!checked_at.is_empty(), "the attacker did get some checks");
    assert!(
        checked_at.len() <= 4 * 10,
        "{} codes in an hour",
        checked_at.len()
    );
    // The real user, from a browser that signed in before, is not locked out by it
    // (covered in detail below); the account's count survives the attacker's correct passwords.
    assert!(h.audit_count(AuditAction::TwoFactorFailure).await >= 1);
}

#[tokio::test]
async fn a_pending_second_factor_sign_in_ends_after_three_wrong_codes() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let secret = enrol(&h, "admin@example.com").await;
    let p = owes_second_factor(&h, "admin@example.com", ip(1)).await;
    for n in 0..2 {
        let e = h
            .cachet
            .complete_second_factor(&p.secret, &wrong_code(&h, &secret, n), ip(1), None)
            .await;
        assert!(matches!(e, Err(Error::InvalidCode)), "{e:?}");
    }
    let e = h
        .cachet
        .complete_second_factor(&p.secret, &wrong_code(&h, &secret, 7), ip(1), None)
        .await;
    assert!(
        matches!(e, Err(Error::Unauthenticated)),
        "the third wrong code ends it: {e:?}"
    );
    // Even the right code no longer works on that pending sign-in: start again.
    let right = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    let e = h
        .cachet
        .complete_second_factor(&p.secret, &right, ip(1), None)
        .await;
    assert!(matches!(e, Err(Error::Unauthenticated)), "{e:?}");
    let again = owes_second_factor(&h, "admin@example.com", ip(1)).await;
    h.cachet
        .complete_second_factor(&again.secret, &right, ip(1), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stranger_rotating_addresses_cannot_lock_the_admins_own_browser_out() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    // The admin signed in from this browser before: it holds a device cookie.
    let first = signed_in(&h, "admin@example.com", PASSWORD, ip(1)).await;
    let device = device_of(&first);
    // For ten minutes a stranger sends a wrong password from a fresh address every second
    // (far more than the 66 requests the lockout attack needed), and the admin signs in
    // every 3 seconds from their browser.
    let start = h.clock_now();
    let (mut admin_tries, mut admin_ok, mut stranger_throttled) = (0, 0, 0);
    let mut n = 0u32;
    while h.clock_now() - start < TimeDelta::minutes(10) {
        n += 1;
        h.clock.advance(TimeDelta::seconds(1));
        match h
            .cachet
            .login(
                "admin@example.com",
                "wrong guess 1234",
                rotating(n),
                None,
                None,
            )
            .await
        {
            Err(Error::Throttled { .. }) => stranger_throttled += 1,
            Err(Error::InvalidCredentials) => {}
            other => panic!("{other:?}"),
        }
        if n.is_multiple_of(3) {
            admin_tries += 1;
            let from = SignInClient::at(ip(1)).device(Some(&device));
            if let Ok(LoginOutcome::SignedIn(_)) =
                h.cachet.sign_in("admin@example.com", PASSWORD, from).await
            {
                admin_ok += 1;
            }
        }
    }
    assert_eq!(
        admin_ok, admin_tries,
        "every sign-in from the admin's browser went through"
    );
    // The throttle still holds for the stranger: after the free failures nearly every
    // attempt is refused unseen.
    assert!(
        stranger_throttled > 500,
        "stranger refused {stranger_throttled} times of {n}"
    );
    // A browser without the cookie (a new one, or the stranger's) is held back meanwhile.
    let e = h
        .cachet
        .login("admin@example.com", PASSWORD, ip(9), None, None)
        .await;
    assert!(matches!(e, Err(Error::Throttled { .. })), "{e:?}");
    // Another account's cookie, and a forged one, do not help.
    h.user("ops@example.com", Role::Manager).await;
    let ops = signed_in(&h, "ops@example.com", PASSWORD, ip(2)).await;
    for presented in [
        device_of(&ops),
        device.replacen('.', "0.", 1),
        "1.AAAA.BBBB".to_owned(),
    ] {
        let from = SignInClient::at(ip(3)).device(Some(&presented));
        let e = h.cachet.sign_in("admin@example.com", PASSWORD, from).await;
        assert!(
            matches!(e, Err(Error::Throttled { .. })),
            "{presented}: {e:?}"
        );
    }
}

#[tokio::test]
async fn a_stolen_device_cookie_buys_only_its_own_small_budget() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let t = signed_in(&h, "admin@example.com", PASSWORD, ip(1)).await;
    let device = device_of(&t);
    let mut checked = 0;
    let start = h.clock_now();
    let mut n = 0u32;
    while h.clock_now() - start < TimeDelta::minutes(15) {
        n += 1;
        h.clock.advance(TimeDelta::seconds(1));
        let from = SignInClient::at(rotating(n)).device(Some(&device));
        match h
            .cachet
            .sign_in("admin@example.com", "guess guess guess", from)
            .await
        {
            Err(Error::InvalidCredentials) => checked += 1,
            Err(Error::Throttled { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    // The device's budget, then the untrusted budget (account and address): a few dozen
    // guesses in 15 minutes, not 900.
    assert!(checked < 40, "{checked} passwords checked in 15 minutes");
}

#[tokio::test]
async fn a_stolen_session_is_no_password_oracle() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let t = h.session("ops@example.com").await;
    let thief = h.actor(&t.secret).await;
    // Wrong current passwords: one answer, whatever the new password, and then throttled.
    let mut answers = Vec::new();
    for n in 0..8 {
        let e = h
            .cachet
            .change_password(&thief, &format!("guess number {n}"), NEW_PASSWORD)
            .await
            .unwrap_err();
        answers.push(e);
    }
    assert!(
        answers[..5]
            .iter()
            .all(|e| matches!(e, Error::InvalidCredentials)),
        "{answers:?}"
    );
    assert!(
        answers[5..]
            .iter()
            .any(|e| matches!(e, Error::Throttled { .. })),
        "{answers:?}"
    );
    // A weak new password is refused before the current one is looked at: the answer does not
    // depend on whether the current one was right.
    h.clock.advance(TimeDelta::minutes(16));
    let thief = h.actor(&h.session("ops@example.com").await.secret).await;
    let right = h
        .cachet
        .change_password(&thief, PASSWORD, "short")
        .await
        .unwrap_err();
    let wrong = h
        .cachet
        .change_password(&thief, "not it at all", "short")
        .await
        .unwrap_err();
    assert_eq!(right.to_string(), wrong.to_string());
    // Recovery codes without 2FA: the same refusal with the right and a wrong password.
    let right = h
        .cachet
        .regenerate_recovery_codes(&thief, PASSWORD)
        .await
        .unwrap_err();
    let wrong = h
        .cachet
        .regenerate_recovery_codes(&thief, "not it at all")
        .await
        .unwrap_err();
    assert_eq!(right.to_string(), wrong.to_string());
    assert!(matches!(right, Error::Conflict(_)));
}

#[tokio::test]
async fn disabling_2fa_answers_the_same_for_a_wrong_password_and_a_wrong_code() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let secret = enrol(&h, "admin@example.com").await;
    let p = owes_second_factor(&h, "admin@example.com", ip(1)).await;
    let code = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    let full = h
        .cachet
        .complete_second_factor(&p.secret, &code, ip(1), None)
        .await
        .unwrap();
    let actor = h.actor(&full.secret).await;
    let wrong_password = h
        .cachet
        .disable_totp(&actor, "not the password", "123456")
        .await
        .unwrap_err();
    let wrong_code = h
        .cachet
        .disable_totp(&actor, PASSWORD, &wrong_code(&h, &secret, 3))
        .await
        .unwrap_err();
    assert!(matches!(wrong_password, Error::InvalidCredentials));
    assert_eq!(wrong_password.to_string(), wrong_code.to_string());
}

/// The link of every mailed password reset, newest last.
async fn reset_links(h: &Harness, kind: EventKind) -> Vec<String> {
    let events = h
        .store
        .outbox_events(&OutboxQuery::all())
        .await
        .unwrap()
        .items;
    events
        .iter()
        .filter(|e| e.kind == kind)
        .filter_map(|e| h.cachet.open_outbox_link(&e.payload))
        .map(|link| link.rsplit('/').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn reset_links_end_when_one_is_used_or_the_password_changes() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    for _ in 0..3 {
        h.cachet
            .request_password_reset("ops@example.com", ip(1))
            .await
            .unwrap();
    }
    let links = reset_links(&h, EventKind::PasswordReset).await;
    assert_eq!(links.len(), 3);
    h.cachet
        .complete_password_reset(&links[0], NEW_PASSWORD, ip(1))
        .await
        .unwrap();
    for other in &links[1..] {
        assert!(
            matches!(
                h.cachet.peek_password_reset(other).await,
                Err(Error::NotFound { .. })
            ),
            "sibling link still works"
        );
        let e = h
            .cachet
            .complete_password_reset(other, "another fine passphrase here", ip(1))
            .await;
        assert!(matches!(e, Err(Error::NotFound { .. })), "{e:?}");
    }
    // A password changed in the profile ends the links asked for before it.
    h.cachet
        .request_password_reset("ops@example.com", ip(1))
        .await
        .unwrap();
    let pending = reset_links(&h, EventKind::PasswordReset)
        .await
        .pop()
        .unwrap();
    assert!(h.cachet.peek_password_reset(&pending).await.is_ok());
    let t = signed_in(&h, "ops@example.com", NEW_PASSWORD, ip(1)).await;
    let actor = h.actor(&t.secret).await;
    h.cachet
        .change_password(&actor, NEW_PASSWORD, "quiet lantern meadow rhythm")
        .await
        .unwrap();
    assert!(matches!(
        h.cachet.peek_password_reset(&pending).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn accepting_an_invitation_ends_the_addresses_other_invitations() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    let admin = h.actor(&h.session("admin@example.com").await.secret).await;
    let invitee = cachet_core::validate::Email::parse("new@example.com").unwrap();
    h.cachet
        .invite_user(&admin, invitee.clone(), Role::Manager)
        .await
        .unwrap();
    h.cachet
        .invite_user(&admin, invitee, Role::Admin)
        .await
        .unwrap();
    let other = cachet_core::validate::Email::parse("other@example.com").unwrap();
    h.cachet
        .invite_user(&admin, other, Role::Viewer)
        .await
        .unwrap();
    let links = reset_links(&h, EventKind::UserInvitation).await;
    assert_eq!(links.len(), 3);
    assert!(
        matches!(
            h.cachet.peek_invitation(&links[0]).await,
            Err(Error::NotFound { .. })
        ),
        "a new invitation replaces the earlier one to the same address"
    );
    h.cachet
        .accept_invitation(
            &links[1],
            name("New Person"),
            NEW_PASSWORD.to_owned(),
            ip(1),
        )
        .await
        .unwrap();
    assert!(matches!(
        h.cachet.peek_invitation(&links[1]).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        h.cachet.peek_invitation(&links[2]).await.is_ok(),
        "another address's invitation stands"
    );
}

#[tokio::test]
async fn recently_used_passwords_are_refused() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let actor = h.actor(&h.session("ops@example.com").await.secret).await;
    let same = h
        .cachet
        .change_password(&actor, PASSWORD, PASSWORD)
        .await
        .unwrap_err();
    assert!(
        matches!(&same, Error::Validation(v) if v.to_string().contains("not used for this account recently")),
        "{same:?}"
    );
    let t = h
        .cachet
        .change_password(&actor, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    let actor = h.actor(&t.secret).await;
    let back = h
        .cachet
        .change_password(&actor, NEW_PASSWORD, PASSWORD)
        .await
        .unwrap_err();
    assert!(matches!(back, Error::Validation(_)), "{back:?}");
    // Nor through a reset link.
    h.cachet
        .request_password_reset("ops@example.com", ip(1))
        .await
        .unwrap();
    let link = reset_links(&h, EventKind::PasswordReset)
        .await
        .pop()
        .unwrap();
    let e = h
        .cachet
        .complete_password_reset(&link, PASSWORD, ip(1))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Validation(_)), "{e:?}");
    // The link is spent by a reused password: a link that could be retried would be an
    // oracle for the account's recent passwords.
    assert!(matches!(
        h.cachet.peek_password_reset(&link).await,
        Err(Error::NotFound { .. })
    ));
    // The history holds hashes only, never the passwords.
    let user = h
        .store
        .user_by_email(&cachet_core::validate::Email::parse("ops@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    for old in h.store.password_history(user.id).await.unwrap() {
        assert!(old.0.starts_with("$argon2id$") && !old.0.contains(PASSWORD));
    }
}

#[tokio::test]
async fn a_mistyped_enrolment_code_keeps_the_scanned_secret() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let actor = h.actor(&h.session("ops@example.com").await.secret).await;
    let scanned = h.cachet.begin_totp_enrollment(&actor).await.unwrap();
    let secret = base32_decode(&scanned.secret_base32);
    let e = h
        .cachet
        .confirm_totp_enrollment(&actor, &wrong_code(&h, &secret, 1))
        .await;
    assert!(matches!(e, Err(Error::InvalidCode)));
    let shown_again = h
        .cachet
        .pending_totp_enrollment(&actor, &scanned.secret_base32)
        .await
        .unwrap();
    assert_eq!(shown_again.secret_base32, scanned.secret_base32);
    assert_eq!(shown_again.otpauth_uri, scanned.otpauth_uri);
    // Another session of the user cannot read the secret without having been shown it.
    let other = h.actor(&h.session("ops@example.com").await.secret).await;
    let e = h
        .cachet
        .pending_totp_enrollment(&other, "AAAAAAAAAAAAAAAA")
        .await;
    assert!(matches!(e, Err(Error::Conflict(_))), "{e:?}");
    let code = totp::code_for_step(&secret, totp::step_of(h.clock_now())).unwrap();
    h.cachet
        .confirm_totp_enrollment(&actor, &code)
        .await
        .unwrap();
}

#[tokio::test]
async fn parallel_guesses_are_counted_one_by_one() {
    let h = Harness::new().await;
    h.user("admin@example.com", Role::Admin).await;
    // Forty wrong passwords at once, each from its own address.
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..40u32 {
        let cachet = h.cachet.clone();
        guesses.spawn(async move {
            cachet
                .login(
                    "admin@example.com",
                    "parallel guess 123",
                    rotating(n),
                    None,
                    None,
                )
                .await
        });
    }
    let mut checked = 0;
    while let Some(answer) = guesses.join_next().await {
        match answer.unwrap() {
            Err(Error::InvalidCredentials) => checked += 1,
            Err(Error::Throttled { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(
        checked <= 6,
        "{checked} passwords checked at once; the budget is 5 free + 1"
    );

    // Thirty wrong codes at once on one pending sign-in: three are checked, then it is over.
    h.clock.advance(TimeDelta::minutes(16));
    let secret = enrol(&h, "admin@example.com").await;
    let p = owes_second_factor(&h, "admin@example.com", ip(1)).await;
    let mut codes = tokio::task::JoinSet::new();
    for n in 0..30u32 {
        let (cachet, pending, code) = (
            h.cachet.clone(),
            p.secret.clone(),
            wrong_code(&h, &secret, n),
        );
        codes.spawn(async move {
            cachet
                .complete_second_factor(&pending, &code, rotating(n), None)
                .await
        });
    }
    let mut checked = 0;
    while let Some(answer) = codes.join_next().await {
        match answer.unwrap() {
            Err(Error::InvalidCode) => checked += 1,
            Err(Error::Unauthenticated | Error::Throttled { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(
        checked <= 2,
        "{checked} codes answered 'wrong' on one pending sign-in"
    );
}

#[tokio::test]
async fn device_cookies_end_with_a_password_change() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let t = signed_in(&h, "ops@example.com", PASSWORD, ip(1)).await;
    let device = device_of(&t);
    let actor = h.actor(&t.secret).await;
    h.cachet
        .change_password(&actor, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    // Strangers lock the account; the old cookie no longer counts as a trusted browser.
    for n in 0..12u32 {
        let _ = h
            .cachet
            .login("ops@example.com", "stranger guess", rotating(n), None, None)
            .await;
    }
    let from = SignInClient::at(ip(1)).device(Some(&device));
    let e = h
        .cachet
        .sign_in("ops@example.com", NEW_PASSWORD, from)
        .await;
    assert!(matches!(e, Err(Error::Throttled { .. })), "{e:?}");
}

#[tokio::test]
async fn a_stranger_locking_the_sign_in_form_does_not_block_the_signed_in_users_password_change() {
    let h = Harness::new().await;
    h.user("ops@example.com", Role::Manager).await;
    let actor = h.actor(&h.session("ops@example.com").await.secret).await;
    for n in 0..12u32 {
        let _ = h
            .cachet
            .login("ops@example.com", "stranger guess", rotating(n), None, None)
            .await;
    }
    h.cachet
        .change_password(&actor, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
}
