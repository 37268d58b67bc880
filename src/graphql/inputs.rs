//! The input objects of the mutations, each turned into the domain's own
//! input once, here at the edge.

use async_graphql::{ID, InputObject, MaybeUndefined, Result};
use chrono::NaiveDate;

use crate::domain::calendar::{Calendar, Reporting};
use crate::domain::light::LightSettings;
use serde::Serialize;
use uuid::Uuid;

use super::error::DomainResultExt;
use super::ids::{uuid_of, uuid_opt};
use super::scalars::{
    Aggregation, AssignmentRole, Cluster, Comparator, GroupReports, PairingStatus, RegionKind, Role, Side,
    SupportingReports, TaskStatus, UnitKind,
};
use crate::domain::event::{EventAmount, EventInput as DomainEventInput};
use crate::domain::metric::{MetricChanges, NewMetric};
use crate::domain::pairing::{
    PairingDocument, PairingInput as DomainPairingInput, UnitPairingInput as DomainUnitPairingInput,
};
use crate::domain::plan::{NewPlan, PlanChanges, PlanOwner};
use crate::domain::region::RegionInput as DomainRegionInput;
use crate::domain::report::{NewReport, ReportChanges, ValueInput};
use crate::domain::task::{
    AssignmentChoice, AssignmentInput as DomainAssignmentInput, NewTask, TargetInput as DomainTargetInput, TaskChanges,
};
use crate::domain::unit::{UnitGroupInput as DomainUnitGroupInput, UnitInput as DomainUnitInput};
use crate::domain::user::{NewUser, UserChanges};
use crate::domain::values::{Amount, ReportPeriod};

/// An absent field stays, `null` clears, a value sets.
fn change<T: Clone>(value: &MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.clone())),
    }
}

/// A region (行政区划), whole: the input of a create and of an update.
#[derive(InputObject, Serialize)]
pub struct RegionInput {
    /// 行政区划代码, six digits; none for a development zone (开发区, 新区).
    pub code: Option<String>,
    /// 名称, e.g. 渝中区.
    pub name: String,
    /// 行政区划类别.
    pub kind: RegionKind,
    /// 一区两群 cluster; none outside Chongqing.
    pub cluster: Option<Cluster>,
    /// The region it belongs to (a city of a district), if any.
    pub parent_id: Option<ID>,
}

impl RegionInput {
    pub fn domain(&self) -> Result<DomainRegionInput> {
        Ok(DomainRegionInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind.into(),
            cluster: self.cluster.map(Into::into),
            parent_id: uuid_opt("parentId", "Region", self.parent_id.as_ref())?,
        })
    }
}

/// A new metric of the catalogue (指标目录).
#[derive(InputObject, Serialize)]
pub struct CreateMetricInput {
    /// Stable, unique: lower-case letters, digits and `_` (`villages_paired`).
    pub code: String,
    /// The term the documents use (结对村).
    pub name: String,
    /// A unit of the catalogue of units (元, 万元, 亿元, 人, 名, 人次, 亩, 个, 家, 对 …).
    pub unit_of_measure: String,
    /// SUM (the default) or NONE (percentages, growth rates; required for %).
    pub aggregation: Option<Aggregation>,
    /// The words that name it in a task's text.
    #[graphql(default)]
    pub synonyms: Vec<String>,
    /// What it counts.
    pub description: Option<String>,
}

impl CreateMetricInput {
    pub fn domain(&self) -> NewMetric {
        NewMetric {
            code: self.code.clone(),
            name: self.name.clone(),
            unit_of_measure: self.unit_of_measure.clone(),
            aggregation: self.aggregation.map(Into::into),
            synonyms: self.synonyms.clone(),
            description: self.description.clone(),
        }
    }
}

/// Changes to a metric: the fields given are replaced.
#[derive(InputObject, Serialize)]
pub struct UpdateMetricInput {
    /// Stable, unique: lower-case letters, digits and `_`.
    pub code: Option<String>,
    /// The term the documents use.
    pub name: Option<String>,
    /// Of the same dimension while targets use the metric (万元 to 亿元: every stored figure is converted).
    pub unit_of_measure: Option<String>,
    /// SUM or NONE (required for %).
    pub aggregation: Option<Aggregation>,
    /// The words that name it in a task's text (replaces the list).
    pub synonyms: Option<Vec<String>>,
    /// What it counts.
    pub description: Option<String>,
}

