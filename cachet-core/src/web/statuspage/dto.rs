//! The answers of the Statuspage v2 JSON, as types: the presenters ([`super::present`]) build
//! these, the endpoints serialize them, and the OpenAPI document describes them through
//! `ToSchema`, so what is served and what is documented are one declaration.
//!
//! Fields are declared in alphabetical order: the answers were first written as
//! `serde_json::Value` objects, whose keys serde_json keeps sorted, and Statuspage clients (and
//! the golden answers in the tests) see exactly those bytes. A struct serializes its fields in
//! declaration order, so a field out of order would change the bytes; a unit test below checks
//! every type. The schema names keep the `Sp` prefix so they cannot collide with API v1's.
//!
//! Fields that Statuspage has and cachet has nothing for (`affected_components`,
//! `custom_tweet`, `tweet_id`, a maintenance's `monitoring_at`) are always `null`; they stay
//! because Statuspage clients expect the keys.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::model::IncidentStatus;
use crate::status::{EffectiveStatus, Indicator, MaintenancePhase};

/// The page every answer starts with.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpPage)]
pub struct PageDto {
    /// 12 lowercase base36 characters, stable per public URL and key.
    pub id: String,
    /// The site's name.
    pub name: String,
    /// The site's IANA time zone.
    pub time_zone: String,
    /// The latest visible change, ISO-8601 with milliseconds.
    pub updated_at: String,
    /// The configured public URL.
    pub url: String,
}

/// The page indicator, and the impact of an incident or a maintenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SpIndicator)]
pub enum IndicatorDto {
    /// All fine (or an incident whose components are all operational).
    None,
    /// Degraded performance, or an incident without affected components.
    Minor,
    /// A partial outage.
    Major,
    /// A major outage.
    Critical,
    /// Only planned maintenance; always a maintenance's impact.
    Maintenance,
}

impl From<Indicator> for IndicatorDto {
    fn from(i: Indicator) -> Self {
        match i {
            Indicator::None => Self::None,
            Indicator::Minor => Self::Minor,
            Indicator::Major => Self::Major,
            Indicator::Critical => Self::Critical,
            Indicator::Maintenance => Self::Maintenance,
        }
    }
}

/// The top-level status.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpStatus)]
pub struct PageStatusDto {
    /// Statuspage's wording of the indicator.
    pub description: String,
    /// The worst of the components and the unresolved incidents.
    pub indicator: IndicatorDto,
}

/// A component's status as a visitor sees it (unknown shows as operational).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SpComponentStatus)]
pub enum ComponentStatusDto {
    /// Working normally, or not known.
    Operational,
    /// Slow or degraded.
    DegradedPerformance,
    /// Partly down.
    PartialOutage,
    /// Down.
    MajorOutage,
    /// Covered by an in-progress maintenance window.
    UnderMaintenance,
}

impl From<EffectiveStatus> for ComponentStatusDto {
    fn from(s: EffectiveStatus) -> Self {
        match s {
            EffectiveStatus::Unknown | EffectiveStatus::Operational => Self::Operational,
            EffectiveStatus::PerformanceIssues => Self::DegradedPerformance,
            EffectiveStatus::PartialOutage => Self::PartialOutage,
            EffectiveStatus::MajorOutage => Self::MajorOutage,
            EffectiveStatus::UnderMaintenance => Self::UnderMaintenance,
        }
    }
}

/// A component, or a group (`group: true`, with the ids of its `components`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpComponent)]
pub struct ComponentDto {
    /// Groups only: the ids of their components, in page order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
    /// ISO-8601 with milliseconds.
    pub created_at: String,
    /// Plain text; `null` when empty and for groups.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Whether this is a group.
    pub group: bool,
    /// The group's id (`group-1`), `null` when ungrouped and for groups.
    #[schema(required = true)]
    pub group_id: Option<String>,
    /// `component-1` or `group-1`.
    pub id: String,
    /// The name.
    pub name: String,
    /// Always false.
    pub only_show_if_degraded: bool,
    /// The page's id.
    pub page_id: String,
    /// Display position.
    pub position: i32,
    /// True for components (the page draws their history), false for groups.
    pub showcase: bool,
    /// Components: the creation day in the site's zone; `null` for groups.
    #[schema(required = true)]
    pub start_date: Option<String>,
    /// A group's status is the worst of its components'.
    pub status: ComponentStatusDto,
    /// ISO-8601 with milliseconds.
    pub updated_at: String,
}

