//! Plans (任务清单 / 重点任务分解表): the yearly task list of a pairing or of
//! one region, its document, status and default deadline.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{pairings, plans, projects, regions, reports, task_assignments, tasks, unit_groups, units};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz::{self, PlanAccess};
use super::calendar::{Calendar, Reporting};
use super::error::Validator;
use super::external;
use super::leader;
use super::light::LightSettings;
use super::page::{self, Page, PageRequest, Sort};
use super::region::parse_stored;
use super::values::{PlanKind, PlanStatus, Side, end_of_year};
use super::{Caller, DomainError, DomainResult, Store, begin_write, expect_version, lost_update};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["title", "year", "created_at"];

const ENTITY: &str = "plan";

/// A plan as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: Uuid,
    /// `pairing`: a pairing's task list (结对任务清单); `region`: a region's
    /// own plan (目标任务分解方案). Statistics count pairings' lists unless
    /// asked for `scope=all`. It follows the owner: set `pairing_id` or
    /// `region_id` to change it.
    pub kind: PlanKind,
    /// The pairing whose plan this is; none for a region's own plan.
    pub pairing_id: Option<Uuid>,
    /// The region whose own plan this is; none for a pairing's plan.
    pub region_id: Option<Uuid>,
    pub year: i32,
    pub title: String,
    /// 文号
    pub doc_number: Option<String>,
    /// 印发日期
    pub issued_on: Option<NaiveDate>,
    /// 印发机关
    pub issuers: Vec<String>,
    pub status: PlanStatus,
    /// The deadline of tasks that name none: the end of the plan's year.
    pub default_deadline: NaiveDate,
    /// When its reports are due (月调度, 季通报, 年评估考核) and the year's summary.
    pub calendar: Calendar,
    /// Who owes them: the lead units always, supporting units and groups
    /// as this says.
    pub reporting: Reporting,
    /// When its tasks turn yellow.
    pub lights: LightSettings,
    /// The platform's own id of it, when a platform or a person gave one:
    /// unique per client (`PUT /api/v1/plans/by-external-id/{external_id}`).
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Plan {
    pub(crate) fn from_model(m: plans::Model) -> DomainResult<Plan> {
        let lights = LightSettings::of(&m);
        let reporting = Reporting::of(&m)?;
        let issuers = serde_json::from_value::<Vec<String>>(m.issuers)
            .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored issuers: {e}")))?;
        Ok(Plan {
            id: m.id,
            kind: if m.pairing_id.is_some() {
                PlanKind::Pairing
            } else {
                PlanKind::Region
            },
            pairing_id: m.pairing_id,
            region_id: m.region_id,
            year: m.year,
            title: m.title,
            doc_number: m.doc_number,
            issued_on: m.issued_on,
            issuers,
            status: parse_stored(&m.status)?,
            default_deadline: m.default_deadline,
            calendar: Calendar::from_stored(
                m.monthly_due_day,
                m.quarterly_due_day,
                m.half_yearly_due_day,
                &m.yearly_due,
                &m.summary_due,
            )?,
            reporting,
            lights,
            created_at: m.created_at,
            updated_at: m.updated_at,
            external_id: m.external_id,
            version: m.version,
        })
    }
}

/// Whose plan it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanOwner {
    Pairing(Uuid),
    Region(Uuid),
}

impl PlanOwner {
    /// The owner an input names by a pairing's id or a region's, at most
    /// one of the two; `fields` are the input's names of them.
    pub fn named(pairing: Option<Uuid>, region: Option<Uuid>, fields: [&str; 2]) -> DomainResult<Option<PlanOwner>> {
        match (pairing, region) {
            (Some(id), None) => Ok(Some(PlanOwner::Pairing(id))),
            (None, Some(id)) => Ok(Some(PlanOwner::Region(id))),
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(Self::either(fields)),
        }
    }

    /// The owner an input must name: exactly one of a pairing's id or a
    /// region's.
    pub fn required(pairing: Option<Uuid>, region: Option<Uuid>, fields: [&str; 2]) -> DomainResult<PlanOwner> {
        Self::named(pairing, region, fields)?.ok_or_else(|| Self::either(fields))
    }

