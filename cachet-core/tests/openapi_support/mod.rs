//! What the OpenAPI tests share: the served document, and validating a real answer against
//! the schema the document declares for it (JSON Schema 2020-12, which OpenAPI 3.1 schemas
//! are; `$ref`s resolve inside the document).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use http::StatusCode;
use serde_json::{Value, json};

use crate::api_v1_harness::Api;

/// The served document, checked to be JSON.
pub async fn document(api: &Api) -> Value {
    let r = api.send("GET", "/api/openapi.json", None, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.resp.headers()["content-type"], "application/json");
    assert!(r.json.is_object(), "the document is JSON");
    r.json
}

/// A validator for a schema of the document (its `$ref`s resolve inside the document).
pub fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    let obj = root.as_object_mut().unwrap();
    obj.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    obj.insert("components".into(), doc["components"].clone());
    jsonschema::validator_for(&root).unwrap()
}

/// Asserts that `instance` validates, listing every error where it is.
pub fn assert_valid(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
}

/// The response schema the document declares for an operation and status.
pub fn response_schema(doc: &Value, path: &str, method: &str, status: u16) -> Value {
    let s =
        doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
            ["schema"]
            .clone();
    assert!(s.is_object(), "no schema for {method} {path} {status}");
    s
}
