//! A `tracing` capture for the log-injection tests (`cachet-core/tests/log_injection.rs`,
//! `cachet-store/tests/log_injection.rs`): each event as `tracing_subscriber::fmt` writes it,
//! and each raw field value as any subscriber receives it.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt as _;

use cachet_core::log::needs_escape;

/// What the subscriber saw: each `fmt` event as written, and each raw field value.
#[derive(Clone, Default)]
pub struct Captured {
    lines: Arc<Mutex<Vec<String>>>,
    fields: Arc<Mutex<Vec<(String, String)>>>,
}

/// `fmt` asks for one writer per event and writes the formatted event in one go; the writer
/// hands its bytes over when dropped, so each entry is exactly one event.
pub struct EventWriter {
    buf: Vec<u8>,
    out: Arc<Mutex<Vec<String>>>,
}

impl std::io::Write for EventWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            self.out.lock().unwrap().push(text);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = EventWriter;
    fn make_writer(&'a self) -> EventWriter {
        EventWriter {
            buf: Vec::new(),
            out: self.lines.clone(),
        }
    }
}

/// Records each field value as a subscriber that prints `Debug` (or a raw `&str`) would.
pub struct RawFields(Arc<Mutex<Vec<(String, String)>>>);

impl tracing::field::Visit for RawFields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        // For a `%` field, `Debug` is the value's `Display`; for the message, its text.
        let shown = format!("{value:?}");
        self.0
            .lock()
            .unwrap()
            .push((field.name().to_owned(), shown));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0
            .lock()
            .unwrap()
            .push((field.name().to_owned(), value.to_owned()));
    }
}

pub struct RawLayer(Arc<Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RawLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        event.record(&mut RawFields(self.0.clone()));
    }
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        attrs.record(&mut RawFields(self.0.clone()));
    }
}

impl Captured {
    /// Installs the capture for the current thread (the tests run on a current-thread
    /// runtime, so every event of the code under test lands here).
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(self.clone())
                    .with_ansi(false),
            )
            .with(RawLayer(self.fields.clone()))
            .with(tracing_subscriber::filter::LevelFilter::TRACE);
        tracing::subscriber::set_default(subscriber)
    }

    /// Logs a probe event and checks that it was captured.
    pub fn probe(&self) {
        tracing::info!(probe = 1, "probe");
        assert!(
            self.lines().iter().any(|l| l.contains("probe")),
            "capture works"
        );
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Every event one line, nothing raw in it or in any field value.
    pub fn assert_clean(&self) {
        let lines = self.lines();
        assert!(
            !lines.is_empty(),
            "nothing was logged: the capture is broken"
        );
        for event in &lines {
            let body = event
                .strip_suffix('\n')
                .unwrap_or_else(|| panic!("an event without its final newline: {event:?}"));
            let bad: Vec<char> = body.chars().filter(|c| needs_escape(*c)).collect();
            assert!(
                bad.is_empty(),
                "an event holds raw {bad:?}, so it can forge lines or rewrite a terminal: {event:?}"
            );
        }
        for (name, value) in self.fields.lock().unwrap().iter() {
            let bad: Vec<char> = value.chars().filter(|c| needs_escape(*c)).collect();
            assert!(
                bad.is_empty(),
                "field {name} hands raw {bad:?} to the subscriber: {value:?}"
            );
        }
    }
}
