//! Chat messages: platform-neutral content for a chat room, which the notifier renders in the
//! platform's own format (Slack Block Kit, a Teams Adaptive Card, a Discord embed, ...).
//!
//! The core fills a [`ChatMessage`] with plain text; escaping for each platform's markup is
//! the notifier's job, because only it knows which markup the text lands in.
//!
//! ```
//! use cachet_core::notify::{ChatPlatform, Channel, ChatMessage, ChatSeverity, Message};
//! use cachet_core::validate::HttpUrl;
//!
//! let url = HttpUrl::parse("https://hooks.slack.com/services/T000/B000/XXXX").unwrap();
//! assert!(ChatPlatform::Slack.accepts(&url));
//! assert!(!ChatPlatform::Discord.accepts(&url));
//!
//! let message = Message::Chat(ChatMessage {
//!     platform: ChatPlatform::parse("slack").unwrap(),
//!     url,
//!     room: None,
//!     token: None,
//!     title: "API outage".into(),
//!     text: "Requests to the API fail.".into(),
//!     link: Some(HttpUrl::parse("https://status.example.com/incidents/7").unwrap()),
//!     more_links: Vec::new(),
//!     severity: ChatSeverity::Outage,
//!     idempotency_key: "cachet.7.chat-1.chat".into(),
//! });
//! assert_eq!(message.channel(), Channel::Chat);
//! assert_eq!(message.channel().as_str(), "chat");
//! ```

use std::fmt;

use crate::validate::HttpUrl;

/// A chat platform: decides the wire format and the URL a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChatPlatform {
    /// Slack incoming webhook (`https://hooks.slack.com/services/...`), Block Kit payload.
    Slack,
    /// Microsoft Teams Workflows incoming webhook (Power Automate), Adaptive Card payload.
    Teams,
    /// Discord channel webhook (`https://discord.com/api/webhooks/{id}/{token}`), embeds.
    Discord,
    /// Mattermost incoming webhook (self-hosted), Slack-compatible payload.
    Mattermost,
    /// Google Chat space webhook (`https://chat.googleapis.com/v1/spaces/...`), card payload.
    GoogleChat,
    /// Matrix room through the client-server API of a (self-hosted) homeserver.
    Matrix,
}

impl ChatPlatform {
    /// Every platform, in a stable order.
    pub const ALL: [ChatPlatform; 6] = [
        ChatPlatform::Slack,
        ChatPlatform::Teams,
        ChatPlatform::Discord,
        ChatPlatform::Mattermost,
        ChatPlatform::GoogleChat,
        ChatPlatform::Matrix,
    ];

    /// The stored name (`slack`, `teams`, `discord`, `mattermost`, `google_chat`, `matrix`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ChatPlatform::Slack => "slack",
            ChatPlatform::Teams => "teams",
            ChatPlatform::Discord => "discord",
            ChatPlatform::Mattermost => "mattermost",
            ChatPlatform::GoogleChat => "google_chat",
            ChatPlatform::Matrix => "matrix",
        }
    }

    /// The platform of a stored name ([`ChatPlatform::as_str`]); exact, lowercase.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether `url` has the shape of this platform's incoming-webhook URL (or, for Matrix,
    /// of a homeserver base URL).
    ///
    /// Always `https`, and for the hosted platforms on the default port. Slack: host `hooks.slack.com`, path
    /// `/services/...`. Teams Workflows: a host under `webhook.office.com`, `logic.azure.com`
    /// or `powerplatform.com`. Discord: host `discord.com` or `discordapp.com`, path
    /// `/api/webhooks/...` (or `/api/v{n}/webhooks/...`). Google Chat: host
    /// `chat.googleapis.com`, path `/v1/spaces/...`. Mattermost and Matrix are self-hosted:
    /// any host and port (Mattermost often listens on 8065, a homeserver on 8448).
    ///
    /// This pins a message to the platform's own servers, so a URL saved as "Slack" cannot
    /// send Slack-shaped requests anywhere else; whether the host's addresses are public is
    /// checked at each delivery, as for webhooks.
    #[must_use]
    pub fn accepts(self, url: &HttpUrl) -> bool {
        let Some(parsed) = url.parsed() else {
            return false;
        };
        if parsed.scheme() != "https" {
            return false;
        }
        let Some(host) = parsed.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let path = parsed.path();
        // A subdomain of `parent`: at least one non-empty label before it.
        let under = |parent: &str| {
            host.strip_suffix(parent)
                .and_then(|h| h.strip_suffix('.'))
                .is_some_and(|h| !h.is_empty() && !h.ends_with('.'))
        };
        // `url` leaves the port out when it is the scheme's default (443).
        let default_port = parsed.port().is_none();
        match self {
            ChatPlatform::Slack => {
                default_port && host == "hooks.slack.com" && path.starts_with("/services/")
            }
            ChatPlatform::Teams => {
                default_port
                    && (under("webhook.office.com")
                        || under("logic.azure.com")
                        || under("powerplatform.com"))
            }
            ChatPlatform::Discord => {
                default_port
                    && (host == "discord.com" || host == "discordapp.com")
                    && discord_webhook_path(path)
            }
            ChatPlatform::GoogleChat => {
                default_port && host == "chat.googleapis.com" && path.starts_with("/v1/spaces/")
            }
            ChatPlatform::Mattermost | ChatPlatform::Matrix => true,
        }
    }
}

