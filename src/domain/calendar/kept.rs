//! The reports each plan's tasks owe, kept (issue 26): one row for every
//! report owed by the plan's rhythm and rule, whatever the day, with the
//! day it was first filed, if it was. Which are late on a day is then a
//! condition on two days (due before it, not filed by it), so the late
//! list reads the rows of late reports instead of every task of the year,
//! its units and its reports.
//!
//! The rows are kept with the plan's lights ([`crate::domain::light::kept`]):
//! written by the same judge in the same write, removed by the same
//! changes, and they count while the plan has lights at the current epoch
//! (of any day: what a plan owes does not change when the day turns). A
//! plan without is asked of the calendar, as before.

use chrono::NaiveDate;
use entity::tasks;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryResult};
use uuid::Uuid;

use super::{Obligation, owed_on};
use crate::domain::figures::insert_rows;
use crate::domain::light::kept::{has_tasks, kept_for};
use crate::domain::region::parse_stored;
use crate::domain::values::{ObligationStatus, PeriodKind, ReportPeriod};
use crate::domain::{DomainError, DomainResult};

pub(crate) const TABLE: &str = "plan_obligations";

const COLUMNS: [&str; 13] = [
    "plan_id",
    "task_id",
    "unit_id",
    "group_id",
    "role",
    "period",
    "kind",
    "due_on",
    "filed_on",
    "report_id",
    "section",
    "seq",
    "place",
];

/// One kept row: a report owed, as of no day in particular.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Owed {
    plan_id: Uuid,
    task_id: Uuid,
    /// The unit that owes it; for a group's, the member that filed it.
    unit_id: Option<Uuid>,
    group_id: Option<Uuid>,
    role: String,
    period: String,
    kind: String,
    due_on: NaiveDate,
    filed_on: Option<NaiveDate>,
    report_id: Option<Uuid>,
    section: String,
    seq: i32,
    place: i64,
}

impl Owed {
    fn of(o: &Obligation) -> Owed {
        Owed {
            plan_id: o.plan_id,
            task_id: o.task_id,
            unit_id: o.unit_id,
            group_id: o.group_id,
            role: o.role.as_str().to_owned(),
            period: o.period.to_string(),
            kind: o.period.kind().as_str().to_owned(),
            due_on: o.due_on,
            filed_on: o.submitted_on,
            report_id: o.report_id,
            section: o.section.clone().unwrap_or_default(),
            seq: o.seq,
            place: o.place,
        }
    }

    fn values(self) -> Vec<sea_orm::Value> {
        vec![
            self.plan_id.into(),
            self.task_id.into(),
            self.unit_id.into(),
            self.group_id.into(),
            self.role.into(),
            self.period.into(),
            self.kind.into(),
            self.due_on.into(),
            self.filed_on.into(),
            self.report_id.into(),
            self.section.into(),
            self.seq.into(),
            self.place.into(),
        ]
    }

    /// The row read from column `from` on, in [`COLUMNS`]' order.
    fn read(row: &QueryResult, from: usize) -> DomainResult<Owed> {
        let internal = |e: sea_orm::DbErr| DomainError::Internal(e.into());
        Ok(Owed {
            plan_id: row.try_get_by_index(from).map_err(internal)?,
            task_id: row.try_get_by_index(from + 1).map_err(internal)?,
            unit_id: row.try_get_by_index(from + 2).map_err(internal)?,
            group_id: row.try_get_by_index(from + 3).map_err(internal)?,
            role: row.try_get_by_index(from + 4).map_err(internal)?,
            period: row.try_get_by_index(from + 5).map_err(internal)?,
            kind: row.try_get_by_index(from + 6).map_err(internal)?,
            due_on: row.try_get_by_index(from + 7).map_err(internal)?,
            filed_on: row.try_get_by_index(from + 8).map_err(internal)?,
            report_id: row.try_get_by_index(from + 9).map_err(internal)?,
            section: row.try_get_by_index(from + 10).map_err(internal)?,
            seq: row.try_get_by_index(from + 11).map_err(internal)?,
            place: row.try_get_by_index(from + 12).map_err(internal)?,
        })
    }

    /// The report as the calendar shows it on a day it is late: nobody
    /// has filed it, so a group's names no member.
    fn late(self) -> DomainResult<Obligation> {
        Ok(Obligation {
            plan_id: self.plan_id,
            task_id: self.task_id,
            section: (!self.section.is_empty()).then_some(self.section),
            seq: self.seq,
            place: self.place,
            unit_id: self.unit_id.filter(|_| self.group_id.is_none()),
            group_id: self.group_id,
            role: parse_stored(&self.role)?,
            period: ReportPeriod::parse(&self.period)
                .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored period {}: {e}", self.period)))?,
            due_on: self.due_on,
            status: ObligationStatus::Late,
            report_id: None,
            submitted_on: None,
        })
    }
}

