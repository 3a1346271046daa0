//! The visitor's subscription flow (double opt-in, manage, unsubscribe), subscriber export
//! and erasure for admins, delivery visibility, and notification retention.
//!
//! # The visitor flow
//!
//! - **Subscribe** answers the same for a new, an unverified and a verified address (no
//!   enumeration). A new address becomes an unverified subscriber and gets one verification
//!   mail, both committed in one transaction. An unverified address gets a fresh verification
//!   mail; a verified one gets a mail with its manage link. Nothing about an existing
//!   subscription changes, so nobody can take over someone else's subscription by typing
//!   their address.
//! - **Verify** uses a random one-time token (256 bits, stored as SHA-256, purpose
//!   `verification`, expiring, single use), minted when the mail is rendered. The link opens a
//!   page; only its POST confirms (mail scanners prefetch GET links).
//! - **Manage** and **unsubscribe** use stateless signed links ([`crate::notify::links`]).
//!   Unsubscribing deletes the subscriber (nothing is kept about an address that left).
//!
//! # One recipient, one mail per window
//!
//! Every mail the subscribe form causes (verification or "already subscribed") spends the
//! recipient's budget, kept in the store's throttle table under `confirm:<blind index>`: at
//! most one mail per [`CONFIRMATION_SPACING`] and [`CONFIRMATIONS_PER_DAY`] per day, whoever
//! asks and from however many addresses (the per-address rate limit of the web layer cannot
//! see that forty clients name one victim). A subscribe over budget changes nothing and sends
//! nothing, and the visitor gets the same answer as when a mail goes out, so the budget tells
//! nobody whether an address is subscribed. The form's stateless token is a CSRF control, not
//! a rate limit: binding it to the client address would break dual-stack and mobile
//! visitors whose address changes between reading and posting the form, and a single-use
//! token would cost the attacker one more GET per POST; the recipient's budget is what
//! bounds the mails.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{Actor, Cachet, Error, Result};
use crate::auth::policy::Permission;
use crate::model::*;
use crate::notify::links::{self, LinkPurpose};
use crate::notify::{budget, events};
use crate::store::*;
use crate::validate::{Email, Locale, ValidationError, Violation};

/// The longest verification token accepted (a minted one is 43 characters).
const MAX_VERIFY_TOKEN: usize = 128;

/// What a visitor sees of their subscription on the manage page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedSubscription {
    /// The subscriber.
    pub id: SubscriberId,
    /// Subscribed to everything.
    pub global: bool,
    /// The components subscribed to.
    pub components: Vec<ComponentId>,
    /// The mails' locale.
    pub locale: Locale,
}

impl From<&Subscriber> for ManagedSubscription {
    fn from(s: &Subscriber) -> Self {
        Self {
            id: s.id,
            global: s.global,
            components: s.components.clone(),
            locale: s.locale.clone(),
        }
    }
}

impl Cachet {
    /// The components a visitor may subscribe to: enabled and outside signed-in-only groups.
    pub(super) async fn subscribable(&self, chosen: &[ComponentId]) -> Result<Vec<ComponentId>> {
        let actor = Actor::anonymous(None);
        let (_, visible) = self.visible_components(&actor).await?;
        let visible: BTreeSet<ComponentId> = visible.iter().map(|c| c.id).collect();
        let chosen: BTreeSet<ComponentId> = chosen.iter().copied().collect();
        if !chosen.is_subset(&visible) {
            return Err(ValidationError::new(
                "components",
                Violation::NotAllowed {
                    allowed: "components shown on the status page",
                },
            )
            .into());
        }
        Ok(chosen.into_iter().collect())
    }

    pub(super) async fn subscriptions_open(&self) -> Result<()> {
        if self.settings().await?.enable_subscribers {
            Ok(())
        } else {
            Err(Error::NotFound {
                entity: "subscriptions",
            })
        }
    }

    /// A visitor subscribes an address (double opt-in, no enumeration). The answer is the same
    /// whether or not the address is known.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when subscriptions are off, [`Error::Validation`] for a component
    /// that is not on the page, [`Error::Store`].
    pub async fn subscribe(
        &self,
        client: Option<IpAddr>,
        email: &Email,
        components: &[ComponentId],
        locale: Locale,
    ) -> Result<()> {
        self.subscriptions_open().await?;
        let components = self.subscribable(components).await?;
        let contact = self.keyring().seal_email(email)?;
        self.subscribe_sealed(
            client,
            contact,
            SubscriberChannel::Email,
            components,
            locale,
            "visitor subscribed, unverified",
        )
        .await
    }

