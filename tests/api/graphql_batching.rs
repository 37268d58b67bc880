//! No N+1: a nested query (plan → tasks → units, groups, targets →
//! reports → values, units) runs the same number of SQL statements over
//! 10 and over 100 tasks, counted by sea-orm's metric callback on the
//! app's own connection.

use std::sync::atomic::Ordering;

use crate::common::{TestApp, graphql_data, seed};
use serde_json::json;
use xietong::domain::Caller;
use xietong::domain::report::{self, NewReport, Transition, ValueInput};
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask};
use xietong::domain::unit::{self, UnitGroupInput};
use xietong::domain::values::{Amount, AssignmentRole, ReportPeriod, Role, Side, UnitKind};

/// Every relation below is asked for in one wave (all tasks come from
/// one batch), so each loader runs once: the count is exact.
const NESTED: &str = "query($id: ID!) {
  plan(id: $id) {
    title
    tasks(first: 200) {
      totalCount
      nodes {
        seq content overdue
        plan { title }
        assignments { name role side unit { name } group { name } }
        targets { metric value unit }
        reports { period status consolidated values { targetUuid actual } }
      }
    }
  }
}";

/// Wider: the pairing's regions, the units' regions, the reports' units.
/// Two branches may ask the same loader (regions) at moments that depend
/// on the database's speed, so a loader may run once or twice: the count
/// is bounded, whatever the number of tasks, but not fixed.
const WIDE: &str = "query($id: ID!) {
  plan(id: $id) {
    pairing { helperRegion { name } recipientRegion { name } coHelperRegions { name } }
    tasks(first: 200) {
      nodes {
        plan { pairing { helperRegion { name } } }
        assignments { unit { name region { name } } group { name region { name } } }
        targets { value }
        reports { values { actual } unit { name region { name } } task { seq } }
      }
    }
  }
}";

/// The statements of the two queries as two principals.
struct Counts {
    nested: Vec<usize>,
    wide: Vec<usize>,
    shown: usize,
}

