//! `/api/v1/metrics` and `/api/v1/metrics/{id}/points`.

use serde_json::Value;

use super::query::*;
use super::{Call, Fail, Handled, present};
use crate::clock::Timestamp;
use crate::model::*;
use crate::store::{MetricFilter, MetricPointFilter, MetricPointQuery, MetricQuery};
use crate::validate::{
    MetricValue, Places, Text, Threshold, ValidationError, Violation, ViolationExt,
};
use crate::web::input::Input;
use crate::web::response;

/// A numeric field: a JSON number or decimal text, rounded half away from zero to three
/// decimals.
fn value_field(input: &Input, key: &'static str) -> Result<Option<MetricValue>, Fail> {
    match input.get(key) {
        None => Ok(None),
        Some(v) => Ok(Some(metric_value(v).field(key)?)),
    }
}

/// A metric value from JSON: a number or decimal text (Cachet 3's API reads the same).
pub(crate) fn metric_value(v: &Value) -> Result<MetricValue, Violation> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => MetricValue::parse(&n.to_string()),
        Value::Number(n) => n.as_f64().map_or(
            Err(Violation::Format {
                expected: "a number",
            }),
            MetricValue::from_f64,
        ),
        Value::String(s) => MetricValue::parse(s),
        _ => Err(Violation::Format {
            expected: "a number",
        }),
    }
}

/// A Unix timestamp in seconds (years 1970 to 9999).
fn timestamp_field(input: &Input, key: &'static str) -> Result<Option<Timestamp>, Fail> {
    const MAX: i64 = 253_402_300_799; // 9999-12-31 23:59:59 UTC
    match input.int(key)? {
        None => Ok(None),
        Some(n) => (0..=MAX)
            .contains(&n)
            .then(|| chrono::DateTime::from_timestamp(n, 0))
            .flatten()
            .map(Some)
            .ok_or_else(|| {
                Fail::Invalid(vec![ValidationError::new(
                    key,
                    Violation::OutOfRange { min: 0, max: MAX },
                )])
            }),
    }
}

/// A required, non-empty suffix (Cachet's `suffix` is required).
fn suffix_field(input: &Input, required_: bool) -> Result<Option<Text>, Fail> {
    let t = text_field(input, "suffix")?;
    match t {
        Some(t) if t.is_empty() && required_ => Err(Fail::Invalid(vec![ValidationError::new(
            "suffix",
            Violation::Required,
        )])),
        None if required_ => Err(Fail::Invalid(vec![ValidationError::new(
            "suffix",
            Violation::Required,
        )])),
        other => Ok(other),
    }
}

/// `default_view`, or its alias `view`.
fn view_field(input: &Input) -> Result<Option<MetricView>, Fail> {
    match code_field(input, "default_view", MetricView::from_code)? {
        Some(v) => Ok(Some(v)),
        None => code_field(input, "view", MetricView::from_code),
    }
}

