//! Many requests at once on one row, over the real HTTP server, on the
//! backend the suite runs on: optimistic versions let exactly one writer
//! win, an idempotency key creates once, and a report moves one step per
//! state however many reviewers press the button together.

use std::collections::HashSet;
use std::sync::Arc;

use crate::common::{Racer, TestApp, TestResponse, assert_problem, race, seed};
use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::values::Role;

/// How many requests race in each test.
const RACERS: usize = 50;

fn body_text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The audit entries of one row with one action.
async fn audit_entries(app: &TestApp, bearer: &str, entity: &str, id: Uuid, action: &str) -> Vec<Value> {
    let response = app
        .as_bearer(
            bearer,
            "GET",
            &format!("/api/v1/audit?entity={entity}&entity_id={id}&action={action}&limit=200"),
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", body_text(&response));
    response.json()["items"].as_array().expect("items").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_patches_with_the_same_if_match_exactly_one_wins() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let task = seed::task(&app.db, &p, 1, &["5000"]).await;
    let read = app
        .as_bearer(&admin, "GET", &format!("/api/v1/tasks/{}", task.id), None)
        .await;
    assert_eq!(read.status, 200);
    let etag = read.header("etag").expect("an ETag").to_owned();
    let version = read.json()["version"].as_i64().expect("a version");

    let requests = (0..RACERS)
        .map(|i| {
            (
                "PATCH",
                format!("/api/v1/tasks/{}", task.id),
                Some(json!({ "notes": format!("writer {i}") })),
                vec![("authorization", admin.clone()), ("if-match", etag.clone())],
            )
        })
        .collect();
    let answers = race(&app, requests).await;

    let winners: Vec<usize> = (0..RACERS).filter(|&i| answers[i].status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one writer wins: {:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for (i, answer) in answers.iter().enumerate() {
        if i != winners[0] {
            assert_problem(answer, 412, "VERSION_CONFLICT");
        }
    }
    let winner = winners[0];
    assert_eq!(answers[winner].json()["notes"], format!("writer {winner}"));

    let after = app
        .as_bearer(&admin, "GET", &format!("/api/v1/tasks/{}", task.id), None)
        .await;
    let after = after.json();
    assert_eq!(
        after["notes"],
        format!("writer {winner}"),
        "the row holds the winner's change"
    );
    assert_eq!(after["version"].as_i64(), Some(version + 1), "one version step");
    assert_eq!(
        audit_entries(&app, &admin, "task", task.id, "update").await.len(),
        1,
        "one update is recorded"
    );
}

/// The contract of `infra::idempotency`: the first request with a key
/// claims it and runs; a request with the same key and input that comes
/// while it runs waits for it, and it and every later one get the stored
/// answer again (201, the same body, `Idempotent-Replayed: true`). Nothing
/// is made twice and nobody is told to come back later.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_creates_with_one_idempotency_key_make_one_row() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    // An event has no natural key of its own: were the idempotency key not
    // honoured, every request would make a row.
    let body = json!({
        "pairing_id": p.pairing,
        "occurred_on": "2025-06-18",
        "title": "渝中区向巫溪县购买森林面积指标",
    });
    let key = format!("race-{}", Uuid::new_v4());
    let requests = (0..RACERS)
        .map(|_| {
            (
                "POST",
                "/api/v1/events".to_owned(),
                Some(body.clone()),
                vec![("authorization", admin.clone()), ("idempotency-key", key.clone())],
            )
        })
        .collect();
    let answers = race(&app, requests).await;

    let mut first = None;
    let mut replays = Vec::new();
    for answer in &answers {
        match answer.status {
            201 if answer.header("idempotent-replayed") == Some("true") => replays.push(answer.json()),
            201 => {
                assert!(first.is_none(), "a second original answer: {}", body_text(answer));
                first = Some(answer.json());
            }
            other => panic!("unexpected {other}: {}", body_text(answer)),
        }
    }
    let first = first.expect("one request ran");
    assert_eq!(replays.len(), RACERS - 1, "every other racer is given the first answer");
    for replay in &replays {
        assert_eq!(replay, &first, "a replay is the first answer");
    }
    let again = app
        .request(
            "POST",
            "/api/v1/events",
            Some(&body),
            &[("authorization", &admin), ("idempotency-key", &key)],
        )
        .await;
    assert_eq!(again.status, 201, "{}", body_text(&again));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first["id"], "the replay carries the same id");

    let listed = app
        .as_bearer(&admin, "GET", &format!("/api/v1/events?pairing_id={}", p.pairing), None)
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.json()["total_count"],
        1,
        "one row is made: {}",
        body_text(&listed)
    );
}

/// A submitted report of 县商务委 (a supporting unit) on task 1, and the
/// bearer of an administrator and of the lead unit that reviews it.
struct Review {
    app: Arc<TestApp>,
    admin: String,
    lead: String,
    report: Uuid,
}

