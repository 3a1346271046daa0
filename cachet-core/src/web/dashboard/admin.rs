//! The admin's sections: users and roles (`/users`), invitations (`/invitations`), settings
//! with the about preview (`/settings`), webhooks (`/webhooks`: secrets write-only, the events each receives, a test event, a link to its delivery log), the mail
//! page (`/mail`: the operator's mail configuration without secrets, and a test mail) and the
//! audit log with filters (`/audit`). Each reads and writes through the facade, which
//! authorizes the signed-in actor (`ManageUsers`, `ManageSettings`, `ReadAudit`).

use askama::Template;
use bytes::Bytes;
use chrono::{NaiveDate, TimeZone as _};
use http::{Response, StatusCode};

use super::chrome::{Chrome, DashboardRequest, Flash};
use crate::auth::policy::Permission;
use crate::model::{
    AuditAction, AuditOutcome, EntityKind, Role, SettingKey, User, UserId, WebhookEvent,
    WebhookEvents, WebhookFormat, WebhookId,
};
use crate::sanitize::{SafeHtml, render_markdown};
use crate::store::{AuditFilter, AuditQuery, PageRequest, UserQuery};
use crate::validate::{Email, HttpUrl, Markdown, Name, ValidationError, ViolationExt};
use crate::{Error, WebhookEndpoint};

/// Answers the admin sections.
pub(super) async fn route(dash: &DashboardRequest<'_>, rest: &[&str]) -> Option<Response<Bytes>> {
    let post = dash.is_post();
    let get = dash.is_get();
    let resp = match rest {
        ["users"] if get => users_page(dash, None).await,
        ["users", id, "role"] if post => set_role(dash, id).await,
        ["users", id, "delete"] if post => delete_user(dash, id).await,
        ["invitations"] if get => invitations_page(dash, None).await,
        ["invitations"] if post => invite(dash).await,
        ["settings"] if get => settings_page(dash, None, None).await,
        ["settings"] if post => save_settings(dash).await,
        ["webhooks"] if get => webhooks_page(dash, None).await,
        ["webhooks"] if post => create_webhook(dash).await,
        ["webhooks", id] if post => update_webhook(dash, id).await,
        ["webhooks", id, "delete"] if post => delete_webhook(dash, id).await,
        ["webhooks", id, "test"] if post => test_webhook(dash, id).await,
        ["mail"] if get => mail_page(dash).await,
        ["mail", "test"] if post => test_mail(dash).await,
        ["audit"] if get => audit_page(dash).await,
        ["users" | "invitations" | "settings" | "webhooks" | "mail" | "audit"] => {
            dash.method_not_allowed("GET, HEAD, POST")
        }
        ["users", _, "role" | "delete"]
        | ["webhooks", _]
        | ["webhooks", _, "delete" | "test"]
        | ["mail", "test"] => dash.method_not_allowed("POST"),
        _ => return None,
    };
    Some(resp)
}

fn id_of(s: &str) -> Option<i64> {
    crate::model::parse_id(s).ok()
}

/// A form error shown on the page again, or the error page for refusals and failures.
fn is_form_error(e: &Error) -> bool {
    matches!(e, Error::Validation(_) | Error::Conflict(_))
}

// ---- users ----------------------------------------------------------------------------

struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    two_factor: bool,
    last_login: String,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    roles: &'static [Role],
}

async fn users_page(dash: &DashboardRequest<'_>, error: Option<Error>) -> Response<Bytes> {
    let mut chrome = match dash.chrome("users").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    let users = match dash.cachet.users(&dash.actor, UserQuery::all()).await {
        Ok(p) => p.items,
        Err(e) => return dash.fail(e).await,
    };
    let me = dash.actor.user().map(|u| u.id);
    let rows = users
        .iter()
        .map(|u: &User| UserRow {
            id: u.id.get(),
            name: u.name.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            role: u.role.as_str(),
            two_factor: u.totp.as_ref().is_some_and(|t| t.confirmed_at.is_some()),
            last_login: chrome.time_or_never(&u.last_login_at),
            is_me: Some(u.id) == me,
        })
        .collect();
    let mut status = StatusCode::OK;
    if let Some(e) = error {
        let (s, m) = super::chrome::error_status(&e);
        status = s;
        chrome.error = Some(m);
    }
    dash.render_status(
        status,
        &UsersPage {
            chrome,
            rows,
            roles: Role::ALL,
        },
    )
}

