//! Incidents (paged list with status and visibility filters, create and edit with affected
//! components and their statuses, a template with variables, a Markdown preview), their
//! update timeline, and incident templates with the template checker's findings.

use chrono_tz::Tz;
use http::StatusCode;

use super::components::{or, parse_meta, status_kind};
use super::form::{Errors, Submitted, int, local_input, opt_id, parse_local};
use super::text::M;
use super::view::{Block, Field, Form, Kind, Link, Opt, Page, SelectRow};
use super::{
    Ctx, Fail, Out, cell, confirm, entity_row, form_error, list_table, new_link, options, path_id,
    rejected, render, unknown, yes_no,
};
use crate::model::*;
use crate::sanitize::render_markdown;
use crate::store::Direction;
use crate::store::{
    ComponentQuery, IncidentFilter, IncidentQuery, IncidentSort, PageRequest, TemplateQuery,
};
use crate::template::{self, Vars};
use crate::validate::{Markdown, Meta, Name, Slug, Violation};
use crate::web::dashboard::chrome::{Chrome, Flash};

/// Incidents per list page.
const PER_PAGE: u32 = 20;

/// `/incidents/...`.
pub(super) async fn incidents(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    match tail {
        [] if ctx.post() => save(ctx, None, false).await,
        [] => {
            ctx.only_get()?;
            list(ctx).await
        }
        ["new"] => {
            ctx.only_get()?;
            show_form(ctx, None, &Submitted::default(), Errors::default(), false).await
        }
        ["preview"] => {
            ctx.only_post()?;
            save(ctx, None, true).await
        }
        [id] => {
            let id = IncidentId(path_id(id)?);
            if ctx.post() {
                return save(ctx, Some(id), false).await;
            }
            ctx.only_get()?;
            let i = ctx.cachet().incident(ctx.actor(), id).await?;
            show_form(
                ctx,
                Some(&i),
                &incident_values(&i, ctx.zone().await?),
                Errors::default(),
                false,
            )
            .await
        }
        [id, "preview"] => {
            ctx.only_post()?;
            save(ctx, Some(IncidentId(path_id(id)?)), true).await
        }
        [id, "delete"] => {
            let id = IncidentId(path_id(id)?);
            if ctx.post() {
                ctx.cachet().delete_incident(ctx.actor(), id).await?;
                return ctx.done("/incidents", Flash::Deleted);
            }
            ctx.only_get()?;
            let i = ctx.cachet().incident(ctx.actor(), id).await?;
            let chrome = ctx.chrome("incidents").await?;
            let page = confirm(
                &chrome,
                M::DeleteIncident.en().to_owned(),
                M::ConfirmDeleteIncident.fill(&[i.name.as_str()]),
                &format!("/incidents/{}/delete", id.get()),
                &format!("/incidents/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id, "updates"] => {
            ctx.only_post()?;
            add_update(ctx, IncidentId(path_id(id)?)).await
        }
        [id, "updates", uid] => {
            let (id, uid) = (IncidentId(path_id(id)?), IncidentUpdateId(path_id(uid)?));
            if ctx.post() {
                return edit_update(ctx, id, uid).await;
            }
            ctx.only_get()?;
            let u = ctx.cachet().incident_update(ctx.actor(), id, uid).await?;
            let chrome = ctx.chrome("incidents").await?;
            let form = update_form(&chrome, id, Some(&u), &update_values(&u));
            let mut page = Page::new(M::EditUpdate.en());
            page.push(Block::Form(form));
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id, "updates", uid, "delete"] => {
            let (id, uid) = (IncidentId(path_id(id)?), IncidentUpdateId(path_id(uid)?));
            if ctx.post() {
                ctx.cachet()
                    .delete_incident_update(ctx.actor(), id, uid)
                    .await?;
                return ctx.done(&format!("/incidents/{}", id.get()), Flash::Deleted);
            }
            ctx.only_get()?;
            let u = ctx.cachet().incident_update(ctx.actor(), id, uid).await?;
            let chrome = ctx.chrome("incidents").await?;
            let page = confirm(
                &chrome,
                M::DeleteUpdate.en().to_owned(),
                M::ConfirmDeleteUpdate.fill(&[&chrome.time(&u.created_at)]),
                &format!("/incidents/{}/updates/{}/delete", id.get(), uid.get()),
                &format!("/incidents/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        _ => Err(unknown()),
    }
}

/// An incident status as the public page names it ("Monitoring", "Resolved"), not Cachet's
/// internal names ("Watching", "Fixed") that API v1 keeps for its clients: one vocabulary for
/// the people who write incidents and the people who read them.
fn incident_status_word(s: IncidentStatus) -> &'static str {
    crate::i18n::incident_status_label(&crate::i18n::Catalog::new(crate::i18n::Lang::En), s)
}

fn status_options(selected: &str) -> Kind {
    options(
        IncidentStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), incident_status_word(*s))),
        selected,
    )
}

async fn list(ctx: &Ctx<'_, '_>) -> Out {
    let chrome = ctx.chrome("incidents").await?;
    let q = &ctx.query;
    // A filter value that is not one of the select's is no filter.
    let status = int(q.text("status"))
        .and_then(IncidentStatus::from_code)
        .ok();
    let visible = match q.text("visible") {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let page_no = q
        .text("page")
        .parse::<u32>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let query = IncidentQuery::filtered(IncidentFilter {
        status,
        visible,
        ..IncidentFilter::default()
    })
    .sorted(IncidentSort::OccurredAt, Direction::Desc)
    .paged(PageRequest::new(page_no, PER_PAGE));
    let result = ctx.cachet().incidents(ctx.actor(), query).await?;
    let mut page = Page::new(M::Incidents.en());
    if chrome.can_write {
        page.push(Block::Links(vec![
            Link::new(chrome.dash("/incidents/new"), M::NewIncident.en()),
            Link::new(chrome.dash("/templates"), M::Templates.en()),
        ]));
    }
    let status_sel = status.map(|s| s.code().to_string()).unwrap_or_default();
    let mut status_opts = vec![Opt::new("", M::AnyStatus.en(), status.is_none())];
    status_opts.extend(IncidentStatus::ALL.iter().map(|s| {
        let v = s.code().to_string();
        let on = v == status_sel;
        Opt::new(v, incident_status_word(*s), on)
    }));
    let vis = q.text("visible");
    page.push(Block::Form(
        Form::search(chrome.dash("/incidents"), M::Filter.en())
            .field(Field::new(
                "status",
                M::Status.en(),
                Kind::Select(status_opts),
                "",
            ))
            .field(Field::new(
                "visible",
                M::Visibility.en(),
                Kind::Select(vec![
                    Opt::new("", M::AnyVisibility.en(), vis.is_empty()),
                    Opt::new("1", M::Visible.en(), vis == "1"),
                    Opt::new("0", M::Hidden.en(), vis == "0"),
                ]),
                "",
            )),
    ));
    let rows = result
        .items
        .iter()
        .map(|i| {
            let id = i.id.get();
            entity_row(
                &chrome,
                &format!("/incidents/{id}"),
                i.name.as_str(),
                vec![
                    cell(incident_status_word(i.status)),
                    cell(yes_no(i.visible)),
                    cell(yes_no(i.stickied)),
                    cell(chrome.time(&i.occurred_at)),
                ],
            )
        })
        .collect();
    page.push(list_table(
        M::PageOf.fill(&[
            &page_no.to_string(),
            &result.total_pages().max(1).to_string(),
        ]),
        &[
            M::Name,
            M::Status,
            M::Visible,
            M::Stickied,
            M::OccurredAt,
            M::Actions,
        ],
        rows,
        M::NoIncidents,
    ));
    let link = |p: u32| {
        let mut s = format!("/incidents?page={p}");
        if let Some(st) = status {
            s.push_str(&format!("&status={}", st.code()));
        }
        if let Some(v) = visible {
            s.push_str(if v { "&visible=1" } else { "&visible=0" });
        }
        chrome.dash(&s)
    };
    let mut pager = Vec::new();
    if page_no > 1 {
        pager.push(Link::new(link(page_no - 1), M::Newer.en()));
    }
    if u64::from(page_no) < result.total_pages() {
        pager.push(Link::new(link(page_no + 1), M::Older.en()));
    }
    if !pager.is_empty() {
        page.push(Block::Links(pager));
    }
    render(ctx.dash, chrome, page, StatusCode::OK)
}

fn incident_values(i: &Incident, tz: Tz) -> Submitted {
    let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
    let mut pairs = vec![
        ("name", i.name.as_str().to_owned()),
        ("message", i.message.as_str().to_owned()),
        ("status", i.status.code().to_string()),
        ("visible", flag(i.visible)),
        ("stickied", flag(i.stickied)),
        ("notify", flag(i.notify)),
        ("occurred_at", local_input(i.occurred_at, tz)),
        (
            "meta",
            if i.meta.is_empty() {
                String::new()
            } else {
                i.meta.to_json()
            },
        ),
        ("apply_status", "0".to_owned()),
    ];
    let affected: Vec<(String, String)> = i
        .components
        .iter()
        .map(|a| {
            (
                format!("affected_{}", a.component_id.get()),
                a.status.code().to_string(),
            )
        })
        .collect();
    let mut s = Submitted::from_pairs(std::mem::take(&mut pairs));
    for (k, v) in affected {
        s.push(&k, v);
    }
    s
}

/// The incident form with the values shown, the errors beside their fields, and for an
/// existing incident its update timeline and the form to add one.
async fn show_form(
    ctx: &Ctx<'_, '_>,
    existing: Option<&Incident>,
    v: &Submitted,
    errors: Errors,
    preview: bool,
) -> Out {
    let chrome = ctx.chrome("incidents").await?;
    // The components an incident can affect: enabled ones, and disabled ones only when
    // already attached (so an edit never drops them silently), sorted by name.
    let mut components: Vec<Component> = ctx
        .cachet()
        .components(ctx.actor(), ComponentQuery::all())
        .await?
        .items
        .into_iter()
        .filter(|c| {
            c.enabled
                || existing.is_some_and(|i| i.components.iter().any(|a| a.component_id == c.id))
        })
        .collect();
    components.sort_by_cached_key(|c| (c.name.as_str().to_lowercase(), c.id));
    let templates = ctx
        .cachet()
        .templates(ctx.actor(), TemplateQuery::all())
        .await?
        .items;
    let base = match existing {
        Some(i) => format!("/incidents/{}", i.id.get()),
        None => "/incidents".to_owned(),
    };
    let preview_path = match existing {
        Some(i) => format!("/incidents/{}/preview", i.id.get()),
        None => "/incidents/preview".to_owned(),
    };
    let checked = |name: &str, default: bool| v.flag(name, default);
    let flag = |b: bool| if b { "1" } else { "0" };
    let mut form = Form::new(chrome.dash(&base), &chrome.csrf, M::Save.en())
        .extra_submit(M::Preview.en(), chrome.dash(&preview_path))
        .field(Field::new("name", M::Name.en(), Kind::Text, v.text("name")).required())
        .field(Field::new(
            "status",
            M::Status.en(),
            status_options(or(v.text("status"), "1")),
            "",
        ))
        .field(
            Field::new(
                "message",
                M::MessageMarkdown.en(),
                Kind::TextArea(8),
                v.text("message"),
            )
            .help(M::MarkdownHelp.en()),
        )
        .field(Field::new(
            "visible",
            M::VisibleOnStatusPage.en(),
            Kind::Checkbox,
            flag(checked("visible", true)),
        ))
        .field(Field::new(
            "stickied",
            M::Stickied.en(),
            Kind::Checkbox,
            flag(checked("stickied", false)),
        ))
        .field(Field::new(
            "notify",
            M::NotifySubscribers.en(),
            Kind::Checkbox,
            flag(checked("notify", true)),
        ))
        .field(
            Field::new(
                "occurred_at",
                M::OccurredAt.en(),
                Kind::DateTime,
                v.text("occurred_at"),
            )
            .help(M::TimeHelp.fill(&[chrome.tz.name()])),
        );
    let mut template_opts = vec![Opt::new(
        "",
        M::NoTemplate.en(),
        v.text("template").is_empty(),
    )];
    template_opts.extend(templates.iter().map(|t| {
        let id = t.id.get().to_string();
        let on = id == v.text("template");
        Opt::new(id, t.name.as_str(), on)
    }));
    form = form
        .field(
            Field::new(
                "template",
                M::FromTemplate.en(),
                Kind::Select(template_opts),
                "",
            )
            .help(M::TemplateHelp.en()),
        )
        .field(
            Field::new(
                "vars",
                M::TemplateVars.en(),
                Kind::TextArea(3),
                v.text("vars"),
            )
            .help(M::VarsHelp.en()),
        );
    // One compact table: a row per component with its status in this incident.
    let rows: Vec<SelectRow> = components
        .iter()
        .map(|c| {
            let key = format!("affected_{}", c.id.get());
            let mut opts = vec![Opt::new("", M::NotAffected.en(), v.text(&key).is_empty())];
            opts.extend(ComponentStatus::ALL.iter().map(|s| {
                let code = s.code().to_string();
                let on = code == v.text(&key);
                Opt::new(code, s.label(), on)
            }));
            SelectRow::new(&key, c.name.as_str(), opts)
        })
        .collect();
    if !rows.is_empty() {
        form = form.field(Field::new(
            "affected",
            M::AffectedComponents.en(),
            Kind::SelectTable {
                head: (
                    M::Component.en().to_owned(),
                    M::StatusInIncident.en().to_owned(),
                ),
                rows,
            },
            "",
        ));
    }
    if !components.is_empty() {
        form = form.field(Field::new(
            "apply_status",
            M::ApplyComponentStatus.en(),
            Kind::Checkbox,
            flag(checked("apply_status", true)),
        ));
    }
    form = form.field(
        Field::new("meta", M::Meta.en(), Kind::TextArea(2), v.text("meta")).help(M::MetaHelp.en()),
    );
    errors.apply(&mut form);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        rejected(&errors)
    };
    let title = match existing {
        Some(i) => M::EditIncident.fill(&[i.name.as_str()]),
        None => M::NewIncident.en().to_owned(),
    };
    let mut page = Page::new(title);
    if preview {
        page.push(Block::Heading(M::Preview.en().to_owned()));
        match message_of(v, &templates) {
            Ok(m) if m.is_empty() => page.push(Block::Para(M::EmptyMessage.en().to_owned())),
            Ok(m) => page.push(Block::Html(render_markdown(&m))),
            Err(_) => page.push(Block::Para(M::PreviewUnavailable.en().to_owned())),
        }
    }
    page.push(Block::Form(form));
    if let Some(i) = existing {
        timeline(ctx, &chrome, i, &components, &mut page).await?;
    }
    render(ctx.dash, chrome, page, status)
}

/// The message a submission stands for: the chosen template rendered with the variables, or
/// the typed Markdown.
fn message_of(f: &Submitted, templates: &[IncidentTemplate]) -> Result<Markdown, (String, String)> {
    let message =
        Markdown::parse(f.text("message")).map_err(|v| ("message".to_owned(), v.to_string()))?;
    let chosen = opt_id(f.text("template")).map_err(|v| ("template".to_owned(), v.to_string()))?;
    let Some(tid) = chosen else {
        return Ok(message);
    };
    let t = templates
        .iter()
        .find(|t| t.id.get() == tid)
        .ok_or_else(|| {
            (
                "template".to_owned(),
                "must be an existing template".to_owned(),
            )
        })?;
    let vars = parse_vars(f.text("vars"), f.text("name")).map_err(|e| ("vars".to_owned(), e))?;
    template::render(&t.template, &vars).map_err(|e| ("template".to_owned(), e.to_string()))
}

/// `name=value` lines; the incident's name is offered as `incident.name` too (as the API
/// does).
fn parse_vars(s: &str, incident_name: &str) -> Result<Vars, String> {
    let mut vars = Vars::new();
    if !incident_name.is_empty() && incident_name.chars().count() <= template::MAX_VALUE_CHARS {
        vars.insert("incident.name", incident_name)
            .map_err(|e| e.to_string())?;
    }
    for line in s.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| "must be lines of name=value".to_owned())?;
        vars.insert(k.trim(), v.trim()).map_err(|e| e.to_string())?;
    }
    Ok(vars)
}

