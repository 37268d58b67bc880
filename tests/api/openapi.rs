//! The OpenAPI document: committed, served and printed are the same bytes,
//! and the documentation page works offline.

use crate::common;
use crate::common::TestApp;

#[test]
fn the_committed_document_is_what_the_code_produces() {
    let produced = xietong::http::openapi::document_json();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("openapi/openapi.json is committed");
    assert!(
        produced == committed,
        "openapi/openapi.json is stale: run `cargo run -- schema openapi > openapi/openapi.json` and commit it"
    );
}

#[test]
fn schema_openapi_prints_the_same_bytes() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xietong"))
        .args(["schema", "openapi"])
        .output()
        .expect("run xietong schema openapi");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        printed == xietong::http::openapi::document_json(),
        "`xietong schema openapi` prints another document"
    );
}

#[tokio::test]
async fn the_server_serves_the_committed_document_and_its_docs_page() {
    let app = TestApp::spawn().await;
    let served = app.get("/api/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    assert_eq!(served.body, xietong::http::openapi::document_json().as_bytes());
    let document = served.json();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());

    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    let page = String::from_utf8_lossy(&docs.body);
    assert!(page.contains("swagger-ui"), "{page}");
    assert!(
        !page.contains("https://"),
        "the page must load nothing from the internet"
    );
    let script = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(script.status, 200, "Swagger UI is served from the binary");
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let document = common::openapi::committed();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("500"), "{method} {path} documents no 500");
            if path != "/api/v1/auth/token" {
                assert!(responses.contains_key("503"), "{method} {path} documents no 503");
            }
            if path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/") {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
                assert!(op["security"].is_array(), "{method} {path} names no security");
            }
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{method} {path} is not described"
            );
        }
    }
}

/// Every `$ref` names a schema the document has (query parameters once
/// named `PeriodKind`, which was not among the components).
#[test]
fn every_reference_resolves() {
    fn walk(value: &serde_json::Value, document: &serde_json::Value, at: &str) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(|r| r.as_str()) {
                    let pointer = reference.strip_prefix('#').expect("a local reference");
                    assert!(
                        document.pointer(pointer).is_some(),
                        "{at}: {reference} resolves to nothing"
                    );
                }
                for (key, inner) in map {
                    walk(inner, document, &format!("{at}/{key}"));
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|inner| walk(inner, document, at)),
            _ => {}
        }
    }
    let document = common::openapi::committed();
    walk(document, document, "");
}

#[test]
fn operation_ids_are_unique() {
    let document = common::openapi::committed();
    let mut seen = std::collections::HashSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(seen.insert(id.to_owned()), "{id} is used twice");
        }
    }
}

#[tokio::test]
async fn a_query_string_that_is_not_utf8_is_a_problem() {
    let app = TestApp::spawn().await;
    app.user("viewer", xietong::domain::values::Role::Viewer, None).await;
    let bearer = app.bearer("viewer").await;
    let response = app.as_bearer(&bearer, "GET", "/api/v1/tasks?q=%FF%FE", None).await;
    common::assert_problem(&response, 400, "BAD_REQUEST");
}
