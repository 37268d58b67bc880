//! Projects and funds (援建项目, 协同资金): the ledger behind the city's
//! headline figures. A project belongs to a pairing and a year (and maybe
//! to the plan and task it serves) and is carried out in the recipient
//! region by its implementing unit (实施单位). Its status is its latest
//! milestone: issued (下达) → started (开工) → completed (完工) → accepted
//! (验收), or cancelled. Its money moves as allocations (拨付) and spending
//! (支出), each from a source for a purpose. Every amount is in 万元; the
//! API takes 亿元 and 元 too (`"1.2亿元"`) and converts at the edge.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{fund_movements, pairings, plans, project_categories, project_milestones, projects, tasks, units};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz::{self, ProjectAccess, Visibility};
use super::error::Validator;
use super::external;
use super::page::{self, Page, PageRequest, Sort};
use super::region::parse_stored;
use super::values::{Amount, FundKind, FundSource, ProjectStatus};
use super::{Caller, DomainError, DomainResult, Store, begin_write, expect_version, lost_update};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["name", "created_at", "updated_at"];

/// A category's code, as `create_category` checks it.
pub const CATEGORY_CODE_PATTERN: &str = "^[a-z0-9_]{1,64}$";

const ENTITY: &str = "project";

/// An amount of money as the API takes it: a decimal in 万元, or followed
/// by its unit (`"1.2亿元"`, `"3000万元"`, `"500000元"`); kept in 万元.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money(pub Amount);

