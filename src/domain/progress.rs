//! A task's figures and progress: the latest approved consolidated report is
//! the task's figure for the year to date, so that nothing is counted twice;
//! each target's progress reads that figure through its comparator.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{reports, tasks};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use super::report::{Report, ReportValue, report_views};
use super::task::{Target, Task};
use super::units::{self, Normalized};
use super::values::{Amount, Comparator, ReportPeriod, ReportStatus, TaskStatus, is_overdue};
use super::{Caller, DomainError, DomainResult};

/// The latest approved consolidated report of each task that has one
/// (latest by the end of the period it covers, then by review time).
///
/// The database picks the one row per task (a window over the task's
/// approved reports) in the same statement that reads it: a year of
/// monthly reports per task was read whole and all but one row dropped
/// here, a cost that grew with the months (BENCHMARKS.md, "SQLite at full
/// speed").
pub async fn latest_approved<C: ConnectionTrait>(conn: &C, task_ids: &[Uuid]) -> DomainResult<HashMap<Uuid, Report>> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.get_database_backend();
    let template = format!(
        "SELECT * FROM reports WHERE id IN (SELECT latest.id FROM (SELECT r.id, ROW_NUMBER() OVER ( \
           PARTITION BY r.task_id ORDER BY r.period_end DESC, r.reviewed_at DESC, r.id DESC) AS rn \
           FROM reports r WHERE r.status = '{approved}' AND r.consolidated = {yes} AND r.task_id IN ({{tasks}})) latest \
         WHERE latest.rn = 1)",
        approved = ReportStatus::Approved.as_str(),
        yes = super::statistics::literal_true(backend),
    );
    let tasks = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::Id.is_in(task_ids.iter().copied()))
        .to_owned();
    let rows = reports::Entity::find()
        .from_raw_sql(super::statistics::statement(backend, &template, &tasks))
        .all(conn)
        .await?;
    let views = report_views(conn, rows).await?;
    Ok(views.into_iter().map(|r| (r.task_id, r)).collect())
}

/// How far a target has got: its year-to-date actual from the task's latest
/// approved consolidated report, against the target as its comparator reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetProgress {
    pub target_id: Uuid,
    /// The catalogue metric's code, when the target counts towards one.
    pub metric: Option<String>,
    pub comparator: Comparator,
    /// None for a qualitative target.
    pub value: Option<Amount>,
    pub value_max: Option<Amount>,
    /// Unit of measure: 万元, 人次, 个 …
    pub unit: String,
    /// The approved year-to-date actual in the target's unit; none before
    /// any approved figure.
    pub actual: Option<Normalized>,
    /// Progress towards the target in percent with two decimals, not capped
    /// (`"120.00"` is 超额完成): actual ÷ value for at least, about and
    /// exactly, actual ÷ the lower end for a range; for at most, 100 while
    /// the actual stays within the value and value ÷ actual beyond it.
    pub percent: Option<String>,
    /// Whether the actual satisfies the comparator: at least ≥ value, at
    /// most ≤ value, about within 10 % of the value, exactly = value, range
    /// between its ends (inclusive); a qualitative target is met by
    /// declaration, when its task is completed.
    pub met: bool,
}

/// Where a task's progress comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgressSource {
    /// The mean of its targets' progress, each capped at 100 and counted as
    /// 0 while it has no approved figure.
    Targets,
    /// The lead unit's declared progress (the task has no targets).
    Declared,
    /// Completed, with neither targets nor a declaration: 100.
    Completed,
    /// Nothing to go by, or cancelled: no progress.
    None,
}

/// A task's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskProgress {
    pub task_id: Uuid,
    pub status: TaskStatus,
    /// Past the deadline (China's calendar day), neither completed nor cancelled.
    pub overdue: bool,
    /// In percent with two decimals (`"75.00"`); none when there is nothing to go by.
    pub percent: Option<String>,
    pub source: ProgressSource,
    /// The period of the approved consolidated report the actuals come from.
    pub as_of: Option<ReportPeriod>,
    pub targets: Vec<TargetProgress>,
}

/// A percentage with two decimals, rounded half away from zero.
fn percent_text(value: Decimal) -> String {
    format!(
        "{:.2}",
        value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    )
}

/// `part ÷ whole × 100`; 100 when nothing was asked for.
fn ratio(part: Decimal, whole: Decimal) -> Decimal {
    if whole <= Decimal::ZERO {
        return if part >= whole {
            Decimal::ONE_HUNDRED
        } else {
            Decimal::ZERO
        };
    }
    part * Decimal::ONE_HUNDRED / whole
}

