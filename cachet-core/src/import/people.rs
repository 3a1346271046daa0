//! Users (with their second-factor secrets, sealed) and their API keys, as tokens.

use std::collections::{BTreeMap, BTreeSet};

use super::builder::{Builder, int, map_table, text};
use super::source::{rows, rule};
use super::{ImportError, SchemaVersion, Source};
use crate::auth::tokens::{hash_secret, is_legacy_cachet_api_token};
use crate::auth::totp;
use crate::model::{Role, TokenScope};
use crate::secrets::Keyring;
use crate::store::backup::Value;
use crate::validate::{Email, Name};

/// What Laravel's `encrypted` cast writes (base64 of a JSON object with `iv`, `value` and
/// `mac`): sealed with the Cachet installation's `APP_KEY`, which the import does not have.
fn is_laravel_encrypted(s: &str) -> bool {
    s.starts_with("eyJ")
}

pub(super) fn map_users(
    b: &mut Builder,
    source: &Source,
    version: SchemaVersion,
    keyring: &Keyring,
    now: i64,
) -> Result<BTreeMap<i64, Role>, ImportError> {
    let mut users = BTreeMap::new();
    let mut emails = BTreeSet::new();
    let mut sealing = None;
    let mut without_second_factor = Vec::new();
    let mut stale_second_factor = Vec::new();
    let roles = role_source(source, version);
    let ids = map_table(b, source, "users", |r, id| {
        let name_column = r.pick(&["username", "name"]);
        let name = rule(name_column, Name::parse(r.text(name_column)))?;
        let email = rule("email", Email::parse(r.text("email")))?;
        if !emails.insert(email.as_str().to_owned()) {
            return Err("email: another user has this address".to_owned());
        }
        let admin = match roles {
            RoleSource::IsAdmin => r.bool_or("is_admin", false)?,
            RoleSource::Level => r.int_or("level", 2)? == 1,
        };
        let role = if admin { Role::Admin } else { Role::Manager };
        // 3.x's secret where the table has it: on a database upgraded from 2.4, 2.4's
        // `google_2fa_secret` is still there but 3.x never checks it.
        let secret_column = r.pick(&["app_authentication_secret", "google_2fa_secret"]);
        if secret_column != "google_2fa_secret" && !r.text("google_2fa_secret").trim().is_empty() {
            stale_second_factor.push(id);
        }
        let mut secret = r.text(secret_column).trim();
        if is_laravel_encrypted(secret) {
            without_second_factor.push(id);
            secret = "";
        }
        let (key_id, sealed, confirmed) = if secret.is_empty() {
            (Value::Null, Value::Null, Value::Null)
        } else {
            let bytes = totp_rs::Secret::Encoded(secret.to_ascii_uppercase())
                .to_bytes()
                .ok()
                .filter(|b| b.len() >= totp::MIN_SECRET_BYTES)
                .ok_or_else(|| {
                    format!("{secret_column}: not a base32 secret of at least 80 bits")
                })?;
            match keyring.seal(&bytes, totp::SECRET_AAD) {
                Ok(s) => (
                    int(i64::from(s.key_id)),
                    Value::Bytes(s.ciphertext),
                    int(now),
                ),
                Err(e) => {
                    sealing = Some(e);
                    return Err(format!("{secret_column}: could not be sealed"));
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
    for id in without_second_factor
        .into_iter()
        .filter(|id| ids.contains(id))
    {
        b.reject(
            "users",
            Some(id),
            "app_authentication_secret: encrypted with the Cachet installation's APP_KEY, which the import does not read; the user is imported without a second factor and must set one up again",
        );
    }
    for id in stale_second_factor
        .into_iter()
        .filter(|id| ids.contains(id))
    {
        b.reject(
            "users",
            Some(id),
            "google_2fa_secret: Cachet 2.4's second factor, which Cachet 3 no longer checks, is not carried; the user keeps only the second factor Cachet 3 had",
        );
    }
    users.retain(|id, _| ids.contains(id));
    Ok(users)
}

/// Which column says a user is an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleSource {
    /// 2.4's `level` (1 is admin).
    Level,
    /// 3.x's `is_admin`.
    IsAdmin,
}

/// Where the roles are read from. A 3.x upgraded from 2.4 adds `is_admin` false for every
/// existing user, so until someone is made an admin in Cachet 3 it says nothing and 2.4's
/// `level` still holds the roles; once any user is an admin there, Cachet 3's flags are the
/// roles (taking `level` then too would give admin back to anyone demoted in Cachet 3).
fn role_source(source: &Source, version: SchemaVersion) -> RoleSource {
    match version {
        SchemaVersion::Cachet3 => RoleSource::IsAdmin,
        SchemaVersion::Cachet3From24
            if rows(source, "users").any(|r| r.bool_or("is_admin", false) == Ok(true)) =>
        {
            RoleSource::IsAdmin
        }
        _ => RoleSource::Level,
    }
}

/// Maps 2.4's `users.api_key`s into tokens numbered from `first_id`; returns how many.
pub(super) fn map_api_tokens(
    b: &mut Builder,
    source: &Source,
    users: &BTreeMap<i64, Role>,
    first_id: i64,
    now: i64,
) -> usize {
    let mut next_id = first_id;
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
    usize::try_from(next_id - first_id).unwrap_or(0)
}
