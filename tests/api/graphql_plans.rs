//! GraphQL over plans (任务清单), tasks (重点任务) and reports (进展报告):
//! the writes and their transitions with versions, the lists with REST's
//! filters, and users, clients, `me` and the audit log.

use crate::common::{TestApp, graphql_code, graphql_data, seed};
use serde_json::{Value, json};
use xietong::domain::values::{Role, UnitKind};

async fn ok(app: &TestApp, bearer: &str, query: &str, variables: Value) -> Value {
    let answer = app.graphql(Some(bearer), query, variables).await;
    graphql_data(&answer).clone()
}

async fn code(app: &TestApp, bearer: &str, query: &str, variables: Value) -> String {
    let answer = app.graphql(Some(bearer), query, variables).await;
    graphql_code(&answer)
        .unwrap_or_else(|| panic!("no error: {answer}"))
        .to_owned()
}

#[tokio::test]
async fn a_plan_is_made_issued_closed_and_reopened_by_its_coordinator() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let fgw = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
    app.user("wx-fgw", Role::Coordinator, Some(fgw)).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let coordinator = app.bearer("wx-fgw").await;
    let unit_user = app.bearer("wx-jxw").await;

    let create = "mutation($input: CreatePlanInput!, $key: String) {
        createPlan(input: $input, idempotencyKey: $key) { id uuid status year title docNumber issuers defaultDeadline version
            pairing { uuid } region { uuid } } }";
    let input =
        json!({"pairingId": p.pairing, "year": 2026, "title": "2026年度任务清单", "issuers": ["巫溪县人民政府"]});
    let plan = ok(&app, &coordinator, create, json!({"input": input, "key": "plan-2026"})).await["createPlan"].clone();
    assert_eq!(plan["status"], "DRAFT");
    assert_eq!(plan["defaultDeadline"], "2026-12-31");
    assert_eq!(plan["pairing"]["uuid"], json!(p.pairing));
    assert!(plan["region"].is_null());
    let replay = ok(&app, &coordinator, create, json!({"input": input, "key": "plan-2026"})).await;
    assert_eq!(replay["createPlan"]["uuid"], plan["uuid"]);
    assert_eq!(
        code(&app, &unit_user, create, json!({"input": input})).await,
        "FORBIDDEN"
    );
    let neither = json!({"year": 2026, "title": "x"});
    assert_eq!(
        code(&app, &coordinator, create, json!({"input": neither})).await,
        "VALIDATION_FAILED"
    );

    let update = "mutation($id: ID!, $v: Int!, $input: UpdatePlanInput!) { updatePlan(id: $id, version: $v, input: $input) { docNumber version } }";
    let changed = ok(
        &app,
        &coordinator,
        update,
        json!({"id": plan["id"], "v": 1, "input": {"docNumber": "巫溪府发〔2026〕1号"}}),
    )
    .await;
    assert_eq!(
        changed["updatePlan"],
        json!({"docNumber": "巫溪府发〔2026〕1号", "version": 2})
    );
    let cleared = ok(
        &app,
        &coordinator,
        update,
        json!({"id": plan["id"], "v": 2, "input": {"docNumber": null}}),
    )
    .await;
    assert_eq!(cleared["updatePlan"]["docNumber"], Value::Null);
    assert_eq!(
        code(
            &app,
            &coordinator,
            update,
            json!({"id": plan["id"], "v": 2, "input": {"title": "x"}})
        )
        .await,
        "VERSION_CONFLICT"
    );

    let step =
        |name: &str| format!("mutation($id: ID!, $v: Int!) {{ {name}(id: $id, version: $v) {{ status version }} }}");
    assert_eq!(
        code(
            &app,
            &coordinator,
            &step("closePlan"),
            json!({"id": plan["id"], "v": 3})
        )
        .await,
        "CONFLICT"
    );
    assert_eq!(
        code(&app, &unit_user, &step("issuePlan"), json!({"id": plan["id"], "v": 3})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app,
            &coordinator,
            &step("issuePlan"),
            json!({"id": plan["id"], "v": 1})
        )
        .await,
        "VERSION_CONFLICT"
    );
    let issued = ok(
        &app,
        &coordinator,
        &step("issuePlan"),
        json!({"id": plan["id"], "v": 3}),
    )
    .await;
    assert_eq!(issued["issuePlan"], json!({"status": "ISSUED", "version": 4}));
    let closed = ok(
        &app,
        &coordinator,
        &step("closePlan"),
        json!({"id": plan["id"], "v": 4}),
    )
    .await;
    assert_eq!(closed["closePlan"]["status"], "CLOSED");
    let reopened = ok(
        &app,
        &coordinator,
        &step("reopenPlan"),
        json!({"id": plan["id"], "v": 5}),
    )
    .await;
    assert_eq!(reopened["reopenPlan"]["status"], "ISSUED");

    let plans = ok(
        &app,
        &unit_user,
        "query($p: ID) { plans(pairingId: $p, sort: \"year\") { totalCount nodes { year status } } }",
        json!({"p": p.pairing}),
    )
    .await;
    assert_eq!(
        plans["plans"]["nodes"],
        json!([{"year": 2025, "status": "ISSUED"}, {"year": 2026, "status": "ISSUED"}])
    );
    let issued_2026 = ok(
        &app,
        &unit_user,
        "{ plans(year: 2026, status: ISSUED) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(issued_2026["plans"]["totalCount"], 1);

    let draft = ok(
        &app,
        &coordinator,
        create,
        json!({"input": {"regionId": p.recipient, "year": 2027, "title": "县级任务"}}),
    )
    .await;
    let draft_id = draft["createPlan"]["id"].clone();
    assert_eq!(draft["createPlan"]["region"]["uuid"], json!(p.recipient));
    let deleted = ok(
        &app,
        &coordinator,
        "mutation($id: ID!) { deletePlan(id: $id, version: 1) }",
        json!({"id": draft_id}),
    )
    .await;
    assert_eq!(deleted["deletePlan"], draft_id);
    assert_eq!(
        code(
            &app,
            &coordinator,
            "query($id: ID!) { plan(id: $id) { id } }",
            json!({"id": draft_id})
        )
        .await,
        "NOT_FOUND"
    );
}

