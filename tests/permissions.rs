//! The permission matrix of DOMAIN.md ("Who may do what"), walked over
//! HTTP: every role × every operation × the principal's relation to the
//! task (lead, supporting, through a group, unrelated unit of the same
//! region, other region), each allow and each deny asserted.

mod common;

use common::{TestApp, seed};
use serde_json::{Value, json};
use uuid::Uuid;
use xietong::domain::report::{self, NewReport, Transition};
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask};
use xietong::domain::unit::{self, UnitGroupInput};
use xietong::domain::values::{AssignmentRole, Cluster, RegionKind, ReportPeriod, Role, Side, UnitKind};
use xietong::domain::{Caller, client};

/// Who acts, and how they relate to the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Admin,
    Viewer,
    /// Coordinator of 巫溪县, a region of the plan.
    Coordinator,
    /// Coordinator of 黔江区, no region of the plan.
    OtherCoordinator,
    /// User of 县经济信息委, a lead unit of the task.
    Lead,
    /// User of 县商务委, a supporting unit of the task.
    Supporting,
    /// User of 白鹿镇, supporting through the group 各镇街.
    GroupMember,
    /// User of 县教委: same region, no role on the task.
    SameRegion,
    /// User of a unit of 黔江区.
    OtherRegion,
    ClientRead,
    ClientWrite,
}

const EVERYONE: [Who; 11] = [
    Who::Admin,
    Who::Viewer,
    Who::Coordinator,
    Who::OtherCoordinator,
    Who::Lead,
    Who::Supporting,
    Who::GroupMember,
    Who::SameRegion,
    Who::OtherRegion,
    Who::ClientRead,
    Who::ClientWrite,
];

