//! The permission matrix of DOMAIN.md ("Who may do what"), walked over
//! HTTP: every role × every operation × the principal's relation to the
//! task (lead, supporting, through a group, unrelated unit of the same
//! region, other region), each allow and each deny asserted.

use crate::common::matrix::{self, EVERYONE, Who, World};
use serde_json::{Value, json};

impl World {
    async fn call(&self, who: Who, method: &str, path: &str, body: Option<&Value>, if_match: Option<i32>) -> u16 {
        let etag = if_match.map(|v| format!("\"{v}\""));
        let mut headers = vec![("authorization", self.bearer(who))];
        if let Some(etag) = &etag {
            headers.push(("if-match", etag));
        }
        self.app.request(method, path, body, &headers).await.status
    }
}

/// Checks one operation for everyone against its expected statuses.
async fn walk<F, Fut>(world: &World, operation: &str, expected: &[(Who, u16)], mut run: F)
where
    F: FnMut(Who, i32) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    assert_eq!(
        expected.len(),
        EVERYONE.len(),
        "{operation}: one expectation per principal"
    );
    let mut wrong = Vec::new();
    for (n, who) in (1..).zip(EVERYONE) {
        let want = expected
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, s)| *s)
            .expect("an expectation");
        let got = run(who, n).await;
        if got != want {
            wrong.push(format!("{who:?}: expected {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{operation}:\n{}", wrong.join("\n"));
    let _ = &world.app;
}

use Who::*;

#[tokio::test]
async fn reading_a_task() {
    let w = World::new().await;
    let t = w.task(100).await;
    let path = format!("/api/v1/tasks/{}", t.id);
    let expected = matrix::READ_TASK;
    walk(&w, "GET /tasks/{id}", &expected, |who, _| {
        let (w, path) = (&w, path.clone());
        async move { w.call(who, "GET", &path, None, None).await }
    })
    .await;
}

#[tokio::test]
async fn listing_tasks_shows_only_visible_ones() {
    let w = World::new().await;
    w.task(100).await;
    for (who, visible) in matrix::VISIBLE_TASKS {
        let r = w.app.as_bearer(w.bearer(who), "GET", "/api/v1/tasks", None).await;
        assert_eq!(r.status, 200, "{who:?}");
        assert_eq!(r.json()["total_count"], visible, "{who:?}");
    }
}

#[tokio::test]
async fn changing_what_a_task_is() {
    let w = World::new().await;
    let expected = matrix::CHANGE_TASK_DEFINITION;
    walk(&w, "PATCH /tasks/{id} content", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            w.call(
                who,
                "PATCH",
                &format!("/api/v1/tasks/{}", t.id),
                Some(&json!({"content": "新的任务内容"})),
                Some(t.version),
            )
            .await
        }
    })
    .await;
}

#[tokio::test]
async fn changing_a_tasks_progress() {
    let w = World::new().await;
    let expected = matrix::CHANGE_TASK_PROGRESS;
    walk(&w, "PATCH /tasks/{id} status", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let body = json!({"status": "in_progress", "declared_progress": 40});
            w.call(
                who,
                "PATCH",
                &format!("/api/v1/tasks/{}", t.id),
                Some(&body),
                Some(t.version),
            )
            .await
        }
    })
    .await;
}

#[tokio::test]
async fn adding_a_task_to_a_plan() {
    let w = World::new().await;
    let expected = matrix::ADD_TASK;
    walk(&w, "POST /tasks", &expected, |who, n| {
        let w = &w;
        async move {
            let body = json!({"plan_id": w.p.plan, "seq": 200 + n, "content": "推动文旅产业协作"});
            w.call(who, "POST", "/api/v1/tasks", Some(&body), None).await
        }
    })
    .await;
}

#[tokio::test]
async fn removing_a_task() {
    let w = World::new().await;
    let expected = matrix::REMOVE_TASK;
    walk(&w, "DELETE /tasks/{id}", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            w.call(who, "DELETE", &format!("/api/v1/tasks/{}", t.id), None, Some(t.version))
                .await
        }
    })
    .await;
}

#[tokio::test]
async fn writing_a_report_for_ones_own_unit() {
    let w = World::new().await;
    // Admins, viewers and machines have no unit of their own; a coordinator's
    // unit has no role on the task.
    let expected = matrix::WRITE_OWN_REPORT;
    walk(&w, "POST /tasks/{id}/reports (own unit)", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let body = json!({"period": "2025-06", "consolidated": who == Lead, "text": "进展"});
            w.call(
                who,
                "POST",
                &format!("/api/v1/tasks/{}/reports", t.id),
                Some(&body),
                None,
            )
            .await
        }
    })
    .await;
}

