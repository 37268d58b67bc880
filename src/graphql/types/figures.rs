//! What is done, late and added up: statistics (统计), the reporting
//! calendar (报送日历) and task progress (进度). Each wraps a domain view;
//! ids are global ids, and the task, unit and pairing behind them load in
//! batches.

use crate::domain::units::Normalized;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

use super::plan::TaskNode;
use super::reference::{PairingNode, UnitNode, load_unit};
use crate::domain::calendar::{CalendarPage, LateReport, LateUnit, Obligation, ObligationCounts};
use crate::domain::progress::{PlanProgress, TargetProgress, TaskProgress};
use crate::domain::statistics::{MetricTotal, OverdueTask, PairingStatistics, Series, Statistics, TaskCounts};
use crate::domain::values::{Amount, ReportPeriod};
use crate::graphql::context::loader;
use crate::graphql::ids::global_id;
use crate::graphql::loaders::{PairingKey, TaskKey};
use crate::graphql::scalars::{AssignmentRole, Comparator, ObligationStatus, ProgressSource, TaskStatus};

async fn load_task(ctx: &Context<'_>, id: Uuid) -> Result<Option<TaskNode>> {
    Ok(loader(ctx)?.load_one(TaskKey(id)).await?.map(TaskNode))
}

/// Task counts by status, and rates.
#[derive(SimpleObject)]
#[graphql(name = "TaskCounts")]
pub struct TaskCountsObject {
    /// All tasks counted.
    pub total: u64,
    /// 未启动.
    pub not_started: u64,
    /// 推进中.
    pub in_progress: u64,
    /// 已完成.
    pub completed: u64,
    /// 已取消.
    pub cancelled: u64,
    /// Past the deadline, neither completed nor cancelled (逾期).
    pub overdue: u64,
    /// Completed ÷ tasks not cancelled, in percent with two decimals (`"36.80"`).
    pub completion_rate: Option<String>,
    /// Completed on or before the deadline ÷ completed, in percent.
    pub on_time_rate: Option<String>,
}

impl From<TaskCounts> for TaskCountsObject {
    fn from(c: TaskCounts) -> Self {
        TaskCountsObject {
            total: c.total,
            not_started: c.not_started,
            in_progress: c.in_progress,
            completed: c.completed,
            cancelled: c.cancelled,
            overdue: c.overdue,
            completion_rate: c.completion_rate,
            on_time_rate: c.on_time_rate,
        }
    }
}

/// Targets and approved actuals of one metric (exact decimals: 万元 stays 万元).
#[derive(SimpleObject)]
#[graphql(name = "MetricTotal")]
pub struct MetricTotalObject {
    /// The metric's code (`investment_funds`).
    pub metric: String,
    /// 实际到位资金
    pub name: String,
    /// The metric's unit, which both totals are in: 万元
    pub unit: String,
    /// How many targets count towards it.
    pub targets: u64,
    /// The sum of their values in the metric's unit (a range counts its lower end; 230亿元 is 2300000 in 万元).
    pub target_total: Normalized,
    /// The sum of the latest approved consolidated year-to-date actuals of each task and lead unit, in the metric's unit.
    pub actual_total: Normalized,
}

/// How many distinct pairings, regions and units the counted tasks span.
#[derive(SimpleObject)]
#[graphql(name = "DistinctCounts")]
pub struct DistinctCountsObject {
    /// Pairings with a counted task.
    pub pairings: u64,
    /// Helping regions (帮扶方) of those pairings.
    pub helper_regions: u64,
    /// Helped regions (受帮扶方) of those pairings.
    pub recipient_regions: u64,
    /// Units with an approved report on the counted tasks (a lead unit's or a supporting unit's), by the `period` or `asOf` when given.
    pub reporting_units: u64,
}

impl From<MetricTotal> for MetricTotalObject {
    fn from(m: MetricTotal) -> Self {
        MetricTotalObject {
            metric: m.metric,
            name: m.name,
            unit: m.unit,
            targets: m.targets,
            target_total: m.target_total,
            actual_total: m.actual_total,
        }
    }
}

/// The figures of one pairing (结对).
pub struct PairingStatisticsObject(PairingStatistics);