impl UpdateMetricInput {
    pub fn domain(&self) -> MetricChanges {
        MetricChanges {
            code: self.code.clone(),
            name: self.name.clone(),
            unit_of_measure: self.unit_of_measure.clone(),
            aggregation: self.aggregation.map(Into::into),
            synonyms: self.synonyms.clone(),
            description: self.description.clone(),
        }
    }
}

/// A unit (单位), whole: the input of a create and of an update.
#[derive(InputObject, Serialize)]
pub struct UnitInput {
    /// The region the unit belongs to; it cannot change.
    pub region_id: ID,
    /// Unique in the region among units, groups and aliases, e.g. 县经济信息委.
    pub name: String,
    /// 单位类别.
    pub kind: UnitKind,
    /// Other names of the unit in documents (县投资促进服务中心); replaced as a whole.
    #[graphql(default)]
    pub aliases: Vec<String>,
    /// A platform's id of the unit; unique among units.
    pub external_id: Option<String>,
}

impl UnitInput {
    pub fn domain(&self) -> Result<DomainUnitInput> {
        Ok(DomainUnitInput {
            region_id: uuid_of("regionId", "Region", &self.region_id)?,
            name: self.name.clone(),
            kind: self.kind.into(),
            aliases: self.aliases.clone(),
            external_id: self.external_id.clone(),
        })
    }
}

/// A unit group (单位组), whole: give a rule (`ruleKinds`), members (`memberIds`), or both.
#[derive(InputObject, Serialize)]
pub struct UnitGroupInput {
    /// The region the group belongs to; it cannot change.
    pub region_id: ID,
    /// Unique in the region among units, groups and aliases, e.g. 各镇街.
    pub name: String,
    /// Every unit of these kinds in the region belongs to the group.
    pub rule_kinds: Option<Vec<UnitKind>>,
    /// Units of the region named explicitly.
    #[graphql(default)]
    pub member_ids: Vec<ID>,
    /// Other names of the group in documents (各街镇).
    #[graphql(default)]
    pub aliases: Vec<String>,
    /// What the group is (渝中区所有街道).
    pub description: Option<String>,
}

impl UnitGroupInput {
    pub fn domain(&self) -> Result<DomainUnitGroupInput> {
        Ok(DomainUnitGroupInput {
            region_id: uuid_of("regionId", "Region", &self.region_id)?,
            name: self.name.clone(),
            rule_kinds: self
                .rule_kinds
                .as_ref()
                .map(|k| k.iter().map(|k| (*k).into()).collect()),
            member_ids: self
                .member_ids
                .iter()
                .enumerate()
                .map(|(i, id)| uuid_of(&format!("memberIds[{i}]"), "Unit", id))
                .collect::<Result<_>>()?,
            aliases: self.aliases.clone(),
            description: self.description.clone(),
        })
    }
}

/// An agreement or task-list document of a pairing (文件).
#[derive(InputObject, Serialize)]
pub struct PairingDocumentInput {
    /// 标题.
    pub title: String,
    /// 文号, e.g. 巫溪府发〔2025〕20号.
    pub doc_number: Option<String>,
    /// 印发日期.
    pub issued_on: Option<NaiveDate>,
}

/// A pairing (结对), whole: the input of a create and of an update.
#[derive(InputObject, Serialize)]
pub struct PairingInput {
    /// 帮扶方, e.g. 渝中区.
    pub helper_region_id: ID,
    /// 受帮扶方, e.g. 巫溪县.
    pub recipient_region_id: ID,
    /// 联合帮扶方; replaced as a whole.
    #[graphql(default)]
    pub co_helper_region_ids: Vec<ID>,
    /// The year the pairing began.
    pub start_year: Option<i32>,
    /// Defaults to ACTIVE.
    pub status: Option<PairingStatus>,
    /// 备注.
    pub note: Option<String>,
    /// Agreement documents, in order; replaced as a whole.
    #[graphql(default)]
    pub documents: Vec<PairingDocumentInput>,
}