#[tokio::test]
async fn writing_a_report_for_a_supporting_unit() {
    let w = World::new().await;
    let expected = matrix::WRITE_SUPPORTING_UNITS_REPORT;
    walk(
        &w,
        "POST /tasks/{id}/reports (unit_id of 县商务委)",
        &expected,
        |who, n| {
            let w = &w;
            async move {
                let t = w.task(100 + n).await;
                let body = json!({"period": "2025-06", "text": "进展", "unit_id": w.p.recipient_unit_2});
                w.call(
                    who,
                    "POST",
                    &format!("/api/v1/tasks/{}/reports", t.id),
                    Some(&body),
                    None,
                )
                .await
            }
        },
    )
    .await;
}

#[tokio::test]
async fn reading_a_supporting_units_draft() {
    let w = World::new().await;
    let t = w.task(100).await;
    let r = w.report(&t, w.p.recipient_unit_2, false, false).await;
    let path = format!("/api/v1/reports/{}", r.id);
    let expected = matrix::READ_SUPPORTING_UNITS_DRAFT;
    walk(&w, "GET /reports/{id} (a draft)", &expected, |who, _| {
        let (w, path) = (&w, path.clone());
        async move { w.call(who, "GET", &path, None, None).await }
    })
    .await;
}

#[tokio::test]
async fn reading_a_submitted_report() {
    let w = World::new().await;
    let t = w.task(100).await;
    let r = w.report(&t, w.p.recipient_unit_2, false, true).await;
    let path = format!("/api/v1/reports/{}", r.id);
    let expected = matrix::READ_SUBMITTED_REPORT;
    walk(&w, "GET /reports/{id} (submitted)", &expected, |who, _| {
        let (w, path) = (&w, path.clone());
        async move { w.call(who, "GET", &path, None, None).await }
    })
    .await;
}

#[tokio::test]
async fn listing_reports_hides_what_may_not_be_seen() {
    let w = World::new().await;
    let t = w.task(100).await;
    w.report(&t, w.p.recipient_unit_2, false, false).await; // 县商务委's draft
    w.report(&t, w.p.recipient_unit, true, true).await; // the lead's submitted consolidated report
    for (who, visible) in matrix::VISIBLE_REPORTS {
        let r = w
            .app
            .as_bearer(w.bearer(who), "GET", &format!("/api/v1/reports?task_id={}", t.id), None)
            .await;
        assert_eq!(r.status, 200, "{who:?}");
        assert_eq!(r.json()["total_count"], visible, "{who:?}");
    }
}

#[tokio::test]
async fn submitting_a_supporting_units_draft() {
    let w = World::new().await;
    let expected = matrix::SUBMIT_SUPPORTING_UNITS_DRAFT;
    walk(&w, "POST /reports/{id}/submit", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let r = w.report(&t, w.p.recipient_unit_2, false, false).await;
            w.call(who, "POST", &format!("/api/v1/reports/{}/submit", r.id), None, None)
                .await
        }
    })
    .await;
}

#[tokio::test]
async fn approving_a_supporting_units_report() {
    let w = World::new().await;
    let expected = matrix::APPROVE_SUPPORTING_UNITS_REPORT;
    walk(&w, "POST /reports/{id}/approve (supporting)", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let r = w.report(&t, w.p.recipient_unit_2, false, true).await;
            w.call(who, "POST", &format!("/api/v1/reports/{}/approve", r.id), None, None)
                .await
        }
    })
    .await;
}

#[tokio::test]
async fn returning_a_supporting_units_report() {
    let w = World::new().await;
    let expected = matrix::RETURN_SUPPORTING_UNITS_REPORT;
    walk(&w, "POST /reports/{id}/return (supporting)", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let r = w.report(&t, w.p.recipient_unit_2, false, true).await;
            w.call(
                who,
                "POST",
                &format!("/api/v1/reports/{}/return", r.id),
                Some(&json!({"reason": "请补充材料"})),
                None,
            )
            .await
        }
    })
    .await;
}

#[tokio::test]
async fn approving_a_consolidated_report() {
    let w = World::new().await;
    let expected = matrix::APPROVE_CONSOLIDATED_REPORT;
    walk(&w, "POST /reports/{id}/approve (consolidated)", &expected, |who, n| {
        let w = &w;
        async move {
            let t = w.task(100 + n).await;
            let r = w.report(&t, w.p.recipient_unit, true, true).await;
            w.call(who, "POST", &format!("/api/v1/reports/{}/approve", r.id), None, None)
                .await
        }
    })
    .await;
}

