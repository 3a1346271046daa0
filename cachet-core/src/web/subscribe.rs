//! The visitor's subscription pages: subscribe, verify, manage, unsubscribe
//! (including RFC 8058 one-click). Never cached: the forms carry per-visitor tokens (the
//! snapshot cache skips `subscribe` and `unsubscribe` path segments), and every answer here is
//! `Cache-Control: no-store` with `Referrer-Policy: no-referrer` (the link tokens are in the
//! URL).
//!
//! | path | GET | POST |
//! |---|---|---|
//! | `/subscribe` | the form | subscribe (stateless CSRF token, Origin check, rate limit per client address) |
//! | `/subscribe/sms` | the form | subscribe a mobile number (as `/subscribe`; only when SMS subscriptions are configured) |
//! | `/subscribe/sms/confirm` | the code form | confirm the number with the SMS code (stateless CSRF token, Origin check, the same rate limit) |
//! | `/subscribe/sms/inbound/{twilio,vonage}` | 405 | a provider's inbound SMS: signature verified, STOP unsubscribes |
//! | `/subscribe/chat` | the form | subscribe a chat channel by its incoming-webhook URL (as `/subscribe`; the confirmation link is posted into the channel) |
//! | `/subscribe/verify/{token}` | confirm page | confirm (token, Origin) |
//! | `/subscribe/manage/{token}` | the subscription's components | save (token, Origin) |
//! | `/unsubscribe/{token}` | confirm page | unsubscribe (token, Origin), or RFC 8058 one-click: body `List-Unsubscribe=One-Click` without a form token, the signed URL being the proof |
//!
//! A GET never changes anything. A link that is not authentic answers 400; an authentic one
//! whose subscriber is gone, or a used or expired verification token, 404.

use std::net::IpAddr;

use askama::Template;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};

use crate::auth::csrf;
use crate::i18n::Msg;
use crate::model::ComponentId;
use crate::notify::links::LinkPurpose;
use crate::validate::{Email, Locale, PhoneNumber};
use crate::web::pages::{Chrome, chrome};
use crate::web::ratelimit::Decision;
use crate::web::response;
use crate::{Actor, Cachet, Error};

/// A form on a subscription page.
struct FormView {
    action: String,
    token: String,
    intro: Option<String>,
    email: bool,
    email_value: String,
    /// The mobile number field and its value, when the form has one.
    phone: Option<String>,
    /// The incoming-webhook URL field and its value, when the form has one.
    chat_url: Option<String>,
    /// Whether the form has the SMS code field.
    code: bool,
    /// (id, name, checked), `None` when the form has no component choice.
    components: Option<Vec<(i64, String, bool)>>,
    button: &'static str,
}

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage<'a> {
    c: &'a Chrome,
    title: &'a str,
    notice: Option<String>,
    error: Option<String>,
    form: Option<FormView>,
    /// The forms under the main one: SMS (when configured) and chat.
    more_forms: Vec<FormView>,
    link: Option<(&'static str, String)>,
}

/// Which page a path names.
enum Route<'a> {
    Subscribe,
    SubscribeSms,
    ConfirmSms,
    SubscribeChat,
    Verify(&'a str),
    Manage(&'a str),
    Unsubscribe(&'a str),
}

fn route_of(path: &str) -> Option<Route<'_>> {
    match path {
        "/subscribe" | "/subscribe/" => return Some(Route::Subscribe),
        "/subscribe/sms" => return Some(Route::SubscribeSms),
        "/subscribe/sms/confirm" => return Some(Route::ConfirmSms),
        "/subscribe/chat" => return Some(Route::SubscribeChat),
        _ => {}
    }
    let one = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|t| !t.is_empty() && !t.contains('/'))
    };
    if let Some(t) = one("/subscribe/verify/") {
        Some(Route::Verify(t))
    } else if let Some(t) = one("/subscribe/manage/") {
        Some(Route::Manage(t))
    } else {
        one("/unsubscribe/").map(Route::Unsubscribe)
    }
}

/// What a request to one of these pages carries.
struct Ctx<'a> {
    cachet: &'a Cachet,
    req: &'a Request<Bytes>,
    client: Option<IpAddr>,
    c: Chrome,
    subscribers_on: bool,
    /// The request's form body, decoded once (the CSRF guard read the same value).
    form: &'a crate::web::form::Form,
    /// The hash of the session behind the request's cookie, when there is one: the global
    /// CSRF guard then checks that session's synchronizer token on every POST, so the forms
    /// carry it instead of the stateless visitor token (a signed-in admin can subscribe too).
    session: Option<crate::model::TokenHash>,
}

