//! Statistics across pairings (统计): task counts by status, completion and
//! on-time rates, the overdue list, and sums of targets and of approved
//! actuals per metric — in total and per pairing, computed by the database
//! over exactly the tasks the caller may see.
//!
//! Every sum adds values in their metric's unit (`normalized`), and only of
//! metrics that aggregate by `sum`: 230亿元 counts as 2300000万元, growth
//! rates are never added. By default only pairings' task lists count; a
//! region's own breakdown joins with `scope=all`. A `period` or an `as_of`
//! day looks back: the figures are those approved by then.
//!
//! The figures as they stand (no `period`, no `as_of`) are read from what
//! `figures` keeps as writes happen: per plan and task category (counts by
//! status and deadline, target and actual sums, reporting units) when the
//! caller sees whole plans and no filter picks tasks within a plan but by
//! category; per task otherwise (the approved actuals, the units that
//! reported); and each task's progress, from which the lights are judged.
//! Looking back adds the reports approved by then.

use std::collections::HashSet;

use crate::domain::Text;
use crate::domain::metric::no_metric;
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};
use entity::{metrics, pairings, plans, regions, tasks};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};
use serde::Serialize;
use uuid::Uuid;

use super::light::LightCounts;
use super::units::Normalized;
use super::values::{Aggregation, Cluster, ReportPeriod, StatisticsScope, TaskStatus, china_offset};
use super::{Caller, DomainError, DomainResult, authz};

/// How many overdue tasks the answer lists unless asked for another number.
pub const OVERDUE_LIMIT_DEFAULT: u64 = 50;
/// The most overdue tasks one answer lists.
pub const OVERDUE_LIMIT_MAX: u64 = 200;

/// What the statistics are narrowed to.
#[derive(Clone, Debug, Default)]
pub struct StatisticsFilter {
    /// Pairings' plans only (the default), or also regions' own.
    pub scope: Option<StatisticsScope>,
    pub year: Option<i32>,
    /// A region on either side of a pairing, or whose own plan it is.
    pub region_id: Option<Uuid>,
    /// Figures as they stood at the end of this month, quarter, half-year
    /// or year: for each task and unit, the latest approved report whose
    /// period ends by then, within the period's year.
    pub period: Option<ReportPeriod>,
    /// A day in China: only reports approved by its end count, tasks are
    /// completed or overdue as they were then.
    pub as_of: Option<NaiveDate>,
    /// How many overdue tasks to list (default 50, at most 200).
    pub overdue_limit: Option<u64>,
    /// The cluster of the plan's region (a pairing's recipient).
    pub cluster: Option<Cluster>,
    pub pairing_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub category: Option<String>,
    /// A metric code: only its targets and actuals.
    pub metric: Option<String>,
    /// Tasks this leader (牵头领导) leads.
    pub leader_id: Option<Uuid>,
}

/// Task counts and rates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskCounts {
    pub total: u64,
    pub not_started: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub cancelled: u64,
    /// Past the deadline, neither completed nor cancelled (逾期).
    pub overdue: u64,
    /// Completed ÷ tasks not cancelled, in percent with two decimals
    /// (`"36.80"`); none without such tasks.
    pub completion_rate: Option<String>,
    /// Completed on or before the deadline ÷ completed, in percent.
    pub on_time_rate: Option<String>,
}

/// Targets and approved actuals of one metric, in its unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MetricTotal {
    /// The metric's code (`investment_funds`).
    pub metric: String,
    /// 实际到位资金
    pub name: String,
    /// The metric's unit, which both totals are in: 万元
    pub unit: String,
    /// How many targets count towards it.
    pub targets: u64,
    /// The sum of their values in the metric's unit (a range counts its
    /// lower end; 230亿元 counts as 2300000 in a metric of 万元).
    pub target_total: Normalized,
    /// The sum of the year-to-date actuals of the latest approved
    /// consolidated report of each task and lead unit, in the metric's
    /// unit: only approved values count.
    pub actual_total: Normalized,
}

/// How many distinct pairings, regions and units the counted tasks span.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DistinctCounts {
    /// Pairings with a counted task.
    pub pairings: u64,
    /// Helping regions (帮扶方) of those pairings.
    pub helper_regions: u64,
    /// Helped regions (受帮扶方) of those pairings.
    pub recipient_regions: u64,
    /// Units with an approved report on the counted tasks (a lead unit's
    /// or a supporting unit's), by the `period` or `as_of` when given.
    pub reporting_units: u64,
}

/// The figures of one pairing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PairingStatistics {
    pub pairing_id: Uuid,
    pub tasks: TaskCounts,
    pub metrics: Vec<MetricTotal>,
}

/// An overdue task, for the list of what is late.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OverdueTask {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub section: Option<String>,
    pub seq: i32,
    pub content: String,
    pub deadline: NaiveDate,
    pub status: TaskStatus,
}

/// The statistics of what the caller may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Statistics {
    /// The calendar day in China the statistics are of: `as_of` when
    /// asked, else today.
    pub as_of: NaiveDate,
    pub tasks: TaskCounts,
    pub metrics: Vec<MetricTotal>,
    pub by_pairing: Vec<PairingStatistics>,
    pub distinct: DistinctCounts,
    /// The overdue tasks, earliest deadline first: at most `overdue_limit`
    /// (50 unless asked); `tasks.overdue` counts them all.
    pub overdue: Vec<OverdueTask>,
    /// The counted tasks by traffic light (督查亮灯), judged today whatever
    /// `as_of` or `period` says (a light is about what to chase now).
    pub lights: LightCounts,
}

