//! The chat notifier against loopback servers that check each request as the platform
//! documents it and answer as the platform does, errors and rate limits included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use cachet_core::notify::{
    Channel, ChatMessage, ChatPlatform, ChatSeverity, DeliveryError, Message, Notifier,
    WebhookMessage,
};
use cachet_core::validate::HttpUrl;
use cachet_notify::{CHAT_USER_AGENT, ChatConfig, ChatNotifier, WebhookConfig};
use serde_json::{Value, json};

/// Hostile text: Slack's and Discord's room mentions, HTML, Markdown and a masked link.
const HOSTILE: &str =
    "<!channel> @everyone <script>alert(1)</script> **bold** [x](https://evil.example) & done";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query exactly as received.
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn raw(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
    delay: Duration,
}

fn answer(status: u16, content_type: &'static str, body: &'static str) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", content_type)],
        body,
        delay: Duration::ZERO,
    }
}

fn json_answer(status: u16, body: &'static str) -> Answer {
    answer(status, "application/json", body)
}

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn handle(State(script): State<Script>, request: Request) -> Response {
    let method = request.method().to_string();
    let target = request
        .uri()
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    script.seen.lock().unwrap().push(Seen {
        method,
        target,
        headers,
        body,
    });
    let next = script.answers.lock().unwrap().pop_front();
    let a = next.expect("no answer scripted for this request");
    tokio::time::sleep(a.delay).await;
    let mut response = Response::builder().status(StatusCode::from_u16(a.status).unwrap());
    for (k, v) in &a.headers {
        response = response.header(*k, *v);
    }
    response.body(Body::from(a.body)).unwrap()
}

/// Starts a server answering `answers` in order; returns its base URL and what it saw.
async fn start(answers: Vec<Answer>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let script = Script {
        answers: Arc::new(Mutex::new(answers.into())),
        seen: Arc::default(),
    };
    let seen = script.seen.clone();
    let app = Router::new().fallback(handle).with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

/// A notifier that may reach loopback over plain http: the explicit test opt-ins.
fn loopback() -> ChatNotifier {
    ChatNotifier::new(
        ChatConfig::default().check_platform_hosts(false).http(
            WebhookConfig::default()
                .allow_private_networks(true)
                .allow_plain_http(true)
                .timeout(Duration::from_secs(2))
                .connect_timeout(Duration::from_secs(2)),
        ),
    )
    .unwrap()
}

fn chat(platform: ChatPlatform, url: &str) -> ChatMessage {
    ChatMessage {
        platform,
        url: HttpUrl::parse(url).unwrap(),
        room: None,
        token: None,
        title: "API <outage>".into(),
        text: HOSTILE.into(),
        link: Some(HttpUrl::parse("https://status.example.com/incidents/7").unwrap()),
        more_links: Vec::new(),
        severity: ChatSeverity::Outage,
        idempotency_key: "cachet.7.chat-3.chat".into(),
    }
}

async fn deliver(notifier: &ChatNotifier, m: &ChatMessage) -> Result<(), DeliveryError> {
    notifier.deliver(&Message::Chat(m.clone())).await
}

/// Every request: JSON content, our User-Agent, no credentials but Matrix's bearer.
fn common_headers(seen: &Seen, content_type: &str) {
    assert_eq!(seen.headers["content-type"], content_type);
    assert_eq!(seen.headers["user-agent"], CHAT_USER_AGENT);
    assert_eq!(
        seen.headers["content-length"],
        seen.body.len().to_string(),
        "a fixed-length body"
    );
}

/// No error string carries a secret of the URL or the token.
fn no_secrets(err: &DeliveryError, secrets: &[&str]) {
    let text = err.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{text} leaks {s}");
    }
}

const SLACK_PATH: &str = "/services/T00000000/B00000000/XXXXSLACKSECRETXXXX";