struct IncidentInput {
    name: Name,
    status: IncidentStatus,
    message: Markdown,
    visible: bool,
    stickied: bool,
    notify: bool,
    occurred_at: Option<Timestamp>,
    components: Vec<AffectedComponent>,
    apply: bool,
    meta: Meta,
}

async fn parse_incident(
    ctx: &Ctx<'_, '_>,
    tz: Tz,
    e: &mut Errors,
) -> Result<Option<IncidentInput>, Fail> {
    let f = &ctx.form;
    let name = e.take("name", Name::parse(f.text("name")));
    let status = e.take(
        "status",
        int(f.text("status")).and_then(IncidentStatus::from_code),
    );
    let occurred_at = e.take(
        "occurred_at",
        match f.text("occurred_at").trim() {
            "" => Ok(None),
            s => parse_local(s, tz).map(Some),
        },
    );
    let meta = e.take("meta", parse_meta(f.text("meta")));
    let mut components = Vec::new();
    for (rest, value) in f.with_prefix("affected_") {
        if value.is_empty() {
            continue;
        }
        let field = format!("affected_{rest}");
        let id = e.take(
            &field,
            int(rest).and_then(|n| {
                if n > 0 {
                    Ok(n)
                } else {
                    Err(Violation::Required)
                }
            }),
        );
        let status = e.take(&field, int(value).and_then(ComponentStatus::from_code));
        if let (Some(id), Some(status)) = (id, status) {
            let component_id = ComponentId(id);
            if !components
                .iter()
                .any(|a: &AffectedComponent| a.component_id == component_id)
            {
                components.push(AffectedComponent {
                    component_id,
                    status,
                });
            }
        }
    }
    let templates = if f.text("template").is_empty() {
        Vec::new()
    } else {
        ctx.cachet()
            .templates(ctx.actor(), TemplateQuery::all())
            .await?
            .items
    };
    let message = match message_of(f, &templates) {
        Ok(m) => Some(m),
        Err((field, rule)) => {
            e.add(&field, &rule);
            None
        }
    };
    Ok((|| {
        Some(IncidentInput {
            name: name?,
            status: status?,
            message: message?,
            visible: f.flag("visible", true),
            stickied: f.flag("stickied", false),
            notify: f.flag("notify", true),
            occurred_at: occurred_at?,
            components,
            apply: f.flag("apply_status", true),
            meta: meta?,
        })
    })())
}

