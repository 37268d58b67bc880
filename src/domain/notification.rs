//! Notifications (站内通知): each user's inbox. A change made by a request
//! (a report returned or approved, an urging, a request for more time and
//! its decision) notifies in the change's own transaction; reports due soon
//! and late are notified by the reminder scheduler ([`super::reminder`]).
//! Only users have an inbox: a machine reads the change feed instead.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{notifications, plans, tasks, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;
use uuid::Uuid;

use super::page::{self, Page, PageRequest, Sort};
use super::region::parse_stored;
use super::values::{NotificationKind, ReportPeriod, Role};
use super::{Caller, DomainError, DomainResult, Principal, Store, begin_write};

const ENTITY: &str = "notification";

/// A notification in a user's inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationKind,
    /// What a person reads: 第3项「…」2025年度报告 11-20 到期.
    pub message: String,
    pub plan_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub urging_id: Option<Uuid>,
    pub extension_id: Option<Uuid>,
    /// The report period it concerns (`2025-Q3`), when one.
    pub period: Option<ReportPeriod>,
    /// The day the report it concerns is (was) due, when one.
    pub due_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// When its user marked it read; none while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl TryFrom<notifications::Model> for Notification {
    type Error = DomainError;
    fn try_from(m: notifications::Model) -> DomainResult<Notification> {
        Ok(Notification {
            id: m.id,
            kind: parse_stored(&m.kind)?,
            message: m.message,
            plan_id: m.plan_id,
            task_id: m.task_id,
            report_id: m.report_id,
            urging_id: m.urging_id,
            extension_id: m.extension_id,
            period: m.period.as_deref().map(parse_stored).transpose()?,
            due_on: m.due_on,
            created_at: m.created_at,
            read_at: m.read_at,
        })
    }
}

/// What to tell, before it is addressed to anyone.
#[derive(Clone, Debug)]
pub(crate) struct Notice {
    pub kind: NotificationKind,
    pub message: String,
    pub plan_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub urging_id: Option<Uuid>,
    pub extension_id: Option<Uuid>,
    pub period: Option<ReportPeriod>,
    pub due_on: Option<NaiveDate>,
}

impl Notice {
    /// A notice about `task`, the rest empty.
    pub fn about(kind: NotificationKind, task: &tasks::Model, message: String) -> Notice {
        Notice {
            kind,
            message,
            plan_id: Some(task.plan_id),
            task_id: Some(task.id),
            report_id: None,
            urging_id: None,
            extension_id: None,
            period: None,
            due_on: None,
        }
    }
}

/// How a task is named in a message: its section, number and the start of
/// its text (二、第3项「推动优势产业协作…」).
pub(crate) fn task_label(task: &tasks::Model) -> String {
    let mut text: String = task.content.chars().take(24).collect();
    if task.content.chars().count() > 24 {
        text.push('…');
    }
    let section = if task.section.is_empty() {
        String::new()
    } else {
        format!("{} ", task.section)
    };
    format!("{section}第{}项「{text}」", task.seq)
}

/// The users who act for `units`: their unit users and coordinators, not
/// disabled.
pub(crate) async fn users_of_units<C: ConnectionTrait>(conn: &C, units: &[Uuid]) -> DomainResult<Vec<Uuid>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::UnitId.is_in(units.iter().copied()))
        .filter(users::Column::Role.is_in([Role::UnitUser.as_str(), Role::Coordinator.as_str()]))
        .filter(users::Column::Disabled.eq(false))
        .into_tuple()
        .all(conn)
        .await?)
}

/// The coordinators of a plan: those of the regions it belongs to
/// ([`super::authz::plan_regions`]), not disabled.
pub(crate) async fn coordinators_of_plan<C: ConnectionTrait>(conn: &C, plan: &plans::Model) -> DomainResult<Vec<Uuid>> {
    let regions = super::authz::plan_regions(conn, plan).await?;
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Role.eq(Role::Coordinator.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(
            users::Column::UnitId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::units::Column::Id)
                    .from(entity::units::Entity)
                    .and_where(entity::units::Column::RegionId.is_in(regions))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(conn)
        .await?)
}

