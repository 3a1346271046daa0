//! [`proptest`](mod@proptest) strategies that generate only **valid** values of cachet's validated types.
//!
//! Each strategy builds candidates from a regular expression or a range and keeps those the
//! type's own constructor accepts, so a generated value is exactly what a request could
//! produce. Sizes are kept small (Markdown, meta) so round trips through a database stay fast;
//! the largest values are covered by [`super::store::largest_values_round_trip`].

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use crate::clock::{Timestamp, from_micros};
use crate::model::*;
use crate::validate::{
    Email, HttpUrl, Locale, Markdown, Meta, MetricValue, Name, Order, Places, Slug, Text,
    Threshold, TimeZoneName,
};

/// Display names: mostly ASCII, sometimes any printable Unicode (emoji, CJK, RTL, combining
/// marks), 1 to 40 characters.
pub fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        3 => "[a-zA-Z0-9][a-zA-Z0-9 ._()-]{0,39}",
        1 => "\\PC{1,40}",
        1 => "[a-z]{1,5} [\u{4e00}-\u{4e20}\u{0627}-\u{064a}\u{1F600}-\u{1F640}e\u{0301}]{1,8}",
    ]
    .prop_filter_map("a valid Name", |s| Name::parse(&s).ok())
}

/// Tag names: as [`name`], at most [`Tag::MAX_NAME_CHARS`] characters.
pub fn tag_name() -> impl Strategy<Value = Name> {
    name().prop_filter("a tag name", |n| {
        n.as_str().chars().count() <= Tag::MAX_NAME_CHARS
    })
}

/// Plain multi-line text, up to 80 characters.
pub fn text() -> impl Strategy<Value = Text> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 .,\n\t]{0,80}",
        "[\\PC\n\t]{0,60}"
    ]
    .prop_filter_map("a valid Text", |s| Text::parse(&s).ok())
}

/// Small Markdown sources (up to about 200 characters), including RTL text and markup.
pub fn markdown() -> impl Strategy<Value = Markdown> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 *_#`>\\[\\]()\n-]{0,200}",
        "[\\PC\n\t]{0,100}",
        "\\*\\*[a-z ]{1,20}\\*\\* [\u{0627}-\u{064a} ]{1,20}\n\n- [a-z]{1,10}",
    ]
    .prop_filter_map("a valid Markdown", |s| Markdown::parse(&s).ok())
}

/// Slugs: lowercase letters and digits in runs joined by single hyphens.
pub fn slug() -> impl Strategy<Value = Slug> {
    "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}".prop_filter_map("a valid Slug", |s| Slug::parse(&s).ok())
}

/// Email addresses (stored lowercase).
pub fn email() -> impl Strategy<Value = Email> {
    "[a-zA-Z0-9][a-zA-Z0-9+_-]{0,15}(\\.[a-z0-9]{1,8}){0,2}@[a-z0-9]{1,12}(-[a-z0-9]{1,5})?\\.[a-z]{2,6}"
        .prop_filter_map("a valid Email", |s| Email::parse(&s).ok())
}

/// `http` and `https` URLs with optional port, path and query.
pub fn http_url() -> impl Strategy<Value = HttpUrl> {
    "(http|https|HTTPS)://[a-z0-9]{1,12}(\\.[a-z0-9]{1,8}){0,2}(:[1-9][0-9]{0,3})?(/[a-zA-Z0-9._~-]{0,10}){0,3}(\\?[a-z]{1,5}=[a-z0-9]{0,5})?"
        .prop_filter_map("a valid HttpUrl", |s| HttpUrl::parse(&s).ok())
}

/// Locale tags such as `en`, `pt-BR`, `zh-Hans`.
pub fn locale() -> impl Strategy<Value = Locale> {
    "[a-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,2}"
        .prop_filter_map("a valid Locale", |s| Locale::parse(&s).ok())
}