/// The progress of one target given its approved actual in the target's
/// unit (percent, met); none for a qualitative target.
pub fn measure(
    comparator: Comparator,
    value: Amount,
    value_max: Option<Amount>,
    actual: Decimal,
) -> Option<(Decimal, bool)> {
    let (v, a) = (value.decimal(), actual);
    Some(match comparator {
        Comparator::AtLeast => (ratio(a, v), a >= v),
        Comparator::AtMost => {
            let percent = if a <= v { Decimal::ONE_HUNDRED } else { ratio(v, a) };
            (percent, a <= v)
        }
        Comparator::About => {
            let tolerance = v.abs() / Decimal::TEN;
            (ratio(a, v), (a - v).abs() <= tolerance)
        }
        // A figure a plan states bare (新培育“四上”企业100户, 固定资产投资增长5%)
        // is a goal to reach: more is over-fulfilment (超额完成), not a miss.
        Comparator::Exactly => (ratio(a, v), a >= v),
        Comparator::Range => {
            let high = value_max.map_or(v, Amount::decimal);
            (ratio(a, v), a >= v && a <= high)
        }
        Comparator::Qualitative => return None,
    })
}

/// A reported actual in its target's unit: as written when the units agree,
/// converted when they differ (the service let it in only if they convert).
fn in_target_unit(target: &Target, value: &ReportValue) -> Option<Normalized> {
    match value.unit.as_deref() {
        None => Some(Normalized::from_amount(value.actual)),
        Some(unit) if unit == target.unit => Some(Normalized::from_amount(value.actual)),
        Some(unit) => units::convert(value.actual, unit, &target.unit).ok(),
    }
}

/// The progress of a task, given its latest approved consolidated report.
pub fn of_task(task: &Task, latest: Option<&Report>, today: NaiveDate) -> TaskProgress {
    // Each target with its progress, capped at 100 for the task's mean (0
    // without an approved figure); a qualitative target is not measured.
    let (targets, capped): (Vec<TargetProgress>, Vec<Option<Decimal>>) = task
        .targets
        .iter()
        .map(|target| {
            let actual = latest
                .and_then(|r| r.values.iter().find(|v| v.target_id == target.id))
                .and_then(|v| in_target_unit(target, v));
            let measured = match (target.value, actual) {
                (Some(value), Some(a)) => measure(target.comparator, value, target.value_max, a.decimal()),
                _ => None,
            };
            let qualitative = target.comparator == Comparator::Qualitative;
            let progress = TargetProgress {
                target_id: target.id,
                metric: target.metric.clone(),
                comparator: target.comparator,
                value: target.value,
                value_max: target.value_max,
                unit: target.unit.clone(),
                actual,
                percent: measured.map(|(p, _)| percent_text(p)),
                met: if qualitative {
                    task.status == TaskStatus::Completed
                } else {
                    measured.is_some_and(|(_, met)| met)
                },
            };
            let share = (!qualitative).then(|| measured.map_or(Decimal::ZERO, |(p, _)| p.min(Decimal::ONE_HUNDRED)));
            (progress, share)
        })
        .unzip();
    let capped: Vec<Decimal> = capped.into_iter().flatten().collect();
    let (percent, source) = if task.status == TaskStatus::Cancelled {
        (None, ProgressSource::None)
    } else if !capped.is_empty() {
        let sum: Decimal = capped.iter().sum();
        (Some(sum / Decimal::from(capped.len())), ProgressSource::Targets)
    } else if let Some(declared) = task.declared_progress {
        (Some(Decimal::from(declared)), ProgressSource::Declared)
    } else if task.status == TaskStatus::Completed {
        (Some(Decimal::ONE_HUNDRED), ProgressSource::Completed)
    } else {
        (None, ProgressSource::None)
    };
    TaskProgress {
        task_id: task.id,
        status: task.status,
        overdue: is_overdue(task.status, task.deadline, today),
        percent: percent.map(percent_text),
        source,
        as_of: latest.map(|r| r.period),
        targets,
    }
}

/// The progress of tasks the caller has already been allowed to see.
pub async fn of_tasks<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
    tasks: &[Task],
) -> DomainResult<Vec<TaskProgress>> {
    let latest = latest_approved(conn, &tasks.iter().map(|t| t.id).collect::<Vec<_>>()).await?;
    Ok(tasks.iter().map(|t| of_task(t, latest.get(&t.id), today)).collect())
}

