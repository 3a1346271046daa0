//! A Cachet 3.x database for the import tests, built from the final shape of cachethq/core's
//! migrations (`database/migrations`: the 2015-2018 ones it keeps, then 2023-2026's, replayed
//! in order) and the host application's (Laravel's `users`, Sanctum's
//! `personal_access_tokens`), one dialect per engine where the types differ, filled with
//! hostile content: markup in names, invalid UTF-8 (SQLite stores it), nulls where 3.x
//! allows them, orphans, Laravel-encrypted 2FA secrets, tokens of users who are gone.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::cachet24::{Engine, Fixture, V, bcrypt_hash, create_tables, s};

/// Every migration of a Cachet 3.x installation, in the order Laravel applies them (by name):
/// the host application's and cachethq/core's.
pub const MIGRATIONS: &[&str] = &[
    "0001_01_01_000000_create_users_table",
    "0001_01_01_000001_create_cache_table",
    "0001_01_01_000002_create_jobs_table",
    "2015_01_05_201324_CreateComponentGroupsTable",
    "2015_01_05_201444_CreateComponentsTable",
    "2015_01_05_202446_CreateIncidentTemplatesTable",
    "2015_01_05_202609_CreateIncidentsTable",
    "2015_01_05_202730_CreateMetricPointsTable",
    "2015_01_05_202826_CreateMetricsTable",
    "2015_01_05_203014_CreateSettingsTable",
    "2015_01_05_203235_CreateSubscribersTable",
    "2015_01_16_083825_CreateTagsTable",
    "2015_01_16_084030_CreateComponentTagTable",
    "2015_02_28_214642_UpdateIncidentsAddScheduledAt",
    "2015_05_19_214534_AlterTableComponentGroupsAddOrder",
    "2015_05_20_073041_AlterTableIncidentsAddVisibileColumn",
    "2015_06_10_122216_AlterTableComponentsDropUserIdColumn",
    "2015_06_10_122229_AlterTableIncidentsDropUserIdColumn",
    "2015_08_02_120436_AlterTableSubscribersRemoveDeletedAt",
    "2015_08_13_214123_AlterTableMetricsAddDecimalPlacesColumn",
    "2015_10_31_211944_CreateInvitesTable",
    "2015_11_03_211049_AlterTableComponentsAddEnabledColumn",
    "2015_12_26_162258_AlterTableMetricsAddDefaultViewColumn",
    "2016_01_09_141852_CreateSubscriptionsTable",
    "2016_01_29_154937_AlterTableComponentGroupsAddCollapsedColumn",
    "2016_02_18_085210_AlterTableMetricPointsChangeValueColumn",
    "2016_03_01_174858_AlterTableMetricPointsAddCounterColumn",
    "2016_03_08_125729_CreateIncidentUpdatesTable",
    "2016_03_10_144613_AlterTableComponentGroupsMakeColumnInteger",
    "2016_04_29_061916_AlterTableSubscribersAddGlobalColumn",
    "2016_06_02_075012_AlterTableMetricsAddOrderColumn",
    "2016_07_25_052444_AlterTableComponentGroupsAddVisibleColumn",
    "2016_09_04_100000_AlterTableIncidentsAddStickiedColumn",
    "2016_10_24_183415_AlterTableIncidentsAddOccurredAtColumn",
    "2016_10_30_174400_CreateSchedulesTable",
    "2016_10_30_174410_CreateScheduleComponentsTable",
    "2016_10_30_182324_AlterTableIncidentsRemoveScheduledColumns",
    "2016_12_04_163502_AlterTableMetricsAddVisibleColumn",
    "2016_12_05_185045_AlterTableComponentsAddMetaColumn",
    "2016_12_29_124643_AlterTableSubscribersAddPhoneNumberSlackColumns",
    "2016_12_29_155956_AlterTableComponentsMakeLinkNullable",
    "2017_02_03_222218_CreateActionsTable",
    "2017_06_13_181049_CreateMetaTable",
    "2017_07_18_214718_CreateIncidentComponents",
    "2017_09_14_180434_AlterIncidentsAddUserId",
    "2018_04_02_163328_CreateTaggablesTable",
    "2018_04_02_163658_MigrateComponentTagTable",
    "2018_06_14_201440_AlterSchedulesSoftDeletes",
    "2018_06_17_182507_AlterIncidentsAddNotifications",
    "2019_12_14_000001_create_personal_access_tokens_table",
    "2023_08_04_130542_rename_group_id_to_component_group_id_in_components_table",
    "2023_08_18_130542_make_component_columns_nullable",
    "2023_08_21_130542_add_uuid_to_incidents",
    "2023_08_21_130542_make_incident_columns_nullable",
    "2023_08_23_210836_make_incident_components_table_status_id_column_null",
    "2023_08_30_212242_make_incident_updates_columns_nullable",
    "2023_08_30_212242_make_metrics_columns_nullable",
    "2023_09_18_105838_add_engine_column_to_incident_templates_table",
    "2024_01_22_202432_update_settings_table",
    "2024_01_22_205002_migrate_settings",
    "2024_01_22_205110_add_theme_settings",
    "2024_01_22_205110_create_default_settings",
    "2024_10_04_145400_add_major_outage_setting",
    "2024_10_11_150422_add_morphable_columns_to_incident_updates",
    "2024_10_11_150451_migrate_incident_updates_to_morphables",
    "2024_10_11_150534_drop_incident_id_from_incident_updates_table",
    "2024_10_11_150552_rename_incident_updates_to_updates",
    "2024_10_13_214300_drop_schedule_status",
    "2024_11_26_095526_add_external_columns_to_incidents_table",
    "2024_12_24_120457_rename_incident_components_status",
    "2024_12_26_005942_add_recent_incidents_to_settings",
    "2025_01_02_193833_create_webhook_subscriptions_table",
    "2025_01_03_144743_create_webhook_attempts_table",
    "2025_01_11_090556_create_api_keys_table",
    "2025_01_15_121008_add_admin_flag_to_users_table",
    "2025_01_16_225001_add_locale_to_user",
    "2025_01_21_121458_add_ordering_cols_to_component_groups_table",
    "2025_01_21_171353_add_checked_at_column_to_components_table",
    "2025_03_02_172736_add_default_to_preferred_locale_column_in_users_table",
    "2025_05_11_141054_add_external_dependencies_setting",
    "2025_09_13_124815_add_show_when_empty_column_to_metrics_table",
    "2025_09_14_000000_create_component_checks_table",
    "2026_07_07_000001_create_mail_settings",
    "2026_07_07_000002_update_subscribers_for_email_verification",
    "2026_07_07_000003_add_long_running_notified_at_to_incidents",
    "2026_07_07_000004_add_notifications_to_schedules",
    "2026_07_08_000001_add_api_settings",
    "2026_07_08_000002_add_dynamic_favicon_setting",
    "2026_07_08_000003_add_two_factor_columns_to_users_table",
    "2026_07_11_000001_migrate_component_meta_to_meta_table",
    "2026_07_13_000001_add_mcp_settings",
    "2026_07_24_000001_add_published_at_to_incidents_and_schedules",
    "2026_07_25_000001_create_component_status_changes_table",
    "2026_07_25_000002_add_constraints_to_component_pivots",
    "2026_07_25_000003_backfill_incident_status_from_updates",
    "2026_07_26_000001_backfill_component_status_and_make_it_required",
    "2026_08_05_000001_add_status_page_identity_visibility_settings",
    "2026_08_06_000001_add_component_group_status_setting",
    "2026_08_09_000001_change_enum_char_columns_to_varchar_on_postgres",
];

