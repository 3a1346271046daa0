//! Incidents, their updates and affected components, and incident templates.

use cachet_core::model::*;
use cachet_core::store::{
    Changed, EffectsFn, Page, PageRequest, StoreResult, WriteContext, query::*,
};

use super::components::apply_status;
use super::{
    apply_effects, bump, check_components, check_user, children, exists, order_or, page_of,
};
use crate::args::{Where, args, sort_clause};
use crate::error::{backend, conflict, not_found, unique};
use crate::rows::*;
use crate::sql::Dialect;

async fn incidents_from<D: Dialect>(
    c: &mut D::Conn,
    rows: Vec<IncidentRow>,
) -> StoreResult<Vec<Incident>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut affected =
        children::<D, AffectedRow>(c, "cachet_incident_components", "incident_id", &ids).await?;
    rows.into_iter()
        .map(|r| {
            let (mine, rest) = affected.drain(..).partition(|a| a.incident_id == r.id);
            affected = rest;
            r.into_model(mine)
        })
        .collect()
}

async fn get_incident<D: Dialect>(c: &mut D::Conn, id: IncidentId) -> StoreResult<Incident> {
    let row = D::fetch_opt::<IncidentRow>(
        c,
        D::sql("SELECT * FROM cachet_incidents WHERE id = ?"),
        args![id.0],
    )
    .await?;
    let row = row.ok_or_else(|| not_found("incident", id.0))?;
    incidents_from::<D>(c, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found("incident", id.0))
}

async fn get_incident_update<D: Dialect>(
    c: &mut D::Conn,
    incident: IncidentId,
    id: IncidentUpdateId,
) -> StoreResult<IncidentUpdate> {
    if !exists::<D>(
        c,
        "SELECT COUNT(*) FROM cachet_incidents WHERE id = ?",
        incident.0,
    )
    .await?
    {
        return Err(not_found("incident", incident.0));
    }
    D::fetch_opt::<IncidentUpdateRow>(
        c,
        D::sql("SELECT * FROM cachet_incident_updates WHERE id = ? AND incident_id = ?"),
        args![id.0, incident.0],
    )
    .await?
    .ok_or_else(|| not_found("incident_update", id.0))?
    .into_model()
}

