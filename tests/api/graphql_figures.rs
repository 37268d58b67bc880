//! Statistics, the reporting calendar and task progress over GraphQL: the
//! same figures as REST on the same data, and the same refusals.

use crate::common::{TestApp, graphql_code, graphql_data, seed};
use serde_json::{Value, json};

const FIGURES: &str = r#"query($plan: ID!) {
  statistics(year: 2025) {
    tasks { total inProgress completionRate onTimeRate overdue }
    metrics { metric unit targets targetTotal actualTotal }
    byPairing { pairing { uuid } tasks { total } metrics { metric actualTotal } }
    overdue { uuid seq }
  }
  calendar(on: "2025-07-11", year: 2025, status: LATE, limit: 2) {
    on total nextOffset
    counts { open submitted submittedLate late }
    items { unit { name } role period dueOn status }
  }
  lateUnits(on: "2025-07-11", year: 2025) { units { unitName late oldestDueOn items { period } } }
  plan(id: $plan) {
    calendar { monthlyDueDay quarterlyDueDay yearlyDue yearlyDueOn summaryDueOn }
    tasks(first: 10) { nodes { seq progress { percent source asOf overdue targets { comparator value actual percent met } } } }
  }
}"#;

#[tokio::test]
async fn figures_in_graphql_are_those_of_rest() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    let t = seed::task(&app.db, &p, 1, &["5000"]).await;
    seed::report_on(
        &app.db,
        &t,
        p.recipient_unit,
        "2025-Q1",
        &[(0, "1000")],
        Some("2025-04-08"),
        true,
    )
    .await;
    seed::report_on(
        &app.db,
        &t,
        p.recipient_unit,
        "2025-Q2",
        &[(0, "3000")],
        Some("2025-07-15"),
        true,
    )
    .await;
    seed::task(&app.db, &p, 2, &["0.1", "0.2"]).await;

    let plan_id = graphql_data(
        &app.graphql(
            Some(&admin),
            "query($id: ID!) { plan(id: $id) { id } }",
            json!({"id": p.plan.to_string()}),
        )
        .await,
    )["plan"]["id"]
        .clone();
    let answer = app.graphql(Some(&admin), FIGURES, json!({ "plan": plan_id })).await;
    let data = graphql_data(&answer);

    let rest = app
        .as_bearer(&admin, "GET", "/api/v1/statistics?year=2025", None)
        .await
        .json();
    let stats = &data["statistics"];
    assert_eq!(stats["tasks"]["total"], rest["tasks"]["total"]);
    assert_eq!(stats["tasks"]["completionRate"], rest["tasks"]["completion_rate"]);
    assert_eq!(stats["tasks"]["overdue"], rest["tasks"]["overdue"]);
    let funds = &stats["metrics"][0];
    assert_eq!(
        (
            funds["metric"].as_str(),
            funds["targetTotal"].as_str(),
            funds["actualTotal"].as_str()
        ),
        (Some("investment_funds"), Some("5000.3"), Some("3000"))
    );
    assert_eq!(stats["byPairing"][0]["pairing"]["uuid"], p.pairing.to_string());
    assert_eq!(stats["byPairing"][0]["metrics"][0]["actualTotal"], "3000");
    let overdue: Vec<Value> = rest["overdue"]
        .as_array()
        .expect("overdue")
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    let overdue_gql: Vec<Value> = stats["overdue"]
        .as_array()
        .expect("overdue")
        .iter()
        .map(|o| o["uuid"].clone())
        .collect();
    assert_eq!(overdue_gql, overdue);

    // Default rhythm, seen on 07-11: Q2 was due 07-10 and came on 07-15.
    let calendar = &data["calendar"];
    let rest = app
        .as_bearer(&admin, "GET", "/api/v1/calendar?on=2025-07-11&year=2025", None)
        .await
        .json();
    let c = &rest["counts"];
    assert_eq!(
        calendar["counts"],
        json!({"open": c["open"], "submitted": c["submitted"], "submittedLate": c["submitted_late"], "late": c["late"]})
    );
    assert_eq!(calendar["total"], c["late"]);
    assert_eq!(calendar["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(calendar["nextOffset"], 2);
    assert_eq!(calendar["items"][0]["status"], "LATE");
    assert_eq!(calendar["items"][0]["dueOn"], "2025-02-05", "January's monthly report");

    let rest = app
        .as_bearer(&admin, "GET", "/api/v1/calendar/late?on=2025-07-11&year=2025", None)
        .await
        .json();
    let late = data["lateUnits"]["units"].as_array().expect("units");
    assert_eq!(late.len(), rest["units"].as_array().map_or(0, Vec::len));
    for (g, r) in late.iter().zip(rest["units"].as_array().expect("units")) {
        assert_eq!((&g["unitName"], &g["late"]), (&r["unit_name"], &r["late"]));
    }

    let plan = &data["plan"];
    assert_eq!(
        plan["calendar"],
        json!({"monthlyDueDay": 5, "quarterlyDueDay": 10, "yearlyDue": "11-20", "yearlyDueOn": "2025-11-20", "summaryDueOn": "2025-12-20"})
    );
    let first = &plan["tasks"]["nodes"][0]["progress"];
    assert_eq!(
        (
            first["percent"].as_str(),
            first["source"].as_str(),
            first["asOf"].as_str()
        ),
        (Some("60.00"), Some("TARGETS"), Some("2025-Q2"))
    );
    assert_eq!(
        first["targets"][0],
        json!({"comparator": "AT_LEAST", "value": "5000", "actual": "3000", "percent": "60.00", "met": false})
    );
    let rest = app
        .as_bearer(&admin, "GET", &format!("/api/v1/plans/{}/progress", p.plan), None)
        .await
        .json();
    let second = &plan["tasks"]["nodes"][1]["progress"];
    assert_eq!(second["percent"], rest["tasks"][1]["percent"]);
    assert_eq!(second["percent"], "0.00", "targets without an approved figure");
}

#[tokio::test]
async fn graphql_refuses_bad_calendars_and_shows_outsiders_nothing() {
    let app = TestApp::spawn().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let admin = app.bearer_of_new_admin().await;
    seed::task(&app.db, &p, 1, &["5000"]).await;
    let plan = graphql_data(
        &app.graphql(
            Some(&admin),
            "query($id: ID!) { plan(id: $id) { id version } }",
            json!({"id": p.plan.to_string()}),
        )
        .await,
    )["plan"]
        .clone();
    let update = "mutation($id: ID!, $v: Int!, $input: UpdatePlanInput!) { updatePlan(id: $id, version: $v, input: $input) { version calendar { monthlyDueDay yearlyDue } } }";
    let bad = app
        .graphql(
            Some(&admin),
            update,
            json!({"id": plan["id"], "v": plan["version"], "input": {"calendar": {"monthlyDueDay": 29, "quarterlyDueDay": 10, "yearlyDue": "11-20", "summaryDue": "12-20"}}}),
        )
        .await;
    assert_eq!(graphql_code(&bad), Some("VALIDATION_FAILED"), "{bad}");
    let good = app
        .graphql(
            Some(&admin),
            update,
            json!({"id": plan["id"], "v": plan["version"], "input": {"calendar": {"monthlyDueDay": null, "quarterlyDueDay": 15, "yearlyDue": "11-30", "summaryDue": "12-20"}}}),
        )
        .await;
    assert_eq!(
        graphql_data(&good)["updatePlan"]["calendar"],
        json!({"monthlyDueDay": null, "yearlyDue": "11-30"})
    );

    let limit = app
        .graphql(Some(&admin), "{ calendar(limit: 0) { total } }", json!({}))
        .await;
    assert_eq!(graphql_code(&limit), Some("VALIDATION_FAILED"), "{limit}");
    let anonymous = app.graphql(None, "{ statistics { tasks { total } } }", json!({})).await;
    assert_eq!(graphql_code(&anonymous), Some("UNAUTHENTICATED"), "{anonymous}");

    let outsider = app.bearer_of_outsider().await;
    let seen = app
        .graphql(
            Some(&outsider),
            r#"{ statistics { tasks { total } } calendar(on: "2025-12-01", year: 2025) { total } lateUnits(on: "2025-12-01") { units { late } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        *graphql_data(&seen),
        json!({"statistics": {"tasks": {"total": 0}}, "calendar": {"total": 0}, "lateUnits": {"units": []}})
    );
}

/// A field error names the field as GraphQL does, also when the domain
/// found it: `overdueLimit`, `reporting.remindDays`, not REST's
/// `overdue_limit`.
#[tokio::test]
async fn field_errors_carry_graphql_names() {
    let (app, admin) = crate::figures::demo_on("2025-07-10").await;
    let answer = app
        .graphql(Some(&admin), "{ statistics(overdueLimit: 500) { asOf } }", json!({}))
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["errors"][0]["field"], "overdueLimit", "{answer}");
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.contains("overdueLimit: ") && !message.contains("overdue_limit"),
        "{message}"
    );

    let plans = crate::figures::get(&app, &admin, "/api/v1/plans?year=2025").await;
    let plan = &plans["items"][0];
    let answer = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!, $version: Int!) { updatePlan(id: $id, version: $version, input: {reporting: {remindDays: 99}}) { version } }",
            json!({"id": plan["id"], "version": plan["version"]}),
        )
        .await;
    assert_eq!(graphql_code(&answer), Some("VALIDATION_FAILED"), "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["errors"][0]["field"], "reporting.remindDays",
        "{answer}"
    );
}
