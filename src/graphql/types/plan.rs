//! Plans (任务清单) and their tasks (重点任务) with assigned units (牵头 and
//! 配合单位) and targets (指标).

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::reference::{PairingNode, RegionNode, UnitNode, load_pairing, load_region, load_unit};
use super::report::ReportNode;
use crate::domain::plan::Plan;
use crate::domain::task::{Assignment, Placed, Target, Task};
use crate::domain::units::Normalized;
use crate::domain::values::Amount;
use crate::graphql::connection::{PageArgs, connection, cost, slice};
use crate::graphql::context::loader;
use crate::graphql::eager::Eager;
use crate::graphql::error::DomainResultExt;
use crate::graphql::ids::global_id;
use crate::graphql::loaders::{GroupKey, PlanKey, PlanTasksKey, TaskKey, TaskReportsKey};
use crate::graphql::scalars::{
    AssignmentRole, Comparator, GroupReports, Light, PlanStatus, Side, SupportingReports, TaskStatus,
};

use super::reference::UnitGroupNode;

/// A plan (任务清单 / 重点任务分解表): the yearly task list of a pairing or
/// of one region, issued as an official document.
pub struct PlanNode(pub Plan);

/// A plan (任务清单 / 重点任务分解表): the yearly task list of a pairing or
/// of one region, issued as an official document.
#[Object(name = "Plan")]
impl PlanNode {
    /// The files attached to it (佐证材料), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::types::attachment::AttachmentNode>> {
        crate::graphql::types::attachment::attachments_of(ctx, crate::domain::attachment::ParentKind::Plan, self.0.id)
            .await
    }
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Plan", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// PAIRING: a pairing's task list (结对任务清单); REGION: a region's own plan (目标任务分解方案). Statistics count pairings' lists unless asked for scope ALL.
    async fn kind(&self) -> crate::graphql::scalars::PlanKind {
        self.0.kind.into()
    }
    /// The pairing (结对) whose plan this is; none for a region's own plan.
    async fn pairing(&self, ctx: &Context<'_>) -> Result<Option<PairingNode>> {
        match self.0.pairing_id {
            Some(id) => load_pairing(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The region (行政区划) whose own plan this is; none for a pairing's plan.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        match self.0.region_id {
            Some(id) => load_region(ctx, id).await,
            None => Ok(None),
        }
    }
    /// 年度.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// 标题, e.g. 渝中区·巫溪县2025年度对口协同发展任务清单.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// 文号, e.g. 巫溪府发〔2025〕20号.
    async fn doc_number(&self) -> Option<&str> {
        self.0.doc_number.as_deref()
    }
    /// 印发日期.
    async fn issued_on(&self) -> Option<NaiveDate> {
        self.0.issued_on
    }
    /// 印发机关.
    async fn issuers(&self) -> &[String] {
        &self.0.issuers
    }
    /// 状态: draft 草稿, issued 已印发, closed 已关闭.
    async fn status(&self) -> PlanStatus {
        self.0.status.into()
    }
    /// The deadline of tasks that name none: the end of the plan's year.
    async fn default_deadline(&self) -> NaiveDate {
        self.0.default_deadline
    }
    /// When its reports are due (月调度, 季通报, 年评估考核) and the year's summary.
    async fn calendar(&self) -> PlanCalendar {
        let c = &self.0.calendar;
        PlanCalendar {
            monthly_due_day: c.monthly_due_day,
            quarterly_due_day: c.quarterly_due_day,
            half_yearly_due_day: c.half_yearly_due_day,
            yearly_due: c.yearly_due.clone(),
            summary_due: c.summary_due.clone(),
            yearly_due_on: c.yearly_due_on(self.0.year),
            summary_due_on: c.summary_due_on(self.0.year),
        }
    }
    /// Who owes its reports: the lead units always; supporting units and
    /// The projects (援建项目) that serve it, as the caller may see them.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The year of the pairing's work.")] year: Option<i32>,
        #[graphql(desc = "Only projects whose latest milestone is this.")] status: Option<
            crate::graphql::scalars::ProjectStatus,
        >,
        #[graphql(desc = "`name`, `created_at` or `updated_at`, `-` first for descending (default `name`).")]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<super::project::ProjectConnection> {
        let filter = crate::domain::project::ProjectFilter {
            plan_id: Some(self.0.id),
            year,
            status: status.map(Into::into),
            ..Default::default()
        };
        let args = crate::graphql::connection::PageArgs::new(first, after, last, before).since(updated_since);
        crate::graphql::query::projects_page(ctx, filter, sort, args).await
    }
    /// groups as this says.
    async fn reporting(&self) -> PlanReporting {
        PlanReporting {
            supporting: self.0.reporting.supporting.into(),
            groups: self.0.reporting.groups.into(),
            remind_days: self.0.reporting.remind_days,
            evidence_required: self.0.reporting.evidence_required,
        }
    }
    /// When its tasks turn yellow.
    async fn lights(&self) -> PlanLights {
        PlanLights {
            due_soon_days: self.0.lights.due_soon_days,
            lag_points: self.0.lights.lag_points,
        }
    }
    /// The plan's tasks (重点任务) that the caller may see, in document
    /// order (its sections as the document orders them, each by 序号);
    /// loaded for every plan of the query at once.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<TaskConnection> {
        let args = PageArgs::new(first, after, last, before).since(updated_since);
        let placed = loader(ctx)?
            .load_one(PlanTasksKey(self.0.id))
            .await?
            .unwrap_or_default();
        task_page(ctx, &args, placed).await
    }
    /// How far it has got (进度): the mean of its tasks' percents and each
    /// task's progress, over the tasks the caller may see; loaded for every
    /// plan of the query at once.
    async fn progress(&self, ctx: &Context<'_>) -> Result<super::figures::PlanProgressObject> {
        let found = loader(ctx)?
            .load_one(crate::graphql::loaders::PlanProgressKey(self.0.id))
            .await?;
        super::present(found.map(super::figures::PlanProgressObject), "Plan", self.0.id)
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The platform's own id of it, unique per client (REST `PUT
    /// …/by-external-id/{external_id}`).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of plans (任务清单).
    PlanConnection,
    PlanEdge,
    PlanNode,
    "A plan (任务清单) in a page, with its cursor."
);

