//! Cachet 3's API keys: Laravel Sanctum personal access tokens. Sanctum stores the SHA-256
//! (hex) of the token's secret, which is exactly the hash our tokens are stored and looked
//! up by, so each key is carried as it is, id kept, and keeps authenticating (written
//! `<id>|<secret>` as Sanctum hands it out, or the bare secret).

use std::collections::{BTreeMap, BTreeSet};

use super::Source;
use super::builder::{Builder, int, opt_int, text};
use super::cachet3::is_morph;
use super::source::{Field, Row, rows, rule};
use crate::model::{Role, TokenScope};
use crate::store::backup::Value;
use crate::validate::Name;

/// The scope a Sanctum token's abilities (JSON list) give, within what its owner's role
/// allows: `*` everything, any `.manage` or `.delete` ability writes, others only read.
fn scope(abilities: &str, role: Role) -> TokenScope {
    let list: Vec<String> = serde_json::from_str(abilities).unwrap_or_default();
    let all = list.iter().any(|a| a == "*");
    let writes = all
        || list
            .iter()
            .any(|a| a.ends_with(".manage") || a.ends_with(".delete"));
    match (all, writes, role) {
        (_, _, Role::Viewer) => TokenScope::Read,
        (true, _, Role::Admin) => TokenScope::Admin,
        (_, true, _) => TokenScope::Write,
        _ => TokenScope::Read,
    }
}

fn token(
    r: &Row<'_>,
    id: i64,
    users: &BTreeMap<i64, Role>,
    hashes: &mut BTreeSet<[u8; 32]>,
    now: i64,
) -> Field<Option<Vec<Value>>> {
    if !is_morph(r.text("tokenable_type"), "user") {
        return Ok(None);
    }
    let user = r.int("tokenable_id")?;
    let role = *users
        .get(&user)
        .ok_or_else(|| format!("user {user} is not imported"))?;
    let name = rule("name", Name::parse(r.text("name")))?;
    let hash: [u8; 32] = hex::decode(r.text("token").trim())
        .ok()
        .and_then(|h| h.try_into().ok())
        .ok_or("token: not a SHA-256 (64 hexadecimal digits)")?;
    if !hashes.insert(hash) {
        return Err("token: another key has this hash".to_owned());
    }
    Ok(Some(vec![
        int(id),
        int(user),
        text(name.as_str()),
        // Shown in token lists: how Sanctum's form of the key starts.
        text(format!("{id}|")),
        Value::Bytes(hash.to_vec()),
        text(scope(r.text("abilities"), role).as_str()),
        opt_int(r.opt_time("expires_at")?),
        opt_int(r.opt_time("last_used_at")?),
        Value::Null,
        int(r.time_or("created_at", now)?),
    ]))
}

/// Maps `personal_access_tokens` into tokens; reports each `api_keys` row (a table Cachet 3
/// creates but never writes) as one to issue again. Returns the tokens imported and the
/// highest id of them (0 for none), after which other keys are numbered.
pub(super) fn map_sanctum_tokens(
    b: &mut Builder,
    source: &Source,
    users: &BTreeMap<i64, Role>,
    now: i64,
) -> (usize, i64) {
    let mut hashes = BTreeSet::new();
    let (mut read, mut imported, mut last_id) = (0, 0, 0);
    for r in rows(source, "personal_access_tokens") {
        read += 1;
        let Some(id) = r.id() else {
            b.reject("personal_access_tokens", None, "id: not an integer");
            continue;
        };
        match token(&r, id, users, &mut hashes, now) {
            Ok(Some(values)) => {
                b.push("api_tokens", values);
                imported += 1;
                last_id = last_id.max(id);
            }
            Ok(None) => b.skip("personal_access_tokens"),
            Err(reason) => b.reject("personal_access_tokens", Some(id), reason),
        }
    }
    b.count("personal_access_tokens", read, imported);
    let mut read = 0;
    for r in rows(source, "api_keys") {
        read += 1;
        b.reject(
            "api_keys",
            r.id(),
            "Cachet 3 keeps API keys in personal_access_tokens and never uses this table; a key here cannot be verified, issue it again",
        );
    }
    b.count("api_keys", read, 0);
    (imported, last_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abilities_give_the_scope_the_role_allows() {
        assert_eq!(scope(r#"["*"]"#, Role::Admin), TokenScope::Admin);
        assert_eq!(scope(r#"["*"]"#, Role::Manager), TokenScope::Write);
        assert_eq!(
            scope(r#"["components.manage"]"#, Role::Admin),
            TokenScope::Write
        );
        assert_eq!(
            scope(r#"["components.view"]"#, Role::Admin),
            TokenScope::Read
        );
        assert_eq!(scope("not json", Role::Admin), TokenScope::Read);
    }
}
