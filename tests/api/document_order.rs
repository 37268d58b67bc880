//! Document order: a plan's tasks listed as its document lists them, its
//! sections in the document's order (涪陵区's 主要预期目标, then 主要工作任务,
//! then 政府自身建设; not by their text, which puts 主要工作任务 first),
//! each section by 序号. The same order in the REST list and its pages, in
//! GraphQL's `Plan.tasks`, in the plan's progress and in the export.

use crate::common::{TestApp, graphql_data, seed};
use serde_json::{Value, json};

/// A task as a reader places it: its section (empty for none) and 序号.
type Place = (String, i64);

fn place_of(task: &Value) -> Place {
    (
        task["section"].as_str().unwrap_or_default().to_owned(),
        task["seq"].as_i64().expect("a seq"),
    )
}

/// The 148 rows of 涪陵区's breakdown as the fixture writes them: 部分, 序号.
fn fuling_rows() -> Vec<Place> {
    let path = format!(
        "{}/../shared/fixtures/fuling-2025-work-report-tasks.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    csv::Reader::from_path(path)
        .expect("the fixture")
        .records()
        .map(|r| {
            let r = r.expect("a row");
            (r[0].to_owned(), r[2].parse().expect("a 序号"))
        })
        .collect()
}

/// The id of the demo's 涪陵区 plan.
async fn fuling_plan(app: &TestApp, bearer: &str) -> String {
    let plans = app
        .as_bearer(bearer, "GET", "/api/v1/plans?limit=200", None)
        .await
        .json();
    plans["items"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["title"] == xietong::demo::FULING_TITLE)
        .expect("涪陵区's plan")["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Every task of a REST list, following `next_cursor` page after page.
async fn rest_pages(app: &TestApp, bearer: &str, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = first.to_owned();
    loop {
        let answer = app.as_bearer(bearer, "GET", &path, None).await;
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        let page = answer.json();
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => path = format!("{first}&cursor={next}"),
            None => return out,
        }
    }
}

/// Every task of `Plan.tasks`, 50 at a time.
async fn graphql_pages(app: &TestApp, bearer: &str, plan: &str) -> Vec<Place> {
    let query = "query($id: ID!, $after: String) { plan(id: $id) { tasks(first: 50, after: $after) { \
                 edges { node { section seq } } pageInfo { hasNextPage endCursor } } } }";
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let answer = app
            .graphql(Some(bearer), query, json!({"id": plan, "after": after}))
            .await;
        let tasks = &graphql_data(&answer)["plan"]["tasks"];
        out.extend(
            tasks["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| place_of(&e["node"])),
        );
        if tasks["pageInfo"]["hasNextPage"] != json!(true) {
            return out;
        }
        after = tasks["pageInfo"]["endCursor"].clone();
    }
}

/// 涪陵区's 148 tasks, read every way a portal reads a plan, come in the
/// fixture's own order: 7 主要预期目标, 137 主要工作任务, 4 政府自身建设, each
/// section from 序号 1.
#[tokio::test]
async fn a_plan_with_sections_lists_its_tasks_in_the_documents_order() {
    let app = TestApp::spawn().await;
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    let admin = app.bearer_of_new_admin().await;
    let expected = fuling_rows();
    assert_eq!(expected.len(), 148);
    assert_eq!(expected[0], ("主要预期目标".to_owned(), 1));
    assert_eq!(expected[7], ("主要工作任务".to_owned(), 1));
    assert_eq!(expected[144], ("政府自身建设".to_owned(), 1));

    let plan = fuling_plan(&app, &admin).await;

    // REST, 50 a page (the cursors carry the order from page to page).
    let listed = rest_pages(&app, &admin, &format!("/api/v1/tasks?plan_id={plan}&limit=50")).await;
    let places: Vec<Place> = listed.iter().map(place_of).collect();
    assert_eq!(places, expected);
    // Descending, the document backwards.
    let backwards = rest_pages(
        &app,
        &admin,
        &format!("/api/v1/tasks?plan_id={plan}&limit=50&sort=-seq"),
    )
    .await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(backwards.iter().map(place_of).collect::<Vec<_>>(), reversed);

    // GraphQL's Plan.tasks, 50 at a time.
    assert_eq!(graphql_pages(&app, &admin, &plan).await, expected);

    // The plan's progress, task by task.
    let place_by_id: std::collections::HashMap<&str, Place> = listed
        .iter()
        .map(|t| (t["id"].as_str().expect("an id"), place_of(t)))
        .collect();
    let progress = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{plan}/progress"), None)
        .await
        .json();
    let in_progress: Vec<Place> = progress["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| place_by_id[t["task_id"].as_str().expect("a task id")].clone())
        .collect();
    assert_eq!(in_progress, expected);

    // The calendar: on 2025-05-01 every task's first-quarter report, due on
    // 04-10, is late; a task's reports stand together (one per lead unit),
    // the tasks in the document's order.
    let calendar = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/calendar?plan_id={plan}&on=2025-05-01&limit=1000"),
            None,
        )
        .await
        .json();
    let mut owing: Vec<Place> = calendar["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|o| o["due_on"] == "2025-04-10")
        .map(place_of)
        .collect();
    owing.dedup();
    assert_eq!(owing.first(), expected.first());
    let at = |p: &Place| expected.iter().position(|e| e == p).expect("a task of the plan");
    assert!(
        owing.windows(2).all(|w| at(&w[0]) < at(&w[1])),
        "the calendar lists the tasks in document order: {owing:?}"
    );
    assert!(
        owing.contains(&expected[7]) && owing.contains(&expected[144]),
        "{owing:?}"
    );

    // The export, as CSV: 部分 and 序号 in the first and third columns.
    let csv = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{plan}/export?format=csv"), None)
        .await;
    let text = String::from_utf8(csv.body.to_vec()).expect("UTF-8");
    let exported: Vec<Place> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.expect("a row"))
        .skip_while(|r| &r[0] != "部分")
        .skip(1)
        .map(|r| (r[0].to_owned(), r[2].parse().expect("a 序号")))
        .collect();
    assert_eq!(exported, expected);
}

/// A database from before places: the migration places each task by when
/// its section was first written (an import writes a document's rows in
/// order), so 涪陵区's imported plan lists as its fixture again.
#[tokio::test]
async fn the_migration_places_existing_tasks_as_their_sections_were_written() {
    use migration::MigratorTrait;
    let app = TestApp::spawn().await;
    xietong::demo::load(&app.db, Some("demo-password"))
        .await
        .expect("the demo");
    let admin = app.bearer_of_new_admin().await;
    migration::Migrator::down(&app.db, Some(1))
        .await
        .expect("back before places");
    migration::Migrator::up(&app.db, None).await.expect("places again");
    let plan = fuling_plan(&app, &admin).await;
    let listed = rest_pages(&app, &admin, &format!("/api/v1/tasks?plan_id={plan}&limit=50")).await;
    assert_eq!(listed.iter().map(place_of).collect::<Vec<_>>(), fuling_rows());
}

/// Sections keep the order they were first written in, whatever their
/// names: a plan written 政府自身建设 first lists it first; a task moved to
/// another section takes its place there; a new section goes last.
#[tokio::test]
async fn a_new_section_goes_last_and_a_moved_task_joins_its_new_section() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let create = async |section: &str, seq: i64| -> Value {
        let body = json!({
            "plan_id": p.plan,
            "section": section,
            "seq": seq,
            "content": format!("{section}第{seq}项"),
            "assignments": [{"unit_id": p.recipient_unit, "role": "lead", "side": "recipient"}],
        });
        let answer = app.as_bearer(&admin, "POST", "/api/v1/tasks", Some(&body)).await;
        assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
        answer.json()
    };
    let listed = async || -> Vec<Place> {
        let page = app
            .as_bearer(&admin, "GET", &format!("/api/v1/tasks?plan_id={}", p.plan), None)
            .await
            .json();
        page["items"].as_array().expect("items").iter().map(place_of).collect()
    };
    let place = |section: &str, seq: i64| (section.to_owned(), seq);

    create("政府自身建设", 1).await;
    let moving = create("主要预期目标", 2).await;
    create("主要预期目标", 1).await;
    create("政府自身建设", 2).await;
    assert_eq!(
        listed().await,
        [
            place("政府自身建设", 1),
            place("政府自身建设", 2),
            place("主要预期目标", 1),
            place("主要预期目标", 2),
        ]
    );

    let id = moving["id"].as_str().expect("an id");
    let moved = app
        .request(
            "PATCH",
            &format!("/api/v1/tasks/{id}"),
            Some(&json!({"section": "政府自身建设", "seq": 3})),
            &[("authorization", admin.as_str()), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(moved.status, 200, "{}", String::from_utf8_lossy(&moved.body));
    create("主要工作任务", 1).await;
    let expected = [
        place("政府自身建设", 1),
        place("政府自身建设", 2),
        place("政府自身建设", 3),
        place("主要预期目标", 1),
        place("主要工作任务", 1),
    ];
    assert_eq!(listed().await, expected);
    assert_eq!(
        graphql_pages(&app, &admin, &p.plan.to_string()).await,
        expected,
        "GraphQL lists as REST does"
    );
}