async fn set_role(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    let role = match Role::parse(dash.form.text("role")).field("role") {
        Ok(r) => r,
        Err(e) => return users_page(dash, Some(Error::Validation(e))).await,
    };
    match dash
        .cachet
        .set_user_role(&dash.actor, UserId(id), role)
        .await
    {
        Ok(_) => dash.redirect_flash("/users", Flash::Saved),
        Err(e) if is_form_error(&e) => users_page(dash, Some(e)).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn delete_user(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    if !dash.form.checked("confirm") {
        let e = ValidationError::new("confirm", crate::validate::Violation::Required);
        return users_page(dash, Some(Error::Validation(e))).await;
    }
    match dash.cachet.delete_user(&dash.actor, UserId(id)).await {
        Ok(()) => dash.redirect_flash("/users", Flash::Deleted),
        Err(e) if is_form_error(&e) => users_page(dash, Some(e)).await,
        Err(e) => dash.fail(e).await,
    }
}

// ---- invitations ----------------------------------------------------------------------

struct InvitationRow {
    at: String,
    by: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "dashboard/invitations.html")]
struct InvitationsPage {
    chrome: Chrome,
    rows: Vec<InvitationRow>,
    roles: &'static [Role],
}

async fn invitations_page(dash: &DashboardRequest<'_>, error: Option<Error>) -> Response<Bytes> {
    let mut chrome = match dash.chrome("invitations").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    // The invitations sent, from the audit log (the links themselves are stored hashed).
    let q = AuditQuery::filtered(AuditFilter {
        action: Some(AuditAction::Create),
        entity: Some(EntityKind::User),
        ..AuditFilter::default()
    })
    .paged(PageRequest::new(1, 100));
    let events = match dash.cachet.audit_log(&dash.actor, q).await {
        Ok(p) => p.items,
        Err(e) => return dash.fail(e).await,
    };
    let rows = events
        .iter()
        .filter(|e| e.detail.as_str().starts_with("invitation for "))
        .map(|e| InvitationRow {
            at: chrome.time(&e.at),
            by: e.actor.clone(),
            detail: e.detail.as_str().to_owned(),
        })
        .collect();
    let mut status = StatusCode::OK;
    if let Some(e) = error {
        let (s, m) = super::chrome::error_status(&e);
        status = s;
        chrome.error = Some(m);
    }
    dash.render_status(
        status,
        &InvitationsPage {
            chrome,
            rows,
            roles: Role::ALL,
        },
    )
}

async fn invite(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let parsed = Email::parse(dash.form.text("email").trim())
        .field("email")
        .and_then(|e| Ok((e, Role::parse(dash.form.text("role")).field("role")?)));
    let (email, role) = match parsed {
        Ok(p) => p,
        Err(e) => return invitations_page(dash, Some(Error::Validation(e))).await,
    };
    match dash.cachet.invite_user(&dash.actor, email, role).await {
        Ok(()) => dash.redirect_flash("/invitations", Flash::Sent),
        Err(e) if is_form_error(&e) => invitations_page(dash, Some(e)).await,
        Err(e) => dash.fail(e).await,
    }
}

// ---- settings -------------------------------------------------------------------------

/// How a setting is edited.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Textarea,
    Check,
    Colour,
}

struct SettingField {
    key: &'static str,
    label: String,
    kind: Kind,
    value: String,
    checked: bool,
}

impl SettingField {
    fn is_textarea(&self) -> bool {
        self.kind == Kind::Textarea
    }
    fn is_check(&self) -> bool {
        self.kind == Kind::Check
    }
    fn is_colour(&self) -> bool {
        self.kind == Kind::Colour
    }
}

fn kind_of(k: SettingKey) -> Kind {
    use SettingKey as K;
    match k {
        K::AppAbout => Kind::Textarea,
        K::AutomaticLocalization
        | K::OnlyDisruptedDays
        | K::DisplayGraphs
        | K::ShowTimezone
        | K::EnableSubscribers
        | K::SkipSubscriberVerification
        | K::SuppressNotificationsInMaintenance
        | K::AlwaysAuthenticate
        | K::Require2faForAdmins => Kind::Check,
        K::ThemeAccent | K::ThemeGreens | K::ThemeBlues | K::ThemeYellows | K::ThemeReds => {
            Kind::Colour
        }
        _ => Kind::Text,
    }
}