async fn submitted_report(submit: bool) -> Review {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let task = seed::task(&app.db, &p, 1, &["5000"]).await;
    app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
    let lead = app.bearer("wx-jxw").await;
    let report = seed::report_on(
        &app.db,
        &task,
        p.recipient_unit_2,
        "2025-03",
        &[(0, "1200")],
        submit.then_some("2025-04-03"),
        false,
    )
    .await;
    Review {
        app,
        admin,
        lead,
        report,
    }
}

impl Review {
    async fn read(&self) -> Value {
        let response = self
            .app
            .as_bearer(&self.admin, "GET", &format!("/api/v1/reports/{}", self.report), None)
            .await;
        assert_eq!(response.status, 200, "{}", body_text(&response));
        response.json()
    }

    /// `what` (`submit`, `approve`, `return`) as `bearer`.
    fn step(&self, bearer: &str, what: &str) -> Racer {
        let body = (what == "return").then(|| json!({ "reason": "请补充佐证材料" }));
        (
            "POST",
            format!("/api/v1/reports/{}/{what}", self.report),
            body,
            vec![("authorization", bearer.to_owned())],
        )
    }

    async fn transitions(&self, action: &str) -> usize {
        audit_entries(&self.app, &self.admin, "report", self.report, action)
            .await
            .len()
    }
}

