//! Platforms' own ids: `external_id` on plans, tasks, reports and
//! projects, unique per client, and `PUT /api/v1/{resource}/by-external-id/
//! {external_id}` that creates or replaces, idempotently (ten concurrent
//! retries leave one row at version 1, on both backends), with `If-Match`
//! checked when sent.

use std::sync::Arc;

use serde_json::{Value, json};
use xietong::domain::Caller;
use xietong::domain::client::{self, NewClient};

use crate::common::matrix::{Who, World};
use crate::common::{Racer, TestApp, assert_problem, race};

/// `PUT` of `body` at `path` as `bearer`, with `If-Match` when given.
async fn put(
    app: &TestApp,
    bearer: &str,
    path: &str,
    body: &Value,
    if_match: Option<i32>,
) -> crate::common::TestResponse {
    let etag = if_match.map(|v| format!("\"{v}\""));
    let mut headers = vec![("authorization", bearer)];
    if let Some(etag) = &etag {
        headers.push(("if-match", etag.as_str()));
    }
    app.request("PUT", path, Some(body), &headers).await
}

fn task_body(w: &World, content: &str) -> Value {
    json!({
        "plan_id": w.p.plan,
        "seq": 31,
        "category": "联手开展招商引资",
        "content": content,
        "assignments": [{"unit_id": w.p.recipient_unit, "role": "lead", "side": "recipient"}],
        "targets": [{"metric": "investment_funds", "comparator": "at_least", "value": "5000", "unit": "万元",
                     "source_text": "力争实际到位资金5000万元以上"}],
    })
}

/// A second platform that writes everywhere.
async fn other_platform(app: &TestApp) -> String {
    let issued = client::create(
        &app.db,
        &Caller::system(),
        NewClient {
            client_id: Some("other-platform".into()),
            name: "另一平台".into(),
            scopes: vec!["read".into(), "write".into()],
            default_scopes: vec!["read".into(), "write".into()],
        },
    )
    .await
    .expect("a client");
    let token = app
        .request_raw(
            "POST",
            "/api/v1/auth/token",
            format!(
                "grant_type=client_credentials&client_id=other-platform&client_secret={}",
                issued.client_secret
            ),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    format!("Bearer {}", token.json()["access_token"].as_str().expect("a token"))
}

#[tokio::test]
async fn a_platform_creates_then_replaces_a_task_by_its_own_id() {
    let w = World::new().await;
    let app = &w.app;
    let platform = w.bearer(Who::ClientWrite);
    let path = "/api/v1/tasks/by-external-id/CQ-XT-2025-031";

    let made = put(app, platform, path, &task_body(&w, "引进1个以上项目落地"), None).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    assert_eq!(made.header("etag"), Some("\"1\""));
    let task = made.json();
    assert_eq!(task["external_id"], "CQ-XT-2025-031");
    assert_eq!(task["version"], 1);
    let id = task["id"].as_str().expect("an id").to_owned();
    let target = task["targets"][0]["id"].clone();

    // The same request again: the same task, untouched.
    let again = put(app, platform, path, &task_body(&w, "引进1个以上项目落地"), None).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], id.as_str());
    assert_eq!(again.json()["version"], 1);

    // Another text: replaced, its target kept (reported figures stay with it).
    let changed = put(app, platform, path, &task_body(&w, "引进2个以上项目落地"), None).await;
    assert_eq!(changed.status, 200);
    let changed = changed.json();
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["content"], "引进2个以上项目落地");
    assert_eq!(changed["targets"][0]["id"], target);
    let read = app
        .as_bearer(platform, "GET", &format!("/api/v1/tasks/{id}"), None)
        .await;
    assert_eq!(read.json()["external_id"], "CQ-XT-2025-031");

    // If-Match, when sent, is checked.
    let stale = put(app, platform, path, &task_body(&w, "引进3个以上项目落地"), Some(1)).await;
    assert_problem(&stale, 412, "VERSION_CONFLICT");
    let current = put(app, platform, path, &task_body(&w, "引进3个以上项目落地"), Some(2)).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.json()["version"], 3);
    let nothing_yet = put(
        app,
        platform,
        "/api/v1/tasks/by-external-id/CQ-XT-2025-099",
        &task_body(&w, "x"),
        Some(1),
    )
    .await;
    assert_problem(&nothing_yet, 412, "VERSION_CONFLICT");

    // The id is the platform's: another platform's, or the office's, is
    // another task.
    let other = other_platform(app).await;
    let mut their_body = task_body(&w, "另一平台的任务");
    their_body["seq"] = json!(32);
    let theirs = put(app, &other, path, &their_body, None).await;
    assert_eq!(theirs.status, 201, "{}", String::from_utf8_lossy(&theirs.body));
    assert_ne!(theirs.json()["id"], id.as_str());
    let mut office_body = task_body(&w, "区县自己的任务");
    office_body["seq"] = json!(33);
    let office = put(app, w.bearer(Who::Admin), path, &office_body, None).await;
    assert_eq!(office.status, 201, "{}", String::from_utf8_lossy(&office.body));
    assert_ne!(office.json()["id"], id.as_str());
    assert_ne!(office.json()["id"], theirs.json()["id"]);
}