#[tokio::test]
async fn slack_block_kit_escaped_and_slack_errors() {
    let (base, seen) = start(vec![
        answer(200, "text/html", "ok"),
        answer(404, "text/html", "no_service"),
        answer(403, "text/html", "invalid_token"),
        answer(410, "text/html", "channel_is_archived"),
        answer(400, "text/html", "invalid_payload"),
        Answer {
            headers: vec![("content-type", "text/html"), ("retry-after", "30")],
            ..answer(429, "text/html", "rate_limited")
        },
        answer(500, "text/html", "rollup_error"),
    ])
    .await;
    let m = chat(ChatPlatform::Slack, &format!("{base}{SLACK_PATH}"));
    let n = loopback();
    deliver(&n, &m).await.unwrap();

    let expected_errors = [
        DeliveryError::Permanent("slack answered HTTP 404 (no_service)".into()),
        DeliveryError::Permanent("slack answered HTTP 403 (invalid_token)".into()),
        DeliveryError::Permanent("slack answered HTTP 410 (channel_is_archived)".into()),
        DeliveryError::Permanent("slack answered HTTP 400 (invalid_payload)".into()),
        DeliveryError::Transient(
            "slack answered HTTP 429 rate limited (rate_limited); retry after 30 s".into(),
        ),
        DeliveryError::Transient("slack answered HTTP 500 (rollup_error)".into()),
    ];
    for expected in expected_errors {
        let err = deliver(&n, &m).await.unwrap_err();
        assert_eq!(err, expected);
        no_secrets(&err, &["XXXXSLACKSECRETXXXX", SLACK_PATH]);
    }

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 7);
    let first = &seen[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.target, SLACK_PATH);
    common_headers(first, "application/json");
    assert!(!first.headers.contains_key("authorization"));
    let raw = first.raw();
    for forbidden in ["<!channel>", "<script>", "@everyone"] {
        assert!(!raw.contains(forbidden), "{forbidden} in {raw}");
    }
    assert_eq!(
        first.json(),
        json!({
            "text": "Outage: API &lt;outage&gt;",
            "blocks": [
                { "type": "header", "text": { "type": "plain_text", "text": "API <outage>", "emoji": true } },
                { "type": "section", "text": { "type": "mrkdwn", "text": "*Outage*\n&lt;!channel&gt; @\u{2060}everyone &lt;script&gt;alert(1)&lt;/script&gt; **bold** [x](https://evil.example) &amp; done" } },
                { "type": "context", "elements": [ { "type": "mrkdwn", "text": "<https://status.example.com/incidents/7|View incident>" } ] },
            ],
        })
    );
    // A retry sends the same bytes.
    assert_eq!(seen[1].body, first.body);
}

#[tokio::test]
async fn mattermost_attachment_escaped_and_mattermost_errors() {
    let (base, seen) = start(vec![
        answer(200, "text/plain", "ok"),
        json_answer(
            400,
            r#"{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","detailed_error":"","request_id":"h7x","status_code":400}"#,
        ),
    ])
    .await;
    let m = chat(
        ChatPlatform::Mattermost,
        &format!("{base}/hooks/mmSECRETHOOKID123"),
    );
    let n = loopback();
    deliver(&n, &m).await.unwrap();
    let err = deliver(&n, &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent(
            "mattermost answered HTTP 400 (web.incoming_webhook.invalid.app_error)".into()
        )
    );
    no_secrets(&err, &["mmSECRETHOOKID123"]);

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/hooks/mmSECRETHOOKID123");
    common_headers(&seen[0], "application/json");
    let body = seen[0].json();
    assert_eq!(body["text"], "**Outage:** API &lt;outage&gt;");
    assert_eq!(body["attachments"][0]["color"], "#E74C3C");
    assert_eq!(
        body["attachments"][0]["title_link"],
        "https://status.example.com/incidents/7"
    );
    assert_eq!(
        body["attachments"][0]["text"],
        "&lt;\\!channel&gt; @\u{2060}everyone &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*\\*bold\\*\\* \\[x\\]\\(https\\://evil.example\\) &amp; done"
    );
}

const TEAMS_QUERY: &str =
    "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TEAMSSIGSECRETVALUE42";

