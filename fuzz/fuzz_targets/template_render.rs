//! Logic-less incident templates: a variable's value renders as inert text, never as markup.
//! The assertions live in `cachet_core::fuzzing::template_render`, which the test suite also runs over
//! every committed input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_core::fuzzing::template_render(data));
