//! Operations not walked elsewhere over HTTP: an administrator resetting a
//! password, exporting a plan, uploading a chronicle.

use crate::common::{TestApp, assert_problem, seed};
use serde_json::json;
use xietong::domain::values::Role;

#[tokio::test]
async fn an_administrator_resets_a_password_and_the_old_sessions_end() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let viewer = app.user("viewer", Role::Viewer, None).await;
    let refresh = app.login("viewer").await["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let path = format!("/api/v1/users/{viewer}/password");
    let short = app
        .as_bearer(&admin, "POST", &path, Some(&json!({"password": "short"})))
        .await;
    assert_problem(&short, 422, "VALIDATION_FAILED");
    let unknown = app
        .as_bearer(
            &admin,
            "POST",
            &format!("/api/v1/users/{}/password", uuid::Uuid::new_v4()),
            Some(&json!({"password": "a-long-password"})),
        )
        .await;
    assert_problem(&unknown, 404, "NOT_FOUND");
    let by_viewer = app
        .as_bearer(
            &app.bearer("viewer").await,
            "POST",
            &path,
            Some(&json!({"password": "a-long-password"})),
        )
        .await;
    assert_problem(&by_viewer, 403, "FORBIDDEN");
    let done = app
        .as_bearer(&admin, "POST", &path, Some(&json!({"password": "a-long-password"})))
        .await;
    assert_eq!(done.status, 204);
    let old = app
        .request(
            "POST",
            "/api/v1/auth/refresh",
            Some(&json!({"refresh_token": refresh})),
            &[],
        )
        .await;
    assert_problem(&old, 401, "UNAUTHENTICATED");
    let login = app
        .request(
            "POST",
            "/api/v1/auth/login",
            Some(&json!({"username": "viewer", "password": "a-long-password"})),
            &[],
        )
        .await;
    assert_eq!(login.status, 200);
}

#[tokio::test]
async fn a_plan_exports_as_xlsx_and_csv() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    seed::task(&app.db, &p, 1, &["5000"]).await;
    let admin = app.bearer_of_new_admin().await;
    let xlsx = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{}/export", p.plan), None)
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.header("content-type").is_some_and(|c| c.contains("spreadsheetml")));
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a zip");
    let csv = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/plans/{}/export?format=csv", p.plan),
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body.to_vec()).expect("UTF-8");
    assert!(
        text.contains("序号,协同发展事项,具体任务,完成时限,巫溪县牵头责任单位"),
        "{text}"
    );
    assert!(text.contains("力争实际到位资金5000万元以上"));
    let bad = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/plans/{}/export?format=pdf", p.plan),
            None,
        )
        .await;
    assert_problem(&bad, 422, "VALIDATION_FAILED");
    let missing = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/plans/{}/export", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    assert_problem(&missing, 404, "NOT_FOUND");
}

#[tokio::test]
async fn a_chronicle_uploads_over_http() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let boundary = "chronicle-b";
    let form = |file: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"pairing_id\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"events.csv\"\r\n\r\n{file}\r\n--{boundary}--\r\n",
            p.pairing
        )
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let good = "date,title,amount,amount_unit\n2021-06-18,购买森林面积指标,21150,万元\n";
    let done = app
        .request_raw(
            "POST",
            "/api/v1/imports/events",
            form(good),
            &content_type,
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(done.status, 201, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(done.json()["created"], 1);
    let again = app
        .request_raw(
            "POST",
            "/api/v1/imports/events",
            form(good),
            &content_type,
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(again.json()["unchanged"], 1);
    let bad = "date,title,amount,amount_unit\n2021-13-01,坏日期,,\n";
    let failed = app
        .request_raw(
            "POST",
            "/api/v1/imports/events",
            form(bad),
            &content_type,
            &[("authorization", &admin)],
        )
        .await;
    assert_problem(&failed, 422, "VALIDATION_FAILED");
    let outsider = app.bearer_of_outsider().await;
    let refused = app
        .request_raw(
            "POST",
            "/api/v1/imports/events",
            form(good),
            &content_type,
            &[("authorization", &outsider)],
        )
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let events = app
        .as_bearer(&admin, "GET", &format!("/api/v1/events?pairing_id={}", p.pairing), None)
        .await;
    assert_eq!(events.json()["items"][0]["amounts"][0]["value"], "21150");
}