impl ChatPlatform {
    /// The platform a webhook endpoint's format posts to; `None` for the signed JSON.
    #[must_use]
    pub fn of_format(format: crate::model::WebhookFormat) -> Option<Self> {
        use crate::model::WebhookFormat;
        match format {
            WebhookFormat::Json => None,
            WebhookFormat::Slack => Some(ChatPlatform::Slack),
            WebhookFormat::Teams => Some(ChatPlatform::Teams),
            WebhookFormat::Discord => Some(ChatPlatform::Discord),
            WebhookFormat::Mattermost => Some(ChatPlatform::Mattermost),
            WebhookFormat::GoogleChat => Some(ChatPlatform::GoogleChat),
            WebhookFormat::Matrix => Some(ChatPlatform::Matrix),
        }
    }
}

impl ChatPlatform {
    /// The platforms a visitor's chat subscription may post to: the incoming-webhook ones
    /// (Matrix needs an access token, which a visitor's form does not take).
    pub const INCOMING_WEBHOOKS: [ChatPlatform; 5] = [
        ChatPlatform::Slack,
        ChatPlatform::Teams,
        ChatPlatform::Discord,
        ChatPlatform::GoogleChat,
        ChatPlatform::Mattermost,
    ];

    /// The platform an incoming-webhook URL belongs to, recognised by its host and path
    /// ([`accepts`](Self::accepts)): Slack, Teams, Discord or Google Chat on their own hosts,
    /// and Mattermost's Slack-compatible format for any other host (a self-hosted
    /// Mattermost, or another Slack-compatible server). The same URL always gives the same
    /// platform, so it is recognised again at each delivery rather than stored.
    #[must_use]
    pub fn of_incoming_webhook(url: &HttpUrl) -> Self {
        [
            ChatPlatform::Slack,
            ChatPlatform::Teams,
            ChatPlatform::Discord,
            ChatPlatform::GoogleChat,
        ]
        .into_iter()
        .find(|p| p.accepts(url))
        .unwrap_or(ChatPlatform::Mattermost)
    }
}

/// The path under a homeserver of a room in Matrix's client-server API.
const MATRIX_ROOMS_PATH: &str = "/_matrix/client/v3/rooms/";

/// A Matrix endpoint's URL taken apart: the homeserver's base URL (what
/// [`ChatMessage::url`] holds for Matrix) and the room id. The URL is the room in the
/// client-server API, `https://HOMESERVER[/PREFIX]/_matrix/client/v3/rooms/!ROOM:SERVER`
/// (the id raw or percent-encoded), so one field names both and nothing else is stored;
/// `None` for any other shape, a room id that is not `!localpart:server`, a query or a
/// fragment. The scheme is the caller's to judge (the facade takes only `https` for a
/// Matrix endpoint, the notifier's URL check applies at delivery).
#[must_use]
pub fn matrix_room(url: &HttpUrl) -> Option<(HttpUrl, String)> {
    let parsed = url.parsed()?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return None;
    }
    let path = parsed.path();
    let at = path.find(MATRIX_ROOMS_PATH)?;
    let encoded = &path[at + MATRIX_ROOMS_PATH.len()..];
    let room = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()?
        .into_owned();
    let (localpart, server) = room.strip_prefix('!')?.split_once(':')?;
    let fine = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '?' | '#' | '%'))
    };
    if !fine(localpart) || !fine(server) || room.len() > 255 {
        return None;
    }
    let mut base = parsed.clone();
    base.set_path(&path[..at]);
    Some((HttpUrl::parse(base.as_str()).ok()?, room))
}

