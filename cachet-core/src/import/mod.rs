//! Importing a Cachet 2.4 or 3.x database: its rows, read as text by a backend reader
//! (`cachet_store::import`), mapped into a [`Dump`] that
//! [`BackupStore::load`](crate::store::BackupStore::load) loads into an empty store in one
//! transaction.
//!
//! Loading a dump is what makes the import safe: ids are kept (links such as
//! `/incidents/{id}` and monitors' `component_id`s keep working), nothing goes through the
//! facade's create paths, so no notification is queued for historical incidents, and the
//! whole import is one transaction with one audit entry ([`AuditAction::Import`]) that names
//! the source's fingerprint. A rerun against the store that holds that import changes nothing
//! ([`Outcome::AlreadyImported`]); any other non-empty store is refused.
//!
//! Every row is re-validated with the domain's own types (names, Markdown, URLs, addresses,
//! slugs, metric values); a row that fails, or that points at a row that is not imported
//! (an update of a missing incident), is left out and reported by table and id
//! ([`Plan::rejected`]) without stopping the others. Subscriber addresses are sealed with
//! their blind index and second-factor secrets sealed, exactly as the facade seals them.
//! Passwords stay Cachet's bcrypt hashes until the user's next sign-in replaces them with
//! argon2id; API keys are stored hashed, as our tokens are, with the scope the user's level
//! allows.
//!
//! The schema is Cachet's own, told by its `migrations` table ([`SchemaVersion::detect`]):
//! 2.4's migrations replayed in order give the column set [`SOURCE_TABLES`] reads (the table
//! must end with [`CACHET_24_LAST_MIGRATION`]); cachethq/core's, up to
//! [`CACHET_3_LAST_MIGRATION`], the set [`CACHET3_TABLES`] reads. Both go through the same
//! mappers, which read each version's columns; the API keys of 3.x are Sanctum tokens whose
//! SHA-256 is exactly the hash our tokens are stored by, so they keep working. A 3.x that
//! was upgraded in place from 2.4 ([`SchemaVersion::Cachet3From24`], told by 2.4's `users`
//! migrations among 3.x's) reads 3.x's tables with 2.4's `users`
//! ([`CACHET3_FROM_24_TABLES`]): its users keep 2.4's level where 3.x set no admin, and
//! both 2.4's `api_key`s and 3.x's Sanctum keys become tokens.

use std::collections::BTreeMap;

use crate::clock::Timestamp;
use crate::model::{AuditAction, AuditOutcome, EntityKind};
use crate::secrets::{Keyring, SecretError};
use crate::store::backup::{Dump, NOT_EMPTY_ENTITY, Value};
use crate::store::query::{AuditFilter, AuditQuery};
use crate::store::{Store, StoreError};

use builder::{Builder, int, text};

mod builder;
mod cachet3;
mod components;
mod incidents;
mod metrics;
mod people;
mod settings;
mod source;
mod subscribers;
#[cfg(test)]
mod tests;
mod tokens;
mod updates;
mod version;

pub use cachet3::{CACHET3_FROM_24_TABLES, CACHET3_TABLES};
pub use source::{SOURCE_TABLES, Source, SourceRow, SourceTable};
pub use version::{
    CACHET_3_FIRST_MIGRATION, CACHET_3_LAST_MIGRATION, CACHET_24_LAST_MIGRATION,
    CACHET_24_USERS_MIGRATIONS, SchemaVersion,
};

/// What the import reads.
pub const SOURCE_NAME: &str = "Cachet 2.4 or 3.x";

/// Why an import failed as a whole. Bad rows are not errors: they are [`Plan::rejected`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The source is neither a Cachet 2.4 database nor one of the supported 3.x schema.
    #[error(
        "not a {SOURCE_NAME} database this import reads: found {found}; expected Cachet 2.4 (last migration `{CACHET_24_LAST_MIGRATION}`) or Cachet 3.x (migrations up to `{CACHET_3_LAST_MIGRATION}`)"
    )]
    UnsupportedVersion {
        /// What the `migrations` table ends with.
        found: String,
    },
    /// The target store holds data that is not this import.
    #[error(
        "the target database is not empty and does not hold this import of the source (the source changed since it was imported, or the database holds other data): import only loads into a freshly created, empty database"
    )]
    NotEmpty,
    /// Sealing an address or a secret failed.
    #[error("sealing: {0}")]
    Seal(#[from] SecretError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
}

/// A source row left out, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The Cachet table.
    pub table: &'static str,
    /// The row's id (`None` when it has none that parses).
    pub id: Option<i64>,
    /// Why: the field and the rule, or the missing parent.
    pub reason: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "{} id {}: {}", self.table, id, self.reason),
            None => write!(f, "{}: {}", self.table, self.reason),
        }
    }
}

/// Rows read and imported per Cachet table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// The Cachet table.
    pub table: &'static str,
    /// Rows read.
    pub read: usize,
    /// Rows that became rows here.
    pub imported: usize,
}

/// What an import will write, before anything is written.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The rows to load.
    pub dump: Dump,
    /// Per Cachet table, rows read and imported.
    pub counts: Vec<TableCount>,
    /// Rows left out, by table and id.
    pub rejected: Vec<Rejected>,
    /// Rows read but deliberately not carried (soft-deleted rows, Cachet settings with no
    /// counterpart here), by table.
    pub skipped: BTreeMap<&'static str, usize>,
    /// API keys imported as tokens.
    pub api_tokens: usize,
    /// The source's fingerprint ([`Source::fingerprint`]).
    pub fingerprint: String,
    /// The schema the source has.
    pub version: SchemaVersion,
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The rows were loaded.
    Imported,
    /// The store already holds this import; nothing was written.
    AlreadyImported,
}

