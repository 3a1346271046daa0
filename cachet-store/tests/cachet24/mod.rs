//! A Cachet 2.4 database for the import tests, built from the final shape of Cachet's 2.4
//! migrations (`database/migrations` on its `2.4` branch, replayed in order: columns added,
//! changed and dropped as Laravel applies them), one dialect per engine where the types
//! differ, filled with hostile content: markup in names, nulls where Cachet allowed them,
//! orphans, a name over the limit, a `javascript:` link, duplicate addresses.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// The engines a fixture is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
    MySql,
}

/// Every migration of Cachet's 2.4 branch, in the order Laravel applies them.
pub const MIGRATIONS: &[&str] = &[
    "2015_01_05_201324_CreateComponentGroupsTable",
    "2015_01_05_201444_CreateComponentsTable",
    "2015_01_05_202446_CreateIncidentTemplatesTable",
    "2015_01_05_202609_CreateIncidentsTable",
    "2015_01_05_202730_CreateMetricPointsTable",
    "2015_01_05_202826_CreateMetricsTable",
    "2015_01_05_203014_CreateSettingsTable",
    "2015_01_05_203235_CreateSubscribersTable",
    "2015_01_05_203341_CreateUsersTable",
    "2015_01_09_083419_AlterTableUsersAdd2FA",
    "2015_01_16_083825_CreateTagsTable",
    "2015_01_16_084030_CreateComponentTagTable",
    "2015_02_28_214642_UpdateIncidentsAddScheduledAt",
    "2015_05_19_214534_AlterTableComponentGroupsAddOrder",
    "2015_05_20_073041_AlterTableIncidentsAddVisibileColumn",
    "2015_05_24_210939_create_jobs_table",
    "2015_05_24_210948_create_failed_jobs_table",
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
    "2016_04_05_142933_create_sessions_table",
    "2016_04_29_061916_AlterTableSubscribersAddGlobalColumn",
    "2016_06_02_075012_AlterTableMetricsAddOrderColumn",
    "2016_06_05_091615_create_cache_table",
    "2016_07_25_052444_AlterTableComponentGroupsAddVisibleColumn",
    "2016_08_23_114610_AlterTableUsersAddWelcomedColumn",
    "2016_09_04_100000_AlterTableIncidentsAddStickiedColumn",
    "2016_10_24_183415_AlterTableIncidentsAddOccurredAtColumn",
    "2016_10_30_174400_CreateSchedulesTable",
    "2016_10_30_174410_CreateScheduleComponentsTable",
    "2016_10_30_182324_AlterTableIncidentsRemoveScheduledColumns",
    "2016_12_04_163502_AlterTableMetricsAddVisibleColumn",
    "2016_12_05_185045_AlterTableComponentsAddMetaColumn",
    "2016_12_29_124643_AlterTableSubscribersAddPhoneNumberSlackColumns",
    "2016_12_29_155956_AlterTableComponentsMakeLinkNullable",
    "2017_01_03_143916_create_notifications_table",
    "2017_02_03_222218_CreateActionsTable",
    "2017_06_13_181049_CreateMetaTable",
    "2017_07_18_214718_CreateIncidentComponents",
    "2017_09_14_180434_AlterIncidentsAddUserId",
    "2018_04_02_163328_CreateTaggablesTable",
    "2018_04_02_163658_MigrateComponentTagTable",
    "2018_06_14_201440_AlterSchedulesSoftDeletes",
    "2018_06_17_182507_AlterIncidentsAddNotifications",
    "2019_12_12_131400_AlterJobsDropReserved",
];

