//! Incidents, incident updates, templates, maintenance schedules and their updates.
//!
//! Split into one submodule per area; every check is re-exported here, so the check list
//! names it unqualified.

mod filters;
mod lifecycle;
mod schedules;
mod templates;
mod updates;

pub use filters::*;
pub use lifecycle::*;
pub use schedules::*;
pub use templates::*;
pub use updates::*;

use serde_json::json;

use super::components::Key;
use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

fn affected(c: ComponentId, status: ComponentStatus) -> AffectedComponent {
    AffectedComponent {
        component_id: c,
        status,
    }
}