#[tokio::test]
async fn each_bad_upsert_is_refused() {
    let w = World::new().await;
    let app = &w.app;
    let platform = w.bearer(Who::ClientWrite);
    let body = task_body(&w, "引进1个以上项目落地");
    let long = "长".repeat(101);
    for (path, why) in [
        ("/api/v1/tasks/by-external-id/%20CQ-1".to_owned(), "a leading space"),
        ("/api/v1/tasks/by-external-id/CQ-1%20".to_owned(), "a trailing space"),
        ("/api/v1/tasks/by-external-id/CQ%091".to_owned(), "a control character"),
        (format!("/api/v1/tasks/by-external-id/{long}"), "101 characters"),
    ] {
        let answer = put(app, platform, &path, &body, None).await;
        assert_eq!(answer.status, 422, "{why}: {}", String::from_utf8_lossy(&answer.body));
        assert!(String::from_utf8_lossy(&answer.body).contains("external_id"), "{why}");
    }
    // 100 characters are one id.
    let hundred = "长".repeat(100);
    let answer = put(
        app,
        platform,
        &format!("/api/v1/tasks/by-external-id/{hundred}"),
        &body,
        None,
    )
    .await;
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));

    let mut named = body.clone();
    named["external_id"] = json!("CQ-2");
    let answer = put(app, platform, "/api/v1/tasks/by-external-id/CQ-1", &named, None).await;
    assert_problem(&answer, 422, "VALIDATION_FAILED");
    assert!(String::from_utf8_lossy(&answer.body).contains("another external id"));

    // A task stays in its plan; a plan keeps its year.
    let mut body = body.clone();
    body["seq"] = json!(35);
    let made = put(app, platform, "/api/v1/tasks/by-external-id/CQ-3", &body, None).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let elsewhere = w.qianjiang_plan().await;
    let mut moved = body.clone();
    moved["plan_id"] = json!(elsewhere.id);
    let answer = put(app, platform, "/api/v1/tasks/by-external-id/CQ-3", &moved, None).await;
    assert_problem(&answer, 422, "VALIDATION_FAILED");
    assert!(String::from_utf8_lossy(&answer.body).contains("plan_id"));
    let plan = json!({"region_id": w.qianjiang, "year": 2024, "title": "黔江区2024年重点任务"});
    let made = put(app, platform, "/api/v1/plans/by-external-id/QJ-2024", &plan, None).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let mut next_year = plan.clone();
    next_year["year"] = json!(2026);
    let answer = put(app, platform, "/api/v1/plans/by-external-id/QJ-2024", &next_year, None).await;
    assert_problem(&answer, 422, "VALIDATION_FAILED");
    assert!(String::from_utf8_lossy(&answer.body).contains("year"));

    // A version named for a row that is not there: it is at version 0.
    let answer = put(app, platform, "/api/v1/tasks/by-external-id/CQ-9", &body, Some(1)).await;
    assert_problem(&answer, 412, "VERSION_CONFLICT");
    assert_eq!(
        answer.json()["detail"],
        "task CQ-9 has changed: it is at version 0, not 1"
    );

    // People share one namespace of external ids, the office's: two rows
    // that carry one are changed by id, not by it.
    let admin = w.bearer(Who::Admin);
    for title in ["黔江区2023年重点任务", "黔江区2023年重点任务（调整）"] {
        let plan = json!({"region_id": w.qianjiang, "year": 2023, "title": title, "external_id": "QJ-2023"});
        let made = app.as_bearer(admin, "POST", "/api/v1/plans", Some(&plan)).await;
        assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    }
    let plan = json!({"region_id": w.qianjiang, "year": 2023, "title": "黔江区2023年重点任务"});
    let answer = put(app, admin, "/api/v1/plans/by-external-id/QJ-2023", &plan, None).await;
    assert_problem(&answer, 409, "CONFLICT");
    assert_eq!(answer.json()["errors"][0]["field"], "external_id");
    assert_eq!(
        answer.json()["detail"],
        "several plan rows carry external id QJ-2023 (set by people, who share one namespace); change them by id"
    );

    // Malformed If-Match, and no token.
    let answer = app
        .request(
            "PUT",
            "/api/v1/tasks/by-external-id/CQ-3",
            Some(&body),
            &[("authorization", platform), ("if-match", "version 1")],
        )
        .await;
    assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(&answer.body));
    let answer = app
        .request("PUT", "/api/v1/tasks/by-external-id/CQ-3", Some(&body), &[])
        .await;
    assert_eq!(answer.status, 401);
    // A reader may not write.
    let answer = put(
        app,
        w.bearer(Who::ClientRead),
        "/api/v1/tasks/by-external-id/CQ-4",
        &body,
        None,
    )
    .await;
    assert_problem(&answer, 403, "FORBIDDEN");
}

