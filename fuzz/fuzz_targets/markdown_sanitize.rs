//! Markdown rendering and raw-HTML sanitizing: nothing executable survives (checked on the parsed DOM), and sanitizing again changes nothing.
//! The assertions live in `cachet_core::fuzzing::markdown_sanitize`, which the test suite also runs over
//! every committed input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_core::fuzzing::markdown_sanitize(data));
