#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Runs the two embedding examples as a user who copied one would: in an empty directory, with
//! only an SMTP relay beside them. The page is mounted under `/status` with the framework's own
//! nesting; a visitor subscribes and confirms through the mails the library's background work
//! sends; the host's own code reports an incident, and its mail reaches the subscriber; the
//! host's own route is watched by host health.

mod support;

use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use support::{Server, TempDir, free_port, http, http_head, smtp_sink};

/// The value of the first `name="..." value="..."` input named `name` in a page.
fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} input in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The plain-text part of a mail, with quoted-printable soft breaks and `=3D` undone.
fn mail_text(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

/// The first link in a mail that starts with `prefix`.
fn link(data: &str, prefix: &str) -> String {
    let text = mail_text(data);
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_owned()
}

fn next_mail(mails: &Receiver<(Vec<String>, String)>) -> (Vec<String>, String) {
    mails
        .recv_timeout(Duration::from_secs(30))
        .expect("a mail reached the SMTP sink")
}

fn check_embedding(bin: &str) {
    let dir = TempDir::new("embed");
    let (smtp_port, mails) = smtp_sink();
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir.path())
        .env("ADDR", format!("127.0.0.1:{port}"))
        .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("RUST_LOG", "warn");
    let mut server = Server::start(cmd, port);
    let first = server.line().expect("the example prints the setup link");
    assert!(
        first.contains(&format!("http://127.0.0.1:{port}/status/setup with token ")),
        "{first}"
    );
    let setup_token = first.rsplit(' ').next().unwrap().to_owned();
    // The key lives beside the database and is the owner's alone.
    let key = dir.path().join("cachet.key");
    assert!(key.exists() && dir.path().join("status.db").exists());
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // The page and every link on it answer under the mount point.
    let (status, page) = server.get("/status");
    assert_eq!(status, 200, "{page}");
    let mut links = 0;
    for href in page
        .split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
    {
        if href.starts_with("/status") {
            let (status, body) = server.get(href);
            assert_eq!(status, 200, "{href}: {body}");
            links += 1;
        }
    }
    assert!(links >= 5, "{links} links followed in {page}");
    assert!(
        page.contains("href=\"/status\""),
        "the home link is the mount point: {page}"
    );
    assert_eq!(server.get("/status/api/v1/ping").0, 200);

    // A visitor subscribes; the background work mails the confirmation link.
    let origin = format!("http://127.0.0.1:{port}");
    let form = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin.as_str()),
    ];
    let (_, page) = server.get("/status/subscribe");
    let body = format!(
        "_token={}&email=reader%40example.org",
        input_value(&page, "_token")
    );
    let (status, answer) = http(port, "POST", "/status/subscribe", &form, &body);
    assert_eq!(status, 200, "{answer}");
    let (rcpt, data) = next_mail(&mails);
    assert_eq!(rcpt, ["<reader@example.org>"]);
    let verify = link(&data, &format!("{origin}/status/subscribe/verify/"));
    let verify_path = &verify[origin.len()..];
    let (status, page) = server.get(verify_path);
    assert_eq!(status, 200, "{page}");
    let body = format!("_token={}", input_value(&page, "_token"));
    let (status, answer) = http(port, "POST", verify_path, &form, &body);
    assert_eq!(status, 200, "{answer}");

    // The first admin, with the printed token; the session cookie stays under the mount point.
    let (_, page) = server.get("/status/setup");
    let body = format!(
        "_token={}&token={setup_token}&site_name=Acme&name=Ops&email=ops%40example.com\
         &password=correct+horse+battery+staple+42",
        input_value(&page, "_token")
    );
    let head = http_head(port, "POST", "/status/setup", &form, &body);
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    let cookies: Vec<&str> = head
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .collect();
    assert!(!cookies.is_empty(), "{head}");
    for cookie in cookies {
        assert!(cookie.contains("; Path=/status;"), "{cookie}");
    }

    // The host's own code reports an incident; its mail reaches the subscriber.
    let (status, answer) = http(port, "POST", "/deploy-failed", &[], "");
    assert_eq!(status, 201, "{answer}");
    let (rcpt, data) = next_mail(&mails);
    assert_eq!(rcpt, ["<reader@example.org>"]);
    assert!(mail_text(&data).contains("Deploy failed"), "{data}");
    assert!(
        data.contains(&format!("List-Unsubscribe: <{origin}/status/unsubscribe/")),
        "{data}"
    );

    // The host's own route, watched by host health, answers as the host wrote it; the
    // component its rule names is on the page.
    assert_eq!(http(port, "POST", "/checkout", &[], "").0, 200);
    assert!(server.get("/status").1.contains("Checkout"));

    // The host's shutdown stops the background work with the server.
    server.signal("INT");
    assert!(server.wait_exit(Duration::from_secs(40)).success());
}

#[test]
fn the_axum_example_mounts_the_page_and_sends_the_hosts_incident_by_mail() {
    check_embedding(env!("CARGO_BIN_EXE_embed_axum"));
}

#[test]
fn the_actix_example_mounts_the_page_and_sends_the_hosts_incident_by_mail() {
    check_embedding(env!("CARGO_BIN_EXE_embed_actix"));
}