/// The progress of one task the caller may see.
pub async fn of_task_id<C: ConnectionTrait>(conn: &C, caller: &Caller, task_id: Uuid) -> DomainResult<TaskProgress> {
    let task = super::task::get(conn, caller, task_id).await?;
    let mut all = of_tasks(conn, caller.today(), std::slice::from_ref(&task)).await?;
    all.pop().ok_or_else(|| DomainError::not_found("task", task_id))
}

/// A plan's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanProgress {
    pub plan_id: Uuid,
    /// The mean of its tasks' percents (those that have one), two decimals.
    pub percent: Option<String>,
    /// Each task the caller may see, in document order.
    pub tasks: Vec<TaskProgress>,
}

/// The progress of every task of a plan that the caller may see, in document order.
pub async fn of_plan<C: ConnectionTrait>(conn: &C, caller: &Caller, plan_id: Uuid) -> DomainResult<PlanProgress> {
    let tasks = super::task::unjudged_of_plan(conn, caller, plan_id).await?;
    let tasks = of_tasks(conn, caller.today(), &tasks).await?;
    Ok(summed(plan_id, tasks))
}

/// The progress of plans already shown to the caller, each over the tasks
/// it may see, in a fixed number of statements: for batch loading
/// (`Plan.progress`).
pub async fn of_plans<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    plan_ids: &[Uuid],
) -> DomainResult<Vec<PlanProgress>> {
    let tasks = super::task::unjudged_by_plans(conn, caller, plan_ids).await?;
    let plan_of: HashMap<Uuid, Uuid> = tasks.iter().map(|t| (t.id, t.plan_id)).collect();
    let mut by_plan: HashMap<Uuid, Vec<TaskProgress>> = plan_ids.iter().map(|id| (*id, Vec::new())).collect();
    for progress in of_tasks(conn, caller.today(), &tasks).await? {
        if let Some(plan) = plan_of.get(&progress.task_id) {
            by_plan.entry(*plan).or_default().push(progress);
        }
    }
    Ok(by_plan.into_iter().map(|(plan, tasks)| summed(plan, tasks)).collect())
}

/// A plan's progress: the mean of its tasks' percents (those that have one).
fn summed(plan_id: Uuid, tasks: Vec<TaskProgress>) -> PlanProgress {
    let percents: Vec<Decimal> = tasks
        .iter()
        .filter_map(|t| t.percent.as_deref().and_then(|p| p.parse::<Decimal>().ok()))
        .collect();
    let percent =
        (!percents.is_empty()).then(|| percent_text(percents.iter().sum::<Decimal>() / Decimal::from(percents.len())));
    PlanProgress {
        plan_id,
        percent,
        tasks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        Amount::parse(text).expect("amount")
    }

    fn check(comparator: Comparator, value: &str, max: Option<&str>, actual: &str) -> (String, bool) {
        let (p, met) = measure(comparator, amount(value), max.map(amount), amount(actual).decimal()).expect("measured");
        (percent_text(p), met)
    }

    #[test]
    fn comparators_read_as_the_documents_mean_them() {
        assert_eq!(
            check(Comparator::AtLeast, "5000", None, "2025"),
            ("40.50".into(), false)
        );
        assert_eq!(
            check(Comparator::AtLeast, "5000", None, "6000"),
            ("120.00".into(), true)
        );
        assert_eq!(check(Comparator::AtMost, "10", None, "8"), ("100.00".into(), true));
        assert_eq!(check(Comparator::AtMost, "10", None, "12.5"), ("80.00".into(), false));
        assert_eq!(check(Comparator::About, "100", None, "91"), ("91.00".into(), true));
        assert_eq!(check(Comparator::About, "100", None, "111"), ("111.00".into(), false));
        assert_eq!(check(Comparator::Exactly, "3", None, "3"), ("100.00".into(), true));
        assert_eq!(check(Comparator::Exactly, "3", None, "2"), ("66.67".into(), false));
        assert_eq!(check(Comparator::Exactly, "100", None, "120"), ("120.00".into(), true));
        assert_eq!(check(Comparator::Range, "3", Some("5"), "4"), ("133.33".into(), true));
        assert_eq!(check(Comparator::Range, "3", Some("5"), "6"), ("200.00".into(), false));
        assert_eq!(check(Comparator::Range, "3", Some("5"), "2"), ("66.67".into(), false));
        assert_eq!(check(Comparator::AtLeast, "0", None, "0"), ("100.00".into(), true));
    }
}