/// Creates or changes an incident, or (`preview`) only shows the form again with the message
/// rendered: nothing is stored by a preview.
async fn save(ctx: &Ctx<'_, '_>, id: Option<IncidentId>, preview: bool) -> Out {
    let existing = match id {
        Some(id) => Some(ctx.cachet().incident(ctx.actor(), id).await?),
        None => None,
    };
    if preview {
        return show_form(ctx, existing.as_ref(), &ctx.form, Errors::default(), true).await;
    }
    let tz = ctx.zone().await?;
    let mut errors = Errors::default();
    match parse_incident(ctx, tz, &mut errors).await? {
        Some(input) if errors.is_empty() => {
            let result = match id {
                None => ctx
                    .cachet()
                    .create_incident(
                        ctx.actor(),
                        &NewIncident {
                            user_id: ctx.user_id(),
                            name: input.name,
                            status: input.status,
                            message: input.message,
                            visible: input.visible,
                            stickied: input.stickied,
                            notify: input.notify,
                            occurred_at: input.occurred_at.unwrap_or_else(|| ctx.cachet().now()),
                            apply_component_status: input.apply && !input.components.is_empty(),
                            components: input.components,
                            meta: input.meta,
                        },
                    )
                    .await
                    .map(|i| (i.id, Flash::Created)),
                Some(id) => ctx
                    .cachet()
                    .update_incident(
                        ctx.actor(),
                        id,
                        &IncidentPatch {
                            name: Some(input.name),
                            status: Some(input.status),
                            message: Some(input.message),
                            visible: Some(input.visible),
                            stickied: Some(input.stickied),
                            notify: Some(input.notify),
                            occurred_at: input.occurred_at,
                            apply_component_status: input.apply && !input.components.is_empty(),
                            components: Some(input.components),
                            meta: Some(input.meta),
                        },
                    )
                    .await
                    .map(|i| (i.id, Flash::Saved)),
            };
            match result {
                Ok((id, flash)) => return ctx.done(&format!("/incidents/{}", id.get()), flash),
                Err(e) => form_error(e, &mut errors)?,
            }
        }
        _ => {
            ctx.cachet()
                .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
                .await?;
        }
    }
    show_form(ctx, existing.as_ref(), &ctx.form, errors, false).await
}

