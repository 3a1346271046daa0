//! The answers of API v1, as types: the presenters ([`super::present`]) build these, the
//! handlers serialize them, and the OpenAPI document describes them through `ToSchema`, so
//! what is served and what is documented are one declaration.
//!
//! Fields are declared in alphabetical order: the answers were first written as
//! `serde_json::Value` objects, whose keys serde_json keeps sorted, and Cachet's clients (and
//! the golden answers in the tests) see exactly those bytes. A struct serializes its fields in
//! declaration order, so a field out of order would change the bytes; a unit test below checks
//! every type.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A one-item answer: `{"data": …}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Data<T> {
    /// The item.
    pub data: T,
}

/// A list answer in Cachet's envelope: `{"data": […], "meta": {"pagination": …}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paginated<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// The pagination block.
    pub meta: ListMeta,
}

/// The `meta` of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1ListMeta)]
pub struct ListMeta {
    /// Where this page is in the list.
    pub pagination: Pagination,
}

/// Cachet's pagination block.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Pagination)]
pub struct Pagination {
    /// Items on this page.
    #[schema(minimum = 0)]
    pub count: u64,
    /// The 1-based page number.
    #[schema(minimum = 1)]
    pub current_page: u64,
    /// The neighbouring pages.
    pub links: PageLinks,
    /// Items per page (the value used, after clamping).
    #[schema(minimum = 1, maximum = 1000)]
    pub per_page: u64,
    /// Items in the whole list.
    #[schema(minimum = 0)]
    pub total: u64,
    /// Pages in the whole list.
    #[schema(minimum = 0)]
    pub total_pages: u64,
}

/// The page links of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1PageLinks)]
pub struct PageLinks {
    /// Absolute URL of the next page, or `null` on the last.
    pub next_page: Option<String>,
    /// Absolute URL of the previous page, or `null` on the first.
    pub previous_page: Option<String>,
}

/// A component (Cachet 2.4's presenter).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Component)]
pub struct ComponentDto {
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// Always `null` (deleted components are gone).
    pub deleted_at: Option<String>,
    /// Plain text.
    pub description: String,
    /// Whether the component is shown.
    pub enabled: bool,
    /// 0 when ungrouped.
    pub group_id: i64,
    /// The component's id.
    pub id: i64,
    /// An http(s) URL, or `""`.
    pub link: String,
    /// `{key: value}` or `null`.
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    /// The name.
    pub name: String,
    /// Display position.
    pub order: i64,
    /// 0 unknown, 1 operational, 2 performance issues, 3 partial outage, 4 major outage.
    #[schema(minimum = 0, maximum = 4)]
    pub status: i64,
    /// The status in words.
    pub status_name: String,
    /// `{slug: name}`, or `[]` when there are none (PHP's empty array).
    pub tags: Value,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
}

/// A component group with its enabled components.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Group)]
pub struct ComponentGroupDto {
    /// 0 expanded, 1 collapsed, 2 collapsed unless an incident is open.
    pub collapsed: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// The group's enabled components the reader may see.
    pub enabled_components: Vec<ComponentDto>,
    /// Those of them in the worst status.
    pub enabled_components_lowest: Vec<ComponentDto>,
    /// The group's id.
    pub id: i64,
    /// The worst status of the enabled components in words, `null` without any.
    pub lowest_human_status: Option<String>,
    /// The name.
    pub name: String,
    /// Display position.
    pub order: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// 0 signed-in users only, 1 public.
    pub visible: i64,
}

/// An incident update.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1IncidentUpdate)]
pub struct IncidentUpdateDto {
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// The status in words.
    pub human_status: String,
    /// The update's id.
    pub id: i64,
    /// The incident it belongs to.
    pub incident_id: i64,
    /// Markdown source.
    pub message: String,
    /// The update's anchor on the incident's page.
    pub permalink: String,
    /// 1 investigating, 2 identified, 3 watching, 4 fixed.
    pub status: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// The author, if known.
    pub user_id: Option<i64>,
}

