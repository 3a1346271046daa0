//! Every validator on arbitrary text: no panic, accepted values are fixed points and hold their invariants.
//! The assertions live in `cachet_core::fuzzing::validate_inputs`, which the test suite also runs over
//! every committed input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_core::fuzzing::validate_inputs(data));
