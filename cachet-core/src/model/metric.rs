//! Metrics and metric points.

use super::{MetricId, MetricPointId, Timestamp, Visibility, int_enum};
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMetricPoint {
    /// The value.
    pub value: MetricValue,
    /// When it was measured.
    pub created_at: Timestamp,
    /// The start of the merge window, computed by [`crate::metrics::merge_window_start`].
    pub merge_since: Option<Timestamp>,
}
