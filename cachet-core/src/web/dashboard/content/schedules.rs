//! Maintenance schedules: list, create and edit (name, message, status, window, components,
//! notify), their updates, delete after a confirmation page.

use chrono_tz::Tz;
use http::StatusCode;

use super::components::or;
use super::form::{Errors, Submitted, int, local_input, parse_local};
use super::text::M;
use super::view::{Block, Field, Form, Kind, Link, Opt, Page};
use super::{
    Ctx, Fail, Out, cell, confirm, entity_row, form_error, list_table, new_link, options, path_id,
    rejected, render, unknown,
};
use crate::model::*;
use crate::sanitize::render_markdown;
use crate::store::{ComponentQuery, Direction, ScheduleQuery, ScheduleSort};
use crate::validate::{Markdown, Name, Violation};
use crate::web::dashboard::chrome::{Chrome, Flash};

/// `/schedules/...`.
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
            let id = ScheduleId(path_id(id)?);
            if ctx.post() {
                return save(ctx, Some(id)).await;
            }
            ctx.only_get()?;
            let s = ctx.cachet().schedule(ctx.actor(), id).await?;
            let tz = ctx.zone().await?;
            show(ctx, Some(&s), &values(&s, tz), Errors::default()).await
        }
        [id, "delete"] => {
            let id = ScheduleId(path_id(id)?);
            if ctx.post() {
                ctx.cachet().delete_schedule(ctx.actor(), id).await?;
                return ctx.done("/schedules", Flash::Deleted);
            }
            ctx.only_get()?;
            let s = ctx.cachet().schedule(ctx.actor(), id).await?;
            let chrome = ctx.chrome("schedules").await?;
            let page = confirm(
                &chrome,
                M::DeleteSchedule.en().to_owned(),
                M::ConfirmDeleteSchedule.fill(&[s.name.as_str()]),
                &format!("/schedules/{}/delete", id.get()),
                &format!("/schedules/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id, "updates"] => {
            ctx.only_post()?;
            add_update(ctx, ScheduleId(path_id(id)?)).await
        }
        [id, "updates", uid, "delete"] => {
            let (id, uid) = (ScheduleId(path_id(id)?), ScheduleUpdateId(path_id(uid)?));
            if ctx.post() {
                ctx.cachet()
                    .delete_schedule_update(ctx.actor(), id, uid)
                    .await?;
                return ctx.done(&format!("/schedules/{}", id.get()), Flash::Deleted);
            }
            ctx.only_get()?;
            let s = ctx.cachet().schedule(ctx.actor(), id).await?;
            let chrome = ctx.chrome("schedules").await?;
            let page = confirm(
                &chrome,
                M::DeleteUpdate.en().to_owned(),
                M::ConfirmDeleteScheduleUpdate.fill(&[s.name.as_str()]),
                &format!("/schedules/{}/updates/{}/delete", id.get(), uid.get()),
                &format!("/schedules/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        _ => Err(unknown()),
    }
}

async fn list(ctx: &Ctx<'_, '_>) -> Out {
    let chrome = ctx.chrome("schedules").await?;
    let items = ctx
        .cachet()
        .schedules(
            ctx.actor(),
            ScheduleQuery::all().sorted(ScheduleSort::ScheduledAt, Direction::Desc),
        )
        .await?
        .items;
    let mut page = Page::new(M::Maintenance.en());
    new_link(&mut page, &chrome, "/schedules/new", M::NewSchedule);
    let rows = items
        .iter()
        .map(|s| {
            let id = s.id.get();
            entity_row(
                &chrome,
                &format!("/schedules/{id}"),
                s.name.as_str(),
                vec![
                    cell(s.status.label()),
                    cell(chrome.time(&s.scheduled_at)),
                    cell(chrome.time_or_never(&s.completed_at)),
                    cell(s.components.len().to_string()),
                ],
            )
        })
        .collect();
    page.push(list_table(
        M::Maintenance.en().to_owned(),
        &[
            M::Name,
            M::Status,
            M::ScheduledAt,
            M::CompletedAt,
            M::Components,
            M::Actions,
        ],
        rows,
        M::NoSchedules,
    ));
    render(ctx.dash, chrome, page, StatusCode::OK)
}

fn values(s: &Schedule, tz: Tz) -> Submitted {
    let mut v = Submitted::from_pairs(vec![
        ("name", s.name.as_str().to_owned()),
        ("message", s.message.as_str().to_owned()),
        ("status", s.status.code().to_string()),
        ("scheduled_at", local_input(s.scheduled_at, tz)),
        (
            "completed_at",
            s.completed_at
                .map(|t| local_input(t, tz))
                .unwrap_or_default(),
        ),
        ("notify", if s.notify { "1" } else { "0" }.to_owned()),
    ]);
    for c in &s.components {
        v.push("components", c.get().to_string());
    }
    v
}

async fn show(
    ctx: &Ctx<'_, '_>,
    existing: Option<&Schedule>,
    v: &Submitted,
    errors: Errors,
) -> Out {
    let chrome = ctx.chrome("schedules").await?;
    let components = ctx
        .cachet()
        .components(ctx.actor(), ComponentQuery::all())
        .await?
        .items;
    let action = match existing {
        Some(s) => chrome.dash(&format!("/schedules/{}", s.id.get())),
        None => chrome.dash("/schedules"),
    };
    let chosen = v.all("components");
    let notify = v.flag("notify", true);
    let mut form = Form::new(action, &chrome.csrf, M::Save.en())
        .field(Field::new("name", M::Name.en(), Kind::Text, v.text("name")).required())
        .field(
            Field::new(
                "message",
                M::MessageMarkdown.en(),
                Kind::TextArea(6),
                v.text("message"),
            )
            .help(M::MarkdownHelp.en()),
        )
        .field(Field::new(
            "status",
            M::Status.en(),
            options(
                ScheduleStatus::ALL
                    .iter()
                    .map(|s| (s.code().to_string(), s.label())),
                or(v.text("status"), "0"),
            ),
            "",
        ))
        .field(
            Field::new(
                "scheduled_at",
                M::ScheduledAt.en(),
                Kind::DateTime,
                v.text("scheduled_at"),
            )
            .required()
            .help(M::ZoneHelp.fill(&[chrome.tz.name()])),
        )
        .field(
            Field::new(
                "completed_at",
                M::CompletedAt.en(),
                Kind::DateTime,
                v.text("completed_at"),
            )
            .help(M::CompletedHelp.fill(&[chrome.tz.name()])),
        )
        .field(Field::new(
            "components",
            M::Components.en(),
            Kind::Checks(
                components
                    .iter()
                    .map(|c| {
                        let id = c.id.get().to_string();
                        let on = chosen.contains(&id.as_str());
                        Opt::new(id, c.name.as_str(), on)
                    })
                    .collect(),
            ),
            "",
        ))
        .field(Field::new(
            "notify",
            M::NotifySubscribers.en(),
            Kind::Checkbox,
            if notify { "1" } else { "0" },
        ));
    errors.apply(&mut form);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        rejected(&errors)
    };
    let mut page = Page::new(match existing {
        Some(s) => M::EditSchedule.fill(&[s.name.as_str()]),
        None => M::NewSchedule.en().to_owned(),
    });
    page.push(Block::Form(form));
    if let Some(s) = existing {
        updates(ctx, &chrome, s, &mut page).await?;
    }
    render(ctx.dash, chrome, page, status)
}

async fn updates(
    ctx: &Ctx<'_, '_>,
    chrome: &Chrome,
    s: &Schedule,
    page: &mut Page,
) -> Result<(), Fail> {
    let items = ctx.cachet().schedule_updates(ctx.actor(), s.id).await?;
    page.push(Block::Heading(M::Updates.en().to_owned()));
    if items.is_empty() {
        page.push(Block::Para(M::NoUpdates.en().to_owned()));
    }
    for u in &items {
        page.push(Block::Facts(vec![(
            M::Posted.en().to_owned(),
            chrome.time(&u.created_at),
        )]));
        page.push(Block::Html(render_markdown(&u.message)));
        if chrome.can_write {
            page.push(Block::Links(vec![Link::new(
                chrome.dash(&format!(
                    "/schedules/{}/updates/{}/delete",
                    s.id.get(),
                    u.id.get()
                )),
                M::DeleteUpdate.en(),
            )]));
        }
    }
    if chrome.can_write {
        page.push(Block::Form(update_form(chrome, s.id, "")));
    }
    Ok(())
}

fn update_form(chrome: &Chrome, id: ScheduleId, message: &str) -> Form {
    let mut field = Field::new(
        "message",
        M::MessageMarkdown.en(),
        Kind::TextArea(4),
        message,
    )
    .required();
    field.id = "u-message".to_owned();
    Form::new(
        chrome.dash(&format!("/schedules/{}/updates", id.get())),
        &chrome.csrf,
        M::AddUpdate.en(),
    )
    .titled(M::AddUpdate.en())
    .field(field)
}

async fn save(ctx: &Ctx<'_, '_>, id: Option<ScheduleId>) -> Out {
    let f = &ctx.form;
    let tz = ctx.zone().await?;
    let mut e = Errors::default();
    let name = e.take("name", Name::parse(f.text("name")));
    let message = e.take("message", Markdown::parse(f.text("message")));
    let status = e.take(
        "status",
        int(f.text("status")).and_then(ScheduleStatus::from_code),
    );
    let scheduled_at = e.take(
        "scheduled_at",
        match f.text("scheduled_at").trim() {
            "" => Err(Violation::Required),
            s => parse_local(s, tz),
        },
    );
    let completed_at = e.take(
        "completed_at",
        match f.text("completed_at").trim() {
            "" => Ok(None),
            s => parse_local(s, tz).map(Some),
        },
    );
    let mut components = Vec::new();
    for c in f.all("components") {
        if let Some(n) = e.take(
            "components",
            int(c).and_then(|n| {
                if n > 0 {
                    Ok(n)
                } else {
                    Err(Violation::Required)
                }
            }),
        ) {
            let id = ComponentId(n);
            if !components.contains(&id) {
                components.push(id);
            }
        }
    }
    if let (Some(scheduled), Some(Some(completed))) = (scheduled_at, completed_at)
        && completed < scheduled
    {
        e.add("completed_at", "must not be before the scheduled time");
    }
    let notify = f.flag("notify", true);
    if let (Some(name), Some(message), Some(status), Some(scheduled_at), Some(completed_at), true) = (
        name,
        message,
        status,
        scheduled_at,
        completed_at,
        e.is_empty(),
    ) {
        let result = match id {
            None => ctx
                .cachet()
                .create_schedule(
                    ctx.actor(),
                    &NewSchedule {
                        name,
                        message,
                        status,
                        scheduled_at,
                        completed_at,
                        components,
                        notify,
                        user_id: ctx.user_id(),
                    },
                )
                .await
                .map(|s| (s.id, Flash::Created)),
            Some(id) => ctx
                .cachet()
                .update_schedule(
                    ctx.actor(),
                    id,
                    &SchedulePatch {
                        name: Some(name),
                        message: Some(message),
                        status: Some(status),
                        scheduled_at: Some(scheduled_at),
                        completed_at: Some(completed_at),
                        components: Some(components),
                        notify: Some(notify),
                        expected_status: None,
                    },
                )
                .await
                .map(|s| (s.id, Flash::Saved)),
        };
        match result {
            Ok((id, flash)) => return ctx.done(&format!("/schedules/{}", id.get()), flash),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let existing = match id {
        Some(id) => Some(ctx.cachet().schedule(ctx.actor(), id).await?),
        None => None,
    };
    show(ctx, existing.as_ref(), f, e).await
}

async fn add_update(ctx: &Ctx<'_, '_>, id: ScheduleId) -> Out {
    let mut e = Errors::default();
    let message = e.take(
        "message",
        Markdown::parse(ctx.form.text("message")).and_then(|m| {
            if m.is_empty() {
                Err(Violation::Required)
            } else {
                Ok(m)
            }
        }),
    );
    if let Some(message) = message {
        let new = NewScheduleUpdate {
            message,
            user_id: ctx.user_id(),
        };
        match ctx
            .cachet()
            .create_schedule_update(ctx.actor(), id, &new)
            .await
        {
            Ok(_) => return ctx.done(&format!("/schedules/{}", id.get()), Flash::Created),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    ctx.cachet().schedule(ctx.actor(), id).await?;
    let chrome = ctx.chrome("schedules").await?;
    let mut form = update_form(&chrome, id, ctx.form.text("message"));
    e.apply(&mut form);
    let mut page = Page::new(M::AddUpdate.en());
    page.push(Block::Form(form));
    render(ctx.dash, chrome, page, rejected(&e))
}
