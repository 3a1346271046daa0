//! The email notifier against a tiny SMTP sink on 127.0.0.1, through lettre's real transport.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cachet_core::notify::{DeliveryError, EmailMessage, Message, Notifier, SmsMessage};
use cachet_core::validate::{Email, HttpUrl, PhoneNumber};
use cachet_notify::{Dkim, EmailNotifier, SmtpUrl, build_message};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the sink answers at each step of a transaction.
#[derive(Clone)]
struct Replies {
    auth: &'static str,
    rcpt: &'static str,
    data_end: &'static str,
}

impl Default for Replies {
    fn default() -> Self {
        Self {
            auth: "235 2.7.0 authenticated",
            rcpt: "250 2.1.5 ok",
            data_end: "250 2.0.0 queued",
        }
    }
}

/// One accepted (or attempted) transaction.
#[derive(Debug, Clone, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

#[derive(Clone, Default)]
struct Sink {
    received: Arc<Mutex<Vec<Received>>>,
    /// Every command line the sink saw, in order (to prove no smuggled command ran).
    commands: Arc<Mutex<Vec<String>>>,
    /// The decoded `AUTH PLAIN` credentials (`\0user\0password`).
    auth: Arc<Mutex<Vec<String>>>,
}

/// Starts a sink speaking enough SMTP for lettre: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
/// QUIT. It runs until the test's runtime ends.
async fn start_sink(replies: Replies) -> (u16, Sink) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = Sink::default();
    let state = sink.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            let replies = replies.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut current = Received::default();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_owned();
                    state.commands.lock().unwrap().push(command.clone());
                    let upper = command.to_ascii_uppercase();
                    let reply: String = if upper.starts_with("EHLO") {
                        "250-sink\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8".into()
                    } else if upper.starts_with("AUTH PLAIN ") {
                        use base64::Engine as _;
                        let decoded = base64::engine::general_purpose::STANDARD
                            .decode(&command[11..])
                            .unwrap();
                        state
                            .auth
                            .lock()
                            .unwrap()
                            .push(String::from_utf8(decoded).unwrap());
                        replies.auth.into()
                    } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                        "250 ok".into()
                    } else if upper.starts_with("MAIL FROM:") {
                        current = Received {
                            mail_from: command[10..].to_owned(),
                            ..Received::default()
                        };
                        "250 ok".into()
                    } else if upper.starts_with("RCPT TO:") {
                        current.rcpt_to.push(command[8..].to_owned());
                        replies.rcpt.into()
                    } else if upper == "DATA" {
                        write
                            .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                            .await
                            .unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            // Undo dot-stuffing (RFC 5321 4.5.2).
                            let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                            data.push_str(unstuffed);
                        }
                        current.data = data;
                        state.received.lock().unwrap().push(current.clone());
                        replies.data_end.into()
                    } else if upper.starts_with("RSET") {
                        current = Received::default();
                        "250 ok".into()
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        "502 5.5.2 unknown command".into()
                    };
                    if write
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (port, sink)
}

const SECRET_PASSWORD: &str = "pw-Sup3rSecret";
const RECIPIENT: &str = "victim.person@example.org";

fn notifier(port: u16) -> EmailNotifier {
    let url = SmtpUrl::parse(&format!("smtp://mailer@127.0.0.1:{port}"), false).unwrap();
    EmailNotifier::builder(
        url,
        "Status Page <status@status.example.com>".parse().unwrap(),
    )
    // The sink offers no AUTH, so lettre never sends it; the password must still never
    // show in errors or Debug output.
    .password(SECRET_PASSWORD)
    .timeout(Duration::from_secs(5))
    .build()
    .unwrap()
}

fn message(subject: &str) -> EmailMessage {
    EmailMessage {
        to: Email::parse(RECIPIENT).unwrap(),
        subject: subject.into(),
        text: "The API is degraded.\nWe are on it.".into(),
        html: "<p>The API is <strong>degraded</strong>.</p>".into(),
        idempotency_key: "evt-42.sub-7.email".into(),
        list_unsubscribe: Some(
            HttpUrl::parse("https://status.example.com/subscribe/unsubscribe/TOKEN123").unwrap(),
        ),
        locale: "de".into(),
    }
}

/// The header block of a formatted message, unfolded, as (name, value) pairs.
fn headers(data: &str) -> Vec<(String, String)> {
    let head = data.split("\r\n\r\n").next().unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with(' ') || line.starts_with('\t') {
            out.last_mut().unwrap().1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            out.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    out
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn assert_no_secrets(err: &DeliveryError) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(RECIPIENT), "{text}");
    assert!(!text.contains("victim"), "{text}");
    assert!(!text.contains(SECRET_PASSWORD), "{text}");
}