/// The audit detail that names an import's source; [`apply`] looks for the fingerprint
/// part of it on a rerun.
fn audit_marker(version: SchemaVersion, fingerprint: &str) -> String {
    format!("{version} {}", fingerprint_marker(fingerprint))
}

fn fingerprint_marker(fingerprint: &str) -> String {
    format!("source sha256 {fingerprint}")
}

/// Whether `store` holds the import of the source with this fingerprint.
///
/// # Errors
///
/// [`ImportError::Store`].
pub async fn already_imported<S: Store + ?Sized>(
    store: &S,
    fingerprint: &str,
) -> Result<bool, ImportError> {
    let q = AuditQuery::filtered(AuditFilter {
        action: Some(AuditAction::Import),
        entity: Some(EntityKind::Site),
        ..AuditFilter::default()
    });
    let marker = fingerprint_marker(fingerprint);
    let page = store.audit_events(&q).await.map_err(ImportError::Store)?;
    Ok(page
        .items
        .iter()
        .any(|e| e.detail.as_str().contains(&marker)))
}

/// Loads a plan into `store` in one transaction; a rerun against the store that holds this
/// import writes nothing.
///
/// # Errors
///
/// [`ImportError::NotEmpty`] for a store that holds anything else, [`ImportError::Store`].
pub async fn apply<S: Store + ?Sized>(store: &S, plan: &Plan) -> Result<Outcome, ImportError> {
    if already_imported(store, &plan.fingerprint).await? {
        return Ok(Outcome::AlreadyImported);
    }
    match store.load(&plan.dump).await {
        Ok(()) => Ok(Outcome::Imported),
        Err(StoreError::Conflict { entity, .. }) if entity == NOT_EMPTY_ENTITY => {
            Err(ImportError::NotEmpty)
        }
        Err(e) => Err(ImportError::Store(e)),
    }
}

/// Maps a Cachet source into the rows to load, sealing with `keyring`, stamped `now`. Pure
/// apart from the random nonces of sealing: nothing is read or written.
///
/// # Errors
///
/// [`ImportError::UnsupportedVersion`] for any schema but 2.4's and the supported 3.x set;
/// [`ImportError::Seal`].
pub fn plan(source: &Source, keyring: &Keyring, now: Timestamp) -> Result<Plan, ImportError> {
    let version = source.check_version()?;
    let at = now.timestamp_micros();
    let mut b = Builder::new();
    for (table, id, column) in source::not_utf8(source) {
        b.reject(table, id, format!("{column}: not valid UTF-8"));
    }
    let locale = settings::map_settings(&mut b, source, version);
    let groups = components::map_groups(&mut b, source, version, at);
    let components = components::map_components(&mut b, source, version, &groups, at);
    components::map_tags(&mut b, source, &components);
    let users = people::map_users(&mut b, source, version, keyring, at)?;
    let api_tokens = match version {
        SchemaVersion::Cachet24 => people::map_api_tokens(&mut b, source, &users, 1, at),
        SchemaVersion::Cachet3 => tokens::map_sanctum_tokens(&mut b, source, &users, at).0,
        SchemaVersion::Cachet3From24 => {
            // Sanctum's keys keep their ids (a key written `<id>|...` must find its own);
            // 2.4's keys, still in `users`, are numbered after them.
            let (sanctum, last_id) = tokens::map_sanctum_tokens(&mut b, source, &users, at);
            sanctum + people::map_api_tokens(&mut b, source, &users, last_id + 1, at)
        }
    };
    let incidents = incidents::map_incidents(&mut b, source, version, &users, &components, at);
    incidents::map_templates(&mut b, source, at);
    let schedules = incidents::map_schedules(&mut b, source, version, &components, at);
    if version.is_cachet3() {
        updates::map_updates(&mut b, source, &incidents, &schedules, &users, at);
        cachet3::count_meta(&mut b, source);
        cachet3::report_webhooks(&mut b, source);
    }
    metrics::map_metrics(&mut b, source, at);
    subscribers::map_subscribers(&mut b, source, keyring, &components, &locale, at)?;
    let fingerprint = source.fingerprint();
    let detail = format!(
        "{}: {} rows read, {} imported, {} rejected",
        audit_marker(version, &fingerprint),
        b.counts.iter().map(|c| c.read).sum::<usize>(),
        b.counts.iter().map(|c| c.imported).sum::<usize>(),
        b.rejected.len()
    );
    b.push(
        "audit_events",
        vec![
            int(1),
            int(at),
            Value::Null,
            Value::Null,
            text("cachet import"),
            text(AuditAction::Import.as_str()),
            text(EntityKind::Site.as_str()),
            Value::Null,
            Value::Null,
            text(AuditOutcome::Success.as_str()),
            text(detail),
        ],
    );
    for t in &mut b.dump.tables {
        t.sort_by_key();
    }
    Ok(Plan {
        dump: b.dump,
        counts: b.counts,
        rejected: b.rejected,
        skipped: b.skipped,
        api_tokens,
        fingerprint,
        version,
    })
}