/// `/api/webhooks/...` or the versioned `/api/v10/webhooks/...`.
fn discord_webhook_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/") else {
        return false;
    };
    let rest = match rest.strip_prefix('v') {
        Some(versioned) => match versioned.split_once('/') {
            Some((n, tail)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => tail,
            _ => return false,
        },
        None => rest,
    };
    rest.strip_prefix("webhooks/")
        .is_some_and(|id| !id.is_empty())
}

impl fmt::Display for ChatPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad the news is: picks the colour, the label and the emphasis of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChatSeverity {
    /// An incident is resolved, or a component is operational again.
    Resolved,
    /// An update without a change of status.
    Info,
    /// Degraded performance or a partial outage.
    Degraded,
    /// A major outage.
    Outage,
    /// Scheduled maintenance.
    Maintenance,
}

impl ChatSeverity {
    /// The name (`resolved`, `info`, `degraded`, `outage`, `maintenance`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ChatSeverity::Resolved => "resolved",
            ChatSeverity::Info => "info",
            ChatSeverity::Degraded => "degraded",
            ChatSeverity::Outage => "outage",
            ChatSeverity::Maintenance => "maintenance",
        }
    }
}

/// One chat message for one room, in plain text: the notifier escapes it for the platform.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// The platform, which decides the wire format.
    pub platform: ChatPlatform,
    /// The incoming-webhook URL, or for Matrix the homeserver's base URL. Webhook URLs are
    /// credentials (the path or query carries the secret): never logged, never put into an
    /// error string, and shown by `Debug` only as scheme and host.
    pub url: HttpUrl,
    /// The Matrix room id (`!abc:example.org`); `None` for the other platforms.
    pub room: Option<String>,
    /// The Matrix access token (opened from its sealed form only for this delivery);
    /// `None` for the other platforms. Redacted in `Debug`.
    pub token: Option<String>,
    /// The headline, plain text (e.g. the incident's name).
    pub title: String,
    /// The body, plain text; the notifier escapes it for the platform's markup.
    pub text: String,
    /// The incident's page on the status page.
    pub link: Option<HttpUrl>,
    /// More links with their captions (plain text), shown after `link` as the platform shows
    /// links: a chat subscriber's confirmation link, or its manage and unsubscribe links.
    pub more_links: Vec<(String, HttpUrl)>,
    /// Colour and label of the message.
    pub severity: ChatSeverity,
    /// event x recipient x channel, stable across retries; Matrix uses it as the transaction
    /// id, so the homeserver drops a repeated send.
    pub idempotency_key: String,
}

