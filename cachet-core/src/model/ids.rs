//! Integer ids, one type per entity so an incident id can never be passed as a component id.

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
