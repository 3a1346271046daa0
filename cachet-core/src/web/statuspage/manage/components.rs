//! `/v1/pages/{page_id}/components`.

use http::StatusCode;

use super::{Call, Fail, Handled, component_status, parse_id};
use crate::model::*;
use crate::validate::{Name, Text, Violation};
use crate::web::response;

/// The component as the public API shows it (with its effective status), seen with the
/// call's token.
async fn answer(call: &Call<'_>, c: &Component) -> Handled {
    let view = call.view().await?;
    Ok(response::json(StatusCode::OK, &view.component(c)))
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let view = call.view().await?;
    Ok(response::json(StatusCode::OK, &view.components()))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    // Through the facade: a component the token may not see is not found, by id too.
    let c = call.cachet.component(&call.actor, ComponentId(id)).await?;
    answer(&call, &c).await
}

/// The fields a create and an update share; `None` where the body does not name one.
struct Fields {
    name: Option<Name>,
    description: Option<Text>,
    status: Option<ComponentStatus>,
    group_id: Option<Option<GroupId>>,
}

fn fields(call: &Call<'_>) -> Result<Fields, Fail> {
    let name = call.parsed("name", Name::parse)?;
    let description = call.parsed("description", Text::parse)?;
    let status = call.parsed("status", component_status)?;
    // `group_id`: `group-1` or `1`; `null` or empty takes the component out of its group.
    let group_id = if call.input.has_null("group_id") {
        Some(None)
    } else {
        call.parsed("group_id", |g| match g.trim() {
            "" => Ok(None),
            g => parse_id(g, "group")
                .map(|n| Some(GroupId(n)))
                .ok_or(Violation::Format {
                    expected: "the id of a component group (group-1)",
                }),
        })?
    };
    Ok(Fields {
        name,
        description,
        status,
        group_id,
    })
}

fn cause(call: &Call<'_>) -> StatusCause {
    StatusCause {
        kind: StatusCauseKind::Api,
        user_id: call.actor.user().map(|u| u.id),
        ..StatusCause::default()
    }
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let f = fields(&call)?;
    let name = f
        .name
        .ok_or_else(|| call.invalid("name", Violation::Required))?;
    let new = NewComponent {
        description: f.description.unwrap_or_default(),
        group_id: f.group_id.flatten(),
        cause: cause(&call),
        ..NewComponent::named(name, f.status.unwrap_or(ComponentStatus::Operational))
    };
    let c = call.cachet.create_component(&call.actor, &new).await?;
    answer(&call, &c).await
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let f = fields(&call)?;
    let patch = ComponentPatch {
        name: f.name,
        description: f.description,
        status: f.status,
        group_id: f.group_id,
        cause: cause(&call),
        ..ComponentPatch::default()
    };
    let c = call
        .cachet
        .update_component(&call.actor, ComponentId(id), &patch)
        .await?;
    answer(&call, &c).await
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet
        .delete_component(&call.actor, ComponentId(id))
        .await?;
    Ok(response::no_content())
}
