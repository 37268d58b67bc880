//! Projects and funds (援建项目, 协同资金): the ledger, its milestones and
//! money, and its figures.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::plan::{PlanNode, TaskNode};
use super::reference::{PairingNode, RegionNode, UnitNode, load_pairing, load_region, load_unit};
use crate::domain::project::figures::{ProjectFigures, ProjectStatistics};
use crate::domain::project::{
    self, FundMovement, Milestone, Money, NewProject, Project, ProjectCategory, ProjectChanges,
};
use crate::domain::values::Amount;
use crate::graphql::connection::connection;
use crate::graphql::context::{caller, db, loader};
use crate::graphql::error::DomainResultExt;
use crate::graphql::ids::{global_id, uuid_of, uuid_opt};
use crate::graphql::loaders::{PlanKey, TaskKey};
use crate::graphql::scalars::{FundKind, FundSource, ProjectStatus};

/// A project (援建项目) of a pairing.
pub struct ProjectNode(pub Project);

/// A project (援建项目) of a pairing: its plan and money, in 万元.
#[Object(name = "Project")]
impl ProjectNode {
    /// The files attached to it (佐证材料), oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::types::attachment::AttachmentNode>> {
        crate::graphql::types::attachment::attachments_of(
            ctx,
            crate::domain::attachment::ParentKind::Project,
            self.0.id,
        )
        .await
    }
    /// The global id (Relay `Node`).
    pub(crate) async fn id(&self) -> ID {
        global_id("Project", self.0.id)
    }
    /// The REST id.
    pub(crate) async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The pairing's global id.
    async fn pairing_id(&self) -> ID {
        global_id("Pairing", self.0.pairing_id)
    }
    /// The pairing.
    async fn pairing(&self, ctx: &Context<'_>) -> Result<Option<PairingNode>> {
        load_pairing(ctx, self.0.pairing_id).await
    }
    /// The year of the pairing's work it belongs to.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// The plan it serves, as the caller may see it.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        match self.0.plan_id {
            Some(id) => Ok(loader(ctx)?.load_one(PlanKey(id)).await?.map(PlanNode)),
            None => Ok(None),
        }
    }
    /// The task it serves, as the caller may see it.
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<TaskNode>> {
        match self.0.task_id {
            Some(id) => Ok(loader(ctx)?.load_one(TaskKey(id)).await?.map(TaskNode)),
            None => Ok(None),
        }
    }
    /// 巫溪县中医院康复大楼建设项目.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The category's code (`medical`).
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// The category's name (医疗).
    async fn category_name(&self) -> &str {
        &self.0.category_name
    }
    /// Where it is built: the pairing's recipient region.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<RegionNode>> {
        load_region(ctx, self.0.region_id).await
    }
    /// The town or park, in words.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// 建设内容.
    async fn content(&self) -> Option<&str> {
        self.0.content.as_deref()
    }
    /// The implementing unit (实施单位).
    async fn implementing_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        load_unit(ctx, self.0.implementing_unit_id).await
    }
    /// The implementing unit's global id.
    async fn implementing_unit_id(&self) -> ID {
        global_id("Unit", self.0.implementing_unit_id)
    }
    /// The helping side's lead unit, when named.
    async fn helper_lead_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        match self.0.helper_lead_unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The receiving side's lead unit, when named.
    async fn recipient_lead_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitNode>> {
        match self.0.recipient_lead_unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Planned total investment (总投资), 万元.
    async fn investment(&self) -> Amount {
        self.0.investment
    }
    /// Planned pairing funds (协同资金), 万元.
    async fn pairing_funds(&self) -> Amount {
        self.0.pairing_funds
    }
    /// Allocated so far (拨付), 万元.
    async fn allocated(&self) -> Amount {
        self.0.allocated
    }
    /// Spent so far (支出), 万元.
    async fn spent(&self) -> Amount {
        self.0.spent
    }
    /// Its id in another system.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// Its latest milestone.
    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }
    /// The day its latest milestone was reached.
    async fn status_since(&self) -> Option<NaiveDate> {
        self.0.status_since
    }
    /// Its milestones, in the order reached.
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<MilestoneObject>> {
        let found = project::milestones(db(ctx), caller(ctx)?, self.0.id).await.gql()?;
        Ok(found.into_iter().map(MilestoneObject::from).collect())
    }
    /// Its money moved, in the order it happened.
    async fn fund_movements(&self, ctx: &Context<'_>) -> Result<Vec<FundMovementObject>> {
        let found = project::fund_movements(db(ctx), caller(ctx)?, self.0.id).await.gql()?;
        Ok(found.into_iter().map(FundMovementObject::from).collect())
    }
    /// When it was recorded (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The version (its ETag in REST).
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection!(
    /// A page of projects.
    ProjectConnection,
    ProjectEdge,
    ProjectNode,
    "A project in a page, with its cursor."
);

