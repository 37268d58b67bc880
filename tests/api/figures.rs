//! Figures that are true, on the public demo data: units of measure, plan
//! scope, half-years and `as_of`. Every expected figure is worked out by
//! hand below from the fixtures' own words.

use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::values::Role;

use crate::common::{TestApp, TestResponse};

/// The demo loaded into an app whose clock reads `day` in China, and an
/// administrator's bearer.
pub(crate) async fn demo_on(day: &str) -> (TestApp, String) {
    let app = TestApp::spawn_on(day).await;
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    app.user("figures-admin", Role::Admin, None).await;
    let admin = app.bearer("figures-admin").await;
    (app, admin)
}

pub(crate) fn text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

pub(crate) async fn get(app: &TestApp, bearer: &str, path: &str) -> Value {
    let response = app.as_bearer(bearer, "GET", path, None).await;
    assert_eq!(response.status, 200, "{path}: {}", text(&response));
    response.json()
}

/// The totals of one metric in a statistics answer: (targets, target
/// total, actual total, unit).
fn metric(stats: &Value, code: &str) -> (u64, String, String, String) {
    let found = stats["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["metric"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", stats["metrics"]));
    (
        found["targets"].as_u64().expect("targets"),
        found["target_total"].as_str().expect("a target total").to_owned(),
        found["actual_total"].as_str().expect("an actual total").to_owned(),
        found["unit"].as_str().expect("a unit").to_owned(),
    )
}

/// 渝中区·巫溪县's task list is the demo's one pairing list; 涪陵区's work
/// report breakdown is a region's own plan.
#[tokio::test]
async fn the_demo_statistics_count_what_the_documents_say() {
    let (app, admin) = demo_on("2025-07-10").await;
    let stats = get(&app, &admin, "/api/v1/statistics?year=2025").await;
    // Task 1: 力争实际到位资金5000万元以上 — and nothing of 涪陵区's plan.
    assert_eq!(
        metric(&stats, "investment_funds"),
        (1, "5000".into(), "0".into(), "万元".into())
    );
    // Task 3: 至少推动渝中区2家重点骨干企业与巫溪县2家优质企业建立合作关系:
    // the partnerships it makes are 2 pairs, not 2 + 2.
    assert_eq!(
        metric(&stats, "enterprise_partnerships"),
        (1, "2".into(), "0".into(), "对".into())
    );
    // Task 7: 就业培训不少于300人次 is training in person-times.
    assert_eq!(metric(&stats, "trainees"), (1, "300".into(), "0".into(), "人次".into()));
    // Task 12: 互派交流医务人员10名以上 is an exchange; 培训医务人员20名以上
    // is training. Task 13: 培训干部人才50名以上 is training too: 20 + 50.
    assert_eq!(
        metric(&stats, "medical_staff_exchanged"),
        (1, "10".into(), "0".into(), "名".into())
    );
    assert_eq!(
        metric(&stats, "staff_trained"),
        (2, "70".into(), "0".into(), "名".into())
    );
    assert_eq!(stats["distinct"]["pairings"], 1);
    assert_eq!(stats["distinct"]["helper_regions"], 1);
    assert_eq!(stats["distinct"]["recipient_regions"], 1);
    // Only the 16 tasks of the pairing's list.
    assert_eq!(stats["tasks"]["total"], 16, "{}", stats["tasks"]);

    // With regions' own plans: 涪陵区's 到位资金230亿元 is 2,300,000万元.
    let all = get(&app, &admin, "/api/v1/statistics?year=2025&scope=all").await;
    assert_eq!(
        metric(&all, "investment_funds"),
        (2, "2305000".into(), "0".into(), "万元".into())
    );
    // 16 + 涪陵区's 148.
    assert_eq!(all["tasks"]["total"], 164);

    // The same cut by region: 涪陵区's own plan is its region's.
    let regions = get(&app, &admin, "/api/v1/regions?q=涪陵区").await;
    let fuling = regions["items"][0]["id"].as_str().expect("涪陵区").to_owned();
    let of_fuling = get(
        &app,
        &admin,
        &format!("/api/v1/statistics?year=2025&scope=all&region_id={fuling}"),
    )
    .await;
    assert_eq!(of_fuling["tasks"]["total"], 148);
    assert_eq!(
        metric(&of_fuling, "investment_funds"),
        (1, "2300000".into(), "0".into(), "万元".into())
    );
}