impl PairingInput {
    pub fn domain(&self) -> Result<DomainPairingInput> {
        Ok(DomainPairingInput {
            helper_region_id: uuid_of("helperRegionId", "Region", &self.helper_region_id)?,
            recipient_region_id: uuid_of("recipientRegionId", "Region", &self.recipient_region_id)?,
            co_helper_region_ids: self
                .co_helper_region_ids
                .iter()
                .enumerate()
                .map(|(i, id)| uuid_of(&format!("coHelperRegionIds[{i}]"), "Region", id))
                .collect::<Result<_>>()?,
            start_year: self.start_year,
            status: self.status.map(Into::into).unwrap_or_default(),
            note: self.note.clone(),
            documents: self
                .documents
                .iter()
                .map(|d| PairingDocument {
                    title: d.title.clone(),
                    doc_number: d.doc_number.clone(),
                    issued_on: d.issued_on,
                })
                .collect(),
        })
    }
}

/// A unit pairing (部门街镇结对), whole: the helper unit belongs to the
/// helper or a co-helper of the pairing, the recipient unit to its recipient.
#[derive(InputObject, Serialize)]
pub struct UnitPairingInput {
    /// The pairing; it cannot change.
    pub pairing_id: ID,
    /// e.g. 解放碑街道 of 渝中区.
    pub helper_unit_id: ID,
    /// e.g. 白鹿镇 of 巫溪县.
    pub recipient_unit_id: ID,
    /// 序号 in the document's table.
    pub seq: Option<i32>,
    /// 备注.
    pub note: Option<String>,
}

impl UnitPairingInput {
    pub fn domain(&self) -> Result<DomainUnitPairingInput> {
        Ok(DomainUnitPairingInput {
            pairing_id: uuid_of("pairingId", "Pairing", &self.pairing_id)?,
            helper_unit_id: uuid_of("helperUnitId", "Unit", &self.helper_unit_id)?,
            recipient_unit_id: uuid_of("recipientUnitId", "Unit", &self.recipient_unit_id)?,
            seq: self.seq,
            note: self.note.clone(),
        })
    }
}

/// An amount of an event: a value and its unit (8.46万亩, 21150万元).
#[derive(InputObject, Serialize)]
pub struct EventAmountInput {
    /// The exact value, as a string.
    pub value: Amount,
    /// The unit of measure: 万亩, 万元, 个 …
    pub unit: String,
    /// What the amount counts (森林面积指标).
    pub label: Option<String>,
}

/// An event of the chronicle (大事记), whole: the input of a create and of an update.
#[derive(InputObject, Serialize)]
pub struct EventInput {
    /// The pairing whose chronicle it belongs to; it cannot change.
    pub pairing_id: ID,
    /// The day it happened.
    pub occurred_on: NaiveDate,
    /// 标题, e.g. 渝中区向巫溪县购买森林面积指标.
    pub title: String,
    /// 内容.
    pub description: Option<String>,
    /// In order; replaced as a whole.
    #[graphql(default)]
    pub amounts: Vec<EventAmountInput>,
}

impl EventInput {
    pub fn domain(&self) -> Result<DomainEventInput> {
        Ok(DomainEventInput {
            pairing_id: uuid_of("pairingId", "Pairing", &self.pairing_id)?,
            occurred_on: self.occurred_on,
            title: self.title.clone(),
            description: self.description.clone(),
            amounts: self
                .amounts
                .iter()
                .map(|a| EventAmount {
                    value: a.value,
                    unit: a.unit.clone(),
                    label: a.label.clone(),
                })
                .collect(),
        })
    }
}

/// A new plan (任务清单), of a pairing (`pairingId`) or of one region (`regionId`).
#[derive(InputObject, Serialize)]
pub struct CreatePlanInput {
    /// The pairing (结对) whose plan it is.
    pub pairing_id: Option<ID>,
    /// The region whose own plan it is.
    pub region_id: Option<ID>,
    /// 年度.
    pub year: i32,
    /// 标题, e.g. 渝中区·巫溪县2025年度对口协同发展任务清单.
    pub title: String,
    /// 文号, e.g. 巫溪府发〔2025〕20号.
    pub doc_number: Option<String>,
    /// 印发日期.
    pub issued_on: Option<NaiveDate>,
    /// 印发机关.
    #[graphql(default)]
    pub issuers: Vec<String>,
    /// Defaults to the end of the year.
    pub default_deadline: Option<NaiveDate>,
    /// When its reports are due; when omitted, as the documents ask of its
    /// kind: a pairing's list the year by 11-20 (and the summary by 12-20),
    /// a region's own plan each quarter by the 10th and the year.
    pub calendar: Option<CalendarInput>,
    /// Who owes the reports; lead units only, one report per group, when omitted.
    pub reporting: Option<ReportingInput>,
    /// When tasks turn yellow; 15 days or 20 points when omitted.
    pub lights: Option<LightSettingsInput>,
    /// The platform's own id of it, unique per client (REST `PUT
    /// …/by-external-id/{external_id}` finds it by this).
    pub external_id: Option<String>,
}