/// A task (重点任务) of a plan: its text (具体任务), deadline (完成时限),
/// units (牵头 and 配合单位) and targets (指标).
pub struct TaskNode(pub Task);

/// A task (重点任务) of a plan: its text (具体任务), deadline (完成时限),
/// units (牵头 and 配合单位) and targets (指标).
#[Object(name = "Task")]
impl TaskNode {
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Task", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The plan (任务清单) the task belongs to.
    async fn plan(&self, ctx: &Context<'_>) -> Result<PlanNode> {
        let plan = loader(ctx)?.load_one(PlanKey(self.0.plan_id)).await?;
        super::present(plan.map(PlanNode), "Plan", self.0.plan_id)
    }
    /// 部分; none when the plan has no sections.
    async fn section(&self) -> Option<&str> {
        self.0.section.as_deref()
    }
    /// 序号 within the section.
    async fn seq(&self) -> i32 {
        self.0.seq
    }
    /// 协同发展事项 / 重点领域, e.g. 联手开展招商引资.
    async fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }
    /// 具体任务: the task's text.
    async fn content(&self) -> &str {
        &self.0.content
    }
    /// 完成时限: a calendar day in China.
    async fn deadline(&self) -> NaiveDate {
        self.0.deadline
    }
    /// The document's own words for the deadline (2025年11月底).
    async fn deadline_text(&self) -> Option<&str> {
        self.0.deadline_text.as_deref()
    }
    /// 状态, set by the lead unit.
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
    /// 逾期: past the deadline and neither completed nor cancelled.
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
    /// How far it has got (进度): each target's approved year-to-date actual
    /// through its comparator, and the task's percent from its targets or
    /// its lead unit's declaration; loaded for every task of the query at once.
    async fn progress(&self, ctx: &Context<'_>) -> Result<super::figures::TaskProgressObject> {
        let latest = loader(ctx)?
            .load_one(crate::graphql::loaders::LatestApprovedKey(self.0.id))
            .await?;
        let today = crate::graphql::context::caller(ctx)?.today();
        Ok(super::figures::TaskProgressObject(crate::domain::progress::of_task(
            &self.0,
            latest.as_ref(),
            today,
        )))
    }
    /// The lead unit's declared progress in percent, for tasks without targets.
    async fn declared_progress(&self) -> Option<i32> {
        self.0.declared_progress
    }
    /// The lead unit's note on progress.
    async fn progress_note(&self) -> Option<&str> {
        self.0.progress_note.as_deref()
    }
    /// 牵头领导: named officials, as the document names them.
    async fn leaders(&self) -> &[String] {
        &self.0.leaders
    }
    /// The leader records of `leaders`, in the same order.
    async fn leader_ids(&self) -> Vec<ID> {
        self.0.leader_ids.iter().map(|id| global_id("Leader", *id)).collect()
    }
    /// The task's traffic light (督查亮灯) today.
    async fn light(&self) -> Light {
        self.0.light.into()
    }
    /// The projects (援建项目) that serve it, as the caller may see them.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The year of the pairing's work.")] year: Option<i32>,
        #[graphql(desc = "Only projects whose latest milestone is this.")] status: Option<
            crate::graphql::scalars::ProjectStatus,
        >,
        #[graphql(desc = "`name`, `created_at` or `updated_at`, `-` first for descending (default `name`).")]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<super::project::ProjectConnection> {
        let filter = crate::domain::project::ProjectFilter {
            task_id: Some(self.0.id),
            year,
            status: status.map(Into::into),
            ..Default::default()
        };
        let args = crate::graphql::connection::PageArgs::new(first, after, last, before).since(updated_since);
        crate::graphql::query::projects_page(ctx, filter, sort, args).await
    }
    /// Its urgings (催办), newest first.
    async fn urgings(&self, ctx: &Context<'_>) -> Result<Vec<super::supervision::UrgingObject>> {
        let found = crate::domain::urging::list(
            crate::graphql::context::db(ctx),
            crate::graphql::context::caller(ctx)?,
            self.0.id,
        )
        .await
        .gql()?;
        Ok(found.into_iter().map(Into::into).collect())
    }
    /// Its requests for more time (延期申请), newest first: the approved
    /// ones are the history of its deadline.
    async fn extensions(&self, ctx: &Context<'_>) -> Result<Vec<super::supervision::ExtensionObject>> {
        let found = crate::domain::extension::list(
            crate::graphql::context::db(ctx),
            crate::graphql::context::caller(ctx)?,
            self.0.id,
        )
        .await
        .gql()?;
        Ok(found.into_iter().map(Into::into).collect())
    }
    /// Why it is not green.
    async fn light_reasons(&self) -> Vec<LightReasonObject> {
        self.0
            .light_reasons
            .iter()
            .map(|r| LightReasonObject {
                code: r.code.clone(),
                message: r.message.clone(),
            })
            .collect()
    }
    /// 备注.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The units and groups assigned (牵头责任单位 and 配合单位), in document order.
    async fn assignments(&self) -> Eager<AssignmentObject> {
        self.0.assignments.iter().cloned().map(AssignmentObject).collect()
    }
    /// The quantitative targets (指标), in document order.
    async fn targets(&self) -> Eager<TargetObject> {
        self.0.targets.iter().cloned().map(TargetObject).collect()
    }
    /// The progress reports (进展报告) on the task that the caller may see,
    /// by period; loaded for every task of the query at once.
    #[graphql(complexity = "20 * child_complexity + 1")]
    async fn reports(&self, ctx: &Context<'_>) -> Result<Eager<ReportNode>> {
        Ok(loader(ctx)?
            .load_one(TaskReportsKey(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ReportNode)
            .collect())
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The platform's own id of it, unique per client (REST `PUT
    /// …/by-external-id/{external_id}`).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of tasks (重点任务).
    TaskConnection,
    TaskEdge,
    TaskNode,
    "A task (重点任务) in a page, with its cursor."
);

/// A unit or a group assigned to a task, with its role and side.
pub struct AssignmentObject(pub Assignment);

/// A unit or a group assigned to a task, with its role and side.
#[Object(name = "Assignment")]
impl AssignmentObject {
    /// The unit (单位), when a unit is assigned.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        match self.0.unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The unit group (单位组, e.g. 各镇街), when a group is assigned.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<UnitGroupNode>> {
        match self.0.group_id {
            Some(id) => Ok(loader(ctx)?.load_one(GroupKey(id)).await?.map(UnitGroupNode)),
            None => Ok(None),
        }
    }
    /// The REST id of the unit, when a unit is assigned.
    async fn unit_uuid(&self) -> Option<Uuid> {
        self.0.unit_id
    }
    /// The REST id of the group, when a group is assigned.
    async fn group_uuid(&self) -> Option<Uuid> {
        self.0.group_id
    }
    /// The unit's or group's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 牵头 (lead) or 配合 (supporting).
    async fn role(&self) -> AssignmentRole {
        self.0.role.into()
    }
    /// The side of the pairing it acts for (帮扶方 or 受帮扶方); none in a region's own plan.
    async fn side(&self) -> Option<Side> {
        self.0.side.map(Into::into)
    }
}

