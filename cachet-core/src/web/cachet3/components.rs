//! `/api/components` and `/api/component-groups`.

use super::dto::*;
use super::present::{self, GROUPS, INCIDENTS, Included, Related};
use super::{Call, Collect, Fail, Handled, document, single};
use crate::model::*;
use crate::store::{
    ComponentFilter, ComponentQuery, ComponentSort, Direction, GroupQuery, GroupSort,
    IncidentFilter, IncidentQuery, ScheduleFilter, ScheduleQuery,
};
use crate::validate::*;

pub(crate) const COMPONENT_FILTERS: &[&str] = &["name", "status", "enabled", "meta"];
pub(crate) const COMPONENT_SORTS: &[&str] = &["name", "order", "id"];
pub(crate) const COMPONENT_INCLUDES: &[&str] = &["group", "incidents", "meta"];
pub(crate) const GROUP_FILTERS: &[&str] = &["meta"];
pub(crate) const GROUP_SORTS: &[&str] = &["name", "id"];
pub(crate) const GROUP_INCLUDES: &[&str] = &["components", "meta"];

/// A page cut from a list filtered here (lists of components and groups are small).
pub(crate) fn paginate<T>(
    items: Vec<T>,
    request: crate::store::PageRequest,
) -> crate::store::Page<T> {
    let total = items.len() as u64;
    let per_page = request.per_page() as usize;
    let skip = (request.page() as usize - 1).saturating_mul(per_page);
    crate::store::Page {
        items: items.into_iter().skip(skip).take(per_page).collect(),
        total,
        request,
    }
}

/// Whether `name` contains `needle`, ignoring case (Cachet 3's partial name filter).
pub(crate) fn name_matches(name: &str, needle: Option<&String>) -> bool {
    needle.is_none_or(|n| name.to_lowercase().contains(&n.to_lowercase()))
}

/// Whether `meta` holds every key of `filter[meta]` with an equal value (compared as text,
/// so `filter[meta][priority]=3` matches the number 3 and `true` the boolean).
pub(crate) fn meta_matches(meta: &Meta, wanted: Option<&String>) -> Result<bool, Fail> {
    let Some(wanted) = wanted else {
        return Ok(true);
    };
    let Ok(serde_json::Value::Object(wanted)) = serde_json::from_str::<serde_json::Value>(wanted)
    else {
        return Err(Fail::BadQuery(
            "filter[meta] must be given as filter[meta][key]=value".to_owned(),
        ));
    };
    let have = meta.as_map();
    Ok(wanted.iter().all(|(k, v)| {
        let as_text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        have.get(k).is_some_and(|h| as_text(h) == as_text(v))
    }))
}

/// The schedules not over yet, for the components' `latest_status`.
pub(crate) async fn open_schedules(call: &Call<'_>) -> Result<Vec<Schedule>, Fail> {
    let q = ScheduleQuery::filtered(ScheduleFilter {
        status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
        ..ScheduleFilter::default()
    });
    Ok(call.cachet.schedules(&call.actor, q).await?.items)
}

/// `include=components` of an incident or a schedule: the components of `ids` the caller may
/// see (the others are left out, as on the page), as the relationship and in `included`.
pub(crate) async fn include_components(
    call: &Call<'_>,
    ids: &[ComponentId],
    schedules: &[Schedule],
    related: &mut Related,
    included: &mut Included,
) -> Result<(), Fail> {
    let mut shown = Vec::new();
    for id in ids {
        match call.cachet.component(&call.actor, *id).await {
            Ok(c) => shown.push(c),
            Err(crate::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    related.many(
        "components",
        present::COMPONENTS,
        shown.iter().map(|c| c.id.get()),
    );
    for c in &shown {
        included.add(
            present::COMPONENTS,
            c.id.get(),
            &call.component(c, schedules, false, Related::default()),
        );
    }
    Ok(())
}

/// A whole-number filter (`filter[status]=4`) read by `make`; the error names
/// `filter.<key>`.
pub(crate) fn code_filter<T>(
    value: Option<&String>,
    field: &'static str,
    make: impl Fn(i64) -> Result<T, Violation>,
) -> Result<Option<T>, Fail> {
    Ok(value
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| Violation::Format {
                    expected: "a whole number",
                })
                .and_then(&make)
        })
        .transpose()
        .field(field)?)
}