impl CreatePlanInput {
    pub fn domain(&self) -> Result<NewPlan> {
        let owner = PlanOwner::required(
            uuid_opt("pairingId", "Pairing", self.pairing_id.as_ref())?,
            uuid_opt("regionId", "Region", self.region_id.as_ref())?,
            ["pairingId", "regionId"],
        )
        .gql()?;
        Ok(NewPlan {
            owner,
            year: self.year,
            title: self.title.clone(),
            doc_number: self.doc_number.clone(),
            issued_on: self.issued_on,
            issuers: self.issuers.clone(),
            default_deadline: self.default_deadline,
            calendar: self.calendar.clone().map(CalendarInput::domain),
            reporting: self.reporting.map(ReportingInput::domain),
            lights: self.lights.map(LightSettingsInput::domain),
            external_id: self.external_id.clone(),
        })
    }
}

/// Changes to a plan: an absent field stays, `null` clears.
#[derive(InputObject)]
pub struct UpdatePlanInput {
    /// 标题.
    pub title: Option<String>,
    /// 文号.
    pub doc_number: MaybeUndefined<String>,
    /// 印发日期.
    pub issued_on: MaybeUndefined<NaiveDate>,
    /// 印发机关.
    pub issuers: Option<Vec<String>>,
    /// The deadline of tasks that name none.
    pub default_deadline: Option<NaiveDate>,
    /// The whole reporting calendar, replaced.
    pub calendar: Option<CalendarInput>,
    /// The whole reporting rule, replaced.
    pub reporting: Option<ReportingInput>,
    /// Both light thresholds, replaced.
    pub lights: Option<LightSettingsInput>,
    /// Move the plan to this pairing: it becomes the pairing's list (kind
    /// PAIRING). Its tasks' units must all belong to the pairing's regions
    /// and take the side their region is on.
    pub pairing_id: Option<ID>,
    /// Move the plan to this region: it becomes the region's own plan
    /// (kind REGION). Its tasks' units must all be the region's.
    pub region_id: Option<ID>,
}

impl UpdatePlanInput {
    pub fn domain(&self) -> Result<PlanChanges> {
        Ok(PlanChanges {
            title: self.title.clone(),
            doc_number: change(&self.doc_number),
            issued_on: change(&self.issued_on),
            issuers: self.issuers.clone(),
            default_deadline: self.default_deadline,
            calendar: self.calendar.clone().map(CalendarInput::domain),
            reporting: self.reporting.map(ReportingInput::domain),
            lights: self.lights.map(LightSettingsInput::domain),
            owner: PlanOwner::named(
                uuid_opt("pairingId", "Pairing", self.pairing_id.as_ref())?,
                uuid_opt("regionId", "Region", self.region_id.as_ref())?,
                ["pairingId", "regionId"],
            )
            .gql()?,
        })
    }
}

/// Who owes a plan's reports: the lead units always; supporting units and
/// groups as this says.
#[derive(InputObject, Clone, Copy, Serialize)]
pub struct ReportingInput {
    /// Whether supporting units owe reports (NONE by default), to the lead
    /// unit or to the office.
    #[graphql(default_with = "SupportingReports::None")]
    pub supporting: SupportingReports,
    /// Whether a group owes one report (ONE_PER_GROUP by default) or each
    /// member its own.
    #[graphql(default_with = "GroupReports::OnePerGroup")]
    pub groups: GroupReports,
    /// How many days before a report is due its units are reminded, 0 to
    /// 60 (3 by default; 0: not at all).
    #[graphql(default = 3)]
    pub remind_days: i32,
    /// Whether a report needs evidence (an attachment) before it is
    /// submitted (false by default).
    #[graphql(default = false)]
    pub evidence_required: bool,
}