/// The demo's task whose text holds `words`, with its plan's id.
pub(crate) async fn task_with(app: &TestApp, bearer: &str, words: &str) -> Value {
    let found = get(app, bearer, &format!("/api/v1/tasks?q={}", urlencoding(words))).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    found["items"][0].clone()
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Issues the plan unless it is issued already.
pub(crate) async fn issued(app: &TestApp, admin: &str, plan: &str) {
    let current = get(app, admin, &format!("/api/v1/plans/{plan}")).await;
    if current["status"] == "draft" {
        let version = format!("\"{}\"", current["version"]);
        let issued = app
            .request(
                "POST",
                &format!("/api/v1/plans/{plan}/issue"),
                None,
                &[("authorization", admin), ("if-match", version.as_str())],
            )
            .await;
        assert_eq!(issued.status, 200, "issue: {}", text(&issued));
    }
}

/// The target of `task` that counts towards `code`.
pub(crate) fn target_of(task: &Value, code: &str) -> Value {
    task["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["metric"] == code)
        .unwrap_or_else(|| panic!("no {code} target in {task}"))
        .clone()
}

/// The id of the task's first lead unit.
pub(crate) fn lead_unit(task: &Value) -> String {
    task["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["role"] == "lead")
        .and_then(|a| a["unit_id"].as_str())
        .expect("a lead unit")
        .to_owned()
}

/// Writes, submits and approves the lead unit's consolidated report.
pub(crate) async fn approved_report(app: &TestApp, admin: &str, task: &Value, period: &str, values: Value) -> Value {
    let lead = lead_unit(task);
    let body = json!({
        "period": period, "consolidated": true, "unit_id": lead,
        "text": "牵头单位汇总", "values": values,
    });
    let task_id = task["id"].as_str().expect("an id");
    let made = app
        .as_bearer(admin, "POST", &format!("/api/v1/tasks/{task_id}/reports"), Some(&body))
        .await;
    assert_eq!(made.status, 201, "{}", text(&made));
    let id = made.json()["id"].as_str().expect("an id").to_owned();
    for step in ["submit", "approve"] {
        let moved = app
            .as_bearer(admin, "POST", &format!("/api/v1/reports/{id}/{step}"), None)
            .await;
        assert_eq!(moved.status, 200, "{step}: {}", text(&moved));
    }
    made.json()
}

/// A figure a plan states bare is a goal to reach: 涪陵区's task 40 asks
/// 新培育“四上”企业100户 (no 以上, no 以内); 120户 by June is the goal met
/// and over-fulfilled (120 %), 90户 is not (90 %).
#[tokio::test]
async fn a_bare_figure_is_met_once_reached_and_more_is_over_fulfilment() {
    let (app, admin) = demo_on("2025-07-10").await;
    let task = task_with(&app, &admin, "新培育“四上”企业100户").await;
    issued(&app, &admin, task["plan_id"].as_str().expect("a plan")).await;
    let target = task["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["value"] == "100" && t["unit"] == "户")
        .expect("the 100户 target")
        .clone();
    assert_eq!(target["comparator"], "exactly", "the document states it bare");
    let task_id = task["id"].as_str().expect("an id");
    for (period, actual, percent, met) in [("2025-Q1", "90", "90.00", false), ("2025-Q2", "120", "120.00", true)] {
        approved_report(
            &app,
            &admin,
            &task,
            period,
            json!([{"target_id": target["id"], "actual": actual}]),
        )
        .await;
        let progress = get(&app, &admin, &format!("/api/v1/tasks/{task_id}/progress")).await;
        let measured = progress["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .find(|t| t["target_id"] == target["id"])
            .expect("the target's progress")
            .clone();
        assert_eq!(
            (
                measured["actual"].as_str(),
                measured["percent"].as_str(),
                measured["met"].as_bool()
            ),
            (Some(actual), Some(percent), Some(met)),
            "{period}: {measured}"
        );
    }
}

/// A half-year report is accepted, counted for its half-year, and a report
/// approved after an `as_of` day is left out of that day's figures.
#[tokio::test]
async fn half_years_and_as_of_look_back() {
    let (app, admin) = demo_on("2025-07-10").await;
    let task = task_with(&app, &admin, "实际到位资金5000万元").await;
    let plan = task["plan_id"].as_str().expect("a plan").to_owned();
    issued(&app, &admin, &plan).await;
    let funds = target_of(&task, "investment_funds");
    assert_eq!(funds["unit"], "万元");
    assert_eq!(funds["normalized"], "5000");
    let target = funds["id"].as_str().expect("an id");

    // 0.18亿元 reported against a target in 万元 is 1800万元.
    let report = approved_report(
        &app,
        &admin,
        &task,
        "2025-H1",
        json!([{"target_id": target, "actual": "0.18", "unit": "亿元"}]),
    )
    .await;
    assert_eq!(report["period"], "2025-H1");
    assert_eq!(report["values"][0]["normalized"], "1800");

    let h1 = get(&app, &admin, "/api/v1/statistics?period=2025-H1").await;
    assert_eq!(metric(&h1, "investment_funds").2, "1800");
    assert_eq!(h1["distinct"]["reporting_units"], 1);
    // A quarter that ends before the half-year's report period does not see it.
    let q1 = get(&app, &admin, "/api/v1/statistics?period=2025-Q1").await;
    assert_eq!(metric(&q1, "investment_funds").2, "0");

    // Approved on 2025-07-10 (China): not yet on the 9th, counted on the 10th.
    let before = get(&app, &admin, "/api/v1/statistics?year=2025&as_of=2025-07-09").await;
    assert_eq!(before["as_of"], "2025-07-09");
    assert_eq!(metric(&before, "investment_funds").2, "0");
    let on = get(&app, &admin, "/api/v1/statistics?year=2025&as_of=2025-07-10").await;
    assert_eq!(metric(&on, "investment_funds").2, "1800");

    // The target rewritten in 亿元 (0.5亿元): the figures stay what they were.
    let current = get(
        &app,
        &admin,
        &format!("/api/v1/tasks/{}", task["id"].as_str().expect("an id")),
    )
    .await;
    let targets: Vec<Value> = current["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            let mut body = json!({
                "id": t["id"], "metric": t["metric"], "comparator": t["comparator"],
                "value": t["value"], "unit": t["unit"], "source_text": t["source_text"],
            });
            if t["metric"] == "investment_funds" {
                body["value"] = json!("0.5");
                body["unit"] = json!("亿元");
            }
            body
        })
        .collect();
    let version = format!("\"{}\"", current["version"]);
    let patched = app
        .request(
            "PATCH",
            &format!("/api/v1/tasks/{}", current["id"].as_str().expect("an id")),
            Some(&json!({"targets": targets})),
            &[("authorization", admin.as_str()), ("if-match", version.as_str())],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", text(&patched));
    let on = get(&app, &admin, "/api/v1/statistics?year=2025&as_of=2025-07-10").await;
    assert_eq!(
        metric(&on, "investment_funds"),
        (1, "5000".into(), "1800".into(), "万元".into())
    );
    let report = get(
        &app,
        &admin,
        &format!("/api/v1/reports/{}", report["id"].as_str().expect("an id")),
    )
    .await;
    assert_eq!(
        (
            report["values"][0]["actual"].clone(),
            report["values"][0]["unit"].clone()
        ),
        (json!("0.18"), json!("亿元"))
    );

    // GraphQL answers the same.
    let answer = app
        .graphql(
            Some(&admin),
            r#"{ before: statistics(year: 2025, asOf: "2025-07-09", metric: "investment_funds") { metrics { actualTotal targetTotal unit } }
                 h1: statistics(period: "2025-H1", metric: "investment_funds") { metrics { actualTotal } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["before"]["metrics"],
        json!([{"actualTotal": "0", "targetTotal": "5000", "unit": "万元"}]),
        "{answer}"
    );
    assert_eq!(answer["data"]["h1"]["metrics"], json!([{"actualTotal": "1800"}]));
}

/// A figure in a unit of another dimension is refused, naming the field.
#[tokio::test]
async fn a_unit_of_another_dimension_is_422_naming_the_field() {
    let (app, admin) = demo_on("2025-07-10").await;
    let task = task_with(&app, &admin, "实际到位资金5000万元").await;
    let task_id = task["id"].as_str().expect("an id").to_owned();
    let lead = task["assignments"][0]["unit_id"]
        .as_str()
        .expect("a lead unit")
        .to_owned();
    let target = target_of(&task, "investment_funds")["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    // A report value in persons against a target of money.
    let body = json!({
        "period": "2025-H1", "text": "…", "unit_id": lead, "consolidated": true,
        "values": [{"target_id": target, "actual": "3", "unit": "人"}],
    });
    let refused = app
        .as_bearer(&admin, "POST", &format!("/api/v1/tasks/{task_id}/reports"), Some(&body))
        .await;
    assert_eq!(refused.status, 422, "{}", text(&refused));
    let problem = refused.json();
    assert_eq!(problem["errors"][0]["field"], "values[0].unit", "{problem}");
    let message = problem["errors"][0]["message"].as_str().expect("a message");
    assert!(message.contains("money") && message.contains("persons"), "{message}");

    // A unit the catalogue does not know.
    let body = json!({
        "period": "2025-H1", "text": "…", "unit_id": lead, "consolidated": true,
        "values": [{"target_id": target, "actual": "3", "unit": "斤"}],
    });
    let refused = app
        .as_bearer(&admin, "POST", &format!("/api/v1/tasks/{task_id}/reports"), Some(&body))
        .await;
    assert_eq!(refused.status, 422, "{}", text(&refused));
    assert_eq!(refused.json()["errors"][0]["field"], "values[0].unit");

    // A target of a metric in 对 written in 家.
    let plan = task["plan_id"].as_str().expect("a plan");
    let body = json!({
        "plan_id": plan, "seq": 99, "content": "推动企业合作",
        "targets": [{
            "metric": "enterprise_partnerships", "comparator": "at_least",
            "value": "2", "unit": "家", "source_text": "2家企业",
        }],
    });
    let refused = app.as_bearer(&admin, "POST", "/api/v1/tasks", Some(&body)).await;
    assert_eq!(refused.status, 422, "{}", text(&refused));
    assert_eq!(refused.json()["errors"][0]["field"], "targets[0].unit");

    // GraphQL names its own field.
    let answer = app
        .graphql(
            Some(&admin),
            r#"mutation($task: ID!, $target: UUID!, $unit: ID!) { createReport(input: {taskId: $task, unitId: $unit, consolidated: true,
                 period: "2025-H1", text: "…", values: [{targetUuid: $target, actual: "3", unit: "人"}]}) { uuid } }"#,
            json!({"task": global_id("Task", &task_id), "target": target, "unit": global_id("Unit", &lead)}),
        )
        .await;
    assert_eq!(
        crate::common::graphql_code(&answer),
        Some("VALIDATION_FAILED"),
        "{answer}"
    );
    assert!(answer.to_string().contains("values[0].unit"), "{answer}");

    // A qualitative target has no value; any other needs one.
    let body = json!({
        "plan_id": plan, "seq": 98, "content": "完成市上下达任务",
        "targets": [
            {"comparator": "qualitative", "unit": "", "source_text": "完成市上下达任务"},
            {"comparator": "at_least", "unit": "个", "source_text": "若干"},
        ],
    });
    let refused = app.as_bearer(&admin, "POST", "/api/v1/tasks", Some(&body)).await;
    assert_eq!(refused.status, 422, "{}", text(&refused));
    assert_eq!(refused.json()["errors"][0]["field"], "targets[1].value");
}

fn global_id(type_name: &str, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{type_name}:{id}"))
}

/// 涪陵区's headline indicators: the qualitative ones are kept, not dropped.
#[tokio::test]
async fn qualitative_targets_are_kept() {
    let (app, admin) = demo_on("2025-07-10").await;
    let task = task_with(&app, &admin, "约束性指标完成市上下达任务").await;
    assert_eq!(
        task["targets"],
        json!([{
            "id": task["targets"][0]["id"], "metric": null, "label": null,
            "comparator": "qualitative", "value": null, "value_max": null, "unit": "",
            "normalized": null, "normalized_max": null, "baseline": null,
            "source_text": "节能减排降碳等约束性指标完成市上下达任务",
        }])
    );
    let _: Uuid = task["targets"][0]["id"]
        .as_str()
        .expect("an id")
        .parse()
        .expect("a uuid");
}

/// The series of a metric: for each month, the latest approved
/// consolidated report whose period ends by then.
#[tokio::test]
async fn a_series_has_twelve_points_of_the_latest_approved_figures() {
    let (app, admin) = demo_on("2025-10-10").await;
    let task = task_with(&app, &admin, "实际到位资金5000万元").await;
    let plan = task["plan_id"].as_str().expect("a plan").to_owned();
    issued(&app, &admin, &plan).await;
    let target = target_of(&task, "investment_funds")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    // 1000万元 by the end of March, 0.18亿元 = 1800万元 by the end of June.
    approved_report(
        &app,
        &admin,
        &task,
        "2025-Q1",
        json!([{"target_id": target, "actual": "1000"}]),
    )
    .await;
    approved_report(
        &app,
        &admin,
        &task,
        "2025-H1",
        json!([{"target_id": target, "actual": "0.18", "unit": "亿元"}]),
    )
    .await;
    let series = get(
        &app,
        &admin,
        "/api/v1/statistics/series?metric=investment_funds&year=2025",
    )
    .await;
    let expected: Vec<Value> = (1..=12)
        .map(|m| {
            let actual = match m {
                1 | 2 => "0",
                3..=5 => "1000",
                _ => "1800",
            };
            json!({"month": format!("2025-{m:02}"), "actual": actual})
        })
        .collect();
    assert_eq!(
        series,
        json!({"metric": "investment_funds", "unit": "万元", "points": expected})
    );
    let answer = app
        .graphql(
            Some(&admin),
            r#"{ statisticsSeries(metric: "investment_funds", year: 2025) { unit points { month actual } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["statisticsSeries"]["points"][2],
        json!({"month": "2025-03", "actual": "1000"})
    );
    assert_eq!(
        answer["data"]["statisticsSeries"]["points"][11],
        json!({"month": "2025-12", "actual": "1800"})
    );

    for (query, field) in [
        ("year=2025", "metric"),
        ("metric=investment_funds", "year"),
        ("metric=investment_funds&year=2025&period=2025-H1", "period"),
        ("metric=no_such_metric&year=2025", "metric"),
    ] {
        let refused = app
            .as_bearer(&admin, "GET", &format!("/api/v1/statistics/series?{query}"), None)
            .await;
        assert_eq!(refused.status, 422, "{query}: {}", text(&refused));
        assert_eq!(refused.json()["errors"][0]["field"], field, "{query}");
    }
}

/// Administrators keep the metric catalogue; units come from the fixed
/// catalogue of units, and a metric in use keeps its dimension.
#[tokio::test]
async fn administrators_keep_the_metric_catalogue() {
    let (app, admin) = demo_on("2025-07-10").await;
    let made = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/metrics",
            Some(&json!({"code": "villages_paired", "name": "结对村", "unit_of_measure": "个", "synonyms": ["结对村", "村村结对"]})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", text(&made));
    let made = made.json();
    assert_eq!(made["aggregation"], "sum");
    assert_eq!(made["synonyms"], json!(["结对村", "村村结对"]));
    assert_eq!(made["version"], 1);

    for (body, status, field) in [
        (
            json!({"code": "weight", "name": "重量", "unit_of_measure": "斤"}),
            422,
            "unit_of_measure",
        ),
        (
            json!({"code": "growth", "name": "增速", "unit_of_measure": "%"}),
            422,
            "aggregation",
        ),
        (
            json!({"code": "Bad Code", "name": "x", "unit_of_measure": "个"}),
            422,
            "code",
        ),
        (
            json!({"code": "villages_paired", "name": "again", "unit_of_measure": "个"}),
            409,
            "code",
        ),
        (
            json!({"code": "dup_words", "name": "x", "unit_of_measure": "个", "synonyms": ["a", "a"]}),
            422,
            "synonyms[1]",
        ),
    ] {
        let refused = app.as_bearer(&admin, "POST", "/api/v1/metrics", Some(&body)).await;
        assert_eq!(refused.status, status, "{body}: {}", text(&refused));
        let problem = refused.json();
        let named = problem["field"].as_str().or(problem["errors"][0]["field"].as_str());
        assert_eq!(named, Some(field), "{problem}");
    }
    let growth = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/metrics",
            Some(&json!({"code": "growth", "name": "增速", "unit_of_measure": "%", "aggregation": "none"})),
        )
        .await;
    assert_eq!(growth.status, 201, "{}", text(&growth));

    // Not a coordinator's to change.
    app.user("figures-viewer", Role::Viewer, None).await;
    let viewer = app.bearer("figures-viewer").await;
    let refused = app
        .as_bearer(
            &viewer,
            "POST",
            "/api/v1/metrics",
            Some(&json!({"code": "x_y", "name": "x", "unit_of_measure": "个"})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", text(&refused));

    // 实际到位资金 in 亿元: every stored figure follows (5000万元 = 0.5亿元).
    let metrics = get(&app, &admin, "/api/v1/metrics?limit=200").await;
    let funds = metrics["items"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["code"] == "investment_funds")
        .expect("investment_funds")
        .clone();
    let path = format!("/api/v1/metrics/{}", funds["id"].as_str().expect("an id"));
    let version = format!("\"{}\"", funds["version"]);
    let patch = |body: Value, version: String| {
        let app = &app;
        let admin = admin.clone();
        let path = path.clone();
        async move {
            app.request(
                "PATCH",
                &path,
                Some(&body),
                &[("authorization", admin.as_str()), ("if-match", version.as_str())],
            )
            .await
        }
    };
    let refused = patch(json!({"unit_of_measure": "个"}), version.clone()).await;
    assert_eq!(refused.status, 409, "{}", text(&refused));
    assert_eq!(
        refused.json()["errors"][0]["field"],
        "unit_of_measure",
        "{}",
        text(&refused)
    );
    let changed = patch(json!({"unit_of_measure": "亿元"}), version).await;
    assert_eq!(changed.status, 200, "{}", text(&changed));
    assert_eq!(changed.json()["version"], 2);
    let stats = get(&app, &admin, "/api/v1/statistics?year=2025&scope=all").await;
    // 5000万元 + 230亿元 = 0.5 + 230 亿元.
    assert_eq!(
        metric(&stats, "investment_funds"),
        (2, "230.5".into(), "0".into(), "亿元".into())
    );
    let task = task_with(&app, &admin, "实际到位资金5000万元").await;
    let funds_target = target_of(&task, "investment_funds");
    assert_eq!(
        (funds_target["value"].clone(), funds_target["unit"].clone()),
        (json!("5000"), json!("万元"))
    );
    assert_eq!(funds_target["normalized"], "0.5");

    let audit = get(&app, &admin, "/api/v1/audit?entity=metric").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(3), "{audit}");

    // GraphQL names the same rules.
    let answer = app
        .graphql(
            Some(&admin),
            r#"mutation { createMetric(input: {code: "acres", name: "面积", unitOfMeasure: "万亩"}) { code unitOfMeasure aggregation synonyms } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["createMetric"],
        json!({"code": "acres", "unitOfMeasure": "万亩", "aggregation": "SUM", "synonyms": []}),
        "{answer}"
    );
}

/// Statistics' bad input names its field.
#[tokio::test]
async fn bad_statistics_filters_are_422_naming_the_field() {
    let (app, admin) = demo_on("2025-07-10").await;
    for (query, field) in [
        ("overdue_limit=0", "overdue_limit"),
        ("overdue_limit=201", "overdue_limit"),
        ("year=2024&period=2025-H1", "period"),
        ("period=2025-H3", "period"),
        ("scope=everything", "scope"),
        ("as_of=2025-13-01", "as_of"),
        ("metric=no_such_metric", "metric"),
    ] {
        let refused = app
            .as_bearer(&admin, "GET", &format!("/api/v1/statistics?{query}"), None)
            .await;
        assert!(
            refused.status == 400 || refused.status == 422,
            "{query}: {}",
            text(&refused)
        );
        let problem = refused.json();
        let named = problem["errors"][0]["field"].as_str();
        assert_eq!(named, Some(field), "{query}: {problem}");
    }
}

/// The id of the demo's plan of `kind`: 渝中区·巫溪县's list (`pairing`)
/// or 涪陵区's breakdown (`region`).
pub(crate) async fn demo_plan(app: &TestApp, bearer: &str, kind: &str) -> String {
    let plans = get(app, bearer, "/api/v1/plans?year=2025").await;
    plans["items"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["kind"] == kind)
        .and_then(|p| p["id"].as_str())
        .unwrap_or_else(|| panic!("no {kind} plan in {plans}"))
        .to_owned()
}

/// The id of the region named `name`.
async fn region_named(app: &TestApp, bearer: &str, name: &str) -> String {
    let found = get(app, bearer, &format!("/api/v1/regions?q={}", urlencoding(name))).await;
    let region = found["items"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no region {name} in {found}"));
    region["id"].as_str().expect("an id").to_owned()
}

/// PATCHes a plan with the version it reads now.
async fn patch_plan(app: &TestApp, bearer: &str, plan: &str, body: Value) -> TestResponse {
    let current = get(app, bearer, &format!("/api/v1/plans/{plan}")).await;
    let version = format!("\"{}\"", current["version"]);
    app.request(
        "PATCH",
        &format!("/api/v1/plans/{plan}"),
        Some(&body),
        &[("authorization", bearer), ("if-match", version.as_str())],
    )
    .await
}

/// A plan's kind follows its owner, and a coordinator may change the
/// owner: 涪陵区's work report breakdown, filed under the pairing 南川区·
/// 武隆区 (涪陵区 is its co-helper), counts as a pairing's list until it is
/// moved back to 涪陵区.
#[tokio::test]
async fn a_coordinator_moves_a_plan_between_a_pairing_and_its_region() {
    let (app, admin) = demo_on("2025-07-10").await;
    let (list, fuling_plan) = (
        demo_plan(&app, &admin, "pairing").await,
        demo_plan(&app, &admin, "region").await,
    );
    let (fuling, wuxi, yuzhong, nanchuan) = (
        region_named(&app, &admin, "涪陵区").await,
        region_named(&app, &admin, "巫溪县").await,
        region_named(&app, &admin, "渝中区").await,
        region_named(&app, &admin, "南川区").await,
    );
    let pairings = get(&app, &admin, "/api/v1/pairings?limit=100").await;
    let nanchuan_wulong = pairings["items"]
        .as_array()
        .expect("pairings")
        .iter()
        .find(|p| p["helper_region_id"] == nanchuan.as_str())
        .and_then(|p| p["id"].as_str())
        .expect("南川区·武隆区")
        .to_owned();

    // A coordinator of 渝中区 coordinates the pairing's list, but not a
    // plan of 巫溪县 alone.
    let units = get(&app, &admin, &format!("/api/v1/units?region_id={yuzhong}&limit=1")).await;
    let unit = units["items"][0]["id"].as_str().expect("a unit of 渝中区");
    app.user("yz-coordinator", Role::Coordinator, Some(unit.parse().expect("a uuid")))
        .await;
    let coordinator = app.bearer("yz-coordinator").await;
    let refused = patch_plan(&app, &coordinator, &list, json!({"region_id": wuxi})).await;
    crate::common::assert_problem(&refused, 403, "FORBIDDEN");

    // Not even an administrator can make the pairing's list 巫溪县's own:
    // its 渝中区牵头责任单位 column names ten units of 渝中区 — 区经济信息委
    // and 区招商投资局 (tasks 1, 3, 6 write 区经济信息委（区招商投资局）, and
    // the unit pairing table makes 区招商投资局 a unit of its own), 区文化旅游委,
    // 区就业人才中心 (the demo's 区就业和人才中心), 区商务委, 区教委,
    // 区卫生健康委, 区委组织部, 区规划自然资源局, 区科技局; in task order.
    let stray = patch_plan(&app, &admin, &list, json!({"region_id": wuxi})).await;
    assert_eq!(stray.status, 422, "{}", text(&stray));
    let problem = stray.json();
    assert_eq!(problem["errors"][0]["field"], "region_id", "{problem}");
    let message = problem["errors"][0]["message"].as_str().expect("a message");
    assert_eq!(
        message,
        "10 units and groups of its tasks belong to no region of the new owner: 区经济信息委、区招商投资局、\
         区文化旅游委、区就业和人才中心、区商务委、区教委、区卫生健康委、区委组织部、区规划自然资源局、区科技局"
    );
    let both = patch_plan(
        &app,
        &admin,
        &list,
        json!({"region_id": wuxi, "pairing_id": nanchuan_wulong}),
    )
    .await;
    assert_eq!(both.status, 422, "{}", text(&both));
    assert_eq!(both.json()["errors"][0]["field"], "pairing_id");
    let unknown = patch_plan(&app, &admin, &list, json!({"pairing_id": Uuid::new_v4()})).await;
    assert_eq!(unknown.status, 422, "{}", text(&unknown));
    assert_eq!(unknown.json()["errors"][0]["field"], "pairing_id");
    let unchanged = get(&app, &admin, &format!("/api/v1/plans/{list}")).await;
    assert_eq!(
        (unchanged["kind"].as_str(), unchanged["region_id"].is_null()),
        (Some("pairing"), true)
    );

    // 涪陵区's plan under 南川区·武隆区: all its units are 涪陵区's, a
    // co-helper's, so each acts for the helpers; the leaders are the
    // helping district's (南川区) of the same names.
    let capital = task_with(&app, &admin, "到位资金230亿元").await;
    let leaders_before = capital["leader_ids"].clone();
    assert!(!leaders_before.as_array().expect("leader ids").is_empty());
    let moved = patch_plan(&app, &admin, &fuling_plan, json!({"pairing_id": nanchuan_wulong})).await;
    assert_eq!(moved.status, 200, "{}", text(&moved));
    let moved = moved.json();
    assert_eq!(moved["kind"], "pairing");
    assert_eq!(moved["pairing_id"], nanchuan_wulong.as_str());
    assert!(moved["region_id"].is_null());
    let under_pairing = task_with(&app, &admin, "到位资金230亿元").await;
    assert_eq!(
        under_pairing["version"],
        capital["version"].as_i64().expect("a version") + 1
    );
    for a in under_pairing["assignments"].as_array().expect("assignments") {
        assert_eq!(a["side"], "helper", "{a}");
    }
    let leader = under_pairing["leader_ids"][0].as_str().expect("a leader");
    let leader = get(&app, &admin, &format!("/api/v1/leaders/{leader}")).await;
    assert_eq!(leader["region_id"], nanchuan.as_str());

    // Statistics count pairings' lists: now 涪陵区's 148 tasks and its
    // 230亿元 (2,300,000万元) beside 渝中区·巫溪县's 16 tasks and 5000万元.
    let stats = get(&app, &admin, "/api/v1/statistics?year=2025").await;
    assert_eq!(stats["tasks"]["total"], 164);
    assert_eq!(stats["distinct"]["pairings"], 2);
    // fixtures/pairings.csv: 渝中区 helps 巫溪县, 南川区 helps 武隆区.
    assert_eq!(stats["distinct"]["helper_regions"], 2);
    assert_eq!(stats["distinct"]["recipient_regions"], 2);
    assert_eq!(
        metric(&stats, "investment_funds"),
        (2, "2305000".into(), "0".into(), "万元".into())
    );

    // A project of 南川区·武隆区's ledger linked to the plan keeps it in
    // the pairing until it is linked to none.
    let wulong = region_named(&app, &admin, "武隆区").await;
    let school = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/units",
            Some(&json!({"region_id": wulong, "name": "武隆区教委", "kind": "department"})),
        )
        .await;
    assert_eq!(school.status, 201, "{}", text(&school));
    let project = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/projects",
            Some(
                &json!({"pairing_id": nanchuan_wulong, "plan_id": fuling_plan, "year": 2025,
                         "name": "学校改扩建", "category": "education",
                         "implementing_unit_id": school.json()["id"], "investment": "100", "pairing_funds": "50"}),
            ),
        )
        .await;
    assert_eq!(project.status, 201, "{}", text(&project));
    let held = patch_plan(&app, &admin, &fuling_plan, json!({"region_id": fuling})).await;
    crate::common::assert_problem(&held, 409, "CONFLICT");
    assert!(text(&held).contains("1 project(s)"), "{}", text(&held));
    let project = project.json();
    let unlinked = app
        .request(
            "PATCH",
            &format!("/api/v1/projects/{}", project["id"].as_str().expect("an id")),
            Some(&json!({"plan_id": null})),
            &[
                ("authorization", admin.as_str()),
                ("if-match", format!("\"{}\"", project["version"]).as_str()),
            ],
        )
        .await;
    assert_eq!(unlinked.status, 200, "{}", text(&unlinked));

    // And back, through GraphQL: a region's own plan again, no sides, the
    // leaders 涪陵区's own records as before.
    let back = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!, $version: Int!, $region: ID!) { updatePlan(id: $id, version: $version, input: {regionId: $region}) { kind } }",
            json!({"id": fuling_plan, "version": moved["version"], "region": fuling}),
        )
        .await;
    assert_eq!(back["data"]["updatePlan"]["kind"], "REGION", "{back}");
    let home = task_with(&app, &admin, "到位资金230亿元").await;
    assert_eq!(home["leader_ids"], leaders_before);
    for a in home["assignments"].as_array().expect("assignments") {
        assert!(a["side"].is_null(), "{a}");
    }
    let stats = get(&app, &admin, "/api/v1/statistics?year=2025").await;
    assert_eq!(stats["tasks"]["total"], 16);
    assert_eq!(
        metric(&stats, "investment_funds"),
        (1, "5000".into(), "0".into(), "万元".into())
    );
}
