//! Chat rooms: Slack, Microsoft Teams, Discord, Mattermost, Google Chat and Matrix.
//!
//! [`ChatNotifier`] takes the core's platform-neutral [`ChatMessage`] (plain title and text,
//! a severity, a link to the incident) and renders the platform's own format:
//!
//! | Platform | Request | Payload |
//! |---|---|---|
//! | Slack | `POST` incoming webhook | Block Kit: `text` fallback, `header`, `section` (mrkdwn), `context` link |
//! | Mattermost | `POST` incoming webhook | Slack-compatible: `text` and an `attachments` entry with `color` |
//! | Teams | `POST` Workflows webhook | `message` with an Adaptive Card 1.4 (`TextBlock`s, `Action.OpenUrl`) |
//! | Discord | `POST` webhook `?wait=true` | `embeds` (`title`, `description`, `url`, `color`), `allowed_mentions: {"parse": []}` |
//! | Google Chat | `POST` space webhook | `cardsV2` (header, `textParagraph`, link button) |
//! | Matrix | `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}` | `m.notice` with `org.matrix.custom.html` |
//!
//! # Escaping
//!
//! The text is the status page's, but it may quote anything (a customer's message, an error
//! string), so it is escaped for the markup it lands in and can never mention a whole room:
//! Slack and Mattermost get `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` (so `<!channel>` cannot be
//! written) and a word joiner (U+2060) after every `@` (so `@channel`, `@here`, `@all` stay
//! text), Mattermost, Discord and Teams get Markdown's punctuation backslash-escaped, Discord
//! is sent `allowed_mentions: {"parse": []}`, Matrix and Google Chat get HTML-escaped text,
//! and Matrix is sent an empty `m.mentions`. Plain-text fields (Slack's `header`, Google Chat's
//! card header) take the text as it is. Titles and texts are cut to each platform's limits (with `…`).
//!
//! # Delivery
//!
//! The HTTP client is the webhook notifier's ([`WebhookConfig`]): connect and total timeouts,
//! no redirects, no environment proxy, and every address the host resolves to must be public
//! unless [`WebhookConfig::allow_private_networks`] is set (for tests). By default the URL must
//! also have the platform's shape ([`ChatPlatform::accepts`]: `hooks.slack.com` for Slack, and
//! so on), checked again at each delivery.
//!
//! 2xx is success. 408, 429, 5xx, timeouts and connection failures are transient; the wait a
//! platform asks for (`Retry-After`, Discord's `retry_after`, Matrix's `retry_after_ms`) is
//! named in the error text. Other answers are permanent, with the platform's error code
//! (Slack's `no_service`, Discord's `Unknown Webhook`, Matrix's `M_FORBIDDEN`). Error strings
//! never contain the URL's path or query (a webhook URL is a credential) nor the Matrix token.
//!
//! Matrix sends use the idempotency key, percent-encoded, as the transaction id, so a retry
//! after a lost answer is dropped by the homeserver instead of posted twice. The other
//! platforms have no idempotency mechanism for incoming webhooks.
//!
//! # Example
//!
//! ```
//! use cachet_core::notify::{ChatMessage, ChatPlatform, ChatSeverity};
//! use cachet_core::validate::HttpUrl;
//! use cachet_notify::{ChatConfig, ChatNotifier, render_chat_payload};
//!
//! let message = ChatMessage {
//!     platform: ChatPlatform::Discord,
//!     url: HttpUrl::parse("https://discord.com/api/webhooks/123/token").unwrap(),
//!     room: None,
//!     token: None,
//!     title: "API outage".into(),
//!     text: "Requests fail for @everyone".into(),
//!     link: Some(HttpUrl::parse("https://status.example.com/incidents/7").unwrap()),
//!     more_links: Vec::new(),
//!     severity: ChatSeverity::Outage,
//!     idempotency_key: "cachet.7.chat-1.chat".into(),
//! };
//! let payload = render_chat_payload(&message);
//! assert_eq!(payload["embeds"][0]["description"], "Requests fail for \\@everyone");
//! assert_eq!(payload["allowed_mentions"]["parse"], serde_json::json!([]));
//!
//! // Delivering (`notifier.deliver(&Message::Chat(message))`) needs the network.
//! let notifier = ChatNotifier::new(ChatConfig::default()).unwrap();
//! assert!(notifier.config().check_platform_hosts);
//! ```

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use cachet_core::notify::{
    Channel, ChatMessage, ChatPlatform, ChatSeverity, DeliveryError, Message, Notifier,
};
use cachet_core::validate::HttpUrl;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use crate::http::HttpSetupError;
use crate::http::classify_error;
use crate::webhook::{WebhookConfig, check_url, http_client};

/// The `User-Agent` chat requests carry.
pub const CHAT_USER_AGENT: &str = concat!("cachet-rs/", env!("CARGO_PKG_VERSION"), " chat");

/// How much of an answer is read: enough for every platform's error object.
const MAX_ANSWER_BYTES: usize = 8 * 1024;