impl ReportingInput {
    pub fn domain(self) -> Reporting {
        Reporting {
            supporting: self.supporting.into(),
            groups: self.groups.into(),
            remind_days: self.remind_days,
            evidence_required: self.evidence_required,
        }
    }
}

/// When a plan's tasks turn yellow.
#[derive(InputObject, Clone, Copy, Serialize)]
pub struct LightSettingsInput {
    /// N: days before the deadline (0–366, 15 by default).
    #[graphql(default = 15)]
    pub due_soon_days: i32,
    /// M: points of progress behind the time elapsed (0–100, 20 by default).
    #[graphql(default = 20)]
    pub lag_points: i32,
}

impl LightSettingsInput {
    pub fn domain(self) -> LightSettings {
        LightSettings {
            due_soon_days: self.due_soon_days,
            lag_points: self.lag_points,
        }
    }
}

/// When a plan's reports are due (月调度, 季通报, 年评估考核) and the year's summary.
#[derive(InputObject, Clone, Serialize)]
pub struct CalendarInput {
    /// The day (1–28) of the following month by which each monthly report is due; null: no monthly rhythm.
    pub monthly_due_day: Option<i32>,
    /// The day (1–28) of the month after each quarter by which the quarterly report is due; null: none.
    pub quarterly_due_day: Option<i32>,
    /// The day (1–28) of the month after each half-year by which the half-year report is due; null (the default): none.
    pub half_yearly_due_day: Option<i32>,
    /// `MM-DD` in the plan's year by which the yearly report is due (`11-20`).
    pub yearly_due: String,
    /// `MM-DD` in the plan's year by which the coordinating office's summary is due (`12-20`).
    pub summary_due: String,
}

impl CalendarInput {
    pub fn domain(self) -> Calendar {
        Calendar {
            monthly_due_day: self.monthly_due_day,
            quarterly_due_day: self.quarterly_due_day,
            half_yearly_due_day: self.half_yearly_due_day,
            yearly_due: self.yearly_due,
            summary_due: self.summary_due,
        }
    }
}

/// A unit or a group on a task: give `unitId` or `groupId`.
#[derive(InputObject, Serialize)]
pub struct AssignmentInput {
    /// The unit (单位).
    pub unit_id: Option<ID>,
    /// The unit group (单位组, e.g. 各镇街).
    pub group_id: Option<ID>,
    /// 牵头 (lead) or 配合 (supporting).
    pub role: AssignmentRole,
    /// Required in a pairing's plan (帮扶方 or 受帮扶方), absent in a region's own.
    pub side: Option<Side>,
}

fn assignments(inputs: &[AssignmentInput]) -> Result<Vec<DomainAssignmentInput>> {
    let mut choices = Vec::new();
    for (i, a) in inputs.iter().enumerate() {
        choices.push(AssignmentChoice {
            unit: uuid_opt(&format!("assignments[{i}].unitId"), "Unit", a.unit_id.as_ref())?,
            group: uuid_opt(&format!("assignments[{i}].groupId"), "UnitGroup", a.group_id.as_ref())?,
            role: a.role.into(),
            side: a.side.map(Into::into),
        });
    }
    DomainAssignmentInput::choose(choices, "unitId", "groupId").gql()
}

/// A target (指标) of a task.
#[derive(InputObject, Serialize)]
pub struct TargetInput {
    /// The `uuid` of an existing target to keep (its reported values stay); absent for a new one.
    pub uuid: Option<Uuid>,
    /// A metric code of the catalogue (`investment_funds`).
    pub metric: Option<String>,
    /// What the document calls it (实际到位资金).
    pub label: Option<String>,
    /// How it compares.
    pub comparator: Comparator,
    /// The value (the lower end of a range); required unless the comparator is QUALITATIVE.
    pub value: Option<Amount>,
    /// The upper end of a RANGE.
    pub value_max: Option<Amount>,
    /// 万元, 人次, 个, 名 …: with a metric, one that converts to the metric's unit.
    pub unit: String,
    /// What a growth target is measured against (比2024年).
    pub baseline: Option<String>,
    /// The phrase it came from (力争实际到位资金5000万元以上).
    pub source_text: String,
}

