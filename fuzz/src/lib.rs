//! Harnesses that cannot live in `cachet_core::fuzzing` because they need another crate of
//! the workspace. Today: `email_headers` over `cachet_notify::build_message`.
//!
//! These inputs are replayed by the CI fuzz smoke (libFuzzer runs every corpus and regression
//! input before mutating); `cargo test` in `fuzz/` replays them too.

use cachet_core::notify::EmailMessage;
use cachet_core::validate::{Email, HttpUrl};
use cachet_notify::{Mailbox, build_message};

/// The header fields a notification mail may carry at the top level, each at most once.
const ALLOWED_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "content-language",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Email building: header values from untrusted text (subject from incident names, locale,
/// the unsubscribe URL, the recipient) can never add a header line. Whatever
/// `build_message` accepts serializes to a header block with CRLF line ends only, no header
/// outside [`ALLOWED_HEADERS`], none twice, and no line over RFC 5322's 998 octets.
///
/// Input: subject, locale, unsubscribe URL and recipient on the first four lines, the body
/// after.
pub fn email_headers(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(5, '\n');
    let subject = parts.next().unwrap_or_default();
    let locale = parts.next().unwrap_or("en");
    let url = parts.next().unwrap_or_default();
    let to = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let Some(to) = Email::parse(to)
        .ok()
        .or_else(|| Email::parse("someone@example.com").ok())
    else {
        return;
    };
    let message = EmailMessage {
        to,
        subject: subject.to_owned(),
        text: body.to_owned(),
        html: cachet_core::sanitize::escape_text(body),
        idempotency_key: "event-1.subscriber-2.email".to_owned(),
        list_unsubscribe: HttpUrl::parse(url).ok(),
        locale: locale.to_owned(),
    };
    let Ok(from) = "Status <status@example.com>".parse::<Mailbox>() else {
        return;
    };
    let Ok(built) = build_message(&from, &message) else {
        return;
    };
    let bytes = built.formatted();
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header/body separator"));
    let head = &bytes[..end];
    for (i, b) in head.iter().enumerate() {
        if *b == b'\n' {
            assert!(i > 0 && head[i - 1] == b'\r', "bare LF in the header block");
        }
        if *b == b'\r' {
            assert_eq!(head.get(i + 1), Some(&b'\n'), "bare CR in the header block");
        }
        assert_ne!(*b, 0, "NUL in the header block");
    }
    let head = String::from_utf8_lossy(head);
    let mut seen: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        assert!(line.len() <= 998, "header line over 998 octets");
        if line.starts_with([' ', '\t']) {
            continue; // a folded continuation of the previous field
        }
        let name = line
            .split_once(':')
            .map(|(n, _)| n.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("not a header line: {line:?}"));
        assert!(
            ALLOWED_HEADERS.contains(&name.as_str()),
            "unexpected header {name:?} from subject {subject:?} / locale {locale:?}"
        );
        assert!(!seen.contains(&name), "header {name} twice");
        seen.push(name);
    }
    assert!(seen.iter().any(|n| n == "subject"));
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_inputs_replay() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for kind in ["corpus", "regressions"] {
            let Ok(dir) = std::fs::read_dir(root.join(kind).join("email_headers")) else {
                continue;
            };
            for f in dir {
                super::email_headers(&std::fs::read(f.unwrap().path()).unwrap());
            }
        }
    }

    #[test]
    fn injection_attempts_add_no_header() {
        for subject in [
            "Outage\r\nBcc: all@evil.example",
            "Outage\nBcc: all@evil.example",
            "Outage\r\n\r\n<html>phish</html>",
            "=?utf-8?q?x?=\r\nBcc: x@evil.example",
            "Ümlaut outage with a rather long subject that lettre will have to encode and fold across lines",
        ] {
            super::email_headers(
                format!("{subject}\nen\nhttps://s.example/u/1\nv@example.com\nbody").as_bytes(),
            );
        }
    }
}
