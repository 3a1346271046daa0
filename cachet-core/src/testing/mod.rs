//! The public Store conformance suite (not covered by semver).