/// Settings for [`ChatNotifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatConfig {
    /// The HTTP client's settings, the same as webhooks': timeouts, and the opt-ins for
    /// private networks and plain http (both off by default; meant for tests).
    pub http: WebhookConfig,
    /// Refuse a URL that does not have its platform's shape ([`ChatPlatform::accepts`]). On
    /// by default; tests against a local server turn it off.
    pub check_platform_hosts: bool,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            http: WebhookConfig::default(),
            check_platform_hosts: true,
        }
    }
}

impl ChatConfig {
    /// Sets [`ChatConfig::http`].
    #[must_use]
    pub fn http(mut self, http: WebhookConfig) -> Self {
        self.http = http;
        self
    }

    /// Sets [`ChatConfig::check_platform_hosts`].
    #[must_use]
    pub fn check_platform_hosts(mut self, check: bool) -> Self {
        self.check_platform_hosts = check;
        self
    }
}

/// Delivers [`ChatMessage`]s in each platform's native format: the payloads, the escaping and
/// the classification of answers are in the [module docs](crate::chat).
#[derive(Clone)]
pub struct ChatNotifier {
    client: reqwest::Client,
    config: ChatConfig,
}

impl fmt::Debug for ChatNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatNotifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One rendered request.
struct ChatRequest {
    method: Method,
    url: Url,
    content_type: &'static str,
    bearer: Option<String>,
    body: Vec<u8>,
}

impl fmt::Debug for ChatRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's path and query and the bearer token are credentials.
        f.debug_struct("ChatRequest")
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("content_type", &self.content_type)
            .field("bearer", &self.bearer.as_ref().map(|_| "[redacted]"))
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl ChatNotifier {
    /// Builds a notifier with its own connection pool.
    ///
    /// # Errors
    ///
    /// [`HttpSetupError`] when TLS or the HTTP client cannot be initialised.
    pub fn new(config: ChatConfig) -> Result<Self, HttpSetupError> {
        let client = http_client(&config.http, CHAT_USER_AGENT)?;
        Ok(Self { client, config })
    }

    /// The configuration this notifier runs with.
    #[must_use]
    pub fn config(&self) -> &ChatConfig {
        &self.config
    }

    async fn send(&self, message: &ChatMessage) -> Result<(), DeliveryError> {
        let platform = message.platform;
        if self.config.check_platform_hosts && !platform.accepts(&message.url) {
            return Err(DeliveryError::Permanent(format!(
                "chat URL is not a {platform} {}",
                if platform == ChatPlatform::Matrix {
                    "homeserver URL (https)"
                } else {
                    "incoming-webhook URL"
                }
            )));
        }
        let request = build_request(message)?;
        check_url(&self.config.http, &request.url, "chat")?;
        let mut builder = self
            .client
            .request(request.method, request.url)
            .header(CONTENT_TYPE, request.content_type)
            .body(request.body);
        if let Some(token) = request.bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                DeliveryError::Permanent("matrix access token is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| classify_error(&e, "chat"))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = read_limited(response).await;
        classify_answer(platform, status, retry_after, &body, &secrets_of(message))
    }
}

#[async_trait]
impl Notifier for ChatNotifier {
    fn channel(&self) -> Channel {
        Channel::Chat
    }

    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message {
            Message::Chat(chat) => self.send(chat).await,
            _ => Err(DeliveryError::Permanent(
                "the chat notifier only delivers chat messages".into(),
            )),
        }
    }
}

/// Reads at most [`MAX_ANSWER_BYTES`] of the answer; a broken body reads as what arrived.
async fn read_limited(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    body
}

/// The parts of a message that must never appear in an error string: the webhook URL's path
/// and query (and their longer pieces, in case a platform echoes one back) and the token.
fn secrets_of(message: &ChatMessage) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(url) = message.url.parsed() {
        let path = url.path();
        if path.len() > 1 {
            secrets.push(path.to_owned());
        }
        if let Some(query) = url.query() {
            secrets.push(query.to_owned());
        }
        secrets.extend(url.path_segments().into_iter().flatten().map(str::to_owned));
        secrets.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
    }
    secrets.extend(message.token.clone());
    // Short pieces (`api`, `v1`, `services`) are not secret and would redact common words.
    secrets.retain(|s| s.len() >= 8);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// Builds the request for `message`: method, URL, headers and the serialized payload.
