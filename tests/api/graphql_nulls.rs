//! GraphQL as the specification and typed clients expect it: a field that
//! fails is null and present; a failed non-null field makes its parent
//! null, up to the nearest nullable field, or `data` itself. A lookup by id
//! is nullable: it can find nothing. The people a record names are users.

use serde_json::{Value, json};
use uuid::Uuid;

use xietong::domain::values::Role;

use crate::common::{TestApp, graphql_code, graphql_data};
use crate::figures::{demo_on, demo_plan, issued, lead_unit, task_with, text};

/// The demo and the id of 渝中区·巫溪县's task list.
async fn demo() -> (TestApp, String, String) {
    let (app, admin) = demo_on("2025-07-10").await;
    let list = demo_plan(&app, &admin, "pairing").await;
    (app, admin, list)
}

fn data_of(answer: &Value) -> &serde_json::Map<String, Value> {
    answer["data"].as_object().expect("data")
}

fn paths(answer: &Value) -> Vec<Value> {
    answer["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["path"].clone())
        .collect()
}

#[tokio::test]
async fn a_lookup_that_finds_nothing_is_null_beside_the_rest() {
    let (app, admin, _) = demo().await;
    let unknown = Uuid::new_v4();
    for lookup in [
        "task",
        "plan",
        "report",
        "region",
        "unit",
        "pairing",
        "metric",
        "event",
        "leader",
        "project",
        "user",
        "client",
        "attachment",
    ] {
        let answer = app
            .graphql(
                Some(&admin),
                &format!("query($id: ID!) {{ me {{ __typename }} found: {lookup}(id: $id) {{ __typename }} }}"),
                json!({"id": unknown}),
            )
            .await;
        assert_eq!(answer["data"]["me"]["__typename"], "User", "{lookup}: {answer}");
        let data = answer["data"].as_object().expect("data");
        assert_eq!(data.get("found"), Some(&Value::Null), "{lookup}: {answer}");
        assert_eq!(graphql_code(&answer), Some("NOT_FOUND"), "{lookup}: {answer}");
        assert_eq!(paths(&answer), vec![json!(["found"])], "{lookup}");
    }
    // A global id of nothing the caller may see.
    let answer = app
        .graphql(
            Some(&admin),
            "{ me { __typename } node(id: \"VGFzazowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(answer["data"]["me"]["__typename"], "User", "{answer}");
    assert_eq!(
        answer["data"].as_object().and_then(|d| d.get("node")),
        Some(&Value::Null)
    );
}

#[tokio::test]
async fn a_failed_non_null_field_makes_its_nearest_nullable_parent_null() {
    let (app, admin, list) = demo().await;
    // Plan.tasks is `TaskConnection!`; 500 is over the page limit. The
    // plan is nullable: it becomes null, `me` stays.
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { me { __typename } plan(id: $id) { title tasks(first: 500) { totalCount } } }",
            json!({"id": list}),
        )
        .await;
    assert_eq!(answer["data"]["me"]["__typename"], "User", "{answer}");
    assert_eq!(
        answer["data"].as_object().and_then(|d| d.get("plan")),
        Some(&Value::Null),
        "{answer}"
    );
    assert_eq!(paths(&answer), vec![json!(["plan", "tasks"])]);

    // The same through an alias, a named fragment and an inline fragment
    // on the Node interface.
    let global = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { plan(id: $id) { id } }",
            json!({"id": list}),
        )
        .await;
    let global = global["data"]["plan"]["id"].as_str().expect("a global id").to_owned();
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!, $global: ID!) { me { __typename } p: plan(id: $id) { ...Tasks } n: node(id: $global) { ... on Plan { title many: tasks(first: 500) { totalCount } } } }
             fragment Tasks on Plan { title all: tasks(first: 500) { totalCount } }",
            json!({"id": list, "global": global}),
        )
        .await;
    assert_eq!(data_of(&answer).get("n"), Some(&Value::Null), "{answer}");
    assert_eq!(data_of(&answer).get("p"), Some(&Value::Null), "{answer}");
    assert_eq!(answer["data"]["me"]["__typename"], "User", "{answer}");
    let mut got = paths(&answer);
    got.sort_by_key(|p| p.to_string());
    assert_eq!(got, vec![json!(["n", "many"]), json!(["p", "all"])], "{answer}");

    // A non-null field of every ancestor up to a non-null root field:
    // `plans` is `PlanConnection!`, so there is no data at all.
    let answer = app
        .graphql(
            Some(&admin),
            "{ me { __typename } plans(first: 500) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(answer["data"].is_null(), "{answer}");
    assert_eq!(paths(&answer), vec![json!(["plans"])]);

    // A list item: each edge's node is `Plan!` in `[PlanEdge!]!` of a
    // `PlanConnection!`, so one plan's failed `tasks` empties the answer.
    let answer = app
        .graphql(
            Some(&admin),
            "{ plans(first: 2) { edges { node { title tasks(first: 500) { totalCount } } } } }",
            json!({}),
        )
        .await;
    assert!(answer["data"].is_null(), "{answer}");
    assert_eq!(answer["errors"][0]["path"][0], "plans", "{answer}");
}