/// A loser of a review race is told the report has moved on: 409 (it is no
/// longer submitted) or 412 (it changed under the request).
fn assert_lost(answer: &TestResponse) {
    match answer.status {
        409 => assert_problem(answer, 409, "CONFLICT"),
        412 => assert_problem(answer, 412, "VERSION_CONFLICT"),
        other => panic!("a losing request answered {other}: {}", body_text(answer)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_approvals_of_one_report_one_takes_effect() {
    let review = submitted_report(true).await;
    let before = review.read().await;
    assert_eq!(before["status"], "submitted");
    let requests = (0..RACERS)
        .map(|i| {
            review.step(
                if i.is_multiple_of(2) {
                    &review.admin
                } else {
                    &review.lead
                },
                "approve",
            )
        })
        .collect();
    let answers = race(&review.app, requests).await;

    let approved = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        approved,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    answers.iter().filter(|a| a.status != 200).for_each(assert_lost);
    let after = review.read().await;
    assert_eq!(after["status"], "approved");
    assert_eq!(after["version"].as_i64(), before["version"].as_i64().map(|v| v + 1));
    assert_eq!(review.transitions("approve").await, 1, "one approve transition");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_racing_approvals_and_returns_one_takes_effect() {
    let review = submitted_report(true).await;
    let before = review.read().await;
    let requests = (0..RACERS)
        .map(|i| {
            let bearer = if i % 4 < 2 { &review.admin } else { &review.lead };
            review.step(bearer, if i.is_multiple_of(2) { "approve" } else { "return" })
        })
        .collect();
    let answers = race(&review.app, requests).await;

    let winners: Vec<usize> = (0..RACERS).filter(|&i| answers[i].status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    answers.iter().filter(|a| a.status != 200).for_each(assert_lost);
    let (status, action) = if winners[0].is_multiple_of(2) {
        ("approved", "approve")
    } else {
        ("returned", "return")
    };
    let after = review.read().await;
    assert_eq!(after["status"], status);
    assert_eq!(after["version"].as_i64(), before["version"].as_i64().map(|v| v + 1));
    assert_eq!(review.transitions(action).await, 1);
    let other = if action == "approve" { "return" } else { "approve" };
    assert_eq!(review.transitions(other).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_submissions_of_one_draft_one_takes_effect() {
    let review = submitted_report(false).await;
    let before = review.read().await;
    assert_eq!(before["status"], "draft");
    let requests = (0..RACERS).map(|_| review.step(&review.admin, "submit")).collect();
    let answers = race(&review.app, requests).await;

    assert_eq!(
        answers.iter().filter(|a| a.status == 200).count(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    answers.iter().filter(|a| a.status != 200).for_each(assert_lost);
    let after = review.read().await;
    assert_eq!(after["status"], "submitted");
    assert_eq!(after["version"].as_i64(), before["version"].as_i64().map(|v| v + 1));
    assert_eq!(review.transitions("submit").await, 1, "one submit transition");
}

/// Submitters and reviewers hammer one report for several rounds, each
/// request racing the others: whatever wins, every transition that was
/// answered 200 is in the row's version and in the audit log, and the
/// status is the one the last of them left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_transition_is_lost_when_submitters_and_reviewers_race() {
    let review = submitted_report(false).await;
    let before = review.read().await;
    let start_version = before["version"].as_i64().expect("a version");
    let mut done = Vec::new();
    for _round in 0..6 {
        // Each round races submits against returns: at most one submit can
        // win from draft or returned, at most one return from submitted.
        // (All as the administrator: the lead unit does not see a draft.)
        let requests = (0..20_usize)
            .map(|i| review.step(&review.admin, if i.is_multiple_of(2) { "submit" } else { "return" }))
            .collect();
        let answers = race(&review.app, requests).await;
        for (i, answer) in answers.iter().enumerate() {
            if answer.status == 200 {
                done.push((
                    answer.json()["version"].as_i64().expect("a version"),
                    i.is_multiple_of(2),
                ));
            } else {
                assert_lost(answer);
            }
        }
    }
    assert!(!done.is_empty(), "some transition happened");
    done.sort();
    let versions: Vec<i64> = done.iter().map(|(v, _)| *v).collect();
    let expected: Vec<i64> = (1..=done.len() as i64).map(|n| start_version + n).collect();
    assert_eq!(versions, expected, "each success is one version step, none twice");
    // Alternating: submit, return, submit, …
    for (n, (_, submit)) in done.iter().enumerate() {
        assert_eq!(*submit, n.is_multiple_of(2), "transition {n} of {done:?}");
    }
    let after = review.read().await;
    assert_eq!(after["version"].as_i64(), Some(start_version + done.len() as i64));
    let last_was_submit = done.last().map(|(_, s)| *s).unwrap_or(false);
    assert_eq!(after["status"], if last_was_submit { "submitted" } else { "returned" });
    let submits = done.iter().filter(|(_, s)| *s).count();
    assert_eq!(review.transitions("submit").await, submits);
    assert_eq!(review.transitions("return").await, done.len() - submits);
    let entries: HashSet<String> = audit_entries(&review.app, &review.admin, "report", review.report, "submit")
        .await
        .iter()
        .map(|e| e["id"].to_string())
        .collect();
    assert_eq!(entries.len(), submits, "distinct audit entries");
}

/// Twenty approvals at once, each of a report on another task of one plan,
/// all rewrite the plan's kept figures: each waits for the one before, so
/// none is lost. By hand: twenty tasks with a target of 5000万元 each, and
/// twenty consolidated reports of the lead unit with 100万元 each make
/// targets 20, 100000 and an actual of 2000 (万元), by one reporting unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_racing_on_tasks_of_one_plan_all_count() {
    const TASKS: usize = 20;
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.bearer_of_new_admin().await;
    let p = seed::yuzhong_wuxi(&app.db).await;
    let mut requests = Vec::new();
    for seq in 1..=TASKS {
        let task = seed::task(&app.db, &p, seq as i32, &["5000"]).await;
        let report = seed::report_on(
            &app.db,
            &task,
            p.recipient_unit,
            "2025-03",
            &[(0, "100")],
            Some("2025-04-03"),
            false,
        )
        .await;
        requests.push((
            "POST",
            format!("/api/v1/reports/{report}/approve"),
            None,
            vec![("authorization", admin.clone())],
        ));
    }
    // The keeper of today's lights judges the plan again and again while
    // the approvals forget it: neither waits on the other for long, and
    // none of them fails.
    let today = xietong::domain::Clock::system().today();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let keeper = tokio::spawn({
        let (app, done) = (Arc::clone(&app), Arc::clone(&done));
        async move {
            let mut judged = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                judged += xietong::domain::light::kept::keep(&app.db, today).await?;
                tokio::task::yield_now().await;
            }
            Ok::<u64, xietong::domain::DomainError>(judged)
        }
    });
    let answers = race(&app, requests).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let judged = keeper.await.expect("the keeper ran").expect("the keeper never failed");
    assert!(judged >= 1, "the keeper judged the plan");
    assert!(
        answers.iter().all(|a| a.status == 200),
        "{:?}",
        answers.iter().map(|a| (a.status, body_text(a))).collect::<Vec<_>>()
    );
    let differences = xietong::domain::figures::differences(&app.db)
        .await
        .expect("recomputed");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    let differences = xietong::domain::light::kept::differences(&app.db, today)
        .await
        .expect("judged again");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    let stats = app.as_bearer(&admin, "GET", "/api/v1/statistics?scope=all", None).await;
    assert_eq!(stats.status, 200, "{}", body_text(&stats));
    let stats = stats.json();
    let funds = stats["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["metric"] == "investment_funds")
        .expect("investment_funds");
    assert_eq!(funds["targets"], 20);
    assert_eq!(funds["target_total"], "100000");
    assert_eq!(funds["actual_total"], "2000");
    assert_eq!(funds["unit"], "万元");
    assert_eq!(stats["distinct"]["reporting_units"], 1);
    assert_eq!(stats["tasks"]["total"], 20);
}