/// A quantitative goal inside a task (指标): 实际到位资金5000万元以上.
pub struct TargetObject(pub Target);

/// A quantitative goal inside a task (指标): 实际到位资金5000万元以上.
#[Object(name = "Target")]
impl TargetObject {
    /// The target's id, to name it in a report's values.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The catalogue metric's code (指标目录), when the target counts towards one.
    async fn metric(&self) -> Option<&str> {
        self.0.metric.as_deref()
    }
    /// What the document calls it (实际到位资金).
    async fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }
    /// How it compares: 以上, 以内, 左右, exactly, a range, or qualitative.
    async fn comparator(&self) -> Comparator {
        self.0.comparator.into()
    }
    /// The value as written (the lower end of a range); null for a qualitative target.
    async fn value(&self) -> Option<Amount> {
        self.0.value
    }
    /// The upper end of a range (3—5名), none otherwise.
    async fn value_max(&self) -> Option<Amount> {
        self.0.value_max
    }
    /// Unit of measure as written (计量单位): 万元, 人次, 个, 名 …
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// The value in its metric's unit (230亿元 of a metric in 万元 is "2300000"); null without a metric or a value.
    async fn normalized(&self) -> Option<Normalized> {
        self.0.normalized
    }
    /// The upper end of a range in its metric's unit.
    async fn normalized_max(&self) -> Option<Normalized> {
        self.0.normalized_max
    }
    /// What a growth target is measured against, as written (比2024年).
    async fn baseline(&self) -> Option<&str> {
        self.0.baseline.as_deref()
    }
    /// The phrase the target came from (力争实际到位资金5000万元以上).
    async fn source_text(&self) -> &str {
        &self.0.source_text
    }
}

