//! Traffic lights kept per plan, task category and day (issue 26), so that
//! statistics read a few rows a plan instead of judging every task on
//! every request (judging needs each task's progress and the reports it
//! owes: the calendar reads every task, its units and its reports).
//!
//! A light depends on the day, so a row of `plan_lights` counts only on the
//! day it was judged. Statistics add up the rows of today and judge the
//! tasks of the other plans one by one ([`LightCounts::of_kept`]), so an
//! answer never waits for the keeper and is never stale:
//! - every write that can change a plan's lights removes its rows in the
//!   write's own transaction ([`forget_changed`], called for every change
//!   the audit log records): a task, a report or a request for more time
//!   on one of its tasks, the plan itself; a unit or a unit group, which
//!   can change who owes reports on any plan, makes every plan's rows
//!   count no more;
//! - [`keep`] judges the plans that have tasks and no rows of today, each
//!   in a write of its own: the service runs it in the background, so when
//!   the day turns every plan is judged again.
//!
//! On PostgreSQL a plan's rows are written and removed under its lock
//! ([`crate::domain::figures::lock_plans`]): a judge that read before a
//! write committed either finishes first (and the write removes what it
//! wrote) or waits for the write (and reads it). A change that can reach
//! every plan moves the epoch on ([`forget_all`]): rows judged at an older
//! epoch do not count. A judge holds one plan's lock and waits for nothing
//! after it, so it is never part of a deadlock. SQLite's writers take turns.
//!
//! The judge keeps what the plan's tasks owe in the same write
//! ([`crate::domain::calendar::kept`]), and the same changes remove it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use entity::{plans, tasks};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use uuid::Uuid;

use super::{LightCounts, Owing, PlanCategory, judged};
use crate::domain::audit::Change;
use crate::domain::calendar;
use crate::domain::figures::{insert_rows, lock_plans};
use crate::domain::statistics::{get_i64, get_uuid, literal_day};
use crate::domain::values::Light;
use crate::domain::{Clock, DomainResult, Store, begin_write};

const TABLE: &str = "plan_lights";

/// The epoch of the kept lights: rows of another epoch do not count (see
/// [`forget_all`]).
const EPOCH: &str = "SELECT e.epoch FROM plan_lights_epoch e WHERE e.id = 1";

/// [`EPOCH`] as a subquery.
const CURRENT_EPOCH: &str = "(SELECT e.epoch FROM plan_lights_epoch e WHERE e.id = 1)";

/// The condition, on a `plan_lights` row aliased `l`, that it counts:
/// judged at the current epoch, and on `day` when given (lights count only
/// on the day they were judged; the reports kept beside them on any).
pub(crate) fn counting(day: Option<NaiveDate>) -> String {
    match day {
        Some(day) => format!("l.epoch = {CURRENT_EPOCH} AND l.judged_on = {}", literal_day(day)),
        None => format!("l.epoch = {CURRENT_EPOCH}"),
    }
}

/// Whether the plan whose id is the SQL `plan_id` has lights that count
/// ([`counting`]).
pub(crate) fn kept_for(plan_id: &str, day: Option<NaiveDate>) -> Expr {
    Expr::cust(format!(
        "EXISTS (SELECT 1 FROM plan_lights l WHERE l.plan_id = {plan_id} AND {})",
        counting(day)
    ))
}

/// Whether the plan whose id is the SQL `plan_id` has tasks.
pub(crate) fn has_tasks(plan_id: &str) -> Expr {
    Expr::cust(format!("EXISTS (SELECT 1 FROM tasks t WHERE t.plan_id = {plan_id})"))
}