fn label_of(k: SettingKey) -> String {
    use SettingKey as K;
    let fixed = match k {
        K::AppName => "Site name",
        K::AppAbout => "About (Markdown)",
        K::AppTimezone => "Time zone (IANA name, such as Europe/Berlin)",
        K::AppLocale => "Locale (en, de, fr)",
        K::AppIncidentDays => "Days of incidents on the status page (1 to 90)",
        K::AutomaticLocalization => "Choose the language from the visitor's browser",
        K::AlwaysAuthenticate => "Require an API token for every API read",
        K::Require2faForAdmins => "Require two-factor authentication for admins",
        K::AllowedDomains => "Origins allowed to read the public JSON and feeds (comma separated)",
        K::MajorOutageRate => "Share of a group's components down that makes a major outage (%)",
        K::ThemeAccent => "Accent colour",
        K::ThemeGreens => "Colour: operational",
        K::ThemeBlues => "Colour: performance issues",
        K::ThemeYellows => "Colour: partial outage",
        K::ThemeReds => "Colour: major outage",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_owned();
    }
    let words = k.as_str().replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    fields: Vec<SettingField>,
    /// The about text rendered through the public pages' sanitizer.
    preview: Option<SafeHtml>,
}

/// The value a posted settings form gives a key (`None`: not in the form).
fn posted(dash: &DashboardRequest<'_>, k: SettingKey) -> Option<String> {
    let name = k.as_str();
    if kind_of(k) == Kind::Check {
        // A hidden "0" precedes every checkbox, so an unticked box is still "in the form".
        let values = dash.form.all(name);
        if values.is_empty() {
            return None;
        }
        return Some(if values.contains(&"1") { "1" } else { "0" }.to_owned());
    }
    dash.form.get(name).map(str::to_owned)
}

async fn settings_page(
    dash: &DashboardRequest<'_>,
    error: Option<Error>,
    preview: Option<SafeHtml>,
) -> Response<Bytes> {
    let mut chrome = match dash.chrome("settings").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    // The page is for those who may change settings; the facade decides.
    if let Err(e) = dash
        .cachet
        .authorize(&dash.actor, Permission::ManageSettings)
        .await
    {
        return dash.fail(e).await;
    }
    let settings = match dash.cachet.settings().await {
        Ok(s) => s,
        Err(e) => return dash.fail(e).await,
    };
    // After a failed or previewed POST, the form shows what was sent.
    let from_form = dash.is_post();
    let fields = SettingKey::ALL
        .iter()
        .map(|k| {
            let value = if from_form {
                posted(dash, *k).unwrap_or_else(|| settings.get(*k))
            } else {
                settings.get(*k)
            };
            SettingField {
                key: k.as_str(),
                label: label_of(*k),
                kind: kind_of(*k),
                checked: value == "1",
                value,
            }
        })
        .collect();
    let mut status = StatusCode::OK;
    if let Some(e) = error {
        let (s, m) = super::chrome::error_status(&e);
        status = s;
        chrome.error = Some(m);
    }
    dash.render_status(
        status,
        &SettingsPage {
            chrome,
            fields,
            preview,
        },
    )
}

async fn save_settings(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    if dash.form.get("action") == Some("preview") {
        let about = dash.form.text(SettingKey::AppAbout.as_str());
        return match Markdown::parse(about).field(SettingKey::AppAbout.as_str()) {
            Ok(md) => settings_page(dash, None, Some(render_markdown(&md))).await,
            Err(e) => settings_page(dash, Some(Error::Validation(e)), None).await,
        };
    }
    let values: Vec<(SettingKey, String)> = SettingKey::ALL
        .iter()
        .filter_map(|k| posted(dash, *k).map(|v| (*k, v)))
        .collect();
    match dash.cachet.put_settings(&dash.actor, &values).await {
        Ok(_) => dash.redirect_flash("/settings", Flash::Saved),
        Err(e) if is_form_error(&e) => settings_page(dash, Some(e), None).await,
        Err(e) => dash.fail(e).await,
    }
}

