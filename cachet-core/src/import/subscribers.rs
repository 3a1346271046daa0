//! Mail subscribers (addresses sealed with their blind index) and their subscriptions.

use std::collections::{BTreeMap, BTreeSet};

use super::builder::{Builder, int, map_table, opt_int, text};
use super::source::{Field, rows, rule};
use super::{ImportError, Source};
use crate::model::SubscriberChannel;
use crate::secrets::Keyring;
use crate::store::backup::Value;
use crate::validate::{Email, Locale};

pub(super) fn map_subscribers(
    b: &mut Builder,
    source: &Source,
    keyring: &Keyring,
    components: &BTreeSet<i64>,
    locale: &Locale,
    now: i64,
) -> Result<(), ImportError> {
    // A subscriber who follows chosen components keeps exactly those; one who follows no
    // component got nothing from Cachet, and would follow everything here, so is left out.
    let mut follows: BTreeMap<i64, Vec<(i64, i64, i64)>> = BTreeMap::new();
    let mut bad_subscriptions = Vec::new();
    for r in rows(source, "subscriptions") {
        let id = r.id();
        let parsed = (|| -> Field<(i64, i64, i64)> {
            Ok((
                r.int("subscriber_id")?,
                r.int("component_id")?,
                r.time_or("created_at", now)?,
            ))
        })();
        match (id, parsed) {
            (Some(id), Ok((subscriber, component, at))) => {
                if components.contains(&component) {
                    follows
                        .entry(subscriber)
                        .or_default()
                        .push((id, component, at));
                } else {
                    bad_subscriptions
                        .push((Some(id), format!("component {component} is not imported")));
                }
            }
            (id, Err(e)) => bad_subscriptions.push((id, e)),
            (None, Ok(_)) => bad_subscriptions.push((None, "id: not an integer".to_owned())),
        }
    }
    let mut indexes = BTreeSet::new();
    let mut sealing = None;
    let mut global = BTreeSet::new();
    let subscribers = map_table(b, source, "subscribers", |r, id| {
        let address = r.raw("email").map(str::trim).filter(|s| !s.is_empty());
        let address = address.ok_or(
            "email: none (SMS and Slack subscribers are not supported; only mail is imported)",
        )?;
        let email = rule("email", Email::parse(address))?;
        let is_global = r.bool_or("global", true)?;
        if !is_global && follows.get(&id).is_none_or(Vec::is_empty) {
            return Err("follows no imported component".to_owned());
        }
        let (sealed, index) = match keyring.seal_email(&email) {
            Ok(s) => s,
            Err(e) => {
                sealing = Some(e);
                return Err("email: could not be sealed".to_owned());
            }
        };
        if !indexes.insert(index.0) {
            return Err("email: another subscriber has this address".to_owned());
        }
        if is_global {
            global.insert(id);
        }
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            int(i64::from(sealed.key_id)),
            Value::Bytes(sealed.ciphertext),
            Value::Bytes(index.0.to_vec()),
            text(locale.as_str()),
            opt_int(r.opt_time(r.pick(&["verified_at", "email_verified_at"]))?),
            int(created),
            int(r.time_or("updated_at", created)?),
            // Cachet's subscribers are mail subscribers (the optional number a 2.4
            // subscriber could carry is not read).
            text(SubscriberChannel::Email.as_str()),
        ]))
    });
    if let Some(e) = sealing {
        return Err(ImportError::Seal(e));
    }
    let read = rows(source, "subscriptions").count();
    let mut imported = 0;
    for (subscriber, list) in follows {
        let mut seen = BTreeSet::new();
        for (id, component, at) in list {
            if !subscribers.contains(&subscriber) {
                bad_subscriptions
                    .push((Some(id), format!("subscriber {subscriber} is not imported")));
            } else if global.contains(&subscriber) || !seen.insert(component) {
                // A global subscriber follows everything already.
                b.skip("subscriptions");
            } else {
                b.push(
                    "subscriptions",
                    vec![int(id), int(subscriber), int(component), int(at)],
                );
                imported += 1;
            }
        }
    }
    for (id, reason) in bad_subscriptions {
        b.reject("subscriptions", id, reason);
    }
    b.count("subscriptions", read, imported);
    Ok(())
}
