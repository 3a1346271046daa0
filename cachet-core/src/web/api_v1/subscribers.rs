//! `/api/v1/subscribers` and `/api/v1/subscriptions/{id}`.
//!
//! Listing needs a token that may read subscriber addresses (an admin's admin-scope token);
//! the answer never carries a verification code or any other secret (Cachet's
//! `verify_code` doubled as the secret of the manage and unsubscribe links).
//!
//! Creating answers Cachet's subscriber object. To a token that may read addresses it is the
//! stored subscriber (the existing one for a known address, as in Cachet); to any other token
//! (a manager's write token) it echoes the request, with no id, for a new address and a known
//! one alike, so the answer does not tell whether the address was subscribed.

use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::model::*;
use crate::store::{SubscriberFilter, SubscriberQuery};
use crate::validate::{Email, ViolationExt};
use crate::web::response;

pub(super) async fn list(call: Call<'_>) -> Handled {
    let q = SubscriberQuery {
        filter: SubscriberFilter::default(),
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call
        .cachet
        .subscribers_with_addresses(&call.actor, q)
        .await?;
    let mut data = Vec::with_capacity(p.items.len());
    for (s, email) in &p.items {
        let subs = call.cachet.subscriptions_of(&call.actor, s.id).await?;
        data.push(present::subscriber(s, email, &subs, call.tz));
    }
    Ok(list_response(&call, &p, data))
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let email = c.take(
        i.text("email")
            .map_err(Fail::from)
            .and_then(|e| Ok(Email::parse(e.as_deref().unwrap_or("")).field("email")?)),
    );
    let verify = c.take(bool_field(i, "verify"));
    let components = c.take(id_list(i, "components"));
    c.finish()?;
    let email = checked(email)?;
    let components: Vec<ComponentId> = checked(components)?
        .unwrap_or_default()
        .into_iter()
        .map(ComponentId)
        .collect();
    // Only an explicit `verify: true` from a token that may manage subscribers (the facade
    // checks) creates a verified subscriber; every other one starts unverified.
    let verified = checked(verify)?.unwrap_or(false);
    let locale = call.cachet.settings().await?.app_locale;
    // An unverified new subscriber gets the verification mail through the outbox event that
    // `Cachet::add_subscriber` enqueues with the subscriber.
    let answer = call
        .cachet
        .add_subscriber_answer(&call.actor, &email, components.clone(), verified, locale)
        .await?;
    match answer {
        Some(s) => {
            let subs = call.cachet.subscriptions_of(&call.actor, s.id).await?;
            Ok(item(present::subscriber(
                &s,
                &crate::SubscriberAddress::Email(email.clone()),
                &subs,
                call.tz,
            )))
        }
        // A token that may not read addresses learns nothing of a stored subscriber: the
        // answer echoes the request, the same for a new address and a known one.
        None => Ok(item(present::accepted_subscriber(
            &email,
            &components,
            verified,
            call.cachet.now(),
            call.tz,
        ))),
    }
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_subscriber(&call.actor, SubscriberId(id))
        .await?;
    Ok(response::no_content())
}

pub(super) async fn delete_subscription(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_subscription(&call.actor, SubscriptionId(id))
        .await?;
    Ok(response::no_content())
}
