//! Hostile input is data, never syntax: SQL metacharacters, NUL bytes,
//! markup and very long strings in every query parameter of every list the
//! OpenAPI document names, in GraphQL filters, and in stored text.

use crate::common;
use crate::common::{TestApp, seed};
use serde_json::{Value, json};
use xietong::config::ServeArgs;

const HOSTILE: &[&str] = &[
    "' OR '1'='1",
    "'; DROP TABLE tasks; --",
    "\" OR \"\"=\"",
    "%",
    "_",
    "\\",
    "%' --",
    "\0",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "1e309",
    "-99999999999999999999",
    "$1",
    "?",
];

fn long_string() -> String {
    "长".repeat(5_000)
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn spawn() -> TestApp {
    // Hundreds of requests from one token: the rate limit is another test's.
    TestApp::spawn_serving(ServeArgs {
        rate_limit_per_token: 0,
        rate_limit_per_address: 0,
        ..crate::common::quiet()
    })
    .await
}

/// Every list operation of the committed document without path
/// parameters, with the names of its query parameters.
fn lists() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("read the committed OpenAPI document");
    let document: Value = serde_json::from_str(&text).expect("the document is JSON");
    let mut lists = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        let params: Vec<String> = get["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if !params.is_empty() {
            lists.push((path.clone(), params));
        }
    }
    lists
}

#[tokio::test]
async fn every_query_parameter_takes_hostile_values_as_data() {
    let app = spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    seed::task(&app.db, &pairing, 1, &["100"]).await;
    let bearer = app.bearer_of_new_admin().await;
    let before = app.as_bearer(&bearer, "GET", "/api/v1/tasks", None).await.json();
    let lists = lists();
    assert!(lists.len() >= 10, "the document names the lists: {lists:?}");
    let long = long_string();
    let mut tried = 0;
    for (path, params) in &lists {
        for param in params {
            for value in HOSTILE.iter().copied().chain([long.as_str()]) {
                let uri = format!("{path}?{param}={}", encode(value));
                let answer = app.as_bearer(&bearer, "GET", &uri, None).await;
                tried += 1;
                assert!(
                    [200, 400, 422].contains(&answer.status),
                    "GET {path}?{param}={:.40}: {} {}",
                    value,
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
            }
        }
    }
    assert!(tried > 500, "{tried} requests");
    let after = app.as_bearer(&bearer, "GET", "/api/v1/tasks", None).await.json();
    assert_eq!(before, after, "the tasks are as they were");
}

#[tokio::test]
async fn like_wildcards_in_q_match_only_themselves() {
    let app = spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    seed::task(&app.db, &pairing, 1, &["100"]).await;
    let bearer = app.bearer_of_new_admin().await;
    for path in ["/api/v1/tasks", "/api/v1/regions", "/api/v1/units"] {
        let all = app.as_bearer(&bearer, "GET", path, None).await.json();
        assert!(all["total_count"].as_u64() > Some(0), "{path}: {all}");
        for wildcard in ["%", "_", "%%", "\\", "' OR '1'='1"] {
            let uri = format!("{path}?q={}", encode(wildcard));
            let found = app.as_bearer(&bearer, "GET", &uri, None).await;
            assert_eq!(found.status, 200, "{uri}");
            assert_eq!(found.json()["total_count"], 0, "{uri} matched: {}", found.json());
        }
    }
}

#[tokio::test]
async fn graphql_filters_take_hostile_values_as_data() {
    let app = spawn().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    seed::task(&app.db, &pairing, 1, &["100"]).await;
    let bearer = app.bearer_of_new_admin().await;
    let query = "query($q: String, $category: String, $sort: String) {
        tasks(q: $q, category: $category, sort: $sort) { totalCount }
        regions(q: $q) { totalCount }
        units(q: $q) { totalCount }
    }";
    let long = long_string();
    for value in HOSTILE.iter().copied().chain([long.as_str()]) {
        let answer = app
            .graphql(Some(&bearer), query, json!({"q": value, "category": value}))
            .await;
        if let Some(errors) = answer["errors"].as_array() {
            for error in errors {
                let code = error["extensions"]["code"].as_str().unwrap_or_default();
                assert!(
                    ["BAD_REQUEST", "VALIDATION_FAILED"].contains(&code),
                    "{value:.40}: {error}"
                );
            }
        } else {
            assert_eq!(answer["data"]["tasks"]["totalCount"], 0, "{value:.40}: {answer}");
        }
        let sorted = app.graphql(Some(&bearer), query, json!({"sort": value})).await;
        let code = common::graphql_code(&sorted);
        assert!(
            code.is_none() || code == Some("VALIDATION_FAILED") || code == Some("BAD_REQUEST"),
            "sort {value:.40}: {sorted}"
        );
    }
}

