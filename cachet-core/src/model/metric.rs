//! Metrics and metric points.

use super::{MetricId, MetricPointId, Timestamp, Visibility, int_enum, set, with_setters};
use crate::validate::{Markdown, MetricValue, Name, Order, Places, Text, Threshold};

int_enum! {
    /// How a metric's points combine in a chart bucket.
    pub enum CalcType : "0 (sum), 1 (average)" {
        /// Sum of value x counter.
        Sum = 0 => "Sum",
        /// Average of the values.
        Average = 1 => "Average",
    }
}

int_enum! {
    /// A metric chart's default time range.
    pub enum MetricView : "0 (last hour), 1 (last 12 hours), 2 (last week), 3 (last month)" {
        /// Last hour, by minute.
        LastHour = 0 => "Last Hour",
        /// Last 12 hours, by hour (Cachet calls it "today").
        Today = 1 => "Last 12 Hours",
        /// Last week, by day.
        Week = 2 => "Week",
        /// Last month, by day.
        Month = 3 => "Month",
    }
}

/// A metric.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Metric {
    /// Its id.
    pub id: MetricId,
    /// Display name.
    pub name: Name,
    /// Unit shown after values.
    pub suffix: Text,
    /// Markdown description.
    pub description: Markdown,
    /// Value of an empty bucket.
    pub default_value: MetricValue,
    /// Sum or average.
    pub calc_type: CalcType,
    /// Whether the page draws a chart.
    pub display_chart: bool,
    /// Decimal places shown.
    pub places: Places,
    /// Default chart range.
    pub default_view: MetricView,
    /// Merge window in minutes.
    pub threshold: Threshold,
    /// Display position.
    pub order: Order,
    /// Who sees it.
    pub visible: Visibility,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// What creating a metric needs.
///
/// Build it with [`NewMetric::named`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewMetric {
    /// Display name.
    pub name: Name,
    /// Unit.
    pub suffix: Text,
    /// Description.
    pub description: Markdown,
    /// Empty-bucket value.
    pub default_value: MetricValue,
    /// Sum or average.
    pub calc_type: CalcType,
    /// Draw a chart.
    pub display_chart: bool,
    /// Decimal places.
    pub places: Places,
    /// Default range.
    pub default_view: MetricView,
    /// Merge window.
    pub threshold: Threshold,
    /// Position.
    pub order: Order,
    /// Visibility.
    pub visible: Visibility,
}

impl NewMetric {
    /// A metric with a name and the defaults API v1 gives a new one: no suffix or description, default value 0, summed, charted, two places, the last hour, a five-minute threshold, first in order, public.
    #[must_use]
    pub fn named(name: Name) -> Self {
        Self {
            name,
            suffix: Text::empty(),
            description: Markdown::default(),
            default_value: MetricValue::default(),
            calc_type: CalcType::Sum,
            display_chart: true,
            places: Places::default(),
            default_view: MetricView::Today,
            threshold: Threshold::default(),
            order: Order::default(),
            visible: Visibility::Public,
        }
    }
}

with_setters! {
    NewMetric {
        with_suffix => suffix: Text,
        with_description => description: Markdown,
        with_default_value => default_value: MetricValue,
        with_calc_type => calc_type: CalcType,
        with_display_chart => display_chart: bool,
        with_places => places: Places,
        with_default_view => default_view: MetricView,
        with_threshold => threshold: Threshold,
        with_order => order: Order,
        with_visible => visible: Visibility,
    }
}

/// A change to a metric.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricPatch {
    /// New name.
    pub name: Option<Name>,
    /// New unit.
    pub suffix: Option<Text>,
    /// New description.
    pub description: Option<Markdown>,
    /// New empty-bucket value.
    pub default_value: Option<MetricValue>,
    /// New calc type.
    pub calc_type: Option<CalcType>,
    /// New chart flag.
    pub display_chart: Option<bool>,
    /// New places.
    pub places: Option<Places>,
    /// New default view.
    pub default_view: Option<MetricView>,
    /// New threshold.
    pub threshold: Option<Threshold>,
    /// New order.
    pub order: Option<Order>,
    /// New visibility.
    pub visible: Option<Visibility>,
}