    fn either([pairing, region]: [&str; 2]) -> DomainError {
        DomainError::invalid(
            pairing,
            Text::new("give either %{pairing} or %{region}")
                .arg("pairing", pairing)
                .arg("region", region),
        )
    }

    fn kind(self) -> PlanKind {
        match self {
            PlanOwner::Pairing(_) => PlanKind::Pairing,
            PlanOwner::Region(_) => PlanKind::Region,
        }
    }

    fn columns(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            PlanOwner::Pairing(id) => (Some(id), None),
            PlanOwner::Region(id) => (None, Some(id)),
        }
    }

    fn of(plan: &plans::Model) -> Option<PlanOwner> {
        PlanOwner::named(plan.pairing_id, plan.region_id, ["pairing_id", "region_id"])
            .ok()
            .flatten()
    }
}

/// What a new plan is made of.
#[derive(Clone, Debug)]
pub struct NewPlan {
    pub owner: PlanOwner,
    pub year: i32,
    pub title: String,
    pub doc_number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub issuers: Vec<String>,
    /// Defaults to the end of the year.
    pub default_deadline: Option<NaiveDate>,
    /// Defaults to [`Calendar::default_for`] its kind.
    pub calendar: Option<Calendar>,
    /// Defaults to [`Reporting::default`]: lead units only, one report per group.
    pub reporting: Option<Reporting>,
    /// Defaults to yellow 15 days before the deadline or 20 points behind.
    pub lights: Option<LightSettings>,
    /// The platform's own id of it, unique per client.
    pub external_id: Option<String>,
}

/// The fields of a plan that can change after it is made.
#[derive(Clone, Debug, Default)]
pub struct PlanChanges {
    pub title: Option<String>,
    pub doc_number: Option<Option<String>>,
    pub issued_on: Option<Option<NaiveDate>>,
    pub issuers: Option<Vec<String>>,
    pub default_deadline: Option<NaiveDate>,
    /// The whole calendar, replaced.
    pub calendar: Option<Calendar>,
    /// The whole rule, replaced.
    pub reporting: Option<Reporting>,
    /// Both thresholds, replaced.
    pub lights: Option<LightSettings>,
    /// Another owner: the plan becomes that pairing's list or that region's
    /// own plan (its `kind` follows), see [`update`].
    pub owner: Option<PlanOwner>,
}

fn validate_fields(v: &mut Validator, title: &str, doc_number: Option<&str>, issuers: &[String]) {
    v.text("title", title, 300);
    v.optional_text("doc_number", doc_number, 100);
    v.check(issuers.len() <= 20, "issuers", "at most 20 issuing bodies");
    for (i, issuer) in issuers.iter().enumerate() {
        v.text(&format!("issuers[{i}]"), issuer, 200);
    }
}

/// Loads a plan the caller may see; one it may not see does not exist.
pub async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<(plans::Model, PlanAccess)> {
    let model = super::row::<plans::Entity>(conn, ENTITY, id).await?;
    let access = authz::plan_access(conn, &caller.principal, &model).await?;
    if !access.read {
        return Err(DomainError::not_found(ENTITY, id));
    }
    Ok((model, access))
}

