//! Subscribers. Admins see addresses (list, one subscriber with their subscriptions, export
//! as JSON, erase); managers see how many there are and may add one; the facade decides
//! which, so a manager asking for an admin's page gets its refusal.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};

use super::form::{Errors, Submitted, int};
use super::text::M;
use super::view::{Action, Block, Cell, Field, Form, Kind, Link, Opt, Page, Table};
use super::{Ctx, Fail, Out, cell, confirm, form_error, path_id, rejected, render, unknown};
use crate::auth::policy::Permission;
use crate::model::*;
use crate::store::Direction;
use crate::store::{ComponentQuery, PageRequest, SubscriberQuery, SubscriberSort};
use crate::validate::{Email, Locale, Violation};
use crate::web::dashboard::chrome::{Chrome, Flash};

/// Subscribers per list page.
const PER_PAGE: u32 = 50;

/// `/subscribers/...`.
pub(super) async fn route(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    match tail {
        [] if ctx.post() => add(ctx).await,
        [] => {
            ctx.only_get()?;
            list(ctx, &Submitted::default(), Errors::default()).await
        }
        [id] => {
            ctx.only_get()?;
            show(ctx, SubscriberId(path_id(id)?)).await
        }
        [id, "export"] => {
            // A POST: the export is audited, and nothing that leaves a trace is a GET.
            ctx.only_post()?;
            export(ctx, SubscriberId(path_id(id)?)).await
        }
        [id, action @ ("delete" | "erase")] => {
            let id = SubscriberId(path_id(id)?);
            let erase = *action == "erase";
            if ctx.post() {
                if erase {
                    ctx.cachet().erase_subscriber(ctx.actor(), id).await?;
                } else {
                    ctx.cachet().delete_subscriber(ctx.actor(), id).await?;
                }
                return ctx.done("/subscribers", Flash::Deleted);
            }
            ctx.only_get()?;
            // Only admins know whom they are about to remove; the question names the address.
            let (_, email) = ctx
                .cachet()
                .subscriber_with_address(ctx.actor(), id)
                .await?;
            let chrome = ctx.chrome("subscribers").await?;
            let (title, question) = if erase {
                (M::EraseSubscriber, M::ConfirmEraseSubscriber)
            } else {
                (M::DeleteSubscriber, M::ConfirmDeleteSubscriber)
            };
            let page = confirm(
                &chrome,
                title.en().to_owned(),
                question.fill(&[&email.label()]),
                &format!("/subscribers/{}/{action}", id.get()),
                &format!("/subscribers/{}", id.get()),
            );
            render(ctx.dash, chrome, page, StatusCode::OK)
        }
        [id, "subscriptions", sid, "delete"] => {
            ctx.only_post()?;
            let (id, sid) = (SubscriberId(path_id(id)?), SubscriptionId(path_id(sid)?));
            // The subscription must belong to the subscriber named in the path.
            let subs = ctx.cachet().subscriptions_of(ctx.actor(), id).await?;
            if !subs.iter().any(|s| s.id == sid) {
                return Err(unknown());
            }
            ctx.cachet().delete_subscription(ctx.actor(), sid).await?;
            ctx.done(&format!("/subscribers/{}", id.get()), Flash::Deleted)
        }
        _ => Err(unknown()),
    }
}

