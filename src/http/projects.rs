//! Projects and funds (援建项目, 协同资金): `/api/v1/projects`, their
//! milestones and fund movements, the ledger's figures
//! (`/api/v1/projects/statistics`) and the catalogue of categories
//! (`/api/v1/project-categories`). Money is taken in 万元, or with its unit
//! (`"1.2亿元"`), and answered in 万元.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch, if_match_version};
use super::problem::ApiResult;
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::page::{Page, PageRequest};
use crate::domain::project::figures::{self, FigureFilter, ProjectStatistics};
use crate::domain::project::{
    self, FundMovement, Milestone, Money, NewFundMovement, NewMilestone, NewProject, Project, ProjectCategory,
    ProjectChanges, ProjectFilter,
};
use crate::domain::values::{FundKind, FundSource, ProjectStatus, ReportPeriod};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(statistics))
        .routes(routes!(export))
        .routes(routes!(read, update))
        .routes(routes!(milestones, record_milestone))
        .routes(routes!(fund_movements, record_fund_movement))
        .routes(routes!(categories, create_category))
        .routes(routes!(upsert))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ProjectQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `name`, `created_at` or `updated_at`, `-` first for descending (default `name`).
    sort: Option<String>,
    pairing_id: Option<Uuid>,
    /// Projects of the pairings this region takes part in.
    region_id: Option<Uuid>,
    year: Option<i32>,
    status: Option<ProjectStatus>,
    /// A category's code (`education`).
    category: Option<String>,
    plan_id: Option<Uuid>,
    task_id: Option<Uuid>,
    implementing_unit_id: Option<Uuid>,
    /// A part of the name.
    q: Option<String>,
}