fn targets(inputs: &[TargetInput]) -> Vec<DomainTargetInput> {
    inputs
        .iter()
        .map(|t| DomainTargetInput {
            id: t.uuid,
            metric: t.metric.clone(),
            label: t.label.clone(),
            comparator: t.comparator.into(),
            value: t.value,
            value_max: t.value_max,
            unit: t.unit.clone(),
            baseline: t.baseline.clone(),
            source_text: t.source_text.clone(),
        })
        .collect()
}

/// A new task (重点任务) of a plan.
#[derive(InputObject, Serialize)]
pub struct CreateTaskInput {
    /// The plan (任务清单).
    pub plan_id: ID,
    /// 部分, when the plan has sections.
    pub section: Option<String>,
    /// 序号, once within a section.
    pub seq: i32,
    /// 协同发展事项 / 重点领域, e.g. 联手开展招商引资.
    pub category: Option<String>,
    /// 具体任务.
    pub content: String,
    /// 完成时限; the plan's default deadline when absent.
    pub deadline: Option<NaiveDate>,
    /// The document's words for the deadline (2025年11月底).
    pub deadline_text: Option<String>,
    /// 牵头领导.
    #[graphql(default)]
    pub leaders: Vec<String>,
    /// 备注.
    pub notes: Option<String>,
    /// 牵头责任单位 and 配合单位.
    #[graphql(default)]
    pub assignments: Vec<AssignmentInput>,
    /// 指标.
    #[graphql(default)]
    pub targets: Vec<TargetInput>,
    /// The platform's own id of it, unique per client (REST `PUT
    /// …/by-external-id/{external_id}` finds it by this).
    pub external_id: Option<String>,
}

impl CreateTaskInput {
    pub fn domain(&self) -> Result<NewTask> {
        Ok(NewTask {
            plan_id: uuid_of("planId", "Plan", &self.plan_id)?,
            section: self.section.clone(),
            seq: self.seq,
            category: self.category.clone(),
            content: self.content.clone(),
            deadline: self.deadline,
            deadline_text: self.deadline_text.clone(),
            leaders: self.leaders.clone(),
            notes: self.notes.clone(),
            assignments: assignments(&self.assignments)?,
            targets: targets(&self.targets),
            external_id: self.external_id.clone(),
        })
    }
}

/// Changes to a task: an absent field stays, `null` clears. What the task
/// is (text, deadline, units, targets) is the coordinators'; its progress
/// (`status`, `declaredProgress`, `progressNote`) also its lead unit's.
/// `assignments` and `targets`, when given, replace the lists.
#[derive(InputObject)]
pub struct UpdateTaskInput {
    /// 部分.
    pub section: MaybeUndefined<String>,
    /// 序号.
    pub seq: Option<i32>,
    /// 协同发展事项 / 重点领域.
    pub category: MaybeUndefined<String>,
    /// 具体任务.
    pub content: Option<String>,
    /// 完成时限.
    pub deadline: Option<NaiveDate>,
    /// The document's words for the deadline.
    pub deadline_text: MaybeUndefined<String>,
    /// 牵头领导.
    pub leaders: Option<Vec<String>>,
    /// 备注.
    pub notes: MaybeUndefined<String>,
    /// 牵头责任单位 and 配合单位, replacing the list.
    pub assignments: Option<Vec<AssignmentInput>>,
    /// 指标, replacing the list; a target named by its `uuid` keeps its reported values.
    pub targets: Option<Vec<TargetInput>>,
    /// 状态.
    pub status: Option<TaskStatus>,
    /// 0 to 100, for tasks without targets.
    pub declared_progress: MaybeUndefined<i32>,
    /// The lead unit's note on progress.
    pub progress_note: MaybeUndefined<String>,
}

impl UpdateTaskInput {
    pub fn domain(&self) -> Result<TaskChanges> {
        Ok(TaskChanges {
            section: change(&self.section),
            seq: self.seq,
            category: change(&self.category),
            content: self.content.clone(),
            deadline: self.deadline,
            deadline_text: change(&self.deadline_text),
            leaders: self.leaders.clone(),
            notes: change(&self.notes),
            assignments: self.assignments.as_deref().map(assignments).transpose()?,
            targets: self.targets.as_deref().map(targets),
            status: self.status.map(Into::into),
            declared_progress: change(&self.declared_progress),
            progress_note: change(&self.progress_note),
        })
    }
}

