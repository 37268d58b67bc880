//! Supervision as a conversation: notifications, urging (催办), requests
//! for more time (延期申请) and the reminder scheduler. Each expected count
//! is worked out below from the units, users and calendars the test made.

use std::time::Duration;

use serde_json::{Value, json};
use xietong::config::ServeArgs;
use xietong::domain::values::Role;

use crate::common::subscriber::Subscriber;
use crate::common::{TestApp, assert_problem, graphql_code, graphql_data, query_strings};
use crate::supervision::{Draft, LightsPlan, get, lights_world, send, step, text};

/// The people of a plan: two users of the lead unit (县经济信息委), one of
/// the supporting unit (县商务委), a coordinator on each side of the
/// pairing.
struct People {
    lead: String,
    lead_2: String,
    supporting: String,
    /// 渝中区's coordinator (区经济信息委).
    office: String,
    /// 巫溪县's coordinator (县商务委 is not its office, but any unit of the
    /// region makes its coordinator one of the plan's).
    office_2: String,
}

async fn people(w: &LightsPlan) -> People {
    let app = &w.app;
    app.user("talk-lead", Role::UnitUser, Some(w.pairing.recipient_unit))
        .await;
    app.user("talk-lead-2", Role::UnitUser, Some(w.pairing.recipient_unit))
        .await;
    app.user("talk-supporting", Role::UnitUser, Some(w.pairing.recipient_unit_2))
        .await;
    app.user("talk-office", Role::Coordinator, Some(w.pairing.helper_unit))
        .await;
    app.user("talk-office-2", Role::Coordinator, Some(w.pairing.recipient_unit_2))
        .await;
    People {
        lead: app.bearer("talk-lead").await,
        lead_2: app.bearer("talk-lead-2").await,
        supporting: app.bearer("talk-supporting").await,
        office: app.bearer("talk-office").await,
        office_2: app.bearer("talk-office-2").await,
    }
}

/// The kinds of the caller's notifications, newest first.
async fn inbox(app: &TestApp, bearer: &str) -> Vec<Value> {
    let page = get(app, bearer, "/api/v1/notifications?limit=200").await;
    page["items"].as_array().expect("items").clone()
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|n| n["kind"].as_str().expect("kind")).collect()
}

