//! The tables a backup holds, backend-neutral: every stored row as plain typed values.
//!
//! [`TABLES`] describes every table of the storage schema (without the `cachet_` prefix the
//! SQL backends give them) in the order a restore loads them, parents before children, so
//! references hold at every step. A [`Dump`] is all of their rows plus the content
//! revision; [`BackupStore`](super::BackupStore) reads and loads one. Values are the stored
//! representation, not the model: sealed secrets stay a key id and ciphertext, token hashes
//! stay hashes, times stay microseconds, so a dump never needs (or reveals) a key.
//!
//! [`crate::backup`] writes a dump as a checksummed archive and reads it back.

use core::cmp::Ordering;

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A 64-bit integer (ids, codes, times in microseconds, thousandths).
    Int,
    /// A boolean.
    Bool,
    /// UTF-8 text.
    Text,
    /// Bytes (ciphertexts, hashes, blind indexes).
    Bytes,
}

impl ColumnType {
    /// The type's name in an archive's manifest.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Bool => "bool",
            Self::Text => "text",
            Self::Bytes => "bytes",
        }
    }
}

/// One column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// Its values' type.
    pub ty: ColumnType,
    /// Whether it may be NULL.
    pub nullable: bool,
}

/// One table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Its name, without the SQL backends' `cachet_` prefix.
    pub name: &'static str,
    /// Its columns, in the order a row lists its values.
    pub columns: &'static [Column],
    /// How many leading columns make up its primary key (rows are ordered by them).
    pub key_len: usize,
    /// Whether its key is one `id` column the backend assigns from a sequence (which a
    /// restore moves past the highest restored id).
    pub id_sequence: bool,
}

impl Table {
    /// The table named `name`, if there is one.
    #[must_use]
    pub fn named(name: &str) -> Option<&'static Table> {
        TABLES.iter().find(|t| t.name == name)
    }
}

const fn col(name: &'static str, ty: ColumnType, nullable: bool) -> Column {
    Column { name, ty, nullable }
}
const fn int(name: &'static str) -> Column {
    col(name, ColumnType::Int, false)
}
const fn int_null(name: &'static str) -> Column {
    col(name, ColumnType::Int, true)
}
const fn boolean(name: &'static str) -> Column {
    col(name, ColumnType::Bool, false)
}
const fn text(name: &'static str) -> Column {
    col(name, ColumnType::Text, false)
}
const fn text_null(name: &'static str) -> Column {
    col(name, ColumnType::Text, true)
}
const fn bytes(name: &'static str) -> Column {
    col(name, ColumnType::Bytes, false)
}
const fn bytes_null(name: &'static str) -> Column {
    col(name, ColumnType::Bytes, true)
}

/// A table keyed by a sequence-assigned `id` (its first column).
const fn by_id(name: &'static str, columns: &'static [Column]) -> Table {
    Table {
        name,
        columns,
        key_len: 1,
        id_sequence: true,
    }
}

/// A table keyed by its first `key_len` columns.
const fn keyed(name: &'static str, key_len: usize, columns: &'static [Column]) -> Table {
    Table {
        name,
        columns,
        key_len,
        id_sequence: false,
    }
}

