//! Statistics over a small known dataset, on the backend the suite runs on:
//! exact totals, rates, the overdue list, approved-only counting and what
//! each principal may see.

use crate::common;
use crate::common::{TestApp, seed};
use serde_json::Value;
use xietong::domain::Caller;
use xietong::domain::report::{self, NewReport, Transition, ValueInput};
use xietong::domain::task::{self, TaskChanges};
use xietong::domain::values::{Amount, ReportPeriod, Role, TaskStatus};

async fn approved(
    app: &TestApp,
    task: &task::Task,
    unit: uuid::Uuid,
    consolidated: bool,
    period: &str,
    actual: &str,
    approve: bool,
) {
    let system = Caller::system();
    let made = report::create(
        &app.db,
        &system,
        NewReport {
            task_id: task.id,
            unit_id: Some(unit),
            period: ReportPeriod::parse(period).expect("period"),
            consolidated,
            text: format!("{period}进展"),
            values: vec![ValueInput {
                target_id: task.targets[0].id,
                actual: Amount::parse(actual).expect("amount"),
                unit: None,
            }],
            external_id: None,
        },
    )
    .await
    .expect("a report");
    report::transition(&app.db, &system, made.id, None, Transition::Submit)
        .await
        .expect("submit");
    if approve {
        report::transition(&app.db, &system, made.id, None, Transition::Approve)
            .await
            .expect("approve");
    }
}

async fn set(app: &TestApp, t: &task::Task, changes: TaskChanges) -> task::Task {
    task::update(&app.db, &Caller::system(), t.id, t.version, changes)
        .await
        .expect("a change")
}

#[tokio::test]
async fn statistics_count_exactly_what_may_be_seen_and_only_approved_values() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let t1 = seed::task(&app.db, &p, 1, &["5000"]).await;
    let t2 = seed::task(&app.db, &p, 2, &["0.1", "0.2"]).await;
    let t3 = seed::task(&app.db, &p, 3, &[]).await;
    let t4 = seed::task(&app.db, &p, 4, &[]).await;

    // Task 1: two approved consolidated reports (the later one counts), a
    // supporting unit's approved report (never counted), then completed
    // after its deadline.
    approved(&app, &t1, p.recipient_unit, true, "2025-Q1", "1200.5", true).await;
    approved(&app, &t1, p.recipient_unit, true, "2025-Q2", "3000", true).await;
    approved(&app, &t1, p.recipient_unit_2, false, "2025-Q2", "777", true).await;
    let t1 = task::get(&app.db, &Caller::system(), t1.id).await.expect("t1");
    set(
        &app,
        &t1,
        TaskChanges {
            status: Some(TaskStatus::Completed),
            ..Default::default()
        },
    )
    .await;
    // Task 2: a submitted, not approved, report: not counted; still open and late.
    approved(&app, &t2, p.recipient_unit, true, "2025-Q3", "999", false).await;
    let t2 = set(
        &app,
        &t2,
        TaskChanges {
            status: Some(TaskStatus::InProgress),
            ..Default::default()
        },
    )
    .await;
    // Task 3 cancelled; task 4 completed before its (later) deadline.
    set(
        &app,
        &t3,
        TaskChanges {
            status: Some(TaskStatus::Cancelled),
            ..Default::default()
        },
    )
    .await;
    let t4 = set(
        &app,
        &t4,
        TaskChanges {
            deadline: "2099-12-31".parse().ok(),
            ..Default::default()
        },
    )
    .await;
    set(
        &app,
        &t4,
        TaskChanges {
            status: Some(TaskStatus::Completed),
            ..Default::default()
        },
    )
    .await;

    app.user("admin", Role::Admin, None).await;
    let admin = app.bearer("admin").await;
    let stats = app.as_bearer(&admin, "GET", "/api/v1/statistics?year=2025", None).await;
    assert_eq!(stats.status, 200, "{}", String::from_utf8_lossy(&stats.body));
    let s: Value = stats.json();
    let tasks = &s["tasks"];
    assert_eq!(
        (
            tasks["total"].as_u64(),
            tasks["completed"].as_u64(),
            tasks["in_progress"].as_u64(),
            tasks["cancelled"].as_u64()
        ),
        (Some(4), Some(2), Some(1), Some(1))
    );
    assert_eq!(tasks["overdue"], 1);
    assert_eq!(tasks["completion_rate"], "66.67", "2 of the 3 not cancelled");
    assert_eq!(tasks["on_time_rate"], "50.00", "task 4 on time, task 1 late");
    let funds = s["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["metric"] == "investment_funds")
        .expect("funds");
    assert_eq!(funds["targets"], 3);
    assert_eq!(funds["target_total"], "5000.3");
    assert_eq!(
        funds["actual_total"], "3000",
        "the latest approved consolidated figure only"
    );
    assert_eq!(funds["unit"], "万元");
    let overdue: Vec<&str> = s["overdue"]
        .as_array()
        .expect("overdue")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(overdue, [t2.id.to_string()]);
    assert_eq!(s["by_pairing"][0]["pairing_id"], p.pairing.to_string());
    assert_eq!(s["by_pairing"][0]["tasks"]["total"], 4);

    // Filters narrow; a metric filter keeps its metric only.
    let other_year = app
        .as_bearer(&admin, "GET", "/api/v1/statistics?year=2024", None)
        .await
        .json();
    assert_eq!(other_year["tasks"]["total"], 0);
    assert!(other_year["tasks"]["completion_rate"].is_null());
    let northeast = app
        .as_bearer(&admin, "GET", "/api/v1/statistics?cluster=northeast", None)
        .await
        .json();
    assert_eq!(northeast["tasks"]["total"], 4, "巫溪县 is in the north-east cluster");
    let southeast = app
        .as_bearer(&admin, "GET", "/api/v1/statistics?cluster=southeast", None)
        .await
        .json();
    assert_eq!(southeast["tasks"]["total"], 0);
    let by_metric = app
        .as_bearer(&admin, "GET", "/api/v1/statistics?metric=investment_funds", None)
        .await
        .json();
    assert_eq!(by_metric["metrics"].as_array().map(Vec::len), Some(1));
    let bad = app
        .as_bearer(&admin, "GET", "/api/v1/statistics?metric=nothing", None)
        .await;
    common::assert_problem(&bad, 422, "VALIDATION_FAILED");

    // Each principal counts what it may see.
    let outsider = app.bearer_of_outsider().await;
    let theirs = app.as_bearer(&outsider, "GET", "/api/v1/statistics", None).await.json();
    assert_eq!(theirs["tasks"]["total"], 0);
    assert!(theirs["metrics"].as_array().is_some_and(Vec::is_empty));
    app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
    let member = app.bearer("wx-swj").await;
    assert_eq!(
        app.as_bearer(&member, "GET", "/api/v1/statistics", None).await.json()["tasks"]["total"],
        4
    );
}
