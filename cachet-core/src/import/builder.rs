//! The target side of an import: the [`Dump`] being built, table by table, with the counts,
//! rejections and skips the plan reports.

use std::collections::{BTreeMap, BTreeSet};

use super::source::{Field, Row, Source, rows};
use super::{Rejected, TableCount};
use crate::store::backup::{Dump, Value};

/// The dump being built, with what [`Plan`](super::Plan) reports about it.
pub(super) struct Builder {
    pub(super) dump: Dump,
    pub(super) counts: Vec<TableCount>,
    pub(super) rejected: Vec<Rejected>,
    pub(super) skipped: BTreeMap<&'static str, usize>,
}

impl Builder {
    /// An empty dump at revision 1: the first revision of a new store.
    pub(super) fn new() -> Self {
        Self {
            dump: Dump::empty(1),
            counts: Vec::new(),
            rejected: Vec::new(),
            skipped: BTreeMap::new(),
        }
    }

    pub(super) fn push(&mut self, table: &str, row: Vec<Value>) {
        if let Some(t) = self.dump.tables.iter_mut().find(|t| t.table.name == table) {
            t.rows.push(row);
        }
    }

    pub(super) fn reject(
        &mut self,
        table: &'static str,
        id: Option<i64>,
        reason: impl Into<String>,
    ) {
        self.rejected.push(Rejected {
            table,
            id,
            reason: reason.into(),
        });
    }

    pub(super) fn skip(&mut self, table: &'static str) {
        *self.skipped.entry(table).or_default() += 1;
    }

    pub(super) fn count(&mut self, table: &'static str, read: usize, imported: usize) {
        self.counts.push(TableCount {
            table,
            read,
            imported,
        });
    }
}

/// Maps one table into the table of the same name here: `f` turns a row into `Ok(Some(values))` (imported), `Ok(None)`
/// (deliberately skipped) or `Err(reason)` (rejected). Returns the imported ids.
pub(super) fn map_table(
    b: &mut Builder,
    source: &Source,
    table: &'static str,
    mut f: impl FnMut(&Row<'_>, i64) -> Field<Option<Vec<Value>>>,
) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    let mut read = 0;
    for row in rows(source, table) {
        read += 1;
        let Some(id) = row.id() else {
            b.reject(table, None, "id: not an integer");
            continue;
        };
        match f(&row, id) {
            Ok(Some(values)) => {
                b.push(table, values);
                ids.insert(id);
            }
            Ok(None) => b.skip(table),
            Err(reason) => b.reject(table, Some(id), reason),
        }
    }
    b.count(table, read, ids.len());
    ids
}

/// Row values, short: the mappings are lists of them.
pub(super) fn int(i: i64) -> Value {
    Value::Int(i)
}
pub(super) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}
pub(super) fn opt_int(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::Int)
}
