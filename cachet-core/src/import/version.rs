//! Which Cachet schema a source has, told by its `migrations` table, and the tables read
//! from each.

use super::ImportError;
use super::cachet3::CACHET3_TABLES;
use super::source::{SOURCE_TABLES, SourceTable};

/// The last migration of Cachet's 2.4 branch: a database whose `migrations` table ends
/// with it has exactly the schema [`SOURCE_TABLES`] describes.
pub const CACHET_24_LAST_MIGRATION: &str = "2019_12_12_131400_AlterJobsDropReserved";

/// The first migration Cachet 3.x (cachethq/core) added to the 2.x set.
pub const CACHET_3_FIRST_MIGRATION: &str =
    "2023_08_04_130542_rename_group_id_to_component_group_id_in_components_table";

/// The newest migration of the Cachet 3.x set this import reads (cachethq/core's
/// `database/migrations`): a database that has applied it, and no Cachet migration after
/// it, has exactly the schema [`CACHET3_TABLES`] describes.
pub const CACHET_3_LAST_MIGRATION: &str =
    "2026_08_09_000001_change_enum_char_columns_to_varchar_on_postgres";

/// Migrations a Cachet 3.x host application adds on its own that may be dated after
/// [`CACHET_3_LAST_MIGRATION`] without changing anything the import reads (Laravel's
/// `install:api` dates Sanctum's table the day it runs).
const CACHET_3_HOST_MIGRATIONS: &[&str] = &["_create_personal_access_tokens_table"];

/// A Cachet schema the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaVersion {
    /// Cachet 2.4 (CachetHQ/Cachet's `2.4` branch).
    Cachet24,
    /// Cachet 3.x (cachethq/core), up to [`CACHET_3_LAST_MIGRATION`].
    Cachet3,
}

impl SchemaVersion {
    /// The name reports and the audit entry use.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Cachet24 => "Cachet 2.4",
            Self::Cachet3 => "Cachet 3.x",
        }
    }

    /// The tables read from a source of this version, parents first.
    #[must_use]
    pub const fn tables(self) -> &'static [SourceTable] {
        match self {
            Self::Cachet24 => SOURCE_TABLES,
            Self::Cachet3 => CACHET3_TABLES,
        }
    }

    /// Tells the version from the `migrations` table's names, in the order applied.
    ///
    /// # Errors
    ///
    /// [`ImportError::UnsupportedVersion`] naming what was found: a schema neither 2.4's nor
    /// the supported 3.x set (an older 3.x, or a newer one with migrations this import does
    /// not know).
    pub fn detect(migrations: &[String]) -> Result<Self, ImportError> {
        let unsupported = |found: String| Err(ImportError::UnsupportedVersion { found });
        let escaped = |m: &str| crate::log::Escaped(m).to_string();
        if migrations.iter().any(|m| m == CACHET_3_FIRST_MIGRATION) {
            // Laravel applies migrations in name order; a newer Cachet adds later names.
            let newer = migrations.iter().find(|m| {
                m.as_str() > CACHET_3_LAST_MIGRATION
                    && !CACHET_3_HOST_MIGRATIONS.iter().any(|h| m.ends_with(h))
            });
            if let Some(newer) = newer {
                return unsupported(format!(
                    "a Cachet 3.x newer than this import reads: migration `{}` comes after `{CACHET_3_LAST_MIGRATION}`",
                    escaped(newer)
                ));
            }
            if !migrations.iter().any(|m| m == CACHET_3_LAST_MIGRATION) {
                let last = migrations
                    .iter()
                    .filter(|m| m.as_str() < CACHET_3_LAST_MIGRATION)
                    .max()
                    .map_or_else(String::new, |m| escaped(m));
                return unsupported(format!(
                    "a Cachet 3.x older than this import reads: its newest migration is `{last}` (upgrade it to a release with `{CACHET_3_LAST_MIGRATION}` first)"
                ));
            }
            return Ok(Self::Cachet3);
        }
        match migrations.last() {
            Some(last) if last == CACHET_24_LAST_MIGRATION => Ok(Self::Cachet24),
            Some(last) => unsupported(format!("last migration `{}`", escaped(last))),
            None => unsupported("an empty migrations table".to_owned()),
        }
    }
}

impl std::fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_supported_schema_is_told_by_its_migrations() {
        let v24 = names(&[
            "2015_01_05_201324_CreateComponentGroupsTable",
            CACHET_24_LAST_MIGRATION,
        ]);
        assert_eq!(
            SchemaVersion::detect(&v24).unwrap(),
            SchemaVersion::Cachet24
        );
        let v3 = names(&[
            "0001_01_01_000000_create_users_table",
            CACHET_3_FIRST_MIGRATION,
            CACHET_3_LAST_MIGRATION,
            "2026_09_30_120000_create_personal_access_tokens_table",
        ]);
        assert_eq!(SchemaVersion::detect(&v3).unwrap(), SchemaVersion::Cachet3);
    }

    #[test]
    fn older_newer_and_unknown_schemas_are_refused_naming_what_was_found() {
        let newer = names(&[
            CACHET_3_FIRST_MIGRATION,
            CACHET_3_LAST_MIGRATION,
            "2026_09_01_000001_add_something",
        ]);
        let e = SchemaVersion::detect(&newer).unwrap_err().to_string();
        assert!(
            e.contains("newer") && e.contains("2026_09_01_000001_add_something"),
            "{e}"
        );
        let older = names(&[
            CACHET_3_FIRST_MIGRATION,
            "2025_09_13_124815_add_show_when_empty_column_to_metrics_table",
        ]);
        let e = SchemaVersion::detect(&older).unwrap_err().to_string();
        assert!(
            e.contains("older") && e.contains("2025_09_13_124815"),
            "{e}"
        );
        let e = SchemaVersion::detect(&names(&[
            "2018_06_17_182507_AlterIncidentsAddNotifications",
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("2018_06_17_182507"), "{e}");
        assert!(SchemaVersion::detect(&[]).is_err());
    }
}
