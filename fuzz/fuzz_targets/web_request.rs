//! Arbitrary requests against the whole web layer as a guest, a signed-in admin and an API token: never a panic, never a 5xx.
//! The assertions live in `cachet_core::fuzzing::web_request`, which the test suite also runs over
//! every committed input.
#![no_main]

// The shared site is built before the first input, outside the per-input timeout.
libfuzzer_sys::fuzz_target!(init: cachet_core::fuzzing::init(), |data: &[u8]| {
    cachet_core::fuzzing::web_request(data)
});