/// Components as resources, with what `include` asks for.
async fn component_resources(
    call: &Call<'_>,
    components: &[Component],
    includes: &[&str],
    included: &mut Included,
) -> Result<Vec<ComponentResource>, Fail> {
    let schedules = open_schedules(call).await?;
    // The groups the caller may see, read once for every component's `include=group`.
    let groups = if includes.contains(&"group") {
        call.cachet
            .groups(&call.actor, GroupQuery::all())
            .await?
            .items
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(components.len());
    for c in components {
        let mut related = Related::default();
        if includes.contains(&"group") {
            let group = groups.iter().find(|g| Some(g.id) == c.group_id);
            related.one("group", GROUPS, group.map(|g| g.id.get()));
            if let Some(g) = group {
                included.add(GROUPS, g.id.get(), &call.group(g, Related::default()));
            }
        }
        if includes.contains(&"incidents") {
            let q = IncidentQuery::filtered(IncidentFilter {
                component_id: Some(c.id),
                ..IncidentFilter::default()
            });
            let incidents = call.cachet.incidents(&call.actor, q).await?.items;
            related.many("incidents", INCIDENTS, incidents.iter().map(|i| i.id.get()));
            for i in &incidents {
                included.add(
                    INCIDENTS,
                    i.id.get(),
                    &call.incident(i, false, Related::default()),
                );
            }
        }
        out.push(call.component(c, &schedules, includes.contains(&"meta"), related));
    }
    Ok(out)
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let filters = call.filters(COMPONENT_FILTERS)?;
    let includes = call.includes(COMPONENT_INCLUDES)?;
    let sort = call.sort(
        &[
            ("name", ComponentSort::Name),
            ("order", ComponentSort::Order),
            ("id", ComponentSort::Id),
        ],
        Some((ComponentSort::Id, Direction::Asc)),
    )?;
    let status = code_filter(
        filters.get("status"),
        "filter.status",
        present::parse_component_status,
    )?;
    let enabled = match filters
        .get("enabled")
        .map(|s| s.trim().to_ascii_lowercase())
    {
        None => Some(true),
        Some(s) if matches!(s.as_str(), "1" | "true") => Some(true),
        Some(s) if matches!(s.as_str(), "0" | "false") => Some(false),
        Some(_) => {
            return Err(Call::invalid(
                "filter.enabled",
                Violation::Format {
                    expected: "true, false, 1 or 0",
                },
            ));
        }
    };
    let mut q = ComponentQuery::filtered(ComponentFilter {
        status,
        enabled,
        ..ComponentFilter::default()
    });
    q.sort = sort;
    let mut items = Vec::new();
    for c in call.cachet.components(&call.actor, q).await?.items {
        if name_matches(c.name.as_str(), filters.get("name"))
            && meta_matches(&c.meta, filters.get("meta"))?
        {
            items.push(c);
        }
    }
    let page = paginate(items, call.page()?);
    let mut included = Included::default();
    let data = component_resources(&call, &page.items, &includes, &mut included).await?;
    Ok(document(&ComponentList::new(
        data,
        included.into_vec(),
        call.page_envelope(&page),
    )))
}

async fn one(call: &Call<'_>, c: &Component, includes: &[&str]) -> Handled {
    let mut included = Included::default();
    let data = component_resources(call, std::slice::from_ref(c), includes, &mut included).await?;
    let data = single(data)?;
    Ok(document(&ComponentDocument::new(data, included.into_vec())))
}

pub(super) async fn get(call: Call<'_>) -> Handled {
    let includes = call.includes(COMPONENT_INCLUDES)?;
    let c = call
        .cachet
        .component(&call.actor, ComponentId(call.id(0)))
        .await?;
    one(&call, &c, &includes).await
}

/// The fields a component's create and update share, each `None` when absent.
struct ComponentFields {
    name: Option<Name>,
    description: Option<Text>,
    status: Option<ComponentStatus>,
    link: Option<Option<HttpUrl>>,
    order: Option<Order>,
    enabled: Option<bool>,
    group: Option<Option<GroupId>>,
    meta: Option<Meta>,
}

/// Reads every field, collecting each failure (Laravel reports them all at once).
fn component_fields(call: &Call<'_>, c: &mut Collect) -> ComponentFields {
    let input = &call.input;
    let name = c.keep(call.parsed("name", Name::parse));
    let description = c.keep(call.parsed("description", Text::parse));
    let status = c.keep(input.int("status").and_then(|s| {
        s.map(present::parse_component_status)
            .transpose()
            .field("status")
    }));
    let link = c.keep(input.text("link").and_then(|l| {
        l.map(|l| match l.trim() {
            "" => Ok(None),
            l => HttpUrl::parse(l).map(Some),
        })
        .transpose()
        .field("link")
    }));
    let order = c.keep(
        input
            .int("order")
            .and_then(|o| o.map(Order::new).transpose().field("order")),
    );
    let enabled = c.keep(input.bool("enabled"));
    let group = if input.has_null("component_group_id") {
        Some(None)
    } else {
        c.keep(
            input
                .int("component_group_id")
                .map(|g| g.map(|g| (g > 0).then_some(GroupId(g)))),
        )
    };
    let meta = c.keep(
        input
            .object("meta")
            .map(Meta::from_value)
            .transpose()
            .field("meta"),
    );
    ComponentFields {
        name,
        description,
        status,
        link,
        order,
        enabled,
        group,
        meta,
    }
}

fn cause(call: &Call<'_>) -> StatusCause {
    StatusCause {
        kind: StatusCauseKind::Api,
        user_id: call.actor.user().map(|u| u.id),
        ..StatusCause::default()
    }
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let f = component_fields(&call, &mut c);
    c.require("name", f.name.is_some());
    c.finish()?;
    let Some(name) = f.name else {
        return Err(Call::invalid("name", Violation::Required));
    };
    let new = NewComponent {
        name,
        description: f.description.unwrap_or_default(),
        link: f.link.flatten(),
        status: f.status.unwrap_or(ComponentStatus::Unknown),
        order: f.order.unwrap_or_default(),
        group_id: f.group.flatten(),
        enabled: f.enabled.unwrap_or(true),
        tags: Vec::new(),
        meta: f.meta.unwrap_or_default(),
        cause: cause(&call),
    };
    let c = call.cachet.create_component(&call.actor, &new).await?;
    one(&call, &c, &[]).await
}

pub(super) async fn update(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let f = component_fields(&call, &mut c);
    c.finish()?;
    let patch = ComponentPatch {
        name: f.name,
        description: f.description,
        link: f.link,
        status: f.status,
        order: f.order,
        group_id: f.group,
        enabled: f.enabled,
        tags: None,
        meta: f.meta,
        cause: cause(&call),
    };
    let c = call
        .cachet
        .update_component(&call.actor, ComponentId(call.id(0)), &patch)
        .await?;
    one(&call, &c, &[]).await
}

pub(super) async fn delete(call: Call<'_>) -> Handled {
    call.cachet
        .delete_component(&call.actor, ComponentId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}

// ---- Component groups ----

async fn group_resources(
    call: &Call<'_>,
    groups: &[ComponentGroup],
    includes: &[&str],
    included: &mut Included,
) -> Result<Vec<GroupResource>, Fail> {
    let members = if includes.contains(&"components") {
        call.cachet
            .components(&call.actor, ComponentQuery::all())
            .await?
            .items
    } else {
        Vec::new()
    };
    let schedules = if members.is_empty() {
        Vec::new()
    } else {
        open_schedules(call).await?
    };
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mut related = Related::default();
        if includes.contains(&"components") {
            let mine: Vec<&Component> = members
                .iter()
                .filter(|c| c.group_id == Some(g.id))
                .collect();
            related.many(
                "components",
                present::COMPONENTS,
                mine.iter().map(|c| c.id.get()),
            );
            for c in mine {
                included.add(
                    present::COMPONENTS,
                    c.id.get(),
                    &call.component(c, &schedules, false, Related::default()),
                );
            }
        }
        out.push(call.group(g, related));
    }
    Ok(out)
}

pub(super) async fn groups(call: Call<'_>) -> Handled {
    let filters = call.filters(GROUP_FILTERS)?;
    let includes = call.includes(GROUP_INCLUDES)?;
    let mut q = GroupQuery::all();
    q.sort = call.sort(
        &[("name", GroupSort::Name), ("id", GroupSort::Id)],
        Some((GroupSort::Id, Direction::Asc)),
    )?;
    // Groups carry no metadata here: a metadata filter matches none.
    let items = if filters.contains_key("meta") {
        Vec::new()
    } else {
        call.cachet.groups(&call.actor, q).await?.items
    };
    let page = paginate(items, call.page()?);
    let mut included = Included::default();
    let data = group_resources(&call, &page.items, &includes, &mut included).await?;
    Ok(document(&GroupList::new(
        data,
        included.into_vec(),
        call.page_envelope(&page),
    )))
}

async fn one_group(call: &Call<'_>, g: &ComponentGroup, includes: &[&str]) -> Handled {
    let mut included = Included::default();
    let data = group_resources(call, std::slice::from_ref(g), includes, &mut included).await?;
    let data = single(data)?;
    Ok(document(&GroupDocument::new(data, included.into_vec())))
}

pub(super) async fn group(call: Call<'_>) -> Handled {
    let includes = call.includes(GROUP_INCLUDES)?;
    let g = call.cachet.group(&call.actor, GroupId(call.id(0))).await?;
    one_group(&call, &g, &includes).await
}

/// A group's fields: `name`, `order`, `collapsed` (0 to 2) and `visible` (0 signed-in users
/// only, 1 everyone).
fn group_fields(call: &Call<'_>, c: &mut Collect) -> ComponentGroupPatch {
    let input = &call.input;
    ComponentGroupPatch {
        name: c.keep(call.parsed("name", Name::parse)),
        order: c.keep(
            input
                .int("order")
                .and_then(|o| o.map(Order::new).transpose().field("order")),
        ),
        collapsed: c.keep(
            input
                .int("collapsed")
                .and_then(|c| c.map(Collapsed::from_code).transpose().field("collapsed")),
        ),
        visible: c.keep(input.int("visible").and_then(|v| {
            v.map(GroupVisibility::from_code)
                .transpose()
                .field("visible")
        })),
    }
}

pub(super) async fn create_group(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let f = group_fields(&call, &mut c);
    c.require("name", f.name.is_some());
    c.finish()?;
    let Some(name) = f.name else {
        return Err(Call::invalid("name", Violation::Required));
    };
    let new = NewComponentGroup {
        name,
        order: f.order.unwrap_or_default(),
        collapsed: f.collapsed.unwrap_or(Collapsed::Expanded),
        visible: f.visible.unwrap_or(GroupVisibility::Public),
    };
    let g = call.cachet.create_group(&call.actor, &new).await?;
    one_group(&call, &g, &[]).await
}

pub(super) async fn update_group(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let patch = group_fields(&call, &mut c);
    c.finish()?;
    let g = call
        .cachet
        .update_group(&call.actor, GroupId(call.id(0)), &patch)
        .await?;
    one_group(&call, &g, &[]).await
}

pub(super) async fn delete_group(call: Call<'_>) -> Handled {
    call.cachet
        .delete_group(&call.actor, GroupId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}