// ---- webhooks -------------------------------------------------------------------------

struct WebhookRow {
    id: i64,
    name: String,
    url: String,
    enabled: bool,
    updated: String,
    events: Vec<EventChoice>,
    format: &'static str,
    formats: Vec<FormatChoice>,
    deliveries: String,
}

/// One option of a webhook form's format select.
struct FormatChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn format_label(f: WebhookFormat) -> &'static str {
    match f {
        WebhookFormat::Json => "JSON (signed)",
        WebhookFormat::Slack => "Slack",
        WebhookFormat::Teams => "Microsoft Teams",
        WebhookFormat::Discord => "Discord",
        WebhookFormat::Mattermost => "Mattermost",
        WebhookFormat::GoogleChat => "Google Chat",
        WebhookFormat::Matrix => "Matrix (room URL; the secret is the access token)",
    }
}

fn format_choices(format: WebhookFormat) -> Vec<FormatChoice> {
    WebhookFormat::ALL
        .iter()
        .map(|f| FormatChoice {
            value: f.as_str(),
            label: format_label(*f),
            selected: *f == format,
        })
        .collect()
}

/// One event checkbox of a webhook form.
struct EventChoice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn event_choices(events: WebhookEvents) -> Vec<EventChoice> {
    WebhookEvent::ALL
        .iter()
        .map(|e| EventChoice {
            value: e.as_str(),
            label: match e {
                WebhookEvent::IncidentCreated => "Incident created",
                WebhookEvent::IncidentUpdated => "Incident updated",
                WebhookEvent::IncidentResolved => "Incident resolved",
                WebhookEvent::ComponentStatus => "Component status changed",
                WebhookEvent::Maintenance => "Maintenance scheduled, started or completed",
            },
            checked: events.contains(*e),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    rows: Vec<WebhookRow>,
    new_events: Vec<EventChoice>,
    new_formats: Vec<FormatChoice>,
}

async fn webhooks_page(dash: &DashboardRequest<'_>, error: Option<Error>) -> Response<Bytes> {
    let mut chrome = match dash.chrome("settings").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    let hooks = match dash.cachet.webhooks(&dash.actor).await {
        Ok(h) => h,
        Err(e) => return dash.fail(e).await,
    };
    // Never the secret: not even its sealed form leaves the facade's types here.
    let rows = hooks
        .iter()
        .map(|w| WebhookRow {
            id: w.id.get(),
            name: w.name.as_str().to_owned(),
            url: w.url.as_str().to_owned(),
            enabled: w.enabled,
            updated: chrome.time(&w.updated_at),
            events: event_choices(w.events),
            format: format_label(w.format),
            formats: format_choices(w.format),
            deliveries: chrome.dash(&format!("/deliveries?recipient=webhook:{}", w.id.get())),
        })
        .collect();
    let mut status = StatusCode::OK;
    if let Some(e) = error {
        let (s, m) = super::chrome::error_status(&e);
        status = s;
        chrome.error = Some(m);
    }
    dash.render_status(
        status,
        &WebhooksPage {
            chrome,
            rows,
            new_events: event_choices(WebhookEvents::ALL),
            new_formats: format_choices(WebhookFormat::Json),
        },
    )
}

/// The endpoint's settings from the form. The form marks that it showed the event checkboxes
/// (`events_shown`): then none ticked is an error; a form without them (a script written
/// before events could be chosen) leaves the events as they are, every event for a new one.
fn webhook_fields(dash: &DashboardRequest<'_>) -> Result<WebhookEndpoint, ValidationError> {
    let ticked = dash.form.all("events");
    let events = if ticked.is_empty() && dash.form.text("events_shown").is_empty() {
        None
    } else {
        let parsed = ticked
            .iter()
            .map(|e| WebhookEvent::parse(e))
            .collect::<Result<Vec<_>, _>>()
            .field("events")?;
        Some(WebhookEvents::of(parsed).field("events")?)
    };
    // A form without the select (a script written before formats existed) keeps the format.
    let format = match dash.form.text("format").trim() {
        "" => None,
        f => Some(WebhookFormat::parse(f).field("format")?),
    };
    Ok(WebhookEndpoint {
        name: Name::parse(dash.form.text("name")).field("name")?,
        url: HttpUrl::parse(dash.form.text("url").trim()).field("url")?,
        enabled: dash.form.all("enabled").contains(&"1"),
        events,
        format,
    })
}

async fn create_webhook(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let endpoint = match webhook_fields(dash) {
        Ok(f) => f,
        Err(e) => return webhooks_page(dash, Some(Error::Validation(e))).await,
    };
    match dash
        .cachet
        .create_webhook(&dash.actor, endpoint, dash.form.text("secret"))
        .await
    {
        Ok(_) => dash.redirect_flash("/webhooks", Flash::Created),
        Err(e) if is_form_error(&e) => webhooks_page(dash, Some(e)).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn update_webhook(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    let endpoint = match webhook_fields(dash) {
        Ok(f) => f,
        Err(e) => return webhooks_page(dash, Some(Error::Validation(e))).await,
    };
    match dash
        .cachet
        .update_webhook(
            &dash.actor,
            WebhookId(id),
            endpoint,
            dash.form.text("secret"),
        )
        .await
    {
        Ok(()) => dash.redirect_flash("/webhooks", Flash::Saved),
        Err(e) if is_form_error(&e) => webhooks_page(dash, Some(e)).await,
        Err(e) => dash.fail(e).await,
    }
}

async fn test_webhook(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    match dash
        .cachet
        .send_test_webhook(&dash.actor, WebhookId(id))
        .await
    {
        Ok(()) => dash.redirect_flash("/webhooks", Flash::Sent),
        Err(e) => dash.fail(e).await,
    }
}

async fn delete_webhook(dash: &DashboardRequest<'_>, id: &str) -> Response<Bytes> {
    let Some(id) = id_of(id) else {
        return crate::web::response::not_found_page();
    };
    match dash.cachet.delete_webhook(&dash.actor, WebhookId(id)).await {
        Ok(()) => dash.redirect_flash("/webhooks", Flash::Deleted),
        Err(e) => dash.fail(e).await,
    }
}

// ---- mail -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "dashboard/mail.html")]
struct MailPage {
    chrome: Chrome,
    info: Option<String>,
    email: String,
}

async fn mail_page(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let chrome = match dash.chrome("mail").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    if let Err(e) = dash
        .cachet
        .authorize(&dash.actor, Permission::ManageSettings)
        .await
    {
        return dash.fail(e).await;
    }
    dash.render(&MailPage {
        chrome,
        info: dash.cachet.config().mail_info.clone(),
        email: dash
            .actor
            .user()
            .map(|u| u.email.as_str().to_owned())
            .unwrap_or_default(),
    })
}

async fn test_mail(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    match dash.cachet.send_test_mail(&dash.actor).await {
        Ok(()) => dash.redirect_flash("/mail", Flash::Sent),
        Err(e) => dash.fail(e).await,
    }
}

// ---- audit log ------------------------------------------------------------------------

const AUDIT_PAGE_SIZE: u32 = 50;

struct AuditRow {
    at: String,
    iso: String,
    actor: String,
    action: &'static str,
    entity: String,
    outcome: &'static str,
    ip: String,
    detail: String,
}

/// One option of a filter select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
    actions: Vec<Choice>,
    entities: Vec<Choice>,
    outcomes: Vec<Choice>,
    actors: Vec<Choice>,
    since: String,
    until: String,
    page: u32,
    pages: u64,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
}

fn choices<T: Copy>(
    all: &[T],
    name: impl Fn(T) -> &'static str,
    chosen: Option<&str>,
) -> Vec<Choice> {
    all.iter()
        .map(|t| Choice {
            value: name(*t).to_owned(),
            label: name(*t).replace('_', " "),
            selected: chosen == Some(name(*t)),
        })
        .collect()
}

/// Parses the audit filters; a bad value is a 400 naming the filter.
fn audit_filter(
    dash: &DashboardRequest<'_>,
    tz: chrono_tz::Tz,
) -> Result<(AuditFilter, u32), ValidationError> {
    let q = &dash.query;
    let opt = |name: &str| q.get(name).map(str::trim).filter(|v| !v.is_empty());
    let date = |name: &'static str| -> Result<Option<crate::clock::Timestamp>, ValidationError> {
        opt(name)
            .map(|v| {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    ValidationError::new(
                        name,
                        crate::validate::Violation::Format {
                            expected: "a date such as 2026-11-24",
                        },
                    )
                })?;
                let d = if name == "until" {
                    d.succ_opt().unwrap_or(d)
                } else {
                    d
                };
                let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
                Ok(tz
                    .from_local_datetime(&naive)
                    .earliest()
                    .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&chrono::Utc)))
            })
            .transpose()
    };
    let filter = AuditFilter {
        action: opt("action")
            .map(AuditAction::parse)
            .transpose()
            .field("action")?,
        entity: opt("entity")
            .map(EntityKind::parse)
            .transpose()
            .field("entity")?,
        outcome: opt("outcome")
            .map(AuditOutcome::parse)
            .transpose()
            .field("outcome")?,
        actor_user_id: opt("actor")
            .map(|v| {
                v.parse::<UserId>().map_err(|_| {
                    ValidationError::new(
                        "actor",
                        crate::validate::Violation::Format {
                            expected: "a user id",
                        },
                    )
                })
            })
            .transpose()?,
        since: date("since")?,
        until: date("until")?,
        ..AuditFilter::default()
    };
    let page = match opt("page") {
        None => 1,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or(ValidationError::new(
                "page",
                crate::validate::Violation::OutOfRange {
                    min: 1,
                    max: 100_000,
                },
            ))?,
    };
    Ok((filter, page))
}

