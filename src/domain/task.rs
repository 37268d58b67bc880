//! Tasks (重点任务) of a plan, with the units assigned to them (牵头 and 配合
//! 单位, or a group such as 各镇街) and their quantitative targets (指标).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{metrics, pairings, plans, report_values, reports, targets, task_assignments, tasks, unit_groups, units};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Change};
use super::authz::{self, TaskAccess};
use super::error::Validator;
use super::external;
use super::light::LightReason;
use super::plan;
use super::region::parse_stored;
use super::units::Normalized;
use super::values::{
    Amount, AssignmentRole, Comparator, Light, PlanStatus, ReportStatus, Side, TaskStatus, is_overdue,
};
use super::{Caller, DomainError, DomainResult, Store, begin_write, expect_version, lost_update};
use crate::domain::Text;

/// The keys its lists sort by (`-` first for descending), for the API
/// documents as for the query.
pub const SORT_KEYS: &[&str] = &["seq", "deadline", "created_at", "updated_at"];

const ENTITY: &str = "task";

/// A unit or group assigned to a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// The unit's or group's name.
    pub name: String,
    /// 牵头 (lead) or 配合 (supporting).
    pub role: AssignmentRole,
    /// The side of the pairing it acts for; none in a region's own plan.
    pub side: Option<Side>,
}

/// A quantitative goal inside a task (指标).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Target {
    pub id: Uuid,
    /// The catalogue metric's code, when the target counts towards one.
    pub metric: Option<String>,
    /// What the document calls it (实际到位资金).
    pub label: Option<String>,
    pub comparator: Comparator,
    /// As written; none for a qualitative target (完成市上下达任务), which
    /// is met by declaration.
    pub value: Option<Amount>,
    /// The upper end of a range (3—5名), none otherwise.
    pub value_max: Option<Amount>,
    /// Unit of measure as written: 万元, 人次, 个 …
    pub unit: String,
    /// The value in its metric's unit (230亿元 of a metric in 万元 is
    /// `2300000`); none without a metric or a value.
    pub normalized: Option<Normalized>,
    /// The upper end of a range in its metric's unit.
    pub normalized_max: Option<Normalized>,
    /// What a growth target is measured against, as written (比2024年).
    pub baseline: Option<String>,
    /// The phrase the target came from (力争实际到位资金5000万元以上).
    pub source_text: String,
}

/// A task as the service shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// 部分; none when the plan has no sections.
    pub section: Option<String>,
    /// 序号 within the section.
    pub seq: i32,
    /// 协同发展事项 / 重点领域
    pub category: Option<String>,
    /// 具体任务
    pub content: String,
    /// 完成时限, a calendar day in China.
    pub deadline: NaiveDate,
    /// The document's own words for the deadline (2025年11月底).
    pub deadline_text: Option<String>,
    pub status: TaskStatus,
    /// Past the deadline and neither completed nor cancelled.
    pub overdue: bool,
    /// The lead unit's declared progress in percent, for tasks without targets.
    pub declared_progress: Option<i32>,
    pub progress_note: Option<String>,
    /// 牵头领导, as the document names them.
    pub leaders: Vec<String>,
    /// The leader records of `leaders`, in the same order.
    pub leader_ids: Vec<Uuid>,
    /// The task's traffic light (督查亮灯) today.
    pub light: Light,
    /// Why it is not green: each reason with a code and a message.
    pub light_reasons: Vec<LightReason>,
    /// 备注
    pub notes: Option<String>,
    pub assignments: Vec<Assignment>,
    pub targets: Vec<Target>,
    /// The platform's own id of it, when a platform or a person gave one:
    /// unique per client (`PUT /api/v1/tasks/by-external-id/{external_id}`).
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// How far apart two sections' places are: room for every 序号 of one
/// section (1 to 100,000). The migration that made places
/// (`m20261206_000029_task_place`) wrote existing tasks with this span.
const SECTION_SPAN: i64 = 1_000_000;

/// A task's place in its plan's document (`tasks.place`): its section's
/// rank among the plan's sections, in the order the document first wrote
/// them, then its 序号. Document order is the order of places (then ids);
/// the `seq` sort and its cursors are places.
pub fn place(section_rank: i64, seq: i32) -> i64 {
    section_rank * SECTION_SPAN + i64::from(seq)
}

/// The rank of `section` among the sections of `plan_id`: the rank its
/// tasks (other than `own`) have, or, for a section the plan does not have
/// yet, the next after the last; a new section goes after the others, as
/// it would in the document.
async fn section_rank<C: ConnectionTrait>(
    conn: &C,
    plan_id: Uuid,
    section: &str,
    own: Option<Uuid>,
) -> DomainResult<i64> {
    let of_plan = || {
        tasks::Entity::find()
            .select_only()
            .column(tasks::Column::Place)
            .filter(tasks::Column::PlanId.eq(plan_id))
            .filter(tasks::Column::Id.ne(own.unwrap_or_default()))
    };
    let sibling: Option<i64> = of_plan()
        .filter(tasks::Column::Section.eq(section))
        .into_tuple()
        .one(conn)
        .await?;
    if let Some(place) = sibling {
        return Ok(place.div_euclid(SECTION_SPAN));
    }
    let last: Option<i64> = of_plan()
        .order_by_desc(tasks::Column::Place)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(last.map_or(0, |place| place.div_euclid(SECTION_SPAN) + 1))
}

/// A task's key in its plan's order (its place), as the task list's
/// cursors spell it.
fn place_key(place: i64) -> serde_json::Value {
    serde_json::json!(place)
}

/// A task's place in a list held whole (a plan's tasks, a unit's), before
/// any view of it is built: a page is cut from the places, and only the
/// tasks on it are shown ([`get_many`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// Its place in its plan's document ([`place`]).
    pub place: i64,
    pub updated_at: DateTime<Utc>,
}

impl Placed {
    /// The task's cursor among its plan's tasks, keyed by its place as the
    /// task list's cursors are.
    pub fn cursor_in_plan(&self) -> super::page::Cursor {
        super::page::Cursor {
            key: place_key(self.place),
            id: self.id,
        }
    }
}

impl From<&tasks::Model> for Placed {
    fn from(m: &tasks::Model) -> Placed {
        Placed {
            id: m.id,
            plan_id: m.plan_id,
            place: m.place,
            updated_at: m.updated_at,
        }
    }
}

/// A unit or a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Assignee {
    Unit(Uuid),
    Group(Uuid),
}

#[derive(Clone, Debug)]
pub struct AssignmentInput {
    pub assignee: Assignee,
    pub role: AssignmentRole,
    pub side: Option<Side>,
}

/// An assignment as an adapter receives it: a unit, a group, or (wrongly)
/// both or neither.
#[derive(Clone, Debug)]
pub struct AssignmentChoice {
    pub unit: Option<Uuid>,
    pub group: Option<Uuid>,
    pub role: AssignmentRole,
    pub side: Option<Side>,
}

