//! Subscriptions over WebSocket (graphql-transport-ws): status changes of
//! reports and tasks reach the subscribers who may see them, and nobody
//! else; a change made over REST reaches them too. Across instances over
//! PostgreSQL: `tests/api/graphql_subscriptions_pg.rs`.

use std::time::Duration;

use crate::common::subscriber::Subscriber;
use crate::common::{TestApp, graphql_data, seed};
use serde_json::{Value, json};
use uuid::Uuid;
use xietong::config::{GraphqlArgs, ServeArgs};
use xietong::domain::Caller;
use xietong::domain::plan::{self, NewPlan, PlanOwner, PlanTransition};
use xietong::domain::report::{self, NewReport};
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask};
use xietong::domain::values::{AssignmentRole, RegionKind, ReportPeriod, Role, Side, UnitKind};

const REPORTS: &str = "subscription { reportStatusChanged { uuid status task { seq } } }";
const TASKS: &str = "subscription($plan: ID) { taskStatusChanged(planId: $plan) { uuid status } }";
const WAIT: Duration = Duration::from_secs(10);

/// A task of `plan` led by `unit` alone (no side in a region's own plan).
async fn task_led_by(db: &sea_orm::DatabaseConnection, plan: Uuid, seq: i32, unit: Uuid, side: Option<Side>) -> Uuid {
    task::create(
        db,
        &Caller::system(),
        NewTask {
            plan_id: plan,
            section: None,
            seq,
            category: None,
            content: format!("任务{seq}"),
            deadline: None,
            deadline_text: None,
            leaders: vec![],
            notes: None,
            assignments: vec![AssignmentInput {
                assignee: Assignee::Unit(unit),
                role: AssignmentRole::Lead,
                side,
            }],
            targets: vec![],
            external_id: None,
        },
    )
    .await
    .expect("a task")
    .id
}

async fn draft(db: &sea_orm::DatabaseConnection, task: Uuid, unit: Uuid, consolidated: bool) -> Uuid {
    report::create(
        db,
        &Caller::system(),
        NewReport {
            task_id: task,
            unit_id: Some(unit),
            period: ReportPeriod::parse("2025-06").expect("period"),
            consolidated,
            text: "进展".into(),
            values: vec![],
            external_id: None,
        },
    )
    .await
    .expect("a report")
    .id
}

fn payload(message: &Option<Value>, field: &str) -> Value {
    let message = message.as_ref().unwrap_or_else(|| panic!("no message for {field}"));
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"][field].clone()
}