#[tokio::test]
async fn a_report_is_replaced_while_a_draft_and_refused_once_submitted() {
    let w = World::new().await;
    let app = &w.app;
    let platform = w.bearer(Who::ClientWrite);
    let task = w.task(1).await;
    let target = task.targets[0].id;
    let body = |actual: &str| {
        json!({"task_id": task.id, "unit_id": w.p.recipient_unit, "period": "2025-06", "consolidated": true,
               "text": "已到位资金", "values": [{"target_id": target, "actual": actual}]})
    };
    let path = "/api/v1/reports/by-external-id/R-2025-06";
    let made = put(app, platform, path, &body("1200"), None).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let report = made.json();
    assert_eq!(report["status"], "draft");
    assert_eq!(report["external_id"], "R-2025-06");
    let changed = put(app, platform, path, &body("1500"), None).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.json()["version"], 2);
    assert_eq!(changed.json()["values"][0]["actual"], "1500");
    let mut other_period = body("1500");
    other_period["period"] = json!("2025-07");
    let answer = put(app, platform, path, &other_period, None).await;
    assert_problem(&answer, 422, "VALIDATION_FAILED");
    assert!(String::from_utf8_lossy(&answer.body).contains("period"));

    let submitted = app
        .request(
            "POST",
            &format!("/api/v1/reports/{}/submit", report["id"].as_str().expect("an id")),
            None,
            &[("authorization", platform), ("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", String::from_utf8_lossy(&submitted.body));
    let answer = put(app, platform, path, &body("1800"), None).await;
    assert_problem(&answer, 409, "CONFLICT");
}

/// Ten copies of one request at once, as a platform retrying on a timeout
/// sends them: exactly one creates, the others answer what it made.
async fn ten_at_once(app: &Arc<TestApp>, bearer: &str, path: &str, body: Value) -> String {
    let requests: Vec<Racer> = (0..10)
        .map(|_| {
            (
                "PUT",
                path.to_owned(),
                Some(body.clone()),
                vec![("authorization", bearer.to_owned())],
            )
        })
        .collect();
    let answers = race(app, requests).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{path}: {statuses:?} {:?}",
        answers
            .iter()
            .map(|a| String::from_utf8_lossy(&a.body).into_owned())
            .collect::<Vec<_>>()
    );
    assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{path}: {statuses:?}");
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| a.json()["id"].as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{path}: one row");
    assert!(
        answers.iter().all(|a| a.json()["version"] == 1),
        "{path}: never replaced"
    );
    ids.into_iter().next().expect("the id")
}