pub(crate) fn percent(part: u64, whole: u64) -> Option<String> {
    (whole > 0).then(|| {
        // Exact to two decimals, rounded half up, in integers.
        let hundredths = (part * 10_000 * 2 + whole) / (whole * 2);
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    })
}

/// The plans whose tasks count, as far as the filter names plans.
fn plans_counted(filter: &StatisticsFilter) -> Condition {
    let mut plan_cond = Condition::all();
    if filter.scope.unwrap_or(StatisticsScope::Pairing) == StatisticsScope::Pairing {
        plan_cond = plan_cond.add(super::plan::of_kind(super::values::PlanKind::Pairing));
    }
    if let Some(year) = filter.year.or(filter.period.map(ReportPeriod::year)) {
        plan_cond = plan_cond.add(plans::Column::Year.eq(year));
    }
    if let Some(region) = filter.region_id {
        // The same plans a region's lists show: its own, and those of the
        // pairings it helps (also as a co-helper) or is helped in.
        plan_cond = plan_cond.add(authz::plans_of_region(region));
    }
    if let Some(id) = filter.pairing_id {
        plan_cond = plan_cond.add(plans::Column::PairingId.eq(id));
    }
    if let Some(id) = filter.plan_id {
        plan_cond = plan_cond.add(plans::Column::Id.eq(id));
    }
    if let Some(cluster) = filter.cluster {
        let in_cluster = Query::select()
            .column(regions::Column::Id)
            .from(regions::Entity)
            .and_where(regions::Column::Cluster.eq(cluster.as_str()))
            .to_owned();
        let recipients_in_cluster = Query::select()
            .column(pairings::Column::Id)
            .from(pairings::Entity)
            .and_where(pairings::Column::RecipientRegionId.in_subquery(in_cluster.clone()))
            .to_owned();
        plan_cond = plan_cond.add(
            Condition::any()
                .add(plans::Column::RegionId.in_subquery(in_cluster))
                .add(plans::Column::PairingId.in_subquery(recipients_in_cluster)),
        );
    }
    plan_cond
}

/// The ids of the tasks counted: those the caller may see that meet the filter.
async fn counted_tasks<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    visibility: &authz::Visibility<'_>,
    filter: &StatisticsFilter,
) -> DomainResult<SelectStatement> {
    let mut cond = Condition::all().add(visibility.tasks(conn).await?);
    cond = cond.add(
        tasks::Column::PlanId.in_subquery(
            Query::select()
                .column(plans::Column::Id)
                .from(plans::Entity)
                .cond_where(plans_counted(filter))
                .to_owned(),
        ),
    );
    if let Some(category) = &filter.category {
        cond = cond.add(tasks::Column::Category.eq(category.as_str()));
    }
    if let Some(leader) = filter.leader_id {
        cond = cond.add(tasks::Column::Id.in_subquery(super::leader::tasks_led(conn, caller, leader).await?));
    }
    Ok(Query::select()
        .column((tasks::Entity, tasks::Column::Id))
        .from(tasks::Entity)
        .cond_where(cond)
        .to_owned())
}

/// The tasks counted, as the figures kept per plan can read them: every
/// task of these plans, of one category when asked.
struct CountedPlans {
    plans: SelectStatement,
    category: Option<String>,
}

impl CountedPlans {
    /// When the counted tasks are whole plans' (or one category of them):
    /// the caller sees whole plans, and no filter picks tasks within a
    /// plan but by category. (An empty category names no task's, which
    /// keeps none as `''`.)
    async fn of<C: ConnectionTrait>(
        conn: &C,
        visibility: &authz::Visibility<'_>,
        filter: &StatisticsFilter,
    ) -> DomainResult<Option<CountedPlans>> {
        if filter.leader_id.is_some() || filter.category.as_deref() == Some("") {
            return Ok(None);
        }
        let Some(seen) = visibility.whole_plans(conn).await? else {
            return Ok(None);
        };
        Ok(Some(CountedPlans {
            plans: Query::select()
                .column(plans::Column::Id)
                .from(plans::Entity)
                .cond_where(Condition::all().add(seen).add(plans_counted(filter)))
                .to_owned(),
            category: filter.category.clone(),
        }))
    }