/// Who owes a plan's reports.
#[derive(async_graphql::SimpleObject)]
pub struct PlanReporting {
    /// Whether supporting units owe reports: NONE, TO_LEAD or TO_OFFICE.
    pub supporting: SupportingReports,
    /// Whether a group owes one report (ONE_PER_GROUP) or each member its own (NONE).
    pub groups: GroupReports,
    /// How many days before a report is due its units are reminded (0: not at all).
    pub remind_days: i32,
    /// Whether a report needs evidence (an attachment) before it is submitted.
    pub evidence_required: bool,
}

/// When a plan's tasks turn yellow.
#[derive(async_graphql::SimpleObject)]
pub struct PlanLights {
    /// N: a task not complete turns yellow this many days before its deadline.
    pub due_soon_days: i32,
    /// M: a task turns yellow when its progress trails the elapsed share of its time by more than this many points.
    pub lag_points: i32,
}

/// Why a task is not green.
#[derive(async_graphql::SimpleObject)]
#[graphql(name = "LightReason")]
pub struct LightReasonObject {
    /// `overdue`, `report_late` (red); `deadline_near`, `behind_schedule` (yellow).
    pub code: String,
    /// What a person reads: the day, the count, the figures.
    pub message: String,
}

/// When a plan's reports are due.
#[derive(async_graphql::SimpleObject)]
pub struct PlanCalendar {
    /// The day (1–28) of the following month by which each monthly report (月调度) is due; null: no monthly rhythm.
    pub monthly_due_day: Option<i32>,
    /// The day (1–28) of the month after each quarter by which the quarterly report (季通报) is due; null: none.
    pub quarterly_due_day: Option<i32>,
    /// The day (1–28) of the month after each half-year (July, January) by which the half-year report is due; null: none.
    pub half_yearly_due_day: Option<i32>,
    /// `MM-DD` in the plan's year by which the yearly report (年评估考核) is due.
    pub yearly_due: String,
    /// `MM-DD` in the plan's year by which the coordinating office's summary is due.
    pub summary_due: String,
    /// The yearly report's due day in the plan's year.
    pub yearly_due_on: Option<NaiveDate>,
    /// The summary's due day in the plan's year.
    pub summary_due_on: Option<NaiveDate>,
}

/// A page of tasks cut from their places (a plan's, a unit's), with the
/// views of that page alone built: every list of a query level asks at
/// once, so the statements stay as many however long the lists.
pub(super) async fn task_page(ctx: &Context<'_>, args: &PageArgs, placed: Vec<Placed>) -> Result<TaskConnection> {
    let page = slice(ctx, args, "seq", placed, Placed::cursor_in_plan, |p| TaskKey(p.id))?;
    let mut views = loader(ctx)?.load_many(page.edges.iter().map(|(_, key)| *key)).await?;
    Ok(TaskConnection(page.filter_map(|key| views.remove(&key).map(TaskNode))))
}
