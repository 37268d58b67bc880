//! Supervision (督查督办): who owes which report by the plan's rule, the
//! tasks' traffic lights and their roll-ups, and leaders (牵头领导) as
//! records. Every expected count is worked out below from the fixture's
//! own words or from the tasks the test made.

use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::values::Role;

use crate::common::{TestApp, TestResponse, assert_problem, graphql_code, graphql_data, seed};

pub(crate) fn text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

pub(crate) async fn get(app: &TestApp, bearer: &str, path: &str) -> Value {
    let response = app.as_bearer(bearer, "GET", path, None).await;
    assert_eq!(response.status, 200, "{path}: {}", text(&response));
    response.json()
}

pub(crate) async fn send(
    app: &TestApp,
    bearer: &str,
    method: &str,
    path: &str,
    body: Value,
    version: Option<i64>,
) -> Value {
    let if_match = version.map(|v| format!("\"{v}\""));
    let mut headers = vec![("authorization", bearer)];
    if let Some(v) = if_match.as_deref() {
        headers.push(("if-match", v));
    }
    let response = app.request(method, path, Some(&body), &headers).await;
    assert!(
        response.status == 200 || response.status == 201,
        "{method} {path}: {} {}",
        response.status,
        text(&response)
    );
    response.json()
}

/// The lead units of each row of 涪陵区's table, as the document writes
/// them: a cell's units are split by new lines, 、 and ，; a line that
/// starts with （ names the unit above it again (白涛工业园区 /
/// （白涛新材料科技城）).
fn fuling_lead_units() -> Vec<usize> {
    let path = format!(
        "{}/../shared/fixtures/fuling-2025-work-report-tasks.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = csv::Reader::from_path(path).expect("the fixture");
    let headers = reader.headers().expect("headers").clone();
    let lead = headers.iter().position(|h| h == "牵头责任单位").expect("a lead column");
    reader
        .records()
        .map(|row| {
            let row = row.expect("a row");
            row[lead]
                .split(['\n', '、', '，'])
                .map(str::trim)
                .filter(|part| !part.is_empty() && !part.starts_with('（'))
                .count()
        })
        .collect()
}

/// The leaders (牵头领导) 涪陵区's table names, each once, split as the
/// cells write them (冯星贵、张宇).
fn fuling_leaders() -> std::collections::BTreeSet<String> {
    let path = format!(
        "{}/../shared/fixtures/fuling-2025-work-report-tasks.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = csv::Reader::from_path(path).expect("the fixture");
    let headers = reader.headers().expect("headers").clone();
    let column = headers.iter().position(|h| h == "牵头领导").expect("a leaders column");
    reader
        .records()
        .flat_map(|row| {
            let row = row.expect("a row");
            row[column]
                .split(['\n', '、', '，'])
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn demo_on(day: &str) -> (TestApp, String) {
    let app = TestApp::spawn_on(day).await;
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    app.user("supervision-admin", Role::Admin, None).await;
    let admin = app.bearer("supervision-admin").await;
    (app, admin)
}

async fn fuling_plan(app: &TestApp, admin: &str) -> Value {
    let regions = get(app, admin, "/api/v1/regions?q=涪陵区").await;
    let fuling = regions["items"][0]["id"].as_str().expect("涪陵区").to_owned();
    let plans = get(app, admin, &format!("/api/v1/plans?region_id={fuling}&year=2025")).await;
    plans["items"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["region_id"] == fuling.as_str())
        .expect("涪陵区's own plan")
        .clone()
}

/// Every task of a plan, all pages.
async fn tasks_of(app: &TestApp, bearer: &str, plan: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/api/v1/tasks?plan_id={plan}&limit=200");
    loop {
        let page = get(app, bearer, &path).await;
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/tasks?plan_id={plan}&limit=200&cursor={cursor}"),
            None => return out,
        }
    }
}

/// The calendar's total and its counts (open, submitted, submitted late, late).
async fn owed(app: &TestApp, bearer: &str, query: &str) -> (u64, [u64; 4]) {
    let page = get(app, bearer, &format!("/api/v1/calendar?{query}&limit=1")).await;
    let c = &page["counts"];
    let n = |k: &str| c[k].as_u64().expect("a count");
    (
        page["total"].as_u64().expect("a total"),
        [n("open"), n("submitted"), n("submitted_late"), n("late")],
    )
}

/// 涪陵区's plan is a region's own: by default it owes each quarter's
/// report by the 10th and the year's by 11-20, from its lead units only.
/// The issue measured 83,300 reports owed (73,500 late) on 2025-12-31 when
/// every supporting unit and every group member owed monthly, quarterly and
/// yearly reports.
#[tokio::test]
async fn fuling_owes_its_lead_units_quarterly_and_yearly_reports() {
    let (app, admin) = demo_on("2026-01-02").await;
    let plan = fuling_plan(&app, &admin).await;
    let id = plan["id"].as_str().expect("id").to_owned();
    assert_eq!(plan["kind"], "region");
    assert_eq!(
        plan["reporting"],
        json!({"supporting": "none", "groups": "one_per_group", "remind_days": 3, "evidence_required": false})
    );
    assert_eq!(plan["calendar"]["monthly_due_day"], Value::Null);
    assert_eq!(plan["calendar"]["quarterly_due_day"], 10);
    assert_eq!(plan["calendar"]["yearly_due"], "11-20");

    // Each leader the table names is one record of 涪陵区, linked in order.
    let names = fuling_leaders();
    let region = plan["region_id"].as_str().expect("region");
    let leaders = get(&app, &admin, &format!("/api/v1/leaders?region_id={region}&limit=200")).await;
    let recorded: std::collections::BTreeSet<String> = leaders["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| l["name"].as_str().expect("a name").to_owned())
        .collect();
    assert_eq!(recorded, names);
    let tasks = tasks_of(&app, &admin, &id).await;
    for task in &tasks {
        assert_eq!(
            task["leaders"].as_array().map(Vec::len),
            task["leader_ids"].as_array().map(Vec::len),
            "{task}"
        );
    }

    // 148 rows; 85 name one lead unit, the rest two to six.
    let leads = fuling_lead_units();
    assert_eq!(leads.len(), 148);
    let lead_units: usize = leads.iter().sum();
    // On 2025-12-31 five periods have begun: Q1–Q4 and the year. Q1 (due
    // 04-10), Q2 (07-10), Q3 (10-10) and the year (11-20) are late; Q4 is
    // due 2026-01-10, still open. Nothing was reported.
    let lead_units = lead_units as u64;
    assert_eq!(
        owed(&app, &admin, &format!("plan_id={id}&on=2025-12-31")).await,
        (5 * lead_units, [lead_units, 0, 0, 4 * lead_units])
    );

    // With supporting units owing to the office, each supporting unit —
    // and each supporting group as one — owes the same five, unless it
    // also leads the task.
    let mut debtors = 0u64;
    for task in &tasks {
        let assignments = task["assignments"].as_array().expect("assignments");
        let lead_ids: Vec<&Value> = assignments
            .iter()
            .filter(|a| a["role"] == "lead")
            .map(|a| &a["unit_id"])
            .collect();
        let mut seen: Vec<String> = Vec::new();
        for a in assignments {
            let who = if a["unit_id"].is_string() {
                &a["unit_id"]
            } else {
                &a["group_id"]
            };
            let key = who.to_string();
            let counts = a["role"] == "lead" || !lead_ids.contains(&&a["unit_id"]) || a["unit_id"].is_null();
            if counts && !seen.contains(&key) {
                seen.push(key);
                debtors += 1;
            }
        }
    }
    assert!(debtors > lead_units, "supporting units add to the lead units");
    eprintln!("涪陵区 on 2025-12-31: {lead_units} lead units owe by default, {debtors} units and groups to the office");
    let patched = send(
        &app,
        &admin,
        "PATCH",
        &format!("/api/v1/plans/{id}"),
        json!({"reporting": {"supporting": "to_office"}}),
        plan["version"].as_i64(),
    )
    .await;
    assert_eq!(
        patched["reporting"],
        json!({"supporting": "to_office", "groups": "one_per_group", "remind_days": 3, "evidence_required": false})
    );
    assert_eq!(
        owed(&app, &admin, &format!("plan_id={id}&on=2025-12-31")).await,
        (5 * debtors, [debtors, 0, 0, 4 * debtors])
    );

    // A supporting unit's report is accepted for any valid period — a
    // month, which the plan does not ask for — and under `to_office` it is
    // the coordinators', not the lead unit's, to review.
    let indicator_6 = tasks
        .iter()
        .find(|t| t["section"] == "主要预期目标" && t["seq"] == 6)
        .expect("indicator 6");
    let lead_unit: Uuid = indicator_6["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["role"] == "lead")
        .and_then(|a| a["unit_id"].as_str())
        .and_then(|u| u.parse().ok())
        .expect("a lead unit");
    app.user("indicator-6-lead", Role::UnitUser, Some(lead_unit)).await;
    let lead = app.bearer("indicator-6-lead").await;
    app.user("fuling-coordinator", Role::Coordinator, Some(lead_unit)).await;
    let coordinator = app.bearer("fuling-coordinator").await;
    let supporting_unit: Uuid = indicator_6["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["role"] == "supporting" && a["unit_id"].is_string())
        .and_then(|a| a["unit_id"].as_str())
        .and_then(|u| u.parse().ok())
        .expect("a supporting unit");
    app.user("indicator-6-supporting", Role::UnitUser, Some(supporting_unit))
        .await;
    let supporting = app.bearer("indicator-6-supporting").await;
    let task_id = indicator_6["id"].as_str().expect("id");
    let report = send(
        &app,
        &supporting,
        "POST",
        &format!("/api/v1/tasks/{task_id}/reports"),
        json!({"period": "2025-03", "consolidated": false, "text": "三月进展", "values": []}),
        None,
    )
    .await;
    let report_id = report["id"].as_str().expect("id");
    send(
        &app,
        &supporting,
        "POST",
        &format!("/api/v1/reports/{report_id}/submit"),
        json!({}),
        None,
    )
    .await;
    let by_lead = app
        .as_bearer(
            &lead,
            "POST",
            &format!("/api/v1/reports/{report_id}/approve"),
            Some(&json!({})),
        )
        .await;
    assert_problem(&by_lead, 403, "FORBIDDEN");
    assert!(text(&by_lead).contains("report to the office"), "{}", text(&by_lead));
    let approved = send(
        &app,
        &coordinator,
        "POST",
        &format!("/api/v1/reports/{report_id}/approve"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    // Nothing owed changed: a month is not owed.
    assert_eq!(
        owed(&app, &admin, &format!("plan_id={id}&on=2025-12-31")).await,
        (5 * debtors, [debtors, 0, 0, 4 * debtors])
    );
}

/// Makes and submits `unit`'s consolidated report on `task` for `period`.
async fn file(app: &TestApp, admin: &str, task: &Value, unit: Uuid, period: &str) {
    let task = task.as_str().expect("a task id");
    let report = send(
        app,
        admin,
        "POST",
        &format!("/api/v1/tasks/{task}/reports"),
        json!({"unit_id": unit, "period": period, "consolidated": true, "text": "进展", "values": []}),
        None,
    )
    .await;
    let id = report["id"].as_str().expect("id");
    step(app, admin, id, "submit", json!({})).await;
}

/// Moves report `id` along its workflow (`submit`, `approve`, `return`,
/// `recall`) and answers the report.
pub(crate) async fn step(app: &TestApp, bearer: &str, id: &str, action: &str, body: Value) -> Value {
    send(
        app,
        bearer,
        "POST",
        &format!("/api/v1/reports/{id}/{action}"),
        body,
        None,
    )
    .await
}

/// A plan made through the API for the lights: 县经济信息委 leads every
/// task, 县商务委 supports.
pub(crate) struct LightsPlan {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) pairing: seed::Pairing,
}

pub(crate) async fn lights_world(day: &str) -> LightsPlan {
    let app = TestApp::spawn_on(day).await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    app.user("lights-admin", Role::Admin, None).await;
    let admin = app.bearer("lights-admin").await;
    LightsPlan { app, admin, pairing }
}

impl LightsPlan {
    /// An issued plan of the pairing with `calendar` (the default of a
    /// pairing's list when none).
    pub(crate) async fn plan(&self, title: &str, calendar: Option<Value>) -> String {
        let mut body = json!({"pairing_id": self.pairing.pairing, "year": 2025, "title": title});
        if let Some(c) = calendar {
            body["calendar"] = c;
        }
        let plan = send(&self.app, &self.admin, "POST", "/api/v1/plans", body, None).await;
        let id = plan["id"].as_str().expect("id").to_owned();
        send(
            &self.app,
            &self.admin,
            "POST",
            &format!("/api/v1/plans/{id}/issue"),
            json!({}),
            plan["version"].as_i64(),
        )
        .await;
        id
    }

    /// A task due `deadline`, led by `leaders`, at `progress` percent
    /// declared (in progress).
    pub(crate) async fn task(&self, plan: &str, seq: i32, deadline: &str, leaders: &[&str], progress: i32) -> Value {
        let task = send(
            &self.app,
            &self.admin,
            "POST",
            "/api/v1/tasks",
            json!({
                "plan_id": plan, "seq": seq, "content": format!("任务{seq}"), "deadline": deadline,
                "leaders": leaders,
                "assignments": [
                    {"unit_id": self.pairing.recipient_unit, "role": "lead", "side": "recipient"},
                    {"unit_id": self.pairing.recipient_unit_2, "role": "supporting", "side": "recipient"}
                ]
            }),
            None,
        )
        .await;
        let id = task["id"].as_str().expect("id").to_owned();
        send(
            &self.app,
            &self.admin,
            "PATCH",
            &format!("/api/v1/tasks/{id}"),
            json!({"status": "in_progress", "declared_progress": progress}),
            task["version"].as_i64(),
        )
        .await
    }
}

/// A draft report of the lead unit, with a bearer of each unit on its task.
pub(crate) struct Draft {
    /// 县经济信息委, which leads the task and wrote the report.
    pub(crate) lead: String,
    /// 县商务委, which supports the task.
    pub(crate) supporting: String,
    /// The report's id.
    pub(crate) id: String,
}

impl LightsPlan {
    /// A plan titled `title` with one task and the lead unit's draft report
    /// on its second quarter.
    pub(crate) async fn draft(&self, title: &str) -> Draft {
        let plan = self.plan(title, None).await;
        let task = self.task(&plan, 1, "2025-12-31", &[], 50).await;
        let task_id = task["id"].as_str().expect("id");
        let (lead_name, supporting_name) = (format!("{title}-lead"), format!("{title}-supporting"));
        self.app
            .user(&lead_name, Role::UnitUser, Some(self.pairing.recipient_unit))
            .await;
        self.app
            .user(&supporting_name, Role::UnitUser, Some(self.pairing.recipient_unit_2))
            .await;
        let lead = self.app.bearer(&lead_name).await;
        let report = send(
            &self.app,
            &lead,
            "POST",
            &format!("/api/v1/tasks/{task_id}/reports"),
            json!({"period": "2025-Q2", "consolidated": true, "text": "二季度", "values": []}),
            None,
        )
        .await;
        Draft {
            supporting: self.app.bearer(&supporting_name).await,
            id: report["id"].as_str().expect("id").to_owned(),
            lead,
        }
    }
}

fn light_of(task: &Value) -> (String, Vec<String>) {
    (
        task["light"].as_str().expect("a light").to_owned(),
        task["light_reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r["code"].as_str().expect("a code").to_owned())
            .collect(),
    )
}

fn pair(light: &str, codes: &[&str]) -> (String, Vec<String>) {
    (light.to_owned(), codes.iter().map(|c| (*c).to_owned()).collect())
}

/// On 2025-07-02 (182 days after 2025-01-01): each reason, its colour and its
/// message; the roll-ups by plan, unit and leader; the filters.
#[tokio::test]
async fn lights_tell_each_reason_and_roll_up_by_plan_unit_and_leader() {
    let w = lights_world("2025-07-02").await;
    let (app, admin) = (&w.app, w.admin.as_str());
    // A pairing's list owes only the year's report (by 11-20): nothing is
    // late in July.
    let plan = w.plan("灯", None).await;
    // Past its deadline of 06-30.
    let overdue = w.task(&plan, 1, "2025-06-30", &["张三"], 100).await;
    // Due 07-10, eight days on, at 100 %: only the deadline.
    let near = w.task(&plan, 2, "2025-07-10", &[], 100).await;
    // Due 12-31: 182 of 364 days gone, 50 %; at 10 % it trails by 40.
    let behind = w.task(&plan, 3, "2025-12-31", &["张三", "李四"], 10).await;
    // At 40 % it trails by 10: green.
    let green = w.task(&plan, 4, "2025-12-31", &["李四"], 40).await;
    assert_eq!(light_of(&overdue), pair("red", &["overdue"]));
    assert_eq!(light_of(&near), pair("yellow", &["deadline_near"]));
    assert_eq!(light_of(&behind), pair("yellow", &["behind_schedule"]));
    assert_eq!(
        behind["light_reasons"][0]["message"],
        "progress 10% trails the 50% of its time elapsed by more than 20 points"
    );
    assert_eq!(light_of(&green), pair("green", &[]));

    // A plan reporting each quarter by the 10th: Q1 was due 04-10.
    let quarterly = w
        .plan(
            "季",
            Some(json!({"monthly_due_day": null, "quarterly_due_day": 10, "yearly_due": "11-20", "summary_due": "12-20"})),
        )
        .await;
    let unreported = w.task(&quarterly, 1, "2025-12-31", &[], 60).await;
    assert_eq!(light_of(&unreported), pair("red", &["report_late"]));
    assert_eq!(
        unreported["light_reasons"][0]["message"],
        "1 report(s) owed are late, the oldest due 2025-04-10"
    );
    // Filed late, the Q1 report is no longer missing: green again.
    let reported = w.task(&quarterly, 2, "2025-12-31", &[], 60).await;
    file(app, admin, &reported["id"], w.pairing.recipient_unit, "2025-Q1").await;
    let now = get(
        app,
        admin,
        &format!("/api/v1/tasks/{}", reported["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(light_of(&now), pair("green", &[]));

    // Roll-ups of the first plan: 1 red, 2 yellow, 1 green, all led by 县经济信息委.
    let summary = get(app, admin, &format!("/api/v1/lights?plan_id={plan}")).await;
    assert_eq!(
        summary["total"],
        json!({"green": 1, "yellow": 2, "red": 1, "worst": "red"})
    );
    assert_eq!(summary["plans"][0]["name"], "灯");
    assert_eq!(summary["units"].as_array().map(Vec::len), Some(1));
    assert_eq!(summary["units"][0]["name"], "县经济信息委");
    assert_eq!(summary["units"][0]["red"], 1);
    // 张三 leads tasks 1 (red) and 3 (yellow); 李四 tasks 3 and 4 (green).
    let leaders = summary["leaders"].as_array().expect("leaders");
    assert_eq!(leaders.len(), 2);
    assert_eq!(
        (
            &leaders[0]["name"],
            &leaders[0]["red"],
            &leaders[0]["yellow"],
            &leaders[0]["worst"]
        ),
        (&json!("张三"), &json!(1), &json!(1), &json!("red"))
    );
    assert_eq!(
        (
            &leaders[1]["name"],
            &leaders[1]["yellow"],
            &leaders[1]["green"],
            &leaders[1]["worst"]
        ),
        (&json!("李四"), &json!(1), &json!(1), &json!("yellow"))
    );
    // Both plans together: the quarterly one adds a red and a green.
    let pairing = w.pairing.pairing;
    let both = get(app, admin, &format!("/api/v1/lights?pairing_id={pairing}")).await;
    assert_eq!(
        both["total"],
        json!({"green": 2, "yellow": 2, "red": 2, "worst": "red"})
    );

    // Leaders are records: one per name in the helping district, linked in order.
    let zhang = leaders[0]["id"].as_str().expect("id").to_owned();
    let li = leaders[1]["id"].as_str().expect("id").to_owned();
    assert_eq!(behind["leaders"], json!(["张三", "李四"]));
    assert_eq!(behind["leader_ids"], json!([zhang, li]));
    let record = get(app, admin, &format!("/api/v1/leaders/{zhang}")).await;
    assert_eq!(record["name"], "张三");
    assert_eq!(record["region_id"], json!(w.pairing.helper));
    let listed = get(app, admin, "/api/v1/leaders?q=李").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    // Filters: by light, by leader, and statistics by light and leader.
    let yellow = get(app, admin, &format!("/api/v1/tasks?plan_id={plan}&light=yellow")).await;
    let seqs: Vec<&Value> = yellow["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| &t["seq"])
        .collect();
    assert_eq!(seqs, [&json!(2), &json!(3)]);
    let of_zhang = get(app, admin, &format!("/api/v1/tasks?leader_id={zhang}")).await;
    let seqs: Vec<&Value> = of_zhang["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| &t["seq"])
        .collect();
    assert_eq!(seqs, [&json!(1), &json!(3)]);
    let stats = get(app, admin, &format!("/api/v1/statistics?plan_id={plan}")).await;
    assert_eq!(
        stats["lights"],
        json!({"green": 1, "yellow": 2, "red": 1, "worst": "red"})
    );
    let stats = get(app, admin, &format!("/api/v1/statistics?leader_id={li}")).await;
    assert_eq!(stats["tasks"]["total"], 2);
    assert_eq!(
        stats["lights"],
        json!({"green": 1, "yellow": 1, "red": 0, "worst": "yellow"})
    );
    let of_li = get(app, admin, &format!("/api/v1/lights?leader_id={li}&light=yellow")).await;
    assert_eq!(
        of_li["total"],
        json!({"green": 0, "yellow": 1, "red": 0, "worst": "yellow"})
    );

    // The same through GraphQL.
    let answer = app
        .graphql(
            Some(admin),
            "query($plan: ID!) { tasks(planId: $plan, light: YELLOW) { edges { node { seq light lightReasons { code } } } }
                                 lights(planId: $plan) { total { green yellow red worst } leaders { name counts { worst } } }
                                 leaders(q: \"张\") { edges { node { name region { name } } } } }",
            json!({"plan": plan}),
        )
        .await;
    let data = graphql_data(&answer);
    assert_eq!(data["tasks"]["edges"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        data["tasks"]["edges"][1]["node"]["lightReasons"][0]["code"],
        "behind_schedule"
    );
    assert_eq!(
        data["lights"]["total"],
        json!({"green": 1, "yellow": 2, "red": 1, "worst": "RED"})
    );
    assert_eq!(data["lights"]["leaders"][0]["name"], "张三");
    assert_eq!(
        data["leaders"]["edges"],
        json!([{"node": {"name": "张三", "region": {"name": "渝中区"}}}])
    );
}

/// A plan's thresholds are its own: with N = 5 days and M = 50 points the
/// near and behind tasks above are green.
#[tokio::test]
async fn a_plans_thresholds_move_its_lights() {
    let w = lights_world("2025-07-02").await;
    let (app, admin) = (&w.app, w.admin.as_str());
    let plan = w.plan("阈值", None).await;
    w.task(&plan, 2, "2025-07-10", &[], 100).await;
    w.task(&plan, 3, "2025-12-31", &[], 10).await;
    let current = get(app, admin, &format!("/api/v1/plans/{plan}")).await;
    assert_eq!(current["lights"], json!({"due_soon_days": 15, "lag_points": 20}));
    // With the defaults, 8 days before its deadline the first is near; the
    // second, at 10 % with 182 of its 364 days gone, trails by 40 points.
    // Statistics count them from the lights kept for today.
    let day = "2025-07-02".parse().expect("a day");
    assert!(xietong::domain::light::kept::keep(&app.db, day).await.expect("kept") >= 1);
    let stats = get(app, admin, &format!("/api/v1/statistics?scope=all&plan_id={plan}")).await;
    assert_eq!(
        stats["lights"],
        json!({"green": 0, "yellow": 2, "red": 0, "worst": "yellow"})
    );
    let patched = send(
        app,
        admin,
        "PATCH",
        &format!("/api/v1/plans/{plan}"),
        json!({"lights": {"due_soon_days": 5, "lag_points": 50}}),
        current["version"].as_i64(),
    )
    .await;
    assert_eq!(patched["lights"], json!({"due_soon_days": 5, "lag_points": 50}));
    let summary = get(app, admin, &format!("/api/v1/lights?plan_id={plan}")).await;
    assert_eq!(
        summary["total"],
        json!({"green": 2, "yellow": 0, "red": 0, "worst": "green"})
    );
    // The change forgot the plan's kept lights: statistics judge its tasks
    // until they are kept again, and say the same after.
    for keeping in [false, true] {
        if keeping {
            assert_eq!(xietong::domain::light::kept::keep(&app.db, day).await.expect("kept"), 1);
        }
        let stats = get(app, admin, &format!("/api/v1/statistics?scope=all&plan_id={plan}")).await;
        assert_eq!(stats["lights"], summary["total"], "kept again: {keeping}");
    }

    // Bad thresholds and rules name their fields.
    let version = format!("\"{}\"", patched["version"]);
    for (body, field) in [
        (json!({"lights": {"due_soon_days": 400}}), "lights.due_soon_days"),
        (json!({"lights": {"lag_points": -1}}), "lights.lag_points"),
    ] {
        let refused = app
            .request(
                "PATCH",
                &format!("/api/v1/plans/{plan}"),
                Some(&body),
                &[("authorization", admin), ("if-match", version.as_str())],
            )
            .await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert!(text(&refused).contains(field), "{}", text(&refused));
    }
    let refused = app
        .request(
            "PATCH",
            &format!("/api/v1/plans/{plan}"),
            Some(&json!({"reporting": {"supporting": "everyone"}})),
            &[("authorization", admin), ("if-match", version.as_str())],
        )
        .await;
    assert_eq!(refused.status / 100, 4, "{}", text(&refused));
    assert!(text(&refused).contains("supporting"), "{}", text(&refused));
}

/// A group assigned to a task owes one report, filed by any member, unless
/// the plan asks each member for its own.
#[tokio::test]
async fn a_group_owes_one_report_filed_by_any_member() {
    let w = lights_world("2025-12-01").await;
    let (app, admin) = (&w.app, w.admin.as_str());
    let group = send(
        app,
        admin,
        "POST",
        "/api/v1/unit-groups",
        json!({"region_id": w.pairing.recipient, "name": "县级部门", "member_ids": [w.pairing.recipient_unit, w.pairing.recipient_unit_2]}),
        None,
    )
    .await;
    let plan = w.plan("组", None).await;
    let task = send(
        app,
        admin,
        "POST",
        "/api/v1/tasks",
        json!({"plan_id": plan, "seq": 1, "content": "各部门共同推进",
               "assignments": [{"group_id": group["id"], "role": "lead", "side": "recipient"}]}),
        None,
    )
    .await;
    // On 12-01 the year's report (due 11-20) is owed once, by the group: late.
    let calendar = get(app, admin, &format!("/api/v1/calendar?plan_id={plan}")).await;
    assert_eq!(calendar["total"], 1);
    assert_eq!(calendar["items"][0]["group_id"], group["id"]);
    assert_eq!(calendar["items"][0]["unit_id"], Value::Null);
    assert_eq!(calendar["items"][0]["status"], "late");
    let late = get(app, admin, &format!("/api/v1/calendar/late?plan_id={plan}")).await;
    assert_eq!(late["units"][0]["unit_name"], "县级部门");
    assert_eq!(late["units"][0]["group_id"], group["id"]);
    // 县商务委 files it for the group.
    file(app, admin, &task["id"], w.pairing.recipient_unit_2, "2025").await;
    let calendar = get(app, admin, &format!("/api/v1/calendar?plan_id={plan}")).await;
    assert_eq!(calendar["total"], 1);
    assert_eq!(calendar["items"][0]["status"], "submitted_late");
    assert_eq!(calendar["items"][0]["unit_id"], json!(w.pairing.recipient_unit_2));
    // Each member its own: two owed, one of them still late.
    let current = get(app, admin, &format!("/api/v1/plans/{plan}")).await;
    send(
        app,
        admin,
        "PATCH",
        &format!("/api/v1/plans/{plan}"),
        json!({"reporting": {"supporting": "none", "groups": "none"}}),
        current["version"].as_i64(),
    )
    .await;
    let calendar = get(app, admin, &format!("/api/v1/calendar?plan_id={plan}")).await;
    assert_eq!(calendar["total"], 2);
    assert_eq!(calendar["counts"]["late"], 1);
    assert_eq!(calendar["counts"]["submitted_late"], 1);
}

/// Bad filters get the code a client can act on.
#[tokio::test]
async fn bad_supervision_input_is_refused() {
    let w = lights_world("2025-07-02").await;
    let (app, admin) = (&w.app, w.admin.as_str());
    let plan = w.plan("灯", None).await;
    w.task(&plan, 1, "2025-12-31", &["张三"], 50).await;
    // 涪陵区's own plan, led by its own leader.
    let fuling = seed::region(
        &app.db,
        Some("500102"),
        "涪陵区",
        xietong::domain::values::RegionKind::District,
        None,
    )
    .await;
    let fuling_plan = send(
        app,
        admin,
        "POST",
        "/api/v1/plans",
        json!({"region_id": fuling, "year": 2025, "title": "涪陵区2025年任务"}),
        None,
    )
    .await;
    let fuling_unit = seed::unit(
        &app.db,
        fuling,
        "区发展改革委",
        xietong::domain::values::UnitKind::Department,
    )
    .await;
    let fuling_task = send(
        app,
        admin,
        "POST",
        "/api/v1/tasks",
        json!({"plan_id": fuling_plan["id"], "seq": 1, "content": "地区生产总值增长6%以上。", "leaders": ["冯星贵"],
               "assignments": [{"unit_id": fuling_unit, "role": "lead"}]}),
        None,
    )
    .await;
    let feng = fuling_task["leader_ids"][0].as_str().expect("冯星贵").to_owned();
    let theirs = get(app, admin, &format!("/api/v1/leaders/{feng}")).await;
    assert_eq!(theirs["region_id"], json!(fuling));

    // A unit user of 巫溪县 sees its pairing's leaders, not 涪陵区's.
    app.user("wuxi-unit", Role::UnitUser, Some(w.pairing.recipient_unit))
        .await;
    let unit = app.bearer("wuxi-unit").await;
    let mine = get(app, &unit, "/api/v1/leaders").await;
    let names: Vec<&Value> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| &l["name"])
        .collect();
    assert_eq!(names, [&json!("张三")]);
    let hidden = app
        .as_bearer(&unit, "GET", &format!("/api/v1/leaders/{feng}"), None)
        .await;
    assert_problem(&hidden, 404, "NOT_FOUND");
    for path in [
        format!("/api/v1/tasks?leader_id={feng}"),
        format!("/api/v1/statistics?leader_id={feng}"),
        format!("/api/v1/lights?leader_id={feng}"),
    ] {
        let refused = app.as_bearer(&unit, "GET", &path, None).await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert!(text(&refused).contains("leader_id"), "{path}: {}", text(&refused));
    }
    let unknown = Uuid::new_v4();
    let refused = app
        .as_bearer(admin, "GET", &format!("/api/v1/tasks?leader_id={unknown}"), None)
        .await;
    assert_problem(&refused, 422, "VALIDATION_FAILED");
    let refused = app.as_bearer(admin, "GET", "/api/v1/leaders?sort=title", None).await;
    assert_problem(&refused, 422, "VALIDATION_FAILED");
    assert!(text(&refused).contains("sort"), "{}", text(&refused));
    // An unknown colour.
    for path in ["/api/v1/tasks?light=purple", "/api/v1/lights?light=purple"] {
        let refused = app.as_bearer(admin, "GET", path, None).await;
        assert_eq!(refused.status, 400, "{path}: {}", text(&refused));
        assert!(text(&refused).contains("light"), "{path}: {}", text(&refused));
    }
    let answer = app
        .graphql(Some(admin), "{ tasks(light: PURPLE) { totalCount } }", json!({}))
        .await;
    assert!(answer["errors"].is_array(), "{answer}");
    let answer = app
        .graphql(
            Some(&unit),
            "query($l: ID!) { lights(leaderId: $l) { total { red } } }",
            json!({"l": feng}),
        )
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
}

/// A unit takes back a report sent by mistake (撤回) while nobody has
/// reviewed it; once reviewed, it stays as it is.
#[tokio::test]
async fn a_unit_recalls_a_submitted_report_before_review() {
    let w = lights_world("2025-07-02").await;
    let (app, admin) = (&w.app, w.admin.as_str());
    let Draft { lead, supporting, id } = w.draft("撤回").await;
    let submitted = step(app, &lead, &id, "submit", json!({})).await;
    assert_eq!(submitted["status"], "submitted");
    // Not another unit's to take back.
    let refused = app
        .as_bearer(
            &supporting,
            "POST",
            &format!("/api/v1/reports/{id}/recall"),
            Some(&json!({})),
        )
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let recalled = step(app, &lead, &id, "recall", json!({})).await;
    assert_eq!(recalled["status"], "draft");
    assert_eq!(recalled["submitted_at"], Value::Null);
    assert_eq!(recalled["version"], submitted["version"].as_i64().expect("version") + 1);
    // A draft cannot be recalled.
    let again = app
        .as_bearer(&lead, "POST", &format!("/api/v1/reports/{id}/recall"), Some(&json!({})))
        .await;
    assert_problem(&again, 409, "CONFLICT");

    // Through GraphQL, then once approved it stays approved.
    step(app, &lead, &id, "submit", json!({})).await;
    let answer = app
        .graphql(
            Some(&lead),
            "mutation($id: ID!) { recallReport(id: $id) { status submittedAt } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["recallReport"],
        json!({"status": "DRAFT", "submittedAt": null})
    );
    step(app, &lead, &id, "submit", json!({})).await;
    step(app, admin, &id, "approve", json!({})).await;
    let frozen = app
        .as_bearer(&lead, "POST", &format!("/api/v1/reports/{id}/recall"), Some(&json!({})))
        .await;
    assert_problem(&frozen, 409, "CONFLICT");
    let answer = app
        .graphql(
            Some(&lead),
            "mutation($id: ID!) { recallReport(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(graphql_code(&answer), Some("CONFLICT"), "{answer}");
    let still = get(app, admin, &format!("/api/v1/reports/{id}")).await;
    assert_eq!(still["status"], "approved");
}

/// A returned report carries the conversation between its unit and its
/// reviewer, in order; others who see the report read it, not write it.
#[tokio::test]
async fn a_returned_report_carries_a_thread_of_comments() {
    let w = lights_world("2025-07-02").await;
    let (app, admin) = (&w.app, w.admin.as_str());
    let Draft { lead, supporting, id } = w.draft("评论").await;
    let comments = format!("/api/v1/reports/{id}/comments");
    // A draft has no reviewer yet.
    let early = app
        .as_bearer(&lead, "POST", &comments, Some(&json!({"body": "请审核"})))
        .await;
    assert_problem(&early, 409, "CONFLICT");
    step(app, &lead, &id, "submit", json!({})).await;
    step(app, admin, &id, "return", json!({"reason": "请补充到位资金凭证"})).await;
    let asked = send(app, admin, "POST", &comments, json!({"body": "凭证需加盖公章"}), None).await;
    assert_eq!(asked["author_name"], "lights-admin");
    let answered = send(app, &lead, "POST", &comments, json!({"body": "已补充，见附件"}), None).await;
    assert_eq!(answered["author_unit_id"], json!(w.pairing.recipient_unit));
    // The supporting unit reads the thread but does not write in it.
    let refused = app
        .as_bearer(&supporting, "POST", &comments, Some(&json!({"body": "同意"})))
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let empty = app
        .as_bearer(&lead, "POST", &comments, Some(&json!({"body": "  "})))
        .await;
    assert_problem(&empty, 422, "VALIDATION_FAILED");
    assert!(text(&empty).contains("body"), "{}", text(&empty));
    let long = app
        .as_bearer(&lead, "POST", &comments, Some(&json!({"body": "长".repeat(2001)})))
        .await;
    assert_problem(&long, 422, "VALIDATION_FAILED");
    assert!(text(&long).contains("body"), "{}", text(&long));
    // A unit of another region does not see the report at all.
    let elsewhere = seed::region(
        &app.db,
        None,
        "城口县",
        xietong::domain::values::RegionKind::County,
        None,
    )
    .await;
    let stranger_unit = seed::unit(
        &app.db,
        elsewhere,
        "县发展改革委",
        xietong::domain::values::UnitKind::Department,
    )
    .await;
    app.user("thread-stranger", Role::UnitUser, Some(stranger_unit)).await;
    let stranger = app.bearer("thread-stranger").await;
    for (method, body) in [("GET", None), ("POST", Some(json!({"body": "看看"})))] {
        let hidden = app.as_bearer(&stranger, method, &comments, body.as_ref()).await;
        assert_problem(&hidden, 404, "NOT_FOUND");
    }
    let thread = get(app, &supporting, &comments).await;
    let bodies: Vec<&Value> = thread.as_array().expect("a list").iter().map(|c| &c["body"]).collect();
    assert_eq!(bodies, [&json!("凭证需加盖公章"), &json!("已补充，见附件")]);

    // The same through GraphQL.
    let answer = app
        .graphql(
            Some(&lead),
            "mutation($id: ID!) { addReportComment(reportId: $id, body: \"再次报送\") { body authorName } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["addReportComment"],
        json!({"body": "再次报送", "authorName": "评论-lead"})
    );
    let answer = app
        .graphql(
            Some(&supporting),
            "query($id: ID!) { report(id: $id) { comments { body } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["report"]["comments"].as_array().map(Vec::len),
        Some(3)
    );
}

/// Plans and tasks stored before the reporting rule: a calendar still the
/// old universal default (monthly by the 5th, quarterly by the 10th) takes
/// its kind's, one set by hand stays; leaders' names become records.
#[tokio::test]
async fn the_migration_gives_existing_plans_their_kinds_defaults_and_links_leaders() {
    use sea_orm::sea_query::Query;
    use sea_orm::{ConnectionTrait, EntityTrait};

    let test_db = crate::common::TestDb::new().await;
    let conn = xietong::db::connect(&test_db.url).await.expect("open");
    <migration::Migrator as migration::MigratorTrait>::up(&conn, Some(13))
        .await
        .expect("the migrations before the reporting rule");
    let now = chrono::Utc::now();
    let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("a day");
    let (helper, recipient, pairing) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for (id, name) in [(helper, "渝中区"), (recipient, "巫溪县")] {
        let row = Query::insert()
            .into_table("regions")
            .columns(["id", "name", "kind", "created_at", "updated_at", "version"])
            .values_panic([
                id.into(),
                name.into(),
                "district".into(),
                now.into(),
                now.into(),
                1.into(),
            ])
            .to_owned();
        conn.execute(&row).await.expect("a region");
    }
    let row = Query::insert()
        .into_table("pairings")
        .columns([
            "id",
            "helper_region_id",
            "recipient_region_id",
            "status",
            "created_at",
            "updated_at",
            "version",
        ])
        .values_panic([
            pairing.into(),
            helper.into(),
            recipient.into(),
            "active".into(),
            now.into(),
            now.into(),
            1.into(),
        ])
        .to_owned();
    conn.execute(&row).await.expect("a pairing");
    // (owner column, owner, monthly, quarterly)
    let plans = [
        (Uuid::new_v4(), "pairing_id", pairing, 5, 10),
        (Uuid::new_v4(), "region_id", helper, 5, 10),
        (Uuid::new_v4(), "region_id", recipient, 8, 10),
    ];
    for (id, owner, owner_id, monthly, quarterly) in plans {
        let row = Query::insert()
            .into_table("plans")
            .columns([
                "id",
                owner,
                "year",
                "title",
                "issuers",
                "status",
                "default_deadline",
                "monthly_due_day",
                "quarterly_due_day",
                "yearly_due",
                "summary_due",
                "created_at",
                "updated_at",
                "version",
            ])
            .values_panic([
                id.into(),
                owner_id.into(),
                2025.into(),
                "清单".into(),
                serde_json::json!([]).into(),
                "issued".into(),
                day.into(),
                monthly.into(),
                quarterly.into(),
                "11-20".into(),
                "12-20".into(),
                now.into(),
                now.into(),
                1.into(),
            ])
            .to_owned();
        conn.execute(&row).await.expect("a plan");
    }
    let task = Uuid::new_v4();
    let row = Query::insert()
        .into_table("tasks")
        .columns([
            "id",
            "plan_id",
            "section",
            "seq",
            "content",
            "deadline",
            "status",
            "leaders",
            "created_at",
            "updated_at",
            "version",
        ])
        .values_panic([
            task.into(),
            plans[0].0.into(),
            "".into(),
            1.into(),
            "任务".into(),
            day.into(),
            "not_started".into(),
            serde_json::json!(["冯星贵", "张宇"]).into(),
            now.into(),
            now.into(),
            1.into(),
        ])
        .to_owned();
    conn.execute(&row).await.expect("a task");

    xietong::db::migrate(&conn).await.expect("the rest of the migrations");
    let calendar = |id: Uuid| {
        let conn = conn.clone();
        async move {
            let plan = entity::plans::Entity::find_by_id(id)
                .one(&conn)
                .await
                .expect("read")
                .expect("the plan");
            (plan.monthly_due_day, plan.quarterly_due_day, plan.reporting_supporting)
        }
    };
    // A pairing's list: the year only. A region's own plan: quarters and
    // the year. A calendar set by hand (monthly by the 8th) stays.
    assert_eq!(calendar(plans[0].0).await, (None, None, "none".into()));
    assert_eq!(calendar(plans[1].0).await, (None, Some(10), "none".into()));
    assert_eq!(calendar(plans[2].0).await, (Some(8), Some(10), "none".into()));
    // The task's leaders are the helping district's, in the document's order.
    let links = entity::task_leaders::Entity::find().all(&conn).await.expect("links");
    assert_eq!(links.len(), 2);
    let leaders = entity::leaders::Entity::find().all(&conn).await.expect("leaders");
    let mut names: Vec<(i32, String)> = links
        .iter()
        .map(|l| {
            let leader = leaders.iter().find(|x| x.id == l.leader_id).expect("a leader");
            assert_eq!(leader.region_id, helper);
            (l.position, leader.name.clone())
        })
        .collect();
    names.sort();
    assert_eq!(names, [(0, "冯星贵".to_owned()), (1, "张宇".to_owned())]);
    // Migrating again links nothing twice.
    xietong::db::migrate(&conn).await.expect("again");
    assert_eq!(
        entity::task_leaders::Entity::find()
            .all(&conn)
            .await
            .expect("links")
            .len(),
        2
    );
}

/// More tasks of one colour than a statement may bind parameters (32,766
/// in SQLite, 65,535 in PostgreSQL): the light filter still answers, and
/// counts them all. 70,001 tasks of one plan, all due by the end of 2025
/// and none completed, are all red on 2026-03-02 (overdue); none green.
#[tokio::test]
async fn a_light_shared_by_more_tasks_than_a_statement_binds_still_filters() {
    use sea_orm::{ConnectionTrait, Iterable, Statement};
    let app = TestApp::spawn_on("2026-03-02").await;
    let admin = app.bearer_of_new_admin().await;
    let pairing = seed::yuzhong_wuxi(&app.db).await;
    let first = seed::task(&app.db, &pairing, 1, &[]).await;
    // The first task copied 70,000 times, each with an id and 序号 of its own.
    let backend = app.db.get_database_backend();
    let new_id = match backend {
        sea_orm::DatabaseBackend::Postgres => "gen_random_uuid()",
        _ => "randomblob(16)",
    };
    let columns: Vec<String> = entity::tasks::Column::iter()
        .map(|c| sea_orm::IdenStatic::as_str(&c).to_owned())
        .collect();
    let copied: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "id" => new_id.to_owned(),
            "seq" => "n.i + 1".to_owned(),
            other => format!("t.{other}"),
        })
        .collect();
    let id = match backend {
        sea_orm::DatabaseBackend::Postgres => format!("'{}'", first.id),
        _ => format!("X'{}'", first.id.simple()),
    };
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000) \
         INSERT INTO tasks ({}) SELECT {} FROM tasks t, n WHERE t.id = {id}",
        columns.join(", "),
        copied.join(", ")
    );
    app.db
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .expect("tasks copied");

    let red = app
        .as_bearer(&admin, "GET", "/api/v1/tasks?light=red&limit=3", None)
        .await;
    assert_eq!(red.status, 200, "{}", String::from_utf8_lossy(&red.body));
    let red = red.json();
    assert_eq!(red["total_count"], 70_001);
    assert_eq!(red["items"].as_array().map(Vec::len), Some(3));
    assert!(
        red["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|t| t["light"] == "red")
    );
    let green = app
        .as_bearer(&admin, "GET", "/api/v1/tasks?light=green&limit=3", None)
        .await
        .json();
    assert_eq!(green["total_count"], 0);
    let lights = app.as_bearer(&admin, "GET", "/api/v1/lights?light=red", None).await;
    assert_eq!(lights.status, 200, "{}", String::from_utf8_lossy(&lights.body));
    assert_eq!(
        lights.json()["total"],
        json!({"green": 0, "yellow": 0, "red": 70_001, "worst": "red"})
    );
}

/// A task written on a plan whose lights and owed reports are kept is
/// answered with the light of what it owes after the write, as reading it
/// afterwards shows. On 2025-07-11 a task of the seed's plan (monthly,
/// quarterly and yearly reports) owes, from each of its two lead units,
/// the reports of January to June (due the 5th of the next month) and of
/// Q1 and Q2 (due 04-10 and 07-10), none filed: red, for 2 × 8 = 16 late
/// reports, the oldest due 2025-02-05.
#[tokio::test]
async fn a_task_written_on_a_kept_plan_is_judged_on_what_it_owes_after_the_write() {
    let app = TestApp::spawn_on("2025-07-11").await;
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let body = |seq: i32, deadline: &str| {
        json!({
            "plan_id": p.plan,
            "seq": seq,
            "content": "确保协作引进1个以上项目落地巫溪县。",
            "deadline": deadline,
            "assignments": [
                {"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"},
                {"unit_id": p.helper_unit, "role": "lead", "side": "helper"},
            ],
        })
    };
    let first = app
        .as_bearer(&admin, "POST", "/api/v1/tasks", Some(&body(1, "2025-12-31")))
        .await;
    assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
    let day = "2025-07-11".parse().expect("a day");
    assert_eq!(
        xietong::domain::light::kept::keep(&app.db, day).await.expect("kept"),
        1,
        "the plan's lights and owed reports kept"
    );
    let reasons = |task: &Value| -> Vec<(String, String)> {
        task["light_reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap_or("").to_owned(),
                    r["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let late = (
        "report_late".to_owned(),
        "16 report(s) owed are late, the oldest due 2025-02-05".to_owned(),
    );

    let created = app
        .as_bearer(&admin, "POST", "/api/v1/tasks", Some(&body(2, "2025-12-31")))
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let created = created.json();
    assert_eq!(created["light"], "red");
    assert!(reasons(&created).contains(&late), "{:?}", reasons(&created));
    let id = created["id"].as_str().expect("an id").to_owned();
    let read = app
        .as_bearer(&admin, "GET", &format!("/api/v1/tasks/{id}"), None)
        .await
        .json();
    assert_eq!((&read["light"], reasons(&read)), (&created["light"], reasons(&created)));

    // With 县经济信息委 alone leading it, only its 8 are owed (a task owes
    // every period of its plan's year, whatever its deadline). The plan is
    // kept again first, so that the write finds rows to forget.
    assert_eq!(xietong::domain::light::kept::keep(&app.db, day).await.expect("kept"), 1);
    let patch = json!({"assignments": [{"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"}]});
    let moved = app
        .request(
            "PATCH",
            &format!("/api/v1/tasks/{id}"),
            Some(&patch),
            &[
                ("authorization", &admin),
                ("if-match", &format!("\"{}\"", read["version"])),
            ],
        )
        .await;
    assert_eq!(moved.status, 200, "{}", String::from_utf8_lossy(&moved.body));
    let moved = moved.json();
    assert_eq!(moved["light"], "red");
    assert!(
        reasons(&moved).contains(&(
            "report_late".to_owned(),
            "8 report(s) owed are late, the oldest due 2025-02-05".to_owned()
        )),
        "{:?}",
        reasons(&moved)
    );
    let read = app
        .as_bearer(&admin, "GET", &format!("/api/v1/tasks/{id}"), None)
        .await
        .json();
    assert_eq!((&read["light"], reasons(&read)), (&moved["light"], reasons(&moved)));
}
