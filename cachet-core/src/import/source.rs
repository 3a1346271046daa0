//! The source side of an import: Cachet's tables and columns as read, the rows a backend
//! reader hands over, and reading one row's columns as typed values.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::{ImportError, SchemaVersion};
use crate::validate::MetricValue;

/// One Cachet table and the columns the import reads from it (its final shape in the
/// version's migrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceTable {
    /// Its name, without the installation's table prefix.
    pub name: &'static str,
    /// The columns read, in the order a [`SourceRow`] holds them; the first is `id`.
    pub columns: &'static [&'static str],
    /// Whether an installation may lack the table (it belongs to the host application):
    /// readers read none of its rows then.
    pub optional: bool,
}

pub(super) const fn src(name: &'static str, columns: &'static [&'static str]) -> SourceTable {
    SourceTable {
        name,
        columns,
        optional: false,
    }
}

pub(super) const fn opt_src(name: &'static str, columns: &'static [&'static str]) -> SourceTable {
    SourceTable {
        name,
        columns,
        optional: true,
    }
}

/// Every Cachet 2.4 table the import reads, parents first. Cachet's own bookkeeping (`jobs`,
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
    /// The rows of each table of its version's [`SchemaVersion::tables`] (by name), ordered
    /// by id.
    pub rows: BTreeMap<&'static str, Vec<SourceRow>>,
    /// Cells that are not valid UTF-8 (SQLite stores such text as given), by table and row
    /// position, naming the column; the reader hands them over as NULL, and the plan leaves
    /// their rows out and reports them.
    pub not_utf8: BTreeMap<(&'static str, usize), &'static str>,
}

impl Source {
    /// The schema the `migrations` table names; anything but Cachet 2.4's or the supported
    /// 3.x set is refused, naming what was found.
    ///
    /// # Errors
    ///
    /// [`ImportError::UnsupportedVersion`].
    pub fn check_version(&self) -> Result<SchemaVersion, ImportError> {
        SchemaVersion::detect(&self.migrations)
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
        for ((table, row), column) in &self.not_utf8 {
            feed(format!("{table}\x00{row}\x00{column}").as_bytes());
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

/// One source row with its table, read by column name.
pub(super) struct Row<'a> {
    table: &'static SourceTable,
    values: &'a SourceRow,
}

pub(super) type Field<T> = Result<T, String>;

impl Row<'_> {
    pub(super) fn raw(&self, column: &str) -> Option<&str> {
        let i = self.table.columns.iter().position(|c| *c == column)?;
        self.values.get(i)?.as_deref()
    }

    /// The first of `columns` the row's table has: a column renamed between versions.
    pub(super) fn pick<'c>(&self, columns: &[&'c str]) -> &'c str {
        columns
            .iter()
            .find(|c| self.table.columns.contains(c))
            .or(columns.first())
            .copied()
            .unwrap_or_default()
    }

    pub(super) fn id(&self) -> Option<i64> {
        self.raw("id").and_then(|s| s.trim().parse().ok())
    }

    pub(super) fn text(&self, column: &str) -> &str {
        self.raw(column).unwrap_or_default()
    }

    pub(super) fn opt_int(&self, column: &str) -> Field<Option<i64>> {
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

    pub(super) fn int(&self, column: &str) -> Field<i64> {
        self.opt_int(column)?
            .ok_or_else(|| format!("{column}: required"))
    }

    pub(super) fn int_or(&self, column: &str, default: i64) -> Field<i64> {
        Ok(self.opt_int(column)?.unwrap_or(default))
    }

    pub(super) fn bool_or(&self, column: &str, default: bool) -> Field<bool> {
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

    pub(super) fn opt_time(&self, column: &str) -> Field<Option<i64>> {
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

    /// The id in `column` of a parent row of `kind`, which must be one of the `imported`.
    pub(super) fn parent(&self, column: &str, kind: &str, imported: &BTreeSet<i64>) -> Field<i64> {
        let id = self.int(column)?;
        is_imported(kind, id, imported)?;
        Ok(id)
    }

    /// The two ends of a row that links a parent of `kind` (its id in `column`) to a
    /// component; both must be imported.
    pub(super) fn component_link(
        &self,
        column: &str,
        kind: &str,
        parents: &BTreeSet<i64>,
        components: &BTreeSet<i64>,
    ) -> Field<(i64, i64)> {
        let parent = self.int(column)?;
        let component = self.int("component_id")?;
        is_imported(kind, parent, parents)?;
        is_imported("component", component, components)?;
        Ok((parent, component))
    }

    pub(super) fn time_or(&self, column: &str, default: i64) -> Field<i64> {
        Ok(self.opt_time(column)?.unwrap_or(default))
    }
}

fn is_imported(kind: &str, id: i64, imported: &BTreeSet<i64>) -> Field<()> {
    if imported.contains(&id) {
        Ok(())
    } else {
        Err(format!("{kind} {id} is not imported"))
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

pub(super) fn rule<T, E: std::fmt::Display>(field: &str, r: Result<T, E>) -> Field<T> {
    r.map_err(|e| format!("{field}: {e}"))
}

pub(super) fn millis(field: &str, s: &str) -> Field<i64> {
    let v = rule(field, MetricValue::parse(s))?;
    Ok(v.millis())
}

/// The rows of one source table, with their table.
pub(super) fn rows<'a>(source: &'a Source, name: &str) -> impl Iterator<Item = Row<'a>> {
    let tables = source
        .check_version()
        .map_or(SOURCE_TABLES, SchemaVersion::tables);
    let table = tables.iter().find(|t| t.name == name);
    table.into_iter().flat_map(move |t| {
        source
            .rows
            .get(t.name)
            .into_iter()
            .flatten()
            .enumerate()
            .filter(move |(i, _)| !source.not_utf8.contains_key(&(t.name, *i)))
            .map(move |(_, values)| Row { table: t, values })
    })
}

/// The rows with a cell that is not UTF-8, as rejections: table, id and column.
pub(super) fn not_utf8(source: &Source) -> Vec<(&'static str, Option<i64>, &'static str)> {
    let tables = source
        .check_version()
        .map_or(SOURCE_TABLES, SchemaVersion::tables);
    source
        .not_utf8
        .iter()
        .map(|(&(table, i), &column)| {
            let id = tables
                .iter()
                .find(|t| t.name == table)
                .and_then(|t| {
                    source
                        .rows
                        .get(t.name)?
                        .get(i)
                        .map(|values| Row { table: t, values })
                })
                .and_then(|r| r.id());
            (table, id, column)
        })
        .collect()
}
