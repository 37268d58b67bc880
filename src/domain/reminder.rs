//! The reminder scheduler (到期提醒, 逾期提醒): inside the service, every
//! interval, it looks at the reports owed on the tasks of issued plans and
//! tells the units that owe them, once per obligation and kind:
//! - `report_due_soon` when a report not yet submitted is due within its
//!   plan's `reporting.remind_days`;
//! - `report_late` when it is past its due day and still not submitted
//!   (for reports due within the last [`LATE_REACH_DAYS`] days: a service
//!   started on an old database does not flood its users with last year).
//!
//! It runs as soon as the service starts, so what fell due while it was
//! down is told after restart. With several instances on one database,
//! one holds a lease and sends; each reminder sent is recorded under a key
//! of its obligation and kind in the transaction that writes its
//! notifications, so that none goes twice, whoever sends it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{Datelike, TimeDelta};
use entity::{plans, reminders_sent, scheduler_leases, tasks};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::audit::{self, Change};
use super::calendar::{Obligation, group_units, owed_on};
use super::notification::{self, Notice, task_label};
use super::values::{NotificationKind, ObligationStatus, PlanStatus};
use super::{Caller, Clock, DomainResult, attachment, begin_write};
use crate::infra::storage::Storage;
use crate::infra::telemetry::Metrics;

/// How far back a late report is still reminded of.
pub const LATE_REACH_DAYS: i64 = 31;

/// The lease's name.
const LEASE: &str = "reminders";

/// What one run sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sent {
    /// Obligations reminded of as due soon, and as late.
    pub due_soon: u64,
    pub late: u64,
    /// Notifications written (one per user of each unit told).
    pub notifications: u64,
}

