//! Metrics (every field API v1 can change) and their points: the recent points, adding one
//! (with Cachet's merge rule, applied by the facade) and deleting one.

use http::StatusCode;

use super::components::or;
use super::form::{Errors, Submitted, int, parse_local};
use super::text::M;
use super::view::{Action, Block, Cell, Field, Form, Kind, Page, Table};
use super::{
    Ctx, Fail, Out, cell, confirm, entity_row, form_error, list_table, new_link, options, path_id,
    rejected, render, unknown, yes_no,
};
use crate::model::*;
use crate::store::{
    Direction, MetricPointQuery, MetricPointSort, MetricQuery, MetricSort, PageRequest,
};
use crate::validate::{Markdown, MetricValue, Name, Order, Places, Text, Threshold};
use crate::web::dashboard::chrome::{Chrome, Flash};

/// How many recent points the metric page lists.
const RECENT_POINTS: u32 = 50;

/// `/metrics/...`.
pub(super) async fn route(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    match tail {
        [] if ctx.post() => save(ctx, None).await,
        [] => {
            ctx.only_get()?;
            list(ctx).await
        }
        ["new"] => {
            ctx.only_get()?;
            show(ctx, None, &Submitted::default(), Errors::default()).await
        }
        [id] => {
            let id = MetricId(path_id(id)?);
            if ctx.post() {
                return save(ctx, Some(id)).await;
            }
            ctx.only_get()?;
            let m = ctx.cachet().metric(ctx.actor(), id).await?;
            show(ctx, Some(&m), &values(&m), Errors::default()).await
        }
        [id, "delete"] => {
            let id = MetricId(path_id(id)?);
            if ctx.post() {
                ctx.cachet().delete_metric(ctx.actor(), id).await?;
                return ctx.done("/metrics", Flash::Deleted);
            }
            ctx.only_get()?;
            let m = ctx.cachet().metric(ctx.actor(), id).await?;
            let chrome = ctx.chrome("metrics").await?;
            let page = confirm(
                &chrome,
                M::DeleteMetric.en().to_owned(),
                M::ConfirmDeleteMetric.fill(&[m.name.as_str()]),
                &format!("/metrics/{}/delete", id.get()),
                &format!("/metrics/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id, "points"] => {
            ctx.only_post()?;
            add_point(ctx, MetricId(path_id(id)?)).await
        }
        [id, "points", pid] => {
            ctx.only_post()?;
            let (id, pid) = (MetricId(path_id(id)?), MetricPointId(path_id(pid)?));
            // A one-field inline form: a bad value is answered with the rule (400), not the
            // form again.
            let value = MetricValue::parse(ctx.form.text("value").trim()).map_err(|v| {
                Fail::Facade(crate::validate::ValidationError::new("value", v).into())
            })?;
            ctx.cachet()
                .update_metric_point(ctx.actor(), id, pid, Some(value), None)
                .await?;
            ctx.done(&format!("/metrics/{}", id.get()), Flash::Saved)
        }
        [id, "points", pid, "delete"] => {
            ctx.only_post()?;
            let (id, pid) = (MetricId(path_id(id)?), MetricPointId(path_id(pid)?));
            ctx.cachet()
                .delete_metric_point(ctx.actor(), id, pid)
                .await?;
            ctx.done(&format!("/metrics/{}", id.get()), Flash::Deleted)
        }
        _ => Err(unknown()),
    }
}

async fn list(ctx: &Ctx<'_, '_>) -> Out {
    let chrome = ctx.chrome("metrics").await?;
    let items = ctx
        .cachet()
        .metrics(
            ctx.actor(),
            MetricQuery::all().sorted(MetricSort::Order, Direction::Asc),
        )
        .await?
        .items;
    let mut page = Page::new(M::Metrics.en());
    new_link(&mut page, &chrome, "/metrics/new", M::NewMetric);
    let rows = items
        .iter()
        .map(|m| {
            let id = m.id.get();
            entity_row(
                &chrome,
                &format!("/metrics/{id}"),
                m.name.as_str(),
                vec![
                    cell(m.suffix.as_str()),
                    cell(m.visible.label()),
                    cell(m.order.get().to_string()),
                    cell(yes_no(m.display_chart)),
                ],
            )
        })
        .collect();
    page.push(list_table(
        M::Metrics.en().to_owned(),
        &[
            M::Name,
            M::Suffix,
            M::VisibleTo,
            M::Order,
            M::DisplayChart,
            M::Actions,
        ],
        rows,
        M::NoMetrics,
    ));
    render(ctx.dash, chrome, page, StatusCode::OK)
}

fn values(m: &Metric) -> Submitted {
    Submitted::from_pairs(vec![
        ("name", m.name.as_str().to_owned()),
        ("suffix", m.suffix.as_str().to_owned()),
        ("description", m.description.as_str().to_owned()),
        ("default_value", m.default_value.to_string()),
        ("calc_type", m.calc_type.code().to_string()),
        (
            "display_chart",
            if m.display_chart { "1" } else { "0" }.to_owned(),
        ),
        ("places", m.places.get().to_string()),
        ("default_view", m.default_view.code().to_string()),
        ("threshold", m.threshold.minutes().to_string()),
        ("order", m.order.get().to_string()),
        ("visible", m.visible.code().to_string()),
    ])
}

fn metric_form(chrome: &Chrome, existing: Option<&Metric>, v: &Submitted) -> Form {
    let action = match existing {
        Some(m) => chrome.dash(&format!("/metrics/{}", m.id.get())),
        None => chrome.dash("/metrics"),
    };
    let chart = v.flag("display_chart", true);
    let places = Places::default().get().to_string();
    let threshold = Threshold::default().minutes().to_string();
    Form::new(action, &chrome.csrf, M::Save.en())
        .field(Field::new("name", M::Name.en(), Kind::Text, v.text("name")).required())
        .field(
            Field::new("suffix", M::Suffix.en(), Kind::Text, v.text("suffix"))
                .help(M::SuffixHelp.en()),
        )
        .field(Field::new(
            "description",
            M::DescriptionMarkdown.en(),
            Kind::TextArea(3),
            v.text("description"),
        ))
        .field(Field::new(
            "default_value",
            M::DefaultValue.en(),
            Kind::Number("any"),
            or(v.text("default_value"), "0"),
        ))
        .field(Field::new(
            "calc_type",
            M::CalcType.en(),
            options(
                CalcType::ALL
                    .iter()
                    .map(|c| (c.code().to_string(), c.label())),
                or(v.text("calc_type"), "0"),
            ),
            "",
        ))
        .field(Field::new(
            "display_chart",
            M::DisplayChart.en(),
            Kind::Checkbox,
            if chart { "1" } else { "0" },
        ))
        .field(Field::new(
            "places",
            M::Places.en(),
            Kind::Number("1"),
            or(v.text("places"), &places),
        ))
        .field(Field::new(
            "default_view",
            M::DefaultView.en(),
            options(
                MetricView::ALL
                    .iter()
                    .map(|c| (c.code().to_string(), c.label())),
                or(v.text("default_view"), "1"),
            ),
            "",
        ))
        .field(
            Field::new(
                "threshold",
                M::Threshold.en(),
                Kind::Number("1"),
                or(v.text("threshold"), &threshold),
            )
            .help(M::ThresholdHelp.en()),
        )
        .field(Field::new(
            "order",
            M::Order.en(),
            Kind::Number("1"),
            or(v.text("order"), "0"),
        ))
        .field(Field::new(
            "visible",
            M::VisibleTo.en(),
            options(
                Visibility::ALL
                    .iter()
                    .map(|c| (c.code().to_string(), c.label())),
                or(v.text("visible"), "1"),
            ),
            "",
        ))
}

async fn show(ctx: &Ctx<'_, '_>, existing: Option<&Metric>, v: &Submitted, errors: Errors) -> Out {
    let chrome = ctx.chrome("metrics").await?;
    let mut form = metric_form(&chrome, existing, v);
    errors.apply(&mut form);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        rejected(&errors)
    };
    let mut page = Page::new(match existing {
        Some(m) => M::EditMetric.fill(&[m.name.as_str()]),
        None => M::NewMetric.en().to_owned(),
    });
    page.push(Block::Form(form));
    if let Some(m) = existing {
        points(
            ctx,
            &chrome,
            m,
            &Submitted::default(),
            Errors::default(),
            &mut page,
        )
        .await?;
    }
    render(ctx.dash, chrome, page, status)
}

async fn points(
    ctx: &Ctx<'_, '_>,
    chrome: &Chrome,
    m: &Metric,
    v: &Submitted,
    errors: Errors,
    page: &mut Page,
) -> Result<(), Fail> {
    let recent = ctx
        .cachet()
        .metric_points(
            ctx.actor(),
            m.id,
            MetricPointQuery::all()
                .sorted(MetricPointSort::CreatedAt, Direction::Desc)
                .paged(PageRequest::new(1, RECENT_POINTS)),
        )
        .await?;
    page.push(Block::Heading(M::Points.en().to_owned()));
    let rows = recent
        .items
        .iter()
        .map(|p| {
            let mut row = vec![
                cell(chrome.time(&p.created_at)),
                cell(p.value.to_string()),
                cell(p.counter.to_string()),
            ];
            if chrome.can_write {
                let mut f = Form::button(
                    chrome.dash(&format!(
                        "/metrics/{}/points/{}/delete",
                        m.id.get(),
                        p.id.get()
                    )),
                    &chrome.csrf,
                    M::Delete.en(),
                )
                .danger();
                f.submits[0].aria_label =
                    Some(M::DeletePointAt.fill(&[&chrome.time(&p.created_at)]));
                let mut edit = Form::button(
                    chrome.dash(&format!("/metrics/{}/points/{}", m.id.get(), p.id.get())),
                    &chrome.csrf,
                    M::Save.en(),
                );
                let mut value = Field::new(
                    "value",
                    M::ValueAt.fill(&[&chrome.time(&p.created_at)]),
                    Kind::Number("any"),
                    p.value.to_string(),
                );
                value.id = format!("pv-{}", p.id.get());
                edit.fields.push(value);
                row.push(Cell::Actions(vec![Action::Form(edit), Action::Form(f)]));
            } else {
                row.push(cell(""));
            }
            row
        })
        .collect();
    page.push(Block::Table(Table {
        caption: M::RecentPoints
            .fill(&[&recent.items.len().to_string(), &recent.total.to_string()]),
        head: vec![
            M::Time.en().to_owned(),
            M::Value.en().to_owned(),
            M::Counter.en().to_owned(),
            M::Actions.en().to_owned(),
        ],
        rows,
        empty: M::NoPoints.en().to_owned(),
    }));
    if chrome.can_write {
        let mut value =
            Field::new("value", M::Value.en(), Kind::Number("any"), v.text("value")).required();
        value.id = "p-value".to_owned();
        let mut at = Field::new("at", M::Time.en(), Kind::DateTime, v.text("at"))
            .help(M::PointTimeHelp.fill(&[chrome.tz.name()]));
        at.id = "p-at".to_owned();
        let mut form = Form::new(
            chrome.dash(&format!("/metrics/{}/points", m.id.get())),
            &chrome.csrf,
            M::AddPoint.en(),
        )
        .titled(M::AddPoint.en())
        .field(value)
        .field(at);
        errors.apply(&mut form);
        page.push(Block::Form(form));
    }
    Ok(())
}

async fn save(ctx: &Ctx<'_, '_>, id: Option<MetricId>) -> Out {
    let f = &ctx.form;
    let mut e = Errors::default();
    let name = e.take("name", Name::parse(f.text("name")));
    let suffix = e.take("suffix", Text::parse(f.text("suffix")));
    let description = e.take("description", Markdown::parse(f.text("description")));
    let default_value = e.take(
        "default_value",
        MetricValue::parse(or(f.text("default_value").trim(), "0")),
    );
    let calc_type = e.take(
        "calc_type",
        int(f.text("calc_type")).and_then(CalcType::from_code),
    );
    let places = e.take("places", int(f.text("places")).and_then(Places::new));
    let default_view = e.take(
        "default_view",
        int(f.text("default_view")).and_then(MetricView::from_code),
    );
    let threshold = e.take(
        "threshold",
        int(f.text("threshold")).and_then(Threshold::new),
    );
    let order = e.take("order", int(or(f.text("order"), "0")).and_then(Order::new));
    let visible = e.take(
        "visible",
        int(f.text("visible")).and_then(Visibility::from_code),
    );
    let display_chart = f.flag("display_chart", true);
    let parsed = (|| {
        Some(NewMetric {
            name: name?,
            suffix: suffix?,
            description: description?,
            default_value: default_value?,
            calc_type: calc_type?,
            display_chart,
            places: places?,
            default_view: default_view?,
            threshold: threshold?,
            order: order?,
            visible: visible?,
        })
    })();
    if let Some(new) = parsed {
        let result = match id {
            None => ctx
                .cachet()
                .create_metric(ctx.actor(), &new)
                .await
                .map(|m| (m.id, Flash::Created)),
            Some(id) => ctx
                .cachet()
                .update_metric(
                    ctx.actor(),
                    id,
                    &MetricPatch {
                        name: Some(new.name),
                        suffix: Some(new.suffix),
                        description: Some(new.description),
                        default_value: Some(new.default_value),
                        calc_type: Some(new.calc_type),
                        display_chart: Some(new.display_chart),
                        places: Some(new.places),
                        default_view: Some(new.default_view),
                        threshold: Some(new.threshold),
                        order: Some(new.order),
                        visible: Some(new.visible),
                    },
                )
                .await
                .map(|m| (m.id, Flash::Saved)),
        };
        match result {
            Ok((id, flash)) => return ctx.done(&format!("/metrics/{}", id.get()), flash),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let existing = match id {
        Some(id) => Some(ctx.cachet().metric(ctx.actor(), id).await?),
        None => None,
    };
    show(ctx, existing.as_ref(), f, e).await
}

async fn add_point(ctx: &Ctx<'_, '_>, id: MetricId) -> Out {
    let f = &ctx.form;
    let tz = ctx.zone().await?;
    let mut e = Errors::default();
    let value = e.take("value", MetricValue::parse(f.text("value").trim()));
    let at = e.take(
        "at",
        match f.text("at").trim() {
            "" => Ok(None),
            s => parse_local(s, tz).map(Some),
        },
    );
    if let (Some(value), Some(at)) = (value, at) {
        match ctx
            .cachet()
            .record_metric_point(ctx.actor(), id, value, at)
            .await
        {
            Ok(_) => return ctx.done(&format!("/metrics/{}", id.get()), Flash::Created),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let m = ctx.cachet().metric(ctx.actor(), id).await?;
    let chrome = ctx.chrome("metrics").await?;
    let form = metric_form(&chrome, Some(&m), &values(&m));
    let status = rejected(&e);
    let mut page = Page::new(M::EditMetric.fill(&[m.name.as_str()]));
    page.push(Block::Form(form));
    points(ctx, &chrome, &m, f, e, &mut page).await?;
    render(ctx.dash, chrome, page, status)
}
