//! Importing a Cachet 2.4 database: its rows, read as text by a backend reader
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
//! The schema is Cachet's own: its 2.4 migrations replayed in order give the final column
//! set [`SOURCE_TABLES`] reads, and the `migrations` table must end with
//! [`CACHET_24_LAST_MIGRATION`].

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::auth::tokens::{hash_secret, is_legacy_cachet_api_token};
use crate::auth::totp;
use crate::clock::Timestamp;
use crate::model::{
    AuditAction, AuditOutcome, CalcType, Collapsed, ComponentStatus, DateStyle, EntityKind,
    GroupVisibility, IncidentStatus, MetricView, Role, ScheduleStatus, SettingKey, Settings,
    StatusCauseKind, TokenScope, Visibility,
};
use crate::secrets::{Keyring, SecretError};
use crate::store::backup::{Dump, NOT_EMPTY_ENTITY, TABLES, TableRows, Value};
use crate::store::query::{AuditFilter, AuditQuery};
use crate::store::{Store, StoreError};
use crate::validate::{
    Email, HttpUrl, Locale, Markdown, Meta, MetricValue, Name, Order, Places, Slug, Text, Threshold,
};

/// What the import reads: Cachet 2.4.
pub const SOURCE_NAME: &str = "Cachet 2.4";
/// The last migration of Cachet's 2.4 branch: a database whose `migrations` table ends
/// with it has exactly the schema [`SOURCE_TABLES`] describes.
pub const CACHET_24_LAST_MIGRATION: &str = "2019_12_12_131400_AlterJobsDropReserved";

/// One Cachet table and the columns the import reads from it (the final 2.4 shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceTable {
    /// Its name, without the installation's table prefix.
    pub name: &'static str,
    /// The columns read, in the order a [`SourceRow`] holds them; the first is `id`.
    pub columns: &'static [&'static str],
}

const fn src(name: &'static str, columns: &'static [&'static str]) -> SourceTable {
    SourceTable { name, columns }
}

/// Every Cachet table the import reads, parents first. Cachet's own bookkeeping (`jobs`,
/// `failed_jobs`, `sessions`, `cache`, `notifications`, `actions`, `invites`) has nothing a
/// new site should keep.
pub static SOURCE_TABLES: &[SourceTable] = &[
    src("settings", &["id", "name", "value"]),
    src(
        "component_groups",
        &[
            "id",
            "name",
            "order",
            "collapsed",
            "visible",
            "created_at",
            "updated_at",
        ],
    ),
    src(
        "components",
        &[
            "id",
            "name",
            "description",
            "link",
            "status",
            "order",
            "group_id",
            "enabled",
            "meta",
            "created_at",
            "updated_at",
            "deleted_at",
        ],
    ),
    src("tags", &["id", "name", "slug"]),
    src(
        "taggables",
        &["id", "tag_id", "taggable_id", "taggable_type"],
    ),
    src(
        "users",
        &[
            "id",
            "username",
            "password",
            "google_2fa_secret",
            "email",
            "api_key",
            "active",
            "level",
            "created_at",
            "updated_at",
        ],
    ),
    src(
        "incidents",
        &[
            "id",
            "user_id",
            "name",
            "status",
            "visible",
            "stickied",
            "notifications",
            "message",
            "occurred_at",
            "created_at",
            "updated_at",
            "deleted_at",
        ],
    ),
    src(
        "incident_components",
        &["id", "incident_id", "component_id", "status_id"],
    ),
    src(
        "incident_updates",
        &[
            "id",
            "incident_id",
            "status",
            "message",
            "user_id",
            "created_at",
            "updated_at",
        ],
    ),
    src(
        "incident_templates",
        &[
            "id",
            "name",
            "slug",
            "template",
            "created_at",
            "updated_at",
            "deleted_at",
        ],
    ),
    src(
        "schedules",
        &[
            "id",
            "name",
            "message",
            "status",
            "scheduled_at",
            "completed_at",
            "created_at",
            "updated_at",
            "deleted_at",
        ],
    ),
    src(
        "schedule_components",
        &["id", "schedule_id", "component_id"],
    ),
    src(
        "metrics",
        &[
            "id",
            "name",
            "suffix",
            "description",
            "default_value",
            "calc_type",
            "display_chart",
            "places",
            "default_view",
            "threshold",
            "order",
            "visible",
            "created_at",
            "updated_at",
        ],
    ),
    src(
        "metric_points",
        &[
            "id",
            "metric_id",
            "value",
            "counter",
            "created_at",
            "updated_at",
        ],
    ),
    src(
        "subscribers",
        &[
            "id",
            "email",
            "verified_at",
            "global",
            "created_at",
            "updated_at",
        ],
    ),
    src(
        "subscriptions",
        &["id", "subscriber_id", "component_id", "created_at"],
    ),
];

/// One source row: each column of its [`SourceTable`] as text, `None` for NULL. Readers
/// cast every column to text in SQL, so this one parser serves MySQL, PostgreSQL and SQLite.
pub type SourceRow = Vec<Option<String>>;

/// Everything read from a Cachet database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The `migrations` table's names, in the order they were applied.
    pub migrations: Vec<String>,
    /// The rows of each table of [`SOURCE_TABLES`] (by name), ordered by id.
    pub rows: BTreeMap<&'static str, Vec<SourceRow>>,
}