    /// The lights of the counted tasks on `today`: the lights kept for
    /// today of their plans, and the tasks of the plans without them
    /// judged one by one (see [`super::light::kept`]).
    async fn lights<C: ConnectionTrait>(&self, conn: &C, today: NaiveDate) -> DomainResult<LightCounts> {
        let plan_ids: Vec<Uuid> = conn
            .query_all(&self.plans)
            .await?
            .iter()
            .filter_map(|row| get_uuid(row, 0).transpose())
            .collect::<DomainResult<_>>()?;
        if plan_ids.is_empty() {
            return Ok(LightCounts::default());
        }
        // One statement, so one snapshot: the plans judged one by one and
        // the rows added up are told apart as of the same moment, whatever
        // the keeper or a write commits meanwhile.
        let kept_today = super::light::kept::counting(Some(today));
        let (l, p) = (Alias::new("l"), Alias::new("p"));
        let mut sums = Query::select();
        sums.expr(Expr::cust("NULL"))
            .expr(Expr::cust("CAST(SUM(l.green) AS BIGINT)"))
            .expr(Expr::cust("CAST(SUM(l.yellow) AS BIGINT)"))
            .expr(Expr::cust("CAST(SUM(l.red) AS BIGINT)"))
            .from_as(Alias::new("plan_lights"), l.clone())
            .and_where(Expr::col((l.clone(), Alias::new("plan_id"))).is_in(plan_ids.iter().copied()))
            .and_where(Expr::cust(kept_today));
        if let Some(category) = &self.category {
            sums.and_where(Expr::col((l, Alias::new("category"))).eq(category.as_str()));
        }
        let mut unjudged = Query::select();
        unjudged
            .column((p.clone(), Alias::new("id")))
            .expr(Expr::cust("0"))
            .expr(Expr::cust("0"))
            .expr(Expr::cust("0"))
            .from_as(plans::Entity, p.clone())
            .and_where(Expr::col((p, Alias::new("id"))).is_in(plan_ids.iter().copied()))
            .and_where(super::light::kept::has_tasks("p.id"))
            .and_where(super::light::kept::kept_for("p.id", Some(today)).not())
            .union(sea_orm::sea_query::UnionType::All, sums);
        let count = |row: &sea_orm::QueryResult, at: usize| get_i64(row, at).map(|n| u64::try_from(n).unwrap_or(0));
        let mut lights = LightCounts::default();
        let mut judge = Vec::new();
        for row in conn.query_all(&unjudged).await? {
            match get_uuid(&row, 0)? {
                Some(plan) => judge.push(plan),
                None => lights.merge(&LightCounts::of_counts(
                    count(&row, 1)?,
                    count(&row, 2)?,
                    count(&row, 3)?,
                )),
            }
        }
        if !judge.is_empty() {
            let mut cond = Condition::all().add(tasks::Column::PlanId.is_in(judge));
            if let Some(category) = &self.category {
                cond = cond.add(tasks::Column::Category.eq(category.as_str()));
            }
            let tasks = Query::select()
                .column(tasks::Column::Id)
                .from(tasks::Entity)
                .cond_where(cond)
                .to_owned();
            lights.merge(&LightCounts::of_kept(conn, today, &tasks).await?);
        }
        Ok(lights)
    }

    /// The first `limit` tasks of these plans still open past their
    /// deadline on `day`, by deadline: the first of each plan from its open
    /// tasks in order (`ix_tasks_open_plan_id_deadline`), then the first of
    /// those. Asked of all the tasks at once, PostgreSQL walks every task by
    /// deadline until it has found enough of these plans' (110 ms for one
    /// year's at 100,000 tasks; this takes 1 ms), and SQLite sorts every
    /// open task past its deadline (267 ms for all of them at 100,000 tasks,
    /// 12 ms this way). SQLite has no `LATERAL`: there each plan's first are
    /// a list correlated with the plan.
    async fn first_overdue<C: ConnectionTrait>(&self, conn: &C, day: NaiveDate, limit: u64) -> DomainResult<Vec<Uuid>> {
        let (plan, first) = (Alias::new("p"), Alias::new("o"));
        let mut of_plan = Query::select();
        of_plan
            .columns([tasks::Column::Id, tasks::Column::Deadline])
            .from(tasks::Entity)
            .and_where(Expr::col((tasks::Entity, tasks::Column::PlanId)).equals((plan.clone(), Alias::new("id"))))
            .and_where(tasks::Column::Deadline.lt(day))
            // As literals: the index's own predicate, which the planner
            // proves only from constants.
            .and_where(Expr::cust("tasks.status NOT IN ('completed', 'cancelled')"))
            .order_by(tasks::Column::Deadline, Order::Asc)
            .order_by(tasks::Column::Id, Order::Asc)
            .limit(limit);
        if let Some(category) = &self.category {
            of_plan.and_where(tasks::Column::Category.eq(category.as_str()));
        }
        let mut select = Query::select();
        select
            .column((first.clone(), tasks::Column::Id))
            .from_subquery(self.plans.clone(), plan);
        match conn.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                select.join_lateral(JoinType::InnerJoin, of_plan, first.clone(), Expr::cust("TRUE"));
            }
            _ => {
                of_plan.clear_selects().column((tasks::Entity, tasks::Column::Id));
                select.join_as(
                    JoinType::InnerJoin,
                    tasks::Entity,
                    first.clone(),
                    Expr::col((first.clone(), tasks::Column::Id)).in_subquery(of_plan),
                );
            }
        }
        select
            .order_by((first.clone(), tasks::Column::Deadline), Order::Asc)
            .order_by((first, tasks::Column::Id), Order::Asc)
            .limit(limit);
        conn.query_all(&select)
            .await?
            .iter()
            .filter_map(|row| get_uuid(row, 0).transpose())
            .collect()
    }

    /// Runs SQL on a kept table `a`: the counted plans' subquery where
    /// `{tasks}` is, and the category's condition (a bound parameter after
    /// the subquery's) where `{category}` is.
    async fn query<C: ConnectionTrait>(&self, conn: &C, template: &str) -> DomainResult<Vec<sea_orm::QueryResult>> {
        let backend = conn.get_database_backend();
        let mut stmt = statement(backend, template, &self.plans);
        let clause = match &self.category {
            Some(category) => {
                let values = stmt.values.get_or_insert_with(|| sea_orm::Values(Vec::new()));
                values.0.push(category.as_str().into());
                match backend {
                    sea_orm::DatabaseBackend::Postgres => format!(" AND a.category = ${}", values.0.len()),
                    _ => " AND a.category = ?".to_owned(),
                }
            }
            None => String::new(),
        };
        stmt.sql = stmt.sql.replace("{category}", &clause);
        Ok(conn.query_all_raw(stmt).await?)
    }
}

/// A value written into SQL as a literal: only values of our own making
/// (days, ids, flags), so that the counted tasks' subquery keeps the only
/// bound parameters, in the order both backends expect.
pub(crate) fn literal_day(day: NaiveDate) -> String {
    format!("'{}'", day.format("%Y-%m-%d"))
}