pub async fn create(db: &impl Store, caller: &Caller, input: NewPlan) -> DomainResult<Plan> {
    let txn = begin_write(db).await?;
    let mut v = Validator::new();
    validate_fields(&mut v, &input.title, input.doc_number.as_deref(), &input.issuers);
    let calendar = input
        .calendar
        .clone()
        .unwrap_or_else(|| Calendar::default_for(input.owner.kind()));
    calendar.validate(&mut v);
    let reporting = input.reporting.unwrap_or_default();
    reporting.validate(&mut v);
    let lights = input.lights.unwrap_or_default();
    lights.validate(&mut v);
    v.check(
        (1990..=2100).contains(&input.year),
        "year",
        "must be a year between 1990 and 2100",
    );
    check_owner_exists(&txn, &mut v, input.owner).await?;
    external::check(&mut v, "external_id", input.external_id.as_deref());
    let (pairing_id, region_id) = input.owner.columns();
    v.finish()?;
    let at = caller.now();
    let model = plans::ActiveModel {
        id: Set(Uuid::new_v4()),
        pairing_id: Set(pairing_id),
        region_id: Set(region_id),
        year: Set(input.year),
        title: Set(input.title.trim().to_owned()),
        doc_number: Set(input.doc_number.clone()),
        issued_on: Set(input.issued_on),
        issuers: Set(serde_json::json!(input.issuers)),
        status: Set(PlanStatus::Draft.as_str().to_owned()),
        default_deadline: Set(input.default_deadline.unwrap_or_else(|| end_of_year(input.year))),
        monthly_due_day: Set(calendar.monthly_due_day),
        quarterly_due_day: Set(calendar.quarterly_due_day),
        half_yearly_due_day: Set(calendar.half_yearly_due_day),
        yearly_due: Set(calendar.yearly_due.clone()),
        summary_due: Set(calendar.summary_due.clone()),
        reporting_supporting: Set(reporting.supporting.as_str().to_owned()),
        reporting_groups: Set(reporting.groups.as_str().to_owned()),
        remind_days: Set(reporting.remind_days),
        evidence_required: Set(reporting.evidence_required),
        source_columns: Set(None),
        light_due_days: Set(lights.due_soon_days),
        light_lag_points: Set(lights.lag_points),
        external_client_id: Set(input.external_id.as_ref().and(external::namespace(caller))),
        external_id: Set(input.external_id.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    };
    let candidate = plans::Model {
        id: Uuid::nil(),
        pairing_id,
        region_id,
        year: input.year,
        title: String::new(),
        doc_number: None,
        issued_on: None,
        issuers: serde_json::Value::Null,
        status: String::new(),
        default_deadline: NaiveDate::MIN,
        monthly_due_day: None,
        quarterly_due_day: None,
        half_yearly_due_day: None,
        yearly_due: String::new(),
        summary_due: String::new(),
        reporting_supporting: String::new(),
        reporting_groups: String::new(),
        remind_days: 0,
        evidence_required: false,
        source_columns: None,
        light_due_days: 0,
        light_lag_points: 0,
        external_id: None,
        external_client_id: None,
        created_at: at,
        updated_at: at,
        version: 1,
    };
    if !authz::plan_access(&txn, &caller.principal, &candidate)
        .await?
        .coordinate
    {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan's regions may create it",
        ));
    }
    let plan = Plan::from_model(model.insert(&txn).await?)?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(plan.id), &plan)?).await?;
    Ok(plan)
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Plan> {
    let (model, _) = load_visible(conn, caller, id).await?;
    Plan::from_model(model)
}

/// What the plan list is filtered by.
#[derive(Clone, Debug, Default)]
pub struct PlanFilter {
    pub pairing_id: Option<Uuid>,
    /// The region's own plans and those of its pairings.
    pub region_id: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<PlanStatus>,
}