async fn audit_page(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let mut chrome = match dash.chrome("audit").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    let (filter, page, bad) = match audit_filter(dash, chrome.tz) {
        Ok((f, p)) => (f, p, None),
        Err(e) => (AuditFilter::default(), 1, Some(e)),
    };
    let q = AuditQuery::filtered(filter).paged(PageRequest::new(page, AUDIT_PAGE_SIZE));
    let events = match dash.cachet.audit_log(&dash.actor, q).await {
        Ok(p) => p,
        Err(e) => return dash.fail(e).await,
    };
    let users = match dash.cachet.users(&dash.actor, UserQuery::all()).await {
        Ok(p) => p.items,
        Err(e) => return dash.fail(e).await,
    };
    let rows = events
        .items
        .iter()
        .map(|e| AuditRow {
            at: chrome.time(&e.at),
            iso: chrome.iso(&e.at),
            actor: e.actor.clone(),
            action: e.action.as_str(),
            entity: match e.entity_id {
                Some(id) => format!("{} {id}", e.entity.as_str()),
                None => e.entity.as_str().to_owned(),
            },
            outcome: e.outcome.as_str(),
            ip: e.ip.clone().unwrap_or_default(),
            detail: e.detail.as_str().to_owned(),
        })
        .collect();
    let q = &dash.query;
    let keep = |p: u32| {
        let mut pairs: Vec<(&str, String)> =
            ["action", "entity", "outcome", "actor", "since", "until"]
                .iter()
                .filter_map(|k| {
                    q.get(k)
                        .filter(|v| !v.is_empty())
                        .map(|v| (*k, v.to_owned()))
                })
                .collect();
        pairs.push(("page", p.to_string()));
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}?{qs}", chrome.dash("/audit"))
    };
    let pages = events.total_pages();
    let prev = (page > 1).then(|| keep(page - 1));
    let next = (u64::from(page) < pages).then(|| keep(page + 1));
    let status = match bad {
        Some(e) => {
            chrome.error = Some(e.to_string());
            StatusCode::BAD_REQUEST
        }
        None => StatusCode::OK,
    };
    let actor_chosen = q.get("actor");
    let page_view = AuditPage {
        actions: choices(AuditAction::ALL, AuditAction::as_str, q.get("action")),
        entities: choices(EntityKind::ALL, EntityKind::as_str, q.get("entity")),
        outcomes: choices(AuditOutcome::ALL, AuditOutcome::as_str, q.get("outcome")),
        actors: users
            .iter()
            .map(|u| Choice {
                value: u.id.get().to_string(),
                label: format!("{} (user:{})", u.name.as_str(), u.id),
                selected: actor_chosen == Some(u.id.get().to_string().as_str()),
            })
            .collect(),
        since: q
            .get("since")
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect(),
        until: q
            .get("until")
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect(),
        page,
        pages,
        total: events.total,
        prev,
        next,
        rows,
        chrome,
    };
    dash.render_status(status, &page_view)
}