impl Source {
    /// Refuses any schema but Cachet 2.4's, naming the last migration found.
    ///
    /// # Errors
    ///
    /// [`ImportError::UnsupportedVersion`].
    pub fn check_version(&self) -> Result<(), ImportError> {
        match self.migrations.last() {
            Some(last) if last == CACHET_24_LAST_MIGRATION => Ok(()),
            found => Err(ImportError::UnsupportedVersion {
                found: found.map_or_else(
                    || "an empty migrations table".to_owned(),
                    |m| format!("last migration `{}`", crate::log::Escaped(m)),
                ),
            }),
        }
    }

    /// The SHA-256 (hex) of everything read, so a rerun knows the source it imported.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        let mut feed = |s: &[u8]| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s);
        };
        for m in &self.migrations {
            feed(m.as_bytes());
        }
        for (table, rows) in &self.rows {
            feed(table.as_bytes());
            for row in rows {
                for v in row {
                    match v {
                        None => feed(b"\x00null"),
                        Some(s) => feed(s.as_bytes()),
                    }
                }
            }
        }
        hex::encode(h.finalize())
    }
}

/// Why an import failed as a whole. Bad rows are not errors: they are [`Plan::rejected`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The source is not a Cachet 2.4 database.
    #[error(
        "not a {SOURCE_NAME} database: found {found}, expected last migration `{CACHET_24_LAST_MIGRATION}`"
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
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The rows were loaded.
    Imported,
    /// The store already holds this import; nothing was written.
    AlreadyImported,
}

/// The audit detail that names an import's source; [`apply`] looks for it on a rerun.
fn audit_marker(fingerprint: &str) -> String {
    format!("{SOURCE_NAME} source sha256 {fingerprint}")
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
    let marker = audit_marker(fingerprint);
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

// ---- reading source values ---------------------------------------------------------------

/// One source row with its table, read by column name.
struct Row<'a> {
    table: &'static SourceTable,
    values: &'a SourceRow,
}

type Field<T> = Result<T, String>;

impl Row<'_> {
    fn raw(&self, column: &str) -> Option<&str> {
        let i = self.table.columns.iter().position(|c| *c == column)?;
        self.values.get(i)?.as_deref()
    }

    fn id(&self) -> Option<i64> {
        self.raw("id").and_then(|s| s.trim().parse().ok())
    }

    fn text(&self, column: &str) -> &str {
        self.raw(column).unwrap_or_default()
    }

    fn opt_int(&self, column: &str) -> Field<Option<i64>> {
        match self.raw(column).map(str::trim) {
            None | Some("") => Ok(None),
            // SQLite hands back what it was given; PHP sometimes stored `1.0`.
            Some(s) => s
                .parse::<i64>()
                .ok()
                .or_else(|| s.strip_suffix(".0").and_then(|t| t.parse().ok()))
                .map(Some)
                .ok_or_else(|| format!("{column}: not an integer")),
        }
    }

    fn int(&self, column: &str) -> Field<i64> {
        self.opt_int(column)?
            .ok_or_else(|| format!("{column}: required"))
    }

    fn int_or(&self, column: &str, default: i64) -> Field<i64> {
        Ok(self.opt_int(column)?.unwrap_or(default))
    }

    fn bool_or(&self, column: &str, default: bool) -> Field<bool> {
        match self
            .raw(column)
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") => Ok(default),
            Some("1" | "true" | "t") => Ok(true),
            Some("0" | "false" | "f") => Ok(false),
            Some(_) => Err(format!("{column}: not a boolean")),
        }
    }

    fn opt_time(&self, column: &str) -> Field<Option<i64>> {
        let Some(s) = self.raw(column).map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        // MySQL's zero date means "never".
        if s.starts_with("0000-00-00") {
            return Ok(None);
        }
        parse_time(s)
            .map(Some)
            .ok_or_else(|| format!("{column}: not a date and time"))
    }

    fn time_or(&self, column: &str, default: i64) -> Field<i64> {
        Ok(self.opt_time(column)?.unwrap_or(default))
    }
}