/// The figures of one pairing (结对).
#[Object(name = "PairingStatistics")]
impl PairingStatisticsObject {
    /// The pairing's global id.
    async fn pairing_id(&self) -> ID {
        global_id("Pairing", self.0.pairing_id)
    }
    /// The pairing.
    async fn pairing(&self, ctx: &Context<'_>) -> Result<Option<PairingNode>> {
        Ok(loader(ctx)?
            .load_one(PairingKey(self.0.pairing_id))
            .await?
            .map(PairingNode))
    }
    /// Its task counts and rates.
    /// Task counts by status, and rates.
    async fn tasks(&self) -> TaskCountsObject {
        self.0.tasks.clone().into()
    }
    /// Per metric: the sums of its targets and of approved actuals.
    async fn metrics(&self) -> Vec<MetricTotalObject> {
        self.0.metrics.iter().cloned().map(Into::into).collect()
    }
}

/// An overdue task (逾期).
pub struct OverdueTaskObject(OverdueTask);

/// An overdue task (逾期).
#[Object(name = "OverdueTask")]
impl OverdueTaskObject {
    /// The task's global id.
    async fn id(&self) -> ID {
        global_id("Task", self.0.id)
    }
    /// The task's REST id.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The plan's global id.
    async fn plan_id(&self) -> ID {
        global_id("Plan", self.0.plan_id)
    }
    /// 部分; null when the plan has no sections.
    async fn section(&self) -> Option<&str> {
        self.0.section.as_deref()
    }
    /// 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }
    /// 具体任务.
    async fn content(&self) -> &str {
        &self.0.content
    }
    /// 完成时限.
    async fn deadline(&self) -> NaiveDate {
        self.0.deadline
    }
    /// 状态, as its lead unit set it.
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
}

/// Statistics (统计) over the tasks the caller may see.
pub struct StatisticsObject(pub Statistics);

/// Statistics (统计) over the tasks the caller may see.
#[Object(name = "Statistics")]
impl StatisticsObject {
    /// The calendar day in China the statistics are of: `asOf` when asked, else today.
    async fn as_of(&self) -> NaiveDate {
        self.0.as_of
    }
    /// How many distinct pairings, regions and reporting units the counted tasks span.
    async fn distinct(&self) -> DistinctCountsObject {
        let d = &self.0.distinct;
        DistinctCountsObject {
            pairings: d.pairings,
            helper_regions: d.helper_regions,
            recipient_regions: d.recipient_regions,
            reporting_units: d.reporting_units,
        }
    }
    /// Task counts by status, and rates.
    async fn tasks(&self) -> TaskCountsObject {
        self.0.tasks.clone().into()
    }
    /// Per metric: the sums of targets and of approved actuals.
    async fn metrics(&self) -> Vec<MetricTotalObject> {
        self.0.metrics.iter().cloned().map(Into::into).collect()
    }
    /// The same, per pairing.
    async fn by_pairing(&self) -> Vec<PairingStatisticsObject> {
        self.0.by_pairing.iter().cloned().map(PairingStatisticsObject).collect()
    }
    /// The overdue tasks, by deadline: at most `overdueLimit` (50 unless asked); `tasks.overdue` counts them all.
    async fn overdue(&self) -> Vec<OverdueTaskObject> {
        self.0.overdue.iter().cloned().map(OverdueTaskObject).collect()
    }
    /// The counted tasks by traffic light (督查亮灯), judged today whatever
    /// `asOf` or `period` says.
    async fn lights(&self) -> super::supervision::LightCountsObject {
        (&self.0.lights).into()
    }
}

/// A metric's approved actual, month by month, for a chart.
pub struct SeriesObject(pub Series);

/// A metric's approved actual, month by month, for a chart.
#[Object(name = "StatisticsSeries")]
impl SeriesObject {
    /// The metric's code.
    async fn metric(&self) -> &str {
        &self.0.metric
    }
    /// The metric's unit, which every point is in.
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// Twelve points, January to December.
    async fn points(&self) -> Vec<SeriesPointObject> {
        self.0
            .points
            .iter()
            .map(|p| SeriesPointObject {
                month: p.month.clone(),
                actual: p.actual,
            })
            .collect()
    }
}