/// An id as a literal, as each backend stores it: a `uuid` in PostgreSQL,
/// 16 bytes in SQLite.
pub(crate) fn literal_uuid(backend: sea_orm::DatabaseBackend, id: Uuid) -> String {
    match backend {
        sea_orm::DatabaseBackend::Postgres => format!("'{id}'"),
        _ => format!("X'{}'", id.simple()),
    }
}

/// `column IN (ids)` with the ids written as literals: a list of ids
/// worked out in Rust (the tasks of one light) can be longer than the
/// parameters a statement may bind (32,766 in SQLite, 65,535 in
/// PostgreSQL). Never true for no ids.
pub(crate) fn among(backend: sea_orm::DatabaseBackend, column: &str, ids: &[Uuid]) -> sea_orm::sea_query::Expr {
    if ids.is_empty() {
        return sea_orm::sea_query::Expr::cust("1 = 0");
    }
    let mut list = String::with_capacity(ids.len() * 40);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        list.push_str(&literal_uuid(backend, *id));
    }
    sea_orm::sea_query::Expr::cust(format!("{column} IN ({list})"))
}

pub(crate) fn literal_true(backend: sea_orm::DatabaseBackend) -> &'static str {
    match backend {
        sea_orm::DatabaseBackend::Postgres => "TRUE",
        _ => "1",
    }
}

/// Runs SQL around the counted tasks' subquery, placed where `{tasks}` is.
pub(crate) async fn query<C: ConnectionTrait>(
    conn: &C,
    template: &str,
    counted: &SelectStatement,
) -> DomainResult<Vec<sea_orm::QueryResult>> {
    Ok(conn
        .query_all_raw(statement(conn.get_database_backend(), template, counted))
        .await?)
}

/// SQL around the counted tasks' subquery, placed where `{tasks}` is.
pub(crate) fn statement(backend: sea_orm::DatabaseBackend, template: &str, counted: &SelectStatement) -> Statement {
    let (sub_sql, values) = match backend {
        sea_orm::DatabaseBackend::Postgres => counted.build(sea_orm::sea_query::PostgresQueryBuilder),
        _ => counted.build(sea_orm::sea_query::SqliteQueryBuilder),
    };
    Statement::from_sql_and_values(backend, template.replace("{tasks}", &sub_sql), values)
}

pub(crate) fn get_i64(row: &sea_orm::QueryResult, index: usize) -> DomainResult<i64> {
    row.try_get_by_index::<Option<i64>>(index)
        .map(|v| v.unwrap_or(0))
        .map_err(|e| DomainError::Internal(e.into()))
}

pub(crate) fn get_uuid(row: &sea_orm::QueryResult, index: usize) -> DomainResult<Option<Uuid>> {
    row.try_get_by_index::<Option<Uuid>>(index)
        .map_err(|e| DomainError::Internal(e.into()))
}

/// When the figures are looked at: the day tasks are judged on, and the
/// limits on the reports that count.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cutoff {
    /// Completed by, overdue on (China's calendar).
    day: NaiveDate,
    /// Only reports approved before this instant count (the end of `as_of`).
    approved_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Only reports of periods ending by then, within that year.
    period: Option<ReportPeriod>,
    /// Whether the day is a look back (tasks completed after it were not yet).
    looking_back: bool,
}

impl Cutoff {
    /// Every approved report, whenever approved and of whatever period:
    /// the figures as they stand (what `figures` keeps).
    pub(crate) fn standing() -> Cutoff {
        Cutoff {
            day: NaiveDate::MIN,
            approved_before: None,
            period: None,
            looking_back: false,
        }
    }

    /// Whether the figures are those standing now, which `figures` keeps.
    fn is_standing(&self) -> bool {
        self.approved_before.is_none() && self.period.is_none()
    }

    /// A timestamp as both backends compare it: RFC 3339 in UTC, which is
    /// how SQLite stores them as text (so text order is time order) and
    /// what PostgreSQL reads as a `timestamptz`.
    fn instant_literal(at: chrono::DateTime<chrono::Utc>) -> String {
        format!("'{}'", at.format("%Y-%m-%dT%H:%M:%S+00:00"))
    }

    /// The conditions on `r`, a report, besides being approved.
    fn report_conditions(&self) -> String {
        let mut out = String::new();
        if let Some(at) = self.approved_before {
            out.push_str(&format!(" AND r.reviewed_at < {}", Cutoff::instant_literal(at)));
        }
        if let Some(period) = self.period {
            out.push_str(&format!(
                " AND r.period_year = {} AND r.period_end <= {}",
                period.year(),
                literal_day(period.end())
            ));
        }
        out
    }

    /// The status a task had on the day: one completed after it was not.
    fn status_sql(&self) -> String {
        if self.looking_back {
            format!(
                "CASE WHEN t.status = 'completed' AND (t.completed_on IS NULL OR t.completed_on > {day}) \
                 THEN 'in_progress' ELSE t.status END",
                day = literal_day(self.day)
            )
        } else {
            "t.status".to_owned()
        }
    }
}

/// Counts by status and the on-time count, per pairing (none for a
/// region's own plans).
async fn counts<C: ConnectionTrait>(
    conn: &C,
    counted: &SelectStatement,
    cutoff: &Cutoff,
) -> DomainResult<Vec<(Option<Uuid>, TaskCounts, u64)>> {
    let sql = format!(
        "SELECT pairing_id, status, CAST(COUNT(*) AS BIGINT), \
         CAST(SUM(CASE WHEN deadline < {day} AND status NOT IN ('completed', 'cancelled') THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN status = 'completed' AND completed_on IS NOT NULL AND completed_on <= deadline THEN 1 ELSE 0 END) AS BIGINT) \
         FROM (SELECT p.pairing_id, {status} AS status, t.deadline, t.completed_on \
           FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE t.id IN ({{tasks}})) judged \
         GROUP BY pairing_id, status",
        day = literal_day(cutoff.day),
        status = cutoff.status_sql(),
    );
    fold_counts(query(conn, &sql, counted).await?)
}

