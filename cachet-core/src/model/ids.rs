//! Integer ids, one type per entity so an incident id can never be passed as a component id.
//!
//! Every id type parses ([`std::str::FromStr`]) the way ids come in from paths, queries and
//! forms: a positive decimal integer, ASCII digits only. That is what Cachet's own pages and
//! API clients send; anything else (a sign, spaces, `1e3`, `0x1f`, zero, overflow) is a
//! [`ParseIdError`] rather than a number read leniently, so one id has one set of spellings
//! everywhere.

/// Why a string is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseIdError {
    /// Nothing to parse.
    #[error("an id cannot be empty")]
    Empty,
    /// Something other than ASCII digits: a sign, a space, a decimal point, a letter.
    #[error("an id is decimal digits only, without sign or spaces")]
    NotDecimal,
    /// Zero: ids start at 1.
    #[error("an id is 1 or more")]
    Zero,
    /// More than an `i64` holds.
    #[error("an id is at most 9223372036854775807")]
    TooLarge,
}

/// Parses a positive decimal id: ASCII digits only (leading zeros are read as Cachet reads
/// them), at least 1, at most `i64::MAX`.
///
/// # Errors
///
/// A [`ParseIdError`] saying which rule the text breaks.
pub fn parse_id(s: &str) -> Result<i64, ParseIdError> {
    if s.is_empty() {
        return Err(ParseIdError::Empty);
    }
    // Checked first: `i64::from_str` itself accepts a leading `+` or `-`.
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseIdError::NotDecimal);
    }
    match s.parse::<i64>() {
        Ok(0) => Err(ParseIdError::Zero),
        Ok(n) => Ok(n),
        // Only digits, so the one way to fail is overflow.
        Err(_) => Err(ParseIdError::TooLarge),
    }
}

macro_rules! id_types {
    ($( $(#[$meta:meta])* $ty:ident ),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $ty(pub i64);

        impl $ty {
            /// The raw integer.
            #[must_use]
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, ParseIdError> {
                parse_id(s).map(Self)
            }
        }

        impl From<$ty> for i64 {
            fn from(id: $ty) -> i64 {
                id.0
            }
        }
    )+};
}

id_types! {
    /// A component.
    ComponentId,
    /// A component group.
    GroupId,
    /// An entry of a component's status history.
    StatusChangeId,
    /// An incident.
    IncidentId,
    /// An incident update.
    IncidentUpdateId,
    /// An incident template.
    TemplateId,
    /// A maintenance schedule.
    ScheduleId,
    /// A maintenance schedule update.
    ScheduleUpdateId,
    /// A metric.
    MetricId,
    /// A metric point.
    MetricPointId,
    /// A subscriber.
    SubscriberId,
    /// A subscriber's subscription to one component.
    SubscriptionId,
    /// A webhook endpoint.
    WebhookId,
    /// An integration that sends monitoring alerts.
    IntegrationId,
    /// A rule of an integration.
    AlertRuleId,
    /// A user.
    UserId,
    /// An API token.
    ApiTokenId,
    /// A session.
    SessionId,
    /// A purpose-bound one-time token.
    OneTimeTokenId,
    /// An audit event.
    AuditEventId,
    /// A notification outbox event.
    OutboxEventId,
    /// One delivery of an outbox event to one recipient over one channel.
    DeliveryId,
    /// One attempt at a delivery.
    DeliveryAttemptId,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_are_positive_decimal_integers() {
        assert_eq!("12".parse::<ComponentId>(), Ok(ComponentId(12)));
        assert_eq!("007".parse::<IncidentId>(), Ok(IncidentId(7)));
        assert_eq!(
            "9223372036854775807".parse::<MetricId>(),
            Ok(MetricId(i64::MAX))
        );
        for (bad, why) in [
            ("", ParseIdError::Empty),
            ("0", ParseIdError::Zero),
            ("000", ParseIdError::Zero),
            ("-1", ParseIdError::NotDecimal),
            ("+1", ParseIdError::NotDecimal),
            (" 1", ParseIdError::NotDecimal),
            ("1 ", ParseIdError::NotDecimal),
            ("1a", ParseIdError::NotDecimal),
            ("1.0", ParseIdError::NotDecimal),
            ("1e3", ParseIdError::NotDecimal),
            ("0x1f", ParseIdError::NotDecimal),
            ("١٢", ParseIdError::NotDecimal),
            ("9223372036854775808", ParseIdError::TooLarge),
            ("99999999999999999999", ParseIdError::TooLarge),
        ] {
            assert_eq!(bad.parse::<ComponentId>(), Err(why), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn display_and_from_str_round_trip(n in 1..=i64::MAX) {
            let id = IncidentId(n);
            prop_assert_eq!(id.to_string().parse::<IncidentId>(), Ok(id));
            prop_assert_eq!(UserId(n).to_string().parse::<UserId>(), Ok(UserId(n)));
        }

        #[test]
        fn anything_but_digits_is_refused(s in "\\PC*") {
            let parsed = s.parse::<ComponentId>();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                prop_assert!(parsed.is_err(), "{:?}", s);
            } else if let Ok(id) = parsed {
                prop_assert!(id.get() > 0);
            }
        }

        #[test]
        fn signs_spaces_and_padding_are_refused(n in 1..=i64::MAX, pre in "[+ \\t-]{1,3}", post in "[ \\t\\n.]{0,2}") {
            let padded = format!("{pre}{n}{post}");
            prop_assert!(padded.parse::<SubscriberId>().is_err(), "{:?}", padded);
            let trailing = format!("{n}{post}");
            prop_assert_eq!(trailing.parse::<SubscriberId>().is_err(), !post.is_empty());
        }
    }
}
