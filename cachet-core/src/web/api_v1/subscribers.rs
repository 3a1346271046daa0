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
//!
//! # `phone_number` and `slack_webhook_url`
//!
//! Cachet 2.4's subscriber row has both columns beside `email`; its API requires `email`
//! and ignores the other two on create. Here a subscriber has one channel, so a create
//! naming them also adds a sibling subscriber for each: an SMS subscriber for the number
//! (in a region the page sends SMS to) and a chat subscriber for the incoming-webhook URL
//! (`https`, on a public host), each with the same components and the same `verify` rule as
//! the mail subscriber (unverified ones get the SMS code, or the confirmation posted into the
//! channel). Every field is checked before anything is stored: a bad number or URL is a 400
//! naming its field. A known number or URL keeps its subscriber unchanged, as a known
//! address does.
//!
//! The answer is the mail subscriber; its `phone_number` shows the number masked and its
//! `slack_webhook_url` the URL's scheme and host only (the path is the channel's credential),
//! to every token alike. Listings show each subscriber on its own row: an SMS subscriber with
//! its number masked, a chat subscriber with its URL so redacted, and an empty `email`.

use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::model::*;
use crate::store::{SubscriberFilter, SubscriberQuery};
use crate::validate::{Email, HttpUrl, PhoneNumber, ViolationExt};
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
    let phone = c.take(optional_contact(i, "phone_number", |p| {
        PhoneNumber::parse(p).field("phone_number")
    }));
    let chat = c.take(optional_contact(i, "slack_webhook_url", |u| {
        HttpUrl::parse(u).field("slack_webhook_url")
    }));
    let verify = c.take(bool_field(i, "verify"));
    let components = c.take(id_list(i, "components"));
    c.finish()?;
    let email = checked(email)?;
    let phone = checked(phone)?;
    let chat = checked(chat)?;
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
    let mut contacts = vec![crate::SubscriberAddress::Email(email.clone())];
    contacts.extend(phone.clone().map(crate::SubscriberAddress::Sms));
    contacts.extend(chat.clone().map(crate::SubscriberAddress::Chat));
    let answer = call
        .cachet
        .add_subscribers_answer(&call.actor, &contacts, components.clone(), verified, locale)
        .await?;
    let mut dto = match answer {
        Some(s) => {
            let subs = call.cachet.subscriptions_of(&call.actor, s.id).await?;
            present::subscriber(
                &s,
                &crate::SubscriberAddress::Email(email.clone()),
                &subs,
                call.tz,
            )
        }
        // A token that may not read addresses learns nothing of a stored subscriber: the
        // answer echoes the request, the same for a new address and a known one.
        None => {
            present::accepted_subscriber(&email, &components, verified, call.cachet.now(), call.tz)
        }
    };
    // The siblings asked for, in the listing's redacted forms (the request echoed, so the
    // same for a new number or URL and a known one).
    dto.phone_number = phone.as_ref().map(PhoneNumber::masked);
    dto.slack_webhook_url = chat.as_ref().map(crate::redacted_chat_url);
    Ok(item(dto))
}

/// An optional contact field: absent, `null` or empty is none (Cachet's clients send the
/// model's keys empty); anything else must `parse`.
fn optional_contact<T>(
    input: &crate::web::input::Input,
    key: &'static str,
    parse: impl Fn(&str) -> Result<T, crate::validate::ValidationError>,
) -> Result<Option<T>, Fail> {
    match input.text(key)? {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => Ok(Some(parse(&v)?)),
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
