//! `/healthz` and `/readyz` over HTTP, on the backend the suite runs on.

use crate::common::TestApp;

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn readyz_says_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["database"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn readyz_says_so_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.clone().close().await.expect("close the pool");
    let response = app.get("/readyz").await;
    assert_eq!(response.status, 503);
    assert_eq!(response.json()["database"], "unreachable");
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let made = app.get("/healthz").await;
    let id = made.header("x-request-id").expect("a request id is made");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let echoed = app
        .request("GET", "/healthz", None, &[("x-request-id", "portal-42")])
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("portal-42"));
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_path_is_404() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/nowhere").await.status, 404);
    app.stop().await;
}