/// IANA-shaped time zone names such as `UTC`, `Europe/Berlin`, `Etc/GMT+5`.
pub fn time_zone_name() -> impl Strategy<Value = TimeZoneName> {
    prop_oneof![
        Just("UTC".to_owned()),
        "[A-Z][a-z]{2,10}/[A-Z][a-z]{2,10}(_[A-Z][a-z]{2,8})?",
        "Etc/GMT[+-][0-9]{1,2}",
    ]
    .prop_filter_map("a valid TimeZoneName", |s| TimeZoneName::parse(&s).ok())
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| Value::from(i64::from(n))),
        "\\PC{0,20}".prop_map(Value::String),
    ]
}

/// Small metadata objects: up to four keys, values nested at most two levels (no floats and
/// no `null`s, which [`Meta`] drops).
pub fn meta() -> impl Strategy<Value = Meta> {
    let value = json_leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    btree_map("[a-zA-Z_][a-zA-Z0-9_ .-]{0,12}|\\PC{1,6}", value, 0..4)
        .prop_filter_map("a valid Meta", |m: BTreeMap<String, Value>| {
            Meta::from_value(Value::Object(m.into_iter().collect())).ok()
        })
}

/// Metric values across the whole range, with the extremes and small values favoured.
pub fn metric_value() -> impl Strategy<Value = MetricValue> {
    prop_oneof![
        2 => -100_000i64..=100_000,
        1 => -MetricValue::MAX_MILLIS..=MetricValue::MAX_MILLIS,
        1 => select(&[0, 1, -1, MetricValue::MAX_MILLIS, -MetricValue::MAX_MILLIS][..]),
    ]
    .prop_filter_map("a valid MetricValue", |m| MetricValue::from_millis(m).ok())
}

/// Display orders across the whole range.
pub fn order() -> impl Strategy<Value = Order> {
    prop_oneof![-10i64..=10, Order::MIN..=Order::MAX]
        .prop_filter_map("a valid Order", |n| Order::new(n).ok())
}

/// Decimal places, 0 to 4.
pub fn places() -> impl Strategy<Value = Places> {
    (0i64..=4).prop_filter_map("valid Places", |n| Places::new(n).ok())
}

/// Merge windows: the divisors of 60.
pub fn threshold() -> impl Strategy<Value = Threshold> {
    select(&[1i64, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60][..])
        .prop_filter_map("a valid Threshold", |n| Threshold::new(n).ok())
}

/// Times from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, in whole microseconds.
pub fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        3 => 1_600_000_000_000_000i64..=2_000_000_000_000_000,
        1 => 0i64..=253_402_300_799_999_999,
    ]
    .prop_filter_map("a representable time", from_micros)
}

/// Opaque byte strings standing in for sealed ciphertext.
pub fn sealed() -> impl Strategy<Value = Sealed> {
    (any::<u32>(), vec(any::<u8>(), 1..80))
        .prop_map(|(key_id, ciphertext)| Sealed { key_id, ciphertext })
}

