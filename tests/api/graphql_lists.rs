//! A task's reports, their values, its targets and its assignments are
//! resolved in place when nothing in them waits on a loader, and the usual
//! way when something does (`unit { name }`). Both ways
//! must give the same answer, through aliases, fragments, `__typename`,
//! fields selected twice and directives.

use crate::common::{TestApp, graphql_data, seed};
use serde_json::{Value, json};

/// A task with two targets, 县经济信息委's consolidated reports on two
/// quarters (one approved, one a draft without values) and 县商务委's
/// submitted report; and an admin's bearer.
async fn task_with_reports(app: &TestApp) -> (String, String) {
    let p = seed::yuzhong_wuxi(&app.db).await;
    let t = seed::task(&app.db, &p, 1, &["5000", "12"]).await;
    seed::report_on(
        &app.db,
        &t,
        p.recipient_unit,
        "2025-Q1",
        &[(0, "1000"), (1, "3")],
        Some("2025-04-08"),
        true,
    )
    .await;
    seed::report_on(&app.db, &t, p.recipient_unit, "2025-Q2", &[], None, false).await;
    seed::report_on(
        &app.db,
        &t,
        p.recipient_unit_2,
        "2025-Q1",
        &[(1, "2")],
        Some("2025-04-09"),
        false,
    )
    .await;
    (t.id.to_string(), app.bearer_of_new_admin().await)
}

/// The task's lists as `fields` select them (`WAITING` marks where a
/// field may go), and again with `unit { name }` at each `WAITING`, which
/// sends those lists the usual way; `unit` is removed from the second
/// answer after checking it came.
async fn both_ways(app: &TestApp, bearer: &str, id: &str, fields: &str) -> (Value, Value) {
    let mut declared = String::from("$id: ID!");
    for flag in ["$yes", "$no"] {
        if fields.contains(flag) {
            declared.push_str(&format!(", {flag}: Boolean!"));
        }
    }
    let fragment = if fields.contains("...R") {
        "fragment R on Report { uuid values { targetUuid } }"
    } else {
        ""
    };
    let query = |waiting: &str| {
        format!(
            "query({declared}) {{ task(id: $id) {{ {} }} }} {fragment}",
            fields.replace("WAITING", waiting)
        )
    };
    let (in_place, usual) = (query(""), query("unit { name } "));
    let vars = json!({"id": id, "yes": true, "no": false});
    let first = graphql_data(&app.graphql(Some(bearer), &in_place, vars.clone()).await)["task"].clone();
    let mut second = graphql_data(&app.graphql(Some(bearer), &usual, vars).await)["task"].clone();
    for list in ["reports", "assignments"] {
        if let Some(items) = second.get_mut(list).and_then(Value::as_array_mut) {
            for item in items {
                let unit = item.as_object_mut().and_then(|o| o.remove("unit"));
                assert!(
                    unit.is_some_and(|u| u["name"].is_string()),
                    "a {list} item without its unit"
                );
            }
        }
    }
    (first, second)
}

#[tokio::test]
async fn lists_read_in_place_answer_as_the_usual_way() {
    let app = TestApp::spawn().await;
    let (id, admin) = task_with_reports(&app).await;
    let fields = "
        reports { WAITING __typename id uuid period consolidated status text submittedAt reviewedAt returnReason
                  createdAt version values { __typename targetUuid actual } }
        targets { __typename uuid metric label comparator value valueMax unit sourceText }
        assignments { WAITING __typename name role side unitUuid groupUuid }";
    let (in_place, usual) = both_ways(&app, &admin, &id, fields).await;
    assert_eq!(in_place, usual);

    let reports = in_place["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 3, "{in_place}");
    assert!(reports.iter().all(|r| r["__typename"] == "Report"));
    let q1 = reports
        .iter()
        .find(|r| r["period"] == "2025-Q1" && r["consolidated"] == true)
        .expect("the consolidated Q1 report");
    assert_eq!(q1["status"], "APPROVED");
    assert_eq!(q1["values"].as_array().map(Vec::len), Some(2));
    assert_eq!(q1["values"][0]["__typename"], "ReportValue");
    let actuals: Vec<&Value> = q1["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| &v["actual"])
        .collect();
    assert!(
        actuals.contains(&&json!("1000")) && actuals.contains(&&json!("3")),
        "{q1}"
    );
    let draft = reports.iter().find(|r| r["period"] == "2025-Q2").expect("the draft");
    assert_eq!(draft["values"], json!([]));
    assert_eq!(draft["submittedAt"], Value::Null);
    assert_eq!(in_place["targets"][1]["value"], "12");
    assert_eq!(in_place["assignments"][0]["name"], "县经济信息委");
    assert_eq!(in_place["assignments"][0]["__typename"], "Assignment");
}

#[tokio::test]
async fn aliases_fragments_and_fields_selected_twice_merge_in_place_as_the_usual_way() {
    let app = TestApp::spawn().await;
    let (id, admin) = task_with_reports(&app).await;
    let fields = "
        reports {
          WAITING
          ...R
          quarter: period
          ... on Report { values { actual } status }
          ... on Node { id }
          ... { kind: __typename }
          values { targetUuid }
          period
        }
        assignments { WAITING role ... on Assignment { name } }";
    let (in_place, usual) = both_ways(&app, &admin, &id, fields).await;
    assert_eq!(in_place, usual);

    for report in in_place["reports"].as_array().expect("reports") {
        let mut keys: Vec<&str> = report
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["id", "kind", "period", "quarter", "status", "uuid", "values"],
            "{report}"
        );
        assert_eq!(report["kind"], "Report");
        assert_eq!(report["quarter"], report["period"]);
        for value in report["values"].as_array().expect("values") {
            // The fragment's targetUuid and the inline fragment's actual, merged.
            assert!(
                value["targetUuid"].is_string() && value["actual"].is_string(),
                "{value}"
            );
        }
    }
    let q1 = in_place["reports"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["values"].as_array().is_some_and(|v| v.len() == 2)))
        .expect("the report with two values");
    assert!(
        q1["values"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v["actual"] == "3"),
        "{q1}"
    );
}

#[tokio::test]
async fn directives_on_list_fields_answer_as_the_usual_way() {
    let app = TestApp::spawn().await;
    let (id, admin) = task_with_reports(&app).await;
    let fields = "
        reports { WAITING period text @include(if: $yes) status @skip(if: $yes) values @include(if: $yes) { actual @skip(if: $no) } }
        targets { value @include(if: $no) label @skip(if: $no) }";
    let (in_place, usual) = both_ways(&app, &admin, &id, fields).await;
    assert_eq!(in_place, usual);

    let report = &in_place["reports"][0];
    assert!(report["text"].is_string() && report.get("status").is_none(), "{report}");
    assert!(report["values"].is_array());
    let target = &in_place["targets"][0];
    assert!(
        target.get("value").is_none() && target["label"] == "实际到位资金",
        "{target}"
    );
}