impl Ctx<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.form.get(name)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.req.headers().get(name).and_then(|v| v.to_str().ok())
    }

    fn token(&self, form: &str) -> String {
        if let Some(hash) = &self.session {
            return csrf::session_token(self.cachet.keyring(), hash);
        }
        csrf::visitor_token(
            self.cachet.keyring(),
            form,
            self.cachet.now(),
            csrf::VISITOR_TOKEN_TTL,
        )
    }

    /// The Origin check and the form's stateless token: the refusal to answer with when
    /// either fails.
    fn check_form(&self, form: &str) -> Option<Response<Bytes>> {
        let origin = csrf::origin_of(&self.cachet.config().public_url);
        if csrf::check_origin(origin, self.header("origin"), self.header("sec-fetch-site")).is_err()
        {
            return Some(response::plain(
                StatusCode::FORBIDDEN,
                "forbidden: cross-site request refused\n",
            ));
        }
        if self.session.is_some() {
            // The global guard has already checked the session's token.
            return None;
        }
        let token = csrf::verify_visitor_token(
            self.cachet.keyring(),
            form,
            self.field("_token"),
            self.cachet.now(),
        );
        token.is_err().then(|| {
            self.page(
                StatusCode::FORBIDDEN,
                Msg::SubscribeTitle,
                None,
                Some(self.c.t(Msg::FormExpired).to_owned()),
                None,
            )
        })
    }

    /// The components chosen in the form; `Err` names the field.
    fn chosen(&self) -> Result<Vec<ComponentId>, ()> {
        let mut out = Vec::new();
        for (k, v) in self.form.pairs() {
            if k == "components" || k == "components[]" {
                out.push(v.parse::<ComponentId>().map_err(|_| ())?);
            }
        }
        if out.len() > 1000 {
            return Err(());
        }
        Ok(out)
    }

    /// The components a visitor may choose, with those in `checked` ticked.
    async fn choices(&self, checked: &[ComponentId]) -> Result<Vec<(i64, String, bool)>, Error> {
        let (_, components) = self
            .cachet
            .visible_components(&Actor::anonymous(None))
            .await?;
        Ok(components
            .iter()
            .map(|x| {
                (
                    x.id.get(),
                    x.name.as_str().to_owned(),
                    checked.contains(&x.id),
                )
            })
            .collect())
    }

    fn page(
        &self,
        status: StatusCode,
        title: Msg,
        notice: Option<String>,
        error: Option<String>,
        form: Option<FormView>,
    ) -> Response<Bytes> {
        self.page_with(status, title, notice, error, form, Vec::new())
    }

    fn page_with(
        &self,
        status: StatusCode,
        title: Msg,
        notice: Option<String>,
        error: Option<String>,
        form: Option<FormView>,
        more_forms: Vec<FormView>,
    ) -> Response<Bytes> {
        let link = Some((self.c.t(Msg::NavStatus), self.c.href("/")));
        let page = SubscribePage {
            c: &self.c,
            title: self.c.t(title),
            notice,
            error,
            form,
            more_forms,
            link,
        };
        match page.render() {
            Ok(body) => html(status, body, self.c.lang()),
            Err(e) => {
                tracing::error!(error = %crate::log::Escaped(&e), "subscription page template failed");
                internal()
            }
        }
    }

    fn invalid_link(&self, status: StatusCode) -> Response<Bytes> {
        self.page(
            status,
            Msg::SubscribeTitle,
            None,
            Some(self.c.t(Msg::LinkInvalid).to_owned()),
            None,
        )
    }
}

fn html(status: StatusCode, body: String, lang: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        http::header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang),
    );
    resp
}

fn internal() -> Response<Bytes> {
    response::plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The page could not be shown; please try again.\n",
    )
}

fn method_not_allowed() -> Response<Bytes> {
    let mut r = response::plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut().insert(
        http::header::ALLOW,
        HeaderValue::from_static("GET, HEAD, POST"),
    );
    r
}

/// Answers a subscription route, or `None` when the path is not one.
pub(crate) async fn route(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
) -> Option<Response<Bytes>> {
    let route = route_of(req.uri().path())?;
    let mut resp = answer(cachet, req, client, route).await;
    let h = resp.headers_mut();
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Some(resp)
}