    /// The rest of a visitor's subscribe once the contact (address, number or chat URL) is
    /// valid and sealed: a known contact gets its confirmation again within its budget, a new
    /// one becomes an unverified subscriber with its confirmation. The answer is the same.
    pub(super) async fn subscribe_sealed(
        &self,
        client: Option<IpAddr>,
        (sealed, index): (Sealed, BlindIndex),
        channel: SubscriberChannel,
        components: Vec<ComponentId>,
        locale: Locale,
        note: &'static str,
    ) -> Result<()> {
        // Each contact has its own confirmation budget; a number's is in a domain of its own
        // (its codes are counted apart from links).
        let key = match channel {
            SubscriberChannel::Sms => budget::sms_confirmation_key(&index),
            _ => budget::confirmation_key(&index),
        };
        // Hold the recipient's budget key until the confirmation is enqueued, so two
        // concurrent subscribes for one contact spend it once (the throttle table has no
        // atomic increment; instances sharing a database can each send one in the same
        // instant at most). Subscribes for other contacts do not wait.
        let _budget = self.inner.attempts.enter(&key).await;
        if let Some(existing) = self.store().subscriber_by_blind_index(&index).await? {
            return self.resend_confirmation(&existing, &key).await;
        }
        let send = self.confirmation_budget(&key).await?;
        let new = NewSubscriber::new(sealed, index, locale)
            .with_channel(channel)
            .with_components(components);
        self.create_unverified(&Actor::anonymous(client), &new, &key, send, note)
            .await
    }

