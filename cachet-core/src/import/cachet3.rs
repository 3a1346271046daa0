//! The tables and columns read from a Cachet 3.x database: cachethq/core's migrations
//! replayed in order up to [`CACHET_3_LAST_MIGRATION`](super::CACHET_3_LAST_MIGRATION), on
//! top of the 2015-2018 ones it keeps, plus the host application's `users` (Laravel's) and
//! `personal_access_tokens` (Sanctum's, where the API keys live).
//!
//! What changed from 2.4 and matters here: `components.group_id` is `component_group_id`
//! and components' meta moved to the `meta` table; incidents carry a `guid`;
//! `incident_updates` became `updates`, morphed onto incidents and schedules; schedules lost
//! `status` (it is told from the dates); `incident_components.status_id` is
//! `component_status`, nullable; settings are spatie/laravel-settings rows
//! (`group`, `name`, JSON `payload`); users have `name`, `is_admin` and Filament's
//! `app_authentication_secret`; subscribers' `verified_at` is `email_verified_at`. On a
//! database upgraded in place from 2.4, `users` is still 2.4's table (see
//! [`CACHET3_FROM_24_TABLES`]).

use std::collections::BTreeMap;

use super::Source;
use super::builder::Builder;
use super::source::{SourceTable, opt_src, rows, src};

/// A model's metadata, as a JSON object per model id.
pub(super) type Metas = BTreeMap<i64, serde_json::Map<String, serde_json::Value>>;

/// The Cachet 3.x tables read, parents first, with `users` as given: it is the one table
/// whose shape depends on how the database came to be 3.x's.
macro_rules! cachet3_tables {
    ($users:expr) => {
        &[
            src("settings", &["id", "group", "name", "payload"]),
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
                    "component_group_id",
                    "enabled",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ],
            ),
            src("meta", &["id", "key", "value", "meta_id", "meta_type"]),
            src("tags", &["id", "name", "slug"]),
            src(
                "taggables",
                &["id", "tag_id", "taggable_id", "taggable_type"],
            ),
            $users,
            // Sanctum's table belongs to the host application; an installation that never issued
            // an API key may not have it.
            opt_src(
                "personal_access_tokens",
                &[
                    "id",
                    "tokenable_type",
                    "tokenable_id",
                    "name",
                    "token",
                    "abilities",
                    "last_used_at",
                    "expires_at",
                    "created_at",
                ],
            ),
            // Created by cachethq/core but never written by it (keys are Sanctum tokens); read so
            // that a row there is reported rather than silently dropped.
            opt_src("api_keys", &["id", "name", "user_id"]),
            src(
                "incidents",
                &[
                    "id",
                    "guid",
                    "external_provider",
                    "external_id",
                    "user_id",
                    "name",
                    "status",
                    "visible",
                    "stickied",
                    "notifications",
                    "message",
                    "occurred_at",
                    "published_at",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ],
            ),
            src(
                "incident_components",
                &["id", "incident_id", "component_id", "component_status"],
            ),
            src(
                "updates",
                &[
                    "id",
                    "updateable_type",
                    "updateable_id",
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
                    "email_verified_at",
                    "global",
                    "created_at",
                    "updated_at",
                ],
            ),
            src(
                "subscriptions",
                &["id", "subscriber_id", "component_id", "created_at"],
            ),
            // Read only to report each one: see `report_webhooks`.
            src("webhook_subscriptions", &["id"]),
        ]
    };
}

/// Every Cachet 3.x table the import reads, parents first.
pub static CACHET3_TABLES: &[SourceTable] = cachet3_tables!(src(
    "users",
    &[
        "id",
        "name",
        "email",
        "password",
        "is_admin",
        "app_authentication_secret",
        "created_at",
        "updated_at",
    ]
));

