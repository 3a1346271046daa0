//! Maintenance schedules, their components and updates.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, Page, StoreResult, WriteContext, query::*};

use super::{
    apply_effects, bump, check_components, check_user, children, exists, order_or, page_of,
};
use crate::args::{Arg, Where, args, sort_clause};
use crate::error::{backend, conflict, not_found};
use crate::rows::*;
use crate::sql::Dialect;

async fn schedules_from<D: Dialect>(
    c: &mut D::Conn,
    rows: Vec<ScheduleRow>,
) -> StoreResult<Vec<Schedule>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut comps =
        children::<D, ScheduleComponentRow>(c, "cachet_schedule_components", "schedule_id", &ids)
            .await?;
    rows.into_iter()
        .map(|r| {
            let (mine, rest) = comps.drain(..).partition(|s| s.schedule_id == r.id);
            comps = rest;
            r.into_model(mine)
        })
        .collect()
}

async fn get_schedule<D: Dialect>(c: &mut D::Conn, id: ScheduleId) -> StoreResult<Schedule> {
    let row = D::fetch_opt::<ScheduleRow>(
        c,
        D::sql("SELECT * FROM cachet_schedules WHERE id = ?"),
        args![id.0],
    )
    .await?;
    let row = row.ok_or_else(|| not_found("schedule", id.0))?;
    schedules_from::<D>(c, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found("schedule", id.0))
}

async fn write_schedule_components<D: Dialect>(
    c: &mut D::Conn,
    id: ScheduleId,
    components: &[ComponentId],
) -> StoreResult<()> {
    D::exec(
        c,
        D::sql("DELETE FROM cachet_schedule_components WHERE schedule_id = ?"),
        args![id.0],
    )
    .await?;
    for cid in components {
        D::exec(
            c,
            D::sql(
                "INSERT INTO cachet_schedule_components (schedule_id, component_id) VALUES (?, ?)",
            ),
            args![id.0, cid.0],
        )
        .await?;
    }
    Ok(())
}

// ---- maintenance schedules (the `Store` methods) -----------------------------------------------

pub(crate) async fn schedule<D: Dialect>(db: &D, id: ScheduleId) -> StoreResult<Schedule> {
    let mut c = db.read().await?;
    get_schedule::<D>(&mut c, id).await
}

pub(crate) async fn schedules<D: Dialect>(
    db: &D,
    q: &ScheduleQuery,
) -> StoreResult<Page<Schedule>> {
    let f = &q.filter;
    let mut w = Where::default();
    if !f.status_any.is_empty() {
        w.in_list(
            "status IN",
            f.status_any
                .iter()
                .map(|s| Arg::from(i64::from(s.code())))
                .collect(),
            "",
        );
    }
    if let Some(v) = f.component_id {
        w.cond(
            "EXISTS (SELECT 1 FROM cachet_schedule_components s WHERE s.schedule_id = cachet_schedules.id AND s.component_id = ?)",
            args![v.0],
        );
    }
    if let Some(t) = f.scheduled_before {
        w.cond("scheduled_at <= ?", args![t]);
    }
    if let Some(t) = f.scheduled_since {
        w.cond("scheduled_at >= ?", args![t]);
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            ScheduleSort::Id => sort_clause("id", false, d),
            ScheduleSort::Name => sort_clause("name", false, d),
            ScheduleSort::Status => sort_clause("status", false, d),
            ScheduleSort::ScheduledAt => sort_clause("scheduled_at", false, d),
            ScheduleSort::CompletedAt => sort_clause("completed_at", true, d),
            ScheduleSort::CreatedAt => sort_clause("created_at", false, d),
        }),
        "scheduled_at ASC, id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, ScheduleRow>(&mut c, "cachet_schedules", &w, &order, q.page).await?;
    let items = schedules_from::<D>(&mut c, rows).await?;
    Ok(Page {
        items,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_schedule<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewSchedule,
    fx: &EffectsFn<'_, Schedule>,
) -> StoreResult<Schedule> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let components = normalize_ids(&new.components);
    check_components::<D>(&mut tx, &components).await?;
    check_user::<D>(&mut tx, new.user_id).await?;
    let id = ScheduleId(
        D::insert(
            &mut tx,
            "INSERT INTO cachet_schedules (name, message, status, scheduled_at, completed_at, notify, user_id, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![
                new.name.as_str(),
                new.message.as_str(),
                i64::from(new.status.code()),
                new.scheduled_at,
                new.completed_at,
                new.notify,
                new.user_id.map(|u| u.0),
                cx.now,
                cx.now,
            ],
        )
        .await?,
    );
    write_schedule_components::<D>(&mut tx, id, &components).await?;
    let schedule = Schedule {
        id,
        name: new.name.clone(),
        message: new.message.clone(),
        status: new.status,
        scheduled_at: new.scheduled_at,
        completed_at: new.completed_at,
        components,
        notify: new.notify,
        user_id: new.user_id,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&schedule)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(schedule)
}

