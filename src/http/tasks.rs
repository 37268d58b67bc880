//! `/api/v1/tasks`: tasks (重点任务) with their units (牵头 and 配合) and
//! targets (指标), written and read with the task.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use super::problem::{ApiError, ApiResult};
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::DomainError;
use crate::domain::page::{Page, PageRequest};
use crate::domain::task::{
    self, AssignmentChoice, AssignmentInput, NewTask, TargetInput, Task, TaskChanges, TaskFilter,
};
use crate::domain::values::{Amount, AssignmentRole, Comparator, Light, Side, TaskStatus};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(upsert))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `seq` (document order: a plan's sections as its document orders them, each by 序号), `deadline`, `created_at` or `updated_at`, `-` first for descending (default `seq`).
    sort: Option<String>,
    plan_id: Option<Uuid>,
    pairing_id: Option<Uuid>,
    /// Tasks of the plans of this region: its own and its pairings'.
    region_id: Option<Uuid>,
    /// The plan's year.
    year: Option<i32>,
    /// 协同发展事项 / 重点领域, exactly.
    category: Option<String>,
    /// Tasks this unit works on, directly or through a group (各镇街).
    unit_id: Option<Uuid>,
    /// With `unit_id`: `lead` (牵头) or `supporting` (配合).
    role: Option<AssignmentRole>,
    /// `not_started`, `in_progress`, `completed`, `cancelled`, or `overdue` (逾期).
    status: Option<String>,
    /// Deadline on or after this day.
    deadline_from: Option<NaiveDate>,
    /// Deadline on or before this day.
    deadline_to: Option<NaiveDate>,
    /// Words in the task's text (具体任务).
    q: Option<String>,
    /// Tasks this leader (牵头领导) leads.
    leader_id: Option<Uuid>,
    /// Tasks whose traffic light is `green`, `yellow` or `red` today.
    light: Option<Light>,
}

