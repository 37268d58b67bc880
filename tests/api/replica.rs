//! Reads from a PostgreSQL streaming replica (`DATABASE_READ_URL`): GET
//! and HEAD requests and GraphQL queries read there, writes and
//! `X-Consistency: primary` reads the primary, and `/readyz` reports the
//! lag. The tests that need a replica are ignored by a plain `cargo test`:
//! `.ci/replica` makes a primary and its replica on this machine and runs
//! them (`cargo test --test api replica -- --ignored`). To tell where a
//! read went, each pauses the replica's replay, so what is written after
//! the pause is on the primary only.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use xietong::domain::values::Role;

use crate::common::subscriber::Subscriber;
use crate::common::{TestApp, assert_problem, caught_up, graphql_data, seed};

/// Replay is paused for the whole replica, every test database at once:
/// the tests that pause it take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn replay(replica: &DatabaseConnection, on: bool) {
    let call = if on {
        "SELECT pg_wal_replay_resume()"
    } else {
        "SELECT pg_wal_replay_pause()"
    };
    replica.execute_unprepared(call).await.expect("pause or resume replay");
}

async fn new_region(app: &TestApp, admin: &str, name: &str, code: &str) -> String {
    let made = app
        .as_bearer(
            admin,
            "POST",
            "/api/v1/regions",
            Some(&json!({"name": name, "code": code, "kind": "county"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    made.json()["id"].as_str().expect("an id").to_owned()
}

/// The list at `path`, which names `seen` and not `unseen`.
async fn sees_one_of_the_two(app: &TestApp, admin: &str, path: &str, seen: &str, unseen: &str) -> Value {
    let list = app.as_bearer(admin, "GET", path, None).await.json();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["id"].as_str())
        .collect();
    assert!(ids.contains(&seen) && !ids.contains(&unseen), "{path}: {list}");
    list
}

async fn graphql_as(app: &TestApp, admin: &str, query: &str, variables: Value, primary: bool) -> Value {
    let mut headers = vec![("authorization", admin)];
    if primary {
        headers.push(("x-consistency", "primary"));
    }
    let body = json!({"query": query, "variables": variables});
    let answer = app.request("POST", "/graphql", Some(&body), &headers).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    answer.json()
}

#[tokio::test]
#[ignore = "needs a streaming replica: .ci/replica runs it"]
async fn reads_go_to_the_replica_writes_and_x_consistency_primary_to_the_primary() {
    let _turn = TURN.lock().await;
    let (app, replica) = TestApp::spawn_with_replica().await;
    let admin = app.bearer_of_new_admin().await;
    let before = new_region(&app, &admin, "城口县", "500229").await;
    // A read of the feed numbers the changes (on the primary).
    let numbered = app.as_bearer(&admin, "GET", "/api/v1/changes", None).await;
    assert_eq!(numbered.status, 200);
    caught_up(&app.db, &replica).await;
    replay(&replica, false).await;

    // Written on the primary after the pause: the replica has not seen it.
    let region = new_region(&app, &admin, "巫山县", "500237").await;
    let path = format!("/api/v1/regions/{region}");
    assert_problem(&app.as_bearer(&admin, "GET", &path, None).await, 404, "NOT_FOUND");
    sees_one_of_the_two(&app, &admin, "/api/v1/regions", &before, &region).await;
    let primary = app
        .request(
            "GET",
            &path,
            None,
            &[("authorization", &admin), ("x-consistency", "primary")],
        )
        .await;
    assert_eq!(primary.status, 200, "{}", String::from_utf8_lossy(&primary.body));
    assert_eq!(primary.json()["name"], "巫山县");
    let version = primary.json()["version"].as_i64().expect("a version");

    let query = "query($id: ID!) { region(id: $id) { name } }";
    let on_replica = graphql_as(&app, &admin, query, json!({"id": region}), false).await;
    assert_eq!(on_replica["data"]["region"], Value::Null, "{on_replica}");
    let on_primary = graphql_as(&app, &admin, query, json!({"id": region}), true).await;
    assert_eq!(on_primary["data"]["region"]["name"], "巫山县", "{on_primary}");
    // A mutation reads what it changes on the primary.
    let renamed = graphql_as(
        &app,
        &admin,
        "mutation($id: ID!, $version: Int!) { updateRegion(id: $id, version: $version, \
         input: {name: \"巫山县（改）\", code: \"500237\", kind: COUNTY}) { name version } }",
        json!({"id": region, "version": version}),
        false,
    )
    .await;
    assert_eq!(renamed["data"]["updateRegion"]["name"], "巫山县（改）", "{renamed}");

    // The change feed: the replica's ends before the new region; a cursor
    // read on the primary, ahead of the replica, is not refused there.
    let changes = sees_one_of_the_two(&app, &admin, "/api/v1/changes", &before, &region).await;
    let ahead = app
        .request(
            "GET",
            "/api/v1/changes",
            None,
            &[("authorization", &admin), ("x-consistency", "primary")],
        )
        .await
        .json();
    let cursor = ahead["next_cursor"].as_str().expect("a cursor").to_owned();
    assert_ne!(
        cursor,
        changes["next_cursor"].as_str().expect("a cursor"),
        "the primary is ahead"
    );
    let waiting = app
        .as_bearer(&admin, "GET", &format!("/api/v1/changes?after={cursor}"), None)
        .await;
    assert_eq!(waiting.status, 200, "{}", String::from_utf8_lossy(&waiting.body));
    assert_eq!(waiting.json()["items"], json!([]));
    assert_eq!(waiting.json()["next_cursor"], cursor.as_str());

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);
    let report = ready.json();
    assert_eq!(report["replica"]["status"], "ok", "{report}");
    assert!(
        report["replica"]["lag_bytes"].as_i64() > Some(0),
        "paused, it lags: {report}"
    );
    assert!(report["replica"]["lag_seconds"].as_f64() >= Some(0.0), "{report}");

    replay(&replica, true).await;
    caught_up(&app.db, &replica).await;
    let read = app.as_bearer(&admin, "GET", &path, None).await;
    assert_eq!(read.status, 200, "caught up, the replica has it");
    assert_eq!(read.json()["name"], "巫山县（改）");
    let report = app.get("/readyz").await.json();
    assert_eq!(report["replica"]["lag_bytes"], 0, "{report}");
    assert_eq!(report["replica"]["lag_seconds"], 0.0, "{report}");
    app.stop().await;
}

/// A hot standby refuses every write: a read that wrote anything (a
/// counter, a cache, a session) would answer 500 there.
#[tokio::test]
#[ignore = "needs a streaming replica: .ci/replica runs it"]
async fn every_list_and_figure_is_served_by_the_read_only_replica() {
    let _turn = TURN.lock().await;
    let (app, replica) = TestApp::spawn_with_replica().await;
    let admin = app.bearer_of_new_admin().await;
    let world = seed::yuzhong_wuxi(&app.db).await;
    let task = seed::task(&app.db, &world, 1, &["5000"]).await;
    seed::report_on(
        &app.db,
        &task,
        world.recipient_unit,
        "2025-Q1",
        &[(0, "2000")],
        Some("2025-04-02"),
        true,
    )
    .await;
    caught_up(&app.db, &replica).await;
    replay(&replica, false).await;

    let document: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("the document");
    let paths = document["paths"].as_object().expect("paths");
    let mut walked = 0;
    for (path, operations) in paths {
        if operations.get("get").is_none() || path.contains('{') {
            continue;
        }
        let answer = app.as_bearer(&admin, "GET", path, None).await;
        assert!(
            answer.status < 500,
            "GET {path} on the replica: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        walked += 1;
    }
    // Every GET without a path parameter: 30 of them when this was written.
    assert!(walked >= 30, "only {walked} lists walked");
    for path in [
        format!("/api/v1/plans/{}", world.plan),
        format!("/api/v1/plans/{}/progress", world.plan),
        format!("/api/v1/tasks/{}", task.id),
        format!("/api/v1/pairings/{}", world.pairing),
    ] {
        let answer = app.as_bearer(&admin, "GET", &path, None).await;
        assert_eq!(
            answer.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    let dashboard = graphql_as(
        &app,
        &admin,
        "{ plans(first: 5) { totalCount nodes { year tasks(first: 5) { nodes { seq reports { period } } } } } }",
        json!({}),
        false,
    )
    .await;
    assert!(dashboard.get("errors").is_none(), "{dashboard}");
    assert_eq!(dashboard["data"]["plans"]["totalCount"], 1, "{dashboard}");
    replay(&replica, true).await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs a streaming replica: .ci/replica runs it"]
async fn a_replica_that_does_not_answer_makes_the_instance_unready() {
    let _turn = TURN.lock().await;
    let (app, replica) = TestApp::spawn_with_replica().await;
    replica.close().await.expect("close the replica's pool");
    let gone = app.get("/readyz").await;
    assert_eq!(gone.status, 503);
    let body = gone.json();
    assert_eq!(body["code"], "UNAVAILABLE");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["replica"], "unreachable", "{body}");
    assert!(gone.header("retry-after").is_some());
    app.stop().await;
}

/// Without a replica, `X-Consistency: primary` is simply where every read
/// goes; any other value is a mistake worth saying.
#[tokio::test]
async fn x_consistency_other_than_primary_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let primary = app
        .request(
            "GET",
            "/api/v1/regions",
            None,
            &[("authorization", &admin), ("x-consistency", "Primary")],
        )
        .await;
    assert_eq!(primary.status, 200);
    for value in ["eventual", "", "primary, replica"] {
        let refused = app
            .request(
                "GET",
                "/api/v1/regions",
                None,
                &[("authorization", &admin), ("x-consistency", value)],
            )
            .await;
        assert_problem(&refused, 400, "BAD_REQUEST");
        assert!(
            refused.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("`primary`"))
        );
    }
    let ready = app.get("/readyz").await.json();
    assert!(
        ready.get("replica").is_none(),
        "no replica, nothing said of one: {ready}"
    );
    app.stop().await;
}

/// A subscription follows the primary's log of changes: what it tells
/// is read on the primary, not on a replica that has yet to replay it.
#[tokio::test]
#[ignore = "needs a streaming replica: .ci/replica runs it"]
async fn a_subscription_tells_a_change_the_replica_has_not_replayed() {
    let _turn = TURN.lock().await;
    let (app, replica) = TestApp::spawn_with_replica().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let task = seed::task(&app.db, &p, 1, &[]).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let lead = app.bearer("wx-jxw").await;
    caught_up(&app.db, &replica).await;
    replay(&replica, false).await;

    let mut socket = Subscriber::connect(app.addr, &lead).await;
    socket
        .subscribe("tasks", "subscription { taskStatusChanged { uuid status } }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let update = "mutation($id: ID!) { updateTask(id: $id, version: 1, input: {status: COMPLETED}) { status } }";
    graphql_data(&app.graphql(Some(&lead), update, json!({"id": task.id})).await);
    let heard = socket.next(Duration::from_secs(10)).await.expect("the change is told");
    assert_eq!(heard["type"], "next", "{heard}");
    assert_eq!(
        heard["payload"]["data"]["taskStatusChanged"],
        json!({"uuid": task.id, "status": "COMPLETED"})
    );
    replay(&replica, true).await;
    app.stop().await;
}