async fn list(ctx: &Ctx<'_, '_>, v: &Submitted, errors: Errors) -> Out {
    let chrome = ctx.chrome("subscribers").await?;
    let count = ctx.cachet().subscriber_count(ctx.actor()).await?;
    let components = ctx
        .cachet()
        .components(ctx.actor(), ComponentQuery::all())
        .await?
        .items;
    let mut page = Page::new(M::Subscribers.en());
    page.push(Block::Para(M::SubscriberCount.fill(&[&count.to_string()])));
    if ctx
        .cachet()
        .can(ctx.actor(), Permission::ReadSubscriberAddresses)
    {
        let page_no = ctx
            .query
            .text("page")
            .parse::<u32>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        let q = SubscriberQuery::all()
            .sorted(SubscriberSort::CreatedAt, Direction::Desc)
            .paged(PageRequest::new(page_no, PER_PAGE));
        let result = ctx
            .cachet()
            .subscribers_with_addresses(ctx.actor(), q)
            .await?;
        let rows = result
            .items
            .iter()
            .map(|(s, email)| {
                let id = s.id.get();
                let mut export = Form::button(
                    chrome.dash(&format!("/subscribers/{id}/export")),
                    &chrome.csrf,
                    M::Export.en(),
                );
                export.submits[0].aria_label = Some(M::ExportOf.fill(&[&email.label()]));
                vec![
                    Cell::Link(Link::new(
                        chrome.dash(&format!("/subscribers/{id}")),
                        email.label(),
                    )),
                    cell(chrome.time_or_never(&s.verified_at)),
                    cell(scope(s)),
                    cell(chrome.time(&s.created_at)),
                    Cell::Actions(vec![
                        Action::Form(export),
                        Action::Link(Link::new(
                            chrome.dash(&format!("/subscribers/{id}/delete")),
                            M::Delete.en(),
                        )),
                        Action::Link(Link::new(
                            chrome.dash(&format!("/subscribers/{id}/erase")),
                            M::Erase.en(),
                        )),
                    ]),
                ]
            })
            .collect();
        page.push(Block::Table(Table {
            caption: M::PageOf.fill(&[
                &page_no.to_string(),
                &result.total_pages().max(1).to_string(),
            ]),
            head: vec![
                M::Email.en().to_owned(),
                M::Verified.en().to_owned(),
                M::Notified.en().to_owned(),
                M::Created.en().to_owned(),
                M::Actions.en().to_owned(),
            ],
            rows,
            empty: M::NoSubscribers.en().to_owned(),
        }));
        let mut pager = Vec::new();
        if page_no > 1 {
            pager.push(Link::new(
                chrome.dash(&format!("/subscribers?page={}", page_no - 1)),
                M::Previous.en(),
            ));
        }
        if u64::from(page_no) < result.total_pages() {
            pager.push(Link::new(
                chrome.dash(&format!("/subscribers?page={}", page_no + 1)),
                M::Next.en(),
            ));
        }
        if !pager.is_empty() {
            page.push(Block::Links(pager));
        }
    } else {
        page.push(Block::Para(M::AddressesAdminsOnly.en().to_owned()));
    }
    let chosen = v.all("components");
    let mut form = Form::new(
        chrome.dash("/subscribers"),
        &chrome.csrf,
        M::AddSubscriber.en(),
    )
    .titled(M::AddSubscriber.en())
    .field(Field::new("email", M::Email.en(), Kind::Email, v.text("email")).required())
    .field(
        Field::new(
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
        )
        .help(M::NoComponentsMeansAll.en()),
    )
    .field(Field::new(
        "locale",
        M::Locale.en(),
        Kind::Text,
        if v.has("locale") {
            v.text("locale")
        } else {
            "en"
        },
    ))
    .field(
        Field::new(
            "verified",
            M::AlreadyVerified.en(),
            Kind::Checkbox,
            if v.checked("verified") { "1" } else { "0" },
        )
        .help(M::VerifiedHelp.en()),
    );
    errors.apply(&mut form);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        rejected(&errors)
    };
    page.push(Block::Form(form));
    render(ctx.dash, chrome, page, status)
}

/// "All components" or how many.
fn scope(s: &Subscriber) -> String {
    if s.global || s.components.is_empty() {
        M::AllComponents.en().to_owned()
    } else {
        M::SomeComponents.fill(&[&s.components.len().to_string()])
    }
}