impl MetricPatch {
    /// Sets on `metric` every field this patch names and nothing else (`updated_at` is the
    /// store's to stamp).
    pub fn apply_to(&self, metric: &mut Metric) {
        set(&mut metric.name, self.name.as_ref());
        set(&mut metric.suffix, self.suffix.as_ref());
        set(&mut metric.description, self.description.as_ref());
        set(&mut metric.default_value, self.default_value.as_ref());
        set(&mut metric.calc_type, self.calc_type.as_ref());
        set(&mut metric.display_chart, self.display_chart.as_ref());
        set(&mut metric.places, self.places.as_ref());
        set(&mut metric.default_view, self.default_view.as_ref());
        set(&mut metric.threshold, self.threshold.as_ref());
        set(&mut metric.order, self.order.as_ref());
        set(&mut metric.visible, self.visible.as_ref());
    }
}

/// A metric point. `counter` counts how many identical values were merged into it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MetricPoint {
    /// Its id.
    pub id: MetricPointId,
    /// The metric.
    pub metric_id: MetricId,
    /// The value.
    pub value: MetricValue,
    /// How many times the value was recorded inside the merge window.
    pub counter: i64,
    /// When it was (first) recorded.
    pub created_at: Timestamp,
    /// When it was last merged into.
    pub updated_at: Timestamp,
}

impl MetricPoint {
    /// `value x counter`, Cachet's `calculated_value`.
    #[must_use]
    pub fn calculated_millis(&self) -> i128 {
        i128::from(self.value.millis()) * i128::from(self.counter)
    }
}

/// What recording a point needs.
///
/// Cachet's merge rule: when `merge_since` is set and the metric has a point with the same
/// value created at or after it, that point's `counter` is incremented (and it is returned)
/// instead of inserting a new row. The store does the look-up and the increment atomically.
///
/// Build it with [`NewMetricPoint::new`] and set the optional fields with the `with_*` methods (or by assigning them); it is `#[non_exhaustive]`, so new fields arrive with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewMetricPoint {
    /// The value.
    pub value: MetricValue,
    /// When it was measured.
    pub created_at: Timestamp,
    /// The start of the merge window, computed by [`crate::metrics::merge_window_start`].
    pub merge_since: Option<Timestamp>,
}

impl NewMetricPoint {
    /// A point with a value at a time, never merged.
    #[must_use]
    pub fn new(value: MetricValue, created_at: Timestamp) -> Self {
        Self {
            value,
            created_at,
            merge_since: None,
        }
    }
}

with_setters! {
    NewMetricPoint {
        with_merge_since => merge_since: Option<Timestamp>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::{at, check, markdown, name, text};

    #[test]
    fn metric_patch_sets_what_it_names() {
        let before = Metric {
            id: MetricId(1),
            name: name("Latency"),
            suffix: text("ms"),
            description: markdown("p50"),
            default_value: MetricValue::parse("0").expect("valid value"),
            calc_type: CalcType::Sum,
            display_chart: true,
            places: Places::default(),
            default_view: MetricView::LastHour,
            threshold: Threshold::default(),
            order: Order::default(),
            visible: Visibility::Public,
            created_at: at(1),
            updated_at: at(2),
        };
        let patch = MetricPatch {
            name: Some(name("Errors")),
            suffix: Some(text("%")),
            description: Some(markdown("5xx share")),
            default_value: Some(MetricValue::parse("1.5").expect("valid value")),
            calc_type: Some(CalcType::Average),
            display_chart: Some(false),
            places: Some(Places::new(3).expect("valid places")),
            default_view: Some(MetricView::Month),
            threshold: Some(Threshold::new(10).expect("valid threshold")),
            order: Some(Order::new(4).expect("valid order")),
            visible: Some(Visibility::Hidden),
        };
        let expected = Metric {
            name: name("Errors"),
            suffix: text("%"),
            description: markdown("5xx share"),
            default_value: MetricValue::parse("1.5").expect("valid value"),
            calc_type: CalcType::Average,
            display_chart: false,
            places: Places::new(3).expect("valid places"),
            default_view: MetricView::Month,
            threshold: Threshold::new(10).expect("valid threshold"),
            order: Order::new(4).expect("valid order"),
            visible: Visibility::Hidden,
            ..before.clone()
        };
        check(&before, &patch, &expected, MetricPatch::apply_to);
    }
}
