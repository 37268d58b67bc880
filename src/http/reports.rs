//! Progress reports (进展报告): `POST /api/v1/tasks/{task_id}/reports` makes
//! a draft; `/api/v1/reports/{id}/submit`, `…/approve`, `…/return` move it
//! through its review.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch, if_match_version};
use super::problem::ApiResult;
use super::{conditional, idempotent, with_etag};
use crate::AppState;
use crate::domain::comment::{self, ReportComment};
use crate::domain::page::{Page, PageRequest};
use crate::domain::report::{self, NewReport, Report, ReportChanges, ReportFilter, Transition, ValueInput};
use crate::domain::values::{Amount, ReportPeriod, ReportStatus};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(read, update, delete))
        .routes(routes!(submit))
        .routes(routes!(recall))
        .routes(routes!(comments, add_comment))
        .routes(routes!(approve))
        .routes(routes!(return_report))
}

/// A figure reached for one target, for the year to date (年度累计).
#[derive(Deserialize, Serialize, utoipa::ToSchema, Clone)]
#[serde(deny_unknown_fields)]
struct ValueBody {
    target_id: Uuid,
    actual: Amount,
    /// The unit the actual is written in, when not its target's (亿元
    /// against a target in 万元); it must convert to the target's metric's.
    #[schema(example = "亿元")]
    unit: Option<String>,
}

fn values(bodies: &[ValueBody]) -> Vec<ValueInput> {
    bodies
        .iter()
        .map(|v| ValueInput {
            target_id: v.target_id,
            actual: v.actual,
            unit: v.unit.clone(),
        })
        .collect()
}

/// A new report: a draft for the caller's unit (an administrator or
/// coordinator names `unit_id`).
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateReport {
    period: ReportPeriod,
    /// True for the lead unit's report, which includes its supporting units' work.
    #[serde(default)]
    consolidated: bool,
    #[serde(default)]
    #[schema(example = "已帮助销售农特产品2025万元，提前完成年度目标")]
    text: String,
    #[serde(default)]
    values: Vec<ValueBody>,
    unit_id: Option<Uuid>,
}

/// Make a draft report on a task.
#[utoipa::path(post, path = "/api/v1/tasks/{task_id}/reports", tag = "reports", request_body = CreateReport,
    params(("task_id" = Uuid, Path, description = "The task's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Created", body = Report, headers(("ETag" = String)))))]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(task_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateReport>,
) -> ApiResult<Response> {
    let input = NewReport {
        task_id,
        unit_id: body.unit_id,
        period: body.period,
        consolidated: body.consolidated,
        text: body.text.clone(),
        values: values(&body.values),
    };
    let operation = format!("POST /api/v1/tasks/{task_id}/reports");
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        report::create(txn, &caller, input).await
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only what changed at or after this time (RFC 3339,
    /// `2025-07-01T00:00:00+08:00`): the simple form of `/api/v1/changes`.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// `created_at`, `updated_at` or `period_end`, `-` first for descending (default `-created_at`).
    sort: Option<String>,
    task_id: Option<Uuid>,
    plan_id: Option<Uuid>,
    unit_id: Option<Uuid>,
    period: Option<ReportPeriod>,
    status: Option<ReportStatus>,
    consolidated: Option<bool>,
}

/// The reports the caller may see.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "A page of reports", body = Page<Report>)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Page<Report>>> {
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?.since(q.updated_since.as_deref())?;
    let filter = ReportFilter {
        task_id: q.task_id,
        plan_id: q.plan_id,
        unit_id: q.unit_id,
        period: q.period,
        status: q.status,
        consolidated: q.consolidated,
    };
    Ok(Json(
        report::list(&state.db, &caller, filter, q.sort.as_deref(), &page).await?,
    ))
}

/// A report.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = Uuid, Path, description = "The report's id")),
    responses((status = 200, description = "The report", body = Report, headers(("ETag" = String))), (status = 304, description = "Not modified")))]
async fn read(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = report::get(&state.db, &caller, id).await?;
    Ok(conditional(&headers, found.version, Json(found)))
}

