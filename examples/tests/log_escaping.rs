//! The `cachet` binary's log formatter (`cachet_examples::escaping_fields`): whatever a field
//! or a message argument holds, each event is one line without a raw control character.
//! `tracing_subscriber::fmt`'s own formatter lets CR/LF through (shown by
//! `cachet-core/tests/log_injection.rs`); this one must not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter as _;

/// One entry per event: `fmt` asks for a writer per event and writes it in one go.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

struct EventWriter(Vec<u8>, Arc<Mutex<Vec<String>>>);

impl std::io::Write for EventWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0).into_owned();
        self.1.lock().unwrap().push(text);
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Events {
    type Writer = EventWriter;
    fn make_writer(&'a self) -> EventWriter {
        EventWriter(Vec::new(), self.0.clone())
    }
}

#[test]
fn the_binary_formatter_keeps_every_event_on_one_clean_line() {
    let events = Events::default();
    let subscriber = tracing_subscriber::fmt()
        .fmt_fields(cachet_examples::escaping_fields())
        .with_writer(events.clone())
        .with_ansi(false)
        .finish();
    let hostile = "x\r\n2026-01-01T00:00:00Z  INFO forged\x1b[2J\0\u{2028}\u{85}\u{202e}";
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(error = %hostile, "display field");
        tracing::warn!(error = ?hostile, "debug field");
        tracing::warn!(host = hostile, "str field");
        tracing::warn!("message argument {hostile}");
        tracing::info!(count = 3, flag = true, "plain fields");
    });
    let events = events.0.lock().unwrap().clone();
    assert_eq!(events.len(), 5, "{events:#?}");
    for event in &events {
        let body = event.strip_suffix('\n').expect("ends with a newline");
        assert!(
            !body.chars().any(cachet_core::log::needs_escape),
            "raw control character in {event:?}"
        );
    }
    // The ordinary fields and the message read as before.
    assert!(
        events[4].contains("plain fields count=3 flag=true"),
        "{events:#?}"
    );
    assert!(
        events[3].contains("message argument x\\u{d}\\u{a}2026"),
        "{events:#?}"
    );
}

/// `--log-format json`: each event is one JSON object on one line, still without a raw
/// control character (serde_json leaves DEL, C1, U+2028 and bidi controls raw; the binary's
/// writer escapes them), and the hostile text reads back unchanged from the JSON.
#[test]
fn json_lines_are_one_clean_object_per_event() {
    let events = Events::default();
    let sink = events.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || cachet_examples::logging::JsonLineWriter::new(sink.make_writer()))
        .finish();
    let hostile = "x\r\n2026-01-01T00:00:00Z  INFO forged\x1b[2J\0\u{7f}\u{2028}\u{85}\u{202e}";
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(error = %hostile, "display field");
        tracing::warn!(error = ?hostile, "debug field");
        tracing::warn!(host = hostile, "str field");
        tracing::warn!("message argument {hostile}");
    });
    let events = events.0.lock().unwrap().clone();
    assert_eq!(events.len(), 4, "{events:#?}");
    for event in &events {
        let body = event.strip_suffix('\n').expect("ends with a newline");
        assert!(
            !body.chars().any(cachet_core::log::needs_escape),
            "raw control character in {event:?}"
        );
        let parsed: serde_json::Value = serde_json::from_str(body).expect("one JSON object");
        assert_eq!(parsed["level"], "WARN");
    }
    let str_field: serde_json::Value = serde_json::from_str(events[2].trim_end()).expect("JSON");
    assert_eq!(str_field["fields"]["host"], hostile);
    let message: serde_json::Value = serde_json::from_str(events[3].trim_end()).expect("JSON");
    assert_eq!(
        message["fields"]["message"],
        format!("message argument {hostile}")
    );
}