async fn answer(
    cachet: &Cachet,
    req: &Request<Bytes>,
    client: Option<IpAddr>,
    route: Route<'_>,
) -> Response<Bytes> {
    if req.method() != Method::GET && req.method() != Method::POST {
        return method_not_allowed();
    }
    let settings = match cachet.settings().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = ?crate::log::Escaped(&e), "subscription page failed");
            return internal();
        }
    };
    let form = if req.method() == Method::POST {
        crate::web::form::body(req).unwrap_or(&crate::web::form::EMPTY)
    } else {
        &crate::web::form::EMPTY
    };
    let session = super::dashboard::visitor::cookie_session(cachet, req)
        .await
        .map(|s| s.hash);
    let cx = Ctx {
        cachet,
        req,
        client,
        c: chrome(cachet, &settings, req),
        subscribers_on: settings.enable_subscribers,
        form,
        session,
    };
    let post = req.method() == Method::POST;
    let result = match route {
        Route::Subscribe if post => subscribe_post(&cx).await,
        Route::Subscribe => subscribe_get(&cx).await,
        Route::SubscribeSms if post => subscribe_sms_post(&cx).await,
        Route::SubscribeSms => subscribe_get(&cx).await,
        Route::ConfirmSms if post => confirm_sms_post(&cx).await,
        Route::ConfirmSms => Ok(confirm_sms_page(&cx, StatusCode::OK, "", None, None)),
        Route::SubscribeChat if post => subscribe_chat_post(&cx).await,
        Route::SubscribeChat => subscribe_get(&cx).await,
        Route::Verify(t) if post => verify_post(&cx, t).await,
        Route::Verify(t) => verify_get(&cx, t).await,
        Route::Manage(t) if post => manage_post(&cx, t).await,
        Route::Manage(t) => manage_get(&cx, t).await,
        Route::Unsubscribe(t) if post => unsubscribe_post(&cx, t).await,
        Route::Unsubscribe(t) => unsubscribe_get(&cx, t),
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = ?crate::log::Escaped(&e), "subscription page failed");
        internal()
    })
}

type Answer = Result<Response<Bytes>, Error>;

fn subscribe_form(cx: &Ctx<'_>, email: &str, components: Vec<(i64, String, bool)>) -> FormView {
    FormView {
        action: cx.c.href("/subscribe"),
        token: cx.token("subscribe"),
        intro: Some(cx.c.t(Msg::SubscribeIntro).to_owned()),
        email: true,
        email_value: email.to_owned(),
        phone: None,
        chat_url: None,
        code: false,
        components: Some(components),
        button: cx.c.t(Msg::SubscribeButton),
    }
}

fn closed(cx: &Ctx<'_>) -> Response<Bytes> {
    cx.page(
        StatusCode::NOT_FOUND,
        Msg::SubscribeTitle,
        None,
        Some(cx.c.t(Msg::SubscriptionsClosed).to_owned()),
        None,
    )
}

async fn subscribe_get(cx: &Ctx<'_>) -> Answer {
    if !cx.subscribers_on {
        return Ok(closed(cx));
    }
    let choices = cx.choices(&[]).await?;
    let mut more = Vec::new();
    if cx.cachet.sms_enabled() {
        more.push(sms_form(cx, "", choices.clone()));
    }
    more.push(chat_form(cx, "", choices.clone()));
    Ok(cx.page_with(
        StatusCode::OK,
        Msg::SubscribeTitle,
        None,
        None,
        Some(subscribe_form(cx, "", choices)),
        more,
    ))
}

fn sms_form(cx: &Ctx<'_>, phone: &str, components: Vec<(i64, String, bool)>) -> FormView {
    FormView {
        action: cx.c.href("/subscribe/sms"),
        token: cx.token("subscribe-sms"),
        intro: Some(cx.c.t(Msg::SubscribeSmsIntro).to_owned()),
        email: false,
        email_value: String::new(),
        phone: Some(phone.to_owned()),
        chat_url: None,
        code: false,
        components: Some(components),
        button: cx.c.t(Msg::SubscribeSmsButton),
    }
}

fn chat_form(cx: &Ctx<'_>, url: &str, components: Vec<(i64, String, bool)>) -> FormView {
    FormView {
        action: cx.c.href("/subscribe/chat"),
        token: cx.token("subscribe-chat"),
        intro: Some(cx.c.t(Msg::SubscribeChatIntro).to_owned()),
        email: false,
        email_value: String::new(),
        phone: None,
        chat_url: Some(url.to_owned()),
        code: false,
        components: Some(components),
        button: cx.c.t(Msg::SubscribeChatButton),
    }
}

