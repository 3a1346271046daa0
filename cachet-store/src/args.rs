//! Bind values and the small dynamic-SQL builder the list queries use.
//!
//! Every statement is written once with `?` placeholders; the PostgreSQL dialect rewrites them
//! to `$1..$n`. Values travel as [`Arg`]s so one binding loop serves all three drivers.

use cachet_core::clock::Timestamp;
use cachet_core::store::Direction;

/// One bind value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A `BIGINT` (ids, codes, times in microseconds, thousandths).
    Int(Option<i64>),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(Option<String>),
    /// Bytes.
    Blob(Option<Vec<u8>>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Self {
        Self::Blob(Some(v.to_vec()))
    }
}
impl From<Option<&[u8]>> for Arg {
    fn from(v: Option<&[u8]>) -> Self {
        Self::Blob(v.map(<[u8]>::to_vec))
    }
}
impl From<Timestamp> for Arg {
    fn from(v: Timestamp) -> Self {
        Self::Int(Some(v.timestamp_micros()))
    }
}
impl From<Option<Timestamp>> for Arg {
    fn from(v: Option<Timestamp>) -> Self {
        Self::Int(v.map(|t| t.timestamp_micros()))
    }
}

/// `vec![Arg::from(a), Arg::from(b), ...]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        vec![$($crate::args::Arg::from($v)),*]
    };
}
pub(crate) use args;

/// Binds a list of [`Arg`]s onto a `query`, `query_as` or `query_scalar`.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::args::Arg::Int(v) => q.bind(v),
                $crate::args::Arg::Bool(v) => q.bind(v),
                $crate::args::Arg::Text(v) => q.bind(v),
                $crate::args::Arg::Blob(v) => q.bind(v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// `?, ?, ?` for `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

/// Rewrites `?` placeholders to PostgreSQL's `$1..$n`. Statements never hold a `?` in a
/// literal, so a plain scan is exact.
#[cfg(feature = "postgres")]
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A `WHERE` clause under construction: conditions joined by `AND`, with their values.
#[derive(Debug, Default)]
pub(crate) struct Where {
    conds: Vec<String>,
    pub(crate) args: Vec<Arg>,
}

impl Where {
    /// `col = ?`.
    pub(crate) fn eq(&mut self, col: &'static str, v: impl Into<Arg>) {
        self.conds.push(format!("{col} = ?"));
        self.args.push(v.into());
    }

    /// A fixed condition with its values (`cond` holds one `?` per value).
    pub(crate) fn cond(&mut self, cond: &'static str, args: Vec<Arg>) {
        self.conds.push(cond.to_owned());
        self.args.extend(args);
    }

    /// `prefix (?, ?, ...) suffix` for a list of values (for `IN` and `EXISTS (... IN ...)`).
    pub(crate) fn in_list(&mut self, prefix: &'static str, values: Vec<Arg>, suffix: &'static str) {
        self.conds
            .push(format!("{prefix} ({}){suffix}", placeholders(values.len())));
        self.args.extend(values);
    }

    /// ` WHERE a AND b`, or nothing.
    pub(crate) fn sql(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }
}

/// An `ORDER BY` list for an explicit sort: the column in the requested direction (a nullable
/// column puts `NULL` first ascending and last descending, as `Option` orders, written
/// portably instead of PostgreSQL's `NULLS FIRST`), then id ascending in both directions.
pub(crate) fn sort_clause(col: &'static str, nullable: bool, dir: Direction) -> String {
    let d = dir.sql();
    if col == "id" {
        format!("id {d}")
    } else if nullable {
        format!("(CASE WHEN {col} IS NULL THEN 0 ELSE 1 END) {d}, {col} {d}, id ASC")
    } else {
        format!("{col} {d}, id ASC")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "postgres")]
    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            numbered_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }

    #[test]
    fn placeholder_lists() {
        assert_eq!(placeholders(3), "?, ?, ?");
        assert_eq!(placeholders(0), "");
    }

    #[test]
    fn where_clauses_join_with_and() {
        let mut w = Where::default();
        assert_eq!(w.sql(), "");
        w.eq("a", 1_i64);
        w.in_list("b IN", args![2_i64, 3_i64], "");
        assert_eq!(w.sql(), " WHERE a = ? AND b IN (?, ?)");
        assert_eq!(w.args.len(), 3);
        assert_eq!(sort_clause("x", false, Direction::Desc), "x DESC, id ASC");
    }
}
