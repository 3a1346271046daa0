//! The binary's log output: `--log-format text` (the default, `tracing_subscriber::fmt`'s
//! line format with every field escaped by [`crate::escaping_fields`]) or `--log-format json`
//! (one JSON object per line, for log shippers).
//!
//! JSON output keeps the one-event-one-line rule too: serde_json escapes the C0 controls
//! (CR, LF, NUL, ESC) inside strings, but writes DEL, the C1 controls, the Unicode line
//! separators and the bidirectional controls raw, which a terminal or a log viewer may still
//! act on. [`JsonLineWriter`] rewrites each of those as a `\uXXXX` escape before the line is
//! written. That is always valid: JSON's structure is ASCII, so such a character can only sit
//! inside a string, where `\uXXXX` stands for the same character. Values the library logs
//! are escaped with [`cachet_core::log::Escaped`] before they reach the formatter at all.

use std::io::{IsTerminal as _, Write};

use cachet_core::log::needs_escape;

use crate::cli::LogFormat;

/// Sets up logging to standard error in a format: `RUST_LOG` if set, else `default` (for
/// example `info`).
///
/// Every field and the message go through [`cachet_core::log::Escaped`] (text) or the JSON
/// writer's escaping (json): the library already escapes each value a user or the database
/// influences, and this second layer keeps the binary's output one line per event even for a
/// field someone forgets to wrap (and for the messages, whose `{...}` arguments the formatter
/// writes raw). `tracing_subscriber::fmt` itself escapes ESC and C1 controls but not CR, LF
/// or NUL (tracing-subscriber 0.3.23).
pub fn init(default: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .fmt_fields(crate::escaping_fields())
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(|| JsonLineWriter::new(std::io::stderr()))
            .try_init(),
    };
}

/// A writer for one JSON log event: collects what the formatter writes and, when dropped,
/// writes it to the inner writer in one piece with every character [`needs_escape`] holds
/// for (other than the line's final newline) as a `\uXXXX` escape.
#[derive(Debug)]
pub struct JsonLineWriter<W: Write> {
    buffer: Vec<u8>,
    inner: W,
}

impl<W: Write> JsonLineWriter<W> {
    /// A writer for one event into `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            buffer: Vec::with_capacity(256),
            inner,
        }
    }
}

/// A JSON line with every character that could break or disguise it escaped (see the module
/// docs). A raw newline can only be the formatter's own line end: serde_json escapes one
/// inside a string, so it is kept.
#[must_use]
pub fn escape_json_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c != '\n' && needs_escape(c) {
            // Every such character is in the Basic Multilingual Plane: four hex digits.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

impl<W: Write> Write for JsonLineWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for JsonLineWriter<W> {
    fn drop(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buffer);
        // Logging has nowhere to report its own failure.
        let _ = self.inner.write_all(escape_json_line(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_serde_json_leaves_raw_are_escaped_and_the_json_still_parses() {
        let raw = "{\"m\":\"a\u{7f}b\u{85}c\u{2028}d\u{202e}e\"}\n";
        let escaped = escape_json_line(raw);
        assert_eq!(escaped, "{\"m\":\"a\\u007fb\\u0085c\\u2028d\\u202ee\"}\n");
        let parsed: serde_json::Value =
            serde_json::from_str(escaped.trim_end()).expect("still JSON");
        assert_eq!(parsed["m"], "a\u{7f}b\u{85}c\u{2028}d\u{202e}e");
    }
}