/// Counts by status and the on-time count per pairing, from the kept
/// counts of the counted plans.
async fn kept_counts<C: ConnectionTrait>(
    conn: &C,
    counted: &CountedPlans,
    day: NaiveDate,
) -> DomainResult<Vec<(Option<Uuid>, TaskCounts, u64)>> {
    let sql = format!(
        "SELECT p.pairing_id, a.status, CAST(SUM(a.tasks) AS BIGINT), \
         CAST(SUM(CASE WHEN a.deadline < {day} AND a.status NOT IN ('completed', 'cancelled') THEN a.tasks ELSE 0 END) AS BIGINT), \
         CAST(SUM(a.on_time) AS BIGINT) \
         FROM plan_task_counts a JOIN plans p ON p.id = a.plan_id WHERE a.plan_id IN ({{tasks}}){{category}} \
         GROUP BY p.pairing_id, a.status",
        day = literal_day(day),
    );
    fold_counts(counted.query(conn, &sql).await?)
}

/// Rows of (pairing, status, tasks, overdue, on time) as counts per pairing.
fn fold_counts(rows: Vec<sea_orm::QueryResult>) -> DomainResult<Vec<(Option<Uuid>, TaskCounts, u64)>> {
    let mut out: Vec<(Option<Uuid>, TaskCounts, u64)> = Vec::new();
    for row in rows {
        let pairing = get_uuid(&row, 0)?;
        let status: String = row.try_get_by_index(1).map_err(|e| DomainError::Internal(e.into()))?;
        let n = u64::try_from(get_i64(&row, 2)?).unwrap_or(0);
        let at = match out.iter().position(|(p, _, _)| *p == pairing) {
            Some(at) => at,
            None => {
                out.push((pairing, TaskCounts::default(), 0));
                out.len() - 1
            }
        };
        let (_, c, on_time) = &mut out[at];
        c.total += n;
        c.overdue += u64::try_from(get_i64(&row, 3)?).unwrap_or(0);
        *on_time += u64::try_from(get_i64(&row, 4)?).unwrap_or(0);
        match status.as_str() {
            "not_started" => c.not_started += n,
            "in_progress" => c.in_progress += n,
            "completed" => c.completed += n,
            "cancelled" => c.cancelled += n,
            _ => {}
        }
    }
    for (_, c, on_time) in &mut out {
        rates(c, *on_time);
    }
    Ok(out)
}

fn rates(c: &mut TaskCounts, on_time: u64) {
    c.completion_rate = percent(c.completed, c.total - c.cancelled);
    c.on_time_rate = percent(on_time, c.completed);
}

/// One metric's sums within one pairing: (pairing, metric, targets, target
/// sum, actual sum), scaled by 10⁸.
type MetricRow = (Option<Uuid>, Uuid, u64, i128, i128);

/// The approved consolidated reports that count: for each task and lead
/// unit, the latest by period (then by approval) within the cutoff.
pub(crate) fn latest_reports_sql(backend: sea_orm::DatabaseBackend, cutoff: &Cutoff) -> String {
    format!(
        "SELECT latest.id FROM (SELECT r.id, ROW_NUMBER() OVER ( \
           PARTITION BY r.task_id, r.unit_id ORDER BY r.period_end DESC, r.reviewed_at DESC, r.id DESC) AS rn \
           FROM reports r WHERE r.status = 'approved' AND r.consolidated = {yes}{limits} AND r.task_id IN ({{tasks}})) latest \
         WHERE latest.rn = 1",
        yes = literal_true(backend),
        limits = cutoff.report_conditions(),
    )
}

