//! Components, their tags and status history, and component groups.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, Page, StoreResult, WriteContext, query::*};

use super::{apply_effects, bump, children, exists, order_or, page_of};
use crate::args::{Arg, Where, args, sort_clause};
use crate::error::{backend, invalid, not_found};
use crate::rows::*;
use crate::sql::Dialect;

async fn components_from<D: Dialect>(
    c: &mut D::Conn,
    rows: Vec<ComponentRow>,
) -> StoreResult<Vec<Component>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tags = children::<D, TagRow>(c, "cachet_component_tags", "component_id", &ids).await?;
    rows.into_iter()
        .map(|r| {
            let (mine, rest) = tags.drain(..).partition(|t| t.component_id == r.id);
            tags = rest;
            r.into_model(mine)
        })
        .collect()
}

pub(crate) async fn get_component<D: Dialect>(
    c: &mut D::Conn,
    id: ComponentId,
) -> StoreResult<Component> {
    let row = D::fetch_opt::<ComponentRow>(
        c,
        D::sql("SELECT * FROM cachet_components WHERE id = ?"),
        args![id.0],
    )
    .await?;
    let row = row.ok_or_else(|| not_found("component", id.0))?;
    components_from::<D>(c, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found("component", id.0))
}

async fn get_group<D: Dialect>(c: &mut D::Conn, id: GroupId) -> StoreResult<ComponentGroup> {
    D::fetch_opt::<GroupRow>(
        c,
        D::sql("SELECT * FROM cachet_component_groups WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("component_group", id.0))?
    .into_model()
}

async fn push_history<D: Dialect>(
    c: &mut D::Conn,
    component: ComponentId,
    old: Option<ComponentStatus>,
    new: ComponentStatus,
    cause: StatusCause,
    at: Timestamp,
) -> StoreResult<()> {
    D::insert(
        c,
        "INSERT INTO cachet_status_changes (component_id, old_status, new_status, cause_kind, cause_user_id, cause_incident_id, cause_schedule_id, at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            component.0,
            old.map(|s| i64::from(s.code())),
            i64::from(new.code()),
            cause.kind.as_str(),
            cause.user_id.map(|u| u.0),
            cause.incident_id.map(|i| i.0),
            cause.schedule_id.map(|s| s.0),
            at,
        ],
    )
    .await?;
    Ok(())
}

/// Sets a component's status and `updated_at`, with a history entry when it changed.
pub(crate) async fn apply_status<D: Dialect>(
    c: &mut D::Conn,
    id: ComponentId,
    status: ComponentStatus,
    cause: StatusCause,
    now: Timestamp,
) -> StoreResult<()> {
    let old = D::int(
        c,
        D::sql("SELECT status FROM cachet_components WHERE id = ?"),
        args![id.0],
    )
    .await?;
    let old = ComponentStatus::from_code(old)
        .map_err(|e| cachet_core::store::StoreError::corrupt("component", e))?;
    D::exec(
        c,
        D::sql("UPDATE cachet_components SET status = ?, updated_at = ? WHERE id = ?"),
        args![i64::from(status.code()), now, id.0],
    )
    .await?;
    if old != status {
        push_history::<D>(c, id, Some(old), status, cause, now).await?;
    }
    Ok(())
}

async fn write_tags<D: Dialect>(c: &mut D::Conn, id: ComponentId, tags: &[Tag]) -> StoreResult<()> {
    D::exec(
        c,
        D::sql("DELETE FROM cachet_component_tags WHERE component_id = ?"),
        args![id.0],
    )
    .await?;
    for t in tags {
        D::exec(
            c,
            D::sql("INSERT INTO cachet_component_tags (component_id, slug, name) VALUES (?, ?, ?)"),
            args![id.0, t.slug.as_str(), t.name.as_str()],
        )
        .await?;
    }
    Ok(())
}

// ---- components (the `Store` methods) ----------------------------------------------------------

pub(crate) async fn component<D: Dialect>(db: &D, id: ComponentId) -> StoreResult<Component> {
    let mut c = db.read().await?;
    get_component::<D>(&mut c, id).await
}

pub(crate) async fn components<D: Dialect>(
    db: &D,
    q: &ComponentQuery,
) -> StoreResult<Page<Component>> {
    let f = &q.filter;
    let mut w = Where::default();
    if let Some(v) = f.id {
        w.eq("id", v.0);
    }
    if let Some(v) = &f.name {
        w.eq("name", v.as_str());
    }
    if let Some(v) = f.status {
        w.eq("status", i64::from(v.code()));
    }
    if let Some(v) = f.order {
        w.eq("position", i64::from(v.get()));
    }
    match f.group_id {
        Some(Some(g)) => w.eq("group_id", g.0),
        Some(None) => w.cond("group_id IS NULL", vec![]),
        None => {}
    }
    if let Some(v) = f.enabled {
        w.eq("enabled", v);
    }
    if !f.tags_any.is_empty() {
        w.in_list(
            "EXISTS (SELECT 1 FROM cachet_component_tags t WHERE t.component_id = cachet_components.id AND t.slug IN",
            f.tags_any.iter().map(|s| Arg::from(s.as_str())).collect(),
            ")",
        );
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            ComponentSort::Id => sort_clause("id", false, d),
            ComponentSort::Name => sort_clause("name", false, d),
            ComponentSort::Status => sort_clause("status", false, d),
            ComponentSort::Order => sort_clause("position", false, d),
            ComponentSort::GroupId => sort_clause("group_id", true, d),
            ComponentSort::Enabled => sort_clause("enabled", false, d),
            ComponentSort::CreatedAt => sort_clause("created_at", false, d),
            ComponentSort::UpdatedAt => sort_clause("updated_at", false, d),
        }),
        "position ASC, id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, ComponentRow>(&mut c, "cachet_components", &w, &order, q.page).await?;
    let items = components_from::<D>(&mut c, rows).await?;
    Ok(Page {
        items,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_component<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewComponent,
    fx: &EffectsFn<'_, Component>,
) -> StoreResult<Component> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if let Some(g) = new.group_id
        && !exists::<D>(
            &mut tx,
            "SELECT COUNT(*) FROM cachet_component_groups WHERE id = ?",
            g.0,
        )
        .await?
    {
        return Err(invalid("unknown group"));
    }
    let id = ComponentId(
        D::insert(
            &mut tx,
            "INSERT INTO cachet_components (name, description, link, status, position, group_id, enabled, meta, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![
                new.name.as_str(),
                new.description.as_str(),
                new.link.as_ref().map(|l| l.as_str()),
                i64::from(new.status.code()),
                i64::from(new.order.get()),
                new.group_id.map(|g| g.0),
                new.enabled,
                new.meta.to_json(),
                cx.now,
                cx.now,
            ],
        )
        .await?,
    );
    let tags = normalize_tags(&new.tags);
    write_tags::<D>(&mut tx, id, &tags).await?;
    push_history::<D>(&mut tx, id, None, new.status, new.cause, cx.now).await?;
    let component = Component {
        id,
        name: new.name.clone(),
        description: new.description.clone(),
        link: new.link.clone(),
        status: new.status,
        order: new.order,
        group_id: new.group_id,
        enabled: new.enabled,
        tags,
        meta: new.meta.clone(),
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&component)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(component)
}