/// The password of every fixture user (each with its own bcrypt hash, as Cachet stored it).
pub const PASSWORD: &str = "cachet 2.4 passphrase";
/// The admin's API key (level 1) and the user's (level 2), as Cachet generated them.
pub const ADMIN_KEY: &str = "AdminKey0123456789ab";
pub const USER_KEY: &str = "UserKey01234567890ab";
/// The admin's Google2FA secret (16 base32 characters, 80 bits).
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// A column type of the fixtures, per engine (Laravel's blueprint types as each engine
/// gets them).
pub fn ty(e: Engine, t: &str) -> &'static str {
    use Engine::*;
    match (t, e) {
        ("id", Sqlite) => "integer primary key autoincrement not null",
        ("id", Postgres) => "serial primary key not null",
        ("id", MySql) => "int unsigned not null auto_increment primary key",
        ("str", Sqlite) => "varchar not null",
        ("str", _) => "varchar(255) not null",
        ("str?", Sqlite) => "varchar null",
        ("str?", _) => "varchar(255) null",
        ("text", _) => "text not null",
        ("text?", _) => "text null",
        ("long", MySql) => "longtext not null",
        ("long", _) => "text not null",
        ("long?", MySql) => "longtext null",
        ("long?", _) => "text null",
        ("int", MySql) => "int not null",
        ("int", _) => "integer not null",
        ("int?", MySql) => "int null",
        ("int?", _) => "integer null",
        ("tiny", Postgres) => "smallint not null",
        ("tiny", MySql) => "tinyint not null",
        ("tiny", Sqlite) => "integer not null",
        ("bool", Postgres) => "boolean not null",
        ("bool", _) => "tinyint(1) not null",
        ("ts", Sqlite) => "datetime null",
        ("ts", Postgres) => "timestamp(0) without time zone null",
        ("ts", MySql) => "timestamp null",
        ("ts!", Sqlite) => "datetime not null",
        ("ts!", Postgres) => "timestamp(0) without time zone not null",
        ("ts!", MySql) => "timestamp not null default current_timestamp",
        ("big", Sqlite) => "integer primary key autoincrement not null",
        ("big", Postgres) => "bigserial primary key not null",
        ("big", MySql) => "bigint unsigned not null auto_increment primary key",
        ("bigint", MySql) => "bigint unsigned not null",
        ("bigint", _) => "bigint not null",
        ("uuid", Postgres) => "uuid not null",
        ("uuid", MySql) => "char(36) not null",
        ("uuid", Sqlite) => "varchar not null",
        ("json", Postgres) => "json not null",
        ("json", MySql) => "longtext not null check (json_valid(`payload`))",
        ("json", Sqlite) => "text not null",
        ("json?", Postgres) => "json null",
        ("json?", _) => "text null",
        ("int?0", MySql) => "int null default 0",
        ("int?0", _) => "integer null default 0",
        ("dec10?", Sqlite) => "numeric null",
        ("dec10?", _) => "decimal(10, 3) null",
        ("dec5?", Sqlite) => "numeric null",
        ("dec5?", _) => "decimal(5, 2) null",
        ("bool?", Postgres) => "boolean null",
        ("bool?", _) => "tinyint(1) null",
        ("dec10", Sqlite) | ("dec15", Sqlite) => "numeric not null",
        ("dec10", _) => "decimal(10, 3) not null",
        ("dec15", _) => "decimal(15, 3) not null",
        _ => panic!("unknown type {t}"),
    }
}

/// An identifier, quoted for the engine.
pub fn quote(e: Engine, ident: &str) -> String {
    if e == Engine::MySql {
        format!("`{ident}`")
    } else {
        format!("\"{ident}\"")
    }
}

