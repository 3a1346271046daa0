//! Users, 2FA, API tokens, sessions, login throttling and one-time tokens.
//!
//! Split into one submodule per area; every check is re-exported here, so the check list
//! names it unqualified.

mod api_tokens;
mod one_time_tokens;
mod sessions;
mod throttling;
mod two_factor;
mod users;

pub use api_tokens::*;
pub use one_time_tokens::*;
pub use sessions::*;
pub use throttling::*;
pub use two_factor::*;
pub use users::*;

use chrono::TimeDelta;

use super::components::Key;
use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};