fn build_request(message: &ChatMessage) -> Result<ChatRequest, DeliveryError> {
    let mut url = Url::parse(message.url.as_str())
        .map_err(|_| DeliveryError::Permanent("chat URL is not a valid URL".into()))?;
    let body = serde_json::to_vec(&render_chat_payload(message))
        .map_err(|_| DeliveryError::Permanent("chat payload could not be serialized".into()))?;
    let mut method = Method::POST;
    let mut content_type = "application/json";
    let mut bearer = None;
    match message.platform {
        ChatPlatform::Discord => {
            // Without `wait=true` Discord answers 204 before validating the message, so a
            // refused one would count as delivered.
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "wait")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("wait", "true");
        }
        ChatPlatform::GoogleChat => content_type = "application/json; charset=UTF-8",
        ChatPlatform::Matrix => {
            let room = message.room.as_deref().filter(|r| !r.is_empty());
            let token = message.token.as_deref().filter(|t| !t.is_empty());
            let (Some(room), Some(token)) = (room, token) else {
                return Err(DeliveryError::Permanent(
                    "a matrix message needs a room id and an access token".into(),
                ));
            };
            let path = format!(
                "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
                url.path().trim_end_matches('/'),
                utf8_percent_encode(room, PATH_PART),
                utf8_percent_encode(&message.idempotency_key, PATH_PART),
            );
            url.set_path(&path);
            url.set_query(None);
            url.set_fragment(None);
            method = Method::PUT;
            bearer = Some(token.to_owned());
        }
        _ => {}
    }
    Ok(ChatRequest {
        method,
        url,
        content_type,
        bearer,
        body,
    })
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in a path part, so a
/// room id (`!abc:example.org`) or a key cannot add a segment or a query.
const PATH_PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The JSON body `message` is sent with, in its platform's native format (for Matrix, the
/// `m.room.message` event content).
#[must_use]
pub fn render_chat_payload(message: &ChatMessage) -> Value {
    match message.platform {
        ChatPlatform::Slack => slack(message),
        ChatPlatform::Mattermost => mattermost(message),
        ChatPlatform::Teams => teams(message),
        ChatPlatform::Discord => discord(message),
        ChatPlatform::GoogleChat => google_chat(message),
        ChatPlatform::Matrix => matrix(message),
        // `ChatPlatform` is non-exhaustive; a platform added to the core without a renderer
        // here gets the most widely understood shape.
        _ => {
            let mut text = format!(
                "{}: {}\n{}",
                label(message.severity),
                message.title,
                message.text
            );
            for (caption, url) in links(message) {
                text.push_str(&format!("\n{caption}: {url}"));
            }
            json!({ "text": text })
        }
    }
}

/// The severity's label, shown before the title.
fn label(severity: ChatSeverity) -> &'static str {
    match severity {
        ChatSeverity::Resolved => "Resolved",
        ChatSeverity::Degraded => "Degraded",
        ChatSeverity::Outage => "Outage",
        ChatSeverity::Maintenance => "Maintenance",
        _ => "Update",
    }
}

/// The severity's colour as `0xRRGGBB`.
fn color(severity: ChatSeverity) -> u32 {
    match severity {
        ChatSeverity::Resolved => 0x002F_CC66,
        ChatSeverity::Degraded => 0x00F1_C40F,
        ChatSeverity::Outage => 0x00E7_4C3C,
        ChatSeverity::Maintenance => 0x009B_59B6,
        _ => 0x0034_98DB,
    }
}

fn color_hex(severity: ChatSeverity) -> String {
    format!("#{:06X}", color(severity))
}

/// The link's caption on every platform.
const VIEW_INCIDENT: &str = "View incident";

/// Every link of a message with its caption: the incident's page, then the others.
fn links(m: &ChatMessage) -> impl Iterator<Item = (&str, &HttpUrl)> {
    m.link
        .iter()
        .map(|l| (VIEW_INCIDENT, l))
        .chain(m.more_links.iter().map(|(c, l)| (c.as_str(), l)))
}

/// Markdown links (`[caption](url)`), one a line after a blank line, the caption escaped by
/// `escape` and the URL's parentheses percent-encoded so it cannot end the link early.
fn markdown_links(
    links: &[(String, HttpUrl)],
    escape: impl Fn(char, &mut String) + Copy,
) -> String {
    let mut out = String::new();
    for (i, (caption, url)) in links.iter().enumerate() {
        out.push_str(if i == 0 { "\n\n" } else { "\n" });
        let url = url.as_str().replace('(', "%28").replace(')', "%29");
        out.push_str(&format!(
            "[{}]({url})",
            escape_limited(caption, 200, escape)
        ));
    }
    out
}

/// Escapes `s` char by char through `escape`, cutting it (with `…`) so the result has at most
/// `max` characters; an escape sequence is never cut in half.
fn escape_limited(s: &str, max: usize, escape: impl Fn(char, &mut String)) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut piece = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        piece.clear();
        escape(c, &mut piece);
        let n = piece.chars().count();
        // Keep room for the ellipsis unless this is the last character.
        let reserve = usize::from(chars.peek().is_some());
        if count + n + reserve > max {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        count += n;
    }
    out
}

/// No escaping, only the length limit.
fn plain(s: &str, max: usize) -> String {
    escape_limited(s, max, |c, out| out.push(c))
}

