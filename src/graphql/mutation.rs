//! The mutations: every write REST has. Updates, deletes and plan
//! transitions take the `version` read (REST's `If-Match`): a stale one is
//! `VERSION_CONFLICT`. Creates take an optional `idempotencyKey`, as REST's
//! `Idempotency-Key`.

use std::future::Future;

use async_graphql::{Context, ID, Object, Result};
use sea_orm::DatabaseTransaction;
use serde::Serialize;
use uuid::Uuid;

use super::context::{caller, db, state};
use super::error::{DomainResultExt, from_domain, invalid};
use super::ids::{global_id, uuid_of};
use super::inputs::ClientGrantInput;
use super::inputs::{
    CreateClientInput, CreateMetricInput, CreatePlanInput, CreateReportInput, CreateTaskInput, CreateUserInput,
    EventInput, PairingInput, RegionInput, UnitGroupInput, UnitInput, UnitPairingInput, UpdateMetricInput,
    UpdatePlanInput, UpdateReportInput, UpdateTaskInput, UpdateUserInput,
};
use super::inputs::{CreateWebhookInput, UpdateWebhookInput};
use super::scalars::ProjectStatus;
use super::types::account::{ClientGrantObject, ClientNode, IssuedClientObject, UserNode};
use super::types::plan::{PlanNode, TaskNode};
use super::types::project::{
    CreateProjectInput, FundMovementInput, FundMovementObject, ProjectCategoryObject, ProjectNode, UpdateProjectInput,
};
use super::types::reference::{
    EventNode, MetricNode, PairingNode, RegionNode, UnitGroupNode, UnitNode, UnitPairingNode,
};
use super::types::report::ReportNode;
use super::types::supervision::{ExtensionObject, NotificationNode, UrgingObject};
use super::types::webhook::{DeliveryNode, WebhookNode, WebhookWithSecretObject};
use crate::domain::plan::PlanTransition;
use crate::domain::report::Transition;
use crate::domain::values::ReportPeriod;
use crate::domain::{
    DomainResult, client, event, extension, metric, notification, pairing, plan, project, region, report, task, unit,
    urging, user, webhook,
};
use crate::infra::idempotency::{self, Created};
use chrono::NaiveDate;

/// Runs `create` once per caller and idempotency key: a replay with the
/// same input answers the resource made the first time (read again with
/// `read`), another input under the same key is a validation failure.
/// `create` gets the transaction the claim on the key is in (see
/// `infra::idempotency`).
async fn idempotent<T, C, R, RF>(
    ctx: &Context<'_>,
    key: Option<&str>,
    operation: &str,
    input: &impl Serialize,
    create: C,
    read: R,
) -> Result<T>
where
    T: Serialize,
    C: AsyncFnOnce(&DatabaseTransaction) -> DomainResult<T>,
    R: FnOnce(Uuid) -> RF,
    RF: Future<Output = DomainResult<T>>,
{
    match idempotency::create_once(&state(ctx).db, caller(ctx)?, key, operation, input, create)
        .await
        .gql()?
    {
        Created::New { made, .. } => Ok(made),
        Created::Replay(answer) => {
            let id = answer
                .made_id()
                .ok_or_else(|| invalid("idempotencyKey", "this key was used for another request; use a new key"))?;
            read(id).await.gql()
        }
    }
}

/// What can be changed.
pub struct MutationRoot;

/// What an uploaded task list becomes: a new plan of a pairing or of a
/// region, and how the names in it resolve.
#[derive(async_graphql::InputObject)]
pub struct ImportTasksInput {
    /// The plan's year.
    year: i32,
    /// The plan's title.
    title: String,
    /// A pairing's plan: the pairing's `id` or `uuid`.
    pairing_id: Option<ID>,
    /// A region's own plan: the region's `id` or `uuid`.
    region_id: Option<ID>,
    /// The region of columns that name no side (责任单位); by default the recipient.
    issuer_region_id: Option<ID>,
    /// 文号
    doc_number: Option<String>,
    /// Create units the region does not have yet (never near misses).
    create_missing_units: Option<bool>,
    /// `NAME=UNIT`: the document's NAME is the unit UNIT (remembered as its alias).
    aliases: Option<Vec<String>>,
    /// Report what would happen and write nothing.
    dry_run: Option<bool>,
}