/// The projects (援建项目) the caller may see.
///
/// Administrators, viewers and clients see every project; coordinators and unit
/// users those of the pairings their region takes part in, and those their unit
/// carries out. Each with its pairing, plan and task, category, units, status,
/// planned investment and pairing funds, allocated and spent (万元); filtered as
/// the parameters say (an unknown `category` is 422 VALIDATION_FAILED), sorted
/// by `name` by default, paged with `limit` and `cursor`.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ProjectQuery),
    responses((status = 200, description = "A page of projects", body = Page<Project>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> ApiResult<Json<Page<Project>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = ProjectFilter {
        pairing_id: q.pairing_id,
        region_id: q.region_id,
        year: q.year,
        status: q.status,
        category: q.category,
        plan_id: q.plan_id,
        task_id: q.task_id,
        implementing_unit_id: q.implementing_unit_id,
        q: q.q,
    };
    Ok(Json(
        project::list(&state.db, &caller, &filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A project to record.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProject {
    pairing_id: Uuid,
    #[schema(example = 2025, minimum = 1990, maximum = 2100)]
    year: i32,
    plan_id: Option<Uuid>,
    /// The task it serves; its plan is taken from it.
    task_id: Option<Uuid>,
    #[schema(example = "巫溪县中医院康复大楼建设项目", pattern = r"\S")]
    name: String,
    /// A category's code or name (`medical`, 医疗).
    #[schema(example = "medical")]
    category: String,
    /// The town or park, in words.
    #[schema(example = "柏杨街道")]
    location: Option<String>,
    content: Option<String>,
    implementing_unit_id: Uuid,
    helper_lead_unit_id: Option<Uuid>,
    recipient_lead_unit_id: Option<Uuid>,
    /// Planned total investment (总投资).
    investment: Money,
    /// Planned pairing funds (协同资金).
    pairing_funds: Money,
    external_id: Option<String>,
    /// The day it was issued (下达); today when absent (and the milestone says so).
    issued_on: Option<NaiveDate>,
}

/// Records a project of a pairing, issued (下达), as a coordinator of either side.
///
/// As a coordinator of the pairing's regions, an administrator or a `write`
/// client (others who see the pairing: 403 FORBIDDEN). It starts `issued` on
/// `issued_on` (today when absent). Money in 万元 or with its unit (`"1.2亿元"`),
/// the pairing funds at most the total investment; the category a code or name
/// of the catalogue; the units of the pairing's regions (lead units on their
/// side); a task brings its plan, which must be the pairing's. A wrong field,
/// an unknown or unseen pairing, or a future day is 422 VALIDATION_FAILED.
/// Answers 201 with its `ETag`. `Idempotency-Key` makes a retry answer the
/// first 201 again (`Idempotent-Replayed: true`) instead of creating twice; the
/// key reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = CreateProject,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Project, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateProject>,
) -> ApiResult<Response> {
    let input = body.input();
    idempotent::create(&state, &caller, &headers, "POST /api/v1/projects", &body, async |txn| {
        project::create(txn, &caller, input).await
    })
    .await
}

impl CreateProject {
    fn input(&self) -> NewProject {
        NewProject {
            pairing_id: self.pairing_id,
            year: self.year,
            plan_id: self.plan_id,
            task_id: self.task_id,
            name: self.name.clone(),
            category: self.category.clone(),
            location: self.location.clone(),
            content: self.content.clone(),
            implementing_unit_id: self.implementing_unit_id,
            helper_lead_unit_id: self.helper_lead_unit_id,
            recipient_lead_unit_id: self.recipient_lead_unit_id,
            investment: self.investment.0,
            pairing_funds: self.pairing_funds.0,
            external_id: self.external_id.clone(),
            issued_on: self.issued_on,
        }
    }
}

/// Create or replace a project by the platform's own id.
///
/// The caller's project whose `external_id` is the path's (unique per
/// client; the external ids people set, as a ledger's 项目编号, are the
/// office's): none, and it is recorded as `POST /api/v1/projects` records
/// one (201); one, and what it is (name, category, units, money planned,
/// plan and task) is replaced as a `PATCH` naming each would change it
/// (200) — its milestones, allocations and spending stay, they are
/// recorded — or it is answered as it is when the body says what it holds,
/// so a retried request leaves one project at one version. The body is
/// `POST`'s; its `external_id`, when given, must be the path's; its
/// `pairing_id` must be the project's. `If-Match` is optional: when sent it
/// must name the current version (412 VERSION_CONFLICT; also when there is
/// no project yet). Permissions and errors are those of recording and of
/// changing a project.
#[utoipa::path(put, path = "/api/v1/projects/by-external-id/{external_id}", tag = "projects", request_body = CreateProject,
    params(("external_id" = String, Path, description = "The platform's own id of the project"),
        ("If-Match" = Option<String>, Header, description = "The version read, as its ETag: checked when sent")),
    responses((status = 201, description = "Created", body = Project, headers(("ETag" = String))),
        (status = 200, description = "Replaced, or as it was", body = Project, headers(("ETag" = String)))))]
async fn upsert(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiPath(external_id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateProject>,
) -> ApiResult<Response> {
    super::upsert::answer(&state, &caller, &headers, &external_id, body.input()).await
}

/// A project, with what was allocated and spent.
///
/// The project as the list shows it, with its sums of allocations (拨付) and
/// spending (支出) in 万元. Administrators, viewers and integration clients see
/// every project; coordinators and unit users those of the pairings their
/// unit's region takes part in, and those their unit carries out. A project the
/// caller may not see answers 404 NOT_FOUND. `If-None-Match` with the current
/// `ETag` answers 304.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path, description = "The project's id")),
    responses((status = 200, description = "The project", body = Project, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = project::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// What changes in a project; what is absent stays, `null` clears.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchProject {
    year: Option<i32>,
    #[serde(default, with = "super::double_option")]
    plan_id: Option<Option<Uuid>>,
    #[serde(default, with = "super::double_option")]
    task_id: Option<Option<Uuid>>,
    #[schema(pattern = r"\S")]
    name: Option<String>,
    category: Option<String>,
    #[serde(default, with = "super::double_option")]
    location: Option<Option<String>>,
    #[serde(default, with = "super::double_option")]
    content: Option<Option<String>>,
    implementing_unit_id: Option<Uuid>,
    #[serde(default, with = "super::double_option")]
    helper_lead_unit_id: Option<Option<Uuid>>,
    #[serde(default, with = "super::double_option")]
    recipient_lead_unit_id: Option<Option<Uuid>>,
    investment: Option<Money>,
    pairing_funds: Option<Money>,
    #[serde(default, with = "super::double_option")]
    external_id: Option<Option<String>>,
}

/// Changes what a project is, as a coordinator of its pairing.
///
/// Its status moves by milestones, its money by fund movements. Absent fields
/// stay, `null` clears; the result is checked as on creation (422
/// VALIDATION_FAILED); a task named anew brings its plan unless a plan is named
/// too. Coordinators of the pairing's regions, administrators and clients with
/// the `write` scope may (another who sees it: 403 FORBIDDEN); a project the
/// caller may not see answers 404 NOT_FOUND. Needs `If-Match` with the `ETag`
/// read (without: 428 PRECONDITION_REQUIRED; stale: 412 VERSION_CONFLICT).
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", request_body = PatchProject,
    params(("id" = Uuid, Path, description = "The project's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Project, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchProject>,
) -> ApiResult<Response> {
    let changes = ProjectChanges {
        year: body.year,
        plan_id: body.plan_id,
        task_id: body.task_id,
        name: body.name,
        category: body.category,
        location: body.location,
        content: body.content,
        implementing_unit_id: body.implementing_unit_id,
        helper_lead_unit_id: body.helper_lead_unit_id,
        recipient_lead_unit_id: body.recipient_lead_unit_id,
        investment: body.investment.map(|m| m.0),
        pairing_funds: body.pairing_funds.map(|m| m.0),
        external_id: body.external_id,
    };
    let updated = project::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// A project's milestones, in the order reached.
///
/// Each milestone (下达, 开工, 完工, 验收, 取消) with its day, whether that
/// day was given or is the day it was recorded, its note and who recorded
/// it. Whoever sees the project may read them; a project the caller may not
/// see answers 404 NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/projects/{id}/milestones", tag = "projects", params(("id" = Uuid, Path, description = "The project's id")),
    responses((status = 200, description = "The milestones", body = Vec<Milestone>)))]
async fn milestones(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Milestone>>> {
    Ok(Json(project::milestones(&state.db, &caller, id).await?))
}

/// A milestone reached.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MilestoneBody {
    /// `started`, `completed`, `accepted` (later than the project's), or `cancelled`.
    status: ProjectStatus,
    /// The day; today when absent (and the milestone says so).
    occurred_on: Option<NaiveDate>,
    note: Option<String>,
}

/// Records a milestone (开工, 完工, 验收; 取消 by a coordinator).
///
/// For the implementing unit's users, the pairing's coordinators,
/// administrators and `write` clients; cancelling is a coordinator's (others
/// who see it: 403 FORBIDDEN; unseen: 404 NOT_FOUND). Milestones only move on
/// (issued, started, completed, accepted), and an accepted or cancelled project
/// stays (else 409 CONFLICT); the day (today when absent) is never before the
/// previous milestone nor in the future (422 VALIDATION_FAILED). `If-Match` is
/// optional: a stale one is 412 VERSION_CONFLICT.
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones", tag = "projects", request_body = MilestoneBody,
    params(("id" = Uuid, Path, description = "The project's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "The project at its new milestone", body = Project, headers(("ETag" = String)))))]
async fn record_milestone(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MilestoneBody>,
) -> ApiResult<Response> {
    let input = NewMilestone {
        status: body.status,
        occurred_on: body.occurred_on,
        note: body.note,
    };
    let moved = project::record_milestone(&state.db, &caller, id, if_match_version(&headers)?, input).await?;
    Ok(with_etag(moved.version, Json(moved)))
}

/// A project's fund movements, in the order they happened.
///
/// Each allocation (拨付) and spending (支出) with its day, amount (万元),
/// source, purpose, reason, note and who recorded it. Whoever sees the
/// project may read them; a project the caller may not see answers 404
/// NOT_FOUND.
#[utoipa::path(get, path = "/api/v1/projects/{id}/fund-movements", tag = "projects", params(("id" = Uuid, Path, description = "The project's id")),
    responses((status = 200, description = "The movements", body = Vec<FundMovement>)))]
async fn fund_movements(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<FundMovement>>> {
    Ok(Json(project::fund_movements(&state.db, &caller, id).await?))
}

/// Money moved.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FundBody {
    kind: FundKind,
    occurred_on: NaiveDate,
    /// More than 0.
    amount: Money,
    source: FundSource,
    #[schema(example = "基础设施建设")]
    purpose: String,
    /// Why spending goes beyond the allocations (a coordinator's).
    reason: Option<String>,
    note: Option<String>,
}

/// Records an allocation (拨付) or spending (支出) of a project.
///
/// An allocation is a coordinator's; spending the implementing unit's or a
/// coordinator's (administrators and `write` clients may both; others who see
/// the project: 403 FORBIDDEN; unseen: 404 NOT_FOUND). Spending beyond the
/// allocations is refused unless a coordinator gives a reason (409 CONFLICT for
/// the unit; 422 VALIDATION_FAILED on `reason` without one). A cancelled
/// project's money no longer moves (409 CONFLICT); the amount is more than 0,
/// the day not in the future (422). Answers 201 with the movement.
/// `Idempotency-Key` makes a retry answer the first 201 again
/// (`Idempotent-Replayed: true`) instead of creating twice; the key reused with
/// another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/projects/{id}/fund-movements", tag = "projects", request_body = FundBody,
    params(("id" = Uuid, Path, description = "The project's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Recorded", body = FundMovement)))]
async fn record_fund_movement(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<FundBody>,
) -> ApiResult<Response> {
    let operation = format!("POST /api/v1/projects/{id}/fund-movements");
    let input = NewFundMovement {
        kind: body.kind,
        occurred_on: body.occurred_on,
        amount: body.amount.0,
        source: body.source,
        purpose: body.purpose.clone(),
        reason: body.reason.clone(),
        note: body.note.clone(),
    };
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        project::record_fund_movement(txn, &caller, id, input).await
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatisticsQuery {
    year: Option<i32>,
    pairing_id: Option<Uuid>,
    /// Projects of the pairings this region takes part in.
    region_id: Option<Uuid>,
    /// As of the end of this period: `2025-06`, `2025-Q2`, `2025-H1`, `2025`.
    period: Option<ReportPeriod>,
    /// As of the end of this day (China's calendar); not with `period`.
    as_of: Option<NaiveDate>,
}

/// The ledger's figures (项目和资金统计) over the projects the caller may see.
///
/// Projects issued, started and the start rate, completed, planned
/// investment and pairing funds, allocated and spent (万元), city-wide and
/// by pairing, helping region, category, purpose and source — each project
/// as it stood at the end of `period` or of the day `as_of` (today by
/// default; both at once is 422 VALIDATION_FAILED); cancelled projects are
/// counted apart. Narrow by `year`, `pairing_id` and `region_id`. A client
/// without the `read` scope answers 403 FORBIDDEN.
#[utoipa::path(get, path = "/api/v1/projects/statistics", tag = "projects", params(StatisticsQuery),
    responses((status = 200, description = "The figures", body = ProjectStatistics)))]
async fn statistics(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<StatisticsQuery>,
) -> ApiResult<Json<ProjectStatistics>> {
    let filter = FigureFilter {
        year: q.year,
        pairing_id: q.pairing_id,
        region_id: q.region_id,
        period: q.period,
        as_of: q.as_of,
    };
    Ok(Json(figures::statistics(&state.db, &caller, &filter).await?))
}

/// The catalogue of project categories, in its order.
///
/// Each category's code and name (产业, 基础设施 …), as projects name them.
/// Anyone signed in reads it (a client needs the `read` scope).
#[utoipa::path(get, path = "/api/v1/project-categories", tag = "projects",
    responses((status = 200, description = "The catalogue", body = Vec<ProjectCategory>)))]
