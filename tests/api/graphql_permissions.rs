//! The permission matrix of DOMAIN.md walked through GraphQL: the same
//! principals, world and expectations as the REST walk
//! (`tests/api/permissions.rs`, `tests/api/common/matrix.rs`); a status there is
//! the same outcome here: success, or the error code of that status.

use crate::common::graphql_code;
use crate::common::matrix::{self, EVERYONE, Who, World};
use serde_json::{Value, json};

/// What an HTTP status of the matrix means in GraphQL: no error for a
/// success, else the code CONTRACT.md gives that status.
fn outcome_of_status(status: u16) -> Option<&'static str> {
    match status {
        200..=299 => None,
        403 => Some("FORBIDDEN"),
        404 => Some("NOT_FOUND"),
        409 => Some("CONFLICT"),
        412 => Some("VERSION_CONFLICT"),
        422 => Some("VALIDATION_FAILED"),
        other => panic!("the matrix has no status {other}"),
    }
}

impl World {
    async fn gql(&self, who: Who, query: &str, variables: Value) -> Value {
        self.app.graphql(Some(self.bearer(who)), query, variables).await
    }

    /// The outcome of an operation: none when it succeeded, else its code.
    async fn outcome(&self, who: Who, query: &str, variables: Value) -> Option<String> {
        let answer = self.gql(who, query, variables).await;
        match graphql_code(&answer) {
            Some(code) => Some(code.to_owned()),
            None => {
                assert!(answer["data"].is_object(), "{answer}");
                None
            }
        }
    }
}

/// Checks one operation for everyone against the matrix.
async fn walk<F, Fut>(operation: &str, expected: &[(Who, u16)], mut run: F)
where
    F: FnMut(Who, i32) -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    assert_eq!(
        expected.len(),
        EVERYONE.len(),
        "{operation}: one expectation per principal"
    );
    let mut wrong = Vec::new();
    for (n, who) in (1..).zip(EVERYONE) {
        let status = expected
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, s)| *s)
            .expect("an expectation");
        let want = outcome_of_status(status);
        let got = run(who, n).await;
        if got.as_deref() != want {
            wrong.push(format!("{who:?}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{operation}:\n{}", wrong.join("\n"));
}

use Who::*;

const UPDATE_TASK: &str = "mutation($id: ID!, $v: Int!, $input: UpdateTaskInput!) { updateTask(id: $id, version: $v, input: $input) { version } }";
const CREATE_REPORT: &str = "mutation($input: CreateReportInput!) { createReport(input: $input) { uuid } }";

#[tokio::test]
async fn reading_and_listing_tasks() {
    let w = World::new().await;
    let t = w.task(100).await;
    walk("task(id:)", &matrix::READ_TASK, |who, _| {
        let w = &w;
        async move {
            w.outcome(who, "query($id: ID!) { task(id: $id) { uuid } }", json!({"id": t.id}))
                .await
        }
    })
    .await;
    for (who, visible) in matrix::VISIBLE_TASKS {
        let answer = w.gql(who, "{ tasks { totalCount } }", json!({})).await;
        assert_eq!(answer["data"]["tasks"]["totalCount"], visible, "{who:?}: {answer}");
    }
}

#[tokio::test]
async fn changing_tasks() {
    let w = World::new().await;
    walk("updateTask content", &matrix::CHANGE_TASK_DEFINITION, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let vars = json!({"id": t.id, "v": t.version, "input": {"content": "新的任务内容"}});
            w.outcome(who, UPDATE_TASK, vars).await
        }
    })
    .await;
    walk("updateTask status", &matrix::CHANGE_TASK_PROGRESS, |who, n| {
        let w = &w;
        async move {
            let t = w.task(200 + n).await;
            let vars = json!({"id": t.id, "v": t.version, "input": {"status": "IN_PROGRESS", "declaredProgress": 40}});
            w.outcome(who, UPDATE_TASK, vars).await
        }
    })
    .await;
    walk("createTask", &matrix::ADD_TASK, |who, n| {
        let w = &w;
        async move {
            let vars = json!({"input": {"planId": w.p.plan, "seq": 300 + n, "content": "推动文旅产业协作"}});
            w.outcome(
                who,
                "mutation($input: CreateTaskInput!) { createTask(input: $input) { uuid } }",
                vars,
            )
            .await
        }
    })
    .await;
    walk("deleteTask", &matrix::REMOVE_TASK, |who, n| {
        let w = &w;
        async move {
            let t = w.task(400 + n).await;
            let vars = json!({"id": t.id, "v": t.version});
            w.outcome(
                who,
                "mutation($id: ID!, $v: Int!) { deleteTask(id: $id, version: $v) }",
                vars,
            )
            .await
        }
    })
    .await;
}