#[tokio::test]
async fn delivers_multipart_with_unsubscribe_and_message_id_headers() {
    let (port, sink) = start_sink(Replies::default()).await;
    let email = notifier(port);
    email
        .deliver(&Message::Email(message("Störung: API <degraded>")))
        .await
        .unwrap();

    // The password given to the builder (as the CLI does from CACHET_SMTP_PASSWORD) replaced
    // none in the URL and reached the server.
    assert_eq!(
        *sink.auth.lock().unwrap(),
        [format!("\0mailer\0{SECRET_PASSWORD}")]
    );
    let received = sink.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.rcpt_to, [format!("<{RECIPIENT}>")]);
    assert!(mail.mail_from.starts_with("<status@status.example.com>"));

    let hs = headers(&mail.data);
    assert_eq!(
        header(&hs, "Message-ID"),
        ["<evt-42.sub-7.email@status.example.com>"]
    );
    assert_eq!(
        header(&hs, "List-Unsubscribe"),
        ["<https://status.example.com/subscribe/unsubscribe/TOKEN123>"]
    );
    assert_eq!(
        header(&hs, "List-Unsubscribe-Post"),
        ["List-Unsubscribe=One-Click"]
    );
    assert_eq!(header(&hs, "Content-Language"), ["de"]);
    assert_eq!(header(&hs, "To"), [RECIPIENT]);
    // The non-ASCII subject goes out RFC 2047-encoded.
    assert!(header(&hs, "Subject")[0].starts_with("=?utf-8?"));
    let content_type = header(&hs, "Content-Type")[0];
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );

    // Both parts, text first (the least preferred alternative comes first).
    let text_at = mail.data.find("Content-Type: text/plain").unwrap();
    let html_at = mail.data.find("Content-Type: text/html").unwrap();
    assert!(text_at < html_at);
    assert!(mail.data.contains("We are on it."));
    assert!(mail.data.contains("<strong>degraded</strong>"));
}

#[tokio::test]
async fn mails_without_unsubscribe_url_carry_no_list_headers() {
    let (port, sink) = start_sink(Replies::default()).await;
    let mut verification = message("Confirm your subscription");
    verification.list_unsubscribe = None;
    notifier(port)
        .deliver(&Message::Email(verification))
        .await
        .unwrap();
    let data = sink.received.lock().unwrap()[0].data.clone();
    let hs = headers(&data);
    assert!(header(&hs, "List-Unsubscribe").is_empty());
    assert!(header(&hs, "List-Unsubscribe-Post").is_empty());
}

#[tokio::test]
async fn pooled_transport_reuses_the_connection() {
    let (port, sink) = start_sink(Replies::default()).await;
    let email = notifier(port);
    for i in 0..3 {
        let mut m = message("Update");
        m.idempotency_key = format!("evt-{i}.sub-1.email");
        email.deliver(&Message::Email(m)).await.unwrap();
        // lettre hands a used connection back to the pool from a spawned task; let it run.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sink.received.lock().unwrap().len(), 3);
    let ehlos = sink
        .commands
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.starts_with("EHLO"))
        .count();
    assert_eq!(
        ehlos,
        1,
        "three mails over one pooled connection: {:?}",
        sink.commands.lock().unwrap()
    );
}

#[tokio::test]
async fn a_session_used_moments_ago_is_reused_as_is_and_an_idle_one_is_checked_first() {
    let (port, sink) = start_sink(Replies::default()).await;
    let email = notifier(port);
    let send = |i: usize| {
        let mut m = message("Update");
        m.idempotency_key = format!("evt-{i}.sub-1.email");
        Message::Email(m)
    };
    for i in 0..3 {
        email.deliver(&send(i)).await.unwrap();
    }
    let noops = |sink: &Sink| {
        sink.commands
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.eq_ignore_ascii_case("NOOP"))
            .count()
    };
    // Back-to-back mails: no NOOP round trip before each.
    assert_eq!(noops(&sink), 0, "{:?}", sink.commands.lock().unwrap());
    // A session idle for longer than a moment is asked whether it is still open first.
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    email.deliver(&send(3)).await.unwrap();
    let commands = sink.commands.lock().unwrap().clone();
    assert_eq!(noops(&sink), 1, "{commands:?}");
    let noop = commands.iter().position(|c| c == "NOOP").unwrap();
    assert!(
        commands[noop + 1].starts_with("MAIL FROM:"),
        "the NOOP comes before the mail: {commands:?}"
    );
    assert_eq!(
        commands.iter().filter(|c| c.starts_with("EHLO")).count(),
        1,
        "all four mails over one session: {commands:?}"
    );
    assert_eq!(sink.received.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn reply_4xx_is_transient_and_5xx_is_permanent_without_leaking_the_address() {
    let (port, _) = start_sink(Replies {
        rcpt: "450 4.2.1 <victim.person@example.org>: mailbox busy",
        ..Replies::default()
    })
    .await;
    let err = notifier(port)
        .deliver(&Message::Email(message("x")))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("450"), "{err}");
    assert_no_secrets(&err);

    let (port, _) = start_sink(Replies {
        rcpt: "550 5.1.1 <victim.person@example.org>: no such user",
        ..Replies::default()
    })
    .await;
    let err = notifier(port)
        .deliver(&Message::Email(message("x")))
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(err.to_string().contains("550"), "{err}");
    assert_no_secrets(&err);

    let (port, _) = start_sink(Replies {
        data_end: "554 5.7.1 message from victim.person@example.org rejected",
        ..Replies::default()
    })
    .await;
    let err = notifier(port)
        .deliver(&Message::Email(message("x")))
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert_no_secrets(&err);
}

