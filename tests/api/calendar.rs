//! The reporting calendar and task progress over a small known dataset, on
//! the backend the suite runs on: which reports are open, submitted,
//! submitted late and late on a given day, the late units, each target's
//! progress through its comparator, and what each principal may see.

use crate::common;
use crate::common::{TestApp, seed};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::Caller;
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask, TargetInput, TaskChanges};
use xietong::domain::values::{Amount, AssignmentRole, Comparator, Side, TaskStatus};

fn counts(page: &Value) -> (u64, u64, u64, u64) {
    let c = &page["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(u64::MAX);
    (n("open"), n("submitted"), n("submitted_late"), n("late"))
}

fn statuses_of(page: &Value, unit: Uuid, period: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|o| o["unit_id"] == unit.to_string() && o["period"] == period)
        .filter_map(|o| o["status"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_calendar_tells_open_submitted_and_late_reports_on_any_day() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;

    // A quarterly and yearly rhythm only: no monthly scheduling for this plan.
    let plan = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{}", p.plan), None)
        .await;
    assert_eq!(plan.json()["calendar"]["yearly_due"], "11-20", "the documents' default");
    assert_eq!(plan.json()["calendar"]["monthly_due_day"], 5);
    let version = plan.json()["version"].as_i64().expect("version");
    let calendar = json!({"calendar": {"monthly_due_day": null, "quarterly_due_day": 10, "yearly_due": "11-20", "summary_due": "12-20"}});
    let changed = app
        .request(
            "PATCH",
            &format!("/api/v1/plans/{}", p.plan),
            Some(&calendar),
            &[("authorization", &admin), ("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    assert!(changed.json()["calendar"]["monthly_due_day"].is_null());

    // 县经济信息委 and 区经济信息委 lead, 县商务委 supports.
    let t = seed::task(&app.db, &p, 1, &["5000"]).await;
    // Q1 (due 04-10): the lead on time, the supporting unit late, 区经济信息委 not at all.
    seed::report_on(
        &app.db,
        &t,
        p.recipient_unit,
        "2025-Q1",
        &[(0, "1000")],
        Some("2025-04-08"),
        true,
    )
    .await;
    seed::report_on(
        &app.db,
        &t,
        p.recipient_unit_2,
        "2025-Q1",
        &[],
        Some("2025-04-15"),
        false,
    )
    .await;
    // Q2 (due 07-10): only a draft.
    seed::report_on(&app.db, &t, p.recipient_unit, "2025-Q2", &[(0, "2000")], None, false).await;

    let on = |day: &str, extra: &str| format!("/api/v1/calendar?year=2025&on={day}{extra}");
    let july = app.as_bearer(&admin, "GET", &on("2025-07-11", ""), None).await;
    assert_eq!(july.status, 200, "{}", String::from_utf8_lossy(&july.body));
    let july = july.json();
    // Q1, Q2, Q3 (begun 07-01) and the year, for three units.
    assert_eq!(july["total"], 12);
    assert_eq!(counts(&july), (6, 1, 1, 4));
    assert_eq!(statuses_of(&july, p.recipient_unit, "2025-Q1"), ["submitted"]);
    assert_eq!(statuses_of(&july, p.recipient_unit_2, "2025-Q1"), ["submitted_late"]);
    assert_eq!(statuses_of(&july, p.helper_unit, "2025-Q1"), ["late"]);
    assert_eq!(
        statuses_of(&july, p.recipient_unit, "2025-Q2"),
        ["late"],
        "a draft is not submitted"
    );
    assert_eq!(statuses_of(&july, p.helper_unit, "2025"), ["open"]);
    let first = &july["items"][0];
    assert_eq!(
        (first["period"].as_str(), first["due_on"].as_str()),
        (Some("2025-Q1"), Some("2025-04-10"))
    );
    let lead = july["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["unit_id"] == p.recipient_unit.to_string())
        .expect("the lead unit's");
    assert_eq!(lead["role"], "lead");
    assert_eq!(lead["submitted_on"], "2025-04-08");

    // On 04-09 the late submission had not happened: open, like 区经济信息委's.
    let april = app.as_bearer(&admin, "GET", &on("2025-04-09", ""), None).await.json();
    assert_eq!(counts(&april), (8, 1, 0, 0), "Q1, Q2 and the year, nothing yet late");
    assert_eq!(statuses_of(&april, p.recipient_unit_2, "2025-Q1"), ["open"]);

    // Narrowed to a unit, a status, a kind; paged.
    let helper = app
        .as_bearer(
            &admin,
            "GET",
            &on("2025-07-11", &format!("&unit_id={}", p.helper_unit)),
            None,
        )
        .await
        .json();
    assert_eq!((helper["total"].as_u64(), counts(&helper).3), (Some(4), 2));
    let late = app
        .as_bearer(&admin, "GET", &on("2025-07-11", "&status=late"), None)
        .await
        .json();
    assert_eq!(late["total"], 4);
    assert_eq!(counts(&late), (6, 1, 1, 4), "counts ignore the status filter");
    let years = app
        .as_bearer(&admin, "GET", &on("2025-07-11", "&kind=year"), None)
        .await
        .json();
    assert_eq!(years["total"], 3);
    let page = app
        .as_bearer(&admin, "GET", &on("2025-07-11", "&limit=5"), None)
        .await
        .json();
    assert_eq!(
        (page["items"].as_array().map(Vec::len), page["next_offset"].as_u64()),
        (Some(5), Some(5))
    );
    let last = app
        .as_bearer(&admin, "GET", &on("2025-07-11", "&limit=5&offset=10"), None)
        .await
        .json();
    assert_eq!(last["items"].as_array().map(Vec::len), Some(2));
    assert!(last["next_offset"].is_null());

    // The late units, most late first.
    let report = app
        .as_bearer(&admin, "GET", "/api/v1/calendar/late?on=2025-07-11&year=2025", None)
        .await;
    assert_eq!(report.status, 200, "{}", String::from_utf8_lossy(&report.body));
    let units = report.json()["units"].clone();
    let rows: Vec<(String, u64)> = units
        .as_array()
        .expect("units")
        .iter()
        .map(|u| {
            (
                u["unit_id"].as_str().unwrap_or("").to_owned(),
                u["late"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], (p.helper_unit.to_string(), 2));
    assert_eq!(units[0]["oldest_due_on"], "2025-04-10");
    assert_eq!(units[0]["unit_name"], "区经济信息委");
    assert!(rows[1..].iter().all(|(_, n)| *n == 1));
    // The same from the reports kept as owed, once the plan is judged.
    xietong::domain::light::kept::keep(&app.db, chrono::Utc::now().date_naive())
        .await
        .expect("kept");
    let kept = app
        .as_bearer(&admin, "GET", "/api/v1/calendar/late?on=2025-07-11&year=2025", None)
        .await
        .json();
    assert_eq!(kept["units"], units, "the late units from what is kept");

    // The late list as a document: a row per late report, each unit's
    // number, name, district and count merged over its rows.
    let exported = app
        .as_bearer(
            &admin,
            "GET",
            "/api/v1/calendar/late/export?on=2025-07-11&year=2025",
            None,
        )
        .await;
    assert_eq!(exported.status, 200, "{}", String::from_utf8_lossy(&exported.body));
    assert_eq!(
        exported.header("content-disposition"),
        Some("attachment; filename=\"late-2025-07-11.xlsx\"; filename*=UTF-8''late-2025-07-11.xlsx")
    );
    let (cells, merged) = common::xlsx_sheet(&exported.body);
    assert_eq!(cells[0][0], "逾期未报单位清单");
    // 区经济信息委 owes Q1 and Q2; 县经济信息委 (a draft) and 县商务委 (filed
    // 04-15, after Q1's 04-10, so only Q2 is missing) owe Q2: 4 reports.
    assert_eq!(cells[1][0], "截至2025年7月11日，3个单位4份报告逾期未报");
    assert_eq!(
        cells[2],
        [
            "序号",
            "单位",
            "所在区县",
            "逾期份数",
            "任务清单",
            "任务",
            "报送期",
            "应报日期",
            "逾期天数"
        ]
    );
    let plan_title = plan.json()["title"].as_str().expect("title").to_owned();
    let task_text = format!("1. {}", t.content);
    let row = |n: &str, unit: &str, region: &str, count: &str, period: &str, due: &str, days: &str| -> Vec<String> {
        [
            n,
            unit,
            region,
            count,
            plan_title.as_str(),
            task_text.as_str(),
            period,
            due,
            days,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    // 07-11 is 92 days after 04-10 and 1 day after 07-10.
    assert_eq!(
        cells[3],
        row("1", "区经济信息委", "渝中区", "2", "2025年第一季度", "2025-04-10", "92")
    );
    assert_eq!(cells[4], row("", "", "", "", "2025年第二季度", "2025-07-10", "1"));
    let rest: Vec<&str> = cells[5..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(rest.len(), 2);
    assert!(rest.contains(&"县经济信息委") && rest.contains(&"县商务委"), "{rest:?}");
    assert!(
        cells[5..]
            .iter()
            .all(|r| r[2] == "巫溪县" && r[3] == "1" && r[6] == "2025年第二季度" && r[8] == "1")
    );
    assert_eq!(
        merged,
        [
            (0, 0, 0, 8),
            (1, 0, 1, 8),
            (3, 0, 4, 0),
            (3, 1, 4, 1),
            (3, 2, 4, 2),
            (3, 3, 4, 3)
        ]
    );
    let csv = app
        .as_bearer(
            &admin,
            "GET",
            "/api/v1/calendar/late/export?on=2025-07-11&year=2025&format=csv",
            None,
        )
        .await;
    let csv = String::from_utf8(csv.body.to_vec()).expect("UTF-8");
    assert_eq!(csv.lines().filter(|l| l.contains("2025年第")).count(), 4, "{csv}");

    // A task completed in May owes nothing for periods that begin after.
    let t = task::get(&app.db, &Caller::system(), t.id).await.expect("task");
    task::update(
        &app.db,
        &Caller::system(),
        t.id,
        t.version,
        TaskChanges {
            status: Some(TaskStatus::Completed),
            ..Default::default()
        },
    )
    .await
    .expect("complete");
    entity::tasks::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(t.id),
        completed_on: Set(Some("2025-05-01".parse().expect("day"))),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("backdate the completion");
    let done = app.as_bearer(&admin, "GET", &on("2025-07-11", ""), None).await.json();
    assert_eq!(done["total"], 9, "Q3 is no longer owed");

    // A unit elsewhere sees nothing; a coordinator of the plan sees it all.
    let outsider = app.bearer_of_outsider().await;
    let nothing = app
        .as_bearer(&outsider, "GET", &on("2025-07-11", ""), None)
        .await
        .json();
    assert_eq!(nothing["total"], 0);
    let none_late = app
        .as_bearer(&outsider, "GET", "/api/v1/calendar/late?on=2025-07-11", None)
        .await
        .json();
    assert_eq!(none_late["units"], json!([]));
}

#[tokio::test]
async fn bad_calendar_input_is_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    for (calendar, field) in [
        (
            json!({"monthly_due_day": 31, "quarterly_due_day": 10, "yearly_due": "11-20", "summary_due": "12-20"}),
            "calendar.monthly_due_day",
        ),
        (
            json!({"monthly_due_day": 5, "quarterly_due_day": 0, "yearly_due": "11-20", "summary_due": "12-20"}),
            "calendar.quarterly_due_day",
        ),
        (
            json!({"monthly_due_day": 5, "quarterly_due_day": 10, "yearly_due": "02-29", "summary_due": "12-20"}),
            "calendar.yearly_due",
        ),
        (
            json!({"monthly_due_day": 5, "quarterly_due_day": 10, "yearly_due": "11-20", "summary_due": "1220"}),
            "calendar.summary_due",
        ),
    ] {
        let version = app
            .as_bearer(&admin, "GET", &format!("/api/v1/plans/{}", p.plan), None)
            .await
            .json()["version"]
            .as_i64()
            .expect("version");
        let response = app
            .request(
                "PATCH",
                &format!("/api/v1/plans/{}", p.plan),
                Some(&json!({ "calendar": calendar })),
                &[("authorization", &admin), ("if-match", &format!("\"{version}\""))],
            )
            .await;
        common::assert_problem(&response, 422, "VALIDATION_FAILED");
        assert!(String::from_utf8_lossy(&response.body).contains(field), "{field}");
    }
    for (query, status) in [
        ("limit=0", 422),
        ("limit=1001", 422),
        ("on=1999-12-31", 422),
        ("on=2025-02-30", 400),
        ("status=tardy", 400),
        ("kind=week", 400),
        ("unit_id=nope", 400),
        // The document says int64 and at least 0: past it is a malformed
        // query, below it an invalid one.
        ("offset=9223372036854775808", 400),
        ("offset=-1", 422),
        ("offset=9223372036854775807", 200),
    ] {
        let response = app
            .as_bearer(&admin, "GET", &format!("/api/v1/calendar?{query}"), None)
            .await;
        assert_eq!(
            response.status,
            status,
            "{query}: {}",
            String::from_utf8_lossy(&response.body)
        );
    }
    let anonymous = app.request("GET", "/api/v1/calendar", None, &[]).await;
    common::assert_problem(&anonymous, 401, "UNAUTHENTICATED");
}

fn target(comparator: Comparator, value: &str, max: Option<&str>, unit: &str) -> TargetInput {
    TargetInput {
        id: None,
        metric: None,
        label: None,
        comparator,
        value: Some(Amount::parse(value).expect("amount")),
        value_max: max.map(|m| Amount::parse(m).expect("amount")),
        unit: unit.into(),
        baseline: None,
        source_text: format!("{value}{unit}"),
    }
}

async fn task_with(app: &TestApp, p: &seed::Pairing, seq: i32, targets: Vec<TargetInput>) -> task::Task {
    task_led_by(app, p, seq, (p.recipient_unit, Side::Recipient), targets).await
}

/// Task `seq` of the pairing's plan, led by one unit of the side given.
async fn task_led_by(
    app: &TestApp,
    p: &seed::Pairing,
    seq: i32,
    (unit, side): (Uuid, Side),
    targets: Vec<TargetInput>,
) -> task::Task {
    task::create(
        &app.db,
        &Caller::system(),
        NewTask {
            plan_id: p.plan,
            section: None,
            seq,
            category: None,
            content: format!("第{seq}项"),
            deadline: None,
            deadline_text: None,
            leaders: vec![],
            notes: None,
            assignments: vec![AssignmentInput {
                assignee: Assignee::Unit(unit),
                role: AssignmentRole::Lead,
                side: Some(side),
            }],
            targets,
            external_id: None,
        },
    )
    .await
    .expect("a task")
}

async fn change(app: &TestApp, t: &task::Task, changes: TaskChanges) {
    let t = task::get(&app.db, &Caller::system(), t.id).await.expect("task");
    task::update(&app.db, &Caller::system(), t.id, t.version, changes)
        .await
        .expect("a change");
}

#[tokio::test]
async fn progress_reads_the_latest_approved_figure_through_each_comparator() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;

    // At least 5000 万元: 3000 approved in Q2, a larger Q3 figure not yet approved.
    let funds = seed::task(&app.db, &p, 1, &["5000"]).await;
    seed::report_on(
        &app.db,
        &funds,
        p.recipient_unit,
        "2025-Q1",
        &[(0, "1000")],
        Some("2025-04-08"),
        true,
    )
    .await;
    seed::report_on(
        &app.db,
        &funds,
        p.recipient_unit,
        "2025-Q2",
        &[(0, "3000")],
        Some("2025-07-08"),
        true,
    )
    .await;
    seed::report_on(
        &app.db,
        &funds,
        p.recipient_unit,
        "2025-Q3",
        &[(0, "6000")],
        Some("2025-10-08"),
        false,
    )
    .await;
    // At least 100 人次 reached 120; at most 10 个 went to 12.5.
    let two = task_with(
        &app,
        &p,
        2,
        vec![
            target(Comparator::AtLeast, "100", None, "人次"),
            target(Comparator::AtMost, "10", None, "个"),
        ],
    )
    .await;
    seed::report_on(
        &app.db,
        &two,
        p.recipient_unit,
        "2025",
        &[(0, "120"), (1, "12.5")],
        Some("2025-11-18"),
        true,
    )
    .await;
    // 3—5 名 reached 4; about 100 reached 91.
    let range = task_with(
        &app,
        &p,
        3,
        vec![
            target(Comparator::Range, "3", Some("5"), "名"),
            target(Comparator::About, "100", None, "家"),
        ],
    )
    .await;
    seed::report_on(
        &app.db,
        &range,
        p.recipient_unit,
        "2025-06",
        &[(0, "4"), (1, "91")],
        Some("2025-07-03"),
        true,
    )
    .await;
    // No approved figure yet.
    let waiting = task_with(&app, &p, 4, vec![target(Comparator::AtLeast, "8", None, "个")]).await;
    // No targets: declared, completed, cancelled.
    let declared = task_with(&app, &p, 5, vec![]).await;
    change(
        &app,
        &declared,
        TaskChanges {
            declared_progress: Some(Some(40)),
            ..Default::default()
        },
    )
    .await;
    let completed = task_with(&app, &p, 6, vec![]).await;
    change(
        &app,
        &completed,
        TaskChanges {
            status: Some(TaskStatus::Completed),
            ..Default::default()
        },
    )
    .await;
    let cancelled = task_with(&app, &p, 7, vec![]).await;
    change(
        &app,
        &cancelled,
        TaskChanges {
            status: Some(TaskStatus::Cancelled),
            ..Default::default()
        },
    )
    .await;

    let progress_of = |id: Uuid| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let response = app
                .as_bearer(&admin, "GET", &format!("/api/v1/tasks/{id}/progress"), None)
                .await;
            assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
            response.json()
        }
    };
    let f = progress_of(funds.id).await;
    assert_eq!(
        (f["percent"].as_str(), f["source"].as_str(), f["as_of"].as_str()),
        (Some("60.00"), Some("targets"), Some("2025-Q2"))
    );
    assert_eq!(
        (f["targets"][0]["actual"].as_str(), f["targets"][0]["met"].as_bool()),
        (Some("3000"), Some(false))
    );

    let t = progress_of(two.id).await;
    assert_eq!(t["targets"][0]["percent"], "120.00");
    assert_eq!(t["targets"][0]["met"], true);
    assert_eq!(t["targets"][1]["percent"], "80.00");
    assert_eq!(t["targets"][1]["met"], false);
    assert_eq!(t["percent"], "90.00", "each target capped at 100, then the mean");

    let r = progress_of(range.id).await;
    assert_eq!(
        (r["targets"][0]["percent"].as_str(), r["targets"][0]["met"].as_bool()),
        (Some("133.33"), Some(true))
    );
    assert_eq!(
        (r["targets"][1]["percent"].as_str(), r["targets"][1]["met"].as_bool()),
        (Some("91.00"), Some(true))
    );
    assert_eq!(r["percent"], "95.50");

    let w = progress_of(waiting.id).await;
    assert!(w["targets"][0]["actual"].is_null() && w["targets"][0]["percent"].is_null());
    assert_eq!((w["percent"].as_str(), w["as_of"].as_str()), (Some("0.00"), None));
    let d = progress_of(declared.id).await;
    assert_eq!(
        (d["percent"].as_str(), d["source"].as_str()),
        (Some("40.00"), Some("declared"))
    );
    let c = progress_of(completed.id).await;
    assert_eq!(
        (c["percent"].as_str(), c["source"].as_str()),
        (Some("100.00"), Some("completed"))
    );
    let x = progress_of(cancelled.id).await;
    assert!(x["percent"].is_null());
    assert_eq!(x["source"], "none");

    let plan = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{}/progress", p.plan), None)
        .await;
    assert_eq!(plan.status, 200, "{}", String::from_utf8_lossy(&plan.body));
    let plan = plan.json();
    assert_eq!(plan["tasks"].as_array().map(Vec::len), Some(7));
    // (60 + 90 + 95.5 + 0 + 40 + 100) ÷ 6, the cancelled task left out.
    assert_eq!(plan["percent"], "64.25");

    // A unit elsewhere may not see the task: it does not exist for it.
    let outsider = app.bearer_of_outsider().await;
    let hidden = app
        .as_bearer(&outsider, "GET", &format!("/api/v1/tasks/{}/progress", funds.id), None)
        .await;
    common::assert_problem(&hidden, 404, "NOT_FOUND");
    let hidden = app
        .as_bearer(&outsider, "GET", &format!("/api/v1/plans/{}/progress", p.plan), None)
        .await;
    common::assert_problem(&hidden, 404, "NOT_FOUND");
    let missing = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/tasks/{}/progress", Uuid::new_v4()),
            None,
        )
        .await;
    common::assert_problem(&missing, 404, "NOT_FOUND");
}

/// A unit late with many reports is named with its oldest twenty, and
/// counted whole: on 2025-12-20 a plan reporting monthly (by the 5th),
/// quarterly (by the 10th) and yearly owes, per task, January to November
/// and the first three quarters: 14 late, 28 for two tasks.
#[tokio::test]
async fn the_late_list_names_a_units_oldest_twenty_and_counts_them_all() {
    let w = crate::supervision::lights_world("2025-12-20").await;
    let calendar =
        json!({"monthly_due_day": 5, "quarterly_due_day": 10, "yearly_due": "12-25", "summary_due": "12-28"});
    let plan = w.plan("月报清单", Some(calendar)).await;
    w.task(&plan, 1, "2025-12-31", &[], 50).await;
    w.task(&plan, 2, "2025-12-31", &[], 50).await;
    let path = format!("/api/v1/calendar/late/export?plan_id={plan}");
    let exported = w.app.as_bearer(&w.admin, "GET", &path, None).await;
    assert_eq!(exported.status, 200, "{}", String::from_utf8_lossy(&exported.body));
    let (cells, merged) = common::xlsx_sheet(&exported.body);
    assert_eq!(
        cells[1][0],
        "截至2025年12月20日，1个单位28份报告逾期未报（每个单位列出最早的20份）"
    );
    let rows = &cells[3..];
    assert_eq!(rows.len(), 20);
    assert_eq!(rows[0][..4], ["1", "县经济信息委", "巫溪县", "28"]);
    // January's two reports, due 02-05, 318 days before; then on to
    // August's, due 09-05, 106 days before (Q1 and Q2 in between).
    assert_eq!(rows[0][6..], ["2025年1月", "2025-02-05", "318"]);
    assert_eq!(rows[1][6..], ["2025年1月", "2025-02-05", "318"]);
    assert_eq!(rows[6][6..], ["2025年第一季度", "2025-04-10", "254"]);
    assert_eq!(rows[19][6..], ["2025年8月", "2025-09-05", "106"]);
    assert!(merged.contains(&(3, 3, 22, 3)), "{merged:?}");
}

/// Offices' units share names across districts: two units named 县商务委,
/// one of 巫溪县 and one of 渝中区, leading one task each with the same
/// late reports, come in the district's order (巫溪县 before 渝中区 by the
/// names' code points) on every request, and so in the document.
#[tokio::test]
async fn late_units_of_one_name_come_in_the_districts_order_every_time() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let namesake = seed::unit(
        &app.db,
        p.helper,
        "县商务委",
        xietong::domain::values::UnitKind::Department,
    )
    .await;
    // Created in the opposite order of the districts.
    task_led_by(&app, &p, 1, (namesake, Side::Helper), vec![]).await;
    task_led_by(&app, &p, 2, (p.recipient_unit_2, Side::Recipient), vec![]).await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        let report = app
            .as_bearer(&admin, "GET", "/api/v1/calendar/late?on=2025-07-11&year=2025", None)
            .await;
        assert_eq!(report.status, 200, "{}", String::from_utf8_lossy(&report.body));
        let units = report.json()["units"].clone();
        let rows: Vec<(String, String, u64)> = units
            .as_array()
            .expect("units")
            .iter()
            .map(|u| {
                (
                    u["unit_name"].as_str().unwrap_or("").to_owned(),
                    u["unit_id"].as_str().unwrap_or("").to_owned(),
                    u["late"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        seen.push(rows);
    }
    // Monthly reports of January to June (due by the 5th of the next
    // month) and the first two quarters: eight late reports each.
    assert_eq!(
        seen[0],
        [
            ("县商务委".to_owned(), p.recipient_unit_2.to_string(), 8),
            ("县商务委".to_owned(), namesake.to_string(), 8),
        ]
    );
    assert!(seen.iter().all(|rows| *rows == seen[0]), "{seen:?}");
}