/// The final 2.4 columns of the tables the import reads (and `migrations`), as
/// `(table, "column type, …")`.
const SCHEMA: &[(&str, &str)] = &[
    ("migrations", "id id, migration str, batch int"),
    (
        "settings",
        "id id, name str, value long, created_at ts, updated_at ts",
    ),
    (
        "component_groups",
        "id id, name str, order int, visible tiny, collapsed int, created_at ts, updated_at ts",
    ),
    (
        "components",
        "id id, name str, description text, link text?, status int, order int, group_id int, \
            enabled bool, meta long?, created_at ts, updated_at ts, deleted_at ts",
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
        "users",
        "id id, username str, password str, remember_token str?, google_2fa_secret str?, \
            email str, api_key str, active bool, level tiny, welcomed bool, created_at ts, \
            updated_at ts",
    ),
    (
        "incidents",
        "id id, user_id int?, component_id int, name str, status int, visible bool, \
            stickied bool, notifications bool, message long, occurred_at ts, created_at ts, \
            updated_at ts, deleted_at ts",
    ),
    (
        "incident_components",
        "id id, incident_id int, component_id int, status_id int, created_at ts, updated_at ts",
    ),
    (
        "incident_updates",
        "id id, incident_id int, status int, message long, user_id int, created_at ts, \
            updated_at ts",
    ),
    (
        "incident_templates",
        "id id, name str, slug str, template long, created_at ts, updated_at ts, deleted_at ts",
    ),
    (
        "schedules",
        "id id, name str, message long?, status tiny, scheduled_at ts!, completed_at ts, \
            created_at ts, updated_at ts, deleted_at ts",
    ),
    (
        "schedule_components",
        "id id, schedule_id int, component_id int, component_status tiny, created_at ts, \
            updated_at ts",
    ),
    (
        "metrics",
        "id id, name str, suffix str, description text, default_value dec10, calc_type tiny, \
            display_chart bool, places int, default_view tiny, threshold int, order tiny, \
            visible tiny, created_at ts, updated_at ts",
    ),
    (
        "metric_points",
        "id id, metric_id int, value dec15, counter int, created_at ts, updated_at ts",
    ),
    (
        "subscribers",
        "id id, email str?, verify_code str, phone_number str?, slack_webhook_url str?, \
            verified_at ts, global bool, created_at ts, updated_at ts",
    ),
    (
        "subscriptions",
        "id id, subscriber_id int, component_id int, created_at ts, updated_at ts",
    ),
];

/// `CREATE TABLE` statements for the 2.4 schema, tables named with `prefix`.
pub fn schema(e: Engine, prefix: &str) -> Vec<String> {
    create_tables(e, prefix, SCHEMA)
}