async fn get_template<D: Dialect>(
    c: &mut D::Conn,
    id: TemplateId,
) -> StoreResult<IncidentTemplate> {
    D::fetch_opt::<TemplateRow>(
        c,
        D::sql("SELECT * FROM cachet_incident_templates WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("incident_template", id.0))?
    .into_model()
}

async fn write_affected<D: Dialect>(
    c: &mut D::Conn,
    id: IncidentId,
    components: &[AffectedComponent],
) -> StoreResult<()> {
    D::exec(
        c,
        D::sql("DELETE FROM cachet_incident_components WHERE incident_id = ?"),
        args![id.0],
    )
    .await?;
    for a in components {
        D::exec(
            c,
            D::sql("INSERT INTO cachet_incident_components (incident_id, component_id, status) VALUES (?, ?, ?)"),
            args![id.0, a.component_id.0, i64::from(a.status.code())],
        )
        .await?;
    }
    Ok(())
}

// ---- incidents (the `Store` methods) -----------------------------------------------------------

pub(crate) async fn incident<D: Dialect>(db: &D, id: IncidentId) -> StoreResult<Incident> {
    let mut c = db.read().await?;
    get_incident::<D>(&mut c, id).await
}

pub(crate) async fn incidents<D: Dialect>(
    db: &D,
    q: &IncidentQuery,
) -> StoreResult<Page<Incident>> {
    let f = &q.filter;
    let mut w = Where::default();
    if let Some(v) = f.id {
        w.eq("id", v.0);
    }
    if let Some(v) = f.user_id {
        w.eq("user_id", v.0);
    }
    if let Some(v) = f.component_id {
        w.cond(
            "EXISTS (SELECT 1 FROM cachet_incident_components a WHERE a.incident_id = cachet_incidents.id AND a.component_id = ?)",
            args![v.0],
        );
    }
    if let Some(v) = &f.name {
        w.eq("name", v.as_str());
    }
    if let Some(v) = f.status {
        w.eq("status", i64::from(v.code()));
    }
    if let Some(v) = f.visible {
        w.eq("visible", v);
    }
    if let Some(v) = f.stickied {
        w.eq("stickied", v);
    }
    match f.resolved {
        Some(true) => w.cond("status = ?", args![i64::from(IncidentStatus::Fixed.code())]),
        Some(false) => w.cond(
            "status <> ?",
            args![i64::from(IncidentStatus::Fixed.code())],
        ),
        None => {}
    }
    if let Some(t) = f.occurred_since {
        w.cond("occurred_at >= ?", args![t]);
    }
    if let Some(t) = f.occurred_before {
        w.cond("occurred_at < ?", args![t]);
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            IncidentSort::Id => sort_clause("id", false, d),
            IncidentSort::Name => sort_clause("name", false, d),
            IncidentSort::Status => sort_clause("status", false, d),
            IncidentSort::Visible => sort_clause("visible", false, d),
            IncidentSort::Stickied => sort_clause("stickied", false, d),
            IncidentSort::OccurredAt => sort_clause("occurred_at", false, d),
            IncidentSort::CreatedAt => sort_clause("created_at", false, d),
            IncidentSort::UpdatedAt => sort_clause("updated_at", false, d),
        }),
        "occurred_at DESC, id DESC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, IncidentRow>(&mut c, "cachet_incidents", &w, &order, q.page).await?;
    let items = incidents_from::<D>(&mut c, rows).await?;
    Ok(Page {
        items,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_incident<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewIncident,
    fx: &EffectsFn<'_, Incident>,
) -> StoreResult<Incident> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let components = normalize_affected(&new.components);
    check_components::<D>(
        &mut tx,
        &components
            .iter()
            .map(|a| a.component_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    check_user::<D>(&mut tx, new.user_id).await?;
    let id = IncidentId(
        D::insert(
            &mut tx,
            "INSERT INTO cachet_incidents (user_id, name, status, message, visible, stickied, notify, occurred_at, meta, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![
                new.user_id.map(|u| u.0),
                new.name.as_str(),
                i64::from(new.status.code()),
                new.message.as_str(),
                new.visible,
                new.stickied,
                new.notify,
                new.occurred_at,
                new.meta.to_json(),
                cx.now,
                cx.now,
            ],
        )
        .await?,
    );
    write_affected::<D>(&mut tx, id, &components).await?;
    let incident = Incident {
        id,
        user_id: new.user_id,
        name: new.name.clone(),
        status: new.status,
        message: new.message.clone(),
        visible: new.visible,
        stickied: new.stickied,
        notify: new.notify,
        occurred_at: new.occurred_at,
        components,
        meta: new.meta.clone(),
        created_at: cx.now,
        updated_at: cx.now,
    };
    if new.apply_component_status {
        let cause = StatusCause {
            kind: StatusCauseKind::Incident,
            user_id: new.user_id,
            incident_id: Some(id),
            schedule_id: None,
        };
        for a in &incident.components {
            apply_status::<D>(&mut tx, a.component_id, a.status, cause, cx.now).await?;
        }
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&incident)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(incident)
}

pub(crate) async fn update_incident<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: IncidentId,
    patch: &IncidentPatch,
    fx: &EffectsFn<'_, Changed<Incident>>,
) -> StoreResult<Incident> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_incident::<D>(&mut tx, id).await?;
    let mut after = before.clone();
    patch.apply_to(&mut after);
    if patch.components.is_some() {
        check_components::<D>(
            &mut tx,
            &after
                .components
                .iter()
                .map(|a| a.component_id)
                .collect::<Vec<_>>(),
        )
        .await?;
    }
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_incidents SET name = ?, status = ?, message = ?, visible = ?, stickied = ?, notify = ?, \
             occurred_at = ?, meta = ?, updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            i64::from(after.status.code()),
            after.message.as_str(),
            after.visible,
            after.stickied,
            after.notify,
            after.occurred_at,
            after.meta.to_json(),
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    if patch.components.is_some() {
        write_affected::<D>(&mut tx, id, &after.components).await?;
        if patch.apply_component_status {
            let cause = StatusCause {
                kind: StatusCauseKind::Incident,
                user_id: after.user_id,
                incident_id: Some(id),
                schedule_id: None,
            };
            for a in &after.components {
                apply_status::<D>(&mut tx, a.component_id, a.status, cause, cx.now).await?;
            }
        }
    }
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

pub(crate) async fn delete_incident<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: IncidentId,
    fx: &EffectsFn<'_, Incident>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let incident = get_incident::<D>(&mut tx, id).await?;
    for s in [
        "DELETE FROM cachet_incident_updates WHERE incident_id = ?",
        "DELETE FROM cachet_incident_components WHERE incident_id = ?",
        "DELETE FROM cachet_incidents WHERE id = ?",
    ] {
        D::exec(&mut tx, D::sql(s), args![id.0]).await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&incident)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn incident_update<D: Dialect>(
    db: &D,
    incident: IncidentId,
    id: IncidentUpdateId,
) -> StoreResult<IncidentUpdate> {
    let mut c = db.read().await?;
    get_incident_update::<D>(&mut c, incident, id).await
}

pub(crate) async fn incident_updates<D: Dialect>(
    db: &D,
    incident: IncidentId,
    page: PageRequest,
) -> StoreResult<Page<IncidentUpdate>> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_incidents WHERE id = ?",
        incident.0,
    )
    .await?
    {
        return Err(not_found("incident", incident.0));
    }
    let mut w = Where::default();
    w.eq("incident_id", incident.0);
    let (rows, total) = page_of::<D, IncidentUpdateRow>(
        &mut c,
        "cachet_incident_updates",
        &w,
        "created_at DESC, id DESC",
        page,
    )
    .await?;
    Ok(Page {
        items: models(rows, IncidentUpdateRow::into_model)?,
        total,
        request: page,
    })
}

