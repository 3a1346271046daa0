//! SMS subscribers: subscribe a mobile number with double opt-in by code, confirm it, and
//! opt out by replying STOP.
//!
//! # The flow
//!
//! - **Subscribe** ([`Cachet::subscribe_sms`]) answers the same for a new, an unverified and a
//!   verified number (no enumeration), like the mail form. A number outside the configured
//!   regions ([`SmsPolicy::allowed_regions`]) is refused before anything is stored or sent
//!   (SMS pumping: premium and far-away destinations cost the page money). A new number
//!   becomes an unverified SMS subscriber and gets one SMS with a confirmation code; a known
//!   unverified one gets a fresh code; a verified one gets an SMS with its manage link.
//! - **The code** is six random digits, minted when the SMS is rendered, stored only as a
//!   keyed MAC over the subscriber and the code (purpose `sms_code`), expiring after
//!   [`SMS_CODE_TTL`]. A new code ends the previous one. [`SMS_CODE_TRIES`] wrong tries void
//!   the code: the number then needs a new one, which spends its budget.
//! - **Confirm** ([`Cachet::confirm_sms`]) verifies the subscriber and sends one SMS with the
//!   manage link (where components are chosen and the subscription is ended).
//! - **Opt out**: a provider's inbound webhook, verified by its signature, with a STOP reply
//!   deletes the subscriber ([`Cachet::sms_opt_out`]).
//!
//! # Budgets
//!
//! Every SMS the form causes spends the number's budget (the mail budget's rules, kept under
//! `confirm-sms:<blind index>`): one per 15 minutes and five a day, whoever asks. The web
//! layer's per-client subscribe limit applies to the SMS routes too. The dispatcher keeps an
//! instance-wide daily maximum ([`SmsPolicy::daily_limit`]) on top, so no flood of
//! subscriptions can run up the bill.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{Actor, Cachet, Error, Result};
use crate::model::*;
use crate::notify::{budget, events};
use crate::store::*;
use crate::validate::{Locale, PhoneNumber, ValidationError, Violation};

/// How many digits a confirmation code has.
pub const SMS_CODE_DIGITS: usize = 6;
/// How long a confirmation code works.
pub const SMS_CODE_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// Wrong tries after which a code is void.
pub const SMS_CODE_TRIES: u32 = 5;
/// The default [`SmsPolicy::daily_limit`].
pub const DEFAULT_SMS_DAILY_LIMIT: u32 = 500;

/// SMS subscriptions: where numbers may be, how inbound webhooks are verified, and how many
/// SMS a day the instance sends. The default has no region: SMS subscriptions are off.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmsPolicy {
    /// ISO 3166-1 alpha-2 regions (`US`, `GB`) a subscriber's number may be in; empty turns
    /// SMS subscriptions off. Keep it equal to the SMS notifier's allowlist.
    pub allowed_regions: BTreeSet<String>,
    /// Twilio's auth token, to verify `X-Twilio-Signature` on inbound messages; `None`
    /// refuses every Twilio webhook.
    pub twilio_auth_token: Option<String>,
    /// Vonage's signature secret, to verify signed inbound messages; `None` refuses every
    /// Vonage webhook.
    pub vonage_signature_secret: Option<String>,
    /// The most SMS the dispatcher sends in a UTC day, all recipients together (default
    /// [`DEFAULT_SMS_DAILY_LIMIT`]). Past it, SMS deliveries fail for good.
    pub daily_limit: u32,
}

impl SmsPolicy {
    /// SMS subscriptions for numbers in these regions (uppercased), without inbound
    /// webhooks, with the default daily limit.
    #[must_use]
    pub fn for_regions<I, S>(regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            allowed_regions: regions
                .into_iter()
                .map(|r| r.as_ref().trim().to_ascii_uppercase())
                .filter(|r| !r.is_empty())
                .collect(),
            ..Self::default()
        }
    }

    /// Whether SMS subscriptions are on (some region is allowed).
    #[must_use]
    pub fn enabled(&self) -> bool {
        !self.allowed_regions.is_empty()
    }
}

