//! The typed domain: every entity cachet stores, as Rust types.
//!
//! Entities carry integer ids (Cachet's API v1 exposes them) and UTC [`Timestamp`]s. Values
//! that came from users are validated types from [`crate::validate`], so an entity can only
//! hold data that passed its rules. `New*` structs are what a create needs, `*Patch` structs
//! hold the fields an update changes (`None` leaves a field alone; `Some(None)` clears a
//! nullable one).
//!
//! "Under maintenance" is not a stored component status: it is derived from the in-progress
//! maintenance schedules that cover a component.

mod alert;
mod audit;
mod component;
mod idempotency;
mod identity;
mod ids;
mod incident;
mod metric;
mod outbox;
mod schedule;
mod secret;
mod settings;
mod subscriber;

pub use alert::{
    AlertKey, AlertMatcher, AlertObservation, AlertRule, AlertRuleSettings, AlertState,
    Integration, IntegrationKind, IntegrationPatch, MAX_HOLD_SECS, NewAlertRule, NewIntegration,
};
pub use audit::{AuditAction, AuditEvent, AuditOutcome, EntityKind, NewAuditEvent};
pub use component::{
    Collapsed, Component, ComponentGroup, ComponentGroupPatch, ComponentPatch, ComponentStatus,
    GroupVisibility, NewComponent, NewComponentGroup, StatusCause, StatusCauseKind, StatusChange,
    Tag,
};
pub use idempotency::{
    IdempotencyClaim, IdempotencyOutcome, IdempotencyRecord, IdempotencyStep, IdempotentAnswer,
};
pub use identity::{
    ApiToken, ApiTokenPatch, NewApiToken, NewOneTimeToken, NewSession, NewUser, OneTimeToken,
    PASSWORD_HISTORY_LEN, PasswordHash, Role, Session, SessionPatch, ThrottleState, TokenHash,
    TokenPurpose, TokenScope, TotpState, User, UserPatch,
};
pub use ids::*;
pub use incident::{
    AffectedComponent, Incident, IncidentPatch, IncidentStatus, IncidentTemplate,
    IncidentTemplatePatch, IncidentUpdate, IncidentUpdatePatch, NewIncident, NewIncidentTemplate,
    NewIncidentUpdate, Visibility,
};
pub use metric::{
    CalcType, Metric, MetricPatch, MetricPoint, MetricView, NewMetric, NewMetricPoint,
};
pub use outbox::{
    AttemptResult, Delivery, DeliveryAttempt, DeliveryStatus, EventKind, NewDelivery,
    NewDeliveryAttempt, NewOutboxEvent, OutboxEvent, OutboxStatus,
};
pub use schedule::{
    NewSchedule, NewScheduleUpdate, Schedule, SchedulePatch, ScheduleStatus, ScheduleUpdate,
};
pub use secret::{BlindIndex, Sealed};
pub use settings::{DateStyle, SettingKey, Settings};
pub use subscriber::{
    NewSubscriber, NewWebhook, Subscriber, SubscriberChannel, SubscriberPatch, Subscription,
    Webhook, WebhookEvent, WebhookEvents, WebhookFormat, WebhookPatch,
};

pub use crate::clock::Timestamp;

/// Tags deduplicated by slug (the last one with a slug wins) and sorted by slug: how a
/// component's tag set is stored, whichever backend stores it.
#[must_use]
pub fn normalize_tags(tags: &[Tag]) -> Vec<Tag> {
    let mut by_slug = std::collections::BTreeMap::new();
    for tag in tags {
        by_slug.insert(&tag.slug, tag);
    }
    by_slug.into_values().cloned().collect()
}

/// Affected components deduplicated by component (the last one wins) and sorted by id: how
/// an incident's affected components are stored.
#[must_use]
pub fn normalize_affected(components: &[AffectedComponent]) -> Vec<AffectedComponent> {
    let mut by_id = std::collections::BTreeMap::new();
    for a in components {
        by_id.insert(a.component_id, a.status);
    }
    by_id
        .into_iter()
        .map(|(component_id, status)| AffectedComponent {
            component_id,
            status,
        })
        .collect()
}