pub(crate) async fn incident_updates_of<D: Dialect>(
    db: &D,
    incidents: &[IncidentId],
) -> StoreResult<Vec<IncidentUpdate>> {
    let mut c = db.read().await?;
    let ids: Vec<i64> = incidents.iter().map(|i| i.0).collect();
    let mut out = Vec::with_capacity(ids.len());
    // Bounded IN lists: every backend limits bound parameters per statement.
    for chunk in ids.chunks(super::ROWS_PER_STATEMENT) {
        let rows = children::<D, IncidentUpdateRow>(
            &mut c,
            "cachet_incident_updates",
            "incident_id",
            chunk,
        )
        .await?;
        out.extend(models(rows, IncidentUpdateRow::into_model)?);
    }
    out.sort_by(|a, b| {
        (a.incident_id, b.created_at, b.id).cmp(&(b.incident_id, a.created_at, a.id))
    });
    Ok(out)
}

pub(crate) async fn create_incident_update<D: Dialect>(
    db: &D,
    cx: WriteContext,
    incident: IncidentId,
    new: &NewIncidentUpdate,
    fx: &EffectsFn<'_, IncidentUpdate>,
) -> StoreResult<IncidentUpdate> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_incidents WHERE id = ?",
        incident.0,
    )
    .await?
    {
        return Err(not_found("incident", incident.0));
    }
    check_components::<D>(
        &mut tx,
        &new.component
            .iter()
            .map(|a| a.component_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    check_user::<D>(&mut tx, new.user_id).await?;
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_incident_updates (incident_id, status, message, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        args![incident.0, i64::from(new.status.code()), new.message.as_str(), new.user_id.map(|u| u.0), cx.now, cx.now],
    )
    .await?;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_incidents SET status = ?, updated_at = ? WHERE id = ?"),
        args![i64::from(new.status.code()), cx.now, incident.0],
    )
    .await?;
    if let Some(a) = new.component {
        let cause = StatusCause {
            kind: StatusCauseKind::Incident,
            user_id: new.user_id,
            incident_id: Some(incident),
            schedule_id: None,
        };
        apply_status::<D>(&mut tx, a.component_id, a.status, cause, cx.now).await?;
    }
    let update = IncidentUpdate {
        id: IncidentUpdateId(id),
        incident_id: incident,
        status: new.status,
        message: new.message.clone(),
        user_id: new.user_id,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&update)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(update)
}