/// Slack's control characters as entities (what Slack documents), and a word joiner after
/// `@` so no `@channel`/`@here` can be formed even where Slack links names.
fn slack_char(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '@' => out.push_str("@\u{2060}"),
        c => out.push(c),
    }
}

/// Slack's escaping plus Mattermost Markdown's punctuation backslash-escaped.
fn mattermost_char(c: char, out: &mut String) {
    match c {
        '\\' | '`' | '*' | '_' | '~' | '#' | '[' | ']' | '(' | ')' | '!' | '|' | ':' => {
            out.push('\\');
            out.push(c);
        }
        c => slack_char(c, out),
    }
}

/// Discord Markdown's punctuation backslash-escaped (including `<` of `<@id>` mentions and
/// `@` of `@everyone`; `allowed_mentions` keeps them from pinging anyway).
fn discord_char(c: char, out: &mut String) {
    if matches!(
        c,
        '\\' | '`' | '*' | '_' | '~' | '|' | '>' | '<' | '#' | '-' | '[' | ']' | '(' | ')' | '@'
    ) {
        out.push('\\');
    }
    out.push(c);
}

/// Adaptive Cards' Markdown subset: emphasis, code and link punctuation backslash-escaped,
/// and a line break doubled (a single `\n` is no break in a `TextBlock`).
fn teams_char(c: char, out: &mut String) {
    match c {
        '\\' | '*' | '_' | '~' | '`' | '[' | ']' | '(' | ')' => {
            out.push('\\');
            out.push(c);
        }
        '\n' => out.push_str("\n\n"),
        c => out.push(c),
    }
}

/// HTML text: the five special characters as entities, line breaks as `<br>`.
fn html_char(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        '\n' => out.push_str("<br>"),
        c => out.push(c),
    }
}

fn slack(m: &ChatMessage) -> Value {
    let label = label(m.severity);
    let mut blocks = Vec::new();
    if !m.title.is_empty() {
        // `plain_text` is never parsed for mentions or markup: the title goes in as it is.
        blocks.push(json!({
            "type": "header",
            "text": { "type": "plain_text", "text": plain(&m.title, 150), "emoji": true },
        }));
    }
    let heading = format!("*{label}*");
    let section = if m.text.is_empty() {
        heading
    } else {
        let room = 3000 - heading.chars().count() - 1;
        format!("{heading}\n{}", escape_limited(&m.text, room, slack_char))
    };
    blocks.push(json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": section },
    }));
    // `HttpUrl` has no `<`, `>` or `|`, so a link cannot break out of `<url|caption>`; a
    // caption is escaped and loses any `|`.
    let elements: Vec<Value> = links(m)
        .map(|(caption, url)| {
            let caption = escape_limited(&caption.replace('|', " "), 200, slack_char);
            json!({ "type": "mrkdwn", "text": format!("<{url}|{caption}>") })
        })
        .collect();
    if !elements.is_empty() {
        blocks.push(json!({ "type": "context", "elements": elements }));
    }
    json!({
        // The notification and screen-reader text when blocks are shown.
        "text": format!("{label}: {}", escape_limited(&m.title, 3000, slack_char)),
        "blocks": blocks,
    })
}

fn mattermost(m: &ChatMessage) -> Value {
    let label = label(m.severity);
    let title = escape_limited(&m.title, 1000, mattermost_char);
    let mut attachment = json!({
        "fallback": format!("{label}: {}", escape_limited(&m.title, 1000, slack_char)),
        "color": color_hex(m.severity),
        "title": title,
        "text": escape_limited(&m.text, 4000, mattermost_char),
    });
    if let Some(link) = &m.link {
        attachment["title_link"] = json!(link.as_str());
    }
    if !m.more_links.is_empty() {
        let tail = markdown_links(&m.more_links, mattermost_char);
        let text = escape_limited(
            &m.text,
            4000 - tail.chars().count().min(4000),
            mattermost_char,
        );
        attachment["text"] = json!(format!("{text}{tail}"));
    }
    json!({
        "text": format!("**{label}:** {title}"),
        "attachments": [attachment],
    })
}

fn teams(m: &ChatMessage) -> Value {
    let color = match m.severity {
        ChatSeverity::Resolved => "Good",
        ChatSeverity::Degraded => "Warning",
        ChatSeverity::Outage => "Attention",
        _ => "Accent",
    };
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": label(m.severity),
                "weight": "Bolder",
                "color": color,
                "size": "Small",
            },
            {
                "type": "TextBlock",
                "text": escape_limited(&m.title, 1000, teams_char),
                "weight": "Bolder",
                "size": "Large",
                "wrap": true,
            },
            {
                "type": "TextBlock",
                "text": escape_limited(&m.text, 4000, teams_char),
                "wrap": true,
            },
        ],
    });
    let actions: Vec<Value> = links(m)
        .map(|(caption, url)| {
            json!({ "type": "Action.OpenUrl", "title": plain(caption, 200), "url": url.as_str() })
        })
        .collect();
    if !actions.is_empty() {
        card["actions"] = json!(actions);
    }
    json!({
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card,
            },
        ],
    })
}