#[tokio::test]
async fn ten_concurrent_retries_leave_one_row_of_each_resource() {
    let w = World::new().await;
    let platform = w.bearer(Who::ClientWrite).to_owned();
    let task = w.task(1).await;
    let p = w.p.clone();
    let app = Arc::new(w.app);

    ten_at_once(
        &app,
        &platform,
        "/api/v1/plans/by-external-id/YZ-WX-2026",
        json!({"pairing_id": p.pairing, "year": 2026, "title": "渝中区·巫溪县2026年度对口协同发展任务清单"}),
    )
    .await;
    ten_at_once(
        &app,
        &platform,
        "/api/v1/tasks/by-external-id/YZ-WX-2025-040",
        json!({"plan_id": p.plan, "seq": 40, "content": "推动文旅产业协作",
               "assignments": [{"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"}]}),
    )
    .await;
    ten_at_once(
        &app,
        &platform,
        "/api/v1/reports/by-external-id/R-2025-05",
        json!({"task_id": task.id, "unit_id": p.recipient_unit, "period": "2025-05", "consolidated": true,
               "text": "已到位资金", "values": [{"target_id": task.targets[0].id, "actual": "800"}]}),
    )
    .await;
    ten_at_once(
        &app,
        &platform,
        "/api/v1/projects/by-external-id/XM-2025-007",
        json!({"pairing_id": p.pairing, "year": 2025, "name": "村级道路硬化", "category": "rural",
               "implementing_unit_id": p.recipient_unit, "investment": "500", "pairing_funds": "500"}),
    )
    .await;

    // One row each in the database, whatever the answers said.
    for table in ["plans", "tasks", "reports", "projects"] {
        let rows = crate::common::query_strings(
            &app.db,
            &format!("SELECT external_id FROM {table} WHERE external_id IS NOT NULL"),
        )
        .await;
        assert_eq!(rows.len(), 1, "{table}: {rows:?}");
    }
}

#[tokio::test]
async fn units_carry_an_external_id_that_administrators_set() {
    let w = World::new().await;
    let app = &w.app;
    let admin = w.bearer(Who::Admin);
    let body = json!({"region_id": w.p.recipient, "name": "县乡村振兴局", "kind": "department",
                      "external_id": "11500238MB1234567X"});
    let made = app.as_bearer(admin, "POST", "/api/v1/units", Some(&body)).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let unit = made.json();
    assert_eq!(unit["external_id"], "11500238MB1234567X");
    let id = unit["id"].as_str().expect("an id").to_owned();

    // Unique among units.
    let twice = json!({"region_id": w.p.recipient, "name": "县农业农村委", "kind": "department",
                       "external_id": "11500238MB1234567X"});
    let answer = app.as_bearer(admin, "POST", "/api/v1/units", Some(&twice)).await;
    assert_problem(&answer, 409, "CONFLICT");
    assert!(String::from_utf8_lossy(&answer.body).contains("external_id"));
    // Units stay the administrators': a platform that writes sets none.
    let answer = app
        .as_bearer(w.bearer(Who::ClientWrite), "POST", "/api/v1/units", Some(&twice))
        .await;
    assert_eq!(answer.status, 403);

    // Replaced as a whole, as the rest of the unit; GraphQL reads it.
    let mut changed = body.clone();
    changed["external_id"] = json!("11500238MB7654321Y");
    let answer = app
        .request(
            "PUT",
            &format!("/api/v1/units/{id}"),
            Some(&changed),
            &[("authorization", admin), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.json()["external_id"], "11500238MB7654321Y");
    let read = app
        .graphql(
            Some(admin),
            "query($id: ID!) { unit(id: $id) { externalId } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        crate::common::graphql_data(&read)["unit"]["externalId"],
        "11500238MB7654321Y"
    );
}

#[tokio::test]
async fn graphql_creates_with_an_external_id_that_the_upsert_then_finds() {
    let w = World::new().await;
    let app = &w.app;
    let platform = w.bearer(Who::ClientWrite);
    let made = app
        .graphql(
            Some(platform),
            "mutation($input: CreateTaskInput!) { createTask(input: $input) { uuid externalId version } }",
            json!({"input": {"planId": w.p.plan, "seq": 51, "content": "推动文旅产业协作", "externalId": "CQ-GQL-51",
                             "assignments": [{"unitId": w.p.recipient_unit, "role": "LEAD", "side": "RECIPIENT"}]}}),
        )
        .await;
    let task = &crate::common::graphql_data(&made)["createTask"];
    assert_eq!(task["externalId"], "CQ-GQL-51", "{made}");
    let body = json!({"plan_id": w.p.plan, "seq": 51, "content": "推动文旅产业协作（调整）",
                      "assignments": [{"unit_id": w.p.recipient_unit, "role": "lead", "side": "recipient"}]});
    let replaced = put(app, platform, "/api/v1/tasks/by-external-id/CQ-GQL-51", &body, None).await;
    assert_eq!(replaced.status, 200, "{}", String::from_utf8_lossy(&replaced.body));
    assert_eq!(replaced.json()["id"], task["uuid"]);
    assert_eq!(replaced.json()["version"], 2);
}
