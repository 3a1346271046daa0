//! Session cookies, API tokens, CSRF tokens and signed links: no panic, nothing forged verifies.
//! The assertions live in `cachet_core::fuzzing::cookie_and_token`, which the test suite also runs over
//! every committed input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_core::fuzzing::cookie_and_token(data));