/// A milestone of a project.
#[derive(SimpleObject)]
#[graphql(name = "ProjectMilestone")]
pub struct MilestoneObject {
    /// The REST id.
    pub uuid: Uuid,
    /// The status reached.
    pub status: ProjectStatus,
    /// The day reached; when the ledger gave none, the day it was recorded.
    pub occurred_on: NaiveDate,
    /// Whether `occurredOn` was given.
    pub dated: bool,
    /// A note.
    pub note: Option<String>,
    /// Who recorded it, as they signed in.
    pub recorded_by_name: String,
}

impl From<Milestone> for MilestoneObject {
    fn from(m: Milestone) -> Self {
        MilestoneObject {
            uuid: m.id,
            status: m.status.into(),
            occurred_on: m.occurred_on,
            dated: m.dated,
            note: m.note,
            recorded_by_name: m.recorded_by_name,
        }
    }
}

/// Money moved into (拨付) or out of (支出) a project, 万元.
#[derive(SimpleObject)]
#[graphql(name = "FundMovement")]
pub struct FundMovementObject {
    /// The REST id.
    pub uuid: Uuid,
    /// ALLOCATION (拨付) or SPENDING (支出).
    pub kind: FundKind,
    /// The day it happened.
    pub occurred_on: NaiveDate,
    /// 万元, more than 0.
    pub amount: Amount,
    /// Where the money came from.
    pub source: FundSource,
    /// What it is for, as written (设备购置).
    pub purpose: String,
    /// Why spending went beyond the allocations, when it did.
    pub reason: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Who recorded it, as they signed in.
    pub recorded_by_name: String,
}

impl From<FundMovement> for FundMovementObject {
    fn from(m: FundMovement) -> Self {
        FundMovementObject {
            uuid: m.id,
            kind: m.kind.into(),
            occurred_on: m.occurred_on,
            amount: m.amount,
            source: m.source.into(),
            purpose: m.purpose,
            reason: m.reason,
            note: m.note,
            recorded_by_name: m.recorded_by_name,
        }
    }
}

/// A category of the catalogue.
#[derive(SimpleObject)]
#[graphql(name = "ProjectCategory")]
pub struct ProjectCategoryObject {
    /// The REST id.
    pub uuid: Uuid,
    /// `industry`, `education` …
    pub code: String,
    /// The name.
    pub name: String,
    /// Where it stands in the catalogue.
    pub position: i32,
}

impl From<ProjectCategory> for ProjectCategoryObject {
    fn from(c: ProjectCategory) -> Self {
        ProjectCategoryObject {
            uuid: c.id,
            code: c.code,
            name: c.name,
            position: c.position,
        }
    }
}

/// The figures of a set of projects (cancelled ones only counted in `cancelled`).
#[derive(SimpleObject)]
#[graphql(name = "ProjectFigures")]
pub struct ProjectFiguresObject {
    /// Projects issued by the day, cancelled ones left out.
    pub count: u64,
    /// Projects cancelled by the day.
    pub cancelled: u64,
    /// Started, completed and accepted ones included.
    pub started: u64,
    /// `started` ÷ `count`, a percent with two decimals.
    pub start_rate: Option<String>,
    /// Completed, accepted ones included.
    pub completed: u64,
    /// Planned total investment, 万元.
    pub investment: Amount,
    /// Planned pairing funds, 万元.
    pub pairing_funds: Amount,
    /// Allocated by the day, 万元.
    pub allocated: Amount,
    /// Spent by the day, 万元.
    pub spent: Amount,
}

impl From<ProjectFigures> for ProjectFiguresObject {
    fn from(f: ProjectFigures) -> Self {
        ProjectFiguresObject {
            count: f.count,
            cancelled: f.cancelled,
            started: f.started,
            start_rate: f.start_rate,
            completed: f.completed,
            investment: f.investment,
            pairing_funds: f.pairing_funds,
            allocated: f.allocated,
            spent: f.spent,
        }
    }
}

