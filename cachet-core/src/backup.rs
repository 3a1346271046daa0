//! Portable backup archives: everything a store holds, in one versioned, checksummed file
//! that any backend can load.
//!
//! [`export`] reads a [`Dump`] from a store
//! ([`BackupStore::dump`](crate::store::BackupStore::dump), one consistent snapshot) and
//! writes it as an archive; [`restore`] checks an archive and loads it into an empty store
//! ([`BackupStore::load`](crate::store::BackupStore::load), one transaction). Values travel
//! as stored: sealed secrets (subscriber addresses, second-factor secrets, webhook secrets)
//! stay sealed, with their key ids, and are never decrypted, so neither command needs the key
//! file; the restored site does, so the key file must move with the archive
//! ([`Manifest::sealed_key_ids`] lists the keys it needs).
//!
//! # Format (version 1)
//!
//! UTF-8 text, one JSON document per line (JSON Lines):
//!
//! - line 1, the [`Manifest`]: `format` (`"cachet-backup"`), `version`, `created_at`, the
//!   content `revision`, every table with its columns (`name:type`) and row count, the key
//!   ids of sealed values, and `body_sha256`, the SHA-256 of every byte after line 1;
//! - then one line per row, `{"table":"components","row":[1,"API",...]}`, tables in
//!   [`TABLES`] order (parents first), rows by key. Integers are JSON numbers, booleans JSON
//!   booleans, text JSON strings, bytes standard base64 strings, NULL `null`.
//!
//! The body is a pure function of the stored rows, so exporting a restored database gives
//! the same bytes after line 1 whichever backends the two databases run on; only the
//! manifest's `created_at` differs.

use std::collections::BTreeSet;
use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::store::backup::{
    ColumnType, Dump, KEY_ID_COLUMNS, NOT_EMPTY_ENTITY, TABLES, Table, Value, added_column_default,
};
use crate::store::{Store, StoreError};

/// The archive's `format` marker.
pub const FORMAT: &str = "cachet-backup";
/// The archive format version this build writes and reads.
pub const VERSION: u32 = 1;

/// Why an export or a restore failed. Messages name the line, table or column at fault, never
/// a stored value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The input is not a cachet backup archive (no manifest line, or another `format`).
    #[error("not a cachet backup archive: {detail}")]
    NotAnArchive {
        /// What is missing.
        detail: String,
    },
    /// The archive has a format version this build does not read.
    #[error(
        "archive format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The archive's version.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// The body does not match the manifest's checksum: the file was changed or cut short.
    #[error(
        "archive checksum mismatch: the manifest says {expected}, the content hashes to {actual}; the file was changed or truncated"
    )]
    ChecksumMismatch {
        /// The manifest's `body_sha256`.
        expected: String,
        /// The body's SHA-256.
        actual: String,
    },
    /// The archive's tables or columns are not this build's.
    #[error("archive schema does not match this build: {detail}")]
    SchemaMismatch {
        /// Which table or column differs.
        detail: String,
    },
    /// A line of the archive does not parse or does not fit its table.
    #[error("archive line {line}: {detail}")]
    Malformed {
        /// The 1-based line number.
        line: usize,
        /// What is wrong (the table and column, never the value).
        detail: String,
    },
    /// The target store already holds data; a restore only loads into an empty database.
    #[error(
        "the target database is not empty: restore only loads into a freshly created, empty database"
    )]
    NotEmpty,
    /// The store failed (or does not support backups).
    #[error("store: {0}")]
    Store(#[source] StoreError),
    /// Writing the archive failed.
    #[error("writing the archive: {0}")]
    Write(#[source] std::io::Error),
}

impl From<StoreError> for BackupError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { entity, .. } if entity == NOT_EMPTY_ENTITY => Self::NotEmpty,
            other => Self::Store(other),
        }
    }
}

/// One table in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableManifest {
    /// The table's name.
    pub name: String,
    /// Its columns as `name:type` (`type` is `int`, `bool`, `text` or `bytes`, with a
    /// trailing `?` when the column may be NULL).
    pub columns: Vec<String>,
    /// How many rows the archive holds for it.
    pub rows: u64,
}