/// An incident with its updates, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Incident)]
pub struct IncidentDto {
    /// The first affected component, or 0.
    pub component_id: i64,
    /// Every affected component with its status in this incident, by id (an addition to
    /// Cachet 2.4, which knew one `component_id`; set it on writes with `components`).
    pub components: Vec<AffectedComponentDto>,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// Always `null`.
    pub deleted_at: Option<String>,
    /// Seconds from the incident to its latest update.
    pub duration: i64,
    /// The status in words.
    pub human_status: String,
    /// The incident's id.
    pub id: i64,
    /// Whether the latest status is "fixed".
    pub is_resolved: bool,
    /// The latest status in words.
    pub latest_human_status: String,
    /// CSS classes of the latest status' icon (Cachet's themes).
    pub latest_icon: String,
    /// The latest update's status, else the incident's.
    pub latest_status: i64,
    /// The latest update, if any.
    pub latest_update_id: Option<i64>,
    /// Markdown source.
    pub message: String,
    /// `{key: value}`, or `[]` when empty (PHP's empty array).
    pub meta: Value,
    /// The name.
    pub name: String,
    /// Whether subscribers were notified.
    pub notifications: bool,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub occurred_at: String,
    /// The incident's page.
    pub permalink: String,
    /// 0 scheduled, 1 investigating, 2 identified, 3 watching, 4 fixed.
    pub status: i64,
    /// Pinned to the top of the page.
    pub stickied: bool,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// The updates, newest first.
    pub updates: Vec<IncidentUpdateDto>,
    /// The author, if known.
    pub user_id: Option<i64>,
    /// 0 or 1.
    pub visible: i64,
}

/// A component an incident affects, and its status in the incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1AffectedComponent)]
pub struct AffectedComponentDto {
    /// The component's id.
    pub id: i64,
    /// 0 unknown, 1 operational, 2 performance issues, 3 partial outage, 4 major outage.
    pub status: i64,
}

/// An incident template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Template)]
pub struct TemplateDto {
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// Always `null`.
    pub deleted_at: Option<String>,
    /// The template's id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// What `POST /incidents` names it by.
    pub slug: String,
    /// The template source (a restricted Twig subset, rendered without code execution).
    pub template: String,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
}

/// The name of a metric's default view, as Cachet's charts call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricViewName {
    /// The last hour.
    LastHour,
    /// Today.
    Today,
    /// The last seven days.
    Week,
    /// The last thirty days.
    Month,
}

/// A metric.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Metric)]
pub struct MetricDto {
    /// 0 sum, 1 average.
    pub calc_type: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// The value of a period without points.
    pub default_value: f64,
    /// 0 last hour, 1 today, 2 week, 3 month.
    pub default_view: i64,
    /// `default_view` by name.
    pub default_view_name: MetricViewName,
    /// Markdown source.
    pub description: String,
    /// Whether the chart is shown.
    pub display_chart: bool,
    /// The metric's id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// Display position.
    pub order: i64,
    /// Decimal places shown.
    pub places: i64,
    /// The unit shown after values.
    pub suffix: String,
    /// Minutes per point.
    pub threshold: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// 0 signed-in users, 1 public, 2 hidden.
    pub visible: i64,
}

/// A metric point; `calculated_value` = `value` x `counter`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1MetricPoint)]
pub struct MetricPointDto {
    /// `value` x `counter`.
    pub calculated_value: f64,
    /// How many points were merged into this one.
    pub counter: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// The point's id.
    pub id: i64,
    /// The metric it belongs to.
    pub metric_id: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// The recorded value.
    pub value: f64,
}

/// A maintenance schedule with the components it covers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Schedule)]
pub struct ScheduleDto {
    /// `Y-m-d H:i:s` in the request's time zone, or `null`.
    pub completed_at: Option<String>,
    /// The covered components the reader may see.
    pub components: Vec<ComponentDto>,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// Always `null`.
    pub deleted_at: Option<String>,
    /// The status in words.
    pub human_status: String,
    /// The schedule's id.
    pub id: i64,
    /// Markdown source.
    pub message: String,
    /// The name.
    pub name: String,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub scheduled_at: String,
    /// 0 upcoming, 1 in progress, 2 complete.
    pub status: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
}

