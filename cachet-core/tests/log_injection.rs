//! Log injection (CWE-117): nothing a client, a notifier or the database controls can forge a
//! log line or rewrite a terminal.
//!
//! - Hostile request paths (U+2028, U+2029, NEL, 8-bit CSI, bidi overrides: what `http::Uri`
//!   lets through from the wire), headers and queries are driven through `Cachet::handle`.
//! - A notifier whose failures carry CR/LF, ANSI escapes and NUL is driven through the
//!   `Dispatcher`.
//! - Every event is captured twice: as `tracing_subscriber::fmt` prints it (one write per
//!   event, which must be exactly one line with no raw control character but the final LF),
//!   and as the raw field values any subscriber receives (none may hold a character that
//!   `cachet_core::log::needs_escape` names, so a subscriber that escapes nothing is safe too).
//! - A source scan checks that every `tracing` call in the library crates logs each formatted
//!   field through `cachet_core::log::Escaped` or is on a reviewed list of values that are
//!   safe by type (ids, status codes, durations), so a new call site cannot silently log raw
//!   text.
//!
//! The SQLite-backed half (an error message the database itself makes up) is in
//! `cachet-store/tests/log_injection.rs`. Alone in its own test binary: `tracing` caches
//! per-callsite interest process-wide, and a parallel test registering a callsite without a
//! subscriber could hide events from this one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod common;
mod log_capture;
mod notify_support;

use std::sync::Arc;

use bytes::Bytes;
use http::Request;

use cachet_core::notify::DeliveryError;

use cachet_core::model::Role;
use common::*;
use log_capture::Captured;
use notify_support::*;

async fn new_store() -> Arc<dyn cachet_core::store::Store> {
    Arc::new(cachet_core::store::memory::MemoryStore::new())
}

/// The hostile texts: line breaks, a forged line, terminal escapes, NUL, Unicode separators,
/// C1 controls and a bidi override.
const HOSTILE: &[&str] = &[
    "a\r\nb",
    "\n2026-01-01T00:00:00Z  INFO forged: admin logged in",
    "\x1b[2J\x1b[1;1H\x1b]0;pwned\x07",
    "line\u{2028}separator\u{2029}paragraph",
    "nul\0byte",
    "nel\u{85}csi\u{9b}31m",
    "bidi\u{202e}txt.exe",
];

/// One hostile text holding all of the above.
fn all_hostile() -> String {
    HOSTILE.concat()
}

// ---- requests --------------------------------------------------------------------------

/// The hostile texts reduced to what a request target may hold (`http::Uri` refuses ASCII
/// controls and spaces but lets any other UTF-8 through, as hyper does from the wire).
fn hostile_paths() -> Vec<String> {
    let through_uri = [
        "x\u{2028}2026-01-01T00:00:00Z\u{2029}INFO",
        "nel\u{85}forged",
        "csi\u{9b}2J",
        "bidi\u{202e}gnp.exe",
        "%0d%0a2026-01-01T00:00:00Z%20INFO%20forged%1b[2J",
    ];
    let mut paths = Vec::new();
    for tail in through_uri {
        for prefix in [
            "/",
            "/incidents/",
            "/components/",
            "/api/v1/",
            "/api/v1/components/",
            "/api/v2/",
            "/dashboard/",
            "/subscribe/",
            "/auth/",
            "/feed/",
            "/badge/",
            "/metrics/",
        ] {
            paths.push(format!("{prefix}{tail}"));
        }
    }
    paths
}

fn request(method: &str, path: &str) -> Option<Request<Bytes>> {
    let mut b = Request::builder().method(method).uri(path);
    // Header values may carry obs-text (bytes 0x80 to 0xFF) and TAB from the wire.
    let hostile_header: &[u8] = b"\tx\xc2\x85y\xe2\x80\xa8z\xe2\x80\xae";
    for name in [
        "user-agent",
        "x-forwarded-for",
        "x-cachet-token",
        "cookie",
        "origin",
        "referer",
        "accept-language",
    ] {
        b = b.header(name, http::HeaderValue::from_bytes(hostile_header).ok()?);
    }
    b.body(Bytes::from_static(b"_token=%0d%0a&name=%1b[2J"))
        .ok()
}

#[tokio::test]
async fn hostile_requests_log_one_clean_line_each() {
    let cap = Captured::default();
    let _guard = cap.install();
    cap.probe();
    let h = Harness::new().await;
    let mut sent = 0;
    for path in hostile_paths() {
        for method in ["GET", "POST", "HEAD", "OPTIONS", "PATCH", "DELETE"] {
            let Some(req) = request(method, &path) else {
                continue;
            };
            h.cachet.handle(req, cx()).await;
            sent += 1;
        }
    }
    assert!(sent > 100, "the hostile requests were built ({sent})");
    // The access log did see the hostile paths, escaped (the test is not vacuous).
    let lines = cap.lines();
    assert!(
        lines.iter().any(|l| l.contains("\\u{2028}")),
        "the access log names the hostile path: {lines:#?}"
    );
    cap.assert_clean();
}