/// An archive's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// When the archive was written (RFC 3339, UTC).
    pub created_at: String,
    /// The store's public-content revision.
    pub revision: u64,
    /// Every table, in load order.
    pub tables: Vec<TableManifest>,
    /// The key ids of the sealed values in the archive: the restored site's key file must
    /// hold every one of them.
    pub sealed_key_ids: Vec<i64>,
    /// The SHA-256 (lowercase hex) of every byte after the manifest line.
    pub body_sha256: String,
}

impl Manifest {
    /// How many rows the archive holds in all.
    #[must_use]
    pub fn row_count(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

fn column_spec(table: &Table) -> Vec<String> {
    table
        .columns
        .iter()
        .map(|c| {
            format!(
                "{}:{}{}",
                c.name,
                c.ty.as_str(),
                if c.nullable { "?" } else { "" }
            )
        })
        .collect()
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Text(s) => serde_json::Value::String(s.clone()),
        Value::Bytes(b) => serde_json::Value::String(STANDARD.encode(b)),
    }
}

/// The key ids the sealed values of a dump use.
fn sealed_key_ids(dump: &Dump) -> Vec<i64> {
    let mut ids = BTreeSet::new();
    for (table, column) in KEY_ID_COLUMNS {
        let Some(t) = dump.tables.iter().find(|t| t.table.name == *table) else {
            continue;
        };
        let Some(i) = t.table.columns.iter().position(|c| c.name == *column) else {
            continue;
        };
        for row in &t.rows {
            if let Some(Value::Int(id)) = row.get(i) {
                ids.insert(*id);
            }
        }
    }
    ids.into_iter().collect()
}

/// Writes a dump as an archive: the manifest line, then the body. Pure: the same dump and
/// time give the same bytes.
///
/// # Errors
///
/// [`BackupError::SchemaMismatch`] when the dump does not hold exactly the tables of
/// [`TABLES`] or a row does not fit its table (a store bug); [`BackupError::Write`].
pub fn encode(
    dump: &Dump,
    created_at: Timestamp,
    out: &mut dyn Write,
) -> Result<Manifest, BackupError> {
    check_dump(dump)?;
    let mut body = Vec::new();
    for t in &dump.tables {
        for row in &t.rows {
            let line = serde_json::json!({
                "table": t.table.name,
                "row": row.iter().map(json_value).collect::<Vec<_>>(),
            });
            serde_json::to_writer(&mut body, &line)
                .map_err(|e| BackupError::Write(std::io::Error::other(e)))?;
            body.push(b'\n');
        }
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        version: VERSION,
        created_at: created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        revision: dump.revision,
        tables: dump
            .tables
            .iter()
            .map(|t| TableManifest {
                name: t.table.name.to_owned(),
                columns: column_spec(t.table),
                rows: t.rows.len() as u64,
            })
            .collect(),
        sealed_key_ids: sealed_key_ids(dump),
        body_sha256: hex::encode(Sha256::digest(&body)),
    };
    let head =
        serde_json::to_vec(&manifest).map_err(|e| BackupError::Write(std::io::Error::other(e)))?;
    out.write_all(&head)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.write_all(&body))
        .and_then(|()| out.flush())
        .map_err(BackupError::Write)?;
    Ok(manifest)
}