/// A Laravel timestamp (`2019-05-01 10:00:00`, the app's time zone, UTC by default) as
/// microseconds since the epoch. PostgreSQL may add fractions or an offset.
fn parse_time(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDateTime};
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(t.timestamp_micros());
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d"]
        .iter()
        .find_map(|f| {
            NaiveDateTime::parse_from_str(s, f).ok().or_else(|| {
                chrono::NaiveDate::parse_from_str(s, f)
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
        })
        .map(|t| t.and_utc().timestamp_micros())
}

fn rule<T, E: std::fmt::Display>(field: &str, r: Result<T, E>) -> Field<T> {
    r.map_err(|e| format!("{field}: {e}"))
}

fn millis(field: &str, s: &str) -> Field<i64> {
    let v = rule(field, MetricValue::parse(s))?;
    Ok(v.millis())
}

// ---- building the dump -------------------------------------------------------------------

struct Builder {
    dump: Dump,
    counts: Vec<TableCount>,
    rejected: Vec<Rejected>,
    skipped: BTreeMap<&'static str, usize>,
}

impl Builder {
    fn push(&mut self, table: &str, row: Vec<Value>) {
        if let Some(t) = self.dump.tables.iter_mut().find(|t| t.table.name == table) {
            t.rows.push(row);
        }
    }

    fn reject(&mut self, table: &'static str, id: Option<i64>, reason: impl Into<String>) {
        self.rejected.push(Rejected {
            table,
            id,
            reason: reason.into(),
        });
    }

    fn skip(&mut self, table: &'static str) {
        *self.skipped.entry(table).or_default() += 1;
    }

    fn count(&mut self, table: &'static str, read: usize, imported: usize) {
        self.counts.push(TableCount {
            table,
            read,
            imported,
        });
    }
}

/// The rows of one source table, with their table.
fn rows<'a>(source: &'a Source, name: &str) -> impl Iterator<Item = Row<'a>> {
    let table = SOURCE_TABLES.iter().find(|t| t.name == name);
    table.into_iter().flat_map(move |t| {
        source
            .rows
            .get(t.name)
            .into_iter()
            .flatten()
            .map(move |values| Row { table: t, values })
    })
}

/// Maps one table: `f` turns a row into `Ok(Some(values))` (imported), `Ok(None)`
/// (deliberately skipped) or `Err(reason)` (rejected). Returns the imported ids.
fn map_table(
    b: &mut Builder,
    source: &Source,
    table: &'static str,
    target: &str,
    mut f: impl FnMut(&Row<'_>, i64) -> Field<Option<Vec<Value>>>,
) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    let mut read = 0;
    for row in rows(source, table) {
        read += 1;
        let Some(id) = row.id() else {
            b.reject(table, None, "id: not an integer");
            continue;
        };
        match f(&row, id) {
            Ok(Some(values)) => {
                b.push(target, values);
                ids.insert(id);
            }
            Ok(None) => b.skip(table),
            Err(reason) => b.reject(table, Some(id), reason),
        }
    }
    b.count(table, read, ids.len());
    ids
}

fn int(i: i64) -> Value {
    Value::Int(i)
}
fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}
fn opt_int(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::Int)
}

/// A PHP date pattern (`jS F Y`, `d/m/Y`) as the closest of our date styles.
fn date_style(php: &str) -> DateStyle {
    let p: String = php.chars().filter(|c| "dDjmMnFYy".contains(*c)).collect();
    if p.starts_with('Y') {
        DateStyle::Iso
    } else if p.starts_with(['d', 'j']) && p.contains(['m', 'n']) {
        DateStyle::Dmy
    } else if p.starts_with(['m', 'n']) {
        DateStyle::Mdy
    } else {
        DateStyle::Medium
    }
}

fn map_settings(b: &mut Builder, source: &Source) -> Locale {
    let mut settings = Settings::default();
    let mut chosen: BTreeMap<SettingKey, String> = BTreeMap::new();
    let mut read = 0;
    for row in rows(source, "settings") {
        read += 1;
        let id = row.id();
        let name = row.text("name").trim().to_owned();
        let value = row.text("value").to_owned();
        let (key, value) = match name.as_str() {
            // Cachet's pattern is a PHP date format; ours is a closed set of styles.
            "date_format" => (
                SettingKey::DateFormat,
                date_style(&value).as_str().to_owned(),
            ),
            "app_locale" => (SettingKey::AppLocale, value.replace('_', "-")),
            other => match SettingKey::parse(other) {
                Ok(k) => (k, value),
                Err(_) => {
                    b.skip("settings");
                    continue;
                }
            },
        };
        match settings.set(key, &value) {
            Ok(()) => {
                chosen.insert(key, settings.get(key));
            }
            Err(e) => b.reject("settings", id, e.to_string()),
        }
    }
    b.count("settings", read, chosen.len());
    for (k, v) in chosen {
        b.push("settings", vec![text(k.as_str()), text(v)]);
    }
    settings.app_locale
}