fn discord(m: &ChatMessage) -> Value {
    let mut embed = json!({
        "title": escape_limited(&format!("{}: {}", label(m.severity), m.title), 256, discord_char),
        "description": escape_limited(&m.text, 4096, discord_char),
        "color": color(m.severity),
    });
    if let Some(link) = &m.link {
        embed["url"] = json!(link.as_str());
    }
    if !m.more_links.is_empty() {
        // Masked links after the text; the description keeps its limit.
        let tail = markdown_links(&m.more_links, discord_char);
        let text = escape_limited(&m.text, 4096 - tail.chars().count().min(4096), discord_char);
        embed["description"] = json!(format!("{text}{tail}"));
    }
    json!({
        "content": "",
        "embeds": [embed],
        // Nothing in the message may ping: not @everyone, not a role, not a user.
        "allowed_mentions": { "parse": [] },
    })
}

fn google_chat(m: &ChatMessage) -> Value {
    let mut widgets = vec![json!({
        "textParagraph": { "text": escape_limited(&m.text, 4000, html_char) },
    })];
    let buttons: Vec<Value> = links(m)
        .map(|(caption, url)| {
            json!({ "text": plain(caption, 200), "onClick": { "openLink": { "url": url.as_str() } } })
        })
        .collect();
    if !buttons.is_empty() {
        widgets.push(json!({ "buttonList": { "buttons": buttons } }));
    }
    // No top-level `text`: Google Chat would read `<users/all>` in it as a mention of everyone.
    json!({
        "cardsV2": [
            {
                "cardId": "cachet-status",
                "card": {
                    "header": {
                        "title": plain(&m.title, 200),
                        "subtitle": label(m.severity),
                    },
                    "sections": [ { "widgets": widgets } ],
                },
            },
        ],
    })
}

fn matrix(m: &ChatMessage) -> Value {
    let label = label(m.severity);
    let mut body = format!(
        "{label}: {}\n\n{}",
        plain(&m.title, 1000),
        plain(&m.text, 8000)
    );
    let mut html = format!(
        "<strong>{label}: {}</strong><br>{}",
        escape_limited(&m.title, 4000, html_char),
        escape_limited(&m.text, 32000, html_char),
    );
    for (i, (caption, link)) in links(m).enumerate() {
        body.push_str(if i == 0 { "\n\n" } else { "\n" });
        body.push_str(&format!("{}: {link}", plain(caption, 200)));
        // `HttpUrl` has no quotes or angle brackets; `&` in a query is escaped here.
        let href = escape_limited(link.as_str(), usize::MAX, html_char);
        let caption = escape_limited(caption, 200, html_char);
        html.push_str(&format!("<br><a href=\"{href}\">{caption}</a>"));
    }
    json!({
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": html,
        // Intentional mentions: an empty set, so `@room` in the text pings nobody.
        "m.mentions": {},
    })
}