/// The pairing, its units and a signed-in principal of every kind.
struct World {
    app: TestApp,
    p: seed::Pairing,
    group: Uuid,
    bearers: Vec<(Who, String)>,
}

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        let p = seed::yuzhong_wuxi(&app.db).await;
        let qianjiang = seed::region(
            &app.db,
            Some("500114"),
            "黔江区",
            RegionKind::District,
            Some(Cluster::Southeast),
        )
        .await;
        let wuxi_fgw = seed::unit(&app.db, p.recipient, "县发展改革委", UnitKind::Department).await;
        let wuxi_jw = seed::unit(&app.db, p.recipient, "县教委", UnitKind::Department).await;
        let bailu = seed::unit(&app.db, p.recipient, "白鹿镇", UnitKind::Town).await;
        let qj_fgw = seed::unit(&app.db, qianjiang, "区发展改革委", UnitKind::Department).await;
        let qj_jw = seed::unit(&app.db, qianjiang, "区教委", UnitKind::Department).await;
        let group = unit::create_group(
            &app.db,
            &Caller::system(),
            UnitGroupInput {
                region_id: p.recipient,
                name: "各镇街".into(),
                rule_kinds: Some(vec![UnitKind::Town, UnitKind::Street, UnitKind::Township]),
                member_ids: vec![],
                aliases: vec![],
                description: None,
            },
        )
        .await
        .expect("the group")
        .id;
        app.user("admin", Role::Admin, None).await;
        app.user("viewer", Role::Viewer, None).await;
        app.user("wx-fgw", Role::Coordinator, Some(wuxi_fgw)).await;
        app.user("qj-fgw", Role::Coordinator, Some(qj_fgw)).await;
        app.user("wx-jxw", Role::UnitUser, Some(p.recipient_unit)).await;
        app.user("wx-swj", Role::UnitUser, Some(p.recipient_unit_2)).await;
        app.user("wx-bailu", Role::UnitUser, Some(bailu)).await;
        app.user("wx-jw", Role::UnitUser, Some(wuxi_jw)).await;
        app.user("qj-jw", Role::UnitUser, Some(qj_jw)).await;
        let mut bearers = Vec::new();
        for (who, name) in [
            (Who::Admin, "admin"),
            (Who::Viewer, "viewer"),
            (Who::Coordinator, "wx-fgw"),
            (Who::OtherCoordinator, "qj-fgw"),
            (Who::Lead, "wx-jxw"),
            (Who::Supporting, "wx-swj"),
            (Who::GroupMember, "wx-bailu"),
            (Who::SameRegion, "wx-jw"),
            (Who::OtherRegion, "qj-jw"),
        ] {
            bearers.push((who, app.bearer(name).await));
        }
        for (who, client_id, scopes) in [
            (Who::ClientRead, "reader", vec!["read"]),
            (Who::ClientWrite, "writer", vec!["read", "write"]),
        ] {
            let issued = client::create(
                &app.db,
                &Caller::system(),
                client::NewClient {
                    client_id: Some(client_id.into()),
                    name: client_id.into(),
                    scopes: scopes.into_iter().map(str::to_owned).collect(),
                },
            )
            .await
            .expect("a client");
            let granted = app
                .request_raw(
                    "POST",
                    "/api/v1/auth/token",
                    format!(
                        "grant_type=client_credentials&client_id={client_id}&client_secret={}",
                        issued.client_secret
                    ),
                    "application/x-www-form-urlencoded",
                    &[],
                )
                .await;
            bearers.push((
                who,
                format!("Bearer {}", granted.json()["access_token"].as_str().expect("token")),
            ));
        }
        World { app, p, group, bearers }
    }

    fn bearer(&self, who: Who) -> &str {
        self.bearers
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, b)| b.as_str())
            .expect("a bearer")
    }

    /// A fresh task: 县经济信息委 and 区经济信息委 lead, 县商务委 and the
    /// group 各镇街 support; one funds target.
    async fn task(&self, seq: i32) -> task::Task {
        task::create(
            &self.app.db,
            &Caller::system(),
            NewTask {
                plan_id: self.p.plan,
                section: None,
                seq,
                category: Some("联手开展招商引资".into()),
                content: "力争实际到位资金5000万元以上".into(),
                deadline: None,
                deadline_text: None,
                leaders: vec![],
                notes: None,
                assignments: vec![
                    AssignmentInput {
                        assignee: Assignee::Unit(self.p.recipient_unit),
                        role: AssignmentRole::Lead,
                        side: Some(Side::Recipient),
                    },
                    AssignmentInput {
                        assignee: Assignee::Unit(self.p.helper_unit),
                        role: AssignmentRole::Lead,
                        side: Some(Side::Helper),
                    },
                    AssignmentInput {
                        assignee: Assignee::Unit(self.p.recipient_unit_2),
                        role: AssignmentRole::Supporting,
                        side: Some(Side::Recipient),
                    },
                    AssignmentInput {
                        assignee: Assignee::Group(self.group),
                        role: AssignmentRole::Supporting,
                        side: Some(Side::Recipient),
                    },
                ],
                targets: vec![seed::funds_target("5000")],
            },
        )
        .await
        .expect("a task")
    }

    /// A report on `task` by `unit`, moved to `submitted` when asked.
    async fn report(&self, task: &task::Task, unit: Uuid, consolidated: bool, submitted: bool) -> report::Report {
        let made = report::create(
            &self.app.db,
            &Caller::system(),
            NewReport {
                task_id: task.id,
                unit_id: Some(unit),
                period: ReportPeriod::parse("2025-06").expect("period"),
                consolidated,
                text: "已对接企业3家".into(),
                values: vec![],
            },
        )
        .await
        .expect("a report");
        if submitted {
            report::transition(&self.app.db, &Caller::system(), made.id, None, Transition::Submit)
                .await
                .expect("submit")
        } else {
            made
        }
    }

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
    let expected = [
        (Admin, 200),
        (Viewer, 200),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 200),
        (Supporting, 200),
        (GroupMember, 200),
        (SameRegion, 200),
        (OtherRegion, 404),
        (ClientRead, 200),
        (ClientWrite, 200),
    ];
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
    for (who, visible) in [
        (Admin, 1),
        (Viewer, 1),
        (Coordinator, 1),
        (OtherCoordinator, 0),
        (Lead, 1),
        (Supporting, 1),
        (GroupMember, 1),
        (SameRegion, 1),
        (OtherRegion, 0),
        (ClientRead, 1),
        (ClientWrite, 1),
    ] {
        let r = w.app.as_bearer(w.bearer(who), "GET", "/api/v1/tasks", None).await;
        assert_eq!(r.status, 200, "{who:?}");
        assert_eq!(r.json()["total_count"], visible, "{who:?}");
    }
}