/// Removes the kept lights of these plans, in the transaction of the write
/// that changed them.
pub(crate) async fn forget<C: ConnectionTrait>(conn: &C, plans: &[Uuid]) -> DomainResult<()> {
    let mut plans = plans.to_vec();
    plans.sort();
    plans.dedup();
    if plans.is_empty() {
        return Ok(());
    }
    lock_plans(conn, &plans).await?;
    for table in [TABLE, calendar::kept::TABLE] {
        conn.execute(
            &Query::delete()
                .from_table(Alias::new(table))
                .and_where(Expr::col(Alias::new("plan_id")).is_in(plans.iter().copied()))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Makes every plan's kept lights count no more, in the transaction of the
/// write that can change them all (or that loaded tasks in bulk): the
/// epoch moves on, and only rows judged at the new one count. (Removing the
/// rows instead would miss those a judge is writing meanwhile; and a lock
/// over every plan would make a judge that holds a plan wait for a write
/// that goes on to that plan: an import creates units between tasks.)
pub async fn forget_all<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    conn.execute_unprepared("UPDATE plan_lights_epoch SET epoch = epoch + 1 WHERE id = 1")
        .await?;
    Ok(())
}

/// An id field of a change's view.
fn id_field(view: Option<&Value>, field: &str) -> Option<Uuid> {
    view?.get(field)?.as_str()?.parse().ok()
}

/// Removes the kept lights a recorded change can have changed: those of
/// the plan it is, or holds the task it is about (before and after, for a
/// task that moved); every plan's for a unit or a group, whose members owe
/// reports on tasks of any plan.
pub(crate) async fn forget_changed<C: ConnectionTrait>(conn: &C, change: &Change) -> DomainResult<()> {
    let (before, after) = (change.before.as_ref(), change.after.as_ref());
    match change.entity {
        "plan" => forget(conn, &change.entity_id.into_iter().collect::<Vec<_>>()).await,
        "task" => {
            let plans: Vec<Uuid> = [id_field(before, "plan_id"), id_field(after, "plan_id")]
                .into_iter()
                .flatten()
                .collect();
            forget(conn, &plans).await
        }
        "report" | "extension" => {
            let task_ids: Vec<Uuid> = [id_field(before, "task_id"), id_field(after, "task_id")]
                .into_iter()
                .flatten()
                .collect();
            if task_ids.is_empty() {
                return Ok(());
            }
            let select = Query::select()
                .distinct()
                .column(tasks::Column::PlanId)
                .from(tasks::Entity)
                .and_where(tasks::Column::Id.is_in(task_ids))
                .to_owned();
            let plans: Vec<Uuid> = conn
                .query_all(&select)
                .await?
                .iter()
                .filter_map(|row| get_uuid(row, 0).transpose())
                .collect::<DomainResult<_>>()?;
            forget(conn, &plans).await
        }
        "unit" | "unit_group" => forget_all(conn).await,
        _ => Ok(()),
    }
}

/// The plans (or only `plan`) that have tasks and no lights kept for
/// `today`, in order.
async fn unjudged<C: ConnectionTrait>(conn: &C, today: NaiveDate, plan: Option<Uuid>) -> DomainResult<Vec<Uuid>> {
    let mut select = Query::select();
    select
        .column((plans::Entity, plans::Column::Id))
        .from(plans::Entity)
        .and_where(has_tasks("plans.id"))
        .and_where(kept_for("plans.id", Some(today)).not())
        .order_by((plans::Entity, plans::Column::Id), sea_orm::Order::Asc);
    if let Some(plan) = plan {
        select.and_where(Expr::col((plans::Entity, plans::Column::Id)).eq(plan));
    }
    conn.query_all(&select)
        .await?
        .iter()
        .filter_map(|row| get_uuid(row, 0).transpose())
        .collect()
}

/// Judges one plan's tasks as of `today` and keeps their lights, in place
/// of what was kept.
async fn keep_plan<C: ConnectionTrait>(conn: &C, plan: Uuid, today: NaiveDate) -> DomainResult<()> {
    // The epoch as committed: if a change reaching every plan commits
    // while this judges, it moves the epoch on, and these rows no longer count.
    let epoch = match conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), EPOCH))
        .await?
    {
        Some(row) => get_i64(&row, 0)?,
        None => 0,
    };
    forget(conn, &[plan]).await?;
    calendar::kept::keep(conn, plan).await?;
    let scope = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::PlanId.eq(plan))
        .to_owned();
    let mut counts: BTreeMap<PlanCategory, LightCounts> = BTreeMap::new();
    for task in judged(conn, today, &scope, Owing::Calendar).await? {
        counts.entry(task.place).or_default().add(task.light);
    }
    let rows = counts.into_iter().map(|((plan, category), c)| {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX).into();
        vec![
            plan.into(),
            category.into(),
            today.into(),
            epoch.into(),
            count(c.green),
            count(c.yellow),
            count(c.red),
        ]
    });
    let columns = ["plan_id", "category", "judged_on", "epoch", "green", "yellow", "red"];
    insert_rows(conn, TABLE, &columns, rows).await
}