/// The password of every fixture user (each with its own bcrypt hash, as Laravel stores it).
pub const PASSWORD: &str = "cachet 3 passphrase";
/// The admin's 2FA secret, stored as Filament's base32 (an installation without the
/// `encrypted` cast).
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";
/// Sanctum's random part of the admin's key (`*` abilities) and the user's (Sanctum 3 form,
/// no checksum; `components.manage`).
const ADMIN_ENTROPY: &str = "AdminSanctumEntropy0123456789abcdefghijk";
pub const USER_SECRET: &str = "UserSanctumEntropy0123456789abcdefghijkl";
/// The installation's `sanctum.token_prefix` when it issued the prefixed key (id 5).
pub const SANCTUM_TOKEN_PREFIX: &str = "cachet_";
const PREFIXED_ENTROPY: &str = "PrefixedSanctumEntropy0123456789abcdefgh";
/// Cachet 2.4's API keys of a database upgraded in place (`users.api_key`, 20 letters and
/// digits, as 2.4's `str_random(20)` made them): the admin's (level 1) and the user's.
pub const ADMIN_KEY_24: &str = "AdminKey24aBcDeFgHiJ";
pub const USER_KEY_24: &str = "UserKey24aBcDeFgHiJk";
/// Cachet 2.4's Google2FA secret of the upgraded database's second user, which Cachet 3
/// never checks.
const STALE_TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// Incident GUIDs, as Cachet 3 wrote them.
pub const GUID_1: &str = "9f6c1b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
pub const GUID_5: &str = "0b8e4f2a-7d6c-4b3a-9e8f-1a2b3c4d5e6f";