#[tokio::test]
async fn administering_users_clients_and_the_audit_log() {
    let w = World::new().await;
    let only_admin = matrix::ONLY_ADMIN;
    walk(&w, "GET /users", &only_admin, |who, _| {
        let w = &w;
        async move { w.call(who, "GET", "/api/v1/users", None, None).await }
    })
    .await;
    walk(&w, "GET /clients", &only_admin, |who, _| {
        let w = &w;
        async move { w.call(who, "GET", "/api/v1/clients", None, None).await }
    })
    .await;
    let admin_and_viewer = matrix::ADMIN_AND_VIEWER;
    walk(&w, "GET /audit", &admin_and_viewer, |who, _| {
        let w = &w;
        async move { w.call(who, "GET", "/api/v1/audit", None, None).await }
    })
    .await;
}

#[tokio::test]
async fn reading_and_listing_projects() {
    let w = World::new().await;
    let p = w.project(1).await;
    let path = format!("/api/v1/projects/{}", p.id);
    walk(&w, "GET /projects/{id}", &matrix::READ_PROJECT, |who, _| {
        let (w, path) = (&w, path.clone());
        async move { w.call(who, "GET", &path, None, None).await }
    })
    .await;
    for (who, visible) in matrix::VISIBLE_PROJECTS {
        let r = w.app.as_bearer(w.bearer(who), "GET", "/api/v1/projects", None).await;
        assert_eq!(r.status, 200, "{who:?}");
        assert_eq!(r.json()["total_count"], visible, "{who:?}");
    }
}

#[tokio::test]
async fn creating_and_changing_a_project() {
    let w = World::new().await;
    walk(&w, "POST /projects", &matrix::CREATE_PROJECT, |who, n| {
        let w = &w;
        async move {
            let body = json!({
                "pairing_id": w.p.pairing, "year": 2025, "name": format!("新项目{n}"),
                "category": "教育", "implementing_unit_id": w.p.recipient_unit,
                "investment": "0.1亿元", "pairing_funds": "500"
            });
            w.call(who, "POST", "/api/v1/projects", Some(&body), None).await
        }
    })
    .await;
    // The helping side's coordinator coordinates the pairing's projects too.
    w.app
        .user(
            "yz-fgw",
            xietong::domain::values::Role::Coordinator,
            Some(w.p.helper_unit),
        )
        .await;
    let helper_side = w.app.bearer("yz-fgw").await;
    let p = w.project(90).await;
    let changed = w
        .app
        .request(
            "PATCH",
            &format!("/api/v1/projects/{}", p.id),
            Some(&json!({"name": "援建项目（渝中区改）"})),
            &[
                ("authorization", helper_side.as_str()),
                ("if-match", &format!("\"{}\"", p.version)),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    let allocated = w
        .app
        .as_bearer(
            &helper_side,
            "POST",
            &format!("/api/v1/projects/{}/fund-movements", p.id),
            Some(&json!({"kind": "allocation", "occurred_on": "2025-06-01", "amount": "100", "source": "helper", "purpose": "设备购置"})),
        )
        .await;
    assert_eq!(allocated.status, 201, "{}", String::from_utf8_lossy(&allocated.body));
    walk(&w, "PATCH /projects/{id}", &matrix::CHANGE_PROJECT, |who, n| {
        let w = &w;
        async move {
            let p = w.project(100 + n).await;
            w.call(
                who,
                "PATCH",
                &format!("/api/v1/projects/{}", p.id),
                Some(&json!({"location": "柏杨街道"})),
                Some(p.version),
            )
            .await
        }
    })
    .await;
}

#[tokio::test]
async fn recording_a_projects_milestones_and_money() {
    let w = World::new().await;
    walk(
        &w,
        "POST /projects/{id}/milestones",
        &matrix::RECORD_MILESTONE,
        |who, n| {
            let w = &w;
            async move {
                let p = w.project(200 + n).await;
                let path = format!("/api/v1/projects/{}/milestones", p.id);
                w.call(who, "POST", &path, Some(&json!({"status": "started"})), None)
                    .await
            }
        },
    )
    .await;
    let day = (chrono::Utc::now() - chrono::TimeDelta::days(1))
        .date_naive()
        .to_string();
    for (operation, kind, expected) in [
        ("spending", "spending", matrix::RECORD_SPENDING),
        ("allocation", "allocation", matrix::RECORD_ALLOCATION),
    ] {
        walk(&w, operation, &expected, |who, n| {
            let (w, day) = (&w, day.clone());
            async move {
                let p = w.project(300 + n).await;
                let path = format!("/api/v1/projects/{}/fund-movements", p.id);
                let body = json!({"kind": kind, "occurred_on": day, "amount": "100", "source": "helper", "purpose": "设备购置"});
                w.call(who, "POST", &path, Some(&body), None).await
            }
        })
        .await;
    }
}