/// The cumulative approved actual at the end of one month.
#[derive(SimpleObject)]
#[graphql(name = "SeriesPoint")]
pub struct SeriesPointObject {
    /// `2025-01`
    pub month: String,
    /// The latest approved year-to-date actuals by then, summed, in the metric's unit.
    pub actual: Normalized,
}

/// How far a target has got: its approved year-to-date actual against the
/// target as its comparator reads.
pub struct TargetProgressObject(TargetProgress);

/// How far a target has got: its approved year-to-date actual against the
/// target as its comparator reads.
#[Object(name = "TargetProgress")]
impl TargetProgressObject {
    /// The target's REST id.
    async fn target_uuid(&self) -> Uuid {
        self.0.target_id
    }
    /// The catalogue metric's code, when it counts towards one.
    async fn metric(&self) -> Option<&str> {
        self.0.metric.as_deref()
    }
    /// How it compares: at least, at most, about, exactly, range.
    async fn comparator(&self) -> Comparator {
        self.0.comparator.into()
    }
    /// The target's value (the lower end of a range); null for a qualitative target.
    async fn value(&self) -> Option<Amount> {
        self.0.value
    }
    /// The upper end of a range.
    async fn value_max(&self) -> Option<Amount> {
        self.0.value_max
    }
    /// Unit of measure: 万元, 人次, 个 …
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// The approved year-to-date actual in the target's unit; null before any approved figure.
    async fn actual(&self) -> Option<Normalized> {
        self.0.actual
    }
    /// Progress in percent with two decimals, not capped (`"120.00"` is 超额完成).
    async fn percent(&self) -> Option<&str> {
        self.0.percent.as_deref()
    }
    /// Whether the actual satisfies the comparator.
    async fn met(&self) -> bool {
        self.0.met
    }
}

/// A plan's progress (进度): the mean of its tasks' percents and each task's.
pub struct PlanProgressObject(pub PlanProgress);

/// A plan's progress (进度): the mean of its tasks' percents and each task's.
#[Object(name = "PlanProgress")]
impl PlanProgressObject {
    /// The mean of its tasks' percents (those that have one), two decimals
    /// (`"62.50"`); none when no task has one.
    async fn percent(&self) -> Option<&str> {
        self.0.percent.as_deref()
    }
    /// Each task the caller may see, in document order.
    async fn tasks(&self) -> Vec<TaskProgressObject> {
        self.0.tasks.iter().cloned().map(TaskProgressObject).collect()
    }
}

/// A task's progress (进度).
pub struct TaskProgressObject(pub TaskProgress);

/// A task's progress (进度).
#[Object(name = "TaskProgress")]
impl TaskProgressObject {
    /// In percent with two decimals; null when there is nothing to go by.
    async fn percent(&self) -> Option<&str> {
        self.0.percent.as_deref()
    }
    /// Where the percent comes from.
    async fn source(&self) -> ProgressSource {
        self.0.source.into()
    }
    /// The period of the approved consolidated report the actuals come from.
    async fn as_of(&self) -> Option<ReportPeriod> {
        self.0.as_of
    }
    /// Past the deadline (China's day), neither completed nor cancelled.
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
    /// Each target's progress, in the task's order.
    async fn targets(&self) -> Vec<TargetProgressObject> {
        self.0.targets.iter().cloned().map(TargetProgressObject).collect()
    }
}

/// How many reports owed stand where.
#[derive(SimpleObject)]
#[graphql(name = "ObligationCounts")]
pub struct ObligationCountsObject {
    /// Due later, not yet submitted.
    pub open: u64,
    /// Submitted on or before the due day.
    pub submitted: u64,
    /// Submitted after the due day.
    pub submitted_late: u64,
    /// Past the due day and not submitted (逾期未报).
    pub late: u64,
}

impl From<&ObligationCounts> for ObligationCountsObject {
    fn from(c: &ObligationCounts) -> Self {
        ObligationCountsObject {
            open: c.open,
            submitted: c.submitted,
            submitted_late: c.submitted_late,
            late: c.late,
        }
    }
}

/// A report a unit owes on a task for a period.
pub struct ObligationObject(Obligation);

