//! The dashboard's content sections: components and groups, incidents with their
//! updates and templates, maintenance, metrics and points, subscribers and deliveries.
//!
//! # Rules every handler here follows
//!
//! - Reads and writes go through the facade with the signed-in actor, which authorizes each
//!   call (viewer reads, manager writes, admin for subscriber addresses and deliveries); the
//!   pages only hide buttons a role cannot use, they never decide.
//! - Every state change is a POST carrying the session's `_token` (checked with the origin by
//!   the global guard in `web/mod.rs` before any handler runs), answered with 303 to a page
//!   that shows a message once (`?done=`). A GET changes nothing.
//! - Bad input shows the form again (422) with each message beside its field, naming the
//!   field and the rule; nothing is stored unless every field is valid.
//! - Pages are built from the small vocabulary of [`view`] and rendered by one askama
//!   template, so every value is escaped; Markdown goes through the public pages' sanitizer.
//! - Times are shown and entered in the site's time zone.

mod components;
mod deliveries;
mod form;
mod incidents;
mod metrics;
mod schedules;
mod subscribers;
mod text;
mod view;

use askama::Template;
use bytes::Bytes;
use http::{Response, StatusCode};

use super::chrome::{Chrome, DashboardRequest, Flash};
use crate::{Cachet, Error};

use form::Submitted;
use text::M;
use view::{Action, Block, Cell, Kind, Page};

/// Why a content request was not answered with a page of its own.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A facade refusal or failure, answered by the chrome's error page.
    Facade(Error),
    /// The path exists but not for this method.
    Method(&'static str),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Facade(e)
    }
}

/// What a handler answers.
pub(crate) type Out = Result<Response<Bytes>, Fail>;

/// A content request: the chrome's request plus the submitted fields read the way these forms
/// send them (a checkbox after its hidden `0`, so the last value wins).
pub(crate) struct Ctx<'a, 'b> {
    /// The dashboard request (actor, facade, request).
    pub dash: &'a DashboardRequest<'b>,
    /// The POST body's fields.
    pub form: Submitted,
    /// The query string's fields.
    pub query: Submitted,
}

impl Ctx<'_, '_> {
    /// The facade.
    pub fn cachet(&self) -> &Cachet {
        self.dash.cachet
    }

    /// The signed-in actor.
    pub fn actor(&self) -> &crate::Actor {
        &self.dash.actor
    }

    /// Whether this is a GET (or HEAD).
    pub fn get(&self) -> bool {
        self.dash.is_get()
    }

    /// Whether this is a POST.
    pub fn post(&self) -> bool {
        self.dash.is_post()
    }

    /// Only GET here.
    pub fn only_get(&self) -> Result<(), Fail> {
        if self.get() {
            Ok(())
        } else {
            Err(Fail::Method("GET, HEAD"))
        }
    }

    /// Only POST here.
    pub fn only_post(&self) -> Result<(), Fail> {
        if self.post() {
            Ok(())
        } else {
            Err(Fail::Method("POST"))
        }
    }

    /// The chrome of a section.
    pub async fn chrome(&self, section: &str) -> Result<Chrome, Fail> {
        Ok(self.dash.chrome(section).await?)
    }

    /// The site's zone, for reading a form's local times.
    pub async fn zone(&self) -> Result<chrono_tz::Tz, Fail> {
        Ok(self.cachet().settings().await?.app_timezone.tz())
    }

    /// 303 to a dashboard path with a one-time message.
    pub fn done(&self, path: &str, flash: Flash) -> Out {
        Ok(self.dash.redirect_flash(path, flash))
    }

    /// The user id of the actor (recorded as the author of incidents and updates).
    pub fn user_id(&self) -> Option<crate::model::UserId> {
        self.actor().user().map(|u| u.id)
    }
}

/// The one page template of the content sections.
#[derive(Template)]
#[template(path = "dashboard/content_page.html")]
struct ContentPage {
    chrome: Chrome,
    page: Page,
    nav_label: &'static str,
}

/// Renders a page with a status (200, or 422 / 409 when a form is shown again).
pub(crate) fn render(
    dash: &DashboardRequest<'_>,
    chrome: Chrome,
    mut page: Page,
    status: StatusCode,
) -> Out {
    if !chrome.can_write {
        // A reader sees the values in disabled fields and no button.
        for b in &mut page.blocks {
            if let Block::Form(f) = b
                && !f.get
            {
                f.read_only = true;
            }
        }
    }
    Ok(dash.render_status(
        status,
        &ContentPage {
            chrome,
            page,
            nav_label: M::SectionNav.en(),
        },
    ))
}

/// A positive decimal id from a path segment; anything else is not found.
pub(crate) fn path_id(s: &str) -> Result<i64, Fail> {
    crate::model::parse_id(s).map_err(|_| Fail::Facade(Error::NotFound { entity: "page" }))
}

/// The 404 of an unknown path inside a section.
pub(crate) fn unknown() -> Fail {
    Fail::Facade(Error::NotFound { entity: "page" })
}