/// An incident's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SpIncidentStatus)]
pub enum IncidentStatusDto {
    /// Investigating (and Cachet 2.3's scheduled).
    Investigating,
    /// Identified.
    Identified,
    /// Watching.
    Monitoring,
    /// Fixed.
    Resolved,
}

impl From<IncidentStatus> for IncidentStatusDto {
    fn from(s: IncidentStatus) -> Self {
        match s {
            IncidentStatus::Scheduled | IncidentStatus::Investigating => Self::Investigating,
            IncidentStatus::Identified => Self::Identified,
            IncidentStatus::Watching => Self::Monitoring,
            IncidentStatus::Fixed => Self::Resolved,
        }
    }
}

/// A maintenance's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SpMaintenanceStatus)]
pub enum MaintenanceStatusDto {
    /// Not started yet.
    Scheduled,
    /// Running.
    InProgress,
    /// Over.
    Completed,
}

impl From<MaintenancePhase> for MaintenanceStatusDto {
    fn from(p: MaintenancePhase) -> Self {
        match p {
            MaintenancePhase::Upcoming => Self::Scheduled,
            MaintenancePhase::InProgress => Self::InProgress,
            MaintenancePhase::Complete => Self::Completed,
        }
    }
}

/// An update of an incident (the incident's first message is its oldest entry).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpIncidentUpdate)]
pub struct IncidentUpdateDto {
    /// Always `null`.
    #[schema(value_type = Option<Vec<Object>>, required = true)]
    pub affected_components: Option<Vec<Value>>,
    /// Markdown source.
    pub body: String,
    /// ISO-8601 with milliseconds.
    pub created_at: String,
    /// Always `null`.
    #[schema(required = true)]
    pub custom_tweet: Option<String>,
    /// Whether subscribers were notified.
    pub deliver_notifications: bool,
    /// When the update is dated on the page.
    pub display_at: String,
    /// `update-1`, or `incident-1-message` for the first message.
    pub id: String,
    /// The incident's id.
    pub incident_id: String,
    /// The status the update was posted with.
    pub status: IncidentStatusDto,
    /// Always `null`.
    #[schema(required = true)]
    pub tweet_id: Option<String>,
    /// ISO-8601 with milliseconds.
    pub updated_at: String,
}

/// An incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpIncident)]
pub struct IncidentDto {
    /// The affected components a visitor may see.
    pub components: Vec<ComponentDto>,
    /// ISO-8601 with milliseconds.
    pub created_at: String,
    /// `incident-1`.
    pub id: String,
    /// The worst status the incident gives its components; never `maintenance`.
    pub impact: IndicatorDto,
    /// Newest first; the first message last.
    pub incident_updates: Vec<IncidentUpdateDto>,
    /// The first watching update, if any.
    #[schema(required = true)]
    pub monitoring_at: Option<String>,
    /// The name.
    pub name: String,
    /// The page's id.
    pub page_id: String,
    /// When it was resolved; `null` while unresolved.
    #[schema(required = true)]
    pub resolved_at: Option<String>,
    /// The incident's page.
    pub shortlink: String,
    /// When it occurred.
    pub started_at: String,
    /// The current status.
    pub status: IncidentStatusDto,
    /// ISO-8601 with milliseconds.
    pub updated_at: String,
}

/// An update of a maintenance (its first message is its oldest entry).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpMaintenanceUpdate)]
pub struct MaintenanceUpdateDto {
    /// Always `null`.
    #[schema(value_type = Option<Vec<Object>>, required = true)]
    pub affected_components: Option<Vec<Value>>,
    /// Markdown source.
    pub body: String,
    /// ISO-8601 with milliseconds.
    pub created_at: String,
    /// Always `null`.
    #[schema(required = true)]
    pub custom_tweet: Option<String>,
    /// Whether subscribers were notified.
    pub deliver_notifications: bool,
    /// When the update is dated on the page.
    pub display_at: String,
    /// `schedule-update-1`, or `schedule-1-message` for the first message.
    pub id: String,
    /// The maintenance's id (Statuspage names the field after incidents).
    pub incident_id: String,
    /// The window's phase when the update was posted.
    pub status: MaintenanceStatusDto,
    /// Always `null`.
    #[schema(required = true)]
    pub tweet_id: Option<String>,
    /// ISO-8601 with milliseconds.
    pub updated_at: String,
}