async fn count(app: &TestApp, sql: &str) -> usize {
    let sql = sql.replacen("SELECT COUNT(*)", "SELECT CAST(COUNT(*) AS TEXT)", 1);
    query_strings(&app.db, &sql)
        .await
        .first()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

#[tokio::test]
async fn a_coordinator_urges_a_unit_and_its_users_are_told() {
    let w = lights_world("2025-07-02").await;
    let app = &w.app;
    let p = people(&w).await;
    let plan = w.plan("催办", None).await;
    let task = w.task(&plan, 1, "2025-12-31", &[], 40).await;
    let task_id = task["id"].as_str().expect("id");
    let urgings = format!("/api/v1/tasks/{task_id}/urgings");

    let urged = send(
        app,
        &p.office,
        "POST",
        &urgings,
        json!({"unit_id": w.pairing.recipient_unit, "message": "请于7月10日前报送二季度进展", "period": "2025-Q2"}),
        None,
    )
    .await;
    assert_eq!(urged["unit_id"], json!(w.pairing.recipient_unit));
    assert_eq!(urged["period"], "2025-Q2");
    assert_eq!(urged["urged_by_name"], "talk-office");

    // Both users of the lead unit are told, with the task, the period and
    // the message; the supporting unit and the office are not.
    for bearer in [&p.lead, &p.lead_2] {
        let items = inbox(app, bearer).await;
        assert_eq!(kinds(&items), ["urged"]);
        let n = &items[0];
        assert_eq!(n["task_id"], task["id"]);
        assert_eq!(n["plan_id"], json!(plan));
        assert_eq!(n["urging_id"], urged["id"]);
        assert_eq!(n["period"], "2025-Q2");
        assert_eq!(n["read_at"], Value::Null);
        let message = n["message"].as_str().expect("message");
        assert!(
            message.contains("第1项") && message.contains("2025-Q2") && message.contains("请于7月10日前报送二季度进展"),
            "{message}"
        );
    }
    assert!(inbox(app, &p.supporting).await.is_empty());
    assert!(inbox(app, &p.office).await.is_empty());

    // Everyone who sees the task sees its urgings; the change is audited.
    let listed = get(app, &p.supporting, &urgings).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let audit = get(
        app,
        &w.admin,
        &format!(
            "/api/v1/audit?entity=urging&entity_id={}",
            urged["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(audit["items"][0]["action"], "create");

    // Refused, and nothing written: a unit user urging, a stranger, bad input.
    let before = count(app, "SELECT COUNT(*) FROM notifications").await;
    let body = json!({"unit_id": w.pairing.recipient_unit_2, "message": "快"});
    let by_unit = app.as_bearer(&p.lead, "POST", &urgings, Some(&body)).await;
    assert_problem(&by_unit, 403, "FORBIDDEN");
    let outsider = app.bearer_of_outsider().await;
    let unseen = app.as_bearer(&outsider, "POST", &urgings, Some(&body)).await;
    assert_problem(&unseen, 404, "NOT_FOUND");
    for (bad, field) in [
        (json!({"unit_id": w.pairing.helper_unit, "message": "快"}), "unit_id"),
        (json!({"unit_id": w.pairing.recipient_unit, "message": "  "}), "message"),
        (
            json!({"unit_id": w.pairing.recipient_unit, "message": "长".repeat(2001)}),
            "message",
        ),
        (
            json!({"unit_id": w.pairing.recipient_unit, "message": "快", "period": "2024-Q4"}),
            "period",
        ),
    ] {
        let refused = app.as_bearer(&p.office, "POST", &urgings, Some(&bad)).await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert!(text(&refused).contains(field), "{field}: {}", text(&refused));
    }
    let not_a_period = app
        .as_bearer(
            &p.office,
            "POST",
            &urgings,
            Some(&json!({"unit_id": w.pairing.recipient_unit, "message": "快", "period": "Q2"})),
        )
        .await;
    assert_eq!(not_a_period.status, 422, "{}", text(&not_a_period));
    assert_eq!(count(app, "SELECT COUNT(*) FROM notifications").await, before);
    assert_eq!(count(app, "SELECT COUNT(*) FROM urgings").await, 1);

    // GraphQL: the supporting unit urged, the task shows both urgings.
    let urge = "mutation($task: ID!, $unit: ID!) { urgeUnit(taskId: $task, unitId: $unit, message: \"请配合提供数据\") { message urgedByName period } }";
    let vars = json!({"task": task_id, "unit": w.pairing.recipient_unit_2});
    let answer = app.graphql(Some(&p.office_2), urge, vars.clone()).await;
    assert_eq!(
        graphql_data(&answer)["urgeUnit"],
        json!({"message": "请配合提供数据", "urgedByName": "talk-office-2", "period": null})
    );
    let answer = app.graphql(Some(&p.supporting), urge, vars).await;
    assert_eq!(graphql_code(&answer), Some("FORBIDDEN"), "{answer}");
    let answer = app
        .graphql(
            Some(&p.supporting),
            "query($id: ID!) { task(id: $id) { urgings { message } } }",
            json!({"id": task_id}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["task"]["urgings"],
        json!([{"message": "请配合提供数据"}, {"message": "请于7月10日前报送二季度进展"}])
    );
    assert_eq!(kinds(&inbox(app, &p.supporting).await), ["urged"]);
}

#[tokio::test]
async fn an_inbox_is_read_and_counted_by_its_user_alone() {
    let w = lights_world("2025-07-02").await;
    let app = &w.app;
    let p = people(&w).await;
    let plan = w.plan("通知", None).await;
    let task = w.task(&plan, 1, "2025-12-31", &[], 40).await;
    let urgings = format!("/api/v1/tasks/{}/urgings", task["id"].as_str().expect("id"));
    for message in ["一催", "二催", "三催"] {
        send(
            app,
            &p.office,
            "POST",
            &urgings,
            json!({"unit_id": w.pairing.recipient_unit, "message": message}),
            None,
        )
        .await;
    }
    let items = inbox(app, &p.lead).await;
    let messages: Vec<&str> = items
        .iter()
        .map(|n| n["message"].as_str().unwrap_or_default())
        .collect();
    assert!(
        messages[0].ends_with("三催") && messages[2].ends_with("一催"),
        "newest first: {messages:?}"
    );
    let first = items[2]["id"].as_str().expect("id");
    let read = send(
        app,
        &p.lead,
        "POST",
        &format!("/api/v1/notifications/{first}/read"),
        json!({}),
        None,
    )
    .await;
    let read_at = read["read_at"].as_str().expect("read").to_owned();
    // Read again: it stays read from the first time.
    let again = send(
        app,
        &p.lead,
        "POST",
        &format!("/api/v1/notifications/{first}/read"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(again["read_at"], json!(read_at));
    let unread = get(app, &p.lead, "/api/v1/notifications?unread=true").await;
    assert_eq!(unread["total_count"], 2);
    // The other user of the unit has its own copy, unread.
    assert_eq!(
        get(app, &p.lead_2, "/api/v1/notifications?unread=true").await["total_count"],
        3
    );
    // Another user's notification does not exist for the caller; a client has no inbox.
    let theirs = app
        .as_bearer(
            &p.lead_2,
            "POST",
            &format!("/api/v1/notifications/{first}/read"),
            Some(&json!({})),
        )
        .await;
    assert_problem(&theirs, 404, "NOT_FOUND");
    let unknown = app
        .as_bearer(
            &p.lead,
            "POST",
            &format!("/api/v1/notifications/{}/read", uuid::Uuid::new_v4()),
            Some(&json!({})),
        )
        .await;
    assert_problem(&unknown, 404, "NOT_FOUND");
    let bad_filter = app
        .as_bearer(&p.lead, "GET", "/api/v1/notifications?unread=maybe", None)
        .await;
    assert_eq!(bad_filter.status, 400, "{}", text(&bad_filter));
    let bad_limit = app
        .as_bearer(&p.lead, "GET", "/api/v1/notifications?limit=0", None)
        .await;
    assert_problem(&bad_limit, 422, "VALIDATION_FAILED");
    let created = send(
        app,
        &w.admin,
        "POST",
        "/api/v1/clients",
        json!({"client_id": "talk-province", "name": "省平台", "scopes": ["read"]}),
        None,
    )
    .await;
    let secret = created["client_secret"].as_str().expect("a secret");
    let token = app
        .request_raw(
            "POST",
            "/api/v1/auth/token",
            format!("grant_type=client_credentials&client_id=talk-province&client_secret={secret}&scope=read"),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await
        .json();
    let machine = format!("Bearer {}", token["access_token"].as_str().expect("a token"));
    let refused = app.as_bearer(&machine, "GET", "/api/v1/notifications", None).await;
    assert_problem(&refused, 403, "FORBIDDEN");

    // GraphQL: the unread, then all marked read.
    let answer = app
        .graphql(
            Some(&p.lead),
            "{ unreadNotificationCount notifications(unread: true, first: 1) { totalCount nodes { kind read message } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    let data = graphql_data(&answer);
    assert_eq!(data["unreadNotificationCount"], 2);
    assert_eq!(data["notifications"]["totalCount"], 2);
    assert_eq!(data["notifications"]["nodes"][0]["kind"], "URGED");
    assert_eq!(data["notifications"]["nodes"][0]["read"], false);
    assert_eq!(data["notifications"]["pageInfo"]["hasNextPage"], true);
    let answer = app
        .graphql(
            Some(&p.lead),
            "mutation($id: ID!) { markNotificationRead(id: $id) { read } }",
            json!({"id": items[0]["id"]}),
        )
        .await;
    assert_eq!(graphql_data(&answer)["markNotificationRead"]["read"], true);
    let answer = app
        .graphql(Some(&p.lead), "mutation { markAllNotificationsRead }", json!({}))
        .await;
    assert_eq!(graphql_data(&answer)["markAllNotificationsRead"], 1);
    let all = send(
        app,
        &p.lead_2,
        "POST",
        "/api/v1/notifications/read-all",
        json!({}),
        None,
    )
    .await;
    assert_eq!(all["marked"], 3);
    assert_eq!(
        get(app, &p.lead, "/api/v1/notifications?unread=true").await["total_count"],
        0
    );
    assert_eq!(get(app, &p.lead, "/api/v1/notifications").await["total_count"], 3);
}

#[tokio::test]
async fn a_returned_or_approved_report_tells_its_unit() {
    let w = lights_world("2025-07-02").await;
    let app = &w.app;
    let Draft { lead, supporting, id } = w.draft("审核").await;
    step(app, &lead, &id, "submit", json!({})).await;
    // Submitting tells nobody: the reviewer sees it in the calendar.
    assert!(inbox(app, &lead).await.is_empty());
    step(app, &w.admin, &id, "return", json!({"reason": "请补充到位资金凭证"})).await;
    let items = inbox(app, &lead).await;
    assert_eq!(kinds(&items), ["report_returned"]);
    assert_eq!(items[0]["report_id"], json!(id));
    assert_eq!(items[0]["period"], "2025-Q2");
    let message = items[0]["message"].as_str().expect("message");
    assert!(
        message.contains("2025-Q2") && message.contains("请补充到位资金凭证"),
        "{message}"
    );
    step(app, &lead, &id, "submit", json!({})).await;
    let answer = app
        .graphql(
            Some(&w.admin),
            "mutation($id: ID!) { approveReport(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(graphql_data(&answer)["approveReport"]["status"], "APPROVED");
    assert_eq!(kinds(&inbox(app, &lead).await), ["report_approved", "report_returned"]);
    assert!(inbox(app, &supporting).await.is_empty());
}

#[tokio::test]
async fn a_lead_unit_asks_for_more_time_and_the_office_decides() {
    let w = lights_world("2025-07-02").await;
    let app = &w.app;
    let p = people(&w).await;
    // Half-yearly by the 10th of the month after, yearly by 11-20: on
    // 2025-07-02 nothing is late yet (the first half is due 07-10).
    let calendar = json!({"half_yearly_due_day": 10, "yearly_due": "11-20", "summary_due": "12-20"});
    let plan = w.plan("延期", Some(calendar)).await;
    // Due in 8 days: within the plan's 15 days; and 182 of its 190 days
    // gone (96%) against 50% done, more than 20 points behind: yellow.
    let task = w.task(&plan, 1, "2025-07-10", &[], 50).await;
    let task_id = task["id"].as_str().expect("id").to_owned();
    assert_eq!(task["light"], "yellow");
    let mut reasons: Vec<&str> = task["light_reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r["code"].as_str().unwrap_or_default())
        .collect();
    reasons.sort_unstable();
    assert_eq!(reasons, ["behind_schedule", "deadline_near"]);
    let ask = format!("/api/v1/tasks/{task_id}/extensions");

    // Bad requests change nothing.
    for (bad, field) in [
        (json!({"deadline": "2025-07-01", "reason": "推迟"}), "deadline"),
        (json!({"deadline": "2025-07-02", "reason": "推迟"}), "deadline"),
        (json!({"deadline": "2025-07-09", "reason": "推迟"}), "deadline"),
        (json!({"deadline": "2031-01-01", "reason": "推迟"}), "deadline"),
        (json!({"deadline": "2026-03-31", "reason": " "}), "reason"),
    ] {
        let refused = app.as_bearer(&p.lead, "POST", &ask, Some(&bad)).await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert!(text(&refused).contains(field), "{bad}: {}", text(&refused));
    }
    let not_a_day = app
        .as_bearer(
            &p.lead,
            "POST",
            &ask,
            Some(&json!({"deadline": "明年三月", "reason": "推迟"})),
        )
        .await;
    assert_eq!(not_a_day.status, 422, "{}", text(&not_a_day));
    let by_supporting = app
        .as_bearer(
            &p.supporting,
            "POST",
            &ask,
            Some(&json!({"deadline": "2026-03-31", "reason": "推迟"})),
        )
        .await;
    assert_problem(&by_supporting, 403, "FORBIDDEN");
    let by_office = app
        .as_bearer(
            &p.office,
            "POST",
            &ask,
            Some(&json!({"deadline": "2026-03-31", "reason": "推迟"})),
        )
        .await;
    assert_problem(&by_office, 403, "FORBIDDEN");
    assert_eq!(count(app, "SELECT COUNT(*) FROM extensions").await, 0);

    // Asked past the plan's year; both coordinators of the pairing are told.
    let asked = send(
        app,
        &p.lead,
        "POST",
        &ask,
        json!({"deadline": "2026-03-31", "reason": "因征地手续调整，项目开工推迟"}),
        None,
    )
    .await;
    assert_eq!(asked["status"], "pending");
    assert_eq!(asked["previous_deadline"], "2025-07-10");
    assert_eq!(asked["unit_id"], json!(w.pairing.recipient_unit));
    let extension = asked["id"].as_str().expect("id").to_owned();
    for office in [&p.office, &p.office_2] {
        let items = inbox(app, office).await;
        assert_eq!(kinds(&items), ["extension_requested"]);
        assert_eq!(items[0]["extension_id"], json!(extension));
        let message = items[0]["message"].as_str().expect("message");
        assert!(message.contains("2026-03-31") && message.contains("征地"), "{message}");
    }
    // One request at a time.
    let twice = app
        .as_bearer(
            &p.lead_2,
            "POST",
            &ask,
            Some(&json!({"deadline": "2026-06-30", "reason": "再推迟"})),
        )
        .await;
    assert_problem(&twice, 409, "CONFLICT");

    // Only the office decides; a refusal needs its reason.
    let approve = format!("/api/v1/extensions/{extension}/approve");
    let refuse = format!("/api/v1/extensions/{extension}/refuse");
    let by_lead = app.as_bearer(&p.lead, "POST", &approve, Some(&json!({}))).await;
    assert_problem(&by_lead, 403, "FORBIDDEN");
    let no_reason = app.as_bearer(&p.office, "POST", &refuse, Some(&json!({}))).await;
    assert_problem(&no_reason, 422, "VALIDATION_FAILED");
    assert!(text(&no_reason).contains("reason"), "{}", text(&no_reason));
    let outsider = app.bearer_of_outsider().await;
    let unseen = app
        .as_bearer(&outsider, "GET", &format!("/api/v1/extensions/{extension}"), None)
        .await;
    assert_problem(&unseen, 404, "NOT_FOUND");
    let still = get(app, &w.admin, &format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(still["deadline"], "2025-07-10");

    // Approved (no body at all): the deadline moves, the old one is kept.
    let response = app
        .request("POST", &approve, None, &[("authorization", p.office.as_str())])
        .await;
    assert_eq!(response.status, 200, "{}", text(&response));
    let approved = response.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by_name"], "talk-office");
    let moved = get(app, &w.admin, &format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(moved["deadline"], "2026-03-31");
    assert_eq!(moved["version"], task["version"].as_i64().expect("version") + 1);
    // The lights follow: 272 days left, and of the 454 days from the
    // year's start to the new deadline 182 are gone (40%) against 50%
    // done: green.
    assert_eq!(moved["light"], "green", "{}", moved["light_reasons"]);
    for bearer in [&p.lead, &p.lead_2] {
        let items = inbox(app, bearer).await;
        assert_eq!(kinds(&items), ["extension_decided"]);
        let message = items[0]["message"].as_str().expect("message");
        assert!(message.contains("已同意延至 2026-03-31"), "{message}");
    }
    let decided_again = app
        .as_bearer(&p.office, "POST", &refuse, Some(&json!({"reason": "不行"})))
        .await;
    assert_problem(&decided_again, 409, "CONFLICT");

    // The calendar follows: on 2026-04-15 the task owes, beyond 2025's
    // two halves and year (all late), the first half of 2026 (it began by
    // the new deadline; the second does not), due 2026-07-10, and the
    // year 2026, due 11-20, both open.
    let owed = get(
        app,
        &w.admin,
        &format!("/api/v1/calendar?plan_id={plan}&on=2026-04-15&limit=100"),
    )
    .await;
    let periods: Vec<(&str, &str)> = owed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| {
            (
                o["period"].as_str().unwrap_or_default(),
                o["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("2025-H1", "late"),
            ("2025", "late"),
            ("2025-H2", "late"),
            ("2026-H1", "open"),
            ("2026", "open"),
        ]
    );
    // And the unit may now file the period of 2026 it owes.
    let filed = send(
        app,
        &p.lead,
        "POST",
        &format!("/api/v1/tasks/{task_id}/reports"),
        json!({"period": "2026-H1", "consolidated": true, "text": "上半年", "values": []}),
        None,
    )
    .await;
    assert_eq!(filed["period"], "2026-H1");
    let beyond = app
        .as_bearer(
            &p.lead,
            "POST",
            &format!("/api/v1/tasks/{task_id}/reports"),
            Some(&json!({"period": "2026-H2", "consolidated": true, "text": "下半年", "values": []})),
        )
        .await;
    assert_problem(&beyond, 422, "VALIDATION_FAILED");

    // GraphQL: asked again, refused with a reason; the history shows both.
    let answer = app
        .graphql(
            Some(&p.lead),
            "mutation($task: ID!) { requestExtension(taskId: $task, deadline: \"2026-06-30\", reason: \"资金未到位\") { uuid status previousDeadline } }",
            json!({"task": task_id}),
        )
        .await;
    let second = graphql_data(&answer)["requestExtension"].clone();
    assert_eq!(second["status"], "PENDING");
    assert_eq!(second["previousDeadline"], "2026-03-31");
    let answer = app
        .graphql(
            Some(&p.lead),
            "mutation($id: ID!) { refuseExtension(id: $id, reason: \"不同意\") { status } }",
            json!({"id": second["uuid"]}),
        )
        .await;
    assert_eq!(graphql_code(&answer), Some("FORBIDDEN"), "{answer}");
    let answer = app
        .graphql(
            Some(&p.office_2),
            "mutation($id: ID!) { refuseExtension(id: $id, reason: \"请按期完成\") { status decisionReason decidedByName } }",
            json!({"id": second["uuid"]}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["refuseExtension"],
        json!({"status": "REFUSED", "decisionReason": "请按期完成", "decidedByName": "talk-office-2"})
    );
    let answer = app
        .graphql(
            Some(&p.supporting),
            "query($id: ID!) { task(id: $id) { deadline extensions { status deadline previousDeadline } } }",
            json!({"id": task_id}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["task"],
        json!({"deadline": "2026-03-31", "extensions": [
            {"status": "REFUSED", "deadline": "2026-06-30", "previousDeadline": "2026-03-31"},
            {"status": "APPROVED", "deadline": "2026-03-31", "previousDeadline": "2025-07-10"}
        ]})
    );
    let refused_note = &inbox(app, &p.lead).await[0];
    assert!(
        refused_note["message"]
            .as_str()
            .is_some_and(|m| m.contains("未同意") && m.contains("请按期完成")),
        "{refused_note}"
    );
}

#[tokio::test]
async fn a_notification_reaches_its_user_over_a_subscription() {
    let w = lights_world("2025-07-02").await;
    let app = &w.app;
    let p = people(&w).await;
    let plan = w.plan("订阅", None).await;
    let task = w.task(&plan, 1, "2025-12-31", &[], 40).await;
    let mut mine = Subscriber::connect(app.addr, &p.lead).await;
    mine.subscribe(
        "inbox",
        "subscription { notificationReceived { kind message period } }",
        json!({}),
    )
    .await;
    let mut theirs = Subscriber::connect(app.addr, &p.supporting).await;
    theirs
        .subscribe("inbox", "subscription { notificationReceived { kind } }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(
        app,
        &p.office,
        "POST",
        &format!("/api/v1/tasks/{}/urgings", task["id"].as_str().expect("id")),
        json!({"unit_id": w.pairing.recipient_unit, "message": "请尽快报送", "period": "2025-Q2"}),
        None,
    )
    .await;
    let heard = mine.next(Duration::from_secs(10)).await.expect("the urging is told");
    assert_eq!(heard["type"], "next", "{heard}");
    let n = &heard["payload"]["data"]["notificationReceived"];
    assert_eq!(n["kind"], "URGED");
    assert_eq!(n["period"], "2025-Q2");
    assert!(n["message"].as_str().is_some_and(|m| m.ends_with("请尽快报送")), "{n}");
    assert!(
        theirs.next(Duration::from_millis(1500)).await.is_none(),
        "another unit's user hears nothing"
    );
}

/// The reminder scheduler on: one run a second.
fn reminding() -> ServeArgs {
    ServeArgs {
        reminder_interval_secs: 1,
        ..crate::common::quiet()
    }
}

/// Two plans of the pairing and their tasks, all led by 县经济信息委, whose
/// two users are told: plan A owes the yearly report by 11-20 (reminded 3
/// days before), three tasks; plan B owes monthly reports by the 10th of
/// the next month and the yearly one by 11-20, one task.
async fn reminded_plans(w: &LightsPlan) {
    w.app
        .user("remind-lead", Role::UnitUser, Some(w.pairing.recipient_unit))
        .await;
    w.app
        .user("remind-lead-2", Role::UnitUser, Some(w.pairing.recipient_unit))
        .await;
    w.app
        .user("remind-supporting", Role::UnitUser, Some(w.pairing.recipient_unit_2))
        .await;
    let a = w.plan("年报", None).await;
    for seq in 1..=3 {
        w.task(&a, seq, "2025-12-31", &[], 60).await;
    }
    let b = w
        .plan(
            "月报",
            Some(json!({"monthly_due_day": 10, "yearly_due": "11-20", "summary_due": "12-20"})),
        )
        .await;
    w.task(&b, 1, "2025-12-31", &[], 60).await;
}

/// Notifications of each kind for `user`, by SQL.
async fn told(app: &TestApp, user: &str, kind: &str) -> usize {
    count(
        app,
        &format!(
            "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE u.username = '{user}' AND n.kind = '{kind}'"
        ),
    )
    .await
}

/// Waits until the scheduler has run over everything made (a run a
/// second; two more runs after the count settles).
async fn settle(app: &TestApp) -> usize {
    let mut last = usize::MAX;
    let mut steady = 0;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let now = count(app, "SELECT COUNT(*) FROM notifications").await;
        steady = if now == last { steady + 1 } else { 0 };
        last = now;
        if steady >= 3 {
            break;
        }
    }
    last
}

#[tokio::test]
async fn two_instances_make_each_reminder_once() {
    let w = lights_world("2025-11-18").await;
    let app = &w.app;
    // Two instances on one database, both on 2025-11-18, both scheduling.
    let one = app.spawn_sibling_on("2025-11-18", &reminding()).await;
    let two = app.spawn_sibling_on("2025-11-18", &reminding()).await;
    reminded_plans(&w).await;
    // On 2025-11-18: plan A's three yearly reports are due 11-20, two days
    // on: due soon (3). Plan B's task: its yearly report too (1); its
    // October report was due 11-10: late (1); September's, due 10-10, is
    // more than 31 days past and not reminded; November's is due 12-10,
    // not soon. So 4 due soon and 1 late, each told to both lead users:
    // 10 notifications, none to the supporting unit.
    let total = settle(app).await;
    assert_eq!(total, 10);
    for user in ["remind-lead", "remind-lead-2"] {
        assert_eq!(told(app, user, "report_due_soon").await, 4, "{user}");
        assert_eq!(told(app, user, "report_late").await, 1, "{user}");
    }
    assert_eq!(count(app, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'remind-supporting'").await, 0);
    assert_eq!(count(app, "SELECT COUNT(*) FROM reminders_sent").await, 5);
    // One of the two held the lease.
    assert_eq!(count(app, "SELECT COUNT(*) FROM scheduler_leases").await, 1);
    let late = query_strings(
        &app.db,
        "SELECT message FROM notifications WHERE kind = 'report_late' LIMIT 1",
    )
    .await;
    assert!(
        late[0].contains("2025-10") && late[0].contains("2025-11-10"),
        "{late:?}"
    );
    one.stop().await;
    two.stop().await;
    // Stopped, they gave the lease up.
    assert_eq!(count(app, "SELECT COUNT(*) FROM scheduler_leases").await, 0);
}

#[tokio::test]
async fn reminders_due_while_the_service_was_down_are_made_after_restart() {
    let w = lights_world("2025-11-10").await;
    let app = &w.app;
    w.app
        .user("remind-lead", Role::UnitUser, Some(w.pairing.recipient_unit))
        .await;
    let plan = w.plan("年报", None).await;
    w.task(&plan, 1, "2025-12-31", &[], 60).await;
    // 2025-11-10: the yearly report is due in 10 days; nothing to say.
    let running = app.spawn_sibling_on("2025-11-10", &reminding()).await;
    assert_eq!(settle(app).await, 0);
    running.stop().await;
    // Down until 2025-11-19: due tomorrow, told once at start.
    let back = app.spawn_sibling_on("2025-11-19", &reminding()).await;
    assert_eq!(settle(app).await, 1);
    assert_eq!(told(app, "remind-lead", "report_due_soon").await, 1);
    back.stop().await;
    // Down again past the due day: on 2025-11-25 it is late, told once;
    // the due-soon reminder is not repeated.
    let later = app.spawn_sibling_on("2025-11-25", &reminding()).await;
    assert_eq!(settle(app).await, 2);
    assert_eq!(told(app, "remind-lead", "report_late").await, 1);
    later.stop().await;
    let again = app.spawn_sibling_on("2025-11-26", &reminding()).await;
    assert_eq!(settle(app).await, 2);
    again.stop().await;
    let inbox = get(app, &app.bearer("remind-lead").await, "/api/v1/notifications").await;
    let due: Vec<&str> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["due_on"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(due, ["2025-11-20", "2025-11-20"]);
}

#[tokio::test]
async fn a_plans_reminder_days_are_its_own() {
    let w = lights_world("2025-07-02").await;
    let app = &w.app;
    let plan = w.plan("提醒", None).await;
    let read = get(app, &w.admin, &format!("/api/v1/plans/{plan}")).await;
    assert_eq!(read["reporting"]["remind_days"], 3);
    for bad in [-1, 61] {
        let refused = app
            .request(
                "PATCH",
                &format!("/api/v1/plans/{plan}"),
                Some(&json!({"reporting": {"remind_days": bad}})),
                &[
                    ("authorization", w.admin.as_str()),
                    ("if-match", &format!("\"{}\"", read["version"])),
                ],
            )
            .await;
        assert_problem(&refused, 422, "VALIDATION_FAILED");
        assert!(text(&refused).contains("reporting.remind_days"), "{}", text(&refused));
    }
    let changed = send(
        app,
        &w.admin,
        "PATCH",
        &format!("/api/v1/plans/{plan}"),
        json!({"reporting": {"supporting": "none", "groups": "one_per_group", "remind_days": 7}}),
        read["version"].as_i64(),
    )
    .await;
    assert_eq!(changed["reporting"]["remind_days"], 7);
    let answer = app
        .graphql(
            Some(&w.admin),
            "query($id: ID!) { plan(id: $id) { reporting { remindDays } } }",
            json!({"id": plan}),
        )
        .await;
    assert_eq!(graphql_data(&answer)["plan"]["reporting"]["remindDays"], 7);
}
