//! The permission matrix of DOMAIN.md ("Who may do what"), shared by the
//! REST and the GraphQL walks: the principals, the world they act in, and
//! what each operation answers each of them (as an HTTP status; GraphQL
//! shows the same outcome as its error code).

use uuid::Uuid;
use xietong::domain::report::{self, NewReport, Transition};
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask};
use xietong::domain::unit::{self, UnitGroupInput};
use xietong::domain::values::{AssignmentRole, Cluster, RegionKind, ReportPeriod, Role, Side, UnitKind};
use xietong::domain::{Caller, client};

use super::{TestApp, seed};

/// Who acts, and how they relate to the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
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
    /// A client with `read` and `write` whose one grant is `write` on
    /// 巫溪县, a region of the plan.
    ClientRegion,
    /// A client with `read` and `write` whose one grant is `read` on the
    /// plan (not its pairing: no project).
    ClientPlanRead,
    /// A client with `read` and `write` whose one grant is `write` on
    /// 黔江区, no region of the plan.
    ClientElsewhere,
}

pub const EVERYONE: [Who; 14] = [
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
    Who::ClientRegion,
    Who::ClientPlanRead,
    Who::ClientElsewhere,
];

/// The pairing, its units and a signed-in principal of every kind.
pub struct World {
    pub app: TestApp,
    pub p: seed::Pairing,
    pub group: Uuid,
    pub bearers: Vec<(Who, String)>,
    /// 黔江区, a region outside the pairing.
    pub qianjiang: Uuid,
    /// 白鹿镇, a member of 各镇街 by its kind.
    pub bailu: Uuid,
    /// 区教委 of 黔江区.
    pub qj_jw: Uuid,
}

/// Gives client `id` the one grant `grant`, in place of its unrestricted one.
pub async fn narrow(app: &TestApp, id: Uuid, grant: xietong::domain::client::grants::NewGrant) {
    use xietong::domain::client::grants;
    let system = Caller::system();
    let held = grants::list(&app.db, &system, id).await.expect("its grants");
    grants::add(&app.db, &system, id, grant).await.expect("a grant");
    for old in held {
        grants::remove(&app.db, &system, id, old.id).await.expect("removed");
    }
}

impl World {
    pub async fn new() -> World {
        World::serving(crate::common::quiet()).await
    }

    /// The world served with the settings of `serve`.
    pub async fn serving(serve: xietong::config::ServeArgs) -> World {
        let app = TestApp::spawn_serving(serve).await;
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
        use xietong::domain::client::grants::{GrantScope, GrantTarget, NewGrant};
        let write = |target| {
            Some(NewGrant {
                scope: GrantScope::Write,
                target,
            })
        };
        for (who, client_id, scopes, grant) in [
            (Who::ClientRead, "reader", vec!["read"], None),
            (Who::ClientWrite, "writer", vec!["read", "write"], None),
            (
                Who::ClientRegion,
                "wuxi-platform",
                vec!["read", "write"],
                write(GrantTarget::Region { region_id: p.recipient }),
            ),
            (
                Who::ClientPlanRead,
                "plan-reader",
                vec!["read", "write"],
                Some(NewGrant {
                    scope: GrantScope::Read,
                    target: GrantTarget::Plan { plan_id: p.plan },
                }),
            ),
            (
                Who::ClientElsewhere,
                "qianjiang-platform",
                vec!["read", "write"],
                write(GrantTarget::Region { region_id: qianjiang }),
            ),
        ] {
            let issued = client::create(
                &app.db,
                &Caller::system(),
                client::NewClient {
                    client_id: Some(client_id.into()),
                    name: client_id.into(),
                    scopes: scopes.iter().copied().map(str::to_owned).collect(),
                    // Its tokens carry every scope it holds without asking.
                    default_scopes: scopes.iter().copied().map(str::to_owned).collect(),
                },
            )
            .await
            .expect("a client");
            if let Some(grant) = grant {
                narrow(&app, issued.client.id, grant).await;
            }
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
        World {
            app,
            p,
            group,
            bearers,
            qianjiang,
            bailu,
            qj_jw,
        }
    }

    pub fn bearer(&self, who: Who) -> &str {
        self.bearers
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, b)| b.as_str())
            .expect("a bearer")
    }

    /// A fresh task: 县经济信息委 and 区经济信息委 lead, 县商务委 and the
    /// group 各镇街 support; one funds target.
    pub async fn task(&self, seq: i32) -> task::Task {
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
                external_id: None,
            },
        )
        .await
        .expect("a task")
    }

    /// A report on `task` by `unit`, moved to `submitted` when asked.
    pub async fn report(&self, task: &task::Task, unit: Uuid, consolidated: bool, submitted: bool) -> report::Report {
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
                external_id: None,
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
}

/// Reading a task: the status of `GET /tasks/{id}`.
pub const READ_TASK: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 200),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 200),
    (Who::GroupMember, 200),
    (Who::SameRegion, 200),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 200),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 200),
    (Who::ClientElsewhere, 404),
];

