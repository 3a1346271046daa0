//! Components and component groups: the list (grouped, in display order) with a quick status
//! change and up/down ordering, create and edit with every field API v1 can change, delete
//! after a confirmation page.

use http::StatusCode;

use super::form::{Errors, Submitted, int, opt_id};
use super::text::M;
use super::view::{
    Action, Block, Cell, Field, Form, Kind, Link, Opt, Page, Section, SectionedTable,
};
use super::{
    Ctx, Fail, Out, cell, confirm, delete_action, form_error, list_table, new_link, open_action,
    options, path_id, rejected, render, unknown, yes_no,
};
use crate::model::*;
use crate::store::{ComponentQuery, GroupQuery};
use crate::validate::{HttpUrl, Meta, Name, Order, Slug, Text, Violation};
use crate::web::dashboard::chrome::{Chrome, Flash};

/// `/components/...`.
pub(super) async fn components(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    match tail {
        [] if ctx.post() => save_component(ctx, None).await,
        [] => {
            ctx.only_get()?;
            list(ctx).await
        }
        ["new"] => {
            ctx.only_get()?;
            let chrome = ctx.chrome("components").await?;
            let groups = all_groups(ctx).await?;
            let form = component_form(&chrome, None, &Submitted::default(), &groups);
            page_with_form(
                ctx,
                chrome,
                M::NewComponent.en().to_owned(),
                form,
                StatusCode::OK,
            )
        }
        [id] => {
            let id = ComponentId(path_id(id)?);
            if ctx.post() {
                return save_component(ctx, Some(id)).await;
            }
            ctx.only_get()?;
            let c = ctx.cachet().component(ctx.actor(), id).await?;
            let chrome = ctx.chrome("components").await?;
            let groups = all_groups(ctx).await?;
            let form = component_form(&chrome, Some(&c), &component_values(&c), &groups);
            let title = M::EditComponent.fill(&[c.name.as_str()]);
            page_with_form(ctx, chrome, title, form, StatusCode::OK)
        }
        [id, "status"] => {
            ctx.only_post()?;
            quick_status(ctx, ComponentId(path_id(id)?)).await
        }
        [id, "move"] => {
            ctx.only_post()?;
            move_component(ctx, ComponentId(path_id(id)?)).await
        }
        [id, "delete"] => {
            let id = ComponentId(path_id(id)?);
            if ctx.post() {
                ctx.cachet().delete_component(ctx.actor(), id).await?;
                return ctx.done("/components", Flash::Deleted);
            }
            ctx.only_get()?;
            let c = ctx.cachet().component(ctx.actor(), id).await?;
            let chrome = ctx.chrome("components").await?;
            let page = confirm(
                &chrome,
                M::DeleteComponent.en().to_owned(),
                M::ConfirmDeleteComponent.fill(&[c.name.as_str()]),
                &format!("/components/{}/delete", id.get()),
                &format!("/components/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        _ => Err(unknown()),
    }
}

/// `/groups/...`.
pub(super) async fn groups(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    match tail {
        [] if ctx.post() => save_group(ctx, None).await,
        [] => {
            ctx.only_get()?;
            group_list(ctx).await
        }
        ["new"] => {
            ctx.only_get()?;
            let chrome = ctx.chrome("groups").await?;
            let form = group_form(&chrome, None, &Submitted::default());
            page_with_form(
                ctx,
                chrome,
                M::NewGroup.en().to_owned(),
                form,
                StatusCode::OK,
            )
        }
        [id] => {
            let id = GroupId(path_id(id)?);
            if ctx.post() {
                return save_group(ctx, Some(id)).await;
            }
            ctx.only_get()?;
            let g = ctx.cachet().group(ctx.actor(), id).await?;
            let chrome = ctx.chrome("groups").await?;
            let form = group_form(&chrome, Some(&g), &group_values(&g));
            let title = M::EditGroup.fill(&[g.name.as_str()]);
            page_with_form(ctx, chrome, title, form, StatusCode::OK)
        }
        [id, "move"] => {
            ctx.only_post()?;
            move_group(ctx, GroupId(path_id(id)?)).await
        }
        [id, "delete"] => {
            let id = GroupId(path_id(id)?);
            if ctx.post() {
                ctx.cachet().delete_group(ctx.actor(), id).await?;
                return ctx.done("/groups", Flash::Deleted);
            }
            ctx.only_get()?;
            let g = ctx.cachet().group(ctx.actor(), id).await?;
            let chrome = ctx.chrome("groups").await?;
            let page = confirm(
                &chrome,
                M::DeleteGroup.en().to_owned(),
                M::ConfirmDeleteGroup.fill(&[g.name.as_str()]),
                &format!("/groups/{}/delete", id.get()),
                &format!("/groups/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        _ => Err(unknown()),
    }
}

fn page_with_form(
    ctx: &Ctx<'_, '_>,
    chrome: Chrome,
    title: String,
    form: Form,
    status: StatusCode,
) -> Out {
    let mut page = Page::new(title);
    page.push(Block::Form(form));
    render(ctx.dash, chrome, page, status)
}

/// Groups and components in display order (order, then id).
async fn all_groups(ctx: &Ctx<'_, '_>) -> Result<Vec<ComponentGroup>, Fail> {
    let mut groups = ctx
        .cachet()
        .groups(ctx.actor(), GroupQuery::all())
        .await?
        .items;
    groups.sort_by_key(|g| (g.order, g.id));
    Ok(groups)
}

async fn all_components(ctx: &Ctx<'_, '_>) -> Result<Vec<Component>, Fail> {
    let mut components = ctx
        .cachet()
        .components(ctx.actor(), ComponentQuery::all())
        .await?
        .items;
    components.sort_by_key(|c| (c.order, c.id));
    Ok(components)
}

/// The status select's options.
pub(super) fn status_kind(selected: &str) -> Kind {
    options(
        ComponentStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label())),
        selected,
    )
}

async fn list(ctx: &Ctx<'_, '_>) -> Out {
    let chrome = ctx.chrome("components").await?;
    let groups = all_groups(ctx).await?;
    let components = all_components(ctx).await?;
    let mut page = Page::new(M::Components.en());
    if chrome.can_write {
        page.push(Block::Links(vec![
            Link::new(chrome.dash("/components/new"), M::NewComponent.en()),
            Link::new(chrome.dash("/groups/new"), M::NewGroup.en()),
        ]));
    }
    let mut sections: Vec<(String, Option<GroupId>)> = groups
        .iter()
        .map(|g| (g.name.as_str().to_owned(), Some(g.id)))
        .collect();
    sections.push((M::Ungrouped.en().to_owned(), None));
    // One table, a section per group, so the columns line up down the whole list.
    let mut table = SectionedTable {
        caption: M::Components.en().to_owned(),
        head: vec![
            M::Name.en().to_owned(),
            M::Status.en().to_owned(),
            M::Enabled.en().to_owned(),
            M::Order.en().to_owned(),
            M::Actions.en().to_owned(),
        ],
        sections: Vec::new(),
    };
    for (heading, group) in sections {
        let members: Vec<&Component> = components
            .iter()
            .filter(|c| {
                c.group_id == group
                    || (group.is_none()
                        && c.group_id
                            .is_some_and(|g| !groups.iter().any(|x| x.id == g)))
            })
            .collect();
        if group.is_none() && members.is_empty() {
            continue;
        }
        table.sections.push(Section {
            heading,
            rows: members.iter().map(|c| component_row(&chrome, c)).collect(),
            empty: M::NoComponentsInGroup.en().to_owned(),
        });
    }
    if !table.sections.is_empty() {
        page.push(Block::Sections(table));
    }
    if components.is_empty() && groups.is_empty() {
        page.push(Block::Para(M::NoComponents.en().to_owned()));
    }
    render(ctx.dash, chrome, page, StatusCode::OK)
}

fn component_row(chrome: &Chrome, c: &Component) -> Vec<Cell> {
    let id = c.id.get();
    let status = if chrome.can_write {
        let mut f = Form::button(
            chrome.dash(&format!("/components/{id}/status")),
            &chrome.csrf,
            M::SetStatus.en(),
        );
        let mut field = Field::new(
            "status",
            M::StatusOf.fill(&[c.name.as_str()]),
            status_kind(&c.status.code().to_string()),
            "",
        );
        field.id = format!("status-{id}");
        f.fields.push(field);
        Cell::Actions(vec![Action::Form(f)])
    } else {
        cell(c.status.label())
    };
    let mut actions = vec![open_action(chrome, &format!("/components/{id}"))];
    if chrome.can_write {
        let path = format!("/components/{id}/move");
        actions.push(Action::Form(move_button(
            chrome,
            &path,
            "up",
            M::MoveUp,
            c.name.as_str(),
        )));
        actions.push(Action::Form(move_button(
            chrome,
            &path,
            "down",
            M::MoveDown,
            c.name.as_str(),
        )));
        actions.extend(delete_action(chrome, &format!("/components/{id}")));
    }
    let mut row = vec![
        Cell::Link(Link::new(
            chrome.dash(&format!("/components/{id}")),
            c.name.as_str(),
        )),
        status,
        cell(yes_no(c.enabled)),
        cell(c.order.get().to_string()),
    ];
    row.push(Cell::Actions(actions));
    row
}

fn move_button(chrome: &Chrome, path: &str, direction: &str, label: M, name: &str) -> Form {
    let mut f = Form::button(chrome.dash(path), &chrome.csrf, label.en());
    f.fields.push(Field::hidden("direction", direction));
    f.submits[0].aria_label = Some(format!("{} {name}", label.en()));
    f
}

/// The values of a component as the form shows them.
fn component_values(c: &Component) -> Submitted {
    let tags: Vec<&str> = c.tags.iter().map(|t| t.name.as_str()).collect();
    Submitted::from_pairs(vec![
        ("name", c.name.as_str().to_owned()),
        ("description", c.description.as_str().to_owned()),
        (
            "link",
            c.link
                .as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
        ),
        ("status", c.status.code().to_string()),
        ("order", c.order.get().to_string()),
        (
            "group_id",
            c.group_id.map(|g| g.get().to_string()).unwrap_or_default(),
        ),
        ("enabled", if c.enabled { "1" } else { "0" }.to_owned()),
        ("tags", tags.join(", ")),
        (
            "meta",
            if c.meta.is_empty() {
                String::new()
            } else {
                c.meta.to_json()
            },
        ),
    ])
}

fn component_form(
    chrome: &Chrome,
    existing: Option<&Component>,
    v: &Submitted,
    groups: &[ComponentGroup],
) -> Form {
    let action = match existing {
        Some(c) => chrome.dash(&format!("/components/{}", c.id.get())),
        None => chrome.dash("/components"),
    };
    let status = if v.has("status") {
        v.text("status")
    } else {
        "1"
    };
    let enabled = v.flag("enabled", true);
    let mut group_opts = vec![Opt::new("", M::NoGroup.en(), v.text("group_id").is_empty())];
    group_opts.extend(groups.iter().map(|g| {
        let id = g.id.get().to_string();
        let on = id == v.text("group_id");
        Opt::new(id, g.name.as_str(), on)
    }));
    Form::new(action, &chrome.csrf, M::Save.en())
        .field(Field::new("name", M::Name.en(), Kind::Text, v.text("name")).required())
        .field(Field::new(
            "description",
            M::Description.en(),
            Kind::TextArea(3),
            v.text("description"),
        ))
        .field(Field::new("link", M::Link.en(), Kind::Url, v.text("link")).help(M::LinkHelp.en()))
        .field(Field::new(
            "status",
            M::Status.en(),
            status_kind(status),
            "",
        ))
        .field(Field::new(
            "order",
            M::Order.en(),
            Kind::Number("1"),
            or(v.text("order"), "0"),
        ))
        .field(Field::new(
            "group_id",
            M::Group.en(),
            Kind::Select(group_opts),
            "",
        ))
        .field(Field::new(
            "enabled",
            M::Enabled.en(),
            Kind::Checkbox,
            if enabled { "1" } else { "0" },
        ))
        .field(Field::new("tags", M::Tags.en(), Kind::Text, v.text("tags")).help(M::TagsHelp.en()))
        .field(
            Field::new("meta", M::Meta.en(), Kind::TextArea(3), v.text("meta"))
                .help(M::MetaHelp.en()),
        )
}

/// `s`, or `default` when it is empty.
pub(super) fn or<'a>(s: &'a str, default: &'a str) -> &'a str {
    if s.is_empty() { default } else { s }
}

/// Parsed component fields.
struct ComponentInput {
    name: Name,
    description: Text,
    link: Option<HttpUrl>,
    status: ComponentStatus,
    order: Order,
    group_id: Option<GroupId>,
    enabled: bool,
    tags: Vec<Tag>,
    meta: Meta,
}

/// Tags as names separated by commas.
fn parse_tags(s: &str) -> Result<Vec<Tag>, Violation> {
    let mut out: Vec<Tag> = Vec::new();
    for name in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = Name::parse_bounded(name, Tag::MAX_NAME_CHARS)?;
        let slug = Slug::from_name(name.as_str()).ok_or(Violation::Format {
            expected: "tag names with letters or digits",
        })?;
        if !out.iter().any(|t| t.slug == slug) {
            out.push(Tag { slug, name });
        }
    }
    Ok(out)
}

/// Meta as a JSON object; empty is none.
pub(super) fn parse_meta(s: &str) -> Result<Meta, Violation> {
    if s.trim().is_empty() {
        Ok(Meta::default())
    } else {
        Meta::parse_json(s)
    }
}

fn parse_component(f: &Submitted, e: &mut Errors) -> Option<ComponentInput> {
    let name = e.take("name", Name::parse(f.text("name")));
    let description = e.take("description", Text::parse(f.text("description")));
    let link = e.take(
        "link",
        match f.text("link").trim() {
            "" => Ok(None),
            s => HttpUrl::parse(s).map(Some),
        },
    );
    let status = e.take(
        "status",
        int(f.text("status")).and_then(ComponentStatus::from_code),
    );
    let order = e.take("order", int(or(f.text("order"), "0")).and_then(Order::new));
    let group_id = e.take("group_id", opt_id(f.text("group_id")));
    let tags = e.take("tags", parse_tags(f.text("tags")));
    let meta = e.take("meta", parse_meta(f.text("meta")));
    Some(ComponentInput {
        name: name?,
        description: description?,
        link: link?,
        status: status?,
        order: order?,
        group_id: group_id?.map(GroupId),
        enabled: f.flag("enabled", true),
        tags: tags?,
        meta: meta?,
    })
}

fn manual(ctx: &Ctx<'_, '_>) -> StatusCause {
    StatusCause {
        kind: StatusCauseKind::Manual,
        user_id: ctx.user_id(),
        ..StatusCause::default()
    }
}

async fn save_component(ctx: &Ctx<'_, '_>, id: Option<ComponentId>) -> Out {
    let mut errors = Errors::default();
    if let Some(input) = parse_component(&ctx.form, &mut errors) {
        let result = match id {
            None => ctx
                .cachet()
                .create_component(
                    ctx.actor(),
                    &NewComponent {
                        name: input.name,
                        description: input.description,
                        link: input.link,
                        status: input.status,
                        order: input.order,
                        group_id: input.group_id,
                        enabled: input.enabled,
                        tags: input.tags,
                        meta: input.meta,
                        cause: manual(ctx),
                    },
                )
                .await
                .map(|_| Flash::Created),
            Some(id) => ctx
                .cachet()
                .update_component(
                    ctx.actor(),
                    id,
                    &ComponentPatch {
                        name: Some(input.name),
                        description: Some(input.description),
                        link: Some(input.link),
                        status: Some(input.status),
                        order: Some(input.order),
                        group_id: Some(input.group_id),
                        enabled: Some(input.enabled),
                        tags: Some(input.tags),
                        meta: Some(input.meta),
                        cause: manual(ctx),
                    },
                )
                .await
                .map(|_| Flash::Saved),
        };
        match result {
            Ok(flash) => return ctx.done("/components", flash),
            Err(e) => form_error(e, &mut errors)?,
        }
    } else {
        // Refuse a viewer before showing them their own typing back.
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let chrome = ctx.chrome("components").await?;
    let existing = match id {
        Some(id) => Some(ctx.cachet().component(ctx.actor(), id).await?),
        None => None,
    };
    let groups = all_groups(ctx).await?;
    let mut form = component_form(&chrome, existing.as_ref(), &ctx.form, &groups);
    errors.apply(&mut form);
    let title = match &existing {
        Some(c) => M::EditComponent.fill(&[c.name.as_str()]),
        None => M::NewComponent.en().to_owned(),
    };
    page_with_form(ctx, chrome, title, form, rejected(&errors))
}

async fn quick_status(ctx: &Ctx<'_, '_>, id: ComponentId) -> Out {
    let status = int(ctx.form.text("status")).and_then(ComponentStatus::from_code);
    let status = match status {
        Ok(s) => s,
        Err(v) => {
            return Err(Fail::Facade(crate::Error::Validation(
                crate::validate::ValidationError::new("status", v),
            )));
        }
    };
    let patch = ComponentPatch {
        status: Some(status),
        cause: manual(ctx),
        ..ComponentPatch::default()
    };
    ctx.cachet()
        .update_component(ctx.actor(), id, &patch)
        .await?;
    ctx.done("/components", Flash::Saved)
}

/// Which way a move goes.
fn direction(f: &Submitted) -> Result<bool, Fail> {
    match f.text("direction") {
        "up" => Ok(true),
        "down" => Ok(false),
        _ => Err(Fail::Facade(crate::Error::Validation(
            crate::validate::ValidationError::new(
                "direction",
                Violation::NotAllowed {
                    allowed: "up, down",
                },
            ),
        ))),
    }
}

/// The new order of a list after moving `index` one place up or down, as 1-based positions;
/// `None` when it cannot move further.
fn moved(len: usize, index: usize, up: bool) -> Option<Vec<usize>> {
    let other = if up { index.checked_sub(1)? } else { index + 1 };
    if other >= len {
        return None;
    }
    let mut positions: Vec<usize> = (0..len).collect();
    positions.swap(index, other);
    Some(positions)
}

async fn move_component(ctx: &Ctx<'_, '_>, id: ComponentId) -> Out {
    let up = direction(&ctx.form)?;
    // Refuse a viewer before anything else (every write below asks again).
    ctx.cachet()
        .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
        .await?;
    let me = ctx.cachet().component(ctx.actor(), id).await?;
    let siblings: Vec<Component> = all_components(ctx)
        .await?
        .into_iter()
        .filter(|c| c.group_id == me.group_id)
        .collect();
    let index = siblings.iter().position(|c| c.id == id).ok_or(unknown())?;
    if let Some(positions) = moved(siblings.len(), index, up) {
        // Renumber the siblings 1..n in the new order, writing only what changes.
        for (n, &i) in positions.iter().enumerate() {
            let c = &siblings[i];
            let order = Order::new(i64::try_from(n + 1).unwrap_or(i64::MAX)).map_err(|v| {
                Fail::Facade(crate::validate::ValidationError::new("order", v).into())
            })?;
            if c.order != order {
                let patch = ComponentPatch {
                    order: Some(order),
                    cause: manual(ctx),
                    ..ComponentPatch::default()
                };
                ctx.cachet()
                    .update_component(ctx.actor(), c.id, &patch)
                    .await?;
            }
        }
    }
    ctx.done("/components", Flash::Saved)
}

async fn move_group(ctx: &Ctx<'_, '_>, id: GroupId) -> Out {
    let up = direction(&ctx.form)?;
    ctx.cachet()
        .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
        .await?;
    let groups = all_groups(ctx).await?;
    let index = groups.iter().position(|g| g.id == id).ok_or(unknown())?;
    if let Some(positions) = moved(groups.len(), index, up) {
        for (n, &i) in positions.iter().enumerate() {
            let g = &groups[i];
            let order = Order::new(i64::try_from(n + 1).unwrap_or(i64::MAX)).map_err(|v| {
                Fail::Facade(crate::validate::ValidationError::new("order", v).into())
            })?;
            if g.order != order {
                let patch = ComponentGroupPatch {
                    order: Some(order),
                    ..ComponentGroupPatch::default()
                };
                ctx.cachet().update_group(ctx.actor(), g.id, &patch).await?;
            }
        }
    }
    ctx.done("/groups", Flash::Saved)
}

// ---- groups ----------------------------------------------------------------------------

async fn group_list(ctx: &Ctx<'_, '_>) -> Out {
    let chrome = ctx.chrome("groups").await?;
    let groups = all_groups(ctx).await?;
    let components = all_components(ctx).await?;
    let mut page = Page::new(M::Groups.en());
    new_link(&mut page, &chrome, "/groups/new", M::NewGroup);
    let rows = groups
        .iter()
        .map(|g| {
            let id = g.id.get();
            let count = components
                .iter()
                .filter(|c| c.group_id == Some(g.id))
                .count();
            let mut actions = vec![open_action(&chrome, &format!("/groups/{id}"))];
            if chrome.can_write {
                let path = format!("/groups/{id}/move");
                actions.push(Action::Form(move_button(
                    &chrome,
                    &path,
                    "up",
                    M::MoveUp,
                    g.name.as_str(),
                )));
                actions.push(Action::Form(move_button(
                    &chrome,
                    &path,
                    "down",
                    M::MoveDown,
                    g.name.as_str(),
                )));
                actions.extend(delete_action(&chrome, &format!("/groups/{id}")));
            }
            vec![
                Cell::Link(Link::new(
                    chrome.dash(&format!("/groups/{id}")),
                    g.name.as_str(),
                )),
                cell(g.order.get().to_string()),
                cell(g.collapsed.label()),
                cell(g.visible.label()),
                cell(count.to_string()),
                Cell::Actions(actions),
            ]
        })
        .collect();
    page.push(list_table(
        M::Groups.en().to_owned(),
        &[
            M::Name,
            M::Order,
            M::Collapsed,
            M::VisibleTo,
            M::Components,
            M::Actions,
        ],
        rows,
        M::NoGroups,
    ));
    render(ctx.dash, chrome, page, StatusCode::OK)
}

fn group_values(g: &ComponentGroup) -> Submitted {
    Submitted::from_pairs(vec![
        ("name", g.name.as_str().to_owned()),
        ("order", g.order.get().to_string()),
        ("collapsed", g.collapsed.code().to_string()),
        ("visible", g.visible.code().to_string()),
    ])
}

fn group_form(chrome: &Chrome, existing: Option<&ComponentGroup>, v: &Submitted) -> Form {
    let action = match existing {
        Some(g) => chrome.dash(&format!("/groups/{}", g.id.get())),
        None => chrome.dash("/groups"),
    };
    Form::new(action, &chrome.csrf, M::Save.en())
        .field(Field::new("name", M::Name.en(), Kind::Text, v.text("name")).required())
        .field(Field::new(
            "order",
            M::Order.en(),
            Kind::Number("1"),
            or(v.text("order"), "0"),
        ))
        .field(Field::new(
            "collapsed",
            M::Collapsed.en(),
            options(
                Collapsed::ALL
                    .iter()
                    .map(|c| (c.code().to_string(), c.label())),
                or(v.text("collapsed"), "0"),
            ),
            "",
        ))
        .field(Field::new(
            "visible",
            M::VisibleTo.en(),
            options(
                GroupVisibility::ALL
                    .iter()
                    .map(|c| (c.code().to_string(), c.label())),
                or(v.text("visible"), "1"),
            ),
            "",
        ))
}

async fn save_group(ctx: &Ctx<'_, '_>, id: Option<GroupId>) -> Out {
    let f = &ctx.form;
    let mut e = Errors::default();
    let name = e.take("name", Name::parse(f.text("name")));
    let order = e.take("order", int(or(f.text("order"), "0")).and_then(Order::new));
    let collapsed = e.take(
        "collapsed",
        int(or(f.text("collapsed"), "0")).and_then(Collapsed::from_code),
    );
    let visible = e.take(
        "visible",
        int(or(f.text("visible"), "1")).and_then(GroupVisibility::from_code),
    );
    if let (Some(name), Some(order), Some(collapsed), Some(visible)) =
        (name, order, collapsed, visible)
    {
        let result = match id {
            None => ctx
                .cachet()
                .create_group(
                    ctx.actor(),
                    &NewComponentGroup {
                        name,
                        order,
                        collapsed,
                        visible,
                    },
                )
                .await
                .map(|_| Flash::Created),
            Some(id) => ctx
                .cachet()
                .update_group(
                    ctx.actor(),
                    id,
                    &ComponentGroupPatch {
                        name: Some(name),
                        order: Some(order),
                        collapsed: Some(collapsed),
                        visible: Some(visible),
                    },
                )
                .await
                .map(|_| Flash::Saved),
        };
        match result {
            Ok(flash) => return ctx.done("/groups", flash),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let chrome = ctx.chrome("groups").await?;
    let existing = match id {
        Some(id) => Some(ctx.cachet().group(ctx.actor(), id).await?),
        None => None,
    };
    let mut form = group_form(&chrome, existing.as_ref(), f);
    e.apply(&mut form);
    let title = match &existing {
        Some(g) => M::EditGroup.fill(&[g.name.as_str()]),
        None => M::NewGroup.en().to_owned(),
    };
    page_with_form(ctx, chrome, title, form, rejected(&e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn moving_swaps_neighbours_and_stops_at_the_ends() {
        assert_eq!(moved(3, 1, true), Some(vec![1, 0, 2]));
        assert_eq!(moved(3, 1, false), Some(vec![0, 2, 1]));
        assert_eq!(moved(3, 0, true), None);
        assert_eq!(moved(3, 2, false), None);
    }

    #[test]
    fn tags_are_names_separated_by_commas() {
        let t = parse_tags(" Core, api ,core,,").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].slug.as_str(), "core");
        assert!(parse_tags("---").is_err());
        assert!(parse_meta("").unwrap().is_empty());
        assert!(parse_meta("[1]").is_err());
    }
}