/// The code entry page: the number (kept from the SMS form) and the code.
fn confirm_sms_page(
    cx: &Ctx<'_>,
    status: StatusCode,
    phone: &str,
    notice: Option<Msg>,
    error: Option<Msg>,
) -> Response<Bytes> {
    let form = FormView {
        action: cx.c.href("/subscribe/sms/confirm"),
        token: cx.token("confirm-sms"),
        intro: None,
        email: false,
        email_value: String::new(),
        phone: Some(phone.to_owned()),
        chat_url: None,
        code: true,
        components: None,
        button: cx.c.t(Msg::VerifyButton),
    };
    cx.page(
        status,
        Msg::SmsConfirmTitle,
        notice.map(|m| cx.c.t(m).to_owned()),
        error.map(|m| cx.c.t(m).to_owned()),
        Some(form),
    )
}

/// The per-client subscribe limit (shared by the mail and SMS forms): the refusal when spent.
/// The gate every visitor form that writes passes: the form open (`open`: subscriptions on,
/// and its channel configured), its token and origin, and the per-client limit. `Some` is the
/// answer that ends the request.
async fn admit(cx: &Ctx<'_>, form: &str, open: bool) -> Option<Response<Bytes>> {
    if !open {
        return Some(closed(cx));
    }
    if let Some(refusal) = cx.check_form(form) {
        return Some(refusal);
    }
    over_client_limit(cx).await
}

