//! The subscription pages through `Cachet::handle`: double opt-in end to end, no
//! enumeration, no state change on GET, manage, and unsubscribe by confirm page and by RFC
//! 8058 one-click (with and without a valid signature).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod notify_support;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use common::*;
use http::StatusCode;
use notify_support::*;

use cachet_core::model::*;
use cachet_core::notify::links::{self, LinkPurpose};
use cachet_core::store::SubscriberQuery;
use cachet_core::{Actor, Cachet};

async fn subscribers(cachet: &Cachet) -> Vec<Subscriber> {
    cachet
        .store_unchecked()
        .subscribers(&SubscriberQuery::all())
        .await
        .unwrap()
        .items
}

/// GETs `/subscribe` and POSTs the form with `fields` (the token added).
async fn subscribe(cachet: &Cachet, fields: &str) -> http::Response<bytes::Bytes> {
    let page = cachet.handle(get("/subscribe"), cx()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let token = form_token(&body(&page));
    cachet
        .handle(
            post(
                "/subscribe",
                &format!("_token={}&{fields}", enc(&token)),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await
}

#[tokio::test]
async fn double_opt_in_end_to_end_then_exactly_the_right_recipients() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let api = make_component(&h.cachet, "API").await;
    let web = make_component(&h.cachet, "Website").await;

    // The form lists the components and carries a token.
    let page = h.cachet.handle(get("/subscribe"), cx()).await;
    let html = body(&page);
    assert!(html.contains("API") && html.contains("Website"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers().contains_key("content-security-policy"));

    // Subscribe to API only.
    let r = subscribe(
        &h.cachet,
        &format!("email={}&components={}", enc("visitor@example.com"), api.id),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body(&r));
    let subs = subscribers(&h.cachet).await;
    assert_eq!(subs.len(), 1);
    assert!(subs[0].verified_at.is_none());
    assert_eq!(subs[0].components, vec![api.id]);

    // Exactly one mail: the verification, with no List-Unsubscribe.
    drain(&d).await;
    let mails = rec.take_emails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to.as_str(), "visitor@example.com");
    assert!(mails[0].list_unsubscribe.is_none());
    let verify = link_path(&mails[0].text, "/subscribe/verify/");
    assert_eq!(verify, link_path(&mails[0].html, "/subscribe/verify/"));

    // GET shows a confirm page and changes nothing.
    let page = h.cachet.handle(get(&verify), cx()).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(subscribers(&h.cachet).await[0].verified_at.is_none());
    let token = form_token(&body(&page));

    // POST without a form token or from another origin: refused, nothing changes.
    let r = h.cachet.handle(post(&verify, "", Some(ORIGIN)), cx()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = h
        .cachet
        .handle(
            post(
                &verify,
                &format!("_token={}", enc(&token)),
                Some("https://evil.example"),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(subscribers(&h.cachet).await[0].verified_at.is_none());

    // POST confirms, once.
    let r = h
        .cachet
        .handle(
            post(&verify, &format!("_token={}", enc(&token)), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(subscribers(&h.cachet).await[0].verified_at.is_some());
    let again = h
        .cachet
        .handle(
            post(&verify, &format!("_token={}", enc(&token)), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    // Others: a global verified one, one on Website only, an unverified global one.
    verified(&h.cachet, "global@example.com", &[]).await;
    verified(&h.cachet, "web@example.com", &[web.id]).await;
    subscribe(&h.cachet, &format!("email={}", enc("pending@example.com"))).await;
    drain(&d).await;
    rec.take_emails();

    // An incident on API: the API subscriber and the global one, each once.
    h.cachet
        .create_incident(
            &Actor::operator(),
            &new_incident("API down", &[api.id], true, true),
        )
        .await
        .unwrap();
    drain(&d).await;
    let mails = rec.take_emails();
    let mut to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, vec!["global@example.com", "visitor@example.com"]);
    for m in &mails {
        assert!(m.subject.contains("API down"));
        let unsub = m.list_unsubscribe.as_ref().expect("List-Unsubscribe");
        assert!(
            unsub
                .as_str()
                .starts_with("https://status.example.com/unsubscribe/")
        );
        assert!(m.text.contains("/subscribe/manage/") && m.html.contains("/subscribe/manage/"));
        assert!(m.html.contains("<strong>looking</strong>"));
    }
    let keys: std::collections::HashSet<_> = mails.iter().map(|m| &m.idempotency_key).collect();
    assert_eq!(keys.len(), mails.len());
}

#[tokio::test]
async fn the_confirmation_promises_a_mail_only_when_this_site_sends_email() {
    let h = Harness::new().await;
    make_component(&h.cachet, "API").await;
    let email = format!("email={}", enc("reader@example.com"));
    // No background work with an email notifier: nothing will leave, so nothing is promised.
    assert!(!h.cachet.sends_email());
    let r = subscribe(&h.cachet, &email).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = body(&r);
    assert!(text.contains("does not send email at the moment"), "{text}");
    assert!(!text.contains("we have sent it an email"), "{text}");
    // A background with a webhook notifier only still sends no email.
    let webhooks = h
        .cachet
        .start_background(vec![Recorder::new(cachet_core::notify::Channel::Webhook)]);
    assert!(!h.cachet.sends_email());
    // With an email notifier running the page says a mail was sent, the same answer for a
    // known address as for a new one.
    let mail = h.cachet.start_background(vec![Recorder::email()]);
    assert!(h.cachet.sends_email());
    for address in ["reader@example.com", "new@example.com"] {
        let r = subscribe(&h.cachet, &format!("email={}", enc(address))).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(body(&r).contains("we have sent it an email"), "{address}");
    }
    // Stopped, the promise goes with it.
    drop(mail);
    assert!(!h.cachet.sends_email());
    drop(webhooks);
}

#[tokio::test]
async fn subscribing_new_unverified_and_verified_addresses_answers_the_same() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    verified(&h.cachet, "known@example.com", &[]).await;
    subscribe(&h.cachet, &format!("email={}", enc("pending@example.com"))).await;
    drain(&d).await;
    rec.take_emails();
    // Past the recipient's mail spacing, so the pending address may get a fresh mail.
    h.clock
        .advance(cachet_core::notify::budget::CONFIRMATION_SPACING + chrono::TimeDelta::seconds(1));
    let before = subscribers(&h.cachet).await;

    let mut answers = Vec::new();
    for email in [
        "new@example.com",
        "pending@example.com",
        "known@example.com",
    ] {
        let r = subscribe(&h.cachet, &format!("email={}", enc(email))).await;
        answers.push((r.status(), body(&r)));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::OK);

    // Nothing about the existing subscriptions changed (no takeover) ...
    let after = subscribers(&h.cachet).await;
    for s in &before {
        assert!(after.contains(s));
    }
    // ... and each address got the right mail: verification, a fresh verification, manage.
    drain(&d).await;
    let mails = rec.take_emails();
    assert_eq!(mails.len(), 3);
    let by = |a: &str| mails.iter().find(|m| m.to.as_str() == a).unwrap();
    assert!(by("new@example.com").text.contains("/subscribe/verify/"));
    assert!(
        by("pending@example.com")
            .text
            .contains("/subscribe/verify/")
    );
    let known = by("known@example.com");
    assert!(known.text.contains("/subscribe/manage/"));
    assert!(!known.text.contains("/subscribe/verify/"));
}

#[tokio::test]
async fn bad_input_names_the_field_and_csrf_is_checked() {
    let h = Harness::new().await;
    let r = subscribe(&h.cachet, "email=not-an-address").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(&r).contains("valid email"));
    for hostile in [
        "victim@example.com\r\nBcc: all@evil.example",
        "\"a\r\nb\"@example.com",
        "a@[127.0.0.1]",
    ] {
        let r = subscribe(&h.cachet, &format!("email={}", enc(hostile))).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{hostile:?}");
    }
    let r = subscribe(
        &h.cachet,
        &format!("email={}&components=999", enc("a@example.com")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = h
        .cachet
        .handle(
            post(
                "/subscribe",
                &format!("email={}", enc("a@example.com")),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(subscribers(&h.cachet).await.is_empty());
}

#[tokio::test]
async fn subscribe_is_rate_limited_per_client() {
    let h = Harness::new().await;
    let mut limited = false;
    for i in 0..10 {
        let r = subscribe(
            &h.cachet,
            &format!("email={}", enc(&format!("u{i}@example.com"))),
        )
        .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            limited = true;
            break;
        }
    }
    assert!(limited);
}

#[tokio::test]
async fn get_never_changes_state() {
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let api = make_component(&h.cachet, "API").await;
    let s = verified(&h.cachet, "v@example.com", &[api.id]).await;
    subscribe(&h.cachet, &format!("email={}", enc("p@example.com"))).await;
    drain(&d).await;
    let verify = link_path(&rec.take_emails()[0].text, "/subscribe/verify/");
    let manage =
        LinkPurpose::Manage.path(&links::sign(h.cachet.keyring(), LinkPurpose::Manage, s.id));
    let unsub = LinkPurpose::Unsubscribe.path(&links::sign(
        h.cachet.keyring(),
        LinkPurpose::Unsubscribe,
        s.id,
    ));
    let before = subscribers(&h.cachet).await;
    for path in [&verify, &manage, &unsub, &verify] {
        for method in ["GET", "HEAD"] {
            let req = http::Request::builder()
                .method(method)
                .uri(path.as_str())
                .body(bytes::Bytes::new())
                .unwrap();
            let r = h.cachet.handle(req, cx()).await;
            assert_eq!(r.status(), StatusCode::OK, "{method} {path}");
        }
    }
    assert_eq!(subscribers(&h.cachet).await, before);
    // The verification link still works after all those GETs.
    assert!(
        h.cachet
            .verification_is_valid(verify.rsplit('/').next().unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn manage_changes_components_and_refuses_foreign_or_tampered_links() {
    let h = Harness::new().await;
    let api = make_component(&h.cachet, "API").await;
    let web = make_component(&h.cachet, "Website").await;
    let a = verified(&h.cachet, "a@example.com", &[api.id]).await;
    let b = verified(&h.cachet, "b@example.com", &[]).await;
    let manage =
        LinkPurpose::Manage.path(&links::sign(h.cachet.keyring(), LinkPurpose::Manage, a.id));
    let page = h.cachet.handle(get(&manage), cx()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body(&page);
    assert!(
        html.contains(&format!("value=\"{}\" checked", api.id)),
        "{html}"
    );
    let token = form_token(&html);
    let r = h
        .cachet
        .handle(
            post(
                &manage,
                &format!("_token={}&components={}", enc(&token), web.id),
                Some(ORIGIN),
            ),
            cx(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let s = h.cachet.store_unchecked().subscriber(a.id).await.unwrap();
    assert_eq!(s.components, vec![web.id]);
    assert!(!s.global);
    // Nothing chosen: all.
    h.cachet
        .handle(
            post(&manage, &format!("_token={}", enc(&token)), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert!(
        h.cachet
            .store_unchecked()
            .subscriber(a.id)
            .await
            .unwrap()
            .global
    );

    // A's link cannot be bent to B, and an unsubscribe link does not manage.
    let forged = manage.replacen(&format!("/{}.", a.id), &format!("/{}.", b.id), 1);
    let unsub_as_manage = LinkPurpose::Manage.path(&links::sign(
        h.cachet.keyring(),
        LinkPurpose::Unsubscribe,
        a.id,
    ));
    for bad in [forged, unsub_as_manage] {
        let r = h
            .cachet
            .handle(
                post(
                    &bad,
                    &format!("_token={}&components={}", enc(&token), api.id),
                    Some(ORIGIN),
                ),
                cx(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert!(
        h.cachet
            .store_unchecked()
            .subscriber(b.id)
            .await
            .unwrap()
            .global
    );
}

#[tokio::test]
async fn one_click_unsubscribe_needs_a_valid_signature_only() {
    let h = Harness::new().await;
    let a = verified(&h.cachet, "a@example.com", &[]).await;
    let b = verified(&h.cachet, "b@example.com", &[]).await;
    let token = links::sign(h.cachet.keyring(), LinkPurpose::Unsubscribe, a.id);
    let path = LinkPurpose::Unsubscribe.path(&token);

    // Tampered: any flipped character, another subscriber's id, a manage token.
    let mut bad: Vec<String> = Vec::new();
    let last = token.pop_last_char_variant();
    bad.push(LinkPurpose::Unsubscribe.path(&last));
    bad.push(path.replacen(&format!("/{}.", a.id), &format!("/{}.", b.id), 1));
    bad.push(LinkPurpose::Unsubscribe.path(&links::sign(
        h.cachet.keyring(),
        LinkPurpose::Manage,
        a.id,
    )));
    for p in &bad {
        let r = h
            .cachet
            .handle(post(p, "List-Unsubscribe=One-Click", None), cx())
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{p}");
        let r = h.cachet.handle(get(p), cx()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{p}");
    }
    assert_eq!(subscribers(&h.cachet).await.len(), 2);

    // A plain POST without the one-click body and without a form token is refused.
    let r = h.cachet.handle(post(&path, "", None), cx()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(subscribers(&h.cachet).await.len(), 2);

    // RFC 8058 one-click: no cookie, no token, no Origin.
    let r = h
        .cachet
        .handle(post(&path, "List-Unsubscribe=One-Click", None), cx())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let left = subscribers(&h.cachet).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, b.id);
    // Repeating it is harmless.
    let r = h
        .cachet
        .handle(post(&path, "List-Unsubscribe=One-Click", None), cx())
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // The confirm page's form works too.
    let path_b = LinkPurpose::Unsubscribe.path(&links::sign(
        h.cachet.keyring(),
        LinkPurpose::Unsubscribe,
        b.id,
    ));
    let page = h.cachet.handle(get(&path_b), cx()).await;
    let t = form_token(&body(&page));
    let r = h
        .cachet
        .handle(
            post(&path_b, &format!("_token={}", enc(&t)), Some(ORIGIN)),
            cx(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(subscribers(&h.cachet).await.is_empty());
}

trait LastChar {
    fn pop_last_char_variant(&self) -> String;
}

impl LastChar for String {
    /// The token with its last character changed.
    fn pop_last_char_variant(&self) -> String {
        let mut s = self.clone();
        let c = s.pop().unwrap();
        s.push(if c == 'A' { 'B' } else { 'A' });
        s
    }
}

#[tokio::test]
async fn pages_are_never_served_from_the_snapshot_cache() {
    let h = Harness::new().await;
    let first = form_token(&body(&h.cachet.handle(get("/subscribe"), cx()).await));
    h.clock.advance(chrono::TimeDelta::seconds(5));
    let second = form_token(&body(&h.cachet.handle(get("/subscribe"), cx()).await));
    assert_ne!(first, second, "a cached form would repeat its token");
}
