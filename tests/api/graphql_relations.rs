//! Reverse relations in GraphQL, each loaded for every parent of a query
//! level at once: a region's units, children and pairings, a pairing's
//! plans and chronicle, a unit's tasks, a plan's progress. The same rows as REST's lists, and SQL
//! statements by relation, not by parent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use xietong::domain::values::Role;

use crate::common::{TestApp, graphql_data};
use crate::figures::{approved_report, demo_plan, get, issued, target_of, task_with};

/// The demo in an app whose SQL statements are counted.
async fn counted_demo() -> (TestApp, String, Arc<AtomicUsize>) {
    let (app, counter) = TestApp::counted().await;
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    app.user("relations-admin", Role::Admin, None).await;
    let admin = app.bearer("relations-admin").await;
    (app, admin, counter)
}

fn names(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].as_str().or(n["title"].as_str()).expect("a name").to_owned())
        .collect()
}

#[tokio::test]
async fn reverse_relations_show_what_rest_lists() {
    let (app, admin, _) = counted_demo().await;
    let yuzhong = get(&app, &admin, "/api/v1/regions?q=渝中区").await["items"][0].clone();
    let yz = yuzhong["id"].as_str().expect("渝中区");
    let rest_units = get(&app, &admin, &format!("/api/v1/units?region_id={yz}&limit=3")).await;
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { region(id: $id) { units(first: 3) { totalCount pageInfo { hasNextPage } nodes { name } } children { totalCount } } }",
            json!({"id": yz}),
        )
        .await;
    let units = &graphql_data(&answer)["region"]["units"];
    assert_eq!(units["totalCount"], rest_units["total_count"], "{answer}");
    let rest_names: Vec<String> = rest_units["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["name"].as_str().expect("a name").to_owned())
        .collect();
    assert_eq!(names(units), rest_names);
    assert_eq!(units["pageInfo"]["hasNextPage"], true);
    // The demo's regions have no parent.
    assert_eq!(graphql_data(&answer)["region"]["children"]["totalCount"], 0);

    // A city with two districts under it, by name.
    let post = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let made = app.as_bearer(&admin, "POST", "/api/v1/regions", Some(&body)).await;
            assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
            made.json()["id"].as_str().expect("an id").to_owned()
        }
    };
    let city = post(json!({"name": "示例市", "kind": "city"})).await;
    post(json!({"name": "乙区", "kind": "district", "parent_id": city})).await;
    post(json!({"name": "甲区", "kind": "district", "parent_id": city})).await;
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { region(id: $id) { children { totalCount nodes { name parent { name } } } } }",
            json!({"id": city}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["region"]["children"],
        json!({"totalCount": 2, "nodes": [
            {"name": "乙区", "parent": {"name": "示例市"}},
            {"name": "甲区", "parent": {"name": "示例市"}},
        ]}),
        "by name as the database orders it: 乙 (U+4E59) before 甲 (U+7532)"
    );

    // 渝中区·巫溪县: its one task list, and its chronicle as REST lists it.
    let pairings = get(&app, &admin, &format!("/api/v1/pairings?region_id={yz}")).await;
    let pairing = pairings["items"][0]["id"].as_str().expect("渝中区·巫溪县").to_owned();
    let events = get(&app, &admin, &format!("/api/v1/events?pairing_id={pairing}&limit=200")).await;
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { pairing(id: $id) { plans { totalCount nodes { title } } events(first: 200) { totalCount nodes { title } } } }",
            json!({"id": pairing}),
        )
        .await;
    let found = &graphql_data(&answer)["pairing"];
    assert_eq!(
        names(&found["plans"]),
        ["渝中区·巫溪县2025年度对口协同发展任务清单"],
        "{answer}"
    );
    assert_eq!(found["events"]["totalCount"], events["total_count"]);
    let rest_titles: Vec<String> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["title"].as_str().expect("a title").to_owned())
        .collect();
    assert_eq!(names(&found["events"]), rest_titles);
}

