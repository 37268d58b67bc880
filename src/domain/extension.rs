//! Requests for more time (延期申请): a task's lead unit asks for a later
//! deadline with a reason; the plan's coordinator approves or refuses it
//! with a reason. An approved request moves the task's deadline, and the
//! request keeps the deadline it replaced: a task's requests are the
//! history of its deadline. The lights and the calendar read the deadline,
//! so they follow.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{extensions, tasks};
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::calendar::MAX_YEARS_PAST_PLAN;
use super::error::Validator;
use super::notification::{self, Notice, task_label};
use super::region::parse_stored;
use super::values::{ExtensionStatus, NotificationKind, PlanStatus, TaskStatus};
use super::{Caller, DomainError, DomainResult, Store, authz, begin_write, lost_update, task};
use crate::domain::Text;

const ENTITY: &str = "extension";

/// A request for more time (延期申请) on a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Extension {
    pub id: Uuid,
    pub task_id: Uuid,
    /// The lead unit that asked.
    pub unit_id: Uuid,
    pub status: ExtensionStatus,
    /// The task's deadline when it was asked (for an approved request: the
    /// deadline it replaced).
    pub previous_deadline: NaiveDate,
    /// The document's words for that deadline, when it had them.
    pub previous_deadline_text: Option<String>,
    /// The deadline asked for.
    pub deadline: NaiveDate,
    /// 因征地手续调整，项目开工推迟
    pub reason: String,
    pub requested_by: Option<Uuid>,
    /// Who asked, as they signed in.
    pub requested_by_name: String,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: Option<String>,
    /// Why it was approved or refused.
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<extensions::Model> for Extension {
    type Error = DomainError;
    fn try_from(m: extensions::Model) -> DomainResult<Extension> {
        Ok(Extension {
            id: m.id,
            task_id: m.task_id,
            unit_id: m.unit_id,
            status: parse_stored(&m.status)?,
            previous_deadline: m.previous_deadline,
            previous_deadline_text: m.previous_deadline_text,
            deadline: m.deadline,
            reason: m.reason,
            requested_by: m.requested_by,
            requested_by_name: m.requested_by_name,
            decided_by: m.decided_by,
            decided_by_name: m.decided_by_name,
            decision_reason: m.decision_reason,
            decided_at: m.decided_at,
            created_at: m.created_at,
        })
    }
}

/// The requests for more time on a task the caller may see, newest first:
/// the history of its deadline.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, task_id: Uuid) -> DomainResult<Vec<Extension>> {
    task::load_visible(conn, caller, task_id).await?;
    extensions::Entity::find()
        .filter(extensions::Column::TaskId.eq(task_id))
        .order_by_desc(extensions::Column::CreatedAt)
        .order_by_desc(extensions::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Extension::try_from)
        .collect()
}

/// A request for more time the caller may see (on a task it sees).
pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Extension> {
    let (found, ..) = load_visible(conn, caller, id).await?;
    Extension::try_from(found)
}

async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<(extensions::Model, tasks::Model, entity::plans::Model, authz::TaskAccess)> {
    let found = super::row::<extensions::Entity>(conn, ENTITY, id).await?;
    let (task_model, plan, access) = task::load_visible(conn, caller, found.task_id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound { .. } => DomainError::not_found(ENTITY, id),
            other => other,
        })?;
    Ok((found, task_model, plan, access))
}

fn check_plan_issued(plan: &entity::plans::Model) -> DomainResult<()> {
    match parse_stored::<PlanStatus>(&plan.status)? {
        PlanStatus::Issued => Ok(()),
        PlanStatus::Draft => Err(DomainError::conflict(
            "the plan is not issued yet: its deadlines are still drafts",
        )),
        PlanStatus::Closed => Err(DomainError::conflict(
            "the plan is closed: its deadlines no longer move",
        )),
    }
}