impl Default for SmsPolicy {
    fn default() -> Self {
        Self {
            allowed_regions: BTreeSet::new(),
            twilio_auth_token: None,
            vonage_signature_secret: None,
            daily_limit: DEFAULT_SMS_DAILY_LIMIT,
        }
    }
}

impl std::fmt::Debug for SmsPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The webhook secrets are credentials: only whether they are set.
        f.debug_struct("SmsPolicy")
            .field("allowed_regions", &self.allowed_regions)
            .field("twilio_auth_token", &self.twilio_auth_token.is_some())
            .field(
                "vonage_signature_secret",
                &self.vonage_signature_secret.is_some(),
            )
            .field("daily_limit", &self.daily_limit)
            .finish()
    }
}

/// The stored form of a confirmation code: a keyed MAC over the subscriber and the code, so
/// two subscribers' equal codes never collide and a copy of the database does not reveal one.
pub(crate) fn sms_code_hash(
    keyring: &crate::secrets::Keyring,
    subscriber: SubscriberId,
    code: &str,
) -> TokenHash {
    TokenHash(keyring.mac(
        crate::secrets::MacPurpose::SmsCode,
        format!("{}:{code}", subscriber.get()).as_bytes(),
    ))
}

/// A fresh random code of [`SMS_CODE_DIGITS`] digits.
pub(crate) fn random_sms_code()
-> std::result::Result<String, crate::auth::tokens::RandomUnavailable> {
    // Rejection sampling below the largest multiple of 10^6 keeps every code equally likely.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let n = u32::from_le_bytes(crate::auth::tokens::random_bytes::<4>()?);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

impl Cachet {
    /// Whether SMS subscriptions are configured ([`SmsPolicy::enabled`]).
    #[must_use]
    pub fn sms_enabled(&self) -> bool {
        self.config().sms.enabled()
    }

    /// The number's region is one SMS go to, or the refusal naming `phone_number`.
    pub(super) fn sms_region_allowed(&self, phone: &PhoneNumber) -> Result<()> {
        if self.config().sms.allowed_regions.contains(&phone.region()) {
            Ok(())
        } else {
            Err(ValidationError::new(
                "phone_number",
                Violation::NotAllowed {
                    allowed: "a mobile number in one of the countries this page sends SMS to",
                },
            )
            .into())
        }
    }

    /// A visitor subscribes a mobile number (double opt-in by code, no enumeration). The
    /// answer is the same whether or not the number is known: a new number becomes an
    /// unverified SMS subscriber and gets a code, an unverified one a fresh code, a verified
    /// one its manage link, each within the number's budget (one SMS per 15 minutes, five a
    /// day). A number outside [`SmsPolicy::allowed_regions`](crate::SmsPolicy) is refused
    /// before anything is stored or sent.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when subscriptions or SMS are off, [`Error::Validation`] naming
    /// `phone_number` for a number outside the allowed regions or `components` for a
    /// component that is not on the page, [`Error::Store`].
    pub async fn subscribe_sms(
        &self,
        client: Option<IpAddr>,
        phone: &PhoneNumber,
        components: &[ComponentId],
        locale: Locale,
    ) -> Result<()> {
        self.subscriptions_open().await?;
        if !self.sms_enabled() {
            return Err(Error::NotFound {
                entity: "sms subscriptions",
            });
        }
        self.sms_region_allowed(phone)?;
        let components = self.subscribable(components).await?;
        let contact = self.keyring().seal_phone(phone)?;
        self.subscribe_sealed(
            client,
            contact,
            SubscriberChannel::Sms,
            components,
            locale,
            "visitor subscribed by SMS, unverified",
        )
        .await
    }

    /// Confirms an SMS subscription with the code sent to the number. Returns whether it was
    /// confirmed; a wrong, expired, used or void code, and a number that is not subscribed,
    /// all answer `false` alike. Each wrong try counts; after [`SMS_CODE_TRIES`] the code is
    /// void.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming `code` when it is not six digits, [`Error::Store`].
    pub async fn confirm_sms(
        &self,
        client: Option<IpAddr>,
        phone: &PhoneNumber,
        code: &str,
    ) -> Result<bool> {
        let code = code.trim();
        if code.len() != SMS_CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "code",
                Violation::Format {
                    expected: "the 6-digit code from the SMS",
                },
            )
            .into());
        }
        let index = self.keyring().phone_index(phone);
        let key = budget::sms_code_key(&index);
        // One try at a time per number, so concurrent guesses all count.
        let _gate = self.inner.attempts.enter(&key).await;
        let now = self.now();
        let state = self.store().throttle(&key).await?;
        let tries = state.as_ref().map_or(0, |s| s.failures);
        if tries >= SMS_CODE_TRIES {
            return Ok(false);
        }
        let subscriber = self
            .store()
            .subscriber_by_blind_index(&index)
            .await?
            .filter(|s| s.channel == SubscriberChannel::Sms);
        let token = match &subscriber {
            Some(s) => {
                let hash = sms_code_hash(self.keyring(), s.id, code);
                self.store()
                    .consume_one_time_token(TokenPurpose::SmsCode, &hash, now)
                    .await?
                    .filter(|t| t.subject_id == Some(s.id.get()))
            }
            None => None,
        };
        let (Some(s), Some(_)) = (subscriber, token) else {
            let failures = tries + 1;
            self.store()
                .save_throttle(&ThrottleState {
                    key: key.clone(),
                    failures,
                    last_failure_at: now,
                    locked_until: None,
                })
                .await?;
            if failures >= SMS_CODE_TRIES
                && let Some(s) = self.store().subscriber_by_blind_index(&index).await?
            {
                // Void: the code that was being guessed no longer works even if found.
                self.store()
                    .end_one_time_tokens(TokenPurpose::SmsCode, s.id.get(), now)
                    .await?;
            }
            return Ok(false);
        };
        self.store().clear_throttle(&key).await?;
        if s.verified_at.is_some() {
            return Ok(true);
        }
        let actor = Actor::anonymous(client);
        let patch = SubscriberPatch {
            verified_at: Some(Some(now)),
            ..SubscriberPatch::default()
        };
        let fx = |c: &Changed<Subscriber>| {
            let mut fx = Effects::audit(self.audit_event(
                &actor,
                AuditAction::Update,
                EntityKind::Subscriber,
                Some(c.after.id.get()),
                AuditOutcome::Success,
                "verified by the SMS code",
            ));
            // The confirmation SMS carries the manage link (components, opting out).
            fx.outbox = events::subscriber_already_subscribed(c.after.id, now);
            fx
        };
        match self
            .store()
            .update_subscriber(self.cx_notifying(), s.id, &patch, &fx)
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A provider reported an inbound SMS from `from` saying `body` (the webhook's signature
    /// already verified by the caller): an opt-out keyword deletes the SMS subscriber with
    /// that number. Returns whether a subscriber was deleted; anything else is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn sms_opt_out(&self, from: &PhoneNumber, body: &str) -> Result<bool> {
        if !crate::notify::inbound_sms::is_opt_out(body) {
            return Ok(false);
        }
        let index = self.keyring().phone_index(from);
        let Some(s) = self
            .store()
            .subscriber_by_blind_index(&index)
            .await?
            .filter(|s| s.channel == SubscriberChannel::Sms)
        else {
            return Ok(false);
        };
        let actor = Actor::anonymous(None);
        let fx = |s: &Subscriber| {
            Effects::audit(self.audit_event(
                &actor,
                AuditAction::Delete,
                EntityKind::Subscriber,
                Some(s.id.get()),
                AuditOutcome::Success,
                "opted out by SMS reply",
            ))
        };
        match self.store().delete_subscriber(self.cx(), s.id, &fx).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