// ---- the update timeline ---------------------------------------------------------------

async fn timeline(
    ctx: &Ctx<'_, '_>,
    chrome: &Chrome,
    i: &Incident,
    components: &[Component],
    page: &mut Page,
) -> Result<(), Fail> {
    let updates = ctx
        .cachet()
        .incident_updates(ctx.actor(), i.id, PageRequest::all())
        .await?
        .items;
    page.push(Block::Heading(M::Updates.en().to_owned()));
    if updates.is_empty() {
        page.push(Block::Para(M::NoUpdates.en().to_owned()));
    }
    for u in &updates {
        page.push(Block::Facts(vec![
            (
                M::Status.en().to_owned(),
                incident_status_word(u.status).to_owned(),
            ),
            (M::Posted.en().to_owned(), chrome.time(&u.created_at)),
        ]));
        page.push(Block::Html(render_markdown(&u.message)));
        if chrome.can_write {
            let base = format!("/incidents/{}/updates/{}", i.id.get(), u.id.get());
            page.push(Block::Links(vec![
                Link::new(chrome.dash(&base), M::EditUpdate.en()),
                Link::new(chrome.dash(&format!("{base}/delete")), M::DeleteUpdate.en()),
            ]));
        }
    }
    if chrome.can_write {
        let mut opts = vec![Opt::new("", M::NoComponent.en(), true)];
        opts.extend(
            components
                .iter()
                .map(|c| Opt::new(c.id.get().to_string(), c.name.as_str(), false)),
        );
        let form = update_form(chrome, i.id, None, &Submitted::default())
            .titled(M::AddUpdate.en())
            .field(
                Field::new("component_id", M::Component.en(), Kind::Select(opts), "")
                    .help(M::UpdateComponentHelp.en()),
            )
            .field(Field::new(
                "component_status",
                M::ComponentStatus.en(),
                status_kind("1"),
                "",
            ));
        page.push(Block::Form(form));
    }
    Ok(())
}