/// A figure reached for one target, for the year to date (年度累计).
#[derive(InputObject, Serialize)]
pub struct ReportValueInput {
    /// The target's `uuid`.
    pub target_uuid: Uuid,
    /// The actual reached, as a string.
    pub actual: Amount,
    /// The unit it is written in, when not the target's (亿元 against 万元); it must convert to the target's metric's.
    pub unit: Option<String>,
}

fn values(inputs: &[ReportValueInput]) -> Vec<ValueInput> {
    inputs
        .iter()
        .map(|v| ValueInput {
            target_id: v.target_uuid,
            actual: v.actual,
            unit: v.unit.clone(),
        })
        .collect()
}

/// A new report (进展报告): a draft for the caller's unit (an administrator
/// or coordinator names `unitId`).
#[derive(InputObject, Serialize)]
pub struct CreateReportInput {
    /// The task (重点任务) reported on.
    pub task_id: ID,
    /// `2025-03`, `2025-Q1` or `2025`.
    pub period: ReportPeriod,
    /// True for the lead unit's report, which includes its supporting units' work (汇总报告).
    #[graphql(default)]
    pub consolidated: bool,
    /// 进展情况 (已帮助销售农特产品2025万元，提前完成年度目标).
    #[graphql(default)]
    pub text: String,
    /// Year-to-date figures (年度累计).
    #[graphql(default)]
    pub values: Vec<ReportValueInput>,
    /// The reporting unit; by default the caller's own.
    pub unit_id: Option<ID>,
    /// The platform's own id of it, unique per client (REST `PUT
    /// …/by-external-id/{external_id}` finds it by this).
    pub external_id: Option<String>,
}

impl CreateReportInput {
    pub fn domain(&self) -> Result<NewReport> {
        Ok(NewReport {
            task_id: uuid_of("taskId", "Task", &self.task_id)?,
            unit_id: uuid_opt("unitId", "Unit", self.unit_id.as_ref())?,
            period: self.period,
            consolidated: self.consolidated,
            text: self.text.clone(),
            values: values(&self.values),
            external_id: self.external_id.clone(),
        })
    }
}

/// Changes to a draft or returned report; `values`, when given, replace the list.
#[derive(InputObject)]
pub struct UpdateReportInput {
    /// 进展情况.
    pub text: Option<String>,
    /// Year-to-date figures (年度累计).
    pub values: Option<Vec<ReportValueInput>>,
}

impl UpdateReportInput {
    pub fn domain(&self) -> ReportChanges {
        ReportChanges {
            text: self.text.clone(),
            values: self.values.as_deref().map(values),
        }
    }
}

/// A new user (用户). Unit users and coordinators belong to a unit;
/// administrators and viewers to none.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// 用户名.
    pub username: String,
    /// 姓名.
    pub display_name: Option<String>,
    /// At least 8 characters.
    #[graphql(secret)]
    pub password: String,
    /// 角色.
    pub role: Role,
    /// The unit (单位).
    pub unit_id: Option<ID>,
}

impl CreateUserInput {
    pub fn domain(&self) -> Result<NewUser> {
        Ok(NewUser {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            password: self.password.clone(),
            role: self.role.into(),
            unit_id: uuid_opt("unitId", "Unit", self.unit_id.as_ref())?,
        })
    }
}

/// Changes to a user: an absent field stays, `null` clears.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// 姓名.
    pub display_name: MaybeUndefined<String>,
    /// 角色.
    pub role: Option<Role>,
    /// The unit (单位).
    pub unit_id: MaybeUndefined<ID>,
    /// A disabled user cannot sign in and loses access at its next refresh.
    pub disabled: Option<bool>,
}

impl UpdateUserInput {
    pub fn domain(&self) -> Result<UserChanges> {
        let unit_id = match &self.unit_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(uuid_of("unitId", "Unit", id)?)),
        };
        Ok(UserChanges {
            display_name: change(&self.display_name),
            role: self.role.map(Into::into),
            unit_id,
            disabled: self.disabled,
        })
    }
}