/// Asks for a later deadline on a task, as a user of its lead unit: a day
/// after today and after the current deadline, at most five years past the
/// plan's; one request at a time. The plan's coordinators are notified.
pub async fn request(
    db: &impl Store,
    caller: &Caller,
    task_id: Uuid,
    deadline: NaiveDate,
    reason: &str,
) -> DomainResult<Extension> {
    let txn = begin_write(db).await?;
    let (task_model, plan, access) = task::load_visible(&txn, caller, task_id).await?;
    let Some(unit_id) = caller
        .principal
        .unit_id()
        .filter(|_| access.ask_for_time(&caller.principal))
    else {
        return Err(authz::refuse_write(
            &caller.principal,
            "only the task's lead unit asks for more time (延期申请)",
        ));
    };
    let today = caller.today();
    let mut v = Validator::new();
    v.text("reason", reason, 2000);
    if deadline <= today {
        v.add(
            "deadline",
            Text::new("must be a day after today (%{today})").arg("today", today),
        );
    } else if deadline <= task_model.deadline {
        v.add(
            "deadline",
            Text::new("must be later than the task's deadline %{deadline}").arg("deadline", task_model.deadline),
        );
    } else if deadline.year() > plan.year + MAX_YEARS_PAST_PLAN {
        v.add(
            "deadline",
            Text::new("at most %{years} years past the plan's year %{year}")
                .arg("years", MAX_YEARS_PAST_PLAN)
                .arg("year", plan.year),
        );
    }
    v.finish()?;
    check_plan_issued(&plan)?;
    let status: TaskStatus = parse_stored(&task_model.status)?;
    if matches!(status, TaskStatus::Completed | TaskStatus::Cancelled) {
        return Err(DomainError::conflict(
            Text::new("the task is %{status}: it needs no more time").word("status", status.as_str()),
        ));
    }
    let pending = extensions::Entity::find()
        .filter(extensions::Column::TaskId.eq(task_id))
        .filter(extensions::Column::Status.eq(ExtensionStatus::Pending.as_str()))
        .one(&txn)
        .await?;
    if let Some(pending) = pending {
        return Err(DomainError::conflict(
            Text::new("request %{id} for this task awaits its decision: one at a time").arg("id", pending.id),
        ));
    }
    let at = caller.now();
    let extension = Extension::try_from(
        extensions::ActiveModel {
            id: Set(Uuid::new_v4()),
            task_id: Set(task_id),
            unit_id: Set(unit_id),
            status: Set(ExtensionStatus::Pending.as_str().to_owned()),
            previous_deadline: Set(task_model.deadline),
            previous_deadline_text: Set(task_model.deadline_text.clone()),
            deadline: Set(deadline),
            reason: Set(reason.trim().to_owned()),
            requested_by: Set(caller.principal.user_id()),
            requested_by_name: Set(caller.principal.name()),
            decided_by: Set(None),
            decided_by_name: Set(None),
            decision_reason: Set(None),
            decided_at: Set(None),
            created_at: Set(at),
        }
        .insert(&txn)
        .await?,
    )?;
    let notice = Notice {
        extension_id: Some(extension.id),
        ..Notice::about(
            NotificationKind::ExtensionRequested,
            &task_model,
            format!(
                "延期申请：{} 申请由 {} 延至 {}：{}",
                task_label(&task_model),
                extension.previous_deadline,
                extension.deadline,
                extension.reason
            ),
        )
    };
    let coordinators = notification::coordinators_of_plan(&txn, &plan).await?;
    notification::send(&txn, at, &coordinators, &notice).await?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(extension.id), &extension)?).await?;
    Ok(extension)
}

/// How a request for more time is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The deadline moves; a reason may be given.
    Approve { reason: Option<String> },
    /// The deadline stays; the reason is required.
    Refuse { reason: String },
}

