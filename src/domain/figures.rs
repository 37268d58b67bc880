//! Figures kept as writes happen (issue 26): per task, what statistics and
//! lights would otherwise re-add from every report on every request.
//!
//! - `task_figures.progress_e2`: the task's progress as its progress answer
//!   gives it, in hundredths of a percent (none when there is nothing to go by);
//! - `task_metric_actuals`: per catalogue metric, the sum of the year-to-date
//!   actuals of the latest approved consolidated report of each of the
//!   task's reporting units, in the metric's unit (scaled by 10⁸);
//! - `task_reporting_units`: the units with an approved report on the task.
//!
//! Per plan and task category (`''` for none), what statistics add up:
//!
//! - `plan_task_counts`: tasks by status and deadline, and how many were
//!   completed by their deadline;
//! - `plan_metric_figures`: per metric, the targets, their sum and the sum
//!   of the tasks' kept actuals;
//! - `plan_reporting_units`: the units with an approved report on a task.
//!
//! They are the figures as they stand: statistics that look back (`as_of`,
//! `period`) still add the reports approved by then. Every write that can
//! change them (a task created, edited or moved through its statuses, its
//! targets replaced, a report approved, a metric's unit changed, a city
//! generated, a deadline extended) calls [`refresh`] for its tasks in its
//! own transaction (a task deleted, [`refresh_plans`] for its plan), so a
//! reader never sees a report approved and its figure not. [`differences`]
//! recomputes everything and says where the kept figures differ: the
//! property tests hold it empty after random writes on both backends.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use entity::{plans, tasks};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::{Alias, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::statistics::{Cutoff, get_i64, get_uuid, latest_reports_sql, query, statement};
use super::{DomainError, DomainResult};

/// Tasks refreshed in one go (each batch names its ids in a statement).
const BATCH: usize = 500;

/// Per task and metric, the standing approved actual: the rows of
/// `task_metric_actuals` for the tasks of `{tasks}`.
fn actuals_sql(backend: sea_orm::DatabaseBackend) -> String {
    format!(
        "SELECT g.task_id, g.metric_id, CAST(SUM(v.normalized_e8) AS BIGINT) \
         FROM report_values v JOIN targets g ON g.id = v.target_id \
         WHERE g.metric_id IS NOT NULL AND v.normalized_e8 IS NOT NULL AND v.report_id IN ({latest}) \
         GROUP BY g.task_id, g.metric_id",
        latest = latest_reports_sql(backend, &Cutoff::standing()),
    )
}

/// The rows of `task_reporting_units` for the tasks of `{tasks}`.
const REPORTING_UNITS_SQL: &str =
    "SELECT DISTINCT r.task_id, r.unit_id FROM reports r WHERE r.status = 'approved' AND r.task_id IN ({tasks})";

fn ids_of(batch: &[Uuid]) -> SelectStatement {
    Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::Id.is_in(batch.iter().copied()))
        .to_owned()
}

fn every_task() -> SelectStatement {
    Query::select().column(tasks::Column::Id).from(tasks::Entity).to_owned()
}

async fn execute<C: ConnectionTrait>(conn: &C, template: &str, tasks: &SelectStatement) -> DomainResult<()> {
    conn.execute_raw(statement(conn.get_database_backend(), template, tasks))
        .await?;
    Ok(())
}

/// Rewrites the kept figures of these tasks from what is stored, then
/// those of their plans; tasks that no longer exist are passed over. Call
/// it in the transaction of the write that changed them.
pub async fn refresh<C: ConnectionTrait>(conn: &C, task_ids: &[Uuid]) -> DomainResult<()> {
    let plans = refresh_tasks(conn, task_ids).await?;
    refresh_plans(conn, &plans).await
}

