//! Which Cachet schema a source has, told by its `migrations` table, and the tables read
//! from each.

use super::ImportError;
use super::cachet3::{CACHET3_FROM_24_TABLES, CACHET3_TABLES};
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

/// Cachet 2.4's migrations that made the `users` table: a Cachet 3.x database that holds
/// them was upgraded in place from 2.x, and its `users` table is 2.4's (with `username`,
/// `api_key`, `level`, `google_2fa_secret`, `active`) with cachethq/core's columns added
/// (`is_admin`, `app_authentication_secret`, ...): the host application's own
/// `create_users_table` cannot have run over a table that already existed.
pub const CACHET_24_USERS_MIGRATIONS: &[&str] = &[
    "2015_01_05_203341_CreateUsersTable",
    "2015_01_09_083419_AlterTableUsersAdd2FA",
];

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
    /// Cachet 3.x, as [`Self::Cachet3`], on a database Cachet 2.4 created and 3.x upgraded in
    /// place: the `migrations` table holds [`CACHET_24_USERS_MIGRATIONS`] and `users` keeps
    /// 2.4's columns beside 3.x's.
    Cachet3From24,
}

impl SchemaVersion {
    /// The name reports and the audit entry use.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Cachet24 => "Cachet 2.4",
            Self::Cachet3 => "Cachet 3.x",
            Self::Cachet3From24 => "Cachet 3.x (upgraded from 2.4)",
        }
    }

    /// The tables read from a source of this version, parents first.
    #[must_use]
    pub const fn tables(self) -> &'static [SourceTable] {
        match self {
            Self::Cachet24 => SOURCE_TABLES,
            Self::Cachet3 => CACHET3_TABLES,
            Self::Cachet3From24 => CACHET3_FROM_24_TABLES,
        }
    }

    /// Whether this is a Cachet 3.x schema (fresh or upgraded from 2.4): every table but
    /// `users` has 3.x's shape.
    #[must_use]
    pub const fn is_cachet3(self) -> bool {
        matches!(self, Self::Cachet3 | Self::Cachet3From24)
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
            let from_24: Vec<&str> = CACHET_24_USERS_MIGRATIONS
                .iter()
                .copied()
                .filter(|u| migrations.iter().any(|m| m == u))
                .collect();
            return match from_24.len() {
                0 => Ok(Self::Cachet3),
                n if n == CACHET_24_USERS_MIGRATIONS.len() => Ok(Self::Cachet3From24),
                // Half of 2.x's users migrations: a `users` table of no shape this reads.
                _ => unsupported(format!(
                    "a Cachet 3.x upgraded from a Cachet 2.x whose `users` table is not 2.4's: it has `{}` but not all of `{}`",
                    from_24.join("`, `"),
                    CACHET_24_USERS_MIGRATIONS.join("`, `")
                )),
            };
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
    fn a_cachet3_upgraded_in_place_from_24_is_neither_refused_nor_taken_for_24() {
        // 2.4's names first (ending with 2.4's last migration), then 3.x's on top.
        let mut upgraded = names(&[
            "2015_01_05_201324_CreateComponentGroupsTable",
            "2015_01_05_203341_CreateUsersTable",
            "2015_01_09_083419_AlterTableUsersAdd2FA",
            CACHET_24_LAST_MIGRATION,
            "2019_12_14_000001_create_personal_access_tokens_table",
            CACHET_3_FIRST_MIGRATION,
            CACHET_3_LAST_MIGRATION,
        ]);
        assert_eq!(
            SchemaVersion::detect(&upgraded).unwrap(),
            SchemaVersion::Cachet3From24
        );
        assert!(SchemaVersion::Cachet3From24.is_cachet3());
        assert!(!SchemaVersion::Cachet24.is_cachet3());
        // Upgraded but older than this import reads: refused as an older 3.x.
        upgraded.pop();
        let e = SchemaVersion::detect(&upgraded).unwrap_err().to_string();
        assert!(e.contains("older"), "{e}");
        // A `users` table that is half 2.x's is no shape this reads.
        let half = names(&[
            "2015_01_05_203341_CreateUsersTable",
            CACHET_3_FIRST_MIGRATION,
            CACHET_3_LAST_MIGRATION,
        ]);
        let e = SchemaVersion::detect(&half).unwrap_err().to_string();
        assert!(
            e.contains("not all of") && e.contains("2015_01_09_083419_AlterTableUsersAdd2FA"),
            "{e}"
        );
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
