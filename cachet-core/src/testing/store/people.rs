//! Subscribers, subscriptions, webhooks, settings and the audit log.

use super::components::Key;
use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};
use crate::validate::Locale;

/// Create (global when no components; components sorted), read, look up by blind index,
/// list, update (every field) and delete a subscriber.
pub async fn subscribers_crud(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?;
    let c2 = component(store, "Two", 0).await?;
    let new = NewSubscriber {
        locale: Locale::parse("pt-BR")?,
        ..new_subscriber(1, vec![c2.id, c1.id])
    };
    let s = store
        .create_subscriber(cx(10), &new, &no_effects)
        .await
        .ctx("create_subscriber")?;
    let expected = Subscriber {
        id: s.id,
        email: sealed(1),
        blind_index: blind(1),
        channel: SubscriberChannel::Email,
        locale: Locale::parse("pt-BR")?,
        verified_at: None,
        global: false,
        components: vec![c1.id, c2.id],
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&s, &expected, "created subscriber")?;
    ensure_eq(
        store.subscriber(s.id).await.ctx("subscriber")?,
        expected.clone(),
        "subscriber read back",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(1))
            .await
            .ctx("by blind index")?,
        Some(expected.clone()),
        "by blind index",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(99))
            .await
            .ctx("by blind index")?,
        None,
        "unknown blind index",
    )?;
    let page = store
        .subscribers(&SubscriberQuery::all())
        .await
        .ctx("subscribers")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "subscribers list",
    )?;
    let g = store
        .create_subscriber(
            cx(15),
            &NewSubscriber {
                verified_at: Some(at(15)),
                ..new_subscriber(2, Vec::new())
            },
            &no_effects,
        )
        .await
        .ctx("create_subscriber")?;
    ensure_eq(
        (g.global, g.components.clone(), g.verified_at),
        (true, vec![], Some(at(15))),
        "a subscriber without components is global",
    )?;

    let patch = SubscriberPatch {
        email: Some((sealed(7), blind(7))),
        locale: Some(Locale::parse("de")?),
        verified_at: Some(Some(at(20))),
        components: Some(Vec::new()),
    };
    let u = store
        .update_subscriber(cx(20), s.id, &patch, &no_effects)
        .await
        .ctx("update_subscriber")?;
    let expected = Subscriber {
        email: sealed(7),
        blind_index: blind(7),
        locale: Locale::parse("de")?,
        verified_at: Some(at(20)),
        global: true,
        components: Vec::new(),
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "updated subscriber")?;
    ensure_eq(
        store.subscriber(s.id).await.ctx("subscriber")?,
        expected.clone(),
        "updated subscriber read back",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(1))
            .await
            .ctx("by blind index")?,
        None,
        "old blind index gone",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(7))
            .await
            .ctx("by blind index")?
            .map(|s| s.id),
        Some(s.id),
        "new blind index",
    )?;
    let patch = SubscriberPatch {
        verified_at: Some(None),
        components: Some(vec![c2.id]),
        ..SubscriberPatch::default()
    };
    let u = store
        .update_subscriber(cx(30), s.id, &patch, &no_effects)
        .await
        .ctx("update_subscriber")?;
    ensure_eq(
        (u.verified_at, u.global, u.components.clone()),
        (None, false, vec![c2.id]),
        "un-verified and specific again",
    )?;
    ensure_eq(
        store
            .subscriptions_of(s.id)
            .await
            .ctx("subscriptions_of")?
            .len(),
        1,
        "subscriptions follow the patch",
    )?;
    store
        .delete_subscriber(cx(40), s.id, &no_effects)
        .await
        .ctx("delete_subscriber")?;
    ensure_err(
        store.subscriber(s.id).await,
        ErrorKind::NotFound,
        "subscriber after delete",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(7))
            .await
            .ctx("by blind index")?,
        None,
        "deleted subscriber's index",
    )?;
    ensure_err(
        store.delete_subscriber(cx(41), s.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_subscriber(cx(41), s.id, &SubscriberPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    let again = store
        .create_subscriber(cx(50), &new_subscriber(7, Vec::new()), &no_effects)
        .await;
    ensure(
        again.is_ok(),
        "an erased subscriber's blind index can subscribe again",
    )?;
    Ok(())
}

/// SMS and chat subscribers keep their channel through create, read, look-up, list and
/// update (the channel never changes), next to a mail subscriber that stays one.
pub async fn subscriber_channel_round_trips(store: &dyn Store) -> Result<(), Failure> {
    let mail = subscriber(store, 1, Vec::new(), 10).await?;
    let new = NewSubscriber::new(sealed(2), blind(2), Locale::english())
        .with_channel(SubscriberChannel::Sms)
        .with_verified_at(Some(at(11)));
    let sms = store
        .create_subscriber(cx(11), &new, &no_effects)
        .await
        .ctx("create_subscriber")?;
    ensure_eq(sms.channel, SubscriberChannel::Sms, "created channel")?;
    ensure_eq(mail.channel, SubscriberChannel::Email, "default channel")?;
    let chat = store
        .create_subscriber(
            cx(11),
            &NewSubscriber::new(sealed(4), blind(4), Locale::english())
                .with_channel(SubscriberChannel::Chat),
            &no_effects,
        )
        .await
        .ctx("create_subscriber (chat)")?;
    ensure_eq(
        chat.channel,
        SubscriberChannel::Chat,
        "created chat channel",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(4))
            .await
            .ctx("by blind index (chat)")?
            .map(|s| (s.channel, s.email)),
        Some((SubscriberChannel::Chat, sealed(4))),
        "chat channel and sealed URL by blind index",
    )?;
    ensure_eq(
        store.subscriber(sms.id).await.ctx("subscriber")?.channel,
        SubscriberChannel::Sms,
        "channel read back",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(2))
            .await
            .ctx("by blind index")?
            .map(|s| s.channel),
        Some(SubscriberChannel::Sms),
        "channel by blind index",
    )?;
    let listed: Vec<(SubscriberId, SubscriberChannel)> = store
        .subscribers(&SubscriberQuery::all())
        .await
        .ctx("subscribers")?
        .items
        .iter()
        .map(|s| (s.id, s.channel))
        .collect();
    ensure_eq(
        listed,
        vec![
            (mail.id, SubscriberChannel::Email),
            (sms.id, SubscriberChannel::Sms),
            (chat.id, SubscriberChannel::Chat),
        ],
        "channels listed",
    )?;
    let verified = SubscriberPatch {
        verified_at: Some(Some(at(13))),
        ..SubscriberPatch::default()
    };
    let u = store
        .update_subscriber(cx(13), chat.id, &verified, &no_effects)
        .await
        .ctx("update_subscriber (chat)")?;
    ensure_eq(
        u.channel,
        SubscriberChannel::Chat,
        "chat channel after update",
    )?;
    let patch = SubscriberPatch {
        email: Some((sealed(3), blind(3))),
        verified_at: Some(None),
        ..SubscriberPatch::default()
    };
    let u = store
        .update_subscriber(cx(12), sms.id, &patch, &no_effects)
        .await
        .ctx("update_subscriber")?;
    ensure_eq(u.channel, SubscriberChannel::Sms, "channel after update")?;
    ensure_eq(
        store.subscriber(sms.id).await.ctx("subscriber")?.channel,
        SubscriberChannel::Sms,
        "channel after update read back",
    )
}