/// Records a facade refusal of a submitted form beside the form (validation, conflict) or
/// passes any other error on (refusal, not found, internal).
pub(crate) fn form_error(e: Error, errors: &mut form::Errors) -> Result<(), Fail> {
    match e {
        Error::Validation(v) => {
            errors.validation(&v);
            Ok(())
        }
        Error::Conflict(why) => {
            errors.add("form", why);
            Ok(())
        }
        other => Err(Fail::Facade(other)),
    }
}

/// The status of a form shown again: 409 for a conflict only, else 422.
pub(crate) fn rejected(errors: &form::Errors) -> StatusCode {
    if errors.only_general() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A delete confirmation page: the question, a destructive POST button and a way back.
pub(crate) fn confirm(
    chrome: &Chrome,
    title: String,
    question: String,
    action: &str,
    back: &str,
) -> Page {
    let mut page = Page::new(title);
    page.push(Block::Warning(question));
    page.push(Block::Form(
        view::Form::new(chrome.dash(action), &chrome.csrf, M::DeleteForGood.en()).danger(),
    ));
    page.push(Block::Links(vec![view::Link::new(
        chrome.dash(back),
        M::Cancel.en(),
    )]));
    page
}

/// Answers a content section (`rest` starts with the section's segment: `["components",
/// "5", "edit"]`), or `None` when the path is not one (the caller answers 404).
pub(crate) async fn route(
    cachet: &Cachet,
    dash: &DashboardRequest<'_>,
    rest: &[&str],
) -> Option<Response<Bytes>> {
    let _ = cachet; // the request carries the same facade
    let ctx = Ctx {
        dash,
        // The dashboard has decoded the body (once, shared with the CSRF guard) and the query.
        form: Submitted::from_form(dash.form),
        query: Submitted::from_form(&dash.query),
    };
    let (section, tail) = rest.split_first()?;
    let out = match *section {
        "components" => components::components(&ctx, tail).await,
        "groups" => components::groups(&ctx, tail).await,
        "incidents" => incidents::incidents(&ctx, tail).await,
        "templates" => incidents::templates(&ctx, tail).await,
        "schedules" => schedules::route(&ctx, tail).await,
        "metrics" => metrics::route(&ctx, tail).await,
        "subscribers" => subscribers::route(&ctx, tail).await,
        "deliveries" => deliveries::route(&ctx, tail).await,
        _ => return None,
    };
    Some(match out {
        Ok(r) => r,
        Err(Fail::Method(allow)) => dash.method_not_allowed(allow),
        Err(Fail::Facade(e)) => dash.fail(e).await,
    })
}

/// Yes or no.
pub(crate) fn yes_no(b: bool) -> &'static str {
    if b { M::Yes.en() } else { M::No.en() }
}

/// A list row's link to its entity's page at `path`: "Edit" for writers, "View" for readers.
pub(crate) fn open_action(chrome: &Chrome, path: &str) -> Action {
    let label = if chrome.can_write {
        M::Edit.en()
    } else {
        M::View.en()
    };
    Action::Link(view::Link::new(chrome.dash(path), label))
}

/// A list row's link to the delete confirmation of the entity at `path`, for writers only.
pub(crate) fn delete_action(chrome: &Chrome, path: &str) -> Option<Action> {
    chrome.can_write.then(|| {
        Action::Link(view::Link::new(
            chrome.dash(&format!("{path}/delete")),
            M::Delete.en(),
        ))
    })
}

/// A list page's link to the form for a new entity (`/metrics/new`), for writers only.
pub(crate) fn new_link(page: &mut Page, chrome: &Chrome, path: &str, label: M) {
    if chrome.can_write {
        page.push(Block::Links(vec![view::Link::new(
            chrome.dash(path),
            label.en(),
        )]));
    }
}

/// A list row for the entity at `path` (`/metrics/7`): its name linked there, its `cells`,
/// then its open and (for writers) delete actions.
pub(crate) fn entity_row(chrome: &Chrome, path: &str, name: &str, cells: Vec<Cell>) -> Vec<Cell> {
    let mut actions = vec![open_action(chrome, path)];
    actions.extend(delete_action(chrome, path));
    let mut row = vec![Cell::Link(view::Link::new(chrome.dash(path), name))];
    row.extend(cells);
    row.push(Cell::Actions(actions));
    row
}

/// A list table: its caption, its column headings, its rows and what it shows without rows.
pub(crate) fn list_table(caption: String, head: &[M], rows: Vec<Vec<Cell>>, empty: M) -> Block {
    Block::Table(view::Table {
        caption,
        head: head.iter().map(|m| m.en().to_owned()).collect(),
        rows,
        empty: empty.en().to_owned(),
    })
}

/// A text cell.
pub(crate) fn cell(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A select's options from `(value, label)` pairs, `selected` marking the current value.
pub(crate) fn options<'a>(
    pairs: impl IntoIterator<Item = (String, &'a str)>,
    selected: &str,
) -> Kind {
    Kind::Select(
        pairs
            .into_iter()
            .map(|(v, l)| {
                let on = v == selected;
                view::Opt::new(v, l, on)
            })
            .collect(),
    )
}
