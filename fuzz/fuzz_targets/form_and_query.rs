//! The lenient request input reader and API v1's page, sort and filter parameters.
//! The assertions live in `cachet_core::fuzzing::form_and_query`, which the test suite also runs over
//! every committed input.
#![no_main]

// The shared site is built before the first input, outside the per-input timeout.
libfuzzer_sys::fuzz_target!(init: cachet_core::fuzzing::init(), |data: &[u8]| {
    cachet_core::fuzzing::form_and_query(data)
});