impl AssignmentInput {
    /// The assignments of `choices`, each naming exactly one unit or group;
    /// `unit` and `group` are what the input calls the two fields, for the
    /// message of an entry that names both or neither.
    pub fn choose(choices: Vec<AssignmentChoice>, unit: &str, group: &str) -> DomainResult<Vec<AssignmentInput>> {
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for (i, choice) in choices.into_iter().enumerate() {
            let assignee = match (choice.unit, choice.group) {
                (Some(id), None) => Assignee::Unit(id),
                (None, Some(id)) => Assignee::Group(id),
                _ => {
                    errors.push(super::Invalid {
                        field: format!("assignments[{i}]"),
                        message: Text::new("give either %{pairing} or %{region}")
                            .arg("pairing", unit)
                            .arg("region", group),
                    });
                    continue;
                }
            };
            out.push(AssignmentInput {
                assignee,
                role: choice.role,
                side: choice.side,
            });
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}

#[derive(Clone, Debug)]
pub struct TargetInput {
    /// The id of a target to keep (its reported values stay with it); none
    /// for a new target.
    pub id: Option<Uuid>,
    pub metric: Option<String>,
    pub label: Option<String>,
    pub comparator: Comparator,
    /// Required unless the comparator is `qualitative`.
    pub value: Option<Amount>,
    pub value_max: Option<Amount>,
    pub unit: String,
    pub baseline: Option<String>,
    pub source_text: String,
}

/// What a new task is made of.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub plan_id: Uuid,
    pub section: Option<String>,
    pub seq: i32,
    pub category: Option<String>,
    pub content: String,
    /// Defaults to the plan's default deadline.
    pub deadline: Option<NaiveDate>,
    pub deadline_text: Option<String>,
    pub leaders: Vec<String>,
    pub notes: Option<String>,
    pub assignments: Vec<AssignmentInput>,
    pub targets: Vec<TargetInput>,
    /// The platform's own id of it, unique per client.
    pub external_id: Option<String>,
}

/// Changes to a task. What the task is (the first group) is the plan's
/// coordinators' to change; its progress (the second) also its lead unit's.
#[derive(Clone, Debug, Default)]
pub struct TaskChanges {
    pub section: Option<Option<String>>,
    pub seq: Option<i32>,
    pub category: Option<Option<String>>,
    pub content: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub deadline_text: Option<Option<String>>,
    pub leaders: Option<Vec<String>>,
    pub notes: Option<Option<String>>,
    pub assignments: Option<Vec<AssignmentInput>>,
    pub targets: Option<Vec<TargetInput>>,

    pub status: Option<TaskStatus>,
    pub declared_progress: Option<Option<i32>>,
    pub progress_note: Option<Option<String>>,
}

impl TaskChanges {
    fn touches_definition(&self) -> bool {
        self.section.is_some()
            || self.seq.is_some()
            || self.category.is_some()
            || self.content.is_some()
            || self.deadline.is_some()
            || self.deadline_text.is_some()
            || self.leaders.is_some()
            || self.notes.is_some()
            || self.assignments.is_some()
            || self.targets.is_some()
    }

    fn touches_progress(&self) -> bool {
        self.status.is_some() || self.declared_progress.is_some() || self.progress_note.is_some()
    }
}

/// An assignment with the name of its unit or group.
#[derive(sea_orm::FromQueryResult)]
struct AssignmentRow {
    task_id: Uuid,
    unit_id: Option<Uuid>,
    group_id: Option<Uuid>,
    role: String,
    side: Option<String>,
    unit_name: Option<String>,
    group_name: Option<String>,
}

/// A target with its metric's code.
#[derive(sea_orm::FromQueryResult)]
struct TargetRow {
    id: Uuid,
    task_id: Uuid,
    label: Option<String>,
    comparator: String,
    value_e4: Option<i64>,
    value_max_e4: Option<i64>,
    unit_of_measure: String,
    normalized_e8: Option<i64>,
    normalized_max_e8: Option<i64>,
    baseline: Option<String>,
    source_text: String,
    metric_code: Option<String>,
}

/// Builds the views of many tasks with two queries, whatever their number:
/// the assignments with their units' and groups' names, and the targets
/// with their metrics' codes.
pub async fn task_views<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    models: Vec<tasks::Model>,
) -> DomainResult<Vec<Task>> {
    let today = caller.today();
    let mut tasks = unjudged_views(conn, today, models).await?;
    super::light::judge_all(conn, today, &mut tasks).await?;
    Ok(tasks)
}

/// The views of tasks without their lights (each green, with no reason):
/// what a task's progress is worked out from.
pub(crate) async fn unjudged_views<C: ConnectionTrait>(
    conn: &C,
    today: chrono::NaiveDate,
    models: Vec<tasks::Model>,
) -> DomainResult<Vec<Task>> {
    use sea_orm::{JoinType, QuerySelect};
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut leader_ids = super::leader::ids_of_tasks(conn, &ids).await?;
    let mut assignments: HashMap<Uuid, Vec<AssignmentRow>> = HashMap::new();
    let mut target_rows: HashMap<Uuid, Vec<TargetRow>> = HashMap::new();
    if !ids.is_empty() {
        let of_unit = task_assignments::Entity::belongs_to(units::Entity)
            .from(task_assignments::Column::UnitId)
            .to(units::Column::Id);
        let of_group = task_assignments::Entity::belongs_to(unit_groups::Entity)
            .from(task_assignments::Column::GroupId)
            .to(unit_groups::Column::Id);
        let rows = task_assignments::Entity::find()
            .join(JoinType::LeftJoin, of_unit.into())
            .join(JoinType::LeftJoin, of_group.into())
            .column_as(units::Column::Name, "unit_name")
            .column_as(unit_groups::Column::Name, "group_name")
            .filter(task_assignments::Column::TaskId.is_in(ids.iter().copied()))
            .order_by_asc(task_assignments::Column::Position)
            .into_model::<AssignmentRow>()
            .all(conn)
            .await?;
        for row in rows {
            assignments.entry(row.task_id).or_default().push(row);
        }
        let of_metric = targets::Entity::belongs_to(metrics::Entity)
            .from(targets::Column::MetricId)
            .to(metrics::Column::Id);
        let rows = targets::Entity::find()
            .join(JoinType::LeftJoin, of_metric.into())
            .column_as(metrics::Column::Code, "metric_code")
            .filter(targets::Column::TaskId.is_in(ids.iter().copied()))
            .order_by_asc(targets::Column::Position)
            .into_model::<TargetRow>()
            .all(conn)
            .await?;
        for row in rows {
            target_rows.entry(row.task_id).or_default().push(row);
        }
    }
    let tasks: Vec<Task> = models
        .into_iter()
        .map(|m| {
            let status: TaskStatus = parse_stored(&m.status)?;
            let leaders = serde_json::from_value::<Vec<String>>(m.leaders)
                .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored leaders: {e}")))?;
            let assignments = assignments
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|a| {
                    Ok(Assignment {
                        unit_id: a.unit_id,
                        group_id: a.group_id,
                        name: a.unit_name.or(a.group_name).unwrap_or_default(),
                        role: parse_stored(&a.role)?,
                        side: a.side.as_deref().map(parse_stored).transpose()?,
                    })
                })
                .collect::<DomainResult<Vec<_>>>()?;
            let targets = target_rows
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    Ok(Target {
                        id: t.id,
                        metric: t.metric_code,
                        label: t.label,
                        comparator: parse_stored(&t.comparator)?,
                        value: t.value_e4.map(Amount::from_scaled),
                        value_max: t.value_max_e4.map(Amount::from_scaled),
                        unit: t.unit_of_measure,
                        normalized: t.normalized_e8.map(Normalized::from_scaled),
                        normalized_max: t.normalized_max_e8.map(Normalized::from_scaled),
                        baseline: t.baseline,
                        source_text: t.source_text,
                    })
                })
                .collect::<DomainResult<Vec<_>>>()?;
            Ok(Task {
                id: m.id,
                plan_id: m.plan_id,
                section: Some(m.section).filter(|s| !s.is_empty()),
                seq: m.seq,
                category: m.category,
                content: m.content,
                deadline: m.deadline,
                deadline_text: m.deadline_text,
                overdue: is_overdue(status, m.deadline, today),
                status,
                declared_progress: m.declared_progress,
                progress_note: m.progress_note,
                leaders,
                leader_ids: leader_ids.remove(&m.id).unwrap_or_default(),
                light: Light::Green,
                light_reasons: Vec::new(),
                notes: m.notes,
                assignments,
                targets,
                external_id: m.external_id,
                created_at: m.created_at,
                updated_at: m.updated_at,
                version: m.version,
            })
        })
        .collect::<DomainResult<Vec<Task>>>()?;
    Ok(tasks)
}

