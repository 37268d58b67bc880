//! The queries: every resource and list that REST has, with REST's
//! filters in camelCase and its sorts (`field`, `-field`), as Relay
//! connections; `node(id:)` and `me`.

use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;

use super::connection::{PageArgs, build, cost};
use super::context::{caller, db, state};
use super::error::{DomainResultExt, coded};
use super::ids::{uuid_of, uuid_opt};
use super::scalars::{
    AssignmentRole, Cluster, Light, ObligationStatus, PairingStatus, PeriodKind, PlanStatus, ProjectStatus, RegionKind,
    ReportStatus, StatisticsScope, TaskStatusFilter, UnitKind,
};
use super::types::account::{
    AuditConnection, AuditEntryObject, ClientConnection, ClientIdentity, ClientNode, Me, UserConnection, UserNode,
};
use super::types::feed::ChangeFeedObject;
use super::types::figures::{CalendarPageObject, LateReportObject, SeriesObject, StatisticsObject};
use super::types::node::{self, Node};
use super::types::plan::{PlanConnection, PlanNode, TaskConnection, TaskNode};
use super::types::project::{ProjectCategoryObject, ProjectConnection, ProjectNode, ProjectStatisticsObject};
use super::types::reference::{
    EventConnection, EventNode, MetricConnection, MetricNode, PairingConnection, PairingNode, RegionConnection,
    RegionNode, UnitConnection, UnitGroupConnection, UnitGroupNode, UnitNode, UnitPairingConnection, UnitPairingNode,
};
use super::types::report::{ReportConnection, ReportNode};
use super::types::supervision::{
    ExtensionObject, LeaderConnection, LeaderNode, LightSummaryObject, NotificationConnection, NotificationNode,
};
use super::types::webhook::{DeliveryNode, WebhookConnection, WebhookDeliveryConnection, WebhookNode};
use crate::domain::values::ReportPeriod;
use crate::domain::{
    ErrorCode, Principal, audit, calendar, client, event, extension, feed, leader, light, metric, notification,
    pairing, plan, project, region, report, statistics, task, unit, user, webhook,
};

/// What can be read.
pub struct QueryRoot;

/// What can be read. Every list is a Relay connection: `first`/`after` pages
/// forward, `last`/`before` backward (where the list can be sorted); a page
/// holds 1 to 200 items (50 by default).
#[Object(name = "Query")]
impl QueryRoot {
    /// Any object by its global id (Relay): null, with a `NOT_FOUND` error,
    /// when there is none the caller may see. So are the lookups by id below.
    async fn node(&self, ctx: &Context<'_>, #[graphql(desc = "A global id.")] id: ID) -> Result<Option<Node>> {
        node::fetch(ctx, &id).await.map(Some)
    }