/// `CREATE TABLE` statements for `tables` (`(table, "column type, …")`, types of [`ty`]).
pub fn create_tables(e: Engine, prefix: &str, tables: &[(&str, &str)]) -> Vec<String> {
    tables
        .iter()
        .map(|(table, cols)| {
            let cols = cols
                .split(',')
                .map(|col| {
                    let (c, t) = col.trim().split_once(' ').expect(col);
                    format!("{} {}", quote(e, c), ty(e, t))
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "CREATE TABLE {} ({cols})",
                quote(e, &format!("{prefix}{table}"))
            )
        })
        .collect()
}

/// A value in a fixture row.
#[derive(Debug, Clone)]
pub enum V {
    N,
    I(i64),
    S(String),
    B(bool),
    /// A decimal or timestamp literal, written as a string.
    D(&'static str),
    /// An SQL expression, written as it is.
    Raw(&'static str),
}

/// A text value.
pub fn s(v: &str) -> V {
    V::S(v.to_owned())
}

fn lit(e: Engine, v: &V) -> String {
    match v {
        V::N => "NULL".to_owned(),
        V::I(i) => i.to_string(),
        V::B(b) if e == Engine::Postgres => b.to_string(),
        V::B(b) => i32::from(*b).to_string(),
        // MySQL reads backslashes in literals as escapes.
        V::S(t) if e == Engine::MySql => {
            format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))
        }
        V::S(t) => format!("'{}'", t.replace('\'', "''")),
        V::D(t) => format!("'{t}'"),
        V::Raw(t) => (*t).to_owned(),
    }
}

/// `INSERT` statements for `rows` of `table`.
pub fn insert(e: Engine, prefix: &str, table: &str, cols: &[&str], rows: &[Vec<V>]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            assert_eq!(r.len(), cols.len(), "{table}");
            format!(
                "INSERT INTO {} ({}) VALUES ({})",
                quote(e, &format!("{prefix}{table}")),
                cols.iter()
                    .map(|c| quote(e, c))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.iter().map(|v| lit(e, v)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect()
}

/// The statements that fill a fixture on one engine, tables named with one prefix.
pub struct Fixture<'a> {
    e: Engine,
    prefix: &'a str,
    out: Vec<String>,
}

impl<'a> Fixture<'a> {
    pub fn new(e: Engine, prefix: &'a str) -> Self {
        Self {
            e,
            prefix,
            out: Vec::new(),
        }
    }

    /// `INSERT`s `rows` into `table`; `cols` names the columns, separated by spaces.
    pub fn add(&mut self, table: &str, cols: &str, rows: Vec<Vec<V>>) {
        let cols: Vec<&str> = cols.split_whitespace().collect();
        self.out
            .extend(insert(self.e, self.prefix, table, &cols, &rows));
    }

    pub fn finish(self) -> Vec<String> {
        self.out
    }
}

/// A bcrypt hash as PHP's `password_hash` writes it (`$2y$`, cost 10).
pub fn bcrypt_hash(password: &str, salt: u8) -> String {
    bcrypt::hash_with_salt(password, 10, [salt; 16])
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY)
}

const T0: &str = "2019-05-01 10:00:00";
const T1: &str = "2019-05-01 11:30:00";

/// The hostile content: every statement that fills the fixture.
pub fn content(e: Engine, prefix: &str) -> Vec<String> {
    use V::*;
    let mut fx = Fixture::new(e, prefix);
    fx.add(
        "migrations",
        "migration batch",
        MIGRATIONS.iter().map(|m| vec![s(m), I(1)]).collect(),
    );
    let st = |id: i64, name: &str, value: &str| vec![I(id), s(name), s(value)];
    fx.add(
        "settings",
        "id name value",
        vec![
            st(1, "app_name", "Acme <script>alert(1)</script> Status"),
            st(
                2,
                "app_about",
                "We run **things**. <img src=x onerror=alert(1)>",
            ),
            st(3, "app_timezone", "Europe/Berlin"),
            st(4, "app_locale", "de"),
            st(5, "date_format", "d/m/Y"),
            st(6, "app_incident_days", "999"),
            st(7, "app_analytics", "UA-12345"),
            st(8, "display_graphs", "1"),
            st(9, "enable_subscribers", "1"),
            st(10, "style_reds", "red;}</style><script>"),
        ],
    );
    fx.add(
        "component_groups",
        "id name order visible collapsed created_at updated_at",
        vec![vec![
            I(1),
            s("Core <b>group</b>"),
            I(1),
            I(1),
            I(0),
            D(T0),
            D(T0),
        ]],
    );
    // Over our 255-character limit: only SQLite stores a name that long (varchar(255)
    // elsewhere), so the other engines get a description over 10 000 characters instead.
    let (long_name, long_description) = if e == Engine::Sqlite {
        ("N".repeat(300), "d".to_owned())
    } else {
        ("Long".to_owned(), "d".repeat(12_000))
    };
    let comp = |id: i64, name: &str, link: V, status: i64, group: i64, meta: V, deleted: V| {
        let description = if id == 3 {
            long_description.as_str()
        } else {
            "Desc of <i>it</i>"
        };
        vec![
            I(id),
            s(name),
            s(description),
            link,
            I(status),
            I(id),
            I(group),
            B(true),
            meta,
            D(T0),
            D(T1),
            deleted,
        ]
    };
    fx.add(
        "components",
        "id name description link status order group_id enabled meta created_at updated_at \
            deleted_at",
        vec![
            comp(
                1,
                "API",
                s("https://api.example.com"),
                1,
                1,
                s("{\"owner\":\"ops\"}"),
                N,
            ),
            comp(2, "<script>alert('xss')</script>", N, 2, 0, N, N),
            comp(3, &long_name, N, 1, 0, N, N),
            comp(4, "Retired", N, 1, 0, N, D(T1)),
            comp(5, "Web", s("javascript:alert(1)"), 1, 0, N, N),
            comp(6, "Orphan group", s(""), 3, 42, s(""), N),
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
            vec![I(1), I(1), I(1), s("components")],
            vec![I(2), I(9), I(1), s("components")],
        ],
    );
    fx.add(
        "users",
        "id username password remember_token google_2fa_secret email api_key active level welcomed",
        vec![
            vec![
                I(1),
                s("admin"),
                s(&bcrypt_hash(PASSWORD, 1)),
                N,
                s(TOTP_SECRET),
                s("Admin@Example.com"),
                s(ADMIN_KEY),
                B(true),
                I(1),
                B(true),
            ],
            vec![
                I(2),
                s("ops <script>"),
                s(&bcrypt_hash(PASSWORD, 2)),
                N,
                s(""),
                s("ops@example.com"),
                s(USER_KEY),
                B(true),
                I(2),
                B(false),
            ],
            vec![
                I(3),
                s("broken"),
                s(&bcrypt_hash(PASSWORD, 3)),
                N,
                N,
                s("not-an-address"),
                s("BrokenKey0123456789a"),
                B(true),
                I(2),
                B(false),
            ],
        ],
    );
    let inc = |id: i64,
               user: V,
               name: &str,
               status: i64,
               visible: bool,
               message: &str,
               occurred: V,
               deleted: V| {
        vec![
            I(id),
            user,
            I(0),
            s(name),
            I(status),
            B(visible),
            B(false),
            B(true),
            s(message),
            occurred,
            D(T0),
            D(T1),
            deleted,
        ]
    };
    fx.add(
        "incidents",
        "id user_id component_id name status visible stickied notifications message occurred_at \
            created_at updated_at deleted_at",
        vec![
            inc(
                1,
                I(1),
                "Outage <b>bold</b>",
                4,
                true,
                "We **fixed** it. <script>alert(1)</script>",
                D(T0),
                N,
            ),
            inc(2, N, "Hidden one", 1, false, "", N, N),
            inc(3, I(2), "Deleted", 4, true, "x", D(T0), D(T1)),
            inc(
                4,
                I(99),
                "By a user who is gone",
                2,
                true,
                "Investigating",
                D(T1),
                N,
            ),
        ],
    );
    fx.add(
        "incident_components",
        "id incident_id component_id status_id",
        vec![
            vec![I(1), I(1), I(1), I(4)],
            vec![I(2), I(1), I(3), I(4)],
            vec![I(3), I(1), I(2), I(2)],
        ],
    );
    fx.add(
        "incident_updates",
        "id incident_id status message user_id created_at updated_at",
        vec![
            vec![
                I(1),
                I(1),
                I(4),
                s("Resolved <script>alert(2)</script>"),
                I(1),
                D(T1),
                D(T1),
            ],
            vec![I(2), I(999), I(1), s("Orphan update"), I(1), D(T1), D(T1)],
        ],
    );
    fx.add(
        "incident_templates",
        "id name slug template created_at updated_at deleted_at",
        vec![vec![
            I(1),
            s("Down"),
            s("down"),
            s("{{ name }} is down {% if x %}{{ x }}{% endif %}"),
            D(T0),
            D(T0),
            N,
        ]],
    );
    fx.add(
        "schedules",
        "id name message status scheduled_at completed_at created_at updated_at deleted_at",
        vec![vec![
            I(1),
            s("Upgrade"),
            N,
            I(0),
            D("2030-01-01 02:00:00"),
            N,
            D(T0),
            D(T0),
            N,
        ]],
    );
    fx.add(
        "schedule_components",
        "id schedule_id component_id component_status",
        vec![vec![I(1), I(1), I(1), I(2)], vec![I(2), I(7), I(1), I(2)]],
    );
    fx.add(
        "metrics",
        "id name suffix description default_value calc_type display_chart places default_view \
            threshold order visible created_at updated_at",
        vec![vec![
            I(1),
            s("Latency"),
            s("ms"),
            s(""),
            D("0.000"),
            I(1),
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
        "id email verify_code phone_number verified_at global created_at updated_at",
        vec![
            vec![
                I(1),
                s("Reader@Example.com"),
                s("c1"),
                N,
                D(T0),
                B(true),
                D(T0),
                D(T0),
            ],
            vec![
                I(2),
                s("picky@example.com"),
                s("c2"),
                N,
                N,
                B(false),
                D(T0),
                D(T0),
            ],
            vec![I(3), N, s("c3"), s("+15550100"), N, B(true), D(T0), D(T0)],
            vec![
                I(4),
                s("reader@example.com"),
                s("c4"),
                N,
                N,
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
    fx.finish()
}

/// The rows the import must leave out, as `table id N` prefixes of the report.
pub const EXPECTED_REJECTED: &[&str] = &[
    "settings id 6: app_incident_days",
    "settings id 10: style_reds",
    "components id 3: ",
    "components id 5: link",
    "taggables id 2: tag 9 is not imported",
    "users id 3: email",
    "incident_components id 2: component 3 is not imported",
    "incident_updates id 2: incident 999 is not imported",
    "schedule_components id 2: schedule 7 is not imported",
    "metric_points id 2: metric 9 is not imported",
    "subscribers id 3: email",
    "subscribers id 4: email: another subscriber has this address",
    "subscriptions id 2: component 3 is not imported",
];