fn update_values(u: &IncidentUpdate) -> Submitted {
    Submitted::from_pairs(vec![
        ("status", u.status.code().to_string()),
        ("message", u.message.as_str().to_owned()),
    ])
}

fn update_form(
    chrome: &Chrome,
    incident: IncidentId,
    existing: Option<&IncidentUpdate>,
    v: &Submitted,
) -> Form {
    let action = match existing {
        Some(u) => chrome.dash(&format!(
            "/incidents/{}/updates/{}",
            incident.get(),
            u.id.get()
        )),
        None => chrome.dash(&format!("/incidents/{}/updates", incident.get())),
    };
    let mut f = Form::new(action, &chrome.csrf, M::Save.en())
        .field(Field::new(
            "status",
            M::Status.en(),
            status_options(or(v.text("status"), "2")),
            "",
        ))
        .field(
            Field::new(
                "message",
                M::MessageMarkdown.en(),
                Kind::TextArea(5),
                v.text("message"),
            )
            .required(),
        );
    for field in &mut f.fields {
        field.id = format!("u-{}", field.id);
    }
    f
}

fn parse_update(f: &Submitted, e: &mut Errors) -> Option<(IncidentStatus, Markdown)> {
    let status = e.take(
        "status",
        int(f.text("status")).and_then(IncidentStatus::from_code),
    );
    let message = e.take(
        "message",
        Markdown::parse(f.text("message")).and_then(|m| {
            if m.is_empty() {
                Err(Violation::Required)
            } else {
                Ok(m)
            }
        }),
    );
    Some((status?, message?))
}