pub(crate) async fn update_incident_update<D: Dialect>(
    db: &D,
    cx: WriteContext,
    incident: IncidentId,
    id: IncidentUpdateId,
    patch: &IncidentUpdatePatch,
    fx: &EffectsFn<'_, Changed<IncidentUpdate>>,
) -> StoreResult<IncidentUpdate> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_incident_update::<D>(&mut tx, incident, id).await?;
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_incident_updates SET status = ?, message = ?, updated_at = ? WHERE id = ?"),
        args![i64::from(after.status.code()), after.message.as_str(), after.updated_at, id.0],
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

pub(crate) async fn delete_incident_update<D: Dialect>(
    db: &D,
    cx: WriteContext,
    incident: IncidentId,
    id: IncidentUpdateId,
    fx: &EffectsFn<'_, IncidentUpdate>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let update = get_incident_update::<D>(&mut tx, incident, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_incident_updates WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&update)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

// ---- incident templates (the `Store` methods) --------------------------------------------------

pub(crate) async fn template<D: Dialect>(db: &D, id: TemplateId) -> StoreResult<IncidentTemplate> {
    let mut c = db.read().await?;
    get_template::<D>(&mut c, id).await
}

pub(crate) async fn templates<D: Dialect>(
    db: &D,
    q: &TemplateQuery,
) -> StoreResult<Page<IncidentTemplate>> {
    let mut w = Where::default();
    if let Some(v) = &q.filter.slug {
        w.eq("slug", v.as_str());
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            TemplateSort::Id => sort_clause("id", false, d),
            TemplateSort::Name => sort_clause("name", false, d),
            TemplateSort::Slug => sort_clause("slug", false, d),
            TemplateSort::CreatedAt => sort_clause("created_at", false, d),
        }),
        "id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, TemplateRow>(&mut c, "cachet_incident_templates", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, TemplateRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_template<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewIncidentTemplate,
    fx: &EffectsFn<'_, IncidentTemplate>,
) -> StoreResult<IncidentTemplate> {
    const SLUG_TAKEN: &str = "slug already exists";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let taken = D::int(
        &mut tx,
        D::sql("SELECT COUNT(*) FROM cachet_incident_templates WHERE slug = ?"),
        args![new.slug.as_str()],
    )
    .await?;
    if taken > 0 {
        return Err(conflict("incident_template", SLUG_TAKEN));
    }
    let id = D::insert_id(
        &mut tx,
        "INSERT INTO cachet_incident_templates (name, slug, template, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        args![new.name.as_str(), new.slug.as_str(), new.template.as_str(), cx.now, cx.now],
    )
    .await
    .map_err(unique("incident_template", SLUG_TAKEN))?;
    let template = IncidentTemplate {
        id: TemplateId(id),
        name: new.name.clone(),
        slug: new.slug.clone(),
        template: new.template.clone(),
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&template)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(template)
}

pub(crate) async fn update_template<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: TemplateId,
    patch: &IncidentTemplatePatch,
    fx: &EffectsFn<'_, Changed<IncidentTemplate>>,
) -> StoreResult<IncidentTemplate> {
    const SLUG_TAKEN: &str = "slug already exists";
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_template::<D>(&mut tx, id).await?;
    if let Some(slug) = &patch.slug {
        let taken = D::int(
            &mut tx,
            D::sql("SELECT COUNT(*) FROM cachet_incident_templates WHERE slug = ? AND id <> ?"),
            args![slug.as_str(), id.0],
        )
        .await?;
        if taken > 0 {
            return Err(conflict("incident_template", SLUG_TAKEN));
        }
    }
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::execute(&mut tx, D::sql("UPDATE cachet_incident_templates SET name = ?, slug = ?, template = ?, updated_at = ? WHERE id = ?"), args![after.name.as_str(), after.slug.as_str(), after.template.as_str(), after.updated_at, id.0]).await.map_err(unique("incident_template", SLUG_TAKEN))?;
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

pub(crate) async fn delete_template<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: TemplateId,
    fx: &EffectsFn<'_, IncidentTemplate>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let template = get_template::<D>(&mut tx, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_incident_templates WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&template)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