/// The tasks the caller may see.
///
/// Administrators, viewers and clients see every task; coordinators and unit
/// users the tasks of their region's plans and its pairings', and those their
/// unit works on (directly or through a group). Each with its units (牵头, 配合),
/// targets, status, overdue flag and traffic light; filtered as the parameters
/// say (`status=overdue` for 逾期; an unknown status is 422 VALIDATION_FAILED),
/// in document order by default (`seq`: a plan's sections as its document
/// orders them, 主要预期目标 before 主要工作任务, each by 序号), paged with
/// `limit` and `cursor`.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, description = "A page of tasks", body = Page<Task>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Page<Task>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<task::TaskStatusFilter>())
        .transpose()
        .map_err(|e| ApiError::from(DomainError::invalid("status", e)))?;
    let filter = TaskFilter {
        plan_id: q.plan_id,
        pairing_id: q.pairing_id,
        region_id: q.region_id,
        year: q.year,
        category: q.category,
        unit_id: q.unit_id,
        role: q.role,
        status,
        deadline_from: q.deadline_from,
        deadline_to: q.deadline_to,
        q: q.q,
        leader_id: q.leader_id,
        light: q.light,
        plan_kind: None,
    };
    Ok(Json(
        task::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A unit or a group on a task: give `unit_id` or `group_id`.
#[derive(Deserialize, Serialize, utoipa::ToSchema, Clone)]
#[serde(deny_unknown_fields)]
struct AssignmentBody {
    unit_id: Option<Uuid>,
    group_id: Option<Uuid>,
    role: AssignmentRole,
    /// Required in a pairing's plan, absent in a region's own.
    side: Option<Side>,
}

/// A target (指标) of a task.
#[derive(Deserialize, Serialize, utoipa::ToSchema, Clone)]
#[serde(deny_unknown_fields)]
struct TargetBody {
    /// An existing target to keep (its reported values stay); absent for a new one.
    id: Option<Uuid>,
    /// A metric code of the catalogue (`investment_funds`).
    #[schema(example = "investment_funds")]
    metric: Option<String>,
    #[schema(example = "实际到位资金")]
    label: Option<String>,
    comparator: Comparator,
    /// Required unless the comparator is `qualitative`.
    value: Option<Amount>,
    /// The upper end of a `range`.
    value_max: Option<Amount>,
    /// 万元, 人次, 个, 名 …: with a metric, one that converts to the metric's unit.
    #[schema(example = "万元")]
    unit: String,
    /// What a growth target is measured against (比2024年).
    #[schema(example = "比2024年")]
    baseline: Option<String>,
    #[schema(example = "力争实际到位资金5000万元以上")]
    source_text: String,
}

fn assignments(bodies: Vec<AssignmentBody>) -> Result<Vec<AssignmentInput>, ApiError> {
    let choices = bodies
        .into_iter()
        .map(|body| AssignmentChoice {
            unit: body.unit_id,
            group: body.group_id,
            role: body.role,
            side: body.side,
        })
        .collect();
    Ok(AssignmentInput::choose(choices, "unit_id", "group_id")?)
}

fn targets(bodies: Vec<TargetBody>) -> Vec<TargetInput> {
    bodies
        .into_iter()
        .map(|t| TargetInput {
            id: t.id,
            metric: t.metric,
            label: t.label,
            comparator: t.comparator,
            value: t.value,
            value_max: t.value_max,
            unit: t.unit,
            baseline: t.baseline,
            source_text: t.source_text,
        })
        .collect()
}

/// A new task of a plan.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateTask {
    plan_id: Uuid,
    /// 部分, when the plan has sections.
    section: Option<String>,
    /// 序号, once within a section.
    #[schema(example = 1)]
    seq: i32,
    #[schema(example = "联手开展招商引资")]
    category: Option<String>,
    #[schema(example = "确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000万元以上。")]
    content: String,
    /// 完成时限; the plan's default deadline when absent.
    deadline: Option<NaiveDate>,
    #[schema(example = "2025年11月底")]
    deadline_text: Option<String>,
    /// 牵头领导
    #[serde(default)]
    leaders: Vec<String>,
    /// 备注
    notes: Option<String>,
    #[serde(default)]
    assignments: Vec<AssignmentBody>,
    #[serde(default)]
    targets: Vec<TargetBody>,
    /// The platform's own id of it, unique per client: the key of `PUT
    /// /api/v1/tasks/by-external-id/{external_id}`.
    #[schema(value_type = Option<crate::domain::external::ExternalIdText>)]
    external_id: Option<String>,
}

impl CreateTask {
    fn input(&self) -> ApiResult<NewTask> {
        Ok(NewTask {
            plan_id: self.plan_id,
            section: self.section.clone(),
            seq: self.seq,
            category: self.category.clone(),
            content: self.content.clone(),
            deadline: self.deadline,
            deadline_text: self.deadline_text.clone(),
            leaders: self.leaders.clone(),
            notes: self.notes.clone(),
            assignments: assignments(self.assignments.clone())?,
            targets: targets(self.targets.clone()),
            external_id: self.external_id.clone(),
        })
    }
}

/// Add a task to a plan, as its coordinator.
///
/// With its section, 序号 (once per section, else 409 CONFLICT), category, text,
/// deadline (the plan's default when absent), leaders (牵头领导), notes, units or
/// groups (lead or supporting; in a pairing's plan on their region's side) and
/// targets. As a coordinator of the plan, an administrator or a `write` client
/// (others who see it: 403 FORBIDDEN); a closed plan takes no tasks (409
/// CONFLICT); a wrong field or an unseen plan is 422 VALIDATION_FAILED. Answers
/// 201 with its `ETag`. `Idempotency-Key` makes a retry answer the first 201
/// again (`Idempotent-Replayed: true`) instead of creating twice; the key
/// reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = CreateTask,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Task, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateTask>,
) -> ApiResult<Response> {
    let input = body.input()?;
    idempotent::create(&state, &caller, &headers, "POST /api/v1/tasks", &body, async |txn| {
        task::create(txn, &caller, input).await
    })
    .await
}

/// Create or replace a task by the platform's own id.
///
/// The caller's task whose `external_id` is the path's (unique per client;
/// a person's external ids are the office's): none, and it is created as
/// `POST /api/v1/tasks` creates one (201); one, and what it is (text,
/// deadline, leaders, units, targets) is replaced as a `PATCH` naming each
/// would change it (200) — its status and progress stay — or it is
/// answered as it is when the body says what it holds, so a retried
/// request leaves one task at one version. Targets given without an `id`
/// are the task's targets not named by id, in order, so that their
/// reported figures stay with them. The body is `POST`'s; its
/// `external_id`, when given, must be the path's; its `plan_id` must be the
/// task's. `If-Match` is optional: when sent it must name the current
/// version (412 VERSION_CONFLICT; also when there is no task yet).
/// Permissions and errors are those of adding and of changing a task.
#[utoipa::path(put, path = "/api/v1/tasks/by-external-id/{external_id}", tag = "tasks", request_body = CreateTask,
    params(("external_id" = String, Path, description = "The platform's own id of the task"),
        ("If-Match" = Option<String>, Header, description = "The version read, as its ETag: checked when sent")),
    responses((status = 201, description = "Created", body = Task, headers(("ETag" = String))),
        (status = 200, description = "Replaced, or as it was", body = Task, headers(("ETag" = String)))))]