impl Money {
    /// Reads `text` as an amount of money in 万元.
    pub fn parse(text: &str) -> Result<Money, String> {
        let text = text.trim();
        let (number, unit) = ["亿元", "万元", "元"]
            .iter()
            .find_map(|unit| text.strip_suffix(unit).map(|n| (n.trim(), *unit)))
            .unwrap_or((text, "万元"));
        let not_money = || {
            format!("`{text}` is not an amount of money: write it in 万元, or with its unit (`1.2亿元`, `500000元`)")
        };
        if number.is_empty()
            || !number
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
        {
            return Err(not_money());
        }
        let value = rust_decimal::Decimal::from_str_exact(number).map_err(|_| not_money())?;
        let wan = rust_decimal::Decimal::from(10_000);
        let in_wan = match unit {
            "亿元" => value.checked_mul(wan),
            "元" => value.checked_div(wan),
            _ => Some(value),
        }
        .ok_or_else(|| format!("`{text}` is too large"))?;
        Amount::from_decimal(in_wan).map(Money).map_err(|e| match e {
            super::values::AmountError::TooPrecise => format!("`{text}` is finer than 1元 (0.0001万元)"),
            other => format!("`{text}`: {other}"),
        })
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let text = String::deserialize(d)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "An amount of money: a decimal in 万元, or followed by its unit (\"1.2亿元\", \"3000万元\", \"500000元\"); kept in 万元, exact to 1元.",
            ))
            // Exact to 1元 and within what an amount stores (see Amount):
            // 4 decimal places in 万元, 8 in 亿元, none in 元.
            .pattern(Some(
                r"^([0-9]{1,14}(\.[0-9]{1,4})?(万元)?|[0-9]{1,10}(\.[0-9]{1,8})?亿元|[0-9]{1,18}元)$",
            ))
            .examples([serde_json::json!("1.2亿元")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

/// A category of the catalogue (产业, 基础设施 …), which administrators extend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProjectCategory {
    pub id: Uuid,
    /// `industry`, `education` …
    pub code: String,
    /// 产业, 教育 …
    pub name: String,
    /// Where it stands in the catalogue.
    pub position: i32,
}

impl From<project_categories::Model> for ProjectCategory {
    fn from(m: project_categories::Model) -> ProjectCategory {
        ProjectCategory {
            id: m.id,
            code: m.code,
            name: m.name,
            position: m.position,
        }
    }
}

/// The catalogue of project categories, in its order.
pub async fn categories<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<Vec<ProjectCategory>> {
    authz::require_reader(&caller.principal)?;
    Ok(project_categories::Entity::find()
        .order_by_asc(project_categories::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(ProjectCategory::from)
        .collect())
}

/// Adds a category at the end of the catalogue, as an administrator.
pub async fn create_category(
    db: &impl Store,
    caller: &Caller,
    code: &str,
    name: &str,
) -> DomainResult<ProjectCategory> {
    authz::require_admin(&caller.principal, "extend the project categories")?;
    let mut v = Validator::new();
    v.check(
        !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "code",
        "lower-case letters, digits and _, at most 64",
    );
    v.text("name", name, 100);
    v.finish()?;
    let txn = begin_write(db).await?;
    let position = project_categories::Entity::find()
        .order_by_desc(project_categories::Column::Position)
        .one(&txn)
        .await?
        .map_or(0, |c| c.position + 1);
    let at = caller.now();
    let made = ProjectCategory::from(
        project_categories::ActiveModel {
            id: Set(Uuid::new_v4()),
            code: Set(code.to_owned()),
            name: Set(name.trim().to_owned()),
            position: Set(position),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
        }
        .insert(&txn)
        .await?,
    );
    audit::commit(txn, caller, Change::created("project_category", Some(made.id), &made)?).await?;
    Ok(made)
}

/// A project (援建项目) as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub pairing_id: Uuid,
    /// The year of the pairing's work it belongs to.
    pub year: i32,
    /// The plan (任务清单) it serves, when one.
    pub plan_id: Option<Uuid>,
    /// The task (重点任务) it serves, when one.
    pub task_id: Option<Uuid>,
    /// 巫溪县中医院康复大楼建设项目
    pub name: String,
    /// The category's code (`medical`).
    pub category: String,
    /// The category's name (医疗).
    pub category_name: String,
    /// Where it is built: the pairing's recipient region.
    pub region_id: Uuid,
    /// The town or park, in words (宁河街道).
    pub location: Option<String>,
    /// 建设内容.
    pub content: Option<String>,
    /// The implementing unit (实施单位).
    pub implementing_unit_id: Uuid,
    /// The lead unit of the helping side, when named.
    pub helper_lead_unit_id: Option<Uuid>,
    /// The lead unit of the receiving side, when named.
    pub recipient_lead_unit_id: Option<Uuid>,
    /// Planned total investment (总投资), in 万元.
    pub investment: Amount,
    /// Planned pairing funds (协同资金), in 万元.
    pub pairing_funds: Amount,
    /// Allocated so far (拨付), in 万元.
    pub allocated: Amount,
    /// Spent so far (支出), in 万元.
    pub spent: Amount,
    /// The project's id in another system (a provincial ledger).
    pub external_id: Option<String>,
    pub status: ProjectStatus,
    /// The day its latest milestone was reached.
    pub status_since: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A milestone of a project: the status reached and the day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Milestone {
    pub id: Uuid,
    pub project_id: Uuid,
    pub status: ProjectStatus,
    /// The day it was reached; when the ledger gave none, the day it was
    /// recorded (`dated` is false).
    pub occurred_on: NaiveDate,
    /// Whether `occurred_on` was given, not taken from the day it was recorded.
    pub dated: bool,
    pub note: Option<String>,
    /// Who recorded it, as they signed in.
    pub recorded_by_name: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<project_milestones::Model> for Milestone {
    type Error = DomainError;
    fn try_from(m: project_milestones::Model) -> DomainResult<Milestone> {
        Ok(Milestone {
            id: m.id,
            project_id: m.project_id,
            status: parse_stored(&m.status)?,
            occurred_on: m.occurred_on,
            dated: m.dated,
            note: m.note,
            recorded_by_name: m.recorded_by_name,
            created_at: m.created_at,
        })
    }
}

/// Money moved into (拨付) or out of (支出) a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FundMovement {
    pub id: Uuid,
    pub project_id: Uuid,
    pub kind: FundKind,
    pub occurred_on: NaiveDate,
    /// In 万元, more than 0.
    pub amount: Amount,
    pub source: FundSource,
    /// 基础设施建设, 设备购置 …, as written.
    pub purpose: String,
    /// Why spending went beyond the allocations, when it did.
    pub reason: Option<String>,
    pub note: Option<String>,
    pub recorded_by_name: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<fund_movements::Model> for FundMovement {
    type Error = DomainError;
    fn try_from(m: fund_movements::Model) -> DomainResult<FundMovement> {
        Ok(FundMovement {
            id: m.id,
            project_id: m.project_id,
            kind: parse_stored(&m.kind)?,
            occurred_on: m.occurred_on,
            amount: Amount::from_scaled(m.amount_e4),
            source: parse_stored(&m.source)?,
            purpose: m.purpose,
            reason: m.reason,
            note: m.note,
            recorded_by_name: m.recorded_by_name,
            created_at: m.created_at,
        })
    }
}

/// The views of many projects, with two more queries whatever their number.
pub async fn project_views<C: ConnectionTrait>(conn: &C, models: Vec<projects::Model>) -> DomainResult<Vec<Project>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let categories: HashMap<Uuid, project_categories::Model> = project_categories::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut money: HashMap<(Uuid, String), i64> = HashMap::new();
    let mut since: HashMap<Uuid, NaiveDate> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sums: Vec<(Uuid, String, i64)> = fund_movements::Entity::find()
            .select_only()
            .column(fund_movements::Column::ProjectId)
            .column(fund_movements::Column::Kind)
            .column_as(Expr::cust("CAST(SUM(amount_e4) AS BIGINT)"), "total")
            .filter(fund_movements::Column::ProjectId.is_in(chunk.iter().copied()))
            .group_by(fund_movements::Column::ProjectId)
            .group_by(fund_movements::Column::Kind)
            .into_tuple()
            .all(conn)
            .await?;
        money.extend(sums.into_iter().map(|(id, kind, total)| ((id, kind), total)));
        for m in project_milestones::Entity::find()
            .filter(project_milestones::Column::ProjectId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            let day = since.entry(m.project_id).or_insert(m.occurred_on);
            *day = (*day).max(m.occurred_on);
        }
    }
    let sum = |id: Uuid, kind: FundKind| {
        Amount::from_scaled(money.get(&(id, kind.as_str().to_owned())).copied().unwrap_or(0))
    };
    models
        .into_iter()
        .map(|m| {
            let category = categories
                .get(&m.category_id)
                .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("project {} has no category", m.id)))?;
            Ok(Project {
                id: m.id,
                pairing_id: m.pairing_id,
                year: m.year,
                plan_id: m.plan_id,
                task_id: m.task_id,
                category: category.code.clone(),
                category_name: category.name.clone(),
                region_id: m.region_id,
                location: m.location,
                content: m.content,
                implementing_unit_id: m.implementing_unit_id,
                helper_lead_unit_id: m.helper_lead_unit_id,
                recipient_lead_unit_id: m.recipient_lead_unit_id,
                investment: Amount::from_scaled(m.investment_e4),
                pairing_funds: Amount::from_scaled(m.pairing_funds_e4),
                allocated: sum(m.id, FundKind::Allocation),
                spent: sum(m.id, FundKind::Spending),
                external_id: m.external_id,
                status: parse_stored(&m.status)?,
                status_since: since.get(&m.id).copied(),
                name: m.name,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect()
}

async fn project_view<C: ConnectionTrait>(conn: &C, model: projects::Model) -> DomainResult<Project> {
    super::only(project_views(conn, vec![model]).await?, "project")
}

/// Loads a project the caller may see, with what it may do; one it may
/// not see does not exist.
pub(crate) async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<(projects::Model, ProjectAccess)> {
    let found = super::row::<projects::Entity>(conn, ENTITY, id).await?;
    let access = Visibility::of(conn, &caller.principal)
        .await?
        .project(conn, found.pairing_id, found.implementing_unit_id)
        .await?;
    if !access.read {
        return Err(DomainError::not_found(ENTITY, id));
    }
    Ok((found, access))
}

/// A project the caller may see.
pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Project> {
    let (found, _) = load_visible(conn, caller, id).await?;
    project_view(conn, found).await
}

/// What a project is, for creating one.
#[derive(Clone, Debug)]
pub struct NewProject {
    pub pairing_id: Uuid,
    pub year: i32,
    pub plan_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub name: String,
    /// A category's code or name.
    pub category: String,
    pub location: Option<String>,
    pub content: Option<String>,
    pub implementing_unit_id: Uuid,
    pub helper_lead_unit_id: Option<Uuid>,
    pub recipient_lead_unit_id: Option<Uuid>,
    pub investment: Amount,
    pub pairing_funds: Amount,
    pub external_id: Option<String>,
    /// The day it was issued (下达); when none, the day it is recorded.
    pub issued_on: Option<NaiveDate>,
}

/// What changes in a project (none: stays).
#[derive(Clone, Debug, Default)]
pub struct ProjectChanges {
    pub year: Option<i32>,
    pub plan_id: Option<Option<Uuid>>,
    pub task_id: Option<Option<Uuid>>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub location: Option<Option<String>>,
    pub content: Option<Option<String>>,
    pub implementing_unit_id: Option<Uuid>,
    pub helper_lead_unit_id: Option<Option<Uuid>>,
    pub recipient_lead_unit_id: Option<Option<Uuid>>,
    pub investment: Option<Amount>,
    pub pairing_funds: Option<Amount>,
    pub external_id: Option<Option<String>>,
}

/// The written fields of a project, whole, checked together.
struct Fields<'a> {
    pairing: &'a pairings::Model,
    regions: &'a [Uuid],
    year: i32,
    plan_id: Option<Uuid>,
    task_id: Option<Uuid>,
    name: &'a str,
    category: &'a str,
    location: Option<&'a str>,
    content: Option<&'a str>,
    implementing_unit_id: Uuid,
    helper_lead_unit_id: Option<Uuid>,
    recipient_lead_unit_id: Option<Uuid>,
    investment: Amount,
    pairing_funds: Amount,
    external_id: Option<&'a str>,
}

/// What checked fields resolve to: the category's id and the plan (taken
/// from the task when only the task is named).
struct Resolved {
    category_id: Uuid,
    plan_id: Option<Uuid>,
}

impl Fields<'_> {
    async fn check<C: ConnectionTrait>(&self, conn: &C) -> DomainResult<Resolved> {
        let mut v = Validator::new();
        v.check((1990..=2100).contains(&self.year), "year", "a year from 1990 to 2100");
        v.text("name", self.name, 300);
        v.optional_text("location", self.location, 200);
        v.optional_text("content", self.content, 10_000);
        v.optional_text("external_id", self.external_id, 100);
        let zero = Amount::ZERO;
        v.check(self.investment >= zero, "investment", "money is never negative");
        v.check(self.pairing_funds >= zero, "pairing_funds", "money is never negative");
        v.check(
            self.investment == zero || self.pairing_funds <= self.investment,
            "pairing_funds",
            format!(
                "the pairing funds are part of the total investment ({}万元): at most that",
                self.investment
            ),
        );
        let category = project_categories::Entity::find()
            .filter(
                Condition::any()
                    .add(project_categories::Column::Code.eq(self.category.trim()))
                    .add(project_categories::Column::Name.eq(self.category.trim())),
            )
            .one(conn)
            .await?;
        if category.is_none() {
            let known: Vec<String> = project_categories::Entity::find()
                .order_by_asc(project_categories::Column::Position)
                .all(conn)
                .await?
                .into_iter()
                .map(|c| format!("{} ({})", c.code, c.name))
                .collect();
            v.add(
                "category",
                format!("`{}` is not in the catalogue: {}", self.category, known.join(", ")),
            );
        }
        let unit_in = |unit: Uuid, allowed: Vec<Uuid>, field: &'static str, what: &'static str| async move {
            match units::Entity::find_by_id(unit).one(conn).await? {
                None => Ok::<_, DomainError>(Some((field, crate::domain::no_such("unit", unit)))),
                Some(u) if !allowed.contains(&u.region_id) => Ok(Some((
                    field,
                    Text::new("%{unit} is not a unit of %{side}")
                        .arg("unit", &u.name)
                        .word("side", what),
                ))),
                Some(_) => Ok(None),
            }
        };
        let helper_side: Vec<Uuid> = self
            .regions
            .iter()
            .copied()
            .filter(|r| *r != self.pairing.recipient_region_id)
            .collect();
        let checks = [
            (
                Some(self.implementing_unit_id),
                self.regions.to_vec(),
                "implementing_unit_id",
                "the pairing's regions",
            ),
            (
                self.helper_lead_unit_id,
                helper_side,
                "helper_lead_unit_id",
                "the helping side",
            ),
            (
                self.recipient_lead_unit_id,
                vec![self.pairing.recipient_region_id],
                "recipient_lead_unit_id",
                "the receiving region",
            ),
        ];
        for (unit, allowed, field, what) in checks {
            if let Some(unit) = unit
                && let Some((field, message)) = unit_in(unit, allowed, field, what).await?
            {
                v.add(field, message);
            }
        }
        let mut plan_id = self.plan_id;
        if let Some(task_id) = self.task_id {
            match tasks::Entity::find_by_id(task_id).one(conn).await? {
                None => v.add("task_id", crate::domain::no_such("task", task_id)),
                Some(task) if self.plan_id.is_some_and(|p| p != task.plan_id) => {
                    v.add("task_id", "the task is not of the plan named")
                }
                Some(task) => plan_id = Some(task.plan_id),
            }
        }
        if let Some(id) = plan_id {
            match plans::Entity::find_by_id(id).one(conn).await? {
                Some(plan) if plan.pairing_id == Some(self.pairing.id) => {}
                Some(_) => v.add(
                    if self.plan_id.is_some() { "plan_id" } else { "task_id" },
                    "the plan is not the pairing's",
                ),
                None => v.add("plan_id", crate::domain::no_such("plan", id)),
            }
        }
        v.finish()?;
        Ok(Resolved {
            category_id: category.map(|c| c.id).unwrap_or_default(),
            plan_id,
        })
    }
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The pairing named by a project, and its regions; an unknown pairing, or
/// one the caller does not see, is an invalid `pairing_id`.
async fn pairing_for_write<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    pairing_id: Uuid,
    implementing_unit: Uuid,
) -> DomainResult<(pairings::Model, Vec<Uuid>, ProjectAccess)> {
    let unknown = || DomainError::invalid("pairing_id", crate::domain::no_such("pairing", pairing_id));
    let pairing = pairings::Entity::find_by_id(pairing_id)
        .one(conn)
        .await?
        .ok_or_else(unknown)?;
    let access = Visibility::of(conn, &caller.principal)
        .await?
        .project(conn, pairing_id, implementing_unit)
        .await?;
    if !access.read {
        return Err(unknown());
    }
    let regions = authz::pairing_regions(conn, pairing_id).await?;
    Ok((pairing, regions, access))
}

fn refuse_coordinate(caller: &Caller) -> DomainError {
    authz::refuse_write(
        &caller.principal,
        "only a coordinator of the pairing's regions creates and changes its projects",
    )
}

/// Records a project of a pairing, issued (下达) on `issued_on`, as a
/// coordinator of either side.
pub async fn create(db: &impl Store, caller: &Caller, input: NewProject) -> DomainResult<Project> {
    let issued = (input.issued_on, input.issued_on.is_some());
    create_recorded(db, caller, input, issued).await
}

/// Records a project whose day of issue is `issued`: a day and whether its
/// source gave it (an import that only knows the project started on a day
/// counts it issued by then, and says the day was not given); today, not
/// given, when none.
pub async fn create_recorded(
    db: &impl Store,
    caller: &Caller,
    input: NewProject,
    issued: (Option<NaiveDate>, bool),
) -> DomainResult<Project> {
    let txn = begin_write(db).await?;
    let (pairing, regions, access) =
        pairing_for_write(&txn, caller, input.pairing_id, input.implementing_unit_id).await?;
    if !access.coordinate {
        return Err(refuse_coordinate(caller));
    }
    let fields = Fields {
        pairing: &pairing,
        regions: &regions,
        year: input.year,
        plan_id: input.plan_id,
        task_id: input.task_id,
        name: &input.name,
        category: &input.category,
        location: input.location.as_deref(),
        content: input.content.as_deref(),
        implementing_unit_id: input.implementing_unit_id,
        helper_lead_unit_id: input.helper_lead_unit_id,
        recipient_lead_unit_id: input.recipient_lead_unit_id,
        investment: input.investment,
        pairing_funds: input.pairing_funds,
        external_id: input.external_id.as_deref(),
    };
    let resolved = fields.check(&txn).await?;
    let today = caller.today();
    if let Some(day) = issued.0 {
        check_day(day, today, "issued_on")?;
    }
    let at = caller.now();
    let model = projects::ActiveModel {
        id: Set(Uuid::new_v4()),
        pairing_id: Set(pairing.id),
        year: Set(input.year),
        plan_id: Set(resolved.plan_id),
        task_id: Set(input.task_id),
        name: Set(input.name.trim().to_owned()),
        category_id: Set(resolved.category_id),
        region_id: Set(pairing.recipient_region_id),
        location: Set(clean(input.location.as_deref())),
        content: Set(clean(input.content.as_deref())),
        implementing_unit_id: Set(input.implementing_unit_id),
        helper_lead_unit_id: Set(input.helper_lead_unit_id),
        recipient_lead_unit_id: Set(input.recipient_lead_unit_id),
        investment_e4: Set(stored(input.investment, "investment")?),
        pairing_funds_e4: Set(stored(input.pairing_funds, "pairing_funds")?),
        external_client_id: Set(clean(input.external_id.as_deref()).and(external::namespace(caller))),
        external_id: Set(clean(input.external_id.as_deref())),
        status: Set(ProjectStatus::Issued.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    insert_milestone(
        &txn,
        caller,
        model.id,
        ProjectStatus::Issued,
        issued.0.unwrap_or(today),
        issued.0.is_some() && issued.1,
        None,
    )
    .await?;
    let project = project_view(&txn, model).await?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(project.id), &project)?).await?;
    Ok(project)
}

/// An amount as stored, or the field it came in refused.
fn stored(amount: Amount, field: &str) -> DomainResult<i64> {
    amount.to_scaled().map_err(|e| DomainError::invalid(field, e))
}

fn check_day(day: NaiveDate, today: NaiveDate, field: &str) -> DomainResult<()> {
    if day > today {
        return Err(DomainError::invalid(
            field,
            Text::new("%{day} is in the future (today is %{today})")
                .arg("day", day)
                .arg("today", today),
        ));
    }
    if day.year() < 1990 {
        return Err(DomainError::invalid(field, "a day from 1990 on"));
    }
    Ok(())
}

async fn insert_milestone<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    project_id: Uuid,
    status: ProjectStatus,
    on: NaiveDate,
    dated: bool,
    note: Option<String>,
) -> DomainResult<project_milestones::Model> {
    Ok(project_milestones::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(project_id),
        status: Set(status.as_str().to_owned()),
        occurred_on: Set(on),
        dated: Set(dated),
        note: Set(note),
        recorded_by: Set(caller.principal.user_id()),
        recorded_by_name: Set(caller.principal.name()),
        created_at: Set(caller.now()),
    }
    .insert(conn)
    .await?)
}

