//! Urging (催办): a plan's coordinator presses a unit on a task, perhaps
//! on an owed report's period, with a message. The unit's users are
//! notified in the same transaction; the task keeps its urgings.

use chrono::{DateTime, Utc};
use entity::urgings;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::calendar::task_reports_on;
use super::error::Validator;
use super::notification::{self, Notice, task_label};
use super::region::parse_stored;
use super::values::{NotificationKind, PlanStatus, ReportPeriod};
use super::{Caller, DomainError, DomainResult, Store, authz, begin_write, task};
use crate::domain::Text;

const ENTITY: &str = "urging";

/// An urging (催办) of a unit on a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Urging {
    pub id: Uuid,
    pub task_id: Uuid,
    /// The unit urged.
    pub unit_id: Uuid,
    /// The owed report's period, when one was named.
    pub period: Option<ReportPeriod>,
    /// 请于11月20日前报送年度进展报告
    pub message: String,
    /// The user who urged; none once that user is removed.
    pub urged_by: Option<Uuid>,
    /// Who urged, as they signed in.
    pub urged_by_name: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<urgings::Model> for Urging {
    type Error = DomainError;
    fn try_from(m: urgings::Model) -> DomainResult<Urging> {
        Ok(Urging {
            id: m.id,
            task_id: m.task_id,
            unit_id: m.unit_id,
            period: m.period.as_deref().map(parse_stored).transpose()?,
            message: m.message,
            urged_by: m.urged_by,
            urged_by_name: m.urged_by_name,
            created_at: m.created_at,
        })
    }
}

/// What an urging says, and to whom.
#[derive(Clone, Debug)]
pub struct NewUrging {
    pub unit_id: Uuid,
    pub message: String,
    pub period: Option<ReportPeriod>,
}

/// The urgings of a task the caller may see, newest first.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, task_id: Uuid) -> DomainResult<Vec<Urging>> {
    task::load_visible(conn, caller, task_id).await?;
    urgings::Entity::find()
        .filter(urgings::Column::TaskId.eq(task_id))
        .order_by_desc(urgings::Column::CreatedAt)
        .order_by_desc(urgings::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Urging::try_from)
        .collect()
}

/// Urges a unit working on a task of an issued plan, as the plan's
/// coordinator; the unit's users are notified.
pub async fn urge(db: &impl Store, caller: &Caller, task_id: Uuid, input: NewUrging) -> DomainResult<Urging> {
    let txn = begin_write(db).await?;
    let (task_model, plan, access) = task::load_visible(&txn, caller, task_id).await?;
    if !access.supervise(&caller.principal) {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan urges its units (催办)",
        ));
    }
    let mut v = Validator::new();
    v.text("message", &input.message, 2000);
    if authz::unit_role_on_task(&txn, input.unit_id, task_id).await?.is_none() {
        v.add("unit_id", "the unit does not work on this task");
    }
    if let Some(period) = input.period {
        v.check(
            task_reports_on(plan.year, task_model.deadline, period),
            "period",
            Text::new("the task owes no report for %{period}: the plan's year is %{year}")
                .arg("period", period)
                .arg("year", plan.year),
        );
    }
    v.finish()?;
    match parse_stored::<PlanStatus>(&plan.status)? {
        PlanStatus::Issued => {}
        PlanStatus::Draft => {
            return Err(DomainError::conflict(
                "the plan is not issued yet: nothing is owed on it",
            ));
        }
        PlanStatus::Closed => {
            return Err(DomainError::conflict(
                "the plan is closed: nothing is owed on it any more",
            ));
        }
    }
    let at = caller.now();
    let urging = Urging::try_from(
        urgings::ActiveModel {
            id: Set(Uuid::new_v4()),
            task_id: Set(task_id),
            unit_id: Set(input.unit_id),
            period: Set(input.period.map(|p| p.to_string())),
            message: Set(input.message.trim().to_owned()),
            urged_by: Set(caller.principal.user_id()),
            urged_by_name: Set(caller.principal.name()),
            created_at: Set(at),
        }
        .insert(&txn)
        .await?,
    )?;
    let about = match urging.period {
        Some(period) => format!("{}（{period}报告）", task_label(&task_model)),
        None => task_label(&task_model),
    };
    let notice = Notice {
        urging_id: Some(urging.id),
        period: urging.period,
        ..Notice::about(
            NotificationKind::Urged,
            &task_model,
            format!("催办：{about}：{}", urging.message),
        )
    };
    let units = [urging.unit_id];
    notification::send(&txn, at, &notification::users_of_units(&txn, &units).await?, &notice).await?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(urging.id), &urging)?).await?;
    Ok(urging)
}