async fn over_client_limit(cx: &Ctx<'_>) -> Option<Response<Bytes>> {
    let ip = cx.client?;
    let Decision::Deny { retry_after, .. } = cx.cachet.limit_subscribe(ip).await else {
        return None;
    };
    let mut r = cx.page(
        StatusCode::TOO_MANY_REQUESTS,
        Msg::SubscribeTitle,
        None,
        Some(cx.c.t(Msg::SubscribeTooMany).to_owned()),
        None,
    );
    let secs = retry_after.as_secs().max(1).to_string();
    if let Ok(v) = HeaderValue::from_str(&secs) {
        r.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    Some(r)
}

async fn subscribe_sms_post(cx: &Ctx<'_>) -> Answer {
    if let Some(refusal) = admit(
        cx,
        "subscribe-sms",
        cx.subscribers_on && cx.cachet.sms_enabled(),
    )
    .await
    {
        return Ok(refusal);
    }
    let raw = cx.field("phone_number").unwrap_or_default();
    let chosen = cx.chosen();
    let checked = chosen.clone().unwrap_or_default();
    let retry = |error: Msg, choices| {
        // The number is echoed only into the visitor's own form (escaped), never logged.
        let shown: String = raw.chars().take(64).collect();
        cx.page_with(
            StatusCode::BAD_REQUEST,
            Msg::SubscribeTitle,
            None,
            Some(cx.c.t(error).to_owned()),
            None,
            vec![sms_form(cx, &shown, choices)],
        )
    };
    let Ok(phone) = PhoneNumber::parse(raw) else {
        return Ok(retry(Msg::InvalidPhone, cx.choices(&checked).await?));
    };
    let Ok(components) = chosen else {
        return Ok(retry(Msg::InvalidComponents, cx.choices(&[]).await?));
    };
    let locale = Locale::parse(cx.c.lang()).unwrap_or_else(|_| Locale::english());
    match cx
        .cachet
        .subscribe_sms(cx.client, &phone, &components, locale)
        .await
    {
        Ok(()) => Ok(confirm_sms_page(
            cx,
            StatusCode::OK,
            phone.as_str(),
            Some(Msg::SmsCodeSent),
            None,
        )),
        Err(Error::Validation(v)) if v.field() == "phone_number" => {
            Ok(retry(Msg::PhoneRegionRefused, cx.choices(&checked).await?))
        }
        Err(Error::Validation(_)) => Ok(retry(Msg::InvalidComponents, cx.choices(&[]).await?)),
        Err(Error::NotFound { .. }) => Ok(closed(cx)),
        Err(e) => Err(e),
    }
}

/// A visitor subscribes a chat channel: the same answer for a new URL and a known one (the
/// confirmation is posted into the channel, so only its members can confirm).
async fn subscribe_chat_post(cx: &Ctx<'_>) -> Answer {
    if let Some(refusal) = admit(cx, "subscribe-chat", cx.subscribers_on).await {
        return Ok(refusal);
    }
    let raw = cx.field("webhook_url").unwrap_or_default();
    let chosen = cx.chosen();
    let checked = chosen.clone().unwrap_or_default();
    let retry = |error: Msg, choices| {
        // The URL is echoed only into the visitor's own form (escaped), never logged.
        let shown: String = raw
            .chars()
            .take(crate::validate::HttpUrl::MAX_CHARS)
            .collect();
        cx.page_with(
            StatusCode::BAD_REQUEST,
            Msg::SubscribeTitle,
            None,
            Some(cx.c.t(error).to_owned()),
            None,
            vec![chat_form(cx, &shown, choices)],
        )
    };
    let Ok(url) = crate::validate::HttpUrl::parse(raw) else {
        return Ok(retry(Msg::InvalidChatUrl, cx.choices(&checked).await?));
    };
    let Ok(components) = chosen else {
        return Ok(retry(Msg::InvalidComponents, cx.choices(&[]).await?));
    };
    let locale = Locale::parse(cx.c.lang()).unwrap_or_else(|_| Locale::english());
    match cx
        .cachet
        .subscribe_chat(cx.client, &url, &components, locale)
        .await
    {
        Ok(()) => Ok(cx.page(
            StatusCode::OK,
            Msg::SubscribeTitle,
            Some(cx.c.t(Msg::SubscribeChatSent).to_owned()),
            None,
            None,
        )),
        Err(Error::Validation(v)) if v.field() == "url" => {
            Ok(retry(Msg::InvalidChatUrl, cx.choices(&checked).await?))
        }
        Err(Error::Validation(_)) => Ok(retry(Msg::InvalidComponents, cx.choices(&[]).await?)),
        Err(Error::NotFound { .. }) => Ok(closed(cx)),
        Err(e) => Err(e),
    }
}

async fn confirm_sms_post(cx: &Ctx<'_>) -> Answer {
    // Guesses are bounded per number by the code's tries; this bounds them per client too.
    if let Some(refusal) = admit(
        cx,
        "confirm-sms",
        cx.subscribers_on && cx.cachet.sms_enabled(),
    )
    .await
    {
        return Ok(refusal);
    }
    let raw = cx.field("phone_number").unwrap_or_default();
    let shown: String = raw.chars().take(64).collect();
    let Ok(phone) = PhoneNumber::parse(raw) else {
        return Ok(confirm_sms_page(
            cx,
            StatusCode::BAD_REQUEST,
            &shown,
            None,
            Some(Msg::InvalidPhone),
        ));
    };
    let code = cx.field("code").unwrap_or_default();
    match cx.cachet.confirm_sms(cx.client, &phone, code).await {
        Ok(true) => Ok(cx.page(
            StatusCode::OK,
            Msg::SmsConfirmTitle,
            Some(cx.c.t(Msg::SmsConfirmed).to_owned()),
            None,
            None,
        )),
        Ok(false) | Err(Error::Validation(_)) => Ok(confirm_sms_page(
            cx,
            StatusCode::BAD_REQUEST,
            phone.as_str(),
            None,
            Some(Msg::SmsCodeWrong),
        )),
        Err(e) => Err(e),
    }
}

async fn subscribe_post(cx: &Ctx<'_>) -> Answer {
    if let Some(refusal) = admit(cx, "subscribe", cx.subscribers_on).await {
        return Ok(refusal);
    }
    let raw_email = cx.field("email").unwrap_or_default();
    let chosen = cx.chosen();
    let checked = chosen.clone().unwrap_or_default();
    let retry = |error: Msg, choices| {
        // The address is echoed only into the visitor's own form (escaped), never logged.
        let shown: String = raw_email.chars().take(254).collect();
        cx.page(
            StatusCode::BAD_REQUEST,
            Msg::SubscribeTitle,
            None,
            Some(cx.c.t(error).to_owned()),
            Some(subscribe_form(cx, &shown, choices)),
        )
    };
    let Ok(email) = Email::parse(raw_email) else {
        return Ok(retry(Msg::InvalidEmail, cx.choices(&checked).await?));
    };
    let Ok(components) = chosen else {
        return Ok(retry(Msg::InvalidComponents, cx.choices(&[]).await?));
    };
    let locale = Locale::parse(cx.c.lang()).unwrap_or_else(|_| Locale::english());
    match cx
        .cachet
        .subscribe(cx.client, &email, &components, locale)
        .await
    {
        Ok(()) => Ok(cx.page(
            StatusCode::OK,
            Msg::SubscribeTitle,
            // A mail is promised only when this process delivers email.
            Some(
                cx.c.t(if cx.cachet.sends_email() {
                    Msg::SubscribeSent
                } else {
                    Msg::SubscribeRecordedNoMail
                })
                .to_owned(),
            ),
            None,
            None,
        )),
        Err(Error::Validation(_)) => Ok(retry(Msg::InvalidComponents, cx.choices(&[]).await?)),
        Err(Error::NotFound { .. }) => Ok(closed(cx)),
        Err(e) => Err(e),
    }
}

async fn verify_get(cx: &Ctx<'_>, token: &str) -> Answer {
    if !cx.cachet.verification_is_valid(token).await? {
        return Ok(cx.invalid_link(StatusCode::NOT_FOUND));
    }
    let form = FormView {
        action: cx.c.href(&format!("/subscribe/verify/{token}")),
        token: cx.token("verify"),
        intro: Some(cx.c.t(Msg::VerifyIntro).to_owned()),
        email: false,
        email_value: String::new(),
        phone: None,
        chat_url: None,
        code: false,
        components: None,
        button: cx.c.t(Msg::VerifyButton),
    };
    Ok(cx.page(StatusCode::OK, Msg::VerifyTitle, None, None, Some(form)))
}

async fn verify_post(cx: &Ctx<'_>, token: &str) -> Answer {
    if let Some(refusal) = cx.check_form("verify") {
        return Ok(refusal);
    }
    if cx.cachet.confirm_subscription(cx.client, token).await? {
        Ok(cx.page(
            StatusCode::OK,
            Msg::VerifyTitle,
            Some(cx.c.t(Msg::VerifyDone).to_owned()),
            None,
            None,
        ))
    } else {
        Ok(cx.invalid_link(StatusCode::NOT_FOUND))
    }
}

fn manage_form(cx: &Ctx<'_>, token: &str, choices: Vec<(i64, String, bool)>) -> FormView {
    FormView {
        action: cx.c.href(&format!("/subscribe/manage/{token}")),
        token: cx.token("manage"),
        intro: None,
        email: false,
        email_value: String::new(),
        phone: None,
        chat_url: None,
        code: false,
        components: Some(choices),
        button: cx.c.t(Msg::ManageSave),
    }
}

/// The unsubscribe form under the manage page: the way out for a subscriber who reached the
/// page from an SMS (a mail subscriber also has the link in every mail).
fn manage_unsubscribe_form(cx: &Ctx<'_>, id: crate::model::SubscriberId) -> FormView {
    let token = crate::notify::links::sign(cx.cachet.keyring(), LinkPurpose::Unsubscribe, id);
    FormView {
        action: cx.c.href(&format!("/unsubscribe/{token}")),
        token: cx.token("unsubscribe"),
        intro: Some(cx.c.t(Msg::ManageUnsubscribeIntro).to_owned()),
        email: false,
        email_value: String::new(),
        phone: None,
        chat_url: None,
        code: false,
        components: None,
        button: cx.c.t(Msg::UnsubscribeButton),
    }
}

async fn manage_get(cx: &Ctx<'_>, token: &str) -> Answer {
    if !cx.cachet.link_is_authentic(LinkPurpose::Manage, token) {
        return Ok(cx.invalid_link(StatusCode::BAD_REQUEST));
    }
    let s = match cx
        .cachet
        .subscription_by_link(LinkPurpose::Manage, token)
        .await
    {
        Ok(s) => s,
        Err(Error::NotFound { .. }) => return Ok(cx.invalid_link(StatusCode::NOT_FOUND)),
        Err(e) => return Err(e),
    };
    let choices = cx.choices(&s.components).await?;
    Ok(cx.page_with(
        StatusCode::OK,
        Msg::ManageTitle,
        None,
        None,
        Some(manage_form(cx, token, choices)),
        vec![manage_unsubscribe_form(cx, s.id)],
    ))
}

async fn manage_post(cx: &Ctx<'_>, token: &str) -> Answer {
    if !cx.cachet.link_is_authentic(LinkPurpose::Manage, token) {
        return Ok(cx.invalid_link(StatusCode::BAD_REQUEST));
    }
    if let Some(refusal) = cx.check_form("manage") {
        return Ok(refusal);
    }
    let Ok(chosen) = cx.chosen() else {
        let choices = cx.choices(&[]).await?;
        return Ok(cx.page(
            StatusCode::BAD_REQUEST,
            Msg::ManageTitle,
            None,
            Some(cx.c.t(Msg::InvalidComponents).to_owned()),
            Some(manage_form(cx, token, choices)),
        ));
    };
    match cx
        .cachet
        .manage_subscription(cx.client, token, &chosen)
        .await
    {
        Ok(s) => {
            let choices = cx.choices(&s.components).await?;
            Ok(cx.page_with(
                StatusCode::OK,
                Msg::ManageTitle,
                Some(cx.c.t(Msg::ManageSaved).to_owned()),
                None,
                Some(manage_form(cx, token, choices)),
                vec![manage_unsubscribe_form(cx, s.id)],
            ))
        }
        Err(Error::Validation(_)) => {
            let choices = cx.choices(&[]).await?;
            Ok(cx.page(
                StatusCode::BAD_REQUEST,
                Msg::ManageTitle,
                None,
                Some(cx.c.t(Msg::InvalidComponents).to_owned()),
                Some(manage_form(cx, token, choices)),
            ))
        }
        Err(Error::NotFound { .. }) => Ok(cx.invalid_link(StatusCode::NOT_FOUND)),
        Err(e) => Err(e),
    }
}

fn unsubscribe_get(cx: &Ctx<'_>, token: &str) -> Answer {
    if !cx.cachet.link_is_authentic(LinkPurpose::Unsubscribe, token) {
        return Ok(cx.invalid_link(StatusCode::BAD_REQUEST));
    }
    let form = FormView {
        action: cx.c.href(&format!("/unsubscribe/{token}")),
        token: cx.token("unsubscribe"),
        intro: Some(cx.c.t(Msg::UnsubscribeIntro).to_owned()),
        email: false,
        email_value: String::new(),
        phone: None,
        chat_url: None,
        code: false,
        components: None,
        button: cx.c.t(Msg::UnsubscribeButton),
    };
    Ok(cx.page(
        StatusCode::OK,
        Msg::UnsubscribeTitle,
        None,
        None,
        Some(form),
    ))
}

async fn unsubscribe_post(cx: &Ctx<'_>, token: &str) -> Answer {
    if !cx.cachet.link_is_authentic(LinkPurpose::Unsubscribe, token) {
        return Ok(cx.invalid_link(StatusCode::BAD_REQUEST));
    }
    // RFC 8058: the mail provider POSTs `List-Unsubscribe=One-Click` to the header's URL,
    // without cookies or a form token; the signed URL is the proof.
    let one_click =
        cx.field("List-Unsubscribe") == Some("One-Click") && cx.field("_token").is_none();
    if !one_click && let Some(refusal) = cx.check_form("unsubscribe") {
        return Ok(refusal);
    }
    match cx.cachet.unsubscribe(cx.client, token).await {
        Ok(()) => Ok(cx.page(
            StatusCode::OK,
            Msg::UnsubscribeTitle,
            Some(cx.c.t(Msg::UnsubscribeDone).to_owned()),
            None,
            None,
        )),
        Err(Error::NotFound { .. }) => Ok(cx.invalid_link(StatusCode::BAD_REQUEST)),
        Err(e) => Err(e),
    }
}

/// The SMS providers whose inbound webhooks are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InboundProvider {
    Twilio,
    Vonage,
}

