//! A change made through one instance reaches subscribers connected to
//! another instance on the same PostgreSQL, through LISTEN/NOTIFY: the
//! feed here never polls (`XIETONG_GRAPHQL_FEED_POLL_MS=0`), so only the
//! notification can wake it. On SQLite (one process) there is nothing to
//! cross: the test says so and passes.

use crate::common;
use std::time::Duration;

use crate::common::subscriber::Subscriber;
use crate::common::{TestApp, graphql_data, seed};
use serde_json::json;
use xietong::config::{GraphqlArgs, ServeArgs};
use xietong::domain::values::Role;

#[tokio::test]
async fn a_change_through_one_instance_reaches_subscribers_of_another() {
    if std::env::var(common::POSTGRES_ENV).map_or(true, |v| v.is_empty()) {
        eprintln!("skipped: set {} to run it against PostgreSQL", common::POSTGRES_ENV);
        return;
    }
    let never_polls = ServeArgs {
        graphql: GraphqlArgs {
            feed_poll_ms: 0,
            ..GraphqlArgs::default()
        },
        ..crate::common::quiet()
    };
    let app = TestApp::spawn_serving(never_polls.clone()).await;
    let other = app.spawn_sibling_serving(&never_polls).await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let task = seed::task(&app.db, &p, 1, &[]).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let lead = app.bearer("wx-jxw").await;

    let mut socket = Subscriber::connect(other.addr, &lead).await;
    socket
        .subscribe("tasks", "subscription { taskStatusChanged { uuid status } }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let update = "mutation($id: ID!) { updateTask(id: $id, version: 1, input: {status: COMPLETED}) { status } }";
    let answer = app.graphql(Some(&lead), update, json!({"id": task.id})).await;
    graphql_data(&answer);
    let heard = socket
        .next(Duration::from_secs(10))
        .await
        .expect("the other instance passes the change on");
    assert_eq!(heard["type"], "next", "{heard}");
    assert_eq!(
        heard["payload"]["data"]["taskStatusChanged"],
        json!({"uuid": task.id, "status": "COMPLETED"})
    );
    other.stop().await;
}
