//! Request input as Cachet's clients send it.
//!
//! Cachet (Laravel) reads input from the query string, form bodies and JSON bodies alike, and
//! its clients rely on that, so this layer merges all three (body over query) into one map and
//! is lenient where Cachet was (ARCHITECTURE.md section 4): an empty body is no input whatever its
//! `Content-Type`; `null` means absent; booleans are `true`/`false`/`1`/`0` in any case; PHP's
//! `key[]=` and `key[name]=` build arrays and objects. It is strict where Cachet was unsafe: a
//! field read as a scalar that holds an array or object is a 400, JSON nesting is bounded
//! before parsing, and nothing here ever becomes a column name.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::Request;
use serde_json::{Map, Value};

use crate::validate::{ValidationError, Violation};

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The body is not valid JSON, or not a JSON object.
    #[error("the request body must be a JSON object")]
    MalformedJson,
    /// The body nests deeper than allowed.
    #[error("the request body is nested too deeply")]
    TooDeep,
    /// The body is not valid UTF-8 form data.
    #[error("the request body is not valid form data")]
    MalformedForm,
}

/// The merged input of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    map: BTreeMap<String, Value>,
}

/// How deep a JSON text nests, counted without parsing (so a hostile body cannot make the
/// parser recurse).
fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Inserts a PHP-style form key (`a`, `a[]`, `a[b]`) into the map.
fn insert_form_pair(map: &mut BTreeMap<String, Value>, key: &str, value: String) {
    match key.split_once('[') {
        Some((base, rest)) if rest.ends_with(']') && !base.is_empty() => {
            let inner = &rest[..rest.len() - 1];
            let entry = map.entry(base.to_owned());
            if inner.is_empty() {
                let slot = entry.or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = slot {
                    a.push(Value::String(value));
                }
            } else {
                let slot = entry.or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(o) = slot {
                    o.insert(inner.to_owned(), Value::String(value));
                }
            }
        }
        _ => {
            map.insert(key.to_owned(), Value::String(value));
        }
    }
}

fn parse_form(bytes: &[u8], map: &mut BTreeMap<String, Value>) -> Result<(), InputError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|_| InputError::MalformedForm)?;
    for (k, v) in pairs {
        insert_form_pair(map, &k, v);
    }
    Ok(())
}