/// A subscription of a subscriber to a component.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Subscription)]
pub struct SubscriptionDto {
    /// The component subscribed to.
    pub component_id: i64,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// `null` in the answer to a token that may not read addresses (the request echoed).
    pub id: Option<i64>,
    /// `null` as `id` is.
    pub subscriber_id: Option<i64>,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
}

/// A subscriber, for an admin token. Never carries a verification code or link token.
/// Creating one with a token that may not read addresses answers the request echoed,
/// with a `null` id, whether or not the address was already subscribed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Subscriber)]
pub struct SubscriberDto {
    /// `Y-m-d H:i:s` in the request's time zone.
    pub created_at: String,
    /// The address.
    pub email: String,
    /// Subscribed to every component.
    pub global: bool,
    /// `null` in the answer to a token that may not read addresses.
    pub id: Option<i64>,
    /// An SMS subscriber's number, masked (`+44 ••• ••• 3456`); on a create's answer, the
    /// number of the SMS subscriber the request added beside the address, masked. `null`
    /// otherwise.
    pub phone_number: Option<String>,
    /// A chat subscriber's incoming-webhook URL as scheme and host only
    /// (`https://hooks.slack.com/[redacted]`: the path is the channel's credential); on a
    /// create's answer, the URL of the chat subscriber the request added, so redacted.
    /// `null` otherwise.
    pub slack_webhook_url: Option<String>,
    /// Its subscriptions to single components.
    pub subscriptions: Vec<SubscriptionDto>,
    /// `Y-m-d H:i:s` in the request's time zone.
    pub updated_at: String,
    /// `Y-m-d H:i:s` in the request's time zone, `null` until verified.
    pub verified_at: Option<String>,
}

/// `GET /ping`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Ping)]
pub struct PingDto {
    /// `"Pong!"`.
    pub data: String,
}

/// `GET /version`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Version)]
pub struct VersionDto {
    /// The running version.
    pub data: String,
    /// How it compares with the latest release.
    pub meta: VersionMeta,
}

/// The `meta` of `GET /version`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1VersionMeta)]
pub struct VersionMeta {
    /// The release compared with.
    pub latest: Release,
    /// Whether the running version is the latest.
    pub on_latest: bool,
}

/// The release `GET /version` compares with.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1Release)]
pub struct Release {
    /// Always `false`.
    pub draft: bool,
    /// Cachet's spelling; always `false`.
    pub prelease: bool,
    /// `v` and the version.
    pub tag_name: String,
}

/// The overall status (`GET /status`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = V1StatusData)]
pub struct StatusDto {
    /// A sentence for people.
    pub message: String,
    /// `success`, `info` or `danger`.
    pub status: String,
}

/// Cachet's error envelope, for every 4xx and 5xx of both APIs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiError {
    /// One error (Cachet always sends one).
    pub errors: Vec<ApiErrorObject>,
}

/// One error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiErrorObject {
    /// A sentence for people.
    pub detail: String,
    /// The request id (API v1 only; also in the `X-Request-Id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Validation details of a 400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<ApiErrorMeta>,
    /// The HTTP status.
    pub status: u16,
    /// The status' reason phrase.
    pub title: String,
}