/// How many tasks each sees in the task list (one task exists).
pub const VISIBLE_TASKS: [(Who, u64); 14] = [
    (Who::Admin, 1),
    (Who::Viewer, 1),
    (Who::Coordinator, 1),
    (Who::OtherCoordinator, 0),
    (Who::Lead, 1),
    (Who::Supporting, 1),
    (Who::GroupMember, 1),
    (Who::SameRegion, 1),
    (Who::OtherRegion, 0),
    (Who::ClientRead, 1),
    (Who::ClientWrite, 1),
    (Who::ClientRegion, 1),
    (Who::ClientPlanRead, 1),
    (Who::ClientElsewhere, 0),
];

/// Changing what a task is (its text).
pub const CHANGE_TASK_DEFINITION: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Changing a task's progress and status.
pub const CHANGE_TASK_PROGRESS: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Adding a task to the plan.
pub const ADD_TASK: [(Who, u16); 14] = [
    (Who::Admin, 201),
    (Who::Viewer, 403),
    (Who::Coordinator, 201),
    (Who::OtherCoordinator, 422),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 422),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 201),
    (Who::ClientRegion, 201),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 422),
];

/// Removing a task.
pub const REMOVE_TASK: [(Who, u16); 14] = [
    (Who::Admin, 204),
    (Who::Viewer, 403),
    (Who::Coordinator, 204),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 204),
    (Who::ClientRegion, 204),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Writing a report for one's own unit. Admins, viewers and machines have no unit of
/// their own; a coordinator's unit has no role on the task.
pub const WRITE_OWN_REPORT: [(Who, u16); 14] = [
    (Who::Admin, 422),
    (Who::Viewer, 403),
    (Who::Coordinator, 422),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 201),
    (Who::Supporting, 201),
    (Who::GroupMember, 201),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 422),
    (Who::ClientRegion, 422),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Writing a report for the supporting unit 县商务委.
pub const WRITE_SUPPORTING_UNITS_REPORT: [(Who, u16); 14] = [
    (Who::Admin, 201),
    (Who::Viewer, 403),
    (Who::Coordinator, 201),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 403),
    (Who::Supporting, 201),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 201),
    (Who::ClientRegion, 201),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Reading the supporting unit's draft.
pub const READ_SUPPORTING_UNITS_DRAFT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 200),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 404),
    (Who::Supporting, 200),
    (Who::GroupMember, 404),
    (Who::SameRegion, 404),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 200),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 200),
    (Who::ClientElsewhere, 404),
];

/// Reading the supporting unit's submitted report.
pub const READ_SUBMITTED_REPORT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 200),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 200),
    (Who::GroupMember, 200),
    (Who::SameRegion, 404),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 200),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 200),
    (Who::ClientElsewhere, 404),
];

/// How many reports each sees of the task's two: 县商务委's draft and the lead's
/// submitted consolidated report.
pub const VISIBLE_REPORTS: [(Who, u64); 14] = [
    (Who::Admin, 2),
    (Who::Viewer, 2),
    (Who::Coordinator, 2),
    (Who::OtherCoordinator, 0),
    (Who::Lead, 1),
    (Who::Supporting, 2),
    (Who::GroupMember, 1),
    (Who::SameRegion, 0),
    (Who::OtherRegion, 0),
    (Who::ClientRead, 2),
    (Who::ClientWrite, 2),
    (Who::ClientRegion, 2),
    (Who::ClientPlanRead, 2),
    (Who::ClientElsewhere, 0),
];

/// Submitting the supporting unit's draft.
pub const SUBMIT_SUPPORTING_UNITS_DRAFT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 404),
    (Who::Supporting, 200),
    (Who::GroupMember, 404),
    (Who::SameRegion, 404),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Approving the supporting unit's submitted report.
pub const APPROVE_SUPPORTING_UNITS_REPORT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 403),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 404),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 403),
    (Who::ClientRegion, 403),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Returning the supporting unit's submitted report.
pub const RETURN_SUPPORTING_UNITS_REPORT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 403),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 404),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 403),
    (Who::ClientRegion, 403),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Approving the lead unit's consolidated report.
pub const APPROVE_CONSOLIDATED_REPORT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 404),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 403),
    (Who::ClientRegion, 403),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 404),
];

/// Listing users and clients: administrators only.
pub const ONLY_ADMIN: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 403),
    (Who::OtherCoordinator, 403),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 403),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 403),
    (Who::ClientRegion, 403),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 403),
];

/// Reading the audit log: administrators and viewers.
pub const ADMIN_AND_VIEWER: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 200),
    (Who::Coordinator, 403),
    (Who::OtherCoordinator, 403),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 403),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 403),
    (Who::ClientRegion, 403),
    (Who::ClientPlanRead, 403),
    (Who::ClientElsewhere, 403),
];

impl World {
    /// 黔江区's own plan of 2025, a draft: outside 渝中区–巫溪县.
    pub async fn qianjiang_plan(&self) -> xietong::domain::plan::Plan {
        use xietong::domain::plan::{self, NewPlan, PlanOwner};
        plan::create(
            &self.app.db,
            &Caller::system(),
            NewPlan {
                owner: PlanOwner::Region(self.qianjiang),
                year: 2025,
                title: "黔江区2025年重点任务分解".into(),
                doc_number: None,
                issued_on: None,
                issuers: vec![],
                default_deadline: None,
                calendar: None,
                reporting: None,
                lights: None,
                external_id: None,
            },
        )
        .await
        .expect("a region plan")
    }