/// Changes what a project is, as a coordinator of its pairing, at the
/// version read.
pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: ProjectChanges,
) -> DomainResult<Project> {
    let txn = begin_write(db).await?;
    let (current, access) = load_visible(&txn, caller, id).await?;
    if !access.coordinate {
        return Err(refuse_coordinate(caller));
    }
    expect_version(ENTITY, id, expected_version, current.version)?;
    let before = project_view(&txn, current.clone()).await?;
    let implementing_unit_id = changes.implementing_unit_id.unwrap_or(current.implementing_unit_id);
    let (pairing, regions, _) = pairing_for_write(&txn, caller, current.pairing_id, implementing_unit_id).await?;
    let task_id = changes.task_id.unwrap_or(current.task_id);
    // A task named anew brings its plan unless a plan is named too.
    let plan_id = match (changes.plan_id, changes.task_id) {
        (Some(plan), _) => plan,
        (None, Some(Some(_))) => None,
        (None, _) => current.plan_id,
    };
    let name = changes.name.unwrap_or_else(|| current.name.clone());
    let category = changes.category.unwrap_or_else(|| before.category.clone());
    let location = changes.location.unwrap_or_else(|| current.location.clone());
    let content = changes.content.unwrap_or_else(|| current.content.clone());
    let external_id = changes.external_id.unwrap_or_else(|| current.external_id.clone());
    let fields = Fields {
        pairing: &pairing,
        regions: &regions,
        year: changes.year.unwrap_or(current.year),
        plan_id,
        task_id,
        name: &name,
        category: &category,
        location: location.as_deref(),
        content: content.as_deref(),
        implementing_unit_id,
        helper_lead_unit_id: changes.helper_lead_unit_id.unwrap_or(current.helper_lead_unit_id),
        recipient_lead_unit_id: changes.recipient_lead_unit_id.unwrap_or(current.recipient_lead_unit_id),
        investment: changes.investment.unwrap_or(before.investment),
        pairing_funds: changes.pairing_funds.unwrap_or(before.pairing_funds),
        external_id: external_id.as_deref(),
    };
    let resolved = fields.check(&txn).await?;
    let model = projects::Entity::update(projects::ActiveModel {
        id: ActiveValue::Unchanged(id),
        year: Set(fields.year),
        plan_id: Set(resolved.plan_id),
        task_id: Set(task_id),
        name: Set(name.trim().to_owned()),
        category_id: Set(resolved.category_id),
        location: Set(clean(location.as_deref())),
        content: Set(clean(content.as_deref())),
        implementing_unit_id: Set(implementing_unit_id),
        helper_lead_unit_id: Set(fields.helper_lead_unit_id),
        recipient_lead_unit_id: Set(fields.recipient_lead_unit_id),
        investment_e4: Set(stored(fields.investment, "investment")?),
        pairing_funds_e4: Set(stored(fields.pairing_funds, "pairing_funds")?),
        external_id: Set(clean(external_id.as_deref())),
        updated_at: Set(caller.now()),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(projects::Column::Version.eq(current.version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, current.version))?;
    let after = project_view(&txn, model).await?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// The order of the milestones a project passes (cancelled aside).
fn rank(status: ProjectStatus) -> u8 {
    match status {
        ProjectStatus::Issued => 0,
        ProjectStatus::Started => 1,
        ProjectStatus::Completed => 2,
        ProjectStatus::Accepted => 3,
        ProjectStatus::Cancelled => 4,
    }
}

/// A project's milestones, in the order they were reached.
pub async fn milestones<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Vec<Milestone>> {
    load_visible(conn, caller, id).await?;
    milestones_of(conn, id).await
}

async fn milestones_of<C: ConnectionTrait>(conn: &C, id: Uuid) -> DomainResult<Vec<Milestone>> {
    project_milestones::Entity::find()
        .filter(project_milestones::Column::ProjectId.eq(id))
        .order_by_asc(project_milestones::Column::OccurredOn)
        .order_by_asc(project_milestones::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(Milestone::try_from)
        .collect()
}

/// A milestone to record.
#[derive(Clone, Debug)]
pub struct NewMilestone {
    pub status: ProjectStatus,
    /// When none, the day it is recorded (and the milestone says so).
    pub occurred_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Records that a project reached a later milestone, as its implementing
/// unit or a coordinator (cancelling is a coordinator's decision): never
/// before the previous milestone, never in the future.
pub async fn record_milestone(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i32>,
    input: NewMilestone,
) -> DomainResult<Project> {
    let txn = begin_write(db).await?;
    let (current, access) = load_visible(&txn, caller, id).await?;
    let allowed = match input.status {
        ProjectStatus::Cancelled => access.coordinate,
        _ => access.implement,
    };
    if !allowed {
        return Err(authz::refuse_write(
            &caller.principal,
            match input.status {
                ProjectStatus::Cancelled => "only a coordinator of the pairing cancels a project",
                _ => "only the implementing unit or a coordinator records a project's milestones",
            },
        ));
    }
    if let Some(expected) = expected_version {
        expect_version(ENTITY, id, expected, current.version)?;
    }
    let today = caller.today();
    let mut v = Validator::new();
    v.optional_text("note", input.note.as_deref(), 2000);
    v.finish()?;
    let on = input.occurred_on.unwrap_or(today);
    check_day(on, today, "occurred_on")?;
    let now: ProjectStatus = parse_stored(&current.status)?;
    let legal = match (now, input.status) {
        (ProjectStatus::Cancelled, _) | (ProjectStatus::Accepted, ProjectStatus::Cancelled) => false,
        (_, ProjectStatus::Cancelled) => true,
        (from, to) => rank(to) > rank(from),
    };
    if !legal {
        return Err(DomainError::conflict(
            Text::new("a project %{now} cannot become %{next}: milestones only move on (issued, started, completed, accepted), and an accepted or cancelled project stays")
                .word("now", now.as_str())
                .word("next", input.status.as_str()),
        ));
    }
    if let Some(last) = milestones_of(&txn, id).await?.last()
        && on < last.occurred_on
    {
        return Err(DomainError::invalid(
            "occurred_on",
            Text::new("%{day} is before the previous milestone (%{status} on %{on})")
                .arg("day", on)
                .word("status", last.status.as_str())
                .arg("on", last.occurred_on),
        ));
    }
    let before = project_view(&txn, current.clone()).await?;
    insert_milestone(
        &txn,
        caller,
        id,
        input.status,
        on,
        input.occurred_on.is_some(),
        clean(input.note.as_deref()),
    )
    .await?;
    let model = projects::Entity::update(projects::ActiveModel {
        id: ActiveValue::Unchanged(id),
        status: Set(input.status.as_str().to_owned()),
        updated_at: Set(caller.now()),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(projects::Column::Version.eq(current.version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, current.version))?;
    let after = project_view(&txn, model).await?;
    audit::commit(
        txn,
        caller,
        Change::transition("milestone", ENTITY, Some(id), &before, &after)?,
    )
    .await?;
    Ok(after)
}

/// A project's fund movements, in the order they happened.
pub async fn fund_movements<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<Vec<FundMovement>> {
    load_visible(conn, caller, id).await?;
    fund_movements::Entity::find()
        .filter(fund_movements::Column::ProjectId.eq(id))
        .order_by_asc(fund_movements::Column::OccurredOn)
        .order_by_asc(fund_movements::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(FundMovement::try_from)
        .collect()
}

/// Money to record as moved.
#[derive(Clone, Debug)]
pub struct NewFundMovement {
    pub kind: FundKind,
    pub occurred_on: NaiveDate,
    pub amount: Amount,
    pub source: FundSource,
    pub purpose: String,
    /// Why spending goes beyond the allocations (a coordinator's).
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// Records money moved: an allocation (拨付) by a coordinator, spending
/// (支出) by the implementing unit or a coordinator. Spending beyond what
/// was allocated is refused, unless a coordinator records it with a reason.
pub async fn record_fund_movement(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    input: NewFundMovement,
) -> DomainResult<FundMovement> {
    let txn = begin_write(db).await?;
    let (current, access) = load_visible(&txn, caller, id).await?;
    let allowed = match input.kind {
        FundKind::Allocation => access.coordinate,
        FundKind::Spending => access.implement,
    };
    if !allowed {
        return Err(authz::refuse_write(
            &caller.principal,
            match input.kind {
                FundKind::Allocation => "only a coordinator of the pairing records allocations (拨付)",
                FundKind::Spending => "only the implementing unit or a coordinator records spending (支出)",
            },
        ));
    }
    let today = caller.today();
    let mut v = Validator::new();
    v.check(
        input.amount > Amount::ZERO,
        "amount",
        "more than 0 (money is never negative)",
    );
    v.text("purpose", &input.purpose, 100);
    v.optional_text("reason", input.reason.as_deref(), 2000);
    v.optional_text("note", input.note.as_deref(), 2000);
    v.finish()?;
    check_day(input.occurred_on, today, "occurred_on")?;
    let amount_e4 = stored(input.amount, "amount")?;
    if current.status == ProjectStatus::Cancelled.as_str() {
        return Err(DomainError::conflict(
            "the project is cancelled: its money no longer moves",
        ));
    }
    let before = project_view(&txn, current.clone()).await?;
    let reason = clean(input.reason.as_deref());
    if input.kind == FundKind::Spending {
        let spent = before.spent.to_scaled().map_err(|e| DomainError::Internal(e.into()))?;
        let allocated = before
            .allocated
            .to_scaled()
            .map_err(|e| DomainError::Internal(e.into()))?;
        if spent.saturating_add(amount_e4) > allocated {
            let over = format!(
                "spending {}万元 would bring the spent to {}万元, beyond the {}万元 allocated",
                input.amount,
                Amount::from_scaled(spent.saturating_add(amount_e4)),
                before.allocated
            );
            if !access.coordinate {
                return Err(DomainError::conflict(
                    Text::new("%{over}: only a coordinator records it, with a reason").arg("over", over),
                ));
            }
            if reason.is_none() {
                return Err(DomainError::invalid(
                    "reason",
                    Text::new("%{over}: say why").arg("over", over),
                ));
            }
        }
    }
    let movement = FundMovement::try_from(
        fund_movements::ActiveModel {
            id: Set(Uuid::new_v4()),
            project_id: Set(id),
            kind: Set(input.kind.as_str().to_owned()),
            occurred_on: Set(input.occurred_on),
            amount_e4: Set(amount_e4),
            source: Set(input.source.as_str().to_owned()),
            purpose: Set(input.purpose.trim().to_owned()),
            reason: Set(reason),
            note: Set(clean(input.note.as_deref())),
            recorded_by: Set(caller.principal.user_id()),
            recorded_by_name: Set(caller.principal.name()),
            created_at: Set(caller.now()),
        }
        .insert(&txn)
        .await?,
    )?;
    // The project's sums changed: so does its version (its ETag).
    projects::Entity::update(projects::ActiveModel {
        id: ActiveValue::Unchanged(id),
        updated_at: Set(caller.now()),
        version: Set(current.version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(projects::Column::Version.eq(current.version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, current.version))?;
    audit::commit(
        txn,
        caller,
        Change::created("fund_movement", Some(movement.id), &movement)?,
    )
    .await?;
    Ok(movement)
}

/// What a list of projects is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub pairing_id: Option<Uuid>,
    /// Projects of the pairings this region takes part in.
    pub region_id: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<ProjectStatus>,
    /// A category's code.
    pub category: Option<String>,
    pub plan_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub implementing_unit_id: Option<Uuid>,
    /// A part of the name.
    pub q: Option<String>,
}

/// The projects the caller may see that meet `filter`, as a query.
async fn filtered<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &ProjectFilter,
) -> DomainResult<sea_orm::Select<projects::Entity>> {
    authz::require_reader(&caller.principal)?;
    let mut query = projects::Entity::find().filter(Visibility::of(conn, &caller.principal).await?.projects());
    if let Some(id) = filter.pairing_id {
        query = query.filter(projects::Column::PairingId.eq(id));
    }
    if let Some(region) = filter.region_id {
        query = query.filter(projects::Column::PairingId.in_subquery(authz::pairings_of_region(region)));
    }
    if let Some(year) = filter.year {
        query = query.filter(projects::Column::Year.eq(year));
    }
    if let Some(status) = filter.status {
        query = query.filter(projects::Column::Status.eq(status.as_str()));
    }
    if let Some(code) = filter.category.as_deref() {
        let category = project_categories::Entity::find()
            .filter(project_categories::Column::Code.eq(code))
            .one(conn)
            .await?
            .ok_or_else(|| {
                DomainError::invalid(
                    "category",
                    Text::new("`%{code}` is not a category's code").arg("code", code),
                )
            })?;
        query = query.filter(projects::Column::CategoryId.eq(category.id));
    }
    if let Some(id) = filter.plan_id {
        query = query.filter(projects::Column::PlanId.eq(id));
    }
    if let Some(id) = filter.task_id {
        query = query.filter(projects::Column::TaskId.eq(id));
    }
    if let Some(id) = filter.implementing_unit_id {
        query = query.filter(projects::Column::ImplementingUnitId.eq(id));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(super::region::contains(projects::Column::Name, q));
    }
    Ok(query)
}

/// The projects the caller may see that meet `filter`, one page in
/// `sort` order (`name`, `created_at`, `updated_at`; `-` for descending;
/// `name` by default).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &ProjectFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Project>> {
    let (field, descending) = page::parse_sort(sort, "name", SORT_KEYS)?;
    let query = filtered(conn, caller, filter).await?;
    let sort = match field {
        "name" => Sort::<projects::Entity> {
            column: projects::Column::Name,
            id: projects::Column::Id,
            descending,
            key_of: |m: &projects::Model| (serde_json::json!(m.name), m.id),
            value_of: page::text_value,
        },
        "updated_at" => Sort {
            column: projects::Column::UpdatedAt,
            id: projects::Column::Id,
            descending,
            key_of: |m: &projects::Model| (serde_json::json!(m.updated_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
        _ => Sort {
            column: projects::Column::CreatedAt,
            id: projects::Column::Id,
            descending,
            key_of: |m: &projects::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    page::fetch(conn, query, &sort, page)
        .await?
        .then(async |models| project_views(conn, models).await)
        .await
}

pub mod figures;

impl external::Upsert for NewProject {
    type View = Project;
    const TABLE: &'static str = "projects";
    const ENTITY: &'static str = ENTITY;

    fn external_id_mut(&mut self) -> &mut Option<String> {
        &mut self.external_id
    }

    fn version(view: &Project) -> i32 {
        view.version
    }

    async fn create(self, txn: &sea_orm::DatabaseTransaction, caller: &Caller) -> DomainResult<Project> {
        create(txn, caller, self).await
    }

    async fn read(txn: &sea_orm::DatabaseTransaction, caller: &Caller, id: Uuid) -> DomainResult<Project> {
        get(txn, caller, id).await
    }

    /// What the project is, from the whole body; its milestones and money
    /// stay (they are recorded, not replaced), and it stays its pairing's.
    async fn replace(
        self,
        txn: &sea_orm::DatabaseTransaction,
        caller: &Caller,
        id: Uuid,
        version: i32,
    ) -> DomainResult<Project> {
        let current = get(txn, caller, id).await?;
        if current.pairing_id != self.pairing_id {
            return Err(DomainError::invalid("pairing_id", "a project stays its pairing's"));
        }
        update(
            txn,
            caller,
            id,
            version,
            ProjectChanges {
                year: Some(self.year),
                plan_id: Some(self.plan_id),
                task_id: Some(self.task_id),
                name: Some(self.name),
                category: Some(self.category),
                location: Some(self.location),
                content: Some(self.content),
                implementing_unit_id: Some(self.implementing_unit_id),
                helper_lead_unit_id: Some(self.helper_lead_unit_id),
                recipient_lead_unit_id: Some(self.recipient_lead_unit_id),
                investment: Some(self.investment),
                pairing_funds: Some(self.pairing_funds),
                external_id: Some(self.external_id),
            },
        )
        .await
    }
}