/// The views of any number of tasks, built a bounded batch at a time (so
/// that no statement names more ids than a backend takes).
pub async fn views_of_many<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    models: Vec<tasks::Model>,
) -> DomainResult<Vec<Task>> {
    const BATCH: usize = 2000;
    let mut out = Vec::with_capacity(models.len());
    let mut rest = models.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<tasks::Model> = rest.by_ref().take(BATCH).collect();
        out.extend(task_views(conn, caller, batch).await?);
    }
    Ok(out)
}

/// A task as the audit log keeps it: what was written, without what is
/// judged from the day (its light and the reasons for it).
pub(crate) fn audited(task: &Task) -> DomainResult<serde_json::Value> {
    let mut value = serde_json::to_value(task).map_err(|e| DomainError::Internal(e.into()))?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("light");
        fields.remove("light_reasons");
    }
    Ok(value)
}

pub(crate) async fn task_view<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    model: tasks::Model,
) -> DomainResult<Task> {
    super::only(task_views(conn, caller, vec![model]).await?, "task")
}

/// Loads a task the caller may see, with its plan and the caller's access;
/// a task it may not see does not exist.
pub async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: Uuid,
) -> DomainResult<(tasks::Model, plans::Model, TaskAccess)> {
    use sea_orm::{JoinType, QuerySelect};
    let of_plan = tasks::Entity::belongs_to(plans::Entity)
        .from(tasks::Column::PlanId)
        .to(plans::Column::Id);
    let (task, plan) = tasks::Entity::find_by_id(id)
        .join(JoinType::InnerJoin, of_plan.into())
        .select_also(plans::Entity)
        .one(conn)
        .await?
        .and_then(|(task, plan)| Some((task, plan?)))
        .ok_or_else(|| DomainError::not_found(ENTITY, id))?;
    let access = authz::task_access(conn, &caller.principal, &plan, id).await?;
    if !access.read() {
        return Err(DomainError::not_found(ENTITY, id));
    }
    Ok((task, plan, access))
}

fn clean_section(section: Option<&str>) -> String {
    section.map(str::trim).unwrap_or_default().to_owned()
}

/// The written fields of a task, checked together.
struct TaskFields<'a> {
    section: &'a str,
    seq: i32,
    category: Option<&'a str>,
    content: &'a str,
    deadline_text: Option<&'a str>,
    leaders: &'a [String],
    notes: Option<&'a str>,
}

impl TaskFields<'_> {
    fn validate(&self, v: &mut Validator) {
        v.check(
            self.section.chars().count() <= 100,
            "section",
            "must be at most 100 characters",
        );
        v.check((1..=100_000).contains(&self.seq), "seq", "must be a positive number");
        v.optional_text("category", self.category, 200);
        v.text("content", self.content, 10_000);
        v.optional_text("deadline_text", self.deadline_text, 100);
        v.check(self.leaders.len() <= 20, "leaders", "at most 20 leaders");
        for (i, leader) in self.leaders.iter().enumerate() {
            v.text(&format!("leaders[{i}]"), leader, 50);
        }
        v.optional_text("notes", self.notes, 2000);
    }
}

fn validate_progress(v: &mut Validator, declared_progress: Option<i32>, progress_note: Option<&str>) {
    if let Some(p) = declared_progress {
        v.check((0..=100).contains(&p), "declared_progress", "must be between 0 and 100");
    }
    v.optional_text("progress_note", progress_note, 5000);
}

/// Checks the units and groups of a task against its plan: each exists,
/// belongs to one of the plan's regions, and acts for the side its region
/// is on; in a region's own plan there are no sides.
async fn validate_assignments<C: ConnectionTrait>(
    conn: &C,
    v: &mut Validator,
    plan: &plans::Model,
    inputs: &[AssignmentInput],
) -> DomainResult<()> {
    let pairing = match plan.pairing_id {
        Some(id) => pairings::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let regions = authz::plan_regions(conn, plan).await?;
    let mut seen = HashSet::new();
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("assignments[{i}]");
        if !seen.insert(input.assignee) {
            v.add(&field, "the same unit or group is assigned twice");
            continue;
        }
        let (name, region_id) = match input.assignee {
            Assignee::Unit(id) => match units::Entity::find_by_id(id).one(conn).await? {
                Some(u) => (u.name, u.region_id),
                None => {
                    v.add(format!("{field}.unit_id"), crate::domain::no_such("unit", id));
                    continue;
                }
            },
            Assignee::Group(id) => match unit_groups::Entity::find_by_id(id).one(conn).await? {
                Some(g) => (g.name, g.region_id),
                None => {
                    v.add(format!("{field}.group_id"), crate::domain::no_such("unit_group", id));
                    continue;
                }
            },
        };
        if !regions.contains(&region_id) {
            v.add(
                &field,
                Text::new("%{name} belongs to no region of the plan").arg("name", name),
            );
            continue;
        }
        match (&pairing, input.side) {
            (None, Some(_)) => v.add(format!("{field}.side"), "a region's own plan has no sides"),
            (Some(_), None) => v.add(
                format!("{field}.side"),
                "a pairing's plan needs the side: helper or recipient",
            ),
            (Some(p), Some(Side::Recipient)) if region_id != p.recipient_region_id => v.add(
                format!("{field}.side"),
                format!("{name} is not of the recipient region"),
            ),
            (Some(p), Some(Side::Helper)) if region_id == p.recipient_region_id => v.add(
                format!("{field}.side"),
                format!("{name} is of the recipient region, not a helper"),
            ),
            _ => {}
        }
    }
    Ok(())
}

