//! Markdown rendering and sanitizing: never panics, nothing executable survives, and
//! sanitizing the output again changes nothing.
#![no_main]

use cachet_core::sanitize::{render_markdown, sanitize_html};
use cachet_core::validate::Markdown;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let Ok(src) = Markdown::parse(data) else { return };
    let html = render_markdown(&src);
    let out = html.as_str();
    assert_eq!(sanitize_html(out), out, "sanitizing again changed the output");
    let lower = out.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script survived");
    assert!(!lower.contains("javascript:"), "javascript: URL survived");
});