/// Answers a provider's inbound SMS webhook (`/subscribe/sms/inbound/twilio` or `/vonage`),
/// or `None` when the path is not one. Each provider can be set to call by `GET` (the
/// parameters in the query string) or by `POST` (form-encoded; Vonage also as JSON, its
/// "POST-JSON" method), and each signs the parameters whichever way they come. The request counts only when
/// its signature verifies under the configured secret ([`crate::SmsPolicy`]); otherwise 403,
/// the same for a missing secret, a missing header and a wrong signature. A verified opt-out
/// reply (`STOP` and its synonyms) deletes the SMS subscriber with the sender's number; the
/// answer is the same whether or not there was one.
pub(crate) async fn inbound_sms(cachet: &Cachet, req: &Request<Bytes>) -> Option<Response<Bytes>> {
    let provider = match req.uri().path() {
        "/subscribe/sms/inbound/twilio" => InboundProvider::Twilio,
        "/subscribe/sms/inbound/vonage" => InboundProvider::Vonage,
        _ => return None,
    };
    let forbidden = || response::plain(StatusCode::FORBIDDEN, "forbidden\n");
    let query = || {
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.uri().query().unwrap_or(""))
            .unwrap_or_default()
    };
    let params: Vec<(String, String)> = if req.method() == Method::GET {
        query()
    } else if req.method() == Method::POST {
        if provider == InboundProvider::Vonage && is_json(req) {
            // Malformed or nested JSON cannot carry a valid signature: the same refusal.
            let Some(params) = json_params(req.body()) else {
                return Some(forbidden());
            };
            params
        } else {
            crate::web::form::body(req).map_or_else(Vec::new, |f| f.pairs().to_vec())
        }
    } else {
        let mut r = response::plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, POST"));
        return Some(r);
    };
    let params = params.as_slice();
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let policy = &cachet.config().sms;
    let (from, text) = match provider {
        InboundProvider::Twilio => {
            let Some(token) = policy.twilio_auth_token.as_deref() else {
                return Some(forbidden());
            };
            let signature = req
                .headers()
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            // Twilio signs the URL it was configured with: the public URL and this path.
            let base = cachet.config().public_url.as_str().trim_end_matches('/');
            let path = req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().path(), http::uri::PathAndQuery::as_str);
            let url = format!("{base}{path}");
            // A GET's parameters are in the signed URL; only a POST's body is signed apart.
            let signed: &[(String, String)] = if req.method() == Method::GET {
                &[]
            } else {
                params
            };
            if !crate::notify::inbound_sms::verify_twilio(token, &url, signed, signature) {
                return Some(forbidden());
            }
            (field("From").map(str::to_owned), field("Body"))
        }
        InboundProvider::Vonage => {
            let Some(secret) = policy.vonage_signature_secret.as_deref() else {
                return Some(forbidden());
            };
            if crate::notify::inbound_sms::verify_vonage(secret, params, cachet.now()).is_err() {
                return Some(forbidden());
            }
            // Vonage writes the sender without the `+`.
            (
                field("msisdn").map(|n| format!("+{}", n.trim_start_matches('+'))),
                field("text"),
            )
        }
    };
    // A sender that is not a mobile number (a short code, an alphanumeric sender) has no
    // subscription to end.
    if let (Some(from), Some(text)) = (from, text)
        && let Ok(number) = crate::validate::PhoneNumber::parse(&from)
        && let Err(e) = cachet.sms_opt_out(&number, text).await
    {
        tracing::error!(error = ?crate::log::Escaped(&e), "inbound SMS opt-out failed");
        return Some(internal());
    }
    Some(match provider {
        // An empty TwiML answer: Twilio sends no reply of its own making.
        InboundProvider::Twilio => {
            let mut r = Response::new(Bytes::from_static(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>",
            ));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            r
        }
        InboundProvider::Vonage => {
            let mut r = Response::new(Bytes::new());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
    })
}