pub(crate) async fn update_component<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: ComponentId,
    patch: &ComponentPatch,
    fx: &EffectsFn<'_, Changed<Component>>,
) -> StoreResult<Component> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_component::<D>(&mut tx, id).await?;
    if let Some(Some(g)) = patch.group_id
        && !exists::<D>(
            &mut tx,
            "SELECT COUNT(*) FROM cachet_component_groups WHERE id = ?",
            g.0,
        )
        .await?
    {
        return Err(invalid("unknown group"));
    }
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_components SET name = ?, description = ?, link = ?, status = ?, position = ?, group_id = ?, \
             enabled = ?, meta = ?, updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            after.description.as_str(),
            after.link.as_ref().map(|l| l.as_str()),
            i64::from(after.status.code()),
            i64::from(after.order.get()),
            after.group_id.map(|g| g.0),
            after.enabled,
            after.meta.to_json(),
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    if patch.tags.is_some() {
        write_tags::<D>(&mut tx, id, &after.tags).await?;
    }
    if before.status != after.status {
        push_history::<D>(
            &mut tx,
            id,
            Some(before.status),
            after.status,
            patch.cause,
            cx.now,
        )
        .await?;
    }
    let effects = fx(&Changed {
        before,
        after: after.clone(),
    });
    apply_effects::<D>(&mut tx, cx.now, effects).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_component<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: ComponentId,
    fx: &EffectsFn<'_, Component>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let component = get_component::<D>(&mut tx, id).await?;
    for s in [
        "DELETE FROM cachet_component_tags WHERE component_id = ?",
        "DELETE FROM cachet_status_changes WHERE component_id = ?",
        "DELETE FROM cachet_subscriptions WHERE component_id = ?",
        "DELETE FROM cachet_incident_components WHERE component_id = ?",
        "DELETE FROM cachet_schedule_components WHERE component_id = ?",
        "DELETE FROM cachet_alert_states WHERE rule_id IN (SELECT id FROM cachet_alert_rules WHERE component_id = ?)",
        "DELETE FROM cachet_alert_rules WHERE component_id = ?",
        "DELETE FROM cachet_components WHERE id = ?",
    ] {
        D::exec(&mut tx, D::sql(s), args![id.0]).await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&component)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn status_history<D: Dialect>(
    db: &D,
    id: ComponentId,
    since: Timestamp,
) -> StoreResult<Vec<StatusChange>> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_components WHERE id = ?",
        id.0,
    )
    .await?
    {
        return Err(not_found("component", id.0));
    }
    let mut rows = D::fetch::<StatusChangeRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_status_changes WHERE component_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1"),
        args![id.0, since],
    )
    .await?;
    rows.extend(
        D::fetch::<StatusChangeRow>(
            &mut c,
            D::sql("SELECT * FROM cachet_status_changes WHERE component_id = ? AND at >= ? ORDER BY at ASC, id ASC"),
            args![id.0, since],
        )
        .await?,
    );
    models(rows, StatusChangeRow::into_model)
}