#[tokio::test]
async fn teams_workflows_adaptive_card_and_logic_apps_errors() {
    let (base, seen) = start(vec![
        answer(202, "text/plain", ""),
        json_answer(
            400,
            r#"{"error":{"code":"WorkflowTriggerIsNotEnabled","message":"The workflow 'wf' cannot be triggered because it is disabled."}}"#,
        ),
        Answer {
            headers: vec![("content-type", "application/json"), ("retry-after", "12")],
            ..json_answer(
                429,
                r#"{"error":{"code":"WorkflowRequestsThrottled","message":"Rate limit."}}"#,
            )
        },
    ])
    .await;
    let path = "/workflows/7d9c/triggers/manual/paths/invoke";
    let m = chat(ChatPlatform::Teams, &format!("{base}{path}?{TEAMS_QUERY}"));
    let n = loopback();
    deliver(&n, &m).await.unwrap();
    let err = deliver(&n, &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("teams answered HTTP 400 (WorkflowTriggerIsNotEnabled)".into())
    );
    let err = deliver(&n, &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient(
            "teams answered HTTP 429 rate limited (WorkflowRequestsThrottled); retry after 12 s"
                .into()
        )
    );
    no_secrets(&err, &["TEAMSSIGSECRETVALUE42", "sig="]);

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, format!("{path}?{TEAMS_QUERY}"));
    common_headers(&seen[0], "application/json");
    let body = seen[0].json();
    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["body"],
        json!([
            { "type": "TextBlock", "text": "Outage", "weight": "Bolder", "color": "Attention", "size": "Small" },
            { "type": "TextBlock", "text": "API <outage>", "weight": "Bolder", "size": "Large", "wrap": true },
            { "type": "TextBlock", "text": "<!channel> @everyone <script>alert\\(1\\)</script> \\*\\*bold\\*\\* \\[x\\]\\(https://evil.example\\) & done", "wrap": true },
        ])
    );
    assert_eq!(
        card["actions"],
        json!([{ "type": "Action.OpenUrl", "title": "View incident", "url": "https://status.example.com/incidents/7" }])
    );
}

#[tokio::test]
async fn discord_embed_waits_and_never_mentions() {
    let (base, seen) = start(vec![
        json_answer(
            200,
            r#"{"id":"1","type":0,"content":"","channel_id":"2","embeds":[]}"#,
        ),
        json_answer(404, r#"{"message": "Unknown Webhook", "code": 10015}"#),
        Answer {
            headers: vec![("content-type", "application/json"), ("retry-after", "1")],
            ..json_answer(
                429,
                r#"{"message": "You are being rate limited.", "retry_after": 0.35, "global": false}"#,
            )
        },
        json_answer(
            400,
            r#"{"code": 50035, "errors": {"embeds": {"0": {"description": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 4096 or fewer in length."}]}}}}, "message": "Invalid Form Body"}"#,
        ),
        // A peer that echoes the credential back: cut out of the error string.
        json_answer(
            401,
            r#"{"message": "Invalid Webhook Token DISCORDTOKENSECRETabc", "code": 50027}"#,
        ),
    ])
    .await;
    let path = "/api/webhooks/112233/DISCORDTOKENSECRETabc";
    let m = chat(ChatPlatform::Discord, &format!("{base}{path}"));
    let n = loopback();
    deliver(&n, &m).await.unwrap();
    let expected = [
        DeliveryError::Permanent("discord answered HTTP 404 (Unknown Webhook, code 10015)".into()),
        DeliveryError::Transient(
            "discord answered HTTP 429 rate limited (You are being rate limited.); retry after 0.35 s"
                .into(),
        ),
        DeliveryError::Permanent("discord answered HTTP 400 (Invalid Form Body, code 50035)".into()),
        DeliveryError::Permanent(
            "discord answered HTTP 401 (Invalid Webhook Token [redacted], code 50027)".into(),
        ),
    ];
    for e in expected {
        let err = deliver(&n, &m).await.unwrap_err();
        assert_eq!(err, e);
        no_secrets(&err, &["DISCORDTOKENSECRETabc"]);
    }

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, format!("{path}?wait=true"));
    common_headers(&seen[0], "application/json");
    assert_eq!(
        seen[0].json(),
        json!({
            "content": "",
            "embeds": [{
                "title": "Outage: API \\<outage\\>",
                "description": "\\<!channel\\> \\@everyone \\<script\\>alert\\(1\\)\\</script\\> \\*\\*bold\\*\\* \\[x\\]\\(https://evil.example\\) & done",
                "url": "https://status.example.com/incidents/7",
                "color": 0xE74C3C,
            }],
            "allowed_mentions": { "parse": [] },
        })
    );
}