/// A dump holds every table once, in order, with rows that fit.
fn check_dump(dump: &Dump) -> Result<(), BackupError> {
    let names: Vec<_> = dump.tables.iter().map(|t| t.table.name).collect();
    let want: Vec<_> = TABLES.iter().map(|t| t.name).collect();
    if names != want {
        return Err(BackupError::SchemaMismatch {
            detail: "the store's dump does not list every table in order".to_owned(),
        });
    }
    for t in &dump.tables {
        for row in &t.rows {
            if row.len() != t.table.columns.len()
                || !row.iter().zip(t.table.columns).all(|(v, c)| v.fits(c))
            {
                return Err(BackupError::SchemaMismatch {
                    detail: format!(
                        "the store's dump has a row that does not fit `{}`",
                        t.table.name
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Checks an archive (format, version, checksum, schema, every value's type) and returns its
/// manifest and contents. Nothing is loaded anywhere.
///
/// # Errors
///
/// [`BackupError::NotAnArchive`], [`BackupError::UnsupportedVersion`],
/// [`BackupError::ChecksumMismatch`], [`BackupError::SchemaMismatch`],
/// [`BackupError::Malformed`].
pub fn decode(archive: &[u8]) -> Result<(Manifest, Dump), BackupError> {
    let (head, body) = match archive.iter().position(|b| *b == b'\n') {
        Some(i) => (&archive[..i], &archive[i + 1..]),
        None => (archive, &archive[archive.len()..]),
    };
    let raw: serde_json::Value =
        serde_json::from_slice(head).map_err(|_| BackupError::NotAnArchive {
            detail: "the first line is not a JSON manifest".to_owned(),
        })?;
    if raw.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
        return Err(BackupError::NotAnArchive {
            detail: format!("the manifest's `format` is not `{FORMAT}`"),
        });
    }
    let version = raw
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| BackupError::Malformed {
            line: 1,
            detail: "the manifest has no numeric `version`".to_owned(),
        })?;
    if version != u64::from(VERSION) {
        return Err(BackupError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let manifest: Manifest = serde_json::from_value(raw).map_err(|e| BackupError::Malformed {
        line: 1,
        detail: format!("manifest: {e}"),
    })?;
    let actual = hex::encode(Sha256::digest(body));
    if !actual.eq_ignore_ascii_case(&manifest.body_sha256) {
        return Err(BackupError::ChecksumMismatch {
            expected: manifest.body_sha256.clone(),
            actual,
        });
    }
    let layouts = layouts(&manifest)?;
    let mut dump = Dump::empty(manifest.revision);
    let tables = &mut dump.tables;
    let mut at = 0usize;
    let text = std::str::from_utf8(body).map_err(|e| BackupError::Malformed {
        line: 2 + body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        detail: "not UTF-8".to_owned(),
    })?;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 2;
        let bad = |detail: String| BackupError::Malformed {
            line: line_no,
            detail,
        };
        let (name, values) = parse_line(line).map_err(bad)?;
        while at < tables.len() && tables[at].table.name != name {
            at += 1;
        }
        let (Some(t), Some(Some(layout))) = (tables.get_mut(at), layouts.get(at)) else {
            return Err(bad(match Table::named(&name) {
                Some(_) if tables.get(at).is_some() => {
                    format!("a row of `{name}` where the manifest lists no such table")
                }
                Some(_) => format!("a row of `{name}` after the rows of a later table"),
                None => format!("unknown table `{name}`"),
            }));
        };
        let row = decode_row(t.table, layout, values).map_err(bad)?;
        t.rows.push(row);
    }
    for m in &manifest.tables {
        let Some(t) = dump.tables.iter().find(|t| t.table.name == m.name) else {
            continue;
        };
        if m.rows != t.rows.len() as u64 {
            return Err(BackupError::SchemaMismatch {
                detail: format!(
                    "the manifest counts {} rows of `{}`, the archive holds {}",
                    m.rows,
                    m.name,
                    t.rows.len()
                ),
            });
        }
    }
    Ok((manifest.clone(), dump))
}

#[derive(Deserialize)]
struct Line {
    table: String,
    row: Vec<serde_json::Value>,
}

fn parse_line(line: &str) -> Result<(String, Vec<serde_json::Value>), String> {
    let l: Line = serde_json::from_str(line).map_err(|e| format!("not a row: {e}"))?;
    Ok((l.table, l.row))
}

/// Where each of this build's columns of a table comes from in an archive.
#[derive(Debug)]
enum ColumnSource {
    /// The archive's column at this index.
    Archive(usize),
    /// Absent from an older archive: the value the migration that added it gives old rows.
    Default(Value),
}

/// How one archive table's rows map onto this build's table.
#[derive(Debug)]
struct Layout {
    /// How many values an archive row holds.
    archive_columns: usize,
    /// One source per column of this build's table, in its order.
    sources: Vec<ColumnSource>,
}

/// Reads the manifest's tables against this build's [`TABLES`]: one entry per table, `None`
/// for a table the archive does not hold (it was created by a later migration and restores
/// empty). An archive from an older build restores as that database reads after the
/// migrations; anything this build cannot place (a table or column it does not have, a
/// column whose type changed, tables out of load order) is refused by name, so an archive
/// from a newer build is never loaded with parts silently dropped.
fn layouts(manifest: &Manifest) -> Result<Vec<Option<Layout>>, BackupError> {
    let mismatch = |detail: String| BackupError::SchemaMismatch { detail };
    let mut out: Vec<Option<Layout>> = TABLES.iter().map(|_| None).collect();
    let mut next = 0usize;
    for m in &manifest.tables {
        let Some(offset) = TABLES[next..].iter().position(|t| t.name == m.name) else {
            return Err(mismatch(if Table::named(&m.name).is_some() {
                format!(
                    "table `{}` is listed out of this build's load order",
                    m.name
                )
            } else {
                format!(
                    "table `{}` is not in this build (an archive from a newer build?)",
                    m.name
                )
            }));
        };
        let at = next + offset;
        let table = &TABLES[at];
        next = at + 1;
        let build_spec = column_spec(table);
        let archive_names: Vec<&str> = m
            .columns
            .iter()
            .map(|spec| spec.split(':').next().unwrap_or(spec))
            .collect();
        for (i, name) in archive_names.iter().enumerate() {
            if archive_names[..i].contains(name) {
                return Err(mismatch(format!(
                    "column `{}.{name}` is listed twice",
                    m.name
                )));
            }
            if !table.columns.iter().any(|c| c.name == *name) {
                return Err(mismatch(format!(
                    "column `{}.{name}` is not in this build (an archive from a newer build?)",
                    m.name
                )));
            }
        }
        let mut sources = Vec::with_capacity(table.columns.len());
        for (column, spec) in table.columns.iter().zip(&build_spec) {
            match archive_names.iter().position(|n| *n == column.name) {
                Some(i) if m.columns[i] == *spec => sources.push(ColumnSource::Archive(i)),
                Some(i) => {
                    return Err(mismatch(format!(
                        "column `{}.{}` is `{}` in the archive, `{spec}` in this build",
                        m.name, column.name, m.columns[i]
                    )));
                }
                None => match added_column_default(table.name, column) {
                    Some(value) => sources.push(ColumnSource::Default(value)),
                    None => {
                        return Err(mismatch(format!(
                            "column `{}.{}` is missing from the archive and has no default",
                            m.name, column.name
                        )));
                    }
                },
            }
        }
        out[at] = Some(Layout {
            archive_columns: m.columns.len(),
            sources,
        });
    }
    Ok(out)
}

fn decode_row(
    table: &Table,
    layout: &Layout,
    values: Vec<serde_json::Value>,
) -> Result<Vec<Value>, String> {
    if values.len() != layout.archive_columns {
        return Err(format!(
            "a row of `{}` has {} values, the manifest lists {} columns",
            table.name,
            values.len(),
            layout.archive_columns
        ));
    }
    let mut values: Vec<Option<serde_json::Value>> = values.into_iter().map(Some).collect();
    table
        .columns
        .iter()
        .zip(&layout.sources)
        .map(|(c, source)| {
            let i = match source {
                ColumnSource::Default(value) => return Ok(value.clone()),
                ColumnSource::Archive(i) => *i,
            };
            let out = match (values[i].take(), c.ty) {
                (Some(serde_json::Value::Null), _) if c.nullable => Some(Value::Null),
                (Some(serde_json::Value::Number(n)), ColumnType::Int) => n.as_i64().map(Value::Int),
                (Some(serde_json::Value::Bool(b)), ColumnType::Bool) => Some(Value::Bool(b)),
                (Some(serde_json::Value::String(s)), ColumnType::Text) => Some(Value::Text(s)),
                (Some(serde_json::Value::String(s)), ColumnType::Bytes) => {
                    STANDARD.decode(s.as_bytes()).ok().map(Value::Bytes)
                }
                _ => None,
            };
            out.ok_or_else(|| {
                format!(
                    "`{}.{}` is not a valid {}{}",
                    table.name,
                    c.name,
                    c.ty.as_str(),
                    if c.nullable { " or null" } else { "" }
                )
            })
        })
        .collect()
}

/// Exports everything `store` holds as an archive written to `out`, stamped `created_at`.
///
/// # Errors
///
/// [`BackupError::Store`] (a store without backup support answers
/// [`StoreError::Unsupported`]), [`BackupError::Write`], [`BackupError::SchemaMismatch`].
pub async fn export<S: Store + ?Sized>(
    store: &S,
    created_at: Timestamp,
    out: &mut (dyn Write + Send),
) -> Result<Manifest, BackupError> {
    let mut dump = store.dump().await?;
    for t in &mut dump.tables {
        t.sort_by_key();
    }
    encode(&dump, created_at, out)
}

/// Checks an archive and loads it into `store`, which must be empty. Nothing is loaded
/// unless the whole archive checks out; the load itself is one transaction.
///
/// # Errors
///
/// As [`decode`]; [`BackupError::NotEmpty`] for a store that holds data;
/// [`BackupError::Store`] when loading fails (nothing is then loaded).
pub async fn restore<S: Store + ?Sized>(
    store: &S,
    archive: &[u8],
) -> Result<Manifest, BackupError> {
    let (manifest, dump) = decode(archive)?;
    store.load(&dump).await?;
    Ok(manifest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> Dump {
        let mut d = Dump::empty(7);
        let subs = d
            .tables
            .iter_mut()
            .find(|t| t.table.name == "subscribers")
            .unwrap();
        subs.rows.push(vec![
            Value::Int(1),
            Value::Int(3),
            Value::Bytes(vec![0, 1, 255]),
            Value::Bytes(vec![9; 32]),
            Value::Text("en".into()),
            Value::Null,
            Value::Int(10),
            Value::Int(11),
            Value::Text("sms".into()),
        ]);
        let settings = d
            .tables
            .iter_mut()
            .find(|t| t.table.name == "settings")
            .unwrap();
        settings.rows.push(vec![
            Value::Text("app_name".into()),
            Value::Text("Ünï \"q\"\n".into()),
        ]);
        d
    }

    fn archive(d: &Dump) -> Vec<u8> {
        let mut out = Vec::new();
        encode(d, chrono::DateTime::UNIX_EPOCH, &mut out).unwrap();
        out
    }

    #[test]
    fn an_archive_decodes_to_its_dump() {
        let d = sample();
        let bytes = archive(&d);
        let (m, back) = decode(&bytes).unwrap();
        assert_eq!(back, d);
        assert_eq!(m.row_count(), 2);
        assert_eq!(m.sealed_key_ids, vec![3]);
        assert_eq!(m.revision, 7);
        // Re-encoding gives the same bytes.
        assert_eq!(archive(&back), bytes);
    }

    fn body_start(bytes: &[u8]) -> usize {
        bytes.iter().position(|b| *b == b'\n').unwrap() + 1
    }

    #[test]
    fn a_changed_byte_fails_the_checksum() {
        let mut bytes = archive(&sample());
        let i = body_start(&bytes) + 12;
        bytes[i] ^= 1;
        assert!(matches!(
            decode(&bytes),
            Err(BackupError::ChecksumMismatch { .. })
        ));
        let bytes = archive(&sample());
        let cut = &bytes[..bytes.len() - 3];
        assert!(matches!(
            decode(cut),
            Err(BackupError::ChecksumMismatch { .. })
        ));
    }

    #[test]
    fn another_version_or_format_is_refused() {
        let bytes = archive(&sample());
        let text = String::from_utf8(bytes).unwrap();
        let v2 = text.replacen("\"version\":1", "\"version\":2", 1);
        let e = decode(v2.as_bytes()).unwrap_err();
        assert!(
            matches!(
                e,
                BackupError::UnsupportedVersion {
                    found: 2,
                    supported: 1
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("version 2"));
        let other = text.replacen(FORMAT, "something-else", 1);
        assert!(matches!(
            decode(other.as_bytes()),
            Err(BackupError::NotAnArchive { .. })
        ));
        assert!(matches!(
            decode(b"hello\n"),
            Err(BackupError::NotAnArchive { .. })
        ));
        assert!(matches!(decode(b""), Err(BackupError::NotAnArchive { .. })));
    }

    /// An archive whose body was rewritten with a matching checksum: the checks past the
    /// checksum must still hold.
    fn reseal(text: &str, body: &str) -> Vec<u8> {
        let head = text.lines().next().unwrap();
        let mut m: Manifest = serde_json::from_str(head).unwrap();
        m.body_sha256 = hex::encode(Sha256::digest(body.as_bytes()));
        let mut out = serde_json::to_vec(&m).unwrap();
        out.push(b'\n');
        out.extend_from_slice(body.as_bytes());
        out
    }

    #[test]
    fn rows_that_do_not_fit_are_refused_with_their_line_and_column() {
        let text = String::from_utf8(archive(&sample())).unwrap();
        let body = &text[body_start(text.as_bytes())..];
        let e = decode(&reseal(&text, &body.replacen("[1,3,", "[1,\"x\",", 1))).unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("subscribers.email_key_id"),
            "{e}"
        );
        let e = decode(&reseal(&text, &body.replacen("subscribers", "nope", 1))).unwrap_err();
        assert!(e.to_string().contains("unknown table `nope`"), "{e}");
        // A dropped row disagrees with the manifest's count.
        let first_line_end = body.find('\n').unwrap() + 1;
        let e = decode(&reseal(&text, &body[first_line_end..])).unwrap_err();
        assert!(matches!(e, BackupError::SchemaMismatch { .. }), "{e}");
        // Rows out of table order.
        let mut lines: Vec<&str> = body.lines().collect();
        lines.reverse();
        let swapped = format!("{}\n", lines.join("\n"));
        let e = decode(&reseal(&text, &swapped)).unwrap_err();
        assert!(
            e.to_string().contains("after the rows of a later table"),
            "{e}"
        );
    }

    /// The sample plus a webhook, written as a build from before webhooks chose their events
    /// and before the alert tables would have written it.
    fn archive_from_before_events_and_alerts() -> (Dump, Vec<u8>) {
        let mut d = sample();
        let hooks = d
            .tables
            .iter_mut()
            .find(|t| t.table.name == "webhooks")
            .unwrap();
        hooks.rows.push(vec![
            Value::Int(4),
            Value::Text("ops".into()),
            Value::Text("https://hooks.example.com/x".into()),
            Value::Int(3),
            Value::Bytes(vec![7; 40]),
            Value::Bool(true),
            Value::Int(20),
            Value::Int(21),
            Value::Text("maintenance".into()),
            Value::Text("slack".into()),
        ]);
        let text = String::from_utf8(archive(&d)).unwrap();
        let mut m: Manifest = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        m.tables.retain(|t| {
            !["integrations", "alert_rules", "alert_states"].contains(&t.name.as_str())
        });
        let hooks = m.tables.iter_mut().find(|t| t.name == "webhooks").unwrap();
        assert_eq!(hooks.columns.pop().as_deref(), Some("format:text"));
        assert_eq!(hooks.columns.pop().as_deref(), Some("events:text"));
        let subs = m
            .tables
            .iter_mut()
            .find(|t| t.name == "subscribers")
            .unwrap();
        assert_eq!(subs.columns.pop().as_deref(), Some("channel:text"));
        let body = text[body_start(text.as_bytes())..]
            .replace(",\"maintenance\",\"slack\"]", "]")
            .replace(",\"sms\"]", "]");
        m.body_sha256 = hex::encode(Sha256::digest(body.as_bytes()));
        let mut old = serde_json::to_vec(&m).unwrap();
        old.push(b'\n');
        old.extend_from_slice(body.as_bytes());
        (d, old)
    }

    #[test]
    fn an_archive_from_before_a_schema_change_restores_with_the_migrations_defaults() {
        let (mut expected, old) = archive_from_before_events_and_alerts();
        let (m, back) = decode(&old).unwrap();
        assert_eq!(m.tables.len(), TABLES.len() - 3);
        // The webhook gets every event, as the migration gave endpoints that existed before it.
        let hooks = expected
            .tables
            .iter_mut()
            .find(|t| t.table.name == "webhooks")
            .unwrap();
        hooks.rows[0][8] = Value::Text(
            "incident_created,incident_updated,incident_resolved,component_status,maintenance"
                .into(),
        );
        // And the signed JSON, as migration 0007 gave them.
        hooks.rows[0][9] = Value::Text("json".into());
        // A subscriber from before SMS is a mail subscriber, as migration 0008 says.
        let subs = expected
            .tables
            .iter_mut()
            .find(|t| t.table.name == "subscribers")
            .unwrap();
        subs.rows[0][8] = Value::Text("email".into());
        assert_eq!(back, expected);
        // Re-exporting writes this build's layout, which reads back unchanged.
        let (_, again) = decode(&archive(&back)).unwrap();
        assert_eq!(again, back);
    }

    #[test]
    fn an_archive_from_a_newer_build_is_refused_by_name() {
        let text = String::from_utf8(archive(&sample())).unwrap();
        let body = &text[body_start(text.as_bytes())..];
        let with_manifest = |edit: &dyn Fn(&mut Manifest)| {
            let mut m: Manifest = serde_json::from_str(text.lines().next().unwrap()).unwrap();
            edit(&mut m);
            let mut out = serde_json::to_vec(&m).unwrap();
            out.push(b'\n');
            out.extend_from_slice(body.as_bytes());
            decode(&out).unwrap_err().to_string()
        };
        let e = with_manifest(&|m| {
            m.tables.push(TableManifest {
                name: "sms_subscribers".into(),
                columns: vec!["id:int".into()],
                rows: 0,
            });
        });
        assert!(
            e.contains("table `sms_subscribers` is not in this build"),
            "{e}"
        );
        let e = with_manifest(&|m| {
            let t = m.tables.iter_mut().find(|t| t.name == "settings").unwrap();
            t.columns.push("scope:text".into());
        });
        assert!(
            e.contains("column `settings.scope` is not in this build"),
            "{e}"
        );
        let e = with_manifest(&|m| {
            let t = m.tables.iter_mut().find(|t| t.name == "settings").unwrap();
            t.columns[1] = "value:bytes".into();
        });
        assert!(
            e.contains("`settings.value` is `value:bytes` in the archive, `value:text`"),
            "{e}"
        );
        let e = with_manifest(&|m| m.tables.swap(0, 1));
        assert!(e.contains("out of this build's load order"), "{e}");
        let e = with_manifest(&|m| {
            let t = m.tables.iter_mut().find(|t| t.name == "settings").unwrap();
            t.columns.remove(1);
        });
        assert!(
            e.contains("`settings.value` is missing from the archive and has no default"),
            "{e}"
        );
    }

    #[test]
    fn the_not_empty_conflict_maps_to_its_own_error() {
        let e = BackupError::from(StoreError::Conflict {
            entity: NOT_EMPTY_ENTITY,
            detail: "not empty",
        });
        assert!(matches!(e, BackupError::NotEmpty));
        let e = BackupError::from(StoreError::Conflict {
            entity: "component",
            detail: "x",
        });
        assert!(matches!(e, BackupError::Store(_)));
    }
}