/// Takes or renews the lease for `holder` until `ttl` from now; answers
/// whether `holder` has it.
async fn take_lease(db: &DatabaseConnection, clock: Clock, holder: &str, ttl: Duration) -> DomainResult<bool> {
    let now = clock.now();
    let until = now + TimeDelta::from_std(ttl).unwrap_or(TimeDelta::minutes(10));
    let stmt = Query::insert()
        .into_table(scheduler_leases::Entity)
        .columns([
            scheduler_leases::Column::Name,
            scheduler_leases::Column::Holder,
            scheduler_leases::Column::ExpiresAt,
        ])
        .values_panic([LEASE.into(), holder.into(), until.into()])
        .on_conflict(
            OnConflict::column(scheduler_leases::Column::Name)
                .update_columns([scheduler_leases::Column::Holder, scheduler_leases::Column::ExpiresAt])
                .action_and_where(
                    Expr::col((scheduler_leases::Entity, scheduler_leases::Column::Holder))
                        .eq(holder)
                        .or(Expr::col((scheduler_leases::Entity, scheduler_leases::Column::ExpiresAt)).lt(now)),
                )
                .to_owned(),
        )
        .to_owned();
    let done = db.execute(&stmt).await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease up, so that another instance takes it at once.
pub async fn release(db: &DatabaseConnection, holder: &str) -> DomainResult<()> {
    scheduler_leases::Entity::delete_many()
        .filter(scheduler_leases::Column::Name.eq(LEASE))
        .filter(scheduler_leases::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Who an obligation is owed by, for its key.
fn debtor(o: &Obligation) -> Option<Uuid> {
    o.group_id.or(o.unit_id)
}

/// One run, as `holder`: answers what was sent, or none when another
/// instance holds the lease.
pub async fn run_once(
    db: &DatabaseConnection,
    clock: Clock,
    holder: &str,
    lease_ttl: Duration,
) -> DomainResult<Option<Sent>> {
    if !take_lease(db, clock, holder, lease_ttl).await? {
        return Ok(None);
    }
    let today = clock.today();
    let issued = Query::select()
        .column(plans::Column::Id)
        .from(plans::Entity)
        .and_where(plans::Column::Status.eq(PlanStatus::Issued.as_str()))
        .and_where(plans::Column::Year.is_in([today.year() - 1, today.year()]))
        .to_owned();
    let in_scope = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::PlanId.in_subquery(issued))
        .to_owned();
    let owed = owed_on(db, in_scope, today, None, None, None).await?;
    let remind_days: HashMap<Uuid, i64> = plans::Entity::find()
        .filter(plans::Column::Id.is_in(owed.iter().map(|o| o.plan_id).collect::<HashSet<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, i64::from(p.remind_days)))
        .collect();
    let late_reach = today - TimeDelta::days(LATE_REACH_DAYS);
    let due: Vec<(NotificationKind, &Obligation)> = owed
        .iter()
        .filter_map(|o| {
            let days = remind_days.get(&o.plan_id).copied().unwrap_or_default();
            match o.status {
                ObligationStatus::Open if days > 0 && (o.due_on - today).num_days() <= days => {
                    Some((NotificationKind::ReportDueSoon, o))
                }
                ObligationStatus::Late if o.due_on >= late_reach => Some((NotificationKind::ReportLate, o)),
                _ => None,
            }
        })
        .collect();
    if due.is_empty() {
        return Ok(Some(Sent::default()));
    }
    let txn = begin_write(db).await?;
    let sent_before: HashSet<String> = reminders_sent::Entity::find()
        .filter(reminders_sent::Column::TaskId.is_in(due.iter().map(|(_, o)| o.task_id).collect::<HashSet<_>>()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.key)
        .collect();
    let fresh: Vec<(NotificationKind, &Obligation, String)> = due
        .into_iter()
        .filter_map(|(kind, o)| {
            let key = format!("{}:{}:{}:{}", kind.as_str(), o.task_id, debtor(o)?, o.period);
            (!sent_before.contains(&key)).then_some((kind, o, key))
        })
        .collect();
    let groups: HashSet<Uuid> = fresh.iter().filter_map(|(_, o, _)| o.group_id).collect();
    let members = group_units(&txn, &groups).await?;
    let task_ids: HashSet<Uuid> = fresh.iter().map(|(_, o, _)| o.task_id).collect();
    let task_rows: HashMap<Uuid, tasks::Model> = tasks::Entity::find()
        .filter(tasks::Column::Id.is_in(task_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let at = clock.now();
    let mut sent = Sent::default();
    let mut users_of: HashMap<Vec<Uuid>, Vec<Uuid>> = HashMap::new();
    for (kind, o, key) in fresh {
        let Some(task_model) = task_rows.get(&o.task_id) else {
            continue;
        };
        let recorded = reminders_sent::Entity::insert(reminders_sent::ActiveModel {
            key: Set(key),
            task_id: Set(o.task_id),
            created_at: Set(at),
        })
        .on_conflict(OnConflict::column(reminders_sent::Column::Key).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
        if recorded != 1 {
            continue;
        }
        let units: Vec<Uuid> = match (o.group_id, o.unit_id) {
            (Some(group), _) => members.get(&group).cloned().unwrap_or_default(),
            (None, Some(unit)) => vec![unit],
            (None, None) => vec![],
        };
        let users = match users_of.get(&units) {
            Some(users) => users.clone(),
            None => {
                let users = notification::users_of_units(&txn, &units).await?;
                users_of.insert(units, users.clone());
                users
            }
        };
        let message = match kind {
            NotificationKind::ReportDueSoon => format!(
                "到期提醒：{} {}报告 {} 到期，尚未报送",
                task_label(task_model),
                o.period,
                o.due_on
            ),
            _ => format!(
                "逾期提醒：{} {}报告已于 {} 到期，尚未报送",
                task_label(task_model),
                o.period,
                o.due_on
            ),
        };
        let notice = Notice {
            period: Some(o.period),
            due_on: Some(o.due_on),
            ..Notice::about(kind, task_model, message)
        };
        sent.notifications += notification::send(&txn, at, &users, &notice).await? as u64;
        match kind {
            NotificationKind::ReportDueSoon => sent.due_soon += 1,
            _ => sent.late += 1,
        }
    }
    if sent == Sent::default() {
        txn.commit().await?;
    } else {
        let caller = Caller {
            clock,
            ..Caller::system()
        };
        audit::commit(txn, &caller, Change::created("reminder", None, &sent)?).await?;
    }
    Ok(Some(sent))
}

/// Runs the scheduler every `interval` until the task is dropped, as
/// `holder` (an id of this instance); the lease lasts three intervals, at
/// least a minute, so that another instance takes over when this one dies.
/// The instance that holds the lease also sweeps the storage of bytes whose
/// attachment is gone ([`attachment::sweep`]) and removes the changes the
/// feed no longer keeps ([`super::feed::prune`]), and on SQLite keeps the
/// query planner's statistics current ([`crate::db::optimize`]).
pub async fn run(
    db: DatabaseConnection,
    storage: Storage,
    clock: Clock,
    holder: String,
    interval: Duration,
    changes_retention: chrono::TimeDelta,
    metrics: Metrics,
) {
    let ttl = (interval * 3).max(Duration::from_secs(60));
    loop {
        match run_once(&db, clock, &holder, ttl).await {
            Ok(Some(sent)) => {
                metrics.scheduler_run(true);
                if sent != Sent::default() {
                    tracing::info!(
                        due_soon = sent.due_soon,
                        late = sent.late,
                        notifications = sent.notifications,
                        "reminders sent"
                    );
                }
                match super::feed::prune(&db, clock.now(), changes_retention).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "changes older than the feed keeps were removed"),
                    Err(err) => {
                        tracing::warn!(error = %err, "pruning the change feed failed; it tries again next interval")
                    }
                }
                match super::webhook::prune(&db, clock.now(), changes_retention).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "webhook deliveries older than the feed keeps were removed"),
                    Err(err) => {
                        tracing::warn!(error = %err, "pruning the webhook log failed; it tries again next interval")
                    }
                }
                if let Err(err) = crate::db::optimize(&db).await {
                    tracing::warn!(error = %err, "updating the query planner's statistics failed; it tries again next interval")
                }
                match attachment::sweep(&db, &storage, clock.now(), attachment::ORPHAN_GRACE).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "bytes of removed attachments left the storage"),
                    Err(err) => tracing::warn!(error = %err, "the storage sweep failed; it tries again next interval"),
                }
            }
            Ok(None) => {}
            Err(err) => {
                metrics.scheduler_run(false);
                tracing::warn!(error = %err, "the reminder scheduler failed; it tries again next interval")
            }
        }
        tokio::time::sleep(interval).await;
    }
}
