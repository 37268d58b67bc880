//! Uploading tables over HTTP: `/api/v1/imports/…` with multipart forms.

use crate::common;
use crate::common::{TestApp, assert_problem};
use xietong::domain::values::Role;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("the fixture")
}

/// A multipart body with text fields and the file.
fn form(fields: &[(&str, &str)], file: &str) -> (String, String) {
    let boundary = "xietong-test-boundary-7d1e";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"table.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, bearer: &str, path: &str, fields: &[(&str, &str)], file: &str) -> common::TestResponse {
    let (content_type, body) = form(fields, file);
    app.request_raw("POST", path, body, &content_type, &[("authorization", bearer)])
        .await
}

#[tokio::test]
async fn an_administrator_uploads_the_fixtures_and_a_dry_run_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let regions = upload(&app, &admin, "/api/v1/imports/regions", &[], &fixture("regions.csv")).await;
    assert_eq!(regions.status, 201, "{}", String::from_utf8_lossy(&regions.body));
    assert_eq!(regions.json()["created"], 40);
    let again = upload(&app, &admin, "/api/v1/imports/regions", &[], &fixture("regions.csv")).await;
    assert_eq!(
        (again.json()["created"].as_i64(), again.json()["unchanged"].as_i64()),
        (Some(0), Some(40))
    );
    assert_eq!(
        upload(&app, &admin, "/api/v1/imports/pairings", &[], &fixture("pairings.csv"))
            .await
            .status,
        201
    );

    let pairings = app
        .as_bearer(&admin, "GET", "/api/v1/pairings?limit=200", None)
        .await
        .json();
    let yuzhong = app
        .as_bearer(&admin, "GET", "/api/v1/regions?q=渝中区", None)
        .await
        .json()["items"][0]["id"]
        .clone();
    let pairing = pairings["items"]
        .as_array()
        .expect("pairings")
        .iter()
        .find(|p| p["helper_region_id"] == yuzhong)
        .expect("渝中区·巫溪县")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let pairs = upload(
        &app,
        &admin,
        "/api/v1/imports/unit-pairs",
        &[("pairing_id", &pairing), ("create_missing_units", "true")],
        &fixture("yuzhong-wuxi-2025-unit-pairs.csv"),
    )
    .await;
    assert_eq!(pairs.status, 201, "{}", String::from_utf8_lossy(&pairs.body));
    assert_eq!(pairs.json()["created"], 36);

    let task_fields = |dry_run: &'static str| {
        vec![
            ("pairing_id", pairing.clone()),
            ("year", "2025".to_owned()),
            ("title", "渝中区·巫溪县2025年度对口协同发展任务清单".to_owned()),
            ("create_missing_units", "true".to_owned()),
            ("alias", "区就业人才中心=区就业和人才中心".to_owned()),
            ("alias", "县就业人才事务中心=县就业和人才事务中心".to_owned()),
            ("dry_run", dry_run.to_owned()),
        ]
    };
    let fields = task_fields("true");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dry = upload(
        &app,
        &admin,
        "/api/v1/imports/tasks",
        &borrowed,
        &fixture("yuzhong-wuxi-2025-tasks.csv"),
    )
    .await;
    assert_eq!(dry.status, 200, "{}", String::from_utf8_lossy(&dry.body));
    assert_eq!(dry.json()["dry_run"], true);
    assert_eq!(dry.json()["rows"].as_array().map(Vec::len), Some(16));
    assert_eq!(
        app.as_bearer(&admin, "GET", "/api/v1/plans", None).await.json()["total_count"],
        0
    );

    let fields = task_fields("false");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = upload(
        &app,
        &admin,
        "/api/v1/imports/tasks",
        &borrowed,
        &fixture("yuzhong-wuxi-2025-tasks.csv"),
    )
    .await;
    assert_eq!(done.status, 201, "{}", String::from_utf8_lossy(&done.body));
    let plan_id = done.json()["plan_id"].as_str().expect("a plan").to_owned();
    let plan = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{plan_id}"), None)
        .await;
    assert_eq!(plan.json()["status"], "issued");
    let tasks = app
        .as_bearer(
            &admin,
            "GET",
            &format!("/api/v1/tasks?plan_id={plan_id}&limit=200"),
            None,
        )
        .await;
    assert_eq!(tasks.json()["total_count"], 16);
}

#[tokio::test]
async fn a_failed_upload_is_a_problem_with_its_report() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    upload(&app, &admin, "/api/v1/imports/regions", &[], &fixture("regions.csv")).await;
    let region = app
        .as_bearer(&admin, "GET", "/api/v1/regions?q=涪陵区", None)
        .await
        .json()["items"][0]["id"]
        .as_str()
        .expect("涪陵区")
        .to_owned();
    let fields = [
        ("region_id", region.as_str()),
        ("year", "2025"),
        ("title", "涪陵区2025"),
        ("create_missing_units", "true"),
    ];
    let failed = upload(
        &app,
        &admin,
        "/api/v1/imports/tasks",
        &fields,
        &fixture("fuling-2025-work-report-tasks.csv"),
    )
    .await;
    assert_problem(&failed, 422, "VALIDATION_FAILED");
    let report = &failed.json()["report"];
    assert_eq!(report["written"], false);
    let suggestions: Vec<&str> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["suggestion"].as_str())
        .collect();
    assert_eq!(suggestions, ["区住房城乡建委"]);
    assert_eq!(
        app.as_bearer(&admin, "GET", "/api/v1/plans", None).await.json()["total_count"],
        0
    );
}