async fn add_update(ctx: &Ctx<'_, '_>, id: IncidentId) -> Out {
    let f = &ctx.form;
    let mut errors = Errors::default();
    let parsed = parse_update(f, &mut errors);
    let component = match (opt_id(f.text("component_id")), f.text("component_status")) {
        (Ok(None), _) => None,
        (Ok(Some(c)), s) => errors
            .take(
                "component_status",
                int(s).and_then(ComponentStatus::from_code),
            )
            .map(|status| AffectedComponent {
                component_id: ComponentId(c),
                status,
            }),
        (Err(v), _) => {
            errors.add("component_id", &v.to_string());
            None
        }
    };
    if let (Some((status, message)), true) = (parsed, errors.is_empty()) {
        let new = NewIncidentUpdate {
            status,
            message,
            user_id: ctx.user_id(),
            component,
        };
        match ctx
            .cachet()
            .create_incident_update(ctx.actor(), id, &new)
            .await
        {
            Ok(_) => return ctx.done(&format!("/incidents/{}", id.get()), Flash::Created),
            Err(e) => form_error(e, &mut errors)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let chrome = ctx.chrome("incidents").await?;
    ctx.cachet().incident(ctx.actor(), id).await?;
    let mut form = update_form(&chrome, id, None, f).titled(M::AddUpdate.en());
    errors.apply(&mut form);
    let mut page = Page::new(M::AddUpdate.en());
    page.push(Block::Form(form));
    render(ctx.dash, chrome, page, rejected(&errors))
}

async fn edit_update(ctx: &Ctx<'_, '_>, id: IncidentId, uid: IncidentUpdateId) -> Out {
    let f = &ctx.form;
    let mut errors = Errors::default();
    if let Some((status, message)) = parse_update(f, &mut errors) {
        let patch = IncidentUpdatePatch {
            status: Some(status),
            message: Some(message),
        };
        match ctx
            .cachet()
            .update_incident_update(ctx.actor(), id, uid, &patch)
            .await
        {
            Ok(_) => return ctx.done(&format!("/incidents/{}", id.get()), Flash::Saved),
            Err(e) => form_error(e, &mut errors)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let u = ctx.cachet().incident_update(ctx.actor(), id, uid).await?;
    let chrome = ctx.chrome("incidents").await?;
    let mut form = update_form(&chrome, id, Some(&u), f);
    errors.apply(&mut form);
    let mut page = Page::new(M::EditUpdate.en());
    page.push(Block::Form(form));
    render(ctx.dash, chrome, page, rejected(&errors))
}

// ---- templates -------------------------------------------------------------------------

/// `/templates/...`.
pub(super) async fn templates(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    match tail {
        [] if ctx.post() => save_template(ctx, None).await,
        [] => {
            ctx.only_get()?;
            template_list(ctx).await
        }
        ["new"] => {
            ctx.only_get()?;
            let chrome = ctx.chrome("templates").await?;
            let form = template_form(&chrome, None, &Submitted::default());
            let mut page = Page::new(M::NewTemplate.en());
            page.push(Block::Para(M::TemplateSyntax.en().to_owned()));
            page.push(Block::Form(form));
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id] => {
            let id = TemplateId(path_id(id)?);
            if ctx.post() {
                return save_template(ctx, Some(id)).await;
            }
            ctx.only_get()?;
            let t = ctx.cachet().template(ctx.actor(), id).await?;
            let chrome = ctx.chrome("templates").await?;
            let form = template_form(&chrome, Some(&t), &template_values(&t));
            let mut page = Page::new(M::EditTemplate.fill(&[t.name.as_str()]));
            checker(&t.template, &mut page);
            page.push(Block::Form(form));
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id, "delete"] => {
            let id = TemplateId(path_id(id)?);
            if ctx.post() {
                ctx.cachet().delete_template(ctx.actor(), id).await?;
                return ctx.done("/templates", Flash::Deleted);
            }
            ctx.only_get()?;
            let t = ctx.cachet().template(ctx.actor(), id).await?;
            let chrome = ctx.chrome("templates").await?;
            let page = confirm(
                &chrome,
                M::DeleteTemplate.en().to_owned(),
                M::ConfirmDeleteTemplate.fill(&[t.name.as_str()]),
                &format!("/templates/{}/delete", id.get()),
                &format!("/templates/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        _ => Err(unknown()),
    }
}

/// The template checker's findings: the variables used, and warnings for text that looks
/// like a template tag but is shown literally.
fn checker(t: &Markdown, page: &mut Page) {
    let report = template::check(t, &Vars::new());
    if !report.used.is_empty() {
        let names: Vec<&str> = report.used.iter().map(String::as_str).collect();
        page.push(Block::Para(M::VariablesUsed.fill(&[&names.join(", ")])));
    }
    for u in &report.unsupported {
        page.push(Block::Warning(M::UnsupportedTag.fill(&[u])));
    }
}

async fn template_list(ctx: &Ctx<'_, '_>) -> Out {
    let chrome = ctx.chrome("templates").await?;
    let items = ctx
        .cachet()
        .templates(ctx.actor(), TemplateQuery::all())
        .await?
        .items;
    let mut page = Page::new(M::Templates.en());
    new_link(&mut page, &chrome, "/templates/new", M::NewTemplate);
    let rows = items
        .iter()
        .map(|t| {
            let id = t.id.get();
            let report = template::check(&t.template, &Vars::new());
            entity_row(
                &chrome,
                &format!("/templates/{id}"),
                t.name.as_str(),
                vec![
                    cell(t.slug.as_str()),
                    cell(if report.unsupported.is_empty() {
                        M::NoWarnings.en().to_owned()
                    } else {
                        M::WarningCount.fill(&[&report.unsupported.len().to_string()])
                    }),
                ],
            )
        })
        .collect();
    page.push(list_table(
        M::Templates.en().to_owned(),
        &[M::Name, M::Slug, M::Checker, M::Actions],
        rows,
        M::NoTemplates,
    ));
    render(ctx.dash, chrome, page, StatusCode::OK)
}

fn template_values(t: &IncidentTemplate) -> Submitted {
    Submitted::from_pairs(vec![
        ("name", t.name.as_str().to_owned()),
        ("slug", t.slug.as_str().to_owned()),
        ("template", t.template.as_str().to_owned()),
    ])
}

fn template_form(chrome: &Chrome, existing: Option<&IncidentTemplate>, v: &Submitted) -> Form {
    let action = match existing {
        Some(t) => chrome.dash(&format!("/templates/{}", t.id.get())),
        None => chrome.dash("/templates"),
    };
    Form::new(action, &chrome.csrf, M::Save.en())
        .field(Field::new("name", M::Name.en(), Kind::Text, v.text("name")).required())
        .field(Field::new("slug", M::Slug.en(), Kind::Text, v.text("slug")).help(M::SlugHelp.en()))
        .field(
            Field::new(
                "template",
                M::TemplateText.en(),
                Kind::TextArea(8),
                v.text("template"),
            )
            .help(M::TemplateSyntax.en()),
        )
}

async fn save_template(ctx: &Ctx<'_, '_>, id: Option<TemplateId>) -> Out {
    let f = &ctx.form;
    let mut e = Errors::default();
    let name = e.take("name", Name::parse(f.text("name")));
    let slug = match f.text("slug").trim() {
        "" => e.take(
            "slug",
            Slug::from_name(f.text("name")).ok_or(Violation::Format {
                expected: "lowercase letters, digits and single hyphens",
            }),
        ),
        s => e.take("slug", Slug::parse(s)),
    };
    let body = e.take("template", Markdown::parse(f.text("template")));
    if let (Some(name), Some(slug), Some(template)) = (name, slug, body) {
        let result = match id {
            None => ctx
                .cachet()
                .create_template(
                    ctx.actor(),
                    &NewIncidentTemplate {
                        name,
                        slug,
                        template,
                    },
                )
                .await
                .map(|t| (t.id, Flash::Created)),
            Some(id) => ctx
                .cachet()
                .update_template(
                    ctx.actor(),
                    id,
                    &IncidentTemplatePatch {
                        name: Some(name),
                        slug: Some(slug),
                        template: Some(template),
                    },
                )
                .await
                .map(|t| (t.id, Flash::Saved)),
        };
        match result {
            // Back to the template, where the checker's findings are shown.
            Ok((id, flash)) => return ctx.done(&format!("/templates/{}", id.get()), flash),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), crate::auth::policy::Permission::WriteContent)
            .await?;
    }
    let chrome = ctx.chrome("templates").await?;
    let existing = match id {
        Some(id) => Some(ctx.cachet().template(ctx.actor(), id).await?),
        None => None,
    };
    let mut form = template_form(&chrome, existing.as_ref(), f);
    e.apply(&mut form);
    let mut page = Page::new(match &existing {
        Some(t) => M::EditTemplate.fill(&[t.name.as_str()]),
        None => M::NewTemplate.en().to_owned(),
    });
    page.push(Block::Form(form));
    render(ctx.dash, chrome, page, rejected(&e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn vars_are_name_value_lines() {
        let v = parse_vars("service = API\n\nregion=eu", "Outage").unwrap();
        assert_eq!(v.get("service"), Some("API"));
        assert_eq!(v.get("region"), Some("eu"));
        assert_eq!(v.get("incident.name"), Some("Outage"));
        assert!(parse_vars("no equals sign", "").is_err());
        assert!(parse_vars("bad name!=x", "").is_err());
    }
}