/// A second subscriber with the same blind index is a `Conflict`, on create and on update,
/// and changes nothing.
pub async fn subscriber_blind_index_conflict(store: &dyn Store) -> Result<(), Failure> {
    let a = subscriber(store, 1, Vec::new(), 10).await?;
    let b = subscriber(store, 2, Vec::new(), 10).await?;
    let fx = |s: &Subscriber| effects_for(EntityKind::Subscriber, s.id.get(), at(20));
    let dup = NewSubscriber {
        email: sealed(9),
        ..new_subscriber(1, Vec::new())
    };
    ensure_err(
        store.create_subscriber(cx(20), &dup, &fx).await,
        ErrorKind::Conflict,
        "same blind index on create",
    )?;
    ensure_eq(
        store
            .subscribers(&SubscriberQuery::all())
            .await
            .ctx("subscribers")?
            .total,
        2,
        "no subscriber written",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(1))
            .await
            .ctx("by blind index")?,
        Some(a),
        "the first keeps its index",
    )?;
    let patch = SubscriberPatch {
        email: Some((sealed(9), blind(1))),
        ..SubscriberPatch::default()
    };
    ensure_err(
        store
            .update_subscriber(cx(30), b.id, &patch, &no_effects)
            .await,
        ErrorKind::Conflict,
        "same blind index on update",
    )?;
    ensure_eq(
        store.subscriber(b.id).await.ctx("subscriber")?,
        b,
        "subscriber unchanged by a refused update",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    Ok(())
}

