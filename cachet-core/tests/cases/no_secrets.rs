// Shared test cases: included by cachet-core (in-memory store) and cachet-store (SQLite).
// See the including files for the doc comment.

use common::*;

use cachet_core::auth::totp;
use cachet_core::model::*;
use cachet_core::store::*;
use cachet_core::validate::{Email, Locale};
use cachet_core::{Actor, LoginOutcome};

#[tokio::test]
async fn planted_secrets_never_surface() {
    let h = Harness::new().await;
    let op = Actor::operator();
    let mut outputs: Vec<String> = Vec::new();
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), NEW_PASSWORD.to_owned()];

    let admin = h.user("admin@example.com", Role::Admin).await;
    let stored = h.store.user(admin.id).await.unwrap();
    secrets.push(stored.password_hash.0.clone());
    outputs.push(format!("{stored:?}"));

    // sessions and sign-in failures
    let ticket = h.session("admin@example.com").await;
    secrets.push(ticket.secret.clone());
    outputs.push(format!("{ticket:?}"));
    for (email, pw) in [("admin@example.com", "wrong wrong wrong"), ("ghost@example.com", PASSWORD), ("bad", NEW_PASSWORD)] {
        let e = h.cachet.login(email, pw, ip(1), None, None).await.unwrap_err();
        outputs.push(format!("{e} {e:?}"));
    }
    let actor = h.actor(&ticket.secret).await;
    outputs.push(format!("{actor:?}"));

    // TOTP enrolment, codes and recovery codes, including failures
    let enrollment = h.cachet.begin_totp_enrollment(&actor).await.unwrap();
    secrets.push(enrollment.secret_base32.clone());
    outputs.push(format!("{enrollment:?}"));
    let raw = base32_decode(&enrollment.secret_base32);
    let code = totp::code_for_step(&raw, totp::step_of(h.clock_now())).unwrap();
    let e = h.cachet.confirm_totp_enrollment(&actor, "999999").await.unwrap_err();
    outputs.push(format!("{e} {e:?}"));
    let (codes, rotated) = h.cachet.confirm_totp_enrollment(&actor, &code).await.unwrap();
    secrets.extend(codes.iter().cloned());
    secrets.extend(codes.iter().map(|c| c.replace('-', "")));
    outputs.push(format!("{rotated:?}"));
    outputs.push(format!("{:?}", h.store.user(admin.id).await.unwrap()));
    let LoginOutcome::SecondFactorRequired(pending) = h.cachet.login("admin@example.com", PASSWORD, ip(1), None, None).await.unwrap() else {
        panic!()
    };
    outputs.push(format!("{pending:?}"));
    let e = h.cachet.complete_second_factor(&pending.secret, &code, ip(1), None).await.unwrap_err();
    outputs.push(format!("{e} {e:?}"));
    let e = h.cachet.complete_second_factor(&pending.secret, "aaaaaa-bbbbbb-cccccc-dddddd", ip(1), None).await.unwrap_err();
    outputs.push(format!("{e} {e:?}"));
    let ok = h.cachet.complete_second_factor(&pending.secret, &codes[3], ip(1), None).await.unwrap();
    outputs.push(format!("{ok:?}"));

    // API tokens, including refusals
    let (row, token) = h.cachet.create_api_token(&op, admin.id, name("ci"), TokenScope::Read, None).await.unwrap();
    secrets.push(token.clone());
    outputs.push(format!("{row:?}"));
    let token_actor = h.cachet.resolve_api_token(&token, ip(1)).await.unwrap();
    outputs.push(format!("{token_actor:?}"));
    let e = h.cachet.create_component(&token_actor, &component("x")).await.unwrap_err();
    outputs.push(format!("{e} {e:?}"));
    h.cachet.revoke_api_token(&op, row.id).await.unwrap();
    let e = h.cachet.resolve_api_token(&token, ip(1)).await.unwrap_err();
    outputs.push(format!("{e} {e:?}"));

    // a weak password in a refused user creation
    h.cachet.put_settings(&op, &[(SettingKey::AppName, "Acme Status".into())]).await.unwrap();
    let weak = "acme status 2026";
    secrets.push(weak.to_owned());
    let input = cachet_core::parse_new_user("N", "n@example.com", "viewer", weak.into()).unwrap();
    outputs.push(format!("{input:?}"));
    let e = h.cachet.operator_create_user(input).await.unwrap_err();
    outputs.push(format!("{e} {e:?}"));

    // subscriber addresses are sealed
    let address = "very.private.person@example.org";
    secrets.push(address.to_owned());
    let s = h.cachet.add_subscriber(&op, &Email::parse(address).unwrap(), vec![], true, Locale::english()).await.unwrap();
    outputs.push(format!("{s:?}"));
    outputs.push(format!("{:?}", h.store.subscribers(&SubscriberQuery::all()).await.unwrap()));
    outputs.push(format!("{:?}", h.cachet.keyring()));

    // the whole audit log, and every stored session and token
    outputs.push(format!("{:?}", h.store.audit_events(&AuditQuery::all()).await.unwrap()));
    outputs.push(format!("{:?}", h.store.sessions_of(admin.id).await.unwrap()));
    outputs.push(format!("{:?}", h.store.api_tokens(&ApiTokenQuery::all()).await.unwrap()));

    let haystack = outputs.join("\n");
    assert!(haystack.len() > 2000, "the search covers real output");
    for secret in &secrets {
        assert!(!haystack.contains(secret.as_str()), "a secret surfaced: {}…", &secret[..4.min(secret.len())]);
    }
    // the raw TOTP secret bytes, in any common text form
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!haystack.contains(&hex));
    assert!(haystack.contains("<redacted>"), "redaction is what hides them");
}