/// Every report the tasks of `plans` owe, on any day: as the calendar
/// sees them from the last day there is (every period has begun, every
/// report filed so far counts, with the day it was filed).
async fn owed_ever<C: ConnectionTrait>(conn: &C, plans: &[Uuid]) -> DomainResult<Vec<Owed>> {
    let scope = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::PlanId.is_in(plans.iter().copied()))
        .to_owned();
    Ok(owed_on(conn, scope, NaiveDate::MAX, None, None, None)
        .await?
        .iter()
        .map(Owed::of)
        .collect())
}

/// Keeps what `plan`'s tasks owe, in the judge's write (its old rows are
/// already gone: [`crate::domain::light::kept::forget`]).
pub(crate) async fn keep<C: ConnectionTrait>(conn: &C, plan: Uuid) -> DomainResult<()> {
    let rows = owed_ever(conn, &[plan]).await?.into_iter().map(Owed::values);
    insert_rows(conn, TABLE, &COLUMNS, rows).await
}

/// The reports late on `on` on the tasks of `plans` (only those of
/// `tasks` and of `kind` when given), as far as they are kept, and the
/// plans with tasks that have no rows that count, for the calendar to work
/// out.
pub(crate) struct Late {
    pub(crate) kept: Vec<Obligation>,
    pub(crate) not_kept: Vec<Uuid>,
}

pub(crate) async fn late<C: ConnectionTrait>(
    conn: &C,
    plans: SelectStatement,
    tasks: Option<SelectStatement>,
    on: NaiveDate,
    kind: Option<PeriodKind>,
) -> DomainResult<Late> {
    let (o, p) = (Alias::new("o"), Alias::new("p"));
    let col = |name: &str| Expr::col((o.clone(), Alias::new(name)));
    let mut rows = Query::select();
    rows.expr(Expr::cust("NULL"))
        .columns(COLUMNS.map(|c| (o.clone(), Alias::new(c))))
        .from_as(Alias::new(TABLE), o.clone())
        .and_where(col("plan_id").in_subquery(plans.clone()))
        .and_where(col("due_on").lt(on))
        .and_where(col("filed_on").is_null().or(col("filed_on").gt(on)))
        .and_where(kept_for("o.plan_id", None));
    if let Some(tasks) = tasks {
        rows.and_where(col("task_id").in_subquery(tasks));
    }
    if let Some(kind) = kind {
        rows.and_where(col("kind").eq(kind.as_str()));
    }
    let mut not_kept = Query::select();
    not_kept
        .column((p.clone(), Alias::new("id")))
        .exprs(COLUMNS.map(|_| Expr::cust("NULL")))
        .from_as(entity::plans::Entity, p.clone())
        .and_where(Expr::col((p, Alias::new("id"))).in_subquery(plans))
        .and_where(has_tasks("p.id"))
        .and_where(kept_for("p.id", None).not())
        // One statement, so one snapshot: a plan the keeper or a write
        // changes meanwhile is either kept here or listed as not kept.
        .union(UnionType::All, rows);
    let mut late = Late {
        kept: Vec::new(),
        not_kept: Vec::new(),
    };
    for row in conn.query_all(&not_kept).await? {
        let plan: Option<Uuid> = row.try_get_by_index(0).map_err(|e| DomainError::Internal(e.into()))?;
        match plan {
            Some(plan) => late.not_kept.push(plan),
            None => late.kept.push(Owed::read(&row, 1)?.late()?),
        }
    }
    Ok(late)
}

/// Where the kept rows of `plans` differ from what their tasks owe when
/// asked again, one line each (at most a few a plan).
pub(crate) async fn differences<C: ConnectionTrait>(conn: &C, plans: &[Uuid]) -> DomainResult<Vec<String>> {
    let mut out = Vec::new();
    for plan in plans {
        let select = Query::select()
            .columns(COLUMNS.map(Alias::new))
            .from(Alias::new(TABLE))
            .and_where(Expr::col(Alias::new("plan_id")).eq(*plan))
            .to_owned();
        let mut kept: Vec<Owed> = conn
            .query_all(&select)
            .await?
            .iter()
            .map(|row| Owed::read(row, 0))
            .collect::<DomainResult<_>>()?;
        let mut again = owed_ever(conn, &[*plan]).await?;
        kept.sort();
        again.sort();
        if kept != again {
            let only_kept = kept.iter().filter(|o| !again.contains(o)).take(3);
            let only_again = again.iter().filter(|o| !kept.contains(o)).take(3);
            out.push(format!(
                "reports owed on plan {plan}: {} kept, {} asked again; kept only {:?}; asked again only {:?}",
                kept.len(),
                again.len(),
                only_kept.collect::<Vec<_>>(),
                only_again.collect::<Vec<_>>()
            ));
        }
    }
    Ok(out)
}