#[tokio::test]
async fn changing_what_a_task_is() {
    let w = World::new().await;
    let expected = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 403),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 200),
    ];
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
    let expected = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 200),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 200),
    ];
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
    let expected = [
        (Admin, 201),
        (Viewer, 403),
        (Coordinator, 201),
        (OtherCoordinator, 422),
        (Lead, 403),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 422),
        (ClientRead, 403),
        (ClientWrite, 201),
    ];
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
    let expected = [
        (Admin, 204),
        (Viewer, 403),
        (Coordinator, 204),
        (OtherCoordinator, 404),
        (Lead, 403),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 204),
    ];
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
    let expected = [
        (Admin, 422),
        (Viewer, 403),
        (Coordinator, 422),
        (OtherCoordinator, 404),
        (Lead, 201),
        (Supporting, 201),
        (GroupMember, 201),
        (SameRegion, 403),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 422),
    ];
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
    let expected = [
        (Admin, 201),
        (Viewer, 403),
        (Coordinator, 201),
        (OtherCoordinator, 404),
        (Lead, 403),
        (Supporting, 201),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 201),
    ];
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
    let expected = [
        (Admin, 200),
        (Viewer, 200),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 404),
        (Supporting, 200),
        (GroupMember, 404),
        (SameRegion, 404),
        (OtherRegion, 404),
        (ClientRead, 200),
        (ClientWrite, 200),
    ];
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
    let expected = [
        (Admin, 200),
        (Viewer, 200),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 200),
        (Supporting, 200),
        (GroupMember, 200),
        (SameRegion, 404),
        (OtherRegion, 404),
        (ClientRead, 200),
        (ClientWrite, 200),
    ];
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
    for (who, visible) in [
        (Admin, 2),
        (Viewer, 2),
        (Coordinator, 2),
        (OtherCoordinator, 0),
        (Lead, 1),
        (Supporting, 2),
        (GroupMember, 1),
        (SameRegion, 0),
        (OtherRegion, 0),
        (ClientRead, 2),
        (ClientWrite, 2),
    ] {
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
    let expected = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 404),
        (Supporting, 200),
        (GroupMember, 404),
        (SameRegion, 404),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 200),
    ];
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
    let expected = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 403),
        (OtherCoordinator, 404),
        (Lead, 200),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 404),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 403),
    ];
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
    let expected = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 403),
        (OtherCoordinator, 404),
        (Lead, 200),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 404),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 403),
    ];
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
    let expected = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 200),
        (OtherCoordinator, 404),
        (Lead, 403),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 404),
        (OtherRegion, 404),
        (ClientRead, 403),
        (ClientWrite, 403),
    ];
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
    let only_admin = [
        (Admin, 200),
        (Viewer, 403),
        (Coordinator, 403),
        (OtherCoordinator, 403),
        (Lead, 403),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 403),
        (ClientRead, 403),
        (ClientWrite, 403),
    ];
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
    let admin_and_viewer = [
        (Admin, 200),
        (Viewer, 200),
        (Coordinator, 403),
        (OtherCoordinator, 403),
        (Lead, 403),
        (Supporting, 403),
        (GroupMember, 403),
        (SameRegion, 403),
        (OtherRegion, 403),
        (ClientRead, 403),
        (ClientWrite, 403),
    ];
    walk(&w, "GET /audit", &admin_and_viewer, |who, _| {
        let w = &w;
        async move { w.call(who, "GET", "/api/v1/audit", None, None).await }
    })
    .await;
}