/// Changes to a draft or returned report; `values`, when given, replace the list.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchReport {
    text: Option<String>,
    values: Option<Vec<ValueBody>>,
}

/// Change a draft or returned report, as its unit.
#[utoipa::path(patch, path = "/api/v1/reports/{id}", tag = "reports", request_body = PatchReport,
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 200, description = "Changed", body = Report, headers(("ETag" = String)))))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PatchReport>,
) -> ApiResult<Response> {
    let changes = ReportChanges {
        text: body.text,
        values: body.values.as_deref().map(values),
    };
    let updated = report::update(&state.db, &caller, id, version, changes).await?;
    Ok(with_etag(updated.version, Json(updated)))
}

/// Delete a draft that was never submitted, as its unit.
#[utoipa::path(delete, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = String, Header, description = "The version read, as its ETag")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(version): IfMatch,
) -> ApiResult<StatusCode> {
    report::delete(&state.db, &caller, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn step(
    state: AppState,
    caller: crate::domain::Caller,
    id: Uuid,
    version: Option<i32>,
    transition: Transition,
) -> ApiResult<Response> {
    let moved = report::transition(&state.db, &caller, id, version, transition).await?;
    Ok(with_etag(moved.version, Json(moved)))
}

/// Submit a draft or returned report (报送), as its unit.
#[utoipa::path(post, path = "/api/v1/reports/{id}/submit", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Submitted", body = Report)))]
async fn submit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    step(state, caller, id, if_match_version(&headers)?, Transition::Submit).await
}

/// Recall a submitted report before it is reviewed (撤回), as its unit: it
/// becomes a draft again.
#[utoipa::path(post, path = "/api/v1/reports/{id}/recall", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Recalled: a draft again", body = Report)))]
async fn recall(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    step(state, caller, id, if_match_version(&headers)?, Transition::Recall).await
}

/// Approve a submitted report (审核通过): a supporting unit's by the task's
/// lead unit, a consolidated one by the plan's coordinator. It is then frozen.
#[utoipa::path(post, path = "/api/v1/reports/{id}/approve", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Approved", body = Report)))]
async fn approve(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    step(state, caller, id, if_match_version(&headers)?, Transition::Approve).await
}

/// Why a report goes back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnBody {
    #[schema(example = "请补充到位资金凭证")]
    reason: String,
}

/// Return a submitted report to its unit (退回) with a reason.
#[utoipa::path(post, path = "/api/v1/reports/{id}/return", tag = "reports", request_body = ReturnBody,
    params(("id" = Uuid, Path, description = "The report's id"), ("If-Match" = Option<String>, Header, description = "Optional: the version read")),
    responses((status = 200, description = "Returned", body = Report)))]
async fn return_report(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReturnBody>,
) -> ApiResult<Response> {
    step(
        state,
        caller,
        id,
        if_match_version(&headers)?,
        Transition::Return { reason: body.reason },
    )
    .await
}

/// The thread of comments on a report (退回 and its answers), oldest first.
#[utoipa::path(get, path = "/api/v1/reports/{id}/comments", tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id")),
    responses((status = 200, description = "The comments, oldest first", body = Vec<ReportComment>)))]
async fn comments(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ReportComment>>> {
    Ok(Json(comment::list(&state.db, &caller, id).await?))
}

/// A comment on a report.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    /// At most 2000 characters.
    #[schema(example = "已补充到位资金凭证，请再审")]
    body: String,
}

/// Comment on a submitted, returned or approved report, as its unit or its
/// reviewer.
#[utoipa::path(post, path = "/api/v1/reports/{id}/comments", tag = "reports", request_body = CommentBody,
    params(("id" = Uuid, Path, description = "The report's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request create nothing twice")),
    responses((status = 201, description = "Added", body = ReportComment)))]
async fn add_comment(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    let operation = format!("POST /api/v1/reports/{id}/comments");
    idempotent::create(&state, &caller, &headers, &operation, &body, async |txn| {
        comment::add(txn, &caller, id, &body.body).await
    })
    .await
}