#[tokio::test]
async fn stored_text_with_metacharacters_comes_back_unchanged() {
    let app = spawn().await;
    let bearer = app.bearer_of_new_admin().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    for title in [
        "O'Brien\"; DROP TABLE events; --",
        "100% _done_ \\ ?",
        "<img src=x onerror=alert(1)>",
    ] {
        let created = app
            .as_bearer(
                &bearer,
                "POST",
                "/api/v1/events",
                Some(&json!({"pairing_id": pairing.pairing, "title": title, "occurred_on": "2025-03-01"})),
            )
            .await;
        assert_eq!(
            created.status,
            201,
            "{title}: {}",
            String::from_utf8_lossy(&created.body)
        );
        let id = created.json()["id"].as_str().expect("an id").to_owned();
        let read = app
            .as_bearer(&bearer, "GET", &format!("/api/v1/events/{id}"), None)
            .await
            .json();
        assert_eq!(read["title"], title);
    }
    let listed = app.as_bearer(&bearer, "GET", "/api/v1/events", None).await.json();
    assert_eq!(listed["total_count"], 3, "{listed}");
}

#[tokio::test]
async fn a_nul_character_is_refused_in_filters_and_by_postgresql_in_text() {
    let app = spawn().await;
    let bearer = app.bearer_of_new_admin().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    let filtered = app.as_bearer(&bearer, "GET", "/api/v1/tasks?q=a%00b", None).await;
    common::assert_problem(&filtered, 400, "BAD_REQUEST");
    let created = app
        .as_bearer(
            &bearer,
            "POST",
            "/api/v1/events",
            Some(&json!({"pairing_id": pairing.pairing, "title": "a\u{0}b", "occurred_on": "2025-03-01"})),
        )
        .await;
    if app.test_db.is_postgres() {
        // Its text columns cannot hold NUL: a problem, not a failure.
        common::assert_problem(&created, 400, "BAD_REQUEST");
    } else {
        assert_eq!(created.status, 201);
        assert_eq!(created.json()["title"], "a\u{0}b");
    }
}

#[tokio::test]
async fn input_errors_name_the_field_in_our_words_never_the_parsers() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let task = |overrides: Value| {
        let mut body = json!({
            "plan_id": p.plan, "seq": 1, "content": "确保协作引进1个以上项目落地巫溪县",
            "assignments": [{"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"}],
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), overrides.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    body.remove(k);
                } else {
                    body.insert(k.clone(), v.clone());
                }
            }
        }
        body
    };
    let post = |body: Value| {
        let (app, admin) = (&app, &admin);
        async move { app.as_bearer(admin, "POST", "/api/v1/tasks", Some(&body)).await }
    };
    let cases = [
        (
            task(json!({"seq": "abc"})),
            "seq",
            "must be a whole number, not the text \"abc\"",
        ),
        (task(json!({"content": null})), "content", "is required"),
        (task(json!({"colour": "red"})), "colour", "is not a field here"),
        (
            task(json!({"assignments": [{"unit_id": p.recipient_unit, "role": "boss", "side": "recipient"}]})),
            "assignments[0].role",
            "unknown value `boss`, expected one of: lead, supporting",
        ),
        (
            task(json!({"assignments": [{"unit_id": "not-an-id", "role": "lead", "side": "recipient"}]})),
            "assignments[0].unit_id",
            "must be an id",
        ),
        (
            task(json!({"deadline": "2025-13-45"})),
            "deadline",
            "must be a day like 2025-12-31",
        ),
    ];
    for (body, field, message) in cases {
        let answer = post(body).await;
        common::assert_problem(&answer, 422, "VALIDATION_FAILED");
        let problem = answer.json();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        let said = problem["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(said.starts_with(message), "{field}: {said}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        for parser in ["i32", "line 1", "Failed to deserialize", "invalid type", "UUID parsing"] {
            assert!(!detail.contains(parser), "{detail}");
        }
    }
    // JSON that does not parse.
    let broken = app
        .request_raw(
            "POST",
            "/api/v1/tasks",
            String::from(r#"{"seq": 1,"#),
            "application/json",
            &[("authorization", &admin)],
        )
        .await;
    common::assert_problem(&broken, 400, "BAD_REQUEST");
    assert_eq!(broken.json()["errors"][0]["field"], "body");
    // A query parameter of the wrong kind, and one that is not a parameter.
    for (query, field) in [("limit=many", "limit"), ("colour=red", "colour")] {
        let answer = app
            .as_bearer(&admin, "GET", &format!("/api/v1/tasks?{query}"), None)
            .await;
        common::assert_problem(&answer, 400, "BAD_REQUEST");
        assert_eq!(answer.json()["errors"][0]["field"], field, "{query}");
    }
}