/// Subscribing to an unknown component is `Invalid` on create and update; nothing is written.
pub async fn subscriber_unknown_component_is_invalid(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "One", 0).await?;
    let new = new_subscriber(1, vec![c.id, ComponentId(987_654)]);
    ensure_err(
        store.create_subscriber(cx(10), &new, &no_effects).await,
        ErrorKind::Invalid,
        "unknown component on create",
    )?;
    ensure_eq(
        store
            .subscribers(&SubscriberQuery::all())
            .await
            .ctx("subscribers")?
            .total,
        0,
        "no subscriber written",
    )?;
    ensure_eq(
        store
            .subscriber_by_blind_index(&blind(1))
            .await
            .ctx("by blind index")?,
        None,
        "no blind index taken",
    )?;
    let s = subscriber(store, 1, vec![c.id], 20).await?;
    let patch = SubscriberPatch {
        components: Some(vec![ComponentId(987_654)]),
        ..SubscriberPatch::default()
    };
    ensure_err(
        store
            .update_subscriber(cx(30), s.id, &patch, &no_effects)
            .await,
        ErrorKind::Invalid,
        "unknown component on update",
    )?;
    ensure_eq(
        store.subscriber(s.id).await.ctx("subscriber")?,
        s.clone(),
        "subscriber unchanged",
    )?;
    ensure_eq(
        store
            .subscriptions_of(s.id)
            .await
            .ctx("subscriptions_of")?
            .len(),
        1,
        "subscriptions unchanged",
    )?;
    Ok(())
}