/// Rewrites the kept figures of these tasks alone, and says their plans,
/// whose figures the caller must refresh after: a bulk load refreshes
/// each plan once at the end, not once per batch of tasks (a batch of
/// random ids spans every plan).
pub async fn refresh_tasks<C: ConnectionTrait>(conn: &C, task_ids: &[Uuid]) -> DomainResult<Vec<Uuid>> {
    let backend = conn.get_database_backend();
    let mut plans = Vec::new();
    for batch in task_ids.chunks(BATCH) {
        let tasks = ids_of(batch);
        if backend == sea_orm::DatabaseBackend::Postgres {
            // Two approvals on one task at once would each delete the rows
            // the other has not committed yet and insert the same keys:
            // the second waits here for the first, then reads what it
            // committed. (SQLite's writers already take turns.)
            let mut lock = ids_of(batch);
            lock.order_by(tasks::Column::Id, sea_orm::Order::Asc)
                .lock(sea_orm::sea_query::LockType::Update);
            conn.execute(&lock).await?;
        }
        execute(
            conn,
            "DELETE FROM task_metric_actuals WHERE task_id IN ({tasks})",
            &tasks,
        )
        .await?;
        execute(
            conn,
            &format!(
                "INSERT INTO task_metric_actuals (task_id, metric_id, actual_e8) {}",
                actuals_sql(backend)
            ),
            &tasks,
        )
        .await?;
        execute(
            conn,
            "DELETE FROM task_reporting_units WHERE task_id IN ({tasks})",
            &tasks,
        )
        .await?;
        execute(
            conn,
            &format!("INSERT INTO task_reporting_units (task_id, unit_id) {REPORTING_UNITS_SQL}"),
            &tasks,
        )
        .await?;
        execute(conn, "DELETE FROM task_figures WHERE task_id IN ({tasks})", &tasks).await?;
        let progress = progress_of(conn, batch).await?;
        let rows = progress
            .into_iter()
            .map(|(task, percent)| vec![task.into(), percent.into()]);
        insert_rows(conn, "task_figures", &["task_id", "progress_e2"], rows).await?;
        let of_batch: Vec<Uuid> = tasks::Entity::find()
            .select_only()
            .column(tasks::Column::PlanId)
            .distinct()
            .filter(tasks::Column::Id.is_in(batch.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        plans.extend(of_batch);
    }
    plans.sort();
    plans.dedup();
    Ok(plans)
}

/// The kept per-plan rows of the plans of `{tasks}` (here a select of plan
/// ids), as the tasks' own rows and kept figures give them.
const PLAN_COUNTS_SQL: &str = "SELECT t.plan_id, COALESCE(t.category, ''), t.status, t.deadline, CAST(COUNT(*) AS BIGINT), \
     CAST(SUM(CASE WHEN t.status = 'completed' AND t.completed_on IS NOT NULL AND t.completed_on <= t.deadline \
       THEN 1 ELSE 0 END) AS BIGINT) \
     FROM tasks t WHERE t.plan_id IN ({tasks}) \
     GROUP BY t.plan_id, COALESCE(t.category, ''), t.status, t.deadline";
const PLAN_TARGETS_SQL: &str = "SELECT t.plan_id, COALESCE(t.category, ''), g.metric_id, CAST(COUNT(*) AS BIGINT), \
     CAST(SUM(g.normalized_e8) AS BIGINT) \
     FROM targets g JOIN tasks t ON t.id = g.task_id \
     WHERE g.metric_id IS NOT NULL AND g.normalized_e8 IS NOT NULL AND t.plan_id IN ({tasks}) \
     GROUP BY t.plan_id, COALESCE(t.category, ''), g.metric_id";
const PLAN_ACTUALS_SQL: &str = "SELECT t.plan_id, COALESCE(t.category, ''), a.metric_id, CAST(SUM(a.actual_e8) AS BIGINT) \
     FROM task_metric_actuals a JOIN tasks t ON t.id = a.task_id WHERE t.plan_id IN ({tasks}) \
     GROUP BY t.plan_id, COALESCE(t.category, ''), a.metric_id";
const PLAN_UNITS_SQL: &str = "SELECT DISTINCT t.plan_id, COALESCE(t.category, ''), u.unit_id \
     FROM task_reporting_units u JOIN tasks t ON t.id = u.task_id WHERE t.plan_id IN ({tasks})";

/// Plans refreshed in one go.
const PLAN_BATCH: usize = 100;

/// The advisory lock class of a plan's kept figures (PostgreSQL's two-key
/// locks do not share keys with one-key locks, so no other lock meets it).
const PLAN_LOCK_CLASS: i32 = 0x5854_4631;

/// What is kept per plan and category, or what recomputing it gives.
#[derive(Debug, Default, PartialEq, Eq)]
struct PlanFigures {
    /// (plan, category, status, deadline) → (tasks, completed on time)
    counts: BTreeMap<(Uuid, String, String, NaiveDate), (i64, i64)>,
    /// (plan, category, metric) → (targets, target sum, actual sum)
    metrics: BTreeMap<(Uuid, String, Uuid), (i64, i64, i64)>,
    /// (plan, category, unit)
    units: BTreeSet<(Uuid, String, Uuid)>,
}

fn internal(e: sea_orm::DbErr) -> DomainError {
    DomainError::Internal(e.into())
}

/// A kept row's key, (plan, category, metric or unit), and its numbers.
type KeyedRow = ((Uuid, String, Uuid), Vec<i64>);

/// Rows of (plan, category, id) and the numbers from column `from` on.
fn keyed(row: &sea_orm::QueryResult, from: usize, numbers: usize) -> DomainResult<Option<KeyedRow>> {
    let (Some(plan), Some(id)) = (get_uuid(row, 0)?, get_uuid(row, 2)?) else {
        return Ok(None);
    };
    let category: String = row.try_get_by_index(1).map_err(internal)?;
    let values = (from..from + numbers)
        .map(|i| get_i64(row, i))
        .collect::<DomainResult<_>>()?;
    Ok(Some(((plan, category, id), values)))
}

impl PlanFigures {
    /// Counts rows: (plan, category, status, deadline, tasks, on time).
    fn add_counts(&mut self, rows: Vec<sea_orm::QueryResult>) -> DomainResult<()> {
        for row in rows {
            let Some(plan) = get_uuid(&row, 0)? else { continue };
            let category: String = row.try_get_by_index(1).map_err(internal)?;
            let status: String = row.try_get_by_index(2).map_err(internal)?;
            let deadline: NaiveDate = row.try_get_by_index(3).map_err(internal)?;
            self.counts.insert(
                (plan, category, status, deadline),
                (get_i64(&row, 4)?, get_i64(&row, 5)?),
            );
        }
        Ok(())
    }

    /// Recomputed from the tasks and their kept figures, for the plans of
    /// `plans`.
    async fn of<C: ConnectionTrait>(conn: &C, plans: &SelectStatement) -> DomainResult<PlanFigures> {
        let mut out = PlanFigures::default();
        out.add_counts(query(conn, PLAN_COUNTS_SQL, plans).await?)?;
        for row in query(conn, PLAN_TARGETS_SQL, plans).await? {
            if let Some(((plan, category, metric), v)) = keyed(&row, 3, 2)? {
                let entry = out.metrics.entry((plan, category, metric)).or_default();
                entry.0 += v[0];
                entry.1 += v[1];
            }
        }
        for row in query(conn, PLAN_ACTUALS_SQL, plans).await? {
            if let Some(((plan, category, metric), v)) = keyed(&row, 3, 1)? {
                out.metrics.entry((plan, category, metric)).or_default().2 += v[0];
            }
        }
        for row in query(conn, PLAN_UNITS_SQL, plans).await? {
            if let Some(((plan, category, unit), _)) = keyed(&row, 3, 0)? {
                out.units.insert((plan, category, unit));
            }
        }
        Ok(out)
    }

    /// What is kept, for every plan.
    async fn kept<C: ConnectionTrait>(conn: &C) -> DomainResult<PlanFigures> {
        let backend = conn.get_database_backend();
        let all = |sql: &str| conn.query_all_raw(sea_orm::Statement::from_string(backend, sql));
        let mut out = PlanFigures::default();
        out.add_counts(all("SELECT plan_id, category, status, deadline, tasks, on_time FROM plan_task_counts").await?)?;
        for row in
            all("SELECT plan_id, category, metric_id, targets, target_e8, actual_e8 FROM plan_metric_figures").await?
        {
            if let Some(((plan, category, metric), v)) = keyed(&row, 3, 3)? {
                out.metrics.insert((plan, category, metric), (v[0], v[1], v[2]));
            }
        }
        for row in all("SELECT plan_id, category, unit_id FROM plan_reporting_units").await? {
            if let Some(((plan, category, unit), _)) = keyed(&row, 3, 0)? {
                out.units.insert((plan, category, unit));
            }
        }
        Ok(out)
    }

    /// Writes these rows (of plans whose rows were deleted).
    async fn insert<C: ConnectionTrait>(self, conn: &C) -> DomainResult<()> {
        let counts = self
            .counts
            .into_iter()
            .map(|((plan, category, status, deadline), (n, on_time))| {
                vec![
                    plan.into(),
                    category.into(),
                    status.into(),
                    deadline.into(),
                    n.into(),
                    on_time.into(),
                ]
            });
        let columns = ["plan_id", "category", "status", "deadline", "tasks", "on_time"];
        insert_rows(conn, "plan_task_counts", &columns, counts).await?;
        let metrics = self
            .metrics
            .into_iter()
            .map(|((plan, category, metric), (n, target, actual))| {
                vec![
                    plan.into(),
                    category.into(),
                    metric.into(),
                    n.into(),
                    target.into(),
                    actual.into(),
                ]
            });
        let columns = ["plan_id", "category", "metric_id", "targets", "target_e8", "actual_e8"];
        insert_rows(conn, "plan_metric_figures", &columns, metrics).await?;
        let units =
            (self.units.into_iter()).map(|(plan, category, unit)| vec![plan.into(), category.into(), unit.into()]);
        insert_rows(conn, "plan_reporting_units", &["plan_id", "category", "unit_id"], units).await
    }
}

/// Inserts rows into `columns` of `table`, `BATCH` to a statement.
pub(crate) async fn insert_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<sea_orm::Value>>,
) -> DomainResult<()> {
    let rows: Vec<Vec<sea_orm::Value>> = rows.collect();
    for chunk in rows.chunks(BATCH) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for row in chunk {
            insert
                .values(row.iter().cloned().map(Into::into))
                .map_err(|e| DomainError::Internal(e.into()))?;
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

fn plans_of(batch: &[Uuid]) -> SelectStatement {
    Query::select()
        .column(plans::Column::Id)
        .from(plans::Entity)
        .and_where(plans::Column::Id.is_in(batch.iter().copied()))
        .to_owned()
}

/// Holds these plans (in order) until the transaction ends, on PostgreSQL:
/// two writes on tasks of one plan at once would each rewrite the plan's
/// kept rows from what they see, so the second waits here for the first to
/// commit, then reads what it wrote. (SQLite's writers already take turns.)
pub(crate) async fn lock_plans<C: ConnectionTrait>(conn: &C, sorted: &[Uuid]) -> DomainResult<()> {
    let backend = conn.get_database_backend();
    if backend != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    for plan in sorted {
        let key = plan.as_u64_pair().0 as i64 as i32;
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock($1, $2)",
            [PLAN_LOCK_CLASS.into(), key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Rewrites the kept figures of these plans from their tasks' rows and
/// kept figures (refresh the tasks first); plans that no longer exist are
/// passed over. Call it in the transaction of the write that changed them.
pub async fn refresh_plans<C: ConnectionTrait>(conn: &C, plan_ids: &[Uuid]) -> DomainResult<()> {
    let mut ids = plan_ids.to_vec();
    ids.sort();
    ids.dedup();
    for batch in ids.chunks(PLAN_BATCH) {
        lock_plans(conn, batch).await?;
        let plans = plans_of(batch);
        for table in ["plan_task_counts", "plan_metric_figures", "plan_reporting_units"] {
            execute(
                conn,
                &format!("DELETE FROM {table} WHERE plan_id IN ({{tasks}})"),
                &plans,
            )
            .await?;
        }
        PlanFigures::of(conn, &plans).await?.insert(conn).await?;
    }
    Ok(())
}

/// Every plan's id.
async fn plan_ids<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<Uuid>> {
    Ok(plans::Entity::find()
        .select_only()
        .column(plans::Column::Id)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Rewrites the kept actuals of every task, as when the metric catalogue
/// converted stored values again (progress reads the values as written,
/// and which units reported does not depend on the catalogue).
pub async fn refresh_actuals_of_all<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    let backend = conn.get_database_backend();
    conn.execute_unprepared("DELETE FROM task_metric_actuals").await?;
    execute(
        conn,
        &format!(
            "INSERT INTO task_metric_actuals (task_id, metric_id, actual_e8) {}",
            actuals_sql(backend)
        ),
        &every_task(),
    )
    .await?;
    refresh_plans(conn, &plan_ids(conn).await?).await
}

/// Refreshes every task's and every plan's figures, as after a bulk load.
pub async fn refresh_all<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    refresh_tasks(conn, &task_ids(conn).await?).await?;
    // Plans without tasks too (their rows, if any, go).
    refresh_plans(conn, &plan_ids(conn).await?).await
}

/// Every task's id, in order.
pub async fn task_ids<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<Uuid>> {
    Ok(tasks::Entity::find()
        .select_only()
        .column(tasks::Column::Id)
        .order_by_asc(tasks::Column::Id)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Fills the figures of tasks that have none (those stored before the
/// figures were kept); a second run changes nothing.
pub async fn fill_missing<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    let backend = conn.get_database_backend();
    let sql = "SELECT t.id FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_figures f WHERE f.task_id = t.id)";
    let mut ids = Vec::new();
    for row in conn
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?
    {
        if let Some(id) = get_uuid(&row, 0)? {
            ids.push(id);
        }
    }
    refresh(conn, &ids).await?;
    // Plans with tasks and no kept rows (those stored before plans' figures
    // were kept): a plan with a task has at least one count.
    let sql = "SELECT p.id FROM plans p WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.plan_id = p.id) \
         AND NOT EXISTS (SELECT 1 FROM plan_task_counts c WHERE c.plan_id = p.id)";
    let mut plans = Vec::new();
    for row in conn
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?
    {
        if let Some(id) = get_uuid(&row, 0)? {
            plans.push(id);
        }
    }
    refresh_plans(conn, &plans).await?;
    if !ids.is_empty() || !plans.is_empty() {
        // Lights kept meanwhile were judged from the progress these tasks
        // lacked (the light keeper of a running instance may have judged
        // them): judge again, as `xietong figures --rebuild` does.
        super::light::kept::forget_all(conn).await?;
    }
    Ok(ids.len() as u64)
}

/// The progress of these tasks as their progress answers give it, in
/// hundredths of a percent.
async fn progress_of<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> DomainResult<Vec<(Uuid, Option<i64>)>> {
    let models = tasks::Entity::find()
        .filter(tasks::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    // A task's progress does not depend on the day (only whether it is
    // overdue does, which is not kept).
    let views = super::task::unjudged_views(conn, NaiveDate::MIN, models).await?;
    let progress = super::progress::of_tasks(conn, NaiveDate::MIN, &views).await?;
    progress
        .into_iter()
        .map(|p| {
            let hundredths = p
                .percent
                .as_deref()
                .map(|text| {
                    text.parse::<Decimal>()
                        .ok()
                        .and_then(|d| (d * Decimal::ONE_HUNDRED).to_i64())
                        .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("a progress of {text}")))
                })
                .transpose()?;
            Ok((p.task_id, hundredths))
        })
        .collect()
}

/// What the kept figures say, or what recomputing them gives.
#[derive(Debug, Default, PartialEq, Eq)]
struct Figures {
    progress: BTreeMap<Uuid, Option<i64>>,
    actuals: BTreeMap<(Uuid, Uuid), i64>,
    reporting_units: BTreeSet<(Uuid, Uuid)>,
}

/// Rows of two ids, and a number when `numbered`, over every task.
async fn pairs<C: ConnectionTrait>(conn: &C, sql: &str, numbered: bool) -> DomainResult<Vec<(Uuid, Uuid, i64)>> {
    let mut out = Vec::new();
    for row in query(conn, sql, &every_task()).await? {
        if let (Some(a), Some(b)) = (get_uuid(&row, 0)?, get_uuid(&row, 1)?) {
            out.push((a, b, if numbered { get_i64(&row, 2)? } else { 0 }));
        }
    }
    Ok(out)
}

async fn kept<C: ConnectionTrait>(conn: &C) -> DomainResult<Figures> {
    let mut out = Figures::default();
    for (task, metric, actual) in pairs(
        conn,
        "SELECT task_id, metric_id, actual_e8 FROM task_metric_actuals",
        true,
    )
    .await?
    {
        out.actuals.insert((task, metric), actual);
    }
    for (task, unit, _) in pairs(conn, "SELECT task_id, unit_id FROM task_reporting_units", false).await? {
        out.reporting_units.insert((task, unit));
    }
    let backend = conn.get_database_backend();
    for row in conn
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT task_id, progress_e2 FROM task_figures",
        ))
        .await?
    {
        if let Some(task) = get_uuid(&row, 0)? {
            let percent = row
                .try_get_by_index::<Option<i64>>(1)
                .map_err(|e| DomainError::Internal(e.into()))?;
            out.progress.insert(task, percent);
        }
    }
    Ok(out)
}

async fn recomputed<C: ConnectionTrait>(conn: &C) -> DomainResult<Figures> {
    let mut out = Figures::default();
    for (task, metric, actual) in pairs(conn, &actuals_sql(conn.get_database_backend()), true).await? {
        out.actuals.insert((task, metric), actual);
    }
    for (task, unit, _) in pairs(conn, REPORTING_UNITS_SQL, false).await? {
        out.reporting_units.insert((task, unit));
    }
    for batch in task_ids(conn).await?.chunks(BATCH) {
        out.progress.extend(progress_of(conn, batch).await?);
    }
    Ok(out)
}

/// Where the kept figures differ from a full recomputation, one line each
/// (none when they agree).
pub async fn differences<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<String>> {
    let (kept, fresh) = (kept(conn).await?, recomputed(conn).await?);
    let mut out = Vec::new();
    let tasks: BTreeSet<&Uuid> = kept.progress.keys().chain(fresh.progress.keys()).collect();
    for task in tasks {
        let (k, f) = (kept.progress.get(task), fresh.progress.get(task));
        if k != f {
            out.push(format!("task {task}: progress kept {k:?}, recomputed {f:?}"));
        }
    }
    let keys: BTreeSet<&(Uuid, Uuid)> = kept.actuals.keys().chain(fresh.actuals.keys()).collect();
    for key in keys {
        let (k, f) = (kept.actuals.get(key), fresh.actuals.get(key));
        if k != f {
            out.push(format!(
                "task {} metric {}: actual kept {k:?}, recomputed {f:?}",
                key.0, key.1
            ));
        }
    }
    for (task, unit) in kept.reporting_units.symmetric_difference(&fresh.reporting_units) {
        let side = if kept.reporting_units.contains(&(*task, *unit)) {
            "kept but not recomputed"
        } else {
            "recomputed but not kept"
        };
        out.push(format!("task {task} unit {unit}: reporting, {side}"));
    }
    let every_plan = Query::select().column(plans::Column::Id).from(plans::Entity).to_owned();
    let (kept, fresh) = (
        PlanFigures::kept(conn).await?,
        PlanFigures::of(conn, &every_plan).await?,
    );
    differ(&mut out, "tasks (count, on time)", &kept.counts, &fresh.counts);
    differ(
        &mut out,
        "metric (targets, target sum, actual sum)",
        &kept.metrics,
        &fresh.metrics,
    );
    for key in kept.units.symmetric_difference(&fresh.units) {
        let side = if kept.units.contains(key) {
            "kept but not recomputed"
        } else {
            "recomputed but not kept"
        };
        out.push(format!("plan figures {key:?}: reporting unit, {side}"));
    }
    Ok(out)
}

/// A line for each key whose kept value differs from the recomputed one.
fn differ<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    out: &mut Vec<String>,
    what: &str,
    kept: &BTreeMap<K, V>,
    fresh: &BTreeMap<K, V>,
) {
    let keys: BTreeSet<&K> = kept.keys().chain(fresh.keys()).collect();
    for key in keys {
        let (k, f) = (kept.get(key), fresh.get(key));
        if k != f {
            out.push(format!("plan figures {key:?}: {what} kept {k:?}, recomputed {f:?}"));
        }
    }
}