/// Every table, parents first (the order a restore loads them in). The content revision is
/// not a table here but [`Dump::revision`].
pub static TABLES: &[Table] = &[
    by_id(
        "component_groups",
        &[
            int("id"),
            text("name"),
            int("position"),
            int("collapsed"),
            int("visible"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "components",
        &[
            int("id"),
            text("name"),
            text("description"),
            text_null("link"),
            int("status"),
            int("position"),
            int_null("group_id"),
            boolean("enabled"),
            text("meta"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    keyed(
        "component_tags",
        2,
        &[int("component_id"), text("slug"), text("name")],
    ),
    by_id(
        "users",
        &[
            int("id"),
            text("name"),
            text("email"),
            text("role"),
            text("password_hash"),
            boolean("active"),
            int_null("totp_key_id"),
            bytes_null("totp_secret"),
            int_null("totp_confirmed_at"),
            int_null("totp_last_step"),
            int_null("last_login_at"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "status_changes",
        &[
            int("id"),
            int("component_id"),
            int_null("old_status"),
            int("new_status"),
            text("cause_kind"),
            int_null("cause_user_id"),
            int_null("cause_incident_id"),
            int_null("cause_schedule_id"),
            int("at"),
        ],
    ),
    by_id(
        "recovery_codes",
        &[
            int("id"),
            int("user_id"),
            bytes("hash"),
            int_null("used_at"),
        ],
    ),
    by_id(
        "password_history",
        &[
            int("id"),
            int("user_id"),
            text("password_hash"),
            int("created_at"),
        ],
    ),
    by_id(
        "incidents",
        &[
            int("id"),
            int_null("user_id"),
            text("name"),
            int("status"),
            text("message"),
            boolean("visible"),
            boolean("stickied"),
            boolean("notify"),
            int("occurred_at"),
            text("meta"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    keyed(
        "incident_components",
        2,
        &[int("incident_id"), int("component_id"), int("status")],
    ),
    by_id(
        "incident_updates",
        &[
            int("id"),
            int("incident_id"),
            int("status"),
            text("message"),
            int_null("user_id"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "incident_templates",
        &[
            int("id"),
            text("name"),
            text("slug"),
            text("template"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "schedules",
        &[
            int("id"),
            text("name"),
            text("message"),
            int("status"),
            int("scheduled_at"),
            int_null("completed_at"),
            boolean("notify"),
            int_null("user_id"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    keyed(
        "schedule_components",
        2,
        &[int("schedule_id"), int("component_id")],
    ),
    by_id(
        "schedule_updates",
        &[
            int("id"),
            int("schedule_id"),
            text("message"),
            int_null("user_id"),
            int("created_at"),
        ],
    ),
    by_id(
        "metrics",
        &[
            int("id"),
            text("name"),
            text("suffix"),
            text("description"),
            int("default_value"),
            int("calc_type"),
            boolean("display_chart"),
            int("places"),
            int("default_view"),
            int("threshold"),
            int("position"),
            int("visible"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "metric_points",
        &[
            int("id"),
            int("metric_id"),
            int("value"),
            int("counter"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "subscribers",
        &[
            int("id"),
            int("email_key_id"),
            bytes("email_ciphertext"),
            bytes("blind_index"),
            text("locale"),
            int_null("verified_at"),
            int("created_at"),
            int("updated_at"),
            text("channel"),
        ],
    ),
    by_id(
        "subscriptions",
        &[
            int("id"),
            int("subscriber_id"),
            int("component_id"),
            int("created_at"),
        ],
    ),
    by_id(
        "webhooks",
        &[
            int("id"),
            text("name"),
            text("url"),
            int("secret_key_id"),
            bytes("secret_ciphertext"),
            boolean("enabled"),
            int("created_at"),
            int("updated_at"),
            text("events"),
            text("format"),
        ],
    ),
    by_id(
        "integrations",
        &[
            int("id"),
            text("kind"),
            text("name"),
            boolean("enabled"),
            bytes("secret_hash"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    by_id(
        "alert_rules",
        &[
            int("id"),
            int("integration_id"),
            int("component_id"),
            text("matcher"),
            int("status"),
            int_null("template_id"),
            text_null("incident_title"),
            text_null("incident_message"),
            text_null("resolution"),
            int("hold_secs"),
            int("recovery_hold_secs"),
            int("created_at"),
            int("updated_at"),
        ],
    ),
    keyed(
        "alert_states",
        2,
        &[
            int("rule_id"),
            text("alert_key"),
            boolean("firing"),
            int("since"),
            boolean("confirmed"),
            text("summary"),
        ],
    ),
    by_id(
        "api_tokens",
        &[
            int("id"),
            int("user_id"),
            text("name"),
            text("prefix"),
            bytes("hash"),
            text("scope"),
            int_null("expires_at"),
            int_null("last_used_at"),
            int_null("revoked_at"),
            int("created_at"),
        ],
    ),
    by_id(
        "sessions",
        &[
            int("id"),
            bytes("hash"),
            int("user_id"),
            boolean("pending_second_factor"),
            int("created_at"),
            int("last_seen_at"),
            int("expires_at"),
            text_null("ip"),
            text_null("user_agent"),
        ],
    ),
    keyed(
        "throttles",
        1,
        &[
            text("throttle_key"),
            int("failures"),
            int("last_failure_at"),
            int_null("locked_until"),
        ],
    ),
    by_id(
        "one_time_tokens",
        &[
            int("id"),
            text("purpose"),
            bytes("hash"),
            int_null("subject_id"),
            text("payload"),
            int("expires_at"),
            int_null("used_at"),
            int("created_at"),
        ],
    ),
    keyed("settings", 1, &[text("setting_key"), text("value")]),
    by_id(
        "audit_events",
        &[
            int("id"),
            int("at"),
            int_null("actor_user_id"),
            int_null("actor_token_id"),
            text("actor"),
            text("action"),
            text("entity"),
            int_null("entity_id"),
            text_null("ip"),
            text("outcome"),
            text("detail"),
        ],
    ),
    by_id(
        "outbox_events",
        &[
            int("id"),
            text("kind"),
            text("payload"),
            text("status"),
            int("attempts"),
            int("next_attempt_at"),
            text_null("lease_owner"),
            int_null("lease_expires_at"),
            text_null("last_error"),
            int("created_at"),
        ],
    ),
    by_id(
        "deliveries",
        &[
            int("id"),
            int("event_id"),
            text("recipient"),
            text("channel"),
            text("idempotency_key"),
            text("status"),
            int("attempts"),
            int("next_attempt_at"),
            text_null("lease_owner"),
            int_null("lease_expires_at"),
            text_null("last_error"),
            int_null("delivered_at"),
            int("created_at"),
        ],
    ),
    by_id(
        "delivery_attempts",
        &[
            int("id"),
            int("delivery_id"),
            int("at"),
            boolean("ok"),
            text_null("error"),
        ],
    ),
    keyed(
        "idempotency_keys",
        1,
        &[
            text("idempotency_key"),
            text("fingerprint"),
            int("created_at"),
            int("lease_until"),
            int_null("answer_status"),
            text_null("answer_content_type"),
            text_null("answer_location"),
            bytes_null("answer_body"),
        ],
    ),
    keyed(
        "rate_limits",
        1,
        &[
            text("limit_key"),
            int("window_start"),
            int("hits"),
            int("prev_hits"),
        ],
    ),
];

/// The value a migration gives the existing rows of a column it adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnDefault {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(&'static str),
}

impl ColumnDefault {
    /// The stored value.
    #[must_use]
    pub fn value(self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Int(i) => Value::Int(i),
            Self::Bool(b) => Value::Bool(b),
            Self::Text(t) => Value::Text(t.to_owned()),
        }
    }
}

/// A column that a migration added to a table after archives of the table were first
/// written, with the value the migration gives existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedColumn {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// What the migration fills in for rows that existed before it.
    pub default: ColumnDefault,
}

/// Every column added since the first archive format, so an archive written by an older
/// build restores as its database would read after the migrations: the missing column gets
/// the migration's default, as `ALTER TABLE ... ADD COLUMN ... DEFAULT` gives existing rows.
/// A nullable column added without a default needs no entry (it reads NULL). Tables that a
/// migration created after an archive was written simply restore empty.
pub static ADDED_COLUMNS: &[AddedColumn] = &[
    AddedColumn {
        table: "webhooks",
        column: "events",
        // Endpoints made before events could be chosen keep receiving every event.
        default: ColumnDefault::Text(
            "incident_created,incident_updated,incident_resolved,component_status,maintenance",
        ),
    },
    AddedColumn {
        table: "webhooks",
        column: "format",
        // Endpoints made before formats existed keep receiving the signed JSON.
        default: ColumnDefault::Text("json"),
    },
    AddedColumn {
        table: "subscribers",
        column: "channel",
        // Subscribers made before SMS existed are reached by mail.
        default: ColumnDefault::Text("email"),
    },
];

/// The default for `table.column` in an archive written before the column existed.
#[must_use]
pub fn added_column_default(table: &str, column: &Column) -> Option<Value> {
    ADDED_COLUMNS
        .iter()
        .find(|a| a.table == table && a.column == column.name)
        .map(|a| a.default.value())
        .or_else(|| column.nullable.then_some(Value::Null))
}

/// The columns that hold a sealed value's key id, as `(table, column)`: a restored database
/// needs every key they name in its key file.
pub static KEY_ID_COLUMNS: &[(&str, &str)] = &[
    ("users", "totp_key_id"),
    ("subscribers", "email_key_id"),
    ("webhooks", "secret_key_id"),
];

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl Value {
    /// Whether the value fits a column (its type, or NULL where the column allows it).
    #[must_use]
    pub fn fits(&self, column: &Column) -> bool {
        matches!(
            (self, column.ty),
            (Self::Int(_), ColumnType::Int)
                | (Self::Bool(_), ColumnType::Bool)
                | (Self::Text(_), ColumnType::Text)
                | (Self::Bytes(_), ColumnType::Bytes)
        ) || (column.nullable && *self == Self::Null)
    }

    /// Orders two values of one column: NULL first, then by value (text by code point, bytes
    /// bytewise), so every backend's rows sort alike whatever its collation.
    #[must_use]
    pub fn cmp_in_column(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Null, Self::Null) => Ordering::Equal,
            (Self::Null, _) => Ordering::Less,
            (_, Self::Null) => Ordering::Greater,
            (Self::Int(a), Self::Int(b)) => a.cmp(b),
            (Self::Bool(a), Self::Bool(b)) => a.cmp(b),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            (Self::Bytes(a), Self::Bytes(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Null => 0,
            Self::Int(_) => 1,
            Self::Bool(_) => 2,
            Self::Text(_) => 3,
            Self::Bytes(_) => 4,
        }
    }
}

/// One table's rows, each a value per column in [`Table::columns`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// The table.
    pub table: &'static Table,
    /// Its rows, ordered by key.
    pub rows: Vec<Vec<Value>>,
}

impl TableRows {
    /// Sorts the rows by the table's key.
    pub fn sort_by_key(&mut self) {
        let n = self.table.key_len;
        self.rows.sort_by(|a, b| {
            a.iter()
                .zip(b.iter())
                .take(n)
                .map(|(x, y)| x.cmp_in_column(y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }
}

/// Everything a store holds: the content revision and every table's rows, one entry per
/// table of [`TABLES`], in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The public-content revision.
    pub revision: u64,
    /// Every table's rows.
    pub tables: Vec<TableRows>,
}

impl Dump {
    /// A dump at `revision` with every table of [`TABLES`] and no rows: what a backup reader
    /// or an import fills in.
    #[must_use]
    pub fn empty(revision: u64) -> Self {
        Self {
            revision,
            tables: TABLES
                .iter()
                .map(|table| TableRows {
                    table,
                    rows: Vec::new(),
                })
                .collect(),
        }
    }

    /// How many rows the dump holds in all.
    #[must_use]
    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }
}

/// The entity a store names in the [`StoreError::Conflict`](super::StoreError::Conflict) it
/// answers when asked to load a dump into a store that already holds rows.
pub const NOT_EMPTY_ENTITY: &str = "restore target";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_keys_fit() {
        let mut names: Vec<_> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
        for t in TABLES {
            assert!(t.key_len >= 1 && t.key_len <= t.columns.len(), "{}", t.name);
            assert!(
                !t.id_sequence || (t.key_len == 1 && t.columns[0].name == "id"),
                "{}",
                t.name
            );
            assert!(t.columns[..t.key_len].iter().all(|c| !c.nullable));
        }
        for (table, column) in KEY_ID_COLUMNS {
            let t = Table::named(table).expect("key id table");
            assert!(
                t.columns
                    .iter()
                    .any(|c| c.name == *column && c.ty == ColumnType::Int)
            );
        }
    }

    #[test]
    fn added_columns_name_real_columns_and_their_defaults_fit() {
        for a in ADDED_COLUMNS {
            let table = Table::named(a.table).expect("added column's table");
            let column = table
                .columns
                .iter()
                .find(|c| c.name == a.column)
                .expect("added column");
            assert!(a.default.value().fits(column), "{}.{}", a.table, a.column);
            assert!(
                table.columns[..table.key_len]
                    .iter()
                    .all(|k| k.name != a.column),
                "a key column cannot be added with a default"
            );
        }
        let events = Table::named("webhooks").expect("webhooks").columns;
        let events = events.iter().find(|c| c.name == "events").expect("events");
        assert!(matches!(
            added_column_default("webhooks", events),
            Some(Value::Text(t)) if t.contains("incident_created")
        ));
        assert_eq!(
            added_column_default("webhooks", events),
            Some(Value::Text(crate::model::WebhookEvents::ALL.to_string())),
            "the default is every event, as the migration says"
        );
        let format = Table::named("webhooks").expect("webhooks").columns;
        let format = format.iter().find(|c| c.name == "format").expect("format");
        assert_eq!(
            added_column_default("webhooks", format),
            Some(Value::Text(
                crate::model::WebhookFormat::Json.as_str().to_owned()
            )),
            "the default is the signed JSON, as the migration says"
        );
        let subscribers = Table::named("subscribers").expect("subscribers").columns;
        let channel = subscribers
            .iter()
            .find(|c| c.name == "channel")
            .expect("channel");
        assert_eq!(
            added_column_default("subscribers", channel),
            Some(Value::Text(
                crate::model::SubscriberChannel::Email.as_str().to_owned()
            )),
            "subscribers in an older archive are mail subscribers, as the migration says"
        );
        assert_eq!(
            added_column_default("users", &text_null("x")),
            Some(Value::Null)
        );
        assert_eq!(added_column_default("users", &text("x")), None);
    }

    #[test]
    fn values_fit_their_columns_only() {
        let c = int("x");
        assert!(Value::Int(1).fits(&c));
        assert!(!Value::Null.fits(&c));
        assert!(!Value::Text("1".into()).fits(&c));
        assert!(Value::Null.fits(&text_null("y")));
        assert!(!Value::Bool(true).fits(&text_null("y")));
    }

    #[test]
    fn rows_sort_by_key_by_code_point() {
        let table = Table::named("settings").expect("settings");
        let mut t = TableRows {
            table,
            rows: vec![
                vec![Value::Text("b".into()), Value::Text("1".into())],
                vec![Value::Text("B".into()), Value::Text("2".into())],
                vec![Value::Text("a".into()), Value::Text("3".into())],
            ],
        };
        t.sort_by_key();
        let keys: Vec<_> = t.rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            keys,
            ["B", "a", "b"].map(|s| Value::Text(s.into())).to_vec()
        );
    }
}
