//! A task's figures: the latest approved consolidated report is the task's
//! figure for the year to date, so that nothing is counted twice.

use std::collections::HashMap;

use entity::reports;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::DomainResult;
use super::report::{Report, report_views};
use super::values::ReportStatus;

/// The latest approved consolidated report of each task that has one
/// (latest by the end of the period it covers, then by review time).
pub async fn latest_approved<C: ConnectionTrait>(conn: &C, task_ids: &[Uuid]) -> DomainResult<HashMap<Uuid, Report>> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = reports::Entity::find()
        .filter(reports::Column::TaskId.is_in(task_ids.iter().copied()))
        .filter(reports::Column::Consolidated.eq(true))
        .filter(reports::Column::Status.eq(ReportStatus::Approved.as_str()))
        .order_by_desc(reports::Column::PeriodEnd)
        .order_by_desc(reports::Column::ReviewedAt)
        .all(conn)
        .await?;
    let mut latest: HashMap<Uuid, reports::Model> = HashMap::new();
    for row in rows {
        latest.entry(row.task_id).or_insert(row);
    }
    let views = report_views(conn, latest.into_values().collect()).await?;
    Ok(views.into_iter().map(|r| (r.task_id, r)).collect())
}