/// Seeds a plan of `tasks` tasks, each with a group among its units, a
/// target, the lead unit's submitted consolidated report and the
/// supporting unit's draft; answers the statements the nested query ran
/// as a coordinator and as the supporting unit, and the tasks it showed.
async fn statements_for(tasks: i32) -> Counts {
    let (app, counter) = TestApp::counted().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let fgw = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
    seed::unit(&app.db, p.recipient, "白鹿镇", UnitKind::Town).await;
    let group = unit::create_group(
        &app.db,
        &Caller::system(),
        UnitGroupInput {
            region_id: p.recipient,
            name: "各镇街".into(),
            rule_kinds: Some(vec![UnitKind::Town]),
            member_ids: vec![],
            aliases: vec![],
            description: None,
        },
    )
    .await
    .expect("group");
    let system = Caller::system();
    for seq in 1..=tasks {
        let made = task::create(
            &app.db,
            &system,
            NewTask {
                plan_id: p.plan,
                section: None,
                seq,
                category: None,
                content: format!("任务{seq}"),
                deadline: None,
                deadline_text: None,
                leaders: vec![],
                notes: None,
                assignments: vec![
                    AssignmentInput {
                        assignee: Assignee::Unit(p.recipient_unit),
                        role: AssignmentRole::Lead,
                        side: Some(Side::Recipient),
                    },
                    AssignmentInput {
                        assignee: Assignee::Unit(p.recipient_unit_2),
                        role: AssignmentRole::Supporting,
                        side: Some(Side::Recipient),
                    },
                    AssignmentInput {
                        assignee: Assignee::Group(group.id),
                        role: AssignmentRole::Supporting,
                        side: Some(Side::Recipient),
                    },
                ],
                targets: vec![seed::funds_target("5000")],
                external_id: None,
            },
        )
        .await
        .expect("task");
        let consolidated = report::create(
            &app.db,
            &system,
            NewReport {
                task_id: made.id,
                unit_id: Some(p.recipient_unit),
                period: ReportPeriod::parse("2025-06").expect("period"),
                consolidated: true,
                text: "进展".into(),
                values: vec![ValueInput {
                    target_id: made.targets[0].id,
                    actual: Amount::parse("1200").expect("amount"),
                    unit: None,
                }],
                external_id: None,
            },
        )
        .await
        .expect("report");
        report::transition(&app.db, &system, consolidated.id, None, Transition::Submit)
            .await
            .expect("submit");
        report::create(
            &app.db,
            &system,
            NewReport {
                task_id: made.id,
                unit_id: Some(p.recipient_unit_2),
                period: ReportPeriod::parse("2025-06").expect("period"),
                consolidated: false,
                text: "配合单位草稿".into(),
                values: vec![],
                external_id: None,
            },
        )
        .await
        .expect("draft");
    }
    app.user("wx-fgw", Role::Coordinator, Some(fgw)).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let coordinator = app.bearer("wx-fgw").await;
    let lead = app.bearer("wx-jxw").await;

    let mut counts = Vec::new();
    let mut wide = Vec::new();
    let mut shown = 0;
    for (bearer, drafts_seen) in [(&coordinator, true), (&lead, false)] {
        counter.store(0, Ordering::SeqCst);
        let answer = app.graphql(Some(bearer), NESTED, json!({"id": p.plan})).await;
        counts.push(counter.load(Ordering::SeqCst));
        let data = graphql_data(&answer);
        let nodes = data["plan"]["tasks"]["nodes"].as_array().expect("tasks");
        shown = nodes.len();
        for node in nodes {
            let reports = node["reports"].as_array().expect("reports");
            // The lead unit never sees its supporting unit's draft.
            assert_eq!(reports.len(), if drafts_seen { 2 } else { 1 }, "{node}");
            assert_eq!(node["assignments"][2]["group"]["name"], "各镇街");
            assert_eq!(node["assignments"][0]["unit"]["name"], "县经济信息委");
            let consolidated = reports
                .iter()
                .find(|r| r["consolidated"] == true)
                .expect("the consolidated report");
            assert_eq!(consolidated["values"][0]["actual"], "1200");
        }
        counter.store(0, Ordering::SeqCst);
        let answer = app.graphql(Some(bearer), WIDE, json!({"id": p.plan})).await;
        wide.push(counter.load(Ordering::SeqCst));
        let data = graphql_data(&answer);
        assert_eq!(data["plan"]["tasks"]["nodes"].as_array().map(Vec::len), Some(shown));
        assert_eq!(data["plan"]["pairing"]["helperRegion"]["name"], "渝中区");
    }
    Counts {
        nested: counts,
        wide,
        shown,
    }
}

#[tokio::test]
async fn a_nested_query_runs_as_many_statements_over_10_as_over_100_tasks() {
    let ten = statements_for(10).await;
    let hundred = statements_for(100).await;
    assert_eq!((ten.shown, hundred.shown), (10, 100));
    let [coordinator_10, lead_10] = [ten.nested[0], ten.nested[1]];
    let [coordinator_100, lead_100] = [hundred.nested[0], hundred.nested[1]];
    assert_eq!(
        coordinator_10, coordinator_100,
        "statements of the nested query as a coordinator: {coordinator_10} over 10 tasks, {coordinator_100} over 100"
    );
    assert_eq!(
        lead_10, lead_100,
        "statements of the nested query as a lead unit: {lead_10} over 10 tasks, {lead_100} over 100"
    );
    assert!(
        coordinator_10 <= 40 && lead_10 <= 40,
        "a small number: {coordinator_10}, {lead_10}"
    );
    // The wider query: a region load may split in two, never grow with the
    // rows (each task list also judges its lights: its plans, latest
    // approved reports, assignments, groups and reports owed, a fixed dozen).
    for (n, counts) in [(10, &ten.wide), (100, &hundred.wide)] {
        assert!(
            counts.iter().all(|c| *c <= 75),
            "the wider query over {n} tasks: {counts:?}"
        );
    }
    eprintln!(
        "statements: coordinator {coordinator_10}, lead unit {lead_10}; wider query {:?} over 10, {:?} over 100",
        ten.wide, hundred.wide
    );
}