/// A target's metric and its value in the metric's unit.
#[derive(Clone, Copy, Debug, Default)]
struct ResolvedTarget {
    metric_id: Option<Uuid>,
    normalized: Option<Normalized>,
    normalized_max: Option<Normalized>,
}

/// Checks targets, resolves their metric codes and converts their values
/// to their metrics' units: a unit that does not convert is a problem of
/// its `unit`.
async fn validate_targets<C: ConnectionTrait>(
    conn: &C,
    v: &mut Validator,
    inputs: &[TargetInput],
    existing: &[Uuid],
) -> DomainResult<Vec<ResolvedTarget>> {
    let mut resolved = Vec::with_capacity(inputs.len());
    for (i, t) in inputs.iter().enumerate() {
        let field = format!("targets[{i}]");
        let metric = match &t.metric {
            Some(code) => match metrics::Entity::find()
                .filter(metrics::Column::Code.eq(code.as_str()))
                .one(conn)
                .await?
            {
                Some(m) => Some(m),
                None => {
                    v.add(format!("{field}.metric"), crate::domain::metric::no_metric(code));
                    None
                }
            },
            None => None,
        };
        let mut target = ResolvedTarget {
            metric_id: metric.as_ref().map(|m| m.id),
            ..ResolvedTarget::default()
        };
        match (t.comparator, t.value) {
            (Comparator::Qualitative, Some(_)) => v.add(format!("{field}.value"), "a qualitative target has no value"),
            (Comparator::Qualitative, None) => v.check(
                t.unit.chars().count() <= 20,
                format!("{field}.unit"),
                "must be at most 20 characters",
            ),
            (_, None) => v.add(
                format!("{field}.value"),
                "required unless the comparator is `qualitative`",
            ),
            (_, Some(value)) => {
                v.text(&format!("{field}.unit"), &t.unit, 20);
                if let Some(metric) = &metric {
                    match super::metric::normalize(metric, value, &t.unit) {
                        Ok(n) => target.normalized = Some(n),
                        Err(message) => v.add(format!("{field}.unit"), message),
                    }
                    if let Some(max) = t.value_max {
                        target.normalized_max = super::metric::normalize(metric, max, &t.unit).ok();
                    }
                }
            }
        }
        resolved.push(target);
        match (t.comparator, t.value_max) {
            (Comparator::Range, None) => v.add(format!("{field}.value_max"), "a range needs its upper end"),
            (Comparator::Range, Some(max)) if t.value.is_some_and(|value| max <= value) => {
                v.add(format!("{field}.value_max"), "must be greater than value")
            }
            (Comparator::Range, Some(_)) => {}
            (_, Some(_)) => v.add(format!("{field}.value_max"), "only a range has an upper end"),
            (_, None) => {}
        }
        v.text(&format!("{field}.source_text"), &t.source_text, 1000);
        v.optional_text(&format!("{field}.label"), t.label.as_deref(), 200);
        v.optional_text(&format!("{field}.baseline"), t.baseline.as_deref(), 100);
        if let Some(id) = t.id
            && !existing.contains(&id)
        {
            v.add(
                format!("{field}.id"),
                Text::new("the task has no target %{id}").arg("id", id),
            );
        }
    }
    v.check(inputs.len() <= 50, "targets", "at most 50 targets");
    Ok(resolved)
}

async fn check_seq_free<C: ConnectionTrait>(
    conn: &C,
    plan_id: Uuid,
    section: &str,
    seq: i32,
    own: Option<Uuid>,
) -> DomainResult<()> {
    let taken = tasks::Entity::find()
        .filter(tasks::Column::PlanId.eq(plan_id))
        .filter(tasks::Column::Section.eq(section))
        .filter(tasks::Column::Seq.eq(seq))
        .filter(tasks::Column::Id.ne(own.unwrap_or_default()))
        .count(conn)
        .await?;
    if taken > 0 {
        let place = if section.is_empty() {
            "the plan".to_owned()
        } else {
            format!("section {section}")
        };
        return Err(DomainError::Conflict {
            message: Text::new("sequence number %{seq} is already used in %{place}")
                .arg("seq", seq)
                .arg("place", &place),
            field: Some("seq".into()),
        });
    }
    Ok(())
}