#[tokio::test]
async fn writing_reports() {
    let w = World::new().await;
    walk("createReport (own unit)", &matrix::WRITE_OWN_REPORT, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let vars =
                json!({"input": {"taskId": t.id, "period": "2025-06", "consolidated": who == Lead, "text": "进展"}});
            w.outcome(who, CREATE_REPORT, vars).await
        }
    })
    .await;
    walk("createReport (unitId of 县商务委)", &matrix::WRITE_SUPPORTING_UNITS_REPORT, |who, n| {
        let w = &w;
        async move {
            let t = w.task(200 + n).await;
            let vars = json!({"input": {"taskId": t.id, "period": "2025-06", "text": "进展", "unitId": w.p.recipient_unit_2}});
            w.outcome(who, CREATE_REPORT, vars).await
        }
    })
    .await;
}

#[tokio::test]
async fn reading_and_listing_reports() {
    let w = World::new().await;
    let t = w.task(100).await;
    let draft = w.report(&t, w.p.recipient_unit_2, false, false).await;
    let read = "query($id: ID!) { report(id: $id) { uuid } }";
    walk(
        "report(id:) (a draft)",
        &matrix::READ_SUPPORTING_UNITS_DRAFT,
        |who, _| {
            let w = &w;
            async move { w.outcome(who, read, json!({"id": draft.id})).await }
        },
    )
    .await;
    w.report(&t, w.p.recipient_unit, true, true).await;
    for (who, visible) in matrix::VISIBLE_REPORTS {
        let answer = w
            .gql(
                who,
                "query($t: ID) { reports(taskId: $t) { totalCount } }",
                json!({"t": t.id}),
            )
            .await;
        assert_eq!(answer["data"]["reports"]["totalCount"], visible, "{who:?}: {answer}");
        // The same reports through the task's own relation, batch-loaded.
        let nested = w
            .gql(
                who,
                "query($id: ID!) { task(id: $id) { reports { uuid } } }",
                json!({"id": t.id}),
            )
            .await;
        if let Some(reports) = nested["data"]["task"]["reports"].as_array() {
            assert_eq!(reports.len() as u64, visible, "{who:?}: {nested}");
        }
    }
    let t2 = w.task(101).await;
    let submitted = w.report(&t2, w.p.recipient_unit_2, false, true).await;
    walk("report(id:) (submitted)", &matrix::READ_SUBMITTED_REPORT, |who, _| {
        let w = &w;
        async move { w.outcome(who, read, json!({"id": submitted.id})).await }
    })
    .await;
}

#[tokio::test]
async fn moving_reports_through_their_review() {
    let w = World::new().await;
    let step = |name: &str| format!("mutation($id: ID!) {{ {name}(id: $id) {{ status }} }}");
    let submit = step("submitReport");
    walk("submitReport", &matrix::SUBMIT_SUPPORTING_UNITS_DRAFT, |who, n| {
        let (w, q) = (&w, submit.clone());
        async move {
            let t = w.task(100 + n).await;
            let r = w.report(&t, w.p.recipient_unit_2, false, false).await;
            w.outcome(who, &q, json!({"id": r.id})).await
        }
    })
    .await;
    let approve = step("approveReport");
    walk(
        "approveReport (supporting)",
        &matrix::APPROVE_SUPPORTING_UNITS_REPORT,
        |who, n| {
            let (w, q) = (&w, approve.clone());
            async move {
                let t = w.task(200 + n).await;
                let r = w.report(&t, w.p.recipient_unit_2, false, true).await;
                w.outcome(who, &q, json!({"id": r.id})).await
            }
        },
    )
    .await;
    walk(
        "returnReport (supporting)",
        &matrix::RETURN_SUPPORTING_UNITS_REPORT,
        |who, n| {
            let w = &w;
            async move {
                let t = w.task(300 + n).await;
                let r = w.report(&t, w.p.recipient_unit_2, false, true).await;
                let q = "mutation($id: ID!) { returnReport(id: $id, reason: \"请补充材料\") { status } }";
                w.outcome(who, q, json!({"id": r.id})).await
            }
        },
    )
    .await;
    walk(
        "approveReport (consolidated)",
        &matrix::APPROVE_CONSOLIDATED_REPORT,
        |who, n| {
            let (w, q) = (&w, approve.clone());
            async move {
                let t = w.task(400 + n).await;
                let r = w.report(&t, w.p.recipient_unit, true, true).await;
                w.outcome(who, &q, json!({"id": r.id})).await
            }
        },
    )
    .await;
}

#[tokio::test]
async fn administering_users_clients_and_the_audit_log() {
    let w = World::new().await;
    for (name, query) in [
        ("users", "{ users { totalCount } }"),
        ("clients", "{ clients { totalCount } }"),
    ] {
        walk(name, &matrix::ONLY_ADMIN, |who, _| {
            let w = &w;
            async move { w.outcome(who, query, json!({})).await }
        })
        .await;
    }
    walk("auditLog", &matrix::ADMIN_AND_VIEWER, |who, _| {
        let w = &w;
        async move { w.outcome(who, "{ auditLog { totalCount } }", json!({})).await }
    })
    .await;
}