/// Validation details of a 400.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiErrorMeta {
    /// One `field: rule` message per failure.
    pub details: Vec<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::*;

    /// The bytes of `v` written directly equal those of `v` through a `Value` (whose keys are
    /// sorted): the fields are in alphabetical order, nested types included.
    fn sorted<T: Serialize>(v: &T) {
        let direct = serde_json::to_string(v).unwrap();
        let through_value = serde_json::to_value(v).unwrap().to_string();
        assert_eq!(direct, through_value);
    }

    fn component() -> ComponentDto {
        ComponentDto {
            created_at: "c".into(),
            deleted_at: None,
            description: "d".into(),
            enabled: true,
            group_id: 1,
            id: 2,
            link: String::new(),
            meta: Some(json!({"b": 1, "a": 2})),
            name: "n".into(),
            order: 0,
            status: 1,
            status_name: "Operational".into(),
            tags: json!({"z": "Z", "a": "A"}),
            updated_at: "u".into(),
        }
    }

    #[test]
    fn every_answer_serializes_its_fields_in_sorted_order() {
        let c = component();
        let update = IncidentUpdateDto {
            created_at: "c".into(),
            human_status: "h".into(),
            id: 1,
            incident_id: 1,
            message: "m".into(),
            permalink: "p".into(),
            status: 1,
            updated_at: "u".into(),
            user_id: Some(1),
        };
        sorted(&Data { data: c.clone() });
        sorted(&ComponentGroupDto {
            collapsed: 0,
            created_at: "c".into(),
            enabled_components: vec![c.clone()],
            enabled_components_lowest: vec![c.clone()],
            id: 1,
            lowest_human_status: None,
            name: "n".into(),
            order: 0,
            updated_at: "u".into(),
            visible: 1,
        });
        sorted(&IncidentDto {
            component_id: 0,
            components: Vec::new(),
            created_at: "c".into(),
            deleted_at: None,
            duration: 0,
            human_status: "h".into(),
            id: 1,
            is_resolved: false,
            latest_human_status: "l".into(),
            latest_icon: "i".into(),
            latest_status: 1,
            latest_update_id: Some(1),
            message: "m".into(),
            meta: json!([]),
            name: "n".into(),
            notifications: true,
            occurred_at: "o".into(),
            permalink: "p".into(),
            status: 1,
            stickied: false,
            updated_at: "u".into(),
            updates: vec![update],
            user_id: None,
            visible: 1,
        });
        sorted(&TemplateDto {
            created_at: "c".into(),
            deleted_at: None,
            id: 1,
            name: "n".into(),
            slug: "s".into(),
            template: "t".into(),
            updated_at: "u".into(),
        });
        sorted(&MetricDto {
            calc_type: 0,
            created_at: "c".into(),
            default_value: 0.5,
            default_view: 1,
            default_view_name: MetricViewName::LastHour,
            description: "d".into(),
            display_chart: true,
            id: 1,
            name: "n".into(),
            order: 0,
            places: 2,
            suffix: "ms".into(),
            threshold: 5,
            updated_at: "u".into(),
            visible: 1,
        });
        sorted(&Paginated {
            data: vec![MetricPointDto {
                calculated_value: 1.5,
                counter: 1,
                created_at: "c".into(),
                id: 1,
                metric_id: 1,
                updated_at: "u".into(),
                value: 1.5,
            }],
            meta: ListMeta {
                pagination: Pagination {
                    count: 1,
                    current_page: 1,
                    links: PageLinks {
                        next_page: Some("n".into()),
                        previous_page: None,
                    },
                    per_page: 20,
                    total: 1,
                    total_pages: 1,
                },
            },
        });
        sorted(&ScheduleDto {
            completed_at: None,
            components: vec![c],
            created_at: "c".into(),
            deleted_at: None,
            human_status: "h".into(),
            id: 1,
            message: "m".into(),
            name: "n".into(),
            scheduled_at: "s".into(),
            status: 0,
            updated_at: "u".into(),
        });
        sorted(&SubscriberDto {
            created_at: "c".into(),
            email: "e".into(),
            global: false,
            id: None,
            phone_number: None,
            slack_webhook_url: None,
            subscriptions: vec![SubscriptionDto {
                component_id: 1,
                created_at: "c".into(),
                id: None,
                subscriber_id: None,
                updated_at: "u".into(),
            }],
            updated_at: "u".into(),
            verified_at: None,
        });
        sorted(&VersionDto {
            data: "1".into(),
            meta: VersionMeta {
                latest: Release {
                    draft: false,
                    prelease: false,
                    tag_name: "v1".into(),
                },
                on_latest: true,
            },
        });
        sorted(&Data {
            data: StatusDto {
                message: "m".into(),
                status: "success".into(),
            },
        });
        sorted(&ApiError {
            errors: vec![ApiErrorObject {
                detail: "d".into(),
                id: Some("r".into()),
                meta: Some(ApiErrorMeta {
                    details: vec!["x".into()],
                }),
                status: 400,
                title: "Bad Request".into(),
            }],
        });
    }
}
