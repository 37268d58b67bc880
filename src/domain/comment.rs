//! Comments on a report (退回 and its answers): a thread between the
//! reporting unit and whoever reviews its report, kept with the report.
//! Anyone who may read the report reads the thread; its unit's writers and
//! its reviewers write in it once the report has been submitted.

use chrono::{DateTime, Utc};
use entity::report_comments;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::error::Validator;
use super::region::parse_stored;
use super::report::load_visible;
use super::values::{ReportStatus, SupportingReports};
use super::{Caller, DomainError, DomainResult, Store, begin_write};

const ENTITY: &str = "report_comment";

/// A comment on a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportComment {
    pub id: Uuid,
    pub report_id: Uuid,
    /// The user who wrote it; none once that user is removed.
    pub author_id: Option<Uuid>,
    /// Who wrote it, as they signed in (a user's name, a client's id).
    pub author_name: String,
    /// The author's unit, when the author belongs to one.
    pub author_unit_id: Option<Uuid>,
    /// 请补充到位资金凭证 / 已补充，见附件
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<report_comments::Model> for ReportComment {
    fn from(m: report_comments::Model) -> ReportComment {
        ReportComment {
            id: m.id,
            report_id: m.report_id,
            author_id: m.author_id,
            author_name: m.author_name,
            author_unit_id: m.author_unit_id,
            body: m.body,
            created_at: m.created_at,
        }
    }
}

/// The thread of a report the caller may read, oldest first.
pub async fn list<C: ConnectionTrait>(conn: &C, caller: &Caller, report_id: Uuid) -> DomainResult<Vec<ReportComment>> {
    load_visible(conn, caller, report_id).await?;
    Ok(report_comments::Entity::find()
        .filter(report_comments::Column::ReportId.eq(report_id))
        .order_by_asc(report_comments::Column::CreatedAt)
        .order_by_asc(report_comments::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(ReportComment::from)
        .collect())
}

/// Adds a comment to a submitted, returned or approved report, as one of
/// its unit's writers or one of its reviewers.
pub async fn add(db: &impl Store, caller: &Caller, report_id: Uuid, body: &str) -> DomainResult<ReportComment> {
    let txn = begin_write(db).await?;
    let (report, plan, access) = load_visible(&txn, caller, report_id).await?;
    let to_office = plan.reporting_supporting == SupportingReports::ToOffice.as_str();
    let writes = access.write_report_of(&caller.principal, report.unit_id);
    let reviews = access.review(&caller.principal, report.consolidated, to_office);
    if !writes && !reviews {
        return Err(super::authz::refuse_write(
            &caller.principal,
            "only the reporting unit and the report's reviewers comment on it",
        ));
    }
    let mut v = Validator::new();
    v.text("body", body, 2000);
    v.finish()?;
    let status: ReportStatus = parse_stored(&report.status)?;
    if status == ReportStatus::Draft {
        return Err(DomainError::conflict(
            "a draft has no reviewer yet: comment once it is submitted",
        ));
    }
    let comment = ReportComment::from(
        report_comments::ActiveModel {
            id: Set(Uuid::new_v4()),
            report_id: Set(report_id),
            author_id: Set(caller.principal.user_id()),
            author_name: Set(caller.principal.name()),
            author_unit_id: Set(caller.principal.unit_id()),
            body: Set(body.trim().to_owned()),
            created_at: Set(caller.now()),
        }
        .insert(&txn)
        .await?,
    );
    audit::commit(txn, caller, Change::created(ENTITY, Some(comment.id), &comment)?).await?;
    Ok(comment)
}