/// A new integration client (对接平台).
#[derive(InputObject)]
pub struct CreateClientInput {
    /// The OAuth2 `client_id`; made up when absent.
    pub client_id: Option<String>,
    /// 名称.
    pub name: String,
    /// `read` and/or `write`.
    pub scopes: Vec<String>,
    /// What a token request that names no `scope` gets; `read` when absent
    /// (or the client's scopes, if it holds no `read`).
    #[graphql(default)]
    pub default_scopes: Vec<String>,
}

/// A grant to give a client: what it reaches and whether the client
/// writes there.
#[derive(InputObject, Serialize)]
pub struct ClientGrantInput {
    /// `read` or `write`.
    pub scope: String,
    /// `all`, `region`, `pairing` or `plan`.
    pub kind: String,
    /// With `kind: region`.
    pub region_id: Option<ID>,
    /// With `kind: pairing`.
    pub pairing_id: Option<ID>,
    /// With `kind: plan`.
    pub plan_id: Option<ID>,
}

impl ClientGrantInput {
    pub fn domain(&self) -> Result<crate::domain::client::grants::NewGrant> {
        use crate::domain::client::grants::GrantRequest;
        GrantRequest::named(
            &self.scope,
            &self.kind,
            uuid_opt("input.regionId", "Region", self.region_id.as_ref())?,
            uuid_opt("input.pairingId", "Pairing", self.pairing_id.as_ref())?,
            uuid_opt("input.planId", "Plan", self.plan_id.as_ref())?,
        )
        .and_then(GrantRequest::grant)
        .gql()
    }
}

/// Which changes a webhook endpoint is told of (any that is set).
#[derive(InputObject, Serialize)]
pub struct WebhookFilterInput {
    /// Only the changes of this region's plans.
    pub region_id: Option<ID>,
    /// Only the changes of this pairing.
    pub pairing_id: Option<ID>,
    /// Only the changes of this plan.
    pub plan_id: Option<ID>,
}

impl WebhookFilterInput {
    fn domain(&self) -> Result<crate::domain::webhook::WebhookFilter> {
        Ok(crate::domain::webhook::WebhookFilter {
            region_id: uuid_opt("filter.regionId", "Region", self.region_id.as_ref())?,
            pairing_id: uuid_opt("filter.pairingId", "Pairing", self.pairing_id.as_ref())?,
            plan_id: uuid_opt("filter.planId", "Plan", self.plan_id.as_ref())?,
        })
    }
}

/// A webhook endpoint to register.
#[derive(InputObject, Serialize)]
pub struct CreateWebhookInput {
    /// `https://…` (or `http://…`); its address must be public after
    /// resolution unless `XIETONG_WEBHOOK_ALLOW_PRIVATE=true`.
    pub url: String,
    /// `report.submitted`, `task.updated`, … or `*`.
    pub events: Vec<String>,
    /// Only the changes of a region's plans, a pairing or a plan.
    pub filter: Option<WebhookFilterInput>,
    /// Your own `whsec_…` secret; one is made when none is given.
    pub secret: Option<String>,
}

impl CreateWebhookInput {
    pub fn domain(self) -> Result<crate::domain::webhook::NewWebhook> {
        Ok(crate::domain::webhook::NewWebhook {
            filter: self.filter.as_ref().map(WebhookFilterInput::domain).transpose()?,
            url: self.url,
            events: self.events,
            secret: self.secret,
        })
    }
}

/// What to change of a webhook endpoint.
#[derive(InputObject, Serialize)]
pub struct UpdateWebhookInput {
    /// Where events are posted from now on.
    pub url: Option<String>,
    /// The event types it hears from now on.
    pub events: Option<Vec<String>>,
    /// Which changes it hears from now on.
    pub filter: Option<WebhookFilterInput>,
    /// `active` enables a disabled endpoint again; `disabled` stops it.
    pub status: Option<String>,
}

impl UpdateWebhookInput {
    pub fn domain(self) -> Result<crate::domain::webhook::WebhookChanges> {
        Ok(crate::domain::webhook::WebhookChanges {
            filter: self.filter.as_ref().map(WebhookFilterInput::domain).transpose()?,
            url: self.url,
            events: self.events,
            status: self.status,
        })
    }
}