/// Target and approved actual sums per metric, in the metric's unit,
/// grouped by pairing (the caller keeps those that aggregate by `sum`).
async fn sums<C: ConnectionTrait>(
    conn: &C,
    counted: &SelectStatement,
    cutoff: &Cutoff,
    metric: Option<Uuid>,
) -> DomainResult<Vec<MetricRow>> {
    let backend = conn.get_database_backend();
    // The metric filter is applied to the grouped rows: as a WHERE clause it
    // led both planners to re-run the latest-report window per row (20–40×
    // slower on the generated city, see BENCHMARKS.md).
    // Which metrics add up is decided from the catalogue afterwards: a join
    // to `metrics` here led PostgreSQL, before it had statistics on a
    // freshly loaded city, into nested loops that ran for minutes.
    let targets_sql = "SELECT p.pairing_id, g.metric_id, CAST(COUNT(*) AS BIGINT), CAST(SUM(g.normalized_e8) AS BIGINT) \
         FROM targets g JOIN tasks t ON t.id = g.task_id JOIN plans p ON p.id = t.plan_id \
         WHERE g.metric_id IS NOT NULL AND g.normalized_e8 IS NOT NULL AND g.task_id IN ({tasks}) \
         GROUP BY p.pairing_id, g.metric_id";
    let actuals_sql = if cutoff.is_standing() {
        // The figures as they stand are kept per task (`figures`).
        "SELECT p.pairing_id, a.metric_id, CAST(SUM(a.actual_e8) AS BIGINT) \
         FROM task_metric_actuals a JOIN tasks t ON t.id = a.task_id JOIN plans p ON p.id = t.plan_id \
         WHERE a.task_id IN ({tasks}) \
         GROUP BY p.pairing_id, a.metric_id"
            .to_owned()
    } else {
        format!(
            "SELECT p.pairing_id, g.metric_id, CAST(SUM(v.normalized_e8) AS BIGINT) \
             FROM report_values v JOIN targets g ON g.id = v.target_id JOIN tasks t ON t.id = g.task_id \
             JOIN plans p ON p.id = t.plan_id \
             WHERE g.metric_id IS NOT NULL AND v.normalized_e8 IS NOT NULL AND v.report_id IN ({latest}) \
             GROUP BY p.pairing_id, g.metric_id",
            latest = latest_reports_sql(backend, cutoff),
        )
    };
    let mut out: Vec<MetricRow> = Vec::new();
    for row in query(conn, targets_sql, counted).await? {
        let (pairing, Some(metric_id)) = (get_uuid(&row, 0)?, get_uuid(&row, 1)?) else {
            continue;
        };
        out.push((
            pairing,
            metric_id,
            u64::try_from(get_i64(&row, 2)?).unwrap_or(0),
            i128::from(get_i64(&row, 3)?),
            0,
        ));
    }
    for row in query(conn, &actuals_sql, counted).await? {
        let (pairing, Some(metric_id)) = (get_uuid(&row, 0)?, get_uuid(&row, 1)?) else {
            continue;
        };
        let actual = i128::from(get_i64(&row, 2)?);
        match out.iter_mut().find(|(p, m, ..)| *p == pairing && *m == metric_id) {
            Some(entry) => entry.4 += actual,
            None => out.push((pairing, metric_id, 0, 0, actual)),
        }
    }
    if let Some(metric) = metric {
        out.retain(|r| r.1 == metric);
    }
    Ok(out)
}

/// Target and actual sums per metric and pairing, from the kept figures
/// of the counted plans.
async fn kept_sums<C: ConnectionTrait>(
    conn: &C,
    counted: &CountedPlans,
    metric: Option<Uuid>,
) -> DomainResult<Vec<MetricRow>> {
    let sql = "SELECT p.pairing_id, a.metric_id, CAST(SUM(a.targets) AS BIGINT), CAST(SUM(a.target_e8) AS BIGINT), \
         CAST(SUM(a.actual_e8) AS BIGINT) \
         FROM plan_metric_figures a JOIN plans p ON p.id = a.plan_id WHERE a.plan_id IN ({tasks}){category} \
         GROUP BY p.pairing_id, a.metric_id";
    let mut out: Vec<MetricRow> = Vec::new();
    for row in counted.query(conn, sql).await? {
        let (pairing, Some(metric_id)) = (get_uuid(&row, 0)?, get_uuid(&row, 1)?) else {
            continue;
        };
        if metric.is_none_or(|m| m == metric_id) {
            out.push((
                pairing,
                metric_id,
                u64::try_from(get_i64(&row, 2)?).unwrap_or(0),
                i128::from(get_i64(&row, 3)?),
                i128::from(get_i64(&row, 4)?),
            ));
        }
    }
    Ok(out)
}

/// How many units have an approved report on the counted tasks.
async fn reporting_units<C: ConnectionTrait>(
    conn: &C,
    counted: &SelectStatement,
    kept: Option<&CountedPlans>,
    cutoff: &Cutoff,
) -> DomainResult<u64> {
    let rows = match kept {
        Some(kept) => {
            kept.query(
                conn,
                "SELECT CAST(COUNT(DISTINCT a.unit_id) AS BIGINT) FROM plan_reporting_units a \
                 WHERE a.plan_id IN ({tasks}){category}",
            )
            .await?
        }
        None if cutoff.is_standing() => query(
            conn,
            "SELECT CAST(COUNT(DISTINCT u.unit_id) AS BIGINT) FROM task_reporting_units u WHERE u.task_id IN ({tasks})",
            counted,
        )
        .await?,
        None => {
            let sql = format!(
                "SELECT CAST(COUNT(DISTINCT r.unit_id) AS BIGINT) FROM reports r WHERE r.status = 'approved'{limits} AND r.task_id IN ({{tasks}})",
                limits = cutoff.report_conditions(),
            );
            query(conn, &sql, counted).await?
        }
    };
    match rows.first() {
        Some(row) => Ok(u64::try_from(get_i64(row, 0)?).unwrap_or(0)),
        None => Ok(0),
    }
}

/// How many pairings, regions and reporting units the counted tasks span;
/// `pairing_ids` are the pairings with a counted task, as the counts by
/// status found them. (Asked of the database as pairings having a counted
/// task, PostgreSQL checked every task of every pairing against the
/// counted ones, one at a time: 250–400 ms for a year or a pairing at
/// 100,000 tasks.)
async fn distinct<C: ConnectionTrait>(
    conn: &C,
    pairing_ids: HashSet<Uuid>,
    reporting_units: u64,
) -> DomainResult<DistinctCounts> {
    let sides: Vec<(Uuid, Uuid)> = pairings::Entity::find()
        .select_only()
        .columns([pairings::Column::HelperRegionId, pairings::Column::RecipientRegionId])
        .filter(pairings::Column::Id.is_in(pairing_ids))
        .into_tuple()
        .all(conn)
        .await?;
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let out = DistinctCounts {
        pairings: count(sides.len()),
        helper_regions: count(sides.iter().map(|(helper, _)| helper).collect::<HashSet<_>>().len()),
        recipient_regions: count(
            sides
                .iter()
                .map(|(_, recipient)| recipient)
                .collect::<HashSet<_>>()
                .len(),
        ),
        reporting_units,
    };
    Ok(out)
}

