//! Metrics and their points.

use cachet_core::model::*;
use cachet_core::store::{Changed, EffectsFn, Page, StoreResult, WriteContext, query::*};
use cachet_core::validate::MetricValue;

use super::{apply_effects, bump, exists, order_or, page_of};
use crate::args::{Where, args, sort_clause};
use crate::error::{backend, not_found};
use crate::rows::*;
use crate::sql::Dialect;

async fn get_metric<D: Dialect>(c: &mut D::Conn, id: MetricId) -> StoreResult<Metric> {
    D::fetch_opt::<MetricRow>(
        c,
        D::sql("SELECT * FROM cachet_metrics WHERE id = ?"),
        args![id.0],
    )
    .await?
    .ok_or_else(|| not_found("metric", id.0))?
    .into_model()
}

async fn get_point<D: Dialect>(
    c: &mut D::Conn,
    metric: MetricId,
    id: MetricPointId,
) -> StoreResult<MetricPoint> {
    if !exists::<D>(
        c,
        "SELECT COUNT(*) FROM cachet_metrics WHERE id = ?",
        metric.0,
    )
    .await?
    {
        return Err(not_found("metric", metric.0));
    }
    D::fetch_opt::<PointRow>(
        c,
        D::sql("SELECT * FROM cachet_metric_points WHERE id = ? AND metric_id = ?"),
        args![id.0, metric.0],
    )
    .await?
    .ok_or_else(|| not_found("metric_point", id.0))?
    .into_model()
}

// ---- metrics (the `Store` methods) -------------------------------------------------------------

pub(crate) async fn metric<D: Dialect>(db: &D, id: MetricId) -> StoreResult<Metric> {
    let mut c = db.read().await?;
    get_metric::<D>(&mut c, id).await
}

pub(crate) async fn metrics<D: Dialect>(db: &D, q: &MetricQuery) -> StoreResult<Page<Metric>> {
    let mut w = Where::default();
    if let Some(v) = q.filter.visible {
        w.eq("visible", i64::from(v.code()));
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            MetricSort::Id => sort_clause("id", false, d),
            MetricSort::Name => sort_clause("name", false, d),
            MetricSort::Order => sort_clause("position", false, d),
            MetricSort::CreatedAt => sort_clause("created_at", false, d),
        }),
        "position ASC, id ASC",
    );
    let mut c = db.read().await?;
    let (rows, total) =
        page_of::<D, MetricRow>(&mut c, "cachet_metrics", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, MetricRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn create_metric<D: Dialect>(
    db: &D,
    cx: WriteContext,
    new: &NewMetric,
    fx: &EffectsFn<'_, Metric>,
) -> StoreResult<Metric> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let id = D::insert(
        &mut tx,
        "INSERT INTO cachet_metrics (name, suffix, description, default_value, calc_type, display_chart, places, default_view, \
         threshold, position, visible, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            new.name.as_str(),
            new.suffix.as_str(),
            new.description.as_str(),
            new.default_value.millis(),
            i64::from(new.calc_type.code()),
            new.display_chart,
            i64::from(new.places.get()),
            i64::from(new.default_view.code()),
            i64::from(new.threshold.minutes()),
            i64::from(new.order.get()),
            i64::from(new.visible.code()),
            cx.now,
            cx.now,
        ],
    )
    .await?;
    let metric = Metric {
        id: MetricId(id),
        name: new.name.clone(),
        suffix: new.suffix.clone(),
        description: new.description.clone(),
        default_value: new.default_value,
        calc_type: new.calc_type,
        display_chart: new.display_chart,
        places: new.places,
        default_view: new.default_view,
        threshold: new.threshold,
        order: new.order,
        visible: new.visible,
        created_at: cx.now,
        updated_at: cx.now,
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&metric)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(metric)
}

pub(crate) async fn update_metric<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: MetricId,
    patch: &MetricPatch,
    fx: &EffectsFn<'_, Changed<Metric>>,
) -> StoreResult<Metric> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_metric::<D>(&mut tx, id).await?;
    let mut after = before.clone();
    patch.apply_to(&mut after);
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_metrics SET name = ?, suffix = ?, description = ?, default_value = ?, calc_type = ?, display_chart = ?, \
             places = ?, default_view = ?, threshold = ?, position = ?, visible = ?, updated_at = ? WHERE id = ?"),
        args![
            after.name.as_str(),
            after.suffix.as_str(),
            after.description.as_str(),
            after.default_value.millis(),
            i64::from(after.calc_type.code()),
            after.display_chart,
            i64::from(after.places.get()),
            i64::from(after.default_view.code()),
            i64::from(after.threshold.minutes()),
            i64::from(after.order.get()),
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

pub(crate) async fn delete_metric<D: Dialect>(
    db: &D,
    cx: WriteContext,
    id: MetricId,
    fx: &EffectsFn<'_, Metric>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let metric = get_metric::<D>(&mut tx, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_metric_points WHERE metric_id = ?"),
        args![id.0],
    )
    .await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_metrics WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&metric)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn metric_point<D: Dialect>(
    db: &D,
    metric: MetricId,
    id: MetricPointId,
) -> StoreResult<MetricPoint> {
    let mut c = db.read().await?;
    get_point::<D>(&mut c, metric, id).await
}

