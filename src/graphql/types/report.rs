//! Progress reports (进展报告) and their year-to-date values.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::account::{UserNode, load_actor};
use super::plan::TaskNode;
use super::reference::{UnitNode, load_unit};
use crate::domain::report::{Report, ReportValue};
use crate::domain::values::{Amount, ReportPeriod};
use crate::graphql::connection::connection;
use crate::graphql::context::loader;
use crate::graphql::eager::Eager;
use crate::graphql::error::DomainResultExt;
use crate::graphql::ids::global_id;
use crate::graphql::loaders::TaskKey;
use crate::graphql::scalars::ReportStatus;

/// A progress report (进展报告): a unit's text and year-to-date figures on a
/// task for a month (月调度), a quarter (季通报) or the year (年评估考核).
pub struct ReportNode(pub Report);

/// A progress report (进展报告): a unit's text and year-to-date figures on a
/// task for a month (月调度), a quarter (季通报) or the year (年评估考核).
#[Object(name = "Report")]
impl ReportNode {
    /// The files attached to it (佐证材料), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::types::attachment::AttachmentNode>> {
        crate::graphql::types::attachment::attachments_of(ctx, crate::domain::attachment::ParentKind::Report, self.0.id)
            .await
    }
    /// The thread of comments between its unit and its reviewer (退回 and
    /// its answers), oldest first.
    async fn comments(&self, ctx: &Context<'_>) -> Result<Vec<ReportCommentObject>> {
        let found = crate::domain::comment::list(
            crate::graphql::context::db(ctx),
            crate::graphql::context::caller(ctx)?,
            self.0.id,
        )
        .await
        .gql()?;
        Ok(found.into_iter().map(ReportCommentObject).collect())
    }
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Report", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The task (重点任务) reported on.
    async fn task(&self, ctx: &Context<'_>) -> Result<TaskNode> {
        let task = loader(ctx)?.load_one(TaskKey(self.0.task_id)).await?;
        super::present(task.map(TaskNode), "Task", self.0.task_id)
    }
    /// The reporting unit (填报单位).
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        load_unit(ctx, self.0.unit_id).await
    }
    /// The period: `2025-03`, `2025-Q1` or `2025`.
    async fn period(&self) -> ReportPeriod {
        self.0.period
    }
    /// The lead unit's consolidated report (汇总报告), which includes its supporting units' work.
    async fn consolidated(&self) -> bool {
        self.0.consolidated
    }
    /// 状态: draft 草稿, submitted 已报送, returned 已退回, approved 已审核.
    async fn status(&self) -> ReportStatus {
        self.0.status.into()
    }
    /// 进展情况: what the unit did.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The actual reached for each target, for the year to date (年度累计).
    async fn values(&self) -> Eager<ReportValueObject> {
        self.0.values.iter().cloned().map(ReportValueObject).collect()
    }
    /// The user who made it; null when a client made it or the user is removed.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        load_actor(ctx, self.0.created_by).await
    }
    /// The user who submitted it (报送人); null until submitted, when a
    /// client submitted it or the user is removed.
    async fn submitted_by(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        load_actor(ctx, self.0.submitted_by).await
    }
    /// When it was submitted (UTC).
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// The user who approved or returned it (审核人); null until reviewed,
    /// when a client reviewed it or the user is removed.
    async fn reviewed_by(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        load_actor(ctx, self.0.reviewed_by).await
    }
    /// When it was approved or returned (UTC).
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }
    /// 退回原因, when returned.
    async fn return_reason(&self) -> Option<&str> {
        self.0.return_reason.as_deref()
    }
    /// When it was made (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The platform's own id of it, unique per client (REST `PUT
    /// …/by-external-id/{external_id}`).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// The version: pass it back as `version` to change it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of progress reports (进展报告).
    ReportConnection,
    ReportEdge,
    ReportNode,
    "A progress report (进展报告) in a page, with its cursor."
);

/// The year-to-date actual reached for one target (年度累计完成值).
pub struct ReportValueObject(pub ReportValue);

/// The year-to-date actual reached for one target (年度累计完成值).
#[Object(name = "ReportValue")]
impl ReportValueObject {
    /// The target's `uuid` (指标).
    async fn target_uuid(&self) -> Uuid {
        self.0.target_id
    }
    /// The actual reached for the year to date.
    async fn actual(&self) -> Amount {
        self.0.actual
    }
}

/// A comment on a report.
pub struct ReportCommentObject(pub crate::domain::comment::ReportComment);

/// A comment on a report.
#[Object(name = "ReportComment")]
impl ReportCommentObject {
    /// The REST id.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The author's global id; null once that user is removed.
    async fn author_id(&self) -> Option<ID> {
        self.0.author_id.map(|id| global_id("User", id))
    }
    /// The author; null once that user is removed.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        load_actor(ctx, self.0.author_id).await
    }
    /// Who wrote it, as they signed in.
    async fn author_name(&self) -> &str {
        &self.0.author_name
    }
    /// The author's unit's global id, when the author belongs to one.
    async fn author_unit_id(&self) -> Option<ID> {
        self.0.author_unit_id.map(|id| global_id("Unit", id))
    }
    /// What was said.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// When (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