/// A report owed on a task for a period, by a unit or by a group as one.
#[Object(name = "Obligation")]
impl ObligationObject {
    /// The task's global id.
    async fn task_id(&self) -> ID {
        global_id("Task", self.0.task_id)
    }
    /// The task (重点任务).
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<TaskNode>> {
        load_task(ctx, self.0.task_id).await
    }
    /// The plan's global id.
    async fn plan_id(&self) -> ID {
        global_id("Plan", self.0.plan_id)
    }
    /// 部分; null when the plan has no sections.
    async fn section(&self) -> Option<&str> {
        self.0.section.as_deref()
    }
    /// 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }
    /// The unit that owes it; for a group's report, the member that filed
    /// it (null until one has).
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|id| global_id("Unit", id))
    }
    /// The unit that owes it, or the group member that filed it.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        match self.0.unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The group that owes it as one (各镇街), when it is a group's.
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(|id| global_id("UnitGroup", id))
    }
    /// Lead units owe the consolidated report.
    async fn role(&self) -> AssignmentRole {
        self.0.role.into()
    }
    /// The period reported on: `2025-03`, `2025-Q1` or `2025`.
    async fn period(&self) -> ReportPeriod {
        self.0.period
    }
    /// The day it is due (China's calendar).
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }
    /// Open, submitted, submitted late or late, on the day looked from.
    async fn status(&self) -> ObligationStatus {
        self.0.status.into()
    }
    /// The submitted (or approved) report's global id.
    async fn report_id(&self) -> Option<ID> {
        self.0.report_id.map(|id| global_id("Report", id))
    }
    /// The day (in China) it was last submitted.
    async fn submitted_on(&self) -> Option<NaiveDate> {
        self.0.submitted_on
    }
}

/// The reports owed as of a day: counts of all, and one page.
pub struct CalendarPageObject(pub CalendarPage);

/// The reports owed as of a day: counts of all, and one page.
#[Object(name = "CalendarPage")]
impl CalendarPageObject {
    /// The day looked from.
    async fn on(&self) -> NaiveDate {
        self.0.on
    }
    /// Counts over everything that meets the filter except `status`.
    async fn counts(&self) -> ObligationCountsObject {
        (&self.0.counts).into()
    }
    /// How many meet the whole filter.
    async fn total(&self) -> u64 {
        self.0.total
    }
    /// In order of due day, plan, section, number, unit.
    async fn items(&self) -> Vec<ObligationObject> {
        self.0.items.iter().cloned().map(ObligationObject).collect()
    }
    /// The `offset` of the next page; null on the last.
    async fn next_offset(&self) -> Option<u64> {
        self.0.next_offset
    }
}

/// A unit with reports past their due day.
pub struct LateUnitObject(LateUnit);

/// A unit with reports past their due day.
#[Object(name = "LateUnit")]
impl LateUnitObject {
    /// The unit's global id; null when the late reports are a group's.
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|id| global_id("Unit", id))
    }
    /// The unit; null when the late reports are a group's.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        match self.0.unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The group that owes them as one (各镇街), when it is a group.
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(|id| global_id("UnitGroup", id))
    }
    /// The unit's or group's name (区商务委, 各镇街).
    async fn unit_name(&self) -> &str {
        &self.0.unit_name
    }
    /// How many of its reports are late.
    async fn late(&self) -> u64 {
        self.0.late
    }
    /// The due day of its oldest late report.
    async fn oldest_due_on(&self) -> NaiveDate {
        self.0.oldest_due_on
    }
    /// The oldest of them, at most 20.
    async fn items(&self) -> Vec<ObligationObject> {
        self.0.items.iter().cloned().map(ObligationObject).collect()
    }
}

/// Late units as of a day, the most late first.
pub struct LateReportObject(pub LateReport);

/// Late units as of a day, the most late first.
#[Object(name = "LateReport")]
impl LateReportObject {
    /// The day looked from.
    async fn on(&self) -> NaiveDate {
        self.0.on
    }
    /// The late units, the most late first.
    async fn units(&self) -> Vec<LateUnitObject> {
        self.0.units.iter().cloned().map(LateUnitObject).collect()
    }
}