fn map_groups(b: &mut Builder, source: &Source, now: i64) -> BTreeSet<i64> {
    map_table(
        b,
        source,
        "component_groups",
        "component_groups",
        |r, id| {
            let name = rule("name", Name::parse(r.text("name")))?;
            let order = rule("order", Order::new(r.int_or("order", 0)?))?;
            let collapsed = rule("collapsed", Collapsed::from_code(r.int_or("collapsed", 1)?))?;
            let visible = rule(
                "visible",
                GroupVisibility::from_code(r.int_or("visible", 0)?),
            )?;
            let created = r.time_or("created_at", now)?;
            Ok(Some(vec![
                int(id),
                text(name.as_str()),
                int(i64::from(order.get())),
                int(i64::from(collapsed.code())),
                int(i64::from(visible.code())),
                int(created),
                int(r.time_or("updated_at", created)?),
            ]))
        },
    )
}

fn map_components(
    b: &mut Builder,
    source: &Source,
    groups: &BTreeSet<i64>,
    now: i64,
) -> BTreeSet<i64> {
    let mut history = Vec::new();
    let ids = map_table(b, source, "components", "components", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let description = rule("description", Text::parse(r.text("description")))?;
        let link = match r.raw("link").map(str::trim).filter(|s| !s.is_empty()) {
            None => Value::Null,
            Some(l) => text(rule("link", HttpUrl::parse(l))?.as_str()),
        };
        let status = rule("status", ComponentStatus::from_code(r.int_or("status", 0)?))?;
        let order = rule("order", Order::new(r.int_or("order", 0)?))?;
        // Cachet's "no group" is 0; a group that is gone leaves the component ungrouped.
        let group = r.opt_int("group_id")?.filter(|g| groups.contains(g));
        let meta = match r.raw("meta").map(str::trim).filter(|s| !s.is_empty()) {
            None => Meta::default(),
            Some(m) => rule("meta", Meta::parse_json(m))?,
        };
        let created = r.time_or("created_at", now)?;
        let updated = r.time_or("updated_at", created)?;
        let enabled = r.bool_or("enabled", true)?;
        history.push((id, status, updated));
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(description.as_str()),
            link,
            int(i64::from(status.code())),
            int(i64::from(order.get())),
            opt_int(group),
            Value::Bool(enabled),
            text(meta.to_json()),
            int(created),
            int(updated),
        ]))
    });
    // Every component starts its status history with one entry, as a created one does here;
    // Cachet kept no history, so it is the imported status, since Cachet's last change.
    for (n, (id, status, at)) in (1..).zip(history) {
        b.push(
            "status_changes",
            vec![
                int(n),
                int(id),
                Value::Null,
                int(i64::from(status.code())),
                text(StatusCauseKind::System.as_str()),
                Value::Null,
                Value::Null,
                Value::Null,
                int(at),
            ],
        );
    }
    ids
}

fn map_tags(b: &mut Builder, source: &Source, components: &BTreeSet<i64>) {
    let mut tags: BTreeMap<i64, (Slug, Name)> = BTreeMap::new();
    let mut read = 0;
    for r in rows(source, "tags") {
        read += 1;
        let id = r.id();
        let parsed = rule("slug", Slug::parse(r.text("slug").trim())).and_then(|s| {
            rule(
                "name",
                Name::parse_bounded(r.text("name"), crate::model::Tag::MAX_NAME_CHARS),
            )
            .map(|n| (s, n))
        });
        match (id, parsed) {
            (Some(id), Ok(t)) => {
                tags.insert(id, t);
            }
            (id, Err(e)) => b.reject("tags", id, e),
            (None, Ok(_)) => b.reject("tags", None, "id: not an integer"),
        }
    }
    b.count("tags", read, tags.len());
    let mut pairs: BTreeMap<(i64, String), String> = BTreeMap::new();
    let mut read = 0;
    for r in rows(source, "taggables") {
        read += 1;
        let id = r.id();
        // Cachet 2.4 writes the morph type as the table name; older rows used the class.
        let kind = r.text("taggable_type");
        if kind != "components" && !kind.ends_with("\\Component") {
            b.skip("taggables");
            continue;
        }
        let (Ok(Some(tag)), Ok(Some(component))) = (r.opt_int("tag_id"), r.opt_int("taggable_id"))
        else {
            b.reject("taggables", id, "tag_id, taggable_id: not integers");
            continue;
        };
        match tags.get(&tag) {
            None => b.reject("taggables", id, format!("tag {tag} is not imported")),
            Some(_) if !components.contains(&component) => b.reject(
                "taggables",
                id,
                format!("component {component} is not imported"),
            ),
            Some((slug, name)) => {
                pairs.insert(
                    (component, slug.as_str().to_owned()),
                    name.as_str().to_owned(),
                );
            }
        }
    }
    b.count("taggables", read, pairs.len());
    for ((component, slug), name) in pairs {
        b.push(
            "component_tags",
            vec![int(component), text(slug), text(name)],
        );
    }
}