#[tokio::test]
async fn a_task_s_plan_and_a_report_s_task_are_never_null() {
    let (app, admin, list) = demo().await;
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { plan(id: $id) { tasks(first: 1) { nodes { plan { uuid } } } } }",
            json!({"id": list}),
        )
        .await;
    assert_eq!(
        answer["data"]["plan"]["tasks"]["nodes"][0]["plan"]["uuid"],
        list.as_str()
    );
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    let field = |ty: &str, field: &str| -> String {
        let body = sdl
            .split(&format!("type {ty} implements Node {{"))
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .unwrap_or_else(|| panic!("type {ty}"));
        body.lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("{ty}.{field}"))
            .to_owned()
    };
    assert_eq!(field("Task", "plan"), "plan: Plan!");
    assert_eq!(field("Report", "task"), "task: Task!");
}

/// A report's maker, submitter and reviewer and a comment's author are
/// `User` objects, seen by whoever sees the report — also by a unit's user,
/// who cannot look users up by id.
#[tokio::test]
async fn a_report_names_its_people_as_users() {
    let (app, admin, list) = demo().await;
    issued(&app, &admin, &list).await;
    // Task 1's lead unit on 巫溪县's side: 县经济信息委.
    let task = task_with(&app, &admin, "力争实际到位资金5000万元以上").await;
    let lead = lead_unit(&task);
    app.user("wx-lead", Role::UnitUser, Some(lead.parse().expect("a uuid")))
        .await;
    let clerk = app.bearer("wx-lead").await;
    let body = json!({"period": "2025", "consolidated": true, "unit_id": lead, "text": "已引进项目1个"});
    let made = app
        .as_bearer(
            &clerk,
            "POST",
            &format!("/api/v1/tasks/{}/reports", task["id"].as_str().expect("an id")),
            Some(&body),
        )
        .await;
    assert_eq!(made.status, 201, "{}", text(&made));
    let report = made.json()["id"].as_str().expect("an id").to_owned();
    let query = "query($id: ID!) { report(id: $id) { createdBy { username } submittedBy { username } reviewedBy { username } comments { author { username } } } }";
    let draft = app.graphql(Some(&clerk), query, json!({"id": report})).await;
    assert_eq!(
        graphql_data(&draft)["report"],
        json!({"createdBy": {"username": "wx-lead"}, "submittedBy": null, "reviewedBy": null, "comments": []})
    );
    let submitted = app
        .as_bearer(&clerk, "POST", &format!("/api/v1/reports/{report}/submit"), None)
        .await;
    assert_eq!(submitted.status, 200, "{}", text(&submitted));
    let approved = app
        .as_bearer(&admin, "POST", &format!("/api/v1/reports/{report}/approve"), None)
        .await;
    assert_eq!(approved.status, 200, "{}", text(&approved));
    let said = app
        .as_bearer(
            &admin,
            "POST",
            &format!("/api/v1/reports/{report}/comments"),
            Some(&json!({"body": "已审核，请补充到位资金凭证"})),
        )
        .await;
    assert_eq!(said.status, 201, "{}", text(&said));
    let seen = app.graphql(Some(&clerk), query, json!({"id": report})).await;
    assert_eq!(
        graphql_data(&seen)["report"],
        json!({
            "createdBy": {"username": "wx-lead"},
            "submittedBy": {"username": "wx-lead"},
            "reviewedBy": {"username": "figures-admin"},
            "comments": [{"author": {"username": "figures-admin"}}],
        })
    );
    // The same clerk cannot look the administrator up.
    let admin_id = approved.json()["reviewed_by"].as_str().expect("a reviewer").to_owned();
    let looked = app
        .graphql(
            Some(&clerk),
            "query($id: ID!) { user(id: $id) { username } }",
            json!({"id": admin_id}),
        )
        .await;
    assert_eq!(graphql_code(&looked), Some("NOT_FOUND"), "{looked}");
}