    /// Creates a visitor's unverified subscriber (mail or SMS) with its audit entry and, when
    /// the recipient's budget allowed one (`send`), its verification in the same transaction.
    /// Subscribed at the same moment by another request: answered as for a known one.
    pub(super) async fn create_unverified(
        &self,
        actor: &Actor,
        new: &NewSubscriber,
        budget_key: &str,
        send: bool,
        note: &'static str,
    ) -> Result<()> {
        let now = self.now();
        let fx = |s: &Subscriber| {
            let mut fx = Effects::audit(self.audit_event(
                actor,
                AuditAction::Create,
                EntityKind::Subscriber,
                Some(s.id.get()),
                AuditOutcome::Success,
                note,
            ));
            if send {
                fx.outbox = events::subscriber_verification(s.id, now);
            }
            fx
        };
        match self
            .store()
            .create_subscriber(self.cx_notifying(), new, &fx)
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict { .. }) => {
                match self
                    .store()
                    .subscriber_by_blind_index(&new.blind_index)
                    .await?
                {
                    Some(existing) => self.resend_confirmation(&existing, budget_key).await,
                    None => Ok(()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Spends one message of the recipient's budget under `key` when there is one left:
    /// `false` when none may go now (see the [module docs](self)).
    pub(super) async fn confirmation_budget(&self, key: &str) -> Result<bool> {
        let state = self.store().throttle(key).await?;
        match budget::spend_confirmation(key, state.as_ref(), self.now()) {
            Some(next) => {
                self.store().save_throttle(&next).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A known address (or number) subscribed again: a fresh verification while unverified,
    /// else the "already subscribed" message with the manage link, each only within the
    /// recipient's budget under `key`. Nothing else changes.
    pub(super) async fn resend_confirmation(&self, s: &Subscriber, key: &str) -> Result<()> {
        if !self.confirmation_budget(key).await? {
            return Ok(());
        }
        let now = self.now();
        let events = if s.verified_at.is_some() {
            events::subscriber_already_subscribed(s.id, now)
        } else {
            events::subscriber_verification(s.id, now)
        };
        for e in &events {
            self.store().enqueue(WriteContext::at(now), e).await?;
        }
        Ok(())
    }

    /// Whether a verification token is valid (for the confirm page; does not use it).
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn verification_is_valid(&self, token: &str) -> Result<bool> {
        if token.is_empty() || token.len() > MAX_VERIFY_TOKEN {
            return Ok(false);
        }
        let hash = crate::auth::tokens::hash_secret(token);
        Ok(self
            .store()
            .peek_one_time_token(TokenPurpose::Verification, &hash, self.now())
            .await?
            .is_some())
    }

    /// Confirms a subscription with its verification token (single use). Returns whether the
    /// token was valid and the subscriber still exists.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn confirm_subscription(
        &self,
        client: Option<IpAddr>,
        token: &str,
    ) -> Result<bool> {
        if token.is_empty() || token.len() > MAX_VERIFY_TOKEN {
            return Ok(false);
        }
        let hash = crate::auth::tokens::hash_secret(token);
        let Some(t) = self
            .store()
            .consume_one_time_token(TokenPurpose::Verification, &hash, self.now())
            .await?
        else {
            return Ok(false);
        };
        let Some(id) = t.subject_id.map(SubscriberId) else {
            return Ok(false);
        };
        let s = match self.store().subscriber(id).await {
            Ok(s) => s,
            Err(StoreError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        if s.verified_at.is_some() {
            return Ok(true);
        }
        let actor = Actor::anonymous(client);
        let patch = SubscriberPatch {
            verified_at: Some(Some(self.now())),
            ..SubscriberPatch::default()
        };
        let fx = |c: &Changed<Subscriber>| {
            Effects::audit(self.audit_event(
                &actor,
                AuditAction::Update,
                EntityKind::Subscriber,
                Some(c.after.id.get()),
                AuditOutcome::Success,
                "verified by the subscriber",
            ))
        };
        match self
            .store()
            .update_subscriber(self.cx(), id, &patch, &fx)
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The subscription a signed link names.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the link is not valid for `purpose` or the subscriber is gone.
    pub(crate) async fn subscription_by_link(
        &self,
        purpose: LinkPurpose,
        token: &str,
    ) -> Result<ManagedSubscription> {
        let id = links::verify(self.keyring(), purpose, token).ok_or(Error::NotFound {
            entity: "subscription",
        })?;
        let s = self.store().subscriber(id).await?;
        Ok(ManagedSubscription::from(&s))
    }

    /// Whether a signed link is authentic for `purpose` (whether or not its subscriber still
    /// exists).
    #[must_use]
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) fn link_is_authentic(&self, purpose: LinkPurpose, token: &str) -> bool {
        links::verify(self.keyring(), purpose, token).is_some()
    }

    /// Changes a subscription's components through its signed manage link (empty: all).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for a bad link or a gone subscriber, [`Error::Validation`] for a
    /// component that is not on the page.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn manage_subscription(
        &self,
        client: Option<IpAddr>,
        token: &str,
        components: &[ComponentId],
    ) -> Result<ManagedSubscription> {
        let current = self
            .subscription_by_link(LinkPurpose::Manage, token)
            .await?;
        let components = self.subscribable(components).await?;
        let actor = Actor::anonymous(client);
        let patch = SubscriberPatch {
            components: Some(components),
            ..SubscriberPatch::default()
        };
        let fx = self.audited(
            &actor,
            AuditAction::Update,
            EntityKind::Subscriber,
            |c: &Changed<Subscriber>| c.after.id.get(),
        );
        let s = self
            .store()
            .update_subscriber(self.cx(), current.id, &patch, &fx)
            .await?;
        Ok(ManagedSubscription::from(&s))
    }

    /// Unsubscribes through a signed unsubscribe link: the subscriber is deleted. An
    /// authentic link whose subscriber is already gone succeeds (a repeated one-click POST).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for a link that is not authentic.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) async fn unsubscribe(&self, client: Option<IpAddr>, token: &str) -> Result<()> {
        let id = links::verify(self.keyring(), LinkPurpose::Unsubscribe, token).ok_or(
            Error::NotFound {
                entity: "subscription",
            },
        )?;
        let actor = Actor::anonymous(client);
        let fx = |s: &Subscriber| {
            Effects::audit(self.audit_event(
                &actor,
                AuditAction::Delete,
                EntityKind::Subscriber,
                Some(s.id.get()),
                AuditOutcome::Success,
                "unsubscribed by link",
            ))
        };
        match self.store().delete_subscriber(self.cx(), id, &fx).await {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Everything stored about one subscriber, as JSON, with the opened address
    /// (`ReadSubscriberAddresses`: admins only; audited as an export).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Internal`] when the address cannot
    /// be opened.
    pub async fn export_subscriber(
        &self,
        actor: &Actor,
        id: SubscriberId,
    ) -> Result<serde_json::Value> {
        self.authorize(actor, Permission::ReadSubscriberAddresses)
            .await?;
        let s = self.store().subscriber(id).await?;
        let address = self.open_subscriber_address(&s)?;
        let subscriptions = self.store().subscriptions_of(id).await?;
        self.append_audit(
            actor,
            AuditAction::SubscriberExport,
            EntityKind::Subscriber,
            Some(id.get()),
            AuditOutcome::Success,
            "",
        )
        .await;
        Ok(serde_json::json!({
            "id": s.id.get(),
            "channel": s.channel.as_str(),
            // The subject's own data, for an access request: the whole address or number.
            "email": address.email().map(crate::validate::Email::as_str),
            "phone_number": match &address {
                crate::SubscriberAddress::Sms(p) => Some(p.as_str()),
                _ => None,
            },
            "slack_webhook_url": match &address {
                crate::SubscriberAddress::Chat(u) => Some(u.as_str()),
                _ => None,
            },
            "locale": s.locale.as_str(),
            "verified_at": s.verified_at,
            "global": s.global,
            "subscriptions": subscriptions.iter().map(|x| serde_json::json!({
                "id": x.id.get(),
                "component_id": x.component_id.get(),
                "created_at": x.created_at,
            })).collect::<Vec<_>>(),
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        }))
    }

    /// Erases one subscriber: the row, their subscriptions and thereby their address
    /// (`ReadSubscriberAddresses`: admins only; audited). Deliveries keep only the
    /// subscriber's id and fail when rendered.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn erase_subscriber(&self, actor: &Actor, id: SubscriberId) -> Result<()> {
        self.authorize(actor, Permission::ReadSubscriberAddresses)
            .await?;
        let fx = |s: &Subscriber| {
            Effects::audit(self.audit_event(
                actor,
                AuditAction::Delete,
                EntityKind::Subscriber,
                Some(s.id.get()),
                AuditOutcome::Success,
                "erased",
            ))
        };
        Ok(self.store().delete_subscriber(self.cx(), id, &fx).await?)
    }

    /// A delivery's attempts, oldest first (`ReadDeliveries`: admins only).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`], [`Error::NotFound`].
    pub async fn delivery_attempts(
        &self,
        actor: &Actor,
        id: DeliveryId,
    ) -> Result<Vec<DeliveryAttempt>> {
        self.authorize(actor, Permission::ReadDeliveries).await?;
        Ok(self.store().delivery_attempts(id).await?)
    }

    /// Outbox events (`ReadDeliveries`: admins only).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`].
    pub async fn outbox_events(&self, actor: &Actor, q: OutboxQuery) -> Result<Page<OutboxEvent>> {
        self.authorize(actor, Permission::ReadDeliveries).await?;
        Ok(self.store().outbox_events(&q).await?)
    }

    /// Retention (run by the dispatcher): delivered outbox rows delivered before
    /// `delivered_before`, expired or used one-time tokens, expired sessions, and subscribers
    /// created before `unverified_before` who never verified. Returns how many rows went.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub(crate) async fn prune_notifications(
        &self,
        delivered_before: Timestamp,
        unverified_before: Timestamp,
    ) -> Result<u64> {
        let now = self.now();
        let store = self.store();
        let mut n = store.prune_outbox(delivered_before).await?;
        n += store.prune_one_time_tokens(now).await?;
        n += store.delete_expired_sessions(now).await?;
        let actor = Actor::operator();
        // Bounded per run; the next run takes the rest.
        for _ in 0..100 {
            let q = SubscriberQuery::filtered(SubscriberFilter {
                verified: Some(false),
                created_before: Some(unverified_before),
                ..SubscriberFilter::default()
            })
            .paged(PageRequest::new(1, PageRequest::MAX_PER_PAGE));
            let page = store.subscribers(&q).await?;
            if page.items.is_empty() {
                break;
            }
            for s in &page.items {
                let fx = |s: &Subscriber| {
                    Effects::audit(self.audit_event(
                        &actor,
                        AuditAction::Delete,
                        EntityKind::Subscriber,
                        Some(s.id.get()),
                        AuditOutcome::Success,
                        "never verified; pruned",
                    ))
                };
                match store
                    .delete_subscriber(WriteContext::at(now), s.id, &fx)
                    .await
                {
                    Ok(()) => n += 1,
                    Err(StoreError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(n)
    }
}
