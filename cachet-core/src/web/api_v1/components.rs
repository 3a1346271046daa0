//! `/api/v1/components`.

use http::StatusCode;

use super::query::{filter, item, list_envelope, page, sort};
use super::{Call, Fail, Handled, present};
use crate::model::*;
use crate::store::{ComponentFilter, ComponentQuery};
use crate::validate::*;
use crate::web::response;

fn tags(input: &crate::web::input::Input) -> Result<Option<Vec<Tag>>, Fail> {
    // Cachet takes tags as a comma-separated string ("Foo,Bar") and also PHP arrays.
    let raw: Option<Vec<String>> = match input.get("tags") {
        None => None,
        Some(serde_json::Value::Array(a)) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        Some(_) => input
            .text("tags")?
            .map(|s| s.split(',').map(str::to_owned).collect()),
    };
    let Some(raw) = raw else { return Ok(None) };
    let mut out = Vec::new();
    for name in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let name = Name::parse_bounded(name, Tag::MAX_NAME_CHARS).field("tags")?;
        let slug = Slug::from_name(name.as_str()).ok_or_else(|| {
            ValidationError::new(
                "tags",
                Violation::Format {
                    expected: "tag names with letters or digits",
                },
            )
        })?;
        out.push(Tag { slug, name });
    }
    Ok(Some(out))
}

fn status(call: &Call<'_>) -> Result<Option<ComponentStatus>, Fail> {
    Ok(call
        .input
        .int("status")?
        .map(ComponentStatus::from_code)
        .transpose()
        .field("status")?)
}

fn group_id(call: &Call<'_>) -> Result<Option<Option<GroupId>>, Fail> {
    Ok(call
        .input
        .int("group_id")?
        .map(|g| (g > 0).then_some(GroupId(g))))
}

fn link(call: &Call<'_>) -> Result<Option<Option<HttpUrl>>, Fail> {
    Ok(match call.input.text("link")? {
        None => None,
        Some(s) if s.trim().is_empty() => Some(None),
        Some(s) => Some(Some(HttpUrl::parse(&s).field("link")?)),
    })
}

fn meta(call: &Call<'_>) -> Result<Option<Meta>, Fail> {
    Ok(call
        .input
        .object("meta")
        .map(Meta::from_value)
        .transpose()
        .field("meta")?)
}

fn order(call: &Call<'_>) -> Result<Option<Order>, Fail> {
    Ok(call
        .input
        .int("order")?
        .map(Order::new)
        .transpose()
        .field("order")?)
}

fn description(call: &Call<'_>) -> Result<Option<Text>, Fail> {
    Ok(call
        .input
        .text("description")?
        .map(|d| Text::parse(&d))
        .transpose()
        .field("description")?)
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let mut f = ComponentFilter {
        id: filter(&call, "id", |s| {
            s.parse::<i64>()
                .map(ComponentId)
                .map_err(|_| Violation::Format {
                    expected: "a whole number",
                })
        })?,
        name: filter(&call, "name", Name::parse)?,
        status: filter(&call, "status", |s| {
            s.parse::<i64>()
                .map_err(|_| Violation::Format {
                    expected: "a whole number",
                })
                .and_then(ComponentStatus::from_code)
        })?,
        // `order` is the sort direction in API v1, never a filter (as in Cachet).
        order: None,
        group_id: filter(&call, "group_id", |s| {
            s.parse::<i64>()
                .map(|g| (g > 0).then_some(GroupId(g)))
                .map_err(|_| Violation::Format {
                    expected: "a whole number",
                })
        })?,
        enabled: call.input.bool("enabled")?,
        tags_any: Vec::new(),
    };
    if let Some(t) = tags(&call.input)? {
        f.tags_any = t.into_iter().map(|t| t.slug).collect();
    }
    // tags[]=slug as Cachet's filter: slugs, not names
    if let Some(serde_json::Value::Array(a)) = call.input.get("tags") {
        f.tags_any = a
            .iter()
            .filter_map(|v| v.as_str())
            .filter_map(|s| Slug::parse(s).ok())
            .collect();
    }
    let q = ComponentQuery {
        filter: f,
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call.cachet.components(&call.actor, q).await?;
    let data = p
        .items
        .iter()
        .map(|c| present::component(c, call.tz))
        .collect();
    Ok(response::json(
        StatusCode::OK,
        &list_envelope(&call, &p, data),
    ))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let c = call.cachet.component(&call.actor, ComponentId(id)).await?;
    Ok(item(present::component(&c, call.tz)))
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let mut errors = Vec::new();
    let name = call
        .input
        .text("name")
        .and_then(|n| Name::parse(n.as_deref().unwrap_or("")).field("name"));
    let status = status(&call)
        .and_then(|s| s.ok_or_else(|| ValidationError::new("status", Violation::Required).into()));
    let name = name.map_err(|e| errors.push(e)).ok();
    let status = match status {
        Ok(s) => Some(s),
        Err(Fail::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(other) => return Err(other),
    };
    if !errors.is_empty() {
        return Err(Fail::Invalid(errors));
    }
    let (Some(name), Some(status)) = (name, status) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST));
    };
    let new = NewComponent {
        name,
        description: description(&call)?.unwrap_or_default(),
        link: link(&call)?.flatten(),
        status,
        order: order(&call)?.unwrap_or_default(),
        group_id: group_id(&call)?.flatten(),
        enabled: call.input.bool("enabled")?.unwrap_or(true),
        tags: tags(&call.input)?.unwrap_or_default(),
        meta: meta(&call)?.unwrap_or_default(),
        cause: StatusCause {
            kind: StatusCauseKind::Api,
            user_id: call.actor.user().map(|u| u.id),
            ..StatusCause::default()
        },
    };
    let c = call.cachet.create_component(&call.actor, &new).await?;
    Ok(item(present::component(&c, call.tz)))
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let patch = ComponentPatch {
        name: call
            .input
            .text("name")?
            .map(|n| Name::parse(&n))
            .transpose()
            .field("name")?,
        description: description(&call)?,
        link: link(&call)?,
        status: status(&call)?,
        order: order(&call)?,
        group_id: group_id(&call)?,
        enabled: call.input.bool("enabled")?,
        tags: tags(&call.input)?,
        meta: meta(&call)?,
        cause: StatusCause {
            kind: StatusCauseKind::Api,
            user_id: call.actor.user().map(|u| u.id),
            ..StatusCause::default()
        },
    };
    // Cachet's `silent`: change the status without notifying subscribers.
    let c = if call.input.bool("silent")?.unwrap_or(false) {
        call.cachet
            .update_component_silently(&call.actor, ComponentId(id), &patch)
            .await?
    } else {
        call.cachet
            .update_component(&call.actor, ComponentId(id), &patch)
            .await?
    };
    Ok(item(present::component(&c, call.tz)))
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_component(&call.actor, ComponentId(id))
        .await?;
    Ok(response::no_content())
}