impl fmt::Debug for ChatMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's path and query are the webhook's secret: show only where it goes.
        let url = self
            .url
            .parsed()
            .map(|u| format!("{}://{}/[redacted]", u.scheme(), self.url.host()))
            .unwrap_or_else(|| "[redacted]".to_owned());
        f.debug_struct("ChatMessage")
            .field("platform", &self.platform)
            .field("url", &url)
            .field("room", &self.room)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("title", &self.title)
            .field("text", &self.text)
            .field("link", &self.link)
            .field("more_links", &self.more_links)
            .field("severity", &self.severity)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn url(s: &str) -> HttpUrl {
        HttpUrl::parse(s).unwrap()
    }

    #[test]
    fn names_round_trip() {
        let names: Vec<&str> = ChatPlatform::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "slack",
                "teams",
                "discord",
                "mattermost",
                "google_chat",
                "matrix"
            ]
        );
        for p in ChatPlatform::ALL {
            assert_eq!(ChatPlatform::parse(p.as_str()), Some(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        for bad in [
            "",
            "Slack",
            "google-chat",
            "googlechat",
            "msteams",
            "slack ",
        ] {
            assert_eq!(ChatPlatform::parse(bad), None, "{bad:?}");
        }
        let severities: Vec<&str> = [
            ChatSeverity::Resolved,
            ChatSeverity::Info,
            ChatSeverity::Degraded,
            ChatSeverity::Outage,
            ChatSeverity::Maintenance,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        assert_eq!(
            severities,
            ["resolved", "info", "degraded", "outage", "maintenance"]
        );
    }

    #[test]
    fn an_incoming_webhook_url_is_recognised_by_host_and_path_else_slack_compatible() {
        for (u, platform) in [
            (
                "https://hooks.slack.com/services/T0/B0/x",
                ChatPlatform::Slack,
            ),
            (
                "https://prod-01.westus.logic.azure.com/workflows/abc",
                ChatPlatform::Teams,
            ),
            (
                "https://discord.com/api/webhooks/1/tok",
                ChatPlatform::Discord,
            ),
            (
                "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k",
                ChatPlatform::GoogleChat,
            ),
            (
                "https://chat.example.org/hooks/abc",
                ChatPlatform::Mattermost,
            ),
            // Slack's host off its webhook path is no Slack webhook: Slack-compatible.
            ("https://hooks.slack.com/other", ChatPlatform::Mattermost),
        ] {
            assert_eq!(ChatPlatform::of_incoming_webhook(&url(u)), platform, "{u}");
        }
    }

    #[test]
    fn a_matrix_room_url_is_taken_apart_into_homeserver_and_room() {
        let split = |u: &str| {
            matrix_room(&HttpUrl::parse(u).unwrap())
                .map(|(base, room)| (base.as_str().to_owned(), room))
        };
        assert_eq!(
            split("https://matrix.example.org/_matrix/client/v3/rooms/!abc:example.org"),
            Some((
                "https://matrix.example.org/".to_owned(),
                "!abc:example.org".to_owned()
            ))
        );
        // Percent-encoded (as a client copies it), and a homeserver under a path prefix.
        assert_eq!(
            split("https://example.org/matrix/_matrix/client/v3/rooms/%21abc%3Aexample.org"),
            Some((
                "https://example.org/matrix".to_owned(),
                "!abc:example.org".to_owned()
            ))
        );
        for bad in [
            "https://matrix.example.org/",
            "https://matrix.example.org/_matrix/client/v3/rooms/",
            "https://matrix.example.org/_matrix/client/v3/rooms/#alias:example.org",
            "https://matrix.example.org/_matrix/client/v3/rooms/abc:example.org",
            "https://matrix.example.org/_matrix/client/v3/rooms/!abc",
            "https://matrix.example.org/_matrix/client/v3/rooms/!:example.org",
            "https://matrix.example.org/_matrix/client/v3/rooms/!abc:example.org/send",
            "https://matrix.example.org/_matrix/client/v3/rooms/!abc:example.org?access_token=x",
            "https://matrix.example.org/_matrix/client/v3/rooms/!a%2Fb:example.org",
            "https://matrix.example.org/_matrix/client/v3/rooms/!a%00b:example.org",
        ] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_chat_format_is_its_platform_and_json_is_none() {
        use crate::model::WebhookFormat;
        assert_eq!(ChatPlatform::of_format(WebhookFormat::Json), None);
        assert!(!WebhookFormat::Json.is_chat());
        for f in WebhookFormat::ALL.iter().copied().filter(|f| f.is_chat()) {
            let p = ChatPlatform::of_format(f).unwrap();
            assert_eq!(p.as_str(), f.as_str(), "the stored names agree");
        }
        assert_eq!(
            ChatPlatform::of_format(WebhookFormat::GoogleChat),
            Some(ChatPlatform::GoogleChat)
        );
        assert_eq!(WebhookFormat::default(), WebhookFormat::Json);
    }

    #[test]
    fn each_platform_accepts_its_own_webhook_hosts_only() {
        let cases: &[(ChatPlatform, &str, bool)] = &[
            (
                ChatPlatform::Slack,
                "https://hooks.slack.com/services/T0/B0/xyz",
                true,
            ),
            (
                ChatPlatform::Slack,
                "https://HOOKS.slack.com/services/T0/B0/xyz",
                true,
            ),
            (
                ChatPlatform::Slack,
                "http://hooks.slack.com/services/T0/B0/xyz",
                false,
            ),
            (
                ChatPlatform::Slack,
                "https://hooks.slack.com:8443/services/T0/B0/x",
                false,
            ),
            (ChatPlatform::Slack, "https://hooks.slack.com/api/x", false),
            (
                ChatPlatform::Slack,
                "https://hooks.slack.com.evil.example/services/x",
                false,
            ),
            (
                ChatPlatform::Slack,
                "https://evilhooks.slack.com/services/x",
                false,
            ),
            (
                ChatPlatform::Slack,
                "https://discord.com/api/webhooks/1/abc",
                false,
            ),
            (
                ChatPlatform::Teams,
                "https://prod-27.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=s",
                true,
            ),
            (
                ChatPlatform::Teams,
                "https://default1234.56.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/abc",
                true,
            ),
            (
                ChatPlatform::Teams,
                "https://contoso.webhook.office.com/webhookb2/abc",
                true,
            ),
            (
                ChatPlatform::Teams,
                "https://logic.azure.com/workflows/abc",
                false,
            ),
            (
                ChatPlatform::Teams,
                "https://evil-logic.azure.com.example/x",
                false,
            ),
            (ChatPlatform::Teams, "https://notpowerplatform.com/x", false),
            (
                ChatPlatform::Teams,
                "https://hooks.slack.com/services/T0/B0/x",
                false,
            ),
            (
                ChatPlatform::Discord,
                "https://discord.com/api/webhooks/123/tok",
                true,
            ),
            (
                ChatPlatform::Discord,
                "https://discordapp.com/api/webhooks/123/tok",
                true,
            ),
            (
                ChatPlatform::Discord,
                "https://discord.com/api/v10/webhooks/123/tok",
                true,
            ),
            (
                ChatPlatform::Discord,
                "https://discord.com/api/webhooks/",
                false,
            ),
            (
                ChatPlatform::Discord,
                "https://discord.com/api/vx/webhooks/1/t",
                false,
            ),
            (
                ChatPlatform::Discord,
                "https://discord.com/channels/1/2",
                false,
            ),
            (
                ChatPlatform::Discord,
                "https://evil.discord.com.example/api/webhooks/1/t",
                false,
            ),
            (
                ChatPlatform::GoogleChat,
                "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k&token=t",
                true,
            ),
            (
                ChatPlatform::GoogleChat,
                "https://chat.googleapis.com/v2/x",
                false,
            ),
            (
                ChatPlatform::GoogleChat,
                "https://googleapis.com/v1/spaces/A/messages",
                false,
            ),
            (
                ChatPlatform::Mattermost,
                "https://chat.example.org/hooks/abc",
                true,
            ),
            (
                ChatPlatform::Mattermost,
                "https://chat.example.org:8065/hooks/abc",
                true,
            ),
            (
                ChatPlatform::Mattermost,
                "http://chat.example.org/hooks/abc",
                false,
            ),
            (ChatPlatform::Matrix, "https://matrix.example.org", true),
            (ChatPlatform::Matrix, "https://example.org:8448/", true),
            (ChatPlatform::Matrix, "http://matrix.example.org", false),
        ];
        for (platform, u, expected) in cases {
            assert_eq!(platform.accepts(&url(u)), *expected, "{platform} {u}");
        }
    }

    #[test]
    fn debug_hides_the_token_and_the_secret_part_of_the_url() {
        let message = ChatMessage {
            platform: ChatPlatform::Matrix,
            url: url("https://hooks.slack.com/services/T0/B0/SECRETPATH"),
            room: Some("!room:example.org".into()),
            token: Some("syt_SECRETTOKEN".into()),
            title: "t".into(),
            text: "x".into(),
            link: None,
            more_links: Vec::new(),
            severity: ChatSeverity::Info,
            idempotency_key: "k".into(),
        };
        let debug = format!("{message:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(
            debug.contains("https://hooks.slack.com/[redacted]"),
            "{debug}"
        );
        assert!(debug.contains("token: Some(\"[redacted]\")"), "{debug}");
        assert!(debug.contains("!room:example.org"), "{debug}");

        let message = super::super::Message::Chat(message);
        assert_eq!(message.channel(), super::super::Channel::Chat);
        assert_eq!(message.channel().as_str(), "chat");
        assert_eq!(message.idempotency_key(), "k");
    }
}
