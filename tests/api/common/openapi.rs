//! Checks every JSON answer of the test app against the schema that the
//! committed OpenAPI document gives for its operation and status, so that
//! the document cannot lie.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

/// The committed document.
pub fn committed() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        let text = std::fs::read_to_string(path).expect("openapi/openapi.json is committed");
        serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
    })
}

/// The documented path template a request path falls under.
fn template_of(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = committed()["paths"].as_object()?;
    let mut best: Option<(&String, usize)> = None;
    for template in paths.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                true
            } else {
                literal += 1;
                t == s
            }
        });
        if fits && best.is_none_or(|(_, n)| literal > n) {
            best = Some((template, literal));
        }
    }
    best.map(|(t, _)| t.clone())
}

type Cache = Mutex<HashMap<String, Option<std::sync::Arc<jsonschema::Validator>>>>;

fn validator(schema_key: &str, schema: &Value) -> Option<std::sync::Arc<jsonschema::Validator>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().expect("the validator cache");
    cache
        .entry(schema_key.to_owned())
        .or_insert_with(|| {
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": committed()["components"],
                "allOf": [schema],
            });
            Some(std::sync::Arc::new(
                jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("schema of {schema_key}: {e}")),
            ))
        })
        .clone()
}

/// Panics unless the answer is documented and its body fits the schema.
pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
    let Some(template) = template_of(path) else { return };
    let method = method.to_lowercase();
    let Some(operation) = committed()["paths"][&template].get(&method) else {
        return;
    };
    let responses = &operation["responses"];
    let Some(response) = responses.get(status.to_string()) else {
        panic!(
            "{method} {template} answered {status}, which the document does not list: {}",
            String::from_utf8_lossy(body)
        );
    };
    if body.is_empty() {
        return;
    }
    let content_type = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let Some(schema) = response["content"].get(&content_type).map(|c| &c["schema"]) else {
        panic!("{method} {template} {status}: the document has no {content_type} body for it");
    };
    if !content_type.ends_with("json") {
        // A file (an export): documented by its media type, not a JSON schema.
        return;
    }
    let key = format!("{method} {template} {status} {content_type}");
    // NDJSON: each line is one instance of the schema.
    let instances: Vec<Value> = if content_type == "application/x-ndjson" {
        body.split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).unwrap_or_else(|e| panic!("{key}: a line is not JSON ({e})")))
            .collect()
    } else {
        vec![serde_json::from_slice(body).unwrap_or_else(|e| panic!("{method} {template} {status}: not JSON ({e})"))]
    };
    if let Some(v) = validator(&key, schema) {
        for instance in &instances {
            let errors: Vec<String> = v
                .iter_errors(instance)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{key}: the answer does not fit the document: {errors:?}\n{instance}"
            );
        }
    }
}