pub(crate) async fn update_schedule<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: ScheduleId,
    patch: &SchedulePatch,
    fx: &EffectsFn<'_, Changed<Schedule>>,
) -> StoreResult<Schedule> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_schedule::<D>(&mut tx, id).await?;
    if let Some(expected) = patch.expected_status
        && before.status != expected
    {
        return Err(conflict("schedule", "status changed"));
    }
    let mut after = before.clone();
    patch.apply_to(&mut after);
    if patch.components.is_some() {
        check_components::<D>(&mut tx, &after.components).await?;
    }
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_schedules SET name = ?, message = ?, status = ?, scheduled_at = ?, completed_at = ?, notify = ?, \
             updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            after.message.as_str(),
            i64::from(after.status.code()),
            after.scheduled_at,
            after.completed_at,
            after.notify,
            after.updated_at,
            id.0,
        ],
    )
    .await?;
    if patch.components.is_some() {
        write_schedule_components::<D>(&mut tx, id, &after.components).await?;
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

pub(crate) async fn delete_schedule<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: ScheduleId,
    fx: &EffectsFn<'_, Schedule>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let schedule = get_schedule::<D>(&mut tx, id).await?;
    for s in [
        "DELETE FROM cachet_schedule_updates WHERE schedule_id = ?",
        "DELETE FROM cachet_schedule_components WHERE schedule_id = ?",
        "DELETE FROM cachet_schedules WHERE id = ?",
    ] {
        D::exec(&mut tx, D::sql(s), args![id.0]).await?;
    }
    apply_effects::<D>(&mut tx, cx.now, fx(&schedule)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn schedule_updates<D: Dialect>(
    db: &D,
    schedule: ScheduleId,
) -> StoreResult<Vec<ScheduleUpdate>> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_schedules WHERE id = ?",
        schedule.0,
    )
    .await?
    {
        return Err(not_found("schedule", schedule.0));
    }
    let rows = D::fetch::<ScheduleUpdateRow>(
        &mut c,
        D::sql("SELECT * FROM cachet_schedule_updates WHERE schedule_id = ? ORDER BY created_at ASC, id ASC"),
        args![schedule.0],
    )
    .await?;
    models(rows, ScheduleUpdateRow::into_model)
}

pub(crate) async fn create_schedule_update<D: Dialect>(
    db: &D,
    cx: WriteContext,
    schedule: ScheduleId,
    new: &NewScheduleUpdate,
    fx: &EffectsFn<'_, ScheduleUpdate>,
) -> StoreResult<ScheduleUpdate> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_schedules WHERE id = ?",
        schedule.0,
    )
    .await?
    {
        return Err(not_found("schedule", schedule.0));
    }
    check_user::<D>(&mut tx, new.user_id).await?;
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_schedule_updates (schedule_id, message, user_id, created_at) VALUES (?, ?, ?, ?)",
        args![schedule.0, new.message.as_str(), new.user_id.map(|u| u.0), cx.now],
    )
    .await?;
    let update = ScheduleUpdate {
        id: ScheduleUpdateId(id),
        schedule_id: schedule,
        message: new.message.clone(),
        user_id: new.user_id,
        created_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&update)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(update)
}

pub(crate) async fn delete_schedule_update<D: Dialect>(
    db: &D,
    cx: WriteContext,
    schedule: ScheduleId,
    id: ScheduleUpdateId,
    fx: &EffectsFn<'_, ScheduleUpdate>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_schedules WHERE id = ?",
        schedule.0,
    )
    .await?
    {
        return Err(not_found("schedule", schedule.0));
    }
    let update = D::fetch_opt::<ScheduleUpdateRow>(
        &mut tx,
        D::sql("SELECT * FROM cachet_schedule_updates WHERE id = ? AND schedule_id = ?"),
        args![id.0, schedule.0],
    )
    .await?
    .ok_or_else(|| not_found("schedule_update", id.0))?
    .into_model()?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_schedule_updates WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&update)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
