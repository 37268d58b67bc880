//! The shapes the OpenAPI document states are the shapes the service holds
//! to, both ways: each value an enumeration names is taken, a value outside
//! it is refused naming the parameter; a whole number written as a float is
//! that number; a form field an import does not name is refused. The
//! schemathesis run of `.ci/schemathesis` checks the same over generated
//! requests; these are the cases a reader can see.

use crate::common::{TestApp, assert_problem, openapi, seed};
use serde_json::{Value, json};

/// The query parameters with an enumeration, of every operation without a
/// path parameter: (path, parameter, values, the operation's required
/// parameters).
fn enumerated_query_parameters() -> Vec<(String, String, Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    for (path, item) in openapi::committed()["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        let parameters = get["parameters"].as_array().into_iter().flatten();
        let required: Vec<String> = parameters
            .clone()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        for param in parameters {
            let (Some(name), Some(values)) = (param["name"].as_str(), param["schema"]["enum"].as_array()) else {
                continue;
            };
            if param["in"] == "query" {
                let values = values.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                found.push((path.clone(), name.to_owned(), values, required.clone()));
            }
        }
    }
    found
}

/// The fields a refusal names (none for an answer that is not JSON: a
/// download).
fn refused_fields(answer: &crate::common::TestResponse) -> Vec<String> {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn every_sort_and_format_parameter_is_an_enumeration() {
    // A list added without its keys in openapi::SORTS would document
    // `sort` as free text: this says which.
    let mut free = Vec::new();
    for (path, item) in openapi::committed()["paths"].as_object().expect("paths") {
        for param in item["get"]["parameters"].as_array().into_iter().flatten() {
            let named = |n: &str| param["name"] == n && param["in"] == "query";
            if (named("sort") || named("format")) && param["schema"]["enum"].as_array().is_none() {
                free.push(format!("{path}?{}", param["name"]));
            }
        }
    }
    assert!(
        free.is_empty(),
        "free text where the service takes a fixed set: {free:?}"
    );
}

#[tokio::test]
async fn every_enumerated_query_value_is_taken_and_no_other() {
    let app = TestApp::spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    seed::task(&app.db, &pairing, 1, &["100"]).await;
    let admin = app.bearer_of_new_admin().await;
    let parameters = enumerated_query_parameters();
    let names: Vec<String> = parameters
        .iter()
        .map(|(path, name, ..)| format!("{path}?{name}"))
        .collect();
    for expected in [
        "/api/v1/tasks?sort",
        "/api/v1/tasks?status",
        "/api/v1/regions?sort",
        "/api/v1/projects/export?format",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} has an enumeration: {names:?}"
        );
    }
    for (path, name, values, required) in &parameters {
        // What the operation cannot go without, so that only `name` is judged.
        let given: String = required
            .iter()
            .map(|r| match r.as_str() {
                "pairing_id" => format!("&pairing_id={}", pairing.pairing),
                "period" => "&period=2025".to_owned(),
                other => panic!("{path} requires {other}: give it a value here"),
            })
            .collect();
        for value in values {
            let answer = app
                .as_bearer(&admin, "GET", &format!("{path}?{name}={value}{given}"), None)
                .await;
            assert!(
                !refused_fields(&answer).contains(name),
                "GET {path}?{name}={value} is refused for its {name}: {}",
                String::from_utf8_lossy(&answer.body)
            );
        }
        // Not in the enumeration: empty, padded, another case.
        let first = &values[0];
        for outside in [String::new(), format!("%20{first}"), first.to_uppercase()] {
            if values.contains(&outside) {
                continue;
            }
            let answer = app
                .as_bearer(&admin, "GET", &format!("{path}?{name}={outside}{given}"), None)
                .await;
            assert!(
                [400, 422].contains(&answer.status) && refused_fields(&answer).contains(name),
                "GET {path}?{name}={outside}: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
        }
    }
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_that_number() {
    let app = TestApp::spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let plan = |year: Value| json!({"pairing_id": pairing.pairing, "year": year, "title": "渝中区·巫溪县2025年度对口协同发展任务清单"});
    // As Python's json.dumps(2025.0) writes it.
    let created = app
        .as_bearer(&admin, "POST", "/api/v1/plans", Some(&plan(json!(2025.0))))
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert_eq!(created.json()["year"], 2025);
    let fraction = app
        .as_bearer(&admin, "POST", "/api/v1/plans", Some(&plan(json!(2025.5))))
        .await;
    assert_problem(&fraction, 422, "VALIDATION_FAILED");
    assert_eq!(fraction.json()["errors"][0]["field"], "year");
    assert_eq!(
        fraction.json()["errors"][0]["message"],
        "must be a whole number, not the number 2025.5"
    );
}

#[tokio::test]
async fn a_form_field_an_import_does_not_name_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let body = "--b\r\nContent-Disposition: form-data; name=\"colour\"\r\n\r\nred\r\n\
                --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\r\ncode,name,kind,cluster\n\r\n--b--\r\n";
    let answer = app
        .request_raw(
            "POST",
            "/api/v1/imports/regions",
            body.to_owned(),
            "multipart/form-data; boundary=b",
            &[("authorization", &admin)],
        )
        .await;
    assert_problem(&answer, 422, "VALIDATION_FAILED");
    assert_eq!(answer.json()["errors"][0]["field"], "colour");
    assert_eq!(
        answer.json()["errors"][0]["message"],
        "is not a field here: the fields are file, dry_run"
    );
}