async fn write_assignments(
    txn: &DatabaseTransaction,
    at: DateTime<Utc>,
    task_id: Uuid,
    inputs: &[AssignmentInput],
) -> DomainResult<()> {
    task_assignments::Entity::delete_many()
        .filter(task_assignments::Column::TaskId.eq(task_id))
        .exec(txn)
        .await?;
    for (position, a) in (0..).zip(inputs) {
        let (unit_id, group_id) = match a.assignee {
            Assignee::Unit(id) => (Some(id), None),
            Assignee::Group(id) => (None, Some(id)),
        };
        task_assignments::ActiveModel {
            id: Set(Uuid::new_v4()),
            task_id: Set(task_id),
            unit_id: Set(unit_id),
            group_id: Set(group_id),
            role: Set(a.role.as_str().to_owned()),
            side: Set(a.side.map(|s| s.as_str().to_owned())),
            position: Set(position),
            created_at: Set(at),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Writes a task's targets: kept ones (by id) are updated in place so their
/// reported values stay; new ones are added; the rest are removed, unless
/// an approved report counts them.
async fn write_targets(
    txn: &DatabaseTransaction,
    at: DateTime<Utc>,
    task_id: Uuid,
    inputs: &[TargetInput],
    resolved: &[ResolvedTarget],
) -> DomainResult<()> {
    let existing: Vec<Uuid> = targets::Entity::find()
        .filter(targets::Column::TaskId.eq(task_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let kept: HashSet<Uuid> = inputs.iter().filter_map(|t| t.id).collect();
    let removed: Vec<Uuid> = existing.iter().copied().filter(|id| !kept.contains(id)).collect();
    if !removed.is_empty() {
        let approved_reports = Query::select()
            .column(reports::Column::Id)
            .from(reports::Entity)
            .and_where(reports::Column::Status.eq(ReportStatus::Approved.as_str()))
            .to_owned();
        let approved = report_values::Entity::find()
            .filter(report_values::Column::TargetId.is_in(removed.iter().copied()))
            .filter(report_values::Column::ReportId.in_subquery(approved_reports))
            .count(txn)
            .await?;
        if approved > 0 {
            return Err(DomainError::Conflict {
                message: "a target that approved reports count cannot be removed".into(),
                field: Some("targets".into()),
            });
        }
        targets::Entity::delete_many()
            .filter(targets::Column::Id.is_in(removed))
            .exec(txn)
            .await?;
    }
    for (position, (t, r)) in (0..).zip(inputs.iter().zip(resolved)) {
        let value = t
            .value
            .map(|value| value.to_scaled())
            .transpose()
            .map_err(|e| DomainError::invalid(format!("targets[{position}].value"), e))?;
        let value_max = t
            .value_max
            .map(|m| m.to_scaled())
            .transpose()
            .map_err(|e| DomainError::invalid(format!("targets[{position}].value_max"), e))?;
        let mut row = targets::ActiveModel {
            id: Set(t.id.unwrap_or_else(Uuid::new_v4)),
            task_id: Set(task_id),
            metric_id: Set(r.metric_id),
            label: Set(t.label.clone()),
            comparator: Set(t.comparator.as_str().to_owned()),
            value_e4: Set(value),
            value_max_e4: Set(value_max),
            unit_of_measure: Set(t.unit.trim().to_owned()),
            normalized_e8: Set(r.normalized.map(Normalized::to_scaled)),
            normalized_max_e8: Set(r.normalized_max.map(Normalized::to_scaled)),
            baseline: Set(t.baseline.as_deref().map(str::trim).map(str::to_owned)),
            source_text: Set(t.source_text.trim().to_owned()),
            position: Set(position),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
        };
        if let Some(id) = t.id {
            row.id = ActiveValue::Unchanged(id);
            row.created_at = ActiveValue::NotSet;
            row.version = ActiveValue::NotSet;
            targets::Entity::update(row).exec(txn).await?;
        } else {
            row.insert(txn).await?;
        }
    }
    Ok(())
}

pub async fn create(db: &impl Store, caller: &Caller, input: NewTask) -> DomainResult<Task> {
    let txn = begin_write(db).await?;
    let (plan, access) = plan::load_visible(&txn, caller, input.plan_id)
        .await
        .map_err(|e| e.naming("plan_id"))?;
    if !access.coordinate {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan may add tasks to it",
        ));
    }
    if plan.status == PlanStatus::Closed.as_str() {
        return Err(DomainError::conflict("a closed plan takes no new tasks"));
    }
    let section = clean_section(input.section.as_deref());
    let mut v = Validator::new();
    TaskFields {
        section: &section,
        seq: input.seq,
        category: input.category.as_deref(),
        content: &input.content,
        deadline_text: input.deadline_text.as_deref(),
        leaders: &input.leaders,
        notes: input.notes.as_deref(),
    }
    .validate(&mut v);
    validate_assignments(&txn, &mut v, &plan, &input.assignments).await?;
    let metric_ids = validate_targets(&txn, &mut v, &input.targets, &[]).await?;
    external::check(&mut v, "external_id", input.external_id.as_deref());
    v.finish()?;
    check_seq_free(&txn, plan.id, &section, input.seq, None).await?;
    let rank = section_rank(&txn, plan.id, &section, None).await?;
    let at = caller.now();
    let model = tasks::ActiveModel {
        id: Set(Uuid::new_v4()),
        plan_id: Set(plan.id),
        section: Set(section),
        seq: Set(input.seq),
        place: Set(place(rank, input.seq)),
        category: Set(input.category.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())),
        content: Set(input.content.trim().to_owned()),
        deadline: Set(input.deadline.unwrap_or(plan.default_deadline)),
        deadline_text: Set(input.deadline_text),
        status: Set(TaskStatus::NotStarted.as_str().to_owned()),
        declared_progress: Set(None),
        completed_on: Set(None),
        progress_note: Set(None),
        leaders: Set(serde_json::json!(input.leaders)),
        notes: Set(input.notes),
        source_cells: Set(None),
        external_client_id: Set(input.external_id.as_ref().and(external::namespace(caller))),
        external_id: Set(input.external_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    write_assignments(&txn, caller.now(), model.id, &input.assignments).await?;
    write_targets(&txn, caller.now(), model.id, &input.targets, &metric_ids).await?;
    let leader_region = super::leader::region_of_plan(&txn, &plan).await?;
    super::leader::link(&txn, at, model.id, leader_region, &input.leaders).await?;
    kept_anew(&txn, model.id, plan.id).await?;
    let task = task_view(&txn, caller, model).await?;
    audit::commit(txn, caller, Change::created(ENTITY, Some(task.id), &audited(&task)?)?).await?;
    Ok(task)
}

/// Brings what is kept of a task up to date in the write that changed it,
/// before its view is built: its figures and its plan's, and its plan's
/// kept lights and owed reports, which stop counting. (The audit forgets
/// those too, but at commit, after the view: the view would be judged on
/// what the task owed before the write.)
async fn kept_anew(txn: &DatabaseTransaction, task: Uuid, plan: Uuid) -> DomainResult<()> {
    super::figures::refresh(txn, &[task]).await?;
    super::light::kept::forget(txn, &[plan]).await
}

pub async fn get<C: ConnectionTrait>(conn: &C, caller: &Caller, id: Uuid) -> DomainResult<Task> {
    let (task, _, _) = load_visible(conn, caller, id).await?;
    task_view(conn, caller, task).await
}

/// The tasks of a plan the caller may see, in document order.
pub async fn list_by_plan<C: ConnectionTrait>(conn: &C, caller: &Caller, plan_id: Uuid) -> DomainResult<Vec<Task>> {
    let models = models_of_plan(conn, caller, plan_id).await?;
    task_views(conn, caller, models).await
}

/// [`list_by_plan`] without the tasks' lights (each green, as
/// [`unjudged_views`]): what the plan's progress is worked out from.
pub(crate) async fn unjudged_of_plan<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    plan_id: Uuid,
) -> DomainResult<Vec<Task>> {
    let models = models_of_plan(conn, caller, plan_id).await?;
    unjudged_views(conn, caller.today(), models).await
}

/// The rows of [`list_by_plan`].
async fn models_of_plan<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    plan_id: Uuid,
) -> DomainResult<Vec<tasks::Model>> {
    plan::load_visible(conn, caller, plan_id).await?;
    Ok(
        in_document_order(tasks::Entity::find().filter(tasks::Column::PlanId.eq(plan_id)))
            .all(conn)
            .await?,
    )
}

pub async fn update(
    db: &impl Store,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    changes: TaskChanges,
) -> DomainResult<Task> {
    let txn = begin_write(db).await?;
    let (current, plan, access) = load_visible(&txn, caller, id).await?;
    if changes.touches_definition() && !access.edit_definition() {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan may change what the task is",
        ));
    }
    if changes.touches_progress() && !access.edit_progress() {
        return Err(authz::refuse_write(
            &caller.principal,
            "only the task's lead unit or a coordinator may change its progress",
        ));
    }
    expect_version(ENTITY, id, expected_version, current.version)?;
    if plan.status == PlanStatus::Closed.as_str() {
        return Err(DomainError::conflict("the tasks of a closed plan cannot change"));
    }
    let before = task_view(&txn, caller, current.clone()).await?;
    let section = match &changes.section {
        Some(s) => clean_section(s.as_deref()),
        None => current.section.clone(),
    };
    let seq = changes.seq.unwrap_or(current.seq);
    let category = changes.category.clone().unwrap_or(current.category.clone());
    let content = changes.content.clone().unwrap_or(current.content.clone());
    let deadline_text = changes.deadline_text.clone().unwrap_or(current.deadline_text.clone());
    let leaders = changes.leaders.clone().unwrap_or(before.leaders.clone());
    let notes = changes.notes.clone().unwrap_or(current.notes.clone());
    let declared_progress = changes.declared_progress.unwrap_or(current.declared_progress);
    let progress_note = changes.progress_note.clone().unwrap_or(current.progress_note.clone());
    let mut v = Validator::new();
    TaskFields {
        section: &section,
        seq,
        category: category.as_deref(),
        content: &content,
        deadline_text: deadline_text.as_deref(),
        leaders: &leaders,
        notes: notes.as_deref(),
    }
    .validate(&mut v);
    validate_progress(&mut v, declared_progress, progress_note.as_deref());
    if let Some(assignments) = &changes.assignments {
        validate_assignments(&txn, &mut v, &plan, assignments).await?;
    }
    let metric_ids = match &changes.targets {
        Some(inputs) => {
            let existing: Vec<Uuid> = before.targets.iter().map(|t| t.id).collect();
            Some(validate_targets(&txn, &mut v, inputs, &existing).await?)
        }
        None => None,
    };
    v.finish()?;
    if section != current.section || seq != current.seq {
        check_seq_free(&txn, plan.id, &section, seq, Some(id)).await?;
    }
    let rank = if section == current.section {
        current.place.div_euclid(SECTION_SPAN)
    } else {
        section_rank(&txn, plan.id, &section, Some(id)).await?
    };
    let model = tasks::Entity::update(tasks::ActiveModel {
        id: ActiveValue::Unchanged(id),
        section: Set(section),
        seq: Set(seq),
        place: Set(place(rank, seq)),
        category: Set(category.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())),
        content: Set(content.trim().to_owned()),
        deadline: Set(changes.deadline.unwrap_or(current.deadline)),
        deadline_text: Set(deadline_text),
        status: Set(changes.status.unwrap_or(before.status).as_str().to_owned()),
        completed_on: Set(completion_day(
            before.status,
            changes.status,
            current.completed_on,
            caller.today(),
        )),
        declared_progress: Set(declared_progress),
        progress_note: Set(progress_note),
        leaders: Set(serde_json::json!(leaders)),
        notes: Set(notes),
        updated_at: Set(caller.now()),
        version: Set(expected_version + 1),
        ..Default::default()
    })
    .validate()?
    .filter(tasks::Column::Version.eq(expected_version))
    .exec(&txn)
    .await
    .map_err(lost_update(ENTITY, id, expected_version))?;
    if let Some(assignments) = &changes.assignments {
        write_assignments(&txn, caller.now(), id, assignments).await?;
    }
    if let Some(names) = &changes.leaders {
        let leader_region = super::leader::region_of_plan(&txn, &plan).await?;
        super::leader::link(&txn, caller.now(), id, leader_region, names).await?;
    }
    if let (Some(inputs), Some(metric_ids)) = (&changes.targets, &metric_ids) {
        write_targets(&txn, caller.now(), id, inputs, metric_ids).await?;
        // A kept target may have changed metric or unit: its reported
        // actuals follow.
        let kept: Vec<Uuid> = inputs.iter().filter_map(|t| t.id).collect();
        super::metric::renormalize_values(&txn, &kept).await?;
    }
    kept_anew(&txn, id, plan.id).await?;
    let after = task_view(&txn, caller, model).await?;
    audit::commit(
        txn,
        caller,
        Change::updated(ENTITY, Some(id), &audited(&before)?, &audited(&after)?)?,
    )
    .await?;
    Ok(after)
}