// ---- notifications ---------------------------------------------------------------------

#[tokio::test]
async fn notifier_failures_with_hostile_text_stay_one_line() {
    let cap = Captured::default();
    let _guard = cap.install();
    cap.probe();
    let h = Harness::new().await;
    let rec = Recorder::email();
    let d = dispatcher(&h.cachet, &rec);
    let hostile = all_hostile();
    // An SMTP server's reply or a webhook's error carries whatever the remote side sent.
    for _ in 0..3 {
        rec.then(Err(DeliveryError::Transient(format!("451 {hostile}"))));
    }
    rec.then(Err(DeliveryError::Permanent(format!("550 {hostile}"))));
    let c = make_component(&h.cachet, "API").await;
    for n in 0..3 {
        verified(&h.cachet, &format!("reader{n}@example.com"), &[c.id]).await;
    }
    h.cachet
        .create_incident(
            &cachet_core::Actor::operator(),
            &new_incident("Outage", &[c.id], true, true),
        )
        .await
        .unwrap();
    for _ in 0..6 {
        drain(&d).await;
        h.clock.advance(chrono::TimeDelta::minutes(30));
    }
    assert!(rec.calls() >= 4, "the failing deliveries were attempted");
    cap.assert_clean();
}

// ---- the formatter itself --------------------------------------------------------------

/// What `tracing_subscriber::fmt` does with raw text on its own (0.3.23): it escapes ESC but
/// writes CR/LF through, so the library must not rely on it. Documents why `Escaped` exists;
/// if a future tracing-subscriber escapes line breaks too, this test says so.
#[test]
fn fmt_alone_lets_a_line_break_through_and_escaped_does_not() {
    let cap = Captured::default();
    let _guard = cap.install();
    let hostile = "x\n2026-01-01T00:00:00Z  INFO forged";
    tracing::warn!(error = %hostile, "raw");
    tracing::warn!(error = %cachet_core::log::Escaped(hostile), "escaped");
    let lines = cap.lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].trim_end_matches('\n').contains('\n'),
        "fmt escapes line breaks now; Escaped is belt and braces: {lines:#?}"
    );
    assert!(
        !lines[1].trim_end_matches('\n').contains('\n'),
        "{lines:#?}"
    );
    assert!(lines[1].contains("x\\u{a}2026"), "{lines:#?}");
}

// ---- every call site -------------------------------------------------------------------

/// Field arguments that are safe by type and may be logged without `Escaped`: each was
/// reviewed (numbers, HTTP status codes, elapsed time, the hex request id, an HTTP method,
/// which is a token of visible ASCII).
const SAFE_BY_TYPE: &[&str] = &[
    "probe = 1",
    "event = event.id.get()",
    "delivery = d.id.get()",
    "schedule = s.id.get()",
    "request_id",
    "request_id = %id",
    "method = %method",
    "status = resp.status().as_u16()",
    "elapsed_ms = started.elapsed().as_millis() as u64",
    // Counts (u64, u32 and usize) in the dispatcher.
    "leases = n",
    "failures",
    "attempts = attempts.len()",
    // The configured SMS maximum of a day (u32).
    "daily_limit = limit",
    // A `&'static str` of the dispatcher's own (why a render waits for the store).
    "error = why",
    // Counts (u64 and usize) and a wait in milliseconds of the mirror's publish lines.
    "revision = report.revision",
    "objects = report.objects",
    "uploaded = report.uploaded",
    "deleted = report.deleted",
    "uploaded = 0",
    "deleted = 0",
    "retry_in_ms = wait.as_millis() as u64",
    // Host health: a component id (i64), the confirmed level (an enum of its own, no text)
    // and the tick's counts (usize).
    "component = id.get()",
    "state = ?w.hysteresis.confirmed",
    "changed = report.changed",
    "opened = report.opened",
    "resolved = report.resolved",
    "failed = report.failed",
    // Monitoring alerts: a component id (i64) and the evaluation's counts (usize).
    "component = component.get()",
    "settled = report.settled",
];

/// The library crates whose `tracing` calls are checked (the `cachet` binary and the
/// examples log operator-given values only, and their formatter escapes every field).
const LIBRARY_SOURCES: &[&str] = &[
    "cachet-core/src",
    "cachet-store/src",
    "cachet-notify/src",
    "cachet-axum/src",
    "cachet-actix/src",
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The arguments of the macro call whose `(` is at `open`, split at top-level commas; string
/// literals are kept whole (a message may hold commas and parentheses).
fn macro_args(src: &str, open: usize) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in src[open..].chars() {
        if in_str {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                current.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    args.push(current.trim().to_owned());
                    break;
                }
                current.push(c);
            }
            ',' if depth == 1 => args.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
    }
    args.retain(|a| !a.is_empty());
    args
}