macro_rules! enum_strategies {
    ($( $(#[$meta:meta])* $fn:ident => $ty:ty ),+ $(,)?) => {$(
        $(#[$meta])*
        pub fn $fn() -> impl Strategy<Value = $ty> {
            select(<$ty>::ALL)
        }
    )+};
}

enum_strategies! {
    /// Any [`ComponentStatus`].
    component_status => ComponentStatus,
    /// Any [`Collapsed`].
    collapsed => Collapsed,
    /// Any [`GroupVisibility`].
    group_visibility => GroupVisibility,
    /// Any [`StatusCauseKind`].
    status_cause_kind => StatusCauseKind,
    /// Any [`IncidentStatus`].
    incident_status => IncidentStatus,
    /// Any [`Visibility`].
    visibility => Visibility,
    /// Any [`ScheduleStatus`].
    schedule_status => ScheduleStatus,
    /// Any [`CalcType`].
    calc_type => CalcType,
    /// Any [`MetricView`].
    metric_view => MetricView,
    /// Any [`Role`].
    role => Role,
    /// Any [`TokenScope`].
    token_scope => TokenScope,
    /// Any [`TokenPurpose`].
    token_purpose => TokenPurpose,
    /// Any [`AuditAction`].
    audit_action => AuditAction,
    /// Any [`EntityKind`].
    entity_kind => EntityKind,
    /// Any [`AuditOutcome`].
    audit_outcome => AuditOutcome,
    /// Any [`EventKind`].
    event_kind => EventKind,
    /// Any [`OutboxStatus`].
    outbox_status => OutboxStatus,
    /// Any [`DeliveryStatus`].
    delivery_status => DeliveryStatus,
    /// Any [`SettingKey`].
    setting_key => SettingKey,
}

/// Tags with distinct slugs (so the expected stored set is simply the input sorted by slug).
pub fn tags() -> impl Strategy<Value = Vec<Tag>> {
    btree_map(slug(), tag_name(), 0..4).prop_map(|m| {
        m.into_iter()
            .map(|(slug, name)| Tag { slug, name })
            .collect()
    })
}

/// A new ungrouped component with a system cause.
pub fn new_component() -> impl Strategy<Value = NewComponent> {
    (
        name(),
        text(),
        proptest::option::of(http_url()),
        component_status(),
        order(),
        any::<bool>(),
        tags(),
        meta(),
    )
        .prop_map(
            |(name, description, link, status, order, enabled, tags, meta)| NewComponent {
                name,
                description,
                link,
                status,
                order,
                group_id: None,
                enabled,
                tags,
                meta,
                cause: StatusCause::default(),
            },
        )
}

/// A new group.
pub fn new_group() -> impl Strategy<Value = NewComponentGroup> {
    (name(), order(), collapsed(), group_visibility()).prop_map(
        |(name, order, collapsed, visible)| NewComponentGroup {
            name,
            order,
            collapsed,
            visible,
        },
    )
}

/// A new incident without author or affected components.
pub fn new_incident() -> impl Strategy<Value = NewIncident> {
    (
        name(),
        incident_status(),
        markdown(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        timestamp(),
        meta(),
    )
        .prop_map(
            |(name, status, message, visible, stickied, notify, occurred_at, meta)| NewIncident {
                user_id: None,
                name,
                status,
                message,
                visible,
                stickied,
                notify,
                occurred_at,
                components: Vec::new(),
                apply_component_status: false,
                meta,
            },
        )
}

/// A new metric.
pub fn new_metric() -> impl Strategy<Value = NewMetric> {
    (
        (
            name(),
            text(),
            markdown(),
            metric_value(),
            calc_type(),
            any::<bool>(),
        ),
        (places(), metric_view(), threshold(), order(), visibility()),
    )
        .prop_map(
            |(
                (name, suffix, description, default_value, calc_type, display_chart),
                (places, default_view, threshold, order, visible),
            )| {
                NewMetric {
                    name,
                    suffix,
                    description,
                    default_value,
                    calc_type,
                    display_chart,
                    places,
                    default_view,
                    threshold,
                    order,
                    visible,
                }
            },
        )
}

/// A new user (the caller makes addresses unique).
pub fn new_user() -> impl Strategy<Value = NewUser> {
    (
        name(),
        email(),
        role(),
        any::<bool>(),
        "[a-zA-Z0-9+/]{8,40}",
    )
        .prop_map(|(name, email, role, active, hash)| NewUser {
            name,
            email,
            role,
            password_hash: PasswordHash(format!("$argon2id$v=19$m=19456,t=2,p=1${hash}")),
            active,
            only_if_no_admin: false,
        })
}

/// A new global subscriber (the caller makes blind indexes unique).
pub fn new_subscriber() -> impl Strategy<Value = NewSubscriber> {
    (
        sealed(),
        any::<[u8; 32]>(),
        locale(),
        proptest::option::of(timestamp()),
        proptest::sample::select(SubscriberChannel::ALL),
    )
        .prop_map(
            |(email, index, locale, verified_at, channel)| NewSubscriber {
                email,
                blind_index: BlindIndex(index),
                channel,
                locale,
                verified_at,
                components: Vec::new(),
            },
        )
}
