//! TOTP code input on a fixed clock: only the steps around now, and a code never again for its step.
//! The assertions live in `cachet_core::fuzzing::totp_input`, which the test suite also runs over
//! every committed input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_core::fuzzing::totp_input(data));