/// The figures of one pairing, helping region or category.
#[derive(SimpleObject)]
#[graphql(name = "ProjectFiguresOf")]
pub struct FiguresOfObject {
    /// The pairing's or region's REST id; the category's code.
    pub key: String,
    /// 渝中区·巫溪县, 渝中区, 教育.
    pub name: String,
    /// The figures.
    pub figures: ProjectFiguresObject,
}

/// Money moved for a purpose or from a source, 万元.
#[derive(SimpleObject)]
#[graphql(name = "MoneyMoved")]
pub struct MoneyMovedObject {
    /// The purpose as written, or the source (`helper`, `co_helper`, `city`, `society`).
    pub key: String,
    /// Allocated by the day, 万元.
    pub allocated: Amount,
    /// Spent by the day, 万元.
    pub spent: Amount,
}

/// The ledger's figures, city-wide over what the caller sees and broken down.
#[derive(SimpleObject)]
#[graphql(name = "ProjectStatistics")]
pub struct ProjectStatisticsObject {
    /// The day they are as of.
    pub as_of: NaiveDate,
    /// City-wide, over what the caller sees.
    pub total: ProjectFiguresObject,
    /// By pairing, by name.
    pub by_pairing: Vec<FiguresOfObject>,
    /// By main helping region (a co-helper's pairing counts under its main helper).
    pub by_helper_region: Vec<FiguresOfObject>,
    /// By category, in the catalogue's order.
    pub by_category: Vec<FiguresOfObject>,
    /// Money by purpose, as written.
    pub by_purpose: Vec<MoneyMovedObject>,
    /// Money by source: helper, co_helper, city, society.
    pub by_source: Vec<MoneyMovedObject>,
}

impl From<ProjectStatistics> for ProjectStatisticsObject {
    fn from(s: ProjectStatistics) -> Self {
        ProjectStatisticsObject {
            as_of: s.as_of,
            total: ProjectFiguresObject {
                count: s.count,
                cancelled: s.cancelled,
                started: s.started,
                start_rate: s.start_rate,
                completed: s.completed,
                investment: s.investment,
                pairing_funds: s.pairing_funds,
                allocated: s.allocated,
                spent: s.spent,
            },
            by_pairing: s
                .by_pairing
                .into_iter()
                .map(|p| FiguresOfObject {
                    key: p.pairing_id.to_string(),
                    name: p.name,
                    figures: p.figures.into(),
                })
                .collect(),
            by_helper_region: s
                .by_helper_region
                .into_iter()
                .map(|r| FiguresOfObject {
                    key: r.region_id.to_string(),
                    name: r.name,
                    figures: r.figures.into(),
                })
                .collect(),
            by_category: s
                .by_category
                .into_iter()
                .map(|c| FiguresOfObject {
                    key: c.category,
                    name: c.name,
                    figures: c.figures.into(),
                })
                .collect(),
            by_purpose: s
                .by_purpose
                .into_iter()
                .map(|p| MoneyMovedObject {
                    key: p.purpose,
                    allocated: p.allocated,
                    spent: p.spent,
                })
                .collect(),
            by_source: s
                .by_source
                .into_iter()
                .map(|p| MoneyMovedObject {
                    key: p.source.as_str().to_owned(),
                    allocated: p.allocated,
                    spent: p.spent,
                })
                .collect(),
        }
    }
}

/// A project to record.
#[derive(InputObject, serde::Serialize)]
pub struct CreateProjectInput {
    /// The pairing's `id` or `uuid`.
    pub pairing_id: ID,
    /// The year of the pairing's work it belongs to.
    pub year: i32,
    /// The plan it serves.
    pub plan_id: Option<ID>,
    /// The task it serves; its plan is taken from it.
    pub task_id: Option<ID>,
    /// The name.
    pub name: String,
    /// A category's code or name.
    pub category: String,
    /// The town or park, in words.
    pub location: Option<String>,
    /// 建设内容.
    pub content: Option<String>,
    /// The implementing unit (实施单位).
    pub implementing_unit_id: ID,
    /// The helping side's lead unit.
    pub helper_lead_unit_id: Option<ID>,
    /// The receiving side's lead unit.
    pub recipient_lead_unit_id: Option<ID>,
    /// Planned total investment: `"1.2亿元"`, `"3000"` (万元).
    pub investment: Money,
    /// Planned pairing funds.
    pub pairing_funds: Money,
    /// Its id in another system.
    pub external_id: Option<String>,
    /// The day it was issued (下达); today when absent.
    pub issued_on: Option<NaiveDate>,
}