impl Input {
    /// Reads the query string and the body of a request.
    ///
    /// # Errors
    ///
    /// An [`InputError`] for a malformed or too deeply nested body.
    pub fn from_request(req: &Request<Bytes>, max_depth: usize) -> Result<Self, InputError> {
        let mut map = BTreeMap::new();
        if let Some(q) = req.uri().query() {
            // A malformed query string is not worth a 400: unreadable pairs are dropped.
            let _ = parse_form(q.as_bytes(), &mut map);
        }
        let body = req.body();
        // A GET or HEAD body has no meaning (RFC 9110) and Cachet never read one; clients send
        // anything there, such as the JSON string `"{}"`, and expect the normal answer.
        if matches!(*req.method(), http::Method::GET | http::Method::HEAD)
            || body.iter().all(u8::is_ascii_whitespace)
        {
            return Ok(Self { map });
        }
        let content_type = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let looks_json = content_type.contains("json")
            || (!content_type.contains("x-www-form-urlencoded")
                && body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
        if looks_json {
            if json_depth(body) > max_depth {
                return Err(InputError::TooDeep);
            }
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(o)) => map.extend(o),
                // PHP clients send `[]` for an empty object.
                Ok(Value::Array(a)) if a.is_empty() => {}
                _ => return Err(InputError::MalformedJson),
            }
        } else {
            parse_form(body, &mut map)?;
        }
        Ok(Self { map })
    }

    /// The fields of an object nested in a request (Statuspage's `{"incident": {...}}`
    /// envelope), read with the same rules as a request's own fields.
    #[must_use]
    pub fn from_fields(fields: Map<String, Value>) -> Self {
        Self {
            map: fields.into_iter().collect(),
        }
    }

    /// Whether the input names a field as `null` (which [`Input::get`] reads as absent): a
    /// client clearing a field, as `"group_id": null` takes a component out of its group.
    #[must_use]
    pub fn has_null(&self, key: &str) -> bool {
        matches!(self.map.get(key), Some(Value::Null))
    }

    /// The raw value of a field; `null` counts as absent.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The keys present (the fuzz target checks that decoding keeps every key it read).
    #[cfg(feature = "fuzzing")]
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// A scalar field as text (numbers and booleans as their text).
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] when the field holds an array or an object.
    pub fn text(&self, key: &'static str) -> Result<Option<String>, ValidationError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(if *b { "1" } else { "0" }.to_owned())),
            Some(_) => Err(ValidationError::new(
                key,
                Violation::Format {
                    expected: "a single value, not a list or an object",
                },
            )),
        }
    }

    /// A boolean field: `true`/`false`/`1`/`0` (any case), JSON booleans and 0/1 numbers.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] for anything else.
    pub fn bool(&self, key: &'static str) -> Result<Option<bool>, ValidationError> {
        let bad = || {
            ValidationError::new(
                key,
                Violation::NotAllowed {
                    allowed: "true, false, 1 or 0",
                },
            )
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(bad()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Ok(Some(true)),
                "false" | "0" | "off" | "no" | "" => Ok(Some(false)),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }

    /// An integer field (JSON number or decimal text).
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] for anything else.
    pub fn int(&self, key: &'static str) -> Result<Option<i64>, ValidationError> {
        let bad = || {
            ValidationError::new(
                key,
                Violation::Format {
                    expected: "a whole number",
                },
            )
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    /// A list of integers: a JSON array, a PHP `key[]=` list, or comma-separated text.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] for anything else.
    pub fn int_list(&self, key: &'static str) -> Result<Option<Vec<i64>>, ValidationError> {
        let bad = || {
            ValidationError::new(
                key,
                Violation::Format {
                    expected: "a list of whole numbers",
                },
            )
        };
        let one = |v: &Value| match v {
            Value::Number(n) => n.as_i64().ok_or_else(bad),
            Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
            _ => Err(bad()),
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => a.iter().map(one).collect::<Result<_, _>>().map(Some),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(Vec::new())),
            Some(Value::String(s)) => s
                .split(',')
                .map(|p| p.trim().parse::<i64>().map_err(|_| bad()))
                .collect::<Result<_, _>>()
                .map(Some),
            Some(Value::Number(n)) => n.as_i64().map(|n| Some(vec![n])).ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// An object field (`meta`, `vars`); `[]` and absent mean empty.
    #[must_use]
    pub fn object(&self, key: &str) -> Option<Value> {
        self.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str, ct: Option<&str>, body: &str) -> Request<Bytes> {
        let mut b = Request::builder().uri(uri).method("POST");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn a_get_or_head_body_is_never_read() {
        for method in ["GET", "HEAD"] {
            for body in [r#""{}""#, "garbage", r#"{"name":"b"}"#] {
                let r = Request::builder()
                    .uri("/x?name=q")
                    .method(method)
                    .header("content-type", "application/json")
                    .body(Bytes::from(body))
                    .unwrap();
                let i = Input::from_request(&r, 32).unwrap();
                assert_eq!(
                    i.text("name").unwrap().as_deref(),
                    Some("q"),
                    "{method} {body}"
                );
            }
        }
    }

    #[test]
    fn query_form_and_json_merge_with_the_body_winning() {
        let i = Input::from_request(
            &req(
                "/x?name=q&status=1",
                Some("application/json"),
                r#"{"name":"b","meta":{"a":1}}"#,
            ),
            32,
        )
        .unwrap();
        assert_eq!(i.text("name").unwrap().as_deref(), Some("b"));
        assert_eq!(i.int("status").unwrap(), Some(1));
        let f = Input::from_request(
            &req(
                "/x",
                Some("application/x-www-form-urlencoded"),
                "name=A+B&tags[]=x&tags[]=y&vars[who]=me",
            ),
            32,
        )
        .unwrap();
        assert_eq!(f.text("name").unwrap().as_deref(), Some("A B"));
        assert_eq!(f.get("tags"), Some(&serde_json::json!(["x", "y"])));
        assert_eq!(f.get("vars"), Some(&serde_json::json!({"who": "me"})));
    }

    #[test]
    fn empty_bodies_nulls_and_booleans_are_lenient() {
        let i = Input::from_request(&req("/x?visible=TRUE", Some("application/json"), "  "), 32)
            .unwrap();
        assert_eq!(i.bool("visible").unwrap(), Some(true));
        let j = Input::from_request(
            &req(
                "/x",
                Some("application/json"),
                r#"{"a":null,"b":"0","c":1,"d":"False"}"#,
            ),
            32,
        )
        .unwrap();
        assert_eq!(j.text("a").unwrap(), None);
        assert_eq!(j.bool("b").unwrap(), Some(false));
        assert_eq!(j.bool("c").unwrap(), Some(true));
        assert_eq!(j.bool("d").unwrap(), Some(false));
        assert!(j.bool("e").unwrap().is_none());
        assert!(Input::from_request(&req("/x", Some("application/json"), "[]"), 32).is_ok());
    }

    #[test]
    fn arrays_where_scalars_belong_and_bad_bodies_are_errors() {
        let i = Input::from_request(&req("/x?name[]=a", None, ""), 32).unwrap();
        assert_eq!(i.text("name").unwrap_err().field(), "name");
        assert_eq!(
            Input::from_request(&req("/x", Some("application/json"), "{"), 32),
            Err(InputError::MalformedJson)
        );
        assert_eq!(
            Input::from_request(&req("/x", Some("application/json"), "\"s\""), 32),
            Err(InputError::MalformedJson)
        );
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            Input::from_request(&req("/x", Some("application/json"), &deep), 32),
            Err(InputError::TooDeep)
        );
        let ok = format!("{{\"a\":\"{}\"}}", "[".repeat(40));
        assert!(
            Input::from_request(&req("/x", Some("application/json"), &ok), 32).is_ok(),
            "brackets in strings do not count"
        );
    }
}