/// Why one macro argument may reach the log, or `None` when it is fine.
fn unsafe_arg(arg: &str) -> Option<&'static str> {
    let arg = arg.split_whitespace().collect::<Vec<_>>().join(" ");
    if arg.starts_with("target:") || arg.starts_with("parent:") {
        return None;
    }
    if arg.starts_with('"') {
        // The message: constant text only; `{x}` would write a value raw.
        return (arg.contains('{') && !arg.contains("{{")).then_some("a value in the message");
    }
    if SAFE_BY_TYPE.contains(&arg.as_str()) {
        return None;
    }
    let value = arg.split_once(" = ").map_or(arg.as_str(), |(_, v)| v);
    let value = value.trim_start_matches(['%', '?']);
    if value.starts_with("crate::log::Escaped(")
        || value.starts_with("cachet_core::log::Escaped(")
        || value.starts_with("Escaped(")
    {
        return None;
    }
    Some("a field neither escaped nor safe by type")
}

#[test]
fn every_library_tracing_call_escapes_what_it_formats() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in LIBRARY_SOURCES {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "the sources were found ({})", files.len());
    let macro_start = regex_free_finder();
    let mut calls = 0;
    let mut problems = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file).unwrap();
        for open in macro_start(&src) {
            calls += 1;
            for arg in macro_args(&src, open) {
                if let Some(why) = unsafe_arg(&arg) {
                    let line = src[..open].lines().count();
                    problems.push(format!("{}:{line}: {why}: {arg}", file.display()));
                }
            }
        }
    }
    assert!(calls >= 20, "the tracing calls were found ({calls})");
    assert!(
        problems.is_empty(),
        "log with cachet_core::log::Escaped (or review the field into SAFE_BY_TYPE):\n{}",
        problems.join("\n")
    );
    // And the checker does catch a raw field.
    let probe_src = "tracing::warn!(error = %e, \"x\");";
    let open = macro_start(probe_src)[0];
    assert!(
        macro_args(probe_src, open)
            .iter()
            .any(|a| unsafe_arg(a).is_some())
    );
}

/// The offsets of the `(` of every `tracing` event or span macro call in a source text.
fn regex_free_finder() -> impl Fn(&str) -> Vec<usize> {
    |src: &str| {
        let mut found = Vec::new();
        for name in [
            "trace!", "debug!", "info!", "warn!", "error!", "event!", "span!",
        ] {
            for (at, _) in src.match_indices(name) {
                // `tracing::info!(`, `info!(`, `info_span!(` (as `span!` after `_`).
                let before = src[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric()) {
                    continue;
                }
                let rest = &src[at + name.len()..];
                let trimmed = rest.trim_start();
                if trimmed.starts_with('(') {
                    found.push(at + name.len() + (rest.len() - trimmed.len()));
                }
            }
        }
        found
    }
}

// ---- the audit log ---------------------------------------------------------------------

/// The audit log's free text: a host application's principal name becomes the actor label
/// (`host:<name>`), shown on the dashboard's audit page. It keeps no control character, line
/// separator or bidi override (the detail is a validated `Text`, the address an `IpAddr`).
#[tokio::test]
async fn audit_entries_hold_no_control_character_from_a_host_principal() {
    let h = Harness::new().await;
    // Each hostile text on its own (the label keeps 64 characters at most).
    for (n, hostile) in HOSTILE.iter().enumerate() {
        let actor = cachet_core::Actor::host(hostile, Role::Manager, ip(9));
        assert!(
            !actor.label().chars().any(cachet_core::log::needs_escape),
            "{:?}",
            actor.label()
        );
        h.cachet
            .create_component(&actor, &component(&format!("Audited {n}")))
            .await
            .unwrap();
    }
    let q = cachet_core::store::AuditQuery::filtered(cachet_core::store::AuditFilter::default());
    let events = h.store.audit_events(&q).await.unwrap().items;
    assert!(!events.is_empty(), "the write was audited");
    for e in events {
        for (field, text) in [
            ("actor", e.actor.as_str()),
            ("ip", e.ip.as_deref().unwrap_or("")),
        ] {
            assert!(
                !text.chars().any(cachet_core::log::needs_escape),
                "audit {field} holds a raw control character: {text:?}"
            );
        }
        // The detail is `Text`: line breaks and tabs only (shown HTML-escaped, never logged).
        assert!(
            !e.detail
                .as_str()
                .chars()
                .any(|c| cachet_core::log::needs_escape(c) && c != '\n' && c != '\t'),
            "{:?}",
            e.detail
        );
    }
}