// ---- component groups (the `Store` methods) ----------------------------------------------------

pub(crate) async fn group<D: Dialect>(db: &D, id: GroupId) -> StoreResult<ComponentGroup> {
    let mut c = db.read().await?;
    get_group::<D>(&mut c, id).await
}

pub(crate) async fn groups<D: Dialect>(
    db: &D,
    q: &GroupQuery,
) -> StoreResult<Page<ComponentGroup>> {
    let f = &q.filter;
    let mut w = Where::default();
    if let Some(v) = f.id {
        w.eq("id", v.0);
    }
    if let Some(v) = &f.name {
        w.eq("name", v.as_str());
    }
    if let Some(v) = f.order {
        w.eq("position", i64::from(v.get()));
    }
    if let Some(v) = f.collapsed {
        w.eq("collapsed", i64::from(v.code()));
    }
    if let Some(v) = f.visible {
        w.eq("visible", i64::from(v.code()));
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            GroupSort::Id => sort_clause("id", false, d),
            GroupSort::Name => sort_clause("name", false, d),
            GroupSort::Order => sort_clause("position", false, d),
            GroupSort::Collapsed => sort_clause("collapsed", false, d),
            GroupSort::Visible => sort_clause("visible", false, d),
            GroupSort::CreatedAt => sort_clause("created_at", false, d),
            GroupSort::UpdatedAt => sort_clause("updated_at", false, d),
        }),
        "position ASC, id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, GroupRow>(&mut c, "cachet_component_groups", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, GroupRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_group<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewComponentGroup,
    fx: &EffectsFn<'_, ComponentGroup>,
) -> StoreResult<ComponentGroup> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_component_groups (name, position, collapsed, visible, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        args![
            new.name.as_str(),
            i64::from(new.order.get()),
            i64::from(new.collapsed.code()),
            i64::from(new.visible.code()),
            cx.now,
            cx.now,
        ],
    )
    .await?;
    let group = ComponentGroup {
        id: GroupId(id),
        name: new.name.clone(),
        order: new.order,
        collapsed: new.collapsed,
        visible: new.visible,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&group)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(group)
}

pub(crate) async fn update_group<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: GroupId,
    patch: &ComponentGroupPatch,
    fx: &EffectsFn<'_, Changed<ComponentGroup>>,
) -> StoreResult<ComponentGroup> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_group::<D>(&mut tx, id).await?;
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_component_groups SET name = ?, position = ?, collapsed = ?, visible = ?, updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            i64::from(after.order.get()),
            i64::from(after.collapsed.code()),
            i64::from(after.visible.code()),
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    apply_effects::<D>(
        &mut tx,
        cx.now,
        fx(&Changed {
            before,
            after: after.clone(),
        }),
    )
    .await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(after)
}

pub(crate) async fn delete_group<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: GroupId,
    fx: &EffectsFn<'_, ComponentGroup>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let group = get_group::<D>(&mut tx, id).await?;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_components SET group_id = NULL WHERE group_id = ?"),
        args![id.0],
    )
    .await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_component_groups WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&group)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