/// The day a task counts as completed: kept while it stays completed, set
/// to China's today when it becomes so, cleared when it no longer is.
fn completion_day(
    before: TaskStatus,
    after: Option<TaskStatus>,
    day: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match (before, after.unwrap_or(before)) {
        (TaskStatus::Completed, TaskStatus::Completed) => day,
        (_, TaskStatus::Completed) => Some(today),
        _ => None,
    }
}

/// Removes a task on which no report was made.
pub async fn delete(db: &impl Store, caller: &Caller, id: Uuid, expected_version: i32) -> DomainResult<()> {
    let txn = begin_write(db).await?;
    let (current, plan, access) = load_visible(&txn, caller, id).await?;
    if !access.edit_definition() {
        return Err(authz::refuse_write(
            &caller.principal,
            "only a coordinator of the plan may remove its tasks",
        ));
    }
    expect_version(ENTITY, id, expected_version, current.version)?;
    if plan.status == PlanStatus::Closed.as_str() {
        return Err(DomainError::conflict("the tasks of a closed plan cannot change"));
    }
    let report_count = reports::Entity::find()
        .filter(reports::Column::TaskId.eq(id))
        .count(&txn)
        .await?;
    if report_count > 0 {
        return Err(DomainError::conflict(
            Text::new("the task has %{reports} reports; cancel it instead").arg("reports", report_count),
        ));
    }
    let before = task_view(&txn, caller, current).await?;
    tasks::Entity::delete_by_id(id).exec(&txn).await?;
    super::figures::refresh_plans(&txn, &[plan.id]).await?;
    audit::commit(txn, caller, Change::deleted(ENTITY, Some(id), &audited(&before)?)?).await?;
    Ok(())
}

/// What the task list is filtered by; every filter narrows.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub plan_id: Option<Uuid>,
    pub pairing_id: Option<Uuid>,
    /// Tasks of the plans of this region (its own and its pairings').
    pub region_id: Option<Uuid>,
    pub year: Option<i32>,
    pub category: Option<String>,
    /// Tasks this unit works on, directly or through a group.
    pub unit_id: Option<Uuid>,
    /// With `unit_id`: only where the unit leads, or only where it supports.
    pub role: Option<AssignmentRole>,
    pub status: Option<TaskStatusFilter>,
    pub deadline_from: Option<NaiveDate>,
    pub deadline_to: Option<NaiveDate>,
    /// A substring of the task's text (具体任务).
    pub q: Option<String>,
    /// Tasks this leader (牵头领导) leads.
    pub leader_id: Option<Uuid>,
    /// Tasks whose traffic light is this colour today.
    pub light: Option<Light>,
    /// Tasks of pairings' lists, or of regions' own plans.
    pub plan_kind: Option<super::values::PlanKind>,
}