    /// The caller (当前用户): a user's account, or a client's identity.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let who = caller(ctx)?;
        match &who.principal {
            Principal::User(u) => Ok(Me::User(UserNode(user::get(db(ctx), who, u.id).await.gql()?))),
            Principal::Client(c) => Ok(Me::Client(ClientIdentity {
                client_id: c.client_id.clone(),
                role: crate::domain::values::Role::Integration.into(),
                scopes: [c.can_read.then_some("read"), c.can_write.then_some("write")]
                    .into_iter()
                    .flatten()
                    .map(str::to_owned)
                    .collect(),
            })),
            Principal::System => Err(coded(ErrorCode::Unauthenticated, "sign in", &[])),
        }
    }

    // ------------------------------------------------------------ plans

    /// The plans (任务清单) the caller may see.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Plans of this pairing (结对).")] pairing_id: Option<ID>,
        #[graphql(desc = "The region's own plans and those of the pairings it takes part in.")] region_id: Option<ID>,
        #[graphql(desc = "年度.")] year: Option<i32>,
        #[graphql(desc = "状态.")] status: Option<PlanStatus>,
        #[graphql(desc = "`title`, `year` or `created_at`, `-` first for descending (default `-year`).")] sort: Option<
            String,
        >,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<PlanConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "-year")?;
        let filter = plan::PlanFilter {
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            year,
            status: status.map(Into::into),
        };
        let page = plan::list(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(PlanConnection(build(&paging, page, PlanNode)))
    }

    /// A plan (任务清单).
    async fn plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<PlanNode>> {
        let id = uuid_of("id", "Plan", &id)?;
        Ok(Some(PlanNode(plan::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    // ------------------------------------------------------------ tasks

    /// The tasks (重点任务) the caller may see; every filter narrows.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Tasks of this plan (任务清单).")] plan_id: Option<ID>,
        #[graphql(desc = "Tasks of the plans of this pairing (结对).")] pairing_id: Option<ID>,
        #[graphql(desc = "Tasks of the plans of this region: its own and its pairings'.")] region_id: Option<ID>,
        #[graphql(desc = "The plan's year.")] year: Option<i32>,
        #[graphql(desc = "协同发展事项 / 重点领域, exactly.")] category: Option<String>,
        #[graphql(desc = "Tasks this unit works on, directly or through a group (各镇街).")] unit_id: Option<ID>,
        #[graphql(desc = "With `unitId`: only where it leads (牵头) or supports (配合).")] role: Option<AssignmentRole>,
        #[graphql(desc = "A status, or OVERDUE (逾期).")] status: Option<TaskStatusFilter>,
        #[graphql(desc = "Deadline on or after this day.")] deadline_from: Option<NaiveDate>,
        #[graphql(desc = "Deadline on or before this day.")] deadline_to: Option<NaiveDate>,
        #[graphql(desc = "Words in the task's text (具体任务).")] q: Option<String>,
        #[graphql(desc = "Tasks this leader (牵头领导) leads.")] leader_id: Option<ID>,
        #[graphql(desc = "Tasks whose traffic light is this colour today.")] light: Option<Light>,
        #[graphql(
            desc = "`seq` (document order: a plan's sections as its document orders them, each by 序号), `deadline`, `created_at` or `updated_at`, `-` first for descending (default `seq`)."
        )]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<TaskConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "seq")?;
        let filter = task::TaskFilter {
            plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            year,
            category,
            unit_id: uuid_opt("unitId", "Unit", unit_id.as_ref())?,
            role: role.map(Into::into),
            status: status.map(Into::into),
            deadline_from,
            deadline_to,
            q,
            leader_id: uuid_opt("leaderId", "Leader", leader_id.as_ref())?,
            light: light.map(Into::into),
            plan_kind: None,
        };
        let page = task::list(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(TaskConnection(build(&paging, page, TaskNode)))
    }

    /// A task (重点任务), with its units and targets.
    async fn task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<TaskNode>> {
        let id = uuid_of("id", "Task", &id)?;
        Ok(Some(TaskNode(task::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    // ---------------------------------------------------------- reports

    /// The progress reports (进展报告) the caller may see: never another unit's draft.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Reports on this task.")] task_id: Option<ID>,
        #[graphql(desc = "Reports on the tasks of this plan.")] plan_id: Option<ID>,
        #[graphql(desc = "Reports of this unit (填报单位).")] unit_id: Option<ID>,
        #[graphql(desc = "Reports for this period.")] period: Option<ReportPeriod>,
        #[graphql(desc = "状态.")] status: Option<ReportStatus>,
        #[graphql(desc = "Only consolidated reports (汇总报告), or only the others.")] consolidated: Option<bool>,
        #[graphql(
            desc = "`created_at`, `updated_at` or `period_end`, `-` first for descending (default `-created_at`)."
        )]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ReportConnection> {
        let paging = PageArgs::new(first, after, last, before).since(updated_since).paging(
            ctx,
            sort.as_deref(),
            "-created_at",
        )?;
        let filter = report::ReportFilter {
            task_id: uuid_opt("taskId", "Task", task_id.as_ref())?,
            plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
            unit_id: uuid_opt("unitId", "Unit", unit_id.as_ref())?,
            period,
            status: status.map(Into::into),
            consolidated,
        };
        let page = report::list(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(ReportConnection(build(&paging, page, ReportNode)))
    }

    /// A progress report (进展报告).
    async fn report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<ReportNode>> {
        let id = uuid_of("id", "Report", &id)?;
        Ok(Some(ReportNode(report::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    // ---------------------------------------------------------- regions

    /// The regions (行政区划).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "行政区划类别.")] kind: Option<RegionKind>,
        #[graphql(desc = "一区两群 cluster.")] cluster: Option<Cluster>,
        #[graphql(desc = "The regions directly under this one.")] parent_id: Option<ID>,
        #[graphql(desc = "A part of the name or of the code (行政区划代码).")] q: Option<String>,
        #[graphql(desc = "`name` or `created_at`, `-` first for descending (default `name`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<RegionConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "name")?;
        let filter = region::RegionFilter {
            kind: kind.map(Into::into),
            cluster: cluster.map(Into::into),
            parent_id: uuid_opt("parentId", "Region", parent_id.as_ref())?,
            q,
        };
        let page = region::list_page(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(RegionConnection(build(&paging, page, RegionNode)))
    }

    /// The leaders (牵头领导) the caller may see: those of its region and of
    /// the regions it is paired with (everyone, for those who read everything).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn leaders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Leaders of this region.")] region_id: Option<ID>,
        #[graphql(desc = "A part of the name.")] q: Option<String>,
        #[graphql(desc = "`name` or `created_at`, `-` first for descending (default `name`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<LeaderConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "name")?;
        let filter = leader::LeaderFilter {
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            q,
        };
        let page = leader::list(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(LeaderConnection(build(&paging, page, LeaderNode)))
    }

    /// A leader (牵头领导).
    async fn leader(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<LeaderNode>> {
        let id = uuid_of("id", "Leader", &id)?;
        Ok(Some(LeaderNode(leader::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The projects (援建项目) the caller may see: those of the pairings its
    /// region takes part in, and those its unit carries out.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Projects of this pairing.")] pairing_id: Option<ID>,
        #[graphql(desc = "Projects of the pairings this region takes part in.")] region_id: Option<ID>,
        #[graphql(desc = "The year of the pairing's work.")] year: Option<i32>,
        #[graphql(desc = "Only projects whose latest milestone is this.")] status: Option<ProjectStatus>,
        #[graphql(desc = "A category's code.")] category: Option<String>,
        #[graphql(desc = "A part of the name.")] q: Option<String>,
        #[graphql(desc = "`name`, `created_at` or `updated_at`, `-` first for descending (default `name`).")]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ProjectConnection> {
        let filter = project::ProjectFilter {
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            year,
            status: status.map(Into::into),
            category,
            q,
            ..project::ProjectFilter::default()
        };
        projects_page(
            ctx,
            filter,
            sort,
            PageArgs::new(first, after, last, before).since(updated_since),
        )
        .await
    }

    /// A project (援建项目).
    async fn project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<ProjectNode>> {
        let id = uuid_of("id", "Project", &id)?;
        Ok(Some(ProjectNode(project::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The ledger's figures (项目和资金统计) over the projects the caller may
    /// see, city-wide and by pairing, helping region, category, purpose and
    /// source; as of the end of `period` or of `asOf`, today by default.
    async fn project_statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The year of the pairing's work.")] year: Option<i32>,
        #[graphql(desc = "Projects of this pairing.")] pairing_id: Option<ID>,
        #[graphql(desc = "Projects of the pairings this region takes part in.")] region_id: Option<ID>,
        #[graphql(desc = "As of the end of this period (`2025-Q2`).")] period: Option<ReportPeriod>,
        #[graphql(desc = "As of the end of this day (China's calendar); not with `period`.")] as_of: Option<NaiveDate>,
    ) -> Result<ProjectStatisticsObject> {
        let filter = project::figures::FigureFilter {
            year,
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            period,
            as_of,
        };
        Ok(project::figures::statistics(db(ctx), caller(ctx)?, &filter)
            .await
            .gql()?
            .into())
    }

    /// The catalogue of project categories.
    async fn project_categories(&self, ctx: &Context<'_>) -> Result<Vec<ProjectCategoryObject>> {
        Ok(project::categories(db(ctx), caller(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The caller's notifications (站内通知), newest first: reports due soon
    /// and late, returned and approved, urgings, requests for more time and
    /// their decisions. Only users have an inbox.
    #[graphql(complexity = "cost(first, None, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only those not yet marked read.")] unread: Option<bool>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<NotificationConnection> {
        let paging = PageArgs::new(first, after, None, None)
            .since(updated_since)
            .forward_only(ctx, "-created_at")?;
        let page = notification::list(db(ctx), caller(ctx)?, unread.unwrap_or(false), &paging.request)
            .await
            .gql()?;
        Ok(NotificationConnection(build(&paging, page, NotificationNode)))
    }

    /// How many of the caller's notifications are unread.
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        notification::unread_count(db(ctx), caller(ctx)?).await.gql()
    }

    /// A request for more time (延期申请) on a task the caller may see.
    async fn extension(&self, ctx: &Context<'_>, #[graphql(desc = "Its `uuid`.")] id: ID) -> Result<ExtensionObject> {
        let id = uuid_of("id", "Extension", &id)?;
        Ok(extension::get(db(ctx), caller(ctx)?, id).await.gql()?.into())
    }

    /// The traffic lights (督查亮灯) of the tasks the caller may see that
    /// meet the filter, as of today: how many are green, yellow and red and
    /// the worst, in all and by plan, lead unit and leader (the worst first).
    #[allow(clippy::too_many_arguments)]
    async fn lights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Tasks of this plan (任务清单).")] plan_id: Option<ID>,
        #[graphql(desc = "Tasks of the plans of this pairing (结对).")] pairing_id: Option<ID>,
        #[graphql(desc = "Tasks of the plans of this region: its own and its pairings'.")] region_id: Option<ID>,
        #[graphql(desc = "The plan's year.")] year: Option<i32>,
        #[graphql(desc = "Tasks this unit works on, directly or through a group (各镇街).")] unit_id: Option<ID>,
        #[graphql(desc = "Tasks this leader (牵头领导) leads.")] leader_id: Option<ID>,
        #[graphql(desc = "Only tasks of this colour.")] light: Option<Light>,
    ) -> Result<LightSummaryObject> {
        let filter = task::TaskFilter {
            plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            year,
            unit_id: uuid_opt("unitId", "Unit", unit_id.as_ref())?,
            leader_id: uuid_opt("leaderId", "Leader", leader_id.as_ref())?,
            light: light.map(Into::into),
            ..task::TaskFilter::default()
        };
        Ok(light::summary(db(ctx), caller(ctx)?, &filter).await.gql()?.into())
    }

    /// A region (行政区划).
    async fn region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<RegionNode>> {
        let id = uuid_of("id", "Region", &id)?;
        Ok(Some(RegionNode(region::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    // ------------------------------------------------------------ units

    /// The units (单位) of every region or of one, by name.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Units of this region.")] region_id: Option<ID>,
        #[graphql(desc = "单位类别.")] kind: Option<UnitKind>,
        #[graphql(desc = "A part of the unit's name or of one of its aliases (区就业人才中心).")] q: Option<String>,
        #[graphql(desc = "`name`, `-` first for descending (default `name`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<UnitConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "name")?;
        let filter = unit::UnitFilter {
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            kind: kind.map(Into::into),
            q,
        };
        let page = unit::list_units_page(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(UnitConnection(build(&paging, page, UnitNode)))
    }

    /// A unit (单位) with its aliases.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<UnitNode>> {
        let id = uuid_of("id", "Unit", &id)?;
        Ok(Some(UnitNode(unit::get_unit(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The unit groups (单位组: 各镇街, 区级相关部门单位) of every region or of one, by name.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn unit_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Groups of this region.")] region_id: Option<ID>,
        #[graphql(desc = "`name`, `-` first for descending (default `name`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<UnitGroupConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "name")?;
        let region_id = uuid_opt("regionId", "Region", region_id.as_ref())?;
        let page = unit::list_groups_page(db(ctx), caller(ctx)?, region_id, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(UnitGroupConnection(build(&paging, page, UnitGroupNode)))
    }

    /// A unit group (单位组).
    async fn unit_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<UnitGroupNode> {
        let id = uuid_of("id", "UnitGroup", &id)?;
        Ok(UnitGroupNode(unit::get_group(db(ctx), caller(ctx)?, id).await.gql()?))
    }

    // --------------------------------------------------------- pairings

    /// The pairings (结对), in the order they were recorded.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn pairings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Pairings where the region is helper (帮扶方), co-helper (联合帮扶方) or recipient (受帮扶方)."
        )]
        region_id: Option<ID>,
        #[graphql(desc = "状态.")] status: Option<PairingStatus>,
        #[graphql(desc = "`created_at`, `-` first for descending (default `created_at`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<PairingConnection> {
        let paging = PageArgs::new(first, after, last, before).since(updated_since).paging(
            ctx,
            sort.as_deref(),
            "created_at",
        )?;
        let filter = pairing::PairingFilter {
            region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
            status: status.map(Into::into),
        };
        let page = pairing::list_page(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(PairingConnection(build(&paging, page, PairingNode)))
    }

    /// A pairing (结对) with its co-helpers (联合帮扶方) and documents.
    async fn pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<PairingNode>> {
        let id = uuid_of("id", "Pairing", &id)?;
        Ok(Some(PairingNode(pairing::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The unit pairings (部门街镇结对), in the order they were recorded.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn unit_pairings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Unit pairings of this pairing (结对).")] pairing_id: Option<ID>,
        #[graphql(desc = "Unit pairings where the unit is the helper or the recipient unit.")] unit_id: Option<ID>,
        #[graphql(desc = "`created_at`, `-` first for descending (default `created_at`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<UnitPairingConnection> {
        let paging = PageArgs::new(first, after, last, before).since(updated_since).paging(
            ctx,
            sort.as_deref(),
            "created_at",
        )?;
        let filter = pairing::UnitPairingFilter {
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            unit_id: uuid_opt("unitId", "Unit", unit_id.as_ref())?,
        };
        let page = pairing::list_unit_pairings_page(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(UnitPairingConnection(build(&paging, page, UnitPairingNode)))
    }

    /// A unit pairing (部门街镇结对).
    async fn unit_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<UnitPairingNode> {
        let id = uuid_of("id", "UnitPairing", &id)?;
        Ok(UnitPairingNode(
            pairing::get_unit_pairing(db(ctx), caller(ctx)?, id).await.gql()?,
        ))
    }

    // ------------------------------------------------- metrics, events

    /// The metric catalogue (指标目录), by code.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`code`, `-` first for descending (default `code`).")] sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<MetricConnection> {
        let paging =
            PageArgs::new(first, after, last, before)
                .since(updated_since)
                .paging(ctx, sort.as_deref(), "code")?;
        let page = metric::list_page(db(ctx), caller(ctx)?, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(MetricConnection(build(&paging, page, MetricNode)))
    }

    /// A metric (指标) of the catalogue.
    async fn metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<MetricNode>> {
        let id = uuid_of("id", "Metric", &id)?;
        Ok(Some(MetricNode(metric::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The chronicle (大事记): events of every pairing or of one, by day.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Events of this pairing (结对).")] pairing_id: Option<ID>,
        #[graphql(desc = "Events on or after this day.")] from: Option<NaiveDate>,
        #[graphql(desc = "Events on or before this day.")] to: Option<NaiveDate>,
        #[graphql(desc = "`occurred_on` or `created_at`, `-` first for descending (default `occurred_on`).")]
        sort: Option<String>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward, 1 to 200.")] last: Option<i32>,
        #[graphql(desc = "`startCursor` of the next page, when paging backward.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<EventConnection> {
        let paging = PageArgs::new(first, after, last, before).since(updated_since).paging(
            ctx,
            sort.as_deref(),
            "occurred_on",
        )?;
        let filter = event::EventFilter {
            pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
            from,
            to,
        };
        let page = event::list(db(ctx), caller(ctx)?, filter, paging.sort(), &paging.request)
            .await
            .gql()?;
        Ok(EventConnection(build(&paging, page, EventNode)))
    }

    /// An event of a pairing's chronicle (大事记) with its amounts.
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<EventNode>> {
        let id = uuid_of("id", "Event", &id)?;
        Ok(Some(EventNode(event::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// A file attached as evidence, when the caller may see its parent.
    async fn attachment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<crate::graphql::types::attachment::AttachmentNode>> {
        let id = uuid_of("id", "Attachment", &id)?;
        Ok(Some(crate::graphql::types::attachment::AttachmentNode(
            crate::domain::attachment::get(db(ctx), caller(ctx)?, id).await.gql()?,
        )))
    }

    // ------------------------------------------- users, clients, audit

    /// The users (用户), by username: for administrators. Pages forward only.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Not available: this list pages forward only.")] last: Option<i32>,
        #[graphql(desc = "Not available: this list pages forward only.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<UserConnection> {
        let paging = PageArgs::new(first, after, last, before)
            .since(updated_since)
            .forward_only(ctx, "username")?;
        let page = user::list(db(ctx), caller(ctx)?, &paging.request).await.gql()?;
        Ok(UserConnection(build(&paging, page, UserNode)))
    }

    /// A user (用户): administrators see all, a user sees itself.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<UserNode>> {
        let id = uuid_of("id", "User", &id)?;
        Ok(Some(UserNode(user::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The integration clients (对接平台), by `client_id`: for administrators. Pages forward only.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Not available: this list pages forward only.")] last: Option<i32>,
        #[graphql(desc = "Not available: this list pages forward only.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ClientConnection> {
        let paging = PageArgs::new(first, after, last, before)
            .since(updated_since)
            .forward_only(ctx, "client_id")?;
        let page = client::list(db(ctx), caller(ctx)?, &paging.request).await.gql()?;
        Ok(ClientConnection(build(&paging, page, ClientNode)))
    }

    /// An integration client (对接平台): for administrators.
    async fn client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<ClientNode>> {
        let id = uuid_of("id", "IntegrationClient", &id)?;
        Ok(Some(ClientNode(client::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The webhook endpoints the caller registered (an administrator sees
    /// every one), newest first. Pages forward only.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Not available: this list pages forward only.")] last: Option<i32>,
        #[graphql(desc = "Not available: this list pages forward only.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<WebhookConnection> {
        let paging = PageArgs::new(first, after, last, before)
            .since(updated_since)
            .forward_only(ctx, "created_at")?;
        let page = webhook::list(db(ctx), caller(ctx)?, &paging.request).await.gql()?;
        Ok(WebhookConnection(build(&paging, page, WebhookNode)))
    }

    /// A webhook endpoint the caller manages.
    async fn webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<WebhookNode>> {
        let id = uuid_of("id", "Webhook", &id)?;
        Ok(Some(WebhookNode(webhook::get(db(ctx), caller(ctx)?, id).await.gql()?)))
    }

    /// The delivery log of a webhook endpoint, newest first. Pages forward only.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's `id` or `uuid`.")] webhook_id: ID,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Not available: this list pages forward only.")] last: Option<i32>,
        #[graphql(desc = "Not available: this list pages forward only.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<WebhookDeliveryConnection> {
        let webhook_id = uuid_of("webhookId", "Webhook", &webhook_id)?;
        let paging = PageArgs::new(first, after, last, before)
            .since(updated_since)
            .forward_only(ctx, "created_at")?;
        let page = webhook::deliveries(db(ctx), caller(ctx)?, webhook_id, &paging.request)
            .await
            .gql()?;
        Ok(WebhookDeliveryConnection(build(&paging, page, DeliveryNode)))
    }

    /// A webhook delivery to an endpoint the caller manages.
    async fn webhook_delivery(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its `id` or `uuid`.")] id: ID,
    ) -> Result<Option<DeliveryNode>> {
        let id = uuid_of("id", "WebhookDelivery", &id)?;
        Ok(Some(DeliveryNode(
            webhook::delivery(db(ctx), caller(ctx)?, id).await.gql()?,
        )))
    }

    /// The audit log (操作日志), newest first: for administrators and viewers. Pages forward only.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`task`, `report`, `plan`, `user` …")] entity: Option<String>,
        #[graphql(desc = "The changed row's `uuid`.")] entity_id: Option<uuid::Uuid>,
        #[graphql(desc = "The acting user's or client's `uuid`.")] actor_id: Option<uuid::Uuid>,
        #[graphql(desc = "`create`, `update`, `delete`, `submit`, `approve`, `return`, `login` …")] action: Option<
            String,
        >,
        #[graphql(desc = "Page size, 1 to 200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "`endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Not available: this list pages forward only.")] last: Option<i32>,
        #[graphql(desc = "Not available: this list pages forward only.")] before: Option<String>,
        #[graphql(desc = "Only what changed at or after this time: the simple form of `changes`.")]
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<AuditConnection> {
        let paging = PageArgs::new(first, after, last, before)
            .since(updated_since)
            .forward_only(ctx, "occurred_at")?;
        let filter = audit::AuditFilter {
            entity,
            entity_id,
            actor_id,
            action,
        };
        let page = audit::list(db(ctx), caller(ctx)?, filter, &paging.request)
            .await
            .gql()?;
        Ok(AuditConnection(build(&paging, page, AuditEntryObject)))
    }

    /// The change feed (变更流): every create, update and delete of what the
    /// caller may see, oldest first. Follow it with `after: nextCursor`: no
    /// change is skipped, and those of one resource come in the order they
    /// were made. A cursor older than the changes kept (90 days) fails with
    /// CURSOR_EXPIRED.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`nextCursor` of the previous read; from the oldest change kept when omitted.")] after: Option<
            String,
        >,
        #[graphql(desc = "How many changes at most, 1 to 500 (default 100).")] first: Option<i32>,
    ) -> Result<ChangeFeedObject> {
        let first = feed::limit("first", first.map(i64::from)).gql()?;
        let page = feed::read(
            &state(ctx).databases.primary,
            db(ctx),
            caller(ctx)?,
            after.as_deref(),
            first,
        )
        .await
        .gql()?;
        Ok(ChangeFeedObject(page))
    }

    /// Statistics (统计) over the tasks the caller may see: counts by status,
    /// completion and on-time rates, the overdue list (逾期), and per metric
    /// the sums of targets and of approved actuals, in total and per pairing.
    #[allow(clippy::too_many_arguments)]
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plans' year.")] year: Option<i32>,
        #[graphql(desc = "一区两群 cluster of the plan's region or the pairing's recipient.")] cluster: Option<Cluster>,
        #[graphql(desc = "Only this pairing's plans.")] pairing_id: Option<ID>,
        #[graphql(desc = "Only this plan.")] plan_id: Option<ID>,
        #[graphql(desc = "协同发展事项 / 重点领域, exactly.")] category: Option<String>,
        #[graphql(desc = "A metric code: only its targets and actuals (`investment_funds`).")] metric: Option<String>,
        #[graphql(desc = "PAIRING (the default): pairings' task lists; ALL: also regions' own plans.")] scope: Option<
            StatisticsScope,
        >,
        #[graphql(desc = "A region on either side of a pairing, or whose own plan it is.")] region_id: Option<ID>,
        #[graphql(
            desc = "Figures as they stood at the end of this month, quarter, half-year or year (`2025-H1`): for each task and lead unit, the latest approved report whose period ends by then, within that year."
        )]
        period: Option<ReportPeriod>,
        #[graphql(
            desc = "A day in China: only reports approved by its end count; tasks are completed or overdue as they were then."
        )]
        as_of: Option<NaiveDate>,
        #[graphql(desc = "How many overdue tasks to list: 1 to 200, 50 unless given.")] overdue_limit: Option<u64>,
        #[graphql(desc = "Tasks this leader (牵头领导) leads.")] leader_id: Option<ID>,
    ) -> Result<StatisticsObject> {
        let filter = statistics::StatisticsFilter {
            period,
            overdue_limit,
            leader_id: uuid_opt("leaderId", "Leader", leader_id.as_ref())?,
            ..statistics_filter(
                year, cluster, pairing_id, plan_id, category, metric, scope, region_id, as_of,
            )?
        };
        let figures = statistics::compute(db(ctx), caller(ctx)?, filter).await.gql()?;
        Ok(StatisticsObject(figures))
    }

    /// A metric's series for a chart: for each month of the year, the cumulative approved actual at its end by the reports' periods (for each task and lead unit, its latest approved consolidated report whose period ends by then), in the metric's unit; always twelve points.
    #[allow(clippy::too_many_arguments)]
    async fn statistics_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric's code (`investment_funds`); one that adds up.")] metric: String,
        #[graphql(desc = "The plans' year, which the points cover.")] year: i32,
        #[graphql(desc = "一区两群 cluster of the plan's region or the pairing's recipient.")] cluster: Option<Cluster>,
        #[graphql(desc = "Only this pairing's plans.")] pairing_id: Option<ID>,
        #[graphql(desc = "Only this plan.")] plan_id: Option<ID>,
        #[graphql(desc = "协同发展事项 / 重点领域, exactly.")] category: Option<String>,
        #[graphql(desc = "PAIRING (the default): pairings' task lists; ALL: also regions' own plans.")] scope: Option<
            StatisticsScope,
        >,
        #[graphql(desc = "A region on either side of a pairing, or whose own plan it is.")] region_id: Option<ID>,
        #[graphql(desc = "A day in China: only reports approved by its end count.")] as_of: Option<NaiveDate>,
    ) -> Result<SeriesObject> {
        let filter = statistics_filter(
            Some(year),
            cluster,
            pairing_id,
            plan_id,
            category,
            Some(metric),
            scope,
            region_id,
            as_of,
        )?;
        let series = statistics::series(db(ctx), caller(ctx)?, filter).await.gql()?;
        Ok(SeriesObject(series))
    }

    /// The reporting calendar (报送日历): the reports owed as of a day on the
    /// tasks the caller may see, open, submitted, submitted late or late,
    /// with counts, in order of due day.
    #[allow(clippy::too_many_arguments)]
    async fn calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to look from (China's calendar); today when omitted.")] on: Option<NaiveDate>,
        #[graphql(desc = "Only what this unit owes (directly or through its groups).")] unit_id: Option<ID>,
        #[graphql(desc = "Only this plan.")] plan_id: Option<ID>,
        #[graphql(desc = "The plans' year; the year of `on` and the one before when omitted.")] year: Option<i32>,
        #[graphql(desc = "Only reports owed that stand so.")] status: Option<ObligationStatus>,
        #[graphql(desc = "Only months, quarters or years.")] kind: Option<PeriodKind>,
        #[graphql(desc = "Page size, 1 to 1000 (default 100).")] limit: Option<u64>,
        #[graphql(desc = "Where the page starts (`nextOffset` of the page before).")] offset: Option<u64>,
    ) -> Result<CalendarPageObject> {
        let filter = calendar::CalendarFilter {
            on,
            unit_id: uuid_opt("unitId", "Unit", unit_id.as_ref())?,
            plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
            year,
            status: status.map(Into::into),
            kind: kind.map(Into::into),
            ..Default::default()
        };
        let page = calendar::obligations(db(ctx), caller(ctx)?, filter, limit.unwrap_or(100), offset.unwrap_or(0))
            .await
            .gql()?;
        Ok(CalendarPageObject(page))
    }

    /// Late units (逾期未报): units with reports past their due day across the
    /// plans the caller sees, the most late first.
    async fn late_units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to look from (China's calendar); today when omitted.")] on: Option<NaiveDate>,
        #[graphql(desc = "Only this plan.")] plan_id: Option<ID>,
        #[graphql(desc = "The plans' year; the year of `on` and the one before when omitted.")] year: Option<i32>,
        #[graphql(desc = "Only months, quarters or years.")] kind: Option<PeriodKind>,
    ) -> Result<LateReportObject> {
        let filter = calendar::CalendarFilter {
            on,
            plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
            year,
            kind: kind.map(Into::into),
            ..Default::default()
        };
        let late = calendar::late_units(db(ctx), caller(ctx)?, filter).await.gql()?;
        Ok(LateReportObject(late))
    }
}

/// The filters the statistics and their series share, from GraphQL's arguments.
#[allow(clippy::too_many_arguments)]
fn statistics_filter(
    year: Option<i32>,
    cluster: Option<Cluster>,
    pairing_id: Option<ID>,
    plan_id: Option<ID>,
    category: Option<String>,
    metric: Option<String>,
    scope: Option<StatisticsScope>,
    region_id: Option<ID>,
    as_of: Option<NaiveDate>,
) -> Result<statistics::StatisticsFilter> {
    Ok(statistics::StatisticsFilter {
        scope: scope.map(Into::into),
        year,
        region_id: uuid_opt("regionId", "Region", region_id.as_ref())?,
        period: None,
        as_of,
        overdue_limit: None,
        cluster: cluster.map(Into::into),
        pairing_id: uuid_opt("pairingId", "Pairing", pairing_id.as_ref())?,
        plan_id: uuid_opt("planId", "Plan", plan_id.as_ref())?,
        category,
        metric,
        leader_id: None,
    })
}

/// One page of projects for a connection (the root's, a pairing's, a plan's, a task's).
pub(crate) async fn projects_page(
    ctx: &Context<'_>,
    filter: project::ProjectFilter,
    sort: Option<String>,
    args: PageArgs,
) -> Result<ProjectConnection> {
    let paging = args.paging(ctx, sort.as_deref(), "name")?;
    let page = project::list(db(ctx), caller(ctx)?, &filter, paging.sort(), &paging.request)
        .await
        .gql()?;
    Ok(ProjectConnection(build(&paging, page, ProjectNode)))
}
