//! Visibility is decided once (`authz::Visibility`): for every principal
//! of the permission matrix, a list shows exactly the rows whose read
//! answers 200, and a read of any other row answers 404, for plans, tasks
//! and reports: the SQL condition and the row check select the same rows.

use std::collections::BTreeSet;

use serde_json::Value;
use xietong::domain::Caller;
use xietong::domain::plan::{self, PlanTransition};
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask};
use xietong::domain::values::AssignmentRole;

use crate::common::matrix::{EVERYONE, Who, World};

/// The ids of every row a list shows the holder of `bearer`.
async fn listed(w: &World, bearer: &str, list: &str) -> BTreeSet<String> {
    let answer = w.app.as_bearer(bearer, "GET", &format!("{list}?limit=200"), None).await;
    assert_eq!(answer.status, 200, "{list}: {}", String::from_utf8_lossy(&answer.body));
    let page = answer.json();
    assert!(page["next_cursor"].is_null(), "one page holds them all");
    ids(&page)
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// A task of `plan` that `unit` leads.
async fn task_led_by(w: &World, plan: uuid::Uuid, unit: uuid::Uuid, content: &str) {
    task::create(
        &w.app.db,
        &Caller::system(),
        NewTask {
            plan_id: plan,
            section: None,
            seq: 1,
            category: None,
            content: content.into(),
            deadline: None,
            deadline_text: None,
            leaders: vec![],
            notes: None,
            assignments: vec![AssignmentInput {
                assignee: Assignee::Unit(unit),
                role: AssignmentRole::Lead,
                side: None,
            }],
            targets: vec![],
            external_id: None,
        },
    )
    .await
    .expect("a task");
}

/// A region's own plan, issued, with one task its unit leads.
async fn region_plan(w: &World) {
    let system = Caller::system();
    let draft = w.qianjiang_plan().await;
    plan::transition(&w.app.db, &system, draft.id, draft.version, PlanTransition::Issue)
        .await
        .expect("issued");
    task_led_by(w, draft.id, w.qj_jw, "推进义务教育优质均衡发展").await;
}

#[tokio::test]
async fn every_list_shows_exactly_the_rows_each_principal_may_read() {
    let w = World::new().await;
    let first = w.task(1).await;
    let second = w.task(2).await;
    // Reports in every state by every kind of unit: a lead's consolidated
    // report, supporting units' drafts and submitted ones, a group
    // member's draft.
    w.report(&first, w.p.recipient_unit, true, true).await;
    w.report(&first, w.p.recipient_unit_2, false, false).await;
    w.report(&second, w.p.recipient_unit_2, false, true).await;
    w.report(&first, w.bailu, false, false).await;
    w.report(&second, w.bailu, false, true).await;
    region_plan(&w).await;
    // A unit of 黔江区 supports a task of the pairing's list, which 黔江区
    // takes no part in (the service refuses such an assignment today; a
    // database written before that rule, or by another tool, may hold one):
    // its users see that task, and not the plan's others.
    use sea_orm::{ActiveModelTrait, Set};
    entity::task_assignments::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        task_id: Set(second.id),
        unit_id: Set(Some(w.qj_jw)),
        group_id: Set(None),
        role: Set("supporting".into()),
        side: Set(None),
        position: Set(9),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&w.app.db)
    .await
    .expect("an assignment beyond the unit's region");
    let admin = w.bearer(Who::Admin);
    let every = |list: &'static str| listed(&w, admin, list);
    let all = [
        ("/api/v1/plans", every("/api/v1/plans").await),
        ("/api/v1/tasks", every("/api/v1/tasks").await),
        ("/api/v1/reports", every("/api/v1/reports").await),
    ];
    assert_eq!(all.iter().map(|(_, ids)| ids.len()).collect::<Vec<_>>(), [2, 3, 5]);

    let mut seen = Vec::new();
    for who in EVERYONE {
        let bearer = w.bearer(who);
        for (list, every_id) in &all {
            let shown = listed(&w, bearer, list).await;
            let mut readable = BTreeSet::new();
            for id in every_id {
                let read = w.app.as_bearer(bearer, "GET", &format!("{list}/{id}"), None).await;
                match read.status {
                    200 => {
                        readable.insert(id.clone());
                    }
                    404 => {}
                    other => panic!("{who:?} GET {list}/{id}: {other}"),
                }
            }
            assert_eq!(shown, readable, "{who:?} {list}: listed ≠ readable");
            seen.push((who, *list, shown.len()));
        }
        // Statistics count the tasks the list shows, whether added up from
        // the figures kept per plan (whole plans seen) or task by task (as
        // of a day, or when a unit's tasks reach beyond its plans).
        let tasks = seen
            .iter()
            .find(|(w, l, _)| *w == who && *l == "/api/v1/tasks")
            .map_or(0, |(_, _, n)| *n);
        for query in ["scope=all", "scope=all&as_of=2030-01-01"] {
            let answer = w
                .app
                .as_bearer(bearer, "GET", &format!("/api/v1/statistics?{query}"), None)
                .await;
            match answer.status {
                200 => assert_eq!(
                    answer.json()["tasks"]["total"].as_u64(),
                    Some(tasks as u64),
                    "{who:?} statistics?{query}"
                ),
                403 => {}
                other => panic!("{who:?} statistics?{query}: {other}"),
            }
        }
    }
    // The walk means something only if the sights differ: what each saw.
    let count = |who, list| {
        seen.iter()
            .find(|(w, l, _)| *w == who && *l == list)
            .map(|(_, _, n)| *n)
    };
    assert_eq!(count(Who::Viewer, "/api/v1/reports"), Some(5));
    assert_eq!(count(Who::Coordinator, "/api/v1/reports"), Some(5));
    assert_eq!(count(Who::OtherCoordinator, "/api/v1/plans"), Some(1));
    assert_eq!(count(Who::OtherCoordinator, "/api/v1/reports"), Some(0));
    assert_eq!(count(Who::OtherRegion, "/api/v1/tasks"), Some(2));
    // A supporting unit sees its own draft and the others' submitted ones,
    // not the group member's draft.
    assert_eq!(count(Who::Supporting, "/api/v1/reports"), Some(4));
    assert_eq!(count(Who::GroupMember, "/api/v1/reports"), Some(4));
    // Same region, no role on a task: the plan and its tasks, no report.
    assert_eq!(count(Who::SameRegion, "/api/v1/tasks"), Some(2));
    assert_eq!(count(Who::SameRegion, "/api/v1/reports"), Some(0));
    assert_eq!(count(Who::ClientWrite, "/api/v1/reports"), Some(5));
}