impl CreateProjectInput {
    pub fn domain_ref(&self) -> Result<NewProject> {
        Ok(NewProject {
            pairing_id: uuid_of("pairingId", "Pairing", &self.pairing_id)?,
            year: self.year,
            plan_id: uuid_opt("planId", "Plan", self.plan_id.as_ref())?,
            task_id: uuid_opt("taskId", "Task", self.task_id.as_ref())?,
            name: self.name.clone(),
            category: self.category.clone(),
            location: self.location.clone(),
            content: self.content.clone(),
            implementing_unit_id: uuid_of("implementingUnitId", "Unit", &self.implementing_unit_id)?,
            helper_lead_unit_id: uuid_opt("helperLeadUnitId", "Unit", self.helper_lead_unit_id.as_ref())?,
            recipient_lead_unit_id: uuid_opt("recipientLeadUnitId", "Unit", self.recipient_lead_unit_id.as_ref())?,
            investment: self.investment.0,
            pairing_funds: self.pairing_funds.0,
            external_id: self.external_id.clone(),
            issued_on: self.issued_on,
        })
    }
}

/// What changes in a project: an absent field stays, `null` clears.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// The year of the pairing's work it belongs to.
    pub year: Option<i32>,
    /// The plan it serves.
    pub plan_id: MaybeUndefined<ID>,
    /// The task it serves.
    pub task_id: MaybeUndefined<ID>,
    /// The name.
    pub name: Option<String>,
    /// A category's code or name.
    pub category: Option<String>,
    /// The town or park, in words.
    pub location: MaybeUndefined<String>,
    /// 建设内容.
    pub content: MaybeUndefined<String>,
    /// The implementing unit (实施单位).
    pub implementing_unit_id: Option<ID>,
    /// The helping side's lead unit.
    pub helper_lead_unit_id: MaybeUndefined<ID>,
    /// The receiving side's lead unit.
    pub recipient_lead_unit_id: MaybeUndefined<ID>,
    /// Planned total investment.
    pub investment: Option<Money>,
    /// Planned pairing funds.
    pub pairing_funds: Option<Money>,
    /// Its id in another system.
    pub external_id: MaybeUndefined<String>,
}

/// An absent id stays, `null` clears, a value sets.
fn id_change(field: &str, type_name: &str, value: &MaybeUndefined<ID>) -> Result<Option<Option<Uuid>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(uuid_of(field, type_name, id)?)),
    })
}

fn text_change(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl UpdateProjectInput {
    pub fn domain(self) -> Result<ProjectChanges> {
        Ok(ProjectChanges {
            year: self.year,
            plan_id: id_change("planId", "Plan", &self.plan_id)?,
            task_id: id_change("taskId", "Task", &self.task_id)?,
            name: self.name,
            category: self.category,
            location: text_change(self.location),
            content: text_change(self.content),
            implementing_unit_id: self
                .implementing_unit_id
                .as_ref()
                .map(|id| uuid_of("implementingUnitId", "Unit", id))
                .transpose()?,
            helper_lead_unit_id: id_change("helperLeadUnitId", "Unit", &self.helper_lead_unit_id)?,
            recipient_lead_unit_id: id_change("recipientLeadUnitId", "Unit", &self.recipient_lead_unit_id)?,
            investment: self.investment.map(|m| m.0),
            pairing_funds: self.pairing_funds.map(|m| m.0),
            external_id: text_change(self.external_id),
        })
    }
}

/// Money moved.
#[derive(InputObject)]
pub struct FundMovementInput {
    /// ALLOCATION (拨付) or SPENDING (支出).
    pub kind: FundKind,
    /// The day it happened.
    pub occurred_on: NaiveDate,
    /// More than 0: `"300"` (万元), `"0.03亿元"`.
    pub amount: Money,
    /// Where the money came from.
    pub source: FundSource,
    /// What it is for, as written (设备购置).
    pub purpose: String,
    /// Why spending goes beyond the allocations (a coordinator's).
    pub reason: Option<String>,
    /// A note.
    pub note: Option<String>,
}