/// Component ids deduplicated and sorted: how a schedule's components and a subscriber's
/// subscriptions are stored.
#[must_use]
pub fn normalize_ids(ids: &[ComponentId]) -> Vec<ComponentId> {
    ids.iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A patch's rule for one field: `Some` replaces the value, `None` leaves it. Nullable fields
/// are `Option<Option<_>>` in a patch, so the same rule also clears them.
fn set<T: Clone>(field: &mut T, value: Option<&T>) {
    if let Some(v) = value {
        field.clone_from(v);
    }
}

/// Defines a `#[repr(u8)]`-style enum stored and sent as a small integer, with `code()`,
/// `from_code()`, a label and a `Violation` for unknown codes.
macro_rules! int_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident : $allowed:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $ty {
            $( $(#[$vmeta])* $variant = $code ),+
        }

        impl $ty {
            /// Every value, in code order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The integer code stored and sent in API v1.
            #[must_use]
            pub fn code(self) -> u8 {
                self as u8
            }

            /// The value for an integer code.
            ///
            /// # Errors
            ///
            /// [`crate::validate::Violation::NotAllowed`] for an unknown code.
            pub fn from_code(code: i64) -> Result<Self, $crate::validate::Violation> {
                match code {
                    $( $code => Ok($ty::$variant), )+
                    _ => Err($crate::validate::Violation::NotAllowed { allowed: $allowed }),
                }
            }

            /// The English label.
            #[must_use]
            pub fn label(self) -> &'static str {
                match self { $( $ty::$variant => $label ),+ }
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u8(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let n = <i64 as ::serde::Deserialize>::deserialize(d)?;
                Self::from_code(n).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use int_enum;

/// Defines a string-coded enum (roles, scopes, purposes, kinds) with `as_str()` and `parse()`.
macro_rules! str_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident : $allowed:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $s:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $ty {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $ty {
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $( $ty::$variant => $s ),+ }
            }

            /// The value for a stored name.
            ///
            /// # Errors
            ///
            /// [`crate::validate::Violation::NotAllowed`] for an unknown name.
            pub fn parse(s: &str) -> Result<Self, $crate::validate::Violation> {
                match s {
                    $( $s => Ok($ty::$variant), )+
                    _ => Err($crate::validate::Violation::NotAllowed { allowed: $allowed }),
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use str_enum;

/// Chainable setters for the optional fields of a model input: `with_field(value)` sets
/// `field` and returns the input, so code outside the crate can finish a `#[non_exhaustive]`
/// input its constructor started.
macro_rules! with_setters {
    ($ty:ident { $( $setter:ident => $field:ident : $fty:ty ),+ $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "` (see the field).")]
                #[must_use]
                pub fn $setter(mut self, $field: $fty) -> Self {
                    self.$field = $field;
                    self
                }
            )+
        }
    };
}
pub(crate) use with_setters;

/// Fixtures for the patch rule's tests in the entity modules.
#[cfg(test)]
mod test_support {
    use super::Timestamp;
    use crate::validate::{Markdown, Name, Slug, Text};

    pub(super) fn at(secs: i64) -> Timestamp {
        crate::clock::from_micros(secs * 1_000_000).expect("in range")
    }

    pub(super) fn name(s: &str) -> Name {
        Name::parse(s).expect("valid name")
    }

    pub(super) fn text(s: &str) -> Text {
        Text::parse(s).expect("valid text")
    }

    pub(super) fn markdown(s: &str) -> Markdown {
        Markdown::parse(s).expect("valid markdown")
    }

    pub(super) fn slug(s: &str) -> Slug {
        Slug::parse(s).expect("valid slug")
    }

    /// The two halves of the patch rule: the empty patch changes nothing, and `patch` turns
    /// `before` into exactly `expected`.
    pub(super) fn check<T, P>(before: &T, patch: &P, expected: &T, apply: impl Fn(&P, &mut T))
    where
        T: Clone + PartialEq + std::fmt::Debug,
        P: Default,
    {
        let mut unchanged = before.clone();
        apply(&P::default(), &mut unchanged);
        assert_eq!(&unchanged, before, "the empty patch changed something");
        let mut after = before.clone();
        apply(patch, &mut after);
        assert_eq!(&after, expected);
    }
}
