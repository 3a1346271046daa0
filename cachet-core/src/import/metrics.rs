//! Metrics and their points.

use super::Source;
use super::builder::{Builder, int, map_table, text};
use super::source::{millis, rule};
use crate::model::{CalcType, MetricView, Visibility};
use crate::store::backup::Value;
use crate::validate::{Markdown, Name, Order, Places, Text, Threshold};

pub(super) fn map_metrics(b: &mut Builder, source: &Source, now: i64) {
    let metrics = map_table(b, source, "metrics", |r, id| {
        let name = rule("name", Name::parse(r.text("name")))?;
        let suffix = rule("suffix", Text::parse(r.text("suffix")))?;
        let description = rule("description", Markdown::parse(r.text("description")))?;
        let default_value = millis("default_value", r.raw("default_value").unwrap_or("0"))?;
        let calc = rule("calc_type", CalcType::from_code(r.int_or("calc_type", 0)?))?;
        let places = rule("places", Places::new(r.int_or("places", 2)?))?;
        let view = rule(
            "default_view",
            MetricView::from_code(r.int_or("default_view", 1)?),
        )?;
        let threshold = rule("threshold", Threshold::new(r.int_or("threshold", 5)?))?;
        let order = rule("order", Order::new(r.int_or("order", 0)?))?;
        let visible = rule("visible", Visibility::from_code(r.int_or("visible", 1)?))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(suffix.as_str()),
            text(description.as_str()),
            int(default_value),
            int(i64::from(calc.code())),
            Value::Bool(r.bool_or("display_chart", true)?),
            int(i64::from(places.get())),
            int(i64::from(view.code())),
            int(i64::from(threshold.minutes())),
            int(i64::from(order.get())),
            int(i64::from(visible.code())),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    map_table(b, source, "metric_points", |r, id| {
        let metric = r.parent("metric_id", "metric", &metrics)?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            int(metric),
            int(millis("value", r.raw("value").unwrap_or("0"))?),
            int(r.int_or("counter", 1)?),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
}
