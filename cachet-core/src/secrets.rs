//! The keyring. (Filled in by the secrets work of issue 2.)
