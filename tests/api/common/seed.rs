//! Builders of test data through the domain core, named after what they
//! make: the 渝中区·巫溪县 pairing of the fixtures and its units.

use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use uuid::Uuid;
use xietong::domain::Caller;
use xietong::domain::calendar::{Calendar, Reporting};
use xietong::domain::pairing::{self, PairingInput};
use xietong::domain::plan::{self, NewPlan, PlanOwner, PlanTransition};
use xietong::domain::region::{self, RegionInput};
use xietong::domain::report::{self, NewReport, Transition, ValueInput};
use xietong::domain::task::{self, Assignee, AssignmentInput, NewTask, TargetInput};
use xietong::domain::unit::{self, UnitInput};
use xietong::domain::values::{
    Amount, AssignmentRole, Cluster, Comparator, GroupReports, PairingStatus, RegionKind, ReportPeriod, Side,
    SupportingReports, UnitKind,
};

/// Two regions, their pairing, a unit on each side and an issued plan.
#[derive(Clone)]
pub struct Pairing {
    pub helper: Uuid,
    pub recipient: Uuid,
    pub pairing: Uuid,
    /// 区经济信息委 of 渝中区
    pub helper_unit: Uuid,
    /// 县经济信息委 of 巫溪县
    pub recipient_unit: Uuid,
    /// 县商务委 of 巫溪县
    pub recipient_unit_2: Uuid,
    pub plan: Uuid,
}

pub async fn region(
    db: &DatabaseConnection,
    code: Option<&str>,
    name: &str,
    kind: RegionKind,
    cluster: Option<Cluster>,
) -> Uuid {
    region::create(
        db,
        &Caller::system(),
        RegionInput {
            code: code.map(str::to_owned),
            name: name.to_owned(),
            kind,
            cluster,
            parent_id: None,
        },
    )
    .await
    .expect("create a region")
    .id
}

pub async fn unit(db: &DatabaseConnection, region_id: Uuid, name: &str, kind: UnitKind) -> Uuid {
    unit::create_unit(
        db,
        &Caller::system(),
        UnitInput {
            region_id,
            name: name.to_owned(),
            kind,
            aliases: vec![],
            external_id: None,
        },
    )
    .await
    .expect("create a unit")
    .id
}

/// 渝中区 helps 巫溪县, with an issued 2025 plan that asks every unit for
/// every report.
pub async fn yuzhong_wuxi(db: &DatabaseConnection) -> Pairing {
    let system = Caller::system();
    let helper = region(
        db,
        Some("500103"),
        "渝中区",
        RegionKind::District,
        Some(Cluster::MainMetro),
    )
    .await;
    let recipient = region(
        db,
        Some("500238"),
        "巫溪县",
        RegionKind::County,
        Some(Cluster::Northeast),
    )
    .await;
    let pairing = pairing::create(
        db,
        &system,
        PairingInput {
            helper_region_id: helper,
            recipient_region_id: recipient,
            co_helper_region_ids: vec![],
            start_year: Some(2020),
            status: PairingStatus::Active,
            note: None,
            documents: vec![],
        },
    )
    .await
    .expect("create the pairing")
    .id;
    let helper_unit = unit(db, helper, "区经济信息委", UnitKind::Department).await;
    let recipient_unit = unit(db, recipient, "县经济信息委", UnitKind::Department).await;
    let recipient_unit_2 = unit(db, recipient, "县商务委", UnitKind::Department).await;
    let plan = plan::create(
        db,
        &system,
        NewPlan {
            owner: PlanOwner::Pairing(pairing),
            year: 2025,
            title: "渝中区·巫溪县2025年度对口协同发展任务清单".into(),
            doc_number: Some("巫溪府发〔2025〕20号".into()),
            issued_on: None,
            issuers: vec!["巫溪县人民政府".into(), "渝中区人民政府".into()],
            default_deadline: None,
            // Everything of everyone, as every plan owed before the
            // reporting rule: monthly, quarterly and yearly reports, by
            // supporting units to the lead unit, by each group member.
            calendar: Some(Calendar::default()),
            reporting: Some(Reporting {
                supporting: SupportingReports::ToLead,
                groups: GroupReports::None,
                ..Reporting::default()
            }),
            lights: None,
            external_id: None,
        },
    )
    .await
    .expect("create the plan");
    plan::transition(db, &system, plan.id, plan.version, PlanTransition::Issue)
        .await
        .expect("issue the plan");
    Pairing {
        helper,
        recipient,
        pairing,
        helper_unit,
        recipient_unit,
        recipient_unit_2,
        plan: plan.id,
    }
}

/// A target of at least `value` 万元 of investment funds.
pub fn funds_target(value: &str) -> TargetInput {
    TargetInput {
        id: None,
        metric: Some("investment_funds".into()),
        label: Some("实际到位资金".into()),
        comparator: Comparator::AtLeast,
        value: Some(Amount::parse(value).expect("an amount")),
        value_max: None,
        unit: "万元".into(),
        baseline: None,
        source_text: format!("力争实际到位资金{value}万元以上"),
    }
}

/// Task `seq` of the plan: 县经济信息委 leads, 县商务委 supports, with one
/// funds target per value.
pub async fn task(db: &DatabaseConnection, p: &Pairing, seq: i32, values: &[&str]) -> task::Task {
    task::create(
        db,
        &Caller::system(),
        NewTask {
            plan_id: p.plan,
            section: None,
            seq,
            category: Some("联手开展招商引资".into()),
            content: "确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000万元以上。".into(),
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
                    assignee: Assignee::Unit(p.helper_unit),
                    role: AssignmentRole::Lead,
                    side: Some(Side::Helper),
                },
                AssignmentInput {
                    assignee: Assignee::Unit(p.recipient_unit_2),
                    role: AssignmentRole::Supporting,
                    side: Some(Side::Recipient),
                },
            ],
            targets: values.iter().map(|v| funds_target(v)).collect(),
            external_id: None,
        },
    )
    .await
    .expect("create a task")
}

/// A report by `unit` for `period`, submitted on `submitted` (China's day,
/// at 10:00 there) and approved when asked; a draft without a day.
pub async fn report_on(
    db: &DatabaseConnection,
    task: &task::Task,
    unit: Uuid,
    period: &str,
    values: &[(usize, &str)],
    submitted: Option<&str>,
    approve: bool,
) -> Uuid {
    let system = Caller::system();
    let lead = task
        .assignments
        .iter()
        .any(|a| a.role == AssignmentRole::Lead && a.unit_id == Some(unit));
    let made = report::create(
        db,
        &system,
        NewReport {
            task_id: task.id,
            unit_id: Some(unit),
            period: ReportPeriod::parse(period).expect("period"),
            consolidated: lead,
            text: format!("{period}进展"),
            values: values
                .iter()
                .map(|(i, v)| ValueInput {
                    target_id: task.targets[*i].id,
                    actual: Amount::parse(v).expect("amount"),
                    unit: None,
                })
                .collect(),
            external_id: None,
        },
    )
    .await
    .expect("a report");
    let Some(day) = submitted else {
        return made.id;
    };
    report::transition(db, &system, made.id, None, Transition::Submit)
        .await
        .expect("submit");
    if approve {
        report::transition(db, &system, made.id, None, Transition::Approve)
            .await
            .expect("approve");
    }
    // The day it reached the office: 10:00 in China is 02:00 UTC.
    let day: NaiveDate = day.parse().expect("a day");
    let at = Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).expect("a time"));
    entity::reports::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(made.id),
        submitted_at: Set(Some(at)),
        ..Default::default()
    }
    .update(db)
    .await
    .expect("backdate the submission");
    made.id
}