#[tokio::test]
async fn status_changes_reach_those_who_may_see_them_and_nobody_else() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    // 县经济信息委 leads task 1, 县商务委 supports it; 县教委 leads task 2 alone.
    let t1 = seed::task(&app.db, &p, 1, &[]).await.id;
    let jw = seed::unit(&app.db, p.recipient, "县教委", UnitKind::Department).await;
    let t2 = task_led_by(&app.db, p.plan, 2, jw, Some(Side::Recipient)).await;
    // 黔江区's own plan, with a task its 区教委 leads.
    let qianjiang = seed::region(&app.db, Some("500114"), "黔江区", RegionKind::District, None).await;
    let qj_jw = seed::unit(&app.db, qianjiang, "区教委", UnitKind::Department).await;
    let qj_plan = plan::create(
        &app.db,
        &Caller::system(),
        NewPlan {
            owner: PlanOwner::Region(qianjiang),
            year: 2025,
            title: "黔江区2025年重点任务".into(),
            doc_number: None,
            issued_on: None,
            issuers: vec![],
            default_deadline: None,
            calendar: None,
            reporting: None,
            lights: None,
            external_id: None,
        },
    )
    .await
    .expect("a plan");
    plan::transition(&app.db, &Caller::system(), qj_plan.id, 1, PlanTransition::Issue)
        .await
        .expect("issue");
    let t3 = task_led_by(&app.db, qj_plan.id, 1, qj_jw, None).await;
    let r1 = draft(&app.db, t1, p.recipient_unit_2, false).await;
    let r2 = draft(&app.db, t2, jw, true).await;
    for (name, unit) in [
        ("wx-jxw", p.recipient_unit),
        ("wx-swj", p.recipient_unit_2),
        ("wx-jw", jw),
        ("qj-jw", qj_jw),
    ] {
        app.user(name, Role::UnitUser, Some(unit)).await;
    }
    let lead = app.bearer("wx-jxw").await;
    let supporting = app.bearer("wx-swj").await;
    let other_unit = app.bearer("wx-jw").await;
    let other_region = app.bearer("qj-jw").await;

    let mut supporting_socket = Subscriber::connect(app.addr, &supporting).await;
    supporting_socket.subscribe("reports", REPORTS, json!({})).await;
    let mut other_unit_socket = Subscriber::connect(app.addr, &other_unit).await;
    other_unit_socket.subscribe("reports", REPORTS, json!({})).await;
    let mut other_region_socket = Subscriber::connect(app.addr, &other_region).await;
    other_region_socket.subscribe("tasks", TASKS, json!({})).await;
    let mut lead_socket = Subscriber::connect(app.addr, &lead).await;
    lead_socket.subscribe("tasks", TASKS, json!({"plan": p.plan})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // 县商务委 submits its report on task 1: it and the lead unit may see
    // it; 县教委 (no role on task 1) may not.
    let submit = "mutation($id: ID!) { submitReport(id: $id) { status } }";
    let answer = app.graphql(Some(&supporting), submit, json!({"id": r1})).await;
    graphql_data(&answer);
    let seen = supporting_socket.next(WAIT).await;
    assert_eq!(payload(&seen, "reportStatusChanged")["uuid"], json!(r1));
    assert_eq!(payload(&seen, "reportStatusChanged")["status"], "SUBMITTED");
    // 县教委 submits its own report on task 2: the first thing it hears of.
    let answer = app.graphql(Some(&other_unit), submit, json!({"id": r2})).await;
    graphql_data(&answer);
    let heard = other_unit_socket.next(WAIT).await;
    assert_eq!(
        payload(&heard, "reportStatusChanged")["uuid"],
        json!(r2),
        "县教委 heard of a report it may not see first"
    );
    // 县商务委 hears nothing of task 2: a unit sees no reports of tasks it
    // has no role in.
    let next = supporting_socket.next(Duration::from_millis(1500)).await;
    assert!(next.is_none(), "县商务委 has no role on task 2: {next:?}");

    // The lead unit sets task 1 going: 黔江区's unit may not see it.
    let update =
        "mutation($id: ID!, $v: Int!) { updateTask(id: $id, version: $v, input: {status: IN_PROGRESS}) { status } }";
    let answer = app.graphql(Some(&lead), update, json!({"id": t1, "v": 1})).await;
    graphql_data(&answer);
    let seen = lead_socket.next(WAIT).await;
    assert_eq!(
        payload(&seen, "taskStatusChanged"),
        json!({"uuid": t1, "status": "IN_PROGRESS"})
    );
    // 黔江区's unit sets its own task going, over REST: that is what it hears of first.
    let response = app
        .request(
            "PATCH",
            &format!("/api/v1/tasks/{t3}"),
            Some(&json!({"status": "in_progress"})),
            &[("authorization", &other_region), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let heard = other_region_socket.next(WAIT).await;
    assert_eq!(
        payload(&heard, "taskStatusChanged"),
        json!({"uuid": t3, "status": "IN_PROGRESS"}),
        "黔江区's unit heard of a task it may not see first"
    );
    // The lead unit's plan filter keeps 黔江区's task away.
    assert!(lead_socket.next(Duration::from_millis(1500)).await.is_none());
}

#[tokio::test]
async fn a_connection_without_a_valid_token_is_refused() {
    let app = TestApp::spawn().await;
    // graphql-transport-ws: a refused connection_init closes with 4403
    // Forbidden (graphql-ws clients stop retrying on it), not 1002.
    for payload in [json!({}), json!({"Authorization": "Bearer forged"}), json!(null)] {
        let answer = Subscriber::refused(app.addr, payload.clone()).await;
        assert_eq!(answer, Some(json!({"type": "close", "code": 4403})), "{payload}");
    }
    // A message that is not the protocol's closes with 4400.
    let answer = Subscriber::answer_to(app.addr, json!({"type": "hello"})).await;
    assert_eq!(answer, Some(json!({"type": "close", "code": 4400})));
}

#[tokio::test]
async fn a_rest_write_reaches_subscribers_with_the_poll_off() {
    // The feed never polls: only the commit's own signal (in-process on
    // SQLite, NOTIFY on PostgreSQL) can bring the event.
    let never_polls = ServeArgs {
        graphql: GraphqlArgs {
            feed_poll_ms: 0,
            ..GraphqlArgs::default()
        },
        ..crate::common::quiet()
    };
    let app = TestApp::spawn_serving(never_polls).await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let t1 = seed::task(&app.db, &p, 1, &[]).await.id;
    let r1 = draft(&app.db, t1, p.recipient_unit_2, false).await;
    app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
    let supporting = app.bearer("wx-swj").await;
    let mut socket = Subscriber::connect(app.addr, &supporting).await;
    socket.subscribe("reports", REPORTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let sent = std::time::Instant::now();
    let submitted = app
        .request(
            "POST",
            &format!("/api/v1/reports/{r1}/submit"),
            None,
            &[("authorization", &supporting)],
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", String::from_utf8_lossy(&submitted.body));
    let heard = socket.next(WAIT).await;
    let took = sent.elapsed();
    assert_eq!(payload(&heard, "reportStatusChanged")["uuid"], json!(r1));
    assert_eq!(payload(&heard, "reportStatusChanged")["status"], "SUBMITTED");
    eprintln!("a REST submit reached its subscriber {took:?} after it was sent");
}

/// A submit and an approve in quick succession are two events, each naming
/// its step and the version it produced, even when both are read after the
/// approve.
#[tokio::test]
async fn each_step_of_the_review_is_an_event_of_its_own() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let t1 = seed::task(&app.db, &p, 1, &[]).await.id;
    let r1 = draft(&app.db, t1, p.recipient_unit_2, false).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
    let lead = app.bearer("wx-jxw").await;
    let supporting = app.bearer("wx-swj").await;
    let mut socket = Subscriber::connect(app.addr, &lead).await;
    socket
        .subscribe(
            "steps",
            "subscription { reportTransitioned { transition version report { uuid status } } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (bearer, step) in [(&supporting, "submit"), (&lead, "approve")] {
        let moved = app
            .request(
                "POST",
                &format!("/api/v1/reports/{r1}/{step}"),
                None,
                &[("authorization", bearer)],
            )
            .await;
        assert_eq!(moved.status, 200, "{step}: {}", String::from_utf8_lossy(&moved.body));
    }
    let first = payload(&socket.next(WAIT).await, "reportTransitioned");
    let second = payload(&socket.next(WAIT).await, "reportTransitioned");
    assert_eq!(
        (first["transition"].clone(), first["version"].clone()),
        (json!("SUBMITTED"), json!(2)),
        "{first}"
    );
    assert_eq!(
        (second["transition"].clone(), second["version"].clone()),
        (json!("APPROVED"), json!(3)),
        "{second}"
    );
    assert_eq!(first["report"]["uuid"], json!(r1));
}