/// Puts `notice` in the inbox of each of `recipients` (once each), in the
/// transaction of the change it tells of. Answers how many were written.
pub(crate) async fn send<C: ConnectionTrait>(
    conn: &C,
    at: DateTime<Utc>,
    recipients: &[Uuid],
    notice: &Notice,
) -> DomainResult<usize> {
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<notifications::ActiveModel> = recipients
        .iter()
        .filter(|id| seen.insert(**id))
        .map(|user| notifications::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(*user),
            kind: Set(notice.kind.as_str().to_owned()),
            message: Set(notice.message.clone()),
            plan_id: Set(notice.plan_id),
            task_id: Set(notice.task_id),
            report_id: Set(notice.report_id),
            urging_id: Set(notice.urging_id),
            extension_id: Set(notice.extension_id),
            period: Set(notice.period.map(|p| p.to_string())),
            due_on: Set(notice.due_on),
            created_at: Set(at),
            read_at: Set(None),
        })
        .collect();
    let written = rows.len();
    for chunk in rows.chunks(500) {
        notifications::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    Ok(written)
}

/// The user whose inbox the caller reads; machines have none.
fn inbox_of(caller: &Caller) -> DomainResult<Uuid> {
    match &caller.principal {
        Principal::User(user) => Ok(user.id),
        _ => Err(DomainError::forbidden(
            "only users have an inbox: a client follows the change feed",
        )),
    }
}

/// The caller's notifications, newest first; only the unread when asked.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    unread: bool,
    page: &PageRequest,
) -> DomainResult<Page<Notification>> {
    let user = inbox_of(caller)?;
    let mut query = notifications::Entity::find().filter(notifications::Column::UserId.eq(user));
    if unread {
        query = query.filter(notifications::Column::ReadAt.is_null());
    }
    let sort = Sort::<notifications::Entity> {
        column: notifications::Column::CreatedAt,
        id: notifications::Column::Id,
        descending: true,
        key_of: |m: &notifications::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
        value_of: page::timestamp_value,
    };
    page::fetch(conn, query, &sort, page)
        .await?
        .try_map(Notification::try_from)
}

/// One of the caller's notifications; another user's does not exist.
pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Notification> {
    let user = inbox_of(caller)?;
    notifications::Entity::find_by_id(id)
        .filter(notifications::Column::UserId.eq(user))
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::not_found(ENTITY, id))?
        .try_into()
}

/// Marks one of the caller's notifications read (again: it stays read
/// from the first time).
pub async fn mark_read(db: &impl Store, caller: &Caller, id: Uuid) -> DomainResult<Notification> {
    let txn = begin_write(db).await?;
    let current = get(&txn, caller, id).await?;
    if current.read_at.is_some() {
        return Ok(current);
    }
    notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(caller.now()))
        .filter(notifications::Column::Id.eq(id))
        .filter(notifications::Column::ReadAt.is_null())
        .exec(&txn)
        .await?;
    let after = get(&txn, caller, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Marks every unread notification of the caller read; answers how many.
pub async fn mark_all_read(db: &impl Store, caller: &Caller) -> DomainResult<u64> {
    let user = inbox_of(caller)?;
    let done = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(caller.now()))
        .filter(notifications::Column::UserId.eq(user))
        .filter(notifications::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// How many of the caller's notifications are unread.
pub async fn unread_count<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<u64> {
    use sea_orm::PaginatorTrait;
    let user = inbox_of(caller)?;
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user))
        .filter(notifications::Column::ReadAt.is_null())
        .count(conn)
        .await?)
}

/// Notifications written since `since`, oldest first (for the change feed
/// of subscriptions): id, user.
pub(crate) async fn written_since<C: ConnectionTrait>(
    conn: &C,
    since: DateTime<Utc>,
) -> DomainResult<Vec<(Uuid, Uuid, DateTime<Utc>)>> {
    use sea_orm::QueryOrder;
    Ok(notifications::Entity::find()
        .select_only()
        .columns([
            notifications::Column::Id,
            notifications::Column::UserId,
            notifications::Column::CreatedAt,
        ])
        .filter(notifications::Column::CreatedAt.gte(since))
        .order_by_asc(notifications::Column::CreatedAt)
        .limit(5000)
        .into_tuple()
        .all(conn)
        .await?)
}