/// The bytes of an uploaded file, refused beyond the import's size limit.
fn read_upload(ctx: &Context<'_>, file: async_graphql::Upload) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let upload = file.value(ctx).map_err(|e| invalid("file", e.to_string()))?;
    upload
        .into_read()
        .take(crate::documents::table::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid("file", e.to_string()))?;
    Ok(bytes)
}

/// What can be changed. Every change is checked by the domain exactly as
/// over REST and recorded in the audit log (操作日志).
#[Object(name = "Mutation")]
impl MutationRoot {
    // ------------------------------------------------------------ imports

    /// Import a task list (任务清单) into a new plan from an uploaded CSV or
    /// XLSX file (GraphQL multipart request): columns found by their Chinese
    /// headers, merged cells filled, units resolved, targets extracted. With
    /// `dryRun` nothing is written; a failed import writes nothing either.
    /// The answer is the import's report, row by row.
    async fn import_tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task list, CSV (UTF-8 or GB18030) or XLSX.")] file: async_graphql::Upload,
        #[graphql(desc = "Which plan it becomes and how names resolve.")] input: ImportTasksInput,
    ) -> Result<crate::documents::tasks::ImportReport> {
        use crate::documents::tasks::{self, Owner, TaskImport};
        let (conn, who) = (db(ctx), caller(ctx)?);
        let ImportTasksInput {
            year,
            title,
            pairing_id,
            region_id,
            issuer_region_id,
            doc_number,
            create_missing_units,
            aliases,
            dry_run,
        } = input;
        let pairing = pairing_id
            .as_ref()
            .map(|id| uuid_of("pairingId", "Pairing", id))
            .transpose()?;
        let region = region_id
            .as_ref()
            .map(|id| uuid_of("regionId", "Region", id))
            .transpose()?;
        let owner = Owner::by_id(conn, who, pairing, region, ["pairingId", "regionId"])
            .await
            .gql()?;
        let issuer = issuer_region_id
            .as_ref()
            .map(|id| uuid_of("issuerRegionId", "Region", id))
            .transpose()?;
        let aliases = tasks::parse_aliases(&aliases.unwrap_or_default(), "aliases").gql()?;
        let bytes = read_upload(ctx, file)?;
        let options = TaskImport {
            year,
            title,
            owner,
            issuer,
            doc_number,
            issued_on: None,
            create_missing_units: create_missing_units.unwrap_or(false),
            aliases,
            dry_run: dry_run.unwrap_or(false),
        };
        let report = tasks::import(conn, who, &bytes, &options).await.map_err(from_domain)?;
        Ok(report)
    }

    /// Import a pairing's chronicle (大事记) from an uploaded CSV
    /// (`date,title,amount,amount_unit`; GraphQL multipart request), as an
    /// administrator or a coordinator of the pairing's regions. With
    /// `dryRun` nothing is written; a failed import writes nothing either.
    async fn import_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The chronicle, CSV (UTF-8 or GB18030).")] file: async_graphql::Upload,
        #[graphql(desc = "The pairing (结对) whose chronicle it is.")] pairing_id: ID,
        #[graphql(desc = "Report what would happen and write nothing.")] dry_run: Option<bool>,
    ) -> Result<crate::documents::reference::ReferenceReport> {
        let pairing = uuid_of("pairingId", "Pairing", &pairing_id)?;
        let bytes = read_upload(ctx, file)?;
        let report = crate::documents::events::import(db(ctx), caller(ctx)?, &bytes, pairing, dry_run.unwrap_or(false))
            .await
            .map_err(from_domain)?;
        Ok(report)
    }

    /// Import a pairing's project ledger (项目台账), CSV or XLSX: headers
    /// found by their usual names, money in the unit its header names, all
    /// or nothing, each bad row reported by row and column.
    async fn import_projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ledger, CSV (UTF-8 or GB18030) or XLSX.")] file: async_graphql::Upload,
        #[graphql(desc = "The pairing (结对) whose projects they are.")] pairing_id: ID,
        #[graphql(desc = "The year of the pairing's work they belong to.")] year: i32,
        #[graphql(desc = "Report what would happen and write nothing.")] dry_run: Option<bool>,
    ) -> Result<crate::documents::reference::ReferenceReport> {
        let options = crate::documents::projects::ProjectImport {
            pairing_id: uuid_of("pairingId", "Pairing", &pairing_id)?,
            year,
            dry_run: dry_run.unwrap_or(false),
        };
        let bytes = read_upload(ctx, file)?;
        let report = crate::documents::projects::import(db(ctx), caller(ctx)?, &bytes, &options)
            .await
            .map_err(from_domain)?;
        Ok(report)
    }

    // ---------------------------------------------------------- regions

    /// Create a region (行政区划), as an administrator.
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: RegionInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<RegionNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createRegion",
            &input,
            async |txn| region::create(txn, who, new).await,
            |id| region::get(conn, who, id),
        )
        .await?;
        Ok(RegionNode(made))
    }

    /// Add a metric to the catalogue (指标目录), as an administrator.
    async fn create_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreateMetricInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<MetricNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain();
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createMetric",
            &input,
            async |txn| metric::create(txn, who, new).await,
            |id| metric::get(conn, who, id),
        )
        .await?;
        Ok(MetricNode(made))
    }

    /// Change a metric of the catalogue, as an administrator: a metric that targets use keeps its unit's dimension; a new unit of the same dimension converts every stored figure.
    async fn update_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "The fields to replace.")] input: UpdateMetricInput,
    ) -> Result<MetricNode> {
        let id = uuid_of("id", "Metric", &id)?;
        Ok(MetricNode(
            metric::update(db(ctx), caller(ctx)?, id, version, input.domain())
                .await
                .gql()?,
        ))
    }

    /// Replace a region (行政区划) with the input, as an administrator.
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: RegionInput,
    ) -> Result<RegionNode> {
        let id = uuid_of("id", "Region", &id)?;
        Ok(RegionNode(
            region::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete a region (行政区划) that nothing refers to, as an administrator; answers its `id`.
    async fn delete_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Region", &id)?;
        region::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Region", id))
    }

    // ------------------------------------------------------------ units

    /// Create a unit (单位) with its aliases, as an administrator.
    async fn create_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: UnitInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<UnitNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createUnit",
            &input,
            async |txn| unit::create_unit(txn, who, new).await,
            |id| unit::get_unit(conn, who, id),
        )
        .await?;
        Ok(UnitNode(made))
    }

    /// Replace a unit (单位) and its aliases with the input, as an administrator.
    async fn update_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UnitInput,
    ) -> Result<UnitNode> {
        let id = uuid_of("id", "Unit", &id)?;
        Ok(UnitNode(
            unit::update_unit(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete a unit (单位) that nothing refers to, as an administrator; answers its `id`.
    async fn delete_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Unit", &id)?;
        unit::delete_unit(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Unit", id))
    }

    /// Create a unit group (单位组, e.g. 各镇街), as an administrator.
    async fn create_unit_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: UnitGroupInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<UnitGroupNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createUnitGroup",
            &input,
            async |txn| unit::create_group(txn, who, new).await,
            |id| unit::get_group(conn, who, id),
        )
        .await?;
        Ok(UnitGroupNode(made))
    }

    /// Replace a unit group (单位组) with the input, as an administrator.
    async fn update_unit_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UnitGroupInput,
    ) -> Result<UnitGroupNode> {
        let id = uuid_of("id", "UnitGroup", &id)?;
        Ok(UnitGroupNode(
            unit::update_group(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete a unit group (单位组) that no task is assigned to, as an administrator; answers its `id`.
    async fn delete_unit_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "UnitGroup", &id)?;
        unit::delete_group(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("UnitGroup", id))
    }

    // --------------------------------------------------------- pairings

    /// Create a pairing (结对) of a helper and a recipient region, as an administrator.
    async fn create_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: PairingInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<PairingNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createPairing",
            &input,
            async |txn| pairing::create(txn, who, new).await,
            |id| pairing::get(conn, who, id),
        )
        .await?;
        Ok(PairingNode(made))
    }

    /// Replace a pairing (结对), its co-helpers and documents, as an administrator.
    async fn update_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pairing's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: PairingInput,
    ) -> Result<PairingNode> {
        let id = uuid_of("id", "Pairing", &id)?;
        Ok(PairingNode(
            pairing::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete a pairing (结对) that has no plans and no chronicle, as an administrator; answers its `id`.
    async fn delete_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pairing's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Pairing", &id)?;
        pairing::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Pairing", id))
    }

    /// Pair a helper unit with a recipient unit within a pairing (部门街镇结对), as an administrator.
    async fn create_unit_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: UnitPairingInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<UnitPairingNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createUnitPairing",
            &input,
            async |txn| pairing::create_unit_pairing(txn, who, new).await,
            |id| pairing::get_unit_pairing(conn, who, id),
        )
        .await?;
        Ok(UnitPairingNode(made))
    }

    /// Replace a unit pairing (部门街镇结对), as an administrator.
    async fn update_unit_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit pairing's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UnitPairingInput,
    ) -> Result<UnitPairingNode> {
        let id = uuid_of("id", "UnitPairing", &id)?;
        Ok(UnitPairingNode(
            pairing::update_unit_pairing(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete a unit pairing (部门街镇结对), as an administrator; answers its `id`.
    async fn delete_unit_pairing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit pairing's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "UnitPairing", &id)?;
        pairing::delete_unit_pairing(db(ctx), caller(ctx)?, id, version)
            .await
            .gql()?;
        Ok(global_id("UnitPairing", id))
    }

    // ----------------------------------------------------------- events

    /// Add an event to a pairing's chronicle (大事记), as an administrator or a coordinator of its regions.
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: EventInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<EventNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createEvent",
            &input,
            async |txn| event::create(txn, who, new).await,
            |id| event::get(conn, who, id),
        )
        .await?;
        Ok(EventNode(made))
    }

    /// Replace an event of the chronicle (大事记) and its amounts.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: EventInput,
    ) -> Result<EventNode> {
        let id = uuid_of("id", "Event", &id)?;
        Ok(EventNode(
            event::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete an event of the chronicle (大事记); answers its `id`.
    async fn delete_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Event", &id)?;
        event::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Event", id))
    }

    /// Remove a file attached as evidence, as its parent's rules and state
    /// allow (nothing leaves a submitted or approved report); answers its `id`.
    async fn delete_attachment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The attachment's `id` or `uuid`.")] id: ID,
    ) -> Result<ID> {
        let id = uuid_of("id", "Attachment", &id)?;
        let state = crate::graphql::context::state(ctx);
        crate::domain::attachment::delete(db(ctx), &state.storage, caller(ctx)?, id)
            .await
            .gql()?;
        Ok(global_id("Attachment", id))
    }

    // ------------------------------------------------------------ plans

    /// Create a plan (任务清单), a draft, as a coordinator of its regions.
    async fn create_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreatePlanInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<PlanNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createPlan",
            &input,
            async |txn| plan::create(txn, who, new).await,
            |id| plan::get(conn, who, id),
        )
        .await?;
        Ok(PlanNode(made))
    }

    /// Change a plan (任务清单), as its coordinator.
    async fn update_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UpdatePlanInput,
    ) -> Result<PlanNode> {
        let id = uuid_of("id", "Plan", &id)?;
        Ok(PlanNode(
            plan::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Delete a plan (任务清单) with its tasks while no report was made on it; answers its `id`.
    async fn delete_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Plan", &id)?;
        plan::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Plan", id))
    }

    /// Issue a draft plan (印发): reports may then be made on its tasks.
    async fn issue_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<PlanNode> {
        move_plan(ctx, &id, version, PlanTransition::Issue).await
    }

    /// Close an issued plan (关闭): nothing in it changes any more.
    async fn close_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<PlanNode> {
        move_plan(ctx, &id, version, PlanTransition::Close).await
    }

    /// Reopen a closed plan.
    async fn reopen_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<PlanNode> {
        move_plan(ctx, &id, version, PlanTransition::Reopen).await
    }

    // ------------------------------------------------------------ tasks

    /// Add a task (重点任务) to a plan, as its coordinator.
    async fn create_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreateTaskInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<TaskNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createTask",
            &input,
            async |txn| task::create(txn, who, new).await,
            |id| task::get(conn, who, id),
        )
        .await?;
        Ok(TaskNode(made))
    }

    /// Change a task (重点任务): what it is as a coordinator, its progress and status also as its lead unit.
    async fn update_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UpdateTaskInput,
    ) -> Result<TaskNode> {
        let id = uuid_of("id", "Task", &id)?;
        let changed = task::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
            .await
            .gql()?;
        Ok(TaskNode(changed))
    }

    /// Remove a task (重点任务) on which no report was made, as a coordinator of its plan; answers its `id`.
    async fn delete_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Task", &id)?;
        task::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Task", id))
    }

    // ---------------------------------------------------------- reports

    /// Make a draft report (进展报告) on a task, for the caller's unit (an
    /// administrator or coordinator names `unitId`).
    async fn create_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreateReportInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<ReportNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createReport",
            &input,
            async |txn| report::create(txn, who, new).await,
            |id| report::get(conn, who, id),
        )
        .await?;
        Ok(ReportNode(made))
    }

    /// Change a draft or returned report, as its unit.
    async fn update_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UpdateReportInput,
    ) -> Result<ReportNode> {
        let id = uuid_of("id", "Report", &id)?;
        Ok(ReportNode(
            report::update(db(ctx), caller(ctx)?, id, version, input.domain())
                .await
                .gql()?,
        ))
    }

    /// Delete a draft that was never submitted, as its unit; answers its `id`.
    async fn delete_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Report", &id)?;
        report::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Report", id))
    }

    /// Submit a draft or returned report (报送), as its unit.
    async fn submit_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "Optional: the version read.")] version: Option<i32>,
    ) -> Result<ReportNode> {
        move_report(ctx, &id, version, Transition::Submit).await
    }

    /// Comment on a submitted, returned or approved report, as its unit or
    /// its reviewer.
    async fn add_report_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] report_id: ID,
        #[graphql(desc = "At most 2000 characters.")] body: String,
    ) -> Result<crate::graphql::types::report::ReportCommentObject> {
        let id = uuid_of("reportId", "Report", &report_id)?;
        let added = crate::domain::comment::add(db(ctx), caller(ctx)?, id, &body)
            .await
            .gql()?;
        Ok(crate::graphql::types::report::ReportCommentObject(added))
    }

    /// Record a project (援建项目) of a pairing, issued (下达), as a
    /// coordinator of either side. Money in 万元, or with its unit (`"1.2亿元"`).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreateProjectInput,
        #[graphql(desc = "Makes a retried request create nothing twice.")] idempotency_key: Option<String>,
    ) -> Result<ProjectNode> {
        let (conn, who) = (db(ctx), caller(ctx)?);
        let new = input.domain_ref()?;
        let made = idempotent(
            ctx,
            idempotency_key.as_deref(),
            "graphql createProject",
            &input,
            async |txn| project::create(txn, who, new).await,
            |id| project::get(conn, who, id),
        )
        .await?;
        Ok(ProjectNode(made))
    }

    /// Change what a project is, as a coordinator of its pairing.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to change.")] input: UpdateProjectInput,
    ) -> Result<ProjectNode> {
        let id = uuid_of("id", "Project", &id)?;
        Ok(ProjectNode(
            project::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Record a milestone of a project (开工, 完工, 验收; 取消 by a
    /// coordinator), as its implementing unit or a coordinator.
    async fn record_project_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "STARTED, COMPLETED, ACCEPTED (later than the project's), or CANCELLED.")]
        status: ProjectStatus,
        #[graphql(desc = "The day; today when absent (and the milestone says so).")] occurred_on: Option<NaiveDate>,
        #[graphql(desc = "A note, at most 2000 characters.")] note: Option<String>,
        #[graphql(desc = "Optional: the version read.")] version: Option<i32>,
    ) -> Result<ProjectNode> {
        let id = uuid_of("id", "Project", &id)?;
        let input = project::NewMilestone {
            status: status.into(),
            occurred_on,
            note,
        };
        Ok(ProjectNode(
            project::record_milestone(db(ctx), caller(ctx)?, id, version, input)
                .await
                .gql()?,
        ))
    }

    /// Record money moved on a project: an allocation (拨付, a
    /// coordinator's) or spending (支出, the implementing unit's or a
    /// coordinator's; beyond the allocations only a coordinator, with a reason).
    async fn record_fund_movement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project's `id` or `uuid`.")] project_id: ID,
        #[graphql(desc = "The money moved.")] input: FundMovementInput,
    ) -> Result<FundMovementObject> {
        let id = uuid_of("projectId", "Project", &project_id)?;
        let input = project::NewFundMovement {
            kind: input.kind.into(),
            occurred_on: input.occurred_on,
            amount: input.amount.0,
            source: input.source.into(),
            purpose: input.purpose,
            reason: input.reason,
            note: input.note,
        };
        Ok(project::record_fund_movement(db(ctx), caller(ctx)?, id, input)
            .await
            .gql()?
            .into())
    }

    /// Add a category at the end of the project catalogue, as an administrator.
    async fn create_project_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Lower-case letters, digits and `_`.")] code: String,
        #[graphql(desc = "文化旅游.")] name: String,
    ) -> Result<ProjectCategoryObject> {
        Ok(project::create_category(db(ctx), caller(ctx)?, &code, &name)
            .await
            .gql()?
            .into())
    }

    /// Mark one of the caller's notifications read.
    async fn mark_notification_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notification's `id` or `uuid`.")] id: ID,
    ) -> Result<NotificationNode> {
        let id = uuid_of("id", "Notification", &id)?;
        Ok(NotificationNode(
            notification::mark_read(db(ctx), caller(ctx)?, id).await.gql()?,
        ))
    }

    /// Mark every unread notification of the caller read; answers how many.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<u64> {
        notification::mark_all_read(db(ctx), caller(ctx)?).await.gql()
    }

    /// Urge a unit on a task (催办), as a coordinator of its plan,
    /// perhaps naming an owed report's period; the unit's users are notified.
    async fn urge_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's `id` or `uuid`.")] task_id: ID,
        #[graphql(desc = "The unit urged: one working on the task.")] unit_id: ID,
        #[graphql(desc = "What to say, at most 2000 characters.")] message: String,
        #[graphql(desc = "The owed report's period, e.g. `2025-Q3`.")] period: Option<ReportPeriod>,
    ) -> Result<UrgingObject> {
        let task_id = uuid_of("taskId", "Task", &task_id)?;
        let input = urging::NewUrging {
            unit_id: uuid_of("unitId", "Unit", &unit_id)?,
            message,
            period,
        };
        Ok(urging::urge(db(ctx), caller(ctx)?, task_id, input).await.gql()?.into())
    }

    /// Ask for a later deadline on a task (延期申请), as its lead unit: a day
    /// after today; the plan's coordinators are notified.
    async fn request_extension(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's `id` or `uuid`.")] task_id: ID,
        #[graphql(desc = "The deadline asked for.")] deadline: NaiveDate,
        #[graphql(desc = "Why, at most 2000 characters.")] reason: String,
    ) -> Result<ExtensionObject> {
        let task_id = uuid_of("taskId", "Task", &task_id)?;
        Ok(extension::request(db(ctx), caller(ctx)?, task_id, deadline, &reason)
            .await
            .gql()?
            .into())
    }

    /// Approve a request for more time, as a coordinator of the plan: the
    /// task's deadline moves.
    async fn approve_extension(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `uuid`.")] id: ID,
        #[graphql(desc = "Optional: why.")] reason: Option<String>,
    ) -> Result<ExtensionObject> {
        let id = uuid_of("id", "Extension", &id)?;
        Ok(
            extension::decide(db(ctx), caller(ctx)?, id, extension::Decision::Approve { reason })
                .await
                .gql()?
                .into(),
        )
    }

    /// Refuse a request for more time with a reason, as a coordinator of the plan.
    async fn refuse_extension(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `uuid`.")] id: ID,
        #[graphql(desc = "Why not, at most 2000 characters.")] reason: String,
    ) -> Result<ExtensionObject> {
        let id = uuid_of("id", "Extension", &id)?;
        Ok(
            extension::decide(db(ctx), caller(ctx)?, id, extension::Decision::Refuse { reason })
                .await
                .gql()?
                .into(),
        )
    }

    /// Recall a submitted report before it is reviewed (撤回), as its
    /// unit: it becomes a draft again.
    async fn recall_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "Optional: the version read.")] version: Option<i32>,
    ) -> Result<ReportNode> {
        move_report(ctx, &id, version, Transition::Recall).await
    }

    /// Approve a submitted report (审核通过): a supporting unit's by the
    /// task's lead unit, a consolidated one by the plan's coordinator.
    async fn approve_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "Optional: the version read.")] version: Option<i32>,
    ) -> Result<ReportNode> {
        move_report(ctx, &id, version, Transition::Approve).await
    }

    /// Return a submitted report to its unit (退回) with a reason.
    async fn return_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "Why it goes back (退回原因).")] reason: String,
        #[graphql(desc = "Optional: the version read.")] version: Option<i32>,
    ) -> Result<ReportNode> {
        move_report(ctx, &id, version, Transition::Return { reason }).await
    }

    // ------------------------------------------------- users and clients

    /// Create a user (用户): for administrators.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreateUserInput,
    ) -> Result<UserNode> {
        Ok(UserNode(
            user::create(db(ctx), caller(ctx)?, input.domain()?).await.gql()?,
        ))
    }

    /// Change a user's role, unit, name, or disable it: for administrators.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        #[graphql(desc = "What to write.")] input: UpdateUserInput,
    ) -> Result<UserNode> {
        let id = uuid_of("id", "User", &id)?;
        Ok(UserNode(
            user::update(db(ctx), caller(ctx)?, id, version, input.domain()?)
                .await
                .gql()?,
        ))
    }

    /// Set a new password for a user (重置密码): for administrators; the user's sessions end.
    async fn reset_user_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The new password.", secret)] password: String,
    ) -> Result<bool> {
        let id = uuid_of("id", "User", &id)?;
        user::reset_password(db(ctx), caller(ctx)?, id, &password).await.gql()?;
        Ok(true)
    }

    /// Change one's own password (修改密码); every session of the user ends.
    async fn change_my_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password now.", secret)] current_password: String,
        #[graphql(desc = "The new password.", secret)] new_password: String,
    ) -> Result<bool> {
        user::change_own_password(db(ctx), caller(ctx)?, &current_password, &new_password)
            .await
            .gql()?;
        Ok(true)
    }

    /// Create an integration client (对接平台); its secret is in this answer only.
    async fn create_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to write.")] input: CreateClientInput,
    ) -> Result<IssuedClientObject> {
        let input = client::NewClient {
            client_id: input.client_id,
            name: input.name,
            scopes: input.scopes,
            default_scopes: input.default_scopes,
        };
        Ok(IssuedClientObject(
            client::create(db(ctx), caller(ctx)?, input).await.gql()?,
        ))
    }

    /// Register a webhook endpoint (变更推送), as an administrator or an
    /// integration client; its secret is in this answer only.
    async fn create_webhook(&self, ctx: &Context<'_>, input: CreateWebhookInput) -> Result<WebhookWithSecretObject> {
        let allow_private = state(ctx).webhooks.allow_private;
        Ok(WebhookWithSecretObject(
            webhook::create(db(ctx), caller(ctx)?, input.domain()?, allow_private)
                .await
                .gql()?,
        ))
    }

    /// Change a webhook endpoint's URL, events, filter or status.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
        input: UpdateWebhookInput,
    ) -> Result<WebhookNode> {
        let id = uuid_of("id", "Webhook", &id)?;
        let allow_private = state(ctx).webhooks.allow_private;
        Ok(WebhookNode(
            webhook::update(db(ctx), caller(ctx)?, id, version, input.domain()?, allow_private)
                .await
                .gql()?,
        ))
    }

    /// Remove a webhook endpoint and its delivery log.
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<ID> {
        let id = uuid_of("id", "Webhook", &id)?;
        webhook::delete(db(ctx), caller(ctx)?, id, version).await.gql()?;
        Ok(global_id("Webhook", id))
    }

    /// Give a webhook endpoint a new secret (in this answer only); both
    /// sign for 24 hours.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's `id` or `uuid`.")] id: ID,
    ) -> Result<WebhookWithSecretObject> {
        let id = uuid_of("id", "Webhook", &id)?;
        Ok(WebhookWithSecretObject(
            webhook::rotate_secret(db(ctx), caller(ctx)?, id).await.gql()?,
        ))
    }

    /// Send a webhook endpoint a `webhook.test` event now.
    async fn test_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's `id` or `uuid`.")] id: ID,
    ) -> Result<DeliveryNode> {
        let id = uuid_of("id", "Webhook", &id)?;
        Ok(DeliveryNode(webhook::test(db(ctx), caller(ctx)?, id).await.gql()?))
    }

    /// Send a webhook delivery again now, with the same `webhook-id`.
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery's `id` or `uuid`.")] id: ID,
    ) -> Result<DeliveryNode> {
        let id = uuid_of("id", "WebhookDelivery", &id)?;
        Ok(DeliveryNode(webhook::redeliver(db(ctx), caller(ctx)?, id).await.gql()?))
    }

    /// Give a client a new secret (in this answer only); the old one stops working.
    async fn rotate_client_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id` or `uuid`.")] id: ID,
    ) -> Result<IssuedClientObject> {
        let id = uuid_of("id", "IntegrationClient", &id)?;
        Ok(IssuedClientObject(
            client::rotate_secret(db(ctx), caller(ctx)?, id).await.gql()?,
        ))
    }

    /// Give a client a grant: a region, a pairing, a plan or every row
    /// (`kind`), to read or also to write (`scope`); answers the grant (the
    /// one it holds, if it holds the same already).
    async fn add_client_grant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id` or `uuid`.")] id: ID,
        input: ClientGrantInput,
    ) -> Result<ClientGrantObject> {
        let id = uuid_of("id", "IntegrationClient", &id)?;
        let (grant, _) = client::grants::add(db(ctx), caller(ctx)?, id, input.domain()?)
            .await
            .gql()?;
        Ok(ClientGrantObject(grant))
    }

    /// Take a grant from a client; answers the grant's `id`.
    async fn remove_client_grant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id` or `uuid`.")] id: ID,
        #[graphql(desc = "The grant's `id` or `uuid`.")] grant_id: ID,
    ) -> Result<ID> {
        let id = uuid_of("id", "IntegrationClient", &id)?;
        let grant = uuid_of("grantId", "ClientGrant", &grant_id)?;
        client::grants::remove(db(ctx), caller(ctx)?, id, grant).await.gql()?;
        Ok(global_id("ClientGrant", grant))
    }

    /// Revoke a client: its secret buys no more tokens.
    async fn revoke_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id` or `uuid`.")] id: ID,
    ) -> Result<ClientNode> {
        let id = uuid_of("id", "IntegrationClient", &id)?;
        Ok(ClientNode(client::revoke(db(ctx), caller(ctx)?, id).await.gql()?))
    }
}

async fn move_plan(ctx: &Context<'_>, id: &ID, version: i32, step: PlanTransition) -> Result<PlanNode> {
    let id = uuid_of("id", "Plan", id)?;
    Ok(PlanNode(
        plan::transition(db(ctx), caller(ctx)?, id, version, step).await.gql()?,
    ))
}

async fn move_report(ctx: &Context<'_>, id: &ID, version: Option<i32>, step: Transition) -> Result<ReportNode> {
    let id = uuid_of("id", "Report", id)?;
    let moved = report::transition(db(ctx), caller(ctx)?, id, version, step)
        .await
        .gql()?;
    Ok(ReportNode(moved))
}