#[tokio::test]
async fn google_chat_card_and_google_errors() {
    let (base, seen) = start(vec![
        json_answer(
            200,
            r#"{"name":"spaces/AAAA/messages/x","sender":{"type":"BOT"}}"#,
        ),
        json_answer(
            429,
            r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#,
        ),
        json_answer(
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#,
        ),
    ])
    .await;
    let target = "/v1/spaces/AAAA/messages?key=GCHATKEYSECRET1&token=GCHATTOKENSECRET2";
    let m = chat(ChatPlatform::GoogleChat, &format!("{base}{target}"));
    let n = loopback();
    deliver(&n, &m).await.unwrap();
    let err = deliver(&n, &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Transient(
            "google_chat answered HTTP 429 rate limited (RESOURCE_EXHAUSTED)".into()
        )
    );
    let err = deliver(&n, &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("google_chat answered HTTP 400 (INVALID_ARGUMENT)".into())
    );
    no_secrets(&err, &["GCHATKEYSECRET1", "GCHATTOKENSECRET2"]);

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, "POST");
    // No `messageReplyOption`: without a thread key there is nothing to reply to.
    assert_eq!(seen[0].target, target);
    common_headers(&seen[0], "application/json; charset=UTF-8");
    let body = seen[0].json();
    assert!(body.get("text").is_none(), "no top-level text: {body}");
    let card = &body["cardsV2"][0]["card"];
    assert_eq!(
        card["header"],
        json!({ "title": "API <outage>", "subtitle": "Outage" })
    );
    assert_eq!(
        card["sections"][0]["widgets"][0]["textParagraph"]["text"],
        "&lt;!channel&gt; @everyone &lt;script&gt;alert(1)&lt;/script&gt; **bold** [x](https://evil.example) &amp; done"
    );
    assert_eq!(
        card["sections"][0]["widgets"][1]["buttonList"]["buttons"][0]["onClick"]["openLink"]["url"],
        "https://status.example.com/incidents/7"
    );
}