#[tokio::test]
async fn bad_uploads_are_problems() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let json = app
        .as_bearer(
            &admin,
            "POST",
            "/api/v1/imports/regions",
            Some(&serde_json::json!({"file": "x"})),
        )
        .await;
    assert_problem(&json, 415, "UNSUPPORTED_MEDIA_TYPE");
    let boundary = "b";
    let no_file = app
        .request_raw(
            "POST",
            "/api/v1/imports/regions",
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\ntrue\r\n--{boundary}--\r\n"
            ),
            "multipart/form-data; boundary=b",
            &[("authorization", &admin)],
        )
        .await;
    assert_problem(&no_file, 422, "VALIDATION_FAILED");
    let bad_flag = upload(
        &app,
        &admin,
        "/api/v1/imports/regions",
        &[("dry_run", "maybe")],
        "code,name,kind,cluster\n",
    )
    .await;
    assert_problem(&bad_flag, 422, "VALIDATION_FAILED");
    let garbage = upload(&app, &admin, "/api/v1/imports/regions", &[], "\u{1}\u{2}\u{3}").await;
    assert_problem(&garbage, 422, "VALIDATION_FAILED");
    let no_token = app
        .request_raw(
            "POST",
            "/api/v1/imports/regions",
            String::new(),
            "multipart/form-data; boundary=b",
            &[],
        )
        .await;
    assert_problem(&no_token, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn only_administrators_import_reference_data() {
    let app = TestApp::spawn().await;
    app.user("viewer", Role::Viewer, None).await;
    let viewer = app.bearer("viewer").await;
    let refused = upload(&app, &viewer, "/api/v1/imports/regions", &[], &fixture("regions.csv")).await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let refused = upload(&app, &viewer, "/api/v1/imports/pairings", &[], &fixture("pairings.csv")).await;
    assert_problem(&refused, 403, "FORBIDDEN");
}

/// A pairing or region named in the form that does not exist is a field of
/// the form that is wrong (422, as in a JSON body), not a missing resource.
#[tokio::test]
async fn an_unknown_pairing_or_region_in_the_form_is_a_validation_problem() {
    let app = TestApp::spawn().await;
    let admin = app.bearer_of_new_admin().await;
    let nowhere = uuid::Uuid::new_v4().to_string();
    let tasks = "序号,重点任务,牵头单位\n1,任务,县发展改革委\n";
    let nowhere = nowhere.as_str();
    let cases = [
        (
            "/api/v1/imports/tasks",
            vec![("year", "2025"), ("title", "清单"), ("pairing_id", nowhere)],
            tasks,
            "pairing_id",
        ),
        (
            "/api/v1/imports/tasks",
            vec![("year", "2025"), ("title", "清单"), ("region_id", nowhere)],
            tasks,
            "region_id",
        ),
        (
            "/api/v1/imports/unit-pairs",
            vec![("pairing_id", nowhere)],
            "序号,渝中区,巫溪县\n1,区商务委,县商务委\n",
            "pairing_id",
        ),
        (
            "/api/v1/imports/events",
            vec![("pairing_id", nowhere)],
            "date,title,amount,amount_unit\n2024-01-01,签约,1,万元\n",
            "pairing_id",
        ),
    ];
    for (path, fields, file, field) in cases {
        let response = upload(&app, &admin, path, &fields, file).await;
        assert_problem(&response, 422, "VALIDATION_FAILED");
        let body = response.json();
        let named = body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["field"] == field)
            || body["report"]["problems"]
                .to_string()
                .contains(&format!("{field}: no pairing"));
        assert!(named, "{path}: {body}");
    }
}

/// A figure whose words name a metric it cannot count towards is a problem
/// of its row and cell, and the import writes nothing: 到位资金 is money
/// (实际到位资金, in 万元), 5000人 counts persons.
#[tokio::test]
async fn a_target_in_a_unit_of_another_dimension_fails_the_import() {
    let (app, admin) = crate::figures::demo_on("2025-07-10").await;
    let pairings = app
        .as_bearer(&admin, "GET", "/api/v1/pairings?limit=100", None)
        .await
        .json();
    let pairing = pairings["items"][0]["id"].as_str().expect("渝中区·巫溪县").to_owned();
    let before = app.as_bearer(&admin, "GET", "/api/v1/plans", None).await.json()["total_count"].clone();
    let table = "序号,协同发展事项,具体任务,巫溪县牵头责任单位,渝中区牵头责任单位\n\
                 1,联手开展招商引资,确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000人以上。,县经济信息委,区经济信息委\n\
                 2,深化文旅产业协作,联动开展旅游营销。,县文化旅游委,区文化旅游委\n";
    let fields = [
        ("pairing_id", pairing.as_str()),
        ("year", "2026"),
        ("title", "渝中区·巫溪县2026年度对口协同发展任务清单"),
    ];
    let failed = upload(&app, &admin, "/api/v1/imports/tasks", &fields, table).await;
    assert_problem(&failed, 422, "VALIDATION_FAILED");
    let report = &failed.json()["report"];
    assert_eq!(
        (report["ok"].as_bool(), report["written"].as_bool()),
        (Some(false), Some(false))
    );
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{report}");
    // The header is line 1: task 1 is line 2, in the 具体任务 cell.
    assert_eq!(problems[0]["line"], 2);
    assert_eq!(problems[0]["column"], "具体任务");
    let message = problems[0]["message"].as_str().expect("a message");
    assert!(message.contains("人") && message.contains("万元"), "{message}");
    assert_eq!(
        app.as_bearer(&admin, "GET", "/api/v1/plans", None).await.json()["total_count"],
        before
    );
}