/// A scheduled maintenance.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpMaintenance)]
pub struct MaintenanceDto {
    /// The covered components a visitor may see.
    pub components: Vec<ComponentDto>,
    /// ISO-8601 with milliseconds.
    pub created_at: String,
    /// `schedule-1`.
    pub id: String,
    /// Always `maintenance`.
    pub impact: IndicatorDto,
    /// Newest first; the first message last.
    pub incident_updates: Vec<MaintenanceUpdateDto>,
    /// Always `null`.
    #[schema(required = true)]
    pub monitoring_at: Option<String>,
    /// The name.
    pub name: String,
    /// The page's id.
    pub page_id: String,
    /// When it ended or was marked complete; `null` until completed.
    #[schema(required = true)]
    pub resolved_at: Option<String>,
    /// The start.
    pub scheduled_for: String,
    /// The end, if set.
    #[schema(required = true)]
    pub scheduled_until: Option<String>,
    /// The maintenance's page.
    pub shortlink: String,
    /// The start.
    pub started_at: String,
    /// Where the window stands now.
    pub status: MaintenanceStatusDto,
    /// ISO-8601 with milliseconds.
    pub updated_at: String,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpSummary)]
pub struct SummaryDto {
    /// Every visible component and group.
    pub components: Vec<ComponentDto>,
    /// The unresolved incidents, newest first.
    pub incidents: Vec<IncidentDto>,
    /// The page.
    pub page: PageDto,
    /// Upcoming and in-progress maintenances, earliest start first.
    pub scheduled_maintenances: Vec<MaintenanceDto>,
    /// The top-level status.
    pub status: PageStatusDto,
}

/// `status.json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpStatusResponse)]
pub struct StatusResponseDto {
    /// The page.
    pub page: PageDto,
    /// The top-level status.
    pub status: PageStatusDto,
}

/// `components.json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpComponentsResponse)]
pub struct ComponentsResponseDto {
    /// Every visible component and group.
    pub components: Vec<ComponentDto>,
    /// The page.
    pub page: PageDto,
}

/// `incidents.json` and `incidents/unresolved.json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpIncidentsResponse)]
pub struct IncidentsResponseDto {
    /// The incidents, newest first.
    pub incidents: Vec<IncidentDto>,
    /// The page.
    pub page: PageDto,
}

/// `scheduled-maintenances.json` and its `upcoming` and `active` subsets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SpMaintenancesResponse)]
pub struct MaintenancesResponseDto {
    /// The page.
    pub page: PageDto,
    /// The maintenances.
    pub scheduled_maintenances: Vec<MaintenanceDto>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// The bytes of `v` written directly equal those of `v` through a `Value` (whose keys are
    /// sorted): the fields are in alphabetical order, nested types included.
    fn sorted<T: Serialize>(v: &T) {
        let direct = serde_json::to_string(v).unwrap();
        let through_value = serde_json::to_value(v).unwrap().to_string();
        assert_eq!(direct, through_value);
    }

    fn page() -> PageDto {
        PageDto {
            id: "p".into(),
            name: "n".into(),
            time_zone: "UTC".into(),
            updated_at: "u".into(),
            url: "https://x".into(),
        }
    }

    fn component(children: Option<Vec<String>>) -> ComponentDto {
        ComponentDto {
            components: children,
            created_at: "c".into(),
            description: None,
            group: false,
            group_id: Some("group-1".into()),
            id: "component-1".into(),
            name: "n".into(),
            only_show_if_degraded: false,
            page_id: "p".into(),
            position: 0,
            showcase: true,
            start_date: Some("2026-01-01".into()),
            status: ComponentStatusDto::Operational,
            updated_at: "u".into(),
        }
    }

