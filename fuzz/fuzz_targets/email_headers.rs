//! Notification mails: untrusted subjects, locales, URLs and addresses never add a header
//! line. The assertions live in `cachet_fuzz::email_headers` (src/lib.rs), because they need
//! cachet-notify; the CI smoke replays its committed inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_fuzz::email_headers(data));
