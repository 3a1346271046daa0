//! Metrics and metric points.

use super::components::Key;
use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

/// Create, read, list, update (every field) and delete a metric.
pub async fn metrics_crud(store: &dyn Store) -> Result<(), Failure> {
    let new = NewMetric {
        name: name("Response time")?,
        suffix: text("ms")?,
        description: md("Median **latency**")?,
        default_value: value(-1500)?,
        calc_type: CalcType::Sum,
        display_chart: false,
        places: Places::new(3)?,
        default_view: MetricView::Week,
        threshold: Threshold::new(15)?,
        order: order(4)?,
        visible: Visibility::Hidden,
    };
    let m = store
        .create_metric(cx(10), &new, &no_effects)
        .await
        .ctx("create_metric")?;
    let expected = Metric {
        id: m.id,
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
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&m, &expected, "created metric")?;
    ensure_eq(
        store.metric(m.id).await.ctx("metric")?,
        expected.clone(),
        "metric read back",
    )?;
    let page = store.metrics(&MetricQuery::all()).await.ctx("metrics")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "metrics list",
    )?;
    let patch = MetricPatch {
        name: Some(name("Latency")?),
        suffix: Some(text("s")?),
        description: Some(Markdown::empty()),
        default_value: Some(value(0)?),
        calc_type: Some(CalcType::Average),
        display_chart: Some(true),
        places: Some(Places::new(0)?),
        default_view: Some(MetricView::LastHour),
        threshold: Some(Threshold::new(1)?),
        order: Some(order(-4)?),
        visible: Some(Visibility::Public),
    };
    let u = store
        .update_metric(cx(20), m.id, &patch, &no_effects)
        .await
        .ctx("update_metric")?;
    let expected = Metric {
        name: name("Latency")?,
        suffix: text("s")?,
        description: Markdown::empty(),
        default_value: value(0)?,
        calc_type: CalcType::Average,
        display_chart: true,
        places: Places::new(0)?,
        default_view: MetricView::LastHour,
        threshold: Threshold::new(1)?,
        order: order(-4)?,
        visible: Visibility::Public,
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "updated metric")?;
    ensure_eq(
        store.metric(m.id).await.ctx("metric")?,
        expected,
        "updated metric read back",
    )?;
    store
        .delete_metric(cx(30), m.id, &no_effects)
        .await
        .ctx("delete_metric")?;
    ensure_err(
        store.metric(m.id).await,
        ErrorKind::NotFound,
        "metric after delete",
    )?;
    ensure_err(
        store.delete_metric(cx(31), m.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_metric(cx(31), m.id, &MetricPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    Ok(())
}

/// The visibility filter, natural order `order` then id, every [`MetricSort`] field in both
/// directions.
pub async fn metric_filter_and_sorts(store: &dyn Store) -> Result<(), Failure> {
    let specs = [
        ("bravo", 2, Visibility::Public, 30),
        ("alpha", 1, Visibility::Hidden, 10),
        ("bravo", 1, Visibility::Public, 20),
    ];
    let mut m = Vec::new();
    for (n, o, visible, t) in specs {
        let new = NewMetric {
            order: order(o)?,
            visible,
            ..new_metric(n)?
        };
        m.push(
            store
                .create_metric(cx(t), &new, &no_effects)
                .await
                .ctx("create_metric")?,
        );
    }
    let all = store.metrics(&MetricQuery::all()).await.ctx("metrics")?;
    ensure_eq(
        ids(&all.items, |x| x.id.get()),
        vec![m[1].id.get(), m[2].id.get(), m[0].id.get()],
        "metrics by order, then id",
    )?;
    let q = MetricQuery::filtered(MetricFilter {
        visible: Some(Visibility::Public),
    });
    let page = store.metrics(&q).await.ctx("metrics")?;
    ensure_eq(
        ids(&page.items, |x| x.id.get()),
        vec![m[2].id.get(), m[0].id.get()],
        "metrics filtered by visibility",
    )?;
    ensure_eq(page.total, 2, "total of public metrics")?;
    let q = MetricQuery::filtered(MetricFilter {
        visible: Some(Visibility::Authenticated),
    });
    ensure_eq(
        store.metrics(&q).await.ctx("metrics")?.total,
        0,
        "no metric for signed-in users",
    )?;
    for field in MetricSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .metrics(&MetricQuery::all().sorted(*field, dir))
                .await
                .ctx("metrics sorted")?;
            ensure_eq(page.items.len(), m.len(), "every metric listed")?;
            let key = |x: &Metric| match field {
                MetricSort::Id => Key::Int(x.id.get()),
                MetricSort::Name => Key::Str(x.name.as_str().to_owned()),
                MetricSort::Order => Key::Int(i64::from(x.order.get())),
                MetricSort::CreatedAt => Key::Time(x.created_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("metrics by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

/// Cachet's merge rule: the same value recorded at or after `merge_since` increments the
/// existing point's counter (same id returned, first time kept); a different value, a point
/// outside the window, no window at all, or another metric inserts a new point.
pub async fn metric_point_merging(store: &dyn Store) -> Result<(), Failure> {
    let m = metric(store, "Requests", 0).await?;
    let other = metric(store, "Other", 0).await?;
    let rec = |metric: MetricId, millis: i64, t: i64, since: Option<i64>| async move {
        store
            .record_metric_point(
                cx(t),
                metric,
                &new_point(millis, at(t), since.map(at))?,
                &no_effects,
            )
            .await
            .ctx("record_metric_point")
    };
    let p1 = rec(m.id, 1000, 100, None).await?;
    let expected = MetricPoint {
        id: p1.id,
        metric_id: m.id,
        value: value(1000)?,
        counter: 1,
        created_at: at(100),
        updated_at: at(100),
    };
    ensure_eq(&p1, &expected, "first point")?;
    let p = rec(m.id, 1000, 130, Some(60)).await?;
    ensure_eq(
        p.id,
        p1.id,
        "the same value inside the window merges into the point",
    )?;
    ensure_eq(
        (p.counter, p.created_at, p.updated_at),
        (2, at(100), at(130)),
        "merged point's counter and times",
    )?;
    let p = rec(m.id, 1000, 131, Some(100)).await?;
    ensure_eq(
        (p.id, p.counter),
        (p1.id, 3),
        "a point created exactly at merge_since merges",
    )?;
    let p3 = rec(m.id, 2000, 140, Some(60)).await?;
    ensure(p3.id != p1.id, "a different value inserts a new point")?;
    ensure_eq(p3.counter, 1, "new point's counter")?;
    let p4 = rec(m.id, 1000, 200, Some(101)).await?;
    ensure(
        p4.id != p1.id,
        "the same value outside the window inserts a new point",
    )?;
    let p5 = rec(m.id, 2000, 150, None).await?;
    ensure(p5.id != p3.id, "without a window every point is new")?;
    let p6 = rec(other.id, 2000, 160, Some(0)).await?;
    ensure(
        p6.id != p3.id && p6.id != p5.id,
        "points never merge across metrics",
    )?;
    ensure_eq(p6.metric_id, other.id, "point's metric")?;
    let page = store
        .metric_points(m.id, &MetricPointQuery::all())
        .await
        .ctx("metric_points")?;
    ensure_eq(page.total, 4, "points of the metric")?;
    ensure_eq(
        store
            .metric_point(m.id, p1.id)
            .await
            .ctx("metric_point")?
            .counter,
        3,
        "stored counter",
    )?;
    Ok(())
}

/// Point filters (`since` inclusive, `until` exclusive), natural order newest first then id
/// descending, every [`MetricPointSort`] field in both directions, paging.
pub async fn metric_point_queries(store: &dyn Store) -> Result<(), Failure> {
    let m = metric(store, "Requests", 0).await?;
    let mut p = Vec::new();
    for (millis, t) in [
        (5000, 100),
        (1000, 200),
        (3000, 300),
        (1000, 300),
        (-250, 50),
    ] {
        p.push(
            store
                .record_metric_point(cx(t), m.id, &new_point(millis, at(t), None)?, &no_effects)
                .await
                .ctx("record_metric_point")?,
        );
    }
    let q = |filter: MetricPointFilter| MetricPointQuery::filtered(filter);
    let cases: Vec<(&str, MetricPointFilter, Vec<usize>)> = vec![
        ("nothing", MetricPointFilter::default(), vec![3, 2, 1, 0, 4]),
        (
            "since (inclusive)",
            MetricPointFilter {
                since: Some(at(200)),
                until: None,
            },
            vec![3, 2, 1],
        ),
        (
            "until (exclusive)",
            MetricPointFilter {
                since: None,
                until: Some(at(200)),
            },
            vec![0, 4],
        ),
        (
            "window",
            MetricPointFilter {
                since: Some(at(100)),
                until: Some(at(300)),
            },
            vec![1, 0],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store.metric_points(m.id, &q(filter)).await.ctx(what)?;
        let want: Vec<i64> = want.iter().map(|x| p[*x].id.get()).collect();
        ensure_filtered(&page, |x| x.id.get(), &want, "points", what)?;
    }
    for field in MetricPointSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .metric_points(m.id, &MetricPointQuery::all().sorted(*field, dir))
                .await
                .ctx("points sorted")?;
            ensure_eq(page.items.len(), p.len(), "every point listed")?;
            let key = |x: &MetricPoint| match field {
                MetricPointSort::Id => Key::Int(x.id.get()),
                MetricPointSort::Value => Key::Int(x.value.millis()),
                MetricPointSort::CreatedAt => Key::Time(x.created_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("points by {}", field.name()),
            )?;
        }
    }
    let page = store
        .metric_points(m.id, &MetricPointQuery::all().paged(PageRequest::new(2, 2)))
        .await
        .ctx("points page 2")?;
    ensure_eq(
        ids(&page.items, |x| x.id.get()),
        vec![p[1].id.get(), p[0].id.get()],
        "second page of points",
    )?;
    ensure_eq(page.total, 5, "points total on a page")?;
    Ok(())
}

/// A point can be read, re-valued, re-timed and deleted under its metric only.
pub async fn metric_point_crud(store: &dyn Store) -> Result<(), Failure> {
    let m = metric(store, "Requests", 0).await?;
    let other = metric(store, "Other", 0).await?;
    let p = store
        .record_metric_point(cx(100), m.id, &new_point(1000, at(100), None)?, &no_effects)
        .await
        .ctx("record_metric_point")?;
    ensure_eq(
        store.metric_point(m.id, p.id).await.ctx("metric_point")?,
        p.clone(),
        "point read back",
    )?;
    let u = store
        .update_metric_point(cx(200), m.id, p.id, value(-42)?, None, &no_effects)
        .await
        .ctx("update_metric_point")?;
    ensure_eq(
        (u.id, u.value, u.created_at, u.counter),
        (p.id, value(-42)?, at(100), 1),
        "new value, same time",
    )?;
    let u = store
        .update_metric_point(cx(300), m.id, p.id, value(7)?, Some(at(150)), &no_effects)
        .await
        .ctx("update_metric_point")?;
    ensure_eq(
        (u.value, u.created_at),
        (value(7)?, at(150)),
        "new value and time",
    )?;
    ensure_eq(
        store.metric_point(m.id, p.id).await.ctx("metric_point")?,
        u.clone(),
        "updated point read back",
    )?;
    ensure_err(
        store.metric_point(other.id, p.id).await,
        ErrorKind::NotFound,
        "point under the wrong metric",
    )?;
    ensure_err(
        store
            .update_metric_point(cx(400), other.id, p.id, value(1)?, None, &no_effects)
            .await,
        ErrorKind::NotFound,
        "update under the wrong metric",
    )?;
    ensure_err(
        store
            .delete_metric_point(cx(400), other.id, p.id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "delete under the wrong metric",
    )?;
    ensure_eq(
        store.metric_point(m.id, p.id).await.ctx("metric_point")?,
        u,
        "point untouched by wrong-metric calls",
    )?;
    store
        .delete_metric_point(cx(500), m.id, p.id, &no_effects)
        .await
        .ctx("delete_metric_point")?;
    ensure_err(
        store.metric_point(m.id, p.id).await,
        ErrorKind::NotFound,
        "point after delete",
    )?;
    ensure_err(
        store
            .delete_metric_point(cx(501), m.id, p.id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .metric_points(MetricId(987_654), &MetricPointQuery::all())
            .await,
        ErrorKind::NotFound,
        "points of an unknown metric",
    )?;
    ensure_err(
        store
            .record_metric_point(
                cx(600),
                MetricId(987_654),
                &new_point(1, at(600), None)?,
                &no_effects,
            )
            .await,
        ErrorKind::NotFound,
        "point of an unknown metric",
    )?;
    Ok(())
}

/// Deleting a metric deletes its points; other metrics keep theirs.
pub async fn delete_metric_removes_points(store: &dyn Store) -> Result<(), Failure> {
    let m = metric(store, "Doomed", 0).await?;
    let other = metric(store, "Other", 0).await?;
    let p = store
        .record_metric_point(cx(10), m.id, &new_point(1, at(10), None)?, &no_effects)
        .await
        .ctx("record_metric_point")?;
    let q = store
        .record_metric_point(cx(10), other.id, &new_point(1, at(10), None)?, &no_effects)
        .await
        .ctx("record_metric_point")?;
    store
        .delete_metric(cx(20), m.id, &no_effects)
        .await
        .ctx("delete_metric")?;
    ensure_err(
        store.metric_point(m.id, p.id).await,
        ErrorKind::NotFound,
        "point of a deleted metric",
    )?;
    ensure_err(
        store.metric_points(m.id, &MetricPointQuery::all()).await,
        ErrorKind::NotFound,
        "points of a deleted metric",
    )?;
    ensure_eq(
        store
            .metric_point(other.id, q.id)
            .await
            .ctx("metric_point")?,
        q,
        "other metric's point intact",
    )?;
    Ok(())
}