    fn incident() -> IncidentDto {
        IncidentDto {
            components: vec![component(None)],
            created_at: "c".into(),
            id: "incident-1".into(),
            impact: IndicatorDto::Minor,
            incident_updates: vec![IncidentUpdateDto {
                affected_components: None,
                body: "b".into(),
                created_at: "c".into(),
                custom_tweet: None,
                deliver_notifications: true,
                display_at: "d".into(),
                id: "update-1".into(),
                incident_id: "incident-1".into(),
                status: IncidentStatusDto::Monitoring,
                tweet_id: None,
                updated_at: "u".into(),
            }],
            monitoring_at: Some("m".into()),
            name: "n".into(),
            page_id: "p".into(),
            resolved_at: None,
            shortlink: "s".into(),
            started_at: "s".into(),
            status: IncidentStatusDto::Monitoring,
            updated_at: "u".into(),
        }
    }

    fn maintenance() -> MaintenanceDto {
        MaintenanceDto {
            components: vec![component(None)],
            created_at: "c".into(),
            id: "schedule-1".into(),
            impact: IndicatorDto::Maintenance,
            incident_updates: vec![MaintenanceUpdateDto {
                affected_components: None,
                body: "b".into(),
                created_at: "c".into(),
                custom_tweet: None,
                deliver_notifications: false,
                display_at: "d".into(),
                id: "schedule-update-1".into(),
                incident_id: "schedule-1".into(),
                status: MaintenanceStatusDto::InProgress,
                tweet_id: None,
                updated_at: "u".into(),
            }],
            monitoring_at: None,
            name: "n".into(),
            page_id: "p".into(),
            resolved_at: None,
            scheduled_for: "s".into(),
            scheduled_until: Some("e".into()),
            shortlink: "s".into(),
            started_at: "s".into(),
            status: MaintenanceStatusDto::InProgress,
            updated_at: "u".into(),
        }
    }

    #[test]
    fn every_answer_serializes_its_fields_in_sorted_order() {
        let status = PageStatusDto {
            description: "d".into(),
            indicator: IndicatorDto::Critical,
        };
        let components = vec![component(Some(vec!["component-1".into()])), component(None)];
        sorted(&SummaryDto {
            components: components.clone(),
            incidents: vec![incident()],
            page: page(),
            scheduled_maintenances: vec![maintenance()],
            status: status.clone(),
        });
        sorted(&StatusResponseDto {
            page: page(),
            status,
        });
        sorted(&ComponentsResponseDto {
            components,
            page: page(),
        });
        sorted(&IncidentsResponseDto {
            incidents: vec![incident()],
            page: page(),
        });
        sorted(&MaintenancesResponseDto {
            page: page(),
            scheduled_maintenances: vec![maintenance()],
        });
    }

    #[test]
    fn a_component_has_no_components_key_and_a_group_has_one() {
        let c = serde_json::to_value(component(None)).unwrap();
        assert!(c.get("components").is_none());
        let g = serde_json::to_value(component(Some(Vec::new()))).unwrap();
        assert_eq!(g["components"], serde_json::json!([]));
    }

    /// The vocabularies agree with the domain's Statuspage names, which webhooks also send.
    #[test]
    fn the_vocabularies_spell_the_domain_names() {
        let name = |v: Value| v.as_str().unwrap().to_owned();
        for s in EffectiveStatus::ALL {
            let dto = serde_json::to_value(ComponentStatusDto::from(*s)).unwrap();
            assert_eq!(name(dto), s.statuspage());
        }
        for i in Indicator::ALL {
            let dto = serde_json::to_value(IndicatorDto::from(*i)).unwrap();
            assert_eq!(name(dto), i.as_str());
        }
        for p in [
            MaintenancePhase::Upcoming,
            MaintenancePhase::InProgress,
            MaintenancePhase::Complete,
        ] {
            let dto = serde_json::to_value(MaintenanceStatusDto::from(p)).unwrap();
            assert_eq!(name(dto), p.statuspage());
        }
        let incident: Vec<String> = IncidentStatus::ALL
            .iter()
            .map(|s| name(serde_json::to_value(IncidentStatusDto::from(*s)).unwrap()))
            .collect();
        assert_eq!(
            incident,
            [
                "investigating",
                "investigating",
                "identified",
                "monitoring",
                "resolved"
            ]
        );
    }
}