/// Judges each plan that has tasks and no lights kept for `today`, each in
/// a write of its own (a writer waits for one plan at most); says how many
/// it judged. A plan another instance judged meanwhile is passed over.
pub async fn keep<S: Store>(db: &S, today: NaiveDate) -> DomainResult<u64> {
    let mut judged = 0;
    for plan in unjudged(db, today, None).await? {
        let txn = begin_write(db).await?;
        lock_plans(&txn, &[plan]).await?;
        if unjudged_among(&txn, today, plan).await? {
            keep_plan(&txn, plan, today).await?;
            judged += 1;
        }
        txn.commit().await?;
    }
    Ok(judged)
}

/// Whether `plan` has tasks and no lights kept for `today`.
async fn unjudged_among<C: ConnectionTrait>(conn: &C, today: NaiveDate, plan: Uuid) -> DomainResult<bool> {
    Ok(unjudged(conn, today, Some(plan)).await?.contains(&plan))
}

/// How often the service looks for plans to judge ([`run`]): a changed
/// plan's lights are kept again within this, every plan's soon after the
/// day turns.
pub const KEEP_EVERY: Duration = Duration::from_secs(10);

/// Keeps the lights of today, every [`KEEP_EVERY`], until the task is
/// dropped. Every instance runs it; a plan is judged by one at a time.
pub async fn run(db: DatabaseConnection, clock: Clock) {
    loop {
        match keep(&db, clock.today()).await {
            Ok(0) => {}
            Ok(plans) => tracing::debug!(plans, "lights of today kept"),
            Err(err) => tracing::warn!(error = %err, "keeping the lights failed; it tries again"),
        }
        tokio::time::sleep(KEEP_EVERY).await;
    }
}

/// The plans whose kept rows count: those with lights at the current
/// epoch, of any day.
async fn kept_plans<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<Uuid>> {
    let sql = format!(
        "SELECT DISTINCT l.plan_id FROM plan_lights l WHERE {} ORDER BY l.plan_id",
        counting(None)
    );
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .iter()
        .filter_map(|row| get_uuid(row, 0).transpose())
        .collect()
}

/// The lights kept for `today` that differ from judging the plans' tasks
/// again, and the reports kept as owed that differ from asking the
/// calendar again, one line each; plans with no lights kept for `today` are left
/// out (statistics judge them).
pub async fn differences<C: ConnectionTrait>(conn: &C, today: NaiveDate) -> DomainResult<Vec<String>> {
    let sql = format!(
        "SELECT l.plan_id, l.category, l.green, l.yellow, l.red FROM plan_lights l \
         WHERE {} ORDER BY l.plan_id, l.category",
        counting(Some(today))
    );
    let mut kept: BTreeMap<PlanCategory, (i64, i64, i64)> = BTreeMap::new();
    for row in conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
    {
        let plan = get_uuid(&row, 0)?.unwrap_or_default();
        let category: String = row
            .try_get_by_index(1)
            .map_err(|e| crate::domain::DomainError::Internal(e.into()))?;
        kept.insert(
            (plan, category),
            (get_i64(&row, 2)?, get_i64(&row, 3)?, get_i64(&row, 4)?),
        );
    }
    let plans: Vec<Uuid> = kept.keys().map(|(plan, _)| *plan).collect();
    let scope = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::PlanId.is_in(plans))
        .to_owned();
    let mut judged_again: BTreeMap<PlanCategory, (i64, i64, i64)> = BTreeMap::new();
    for task in judged(conn, today, &scope, Owing::Calendar).await? {
        let entry = judged_again.entry(task.place).or_default();
        match task.light {
            Light::Green => entry.0 += 1,
            Light::Yellow => entry.1 += 1,
            Light::Red => entry.2 += 1,
        }
    }
    let mut out = calendar::kept::differences(conn, &kept_plans(conn).await?).await?;
    for place in kept
        .keys()
        .chain(judged_again.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (k, j) = (kept.get(place), judged_again.get(place));
        if k != j {
            out.push(format!(
                "lights of plan {} category {:?}: kept (green, yellow, red) {k:?}, judged again {j:?}",
                place.0, place.1
            ));
        }
    }
    Ok(out)
}