/// A task status to filter by, or `overdue` (逾期), which is derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskStatusFilter {
    Status(TaskStatus),
    Overdue,
}

impl TaskStatusFilter {
    /// The wire names: every status, and `overdue`.
    pub fn names() -> Vec<String> {
        TaskStatus::names()
            .into_iter()
            .chain(["overdue"])
            .map(str::to_owned)
            .collect()
    }
}

impl std::str::FromStr for TaskStatusFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<TaskStatusFilter, String> {
        if s == "overdue" {
            return Ok(TaskStatusFilter::Overdue);
        }
        s.parse::<TaskStatus>()
            .map(TaskStatusFilter::Status)
            .map_err(|e| format!("{e}, or overdue"))
    }
}

/// The tasks the caller may see that meet `filter`, as a query to page or
/// to read whole.
pub async fn filtered<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: &TaskFilter,
) -> DomainResult<sea_orm::Select<tasks::Entity>> {
    authz::require_reader(&caller.principal)?;
    if filter.role.is_some() && filter.unit_id.is_none() {
        return Err(DomainError::invalid("role", "filter by role together with unit_id"));
    }
    let mut query = tasks::Entity::find().filter(
        authz::Visibility::of(conn, &caller.principal)
            .await?
            .tasks(conn)
            .await?,
    );
    let mut plan_cond = sea_orm::Condition::all();
    let mut by_plan = false;
    if let Some(id) = filter.pairing_id {
        plan_cond = plan_cond.add(plans::Column::PairingId.eq(id));
        by_plan = true;
    }
    if let Some(region) = filter.region_id {
        plan_cond = plan_cond.add(authz::plans_of_region(region));
        by_plan = true;
    }
    if let Some(year) = filter.year {
        plan_cond = plan_cond.add(plans::Column::Year.eq(year));
        by_plan = true;
    }
    if let Some(kind) = filter.plan_kind {
        plan_cond = plan_cond.add(plan::of_kind(kind));
        by_plan = true;
    }
    if by_plan {
        query = query.filter(
            tasks::Column::PlanId.in_subquery(
                Query::select()
                    .column(plans::Column::Id)
                    .from(plans::Entity)
                    .cond_where(plan_cond)
                    .to_owned(),
            ),
        );
    }
    if let Some(id) = filter.plan_id {
        query = query.filter(tasks::Column::PlanId.eq(id));
    }
    if let Some(category) = filter.category.clone() {
        query = query.filter(tasks::Column::Category.eq(category));
    }
    if let Some(unit_id) = filter.unit_id {
        query = query.filter(tasks::Column::Id.in_subquery(authz::tasks_of_unit(conn, unit_id, filter.role).await?));
    }
    match filter.status {
        Some(TaskStatusFilter::Status(status)) => query = query.filter(tasks::Column::Status.eq(status.as_str())),
        Some(TaskStatusFilter::Overdue) => {
            let today = caller.today();
            query = query.filter(tasks::Column::Deadline.lt(today)).filter(
                tasks::Column::Status.is_not_in([TaskStatus::Completed.as_str(), TaskStatus::Cancelled.as_str()]),
            );
        }
        None => {}
    }
    if let Some(from) = filter.deadline_from {
        query = query.filter(tasks::Column::Deadline.gte(from));
    }
    if let Some(to) = filter.deadline_to {
        query = query.filter(tasks::Column::Deadline.lte(to));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(super::region::contains(tasks::Column::Content, q));
    }
    if let Some(leader) = filter.leader_id {
        query = query.filter(tasks::Column::Id.in_subquery(super::leader::tasks_led(conn, caller, leader).await?));
    }
    if let Some(light) = filter.light {
        // The light is judged, not stored: judge the candidates (as their
        // views would be, without building them), keep the ids.
        let candidates = query.clone().select_only().column(tasks::Column::Id).into_query();
        let ids: Vec<Uuid> = super::light::judged(conn, caller.today(), &candidates, super::light::Owing::Kept)
            .await?
            .into_iter()
            .filter(|t| t.light == light)
            .map(|t| t.task_id)
            .collect();
        query = query.filter(super::statistics::among(
            conn.get_database_backend(),
            r#""tasks"."id""#,
            &ids,
        ));
    }
    Ok(query)
}