/// The tables read from a Cachet 3.x upgraded in place from 2.4
/// ([`SchemaVersion::Cachet3From24`](super::SchemaVersion::Cachet3From24)): 3.x's, but
/// `users` is 2.4's table with cachethq/core's columns added. It has no `name` (Laravel's
/// `create_users_table`, which adds it, cannot run over an existing table, and no Cachet
/// migration adds it): the name is 2.4's `username`. 2.4's `level` and `api_key` stay
/// beside 3.x's `is_admin` and Sanctum keys.
pub static CACHET3_FROM_24_TABLES: &[SourceTable] = cachet3_tables!(src(
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
        "is_admin",
        "app_authentication_secret",
        "created_at",
        "updated_at",
    ]
));

/// Whether a morph type names `model` (`incident`, `component`, ...): Cachet 3 writes its
/// morph aliases, older rows the class (`Cachet\Models\Incident`) or, from 2.4, the table.
pub(super) fn is_morph(kind: &str, model: &str) -> bool {
    let kind = kind.trim();
    let class = kind.rsplit('\\').next().unwrap_or(kind);
    class.eq_ignore_ascii_case(model)
        || kind
            .strip_suffix('s')
            .is_some_and(|k| k.eq_ignore_ascii_case(model))
}

/// The `meta` rows of `model` (`component`, `incident`), as an object per model id: each
/// value is JSON as Cachet wrote it (`json_encode`), kept as text where it is not.
pub(super) fn meta_of(source: &Source, model: &str) -> Metas {
    let mut out = Metas::new();
    for r in rows(source, "meta") {
        if !is_morph(r.text("meta_type"), model) {
            continue;
        }
        let (Ok(Some(id)), key) = (r.opt_int("meta_id"), r.text("key").trim()) else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        let raw = r.text("value");
        let value =
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
        out.entry(id).or_default().insert(key.to_owned(), value);
    }
    out
}

/// Counts the `meta` rows: those of components and incidents are carried in their rows'
/// metadata, the others have nothing here to map to.
pub(super) fn count_meta(b: &mut Builder, source: &Source) {
    let (mut read, mut carried) = (0, 0);
    for r in rows(source, "meta") {
        read += 1;
        let kind = r.text("meta_type");
        if is_morph(kind, "component") || is_morph(kind, "incident") {
            carried += 1;
        } else {
            b.skip("meta");
        }
    }
    b.count("meta", read, carried);
}

/// Reports each Cachet 3 webhook subscription as not carried: the payloads this site sends
/// are not Cachet 3's (other events, other bodies), so a receiver built for Cachet 3's would
/// misread them; the operator adds the webhook again, choosing the events here.
pub(super) fn report_webhooks(b: &mut Builder, source: &Source) {
    let mut read = 0;
    for r in rows(source, "webhook_subscriptions") {
        read += 1;
        b.reject(
            "webhook_subscriptions",
            r.id(),
            "not imported: this site's webhook events and payloads are not Cachet 3's; add the webhook again in the dashboard",
        );
    }
    b.count("webhook_subscriptions", read, 0);
}

/// A Cachet 3 component status (`1` operational .. `4` major outage, `5` unknown, `6` under
/// maintenance) as ours: unknown is 0 here, and maintenance is a schedule here, so a
/// component set to it by hand reads as unknown.
pub(super) fn component_status_code(code: i64) -> i64 {
    match code {
        5 | 6 => 0,
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morph_types_match_by_alias_class_or_table() {
        for k in ["incident", "Cachet\\Models\\Incident", "incidents"] {
            assert!(is_morph(k, "incident"), "{k}");
        }
        for k in ["schedule", "App\\Incidentx", ""] {
            assert!(!is_morph(k, "incident"), "{k}");
        }
    }

    #[test]
    fn cachet3_statuses_unknown_and_maintenance_read_as_unknown() {
        assert_eq!(component_status_code(5), 0);
        assert_eq!(component_status_code(6), 0);
        assert_eq!(component_status_code(3), 3);
    }
}