    /// A fresh project of the pairing: 县经济信息委 implements it, 县商务委
    /// leads the receiving side, 区经济信息委 the helping side; 1000万元
    /// allocated, so that spending has room.
    pub async fn project(&self, n: i32) -> xietong::domain::project::Project {
        use xietong::domain::project::{self, NewFundMovement, NewProject};
        use xietong::domain::values::{Amount, FundKind, FundSource};
        let made = project::create(
            &self.app.db,
            &Caller::system(),
            NewProject {
                pairing_id: self.p.pairing,
                year: 2025,
                plan_id: None,
                task_id: None,
                name: format!("援建项目{n}"),
                category: "industry".into(),
                location: Some("宁河街道".into()),
                content: None,
                implementing_unit_id: self.p.recipient_unit,
                helper_lead_unit_id: Some(self.p.helper_unit),
                recipient_lead_unit_id: Some(self.p.recipient_unit_2),
                investment: Amount::parse("5000").expect("an amount"),
                pairing_funds: Amount::parse("2000").expect("an amount"),
                external_id: None,
                issued_on: None,
            },
        )
        .await
        .expect("a project");
        project::record_fund_movement(
            &self.app.db,
            &Caller::system(),
            made.id,
            NewFundMovement {
                kind: FundKind::Allocation,
                occurred_on: chrono::Utc::now().date_naive() - chrono::TimeDelta::days(1),
                amount: Amount::parse("1000").expect("an amount"),
                source: FundSource::Helper,
                purpose: "设备购置".into(),
                reason: None,
                note: None,
            },
        )
        .await
        .expect("an allocation");
        project::get(&self.app.db, &Caller::system(), made.id)
            .await
            .expect("the project")
    }
}

/// Reading a project: those of the pairing's regions and its implementing
/// unit read it, as they read the pairing's plans.
pub const READ_PROJECT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 200),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 200),
    (Who::GroupMember, 200),
    (Who::SameRegion, 200),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 200),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 404),
    (Who::ClientElsewhere, 404),
];

/// Changing what a project is: coordinators of the pairing's regions,
/// administrators and machines that write.
pub const CHANGE_PROJECT: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 404),
    (Who::ClientElsewhere, 404),
];

/// Recording spending (支出): the implementing unit too.
pub const RECORD_SPENDING: [(Who, u16); 14] = [
    (Who::Admin, 201),
    (Who::Viewer, 403),
    (Who::Coordinator, 201),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 201),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 201),
    (Who::ClientRegion, 201),
    (Who::ClientPlanRead, 404),
    (Who::ClientElsewhere, 404),
];

/// Recording an allocation (拨付): coordinators only.
pub const RECORD_ALLOCATION: [(Who, u16); 14] = [
    (Who::Admin, 201),
    (Who::Viewer, 403),
    (Who::Coordinator, 201),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 201),
    (Who::ClientRegion, 201),
    (Who::ClientPlanRead, 404),
    (Who::ClientElsewhere, 404),
];

/// Recording that a project started (开工): the implementing unit too.
pub const RECORD_MILESTONE: [(Who, u16); 14] = [
    (Who::Admin, 200),
    (Who::Viewer, 403),
    (Who::Coordinator, 200),
    (Who::OtherCoordinator, 404),
    (Who::Lead, 200),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 404),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 200),
    (Who::ClientRegion, 200),
    (Who::ClientPlanRead, 404),
    (Who::ClientElsewhere, 404),
];

/// Creating a project of the pairing: a pairing the caller does not see is
/// an invalid `pairing_id` (422).
pub const CREATE_PROJECT: [(Who, u16); 14] = [
    (Who::Admin, 201),
    (Who::Viewer, 403),
    (Who::Coordinator, 201),
    (Who::OtherCoordinator, 422),
    (Who::Lead, 403),
    (Who::Supporting, 403),
    (Who::GroupMember, 403),
    (Who::SameRegion, 403),
    (Who::OtherRegion, 422),
    (Who::ClientRead, 403),
    (Who::ClientWrite, 201),
    (Who::ClientRegion, 201),
    (Who::ClientPlanRead, 422),
    (Who::ClientElsewhere, 422),
];

/// How many projects each sees in the list (one project exists).
pub const VISIBLE_PROJECTS: [(Who, u64); 14] = [
    (Who::Admin, 1),
    (Who::Viewer, 1),
    (Who::Coordinator, 1),
    (Who::OtherCoordinator, 0),
    (Who::Lead, 1),
    (Who::Supporting, 1),
    (Who::GroupMember, 1),
    (Who::SameRegion, 1),
    (Who::OtherRegion, 0),
    (Who::ClientRead, 1),
    (Who::ClientWrite, 1),
    (Who::ClientRegion, 1),
    (Who::ClientPlanRead, 0),
    (Who::ClientElsewhere, 0),
];