/// Turns a platform's answer into the delivery's outcome.
fn classify_answer(
    platform: ChatPlatform,
    status: StatusCode,
    retry_after_header: Option<Duration>,
    body: &[u8],
    secrets: &[String],
) -> Result<(), DeliveryError> {
    if status.is_success() {
        return Ok(());
    }
    let code = status.as_u16();
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k));
    let detail =
        match platform {
            ChatPlatform::Slack => slack_code(body),
            ChatPlatform::Mattermost => field("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| slack_code(body)),
            ChatPlatform::Discord => field("message").and_then(Value::as_str).map(|message| {
                match field("code").and_then(Value::as_u64) {
                    Some(c) if c != 0 => format!("{message}, code {c}"),
                    _ => message.to_owned(),
                }
            }),
            ChatPlatform::Matrix => field("errcode").and_then(Value::as_str).map(|errcode| {
                match field("error").and_then(Value::as_str) {
                    Some(error) => format!("{errcode}: {error}"),
                    None => errcode.to_owned(),
                }
            }),
            // Google's `{"error": {"code", "message", "status"}}` and Azure Logic Apps'
            // `{"error": {"code", "message"}}`: the status or code names the problem.
            _ => field("error").and_then(|e| {
                e.get("status")
                    .or_else(|| e.get("code"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
        };
    let detail = detail
        .map(|d| format!(" ({})", sanitize(&d, secrets)))
        .unwrap_or_default();
    let retry_after = match platform {
        // Discord's body has the precise wait (seconds, fractional); Matrix's milliseconds.
        ChatPlatform::Discord => field("retry_after")
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64),
        ChatPlatform::Matrix => field("retry_after_ms")
            .and_then(Value::as_u64)
            .map(Duration::from_millis),
        _ => None,
    }
    .or(retry_after_header);
    let name = platform.as_str();
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        let wait = retry_after
            .map(|d| format!("; retry after {}", format_wait(d)))
            .unwrap_or_default();
        let what = if status == StatusCode::TOO_MANY_REQUESTS {
            " rate limited"
        } else {
            ""
        };
        Err(DeliveryError::Transient(format!(
            "{name} answered HTTP {code}{what}{detail}{wait}"
        )))
    } else if status.is_redirection() {
        Err(DeliveryError::Permanent(format!(
            "{name} answered HTTP {code} (a redirect; redirects are not followed)"
        )))
    } else {
        Err(DeliveryError::Permanent(format!(
            "{name} answered HTTP {code}{detail}"
        )))
    }
}

/// Slack answers errors as a bare code in the body (`no_service`, `invalid_token`).
fn slack_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    (!text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    .then(|| text.to_owned())
}

/// A peer's text made fit for an error string: control characters dropped, at most 200
/// characters, and every secret of the message cut out.
fn sanitize(text: &str, secrets: &[String]) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    for secret in secrets {
        if clean.contains(secret.as_str()) {
            clean = clean.replace(secret.as_str(), "[redacted]");
        }
    }
    // A secret cut in half by the limit above is still a secret's prefix: drop the tail that
    // could be one.
    if let Some(cut) = secrets
        .iter()
        .filter_map(|s| {
            (1..s.len())
                .rev()
                .filter(|&n| s.is_char_boundary(n) && n >= 8)
                .find(|&n| clean.ends_with(&s[..n]))
                .map(|n| clean.len() - n)
        })
        .min()
    {
        clean.truncate(cut);
        clean.push_str("[redacted]");
    }
    clean
}

/// `30 s`, `1.5 s`, `0.25 s`.
fn format_wait(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        let frac = format!("{:03}", ms % 1000);
        format!("{}.{} s", ms / 1000, frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const HOSTILE: &str = "<!channel> @everyone <script>alert(1)</script> *bold* _it_ [x](https://evil.example) & `c`";

    #[test]
    fn more_links_are_rendered_as_each_platform_links_with_their_captions() {
        let manage = HttpUrl::parse("https://status.example.com/subscribe/manage/1.a_b-c").unwrap();
        let odd = HttpUrl::parse("https://status.example.com/x_(y)").unwrap();
        let with_links = |platform, url| ChatMessage {
            more_links: vec![
                ("Manage *it*".to_owned(), manage.clone()),
                ("Odd|one".to_owned(), odd.clone()),
            ],
            ..message(platform, url)
        };
        let slack = render_chat_payload(&with_links(
            ChatPlatform::Slack,
            "https://hooks.slack.com/services/T/B/x",
        ));
        let elements = &slack["blocks"][2]["elements"];
        assert_eq!(
            elements[1]["text"],
            "<https://status.example.com/subscribe/manage/1.a_b-c|Manage *it*>"
        );
        assert_eq!(
            elements[2]["text"],
            "<https://status.example.com/x_(y)|Odd one>"
        );
        let mm = render_chat_payload(&with_links(
            ChatPlatform::Mattermost,
            "https://chat.example.org/hooks/x",
        ));
        let text = mm["attachments"][0]["text"].as_str().unwrap();
        // The URL is not escaped (a working link); the caption is, parentheses are encoded.
        assert!(
            text.ends_with(
                "\n\n[Manage \\*it\\*](https://status.example.com/subscribe/manage/1.a_b-c)\n[Odd\\|one](https://status.example.com/x_%28y%29)"
            ),
            "{text}"
        );
        let discord = render_chat_payload(&with_links(
            ChatPlatform::Discord,
            "https://discord.com/api/webhooks/1/t",
        ));
        let description = discord["embeds"][0]["description"].as_str().unwrap();
        assert!(
            description
                .contains("[Manage \\*it\\*](https://status.example.com/subscribe/manage/1.a_b-c)"),
            "{description}"
        );
        let teams = render_chat_payload(&with_links(
            ChatPlatform::Teams,
            "https://x.webhook.office.com/a",
        ));
        let actions = &teams["attachments"][0]["content"]["actions"];
        assert_eq!(actions.as_array().unwrap().len(), 3);
        assert_eq!(actions[1]["title"], "Manage *it*");
        assert_eq!(actions[1]["url"], manage.as_str());
        let google = render_chat_payload(&with_links(
            ChatPlatform::GoogleChat,
            "https://chat.googleapis.com/v1/spaces/A/messages",
        ));
        let buttons =
            &google["cardsV2"][0]["card"]["sections"][0]["widgets"][1]["buttonList"]["buttons"];
        assert_eq!(buttons[2]["onClick"]["openLink"]["url"], odd.as_str());
    }

    fn message(platform: ChatPlatform, url: &str) -> ChatMessage {
        ChatMessage {
            platform,
            url: HttpUrl::parse(url).unwrap(),
            room: None,
            token: None,
            title: "API <down> & @here".into(),
            text: HOSTILE.into(),
            link: Some(HttpUrl::parse("https://status.example.com/incidents/7?a=1&b=2").unwrap()),
            more_links: Vec::new(),
            severity: ChatSeverity::Outage,
            idempotency_key: "cachet.7.chat-1.chat".into(),
        }
    }

    #[test]
    fn slack_block_kit() {
        let m = message(
            ChatPlatform::Slack,
            "https://hooks.slack.com/services/T/B/x",
        );
        let expected = json!({
            "text": "Outage: API &lt;down&gt; &amp; @\u{2060}here",
            "blocks": [
                { "type": "header", "text": { "type": "plain_text", "text": "API <down> & @here", "emoji": true } },
                { "type": "section", "text": { "type": "mrkdwn", "text": "*Outage*\n&lt;!channel&gt; @\u{2060}everyone &lt;script&gt;alert(1)&lt;/script&gt; *bold* _it_ [x](https://evil.example) &amp; `c`" } },
                { "type": "context", "elements": [ { "type": "mrkdwn", "text": "<https://status.example.com/incidents/7?a=1&b=2|View incident>" } ] },
            ],
        });
        assert_eq!(render_chat_payload(&m), expected);
    }

    #[test]
    fn mattermost_slack_compatible() {
        let m = message(ChatPlatform::Mattermost, "https://chat.example.org/hooks/x");
        let expected = json!({
            "text": "**Outage:** API &lt;down&gt; &amp; @\u{2060}here",
            "attachments": [{
                "fallback": "Outage: API &lt;down&gt; &amp; @\u{2060}here",
                "color": "#E74C3C",
                "title": "API &lt;down&gt; &amp; @\u{2060}here",
                "title_link": "https://status.example.com/incidents/7?a=1&b=2",
                "text": "&lt;\\!channel&gt; @\u{2060}everyone &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*bold\\* \\_it\\_ \\[x\\]\\(https\\://evil.example\\) &amp; \\`c\\`",
            }],
        });
        assert_eq!(render_chat_payload(&m), expected);
    }

    #[test]
    fn teams_adaptive_card() {
        let mut m = message(ChatPlatform::Teams, "https://x.logic.azure.com/workflows/1");
        m.severity = ChatSeverity::Resolved;
        let expected = json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        { "type": "TextBlock", "text": "Resolved", "weight": "Bolder", "color": "Good", "size": "Small" },
                        { "type": "TextBlock", "text": "API <down> & @here", "weight": "Bolder", "size": "Large", "wrap": true },
                        { "type": "TextBlock", "text": "<!channel> @everyone <script>alert\\(1\\)</script> \\*bold\\* \\_it\\_ \\[x\\]\\(https://evil.example\\) & \\`c\\`", "wrap": true },
                    ],
                    "actions": [
                        { "type": "Action.OpenUrl", "title": "View incident", "url": "https://status.example.com/incidents/7?a=1&b=2" },
                    ],
                },
            }],
        });
        assert_eq!(render_chat_payload(&m), expected);
    }

    #[test]
    fn discord_embed_without_mentions() {
        let mut m = message(
            ChatPlatform::Discord,
            "https://discord.com/api/webhooks/1/t",
        );
        m.severity = ChatSeverity::Degraded;
        m.link = None;
        let expected = json!({
            "content": "",
            "embeds": [{
                "title": "Degraded: API \\<down\\> & \\@here",
                "description": "\\<!channel\\> \\@everyone \\<script\\>alert\\(1\\)\\</script\\> \\*bold\\* \\_it\\_ \\[x\\]\\(https://evil.example\\) & \\`c\\`",
                "color": 0xF1C40F,
            }],
            "allowed_mentions": { "parse": [] },
        });
        assert_eq!(render_chat_payload(&m), expected);
    }

    #[test]
    fn google_chat_card() {
        let mut m = message(
            ChatPlatform::GoogleChat,
            "https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t",
        );
        m.severity = ChatSeverity::Maintenance;
        m.text = "a <users/all> & \"b\"\nnext".into();
        let expected = json!({
            "cardsV2": [{
                "cardId": "cachet-status",
                "card": {
                    "header": { "title": "API <down> & @here", "subtitle": "Maintenance" },
                    "sections": [{ "widgets": [
                        { "textParagraph": { "text": "a &lt;users/all&gt; &amp; &quot;b&quot;<br>next" } },
                        { "buttonList": { "buttons": [ {
                            "text": "View incident",
                            "onClick": { "openLink": { "url": "https://status.example.com/incidents/7?a=1&b=2" } },
                        } ] } },
                    ] }],
                },
            }],
        });
        assert_eq!(render_chat_payload(&m), expected);
    }

    #[test]
    fn matrix_notice_with_html() {
        let mut m = message(ChatPlatform::Matrix, "https://matrix.example.org");
        m.severity = ChatSeverity::Info;
        m.text = "@room <b>x</b>\nline 2".into();
        let expected = json!({
            "msgtype": "m.notice",
            "body": "Update: API <down> & @here\n\n@room <b>x</b>\nline 2\n\nView incident: https://status.example.com/incidents/7?a=1&b=2",
            "format": "org.matrix.custom.html",
            "formatted_body": "<strong>Update: API &lt;down&gt; &amp; @here</strong><br>@room &lt;b&gt;x&lt;/b&gt;<br>line 2<br><a href=\"https://status.example.com/incidents/7?a=1&amp;b=2\">View incident</a>",
            "m.mentions": {},
        });
        assert_eq!(render_chat_payload(&m), expected);
    }

    #[test]
    fn matrix_request_path_and_auth() {
        let mut m = message(ChatPlatform::Matrix, "https://matrix.example.org/base/");
        m.room = Some("!abc:example.org".into());
        m.token = Some("syt_token".into());
        m.idempotency_key = "cachet.7.chat/1 x".into();
        let r = build_request(&m).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(
            r.url.as_str(),
            "https://matrix.example.org/base/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/cachet.7.chat%2F1%20x"
        );
        assert_eq!(r.bearer.as_deref(), Some("syt_token"));
        m.token = None;
        assert!(!build_request(&m).unwrap_err().is_transient());
    }

    #[test]
    fn discord_url_gets_wait_true_once() {
        let m = message(
            ChatPlatform::Discord,
            "https://discord.com/api/webhooks/1/t?thread_id=9&wait=false",
        );
        let r = build_request(&m).unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://discord.com/api/webhooks/1/t?thread_id=9&wait=true"
        );
    }

    #[test]
    fn limits_cut_without_splitting_an_escape() {
        assert_eq!(escape_limited("abc", 3, slack_char), "abc");
        assert_eq!(escape_limited("abcd", 3, slack_char), "ab…");
        // `&amp;` would need 5 of the 4 left: cut before it, never inside it.
        assert_eq!(escape_limited("a&b", 5, slack_char), "a…");
        let long = "x".repeat(5000);
        let m = ChatMessage {
            title: long.clone(),
            text: long,
            ..message(
                ChatPlatform::Slack,
                "https://hooks.slack.com/services/T/B/x",
            )
        };
        let p = render_chat_payload(&m);
        let header = p["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), 150);
        assert!(header.ends_with('…'));
        let section = p["blocks"][1]["text"]["text"].as_str().unwrap();
        assert_eq!(section.chars().count(), 3000);
    }

    #[test]
    fn answers_classified_with_details_and_waits() {
        let s = |c| StatusCode::from_u16(c).unwrap();
        let none: &[String] = &[];
        let e = classify_answer(ChatPlatform::Slack, s(404), None, b"no_service", none);
        assert_eq!(
            e,
            Err(DeliveryError::Permanent(
                "slack answered HTTP 404 (no_service)".into()
            ))
        );
        let e = classify_answer(
            ChatPlatform::Slack,
            s(429),
            Some(Duration::from_secs(30)),
            b"",
            none,
        );
        assert_eq!(
            e,
            Err(DeliveryError::Transient(
                "slack answered HTTP 429 rate limited; retry after 30 s".into()
            ))
        );
        let e = classify_answer(
            ChatPlatform::Discord,
            s(429),
            Some(Duration::from_secs(1)),
            br#"{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}"#,
            none,
        );
        assert_eq!(
            e,
            Err(DeliveryError::Transient(
                "discord answered HTTP 429 rate limited (You are being rate limited.); retry after 0.25 s".into()
            ))
        );
        let e = classify_answer(
            ChatPlatform::Matrix,
            s(403),
            None,
            br#"{"errcode":"M_FORBIDDEN","error":"not in room"}"#,
            none,
        );
        assert_eq!(
            e,
            Err(DeliveryError::Permanent(
                "matrix answered HTTP 403 (M_FORBIDDEN: not in room)".into()
            ))
        );
        assert!(classify_answer(ChatPlatform::Teams, s(202), None, b"", none).is_ok());
        assert!(
            classify_answer(ChatPlatform::Teams, s(502), None, b"", none)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            !classify_answer(ChatPlatform::Teams, s(302), None, b"", none)
                .unwrap_err()
                .is_transient()
        );
        assert_eq!(format_wait(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn secrets_are_cut_out_of_peer_text() {
        let m = message(
            ChatPlatform::Slack,
            "https://hooks.slack.com/services/T0000/B0000/XXXXSECRETXXXX",
        );
        let secrets = secrets_of(&m);
        assert_eq!(
            sanitize(
                "bad hook /services/T0000/B0000/XXXXSECRETXXXX here",
                &secrets
            ),
            "bad hook [redacted] here"
        );
        assert_eq!(
            sanitize("token XXXXSECRETXXXX", &secrets),
            "token [redacted]"
        );
        let cut = format!("{}XXXXSECRETX", "a".repeat(189));
        let clean = sanitize(&format!("{cut}XXX"), &secrets);
        assert!(!clean.contains("SECRET"), "{clean}");
        assert_eq!(sanitize("line\nbreak", &secrets), "line break");
    }
}