async fn categories(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<Vec<ProjectCategory>>> {
    Ok(Json(project::categories(&state.db, &caller).await?))
}

/// A category to add.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CategoryBody {
    /// Lower-case letters, digits and `_`.
    #[schema(example = "culture_tourism", pattern = "^[a-z0-9_]{1,64}$")]
    code: String,
    #[schema(example = "文化旅游", pattern = r"\S")]
    name: String,
}

/// Adds a category at the end of the catalogue, as an administrator.
///
/// The code is lower-case letters, digits and `_` (at most 64), the name at
/// most 100 characters (else 422 VALIDATION_FAILED); a code or name already in
/// the catalogue answers 409 CONFLICT; anyone but an administrator 403
/// FORBIDDEN. Answers 201 with the category. `Idempotency-Key` makes a retry
/// answer the first 201 again (`Idempotent-Replayed: true`) instead of creating
/// twice; the key reused with another body is 422 VALIDATION_FAILED.
#[utoipa::path(post, path = "/api/v1/project-categories", tag = "projects", request_body = CategoryBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Added", body = ProjectCategory)))]
async fn create_category(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CategoryBody>,
) -> ApiResult<Response> {
    idempotent::create(
        &state,
        &caller,
        &headers,
        "POST /api/v1/project-categories",
        &body,
        async |txn| project::create_category(txn, &caller, &body.code, &body.name).await,
    )
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    pairing_id: Uuid,
    /// Only the projects of this year.
    #[param(minimum = 1990, maximum = 2100)]
    year: Option<i32>,
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// A pairing's project ledger (项目台账) as a document.
///
/// In the layout the import reads (序号, 项目名称, 项目类别, 建设地点, 建设内容,
/// 实施单位, 总投资（万元）, 协同资金（万元）, 项目状态, the days of its
/// milestones), with what was allocated and spent beside it; only `year`'s
/// projects when given. `format=xlsx` (default) or `csv`, named
/// `projects-<pairing id>` (`Content-Disposition`). Whoever sees the
/// pairing's projects may export it; an unknown or unseen `pairing_id`, a
/// `year` outside 1990 to 2100 or another `format` answers 422
/// VALIDATION_FAILED.
#[utoipa::path(get, path = "/api/v1/projects/export", tag = "projects", params(ExportQuery),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
    ))]
async fn export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    use crate::documents::export::Format;
    let format = Format::asked(q.format.as_deref())?;
    let bytes = crate::documents::projects::export(&state.db, &caller, q.pairing_id, q.year, format).await?;
    Ok(super::download(format, &format!("projects-{}", q.pairing_id), bytes))
}
