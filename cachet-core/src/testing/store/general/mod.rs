//! Cross-cutting rules: unknown ids, atomicity and effects, the revision, paging, concurrency,
//! Unicode, limits, timestamps and property-based round trips.
//!
//! Split into one submodule per area; every check is re-exported here, so the check list
//! names it unqualified.

mod atomicity;
mod concurrency;
mod paging;
mod properties;
mod revisions;
mod round_trips;
mod unknown_ids;

pub use atomicity::*;
pub use concurrency::*;
pub use paging::*;
pub use properties::*;
pub use revisions::*;
pub use round_trips::*;
pub use unknown_ids::*;

use std::collections::BTreeSet;

use chrono::TimeDelta;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;

use super::*;
use crate::clock::from_micros;
use crate::testing::{ErrorKind, ensure, ensure_err, strategies};

const NOPE: i64 = 987_654;