/// Subscriptions are listed by component id, readable by id, deletable one by one; a
/// subscriber left with none becomes global.
pub async fn subscriptions_and_global(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?;
    let c2 = component(store, "Two", 0).await?;
    let s = subscriber(store, 1, vec![c2.id, c1.id], 10).await?;
    let subs = store.subscriptions_of(s.id).await.ctx("subscriptions_of")?;
    ensure_eq(
        subs.iter().map(|x| x.component_id).collect::<Vec<_>>(),
        vec![c1.id, c2.id],
        "subscriptions by component id",
    )?;
    for sub in &subs {
        ensure_eq(
            (sub.subscriber_id, sub.created_at),
            (s.id, at(10)),
            "subscription fields",
        )?;
        ensure_eq(
            store.subscription(sub.id).await.ctx("subscription")?,
            sub.clone(),
            "subscription read back",
        )?;
    }
    ensure(subs[0].id != subs[1].id, "distinct subscription ids")?;
    store
        .delete_subscription(cx(20), subs[0].id, &no_effects)
        .await
        .ctx("delete_subscription")?;
    let now = store.subscriber(s.id).await.ctx("subscriber")?;
    ensure_eq(
        (now.global, now.components),
        (false, vec![c2.id]),
        "one subscription left",
    )?;
    ensure_err(
        store.subscription(subs[0].id).await,
        ErrorKind::NotFound,
        "deleted subscription",
    )?;
    ensure_err(
        store
            .delete_subscription(cx(21), subs[0].id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    store
        .delete_subscription(cx(30), subs[1].id, &no_effects)
        .await
        .ctx("delete_subscription")?;
    let now = store.subscriber(s.id).await.ctx("subscriber")?;
    ensure_eq(
        (now.global, now.components),
        (true, vec![]),
        "a subscriber left with none becomes global",
    )?;
    ensure_eq(
        store.subscriptions_of(s.id).await.ctx("subscriptions_of")?,
        vec![],
        "no subscriptions",
    )?;
    Ok(())
}

/// Every [`SubscriberFilter`] field (`created_before` exclusive; `notified_about` matches
/// global subscribers too; `after_id` for keyset paging); every [`SubscriberSort`] field.
pub async fn subscriber_filters_and_sorts(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?.id;
    let c2 = component(store, "Two", 0).await?.id;
    let specs: [(Vec<ComponentId>, Option<i64>, i64); 4] = [
        (vec![], Some(50), 10),
        (vec![c1], None, 20),
        (vec![c2], Some(40), 30),
        (vec![c1, c2], None, 40),
    ];
    let mut s = Vec::new();
    for (n, (components, verified, t)) in specs.into_iter().enumerate() {
        let new = NewSubscriber {
            verified_at: verified.map(at),
            ..new_subscriber(u8::try_from(n).unwrap_or(0) + 1, components)
        };
        s.push(
            store
                .create_subscriber(cx(t), &new, &no_effects)
                .await
                .ctx("create_subscriber")?,
        );
    }
    let f = SubscriberFilter::default;
    let cases: Vec<(&str, SubscriberFilter, Vec<usize>)> = vec![
        ("nothing", f(), vec![0, 1, 2, 3]),
        (
            "verified",
            SubscriberFilter {
                verified: Some(true),
                ..f()
            },
            vec![0, 2],
        ),
        (
            "unverified",
            SubscriberFilter {
                verified: Some(false),
                ..f()
            },
            vec![1, 3],
        ),
        (
            "notified about one",
            SubscriberFilter {
                notified_about: Some(c1),
                ..f()
            },
            vec![0, 1, 3],
        ),
        (
            "notified about two",
            SubscriberFilter {
                notified_about: Some(c2),
                ..f()
            },
            vec![0, 2, 3],
        ),
        (
            "created before (exclusive)",
            SubscriberFilter {
                created_before: Some(at(30)),
                ..f()
            },
            vec![0, 1],
        ),
        (
            "after id",
            SubscriberFilter {
                after_id: Some(s[1].id),
                ..f()
            },
            vec![2, 3],
        ),
        (
            "verified and notified",
            SubscriberFilter {
                verified: Some(true),
                notified_about: Some(c1),
                ..f()
            },
            vec![0],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store
            .subscribers(&SubscriberQuery::filtered(filter))
            .await
            .ctx(what)?;
        let want: Vec<i64> = want.iter().map(|x| s[*x].id.get()).collect();
        ensure_eq(
            ids(&page.items, |x| x.id.get()),
            want.clone(),
            format!("subscribers filtered by {what}"),
        )?;
        ensure_eq(
            page.total,
            want.len() as u64,
            format!("total of subscribers filtered by {what}"),
        )?;
    }
    for field in SubscriberSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .subscribers(&SubscriberQuery::all().sorted(*field, dir))
                .await
                .ctx("subscribers sorted")?;
            ensure_eq(page.items.len(), s.len(), "every subscriber listed")?;
            let key = |x: &Subscriber| match field {
                SubscriberSort::Id => Key::Int(x.id.get()),
                SubscriberSort::CreatedAt => Key::Time(x.created_at),
                SubscriberSort::VerifiedAt => Key::OptTime(x.verified_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("subscribers by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

/// [`Store::audience`](crate::store::SubscriberStore::audience): verified subscribers only;
/// global ones always, others when subscribed to one of the components; each once, in id
/// order, with their channel; `after` and `limit` page through it.
pub async fn subscriber_audience(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?.id;
    let c2 = component(store, "Two", 0).await?.id;
    let c3 = component(store, "Three", 0).await?.id;
    let specs: [(Vec<ComponentId>, bool, SubscriberChannel); 7] = [
        (vec![], true, SubscriberChannel::Email),
        (vec![c1], true, SubscriberChannel::Sms),
        (vec![c2], true, SubscriberChannel::Chat),
        (vec![c1, c2], false, SubscriberChannel::Email),
        (vec![c3], true, SubscriberChannel::Email),
        (vec![], false, SubscriberChannel::Email),
        (vec![c1, c3], true, SubscriberChannel::Email),
    ];
    let mut s = Vec::new();
    for (n, (components, verified, channel)) in specs.into_iter().enumerate() {
        let new = NewSubscriber {
            verified_at: verified.then(|| at(5)),
            channel,
            ..new_subscriber(u8::try_from(n).unwrap_or(0) + 1, components)
        };
        s.push(
            store
                .create_subscriber(cx(1), &new, &no_effects)
                .await
                .ctx("create_subscriber")?,
        );
    }
    // (what, components, after the subscriber at this index, limit, the indexes expected)
    type Case = (
        &'static str,
        Vec<ComponentId>,
        Option<usize>,
        u32,
        Vec<usize>,
    );
    let cases: Vec<Case> = vec![
        ("no component: global only", vec![], None, 100, vec![0]),
        ("one component", vec![c1], None, 100, vec![0, 1, 6]),
        (
            "two components, each once",
            vec![c1, c2],
            None,
            100,
            vec![0, 1, 2, 6],
        ),
        ("another component", vec![c3], None, 100, vec![0, 4, 6]),
        ("first page", vec![c1, c2, c3], None, 2, vec![0, 1]),
        ("second page", vec![c1, c2, c3], Some(1), 2, vec![2, 4]),
        ("last page", vec![c1, c2, c3], Some(4), 2, vec![6]),
        ("past the end", vec![c1, c2, c3], Some(6), 2, vec![]),
    ];
    for (what, components, after, limit, want) in cases {
        let got = store
            .audience(&components, after.map(|i| s[i].id), limit)
            .await
            .ctx(what)?;
        let want: Vec<(SubscriberId, SubscriberChannel)> =
            want.iter().map(|i| (s[*i].id, s[*i].channel)).collect();
        ensure_eq(got, want, format!("audience: {what}"))?;
    }
    Ok(())
}

/// Subscribers read by id in one call: each once, in id order, with their subscriptions;
/// unknown ids are left out without failing the rest.
pub async fn subscribers_by_id(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?.id;
    let c2 = component(store, "Two", 0).await?.id;
    let a = subscriber(store, 1, vec![c2, c1], 10).await?;
    let b = subscriber(store, 2, vec![], 10).await?;
    let c = subscriber(store, 3, vec![c1], 10).await?;
    let missing = SubscriberId(c.id.get() + 1000);
    let got = store
        .subscribers_by_id(&[c.id, missing, a.id, c.id])
        .await
        .ctx("subscribers_by_id")?;
    let one_by_one = vec![
        store.subscriber(a.id).await.ctx("subscriber")?,
        store.subscriber(c.id).await.ctx("subscriber")?,
    ];
    ensure_eq(
        got,
        one_by_one,
        "each found one once, in id order, as read one by one",
    )?;
    ensure_eq(
        store
            .subscribers_by_id(&[b.id])
            .await
            .ctx("subscribers_by_id")?
            .iter()
            .map(|s| (s.id, s.global))
            .collect::<Vec<_>>(),
        vec![(b.id, true)],
        "a global subscriber",
    )?;
    ensure_eq(
        store
            .subscribers_by_id(&[])
            .await
            .ctx("subscribers_by_id")?,
        vec![],
        "no ids",
    )?;
    Ok(())
}

/// Deleting a subscriber (erasure) deletes their subscriptions; others keep theirs.
pub async fn delete_subscriber_removes_subscriptions(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "One", 0).await?;
    let a = subscriber(store, 1, vec![c.id], 10).await?;
    let b = subscriber(store, 2, vec![c.id], 10).await?;
    let subs = store.subscriptions_of(a.id).await.ctx("subscriptions_of")?;
    store
        .delete_subscriber(cx(20), a.id, &no_effects)
        .await
        .ctx("delete_subscriber")?;
    for sub in subs {
        ensure_err(
            store.subscription(sub.id).await,
            ErrorKind::NotFound,
            "subscription of an erased subscriber",
        )?;
    }
    match store.subscriptions_of(a.id).await {
        Ok(v) => ensure(
            v.is_empty(),
            format!("subscriptions of an erased subscriber: {v:?}"),
        )?,
        Err(e) => ensure(
            e.is_not_found(),
            format!("subscriptions of an erased subscriber: {e}"),
        )?,
    }
    ensure_eq(
        store
            .subscriptions_of(b.id)
            .await
            .ctx("subscriptions_of")?
            .len(),
        1,
        "other subscriber intact",
    )?;
    let q = SubscriberQuery::filtered(SubscriberFilter {
        notified_about: Some(c.id),
        ..SubscriberFilter::default()
    });
    ensure_eq(
        ids(
            &store.subscribers(&q).await.ctx("subscribers")?.items,
            |x| x.id.get(),
        ),
        vec![b.id.get()],
        "erased subscriber not notified",
    )?;
    Ok(())
}

/// Create, read, list by id, update (every field) and delete webhook endpoints.
pub async fn webhooks_crud(store: &dyn Store) -> Result<(), Failure> {
    let new = NewWebhook {
        name: name("Chat")?,
        url: url("https://hooks.example.com/cachet")?,
        secret: sealed(3),
        enabled: true,
        events: WebhookEvents::of([WebhookEvent::IncidentCreated, WebhookEvent::Maintenance])
            .map_err(|e| Failure::new(format!("webhook events: {e}")))?,
        format: WebhookFormat::Mattermost,
    };
    let w = store
        .create_webhook(cx(10), &new, &no_effects)
        .await
        .ctx("create_webhook")?;
    let expected = Webhook {
        id: w.id,
        name: new.name.clone(),
        url: new.url.clone(),
        secret: sealed(3),
        enabled: true,
        events: new.events,
        format: WebhookFormat::Mattermost,
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&w, &expected, "created webhook")?;
    let w2 = store
        .create_webhook(
            cx(20),
            &NewWebhook {
                name: name("Pager")?,
                enabled: false,
                ..new.clone()
            },
            &no_effects,
        )
        .await
        .ctx("create_webhook")?;
    ensure_eq(
        store.webhook(w.id).await.ctx("webhook")?,
        expected.clone(),
        "webhook read back",
    )?;
    ensure_eq(
        store.webhooks().await.ctx("webhooks")?,
        vec![expected.clone(), w2.clone()],
        "webhooks by id",
    )?;
    let patch = WebhookPatch {
        name: Some(name("Chat ops")?),
        url: Some(url("http://10.0.0.1:8080/h")?),
        secret: Some(sealed(4)),
        enabled: Some(false),
        events: Some(WebhookEvents::ALL),
        format: Some(WebhookFormat::Json),
    };
    let u = store
        .update_webhook(cx(30), w.id, &patch, &no_effects)
        .await
        .ctx("update_webhook")?;
    let expected = Webhook {
        name: name("Chat ops")?,
        url: url("http://10.0.0.1:8080/h")?,
        secret: sealed(4),
        enabled: false,
        events: WebhookEvents::ALL,
        format: WebhookFormat::Json,
        updated_at: at(30),
        ..expected
    };
    ensure_eq(&u, &expected, "updated webhook")?;
    ensure_eq(
        store.webhook(w.id).await.ctx("webhook")?,
        expected,
        "updated webhook read back",
    )?;
    store
        .delete_webhook(cx(40), w.id, &no_effects)
        .await
        .ctx("delete_webhook")?;
    ensure_err(
        store.webhook(w.id).await,
        ErrorKind::NotFound,
        "webhook after delete",
    )?;
    ensure_err(
        store.delete_webhook(cx(41), w.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_webhook(cx(41), w.id, &WebhookPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    ensure_eq(
        store.webhooks().await.ctx("webhooks")?,
        vec![w2],
        "one webhook left",
    )?;
    Ok(())
}

/// Settings are stored as given, listed by key name, replaced key by key, and written with
/// their effects.
pub async fn settings_put_and_replace(store: &dyn Store) -> Result<(), Failure> {
    ensure_eq(
        store.settings().await.ctx("settings")?,
        vec![],
        "no settings at first",
    )?;
    let about = "## Über uns 🚀\n\nمرحبا — 数据".to_owned();
    let values = vec![
        (SettingKey::AppName, "Acme Status".to_owned()),
        (SettingKey::AppAbout, about.clone()),
        (
            SettingKey::AllowedDomains,
            "https://a.example,https://b.example".to_owned(),
        ),
    ];
    let fx = Effects::audit(new_audit(
        at(10),
        AuditAction::SettingsChange,
        EntityKind::Settings,
        None,
    )?);
    store
        .put_settings(cx(10), &values, &fx)
        .await
        .ctx("put_settings")?;
    let mut expected = values.clone();
    expected.sort_by_key(|(k, _)| k.as_str());
    ensure_eq(
        store.settings().await.ctx("settings")?,
        expected,
        "settings by key name",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (1, 0),
        "the settings' audit entry",
    )?;
    store
        .put_settings(
            cx(20),
            &[
                (SettingKey::AppName, "Other".to_owned()),
                (SettingKey::ThemeReds, "#ff0000".to_owned()),
            ],
            &Effects::none(),
        )
        .await
        .ctx("put_settings")?;
    let mut expected = vec![
        (SettingKey::AppName, "Other".to_owned()),
        (SettingKey::AppAbout, about),
        (
            SettingKey::AllowedDomains,
            "https://a.example,https://b.example".to_owned(),
        ),
        (SettingKey::ThemeReds, "#ff0000".to_owned()),
    ];
    expected.sort_by_key(|(k, _)| k.as_str());
    ensure_eq(
        store.settings().await.ctx("settings")?,
        expected,
        "one key replaced, one added, others kept",
    )?;
    store
        .put_settings(
            cx(30),
            &[(SettingKey::AppName, String::new())],
            &Effects::none(),
        )
        .await
        .ctx("put_settings")?;
    let got = store.settings().await.ctx("settings")?;
    ensure(
        got.contains(&(SettingKey::AppName, String::new())),
        format!("an empty value is stored as empty: {got:?}"),
    )?;
    Ok(())
}

/// Lone audit entries are appended as given, listed newest first, and filterable by every
/// [`AuditFilter`] field (`since` inclusive, `until` exclusive).
pub async fn audit_append_and_filters(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Admin", "admin@example.com", 0).await?;
    let specs = [
        (
            10,
            Some(u.id),
            AuditAction::Create,
            EntityKind::Component,
            Some(1),
            AuditOutcome::Success,
            None,
        ),
        (
            20,
            None,
            AuditAction::LoginFailure,
            EntityKind::User,
            None,
            AuditOutcome::Failure,
            Some("2001:db8::1"),
        ),
        (
            30,
            Some(u.id),
            AuditAction::Update,
            EntityKind::Component,
            Some(2),
            AuditOutcome::Success,
            None,
        ),
        (
            30,
            None,
            AuditAction::AccessDenied,
            EntityKind::Settings,
            None,
            AuditOutcome::Denied,
            Some("192.0.2.7"),
        ),
    ];
    let mut e = Vec::new();
    for (t, actor_user_id, action, entity, entity_id, outcome, ip) in specs {
        let new = NewAuditEvent {
            actor_user_id,
            actor: actor_user_id.map_or_else(|| "anonymous".to_owned(), |id| format!("user:{id}")),
            outcome,
            ip: ip.map(str::to_owned),
            detail: text("détail — 详情")?,
            ..new_audit(at(t), action, entity, entity_id)?
        };
        let got = store.append_audit(&new).await.ctx("append_audit")?;
        let expected = AuditEvent {
            id: got.id,
            at: new.at,
            actor_user_id: new.actor_user_id,
            actor_token_id: new.actor_token_id,
            actor: new.actor.clone(),
            action: new.action,
            entity: new.entity,
            entity_id: new.entity_id,
            ip: new.ip.clone(),
            outcome: new.outcome,
            detail: new.detail.clone(),
        };
        ensure_eq(&got, &expected, "appended audit entry")?;
        e.push(got);
    }
    let f = AuditFilter::default;
    let cases: Vec<(&str, AuditFilter, Vec<usize>)> = vec![
        ("nothing", f(), vec![3, 2, 1, 0]),
        (
            "actor",
            AuditFilter {
                actor_user_id: Some(u.id),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "action",
            AuditFilter {
                action: Some(AuditAction::Update),
                ..f()
            },
            vec![2],
        ),
        (
            "entity",
            AuditFilter {
                entity: Some(EntityKind::Component),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "entity id",
            AuditFilter {
                entity_id: Some(1),
                ..f()
            },
            vec![0],
        ),
        (
            "outcome",
            AuditFilter {
                outcome: Some(AuditOutcome::Failure),
                ..f()
            },
            vec![1],
        ),
        (
            "since (inclusive)",
            AuditFilter {
                since: Some(at(20)),
                ..f()
            },
            vec![3, 2, 1],
        ),
        (
            "until (exclusive)",
            AuditFilter {
                until: Some(at(30)),
                ..f()
            },
            vec![1, 0],
        ),
        (
            "entity and since",
            AuditFilter {
                entity: Some(EntityKind::Component),
                since: Some(at(20)),
                ..f()
            },
            vec![2],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store
            .audit_events(&AuditQuery::filtered(filter))
            .await
            .ctx(what)?;
        let want: Vec<i64> = want.iter().map(|x| e[*x].id.get()).collect();
        ensure_eq(
            ids(&page.items, |x| x.id.get()),
            want.clone(),
            format!("audit filtered by {what}"),
        )?;
        ensure_eq(
            page.total,
            want.len() as u64,
            format!("total of audit filtered by {what}"),
        )?;
    }
    ensure_eq(
        store
            .audit_events(&AuditQuery::all())
            .await
            .ctx("audit_events")?
            .items[0]
            .clone(),
        e[3].clone(),
        "audit read back",
    )?;
    let page = store
        .audit_events(&AuditQuery::all().paged(PageRequest::new(2, 3)))
        .await
        .ctx("audit page 2")?;
    ensure_eq(
        (ids(&page.items, |x| x.id.get()), page.total),
        (vec![e[0].id.get()], 4),
        "second audit page",
    )?;
    Ok(())
}
