//! Uploading a task list and a chronicle through GraphQL (the GraphQL multipart request).

use crate::common;
use crate::common::{TestApp, seed};
use serde_json::{Value, json};
use xietong::domain::values::{Cluster, RegionKind};

const TABLE: &str = "序号,具体任务,牵头责任单位,责任（配合）单位\n1,税收增长5%。,区财政局,各镇街\n2,力争工业投资增长10%。,区发展改革委,\n";

async fn upload(app: &TestApp, bearer: &str, query: &str, variables: Value, file: &str) -> common::TestResponse {
    let boundary = "gql-upload-7d1e";
    let mut variables = variables;
    variables["file"] = Value::Null;
    let operations = json!({ "query": query, "variables": variables });
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"tasks.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{boundary}--\r\n"
    );
    app.request_raw(
        "POST",
        "/graphql",
        body,
        &format!("multipart/form-data; boundary={boundary}"),
        &[("authorization", bearer)],
    )
    .await
}

const MUTATION: &str = "mutation($file: Upload!, $region: ID!, $dry: Boolean) { \
    importTasks(file: $file, input: {year: 2025, title: \"涪陵区2025年任务\", regionId: $region, createMissingUnits: true, dryRun: $dry}) { ok dryRun written planId tasks groupsCreated rows { line lead { written name how } } problems { line column message } } }";

#[tokio::test]
async fn a_task_list_uploads_through_graphql_with_a_dry_run_first() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let fuling = seed::region(
        &app.db,
        Some("500102"),
        "涪陵区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;

    let dry = upload(&app, &admin, MUTATION, json!({"region": fuling, "dry": true}), TABLE).await;
    assert_eq!(dry.status, 200, "{}", String::from_utf8_lossy(&dry.body));
    let report = &dry.json()["data"]["importTasks"];
    assert_eq!(
        (
            report["ok"].as_bool(),
            report["dryRun"].as_bool(),
            report["written"].as_bool()
        ),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.as_bearer(&admin, "GET", "/api/v1/plans", None).await.json()["total_count"],
        0
    );

    let done = upload(&app, &admin, MUTATION, json!({"region": fuling, "dry": false}), TABLE).await;
    let report = &done.json()["data"]["importTasks"];
    assert_eq!(report["written"], true, "{}", done.json());
    assert!(report["planId"].as_str().is_some_and(|id| id.len() == 36), "{report}");
    assert_eq!(report["tasks"], 2);
    assert_eq!(report["groupsCreated"], json!(["各镇街"]));
    assert_eq!(
        app.as_bearer(&admin, "GET", "/api/v1/plans", None).await.json()["total_count"],
        1
    );
}

#[tokio::test]
async fn a_bad_upload_is_a_graphql_error() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let no_owner = "mutation($file: Upload!) { importTasks(file: $file, input: {year: 2025, title: \"x\"}) { ok } }";
    let answer = upload(&app, &admin, no_owner, json!({}), TABLE).await.json();
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
        "{answer}"
    );
    let fuling = seed::region(
        &app.db,
        Some("500102"),
        "涪陵区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let garbage = upload(
        &app,
        &admin,
        MUTATION,
        json!({"region": fuling, "dry": false}),
        "\u{1}\u{2}",
    )
    .await
    .json();
    assert_eq!(garbage["data"]["importTasks"]["ok"], false, "{garbage}");
    assert_eq!(garbage["data"]["importTasks"]["written"], false);
}

const CHRONICLE: &str = "date,title,amount,amount_unit\n2021-06-30,渝中区与巫溪县签订林业碳汇指标购买协议,21150,万元\n2021-09-01,巫溪县农特产品展销中心在解放碑开业,,\n";
const IMPORT_EVENTS: &str = "mutation($file: Upload!, $pairing: ID!, $dry: Boolean) { \
    importEvents(file: $file, pairingId: $pairing, dryRun: $dry) { ok created unchanged problems { line message } } }";

#[tokio::test]
async fn a_chronicle_uploads_through_graphql_for_its_coordinator_only() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let pairing = common::graphql_data(
        &app.graphql(
            Some(&admin),
            "query($id: ID!) { pairing(id: $id) { id } }",
            json!({"id": p.pairing.to_string()}),
        )
        .await,
    )["pairing"]["id"]
        .clone();

    let dry = upload(
        &app,
        &admin,
        IMPORT_EVENTS,
        json!({"pairing": pairing, "dry": true}),
        CHRONICLE,
    )
    .await;
    assert_eq!(dry.status, 200, "{}", String::from_utf8_lossy(&dry.body));
    assert_eq!(dry.json()["data"]["importEvents"]["ok"], true, "{}", dry.json());
    let events = "query($id: ID!) { events(pairingId: $id) { nodes { occurredOn title amounts { value unit } } } }";
    let none = app.graphql(Some(&admin), events, json!({"id": pairing})).await;
    assert_eq!(
        common::graphql_data(&none)["events"]["nodes"],
        json!([]),
        "a dry run writes nothing"
    );

    let outsider = app.bearer_of_outsider().await;
    let refused = upload(&app, &outsider, IMPORT_EVENTS, json!({"pairing": pairing}), CHRONICLE).await;
    assert_eq!(
        common::graphql_code(&refused.json()),
        Some("FORBIDDEN"),
        "{}",
        refused.json()
    );
    assert!(refused.json()["data"].is_null(), "{}", refused.json());

    let done = upload(&app, &admin, IMPORT_EVENTS, json!({"pairing": pairing}), CHRONICLE).await;
    assert_eq!(done.json()["data"]["importEvents"]["ok"], true, "{}", done.json());
    let listed = app.graphql(Some(&admin), events, json!({"id": pairing})).await;
    let nodes = common::graphql_data(&listed)["events"]["nodes"].clone();
    assert_eq!(nodes.as_array().map(Vec::len), Some(2), "{nodes}");
    assert!(
        nodes
            .as_array()
            .into_iter()
            .flatten()
            .any(|n| n["amounts"] == json!([{"value": "21150", "unit": "万元"}])),
        "{nodes}"
    );
}
