//! Notification deliveries (admins): where each stands (status, attempts, last error, next
//! attempt), filtered by status and recipient (a webhook's delivery log) and paged, and the
//! attempts of one delivery; filtered by channel too, so an operator sees how SMS or chat
//! stand on their own.

use http::StatusCode;

use super::form::Submitted;
use super::text::M;
use super::view::{Block, Cell, Field, Form, Kind, Link, Opt, Page, Table};
use super::{Ctx, Out, cell, path_id, render, unknown};
use crate::model::*;
use crate::notify::Channel;
use crate::store::{DeliveryFilter, DeliveryQuery, PageRequest};

/// Deliveries per list page.
const PER_PAGE: u32 = 50;

/// `/deliveries/...`.
pub(super) async fn route(ctx: &Ctx<'_, '_>, tail: &[&str]) -> Out {
    ctx.only_get()?;
    match tail {
        [] => list(ctx, &ctx.query).await,
        [id] => attempts(ctx, DeliveryId(path_id(id)?)).await,
        _ => Err(unknown()),
    }
}

async fn list(ctx: &Ctx<'_, '_>, q: &Submitted) -> Out {
    let status = DeliveryStatus::parse(q.text("status")).ok();
    let channel = Channel::parse(q.text("channel"));
    let page_no = q
        .text("page")
        .parse::<u32>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    // A recipient as deliveries name it (`webhook:2`): a webhook's delivery log links here.
    // Anything else is no filter rather than an error, like an unknown status.
    let recipient = Some(q.text("recipient").trim())
        .filter(|r| !r.is_empty() && r.len() <= 64 && r.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned);
    let query = DeliveryQuery::filtered(DeliveryFilter {
        status,
        recipient: recipient.clone(),
        channel: channel.map(|c| c.as_str().to_owned()),
        ..DeliveryFilter::default()
    })
    .paged(PageRequest::new(page_no, PER_PAGE));
    let result = ctx.cachet().deliveries(ctx.actor(), query).await?;
    let chrome = ctx.chrome("deliveries").await?;
    let mut page = Page::new(M::Deliveries.en());
    let mut opts = vec![Opt::new("", M::AnyStatus.en(), status.is_none())];
    opts.extend(
        DeliveryStatus::ALL
            .iter()
            .map(|s| Opt::new(s.as_str(), s.as_str(), Some(*s) == status)),
    );
    let mut channel_opts = vec![Opt::new("", M::AnyChannel.en(), channel.is_none())];
    channel_opts.extend(
        Channel::ALL
            .iter()
            .map(|c| Opt::new(c.as_str(), c.as_str(), Some(*c) == channel)),
    );
    page.push(Block::Form(
        Form::search(chrome.dash("/deliveries"), M::Filter.en())
            .field(Field::new("status", M::Status.en(), Kind::Select(opts), ""))
            .field(Field::new(
                "channel",
                M::Channel.en(),
                Kind::Select(channel_opts),
                "",
            ))
            .field(
                Field::new(
                    "recipient",
                    M::Recipient.en(),
                    Kind::Text,
                    recipient.clone().unwrap_or_default(),
                )
                .help(M::RecipientFilterHelp.en()),
            ),
    ));
    let rows = result
        .items
        .iter()
        .map(|d| {
            vec![
                Cell::Link(Link::new(
                    chrome.dash(&format!("/deliveries/{}", d.id.get())),
                    format!("#{}", d.id.get()),
                )),
                cell(d.recipient.as_str()),
                cell(d.channel.as_str()),
                cell(d.status.as_str()),
                cell(d.attempts.to_string()),
                cell(if d.status == DeliveryStatus::Pending {
                    chrome.time(&d.next_attempt_at)
                } else {
                    String::new()
                }),
                cell(d.last_error.clone().unwrap_or_default()),
                cell(chrome.time_or_never(&d.delivered_at)),
            ]
        })
        .collect();
    page.push(Block::Table(Table {
        caption: M::PageOf.fill(&[
            &page_no.to_string(),
            &result.total_pages().max(1).to_string(),
        ]),
        head: vec![
            M::Delivery.en().to_owned(),
            M::Recipient.en().to_owned(),
            M::Channel.en().to_owned(),
            M::Status.en().to_owned(),
            M::Attempts.en().to_owned(),
            M::NextAttempt.en().to_owned(),
            M::LastError.en().to_owned(),
            M::Delivered.en().to_owned(),
        ],
        rows,
        empty: M::NoDeliveries.en().to_owned(),
    }));
    let link = |p: u32| {
        let mut s = format!("/deliveries?page={p}");
        if let Some(st) = status {
            s.push_str("&status=");
            s.push_str(st.as_str());
        }
        if let Some(c) = channel {
            s.push_str("&channel=");
            s.push_str(c.as_str());
        }
        if let Some(r) = &recipient
            && let Ok(pair) = serde_urlencoded::to_string([("recipient", r)])
        {
            s.push('&');
            s.push_str(&pair);
        }
        chrome.dash(&s)
    };
    let mut pager = Vec::new();
    if page_no > 1 {
        pager.push(Link::new(link(page_no - 1), M::Previous.en()));
    }
    if u64::from(page_no) < result.total_pages() {
        pager.push(Link::new(link(page_no + 1), M::Next.en()));
    }
    if !pager.is_empty() {
        page.push(Block::Links(pager));
    }
    render(ctx.dash, chrome, page, StatusCode::OK)
}

async fn attempts(ctx: &Ctx<'_, '_>, id: DeliveryId) -> Out {
    let items = ctx.cachet().delivery_attempts(ctx.actor(), id).await?;
    let chrome = ctx.chrome("deliveries").await?;
    let mut page = Page::new(M::DeliveryTitle.fill(&[&id.get().to_string()]));
    let rows = items
        .iter()
        .map(|a| {
            vec![
                cell(chrome.time(&a.at)),
                cell(if a.ok {
                    M::Succeeded.en()
                } else {
                    M::Failed.en()
                }),
                cell(a.error.clone().unwrap_or_default()),
            ]
        })
        .collect();
    page.push(Block::Table(Table {
        caption: M::Attempts.en().to_owned(),
        head: vec![
            M::Time.en().to_owned(),
            M::Result.en().to_owned(),
            M::Error.en().to_owned(),
        ],
        rows,
        empty: M::NoAttempts.en().to_owned(),
    }));
    page.push(Block::Links(vec![Link::new(
        chrome.dash("/deliveries"),
        M::AllDeliveries.en(),
    )]));
    render(ctx.dash, chrome, page, StatusCode::OK)
}