const TASK_FIELDS: &str = "id uuid seq section category content deadline deadlineText status overdue declaredProgress
    leaders notes version plan { uuid }
    assignments { name role side unitUuid groupUuid unit { name region { name } } group { name } }
    targets { uuid metric label comparator value valueMax unit sourceText }";

#[tokio::test]
async fn tasks_are_written_by_coordinators_and_progressed_by_their_lead_unit() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let fgw = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
    app.user("wx-fgw", Role::Coordinator, Some(fgw)).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
    let coordinator = app.bearer("wx-fgw").await;
    let lead = app.bearer("wx-jxw").await;
    let supporting = app.bearer("wx-swj").await;

    let create = format!("mutation($input: CreateTaskInput!) {{ createTask(input: $input) {{ {TASK_FIELDS} }} }}");
    let input = json!({
        "planId": p.plan, "seq": 1, "category": "联手开展招商引资",
        "content": "力争实际到位资金5000万元以上", "deadline": "2025-11-30", "deadlineText": "2025年11月底",
        "leaders": ["张三"],
        "assignments": [
            {"unitId": p.recipient_unit, "role": "LEAD", "side": "RECIPIENT"},
            {"unitId": p.helper_unit, "role": "LEAD", "side": "HELPER"},
            {"unitId": p.recipient_unit_2, "role": "SUPPORTING", "side": "RECIPIENT"}
        ],
        "targets": [{"metric": "investment_funds", "label": "实际到位资金", "comparator": "AT_LEAST", "value": "5000",
            "unit": "万元", "sourceText": "力争实际到位资金5000万元以上"},
            {"comparator": "RANGE", "value": "3", "valueMax": "5", "unit": "名", "sourceText": "挂职交流专技人才3—5名"}]
    });
    let task = ok(&app, &coordinator, &create, json!({"input": input})).await["createTask"].clone();
    assert_eq!(task["status"], "NOT_STARTED");
    assert_eq!(task["assignments"][0]["unit"]["region"]["name"], "巫溪县");
    assert_eq!(task["assignments"][1]["side"], "HELPER");
    assert_eq!(task["targets"][0]["value"], "5000");
    assert_eq!(task["targets"][1]["valueMax"], "5");
    assert_eq!(task["plan"]["uuid"], json!(p.plan));
    assert_eq!(code(&app, &lead, &create, json!({"input": input})).await, "FORBIDDEN");
    assert_eq!(
        code(&app, &coordinator, &create, json!({"input": input})).await,
        "CONFLICT"
    );
    let both =
        json!({"planId": p.plan, "seq": 2, "content": "x", "assignments": [{"role": "LEAD", "side": "RECIPIENT"}]});
    assert_eq!(
        code(&app, &coordinator, &create, json!({"input": both})).await,
        "VALIDATION_FAILED"
    );

    let update = "mutation($id: ID!, $v: Int!, $input: UpdateTaskInput!) { updateTask(id: $id, version: $v, input: $input) { status declaredProgress content version } }";
    let progressed = ok(
        &app,
        &lead,
        update,
        json!({"id": task["id"], "v": 1, "input": {"status": "IN_PROGRESS", "declaredProgress": 40}}),
    )
    .await;
    assert_eq!(
        progressed["updateTask"],
        json!({"status": "IN_PROGRESS", "declaredProgress": 40, "content": "力争实际到位资金5000万元以上", "version": 2})
    );
    assert_eq!(
        code(
            &app,
            &lead,
            update,
            json!({"id": task["id"], "v": 2, "input": {"content": "改"}})
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app,
            &supporting,
            update,
            json!({"id": task["id"], "v": 2, "input": {"status": "COMPLETED"}})
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app,
            &coordinator,
            update,
            json!({"id": task["id"], "v": 1, "input": {"content": "改"}})
        )
        .await,
        "VERSION_CONFLICT"
    );
    let cleared = ok(
        &app,
        &coordinator,
        update,
        json!({"id": task["id"], "v": 2, "input": {"declaredProgress": null}}),
    )
    .await;
    assert_eq!(cleared["updateTask"]["declaredProgress"], Value::Null);

    // REST's filters, camelCased.
    seed::task(&app.db, &p, 2, &[]).await;
    let list = |filter: &str| format!("{{ tasks({filter}) {{ totalCount nodes {{ seq }} }} }}");
    let count = |v: &Value| v["tasks"]["totalCount"].as_u64().unwrap_or(99);
    assert_eq!(
        count(&ok(&app, &supporting, &list(&format!("planId: \"{}\"", p.plan)), json!({})).await),
        2
    );
    assert_eq!(
        count(&ok(&app, &supporting, &list("status: IN_PROGRESS"), json!({})).await),
        1
    );
    assert_eq!(
        count(&ok(&app, &supporting, &list("status: NOT_STARTED"), json!({})).await),
        1
    );
    // Overdue (逾期) is derived from the clock: the filter agrees with the field.
    let overdue_now = ok(&app, &supporting, "{ tasks { nodes { overdue } } }", json!({})).await["tasks"]["nodes"]
        .as_array()
        .map_or(0, |nodes| nodes.iter().filter(|n| n["overdue"] == true).count() as u64);
    assert_eq!(
        count(&ok(&app, &supporting, &list("status: OVERDUE, year: 2025"), json!({})).await),
        overdue_now
    );
    assert_eq!(
        count(&ok(&app, &supporting, &list("q: \"5000万元\""), json!({})).await),
        2
    );
    assert_eq!(
        count(&ok(&app, &supporting, &list("deadlineTo: \"2025-11-30\""), json!({})).await),
        1
    );
    let by_role = format!("unitId: \"{}\", role: SUPPORTING", p.recipient_unit_2);
    assert_eq!(count(&ok(&app, &supporting, &list(&by_role), json!({})).await), 2);
    assert_eq!(
        code(&app, &supporting, &list("role: LEAD"), json!({})).await,
        "VALIDATION_FAILED"
    );
    let desc = ok(&app, &supporting, &list("sort: \"-seq\""), json!({})).await;
    assert_eq!(desc["tasks"]["nodes"], json!([{"seq": 2}, {"seq": 1}]));
    let through_plan = ok(
        &app,
        &supporting,
        "query($id: ID!) { plan(id: $id) { tasks(first: 1) { totalCount nodes { seq }
        pageInfo { hasNextPage endCursor } } } }",
        json!({"id": p.plan}),
    )
    .await;
    assert_eq!(through_plan["plan"]["tasks"]["totalCount"], 2);
    let cursor = through_plan["plan"]["tasks"]["pageInfo"]["endCursor"].clone();
    let next = ok(&app, &supporting, "query($id: ID!, $c: String) { plan(id: $id) { tasks(after: $c) { nodes { seq } pageInfo { hasPreviousPage hasNextPage } } } }", json!({"id": p.plan, "c": cursor})).await;
    assert_eq!(next["plan"]["tasks"]["nodes"], json!([{"seq": 2}]));
    assert_eq!(
        next["plan"]["tasks"]["pageInfo"],
        json!({"hasPreviousPage": true, "hasNextPage": false})
    );
    let back = ok(
        &app,
        &supporting,
        "query($id: ID!) { plan(id: $id) { tasks(last: 1) { nodes { seq } } } }",
        json!({"id": p.plan}),
    )
    .await;
    assert_eq!(back["plan"]["tasks"]["nodes"], json!([{"seq": 2}]));

    let delete = "mutation($id: ID!, $v: Int!) { deleteTask(id: $id, version: $v) }";
    assert_eq!(
        code(&app, &lead, delete, json!({"id": task["id"], "v": 3})).await,
        "FORBIDDEN"
    );
    ok(&app, &coordinator, delete, json!({"id": task["id"], "v": 3})).await;
    assert_eq!(
        code(
            &app,
            &lead,
            "query($id: ID!) { task(id: $id) { id } }",
            json!({"id": task["id"]})
        )
        .await,
        "NOT_FOUND"
    );
}