/// Every optional metric field, read into a patch (creation fills the defaults in).
fn read_patch(input: &Input, c: &mut Check, creating: bool) -> Option<MetricPatch> {
    let name = c.take(if creating {
        required("name", name_field(input, "name")).map(Some)
    } else {
        name_field(input, "name")
    });
    let suffix = c.take(suffix_field(input, creating));
    let description = c.take(markdown_field(input, "description"));
    let default_value = c.take(if creating {
        required("default_value", value_field(input, "default_value")).map(Some)
    } else {
        value_field(input, "default_value")
    });
    let calc_type = c.take(code_field(input, "calc_type", CalcType::from_code));
    let display_chart = c.take(bool_field(input, "display_chart"));
    let places = c.take(code_field(input, "places", Places::new));
    let default_view = c.take(view_field(input));
    let threshold = c.take(code_field(input, "threshold", Threshold::new));
    let order = c.take(order_field(input, "order"));
    let visible = c.take(code_field(input, "visible", Visibility::from_code));
    Some(MetricPatch {
        name: name?,
        suffix: suffix?,
        description: description?,
        default_value: default_value?,
        calc_type: calc_type?,
        display_chart: display_chart?,
        places: places?,
        default_view: default_view?,
        threshold: threshold?,
        order: order?,
        visible: visible?,
    })
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let q = MetricQuery {
        // Cachet has no metric filters; visitors only ever see public metrics.
        filter: MetricFilter::default(),
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call.cachet.metrics(&call.actor, q).await?;
    let data = p
        .items
        .iter()
        .map(|m| present::metric(m, call.tz))
        .collect();
    Ok(list_response(&call, &p, data))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let m = call.cachet.metric(&call.actor, MetricId(id)).await?;
    Ok(item(present::metric(&m, call.tz)))
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let mut c = Check::default();
    let p = read_patch(&call.input, &mut c, true);
    c.finish()?;
    let p = checked(p)?;
    let new = NewMetric {
        name: checked(p.name)?,
        suffix: checked(p.suffix)?,
        description: p.description.unwrap_or_default(),
        default_value: checked(p.default_value)?,
        calc_type: p.calc_type.unwrap_or(CalcType::Sum),
        display_chart: p.display_chart.unwrap_or(true),
        places: p.places.unwrap_or_default(),
        default_view: p.default_view.unwrap_or(MetricView::Today),
        threshold: p.threshold.unwrap_or_default(),
        order: p.order.unwrap_or_default(),
        visible: p.visible.unwrap_or(Visibility::Public),
    };
    let m = call.cachet.create_metric(&call.actor, &new).await?;
    Ok(item(present::metric(&m, call.tz)))
}

pub(super) async fn update(call: Call<'_>, id: i64) -> Handled {
    let mut c = Check::default();
    let p = read_patch(&call.input, &mut c, false);
    c.finish()?;
    let m = call
        .cachet
        .update_metric(&call.actor, MetricId(id), &checked(p)?)
        .await?;
    Ok(item(present::metric(&m, call.tz)))
}

pub(super) async fn delete(call: Call<'_>, id: i64) -> Handled {
    call.cachet.delete_metric(&call.actor, MetricId(id)).await?;
    Ok(response::no_content())
}

pub(super) async fn points(call: Call<'_>, metric: i64) -> Handled {
    let q = MetricPointQuery {
        filter: MetricPointFilter::default(),
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call
        .cachet
        .metric_points(&call.actor, MetricId(metric), q)
        .await?;
    let data = p
        .items
        .iter()
        .map(|x| present::metric_point(x, call.tz))
        .collect();
    Ok(list_response(&call, &p, data))
}

pub(super) async fn add_point(call: Call<'_>, metric: i64) -> Handled {
    let mut c = Check::default();
    let value = c.take(required("value", value_field(&call.input, "value")));
    let at = c.take(timestamp_field(&call.input, "timestamp"));
    c.finish()?;
    let p = call
        .cachet
        .record_metric_point(&call.actor, MetricId(metric), checked(value)?, checked(at)?)
        .await?;
    Ok(item(present::metric_point(&p, call.tz)))
}

pub(super) async fn update_point(call: Call<'_>, metric: i64, id: i64) -> Handled {
    let mut c = Check::default();
    let value = c.take(value_field(&call.input, "value"));
    let at = c.take(timestamp_field(&call.input, "timestamp"));
    c.finish()?;
    let p = call
        .cachet
        .update_metric_point(
            &call.actor,
            MetricId(metric),
            MetricPointId(id),
            checked(value)?,
            checked(at)?,
        )
        .await?;
    Ok(item(present::metric_point(&p, call.tz)))
}

pub(super) async fn delete_point(call: Call<'_>, metric: i64, id: i64) -> Handled {
    call.cachet
        .delete_metric_point(&call.actor, MetricId(metric), MetricPointId(id))
        .await?;
    Ok(response::no_content())
}