async fn upsert(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiPath(external_id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateTask>,
) -> ApiResult<Response> {
    super::upsert::answer(&state, &caller, &headers, &external_id, body.input()?).await
}

/// A task, with its units and targets.
///
/// Its plan, section, 序号, category, text, deadline (a day and the
/// document's words), status, whether it is overdue, declared progress,
/// leaders, traffic light and why, notes, assignments and targets.
/// Administrators, viewers and integration clients see every task;
/// coordinators and unit users the tasks of the plans of their unit's region
/// and its pairings, and the tasks their unit works on (directly or
/// through a group). A task the caller may not see answers 404
/// NOT_FOUND. `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path, description = "The task's id")),
    responses((status = 200, description = "The task", body = Task, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = task::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Changes to a task; absent fields stay, `null` clears. What the task is
/// (text, deadline, units, targets) is the coordinators'; its progress
/// (`status`, `declared_progress`, `progress_note`) also its lead unit's.
/// `assignments` and `targets`, when given, replace the lists; a target
/// keeps its reported values when named by its `id`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchTask {
    #[serde(default, with = "super::double_option")]
    section: Option<Option<String>>,
    seq: Option<i32>,
    #[serde(default, with = "super::double_option")]
    category: Option<Option<String>>,
    content: Option<String>,
    deadline: Option<NaiveDate>,
    #[serde(default, with = "super::double_option")]
    deadline_text: Option<Option<String>>,
    leaders: Option<Vec<String>>,
    #[serde(default, with = "super::double_option")]
    notes: Option<Option<String>>,
    assignments: Option<Vec<AssignmentBody>>,
    targets: Option<Vec<TargetBody>>,
    status: Option<TaskStatus>,
    /// 0 to 100, for tasks without targets.
    #[serde(default, with = "super::double_option")]
    declared_progress: Option<Option<i32>>,
    #[serde(default, with = "super::double_option")]
    progress_note: Option<Option<String>>,
}

/// Change a task.
///
/// Absent fields stay, `null` clears; `assignments` and `targets` replace the
/// lists (a target kept by its `id` keeps its reported values; one counted by
/// approved reports cannot go: 409 CONFLICT). What the task is belongs to the
/// plan's coordinators; its progress (`status`, `declared_progress`,
/// `progress_note`) also to its lead unit; administrators and `write` clients
/// may change both (others: 403 FORBIDDEN; unseen: 404 NOT_FOUND). A closed
/// plan's tasks, or a 序号 already used: 409 CONFLICT. Needs `If-Match` with the
/// `ETag` read (without: 428 PRECONDITION_REQUIRED; stale: 412
/// VERSION_CONFLICT).
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", request_body = PatchTask,
    params(("id" = Uuid, Path, description = "The task's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Task, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchTask>,
) -> ApiResult<Response> {
    let changes = TaskChanges {
        section: body.section,
        seq: body.seq,
        category: body.category,
        content: body.content,
        deadline: body.deadline,
        deadline_text: body.deadline_text,
        leaders: body.leaders,
        notes: body.notes,
        assignments: body.assignments.map(assignments).transpose()?,
        targets: body.targets.map(targets),
        status: body.status,
        declared_progress: body.declared_progress,
        progress_note: body.progress_note,
    };
    let updated = task::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Remove a task on which no report was made, as a coordinator of its plan.
///
/// A task with reports answers 409 CONFLICT (cancel it instead), as does a task
/// of a closed plan. Coordinators of the plan, administrators and clients with
/// the `write` scope may; anyone else who sees the task answers 403 FORBIDDEN,
/// a task the caller may not see 404 NOT_FOUND. Needs `If-Match` with the
/// `ETag` read (without: 428 PRECONDITION_REQUIRED; stale: 412
/// VERSION_CONFLICT).
#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    task::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