/// The tasks the caller may see that meet `filter`, one page in `sort`
/// order (`seq`, `deadline`, `created_at`, `updated_at`; `-` for descending).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    filter: TaskFilter,
    sort: Option<&str>,
    page: &super::page::PageRequest,
) -> DomainResult<super::page::Page<Task>> {
    use super::page::{self, Sort};
    authz::require_reader(&caller.principal)?;
    let (field, descending) = page::parse_sort(sort, "seq", SORT_KEYS)?;
    let query = filtered(conn, caller, &filter).await?;
    let sort = match field {
        "seq" => Sort::<tasks::Entity> {
            column: tasks::Column::Place,
            id: tasks::Column::Id,
            descending,
            key_of: |m: &tasks::Model| (place_key(m.place), m.id),
            value_of: page::int_value,
        },
        "deadline" => Sort {
            column: tasks::Column::Deadline,
            id: tasks::Column::Id,
            descending,
            key_of: |m: &tasks::Model| (serde_json::json!(m.deadline.to_string()), m.id),
            value_of: page::date_value,
        },
        "created_at" => Sort {
            column: tasks::Column::CreatedAt,
            id: tasks::Column::Id,
            descending,
            key_of: |m: &tasks::Model| (serde_json::json!(m.created_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
        _ => Sort {
            column: tasks::Column::UpdatedAt,
            id: tasks::Column::Id,
            descending,
            key_of: |m: &tasks::Model| (serde_json::json!(m.updated_at.to_rfc3339()), m.id),
            value_of: page::timestamp_value,
        },
    };
    let rows = page::fetch(conn, query, &sort, page).await?;
    rows.then(async |items| task_views(conn, caller, items).await).await
}

/// The tasks with these ids that the caller may see, in no particular
/// order, with a fixed number of queries (with the visibility of [`list`]):
/// for batch loading.
pub async fn get_many<C: ConnectionTrait>(conn: &C, caller: &Caller, ids: &[Uuid]) -> DomainResult<Vec<Task>> {
    authz::require_reader(&caller.principal)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = visible(conn, caller)
        .await?
        .filter(tasks::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    task_views(conn, caller, models).await
}

/// The places of the tasks of these plans that the caller may see, in
/// document order (by [`place`]), in one statement however many plans and
/// tasks (with the visibility of [`list`]): for batch loading, before the
/// page shown is built.
pub async fn placed_by_plans<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    plan_ids: &[Uuid],
) -> DomainResult<Vec<Placed>> {
    let models = models_by_plans(conn, caller, plan_ids).await?;
    Ok(models.iter().map(Placed::from).collect())
}

/// The tasks of [`placed_by_plans`], without their lights (each green, as
/// [`unjudged_views`]): what the plans' progress is worked out from.
pub(crate) async fn unjudged_by_plans<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    plan_ids: &[Uuid],
) -> DomainResult<Vec<Task>> {
    let models = models_by_plans(conn, caller, plan_ids).await?;
    unjudged_views(conn, caller.today(), models).await
}

/// The rows of [`placed_by_plans`].
async fn models_by_plans<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    plan_ids: &[Uuid],
) -> DomainResult<Vec<tasks::Model>> {
    authz::require_reader(&caller.principal)?;
    if plan_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(in_document_order(
        visible(conn, caller)
            .await?
            .filter(tasks::Column::PlanId.is_in(plan_ids.iter().copied())),
    )
    .all(conn)
    .await?)
}

/// The places of the tasks each of `unit_ids` works on (directly or
/// through a group it belongs to; with `role`, only where it leads or only
/// where it supports) that the caller may see, in document order, each
/// with the unit it was found for, in a fixed number of statements: for
/// batch loading (`Unit.tasks`), before the page shown is built.
pub async fn of_units<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    unit_ids: &[Uuid],
    role: Option<AssignmentRole>,
) -> DomainResult<Vec<(Uuid, Placed)>> {
    authz::require_reader(&caller.principal)?;
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let groups = authz::groups_of_units(conn, unit_ids).await?;
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (unit, of) in &groups {
        for group in of {
            members.entry(*group).or_default().push(*unit);
        }
    }
    let which = authz::assignments_of(unit_ids, members.keys().copied(), role);
    let assignments = task_assignments::Entity::find().filter(which.clone()).all(conn).await?;
    let mut units_of_task: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for a in assignments {
        let units = match (a.unit_id, a.group_id) {
            (Some(unit), _) => vec![unit],
            (None, Some(group)) => members.get(&group).cloned().unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        let found = units_of_task.entry(a.task_id).or_default();
        for unit in units {
            if !found.contains(&unit) {
                found.push(unit);
            }
        }
    }
    let assigned = Query::select()
        .column(task_assignments::Column::TaskId)
        .from(task_assignments::Entity)
        .cond_where(which)
        .to_owned();
    let models = in_document_order(
        visible(conn, caller)
            .await?
            .filter(tasks::Column::Id.in_subquery(assigned)),
    )
    .all(conn)
    .await?;
    let mut out = Vec::new();
    for task in &models {
        for unit in units_of_task.get(&task.id).into_iter().flatten() {
            out.push((*unit, Placed::from(task)));
        }
    }
    Ok(out)
}

/// Plan by plan, each in document order (its places).
pub(crate) fn in_document_order(query: sea_orm::Select<tasks::Entity>) -> sea_orm::Select<tasks::Entity> {
    query
        .order_by_asc(tasks::Column::PlanId)
        .order_by_asc(tasks::Column::Place)
        .order_by_asc(tasks::Column::Id)
}

/// The tasks the caller may see, as a query to narrow further.
async fn visible<C: ConnectionTrait>(conn: &C, caller: &Caller) -> DomainResult<sea_orm::Select<tasks::Entity>> {
    let condition = authz::Visibility::of(conn, &caller.principal)
        .await?
        .tasks(conn)
        .await?;
    Ok(tasks::Entity::find().filter(condition))
}

/// A unit cell of the document a task was imported from: its column's
/// header, its text as written, and the units or groups it resolved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SourceCell {
    pub header: String,
    pub text: String,
    pub assignees: Vec<Uuid>,
}

/// Keeps the unit cells of the document a task is being imported from.
pub(crate) async fn keep_source_cells<C: ConnectionTrait>(
    conn: &C,
    task_id: Uuid,
    cells: &[SourceCell],
) -> DomainResult<()> {
    let json = serde_json::to_value(cells).map_err(|e| DomainError::Internal(e.into()))?;
    tasks::Entity::update(tasks::ActiveModel {
        id: ActiveValue::Unchanged(task_id),
        source_cells: Set(Some(json)),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(())
}

/// The imported unit cells of each task of a plan that has some.
pub async fn source_cells_of<C: ConnectionTrait>(
    conn: &C,
    plan_id: Uuid,
) -> DomainResult<HashMap<Uuid, Vec<SourceCell>>> {
    Ok(tasks::Entity::find()
        .filter(tasks::Column::PlanId.eq(plan_id))
        .filter(tasks::Column::SourceCells.is_not_null())
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|t| {
            let cells: Vec<SourceCell> = serde_json::from_value(t.source_cells?).ok()?;
            Some((t.id, cells))
        })
        .collect())
}

impl external::Upsert for NewTask {
    type View = Task;
    const TABLE: &'static str = "tasks";
    const ENTITY: &'static str = ENTITY;

    fn external_id_mut(&mut self) -> &mut Option<String> {
        &mut self.external_id
    }

    fn version(view: &Task) -> i32 {
        view.version
    }

    async fn create(self, txn: &DatabaseTransaction, caller: &Caller) -> DomainResult<Task> {
        create(txn, caller, self).await
    }

    async fn read(txn: &DatabaseTransaction, caller: &Caller, id: Uuid) -> DomainResult<Task> {
        get(txn, caller, id).await
    }

    /// What the task is, from the whole body; its progress stays. The
    /// targets the body gives without an id are the task's targets it does
    /// not name, in order (so that reported values stay with them); a task
    /// stays in its plan.
    async fn replace(self, txn: &DatabaseTransaction, caller: &Caller, id: Uuid, version: i32) -> DomainResult<Task> {
        let current = get(txn, caller, id).await?;
        if current.plan_id != self.plan_id {
            return Err(DomainError::invalid(
                "plan_id",
                "a task stays in its plan: remove it and add it to the other",
            ));
        }
        let named: HashSet<Uuid> = self.targets.iter().filter_map(|t| t.id).collect();
        let mut free = current.targets.iter().map(|t| t.id).filter(|id| !named.contains(id));
        let targets = self
            .targets
            .into_iter()
            .map(|t| TargetInput {
                id: t.id.or_else(|| free.next()),
                ..t
            })
            .collect();
        update(
            txn,
            caller,
            id,
            version,
            TaskChanges {
                section: Some(self.section),
                seq: Some(self.seq),
                category: Some(self.category),
                content: Some(self.content),
                deadline: self.deadline,
                deadline_text: Some(self.deadline_text),
                leaders: Some(self.leaders),
                notes: Some(self.notes),
                assignments: Some(self.assignments),
                targets: Some(targets),
                ..TaskChanges::default()
            },
        )
        .await
    }
}