/// Decides a pending request, as the plan's coordinator. Approving moves
/// the task's deadline (its words, no longer true, go). The unit's users
/// are notified.
pub async fn decide(db: &impl Store, caller: &Caller, id: Uuid, decision: Decision) -> DomainResult<Extension> {
    let txn = begin_write(db).await?;
    let (current, task_model, plan, access) = load_visible(&txn, caller, id).await?;
    if !access.supervise(&caller.principal) {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan decides a request for more time",
        ));
    }
    let (status, reason) = match &decision {
        Decision::Approve { reason } => (
            ExtensionStatus::Approved,
            reason.as_deref().map(str::trim).filter(|r| !r.is_empty()),
        ),
        Decision::Refuse { reason } => (ExtensionStatus::Refused, Some(reason.as_str())),
    };
    let mut v = Validator::new();
    match &decision {
        Decision::Refuse { reason } => v.text("reason", reason, 2000),
        Decision::Approve { reason } => v.optional_text("reason", reason.as_deref(), 2000),
    }
    v.finish()?;
    check_plan_issued(&plan)?;
    let was: ExtensionStatus = parse_stored(&current.status)?;
    if was != ExtensionStatus::Pending {
        return Err(DomainError::conflict(
            Text::new("the request is already %{status}").word("status", was.as_str()),
        ));
    }
    let at = caller.now();
    let before = Extension::try_from(current.clone())?;
    let done = extensions::Entity::update_many()
        .set(extensions::ActiveModel {
            status: Set(status.as_str().to_owned()),
            decided_by: Set(caller.principal.user_id()),
            decided_by_name: Set(Some(caller.principal.name())),
            decision_reason: Set(reason.map(|r| r.trim().to_owned())),
            decided_at: Set(Some(at)),
            ..Default::default()
        })
        .filter(extensions::Column::Id.eq(id))
        .filter(extensions::Column::Status.eq(ExtensionStatus::Pending.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::conflict("the request was decided meanwhile"));
    }
    let after = get(&txn, caller, id).await?;
    if status == ExtensionStatus::Approved {
        let task_before = task::get(&txn, caller, task_model.id).await?;
        tasks::Entity::update(tasks::ActiveModel {
            id: ActiveValue::Unchanged(task_model.id),
            deadline: Set(after.deadline),
            deadline_text: Set(None),
            updated_at: Set(at),
            version: Set(task_model.version + 1),
            ..Default::default()
        })
        .validate()?
        .filter(tasks::Column::Version.eq(task_model.version))
        .exec(&txn)
        .await
        .map_err(lost_update("task", task_model.id, task_model.version))?;
        // The new deadline moves the task in its plan's kept counts.
        super::figures::refresh(&txn, &[task_model.id]).await?;
        let task_after = task::get(&txn, caller, task_model.id).await?;
        audit::record(
            &txn,
            caller,
            Change::updated(
                "task",
                Some(task_model.id),
                &task::audited(&task_before)?,
                &task::audited(&task_after)?,
            )?,
        )
        .await?;
    }
    let verdict = match status {
        ExtensionStatus::Approved => format!("已同意延至 {}", after.deadline),
        _ => format!("未同意（仍为 {}）", after.previous_deadline),
    };
    let notice = Notice {
        extension_id: Some(id),
        ..Notice::about(
            NotificationKind::ExtensionDecided,
            &task_model,
            match &after.decision_reason {
                Some(why) => format!("延期申请：{} {verdict}：{why}", task_label(&task_model)),
                None => format!("延期申请：{} {verdict}", task_label(&task_model)),
            },
        )
    };
    let units = [after.unit_id];
    notification::send(&txn, at, &notification::users_of_units(&txn, &units).await?, &notice).await?;
    let action = match status {
        ExtensionStatus::Approved => "approve",
        _ => "refuse",
    };
    audit::commit(
        txn,
        caller,
        Change::transition(action, ENTITY, Some(id), &before, &after)?,
    )
    .await?;
    Ok(after)
}
