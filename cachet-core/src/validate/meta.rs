//! Free-form metadata objects (`meta` on components and incidents).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Violation, check_single_line};

/// A JSON object of client metadata, as Cachet's API accepts on components and incidents.
///
/// Keys are single-line and 1 to 64 characters; nesting is at most [`Meta::MAX_DEPTH`] deep;
/// the serialised object is at most [`Meta::MAX_BYTES`]. `null` values are dropped (Cachet
/// deletes a meta key set to an empty value). Meta is data for API clients: pages never
/// render it as markup.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Meta(BTreeMap<String, Value>);

impl Meta {
    /// The largest serialised object, in bytes.
    pub const MAX_BYTES: usize = 16 * 1024;
    /// The deepest nesting of arrays and objects below the top level.
    pub const MAX_DEPTH: usize = 8;

    /// Validates a JSON value as meta: it must be an object (or `null` / `[]`, which mean
    /// empty, as PHP clients send them).
    ///
    /// # Errors
    ///
    /// [`Violation::Format`], [`Violation::TooLong`] or a key rule.
    pub fn from_value(value: Value) -> Result<Self, Violation> {
        let map = match value {
            Value::Null => return Ok(Self::default()),
            Value::Array(a) if a.is_empty() => return Ok(Self::default()),
            Value::Object(map) => map,
            _ => {
                return Err(Violation::Format {
                    expected: "a JSON object",
                });
            }
        };
        let mut out = BTreeMap::new();
        for (k, v) in map {
            if k.is_empty() || k.chars().count() > 64 {
                return Err(Violation::Format {
                    expected: "an object whose keys are 1 to 64 characters",
                });
            }
            check_single_line(&k)?;
            if depth(&v) > Self::MAX_DEPTH {
                return Err(Violation::Format {
                    expected: "an object nested at most 8 levels deep",
                });
            }
            if !v.is_null() {
                out.insert(k, v);
            }
        }
        let meta = Self(out);
        if meta.to_json().len() > Self::MAX_BYTES {
            return Err(Violation::TooLong {
                max: Self::MAX_BYTES,
            });
        }
        Ok(meta)
    }

    /// Parses meta from its JSON text (how stores keep it).
    ///
    /// # Errors
    ///
    /// As [`Meta::from_value`], or [`Violation::Format`] for invalid JSON.
    pub fn parse_json(s: &str) -> Result<Self, Violation> {
        if s.len() > Self::MAX_BYTES * 2 {
            return Err(Violation::TooLong {
                max: Self::MAX_BYTES,
            });
        }
        let v: Value = serde_json::from_str(s).map_err(|_| Violation::Format {
            expected: "a JSON object",
        })?;
        Self::from_value(v)
    }

    /// The object as compact JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The entries.
    #[must_use]
    pub fn as_map(&self) -> &BTreeMap<String, Value> {
        &self.0
    }

    /// Whether there are no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> serde::Deserialize<'de> for Meta {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn depth(v: &Value) -> usize {
    // Iterative, so a hostile document cannot exhaust the stack here (serde_json itself
    // already refuses more than 128 levels when parsing).
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_only_with_bounded_keys_depth_and_size() {
        assert!(Meta::from_value(json!({"runbook": "https://x", "n": 1})).is_ok());
        assert!(Meta::from_value(json!([])).unwrap().is_empty());
        assert!(Meta::from_value(json!(null)).unwrap().is_empty());
        assert!(Meta::from_value(json!("x")).is_err());
        assert!(Meta::from_value(json!({"": 1})).is_err());
        assert!(Meta::from_value(json!({"a\nb": 1})).is_err());
        let mut deep = json!(1);
        for _ in 0..9 {
            deep = json!([deep]);
        }
        assert!(Meta::from_value(json!({ "d": deep })).is_err());
        assert!(Meta::from_value(json!({"big": "x".repeat(Meta::MAX_BYTES)})).is_err());
        assert_eq!(
            Meta::from_value(json!({"gone": null})).unwrap(),
            Meta::default()
        );
    }

    #[test]
    fn json_text_round_trips() {
        let m = Meta::from_value(json!({"b": [1, {"c": true}], "a": "é"})).unwrap();
        assert_eq!(Meta::parse_json(&m.to_json()).unwrap(), m);
    }
}
