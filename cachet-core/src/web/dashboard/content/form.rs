//! Reading submitted forms into the core's validated types, collecting every broken rule with
//! its field name so the form can be shown again with each message beside its field.

use chrono::{NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;

use crate::clock::Timestamp;
use crate::validate::{ValidationError, Violation};

use super::view::Form;

/// A submitted `application/x-www-form-urlencoded` body (or query string), in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Submitted(Vec<(String, String)>);

impl Submitted {
    /// Parses a body or a query string (the tests' shorthand; requests go through
    /// [`Self::from_form`]). Undecodable input is no input: every field is then missing and
    /// the handler reports each required one by name.
    #[cfg(test)]
    pub fn parse(bytes: &[u8]) -> Self {
        Self::from_form(&crate::web::form::Form::parse(bytes).unwrap_or_default())
    }

    /// The fields of a decoded request form (the body or the query string).
    pub fn from_form(form: &crate::web::form::Form) -> Self {
        Self(form.pairs().to_vec())
    }

    /// Fields from pairs (a stored entity's values shown in its form).
    pub fn from_pairs(pairs: Vec<(&str, String)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// Appends a field.
    pub fn push(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value));
    }

    /// The last value of a field, or `""`.
    pub fn text(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether the field was sent at all.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every value of a field (checkbox lists).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A checkbox: checked when any value is `1`, `on` or `true` (the form also sends a
    /// hidden `0`, so an unchecked box is explicit).
    pub fn checked(&self, name: &str) -> bool {
        self.all(name)
            .iter()
            .any(|v| matches!(*v, "1" | "on" | "true"))
    }

    /// A checkbox, or `default` when the form did not send the field at all (not even the
    /// hidden `0`): a hand-written request gets the form's defaults.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        if self.has(name) {
            self.checked(name)
        } else {
            default
        }
    }

    /// Field names starting with a prefix, with the rest of the name (`component_3` -> `3`).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.as_str())))
    }
}

/// Broken rules, each with its field.
#[derive(Debug, Default)]
pub(crate) struct Errors(Vec<(String, String)>);

impl Errors {
    /// Keeps the value, or records the rule it broke under `field`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, Violation>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(v) => {
                self.add(field, &v.to_string());
                None
            }
        }
    }

    /// Records a validation error (which names its field).
    pub fn validation(&mut self, e: &ValidationError) {
        self.add(e.field(), &e.violation().to_string());
    }

    /// Records a message for a field (`form` for the form as a whole).
    pub fn add(&mut self, field: &str, rule: &str) {
        let message = if field == "form" {
            rule.to_owned()
        } else {
            format!("{field}: {rule}")
        };
        self.0.push((field.to_owned(), message));
    }

    /// Whether every message is about the form as a whole (a conflict, not a field).
    pub fn only_general(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|(f, _)| f == "form")
    }

    /// Whether nothing was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts each message beside its field; messages for fields the form does not show go
    /// above it.
    pub fn apply(&self, form: &mut Form) {
        let mut general = Vec::new();
        for (field, message) in &self.0 {
            // A row of a select table reports on its table.
            let holds = |f: &super::view::Field| {
                &f.name == field
                    || matches!(&f.kind, super::view::Kind::SelectTable { rows, .. }
                        if rows.iter().any(|r| &r.name == field))
            };
            match form.fields.iter_mut().find(|f| holds(f)) {
                Some(f) if !f.is_hidden() => {
                    f.error = Some(match f.error.take() {
                        Some(before) => format!("{before}; {message}"),
                        None => message.clone(),
                    });
                }
                _ => general.push(message.clone()),
            }
        }
        if !general.is_empty() {
            let mut all: Vec<String> = form.error.take().into_iter().collect();
            all.extend(general);
            form.error = Some(all.join("; "));
        }
    }
}

/// A `datetime-local` value (`2026-01-31T14:30`, seconds optional; `2026-01-31 14:30` too)
/// in the site's zone. Years outside 1970 to 9999 are refused; a local time skipped by a
/// daylight-saving change is refused, an ambiguous one takes the earlier instant.
pub(crate) fn parse_local(s: &str, tz: Tz) -> Result<Timestamp, Violation> {
    let bad = Violation::Format {
        expected: "a date and time such as 2026-01-31T14:30",
    };
    let s = s.trim();
    let naive = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .ok_or_else(|| bad.clone())?;
    if !(1970..=9999).contains(&chrono::Datelike::year(&naive)) {
        return Err(bad);
    }
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or(bad)
}

/// A time as a `datetime-local` value in the site's zone.
pub(crate) fn local_input(t: Timestamp, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// A whole number.
pub(crate) fn int(s: &str) -> Result<i64, Violation> {
    s.trim().parse::<i64>().map_err(|_| Violation::Format {
        expected: "a whole number",
    })
}

/// A positive id in a select (`0` or empty is "none").
pub(crate) fn opt_id(s: &str) -> Result<Option<i64>, Violation> {
    match s.trim() {
        "" | "0" => Ok(None),
        other => int(other).and_then(|n| {
            if n > 0 {
                Ok(Some(n))
            } else {
                Err(Violation::Format {
                    expected: "the id of an existing entry",
                })
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::web::dashboard::content::view::{Field, Kind};

    #[test]
    fn fields_checkboxes_and_prefixes() {
        let s = Submitted::parse(b"name=a+b&enabled=0&enabled=1&c_3=2&c_4=0&x=%3Cb%3E");
        assert_eq!(s.text("name"), "a b");
        assert_eq!(s.text("x"), "<b>");
        assert_eq!(s.text("missing"), "");
        assert!(s.checked("enabled"));
        assert!(!Submitted::parse(b"enabled=0").checked("enabled"));
        let p: Vec<_> = s.with_prefix("c_").collect();
        assert_eq!(p, vec![("3", "2"), ("4", "0")]);
        assert_eq!(Submitted::parse(b"%ZZ=\xff").text("a"), "");
    }

    #[test]
    fn local_times_follow_the_zone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let t = parse_local("2026-01-31T14:30", tz).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-31T13:30:00+00:00");
        assert_eq!(local_input(t, tz), "2026-01-31T14:30");
        assert!(parse_local("2026-03-29T02:30", tz).is_err(), "skipped hour");
        assert!(parse_local("1969-12-31T23:00", Tz::UTC).is_err());
        assert!(parse_local("tomorrow", Tz::UTC).is_err());
    }

    #[test]
    fn errors_go_beside_their_fields() {
        let mut form = Form::new("/x", "t", "Save")
            .field(Field::new("name", "Name", Kind::Text, ""))
            .field(Field::hidden("id", "1"));
        let mut e = Errors::default();
        assert_eq!(e.take("name", Err::<(), _>(Violation::Required)), None);
        e.add("id", "is wrong");
        e.apply(&mut form);
        assert_eq!(form.fields[0].error.as_deref(), Some("name: is required"));
        assert_eq!(form.error.as_deref(), Some("id: is wrong"));
        assert!(opt_id("0").unwrap().is_none());
        assert!(opt_id("-2").is_err());
        assert_eq!(opt_id("7").unwrap(), Some(7));
    }
}