/// 涪陵区 takes part in one pairing, as 南川区·武隆区's co-helper; 巫溪县's
/// 县经济信息委 leads tasks 1–3 (the 招商引资 rows; 2 is a merged cell) and
/// 6 (飞地建园) of the 渝中区·巫溪县 list; a plan's progress is REST's.
#[tokio::test]
async fn a_region_s_pairings_a_unit_s_tasks_and_a_plan_s_progress() {
    let (app, admin, _) = counted_demo().await;
    let fuling = get(&app, &admin, "/api/v1/regions?q=涪陵区").await["items"][0]["id"].clone();
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { region(id: $id) { pairings { totalCount nodes { helperRegion { name } recipientRegion { name } coHelperRegions { name } } } } }",
            json!({"id": fuling}),
        )
        .await;
    assert_eq!(
        graphql_data(&answer)["region"]["pairings"],
        json!({"totalCount": 1, "nodes": [{
            "helperRegion": {"name": "南川区"}, "recipientRegion": {"name": "武隆区"},
            "coHelperRegions": [{"name": "涪陵区"}],
        }]})
    );

    let task = task_with(&app, &admin, "力争实际到位资金5000万元以上").await;
    let lead = crate::figures::lead_unit(&task);
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { unit(id: $id) { name lead: tasks(role: LEAD) { totalCount nodes { seq } } all: tasks { totalCount } } }",
            json!({"id": lead}),
        )
        .await;
    let unit = &graphql_data(&answer)["unit"];
    assert_eq!(unit["name"], "县经济信息委", "{answer}");
    let seqs: Vec<i64> = unit["lead"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["seq"].as_i64().expect("a seq"))
        .collect();
    assert_eq!(seqs, [1, 2, 3, 6]);
    let rest = get(&app, &admin, &format!("/api/v1/tasks?unit_id={lead}")).await;
    assert_eq!(unit["all"]["totalCount"], rest["total_count"]);

    // One approved report on task 1: 0.18亿元 of its 5000万元 is 36%, its
    // other target (引进1个以上项目) has nothing yet, 0%: the task is at 18%.
    let list = demo_plan(&app, &admin, "pairing").await;
    issued(&app, &admin, &list).await;
    let funds = target_of(&task, "investment_funds");
    approved_report(
        &app,
        &admin,
        &task,
        "2025-H1",
        json!([{"target_id": funds["id"], "actual": "0.18", "unit": "亿元"}]),
    )
    .await;
    let rest = get(&app, &admin, &format!("/api/v1/plans/{list}/progress")).await;
    let answer = app
        .graphql(
            Some(&admin),
            "query($id: ID!) { plan(id: $id) { progress { percent tasks { percent } } } }",
            json!({"id": list}),
        )
        .await;
    let progress = &graphql_data(&answer)["plan"]["progress"];
    assert_eq!(progress["percent"], rest["percent"], "{answer}");
    let tasks = progress["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 16);
    assert_eq!(tasks[0]["percent"], "18.00");
}

#[tokio::test]
async fn reverse_relations_add_statements_by_relation_not_by_parent() {
    let (app, admin, counter) = counted_demo().await;
    let statements = |query: &'static str, n: i32| {
        let (app, admin, counter) = (&app, admin.clone(), counter.clone());
        async move {
            counter.store(0, Ordering::SeqCst);
            let answer = app.graphql(Some(&admin), query, json!({"n": n})).await;
            graphql_data(&answer);
            counter.load(Ordering::SeqCst)
        }
    };
    // Each relation is one loader: its select, and its rows' own details
    // (units' aliases, events' amounts) when it found any — never one per
    // parent. 40 regions (all of the demo's) and 6 pairings.
    for n in [2, 40] {
        let bare = statements("query($n: Int) { regions(first: $n) { nodes { name } } }", n).await;
        let related = statements(
            "query($n: Int) { regions(first: $n) { nodes { name units(first: 2) { totalCount nodes { name } } children { totalCount } } } }",
            n,
        )
        .await;
        assert!(related - bare <= 3, "regions(first: {n}): {bare} then {related}");
        let bare = statements("query($n: Int) { pairings(first: $n) { nodes { status } } }", n).await;
        let related = statements(
            "query($n: Int) { pairings(first: $n) { nodes { plans { totalCount nodes { title } } events { totalCount nodes { title } } } } }",
            n,
        )
        .await;
        assert!(related - bare <= 3, "pairings(first: {n}): {bare} then {related}");
    }
    // A unit's tasks, by role and all: the same statements for 40 units as
    // for 200 (each role asked for is one domain call: the units' groups,
    // the assignments, the tasks and their views' details).
    let tasks =
        "query($n: Int) { units(first: $n) { nodes { lead: tasks(role: LEAD) { totalCount } tasks { totalCount } } } }";
    let (forty, two_hundred) = (statements(tasks, 40).await, statements(tasks, 200).await);
    assert_eq!(forty, two_hundred);
}