async fn add(ctx: &Ctx<'_, '_>) -> Out {
    let f = &ctx.form;
    let mut e = Errors::default();
    let email = e.take("email", Email::parse(f.text("email").trim()));
    let locale = e.take(
        "locale",
        Locale::parse(if f.text("locale").trim().is_empty() {
            "en"
        } else {
            f.text("locale").trim()
        }),
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
    if let (Some(email), Some(locale), true) = (email, locale, e.is_empty()) {
        match ctx
            .cachet()
            .add_subscriber(
                ctx.actor(),
                &email,
                components,
                f.checked("verified"),
                locale,
            )
            .await
        {
            Ok(_) => return ctx.done("/subscribers", Flash::Created),
            Err(err) => form_error(err, &mut e)?,
        }
    } else {
        ctx.cachet()
            .authorize(ctx.actor(), Permission::ManageSubscribers)
            .await?;
    }
    list(ctx, f, e).await
}

async fn show(ctx: &Ctx<'_, '_>, id: SubscriberId) -> Out {
    let (s, email) = ctx
        .cachet()
        .subscriber_with_address(ctx.actor(), id)
        .await?;
    let subs = ctx.cachet().subscriptions_of(ctx.actor(), id).await?;
    let components = ctx
        .cachet()
        .components(ctx.actor(), ComponentQuery::all())
        .await?
        .items;
    let chrome: Chrome = ctx.chrome("subscribers").await?;
    let mut page = Page::new(M::SubscriberTitle.fill(&[&email.label()]));
    page.push(Block::Facts(vec![
        (M::Email.en().to_owned(), email.label()),
        (M::Locale.en().to_owned(), s.locale.as_str().to_owned()),
        (
            M::Verified.en().to_owned(),
            chrome.time_or_never(&s.verified_at),
        ),
        (M::Notified.en().to_owned(), scope(&s)),
        (M::Created.en().to_owned(), chrome.time(&s.created_at)),
    ]));
    let rows = subs
        .iter()
        .map(|x| {
            let name = components
                .iter()
                .find(|c| c.id == x.component_id)
                .map_or_else(
                    || format!("#{}", x.component_id.get()),
                    |c| c.name.as_str().to_owned(),
                );
            let mut f = Form::button(
                chrome.dash(&format!(
                    "/subscribers/{}/subscriptions/{}/delete",
                    id.get(),
                    x.id.get()
                )),
                &chrome.csrf,
                M::Remove.en(),
            )
            .danger();
            f.submits[0].aria_label = Some(M::RemoveSubscriptionTo.fill(&[&name]));
            vec![
                cell(name),
                cell(chrome.time(&x.created_at)),
                Cell::Actions(vec![Action::Form(f)]),
            ]
        })
        .collect();
    page.push(Block::Table(Table {
        caption: M::Subscriptions.en().to_owned(),
        head: vec![
            M::Component.en().to_owned(),
            M::Created.en().to_owned(),
            M::Actions.en().to_owned(),
        ],
        rows,
        empty: M::NoSubscriptions.en().to_owned(),
    }));
    page.push(Block::Form(Form::new(
        chrome.dash(&format!("/subscribers/{}/export", id.get())),
        &chrome.csrf,
        M::ExportJson.en(),
    )));
    page.push(Block::Links(vec![
        Link::new(
            chrome.dash(&format!("/subscribers/{}/delete", id.get())),
            M::Delete.en(),
        ),
        Link::new(
            chrome.dash(&format!("/subscribers/{}/erase", id.get())),
            M::Erase.en(),
        ),
    ]));
    render(ctx.dash, chrome, page, StatusCode::OK)
}

async fn export(ctx: &Ctx<'_, '_>, id: SubscriberId) -> Out {
    let value = ctx.cachet().export_subscriber(ctx.actor(), id).await?;
    let body =
        serde_json::to_vec_pretty(&value).map_err(|_| Fail::Facade(crate::Error::Internal))?;
    let mut resp = Response::new(Bytes::from(body));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"subscriber-{}.json\"",
        id.get()
    )) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