const REPORT_FIELDS: &str = "id uuid period consolidated status text version returnReason submittedAt reviewedAt
    values { targetUuid actual } unit { name } task { seq }";

#[tokio::test]
async fn reports_go_through_their_review() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let fgw = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
    app.user("wx-fgw", Role::Coordinator, Some(fgw)).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
    let coordinator = app.bearer("wx-fgw").await;
    let lead = app.bearer("wx-jxw").await;
    let supporting = app.bearer("wx-swj").await;
    let task = seed::task(&app.db, &p, 1, &["5000"]).await;
    let target = task.targets[0].id;

    let create = format!(
        "mutation($input: CreateReportInput!, $key: String) {{ createReport(input: $input, idempotencyKey: $key) {{ {REPORT_FIELDS} }} }}"
    );
    let input = json!({"taskId": task.id, "period": "2025-06", "text": "已对接企业3家", "values": [{"targetUuid": target, "actual": "1200.5"}]});
    let report = ok(&app, &supporting, &create, json!({"input": input, "key": "r1"})).await["createReport"].clone();
    assert_eq!(report["status"], "DRAFT");
    assert_eq!(report["period"], "2025-06");
    assert_eq!(report["values"], json!([{"targetUuid": target, "actual": "1200.5"}]));
    assert_eq!(report["unit"]["name"], "县商务委");
    let replay = ok(&app, &supporting, &create, json!({"input": input, "key": "r1"})).await;
    assert_eq!(replay["createReport"]["uuid"], report["uuid"]);
    assert_eq!(
        code(&app, &supporting, &create, json!({"input": input})).await,
        "CONFLICT"
    );
    let lead_unconsolidated = json!({"taskId": task.id, "period": "2025-06"});
    assert_eq!(
        code(&app, &lead, &create, json!({"input": lead_unconsolidated})).await,
        "VALIDATION_FAILED"
    );
    let bad_period = json!({"taskId": task.id, "period": "2025-13"});
    assert_eq!(
        code(&app, &supporting, &create, json!({"input": bad_period})).await,
        "BAD_REQUEST"
    );

    // The lead sees no draft of another unit; the supporting unit its own.
    let on_task = "query($id: ID!) { task(id: $id) { reports { uuid status } } }";
    assert_eq!(
        ok(&app, &lead, on_task, json!({"id": task.id})).await["task"]["reports"],
        json!([])
    );
    assert_eq!(
        ok(&app, &supporting, on_task, json!({"id": task.id})).await["task"]["reports"][0]["status"],
        "DRAFT"
    );
    assert_eq!(
        code(
            &app,
            &lead,
            "query($id: ID!) { report(id: $id) { id } }",
            json!({"id": report["id"]})
        )
        .await,
        "NOT_FOUND"
    );

    let update = "mutation($id: ID!, $v: Int!, $input: UpdateReportInput!) { updateReport(id: $id, version: $v, input: $input) { text version } }";
    let changed = ok(
        &app,
        &supporting,
        update,
        json!({"id": report["id"], "v": 1, "input": {"text": "已对接企业4家"}}),
    )
    .await;
    assert_eq!(changed["updateReport"], json!({"text": "已对接企业4家", "version": 2}));
    assert_eq!(
        code(
            &app,
            &supporting,
            update,
            json!({"id": report["id"], "v": 1, "input": {"text": "x"}})
        )
        .await,
        "VERSION_CONFLICT"
    );

    let step =
        |name: &str| format!("mutation($id: ID!, $v: Int) {{ {name}(id: $id, version: $v) {{ status version }} }}");
    assert_eq!(
        code(&app, &lead, &step("approveReport"), json!({"id": report["id"]})).await,
        "NOT_FOUND"
    );
    assert_eq!(
        code(
            &app,
            &supporting,
            &step("submitReport"),
            json!({"id": report["id"], "v": 1})
        )
        .await,
        "VERSION_CONFLICT"
    );
    let submitted = ok(
        &app,
        &supporting,
        &step("submitReport"),
        json!({"id": report["id"], "v": 2}),
    )
    .await;
    assert_eq!(submitted["submitReport"]["status"], "SUBMITTED");
    assert_eq!(
        code(&app, &supporting, &step("approveReport"), json!({"id": report["id"]})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(&app, &coordinator, &step("approveReport"), json!({"id": report["id"]})).await,
        "FORBIDDEN"
    );
    let returned = ok(
        &app,
        &lead,
        "mutation($id: ID!) { returnReport(id: $id, reason: \"请补充到位资金凭证\") { status returnReason } }",
        json!({"id": report["id"]}),
    )
    .await;
    assert_eq!(
        returned["returnReport"],
        json!({"status": "RETURNED", "returnReason": "请补充到位资金凭证"})
    );
    assert_eq!(
        code(
            &app,
            &lead,
            "mutation($id: ID!) { returnReport(id: $id, reason: \"\") { status } }",
            json!({"id": report["id"]})
        )
        .await,
        "CONFLICT"
    );
    ok(&app, &supporting, &step("submitReport"), json!({"id": report["id"]})).await;
    let approved = ok(&app, &lead, &step("approveReport"), json!({"id": report["id"]})).await;
    assert_eq!(approved["approveReport"]["status"], "APPROVED");
    assert_eq!(
        code(&app, &lead, &step("approveReport"), json!({"id": report["id"]})).await,
        "CONFLICT"
    );

    // Lists with REST's filters; a draft is deleted by its unit.
    let draft = ok(
        &app,
        &lead,
        &create,
        json!({"input": {"taskId": task.id, "period": "2025-Q2", "consolidated": true}}),
    )
    .await;
    let reports = "query($t: ID, $s: ReportStatus, $c: Boolean, $period: ReportPeriod) {
        reports(taskId: $t, status: $s, consolidated: $c, period: $period, sort: \"period_end\") { totalCount nodes { period status } } }";
    let all = ok(&app, &coordinator, reports, json!({"t": task.id})).await;
    assert_eq!(all["reports"]["totalCount"], 2);
    let approved_only = ok(&app, &coordinator, reports, json!({"t": task.id, "s": "APPROVED"})).await;
    assert_eq!(
        approved_only["reports"]["nodes"],
        json!([{"period": "2025-06", "status": "APPROVED"}])
    );
    let quarter = ok(&app, &coordinator, reports, json!({"period": "2025-Q2", "c": true})).await;
    assert_eq!(quarter["reports"]["totalCount"], 1);
    assert_eq!(
        ok(&app, &supporting, reports, json!({})).await["reports"]["totalCount"],
        1
    );
    let delete = "mutation($id: ID!) { deleteReport(id: $id, version: 1) }";
    assert_eq!(
        code(&app, &supporting, delete, json!({"id": draft["createReport"]["id"]})).await,
        "NOT_FOUND"
    );
    ok(&app, &lead, delete, json!({"id": draft["createReport"]["id"]})).await;
}

#[tokio::test]
async fn users_clients_me_and_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    app.user("viewer", Role::Viewer, None).await;
    let viewer = app.bearer("viewer").await;

    let user = ok(
        &app,
        &admin,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id uuid username role unit { name } disabled version } }",
        json!({"input": {"username": "wx-jxw", "password": "a-long-password", "role": "UNIT_USER", "unitId": p.recipient_unit}}),
    )
    .await["createUser"]
        .clone();
    assert_eq!(user["unit"]["name"], "县经济信息委");
    let create_user =
        "mutation { createUser(input: {username: \"x1\", password: \"a-long-password\", role: VIEWER}) { id } }";
    assert_eq!(code(&app, &viewer, create_user, json!({})).await, "FORBIDDEN");
    let short = "mutation { createUser(input: {username: \"x2\", password: \"short\", role: VIEWER}) { id } }";
    assert_eq!(code(&app, &admin, short, json!({})).await, "VALIDATION_FAILED");
    let users = ok(
        &app,
        &admin,
        "{ users(first: 2) { totalCount nodes { username } pageInfo { hasNextPage endCursor } } }",
        json!({}),
    )
    .await;
    assert_eq!(users["users"]["totalCount"], 3);
    let rest = ok(
        &app,
        &admin,
        "query($c: String) { users(after: $c) { nodes { username } } }",
        json!({"c": users["users"]["pageInfo"]["endCursor"]}),
    )
    .await;
    assert_eq!(rest["users"]["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        code(&app, &admin, "{ users(last: 1) { totalCount } }", json!({})).await,
        "VALIDATION_FAILED"
    );
    assert_eq!(
        code(&app, &viewer, "{ users { totalCount } }", json!({})).await,
        "FORBIDDEN"
    );

    let update = "mutation($id: ID!, $v: Int!, $input: UpdateUserInput!) { updateUser(id: $id, version: $v, input: $input) { displayName disabled version } }";
    let changed = ok(
        &app,
        &admin,
        update,
        json!({"id": user["id"], "v": 1, "input": {"displayName": "李四", "disabled": true}}),
    )
    .await;
    assert_eq!(
        changed["updateUser"],
        json!({"displayName": "李四", "disabled": true, "version": 2})
    );
    assert_eq!(
        code(
            &app,
            &admin,
            update,
            json!({"id": user["id"], "v": 1, "input": {"disabled": false}})
        )
        .await,
        "VERSION_CONFLICT"
    );
    let reset = ok(
        &app,
        &admin,
        "mutation($id: ID!) { resetUserPassword(id: $id, password: \"another-password\") }",
        json!({"id": user["id"]}),
    )
    .await;
    assert_eq!(reset["resetUserPassword"], true);
    assert_eq!(
        code(
            &app,
            &viewer,
            "mutation { changeMyPassword(currentPassword: \"wrong-password\", newPassword: \"a-new-password\") }",
            json!({})
        )
        .await,
        "VALIDATION_FAILED"
    );
    ok(
        &app,
        &viewer,
        "mutation { changeMyPassword(currentPassword: \"viewer-password\", newPassword: \"a-new-password\") }",
        json!({}),
    )
    .await;

    let issued = ok(&app, &admin, "mutation { createClient(input: {clientId: \"cq-platform\", name: \"市平台\", scopes: [\"read\"]}) { clientSecret client { id clientId scopes } } }", json!({})).await["createClient"].clone();
    assert!(issued["clientSecret"].as_str().is_some_and(|s| s.len() >= 20));
    let rotated = ok(
        &app,
        &admin,
        "mutation($id: ID!) { rotateClientSecret(id: $id) { clientSecret } }",
        json!({"id": issued["client"]["id"]}),
    )
    .await;
    assert_ne!(rotated["rotateClientSecret"]["clientSecret"], issued["clientSecret"]);
    let revoked = ok(
        &app,
        &admin,
        "mutation($id: ID!) { revokeClient(id: $id) { revokedAt } }",
        json!({"id": issued["client"]["id"]}),
    )
    .await;
    assert!(revoked["revokeClient"]["revokedAt"].is_string());
    let clients = ok(&app, &admin, "{ clients { totalCount nodes { clientId } } }", json!({})).await;
    assert_eq!(clients["clients"]["nodes"], json!([{"clientId": "cq-platform"}]));
    let node = ok(
        &app,
        &admin,
        "query($id: ID!) { node(id: $id) { __typename ... on IntegrationClient { name } } }",
        json!({"id": issued["client"]["id"]}),
    )
    .await;
    assert_eq!(node["node"]["name"], "市平台");

    let log = ok(&app, &viewer, "query($id: UUID) { auditLog(entity: \"user\", entityId: $id) { totalCount nodes { action entity actorName changes } } }", json!({"id": user["uuid"]})).await;
    assert!(log["auditLog"]["totalCount"].as_u64().unwrap_or(0) >= 2, "{log}");
    assert_eq!(log["auditLog"]["nodes"][0]["actorName"], "root");
    let me = ok(
        &app,
        &admin,
        "{ me { __typename ... on User { username role unit { name } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        me["me"],
        json!({"__typename": "User", "username": "root", "role": "ADMIN", "unit": null})
    );
}