fn map_users(
    b: &mut Builder,
    source: &Source,
    keyring: &Keyring,
    now: i64,
) -> Result<BTreeMap<i64, Role>, ImportError> {
    let mut users = BTreeMap::new();
    let mut emails = BTreeSet::new();
    let mut sealing = None;
    let ids = map_table(b, source, "users", "users", |r, id| {
        let name = rule("username", Name::parse(r.text("username")))?;
        let email = rule("email", Email::parse(r.text("email")))?;
        if !emails.insert(email.as_str().to_owned()) {
            return Err("email: another user has this address".to_owned());
        }
        let role = if r.int_or("level", 2)? == 1 {
            Role::Admin
        } else {
            Role::Manager
        };
        let secret = r.text("google_2fa_secret").trim();
        let (key_id, sealed, confirmed) = if secret.is_empty() {
            (Value::Null, Value::Null, Value::Null)
        } else {
            let bytes = totp_rs::Secret::Encoded(secret.to_ascii_uppercase())
                .to_bytes()
                .ok()
                .filter(|b| b.len() >= totp::MIN_SECRET_BYTES)
                .ok_or("google_2fa_secret: not a base32 secret of at least 80 bits")?;
            match keyring.seal(&bytes, totp::SECRET_AAD) {
                Ok(s) => (
                    int(i64::from(s.key_id)),
                    Value::Bytes(s.ciphertext),
                    int(now),
                ),
                Err(e) => {
                    sealing = Some(e);
                    return Err("google_2fa_secret: could not be sealed".to_owned());
                }
            }
        };
        users.insert(id, role);
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(email.as_str()),
            text(role.as_str()),
            // Cachet's bcrypt hash, replaced by argon2id at the user's next sign-in.
            text(r.text("password")),
            Value::Bool(r.bool_or("active", true)?),
            key_id,
            sealed,
            confirmed,
            Value::Null,
            Value::Null,
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    if let Some(e) = sealing {
        return Err(ImportError::Seal(e));
    }
    users.retain(|id, _| ids.contains(id));
    Ok(users)
}

fn map_api_tokens(
    b: &mut Builder,
    source: &Source,
    users: &BTreeMap<i64, Role>,
    now: i64,
) -> usize {
    let mut next_id = 1;
    let mut seen = BTreeSet::new();
    for r in rows(source, "users") {
        let (Some(user), key) = (r.id(), r.text("api_key").trim()) else {
            continue;
        };
        let Some(role) = users.get(&user) else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        if !is_legacy_cachet_api_token(key) || !seen.insert(key.to_owned()) {
            b.reject(
                "users",
                Some(user),
                "api_key: not a Cachet API key (20 letters and digits); the user is imported without it",
            );
            continue;
        }
        let scope = if *role == Role::Admin {
            TokenScope::Admin
        } else {
            TokenScope::Write
        };
        b.push(
            "api_tokens",
            vec![
                int(next_id),
                int(user),
                text("Cachet API key"),
                // Shown in token lists: enough to recognise the key, far from enough to use it.
                text(&key[..4]),
                Value::Bytes(hash_secret(key).0.to_vec()),
                text(scope.as_str()),
                Value::Null,
                Value::Null,
                Value::Null,
                int(now),
            ],
        );
        next_id += 1;
    }
    usize::try_from(next_id - 1).unwrap_or(0)
}

fn map_incidents(
    b: &mut Builder,
    source: &Source,
    users: &BTreeMap<i64, Role>,
    components: &BTreeSet<i64>,
    now: i64,
) -> BTreeSet<i64> {
    let incidents = map_table(b, source, "incidents", "incidents", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let status = rule("status", IncidentStatus::from_code(r.int_or("status", 1)?))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            opt_int(r.opt_int("user_id")?.filter(|u| users.contains_key(u))),
            text(name.as_str()),
            int(i64::from(status.code())),
            text(message.as_str()),
            Value::Bool(r.bool_or("visible", true)?),
            Value::Bool(r.bool_or("stickied", false)?),
            Value::Bool(r.bool_or("notifications", false)?),
            int(r.time_or("occurred_at", created)?),
            text(Meta::default().to_json()),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    let mut pairs = BTreeSet::new();
    map_table(
        b,
        source,
        "incident_components",
        "incident_components",
        |r, _| {
            let incident = r.int("incident_id")?;
            let component = r.int("component_id")?;
            if !incidents.contains(&incident) {
                return Err(format!("incident {incident} is not imported"));
            }
            if !components.contains(&component) {
                return Err(format!("component {component} is not imported"));
            }
            let status = rule("status_id", ComponentStatus::from_code(r.int("status_id")?))?;
            if !pairs.insert((incident, component)) {
                return Ok(None);
            }
            Ok(Some(vec![
                int(incident),
                int(component),
                int(i64::from(status.code())),
            ]))
        },
    );
    map_table(
        b,
        source,
        "incident_updates",
        "incident_updates",
        |r, id| {
            let incident = r.int("incident_id")?;
            if !incidents.contains(&incident) {
                return Err(format!("incident {incident} is not imported"));
            }
            let status = rule("status", IncidentStatus::from_code(r.int_or("status", 1)?))?;
            let message = rule("message", Markdown::parse(r.text("message")))?;
            let created = r.time_or("created_at", now)?;
            Ok(Some(vec![
                int(id),
                int(incident),
                int(i64::from(status.code())),
                text(message.as_str()),
                opt_int(r.opt_int("user_id")?.filter(|u| users.contains_key(u))),
                int(created),
                int(r.time_or("updated_at", created)?),
            ]))
        },
    );
    incidents
}

fn map_templates(b: &mut Builder, source: &Source, now: i64) {
    let mut slugs = BTreeSet::new();
    map_table(
        b,
        source,
        "incident_templates",
        "incident_templates",
        |r, id| {
            if r.opt_time("deleted_at")?.is_some() {
                return Ok(None);
            }
            let name = rule("name", Name::parse(r.text("name")))?;
            let slug = rule("slug", Slug::parse(r.text("slug").trim()))?;
            if !slugs.insert(slug.as_str().to_owned()) {
                return Err("slug: another template has this slug".to_owned());
            }
            // Twig is never evaluated here: a Cachet template's `{% ... %}` stays literal text.
            let template = rule("template", Markdown::parse(r.text("template")))?;
            let created = r.time_or("created_at", now)?;
            Ok(Some(vec![
                int(id),
                text(name.as_str()),
                text(slug.as_str()),
                text(template.as_str()),
                int(created),
                int(r.time_or("updated_at", created)?),
            ]))
        },
    );
}

fn map_schedules(b: &mut Builder, source: &Source, components: &BTreeSet<i64>, now: i64) {
    let schedules = map_table(b, source, "schedules", "schedules", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let message = rule("message", Markdown::parse(r.text("message")))?;
        let status = rule("status", ScheduleStatus::from_code(r.int_or("status", 0)?))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(message.as_str()),
            int(i64::from(status.code())),
            int(r
                .opt_time("scheduled_at")?
                .ok_or("scheduled_at: required")?),
            opt_int(r.opt_time("completed_at")?),
            Value::Bool(false),
            Value::Null,
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    let mut pairs = BTreeSet::new();
    map_table(
        b,
        source,
        "schedule_components",
        "schedule_components",
        |r, _| {
            let schedule = r.int("schedule_id")?;
            let component = r.int("component_id")?;
            if !schedules.contains(&schedule) {
                return Err(format!("schedule {schedule} is not imported"));
            }
            if !components.contains(&component) {
                return Err(format!("component {component} is not imported"));
            }
            if !pairs.insert((schedule, component)) {
                return Ok(None);
            }
            Ok(Some(vec![int(schedule), int(component)]))
        },
    );
}

fn map_metrics(b: &mut Builder, source: &Source, now: i64) {
    let metrics = map_table(b, source, "metrics", "metrics", |r, id| {
        let name = rule("name", Name::parse(r.text("name")))?;
        let suffix = rule("suffix", Text::parse(r.text("suffix")))?;
        let description = rule("description", Markdown::parse(r.text("description")))?;
        let default_value = millis("default_value", r.raw("default_value").unwrap_or("0"))?;
        let calc = rule("calc_type", CalcType::from_code(r.int_or("calc_type", 0)?))?;
        let places = rule("places", Places::new(r.int_or("places", 2)?))?;
        let view = rule(
            "default_view",
            MetricView::from_code(r.int_or("default_view", 1)?),
        )?;
        let threshold = rule("threshold", Threshold::new(r.int_or("threshold", 5)?))?;
        let order = rule("order", Order::new(r.int_or("order", 0)?))?;
        let visible = rule("visible", Visibility::from_code(r.int_or("visible", 1)?))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(suffix.as_str()),
            text(description.as_str()),
            int(default_value),
            int(i64::from(calc.code())),
            Value::Bool(r.bool_or("display_chart", true)?),
            int(i64::from(places.get())),
            int(i64::from(view.code())),
            int(i64::from(threshold.minutes())),
            int(i64::from(order.get())),
            int(i64::from(visible.code())),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    map_table(b, source, "metric_points", "metric_points", |r, id| {
        let metric = r.int("metric_id")?;
        if !metrics.contains(&metric) {
            return Err(format!("metric {metric} is not imported"));
        }
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            int(metric),
            int(millis("value", r.raw("value").unwrap_or("0"))?),
            int(r.int_or("counter", 1)?),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
}

fn map_subscribers(
    b: &mut Builder,
    source: &Source,
    keyring: &Keyring,
    components: &BTreeSet<i64>,
    locale: &Locale,
    now: i64,
) -> Result<(), ImportError> {
    // A subscriber who follows chosen components keeps exactly those; one who follows no
    // component got nothing from Cachet, and would follow everything here, so is left out.
    let mut follows: BTreeMap<i64, Vec<(i64, i64, i64)>> = BTreeMap::new();
    let mut bad_subscriptions = Vec::new();
    for r in rows(source, "subscriptions") {
        let id = r.id();
        let parsed = (|| -> Field<(i64, i64, i64)> {
            Ok((
                r.int("subscriber_id")?,
                r.int("component_id")?,
                r.time_or("created_at", now)?,
            ))
        })();
        match (id, parsed) {
            (Some(id), Ok((subscriber, component, at))) => {
                if components.contains(&component) {
                    follows
                        .entry(subscriber)
                        .or_default()
                        .push((id, component, at));
                } else {
                    bad_subscriptions
                        .push((Some(id), format!("component {component} is not imported")));
                }
            }
            (id, Err(e)) => bad_subscriptions.push((id, e)),
            (None, Ok(_)) => bad_subscriptions.push((None, "id: not an integer".to_owned())),
        }
    }
    let mut indexes = BTreeSet::new();
    let mut sealing = None;
    let mut global = BTreeSet::new();
    let subscribers = map_table(b, source, "subscribers", "subscribers", |r, id| {
        let address = r.raw("email").map(str::trim).filter(|s| !s.is_empty());
        let address = address.ok_or(
            "email: none (SMS and Slack subscribers are not supported; only mail is imported)",
        )?;
        let email = rule("email", Email::parse(address))?;
        let is_global = r.bool_or("global", true)?;
        if !is_global && follows.get(&id).is_none_or(Vec::is_empty) {
            return Err("follows no imported component".to_owned());
        }
        let (sealed, index) = match keyring.seal_email(&email) {
            Ok(s) => s,
            Err(e) => {
                sealing = Some(e);
                return Err("email: could not be sealed".to_owned());
            }
        };
        if !indexes.insert(index.0) {
            return Err("email: another subscriber has this address".to_owned());
        }
        if is_global {
            global.insert(id);
        }
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            int(i64::from(sealed.key_id)),
            Value::Bytes(sealed.ciphertext),
            Value::Bytes(index.0.to_vec()),
            text(locale.as_str()),
            opt_int(r.opt_time("verified_at")?),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    });
    if let Some(e) = sealing {
        return Err(ImportError::Seal(e));
    }
    let read = rows(source, "subscriptions").count();
    let mut imported = 0;
    for (subscriber, list) in follows {
        let mut seen = BTreeSet::new();
        for (id, component, at) in list {
            if !subscribers.contains(&subscriber) {
                bad_subscriptions
                    .push((Some(id), format!("subscriber {subscriber} is not imported")));
            } else if global.contains(&subscriber) || !seen.insert(component) {
                // A global subscriber follows everything already.
                b.skip("subscriptions");
            } else {
                b.push(
                    "subscriptions",
                    vec![int(id), int(subscriber), int(component), int(at)],
                );
                imported += 1;
            }
        }
    }
    for (id, reason) in bad_subscriptions {
        b.reject("subscriptions", id, reason);
    }
    b.count("subscriptions", read, imported);
    Ok(())
}

/// Maps a Cachet source into the rows to load, sealing with `keyring`, stamped `now`. Pure
/// apart from the random nonces of sealing: nothing is read or written.
///
/// # Errors
///
/// [`ImportError::UnsupportedVersion`] for any schema but 2.4's; [`ImportError::Seal`].
pub fn plan(source: &Source, keyring: &Keyring, now: Timestamp) -> Result<Plan, ImportError> {
    source.check_version()?;
    let at = now.timestamp_micros();
    let mut b = Builder {
        dump: Dump {
            revision: 1,
            tables: TABLES
                .iter()
                .map(|table| TableRows {
                    table,
                    rows: Vec::new(),
                })
                .collect(),
        },
        counts: Vec::new(),
        rejected: Vec::new(),
        skipped: BTreeMap::new(),
    };
    let locale = map_settings(&mut b, source);
    let groups = map_groups(&mut b, source, at);
    let components = map_components(&mut b, source, &groups, at);
    map_tags(&mut b, source, &components);
    let users = map_users(&mut b, source, keyring, at)?;
    let api_tokens = map_api_tokens(&mut b, source, &users, at);
    map_incidents(&mut b, source, &users, &components, at);
    map_templates(&mut b, source, at);
    map_schedules(&mut b, source, &components, at);
    map_metrics(&mut b, source, at);
    map_subscribers(&mut b, source, keyring, &components, &locale, at)?;
    let fingerprint = source.fingerprint();
    let detail = format!(
        "{}: {} rows read, {} imported, {} rejected",
        audit_marker(&fingerprint),
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
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::secrets::SecretKey;

    fn source(tables: &[(&'static str, Vec<Vec<Option<&str>>>)]) -> Source {
        Source {
            migrations: vec![CACHET_24_LAST_MIGRATION.to_owned()],
            rows: tables
                .iter()
                .map(|(name, rows)| {
                    let t = SOURCE_TABLES.iter().find(|t| t.name == *name).unwrap();
                    let rows = rows
                        .iter()
                        .map(|r| {
                            assert_eq!(r.len(), t.columns.len(), "{name}");
                            r.iter().map(|v| v.map(str::to_owned)).collect()
                        })
                        .collect();
                    (t.name, rows)
                })
                .collect(),
        }
    }

    fn ring() -> Keyring {
        Keyring::new(1, SecretKey::from_bytes([7; 32]))
    }

    fn rows_of<'a>(p: &'a Plan, table: &str) -> &'a [Vec<Value>] {
        &p.dump
            .tables
            .iter()
            .find(|t| t.table.name == table)
            .unwrap()
            .rows
    }

    #[test]
    fn other_versions_are_refused_naming_what_was_found() {
        let mut s = source(&[]);
        s.migrations = vec!["2016_10_30_182324_AlterTableIncidentsRemoveScheduledColumns".into()];
        let e = plan(&s, &ring(), chrono::Utc::now()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("2016_10_30_182324") && text.contains(CACHET_24_LAST_MIGRATION),
            "{text}"
        );
        s.migrations.clear();
        assert!(
            plan(&s, &ring(), chrono::Utc::now())
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn rows_map_with_their_ids_and_bad_rows_are_reported() {
        let s = source(&[
            (
                "components",
                vec![
                    vec![
                        Some("7"),
                        Some("<script>x</script>"),
                        Some(""),
                        None,
                        Some("1"),
                        Some("0"),
                        Some("0"),
                        Some("1"),
                        None,
                        Some("2019-01-02 03:04:05"),
                        Some("2019-01-02 03:04:05"),
                        None,
                    ],
                    vec![
                        Some("8"),
                        Some(""),
                        Some(""),
                        None,
                        Some("1"),
                        Some("0"),
                        Some("0"),
                        Some("1"),
                        None,
                        None,
                        None,
                        None,
                    ],
                    vec![
                        Some("9"),
                        Some("gone"),
                        Some(""),
                        None,
                        Some("1"),
                        Some("0"),
                        Some("0"),
                        Some("1"),
                        None,
                        None,
                        None,
                        Some("2019-01-01 00:00:00"),
                    ],
                ],
            ),
            (
                "incident_updates",
                vec![vec![
                    Some("3"),
                    Some("99"),
                    Some("1"),
                    Some("x"),
                    Some("1"),
                    None,
                    None,
                ]],
            ),
            (
                "settings",
                vec![
                    vec![Some("1"), Some("app_name"), Some("Acme")],
                    vec![Some("2"), Some("date_format"), Some("d/m/Y")],
                    vec![Some("3"), Some("app_incident_days"), Some("999")],
                    vec![Some("4"), Some("app_analytics"), Some("UA-1")],
                ],
            ),
        ]);
        let p = plan(&s, &ring(), chrono::Utc::now()).unwrap();
        let comps = rows_of(&p, "components");
        assert_eq!(comps.len(), 1);
        assert_eq!(comps[0][0], Value::Int(7));
        assert_eq!(comps[0][1], Value::Text("<script>x</script>".into()));
        assert_eq!(comps[0][9], Value::Int(1_546_398_245_000_000));
        let reported: Vec<String> = p.rejected.iter().map(ToString::to_string).collect();
        assert!(
            reported
                .iter()
                .any(|r| r.starts_with("components id 8: name")),
            "{reported:?}"
        );
        assert!(
            reported
                .iter()
                .any(|r| r == "incident_updates id 3: incident 99 is not imported"),
            "{reported:?}"
        );
        assert!(
            reported
                .iter()
                .any(|r| r.starts_with("settings id 3: app_incident_days")),
            "{reported:?}"
        );
        assert_eq!(p.skipped.get("components"), Some(&1));
        assert_eq!(p.skipped.get("settings"), Some(&1));
        let settings = rows_of(&p, "settings");
        assert!(settings.contains(&vec![
            Value::Text("date_format".into()),
            Value::Text("dmy".into())
        ]));
        assert_eq!(rows_of(&p, "audit_events").len(), 1);
    }

    #[test]
    fn the_fingerprint_follows_the_content() {
        let a = source(&[(
            "settings",
            vec![vec![Some("1"), Some("app_name"), Some("A")]],
        )]);
        let b = source(&[(
            "settings",
            vec![vec![Some("1"), Some("app_name"), Some("B")]],
        )]);
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn php_date_patterns_map_to_the_nearest_style() {
        assert_eq!(date_style("jS F Y"), DateStyle::Medium);
        assert_eq!(date_style("Y-m-d"), DateStyle::Iso);
        assert_eq!(date_style("d/m/Y"), DateStyle::Dmy);
        assert_eq!(date_style("m/d/Y"), DateStyle::Mdy);
        assert_eq!(date_style("l jS F Y"), DateStyle::Medium);
    }
}