#[tokio::test]
async fn a_refused_login_is_transient_and_does_not_leak_the_password() {
    let (port, sink) = start_sink(Replies {
        auth: "535 5.7.8 authentication failed for mailer:pw-Sup3rSecret",
        ..Replies::default()
    })
    .await;
    let err = notifier(port)
        .deliver(&Message::Email(message("x")))
        .await
        .unwrap_err();
    // The operator fixes the credentials; the notification should still go out then.
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("535"), "{err}");
    assert_no_secrets(&err);
    assert!(sink.received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn connection_refused_is_transient() {
    // Bind, learn a free port, close it: nothing listens there now.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let email = notifier(port);
    let err = email
        .deliver(&Message::Email(message("x")))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_no_secrets(&err);
    let debug = format!("{email:?}");
    assert!(!debug.contains(SECRET_PASSWORD), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[tokio::test]
async fn header_injection_through_the_subject_is_refused_and_never_sent() {
    let (port, sink) = start_sink(Replies::default()).await;
    let email = notifier(port);
    for subject in [
        "Outage\r\nBcc: all@evil.example",
        "Outage\nBcc: all@evil.example",
        "Outage\rBcc: all@evil.example",
        "Outage\r\n\r\n<html>phish</html>",
        "Outage\0Bcc: x@evil.example",
        "Outage\u{85}Bcc: x@evil.example",
        "Outage\u{1b}[31m",
    ] {
        let err = email
            .deliver(&Message::Email(message(subject)))
            .await
            .unwrap_err();
        assert!(!err.is_transient(), "{subject:?}");
        let from = "status@status.example.com".parse().unwrap();
        assert!(build_message(&from, &message(subject)).is_err());
    }
    assert!(sink.received.lock().unwrap().is_empty());
    assert!(
        sink.commands
            .lock()
            .unwrap()
            .iter()
            .all(|c| !c.to_ascii_lowercase().contains("evil"))
    );
}

#[tokio::test]
async fn header_lookalikes_stay_inside_their_header() {
    // Values that look like headers but hold no line break must stay one header's content.
    let from = "Status <status@status.example.com>".parse().unwrap();
    for subject in [
        "Outage Bcc: all@evil.example",
        "=?utf-8?b?QmNjOiB4QGV2aWwuZXhhbXBsZQ==?=",
        "Outage \u{2028} Bcc: x@evil.example \u{2029}",
        &"long ".repeat(100),
    ] {
        let bytes = build_message(&from, &message(subject)).unwrap().formatted();
        let text = String::from_utf8(bytes).unwrap();
        let hs = headers(&text);
        let names: Vec<String> = hs.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        assert!(!names.contains(&"bcc".to_owned()), "{subject:?}: {names:?}");
        assert_eq!(header(&hs, "Subject").len(), 1);
        assert_eq!(header(&hs, "To"), [RECIPIENT]);
        let head = text.split("\r\n\r\n").next().unwrap();
        // No bare CR or LF anywhere in the header block.
        assert!(!head.replace("\r\n", "").contains(['\r', '\n']));
    }
}

/// lettre folds a subject only at whitespace: an unbroken word too long for a header line is
/// refused (the `email_headers` fuzz target found a 1,033-byte one making a 1,042-octet line);
/// a word that fits still makes lines within RFC 5322's 998 octets.
#[test]
fn subject_words_too_long_for_a_header_line_are_refused() {
    let from = "Status <status@status.example.com>".parse().unwrap();
    for subject in ["x".repeat(901), format!("Outage {}", "Q".repeat(1_000))] {
        assert!(
            matches!(
                build_message(&from, &message(&subject)),
                Err(DeliveryError::Permanent(_))
            ),
            "{} bytes",
            subject.len()
        );
    }
    for subject in [
        "x".repeat(900),
        format!("{} {}", "a".repeat(900), "b".repeat(900)),
    ] {
        let bytes = build_message(&from, &message(&subject))
            .unwrap()
            .formatted();
        let text = String::from_utf8(bytes).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(line.len() <= 998, "{} octets", line.len());
        }
    }
}

#[tokio::test]
async fn a_body_with_smtp_commands_cannot_escape_data() {
    // RUSTSEC-2021-0069 shape: "." after a double CRLF, then commands.
    let (port, sink) = start_sink(Replies::default()).await;
    let mut m = message("Body test");
    m.text =
        "hi\r\n\r\n.\r\nMAIL FROM:<x@evil.example>\r\nRCPT TO:<y@evil.example>\r\nDATA\r\n".into();
    notifier(port).deliver(&Message::Email(m)).await.unwrap();
    let received = sink.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, [format!("<{RECIPIENT}>")]);
    assert!(
        sink.commands
            .lock()
            .unwrap()
            .iter()
            .all(|c| !c.contains("evil.example"))
    );
}

#[tokio::test]
async fn dkim_signs_the_list_unsubscribe_headers() {
    // A fixed Ed25519 test key in PKCS#8 (RFC 8410 prefix + 32-byte seed).
    let pem = "-----BEGIN PRIVATE KEY-----\n\
               MC4CAQAwBQYDK2VwBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\n\
               -----END PRIVATE KEY-----\n";
    let (port, sink) = start_sink(Replies::default()).await;
    let url = SmtpUrl::parse(&format!("smtp://127.0.0.1:{port}"), false).unwrap();
    let email = EmailNotifier::builder(url, "status@status.example.com".parse().unwrap())
        .dkim(Dkim::from_pem(pem, "cachet", "status.example.com").unwrap())
        .build()
        .unwrap();
    email
        .deliver(&Message::Email(message("Signed")))
        .await
        .unwrap();
    let data = sink.received.lock().unwrap()[0].data.clone();
    let hs = headers(&data);
    let signature = header(&hs, "DKIM-Signature");
    assert_eq!(signature.len(), 1);
    let sig = signature[0].replace([' ', '\t'], "");
    assert!(sig.contains("a=ed25519-sha256"), "{sig}");
    assert!(sig.contains("d=status.example.com"), "{sig}");
    assert!(sig.contains("s=cachet"), "{sig}");
    let h = sig
        .split(';')
        .find_map(|t| t.strip_prefix("h="))
        .unwrap()
        .to_owned();
    for needed in [
        "list-unsubscribe",
        "list-unsubscribe-post",
        "from",
        "subject",
    ] {
        assert!(h.split(':').any(|n| n == needed), "{needed} not in h={h}");
    }
    // `render` gives the same signed bytes without a server.
    let rendered = String::from_utf8(email.render(&message("Signed")).unwrap()).unwrap();
    assert_eq!(
        header(&headers(&rendered), "DKIM-Signature").len(),
        1,
        "{rendered}"
    );
}

#[tokio::test]
async fn an_sms_reaching_the_email_notifier_is_a_permanent_error_without_traffic() {
    let (port, sink) = start_sink(Replies::default()).await;
    let sms = Message::Sms(SmsMessage {
        to: PhoneNumber::parse("+14155550123").unwrap(),
        body: "API down".into(),
        idempotency_key: "evt-1.sub-2.sms".into(),
    });
    let err = notifier(port).deliver(&sms).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("the email notifier only delivers email messages".into())
    );
    assert!(sink.commands.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_chat_message_is_refused_as_permanent_without_traffic() {
    use cachet_core::notify::{ChatMessage, ChatPlatform, ChatSeverity};
    let (port, sink) = start_sink(Replies::default()).await;
    let chat = Message::Chat(ChatMessage {
        platform: ChatPlatform::Slack,
        url: HttpUrl::parse("https://hooks.slack.com/services/T0/B0/x").unwrap(),
        room: None,
        token: None,
        title: "t".into(),
        text: "x".into(),
        link: None,
        more_links: Vec::new(),
        severity: ChatSeverity::Info,
        idempotency_key: "k".into(),
    });
    let err = notifier(port).deliver(&chat).await.unwrap_err();
    assert_eq!(
        err,
        DeliveryError::Permanent("the email notifier only delivers email messages".into())
    );
    assert!(sink.commands.lock().unwrap().is_empty());
}
