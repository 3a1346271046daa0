//! Metrics and their points.
//!
//! [`MetricStore`] for [`MemoryStore`].

use async_trait::async_trait;

use super::state::not_found;
use super::{MemoryStore, order};
use crate::model::*;
use crate::store::query::*;
use crate::store::{Changed, EffectsFn, MetricStore, StoreResult, WriteContext};
use crate::validate::MetricValue;

#[async_trait]
impl MetricStore for MemoryStore {
    async fn metric(&self, id: MetricId) -> StoreResult<Metric> {
        self.lock()
            .metrics
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("metric", id.0))
    }

    async fn metrics(&self, q: &MetricQuery) -> StoreResult<Page<Metric>> {
        let st = self.lock();
        let items: Vec<Metric> = st
            .metrics
            .values()
            .filter(|m| q.filter.visible.is_none_or(|v| m.visible == v))
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)),
            order::metric,
            |m| m.id.0,
        ))
    }

    async fn create_metric(
        &self,
        cx: WriteContext,
        new: &NewMetric,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<Metric> {
        let mut st = self.lock();
        let id = MetricId(st.ids.metric.next());
        let metric = Metric {
            id,
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
        let effects = fx(&metric);
        st.metrics.insert(id, metric.clone());
        st.commit(cx.now, effects);
        Ok(metric)
    }

    async fn update_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        patch: &MetricPatch,
        fx: &EffectsFn<'_, Changed<Metric>>,
    ) -> StoreResult<Metric> {
        let mut st = self.lock();
        let before = st
            .metrics
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("metric", id.0))?;
        let mut after = before.clone();
        patch.apply_to(&mut after);
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.metrics.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_metric(
        &self,
        cx: WriteContext,
        id: MetricId,
        fx: &EffectsFn<'_, Metric>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let metric = st
            .metrics
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("metric", id.0))?;
        let effects = fx(&metric);
        st.metrics.remove(&id);
        st.points.retain(|_, p| p.metric_id != id);
        st.commit(cx.now, effects);
        Ok(())
    }

    async fn metric_point(&self, metric: MetricId, id: MetricPointId) -> StoreResult<MetricPoint> {
        let st = self.lock();
        st.point_of(metric, id)
    }

    async fn metric_points(
        &self,
        metric: MetricId,
        q: &MetricPointQuery,
    ) -> StoreResult<Page<MetricPoint>> {
        let st = self.lock();
        if !st.metrics.contains_key(&metric) {
            return Err(not_found("metric", metric.0));
        }
        let f = &q.filter;
        let items: Vec<MetricPoint> = st
            .points
            .values()
            .filter(|p| {
                p.metric_id == metric
                    && f.since.is_none_or(|t| p.created_at >= t)
                    && f.until.is_none_or(|t| p.created_at < t)
            })
            .cloned()
            .collect();
        Ok(order::sort_page(
            items,
            q.sort,
            q.page,
            |a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)),
            order::metric_point,
            |p| p.id.0,
        ))
    }

    async fn record_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        new: &NewMetricPoint,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<MetricPoint> {
        let mut st = self.lock();
        if !st.metrics.contains_key(&metric) {
            return Err(not_found("metric", metric.0));
        }
        let merge_into = new.merge_since.and_then(|since| {
            st.points
                .values()
                .filter(|p| p.metric_id == metric && p.value == new.value && p.created_at >= since)
                .max_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)))
                .cloned()
        });
        let point = match merge_into {
            Some(mut p) => {
                p.counter += 1;
                p.updated_at = cx.now;
                p
            }
            None => MetricPoint {
                id: MetricPointId(st.ids.metric_point.next()),
                metric_id: metric,
                value: new.value,
                counter: 1,
                created_at: new.created_at,
                updated_at: cx.now,
            },
        };
        let effects = fx(&point);
        st.points.insert(point.id, point.clone());
        st.commit(cx.now, effects);
        Ok(point)
    }

    async fn update_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        value: MetricValue,
        created_at: Option<Timestamp>,
        fx: &EffectsFn<'_, Changed<MetricPoint>>,
    ) -> StoreResult<MetricPoint> {
        let mut st = self.lock();
        let before = st.point_of(metric, id)?;
        let mut after = before.clone();
        after.value = value;
        if let Some(t) = created_at {
            after.created_at = t;
        }
        after.updated_at = cx.now;
        let effects = fx(&Changed {
            before,
            after: after.clone(),
        });
        st.points.insert(id, after.clone());
        st.commit(cx.now, effects);
        Ok(after)
    }

    async fn delete_metric_point(
        &self,
        cx: WriteContext,
        metric: MetricId,
        id: MetricPointId,
        fx: &EffectsFn<'_, MetricPoint>,
    ) -> StoreResult<()> {
        let mut st = self.lock();
        let point = st.point_of(metric, id)?;
        let effects = fx(&point);
        st.points.remove(&id);
        st.commit(cx.now, effects);
        Ok(())
    }
}
