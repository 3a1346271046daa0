//! `/api/v1/components/groups`.

use super::dto::ComponentGroupDto;
use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::model::*;
use crate::store::{ComponentFilter, ComponentQuery, GroupFilter, GroupQuery};
use crate::validate::{Name, Violation};
use crate::web::response;

/// Cachet validates `collapsed` as 0 to 4 and shows every value but 0 and 1 as "collapsed
/// unless a component has a problem", so 3 and 4 are stored as that.
fn collapsed(code: i64) -> Result<Collapsed, Violation> {
    match code {
        0..=2 => Collapsed::from_code(code),
        3 | 4 => Ok(Collapsed::CollapsedUnlessIncident),
        _ => Err(Violation::OutOfRange { min: 0, max: 4 }),
    }
}

fn visibility(public: bool) -> GroupVisibility {
    if public {
        GroupVisibility::Public
    } else {
        GroupVisibility::Authenticated
    }
}

/// A group with its enabled components (as far as the reader may see them).
async fn present(call: &Call<'_>, g: &ComponentGroup) -> Result<ComponentGroupDto, Fail> {
    let q = ComponentQuery::filtered(ComponentFilter {
        group_id: Some(Some(g.id)),
        enabled: Some(true),
        ..ComponentFilter::default()
    });
    let components = call.cachet.components(&call.actor, q).await?;
    Ok(present::group(g, &components.items, call.tz))
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let f = GroupFilter {
        id: int_filter(&call, "id", |n| Ok(GroupId(n)))?,
        name: filter(&call, "name", Name::parse)?,
        // `order` is the sort direction in API v1, never a filter.
        order: None,
        collapsed: int_filter(&call, "collapsed", collapsed)?,
        visible: bool_filter(&call, "visible")?.map(visibility),
    };
    let q = GroupQuery {
        filter: f,
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call.cachet.groups(&call.actor, q).await?;
    let mut data = Vec::with_capacity(p.items.len());
    for g in &p.items {
        data.push(present(&call, g).await?);
    }
    Ok(list_response(&call, &p, data))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let g = call.cachet.group(&call.actor, GroupId(id)).await?;
    Ok(item(present(&call, &g).await?))
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(required("name", name_field(i, "name")));
    let order = c.take(order_field(i, "order"));
    let collapsed = c.take(code_field(i, "collapsed", collapsed));
    let visible = c.take(bool_field(i, "visible"));
    c.finish()?;
    let new = NewComponentGroup {
        name: checked(name)?,
        order: checked(order)?.unwrap_or_default(),
        collapsed: checked(collapsed)?.unwrap_or(Collapsed::Expanded),
        // Cachet's default: only signed-in users see a new group.
        visible: visibility(checked(visible)?.unwrap_or(false)),
    };
    let g = call.cachet.create_group(&call.actor, &new).await?;
    Ok(item(present(&call, &g).await?))
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let i = &call.input;
    let mut c = Check::default();
    let name = c.take(name_field(i, "name"));
    let order = c.take(order_field(i, "order"));
    let collapsed = c.take(code_field(i, "collapsed", collapsed));
    let visible = c.take(bool_field(i, "visible"));
    c.finish()?;
    let patch = ComponentGroupPatch {
        name: checked(name)?,
        order: checked(order)?,
        collapsed: checked(collapsed)?,
        visible: checked(visible)?.map(visibility),
    };
    let g = call
        .cachet
        .update_group(&call.actor, GroupId(id), &patch)
        .await?;
    Ok(item(present(&call, &g).await?))
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet.delete_group(&call.actor, GroupId(id)).await?;
    Ok(response::no_content())
}