/// The plans the caller may see, one page in `sort` order (`title`,
/// `year`, `created_at`; `-` for descending; newest year first by default).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: PlanFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> DomainResult<Page<Plan>> {
    authz::require_reader(&caller.principal)?;
    let (field, descending) = page::parse_sort(sort, "-year", SORT_KEYS)?;
    let mut query = plans::Entity::find().filter(authz::Visibility::of(conn, &caller.principal).await?.plans());
    if let Some(id) = filter.pairing_id {
        query = query.filter(plans::Column::PairingId.eq(id));
    }
    if let Some(region) = filter.region_id {
        query = query.filter(authz::plans_of_region(region));
    }
    if let Some(year) = filter.year {
        query = query.filter(plans::Column::Year.eq(year));
    }
    if let Some(status) = filter.status {
        query = query.filter(plans::Column::Status.eq(status.as_str()));
    }
    let sort = match field {
        "title" => Sort::<plans::Entity> {
            column: plans::Column::Title,
            id: plans::Column::Id,
            descending,
            key_of: |m: &plans::Model| (serde_json::json!(m.title), m.id),
            value_of: page::text_value,
        },
        "year" => Sort {
            column: plans::Column::Year,
            id: plans::Column::Id,
            descending,
            key_of: |m: &plans::Model| (serde_json::json!(m.year), m.id),
            value_of: page::int_value,
        },
        _ => Sort {
            column: plans::Column::CreatedAt,
            id: plans::Column::Id,
            descending,
            key_of: |m: &plans::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    page::fetch(conn, query, &sort, page).await?.try_map(Plan::from_model)
}

/// Adds a problem to `v` when the pairing or region `owner` names does not
/// exist.
async fn check_owner_exists<C: ConnectionTrait>(conn: &C, v: &mut Validator, owner: PlanOwner) -> DomainResult<()> {
    match owner {
        PlanOwner::Pairing(id) => {
            if pairings::Entity::find_by_id(id).one(conn).await?.is_none() {
                v.add("pairing_id", crate::domain::no_such("pairing", id));
            }
        }
        PlanOwner::Region(id) => {
            if regions::Entity::find_by_id(id).one(conn).await?.is_none() {
                v.add("region_id", crate::domain::no_such("region", id));
            }
        }
    }
    Ok(())
}

async fn load_for_coordination(
    txn: &sea_orm::DatabaseTransaction,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<plans::Model> {
    let (current, access) = load_visible(txn, caller, id).await?;
    if !access.coordinate {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan may change it",
        ));
    }
    expect_version(ENTITY, id, expected_version, current.version)?;
    Ok(current)
}

pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: PlanChanges,
) -> DomainResult<Plan> {
    let txn = begin_write(db).await?;
    let current = load_for_coordination(&txn, caller, id, expected_version).await?;
    let moved_to = changes.owner.filter(|owner| PlanOwner::of(&current) != Some(*owner));
    let before = Plan::from_model(current.clone())?;
    if before.status == PlanStatus::Closed {
        return Err(DomainError::conflict("a closed plan cannot change"));
    }
    let title = changes.title.unwrap_or_else(|| before.title.clone());
    let doc_number = changes.doc_number.unwrap_or_else(|| before.doc_number.clone());
    let issuers = changes.issuers.unwrap_or_else(|| before.issuers.clone());
    let calendar = changes.calendar.unwrap_or_else(|| before.calendar.clone());
    let reporting = changes.reporting.unwrap_or(before.reporting);
    let lights = changes.lights.unwrap_or(before.lights);
    let mut v = Validator::new();
    validate_fields(&mut v, &title, doc_number.as_deref(), &issuers);
    calendar.validate(&mut v);
    reporting.validate(&mut v);
    lights.validate(&mut v);
    if let Some(owner) = moved_to {
        check_owner_exists(&txn, &mut v, owner).await?;
    }
    v.finish()?;
    let (pairing_id, region_id) = match moved_to {
        Some(owner) => {
            move_tasks(&txn, caller, &current, owner).await?;
            owner.columns()
        }
        None => (current.pairing_id, current.region_id),
    };
    let model = plans::Entity::update(plans::ActiveModel {
        id: ActiveValue::Unchanged(id),
        pairing_id: Set(pairing_id),
        region_id: Set(region_id),
        title: Set(title.trim().to_owned()),
        doc_number: Set(doc_number),
        issued_on: Set(changes.issued_on.unwrap_or(before.issued_on)),
        issuers: Set(serde_json::json!(issuers)),
        default_deadline: Set(changes.default_deadline.unwrap_or(before.default_deadline)),
        monthly_due_day: Set(calendar.monthly_due_day),
        quarterly_due_day: Set(calendar.quarterly_due_day),
        half_yearly_due_day: Set(calendar.half_yearly_due_day),
        yearly_due: Set(calendar.yearly_due),
        summary_due: Set(calendar.summary_due),
        reporting_supporting: Set(reporting.supporting.as_str().to_owned()),
        reporting_groups: Set(reporting.groups.as_str().to_owned()),
        remind_days: Set(reporting.remind_days),
        evidence_required: Set(reporting.evidence_required),
        light_due_days: Set(lights.due_soon_days),
        light_lag_points: Set(lights.lag_points),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(plans::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    let after = Plan::from_model(model)?;
    audit::commit(txn, caller, Change::updated(ENTITY, Some(id), &before, &after)?).await?;
    Ok(after)
}

/// Makes the tasks of `plan` the tasks of a plan of `owner` (a pairing's
/// list becoming a region's own plan, another pairing's, or the reverse),
/// as a coordinator of the new owner too. Every unit and group on its tasks
/// must belong to a region of the new owner (a problem of the owner's
/// field names the first that do not); in a pairing's list each then acts
/// for the side its region is on (the recipient's, else the helpers'), in
/// a region's own plan for none. The tasks' leaders become the leaders of
/// the same names of the new owner's region ([`leader::region_of_plan`]).
/// Projects of the old pairing linked to the plan keep it from moving.
/// Each task of the plan gets a new version: its units' sides may change.
async fn move_tasks(
    txn: &DatabaseTransaction,
    caller: &Caller,
    plan: &plans::Model,
    owner: PlanOwner,
) -> DomainResult<()> {
    let (pairing_id, region_id) = owner.columns();
    let moved = plans::Model {
        pairing_id,
        region_id,
        ..plan.clone()
    };
    if !authz::plan_access(txn, &caller.principal, &moved).await?.coordinate {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the new owner's regions may move a plan to it",
        ));
    }
    let linked = projects::Entity::find()
        .filter(projects::Column::PlanId.eq(plan.id))
        .all(txn)
        .await?
        .into_iter()
        .filter(|p| Some(p.pairing_id) != pairing_id)
        .count();
    if linked > 0 {
        return Err(DomainError::conflict(
            Text::new("%{linked} project(s) of the ledger are linked to this plan: link them to none first")
                .arg("linked", linked),
        ));
    }
    let recipient = match pairing_id {
        Some(id) => pairings::Entity::find_by_id(id)
            .one(txn)
            .await?
            .map(|p| p.recipient_region_id),
        None => None,
    };
    let regions = authz::plan_regions(txn, &moved).await?;
    let of_plan = Query::select()
        .column(tasks::Column::Id)
        .from(tasks::Entity)
        .and_where(tasks::Column::PlanId.eq(plan.id))
        .to_owned();
    let plan_tasks = super::task::in_document_order(tasks::Entity::find().filter(tasks::Column::PlanId.eq(plan.id)))
        .all(txn)
        .await?;
    let order: HashMap<Uuid, usize> = plan_tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut assignments = task_assignments::Entity::find()
        .filter(task_assignments::Column::TaskId.in_subquery(of_plan.clone()))
        .all(txn)
        .await?;
    assignments.sort_by_key(|a| (order.get(&a.task_id).copied(), a.position));
    let assigned = |column| {
        Query::select()
            .column(column)
            .from(task_assignments::Entity)
            .and_where(task_assignments::Column::TaskId.in_subquery(of_plan.clone()))
            .to_owned()
    };
    let mut home: HashMap<Uuid, (String, Uuid)> = HashMap::new();
    for u in units::Entity::find()
        .filter(units::Column::Id.in_subquery(assigned(task_assignments::Column::UnitId)))
        .all(txn)
        .await?
    {
        home.insert(u.id, (u.name, u.region_id));
    }
    for g in unit_groups::Entity::find()
        .filter(unit_groups::Column::Id.in_subquery(assigned(task_assignments::Column::GroupId)))
        .all(txn)
        .await?
    {
        home.insert(g.id, (g.name, g.region_id));
    }
    let mut strays: Vec<&str> = Vec::new();
    let mut sides: HashMap<Option<&'static str>, Vec<Uuid>> = HashMap::new();
    for a in &assignments {
        let Some((name, region)) = a.unit_id.or(a.group_id).and_then(|id| home.get(&id)) else {
            continue;
        };
        if !regions.contains(region) {
            if !strays.contains(&name.as_str()) {
                strays.push(name);
            }
            continue;
        }
        let side = recipient.map(|r| if *region == r { Side::Recipient } else { Side::Helper });
        let side = side.map(Side::as_str);
        if a.side.as_deref() != side {
            sides.entry(side).or_default().push(a.id);
        }
    }
    if !strays.is_empty() {
        let field = if pairing_id.is_some() {
            "pairing_id"
        } else {
            "region_id"
        };
        let shown = strays.iter().take(10).copied().collect::<Vec<_>>().join("、");
        let more = if strays.len() > 10 { "…" } else { "" };
        return Err(DomainError::invalid(
            field,
            format!(
                "{} units and groups of its tasks belong to no region of the new owner: {shown}{more}",
                strays.len()
            ),
        ));
    }
    for (side, ids) in sides {
        for chunk in ids.chunks(500) {
            task_assignments::Entity::update_many()
                .col_expr(task_assignments::Column::Side, Expr::value(side.map(str::to_owned)))
                .filter(task_assignments::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
    }
    let (from, to) = (
        leader::region_of_plan(txn, plan).await?,
        leader::region_of_plan(txn, &moved).await?,
    );
    let now = caller.now();
    if from != to {
        for task in plan_tasks {
            let names = serde_json::from_value::<Vec<String>>(task.leaders)
                .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored leaders: {e}")))?;
            if !names.is_empty() {
                leader::link(txn, now, task.id, to, &names).await?;
            }
        }
    }
    tasks::Entity::update_many()
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .col_expr(tasks::Column::UpdatedAt, Expr::value(now))
        .filter(tasks::Column::PlanId.eq(plan.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A step of a plan's life: draft → issued (印发) → closed (关闭), and a
/// closed plan reopened to issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanTransition {
    Issue,
    Close,
    Reopen,
}

impl PlanTransition {
    /// The status a plan must be in, and the one it moves to.
    pub fn states(self) -> (PlanStatus, PlanStatus) {
        match self {
            PlanTransition::Issue => (PlanStatus::Draft, PlanStatus::Issued),
            PlanTransition::Close => (PlanStatus::Issued, PlanStatus::Closed),
            PlanTransition::Reopen => (PlanStatus::Closed, PlanStatus::Issued),
        }
    }

    fn name(self) -> &'static str {
        match self {
            PlanTransition::Issue => "issue",
            PlanTransition::Close => "close",
            PlanTransition::Reopen => "reopen",
        }
    }
}

pub async fn transition(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    step: PlanTransition,
) -> DomainResult<Plan> {
    let txn = begin_write(db).await?;
    let current = load_for_coordination(&txn, caller, id, expected_version).await?;
    let before = Plan::from_model(current)?;
    let (from, to) = step.states();
    if before.status != from {
        return Err(DomainError::conflict(
            Text::new("only a %{from} plan can %{step}; this one is %{status}")
                .word("from", from.as_str())
                .word("step", step.name())
                .word("status", before.status.as_str()),
        ));
    }
    let model = plans::Entity::update(plans::ActiveModel {
        id: ActiveValue::Unchanged(id),
        status: Set(to.as_str().to_owned()),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(plans::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    let after = Plan::from_model(model)?;
    audit::commit(
        txn,
        caller,
        Change::transition(step.name(), ENTITY, Some(id), &before, &after)?,
    )
    .await?;
    Ok(after)
}

/// Removes a plan with everything in it, as long as no report was made on it.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    let current = load_for_coordination(&txn, caller, id, expected_version).await?;
    let report_count = reports::Entity::find()
        .filter(
            reports::Column::TaskId.in_subquery(
                Query::select()
                    .column(tasks::Column::Id)
                    .from(tasks::Entity)
                    .and_where(tasks::Column::PlanId.eq(id))
                    .to_owned(),
            ),
        )
        .count(&txn)
        .await?;
    if report_count > 0 {
        return Err(DomainError::conflict(
            Text::new("the plan has %{reports} reports; close it instead of deleting it").arg("reports", report_count),
        ));
    }
    let before = Plan::from_model(current)?;
    plans::Entity::delete_by_id(id).exec(&txn).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &before)?).await?;
    Ok(())
}

/// The plans with these ids that the caller may see, in no particular
/// order, in one query (with the visibility of [`list`]): for batch loading.
pub async fn get_many<C: ConnectionTrait>(conn: &C, caller: &Caller, ids: &[Uuid]) -> DomainResult<Vec<Plan>> {
    authz::require_reader(&caller.principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    plans::Entity::find()
        .filter(authz::Visibility::of(conn, &caller.principal).await?.plans())
        .filter(plans::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Plan::from_model)
        .collect()
}

/// The plans of these pairings that the caller may see, newest year
/// first, in one statement (with the visibility of [`list`]): for batch
/// loading (`Pairing.plans`).
pub async fn of_pairings<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    pairing_ids: &[Uuid],
) -> DomainResult<Vec<Plan>> {
    authz::require_reader(&caller.principal)?;
    if pairing_ids.is_empty() {
        return Ok(Vec::new());
    }
    plans::Entity::find()
        .filter(authz::Visibility::of(conn, &caller.principal).await?.plans())
        .filter(plans::Column::PairingId.is_in(pairing_ids.iter().copied()))
        .order_by_desc(plans::Column::Year)
        .order_by_asc(plans::Column::CreatedAt)
        .order_by_asc(plans::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Plan::from_model)
        .collect()
}

/// The plans of a kind, as SQL: a pairing's list, or a region's own plan.
pub fn of_kind(kind: PlanKind) -> sea_orm::Condition {
    match kind {
        PlanKind::Pairing => sea_orm::Condition::all().add(plans::Column::PairingId.is_not_null()),
        PlanKind::Region => sea_orm::Condition::all().add(plans::Column::RegionId.is_not_null()),
    }
}

/// What a column of an imported document held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceField {
    Seq,
    Section,
    Category,
    Content,
    Deadline,
    Leaders,
    Lead,
    Supporting,
    Notes,
}

/// A column of the document a plan was imported from, as it headed it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceColumn {
    pub column: SourceField,
    /// The region a unit column names (巫溪县 of 巫溪县牵头责任单位).
    pub region: Option<String>,
    /// The header as written: 任务内容, 责任（配合）单位.
    pub header: String,
}

/// Keeps the columns of the document a plan is being imported from, in
/// its order: the export lays the plan out in them.
pub(crate) async fn keep_source_columns<C: ConnectionTrait>(
    conn: &C,
    plan_id: Uuid,
    columns: &[SourceColumn],
) -> DomainResult<()> {
    let json = serde_json::to_value(columns).map_err(|e| DomainError::Internal(e.into()))?;
    plans::Entity::update(plans::ActiveModel {
        id: ActiveValue::Unchanged(plan_id),
        source_columns: Set(Some(json)),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(())
}

/// The columns of the document a plan was imported from; none for a plan
/// made otherwise.
pub fn source_columns(model: &plans::Model) -> Option<Vec<SourceColumn>> {
    model
        .source_columns
        .clone()
        .and_then(|json| serde_json::from_value(json).ok())
}

impl external::Upsert for NewPlan {
    type View = Plan;
    const TABLE: &'static str = "plans";
    const ENTITY: &'static str = ENTITY;

    fn external_id_mut(&mut self) -> &mut Option<String> {
        &mut self.external_id
    }

    fn version(view: &Plan) -> i32 {
        view.version
    }

    async fn create(self, txn: &DatabaseTransaction, caller: &Caller) -> DomainResult<Plan> {
        create(txn, caller, self).await
    }

    async fn read(txn: &DatabaseTransaction, caller: &Caller, id: Uuid) -> DomainResult<Plan> {
        get(txn, caller, id).await
    }

    /// Everything a plan's `PATCH` may change, from the whole body; a
    /// plan's year does not change (another year is another plan).
    async fn replace(self, txn: &DatabaseTransaction, caller: &Caller, id: Uuid, version: i32) -> DomainResult<Plan> {
        let current = get(txn, caller, id).await?;
        if current.year != self.year {
            return Err(DomainError::invalid(
                "year",
                Text::new("is %{year}: a plan's year does not change, another year is another plan")
                    .arg("year", current.year),
            ));
        }
        update(
            txn,
            caller,
            id,
            version,
            PlanChanges {
                title: Some(self.title),
                doc_number: Some(self.doc_number),
                issued_on: Some(self.issued_on),
                issuers: Some(self.issuers),
                default_deadline: self.default_deadline,
                calendar: self.calendar,
                reporting: self.reporting,
                lights: self.lights,
                owner: Some(self.owner),
            },
        )
        .await
    }
}