#[tokio::test]
async fn matrix_put_with_bearer_and_idempotent_txn_id() {
    let (base, seen) = start(vec![
        json_answer(200, r#"{"event_id":"$YUwRidLecu:example.com"}"#),
        json_answer(200, r#"{"event_id":"$YUwRidLecu:example.com"}"#),
        Answer {
            headers: vec![("content-type", "application/json"), ("retry-after", "5")],
            ..json_answer(
                429,
                r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2000}"#,
            )
        },
        json_answer(
            403,
            r#"{"errcode":"M_FORBIDDEN","error":"User @status:example.org not in room !room:example.org"}"#,
        ),
        json_answer(
            401,
            r#"{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed.","soft_logout":false}"#,
        ),
    ])
    .await;
    let mut m = chat(ChatPlatform::Matrix, &format!("{base}/"));
    m.room = Some("!room:example.org".into());
    m.token = Some("syt_c3RhdHVz_MATRIXTOKENSECRET".into());
    let n = loopback();
    deliver(&n, &m).await.unwrap();
    // A retry of the same delivery: same transaction id, which the homeserver de-duplicates.
    deliver(&n, &m).await.unwrap();
    let expected = [
        DeliveryError::Transient(
            "matrix answered HTTP 429 rate limited (M_LIMIT_EXCEEDED: Too many requests); retry after 2 s"
                .into(),
        ),
        DeliveryError::Permanent(
            "matrix answered HTTP 403 (M_FORBIDDEN: User @status:example.org not in room !room:example.org)"
                .into(),
        ),
        DeliveryError::Permanent(
            "matrix answered HTTP 401 (M_UNKNOWN_TOKEN: Invalid access token passed.)".into(),
        ),
    ];
    for e in expected {
        let err = deliver(&n, &m).await.unwrap_err();
        assert_eq!(err, e);
        no_secrets(&err, &["MATRIXTOKENSECRET"]);
    }

    let seen = seen.lock().unwrap();
    let first = &seen[0];
    assert_eq!(first.method, "PUT");
    assert_eq!(
        first.target,
        "/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/cachet.7.chat-3.chat"
    );
    assert_eq!(seen[1].target, first.target);
    assert_eq!(seen[1].body, first.body);
    common_headers(first, "application/json");
    assert_eq!(
        first.headers["authorization"],
        "Bearer syt_c3RhdHVz_MATRIXTOKENSECRET"
    );
    assert_eq!(
        first.json(),
        json!({
            "msgtype": "m.notice",
            "body": format!("Outage: API <outage>\n\n{HOSTILE}\n\nView incident: https://status.example.com/incidents/7"),
            "format": "org.matrix.custom.html",
            "formatted_body": "<strong>Outage: API &lt;outage&gt;</strong><br>&lt;!channel&gt; @everyone &lt;script&gt;alert(1)&lt;/script&gt; **bold** [x](https://evil.example) &amp; done<br><a href=\"https://status.example.com/incidents/7\">View incident</a>",
            "m.mentions": {},
        })
    );
}

#[tokio::test]
async fn matrix_without_room_or_token_is_permanent_and_sends_nothing() {
    let (base, seen) = start(vec![]).await;
    let mut m = chat(ChatPlatform::Matrix, &base);
    m.room = Some("!room:example.org".into());
    let err = deliver(&loopback(), &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("a matrix message needs a room id and an access token".into())
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn loopback_is_refused_without_the_opt_in() {
    let (base, seen) = start(vec![]).await;
    let port = base.rsplit(':').next().unwrap();
    // Platform shapes off, plain http on, but private networks not allowed.
    let strict = ChatNotifier::new(
        ChatConfig::default()
            .check_platform_hosts(false)
            .http(WebhookConfig::default().allow_plain_http(true)),
    )
    .unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/hooks/x"),
        format!("http://localhost:{port}/hooks/x"),
        format!("http://[::1]:{port}/hooks/x"),
    ] {
        let err = deliver(&strict, &chat(ChatPlatform::Mattermost, &url))
            .await
            .unwrap_err();
        assert!(!err.is_transient(), "{url}: {err}");
        assert!(err.to_string().contains("loopback"), "{url}: {err}");
        assert!(
            err.to_string().starts_with(
                "permanent delivery failure: chat URL points to a loopback address; refused"
            ),
            "{err}"
        );
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn default_config_pins_each_platform_to_its_hosts() {
    let (base, seen) = start(vec![]).await;
    let default = ChatNotifier::new(ChatConfig::default()).unwrap();
    for (platform, url) in [
        (ChatPlatform::Slack, format!("{base}{SLACK_PATH}")),
        (
            ChatPlatform::Slack,
            "https://hooks.slack.com.evil.example/services/T/B/x".into(),
        ),
        (
            ChatPlatform::Discord,
            "https://evil.example/api/webhooks/1/t".into(),
        ),
        (
            ChatPlatform::Teams,
            "https://evil.example/workflows/1".into(),
        ),
        (
            ChatPlatform::GoogleChat,
            "https://evil.example/v1/spaces/A/messages".into(),
        ),
        (ChatPlatform::Mattermost, format!("{base}/hooks/x")),
    ] {
        let err = deliver(&default, &chat(platform, &url)).await.unwrap_err();
        assert_eq!(
            err,
            DeliveryError::Permanent(format!("chat URL is not a {platform} incoming-webhook URL")),
            "{url}"
        );
    }
    let mut m = chat(ChatPlatform::Matrix, &base);
    m.room = Some("!r:x".into());
    m.token = Some("t".into());
    let err = deliver(&default, &m).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("chat URL is not a matrix homeserver URL (https)".into())
    );
    // A platform URL of the right shape still goes through the address check: the default
    // config refuses an IP literal in a private range before any traffic.
    let err = deliver(
        &ChatNotifier::new(ChatConfig::default()).unwrap(),
        &chat(ChatPlatform::Mattermost, "https://10.0.0.1/hooks/x"),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("private address; refused"),
        "{err}"
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn timeouts_are_transient_and_redirects_permanent() {
    let (base, _seen) = start(vec![
        Answer {
            delay: Duration::from_secs(5),
            ..answer(200, "text/plain", "ok")
        },
        Answer {
            headers: vec![("location", "https://elsewhere.example/")],
            ..answer(302, "text/plain", "")
        },
        answer(503, "text/plain", "upstream connect error"),
    ])
    .await;
    let m = chat(
        ChatPlatform::Mattermost,
        &format!("{base}/hooks/SECRETHOOKVALUE"),
    );
    let n = loopback();
    assert_eq!(
        deliver(&n, &m).await.unwrap_err(),
        DeliveryError::Transient("chat request timed out".into())
    );
    assert_eq!(
        deliver(&n, &m).await.unwrap_err(),
        DeliveryError::Permanent(
            "mattermost answered HTTP 302 (a redirect; redirects are not followed)".into()
        )
    );
    assert_eq!(
        deliver(&n, &m).await.unwrap_err(),
        DeliveryError::Transient("mattermost answered HTTP 503".into())
    );
}

#[tokio::test]
async fn serves_the_chat_channel_only() {
    let n = loopback();
    assert_eq!(n.channel(), Channel::Chat);
    let err = n
        .deliver(&Message::Webhook(WebhookMessage {
            url: HttpUrl::parse("https://example.com/hook").unwrap(),
            secret: None,
            body: "{}".into(),
            idempotency_key: "k".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("the chat notifier only delivers chat messages".into())
    );
}