/// Whether the request says its body is JSON.
fn is_json(req: &Request<Bytes>) -> bool {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// A flat JSON object's members as parameters, as Vonage's POST-JSON webhooks send them (and
/// sign them): strings as they are, numbers and booleans as written. `None` for anything else
/// (not an object, a nested value, a repeated name).
fn json_params(body: &[u8]) -> Option<Vec<(String, String)>> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).ok()?;
    object
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vonage_json_bodies_become_parameters_and_anything_nested_is_refused() {
        let params = json_params(
            br#"{"msisdn":"447400123456","text":"STOP","timestamp":1767225600,"x":true}"#,
        )
        .unwrap();
        assert!(params.contains(&("msisdn".to_owned(), "447400123456".to_owned())));
        assert!(params.contains(&("timestamp".to_owned(), "1767225600".to_owned())));
        assert!(params.contains(&("x".to_owned(), "true".to_owned())));
        for bad in [
            &br#"{"a":{"b":1}}"#[..],
            br#"{"a":[1]}"#,
            br#"{"a":null}"#,
            b"[1]",
            b"{",
        ] {
            assert_eq!(json_params(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn routes() {
        assert!(matches!(route_of("/subscribe"), Some(Route::Subscribe)));
        assert!(matches!(
            route_of("/subscribe/verify/abc"),
            Some(Route::Verify("abc"))
        ));
        assert!(matches!(
            route_of("/unsubscribe/1.1.x"),
            Some(Route::Unsubscribe("1.1.x"))
        ));
        assert!(matches!(
            route_of("/subscribe/sms"),
            Some(Route::SubscribeSms)
        ));
        assert!(matches!(
            route_of("/subscribe/sms/confirm"),
            Some(Route::ConfirmSms)
        ));
        assert!(route_of("/subscribe/sms/other").is_none());
        assert!(matches!(
            route_of("/subscribe/chat"),
            Some(Route::SubscribeChat)
        ));
        assert!(route_of("/subscribe/chat/x").is_none());
        assert!(route_of("/subscribe/verify/").is_none());
        assert!(route_of("/subscribe/verify/a/b").is_none());
        assert!(route_of("/subscribers").is_none());
    }
}