pub(crate) async fn metric_points<D: Dialect>(
    db: &D,
    metric: MetricId,
    q: &MetricPointQuery,
) -> StoreResult<Page<MetricPoint>> {
    let mut c = db.read().await?;
    if !exists::<D>(
        &mut c,
        "SELECT COUNT(*) FROM cachet_metrics WHERE id = ?",
        metric.0,
    )
    .await?
    {
        return Err(not_found("metric", metric.0));
    }
    let mut w = Where::default();
    w.eq("metric_id", metric.0);
    if let Some(t) = q.filter.since {
        w.cond("created_at >= ?", args![t]);
    }
    if let Some(t) = q.filter.until {
        w.cond("created_at < ?", args![t]);
    }
    let order = order_or(
        q.sort.map(|(s, d)| match s {
            MetricPointSort::Id => sort_clause("id", false, d),
            MetricPointSort::Value => sort_clause("value", false, d),
            MetricPointSort::CreatedAt => sort_clause("created_at", false, d),
        }),
        "created_at DESC, id DESC",
    );
    let (rows, total) =
        page_of::<D, PointRow>(&mut c, "cachet_metric_points", &w, &order, q.page).await?;
    Ok(Page {
        items: models(rows, PointRow::into_model)?,
        total,
        request: q.page,
    })
}

pub(crate) async fn record_metric_point<D: Dialect>(
    db: &D,
    cx: WriteContext,
    metric: MetricId,
    new: &NewMetricPoint,
    fx: &EffectsFn<'_, MetricPoint>,
) -> StoreResult<MetricPoint> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    if !exists::<D>(
        &mut tx,
        "SELECT COUNT(*) FROM cachet_metrics WHERE id = ?",
        metric.0,
    )
    .await?
    {
        return Err(not_found("metric", metric.0));
    }
    let merge_into = match new.merge_since {
        Some(since) => D::fetch_opt::<PointRow>(
            &mut tx,
            D::sql("SELECT * FROM cachet_metric_points WHERE metric_id = ? AND value = ? AND created_at >= ? \
                 ORDER BY created_at DESC, id DESC LIMIT 1"),
            args![metric.0, new.value.millis(), since],
        )
        .await?
        .map(PointRow::into_model)
        .transpose()?,
        None => None,
    };
    let point = match merge_into {
        Some(mut p) => {
            p.counter += 1;
            p.updated_at = cx.now;
            D::exec(
                &mut tx,
                D::sql("UPDATE cachet_metric_points SET counter = ?, updated_at = ? WHERE id = ?"),
                args![p.counter, p.updated_at, p.id.0],
            )
            .await?;
            p
        }
        None => {
            let id = D::insert(
                &mut tx,
                "INSERT INTO cachet_metric_points (metric_id, value, counter, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
                args![metric.0, new.value.millis(), new.created_at, cx.now],
            )
            .await?;
            MetricPoint {
                id: MetricPointId(id),
                metric_id: metric,
                value: new.value,
                counter: 1,
                created_at: new.created_at,
                updated_at: cx.now,
            }
        }
    };
    apply_effects::<D>(&mut tx, cx.now, fx(&point)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(point)
}

pub(crate) async fn update_metric_point<D: Dialect>(
    db: &D,
    cx: WriteContext,
    metric: MetricId,
    id: MetricPointId,
    value: MetricValue,
    created_at: Option<Timestamp>,
    fx: &EffectsFn<'_, Changed<MetricPoint>>,
) -> StoreResult<MetricPoint> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let before = get_point::<D>(&mut tx, metric, id).await?;
    let mut after = before.clone();
    after.value = value;
    if let Some(t) = created_at {
        after.created_at = t;
    }
    after.updated_at = cx.now;
    D::exec(
        &mut tx,
        D::sql("UPDATE cachet_metric_points SET value = ?, created_at = ?, updated_at = ? WHERE id = ?"),
        args![after.value.millis(), after.created_at, after.updated_at, id.0],
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

pub(crate) async fn delete_metric_point<D: Dialect>(
    db: &D,
    cx: WriteContext,
    metric: MetricId,
    id: MetricPointId,
    fx: &EffectsFn<'_, MetricPoint>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    bump::<D>(&mut tx).await?;
    let point = get_point::<D>(&mut tx, metric, id).await?;
    D::exec(
        &mut tx,
        D::sql("DELETE FROM cachet_metric_points WHERE id = ?"),
        args![id.0],
    )
    .await?;
    apply_effects::<D>(&mut tx, cx.now, fx(&point)).await?;
    D::commit(tx).await.map_err(backend)?;
    Ok(())
}