/// CRC-32 (IEEE), as PHP's `hash('crc32b', ...)`.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The admin's key's secret as Sanctum 4 hands it out: the random part and its CRC-32.
pub fn admin_secret() -> String {
    format!("{ADMIN_ENTROPY}{:08x}", crc32(ADMIN_ENTROPY.as_bytes()))
}

/// The admin's key as Sanctum hands it out: `<id>|<secret>`.
pub fn admin_token() -> String {
    format!("1|{}", admin_secret())
}

/// The prefixed key exactly as Sanctum 4 builds it (`HasApiTokens::generateTokenString`:
/// `sprintf('%s%s%s', config('sanctum.token_prefix'), $entropy, hash('crc32b', $entropy))`)
/// and `createToken` hands it out: `<id>|<that>`.
pub fn prefixed_secret() -> String {
    format!(
        "{SANCTUM_TOKEN_PREFIX}{PREFIXED_ENTROPY}{:08x}",
        crc32(PREFIXED_ENTROPY.as_bytes())
    )
}

/// The prefixed key as `createToken` returns it.
pub fn prefixed_token() -> String {
    format!("5|{}", prefixed_secret())
}

/// What Sanctum stores of a key: the SHA-256 of its secret, in hex.
fn sanctum_hash(secret: &str) -> String {
    cachet_core::auth::tokens::hash_secret(secret)
        .0
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The final 3.x columns of the tables the import reads (and `migrations`, and tables it
/// does not read), as `(table, "column type, …")`.
const SCHEMA: &[(&str, &str)] = &[
    ("migrations", "id id, migration str, batch int"),
    (
        "users",
        "id big, name str, email str, email_verified_at ts, password str, remember_token str?, \
            created_at ts, updated_at ts, is_admin bool, preferred_locale str?, \
            app_authentication_secret text?, app_authentication_recovery_codes text?",
    ),
    (
        "personal_access_tokens",
        "id big, tokenable_type str, tokenable_id bigint, name text, token str, abilities text?, \
            last_used_at ts, expires_at ts, created_at ts, updated_at ts",
    ),
    (
        "settings",
        "id id, group str, name str, locked bool, payload json, value long?, created_at ts, \
            updated_at ts",
    ),
    (
        "component_groups",
        "id id, name str, order int, order_column str?, order_direction str?, visible tiny, \
            collapsed int, created_at ts, updated_at ts",
    ),
    (
        "components",
        "id id, name str, description str?, link text?, status int, order int?, \
            component_group_id int?, enabled bool, checked bool, checked_at ts, created_at ts, \
            updated_at ts, deleted_at ts",
    ),
    (
        "meta",
        "id id, key str, value text?, meta_id int, meta_type str, created_at ts, updated_at ts",
    ),
    (
        "tags",
        "id id, name str, slug str, created_at ts, updated_at ts",
    ),
    (
        "taggables",
        "id id, tag_id int, taggable_id int, taggable_type str, created_at ts, updated_at ts",
    ),
    (
        "api_keys",
        "id big, name str, token_ str, user_id bigint, last_used_at ts, expires_at ts, \
            revoked_at bool?, created_at ts, updated_at ts",
    ),
    (
        "incidents",
        "id id, guid uuid, external_provider str?, user_id int?, component_id int?, name str, \
            status int?, visible bool, stickied bool, notifications bool, message long, \
            occurred_at ts, created_at ts, updated_at ts, deleted_at ts, external_id str?, \
            long_running_notified_at ts, published_at ts, published_notified_at ts",
    ),
    (
        "incident_components",
        "id id, incident_id int, component_id int, component_status int?, created_at ts, \
            updated_at ts",
    ),
    (
        "updates",
        "id id, status int?, message long, user_id int?, created_at ts, updated_at ts, \
            updateable_type str, updateable_id bigint",
    ),
    (
        "incident_templates",
        "id id, name str, slug str, template long, engine str, created_at ts, updated_at ts, \
            deleted_at ts",
    ),
    (
        "schedules",
        "id id, name str, message long?, scheduled_at ts!, completed_at ts, created_at ts, \
            updated_at ts, deleted_at ts, notifications bool, completed_notified_at ts, \
            published_at ts, published_notified_at ts",
    ),
    (
        "schedule_components",
        "id id, schedule_id int, component_id int, component_status tiny, created_at ts, \
            updated_at ts",
    ),
    (
        "metrics",
        "id id, name str, suffix str, description str?, default_value dec10?, calc_type int?0, \
            display_chart bool, show_when_empty bool, places int, default_view tiny, \
            threshold int, order tiny, visible tiny, created_at ts, updated_at ts",
    ),
    (
        "metric_points",
        "id id, metric_id int, value dec15, counter int, created_at ts, updated_at ts",
    ),
    (
        "subscribers",
        "id id, email str?, phone_number str?, slack_webhook_url str?, email_verified_at ts, \
            global bool, created_at ts, updated_at ts",
    ),
    (
        "subscriptions",
        "id id, subscriber_id int, component_id int, created_at ts, updated_at ts",
    ),
    (
        "webhook_subscriptions",
        "id big, url str, secret str, description str?, send_all_events bool, \
            selected_events json?, success_rate_24h dec5?, created_at ts, updated_at ts",
    ),
];

/// `users` of a 3.x upgraded in place from 2.4: 2.4's final table (CachetHQ/Cachet's 2.4
/// migrations) with cachethq/core's columns added; Laravel's `create_users_table` never ran
/// over it, so it has no `name` or `email_verified_at`.
const UPGRADED_USERS: &str = "id id, username str, password str, remember_token str?, \
    google_2fa_secret str?, email str, api_key str, active bool, level tiny, welcomed bool, \
    created_at ts, updated_at ts, is_admin bool, preferred_locale str?, \
    app_authentication_secret text?, app_authentication_recovery_codes text?";

/// `CREATE TABLE` statements for the 3.x schema, tables named with `prefix`.
pub fn schema(e: Engine, prefix: &str) -> Vec<String> {
    create_tables(e, prefix, SCHEMA)
}

/// The 3.x schema of a database upgraded in place from 2.4.
pub fn upgraded_schema(e: Engine, prefix: &str) -> Vec<String> {
    let tables: Vec<(&str, &str)> = SCHEMA
        .iter()
        .map(|&(t, cols)| (t, if t == "users" { UPGRADED_USERS } else { cols }))
        .collect();
    create_tables(e, prefix, &tables)
}

/// The migrations of a database Cachet 2.4 created and 3.x upgraded in place: all of 2.4's
/// (the 2015-2018 ones cachethq/core keeps are among them, so they are not run again), then
/// the host application's Sanctum table and cachethq/core's newer ones.
pub fn upgraded_migrations() -> Vec<&'static str> {
    let v24 = super::cachet24::MIGRATIONS;
    let mut all = v24.to_vec();
    all.extend(
        MIGRATIONS
            .iter()
            .copied()
            .filter(|m| !m.starts_with("0001_01_01_") && !v24.contains(m)),
    );
    all
}

const T0: &str = "2025-05-01 10:00:00";
const T1: &str = "2025-05-01 11:30:00";

/// The hostile content: every statement that fills the fixture.
pub fn content(e: Engine, prefix: &str) -> Vec<String> {
    content_of(e, prefix, false)
}

/// The same content in a database upgraded in place from 2.4: 2.4's migrations among 3.x's,
/// and users with 2.4's columns (API keys, levels, a stale Google2FA secret) beside 3.x's.
pub fn upgraded_content(e: Engine, prefix: &str) -> Vec<String> {
    content_of(e, prefix, true)
}

#[allow(clippy::too_many_lines)]
fn content_of(e: Engine, prefix: &str, upgraded: bool) -> Vec<String> {
    use V::*;
    let mut fx = Fixture::new(e, prefix);
    let migrations = if upgraded {
        upgraded_migrations()
    } else {
        MIGRATIONS.to_vec()
    };
    fx.add(
        "migrations",
        "migration batch",
        migrations.iter().map(|m| vec![s(m), I(1)]).collect(),
    );
    let st = |id: i64, group: &str, name: &str, payload: &str| {
        vec![I(id), s(group), s(name), B(false), s(payload)]
    };
    fx.add(
        "settings",
        "id group name locked payload",
        vec![
            st(
                1,
                "app",
                "name",
                r#""Acme <script>alert(1)</script> Status""#,
            ),
            st(
                2,
                "app",
                "about",
                r#""We run **things**. <img src=x onerror=alert(1)>""#,
            ),
            st(3, "app", "timezone", r#""Europe/Berlin""#),
            st(4, "app", "locale", r#""de""#),
            st(5, "app", "incident_days", "999"),
            st(6, "app", "display_graphs", "true"),
            st(7, "app", "install_id", r#""0123456789abcdef""#),
            st(8, "app", "refresh_rate", "null"),
            st(9, "theme", "accent", r#""cachet""#),
            st(10, "app", "only_disrupted_days", "false"),
            st(11, "mail", "allow_subscribers", "true"),
            st(12, "app", "show_timezone", r#"{"x":1}"#),
        ],
    );
    fx.add(
        "component_groups",
        "id name order order_column visible collapsed created_at updated_at",
        vec![
            vec![
                I(1),
                s("Core <b>group</b>"),
                I(1),
                s("manual"),
                I(1),
                I(0),
                D(T0),
                D(T0),
            ],
            vec![I(2), s("Back office"), I(2), N, I(2), I(1), D(T0), D(T0)],
        ],
    );
    let comp =
        |id: i64, name: V, description: V, link: V, status: i64, order: V, group: V, deleted: V| {
            vec![
                I(id),
                name,
                description,
                link,
                I(status),
                order,
                group,
                B(true),
                B(false),
                D(T0),
                D(T1),
                deleted,
            ]
        };
    let mut components = vec![
        comp(
            1,
            s("API"),
            s("Desc of <i>it</i>"),
            s("https://api.example.com"),
            1,
            I(1),
            I(1),
            N,
        ),
        comp(2, s("<script>alert('xss')</script>"), N, N, 2, N, N, N),
        comp(3, s("Bad status"), N, N, 9, I(3), N, N),
        comp(4, s("Retired"), N, N, 1, I(4), N, D(T1)),
        comp(5, s("Web"), s(""), N, 5, I(5), I(2), N),
        comp(6, s("Maintained"), N, s(""), 6, I(6), I(42), N),
    ];
    // Text that is not UTF-8: only SQLite stores it.
    if e == Engine::Sqlite {
        components.push(comp(
            7,
            Raw("CAST(X'4170e92d' AS TEXT)"),
            N,
            N,
            1,
            I(7),
            N,
            N,
        ));
    }
    fx.add(
        "components",
        "id name description link status order component_group_id enabled checked created_at \
            updated_at deleted_at",
        components,
    );
    fx.add(
        "meta",
        "id key value meta_id meta_type",
        vec![
            vec![I(1), s("owner"), s(r#""ops""#), I(1), s("component")],
            vec![I(2), s("tier"), s("1"), I(1), s("component")],
            vec![I(3), s("source"), s(r#""pager""#), I(1), s("incident")],
            vec![I(4), s("x"), s(r#""y""#), I(1), s("Cachet\\Models\\Metric")],
        ],
    );
    fx.add(
        "tags",
        "id name slug",
        vec![vec![I(1), s("Core Service"), s("core-service")]],
    );
    fx.add(
        "taggables",
        "id tag_id taggable_id taggable_type",
        vec![
            vec![I(1), I(1), I(1), s("Cachet\\Models\\Component")],
            vec![I(2), I(9), I(1), s("component")],
        ],
    );
    if upgraded {
        // No user is an admin in Cachet 3 yet (`is_admin` came in false for all): 2.4's
        // levels are the roles.
        fx.add(
            "users",
            "id username password remember_token google_2fa_secret email api_key active level \
                welcomed created_at updated_at is_admin preferred_locale app_authentication_secret",
            vec![
                vec![
                    I(1),
                    s("admin"),
                    s(&bcrypt_hash(PASSWORD, 1)),
                    N,
                    N,
                    s("Admin@Example.com"),
                    s(ADMIN_KEY_24),
                    B(true),
                    I(1),
                    B(true),
                    D(T0),
                    D(T0),
                    B(false),
                    s("en"),
                    s(TOTP_SECRET),
                ],
                vec![
                    I(2),
                    s("ops <script>"),
                    s(&bcrypt_hash(PASSWORD, 2)),
                    s("remember-me"),
                    s(STALE_TOTP_SECRET),
                    s("ops@example.com"),
                    s(USER_KEY_24),
                    B(true),
                    I(2),
                    B(true),
                    D(T0),
                    D(T0),
                    B(false),
                    N,
                    s("eyJpdiI6IkFCQyIsInZhbHVlIjoiWFlaIiwibWFjIjoiMTIzIiwidGFnIjoiIn0="),
                ],
                vec![
                    I(3),
                    s("broken"),
                    s(&bcrypt_hash(PASSWORD, 3)),
                    N,
                    N,
                    s("not-an-address"),
                    s("BrokenKey24aBcDeFgHi"),
                    B(true),
                    I(1),
                    B(false),
                    D(T0),
                    D(T0),
                    B(false),
                    N,
                    N,
                ],
            ],
        );
    } else {
        fx.add(
            "users",
            "id name email email_verified_at password is_admin preferred_locale \
                app_authentication_secret created_at updated_at",
            vec![
                vec![
                    I(1),
                    s("admin"),
                    s("Admin@Example.com"),
                    D(T0),
                    s(&bcrypt_hash(PASSWORD, 1)),
                    B(true),
                    s("en"),
                    s(TOTP_SECRET),
                    D(T0),
                    D(T0),
                ],
                vec![
                    I(2),
                    s("ops <script>"),
                    s("ops@example.com"),
                    N,
                    s(&bcrypt_hash(PASSWORD, 2)),
                    B(false),
                    N,
                    // Laravel's `encrypted` cast: only the installation's APP_KEY opens it.
                    s("eyJpdiI6IkFCQyIsInZhbHVlIjoiWFlaIiwibWFjIjoiMTIzIiwidGFnIjoiIn0="),
                    D(T0),
                    D(T0),
                ],
                vec![
                    I(3),
                    s("broken"),
                    s("not-an-address"),
                    N,
                    s(&bcrypt_hash(PASSWORD, 3)),
                    B(false),
                    N,
                    N,
                    D(T0),
                    D(T0),
                ],
            ],
        );
    }
    let admin_hash = sanctum_hash(&admin_secret());
    let user_hash = sanctum_hash(USER_SECRET);
    let pat = |id: i64, user: i64, name: &str, token: &str, abilities: &str| {
        vec![
            I(id),
            s("Cachet\\Models\\User"),
            I(user),
            s(name),
            s(token),
            s(abilities),
            D(T1),
            N,
            D(T0),
            D(T0),
        ]
    };
    fx.add(
        "personal_access_tokens",
        "id tokenable_type tokenable_id name token abilities last_used_at expires_at created_at \
            updated_at",
        vec![
            pat(1, 1, "Deploy <bot>", &admin_hash, r#"["*"]"#),
            pat(
                2,
                2,
                "Status updater",
                &user_hash,
                r#"["components.manage"]"#,
            ),
            pat(3, 99, "Gone", &sanctum_hash("x"), r#"["*"]"#),
            pat(4, 1, "Broken", "not a hash", r#"["*"]"#),
            pat(
                5,
                1,
                "Prefixed",
                &sanctum_hash(&prefixed_secret()),
                r#"["*"]"#,
            ),
        ],
    );
    fx.add(
        "api_keys",
        "id name token_ user_id",
        vec![vec![I(1), s("legacy"), s("whatever"), I(1)]],
    );
    let inc = |id: i64,
               guid: &str,
               provider: V,
               external: V,
               user: V,
               name: &str,
               status: V,
               visible: bool,
               message: &str,
               published: V,
               deleted: V| {
        vec![
            I(id),
            s(guid),
            provider,
            external,
            user,
            s(name),
            status,
            B(visible),
            B(false),
            B(true),
            s(message),
            D(T0),
            published,
            D(T0),
            D(T1),
            deleted,
        ]
    };
    fx.add(
        "incidents",
        "id guid external_provider external_id user_id name status visible stickied notifications \
            message occurred_at published_at created_at updated_at deleted_at",
        vec![
            inc(
                1,
                GUID_1,
                N,
                N,
                I(1),
                "Outage <b>bold</b>",
                I(4),
                true,
                "We **fixed** it. <script>alert(1)</script>",
                D(T0),
                N,
            ),
            inc(
                2,
                "11111111-2222-4333-8444-555555555555",
                N,
                N,
                N,
                "Signed-in only",
                N,
                false,
                "",
                D(T0),
                N,
            ),
            inc(
                3,
                "22222222-2222-4333-8444-555555555555",
                N,
                N,
                I(2),
                "Deleted",
                I(4),
                true,
                "x",
                D(T0),
                D(T1),
            ),
            inc(
                4,
                "33333333-2222-4333-8444-555555555555",
                N,
                N,
                I(99),
                "A draft by a user who is gone",
                I(2),
                true,
                "Investigating",
                N,
                N,
            ),
            inc(
                5,
                GUID_5,
                s("oh_dear"),
                s("check-42"),
                I(1),
                "From a monitor",
                I(0),
                true,
                "Unknown state",
                D(T0),
                N,
            ),
        ],
    );
    fx.add(
        "incident_components",
        "id incident_id component_id component_status",
        vec![
            vec![I(1), I(1), I(1), I(4)],
            vec![I(2), I(1), I(3), I(4)],
            vec![I(3), I(1), I(2), N],
        ],
    );
    let upd = |id: i64, kind: &str, parent: i64, status: V, message: &str, user: V| {
        vec![
            I(id),
            s(kind),
            I(parent),
            status,
            s(message),
            user,
            D(T1),
            D(T1),
        ]
    };
    fx.add(
        "updates",
        "id updateable_type updateable_id status message user_id created_at updated_at",
        vec![
            upd(
                1,
                "incident",
                1,
                I(4),
                "Resolved <script>alert(2)</script>",
                I(1),
            ),
            upd(2, "incident", 999, I(1), "Orphan update", I(1)),
            upd(3, "schedule", 1, N, "Starting on time", I(1)),
            upd(4, "component", 1, N, "Not an updateable", N),
            upd(5, "Cachet\\Models\\Incident", 2, N, "Still looking", N),
        ],
    );
    fx.add(
        "incident_templates",
        "id name slug template engine created_at updated_at deleted_at",
        vec![vec![
            I(1),
            s("Down"),
            s("down"),
            s("{{ name }} is down {% if x %}{{ x }}{% endif %}"),
            s("twig"),
            D(T0),
            D(T0),
            N,
        ]],
    );
    fx.add(
        "schedules",
        "id name message scheduled_at completed_at notifications published_at created_at \
            updated_at deleted_at",
        vec![
            vec![
                I(1),
                s("Upgrade"),
                N,
                D("2030-01-01 02:00:00"),
                N,
                B(true),
                D(T0),
                D(T0),
                D(T0),
                N,
            ],
            vec![
                I(2),
                s("Past window"),
                s("Went **fine**"),
                D("2025-04-01 02:00:00"),
                D("2025-04-01 03:00:00"),
                B(false),
                D(T0),
                D(T0),
                D(T0),
                N,
            ],
        ],
    );
    fx.add(
        "schedule_components",
        "id schedule_id component_id component_status",
        vec![vec![I(1), I(1), I(1), I(6)], vec![I(2), I(7), I(1), I(6)]],
    );
    fx.add(
        "metrics",
        "id name suffix description default_value calc_type display_chart show_when_empty places \
            default_view threshold order visible created_at updated_at",
        vec![vec![
            I(1),
            s("Latency"),
            s("ms"),
            N,
            N,
            I(1),
            B(true),
            B(true),
            I(2),
            I(1),
            I(5),
            I(0),
            I(1),
            D(T0),
            D(T0),
        ]],
    );
    fx.add(
        "metric_points",
        "id metric_id value counter created_at updated_at",
        vec![
            vec![I(1), I(1), D("12.345"), I(1), D(T0), D(T0)],
            vec![I(2), I(9), D("1.000"), I(1), D(T0), D(T0)],
        ],
    );
    fx.add(
        "subscribers",
        "id email phone_number email_verified_at global created_at updated_at",
        vec![
            vec![
                I(1),
                s("Reader@Example.com"),
                N,
                D(T0),
                B(true),
                D(T0),
                D(T0),
            ],
            vec![I(2), s("picky@example.com"), N, N, B(false), D(T0), D(T0)],
            vec![I(3), N, s("+15550100"), D(T0), B(true), D(T0), D(T0)],
            vec![
                I(4),
                s("reader@example.com"),
                N,
                D(T0),
                B(true),
                D(T0),
                D(T0),
            ],
        ],
    );
    fx.add(
        "subscriptions",
        "id subscriber_id component_id",
        vec![vec![I(1), I(2), I(1)], vec![I(2), I(2), I(3)]],
    );
    fx.add(
        "webhook_subscriptions",
        "id url secret description send_all_events",
        vec![vec![
            I(1),
            s("https://hooks.example.com/cachet"),
            s("s3cret"),
            N,
            B(true),
        ]],
    );
    fx.finish()
}

/// The rows the import must leave out (or carry without what cannot come), as `table id N`
/// prefixes of the report, on every engine.
pub const EXPECTED_REJECTED: &[&str] = &[
    "settings id 5: app_incident_days",
    "settings id 12: payload",
    "components id 3: status",
    "taggables id 2: tag 9 is not imported",
    "users id 2: app_authentication_secret",
    "users id 3: email",
    "personal_access_tokens id 3: user 99 is not imported",
    "personal_access_tokens id 4: token",
    "api_keys id 1: ",
    "incident_components id 2: component 3 is not imported",
    "updates id 2: incident 999 is not imported",
    "updates id 4: updateable_type",
    "schedule_components id 2: schedule 7 is not imported",
    "metric_points id 2: metric 9 is not imported",
    "subscribers id 3: email",
    "subscribers id 4: email: another subscriber has this address",
    "subscriptions id 2: component 3 is not imported",
    "webhook_subscriptions id 1: not imported",
];

/// What the upgraded database reports besides [`EXPECTED_REJECTED`].
pub const EXPECTED_REJECTED_UPGRADED: &[&str] = &["users id 2: google_2fa_secret"];

/// Left out on SQLite only: text that is not UTF-8 (the other engines refuse to store it).
pub const EXPECTED_REJECTED_SQLITE: &[&str] = &["components id 7: name: not valid UTF-8"];