/// The statistics of the tasks the caller may see that meet `filter`.
pub async fn compute<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: StatisticsFilter,
) -> DomainResult<Statistics> {
    authz::require_reader(&caller.principal)?;
    if let (Some(year), Some(period)) = (filter.year, filter.period)
        && period.year() != year
    {
        return Err(DomainError::invalid(
            "period",
            Text::new("%{period} is not in the year %{year} asked for")
                .arg("period", period)
                .arg("year", year),
        ));
    }
    let overdue_limit = filter.overdue_limit.unwrap_or(OVERDUE_LIMIT_DEFAULT);
    if !(1..=OVERDUE_LIMIT_MAX).contains(&overdue_limit) {
        return Err(DomainError::invalid(
            "overdue_limit",
            format!("from 1 to {OVERDUE_LIMIT_MAX}"),
        ));
    }
    let day = filter.as_of.unwrap_or_else(|| caller.today());
    let cutoff = Cutoff {
        day,
        approved_before: filter.as_of.and_then(end_of_day),
        period: filter.period,
        looking_back: filter.as_of.is_some(),
    };
    let metric = match &filter.metric {
        Some(code) => Some(
            metrics::Entity::find()
                .filter(metrics::Column::Code.eq(code.as_str()))
                .one(conn)
                .await?
                .ok_or_else(|| DomainError::invalid("metric", no_metric(code)))?,
        ),
        None => None,
    };
    let visibility = authz::Visibility::of(conn, &caller.principal).await?;
    let counted = counted_tasks(conn, caller, &visibility, &filter).await?;
    // The figures as they stand, of whole plans, are added up from what is
    // kept per plan; the others from each counted task's rows.
    let whole = CountedPlans::of(conn, &visibility, &filter).await?;
    let kept = whole.as_ref().filter(|_| cutoff.is_standing());
    let metric_id = metric.as_ref().map(|m| m.id);
    let (counts, sums) = match kept {
        Some(kept) => (
            kept_counts(conn, kept, day).await?,
            kept_sums(conn, kept, metric_id).await?,
        ),
        None => (
            counts(conn, &counted, &cutoff).await?,
            sums(conn, &counted, &cutoff, metric_id).await?,
        ),
    };
    let distinct = distinct(
        conn,
        counts.iter().filter_map(|(p, _, _)| *p).collect(),
        reporting_units(conn, &counted, kept, &cutoff).await?,
    )
    .await?;
    let catalogue: Vec<metrics::Model> = metrics::Entity::find()
        .order_by_asc(metrics::Column::Code)
        .all(conn)
        .await?;
    let total_of = |scaled: i128| {
        Normalized::from_scaled_wide(scaled)
            .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("a total beyond the decimal range")))
    };
    let metric_totals = |rows: Vec<&MetricRow>| -> DomainResult<Vec<MetricTotal>> {
        let mut out = Vec::new();
        for m in catalogue.iter().filter(|m| m.aggregation == Aggregation::Sum.as_str()) {
            let mine: Vec<_> = rows.iter().filter(|r| r.1 == m.id).collect();
            if mine.is_empty() {
                continue;
            }
            out.push(MetricTotal {
                metric: m.code.clone(),
                name: m.name.clone(),
                unit: m.unit_of_measure.clone(),
                targets: mine.iter().map(|r| r.2).sum(),
                target_total: total_of(mine.iter().map(|r| r.3).sum())?,
                actual_total: total_of(mine.iter().map(|r| r.4).sum())?,
            });
        }
        Ok(out)
    };
    let mut total = TaskCounts::default();
    let mut on_time_total = 0;
    for (_, c, on_time) in &counts {
        total.total += c.total;
        total.not_started += c.not_started;
        total.in_progress += c.in_progress;
        total.completed += c.completed;
        total.cancelled += c.cancelled;
        total.overdue += c.overdue;
        on_time_total += on_time;
    }
    rates(&mut total, on_time_total);
    let mut by_pairing = Vec::new();
    for (pairing, c, _) in &counts {
        if let Some(pairing_id) = pairing {
            let rows: Vec<&MetricRow> = sums.iter().filter(|r| r.0 == Some(*pairing_id)).collect();
            by_pairing.push(PairingStatistics {
                pairing_id: *pairing_id,
                tasks: c.clone(),
                metrics: metric_totals(rows)?,
            });
        }
    }
    by_pairing.sort_by_key(|p| p.pairing_id);
    // Not completed by the day: not completed, or (looking back) completed after it.
    let mut open_then = Condition::any()
        .add(tasks::Column::Status.is_not_in([TaskStatus::Completed.as_str(), TaskStatus::Cancelled.as_str()]));
    if cutoff.looking_back {
        open_then = open_then.add(
            Condition::all()
                .add(tasks::Column::Status.eq(TaskStatus::Completed.as_str()))
                .add(
                    Condition::any()
                        .add(tasks::Column::CompletedOn.is_null())
                        .add(tasks::Column::CompletedOn.gt(day)),
                ),
        );
    }
    // Lights are of today whatever the day asked: kept per plan for today.
    let lights = match &whole {
        Some(plans) => plans.lights(conn, caller.today()).await?,
        None => LightCounts::of_kept(conn, caller.today(), &counted).await?,
    };
    let first_overdue = match &whole {
        Some(plans) if !cutoff.looking_back => {
            tasks::Column::Id.is_in(plans.first_overdue(conn, day, overdue_limit).await?)
        }
        _ => tasks::Column::Id.in_subquery(counted.clone()),
    };
    let overdue_models = tasks::Entity::find()
        .filter(first_overdue)
        .filter(tasks::Column::Deadline.lt(day))
        .filter(open_then)
        .order_by_asc(tasks::Column::Deadline)
        .order_by_asc(tasks::Column::Id)
        .limit(overdue_limit)
        .all(conn)
        .await?;
    let overdue = overdue_models
        .into_iter()
        .map(|m| {
            let status: TaskStatus = super::region::parse_stored(&m.status)?;
            Ok(OverdueTask {
                id: m.id,
                plan_id: m.plan_id,
                section: Some(m.section).filter(|s| !s.is_empty()),
                seq: m.seq,
                content: m.content,
                deadline: m.deadline,
                status: if status == TaskStatus::Completed {
                    TaskStatus::InProgress
                } else {
                    status
                },
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    Ok(Statistics {
        as_of: day,
        tasks: total,
        metrics: metric_totals(sums.iter().collect())?,
        by_pairing,
        distinct,
        overdue,
        lights,
    })
}

/// A metric's approved actual, month by month, for a chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Series {
    /// The metric's code.
    pub metric: String,
    /// The metric's unit, which every point is in.
    pub unit: String,
    /// Twelve points, January to December.
    pub points: Vec<SeriesPoint>,
}

/// The cumulative approved actual at the end of one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    /// `2025-01`
    #[schema(example = "2025-01", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
    /// For each task and lead unit, the year-to-date actual of its latest
    /// approved consolidated report whose period ends by the month's end,
    /// summed, in the metric's unit.
    pub actual: Normalized,
}

/// The monthly series of a metric over a year, with the statistics'
/// filters (but `period`: a series covers every month of its year).
pub async fn series<C: ConnectionTrait>(conn: &C, caller: &Caller, filter: StatisticsFilter) -> DomainResult<Series> {
    authz::require_reader(&caller.principal)?;
    let Some(code) = filter.metric.clone() else {
        return Err(DomainError::invalid(
            "metric",
            "name the metric of the series (`investment_funds`)",
        ));
    };
    let Some(year) = filter.year else {
        return Err(DomainError::invalid("year", "name the year of the series"));
    };
    if filter.period.is_some() {
        return Err(DomainError::invalid(
            "period",
            "a series covers every month of its year: give `year`, not `period`",
        ));
    }
    let metric = metrics::Entity::find()
        .filter(metrics::Column::Code.eq(code.as_str()))
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::invalid("metric", no_metric(&code)))?;
    if metric.aggregation != Aggregation::Sum.as_str() {
        return Err(DomainError::invalid(
            "metric",
            Text::new("`%{code}` does not add up (a share or a rate): it has no series").arg("code", code),
        ));
    }
    let cutoff = Cutoff {
        day: filter.as_of.unwrap_or_else(|| caller.today()),
        approved_before: filter.as_of.and_then(end_of_day),
        period: None,
        looking_back: filter.as_of.is_some(),
    };
    let visibility = authz::Visibility::of(conn, &caller.principal).await?;
    let counted = counted_tasks(conn, caller, &visibility, &filter).await?;
    let backend = conn.get_database_backend();
    // The metric's code is the catalogue's own (matched above), which its
    // rule keeps to letters, digits and `_`; quotes are doubled regardless.
    let sql = format!(
        "SELECT r.task_id, r.unit_id, r.period_end, CAST(SUM(v.normalized_e8) AS BIGINT) \
         FROM reports r JOIN report_values v ON v.report_id = r.id JOIN targets g ON g.id = v.target_id \
         WHERE r.status = 'approved' AND r.consolidated = {yes} AND r.period_year = {year}{limits} \
           AND v.normalized_e8 IS NOT NULL \
           AND g.metric_id IN (SELECT m.id FROM metrics m WHERE m.code = '{code}') \
           AND r.task_id IN ({{tasks}}) \
         GROUP BY r.id, r.task_id, r.unit_id, r.period_end, r.reviewed_at \
         ORDER BY r.task_id, r.unit_id, r.period_end, r.reviewed_at",
        yes = literal_true(backend),
        limits = cutoff.report_conditions(),
        code = metric.code.replace('\'', "''"),
    );
    // Per task and unit, its approved reports in order: (period end, sum).
    let mut reports: Vec<((Uuid, Uuid), NaiveDate, i128)> = Vec::new();
    for row in query(conn, &sql, &counted).await? {
        let (Some(task), Some(unit)) = (get_uuid(&row, 0)?, get_uuid(&row, 1)?) else {
            continue;
        };
        let end: NaiveDate = row.try_get_by_index(2).map_err(|e| DomainError::Internal(e.into()))?;
        reports.push(((task, unit), end, i128::from(get_i64(&row, 3)?)));
    }
    let mut points = Vec::with_capacity(12);
    for month in 1..=12 {
        let month_end = super::values::last_day_of_month(year, month);
        let mut total: i128 = 0;
        let mut at = 0;
        while at < reports.len() {
            let key = reports[at].0;
            let mut latest = None;
            while at < reports.len() && reports[at].0 == key {
                if reports[at].1 <= month_end {
                    latest = Some(reports[at].2);
                }
                at += 1;
            }
            total += latest.unwrap_or(0);
        }
        points.push(SeriesPoint {
            month: format!("{year}-{month:02}"),
            actual: Normalized::from_scaled_wide(total)
                .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("a total beyond the decimal range")))?,
        });
    }
    Ok(Series {
        metric: metric.code,
        unit: metric.unit_of_measure,
        points,
    })
}

/// The instant a day in China ends.
fn end_of_day(day: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    let midnight = (day + Duration::days(1)).and_time(NaiveTime::MIN);
    china_offset()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}
